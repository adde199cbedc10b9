"""The demo run: a simulated IMS day through every stage that exists, scored on its truth.

Simulate the day (detections for every station, waveforms for a few), detect on those
waveforms, locate and size the simulated events from their true associations (a check of
location and magnitudes alone), associate all detections into an automatic bulletin, score
each stage against the simulator's ground truth, and store the automatic bulletin for the
web page. Everything is written as CSS3.0 CSV under the output directory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from testban.associate import associate
from testban.bulletin import write_bulletin
from testban.compare import compare_records
from testban.detect import detect_paths
from testban.io.css30 import read_csv, read_tables, write_tables
from testban.io.problems import ReadProblem
from testban.locate import locate_bulletin
from testban.magnitude import magnitudes_for_tables, with_magnitudes
from testban.network import read_network
from testban.records import Event, Origin, rounded
from testban.simulate import TEST_SITES, ims_like_network, simulate_day, write_simulation
from testban.store import insert_tables, open_store
from testban.traveltime import distance_azimuth

KM_PER_DEG = 111.195


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

    say("station processing: detecting on the simulated waveforms")
    written, problems = detect_paths(out / "simulation" / "waveforms", stations, out / "detect")
    summary.written += written
    summary.problems += problems
    detections = read_csv(out / "detect" / "arrival.csv")
    _score_detections(summary, detections, day)

    say("network processing: locating and sizing the events")
    located = locate_bulletin(day.arrivals, day.assocs, stations)
    summary.problems += located.problems
    tables = {"origin": located.origins, "origerr": located.origerrs, "assoc": located.assocs}
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

    say("network processing: associating the detections into an automatic bulletin")
    auto = associate(day.arrivals, stations)
    summary.problems += list(auto.problems)
    auto_origins = [o if o.evid > 0 else dataclasses.replace(o, evid=o.orid) for o in auto.origins]
    auto_tables = {"origin": auto_origins, "origerr": auto.origerrs, "assoc": auto.assocs}
    summary.written += write_tables(
        {t: [rounded(r) for r in rows] for t, rows in auto_tables.items()}, out / "automatic"
    )
    scored = compare_records(
        auto_origins, auto.assocs, day.origins, day.assocs, max_km=100.0, max_dt=20.0,
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
    auto_bulletin = {**auto_tables, "arrival": day.arrivals}
    summary.written.append(
        write_bulletin(auto_bulletin, out / "automatic" / "bulletin.ims", "ims1.0")
    )

    say("storing the automatic bulletin")
    summary.store = out / "testban.sqlite"
    summary.store.unlink(missing_ok=True)  # the demo's store holds one run: start afresh
    sites = read_tables(out / "simulation", ["site"]).get("site", [])
    with open_store(summary.store) as store, store.session() as session:
        insert_tables(session, {**auto_bulletin, "event": _events(auto_origins), "site": sites})
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


def _events(origins: list[Origin]) -> list[Event]:
    """One CSS3.0 ``event`` per located origin (its preferred origin)."""
    return [Event(evid=o.evid, prefor=o.orid, auth=o.auth) for o in origins]


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
