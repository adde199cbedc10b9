"""Source-term inversion: release amounts over time (and height, and place) from
radionuclide measurements and a source–receptor matrix.

The forward model is linear: ``c = M x`` where ``c`` (Bq/m³) are the sample
concentrations, ``x`` (Bq) the amount released in each cell (a release interval × a
height layer × a place) and ``M`` (m⁻³: Bq/m³ per Bq released in the cell) the
source–receptor sensitivities from a backward Lagrangian run (FLEXPART). A matrix in
s/m³ per Bq/s is the same thing multiplied by the interval length.

Three estimators, all with ``x ≥ 0``:

* :func:`invert_tikhonov` — least squares with a prior, the cost of Stohl et al. (2012,
  ACP 12, 2313) ``(y−Mx)ᵀR⁻¹(y−Mx) + (x−x_a)ᵀB⁻¹(x−x_a)`` solved as one NNLS problem;
* :func:`invert_sparse` — no prior: NNLS with an L1 penalty on the total release (a
  sparse solution, as in Martinez-Camara et al. 2013) or a Tikhonov time-smoothing
  penalty, the weight chosen at the corner of the L-curve;
* :func:`invert_bayes` / :func:`point_source_posterior` — Bayesian posteriors of the
  FREAR kind (De Meutter & Hoffman 2020): a log-normal (or log-Cauchy) likelihood for
  detections, a censored one for non-detections at their MDC, a sampled model error,
  an affine-invariant ensemble sampler; credible intervals on every release, and for a
  point source of unknown place the posterior over place and release time.

Observation errors of the least-squares methods (:func:`observation_sigma`) combine
the MDC with one transport-model error scale; the Bayesian likelihood works in log
concentration, where a relative model error is natural.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import minimize, nnls
from scipy.special import log_ndtr

from testban.radionuclide.sampler import Chain, stretch_sample

#: Transport-model error as a fraction of the concentration: Lagrangian runs match
#: remote noble-gas samples within about a factor 2 (log σ ≈ 1), so 100 %.
MODEL_ERROR_REL = 1.0
#: Xe-133 minimum detectable concentration required of IMS noble-gas systems (Bq/m³);
#: used as the measurement floor and as the MDC of non-detections without one.
DEFAULT_MDC_BQ_M3 = 1.0e-3
#: Typical Xe-133 background at IMS stations away from isotope producers (Bq/m³); the
#: Bayesian likelihood adds it to every modelled concentration so that cells with zero
#: sensitivity do not give log(0).
BACKGROUND_BQ_M3 = 1.0e-4
#: Bounds of the log-uniform prior on a release (log10 Bq): from a small underground
#: test's venting (1e8 Bq) to well above a reactor accident's Xe-133 (1e20 Bq).
LOG10_Q_BOUNDS = (8.0, 20.0)
#: Bounds of the log-uniform prior on the log-space model error (natural-log units).
SIGMA_MODEL_BOUNDS = (0.1, 3.0)
#: Credible level of the reported intervals.
CREDIBLE = 0.90


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class ReleaseCells:
    """What each column of a source–receptor matrix releases into.

    Per column: ``start``/``end`` of the release interval (epoch s, UTC),
    ``height_low_m``/``height_high_m`` of the layer above ground, ``place`` (index
    into ``place_lat``/``place_lon``; one place for a known site).
    """

    start: np.ndarray
    end: np.ndarray
    height_low_m: np.ndarray
    height_high_m: np.ndarray
    place: np.ndarray
    place_lat: np.ndarray = field(default_factory=lambda: np.array([np.nan]))
    place_lon: np.ndarray = field(default_factory=lambda: np.array([np.nan]))

    def __len__(self) -> int:
        return len(self.start)

    @property
    def height_m(self) -> np.ndarray:
        """Middle of each column's layer (m above ground)."""
        return 0.5 * (self.height_low_m + self.height_high_m)


def regular_cells(
    n_columns: int,
    start_s: float,
    step_s: float,
    heights_m: Sequence[float] = (0.0, 1000.0),
    n_places: int = 1,
) -> ReleaseCells:
    """Cells of a matrix whose columns run time-major: for each interval every place,
    for each place every height layer (``heights_m`` are the layer bounds).

    That is the layout of the Fukushima matrix of Stohl et al. (column = 3·interval +
    layer, layers 0–50, 50–300, 300–1000 m).
    """
    bounds = np.asarray(heights_m, dtype=float)
    n_h = len(bounds) - 1
    per_t = n_h * n_places
    if n_h < 1 or n_columns % per_t:
        raise ValueError(
            f"{n_columns} columns do not split into {n_places} place(s) × {n_h} layer(s)"
        )
    j = np.arange(n_columns)
    t = j // per_t
    layer = j % n_h
    return ReleaseCells(
        start=start_s + t * step_s,
        end=start_s + (t + 1) * step_s,
        height_low_m=bounds[layer],
        height_high_m=bounds[layer + 1],
        place=(j // n_h) % n_places,
        place_lat=np.full(n_places, np.nan),
        place_lon=np.full(n_places, np.nan),
    )


@dataclass(frozen=True)
class Measurements:
    """Sample concentrations (Bq/m³), one per matrix row.

    ``detected`` is False for non-detections, whose concentration is only known to be
    below ``mdc`` (Bq/m³). A concentration ≤ 0 is a non-detection.
    """

    concentration: np.ndarray
    mdc: np.ndarray
    detected: np.ndarray

    @classmethod
    def from_values(cls, values: np.ndarray, mdc: np.ndarray | float | None = None) -> Measurements:
        """Concentrations with an MDC (default :data:`DEFAULT_MDC_BQ_M3`); a value ≤ 0
        (or not a number) is a non-detection below that MDC."""
        y = np.asarray(values, dtype=float).ravel()
        m = np.broadcast_to(
            np.asarray(DEFAULT_MDC_BQ_M3 if mdc is None else mdc, dtype=float), y.shape
        ).copy()
        m[~np.isfinite(m) | (m <= 0)] = DEFAULT_MDC_BQ_M3
        return cls(y, m, np.isfinite(y) & (y > 0))

    def __len__(self) -> int:
        return len(self.concentration)

    def subset(self, rows: np.ndarray) -> Measurements:
        """The measurements of the given rows (index or mask)."""
        return Measurements(self.concentration[rows], self.mdc[rows], self.detected[rows])


@dataclass(frozen=True)
class SourceTerm:
    """A source term: per-cell releases (Bq) with uncertainty, their total, the fit.

    ``lo``/``hi`` bound the :data:`CREDIBLE` interval of each cell (Gaussian for the
    least-squares methods, posterior quantiles for the Bayesian one); ``total_lo``/
    ``total_hi`` those of the total. ``log_corr`` is the Pearson correlation of log
    predicted vs log observed over detections with a positive prediction.
    """

    method: str
    release: np.ndarray
    sd: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    total: float
    total_sd: float
    total_lo: float
    total_hi: float
    predicted: np.ndarray
    log_corr: float
    n_used: int
    regularisation: float = float("nan")
    ess: float = float("nan")
    notes: tuple[str, ...] = ()


# ------------------------------------------------------------------ error model, fit


def observation_sigma(meas: Measurements, rel_model: float = MODEL_ERROR_REL) -> np.ndarray:
    """One-σ error (Bq/m³) of each observation for the least-squares methods:
    sqrt(MDC² + (rel_model · ȳ)²) with ȳ the mean detected concentration.

    One model-error scale for all samples: errors relative to each observation (or to
    max(observed, predicted)) let a least-squares fit under-predict every sample at a
    cost of at most 1 σ each, and on the Fukushima data it does (the total drops).
    """
    y = np.where(meas.detected, meas.concentration, 0.0)
    ybar = float(y[meas.detected].mean()) if meas.detected.any() else float(meas.mdc.max())
    return np.sqrt(meas.mdc**2 + (rel_model * ybar) ** 2)


def log_correlation(observed: np.ndarray, predicted: np.ndarray) -> float:
    """Pearson correlation of log10 predicted vs log10 observed, over pairs where both
    are positive (nan with fewer than 3 pairs)."""
    o = np.asarray(observed, dtype=float)
    p = np.asarray(predicted, dtype=float)
    ok = (o > 0) & (p > 0) & np.isfinite(o) & np.isfinite(p)
    if ok.sum() < 3:
        return float("nan")
    return float(np.corrcoef(np.log10(o[ok]), np.log10(p[ok]))[0, 1])


def informative_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows with some positive sensitivity (the others carry no information on x)."""
    return np.asarray((np.asarray(matrix) > 0).any(axis=1))


def _clean(matrix: np.ndarray, meas: Measurements) -> tuple[np.ndarray, Measurements, list[str]]:
    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2 or m.shape[0] != len(meas):
        raise ValueError(f"matrix {m.shape} does not match {len(meas)} measurements")
    notes = []
    neg = int((m < 0).sum())
    if neg:
        notes.append(f"{neg} negative sensitivities (numerical noise) set to 0")
        m = np.clip(m, 0.0, None)
    rows = informative_rows(m) & np.isfinite(meas.concentration)
    if not rows.all():
        notes.append(f"{int((~rows).sum())} of {len(rows)} samples have no sensitivity: unused")
    return m[rows], meas.subset(rows), notes


def _gaussian_uncertainty(
    a: np.ndarray, z: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, float, np.ndarray]:
    """Per-cell sd and total sd from the Gauss–Newton Hessian AᵀA of the scaled system
    (free cells jointly; cells held at zero by positivity get a half-normal sd)."""
    h = a.T @ a
    n = len(z)
    sd = np.zeros(n)
    free = z > 0
    cov = np.zeros((0, 0))
    if free.any():
        cov = np.linalg.pinv(h[np.ix_(free, free)], rcond=1e-12, hermitian=True)
        sd[free] = np.sqrt(np.clip(np.diag(cov), 0, None)) * scale[free]
    diag = np.diag(h)
    bound = ~free & (diag > 0)
    sd[bound] = math.sqrt(1 - 2 / math.pi) / np.sqrt(diag[bound]) * scale[bound]
    var_tot = float((scale[free] @ cov @ scale[free]) if free.any() else 0.0)
    var_tot += float((sd[bound] ** 2).sum())
    return sd, math.sqrt(max(var_tot, 0.0)), free


def _finish(
    method: str,
    m_full: np.ndarray,
    meas_full: Measurements,
    x: np.ndarray,
    sd: np.ndarray,
    total_sd: float,
    n_used: int,
    notes: list[str],
    reg: float = float("nan"),
) -> SourceTerm:
    k = _z(CREDIBLE)
    pred = np.clip(np.asarray(m_full, dtype=float), 0, None) @ x
    y = np.where(meas_full.detected, meas_full.concentration, 0.0)
    tot = float(x.sum())
    return SourceTerm(
        method=method,
        release=x,
        sd=sd,
        lo=np.clip(x - k * sd, 0, None),
        hi=x + k * sd,
        total=tot,
        total_sd=total_sd,
        total_lo=max(tot - k * total_sd, 0.0),
        total_hi=tot + k * total_sd,
        predicted=pred,
        log_corr=log_correlation(y, pred),
        n_used=n_used,
        regularisation=reg,
        notes=tuple(notes),
    )


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


# ----------------------------------------------------------- (a) prior, Stohl-style


def invert_tikhonov(
    matrix: np.ndarray,
    meas: Measurements,
    prior: np.ndarray,
    prior_sd: np.ndarray | None = None,
    *,
    weight: float = 1.0,
    rel_model: float = MODEL_ERROR_REL,
) -> SourceTerm:
    """Least squares with a prior and x ≥ 0 (the cost of Stohl et al. 2012).

    Minimises ``|R^-½(y−Mx)|² + weight·|B^-½(x−x_a)|²`` with R diagonal from
    :func:`observation_sigma` and B = diag(prior_sd²). The default
    ``prior_sd`` is 100 % of the prior with a floor of 10 % of its mean cell, so that
    cells the prior leaves empty can still release. ``weight`` → ∞ returns the prior.
    """
    m, ms, notes = _clean(matrix, meas)
    xa = np.asarray(prior, dtype=float).ravel()
    if xa.shape != (m.shape[1],):
        raise ValueError(f"prior has {xa.size} cells, the matrix {m.shape[1]}")
    if np.any(xa < 0):
        raise ValueError("prior releases must be ≥ 0")
    if prior_sd is None:
        prior_sd = np.maximum(xa, 0.1 * max(float(xa.mean()), 1e-30))
    sa = np.asarray(prior_sd, dtype=float).ravel()
    if np.any(sa <= 0):
        raise ValueError("prior_sd must be > 0")
    y = np.where(ms.detected, ms.concentration, 0.0)
    sig = observation_sigma(ms, rel_model)
    a = m / sig[:, None]
    cn = np.linalg.norm(a, axis=0)
    scale = 1.0 / np.where(cn > 0, cn, 1.0 / sa)
    w = math.sqrt(weight)
    big_a = np.vstack([a * scale, np.diag(w * scale / sa)])
    big_b = np.concatenate([y / sig, w * xa / sa])
    z, _ = nnls(big_a, big_b, maxiter=50 * m.shape[1])
    x = z * scale
    sd, tsd, _ = _gaussian_uncertainty(big_a, z, scale)
    return _finish("tikhonov", matrix, meas, x, sd, tsd, len(ms), notes, weight)


# ------------------------------------------------------------- (b) no prior, sparse


def difference_operator(cells: ReleaseCells | None, n: int) -> np.ndarray:
    """First differences in time between consecutive intervals of the same layer and
    place (a (k, n) matrix); without cells, consecutive columns."""
    if cells is None:
        d = np.zeros((n - 1, n))
        i = np.arange(n - 1)
        d[i, i], d[i, i + 1] = -1.0, 1.0
        return d
    key = np.stack([cells.place, cells.height_low_m, cells.start])
    order = np.lexsort(key[::-1])
    same = (cells.place[order][1:] == cells.place[order][:-1]) & (
        cells.height_low_m[order][1:] == cells.height_low_m[order][:-1]
    )
    rows = np.flatnonzero(same)
    d = np.zeros((len(rows), n))
    d[np.arange(len(rows)), order[rows]] = -1.0
    d[np.arange(len(rows)), order[rows + 1]] = 1.0
    return d


def _solve_l1(a: np.ndarray, b: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """min ½|Az−b|² + penalty·z over z ≥ 0 (the L1 norm is linear there).

    This is the quadratic programme ½zᵀHz − (Aᵀb − penalty)ᵀz, H = AᵀA; with
    H + εI = LLᵀ (ε = 1e-9 of the mean diagonal, for cells no sample sees) it is the
    NNLS problem |Lᵀz − c|² with Lc = Aᵀb − penalty, which Lawson–Hanson solves exactly.
    """
    h = a.T @ a
    h[np.diag_indices_from(h)] += 1e-9 * max(float(np.mean(np.diag(h))), 1e-300)
    chol = np.linalg.cholesky(h)
    c = np.linalg.solve(chol, a.T @ b - penalty)
    z, _ = nnls(chol.T, c, maxiter=50 * len(c))
    return np.asarray(z)


def _lcurve_corner(rho: np.ndarray, eta: np.ndarray) -> int:
    """Index of maximum curvature of the log–log L-curve (residual ρ, penalty η)."""
    x, y = np.log(np.maximum(rho, 1e-300)), np.log(np.maximum(eta, 1e-300))
    dx, dy = np.gradient(x), np.gradient(y)
    ddx, ddy = np.gradient(dx), np.gradient(dy)
    kappa = (dx * ddy - dy * ddx) / np.maximum((dx**2 + dy**2) ** 1.5, 1e-300)
    kappa[[0, -1]] = -np.inf
    return int(np.argmax(kappa))


_LCURVE: dict = {}


def invert_sparse(
    matrix: np.ndarray,
    meas: Measurements,
    cells: ReleaseCells | None = None,
    *,
    penalty: str = "l1",
    lam: float | None = None,
    n_lambda: int = 25,
    rel_model: float = MODEL_ERROR_REL,
) -> SourceTerm:
    """Source term without a prior, x ≥ 0, regularised by ``penalty``:

    * ``"l1"`` — λ·Σx (the total release: releases are few and short);
    * ``"smooth"`` — λ²·(|x|² + |Dx|²) with D the first difference in time per layer.

    Releases are scaled by a common reference (the inverse median column norm of the
    weighted matrix), so λ is dimensionless. Without ``lam`` it is the corner of the
    L-curve over ``n_lambda`` log-spaced values (the L-curve of the first pass, with
    model errors relative to the observations); the chosen λ is then solved again
    with model errors relative to max(observed, predicted).
    """
    if penalty not in ("l1", "smooth"):
        raise ValueError(f"penalty must be 'l1' or 'smooth', not {penalty!r}")
    m, ms, notes = _clean(matrix, meas)
    n = m.shape[1]
    y = np.where(ms.detected, ms.concentration, 0.0)
    d = difference_operator(cells, n) if penalty == "smooth" else None

    def solve(sig: np.ndarray, lam_: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        a = m / sig[:, None]
        cn = np.linalg.norm(a, axis=0)
        ref = 1.0 / float(np.median(cn[cn > 0]))
        b = y / sig
        if penalty == "l1":
            z = _solve_l1(a * ref, b, np.full(n, lam_))
            return z * ref, a * ref, z, float(z.sum())
        assert d is not None
        big = np.vstack([a * ref, lam_ * np.eye(n), lam_ * d])
        z, _ = nnls(big, np.concatenate([b, np.zeros(n + d.shape[0])]), maxiter=50 * n)
        return z * ref, big, z, float(math.hypot(np.linalg.norm(z), np.linalg.norm(d @ z)))

    sig0 = observation_sigma(ms, rel_model)
    if lam is None:
        a0 = m / sig0[:, None]
        cn = np.linalg.norm(a0, axis=0)
        ref = 1.0 / float(np.median(cn[cn > 0]))
        top = float(np.max(np.abs((a0 * ref).T @ (y / sig0))))
        if penalty == "smooth":
            top = math.sqrt(top)
        grid = top * np.logspace(-7, 0, n_lambda)
        rho, eta = np.empty(n_lambda), np.empty(n_lambda)
        for i, lm in enumerate(grid):
            x, _, _, eta[i] = solve(sig0, lm)
            rho[i] = float(np.linalg.norm((y - m @ x) / sig0))
        lam = float(grid[_lcurve_corner(rho, eta)])
        _LCURVE.update(grid=grid, rho=rho, eta=eta)
        notes.append(f"λ = {lam:.3g} at the L-curve corner of {n_lambda} values")
    x, big, z, _ = solve(sig0, lam)
    scale = np.divide(x, z, out=np.full(n, 0.0), where=z > 0)
    scale[z <= 0] = float(np.median(scale[z > 0])) if (z > 0).any() else 1.0
    sd, tsd, _ = _gaussian_uncertainty(big[: len(ms)] if penalty == "l1" else big, z, scale)
    return _finish(f"sparse-{penalty}", matrix, meas, x, sd, tsd, len(ms), notes, lam)


# ------------------------------------------------------------------ (c) Bayesian


def log_likelihood(
    predicted: np.ndarray,
    meas: Measurements,
    sigma_model: np.ndarray | float,
    *,
    kind: str = "lognormal",
    background: float = BACKGROUND_BQ_M3,
) -> np.ndarray:
    """Log-likelihood of the measurements for modelled concentrations ``predicted``
    (n_obs,) or (n_obs, k): detections log-normal (or log-Cauchy) around predicted +
    background with σ² = σ_model² + (½·MDC/c)², non-detections censored at the MDC.
    Returns a scalar or (k,)."""
    c = np.asarray(predicted, dtype=float) + background
    two_d = c.ndim == 2
    if not two_d:
        c = c[:, None]
    s_mod = np.atleast_1d(np.asarray(sigma_model, dtype=float))[None, :]
    det = meas.detected
    y = meas.concentration
    out = np.zeros(c.shape[1])
    if det.any():
        ly = np.log(y[det])[:, None]
        s = np.sqrt(s_mod**2 + (0.5 * meas.mdc[det] / y[det])[:, None] ** 2)
        r = (ly - np.log(c[det])) / s
        if kind == "lognormal":
            ll = -0.5 * r**2 - np.log(s) - 0.5 * math.log(2 * math.pi) - ly
        elif kind == "logcauchy":
            ll = -np.log1p(r**2) - np.log(math.pi * s) - ly
        else:
            raise ValueError(f"kind must be 'lognormal' or 'logcauchy', not {kind!r}")
        out += ll.sum(axis=0)
    nd = ~det
    if nd.any():
        r = (np.log(meas.mdc[nd])[:, None] - np.log(c[nd])) / s_mod
        if kind == "lognormal":
            out += log_ndtr(r).sum(axis=0)
        else:
            out += np.log(0.5 + np.arctan(r) / math.pi).sum(axis=0)
    return out if two_d else out[:1].reshape(())


def block_basis(cells: ReleaseCells, block_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Group the cells into blocks of ``block_s`` seconds from the first start (all
    layers and places together): a (n_cells, n_blocks) basis whose column j spreads
    one Bq evenly over the cells of block j, and each block's start (epoch s)."""
    idx = np.floor((cells.start - cells.start.min()) / block_s + 1e-9).astype(int)
    n_b = int(idx.max()) + 1
    g = np.zeros((len(cells), n_b))
    g[np.arange(len(cells)), idx] = 1.0
    g /= np.maximum(g.sum(axis=0), 1.0)
    return g, cells.start.min() + block_s * np.arange(n_b)


def invert_bayes(
    matrix: np.ndarray,
    meas: Measurements,
    cells: ReleaseCells,
    *,
    block_s: float = 86400.0,
    kind: str = "lognormal",
    n_walkers: int | None = None,
    n_steps: int = 4000,
    seed: int = 0,
    start: np.ndarray | None = None,
) -> SourceTerm:
    """Bayesian source term (FREAR kind): the release of each block of ``block_s``
    seconds (spread evenly over its intervals and layers) with a log-uniform prior
    (:data:`LOG10_Q_BOUNDS`), the model error σ sampled with a log-uniform prior
    (:data:`SIGMA_MODEL_BOUNDS`), the likelihood of :func:`log_likelihood`.

    Blocks no sample is sensitive to are fixed at 0 and named in the notes. The chain
    starts around the posterior mode (found from ``start``, default the sparse
    solution's block totals). Per-cell releases are posterior means with sd and the
    :data:`CREDIBLE` quantiles; ``ess`` is the smallest effective sample size.
    """
    m, ms, notes = _clean(matrix, meas)
    g, _ = block_basis(cells, block_s)
    mg = m @ g
    active = (mg > 0).any(axis=0)
    if not active.all():
        notes.append(f"{int((~active).sum())} of {len(active)} blocks unconstrained: set to 0")
    mga = mg[:, active]
    k = int(active.sum())
    lo, hi = LOG10_Q_BOUNDS
    slo, shi = math.log(SIGMA_MODEL_BOUNDS[0]), math.log(SIGMA_MODEL_BOUNDS[1])

    def log_post(theta: np.ndarray) -> np.ndarray:
        th = np.atleast_2d(theta)
        q = th[:, :k]
        ls = th[:, k]
        ok = np.all((q >= lo) & (q <= hi), axis=1) & (ls >= slo) & (ls <= shi)
        out = np.full(len(th), -np.inf)
        if ok.any():
            pred = mga @ (10.0 ** q[ok]).T
            out[ok] = log_likelihood(pred, ms, np.exp(ls[ok]), kind=kind)
        return out

    if start is None:
        sp = invert_sparse(matrix, meas, cells, penalty="l1")
        start = sp.release @ (g > 0)
    q0 = np.clip(np.log10(np.maximum(np.asarray(start, dtype=float)[active], 1.0)), lo + 1, hi - 1)
    th0 = np.concatenate([q0, [math.log(1.0)]])

    def neg(t: np.ndarray) -> float:
        return -float(log_post(t)[0])

    bounds = [(lo, hi)] * k + [(slo, shi)]
    res = minimize(neg, th0, method="Powell", bounds=bounds, options={"maxiter": 20000})
    mode = np.asarray(res.x)
    n_dim = k + 1
    n_w = n_walkers or max(2 * (2 * n_dim + 2) // 2, 32)
    n_w += n_w % 2
    rng = np.random.default_rng(seed)
    init = mode + 0.05 * rng.standard_normal((n_w, n_dim))
    init[:, :k] = np.clip(init[:, :k], lo, hi)
    init[:, k] = np.clip(init[:, k], slo, shi)
    chain = stretch_sample(log_post, init, n_steps, rng=rng)
    flat = chain.flat()
    qs = 10.0 ** flat[:, :k]
    blocks = np.zeros((len(flat), g.shape[1]))
    blocks[:, active] = qs
    per_cell = blocks @ g.T
    x = per_cell.mean(axis=0)
    sd = per_cell.std(axis=0)
    tail = (1 - CREDIBLE) / 2
    lo_c, hi_c = np.quantile(per_cell, [tail, 1 - tail], axis=0)
    tot = per_cell.sum(axis=1)
    pred = np.clip(np.asarray(matrix, dtype=float), 0, None) @ x
    y = np.where(meas.detected, meas.concentration, 0.0)
    sig_med = float(np.exp(np.median(flat[:, k])))
    notes.append(
        f"{n_w} walkers × {n_steps} steps (half burn-in), acceptance {chain.acceptance:.2f}, "
        f"min ESS {chain.ess.min():.0f}, model error σ_ln = {sig_med:.2f}"
    )
    return SourceTerm(
        method=f"bayes-{kind}",
        release=x,
        sd=sd,
        lo=lo_c,
        hi=hi_c,
        total=float(np.median(tot)),
        total_sd=float(tot.std()),
        total_lo=float(np.quantile(tot, tail)),
        total_hi=float(np.quantile(tot, 1 - tail)),
        predicted=pred,
        log_corr=log_correlation(y, pred),
        n_used=len(ms),
        regularisation=block_s,
        ess=float(chain.ess.min()),
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class PointSourcePosterior:
    """Posterior of a point release of unknown place, start, duration and amount.

    ``samples`` columns: place index, start and end (in intervals from the first),
    log10 Q (Bq), ln σ_model. ``place_prob`` is the posterior probability of each
    place, ``start_prob`` that of the release starting in each interval.
    """

    samples: np.ndarray
    place_prob: np.ndarray
    start_prob: np.ndarray
    q_median: float
    q_lo: float
    q_hi: float
    chain: Chain


def point_source_posterior(
    sensitivity: np.ndarray,
    meas: Measurements,
    *,
    max_duration: float = 8.0,
    kind: str = "lognormal",
    n_walkers: int = 32,
    n_steps: int = 3000,
    seed: int = 0,
) -> PointSourcePosterior:
    """FREAR-kind posterior of one release at one of ``n_places`` cells.

    ``sensitivity`` is (n_obs, n_places, n_times) in m⁻³ per Bq released in that
    interval. Parameters: place (uniform), start (uniform over the intervals, continuous),
    duration (log-uniform from 0.25 to ``max_duration`` intervals; the release is even
    in time, fractional intervals weighted by overlap), log10 Q (uniform in
    :data:`LOG10_Q_BOUNDS`), ln σ_model (uniform in :data:`SIGMA_MODEL_BOUNDS`).
    """
    s = np.clip(np.asarray(sensitivity, dtype=float), 0, None)
    if s.ndim != 3 or s.shape[0] != len(meas):
        raise ValueError(f"sensitivity {s.shape} must be (n_obs={len(meas)}, places, times)")
    n_obs, n_pl, n_t = s.shape
    cum = np.concatenate([np.zeros((n_obs, n_pl, 1)), np.cumsum(s, axis=2)], axis=2)
    lo, hi = LOG10_Q_BOUNDS
    slo, shi = math.log(SIGMA_MODEL_BOUNDS[0]), math.log(SIGMA_MODEL_BOUNDS[1])
    dlo, dhi = math.log(0.25), math.log(max_duration)

    def integral(pl: np.ndarray, t: np.ndarray) -> np.ndarray:
        k = np.clip(np.floor(t).astype(int), 0, n_t - 1)
        frac = np.clip(t - k, 0.0, 1.0)
        return cum[:, pl, k] + frac[None, :] * s[:, pl, k]

    def log_post(theta: np.ndarray) -> np.ndarray:
        u, t0, ldur, lq, ls = theta.T
        ok = (
            (u >= 0) & (u < n_pl) & (t0 >= 0) & (t0 < n_t) & (ldur >= dlo) & (ldur <= dhi)
            & (lq >= lo) & (lq <= hi) & (ls >= slo) & (ls <= shi)
        )  # fmt: skip
        out = np.full(len(theta), -np.inf)
        if ok.any():
            pl = np.floor(u[ok]).astype(int)
            dur = np.exp(ldur[ok])
            t1 = np.minimum(t0[ok] + dur, n_t)
            mean_s = (integral(pl, t1) - integral(pl, t0[ok])) / dur[None, :]
            pred = mean_s * 10.0 ** lq[ok][None, :]
            out[ok] = log_likelihood(pred, meas, np.exp(ls[ok]), kind=kind)
        return out

    rng = np.random.default_rng(seed)
    # Start from the best of a coarse scan (place × start, 1-interval releases, Q from
    # the log-mean ratio), then spread the walkers around it.
    n_scan = 6 * n_walkers
    scan = np.column_stack([
        rng.uniform(0, n_pl, n_scan), rng.uniform(0, n_t, n_scan),
        rng.uniform(dlo, dhi, n_scan), rng.uniform(lo, hi, n_scan),
        np.full(n_scan, 0.0),
    ])  # fmt: skip
    for _ in range(3):
        lp = log_post(scan)
        best = scan[np.argsort(lp)[::-1][: n_walkers // 2]]
        jitter = best + rng.standard_normal(best.shape) * [0.3, 2.0, 0.3, 0.5, 0.2]
        scan = np.vstack([best, jitter, scan[: n_scan - 2 * len(best)]])
        scan[:, 3] = np.clip(scan[:, 3], lo, hi)
    init = scan[np.argsort(log_post(scan))[::-1][:n_walkers]]
    chain = stretch_sample(log_post, init, n_steps, rng=rng)
    flat = chain.flat()
    pl = np.floor(flat[:, 0]).astype(int)
    place_prob = np.bincount(pl, minlength=n_pl) / len(pl)
    st = np.clip(np.floor(flat[:, 1]).astype(int), 0, n_t - 1)
    start_prob = np.bincount(st, minlength=n_t) / len(st)
    tail = (1 - CREDIBLE) / 2
    q = flat[:, 3]
    samples = np.column_stack([pl, flat[:, 1], flat[:, 1] + np.exp(flat[:, 2]), q, flat[:, 4]])
    return PointSourcePosterior(
        samples=samples,
        place_prob=place_prob,
        start_prob=start_prob,
        q_median=float(10 ** np.median(q)),
        q_lo=float(10 ** np.quantile(q, tail)),
        q_hi=float(10 ** np.quantile(q, 1 - tail)),
        chain=chain,
    )


# ------------------------------------------------------------------ library call


def source_term(
    matrix: np.ndarray,
    meas: Measurements,
    cells: ReleaseCells,
    *,
    method: str = "tikhonov",
    prior: np.ndarray | None = None,
    seed: int = 0,
    n_steps: int = 4000,
) -> SourceTerm:
    """The source term by ``method``: ``tikhonov`` (needs ``prior``), ``sparse`` (L1,
    no prior), ``smooth`` (time-smoothing, no prior) or ``bayes``."""
    if matrix.shape[1] != len(cells):
        raise ValueError(f"matrix has {matrix.shape[1]} columns, cells {len(cells)}")
    if method == "tikhonov":
        if prior is None:
            raise ValueError("method 'tikhonov' needs a prior (--prior)")
        return invert_tikhonov(matrix, meas, prior)
    if method == "sparse":
        return invert_sparse(matrix, meas, cells, penalty="l1")
    if method == "smooth":
        return invert_sparse(matrix, meas, cells, penalty="smooth")
    if method == "bayes":
        return invert_bayes(matrix, meas, cells, seed=seed, n_steps=n_steps)
    raise ValueError(f"unknown method {method!r}: tikhonov, sparse, smooth or bayes")


# ------------------------------------------------------------------ edges: I/O


def _mat_array(path: Path, prefer: Sequence[str]) -> np.ndarray:
    from scipy.io import loadmat

    try:
        data = loadmat(str(path))
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
        raise ValueError(f"{path}: not a readable MATLAB file ({exc})") from exc
    arrays = {k: v for k, v in data.items() if not k.startswith("__") and hasattr(v, "shape")}
    for name in prefer:
        if name in arrays:
            return np.asarray(arrays[name], dtype=float)
    numeric = [v for v in arrays.values() if np.issubdtype(v.dtype, np.number)]
    if len(numeric) != 1:
        raise ValueError(f"{path}: expected one numeric array, found {sorted(arrays)}")
    return np.asarray(numeric[0], dtype=float)


def read_matrix(path: Path, *, unit: str = "per_bq", interval_s: float | None = None) -> np.ndarray:
    """A source–receptor matrix (n_obs, n_cells) from ``.mat`` (variable ``matrix`` or
    the only array) or ``.npy``; ``unit`` ``per_bq`` (m⁻³, as the Fukushima file) or
    ``s_m3`` (s/m³ per Bq/s, divided by ``interval_s`` to per Bq)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        m = np.load(path).astype(float)
    elif suffix not in (".mat", ""):
        # SRS text files plug in here once testban.io.srs lands: read each sample's
        # sensitivities, then stack them into (samples, cells) with their ReleaseCells.
        raise ValueError(f"{path}: only .mat and .npy matrices are read so far")
    else:
        m = _mat_array(path, ("matrix", "M", "srs"))
    if m.ndim != 2:
        raise ValueError(f"{path}: matrix must be 2-D, got shape {m.shape}")
    if unit == "s_m3":
        if not interval_s:
            raise ValueError("unit s_m3 needs the release interval length")
        m = m / interval_s
    elif unit != "per_bq":
        raise ValueError(f"matrix unit must be 'per_bq' or 's_m3', not {unit!r}")
    return m


def read_measurements(path: Path) -> Measurements:
    """Concentrations (Bq/m³) from ``.mat`` (``measurements`` or the only array) or a
    CSV with a ``concentration_bq_m3`` column and optional ``mdc_bq_m3``; a
    concentration that is not a number is reported with its row."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        return Measurements.from_values(_mat_array(path, ("measurements", "y")).ravel())
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "concentration_bq_m3" not in rows[0]:
        raise ValueError(f"{path}: needs a concentration_bq_m3 column")
    y, mdc = [], []
    for i, r in enumerate(rows, start=2):
        try:
            y.append(float(r["concentration_bq_m3"]))
            mdc.append(float(r.get("mdc_bq_m3") or "nan"))
        except ValueError as exc:
            raise ValueError(f"{path}: line {i}: {exc}") from exc
    return Measurements.from_values(np.array(y), np.array(mdc))


def read_prior(path: Path, *, unit: str = "bq", interval_s: float | None = None) -> np.ndarray:
    """A prior source term per cell from ``.mat``/``.npy`` or a CSV with
    ``release_bq``; ``unit`` ``bq`` or ``gbq_s`` (mean rate in GBq/s over the interval,
    the unit of the Stohl et al. a priori in the Fukushima data)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            x = np.array([float(r["release_bq"]) for r in csv.DictReader(fh)])
    elif path.suffix.lower() == ".npy":
        x = np.load(path).astype(float).ravel()
    else:
        x = _mat_array(path, ("XaTotalInt", "prior", "xa")).ravel()
    if unit == "gbq_s":
        if not interval_s:
            raise ValueError("unit gbq_s needs the release interval length")
        x = x * 1e9 * interval_s
    elif unit != "bq":
        raise ValueError(f"prior unit must be 'bq' or 'gbq_s', not {unit!r}")
    return x


def write_source_term(st: SourceTerm, cells: ReleaseCells, out_dir: Path) -> list[Path]:
    """Write ``source_term.csv`` (start, end, height_m, release_bq, release_sd_bq, then
    the credible bounds and layer) and ``summary.txt``; returns the paths."""
    from datetime import UTC, datetime

    def iso(t: float) -> str:
        return datetime.fromtimestamp(float(t), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "source_term.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["start", "end", "height_m", "release_bq", "release_sd_bq",
                    "release_lo_bq", "release_hi_bq", "height_low_m", "height_high_m",
                    "place"])  # fmt: skip
        for j in range(len(cells)):
            w.writerow([iso(cells.start[j]), iso(cells.end[j]), f"{cells.height_m[j]:g}",
                        f"{st.release[j]:.6g}", f"{st.sd[j]:.4g}", f"{st.lo[j]:.4g}",
                        f"{st.hi[j]:.4g}", f"{cells.height_low_m[j]:g}",
                        f"{cells.height_high_m[j]:g}", int(cells.place[j])])  # fmt: skip
    summ = out_dir / "summary.txt"
    summ.write_text(summary_text(st, cells), encoding="utf-8")
    return [csv_path, summ]


def summary_text(st: SourceTerm, cells: ReleaseCells) -> str:
    """A few lines: total with its credible interval, the largest releases, the fit."""
    from datetime import UTC, datetime

    per_t: dict[float, float] = {}
    for s, x in zip(cells.start, st.release, strict=True):
        per_t[float(s)] = per_t.get(float(s), 0.0) + float(x)
    top = sorted(per_t.items(), key=lambda kv: -kv[1])[:5]
    lines = [
        f"method: {st.method}",
        f"total release: {st.total:.4g} Bq ({CREDIBLE:.0%} interval {st.total_lo:.4g} – "
        f"{st.total_hi:.4g} Bq; sd {st.total_sd:.3g})",
        f"fit: correlation of log predicted vs observed {st.log_corr:.3f} "
        f"over {st.n_used} informative samples",
        "largest releases (interval start, Bq, share of total):",
    ]
    for t, x in top:
        when = datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d %H:%M")
        lines.append(f"  {when}  {x:.3g}  {x / max(st.total, 1e-300):.1%}")
    lines += [f"note: {n}" for n in st.notes]
    return "\n".join(lines) + "\n"
