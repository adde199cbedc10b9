"""Time-window selection over a directory of waveform files, opening only what can match.

Two layouts are understood, and may be mixed under one root:

* SDS (``YEAR/NET/STA/CHAN.TYPE/NET.STA.LOC.CHAN.TYPE.YEAR.DOY``): the channel and day
  come from the path, so nothing is indexed;
* any other tree of waveform files: each file's channels and time spans are read once from
  its headers (IMS2.0: the WID2 lines, nothing decoded; other formats:
  ``obspy.read(headonly=True)``) and cached in a small JSON index, refreshed when a file's
  modification time or size changes.

The index lives in ``<root>/.testban-index.json`` when the root is writable, otherwise in
``$XDG_CACHE_HOME/testban`` (default ``~/.cache/testban``), one file per root.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path

import obspy
import platformdirs
from obspy import Stream, UTCDateTime

from testban.io.ims20 import scan_ims20_headers
from testban.io.problems import ReadProblem
from testban.io.waveforms import (
    _looks_like_wfdisc,
    _sniff_gse,
    drop_future,
    iter_waveform_files,
    join_traces,
    read_file,
    read_wfdisc,
)

__all__ = ["INDEX_NAME", "Archive", "index_cache_dir"]

log = logging.getLogger(__name__)

#: The index file older versions wrote inside input folders: never read, listed or removed.
INDEX_NAME = ".testban-index.json"
_INDEX_VERSION = 3  # 3: each entry keeps its file's read problems

#: Indexes that could not be written to the cache folder, by index path (this process).
_MEMORY: dict[Path, dict[str, dict]] = {}

#: How far data in an SDS day file may reach into the neighbouring days (records that
#: straddle midnight; long records of low-rate channels).
SDS_SLACK_S = 3600.0

_YEAR_DIR = re.compile(r"\d{4}")
_SDS_FILE = re.compile(
    r"(?P<year>\d{4})/(?P<net>[^/]*)/(?P<sta>[^/]+)/(?P<cha>[^/.]+)\.(?P<typ>[^/.])/"
    r"(?P=net)\.(?P=sta)\.(?P<loc>[^/.]*)\.(?P=cha)\.(?P=typ)\.(?P=year)\.(?P<doy>\d{3})"
)

Patterns = str | Iterable[str] | None


def _patterns(value: Patterns) -> list[str] | None:
    """Normalise a station/channel filter to a list of fnmatch patterns (None: all)."""
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _matches(code: str, patterns: list[str] | None) -> bool:
    """True when ``code`` matches one of the (case-sensitive) wildcard patterns."""
    return patterns is None or any(fnmatch.fnmatchcase(code, p) for p in patterns)


def index_cache_dir() -> Path:
    """The folder of archive indexes: ``$TESTBAN_CACHE_DIR/archive-index``, else
    ``$TESTBAN_CACHE/archive-index`` (the project's cache root, also used for travel-time
    tables), else the user's cache folder (``platformdirs``: ``~/.cache/testban`` on Linux,
    honouring ``XDG_CACHE_HOME``)."""
    base = os.environ.get("TESTBAN_CACHE_DIR") or os.environ.get("TESTBAN_CACHE")
    if not base:
        base = platformdirs.user_cache_dir("testban", appauthor=False)
    return Path(base) / "archive-index"


def _valid_entry(entry: object) -> bool:
    """Whether a cached entry has the shape this version writes (anything else: re-index)."""
    if not isinstance(entry, dict):
        return False
    if not all(isinstance(entry.get(k), int) for k in ("mtime_ns", "size")):
        return False
    if not isinstance(entry.get("error"), str | None):
        return False
    problems = entry.get("problems")
    if not isinstance(problems, list) or not all(
        isinstance(p, list) and len(p) == 4 and all(isinstance(v, str) for v in p) for p in problems
    ):
        return False
    spans = entry.get("spans")
    return isinstance(spans, list) and all(
        isinstance(s, list)
        and len(s) == 3
        and isinstance(s[0], str)
        and all(isinstance(v, int | float) for v in s[1:])
        for s in spans
    )


#: Name endings of waveform formats: such a file that no reader understands is an error;
#: any other unreadable file is noted (info) as skipped.
WAVEFORM_SUFFIXES = (".mseed", ".miniseed", ".msd", ".ms", ".sac", ".gse", ".gse2", ".ims",
                     ".msg", ".w", ".segy", ".sgy", ".sds")  # fmt: skip


def _not_waveforms(path: Path) -> list[ReadProblem]:
    """The problem to report for a file in the tree that no waveform reader understands."""
    if path.suffix.lower() in WAVEFORM_SUFFIXES or path.name.lower().endswith(".d"):
        return [ReadProblem(str(path), "unreadable: not in any waveform format known")]
    return [ReadProblem(str(path), "skipped: not a waveform file", severity="info")]


def _problems_to_entry(problems: list[ReadProblem]) -> list[list[str]]:
    """A file's read problems as JSON: ``[record, message, seed_id, severity]`` each (the
    file is the entry's own path)."""
    return [[p.record, p.message, p.seed_id, p.severity] for p in problems]


def _problems_from_entry(path: Path, entry: dict) -> list[ReadProblem]:
    """The read problems cached in an index entry, naming ``path`` again."""
    return [ReadProblem(str(path), msg, rec, sid, sev) for rec, msg, sid, sev in entry["problems"]]


class Archive:
    """A directory tree of waveform files (SDS or any layout) queried by time window.

    ``cache_dir`` forces the folder of the index file (default: :func:`index_cache_dir`);
    the archive itself is only read.
    """

    def __init__(
        self, root: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None
    ):
        self.root = Path(root).resolve()
        self._lock = threading.Lock()  # one refresh at a time (a Dask worker's threads)
        key = hashlib.sha256(os.fsencode(self.root)).hexdigest()[:32]
        folder = Path(cache_dir) if cache_dir is not None else index_cache_dir()
        self.index_path = folder / f"index-{key}.json"
        self._entries: dict[str, dict] | None = None
        self.index_problems: list[ReadProblem] = []

    # -- layout ----------------------------------------------------------------------

    def _year_dirs(self) -> list[Path]:
        """Top-level four-digit directories, taken as SDS years."""
        try:
            children = list(self.root.iterdir())
        except OSError:
            return []
        return sorted(c for c in children if c.is_dir() and _YEAR_DIR.fullmatch(c.name))

    def _generic_roots(self) -> list[Path]:
        """Top-level entries that are not SDS years (indexed file by file)."""
        years = set(self._year_dirs())
        try:
            children = sorted(self.root.iterdir())
        except OSError:
            return []
        return [c for c in children if c not in years and not c.name.startswith(".")]

    def _sds_files(
        self,
        starttime: UTCDateTime,
        endtime: UTCDateTime,
        stations: list[str] | None,
        channels: list[str] | None,
    ) -> list[Path]:
        """SDS day files of the matching channels whose day (with slack) meets the window."""
        if not self._year_dirs():
            return []
        first = UTCDateTime((starttime - SDS_SLACK_S).date)
        last = UTCDateTime((endtime + SDS_SLACK_S).date)
        found: set[Path] = set()
        day = first
        while day <= last:
            year, doy = day.year, day.julday
            for sta in stations or ["*"]:
                for cha in channels or ["*"]:
                    pattern = f"{year:04d}/*/{sta}/{cha}.*/*.{year:04d}.{doy:03d}"
                    for path in self.root.glob(pattern):
                        rel = path.relative_to(self.root).as_posix()
                        if _SDS_FILE.fullmatch(rel) and path.is_file():
                            found.add(path)
            day += 86400
        return sorted(found)

    # -- generic index ---------------------------------------------------------------

    def _load(self) -> dict[str, dict]:
        """The cached index entries (the valid ones), or none when the index is missing,
        torn, of another version or of another root: those files are indexed again."""
        if self.index_path in _MEMORY:
            return _MEMORY[self.index_path]
        try:
            doc = json.loads(self.index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # missing, unreadable, torn or not JSON
            return {}
        if (
            not isinstance(doc, dict)
            or doc.get("version") != _INDEX_VERSION
            or doc.get("root") != str(self.root)
            or not isinstance(doc.get("files"), dict)
        ):
            return {}
        return {rel: e for rel, e in doc["files"].items() if _valid_entry(e)}

    def _save(self, entries: dict[str, dict]) -> None:
        """Write the index atomically (temporary file + rename: readers see the old or the
        new index, never a part); when the cache folder is not writable, keep it in memory."""
        doc = {"version": _INDEX_VERSION, "root": str(self.root), "files": entries}
        tmp = None
        try:
            self.index_path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                dir=self.index_path.parent, prefix=self.index_path.stem + ".", suffix=".tmp"
            )
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, separators=(",", ":"))
            os.replace(tmp, self.index_path)
        except OSError as exc:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            log.info("archive index of %s kept in memory: %s", self.root, exc)
            _MEMORY[self.index_path] = entries
            return
        _MEMORY.pop(self.index_path, None)

    @staticmethod
    def _index_file(path: Path) -> tuple[list[list], str | None, list[ReadProblem]]:
        """(spans, error, problems) of one file from its headers: spans are
        ``[seed_id, start, end]`` per channel, error is set when a known format failed."""
        name = str(path)
        spans: dict[str, list[float]] = {}

        def add(sid: str, start: UTCDateTime, end: UTCDateTime) -> None:
            """Widen the channel's span to include ``[start, end]``."""
            s = spans.setdefault(sid, [float(start), float(end)])
            s[0], s[1] = min(s[0], float(start)), max(s[1], float(end))

        if _sniff_gse(path):
            found, problems = scan_ims20_headers(path)
            for sid, start, end in found:
                add(sid, start, end)
        else:
            problems = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    st = obspy.read(str(path), headonly=True)
                except TypeError as exc:
                    if "Unknown format" not in str(exc):
                        return [], str(exc), [ReadProblem(name, f"cannot index: {exc}")]
                    if not _looks_like_wfdisc(path):
                        return [], None, _not_waveforms(path)
                    st, problems = read_wfdisc(path, headonly=True)
                except Exception as exc:  # noqa: BLE001 - a broken file must not stop indexing
                    msg = f"cannot index: {type(exc).__name__}: {exc}"
                    return [], msg, [ReadProblem(name, msg)]
                else:  # a garbled future date must not stretch the archive's span
                    problems = drop_future(st, name)
            for tr in st:
                add(tr.id, tr.stats.starttime, tr.stats.endtime)
        return [[sid, s, e] for sid, (s, e) in sorted(spans.items())], None, problems

    def refresh_index(self) -> list[ReadProblem]:
        """Bring the index of non-SDS files up to date; returns problems met while indexing.

        Files whose modification time and size are unchanged keep their cached entry.
        """
        with self._lock:
            return self._refresh_index()

    def _refresh_index(self) -> list[ReadProblem]:
        if not self.root.is_dir():
            self._entries, self.index_problems = (
                {},
                [ReadProblem(str(self.root), "archive root is not a directory")],
            )
            return self.index_problems
        old = self._load() if self._entries is None else self._entries
        entries: dict[str, dict] = {}
        problems: list[ReadProblem] = []
        changed = False
        for path in iter_waveform_files(self._generic_roots()):
            if path.name == INDEX_NAME:  # left in the input by an older version
                continue
            rel = path.relative_to(self.root).as_posix()
            try:
                stat = path.stat()
            except OSError as exc:
                problems.append(ReadProblem(str(path), f"cannot stat: {exc}"))
                continue
            entry = old.get(rel)
            if (
                entry
                and entry.get("mtime_ns") == stat.st_mtime_ns
                and entry.get("size") == (stat.st_size)
            ):
                entries[rel] = entry
                # The problems met when the file was indexed: reported on every later use,
                # so that a damaged block is named by every command, not only the first.
                problems += _problems_from_entry(path, entry)
                continue
            spans, error, probs = self._index_file(path)
            problems += probs
            entries[rel] = {
                "mtime_ns": stat.st_mtime_ns,
                "size": stat.st_size,
                "spans": spans,
                "error": error,
                "problems": _problems_to_entry(probs),
            }
            changed = True
        if changed or set(entries) != set(old):
            self._save(entries)
        self._entries = entries
        self.index_problems = problems
        return problems

    def _indexed_files(
        self,
        starttime: UTCDateTime,
        endtime: UTCDateTime,
        stations: list[str] | None,
        channels: list[str] | None,
    ) -> list[Path]:
        """Indexed files with a matching channel whose span meets the window."""
        t0, t1 = float(starttime), float(endtime)
        out = []
        for rel, entry in sorted((self._entries or {}).items()):
            for sid, start, end in entry.get("spans", []):
                _net, sta, _loc, cha = (sid.split(".") + ["", "", "", ""])[:4]
                if (
                    start <= t1
                    and end >= t0
                    and _matches(sta, stations)
                    and _matches(cha, channels)
                ):
                    out.append(self.root / rel)
                    break
        return out

    # -- queries ---------------------------------------------------------------------

    def files(
        self,
        starttime: UTCDateTime,
        endtime: UTCDateTime,
        stations: Patterns = None,
        channels: Patterns = None,
    ) -> list[Path]:
        """Files that can hold data of the given stations/channels in the window.

        Station and channel filters are wildcard patterns (``"CM0?"``, ``"BH*"``).
        """
        sta, cha = _patterns(stations), _patterns(channels)
        self.refresh_index()
        files = self._sds_files(starttime, endtime, sta, cha)
        return files + self._indexed_files(starttime, endtime, sta, cha)

    def contents(self) -> list[tuple[Path, str, float, float]]:
        """Every file's channels: ``(path, seed_id, start, end)`` (epoch s), from the
        index (headers) or, for SDS day files, from the path (the day, with slack)."""
        self.refresh_index()
        out: list[tuple[Path, str, float, float]] = []
        for rel, entry in sorted((self._entries or {}).items()):
            for sid, start, end in entry.get("spans", []):
                out.append(
                    (self.root / rel, sid, float(UTCDateTime(start)), float(UTCDateTime(end)))
                )
        for year in self._year_dirs():
            for path in sorted(year.glob("*/*/*.*/*")):
                m = _SDS_FILE.fullmatch(path.relative_to(self.root).as_posix())
                if m is None or not path.is_file():
                    continue
                day = float(UTCDateTime(year=int(m["year"]), julday=int(m["doy"])))
                sid = f"{m['net']}.{m['sta']}.{m['loc']}.{m['cha']}"
                out.append((path, sid, day - SDS_SLACK_S, day + 86400.0 + SDS_SLACK_S))
        return out

    def select(
        self,
        starttime: UTCDateTime,
        endtime: UTCDateTime,
        stations: Patterns = None,
        channels: Patterns = None,
        only: Iterable[os.PathLike[str] | str] | None = None,
    ) -> tuple[Stream, list[ReadProblem]]:
        """Read the window ``[starttime, endtime]`` of the matching channels.

        Only candidate files are opened (and, with ``only``, only those of them listed);
        traces are joined per channel (overlaps taken once, gaps reported) and trimmed to
        the window.
        """
        starttime, endtime = UTCDateTime(starttime), UTCDateTime(endtime)
        sta, cha = _patterns(stations), _patterns(channels)

        def keep(seed_id: str) -> bool:
            """Whether a trace with this seed id was asked for."""
            parts = (seed_id.split(".") + ["", "", "", ""])[:4]
            return _matches(parts[1], sta) and _matches(parts[3], cha)

        files = self.files(starttime, endtime, sta, cha)
        if only is not None:
            allowed = {Path(p).resolve() for p in only}
            files = [f for f in files if f.resolve() in allowed]
        problems = list(self.index_problems)
        stream = Stream()
        sources: dict[int, str] = {}
        for path in files:
            st, probs = read_file(path, starttime=starttime, endtime=endtime, keep=keep)
            problems += probs
            for tr in st:
                sources[id(tr)] = str(path)
            stream += st
        stream, joined = join_traces(stream, sources)
        problems += joined
        stream.trim(starttime, endtime)
        stream.sort()
        return stream, problems
