"""The scoring tool: matching by shared arrivals, then by distance/time; the figures."""

from __future__ import annotations

import pytest

from testban.compare import compare, compare_records
from testban.io.css30 import write_tables
from testban.records.css30 import Assoc, Origin
from tests.conftest import shared_path


def _o(orid: int, lat: float, lon: float, t: float, mb: float = -999.0) -> Origin:
    return Origin(lat=lat, lon=lon, depth=0.0, time=t, orid=orid, mb=mb)


def _a(arid: int, orid: int, sta: str = "X") -> Assoc:
    return Assoc(arid=arid, orid=orid, sta=sta, phase="P", timedef="d")


def test_shared_arrivals_first_then_distance():
    ref = [_o(10, 0.0, 0.0, 100.0), _o(11, 10.0, 10.0, 500.0), _o(12, 50.0, 50.0, 900.0)]
    ref_a = [_a(1, 10), _a(2, 10), _a(3, 10), _a(4, 11), _a(5, 11)]
    # Ours: event 1 shares arrivals with 10 but is far away; event 2 is near 11 without
    # shared arrivals; event 3 is a false event.
    ours = [_o(1, 5.0, 5.0, 130.0), _o(2, 10.1, 10.0, 502.0), _o(3, -40.0, 0.0, 2000.0)]
    ours_a = [_a(1, 1), _a(2, 1), _a(6, 2), _a(7, 3)]
    c = compare_records(ours, ours_a, ref, ref_a, max_km=50.0, max_dt=10.0)
    how = {m.orid: (m.ref_orid, m.how) for m in c.matches}
    assert how == {1: (10, "arrivals"), 2: (11, "distance")}
    assert c.recall == pytest.approx(2 / 3)
    assert c.precision == pytest.approx(2 / 3)
    # Arrival pairs: ours (1,10),(2,10) right; (6,11) wrong; (7,false) wrong → P = 2/4.
    assert c.assoc_precision == pytest.approx(2 / 4)
    assert c.assoc_recall == pytest.approx(2 / 5)
    assert c.missed == [12] and c.unmatched == [3]
    assert "recall 0.667" in c.text()


def test_one_to_one():
    ref = [_o(10, 0.0, 0.0, 100.0)]
    ours = [_o(1, 0.0, 0.0, 100.0), _o(2, 0.01, 0.0, 100.5)]
    c = compare_records(ours, [], ref, [], max_km=50.0, max_dt=10.0)
    assert len(c.matches) == 1 and c.matches[0].orid == 1
    assert c.precision == 0.5


def test_reference_filter_and_dirs(tmp_path):
    ref = [_o(10, 0.0, 0.0, 100.0), _o(11, 20.0, 0.0, 400.0)]
    ref_a = [_a(1, 10, "A"), _a(2, 10, "B"), _a(3, 10, "C"), _a(4, 11, "A")]
    ours = [_o(1, 0.2, 0.0, 101.0, mb=4.2), _o(2, 20.0, 0.0, 400.0)]
    ours_a = [_a(1, 1, "A"), _a(2, 1, "B"), _a(4, 2, "A")]
    write_tables({"origin": ref, "assoc": ref_a}, tmp_path / "ref")
    write_tables({"origin": ours, "assoc": ours_a}, tmp_path / "ours")
    c = compare(tmp_path / "ours", tmp_path / "ref", max_km=50, max_dt=10,
                min_defining_stations=3)  # fmt: skip
    # Only reference event 10 counts; our event 2 (matched to 11) is neither right nor wrong.
    assert c.n_reference == 1 and c.n_events == 1 and c.recall == 1.0
    assert c.assoc_recall == pytest.approx(2 / 3) and c.assoc_precision == 1.0
    assert c.matches[0].distance_km == pytest.approx(22.2, abs=0.3)


@pytest.mark.shared
def test_reference_against_itself():
    idc = shared_path("idc_ueb_2010140")
    c = compare(idc, idc, max_km=10, max_dt=1)
    assert c.recall == 1.0 and c.precision == 1.0 and c.assoc_f1 == 1.0


def test_duplicates_counted_by_arrivals_and_by_distance():
    # Reference: two events. Ours: event 1 matches 10 by arrivals; event 2 holds 10's later
    # phases (a second event of the same source); event 3 has no arrival of the reference
    # but lies 3 s and ~1 km from 11, which our event 4 already matched; event 5 is false.
    ref = [_o(10, 0.0, 0.0, 100.0), _o(11, 30.0, 30.0, 900.0)]
    ref_a = [_a(1, 10), _a(2, 10), _a(3, 10), _a(4, 10), _a(5, 11), _a(6, 11)]
    ours = [
        _o(1, 0.0, 0.0, 100.0),
        _o(2, 0.1, 0.0, 106.0),
        _o(3, 30.01, 30.0, 903.0),
        _o(4, 30.0, 30.0, 900.0),
        _o(5, -40.0, 0.0, 2000.0),
    ]
    ours_a = [_a(1, 1), _a(2, 1), _a(3, 2), _a(4, 2), _a(9, 2), _a(5, 4), _a(6, 4), _a(7, 3)]
    c = compare_records(ours, ours_a, ref, ref_a, max_km=50.0, max_dt=10.0)
    assert {m.orid: m.ref_orid for m in c.matches} == {1: 10, 4: 11}
    assert sorted(c.duplicates) == [(2, 10), (3, 11)]
    assert c.summary()["duplicates"] == 2
    assert c.duplicate_rate == pytest.approx(2 / 5)
    assert "duplicates 2 (rate 0.400)" in c.text()


def test_no_duplicates_when_each_source_has_one_event():
    ref = [_o(10, 0.0, 0.0, 100.0), _o(11, 0.1, 0.0, 160.0)]
    ours = [_o(1, 0.0, 0.0, 101.0), _o(2, 0.1, 0.0, 161.0), _o(3, 60.0, 0.0, 100.0)]
    c = compare_records(ours, [], ref, [], max_km=50.0, max_dt=10.0)
    assert len(c.matches) == 2 and c.duplicates == [] and c.duplicate_rate == 0.0
    # A second event near an already matched one is a duplicate, not a false event.
    c2 = compare_records([*ours, _o(4, 0.0, 0.05, 104.0)], [], ref, [], max_km=50.0,
                         max_dt=10.0)  # fmt: skip
    assert c2.duplicates == [(4, 10)] and sorted(c2.unmatched) == [3, 4]
