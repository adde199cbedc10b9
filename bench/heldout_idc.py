"""IDC association figures split by hour (issue 10, held-out figures).

Run: ``.venv/bin/python bench/heldout_idc.py`` (prints BENCHMARKS-ready markdown).

The associator's constants (score threshold 20, ``min_primary=2``) were chosen while
looking at the whole ``idc_ueb_2010140`` window (2010-05-20 20:00–22:00 UTC). This bench
associates all 196 arrivals once, as ``bench/associate_idc.py`` does, and scores the
result per hour and for both hours together, so that the dependence of the headline
figures on which events happen to be in the window can be seen. A reference origin
belongs to the hour of its analyst origin time; one of our events belongs to the hour of
the reference event it is matched to, or, when unmatched (a false event), to the hour of
its own origin time. Scoring as in ``bench/associate_idc.py``: reference origins with
≥ 3 time-defining stations, match by shared arrivals, else 500 km / 60 s.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from testban.associate import AssociatorConfig, associate_tables
from testban.compare.core import Comparison, _read, compare_records
from testban.records import Assoc, Origin

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
IDC = DATA / "idc_ueb_2010140"
STATIONS = DATA / "stations" / "ims_css30" / "ueb_test"
T20 = 1274385600.0  # 2010-05-20 20:00:00 UTC
HOURS = {"20–21 h": (T20, T20 + 3600.0), "21–22 h": (T20 + 3600.0, T20 + 7200.0)}
ALL = (T20, T20 + 7200.0)


def score(
    ours: list[Origin], assocs: list[Assoc], ref: list[Origin], ref_assocs: list[Assoc],
    span: tuple[float, float],
) -> Comparison:  # fmt: skip
    """Scores of ``ours`` against the reference origins whose time lies in ``span``."""
    ref_by: dict[int, set[str]] = {}
    for s in ref_assocs:
        if s.timedef == "d":
            ref_by.setdefault(s.orid, set()).add(s.sta)

    def chosen(o: Origin, _rows: list[Assoc]) -> bool:
        return span[0] <= o.time < span[1] and len(ref_by.get(o.orid, ())) >= 3

    kw = dict(max_km=500.0, max_dt=60.0)
    whole = compare_records(ours, assocs, ref, ref_assocs, **kw)
    ref_time = {r.orid: r.time for r in ref}
    matched_to = {m.orid: ref_time[m.ref_orid] for m in whole.matches}
    keep = [o for o in ours if span[0] <= matched_to.get(o.orid, o.time) < span[1]]
    return compare_records(keep, assocs, ref, ref_assocs, reference_filter=chosen, **kw)


def main() -> None:
    if not IDC.exists():
        sys.exit(f"data not found: {IDC}")
    with tempfile.TemporaryDirectory() as out:
        associate_tables(IDC / "arrival.csv", STATIONS, out, AssociatorConfig(),
                         amplitude_csv=IDC / "amplitude.csv")  # fmt: skip
        ours, assocs = _read(Path(out), "origin"), _read(Path(out), "assoc")
    ref, ref_assocs = _read(IDC, "origin"), _read(IDC, "assoc")
    print("| part | reference (≥ 3 def. sta) | our events | matched | recall | precision | "
          "assoc F1 | median km |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for label, span in [*HOURS.items(), ("all (20–22 h)", ALL)]:
        s = score(ours, assocs, ref, ref_assocs, span).summary()
        print(f"| {label} | {s['reference']} | {s['events']} | {s['matched']} | "
              f"{s['recall']:.2f} | {s['precision']:.2f} | {s['assoc_f1']:.2f} | "
              f"{s['median_km']:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
