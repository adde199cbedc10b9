"""DPRK regional: first P of every event at every station within 1000 km, onset accuracy.

For each folder of ``dprk_regional/`` (six tests and the 2017-09-03 collapse; 20 Hz BHZ
displacement, origin ±3600 s) testban's :func:`~testban.detect.detect_stream` runs on
the whole folder without metadata, and a plain ObsPy chain (1–5 Hz band-pass,
``recursive_sta_lta`` 1 s / 30 s, ``trigger_onset`` 3.5 / 1.0) runs on the same traces.
A station's first P counts as detected when a detection falls within −10/+15 s of the
iasp91 first-P prediction from the event (SAC ``evla/evlo``, depth 0). MDJ onsets are
compared with the cross-correlation-aligned Pn times of DPRK1–4
(``relative_location/DPRK_dataset/DPRK_CC_times.txt``; median over all pairs naming the
event), and the collapse with origin + 53.3 s.

Usage: ``python bench/detect_dprk.py [--data DIR]``; prints BENCHMARKS-ready markdown.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

import numpy as np
from obspy import UTCDateTime
from obspy.signal.trigger import recursive_sta_lta, trigger_onset

from testban.detect import detect_stream
from testban.io.waveforms import read_waveforms
from testban.traveltime import travel_times
from testban.traveltime.geometry import distance_azimuth

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
NAMES = {
    "20061009013528000": "DPRK1",
    "20090525005443000": "DPRK2",
    "20130212025751000": "DPRK3",
    "20160106013000000": "DPRK4",
    "20160909003001000": "DPRK5",
    "20170903033001000": "DPRK6",
    "20170903033831000": "collapse",
}
COLLAPSE_MDJ_TT = 53.3


def cc_reference(path: Path) -> dict[str, float]:
    """Median Pn time at MDJ per event over all CC pairs naming it (epoch s)."""
    times: dict[str, list[float]] = {}
    for line in path.read_text().splitlines():
        p = line.split()
        if len(p) >= 6 and p[4] == "MDJ" and p[5] == "Pn":
            times.setdefault(p[0], []).append(UTCDateTime(p[2]).timestamp)
            times.setdefault(p[1], []).append(UTCDateTime(p[3]).timestamp)
    return {k: float(np.median(v)) for k, v in times.items()}


def plain_chain(tr) -> list[float]:
    """Trigger times (epoch s) of the plain ObsPy chain on one trace."""
    t = tr.copy()
    t.detrend("demean")
    t.filter("bandpass", freqmin=1.0, freqmax=5.0, corners=4)
    fs = t.stats.sampling_rate
    cf = recursive_sta_lta(t.data, int(1 * fs), int(30 * fs))
    return [t.stats.starttime.timestamp + on / fs for on, _ in trigger_onset(cf, 3.5, 1.0)]


def first_in(times: list[float], pred: float) -> float | None:
    hits = [t for t in times if pred - 10.0 <= t <= pred + 15.0]
    return min(hits) if hits else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=SHARED)
    args = ap.parse_args()
    base = args.data / "dprk_regional"
    if not base.is_dir():
        print(f"reference data not found at {base}; nothing to do")
        return
    ref = cc_reference(args.data / "relative_location" / "DPRK_dataset" / "DPRK_CC_times.txt")
    tt = travel_times()
    rows, mdj = [], []
    n_near = n_near_ok = n_near_plain = 0
    for folder in sorted(base.iterdir()):
        name = NAMES.get(folder.name, folder.name)
        origin = UTCDateTime.strptime(folder.name[:14], "%Y%m%d%H%M%S").timestamp
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            files = sorted(folder.glob("*.sac"))
            st, _probs = read_waveforms(files)
        arrivals, _amps, _p = detect_stream(st, None)
        by_sta: dict[str, list[float]] = {}
        for a in arrivals:
            by_sta.setdefault(a.sta, []).append(a.time)
        seen = set()
        for tr in sorted(st, key=lambda t: t.id):
            sta = tr.stats.station
            if sta in seen or tr.stats.sampling_rate < 10 or np.ma.is_masked(tr.data):
                continue
            seen.add(sta)
            sac = tr.stats.sac
            d, _az, _baz = distance_azimuth(sac.evla, sac.evlo, sac.stla, sac.stlo)
            km = float(d) * 111.19
            pred_p, phase = tt.first_arrival(float(d), 0.0)
            pred = origin + float(pred_p.time)
            got = first_in(by_sta.get(sta, []), pred)
            plain = first_in(plain_chain(tr), pred)
            near = km <= 1000.0
            n_near += near
            n_near_ok += near and got is not None
            n_near_plain += near and plain is not None
            rows.append((name, sta, km, str(phase), got, plain, pred))
            if sta == "MDJ":
                truth = ref.get(name)
                if name == "collapse":
                    truth = origin + COLLAPSE_MDJ_TT
                if truth is not None:
                    mdj.append((name, truth, got, plain))
    print("### DPRK regional: first P (testban.detect vs plain ObsPy chain)\n")
    print("Command: `python bench/detect_dprk.py`\n")
    print(
        f"First P within 1000 km detected: testban {n_near_ok}/{n_near}, "
        f"plain ObsPy {n_near_plain}/{n_near}.\n"
    )
    print("| event | station | dist km | phase | testban − pred (s) | plain − pred (s) |")
    print("|---|---|---:|---|---:|---:|")
    for name, sta, km, phase, got, plain, pred in rows:
        g = f"{got - pred:+.2f}" if got is not None else "missed"
        p = f"{plain - pred:+.2f}" if plain is not None else "missed"
        print(f"| {name} | {sta} | {km:.0f} | {phase} | {g} | {p} |")
    print("\nMDJ onset vs reference (DPRK1–4: CC Pn median; collapse: origin + 53.3 s):\n")
    print("| event | testban error (s) | plain error (s) |")
    print("|---|---:|---:|")
    errs, perrs = [], []
    for name, truth, got, plain in mdj:
        g = f"{got - truth:+.3f}" if got is not None else "missed"
        p = f"{plain - truth:+.3f}" if plain is not None else "missed"
        if name != "collapse":
            if got is not None:
                errs.append(abs(got - truth))
            if plain is not None:
                perrs.append(abs(plain - truth))
        print(f"| {name} | {g} | {p} |")
    if errs:
        print(
            f"\nMedian |error| DPRK1–4 at MDJ: testban {np.median(errs):.3f} s, "
            f"plain ObsPy {np.median(perrs) if perrs else float('nan'):.3f} s."
        )


if __name__ == "__main__":
    main()
