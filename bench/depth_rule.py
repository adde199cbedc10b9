"""Depth as the IDC treats it (issue 11): what the locator's resolution rule decides.

    .venv/bin/python bench/depth_rule.py

* IDC bulletin ``idc_ueb_2010140``: every origin the IDC left with a free depth (dtype
  "f"/"d") relocated from its own defining rows with the rule (``depth=None``) and with
  the depth free as the IDC had it: our decision, the 90 % depth half-interval, and the
  epicentre/time offsets from LocSAT either way.
* DPRK tests from their cross-correlated absolute times (``relative_location/``, 60+
  stations, teleseismic and regional): the rule's decision against the free solution.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

from obspy import UTCDateTime

from testban.io.css30 import read_table
from testban.locate import Observations, locate
from testban.network import read_network
from testban.traveltime import distance_azimuth

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
IDC = DATA / "idc_ueb_2010140"
STATIONS = DATA / "stations" / "ims_css30" / "ueb_test"


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    d, _, _ = distance_azimuth(lat1, lon1, lat2, lon2, geocentric=False)
    return float(d) * 111.195


def interval(loc) -> str:
    r = loc.resolution
    return f"{r.sdepth:.1f}" if r is not None and math.isfinite(r.sdepth) else "∞"


def idc() -> None:
    arrivals = read_table(IDC / "arrival.csv")
    assocs = read_table(IDC / "assoc.csv")
    origins = read_table(IDC / "origin.csv")
    net, _ = read_network(STATIONS, at=UTCDateTime(min(a.time for a in arrivals)))
    by_arid = {a.arid: a for a in arrivals}
    kinds: dict[str, int] = {}
    for o in origins:
        kinds[o.dtype] = kinds.get(o.dtype, 0) + 1
    print(f"IDC origins by dtype: {dict(sorted(kinds.items()))}\n")
    print("| orid | IDC depth (dtype) | ndef | rule: depth (dtype, basis) | free 90 % ± km "
          "| km / Δt s with rule | km / Δt s free |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    kept = fixed = 0
    for o in origins:
        if o.dtype not in ("f", "d"):
            continue
        obs, _ = Observations.from_records(by_arid, [s for s in assocs if s.orid == o.orid], net)
        rule, free = locate(obs, start=o), locate(obs, start=o, depth="free")
        kept += not rule.depth_fixed
        fixed += rule.depth_fixed
        r, f = rule.origin, free.origin
        print(
            f"| {o.orid} | {o.depth:.1f} ({o.dtype}) | {o.ndef} "
            f"| {r.depth:.1f} ({r.dtype}, {rule.depth_basis}) | {interval(rule)} "
            f"| {km(r.lat, r.lon, o.lat, o.lon):.1f} / {r.time - o.time:+.2f} "
            f"| {km(f.lat, f.lon, o.lat, o.lon):.1f} / {f.time - o.time:+.2f} |"
        )
    print(f"\nIDC free-depth origins: {kept} kept free by the rule, {fixed} fixed at the surface")


def dprk() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from locate_dprk import read_dprk
    finally:
        sys.path.remove(str(ROOT / "bench"))
    events, ref, _ = read_dprk()
    print("\n| DPRK test | stations | rule: depth (dtype, basis) | free depth ± km "
          "| km / Δt s with rule | km / Δt s free |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for ev, obs in sorted(events.items()):
        lat, lon, t = ref[ev]
        rule, free = locate(obs), locate(obs, depth="free")
        r, f = rule.origin, free.origin
        print(
            f"| {ev} | {len(set(obs.sta))} | {r.depth:.1f} ({r.dtype}, {rule.depth_basis}) "
            f"| {f.depth:.1f} ± {interval(free)} "
            f"| {km(r.lat, r.lon, lat, lon):.1f} / {r.time - t:+.2f} "
            f"| {km(f.lat, f.lon, lat, lon):.1f} / {f.time - t:+.2f} |"
        )


def main() -> int:
    if IDC.is_dir():
        idc()
    else:
        print(f"skip: {IDC} not found")
    if (DATA / "relative_location").is_dir():
        dprk()
    return 0


if __name__ == "__main__":
    sys.exit(main())
