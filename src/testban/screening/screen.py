"""Screen a bulletin: every event's criteria and characterisation parameters as records.

:func:`screen_bulletin` takes a bulletin (``{table: rows}``, as every reader and the store
return it) and gives its ``screen`` rows (one per origin and criterion, plus the event's
outcome) and ``evchar`` rows (the IDC's event characterisation parameters). Measurements
that come from waveforms after location (regional P/S, complexity, spectral ratio) are
passed in per origin; what is not passed is "not assessed", with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from testban.bulletin.model import EventView, Tables, defining, events_of, has
from testban.bulletin.tabular import ellipse_polygon, scale_to_90
from testban.records.css30 import Arrival, Evchar, Netmag, Origerr, Origin, Record, Screen
from testban.screening.criteria import (
    IDC,
    NOT_ASSESSED,
    Criterion,
    ScreeningConfig,
    depth_criterion,
    event_outcome,
    magnitude_gate,
    mbms_criterion,
    offshore_criterion,
    ps_criterion,
    sigma_from_interval,
)
from testban.screening.landsea import COAST_TOLERANCE_KM, on_land, signed_coast_distance_km

#: Criteria in the order they are reported.
CRITERIA = ("depth", "mbms", "ps", "offshore")

#: Network magnitude types that give the event's mb and Ms, most preferred first.
MB_TYPES = ("mb_ave", "mb", "mb_mle")
MS_TYPES = ("ms_ave", "ms", "ms_mle")
MBLG_TYPES = ("mblg",)


class RegionalPS(Protocol):
    """What the P/S criterion needs of a regional P/S measurement of one event (an
    optional ``bound`` attribute "lower" marks a lower bound)."""

    value: float
    uncertainty: float
    threshold: float
    nsta: int


@dataclass(frozen=True)
class Measured:
    """Waveform measurements of one origin made after location (all optional)."""

    ps: RegionalPS | None = None
    #: Why P/S is missing (e.g. "no station within 20°"), when it is.
    ps_missing: str = "no regional P/S ratio measured"
    #: Explosion-like hydroacoustic signal seen (True), none seen (False), not measured.
    hydroacoustic: bool | None = None
    #: Further characterisation parameters: name → (value, uncertainty, nsta, units).
    params: Mapping[str, tuple[float, float, int, str]] = field(default_factory=dict)


def _netmag(rows: list[Netmag], types: tuple[str, ...]) -> Netmag | None:
    by_type = {m.magtype.lower(): m for m in rows if has(m.magnitude)}
    return next((by_type[t] for t in types if t in by_type), None)


def _magnitude(
    view: EventView, types: tuple[str, ...], column: str | None
) -> tuple[float | None, int]:
    """The event's magnitude of one family and its number of stations (from its netmag
    rows, else from the origin's ``column`` when one is named)."""
    m = _netmag(view.netmags.get(view.preferred.orid, []), types)
    if m is not None:
        return m.magnitude, max(m.nsta, 0)
    if column is None:
        return None, 0
    value = getattr(view.preferred, column)
    return (value, 0) if has(value) else (None, 0)


def ellipse_points(origin: Origin, err: Origerr | None) -> np.ndarray:
    """(lat, lon) of the epicentre and points of its 90 % ellipse (boundary and inside)."""
    pts = [(origin.lat, origin.lon)]
    if err is not None and err.smajax > 0 and err.sminax >= 0:
        k = scale_to_90(err.conf if err.conf > 0 else None)
        for f in (0.5, 1.0):
            ring = ellipse_polygon(
                origin.lat, origin.lon, f * k * err.smajax, f * k * err.sminax, err.strike, 36
            )
            pts += [(la, lo) for lo, la in ring[:-1]]
    return np.asarray(pts, dtype=float)


def offshore(origin: Origin, err: Origerr | None, hydroacoustic: bool | None) -> Criterion:
    """The offshore criterion of one origin from the land/sea mask.

    Without an error ellipse only the epicentre is tested, and an epicentre at sea is
    then not assessed: a point says nothing about how far the event may lie from it.
    """
    pts = ellipse_points(origin, err)
    d = signed_coast_distance_km(pts[:, 0], pts[:, 1])
    land = on_land(pts[:, 0], pts[:, 1])
    at_sea = bool(np.all(~land) and np.all(d > COAST_TOLERANCE_KM))
    near = bool(np.all(~land))
    if len(pts) == 1:
        crit = offshore_criterion(at_sea, near, float(d[0]), None, "epicentre")
        if at_sea:
            return Criterion("offshore", NOT_ASSESSED,
                             "epicentre at sea but no error ellipse", crit.value,
                             threshold=crit.threshold)  # fmt: skip
        return crit
    return offshore_criterion(at_sea, near, float(np.min(d)), hydroacoustic)


def wholly_at_sea(origin: Origin, err: Origerr | None) -> bool:
    """Whether the epicentre and its 90 % ellipse lie at sea, clear of the coast zone."""
    pts = ellipse_points(origin, err)
    d = signed_coast_distance_km(pts[:, 0], pts[:, 1])
    return bool(np.all(d > COAST_TOLERANCE_KM))


def first_motions(assocs: list, arrivals: Mapping[int, Arrival]) -> tuple[int, int]:
    """Counts of compressional and dilatational first motions of defining P arrivals."""
    up = down = 0
    for a in defining(assocs):
        arr = arrivals.get(a.arid)
        if arr is None or not a.phase.upper().startswith("P"):
            continue
        fm = (arr.fm or "").strip().lower()
        up += fm.startswith("c")
        down += fm.startswith("d")
    return up, down


def screen_event(
    view: EventView,
    arrivals: Mapping[int, Arrival],
    measured: Measured = Measured(),
    config: ScreeningConfig = IDC,
) -> tuple[list[Criterion], dict[str, tuple[float, float, int, str]]]:
    """The criteria (event outcome last) and characterisation parameters of one event."""
    o = view.preferred
    err = view.origerr.get(o.orid)
    mb, nb = _magnitude(view, MB_TYPES, "mb")
    ms, ns = _magnitude(view, MS_TYPES, "ms")
    sd = sigma_from_interval(err.sdepth, err.conf) if err is not None else math.nan
    ps = measured.ps
    crits = [
        depth_criterion(o.depth, sd, o.dtype, max(o.ndp, 0), config),
        mbms_criterion(mb, nb, ms, ns, config),
        ps_criterion(
            None if ps is None else ps.value, None if ps is None else ps.uncertainty,
            None if ps is None else ps.threshold, 0 if ps is None else ps.nsta, config,
            measured.ps_missing, "" if ps is None else getattr(ps, "bound", ""),
        ),
        offshore(o, err, measured.hydroacoustic),
    ]  # fmt: skip
    mblg, nlg = _magnitude(view, MBLG_TYPES, None)
    gate = magnitude_gate(mb, nb, config, mblg, nlg)
    if gate is not None:  # measured and shown, but not used to screen
        crits = [
            Criterion(
                c.criterion,
                NOT_ASSESSED,
                f"{gate}; {c.reason}",
                c.value,
                c.uncertainty,
                c.threshold,
                c.nsta,
            )  # fmt: skip
            for c in crits
        ]
    crits.append(event_outcome(crits, gate))

    assocs = view.assocs.get(o.orid, [])
    stations = {a.sta for a in defining(assocs)}
    coast = float(signed_coast_distance_km(o.lat, o.lon))
    up, down = first_motions(assocs, arrivals)
    params: dict[str, tuple[float, float, int, str]] = {
        "depth": (o.depth, sd, len(stations), "km"),
        "mb": (
            mb if mb is not None else math.nan,
            config.sigma_mb / math.sqrt(nb) if nb else math.nan,
            nb,
            "mag",
        ),  # fmt: skip
        "ms": (
            ms if ms is not None else math.nan,
            config.sigma_ms / math.sqrt(ns) if ns else math.nan,
            ns,
            "mag",
        ),  # fmt: skip
        "ms_mb": (crits[1].value, crits[1].uncertainty, crits[1].nsta, "mag"),
        "ndef": (float(len(defining(assocs))), math.nan, len(stations), "count"),
        "coast_dist": (coast, COAST_TOLERANCE_KM, -1, "km"),
        "offshore": (float(wholly_at_sea(o, err)), math.nan, -1, "flag"),
    }
    if up + down:
        params["fm_comp"] = (up / (up + down), math.nan, up + down, "ratio")
    if err is not None and err.smajax > 0:
        k = scale_to_90(err.conf if err.conf > 0 else None)
        params["area90"] = (math.pi * k * err.smajax * k * err.sminax, math.nan, -1, "km2")
    if ps is not None:
        params["ps"] = (ps.value, ps.uncertainty, ps.nsta, "log10")
    params.update(measured.params)
    return crits, params


def _finite(x: float, na: float) -> float:
    return x if math.isfinite(x) else na


def screen_bulletin(
    tables: Tables,
    measured: Mapping[int, Measured] | None = None,
    config: ScreeningConfig = IDC,
    auth: str = "testban",
) -> dict[str, list[Record]]:
    """``screen`` and ``evchar`` rows of every event's preferred origin in ``tables``."""
    index = events_of(tables)
    measured = measured or {}
    screens: list[Record] = []
    chars: list[Record] = []
    for view in index.events:
        o = view.preferred
        crits, params = screen_event(view, index.arrivals, measured.get(o.orid, Measured()),
                                     config)  # fmt: skip
        for c in crits:
            screens.append(
                Screen(
                    orid=o.orid,
                    evid=o.evid,
                    criterion=c.criterion,
                    value=_finite(c.value, -999.0),
                    uncertainty=_finite(c.uncertainty, -1.0),
                    threshold=_finite(c.threshold, -999.0),
                    nsta=c.nsta,
                    outcome=c.outcome,
                    reason=c.reason[:160],
                    auth=auth,
                )  # fmt: skip
            )
        for name, (value, unc, n, units) in params.items():
            if not math.isfinite(value):
                continue
            chars.append(
                Evchar(
                    orid=o.orid,
                    evid=o.evid,
                    param=name,
                    value=value,
                    uncertainty=_finite(unc, -1.0),
                    nsta=n,
                    units=units,
                    auth=auth,
                )  # fmt: skip
            )
    return {"screen": screens, "evchar": chars}
