"""Channel quality control before detection: gaps, clipping, spikes, flat lines, dead channels.

All functions take one channel's samples on a regular grid with NaN where no data
exist (gaps) and return a boolean mask of samples that must not feed a detector, plus
counts for the problem report. Bad samples are then set to zero by the caller
(:func:`clean`), so filters see no steps larger than the noise, and the STA/LTA ignores
the masked stretch and the filter transient after it (``settle``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

__all__ = ["ChannelQuality", "assess", "clean", "dilate"]

#: A flat stretch (identical samples) at least this long (s) is bad data, not signal.
FLAT_SECONDS = 2.0
#: Robust statistics (median, MAD) are taken on a regular subsample of about this many
#: samples: the standard error of a median of N Gaussian samples is 1.25 σ/√N, under 2 %
#: of σ here, far below what a 40-σ spike test or a median removal before band-passing
#: can notice, while a full-window median costs more than the rest of the QC.
ROBUST_SAMPLES = 5000


@dataclass(frozen=True, slots=True)
class ChannelQuality:
    """Counts of bad samples in a window of one channel (samples), and the verdict.

    ``dead`` is True when the channel carries no usable signal in the window (no data,
    flat, or bad beyond ``max_bad_fraction``); ``fraction`` is the share of bad samples;
    ``median`` the median of the valid samples (the channel's unit), removed by :func:`clean`.
    """

    n: int
    gap: int
    clipped: int
    spikes: int
    flat: int
    dead: bool
    fraction: float = 1.0
    median: float = 0.0

    @property
    def bad(self) -> int:
        """Samples masked for any reason."""
        return self.gap + self.clipped + self.spikes + self.flat


@nb.njit(cache=True)
def _runs(x, valid, min_run, lo, hi, clip_run, clipped, flat):  # pragma: no cover - compiled
    # Runs of identical valid samples: at an extreme value and >= clip_run long -> clipped;
    # anywhere and >= min_run long -> flat.
    n = x.size
    i = 0
    while i < n:
        if not valid[i]:
            i += 1
            continue
        j = i + 1
        while j < n and valid[j] and x[j] == x[i]:
            j += 1
        length = j - i
        if length >= clip_run and (x[i] >= hi or x[i] <= lo):
            clipped[i:j] = True
        elif length >= min_run:
            flat[i:j] = True
        i = j


@nb.njit(cache=True)
def _spikes(d, valid, level, out):  # pragma: no cover - compiled
    # Isolated outliers: 1-3 samples above `level` whose neighbours (5 either side) stay
    # below a quarter of their peak. Band-limited signals never look like that.
    n = d.size
    i = 0
    while i < n:
        if not (valid[i] and abs(d[i]) > level):
            i += 1
            continue
        j = i
        peak = 0.0
        while j < n and valid[j] and abs(d[j]) > level:
            peak = max(peak, abs(d[j]))
            j += 1
        if j - i <= 3:
            around = 0.0
            for k in range(max(0, i - 5), min(n, j + 5)):
                if (k < i or k >= j) and valid[k]:
                    around = max(around, abs(d[k]))
            if around < 0.25 * peak:
                out[i:j] = True
        i = j


def dilate(mask: np.ndarray, after: int, before: int = 0) -> np.ndarray:
    """``mask`` widened by ``after`` samples after and ``before`` samples before each run."""
    if not mask.any() or (after <= 0 and before <= 0):
        return mask.copy()
    c = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    n = mask.size
    idx = np.arange(n)
    lo = np.clip(idx - after, 0, n)
    hi = np.clip(idx + before + 1, 0, n)
    return (c[hi] - c[lo]) > 0


def assess(
    data: np.ndarray,
    fs: float,
    *,
    spike_sigma: float = 40.0,
    clip_run: int = 4,
    max_bad_fraction: float = 0.5,
) -> tuple[np.ndarray, ChannelQuality]:
    """Mask of bad samples of one channel (NaN = gap) and its :class:`ChannelQuality`.

    ``fs`` in Hz; ``spike_sigma`` in robust standard deviations (1.4826 MAD) of the
    window; ``clip_run`` equal samples in a row at the window's extreme value count as
    clipping. Flat stretches of :data:`FLAT_SECONDS` or more are masked too.
    """
    x = np.asarray(data, dtype=np.float64)
    n = x.size
    gap = np.isnan(x)
    valid = ~gap
    nvalid = int(valid.sum())
    if nvalid < 2:
        return np.ones(n, bool), ChannelQuality(n, int(gap.sum()), 0, 0, 0, True, 1.0)
    xv = x[valid]
    step = max(1, xv.size // ROBUST_SAMPLES)  # robust statistics from a regular subsample
    med = float(np.median(xv[::step]))
    xmin, xmax = float(xv.min()), float(xv.max())
    clipped = np.zeros(n, bool)
    flat = np.zeros(n, bool)
    xs = np.where(valid, x, med)
    _runs(xs, valid, max(int(FLAT_SECONDS * fs), clip_run + 1), xmin, xmax, clip_run, clipped, flat)
    if xmax == xmin:
        flat[valid] = True
    d = xs - med
    quiet = (valid & ~flat)[::step]
    sigma = 1.4826 * float(np.median(np.abs(d[::step][quiet]))) if quiet.any() else 0.0
    spikes = np.zeros(n, bool)
    if sigma > 0:
        _spikes(d, valid & ~clipped & ~flat, spike_sigma * sigma, spikes)
    bad = gap | clipped | flat | spikes
    fraction = float(bad.mean())
    dead = fraction > max_bad_fraction or sigma == 0.0
    q = ChannelQuality(
        n,
        int(gap.sum()),
        int(clipped.sum()),
        int(spikes.sum()),
        int(flat.sum()),
        bool(dead),
        fraction,
        med,
    )
    return bad, q


def clean(data: np.ndarray, bad: np.ndarray, median: float | None = None) -> np.ndarray:
    """Float64 copy of ``data`` with its median removed and bad samples set to zero.

    ``median`` (e.g. :attr:`ChannelQuality.median` from :func:`assess`) saves computing it
    again from the good samples.
    """
    x = np.asarray(data, dtype=np.float64)
    good = ~bad
    if median is None:
        xg = x[good]
        median = float(np.median(xg[:: max(1, xg.size // ROBUST_SAMPLES)])) if xg.size else 0.0
    return np.where(good, x - median, 0.0)
