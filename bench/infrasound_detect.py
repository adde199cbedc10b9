"""Infrasound detection on real arrays: HRR-5 (8 arrays, known source) and BRP (20 min).

    PYTHONPATH=src TESTBAN_SHARED_DATA=/work/shared/data python bench/infrasound_detect.py

HRR-5 (Humming Roadrunner 5, 2012-08-27, surface explosion at 33.5377 N, 106.333961 W):
per array, the detection of the explosion (the strongest F detection of the record, the
shot being the reason the arrays were there), its back-azimuth against the great-circle
back-azimuth from the array to the source, its trace velocity, and infrapy's detection
(``HRR-5.dets.json``, Bartlett F) of the same array side by side. BRP (4 elements, 100 Hz,
20 min, counts): all detections and the CPU time against the data's duration. The
station metadata are built from the SAC headers (each folder is an array).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from obspy import Stream, UTCDateTime, read

from testban.detect.config import InfrasoundConfig
from testban.detect.infrasound import infrasound_detections
from testban.network import Network, Station
from testban.traveltime.geometry import distance_azimuth

SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", "/work/shared/data"))
HRR5 = SHARED / "infrasound" / "hrr5_100hz"
INFRAPY = SHARED / "infrasound" / "infrapy_examples" / "data"
SOURCE = (33.5377, -106.333961)


def array_from_sac(folder: Path, array: str) -> tuple[Stream, Network]:
    """The traces of a folder and a network with its elements as one array."""
    st = Stream()
    for f in sorted(folder.glob("*.[sS][aA][cC]")):
        st += read(str(f))
    stations = [
        Station(
            array,
            float(np.mean([tr.stats.sac.stla for tr in st])),
            float(np.mean([tr.stats.sac.stlo for tr in st])),
            statype="ar",
        )
    ]
    for tr in st:
        stations.append(
            Station(
                tr.stats.station, float(tr.stats.sac.stla), float(tr.stats.sac.stlo), refsta=array
            )
        )
    return st, Network(stations)


def hrr5(cfg: InfrasoundConfig) -> list[dict]:
    infrapy = {d["Name"]: d for d in json.loads((INFRAPY / "HRR-5.dets.json").read_text())}
    rows = []
    for folder in sorted(p for p in HRR5.iterdir() if p.is_dir()):
        arr = folder.name
        st, net = array_from_sac(folder, arr)
        lat, lon = net.reference(arr)
        dist, _az, baz = distance_azimuth(SOURCE[0], SOURCE[1], lat, lon, geocentric=False)
        dist_km = float(dist) * 111.19
        t0 = time.process_time()
        dets, _probs = infrasound_detections(st, net, cfg)
        cpu = time.process_time() - t0
        dur = max(tr.stats.endtime - tr.stats.starttime for tr in st)
        best = max(dets, key=lambda d: d.fstat, default=None)
        ref = infrapy.get(arr)
        row = dict(
            array=arr,
            n=len(st),
            dist_km=dist_km,
            true_baz=float(baz),
            ndet=len(dets),
            cpu=cpu,
            dur=dur,
            best=best,
            infrapy=ref,
            dets=dets,
        )
        rows.append(row)
    return rows


def brp(cfg: InfrasoundConfig) -> tuple[list, float, float]:
    st = Stream()
    for f in sorted(INFRAPY.glob("YJ.BRP*..EDF.SAC")):
        st += read(str(f))
    stations = [
        Station(
            "BRP",
            float(np.mean([tr.stats.sac.stla for tr in st])),
            float(np.mean([tr.stats.sac.stlo for tr in st])),
            statype="ar",
        )
    ]
    stations += [
        Station(tr.stats.station, float(tr.stats.sac.stla), float(tr.stats.sac.stlo), refsta="BRP")
        for tr in st
    ]
    t0 = time.process_time()
    dets, _ = infrasound_detections(st, Network(stations), cfg)
    cpu = time.process_time() - t0
    dur = max(tr.stats.endtime - tr.stats.starttime for tr in st)
    return dets, cpu, dur


def _same(row: dict) -> bool:
    """infrapy's peak-F time falls within testban's detection (± 30 s)."""
    t = float(UTCDateTime(row["infrapy"]["Peak F-Stat Time (UTC)"]))
    return row["best"].time - 30 <= t <= row["best"].end + 30


def _d(a: float, b: float) -> float:
    return (a - b + 180.0) % 360.0 - 180.0


def main() -> int:
    if not HRR5.is_dir():
        print(f"no data under {HRR5}", file=sys.stderr)
        return 1
    # HRR-5 SAC samples are pressure in Pa (infrapy's examples treat them so)
    cfg = InfrasoundConfig(assume_units="Pa")
    rows = hrr5(cfg)
    print("## HRR-5: the explosion per array (strongest F detection)\n")
    print(
        "| array | elem | dist km | true baz | testban baz ± σ | Δbaz | v km/s | F | coh | "
        "onset | dur s | p2p Pa | f Hz | method | infrapy peak | infrapy baz | Δbaz | "
        "infrapy v | Δ(testban−infrapy) baz, v |"
    )
    print("|" + "---|" * 19)
    for r in rows:
        b, ref = r["best"], r["infrapy"]
        if b is None:
            print(
                f"| {r['array']} | {r['n']} | {r['dist_km']:.0f} | {r['true_baz']:.1f} | "
                "no detection |" + " |" * 14
            )
            continue
        s = (
            f"| {r['array']} | {r['n']} | {r['dist_km']:.0f} | {r['true_baz']:.1f} | "
            f"{b.azimuth:.1f} ± {b.delaz:.1f} | {_d(b.azimuth, r['true_baz']):+.1f} | "
            f"{b.velocity:.3f} | {b.fstat:.1f} | {b.coherence:.2f} | "
            f"{UTCDateTime(b.time).strftime('%H:%M:%S')} | {b.duration:.0f} | {b.p2p:.2f} | "
            f"{b.freq:.2f} | {b.method} |"
        )
        if ref:
            rv = ref["Trace Velocity (m/s)"] / 1000
            s += (
                f" {ref['Peak F-Stat Time (UTC)'][11:]} | {ref['Back Azimuth']:.0f} | "
                f"{_d(ref['Back Azimuth'], r['true_baz']):+.1f} | {rv:.3f} | "
                f"{_d(b.azimuth, ref['Back Azimuth']):+.1f}°, {b.velocity - rv:+.3f} |"
            )
        else:
            s += " — | — | — | — | — |"
        print(s)
    print("\n## HRR-5: all detections\n")
    for r in rows:
        for d in r["dets"]:
            print(
                f"{r['array']} {UTCDateTime(d.time)} dur {d.duration:5.0f} baz {d.azimuth:6.1f} "
                f"v {d.velocity:.3f} F {d.fstat:6.1f} thr {d.threshold:5.2f} coh "
                f"{d.coherence:.2f} band {d.band} {d.method} npix {d.npix}"
            )
    within = sum(
        1 for r in rows if r["best"] is not None and abs(_d(r["best"].azimuth, r["true_baz"])) <= 3
    )
    matched = [r for r in rows if r["infrapy"] and r["best"] is not None and _same(r)]
    cpu = sum(r["cpu"] for r in rows)
    dur = sum(r["dur"] for r in rows)
    print(
        f"\nHRR-5: {within}/{len(rows)} arrays within 3° of the true back-azimuth; "
        f"{len(matched)}/{sum(1 for r in rows if r['infrapy'])} infrapy detections matched "
        f"(peak F time within the detection ± 30 s); CPU {cpu:.1f} s for {dur:.0f} s of array data "
        f"({dur / max(cpu, 1e-9):.0f}× real time)"
    )
    if matched:
        daz = [_d(r["best"].azimuth, r["infrapy"]["Back Azimuth"]) for r in matched]
        dv = [r["best"].velocity - r["infrapy"]["Trace Velocity (m/s)"] / 1000 for r in matched]
        print(
            f"testban − infrapy: baz mean {np.mean(daz):+.1f}°, "
            f"max |Δ| {np.max(np.abs(daz)):.1f}°; "
            f"v mean {np.mean(dv):+.3f} km/s, max |Δ| {np.max(np.abs(dv)):.3f} km/s"
        )
    dets, cpu, dur = brp(InfrasoundConfig())
    print(
        f"\n## BRP (4 elements, {dur:.0f} s): {len(dets)} detections, CPU {cpu:.1f} s "
        f"({dur / max(cpu, 1e-9):.0f}× real time)\n"
    )
    for d in dets:
        print(
            f"BRP {UTCDateTime(d.time)} dur {d.duration:5.0f} baz {d.azimuth:6.1f} ± "
            f"{d.delaz:.1f} v {d.velocity:.3f} F {d.fstat:6.1f} thr {d.threshold:5.2f} coh "
            f"{d.coherence:.2f} p2p {d.p2p:.0f} {d.units} f {d.freq:.2f} {d.band} {d.method} "
            f"npix {d.npix}"
        )
    print("(infrapy ships no BRP detection file to compare with.)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
