"""Compiled loops of the associator: back-projection stacking and candidate peaks.

The stack counts, for every grid node and origin-time bin, the distinct station-phases
whose detections are consistent with an event there and then (time within the node's
tolerance, azimuth and slowness within their gates). Loops are over nodes × arrivals, which
NumPy cannot express without a nodes × arrivals × bins temporary.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def _slowness_gate(ph, slow, slowsig, p, slow_grid, n_sigma):  # pragma: no cover - compiled
    """(inside the P slowness gate?, how far inside: 1 at zero residual, 0 at the edge);
    always inside, with no credit, for S or an arrival without slowness."""
    if ph != 0 or not math.isfinite(slow):
        return True, 0.0
    width = n_sigma * slowsig + slow_grid
    r = abs(slow - p)
    return r <= width, 1.0 - r / width


@numba.njit(cache=True, inline="always")
def _azimuth_gate(az, azsig, baz, grid_az, n_sigma):  # pragma: no cover - compiled
    """(inside the back-azimuth gate?, how far inside), widened by ``grid_az``, the azimuth
    span of a grid cell seen from the station (:attr:`Tables.gaz`); always inside, with no
    credit, without an azimuth."""
    if not math.isfinite(az):
        return True, 0.0
    width = n_sigma * azsig + grid_az
    r = abs((az - baz + 540.0) % 360.0 - 180.0)
    return r <= width, 1.0 - r / width


#: Weight of the fit (time, azimuth, slowness; each 0–1) in a vote: small enough that the
#: stack's integer part stays the number of station-phases (up to 1/TIE − 1 of them), so
#: ``min_votes`` keeps its meaning, large enough to break the ties of a plateau of equal
#: counts in favour of the node and time that fit the votes best (not the first index).
TIE = 1.0 / 64.0


@numba.njit(cache=True)
def stack(
    sta: np.ndarray,  # (n,) int64 station index, sorted
    t: np.ndarray,  # (n,) float64, seconds after the first bin's start
    vote: np.ndarray,  # (n,) int64 bit 1: votes as first P, bit 2: as first S
    tsig: np.ndarray,  # (n,) float64 time σ (pick ⊕ model), s
    az: np.ndarray,  # (n,) float64 back azimuth (°), NaN when not used
    azsig: np.ndarray,
    slow: np.ndarray,  # (n,) float64 slowness (table units), NaN when not used
    slowsig: np.ndarray,
    tp: np.ndarray,  # (m, k) float32 first-P travel time per node and station
    pp: np.ndarray,  # (m, k) float32 its slowness
    ts: np.ndarray,  # (m, k) float32 first-S travel time
    ps: np.ndarray,
    baz: np.ndarray,  # (m, k) float32 station→node azimuth (°)
    gaz: np.ndarray,  # (m, k) float32 azimuth span of the node's cell from the station (°)
    cell: float,  # half-diagonal of a grid cell (table distance units)
    slow_grid: float,  # slowness change across a cell (table units)
    n_sigma: float,
    bw: float,
    out: np.ndarray,  # (m, nb) float32, zeroed
) -> None:
    """Per node and bin, Σ over station-phases of the best vote among the station's
    detections: 1 + :data:`TIE` × (mean fit of time, azimuth and slowness)."""
    m, nb = out.shape
    n = sta.size
    tmp = np.zeros(nb, np.float32)
    lo = np.empty(n, np.int64)
    hi = np.empty(n, np.int64)
    n_ph = 1
    for i in range(n):
        if (vote[i] >> 1) & 1:
            n_ph = 2
    for j in range(m):
        g0 = 0
        while g0 < n:
            s = sta[g0]
            g1 = g0
            while g1 < n and sta[g1] == s:
                g1 += 1
            for ph in range(n_ph):
                tt = tp[j, s] if ph == 0 else ts[j, s]
                if not math.isfinite(tt):
                    continue
                p = pp[j, s] if ph == 0 else ps[j, s]
                tol_c = abs(p) * cell
                # The best vote of the station's detections in each bin, then added once.
                for i in range(g0, g1):
                    lo[i] = 0
                    hi[i] = -1
                    if not (vote[i] >> ph) & 1:
                        continue
                    # Time first: most detections fall outside the window for this node.
                    tol = n_sigma * tsig[i] + tol_c
                    t0 = t[i] - tt
                    b0 = int(math.floor((t0 - tol) / bw))
                    b1 = int(math.floor((t0 + tol) / bw))
                    if b1 < 0 or b0 >= nb:
                        continue
                    ok_s, fit_s = _slowness_gate(ph, slow[i], slowsig[i], p, slow_grid, n_sigma)
                    if not ok_s:
                        continue
                    ok_a, fit_a = _azimuth_gate(az[i], azsig[i], baz[j, s], gaz[j, s], n_sigma)
                    if not ok_a:
                        continue
                    b0 = max(b0, 0)
                    b1 = min(b1, nb - 1)
                    lo[i] = b0
                    hi[i] = b1
                    w0 = 1.0 + TIE * (fit_s + fit_a) / 3.0
                    k_t = TIE / 3.0 / (tol + 0.5 * bw)
                    for b in range(b0, b1 + 1):
                        w = w0 + max(TIE / 3.0 - k_t * abs(t0 - (b + 0.5) * bw), 0.0)
                        if w > tmp[b]:
                            tmp[b] = w
                for i in range(g0, g1):
                    for b in range(lo[i], hi[i] + 1):
                        if tmp[b] > 0.0:
                            out[j, b] += tmp[b]
                            tmp[b] = 0.0
            g0 = g1


@numba.njit(cache=True)
def peaks(
    out: np.ndarray, nbr_ptr: np.ndarray, nbr: np.ndarray, half: int, min_votes: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local maxima of the stack over neighbouring nodes and ±``half`` bins (ties: first).

    Each node's running maximum over ±``half`` bins is taken first, so that a cell is
    compared with one value per neighbour; bins are only scanned on a tie."""
    m, nb = out.shape
    run = np.empty_like(out)
    for j in range(m):
        for b in range(nb):
            w = out[j, b]
            for bb in range(max(b - half, 0), min(b + half + 1, nb)):
                if out[j, bb] > w:
                    w = out[j, bb]
            run[j, b] = w
    js, bs, vs = [], [], []
    for j in range(m):
        for b in range(nb):
            v = out[j, b]
            if v < min_votes or run[j, b] > v:
                continue
            ok = True
            for q in range(nbr_ptr[j], nbr_ptr[j + 1]):
                jj = nbr[q]
                w = run[jj, b]
                if w < v:
                    continue
                if w > v:
                    ok = False
                    break
                for bb in range(max(b - half, 0), min(b + half + 1, nb)):
                    if out[jj, bb] == v and (jj < j or (jj == j and bb < b)):
                        ok = False
                        break
                if not ok:
                    break
            if ok:
                js.append(j)
                bs.append(b)
                vs.append(v)
    return np.array(js, np.int64), np.array(bs, np.int64), np.array(vs, np.float64)


@numba.njit(cache=True)
def signatures(
    js: np.ndarray,
    bs: np.ndarray,
    sta: np.ndarray,
    t: np.ndarray,
    vote: np.ndarray,
    tsig: np.ndarray,
    az: np.ndarray,
    azsig: np.ndarray,
    slow: np.ndarray,
    slowsig: np.ndarray,
    tp: np.ndarray,
    pp: np.ndarray,
    ts: np.ndarray,
    ps: np.ndarray,
    baz: np.ndarray,
    gaz: np.ndarray,
    cell: float,
    slow_grid: float,
    n_sigma: float,
    bw: float,
) -> tuple[np.ndarray, np.ndarray]:
    """A hash of the detections that voted for each peak (same gates as :func:`stack`), so
    that peaks explained by the same detections are evaluated once, and a quality to rank
    them: per voting detection 1 plus, for time, azimuth and slowness, how far inside its
    gate it is (1 at zero residual, 0 at the gate)."""
    out = np.zeros(js.size, np.int64)
    qual = np.zeros(js.size, np.float64)
    for q in range(js.size):
        j, b = js[q], bs[q]
        h = np.int64(1469598103934665603)
        tc = (b + 0.5) * bw
        for i in range(sta.size):
            s = sta[i]
            for ph in range(2):
                if not (vote[i] >> ph) & 1:
                    continue
                tt = tp[j, s] if ph == 0 else ts[j, s]
                if not math.isfinite(tt):
                    continue
                p = pp[j, s] if ph == 0 else ps[j, s]
                ok_s, fit_s = _slowness_gate(ph, slow[i], slowsig[i], p, slow_grid, n_sigma)
                ok_a, fit_a = _azimuth_gate(az[i], azsig[i], baz[j, s], gaz[j, s], n_sigma)
                if not (ok_s and ok_a):
                    continue
                fit = fit_s + fit_a
                tol = n_sigma * tsig[i] + abs(p) * cell + 0.5 * bw
                dt = abs(t[i] - tt - tc)
                if dt <= tol:
                    h = (h ^ np.int64(2 * i + ph + 1)) * np.int64(1099511628211)
                    qual[q] += 1.0 + fit + 1.0 - dt / tol
        out[q] = h
    return out, qual


@numba.njit(cache=True)
def local_misfit(
    x: np.ndarray,  # (m,) trial east km
    y: np.ndarray,  # (m,) trial north km
    z: np.ndarray,  # (m,) trial depth km
    sx: np.ndarray,  # (n,) station east km of each pick
    sy: np.ndarray,
    wave: np.ndarray,  # (n,) 0 P, 1 S
    t: np.ndarray,  # (n,) pick times (s, relative)
    w: np.ndarray,  # (n,) weights 1/σ²
    tab_p: np.ndarray,  # (nx, nz) first-P time table, 0.25 km steps
    tab_s: np.ndarray,
    step: float,
    cap: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Robust misfit Σ min(w r², cap) and the best origin time at each trial point."""
    m, n = x.size, t.size
    nx, nz = tab_p.shape
    mis = np.empty(m)
    ot = np.empty(m)
    tt = np.empty(n)
    for k in range(m):
        fz = min(max(z[k] / step, 0.0), nz - 1.001)
        iz = int(fz)
        c = fz - iz
        for i in range(n):
            d = math.hypot(x[k] - sx[i], y[k] - sy[i])
            fx = min(d / step, nx - 1.001)
            ix = int(fx)
            a = fx - ix
            tab = tab_p if wave[i] == 0 else tab_s
            tt[i] = (
                tab[ix, iz] * (1 - a) * (1 - c)
                + tab[ix + 1, iz] * a * (1 - c)
                + tab[ix, iz + 1] * (1 - a) * c
                + tab[ix + 1, iz + 1] * a * c
            )
        sw, swr = 0.0, 0.0
        for i in range(n):
            sw += w[i]
            swr += w[i] * (t[i] - tt[i])
        o = swr / sw
        s = 0.0
        for i in range(n):
            r = t[i] - tt[i] - o
            s += min(w[i] * r * r, cap)
        mis[k] = s
        ot[k] = o
    return mis, ot
