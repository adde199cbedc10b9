"""The detector's filter bank: causal Butterworth band-passes as cached second-order sections.

Causal (one-pass) filters are used for detection: nothing rings ahead of a first motion,
so a trigger never precedes the signal; onset refinement (:mod:`testban.onset`) then
works on the raw samples. Second-order sections are designed once per
(corners, order, sampling rate) and cached.

>>> sos = band_sos(1.0, 3.0, 20.0, 3)
>>> sos.shape
(3, 6)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy import signal

__all__ = ["bank_sos", "band_sos", "bandpass", "usable_bands"]

#: A band's upper corner must stay below this fraction of the Nyquist frequency.
NYQUIST_FRACTION = 0.9


@lru_cache(maxsize=256)
def _sos(low: float, high: float, fs: float, order: int) -> np.ndarray:
    sos = signal.butter(order, [low, high], btype="bandpass", fs=fs, output="sos")
    sos.flags.writeable = False
    return sos


def band_sos(low: float, high: float, fs: float, order: int = 3) -> np.ndarray:
    """Second-order sections ``(order, 6)`` of a Butterworth band-pass ``low``–``high`` Hz.

    ``fs`` is the sampling rate (Hz). The array is cached and read-only.
    """
    return _sos(float(low), float(high), float(fs), int(order))


def usable_bands(bands: Sequence, fs: float) -> list[int]:
    """Indices of the bands (objects with ``low``/``high`` in Hz) that fit below Nyquist."""
    return [i for i, b in enumerate(bands) if b.high < NYQUIST_FRACTION * 0.5 * fs]


def bank_sos(bands: Sequence, fs: float, order: int = 3) -> np.ndarray:
    """Stacked sections ``(nband, order, 6)`` of ``bands`` at sampling rate ``fs`` (Hz)."""
    if not len(bands):
        return np.zeros((0, order, 6))
    return np.stack([band_sos(b.low, b.high, fs, order) for b in bands])


def bandpass(data: np.ndarray, fs: float, low: float, high: float, order: int = 3) -> np.ndarray:
    """Causal Butterworth band-pass of ``data`` (any unit, returned in the same unit)."""
    return signal.sosfilt(band_sos(low, high, fs, order), np.asarray(data, dtype=np.float64))
