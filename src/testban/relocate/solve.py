"""Robust weighted least squares with equality constraints, and confidence ellipses.

Both relative locators reduce to a linear system ``d = A m`` (differential times against
offsets and origin-time shifts), solved here by iteratively reweighted least squares:

1. weights are ``w0 / σ_g²`` with ``σ_g`` the noise level of the observation's group
   (a phase, or a station-phase), estimated robustly as 1.4826 × the median absolute
   deviation (MAD) of the studentised residuals of the group, floored at ``sigma_floor``;
2. an observation is **rejected** when its studentised residual ``r / √(1 − h)`` (h the
   leverage, so that a single bad pick cannot hide by pulling the solution toward itself)
   exceeds ``k_reject · σ_g`` (k = 3 by default); rejected observations are re-tested each
   iteration and come back if the solution moves toward them;
3. repeat until the rejected set stops changing.

Constraints ``C m = 0`` (e.g. a zero centroid for double differences) are enforced exactly
with Lagrange multipliers; the covariance of m is then the upper-left block of the inverse
of the bordered normal matrix, scaled by the a-posteriori variance of unit weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import stats

#: MAD → standard deviation for Gaussian noise.
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class RobustFit:
    """Solution ``m``, its covariance, residuals, the observations kept, group noise levels."""

    m: np.ndarray
    cov: np.ndarray
    residual: np.ndarray
    used: np.ndarray
    sigma: np.ndarray  # per observation: the noise level of its group (s)
    variance_factor: float  # a-posteriori variance of unit weight
    dof: int
    iterations: int


def _mad_sigma(x: np.ndarray) -> float:
    """Robust standard deviation of ``x`` about zero-median (1.4826 × MAD)."""
    return float(MAD_TO_SIGMA * np.median(np.abs(x - np.median(x)))) if x.size else np.nan


def _group_sigma(
    rs: np.ndarray, used: np.ndarray, groups: np.ndarray, floor: float, min_count: int
) -> np.ndarray:
    """Robust noise level per observation: of its group, or pooled where the group is small."""
    pooled = _mad_sigma(rs[used])
    pooled = floor if not np.isfinite(pooled) else max(pooled, floor)
    sigma = np.full(rs.size, pooled)
    for g in np.unique(groups):
        rows = groups == g
        sel = rows & used
        if sel.sum() >= min_count:
            sigma[rows] = max(_mad_sigma(rs[sel]), floor)
    return sigma


def _one_per_block(
    new_used: np.ndarray, used: np.ndarray, score: np.ndarray, blocks: np.ndarray, min_keep: int
) -> np.ndarray:
    """Keep earlier rejections that still fail; newly reject only the worst per block."""
    out = new_used | used  # re-admit what passes; hold back new rejections for now
    out &= ~(~used & ~new_used)  # earlier rejections that still fail stay rejected
    fresh = used & ~new_used
    if not fresh.any():
        return out
    order = np.lexsort((-score, blocks))  # by block, worst first
    fb = fresh[order]
    first = np.ones(order.size, bool)
    blk = blocks[order]
    # The first fresh candidate of each block, in the worst-first order.
    cand = order[fb]
    _, pos = np.unique(blk[fb], return_index=True)
    worst = cand[pos]
    kept = np.bincount(blocks, out.astype(float), blocks.max() + 1)
    allow = kept[blocks[worst]] - 1 >= min_keep
    out[worst[allow]] = False
    del first
    return out


def _solve(
    A: sp.csr_matrix, d: np.ndarray, w: np.ndarray, C: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares with exact constraints: returns m and (AᵀWA)⁻¹ (bordered)."""
    Aw = (sp.diags(w) @ A).tocsr()
    N = (A.T @ Aw).toarray()
    b = Aw.T @ d
    n = N.shape[0]
    if C is not None and C.size:
        K = np.block([[N, C.T], [C, np.zeros((C.shape[0], C.shape[0]))]])
        Kinv = np.linalg.pinv(K, hermitian=True)
        Q = Kinv[:n, :n]
    else:
        Q = np.linalg.pinv(N, hermitian=True)
    return Q @ b, Q


def robust_lsq(
    A: sp.csr_matrix | np.ndarray,
    d: np.ndarray,
    groups: np.ndarray,
    *,
    weight: np.ndarray | None = None,
    constraints: np.ndarray | None = None,
    k_reject: float = 3.0,
    sigma_floor: float = 1e-3,
    min_group: int = 8,
    max_iter: int = 30,
    blocks: np.ndarray | None = None,
    min_keep: int = 0,
) -> RobustFit:
    """Solve ``d ≈ A m`` by IRLS with automatic rejection (see the module docstring).

    With ``blocks`` (e.g. the event of each observation when events are solved
    independently), at most one new observation per block is rejected per iteration, the
    worst, and never below ``min_keep`` kept per block: a small system cannot lose all its
    good picks in one step to a single outlier that spoiled the first fit.
    """
    A = sp.csr_matrix(A)
    dense = A.toarray()
    d = np.asarray(d, float)
    w0 = np.ones(d.size) if weight is None else np.asarray(weight, float)
    used = np.ones(d.size, bool)
    sigma = np.ones(d.size)  # first pass: prior weights only
    m, Q = np.zeros(A.shape[1]), np.zeros((A.shape[1], A.shape[1]))
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is reported)
        w = np.where(used, w0 / sigma**2, 0.0)
        m, Q = _solve(A, d, w, constraints)
        r = d - A @ m
        h = w * np.einsum("ij,ij->i", A @ Q, dense)  # leverage of each observation
        rs = r / np.sqrt(np.clip(1.0 - h, 0.05, 1.0))
        sigma = _group_sigma(rs * np.sqrt(w0), used, groups, sigma_floor, min_group)
        sigma = sigma / np.sqrt(w0)
        new_used = np.abs(rs) <= k_reject * sigma
        if blocks is not None:
            new_used = _one_per_block(new_used, used, np.abs(rs) / sigma, blocks, min_keep)
        if it > 1 and np.array_equal(new_used, used):
            break
        used = new_used
    w = np.where(used, w0 / sigma**2, 0.0)
    m, Q = _solve(A, d, w, constraints)
    r = d - A @ m
    n_con = 0 if constraints is None else int(np.linalg.matrix_rank(constraints))
    dof = max(int(used.sum()) - (A.shape[1] - n_con), 1)
    vf = float(np.sum(w * r**2) / dof)
    return RobustFit(m, Q * vf, r, used, sigma, vf, dof, it)


# ------------------------------------------------------------------------------ ellipses


@dataclass(frozen=True)
class Ellipse:
    """A confidence ellipse: semi-axes (km), strike of the major axis (° from north)."""

    smajax: np.ndarray
    sminax: np.ndarray
    strike: np.ndarray
    conf: float


def confidence_scale(ndim: int, dof: float | None, conf: float = 0.9) -> float:
    """Multiplier k of the standard errors for a ``conf`` region in ``ndim`` dimensions.

    k² = ndim · F(ndim, dof) when the variance is estimated from ``dof`` residuals
    (Jordan & Sverdrup 1981 with no a-priori weight), χ²(ndim) when ``dof`` is None.
    """
    if dof is None or not np.isfinite(dof):
        return float(np.sqrt(stats.chi2.ppf(conf, ndim)))
    return float(np.sqrt(ndim * stats.f.ppf(conf, ndim, dof)))


def ellipse(cov_en: np.ndarray, k: float, conf: float = 0.9) -> Ellipse:
    """Ellipses of (…, 2, 2) east/north covariances (km²) scaled by ``k``."""
    cov_en = np.asarray(cov_en, float).reshape(-1, 2, 2)
    vals, vecs = np.linalg.eigh(cov_en)
    vals = np.clip(vals, 0.0, None)
    major = vecs[:, :, 1]  # (east, north) of the larger eigenvalue
    strike = np.degrees(np.arctan2(major[:, 0], major[:, 1])) % 180.0
    return Ellipse(k * np.sqrt(vals[:, 1]), k * np.sqrt(vals[:, 0]), strike, conf)
