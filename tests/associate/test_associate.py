"""Synthetic checks of the associator: overlapping events, the event definition criteria,
window boundaries, false detections, and the layered travel times."""

from __future__ import annotations

import numpy as np
import pytest

from testban.associate import HADLEY_KANAMORI, AssociatorConfig, associate
from testban.associate.core import Associator
from testban.network import Network, Station
from testban.records.css30 import Arrival
from testban.traveltime import distance_azimuth, travel_times

T0 = 1_704_067_200.0  # 2024-01-01


def _network(n: int = 12, seed: int = 3) -> Network:
    rng = np.random.default_rng(seed)
    lat = rng.uniform(-60, 70, n)
    lon = rng.uniform(-180, 180, n)
    return Network(
        Station(f"S{i:02d}", float(a), float(b), 0.0, affiliations=("IMS_PRI",))
        for i, (a, b) in enumerate(zip(lat, lon, strict=True))
    )


def _p_arrivals(
    net: Network,
    lat: float,
    lon: float,
    t0: float,
    first_arid: int,
    stations: list[str] | None = None,
) -> list[Arrival]:
    codes = stations or list(net.codes)
    d, _, baz = distance_azimuth(lat, lon, net.lat(codes), net.lon(codes))
    pred, names = travel_times().first_arrival(d, np.zeros_like(d))
    out = []
    for k, code in enumerate(codes):
        if not np.isfinite(pred.time[k]) or d[k] > 95:
            continue
        out.append(Arrival(sta=code, time=t0 + float(pred.time[k]), arid=first_arid + k,
                           iphase="P", deltim=0.5, azimuth=float(baz[k]), delaz=5.0,
                           slow=float(pred.slowness[k]), delslo=0.5))  # fmt: skip
    return out


@pytest.fixture(scope="module")
def net() -> Network:
    return _network()


def test_two_overlapping_events_are_separated(net: Network):
    a = _p_arrivals(net, 10.0, 120.0, T0 + 600.0, 1)
    b = _p_arrivals(net, -20.0, -70.0, T0 + 640.0, 101)
    origins, assocs, origerrs, problems = associate(a + b, net)
    assert len(origins) == 2
    assert len(origerrs) == 2
    by = {}
    for s in assocs:
        by.setdefault(s.orid, set()).add(s.arid)
    sets = sorted(by.values(), key=min)
    assert sets[0] == {x.arid for x in a} and sets[1] == {x.arid for x in b}
    o = sorted(origins, key=lambda o: o.time)
    assert abs(o[0].time - (T0 + 600.0)) < 5 and abs(o[0].lat - 10.0) < 1.0
    assert abs(o[1].time - (T0 + 640.0)) < 5 and abs(o[1].lon + 70.0) < 1.0


def test_single_station_event_fails_the_criteria(net: Network):
    # P, S and Lg at one station only: consistent, but one station is not an event.
    code = net.codes[0]
    tt = travel_times()
    times = [float(tt.predict(p, 3.0, 0.0).time) for p in ("Pn", "Sn", "Lg")]
    arr = [
        Arrival(sta=code, time=T0 + 100 + t, arid=i + 1, iphase=p, deltim=0.5)
        for i, (t, p) in enumerate(zip(times, ("Pn", "Sn", "Lg"), strict=True))
    ]
    origins, assocs, _, _ = associate(arr, net)
    assert origins == [] and assocs == []


def test_window_boundary_cutting_an_event_gives_the_same_answer(net: Network):
    arr = _p_arrivals(net, 35.0, 140.0, T0 + 1790.0, 1)  # arrivals straddle the boundary
    one = associate(arr, net, AssociatorConfig(window=86400.0))
    cut = associate(arr, net, AssociatorConfig(window=600.0))
    assert len(one.origins) == len(cut.origins) == 1
    assert {s.arid for s in one.assocs} == {s.arid for s in cut.assocs}
    assert abs(one.origins[0].time - cut.origins[0].time) < 1e-3


def test_false_detections_do_not_form_events(net: Network):
    # 300 false detections at 12 stations in 6 h: ~0.0012 per station-second, the IMS
    # stations' rate (100–150 detections a day, most false). At 3× that rate 3-station
    # coincidences of random detections start to pass (about one per hour).
    rng = np.random.default_rng(0)
    n = 300
    arr = [Arrival(sta=str(rng.choice(net.codes)), time=T0 + float(rng.uniform(0, 21600)),
                   arid=i + 1, iphase="N", deltim=1.0, azimuth=float(rng.uniform(0, 360)),
                   delaz=10.0, slow=float(rng.uniform(4, 20)), delslo=1.5)
           for i in range(n)]  # fmt: skip
    origins, _, _, _ = associate(arr, net)
    assert len(origins) == 0


def test_event_among_false_detections(net: Network):
    rng = np.random.default_rng(11)
    noise = [Arrival(sta=str(rng.choice(net.codes)), time=T0 + float(rng.uniform(0, 3600)),
                     arid=1000 + i, iphase="N", deltim=1.0, azimuth=float(rng.uniform(0, 360)),
                     delaz=10.0, slow=float(rng.uniform(4, 20)), delslo=1.5)
             for i in range(60)]  # fmt: skip
    ev = _p_arrivals(net, 40.0, 20.0, T0 + 1200.0, 1)
    origins, assocs, _, _ = associate(ev + noise, net)
    assert len(origins) == 1
    got = {s.arid for s in assocs}
    truth = {x.arid for x in ev}
    assert len(got & truth) >= 0.8 * len(truth)
    assert len(got - truth) <= 1


def test_unknown_station_is_reported(net: Network):
    arr = [Arrival(sta="NOPE", time=T0, arid=1, iphase="P")]
    res = associate(arr, net)
    assert res.origins == [] and any("NOPE" in p.message for p in res.problems)


def test_layered_model_times():
    # Surface source: direct P along the top layer until the head waves overtake it.
    t, p = HADLEY_KANAMORI.first_arrival("P", np.array([10.0, 200.0]), np.array([0.0, 0.0]))
    assert t[0] == pytest.approx(10.0 / 5.5, rel=1e-6)
    assert p[1] == pytest.approx(1 / 7.8)  # Pn at 200 km
    # Source at 10 km, epicentral distance 0: vertical ray through 5.5 km at 5.5 and 4.5 at 6.3
    t0, _ = HADLEY_KANAMORI.first_arrival("P", 0.0, 10.0)
    assert float(t0) == pytest.approx(5.5 / 5.5 + 4.5 / 6.3, rel=1e-6)
    ts, _ = HADLEY_KANAMORI.first_arrival("S", 0.0, 10.0)
    assert float(ts) == pytest.approx(1.73 * float(t0), rel=1e-6)
    # Direct ray: time grows with distance and slowness stays below 1/v of the source layer.
    x = np.linspace(0, 60, 13)
    tt, pp = HADLEY_KANAMORI.first_arrival("P", x, np.full(x.size, 8.0))
    assert np.all(np.diff(tt) > 0) and np.all(pp <= 1 / 5.5 + 1e-9)


def local_network(seed: int) -> tuple[Network, np.random.Generator]:
    """Ten stations scattered over ~90 × 90 km around the Salton Trough (33.0 N, 115.6 W),
    and the random generator that drew them (the tests draw their events from it next)."""
    rng = np.random.default_rng(seed)
    lat0, lon0 = 33.0, -115.6
    net = Network(
        Station(f"L{i:02d}", lat0 + float(rng.uniform(-0.4, 0.4)),
                lon0 + float(rng.uniform(-0.5, 0.5)), 0.0)
        for i in range(10)
    )  # fmt: skip
    return net, rng


def test_local_mode_finds_a_local_event():
    net, rng = local_network(5)
    a = Associator(net, AssociatorConfig.local())
    geo = a.geo
    ex, ey = geo.xy(np.array(33.05), np.array(-115.55))
    d = np.hypot(float(ex) - geo.sx, float(ey) - geo.sy)
    tp, _ = HADLEY_KANAMORI.first_arrival("P", d, np.full(d.size, 7.0))
    ts, _ = HADLEY_KANAMORI.first_arrival("S", d, np.full(d.size, 7.0))
    arr = []
    for k, code in enumerate(net.codes):
        arr.append(Arrival(sta=code, time=T0 + 30 + float(tp[k]), arid=2 * k + 1, iphase="P"))
        arr.append(Arrival(sta=code, time=T0 + 30 + float(ts[k]), arid=2 * k + 2, iphase="S"))
    res = a.run(arr)
    assert len(res.origins) == 1
    o = res.origins[0]
    assert abs(o.time - (T0 + 30)) < 0.5
    assert abs(o.lat - 33.05) < 0.03 and abs(o.lon + 115.55) < 0.03
    assert len(res.assocs) == 20


def _phase_arrivals(net, lat, lon, depth, t0, phases, first_arid, iphase=None):
    """Arrivals of ``phases`` at every station where each exists (iasp91)."""
    tt = travel_times()
    d, _, baz = distance_azimuth(lat, lon, net.lat(), net.lon())
    out, arid = [], first_arid
    for k, code in enumerate(net.codes):
        for ph in phases:
            p = tt.predict(ph, float(d[k]), depth)
            if not np.isfinite(p.time):
                continue
            out.append(Arrival(sta=code, time=t0 + float(p.time), arid=arid,
                               iphase=iphase or ph, deltim=0.5, azimuth=float(baz[k]),
                               delaz=5.0, slow=float(p.slowness), delslo=1.0))  # fmt: skip
            arid += 1
    return out


def test_regional_phases_join_one_event():
    # Pn, Pg, Sn and Lg at every station: a station's second P-type and S-type phases
    # belong to the event too, and do not build a ghost event at the same place.
    rng = np.random.default_rng(5)
    d = rng.uniform(2.5, 9.0, 6)
    az = np.radians(rng.uniform(0, 360, 6))
    net = Network(
        Station(f"R{i}", float(35 + d[i] * np.cos(az[i])), float(140 + d[i] * np.sin(az[i])),
                0.0, affiliations=("IMS_PRI",))
        for i in range(6)
    )  # fmt: skip
    arr = _phase_arrivals(net, 35.0, 140.0, 10.0, T0 + 300.0, ("Pn", "Pg", "Sn", "Lg"), 1)
    res = associate(arr, net)
    assert len(res.origins) == 1
    assert {s.arid for s in res.assocs} == {a.arid for a in arr}
    assert {s.phase for s in res.assocs} >= {"Pg", "Lg"}
