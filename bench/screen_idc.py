"""Screening of the IDC bulletin of 2010-05-20 20–22 h: which events, by which criterion?

    .venv/bin/python bench/screen_idc.py

Two passes over `idc_ueb_2010140/` (60 analyst origins):
1. the bulletin as the IDC wrote it (its depths and magnitudes; most origins have no
   origerr row of their own, so free depths carry no uncertainty);
2. every origin relocated by testban's locator from the analyst's associations, with the
   analyst's depth treatment (fixed where fixed, free where free) — this gives each free
   depth its uncertainty — and the IDC's network magnitudes.
The mb:Ms criterion needs Ms at ≥ 2 stations: the bulletin has one Ms (1 station).
"""

from __future__ import annotations

import collections
import dataclasses
import os
import sys
from pathlib import Path

from obspy import UTCDateTime

from testban.io.css30 import read_tables
from testban.locate import locate_bulletin
from testban.network import read_network
from testban.screening import screen_bulletin

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
IDC = SHARED / "idc_ueb_2010140"
STATIONS = SHARED / "stations" / "ims_css30" / "ueb_test"
#: IMS1.0-compatible network magnitude types kept (the IDC's mb1/mb_tmp variants dropped).
MAGTYPES = ("mb_ave", "mb_mle", "ms_ave", "ms_mle", "mlppn")


def report(title: str, tables: dict) -> None:
    rows = screen_bulletin(tables)["screen"]
    by_orid: dict[int, dict] = collections.defaultdict(dict)
    for r in rows:
        by_orid[r.orid][r.criterion] = r  # type: ignore[attr-defined]
    events = [d["event"] for d in by_orid.values()]
    counts = collections.Counter(r.outcome for r in events)
    print(f"\n## {title}: {len(events)} events — " + ", ".join(
        f"{n} {k}" for k, n in sorted(counts.items())))  # fmt: skip
    per_crit = collections.Counter(
        (c, r.outcome) for d in by_orid.values() for c, r in d.items() if c != "event"
    )
    print("criterion outcomes:", dict(sorted(per_crit.items())))
    gates = collections.Counter(
        r.reason.split(";")[0] for r in events if r.outcome == "not assessed"
    )
    print("why events are not assessed:", dict(gates.most_common()))
    print("\n| orid | mb (n) | depth (dtype) | criterion | value ± σ | outcome | reason |")
    print("|---|---|---|---|---|---|---|")
    origins = {o.orid: o for o in tables["origin"]}
    for orid, d in by_orid.items():
        if d["event"].outcome == "not assessed" and "below 3.5" not in d["event"].reason:
            if "no network mb" in d["event"].reason:
                continue
        o = origins[orid]
        for c in ("depth", "mbms", "ps", "offshore", "event"):
            r = d[c]
            val = f"{r.value:.2f}" if r.value > -999 else "–"
            if r.uncertainty > 0:
                val += f" ± {r.uncertainty:.2f}"
            print(f"| {orid} | {o.mb:.2f} | {o.depth:.1f} ({o.dtype}) | {c} | {val} | "
                  f"{r.outcome} | {r.reason} |")  # fmt: skip


def main() -> int:
    if not IDC.is_dir():
        print(f"skip: {IDC} not found")
        return 0
    tables = read_tables(IDC)
    tables["netmag"] = [m for m in tables["netmag"] if m.magtype in MAGTYPES]  # type: ignore[attr-defined]
    report("as the IDC wrote it", tables)
    net, _ = read_network(STATIONS, at=UTCDateTime(min(a.time for a in tables["arrival"])))  # type: ignore[attr-defined]
    located = locate_bulletin(tables["arrival"], tables["assoc"], net, tables["origin"],  # type: ignore[arg-type]
                              start_from_origins=True)  # fmt: skip
    mags = {o.orid: o for o in tables["origin"]}  # the analyst's magnitudes, kept
    origins = [
        dataclasses.replace(o, mb=mags[o.orid].mb, mbid=mags[o.orid].mbid,  # type: ignore[attr-defined]
                            ms=mags[o.orid].ms, msid=mags[o.orid].msid)  # type: ignore[attr-defined]
        for o in located.origins
    ]  # fmt: skip
    relocated = {**tables, "origin": origins, "origerr": located.origerrs}
    report("relocated by testban (analyst's depth treatment), IDC magnitudes", relocated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
