"""Characteristic functions for onset picking, on plain NumPy arrays.

* :func:`aic_maeda` — Maeda's (1985) Akaike information criterion computed directly from
  the samples: for every split ``k`` of a window into a "noise" part ``x[:k]`` and a
  "signal" part ``x[k:]``, ``AIC[k] = k log var(x[:k]) + (n - k) log var(x[k:])``. Its
  global minimum is the sample where the two-segment (locally stationary) model fits
  best, i.e. the onset.
* :func:`akaike_weights` — the relative likelihood ``exp(-ΔAIC/2)`` of each split
  (Akaike 1974; Burnham & Anderson 2002, §2.9), optionally de-rated by the fraction of
  statistically independent samples of a band-limited trace; normalised it is a
  probability distribution of the onset sample, whose spread gives the pick uncertainty.
* :func:`bandpass` — a Butterworth band-pass (second-order sections), causal or zero-phase.

All functions take and return NumPy arrays; indices are samples, frequencies Hz.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.signal import butter, sosfilt, sosfiltfilt


def aic_maeda(x: np.ndarray) -> np.ndarray:
    """Maeda's (1985) AIC of every split of ``x``.

    Parameters
    ----------
    x : 1-D array (any amplitude unit).

    Returns
    -------
    aic : float64 array, same length as ``x``. ``aic[k]`` scores the model "``x[:k]``
        is one stationary segment and ``x[k:]`` another", so ``k`` at the minimum is the
        first sample of the new (signal) segment. Splits leaving fewer than two samples
        on a side are ``+inf``.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    aic = np.full(n, np.inf)
    if n < 5:
        return aic
    x = x - x.mean()
    c1 = np.cumsum(x)
    c2 = np.cumsum(x * x)
    k = np.arange(2, n - 1)  # prefix lengths with >= 2 samples on each side
    m = n - k
    s1, q1 = c1[k - 1], c2[k - 1]
    s2, q2 = c1[-1] - s1, c2[-1] - q1
    v1 = q1 / k - (s1 / k) ** 2
    v2 = q2 / m - (s2 / m) ** 2
    tiny = max(c2[-1] / n, np.finfo(float).tiny) * 1e-12
    aic[k] = k * np.log(np.maximum(v1, tiny)) + m * np.log(np.maximum(v2, tiny))
    return aic


def akaike_weights(aic: np.ndarray, independence: float = 1.0) -> np.ndarray:
    """Normalised relative likelihood of each split from an AIC curve.

    Parameters
    ----------
    aic : AIC values (``+inf`` where a split is not allowed).
    independence : fraction (0, 1] of samples that are statistically independent; for a
        trace band-limited to a width ``B`` Hz at ``fs`` Hz it is about ``2 B / fs``. The
        AIC of correlated samples overstates the information by ``1 / independence``.

    Returns
    -------
    w : non-negative weights summing to one (all zero if no split is finite).
    """
    aic = np.asarray(aic, dtype=np.float64)
    finite = np.isfinite(aic)
    w = np.zeros_like(aic)
    if not finite.any():
        return w
    d = (aic[finite] - aic[finite].min()) * (0.5 * independence)
    w[finite] = np.exp(-d)
    return w / w.sum()


def bandpass(
    x: np.ndarray, fs: float, fmin: float, fmax: float, *, order: int = 4, zerophase: bool = False
) -> np.ndarray:
    """Butterworth band-pass of ``x`` (high-pass only when ``fmax >= 0.5 fs``).

    Parameters
    ----------
    x : 1-D array; fs : sampling rate (Hz); fmin, fmax : corners (Hz); order : filter order
        (per pass); zerophase : forward-backward (no delay, but acausal precursors) instead
        of causal (keeps the first motion causal, delays it by a fraction of a period).
    """
    sos = _design(int(order), float(fmin), float(fmax), float(fs))
    x = np.asarray(x, dtype=np.float64)
    return sosfiltfilt(sos, x) if zerophase else sosfilt(sos, x)


@lru_cache(maxsize=512)
def _design(order: int, fmin: float, fmax: float, fs: float) -> np.ndarray:
    """Second-order sections of :func:`bandpass`, designed once per (order, corners, fs).

    Designing a Butterworth filter costs far more than running it over the few seconds
    of an onset window, and a detector asks for the same few bands thousands of times.
    """
    nyq = 0.5 * fs
    if fmax >= 0.98 * nyq:
        sos = butter(order, fmin / nyq, btype="highpass", output="sos")
    else:
        sos = butter(order, [fmin / nyq, fmax / nyq], btype="bandpass", output="sos")
    return sos  # shared: callers must not modify it (scipy's sosfilt wants it writable)
