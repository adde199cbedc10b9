"""Station corrections: a known bias put into synthetic arrivals must come back out."""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from testban.calibrate import (
    Applied,
    CalibrationConfig,
    StationCorrection,
    apply_corrections,
    corrections_beside,
    estimate,
    fk_correction,
    pairs_by_time,
    pairs_from_assoc,
    read_corrections,
    residuals,
    robust_mean,
    time_correction,
    write_corrections,
)
from testban.io.problems import ReadProblem
from testban.locate.ellipticity import correction as ellipticity_correction
from testban.network import Network, Station
from testban.records import Arrival, Assoc, Origin
from testban.traveltime import destination, distance_azimuth, geocentric_latitude, travel_times

ARR = Station("ARR", 40.0, 20.0, elev=0.0, statype="ar")
OTHER = Station("OTH", -10.0, 120.0, elev=0.0)
NET = Network([ARR, OTHER])
T0 = 1.6e9
BIAS_AZ, BIAS_SLOW, BIAS_T = 7.0, 0.8, 1.5  # ° , s/°, s
NOISE_AZ, NOISE_SLOW, NOISE_T = 2.0, 0.3, 0.4


def synthetic(
    seed: int, n: int = 60, bias_az=lambda baz: BIAS_AZ, outliers: int = 0
) -> tuple[list[Arrival], list[Assoc], list[Origin]]:
    """Teleseismic P at ARR from ``n`` events all around it, with the biases above (the
    azimuth bias may depend on the true back-azimuth), Gaussian noise, and ``outliers``
    arrivals with a random azimuth (misassociations)."""
    rng = np.random.default_rng(seed)
    tt = travel_times("iasp91")
    arrivals, assocs, origins = [], [], []
    for k in range(n):
        d, az = rng.uniform(30.0, 90.0), rng.uniform(0.0, 360.0)
        lat, lon = destination(ARR.lat, ARR.lon, d, az)
        o = Origin(lat=float(lat), lon=float(lon), depth=10.0, time=T0 + 3000.0 * k, orid=k + 1)
        delta, _, seaz = distance_azimuth(o.lat, o.lon, ARR.lat, ARR.lon)
        pred = tt.predict("P", delta, 10.0)
        _, esaz, _ = distance_azimuth(o.lat, o.lon, ARR.lat, ARR.lon)
        lat_c = float(geocentric_latitude(o.lat))
        ell = float(ellipticity_correction(["P"], delta, 10.0, lat_c, esaz).ravel()[0])
        baz = float(seaz) + bias_az(float(seaz)) + rng.normal(0, NOISE_AZ)
        if k < outliers:
            baz = rng.uniform(0, 360)
        a = Arrival(
            sta="ARR",
            arid=1000 + k,
            iphase="P",
            time=o.time + float(pred.time) + ell + BIAS_T + rng.normal(0, NOISE_T),
            azimuth=baz % 360.0,
            delaz=3.0,
            slow=float(pred.slowness) + BIAS_SLOW + rng.normal(0, NOISE_SLOW),
            delslo=0.5,
        )
        arrivals.append(a)
        origins.append(o)
        assocs.append(Assoc(arid=a.arid, orid=o.orid, sta="ARR", phase="P", timedef="d"))
        # two other defining stations make each origin an independent reference
        for j, sta in enumerate(("OTH", "X2")):
            assocs.append(Assoc(arid=90000 + 10 * k + j, orid=o.orid, sta=sta, timedef="d"))
    return arrivals, assocs, origins


def fit(arrivals, assocs, origins, config=None) -> list[StationCorrection]:
    return estimate(residuals(pairs_from_assoc(arrivals, assocs, origins, 2), NET), config)


def wide(rows, sta="ARR") -> StationCorrection:
    return next(r for r in rows if r.sta == sta and r.kind == "sasc" and r.station_wide)


def test_known_bias_recovered_within_its_uncertainty():
    rows = fit(*synthetic(1))
    c = wide(rows)
    assert c.n == 60
    # corrections are added, so they are minus the bias; 3 standard errors
    assert abs(c.daz + BIAS_AZ) <= 3 * c.daz_se
    assert abs(c.dslow + BIAS_SLOW) <= 3 * c.dslow_se
    # the standard error says what the noise says: σ/√n within a factor 1.5
    assert NOISE_AZ / math.sqrt(60) / 1.5 < c.daz_se < 1.5 * NOISE_AZ / math.sqrt(60)
    assert NOISE_SLOW / math.sqrt(60) / 1.5 < c.dslow_se < 1.5 * NOISE_SLOW / math.sqrt(60)
    t = next(r for r in rows if r.kind == "time" and r.phase == "P")
    assert abs(t.dt - BIAS_T) <= 3 * t.dt_se
    assert time_correction(rows, "ARR", "P") == (t.dt, t.dt_se)
    assert time_correction(rows, "ARR", "S") == (0.0, 0.0)


def test_outliers_do_not_move_the_correction():
    rows = fit(*synthetic(2, n=60, outliers=8))
    c = wide(rows)
    assert abs(c.daz + BIAS_AZ) <= 3 * c.daz_se


def test_application_removes_the_bias_on_independent_events():
    rows = fit(*synthetic(3))
    arrivals, assocs, origins = synthetic(4)  # other events, same biases
    log: list[Applied] = []
    fixed = apply_corrections(arrivals, rows, time=True, log=log)
    assert len(log) == len(arrivals) and all(e.row is not None for e in log)
    before = residuals(pairs_from_assoc(arrivals, assocs, origins), NET)
    after = residuals(pairs_from_assoc(fixed, assocs, origins), NET)
    for field, bias, noise in (
        ("az_res", BIAS_AZ, NOISE_AZ),
        ("slow_res", BIAS_SLOW, NOISE_SLOW),
        ("time_res", BIAS_T, NOISE_T),
    ):
        m0 = robust_mean(getattr(r, field) for r in before)
        m1 = robust_mean(getattr(r, field) for r in after)
        assert abs(m0.mean - bias) < 3 * m0.se
        # corrected: zero within the two standard errors (fit and check) combined
        assert abs(m1.mean) < 3 * math.hypot(m1.se, noise / math.sqrt(60))
    # uncertainties widened, inputs untouched
    assert all(f.delaz > a.delaz for f, a in zip(fixed, arrivals, strict=True))
    assert arrivals[0].azimuth != fixed[0].azimuth


def test_azimuth_dependent_bias_gets_bins():
    """SASC proper: +10° from the north-east sector, -4° elsewhere."""

    def bias(baz: float) -> float:
        return 10.0 if 0.0 <= baz < 90.0 else -4.0

    cfg = CalibrationConfig(az_width=90.0, min_bin=8)
    rows = fit(*synthetic(5, n=160, bias_az=bias), config=cfg)
    ne = [r for r in rows if r.kind == "sasc" and not r.station_wide and r.az_lo == 0.0]
    assert ne, "no bin for the north-east sector"
    assert all(abs(r.daz + 10.0) <= 3 * r.daz_se for r in ne)
    arrivals, assocs, origins = synthetic(6, n=160, bias_az=bias)
    fixed = apply_corrections(arrivals, rows)
    after = residuals(pairs_from_assoc(fixed, assocs, origins), NET)
    before = residuals(pairs_from_assoc(arrivals, assocs, origins), NET)
    ne_after = [r.az_res for r in after if 5.0 < r.seaz < 85.0]
    ne_before = [r.az_res for r in before if 5.0 < r.seaz < 85.0]
    assert abs(np.mean(ne_before)) > 8.0
    se_check = NOISE_AZ / math.sqrt(len(ne_after))
    assert abs(np.mean(ne_after)) < 3 * math.hypot(se_check, ne[0].daz_se)
    # the grid handed to the f-k analysis agrees with the bins in the bin centres
    grid = fk_correction(rows, "ARR")
    assert grid is not None
    assert len(ne) == 1  # teleseismic P: one slowness band
    assert grid.at(45.0, 8.0)[0] == pytest.approx(ne[0].daz, abs=1e-9)


def test_reference_located_by_the_station_itself_is_left_out():
    arrivals, assocs, origins = synthetic(7, n=5)
    single = [s for s in assocs if s.sta == "ARR"]  # no other defining station
    assert pairs_from_assoc(arrivals, single, origins, min_other=2) == []
    assert len(pairs_from_assoc(arrivals, single, origins)) == 5


def test_no_assoc_rows_ties_first_p_by_time():
    arrivals, _, origins = synthetic(8, n=10)
    noise = Arrival(sta="ARR", arid=1, time=T0 + 1234.5, azimuth=10.0, slow=5.0)
    pairs = pairs_by_time([*arrivals, noise], origins, NET, window=10.0)
    assert {a.arid for a, _, _ in pairs} == {a.arid for a in arrivals}
    assert all(o.orid == a.arid - 999 for a, o, _ in pairs)


def test_too_few_residuals_give_no_correction_and_nothing_is_applied():
    rows = fit(*synthetic(9, n=2))
    assert rows == []
    arrivals, _, _ = synthetic(9, n=2)
    log: list[Applied] = []
    assert apply_corrections(arrivals, rows, log=log) == arrivals and log == []


def test_unmeasured_azimuth_is_not_corrected():
    rows = fit(*synthetic(10))
    a = Arrival(sta="ARR", arid=5, time=T0, azimuth=-1.0, slow=-1.0)
    assert apply_corrections([a], rows) == [a]


def test_csv_round_trip_and_bad_rows(tmp_path):
    rows = fit(*synthetic(11))
    path = write_corrections(rows, tmp_path / "corrections.csv")
    header = path.read_text().splitlines()[0]
    assert "daz_deg" in header and "dslow_s_per_deg" in header and "dt_se_s" in header
    back = read_corrections(path)
    assert len(back) == len(rows)
    for a, b in zip(rows, back, strict=True):
        assert a.sta == b.sta and a.kind == b.kind and a.n == b.n
        assert b.daz == pytest.approx(a.daz, abs=1e-4, nan_ok=True)
        assert b.slow_hi == a.slow_hi
    with open(path, "a") as fh:
        fh.write("ARR,sasc,-,0,360,0,inf,many,1,1,1,,,,,,,,\n")
    problems: list[ReadProblem] = []
    assert len(read_corrections(path, problems)) == len(rows)
    assert len(problems) == 1 and problems[0].record == f"line {len(rows) + 2}"
    assert corrections_beside(tmp_path / "stations.xml") == path
    assert corrections_beside(tmp_path) == path


def test_robust_mean_standard_error_on_gaussian_data():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, 400)
    m = robust_mean(x)
    assert abs(m.mean - 3.0) < 3 * m.se
    assert m.sigma == pytest.approx(2.0, rel=0.15)
    assert m.se == pytest.approx(2.0 / 20.0, rel=0.2)


def test_cli_calibrate(tmp_path):
    from testban.cli import app
    from testban.io.css30 import write_csv

    arrivals, assocs, origins = synthetic(12)
    write_csv(arrivals, tmp_path / "arrival.csv", table="arrival")
    write_csv(assocs, tmp_path / "assoc.csv", table="assoc")
    write_csv(origins, tmp_path / "origin.csv", table="origin")
    (tmp_path / "stations.csv").write_text(
        "sta,lat,lon,elev\nARR,40.0,20.0,0.0\nOTH,-10.0,120.0,0.0\n", encoding="utf-8"
    )
    out = tmp_path / "corrections.csv"
    result = CliRunner().invoke(
        app,
        [
            "calibrate",
            "--arrivals",
            str(tmp_path / "arrival.csv"),
            "--reference",
            str(tmp_path),
            "--stations",
            str(tmp_path / "stations.csv"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    c = wide(read_corrections(out))
    assert abs(c.daz + BIAS_AZ) <= 3 * c.daz_se
    assert "ARR" in result.output and "daz" in result.output
