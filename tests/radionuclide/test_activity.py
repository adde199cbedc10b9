"""Each correction against its analytic formula; limits against Currie and ISO 11929."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from testban.radionuclide.activity import (
    K_95,
    activity_from_counts,
    collection_correction,
    counting_correction,
    currie_limits,
    decay_constant,
    decay_correction,
    iso11929_limits,
)

LAM = decay_constant(8.0252 * 86400.0)  # I-131


def test_collection_correction_is_the_integral_of_decay_over_a_constant_collection():
    tc = 86400.0
    # activity at the end of collection of a unit concentration·volume collected at a
    # constant rate: (1/tc)∫0^tc e^(-λ(tc-t)) dt; the correction is its inverse
    kept, _ = quad(lambda t: np.exp(-LAM * (tc - t)) / tc, 0.0, tc)
    assert collection_correction(LAM, tc) == pytest.approx(1.0 / kept, rel=1e-10)
    assert collection_correction(0.0, tc) == pytest.approx(1.0)
    assert collection_correction(LAM, 1e-9) == pytest.approx(1.0, abs=1e-12)


def test_decay_correction_undoes_the_decay_to_acquisition():
    td = 3 * 86400.0
    assert decay_correction(LAM, td) * np.exp(-LAM * td) == pytest.approx(1.0)
    assert decay_correction(LAM, 8.0252 * 86400.0) == pytest.approx(2.0)


def test_counting_correction_is_the_mean_decay_during_counting():
    tr = 7 * 86400.0
    mean, _ = quad(lambda t: np.exp(-LAM * t) / tr, 0.0, tr)
    assert counting_correction(LAM, tr) == pytest.approx(1.0 / mean, rel=1e-10)
    assert counting_correction(np.array([0.0, LAM]), tr)[0] == pytest.approx(1.0)


def test_iso11929_with_a_paired_blank_is_currie():
    b = np.array([0.0, 10.0, 100.0, 1e4])
    lc, ld = currie_limits(b)
    n_star, n_hash = iso11929_limits(b, b)
    assert n_star == pytest.approx(lc, rel=2e-3)  # 2.33 is 1.645·√2 rounded
    assert n_hash == pytest.approx(ld, rel=2e-3, abs=1e-3)
    # closed form for k_α = k_β, no calibration uncertainty
    assert n_hash == pytest.approx(2 * n_star + K_95**2)


def test_calibration_uncertainty_raises_the_detection_limit_only():
    s0, h0 = iso11929_limits(100.0, 100.0)
    s1, h1 = iso11929_limits(100.0, 100.0, rel_unc_w=0.1)
    assert s1 == pytest.approx(s0)
    assert h1 > h0
    # n# solves n# = n* + k·√(n# + V0 + n#²·u²)
    assert h1 == pytest.approx(s1 + K_95 * np.sqrt(h1 + 200.0 + h1**2 * 0.01), rel=1e-8)


def test_activity_and_concentration_follow_the_textbook_chain():
    eff, p, tl, tr, td, tc, vol = 0.05, 0.815, 80000.0, 80100.0, 86400.0, 86400.0, 15000.0
    a_true = 3.0  # Bq at acquisition start
    n = a_true * eff * p * (tl / tr) * -np.expm1(-LAM * tr) / LAM
    act = activity_from_counts(
        n,
        np.sqrt(n),
        eff,
        0.0,
        p,
        tl,
        tr,
        LAM,
        background_counts=400.0,
        background_var=400.0,
        delay_s=td,
        collection_s=tc,
        air_volume_m3=vol,
    )
    assert act.activity == pytest.approx(a_true, rel=1e-10)
    c_true = a_true * np.exp(LAM * td) * LAM * tc / -np.expm1(-LAM * tc) / vol
    assert act.concentration == pytest.approx(c_true, rel=1e-10)
    # MDA: Currie's L_D in activity units (same chain)
    ld = 2.71 + 4.65 * np.sqrt(400.0)
    w = act.activity / n
    assert act.mda == pytest.approx(ld * w, rel=3e-3)
    assert act.mdc == pytest.approx(act.mda * act.concentration / act.activity, rel=1e-10)
    # relative uncertainty: Poisson only, here
    assert act.activity_err / act.activity == pytest.approx(1 / np.sqrt(n), rel=1e-10)
