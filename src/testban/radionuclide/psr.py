"""Possible source regions (PSR): where and when could a release explain the samples?

For every release cell ``j`` (time interval × lat × lon × height) of a
:class:`~testban.io.srs.SourceReceptor`, the correlation across the samples between the
sensitivities ``M[:, j]`` and the measured concentrations ``c`` — Pearson and Spearman
(rank), as WEB-GRAPE shows them (Becker et al. 2007, Atmos. Environ. 41, 4520–4534):
a single release in a cell predicts concentrations proportional to its column, so the
cells whose columns rise and fall with the measurements are the possible sources.

Non-detections enter the correlation at their MDC by default (the value the sample
could not exceed; ``nondetect="zero"`` puts them at 0 instead, ``"drop"`` leaves them
out); a non-detection without an MDC is left out. All samples take part in every cell's
correlation, zero sensitivities included; ``n`` counts the samples with non-zero
sensitivity to the cell (the cell's support). A cell with a constant column has no
correlation (NaN).

**Regions consistent with all detections**: a cell is consistent when one release ``q``
reproduces every detection within a factor ``factor`` (``c_i/F ≤ M_ij·q ≤ F·c_i``, so
every detecting sample must have non-zero sensitivity) and does not push any
non-detection above ``F`` times its MDC. The feasible releases form an interval
[``release_lo``, ``release_hi``] (Bq when ``M`` is per Bq and ``c`` in Bq/m³). The default
``F = 5`` is the factor-of-five band of the ETEX model evaluation (FA5, Mosca et al.
1998): the spread of Lagrangian-model concentrations about measured ones for one
release, chosen for that physical reason, not fitted here.

Everything is vectorised over cells (samples × cells matrices, in chunks of columns).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from testban.io.problems import ReadProblem
from testban.io.srs import ReleaseCells, SourceReceptor

#: Factor band of the consistency field (ETEX FA5; see the module docstring).
FACTOR = 5.0
#: Columns per chunk of the vectorised correlation (memory: samples × CHUNK floats).
CHUNK = 20000


@dataclass(frozen=True)
class Measurements:
    """Per-sample concentrations (Bq/m³), 1σ, MDC (NaN unknown) and detection flags,
    in the rows' order of the :class:`SourceReceptor` they go with."""

    conc: np.ndarray
    mdc: np.ndarray
    detected: np.ndarray
    sigma: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = np.asarray(self.conc).size
        for k in ("mdc", "detected"):
            if np.asarray(getattr(self, k)).size != n:
                raise ValueError(f"measurements: {k} has {np.asarray(getattr(self, k)).size} "
                                 f"values for {n} samples")  # fmt: skip

    @classmethod
    def from_values(cls, conc: np.ndarray, mdc: np.ndarray | None = None) -> Measurements:
        """Concentrations with a positive value as detections, the rest as non-detections."""
        c = np.asarray(conc, float).ravel()
        m = np.full(c.size, np.nan) if mdc is None else np.asarray(mdc, float).ravel()
        return cls(c, m, np.isfinite(c) & (c > 0))

    def values(self, nondetect: str = "mdc") -> np.ndarray:
        """Concentrations for the correlation: detections as measured, non-detections at
        their MDC (``"mdc"``), 0 (``"zero"``) or NaN (``"drop"``; also when no MDC)."""
        c = np.asarray(self.conc, float)
        det = np.asarray(self.detected, bool)
        if nondetect == "mdc":
            nd = np.asarray(self.mdc, float)
        elif nondetect == "zero":
            nd = np.zeros(c.size)
        elif nondetect == "drop":
            nd = np.full(c.size, np.nan)
        else:
            raise ValueError(f"nondetect must be 'mdc', 'zero' or 'drop', not {nondetect!r}")
        return np.where(det, c, nd)


@dataclass(frozen=True)
class PossibleSourceRegions:
    """The PSR of a set of samples: per cell the Pearson and Spearman correlation, the
    support ``n``, whether the cell is consistent with all detections and the feasible
    release interval (NaN where not consistent)."""

    cells: ReleaseCells
    r_pearson: np.ndarray
    r_spearman: np.ndarray
    n: np.ndarray
    consistent: np.ndarray
    release_lo: np.ndarray
    release_hi: np.ndarray
    n_samples: int
    n_detections: int
    nondetect: str
    factor: float

    def best(self, kind: str = "pearson") -> int:
        """Index of the cell with the highest correlation (``"pearson"``/``"spearman"``)."""
        r = self.r_pearson if kind == "pearson" else self.r_spearman
        return int(np.nanargmax(np.where(np.isfinite(r), r, -np.inf)))


def _pearson_columns(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of each column of ``x`` (n × k) with ``y`` (n)."""
    xc = x - x.mean(axis=0)
    yc = y - y.mean()
    den = np.sqrt((xc * xc).sum(axis=0)) * math.sqrt(float(yc @ yc))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (yc @ xc) / den
    return np.where(den > 0, np.clip(r, -1.0, 1.0), np.nan)


def correlations(matrix: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson and Spearman correlation of every column of ``matrix`` (samples × cells)
    with ``y`` (samples); rows where ``y`` is NaN are left out."""
    from scipy.stats import rankdata

    keep = np.isfinite(y)
    m = np.asarray(matrix, float)[keep]
    yy = np.asarray(y, float)[keep]
    n_cells = m.shape[1]
    rp = np.full(n_cells, np.nan)
    rs = np.full(n_cells, np.nan)
    if yy.size < 3:
        return rp, rs
    ry = rankdata(yy)
    for a in range(0, n_cells, CHUNK):
        block = m[:, a : a + CHUNK]
        rp[a : a + CHUNK] = _pearson_columns(block, yy)
        rs[a : a + CHUNK] = _pearson_columns(rankdata(block, axis=0), ry)
    return rp, rs


def consistency(
    matrix: np.ndarray, meas: Measurements, factor: float = FACTOR
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells consistent with all detections and the feasible release interval per cell
    (see the module docstring): ``(consistent, release_lo, release_hi)``."""
    m = np.asarray(matrix, float)
    det = np.asarray(meas.detected, bool) & np.isfinite(meas.conc) & (np.asarray(meas.conc) > 0)
    mdc = np.asarray(meas.mdc, float)
    nd = ~np.asarray(meas.detected, bool) & np.isfinite(mdc) & (mdc > 0)
    n_cells = m.shape[1]
    lo = np.full(n_cells, np.nan)
    hi = np.full(n_cells, np.nan)
    ok = np.zeros(n_cells, bool)
    if not det.any():
        return ok, lo, hi
    c = np.asarray(meas.conc, float)[det]
    for a in range(0, n_cells, CHUNK):
        md = m[det, a : a + CHUNK]
        with np.errstate(divide="ignore"):
            q = c[:, None] / md  # release implied by each detection (inf where M = 0)
            low = q.max(axis=0) / factor
            high = q.min(axis=0) * factor
            if nd.any():
                bound = factor * mdc[nd][:, None] / m[nd, a : a + CHUNK]
                high = np.minimum(high, bound.min(axis=0))
        good = np.all(md > 0, axis=0) & (low <= high)
        ok[a : a + CHUNK] = good
        lo[a : a + CHUNK] = np.where(good, low, np.nan)
        hi[a : a + CHUNK] = np.where(good, high, np.nan)
    return ok, lo, hi


def possible_source_regions(
    sr: SourceReceptor, meas: Measurements, nondetect: str = "mdc", factor: float = FACTOR
) -> PossibleSourceRegions:
    """The PSR of ``sr``'s samples measured as ``meas`` (rows in the same order)."""
    if np.asarray(meas.conc).size != sr.n_samples:
        raise ValueError(f"{np.asarray(meas.conc).size} measurements for {sr.n_samples} samples")
    y = meas.values(nondetect)
    rp, rs = correlations(sr.matrix, y)
    n = (np.asarray(sr.matrix)[np.isfinite(y)] > 0).sum(axis=0)
    ok, lo, hi = consistency(sr.matrix, meas, factor)
    return PossibleSourceRegions(
        sr.cells, rp, rs, n, ok, lo, hi, sr.n_samples, int(np.sum(meas.detected)),
        nondetect, factor,
    )  # fmt: skip


def by_release_time(psr: PossibleSourceRegions, kind: str = "pearson") -> dict[str, np.ndarray]:
    """The highest correlation per release interval (over places and heights) and the
    number of consistent cells in it: keys ``time_start``, ``time_end``, ``r``,
    ``n_consistent``."""
    r = psr.r_pearson if kind == "pearson" else psr.r_spearman
    t0 = psr.cells.time_start
    key = np.where(np.isfinite(t0), t0, -1.0)
    times, inv = np.unique(key, return_inverse=True)
    best = np.full(times.size, -np.inf)
    np.maximum.at(best, inv, np.where(np.isfinite(r), r, -np.inf))
    n_ok = np.bincount(inv, weights=psr.consistent.astype(float), minlength=times.size)
    ends = np.full(times.size, np.nan)
    ends[inv] = psr.cells.time_end
    return {
        "time_start": np.where(times < 0, np.nan, times),
        "time_end": ends,
        "r": np.where(np.isfinite(best), best, np.nan),
        "n_consistent": n_ok.astype(int),
    }


# --------------------------------------------------------------------------- matching


def match_samples(
    sr: SourceReceptor,
    samples: Sequence[Any],
    isotope: str = "Xe-133",
    tolerance_s: float = 3600.0,
    file: str = "",
) -> tuple[SourceReceptor, Measurements, list[ReadProblem]]:
    """Pair SRS rows with xenon samples (:class:`~testban.radionuclide.xenon.XenonSample`,
    mBq/m³) by sample id, else by station and collection stop within ``tolerance_s``;
    rows without a sample are dropped and reported. Concentrations come back in Bq/m³."""
    problems: list[ReadProblem] = []
    keep: list[int] = []
    conc, mdc, det, sig = [], [], [], []
    by_id = {s.sample_id: s for s in samples}
    for i, r in enumerate(sr.receptors):
        s = by_id.get(r.sample_id)
        if s is None:
            cands = [x for x in samples if x.station == r.station
                     and abs(x.collect_stop - r.collect_stop) <= tolerance_s]  # fmt: skip
            s = min(cands, key=lambda x: abs(x.collect_stop - r.collect_stop)) if cands else None
        res = None if s is None else s.results.get(isotope)
        if res is None:
            why = "no sample" if s is None else f"no {isotope} result in sample {s.sample_id}"
            msg = f"SRS row {r.sample_id} ({r.station}): {why}; left out"
            problems.append(ReadProblem(file, msg, f"row {i}", severity="warning"))
            continue
        keep.append(i)
        conc.append(res.conc * 1e-3 if res.detected else math.nan)
        mdc.append(res.mdc * 1e-3)
        det.append(bool(res.detected))
        sig.append(res.conc_err * 1e-3)
    meas = Measurements(np.array(conc), np.array(mdc), np.array(det, bool), np.array(sig))
    return sr.rows(keep), meas, problems


# --------------------------------------------------------------------------- writing


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S") if math.isfinite(t) else ""


def _g(x: float, spec: str = ".6g") -> str:
    return format(x, spec) if math.isfinite(x) else ""


PSR_COLUMNS = ("cell", "time", "time_end", "lat", "lon", "height_bottom_m", "height_top_m",
               "r_pearson", "r_spearman", "n", "consistent", "release_lo_bq",
               "release_hi_bq")  # fmt: skip


def write_psr_csv(psr: PossibleSourceRegions, path: str | Path) -> Path:
    """One row per cell (:data:`PSR_COLUMNS`); ``time`` is the interval start (UTC)."""
    p = Path(path)
    c = psr.cells
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(PSR_COLUMNS)
        for j in range(len(c)):
            w.writerow([j, _iso(c.time_start[j]), _iso(c.time_end[j]), _g(c.lat[j], ".4f"),
                        _g(c.lon[j], ".4f"), _g(c.height_bottom[j], "g"), _g(c.height_top[j], "g"),
                        _g(psr.r_pearson[j], ".4f"), _g(psr.r_spearman[j], ".4f"), int(psr.n[j]),
                        int(psr.consistent[j]), _g(psr.release_lo[j], ".4g"),
                        _g(psr.release_hi[j], ".4g")])  # fmt: skip
    return p


def write_psr_netcdf(psr: PossibleSourceRegions, path: str | Path) -> Path:
    """NetCDF-3: per-cell variables on dimension ``cell`` (the CSV's columns), and, when
    the cells have positions, gridded ``r_pearson_grid(time, lat, lon)`` etc. (the best
    over heights; NaN where a cell is absent) for maps."""
    from scipy.io import netcdf_file

    p = Path(path)
    c = psr.cells
    nc: Any
    with netcdf_file(str(p), "w") as nc:
        nc.title = "testban possible source regions"
        nc.nondetect = psr.nondetect
        nc.factor = psr.factor
        nc.n_samples = psr.n_samples
        nc.n_detections = psr.n_detections
        nc.createDimension("cell", len(c))
        per_cell = {
            "time_start": c.time_start, "time_end": c.time_end, "lat": c.lat, "lon": c.lon,
            "height_bottom": c.height_bottom, "height_top": c.height_top,
            "r_pearson": psr.r_pearson, "r_spearman": psr.r_spearman,
            "n": psr.n.astype(float), "consistent": psr.consistent.astype(float),
            "release_lo": psr.release_lo, "release_hi": psr.release_hi,
        }  # fmt: skip
        for k, a in per_cell.items():
            v: Any = nc.createVariable(f"cell_{k}", "f8", ("cell",))
            v[:] = a
        if c.has_grid:
            t = np.unique(c.time_start[np.isfinite(c.time_start)])
            la = np.unique(c.lat[np.isfinite(c.lat)])
            lo = np.unique(c.lon[np.isfinite(c.lon)])
            nc.createDimension("time", t.size)
            nc.createDimension("lat", la.size)
            nc.createDimension("lon", lo.size)
            axes = (("time", t, "seconds since 1970-01-01 00:00:00"),
                    ("lat", la, "degrees_north"), ("lon", lo, "degrees_east"))  # fmt: skip
            for k, a, units in axes:
                v = nc.createVariable(k, "f8", (k,))
                v[:] = a
                v.units = units
            ok = np.isfinite(c.time_start) & np.isfinite(c.lat) & np.isfinite(c.lon)
            it = np.searchsorted(t, c.time_start[ok])
            ia = np.searchsorted(la, c.lat[ok])
            io_ = np.searchsorted(lo, c.lon[ok])
            for k, a in (("r_pearson", psr.r_pearson), ("r_spearman", psr.r_spearman),
                         ("consistent", psr.consistent.astype(float))):  # fmt: skip
                grid = np.full((t.size, la.size, lo.size), -np.inf)
                vals = np.where(np.isfinite(a[ok]), a[ok], -np.inf)
                np.maximum.at(grid, (it, ia, io_), vals)
                v = nc.createVariable(f"{k}_grid", "f8", ("time", "lat", "lon"))
                v[:] = np.where(np.isfinite(grid), grid, np.nan)
    return p
