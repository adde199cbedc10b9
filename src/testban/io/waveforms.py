"""Read waveform files of any common format into one Stream, reporting instead of crashing.

IMS2.0/GSE2.x messages go to :mod:`testban.io.ims20` (ObsPy's C CM6 decoder is never
used); everything else goes to :func:`obspy.read` (MiniSEED, SAC, CSS3.0 wfdisc, …), with
a tolerant fallback for wfdisc tables ObsPy does not recognise. Exceptions become
:class:`~testban.io.problems.ReadProblem` entries naming the file, ObsPy warnings are
collected per file and reported once each.

Traces of one channel are then joined: overlapping files whose samples agree are joined
without duplicating samples, disagreeing overlaps and gaps are reported (gaps split the
trace; nothing is interpolated).
"""

from __future__ import annotations

import io
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import obspy
from obspy import Stream, Trace, UTCDateTime

from testban.io.css30 import TableError, read_flat
from testban.io.ims20 import is_ims20, read_ims20
from testban.io.ims20.core import RATE_RANGE, YEAR_RANGE, check_start
from testban.io.problems import ReadProblem
from testban.records import Wfdisc
from testban.records.css30 import NA_ENDTIME

__all__ = [
    "Gap",
    "drop_future",
    "find_gaps",
    "iter_waveform_files",
    "join_traces",
    "read_file",
    "read_mseed",
    "read_waveforms",
    "read_wfdisc",
]

PathLike = str | os.PathLike[str]

#: ObsPy warnings that are known to be wrong and are dropped (the GSE2 checksum is
#: written as an absolute value, so a sign difference is not an error).
_SPURIOUS = (re.compile(r"checksum differs only in absolute value", re.IGNORECASE),)

_DIGITS = re.compile(r"\d+")

#: Fraction of a sample interval by which two traces may be off the same sample grid and
#: still be joined.
GRID_TOLERANCE = 0.25


def iter_waveform_files(paths: PathLike | Iterable[PathLike]) -> Iterator[Path]:
    """Yield files from ``paths``, walking directories in sorted order.

    Hidden files and directories (name starting with ``.``, e.g. index caches) are skipped
    during walks; files named explicitly are always yielded.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    for p in paths:
        path = Path(p)
        if not path.is_dir():
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    yield Path(root, name)


def _warning_problems(name: str, caught: list[warnings.WarningMessage]) -> list[ReadProblem]:
    """One warning-severity problem per kind of non-spurious warning.

    Warnings differing only in numbers (byte offsets, sample counts) are one kind: the
    first is quoted with the count of similar ones, so a damaged file cannot flood the
    report.
    """
    kinds: dict[str, list] = {}
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if not any(rx.search(text) for rx in _SPURIOUS):
            kinds.setdefault(_DIGITS.sub("#", text), [text, 0])[1] += 1
    out = []
    for text, n in kinds.values():
        more = f" (and {n - 1} similar)" if n > 1 else ""
        out.append(ReadProblem(name, f"reader warning: {text}{more}", severity="warning"))
    return out


def _sniff_gse(path: Path) -> bool:
    """True for anything ObsPy would hand to its GSE2 C decoder, or an IMS2.0 message."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) == b"WID2":
                return True
    except OSError:
        return False
    return is_ims20(path)


def drop_future(st: Stream, name: str) -> list[ReadProblem]:
    """Remove from ``st`` the traces that start after now + a day (a garbled date: data
    cannot come from the future) and return one problem for each.

    For the formats ObsPy parses (MiniSEED, SAC, …); IMS2.0 and wfdisc rows are checked
    where the project parses their headers.
    """
    problems, kept = [], []
    for tr in st:
        try:
            check_start(tr.stats.starttime)
        except ValueError as exc:
            msg = f"trace skipped: {exc} ({tr.stats.npts} samples)"
            problems.append(ReadProblem(name, msg, "", tr.id))
            continue
        kept.append(tr)
    st.traces = kept
    return problems


class _UnknownFormat(Exception):
    """Raised internally when no reader recognises a file."""


def read_file(
    path: PathLike,
    *,
    starttime: UTCDateTime | None = None,
    endtime: UTCDateTime | None = None,
    headonly: bool = False,
    keep: Callable[[str], bool] | None = None,
) -> tuple[Stream, list[ReadProblem]]:
    """Read one waveform file of any supported format; never raises on bad content.

    The window, when given, is applied by the reader where it can (no padding); ``keep``,
    when given, drops traces whose seed id it rejects (IMS2.0 blocks are then not even
    decoded). With ``headonly`` ObsPy formats return header-only traces (IMS2.0 files are
    still decoded; use :func:`testban.io.ims20.scan_ims20_headers` for a header scan).
    """
    try:
        return _read_file(Path(path), starttime, endtime, headonly, keep)
    except _UnknownFormat as exc:
        return Stream(), [ReadProblem(str(path), str(exc))]


def _read_file(
    path: Path,
    starttime: UTCDateTime | None,
    endtime: UTCDateTime | None,
    headonly: bool,
    keep: Callable[[str], bool] | None = None,
) -> tuple[Stream, list[ReadProblem]]:
    """:func:`read_file`, raising :class:`_UnknownFormat` for unrecognised files."""
    name = str(path)
    if not path.is_file():
        return Stream(), [ReadProblem(name, "not a readable file")]
    if _sniff_gse(path):
        st, problems = read_ims20(path, starttime=starttime, endtime=endtime, keep=keep)
        if starttime is not None or endtime is not None:
            st.trim(starttime, endtime)
        return st, problems
    if _sniff_wfdisc(path):  # our row-by-row reader: a bad row costs that row only
        st, problems = read_wfdisc(path, headonly=headonly)
        if not headonly and (starttime is not None or endtime is not None):
            st.trim(starttime, endtime)
        if keep is not None:
            st.traces = [tr for tr in st if keep(tr.id)]
        return st, problems
    if _sniff_mseed(path):  # a corrupt record costs that record, not the file
        st, problems = read_mseed(path, headonly=headonly)
        problems += drop_future(st, name)
        if starttime is not None or endtime is not None:
            st.trim(starttime, endtime)
        if keep is not None:
            st.traces = [tr for tr in st if keep(tr.id)]
        return st, problems
    kwargs = {"starttime": starttime, "endtime": endtime, "headonly": headonly}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            st = obspy.read(str(path), **kwargs)
        except TypeError as exc:
            if "Unknown format" not in str(exc):
                return Stream(), [ReadProblem(name, f"reader failed: TypeError: {exc}")]
            st = None
        except Exception as exc:  # noqa: BLE001 - any reader failure becomes a problem
            msg = f"reader failed: {type(exc).__name__}: {exc}"
            return Stream(), [ReadProblem(name, msg), *_warning_problems(name, caught)]
    problems = _warning_problems(name, caught)
    if st is not None:
        problems += drop_future(st, name)
    if st is None:
        if not _looks_like_wfdisc(path):
            raise _UnknownFormat("unknown waveform format")
        st, more = read_wfdisc(path, headonly=headonly)
        problems += more
        if not headonly and (starttime is not None or endtime is not None):
            st.trim(starttime, endtime)
    if keep is not None:
        st.traces = [tr for tr in st if keep(tr.id)]
    return st, problems


# --- MiniSEED, record by record when needed --------------------------------------------

#: Record lengths tried when a record's own blockette 1000 cannot be read.
_RECLENS = (4096, 512, 256, 1024, 2048, 8192)
_MAX_RECLEN = 1 << 16


def _record_header_ok(data: bytes, off: int) -> bool:
    """Does a MiniSEED fixed header start at ``off`` (sequence number, quality code)?"""
    h = data[off : off + 8]
    return (
        len(h) == 8
        and h[6:7] in b"DRQM"
        and h[7:8] in b" \0"
        and all(c in b"0123456789 \0" for c in h[:6])
    )


def _own_reclen(data: bytes, off: int) -> int | None:
    """Record length from the blockette 1000 of the record at ``off``, if it has one."""
    if not _record_header_ok(data, off) or off + 48 > len(data):
        return None
    nxt, seen = int.from_bytes(data[off + 46 : off + 48], "big"), 0
    while 48 <= nxt <= 504 and seen < 8:
        b = data[off + nxt : off + nxt + 8]
        if len(b) < 8:
            return None
        if int.from_bytes(b[:2], "big") == 1000:
            length = 1 << b[6] if 7 <= b[6] <= 16 else None
            return length
        nxt, seen = int.from_bytes(b[2:4], "big"), seen + 1
    return None


def _header_order(record: bytes) -> Literal["big", "little"]:
    """Byte order of a MiniSEED fixed header, told by a plausible year (1900-2100)."""
    return "big" if 1900 <= int.from_bytes(record[20:22], "big") <= 2100 else "little"


def _declared_samples(data: bytes, reclen: int) -> dict[int, int]:
    """Record offset -> sample count its fixed header declares (data records only)."""
    out = {}
    for off in range(0, len(data) - reclen + 1, reclen):
        if _record_header_ok(data, off):
            head = data[off : off + 48]
            out[off] = int.from_bytes(head[30:32], _header_order(head))
    return out


def _sniff_mseed(path: Path) -> bool:
    """True when a MiniSEED record header sits at the start or at one of the first
    record boundaries (so a file whose first record is damaged is still recognised)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4 * 4096 + 8)
    except OSError:
        return False
    offsets = {0} | {k * n for n in (512, 4096) for k in range(1, 4)}
    return any(_own_reclen(head, off) is not None for off in sorted(offsets))


def read_mseed(path: PathLike, *, headonly: bool = False) -> tuple[Stream, list[ReadProblem]]:
    """Read a MiniSEED file; when ObsPy fails or warns on the whole file, record by record.

    Each record is then read on its own: a record ObsPy cannot read is reported (byte
    offset, what ObsPy said) and skipped, the others are kept as separate traces (joined
    later by :func:`join_traces`); warnings are reported once per kind. A trailing partial
    record is reported.
    """
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return Stream(), [ReadProblem(name, f"cannot read file: {exc}")]
    reclen = next((r for off in range(0, min(len(data), 8 * 4096), 256)
                   if (r := _own_reclen(data, off))), None)  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            st = obspy.read(io.BytesIO(data), format="MSEED", headonly=headonly)
            whole_ok = not caught
        except Exception:  # noqa: BLE001 - any failure sends us to the record-wise read
            whole_ok = False
    if reclen is None:
        return Stream(), [ReadProblem(name, "no readable MiniSEED record (no blockette 1000)")]
    declared = _declared_samples(data, reclen)
    if whole_ok and len(data) % reclen == 0:
        # libmseed decodes a record whose data offset is garbled to no samples, silently:
        # the samples decoded must add up to those the record headers declare.
        if headonly or sum(tr.stats.npts for tr in st) == sum(declared.values()):
            return st, []
    st, problems = Stream(), []
    warned: list[warnings.WarningMessage] = []
    for off in range(0, len(data), reclen):
        chunk = data[off : off + reclen]
        rec = f"byte {off}"
        if len(chunk) < reclen:
            msg = f"file ends in a partial record ({len(chunk)} of {reclen} bytes): skipped"
            problems.append(ReadProblem(name, msg, rec))
            break
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                part = obspy.read(io.BytesIO(chunk), format="MSEED", headonly=headonly)
            except Exception as exc:  # noqa: BLE001 - ObsPy/libmseed raise many kinds
                why = f"{type(exc).__name__}: {exc}"
                problems.append(ReadProblem(name, f"record skipped: {why}"[:300], rec))
                continue
        warned += caught  # kept, but reported (collapsed by kind) below
        got, due = sum(tr.stats.npts for tr in part), declared.get(off, 0)
        if not headonly and got < due:
            doff = int.from_bytes(chunk[44:46], _header_order(chunk))
            msg = (
                f"record skipped: decodes to {got} of the {due} samples its header declares "
                f"(data offset {doff} in a {reclen}-byte record): damaged header or data"
            )
            problems.append(ReadProblem(name, msg, rec, part[0].id if part else ""))
            continue
        st += part
    return st, problems + _warning_problems(name, warned)


# --- CSS3.0 wfdisc fallback ------------------------------------------------------------

#: wfdisc datatype -> NumPy dtype (s: big-endian int, i: little-endian int, t/f: floats).
_CSS_DTYPES = {
    "s4": ">i4",
    "i4": "<i4",
    "s2": ">i2",
    "i2": "<i2",
    "t4": ">f4",
    "f4": "<f4",
    "t8": ">f8",
    "f8": "<f8",
}


_WFDISC_WIDTHS = (283, 285)  # standard CSS3.0 and IDC wide-id rows


def _sniff_wfdisc(path: Path) -> bool:
    """Is ``path`` a CSS3.0 wfdisc table? Its first line has a wfdisc width, or the file
    is text and most of its lines parse as wfdisc rows.

    Decided here, before ObsPy, so that a wfdisc is always read row by row (ObsPy's CSS
    reader drops the whole table for one bad row).
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        return False
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    if len(first) in _WFDISC_WIDTHS and not first.translate(None, _TEXT_BYTES):
        return True
    if not head or 8 * len(head.translate(None, _TEXT_BYTES)) > len(head):
        return False  # empty, or binary
    return _looks_like_wfdisc(path)


_TEXT_BYTES = bytes(range(32, 127)) + b"\t\r\n"


def _wfdisc_rows(
    path: Path,
    problems: list[ReadProblem] | None = None,
    strict: bool = True,
    line_numbers: list[int] | None = None,
) -> list[Wfdisc] | None:
    """The good wfdisc rows of ``path`` (standard or IDC wide-id layout), or None if the
    file is no wfdisc table at all; bad rows are reported in ``problems``.

    With ``strict`` (guessing the format) a file counts as a wfdisc table only when at
    least half of its rows are good, so that a text file of another kind is not read as
    a table of damaged rows.
    """
    found: list[ReadProblem] = []
    try:
        if path.stat().st_size > 64 << 20:
            return None
        rows = read_flat(path, "wfdisc", problems=found, line_numbers=line_numbers)
    except (TableError, OSError, UnicodeDecodeError):
        return None
    if not rows or (strict and len(found) > len(rows)):
        return None
    if problems is not None:
        problems += found
    return rows  # type: ignore[return-value]


def _looks_like_wfdisc(path: Path) -> bool:
    """True when the file parses as a CSS3.0 wfdisc table."""
    return _wfdisc_rows(path) is not None


#: Largest wfdisc span accepted, in seconds (a year: IMS files hold hours or days).
_MAX_WFDISC_SPAN = 366 * 86400.0


def check_foff_layout(
    dfile: str, ranges: list[tuple[int, int, str, str]]
) -> list[tuple[str, str, str]]:
    """Cheap consistency checks of the rows read from one data file; CSS3.0 has no
    checksum, so a garbled ``foff`` that still points inside the file reads other samples.

    ``ranges`` are ``(foff, end, record, seed_id)``; returns ``(message, record, seed_id)``
    for rows whose bytes overlap another row's, and for a row whose ``foff`` is not where
    a contiguous layout puts it while all the other rows are contiguous.
    """
    out: list[tuple[str, str, str]] = []
    rs = sorted(ranges)
    for a, b in zip(rs, rs[1:], strict=False):
        if b[0] < a[1]:
            msg = (
                f"bytes {b[0]}-{min(a[1], b[1])} of {dfile} are also read by {a[2]}: damaged foff?"
            )
            out.append((msg, b[2], b[3]))
    breaks = [k for k in range(1, len(rs)) if rs[k][0] != rs[k - 1][1]]
    if out or len(rs) < 3 or not breaks or len(breaks) > 2:
        return out
    for k in sorted({j for b in breaks for j in (b - 1, b)}):
        r, others = rs[k], rs[:k] + rs[k + 1 :]
        holes = [(others[j - 1][1], others[j][0]) for j in range(1, len(others))
                 if others[j][0] != others[j - 1][1]]  # fmt: skip
        n = r[1] - r[0]
        if not holes:  # the row belongs before or after the others
            due = [others[0][0] - n, others[-1][1]] if others[0][0] >= n else [others[-1][1]]
        elif len(holes) == 1 and holes[0][1] - holes[0][0] == n:
            due = [holes[0][0]]
        else:
            continue
        if r[0] not in due:
            msg = (f"foff {r[0]} is not where the other rows' contiguous layout of {dfile} "
                   f"puts this row ({' or '.join(map(str, due))}): damaged foff?")  # fmt: skip
            out.append((msg, r[2], r[3]))
    return out


def _wfdisc_trace(w: Wfdisc, data_path: Path, headonly: bool) -> Trace:
    """The trace of one wfdisc row; raises ``ValueError`` with the reason when unusable.

    The sample count, offset and data type are checked against the data file's size
    before anything is read, so that a garbled count cannot ask for a huge allocation.
    """
    dtype = np.dtype(_CSS_DTYPES[w.datatype])
    if not (math.isfinite(w.samprate) and RATE_RANGE[0] <= w.samprate <= RATE_RANGE[1]):
        raise ValueError(f"sampling rate {w.samprate} out of range")
    if w.nsamp < 0 or w.foff < 0:
        raise ValueError(f"negative nsamp {w.nsamp} or foff {w.foff}")
    if not math.isfinite(w.calib):
        raise ValueError(f"calib {w.calib} is not finite")
    if w.nsamp / w.samprate > _MAX_WFDISC_SPAN:
        raise ValueError(f"{w.nsamp} samples at {w.samprate} Hz span more than a year")
    try:
        start = UTCDateTime(w.time)
        if not YEAR_RANGE[0] <= start.year <= YEAR_RANGE[1]:
            raise ValueError(f"time {w.time} is in year {start.year}")
        check_start(start)
    except (OverflowError, TypeError) as exc:
        raise ValueError(f"time {w.time} is not a valid epoch: {exc}") from None
    need = w.foff + w.nsamp * dtype.itemsize
    size = data_path.stat().st_size
    if need > size:
        raise ValueError(f"{w.dfile} holds {size} bytes, row needs {need} (foff {w.foff})")
    tr = Trace()
    tr.stats.station, tr.stats.channel = w.sta, w.chan
    tr.stats.starttime = start
    tr.stats.sampling_rate = w.samprate
    if w.calib != 0.0:  # 0: no calibration; the samples stay in counts (calib 1)
        tr.stats.calib = w.calib
    tr.stats._format = "CSS"
    if headonly:
        tr.stats.npts = w.nsamp
        return tr
    data = np.fromfile(data_path, dtype=dtype, count=w.nsamp, offset=w.foff)
    if data.size != w.nsamp:
        raise ValueError(f"{w.dfile} holds {data.size} of {w.nsamp} samples at offset {w.foff}")
    tr.data = data.astype(data.dtype.newbyteorder("="))
    return tr


def read_wfdisc(path: PathLike, *, headonly: bool = False) -> tuple[Stream, list[ReadProblem]]:
    """Read the waveforms indexed by a CSS3.0 wfdisc table (standard or IDC layout).

    Rows are read one by one: a bad row (unparsable field, absurd count or rate, data file
    too short) is reported with its line number and skipped, and the other rows are kept.
    ``dfile`` is looked up under ``dir`` relative to the table, then next to the table.
    Rows whose data file is missing are reported, grouped by data file.
    """
    path = Path(path)
    name = str(path)
    problems: list[ReadProblem] = []
    line_of: list[int] = []
    rows = _wfdisc_rows(path, problems, strict=False, line_numbers=line_of)
    if rows is None:
        return Stream(), [ReadProblem(name, "not a wfdisc table")]
    st = Stream()
    missing: dict[str, int] = {}
    #: data file -> (foff, end, record, seed id) of the rows read from it
    layout: dict[Path, list[tuple[int, int, str, str]]] = {}
    for i, w in enumerate(rows):
        rec, sid = f"line {line_of[i]}" if i < len(line_of) else "", f".{w.sta}..{w.chan}"
        if w.datatype not in _CSS_DTYPES:
            problems.append(ReadProblem(name, f"unsupported datatype {w.datatype!r}", rec, sid))
            continue
        candidates = [path.parent / w.dir / w.dfile, path.parent / w.dfile]
        try:
            data_path = next((c for c in candidates if c.is_file()), None)
        except (OSError, ValueError):  # e.g. a NUL byte or an overlong name
            data_path = None
        if data_path is None:
            missing[w.dfile] = missing.get(w.dfile, 0) + 1
            continue
        try:
            st.append(_wfdisc_trace(w, data_path, headonly))
        except (OSError, ValueError, OverflowError, MemoryError) as exc:
            problems.append(ReadProblem(name, f"row skipped: {exc}", rec, sid))
            continue
        if w.calib == 0.0:
            msg = "calib 0: no calibration, samples kept in counts (calib 1)"
            problems.append(ReadProblem(name, msg, rec, sid, "warning"))
        size = np.dtype(_CSS_DTYPES[w.datatype]).itemsize
        layout.setdefault(data_path, []).append((w.foff, w.foff + w.nsamp * size, rec, sid))
        if w.foff % size:
            msg = f"foff {w.foff} is not a multiple of the {size}-byte sample size: damaged?"
            problems.append(ReadProblem(name, msg, rec, sid, "warning"))
        due = w.time + (w.nsamp - 1) / w.samprate
        if w.endtime != NA_ENDTIME and abs(w.endtime - due) > 1.5 / w.samprate:
            msg = (
                f"endtime {w.endtime} disagrees with time + (nsamp-1)/samprate = {due:.5f}: "
                "a damaged time, nsamp or samprate (samples kept as nsamp says)"
            )
            problems.append(ReadProblem(name, msg, rec, sid, "warning"))
    for dfile, n in missing.items():
        problems.append(ReadProblem(name, f"data file {dfile} not found: {n} rows skipped"))
    # A row lost to damage leaves a hole in the layout: the layout is then no evidence.
    rows_lost = any(p.severity == "error" and p.record for p in problems)
    for data_path, ranges in layout.items() if not rows_lost else ():
        problems += [ReadProblem(name, msg, rec, sid, "warning")
                     for msg, rec, sid in check_foff_layout(data_path.name, ranges)]  # fmt: skip
    return st, problems


# --- joining ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gap:
    """Missing data in one channel: ``start`` is when the first missing sample was due,
    ``end`` is the first sample after the gap, ``samples`` how many are missing."""

    seed_id: str
    start: UTCDateTime
    end: UTCDateTime
    samples: int

    def __str__(self) -> str:
        return f"{self.seed_id}: gap {self.start} - {self.end} ({self.samples} samples)"


def _tail(pieces: list[np.ndarray], n: int) -> np.ndarray:
    """The last ``n`` samples of the concatenation of ``pieces`` (copying only those)."""
    out: list[np.ndarray] = []
    need = n
    for piece in reversed(pieces):
        if need <= 0:
            break
        out.append(piece[-need:] if piece.size > need else piece)
        need -= min(need, piece.size)
    return np.concatenate(out[::-1]) if out else np.zeros(0)


def _disagree(a: np.ndarray, b: np.ndarray) -> int:
    """Number of overlapping samples that differ (floats compared with a tolerance)."""
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        return int(np.count_nonzero(~np.isclose(a, b, rtol=1e-6, atol=0.0)))
    return int(np.count_nonzero(a != b))


def _joined(first: Trace, parts: list[np.ndarray]) -> Trace:
    """A trace with ``first``'s header and the concatenated samples ``parts``."""
    joined = Trace(data=np.concatenate(parts) if len(parts) > 1 else parts[0])
    joined.stats = first.stats.copy()
    joined.stats.npts = joined.data.size
    return joined


def join_traces(
    stream: Stream | Iterable[Trace],
    sources: dict[int, str] | None = None,
) -> tuple[Stream, list[ReadProblem]]:
    """Join traces of the same channel and sampling rate into continuous traces.

    Traces that touch or overlap on the same sample grid are joined; overlapping samples
    are taken once (the earlier trace's). Overlaps whose samples disagree and gaps are
    reported as warnings with their start and end; a gap or a trace off the sample grid
    starts a new trace. ``sources`` maps ``id(trace)`` to the file it came from, to name
    it in the problems.
    """
    sources = sources or {}
    groups: dict[tuple[str, float], list[Trace]] = {}
    for tr in stream:
        groups.setdefault((tr.id, float(tr.stats.sampling_rate)), []).append(tr)
    out = Stream()
    problems: list[ReadProblem] = []
    for (sid, sr), traces in sorted(groups.items()):
        traces.sort(key=lambda t: (t.stats.starttime, -t.stats.npts))
        head = traces[0]
        pieces, length = [head.data], head.stats.npts

        for tr in traces[1:]:
            file = sources.get(id(tr), "")
            offset = (tr.stats.starttime - head.stats.starttime) * sr
            k = round(offset)
            t_end = head.stats.starttime + (length - 1) / sr
            if k > length:
                gap = f"gap from {t_end + 1 / sr} to {tr.stats.starttime} ({k - length} samples)"
                problems.append(ReadProblem(file, gap, "", sid, "warning"))
            elif abs(offset - k) > GRID_TOLERANCE:
                msg = f"{tr.stats.starttime} is off the sample grid of the previous trace"
                problems.append(ReadProblem(file, msg, "", sid, "warning"))
            else:
                n_ov = min(length - k, tr.stats.npts)
                if n_ov > 0:
                    old = _tail(pieces, length - k)[:n_ov]
                    bad = _disagree(old, tr.data[:n_ov])
                    if bad:
                        t1 = tr.stats.starttime + (n_ov - 1) / sr
                        msg = (
                            f"overlap {tr.stats.starttime} - {t1} ({n_ov} samples) disagrees "
                            f"in {bad} samples; earlier data kept"
                        )
                        problems.append(ReadProblem(file, msg, "", sid, "warning"))
                if tr.stats.npts > n_ov:
                    pieces.append(tr.data[n_ov:])
                    length += tr.stats.npts - n_ov
                continue
            out.append(_joined(head, pieces))
            head, pieces, length = tr, [tr.data], tr.stats.npts
        out.append(_joined(head, pieces))
    return out, problems


def find_gaps(stream: Stream | Iterable[Trace]) -> list[Gap]:
    """List the gaps between consecutive traces of each channel (after joining).

    Overlaps are not gaps and are not listed.
    """
    by_id: dict[str, list[Trace]] = {}
    for tr in stream:
        by_id.setdefault(tr.id, []).append(tr)
    gaps: list[Gap] = []
    for sid, traces in sorted(by_id.items()):
        traces.sort(key=lambda t: t.stats.starttime)
        for prev, nxt in zip(traces, traces[1:], strict=False):
            due = prev.stats.endtime + prev.stats.delta
            missing = round((nxt.stats.starttime - due) * prev.stats.sampling_rate)
            if missing > 0:
                gaps.append(Gap(sid, due, nxt.stats.starttime, missing))
    return gaps


def read_waveforms(
    paths: PathLike | Iterable[PathLike],
    *,
    starttime: UTCDateTime | None = None,
    endtime: UTCDateTime | None = None,
    merge: bool = True,
) -> tuple[Stream, list[ReadProblem]]:
    """Read waveform files and directories into one Stream, with every problem listed.

    Directories are walked; files found by walking that no reader recognises are skipped
    and counted in one warning per call, while such files named explicitly are errors.
    With ``merge`` (default) traces are joined per channel by :func:`join_traces`, then
    trimmed to the window.
    """
    paths = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    explicit = {Path(p) for p in paths}
    stream = Stream()
    problems: list[ReadProblem] = []
    sources: dict[int, str] = {}
    unknown: list[str] = []
    for path in iter_waveform_files(paths):
        try:
            st, probs = _read_file(path, starttime, endtime, False)
        except _UnknownFormat as exc:
            if path in explicit:
                problems.append(ReadProblem(str(path), str(exc)))
            else:
                unknown.append(str(path))
            continue
        problems += probs
        for tr in st:
            sources[id(tr)] = str(path)
        stream += st
    if unknown:
        common = os.path.commonpath(unknown) if len(unknown) > 1 else str(Path(unknown[0]).parent)
        shown = ", ".join(os.path.relpath(u, common) for u in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        msg = f"skipped {len(unknown)} files of unknown format: {shown}{more}"
        problems.append(ReadProblem(common, msg, severity="warning"))
    if merge:
        stream, joined = join_traces(stream, sources)
        problems += joined
        if starttime is not None or endtime is not None:
            stream.trim(starttime, endtime)
    stream.sort()
    return stream, problems
