"""Association figures on real data scored by ``testban compare``'s library call, with the
goals as thresholds (issue 11 item 5: fit on one part of a data set, score on another).

* IDC window (``idc_ueb_2010140``): station corrections fitted on one hour (``testban
  calibrate``), applied to every arrival, the window associated, the *other* hour scored;
  both ways. Goals (issues 5 and 11): recall ≥ 0.9, precision ≥ 0.8, arrival F1 ≥ 0.85,
  no duplicate, median epicentre difference ≤ 25 km.
* Salton Sea and one simulated IMS day: the goal is no regression from the figures of
  the full runs (``bench/associate_salton.py``, ``bench/associate_sim.py``); the tests
  run a few hours of each (the full runs take minutes), so the bound is the full-run
  figure less three binomial standard deviations of a proportion over the events scored.

Measured figures: BENCHMARKS.md, "Cross-validated figures (issue 11, items 3–5)".
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from obspy import UTCDateTime

from testban.associate import AssociatorConfig, associate
from testban.calibrate import apply_corrections, fit_from_bulletin
from testban.compare import compare
from testban.compare.core import Comparison, compare_records
from testban.io.css30 import read_table, write_tables
from testban.network import Network, Station, read_network
from testban.records import Arrival, Origin
from tests.conftest import shared_path

pytestmark = [pytest.mark.shared, pytest.mark.slow]

T20 = 1274385600.0  # 2010-05-20 20:00:00 UTC
HOURS = {"20-21h": (T20, T20 + 3600.0), "21-22h": (T20 + 3600.0, T20 + 7200.0)}


def three_sigma_below(goal: float, n: int) -> float:
    """A proportion measured on ``n`` events may fall this low when the truth is ``goal``."""
    return goal - 3.0 * math.sqrt(goal * (1.0 - goal) / max(n, 1))


# ------------------------------------------------------------------------ IDC window


def idc_heldout(fit: str, score: str, tmp_path: Path) -> Comparison:
    """Corrections fitted on hour ``fit``, the window associated, hour ``score`` compared."""
    idc = shared_path("idc_ueb_2010140")
    arrivals = read_table(idc / "arrival.csv")
    ref, ref_assocs = read_table(idc / "origin.csv"), read_table(idc / "assoc.csv")
    stations = shared_path("stations", "ims_css30", "ueb_test.site").with_suffix("")
    net, _ = read_network(stations, at=UTCDateTime(min(a.time for a in arrivals)))
    rows = fit_from_bulletin(arrivals, ref_assocs, ref, net, span=HOURS[fit])
    assert rows, "the fitting hour gives no correction"
    res = associate(apply_corrections(arrivals, rows, time=True), net, AssociatorConfig())
    write_tables({"origin": res.origins, "assoc": res.assocs}, tmp_path)
    return compare(tmp_path, idc, max_km=500.0, max_dt=60.0, min_defining_stations=3,
                   span=HOURS[score])  # fmt: skip


def assert_idc_goals(c: Comparison) -> None:
    s = c.summary()
    assert s["reference"] >= 3  # a data fact: 4 and 3 analyst origins with ≥ 3 stations
    assert s["recall"] >= 0.9, s
    assert s["precision"] >= 0.8, s
    assert s["assoc_f1"] >= 0.85, s
    assert s["duplicates"] == 0, s
    assert s["median_km"] <= 25.0, s


@pytest.mark.xfail(
    strict=True,
    reason="issue 11 goal median ≤ 25 km; fitted on 20-21 h, scored on 21-22 h: recall 1.00, "
    "precision 1.00, F1 0.88, 0 duplicates, median 38 km (24 km without corrections)",
)
def test_idc_corrections_fitted_on_first_hour_scored_on_second(tmp_path: Path):
    assert_idc_goals(idc_heldout("20-21h", "21-22h", tmp_path))


@pytest.mark.xfail(
    strict=True,
    reason="issue 11 goal recall ≥ 0.9; fitted on 21-22 h, scored on 20-21 h: recall 0.75 "
    "(3 of 4; 6356739 missed as without corrections), precision 1.00, F1 0.94, median 8 km",
)
def test_idc_corrections_fitted_on_second_hour_scored_on_first(tmp_path: Path):
    assert_idc_goals(idc_heldout("21-22h", "20-21h", tmp_path))


# ------------------------------------------------------------------------ Salton Sea

#: Full 48 h run, ≥ 10 picks (BENCHMARKS.md, Association, issue 5): the figures to keep.
SALTON_RECALL, SALTON_PRECISION = 0.863, 0.476
SALTON_HOURS = 6


def salton_part(hours: int) -> tuple[list[Arrival], Network, list[Origin], tuple[float, float]]:
    """The first ``hours`` of Salton Sea PhaseNet picks, stations, and SCSN events."""
    data = shared_path("association")
    with open(data / "stations_test.csv", newline="") as fh:
        net = Network(
            Station(r["station"].split(".")[1], float(r["lat"]), float(r["lng"]),
                    float(r["elv(m)"]) / 1000.0, affiliations=("CI",))
            for r in csv.DictReader(fh, delimiter="\t")
        )  # fmt: skip
    t0 = UTCDateTime("2020-10-01T00:00:00").timestamp
    span = (t0, t0 + hours * 3600.0)
    picks: list[Arrival] = []
    with open(data / "picks_phasenet_test.csv", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            base = UTCDateTime(r["fname"][:13] + ":00:00").timestamp + float(r["t0"])
            if not span[0] <= base < span[1]:
                continue
            sta = r["fname"][14:].split(".")[1]
            for phase in ("p", "s"):
                for i in json.loads(r[f"idx_{phase}"]):
                    picks.append(Arrival(sta=sta, time=base + i / 100.0, arid=len(picks) + 1,
                                         iphase=phase.upper(), deltim=0.2))  # fmt: skip
    with open(data / "events_test.csv", newline="") as fh:
        ref = [
            Origin(lat=float(r["lat"]), lon=float(r["lng"]), depth=float(r.get("depth(m)") or 0)
                   / 1000.0, time=UTCDateTime(r["time"]).timestamp, orid=i + 1, evid=i + 1)
            for i, r in enumerate(csv.DictReader(fh, delimiter="\t"))
        ]  # fmt: skip
    return picks, net, ref, span


def test_salton_sea_keeps_its_figures():
    picks, net, ref, span = salton_part(SALTON_HOURS)
    res = associate(picks, net, AssociatorConfig.local(min_phases=10))
    # the issue 5 match rule: |Δt| ≤ 3 s and ≤ 15 km, one to one (no shared picks)
    c = compare_records(res.origins, res.assocs, ref, [], max_km=15.0, max_dt=3.0,
                        use_arrivals=False, span=span)  # fmt: skip
    s = c.summary()
    assert s["reference"] >= 50  # a data fact: ~22 catalogue events an hour
    assert s["recall"] >= three_sigma_below(SALTON_RECALL, s["reference"]), s
    assert s["precision"] >= three_sigma_below(SALTON_PRECISION, s["events"]), s


# ------------------------------------------------------------------------ simulated day

#: 7 simulated IMS days (BENCHMARKS.md, Association and "Issue 11 so far"): recall of
#: the true mb ≥ 3.5 events and precision, the figures to keep.
SIM_RECALL, SIM_PRECISION = 0.74, 0.96
SIM_HOURS = 6


def test_simulated_day_keeps_its_figures():
    """The first hours of simulated IMS day seed 1 (default network, ≥ 60 % false
    detections); events are scored when all their arrivals (≤ 1250 s) are inside."""
    from testban.simulate import simulate_day

    day = simulate_day("2024-01-01", seed=1, duration=SIM_HOURS * 3600.0)
    net = Network(
        Station(s.code, s.lat, s.lon, s.elev,
                affiliations=("IMS_PRI",) if s.primary else ("IMS_AUX",))
        for s in day.stations
    )  # fmt: skip
    t0 = min(o.time for o in day.origins)
    t0 = math.floor(t0 / 3600.0) * 3600.0
    span = (t0, t0 + SIM_HOURS * 3600.0 - 1250.0)
    res = associate(day.arrivals, net, AssociatorConfig())
    big = {o.orid for o in day.origins if o.mb >= 3.5}
    c = compare_records(res.origins, res.assocs, day.origins, day.assocs, span=span,
                        reference_filter=lambda o, _rows: o.orid in big)  # fmt: skip
    s = c.summary()
    assert day.false_fraction >= 0.6  # issue 5's condition on the simulated detections
    assert s["reference"] >= 20  # a data fact of the simulator: ~5 mb ≥ 3.5 events an hour
    assert s["recall"] >= three_sigma_below(SIM_RECALL, s["reference"]), s
    assert s["precision"] >= three_sigma_below(SIM_PRECISION, s["events"]), s
