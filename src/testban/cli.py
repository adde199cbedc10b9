"""The ``testban`` command line: thin wrappers that call library functions and print.

No seismology lives here: every command parses options, calls the same functions a
notebook would, and reports with Rich.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

app = typer.Typer(
    name="testban",
    help="testban — an open International Data Centre for the nuclear-test ban.",
    no_args_is_help=True,
    add_completion=False,
)
if TYPE_CHECKING:
    from testban.io.problems import ReadProblem
    from testban.network import Network

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


#: Options shared by ``detect`` and ``run``.
ArraysOption = Annotated[
    list[str] | None,
    typer.Option(
        "--arrays",
        help="Array membership that overrides the metadata: NAME=NET.STA[,NET.STA...] "
        "with glob patterns (YKA=CN.YKR*,CN.YKB*), repeatable, or a file of such lines; "
        "'none' turns off the automatic grouping of FDSN stations into arrays.",
    ),
]
CorrectionsOption = Annotated[
    Path | None,
    typer.Option(
        help="Station corrections (`testban calibrate`'s CSV) applied to the detections' "
        "azimuth and slowness; default: a corrections.csv stored with --stations, if any."
    ),
]


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"testban {version('testban')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
    log_level: Annotated[
        str,
        typer.Option(
            help="What the stages log (module loggers under 'testban'): DEBUG, INFO, "
            "WARNING, ERROR."
        ),
    ] = "WARNING",
) -> None:
    """testban — an open International Data Centre for the nuclear-test ban."""
    import logging

    from rich.logging import RichHandler

    level = getattr(logging, log_level.upper(), None)
    if not isinstance(level, int):
        raise typer.BadParameter(f"unknown level {log_level!r}", param_hint="--log-level")
    handler = RichHandler(console=err_console, show_path=False, rich_tracebacks=False)
    logger = logging.getLogger("testban")
    logger.handlers[:] = [handler]
    logger.setLevel(level)


@app.command()
def info(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to inspect.")],
    max_problems: Annotated[int, typer.Option(help="Print at most this many problems.")] = 200,
) -> None:
    """What waveform files, archives, station files or bulletins contain, and what failed."""
    from rich.progress import Progress

    from testban.describe import describe, summary_lines

    n_problems = 0
    for path in paths:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"reading {path}", total=None)

            def step(done: int, total: int, f: Path, task=task, bar=bar) -> None:
                bar.update(task, completed=done, total=total, description=f"reading {f.name}")

            desc = describe(path, progress=step)
        console.print(f"[bold]{path}[/bold]")
        for line in summary_lines(desc):
            console.print(f"  {line}", highlight=False, soft_wrap=True)
        for i, problem in enumerate(desc.problems):
            if i == max_problems:
                console.print(f"  … and {len(desc.problems) - max_problems} more problems")
                break
            console.print(f"  problem: {problem}", highlight=False, soft_wrap=True)
        if not desc.problems:
            console.print("  no read problems")
        n_problems += len(desc.problems)
    if n_problems:
        console.print(f"{n_problems} read problems in all")


def _report_problems(problems: list, context: str, limit: int = 5) -> None:
    """Print the first ``limit`` read problems and how many more there are."""
    for p in problems[:limit]:
        err_console.print(f"problem: {p}", highlight=False, soft_wrap=True)
    if len(problems) > limit:
        err_console.print(
            f"… {len(problems) - limit} more problems {context} (`testban info` lists them all)"
        )


def _read_stations(
    stations: str | None, arrays: list[str] | None
) -> tuple[Network | None, list[ReadProblem]]:
    """The network of ``--stations`` with ``--arrays`` applied (None without stations).

    Automatic array grouping happens in ``read_network`` unless ``--arrays none``; an
    explicit mapping then overrides it. A bad ``--arrays`` is a usage error.
    """
    if not stations:
        if arrays:
            raise typer.BadParameter(
                "needs --stations (the stations to group)", param_hint="--arrays"
            )
        return None, []
    from testban.network import apply_array_map, parse_array_spec, read_network

    try:
        mapping = parse_array_spec(arrays or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--arrays") from exc
    network, problems = read_network(stations, group=mapping is not None)
    try:
        network = apply_array_map(network, mapping or {})
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--arrays") from exc
    return network, problems


def main() -> None:  # pragma: no cover - console entry point
    """Entry point for ``python -m testban``."""
    sys.exit(app())


@app.command()
def detect(
    paths: Annotated[list[Path], typer.Argument(help="Waveform files or directories.")],
    out: Annotated[Path, typer.Option(help="Output directory for arrival.csv, amplitude.csv.")],
    stations: Annotated[
        str | None,
        typer.Option(help="Station metadata (StationXML, CSS3.0 tables, .geom, CSV)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Detector configuration (TOML); default: built in.")
    ] = None,
    arrays: ArraysOption = None,
    corrections: CorrectionsOption = None,
) -> None:
    """Station processing: detections with onset, amplitude, azimuth and slowness."""
    from rich.progress import Progress

    from testban.detect import detect_paths
    from testban.pipeline.config import ConfigError, read_run_config

    try:  # a detector file, or a run file whose [detect] and [infrasound] tables apply
        run_cfg = read_run_config(config)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from exc
    cfg = run_cfg.detect
    network, read_problems = _read_stations(stations, arrays)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("detecting", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"window {done}/{total}")

        written, problems = detect_paths(
            paths, network, out, cfg, progress=step, infrasound=run_cfg.infrasound
        )
    problems[:0] = read_problems
    from testban.io.css30 import read_records, write_csv
    from testban.records import Arrival

    arrivals = read_records(out / "arrival.csv", Arrival)
    rows = _read_corrections(corrections, stations, problems)
    if rows:
        from testban.calibrate import apply_corrections

        applied: list = []
        arrivals = apply_corrections(arrivals, rows, log=applied)
        write_csv(arrivals, out / "arrival.csv", table="arrival")
        console.print(f"station corrections applied to {len(applied)} detections")
    _report_problems(problems, "in all (see problems.txt)", limit=10)
    console.print(
        f"{len(arrivals)} detections at {len({a.sta for a in arrivals})} stations; "
        f"{len(problems)} problems"
    )
    for path in written:
        console.print(f"  wrote {path}")


@app.command()
def run(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Waveform archives (directories) or files.")
    ] = None,
    stations: Annotated[
        str, typer.Option(help="Station metadata (StationXML, CSS3.0 tables, .geom, CSV).")
    ] = "",
    store: Annotated[
        str | None,
        typer.Option(help="Store: an SQLite file or a database URL \\[config: store.url]."),
    ] = None,
    start: Annotated[str | None, typer.Option(help="Start (UTC, ISO 8601); default: data.")] = None,
    end: Annotated[str | None, typer.Option(help="End (UTC, ISO 8601); default: data.")] = None,
    window: Annotated[
        float | None, typer.Option(help="Processing window (s) \\[config: run.window, 3600].")
    ] = None,
    arrivals: Annotated[
        Path | None,
        typer.Option(help="Detections from elsewhere: arrival.csv or a CSS3.0 directory."),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option(help="Run label (resume key) in the store \\[config: run.label, testban]."),
    ] = None,
    auth: Annotated[
        str | None,
        typer.Option(help="Author of every row written \\[config: run.auth, testban]."),
    ] = None,
    redo: Annotated[bool, typer.Option(help="Re-process windows already done.")] = False,
    workers: Annotated[int, typer.Option(help="Local Dask workers (processes); 0 = run here.")] = 0,
    threads: Annotated[int, typer.Option(help="Threads per local Dask worker.")] = 1,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of a running Dask scheduler.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="Run configuration (TOML) with tables \\[run], \\[store], \\[detect], "
            "\\[associate] (preset = global|local, then any associator field) and "
            "\\[locate] (the events' final location), \\[surface] (Ms) and \\[screen] "
            "(screening lines); `testban config` writes the defaults "
            "with each setting's unit and reason. A file without these tables is read as a "
            "detector configuration. Options given here override the file."
        ),
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Run report file; default: next to the store.")
    ] = None,
    arrays: ArraysOption = None,
    corrections: CorrectionsOption = None,
    units: Annotated[
        str | None,
        typer.Option(
            help="Units of records without a response (displacement): m, um or nm "
            "\\[config: detect.assume_units, surface.assume_units]."
        ),
    ] = None,
) -> None:
    """The whole chain over a time span: read → detect → associate → locate → size → screen
    → store.

    Windows already done are skipped (resume); re-running a window replaces its
    automatic events, never duplicates them.
    """
    import dataclasses
    from contextlib import ExitStack

    from obspy import UTCDateTime
    from rich.progress import Progress

    from testban.pipeline.config import ConfigError, read_run_config
    from testban.pipeline.run import run_pipeline, sources_from_paths
    from testban.store import open_store

    if not stations:
        raise typer.BadParameter("--stations is required (station metadata)")
    try:
        cfg = read_run_config(config)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from exc
    given: dict[str, Any] = {"window": window, "label": label, "auth": auth, "store": store}
    cfg = dataclasses.replace(cfg, **{k: v for k, v in given.items() if v is not None})
    if redo:
        cfg = dataclasses.replace(cfg, redo=True)
    if units is not None:
        from testban.features.amplitude import NM_PER_UNIT

        if units not in NM_PER_UNIT:
            raise typer.BadParameter(f"use one of {', '.join(NM_PER_UNIT)}", param_hint="--units")
        cfg = dataclasses.replace(
            cfg, detect=dataclasses.replace(cfg.detect, assume_units=units),
            surface=dataclasses.replace(cfg.surface, assume_units=units),
        )  # fmt: skip
    network, problems = _read_stations(stations, arrays)
    assert network is not None  # --stations is required here
    external, ext_amps = _read_external(arrivals, problems)
    station_corrections = _read_corrections(corrections, stations, problems)
    t0 = float(UTCDateTime(start)) if start else None
    t1 = float(UTCDateTime(end)) if end else None
    with ExitStack() as stack:
        client = None
        if scheduler or workers:
            from dask.distributed import Client, LocalCluster

            if scheduler:
                client = stack.enter_context(Client(scheduler))
            else:
                cluster = stack.enter_context(
                    LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True)
                )
                client = stack.enter_context(Client(cluster))
        db = stack.enter_context(open_store(cfg.store))
        bar = stack.enter_context(Progress(console=console, transient=True))
        tasks = {k: bar.add_task(k, total=None) for k in ("detect", "associate")}

        def step(stage: str, done: int, total: int) -> None:
            bar.update(
                tasks[stage], completed=done, total=total, description=f"{stage} {done}/{total}"
            )

        result = run_pipeline(
            sources_from_paths(paths or []), network, db, start=t0, end=t1, config=cfg,
            external=external, external_amplitudes=ext_amps, client=client, progress=step,
            corrections=station_corrections,
        )  # fmt: skip
    result.problems[:0] = problems
    text = result.text()
    if report is None:
        base = Path(cfg.store) if "://" not in cfg.store else Path.cwd() / "testban"
        report = base.with_name(f"{base.stem}.{cfg.label}.run-report.txt")
    report.write_text(text, encoding="utf-8")
    for line in text.splitlines()[:5]:
        console.print(line, markup=False, highlight=False)
    _report_problems(result.problems, "while surveying the input")
    console.print(f"run report: {report}")


@app.command("config")
def config_(
    out: Annotated[
        Path | None, typer.Option(help="Write the configuration here; default: print it.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Start from this run configuration instead.")
    ] = None,
) -> None:
    """The run configuration (TOML) with every setting's unit and reason: the defaults, or
    a file's settings completed with them. Edit it and pass it to `testban run --config`."""
    from testban.pipeline.config import ConfigError, read_run_config, run_config_toml

    try:
        text = run_config_toml(read_run_config(config))
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from exc
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")


def _read_corrections(path: Path | None, stations: str | None, problems: list) -> list:
    """Station corrections from ``path``, else from a corrections.csv beside the station
    metadata; none when neither exists."""
    from testban.calibrate import corrections_beside, read_corrections

    if path is None and stations:
        path = corrections_beside(stations)
    if path is None:
        return []
    if not path.is_file():
        raise typer.BadParameter(f"{path} does not exist", param_hint="--corrections")
    return read_corrections(path, problems)


def _read_external(path: Path | None, problems: list) -> tuple[list, list]:
    """Arrivals (and amplitudes) from an arrival.csv file or a CSS3.0 CSV directory; bad
    rows are added to ``problems`` and skipped."""
    from testban.io.css30 import read_csv, read_tables

    if path is None:
        return [], []
    if not path.exists():
        raise typer.BadParameter(f"{path} does not exist", param_hint="--arrivals")
    if path.is_dir():
        tables = read_tables(path, ["arrival", "amplitude"], problems)
        return tables.get("arrival", []), tables.get("amplitude", [])
    return read_csv(path, table="arrival", problems=problems), []


@app.command()
def locate(
    arrivals: Annotated[Path, typer.Option(help="CSS3.0 arrival table (CSV or flat file).")],
    assoc: Annotated[
        Path, typer.Option(help="CSS3.0 assoc table: which arrivals make which orid.")
    ],
    stations: Annotated[
        str, typer.Option(help="Station metadata (StationXML, CSS3.0, .geom, CSV).")
    ],
    out: Annotated[Path, typer.Option(help="Output directory.")],
    origin: Annotated[
        Path | None, typer.Option(help="Analyst origins (their fixed-depth flags are kept).")
    ] = None,
    amplitude: Annotated[
        Path | None,
        typer.Option(help="CSS3.0 amplitude table for magnitudes (default: next to --arrivals)."),
    ] = None,
    corrections: Annotated[
        Path | None,
        typer.Option(
            help="Station corrections (testban calibrate): their travel-time terms "
            "are subtracted from the observed times, their errors added."
        ),
    ] = None,
) -> None:
    """Relocate every orid in ASSOC from its defining rows; write origin, origerr, assoc,
    netmag and stamag (CSS3.0 CSV)."""
    from testban.calibrate import time_terms
    from testban.io.css30 import read_records, write_csv
    from testban.locate import LocatorConfig, locate_tables
    from testban.magnitude import magnitudes_for_tables, with_magnitudes
    from testban.records import Origin, rounded

    problems: list = []
    terms = time_terms(_read_corrections(corrections, None, problems)) if corrections else ()
    config = LocatorConfig(time_corrections=terms)
    with console.status("locating …"):
        written, loc_problems = locate_tables(arrivals, assoc, stations, out, origin,
                                              config=config)  # fmt: skip
    problems += loc_problems
    amplitude = amplitude or arrivals.with_name(f"amplitude{arrivals.suffix}")
    sources = [out / "origin.csv", out / "assoc.csv", arrivals]
    if amplitude.exists():
        sources.append(amplitude)
    with console.status("magnitudes …"):
        netmags, stamags, mag_problems = magnitudes_for_tables(sources, stations)
    origins = with_magnitudes(read_records(out / "origin.csv", Origin), netmags)
    written += [
        write_csv([rounded(r) for r in rows], out / f"{table}.csv", table=table)
        for table, rows in (("origin", origins), ("netmag", netmags), ("stamag", stamags))
    ]
    _report_problems(problems + mag_problems, "in all", limit=10)
    console.print(f"{len(origins)} origins located, {len(netmags)} network magnitudes")
    for path in dict.fromkeys(written):
        console.print(f"  wrote {path}")


@app.command()
def relocate(
    arrivals: Annotated[Path, typer.Option(help="CSS3.0 arrival table.")],
    assoc: Annotated[Path, typer.Option(help="CSS3.0 assoc table.")],
    origin: Annotated[Path, typer.Option(help="CSS3.0 origin table (starting locations).")],
    stations: Annotated[str, typer.Option(help="Station metadata (any format testban reads).")],
    out: Annotated[Path, typer.Option(help="Output directory.")],
    master: Annotated[
        int | None, typer.Option(help="orid of the master event, kept at its location.")
    ] = None,
    method: Annotated[
        str, typer.Option(help="'master' (master event) or 'dd' (double differences).")
    ] = "master",
) -> None:
    """Relative location of a cluster: master event or double differences."""
    from testban.relocate import relocate_tables

    with console.status("relocating …"):
        result = relocate_tables(
            arrivals, assoc, origin, stations, out, master=master, method=method
        )
    console.print(
        f"{len(result.origins)} origins relocated ({method}); wrote {out}/origin.csv, origerr.csv"
    )


@app.command()
def associate(
    arrivals: Annotated[Path, typer.Option(help="CSS3.0 arrival table (detections).")],
    stations: Annotated[str, typer.Option(help="Station metadata (any format testban reads).")],
    out: Annotated[Path, typer.Option(help="Output directory for the automatic bulletin.")],
    amplitude: Annotated[
        Path | None, typer.Option(help="CSS3.0 amplitude table for magnitudes.")
    ] = None,
    local: Annotated[
        bool, typer.Option(help="Dense local network preset (regional grid, P and S).")
    ] = False,
) -> None:
    """Network processing: associate detections into located events (an automatic bulletin)."""
    from rich.progress import Progress

    from testban.associate import AssociatorConfig, associate_tables

    config = AssociatorConfig.local() if local else AssociatorConfig()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("associating", total=1.0)
        result, written = associate_tables(
            arrivals, stations, out, config,
            progress=lambda f: bar.update(task, completed=f), amplitude_csv=amplitude,
        )  # fmt: skip
    _report_problems(list(result.problems), "in all", limit=10)
    console.print(f"{len(result.origins)} events, {len(result.assocs)} associated arrivals")
    for path in written:
        console.print(f"  wrote {path}")


@app.command()
def compare(
    bulletin_dir: Annotated[Path, typer.Argument(help="Bulletin to score (CSS3.0 CSV dir).")],
    reference_dir: Annotated[Path, typer.Argument(help="Reference bulletin (CSS3.0 CSV dir).")],
    max_km: Annotated[
        float, typer.Option(help="Match distance when no arrival is shared.")
    ] = 100.0,
    max_dt: Annotated[float, typer.Option(help="Match origin-time difference, s.")] = 20.0,
    min_defining_stations: Annotated[
        int, typer.Option(help="Score only reference events with this many defining stations.")
    ] = 0,
    start: Annotated[
        str | None, typer.Option(help="Score only events from this time (ISO 8601, UTC).")
    ] = None,
    end: Annotated[str | None, typer.Option(help="… and before this time.")] = None,
) -> None:
    """Score a bulletin against a reference: recall, precision, duplicates, association F1,
    differences. With --start/--end, events are matched on the whole bulletins and only
    those of the span are scored (held-out halves of a window)."""
    from obspy import UTCDateTime

    from testban.compare import compare as run_compare

    span = None
    if start is not None or end is not None:
        try:
            span = (float(UTCDateTime(start)) if start else -1e12,
                    float(UTCDateTime(end)) if end else 1e12)  # fmt: skip
        except (TypeError, ValueError) as exc:
            raise typer.BadParameter(f"not a time: {exc}", param_hint="--start/--end") from None
    result = run_compare(
        bulletin_dir, reference_dir, max_km=max_km, max_dt=max_dt,
        min_defining_stations=min_defining_stations, span=span,
    )  # fmt: skip
    console.print(result.text(), highlight=False)


def _read_bulletin_sources(sources: list[Path]) -> dict[str, list]:
    """CSS3.0 tables or bulletin files merged (a table from the first source that has it)."""
    from testban.bulletin import read_bulletin
    from testban.io.css30 import read_tables

    tables: dict[str, list] = {}
    for source in sources:
        found = read_tables(source) if source.is_dir() or not source.exists() else None
        for name, rows in (found if found is not None else read_bulletin(source)).items():
            tables.setdefault(name, list(rows))
    return tables


@app.command()
def bulletin(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="CSS3.0 tables (directories or flat-file prefixes) or bulletin files; a table "
            "found in several sources is taken from the first (e.g. LOCATED_DIR DETECTIONS_DIR)."
        ),
    ],
    out: Annotated[Path, typer.Option(help="Output file.")],
    format: Annotated[
        str, typer.Option("--format", help="ims1.0, quakeml, csv or geojson.")
    ] = "ims1.0",
) -> None:
    """Write a bulletin (origins, errors, magnitudes, phases) as IMS1.0, QuakeML, CSV or GeoJSON."""
    from testban.bulletin import BulletinError, write_bulletin

    tables = _read_bulletin_sources(sources)
    if not tables.get("origin"):
        err_console.print(f"no origins found in {', '.join(map(str, sources))}")
        raise typer.Exit(1)
    try:
        path = write_bulletin(tables, out, format)
    except BulletinError as exc:
        err_console.print(f"cannot write the bulletin: {exc}")
        raise typer.Exit(1) from None
    console.print(f"{len(tables['origin'])} origins written to {path} ({format})")


@app.command()
def screen(
    sources: Annotated[
        list[Path] | None,
        typer.Argument(help="Bulletin: CSS3.0 table directories or IMS1.0/QuakeML/CSV files."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("screened"),
    store: Annotated[
        str | None,
        typer.Option(help="Screen the events of a store (file or database URL) instead."),
    ] = None,
    write_store: Annotated[
        bool, typer.Option(help="With --store: write the screen/evchar rows into it.")
    ] = True,
    format: Annotated[
        list[str] | None,
        typer.Option("--format", help="Screened bulletin format(s): ims1.0, quakeml, csv."),
    ] = None,
    waveforms: Annotated[
        list[Path] | None,
        typer.Option(
            help="Waveform files or folders: regional P/S and P character are "
            "measured on them (needs --stations)."
        ),
    ] = None,
    stations: Annotated[str | None, typer.Option(help="Station metadata of the waveforms.")] = None,
    units: Annotated[
        str | None,
        typer.Option(help="Units of waveforms without a response (displacement): m, um, nm."),
    ] = None,
) -> None:
    """Event screening: each event's criteria (depth, mb:Ms, regional P/S, offshore) and
    characterisation parameters; writes screening.csv, evchar.csv and a screened bulletin."""
    from testban.bulletin import BulletinError, write_bulletin
    from testban.io.css30 import rows_of, write_csv
    from testban.records import Netmag, Origin, Screen, rounded
    from testban.screening import screen_bulletin

    measure: Callable[[dict], dict] | None = None
    if waveforms:
        if not stations:
            raise typer.BadParameter("--waveforms needs --stations", param_hint="--stations")
        from testban.pipeline.run import sources_from_paths
        from testban.pipeline.screen_measure import screening_measurements

        network, problems = _read_stations(stations, None)
        assert network is not None  # stations given
        _report_problems(problems, "in the station metadata")
        wf_sources = sources_from_paths(waveforms)

        def _measure(tables: dict) -> dict:
            """Ms (added to ``tables`` unless it has Ms already), regional P/S, P character."""
            from testban.pipeline.event_measure import (
                SurfaceWaveConfig,
                archive_reader,
                measure_surface_waves,
            )

            origins = rows_of(tables, Origin)
            if not any(m.magtype.startswith("ms") for m in rows_of(tables, Netmag)):
                first = max((m.magid for m in rows_of(tables, Netmag)), default=0) + 1
                ms = measure_surface_waves(
                    origins, archive_reader(wf_sources), network,
                    SurfaceWaveConfig(assume_units=units or ""), first_magid=first,
                )  # fmt: skip
                _report_problems(ms.problems, "while measuring Ms")
                for name, rows in (("netmag", ms.netmags), ("stamag", ms.stamags),
                                   ("amplitude", ms.amplitudes)):  # fmt: skip
                    tables[name] = list(tables.get(name, [])) + rows
            measured, probs = screening_measurements(origins, wf_sources, network)
            _report_problems(probs, "while measuring")
            return measured

        measure = _measure

    if store is None and not sources:
        err_console.print("give a bulletin (SOURCES) or --store")
        raise typer.Exit(2)
    if store is not None:
        from testban.store import load_bulletin, open_store, replace_origin_rows

        with open_store(store) as db, db.session() as session:
            tables = load_bulletin(session)
            origins = rows_of(tables, Origin)
            rows = screen_bulletin(tables, measure(tables) if measure is not None else None)
            if write_store:
                replace_origin_rows(session, rows, [o.orid for o in origins])
    else:
        tables = _read_bulletin_sources(sources or [])
        origins = rows_of(tables, Origin)
        rows = screen_bulletin(tables, measure(tables) if measure is not None else None)
    if not tables.get("origin"):
        err_console.print("no origins to screen")
        raise typer.Exit(1)
    tables.update(rows)
    written = [
        write_csv([rounded(r) for r in rows["screen"]], out / "screening.csv", table="screen"),
        write_csv([rounded(r) for r in rows["evchar"]], out / "evchar.csv", table="evchar"),
    ]
    suffix = {"ims1.0": "ims", "quakeml": "xml", "csv": "csv"}
    for fmt in format or ["ims1.0"]:
        try:
            written.append(write_bulletin(tables, out / f"bulletin.{suffix.get(fmt, fmt)}", fmt))
        except BulletinError as exc:
            err_console.print(f"cannot write the {fmt} bulletin: {exc}")
    events = [r for r in rows_of(rows, Screen) if r.criterion == "event"]
    counts = {k: sum(r.outcome == k for r in events) for k in
              ("screened out", "not screened out", "not assessed")}  # fmt: skip
    console.print(
        f"{len(events)} events: {counts['screened out']} screened out, "
        f"{counts['not screened out']} not screened out, {counts['not assessed']} not assessed"
    )
    if store is not None and write_store:
        console.print(f"  screening rows stored in {store}")
    for path in written:
        console.print(f"  wrote {path}")


@app.command()
def spectrum(
    files: Annotated[
        list[Path],
        typer.Argument(help="Gamma spectra (IMS2.0 PHD, N42.42, .spe, .cnf, .spc, .h5)."),
    ],
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("spectrum"),
    background: Annotated[
        Path | None, typer.Option(help="Background spectrum subtracted peak by peak.")
    ] = None,
    store: Annotated[
        str | None, typer.Option(help="Also write the samples and results into this store.")
    ] = None,
    sum_series: Annotated[
        bool,
        typer.Option(
            "--sum",
            help="A file of many short spectra (portal, N42): analyse the "
            "summed foreground (slices above the gross-count background) against "
            "the quiet start and end of the series.",
        ),
    ] = False,
) -> None:
    """Analyse gamma spectra: calibration, peaks, nuclides, activities/MDCs, IDC level.

    Writes sample.csv, peaks.csv, nuclides.csv, lines.csv, category.csv and one
    RRR-like report per spectrum; the station history for the level comes from the
    store's earlier samples when --store is given."""
    from testban.bulletin.rrr import format_rrr
    from testban.io.css30 import write_csv
    from testban.io.spectra import read_spectra
    from testban.radionuclide.analysis import analyse_spectrum
    from testban.radionuclide.rows import result_rows
    from testban.records import rounded
    from testban.store.samples import sample_data_row

    problems: list[ReadProblem] = []
    bg = None
    if background is not None:
        found = read_spectra(background, problems)
        bg = found[0] if found else None
        if bg is None:
            err_console.print(f"no background spectrum read from {background}")
            raise typer.Exit(1)
    samples: list[tuple[Any, dict[str, list], Any]] = []
    results: list[tuple[Path, int, Any]] = []
    for path in files:
        spectra = read_spectra(path, problems)
        if sum_series and len(spectra) > 1:
            from testban.radionuclide.portal import occupancy_sum

            try:
                occ = occupancy_sum(spectra)
            except ValueError as exc:
                problems.append(ReadProblem(str(path), f"cannot sum the series: {exc}"))
                continue
            console.print(f"{path.name}: {occ.slices} slices, {occ.foreground_slices} above "
                          f"{occ.threshold:.0f} gross counts summed as foreground, "
                          f"{occ.background_slices} quiet ones as background")  # fmt: skip
            spectra = [occ.foreground]
            bg = bg or occ.background
        for k, sp in enumerate(spectra):
            history = _station_history(store, sp.station) if store else None
            res = analyse_spectrum(sp, bg, history)
            sample = dataclasses.replace(sample_data_row(sp, path=path), sample_id=len(samples) + 1)
            rows = result_rows(res)
            samples.append((sample, rows, res))
            results.append((path, k, res))
    _report_problems(problems, "while reading", limit=10)
    if not samples:
        err_console.print("no spectrum read")
        raise typer.Exit(1)
    out.mkdir(parents=True, exist_ok=True)
    names = {"gards_peaks": "peaks", "gards_nucl_ided": "nuclides",
             "gards_nucl_lines_ided": "lines", "gards_sample_cat": "category"}  # fmt: skip
    merged: dict[str, list] = {t: [] for t in names}
    for sample, rows, res in samples:
        for t, rs in rows.items():
            merged[t] += [dataclasses.replace(r, sample_id=sample.sample_id) for r in rs]  # type: ignore[call-arg]
        report = out / f"report_{sample.sample_id}.txt"
        text = format_rrr(sample, rows)
        if res.problems:
            text += "\nPROBLEMS\n" + "".join(f"- {p}\n" for p in res.problems)
        report.write_text(text, encoding="utf-8")
    written = [write_csv([rounded(s) for s, _, _ in samples], out / "sample.csv",
                         table="gards_sample_data")]  # fmt: skip
    written += [write_csv([rounded(r) for r in merged[t]], out / f"{n}.csv", table=t)
                for t, n in names.items()]  # fmt: skip
    if store is not None:
        from testban.store import open_store
        from testban.store.samples import store_sample

        with open_store(store) as db, db.session() as session:
            for sample, rows, _ in samples:
                store_sample(session, dataclasses.replace(sample, sample_id=-1), rows)
        console.print(f"  {len(samples)} samples stored in {store}")
    for path, k, res in results:
        level = res.categorisation.level if res.categorisation else "–"
        found_n = ", ".join(
            f"{n.identification.nuclide} ({n.identification.significance:.1f}σ)"
            for n in res.nuclides
        )  # fmt: skip
        console.print(f"{path.name}[{k}]: level {level}; calibration "
                      f"{res.calibration.method}; {len(res.peaks)} peaks; "
                      f"nuclides: {found_n or 'none'}", highlight=False)  # fmt: skip
    for path in written:
        console.print(f"  wrote {path}")


def _station_history(store: str | None, station: str) -> dict[str, list[float]] | None:
    """Earlier concentrations (µBq/m³) per nuclide at ``station`` in the store."""
    if not store or not station:
        return None
    import sqlalchemy as sa

    from testban.store import TABLES_SQL, open_store

    s, n = TABLES_SQL["gards_sample_data"], TABLES_SQL["gards_nucl_ided"]
    history: dict[str, list[float]] = {}
    with open_store(store) as db, db.session() as session:
        rows = session.execute(
            sa.select(n.c.name, n.c.conc).join(s, s.c.sample_id == n.c.sample_id)
            .where(s.c.sta == station[:6], n.c.nid_flag == 1, n.c.conc >= 0)
        )  # fmt: skip
        for name, conc in rows:
            history.setdefault(name, []).append(float(conc) / 1e6)  # µBq/m³ → Bq/m³
    return history


@app.command()
def serve(
    store: Annotated[Path, typer.Argument(help="The store: a SQLite file (or use --url).")],
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8000,
    background: Annotated[
        bool,
        typer.Option(help="Start the server in the background, print its URL and PID, return."),
    ] = False,
    require_login: Annotated[
        bool,
        typer.Option(
            help="Every page and query needs a login (default: reads are open; "
            "review writes always need an analyst)."
        ),
    ] = False,
) -> None:
    """Serve the bulletin: FDSN event web service, pages (map, list, event) and analyst
    review (`testban user add` first). Listens on 127.0.0.1 unless --host 0.0.0.0 opens it."""
    import socket

    if port == 0 or not _port_free(host, port):
        with socket.socket() as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
    url = f"http://{host}:{port}/"
    if background:
        pid = _serve_in_background(store, host, port, require_login)
        console.print(f"testban web page: {url}  (FDSN: {url}fdsnws/event/1/)")
        console.print(f"stop it with: kill {pid}")
        return
    from testban.service import serve as run_server

    console.print(f"testban web page: {url}  (FDSN: {url}fdsnws/event/1/); stop with Ctrl-C")
    run_server(store, host=host, port=port, log_level="warning", open_reads=not require_login)


@app.command()
def fetch(
    url: Annotated[str, typer.Argument(help="FDSN data centre (base URL or ObsPy name).")],
    out: Annotated[Path, typer.Option(help="Archive folder (stations/, waveforms/).")] = Path(
        "fetched"
    ),
    event: Annotated[
        str | None, typer.Option(help="The event: TIME,LAT,LON[,DEPTH_KM] (UTC, degrees).")
    ] = None,
    evid: Annotated[
        int | None, typer.Option(help="The event by id: in --store, else the centre's events.")
    ] = None,
    store: Annotated[str | None, typer.Option(help="Store holding --evid.")] = None,
    mindist: Annotated[float, typer.Option(help="Nearest station (degrees).")] = 0.0,
    maxdist: Annotated[float, typer.Option(help="Farthest station (degrees).")] = 30.0,
    channels: Annotated[str, typer.Option(help="Channel patterns, comma-separated.")] = (
        "BH?,SH?,HH?"
    ),
    before: Annotated[float, typer.Option(help="Seconds before the first predicted P.")] = 300.0,
    after: Annotated[float, typer.Option(help="Seconds after the last predicted S.")] = 300.0,
) -> None:
    """After an event: the waveforms and station metadata of the stations in range, from
    an FDSN data centre, into an archive `testban run` reads (files there are skipped)."""
    from rich.progress import Progress

    from testban.pipeline.fetch import (
        FetchConfig,
        FetchEvent,
        event_from_store,
        event_from_text,
        fetch_event,
    )

    if (event is None) == (evid is None):
        raise typer.BadParameter("give --event or --evid (one of them)")
    ev: FetchEvent
    if event is not None:
        try:
            ev = event_from_text(event)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--event") from exc
    elif store:
        from testban.store import open_store

        with open_store(store) as db:
            try:
                ev = event_from_store(db, int(evid or 0))
            except LookupError as exc:
                raise typer.BadParameter(str(exc), param_hint="--evid") from exc
    else:
        from obspy.clients.fdsn import Client

        o = Client(url).get_events(eventid=str(evid))[0].preferred_origin()
        ev = FetchEvent(o.time.timestamp, o.latitude, o.longitude, (o.depth or 0.0) / 1000.0)
    cfg = FetchConfig(mindist=mindist, maxdist=maxdist, channels=channels, before=before,
                      after=after)  # fmt: skip
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("stations", total=None)

        def step(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=f"{name} {done}/{total}")

        report = fetch_event(url, ev, out, cfg, progress=step)
    for line in report.text().splitlines()[:12]:
        console.print(line, markup=False, highlight=False)
    console.print(f"report: {out / 'fetch-report.txt'}; next: testban run {out / 'waveforms'} "
                  f"--stations {out / 'stations'}")  # fmt: skip


def _port_free(host: str, port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


def _serve_in_background(store: Path, host: str, port: int, require_login: bool = False) -> int:
    """Start ``testban serve`` detached; wait until it answers; return its PID."""
    import subprocess
    import time
    import urllib.error
    import urllib.request

    log = store.with_name("server.log")
    cmd = [
        sys.executable,
        "-m",
        "testban",
        "serve",
        str(store),
        "--host",
        host,
        "--port",
        str(port),
        *(["--require-login"] if require_login else []),
    ]
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=fh, start_new_session=True)
    store.with_name("server.pid").write_text(f"{proc.pid}\n")
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://{host}:{port}/fdsnws/event/1/version", timeout=1)
            return proc.pid
        except urllib.error.HTTPError:  # it answers (401 when reads need a login)
            return proc.pid
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    err_console.print(f"the server did not start; see {log}")
    raise typer.Exit(1)


def _parse_explosion(
    text: str, start: float, hours: float
) -> tuple[str, float, float, float, float]:
    """``NAME`` or ``NAME@OFFSET_H:MB`` or ``LAT,LON@OFFSET_H:MB`` → (name, lat, lon, time, mb)."""
    from testban.simulate import TEST_SITES

    where, _, rest = text.partition("@")
    offset, _, mb = rest.partition(":")
    if where.lower() in TEST_SITES:
        name, (lat, lon) = where.lower(), TEST_SITES[where.lower()]
    else:
        try:
            lat, lon = (float(x) for x in where.split(","))
        except ValueError:
            raise typer.BadParameter(
                f"{text!r}: give a test site ({', '.join(TEST_SITES)}) or LAT,LON, "
                "optionally @HOURS_AFTER_START:MB"
            ) from None
        name = f"{lat:.2f},{lon:.2f}"
    t = start + 3600.0 * (float(offset) if offset else hours / 2)
    return name, lat, lon, t, float(mb) if mb else 5.0


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Output directory (CSS3.0 CSV tables).")] = Path("sim"),
    start: Annotated[str, typer.Option(help="Start time (UTC, ISO 8601).")] = "2024-01-01",
    hours: Annotated[float, typer.Option(help="Length of the simulated span, hours.")] = 24.0,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same output.")] = 1,
    stations: Annotated[
        str | None,
        typer.Option(
            help="Station metadata (StationXML, CSS3.0 tables, .geom, CSV); "
            "default: a generated IMS-like network."
        ),
    ] = None,
    explosion: Annotated[
        list[str] | None,
        typer.Option(help="Declared explosion: NAME or LAT,LON, optionally @HOURS:MB."),
    ] = None,
    waveforms: Annotated[
        str | None,
        typer.Option(help="Also write MiniSEED for these stations (comma-separated codes)."),
    ] = None,
) -> None:
    """Simulate IMS detections (and optionally waveforms) with ground truth, as CSS3.0."""
    from obspy import UTCDateTime

    from testban.simulate import simulate_day, write_simulation

    t0 = UTCDateTime(start).timestamp
    explosions = [_parse_explosion(e, t0, hours) for e in explosion or []]
    network = None
    if stations:
        from testban.network import read_network

        network, problems = read_network(stations)
        _report_problems(problems, f"reading {stations}")
    wave_stations = [s.strip() for s in waveforms.split(",")] if waveforms else None
    with console.status("simulating …"):
        result = simulate_day(
            t0, seed=seed, network=network, explosions=explosions,
            waveforms_for=wave_stations, duration=3600.0 * hours,
        )  # fmt: skip
    written = write_simulation(result, out)
    n_true = len({a.arid for a in result.assocs})
    console.print(
        f"{len(result.stations)} stations, {len(result.origins)} events "
        f"({sum(o.mb >= 3.5 for o in result.origins)} with mb ≥ 3.5), "
        f"{len(result.arrivals)} arrivals ({len(result.arrivals) - n_true} false, "
        f"{result.false_fraction:.0%})"
        + (f", {len(result.waveforms)} waveform traces" if result.waveforms else "")
    )
    console.print(f"wrote {len(written)} files to {out}/")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Where the demo writes its output.")] = Path(
        "demo-output"
    ),
    seed: Annotated[int, typer.Option(help="Random seed of the simulated day.")] = 2024,
) -> None:
    """Simulate an IMS day with a declared explosion and run every stage that exists."""
    import time

    from obspy import UTCDateTime
    from rich.progress import Progress

    from testban.pipeline import run_demo

    started = time.process_time()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("demo", total=3)

        def step(message: str) -> None:
            bar.update(task, description=message, advance=0 if message.startswith("sim") else 1)

        s = run_demo(out, seed=seed, progress=step)
    ex = s.explosion
    console.print(
        f"[bold]Simulated IMS day[/bold] 2024-01-01 (seed {seed}): {s.n_stations} stations, "
        f"{s.n_events} events, {s.n_arrivals} detections ({s.false_fraction:.0%} false)."
    )
    if ex is not None:
        console.print(
            f"Declared explosion at Punggye-ri {UTCDateTime(ex.time).isoformat()}, mb "
            f"{ex.mb:.1f}: detected at {s.explosion_stations} stations; located "
            f"{s.explosion_error_km:.1f} km from the truth, mb {s.explosion_mb:.2f}."
        )
    console.print(
        f"Station processing on the waveforms of {', '.join(s.waveform_stations)}: "
        f"{s.detections} detections, {s.detections_matched} within 3 s of a true arrival "
        f"({s.truth_arrivals_at_waveform_stations} true arrivals there)."
    )
    console.print(
        f"Location and magnitudes from the true associations: {s.located} events, median error "
        f"{s.median_error_km:.0f} km, 90 % ellipse covers the truth for {s.ellipse_coverage:.0%};"
        f" the {s.well_constrained} with ≥ 6 defining phases: {s.well_median_error_km:.1f} km, "
        f"coverage {s.well_ellipse_coverage:.0%}."
    )
    console.print(
        f"Automatic bulletin (`testban run`, hour by hour): {s.auto_events} "
        f"events; recall {s.auto_recall:.0%} of the true mb ≥ 3.5 events, precision "
        f"{s.auto_precision:.0%}, association F1 {s.auto_assoc_f1:.2f}, median epicentre error "
        f"{s.auto_median_km:.0f} km; the explosion {'is' if s.explosion_found else 'is NOT'} in it."
    )
    _report_problems(s.problems, "in all")
    console.print(
        f"\n[bold]Output[/bold] in {out.resolve()}/ ({time.process_time() - started:.0f} CPU s):"
    )
    console.print(
        "  simulation/   the simulated day: arrival.csv (detections), origin.csv + assoc.csv"
    )
    console.print(
        "                (ground truth), site/sitechan/affiliation.csv, waveforms/*.mseed"
    )
    console.print("  bulletin/     events located from the true associations (CSS3.0 CSV, IMS1.0)")
    console.print(
        "  automatic/    the automatic bulletin of `testban run`: origin, origerr, assoc, netmag,"
    )
    console.print("                stamag (CSS3.0 CSV) and bulletin.ims (IMS1.0)")
    console.print("  run-report.txt what each hour read, detected and formed, and every problem")
    console.print(
        f"  testban.sqlite the stored automatic bulletin; see it with `testban serve {s.store}`"
    )


@app.command()
def calibrate(
    arrivals: Annotated[
        Path, typer.Option(help="Measured arrivals: arrival table or CSS3.0 directory.")
    ],
    reference: Annotated[
        Path,
        typer.Option(
            help="Reference events: CSS3.0 directory (origin + assoc), origin table, "
            "or a USGS catalogue CSV (arrivals then tied to first P by time)."
        ),
    ],
    stations: Annotated[
        str, typer.Option(help="Station metadata (StationXML, CSS3.0 tables, .geom, CSV).")
    ],
    out: Annotated[Path, typer.Option(help="Corrections CSV to write (units in the header).")],
    assoc: Annotated[
        Path | None, typer.Option(help="CSS3.0 assoc table tying arrivals to reference events.")
    ] = None,
    residuals_out: Annotated[
        Path | None, typer.Option("--residuals", help="Also write every residual (CSV).")
    ] = None,
    model: Annotated[str, typer.Option(help="Travel-time model.")] = "iasp91",
    window: Annotated[
        float, typer.Option(help="Without assoc rows: largest |first-P residual|, s.")
    ] = 10.0,
    min_n: Annotated[int, typer.Option(help="Residuals needed for a correction.")] = 3,
    min_bin: Annotated[
        int, typer.Option(help="Residuals needed for an azimuth/slowness bin of its own.")
    ] = 5,
    az_width: Annotated[float, typer.Option(help="Azimuth bin width, degrees.")] = 45.0,
    min_other_stations: Annotated[
        int,
        typer.Option(
            help="With assoc rows: use a reference event only if it has this many other "
            "defining stations (an event located by the station itself is no reference)."
        ),
    ] = 2,
) -> None:
    """Learn slowness–azimuth (SASC) and travel-time station corrections from arrivals
    of reference events; write them with their standard error, spread and count."""
    from testban.calibrate import (
        CalibrationConfig,
        estimate,
        pairs_by_time,
        pairs_from_assoc,
        read_arrivals,
        read_reference,
        residuals,
        write_corrections,
        write_residuals,
    )
    from testban.network import read_network

    for p, hint in ((arrivals, "--arrivals"), (reference, "--reference"), (assoc, "--assoc")):
        if p is not None and not p.exists():
            raise typer.BadParameter(f"{p} does not exist", param_hint=hint)
    problems: list = []
    arr = read_arrivals(arrivals, problems)
    origins, assocs = read_reference(reference, assoc, problems)
    network, net_problems = read_network(stations)
    problems += net_problems
    if assocs:
        pairs = pairs_from_assoc(arr, assocs, origins, min_other_stations)
        n_all = len(pairs_from_assoc(arr, assocs, origins))
        if n_all > len(pairs):
            console.print(
                f"{n_all - len(pairs)} of {n_all} associated arrivals left out: their event "
                f"has fewer than {min_other_stations} other defining stations"
            )
    else:
        pairs = pairs_by_time(arr, origins, network, model, window)
    unknown = sorted({a.sta for a, _, _ in pairs if a.sta not in network})
    if unknown:
        err_console.print(f"no station metadata for {', '.join(unknown)}: their arrivals skipped")
    with console.status("residuals …"):
        res = residuals(pairs, network, model)
    cfg = CalibrationConfig(min_n=min_n, min_bin=min_bin, az_width=az_width)
    rows = estimate(res, cfg)
    write_corrections(rows, out)
    _report_problems(problems, "in all")
    console.print(
        f"{len(arr)} arrivals, {len(origins)} reference events, {len(res)} residuals at "
        f"{len({r.sta for r in res})} stations"
    )
    for r in rows:
        if r.kind == "sasc" and r.station_wide:
            console.print(
                f"  {r.sta:6s} SASC  N={r.n:3d}  daz {r.daz:+6.1f} ± {r.daz_se:.1f}°  "
                f"dslow {r.dslow:+5.2f} ± {r.dslow_se:.2f} s/°",
                highlight=False,
            )
        elif r.kind == "time":
            console.print(
                f"  {r.sta:6s} {r.phase:5s} N={r.n:3d}  dt {r.dt:+6.2f} ± {r.dt_se:.2f} s",
                highlight=False,
            )
    console.print(f"wrote {out} ({len(rows)} rows)")
    if residuals_out is not None:
        console.print(f"wrote {write_residuals(res, residuals_out)}")


@app.command()
def xenon(
    samples: Annotated[Path, typer.Argument(help="Per-sample xenon results CSV (mBq/m³).")],
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("xenon"),
    event: Annotated[
        str | None,
        typer.Option(help="Waveform event TIME,LAT,LON (ISO time): the fusion verdict."),
    ] = None,
    diagram: Annotated[
        str, typer.Option(help="Kalinowski diagram as 'svg' or 'csv' (or 'none').")
    ] = "svg",
) -> None:
    """Xenon isotopic ratios, the Kalinowski diagram and the ratio clocks of each sample;
    writes xenon_ratios.csv (and kalinowski.svg/.csv); --event adds the fusion verdict."""
    import csv as _csv

    from testban.radionuclide.xenon import diagram_svg, read_xenon_csv, sample_point, sample_ratios
    from testban.radionuclide.xenon_clock import ratio_clock

    if not samples.exists():
        raise typer.BadParameter(f"{samples} does not exist", param_hint="SAMPLES")
    ev = None
    if event is not None:
        from obspy import UTCDateTime

        from testban.radionuclide.fusion import Event

        try:
            t, la, lo = event.split(",")
            ev = Event(UTCDateTime(t).timestamp, float(la), float(lo))
        except (ValueError, TypeError) as exc:
            raise typer.BadParameter(f"TIME,LAT,LON expected: {exc}", param_hint="--event") from exc
    rows, problems = read_xenon_csv(samples)
    _report_problems(problems, f"in {samples}")
    if not rows:
        err_console.print("no samples read")
        raise typer.Exit(1)
    out.mkdir(parents=True, exist_ok=True)
    ratios_path = out / "xenon_ratios.csv"
    points = [sample_point(s) for s in rows]
    with ratios_path.open("w", newline="", encoding="utf-8") as fh:
        w = _csv.writer(fh)
        w.writerow(["sample_id", "station", "ratio", "value", "sigma", "kind", "clock_days",
                    "clock_sigma_days", "clock_kind", "note"])  # fmt: skip
        for s in rows:
            for r in sample_ratios(s):
                c = ratio_clock(r)
                w.writerow([s.sample_id, s.station, r.name, f"{r.value:.6g}", f"{r.sigma:.3g}",
                            r.kind, f"{c.age_days:.3f}", f"{c.sigma_days:.3f}", c.kind,
                            r.reason or c.reason])  # fmt: skip
    written = [ratios_path]
    if diagram == "svg":
        svg = diagram_svg([(p.sample_id, p.x.value, p.y.value, p.side) for p in points])
        written.append(out / "kalinowski.svg")
        written[-1].write_text(svg, encoding="utf-8")
    elif diagram == "csv":
        written.append(out / "kalinowski.csv")
        with written[-1].open("w", newline="", encoding="utf-8") as fh:
            w = _csv.writer(fh)
            w.writerow(["sample_id", "xe133m_xe131m", "xe135_xe133", "margin", "sigma",
                        "distance_sigma", "side", "bound", "reason"])  # fmt: skip
            for p in points:
                w.writerow([p.sample_id, f"{p.x.value:.6g}", f"{p.y.value:.6g}",
                            f"{p.margin:.4f}", f"{p.sigma:.4f}", f"{p.distance_sigma:.3f}",
                            p.side, p.bound, p.reason])  # fmt: skip
    for p in points:
        console.print(f"  {p.sample_id:16s} {p.side}"
                      + (f" ({p.distance_sigma:+.1f}σ from the line)" if p.side != "not assessable"
                         else f": {p.reason}"), highlight=False)  # fmt: skip
    if ev is not None:
        from testban.radionuclide.fusion import assess

        verdict = assess(ev, rows)
        console.print(f"fusion: {verdict.verdict} — {verdict.reason}", highlight=False)
        for v in verdict.samples:
            console.print(f"  {v.sample_id:16s} {v.verdict}: {v.reason}", highlight=False)
    for path in written:
        console.print(f"  wrote {path}")


@app.command("rn-load")
def rn_load(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Spectra (PHD, N42, SPE, SPC, CNF, H5), xenon results CSVs, "
            "air-concentration CSVs, or folders of them."
        ),
    ],
    store: Annotated[str, typer.Option(help="Store: an SQLite file or a database URL.")],
    auth: Annotated[str, typer.Option(help="Author of the sample rows written.")] = "testban",
    max_problems: Annotated[int, typer.Option(help="Print at most this many problems.")] = 20,
) -> None:
    """Load radionuclide files into the store (re-loading replaces, never duplicates):
    spectra → gards_sample_data (+ the spectrum), xenon → gards_bg_isotope_concs,
    air concentrations → gards_air_conc. Pages: /radionuclide, /xenon, /airconc."""
    from testban.pipeline.rnload import load_radionuclide
    from testban.store import open_store

    problems: list = []
    with open_store(store) as st:
        summary = load_radionuclide(st, paths, problems, auth=auth)
    _report_problems(problems, "while loading", limit=max_problems)
    console.print(
        f"loaded {summary.spectra} spectra, {summary.xenon_samples} xenon samples, "
        f"{summary.air_rows} air-concentration rows from {len(summary.files)} files "
        f"into {store} ({len(problems)} problems)",
        highlight=False,
    )
    if not summary.files:
        raise typer.Exit(1)


@app.command("psr")
def psr(
    srs_files: Annotated[
        list[Path],
        typer.Argument(help="SRS text files (.gz/.bz2/.xz/.zip too), or one .mat/NetCDF matrix."),
    ],
    measurements: Annotated[
        Path,
        typer.Option(
            help="Xenon results CSV (mBq/m³, matched by station and stop time), "
            "or a .mat vector in the matrix's row order (Bq/m³; ≤ 0: not detected)."
        ),
    ],
    out: Annotated[Path, typer.Option(help="Output directory (psr.csv, psr.nc).")] = Path("psr"),
    isotope: Annotated[str, typer.Option(help="Isotope of the CSV to correlate.")] = "Xe-133",
    nondetect: Annotated[
        str, typer.Option(help="Non-detections at their 'mdc', at 'zero', or 'drop' them.")
    ] = "mdc",
    mdc: Annotated[
        float | None, typer.Option(help="MDC (Bq/m³) of the .mat vector's non-detections.")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="Matrix without cell times: first interval's start (UTC).")
    ] = None,
    interval_hours: Annotated[float, typer.Option(help="Matrix: release interval (h).")] = 3.0,
    heights: Annotated[
        str | None,
        typer.Option(help="Matrix: height layers fastest, e.g. '0-50,50-300,300-1000' (m)."),
    ] = None,
) -> None:
    """Possible source regions: per release cell the Pearson and Spearman correlation of
    the sensitivities with the measurements, and the cells consistent with all detections;
    writes psr.csv and psr.nc."""
    import math as _math

    import numpy as np

    from testban.io.srs import cells_from_intervals, read_srs
    from testban.radionuclide.psr import (
        Measurements,
        by_release_time,
        match_samples,
        possible_source_regions,
        write_psr_csv,
        write_psr_netcdf,
    )

    if nondetect not in ("mdc", "zero", "drop"):
        raise typer.BadParameter("mdc, zero or drop", param_hint="--nondetect")
    for p in [*srs_files, measurements]:
        if not p.exists():
            raise typer.BadParameter(f"{p} does not exist")
    problems: list = []
    sr = read_srs([str(p) for p in srs_files], problems)
    _report_problems(problems, "in the SRS input")
    if sr is None:
        err_console.print("no SRS read")
        raise typer.Exit(1)
    if not sr.cells.has_grid and _math.isnan(float(sr.cells.time_start[0])) and start:
        from obspy import UTCDateTime

        layers = [tuple(float(x) for x in h.split("-")) for h in heights.split(",")] if heights \
            else [(_math.nan, _math.nan)]  # fmt: skip
        n_times = sr.n_cells // len(layers)
        if n_times * len(layers) != sr.n_cells:
            raise typer.BadParameter(f"{sr.n_cells} columns are not a multiple of "
                                     f"{len(layers)} layers", param_hint="--heights")  # fmt: skip
        cells = cells_from_intervals(n_times, UTCDateTime(start).timestamp,
                                     interval_hours * 3600.0, layers)  # type: ignore[arg-type]  # fmt: skip
        from dataclasses import replace as _replace

        sr = _replace(sr, cells=cells)
    mproblems: list = []
    if measurements.suffix.lower() == ".mat":
        from scipy.io import loadmat

        vec = [v for k, v in loadmat(str(measurements)).items()
               if not k.startswith("__") and isinstance(v, np.ndarray)]  # fmt: skip
        y = np.asarray(vec[0], float).ravel() if vec else np.array([])
        if y.size != sr.n_samples:
            err_console.print(f"{measurements}: {y.size} values for {sr.n_samples} matrix rows")
            raise typer.Exit(1)
        det = np.isfinite(y) & (y > 0)
        meas = Measurements(np.where(det, y, np.nan), np.full(y.size, mdc if mdc else np.nan), det)
    else:
        from testban.radionuclide.xenon import read_xenon_csv

        samples, mproblems = read_xenon_csv(measurements)
        sr, meas, more = match_samples(sr, samples, isotope, file=str(measurements))
        mproblems += more
    _report_problems(mproblems, f"in {measurements}")
    if sr.n_samples < 3:
        err_console.print(f"{sr.n_samples} samples with measurements: at least 3 needed")
        raise typer.Exit(1)
    result = possible_source_regions(sr, meas, nondetect=nondetect)
    out.mkdir(parents=True, exist_ok=True)
    written = [write_psr_csv(result, out / "psr.csv"), write_psr_netcdf(result, out / "psr.nc")]
    console.print(f"{sr.n_samples} samples ({result.n_detections} detections) × {sr.n_cells} "
                  f"cells; {int(result.consistent.sum())} cells consistent with all detections",
                  highlight=False)  # fmt: skip
    for kind in ("pearson", "spearman"):
        j = result.best(kind)
        r = result.r_pearson[j] if kind == "pearson" else result.r_spearman[j]
        t = by_release_time(result, kind)
        k = int(np.nanargmax(np.where(np.isfinite(t["r"]), t["r"], -np.inf)))
        from obspy import UTCDateTime

        when = (str(UTCDateTime(t["time_start"][k]))[:16]
                if _math.isfinite(t["time_start"][k]) else "?")  # fmt: skip
        where = (f" at {sr.cells.lat[j]:.2f}°N {sr.cells.lon[j]:.2f}°E"
                 if _math.isfinite(sr.cells.lat[j]) else "")  # fmt: skip
        console.print(f"  best {kind}: r = {r:.3f}{where} (cell {j}); best release "
                      f"interval starts {when}", highlight=False)  # fmt: skip
    for path in written:
        console.print(f"  wrote {path}")


@app.command("source-term")
def source_term_(
    matrices: Annotated[
        list[Path],
        typer.Argument(help="Source–receptor matrices (.mat/.npy; rows are stacked in order)."),
    ],
    measurements: Annotated[
        Path, typer.Option(help="Concentrations (Bq/m³), .mat or CSV, one per matrix row.")
    ],
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("source_term"),
    method: Annotated[
        str, typer.Option(help="tikhonov (needs --prior), sparse, smooth or bayes.")
    ] = "sparse",
    prior: Annotated[Path | None, typer.Option(help="A priori release per cell.")] = None,
    prior_unit: Annotated[
        str, typer.Option(help="Unit of --prior: bq or gbq_s (mean rate over the interval).")
    ] = "bq",
    matrix_unit: Annotated[
        str, typer.Option(help="per_bq (m⁻³ per Bq released) or s_m3 (s/m³ per Bq/s).")
    ] = "per_bq",
    start: Annotated[
        str, typer.Option(help="Start of the first release interval (ISO time, UTC).")
    ] = "2011-03-10T00:00:00",
    step_hours: Annotated[float, typer.Option(help="Release interval length (h).")] = 3.0,
    heights: Annotated[
        str, typer.Option(help="Layer bounds (m above ground), comma-separated.")
    ] = "0,50,300,1000",
    steps: Annotated[int, typer.Option(help="MCMC steps for --method bayes.")] = 4000,
    seed: Annotated[int, typer.Option(help="Random seed for --method bayes.")] = 0,
) -> None:
    """Source-term inversion: release per interval and layer (Bq) with uncertainty from
    a source–receptor matrix and measurements; writes source_term.csv and summary.txt.
    The defaults describe the Fukushima Xe-133 matrix (3 h, layers 0–50–300–1000 m)."""
    import numpy as np
    from obspy import UTCDateTime

    from testban.radionuclide import inversion as inv

    dt = step_hours * 3600.0
    try:
        mats = [inv.read_matrix(p, unit=matrix_unit, interval_s=dt) for p in matrices]
        if len({m.shape[1] for m in mats}) != 1:
            raise ValueError("matrices differ in their number of cells")
        matrix = np.vstack(mats)
        meas = inv.read_measurements(measurements)
        bounds = [float(h) for h in heights.split(",")]
        cells = inv.regular_cells(matrix.shape[1], UTCDateTime(start).timestamp, dt, bounds)
        xa = None if prior is None else inv.read_prior(prior, unit=prior_unit, interval_s=dt)
        st = inv.source_term(matrix, meas, cells, method=method, prior=xa, seed=seed,
                             n_steps=steps)  # fmt: skip
    except (ValueError, OSError) as exc:
        err_console.print(f"source-term: {exc}")
        raise typer.Exit(1) from exc
    for path in inv.write_source_term(st, cells, out):
        console.print(f"  wrote {path}")
    console.print(inv.summary_text(st, cells), highlight=False)


# ------------------------------------------------------------ users and analyst review

user_app = typer.Typer(help="Users of the web service (viewer, analyst, admin).",
                       no_args_is_help=True)  # fmt: skip
app.add_typer(user_app, name="user")
review_app = typer.Typer(help="Analyst review: the audit trail and the reviewed bulletin.",
                         no_args_is_help=True)  # fmt: skip
app.add_typer(review_app, name="review")
StoreOption = Annotated[str, typer.Option(help="Store: an SQLite file or a database URL.")]


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name (the auth of what they write).")],
    store: StoreOption,
    role: Annotated[str, typer.Option(help="viewer, analyst or admin.")] = "analyst",
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input (one line).")
    ] = False,
) -> None:
    """Add a user (or set an existing user's role and password); the password is asked
    for, or read from standard input with --password-stdin, and stored as an argon2 hash."""
    from testban.review import UserError, add_user
    from testban.store import open_store

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with open_store(store) as st, st.session() as s:
            user = add_user(s, name, role, password)
    except UserError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from None
    console.print(f"user {user.name} ({user.role}) saved in {store}")


@user_app.command("list")
def user_list(store: StoreOption) -> None:
    """List the users and their roles."""
    from testban.review import list_users
    from testban.store import open_store

    with open_store(store) as st, st.session() as s:
        users = list_users(s)
    for u in users:
        console.print(f"{u.name}\t{u.role}", highlight=False)
    if not users:
        console.print("no users (add one with `testban user add NAME --store …`)")


@user_app.command("remove")
def user_remove(
    name: Annotated[str, typer.Argument(help="User name.")], store: StoreOption
) -> None:
    """Remove a user (what they wrote stays, under their name)."""
    from testban.review import UserError, remove_user
    from testban.store import open_store

    try:
        with open_store(store) as st, st.session() as s:
            remove_user(s, name)
    except UserError as exc:
        err_console.print(str(exc))
        raise typer.Exit(1) from None
    console.print(f"user {name} removed")


@review_app.command("export")
def review_export(
    store: StoreOption,
    out: Annotated[Path, typer.Option(help="Output file.")],
    format: Annotated[
        str, typer.Option("--format", help="ims1.0, quakeml, csv or geojson.")
    ] = "ims1.0",
    automatic: Annotated[
        str | None,
        typer.Option(help="Write the automatic bulletin of this author (e.g. testban) instead."),
    ] = None,
) -> None:
    """Write the reviewed bulletin (LEB/REB-like: events an analyst reviewed and did not
    reject), or with --automatic the automatic one beside it."""
    from testban.bulletin import BulletinError
    from testban.review import write_reviewed
    from testban.store import open_store

    try:
        with open_store(store) as st, st.session() as s:
            path, n = write_reviewed(s, out, format, auth=automatic)
    except BulletinError as exc:
        err_console.print(f"cannot write the bulletin: {exc}")
        raise typer.Exit(1) from None
    kind = f"automatic ({automatic})" if automatic else "reviewed"
    console.print(f"{n} {kind} events written to {path} ({format})")


@review_app.command("audit")
def review_audit(
    store: StoreOption,
    evid: Annotated[int | None, typer.Option(help="Only this event.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows, newest first.")] = 50,
) -> None:
    """The audit trail: who did what to which event (origin before → after)."""
    from obspy import UTCDateTime

    from testban.review import audit_trail
    from testban.store import open_store

    with open_store(store) as st, st.session() as s:
        rows = audit_trail(s, evid, limit)
    for a in rows:
        params = a.details.get("params") or {}
        console.print(
            f"{a.id}\t{UTCDateTime(a.time).isoformat()[:19]}\t{a.user}\t{a.action}\tevid "
            f"{a.evid}\t{a.orid_before} → {a.orid_after}\t{params}",
            highlight=False, markup=False,
        )  # fmt: skip
