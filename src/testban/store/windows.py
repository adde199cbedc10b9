"""Windows replaced in one transaction, with the ids of unchanged rows kept.

A processing run redoes a time window by replacing the rows it produced there: its
detections (:func:`replace_arrivals`) and its automatic events (:func:`replace_events`,
over :func:`replace_window`). One rule keeps ids stable across re-runs
(:func:`keep_ids`): a new row equal to a stored one (by a key that says what makes two
rows "the same") takes the stored row's id, so ``assoc`` rows, links from other tables and
the ids users have written down stay valid; only rows that changed get new ids. Also here:
the stored detections a window's association reads (:func:`window_detections`) and those
earlier events already took (:func:`taken_arrivals`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from testban.records.css30 import Amplitude, Arrival, Event, Origin, Record
from testban.store.db import (
    _CHUNK,
    ORIGIN_CHILDREN,
    StoreError,
    _delete,
    _finish,
    _insert,
    _table,
    _transaction,
    finish_run,
    next_ids,
    read_rows,
)
from testban.store.schema import TABLES_SQL, review_audit_table

log = logging.getLogger(__name__)

__all__ = [
    "Replaced",
    "atomic",
    "keep_ids",
    "origin_key",
    "prior_events",
    "replace_arrivals",
    "replace_events",
    "replace_window",
    "reviewed_arids",
    "taken_arrivals",
    "window_detections",
]


def keep_ids(
    session: Session, keyname: str, keys: Sequence[Hashable], stored: Mapping[Any, int]
) -> list[int]:
    """Ids for new rows with ``keys``: a key in ``stored`` keeps its stored id, the others
    get fresh ids of ``keyname`` from ``lastid`` (in the order given)."""
    fresh = iter(next_ids(session, keyname, sum(k not in stored for k in keys)))
    return [stored[k] if k in stored else next(fresh) for k in keys]


class Replaced(NamedTuple):
    """What :func:`replace_window` did: rows deleted and inserted per table."""

    deleted: dict[str, int]
    inserted: dict[str, int]


def _in_window(t: sa.Table, t0: float, t1: float) -> sa.ColumnElement[bool]:
    return sa.and_(t.c.time >= t0, t.c.time < t1)


def reviewed_arids(session: Session, arids: sa.Select[Any] | Sequence[int]) -> set[int]:
    """Those of ``arids`` associated with a reviewed origin (an origin an analyst wrote,
    :mod:`testban.review`): re-running a window never deletes them."""
    tas = TABLES_SQL["assoc"]
    reviewed = sa.select(review_audit_table.c.orid_after)
    stmt = sa.select(tas.c.arid).where(tas.c.orid.in_(reviewed), tas.c.arid.in_(arids))
    return set(session.scalars(stmt).all())


def replace_window(
    session: Session,
    t0: float,
    t1: float,
    tables: Mapping[str, Iterable[Record]],
    *,
    auth: str,
    arrival_auth: str | None = None,
    run_id: int | None = None,
    counts: Mapping[str, Any] | None = None,
    report: str = "",
) -> Replaced:
    """Replace the automatic bulletin of window ``[t0, t1)`` by ``tables``, atomically.

    Deletes the origins of author ``auth`` whose time lies in the window, with their
    ``assoc``, ``origerr``, ``netmag``, ``stamag`` and ``event`` rows (events whose
    preferred origin is one of them); when ``tables`` has an ``arrival`` entry, also the
    arrivals of author ``arrival_auth`` (default ``auth``) timed in the window and their
    ``amplitude`` rows. Then inserts ``tables`` (``{table: rows}``). All of it happens in
    one transaction, so re-running a window never duplicates its events and an exception
    part-way (here or in the caller's enclosing transaction) leaves the store unchanged.
    Origins of other authors (reviewed events) are never touched, nor are the arrivals
    associated with reviewed origins (:func:`reviewed_arids`).

    Every new origin must have author ``auth`` and a time in the window (an origin outside
    would survive the next re-run and be duplicated), and so must every new arrival (author
    ``arrival_auth``); otherwise :class:`StoreError` is raised before anything is written.
    With ``run_id``, that ``run`` row is marked ``done`` in the same transaction.
    """
    if not t0 < t1:
        raise StoreError(f"empty window [{t0}, {t1})")
    arrival_auth = auth if arrival_auth is None else arrival_auth
    materialised = {name: list(rows) for name, rows in tables.items()}
    for name in materialised:
        _table(name)
    _check_window_rows(materialised.get("origin", []), t0, t1, auth, "origin")
    _check_window_rows(materialised.get("arrival", []), t0, t1, arrival_auth, "arrival")
    deleted: dict[str, int] = {}
    with _transaction(session):
        o = TABLES_SQL["origin"]
        orids = sa.select(o.c.orid).where(o.c.auth == auth, _in_window(o, t0, t1))
        ev = TABLES_SQL["event"]
        deleted["event"] = _delete(session, ev, ev.c.prefor.in_(orids))
        # amplitudes measured for the events, not for an arrival (LR for Ms: arid -1)
        amp, sm = TABLES_SQL["amplitude"], TABLES_SQL["stamag"]
        event_amps = sa.select(sm.c.ampid).where(sm.c.orid.in_(orids))
        deleted["amplitude"] = _delete(
            session, amp, sa.and_(amp.c.arid == -1, amp.c.ampid.in_(event_amps))
        )
        for name in ORIGIN_CHILDREN:
            t = TABLES_SQL[name]
            deleted[name] = _delete(session, t, t.c.orid.in_(orids))
        deleted["origin"] = _delete(session, o, o.c.orid.in_(orids))
        if "arrival" in materialised:
            a = TABLES_SQL["arrival"]
            arids = sa.select(a.c.arid).where(a.c.auth == arrival_auth, _in_window(a, t0, t1))
            kept = reviewed_arids(session, arids)
            if kept:
                arids = arids.where(a.c.arid.not_in(sorted(kept)))
            amp = TABLES_SQL["amplitude"]
            deleted["amplitude"] += _delete(session, amp, amp.c.arid.in_(arids))
            deleted["arrival"] = _delete(session, a, a.c.arid.in_(arids))
        inserted = {name: _insert(session, name, rows) for name, rows in materialised.items()}
        if run_id is not None:
            _finish(session, run_id, "done", counts, report)
    log.debug("window [%.0f, %.0f) of %s: deleted %s, inserted %s", t0, t1, auth, deleted, inserted)
    return Replaced(deleted, inserted)


def _arrival_key(a: Record) -> tuple:
    """What makes two detections the same: station, channel, phase, author, time to 1 ms."""
    return (a.sta, a.chan, a.iphase, a.auth, round(float(a.time), 3))  # type: ignore[attr-defined]


def replace_arrivals(
    session: Session,
    t0: float,
    t1: float,
    arrivals: Iterable[Record],
    amplitudes: Iterable[Record] = (),
    *,
    auths: Iterable[str],
) -> tuple[list[Record], list[Record], Replaced]:
    """Replace the detections of authors ``auths`` timed in ``[t0, t1)``, atomically.

    ``amplitudes`` refer to ``arrivals`` by the arids given. A new arrival equal to a
    stored one (station, channel, phase, author, time to 1 ms) keeps the stored arid (and
    its amplitudes their ampids), so re-running detection over a window leaves the
    arrivals, and every ``assoc`` row pointing at them, as they were. Stored arrivals not
    produced again are deleted with their ``amplitude`` and ``assoc`` rows; new ones get
    ids from ``lastid``. A stored arrival associated with a reviewed origin
    (:func:`reviewed_arids`) is never deleted, produced again or not: review work survives
    a re-run. Returns the rows as stored (final ids) and the counts.
    """
    if not t0 < t1:
        raise StoreError(f"empty window [{t0}, {t1})")
    auths = sorted(set(auths))
    arrivals, amplitudes = list(arrivals), list(amplitudes)
    for a in arrivals:
        if not t0 <= a.time < t1 or a.auth not in auths:  # type: ignore[attr-defined]
            raise StoreError(
                f"arrival arid={a.arid} (time {a.time}, auth {a.auth!r}) is not in window "  # type: ignore[attr-defined]
                f"[{t0}, {t1}) of authors {auths}"
            )
    ta, tm, tas = TABLES_SQL["arrival"], TABLES_SQL["amplitude"], TABLES_SQL["assoc"]
    in_window = sa.and_(ta.c.auth.in_(auths), _in_window(ta, t0, t1))
    with _transaction(session):
        old = read_rows(session, "arrival", in_window)
        old_arid = {_arrival_key(a): a.arid for a in old}  # type: ignore[attr-defined]
        old_amps = read_rows(
            session, "amplitude", tm.c.arid.in_(sa.select(ta.c.arid).where(in_window))
        )
        old_ampid = {(m.arid, m.amptype, m.chan): m.ampid for m in old_amps}  # type: ignore[attr-defined]
        arids = keep_ids(session, "arid", [_arrival_key(a) for a in arrivals], old_arid)
        arid_of = {a.arid: i for a, i in zip(arrivals, arids, strict=True)}  # type: ignore[attr-defined]
        out_arr = [_with(a, arid=i) for a, i in zip(arrivals, arids, strict=True)]
        kept_old = set(arids) & set(old_arid.values())
        amps = [m for m in amplitudes if m.arid in arid_of]  # type: ignore[attr-defined]
        amp_keys = [(arid_of[m.arid], m.amptype, m.chan) for m in amps]  # type: ignore[attr-defined]
        ampids = keep_ids(session, "ampid", amp_keys, old_ampid)
        out_amp = [
            _with(m, arid=k[0], ampid=i) for m, k, i in zip(amps, amp_keys, ampids, strict=True)
        ]
        protected = reviewed_arids(session, sa.select(ta.c.arid).where(in_window)) - kept_old
        gone = [a.arid for a in old if a.arid not in kept_old | protected]  # type: ignore[attr-defined]
        deleted = {"assoc": 0, "amplitude": 0, "arrival": 0}
        replaced = in_window
        if protected:
            replaced = sa.and_(in_window, ta.c.arid.not_in(sorted(protected)))
            log.info("window [%.0f, %.0f): %d reviewed detections kept", t0, t1, len(protected))
        old_arids = sa.select(ta.c.arid).where(replaced)
        deleted["amplitude"] = _delete(session, tm, tm.c.arid.in_(old_arids))
        for i in range(0, len(gone), _CHUNK):
            deleted["assoc"] += _delete(session, tas, tas.c.arid.in_(gone[i : i + _CHUNK]))
        deleted["arrival"] = _delete(session, ta, replaced)
        inserted = {"arrival": _insert(session, "arrival", out_arr)}
        inserted["amplitude"] = _insert(session, "amplitude", out_amp)
    return out_arr, out_amp, Replaced(deleted, inserted)


def _with(record: Record, **changes: Any) -> Record:
    return dataclasses.replace(record, **changes)


def _check_window_rows(rows: list[Record], t0: float, t1: float, auth: str, name: str) -> None:
    for r in rows:
        t, a = getattr(r, "time"), getattr(r, "auth")  # noqa: B009 (any record type)
        if not t0 <= t < t1 or a != auth:
            key = "orid" if name == "origin" else "arid"
            raise StoreError(
                f"{name} {key}={getattr(r, key)} (time {t}, auth {a!r}) is not an {auth!r} "
                f"{name} of window [{t0}, {t1}); re-running the window would duplicate it"
            )


def origin_key(o: Origin) -> tuple:
    """What makes two automatic origins the same: time to 1 ms, position to 1e-4°, depth
    to 0.1 km."""
    return (round(o.time, 3), round(o.lat, 4), round(o.lon, 4), round(o.depth, 1))


def replace_events(
    session: Session,
    t0: float,
    t1: float,
    tables: Mapping[str, Sequence[Record]],
    *,
    auth: str,
    run_id: int | None = None,
    status: str = "done",
    counts: Mapping[str, Any] | None = None,
) -> Replaced:
    """Replace window ``[t0, t1)``'s automatic events of ``auth`` by ``tables``, keeping ids.

    ``tables`` holds ``origin``, ``assoc``, ``origerr``, ``netmag`` and ``stamag`` rows with
    provisional ids (orid, magid), optionally the events' own ``amplitude`` rows
    (``arid = -1``, e.g. LR for Ms) that stamag rows name by ``ampid``, and their
    ``screen`` and ``evchar`` rows. An origin equal to a stored one (:func:`origin_key`)
    keeps its orid and evid, a network magnitude its magid (same orid and magtype); the
    others get new ids. One ``event`` row per origin (preferred: itself) is written. With
    ``run_id`` the run row is marked ``status`` in the same transaction.
    """
    origins = list(tables.get("origin", []))
    to, tn, te = TABLES_SQL["origin"], TABLES_SQL["netmag"], TABLES_SQL["event"]
    old = read_rows(session, "origin", sa.and_(to.c.auth == auth, _in_window(to, t0, t1)))
    old_orid = {origin_key(o): o.orid for o in old}  # type: ignore[arg-type, attr-defined]
    old_orids = [o.orid for o in old]  # type: ignore[attr-defined]
    old_mag = {
        (m.orid, m.magtype): m.magid  # type: ignore[attr-defined]
        for m in read_rows(session, "netmag", tn.c.orid.in_(old_orids))
    }
    # An origin kept keeps its evid: that of its event row, or (an automatic origin of an
    # event an analyst reviewed, whose preferred origin is now the analyst's) its own.
    old_evid = {o.orid: o.evid for o in old if o.evid > 0}  # type: ignore[attr-defined]
    old_evid.update(
        (e.prefor, e.evid)  # type: ignore[attr-defined]
        for e in read_rows(session, "event", te.c.prefor.in_(old_orids))
    )
    orids = keep_ids(session, "orid", [origin_key(o) for o in origins], old_orid)  # type: ignore[arg-type]
    orid_of = {o.orid: i for o, i in zip(origins, orids, strict=True)}  # type: ignore[attr-defined]
    evids = keep_ids(session, "evid", orids, old_evid)
    # Events whose preferred origin is not one of the window's automatic origins (reviewed
    # events) keep their event row; their automatic origins are replaced beside it.
    reviewed = {
        e.evid  # type: ignore[attr-defined]
        for e in read_rows(
            session, "event", sa.and_(te.c.evid.in_(evids), te.c.prefor.not_in(old_orids))
        )
    }
    evid_of = {o.orid: e for o, e in zip(origins, evids, strict=True)}  # type: ignore[attr-defined]
    netmags = list(tables.get("netmag", []))
    mag_keys = sorted({(orid_of[m.orid], m.magtype) for m in netmags})  # type: ignore[attr-defined]
    magid_of = dict(zip(mag_keys, keep_ids(session, "magid", mag_keys, old_mag), strict=True))
    netmag_magid = {m.magid: magid_of[(orid_of[m.orid], m.magtype)] for m in netmags}  # type: ignore[attr-defined]

    # Amplitudes of the events themselves (arid -1, e.g. LR for Ms) hang on stamag.ampid:
    # a key (orid, sta, amptype) keeps its stored ampid.
    event_amps = [a for a in tables.get("amplitude", []) if a.arid == -1]  # type: ignore[attr-defined]
    amp_key = {
        m.ampid: (orid_of[m.orid], m.sta)  # type: ignore[attr-defined]
        for m in tables.get("stamag", [])
        if m.ampid > 0 and m.arid == -1  # type: ignore[attr-defined]
    }
    event_amps = [a for a in event_amps if a.ampid in amp_key]  # type: ignore[attr-defined]
    ampid_of: dict[int, int] = {}
    if event_amps:
        ts, tm = TABLES_SQL["stamag"], TABLES_SQL["amplitude"]
        old_pairs = read_rows(session, "stamag", sa.and_(ts.c.orid.in_(old_orids), ts.c.arid == -1))
        old_types = {
            a.ampid: a.amptype  # type: ignore[attr-defined]
            for a in read_rows(
                session,
                "amplitude",
                tm.c.ampid.in_([m.ampid for m in old_pairs]),  # type: ignore[attr-defined]
            )
        }
        old_amp = {
            (m.orid, m.sta, old_types[m.ampid]): m.ampid  # type: ignore[attr-defined]
            for m in old_pairs
            if m.ampid in old_types  # type: ignore[attr-defined]
        }
        keys = [(*amp_key[a.ampid], a.amptype) for a in event_amps]  # type: ignore[attr-defined]
        new_ids = keep_ids(session, "ampid", keys, old_amp)
        ampid_of = {a.ampid: i for a, i in zip(event_amps, new_ids, strict=True)}  # type: ignore[attr-defined]

    def renumbered(name: str, **extra: Any) -> list[Record]:
        return [
            _with(r, orid=orid_of[r.orid], **{k: f(r) for k, f in extra.items()})  # type: ignore[attr-defined]
            for r in tables.get(name, [])
        ]

    new_origins = [
        _with(
            o, orid=orid_of[o.orid], evid=evid_of[o.orid],  # type: ignore[attr-defined]
            mbid=netmag_magid.get(o.mbid, -1), msid=netmag_magid.get(o.msid, -1),  # type: ignore[attr-defined]
            mlid=netmag_magid.get(o.mlid, -1),  # type: ignore[attr-defined]
        )
        for o in origins
    ]  # fmt: skip
    rows: dict[str, list[Record]] = {
        "origin": new_origins,
        "assoc": renumbered("assoc"),
        "origerr": renumbered("origerr"),
        "netmag": renumbered(
            "netmag", magid=lambda m: netmag_magid[m.magid], evid=lambda m: evid_of[m.orid]
        ),
        "stamag": renumbered(
            "stamag",
            magid=lambda m: netmag_magid.get(m.magid, -1),
            evid=lambda m: evid_of[m.orid],
            ampid=lambda m: ampid_of.get(m.ampid, m.ampid) if m.arid == -1 else m.ampid,
        ),  # fmt: skip
        "event": [
            Event(evid=o.evid, prefor=o.orid, auth=auth)  # type: ignore[attr-defined]
            for o in new_origins
            if o.evid not in reviewed  # type: ignore[attr-defined]
        ],
    }
    if event_amps:
        rows["amplitude"] = [_with(a, ampid=ampid_of[a.ampid]) for a in event_amps]  # type: ignore[attr-defined]
    for name in ("screen", "evchar"):  # screening of the window's events, when given
        if name in tables:
            rows[name] = renumbered(name, evid=lambda r: evid_of[r.orid])
    with atomic(session):
        done = replace_window(session, t0, t1, rows, auth=auth, run_id=run_id, counts=counts)
        if run_id is not None and status != "done":
            finish_run(session, run_id, status, counts)
    return done


def window_detections(
    session: Session, t0: float, t1: float, *, auths: Sequence[str]
) -> tuple[list[Arrival], list[Amplitude]]:
    """Stored detections of authors ``auths`` timed in ``[t0, t1)`` (time order) and their
    amplitudes: what a window's association reads."""
    ta, tm = TABLES_SQL["arrival"], TABLES_SQL["amplitude"]
    where = sa.and_(ta.c.auth.in_(list(auths)), _in_window(ta, t0, t1))
    arrivals = read_rows(session, "arrival", where, order_by=("time", "arid"))
    amplitudes = read_rows(session, "amplitude", tm.c.arid.in_(sa.select(ta.c.arid).where(where)))
    return arrivals, amplitudes  # type: ignore[return-value]


def taken_arrivals(
    session: Session,
    t0: float,
    t1: float,
    *,
    auths: Sequence[str],
    origin_auth: str,
    before: float,
) -> list[int]:
    """Arids of detections of ``auths`` in ``[t0, t1)`` already associated with origins of
    ``origin_auth`` timed before ``before`` (earlier windows' events)."""
    ta, to, tas = TABLES_SQL["arrival"], TABLES_SQL["origin"], TABLES_SQL["assoc"]
    arids = sa.select(ta.c.arid).where(ta.c.auth.in_(list(auths)), _in_window(ta, t0, t1))
    earlier = sa.select(to.c.orid).where(to.c.auth == origin_auth, to.c.time < before)
    used = session.scalars(
        sa.select(tas.c.arid).where(tas.c.orid.in_(earlier), tas.c.arid.in_(arids))
    ).all()
    return sorted(set(used))


def prior_events(
    session: Session, t0: float, t1: float, *, origin_auth: str
) -> list[tuple[Origin, list[int]]]:
    """Origins of ``origin_auth`` timed in ``[t0, t1)`` with the arids of their ``assoc``
    rows (time order): the earlier windows' events a window's new events are weighed
    against (one event per source across a window boundary)."""
    to, tas = TABLES_SQL["origin"], TABLES_SQL["assoc"]
    where = sa.and_(to.c.auth == origin_auth, _in_window(to, t0, t1))
    origins = read_rows(session, "origin", where, order_by=("time", "orid"))
    arids: dict[int, list[int]] = {o.orid: [] for o in origins}  # type: ignore[attr-defined]
    if arids:
        rows = session.execute(
            sa.select(tas.c.orid, tas.c.arid).where(tas.c.orid.in_(list(arids)))
        ).all()
        for orid, arid in rows:
            arids[orid].append(arid)
    return [(o, sorted(arids[o.orid])) for o in origins]  # type: ignore[misc, attr-defined]


@contextmanager
def atomic(session: Session) -> Iterator[None]:
    """One transaction around several store writes (each a savepoint inside it); a
    transaction the session began by itself (reads) is committed first."""
    if session.in_transaction():
        session.commit()
    with session.begin():
        yield
