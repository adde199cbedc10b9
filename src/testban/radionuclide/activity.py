"""Activity and activity concentration from net peak areas, with the standard corrections,
and the characteristic limits (decision threshold, detection limit, MDA/MDC).

Corrections (λ decay constant, s⁻¹; all vectorised and exact as λ → 0):

* decay during collection at a constant rate over ``tc``:  λ·tc / (1 − e^(−λ·tc))
* decay from collection stop to acquisition start ``td``:   e^(λ·td)
* decay during counting over the real time ``tr``:         λ·tr / (1 − e^(−λ·tr))
* live time: counts are divided by the live time ``tl``, not the real time.

Activity at acquisition start: A = N / (ε · Pγ · tl) · λ·tr / (1 − e^(−λ·tr)).
Mean air concentration during collection: C = A · e^(λ·td) · λ·tc / (1 − e^(−λ·tc)) / V.

Limits: Currie (1968, Anal. Chem. 40, 586) for a paired blank, L_C = 2.33 √B,
L_D = 2.71 + 4.65 √B (α = β = 5 %); ISO 11929 with an uncertain background estimate
(variance u_B²): decision threshold n* = k·√(B + u_B²), detection limit n# from
n# = n* + k·√(n# + B + u_B²) (closed form 2n* + k² for k_α = k_β); with u_B² = B these are
Currie's numbers. Relative uncertainties of efficiency and emission probability enter the
detection limit as ISO 11929 prescribes (n# / (1 − k² u_rel²)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: One-sided 95 % quantile of the normal distribution (α = β = 5 %).
K_95 = 1.6448536269514722


def decay_constant(half_life_s: np.ndarray | float) -> np.ndarray:
    """λ = ln 2 / T½ (s⁻¹); an infinite half-life gives 0."""
    return np.log(2.0) / np.asarray(half_life_s, dtype=float)


def _x_over_1mexp(x: np.ndarray) -> np.ndarray:
    """x / (1 − e^(−x)), → 1 as x → 0 (via expm1 for precision)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = x / -np.expm1(-x)
    return np.where(np.abs(x) < 1e-12, 1.0 + 0.5 * x, out)


def collection_correction(lam, collection_s) -> np.ndarray:
    """λ·tc / (1 − e^(−λ·tc)): decay of what was collected during a constant-rate
    collection of ``collection_s`` seconds, relative to the mean concentration."""
    return _x_over_1mexp(np.asarray(lam, dtype=float) * np.asarray(collection_s, dtype=float))


def decay_correction(lam, delay_s) -> np.ndarray:
    """e^(λ·td): decay from collection stop to acquisition start (``delay_s`` seconds)."""
    return np.exp(np.asarray(lam, dtype=float) * np.asarray(delay_s, dtype=float))


def counting_correction(lam, real_time_s) -> np.ndarray:
    """λ·tr / (1 − e^(−λ·tr)): decay during counting over the real time."""
    return _x_over_1mexp(np.asarray(lam, dtype=float) * np.asarray(real_time_s, dtype=float))


@dataclass(frozen=True)
class Activity:
    """Activity (Bq at acquisition start) and, when the air volume is known, mean activity
    concentration during collection (Bq/m³), with 1σ uncertainties; the same for the MDA
    and MDC (ISO 11929 detection limit) and the decision threshold in counts."""

    activity: float
    activity_err: float
    concentration: float | None
    concentration_err: float | None
    mda: float
    mdc: float | None
    decision_threshold_counts: float
    detection_limit_counts: float


def currie_limits(background_counts) -> tuple[np.ndarray, np.ndarray]:
    """Currie's L_C = 2.33 √B and L_D = 2.71 + 4.65 √B (counts; paired blank, 5 %/5 %)."""
    b = np.asarray(background_counts, dtype=float)
    return 2.33 * np.sqrt(b), 2.71 + 4.65 * np.sqrt(b)


def iso11929_limits(
    background_counts,
    background_var,
    k_alpha: float = K_95,
    k_beta: float = K_95,
    rel_unc_w: float | np.ndarray = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """ISO 11929 decision threshold and detection limit of a net peak area (counts).

    ``background_counts`` B under the peak, ``background_var`` its variance u_B² (B for a
    paired blank, small for a background fitted over many channels); ``rel_unc_w`` the
    relative uncertainty of the calibration factor (efficiency, emission probability),
    which raises the detection limit. Solved by fixed-point iteration (closed form when
    k_alpha = k_beta and rel_unc_w = 0: 2 n* + k²)."""
    b = np.asarray(background_counts, dtype=float)
    v0 = b + np.asarray(background_var, dtype=float)
    n_star = k_alpha * np.sqrt(v0)
    u2 = np.asarray(rel_unc_w, dtype=float) ** 2
    n_hash = 2.0 * n_star + k_beta**2
    for _ in range(100):
        nxt = n_star + k_beta * np.sqrt(n_hash + v0 + n_hash**2 * u2)
        if np.all(np.abs(nxt - n_hash) <= 1e-10 * np.maximum(nxt, 1.0)):
            n_hash = nxt
            break
        n_hash = nxt
    return n_star, n_hash


def activity_from_counts(
    net_counts,
    net_counts_err,
    efficiency,
    efficiency_err,
    intensity,
    live_time_s: float,
    real_time_s: float,
    lam,
    *,
    background_counts=0.0,
    background_var=0.0,
    intensity_err=0.0,
    delay_s: float | None = None,
    collection_s: float | None = None,
    air_volume_m3: float | None = None,
) -> Activity:
    """Activity, concentration and limits of one line (see the module docstring).

    ``intensity`` is the emission probability (fraction); uncertainties are 1σ and are
    propagated in quadrature (counts, efficiency, emission probability)."""
    eps = float(efficiency)
    p = float(intensity)
    w = float(counting_correction(lam, real_time_s)) / (eps * p * live_time_s)
    rel_w2 = (float(efficiency_err) / eps) ** 2 + (float(intensity_err) / p) ** 2
    n = float(net_counts)
    a = n * w
    a_err = float(np.sqrt((float(net_counts_err) * w) ** 2 + a * a * rel_w2))
    n_star, n_hash = iso11929_limits(background_counts, background_var, rel_unc_w=np.sqrt(rel_w2))
    mda = float(n_hash) * w
    conc = conc_err = mdc = None
    if air_volume_m3 and delay_s is not None and collection_s is not None:
        f = float(decay_correction(lam, delay_s) * collection_correction(lam, collection_s))
        f /= air_volume_m3
        conc, conc_err, mdc = a * f, a_err * f, mda * f
    return Activity(a, a_err, conc, conc_err, mda, mdc, float(n_star), float(n_hash))
