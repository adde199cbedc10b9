"""Continuous days: CMAR (array, beams) and DK.COP — detections, false alarms, speed.

testban: :func:`~testban.detect.detect_paths` end to end (decode, QC, beams, filter bank,
STA/LTA, onset refinement, f-k / polarisation, A5/2), streaming 1-h windows. Plain ObsPy
chain in the same run: ``obspy.read`` + ``merge``, 1–5 Hz band-pass, ``recursive_sta_lta``
(1 s / 30 s), ``trigger_onset`` (3.5 / 1.0) per vertical channel, and for CMAR
``coincidence_trigger`` (≥ 8 of 18 SHZ elements). Times are CPU seconds
(``time.process_time``); channel-days are counted over every decoded channel (sum of trace
durations / 86400). Catalogue check: M ≥ 5.5 events of ``catalogs/usgs_significant_*``
from 2 h before the day to its end, first P predicted (iasp91) at the station, matched
within ±10 s.

Usage: ``python bench/detect_continuous.py [--data DIR] [--only cmar|cop]``.
"""

from __future__ import annotations

import argparse
import collections
import csv
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import obspy
from obspy import UTCDateTime
from obspy.signal.trigger import coincidence_trigger, recursive_sta_lta, trigger_onset

from testban.detect import detect_paths
from testban.traveltime import travel_times
from testban.traveltime.geometry import distance_azimuth

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
SITES = {
    "cmar": ("arrays/cmar_20050511", "stations/array_geometry/CMAR.geom", "CMAR", 18.4575, 98.9429),
    "cop": ("continuous/cop_20090219", None, "COP", 55.6853, 12.4325),
}


def catalogue_p(data: Path, day: UTCDateTime, lat: float, lon: float) -> list[float]:
    """Predicted first-P times (epoch s) of M≥5.5 catalogue events near the day."""
    path = next((data / "catalogs" / "usgs_significant_1965_2016").glob("*.csv"))
    out = []
    tt = travel_times()
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            try:
                t = UTCDateTime.strptime(f"{r['Date']} {r['Time']}", "%m/%d/%Y %H:%M:%S")
            except ValueError:
                continue
            if not (day - 7200 <= t < day + 86400):
                continue
            d, _a, _b = distance_azimuth(float(r["Latitude"]), float(r["Longitude"]), lat, lon)
            pred, _ = tt.first_arrival(float(d), float(r["Depth"] or 0.0))
            if np.isfinite(pred.time) and day <= t + float(pred.time) < day + 86400:
                out.append(t.timestamp + float(pred.time))
    return out


def plain(files: list[Path], array: bool) -> dict:
    t0 = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = obspy.Stream()
        for f in files:
            try:
                st += obspy.read(str(f), format="GSE2") if array else obspy.read(str(f))
            except Exception:  # noqa: BLE001 - the plain chain skips what it cannot read
                continue
        st.merge(method=1, fill_value=0)
    days = sum(tr.stats.npts / tr.stats.sampling_rate for tr in st) / 86400.0
    trig, zst = 0, obspy.Stream()
    nz = 0
    for tr in st:
        if not tr.stats.channel.endswith("Z") or tr.stats.sampling_rate < 10:
            continue
        nz += 1
        t = tr.copy()
        t.detrend("demean")
        t.filter("bandpass", freqmin=1.0, freqmax=5.0, corners=4)
        fs = t.stats.sampling_rate
        cf = recursive_sta_lta(t.data, int(fs), int(30 * fs))
        trig += len(trigger_onset(cf, 3.5, 1.0))
        if tr.stats.channel == "SHZ":
            zst += t
    cpu = time.process_time() - t0
    coinc = None
    if array and len(zst):
        coinc = len(coincidence_trigger("recstalta", 3.5, 1.0, zst, 8, sta=1.0, lta=30.0))
    return dict(cpu=cpu, days=days, triggers=trig, vertical=nz, coinc=coinc)


def run(name: str, data: Path) -> None:
    folder, meta, sta, lat, lon = SITES[name]
    wdir = data / folder
    if not wdir.is_dir():
        print(f"{wdir} absent; skipped")
        return
    files = sorted(p for p in wdir.iterdir() if p.is_file() and not p.name.startswith("."))
    with tempfile.TemporaryDirectory() as out:
        t0 = time.process_time()
        _paths, problems = detect_paths([wdir], data / meta if meta else None, out)
        cpu = time.process_time() - t0
        rows = list(csv.DictReader(open(Path(out) / "arrival.csv", newline="")))
    base = plain(files, array=name == "cmar")
    times = np.array(sorted(float(r["time"]) for r in rows))
    day = UTCDateTime(UTCDateTime(times[0]).date) if len(times) else None
    per_hour = collections.Counter(int((t - day.timestamp) // 3600) for t in times)
    preds = catalogue_p(data, day, lat, lon) if day else []
    matched = sum(any(abs(times - p) <= 10.0) for p in preds)
    by_sta = collections.Counter(r["sta"] for r in rows)
    phases = collections.Counter(r["iphase"] for r in rows)
    severe = collections.Counter(p.severity for p in problems)
    print(f"### {sta} {day.date if day else ''}: testban.detect vs plain ObsPy chain\n")
    print(f"Command: `python bench/detect_continuous.py --only {name}`\n")
    print("| | testban | plain ObsPy |")
    print("|---|---:|---:|")
    print(
        f"| detections (day) | {len(rows)} ({dict(by_sta)}) | {base['triggers']} triggers on "
        f"{base['vertical']} verticals ({base['triggers'] / max(base['vertical'], 1):.0f} "
        "per channel-day) |"
    )
    if base["coinc"] is not None:
        print(
            f"| array-wide | {by_sta.get(sta, 0)} beam detections | {base['coinc']} "
            "coincidences ≥ 8/18 |"
        )
    hourly = [per_hour.get(h, 0) for h in range(24)]
    print(
        f"| detections per hour (min / median / max) | {min(hourly)} / "
        f"{int(np.median(hourly))} / {max(hourly)} | |"
    )
    print(f"| catalogue first-P (M≥5.5) matched | {matched}/{len(preds)} | |")
    print(f"| CPU s | {cpu:.1f} | {base['cpu']:.1f} |")
    print(f"| channel-days / CPU s | {base['days'] / cpu:.1f} | {base['days'] / base['cpu']:.1f} |")
    print(
        f"| ratio testban / plain | {(base['days'] / cpu) / (base['days'] / base['cpu']):.2f} | 1 |"
    )
    print(f"\ninitial phases: {dict(phases)}; problems: {dict(severe)}")
    print("hourly: " + " ".join(str(per_hour.get(h, 0)) for h in range(24)) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=SHARED)
    ap.add_argument("--only", choices=sorted(SITES))
    args = ap.parse_args()
    for name in [args.only] if args.only else sorted(SITES):
        run(name, args.data)


if __name__ == "__main__":
    main()
