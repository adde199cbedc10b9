"""Association benchmark on the IDC bulletin of 2010-05-20 20:00–22:00 (``idc_ueb_2010140``).

Run: ``.venv/bin/python bench/associate_idc.py`` (prints BENCHMARKS-ready markdown).

All 196 arrivals are associated from scratch (their analyst associations are ignored) with
the IMS CSS3.0 stations; the result is scored against the analyst origins with
:func:`testban.compare.compare` — recall over the origins with ≥ 3 time-defining
stations, precision over all our events, arrival association over those origins.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from testban.associate import AssociatorConfig, associate_tables
from testban.compare import compare

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
IDC = DATA / "idc_ueb_2010140"
STATIONS = DATA / "stations" / "ims_css30" / "ueb_test"


def run(config: AssociatorConfig, label: str) -> str:
    with tempfile.TemporaryDirectory() as out:
        t = time.process_time()
        result, _ = associate_tables(IDC / "arrival.csv", STATIONS, out, config,
                                     amplitude_csv=IDC / "amplitude.csv")  # fmt: skip
        cpu = time.process_time() - t
        c = compare(out, IDC, max_km=500.0, max_dt=60.0, min_defining_stations=3)
    s = c.summary()
    return (
        f"| {label} | {s['events']} | {s['reference']} | {s['matched']} | {s['recall']:.2f} | "
        f"{s['precision']:.2f} | {s['assoc_precision']:.2f} | {s['assoc_recall']:.2f} | "
        f"{s['assoc_f1']:.2f} | {s['median_km']:.0f} | {s['p90_km']:.0f} | {cpu:.1f} |"
    )


def main() -> None:
    if not IDC.exists():
        sys.exit(f"data not found: {IDC}")
    print(
        "| criteria | events | reference (≥3 def. sta) | matched | recall | precision | "
        "assoc P | assoc R | assoc F1 | median km | p90 km | CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    base = AssociatorConfig()
    print(run(base, "default: ≥3 stations, ≥2 primary"))
    print(run(base.with_(min_primary=3), "REB: ≥3 primary stations"))
    print(run(base.with_(station_set="all"), "≥3 stations (any)"))


if __name__ == "__main__":
    main()
