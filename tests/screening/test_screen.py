"""Screening a bulletin: rows per criterion and event, the land/sea mask, characterisation."""

from __future__ import annotations

import numpy as np
import pytest

from testban.records.css30 import Arrival, Assoc, Netmag, Origerr, Origin
from testban.screening import (
    NOT_ASSESSED,
    NOT_SCREENED_OUT,
    SCREENED_OUT,
    Measured,
    screen_bulletin,
)
from testban.screening.landsea import coast_distance_km, on_land, signed_coast_distance_km


def test_land_and_sea_at_known_places():
    # Punggye-ri, central Pacific, Paris, Antarctica, mid-Atlantic, Lake Baikal's shore
    lat = [41.28, 0.0, 48.85, -80.0, 30.0]
    lon = [129.08, -150.0, 2.35, 0.0, -40.0]
    assert on_land(lat, lon).tolist() == [True, False, True, True, False]
    d = signed_coast_distance_km(lat, lon)
    assert d[1] > 1000 and d[4] > 1000 and d[0] < 0
    # Punggye-ri lies ~ 60–90 km from the Sea of Japan; 1:110m is drawn to ~ 20 km
    assert 30 < coast_distance_km(41.28, 129.08) < 120


def test_longitudes_wrap():
    assert on_land(48.85, 2.35 + 360.0)
    assert not on_land(0.0, 210.0)


def _event(orid, lat, lon, depth, dtype, mb=None, nb=0, ms=None, ns=0, sdepth=-1.0, smajax=-1.0):
    o = Origin(lat=lat, lon=lon, depth=depth, time=1.5e9 + orid, orid=orid, evid=orid,
               dtype=dtype, ndp=4 if dtype == "d" else 0, auth="test")  # fmt: skip
    rows = {"origin": [o], "netmag": [], "origerr": [], "assoc": [], "arrival": []}
    if mb is not None:
        rows["netmag"].append(Netmag(magid=orid * 10, orid=orid, evid=orid, magtype="mb_ave",
                                     nsta=nb, magnitude=mb))  # fmt: skip
    if ms is not None:
        rows["netmag"].append(Netmag(magid=orid * 10 + 1, orid=orid, evid=orid,
                                     magtype="ms_ave", nsta=ns, magnitude=ms))  # fmt: skip
    rows["origerr"].append(Origerr(orid=orid, sdepth=sdepth, smajax=smajax,
                                   sminax=smajax / 2, strike=30.0, conf=0.9))  # fmt: skip
    for k, sta in enumerate(["AAA", "BBB", "CCC", "DDD"]):
        arid = orid * 100 + k
        rows["arrival"].append(Arrival(sta=sta, time=o.time + 60, arid=arid, iphase="P",
                                       fm="c." if k < 3 else "d."))  # fmt: skip
        rows["assoc"].append(Assoc(arid=arid, orid=orid, sta=sta, phase="P", timedef="d"))
    return rows


def _merge(*bulletins):
    out: dict[str, list] = {}
    for b in bulletins:
        for k, v in b.items():
            out.setdefault(k, []).extend(v)
    return out


def _by(rows, orid):
    return {r.criterion: r for r in rows["screen"] if r.orid == orid}


def test_screened_bulletin_rows():
    tables = _merge(
        # deep, depth-phase constrained, mb 5: screened out by depth
        _event(1, 36.5, 70.5, 200.0, "d", mb=5.0, nb=12, sdepth=10.0, smajax=15.0),
        # shallow surface explosion-like event on land, depth fixed: not screened out (mb:Ms)
        _event(2, 41.28, 129.08, 0.0, "r", mb=5.1, nb=20, ms=3.6, ns=5, smajax=12.0),
        # in the middle of the Pacific, ellipse small: offshore not assessed (no hydro)
        _event(3, 0.0, -150.0, 0.0, "r", mb=4.2, nb=6, smajax=20.0),
        # mb 3.2: nothing assessed, the reason says so
        _event(4, 36.5, 70.5, 200.0, "d", mb=3.2, nb=5, sdepth=10.0, smajax=15.0),
    )
    out = screen_bulletin(tables)
    one, two, three, four = (_by(out, k) for k in (1, 2, 3, 4))
    assert one["depth"].outcome == SCREENED_OUT and one["event"].outcome == SCREENED_OUT
    assert one["depth"].uncertainty == pytest.approx(10.0 / 1.6448536, rel=1e-4)
    assert two["depth"].outcome == NOT_ASSESSED
    assert two["mbms"].outcome == NOT_SCREENED_OUT
    assert two["offshore"].outcome == NOT_SCREENED_OUT
    assert two["event"].outcome == NOT_SCREENED_OUT
    assert three["offshore"].outcome == NOT_ASSESSED and "hydroacoustic" in three["offshore"].reason
    assert three["event"].outcome == NOT_ASSESSED
    assert all(r.outcome == NOT_ASSESSED and "below 3.5" in r.reason for r in four.values())
    assert set(one) == {"depth", "mbms", "ps", "offshore", "event"}
    chars = {c.param: c for c in out["evchar"] if c.orid == 2}
    assert chars["ms_mb"].value == pytest.approx(3.6 - 1.25 * 5.1)
    assert chars["fm_comp"].value == pytest.approx(0.75) and chars["fm_comp"].nsta == 4
    assert chars["coast_dist"].value < 0  # inland
    assert chars["area90"].value > 0


def test_offshore_screened_out_when_hydroacoustics_saw_nothing():
    tables = _event(5, 0.0, -150.0, 0.0, "r", mb=4.2, nb=6, smajax=20.0)
    out = screen_bulletin(tables, {5: Measured(hydroacoustic=False)})
    assert _by(out, 5)["offshore"].outcome == SCREENED_OUT


def test_ellipse_reaching_land_is_not_screened_out_offshore():
    # 50 km off the Chilean coast with a 300 km ellipse
    tables = _event(6, -33.0, -72.2, 0.0, "r", mb=4.5, nb=8, smajax=300.0)
    assert _by(screen_bulletin(tables), 6)["offshore"].outcome == NOT_SCREENED_OUT


def test_regional_ps_enters_as_measured():
    class PS:
        value, uncertainty, threshold, nsta = -0.6, 0.1, 0.0, 3

    tables = _event(7, 41.28, 129.08, 0.0, "r", mb=4.5, nb=8, smajax=10.0)
    out = screen_bulletin(tables, {7: Measured(ps=PS())})
    assert _by(out, 7)["ps"].outcome == SCREENED_OUT
    assert any(c.param == "ps" and c.value == -0.6 for c in out["evchar"])


def test_screen_rows_fit_their_columns():
    tables = _event(1, 36.5, 70.5, 200.0, "d", mb=5.0, nb=12, sdepth=10.0, smajax=15.0)
    for r in screen_bulletin(tables)["screen"]:
        assert len(r.reason) <= 160 and r.outcome in (SCREENED_OUT, NOT_SCREENED_OUT, NOT_ASSESSED)
        assert np.isfinite(r.value)
