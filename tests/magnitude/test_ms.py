"""Ms station formulas: the IDC's (Rezapour & Pearce 1998) and Russell's (2006) Ms(VMAX)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from testban.magnitude import MS_VMAX_DELTA, ms_station, ms_vmax_station, station_reasons


def test_idc_ms_is_in_nanometres_like_prague_at_mid_distances():
    # Rezapour & Pearce tied their level to the Prague formula (A in µm); with A in nm
    # the two must agree at 40-60° within their published 0.1-unit differences.
    for delta in (40.0, 50.0, 60.0):
        prague = math.log10(1.0 / 20.0) + 1.66 * math.log10(delta) + 3.3  # A = 1 µm
        idc = float(ms_station(1000.0, 20.0, delta))  # A = 1000 nm
        assert abs(idc - prague) < 0.1


def test_vmax_formula_terms():
    a, t, d = 250.0, 12.0, 7.0
    fc = 0.6 / (t * math.sqrt(d))
    want = (
        math.log10(a)
        + 0.5 * math.log10(math.sin(math.radians(d)))
        + 0.0031 * (20.0 / t) ** 1.8 * d
        - 0.66 * math.log10(20.0 / t)
        - math.log10(fc)
        - 0.43
    )
    assert float(ms_vmax_station(a, t, d, fc)) == pytest.approx(want, abs=1e-12)


def test_vmax_amplitude_term_is_log_a_not_log_a_over_t():
    # doubling T at fixed a_b and fc changes Ms only through the period terms
    d, fc = 10.0, 0.01
    m1 = float(ms_vmax_station(100.0, 10.0, d, fc))
    m2 = float(ms_vmax_station(100.0, 20.0, d, fc))
    period_terms = 0.0031 * d * (2**1.8 - 1.0) - 0.66 * math.log10(2.0)
    assert m1 - m2 == pytest.approx(period_terms, abs=1e-9)


def test_vmax_ranges():
    fc = 0.01
    assert np.isnan(ms_vmax_station(100.0, 20.0, MS_VMAX_DELTA[0] - 0.5, fc))
    assert np.isnan(ms_vmax_station(100.0, 30.0, 10.0, fc))
    assert np.isnan(ms_vmax_station(-1.0, 20.0, 10.0, fc))
    assert np.isfinite(ms_vmax_station(100.0, 20.0, 25.0, fc, delta_range=None))
    why = station_reasons("msvmax", [100.0, 100.0], [20.0, 30.0], [1.0, 10.0])
    assert "distance" in why[0] and "period" in why[1]
