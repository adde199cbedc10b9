"""`testban run` on raw regional waveforms of the DPRK tests: are the events found and located?

    .venv/bin/python bench/run_dprk.py

For each folder of `dprk_regional/` (SAC, vertical channels of ~9 stations, origin ±
3600 s), the whole chain runs with its defaults (detect → associate → locate → store) over
the folder's span, with station coordinates from the folders' `station_file.txt`, or
from the SAC headers for a station not listed there (no elevations). Events are compared
with Yang et al. (2021) for DPRK1–5 and with the published origin time at the test site
for 2017-09-03 and its collapse; every reference inside a folder's span is scored there
(both 2017 folders hold the test and the collapse), and every event matching none is
listed (a duplicate or a false event).
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from pathlib import Path

from obspy import UTCDateTime, read

from testban.network import read_network
from testban.pipeline.run import run_pipeline, sources_from_paths
from testban.records.earth import KM_PER_DEG
from testban.store import open_store, read_rows
from testban.traveltime import distance_azimuth

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
REGIONAL = SHARED / "dprk_regional"
YANG = SHARED / "relative_location" / "DPRK_dataset" / "Yang_etal_initial_locations.txt"
#: Punggye-ri (as for DPRK1-5) with the 2017 test and collapse origin times (USGS).
SITE = (41.30, 129.07)
EXTRA = {"DPRK6": "2017-09-03T03:30:01.6", "collapse": "2017-09-03T03:38:31.0"}


def references() -> dict[str, tuple[float, float, float]]:
    ref = {}
    for line in YANG.read_text().splitlines():
        t, lat, lon, ev = line.split()[:4]
        ref[ev] = (float(lat), float(lon), UTCDateTime(t).timestamp)
    for ev, t in EXTRA.items():
        ref[ev] = (*SITE, UTCDateTime(t).timestamp)
    return ref


def stations_csv(out: Path) -> Path:
    rows = {}
    for f in sorted(REGIONAL.glob("*/station_file.txt")):
        for line in f.read_text().split("\n"):
            parts = line.split()
            if len(parts) >= 4:
                rows[parts[0]] = (parts[2], parts[3])
    # Stations of folders without a station file (e.g. KG.CHNB in 2013): SAC headers.
    for f in sorted(REGIONAL.glob("*/*.sac")):
        sta = f.name.split(".")[2]
        if sta not in rows:
            h = read(str(f), headonly=True)[0].stats.sac
            rows[sta] = (f"{h.stla:.4f}", f"{h.stlo:.4f}")
    path = out / "stations.csv"
    path.write_text(
        "sta,lat,lon,elev\n" + "".join(f"{s},{a},{b},0\n" for s, (a, b) in rows.items())
    )
    return path


#: A reference is matched by an origin within these (km, s): far wider than the goal
#: (10 km, 2 s), narrower than the 8.5 min between the 2017 test and its collapse.
MATCH_KM, MATCH_S = 50.0, 10.0
#: The figure to reach (issue 11): km, s, and depth (km) fixed or resolved within 0-5 km.
GOAL_KM, GOAL_S, GOAL_DEPTH = 10.0, 2.0, 5.0


def main() -> int:
    if not REGIONAL.is_dir():
        print(f"skip: {REGIONAL} not found")
        return 0
    ref = references()
    print(f"{time.strftime('%Y-%m-%d')}: testban run on {REGIONAL}")
    print(
        "Every reference whose origin time lies in a folder's span (origin ± 3600 s: the "
        "2017 folders hold both the test and the collapse) is scored in that folder.\n"
    )
    print("folder | reference | events matched | Δ km | Δt s | depth km (dtype) | ndef | goal")
    print("|---|---|---|---|---|---|---|---|")
    per_ref: dict[str, list[tuple[int, bool]]] = {}
    extra, cpu = 0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        network, _ = read_network(stations_csv(Path(tmp)))
        for folder in sorted(p for p in REGIONAL.iterdir() if p.is_dir()):
            db = Path(tmp) / f"{folder.name}.sqlite"
            c0 = time.process_time()
            with open_store(db) as store:
                run_pipeline(sources_from_paths([folder]), network, store)
                with store.session() as s:
                    origins = read_rows(s, "origin")
            cpu += time.process_time() - c0
            t_folder = UTCDateTime.strptime(folder.name[:14], "%Y%m%d%H%M%S").timestamp
            inside = {k: v for k, v in ref.items() if abs(v[2] - t_folder) <= 3600.0}
            matched_any = set()
            for name, (rlat, rlon, rt) in sorted(inside.items(), key=lambda kv: kv[1][2]):
                hits = []
                for o in origins:
                    km = float(distance_azimuth(o.lat, o.lon, rlat, rlon)[0]) * KM_PER_DEG
                    if km <= MATCH_KM and abs(o.time - rt) <= MATCH_S:
                        hits.append((km, o))
                matched_any |= {o.orid for _, o in hits}
                if not hits:
                    per_ref.setdefault(name, []).append((0, False))
                    print(f"{folder.name} | {name} | 0 | – | – | – | – | no event")
                    continue
                km, best = min(hits, key=lambda h: h[0])
                dt = best.time - rt
                ok = (
                    len(hits) == 1 and km <= GOAL_KM and abs(dt) <= GOAL_S
                    and 0.0 <= best.depth <= GOAL_DEPTH
                )  # fmt: skip
                per_ref.setdefault(name, []).append((len(hits), ok))
                print(
                    f"{folder.name} | {name} | {len(hits)} | {km:5.1f} | {dt:+5.1f} | "
                    f"{best.depth:5.1f} ({best.dtype}) | {best.ndef} | {'met' if ok else 'not met'}"
                )
            others = [o for o in origins if o.orid not in matched_any]
            extra += len(others)
            for o in others:
                name, (rlat, rlon, rt) = min(ref.items(), key=lambda kv: abs(kv[1][2] - o.time))
                km = float(distance_azimuth(o.lat, o.lon, rlat, rlon)[0]) * KM_PER_DEG
                print(
                    f"{folder.name} | (unmatched: nearest {name}) | – | {km:5.1f} | "
                    f"{o.time - rt:+7.1f} | {o.depth:5.1f} ({o.dtype}) | {o.ndef} | –"
                )
        print()
        formed = sum(all(n > 0 for n, _ok in v) for v in per_ref.values())
        dup = sum(any(n > 1 for n, _ok in v) for v in per_ref.values())
        met = sum(all(ok for _n, ok in v) for v in per_ref.values())
        print(
            f"references: {len(per_ref)}; formed (within {MATCH_KM:g} km and {MATCH_S:g} s) "
            f"in every folder holding them: {formed}; with more than one event: {dup}; "
            f"goal met (one event within {GOAL_KM:g} km, "
            f"{GOAL_S:g} s, depth 0-{GOAL_DEPTH:g} km, in every folder holding it): {met} of "
            f"{len(per_ref)}; other events: {extra}; {cpu:.1f} CPU s in all"
        )
    return 0 if not math.isnan(cpu) else 1


if __name__ == "__main__":
    sys.exit(main())
