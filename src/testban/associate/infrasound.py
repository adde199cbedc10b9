"""Infrasound association: array detections (iphase ``I``) → events located by BISL.

A grid search over candidate epicentres (nodes ``grid_deg`` apart around the detecting
arrays): at each node every detection whose back azimuth points at the node (within
``n_sigma`` σ plus the node's half-cell angular size) allows an interval of origin times
(its celerity within the prior's ±4σ support, widened by the half-cell travel time). The
largest set of detections from distinct arrays whose intervals share an origin time is
the node's candidate (interval stabbing, vectorised over nodes); the best candidate over
all nodes — most arrays, then the highest summed azimuth likelihood — forms an event
when it has ``min_arrays`` arrays. Its detections are located by
:func:`testban.locate.bisl.locate_bisl`, re-gathered at the posterior MAP (azimuth and
celerity window), removed, and the search repeats on what is left (greedy, best first,
as the seismic associator). This is the beam-crossing + celerity-window association of
the IDC's and of Blom et al. (2020, GJI 221, 1750–1764) in a deterministic form.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from testban.locate.bisl import (
    AcousticObs,
    BislConfig,
    BislResult,
    Stations,
    _support,
    acoustic_observations,
    bisl_records,
    locate_bisl,
)
from testban.records.css30 import Arrival, Assoc, Origerr, Origin
from testban.records.earth import KM_PER_DEG
from testban.traveltime import distance_azimuth

__all__ = ["InfrasoundAssociation", "InfrasoundConfig", "associate_infrasound"]


@dataclass(frozen=True)
class InfrasoundConfig:
    """Association settings (physical; the same for every data set)."""

    #: Location settings (celerity prior, azimuth deviation).
    bisl: BislConfig = field(default_factory=BislConfig)
    #: Fewest distinct arrays of an event (count): two beams always cross somewhere, a
    #: third confirms the crossing.
    min_arrays: int = 3
    #: Azimuth window (σ of azimuth deviation ⊕ measurement, count): 3σ keeps 99.7 %.
    n_sigma: float = 3.0
    #: Node spacing of the association grid (°): 0.5° ≈ 55 km, fine against celerity
    #: windows of ±100 s and more at regional range.
    grid_deg: float = 0.5
    #: Largest source–array range searched (km).
    max_range_km: float = 2500.0
    #: First orid given (ids of the caller's numbering).
    first_orid: int = 1
    auth: str = "testban"


@dataclass
class InfrasoundAssociation:
    """Events formed: CSS3.0 rows plus each event's posterior; unassociated arids."""

    origins: list[Origin] = field(default_factory=list)
    assocs: list[Assoc] = field(default_factory=list)
    origerrs: list[Origerr] = field(default_factory=list)
    posteriors: dict[int, BislResult] = field(default_factory=dict)
    unassociated: list[int] = field(default_factory=list)

    def groups(self) -> dict[int, list[int]]:
        """``{orid: [arid, …]}``."""
        out: dict[int, list[int]] = {}
        for a in self.assocs:
            out.setdefault(a.orid, []).append(a.arid)
        return out


def _grid(obs: AcousticObs, cfg: InfrasoundConfig) -> tuple[np.ndarray, np.ndarray]:
    """Nodes within ``max_range_km`` of at least one array."""
    pad = cfg.max_range_km / KM_PER_DEG
    la0, la1 = max(obs.lat.min() - pad, -89.0), min(obs.lat.max() + pad, 89.0)
    c = math.cos(math.radians(min(abs(la0), abs(la1), 80.0))) if la0 * la1 > 0 else 1.0
    lo0, lo1 = obs.lon.min() - pad / max(c, 0.1), obs.lon.max() + pad / max(c, 0.1)
    lat = np.arange(la0, la1 + 1e-9, cfg.grid_deg)
    lon = np.arange(lo0, lo1 + 1e-9, cfg.grid_deg)
    glat, glon = (g.ravel() for g in np.meshgrid(lat, lon, indexing="ij"))
    d, _, _ = distance_azimuth(glat[:, None], glon[:, None], obs.lat[None], obs.lon[None],
                               geocentric=False)  # fmt: skip
    near = (d * KM_PER_DEG).min(axis=1) <= cfg.max_range_km
    return glat[near], (glon[near] + 180.0) % 360.0 - 180.0


def _candidates(obs: AcousticObs, active: np.ndarray, glat, glon, cfg: InfrasoundConfig):
    """Best stabbing set per node: (n_arrays, score, member mask) of the best node."""
    bc = cfg.bisl
    lo_c, hi_c = _support(bc.celerity)
    sig = np.hypot(np.where(obs.delaz > 0, obs.delaz, bc.default_delaz), bc.azimuth_sigma)
    sig_t = np.where(obs.deltim > 0, obs.deltim, bc.default_deltim)
    half_km = 0.5 * math.sqrt(2) * cfg.grid_deg * KM_PER_DEG
    codes, arr_idx = np.unique(obs.sta, return_inverse=True)
    best: tuple = (0, -np.inf, None, None)
    chunk = max(1, 2_000_000 // max(len(obs) ** 2, 1))
    for s in range(0, glat.size, chunk):
        la, lo = glat[s : s + chunk], glon[s : s + chunk]
        d, _, baz = distance_azimuth(la[:, None], lo[:, None], obs.lat[None], obs.lon[None],
                                     geocentric=False)  # fmt: skip
        r = d * KM_PER_DEG
        res = (obs.baz[None] - baz + 540.0) % 360.0 - 180.0
        tol = cfg.n_sigma * sig[None] + np.degrees(np.arctan2(half_km, np.maximum(r, 1.0)))
        fit = active[None] & np.isfinite(obs.baz)[None] & (np.abs(res) <= tol)
        fit &= r <= cfg.max_range_km
        a = obs.time[None] - (r + half_km) / lo_c - 3 * sig_t  # earliest t0
        b = obs.time[None] - np.maximum(r - half_km, 0.0) / hi_c + 3 * sig_t  # latest
        # stab at each detection's latest t0 (an optimum lies at some interval end)
        inside = (
            fit[:, None, :] & (a[:, None, :] <= b[:, :, None]) & (b[:, :, None] <= b[:, None, :])
        )
        inside &= fit[:, :, None]
        per_arr = np.zeros(inside.shape[:2] + (codes.size,), bool)
        for k in range(codes.size):
            per_arr[:, :, k] = inside[:, :, arr_idx == k].any(axis=2)
        n_arr = per_arr.sum(axis=2)  # (nodes, stab points)
        ll = np.where(inside, -0.5 * (res[:, None, :] / sig[None, None]) ** 2, 0.0).sum(axis=2)
        score = n_arr * 1000.0 + ll
        flat = int(np.argmax(score))
        i, j = np.unravel_index(flat, score.shape)
        if n_arr[i, j] > best[0] or (n_arr[i, j] == best[0] and score[i, j] > best[1]):
            members = inside[i, j].copy()
            # one detection per array: the best-fitting azimuth
            for k in range(codes.size):
                m = np.flatnonzero(members & (arr_idx == k))
                if m.size > 1:
                    keep = m[np.argmin(np.abs(res[i, m]))]
                    members[m] = False
                    members[keep] = True
            best = (int(n_arr[i, j]), float(score[i, j]), members, (float(la[i]), float(lo[i])))
    return best


def _select(obs: AcousticObs, mask: np.ndarray) -> AcousticObs:
    return AcousticObs(**{k: getattr(obs, k)[mask] for k in obs.__dataclass_fields__})


def _regather(obs: AcousticObs, active: np.ndarray, res: BislResult, cfg: InfrasoundConfig):
    """Active detections consistent with the located event (one per array)."""
    bc = cfg.bisl
    lo_c, hi_c = _support(bc.celerity)
    sig = np.hypot(np.where(obs.delaz > 0, obs.delaz, bc.default_delaz), bc.azimuth_sigma)
    sig_t = np.where(obs.deltim > 0, obs.deltim, bc.default_deltim)
    d, _, baz = distance_azimuth(res.lat, res.lon, obs.lat, obs.lon, geocentric=False)
    smaj = res.ellipse(0.95)[0]
    r = d * KM_PER_DEG
    azres = (obs.baz - baz + 540.0) % 360.0 - 180.0
    tol = cfg.n_sigma * sig + np.degrees(np.arctan2(smaj, np.maximum(r, 1.0)))
    tw = 2.0 * res.time_sigma + smaj / lo_c
    tau = obs.time - res.time
    ok = active & (np.abs(azres) <= tol)
    ok &= (tau >= r / hi_c - 3 * sig_t - tw) & (tau <= r / lo_c + 3 * sig_t + tw)
    for code in np.unique(obs.sta[ok]):
        m = np.flatnonzero(ok & (obs.sta == code))
        if m.size > 1:
            keep = m[np.argmin(np.abs(azres[m]))]
            ok[m] = False
            ok[keep] = True
    return ok


def associate_infrasound(
    arrivals: Iterable[Arrival], stations: Stations, config: InfrasoundConfig | None = None
) -> InfrasoundAssociation:
    """Group infrasound detections into events and locate each (see module docstring)."""
    cfg = config or InfrasoundConfig()
    arr = [a for a in arrivals if a.iphase.strip() == "I"]
    obs = acoustic_observations(arr, stations)
    out = InfrasoundAssociation()
    if len(obs) == 0:
        out.unassociated = [a.arid for a in arr]
        return out
    glat, glon = _grid(obs, cfg)
    active = np.isfinite(obs.baz).copy()
    orid = cfg.first_orid
    tried: set[tuple[int, ...]] = set()
    while active.sum() >= cfg.min_arrays:
        n_arr, _, members, node = _candidates(obs, active, glat, glon, cfg)
        if n_arr < cfg.min_arrays or members is None:
            break
        key = tuple(int(i) for i in np.flatnonzero(members))
        if key in tried:
            break
        tried.add(key)
        post = locate_bisl(_select(obs, members), cfg.bisl, centre=node)
        got = _regather(obs, active, post, cfg)
        if np.unique(obs.sta[got]).size < cfg.min_arrays:
            got = members & active
        if not np.array_equal(got, members):
            post = locate_bisl(_select(obs, got), cfg.bisl, centre=(post.lat, post.lon))
        sub = _select(obs, got)
        o, a, e = bisl_records(post, sub, orid, auth=cfg.auth)
        o.nass = len(a)
        out.origins.append(o)
        out.assocs.extend(a)
        out.origerrs.append(e)
        out.posteriors[orid] = post
        active &= ~got
        orid += 1
    used = {a.arid for a in out.assocs}
    out.unassociated = [a.arid for a in arr if a.arid not in used]
    return out


def association_scores(groups: Sequence[Sequence[int]], truth: Sequence[Sequence[int]]):
    """Pairwise precision and recall of detection groups against true groups."""

    def pairs(gs: Sequence[Sequence[int]]) -> set[tuple[int, int]]:
        return {(min(a, b), max(a, b)) for g in gs for i, a in enumerate(g) for b in g[i + 1 :]}

    p, t = pairs(groups), pairs(truth)
    prec = len(p & t) / len(p) if p else float("nan")
    rec = len(p & t) / len(t) if t else float("nan")
    return prec, rec
