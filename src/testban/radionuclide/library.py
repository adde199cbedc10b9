"""Nuclide library and nuclide identification.

Library: half-lives from radioactivedecay (its ICRP-107 data ship with the package, no
network); gamma lines and emission probabilities from ``data/gamma_lines.csv`` (DDEP and
NNDC values, cited in the file); each nuclide's class for the categorisation from
``data/nuclide_classes.csv``.

Identification (pure function of fitted peaks): a line is matched by a peak whose energy
is within half a FWHM (plus 2σ of the centroid). A nuclide is a candidate when its key line
(the one with the largest expected count rate, ``Pγ·ε``) is matched. Candidates are taken
in order of evidence (the significance their lines explain, each line counting at most its
expected share) and each is accepted when

* the key line's area still unexplained by nuclides already accepted is significant
  (interference: a peak shared by two nuclides is claimed once), and
* no other line that it predicts clearly above the detection limit is missing, and no
  matched line is much weaker than predicted (the relative efficiency is the file's, or a
  generic HPGe shape when the file has none, hence the tolerance factor).

The accepted nuclide's predicted areas are subtracted from the peaks it explains.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from testban.radionuclide.peaks import Peak

DATA = Path(__file__).resolve().parent / "data"
PSEUDO = {"ANNIH", "Pb-XRAY"}


@dataclass(frozen=True)
class GammaLine:
    energy: float  # keV
    intensity: float  # emission probability per decay (fraction)


@dataclass(frozen=True)
class Nuclide:
    """A library nuclide: half-life (s; inf for stable/pseudo), class ("natural",
    "fission", "activation", "anthropogenic") and lines, strongest first."""

    name: str
    half_life: float
    cls: str
    lines: tuple[GammaLine, ...]

    @property
    def decay_constant(self) -> float:
        return float(np.log(2.0) / self.half_life) if np.isfinite(self.half_life) else 0.0

    @property
    def relevant(self) -> bool:
        """On the CTBT list of relevant fission/activation products."""
        return self.cls in ("fission", "activation")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def half_life_s(name: str) -> float:
    """Half-life in seconds from radioactivedecay (inf for pseudo-nuclides)."""
    if name in PSEUDO:
        return float("inf")
    import radioactivedecay as rd  # type: ignore[import-untyped]

    hl = rd.Nuclide(name).half_life("s")
    return float(hl) if isinstance(hl, float) else float("inf")


@lru_cache(maxsize=4)
def load_library(path: str | None = None, classes: str | None = None) -> dict[str, Nuclide]:
    """The nuclide library from the carried tables (cached)."""
    lines: dict[str, list[GammaLine]] = {}
    for r in _rows(Path(path) if path else DATA / "gamma_lines.csv"):
        lines.setdefault(r["nuclide"], []).append(
            GammaLine(float(r["energy_kev"]), float(r["intensity_pct"]) / 100.0)
        )
    cls = {
        r["nuclide"]: r["class"]
        for r in _rows(Path(classes) if classes else DATA / "nuclide_classes.csv")
    }
    out = {}
    for name, ls in lines.items():
        if name not in cls:
            raise ValueError(f"{name} has lines but no class in nuclide_classes.csv")
        ls.sort(key=lambda g: -g.intensity)
        out[name] = Nuclide(name, half_life_s(name), cls[name], tuple(ls))
    return out


def generic_efficiency(energy: np.ndarray | float) -> np.ndarray:
    """Relative full-energy efficiency of a typical coaxial HPGe (shape only, 1 near
    100–150 keV, ∝ E^-0.9 above, falling below ~80 keV through the dead layer and
    housing): used for line-ratio checks when the file carries no efficiency."""
    e = np.asarray(energy, dtype=float)
    return np.where(e > 120.0, (e / 120.0) ** -0.9, 1.0) * (1.0 - np.exp(-((e / 45.0) ** 3)))


@dataclass(frozen=True)
class LineMatch:
    energy: float  # library keV
    intensity: float
    peak: int  # index into the peak list, -1 when not found
    expected_counts: float  # predicted net counts from the accepted activity
    observed_counts: float  # the matched peak's area (0 when not found)


@dataclass(frozen=True)
class Identification:
    """A nuclide identified in a spectrum: its key line, the significance of the key
    line's net area (after interference removal), the combined significance of all its
    matched lines, and the counts-per-emission estimate ``rate`` = N/(Pγ·ε) (ε as the
    identification used it) from which activities follow."""

    nuclide: str
    cls: str
    key_energy: float
    key_peak: int
    significance: float
    combined_significance: float
    rate: float
    rate_err: float
    lines: tuple[LineMatch, ...]
    interferences: tuple[str, ...]


def identify(
    peaks: Sequence[Peak],
    fwhm: Callable[[np.ndarray], np.ndarray],
    efficiency: Callable[[np.ndarray], np.ndarray] | None = None,
    limit: Callable[[np.ndarray], np.ndarray] | None = None,
    *,
    library: dict[str, Nuclide] | None = None,
    energy_range: tuple[float, float] = (40.0, 3000.0),
    min_significance: float = 3.0,
    ratio_tolerance: float = 3.0,
) -> list[Identification]:
    """Nuclides identified from ``peaks`` (see the module docstring).

    ``fwhm(E)`` keV; ``efficiency(E)`` absolute or relative full-energy efficiency
    (generic HPGe shape if None); ``limit(E)`` detection limit in net counts at energy E
    (used to say a predicted line should have been seen; lines are not required without
    it); ``ratio_tolerance`` the factor by which an observed line may fall short of its
    prediction before the nuclide is rejected."""
    lib = library or load_library()
    eff = efficiency or generic_efficiency
    e_pk = np.array([p.energy for p in peaks], dtype=float)
    de_pk = np.array([p.energy_err for p in peaks], dtype=float)
    a_pk = np.array([p.area for p in peaks], dtype=float)
    s_pk = np.array([p.area_err for p in peaks], dtype=float)
    if e_pk.size == 0:
        return []
    lo, hi = energy_range

    def match(e: float) -> int:
        tol = 0.5 * float(fwhm(np.array([e]))[0]) + 2.0 * np.nan_to_num(de_pk, nan=0.0)
        d = np.abs(e_pk - e)
        ok = d < tol
        if not ok.any():
            return -1
        return int(np.flatnonzero(ok)[np.argmin(d[ok])])

    # candidates and their order of evidence
    cands = []
    for nuc in lib.values():
        ls = [g for g in nuc.lines if lo <= g.energy <= hi]
        if not ls:
            continue
        e = np.array([g.energy for g in ls])
        p = np.array([g.intensity for g in ls])
        weight = p * np.asarray(eff(e), dtype=float)
        order = np.argsort(-weight)
        e, p, weight = e[order], p[order], weight[order]
        idx = np.array([match(x) for x in e])
        if idx[0] < 0:
            continue
        rate_key = a_pk[idx[0]] / weight[0]
        expected = rate_key * weight
        obs = np.where(idx >= 0, a_pk[np.maximum(idx, 0)], 0.0)
        err = np.where(idx >= 0, s_pk[np.maximum(idx, 0)], 1.0)
        evidence = float(np.sum(np.where(idx >= 0, np.minimum(obs, expected) / err, 0.0)))
        cands.append((evidence, nuc, e, p, weight, idx))
    cands.sort(key=lambda c: -c[0])

    residual = a_pk.copy()
    claimed_by: dict[int, list[str]] = {}
    out: list[Identification] = []
    for _, nuc, e, p, weight, idx in cands:
        k = idx[0]
        if residual[k] / s_pk[k] < min_significance:
            continue
        # activity estimate (counts per unit Pγ·ε) from matched lines' residual areas,
        # weighted; only lines not much claimed by others count
        m = idx >= 0
        r_i = np.where(m, residual[np.maximum(idx, 0)], 0.0)
        s_i = np.where(m, s_pk[np.maximum(idx, 0)], np.inf)
        use = m & (r_i / s_i >= 1.0)
        use[0] = True
        est = r_i[use] / weight[use]
        var = (s_i[use] / weight[use]) ** 2
        rate = float(np.sum(est / var) / np.sum(1.0 / var))
        rate_err = float(np.sqrt(1.0 / np.sum(1.0 / var)))
        expected = rate * weight
        # consistency: predicted lines above the detection limit must be there ...
        ok = True
        if limit is not None:
            lim = np.asarray(limit(e), dtype=float)
            missing = (~m) & (expected > ratio_tolerance * np.nan_to_num(lim, nan=np.inf))
            ok = not missing.any()
        # ... and matched lines must not fall far short of their prediction
        short = m & (r_i * ratio_tolerance + 3.0 * s_i < expected)
        if short.any():
            ok = False
        if not ok:
            continue
        key_sig = float(min(residual[k], expected[0]) / s_pk[k])
        if key_sig < min_significance:
            continue
        for i in np.flatnonzero(m):
            j = int(idx[i])
            residual[j] = max(residual[j] - expected[i], 0.0)
            claimed_by.setdefault(j, []).append(nuc.name)
        comb = float(np.sum(np.minimum(r_i[m], expected[m])) / np.sqrt(np.sum(s_i[m] ** 2)))
        out.append(
            Identification(
                nuclide=nuc.name,
                cls=nuc.cls,
                key_energy=float(e[0]),
                key_peak=int(k),
                significance=key_sig,
                combined_significance=comb,
                rate=rate,
                rate_err=rate_err,
                lines=tuple(
                    LineMatch(
                        float(e[i]),
                        float(p[i]),
                        int(idx[i]),
                        float(expected[i]),
                        float(a_pk[idx[i]]) if idx[i] >= 0 else 0.0,
                    )
                    for i in range(e.size)
                ),
                interferences=(),
            )
        )
    # name the nuclides sharing each identified nuclide's peaks
    final = []
    for ident in out:
        others = sorted(
            {n for ln in ident.lines if ln.peak >= 0 for n in claimed_by.get(ln.peak, [])}
            - {ident.nuclide}
        )
        final.append(Identification(**{**ident.__dict__, "interferences": tuple(others)}))
    return final
