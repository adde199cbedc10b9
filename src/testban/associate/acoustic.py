"""Seismo-acoustic fusion: infrasound (I) and hydroacoustic (H, T) detections joined to
seismic events, and events of both technologies located jointly.

A post-association step; the seismic associator (:mod:`testban.associate.core`) leaves
``I``/``H``/``T`` detections alone (its ``OTHER_NAMES``). Then:

1. :func:`attach_acoustic` gives each seismic origin the acoustic detections that fit
   it: an ``I`` detection whose celerity r/(t − t0) lies in the prior's support
   (±4σ of the duct mixture, widened by the origin's time and epicentre uncertainty) and
   whose back azimuth is within ``n_sigma`` σ of the great-circle one (σ² = delaz² +
   wind deviation² + the azimuth the 90 % ellipse subtends); an ``H``/``T`` detection
   whose travel time fits the SOFAR speed 1.46–1.50 km/s (azimuth tested when measured).
   A detection that fits several origins goes to the one it fits best.
2. :func:`relocate_joint` locates an origin from its seismic times and its acoustic
   back azimuths and celerity windows (:func:`testban.locate.bisl.locate_joint`).
3. :func:`associate_all` runs the seismic associator, attaches, relocates the fused
   events and associates what is left of the infrasound detections on its own.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from testban.associate.core import Result, associate
from testban.associate.infrasound import InfrasoundConfig, associate_infrasound
from testban.locate.bisl import (
    BislConfig,
    BislResult,
    Stations,
    _support,
    acoustic_observations,
    bisl_records,
    duct_of,
    locate_joint,
    seismic_observations,
)
from testban.network import Network
from testban.records.css30 import Arrival, Assoc, Origerr, Origin
from testban.records.earth import KM_PER_DEG
from testban.traveltime import distance_azimuth

__all__ = ["ACOUSTIC_PHASES", "FusionConfig", "Fused", "associate_all", "attach_acoustic",
           "relocate_joint"]  # fmt: skip

#: IMS1.0 phase names of the acoustic technologies.
ACOUSTIC_PHASES = frozenset({"I", "H", "T"})
#: SOFAR-channel speed window of H and T phases (km/s): the sound-speed minimum of the
#: ocean is 1.46–1.50 km/s (Munk 1974, JASA 55, 220).
SOFAR = (1.46, 1.50)


@dataclass(frozen=True)
class FusionConfig:
    """Settings of the attach and joint steps."""

    bisl: BislConfig = field(default_factory=BislConfig)
    #: Azimuth window (count of σ).
    n_sigma: float = 3.0
    #: Time error of an H/T onset (s): emergent, long signals (tens of seconds).
    hydro_deltim: float = 10.0
    #: Relocate origins that gained acoustic phases (flag).
    relocate: bool = True


@dataclass
class Fused:
    """Rows after fusion, with each jointly located origin's posterior."""

    origins: list[Origin] = field(default_factory=list)
    assocs: list[Assoc] = field(default_factory=list)
    origerrs: list[Origerr] = field(default_factory=list)
    posteriors: dict[int, BislResult] = field(default_factory=dict)


def _window(origin: Origin, err: Origerr | None) -> tuple[float, float]:
    """(epicentre uncertainty km, origin-time uncertainty s) of an origin (90 %)."""
    if err is None:
        return 0.0, 0.0
    return max(err.smajax, 0.0), max(err.stime, 0.0)


def attach_acoustic(
    origins: Sequence[Origin],
    acoustic: Iterable[Arrival],
    stations: Stations,
    *,
    origerrs: Sequence[Origerr] = (),
    config: FusionConfig | None = None,
) -> list[Assoc]:
    """Assoc rows (phase ``I``, ``H`` or ``T``) of the acoustic detections that fit.

    ``timedef`` is "n" (acoustic times enter a joint location through celerity windows,
    not least squares); ``azdef`` "d" where an azimuth was measured.
    """
    cfg = config or FusionConfig()
    arr = [a for a in acoustic if a.iphase.strip() in ACOUSTIC_PHASES]
    obs = acoustic_observations(arr, stations)
    if len(obs) == 0 or not origins:
        return []
    errs = {e.orid: e for e in origerrs}
    lo_c, hi_c = _support(cfg.bisl.celerity)
    hydro = (obs.phase == "H") | (obs.phase == "T")
    sig_az = np.hypot(np.where(obs.delaz > 0, obs.delaz, cfg.bisl.default_delaz),
                      cfg.bisl.azimuth_sigma)  # fmt: skip
    sig_t = np.where(obs.deltim > 0, obs.deltim,
                     np.where(hydro, cfg.hydro_deltim, cfg.bisl.default_deltim))  # fmt: skip
    best: dict[int, tuple[float, Assoc]] = {}
    for o in origins:
        dx, dt = _window(o, errs.get(o.orid))
        d, esaz, seaz = distance_azimuth(o.lat, o.lon, obs.lat, obs.lon, geocentric=False)
        r = d * KM_PER_DEG
        tau = obs.time - o.time
        c_lo = np.where(hydro, SOFAR[0], lo_c)
        c_hi = np.where(hydro, SOFAR[1], hi_c)
        slack = 3 * sig_t + dt + dx / c_lo
        ok = (tau >= r / c_hi - slack) & (tau <= r / c_lo + slack) & (tau > 0)
        azres = (obs.baz - seaz + 540.0) % 360.0 - 180.0
        tol = cfg.n_sigma * np.hypot(sig_az, np.degrees(np.arctan2(dx, np.maximum(r, 1.0))))
        has_az = np.isfinite(obs.baz)
        ok &= ~has_az | (np.abs(azres) <= tol)
        ok &= has_az | hydro  # an infrasound detection without azimuth is not attached
        for k in np.flatnonzero(ok):
            c_obs = r[k] / tau[k]
            if hydro[k]:
                c_pred, model = 0.5 * (SOFAR[0] + SOFAR[1]), "sofar"
            else:
                duct = duct_of(c_obs, cfg.bisl.celerity)
                c_pred, model = duct.mean, f"bisl-{duct.name}"
            tres = tau[k] - r[k] / c_pred
            z = (azres[k] / tol[k]) ** 2 if has_az[k] else 0.0
            z += (tres / (slack[k] + r[k] * (1 / c_lo[k] - 1 / c_hi[k]))) ** 2
            row = Assoc(
                arid=int(obs.arid[k]), orid=o.orid, sta=str(obs.sta[k]), phase=str(obs.phase[k]),
                belief=1.0, delta=round(float(d[k]), 3), seaz=round(float(seaz[k]), 2),
                esaz=round(float(esaz[k]), 2),
                timeres=round(float(tres), 3) if abs(tres) < 9999 else -999.0, timedef="n",
                azres=round(float(azres[k]), 1) if has_az[k] else -999.0,
                azdef="d" if has_az[k] else "n", slodef="n", vmodel=model,
            )  # fmt: skip
            prev = best.get(row.arid)
            if prev is None or z < prev[0]:
                best[row.arid] = (z, row)
    return [row for _, row in sorted(best.values(), key=lambda zr: (zr[1].orid, zr[1].arid))]


def relocate_joint(
    origin: Origin,
    assocs: Sequence[Assoc],
    arrivals: Iterable[Arrival],
    stations: Stations,
    config: BislConfig | None = None,
) -> tuple[Origin, list[Assoc], Origerr, BislResult]:
    """Joint location of one origin from its seismic (time-defining) and acoustic assocs."""
    by_arid = {a.arid: a for a in arrivals}
    mine = [s for s in assocs if s.orid == origin.orid and s.arid in by_arid]
    seis = [s for s in mine if s.phase not in ACOUSTIC_PHASES and s.timedef == "d"]
    acou = [s for s in mine if s.phase in ACOUSTIC_PHASES]
    sobs = seismic_observations([by_arid[s.arid] for s in seis], stations,
                                {s.arid: s.phase for s in seis})  # fmt: skip
    acous = []
    for s in acou:
        a = by_arid[s.arid]
        if a.iphase != s.phase:
            a = dataclasses.replace(a, iphase=s.phase)
        acous.append(a)
    obs = acoustic_observations(acous, stations)
    post = locate_joint(obs, sobs, config, centre=(origin.lat, origin.lon))
    o, rows, err = bisl_records(post, obs, origin.orid, sobs=sobs,
                                seismic_assocs={s.arid: s for s in seis},
                                auth=origin.auth, algorithm="testban:joint")  # fmt: skip
    o.evid = origin.evid
    other = [s for s in mine if s not in seis and s not in acou]  # non-defining seismic
    return o, rows + other, err, post


def associate_all(
    arrivals: Iterable[Arrival],
    network: Network,
    *,
    seismic: Result | None = None,
    config: FusionConfig | None = None,
    infrasound: InfrasoundConfig | None = None,
) -> Fused:
    """Seismic association, acoustic attachment, joint relocation, then infrasound-only
    events from the infrasound detections left (orids after the seismic ones)."""
    cfg = config or FusionConfig()
    arrivals = list(arrivals)
    res = seismic if seismic is not None else associate(arrivals, network)
    acoustic = [a for a in arrivals if a.iphase.strip() in ACOUSTIC_PHASES]
    extra = attach_acoustic(res.origins, acoustic, network, origerrs=res.origerrs, config=cfg)
    out = Fused(list(res.origins), list(res.assocs) + extra, list(res.origerrs))
    if cfg.relocate:
        fused = sorted({s.orid for s in extra})
        for orid in fused:
            k = next(i for i, o in enumerate(out.origins) if o.orid == orid)
            try:
                o, rows, err, post = relocate_joint(out.origins[k], out.assocs, arrivals, network,
                                                    cfg.bisl)  # fmt: skip
            except ValueError:
                continue
            out.origins[k] = o
            out.assocs = [s for s in out.assocs if s.orid != orid] + rows
            out.origerrs = [e for e in out.origerrs if e.orid != orid] + [err]
            out.posteriors[orid] = post
    used = {s.arid for s in out.assocs}
    left = [a for a in acoustic if a.arid not in used and a.iphase.strip() == "I"]
    first = max([o.orid for o in out.origins], default=0) + 1
    icfg = infrasound or InfrasoundConfig(bisl=cfg.bisl)
    icfg = dataclasses.replace(icfg, first_orid=max(first, icfg.first_orid))
    inf = associate_infrasound(left, network, icfg)
    out.origins += inf.origins
    out.assocs += inf.assocs
    out.origerrs += inf.origerrs
    out.posteriors.update(inf.posteriors)
    return out


def celerity(origin: Origin, arrival: Arrival, stations: Stations) -> float:
    """Observed celerity (km/s) of an arrival from an origin (NaN when undefined)."""
    from testban.locate.bisl import _coords

    c = _coords(stations, arrival.sta)
    if c is None or arrival.time <= origin.time:
        return math.nan
    d, _, _ = distance_azimuth(origin.lat, origin.lon, c[0], c[1], geocentric=False)
    return float(d) * KM_PER_DEG / (arrival.time - origin.time)
