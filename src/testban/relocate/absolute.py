"""A small absolute locator for a cluster: each event from its own picks, depth fixed.

It serves relative location (a starting point, and the absolute placement of a cluster),
independently of the general Geiger locator in :mod:`testban.locate`. Gauss–Newton on
``t_e^k = T_e + a_f · T_k(x_e)`` with the model's first-arriving P or S (``P1``/``S1`` are
Pg or Pn, Sg or Sn by distance), robust reweighting as in :mod:`testban.relocate.solve`.

``a_f`` is a travel-time scale per wave family (P, S), optionally **shared by the whole
cluster**: one scaled 1-D model for the region, i.e. its mean P and S slownesses along the
paths, fitted jointly with all the events. With 6 regional stations, a model a few per cent
too slow (ak135's 5.8 km/s upper crust against the 6.1–6.3 km/s of the Fennoscandian
shield) biases every event the same way; a common scale removes the part of that bias that
is uniform, without any station correction and without knowing any event's location.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from testban.records.earth import EARTH_RADIUS_KM
from testban.relocate.model import Cluster, StationPhases, from_local, model_phase_candidates
from testban.relocate.solve import RobustFit, confidence_scale, ellipse, robust_lsq
from testban.traveltime import distance_azimuth, travel_times


@dataclass(frozen=True)
class AbsoluteLocations:
    """Per-event absolute locations, 90 % ellipses, and the fitted P/S travel-time scales."""

    events: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    depth: float
    time: np.ndarray
    smajax: np.ndarray
    sminax: np.ndarray
    strike: np.ndarray
    scale: dict[str, float]
    fit: RobustFit


def _family(stations: StationPhases) -> np.ndarray:
    """0 for P-type, 1 for S-type station-phases."""
    return np.array([1 if str(p).lstrip().upper().startswith(("S", "L")) else 0
                     for p in stations.phase])  # fmt: skip


def predict(
    lat: np.ndarray,
    lon: np.ndarray,
    depth: float,
    stations: StationPhases,
    k: np.ndarray,
    model: str = "ak135",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Travel time (s) and slowness east/north (s/km) from sources to station-phases ``k``."""
    tt = travel_times(model)
    delta, esaz, _ = distance_azimuth(lat, lon, stations.lat[k], stations.lon[k])
    time, slow = np.full(k.size, np.nan), np.full(k.size, np.nan)
    for name in np.unique(stations.phase[k]):
        rows = np.flatnonzero(stations.phase[k] == name)
        cands = tuple(c for c in model_phase_candidates(str(name)) if c in tt.phases)
        pred, _ = tt.first_arrival(delta[rows], depth, cands or ("P",))
        time[rows], slow[rows] = pred.time, pred.slowness
    s_km = slow * (180.0 / np.pi) / (EARTH_RADIUS_KM - depth)
    az = np.radians(esaz)
    return time, s_km * np.sin(az), s_km * np.cos(az)


def locate_absolute(
    cluster: Cluster,
    lat0: float,
    lon0: float,
    depth: float = 0.0,
    *,
    model: str = "ak135",
    scale: bool = True,
    n_iter: int = 8,
    k_reject: float = 3.0,
    sigma_floor: float = 0.3,
    conf: float = 0.9,
) -> AbsoluteLocations:
    """Locate every event of a cluster from its own picks, starting at (lat0, lon0).

    With ``scale=True`` one P and one S travel-time scale are fitted for the whole cluster
    (see the module docstring); with False the model is used as it is. ``sigma_floor`` is
    the a-priori model error (s): residuals below 3× it are never rejected, because the
    residuals of an absolute location are mostly path effects shared by all events, not
    bad picks.
    """
    ev, k, t = cluster.picks()
    n = len(cluster.events)
    fam = _family(cluster.stations)[k]
    east, north = np.zeros(n), np.zeros(n)
    a = np.ones(2)
    t_ref = np.nanmedian(t)
    time = np.full(n, np.nan)
    npar = 3
    ncol = n * npar + (2 if scale else 0)
    fit: RobustFit | None = None
    for _ in range(n_iter):
        lat, lon = from_local(east, north, lat0, lon0)
        tt, se, sn = predict(lat[ev], lon[ev], depth, cluster.stations, k, model)
        if np.isnan(time).all():
            time = np.array([np.median((t - tt)[ev == e]) if (ev == e).any() else t_ref
                             for e in range(n)])  # fmt: skip
        r = t - time[ev] - a[fam] * tt
        ok = np.isfinite(r)
        rows = np.flatnonzero(ok)
        cols = [ev[ok] * npar, ev[ok] * npar + 1, ev[ok] * npar + 2]
        vals = [-a[fam[ok]] * se[ok], -a[fam[ok]] * sn[ok], np.ones(ok.sum())]
        if scale:
            cols.append(n * npar + fam[ok])
            vals.append(tt[ok])
        A = sp.csr_matrix(
            (
                np.concatenate(vals),
                (np.tile(np.arange(rows.size), len(vals)), np.concatenate(cols)),
            ),
            shape=(rows.size, ncol),
        )
        fit = robust_lsq(A, r[ok], fam[ok], k_reject=k_reject, sigma_floor=sigma_floor,
                         blocks=ev[ok], min_keep=npar + 2)  # fmt: skip
        dm = fit.m
        east += dm[0::npar][:n]
        north += dm[1::npar][:n]
        time += dm[2::npar][:n]
        if scale:
            a = a + dm[n * npar :]
        if np.max(np.abs(dm[: n * npar])) < 1e-5:
            break
    assert fit is not None
    lat, lon = from_local(east, north, lat0, lon0)
    idx = np.arange(n)[:, None] * npar + np.arange(2)[None, :]
    cov = fit.cov[idx[:, :, None], idx[:, None, :]]
    ell = ellipse(cov, confidence_scale(2, fit.dof, conf), conf)
    return AbsoluteLocations(
        cluster.events, lat, lon, depth, time, ell.smajax, ell.sminax, ell.strike,
        {"P": float(a[0]), "S": float(a[1])}, fit,
    )  # fmt: skip
