"""Residuals of measured arrivals against reference events: the data of a calibration.

For every arrival that a reference bulletin ties to a known event (through its ``assoc``
rows, or, for a catalogue without associations, by the time of the first P), the
measured back-azimuth, slowness and onset time are compared with what a radial Earth
model predicts for that event at that station:

* back-azimuth residual ``az_res = azimuth - seaz`` (°, wrapped to [-180, 180));
* slowness residual ``slow_res = slow - dT/dΔ`` (s/°);
* travel-time residual ``time_res = time - origin time - T(Δ, h)`` (s), with the
  ellipticity and station-elevation terms of the locator included, so that a correction
  learnt here is exactly the part of the residual the locator's model does not explain.

Missing measurements (CSS3.0 ``-1``) give NaN residuals; phases the travel-time tables do
not know give NaN slowness and time residuals but keep their azimuth residual.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from testban.locate.ellipticity import correction as ellipticity_correction
from testban.locate.phases import P_LIKE, SURFACE_VP, SURFACE_VS, canonical_phase
from testban.network import Network
from testban.records import Arrival, Assoc, Origin
from testban.records.earth import KM_PER_DEG
from testban.traveltime import TravelTimes, distance_azimuth, geocentric_latitude, travel_times


@dataclass(frozen=True, slots=True)
class Residual:
    """One arrival measured against one reference event (units: °, s/°, s)."""

    sta: str
    arid: int
    orid: int
    phase: str  # the reference bulletin's phase name
    otime: float  # reference origin time (epoch s), for splitting by hour
    delta: float  # event–station distance, °
    seaz: float  # predicted back-azimuth (station to event), °
    slow_pred: float  # predicted slowness, s/° (NaN when unknown)
    azimuth: float  # measured back-azimuth, ° (NaN when not measured)
    slow: float  # measured slowness, s/° (NaN when not measured)
    az_res: float  # azimuth - seaz wrapped to [-180, 180), °
    slow_res: float  # slow - slow_pred, s/°
    time_res: float  # observed minus predicted travel time, s


def wrap180(x: np.ndarray | float) -> np.ndarray:
    """Angles (°) wrapped to [-180, 180)."""
    return (np.asarray(x, dtype=float) + 180.0) % 360.0 - 180.0


def _measured(value: float, lo: float, hi: float) -> float:
    return value if lo <= value <= hi and value != -1.0 else math.nan


def residuals(
    pairs: Sequence[tuple[Arrival, Origin, str]],
    network: Network,
    model: str | TravelTimes = "iasp91",
) -> list[Residual]:
    """Residuals of ``(arrival, reference origin, phase)`` triples; arrivals at stations
    the network does not know are left out (the caller reports them)."""
    tt = model if isinstance(model, TravelTimes) else travel_times(model)
    rows = [(a, o, p) for a, o, p in pairs if a.sta in network]
    if not rows:
        return []
    slat = np.array([o.lat for _, o, _ in rows])
    slon = np.array([o.lon for _, o, _ in rows])
    depth = np.array([max(o.depth, 0.0) if o.depth > -999.0 else 0.0 for _, o, _ in rows])
    st = [network.station(a.sta) for a, _, _ in rows]
    rlat = np.array([s.lat for s in st])
    rlon = np.array([s.lon for s in st])
    elev = np.array([s.elev if s.elev is not None and math.isfinite(s.elev) else 0.0 for s in st])
    delta, esaz, seaz = distance_azimuth(slat, slon, rlat, rlon)
    tab = [canonical_phase(p) for _, _, p in rows]
    ttime = np.full(len(rows), np.nan)
    tslow = np.full(len(rows), np.nan)
    for name in {t for t in tab if t and t in tt.phases}:
        k = np.array([t == name for t in tab])
        pred = tt.predict(name, delta[k], depth[k])
        ttime[k], tslow[k] = pred.time, pred.slowness
    # elevation and ellipticity terms, as the locator adds them
    vs = np.array([SURFACE_VP if t in P_LIKE else SURFACE_VS if t else 0.0 for t in tab])
    pk = tslow / KM_PER_DEG
    with np.errstate(invalid="ignore"):
        tel = elev * np.sqrt(np.clip(1.0 / vs**2 - pk**2, 0.0, None))
    ell = np.zeros(len(rows))
    for i, (_, o, _) in enumerate(rows):
        ph = tab[i]
        if ph:
            lat_c = float(geocentric_latitude(o.lat))
            ell[i] = ellipticity_correction([ph], delta[i], depth[i], lat_c, esaz[i]).ravel()[0]
    out = []
    for i, (a, o, p) in enumerate(rows):
        az = _measured(a.azimuth, 0.0, 360.0)
        sl = _measured(a.slow, 0.0, 1.0e4)
        out.append(
            Residual(
                sta=a.sta,
                arid=a.arid,
                orid=o.orid,
                phase=p,
                otime=o.time,
                delta=float(delta[i]),
                seaz=float(seaz[i]),
                slow_pred=float(tslow[i]),
                azimuth=az,
                slow=sl,
                az_res=float(wrap180(az - seaz[i])),
                slow_res=float(sl - tslow[i]),
                time_res=float(a.time - o.time - ttime[i] - tel[i] - ell[i]),
            )
        )
    return out


def pairs_from_assoc(
    arrivals: Iterable[Arrival],
    assocs: Iterable[Assoc],
    origins: Iterable[Origin],
    min_other: int = 0,
) -> list[tuple[Arrival, Origin, str]]:
    """(arrival, origin, phase) for every assoc row whose arrival and origin are given.

    ``min_other``: keep a row only when its origin has at least that many *other*
    stations with a defining time, azimuth or slowness. An origin located from the
    calibrated station's own azimuth (e.g. a single-array event) reproduces that
    azimuth, so its residual measures the locator, not the station; independent
    reference events need ``min_other`` ≥ 2.
    """
    assocs = list(assocs)
    by_arid = {a.arid: a for a in arrivals}
    by_orid = {o.orid: o for o in origins}
    defining: dict[int, set[str]] = {}
    for s in assocs:
        if "d" in (s.timedef, s.azdef, s.slodef):
            defining.setdefault(s.orid, set()).add(s.sta)
    return [
        (by_arid[s.arid], by_orid[s.orid], s.phase)
        for s in assocs
        if s.arid in by_arid
        and s.orid in by_orid
        and len(defining.get(s.orid, set()) - {s.sta}) >= min_other
    ]


def pairs_by_time(
    arrivals: Iterable[Arrival],
    origins: Sequence[Origin],
    network: Network,
    model: str | TravelTimes = "iasp91",
    window: float = 10.0,
) -> list[tuple[Arrival, Origin, str]]:
    """Tie arrivals to catalogue events without associations: an arrival is the first P
    of an event when its time is within ``window`` s of that P's predicted time (the
    nearest event when several qualify). Meant for catalogues of large events (e.g. the
    USGS M ≥ 5.5 list), where a coincidence with another P within seconds is rare."""
    tt = model if isinstance(model, TravelTimes) else travel_times(model)
    if not origins:
        return []
    olat = np.array([o.lat for o in origins])
    olon = np.array([o.lon for o in origins])
    odep = np.array([max(o.depth, 0.0) if o.depth > -999.0 else 0.0 for o in origins])
    otime = np.array([o.time for o in origins])
    out = []
    for a in arrivals:
        if a.sta not in network:
            continue
        lat, lon, _ = network.coordinates(a.sta)
        near = np.flatnonzero((otime < a.time) & (otime > a.time - 1500.0))
        if near.size == 0:
            continue
        delta, _, _ = distance_azimuth(olat[near], olon[near], lat, lon)
        first, names = tt.first_arrival(delta, odep[near])
        miss = np.abs(a.time - otime[near] - first.time)
        miss = np.where(np.isfinite(miss), miss, np.inf)
        j = int(np.argmin(miss))
        if miss[j] <= window:
            out.append((a, origins[int(near[j])], str(names[j])))
    return out
