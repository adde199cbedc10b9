"""IDC association figures split by hour: fit on one hour, score on the other (issues 10, 11).

Run: ``TESTBAN_SHARED_DATA=../shared/data PYTHONPATH=src .venv/bin/python
bench/heldout_idc.py`` (prints BENCHMARKS-ready markdown; ``--quick``: parts 1 and 2 only).

Data: ``idc_ueb_2010140`` (2010-05-20 20:00–22:00 UTC), all 196 arrivals associated from
scratch with the IMS CSS3.0 stations, scored against the analyst origins with ≥ 3
time-defining stations with :func:`testban.compare.compare_records` (``testban
compare``'s library call; match by shared arrivals, else 500 km / 60 s) on one hour
(``span``: reference origins of that hour, our events matched to them, and our unmatched
events of that hour).

1. Defaults, scored per hour (issue 10's split: nothing fitted per hour).
2. Station corrections (``testban calibrate``: SASC and travel-time corrections, from the
   arrivals associated to the analyst origins of one hour with ≥ 2 other defining
   stations) applied to every arrival (:func:`~testban.calibrate.apply_corrections`,
   azimuth, slowness and time), associated, scored on the other hour — and on the same
   hour for comparison (in-sample).
3. The associator constants chosen on this window — the event-definition rule
   (``min_primary``) and the score threshold (``min_score``) — chosen again on one hour
   by the rule used for them (best event F1 = harmonic mean of recall and precision, then
   arrival F1; ties to the stricter setting) and scored on the other.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from obspy import UTCDateTime

from testban.associate import AssociatorConfig, associate
from testban.calibrate import apply_corrections, fit_from_bulletin
from testban.compare.core import Comparison, compare_records
from testban.io.css30 import read_table
from testban.network import read_network
from testban.records import Arrival, Assoc, Origin

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
IDC = DATA / "idc_ueb_2010140"
STATIONS = DATA / "stations" / "ims_css30" / "ueb_test"
T20 = 1274385600.0  # 2010-05-20 20:00:00 UTC
HOURS = {"20–21 h": (T20, T20 + 3600.0), "21–22 h": (T20 + 3600.0, T20 + 7200.0)}
ALL = (T20, T20 + 7200.0)
CHOICES = [(mp, ms) for mp in (2, 3) for ms in (17.0, 20.0, 23.0)]


def score(
    ours: list[Origin], assocs: list[Assoc], ref: list[Origin], ref_assocs: list[Assoc],
    span: tuple[float, float],
) -> Comparison:  # fmt: skip
    """Scores of ``ours`` against the reference origins (≥ 3 def. sta) of ``span``."""
    ref_by: dict[int, set[str]] = {}
    for s in ref_assocs:
        if s.timedef == "d":
            ref_by.setdefault(s.orid, set()).add(s.sta)

    def enough(o: Origin, _rows: list[Assoc]) -> bool:
        return len(ref_by.get(o.orid, ())) >= 3

    return compare_records(ours, assocs, ref, ref_assocs, reference_filter=enough,
                           max_km=500.0, max_dt=60.0, span=span)  # fmt: skip


def run(arrivals: list[Arrival], network, config: AssociatorConfig) -> tuple[list, list, float]:
    t = time.process_time()
    res = associate(arrivals, network, config)
    return res.origins, res.assocs, time.process_time() - t


def row(label: str, c: Comparison, extra: str = "") -> str:
    s = c.summary()
    return (
        f"| {label} |{extra} {s['reference']} | {s['events']} | {s['matched']} | "
        f"{s['recall']:.2f} | {s['precision']:.2f} | {s['duplicates']} | "
        f"{s['assoc_f1']:.2f} | {s['median_km']:.0f} |"
    )


HEAD = "| reference (≥ 3 def. sta) | our events | matched | recall | precision | duplicates | assoc F1 | median km |"  # noqa: E501


def f1(c: Comparison) -> float:
    r, p = c.recall, c.precision
    return 2 * r * p / (r + p) if r + p > 0 else 0.0


def main() -> None:
    if not IDC.exists():
        sys.exit(f"data not found: {IDC}")
    arrivals = read_table(IDC / "arrival.csv")
    ref, ref_assocs = read_table(IDC / "origin.csv"), read_table(IDC / "assoc.csv")
    net, _ = read_network(STATIONS, at=UTCDateTime(min(a.time for a in arrivals)))
    base = AssociatorConfig()

    print("### 1. Defaults, scored per hour\n")
    print(f"| part {HEAD}")
    print("|---|---|---|---|---|---|---|---|---|")
    ours, assocs, cpu = run(arrivals, net, base)
    for label, span in [*HOURS.items(), ("all (20–22 h)", ALL)]:
        print(row(label, score(ours, assocs, ref, ref_assocs, span)))
    print(f"\n(CPU {cpu:.1f} s per association of the window)\n")

    print("### 2. Station corrections fitted on one hour\n")
    print(f"| fit → score | corrections (SASC / time rows) | corrected arrivals {HEAD}")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for fit_h, fit_span in HOURS.items():
        rows = fit_from_bulletin(arrivals, ref_assocs, ref, net, span=fit_span)
        log: list = []
        corrected = apply_corrections(arrivals, rows, time=True, log=log)
        c_ours, c_assocs, _ = run(corrected, net, base)
        n_sasc = sum(r.kind == "sasc" for r in rows)
        for score_h, score_span in HOURS.items():
            how = "in-sample" if score_h == fit_h else "**held out**"
            extra = f" {n_sasc} / {len(rows) - n_sasc} | {len(log)} |"
            c = score(c_ours, c_assocs, ref, ref_assocs, score_span)
            print(row(f"{fit_h} → {score_h} ({how})", c, extra))
    if "--quick" in sys.argv:
        return

    print("\n### 3. Associator constants chosen on one hour\n")
    results = {}
    for mp, ms in CHOICES:
        o, a, _ = run(arrivals, net, base.with_(min_primary=mp, min_score=ms))
        results[(mp, ms)] = {h: score(o, a, ref, ref_assocs, sp) for h, sp in HOURS.items()}
    print(f"| min_primary, min_score | hour {HEAD}")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (mp, ms), by_hour in results.items():
        for h, c in by_hour.items():
            print(row(f"{mp}, {ms:.0f}", c, f" {h} |"))
    print(f"\n| fit hour | chosen (min_primary, min_score) | score hour {HEAD}")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for fit_h in HOURS:
        best = max(results, key=lambda k: (f1(results[k][fit_h]),
                                           results[k][fit_h].assoc_f1, k))  # fmt: skip
        for score_h in HOURS:
            if score_h == fit_h:
                continue
            print(row(f"{fit_h}", results[best][score_h],
                      f" {best[0]}, {best[1]:.0f} | {score_h} |"))  # fmt: skip


if __name__ == "__main__":
    main()
