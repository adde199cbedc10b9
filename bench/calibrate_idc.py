"""Station corrections on the IDC window, cross-validated by hour (issue 11, item 4).

Run: ``PYTHONPATH=src .venv/bin/python bench/calibrate_idc.py [--plot out.png]``
(prints BENCHMARKS-ready markdown).

Data: ``idc_ueb_2010140`` (2010-05-20 20:00–22:00 UTC), arrivals with measured
back-azimuth and slowness associated to the analyst origins. A residual belongs to the
hour of its reference origin time. For each split, corrections are fitted on one hour
(``testban.calibrate.estimate``, defaults) and applied to the arrivals of the other hour
(``apply_corrections``); the residuals of that other hour are then recomputed, and
their spread is compared before and after. Only stations that received a correction
from the fitting hour and have arrivals in the scoring hour are scored. Residuals
beyond the estimation gates (45°, 6 s/°) are counted but left out of the spreads.

Caveat printed with the figures: the reference origins of this window were located
with these very arrivals (most ``ARS:chip`` origins have 2 defining phases, often with
azimuth defining), and the IDC applied its own SASC when it located them, so residuals
against these origins are not independent of the measurements.

The IDC's own applied correction is implied by its assoc rows: the IDC writes
``azres`` from the corrected azimuth, so ``azres + seaz - azimuth`` is the correction it
added; its mean per array is printed next to ours as an independent check.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

import numpy as np

from testban.calibrate import (
    apply_corrections,
    estimate,
    pairs_from_assoc,
    residuals,
    robust_mean,
    wrap180,
)
from testban.io.css30 import read_records
from testban.network import read_network
from testban.records import Arrival, Assoc, Origin

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
IDC = DATA / "idc_ueb_2010140"
STATIONS = DATA / "stations" / "ims_css30" / "ueb_test"
T20 = 1274385600.0  # 2010-05-20 20:00:00 UTC
HOURS = {"20–21 h": (T20, T20 + 3600.0), "21–22 h": (T20 + 3600.0, T20 + 7200.0)}
GATE_AZ, GATE_SLOW = 45.0, 6.0


def rms(x: list[float]) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if x else math.nan


def mad(x: list[float]) -> float:
    return float(np.median(np.abs(x))) if x else math.nan


def spread(res, stas: set[str]) -> dict[str, tuple[list[float], list[float]]]:
    """Gated azimuth and slowness residuals per station of ``stas``."""
    out: dict[str, tuple[list[float], list[float]]] = {}
    for r in res:
        if r.sta not in stas or r.phase in ("I", "T", "H"):
            continue
        az, sl = out.setdefault(r.sta, ([], []))
        if math.isfinite(r.az_res) and abs(r.az_res) <= GATE_AZ:
            az.append(r.az_res)
        if math.isfinite(r.slow_res) and abs(r.slow_res) <= GATE_SLOW:
            sl.append(r.slow_res)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plot", type=Path, help="also draw the figure (PNG) here")
    args = ap.parse_args()
    if not IDC.exists():
        sys.exit(f"data not found: {IDC}")
    arrivals = read_records(IDC / "arrival.csv", Arrival)
    assocs = read_records(IDC / "assoc.csv", Assoc)
    origins = read_records(IDC / "origin.csv", Origin)
    network, _ = read_network(STATIONS)
    for min_other in (0, 2):
        label = (
            "all associated arrivals (reference events NOT independent)"
            if min_other == 0
            else f"reference events with ≥ {min_other} other defining stations"
        )
        print(f"## {label}\n")
        plot = args.plot if min_other == 0 else None
        section(arrivals, assocs, origins, network, min_other, plot)


def section(arrivals, assocs, origins, network, min_other: int, plot: Path | None) -> None:
    """The two tables for one choice of reference events."""
    pairs = pairs_from_assoc(arrivals, assocs, origins, min_other)
    res_all = residuals(pairs, network)

    # ---- corrections per array on the whole window, with the IDC's implied ones
    rows_all = estimate(res_all)
    implied: dict[str, list[float]] = {}
    by_arid = {a.arid: a for a in arrivals}
    for s in assocs:
        a = by_arid.get(s.arid)
        if a is None or not (0 <= a.azimuth <= 360) or s.azres == -999.0 or s.phase == "I":
            continue
        implied.setdefault(s.sta, []).append(float(wrap180(s.azres + s.seaz - a.azimuth)))
    print("### Corrections learnt on the whole window (2 h)\n")
    print(
        "| station | N | daz ° (± se) | σ az ° | dslow s/° (± se) | σ slow s/° "
        "| IDC's applied daz ° (N) |"
    )
    print("|---|---|---|---|---|---|---|")
    wide = [r for r in rows_all if r.kind == "sasc" and r.station_wide]
    for r in wide:
        imp = robust_mean(implied.get(r.sta, []))
        print(
            f"| {r.sta} | {r.n} | {r.daz:+.1f} ± {r.daz_se:.1f} | {r.daz_sigma:.1f} | "
            f"{r.dslow:+.2f} ± {r.dslow_se:.2f} | {r.dslow_sigma:.2f} | "
            f"{imp.mean:+.1f} ({imp.n}) |"
        )
    nb = sum(r.kind == "sasc" and not r.station_wide for r in rows_all)
    nt = sum(r.kind == "time" for r in rows_all)
    print(f"\n{nb} azimuth × slowness bins with ≥ 5 residuals; {nt} travel-time rows.\n")

    # ---- cross-validation by hour
    print("### Cross-validated: fit on one hour, residuals of the other hour\n")
    print(
        "| fit → score | station | N az | RMS az ° before → after | N slow "
        "| RMS slow s/° before → after |"
    )
    print("|---|---|---|---|---|---|")
    plot_rows = []
    totals = {}
    for fit, score in (("20–21 h", "21–22 h"), ("21–22 h", "20–21 h")):
        f0, f1 = HOURS[fit]
        s0, s1 = HOURS[score]
        rows = estimate([r for r in res_all if f0 <= r.otime < f1])
        stas = {r.sta for r in rows if r.kind == "sasc"}
        score_pairs = [p for p in pairs if s0 <= p[1].time < s1]
        before = residuals(score_pairs, network)
        corrected = apply_corrections([a for a, _, _ in score_pairs], rows)
        fixed = [(c, o, ph) for c, (_, o, ph) in zip(corrected, score_pairs, strict=True)]
        after = residuals(fixed, network)
        b, a = spread(before, stas), spread(after, stas)
        tot = ([], [], [], [])
        for sta in sorted(b):
            if not b[sta][0]:
                continue
            print(
                f"| {fit} → {score} | {sta} | {len(b[sta][0])} | {rms(b[sta][0]):.1f} → "
                f"{rms(a[sta][0]):.1f} | {len(b[sta][1])} | {rms(b[sta][1]):.2f} → "
                f"{rms(a[sta][1]):.2f} |"
            )
            for k, src in enumerate((b[sta][0], a[sta][0], b[sta][1], a[sta][1])):
                tot[k].extend(src)
            plot_rows.append((f"{sta}\n{fit[:2]}→{score[:2]}", rms(b[sta][0]), rms(a[sta][0])))
        totals[(fit, score)] = tot
        print(
            f"| {fit} → {score} | **all** | {len(tot[0])} | **{rms(tot[0]):.1f} → "
            f"{rms(tot[1]):.1f}** | {len(tot[2])} | **{rms(tot[2]):.2f} → {rms(tot[3]):.2f}** |"
        )
        print(
            f"| {fit} → {score} | all, median abs | {len(tot[0])} | {mad(tot[0]):.1f} → "
            f"{mad(tot[1]):.1f} | {len(tot[2])} | {mad(tot[2]):.2f} → {mad(tot[3]):.2f} |"
        )
    print()
    if plot:
        draw(plot, wide, implied, plot_rows)
        print(f"figure: {plot}")


def draw(path: Path, wide, implied, plot_rows) -> None:
    """Corrections per array (ours and the IDC's implied ones) and the held-out azimuth
    spread before/after."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 7))
    x = np.arange(len(wide))
    ax1.errorbar(x - 0.1, [r.daz for r in wide], [r.daz_se for r in wide], fmt="o", label="learnt")
    ax1.plot(x + 0.1, [robust_mean(implied.get(r.sta, [])).mean for r in wide], "s", label="IDC")
    ax1.set_xticks(x, [f"{r.sta}\nN={r.n}" for r in wide], fontsize=7)
    ax1.axhline(0, color="0.7", lw=0.8)
    ax1.set_ylabel("azimuth correction (°)")
    ax1.legend(fontsize=8)
    x2 = np.arange(len(plot_rows))
    ax2.bar(x2 - 0.2, [p[1] for p in plot_rows], 0.4, label="before")
    ax2.bar(x2 + 0.2, [p[2] for p in plot_rows], 0.4, label="after (corrections of the other hour)")
    ax2.set_xticks(x2, [p[0] for p in plot_rows], fontsize=6)
    ax2.set_ylabel("held-out RMS azimuth residual (°)")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
