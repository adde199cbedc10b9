"""Recompute the IDC bulletin's magnitudes with testban's formulas (a formula check).

Usage: ``.venv/bin/python bench/magnitude_idc.py [--data DIR]``

On ``shared/data/idc_ueb_2010140`` (read in place): station mb from each ``stamag`` row's
amplitude (joined by ``ampid``), its ``delta`` and the origin depth, against the IDC's
station mb; network ``mb_ave`` from our station values with the IDC's defining flags, and
from testban's own record pipeline (:func:`magnitudes_for_tables`), against ``netmag``;
``mb_mle``/``ms_mle`` from the IDC's station and noise rows; ML from the ``SBSNR``
amplitudes against ``mlppn``. Prints BENCHMARKS-ready markdown.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from testban.io.css30 import read_tables
from testban.magnitude import (
    magnitudes_for_tables,
    mb_station,
    ml_station,
    network_magnitudes,
    network_mean,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "idc_ueb_2010140"


def _stats(diff: np.ndarray) -> str:
    a = np.abs(diff)
    return (
        f"{a.size} | {np.median(a):.3f} | {np.percentile(a, 90):.3f} | {a.max():.3f} | "
        f"{np.mean(diff):+.3f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    args = parser.parse_args()
    if not (args.data / "stamag.csv").is_file():
        print(f"no IDC bulletin at {args.data}", file=sys.stderr)
        return 1
    t0 = time.process_time()
    tab = read_tables(args.data)
    amp = {a.ampid: a for a in tab["amplitude"]}
    depth = {o.orid: o.depth for o in tab["origin"]}
    stamag = tab["stamag"]
    netmag = {(n.orid, n.magtype): n for n in tab["netmag"]}

    # 1. Station mb: the formula check.
    rows = [s for s in stamag if s.magtype == "mb_ave"]
    joined = [s for s in rows if s.ampid in amp]
    a = np.array([amp[s.ampid].amp for s in joined])
    t = np.array([amp[s.ampid].per for s in joined])
    d = np.array([s.delta for s in joined])
    h = np.array([depth[s.orid] for s in joined])
    ours = mb_station(a, t, d, h, delta_range=None)
    theirs = np.array([s.magnitude for s in joined])
    inside = (d >= 20) & (d <= 105)
    diff_all, diff_in = ours - theirs, (ours - theirs)[inside]

    # 2. Network mb_ave from our station values with their defining flags.
    net_rows = []
    for orid in sorted({s.orid for s in rows}):
        mine = [i for i, s in enumerate(joined) if s.orid == orid]
        if len(mine) != sum(s.orid == orid for s in rows):
            continue  # a station of this origin has no amplitude row
        est = network_mean(ours[mine], [joined[i].magdef == "d" for i in mine])
        ref = netmag[(orid, "mb_ave")]
        net_rows.append((orid, ref.nsta, ref.magnitude, est.magnitude, ref.uncertainty,
                         est.uncertainty))  # fmt: skip

    # 3. The whole record pipeline: amplitude/arrival/assoc/origin -> netmag.
    netmags, _, _ = magnitudes_for_tables(args.data)
    pipe = {(n.orid, n.magtype): n for n in netmags}
    pipe_rows = [
        (k[0], netmag[k].magnitude, pipe[k].magnitude, netmag[k].nsta, pipe[k].nsta)
        for k in sorted(netmag)
        if k[1] == "mb_ave" and k in pipe
    ]

    # 4. MLE from the IDC's own station and noise rows.
    mle_rows = []
    for name in ("mb_mle", "ms_mle"):
        idc_rows = [s for s in stamag if s.magtype == name]
        nm, _ = network_magnitudes(idc_rows)
        for n in nm:
            ref = netmag[(n.orid, name)]
            ndet = sum(s.orid == n.orid and s.arid != -1 and s.magdef == "d" for s in idc_rows)
            mle_rows.append((n.orid, name, ndet, n.nsta - ndet, ref.magnitude, n.magnitude))

    # 5. ML (IDC mlppn) from SBSNR amplitudes: no station corrections (mcoefs_*) here.
    ml_rows = [s for s in stamag if s.magtype == "mlppn" and s.ampid in amp]
    ml_ours = ml_station(
        [amp[s.ampid].amp for s in ml_rows], [s.delta for s in ml_rows], delta_range=None
    )
    ml_diff = ml_ours - np.array([s.magnitude for s in ml_rows])
    cpu = time.process_time() - t0

    print("### Magnitudes: IDC bulletin 2010-05-20 (`idc_ueb_2010140`)\n")
    print("Command: `.venv/bin/python bench/magnitude_idc.py`\n")
    print("Station mb = log10(A/T) + Q(Δ,h) (Veith–Clawson, bicubic spline) against the IDC's")
    print("`stamag` mb_ave rows (amplitude joined by `ampid`, Δ from `stamag`, h from `origin`):\n")
    print("| stations | median abs Δmb | p90 | max | mean Δmb (ours − IDC) |")
    print("|---|---|---|---|---|")
    print(f"| all {_stats(diff_all)} |")
    print(f"| 20–105° {_stats(diff_in)} |")
    lost = len(rows) - len(joined)
    print(f"\n{lost} of {len(rows)} mb_ave station rows have no amplitude row.\n")
    print("Network mb_ave: mean of our station values over the IDC's defining stations:\n")
    print("| orid | nsta | IDC mb_ave | ours | IDC unc. | our unc. |")
    print("|---|---|---|---|---|---|")
    for r in net_rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.2f} | {r[5]:.2f} |")
    print("\nFull pipeline `magnitudes_for_tables` (amplitude/arrival/assoc/origin only):\n")
    print("| orid | IDC mb_ave | testban mb_ave | IDC nsta | testban nsta |")
    print("|---|---|---|---|---|")
    for r in pipe_rows:
        print(f"| {r[0]} | {r[1]:.2f} | {r[2]:.2f} | {r[3]} | {r[4]} |")
    print("\nWhere testban has fewer stations, the IDC's stations have no arrival or amplitude")
    print("rows in this extract (orid 6356790: PTGA and SNAA).")
    print("\nMaximum-likelihood magnitude (Ringdal 1976, σ = 0.35 for mb, 0.25 for Ms) from the")
    print("IDC's station rows incl. non-detecting stations (noise upper bounds):\n")
    print("| orid | type | detecting | non-detecting | IDC | testban |")
    print("|---|---|---|---|---|---|")
    for r in mle_rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.2f} | {r[5]:.2f} |")
    if ml_rows:
        lo, hi = ml_diff.min(), ml_diff.max()
        print(f"\nML = log10(A_SBSNR) + B(Δ) against IDC `mlppn` ({len(ml_rows)} stations):")
        print(f"mean {np.mean(ml_diff):+.2f}, range {lo:+.2f} to {hi:+.2f} (the IDC adds")
        print("per-station corrections `mcoefs_*` that are not in the shared data).")
    print("\nMs: the bulletin has no Rayleigh-wave amplitude rows, so only `ms_mle` is checked.")
    print(f"\nCPU {cpu:.2f} s for the whole script.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
