"""Review actions as pure functions: an event's current version in, new versions out.

An analyst never edits a row the automatic pipeline wrote: every action produces a new
*origin version* (the CSS3.0 way: a new ``origin`` with its own ``assoc``, ``origerr``,
``netmag``, ``stamag``, ``screen`` and ``evchar`` rows, the same ``evid``, ``auth`` = the
analyst), and a changed arrival time is a new ``arrival`` row of the analyst's. The rows
made here carry placeholder ids (orid 0, magids numbered from 1 within the version, arids
of new arrivals below :data:`NEW_ARID`); :mod:`testban.review.apply` gives them store ids
and writes them, with the audit row, in one transaction.

Relocation is :func:`testban.locate.locate` from the version's own ``assoc`` rows (their
defining flags decide what is used), starting at the current hypocentre; magnitudes are
recomputed from the associated amplitudes (:mod:`testban.magnitude`) and screening from
the new origin (:func:`testban.screening.screen_bulletin`; waveform measurements such as
regional P/S are not redone here, so those criteria read "not assessed").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from testban.locate import LocateError, LocatorConfig, locate
from testban.magnitude import network_magnitudes, station_magnitudes, with_magnitudes
from testban.records.css30 import (
    Amplitude,
    Arrival,
    Assoc,
    Evchar,
    Event,
    Netmag,
    Origerr,
    Origin,
    Record,
    Screen,
    Stamag,
    jdate,
)
from testban.screening import screen_bulletin
from testban.traveltime import distance_azimuth

#: ``origin.etype`` of a rejected event's version: QuakeML's "not existing".
REJECTED = "nx"
#: Placeholder arids of new (analyst) arrivals are at most this (−1 is CSS3.0's null).
NEW_ARID = -10
#: Depth choices of a relocation: the locator's rule, free, or a fixed depth in km.
DEPTHS = ("auto", "free")

Stations = Mapping[str, tuple[float, float, float]]


class ReviewError(ValueError):
    """An action that cannot be done (unknown arrival, too few data to locate …)."""


@dataclass(slots=True)
class EventVersion:
    """One origin of an event with everything that hangs on it, as stored."""

    evid: int
    origin: Origin
    origerr: Origerr | None = None
    assocs: list[Assoc] = field(default_factory=list)
    netmags: list[Netmag] = field(default_factory=list)
    stamags: list[Stamag] = field(default_factory=list)
    screens: list[Screen] = field(default_factory=list)
    evchars: list[Evchar] = field(default_factory=list)
    arrivals: dict[int, Arrival] = field(default_factory=dict)  # associated (and new) ones
    amplitudes: list[Amplitude] = field(default_factory=list)  # theirs, and arid −1 ones

    @property
    def orid(self) -> int:
        return self.origin.orid

    @property
    def rejected(self) -> bool:
        return self.origin.etype == REJECTED

    def summary(self) -> dict[str, Any]:
        """What the audit row records of this version."""
        o = self.origin
        return {
            "orid": o.orid, "auth": o.auth, "time": round(o.time, 3), "lat": round(o.lat, 4),
            "lon": round(o.lon, 4), "depth": round(o.depth, 2), "dtype": o.dtype,
            "etype": o.etype, "mb": round(o.mb, 2), "ms": round(o.ms, 2), "ml": round(o.ml, 2),
            "nass": len(self.assocs),
            "ndef": sum(a.timedef == "d" for a in self.assocs),
            "phases": sorted(
                [a.arid, a.sta, a.phase, a.timedef + a.azdef + a.slodef,
                 round(self.arrivals[a.arid].time, 3) if a.arid in self.arrivals else None]
                for a in self.assocs
            ),
        }  # fmt: skip


@dataclass(slots=True)
class Change:
    """What one action produced: new versions (evid −1: a new event), the rows for each
    placeholder orid 0, and the parameters the audit row records."""

    action: str
    versions: list[tuple[EventVersion | None, EventVersion]]  # (before, after)
    params: dict[str, Any] = field(default_factory=dict)


def lddate(t: float) -> str:
    """CSS3.0 ``lddate`` (17 characters, UTC) of epoch ``t``."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).strftime("%y/%m/%d %H:%M:%S")


def new_version(v: EventVersion, user: str, now: float, **origin_changes: Any) -> EventVersion:
    """A copy of ``v`` as the analyst's version: placeholder orid 0, ``auth`` = ``user``.

    Network magnitudes are renumbered 1, 2 … (the origin's ``mbid``/``msid``/``mlid`` and
    the station rows follow), so the version can be written under fresh ids."""
    stamp = lddate(now)
    magid = {m.magid: k for k, m in enumerate(v.netmags, start=1)}
    o = dataclasses.replace(
        v.origin, orid=0, evid=v.evid, auth=user, lddate=stamp,
        mbid=magid.get(v.origin.mbid, -1), msid=magid.get(v.origin.msid, -1),
        mlid=magid.get(v.origin.mlid, -1), **origin_changes,
    )  # fmt: skip

    def re(rows: Iterable[Any], **kw: Any) -> list[Any]:
        return [dataclasses.replace(r, orid=0, lddate=stamp, **kw) for r in rows]

    return EventVersion(
        evid=v.evid,
        origin=o,
        origerr=dataclasses.replace(v.origerr, orid=0, lddate=stamp) if v.origerr else None,
        assocs=re(v.assocs),
        netmags=[
            dataclasses.replace(m, orid=0, magid=magid[m.magid], auth=user, lddate=stamp)
            for m in v.netmags
        ],
        stamags=[
            dataclasses.replace(s, orid=0, magid=magid.get(s.magid, -1), auth=user, lddate=stamp)
            for s in v.stamags
        ],
        screens=re(v.screens, auth=user),
        evchars=re(v.evchars, auth=user),
        arrivals=dict(v.arrivals),
        amplitudes=list(v.amplitudes),
    )


# ----------------------------------------------------------------------------- actions


def accept(v: EventVersion, user: str, now: float) -> Change:
    """Accept the event as it is (the analyst's version, unchanged)."""
    return Change("accept", [(v, new_version(v, user, now))])


def reject(v: EventVersion, user: str, now: float, reason: str) -> Change:
    """Reject the event (not a real event): a version of type :data:`REJECTED`."""
    if not reason.strip():
        raise ReviewError("a rejection needs a reason")
    return Change("reject", [(v, new_version(v, user, now, etype=REJECTED))],
                  {"reason": reason.strip()})  # fmt: skip


def _assoc_of(v: EventVersion, arid: int) -> Assoc:
    for a in v.assocs:
        if a.arid == arid:
            return a
    raise ReviewError(f"arrival {arid} is not associated with event {v.evid}")


def _flag(value: str | bool | None, old: str) -> str:
    if value is None:
        return old
    if isinstance(value, bool):
        return "d" if value else "n"
    if value not in ("d", "n"):
        raise ReviewError(f"a defining flag is 'd' or 'n', not {value!r}")
    return value


def change_arrival(
    v: EventVersion,
    user: str,
    now: float,
    arid: int,
    *,
    time: float | None = None,
    phase: str | None = None,
    timedef: str | bool | None = None,
    azdef: str | bool | None = None,
    slodef: str | bool | None = None,
) -> Change:
    """Change an associated arrival's time (a new arrival row of the analyst's), phase or
    defining flags (time, azimuth, slowness) in a new version (not relocated)."""
    old = _assoc_of(v, arid)
    nv = new_version(v, user, now)
    params: dict[str, Any] = {"arid": arid}
    new_arid = arid
    if time is not None and arid in v.arrivals and abs(time - v.arrivals[arid].time) > 1e-4:
        new_arid = min([NEW_ARID + 1, *nv.arrivals]) - 1
        a = v.arrivals[arid]
        nv.arrivals[new_arid] = dataclasses.replace(
            a, arid=new_arid, time=float(time), jdate=jdate(time), auth=user,
            lddate=lddate(now), commid=-1,
        )  # fmt: skip
        params.update(time_before=round(a.time, 3), time=round(float(time), 3))
    if phase is not None:
        phase = phase.strip()
        if not phase or len(phase) > 8:
            raise ReviewError(f"bad phase {phase!r} (1 to 8 characters)")
        params.update(phase_before=old.phase, phase=phase)
    changed = dataclasses.replace(
        old, orid=0, arid=new_arid, phase=phase or old.phase,
        timedef=_flag(timedef, old.timedef), azdef=_flag(azdef, old.azdef),
        slodef=_flag(slodef, old.slodef), lddate=lddate(now),
    )  # fmt: skip
    params["flags"] = changed.timedef + changed.azdef + changed.slodef
    nv.assocs = [changed if a.arid == arid else a for a in nv.assocs]
    return Change("change_arrival", [(v, nv)], params)


def _new_assoc(
    o: Origin, arrival: Arrival, phase: str, stations: Stations | None, stamp: str
) -> Assoc:
    """An assoc row for ``arrival`` as ``phase`` (distance and azimuths when the station's
    place is known; residuals come with the next relocation)."""
    geo: dict[str, Any] = {}
    if stations is not None and arrival.sta in stations and o.lat > -999:
        slat, slon, _ = stations[arrival.sta]
        d, esaz, seaz = distance_azimuth(o.lat, o.lon, slat, slon)
        geo = {"delta": float(d), "esaz": float(esaz), "seaz": float(seaz)}
    return Assoc(
        arid=arrival.arid, orid=0, sta=arrival.sta, phase=phase, timedef="d",
        azdef="d" if arrival.azimuth >= 0 else "n", slodef="d" if arrival.slow >= 0 else "n",
        lddate=stamp, **geo,
    )  # fmt: skip


def _phase_of(arrival: Arrival, phase: str | None) -> str:
    p = (phase or "").strip() or (arrival.iphase if arrival.iphase != "-" else "P")
    if len(p) > 8:
        raise ReviewError(f"bad phase {p!r} (at most 8 characters)")
    return p


def associate(
    v: EventVersion,
    user: str,
    now: float,
    arrival: Arrival,
    amplitudes: Sequence[Amplitude] = (),
    *,
    phase: str | None = None,
    stations: Stations | None = None,
) -> Change:
    """Associate a stored arrival with the event (as ``phase``, default its initial
    phase), defining in time (and azimuth/slowness where measured); not relocated."""
    if any(a.arid == arrival.arid for a in v.assocs):
        raise ReviewError(f"arrival {arrival.arid} is already associated with event {v.evid}")
    nv = new_version(v, user, now)
    p = _phase_of(arrival, phase)
    nv.assocs.append(_new_assoc(nv.origin, arrival, p, stations, lddate(now)))
    nv.arrivals[arrival.arid] = arrival
    nv.amplitudes += [m for m in amplitudes if m.arid == arrival.arid]
    return Change("associate", [(v, nv)], {"arid": arrival.arid, "sta": arrival.sta, "phase": p})


def disassociate(v: EventVersion, user: str, now: float, arid: int) -> Change:
    """Take an arrival out of the event (the arrival itself stays); not relocated."""
    old = _assoc_of(v, arid)
    nv = new_version(v, user, now)
    nv.assocs = [a for a in nv.assocs if a.arid != arid]
    nv.stamags = [s for s in nv.stamags if s.arid != arid]
    return Change("disassociate", [(v, nv)], {"arid": arid, "sta": old.sta, "phase": old.phase})


def add_arrival(
    v: EventVersion,
    user: str,
    now: float,
    *,
    sta: str,
    time: float,
    phase: str,
    chan: str = "-",
    stations: Stations | None = None,
) -> Change:
    """Add an arrival the analyst picked (station, time, phase) and associate it."""
    sta = sta.strip().upper()
    if not sta or len(sta) > 6:
        raise ReviewError(f"bad station code {sta!r} (1 to 6 characters)")
    if stations is not None and sta not in stations:
        raise ReviewError(f"unknown station {sta!r}")
    p = _phase_of(Arrival(), phase)
    nv = new_version(v, user, now)
    new_arid = min([NEW_ARID + 1, *nv.arrivals]) - 1
    arrival = Arrival(
        sta=sta, time=float(time), arid=new_arid, jdate=jdate(time), chan=chan or "-",
        iphase=p, auth=user, lddate=lddate(now),
    )  # fmt: skip
    nv.arrivals[new_arid] = arrival
    nv.assocs.append(_new_assoc(nv.origin, arrival, p, stations, lddate(now)))
    return Change("add_arrival", [(v, nv)], {"sta": sta, "time": round(float(time), 3),
                                             "phase": p, "chan": chan or "-"})  # fmt: skip


def _depth_arg(depth: str | float | None) -> float | str | None:
    if depth is None or depth == "auto":
        return None
    if depth == "free":
        return "free"
    try:
        value = float(depth)
    except (TypeError, ValueError):
        raise ReviewError(f"depth is 'auto', 'free' or a depth in km, not {depth!r}") from None
    if not -10.0 <= value <= 700.0:
        raise ReviewError(f"a fixed depth must lie in [-10, 700] km, not {value}")
    return value


def relocated(
    nv: EventVersion,
    stations: Stations,
    depth: str | float | None = "auto",
    config: LocatorConfig | None = None,
    start: Origin | None = None,
) -> EventVersion:
    """``nv`` relocated from its own assoc rows (their defining flags), then its
    magnitudes and screening recomputed; assoc rows of unknown stations are kept as
    non-defining."""
    placed = [a for a in nv.assocs if a.arid in nv.arrivals]
    unknown = sorted({a.sta for a in placed} - set(stations))
    if len(unknown) == len({a.sta for a in placed}):
        raise ReviewError(
            f"no coordinates for the stations of event {nv.evid} ({', '.join(unknown[:5])}"
            f"{' …' if len(unknown) > 5 else ''}): load their site rows into the store"
        )
    try:
        loc = locate(
            (list(nv.arrivals.values()), placed), stations,
            start=start if start is not None else (nv.origin if nv.origin.lat > -999 else None),
            depth=_depth_arg(depth), config=config, orid=0, evid=nv.evid, auth=nv.origin.auth,
        )  # fmt: skip
    except LocateError as exc:
        raise ReviewError(f"cannot relocate event {nv.evid}: {exc}") from None
    o = loc.origin
    new_origin = dataclasses.replace(
        nv.origin, lat=o.lat, lon=o.lon, depth=o.depth, time=o.time, jdate=o.jdate,
        nass=len(nv.assocs), ndef=o.ndef, ndp=o.ndp, dtype=o.dtype, algorithm=o.algorithm,
        grn=-1, srn=-1,
    )  # fmt: skip
    located = {a.arid for a in loc.assocs}
    stamp = nv.origin.lddate
    assocs = [dataclasses.replace(a, orid=0, lddate=stamp) for a in loc.assocs]
    assocs += [
        dataclasses.replace(a, timedef="n", azdef="n", slodef="n")
        for a in nv.assocs
        if a.arid not in located
    ]
    out = dataclasses.replace(
        nv, origin=new_origin, assocs=assocs,
        origerr=dataclasses.replace(loc.origerr, orid=0, lddate=stamp),
    )  # fmt: skip
    return recomputed(out, stations)


def recomputed(nv: EventVersion, stations: Stations | None = None) -> EventVersion:
    """``nv`` with network and station magnitudes recomputed from its associated
    amplitudes (rows without an arrival, e.g. surface waves measured for the event, are
    carried over), the origin's mb/Ms/ML columns and its screening redone."""
    o, user = nv.origin, nv.origin.auth
    body = station_magnitudes(nv.amplitudes, list(nv.arrivals.values()), nv.assocs, o, None)
    carried = [s for s in nv.stamags if s.arid == -1]
    netmags, stamags = network_magnitudes([*body, *carried], net=user, auth=user)
    stamp = o.lddate
    netmags = [dataclasses.replace(m, evid=nv.evid, lddate=stamp) for m in netmags]
    stamags = [dataclasses.replace(s, evid=nv.evid, auth=user, lddate=stamp) for s in stamags]
    cleared = dataclasses.replace(o, mb=-999.0, mbid=-1, ms=-999.0, msid=-1, ml=-999.0, mlid=-1)
    origin = with_magnitudes([cleared], netmags)[0]
    tables: dict[str, list[Record]] = {
        "origin": [origin], "assoc": list(nv.assocs),
        "origerr": [nv.origerr] if nv.origerr else [], "netmag": list(netmags),
        "stamag": list(stamags), "arrival": list(nv.arrivals.values()),
        "amplitude": list(nv.amplitudes), "event": [Event(evid=nv.evid, prefor=0)],
    }  # fmt: skip
    screened = screen_bulletin(tables, None, auth=user)
    return dataclasses.replace(
        nv, origin=origin, netmags=netmags, stamags=stamags,
        screens=[dataclasses.replace(r, lddate=stamp) for r in screened["screen"]],  # type: ignore[call-arg, misc]
        evchars=[dataclasses.replace(r, lddate=stamp) for r in screened["evchar"]],  # type: ignore[call-arg, misc]
    )  # fmt: skip


def relocate(
    v: EventVersion,
    user: str,
    now: float,
    stations: Stations,
    *,
    depth: str | float | None = "auto",
    config: LocatorConfig | None = None,
) -> Change:
    """Relocate with the current set of arrivals and flags (depth: the locator's rule,
    free, or fixed in km), then recompute magnitudes and screening."""
    nv = relocated(new_version(v, user, now), stations, depth, config)
    return Change("relocate", [(v, nv)], {"depth": depth})


def recompute(v: EventVersion, user: str, now: float, stations: Stations | None = None) -> Change:
    """Recompute magnitudes and screening at the current location."""
    return Change("recompute", [(v, recomputed(new_version(v, user, now), stations))])


def merge(
    keep: EventVersion,
    other: EventVersion,
    user: str,
    now: float,
    stations: Stations,
    *,
    depth: str | float | None = "auto",
    config: LocatorConfig | None = None,
) -> Change:
    """Merge ``other`` into ``keep``: ``keep``'s new version has both events' arrivals
    (relocated); ``other``'s new version is rejected, with no arrivals."""
    if keep.evid == other.evid:
        raise ReviewError("an event cannot be merged with itself")
    nv = new_version(keep, user, now)
    have = {a.arid for a in nv.assocs}
    stamp = lddate(now)
    for a in other.assocs:
        if a.arid not in have:
            nv.assocs.append(dataclasses.replace(a, orid=0, lddate=stamp))
            have.add(a.arid)
    nv.arrivals.update(other.arrivals)
    seen = {m.ampid for m in nv.amplitudes}
    nv.amplitudes += [m for m in other.amplitudes if m.arid != -1 and m.ampid not in seen]
    nv = relocated(nv, stations, depth, config)
    gone = new_version(other, user, now, etype=REJECTED)
    gone.assocs, gone.stamags = [], []
    params = {"evid": keep.evid, "merged": other.evid,
              "reason": f"merged into event {keep.evid}"}  # fmt: skip
    return Change("merge", [(keep, nv), (other, gone)], params)


def split(
    v: EventVersion,
    arids: Iterable[int],
    user: str,
    now: float,
    stations: Stations,
    *,
    depth: str | float | None = "auto",
    config: LocatorConfig | None = None,
) -> Change:
    """Split ``arids`` off into a new event; both are relocated (the new one starting at
    the old hypocentre)."""
    moved = set(arids)
    for arid in moved:
        _assoc_of(v, arid)
    if not moved or len(moved) == len(v.assocs):
        raise ReviewError("a split moves some, not all, of the event's arrivals")
    rest = new_version(v, user, now)
    rest.assocs = [a for a in rest.assocs if a.arid not in moved]
    rest = relocated(rest, stations, depth, config)
    part = new_version(v, user, now, etype="-")
    part.evid = -1
    part.origin = dataclasses.replace(part.origin, evid=-1)
    part.assocs = [a for a in part.assocs if a.arid in moved]
    part.stamags, part.netmags = [], []
    part = relocated(part, stations, depth, config, start=v.origin)
    return Change("split", [(v, rest), (None, part)], {"evid": v.evid, "arids": sorted(moved)})


def create(
    arrivals: Sequence[Arrival],
    amplitudes: Sequence[Amplitude],
    user: str,
    now: float,
    stations: Stations,
    *,
    phases: Mapping[int, str] | None = None,
    depth: str | float | None = "auto",
    config: LocatorConfig | None = None,
) -> Change:
    """A new event from stored arrivals (phases given per arid, else their initial phase),
    located from the global grid, with magnitudes and screening."""
    if len({a.arid for a in arrivals}) < 3:
        raise ReviewError("an event needs at least 3 arrivals")
    stamp = lddate(now)
    origin = Origin(orid=0, evid=-1, auth=user, lddate=stamp)
    nv = EventVersion(evid=-1, origin=origin)
    for a in arrivals:
        p = _phase_of(a, (phases or {}).get(a.arid))
        nv.assocs.append(_new_assoc(origin, a, p, None, stamp))
        nv.arrivals[a.arid] = a
    ids = set(nv.arrivals)
    nv.amplitudes = [m for m in amplitudes if m.arid in ids]
    nv = relocated(nv, stations, depth, config, start=None)
    if nv.origin.lat <= -999:
        raise ReviewError("the arrivals could not be located")
    return Change("create", [(None, nv)], {"arids": sorted(ids)})
