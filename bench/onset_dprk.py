"""DPRK regional onsets (issue 3): testban's refined first-P onsets against reference Pn times.

Data: ``dprk_regional/<origin>/`` — BHZ, 20 Hz, displacement, origin ±3600 s, for the
six DPRK tests and the 2017-09-03 03:38:31 collapse. Reference: the cross-correlation
aligned Pn times at MDJ in ``relative_location/DPRK_dataset/DPRK_CC_times.txt`` for
DPRK1–4; each event's reference is the median of its times over the pairs among DPRK1–4
(six per event; they scatter by up to 0.4 s). The collapse is scored against its
catalogue origin + 53.3 s (the tests' MDJ travel time).

Trigger (both chains, no use of any reference time): the data from the catalogue origin
−600 s to +300 s; the first trigger at or after the origin.

* testban: causal 4th-order 2–8 Hz Butterworth, recursive STA/LTA (1 s / 30 s), on at
  3.5, then ``refine_onset(raw, 20, trigger)``.
* plain ObsPy chain (the peer): ``Trace.filter("bandpass", 1, 5)`` (causal, 4 corners),
  ``recursive_sta_lta`` (1 s / 30 s), ``trigger_onset(3.5, 1.0)``; the trigger-on time is
  the pick.

All stations with ≥ 10 Hz data are listed (onset − origin); only MDJ has a reference.

Usage: ``python bench/onset_dprk.py [--data DIR]``. Exits 0 with a notice when absent.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import obspy
from obspy import UTCDateTime
from obspy.signal.trigger import recursive_sta_lta, trigger_onset
from scipy.signal import butter, sosfilt

from testban.onset import refine_onset

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
EVENTS = {  # folder -> name
    "20061009013528000": "DPRK1",
    "20090525005443000": "DPRK2",
    "20130212025751000": "DPRK3",
    "20160106013000000": "DPRK4",
    "20160909003001000": "DPRK5",
    "20170903033001000": "DPRK6",
    "20170903033831000": "collapse",
}
COLLAPSE_MDJ_TT = 53.3  # s
PRE, POST = 600.0, 300.0  # s of data around the origin
STA, LTA, THR = 1.0, 30.0, 3.5


def reference_pn(path: Path) -> dict[str, UTCDateTime]:
    """Median MDJ Pn time per event over the pairs among DPRK1–4."""
    times: dict[str, list[float]] = {}
    wanted = {"DPRK1", "DPRK2", "DPRK3", "DPRK4"}
    for line in path.read_text().splitlines():
        f = line.split()
        if len(f) < 6 or f[4] != "MDJ" or not {f[0], f[1]} <= wanted:
            continue
        times.setdefault(f[0], []).append(UTCDateTime(f[2]).timestamp)
        times.setdefault(f[1], []).append(UTCDateTime(f[3]).timestamp)
    return {k: UTCDateTime(float(np.median(v))) for k, v in times.items()}


def origin_of(folder: str) -> UTCDateTime:
    return UTCDateTime.strptime(folder[:14], "%Y%m%d%H%M%S") + int(folder[14:]) / 1000.0


def first_trigger(cft: np.ndarray, i0: int, thr: float = THR) -> int | None:
    """First sample at or after ``i0`` where ``cft`` rises above ``thr``."""
    above = np.flatnonzero(cft[i0:] > thr)
    return i0 + int(above[0]) if above.size else None


def testban_pick(tr: obspy.Trace, origin: UTCDateTime) -> tuple[float | None, float, float]:
    """(onset − origin (s), deltim, snr) from testban's trigger + ``refine_onset``."""
    fs = tr.stats.sampling_rate
    x = tr.data.astype(np.float64)
    sos = butter(4, [2.0 / (0.5 * fs), min(8.0, 0.4 * fs) / (0.5 * fs)], "bandpass", output="sos")
    cft = recursive_sta_lta(sosfilt(sos, x - x.mean()), int(STA * fs), int(LTA * fs))
    i0 = int(round((origin - tr.stats.starttime) * fs))
    trig = first_trigger(cft, i0)
    if trig is None:
        return None, np.nan, np.nan
    on = refine_onset(x, fs, trig)
    return (tr.stats.starttime + on.index / fs) - origin, on.deltim, on.snr


def obspy_pick(tr: obspy.Trace, origin: UTCDateTime) -> float | None:
    """onset − origin (s) of the plain ObsPy chain."""
    fs = tr.stats.sampling_rate
    t = tr.copy()
    t.detrend("demean")
    t.filter("bandpass", freqmin=1.0, freqmax=5.0)
    cft = recursive_sta_lta(t.data, int(STA * fs), int(LTA * fs))
    i0 = int(round((origin - tr.stats.starttime) * fs))
    on = trigger_onset(cft, THR, 1.0)
    later = [a for a, _ in on if a >= i0] if len(on) else []
    if not later:
        return None
    return (tr.stats.starttime + later[0] / fs) - origin


def run(data_dir: Path) -> tuple[list[dict], dict[str, UTCDateTime]]:
    ref = reference_pn(SHARED / "relative_location" / "DPRK_dataset" / "DPRK_CC_times.txt")
    rows = []
    warnings.filterwarnings("ignore", message="Sample spacing read from SAC")
    for folder, name in EVENTS.items():
        origin = origin_of(folder)
        for f in sorted((data_dir / folder).glob("*.BHZ.sac")):
            tr = obspy.read(str(f))[0]
            if tr.stats.sampling_rate < 10.0:  # LH-like channels: no short-period onset
                continue
            tr.trim(origin - PRE, origin + POST)
            sta = f"{tr.stats.network}.{tr.stats.station}.{tr.stats.location}"
            tb, deltim, snr = testban_pick(tr, origin)
            rows.append(
                dict(event=name, origin=origin, station=sta, tb=tb, deltim=deltim, snr=snr,
                     obspy=obspy_pick(tr, origin), dist_km=float(tr.stats.sac.get("dist", np.nan)))
            )  # fmt: skip
    return rows, ref


def fmt(v: float | None) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:.2f}"


def markdown(rows: list[dict], ref: dict[str, UTCDateTime]) -> str:
    out = [
        "`.venv/bin/python bench/onset_dprk.py` — MDJ (IC.MDJ.00) first-P onsets against the "
        "median cross-correlation Pn times (DPRK1–4) and the collapse's origin + 53.3 s",
        "",
        "| event | reference − origin (s) | testban error (s) | deltim (s) | SNR "
        "| ObsPy chain error (s) |",
        "|---|---|---|---|---|---|",
    ]
    err_tb, err_op = [], []
    for r in rows:
        if r["station"] != "IC.MDJ.00":
            continue
        if r["event"] in ref:
            t_ref = ref[r["event"]] - r["origin"]
        elif r["event"] == "collapse":
            t_ref = COLLAPSE_MDJ_TT
        else:
            continue
        e_tb = None if r["tb"] is None else r["tb"] - t_ref
        e_op = None if r["obspy"] is None else r["obspy"] - t_ref
        if r["event"] in ref:
            err_tb.append(np.inf if e_tb is None else abs(e_tb))
            err_op.append(np.inf if e_op is None else abs(e_op))
        out.append(
            f"| {r['event']} | {t_ref:.2f} | {fmt(e_tb)} | {fmt(r['deltim'])} | "
            f"{fmt(r['snr'])} | {fmt(e_op)} |"
        )
    out += [
        "",
        f"Median |error| DPRK1–4 at MDJ: testban **{np.median(err_tb):.3f} s**, plain ObsPy "
        f"chain {np.median(err_op):.3f} s.",
        "",
        "All stations, onset − origin (s), testban / ObsPy chain:",
        "",
    ]
    stations = sorted({r["station"] for r in rows})
    out.append("| station | " + " | ".join(EVENTS.values()) + " |")
    out.append("|---|" + "---|" * len(EVENTS))
    for s in stations:
        cells = []
        for ev in EVENTS.values():
            r = next((r for r in rows if r["station"] == s and r["event"] == ev), None)
            cells.append("" if r is None else f"{fmt(r['tb'])} / {fmt(r['obspy'])}")
        out.append(f"| {s} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=SHARED / "dprk_regional")
    args = ap.parse_args()
    if not args.data.exists():
        print(f"reference data not found at {args.data}; nothing to do")
        return 0
    rows, ref = run(args.data)
    print(markdown(rows, ref))
    return 0


if __name__ == "__main__":
    sys.exit(main())
