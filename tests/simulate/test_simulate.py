"""The simulator: reproducibility, IDC-like statistics, error model, waveforms, land mask."""

from __future__ import annotations

import numpy as np
import pytest
from obspy import UTCDateTime, read

from testban.io.css30 import read_tables
from testban.simulate import (
    Element,
    Station,
    draw_events,
    ims_like_network,
    is_land,
    simulate_arrivals,
    simulate_day,
    simulate_waveforms,
    stations_from_sites,
    write_simulation,
)
from testban.simulate.seismicity import gutenberg_richter
from testban.traveltime import travel_times
from tests.conftest import shared_path

START = UTCDateTime("2024-03-01T00:00:00")
TEST_SITE = ("Punggye-ri", 41.30, 129.08, START + 7200.0, 5.0)


@pytest.fixture(scope="module")
def network() -> list[Station]:
    return ims_like_network(0)


@pytest.fixture(scope="module")
def day(network):
    return simulate_day(START, seed=7, network=network, explosions=[TEST_SITE])


def test_network_shape_and_land(network) -> None:
    primary = [s for s in network if s.primary]
    arrays = [s for s in primary if s.is_array]
    assert len(primary) == 50 and len(network) == 170 and len(arrays) == 30
    assert all(9 <= len(s.elements) <= 25 for s in arrays)
    for s in arrays:
        e = np.array([[x.deast, x.dnorth] for x in s.elements])
        aperture = np.max(np.hypot(e[:, None, 0] - e[None, :, 0], e[:, None, 1] - e[None, :, 1]))
        assert 2.5 <= aperture <= 20.5
    lat = np.array([s.lat for s in network])
    lon = np.array([s.lon for s in network])
    assert is_land(lat, lon).all()
    assert lat.max() - lat.min() > 100 and np.ptp(lon) > 300  # global spread
    assert len({s.code for s in network}) == len(network)


def test_land_mask_known_points() -> None:
    sea = [(0, -140), (-30, -20), (-20, 80), (35, 18), (43, 34), (30, -40), (-45, 150), (55, -30)]
    land = [(40, -100), (-25, 135), (0, 25), (-10, -55), (55, 40), (50, 90), (-80, 0), (72, -40)]
    assert not is_land(*np.array(sea).T).any()
    assert is_land(*np.array(land).T).all()


def test_css_rows_round_trip(day, tmp_path) -> None:
    write_simulation(day, tmp_path)
    tables = read_tables(tmp_path)
    assert {"arrival", "origin", "assoc", "site", "sitechan", "affiliation", "event"} <= set(tables)
    assert len(tables["arrival"]) == len(day.arrivals)
    assert {a.net for a in tables["affiliation"]} == {"IMS_PRI", "IMS_AUX"}
    back = stations_from_sites(tables["site"], tables["affiliation"], tables["sitechan"])
    assert [s.code for s in back] == [s.code for s in day.stations]
    assert [len(s.elements) for s in back] == [len(s.elements) for s in day.stations]
    assert sum(not s.primary for s in back) == 120


def test_reproducible(network) -> None:
    a = simulate_day(START, seed=3, network=network, duration=4 * 3600.0)
    b = simulate_day(START, seed=3, network=network, duration=4 * 3600.0)
    c = simulate_day(START, seed=4, network=network, duration=4 * 3600.0)
    assert a.arrivals == b.arrivals and a.origins == b.origins and a.assocs == b.assocs
    assert a.arrivals != c.arrivals
    assert ims_like_network(0) == network


def test_day_statistics(day) -> None:
    """Mostly false detections, as at the IDC; ids unique; REB-like event counts."""
    assert day.false_fraction >= 0.6
    arids = [a.arid for a in day.arrivals]
    assert len(set(arids)) == len(arids) and arids == sorted(arids)
    times = [a.time for a in day.arrivals]
    assert times == sorted(times)
    mb = np.array([o.mb for o in day.origins])
    assert 50 <= np.sum(mb >= 3.5) <= 200
    assert {a.iphase for a in day.arrivals} >= {"P", "S", "N", "Lg", "LR"}
    ndef = {o.orid: o.ndef for o in day.origins}
    counts = np.bincount([s.orid for s in day.assocs])
    assert all(counts[k] == n for k, n in ndef.items() if n)


def test_explosion(day) -> None:
    ex = [o for o in day.origins if o.etype == "ex"]
    assert len(ex) == 1 and ex[0].depth <= 1.0 and ex[0].ndef >= 3
    assert abs(ex[0].time - TEST_SITE[3].timestamp) < 1e-3


def test_gutenberg_richter_b_value() -> None:
    rng = np.random.default_rng(11)
    mb = gutenberg_richter(100_000, 2.5, 6.5, 1.0, rng)
    b = np.log10(np.e) / (mb.mean() - 2.5)  # Aki (1965) maximum likelihood
    assert abs(b - 1.0) < 0.03 and mb.min() >= 2.5 and mb.max() <= 6.5
    events = draw_events(START, START + 5 * 86400, seed=2)
    m = np.array([e.mb for e in events])
    assert abs(np.log10(np.e) / (m.mean() - 2.5) - 1.0) < 0.1


def test_time_errors_follow_model(day) -> None:
    """Arrival time minus truth (origin time + travel time) is Laplacian with std deltim."""
    tt = travel_times("iasp91")
    org = {o.orid: o for o in day.origins}
    arr = {a.arid: a for a in day.arrivals}
    rows = [(arr[s.arid], org[s.orid], s) for s in day.assocs if s.phase in ("P", "PKP", "S")]
    obs = np.array([a.time for a, _, _ in rows])
    phase = np.array([s.phase for _, _, s in rows])
    delta = np.array([s.delta for _, _, s in rows])
    depth = np.array([o.depth for _, o, _ in rows])
    truth = np.array([o.time for _, o, _ in rows])
    for ph in set(phase):
        k = phase == ph
        truth[k] += tt.time(ph, delta[k], depth[k])
    # The simulated Earth is elliptical: the same corrections the locator removes.
    from testban.locate.ellipticity import correction
    from testban.traveltime.geometry import geocentric_latitude

    for i, (_, o, s) in enumerate(rows):
        lat_c = float(geocentric_latitude(o.lat))
        truth[i] += correction([s.phase], s.delta, o.depth, lat_c, s.esaz)[0]
    z = (obs - truth) / np.array([a.deltim for a, _, _ in rows])
    assert len(z) > 500
    # assoc.delta is rounded to 0.001° (≤ 0.01 s of P time), timeres to 1 ms.
    np.testing.assert_allclose(obs - truth, [s.timeres for _, _, s in rows], atol=0.02)
    assert abs(np.std(z) - 1.0) < 0.1
    assert abs(np.median(np.abs(z)) - np.log(2) / np.sqrt(2)) < 0.05  # Laplace, not Gauss
    p = np.array([a.deltim for a, _, s in rows if s.phase == "P"])
    assert 0.1 <= np.median(p) <= 0.5


def test_array_delays_match_slowness() -> None:
    """Two elements 10 km apart: the P delay between them is slowness × projected offset."""
    sta = Station(
        "QQAR",
        0.0,
        0.0,
        0.0,
        True,
        (Element("QQ01"), Element("QQ02", 10.0, 0.0)),
        three_c=False,
        samprate=40.0,
        noise_nm=0.3,
    )
    events = draw_events(
        START, START + 1, seed=0, rate=0.0, explosions=[("x", 0.0, 50.0, START + 60.0, 6.0)]
    )
    arrivals, _, _ = simulate_arrivals(events, [sta], seed=0)  # predicted slowness/baz
    pred = travel_times("iasp91").predict("P", 50.0, events[0].depth)
    st = simulate_waveforms(events, [sta], ["QQAR"], START, START + 900, seed=5)
    st.filter("bandpass", freqmin=0.8, freqmax=4.5, corners=3, zerophase=True)  # mb band
    onset = START + 60.0 + float(pred.time)
    a, b = (st.select(station=c)[0].slice(onset - 2, onset + 8).data for c in ("QQ01", "QQ02"))
    xc = np.correlate(b - b.mean(), a - a.mean(), "full")
    k = int(np.argmax(xc))
    frac = 0.5 * (xc[k - 1] - xc[k + 1]) / (xc[k - 1] - 2 * xc[k] + xc[k + 1])
    lag = (k - (a.size - 1) + frac) / 40.0
    expected = -float(pred.slowness) / (np.pi * 6371.0 / 180.0) * 10.0  # source due east
    assert expected < -0.5
    assert abs(lag - expected) < 0.03
    assert any(r.iphase == "P" for r in arrivals)


def test_waveforms_int32_and_miniseed(network, tmp_path) -> None:
    from testban.simulate import SimulationResult

    code = next(s.code for s in network if not s.is_array)
    events = draw_events(START, START + 600, seed=1)
    st = simulate_waveforms(events, network, [code], START, START + 600, seed=1)
    assert [tr.stats.channel for tr in st] == ["BHZ", "BHN", "BHE"]
    assert all(tr.data.dtype == np.int32 for tr in st)
    res = SimulationResult(events, [], [], network, waveforms=st)
    paths = write_simulation(res, tmp_path)
    got = read(str(next(p for p in paths if p.suffix == ".mseed")))
    assert len(got) == 3 and np.array_equal(got[0].data, st[0].data)


def _stations_detecting(mb: float, at: str) -> float:
    """Mean over 3 seeds of the IMS stations (network of date ``at``) that detect a
    declared Punggye-ri explosion of magnitude ``mb``."""
    from testban.network import ims
    from testban.simulate import as_stations, draw_events, simulate_arrivals

    stations = as_stations(ims(at=UTCDateTime(at)))
    counts = []
    for seed in range(3):
        ev = draw_events(0, 1, seed=seed, rate=0.0, explosions=[("PR", 41.3, 129.08, 100, mb)])
        _, assocs, _ = simulate_arrivals(ev, stations, seed=seed, start=0, end=3600)
        counts.append(len({a.sta for a in assocs}))
    return float(np.mean(counts))


# REB station counts (CTBTO statements) and REB mb of the declared DPRK tests.
_REB = [
    pytest.param("2006-10-09", 4.1, 22, id="2006"),
    pytest.param(
        "2009-05-25", 4.5, 61, id="2009",
        marks=pytest.mark.xfail(
            strict=True,
            reason="REB 61 stations; simulated with the 2009 network 47 (mb 4.3–4.7: 38–60), "
            "BENCHMARKS.md, Honest thresholds",
        ),
    ),
    pytest.param("2013-02-12", 4.9, 94, id="2013"),
]  # fmt: skip


@pytest.mark.shared
@pytest.mark.parametrize(("date", "mb", "reb"), _REB)
def test_real_ims_detects_dprk_tests_at_about_as_many_stations_as_the_reb(date, mb, reb):
    """The simulator's detection model against the REB, with the IMS of the test's date.

    Bound (physical, not copied): the REB's mb carries an uncertainty of about 0.2 units
    (the IDC's own mb_ave uncertainties for such events are 0.14–0.22, BENCHMARKS.md), so
    the REB's station count must lie between the counts simulated at mb − 0.2 and
    mb + 0.2. ``NOISE_NM`` was set against these counts on the 2019 network (all
    stations), so this is a consistency check, not a held-out one.
    """
    shared_path("stations", "ims_css30")
    low, high = _stations_detecting(mb - 0.2, date), _stations_detecting(mb + 0.2, date)
    assert low <= reb <= high, (low, reb, high)
