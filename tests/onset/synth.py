"""Synthetic records with onsets at known sub-sample times (for the onset tests)."""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt


def coloured_noise(rng: np.random.Generator, n: int, fs: float) -> np.ndarray:
    """Unit-RMS noise, white noise band-limited to 0.5–0.4 fs Hz (zero-phase, 2nd order)."""
    sos = butter(2, [0.5 / (0.5 * fs), 0.8], btype="bandpass", output="sos")
    x = sosfiltfilt(sos, rng.standard_normal(n + 400))[200:-200]
    return x / np.sqrt(np.mean(x * x))


def wavelet(t: np.ndarray, t0: float, freq: float, decay: float = 1.0) -> np.ndarray:
    """Impulsive arrival at ``t0`` (s): ``sin(2π f τ) exp(-τ/decay)`` for ``τ = t - t0 > 0``."""
    tau = t - t0
    return np.where(tau > 0, np.sin(2 * np.pi * freq * tau) * np.exp(-tau / decay), 0.0)


def onset_record(
    rng: np.random.Generator,
    *,
    fs: float = 100.0,
    duration: float = 40.0,
    t0: float = 20.0,
    snr: float = 10.0,
    freq: float = 5.0,
) -> np.ndarray:
    """Noise plus one arrival at ``t0`` s whose RMS over its first second is ``snr`` × noise."""
    t = np.arange(int(duration * fs)) / fs
    s = wavelet(t, t0, freq)
    first = (t >= t0) & (t < t0 + 1.0)
    s *= snr / np.sqrt(np.mean(s[first] ** 2))
    return s + coloured_noise(rng, t.size, fs)
