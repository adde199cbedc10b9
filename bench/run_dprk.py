"""`testban run` on raw regional waveforms of the DPRK tests: are the events found and located?

    .venv/bin/python bench/run_dprk.py

For each folder of `dprk_regional/` (SAC, vertical channels of ~9 stations, one event
each), the whole chain runs with its defaults (detect → associate → locate → store) over
the folder's span, with station coordinates from the folders' `station_file.txt`
(no elevations). Events are compared with Yang et al. (2021) for DPRK1–5 and with the
published origin time at the test site for 2017-09-03 and its collapse.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from pathlib import Path

from obspy import UTCDateTime

from testban.network import read_network
from testban.pipeline.run import run_pipeline, sources_from_paths
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
    path = out / "stations.csv"
    path.write_text(
        "sta,lat,lon,elev\n" + "".join(f"{s},{a},{b},0\n" for s, (a, b) in rows.items())
    )
    return path


def main() -> int:
    if not REGIONAL.is_dir():
        print(f"skip: {REGIONAL} not found")
        return 0
    ref = references()
    print(f"{time.strftime('%Y-%m-%d')}: testban run on {REGIONAL}")
    print("folder | events | nearest reference | Δ km | Δt s | depth km (dtype) | ndef")
    with tempfile.TemporaryDirectory() as tmp:
        network, _ = read_network(stations_csv(Path(tmp)))
        found, cpu = 0, 0.0
        for folder in sorted(p for p in REGIONAL.iterdir() if p.is_dir()):
            db = Path(tmp) / f"{folder.name}.sqlite"
            c0 = time.process_time()
            with open_store(db) as store:
                run_pipeline(sources_from_paths([folder]), network, store)
                with store.session() as s:
                    origins = read_rows(s, "origin")
            cpu += time.process_time() - c0
            t_folder = UTCDateTime.strptime(folder.name[:14], "%Y%m%d%H%M%S").timestamp
            name, (rlat, rlon, rt) = min(ref.items(), key=lambda kv: abs(kv[1][2] - t_folder))
            if not origins:
                print(f"{folder.name} | 0 | {name} | – | – | – | –")
                continue
            best = min(origins, key=lambda o: abs(o.time - rt))
            d, _, _ = distance_azimuth(best.lat, best.lon, rlat, rlon)
            km = float(d) * 111.195
            ok = km < 50 and abs(best.time - rt) < 10
            found += ok
            print(
                f"{folder.name} | {len(origins)} | {name} | {km:5.1f} | "
                f"{best.time - rt:+5.1f} | {best.depth:6.1f} ({best.dtype}) | {best.ndef}"
            )
        print(f"found within 50 km and 10 s: {found} of 7; {cpu:.1f} CPU s in all")
    return 0 if not math.isnan(cpu) else 1


if __name__ == "__main__":
    sys.exit(main())
