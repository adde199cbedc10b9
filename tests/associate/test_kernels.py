"""The associator's compiled kernels against plain reference implementations."""

from __future__ import annotations

import math

import numpy as np

from testban.associate import HADLEY_KANAMORI, AssociatorConfig, kernels
from testban.associate.geometry import LocalGeometry
from testban.associate.kernels import TIE


def _stack_reference(sta, t, vote, tsig, tp, pp, ts, ps, cell, n_sigma, bw, nb):
    """Per node, bin and station-phase the best vote, added once (no azimuth/slowness)."""
    m = tp.shape[0]
    out = np.zeros((m, nb), np.float32)
    for j in range(m):
        for s in np.unique(sta):
            for ph in (0, 1):
                tt = (tp if ph == 0 else ts)[j, s]
                p = (pp if ph == 0 else ps)[j, s]
                best = np.zeros(nb, np.float32)
                for i in np.flatnonzero((sta == s) & ((vote >> ph) & 1 == 1)):
                    tol = n_sigma * tsig[i] + abs(p) * cell
                    t0 = t[i] - tt
                    b0 = max(math.floor((t0 - tol) / bw), 0)
                    b1 = min(math.floor((t0 + tol) / bw), nb - 1)
                    k_t = TIE / 3.0 / (tol + 0.5 * bw)
                    for b in range(b0, b1 + 1):
                        w = 1.0 + max(TIE / 3.0 - k_t * abs(t0 - (b + 0.5) * bw), 0.0)
                        if w > best[b]:
                            best[b] = w
                out[j] += best
    return out


def test_stack_lone_and_overlapping_votes_match_the_reference():
    rng = np.random.default_rng(3)
    m, k, nb, n = 7, 4, 120, 40
    tp = rng.uniform(1.0, 8.0, (m, k)).astype(np.float32)
    ts = (tp * 1.73).astype(np.float32)
    pp = rng.uniform(0.1, 0.2, (m, k)).astype(np.float32)
    ps = (pp * 1.73).astype(np.float32)
    sta = np.sort(rng.integers(0, k, n))
    # Times sorted per station, some far apart (lone votes), some within a bin or two.
    t = np.concatenate([np.sort(rng.uniform(0, 60, (sta == s).sum())) for s in range(k)])
    vote = rng.integers(1, 4, n)
    tsig = rng.uniform(0.2, 0.5, n)
    nan = np.full(n, np.nan)
    out = np.zeros((m, nb), np.float32)
    kernels.stack(sta, t, vote, tsig, nan, nan, nan, nan, tp, pp, ts, ps,
                  np.zeros((m, k), np.float32), np.zeros((m, k), np.float32), 1.5, 0.0, 3.0,
                  0.5, out)  # fmt: skip
    ref = _stack_reference(sta, t, vote, tsig, tp, pp, ts, ps, 1.5, 3.0, 0.5, nb)
    assert np.array_equal(out, ref)


def test_local_locate_is_the_two_stage_misfit_grid():
    geo = LocalGeometry(np.array([33.0, 33.2, 33.1, 32.9]), np.array([-115.6, -115.5, -115.8,
                        -115.7]), AssociatorConfig.local(layers=HADLEY_KANAMORI))  # fmt: skip
    rng = np.random.default_rng(5)
    sta = np.array([0, 0, 1, 1, 2, 3, 3])
    wave = np.array([0, 1, 0, 1, 0, 0, 1])
    t = rng.uniform(0.0, 6.0, sta.size)
    w = rng.uniform(1.0, 4.0, sta.size)
    tab_p, tab_s = geo.tab["P"][0], geo.tab["S"][0]
    x0, y0, z0 = 1.3, -2.1, 7.0
    got = kernels.local_locate(x0, y0, z0, geo.sx[sta], geo.sy[sta], wave, t, w, tab_p,
                               tab_s, 0.25, 9.0)  # fmt: skip
    for step, zs in ((1.0, np.arange(0.0, 31.0, 2.0)), (0.25, None)):
        u = np.arange(-4, 5) * step
        if zs is None:
            zs = np.clip(z0 + np.arange(-4, 5) * 0.5, 0.0, 40.0)
        X, Y, Z = (v.ravel() for v in np.meshgrid(x0 + u, y0 + u, zs, indexing="ij"))
        mis, ot = kernels.local_misfit(X, Y, Z, geo.sx[sta], geo.sy[sta], wave, t, w, tab_p,
                                       tab_s, 0.25, 9.0)  # fmt: skip
        best = int(np.argmin(mis))
        x0, y0, z0 = X[best], Y[best], Z[best]
    assert got == (x0, y0, z0, ot[best], mis[best])


def test_local_first_is_the_table_interpolation():
    geo = LocalGeometry(np.array([33.0, 33.4]), np.array([-115.6, -115.2]),
                        AssociatorConfig.local())  # fmt: skip
    dx, dy = np.array([0.0, 3.7, -20.2, 150.0]), np.array([0.0, -8.1, 40.3, 300.0])
    (pt, pp), (st, sp) = geo.tab["P"], geo.tab["S"]
    tp, ppk, tsk, psk, d = kernels.local_first(dx, dy, 9.3, pt, pp, st, sp, 0.25)
    z = np.full(dx.shape, 9.3)
    assert np.array_equal(d, np.hypot(dx, dy))
    assert all(map(np.array_equal, (tp, ppk), geo.first("P", d, z)))
    assert all(map(np.array_equal, (tsk, psk), geo.first("S", d, z)))


def test_local_gather_best_per_station_and_row():
    time = np.array([10.0, 12.0, 12.1, 13.0, 14.5, 15.0, 40.0])
    sta = np.array([0, 0, 0, 1, 1, 0, 1])
    cls = np.array([0, 0, 2, 1, 0, 1, 3])
    tsig = np.full(time.size, 0.2)
    used = np.zeros(time.size, bool)
    used[0] = True
    ptime = np.array([[2.0, 3.0], [3.5, 5.2]])  # rows P, S × stations
    got, rows, q = kernels.local_gather(time, sta, cls, tsig, used, 10.0, ptime,
                                        np.full((2, 2), 0.2), np.full((2, 2), 0.4),
                                        np.array([0, 1]), 2, 0.0, 3.0)  # fmt: skip
    # σ = hypot(0.2, 0.4) ≈ 0.45 s, gate 3σ ≈ 1.34 s. Station 0, P: index 1 fits exactly
    # (0 is used, the unknown 2 fits worse); its S (15.0) is 1.5 s late. Station 1: S
    # (13.0) 2.2 s early, P (14.5) 1.5 s late; 6 is an "other" phase.
    assert got.tolist() == [1]
    assert rows.tolist() == [0]
    assert q[0] == 0.0
