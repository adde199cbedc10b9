"""Onset refinement: synthetic onsets at known sub-sample times, deltim calibration, S picks."""

from __future__ import annotations

import numpy as np
import pytest

from testban.onset import Onset, aic_maeda, akaike_weights, band_bank, pick_s, refine_onset
from tests.onset.synth import coloured_noise, onset_record, wavelet

FS = 100.0


def test_aic_maeda_minimum_at_variance_change() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(500), 5.0 * rng.standard_normal(300)])
    aic = aic_maeda(x)
    assert abs(int(np.argmin(aic)) - 500) <= 3
    assert np.isinf(aic[:2]).all() and np.isinf(aic[-1])
    w = akaike_weights(aic)
    assert w.sum() == pytest.approx(1.0) and int(np.argmax(w)) == int(np.argmin(aic))


def test_band_bank_covers_up_to_045_fs() -> None:
    for fs in (20.0, 40.0, 100.0):
        bands = band_bank(fs)
        assert bands[0][0] == 0.5 and bands[-1][1] <= 0.45 * fs + 1e-9
        assert all(lo < hi for lo, hi in bands)


def _trials(n: int, seed: int) -> list[tuple[float, float, float, Onset]]:
    """``n`` synthetic picks: (snr, freq, true onset s, Onset) with the trigger −1…+2 s off."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        snr = float(np.exp(rng.uniform(np.log(3.0), np.log(30.0))))
        freq = float(rng.choice([2.0, 5.0, 10.0]))
        t0 = 20.0 + float(rng.uniform(0.0, 1.0))  # sub-sample truth
        x = onset_record(rng, fs=FS, t0=t0, snr=snr, freq=freq)
        trigger = int(t0 * FS) + int(rng.integers(-100, 200))
        out.append((snr, freq, t0, refine_onset(x, FS, trigger)))
    return out


def test_synthetic_onsets_within_snr_scaled_tolerance() -> None:
    for snr, freq, t0, on in _trials(60, seed=1):
        err = on.index / FS - t0
        tol = 0.02 + 1.0 / (freq * snr)  # s: a fraction of a period, shrinking with SNR
        assert abs(err) <= tol, (snr, freq, err, tol)
        assert on.snr > 0.5 * snr  # band choice only improves the SNR
        assert on.deltim > 0


def test_deltim_is_calibrated() -> None:
    z = np.array([(on.index / FS - t0) / on.deltim for _, _, t0, on in _trials(150, seed=2)])
    # a calibrated 1-sigma gives median |z| ≈ 0.67 and ~95 % within 2 sigma
    assert 0.45 <= np.median(np.abs(z)) <= 1.0
    assert np.mean(np.abs(z) <= 2.0) >= 0.9
    assert 0.6 <= np.sqrt(np.mean(z**2)) <= 1.4


@pytest.mark.parametrize("offset", [-1.0, 0.0, 2.0])
def test_robust_to_trigger_offset(offset: float) -> None:
    rng = np.random.default_rng(3)
    t0 = 20.337
    x = onset_record(rng, fs=FS, t0=t0, snr=8.0, freq=5.0)
    on = refine_onset(x, FS, int(round((t0 + offset) * FS)))
    assert abs(on.index / FS - t0) <= 0.05


def test_raw_input_with_offset_and_trend() -> None:
    rng = np.random.default_rng(4)
    t0 = 12.05
    x = onset_record(rng, fs=40.0, duration=30.0, t0=t0, snr=10.0, freq=3.0)
    x = x + 1e3 + np.linspace(0.0, 50.0, x.size)  # DC offset and drift of a raw record
    on = refine_onset(x, 40.0, int((t0 + 0.4) * 40.0))
    assert abs(on.index / 40.0 - t0) <= 0.06


def _three_component(rng: np.random.Generator, tp: float, ts: float) -> tuple[np.ndarray, ...]:
    n = int(40.0 * FS)
    t = np.arange(n) / FS
    p = wavelet(t, tp, 8.0, decay=1.5)
    s = wavelet(t, ts, 4.0, decay=2.0)
    z = 8.0 * p + 1.0 * s + coloured_noise(rng, n, FS)
    north = 3.0 * p + 20.0 * s + coloured_noise(rng, n, FS)
    east = 2.0 * p - 15.0 * s + coloured_noise(rng, n, FS)
    return z, north, east


def test_s_pick_on_synthetic_three_component() -> None:
    rng = np.random.default_rng(5)
    tp, ts = 15.0, 19.73
    z, north, east = _three_component(rng, tp, ts)
    p = refine_onset(z, FS, int((tp + 0.3) * FS))
    assert abs(p.index / FS - tp) <= 0.05
    s = pick_s(z, north, east, FS, p.index, max_delay=15.0)
    assert s is not None
    assert abs(s.index / FS - ts) <= 0.1
    assert s.snr > 3 and s.deltim > 0


def test_s_pick_vertical_only_and_short_window() -> None:
    rng = np.random.default_rng(6)
    tp, ts = 15.0, 19.73
    z, north, east = _three_component(rng, tp, ts)
    zeros = np.zeros_like(z)
    s = pick_s(z + 10 * wavelet(np.arange(z.size) / FS, ts, 4.0), zeros, zeros, FS, tp * FS,
               max_delay=15.0)  # fmt: skip
    assert s is not None and abs(s.index / FS - ts) <= 0.15
    assert pick_s(z[:1510], north[:1510], east[:1510], FS, tp * FS, max_delay=10.0) is None


def _emergent_p_then_s(rng: np.random.Generator, tp: float, ts: float) -> np.ndarray:
    """A weak, sustained P (RMS ~5x noise) followed by a much stronger S."""
    n = int(40.0 * FS)
    t = np.arange(n) / FS
    p = 5.0 * np.sqrt(2.0) * wavelet(t, tp, 6.0, decay=20.0)
    s = 60.0 * wavelet(t, ts, 4.0, decay=1.5)
    return p + s + coloured_noise(rng, n, FS)


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_weak_p_ahead_of_strong_s_is_found(seed: int) -> None:
    """The trigger fires on S; the coarse AIC then sees S, the look-back the weak P."""
    rng = np.random.default_rng(seed)
    tp, ts = 20.0, 21.8
    x = _emergent_p_then_s(rng, tp, ts)
    on = refine_onset(x, FS, int((ts + 0.1) * FS))
    assert abs(on.index / FS - tp) <= 0.1  # S is 1.8 s later


def test_look_back_ignores_louder_noise_stretch() -> None:
    """Noise 1.6x louder for 2 s ahead of an impulsive P is not a first arrival."""
    rng = np.random.default_rng(24)
    t0 = 20.0
    x = onset_record(rng, fs=FS, t0=t0, snr=20.0, freq=8.0)
    loud = (np.arange(x.size) / FS >= t0 - 2.0) & (np.arange(x.size) / FS < t0)
    x[loud] *= 1.6
    on = refine_onset(x, FS, int((t0 + 0.2) * FS))
    assert abs(on.index / FS - t0) <= 0.05


def test_s_not_picked_at_p_when_p_pick_is_early() -> None:
    """3-C, P large on the horizontals too, P pick 0.25 s early: the search then starts
    before the real P, whose rise out of the noise must not be taken for the S."""
    rng = np.random.default_rng(21)
    n = int(40.0 * FS)
    t = np.arange(n) / FS
    tp, ts = 15.0, 16.4
    p = wavelet(t, tp, 8.0, decay=0.6)
    s = wavelet(t, ts, 4.0, decay=1.5)
    z = 30.0 * p + 3.0 * s + coloured_noise(rng, n, FS)
    north = 30.0 * p + 30.0 * s + coloured_noise(rng, n, FS)
    east = 20.0 * p - 25.0 * s + coloured_noise(rng, n, FS)
    on = pick_s(z, north, east, FS, (tp - 0.25) * FS, max_delay=15.0)
    assert on is not None
    assert abs(on.index / FS - ts) <= 0.15
