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
   done (:func:`testban.store.replace_window`). A window is first associated as if no
   earlier event had taken any detection (so windows can run in parallel); if one of its
   events uses a detection that an event of an earlier window took (about one window in
   ten on a simulated IMS day), it is associated again without those detections. The
   rule is the same with or without workers, so the bulletin is too.

Every window attempt is a row of the store's ``run`` table (counts and report), so a run
resumes where it stopped, and a window is redone only when asked (``redo``), when it
failed, or when its association lacked later data ("partial"). Re-running a window
gives the same rows with the same ids. Tasks are pure functions of their arguments; with a
Dask client they run on its workers, without one in this process: the bulletin is the
same either way. Only this driver writes to the store.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time as _time
import traceback
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from obspy import Stream, UTCDateTime

from testban.associate import Associator, AssociatorConfig
from testban.detect import DetectConfig, detect_stream
from testban.io.archive import Archive
from testban.io.problems import ReadProblem
from testban.magnitude import network_magnitudes, station_magnitudes, with_magnitudes
from testban.network import Network
from testban.records.css30 import (
    Amplitude,
    Arrival,
    Assoc,
    Event,
    Netmag,
    Origerr,
    Origin,
    Stamag,
    Wfdisc,
    jdate,
)
from testban.store import (
    Store,
    finish_run,
    next_ids,
    read_rows,
    replace_arrivals,
    replace_window,
    start_run,
    window_done,
)
from testban.store.paths import store_wfdiscs
from testban.store.schema import TABLES_SQL

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

#: Seconds searched before a window's first origin time by the associator (its pad).
ASSOCIATION_PAD = 40.0


@dataclass(frozen=True)
class RunConfig:
    """What a run does: window length, labels, and each stage's parameters."""

    window: float = 3600.0
    label: str = "testban"
    auth: str = "testban"
    #: Re-process windows already done (their rows are replaced, ids kept where equal).
    redo: bool = False
    #: Detections before a window given to the associator (station detection history, s).
    history: float = 3600.0
    detect: DetectConfig = field(default_factory=DetectConfig)
    associate: AssociatorConfig = field(default_factory=AssociatorConfig)

    @property
    def lookahead(self) -> int:
        """Windows of detections after a window that its association needs."""
        reach = self.associate.max_travel_time + ASSOCIATION_PAD
        return max(1, math.ceil(reach / self.window))


@dataclass(frozen=True)
class Source:
    """A waveform archive root, optionally restricted to some of its files."""

    root: Path
    only: tuple[Path, ...] | None = None

    def archive(self) -> Archive:
        """This process's :class:`Archive` of the root (its index is loaded once)."""
        if self.root not in _ARCHIVES:
            _ARCHIVES[self.root] = Archive(self.root)
        return _ARCHIVES[self.root]


#: Per-process caches: archives by root, associators by (network, configuration). A task
#: re-running on the same worker reuses them (the associator's grid takes seconds to build).
_ARCHIVES: dict[Path, Archive] = {}
_ASSOCIATORS: dict[tuple[int, AssociatorConfig], tuple[Network, Associator]] = {}


def _associator(network: Network, config: AssociatorConfig) -> Associator:
    key = (id(network), config)
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
) -> DetectionBatch:
    """Read and detect one station group over window ``[start, end)`` (a pure task)."""
    r0 = UTCDateTime(start - config.overlap)
    r1 = UTCDateTime(end + config.snippet)
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
        stream, network, config, start=start, end=end, source=label
    )
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


def form_events(
    arrivals: Sequence[Arrival],
    amplitudes: Sequence[Amplitude],
    network: Network,
    start: float,
    end: float,
    config: AssociatorConfig,
    used_arids: Iterable[int] = (),
    auth: str = "testban",
) -> WindowBulletin:
    """Associate, locate and size the events with origin times in ``[start, end)``."""
    config = dataclasses.replace(config, auth=auth)
    if len({a.sta for a in arrivals}) < config.min_stations:  # no event can pass the criteria
        return WindowBulletin([], [], [], [], [], [])
    result = _associator(network, config).run_window(list(arrivals), start, end, used_arids)
    by_orid: dict[int, list[Assoc]] = {}
    for a in result.assocs:
        by_orid.setdefault(a.orid, []).append(a)
    stamags: list[Stamag] = []
    for o in result.origins:
        stamags += station_magnitudes(amplitudes, arrivals, by_orid.get(o.orid, []), o, network)
    netmags, stamags = network_magnitudes(stamags, net=auth, auth=auth)
    origins = with_magnitudes(result.origins, netmags)
    return WindowBulletin(
        origins, result.assocs, result.origerrs, netmags, stamags, list(result.problems)
    )


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
) -> RunReport:
    """Process ``[start, end)`` (default: the archives' extent) into ``store``.

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
    ext_times = [a.time for a in external]
    ext_t = ext_times
    spans = [s for s in (extent, (min(ext_t), max(ext_t)) if ext_t else None) if s]
    if start is None or end is None:
        if not spans:
            report.problems.append(ReadProblem("input", "no waveforms or detections to process"))
            return report
        start = min(s[0] for s in spans) if start is None else start
        end = max(s[1] for s in spans) if end is None else end
    report.start, report.end = float(start), float(end)
    windows = _windows(float(start), float(end), cfg.window)
    executor = _Dask(client) if client is not None else _Serial()
    shared_net = executor.share(network)
    ext_auths = sorted({a.auth for a in external})
    auths = sorted({cfg.auth, *ext_auths})
    det_label, ass_label = f"{cfg.label}:detect", f"{cfg.label}:associate"
    reports = [WindowReport(ws, we) for ws, we in windows]
    report.windows = reports
    n = len(windows)

    with store.session() as session:
        report.problems += _store_wfdiscs(session, wfdiscs, [s.root for s in sources])
        detected = [False] * n  # detection stored (this run or before)
        pending: dict[int, list[Any]] = {}

        def submit(j: int) -> None:
            if j >= n or j in pending or detected[j]:
                return
            ws, we = windows[j]
            if not cfg.redo and window_done(session, ws, we, det_label):
                detected[j] = True
                return
            pending[j] = [
                executor.submit(detect_group, sources, g, els, ws, we, shared_net, cfg.detect)
                for g, els in groups.items()
            ]

        def collect(j: int) -> None:
            if j >= n or detected[j]:
                return
            submit(j)
            if detected[j]:
                return
            ws, we = windows[j]
            rep = reports[j]
            run_id = start_run(session, ws, we, label=det_label, auth=cfg.auth)
            batches, failed = [], []
            for group, fut in zip(groups, pending.pop(j), strict=True):
                try:
                    batches.append(fut.result())
                except Exception as exc:  # one station's failure must not stop the others
                    failed.append(group)
                    rep.problems.append(ReadProblem(
                        f"window {UTCDateTime(ws)}", f"detection failed: {exc!r}",
                        seed_id=group,
                    ))  # fmt: skip
            if groups and not batches:
                rep.status, rep.error = (
                    "failed",
                    f"detection failed at every station ({failed[0]}…)",
                )
                finish_run(session, run_id, "failed", report="\n".join(map(str, rep.problems)))
                detected[j] = True  # nothing stored; association goes on without it
                return
            ext = external[bisect_left(ext_times, ws) : bisect_left(ext_times, we)]
            ext_ids = {a.arid for a in ext}
            ext_amps = [m for m in external_amplitudes if m.arid in ext_ids]
            arrivals, amplitudes = _number(batches, ext, ext_amps)
            rep.groups = len(batches)
            rep.files = sum(b.files for b in batches)
            rep.detections = sum(len(b.arrivals) for b in batches)
            rep.external = len(ext)
            rep.problems += [p for b in batches for p in b.problems]
            counts = {"detections": rep.detections, "external": rep.external, "files": rep.files}
            status = "partial" if failed else "done"  # partial: a later run retries it
            with _atomic(session):
                replace_arrivals(session, ws, we, arrivals, amplitudes, auths=auths)
                finish_run(session, run_id, status, counts, "\n".join(map(str, rep.problems)))
            detected[j] = True
            if progress is not None:
                progress("detect", j + 1, n)

        # With workers, detection and (speculative) association run ahead of the window
        # being finished; here, one window at a time.
        ahead = 2 * max(1, len(getattr(client, "nthreads", dict)())) if client is not None else 0
        speculative: dict[int, tuple[Any, list[Arrival], list[Amplitude]]] = {}

        def to_associate(j: int) -> bool:
            ws, we = windows[j]
            return reports[j].status != "failed" and (
                cfg.redo or not window_done(session, ws, we, ass_label)
            )

        def speculate(j: int) -> None:
            """Associate window ``j`` as if no earlier event had taken a detection."""
            if j >= n or j in speculative or not to_associate(j):
                return
            ws, we = windows[j]
            arrivals, amplitudes = _association_input(session, ws, we, cfg, auths)
            fut = executor.submit(
                form_events, arrivals, amplitudes, shared_net, ws, we, cfg.associate, (),
                cfg.auth,
            )  # fmt: skip
            speculative[j] = (fut, arrivals, amplitudes)

        for k, (ws, we) in enumerate(windows):
            for j in range(k, min(n, k + cfg.lookahead + 2 * ahead + 1)):
                submit(j)
            for j in range(k, min(n, k + cfg.lookahead + ahead + 1)):
                collect(j)
            for j in range(k, min(n - cfg.lookahead, k + ahead + 1)) if ahead else ():
                speculate(j)  # its detections are all stored
            rep = reports[k]
            complete = k + cfg.lookahead < n and all(
                reports[j].status != "failed" for j in range(k, k + cfg.lookahead + 1)
            )
            if not to_associate(k):
                if rep.status == "pending":
                    rep.status = "skipped"
                continue
            run_id = start_run(session, ws, we, label=ass_label, auth=cfg.auth)
            try:
                speculate(k)
                fut, arrivals, amplitudes = speculative.pop(k)
                bulletin = fut.result()
                used = _taken(session, ws, we, cfg, auths)
                if used and set(used) & {a.arid for a in bulletin.assocs}:
                    # An event of an earlier window took a detection this window's
                    # events used (~1 window in 10): associate again without them.
                    bulletin = executor.submit(
                        form_events, arrivals, amplitudes, shared_net, ws, we, cfg.associate,
                        used, cfg.auth,
                    ).result()  # fmt: skip
                    rep.reassociated = True
                rep.problems += bulletin.problems
                rep.events = len(bulletin.origins)
                status = "done" if complete else "partial"
                counts = {"events": rep.events, "arrivals_considered": len(arrivals)}
                _store_events(session, ws, we, bulletin, cfg.auth, run_id, status, counts)
                rep.status = status
            except Exception as exc:
                rep.status, rep.error = "failed", f"association: {exc!r}"
                finish_run(session, run_id, "failed", report=traceback.format_exc())
            if progress is not None:
                progress("associate", k + 1, n)
    report.wall_s = _time.perf_counter() - wall0
    report.cpu_s = _time.process_time() - cpu0
    return report


def _input_where(ws: float, we: float, cfg: RunConfig, auths: Sequence[str]) -> Any:
    """The stored detections a window's association sees: station history before it,
    and up to the longest travel time after it."""
    ta = TABLES_SQL["arrival"]
    reach = we + cfg.associate.max_travel_time + ASSOCIATION_PAD
    return sa.and_(ta.c.auth.in_(auths), ta.c.time >= ws - cfg.history, ta.c.time < reach)


def _association_input(
    session: Any, ws: float, we: float, cfg: RunConfig, auths: Sequence[str]
) -> tuple[list[Arrival], list[Amplitude]]:
    """Stored detections around a window and their amplitudes."""
    ta, tm = TABLES_SQL["arrival"], TABLES_SQL["amplitude"]
    where = _input_where(ws, we, cfg, auths)
    arrivals = read_rows(session, "arrival", where, order_by=("time", "arid"))
    amplitudes = read_rows(session, "amplitude", tm.c.arid.in_(sa.select(ta.c.arid).where(where)))
    return arrivals, amplitudes  # type: ignore[return-value]


def _taken(session: Any, ws: float, we: float, cfg: RunConfig, auths: Sequence[str]) -> list[int]:
    """Detections of a window's input already associated with events of earlier windows."""
    ta, to, tas = TABLES_SQL["arrival"], TABLES_SQL["origin"], TABLES_SQL["assoc"]
    arids = sa.select(ta.c.arid).where(_input_where(ws, we, cfg, auths))
    earlier = sa.select(to.c.orid).where(to.c.auth == cfg.auth, to.c.time < ws)
    used = session.scalars(
        sa.select(tas.c.arid).where(tas.c.orid.in_(earlier), tas.c.arid.in_(arids))
    ).all()
    return sorted(set(used))


def _store_events(
    session: Any,
    ws: float,
    we: float,
    b: WindowBulletin,
    auth: str,
    run_id: int,
    status: str,
    counts: dict[str, Any],
) -> None:
    """Give the window's events their ids (the stored ones where an event is unchanged)
    and replace the window's automatic events with them, marking the window ``status``."""
    to = TABLES_SQL["origin"]
    old = read_rows(session, "origin", sa.and_(to.c.auth == auth, to.c.time >= ws, to.c.time < we))
    old_key = {_origin_key(o): o for o in old}
    old_orids = [o.orid for o in old]
    tn, te = TABLES_SQL["netmag"], TABLES_SQL["event"]
    old_mag = {
        (m.orid, m.magtype): m.magid for m in read_rows(session, "netmag", tn.c.orid.in_(old_orids))
    }
    old_evid = {e.prefor: e.evid for e in read_rows(session, "event", te.c.prefor.in_(old_orids))}
    fresh = [o for o in b.origins if _origin_key(o) not in old_key]
    new_orid = iter(next_ids(session, "orid", len(fresh)))
    prev_of = {o.orid: old_key.get(_origin_key(o)) for o in b.origins}
    n_evid = sum(p is None or p.orid not in old_evid for p in prev_of.values())
    new_evid = iter(next_ids(session, "evid", n_evid))
    orid_of, evid_of = {}, {}
    for o in b.origins:
        prev = prev_of[o.orid]
        orid_of[o.orid] = prev.orid if prev is not None else next(new_orid)
        kept = prev is not None and prev.orid in old_evid
        evid_of[o.orid] = old_evid[prev.orid] if kept else next(new_evid)
    mag_key = {(orid_of[m.orid], m.magtype) for m in b.netmags}
    new_mag = iter(next_ids(session, "magid", sum(k not in old_mag for k in mag_key)))
    magid_of = {}
    for key in sorted(mag_key):
        magid_of[key] = old_mag[key] if key in old_mag else next(new_mag)
    netmag_magid = {m.magid: magid_of[(orid_of[m.orid], m.magtype)] for m in b.netmags}

    def fix(rows, **extra):
        return [
            dataclasses.replace(r, orid=orid_of[r.orid], **{k: f(r) for k, f in extra.items()})
            for r in rows
        ]

    origins = [
        dataclasses.replace(
            o, orid=orid_of[o.orid], evid=evid_of[o.orid],
            mbid=netmag_magid.get(o.mbid, -1), msid=netmag_magid.get(o.msid, -1),
            mlid=netmag_magid.get(o.mlid, -1),
        )
        for o in b.origins
    ]  # fmt: skip
    tables = {
        "origin": origins,
        "assoc": fix(b.assocs),
        "origerr": fix(b.origerrs),
        "netmag": fix(
            b.netmags, magid=lambda m: netmag_magid[m.magid], evid=lambda m: evid_of[m.orid]
        ),
        "stamag": fix(
            b.stamags, magid=lambda m: netmag_magid.get(m.magid, -1), evid=lambda m: evid_of[m.orid]
        ),
        "event": [Event(evid=o.evid, prefor=o.orid, auth=auth) for o in origins],
    }
    with _atomic(session):
        replace_window(session, ws, we, tables, auth=auth, run_id=run_id, counts=counts)
        if status != "done":
            finish_run(session, run_id, status, counts)


@contextmanager
def _atomic(session: Any) -> Iterator[None]:
    """One transaction around several store writes (each a savepoint inside it)."""
    if session.in_transaction():
        session.commit()
    with session.begin():
        yield


def _origin_key(o: Origin) -> tuple:
    """What makes two automatic origins the same: time to 1 ms, position to 1e-4°."""
    return (round(o.time, 3), round(o.lat, 4), round(o.lon, 4), round(o.depth, 1))


def _store_wfdiscs(
    session: Any, rows: Sequence[Wfdisc], roots: Sequence[Path] = ()
) -> list[ReadProblem]:
    """Record the waveform files read (for the event pages); rows already there stay.
    Paths too long for CSS3.0's ``wfdisc.dir``/``dfile`` are kept relative to their archive
    root (:mod:`testban.store.paths`): no row is dropped."""
    store_wfdiscs(session, rows, roots)
    return []
