"""Locator tests on simulated events (fast) and on the real IDC/DPRK data (shared)."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from testban.io.css30 import read_table, write_csv
from testban.locate import (
    LocateError,
    LocatorConfig,
    Observations,
    kernels,
    locate,
    locate_bulletin,
    locate_tables,
    phase_tables,
)
from testban.locate.ellipticity import clairaut_profile, correction
from testban.locate.model_errors import BONDAR_RANGE_KM
from testban.records.css30 import Arrival, Assoc, Site
from testban.traveltime import destination, distance_azimuth, geocentric_latitude, travel_times
from tests.conftest import shared_path

T0 = 1.2e9
CHI2_2_90 = 4.605170185988092


def synthetic(
    lat: float = 12.0,
    lon: float = 40.0,
    depth: float = 30.0,
    n: int = 20,
    noise: float | np.ndarray = 0.0,
    seed: int = 0,
    dmin: float = 2.0,
    dmax: float = 95.0,
    stations: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[Observations, np.ndarray]:
    """P/Pn times at ``n`` random stations (or at ``stations``); returns observations and
    the distances."""
    rng = np.random.default_rng(seed)
    d = rng.uniform(dmin, dmax, n)
    slat, slon = destination(lat, lon, d, rng.uniform(0, 360, n))
    if stations is not None:
        slat, slon = np.asarray(stations[0], float), np.asarray(stations[1], float)
        n = slat.size
    dd, esaz, seaz = distance_azimuth(lat, lon, slat, slon)
    ph = np.where(dd < 15, "Pn", "P").astype(object)
    t, p, *_ = phase_tables().predict(ph, dd, np.full(n, depth))
    t = t + correction(ph, dd, depth, float(geocentric_latitude(lat)), esaz)  # elliptical Earth
    ok = np.isfinite(t)  # e.g. Pn does not exist far from a source below the Moho
    obs = Observations.from_arrays(
        ph[ok], ph[ok], T0 + t[ok], slat[ok], slon[ok], deltim=0.2, azimuth=seaz[ok],
        delaz=3.0, slow=p[ok], delslo=1.0, azdef=False, slodef=False,
    )  # fmt: skip
    return obs, dd[ok]


def offset(loc, lat: float, lon: float) -> tuple[float, float, float]:
    d, az, _ = distance_azimuth(loc.origin.lat, loc.origin.lon, lat, lon, geocentric=False)
    km = float(d) * kernels.KM_PER_DEG
    return km, km * math.sin(math.radians(float(az))), km * math.cos(math.radians(float(az)))


def test_mixed_phase_predictions_match_the_travel_time_service():
    pt, tt = phase_tables(), travel_times()
    rng = np.random.default_rng(1)
    d, h = rng.uniform(0, 180, 3000), rng.uniform(0, 700, 3000)
    phases = np.array(["P", "Pn", "Pg", "S", "Sn", "PKP", "pP", "Lg"] * 375, dtype=object)
    t, p, g, _pd, _ph = pt.predict(phases, d, h)
    for name in set(phases):
        m = phases == name
        ref = tt.predict(name, d[m], h[m])
        np.testing.assert_array_equal(np.isnan(t[m]), np.isnan(ref.time))
        np.testing.assert_allclose(t[m], ref.time, atol=1e-9, equal_nan=True)
        np.testing.assert_allclose(p[m], ref.slowness, atol=1e-9, equal_nan=True)
        np.testing.assert_allclose(g[m], ref.dtdh, atol=1e-9, equal_nan=True)


def test_jacobian_matches_finite_differences():
    obs, _ = synthetic(n=12, dmin=5, dmax=90)
    obs = obs.replace(azdef=np.ones(len(obs), bool), slodef=np.ones(len(obs), bool))
    from testban.locate.ellipticity import ellipticity_table
    from testban.locate.locator import _me_table, _problem

    cfg = LocatorConfig()
    pt = phase_tables()
    prob, _ = _problem(obs, pt, cfg)
    me, args, tab = _me_table(cfg.model_errors, pt.names), prob.args(), pt.kernel_args()
    ell = ellipticity_table().kernel_args()
    x = np.array([float(geocentric_latitude(12.3)), 40.2, 30.0, T0 + 3 - prob.t_ref])
    n = 3 * len(obs)
    # correlated errors too: put two stations 300 km from the first one
    la, lo = destination(obs.lat[0], obs.lon[0], np.array([0.0, 2.0, 2.5]), [0.0, 90.0, 200.0])
    obs3, _ = synthetic(stations=(np.concatenate([la, obs.lat[3:]]),
                                  np.concatenate([lo, obs.lon[3:]])))  # fmt: skip
    obs3 = obs3.replace(azdef=np.ones(len(obs), bool), slodef=np.ones(len(obs), bool))
    prob3, _ = _problem(obs3, pt, cfg)
    for a in (args, prob3.args()):
        wt = kernels.whitening(x, a, me, BONDAR_RANGE_KM)
        r, jac = np.zeros(n), np.zeros((n, 4))
        kernels.residuals(x, False, a, tab, me, ell, wt, r, jac, True)
        e = 1e-3
        for k, (dx, dy, dz, dt) in enumerate(np.eye(4) * e):
            rp, rm, dummy = np.zeros(n), np.zeros(n), np.zeros((n, 4))
            kernels.residuals(kernels._move(x, dx, dy, dz, dt, 0, 700), False, a, tab, me, ell,
                              wt, rp, dummy, False)  # fmt: skip
            kernels.residuals(kernels._move(x, -dx, -dy, -dz, -dt, 0, 700), False, a, tab, me,
                              ell, wt, rm, dummy, False)  # fmt: skip
            # d(pred)/dm = -dr/dm; σ_model(Δ) varies a little with the step (not in J), and
            # so does the ellipticity correction with the azimuth: 1 %
            np.testing.assert_allclose(-(rp - rm) / (2 * e), jac[:, k], rtol=1e-2, atol=2e-4)
    wt3 = kernels.whitening(x, prob3.args(), me, BONDAR_RANGE_KM)
    assert wt3.shape == (n // 3,) * 2 and wt3[1, 0] < 0 and wt3[2, 1] < 0
    assert kernels.whitening(x, prob3.args(), me, 0.0).shape == (0, 0)


def test_ellipticity_profile_and_corrections_match_published_values():
    prof = clairaut_profile("ak135")
    assert abs(1 / prof(6371.0) - 298.257) < 0.01  # scaled to WGS84
    assert 299.0 < 1 / prof.hydrostatic_surface < 300.5  # Clairaut with ak135 density
    assert 385 < 1 / prof(3480.0) < 400  # core–mantle boundary ≈ 1/392 (Jeffreys 1976)
    # Russell et al. (2022), EllipticiPy example: ak135, h = 134 km, 23° N, Δ = 64°, az 15°
    from obspy.taup import TauPyModel

    from testban.locate.ellipticity import path_coefficients, source_factors

    m = TauPyModel("ak135")
    lat_c = float(geocentric_latitude(23.0))
    fac = source_factors(math.radians(90 - lat_c), math.radians(15.0))
    for phase, ref in (("P", -0.45), ("PcP", -0.48), ("PKiKP", -0.75)):
        path = m.get_ray_paths(134.0, 64.0, phase_list=[phase])[0].path
        tau = path_coefficients(path["dist"], path["depth"], path["time"], prof)
        assert abs(float(fac @ tau) - ref) < 0.015, phase
    # the tabulated correction (iasp91) at the published geometry, and the pole/equator
    # contrast for P at 60° from a surface source: the ray is shorter near the pole
    assert abs(correction(["P"], 64.0, 134.0, lat_c, 15.0)[0] + 0.44) < 0.04
    pole = correction(["P"], 60.0, 0.0, 90.0, 0.0)[0]
    eq_n, eq_e = correction(["P", "P"], [60.0, 60.0], 0.0, 0.0, [0.0, 90.0])
    assert -0.6 < pole < -0.5 and -0.25 < eq_n < -0.15 and 0.65 < eq_e < 0.8


def test_correlated_errors_downweight_a_biased_cluster():
    # 8 stations spread around the source, 10 in a 300 km cluster sharing a +1.5 s bias
    lat, lon = 20.0, 60.0
    rng = np.random.default_rng(4)
    sl, so = destination(lat, lon, rng.uniform(30, 90, 8), np.arange(8) * 45.0 + 10)
    cl, co = destination(
        lat, lon, 50.0 + rng.uniform(-1.3, 1.3, 10), 90 + rng.uniform(-1.5, 1.5, 10)
    )
    obs, _ = synthetic(
        lat, lon, 10.0, stations=(np.concatenate([sl, cl]), np.concatenate([so, co]))
    )
    obs = obs.replace(time=obs.time + np.r_[np.zeros(8), np.full(10, 1.5)])
    start = (lat, lon, 10.0, T0)
    off = locate(obs, start=start, depth=10.0)
    on = locate(obs, start=start, depth=10.0,
                config=LocatorConfig(correlation_range_km=BONDAR_RANGE_KM))  # fmt: skip
    km_off, km_on = offset(off, lat, lon)[0], offset(on, lat, lon)[0]
    assert km_on < 0.6 * km_off
    assert on.origerr.smajax > off.origerr.smajax  # fewer independent data: larger ellipse


def test_perfect_times_are_recovered_exactly_from_scratch():
    obs, _ = synthetic(lat=-33.0, lon=150.0, depth=40.0)
    loc = locate(obs, depth="free")  # teleseismic P alone does not resolve depth (issue 11)
    km, _, _ = offset(loc, -33.0, 150.0)
    assert loc.converged
    assert km < 0.01
    assert abs(loc.origin.depth - 40.0) < 0.05
    assert abs(loc.origin.time - T0) < 0.01
    assert loc.origin.dtype == "f" and loc.origin.ndef == len(obs)
    assert loc.origerr.conf == 0.9 and loc.origerr.smajax >= loc.origerr.sminax > 0
    assert all(abs(a.timeres) < 1e-3 for a in loc.assocs)
    assert 0 < loc.gap < 360 and 0 < loc.mdist < loc.Mdist


def test_fixed_depth_and_free_depth():
    obs, _ = synthetic(depth=10.0)
    fixed = locate(obs, depth=10.0)
    assert fixed.origin.depth == 10.0 and fixed.origin.dtype == "g"
    assert fixed.origerr.szz == -1.0 and fixed.origerr.sdepth == -1.0
    surface = locate(obs, depth="surface")
    assert surface.origin.depth == 0.0
    free = locate(obs, start=(12.5, 40.5, 50.0, T0 + 2), depth="free")
    assert free.origin.dtype == "f" and abs(free.origin.depth - 10.0) < 0.1
    assert free.origerr.szz > 0 and free.origerr.sdepth > 0
    # free depth is at least as uncertain in epicentre as fixed depth
    assert free.origerr.smajax >= fixed.origerr.smajax - 1e-6


def test_unresolved_depth_falls_back_to_the_surface():
    # three stations: time + azimuth only, depth cannot be resolved
    obs, _ = synthetic(n=3, dmin=30, dmax=60)
    obs = obs.replace(azdef=np.ones(3, bool))
    loc = locate(obs, start=(12.2, 40.2, 30.0, T0))
    assert loc.depth_fixed and loc.origin.dtype == "r" and loc.origin.depth == 0.0


@pytest.mark.parametrize("k_dof", [math.inf])
def test_ellipse_coverage_is_calibrated(k_dof: float):
    rng = np.random.default_rng(11)
    cfg = LocatorConfig(k_dof=k_dof, outlier_sigma=0.0)
    hits, trials = 0, 200
    for i in range(trials):
        lat, lon = float(rng.uniform(-60, 60)), float(rng.uniform(-180, 180))
        obs, dd = synthetic(lat, lon, 20.0, n=15, seed=i)
        sig = np.hypot(0.2, [cfg.model_errors.time_error(str(p), float(d))
                             for p, d in zip(obs.phase, dd, strict=True)])  # fmt: skip
        obs = obs.replace(time=obs.time + rng.normal(0, sig))
        loc = locate(obs, start=(lat + 0.2, lon + 0.2, 20.0, T0), depth=20.0, config=cfg)
        _km, dx, dy = offset(loc, lat, lon)
        v = np.array([dx, dy])
        hits += v @ np.linalg.inv(loc.covariance[:2, :2]) @ v <= CHI2_2_90
    # 90 % ellipses: 0.9 within three binomial sigmas for 200 trials (0.836–0.964)
    sigma = math.sqrt(0.9 * 0.1 / trials)
    assert 0.9 - 3 * sigma <= hits / trials <= 0.9 + 3 * sigma


def test_single_array_from_azimuth_and_slowness_or_two_phases():
    lat, lon = 30.0, 100.0
    sta_lat, sta_lon = destination(lat, lon, 40.0, 70.0)
    d, _esaz, seaz = distance_azimuth(lat, lon, sta_lat, sta_lon)
    t, p, *_ = phase_tables().predict(["P"], [float(d)], [0.0])
    # one teleseismic P with time, azimuth and slowness: the slowness gives the distance
    obs = Observations.from_arrays(
        ["ARR"], ["P"], [T0 + t[0]], [sta_lat], [sta_lon], azimuth=[seaz], slow=[p[0]],
        deltim=0.1, delaz=1.0, delslo=0.1,
    )  # fmt: skip
    loc = locate(obs, depth="surface")
    assert offset(loc, lat, lon)[0] < 0.1
    assert loc.assocs[0].azdef == "d" and loc.assocs[0].slodef == "d"
    # without the slowness the distance is unknown: refused (2 data for 3 unknowns)
    with pytest.raises(LocateError, match="2 defining"):
        locate(obs.replace(slodef=np.zeros(1, bool)), depth="surface")
    # a regional array: Pg and Lg times and one azimuth
    lat2, lon2 = destination(sta_lat, sta_lon, 3.0, 200.0)
    d2, _e, seaz2 = distance_azimuth(lat2, lon2, sta_lat, sta_lon)
    t2, *_ = phase_tables().predict(["Pg", "Lg"], [float(d2)] * 2, [0.0, 0.0])
    obs2 = Observations.from_arrays(
        ["ARR", "ARR"], ["Pg", "Lg"], T0 + t2, [sta_lat] * 2, [sta_lon] * 2,
        azimuth=[seaz2, np.nan], deltim=0.5, delaz=2.0,
    )  # fmt: skip
    loc2 = locate(obs2, depth="surface")
    assert offset(loc2, float(lat2), float(lon2))[0] < 0.5


def test_azimuths_tighten_the_ellipse():
    obs, _ = synthetic(n=6, dmin=20, dmax=60, seed=3)
    without = locate(obs, depth=30.0, start=(12.0, 40.0, 30.0, T0))
    with_az = locate(obs.replace(azdef=np.ones(len(obs), bool), delaz=np.full(len(obs), 0.5)),
                     depth=30.0, start=(12.0, 40.0, 30.0, T0))  # fmt: skip
    assert with_az.origerr.smajax < without.origerr.smajax


def test_an_outlier_is_set_non_defining():
    obs, _ = synthetic(n=20, seed=5)
    t = obs.time.copy()
    t[4] += 30.0
    loc = locate(obs.replace(time=t), depth="free")  # P alone: the rule would fix it
    assert loc.dropped == (int(obs.arid[4]),)
    assert loc.assocs[4].timedef == "n" and abs(loc.assocs[4].timeres - 30.0) < 0.5
    assert offset(loc, 12.0, 40.0)[0] < 0.5


def _records(obs: Observations, orid: int = 7) -> tuple[list[Arrival], list[Assoc]]:
    arrivals = [
        Arrival(sta=str(s), time=float(t), arid=100 + i, iphase=str(p), deltim=0.2)
        for i, (s, t, p) in enumerate(zip(obs.sta, obs.time, obs.phase, strict=True))
    ]
    assocs = [Assoc(arid=a.arid, orid=orid, sta=a.sta, phase=a.iphase, timedef="d")
              for a in arrivals]  # fmt: skip
    return arrivals, assocs


def test_records_unknown_station_is_reported_and_dropped():
    obs, _ = synthetic(n=8, seed=2)
    obs = obs.replace(sta=np.array([f"S{i:02d}" for i in range(8)], dtype=object))
    arrivals, assocs = _records(obs)
    stations = {str(s): (float(a), float(b), 0.0) for s, a, b in zip(obs.sta, obs.lat, obs.lon,
                                                                     strict=True)}  # fmt: skip
    del stations["S03"]
    loc = locate((arrivals, assocs), stations)
    assert len(loc.assocs) == 7
    assert any("unknown station 'S03'" in p.message for p in loc.problems)


def test_two_observations_are_refused_with_a_reason(tmp_path):
    obs, _ = synthetic(n=2)
    with pytest.raises(LocateError, match="2 defining observation"):
        locate(obs)
    # in a bulletin the event is reported, not raised
    obs8, _ = synthetic(n=8, seed=4)
    obs8 = obs8.replace(sta=np.array([f"S{i:02d}" for i in range(8)], dtype=object))
    a1, s1 = _records(obs8, orid=1)
    obs2 = obs8.select(np.arange(8) < 2)
    a2, s2 = _records(obs2, orid=2)
    for a in a2:
        a.arid += 1000
    for s in s2:
        s.arid += 1000
    net = {str(s): (float(a), float(b), 0.0) for s, a, b in zip(obs8.sta, obs8.lat, obs8.lon,
                                                                strict=True)}  # fmt: skip
    out = locate_bulletin(a1 + a2, s1 + s2, net)
    assert [o.orid for o in out.origins] == [1]
    assert any("orid 2" in p.record and "2 defining" in p.message for p in out.problems)


def test_locate_tables_writes_origin_origerr_assoc(tmp_path):
    obs, _ = synthetic(n=8, seed=6)
    obs = obs.replace(sta=np.array([f"S{i:02d}" for i in range(8)], dtype=object))
    arrivals, assocs = _records(obs)
    assocs.append(Assoc(arid=999, orid=7, sta="ZZZ", phase="P", timedef="d"))
    arrivals.append(Arrival(sta="ZZZ", time=T0 + 500, arid=999, iphase="P"))
    sites = [Site(sta=str(s), ondate=1970001, lat=float(a), lon=float(b), elev=0.0)
             for s, a, b in zip(obs.sta, obs.lat, obs.lon, strict=True)]  # fmt: skip
    write_csv(arrivals, tmp_path / "arrival.csv")
    write_csv(assocs, tmp_path / "assoc.csv")
    write_csv(sites, tmp_path / "meta" / "site.csv")
    paths, problems = locate_tables(
        tmp_path / "arrival.csv", tmp_path / "assoc.csv", tmp_path / "meta", tmp_path / "out"
    )
    assert sorted(p.name for p in paths) == ["assoc.csv", "origerr.csv", "origin.csv"]
    (origin,) = read_table(tmp_path / "out" / "origin.csv")
    assert abs(origin.lat - 12.0) < 0.01 and origin.orid == 7 and origin.algorithm == "testban"
    assert len(read_table(tmp_path / "out" / "assoc.csv")) == 8
    assert any("ZZZ" in p.message for p in problems)


# ------------------------------------------------------------------------ real data


@pytest.mark.shared
def test_idc_bulletin_relocation():
    from obspy import UTCDateTime

    from testban.network import read_network

    base = shared_path("idc_ueb_2010140")
    stations = shared_path("stations", "ims_css30", "ueb_test.site").with_suffix("")
    arrivals = read_table(base / "arrival.csv")
    assocs = read_table(base / "assoc.csv")
    origins = read_table(base / "origin.csv")
    net, _ = read_network(stations, at=UTCDateTime(2010, 5, 20))
    out = locate_bulletin(arrivals, assocs, net, origins)
    assert len(out.origins) == len(origins)
    ref = {o.orid: o for o in origins}
    km, dt, cover, nd = [], [], [], []
    for o in out.origins:
        r = ref[o.orid]
        d, az, _ = distance_azimuth(o.lat, o.lon, r.lat, r.lon, geocentric=False)
        k = float(d) * kernels.KM_PER_DEG
        v = np.array([k * math.sin(math.radians(float(az))), k * math.cos(math.radians(float(az)))])
        c = out.locations[o.orid].covariance[:2, :2]
        km.append(k)
        dt.append(abs(o.time - r.time))
        cover.append(v @ np.linalg.pinv(c) @ v <= CHI2_2_90)
        nd.append(r.ndef)
    km, dt, nd = np.array(km), np.array(dt), np.array(nd)
    # Issue 4's goals: median epicentre ≤ 5 km and origin time ≤ 1 s from LocSAT for
    # ndef ≥ 6 (only 4 such origins); the analyst epicentre inside our 90 % ellipse for
    # "≈ 90 %" of the 60 origins. Both locators use the same rows, so LocSAT's epicentre is
    # closer to ours than the truth is and coverage above 90 % is expected: only the lower
    # side is a failure, at two binomial sigmas below 90 % for n = 60,
    # 0.9 − 2·sqrt(0.9·0.1/60) = 0.82.
    assert np.median(km[nd >= 6]) <= 5.0
    assert np.median(dt[nd >= 6]) <= 1.0
    assert np.mean(cover) >= 0.9 - 2 * math.sqrt(0.9 * 0.1 / len(cover))


@functools.cache
def _dprk_locations() -> dict:
    """Each DPRK test located from its absolute times (depth fixed as in the bench)."""
    import sys

    from tests.conftest import ROOT

    shared_path("relative_location", "DPRK_dataset", "DPRK_CC_times.txt")
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from locate_dprk import DEPTH_KM, read_dprk
    finally:
        sys.path.remove(str(ROOT / "bench"))
    events, ref, _ = read_dprk()
    return {ev: (locate(obs, depth=DEPTH_KM), ref[ev]) for ev, obs in events.items()}


@pytest.mark.shared
def test_dprk_tests_located_within_the_ellipse():
    """Issue 4's goals: Yang et al.'s epicentre inside the 90 % ellipse; ellipse area
    ≤ 1000 km², the treaty's on-site inspection limit."""
    locs = _dprk_locations()
    assert sorted(locs) == [f"DPRK{i}" for i in range(1, 6)]
    for ev, (loc, (lat, lon, _t)) in locs.items():
        _km, dx, dy = offset(loc, lat, lon)
        v = np.array([dx, dy])
        assert v @ np.linalg.inv(loc.covariance[:2, :2]) @ v <= CHI2_2_90, ev
        assert math.pi * loc.origerr.smajax * loc.origerr.sminax <= 1000.0, ev


_DPRK1_MISS = pytest.mark.xfail(
    strict=True,
    reason="issue 4 goal ≤ 5 km from Yang et al.; DPRK1 measured 6.3 km (BENCHMARKS.md, "
    "Locator: 12 of its 29 P stations carry a −2.3 to −3.0 s timing offset)",
)


@pytest.mark.shared
@pytest.mark.parametrize(
    "event", [pytest.param("DPRK1", marks=_DPRK1_MISS), "DPRK2", "DPRK3", "DPRK4", "DPRK5"]
)
def test_dprk_test_within_5_km_of_yang(event):
    loc, (lat, lon, _t) = _dprk_locations()[event]
    km, _dx, _dy = offset(loc, lat, lon)
    assert km <= 5.0  # issue 4's goal


def test_shipped_ellipticity_table_is_what_the_code_builds():
    """The packaged iasp91 table is data the code regenerates (about 30 s), not a copy."""
    from testban.locate.ellipticity import build_table, ellipticity_table

    shipped = ellipticity_table("iasp91")
    built = build_table("iasp91")
    assert shipped.names == built.names
    np.testing.assert_allclose(shipped.coef, built.coef, rtol=1e-6, atol=1e-6)
