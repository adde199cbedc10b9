"""Master-event and double-difference relative location, linearised with slowness vectors.

Both methods use the same first-order model for the arrival time of a phase at station k
from an event at horizontal offset x (km, east/north), depth offset z (km) and origin time
T, around a reference source point where the ray leaves with slowness vector s_k (s/km)
and vertical slowness dT/dh:

    t^k = T + T_k(ref) − s_k · x + (dT/dh)_k z

* **Master event** (Evernden 1969; Gibbons et al. 2017): the reference is the master, of
  known location; the station-phase corrections ``t_m^k − T_m − T_k(master)`` cancel in
  the differential times ``t_j^k − t_m^k = (T_j − T_m) − s_k · x_j + (dT/dh)_k z_j``, so each
  event is located on its own from the times measured against the master.
* **Double differences** (Waldhauser & Ellsworth 2000): every pair (i, j) observed at k
  gives ``t_j^k − t_i^k = (T_j − T_i) − s_k · (x_j − x_i) + (dT/dh)_k (z_j − z_i)``; all
  events are solved jointly, with the cluster centroid (or one event) held fixed, because
  differential times cannot see a common shift of the whole cluster.

Each solve is robust (iteratively reweighted, automatic rejection of bad picks: see
:mod:`testban.relocate.solve`) and gives a covariance and a 90 % confidence ellipse per event.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from testban.relocate.model import (
    Cluster,
    SlownessVectors,
    StationPhases,
    from_local,
    slowness_vectors,
)
from testban.relocate.solve import RobustFit, confidence_scale, ellipse, robust_lsq

#: Parameter order per event in covariances: east (km), north (km), depth (km), time (s).
PARAMS = ("east", "north", "depth", "time")


@dataclass(frozen=True)
class Relocation:
    """Relative locations of a cluster, their uncertainties and the observations used.

    Offsets ``east``/``north``/``ddepth`` (km) and ``dtime`` (s) are relative to the
    reference ``ref`` (lat, lon, depth, time): the master, or the fixed centroid. ``lat``,
    ``lon``, ``depth``, ``time`` are absolute (time NaN where the reference time is
    unknown). ``cov`` is (n, 4, 4) over :data:`PARAMS`; the ellipse is at ``conf``.
    Events without enough observations have NaN everywhere.
    """

    method: str
    events: tuple[str, ...]
    ref: tuple[float, float, float, float]
    east: np.ndarray
    north: np.ndarray
    ddepth: np.ndarray
    dtime: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    depth: np.ndarray
    time: np.ndarray
    cov: np.ndarray
    smajax: np.ndarray
    sminax: np.ndarray
    strike: np.ndarray
    stime: np.ndarray
    sdepth: np.ndarray
    ndef: np.ndarray
    nrejected: np.ndarray
    sdobs: np.ndarray
    conf: float
    fit: RobustFit
    obs_i: np.ndarray  # per observation row: first event (the master for master-event)
    obs_j: np.ndarray  # second event
    obs_k: np.ndarray  # station-phase
    slowness: SlownessVectors
    corrections: np.ndarray | None = None  # station-phase corrections at the master (s)

    def rejected(self, stations: StationPhases) -> list[tuple[str, str, str, str, float]]:
        """(event i, event j, station, phase, residual s) of every rejected observation."""
        return [
            (
                self.events[self.obs_i[r]],
                self.events[self.obs_j[r]],
                str(stations.sta[self.obs_k[r]]),
                str(stations.phase[self.obs_k[r]]),
                float(self.fit.residual[r]),
            )
            for r in np.flatnonzero(~self.fit.used)
        ]


def _average(code: np.ndarray, *values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Unique codes and the mean of each value array over repeats of a code."""
    uniq, inv = np.unique(code, return_inverse=True)
    count = np.bincount(inv)
    return (uniq, *(np.bincount(inv, v) / count for v in values))


def _groups(cluster: Cluster, k: np.ndarray, sigma_by: str) -> np.ndarray:
    """Noise groups of observations: per phase, per station-phase, or one for all."""
    if sigma_by == "phase":
        return np.unique(cluster.stations.phase, return_inverse=True)[1][k]
    if sigma_by == "station-phase":
        return k
    if sigma_by == "all":
        return np.zeros(k.size, int)
    raise ValueError(f"sigma_by must be 'phase', 'station-phase' or 'all', not {sigma_by!r}")


def _design(
    sv: SlownessVectors,
    k: np.ndarray,
    cols: list[tuple[np.ndarray, float]],
    npar: int,
    ncol: int,
) -> sp.csr_matrix:
    """Rows ``sign · [−s_e, −s_n, (dT/dh), 1]`` at each (event-column-base, sign) pair."""
    per = [-sv.east[k], -sv.north[k]] + ([sv.dtdh[k]] if npar == 4 else []) + [np.ones(k.size)]
    rows, cc, vals = [], [], []
    n = k.size
    for base, sign in cols:
        ok = base >= 0
        for q, v in enumerate(per):
            rows.append(np.flatnonzero(ok))
            cc.append(base[ok] + q)
            vals.append(sign * v[ok])
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cc))), shape=(n, ncol)
    )


def _finish(
    method: str,
    cluster: Cluster,
    ref: tuple[float, float, float, float],
    col: np.ndarray,
    fit: RobustFit,
    fix_depth: bool,
    obs: tuple[np.ndarray, np.ndarray, np.ndarray],
    sv: SlownessVectors,
    conf: float,
    corrections: np.ndarray | None = None,
    base_time: np.ndarray | None = None,
) -> Relocation:
    """Unpack a fit into per-event offsets, absolute positions, covariances and ellipses."""
    n = len(cluster.events)
    npar = 3 if fix_depth else 4
    sel = [0, 1, 3] if fix_depth else [0, 1, 2, 3]
    est = np.full((n, 4), np.nan)
    cov = np.full((n, 4, 4), np.nan)
    has = col >= 0
    idx = col[has][:, None] * npar + np.arange(npar)[None, :]
    block = np.full((n, npar), np.nan)
    block[has] = fit.m[idx]
    est[:, sel] = block
    cov_sel = np.full((n, npar, npar), np.nan)
    cov_sel[has] = fit.cov[idx[:, :, None], idx[:, None, :]]
    cov[:, np.array(sel)[:, None], np.array(sel)[None, :]] = cov_sel
    if fix_depth:
        est[:, 2] = 0.0
        cov[:, 2, :] = cov[:, :, 2] = 0.0
    k2 = confidence_scale(2, fit.dof, conf)
    k1 = confidence_scale(1, fit.dof, conf)
    ell = ellipse(np.nan_to_num(cov[:, :2, :2]), k2, conf)
    nan_if = np.where(has, 1.0, np.nan)
    oi, oj, ok = obs
    # An observation belongs to both events of its pair (to the located one for a master).
    w = np.where(fit.used, 1.0 / fit.sigma**2, 0.0)
    ndef = np.bincount(oj, fit.used, n) + (np.bincount(oi, fit.used, n) if method == "dd" else 0)
    nrej = np.bincount(oj, ~fit.used, n) + (np.bincount(oi, ~fit.used, n) if method == "dd" else 0)
    wr2 = np.bincount(oj, w * fit.residual**2, n) + np.bincount(oi, w * fit.residual**2, n)
    ws = np.bincount(oj, w, n) + np.bincount(oi, w, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        sdobs = np.sqrt(wr2 / ws)
    lat0, lon0, dep0, time0 = ref
    lat, lon = from_local(est[:, 0], est[:, 1], lat0, lon0)
    t0 = np.full(n, time0) if base_time is None else base_time
    return Relocation(
        method=method,
        events=cluster.events,
        ref=ref,
        east=est[:, 0],
        north=est[:, 1],
        ddepth=est[:, 2],
        dtime=est[:, 3],
        lat=lat,
        lon=lon,
        depth=dep0 + est[:, 2],
        time=t0 + est[:, 3],
        cov=cov,
        smajax=ell.smajax * nan_if,
        sminax=ell.sminax * nan_if,
        strike=ell.strike * nan_if,
        stime=k1 * np.sqrt(cov[:, 3, 3]),
        sdepth=np.full(n, np.nan) if fix_depth else k1 * np.sqrt(cov[:, 2, 2]),
        ndef=ndef.astype(int),
        nrejected=nrej.astype(int),
        sdobs=sdobs * nan_if,
        conf=conf,
        fit=fit,
        obs_i=oi,
        obs_j=oj,
        obs_k=ok,
        slowness=sv,
        corrections=corrections,
    )


def master_times(
    cluster: Cluster, master: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Times against the master: (event j, station-phase k, t_j − t_m, weight), averaged.

    Pairs (m, j) and (j, m) both measure t_j − t_m; they are averaged into one value.
    """
    p = cluster.pairs
    a = (p.i == master) & (p.j != master)
    b = (p.j == master) & (p.i != master)
    ev = np.concatenate([p.j[a], p.i[b]])
    k = np.concatenate([p.k[a], p.k[b]])
    dt = np.concatenate([p.dt[a], -p.dt[b]])
    w = np.concatenate([p.weight[a], p.weight[b]])
    nk = max(len(cluster.stations), 1)
    code, dt, w = _average(ev.astype(np.int64) * nk + k, dt, w)
    return (code // nk).astype(int), (code % nk).astype(int), dt, w


def empirical_slowness(
    ev: np.ndarray,
    k: np.ndarray,
    dt: np.ndarray,
    model: SlownessVectors,
    n_events: int,
    *,
    n_iter: int = 50,
    min_events: int = 5,
) -> np.ndarray:
    """Slowness vectors (K, 2; east, north s/km) fitted to times measured against a master.

    The times ``dt_jk = τ_j − x_j · s_k`` determine the slowness vectors and the offsets
    together only up to a linear map (x → A x, s → A⁻ᵀ s: faster waves and a larger cluster
    fit equally well; Gibbons et al. 2017, 2020). Alternating least squares (offsets and
    origin times per event, then a slowness vector per station-phase) starts from the
    model's vectors; after each round the 2×2 map is fixed by matching the model's vectors
    in relative terms (each vector weighted by 1/|s_model|), so the fitted set keeps the
    model's overall scale and orientation and corrects how the stations differ from it.
    Station-phases seen by fewer than ``min_events`` events keep the model's vector.
    """
    s0 = np.stack([model.east, model.north], 1)
    nk = s0.shape[0]
    seen = np.bincount(k, minlength=nk) >= min_events
    if seen.sum() < 3:
        return s0.copy()
    s = s0.copy()
    wk = 1.0 / np.maximum(np.linalg.norm(s0, axis=1), 1e-9)
    for _ in range(n_iter):
        a = np.stack([np.ones(ev.size), -s[k, 0], -s[k, 1]], 1)
        nrm = np.zeros((n_events, 3, 3))
        np.add.at(nrm, ev, a[:, :, None] * a[:, None, :])
        rhs = np.zeros((n_events, 3))
        np.add.at(rhs, ev, a * dt[:, None])
        p = (np.linalg.pinv(nrm) @ rhs[..., None])[..., 0]
        b = -p[ev, 1:]
        y = dt - p[ev, 0]
        nrm2 = np.zeros((nk, 2, 2))
        np.add.at(nrm2, k, b[:, :, None] * b[:, None, :])
        rhs2 = np.zeros((nk, 2))
        np.add.at(rhs2, k, b * y[:, None])
        s_new = (np.linalg.pinv(nrm2) @ rhs2[..., None])[..., 0]
        s_new[~seen] = s0[~seen]
        m, *_ = np.linalg.lstsq(s_new[seen] * wk[seen, None], s0[seen] * wk[seen, None], rcond=None)
        s = np.where(seen[:, None], s_new @ m, s0)
    return s


def master_event(
    cluster: Cluster,
    master: int | str,
    lat: float,
    lon: float,
    depth: float = 0.0,
    time: float | None = None,
    *,
    model: str = "ak135",
    fix_depth: bool = True,
    sigma_by: str = "phase",
    k_reject: float = 3.0,
    sigma_floor: float = 1e-3,
    conf: float = 0.9,
    weight_power: float = 0.0,
    slowness: str = "model",
) -> Relocation:
    """Locate every event of a cluster relative to a master of known location.

    ``lat``/``lon``/``depth`` place the master; ``time`` is its origin time (epoch s), or
    None to take it from the master's own picks as the median of observed − predicted
    (the station-phase corrections are then relative to that time). Depth offsets are
    solved only with ``fix_depth=False``. Pick noise is estimated per ``sigma_by`` group
    ("phase", "station-phase" or "all") and bad picks are rejected (module docstring);
    ``weight_power`` p weights each time by (pair weight)^p, e.g. the correlation coefficient.
    ``slowness="empirical"`` re-estimates the slowness vectors from the cluster's own
    times (:func:`empirical_slowness`) before the final fit; "model" uses the model's.
    """
    m = cluster.event_index(master) if isinstance(master, str) else int(master)
    sv = slowness_vectors(lat, lon, depth, cluster.stations, model)
    ev, k, dt, w = master_times(cluster, m)
    ok = np.isfinite(sv.east[k])
    ev, k, dt, w = ev[ok], k[ok], dt[ok], w[ok]
    npar = 3 if fix_depth else 4
    n = len(cluster.events)
    counts = np.bincount(ev, minlength=n)
    located = counts > npar
    col = np.full(n, -1)
    col[located] = np.arange(located.sum())
    keep = located[ev]
    ev, k, dt, w = ev[keep], k[keep], dt[keep], w[keep]
    groups = _groups(cluster, k, sigma_by)

    def fit_with(sv: SlownessVectors) -> RobustFit:
        A = _design(sv, k, [(col[ev] * npar, 1.0)], npar, int(located.sum()) * npar)
        return robust_lsq(
            A, dt, groups, k_reject=k_reject, sigma_floor=sigma_floor, blocks=ev,
            min_keep=npar + 2, weight=w**weight_power,
        )  # fmt: skip

    fit = fit_with(sv)
    if slowness == "empirical":
        used = fit.used
        emp = empirical_slowness(ev[used], k[used], dt[used], sv, len(cluster.events))
        sv = dataclasses.replace(sv, east=emp[:, 0], north=emp[:, 1])
        fit = fit_with(sv)
    elif slowness != "model":
        raise ValueError(f"slowness must be 'model' or 'empirical', not {slowness!r}")
    # The master's own picks give its origin time (if unknown) and the corrections.
    pe, pk, pt = cluster.picks()
    own = pe == m
    corr = np.full(len(cluster.stations), np.nan)
    corr[pk[own]] = pt[own] - sv.time[pk[own]]
    if time is None:
        time = float(np.nanmedian(corr)) if np.isfinite(corr).any() else np.nan
    corr -= time
    res = _finish(
        "master",
        cluster,
        (lat, lon, depth, float(time)),
        col,
        fit,
        fix_depth,
        (np.full(ev.size, m), ev, k),
        sv,
        conf,
        corrections=corr,
    )
    # The master itself: at the reference, exactly.
    for a in (res.east, res.north, res.ddepth, res.dtime):
        a[m] = 0.0
    res.lat[m], res.lon[m], res.depth[m], res.time[m] = lat, lon, depth, time
    res.cov[m] = 0.0
    res.smajax[m] = res.sminax[m] = res.strike[m] = res.stime[m] = 0.0
    return res


def double_difference(
    cluster: Cluster,
    lat: float,
    lon: float,
    depth: float = 0.0,
    *,
    fixed: int | str | None = None,
    model: str = "ak135",
    fix_depth: bool = True,
    sigma_by: str = "phase",
    k_reject: float = 3.0,
    sigma_floor: float = 1e-3,
    conf: float = 0.9,
) -> Relocation:
    """Locate all events of a cluster jointly from differential times of all pairs.

    The slowness vectors are taken at (lat, lon, depth). With ``fixed=None`` the cluster
    centroid (mean offset and mean origin-time shift) is held at that point; with
    ``fixed=EVENT`` that event is held there instead (a master). Pairs measured both ways
    are averaged. Origin times are shifts from each event's first guess, the median of its
    picks minus the predicted travel times at the reference.
    """
    sv = slowness_vectors(lat, lon, depth, cluster.stations, model)
    n = len(cluster.events)
    nk = max(len(cluster.stations), 1)
    p = cluster.pairs
    ok = (p.i != p.j) & np.isfinite(sv.east[p.k])
    lo, hi = np.minimum(p.i, p.j)[ok], np.maximum(p.i, p.j)[ok]
    sign = np.where(p.j[ok] > p.i[ok], 1.0, -1.0)
    code = (lo.astype(np.int64) * n + hi) * nk + p.k[ok]
    code, dt = _average(code, sign * p.dt[ok])
    k = (code % nk).astype(int)
    i, j = ((code // nk) // n).astype(int), ((code // nk) % n).astype(int)
    # First-guess origin times from picks, so the unknowns are small shifts.
    pe, pk, pt = cluster.picks()
    good = np.isfinite(sv.time[pk])
    t0 = np.full(n, np.nan)
    for e in np.unique(pe[good]):
        sel = good & (pe == e)
        t0[e] = np.median(pt[sel] - sv.time[pk[sel]])
    t0 = np.where(np.isfinite(t0), t0, 0.0)
    d = dt - (t0[j] - t0[i])
    npar = 3 if fix_depth else 4
    present = np.bincount(np.concatenate([i, j]), minlength=n) > 0
    fix = None
    if fixed is not None:
        fix = cluster.event_index(fixed) if isinstance(fixed, str) else int(fixed)
    solve_for = present.copy()
    if fix is not None:
        solve_for[fix] = False
    col = np.full(n, -1)
    col[solve_for] = np.arange(solve_for.sum())
    base_i = np.where(col[i] >= 0, col[i] * npar, -1)
    base_j = np.where(col[j] >= 0, col[j] * npar, -1)
    A = _design(sv, k, [(base_j, 1.0), (base_i, -1.0)], npar, int(solve_for.sum()) * npar)
    C = None
    if fix is None:
        C = np.kron(np.ones((1, int(solve_for.sum()))), np.eye(npar))
    fit = robust_lsq(
        A, d, _groups(cluster, k, sigma_by), constraints=C, k_reject=k_reject,
        sigma_floor=sigma_floor,
    )  # fmt: skip
    ref_time = float(t0[fix]) if fix is not None else 0.0
    res = _finish(
        "dd", cluster, (lat, lon, depth, ref_time), col, fit, fix_depth, (i, j, k), sv, conf,
        base_time=t0,
    )  # fmt: skip
    if fix is not None:
        for a in (res.east, res.north, res.ddepth, res.dtime):
            a[fix] = 0.0
        res.lat[fix], res.lon[fix], res.depth[fix], res.time[fix] = lat, lon, depth, t0[fix]
        res.cov[fix] = 0.0
        res.smajax[fix] = res.sminax[fix] = res.strike[fix] = res.stime[fix] = 0.0
    return res
