"""Relative location: synthetic clusters (master event, double differences, rejection,
ellipse coverage, CSS3.0 tables) and the DPRK / Hukkakero benchmark data."""

from __future__ import annotations

import numpy as np
import pytest

from testban.records.css30 import Arrival, Assoc, Origin
from testban.relocate import (
    double_difference,
    from_local,
    gibbons,
    locate_absolute,
    master_event,
    relocate,
    relocate_tables,
    slowness_vectors,
    to_local,
)
from testban.relocate.absolute import predict
from testban.relocate.model import StationPhases
from tests.conftest import shared_path

LAT0, LON0, T0 = 67.93, 25.83, 1.2e9
#: Eight regional stations 60–215 km away (away from the Pg/Pn crossover), P and S at each.
_AZ = np.arange(8) * 45.0 + 10.0
_DIST = np.array([60, 90, 110, 190, 200, 215, 75, 100.0])


def _stations() -> dict[str, tuple[float, float]]:
    e, n = _DIST * np.sin(np.radians(_AZ)), _DIST * np.cos(np.radians(_AZ))
    lat, lon = from_local(e, n, LAT0, LON0)
    return {f"ST{i}": (float(lat[i]), float(lon[i])) for i in range(_AZ.size)}


def _synthetic(n_events: int, noise: float, seed: int = 0, spread: float = 0.5):
    """Records of a cluster with known offsets (km) and origin times; picks with noise (s)."""
    rng = np.random.default_rng(seed)
    east, north = rng.uniform(-spread, spread, (2, n_events))
    east[0] = north[0] = 0.0
    otime = T0 + 3600.0 * np.arange(n_events) + rng.normal(0, 0.5, n_events)
    lat, lon = from_local(east, north, LAT0, LON0)
    coords = _stations()
    rows = [(s, p, *coords[s]) for s in coords for p in ("P1", "S1")]
    st = StationPhases.from_rows(rows)
    k = np.arange(len(st))
    arrivals, assocs, origins = [], [], []
    arid = 0
    for e in range(n_events):
        tt, _, _ = predict(np.full(k.size, lat[e]), np.full(k.size, lon[e]), 0.0, st, k)
        t = otime[e] + tt + rng.normal(0, noise, k.size)
        origins.append(Origin(lat=float(lat[e]), lon=float(lon[e]), depth=0.0,
                              time=float(otime[e]), orid=e + 1, evid=e + 1))  # fmt: skip
        for r in range(k.size):
            arid += 1
            arrivals.append(Arrival(sta=str(st.sta[r]), time=float(t[r]), arid=arid))
            assocs.append(Assoc(arid=arid, orid=e + 1, sta=str(st.sta[r]),
                                phase=str(st.phase[r]), timedef="d"))  # fmt: skip
    return arrivals, assocs, origins, coords, (east, north, otime)


def _errors_m(lat, lon, east, north) -> np.ndarray:
    e, n = to_local(lat, lon, LAT0, LON0)
    return np.hypot(e - east, n - north) * 1000.0


def test_master_event_recovers_offsets_to_metres():
    arr, ass, ori, coords, (east, north, otime) = _synthetic(12, noise=0.001)
    res = relocate(arr, ass, ori, coords, master=1, method="master")
    rel = res.relocation
    # Linearising about the master costs up to ~1.3 ms at 0.5 km offsets: metres.
    assert np.max(_errors_m(rel.lat, rel.lon, east, north)) < 10.0
    assert np.max(np.abs(rel.time - otime)) < 0.005
    assert res.origins[3].algorithm == "testban:master"
    assert res.origerrs[2].smajax > 0 and res.origerrs[2].conf == 0.9


def test_double_difference_recovers_offsets_to_metres():
    arr, ass, ori, coords, (east, north, _) = _synthetic(12, noise=0.001, seed=1)
    # A catalogue with 300 m errors: the DD solution does not depend on them.
    for o in ori[1:]:
        o.lat += 0.003
    res = relocate(arr, ass, ori, coords, master=1, method="dd")
    assert np.max(_errors_m(res.relocation.lat, res.relocation.lon, east, north)) < 10.0
    res = relocate(arr, ass, ori, coords, method="dd")  # centroid held at the catalogue's
    rel = res.relocation
    e, n = to_local(rel.lat, rel.lon, LAT0, LON0)
    de, dn = e - east, n - north
    assert np.max(np.hypot(de - de.mean(), dn - dn.mean())) * 1000 < 10.0
    assert res.origins[0].algorithm == "testban:dd"


def test_bad_pick_is_rejected():
    arr, ass, ori, coords, (east, north, _) = _synthetic(10, noise=0.002, seed=2)
    bad = next(i for i, a in enumerate(ass) if a.orid == 5 and a.phase == "S1")
    arr[bad].time += 1.9  # an S picked 1.9 s late, like LP34 S for Hukkakero H20
    rel = relocate(arr, ass, ori, coords, master=1).relocation
    rejected = rel.rejected(relocate(arr, ass, ori, coords, master=1).cluster.stations)
    assert [(r[1], r[3]) for r in rejected if abs(r[4]) > 1.0] == [("5", "S1")]
    assert np.max(_errors_m(rel.lat, rel.lon, east, north)) < 15.0


@pytest.mark.xfail(
    strict=True,
    reason="issue 4: 90 % ellipses cover the truth in about 90 % of trials; measured "
    "146/177 = 82.5 %, 3.4 binomial sigmas low (BENCHMARKS.md, Honest thresholds)",
)
def test_ellipse_coverage_is_calibrated():
    inside, total = 0, 0
    for seed in range(3):
        arr, ass, ori, coords, (east, north, _) = _synthetic(60, noise=0.02, seed=10 + seed)
        rel = relocate(arr, ass, ori, coords, master=1).relocation
        e, n = to_local(rel.lat, rel.lon, LAT0, LON0)
        d = np.stack([e - east, n - north], 1)[1:]
        cov = rel.cov[1:, :2, :2]
        k2 = (rel.smajax[1:] ** 2) / np.linalg.eigvalsh(cov)[:, 1]
        m2 = np.einsum("ni,nij,nj->n", d, np.linalg.inv(cov), d)
        inside += int(np.sum(m2 <= k2))
        total += d.shape[0]
    # 90 % ellipses: 0.9 within three binomial sigmas for this many trials (≈ 0.83–0.97)
    sigma = np.sqrt(0.9 * 0.1 / total)
    assert 0.9 - 3 * sigma <= inside / total <= 0.9 + 3 * sigma


def test_relocate_tables_writes_origin_and_origerr(tmp_path):
    from testban.io.css30 import read_table, write_csv

    arr, ass, ori, coords, (east, north, _) = _synthetic(6, noise=0.001, seed=3)
    write_csv(arr, tmp_path / "arrival.csv")
    write_csv(ass, tmp_path / "assoc.csv")
    write_csv(ori, tmp_path / "origin.csv")
    relocate_tables(tmp_path / "arrival.csv", tmp_path / "assoc.csv", tmp_path / "origin.csv",
                    coords, tmp_path / "out", master=1)  # fmt: skip
    out = read_table(tmp_path / "out" / "origin.csv")
    errs = read_table(tmp_path / "out" / "origerr.csv")
    lat = np.array([o.lat for o in out])
    lon = np.array([o.lon for o in out])
    assert len(out) == 6 and len(errs) == 6
    assert np.max(_errors_m(lat, lon, east, north)) < 10.0


def test_absolute_cluster_with_shared_scale():
    arr, ass, ori, coords, (east, north, _) = _synthetic(5, noise=0.01, seed=4)
    from testban.relocate import cluster_from_records

    cl = cluster_from_records(arr, ass, ori, coords)
    ab = locate_absolute(cl, LAT0 + 0.02, LON0 - 0.03, scale=True)
    assert np.max(_errors_m(ab.lat, ab.lon, east, north)) < 100.0
    assert ab.scale["P"] == pytest.approx(1.0, abs=0.01)


# ------------------------------------------------------------------------- shared data


@pytest.mark.shared
@pytest.mark.parametrize("name", ["DPRK", "Finland"])
def test_slowness_vectors_match_the_expected_ak135_files(name):
    path = shared_path("relative_location", f"{name}_dataset", f"{name}_ak135_slovecs_expected.txt")
    sf = gibbons.read_slowness_vectors(path)
    sv = slowness_vectors(sf.ref_lat[0], sf.ref_lon[0], 0.0, sf.stations, "ak135")
    diff = np.hypot(sv.east - sf.east, sv.north - sf.north)
    assert np.max(diff / np.hypot(sf.east, sf.north)) < 0.01


@pytest.mark.shared
def test_dprk_relative_to_dprk2_within_half_a_km_of_yang():
    d = shared_path("relative_location", "DPRK_dataset")
    yang = gibbons.read_event_list(d / "Yang_etal_initial_locations.txt")
    names = [f"DPRK{i}" for i in range(1, 6)]
    cl = gibbons.load_cluster(d / "DPRK_CC_times.txt", d / "DPRK_phaselist.txt", events=names)
    m = yang.index("DPRK2")
    rel = master_event(cl, "DPRK2", yang.lat[m], yang.lon[m], 0.0, yang.time[m])
    rows = [yang.index(n) for n in names]
    e, n = to_local(rel.lat, rel.lon, yang.lat[m], yang.lon[m])
    e0, n0 = to_local(yang.lat[rows], yang.lon[rows], yang.lat[m], yang.lon[m])
    assert np.all(np.hypot(e - e0, n - n0) < 0.5)  # issue 4's goal


@pytest.fixture(scope="module")
def finland():
    d = shared_path("relative_location", "Finland_dataset")
    gt = gibbons.read_event_list(d / "Finland_events_GT.txt")
    cl = gibbons.load_cluster(d / "Finland_CC_times.txt", d / "Finland_phaselist.txt",
                              events=list(gt.name))  # fmt: skip
    return gt, cl


@pytest.mark.shared
def test_finland_master_event_median_and_h20_rejection(finland):
    gt, cl = finland
    rel = master_event(cl, "H01", gt.lat[0], gt.lon[0], 0.0, gt.time[0], slowness="empirical")
    e, n = to_local(rel.lat, rel.lon, gt.lat[0], gt.lon[0])
    e0, n0 = to_local(gt.lat, gt.lon, gt.lat[0], gt.lon[0])
    err = np.hypot(e - e0, n - n0)[1:] * 1000
    assert np.median(err) <= 25.0 and np.percentile(err, 80) <= 40.0  # issue 4's goals
    bad = [r for r in rel.rejected(cl.stations) if abs(r[4]) > 1.0]
    assert [(r[1], r[2], r[3]) for r in bad] == [("H20", "LP34", "S1")]
    # issue 4: "H20's LP34 S is ~1.9 s late" (quoted to 0.1 s, hence ±0.1 s)
    assert bad[0][4] == pytest.approx(1.9, abs=0.1)


@pytest.mark.shared
def test_finland_double_difference_median(finland):
    gt, cl = finland
    rel = double_difference(cl, gt.lat.mean(), gt.lon.mean(), 0.0)
    e, n = to_local(rel.lat, rel.lon, gt.lat.mean(), gt.lon.mean())
    e0, n0 = to_local(gt.lat, gt.lon, gt.lat.mean(), gt.lon.mean())
    de, dn = (e - e.mean()) - (e0 - e0.mean()), (n - n.mean()) - (n0 - n0.mean())
    assert np.median(np.hypot(de, dn)) * 1000 <= 20.0  # issue 4's goal


@pytest.mark.shared
def test_finland_absolute_with_a_shared_scale(finland):
    """Issue 4's goal for the absolute locations: median ≤ 0.5 km from the ground truth
    (ak135 as is: 0.64 km)."""
    gt, cl = finland
    st = cl.stations
    ab = locate_absolute(cl, float(st.lat.mean()), float(st.lon.mean()), 0.0, scale=True)
    lat0, lon0 = float(gt.lat.mean()), float(gt.lon.mean())
    e, n = to_local(ab.lat, ab.lon, lat0, lon0)
    e0, n0 = to_local(gt.lat, gt.lon, lat0, lon0)
    assert np.median(np.hypot(e - e0, n - n0)) <= 0.5
