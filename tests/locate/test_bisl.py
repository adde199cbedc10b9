"""BISL: synthetic infrasound events located with their source inside the 90 % region."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

from testban.io.infrapy import read_infrapy_detections
from testban.locate.bisl import (
    CELERITY_PRIOR,
    BislConfig,
    acoustic_observations,
    lanl_pressure,
    lanl_yield,
    locate_bisl,
)
from testban.records.css30 import Arrival
from testban.records.earth import KM_PER_DEG
from testban.traveltime import destination, distance_azimuth

T0 = 1.3e9


def synthetic_event(seed: int, n_arrays: int = 5, src=(40.0, -112.0)):
    """Arrays at 150–700 km around ``src``; times from a celerity drawn from the prior,
    back azimuths deflected by N(0, 3°) winds plus N(0, 1°) measurement error."""
    rng = np.random.default_rng(seed)
    az = np.sort(rng.uniform(0, 360, n_arrays))
    rng_km = rng.uniform(150, 700, n_arrays)
    lat, lon = destination(src[0], src[1], rng_km / KM_PER_DEG, az)
    w = np.array([k.weight for k in CELERITY_PRIOR])
    arrivals, stations = [], {}
    for i in range(n_arrays):
        k = CELERITY_PRIOR[rng.choice(len(w), p=w)]
        c = rng.normal(k.mean, k.sigma)
        d, _, baz = distance_azimuth(src[0], src[1], lat[i], lon[i], geocentric=False)
        r = float(d) * KM_PER_DEG
        sta = f"A{i:02d}"
        stations[sta] = (float(lat[i]), float(lon[i]), 0.0)
        arrivals.append(Arrival(
            sta=sta, time=T0 + r / c + rng.normal(0, 5.0), arid=i + 1, iphase="I",
            azimuth=float((baz + rng.normal(0, 3.0) + rng.normal(0, 1.0)) % 360), delaz=1.0,
            deltim=5.0,
        ))  # fmt: skip
    return arrivals, stations, src


def test_synthetic_coverage_of_90_percent_region():
    """Over 20 seeds the 90 % region holds the source in at least 15 (binomial: 18 ± 1.3
    expected for a calibrated posterior; 15 is 2.2 σ below)."""
    inside, errors = [], []
    for seed in range(20):
        arrivals, stations, src = synthetic_event(seed)
        res = locate_bisl(acoustic_observations(arrivals, stations), BislConfig(n_grid=81))
        inside.append(res.contains(*src, 0.9))
        d, _, _ = distance_azimuth(src[0], src[1], res.lat, res.lon, geocentric=False)
        errors.append(float(d) * KM_PER_DEG)
        assert res.area_km2[0.95] > res.area_km2[0.9] > 0
        assert abs(res.time - T0) < 300.0
    assert sum(inside) >= 15, (sum(inside), errors)
    assert np.median(errors) < 60.0


def test_contours_are_closed_polygons_around_the_map():
    arrivals, stations, src = synthetic_event(3, n_arrays=6)
    res = locate_bisl(acoustic_observations(arrivals, stations), BislConfig(n_grid=81))
    polys = res.polygons[0.9]
    assert polys and all(p.shape[1] == 2 for p in polys)
    ring = max(polys, key=len)
    assert np.allclose(ring[0], ring[-1], atol=1e-6)
    assert ring[:, 0].min() < res.lat < ring[:, 0].max()
    assert ring[:, 1].min() < res.lon < ring[:, 1].max()


def test_more_arrays_shrink_the_region():
    a6, st6, _ = synthetic_event(11, n_arrays=6)
    big = locate_bisl(acoustic_observations(a6[:3], st6), BislConfig(n_grid=81)).area_km2[0.9]
    small = locate_bisl(acoustic_observations(a6, st6), BislConfig(n_grid=81)).area_km2[0.9]
    assert small < big


def test_lanl_relation_round_trip_and_scaling():
    p = lanl_pressure(300.0, 1.0)
    assert 1.0 < float(p) < 100.0  # Pa at 300 km from 1 kt
    assert math.isclose(float(lanl_yield(p, 300.0)), 1.0, rel_tol=1e-9)
    # doubling the range at fixed yield: P falls by 2^1.41; 4× the yield: by 4^0.705
    assert math.isclose(float(lanl_pressure(600.0, 1.0) / p), 2**-1.41, rel_tol=1e-9)
    assert math.isclose(float(lanl_pressure(300.0, 4.0) / p), 4**0.705, rel_tol=1e-9)


SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", "/nonexistent")) / "infrasound"


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.exists(), reason="shared data absent")
def test_hrr5_infrapy_detections_contain_the_source():
    """HRR-5 from infrapy's five western arrays: source inside the 90 % region."""
    d = read_infrapy_detections(SHARED / "infrapy_examples/data/HRR-5.dets.json")
    assert len(d.arrivals) == 5 and not d.problems
    res = locate_bisl(acoustic_observations(d.arrivals, d.stations()))
    assert res.contains(33.5377, -106.333961, 0.9)


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.exists(), reason="shared data absent")
@pytest.mark.xfail(
    strict=True,
    reason="5 western arrays only: MAP 42 km from the source "
    "(BENCHMARKS.md, issue 14); the northern arrays are needed",
)
def test_hrr5_within_10_km_from_infrapy_detections():
    d = read_infrapy_detections(SHARED / "infrapy_examples/data/HRR-5.dets.json")
    res = locate_bisl(acoustic_observations(d.arrivals, d.stations()))
    dd, _, _ = distance_azimuth(33.5377, -106.333961, res.lat, res.lon, geocentric=False)
    assert float(dd) * KM_PER_DEG < 10.0
