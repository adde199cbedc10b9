"""`testban run --redo` of a window keeps review work: automatic events are replaced,
reviewed ones kept, and the detections of reviewed origins are never deleted."""

from __future__ import annotations

import sqlalchemy as sa

from testban.records.css30 import Arrival
from testban.review import audit_trail, load_version, preferred_orid, review, reviewed_bulletin
from testban.store import TABLES_SQL, Store, read_rows, replace_arrivals, replace_events
from tests.bulletin.synthetic import synthetic_bulletin
from tests.review.conftest import FREE_ARIDS, free_arrivals
from tests.service.conftest import T0

WINDOW = (T0, T0 + 12000.0)


def _redo(store: Store, drop: set[int]) -> None:
    """Detection and association of the window again, as `testban run --redo` does: the
    same automatic bulletin, and the same detections less ``drop`` (a detector that no
    longer finds them)."""
    tables = synthetic_bulletin(3, t0=T0)
    arrivals = [a for a in tables["arrival"] + free_arrivals(tables) if a.arid not in drop]
    with store.session() as s:
        replace_arrivals(s, *WINDOW, arrivals, tables["amplitude"], auths=["testban"])
        replace_events(s, *WINDOW, {k: tables[k] for k in
                                    ("origin", "assoc", "origerr", "netmag", "stamag")},
                       auth="testban")  # fmt: skip


def _count(store: Store, table: str) -> int:
    with store.session() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(TABLES_SQL[table])) or 0)


def test_redo_keeps_reviewed_events_and_their_detections(store: Store):
    review(store, "alice", "reject", 1001, reason="noise")
    gone = review(store, "alice", "disassociate", 1002, arid=50006)
    moved = review(store, "alice", "relocate", 1002, depth="free")
    made = review(store, "alice", "create", arids=list(FREE_ARIDS))
    with store.session() as s:
        before = {k: sorted(map(repr, v)) for k, v in reviewed_bulletin(s).items()}
        trail = audit_trail(s)
    events = _count(store, "event")

    # the detector no longer finds the created event's detections nor one of event 1003
    _redo(store, drop={*FREE_ARIDS, 50012})

    with store.session() as s:
        after = {k: sorted(map(repr, v)) for k, v in reviewed_bulletin(s).items()}
        assert after == before, "the reviewed bulletin is unchanged by the re-run"
        assert audit_trail(s) == trail
        for evid, done in ((1001, None), (1002, moved), (made.evid, made)):
            if done is not None:
                assert preferred_orid(s, evid) == done.orid
        # detections of reviewed origins are kept, even those not found again …
        kept = read_rows(s, "arrival", TABLES_SQL["arrival"].c.arid.in_(FREE_ARIDS))
        assert sorted(a.arid for a in kept if isinstance(a, Arrival)) == sorted(FREE_ARIDS)
        # … while a detection only automatic origins used is replaced
        assert not read_rows(s, "arrival", TABLES_SQL["arrival"].c.arid == 50012)
        # automatic origins replaced, not duplicated; their evids kept
        auto = read_rows(s, "origin", TABLES_SQL["origin"].c.auth == "testban")
        assert sorted((o.orid, o.evid) for o in auto) == [(1001, 1001), (1002, 1002),
                                                          (1003, 1003)]  # fmt: skip
        assert load_version(s, gone.orid).evid == 1002
    assert _count(store, "event") == events, "no event row added or lost"


def test_redo_of_an_unreviewed_window_still_replaces_everything(store: Store):
    _redo(store, drop={50012})
    with store.session() as s:
        assert not read_rows(s, "arrival", TABLES_SQL["arrival"].c.arid == 50012)
        assert not read_rows(s, "arrival", TABLES_SQL["arrival"].c.arid.in_([]))
    assert _count(store, "origin") == 3 and _count(store, "event") == 3
