"""Station slowness/azimuth correction tables (SASC-like hook of ``array_fk``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from testban.features.corrections import SlownessAzimuthCorrection


def table() -> SlownessAzimuthCorrection:
    # corrections that vary linearly, so interpolation is exact
    az = np.array([0.0, 90.0, 180.0, 270.0])
    sl = np.array([4.0, 8.0])
    daz = np.array([[0.0, 1.0, 2.0, 1.0], [0.0, 2.0, 4.0, 2.0]])
    dslow = np.array([[0.1, 0.1, 0.1, 0.1], [0.3, 0.3, 0.3, 0.3]])
    return SlownessAzimuthCorrection(az, sl, daz, dslow)


def test_interpolation_and_periodic_azimuth():
    t = table()
    assert t.at(45.0, 4.0) == pytest.approx((0.5, 0.1))
    assert t.at(45.0, 6.0) == pytest.approx((0.75, 0.2))
    assert t.at(315.0, 8.0) == pytest.approx((1.0, 0.3))  # between 270 and 360=0
    assert t.at(-45.0, 8.0) == pytest.approx((1.0, 0.3))
    assert t.at(90.0, 2.0) == pytest.approx((1.0, 0.1))  # constant below the nodes
    assert t.at(90.0, 20.0) == pytest.approx((2.0, 0.3))  # and above


def test_apply_wraps_and_passes_nan():
    t = SlownessAzimuthCorrection.constant(daz=3.0, dslow=-0.2)
    assert t.apply(359.0, 5.0) == pytest.approx((2.0, 4.8))
    az, sl = t.apply(math.nan, 5.0)
    assert math.isnan(az) and sl == 5.0


def test_csv_round_trip(tmp_path):
    t = table()
    path = tmp_path / "sasc.csv"
    lines = ["azimuth,slow,daz,dslow"]
    for i, s in enumerate(t.slow):
        for j, a in enumerate(t.azimuth):
            lines.append(f"{a},{s},{t.daz[i, j]},{t.dslow[i, j]}")
    path.write_text("\n".join(lines) + "\n")
    back = SlownessAzimuthCorrection.from_csv(path)
    np.testing.assert_allclose(back.daz, t.daz)
    np.testing.assert_allclose(back.dslow, t.dslow)
    path.write_text("\n".join(lines[:-1]) + "\n")  # a node missing
    with pytest.raises(ValueError):
        SlownessAzimuthCorrection.from_csv(path)


def test_rejects_bad_nodes():
    with pytest.raises(ValueError):
        SlownessAzimuthCorrection(np.array([90.0, 10.0]), np.array([5.0]), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError):
        SlownessAzimuthCorrection(np.array([0.0]), np.array([5.0, 5.0]), np.zeros(2), np.zeros(2))
