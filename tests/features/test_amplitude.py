"""A5/2 amplitude, period and SNR on synthetic bursts of known ground motion."""

from __future__ import annotations

import math

import numpy as np
import pytest
from obspy.core.inventory.response import Response

from testban.features import amplitude_a52, displacement_gain, peak_trough, response_units, snr

FS = 40.0


def burst(amp_nm: float, period: float, onset_s: float, n: int, *, hold: float = 3.0):
    """Sinusoid of amplitude ``amp_nm`` starting at ``onset_s``: 0.5 s ramp, flat ``hold`` s."""
    t = np.arange(n) / FS
    rel = t - onset_s
    env = np.clip(rel / 0.5, 0.0, 1.0) * np.clip((hold + 1.0 - rel) / 0.5, 0.0, 1.0)
    return amp_nm * env * np.sin(2 * np.pi * rel / period), t


@pytest.mark.parametrize("period", [0.3, 0.5, 1.0])
def test_a52_sinusoid_without_response(period):
    z, _ = burst(120.0, period, 30.0, int(60 * FS))
    amp, per = amplitude_a52(z, FS, 30.0 * FS)
    assert amp == pytest.approx(120.0, rel=0.02)
    assert per == pytest.approx(period, rel=0.02)


def test_a52_filter_correction_off_is_filtered_amplitude():
    z, _ = burst(100.0, 1.0, 30.0, int(60 * FS))
    amp, _ = amplitude_a52(z, FS, 30.0 * FS, correct_filter=False)
    assert 70.0 < amp < 100.0  # 1 Hz lies on the skirt of the 0.8-4.5 Hz band-pass


def test_a52_ignores_signal_outside_window():
    z, _ = burst(50.0, 1.0, 30.0, int(80 * FS))
    late, _ = burst(500.0, 1.0, 38.0, int(80 * FS))  # starts 8 s after onset
    amp, _ = amplitude_a52(z + late, FS, 30.0 * FS)
    assert amp == pytest.approx(50.0, rel=0.05)


def _velocity_paz() -> Response:
    # a 1 Hz, 0.707-damped velocity seismometer, 1500 V/(m/s), 4e5 counts/V
    w0 = 2 * np.pi * 1.0
    poles = [complex(-0.707 * w0, 0.707 * w0), complex(-0.707 * w0, -0.707 * w0)]
    return Response.from_paz(
        zeros=[0j, 0j],
        poles=poles,
        stage_gain=1500.0 * 4e5,
        stage_gain_frequency=5.0,
        input_units="M/S",
        output_units="COUNTS",
        normalization_frequency=5.0,
    )


@pytest.mark.parametrize("period", [0.5, 0.9])
def test_a52_with_velocity_response(period):
    """Counts made with ObsPy's evalresp; the amplitude comes back in nm of displacement."""
    resp = _velocity_paz()
    assert response_units(resp) == "M/S"
    ground, _ = burst(80.0, period, 30.0, int(64 * FS), hold=4.0)
    nfft = ground.size
    freqs = np.fft.rfftfreq(nfft, 1 / FS)
    h = np.zeros(freqs.size, dtype=complex)
    h[1:] = resp.get_evalresp_response_for_frequencies(freqs[1:], output="DISP") * 1e-9
    counts = np.fft.irfft(np.fft.rfft(ground) * h, n=nfft)
    amp, per = amplitude_a52(counts, FS, 30.0 * FS, resp)
    assert per == pytest.approx(period, rel=0.02)
    assert amp == pytest.approx(80.0, rel=0.03)
    # the response gain used is that of the displacement response at 1/T
    g = displacement_gain(resp, np.array([1.0 / period]))[0]
    ref = abs(resp.get_evalresp_response_for_frequencies([1.0 / period], output="DISP")[0])
    assert g == pytest.approx(ref * 1e-9, rel=1e-3)


@pytest.mark.filterwarnings("ignore:ObsPy can not map unit")
def test_a52_displacement_response_in_nm():
    resp = Response.from_paz(
        zeros=[0j, 0j, 0j], poles=[complex(-4.44, 4.44), complex(-4.44, -4.44)],
        stage_gain=2.0, input_units="NM", output_units="COUNTS", normalization_frequency=1.0,
    )  # fmt: skip
    assert response_units(resp) == "NM"
    s = 2j * np.pi * 1.0
    expected = 2.0 * abs(s**3 / ((s - complex(-4.44, 4.44)) * (s - complex(-4.44, -4.44))))
    g = displacement_gain(resp, np.array([1.0]))[0]
    assert g == pytest.approx(expected, rel=1e-6)  # counts per nm, no unit conversion


def test_peak_trough_picks_largest_adjacent_swing():
    x = np.zeros(200)
    x[50], x[60] = 3.0, -1.0  # swing 4 over 10 samples
    x[120], x[125] = 2.0, -2.5  # swing 4.5 over 5 samples
    amp, per, k = peak_trough(x, 10.0)
    assert amp == pytest.approx(2.25)
    assert per == pytest.approx(2 * 0.5, abs=0.15)
    assert k in (119, 120, 121)


def test_a52_nan_without_swing():
    amp, per = amplitude_a52(np.zeros(4000), FS, 2000.0)
    assert math.isnan(amp) and math.isnan(per)


def test_snr_of_burst_in_noise():
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 1.0, int(90 * FS))
    z, _ = burst(20.0, 1.0, 60.0, noise.size)
    high = snr(z + noise, FS, 60.0 * FS)
    low = snr(noise, FS, 60.0 * FS)
    assert high > 8.0
    assert 0.5 < low < 3.0
