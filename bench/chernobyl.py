"""Chernobyl 1986 I-131 (issue 13): the series loaded into the store, and the arrival front.

    PYTHONPATH=src python bench/chernobyl.py [--threshold 0] [--store out/chernobyl.sqlite]

Reads ``radionuclide/chernobyl_air_1986/Chernobyl_Chemical_Radiation.csv`` (JRC REM data:
daily I-131 air concentrations at European sites), stores it in ``gards_air_conc`` twice
over (the second load must leave the row count unchanged), and prints the arrival front:
per site, the first sample above ``--threshold`` Bq/m³ against the great-circle distance
from Chernobyl (51.39 N, 30.10 E; release 1986-04-25 21:23:40 UTC), with the apparent
transport speed (distance / delay to the middle of the first detecting day) and the
direction from Chernobyl (the plume went north-west first, then south and west).

The source swaps latitude and longitude for some sites (e.g. PRAHA at 14.42 N 50.08 E, in
the Gulf of Aden). Every site of this data set is in Europe (35–72 N, 25 W–45 E): a site
outside that box whose swapped coordinates fall inside it is corrected here, and listed;
the loader itself keeps the file as it is.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from testban.io.spectra import read_air_concentrations
from testban.radionuclide.arrival import CHERNOBYL, apparent_speed, arrival_front
from testban.store import count_rows, open_store, store_air_concentrations

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
CSV = DATA / "radionuclide" / "chernobyl_air_1986" / "Chernobyl_Chemical_Radiation.csv"


EUROPE = ((35.0, 72.0), (-25.0, 45.0))  # lat, lon box of the data set's sites


def _inside(lat: float, lon: float) -> bool:
    return EUROPE[0][0] <= lat <= EUROPE[0][1] and EUROPE[1][0] <= lon <= EUROPE[1][1]


def _azimuth(lat: float, lon: float) -> float:
    """Direction (deg from north) from Chernobyl to the site."""
    p1, p2 = math.radians(CHERNOBYL.lat), math.radians(lat)
    dl = math.radians(lon - CHERNOBYL.lon)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def _day(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%m-%d")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threshold", type=float, default=0.0, help="Bq/m³; first sample above it")
    ap.add_argument("--store", default="", help="SQLite file (default: a temporary one)")
    args = ap.parse_args()
    problems: list = []
    rows = read_air_concentrations(CSV, problems)
    sites = {r.location for r in rows}
    swapped = sorted(
        {r.location for r in rows if not _inside(r.lat, r.lon) and _inside(r.lon, r.lat)}
    )
    rows = [
        dataclasses.replace(r, lat=r.lon, lon=r.lat) if r.location in swapped else r for r in rows
    ]
    print(f"- latitude/longitude swapped in the source, corrected: {', '.join(swapped) or 'none'}")
    print(f"- read {len(rows)} I-131 samples at {len(sites)} sites, {len(problems)} problems")
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.store or Path(tmp) / "c.sqlite")
        for _ in range(2):
            with store.session() as s:
                store_air_concentrations(s, rows)
        with store.session() as s:
            print(
                f"- stored in gards_air_conc (loaded twice): {count_rows(s, 'gards_air_conc')} rows"
            )
        store.close()
    front = arrival_front(rows, CHERNOBYL, threshold=args.threshold)
    speed = apparent_speed(front, CHERNOBYL)
    print(f"\nFirst detection above {args.threshold:g} Bq/m³ against distance from Chernobyl:\n")
    print("| site | lat | lon | km | azimuth ° | first day (1986) | I-131 Bq/m³ | apparent km/h |")
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for p in front:
        v = p.distance_km / ((p.time - CHERNOBYL.time) / 3600.0)
        az = _azimuth(p.lat, p.lon)
        print(f"| {p.location} | {p.lat:.2f} | {p.lon:.2f} | {p.distance_km:.0f} | {az:.0f} | "
              f"{_day(p.first_start)} | {p.conc:.3g} | {v:.1f} |")  # fmt: skip
    # the front by distance band: the earliest first detection in each 250 km band
    print("\n| distance band km | sites | earliest first day | median first day |")
    print("|---|---:|---|---|")
    d = np.array([p.distance_km for p in front])
    t = np.array([p.first_start for p in front])
    for lo in range(0, int(d.max()) + 250, 250):
        sel = (d >= lo) & (d < lo + 250)
        if sel.any():
            first, med = _day(t[sel].min()), _day(float(np.median(t[sel])))
            print(f"| {lo}–{lo + 250} | {sel.sum()} | {first} | {med} |")
    fit = (speed.get("fit_kmh", math.nan), speed.get("fit_intercept_h", math.nan))
    print(
        f"\n- apparent transport speed over {speed['n_sites']:.0f} sites: median "
        f"{speed['median_kmh']:.1f} km/h (quartiles {speed['q25_kmh']:.1f}–"
        f"{speed['q75_kmh']:.1f}), fastest {speed['max_kmh']:.1f} km/h"
    )
    print(
        f"- least-squares line of delay against distance: {fit[0]:.1f} km/h, intercept "
        f"{fit[1]:.0f} h, r = {speed.get('fit_r', math.nan):.2f}"
    )
    by_dir = {}
    for p in front:
        sector = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")[
            round(_azimuth(p.lat, p.lon) / 45) % 8
        ]
        by_dir.setdefault(sector, []).append(p)
    print("\n| direction | sites | earliest first day | median km/h |")
    print("|---|---:|---|---:|")
    for sector, pts in sorted(by_dir.items(), key=lambda kv: min(p.first_start for p in kv[1])):
        v = [p.distance_km / ((p.time - CHERNOBYL.time) / 3600.0) for p in pts]
        first = _day(min(p.first_start for p in pts))
        print(f"| {sector} | {len(pts)} | {first} | {np.median(v):.1f} |")


if __name__ == "__main__":
    main()
