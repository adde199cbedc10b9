"""``testban run``: waveform archives → a stored automatic bulletin, window by window.

Time is cut into windows aligned on multiples of ``RunConfig.window`` seconds (so runs
over different spans meet the same windows). For each window ``[ws, we)``:

1. **Station processing**, one task per station group (an array with its elements, or a
   single station) and window: read ``[ws - overlap, we + snippet]`` from the archives,
   detect, measure (:func:`testban.detect.detect_stream`); a detection belongs to the
   window its trigger falls in. Detections from elsewhere (``external``: CSS3.0 rows, e.g.
   another data centre's or the simulator's) join them. The window's detections replace
   the stored ones in one transaction (:func:`testban.store.replace_arrivals`: ids of
   unchanged detections are kept).
2. **Network processing**, one task per window, once detections reach ``we`` + the
   longest travel time: the events with origin times in the window are formed from the
   stored detections (:meth:`testban.associate.Associator.run_window`: association,
   location, event definition criteria), sized (mb, ML, Ms, mb(Lg)) and stored, replacing
   the window's earlier automatic events in one transaction that also marks the window
   done (:func:`testban.store.replace_events`). A window is first associated as if no
   earlier event had taken any detection (so windows can run in parallel); if one of its
   events uses a detection that an event of an earlier window took (about one window in
   ten on a simulated IMS day), or would be weighed against such an event by the
   one-event rule (its detections fit that event's phases: the same source seen across
   the boundary), it is associated again without those detections and with those
   events as rivals, so that a source is formed once. The rule is the same with or
   without workers, so the bulletin is too.

Every window attempt is a row of the store's ``run`` table (counts and report), so a run
resumes where it stopped, and a window is redone only when asked (``redo``), when it
failed, or when its association lacked later data ("partial"). Re-running a window
gives the same rows with the same ids. Tasks are pure functions of their arguments; with a
Dask client they run on its workers, without one in this process: the bulletin is the
same either way. Only this driver writes to the store.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import threading
import time as _time
import traceback
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obspy import Stream, UTCDateTime

from testban.associate import Associator, AssociatorConfig, PriorEvent
from testban.associate.acoustic import ACOUSTIC_PHASES, associate_all
from testban.calibrate import StationCorrection, apply_corrections
from testban.detect import AUTH, DetectConfig, detect_stream
from testban.detect.config import InfrasoundConfig
from testban.detect.infrasound import detect_infrasound
from testban.io.archive import Archive
from testban.io.problems import ReadProblem
from testban.magnitude import network_magnitudes, station_magnitudes, with_magnitudes
from testban.network import Network
from testban.pipeline.config import ASSOCIATION_PAD, RunConfig
from testban.pipeline.event_measure import with_surface_waves
from testban.pipeline.screen_measure import screening_measurements
from testban.records.css30 import (
    Amplitude,
    Arrival,
    Assoc,
    Netmag,
    Origerr,
    Origin,
    Stamag,
    Wfdisc,
    jdate,
)
from testban.screening import screen_bulletin
from testban.store import (
    Store,
    atomic,
    finish_run,
    replace_arrivals,
    replace_events,
    start_run,
    taken_arrivals,
    window_detections,
    window_done,
)
from testban.store.paths import store_wfdiscs
from testban.store.stations import store_network
from testban.store.windows import prior_events

log = logging.getLogger(__name__)

__all__ = [
    "RunConfig",
    "RunReport",
    "Source",
    "WindowReport",
    "detect_group",
    "form_events",
    "run_pipeline",
    "sources_from_paths",
    "survey",
]


@dataclass(frozen=True)
class Source:
    """A waveform archive root, optionally restricted to some of its files."""

    root: Path
    only: tuple[Path, ...] | None = None

    def archive(self) -> Archive:
        """This process's :class:`Archive` of the root (its index is loaded once)."""
        with _CACHE_LOCK:
            if self.root not in _ARCHIVES:
                _ARCHIVES[self.root] = Archive(self.root)
            return _ARCHIVES[self.root]


#: Per-process caches: archives by root, associators by (network, configuration). A task
#: re-running on the same worker reuses them (the associator's grid takes seconds to build).
#: Both are shared by a worker's threads: built under a lock, read-only once built (the
#: associator keeps its per-window state in a per-call object).
_ARCHIVES: dict[Path, Archive] = {}
_ASSOCIATORS: dict[tuple[int, str], tuple[Network, Associator]] = {}
_CACHE_LOCK = threading.Lock()


def _associator(network: Network, config: AssociatorConfig) -> Associator:
    key = (id(network), repr(config))  # repr: a locator's tables are not hashable
    with _CACHE_LOCK:
        hit = _ASSOCIATORS.get(key)
        if hit is None or hit[0] is not network:
            if len(_ASSOCIATORS) >= 4:
                _ASSOCIATORS.pop(next(iter(_ASSOCIATORS)))
            hit = _ASSOCIATORS[key] = (network, Associator(network, config))
        return hit[1]


def sources_from_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Source]:
    """Directories are archive roots; files are read through their directory's archive."""
    roots: list[Source] = []
    files: dict[Path, list[Path]] = {}
    for p in map(Path, paths):
        if p.is_dir():
            roots.append(Source(p.resolve()))
        else:
            files.setdefault(p.resolve().parent, []).append(p.resolve())
    roots += [Source(root, tuple(sorted(fs))) for root, fs in sorted(files.items())]
    return roots


# --------------------------------------------------------------------------- reports


@dataclass
class WindowReport:
    """One window: what was read, detected and formed, and what went wrong."""

    start: float
    end: float
    status: str = "pending"  # done | partial | skipped | failed
    groups: int = 0
    files: int = 0
    detections: int = 0
    external: int = 0
    events: int = 0
    reassociated: bool = False  # associated again without earlier events' detections
    problems: list[ReadProblem] = field(default_factory=list)
    error: str = ""

    def line(self) -> str:
        t0 = UTCDateTime(self.start).strftime("%Y-%m-%dT%H:%M")
        extra = f"  ERROR {self.error}" if self.error else ""
        return (
            f"{t0}  {self.status:8s} stations {self.groups:3d}  files {self.files:4d}  "
            f"detections {self.detections:5d} (+{self.external} external)  "
            f"events {self.events:3d}{'*' if self.reassociated else ' '} "
            f"problems {len(self.problems)}{extra}"
        )


@dataclass
class RunReport:
    """The run: windows in time order, problems met while surveying the input."""

    label: str
    start: float = math.nan
    end: float = math.nan
    windows: list[WindowReport] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    stations: list[str] = field(default_factory=list)
    cpu_s: float = 0.0
    wall_s: float = 0.0

    def totals(self) -> dict[str, int]:
        w = self.windows
        return {
            "windows": len(w),
            "done": sum(x.status == "done" for x in w),
            "partial": sum(x.status == "partial" for x in w),
            "skipped": sum(x.status == "skipped" for x in w),
            "failed": sum(x.status == "failed" for x in w),
            "files": sum(x.files for x in w),
            "detections": sum(x.detections for x in w),
            "external": sum(x.external for x in w),
            "events": sum(x.events for x in w),
            "reassociated": sum(x.reassociated for x in w),
            "problems": len(self.problems) + sum(len(x.problems) for x in w),
        }

    def text(self) -> str:
        """The run report as plain text (summary, one line per window, every problem)."""
        t = self.totals()
        span = (
            f"{UTCDateTime(self.start)} – {UTCDateTime(self.end)}"
            if math.isfinite(self.start) and math.isfinite(self.end)
            else "nothing to process"
        )
        head = [
            f"run {self.label!r}: {span}",
            f"stations: {len(self.stations)} ({', '.join(self.stations[:20])}"
            f"{' …' if len(self.stations) > 20 else ''})",
            f"windows: {t['windows']} ({t['done']} done, {t['partial']} partial, "
            f"{t['skipped']} skipped as already done, {t['failed']} failed)",
            f"read: {t['files']} file reads; detections: {t['detections']} "
            f"(+{t['external']} external); events formed: {t['events']} "
            f"(* = {t['reassociated']} windows associated again without the detections "
            "earlier windows' events took)",
            f"time: {self.wall_s:.1f} s wall, {self.cpu_s:.1f} s CPU in this process; "
            f"problems: {t['problems']}",
            "",
        ]
        lines = head + [w.line() for w in self.windows]
        probs = list(self.problems) + [p for w in self.windows for p in w.problems]
        if probs:
            lines += ["", "problems:"] + [f"  {p}" for p in probs]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- survey


def survey(
    sources: Sequence[Source], network: Network
) -> tuple[dict[str, tuple[str, ...]], tuple[float, float] | None, list[Wfdisc], list[ReadProblem]]:
    """The station groups in the archives, their time extent, wfdisc rows, problems.

    A group is an array (its code → the element codes found) or a single station (code →
    itself). Stations absent from ``network`` are reported once, with a file that holds
    them, and left out: without coordinates their detections cannot be used.
    """
    groups: dict[str, set[str]] = {}
    problems: list[ReadProblem] = []
    unknown: dict[str, Path] = {}
    t0, t1 = math.inf, -math.inf
    wfdiscs: list[Wfdisc] = []
    for source in sources:
        archive = source.archive()
        allowed = None if source.only is None else set(source.only)
        for path, sid, start, end in archive.contents():
            if allowed is not None and path.resolve() not in allowed:
                continue
            _net, sta, _loc, chan = (sid.split(".") + ["", "", "", ""])[:4]
            if sta not in network:
                unknown.setdefault(sta, path)
                continue
            group = network.array_of(sta) or sta
            groups.setdefault(group, set()).add(sta)
            t0, t1 = min(t0, start), max(t1, end)
            wfdiscs.append(_wfdisc(path, sta, chan, start, end, network))
        problems += archive.index_problems
    for sta, path in sorted(unknown.items()):
        problems.append(
            ReadProblem(
                str(path), f"station {sta!r} is not in the station metadata; its data are skipped",
                seed_id=sta,
            )
        )  # fmt: skip
    extent = (t0, t1) if t0 < t1 else None
    return {g: tuple(sorted(s)) for g, s in sorted(groups.items())}, extent, wfdiscs, problems


def _seed_stations(sources: Sequence[Source]) -> set[tuple[str, str]]:
    """(FDSN network, station) pairs of the archives' channels (their network codes)."""
    pairs: set[tuple[str, str]] = set()
    for source in sources:
        for _path, sid, _t0, _t1 in source.archive().contents():
            net, _, rest = sid.partition(".")
            pairs.add((net, rest.partition(".")[0]))
    return pairs


def _wfdisc(path: Path, sta: str, chan: str, start: float, end: float, network: Network) -> Wfdisc:
    """The ``wfdisc`` row of one channel of a file: ``dir`` is its absolute folder, of any
    length (the store fits it to CSS3.0's widths, :func:`testban.store.paths.store_wfdiscs`)."""
    rate = None
    try:
        rate = network.sampling_rate(sta, chan)
    except KeyError:
        rate = None
    rate = float(rate) if rate else -1.0
    nsamp = int(round((end - start) * rate)) + 1 if rate > 0 else -1
    return Wfdisc(
        sta=sta, chan=chan, time=start, endtime=end, jdate=jdate(start), nsamp=nsamp,
        samprate=rate, dir=str(path.parent), dfile=path.name, foff=0,
    )  # fmt: skip


# --------------------------------------------------------------------- pure tasks


@dataclass
class DetectionBatch:
    """Detections of one station group in one window (a task's answer)."""

    group: str
    start: float
    arrivals: list[Arrival]
    amplitudes: list[Amplitude]
    problems: list[ReadProblem]
    files: int


def detect_group(
    sources: Sequence[Source],
    group: str,
    elements: Sequence[str],
    start: float,
    end: float,
    network: Network,
    config: DetectConfig,
    auth: str = AUTH,
    corrections: Sequence[StationCorrection] = (),
    infrasound: InfrasoundConfig | None = None,
) -> DetectionBatch:
    """Read and detect one station group over window ``[start, end)`` (a pure task);
    station ``corrections`` (SASC) correct the detections' azimuth and slowness.
    Pressure channels of infrasound arrays go to the infrasound detector (``infrasound``,
    default :class:`InfrasoundConfig`), the rest to the seismic one."""
    infra = infrasound or InfrasoundConfig()
    lead = max(config.overlap, infra.lead) if infra.enabled else config.overlap
    tail = max(config.snippet, infra.tail) if infra.enabled else config.snippet
    r0 = UTCDateTime(start - lead)
    r1 = UTCDateTime(end + tail)
    stream = Stream()
    problems: list[ReadProblem] = []
    files = 0
    for source in sources:
        archive = source.archive()
        files += len(
            [
                f
                for f in archive.files(r0, r1, list(elements))
                if source.only is None or f.resolve() in set(source.only)
            ]
        )
        st, probs = archive.select(r0, r1, stations=list(elements), only=source.only)
        stream += st
        problems += [p for p in probs if p not in archive.index_problems]
    label = f"{group} {UTCDateTime(start).strftime('%Y-%m-%dT%H:%M')}"
    arrivals, amplitudes, probs = detect_stream(
        stream, network, config, start=start, end=end, source=label, auth=auth
    )
    iarr, iamp, iprobs = detect_infrasound(
        stream, network, infra, start=start, end=end, first_arid=len(arrivals) + 1,
        source=label, auth=auth, qc=config,
    )  # fmt: skip
    arrivals, amplitudes, probs = arrivals + iarr, amplitudes + iamp, probs + iprobs
    if corrections:
        arrivals = apply_corrections(arrivals, corrections)
    return DetectionBatch(group, start, arrivals, amplitudes, problems + probs, files)


@dataclass
class WindowBulletin:
    """The events of one window, with provisional ids (a task's answer)."""

    origins: list[Origin]
    assocs: list[Assoc]
    origerrs: list[Origerr]
    netmags: list[Netmag]
    stamags: list[Stamag]
    problems: list[ReadProblem]
    amplitudes: list[Amplitude] = field(default_factory=list)  # the events' own (LR)


def form_events(
    arrivals: Sequence[Arrival],
    amplitudes: Sequence[Amplitude],
    network: Network,
    start: float,
    end: float,
    config: AssociatorConfig,
    used_arids: Iterable[int] = (),
    auth: str = "testban",
    prior: Sequence[PriorEvent] = (),
) -> WindowBulletin:
    """Associate, locate and size the events with origin times in ``[start, end)``;
    ``used_arids`` and ``prior``: the detections and the events of earlier windows.

    Every row is written by ``auth`` (origins, associations, magnitudes)."""
    config = dataclasses.replace(config, auth=auth)
    if len({a.sta for a in arrivals}) < config.min_stations:  # no event can pass the criteria
        return WindowBulletin([], [], [], [], [], [])
    result = _associator(network, config).run_window(list(arrivals), start, end, used_arids, prior)
    origins, assocs, origerrs = list(result.origins), list(result.assocs), list(result.origerrs)
    taken = set(used_arids)
    acoustic = [a for a in arrivals
                if a.iphase.strip() in ACOUSTIC_PHASES and a.arid not in taken]  # fmt: skip
    if acoustic:  # infrasound/hydroacoustic detections: attached to seismic events, or
        # associated and located among themselves (BISL); events kept in this window only
        seismic = [a for a in arrivals if a.iphase.strip() not in ACOUSTIC_PHASES]
        fused = associate_all([*seismic, *acoustic], network, seismic=result)
        keep = {o.orid for o in fused.origins if start <= o.time < end}
        origins = [dataclasses.replace(o, auth=auth) for o in fused.origins if o.orid in keep]
        assocs = [a for a in fused.assocs if a.orid in keep]
        origerrs = [e for e in fused.origerrs if e.orid in keep]
    by_orid: dict[int, list[Assoc]] = {}
    for a in assocs:
        by_orid.setdefault(a.orid, []).append(a)
    stamags: list[Stamag] = []
    for o in origins:
        stamags += station_magnitudes(amplitudes, arrivals, by_orid.get(o.orid, []), o, network)
    netmags, stamags = network_magnitudes(stamags, net=auth, auth=auth)
    origins = with_magnitudes(origins, netmags)
    return WindowBulletin(origins, assocs, origerrs, netmags, stamags, list(result.problems))


def _as_prior(origins: Sequence[Origin], assocs: Sequence[Assoc]) -> list[PriorEvent]:
    arids: dict[int, list[int]] = {o.orid: [] for o in origins}
    for a in assocs:
        if a.orid in arids:
            arids[a.orid].append(a.arid)
    return [
        PriorEvent(o.lat, o.lon, o.depth, o.time, tuple(sorted(arids[o.orid]))) for o in origins
    ]


def meets_prior(
    arrivals: Sequence[Arrival],
    network: Network,
    config: AssociatorConfig,
    bulletin: WindowBulletin,
    prior: Sequence[PriorEvent],
) -> bool:
    """Whether an event of ``bulletin`` (associated without the earlier windows' events)
    would be weighed against one of ``prior`` (those events) by the one-event rule (a
    pure task; see :meth:`testban.associate.Associator.conflicts`)."""
    if not prior or not bulletin.origins or not config.one_event_per_source:
        return False
    events = _as_prior(bulletin.origins, bulletin.assocs)
    return _associator(network, config).conflicts(list(arrivals), events, prior)


# ------------------------------------------------------------------- executors


class _Done:
    """A finished computation (the serial executor's future)."""

    def __init__(self, fn: Callable[..., Any], *args: Any):
        try:
            self.value, self.error = fn(*args), None
        except Exception as exc:  # reported per window; the run goes on
            self.value, self.error = None, exc

    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


class _Serial:
    """Runs tasks at once, in this process."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> _Done:
        return _Done(fn, *args)

    def share(self, value: Any) -> Any:
        return value


class _Dask:
    """Runs tasks on a ``dask.distributed`` client's workers."""

    def __init__(self, client: Any):
        self.client = client

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def share(self, value: Any) -> Any:
        return self.client.scatter(value, broadcast=True, hash=False)


# ---------------------------------------------------------------------- driver


def _windows(t0: float, t1: float, length: float) -> list[tuple[float, float]]:
    first = math.floor(t0 / length) * length
    n = max(1, math.ceil((t1 - first) / length))
    return [(first + k * length, first + (k + 1) * length) for k in range(n)]


def _number(
    batches: Sequence[DetectionBatch], external: Sequence[Arrival], ext_amps: Sequence[Amplitude]
):
    """All detections of a window with distinct provisional arids (amplitudes follow)."""
    arrivals, amplitudes = [], []
    nxt = 1
    for arrs, amps in [(b.arrivals, b.amplitudes) for b in batches] + [(external, ext_amps)]:
        mapping = {}
        for a in arrs:
            mapping[a.arid] = nxt
            arrivals.append(dataclasses.replace(a, arid=nxt))
            nxt += 1
        amplitudes += [
            dataclasses.replace(m, arid=mapping[m.arid]) for m in amps if m.arid in mapping
        ]
    return arrivals, amplitudes


def run_pipeline(
    sources: Sequence[Source],
    network: Network,
    store: Store,
    *,
    start: float | None = None,
    end: float | None = None,
    config: RunConfig | None = None,
    external: Sequence[Arrival] = (),
    external_amplitudes: Sequence[Amplitude] = (),
    client: Any = None,
    progress: Callable[[str, int, int], None] | None = None,
    corrections: Sequence[StationCorrection] = (),
) -> RunReport:
    """Process ``[start, end)`` (default: the archives' extent) into ``store``.

    ``corrections``: station corrections (``testban calibrate``) applied to the detections.

    ``client``: a ``dask.distributed.Client`` (tasks on its workers) or None (here).
    ``progress(stage, done, total)`` is called after each window's stage.
    """
    cfg = config or RunConfig()
    wall0, cpu0 = _time.perf_counter(), _time.process_time()
    report = RunReport(cfg.label)
    groups, extent, wfdiscs, problems = survey(sources, network)
    report.problems += problems
    report.stations = list(groups)
    external = sorted(external, key=lambda a: a.time)
    ext_t = [a.time for a in external]
    spans = [s for s in (extent, (min(ext_t), max(ext_t)) if ext_t else None) if s]
    if start is None or end is None:
        if not spans:
            report.problems.append(ReadProblem("input", "no waveforms or detections to process"))
            log.warning("nothing to process: no waveforms or detections")
            return report
        start = min(s[0] for s in spans) if start is None else start
        end = max(s[1] for s in spans) if end is None else end
    report.start, report.end = float(start), float(end)
    windows = _windows(float(start), float(end), cfg.window)
    report.windows = [WindowReport(ws, we) for ws, we in windows]
    executor: _Serial | _Dask = _Dask(client) if client is not None else _Serial()
    # With workers, detection and (speculative) association run ahead of the window
    # being finished; here, one window at a time.
    ahead = 2 * max(1, len(getattr(client, "nthreads", dict)())) if client is not None else 0
    log.info(
        "run %r: %d windows of %g s, %d station groups, %s",
        cfg.label, len(windows), cfg.window, len(groups),
        "serial" if client is None else f"Dask ({ahead // 2} worker threads)",
    )  # fmt: skip
    with store.session() as session:
        store_wfdiscs(session, wfdiscs, [s.root for s in sources])  # for the event pages
        store_network(session, network, _seed_stations(sources))  # for the FDSN services
        driver = _Driver(
            session, executor, cfg, sources, executor.share(network), groups,
            external, external_amplitudes, report.windows, progress, tuple(corrections),
        )  # fmt: skip
        driver.run(ahead)
    report.wall_s = _time.perf_counter() - wall0
    report.cpu_s = _time.process_time() - cpu0
    log.info("run %r finished: %s", cfg.label, report.totals())
    return report


class _Driver:
    """One run's progress through its windows: which are detected, which futures are out.

    Only the driver touches the store (one session); the tasks it submits are pure. Per
    window ``k`` it (1) submits detection of the windows its association will need,
    (2) stores their detections in order, (3) with workers, associates later windows
    speculatively, (4) associates window ``k`` — again without the detections of earlier
    windows' events if its events used any — and stores its events.
    """

    def __init__(
        self,
        session: Any,
        executor: _Serial | _Dask,
        cfg: RunConfig,
        sources: Sequence[Source],
        network: Any,
        groups: dict[str, tuple[str, ...]],
        external: Sequence[Arrival],
        external_amplitudes: Sequence[Amplitude],
        reports: list[WindowReport],
        progress: Callable[[str, int, int], None] | None,
        corrections: tuple[StationCorrection, ...] = (),
    ):
        self.session, self.executor, self.cfg = session, executor, cfg
        self.sources, self.network, self.groups = sources, network, groups
        self.external, self.external_amplitudes = external, external_amplitudes
        self.ext_times = [a.time for a in external]
        self.reports, self.progress = reports, progress
        self.corrections = corrections
        self.windows = [(r.start, r.end) for r in reports]
        self.n = len(reports)
        self.auths = sorted({cfg.auth, *{a.auth for a in external}})
        self.det_label, self.ass_label = f"{cfg.label}:detect", f"{cfg.label}:associate"
        self.detected = [False] * self.n  # detections stored (this run or before)
        self.pending: dict[int, list[Any]] = {}  # detection futures per window
        self.speculative: dict[int, tuple[Any, list[Arrival], list[Amplitude]]] = {}

    def run(self, ahead: int) -> None:
        cfg, n = self.cfg, self.n
        for k in range(n):
            for j in range(k, min(n, k + cfg.lookahead + 2 * ahead + 1)):
                self.submit(j)
            for j in range(k, min(n, k + cfg.lookahead + ahead + 1)):
                self.collect(j)
            for j in range(k, min(n - cfg.lookahead, k + ahead + 1)) if ahead else ():
                self.speculate(j)  # its detections are all stored
            self.associate(k)

    # ------------------------------------------------------------------ detection

    def submit(self, j: int) -> None:
        """Send window ``j``'s station groups to detection (unless done before)."""
        if j >= self.n or j in self.pending or self.detected[j]:
            return
        ws, we = self.windows[j]
        if not self.cfg.redo and window_done(self.session, ws, we, self.det_label):
            self.detected[j] = True
            return
        self.pending[j] = [
            self.executor.submit(
                detect_group, self.sources, g, els, ws, we, self.network, self.cfg.detect,
                self.cfg.auth, self.corrections, self.cfg.infrasound,
            )
            for g, els in self.groups.items()
        ]  # fmt: skip

    def collect(self, j: int) -> None:
        """Store window ``j``'s detections (its groups' and the external ones)."""
        if j >= self.n or self.detected[j]:
            return
        self.submit(j)
        if self.detected[j]:
            return
        session, rep = self.session, self.reports[j]
        ws, we = self.windows[j]
        run_id = start_run(session, ws, we, label=self.det_label, auth=self.cfg.auth)
        batches, failed = [], []
        for group, fut in zip(self.groups, self.pending.pop(j), strict=True):
            try:
                batches.append(fut.result())
            except Exception as exc:  # one station's failure must not stop the others
                failed.append(group)
                log.warning("detection failed at %s, window %s: %r", group, UTCDateTime(ws), exc)
                rep.problems.append(ReadProblem(
                    f"window {UTCDateTime(ws)}", f"detection failed: {exc!r}", seed_id=group,
                ))  # fmt: skip
        if self.groups and not batches:
            rep.status, rep.error = "failed", f"detection failed at every station ({failed[0]}…)"
            finish_run(session, run_id, "failed", report="\n".join(map(str, rep.problems)))
            self.detected[j] = True  # nothing stored; association goes on without it
            return
        i0, i1 = bisect_left(self.ext_times, ws), bisect_left(self.ext_times, we)
        ext = list(self.external[i0:i1])
        ext_ids = {a.arid for a in ext}
        ext_amps = [m for m in self.external_amplitudes if m.arid in ext_ids]
        arrivals, amplitudes = _number(batches, ext, ext_amps)
        rep.groups = len(batches)
        rep.files = sum(b.files for b in batches)
        rep.detections = sum(len(b.arrivals) for b in batches)
        rep.external = len(ext)
        rep.problems += [p for b in batches for p in b.problems]
        counts = {"detections": rep.detections, "external": rep.external, "files": rep.files}
        status = "partial" if failed else "done"  # partial: a later run retries it
        with atomic(session):
            replace_arrivals(session, ws, we, arrivals, amplitudes, auths=self.auths)
            finish_run(session, run_id, status, counts, "\n".join(map(str, rep.problems)))
        self.detected[j] = True
        log.debug("window %s: %d detections stored", UTCDateTime(ws), rep.detections)
        if self.progress is not None:
            self.progress("detect", j + 1, self.n)

    # ---------------------------------------------------------------- association

    def to_associate(self, j: int) -> bool:
        ws, we = self.windows[j]
        return self.reports[j].status != "failed" and (
            self.cfg.redo or not window_done(self.session, ws, we, self.ass_label)
        )

    def _input(self, ws: float, we: float) -> tuple[list[Arrival], list[Amplitude]]:
        """Stored detections a window's association sees: station history before it, and
        up to the longest travel time after it."""
        reach = we + self.cfg.associate.max_travel_time + ASSOCIATION_PAD
        return window_detections(self.session, ws - self.cfg.history, reach, auths=self.auths)

    def speculate(self, j: int) -> None:
        """Associate window ``j`` as if no earlier event had taken a detection."""
        if j >= self.n or j in self.speculative or not self.to_associate(j):
            return
        ws, we = self.windows[j]
        arrivals, amplitudes = self._input(ws, we)
        fut = self.executor.submit(
            form_events, arrivals, amplitudes, self.network, ws, we, self.cfg.associator, (),
            self.cfg.auth,
        )  # fmt: skip
        self.speculative[j] = (fut, arrivals, amplitudes)

    def associate(self, k: int) -> None:
        """Form, size and store window ``k``'s events."""
        cfg, session, rep = self.cfg, self.session, self.reports[k]
        ws, we = self.windows[k]
        complete = k + cfg.lookahead < self.n and all(
            self.reports[j].status != "failed" for j in range(k, k + cfg.lookahead + 1)
        )
        if not self.to_associate(k):
            if rep.status == "pending":
                rep.status = "skipped"
            return
        run_id = start_run(session, ws, we, label=self.ass_label, auth=cfg.auth)
        try:
            self.speculate(k)
            fut, arrivals, amplitudes = self.speculative.pop(k)
            bulletin = fut.result()
            reach = we + cfg.associate.max_travel_time + ASSOCIATION_PAD
            used = taken_arrivals(
                session, ws - cfg.history, reach, auths=self.auths, origin_auth=cfg.auth,
                before=ws,
            )  # fmt: skip
            # The earlier windows' events within a travel time of this window: a source
            # near the boundary may have been formed there.
            prior = [
                PriorEvent(o.lat, o.lon, o.depth, o.time, tuple(arids))
                for o, arids in prior_events(
                    session, ws - cfg.associate.max_travel_time - ASSOCIATION_PAD, ws,
                    origin_auth=cfg.auth,
                )
            ]  # fmt: skip
            again = bool(used) and bool(set(used) & {a.arid for a in bulletin.assocs})
            if not again and prior and bulletin.origins:
                again = self.executor.submit(
                    meets_prior, arrivals, self.network, cfg.associator, bulletin, prior
                ).result()
            if again:
                # An event of an earlier window took a detection this window's events used
                # (~1 window in 10), or is a rival of one of them: associate again without
                # those detections and with those events as rivals.
                bulletin = self.executor.submit(
                    form_events, arrivals, amplitudes, self.network, ws, we, cfg.associator,
                    used, cfg.auth, prior,
                ).result()  # fmt: skip
                rep.reassociated = True
            bulletin = self.executor.submit(
                with_surface_waves, bulletin, self.sources, self.network, cfg.surface
            ).result()  # Ms: reads the records the Rayleigh waves need, past the window
            rep.problems += bulletin.problems
            rep.events = len(bulletin.origins)
            status = "done" if complete else "partial"
            counts = {"events": rep.events, "arrivals_considered": len(arrivals)}
            tables = {
                "origin": bulletin.origins, "assoc": bulletin.assocs,
                "origerr": bulletin.origerrs, "netmag": bulletin.netmags,
                "stamag": bulletin.stamags, "amplitude": bulletin.amplitudes,
            }  # fmt: skip
            measured, measure_problems = self.executor.submit(
                screening_measurements, bulletin.origins, self.sources, self.network, cfg.screen
            ).result()  # regional P/S, P character: records read past the window as needed
            rep.problems += measure_problems
            tables.update(screen_bulletin({**tables, "arrival": arrivals}, measured,
                                          config=cfg.screen, auth=cfg.auth))  # fmt: skip
            replace_events(
                session, ws, we, tables, auth=cfg.auth, run_id=run_id, status=status,
                counts=counts,
            )  # fmt: skip
            rep.status = status
            log.debug("window %s: %d events (%s)", UTCDateTime(ws), rep.events, status)
        except Exception as exc:
            rep.status, rep.error = "failed", f"association: {exc!r}"
            log.error("association of window %s failed: %r", UTCDateTime(ws), exc)
            finish_run(session, run_id, "failed", report=traceback.format_exc())
        if self.progress is not None:
            self.progress("associate", k + 1, self.n)
