"""What a path holds: waveforms, station metadata, bulletins, CSS3.0 tables, or none of these.

:func:`describe` reads every file under a path with the same readers the pipeline uses and
summarises what it found (stations, channels, time span, decoded traces, events) and every
read problem. It is the engine of ``testban info``; it prints nothing itself.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from obspy import Stream, UTCDateTime

from testban.io.css30 import TableError, read_tables
from testban.io.problems import ReadProblem
from testban.records.css30 import TABLES

#: Files never worth opening (checksums, licences, notes).
_SKIP_SUFFIXES = {".md", ".txt.license", ".license", ".pdf", ".png", ".jpg", ".log", ".json"}


@dataclass
class WaveformSummary:
    """Waveforms found: decoded traces, channels and time span."""

    files: int = 0
    traces: int = 0
    samples: int = 0
    seed_ids: Counter[str] = field(default_factory=Counter)
    starttime: UTCDateTime | None = None
    endtime: UTCDateTime | None = None
    sampling_rates: set[float] = field(default_factory=set)

    def add(self, stream: Stream) -> None:
        """Count the traces of one file's stream."""
        self.files += 1
        for tr in stream:
            self.traces += 1
            self.samples += tr.stats.npts
            self.seed_ids[tr.id] += 1
            self.sampling_rates.add(float(tr.stats.sampling_rate))
            t0, t1 = tr.stats.starttime, tr.stats.endtime
            self.starttime = t0 if self.starttime is None else min(self.starttime, t0)
            self.endtime = t1 if self.endtime is None else max(self.endtime, t1)

    @property
    def stations(self) -> list[str]:
        """Station codes (``NET.STA``) with data."""
        return sorted({".".join(s.split(".")[:2]) for s in self.seed_ids})


@dataclass
class Description:
    """Everything :func:`describe` found under one path."""

    path: Path
    waveforms: WaveformSummary = field(default_factory=WaveformSummary)
    station_files: dict[str, str] = field(default_factory=dict)  # file -> one-line summary
    bulletin_files: dict[str, str] = field(default_factory=dict)
    table_sets: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> table: rows
    unrecognised: list[str] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)


def describe(
    path: str | Path, progress: Callable[[int, int, Path], None] | None = None
) -> Description:
    """Read everything under ``path`` and summarise it; never raises on bad content.

    ``progress(done, total, file)`` is called before each file is read.
    """
    path = Path(path)
    desc = Description(path)
    if not path.exists():
        desc.problems.append(ReadProblem(str(path), "no such file or directory"))
        return desc
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    files = [f for f in files if not f.name.startswith(".") and f.suffix not in _SKIP_SUFFIXES]
    remaining = _css30_tables(files, desc)
    for i, f in enumerate(remaining):
        if progress is not None:
            progress(i, len(remaining), f)
        _describe_file(f, desc)
    return desc


# ------------------------------------------------------------------------ CSS3.0 tables


def _css30_tables(files: list[Path], desc: Description) -> list[Path]:
    """Read CSS3.0 table sets (``<table>.csv`` dirs, ``prefix.<table>`` flat files)."""
    used: set[Path] = set()
    sources: dict[Path, list[Path]] = {}
    for f in files:
        if f.suffix == ".csv" and f.stem in TABLES:
            sources.setdefault(f.parent, []).append(f)
        elif f.suffix.lstrip(".") in TABLES and f.suffix != ".wfdisc":
            sources.setdefault(f.with_suffix(""), []).append(f)
    for source, members in sources.items():
        names = [m.stem if m.suffix == ".csv" else m.suffix.lstrip(".") for m in members]
        try:
            tables = read_tables(source, names)
        except (TableError, OSError, UnicodeDecodeError) as exc:
            desc.problems.append(ReadProblem(str(source), f"CSS3.0 tables: {exc}"))
            used.update(members)
            continue
        desc.table_sets[str(source)] = {t: len(rows) for t, rows in tables.items()}
        used.update(members)
        if "site" in tables:  # station tables: summarise them as the network they describe
            _network_summary(source, desc)
    return [f for f in files if f not in used]


# ------------------------------------------------------------------------ single files


def _describe_file(f: Path, desc: Description) -> None:
    for probe in (_as_waveform, _as_stations, _as_bulletin):
        if probe(f, desc):
            return
    desc.unrecognised.append(str(f))


def _as_waveform(f: Path, desc: Description) -> bool:
    from testban.io.waveforms import read_file

    if f.suffix in {".w"}:  # CSS3.0 sample files are read through their wfdisc
        return _referenced_by_wfdisc(f)
    if f.suffix.lower() in {".xml", ".csv", ".geom", ".paz", ".fap", ".npz"}:
        return False
    stream, problems = read_file(f)
    if not stream and [p.message for p in problems] == ["unknown waveform format"]:
        return False
    desc.waveforms.add(stream)
    desc.problems.extend(problems)
    return True


def _referenced_by_wfdisc(f: Path) -> bool:
    return any(f.name in w.read_text(errors="replace") for w in f.parent.glob("*wfdisc*"))


def _as_stations(f: Path, desc: Description) -> bool:

    if f.suffix.lower() not in {".xml", ".geom", ".csv", ".paz", ".fap"}:
        return False
    if f.suffix.lower() in {".paz", ".fap"}:
        from testban.network import read_array_response

        try:
            read_array_response(f)
        except Exception as exc:
            desc.problems.append(ReadProblem(str(f), f"response file: {exc}"))
        desc.station_files[str(f)] = "instrument response"
        return True
    if f.suffix.lower() == ".xml" and b"FDSNStationXML" not in f.read_bytes()[:2000]:
        return False
    if f.suffix.lower() == ".csv" and not _looks_like_station_csv(f):
        return False
    _network_summary(f, desc)
    return True


def _network_summary(meta: Path, desc: Description) -> None:
    from testban.network import read_network

    try:
        network, problems = read_network(meta)
    except Exception as exc:  # a reader may refuse a source it does not own
        desc.problems.append(ReadProblem(str(meta), f"station metadata: {exc}"))
        return
    desc.problems.extend(problems)
    arrays = network.arrays()
    shown = ", ".join(sorted(arrays)[:8]) + ("…" if len(arrays) > 8 else "")
    desc.station_files[str(meta)] = f"{len(network)} stations, {len(arrays)} arrays" + (
        f" ({shown})" if arrays else ""
    )


def _looks_like_station_csv(f: Path) -> bool:
    with open(f, encoding="utf-8", errors="replace") as fh:
        header = {h.strip().lower() for h in fh.readline().split(",")}
    return {"sta", "lat", "lon"} <= header or {"station", "latitude", "longitude"} <= header


def _as_bulletin(f: Path, desc: Description) -> bool:
    from obspy import read_events

    if f.suffix.lower() in {".npz", ".npy", ".h5", ".mseed", ".sac"}:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            catalog = read_events(str(f))
    except Exception:
        return False
    n_picks = sum(len(e.picks) for e in catalog)
    n_orig = sum(len(e.origins) for e in catalog)
    times = [o.time for e in catalog for o in e.origins if o.time is not None]
    span = f", {min(times)} – {max(times)}" if times else ""
    desc.bulletin_files[str(f)] = f"{len(catalog)} events, {n_orig} origins, {n_picks} phases{span}"
    return True


def summary_lines(desc: Description) -> Iterable[str]:
    """Human-readable lines for ``testban info``."""
    w = desc.waveforms
    if w.traces:
        yield f"waveforms: {w.files} files, {w.traces} traces, {w.samples} samples"
        yield f"  time span: {w.starttime} – {w.endtime}"
        yield f"  sampling rates: {', '.join(f'{r:g}' for r in sorted(w.sampling_rates))} Hz"
        yield f"  stations ({len(w.stations)}): {' '.join(w.stations)}"
        yield f"  channels ({len(w.seed_ids)}): {' '.join(sorted(w.seed_ids))}"
    for source, tables in desc.table_sets.items():
        yield f"CSS3.0 tables {source}: " + ", ".join(f"{t} {n}" for t, n in tables.items())
    for f, text in desc.station_files.items():
        yield f"stations {f}: {text}"
    for f, text in desc.bulletin_files.items():
        yield f"bulletin {f}: {text}"
    for f in desc.unrecognised:
        yield f"not recognised (no waveform, station or bulletin format): {f}"
