"""Xenon concentrations from beta–gamma coincidence region-of-interest (ROI) counts.

SAUNA/ARIX-type systems count β–γ coincidences in a 2-D (β energy, γ energy) histogram;
each isotope is measured in one or more ROIs (SAUNA's classic scheme: 1 Rn-222 via
Pb-214 352 keV; 2 Xe-135 250 keV γ; 3 Xe-133 80 keV γ; 4 Xe-133 30 keV X-ray; 5 Xe-131m
and 6 Xe-133m X-rays with their 129 / 199 keV conversion electrons; the 10-ROI scheme
adds overlap ROIs 7–10). The net-count method (e.g. Cooper et al. 2019, "Radioxenon net
count calculations revisited", J. Environ. Radioact.; ISO 11929 for the limits):

1. residual counts per ROI: gross − detector background − gas background, each scaled
   to the sample's live time; the gas background (the previous, evacuated cell: memory
   effect) already contains the detector background, so that is taken out of it first::

       r = G − B·(t_s/t_b) − (g − B·(t_g/t_b))·(t_s/t_g)

2. interference: ROI i also receives counts from the isotope whose own ROI is j
   (radon into every xenon ROI, Xe-133 into the metastable ROIs, …):
   r_i = n_i + Σ_j k_ij n_j, ratios k_ij from calibration spectra. The net counts
   solve (I + K) n = r — for the usual ordered scheme a sequential subtraction — and
   their covariance is propagated exactly through the linear map.
3. concentration per isotope, with collection t_c (uniform sampling), processing t_p and
   acquisition real time t_a / live time t_l (ε efficiency, BR β–γ branching ratio, V
   air volume = Xe volume / 0.087 ml per m³)::

       C = n/(ε·BR·V) · λt_c/(1 − e^{−λt_c}) · e^{λt_p} · λ/(1 − e^{−λt_a}) · t_a/t_l

   An isotope with several ROIs takes their generalised least-squares mean (using the
   net-count covariance).
4. limits (Currie 1968): with σ0 the standard deviation of the net count when the
   signal is zero (σ0² = Var(n) − n), L_C = k σ0 and L_D = k² + 2 L_C (k = 1.645);
   MDC = L_D converted like n. Detected when n > L_C.

In-growth of Xe-133 from Xe-133m during the measurement is neglected (as in the
classic method).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from testban.radionuclide.xenon import ISOTOPES, XenonResult, decay_constant

#: Atmospheric xenon content: ml of stable Xe per m³ of air (0.087 ppmv).
XE_ML_PER_M3_AIR = 0.087
#: One-sided 95 % normal quantile used for L_C and L_D.
K_CURRIE = 1.645


def air_volume(xe_volume_ml: float) -> float:
    """Air volume (m³) a xenon sample of ``xe_volume_ml`` ml (stable Xe) came from."""
    return xe_volume_ml / XE_ML_PER_M3_AIR


def currie_limits(sigma0: float | np.ndarray, k: float = K_CURRIE) -> tuple:
    """Decision threshold L_C = k σ0 and detection limit L_D = k² + 2 L_C (counts).

    With a background B known from a paired measurement of equal time, σ0 = √(2B) and
    these are Currie's 2.33√B and 2.71 + 4.65√B.
    """
    lc = k * np.asarray(sigma0, dtype=float)
    return lc, k**2 + 2.0 * lc


def decay_correction(lam: float, t_collect: float, t_process: float, t_real: float) -> float:
    """Counts → mean activity concentration factor of the decay during the three phases.

    λt_c/(1 − e^{−λt_c}) · e^{λt_p} · λ/(1 − e^{−λt_a}) (1/s); → t_c/t_a-free limits:
    for λ → 0 it tends to 1/t_a.
    """

    def f(x: float) -> float:  # x/(1 − e^{−x}), stable near 0
        return 1.0 + x / 2.0 if abs(x) < 1e-8 else x / -math.expm1(-x)

    return f(lam * t_collect) * math.exp(lam * t_process) * f(lam * t_real) / t_real


@dataclass(frozen=True)
class Roi:
    """One β–γ region of interest: the isotope it measures (or e.g. 'Rn-222'), the
    β–γ branching ratio of that isotope into it, and the detection efficiency (with 1σ)."""

    number: int
    isotope: str
    branching: float
    efficiency: float
    branching_err: float = 0.0
    efficiency_err: float = 0.0


@dataclass(frozen=True)
class BetaGammaCounts:
    """Counts of one sample measurement and its backgrounds, per ROI (same ROI order).

    ``interference[i][j]``: counts in ROI i per net count in ROI j (0 on the diagonal).
    Times in s; ``xe_volume_ml`` the stable xenon volume of the sample (ml).
    """

    gross: Sequence[float]
    live_time: float
    real_time: float
    det_bkg: Sequence[float]
    det_bkg_live_time: float
    gas_bkg: Sequence[float]
    gas_bkg_live_time: float
    interference: Sequence[Sequence[float]]
    xe_volume_ml: float
    xe_volume_err_ml: float
    collect_time: float
    process_time: float


def net_counts(c: BetaGammaCounts) -> tuple[np.ndarray, np.ndarray]:
    """Net counts per ROI and their covariance (steps 1–2 of the module docstring).

    The memory (gas background net of the detector background) is subtracted only in
    ROIs where it is significant (above its own decision threshold); elsewhere only the
    long detector background is, which keeps the variance low when the cell is clean.
    """
    g = np.asarray(c.gross, float)
    b = np.asarray(c.det_bkg, float)
    gb = np.asarray(c.gas_bkg, float)
    n = g.size
    if b.size != n or gb.size != n:
        raise ValueError("gross, detector and gas background need one count per ROI")
    ts, tb, tg = c.live_time, c.det_bkg_live_time, c.gas_bkg_live_time
    memory = gb - b * tg / tb
    var_memory = gb + b * (tg / tb) ** 2
    use = memory > K_CURRIE * np.sqrt(var_memory)
    r = g - b * ts / tb - np.where(use, memory * ts / tg, 0.0)
    # variance: gross + detector term (its coefficient is 0 where the memory is used,
    # since the gas background already holds the detector background) + gas term
    var_r = g + np.where(use, (ts / tg) ** 2 * gb, (ts / tb) ** 2 * b)
    a = np.eye(n) + np.asarray(c.interference, float)
    if a.shape != (n, n):
        raise ValueError("interference must be an ROI × ROI matrix")
    ainv = np.linalg.inv(a)
    net = ainv @ r
    cov = ainv @ np.diag(var_r) @ ainv.T
    return net, cov


def concentrations(
    c: BetaGammaCounts, rois: Sequence[Roi], isotopes: Sequence[str] = ISOTOPES
) -> dict[str, XenonResult]:
    """Activity concentration (mBq/m³), 1σ, MDC and detection per xenon isotope.

    Each isotope's ROIs are combined by generalised least squares; σ includes counting
    (with the background and interference terms), efficiency, branching ratio and the
    xenon volume; the MDC is Currie's L_D through the same conversion.
    """
    if len(rois) != len(c.gross):
        raise ValueError("one Roi per count")
    net, cov = net_counts(c)
    v_air = air_volume(c.xe_volume_ml)
    rel_v = c.xe_volume_err_ml / c.xe_volume_ml if c.xe_volume_ml > 0 else 0.0
    out: dict[str, XenonResult] = {}
    for iso in isotopes:
        idx = [k for k, r in enumerate(rois) if r.isotope == iso]
        if not idx:
            continue
        dc = decay_correction(decay_constant(iso), c.collect_time, c.process_time, c.real_time)
        lt = c.real_time / c.live_time
        # counts per (Bq/m³) in each ROI
        sens = np.array([rois[k].efficiency * rois[k].branching * v_air / (dc * lt) for k in idx])
        sub = cov[np.ix_(idx, idx)]
        w = np.linalg.solve(sub, sens)
        info = float(sens @ w)
        conc = float(w @ net[idx]) / info  # Bq/m³
        var_count = 1.0 / info
        # systematic parts (efficiency, branching), as relative errors averaged by weight
        weights = w * sens / info
        rel_sys2 = sum(
            float(weights[m]) ** 2
            * (
                (rois[k].efficiency_err / rois[k].efficiency) ** 2
                + (rois[k].branching_err / rois[k].branching) ** 2
            )  # fmt: skip
            for m, k in enumerate(idx)
        )
        var = var_count + conc**2 * (rel_sys2 + rel_v**2)
        # Currie on the combined estimate Ĉ = Σ a_m n_m: σ0² = Σ a_m² (Var n_m − n_m),
        # and L_D = k² Σ a_m²·sens_m + 2 L_C (exact for Var(Ĉ|C) = σ0² + C Σ a_m² sens_m)
        a_m = w / info
        sig0_counts2 = np.clip(np.diag(sub) - net[idx], 0.0, None)
        lc = K_CURRIE * math.sqrt(float(a_m**2 @ sig0_counts2))
        ld = K_CURRIE**2 * float(a_m**2 @ sens) + 2.0 * lc
        out[iso] = XenonResult(iso, conc * 1e3, math.sqrt(var) * 1e3, ld * 1e3, conc > lc)
    return out
