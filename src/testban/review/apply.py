"""Review actions on a store: read an event's preferred version, write new versions.

:func:`review` is the one entry point the service and scripts use: it reads what the
action needs, runs the pure action (:mod:`testban.review.actions`) and writes every new
origin version with its rows, the event's new ``prefor`` and one ``review_audit`` row per
version, all in one transaction. Writes are serialised in the process (SQLite has one
writer) and the event's ``prefor`` is updated only if it is still the version the action
started from (:class:`Conflict` otherwise), so concurrent analysts never lose a write.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time as _time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from testban.locate import LocatorConfig
from testban.records.css30 import (
    Amplitude,
    Arrival,
    Assoc,
    Event,
    Origin,
    Site,
    Stamag,
)
from testban.review import actions as act
from testban.review.actions import NEW_ARID, Change, EventVersion, ReviewError, Stations
from testban.store import TABLES_SQL, Store, atomic, insert_tables, next_ids, read_rows
from testban.store.schema import review_audit_table

#: Actions :func:`review` knows, with the parameters each takes (besides ``evid``).
ACTIONS: dict[str, tuple[str, ...]] = {
    "accept": (),
    "reject": ("reason",),
    "change_arrival": ("arid", "time", "phase", "timedef", "azdef", "slodef"),
    "associate": ("arid", "phase"),
    "disassociate": ("arid",),
    "add_arrival": ("sta", "time", "phase", "chan"),
    "relocate": ("depth",),
    "recompute": (),
    "merge": ("other", "depth"),
    "split": ("arids", "depth"),
    "create": ("arids", "phases", "depth"),
}

_WRITE_LOCK = threading.Lock()


class Conflict(ReviewError):
    """The event changed since the version the action was based on (HTTP 409)."""


class NotFound(ReviewError):
    """No such event or arrival (HTTP 404)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Done:
    """What :func:`review` wrote: per version (evid, orid before, orid after); audit ids."""

    action: str
    versions: list[tuple[int, int, int]]
    audit_ids: list[int]

    @property
    def evid(self) -> int:
        return self.versions[0][0]

    @property
    def orid(self) -> int:
        return self.versions[0][2]


def stations_of(session: Session) -> dict[str, tuple[float, float, float]]:
    """``{sta: (lat, lon, elev km)}`` of the store's ``site`` rows (latest epoch)."""
    out = {}
    for s in read_rows(session, "site", order_by=("sta", "ondate")):
        assert isinstance(s, Site)
        if s.lat > -999 and s.lon > -999:
            out[s.sta] = (s.lat, s.lon, s.elev if s.elev > -999 else 0.0)
    return out


def preferred_orid(session: Session, evid: int) -> int:
    """The event's preferred orid (:class:`NotFound` when there is no such event)."""
    te = TABLES_SQL["event"]
    prefor = session.scalar(sa.select(te.c.prefor).where(te.c.evid == evid))
    if prefor is None:
        to = TABLES_SQL["origin"]
        prefor = session.scalar(sa.select(sa.func.max(to.c.orid)).where(to.c.evid == evid))
    if prefor is None:
        raise NotFound(f"no event {evid}")
    return int(prefor)


def load_version(session: Session, orid: int) -> EventVersion:
    """Origin ``orid`` with its rows, associated arrivals and their amplitudes."""
    by = {name: TABLES_SQL[name].c.orid == orid for name in
          ("origin", "origerr", "assoc", "netmag", "stamag", "screen", "evchar")}  # fmt: skip
    origins = read_rows(session, "origin", by["origin"])
    if not origins:
        raise NotFound(f"no origin {orid}")
    o = origins[0]
    assert isinstance(o, Origin)
    assocs = [a for a in read_rows(session, "assoc", by["assoc"]) if isinstance(a, Assoc)]
    arids = [a.arid for a in assocs]
    stamags = [s for s in read_rows(session, "stamag", by["stamag"]) if isinstance(s, Stamag)]
    ta, tm = TABLES_SQL["arrival"], TABLES_SQL["amplitude"]
    arrivals = {a.arid: a for a in read_rows(session, "arrival", ta.c.arid.in_(arids))
                if isinstance(a, Arrival)}  # fmt: skip
    event_amps = [s.ampid for s in stamags if s.arid == -1 and s.ampid > 0]
    amps = read_rows(session, "amplitude", sa.or_(tm.c.arid.in_(arids), tm.c.ampid.in_(event_amps)))
    errs = read_rows(session, "origerr", by["origerr"])
    return EventVersion(
        evid=o.evid, origin=o, origerr=errs[0] if errs else None,  # type: ignore[arg-type]
        assocs=assocs, netmags=read_rows(session, "netmag", by["netmag"]),  # type: ignore[arg-type]
        stamags=stamags, screens=read_rows(session, "screen", by["screen"]),  # type: ignore[arg-type]
        evchars=read_rows(session, "evchar", by["evchar"]),  # type: ignore[arg-type]
        arrivals=arrivals, amplitudes=[m for m in amps if isinstance(m, Amplitude)],
    )  # fmt: skip


def _arrivals(session: Session, arids: list[int]) -> tuple[list[Arrival], list[Amplitude]]:
    ta, tm = TABLES_SQL["arrival"], TABLES_SQL["amplitude"]
    rows = read_rows(session, "arrival", ta.c.arid.in_(arids))
    found = [a for a in rows if isinstance(a, Arrival)]
    missing = sorted(set(arids) - {a.arid for a in found})
    if missing:
        raise NotFound(f"no arrival {', '.join(map(str, missing))}")
    rows = read_rows(session, "amplitude", tm.c.arid.in_(arids))
    amps = [m for m in rows if isinstance(m, Amplitude)]
    return found, amps


def _current(session: Session, evid: int, expect: int | None) -> EventVersion:
    orid = preferred_orid(session, evid)
    if expect is not None and expect != orid:
        raise Conflict(f"event {evid} is now at origin {orid}, not {expect}; reload it")
    return load_version(session, orid)


def _ints(value: Any) -> list[int]:
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    try:
        return [int(v) for v in value]
    except (TypeError, ValueError):
        raise ReviewError(f"arrival ids are whole numbers, not {value!r}") from None


def _plan(
    session: Session, action: str, user: str, now: float, evid: int | None,
    expect: int | None, p: Mapping[str, Any], stations: Stations,
    config: LocatorConfig | None,
) -> Change:  # fmt: skip
    """The pure action for ``action`` on what the store holds now."""
    if action == "create":
        arrivals, amps = _arrivals(session, _ints(p.get("arids", [])))
        phases = {int(k): str(v) for k, v in (p.get("phases") or {}).items()}
        return act.create(arrivals, amps, user, now, stations, phases=phases,
                          depth=p.get("depth", "auto"), config=config)  # fmt: skip
    if evid is None:
        raise ReviewError(f"{action} needs an event id")
    v = _current(session, evid, expect)
    depth = p.get("depth", "auto")
    if action == "accept":
        return act.accept(v, user, now)
    if action == "reject":
        return act.reject(v, user, now, str(p.get("reason", "")))
    if action == "change_arrival":
        t = p.get("time")
        return act.change_arrival(
            v, user, now, int(p["arid"]), time=None if t in (None, "") else float(t),
            phase=p.get("phase") or None, timedef=p.get("timedef") or None,
            azdef=p.get("azdef") or None, slodef=p.get("slodef") or None,
        )  # fmt: skip
    if action == "associate":
        arrivals, amps = _arrivals(session, [int(p["arid"])])
        return act.associate(v, user, now, arrivals[0], amps, phase=p.get("phase") or None,
                             stations=stations)  # fmt: skip
    if action == "disassociate":
        return act.disassociate(v, user, now, int(p["arid"]))
    if action == "add_arrival":
        return act.add_arrival(v, user, now, sta=str(p["sta"]), time=float(p["time"]),
                               phase=str(p.get("phase") or "P"), chan=str(p.get("chan") or "-"),
                               stations=stations or None)  # fmt: skip
    if action == "relocate":
        return act.relocate(v, user, now, stations, depth=depth, config=config)
    if action == "recompute":
        return act.recompute(v, user, now, stations)
    if action == "merge":
        other = _current(session, int(p["other"]), None)
        return act.merge(v, other, user, now, stations, depth=depth, config=config)
    if action == "split":
        return act.split(v, _ints(p.get("arids", [])), user, now, stations, depth=depth,
                         config=config)  # fmt: skip
    raise ReviewError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")


def review(
    store: Store,
    user: str,
    action: str,
    evid: int | None = None,
    *,
    expect_orid: int | None = None,
    stations: Stations | None = None,
    config: LocatorConfig | None = None,
    now: float | None = None,
    **params: Any,
) -> Done:
    """Do ``action`` on event ``evid`` as ``user`` and write it (see the module doc).

    ``expect_orid``: the preferred origin the analyst saw (:class:`Conflict` if it has
    changed). ``stations`` default to the store's ``site`` rows. Raises
    :class:`ReviewError` (bad request), :class:`NotFound` or :class:`Conflict`.
    """
    if action not in ACTIONS:
        raise ReviewError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    with _WRITE_LOCK, store.session() as session:
        stations = stations if stations is not None else stations_of(session)
        t = _time.time() if now is None else now
        with atomic(session):
            change = _plan(session, action, user, t, evid, expect_orid, params, stations, config)
            return write_change(session, change, user, t)


def write_change(session: Session, change: Change, user: str, now: float) -> Done:
    """Write every new version of ``change`` with fresh ids, the events' ``prefor`` and
    the audit rows (inside the caller's transaction)."""
    te = TABLES_SQL["event"]
    versions, audit_ids = [], []
    new_arids: dict[int, int] = {}
    for before, after in change.versions:
        # arrivals the analyst made (placeholder arids), once even if two versions use them
        fresh = sorted(a for a in after.arrivals if a <= NEW_ARID and a not in new_arids)
        for ph, real in zip(fresh, next_ids(session, "arid", len(fresh)), strict=True):
            new_arids[ph] = real
        if fresh:
            made = [dataclasses.replace(after.arrivals[ph], arid=new_arids[ph]) for ph in fresh]
            insert_tables(session, {"arrival": made})
        (orid,) = next_ids(session, "orid", 1)
        evid = after.evid if after.evid > 0 else next_ids(session, "evid", 1)[0]
        magids = dict(zip(sorted({m.magid for m in after.netmags}),
                          next_ids(session, "magid", len(after.netmags)), strict=True))  # fmt: skip
        named = {s.ampid for s in after.stamags if s.arid == -1}
        event_amps = [m for m in after.amplitudes if m.arid == -1 and m.ampid in named]
        ampids = dict(zip([m.ampid for m in event_amps],
                          next_ids(session, "ampid", len(event_amps)), strict=True))  # fmt: skip

        def arid(a: int) -> int:
            return new_arids.get(a, a)

        common: dict[str, Any] = {"orid": orid, "evid": evid}
        o = dataclasses.replace(
            after.origin, **common, mbid=magids.get(after.origin.mbid, -1),
            msid=magids.get(after.origin.msid, -1), mlid=magids.get(after.origin.mlid, -1),
            nass=len(after.assocs), auth=user,
        )  # fmt: skip
        rows: dict[str, list[Any]] = {
            "origin": [o],
            "origerr": [dataclasses.replace(after.origerr, orid=orid)] if after.origerr else [],
            "assoc": [dataclasses.replace(a, orid=orid, arid=arid(a.arid)) for a in after.assocs],
            "netmag": [dataclasses.replace(m, **common, magid=magids[m.magid])
                       for m in after.netmags],
            "stamag": [dataclasses.replace(s, **common, magid=magids.get(s.magid, -1),
                                           arid=arid(s.arid), ampid=ampids.get(s.ampid, s.ampid)
                                           if s.arid == -1 else s.ampid)
                       for s in after.stamags if s.magid in magids],
            "screen": [dataclasses.replace(r, **common) for r in after.screens],
            "evchar": [dataclasses.replace(r, **common) for r in after.evchars],
            "amplitude": [dataclasses.replace(m, ampid=ampids[m.ampid]) for m in event_amps],
        }  # fmt: skip
        insert_tables(session, rows)
        before_orid = before.orid if before is not None else -1
        if before is None:
            insert_tables(session, {"event": [Event(evid=evid, prefor=orid, auth=user,
                                                    lddate=o.lddate)]})  # fmt: skip
        else:
            moved = session.execute(
                sa.update(te).where(te.c.evid == evid, te.c.prefor == before_orid)
                .values(prefor=orid, auth=user, lddate=o.lddate)
            )  # fmt: skip
            if not getattr(moved, "rowcount", 0):
                has = session.scalar(sa.select(sa.func.count()).where(te.c.evid == evid))
                if has:
                    raise Conflict(f"event {evid} changed while {change.action} was written")
                insert_tables(session, {"event": [Event(evid=evid, prefor=orid, auth=user,
                                                        lddate=o.lddate)]})  # fmt: skip
        stored = {arid(k): v for k, v in after.arrivals.items()}
        after_state = dataclasses.replace(after, origin=o, assocs=rows["assoc"], arrivals=stored)
        details = {
            "params": change.params,
            "before": before.summary() if before is not None else None,
            "after": after_state.summary(),
        }
        res = session.execute(
            sa.insert(review_audit_table).values(
                time=now, user=user, action=change.action, evid=evid, orid_before=before_orid,
                orid_after=orid, details=json.dumps(details, sort_keys=True),
            )
        )  # fmt: skip
        audit_ids.append(int(res.inserted_primary_key[0]))  # type: ignore[attr-defined]
        versions.append((evid, before_orid, orid))
    return Done(change.action, versions, audit_ids)


@dataclasses.dataclass(frozen=True, slots=True)
class AuditRow:
    """One row of the audit trail."""

    id: int
    time: float
    user: str
    action: str
    evid: int
    orid_before: int
    orid_after: int
    details: dict[str, Any]


def audit_trail(
    session: Session, evid: int | None = None, limit: int | None = None
) -> list[AuditRow]:
    """Audit rows (of event ``evid``), newest first."""
    t = review_audit_table
    stmt = sa.select(t).order_by(t.c.id.desc())
    if evid is not None:
        stmt = stmt.where(t.c.evid == evid)
    if limit is not None:
        stmt = stmt.limit(limit)
    out = []
    for r in session.execute(stmt):
        m = dict(r._mapping)
        m["details"] = json.loads(m["details"] or "{}")
        out.append(AuditRow(**m))
    return out
