"""Delay-and-sum beams of an array over a grid of horizontal slowness vectors.

A plane wave with horizontal slowness ``s`` (s/km) arriving from back azimuth ``β``
reaches the element at ``(east, north)`` km after the reference point by
``-s (east sin β + north cos β)`` s. A beam adds each element advanced by its delay,
rounded to whole samples (at 20 Hz the rounding error, ≤ 25 ms, costs under 10 % of
beam power up to 4 Hz), and divides by the number of elements; beam sample ``i`` then
belongs to the reference point's time ``i``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba as nb
import numpy as np

from testban.traveltime import KM_PER_DEG

__all__ = ["beam", "beam_delays", "beam_names", "delay_and_sum", "slowness_grid"]


def slowness_grid(rings: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """``(slow, baz)``: slowness (s/°) and back azimuth (°) of every beam of ``rings``.

    ``rings`` are objects with ``slow`` (s/°) and ``naz``; a ring of slowness 0 gives
    one vertical beam.
    """
    slow, baz = [], []
    for r in rings:
        if r.slow <= 0:
            slow.append(0.0)
            baz.append(0.0)
            continue
        az = np.arange(int(r.naz)) * 360.0 / int(r.naz)
        slow += [float(r.slow)] * az.size
        baz += list(az)
    return np.array(slow), np.array(baz)


def beam_names(slow: np.ndarray, baz: np.ndarray) -> list[str]:
    """CSS3.0 ``chan`` names of beams: ``b`` + slowness (s/°, 2 digits) + azimuth (3)."""
    return [f"b{round(s):02d}{round(b) % 360:03d}" for s, b in zip(slow, baz, strict=True)]


def beam_delays(
    east: np.ndarray, north: np.ndarray, slow: np.ndarray, baz: np.ndarray
) -> np.ndarray:
    """``(nbeam, nelem)`` plane-wave delays (s) after the reference point.

    ``east``/``north`` in km, ``slow`` in s/°, ``baz`` back azimuth in degrees.
    """
    s = np.asarray(slow, dtype=float)[:, None] / KM_PER_DEG
    b = np.radians(np.asarray(baz, dtype=float))[:, None]
    return -s * (np.asarray(east)[None, :] * np.sin(b) + np.asarray(north)[None, :] * np.cos(b))


@nb.njit(cache=True, nogil=True, fastmath=True)
def _dsum(x, shifts, out):  # pragma: no cover - compiled
    # Output sample-major (nsamp, nbeam), as the filter bank reads it: for each output
    # sample every beam sums its elements' shifted samples, so the reads stay within a
    # few rows of the current sample of each element (cache-friendly) and no transposed
    # copy is needed. Samples shifted in from beyond the ends count as zero.
    ne, n = x.shape
    nbeam = shifts.shape[0]
    kmin = 0
    kmax = 0
    for b in range(nbeam):
        for e in range(ne):
            kmin = min(kmin, shifts[b, e])
            kmax = max(kmax, shifts[b, e])
    inv = 1.0 / ne
    lo, hi = max(0, -kmin), max(max(0, -kmin), min(n, n - kmax))
    # Interior: every shifted index is in range, so the inner loop has no branch.
    for i in range(lo, hi):
        for b in range(nbeam):
            acc = 0.0
            for e in range(ne):
                acc += x[e, i + shifts[b, e]]
            out[i, b] = acc * inv
    # Edges: samples shifted in from beyond the ends count as zero.
    for i in list(range(0, lo)) + list(range(hi, n)):
        for b in range(nbeam):
            acc = 0.0
            for e in range(ne):
                j = i + shifts[b, e]
                if 0 <= j < n:
                    acc += x[e, j]
            out[i, b] = acc * inv


def delay_and_sum(data: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Beams ``(nsamp, nbeam)`` of element traces ``data`` ``(nelem, nsamp)``.

    ``shifts`` ``(nbeam, nelem)`` are delays in whole samples (``round(delay * fs)``);
    samples shifted in from beyond the ends count as zero. The unit is that of ``data``.
    """
    x = np.ascontiguousarray(data, dtype=np.float64)
    sh = np.ascontiguousarray(shifts, dtype=np.int64)
    out = np.empty((x.shape[1], sh.shape[0]))
    if x.shape[0]:
        _dsum(x, sh, out)
    else:
        out[:] = 0.0
    return out


def beam(
    data: np.ndarray,
    fs: float,
    east: np.ndarray,
    north: np.ndarray,
    slow: float,
    baz: float,
) -> np.ndarray:
    """One beam ``(nsamp,)`` steered to ``slow`` (s/°) from back azimuth ``baz`` (°).

    ``data`` ``(nelem, nsamp)`` sampled at ``fs`` Hz; element offsets in km.
    """
    d = beam_delays(east, north, np.array([slow]), np.array([baz]))
    return delay_and_sum(data, np.round(d * fs).astype(np.int64))[:, 0]
