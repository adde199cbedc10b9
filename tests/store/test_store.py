"""The store: schema from the records, idempotent windows, rollback, run state, queries."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from testban.records.css30 import TABLES, Origin
from testban.store import (
    PRIMARY_KEYS,
    TABLES_SQL,
    Store,
    StoreError,
    count_rows,
    finish_run,
    insert_tables,
    load_bulletin,
    next_ids,
    query_events,
    read_rows,
    replace_window,
    runs,
    start_run,
    window_done,
)
from tests.bulletin.synthetic import synthetic_bulletin

AUTH = "testban"
T0 = 1709251200.0  # 2024-03-01
T1 = T0 + 86400.0


def _counts(store: Store) -> dict[str, int]:
    with store.session() as s:
        return {t: count_rows(s, t) for t in TABLES_SQL}


def _snapshot(store: Store) -> dict[str, list]:
    with store.session() as s:
        return {t: read_rows(s, t) for t in TABLES_SQL}


def test_schema_is_derived_from_the_records():
    for name, cls in TABLES.items():
        table = TABLES_SQL[name]
        assert [c.name for c in table.columns] == [f.name for f in dataclasses.fields(cls)]
        assert tuple(c.name for c in table.primary_key.columns) == PRIMARY_KEYS[name]
    origin = TABLES_SQL["origin"]
    assert origin.c.etype.type.length == 7 and origin.c.auth.type.length == 15
    assert isinstance(origin.c.orid.type, sa.Integer)
    assert isinstance(TABLES_SQL["wfdisc"].c.foff.type, sa.BigInteger)  # i10
    indexed = {tuple(c.name for c in ix.columns) for ix in origin.indexes}
    assert {("time",), ("lat", "lon")} <= indexed
    assert ("orid",) in {tuple(c.name for c in ix.columns) for ix in TABLES_SQL["assoc"].indexes}


def test_rows_round_trip_exactly(store: Store):
    tables = synthetic_bulletin()
    with store.session() as s:
        insert_tables(s, tables)
    with store.session() as s:
        back = load_bulletin(s)
    for name, rows in tables.items():
        key = lambda r: dataclasses.astuple(r)  # noqa: E731
        assert sorted(back[name], key=key) == sorted(rows, key=key), name


def test_replace_window_is_idempotent(store: Store):
    tables = synthetic_bulletin()
    other = synthetic_bulletin(1, t0=T1 + 100.0, orid0=5001, arid0=60001, magid0=9901)
    reviewed = synthetic_bulletin(1, orid0=7001, arid0=80001, magid0=9951, auth="analyst")
    with store.session() as s:
        insert_tables(s, other)
        insert_tables(s, {"origin": reviewed["origin"], "origerr": reviewed["origerr"]})
    for _ in range(3):
        with store.session() as s:
            done = replace_window(s, T0, T1, tables, auth=AUTH)
    assert done.deleted["origin"] == 3 and done.deleted["arrival"] == 15
    assert done.inserted["origin"] == 3
    counts = _counts(store)
    assert counts["origin"] == 3 + 1 + 1 and counts["assoc"] == 15 + 4
    assert counts["event"] == 3 + 1 and counts["stamag"] == 14 + 4
    # A re-run that finds fewer events leaves only those (and never touches others).
    fewer = synthetic_bulletin(2)
    with store.session() as s:
        replace_window(s, T0, T1, fewer, auth=AUTH)
        orids = sorted(o.orid for o in read_rows(s, "origin"))
    assert orids == [1001, 1002, 5001, 7001]
    assert _counts(store)["arrival"] == 4 + 5 + 4


def test_crash_mid_window_leaves_the_store_unchanged(store: Store):
    with store.session() as s:
        replace_window(s, T0, T1, synthetic_bulletin(), auth=AUTH)
    before = _snapshot(store)
    # A duplicate key fails the INSERTs after the DELETEs have run.
    new = synthetic_bulletin(orid0=2001, arid0=90001, magid0=9501)
    new["assoc"].append(new["assoc"][0])
    with store.session() as s, pytest.raises(sa.exc.IntegrityError):
        replace_window(s, T0, T1, new, auth=AUTH)
    assert _snapshot(store) == before
    # An exception of the caller's, inside its own transaction, after the window was written.
    with store.session() as s, pytest.raises(RuntimeError, match="crash"):
        with s.begin():
            replace_window(s, T0, T1, synthetic_bulletin(orid0=3001), auth=AUTH)
            raise RuntimeError("crash")
    assert _snapshot(store) == before


def test_rows_outside_the_window_are_refused(store: Store):
    tables = synthetic_bulletin()
    with store.session() as s:
        with pytest.raises(StoreError, match="not an 'testban' origin"):
            replace_window(s, T0, T0 + 600.0, tables, auth=AUTH)
        with pytest.raises(StoreError, match="auth"):
            replace_window(s, T0, T1, tables, auth="other")
    assert _counts(store)["origin"] == 0


def test_run_state_and_resume(store: Store):
    with store.session() as s:
        r1 = start_run(s, T0, T1, label="day", auth=AUTH)
        assert not window_done(s, T0, T1, "day")
        replace_window(s, T0, T1, synthetic_bulletin(), auth=AUTH, run_id=r1,
                       counts={"origins": 3}, report="read 6 stations")  # fmt: skip
        r2 = start_run(s, T1, T1 + 86400.0, label="day", auth=AUTH)
        finish_run(s, r2, "failed", {"origins": 0}, "unreadable file x.mseed")
    with store.session() as s:
        assert window_done(s, T0, T1, "day")
        assert not window_done(s, T1, T1 + 86400.0, "day")
        rows = runs(s, "day")
    assert [r.status for r in rows] == ["done", "failed"]
    assert rows[0].counts == {"origins": 3} and rows[0].report == "read 6 stations"
    assert rows[0].finished is not None and rows[0].finished >= rows[0].started
    assert "unreadable" in rows[1].report


def test_next_ids_continue_after_stored_ids(store: Store):
    with store.session() as s:
        insert_tables(s, synthetic_bulletin())
        assert list(next_ids(s, "orid", 2)) == [1004, 1005]
        assert list(next_ids(s, "orid", 1)) == [1006]
        assert list(next_ids(s, "arid", 3)) == [50016, 50017, 50018]
        assert list(next_ids(s, "ampid")) == [70016]


def _origins(store: Store, **filters) -> list[int]:
    with store.session() as s:
        return [e.origin.orid for e in query_events(s, **filters)]


def test_queries(store: Store):
    tables = synthetic_bulletin(5, spacing=3600.0)
    # One non-preferred origin of event 1001 (another author) is not an event by itself.
    extra = dataclasses.replace(tables["origin"][0], orid=1100, auth="other", lat=0.0, lon=0.0)
    tables["origin"].append(extra)
    with store.session() as s:
        insert_tables(s, tables)
    o = {r.orid: r for r in tables["origin"]}
    assert _origins(store) == [1005, 1004, 1003, 1002, 1001]
    assert _origins(store, orderby="time-asc", limit=2) == [1001, 1002]
    assert _origins(store, orderby="time-asc", limit=2, offset=2) == [1003, 1004]
    assert _origins(store, starttime=o[1002].time, endtime=o[1004].time) == [1004, 1003, 1002]
    assert _origins(store, minlatitude=30.0, maxlatitude=40.0) == [1004, 1003, 1002]
    assert _origins(store, mindepth=10.0, maxdepth=30.0) == [1003, 1002]
    assert _origins(store, minmagnitude=4.6, orderby="magnitude") == [1005, 1004, 1003]
    assert _origins(store, maxmagnitude=4.45, orderby="magnitude-asc") == [1001, 1002]
    assert _origins(store, magnitudetype="MS_AVE", minmagnitude=3.75) == [1005, 1004]
    assert _origins(store, preferred_only=False, auth="other") == [1100]
    # Longitudes: 129.08, 171.58, -145.92, -103.42, -60.92; a box across the date line.
    assert _origins(store, minlongitude=170.0, maxlongitude=-140.0) == [1003, 1002]
    assert _origins(store, minlongitude=-150.0, maxlongitude=-100.0) == [1004, 1003]
    # Radius: exact great-circle distances, checked against obspy.
    from obspy.geodetics import locations2degrees

    lat, lon = 40.0, 160.0
    dist = {k: locations2degrees(lat, lon, r.lat, r.lon) for k, r in o.items() if k < 1100}
    for rmin, rmax in ((0.0, 10.0), (0.0, 40.0), (5.0, 60.0), (20.0, 180.0)):
        want = sorted((k for k, d in dist.items() if rmin <= d <= rmax), reverse=True)
        got = _origins(store, latitude=lat, longitude=lon, minradius=rmin, maxradius=rmax)
        assert got == want, (rmin, rmax)
    with store.session() as s:
        near = query_events(s, latitude=lat, longitude=lon, maxradius=40.0, limit=1)
    assert len(near) == 1 and near[0].distance == pytest.approx(dist[near[0].origin.orid])
    assert near[0].origerr is not None and near[0].origerr.smajax > 0
    assert {m.magtype for m in near[0].netmags} == {"mb_ave", "ms_ave"}
    # Near a pole the box covers every longitude.
    polar = Origin(lat=88.0, lon=-170.0, depth=0.0, time=T0, orid=4000, evid=4000, auth="x")
    with store.session() as s:
        insert_tables(s, {"origin": [polar]})
    assert _origins(store, latitude=89.0, longitude=10.0, maxradius=5.0) == [4000]


def test_file_path_store_persists(tmp_path):
    path = tmp_path / "sub" / "bulletin.sqlite"
    with Store(path) as store, store.session() as s:
        replace_window(s, T0, T1, synthetic_bulletin(), auth=AUTH)
    with Store(f"sqlite:///{path}") as store, store.session() as s:
        assert len(read_rows(s, "origin")) == 3


def test_stored_bulletin_exports_like_the_original(store: Store, tmp_path):
    from testban.bulletin import format_ims10, write_bulletin

    tables = synthetic_bulletin()
    with store.session() as s:
        replace_window(s, T0, T1, tables, auth=AUTH)
        (event,) = query_events(s, minmagnitude=4.6)
        back = load_bulletin(s, [event.origin.orid])
    orid = event.origin.orid
    arids = {a.arid for a in tables["assoc"] if a.orid == orid}
    subset = {
        t: [r for r in rows if getattr(r, "orid", getattr(r, "prefor", -1)) == orid
            or (t in ("arrival", "amplitude") and r.arid in arids)]
        for t, rows in tables.items()
    }  # fmt: skip
    assert orid == 1003 and len(back["arrival"]) == len(arids) == 6
    assert format_ims10(back) == format_ims10(subset)
    assert write_bulletin(back, tmp_path / "one.xml", "quakeml").exists()


def test_replace_arrivals_keeps_ids_of_unchanged_detections(store: Store):
    from testban.records.css30 import Amplitude, Arrival, Assoc
    from testban.store import replace_arrivals

    t0, t1 = 1000.0, 2000.0

    def det(arid: int, sta: str, t: float) -> Arrival:
        return Arrival(sta=sta, time=t, arid=arid, chan="BHZ", iphase="P", auth="testban")

    first = [det(1, "AAA", 1100.0), det(2, "BBB", 1200.0), det(3, "CCC", 1300.0)]
    amps = [Amplitude(ampid=7, arid=2, chan="BHZ", amp=3.5, amptype="A5/2", auth="testban")]
    with store.session() as s:
        arr, amp, _ = replace_arrivals(s, t0, t1, first, amps, auths=["testban"])
        ids = {a.sta: a.arid for a in arr}
        assert amp[0].arid == ids["BBB"]
        # An event (another window's) uses CCC; CCC then disappears from the detections.
        insert_tables(s, {"assoc": [Assoc(arid=ids["CCC"], orid=5, sta="CCC", phase="P")]})
        second = [det(9, "BBB", 1200.0), det(8, "AAA", 1100.0), det(4, "DDD", 1400.0)]
        amps2 = [Amplitude(ampid=1, arid=9, chan="BHZ", amp=3.5, amptype="A5/2", auth="testban")]
        arr2, amp2, done = replace_arrivals(s, t0, t1, second, amps2, auths=["testban"])
        ids2 = {a.sta: a.arid for a in arr2}
        assert ids2["AAA"] == ids["AAA"] and ids2["BBB"] == ids["BBB"]
        assert ids2["DDD"] not in ids.values()
        assert amp2[0].ampid == amp[0].ampid and amp2[0].arid == ids["BBB"]
        assert done.deleted["assoc"] == 1 and count_rows(s, "assoc") == 0
        assert count_rows(s, "arrival") == 3 and count_rows(s, "amplitude") == 1
        with pytest.raises(StoreError, match="not in window"):
            replace_arrivals(s, t0, t1, [det(1, "EEE", 2500.0)], auths=["testban"])
        assert count_rows(s, "arrival") == 3
