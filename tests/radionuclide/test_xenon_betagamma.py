"""Beta–gamma ROI analysis: backgrounds, interference, decay corrections, Currie limits."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from testban.radionuclide.xenon import decay_constant
from testban.radionuclide.xenon_betagamma import (
    XE_ML_PER_M3_AIR,
    BetaGammaCounts,
    Roi,
    air_volume,
    concentrations,
    currie_limits,
    decay_correction,
    net_counts,
)

# A SAUNA-like 6-ROI scheme: 1 radon, 2 Xe-135, 3 Xe-133 (80 keV), 4 Xe-133 (X-ray),
# 5 Xe-131m, 6 Xe-133m; efficiencies are illustrative, branching ratios FOI's.
ROIS = [
    Roi(1, "Rn-222", 0.376, 0.5),
    Roi(2, "Xe-135", 0.90, 0.6, 0.01, 0.02),
    Roi(3, "Xe-133", 0.37289, 0.6, 0.005, 0.02),
    Roi(4, "Xe-133", 0.4894, 0.55, 0.013, 0.02),
    Roi(5, "Xe-131m", 0.54, 0.5, 0.02, 0.02),
    Roi(6, "Xe-133m", 0.5577, 0.5, 0.013, 0.02),
]
K = np.zeros((6, 6))
K[1:, 0] = [0.05, 0.1, 0.08, 0.03, 0.02]  # radon into every xenon ROI
K[4, 2] = 0.04  # Xe-133 (80 keV ROI) into the Xe-131m ROI
K[5, 2] = 0.03  # … and into the Xe-133m ROI
K[4, 5] = 0.06  # Xe-133m into the Xe-131m ROI
K[1, 5] = 0.0
T = dict(live_time=40000.0, real_time=40500.0, collect_time=43200.0, process_time=21600.0,
         det_bkg_live_time=400000.0, gas_bkg_live_time=40000.0)  # fmt: skip
V_XE = 1.2  # ml


def _expected(conc_bq: dict[str, float], rn_net: float, det: np.ndarray, memory: np.ndarray):
    """Expected gross, detector-background and gas-background counts for true concentrations."""
    v = air_volume(V_XE)
    n = np.zeros(6)
    n[0] = rn_net
    for k, roi in enumerate(ROIS[1:], start=1):
        dc = decay_correction(decay_constant(roi.isotope), T["collect_time"], T["process_time"],
                              T["real_time"])  # fmt: skip
        n[k] = (
            conc_bq[roi.isotope]
            * roi.efficiency
            * roi.branching
            * v
            / dc
            * (T["live_time"] / T["real_time"])
        )
    gross = (np.eye(6) + K) @ n + det * T["live_time"] + memory * T["live_time"]
    det_counts = det * T["det_bkg_live_time"]
    gas = det * T["gas_bkg_live_time"] + memory * T["gas_bkg_live_time"]
    return n, gross, det_counts, gas


def _counts(gross, det, gas) -> BetaGammaCounts:
    return BetaGammaCounts(gross, T["live_time"], T["real_time"], det, T["det_bkg_live_time"],
                           gas, T["gas_bkg_live_time"], K, V_XE, 0.02, T["collect_time"],
                           T["process_time"])  # fmt: skip


TRUE = {"Xe-135": 2e-3, "Xe-133": 5e-3, "Xe-131m": 1e-3, "Xe-133m": 1.5e-3}  # Bq/m³
DET = np.array([1e-3, 5e-4, 1e-3, 2e-3, 2e-4, 2e-4])  # counts/s
MEMORY = np.array([0.0, 0.0, 5e-3, 6e-3, 0.0, 0.0])  # Xe-133 left in the cell, counts/s


def test_air_volume_from_xenon_volume():
    assert air_volume(0.87) == pytest.approx(10.0)
    assert XE_ML_PER_M3_AIR == 0.087


def test_decay_correction_limits_and_forward_model():
    assert decay_correction(1e-14, 100.0, 50.0, 1000.0) == pytest.approx(1e-3, rel=1e-6)
    # forward: uniform collection at 1 Bq/m³ of 1 m³ over t_c, decay t_p, count t_a
    lam, tc, tp, ta = decay_constant("Xe-133"), 43200.0, 21600.0, 40000.0
    s = np.linspace(0, tc, 200001)
    atoms_end = np.trapezoid(np.exp(-lam * (tc - s)), s) / (tc * lam)  # C·V/(t_c λ) per s
    decays = atoms_end * math.exp(-lam * tp) * -math.expm1(-lam * ta)
    assert decay_correction(lam, tc, tp, ta) * decays == pytest.approx(1.0, rel=1e-6)


def test_net_counts_undo_backgrounds_and_interference_exactly():
    n_true, gross, det, gas = _expected(TRUE, 300.0, DET, MEMORY)
    net, cov = net_counts(_counts(gross, det, gas))
    assert net == pytest.approx(n_true, rel=1e-9)
    assert np.all(np.diag(cov) > gross * 0.99)  # at least the gross counts' own variance


def test_concentrations_recovered_and_propagated():
    _, gross, det, gas = _expected(TRUE, 300.0, DET, MEMORY)
    res = concentrations(_counts(gross, det, gas), ROIS)
    for iso, c in TRUE.items():
        assert res[iso].conc == pytest.approx(c * 1e3, rel=1e-9)  # mBq/m³
        assert res[iso].detected
        assert 0 < res[iso].conc_err < res[iso].conc and res[iso].mdc > 0


def test_poisson_scatter_matches_the_propagated_sigma():
    rng = np.random.default_rng(7)
    _, gross, det, gas = _expected(TRUE, 300.0, DET, MEMORY)
    net0, cov = net_counts(_counts(gross, det, gas))
    draws = np.array([
        net_counts(_counts(rng.poisson(gross), rng.poisson(det), rng.poisson(gas)))[0]
        for _ in range(3000)
    ])  # fmt: skip
    assert draws.mean(axis=0) == pytest.approx(net0, abs=4 * np.sqrt(np.diag(cov) / 3000).max())
    assert draws.std(axis=0) == pytest.approx(np.sqrt(np.diag(cov)), rel=0.1)


def test_currie_limits_are_currie():
    b = 100.0
    lc, ld = currie_limits(math.sqrt(2 * b))
    assert lc == pytest.approx(2.33 * math.sqrt(b), rel=2e-3)
    assert ld == pytest.approx(2.71 + 4.65 * math.sqrt(b), rel=2e-3)


def test_mdc_of_a_blank_is_currie_ld_converted():
    """No xenon, no memory: the Xe-131m MDC equals (k² + 2kσ0)/sensitivity with σ0² =
    the variance of the subtracted background and interference."""
    zero = dict.fromkeys(TRUE, 0.0)
    n_true, gross, det, gas = _expected(zero, 0.0, DET, np.zeros(6))
    counts = _counts(gross, det, gas)
    res = concentrations(counts, ROIS)
    net, cov = net_counts(counts)
    k = 4  # Xe-131m ROI
    roi = ROIS[k]
    dc = decay_correction(decay_constant("Xe-131m"), T["collect_time"], T["process_time"],
                          T["real_time"])  # fmt: skip
    sens = roi.efficiency * roi.branching * air_volume(V_XE) / dc * T["live_time"] / T["real_time"]
    sigma0 = math.sqrt(cov[k, k] - net[k])
    assert res["Xe-131m"].mdc == pytest.approx((1.645**2 + 2 * 1.645 * sigma0) / sens * 1e3)
    assert not res["Xe-131m"].detected


def test_memory_below_its_threshold_is_not_subtracted():
    _, gross, det, gas = _expected(TRUE, 300.0, DET, np.zeros(6))
    c = _counts(gross, det, gas)
    net_a, cov_a = net_counts(c)
    # the same gas background measured much longer: no change of the estimate's expectation
    c2 = dataclasses.replace(c, gas_bkg=np.asarray(gas) * 10, gas_bkg_live_time=400000.0)
    net_b, _ = net_counts(c2)
    assert net_b == pytest.approx(net_a, rel=1e-9)
