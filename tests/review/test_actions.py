"""Every review action writes a new origin version and an audit row, never touching the
automatic rows."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from testban.records.css30 import Origin
from testban.review import (
    REJECTED,
    Conflict,
    ReviewError,
    audit_trail,
    load_version,
    preferred_orid,
    review,
    reviewed_bulletin,
)
from testban.store import TABLES_SQL, Store, read_rows
from tests.review.conftest import FREE_ARIDS

T_ARRIVAL = 1709251700.65  # ARCES P of event 1001 (arid 50001)


def _automatic(store: Store) -> dict[str, list]:
    """Every row the pipeline wrote (auth testban), by table."""
    with store.session() as s:
        o = TABLES_SQL["origin"]
        orids = [r.orid for r in read_rows(s, "origin", o.c.auth == "testban")]
        out = {"origin": read_rows(s, "origin", o.c.orid.in_(orids))}
        for name in ("assoc", "origerr", "netmag", "stamag"):
            out[name] = read_rows(s, name, TABLES_SQL[name].c.orid.in_(orids))
        a = TABLES_SQL["arrival"]
        out["arrival"] = read_rows(s, "arrival", a.c.auth == "testban")
    return out


CASES = {
    "accept": (1001, {}),
    "reject": (1001, {"reason": "a burst of noise"}),
    "change_arrival": (1001, {"arid": 50001, "time": T_ARRIVAL + 1.5, "phase": "Pn",
                              "azdef": "n"}),
    "associate": (1001, {"arid": FREE_ARIDS[0], "phase": "P"}),
    "disassociate": (1001, {"arid": 50002}),
    "add_arrival": (1001, {"sta": "MKAR", "time": T_ARRIVAL - 100.0, "phase": "P"}),
    "relocate": (1002, {"depth": "free"}),
    "recompute": (1002, {}),
    "merge": (1002, {"other": 1003}),
    "split": (1003, {"arids": [50011, 50012, 50013]}),
    "create": (None, {"arids": list(FREE_ARIDS)}),
}  # fmt: skip


@pytest.mark.parametrize("action", sorted(CASES))
def test_action_writes_a_new_version_and_an_audit_row(store: Store, action: str):
    evid, params = CASES[action]
    if action == "split":  # the arrivals of event 1003 (its last three)
        with store.session() as s:
            v = load_version(s, 1003)
        params = {"arids": sorted(a.arid for a in v.assocs)[-3:]}
    before = _automatic(store)
    done = review(store, "alice", action, evid, now=1.8e9, **params)
    assert done.action == action
    # the automatic bulletin is untouched
    assert _automatic(store) == before
    with store.session() as s:
        trail = audit_trail(s)
        assert [a.id for a in trail] == sorted(done.audit_ids, reverse=True)
        for (ev, orid_before, orid_after), audit in zip(done.versions, reversed(trail),
                                                         strict=True):  # fmt: skip
            origin = read_rows(s, "origin", TABLES_SQL["origin"].c.orid == orid_after)[0]
            assert isinstance(origin, Origin)
            assert origin.evid == ev and origin.auth == "alice"
            assert origin.lddate == "27/01/15 08:00:00"  # 1.8e9 s
            assert preferred_orid(s, ev) == orid_after
            if orid_before > 0:
                assert orid_after > orid_before
                assert ev == read_rows(s, "origin", TABLES_SQL["origin"].c.orid
                                       == orid_before)[0].evid  # fmt: skip
            else:  # a new event
                assert action in ("split", "create") and ev not in (1001, 1002, 1003)
            # the version has its own rows
            v = load_version(s, orid_after)
            assert all(a.orid == orid_after for a in v.assocs)
            assert all(m.orid == orid_after and m.auth == "alice" for m in v.netmags)
            assert {m.magid for m in v.netmags}.isdisjoint({m.magid for m in before["netmag"]})
            assert audit.user == "alice" and audit.action == action and audit.evid == ev
            assert (audit.orid_before, audit.orid_after) == (orid_before, orid_after)
            assert audit.details["after"]["orid"] == orid_after
            if orid_before > 0:
                assert audit.details["before"]["orid"] == orid_before


def test_each_action_changes_what_it_says(store: Store):
    review(store, "alice", "reject", 1001, reason="noise")
    with store.session() as s:
        v = load_version(s, preferred_orid(s, 1001))
        assert v.origin.etype == REJECTED
        assert audit_trail(s, 1001)[0].details["params"]["reason"] == "noise"
    with store.session() as s:
        arces = next(a for a in load_version(s, 1002).assocs if a.sta == "ARCES").arid
        t = read_rows(s, "arrival", TABLES_SQL["arrival"].c.arid == arces)[0].time
    done = review(store, "alice", "change_arrival", 1002, arid=arces, time=t + 2.0,
                  phase="PKP", timedef="n")  # fmt: skip
    with store.session() as s:
        v = load_version(s, done.orid)
        changed = [a for a in v.assocs if a.sta == "ARCES"][0]
        assert changed.arid != arces and changed.phase == "PKP" and changed.timedef == "n"
        assert v.arrivals[changed.arid].auth == "alice"
        assert v.arrivals[changed.arid].time == pytest.approx(t + 2.0)
        # the automatic arrival is as it was
        auto = read_rows(s, "arrival", TABLES_SQL["arrival"].c.arid == arces)[0]
        assert auto.auth == "testban" and v.arrivals[changed.arid].time != auto.time
    done = review(store, "alice", "disassociate", 1002, arid=50007)
    with store.session() as s:
        assert 50007 not in {a.arid for a in load_version(s, done.orid).assocs}


def test_relocation_with_a_fixed_depth_and_the_changed_set(store: Store):
    done = review(store, "alice", "relocate", 1003, depth=33.0)
    with store.session() as s:
        v = load_version(s, done.orid)
    assert v.origin.depth == pytest.approx(33.0) and v.origin.dtype == "g"
    assert v.origerr is not None and v.origerr.smajax > 0
    assert v.screens, "screening recomputed"


def test_merge_rejects_the_other_and_split_makes_a_new_event(store: Store):
    done = review(store, "alice", "merge", 1001, other=1002)
    with store.session() as s:
        keep, gone = (load_version(s, o) for _e, _b, o in done.versions)
        auto = {a.arid for a in read_rows(s, "assoc", TABLES_SQL["assoc"].c.orid.in_([1001, 1002]))}
    assert {a.arid for a in keep.assocs} == auto
    assert gone.rejected and not gone.assocs


def test_stale_version_is_a_conflict_and_bad_input_an_error(store: Store):
    review(store, "alice", "accept", 1001)
    with pytest.raises(Conflict):
        review(store, "bob", "reject", 1001, expect_orid=1001, reason="late")
    with pytest.raises(ReviewError):
        review(store, "alice", "reject", 1001, reason="  ")
    with pytest.raises(ReviewError):
        review(store, "alice", "disassociate", 1001, arid=424242)
    with pytest.raises(ReviewError):
        review(store, "alice", "create", arids=[FREE_ARIDS[0]])
    with store.session() as s:
        assert len(audit_trail(s)) == 1


def test_reviewed_bulletin_holds_the_reviewed_events_only(store: Store):
    review(store, "alice", "accept", 1001)
    review(store, "alice", "reject", 1002, reason="noise")
    done = review(store, "alice", "create", arids=list(FREE_ARIDS))
    with store.session() as s:
        leb = reviewed_bulletin(s)
    assert sorted(o.evid for o in leb["origin"]) == sorted([1001, done.evid])
    assert all(o.auth == "alice" for o in leb["origin"])


def test_a_failed_write_leaves_nothing(store: Store, monkeypatch: pytest.MonkeyPatch):
    from testban.review import apply

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(apply, "insert_tables", broken)
    with pytest.raises(RuntimeError):
        review(store, "alice", "accept", 1001)
    with store.session() as s:
        assert not audit_trail(s)
        assert preferred_orid(s, 1001) == 1001
        n = s.scalar(sa.select(sa.func.count()).select_from(TABLES_SQL["origin"]))
    assert n == 3
    _ = dataclasses  # (imported for readers of the records)
