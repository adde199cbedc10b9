"""Detector → onset hand-off (:func:`testban.onset.first_arrival`) and the vertical-only S
search past a P pulse larger than S, on synthetic records with known onsets."""

from __future__ import annotations

import numpy as np

from testban.onset import first_arrival, pick_s
from tests.onset.synth import coloured_noise, onset_record, wavelet

FS = 100.0


def test_noise_blip_ahead_of_p_is_skipped() -> None:
    rng = np.random.default_rng(11)
    t0 = 30.0
    x = onset_record(rng, fs=FS, duration=60.0, t0=t0, snr=20.0, freq=5.0)
    t = np.arange(x.size) / FS
    x += 2.5 * wavelet(t, 12.0, 6.0, decay=0.15)  # short burst 18 s before P
    trig = [(int(12.05 * FS), int(12.7 * FS)), (int(30.1 * FS), int(33.0 * FS))]
    sel = first_arrival(x, FS, trig)
    assert sel is not None
    i, onset = sel
    assert i == 1
    assert abs(onset.index / FS - t0) <= 0.05


def test_weak_first_p_kept_before_stronger_later_phase() -> None:
    rng = np.random.default_rng(12)
    t0 = 20.0
    x = onset_record(rng, fs=FS, duration=60.0, t0=t0, snr=8.0, freq=5.0)
    t = np.arange(x.size) / FS
    x += 12.0 * wavelet(t, 40.0, 3.0)  # a stronger arrival later: not above 2x the first
    trig = [(int(20.1 * FS), int(21.5 * FS)), (int(40.1 * FS), int(43.0 * FS))]
    sel = first_arrival(x, FS, trig)
    assert sel is not None and sel[0] == 0
    assert abs(sel[1].index / FS - t0) <= 0.05


def test_onset_inside_a_long_trigger_is_found() -> None:
    """A trigger turned on by noise 2 s before P stays on through P: no trigger of its own
    for P, so the onset search must reach into the on-time."""
    rng = np.random.default_rng(13)
    t0 = 25.0
    x = onset_record(rng, fs=FS, duration=50.0, t0=t0, snr=15.0, freq=5.0)
    trig = [(int((t0 - 2.0) * FS), int((t0 + 3.0) * FS))]
    sel = first_arrival(x, FS, trig)
    assert sel is not None
    assert abs(sel[1].index / FS - t0) <= 0.05
    assert first_arrival(x, FS, []) is None


def test_s_on_vertical_only_when_p_pulse_is_larger() -> None:
    """Z-only: a short, strong P pulse and a weaker but longer S (energy over 1 s still
    below the P pulse's peak): S must not be picked at the end of the P pulse."""
    rng = np.random.default_rng(14)
    n = int(40 * FS)
    t = np.arange(n) / FS
    tp, ts = 12.0, 17.3
    z = (
        40.0 * wavelet(t, tp, 8.0, decay=0.15)
        + 12.0 * wavelet(t, ts, 4.0, decay=2.0)
        + coloured_noise(rng, n, FS)
    )
    zeros = np.zeros(n)
    s = pick_s(z, zeros, zeros, FS, tp * FS, max_delay=15.0)
    assert s is not None
    assert abs(s.index / FS - ts) <= 0.15
