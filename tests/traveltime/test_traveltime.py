"""Travel-time tables against direct TauP calls, derivatives, constant-speed phases, cache."""

from __future__ import annotations

import numpy as np
import pytest
from obspy.taup import TauPyModel

from testban.traveltime import (
    KM_PER_DEG,
    TAUP_PHASES,
    TravelTimes,
    distance_azimuth,
    pwp_delay,
    travel_times,
)
from testban.traveltime import tables as tables_mod

TOLERANCE = {"P": 0.05, "S": 0.05}  # s; 0.2 s for the other phases


@pytest.fixture(scope="module")
def tt() -> TravelTimes:
    return travel_times("iasp91")


@pytest.fixture(scope="module")
def taup() -> TauPyModel:
    return TauPyModel("iasp91")


def test_random_points_match_taup(tt: TravelTimes, taup: TauPyModel) -> None:
    """50 random (Δ, h) over 1–180° × 0–700 km: every tabulated phase against TauP."""
    rng = np.random.default_rng(20240601)
    delta = np.concatenate([rng.uniform(1, 30, 25), rng.uniform(30, 180, 25)])
    depth = np.concatenate([rng.uniform(0, 40, 15), rng.uniform(0, 700, 35)])
    names = sorted({p for group in TAUP_PHASES.values() for p in group})
    worst = {phase: 0.0 for phase in TAUP_PHASES}
    for d, h in zip(delta, depth, strict=True):
        arrivals = taup.get_travel_times(float(h), float(d), phase_list=names)
        for phase, group in TAUP_PHASES.items():
            times = [a.time for a in arrivals if a.name in group]
            if not times:
                continue
            got = float(tt.time(phase, d, h))
            assert np.isfinite(got), (phase, d, h)
            worst[phase] = max(worst[phase], abs(got - min(times)))
    for phase, err in worst.items():
        assert err < TOLERANCE.get(phase, 0.2), (phase, err)


def test_vectorised_and_nan_outside(tt: TravelTimes) -> None:
    d = np.array([[30.0, 60.0], [105.0, 150.0]])
    pred = tt.predict("P", d, 10.0)
    assert pred.time.shape == (2, 2)
    assert np.isfinite(pred.time[0]).all() and np.isnan(pred.time[1]).all()  # core shadow
    assert np.isnan(tt.time("Pn", 5.0, 100.0))  # no Pn from below the Moho
    assert np.isnan(tt.time("P", 30.0, 800.0))


def test_slowness_and_dtdh_are_derivatives(tt: TravelTimes, taup: TauPyModel) -> None:
    for d, h in [(40.0, 33.0), (62.5, 180.0), (75.0, 555.0)]:
        pred = tt.predict("P", d, h)
        ray = min(taup.get_travel_times(h, d, ["P"]), key=lambda a: a.time)
        assert abs(float(pred.slowness) - ray.ray_param_sec_degree) < 0.01
        up, down = (min(a.time for a in taup.get_travel_times(z, d, ["P"])) for z in (h - 1, h + 1))
        assert abs(float(pred.dtdh) - (down - up) / 2.0) < 0.003
    # pP gets later with depth, P earlier.
    assert tt.predict("pP", 60.0, 100.0).dtdh > 0 > tt.predict("P", 60.0, 100.0).dtdh


def test_depth_phases_match_taup(tt: TravelTimes, taup: TauPyModel) -> None:
    """pP and sP over the teleseismic range where depth phases are read (25–95°) and every
    source depth (0–700 km): within 0.05 s of TauP, and sP − pP grows with depth."""
    rng = np.random.default_rng(20261208)
    worst = {"pP": 0.0, "sP": 0.0}
    for d, h in zip(rng.uniform(25, 95, 40), rng.uniform(1, 700, 40), strict=True):
        arrivals = taup.get_travel_times(float(h), float(d), phase_list=["pP", "sP"])
        for phase in worst:
            ref = min(a.time for a in arrivals if a.name == phase)
            worst[phase] = max(worst[phase], abs(float(tt.time(phase, d, h)) - ref))
    assert max(worst.values()) < 0.05, worst
    lag = tt.time("sP", 60.0, [50.0, 200.0, 600.0]) - tt.time("pP", 60.0, [50.0, 200.0, 600.0])
    assert np.all(np.diff(lag) > 0) and lag[0] > 0
    # dT/dh of sP is the up-going S leg's vertical slowness: larger than pP's.
    assert tt.predict("sP", 60.0, 200.0).dtdh > tt.predict("pP", 60.0, 200.0).dtdh > 0


def test_pwp_is_pp_plus_water_legs(tt: TravelTimes) -> None:
    """pwP − pP: 2w/v at vertical incidence, less for an inclined ray, 0 without water."""
    assert float(pwp_delay(0.0, 3.0)) == pytest.approx(2 * 3.0 / 1.5)
    p = 6.0  # s/° ≈ P at 60°: sin i = 1.5 p / 111.19 in the water
    cos_i = np.sqrt(1 - (1.5 * p / KM_PER_DEG) ** 2)
    assert float(pwp_delay(p, 4.0)) == pytest.approx(2 * 4.0 / 1.5 * cos_i)
    assert float(pwp_delay(p, 0.0)) == 0.0
    pw = tt.predict_pwp(60.0, 100.0, 4.0)
    pp = tt.predict("pP", 60.0, 100.0)
    assert 5.0 < float(pw.time - pp.time) < 2 * 4.0 / 1.5


def test_first_arrival_names(tt: TravelTimes) -> None:
    pred, names = tt.first_arrival([0.5, 10.0, 50.0, 105.0, 150.0], [5.0, 10.0, 10.0, 10.0, 10.0])
    # At 10° iasp91's diving mantle P (TauP "P") beats the Moho head wave Pn by 0.2 s.
    assert names.tolist()[1:] == ["P", "P", "", "PKP"]
    assert np.isnan(pred.time[3]) and np.all(np.isfinite(pred.time[[0, 1, 2, 4]]))


def test_constant_speed_phases(tt: TravelTimes) -> None:
    km = np.pi * 6371.0 / 180.0
    assert tt.time("Lg", 10.0, 10.0) == pytest.approx(10 * km / 3.5)
    assert np.isnan(tt.time("Lg", 25.0, 10.0))
    assert np.isnan(tt.time("Rg", 1.0, 30.0))
    assert tt.predict("T", 20.0, 0.0).slowness == pytest.approx(km / 1.485)
    assert tt.time("I", 1.0, 0.0) == pytest.approx(km / 0.30)


def test_distance_azimuth() -> None:
    d, az, baz = distance_azimuth(0.0, 0.0, [0.0, 10.0], [90.0, 0.0], geocentric=False)
    np.testing.assert_allclose(d, [90.0, 10.0])
    np.testing.assert_allclose(az, [90.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(baz, [270.0, 180.0], atol=1e-9)


def test_build_and_cache(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ak135 is not shipped: built once (about a second), cached, then read back."""
    monkeypatch.setenv("TESTBAN_CACHE", str(tmp_path))
    t = tables_mod.get_tables("ak135")
    path = tmp_path / "traveltime" / tables_mod.file_name("ak135")
    assert path.is_file()
    again = tables_mod.load_tables(path)
    assert again is not None and again.model == "ak135"
    np.testing.assert_allclose(again.time, t.time, rtol=1e-6, equal_nan=True)
    direct = min(a.time for a in TauPyModel("ak135").get_travel_times(0.0, 50.0, ["P"]))
    assert abs(float(TravelTimes("ak135", tables=again).time("P", 50.0, 0.0)) - direct) < 0.01
