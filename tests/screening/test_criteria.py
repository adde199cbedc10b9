"""Each screening criterion at its line (just in, just out) and with too little data."""

from __future__ import annotations

import math

import pytest

from testban.screening.criteria import (
    NOT_ASSESSED,
    NOT_SCREENED_OUT,
    SCREENED_OUT,
    ScreeningConfig,
    depth_criterion,
    event_outcome,
    magnitude_gate,
    mbms_criterion,
    offshore_criterion,
    ps_criterion,
    sigma_from_interval,
)

CFG = ScreeningConfig()
EPS = 1e-3


def test_z_is_the_one_sided_97_5_percent_quantile():
    assert CFG.z == pytest.approx(1.959964, abs=1e-5)


@pytest.mark.parametrize("dtype", ["f", "d"])
def test_depth_just_in_and_just_out(dtype):
    sigma = 4.0
    line = CFG.depth_km + CFG.z * sigma  # depth whose lower bound sits on 10 km
    assert depth_criterion(line + EPS, sigma, dtype, 3).outcome == SCREENED_OUT
    assert depth_criterion(line - EPS, sigma, dtype, 3).outcome == NOT_SCREENED_OUT


def test_deep_but_uncertain_is_not_screened_out():
    # 30 km deep, but ±12 km (1 σ): 30 − 1.96·12 < 10
    c = depth_criterion(30.0, 12.0, "f")
    assert c.outcome == NOT_SCREENED_OUT and "≤ 10 km" in c.reason


@pytest.mark.parametrize("dtype", ["r", "g"])
def test_fixed_depth_is_not_assessed(dtype):
    c = depth_criterion(0.0, math.nan, dtype)
    assert c.outcome == NOT_ASSESSED and "fixed" in c.reason


def test_free_depth_without_uncertainty_is_not_assessed():
    assert depth_criterion(50.0, math.nan, "f").outcome == NOT_ASSESSED


def test_sigma_from_a_90_percent_half_interval():
    assert sigma_from_interval(1.644854, 0.9) == pytest.approx(1.0, rel=1e-5)
    assert math.isnan(sigma_from_interval(-1.0, 0.9))


def _mbms_line(mb, nb, ns):
    sigma = math.sqrt((1.25 * 0.34) ** 2 / nb + 0.23**2 / ns)
    return CFG.mbms_offset + CFG.mbms_slope * mb + CFG.z * sigma  # Ms on the line


def test_mbms_just_in_and_just_out():
    mb, nb, ns = 4.5, 10, 4
    ms_line = _mbms_line(mb, nb, ns)
    out = mbms_criterion(mb, nb, ms_line + EPS, ns)
    stay = mbms_criterion(mb, nb, ms_line - EPS, ns)
    assert out.outcome == SCREENED_OUT and stay.outcome == NOT_SCREENED_OUT
    assert out.value == pytest.approx(ms_line + EPS - 1.25 * mb)
    assert out.uncertainty == pytest.approx(math.sqrt((1.25 * 0.34) ** 2 / 10 + 0.23**2 / 4))


def test_mbms_explosion_like_event_is_kept():
    # DPRK 2017: mb 6.1, Ms about 4.4–4.9 (published): far below the line
    c = mbms_criterion(6.1, 60, 4.6, 20)
    assert c.outcome == NOT_SCREENED_OUT


def test_mbms_needs_two_ms_stations():
    c = mbms_criterion(5.0, 20, 6.0, 1)
    assert c.outcome == NOT_ASSESSED and "fewer than 2" in c.reason
    assert mbms_criterion(5.0, 20, None, 0).outcome == NOT_ASSESSED
    assert mbms_criterion(None, 0, 5.0, 3).outcome == NOT_ASSESSED


def test_ps_just_in_and_just_out():
    thr, s = 0.2, 0.1
    upper_on_line = thr - CFG.z * s
    assert ps_criterion(upper_on_line - EPS, s, thr, 3).outcome == SCREENED_OUT
    assert ps_criterion(upper_on_line + EPS, s, thr, 3).outcome == NOT_SCREENED_OUT


def test_ps_without_stations_or_operating_point_is_not_assessed():
    c = ps_criterion(None, None, None, 0, missing="no station within 20°")
    assert c.outcome == NOT_ASSESSED and c.reason == "no station within 20°"
    assert ps_criterion(0.1, 0.1, math.nan, 2).outcome == NOT_ASSESSED


def test_offshore_needs_the_hydroacoustic_measurement():
    assert offshore_criterion(True, False, 300.0, None).outcome == NOT_ASSESSED
    assert offshore_criterion(True, False, 300.0, False).outcome == SCREENED_OUT
    assert offshore_criterion(True, False, 300.0, True).outcome == NOT_SCREENED_OUT
    assert offshore_criterion(False, False, -40.0, False).outcome == NOT_SCREENED_OUT


def test_magnitude_gate_just_in_and_just_out():
    assert magnitude_gate(3.5, 5, CFG) is None
    assert "below 3.5" in magnitude_gate(3.5 - EPS, 5, CFG)
    assert "fewer than 3" in magnitude_gate(4.0, 2, CFG)
    assert magnitude_gate(None, 0, CFG) == "no network mb (nor mb(Lg))"


def test_regional_event_is_gated_on_mblg_only_without_mb():
    assert magnitude_gate(None, 0, CFG, mblg=4.2, nlg=1) is None
    assert "mb(Lg) 3.20 below" in magnitude_gate(None, 0, CFG, mblg=3.2, nlg=4)
    assert "mb 3.00 below" in magnitude_gate(3.0, 10, CFG, mblg=4.5, nlg=4)  # mb wins


def test_event_outcome_any_criterion_screens_out():
    crit = [
        depth_criterion(0.0, math.nan, "r"),
        mbms_criterion(4.5, 10, 6.0, 4),
    ]
    ev = event_outcome(crit, None)
    assert ev.outcome == SCREENED_OUT and "mbms" in ev.reason
    ev = event_outcome(crit[:1], None)
    assert ev.outcome == NOT_ASSESSED
    ev = event_outcome([mbms_criterion(6.1, 60, 4.6, 20), crit[0]], None)
    assert ev.outcome == NOT_SCREENED_OUT and "not assessed: depth" in ev.reason
