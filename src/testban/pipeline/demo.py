"""The demo run: a simulated IMS day through every stage that exists, scored on its truth.

Simulate the day (detections for every station, waveforms for a few), detect on those
waveforms, locate and size the simulated events from their true associations (a check of
location and magnitudes alone), associate all detections into an automatic bulletin, score
each stage against the simulator's ground truth, and store the automatic bulletin for the
web page. Everything is written as CSS3.0 CSV under the output directory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from testban.bulletin import write_bulletin
from testban.compare import compare_records
from testban.detect import AUTH
from testban.io.css30 import read_tables, rows_of, write_tables
from testban.io.problems import ReadProblem
from testban.locate import locate_bulletin
from testban.magnitude import magnitudes_for_tables, with_magnitudes
from testban.network import read_network
from testban.pipeline.run import RunReport, run_pipeline, sources_from_paths
from testban.records import Assoc, Origin, Record, rounded
from testban.records.earth import KM_PER_DEG
from testban.simulate import TEST_SITES, ims_like_network, simulate_day, write_simulation
from testban.store import insert_tables, load_bulletin, open_store, read_rows
from testban.store.schema import TABLES_SQL
from testban.traveltime import distance_azimuth


@dataclass
class DemoSummary:
    """What the demo did, with figures against the simulator's truth."""

    out: Path
    n_stations: int = 0
    n_events: int = 0
    n_arrivals: int = 0
    false_fraction: float = 0.0
    explosion: Origin | None = None
    explosion_stations: int = 0
    waveform_stations: list[str] = field(default_factory=list)
    detections: int = 0
    detections_matched: int = 0
    truth_arrivals_at_waveform_stations: int = 0
    located: int = 0
    median_error_km: float = float("nan")
    ellipse_coverage: float = float("nan")
    well_constrained: int = 0  # located events with >= 6 defining time observations
    well_median_error_km: float = float("nan")
    well_ellipse_coverage: float = float("nan")
    reb_events: int = 0  # located events meeting the REB-like definition criteria
    auto_events: int = 0  # events in the automatic bulletin (associator)
    auto_recall: float = float("nan")  # of true events with mb >= 3.5
    auto_precision: float = float("nan")
    auto_assoc_f1: float = float("nan")
    auto_median_km: float = float("nan")
    explosion_found: bool = False
    explosion_error_km: float = float("nan")
    explosion_mb: float = float("nan")
    store: Path | None = None
    run_report: RunReport | None = None
    written: list[Path] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)


def run_demo(
    out: str | Path,
    seed: int = 2024,
    start: float = 1704067200.0,  # 2024-01-01
    progress: Callable[[str], None] | None = None,
    hours: float = 24.0,
) -> DemoSummary:
    """Run the demo into ``out``; ``progress(message)`` is called before each stage.

    The declared explosion goes off in the middle of the ``hours`` simulated.
    """
    say = progress or (lambda _msg: None)
    out = Path(out)
    summary = DemoSummary(out)

    say("simulating an IMS day (detections + waveforms)")
    network = ims_like_network(0)
    arrays = [s.code for s in network if s.is_array][:1]
    singles = [s.code for s in network if not s.is_array and not s.primary][:2]
    explosion = ("Punggye-ri", *TEST_SITES["punggye-ri"], start + hours * 1800.0, 4.8)
    day = simulate_day(
        start, seed=seed, network=network, explosions=[explosion],
        waveforms_for=arrays + singles, duration=hours * 3600.0,
    )  # fmt: skip
    summary.written += write_simulation(day, out / "simulation")
    summary.n_stations, summary.n_events = len(day.stations), len(day.origins)
    summary.n_arrivals, summary.false_fraction = len(day.arrivals), day.false_fraction
    summary.explosion = next(o for o in day.origins if o.etype == "ex")
    summary.explosion_stations = len(
        {a.sta for a in day.assocs if a.orid == summary.explosion.orid}
    )
    summary.waveform_stations = arrays + singles
    stations, problems = read_network(out / "simulation")
    summary.problems += problems

    say("network processing: locating and sizing the events")
    located = locate_bulletin(day.arrivals, day.assocs, stations)
    summary.problems += located.problems
    tables: dict[str, Sequence[Record]] = {
        "origin": located.origins, "origerr": located.origerrs, "assoc": located.assocs,
    }  # fmt: skip
    summary.written += write_tables(
        {t: [rounded(r) for r in rows] for t, rows in tables.items()}, out / "bulletin"
    )
    netmags, stamags, problems = magnitudes_for_tables(
        [out / "bulletin" / "origin.csv", out / "bulletin" / "assoc.csv",
         out / "simulation" / "arrival.csv"]
    )  # fmt: skip
    origins = with_magnitudes(located.origins, netmags)
    summary.written += write_tables(
        {
            "origin": [rounded(o) for o in origins],
            "netmag": [rounded(m) for m in netmags],
            "stamag": [rounded(m) for m in stamags],
        },
        out / "bulletin",
    )
    _score_locations(summary, origins, located.origerrs, day.origins)
    origins = [o if o.evid > 0 else dataclasses.replace(o, evid=o.orid) for o in origins]
    # The stored, served bulletin holds the events that meet the REB's definition criteria.
    primary = {s.code for s in network if s.primary}
    reb = reb_like(origins, located.assocs, primary)
    summary.reb_events = len(reb)
    bulletin = {
        "origin": [rounded(o) for o in origins], "origerr": located.origerrs,
        "assoc": located.assocs, "arrival": day.arrivals, "netmag": netmags, "stamag": stamags,
    }  # fmt: skip
    summary.written.append(write_bulletin(bulletin, out / "bulletin" / "bulletin.ims", "ims1.0"))

    say("testban run: detect, associate, locate, size and store, hour by hour")
    summary.store = out / "testban.sqlite"
    summary.store.unlink(missing_ok=True)  # the demo's store holds one run: start afresh
    # Waveforms exist for a few stations; the others' detections come from the simulator,
    # as arrival messages from elsewhere would.
    external = [a for a in day.arrivals if a.sta not in summary.waveform_stations]
    sites = read_tables(out / "simulation", ["site"]).get("site", [])
    with open_store(summary.store) as store:
        with store.session() as session:
            insert_tables(session, {"site": sites})
        report = run_pipeline(
            sources_from_paths([out / "simulation" / "waveforms"]), stations, store,
            start=start, end=start + hours * 3600.0, external=external,
        )  # fmt: skip
        with store.session() as session:
            stored = load_bulletin(session)
            ta = TABLES_SQL["arrival"]
            detections = read_rows(session, "arrival", ta.c.auth == AUTH)
            stored["arrival"] = read_rows(session, "arrival")
    summary.run_report = report
    summary.problems += [p for w in report.windows for p in w.problems] + report.problems
    (out / "run-report.txt").write_text(report.text(), encoding="utf-8")
    summary.written.append(out / "run-report.txt")
    _score_detections(summary, detections, day)
    auto_origins, auto_assocs = rows_of(stored, Origin), rows_of(stored, Assoc)
    auto_tables = {t: stored.get(t, []) for t in ("origin", "origerr", "assoc", "netmag", "stamag")}
    summary.written += write_tables(auto_tables, out / "automatic")
    # The store gave the detections its own arids: score with the simulator's.
    auto_assocs = _simulator_arids(auto_assocs, stored["arrival"], day.arrivals)
    scored = compare_records(
        auto_origins, auto_assocs, day.origins, day.assocs, max_km=100.0, max_dt=20.0,
        reference_filter=lambda o, _assocs: o.mb >= 3.5,
    )  # fmt: skip
    summary.auto_events = len(auto_origins)
    summary.auto_recall, summary.auto_precision = scored.recall, scored.precision
    summary.auto_assoc_f1 = scored.assoc_f1
    summary.auto_median_km = scored.summary()["median_km"]
    ex = summary.explosion
    summary.explosion_found = any(
        abs(o.time - ex.time) < 20.0 and abs(o.lat - ex.lat) < 2.0 and abs(o.lon - ex.lon) < 2.0
        for o in auto_origins
    )
    summary.written.append(write_bulletin(stored, out / "automatic" / "bulletin.ims", "ims1.0"))
    summary.written = list(dict.fromkeys(summary.written))
    return summary


def reb_like(origins: list[Origin], assocs: list, primary: set[str], minimum: int = 3) -> list:
    """Origins with time-defining phases at ``minimum`` or more primary stations (the REB's
    event definition criterion; the associator will own the full criteria)."""
    stations: dict[int, set[str]] = {}
    for a in assocs:
        if a.timedef == "d" and a.sta in primary:
            stations.setdefault(a.orid, set()).add(a.sta)
    return [o for o in origins if len(stations.get(o.orid, ())) >= minimum]


def _simulator_arids(assocs: list, stored: list, simulated: list, tol: float = 3.0) -> list:
    """``assocs`` with each stored arid replaced by the simulator's arid of that detection:
    the same row for the simulator's detections, the nearest simulated arrival at the
    station within ``tol`` s for testban's own (else a negative arid, matching nothing)."""
    by_sta: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for sta in {a.sta for a in simulated}:
        rows = sorted((a.time, a.arid) for a in simulated if a.sta == sta)
        by_sta[sta] = (np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))
    exact = {(a.sta, round(a.time, 3), a.iphase): a.arid for a in simulated}
    mapping = {}
    for a in stored:
        arid = exact.get((a.sta, round(a.time, 3), a.iphase))
        if arid is None and a.sta in by_sta:
            times, arids = by_sta[a.sta]
            i = int(np.argmin(np.abs(times - a.time))) if times.size else -1
            arid = int(arids[i]) if i >= 0 and abs(times[i] - a.time) <= tol else None
        mapping[a.arid] = arid if arid is not None else -a.arid
    return [dataclasses.replace(x, arid=mapping.get(x.arid, -x.arid)) for x in assocs]


def _score_detections(summary: DemoSummary, detections: list, day) -> None:
    """Detections within 3 s of a true arrival at the same station (array code)."""
    arrival_time = {a.arid: a.time for a in day.arrivals}
    truth: dict[str, list[float]] = {}
    for a in day.assocs:
        if a.sta in summary.waveform_stations:
            truth.setdefault(a.sta, []).append(arrival_time[a.arid])
    summary.truth_arrivals_at_waveform_stations = sum(len(v) for v in truth.values())
    summary.detections = len(detections)
    matched = 0
    for d in detections:
        times = np.asarray(truth.get(d.sta, []))
        matched += bool(times.size and np.min(np.abs(times - d.time)) <= 3.0)
    summary.detections_matched = matched


def _score_locations(summary: DemoSummary, origins: list, origerrs: list, truth: list) -> None:
    """Epicentre errors and 90 % ellipse coverage against the true origins."""
    true_by_orid = {o.orid: o for o in truth}
    err_by_orid = {e.orid: e for e in origerrs}
    errors, covered, well = [], [], []
    for o in origins:
        t = true_by_orid.get(o.orid)
        if t is None:
            continue
        delta, esaz, _ = distance_azimuth(o.lat, o.lon, t.lat, t.lon)
        km = float(delta) * KM_PER_DEG
        errors.append(km)
        e = err_by_orid.get(o.orid)
        if e is not None and e.smajax > 0 and e.sminax > 0:
            inside = _inside_ellipse(km, float(esaz), e.smajax, e.sminax, e.strike)
            covered.append(inside)
            if o.ndef >= 6:
                well.append((km, inside))
        if t.etype == "ex":
            summary.explosion_error_km = km
            summary.explosion_mb = o.mb
    summary.located = len(errors)
    if errors:
        summary.median_error_km = float(np.median(errors))
    if covered:
        summary.ellipse_coverage = float(np.mean(covered))
    if well:
        summary.well_constrained = len(well)
        summary.well_median_error_km = float(np.median([w[0] for w in well]))
        summary.well_ellipse_coverage = float(np.mean([w[1] for w in well]))


def _inside_ellipse(dist_km: float, az_deg: float, smajax: float, sminax: float, strike: float):
    """Is a point ``dist_km`` away at azimuth ``az_deg`` inside the ellipse?"""
    a = np.radians(az_deg - strike)
    along, across = dist_km * np.cos(a), dist_km * np.sin(a)
    return bool((along / smajax) ** 2 + (across / sminax) ** 2 <= 1.0)
