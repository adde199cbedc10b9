"""An affine-invariant ensemble MCMC sampler in vectorised NumPy.

The stretch move of Goodman & Weare (2010, Comm. App. Math. Comp. Sci. 5, 65): each
walker proposes a point on the line through itself and another walker of the other half
of the ensemble, so the proposal adapts to the scale and correlations of the posterior
without tuning. The log-posterior is called once per half-ensemble on an array of
shape (n_walkers/2, n_dim), which lets a source–receptor likelihood run as one matrix
product for all walkers. Used by :mod:`testban.radionuclide.inversion` for the
FREAR-kind Bayesian source term; ``emcee`` would do the same job but is not a
dependency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LogProb = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Chain:
    """Samples of an ensemble run after burn-in.

    ``samples`` has shape (n_steps, n_walkers, n_dim); ``log_prob`` (n_steps, n_walkers);
    ``tau`` the integrated autocorrelation time per parameter in steps; ``ess`` the
    effective sample size per parameter (n_steps × n_walkers / tau).
    """

    samples: np.ndarray
    log_prob: np.ndarray
    acceptance: float
    tau: np.ndarray
    ess: np.ndarray

    def flat(self) -> np.ndarray:
        """All samples as (n_steps × n_walkers, n_dim)."""
        return self.samples.reshape(-1, self.samples.shape[-1])


def stretch_sample(
    log_prob: LogProb,
    start: np.ndarray,
    n_steps: int,
    *,
    burn: int | None = None,
    a: float = 2.0,
    rng: np.random.Generator | None = None,
) -> Chain:
    """Run the stretch-move ensemble sampler from ``start`` (n_walkers, n_dim).

    ``log_prob`` maps (k, n_dim) → (k,) and returns -inf outside the support. ``burn``
    steps (default half of ``n_steps``) are dropped; ``a`` is the stretch scale (2 is
    the usual choice). n_walkers must be even and at least 2 × n_dim for good mixing.
    """
    rng = rng if rng is not None else np.random.default_rng()
    pos = np.array(start, dtype=float)
    n_walk, n_dim = pos.shape
    if n_walk % 2 or n_walk < 4:
        raise ValueError(f"need an even number of walkers ≥ 4, got {n_walk}")
    burn = n_steps // 2 if burn is None else burn
    lp = np.asarray(log_prob(pos), dtype=float)
    if not np.any(np.isfinite(lp)):
        raise ValueError("no walker starts inside the support of the posterior")
    half = n_walk // 2
    halves = (np.arange(half), np.arange(half, n_walk))
    keep = max(n_steps - burn, 1)
    out = np.empty((keep, n_walk, n_dim))
    out_lp = np.empty((keep, n_walk))
    accepted = 0
    for step in range(n_steps):
        for k in (0, 1):
            act, oth = halves[k], halves[1 - k]
            z = ((a - 1.0) * rng.random(half) + 1.0) ** 2 / a
            partner = pos[oth[rng.integers(0, half, half)]]
            prop = partner + z[:, None] * (pos[act] - partner)
            lp_new = np.asarray(log_prob(prop), dtype=float)
            with np.errstate(invalid="ignore"):
                log_r = (n_dim - 1) * np.log(z) + lp_new - lp[act]
            ok = np.log(rng.random(half)) < np.nan_to_num(log_r, nan=-np.inf)
            pos[act[ok]] = prop[ok]
            lp[act[ok]] = lp_new[ok]
            if step >= burn:
                accepted += int(ok.sum())
        if step >= n_steps - keep:
            out[step - (n_steps - keep)] = pos
            out_lp[step - (n_steps - keep)] = lp
    tau = autocorr_time(out)
    ess = keep * n_walk / np.maximum(tau, 1.0)
    return Chain(out, out_lp, accepted / max(keep * n_walk, 1), tau, ess)


def autocorr_time(samples: np.ndarray, c: float = 5.0) -> np.ndarray:
    """Integrated autocorrelation time (steps) per parameter of an ensemble chain.

    The autocorrelation of each walker's series is averaged over walkers and summed up
    to Sokal's automatic window (the smallest M with M ≥ c·τ(M)), as Goodman & Weare
    and emcee recommend. ``samples`` is (n_steps, n_walkers, n_dim).
    """
    n, _, n_dim = samples.shape
    tau = np.empty(n_dim)
    nfft = 1 << int(np.ceil(np.log2(2 * n)))
    for d in range(n_dim):
        x = samples[:, :, d] - samples[:, :, d].mean(axis=0)
        f = np.fft.rfft(x, n=nfft, axis=0)
        acf = np.fft.irfft(f * np.conj(f), n=nfft, axis=0)[:n].real
        acf = acf.mean(axis=1)
        if acf[0] <= 0:
            tau[d] = 1.0
            continue
        rho = acf / acf[0]
        taus = 2.0 * np.cumsum(rho) - 1.0
        window = np.arange(n) >= c * taus
        m = int(np.argmax(window)) if window.any() else n - 1
        tau[d] = max(taus[m], 1.0)
    return tau
