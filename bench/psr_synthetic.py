"""Possible source regions and fusion with transport: synthetic releases, the Fukushima
matrix and the DPRK 2013 published clock (BENCHMARKS.md, "Possible source regions and
fusion").

1. Synthetic: a 0.5° grid 38–44°N × 125–133°E, 40 three-hour release intervals, seven
   receptors with 12-hour samples over 7 days, a wind turning every 12 hours
   (:mod:`testban.simulate.plume`, the documented Gaussian-puff kernel). ``--releases``
   point releases of 1e15 Bq at random interior cells, log-normal noise σ = 0.3, an MDC
   of 1e-4 × the largest concentration. Reported: rank of the true cell by Pearson and
   Spearman, distance and time of the best cell, share of true cells inside the
   consistent field and its size; transport fusion for an event at the release (expected
   consistent), 2° away (expected inconsistent) and one day later (expected
   inconsistent).
2. Fukushima Xe-133 (``radionuclide/fukushima_xe133``, needs the shared data): PSR over
   release time only (the matrix has no positions): best correlation per 3-hour interval
   (over the three heights), slot 0 taken as 2011-03-11 00 UTC (and, to show the
   dependence, 2011-03-10 00 UTC).
3. DPRK 2013 through the published clock: the CTBTO statement on the Takasaki detection
   against the DPRK test and an unrelated earthquake.

Usage: ``PYTHONPATH=src python bench/psr_synthetic.py [--releases 60] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

import numpy as np

from testban.io.srs import Receptor, cells_from_intervals, read_matrix_mat
from testban.radionuclide.psr import Measurements, by_release_time, possible_source_regions
from testban.radionuclide.transport_fusion import (
    EventLocation,
    assess_transport,
    combine,
    published_clock_verdict,
)
from testban.radionuclide.xenon_published import published_xenon
from testban.simulate.plume import gaussian_puff_srs, grid_cells

HOUR = 3600.0
T0 = 1_360_000_000.0
STATIONS = [(36.3, 139.1), (43.8, 131.9), (39.9, 116.4), (35.0, 126.0), (45.0, 125.0),
            (38.0, 133.0), (42.0, 122.0)]  # fmt: skip
SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", Path(__file__).resolve().parents[1].parent
                             / "shared" / "data"))  # fmt: skip


def synthetic(n_releases: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cells = grid_cells(38.0, 44.0, 125.0, 133.0, 0.5, T0, 40, 3 * HOUR)
    rec = [Receptor(f"S{k}_{j}", f"S{k}", la, lo, T0 + j * 12 * HOUR, T0 + (j + 1) * 12 * HOUR)
           for k, (la, lo) in enumerate(STATIONS) for j in range(14)]  # fmt: skip
    wt = T0 + np.arange(0.0, 8 * 86400.0, 12 * HOUR)
    ang = rng.uniform(0.0, 2 * np.pi, wt.size)
    speed = rng.uniform(4.0, 12.0, wt.size)
    t = time.perf_counter()
    sr = gaussian_puff_srs(rec, cells, wt, speed * np.cos(ang), speed * np.sin(ang))
    print(f"1. synthetic SRS: {sr.n_samples} samples × {sr.n_cells} cells, "
          f"{(sr.matrix > 0).mean():.1%} non-zero ({time.perf_counter() - t:.1f} s)")  # fmt: skip
    c = sr.cells
    interior = np.flatnonzero((c.time_start <= T0 + 20 * 3 * HOUR) & (np.abs(c.lat - 41) <= 2)
                              & (np.abs(c.lon - 129) <= 3))  # fmt: skip
    picks = rng.choice(interior, n_releases, replace=False)
    out: dict[str, list[float]] = {k: [] for k in (
        "rank_p", "rank_s", "dist_p", "dist_s", "dt_p", "dt_s", "inside", "size", "n_det",
        "fus_true", "fus_far", "fus_late", "t_psr", "t_fus")}  # fmt: skip
    for j in picks:
        y = sr.matrix[:, j] * 1e15 * np.exp(rng.normal(0.0, 0.3, sr.n_samples))
        mdc = np.full(y.size, 1e-4 * y.max())
        det = y > mdc
        meas = Measurements(np.where(det, y, np.nan), mdc, det)
        t = time.perf_counter()
        psr = possible_source_regions(sr, meas)
        out["t_psr"].append(time.perf_counter() - t)
        for kind, r in (("p", psr.r_pearson), ("s", psr.r_spearman)):
            b = int(np.nanargmax(np.where(np.isfinite(r), r, -np.inf)))
            out[f"rank_{kind}"].append(int(np.sum(r > r[j])))
            coslat = math.cos(math.radians(c.lat[j]))
            km = math.hypot(c.lat[b] - c.lat[j], (c.lon[b] - c.lon[j]) * coslat) * 111.2
            out[f"dist_{kind}"].append(km)
            out[f"dt_{kind}"].append(abs(c.time_start[b] - c.time_start[j]) / HOUR)
        out["inside"].append(bool(psr.consistent[j]))
        out["size"].append(int(psr.consistent.sum()))
        out["n_det"].append(int(det.sum()))
        t0 = c.time_start[j]
        events = {
            "true": EventLocation(t0 + 600, c.lat[j] + 0.1, c.lon[j] - 0.1, 20, 10, 30),
            "far": EventLocation(t0 + 600, c.lat[j] + (2 if c.lat[j] < 41 else -2), c.lon[j],
                                 20, 10, 30),
            "late": EventLocation(t0 + 24 * HOUR + 600, c.lat[j], c.lon[j], 20, 10, 30),
        }  # fmt: skip
        t = time.perf_counter()
        for name, ev in events.items():
            v = assess_transport(ev, sr, meas, [(ev.time, ev.time + 3 * HOUR)])
            out[f"fus_{name}"].append(
                v.verdict == ("consistent" if name == "true" else "inconsistent")
            )
        out["t_fus"].append((time.perf_counter() - t) / 3)
    n = len(picks)
    a = {k: np.array(v, float) for k, v in out.items()}
    top1 = 0.01 * sr.n_cells
    print(f"   {n} releases, detections per release median {np.median(a['n_det']):.0f} "
          f"of {sr.n_samples} samples")  # fmt: skip
    for kind, name in (("p", "Pearson"), ("s", "Spearman")):
        rk = a[f"rank_{kind}"]
        print(f"   {name:8s}: true cell best in {np.sum(rk == 0)}/{n}, in the top 1 % "
              f"({top1:.0f} cells) in {np.sum(rk < top1)}/{n}, median rank {np.median(rk):.0f}; "
              f"best cell median {np.median(a[f'dist_{kind}']):.0f} km / "
              f"{np.median(a[f'dt_{kind}']):.0f} h from the truth, within 60 km and 6 h in "
              f"{np.sum((a[f'dist_{kind}'] <= 60) & (a[f'dt_{kind}'] <= 6))}/{n}")  # fmt: skip
    print(f"   consistent field holds the true cell in {int(a['inside'].sum())}/{n}; its size "
          f"median {np.median(a['size']):.0f}, max {a['size'].max():.0f} of {sr.n_cells} "
          "cells")  # fmt: skip
    print(f"   transport fusion right: event at the release {int(a['fus_true'].sum())}/{n} "
          f"consistent; 2° away {int(a['fus_far'].sum())}/{n} and 1 day later "
          f"{int(a['fus_late'].sum())}/{n} inconsistent")  # fmt: skip
    print(f"   time per PSR {np.median(a['t_psr']):.2f} s, per fusion "
          f"{np.median(a['t_fus']):.2f} s (this shared machine)")  # fmt: skip


def fukushima() -> None:
    folder = SHARED / "radionuclide" / "fukushima_xe133"
    if not folder.exists():
        print(f"2. Fukushima: skipped, {folder} absent")
        return
    from scipy.io import loadmat

    layers = ((0.0, 50.0), (50.0, 300.0), (300.0, 1000.0))
    y = np.asarray(loadmat(str(folder / "measXe.mat"))["measurements"], float).ravel()
    det = y > 0
    meas = Measurements(np.where(det, y, np.nan), np.full(y.size, np.nan), det)
    from obspy import UTCDateTime

    for start in ("2011-03-11T00:00:00", "2011-03-10T00:00:00"):
        problems: list = []
        cells = cells_from_intervals(324, UTCDateTime(start).timestamp, 3 * HOUR, layers)
        sr = read_matrix_mat(folder / "matrixGFSXe.mat", problems, "matrix", cells)
        assert sr is not None and not problems, problems
        print(f"2. Fukushima Xe-133, slot 0 = {start[:13]} UTC: {sr.n_samples} samples "
              f"({int(det.sum())} > 0) × {sr.n_cells} cells")  # fmt: skip
        for nondetect in ("drop", "zero"):
            psr = possible_source_regions(sr, meas, nondetect=nondetect)
            for kind in ("pearson", "spearman"):
                t = by_release_time(psr, kind)
                order = np.argsort(-np.where(np.isfinite(t["r"]), t["r"], -np.inf))[:10]
                lo = UTCDateTime("2011-03-12").timestamp
                hi = UTCDateTime("2011-03-16").timestamp
                ts = t["time_start"][order]
                inside = int(np.sum((ts >= lo) & (ts < hi)))
                peak = order[0]
                when = str(UTCDateTime(t["time_start"][peak]))[:13]
                print(f"   zeros {nondetect:4s} {kind:8s}: peak {when} "
                      f"(r = {t['r'][peak]:.3f}); top-10 intervals in 12–15 March: {inside}/10; "
                      f"consistent cells {int(psr.consistent.sum())}")  # fmt: skip


def dprk() -> None:
    from obspy import UTCDateTime

    rows, _ = published_xenon()
    tak = next(r for r in rows if r.id == "takasaki_2013")
    events = {
        "DPRK test 2013-02-12 02:57:51 (41.29°N 129.08°E)":
            EventLocation(UTCDateTime("2013-02-12T02:57:51").timestamp, 41.29, 129.08),
        "earthquake 2013-04-05 13:00:02 M6.3, 563 km deep (42.74°N 131.00°E, USGS)":
            EventLocation(UTCDateTime("2013-04-05T13:00:02").timestamp, 42.736, 131.003),
    }  # fmt: skip
    print("3. DPRK 2013 through the published clock (Takasaki, CTBTO 2013 statement):")
    for name, ev in events.items():
        clock = published_clock_verdict(ev, tak)
        verdict, _ = combine(clock, assess_transport(ev, None, None))
        print(f"   {name}: {verdict} — {clock.reason}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--releases", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    synthetic(args.releases, args.seed)
    fukushima()
    dprk()


if __name__ == "__main__":
    main()
