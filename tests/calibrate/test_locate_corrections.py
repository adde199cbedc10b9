"""Travel-time station corrections in the locator (issue 11 item 4): a station with a
known delay pulls the epicentre away; its correction must bring it back."""

from __future__ import annotations

import math

import numpy as np

from testban.calibrate import StationCorrection, time_terms
from testban.locate import LocatorConfig, Observations, locate, phase_tables
from testban.locate.ellipticity import correction
from testban.traveltime import destination, distance_azimuth, geocentric_latitude

T0 = 1.6e9
LAT, LON = 35.0, 100.0
BIAS = 1.5  # s, late at station S0 (slow crust under it)


def regional(bias: float = BIAS) -> Observations:
    """Pn at six stations 4-11° away; S0, the nearest, is ``bias`` s late."""
    dist = np.array([4.0, 6.0, 7.5, 9.0, 10.0, 11.0])
    az = np.array([10.0, 75.0, 140.0, 200.0, 260.0, 320.0])
    slat, slon = destination(LAT, LON, dist, az)
    d, esaz, _ = distance_azimuth(LAT, LON, slat, slon)
    ph = np.full(dist.size, "Pn", dtype=object)
    t, *_ = phase_tables().predict(ph, d, np.zeros(dist.size))
    t = t + correction(ph, d, 0.0, float(geocentric_latitude(LAT)), esaz)
    t[0] += bias
    return Observations.from_arrays(
        [f"S{i}" for i in range(dist.size)], ph, T0 + t, slat, slon, deltim=0.3
    )


def km_off(obs: Observations, config: LocatorConfig | None = None) -> float:
    loc = locate(obs, start=(LAT + 0.5, LON - 0.5, 0.0, T0), depth=0.0, config=config)
    d, _, _ = distance_azimuth(loc.origin.lat, loc.origin.lon, LAT, LON, geocentric=False)
    return float(d) * 111.19


def test_time_correction_removes_a_station_delay():
    obs = regional()
    biased = km_off(obs)
    # six stations, one 1.5 s late at ~8 km/s: the epicentre moves by several km
    assert biased > 3.0
    row = StationCorrection("S0", "time", phase="Pn", n=30, dt=BIAS, dt_se=0.1, dt_sigma=0.5)
    corrected = km_off(obs, LocatorConfig(time_corrections=time_terms([row])))
    # the correction is exact to its se (0.1 s ≈ 0.8 km of Pn at 8 km/s): back within 1 km
    assert corrected < 1.0 < biased / 3.0


def test_correction_of_another_phase_or_station_changes_nothing():
    obs = regional()
    rows = [
        StationCorrection("S0", "time", phase="Sn", n=30, dt=BIAS, dt_se=0.1),
        StationCorrection("XX", "time", phase="Pn", n=30, dt=BIAS, dt_se=0.1),
        StationCorrection("S0", "sasc", n=30, daz=5.0, dslow=0.5),
    ]
    assert time_terms(rows) == (("S0", "Sn", BIAS, 0.1), ("XX", "Pn", BIAS, 0.1))
    assert math.isclose(km_off(obs, LocatorConfig(time_corrections=time_terms(rows))),
                        km_off(obs), abs_tol=1e-6)  # fmt: skip


def test_uncertain_correction_weighs_less():
    """The correction's standard error joins the time error: a correction known to
    ±3 s leaves S0 with little weight, so a wrong correction (here the delay's sign
    reversed) moves the epicentre less than the same correction stated as exact."""
    obs = regional()
    wrong = [("S0", "Pn", -BIAS, 0.0)]
    vague = [("S0", "Pn", -BIAS, 3.0)]
    sure = km_off(obs, LocatorConfig(time_corrections=tuple(wrong)))
    weak = km_off(obs, LocatorConfig(time_corrections=tuple(vague)))
    assert weak < sure
    got = obs.with_time_corrections(vague, default_deltim=1.0)
    assert got.time[0] == obs.time[0] + BIAS and np.all(got.time[1:] == obs.time[1:])
    assert math.isclose(got.deltim[0], math.hypot(0.3, 3.0)) and np.all(got.deltim[1:] == 0.3)
