"""Onset accuracy against analyst P and S picks (issue 3): testban vs ObsPy's ``ar_pick``.

Data: ``picks/waveform_train/*.npz`` — 154 Northern California 3-C windows, 90 s at
100 Hz, with analyst P (``itp``, always sample 3000) and S (``its``) sample indices;
39 windows are vertical-only (the horizontals are zero). Every window is cropped to 60 s
starting at a random offset (seed fixed), so the P onset lies 12–30 s into the crop and
nothing can know where.

Trigger (honest, no use of the picks): testban's own detector run on the crop as one
station, on every live component (Z, and N/E where present; per band the largest STA/LTA
ratio over the components, as over the beams of an array: a P that is weak on the
vertical — a noisy or dead vertical sensor, strong near-surface conversion — still
triggers on the horizontals; ``--trigger vertical`` runs it on Z alone) — QC
(:func:`~testban.detect.assess`/:func:`~testban.detect.clean`), the filter bank and
recursive STA/LTA (:func:`~testban.detect.bank_sta_lta`) and its trigger logic
(:func:`~testban.detect.pick_triggers`) — with a local-network configuration
(:data:`LOCAL`): these are 100 Hz records of local events, whose P carries its energy at
5–15 Hz and lasts a second or two, so the bank reaches 16 Hz, the STA is 0.3 s and the
LTA 10 s (the crop has only 12–30 s before P); thresholds are the default amplitude SNR
3. The hand-off :func:`~testban.onset.first_arrival` (given the detector's 4 s minimum
separation as its dead time) refines every trigger of the crop
to an onset and takes the first whose onset SNR reaches half the largest as the P
trigger (the STA/LTA ratio itself saturates near LTA/STA and cannot tell a noise blip
from the P behind it). A *trigger failure* is no trigger, or a P trigger more than 3 s
after or 1 s before the analyst P (outside what ``refine_onset(before=3, after=1)``
searches); failures still count as misses below.

testban: the P onset from ``first_arrival`` (``refine_onset`` on the raw vertical,
searched from 3 s before the trigger to the end of its on-time or dead time, at most 3 s
after), then
``pick_s(z, n, e, 100, p, max_delay=20)``. ObsPy: ``ar_pick`` with the tutorial
settings (f1=1, f2=20, lta_p=1, sta_p=0.1, lta_s=4, sta_s=1, m_p=2, m_s=8, l_p=0.1,
l_s=0.2, s_pick=True) on the same crops (Z, N, E; Z in place of missing horizontals).

Usage: ``python bench/onset_picks.py [--data DIR] [--seed N] [--json]``. Exits 0 with a
notice when the data are absent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from obspy.signal.trigger import ar_pick, recursive_sta_lta, trigger_onset
from scipy.signal import butter, sosfilt

from testban.detect import (
    Band,
    DetectConfig,
    assess,
    bank_sos,
    bank_sta_lta,
    clean,
    pick_triggers,
    usable_bands,
)
from testban.onset import Onset, first_arrival, pick_s, refine_onset

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
DEFAULT_DIR = SHARED / "picks" / "waveform_train"
FS = 100.0
CROP = 6000  # samples (60 s)
P_IN_CROP = (1200, 3000)  # P lands 12–30 s into the crop
AR_PICK = dict(
    f1=1.0, f2=20.0, lta_p=1.0, sta_p=0.1, lta_s=4.0, sta_s=1.0, m_p=2, m_s=8, l_p=0.1,
    l_s=0.2, s_pick=True,
)  # fmt: skip


def load(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """``(z, n, e, itp, its)`` of one window; missing horizontals are zero arrays."""
    d = np.load(path)
    data = d["data"]
    names = str(d["channels"]).split("_")
    comp = {"Z": 2, "N": 1, "E": 0}
    if len(names) == 3:
        comp = {nm[-1]: i for i, nm in enumerate(names)}
    z, n, e = (data[:, comp[c]].astype(np.float64) for c in "ZNE")
    return z, n, e, int(d["itp"]), int(d["its"])


#: Detector configuration for the local 100 Hz records (see the module doc).
LOCAL = DetectConfig(
    sta=0.3,
    lta=10.0,
    bands=tuple(Band(lo, hi, 3.0) for lo, hi in ((1, 3), (2, 4), (3, 6), (4, 8), (6, 12), (8, 16))),
)


def detector_triggers(
    comps: Sequence[np.ndarray], fs: float, config: DetectConfig = LOCAL
) -> list[tuple[int, int]]:
    """``(on, off)`` samples of testban's detector triggers on one station.

    Every live component (all-zero ones, the missing horizontals, are left out) gets its
    own QC mask and cleaning, filter bank and STA/LTA; per band the largest ratio over the
    components goes to the trigger logic with the per-band thresholds (as the beams of an
    array do in :func:`~testban.detect.bank_sta_lta`).
    """
    bands = [config.bands[i] for i in usable_bands(config.bands, fs)]
    sos = bank_sos(bands, fs, config.filter_order)
    nsta, nlta = max(1, round(config.sta * fs)), max(2, round(config.lta * fs))
    ratio = None
    for c in comps:
        if not np.any(c):
            continue
        bad, q = assess(c, fs)
        r, _ = bank_sta_lta(clean(c, bad, q.median), sos, nsta, nlta, bad)
        ratio = r if ratio is None else np.maximum(ratio, r)
    if ratio is None:
        return []
    trigs = pick_triggers(
        ratio,
        np.array([b.threshold for b in bands]) ** 2,
        fs,
        off_ratio=config.off_ratio,
        min_duration=config.min_duration,
        min_separation=config.min_separation,
    )
    return [(int(t.on), int(t.off)) for t in trigs]


def detector_pick(
    z: np.ndarray, fs: float, horizontals: Sequence[np.ndarray] = ()
) -> tuple[int | None, Onset | None]:
    """P trigger (sample) and refined P onset: :func:`detector_triggers` on the vertical
    and ``horizontals`` handed to :func:`~testban.onset.first_arrival` on the vertical;
    ``(None, None)`` without a trigger."""
    trigs = detector_triggers([z, *horizontals], fs)
    sel = first_arrival(
        z, fs, trigs, before=3.0, after=1.0, after_max=3.0, dead=LOCAL.min_separation
    )
    if sel is None:
        return None, None
    return trigs[sel[0]][0], sel[1]


def simple_trigger(z: np.ndarray, fs: float, thr: float = 3.5) -> int | None:
    """Earlier stand-in (``--trigger standin``): recursive STA/LTA (0.5 s / 5 s), 2–20 Hz.

    Triggers are ``trigger_onset(cft, thr, 1.5)`` after a 10 s LTA warm-up; the first
    trigger whose peak STA/LTA reaches half the largest peak in the window is returned
    (a weak noise blip ahead of the event is skipped), ``None`` when nothing exceeds ``thr``.
    """
    sos = butter(4, [2.0 / (0.5 * fs), 20.0 / (0.5 * fs)], btype="bandpass", output="sos")
    y = sosfilt(sos, z - z.mean())
    cft = recursive_sta_lta(y, int(0.5 * fs), int(5 * fs))
    cft[: int(10 * fs)] = 0.0
    on = trigger_onset(cft, thr, 1.5)
    if len(on) == 0:
        return None
    peaks = np.array([cft[a : b + 1].max() for a, b in on])
    return int(on[int(np.flatnonzero(peaks >= 0.5 * peaks.max())[0])][0])


@contextmanager
def quiet_c_stderr() -> Iterator[None]:
    """Silence C-level stderr (``ar_pick`` prints "Error in log calculation" per call)."""
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(null)
        os.close(saved)


def crops(files: list[Path], seed: int):
    """Yield ``(name, z, n, e, itp, its)`` cropped at a seeded random offset."""
    rng = np.random.default_rng(seed)
    for f in files:
        z, n, e, itp, its = load(f)
        s0 = itp - int(rng.integers(P_IN_CROP[0], P_IN_CROP[1] + 1))
        sl = slice(s0, s0 + CROP)
        yield f.name, z[sl], n[sl], e[sl], itp - s0, its - s0


def score(err: np.ndarray, tol: float) -> float:
    """Percentage of |err| <= tol (NaN = miss)."""
    return 100.0 * float(np.mean(np.nan_to_num(np.abs(err), nan=np.inf) <= tol))


def run(data_dir: Path, seed: int, trigger: str = "detector") -> dict:
    """Score testban and ``ar_pick``; ``trigger`` is ``detector`` (testban's on all live
    components, default), ``vertical`` (testban's on the vertical only, as before) or
    ``standin`` (the earlier ObsPy STA/LTA stand-in, kept for comparison)."""
    files = sorted(data_dir.glob("*.npz"))
    rows = []
    cpu_tb = cpu_ar = 0.0
    for name, z, n, e, itp, its in crops(files, seed):
        horiz = bool(np.any(n) or np.any(e))
        t0 = time.process_time()
        if trigger == "detector":
            trig, on = detector_pick(z, FS, (n, e))
        elif trigger == "vertical":
            trig, on = detector_pick(z, FS)
        else:
            trig = simple_trigger(z, FS)
            on = None if trig is None else refine_onset(z, FS, trig)
        fail = trig is None or trig - itp > 3 * FS or itp - trig > 1 * FS
        p_tb = s_tb = dt_tb = np.nan
        if on is not None:
            p_tb, dt_tb = on.index, on.deltim
            s_on = pick_s(z, n, e, FS, on.index, max_delay=20.0)
            s_tb = s_on.index if s_on is not None else np.nan
        t1 = time.process_time()
        nn, ee = (n, e) if horiz else (z, z)
        with quiet_c_stderr():
            p_ar, s_ar = ar_pick(
                z.astype(np.float32), nn.astype(np.float32), ee.astype(np.float32), FS, **AR_PICK
            )
        t2 = time.process_time()
        cpu_tb += t1 - t0
        cpu_ar += t2 - t1
        rows.append(
            dict(name=name, horiz=horiz, itp=itp, its=its, trig=trig, fail=fail,
                 p_tb=p_tb, dt_tb=dt_tb, s_tb=s_tb, p_ar=p_ar * FS, s_ar=s_ar * FS)
        )  # fmt: skip
    itp = np.array([r["itp"] for r in rows], float)
    its = np.array([r["its"] for r in rows], float)
    out = {
        "windows": len(rows),
        "seed": seed,
        "trigger": trigger,
        "cpu_testban_s": cpu_tb,
        "cpu_ar_pick_s": cpu_ar,
    }
    out["trigger_fail_pct"] = 100.0 * np.mean([r["fail"] for r in rows])
    out["no_trigger"] = int(sum(r["trig"] is None for r in rows))
    for who in ("tb", "ar"):
        ep = (np.array([r[f"p_{who}"] for r in rows], float) - itp) / FS
        es = (np.array([r[f"s_{who}"] for r in rows], float) - its) / FS
        out[who] = {
            "P<=0.1": score(ep, 0.1), "P<=0.5": score(ep, 0.5),
            "S<=0.5": score(es, 0.5), "S<=1.0": score(es, 1.0),
            "P_median_abs_s": float(np.nanmedian(np.abs(ep))),
            "P_median_s": float(np.nanmedian(ep)),
            "S_median_abs_s": float(np.nanmedian(np.abs(es))),
            "S<=0.5_3C": score(es[[r["horiz"] for r in rows]], 0.5),
        }  # fmt: skip
        out[who]["_ep"] = ep
        out[who]["_es"] = es
    ok = ~np.array([r["fail"] for r in rows])
    out["tb"]["P<=0.1_triggered"] = score(out["tb"]["_ep"][ok], 0.1)
    out["tb"]["P<=0.5_triggered"] = score(out["tb"]["_ep"][ok], 0.5)
    ep, dt = out["tb"]["_ep"], np.array([r["dt_tb"] for r in rows], float)
    good = ok & (np.abs(np.nan_to_num(ep, nan=9.0)) <= 0.5)
    zz = np.abs(ep[good]) / dt[good]
    out["tb"]["deltim_median_s"] = float(np.median(dt[good]))
    out["tb"]["abs_err_over_deltim_median"] = float(np.median(zz))
    out["tb"]["within_2_deltim_pct"] = 100.0 * float(np.mean(zz <= 2.0))
    out["rows"] = rows
    return out


def markdown(res: dict) -> str:
    tb, ar = res["tb"], res["ar"]
    lines = [
        f"`.venv/bin/python bench/onset_picks.py --seed {res['seed']} --trigger "
        f"{res['trigger']}` — {res['windows']} windows, 60 s crops at random offsets",
        "",
        "| picker | P ≤ 0.1 s | P ≤ 0.5 s | S ≤ 0.5 s | S ≤ 1.0 s | S ≤ 0.5 s (3-C only) "
        "| median P error (s) | CPU s |",
        "|---|---|---|---|---|---|---|---|",
        f"| testban | {tb['P<=0.1']:.0f} % | {tb['P<=0.5']:.0f} % | {tb['S<=0.5']:.0f} % | "
        f"{tb['S<=1.0']:.0f} % | {tb['S<=0.5_3C']:.0f} % | {tb['P_median_s']:+.3f} | "
        f"{res['cpu_testban_s']:.2f} |",
        f"| ObsPy ar_pick | {ar['P<=0.1']:.0f} % | {ar['P<=0.5']:.0f} % | {ar['S<=0.5']:.0f} % | "
        f"{ar['S<=1.0']:.0f} % | {ar['S<=0.5_3C']:.0f} % | {ar['P_median_s']:+.3f} | "
        f"{res['cpu_ar_pick_s']:.2f} |",
        "",
        f"Trigger failures (none, or > 3 s late / > 1 s early): {res['trigger_fail_pct']:.1f} % "
        f"({res['no_trigger']} without trigger); testban P on triggered windows: "
        f"{tb['P<=0.1_triggered']:.0f} % / {tb['P<=0.5_triggered']:.0f} %.",
        f"testban P deltim (triggered, |error| ≤ 0.5 s): median {tb['deltim_median_s']:.3f} s, "
        f"median |error|/deltim {tb['abs_err_over_deltim_median']:.2f} (0.67 if calibrated "
        f"against the analysts), {tb['within_2_deltim_pct']:.0f} % within 2 deltim.",
    ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--trigger", choices=("detector", "vertical", "standin"), default="detector")
    ap.add_argument("--worst", type=int, default=0, help="list the N worst P picks")
    args = ap.parse_args()
    if not args.data.exists():
        print(f"reference data not found at {args.data}; nothing to do")
        return 0
    res = run(args.data, args.seed, args.trigger)
    if args.worst:
        ep, es = res["tb"]["_ep"], res["tb"]["_es"]
        for i in np.argsort(-np.nan_to_num(np.abs(ep), nan=99))[: args.worst]:
            r = res["rows"][i]
            print(f"{r['name']:40s} P {ep[i]:+7.2f} S {es[i]:+7.2f} trig {r['trig']} "
                  f"itp {r['itp']} its {r['its']} 3C {r['horiz']}")  # fmt: skip
    if args.json:
        slim = {k: v for k, v in res.items() if k != "rows"}
        for who in ("tb", "ar"):
            slim[who] = {k: v for k, v in res[who].items() if not k.startswith("_")}
        print(json.dumps(slim, indent=1))
    else:
        print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
