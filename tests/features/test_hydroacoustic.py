"""Hydroacoustic features and detectors on synthetic H/T phases; hydrophone response."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from testban.detect.hydroacoustic import detect_h_phases, detect_t_phases, hydro_records
from testban.features.hydroacoustic import (
    bubble_period,
    charge_for_period,
    depth_for_period,
    explosion_like,
    synthetic_h_phase,
    to_pascal,
    triplet_azimuth,
)

FS = 250.0


def test_rayleigh_willis_in_si_matches_cole_imperial():
    # Cole (1948): T = 4.36 W^(1/3)/(d + 33)^(5/6), W in lb, d in ft
    w_lb, d_ft = 300.0, 100.0
    t_imperial = 4.36 * w_lb ** (1 / 3) / (d_ft + 33) ** (5 / 6)
    t_si = float(bubble_period(w_lb * 0.45359237, d_ft * 0.3048))
    assert math.isclose(t_si, t_imperial, rel_tol=0.01)
    assert math.isclose(float(charge_for_period(t_si, 30.48)), 136.08, rel_tol=1e-3)
    assert math.isclose(float(depth_for_period(t_si, 136.08)), 30.48, rel_tol=1e-3)


@pytest.mark.parametrize(("charge", "depth"), [(10, 20), (100, 50), (1000, 100), (20, 30)])
@pytest.mark.parametrize("seed", [0, 1])
def test_bubble_period_and_duration_on_synthetics(charge, depth, seed):
    x, period, duration = synthetic_h_phase(FS, charge, depth, duration_s=30.0, snr_db=15.0,
                                            seed=seed)  # fmt: skip
    dets = detect_h_phases(x, FS)
    assert len(dets) == 1
    f = dets[0].features
    assert abs(f.bubble_period / period - 1) < 0.02
    assert abs(f.duration / duration - 1) < 0.10
    assert abs(f.onset - 60.0) < 1.0
    assert explosion_like(f) is True


def _t_phase_like(seed: int) -> np.ndarray:
    """An earthquake T phase: emergent (10 s rise), 40 s, energy in 2–12 Hz."""
    rng = np.random.default_rng(seed)
    n = int(180 * FS)
    t = np.arange(n) / FS
    env = np.clip((t - 60) / 10, 0, 1) * np.clip((110 - t) / 10, 0, 1)
    sos = signal.butter(4, [2.0, 12.0], "bandpass", fs=FS, output="sos")
    sig = signal.sosfiltfilt(sos, rng.normal(0, 1, n)) * env * 10
    return sig + signal.sosfiltfilt(signal.butter(4, [2.0, 100.0], "bandpass", fs=FS,
                                                  output="sos"), rng.normal(0, 0.3, n))  # fmt: skip


def _whale_calls(seed: int) -> np.ndarray:
    """Fin-whale-like 20 Hz downsweeps, 1 s long every 12 s."""
    rng = np.random.default_rng(seed)
    n = int(180 * FS)
    t = np.arange(n) / FS
    x = rng.normal(0, 0.05, n)
    for k in range(5):
        s = 40 + 12 * k
        m = (t >= s) & (t < s + 1.0)
        tt = t[m] - s
        x[m] += np.sin(2 * np.pi * (23 * tt - 3 * tt**2)) * np.hanning(m.sum())
    return x


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_earthquake_t_phase_and_whale_are_not_explosion_like(seed):
    dets = detect_h_phases(_t_phase_like(seed), FS)
    assert len(dets) == 1
    assert explosion_like(dets[0].features) is False
    # whale calls: too short for the detector, or detected and not explosion-like
    assert all(explosion_like(d.features) is False for d in detect_h_phases(_whale_calls(seed), FS))


def test_explosion_like_none_without_measurement():
    assert explosion_like(None) is None


def test_t_phase_detected_on_a_coastal_seismometer_not_a_short_burst():
    fs = 40.0
    rng = np.random.default_rng(5)
    n = int(300 * fs)
    t = np.arange(n) / fs
    sos = signal.butter(4, [2.0, 8.0], "bandpass", fs=fs, output="sos")
    x = rng.normal(0, 1.0, n)
    env = np.clip((t - 100) / 8, 0, 1) * np.clip((150 - t) / 8, 0, 1)
    x += signal.sosfiltfilt(sos, rng.normal(0, 1, n)) * 12 * env
    burst = (t > 220) & (t < 223)  # a 3 s P-like burst: too short for a T phase
    x[burst] += signal.sosfiltfilt(sos, rng.normal(0, 1, n))[burst] * 20
    dets = detect_t_phases(x, fs)
    assert len(dets) == 1 and dets[0].phase == "T"
    assert 95 < dets[0].time < 110 and dets[0].features.duration > 30
    arr, amp = hydro_records(dets, "COAST", "BHZ", units="nm")
    assert arr[0].iphase == "T" and amp[0].duration == round(dets[0].features.duration, 2)


def test_triplet_azimuth_of_a_plane_wave():
    rng = np.random.default_rng(3)
    east = np.array([0.0, 2.0, 0.5])
    north = np.array([0.0, 0.3, 1.9])
    baz, c = 237.0, 1.48
    s = -np.array([math.sin(math.radians(baz)), math.cos(math.radians(baz))]) / c
    n = int(20 * FS)
    src = signal.sosfiltfilt(signal.butter(4, [3, 40], "bandpass", fs=FS, output="sos"),
                             rng.normal(0, 1, n + 2000))  # fmt: skip
    data = []
    for e, nn in zip(east, north, strict=True):
        d = (s[0] * e + s[1] * nn) * FS
        idx = np.arange(n) + 1000 - d
        data.append(np.interp(idx, np.arange(src.size), src) + rng.normal(0, 0.05, n))
    got, speed = triplet_azimuth(np.array(data), FS, east, north)
    assert abs((got - baz + 180) % 360 - 180) < 1.0
    assert abs(speed - c) < 0.05


SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", "/nonexistent"))
XML = SHARED / "formats/obspy/hydrophone_response_PA.xml"


@pytest.mark.shared
@pytest.mark.skipif(not XML.exists(), reason="shared data absent")
def test_hydrophone_response_read_and_applied():
    """The StationXML is read (2559 counts/Pa at 100 Hz, PA input) and a 1 Pa sine at
    10 Hz in counts (sensitivity × analogue poles/zeros shape, phase included) comes back
    as 1 Pa within 1 %, in phase."""
    from obspy import Trace, read_inventory

    inv = read_inventory(str(XML))
    cha = inv[0][0][0]
    resp = cha.response
    assert cha.code == "HDH" and resp.instrument_sensitivity.input_units.upper() == "PA"
    assert math.isclose(resp.instrument_sensitivity.value, 2558.93, rel_tol=1e-4)
    fs = cha.sample_rate
    t = np.arange(2**14) / fs
    st = resp.response_stages[0]
    s_ = 2j * np.pi * np.array([10.0, resp.instrument_sensitivity.frequency])
    h = np.prod([s_ - z for z in st.zeros], axis=0) / np.prod([s_ - p for p in st.poles], axis=0)
    g = resp.instrument_sensitivity.value * h[0] / h[1]
    counts = abs(g) * np.sin(2 * np.pi * 10.0 * t + np.angle(g))
    out = to_pascal(Trace(counts, header={"sampling_rate": fs}), resp)
    mid = slice(2000, -2000)
    truth = np.sin(2 * np.pi * 10.0 * t)
    assert abs(np.std(out.data[mid]) / np.std(truth[mid]) - 1) < 0.01
    assert np.corrcoef(out.data[mid], truth[mid])[0, 1] > 0.999
