"""Travel-time station corrections in the locator, cross-validated by hour (issue 11).

Run: ``TESTBAN_SHARED_DATA=../shared/data PYTHONPATH=src .venv/bin/python
bench/locate_corrections_idc.py`` (prints BENCHMARKS-ready markdown).

Data: ``idc_ueb_2010140`` (2010-05-20 20:00–22:00 UTC). Corrections are fitted on the
arrivals associated to the analyst origins of one hour (``testban calibrate``'s library
calls: :func:`~testban.calibrate.pairs_from_assoc`, :func:`~testban.calibrate.residuals`,
:func:`~testban.calibrate.estimate`, defaults), and the origins of the *other* hour are
relocated from their own defining rows as ``bench/locate_idc.py`` does, once without
and once with the fitted travel-time corrections
(``LocatorConfig(time_corrections=time_terms(rows))``). Figures: distance and origin
time against the analyst's LocSAT solution (which had the IDC's own station
corrections). Fitted on the same hour ("in-sample") is printed as well. Reference
events: ≥ 2 other defining stations (``testban calibrate``'s default), and all.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np
from obspy import UTCDateTime

from testban.calibrate import estimate, pairs_from_assoc, residuals, time_terms
from testban.io.css30 import read_table
from testban.locate import LocatorConfig, locate_bulletin
from testban.network import read_network
from testban.traveltime import KM_PER_DEG, distance_azimuth

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
IDC = DATA / "idc_ueb_2010140"
STATIONS = DATA / "stations" / "ims_css30" / "ueb_test"
T20 = 1274385600.0  # 2010-05-20 20:00:00 UTC
HOURS = {"20–21 h": (T20, T20 + 3600.0), "21–22 h": (T20 + 3600.0, T20 + 7200.0)}


def fit(arrivals, assocs, origins, net, span, min_other: int):
    """Time-correction rows fitted on the reference origins whose time lies in ``span``."""
    ref = [o for o in origins if span[0] <= o.time < span[1]]
    res = residuals(pairs_from_assoc(arrivals, assocs, ref, min_other), net)
    return time_terms(estimate(res))


def score(arrivals, assocs, origins, net, span, terms) -> dict:
    """Relocate the origins of ``span`` (with ``terms``); distances and times to LocSAT."""
    ref = {o.orid: o for o in origins if span[0] <= o.time < span[1]}
    rows = [s for s in assocs if s.orid in ref]
    got = locate_bulletin(arrivals, rows, net, list(ref.values()),
                          config=LocatorConfig(time_corrections=terms))  # fmt: skip
    corrected = {(sta, ph) for sta, ph, _dt, _se in terms}
    touched = {s.orid for s in rows if s.timedef == "d" and (s.sta, s.phase) in corrected}
    out = {}
    for o in got.origins:
        r = ref[o.orid]
        d, _, _ = distance_azimuth(o.lat, o.lon, r.lat, r.lon, geocentric=False)
        out[o.orid] = (float(d) * KM_PER_DEG, o.time - r.time, r.ndef, o.orid in touched)
    return out


def med(x: list[float]) -> float:
    return float(np.median(x)) if x else math.nan


def km(base: dict, corr: dict, keys: list[int]) -> str:
    """Median km without → with corrections over ``keys``."""
    return f"{med([base[k][0] for k in keys]):.1f} → {med([corr[k][0] for k in keys]):.1f}"


def main() -> None:
    if not IDC.exists():
        sys.exit(f"data not found: {IDC}")
    arrivals = read_table(IDC / "arrival.csv")
    assocs = read_table(IDC / "assoc.csv")
    origins = read_table(IDC / "origin.csv")
    net, _ = read_network(STATIONS, at=UTCDateTime(min(a.time for a in arrivals)))
    print("| reference events | fit → score | corrections (sta/phase) | origins scored "
          "(corrected) | median km all: none → with | median km, corrected origins | "
          "corrected origins closer / farther by > 1 km | median km ndef ≥ 6 | "
          "median \\|Δt\\| s, corrected origins |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for min_other in (2, 0):
        label = "≥ 2 other def. sta" if min_other else "all (not independent)"
        for fit_h, fit_span in HOURS.items():
            for score_h, score_span in HOURS.items():
                terms = fit(arrivals, assocs, origins, net, fit_span, min_other)
                base = score(arrivals, assocs, origins, net, score_span, ())
                corr = score(arrivals, assocs, origins, net, score_span, terms)
                orids = sorted(set(base) & set(corr))
                hit = [k for k in orids if corr[k][3]]
                nd6 = [k for k in orids if corr[k][2] >= 6]
                how = "in-sample" if fit_h == score_h else "held out"

                closer = sum(corr[k][0] < base[k][0] - 1 for k in hit)
                farther = sum(corr[k][0] > base[k][0] + 1 for k in hit)
                dt_b = med([abs(base[k][1]) for k in hit])
                dt_c = med([abs(corr[k][1]) for k in hit])
                print(
                    f"| {label} | {fit_h} → {score_h} ({how}) | {len(terms)} | "
                    f"{len(orids)} ({len(hit)}) | {km(base, corr, orids)} | "
                    f"{km(base, corr, hit)} | "
                    f"{closer} / {farther} | {km(base, corr, nd6)} | {dt_b:.2f} → {dt_c:.2f} |"
                )
        terms = fit(arrivals, assocs, origins, net, (T20, T20 + 7200.0), min_other)
        listed = ", ".join(f"{s} {p} {dt:+.2f}±{se:.2f}" for s, p, dt, se in terms)
        print(f"\n<!-- {label}, fitted on both hours: {listed} -->\n")


if __name__ == "__main__":
    main()
