"""Calibration on the IDC analyst bulletin of 2010-05-20 (real data; skipped without it)."""

from __future__ import annotations

import numpy as np

from testban.calibrate import estimate, pairs_from_assoc, residuals, robust_mean, wrap180
from testban.io.css30 import read_records
from testban.network import read_network
from testban.records import Arrival, Assoc, Origin
from tests.conftest import shared_path


def _load():
    idc = shared_path("idc_ueb_2010140")
    stations = shared_path("stations", "ims_css30")
    network, _ = read_network(stations / "ueb_test")
    return (
        read_records(idc / "arrival.csv", Arrival),
        read_records(idc / "assoc.csv", Assoc),
        read_records(idc / "origin.csv", Origin),
        network,
    )


def test_time_residuals_agree_with_the_idc_locator():
    """Teleseismic P residuals against the analyst origins equal the IDC's own ``timeres``:
    both are iasp91 with ellipticity and elevation terms, and the IDC applies no
    teleseismic P station corrections, so any difference is interpolation (≤ 0.1 s)."""
    arrivals, assocs, origins, network = _load()
    res = residuals(pairs_from_assoc(arrivals, assocs, origins), network)
    idc = {s.arid: s.timeres for s in assocs}
    diff = [r.time_res - idc[r.arid] for r in res if r.phase == "P" and r.delta > 20.0]
    assert len(diff) >= 15
    assert float(np.median(np.abs(diff))) <= 0.1


def test_learnt_azimuth_correction_has_the_idc_sign_convention():
    """PDAR's and TXAR's regional events were located by the IDC with its own SASC, from
    these arrivals; fitted on them (not independent, so this checks the arithmetic and
    the sign, not the learning), our correction must match the one the IDC applied,
    which its assoc rows imply (``azres`` is written from the corrected azimuth)."""
    arrivals, assocs, origins, network = _load()
    rows = estimate(residuals(pairs_from_assoc(arrivals, assocs, origins), network))
    by_arid = {a.arid: a for a in arrivals}
    for sta in ("PDAR", "TXAR"):
        ours = next(r for r in rows if r.sta == sta and r.kind == "sasc" and r.station_wide)
        applied = robust_mean(
            float(wrap180(s.azres + s.seaz - by_arid[s.arid].azimuth))
            for s in assocs
            if s.sta == sta and s.arid in by_arid
        )
        assert abs(applied.mean) > 2.0  # the IDC did correct these arrays
        assert abs(ours.daz - applied.mean) <= 3 * np.hypot(ours.daz_se, applied.se)
