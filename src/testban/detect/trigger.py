"""From per-band STA/LTA ratios to triggers: thresholds, on/off, best band, SNR.

Each band has its own threshold (noise is less Gaussian at high frequency, so
high bands need more). The bands are combined by dividing each ratio by its threshold
and taking the largest: a trigger turns on where any band reaches its threshold and off
where all have fallen below ``off_ratio`` of theirs. The best band of a trigger is the
one standing highest over its threshold in the first seconds after the trigger, and the
SNR reported is the square root of that band's peak power ratio (an amplitude ratio,
as the IDC's ``arrival.snr``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

__all__ = ["Trigger", "pick_triggers", "trigger_onoff"]


@dataclass(frozen=True, slots=True)
class Trigger:
    """One trigger: samples ``on``/``off``, ``band`` index, ``peak`` sample, ``snr``
    (amplitude ratio, dimensionless) and ``ratio`` (peak STA/LTA of power)."""

    on: int
    off: int
    band: int
    peak: int
    snr: float
    ratio: float


@nb.njit(cache=True)
def _onoff(cf, on_level, off_level, min_len, min_sep):  # pragma: no cover - compiled
    out = []
    n = cf.size
    i = 0
    last_on = -(10**12)
    while i < n:
        if cf[i] >= on_level and i - last_on >= min_sep:
            j = i + 1
            while j < n and cf[j] >= off_level:
                j += 1
            if j - i >= min_len:
                out.append((i, j))
                last_on = i
            i = j
        else:
            i += 1
    return out


def trigger_onoff(
    cf: np.ndarray, on: float, off: float, min_len: int = 1, min_sep: int = 0
) -> np.ndarray:
    """``(ntrig, 2)`` on/off sample indices of a characteristic function ``cf``.

    A trigger starts where ``cf >= on`` (at least ``min_sep`` samples after the previous
    start) and ends at the first sample below ``off``; shorter than ``min_len`` samples
    it is dropped. Like :func:`obspy.signal.trigger.trigger_onset` with a dead time.

    >>> import numpy as np
    >>> trigger_onoff(np.array([0, 1, 5, 6, 2, 0, 0, 5, 0.0]), 4, 1.5).tolist()
    [[2, 5], [7, 8]]
    """
    c = np.ascontiguousarray(cf, dtype=np.float64)
    found = _onoff(c, float(on), float(off), int(min_len), int(min_sep))
    return np.array(found, dtype=np.int64).reshape(-1, 2)


def pick_triggers(
    ratio: np.ndarray,
    thresholds: np.ndarray,
    fs: float,
    *,
    off_ratio: float = 0.5,
    min_duration: float = 0.5,
    min_separation: float = 4.0,
    peak_window: float = 3.0,
) -> list[Trigger]:
    """Triggers from ``ratio`` ``(nband, nsamp)`` STA/LTA (power) with per-band ``thresholds``.

    ``fs`` in Hz; ``min_duration``, ``min_separation`` and ``peak_window`` (where the best
    band and the SNR are read, after the trigger) in s; ``off_ratio`` a fraction of each
    band's threshold.
    """
    thr = np.asarray(thresholds, dtype=np.float64)[:, None]
    norm = ratio / thr
    cf = norm.max(axis=0)
    pairs = trigger_onoff(
        cf, 1.0, off_ratio, max(1, round(min_duration * fs)), round(min_separation * fs)
    )
    npk = max(1, round(peak_window * fs))
    out = []
    for on, off in pairs:
        seg = norm[:, on : on + npk]
        k, rel = np.unravel_index(int(np.argmax(seg)), seg.shape)
        peak = int(on + rel)
        r = float(ratio[k, peak])
        out.append(Trigger(int(on), int(off), int(k), peak, float(np.sqrt(max(r, 0.0))), r))
    return out
