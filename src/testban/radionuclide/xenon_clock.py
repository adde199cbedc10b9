"""The ratio clock: time since fission from xenon isotopic ratios, under the explosion
hypothesis.

Model (stated, as in Kalinowski et al. 2010 and the release-time studies that followed,
e.g. Kalinowski & Liao 2014; Yamba et al. 2016): an instantaneous U-235 fission at t = 0
puts its yields into the iodine precursors (cumulative yields) and the xenon isotopes
(independent yields); radioactivedecay's branching fractions and half-lives carry the
Bateman in-growth I-131 → Xe-131m, I-133 → Xe-133m → Xe-133, I-135 → Xe-135m → Xe-135.
At the *release* time the xenon is separated from its precursors (the iodine stays in
the rock) and decays on its own; a release time of ∞ (default) means no separation:
full in-growth. A simpler analytic model, ``kind="cumulative"``, starts every xenon
isotope with its cumulative yield at t = 0, so that a ratio evolves as
R(t) = R0·exp(−(λa − λb)t) with R0 = λa·Ya/(λb·Yb).

The clock solves R_model(t) = R_obs for t. Its 1σ combines the ratio's σ (log) with a
model σ (:data:`MODEL_REL_SIGMA`, yields and neutron spectrum) through the slope
|d log R/dt|. A ratio that is only a bound gives an age bound. Several crossings are all
reported (``ages``). Fission yields: ``data/xenon_fission_yields.csv`` (cited there).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np

from testban.radionuclide.xenon import Ratio, decay_constant

DAY = 86400.0
#: The chain members the model follows, parents before daughters.
NUCLIDES: tuple[str, ...] = (
    "I-131", "Xe-131m", "I-133", "Xe-133m", "Xe-133", "I-135", "Xe-135m", "Xe-135",
)  # fmt: skip
#: Relative 1σ of model ratios (fission yields of U-235 vs Pu-239 / spectra differ by a
#: few per cent for these chains; the I-131/I-133 ratio by up to ~25 % for Pu-239).
MODEL_REL_SIGMA = 0.05
#: Ages the clock searches (s): 1 minute to 400 days.
T_MIN, T_MAX = 60.0, 400.0 * DAY


@cache
def fission_yields() -> dict[str, float]:
    """Yields (fraction per fission) of ``data/xenon_fission_yields.csv``."""
    text = resources.files("testban.radionuclide").joinpath("data/xenon_fission_yields.csv")
    rows = [ln for ln in text.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return {r["nuclide"]: float(r["yield_percent"]) / 100.0 for r in csv.DictReader(rows)}


@dataclass(frozen=True)
class DecayChain:
    """Linear decay system dN/dt = Λ N over :data:`NUCLIDES` (branchings from
    radioactivedecay), diagonalised once so that N(t) is a vectorised exponential."""

    names: tuple[str, ...]
    lam: np.ndarray
    branch: np.ndarray  # branch[j, i]: fraction of i's decays that make j
    vec: np.ndarray
    vec_inv: np.ndarray
    rates: np.ndarray = field(repr=False)

    def evolve(self, n0: np.ndarray, t: np.ndarray | float) -> np.ndarray:
        """Atoms at times ``t`` (s) from ``n0`` at 0: shape (len(t), len(names))."""
        tt = np.atleast_1d(np.asarray(t, float))
        c = self.vec_inv @ n0
        return (np.exp(np.outer(tt, self.rates)) * c) @ self.vec.T

    def cumulative(self, n0: np.ndarray) -> np.ndarray:
        """Atoms that ever pass through each member: (I − B)⁻¹ n0."""
        return np.linalg.solve(np.eye(len(self.names)) - self.branch, n0)


@cache
def decay_chain() -> DecayChain:
    """The A = 131, 133, 135 chains of :data:`NUCLIDES`."""
    import radioactivedecay as rd  # type: ignore[import-untyped]

    names = NUCLIDES
    lam = np.array([decay_constant(n) for n in names])
    branch = np.zeros((len(names), len(names)))
    for i, n in enumerate(names):
        nuc = rd.Nuclide(n.replace("-", ""))
        for prog, bf in zip(nuc.progeny(), nuc.branching_fractions(), strict=True):
            if prog in names:
                branch[names.index(prog), i] += bf
    a = branch * lam[None, :] - np.diag(lam)
    rates, vec = np.linalg.eig(a)
    rates, vec = rates.real, vec.real
    return DecayChain(names, lam, branch, vec, np.linalg.inv(vec), rates)


def initial_atoms(yields: dict[str, float] | None = None) -> np.ndarray:
    """Atoms per fission at t = 0 in :data:`NUCLIDES` order."""
    y = fission_yields() if yields is None else yields
    return np.array([y.get(n, 0.0) for n in NUCLIDES])


def _after(n_start: np.ndarray, t: np.ndarray | float, release: float) -> np.ndarray:
    """Atoms at ``t`` s after a state ``n_start``, xenon separated from the iodine at
    ``release`` s (∞: never): shape (len(t), len(NUCLIDES))."""
    chain = decay_chain()
    tt = np.atleast_1d(np.asarray(t, float))
    atoms = chain.evolve(n_start, np.minimum(tt, release))
    late = tt > release
    if np.any(late):
        at_release = chain.evolve(n_start, release)[0]
        xe_only = np.where([n.startswith("Xe") for n in NUCLIDES], at_release, 0.0)
        atoms[late] = chain.evolve(xe_only, tt[late] - release)
    return np.clip(atoms, 0.0, None)


def activities(
    t: np.ndarray | float, release: float = math.inf, yields: dict[str, float] | None = None
) -> dict[str, np.ndarray]:
    """Activities (Bq per fission) of the chain members at ``t`` s after fission, the
    xenon separated from its precursors at ``release`` s (∞: never)."""
    act = _after(initial_atoms(yields), t, release) * decay_chain().lam
    return {n: act[:, k] for k, n in enumerate(NUCLIDES)}


def irradiation_activities(
    t_irr: float, t_after: np.ndarray | float, release: float = math.inf, burnup: float = 0.0
) -> dict[str, np.ndarray]:
    """Activities (Bq per fission/s) ``t_after`` s after a constant-rate irradiation of
    ``t_irr`` s — the civil-source model (a power reactor: long irradiation; isotope
    production: days) — with Xe-135 also removed by neutron capture at ``burnup`` = σφ
    (1/s) during irradiation, and the xenon separated at ``release`` s after the end.

    N(T) = V·diag((e^{rT} − 1)/r)·V⁻¹·p for dN/dt = A N + p, p the yields per second.
    """
    chain = decay_chain()
    extra = np.array([burnup if n == "Xe-135" else 0.0 for n in NUCLIDES])
    a = chain.branch * chain.lam[None, :] - np.diag(chain.lam + extra)
    rates, vec = np.linalg.eig(a)
    rates, vec = rates.real, vec.real
    grow = np.expm1(rates * t_irr) / rates
    n_end = vec @ (grow * (np.linalg.inv(vec) @ initial_atoms()))
    act = _after(n_end, t_after, release) * chain.lam
    return {n: act[:, k] for k, n in enumerate(NUCLIDES)}


def model_ratio(
    num: str, den: str, t: np.ndarray | float, release: float = math.inf, kind: str = "ingrowth"
) -> np.ndarray:
    """num/den activity ratio of the explosion model at ``t`` s after fission."""
    if kind == "cumulative":
        chain = decay_chain()
        cum = chain.cumulative(initial_atoms())
        ia, ib = NUCLIDES.index(num), NUCLIDES.index(den)
        r0 = chain.lam[ia] * cum[ia] / (chain.lam[ib] * cum[ib])
        return r0 * np.exp(-(chain.lam[ia] - chain.lam[ib]) * np.atleast_1d(np.asarray(t, float)))
    if kind != "ingrowth":
        raise ValueError(f"unknown model kind {kind!r}")
    a = activities(t, release)
    with np.errstate(divide="ignore", invalid="ignore"):
        return a[num] / a[den]


@dataclass(frozen=True)
class Clock:
    """Time since fission (s) from one ratio: ``kind`` ``"value"`` (age ± sigma),
    ``"at least"`` / ``"at most"`` (a bound from a bound), or ``"none"`` (``reason``)."""

    ratio: str
    model: str
    age: float
    sigma: float
    kind: str
    ages: tuple[float, ...] = ()
    reason: str = ""

    @property
    def age_days(self) -> float:
        return self.age / DAY

    @property
    def sigma_days(self) -> float:
        return self.sigma / DAY


def _sigma_log(r: Ratio) -> float:
    s = r.sigma_log10 if math.isfinite(r.sigma_log10) else 0.0
    return math.hypot(s, MODEL_REL_SIGMA / math.log(10.0))


def ratio_clock(
    r: Ratio, kind: str = "ingrowth", release: float = math.inf, t_max: float = T_MAX
) -> Clock:
    """Age of the xenon (s since fission) whose ratio is ``r``, under the explosion model."""
    model = f"{kind}" + ("" if math.isinf(release) else f", release {release / DAY:g} d")
    if r.kind == "none" or not r.value > 0:
        return Clock(r.name, model, math.nan, math.nan, "none", reason=r.reason or "no ratio")
    target = math.log10(r.value)
    sig = _sigma_log(r)
    ages: tuple[float, ...] = ()
    why = ""
    slope, increasing, t = 0.0, True, math.nan
    if kind == "cumulative":
        dl = decay_constant(r.num) - decay_constant(r.den)
        r0 = float(model_ratio(r.num, r.den, 0.0, kind="cumulative")[0])
        if dl == 0:
            return Clock(r.name, model, math.nan, math.nan, "none", reason="ratio does not evolve")
        t = -math.log(r.value / r0) / dl
        ages = (t,) if t >= 0 else ()
        slope = abs(dl) / math.log(10.0)
        ok_range = t >= 0
        why = f"ratio above the model's value at t = 0 ({r0:.3g})" if not ok_range else ""
        increasing = dl < 0
    else:
        grid = np.geomspace(T_MIN, t_max, 3000)
        lr = np.log10(model_ratio(r.num, r.den, grid, release))
        d = lr - target
        idx = np.flatnonzero(
            np.isfinite(d[:-1]) & np.isfinite(d[1:]) & (np.sign(d[:-1]) != np.sign(d[1:]))
        )
        ages_l: list[float] = []
        slopes: list[float] = []
        for k in idx:
            f = d[k] / (d[k] - d[k + 1])
            lt = math.log(grid[k]) + f * (math.log(grid[k + 1]) - math.log(grid[k]))
            ages_l.append(math.exp(lt))
            slopes.append(float((lr[k + 1] - lr[k]) / (grid[k + 1] - grid[k])))
        ages = tuple(ages_l)
        ok_range = bool(ages)
        if ok_range:
            slope = abs(slopes[0])
            increasing = slopes[0] > 0
            t = ages[0]
        else:
            lo, hi = np.nanmin(lr), np.nanmax(lr)
            why = (f"ratio outside the model's range {10**lo:.3g}–{10**hi:.3g} over "
                   f"{T_MIN / 60:g} min–{t_max / DAY:g} d")  # fmt: skip
    if not ok_range:
        return Clock(r.name, model, math.nan, math.nan, "none", reason=why)
    sigma = sig / slope if slope > 0 else math.inf
    if r.kind == "value":
        return Clock(r.name, model, t, sigma, "value", ages)
    # bound on the ratio → bound on the age, by the model's direction
    ratio_at_least = r.kind == "lower"
    age_kind = "at least" if ratio_at_least == increasing else "at most"
    return Clock(r.name, model, t, sigma, age_kind, ages, r.reason)
