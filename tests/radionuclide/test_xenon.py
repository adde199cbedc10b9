"""Xenon samples: CSV reading, ratios and their uncertainty, the Kalinowski diagram."""

from __future__ import annotations

import math

import numpy as np
import pytest

from testban.radionuclide import xenon_clock as xc
from testban.radionuclide.xenon import (
    KALINOWSKI_SLOPE,
    Ratio,
    XenonResult,
    XenonSample,
    decay_constant,
    diagram_point,
    diagram_svg,
    isotope_name,
    kalinowski_line,
    parse_xenon_csv,
    ratio_of,
    sample_point,
    sample_ratio,
)

DAY = 86400.0

CSV = """# test samples
sample_id,station,collect_start,collect_stop,isotope,conc,conc_err,mdc,lat,lon
S1,JPX38,2013-04-08T00:00:00,2013-04-09T00:00:00,Xe-133,1.2,0.1,0.2,36.3,139.1
S1,JPX38,2013-04-08T00:00:00,2013-04-09T00:00:00,XE-131M,0.4,0.05,0.1,36.3,139.1
S1,JPX38,2013-04-08T00:00:00,2013-04-09T00:00:00,Xe-135,,,0.8,36.3,139.1
S1,JPX38,2013-04-08T00:00:00,2013-04-09T00:00:00,Kr-85,1,0.1,0.1,36.3,139.1
S2,RUX58,2013-04-12T00:00:00,not a time,Xe-133,0.3,0.05,0.1,,
S3,RUX58,2013-04-13T00:00:00,2013-04-14T00:00:00,133mXe,0.3,0.05,0.1,,
"""


def _sample(**conc) -> XenonSample:
    """A sample with (conc, err) per isotope; conc None → not detected with MDC = err."""
    res = {}
    for key, (c, e) in conc.items():
        iso = isotope_name(key)
        assert iso
        if c is None:
            res[iso] = XenonResult(iso, math.nan, 0.0, e, False)
        else:
            res[iso] = XenonResult(iso, c, e, e / 2, True)
    return XenonSample("T", "STA", 0.0, DAY, res)


def test_isotope_names():
    assert isotope_name("XE-133M") == "Xe-133m"
    assert isotope_name("133mXe") == "Xe-133m"
    assert isotope_name("xe_135") == "Xe-135"
    assert isotope_name("Kr-85") is None


def test_decay_constants_match_design_within_a_percent():
    """DESIGN.md lists λ (1/s); radioactivedecay (ICRP-107) is the one source used."""
    design = {"Xe-133": 1.52956e-6, "Xe-131m": 6.72467e-7, "Xe-133m": 3.66326e-6,
              "Xe-135": 2.10657e-5}  # fmt: skip
    for iso, lam in design.items():
        assert decay_constant(iso) == pytest.approx(lam, rel=0.01)


def test_csv_reads_good_rows_and_names_bad_ones():
    samples, problems = parse_xenon_csv(CSV, "x.csv")
    by_id = {s.sample_id: s for s in samples}
    assert set(by_id) == {"S1", "S3"}
    s1 = by_id["S1"]
    assert set(s1.results) == {"Xe-133", "Xe-131m", "Xe-135"}
    assert not s1.results["Xe-135"].detected and s1.results["Xe-135"].bound == 0.8
    assert s1.lat == 36.3
    assert by_id["S3"].results["Xe-133m"].conc == 0.3
    where = {p.record for p in problems}
    assert where == {"line 6", "line 7"}  # Kr-85 and the bad time
    assert any("Kr-85" in p.message for p in problems)


def test_csv_missing_columns_is_one_problem():
    samples, problems = parse_xenon_csv("station,isotope\nA,Xe-133\n", "y.csv")
    assert samples == [] and len(problems) == 1 and "conc" in problems[0].message


def test_ratio_uncertainty_matches_monte_carlo():
    rng = np.random.default_rng(1)
    a, sa, b, sb = 10.0, 0.6, 4.0, 0.3
    for rho in (0.0, 0.5):
        cov = rho * sa * sb
        draws = rng.multivariate_normal([a, b], [[sa**2, cov], [cov, sb**2]], 400_000)
        mc = draws[:, 0] / draws[:, 1]
        r, s = ratio_of((a, sa), (b, sb), cov)
        assert r == a / b
        assert s == pytest.approx(mc.std(), rel=0.03)


def test_non_detections_make_bounds():
    s = _sample(xe133=(2.0, 0.2), xe135=(None, 0.5), xe131m=(None, 0.1))
    up = sample_ratio(s, "Xe-135", "Xe-133")
    assert up.kind == "upper" and up.value == pytest.approx(0.25)
    low = sample_ratio(s, "Xe-133", "Xe-131m")
    assert low.kind == "lower" and low.value == pytest.approx(20.0)
    none = sample_ratio(s, "Xe-135", "Xe-131m")
    assert none.kind == "none" and "neither" in none.reason
    assert sample_ratio(s, "Xe-133m", "Xe-133").kind == "none"  # not measured


def _r(num, den, v, s=0.0, kind="value"):
    return Ratio(num, den, v, s, kind)


def test_diagram_sides_and_distance():
    x_hi, y_lo = _r("Xe-133m", "Xe-131m", 100.0, 10.0), _r("Xe-135", "Xe-133", 1.0, 0.1)
    p = diagram_point("a", x_hi, y_lo)
    assert p.side == "explosion-like" and p.distance_sigma > 0 and not p.bound
    expected = (KALINOWSKI_SLOPE * 2 - 6 - 0) / math.hypot(
        KALINOWSKI_SLOPE * 0.1 / math.log(10), 0.1 / math.log(10)
    )
    assert p.distance_sigma == pytest.approx(expected)
    civil = diagram_point("b", _r("Xe-133m", "Xe-131m", 1.0, 0.1), y_lo)
    assert civil.side == "civil" and civil.distance_sigma < 0
    # bounds: lower x with upper y bounds the margin from below
    assert (
        diagram_point(
            "c",
            _r("Xe-133m", "Xe-131m", 100.0, 1, "lower"),
            _r("Xe-135", "Xe-133", 1.0, 0.1, "upper"),
        ).side
        == "explosion-like"
    )
    assert diagram_point("d", _r("Xe-133m", "Xe-131m", 1.0, 0.1, "upper"), y_lo).side == "civil"
    na = diagram_point("e", _r("Xe-133m", "Xe-131m", 100.0, 1, "upper"), y_lo)
    assert na.side == "not assessable"
    assert kalinowski_line(10.0) == pytest.approx(10 ** (KALINOWSKI_SLOPE - 6))


def test_explosion_model_lies_right_of_the_line_and_reactors_left():
    """The orientation check: fresh fission (high Xe-133m/Xe-131m) is on the explosion side,
    long irradiation (Xe-131m accumulated) on the civil side."""
    t = np.array([0.25, 1, 3, 5, 8]) * DAY
    for release in (math.inf, 3600.0):
        a = xc.activities(t, release)
        margin = (
            KALINOWSKI_SLOPE * np.log10(a["Xe-133m"] / a["Xe-131m"])
            - 6
            - np.log10(a["Xe-135"] / a["Xe-133"])
        )
        assert np.all(margin > 0)
    for burnup in (0.0, 8e-5):
        r = xc.irradiation_activities(365 * DAY, np.array([0, 1, 3]) * DAY, burnup=burnup)
        x, y = r["Xe-133m"] / r["Xe-131m"], r["Xe-135"] / r["Xe-133"]
        assert np.all(np.log10(y) > KALINOWSKI_SLOPE * np.log10(x) - 6)


def test_sample_point_and_svg():
    s = _sample(xe133=(1.0, 0.1), xe135=(2.0, 0.2), xe133m=(5.0, 0.5), xe131m=(0.05, 0.01))
    p = sample_point(s)
    assert p.x.value == pytest.approx(100.0) and p.y.value == pytest.approx(2.0)
    assert p.side == "explosion-like"
    svg = diagram_svg([("T", p.x.value, p.y.value, p.side)], curves=[("m", [(1, 1), (10, 1)])])
    assert svg.startswith("<svg") and svg.count("<circle") == 1 and "polyline" in svg
