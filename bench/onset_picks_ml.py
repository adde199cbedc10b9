"""ML picker (extra ``ml``: PickerXL weights in SeisBench's PhaseNet) against analyst P and S
picks, next to testban's classical detector + onset chain (issue 3, item 5).

Data and crops: exactly those of ``bench/onset_picks.py`` (its helpers are imported): the
154 Northern California 3-C windows of ``picks/waveform_train``, each cropped to 60 s at a
seeded random offset so that P lies 12–30 s into the crop. Scores: the same tolerances (P
within 0.1 s and 0.5 s, S within 0.5 s and 1.0 s; a missing pick is a miss).

ML (no use of the picks): :func:`testban.mlpick.pick_window` on the crop as one station
(Z, and N, E where the window has horizontals; missing ones are fed as zeros): the most
probable P of the crop, then the most probable S after it, each kept when its probability
reaches PickerXL's own default threshold 0.1 (``--p-threshold``/``--s-threshold``). The
P score at SeisBench's default 0.3 is given as well (the same P, fewer kept).

Classical: ``onset_picks.run`` (testban's detector trigger → ``first_arrival`` → ``pick_s``)
on the same crops; its CPU time is testban's only (``ar_pick`` is timed apart). ML CPU time
is ``time.process_time`` of :func:`~testban.mlpick.pick_window` (all torch threads), model
loading excluded and given apart.

Hybrid (exploratory, for the question whether ``detect`` should refine onsets with the ML
picker): the ML P where its probability reaches 0.3, testban's P otherwise.

DPRK (``--dprk``): IC.MDJ.00 BHZ (20 Hz, vertical only), catalogue origin −600 s to +300 s,
:func:`testban.mlpick.pick` at threshold 0.1; the first P pick at or after the origin and
the most probable P in origin to origin + 300 s (and the number of P picks in the 600 s
before the origin, i.e. false alarms on noise), against the reference Pn times of
``bench/onset_dprk.py`` (DPRK1–4 cross-correlation medians, collapse origin + 53.3 s).

Usage: ``/work/mlvenv/bin/python bench/onset_picks_ml.py [--seeds 0 1 2] [--dprk] [--json]``
(needs ``pip install -e '.[ml]'``). Exits 0 with a notice when the data or the extra are
absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import obspy
from obspy import Stream, Trace

sys.path.insert(0, str(Path(__file__).resolve().parent))
import onset_picks  # noqa: E402
from onset_dprk import COLLAPSE_MDJ_TT, EVENTS, PRE, origin_of, reference_pn  # noqa: E402
from onset_picks import DEFAULT_DIR, FS, SHARED, crops, score  # noqa: E402

HYBRID_THRESHOLD = 0.3


def window_stream(z: np.ndarray, n: np.ndarray, e: np.ndarray) -> Stream:
    """One-station stream of a crop; all-zero horizontals are left out."""
    st = Stream()
    for comp, x in zip("ZNE", (z, n, e), strict=True):
        if comp == "Z" or np.any(x):
            st += Trace(
                x.astype(np.float64),
                {"network": "NC", "station": "WIN", "channel": f"HH{comp}", "sampling_rate": FS},
            )
    return st


def run_ml(data_dir: Path, seed: int, p_thr: float, s_thr: float) -> dict:
    """ML picks on every crop of one seed: errors (s), probabilities, CPU time."""
    from testban.mlpick import pick_window

    files = sorted(data_dir.glob("*.npz"))
    rows = []
    for name, z, n, e, itp, its in crops(files, seed):
        st = window_stream(z, n, e)
        t0 = time.process_time()
        w = pick_window(st, p_threshold=p_thr, s_threshold=s_thr)
        cpu = time.process_time() - t0
        t_start = st[0].stats.starttime
        ep = np.nan if w.p is None else (w.p.time - t_start) - itp / FS
        es = np.nan if w.s is None else (w.s.time - t_start) - its / FS
        rows.append(
            dict(name=name, horiz=len(st) == 3, ep=ep, es=es, cpu=cpu,
                 p_prob=np.nan if w.p is None else w.p.probability)
        )  # fmt: skip
    return {"rows": rows}


def summarise(ml: dict, cl: dict | None, seed: int) -> dict:
    """Scores of ML, classical and hybrid for one seed."""
    rows = ml["rows"]
    ep = np.array([r["ep"] for r in rows], float)
    es = np.array([r["es"] for r in rows], float)
    prob = np.nan_to_num(np.array([r["p_prob"] for r in rows], float), nan=0.0)
    horiz = np.array([r["horiz"] for r in rows])
    cpu = np.array([r["cpu"] for r in rows])
    ep03 = np.where(prob >= 0.3, ep, np.nan)
    out: dict = {
        "seed": seed,
        "windows": len(rows),
        "ml": {
            "P<=0.1": score(ep, 0.1), "P<=0.5": score(ep, 0.5),
            "S<=0.5": score(es, 0.5), "S<=1.0": score(es, 1.0),
            "P<=0.1_3C": score(ep[horiz], 0.1), "P<=0.1_1C": score(ep[~horiz], 0.1),
            "S<=0.5_3C": score(es[horiz], 0.5), "S<=0.5_1C": score(es[~horiz], 0.5),
            "P<=0.1_thr0.3": score(ep03, 0.1), "P<=0.5_thr0.3": score(ep03, 0.5),
            "no_P": int(np.isnan(ep).sum()),
            "P_median_s": float(np.nanmedian(ep)),
            "cpu_s": float(cpu.sum()), "cpu_per_window_ms": 1e3 * float(cpu.mean()),
        },
    }  # fmt: skip
    if cl is not None:
        tb = cl["tb"]
        ep_tb, es_tb = tb["_ep"], tb["_es"]
        hyb = np.where(prob >= HYBRID_THRESHOLD, ep, ep_tb)
        out["tb"] = {
            "P<=0.1": tb["P<=0.1"], "P<=0.5": tb["P<=0.5"],
            "S<=0.5": tb["S<=0.5"], "S<=1.0": tb["S<=1.0"],
            "P<=0.1_3C": score(ep_tb[horiz], 0.1), "P<=0.1_1C": score(ep_tb[~horiz], 0.1),
            "S<=0.5_3C": score(es_tb[horiz], 0.5), "S<=0.5_1C": score(es_tb[~horiz], 0.5),
            "cpu_s": cl["cpu_testban_s"],
            "cpu_per_window_ms": 1e3 * cl["cpu_testban_s"] / cl["windows"],
        }  # fmt: skip
        out["hybrid"] = {"P<=0.1": score(hyb, 0.1), "P<=0.5": score(hyb, 0.5)}
    return out


def run_dprk(data_dir: Path, p_thr: float) -> list[dict]:
    """MDJ first and most probable ML P per event, error against the reference Pn."""
    from testban.mlpick import pick, probabilities

    ref = reference_pn(SHARED / "relative_location" / "DPRK_dataset" / "DPRK_CC_times.txt")
    warnings.filterwarnings("ignore", message="Sample spacing read from SAC")
    rows = []
    for folder, name in EVENTS.items():
        if name not in ref and name != "collapse":
            continue
        files = sorted((data_dir / folder).glob("*.IC.MDJ.00.BHZ.sac"))
        if not files:
            continue
        origin = origin_of(folder)
        t_ref = ref[name] - origin if name in ref else COLLAPSE_MDJ_TT
        st = obspy.read(str(files[0]))
        st.trim(origin - PRE, origin + 300.0)
        t0 = time.process_time()
        picks = [k for k in pick(st, p_threshold=p_thr, s_threshold=1.1) if k.phase == "P"]
        prob = probabilities(st).select(channel="*_P")[0]
        cpu = time.process_time() - t0
        first = next((k for k in picks if k.time >= origin), None)
        seg = prob.slice(origin, origin + 300.0)
        i = int(np.nanargmax(seg.data))
        best_t = seg.stats.starttime + i * seg.stats.delta
        rows.append(
            dict(event=name, ref=t_ref, cpu=cpu,
                 first_err=None if first is None else (first.time - origin) - t_ref,
                 first_prob=None if first is None else first.probability,
                 best_err=(best_t - origin) - t_ref, best_prob=float(seg.data[i]),
                 before=sum(k.time < origin for k in picks))
        )  # fmt: skip
    return rows


def fmt(v: float | None, nd: int = 2) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:.{nd}f}"


def markdown(per_seed: list[dict], dprk: list[dict] | None, load_s: float) -> str:
    seeds = " ".join(str(r["seed"]) for r in per_seed)
    lines = [
        f"`/work/mlvenv/bin/python bench/onset_picks_ml.py --seeds {seeds}` — "
        f"{per_seed[0]['windows']} windows, 60 s crops at seeded random offsets",
        "",
        "| seed | picker | P ≤ 0.1 s | P ≤ 0.5 s | S ≤ 0.5 s | S ≤ 1.0 s | P ≤ 0.1 s 3-C / 1-C "
        "| S ≤ 0.5 s 3-C / 1-C | CPU ms / window |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in per_seed:
        for who, label in (("tb", "testban classical"), ("ml", "ML (PickerXL)")):
            if who not in r:
                continue
            m = r[who]
            lines.append(
                f"| {r['seed']} | {label} | {m['P<=0.1']:.0f} % | {m['P<=0.5']:.0f} % | "
                f"{m['S<=0.5']:.0f} % | {m['S<=1.0']:.0f} % | {m['P<=0.1_3C']:.0f} / "
                f"{m['P<=0.1_1C']:.0f} % | {m['S<=0.5_3C']:.0f} / {m['S<=0.5_1C']:.0f} % | "
                f"{m['cpu_per_window_ms']:.0f} |"
            )
        if "hybrid" in r:
            h = r["hybrid"]
            lines.append(
                f"| {r['seed']} | hybrid (ML P if p ≥ {HYBRID_THRESHOLD}, else testban) | "
                f"{h['P<=0.1']:.0f} % | {h['P<=0.5']:.0f} % | | | | | |"
            )
    lines.append("")
    for r in per_seed:
        m = r["ml"]
        lines.append(
            f"Seed {r['seed']}: ML without P ≥ threshold in {m['no_P']} windows; at threshold "
            f"0.3 ML P is {m['P<=0.1_thr0.3']:.0f} % / {m['P<=0.5_thr0.3']:.0f} %; "
            f"median ML P error {m['P_median_s']:+.3f} s."
        )
    lines.append(f"Model loading (once per process): {load_s:.1f} s CPU.")
    if dprk:
        lines += [
            "",
            "MDJ (IC.MDJ.00 BHZ, 20 Hz, vertical only), ML P against the reference Pn:",
            "",
            "| event | reference − origin (s) | first ML P ≥ thr: error (s) / p "
            "| most probable P: error (s) / p | P picks in the 600 s before origin | CPU s |",
            "|---|---|---|---|---|---|",
        ]
        for d in dprk:
            lines.append(
                f"| {d['event']} | {d['ref']:.2f} | {fmt(d['first_err'])} / "
                f"{fmt(d['first_prob'])} | {fmt(d['best_err'])} / {fmt(d['best_prob'])} | "
                f"{d['before']} | {d['cpu']:.1f} |"
            )
        best = [abs(d["best_err"]) for d in dprk if d["event"] != "collapse"]
        lines.append("")
        lines.append(f"Median |error| DPRK1–4, most probable P: {np.median(best):.3f} s.")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--p-threshold", type=float, default=0.1)
    ap.add_argument("--s-threshold", type=float, default=0.1)
    ap.add_argument("--no-classical", action="store_true", help="skip onset_picks.run")
    ap.add_argument("--dprk", action="store_true", help="also score MDJ on the DPRK events")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not args.data.exists():
        print(f"reference data not found at {args.data}; nothing to do")
        return 0
    try:
        from testban.mlpick import load_model

        t0 = time.process_time()
        load_model()
        load_s = time.process_time() - t0
    except ImportError as exc:
        print(f"{exc}; nothing to do")
        return 0
    per_seed = []
    for seed in args.seeds:
        ml = run_ml(args.data, seed, args.p_threshold, args.s_threshold)
        cl = None if args.no_classical else onset_picks.run(args.data, seed)
        per_seed.append(summarise(ml, cl, seed))
    dprk = None
    if args.dprk and (SHARED / "dprk_regional").exists():
        dprk = run_dprk(SHARED / "dprk_regional", args.p_threshold)
    if args.json:
        print(json.dumps({"seeds": per_seed, "dprk": dprk, "load_s": load_s}, indent=1))
    else:
        print(markdown(per_seed, dprk, load_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
