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
def _station_phases(sta, t, vote, ntol, n_ph, pp, ps, cell, bw):  # pragma: no cover
    """The voting detections of each station-phase (CSR ``ptr`` over ``idx``, in input
    order) and whether each one is alone: its bins cannot meet another's of the same
    station-phase at any node (times sorted, gap above both tolerances plus two bins),
    so that its vote may go straight into the stack."""
    n = sta.size
    m = pp.shape[0]
    idx = np.empty(n * n_ph, np.int64)
    ptr = np.zeros(n * n_ph + 1, np.int64)
    g_sta = np.empty(n * n_ph, np.int64)
    g_ph = np.empty(n * n_ph, np.int64)
    k = 0
    ng = 0
    g0 = 0
    while g0 < n:
        s = sta[g0]
        g1 = g0
        while g1 < n and sta[g1] == s:
            g1 += 1
        for ph in range(n_ph):
            k0 = k
            for i in range(g0, g1):
                if (vote[i] >> ph) & 1:
                    idx[k] = i
                    k += 1
            if k > k0:
                g_sta[ng] = s
                g_ph[ng] = ph
                ng += 1
                ptr[ng] = k
        g0 = g1
    alone = np.ones(k, np.bool_)
    for g in range(ng):
        s, ph, q0, q1 = g_sta[g], g_ph[g], ptr[g], ptr[g + 1]
        pmax = 0.0
        for j in range(m):
            p = abs(pp[j, s]) if ph == 0 else abs(ps[j, s])
            if p > pmax or not math.isfinite(p):
                pmax = p
        tmax = 0.0
        for q in range(q0, q1):
            tmax = max(tmax, ntol[idx[q]])
        gap = 2.0 * (tmax + pmax * cell + bw)
        for q in range(q0, q1 - 1):
            if not t[idx[q + 1]] >= t[idx[q]]:  # unsorted: none is alone
                alone[q0:q1] = False
                break
            if not t[idx[q + 1]] - t[idx[q]] > gap:
                alone[q] = False
                alone[q + 1] = False
    return ptr[: ng + 1], g_sta[:ng], g_ph[:ng], idx[:k], alone


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
) -> None:  # pragma: no cover - compiled
    """Per node and bin, Σ over station-phases of the best vote among the station's
    detections: 1 + :data:`TIE` × (mean fit of time, azimuth and slowness)."""
    m, nb = out.shape
    n = sta.size
    tmp = np.zeros(nb, np.float32)
    n_ph = 1
    gates = False  # any azimuth or slowness (none on a local network)
    ntol = np.empty(n)
    for i in range(n):
        if (vote[i] >> 1) & 1:
            n_ph = 2
        if math.isfinite(az[i]) or math.isfinite(slow[i]):
            gates = True
        ntol[i] = n_sigma * tsig[i]
    ptr, g_sta, g_ph, idx, alone = _station_phases(sta, t, vote, ntol, n_ph, pp, ps, cell, bw)
    lo = np.empty(idx.size, np.int64)  # bins of each station-phase's detection
    hi = np.empty(idx.size, np.int64)
    third = TIE / 3.0
    for j in range(m):
        for g in range(g_sta.size):
            s, ph = g_sta[g], g_ph[g]
            tt = tp[j, s] if ph == 0 else ts[j, s]
            if not math.isfinite(tt):
                continue
            p = pp[j, s] if ph == 0 else ps[j, s]
            tol_c = abs(p) * cell
            pending = False
            # The best vote of the station's detections in each bin, then added once (a
            # lone detection's straight away: no other one shares its bins).
            for q in range(ptr[g], ptr[g + 1]):
                i = idx[q]
                lo[q] = 0
                hi[q] = -1
                # Time first: most detections fall outside the window for this node.
                tol = ntol[i] + tol_c
                t0 = t[i] - tt
                b0 = int(math.floor((t0 - tol) / bw))
                b1 = int(math.floor((t0 + tol) / bw))
                if b1 < 0 or b0 >= nb:
                    continue
                fit = 0.0
                if gates:
                    ok_s, fit_s = _slowness_gate(ph, slow[i], slowsig[i], p, slow_grid, n_sigma)
                    if not ok_s:
                        continue
                    ok_a, fit_a = _azimuth_gate(az[i], azsig[i], baz[j, s], gaz[j, s], n_sigma)
                    if not ok_a:
                        continue
                    fit = fit_s + fit_a
                b0 = max(b0, 0)
                b1 = min(b1, nb - 1)
                w0 = 1.0 + TIE * fit / 3.0
                k_t = third / (tol + 0.5 * bw)
                if alone[q]:
                    for b in range(b0, b1 + 1):
                        w = w0 + max(third - k_t * abs(t0 - (b + 0.5) * bw), 0.0)
                        out[j, b] += np.float32(w)
                    continue
                pending = True
                lo[q] = b0
                hi[q] = b1
                for b in range(b0, b1 + 1):
                    w = w0 + max(third - k_t * abs(t0 - (b + 0.5) * bw), 0.0)
                    tmp[b] = max(tmp[b], np.float32(w))
            if pending:
                for q in range(ptr[g], ptr[g + 1]):
                    for b in range(lo[q], hi[q] + 1):
                        if tmp[b] > 0.0:
                            out[j, b] += tmp[b]
                            tmp[b] = 0.0


@numba.njit(cache=True, inline="always")
def _run_max(out, j, b, half, nb):  # pragma: no cover - compiled
    w = out[j, b]
    for bb in range(max(b - half, 0), min(b + half + 1, nb)):
        if out[j, bb] > w:
            w = out[j, bb]
    return w


@numba.njit(cache=True)
def peaks(
    out: np.ndarray, nbr_ptr: np.ndarray, nbr: np.ndarray, half: int, min_votes: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Local maxima of the stack over neighbouring nodes and ±``half`` bins (ties: first).

    Only cells with ``min_votes`` are examined; each compares its value with the maximum
    over ±``half`` bins of itself and every neighbour, bins being scanned on a tie."""
    m, nb = out.shape
    js, bs, vs = [], [], []
    for j in range(m):
        for b in range(nb):
            v = out[j, b]
            if v < min_votes or _run_max(out, j, b, half, nb) > v:
                continue
            ok = True
            for q in range(nbr_ptr[j], nbr_ptr[j + 1]):
                jj = nbr[q]
                w = _run_max(out, jj, b, half, nb)
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


@numba.njit(cache=True, inline="always")
def _bilinear(tab, fx, fz):  # pragma: no cover - compiled
    """Table value at fractional indices (as :meth:`LocalGeometry.first`)."""
    i, k = int(fx), int(fz)
    a, c = fx - i, fz - k
    return (
        tab[i, k] * (1 - a) * (1 - c)
        + tab[i + 1, k] * a * (1 - c)
        + tab[i, k + 1] * (1 - a) * c
        + tab[i + 1, k + 1] * a * c
    )


@numba.njit(cache=True)
def local_first(
    dx: np.ndarray,  # (n,) km east of each station
    dy: np.ndarray,  # (n,) km north
    z: float,  # source depth (km)
    tab_pt: np.ndarray,  # (nx, nz) first-P time, ``step`` km in distance and depth
    tab_pp: np.ndarray,  # its slowness
    tab_st: np.ndarray,  # first-S time
    tab_sp: np.ndarray,
    step: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """Distance and the first P's and S's time and slowness at each station (bilinear in
    the tables, as :meth:`LocalGeometry.first`): (tp, pp, ts, ps, dist)."""
    n = dx.size
    nx, nz = tab_pt.shape
    out = np.empty((5, n))
    fz = min(max(z / step, 0.0), nz - 1.001)
    for i in range(n):
        d = math.hypot(dx[i], dy[i])
        fx = min(max(d / step, 0.0), nx - 1.001)
        out[0, i] = _bilinear(tab_pt, fx, fz)
        out[1, i] = _bilinear(tab_pp, fx, fz)
        out[2, i] = _bilinear(tab_st, fx, fz)
        out[3, i] = _bilinear(tab_sp, fx, fz)
        out[4, i] = d
    return out[0], out[1], out[2], out[3], out[4]


@numba.njit(cache=True)
def local_gather(
    time: np.ndarray,  # (N,) every detection's time, sorted
    sta: np.ndarray,  # (N,) station index
    cls: np.ndarray,  # (N,) 0 P-type, 1 S-type, 2 unknown, 3 other
    tsig: np.ndarray,  # (N,) pick σ (s)
    used: np.ndarray,  # (N,) bool, taken by an event
    t0: float,  # origin time
    ptime: np.ndarray,  # (nph, nsta) predicted travel time per row (P, S)
    pslow: np.ndarray,  # (nph, nsta) its slowness
    psig: np.ndarray,  # (nph, nsta) its model error (s)
    family: np.ndarray,  # (nph,) 0 P-type, 1 S-type
    nph: int,  # rows considered
    extra_tol: float,  # location uncertainty (km), widening the gate by |slowness| × it
    n_sigma: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """The best-fitting detection per station and row (no azimuths or slownesses: a local
    network), ordered by station and row: (indices, rows, |residual| / gate)."""
    nsta = ptime.shape[1]
    tmax = -np.inf
    for r in range(ptime.shape[0]):
        for s in range(nsta):
            if math.isfinite(ptime[r, s]) and ptime[r, s] > tmax:
                tmax = ptime[r, s]
    if tmax == -np.inf:
        tmax = 0.0
    lo = np.searchsorted(time, t0 - 30.0)
    hi = np.searchsorted(time, t0 + tmax + 60.0)
    best_q = np.full(nsta * nph, np.inf)
    best_i = np.full(nsta * nph, -1, np.int64)
    for i in range(lo, hi):
        c = cls[i]
        if used[i] or c == 3:
            continue
        s = sta[i]
        q_i = np.inf
        ph_i = -1
        for ph in range(nph):
            if not (c == 2 or c == family[ph]):
                continue
            sig = math.hypot(tsig[i], psig[ph, s])
            r = (time[i] - t0 - ptime[ph, s]) / sig
            tol = n_sigma + extra_tol * abs(pslow[ph, s]) / sig
            if not (math.isfinite(r) and abs(r) <= tol):
                continue
            q = abs(r) / max(tol, 1e-9)
            if q < q_i:
                q_i = q
                ph_i = ph
        if ph_i >= 0:
            key = s * nph + ph_i
            if q_i < best_q[key]:
                best_q[key] = q_i
                best_i[key] = i
    n = 0
    for key in range(nsta * nph):
        if best_i[key] >= 0:
            n += 1
    got = np.empty(n, np.int64)
    rows = np.empty(n, np.int64)
    fit = np.empty(n)
    n = 0
    for key in range(nsta * nph):
        if best_i[key] >= 0:
            got[n] = best_i[key]
            rows[n] = key % nph
            fit[n] = best_q[key]
            n += 1
    return got, rows, fit


@numba.njit(cache=True)
def local_locate(
    x0: float,  # start east km
    y0: float,  # start north km
    z0: float,  # start depth km
    sx: np.ndarray,  # (n,) station east km of each pick
    sy: np.ndarray,
    wave: np.ndarray,  # (n,) 0 P, 1 S
    t: np.ndarray,  # (n,) pick times (s, relative)
    w: np.ndarray,  # (n,) weights 1/σ²
    tab_p: np.ndarray,  # (nx, nz) first-P time table, ``step`` km steps
    tab_s: np.ndarray,
    step: float,
    cap: float,
) -> tuple[float, float, float, float, float]:  # pragma: no cover - compiled
    """Two-stage grid refinement of :func:`local_misfit`: ±4 km in 1 km steps at depths
    0–30 km every 2 km, then ±1 km in 0.25 km steps at ±2 km in 0.5 km steps about the
    best; the first minimum in (x, y, z) order wins. Returns (x, y, z, origin time,
    misfit)."""
    n = t.size
    nx, nz = tab_p.shape
    tt = np.empty((16, n))
    fx = np.empty(n)
    zs = np.empty(16)
    bo, bm = 0.0, 0.0
    for stage in range(2):
        dxy = 1.0 if stage == 0 else 0.25
        nzs = 16 if stage == 0 else 9
        for iz in range(nzs):
            zs[iz] = iz * 2.0 if stage == 0 else min(max(z0 + (iz - 4) * 0.5, 0.0), 40.0)
        best = np.inf
        found = False
        bx, by, bz = x0, y0, z0
        for ix in range(9):
            x = x0 + (ix - 4) * dxy
            for iy in range(9):
                y = y0 + (iy - 4) * dxy
                for i in range(n):
                    fx[i] = min(math.hypot(x - sx[i], y - sy[i]) / step, nx - 1.001)
                for iz in range(nzs):
                    fz = min(max(zs[iz] / step, 0.0), nz - 1.001)
                    sw, swr = 0.0, 0.0
                    for i in range(n):
                        tab = tab_p if wave[i] == 0 else tab_s
                        tt[iz, i] = _bilinear(tab, fx[i], fz)
                    for i in range(n):
                        sw += w[i]
                        swr += w[i] * (t[i] - tt[iz, i])
                    o = swr / sw
                    s = 0.0
                    for i in range(n):
                        r = t[i] - tt[iz, i] - o
                        s += min(w[i] * r * r, cap)
                    # np.argmin: the first NaN, else the first minimum.
                    if not found and (s < best or math.isnan(s)):
                        best, bo = s, o
                        bx, by, bz = x, y, zs[iz]
                        found = math.isnan(s)
        x0, y0, z0, bm = bx, by, bz, best
    return x0, y0, z0, bo, bm
