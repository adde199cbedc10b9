"""STA/LTA characteristic functions, with masking of bad samples, compiled with Numba.

:func:`recursive_sta_lta` is the classic recursive ratio (Withers et al. 1998) as in
``obspy.signal.trigger``, plus a mask: masked samples (gaps, clipping, spikes and the
filter transients after them) neither feed the averages nor produce output; after a
masked stretch longer than the LTA the averages start again. The first ``nlta`` samples
(and those after such a restart) only warm the LTA up (it is then a running mean, so it
is right from the start) and give 0.

:func:`bank_sta_lta` is the detector's hot loop: for each of several traces (beams) it
filters in every band of a bank and runs the STA/LTA, keeping per band the largest ratio
over the traces and which trace gave it. One pass over the samples per trace and band,
nothing but the result stored.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["bank_sta_lta", "recursive_sta_lta"]


@nb.njit(cache=True, nogil=True)
def _stalta_masked(e, nsta, nlta, mask, out):  # pragma: no cover - compiled
    csta, clta = 1.0 / nsta, 1.0 / nlta
    sta = 0.0
    lta = 0.0
    warm = 0
    masked_run = 0
    for i in range(e.size):
        if mask[i]:
            out[i] = 0.0
            masked_run += 1
            if masked_run > nlta:
                warm = 0
                sta = 0.0
                lta = 0.0
            continue
        masked_run = 0
        x = e[i]
        if warm < nlta:
            warm += 1
            lta += (x - lta) / warm
            sta += (x - sta) / min(warm, nsta)
            out[i] = 0.0
            continue
        sta += csta * (x - sta)
        lta += clta * (x - lta)
        out[i] = sta / lta if lta > 0.0 else 0.0


def recursive_sta_lta(
    a: np.ndarray, nsta: int, nlta: int, mask: np.ndarray | None = None
) -> np.ndarray:
    """Recursive STA/LTA of the squared samples of ``a`` (dimensionless ratio).

    ``nsta``/``nlta`` are the averaging lengths in samples; ``mask`` (bool, same length)
    marks samples to ignore (output 0 there).

    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=2000)
    >>> x[1500:1520] *= 20
    >>> r = recursive_sta_lta(x, 10, 200)
    >>> bool(r[:200].max() == 0), bool(r[1500:1530].max() > 10)
    (True, True)
    """
    e = np.square(np.asarray(a, dtype=np.float64))
    m = np.zeros(e.size, np.bool_) if mask is None else np.asarray(mask, dtype=np.bool_)
    out = np.empty(e.size, np.float64)
    _stalta_masked(e, int(nsta), int(nlta), m, out)
    return out


@nb.njit(cache=True, nogil=True, fastmath=True)
def _bank(xt, mask, sos, nsta, nlta, best, arg):  # pragma: no cover - compiled
    # Samples in rows, traces in columns: the inner loops run across traces with the same
    # coefficients, which the compiler vectorises (one IIR chain per trace).
    n, ntr = xt.shape
    nband, nsec = sos.shape[0], sos.shape[1]
    csta, clta = 1.0 / nsta, 1.0 / nlta
    z0 = np.zeros((nsec, ntr))
    z1 = np.zeros((nsec, ntr))
    y = np.empty(ntr)
    sta = np.zeros(ntr)
    lta = np.zeros(ntr)
    r = np.empty(ntr)
    for k in range(nband):
        z0[:] = 0.0
        z1[:] = 0.0
        sta[:] = 0.0
        lta[:] = 0.0
        warm = 0
        masked_run = 0
        for i in range(n):
            for t in range(ntr):
                y[t] = xt[i, t]
            for s in range(nsec):
                b0, b1, b2 = sos[k, s, 0], sos[k, s, 1], sos[k, s, 2]
                a1, a2 = sos[k, s, 4], sos[k, s, 5]
                zs0 = z0[s]
                zs1 = z1[s]
                for t in range(ntr):
                    x = y[t]
                    yy = b0 * x + zs0[t]
                    zs0[t] = b1 * x - a1 * yy + zs1[t]
                    zs1[t] = b2 * x - a2 * yy
                    y[t] = yy
            if mask[i]:
                masked_run += 1
                if masked_run > nlta:
                    warm = 0
                continue
            masked_run = 0
            if warm < nlta:
                warm += 1
                w1 = 1.0 / warm
                w2 = 1.0 / min(warm, nsta)
                for t in range(ntr):
                    e = y[t] * y[t]
                    lta[t] += (e - lta[t]) * w1
                    sta[t] += (e - sta[t]) * w2
                continue
            for t in range(ntr):
                e = y[t] * y[t]
                sta[t] += csta * (e - sta[t])
                lta[t] += clta * (e - lta[t])
                r[t] = sta[t] / lta[t] if lta[t] > 0.0 else 0.0
            bt = 0
            bv = r[0]
            for t in range(1, ntr):
                if r[t] > bv:
                    bv = r[t]
                    bt = t
            best[k, i] = bv
            arg[k, i] = bt


def bank_sta_lta(
    traces: np.ndarray, sos: np.ndarray, nsta: int, nlta: int, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Band-pass every trace in every band, STA/LTA, keep the best trace per band.

    Parameters
    ----------
    traces : ``(nsamp, ntrace)`` samples, one trace per column (any unit; e.g. the beams
        of one array, or one channel). Masked samples should be zero (they still pass
        through the filters).
    sos : ``(nband, nsection, 6)`` second-order sections (:func:`~testban.detect.filters.bank_sos`).
    nsta, nlta : STA and LTA lengths in samples.
    mask : ``(nsamp,)`` bool, samples that give no ratio (gaps, clipping, transients).

    Returns
    -------
    ratio : ``(nband, nsamp)`` float32, the largest STA/LTA over the traces (0 when masked
        or warming up).
    trace : ``(nband, nsamp)`` int16, the index of the trace that gave it.
    """
    tr = np.asarray(traces, dtype=np.float64)
    tr = np.ascontiguousarray(tr[:, None] if tr.ndim == 1 else tr)
    n = tr.shape[0]
    m = np.zeros(n, np.bool_) if mask is None else np.ascontiguousarray(mask, dtype=np.bool_)
    best = np.zeros((sos.shape[0], n), np.float32)
    arg = np.zeros((sos.shape[0], n), np.int16)
    if n and sos.shape[0]:
        _bank(tr, m, np.ascontiguousarray(sos, dtype=np.float64), int(nsta), int(nlta), best, arg)
    return best, arg
