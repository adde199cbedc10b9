"""Network magnitudes from station magnitudes: mean, trimmed or weighted mean, and MLE.

The IDC's ``mb_ave``/``ms_ave`` is the plain mean of the defining station values with the
standard error ``s / sqrt(n)`` (sample standard deviation); its ``mlppn`` is the mean
weighted by 1/σ² of each station's model error. ``mb_mle``/``ms_mle`` is the
maximum-likelihood magnitude of Ringdal (1976, BSSA 66(3), 789–802) that also uses stations
that did not detect the event: their noise level gives an upper bound on the station
magnitude, a censored observation. With σ = 0.35 this reproduces the IDC's ``mb_mle`` of
the 2010-05-20 bulletin to ±0.01.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize_scalar
from scipy.special import log_ndtr, ndtr

#: Station magnitude standard deviation of the IDC's maximum-likelihood mb.
MLE_SIGMA = 0.35


class NetworkMagnitude(NamedTuple):
    """A network magnitude, its uncertainty, the stations used, and station residuals.

    ``uncertainty`` is NaN when it cannot be estimated (a single station without a
    ``single_sd``); ``magres`` is station value minus network value (NaN where no value);
    ``used`` marks the stations that entered the estimate (CSS3.0 ``magdef = 'd'``).
    """

    magnitude: float
    uncertainty: float
    nsta: int
    magres: np.ndarray
    used: np.ndarray


def _empty(n: int) -> NetworkMagnitude:
    return NetworkMagnitude(np.nan, np.nan, 0, np.full(n, np.nan), np.zeros(n, bool))


def _prepare(values: ArrayLike, defining: ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(values, float).ravel()
    use = np.isfinite(m)
    if defining is not None:
        use &= np.asarray(defining, bool).ravel()
    return m, use


def network_mean(
    values: ArrayLike,
    defining: ArrayLike | None = None,
    *,
    trim: float = 0.0,
    single_sd: float = np.nan,
) -> NetworkMagnitude:
    """Mean (``trim=0``, the IDC's ``*_ave``) or trimmed mean of the defining station values.

    ``trim`` is the fraction cut from each end (e.g. 0.2). The uncertainty is the standard
    error: ``s / sqrt(n)`` for the mean, the Tukey–McLaughlin winsorised standard error
    ``s_w / ((1 - 2 trim) sqrt(n))`` for a trimmed mean; ``single_sd`` for one station.
    Stations cut by the trim keep their residual but are not marked ``used``.
    """
    if not 0.0 <= trim < 0.5:
        raise ValueError(f"trim must be in [0, 0.5), got {trim}")
    m, use = _prepare(values, defining)
    n = int(use.sum())
    if n == 0:
        return _empty(m.size)
    x = np.sort(m[use])
    g = int(np.floor(trim * n))
    if n - 2 * g < 1:
        g = (n - 1) // 2
    kept = x[g : n - g]
    mag = float(kept.mean())
    if n == 1:
        unc = float(single_sd)
    elif g == 0:
        unc = float(x.std(ddof=1) / np.sqrt(n))
    else:
        w = np.clip(x, kept[0], kept[-1])
        unc = float(w.std(ddof=1) / ((1.0 - 2.0 * g / n) * np.sqrt(n)))
    order = np.flatnonzero(use)[np.argsort(m[use], kind="stable")]
    used = np.zeros(m.size, bool)
    used[order[g : n - g]] = True
    return NetworkMagnitude(mag, unc, int(used.sum()), m - mag, used)


def network_weighted_mean(
    values: ArrayLike, sd: ArrayLike, defining: ArrayLike | None = None
) -> NetworkMagnitude:
    """Mean weighted by 1/σ² of each station (the IDC's ``mlppn``).

    Uncertainty ``sqrt(Σ w r² / ((n - 1) Σ w))``; for one station its own σ.
    """
    m, use = _prepare(values, defining)
    s = np.broadcast_to(np.asarray(sd, float), m.shape)
    use &= np.isfinite(s) & (s > 0)
    n = int(use.sum())
    if n == 0:
        return _empty(m.size)
    w = 1.0 / s[use] ** 2
    mag = float(np.sum(w * m[use]) / w.sum())
    r = m[use] - mag
    unc = float(s[use][0]) if n == 1 else float(np.sqrt(np.sum(w * r**2) / ((n - 1) * w.sum())))
    return NetworkMagnitude(mag, unc, n, m - mag, use)


def _censored_nll(mu: float, det: np.ndarray, upper: np.ndarray, sigma: float) -> float:
    """Negative log-likelihood of a normal magnitude with upper-censored stations."""
    z = (det - mu) / sigma
    return float(0.5 * np.sum(z * z) - np.sum(log_ndtr((upper - mu) / sigma)))


def network_mle(
    values: ArrayLike,
    detected: ArrayLike,
    defining: ArrayLike | None = None,
    *,
    sigma: float = MLE_SIGMA,
) -> NetworkMagnitude:
    """Maximum-likelihood magnitude with non-detecting stations as censored observations.

    ``values`` holds, per station, the station magnitude where ``detected`` is True and the
    noise (threshold) magnitude where it is False: an upper bound on what that station
    would have measured (Ringdal 1976). Station magnitudes are taken as normal around the
    event magnitude μ with standard deviation ``sigma``; the estimate maximises
    ``Σ_det log φ((m_i - μ)/σ) + Σ_nondet log Φ((u_j - μ)/σ)``. Non-detections pull μ down
    when their thresholds are near or below the detected values, which removes the upward
    bias of the plain mean for small events. Needs at least one detection. The uncertainty
    is 1/sqrt of the observed Fisher information at the optimum.
    """
    m, use = _prepare(values, defining)
    det_mask = np.broadcast_to(np.asarray(detected, bool).ravel(), m.shape)
    det = m[use & det_mask]
    upper = m[use & ~det_mask]
    if det.size == 0:
        return _empty(m.size)
    lo = min(det.min(), upper.min() if upper.size else det.min()) - 5.0 * sigma
    hi = det.max() + 5.0 * sigma
    best = minimize_scalar(
        _censored_nll,
        bounds=(lo, hi),
        args=(det, upper, sigma),
        method="bounded",
        options={"xatol": 1e-6},
    )
    mu = float(best.x)
    # Observed information: detections give 1/σ² each; a censored station gives
    # (λ(z)² + z λ(z)) / σ² with z = (u - μ)/σ and λ = φ/Φ (inverse Mills ratio).
    z = (upper - mu) / sigma
    lam = np.exp(-0.5 * z * z - 0.5 * np.log(2 * np.pi)) / np.maximum(ndtr(z), 1e-300)
    info = (det.size + np.sum(lam * lam + z * lam)) / sigma**2
    return NetworkMagnitude(mu, float(1.0 / np.sqrt(info)), int(use.sum()), m - mu, use)
