"""Station processing over files: waveform paths in, CSS3.0 ``arrival.csv``/``amplitude.csv`` out.

:func:`detect_paths` streams files through :func:`testban.detect.station.detect_stream` in
windows (memory flat with input length) and writes ``arrival.csv``, ``amplitude.csv`` and
``problems.txt``: the I/O edge of the detection stage, as ``locate/tables.py`` is the
locator's.
"""

from __future__ import annotations

import logging
import math
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from obspy import Stream, Trace, UTCDateTime

from testban.detect.config import DetectConfig, InfrasoundConfig
from testban.detect.infrasound import detect_infrasound
from testban.detect.station import AUTH, detect_stream
from testban.io.problems import ReadProblem
from testban.records.css30 import Amplitude, Arrival

if TYPE_CHECKING:
    from testban.network import Network

log = logging.getLogger(__name__)

__all__ = ["detect_paths"]

#: Two detections at one station closer than this (s) are one (window overlaps).
DUPLICATE_S = 1.0

PathLike = str | os.PathLike[str]


def _extent(
    archive: Any, lengths: dict[Path, float], spans: dict[Path, tuple[float, float]]
) -> tuple[float, float] | None:
    """Earliest start and latest end over an archive's indexed files; fills ``lengths``
    (longest trace span per file, s) and ``spans`` (earliest start, latest end per file,
    epoch s), from which the files of each window are chosen without asking the archive
    (and re-stating every file) again."""
    archive.refresh_index()
    t0, t1 = math.inf, -math.inf
    # The index is private to Archive; a public extent/spans query is requested.
    for rel, entry in (archive._entries or {}).items():
        longest = 0.0
        f0, f1 = math.inf, -math.inf
        for _sid, s, e in entry.get("spans", []):
            s, e = float(UTCDateTime(s)), float(UTCDateTime(e))
            f0, f1 = min(f0, s), max(f1, e)
            longest = max(longest, e - s)
        t0, t1 = min(t0, f0), max(t1, f1)
        path = (archive.root / rel).resolve()
        lengths[path] = longest
        if f0 <= f1:
            spans[path] = (f0, f1)
    return (t0, t1) if t0 < t1 else None


def _dedupe(arrivals: list[Arrival]) -> list[Arrival]:
    """Drop arrivals at one station within :data:`DUPLICATE_S` of a kept one."""
    out: list[Arrival] = []
    last: dict[tuple[str, str], float] = {}
    for a in sorted(arrivals, key=lambda a: (a.sta, a.time)):
        key = (a.sta, "S" if a.iphase == "S" else "P")
        if a.time - last.get(key, -math.inf) < DUPLICATE_S:
            continue
        last[key] = a.time
        out.append(a)
    return out


def detect_paths(
    paths: PathLike | Iterable[PathLike],
    stations_meta: PathLike | Sequence[PathLike] | Network | None,
    out_dir: PathLike,
    config: DetectConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    cache_dir: PathLike | None = None,
    auth: str = AUTH,
    infrasound: InfrasoundConfig | None = None,
) -> tuple[list[Path], list[ReadProblem]]:
    """Detect arrivals in waveform files and write CSS3.0 CSV tables to ``out_dir``.

    ``paths`` are files or directories (walked); ``stations_meta`` anything
    :func:`testban.network.read_network` reads (or None: single stations only). The data
    are processed in windows of ``config.window`` s, each read with ``config.overlap`` s
    before and ``config.snippet`` s after, so memory stays flat with the input length;
    a detection belongs to the window its trigger falls in. ``progress(done, total)`` is
    called after each window. Writes ``arrival.csv``, ``amplitude.csv`` and
    ``problems.txt``; returns the written paths and all problems. Infrasound channels
    are detected by :func:`testban.detect.infrasound.detect_infrasound` with
    ``infrasound`` (default :class:`InfrasoundConfig`; ``enabled=False`` skips them).
    """
    from testban.io.archive import Archive
    from testban.io.css30 import write_csv
    from testban.io.waveforms import iter_waveform_files, join_traces, read_file
    from testban.network import read_network

    config = config or DetectConfig()
    infra = infrasound or InfrasoundConfig()
    lead = max(config.overlap, infra.lead) if infra.enabled else config.overlap
    tail = max(config.snippet, infra.tail) if infra.enabled else config.snippet
    problems: list[ReadProblem] = []
    network = None
    if stations_meta is not None:
        network, probs = read_network(stations_meta)
        problems += probs
    files = [p.resolve() for p in iter_waveform_files(paths)]
    roots: dict[Path, set[Path]] = {}
    for f in files:
        roots.setdefault(f.parent, set()).add(f)
    archives = [(Archive(root, cache_dir=cache_dir), chosen) for root, chosen in roots.items()]
    lengths: dict[Path, float] = {}
    file_spans: dict[Path, tuple[float, float]] = {}
    spans = [s for s in (_extent(a, lengths, file_spans) for a, _ in archives) if s is not None]
    # the files to read, in the order the archives list them, with their time spans
    wanted = [(p, sp) for p, sp in sorted(file_spans.items()) if any(p in c for _a, c in archives)]
    for archive, _ in archives:
        problems += archive.index_problems
    arrivals: list[Arrival] = []
    amplitudes: list[Amplitude] = []
    seen: set[tuple[str, str, str]] = set()
    if spans:
        t_start = math.floor(min(s[0] for s in spans))
        t_stop = max(s[1] for s in spans)
        nwin = max(1, math.ceil((t_stop - t_start) / config.window))
        cache: OrderedDict[Path, tuple[Stream, list[ReadProblem]]] = OrderedDict()
        for w in range(nwin):
            ws = t_start + w * config.window
            we = ws + config.window
            r0, r1 = UTCDateTime(ws - lead), UTCDateTime(we + tail)
            stream = Stream()
            for path, (f0, f1) in wanted:
                if f0 > float(r1) or f1 < float(r0):
                    continue
                small = lengths.get(path, math.inf) <= config.window
                st, probs = _read_cached(path, r0, r1, small, cache, read_file)
                for p in probs:
                    key = (p.file, p.record, p.message)
                    if key not in seen:
                        seen.add(key)
                        problems.append(p)
                stream += st
            stream, jprobs = join_traces(stream)
            stream = _slice(stream, r0, r1)  # views, not Stream.trim's copies and history
            for p in jprobs:
                key = (p.file, p.record + p.seed_id, p.message)
                if key not in seen:
                    seen.add(key)
                    problems.append(p)
            arr, amp, probs = detect_stream(
                stream,
                network,
                config,
                start=ws,
                end=we,
                first_arid=len(arrivals) + 1,
                source=f"window {UTCDateTime(ws)}",
                auth=auth,
            )
            iarr, iamp, iprobs = detect_infrasound(
                stream,
                network,
                infra,
                start=ws,
                end=we,
                first_arid=len(arrivals) + len(arr) + 1,
                source=f"window {UTCDateTime(ws)}",
                auth=auth,
                qc=config,
            )
            arrivals += arr + iarr
            amplitudes += amp + iamp
            probs += iprobs
            for p in probs:
                if p.severity == "info":
                    key = ("info", p.seed_id, p.message)
                    if key in seen:
                        continue
                    seen.add(key)
                problems.append(p)
            log.debug("window %s: %d detections", UTCDateTime(ws), len(arr))
            if progress is not None:
                progress(w + 1, nwin)
    kept = _dedupe(arrivals)
    # renumber so arids are 1..n in time order per station
    ids = {a.arid: i + 1 for i, a in enumerate(kept)}
    for a in kept:
        a.arid = ids[a.arid]
    amps = [a for a in amplitudes if a.arid in ids]
    for m in amps:
        m.arid = ids[m.arid]
        m.ampid = m.arid
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [
        write_csv(kept, out / "arrival.csv", table="arrival"),
        write_csv(amps, out / "amplitude.csv", table="amplitude"),
    ]
    report = out / "problems.txt"
    report.write_text("".join(f"{p}\n" for p in problems), encoding="utf-8")
    written.append(report)
    return written, problems


def _read_cached(
    path: Path,
    r0: UTCDateTime,
    r1: UTCDateTime,
    small: bool,
    cache: OrderedDict,
    read_file: Callable,
) -> tuple[Stream, list[ReadProblem]]:
    """Read a file's part in ``[r0, r1]``; ``small`` files are decoded once and kept.

    Files spanning less than a window are decoded whole and cached a while (the overlap
    of consecutive windows then costs no second decode); longer ones are read per window.
    """
    if not small:
        return read_file(path, starttime=r0, endtime=r1)
    if path in cache:
        st, probs = cache[path]
        cache.move_to_end(path)
        return _slice(st, r0, r1), probs
    st, probs = read_file(path)
    cache[path] = (st, probs)
    while len(cache) > 64:
        cache.popitem(last=False)
    return _slice(st, r0, r1), probs


def _slice(stream: Stream, r0: UTCDateTime, r1: UTCDateTime) -> Stream:
    """Views of the samples of ``stream`` in ``[r0, r1]`` (no header deep copies); traces
    wholly inside are passed on as they are (nothing here or downstream writes to them)."""
    out = Stream()
    for tr in stream:
        s = tr.stats
        i0 = max(0, math.ceil((r0 - s.starttime) * s.sampling_rate - 1e-6))
        i1 = min(s.npts, math.floor((r1 - s.starttime) * s.sampling_rate + 1e-6) + 1)
        if i1 <= i0:
            continue
        if i0 == 0 and i1 == s.npts:
            out.append(tr)
            continue
        header = {
            k: s[k] for k in ("network", "station", "location", "channel", "sampling_rate", "calib")
        }
        header["starttime"] = s.starttime + i0 / s.sampling_rate
        out.append(Trace(tr.data[i0:i1], header=header))
    return out
