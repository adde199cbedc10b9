"""Rayleigh-wave measurements for Ms on synthetic records of known amplitude and period.

Bounds: the synthetic wave trains are quasi-monochromatic (Gaussian envelopes of 150–200 s,
many periods long), so a filter passes them at its steady-state gain to within 1 %; the
added noise has an in-band rms of 2 % of the amplitude, which moves a peak by at most
~6 % at three standard deviations: 0.03 magnitude units. Everything together stays
inside 0.05 units.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from obspy.core.inventory.response import Response
from scipy import signal

from testban.features.surface_wave import (
    A20_BAND,
    VMAX_PERIODS,
    long_period_displacement,
    measure_surface_wave,
    rayleigh_window,
    vmax_fc,
)
from testban.magnitude import ms_station, ms_vmax_station
from testban.traveltime import KM_PER_DEG

FS = 20.0
ORIGIN = 1000.0  # s after the record start: the noise before P


def _band_noise(n: int, rms: float, band: tuple[float, float], rng) -> np.ndarray:
    """Gaussian noise with ``rms`` inside ``band`` Hz (white elsewhere is irrelevant)."""
    w = rng.standard_normal(n)
    sos = signal.butter(3, band, btype="bandpass", fs=FS, output="sos")
    x = signal.sosfiltfilt(sos, w)
    return x * rms / x.std()


def _record(delta, amp, period, *, u=3.4, fwhm=200.0, noise=0.0, seed=0, band=A20_BAND):
    """Displacement (nm) at FS Hz from t=0: a Gaussian-enveloped cosine arriving at group
    velocity ``u`` km/s after ``ORIGIN``, plus band-limited noise of rms ``noise``."""
    t_end = ORIGIN + delta * KM_PER_DEG / 2.5 + 600.0
    t = np.arange(int(t_end * FS)) / FS
    ta = ORIGIN + delta * KM_PER_DEG / u
    s = fwhm / 2.355
    y = amp * np.exp(-0.5 * ((t - ta) / s) ** 2) * np.cos(2 * np.pi * (t - ta) / period)
    if noise:
        y = y + _band_noise(t.size, noise, band, np.random.default_rng(seed))
    return y


def test_rayleigh_window_spans_group_velocities():
    w0, w1 = rayleigh_window(100.0, 20.0)
    km = 20.0 * KM_PER_DEG
    assert w0 == pytest.approx(100.0 + km / 4.0)
    assert w1 == pytest.approx(100.0 + km / 2.5)


@pytest.mark.parametrize("delta", [25.0, 60.0, 120.0])
def test_a20_recovers_amplitude_period_and_ms(delta):
    amp, per = 800.0, 20.0
    z = _record(delta, amp, per, noise=0.02 * amp, seed=int(delta))
    m = measure_surface_wave(z, FS, 0.0, ORIGIN, delta, method="A20", p_time=ORIGIN + 60)
    (b,) = m.bands
    assert b.detected
    assert abs(b.per - per) < 0.5
    expected = float(ms_station(amp, per, delta))
    got = float(ms_station(b.amp, b.per, delta))
    assert abs(got - expected) <= 0.05


def test_a20_ignores_swings_outside_18_22_s():
    # a large 14 s wave and a smaller 20 s wave: the 20 s one is measured
    delta = 40.0
    z = _record(delta, 2000.0, 14.0, u=3.0) + _record(delta, 300.0, 20.0, u=3.8)
    m = measure_surface_wave(z, FS, 0.0, ORIGIN, delta, method="A20", p_time=ORIGIN + 60)
    (b,) = m.bands
    assert 18.0 <= b.per <= 22.0
    assert b.amp < 1000.0


def _expected_vmax(amp: float, period: float, delta: float) -> float:
    """Ms(VMAX) predicted from filter theory: each band passes the wave at its gain."""
    best = -np.inf
    for t in VMAX_PERIODS:
        fc = float(vmax_fc(t, delta))
        sos = signal.butter(3, [1 / t - fc, 1 / t + fc], btype="bandpass", fs=1.0, output="sos")
        _, h = signal.sosfreqz(sos, worN=np.array([1.0 / period]), fs=1.0)
        best = max(best, float(ms_vmax_station(amp * abs(h[0]) ** 2, t, delta, fc)))
    return best


@pytest.mark.parametrize(("delta", "period"), [(4.0, 12.0), (8.0, 16.0), (15.0, 20.0)])
def test_vmax_matches_filter_theory(delta, period):
    amp = 300.0
    z = _record(delta, amp, period, fwhm=150.0, noise=0.02 * amp, seed=3, band=(0.03, 0.14))
    m = measure_surface_wave(z, FS, 0.0, ORIGIN, delta, method="VMAX", p_time=ORIGIN + 30)
    ms = np.array([ms_vmax_station(b.amp, b.per, delta, b.fc) for b in m.bands])
    det = np.array([b.detected for b in m.bands])
    assert det.any()
    got = float(ms[det].max())
    assert abs(got - _expected_vmax(amp, period, delta)) <= 0.05
    # the band nearest the wave's period passes it whole
    near = min(m.bands, key=lambda b: abs(b.per - period))
    assert near.amp == pytest.approx(amp, rel=0.06)


@pytest.mark.parametrize(("method", "delta"), [("A20", 45.0), ("VMAX", 6.0)])
def test_noise_only_is_not_a_detection(method, delta):
    z = _record(delta, 0.0, 20.0, noise=50.0, seed=11, band=(0.02, 0.15))
    m = measure_surface_wave(z, FS, 0.0, ORIGIN, delta, method=method, p_time=ORIGIN + 60)
    assert not m.detected
    assert all(b.amp > 0 for b in m.bands)  # an upper bound exists


def test_without_noise_window_nothing_is_detected():
    # the record starts at the origin and P comes at once: no noise, no SNR
    delta = 30.0
    z = _record(delta, 800.0, 20.0)[int(ORIGIN * FS) :]
    m = measure_surface_wave(z, FS, ORIGIN, ORIGIN, delta, method="A20", p_time=ORIGIN + 5)
    assert math.isnan(m.bands[0].snr)
    assert not m.detected


def test_record_must_cover_the_window():
    z = _record(30.0, 800.0, 20.0)[: int((ORIGIN + 500) * FS)]
    with pytest.raises(ValueError, match="Rayleigh window"):
        measure_surface_wave(z, FS, 0.0, ORIGIN, 30.0, method="A20")


def test_response_is_removed():
    """A velocity seismometer (120 s, 0.7 damping, 1500 V/(m/s), 4e5 counts/V) record of
    a known displacement is turned back into that displacement at 8–30 s."""
    w0 = 2 * np.pi / 120.0
    poles = [complex(-0.707 * w0, 0.707 * w0), complex(-0.707 * w0, -0.707 * w0)]
    resp = Response.from_paz(
        zeros=[0j, 0j], poles=poles, stage_gain=1500.0, stage_gain_frequency=1.0,
        input_units="M/S", output_units="V", normalization_frequency=1.0,
    )  # fmt: skip
    resp.response_stages[0].stage_gain = 1500.0
    resp.instrument_sensitivity.value = 1500.0 * 4e5
    resp.response_stages[0].stage_gain = 1500.0 * 4e5
    delta = 40.0
    disp = _record(delta, 500.0, 20.0)
    n = disp.size
    f = np.fft.rfftfreq(n, 1 / FS)
    h = resp.get_evalresp_response_for_frequencies(f[1:], output="DISP")
    spec = np.fft.rfft(disp)
    spec[1:] *= h * 1e-9  # counts per nm
    spec[0] = 0
    counts = np.fft.irfft(spec, n)
    y, rate = long_period_displacement(counts, FS, resp)
    ref, _ = long_period_displacement(disp, FS, None)
    win = slice(int(rate * (ORIGIN + 500)), int(rate * (ORIGIN + 2500)))
    assert rate == pytest.approx(1.0)
    assert np.max(np.abs(y[win])) == pytest.approx(np.max(np.abs(ref[win])), rel=0.02)
    assert np.corrcoef(y[win], ref[win])[0, 1] > 0.99
