"""Characterisation parameters on synthetic P waves whose answers are known analytically."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from testban.features.characterisation import (
    DEFAULT,
    cepstral_peak,
    complexity,
    spectral_ratio,
)

FS = 40.0
ONSET = 60.0  # s after the first sample
N = int(120 * FS)


def _noise(rng: np.random.Generator, rms: float) -> np.ndarray:
    return rms * rng.standard_normal(N)


def _band_noise(rng: np.random.Generator, n: int, band=(0.5, 8.0)) -> np.ndarray:
    sos = signal.butter(4, band, btype="bandpass", fs=FS, output="sos")
    return signal.sosfiltfilt(sos, rng.standard_normal(n))


def _impulsive(rng, noise_rms=0.01):
    """An explosion-like P: a 1.5 s wavelet and nothing after."""
    x = _noise(rng, noise_rms)
    t = np.arange(int(1.5 * FS)) / FS
    i = int(ONSET * FS)
    x[i : i + t.size] += np.sin(2 * np.pi * 1.5 * t) * np.hanning(t.size)
    return x


def _coda(rng, tau=20.0, noise_rms=0.01):
    """A long-coda P: band-limited noise whose power decays as exp(−t/τ) after onset."""
    x = _noise(rng, noise_rms)
    i = int(ONSET * FS)
    t = np.arange(N - i) / FS
    x[i:] += _band_noise(rng, N - i, (1.0, 4.0)) * np.exp(-t / (2 * tau))
    return x


def test_impulsive_p_has_low_complexity():
    c = complexity(_impulsive(np.random.default_rng(1)), FS, ONSET)
    # All the energy lies in the first 5 s: the coda is under the noise, and the
    # complexity an upper bound (measured coda power over the direct P's).
    assert c.noisy and c.bound == "≤" and "coda under the noise" in c.reason
    assert 0 <= c.value < 0.05


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_long_coda_complexity_matches_exponential_decay(seed):
    tau = 20.0
    c = complexity(_coda(np.random.default_rng(seed), tau), FS, ONSET)
    (d0, d1), (c0, c1) = DEFAULT.direct_s, DEFAULT.coda_s
    expected = (math.exp(-c0 / tau) - math.exp(-c1 / tau)) / (
        math.exp(-d0 / tau) - math.exp(-d1 / tau)
    )  # ≈ 2.7
    assert not c.noisy and c.snr > 10
    assert c.value == pytest.approx(expected, rel=0.3)


def test_complexity_of_pure_noise_is_flagged():
    c = complexity(_noise(np.random.default_rng(5), 1.0), FS, ONSET)
    assert c.noisy and math.isnan(c.value) and "under the noise" in c.reason


def test_complexity_noise_correction_removes_noise_power():
    rng = np.random.default_rng(6)
    clean = complexity(_coda(rng, noise_rms=1e-4), FS, ONSET)
    noisy = complexity(_coda(np.random.default_rng(6), noise_rms=0.05), FS, ONSET)
    # Same signal, coda SNR still ≥ 2: the noise-corrected values agree.
    assert noisy.snr > 2 and clean.snr > noisy.snr
    assert noisy.value == pytest.approx(clean.value, rel=0.35)


def test_short_trace_says_what_is_missing():
    x = np.zeros(int(40 * FS))
    for res in (complexity(x, FS, 5.0), spectral_ratio(x, FS, 5.0), cepstral_peak(x, FS, 5.0)):
        assert res.noisy and "too short" in res.reason


def _brune_p(rng, fc: float, noise_rms=1e-3) -> np.ndarray:
    """A P wave whose displacement spectrum falls as ω² above ``fc`` (Brune 1970)."""
    n = int(10 * FS)
    f = np.fft.rfftfreq(n, 1 / FS)
    src = 1.0 / (1.0 + (f / fc) ** 2)
    w = np.fft.irfft(src * np.exp(2j * np.pi * rng.random(f.size)), n)
    x = _noise(rng, noise_rms)
    i = int(ONSET * FS)
    x[i : i + n] += w / np.abs(w).max() * signal.windows.tukey(n, 0.2)
    return x


def test_spectral_ratio_is_higher_for_a_higher_corner_frequency():
    rng = np.random.default_rng(7)
    lo = spectral_ratio(_brune_p(rng, 0.7), FS, ONSET)
    hi = spectral_ratio(_brune_p(rng, 3.0), FS, ONSET)
    assert not lo.noisy and not hi.noisy
    assert hi.value > 2 * lo.value
    assert hi.tmf > lo.tmf


def test_spectral_ratio_of_white_p_is_the_bandwidth_ratio():
    # One periodogram bin scatters by ~100 %, a band of ~11 bins by ~30 %: average events.
    values, tmfs = [], []
    for seed in range(30):
        rng = np.random.default_rng(100 + seed)
        x = _noise(rng, 1e-3)
        i = int(ONSET * FS)
        x[i : i + int(10 * FS)] += rng.standard_normal(int(10 * FS))
        sr = spectral_ratio(x, FS, ONSET)
        values.append(sr.value)
        tmfs.append(sr.tmf)
    (a, b), (c, d) = DEFAULT.ratio_low, DEFAULT.ratio_high
    assert np.mean(values) == pytest.approx((d - c) / (b - a), rel=0.15)
    # Third moment of a flat spectrum over [a, d]: ((d⁴ − a⁴) / (4 (d − a)))^(1/3).
    assert np.median(tmfs) == pytest.approx(((d**4 - a**4) / (4 * (d - a))) ** (1 / 3), rel=0.05)


def test_spectral_ratio_high_band_under_noise_is_an_upper_bound():
    rng = np.random.default_rng(9)
    x = _noise(rng, 0.0)
    i = int(ONSET * FS)
    sos = signal.butter(4, (0.5, 1.5), btype="bandpass", fs=FS, output="sos")
    x[i : i + int(10 * FS)] += signal.sosfiltfilt(sos, rng.standard_normal(int(10 * FS)))
    x += 0.1 * rng.standard_normal(N)  # white noise dominates 2–4.5 Hz
    sr = spectral_ratio(x, FS, ONSET)
    assert sr.noisy and sr.bound == "≤" and sr.snr_low > 2 > sr.snr_high


@pytest.mark.parametrize(("delay", "amp"), [(1.3, -0.5), (4.0, 0.4), (0.6, -0.7)])
def test_cepstrum_finds_an_echo_at_its_delay(delay, amp):
    rng = np.random.default_rng(10)
    x = _noise(rng, 1e-3)
    t = np.arange(int(1.0 * FS)) / FS
    w = t / 0.04 * np.exp(1 - t / 0.04)  # a smooth broadband source pulse (corner ≈ 4 Hz)
    i, k = int(ONSET * FS), int(round(delay * FS))
    x[i : i + w.size] += w
    x[i + k : i + k + w.size] += amp * w
    cp = cepstral_peak(x, FS, ONSET)
    assert not cp.noisy
    assert cp.quefrency == pytest.approx(delay, abs=0.05)
    assert np.sign(cp.amplitude) == np.sign(amp)
    assert abs(cp.amplitude) == pytest.approx(abs(amp), rel=0.4)
    assert cp.significance > 3


def test_cepstrum_of_noise_is_flagged():
    cp = cepstral_peak(_noise(np.random.default_rng(11), 1.0), FS, ONSET)
    assert cp.noisy and cp.snr < 2
