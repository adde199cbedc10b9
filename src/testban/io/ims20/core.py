"""Reader for IMS2.0 / GSE2.x waveform data messages (``WID2 STA2 DAT2 CHK2`` blocks).

The message is scanned by *line starts* only: a block begins at a line starting with
``WID2`` followed by a space, its payload runs from the ``DAT2`` line to the line matching
``CHK2 <integer>``. Text that merely contains ``WID2`` inside a data line is data. Every
block is checked (sample count against WID2, checksum against CHK2); a block that fails is
reported as a :class:`~testban.io.problems.ReadProblem` and skipped, and reading goes on
with the next block. Nothing here calls ObsPy's C decoder, which can crash the process on
damaged payloads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

import numpy as np
from obspy import Stream, Trace, UTCDateTime
from obspy.core.util import AttribDict

from testban.io.ims20.cm6 import CM6Error
from testban.io.ims20.cm6 import decode as cm6_decode
from testban.io.problems import ReadProblem

__all__ = [
    "CHECKSUM_MODULUS",
    "StationInfo",
    "WaveformHeader",
    "checksum",
    "checksum_matches",
    "is_ims20",
    "parse_ims20",
    "parse_sta2",
    "parse_wid2",
    "read_ims20",
    "scan_ims20_headers",
]

CHECKSUM_MODULUS = 100_000_000

#: (seed id, first sample time, last sample time) of one block, as its header announces.
Span = tuple[str, UTCDateTime, UTCDateTime]

#: Line starts that matter to the scanner, matched after their preceding newline (a
#: literal first character lets the regex engine skip ahead fast; the scanner prepends a
#: newline so that ``match.start()`` is the line's offset in the message). Group names
#: tell which one matched.
_KEYS = re.compile(
    rb"\n(?:(?P<wid>WID2 )|(?P<dat>DAT2)|(?P<chk>CHK2[ \t]+(?P<sum>-?\d+))"
    rb"|(?P<sec>(?:DATA_TYPE|STOP|BEGIN)(?=[ \t\r\n]|$)))",
    re.MULTILINE,
)
_STA2 = re.compile(rb"^STA2 [^\r\n]*", re.MULTILINE)
_DATA_TYPE = re.compile(rb"^DATA_TYPE[ \t]+(\S+)", re.MULTILINE)
_BAD_CM6 = re.compile(rb"[^+\-0-9A-Za-z \t\r\n]")
_EOL = re.compile(rb"\r?\n|$")


@dataclass(frozen=True, slots=True)
class WaveformHeader:
    """The fields of one ``WID2`` line (GSE2.1 Table 6 column layout).

    The channel code is upper-cased (CMAR writes ``lz`` for ``LZ``), as SEED ids and
    ObsPy's GSE2 reader have it.
    """

    starttime: UTCDateTime
    station: str
    channel: str
    auxid: str
    datatype: str
    nsamp: int
    sampling_rate: float
    calib: float
    calper: float
    instype: str
    hang: float
    vang: float

    @property
    def endtime(self) -> UTCDateTime:
        """Time of the last sample."""
        return self.starttime + max(self.nsamp - 1, 0) / self.sampling_rate


@dataclass(frozen=True, slots=True)
class StationInfo:
    """The fields of one ``STA2`` line; ``network`` is the IMS network or array code."""

    network: str = ""
    lat: float | None = None
    lon: float | None = None
    coordsys: str = ""
    elev: float | None = None
    edepth: float | None = None


@overload
def _float(text: str, default: float) -> float: ...
@overload
def _float(text: str, default: None = None) -> float | None: ...
def _float(text: str, default: float | None = None) -> float | None:
    """Parse a float field, ``default`` when blank or malformed."""
    try:
        value = float(text)
    except ValueError:
        return default
    return value if math.isfinite(value) else default


#: Plausible header values; anything outside is a damaged field, not a recording. Years:
#: instrumental seismology began about 1890, and a year past 2200 is a garbled digit.
#: Rates: the slowest IMS channels sample at 0.1 Hz, the fastest hydroacoustic ones at
#: 250 Hz; four decades either side still admits every real instrument. Samples: WID2's
#: count column has 8 digits, and 10^9 samples (about 4 GB of int32) is no longer a block.
YEAR_RANGE = (1890, 2200)
RATE_RANGE = (1.0e-5, 1.0e6)
MAX_SAMPLES = 1_000_000_000
#: Data cannot come from the future: a start later than now plus this (seconds; a day for
#: clocks and time zones set wrong) is a garbled date. Without it a block dated 2199 would
#: stretch an archive's time span, and a run over it, by two centuries.
FUTURE_SLACK_S = 86400.0


def check_start(start: UTCDateTime, now: UTCDateTime | None = None) -> None:
    """Raise ``ValueError`` when a waveform ``start`` lies after ``now`` + a day."""
    latest = (now if now is not None else UTCDateTime()) + FUTURE_SLACK_S
    if start > latest:
        raise ValueError(f"start {start} is in the future (after {latest})")


def parse_wid2(line: str) -> WaveformHeader:
    """Parse a ``WID2`` line; raises ``ValueError`` with the reason when it is unusable.

    Fixed columns are used (station and instrument fields may be blank); when the line
    does not follow the column layout, whitespace-separated fields are tried instead.
    Values outside :data:`YEAR_RANGE`, :data:`RATE_RANGE` or above :data:`MAX_SAMPLES`
    are refused, so that a garbled number can neither overflow a date nor ask for an
    absurd allocation.
    """
    line = line.rstrip("\r\n")
    if not line.startswith("WID2"):
        raise ValueError("not a WID2 line")
    try:
        return _wid2_fixed(line)
    except (ValueError, IndexError, OverflowError) as fixed_error:
        try:
            return _wid2_split(line)
        except (ValueError, IndexError, OverflowError) as split_error:
            why = str(fixed_error)
            if str(split_error) != why:
                why = f"by columns: {why}; by fields: {split_error}"
            raise ValueError(f"malformed WID2 line: {why}") from None


def _start(date: str, time: str) -> UTCDateTime:
    """Build the start time from ``yyyy/mm/dd`` and ``hh:mm:ss.sss``."""
    y, mo, d = (int(v) for v in date.strip().split("/"))
    hh, mm, ss = time.strip().split(":")
    if not YEAR_RANGE[0] <= y <= YEAR_RANGE[1]:
        raise ValueError(f"year {y} outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]}")
    sec = float(ss)
    if not 0.0 <= sec < 61.0:  # also refuses nan and inf
        raise ValueError(f"seconds {ss.strip()!r} outside 0-60")
    try:
        start = UTCDateTime(y, mo, d, int(hh), int(mm)) + sec
    except (OverflowError, TypeError) as exc:  # ObsPy/datetime refuse a field
        raise ValueError(f"bad date {date.strip()} {time.strip()}: {exc}") from None
    check_start(start)
    return start


def _checked(hdr: WaveformHeader) -> WaveformHeader:
    """Reject headers that cannot describe a trace."""
    if hdr.nsamp < 0:
        raise ValueError(f"negative sample count {hdr.nsamp}")
    if hdr.nsamp > MAX_SAMPLES:
        raise ValueError(f"sample count {hdr.nsamp} above {MAX_SAMPLES}")
    if not RATE_RANGE[0] <= hdr.sampling_rate <= RATE_RANGE[1]:
        raise ValueError(
            f"sampling rate {hdr.sampling_rate} outside {RATE_RANGE[0]:g}-{RATE_RANGE[1]:g} Hz"
        )
    if not hdr.station:
        raise ValueError("blank station code")
    return hdr


def _wid2_fixed(line: str) -> WaveformHeader:
    """WID2 by the GSE2.1 column table (1-based columns in the comments)."""
    return _checked(
        WaveformHeader(
            starttime=_start(line[5:15], line[16:28]),  # 6-15, 17-28
            station=line[29:34].strip(),  # 30-34
            channel=line[35:38].strip().upper(),  # 36-38
            auxid=line[39:43].strip(),  # 40-43
            datatype=line[44:47].strip().upper(),  # 45-47
            nsamp=int(line[48:56]),  # 49-56
            sampling_rate=float(line[57:68]),  # 58-68
            calib=_float(line[69:79], 1.0) or 1.0,  # 70-79
            calper=_float(line[80:87], 1.0) or 1.0,  # 81-87
            instype=line[88:94].strip(),  # 89-94
            hang=_float(line[95:100], -1.0),  # 96-100
            vang=_float(line[101:105], -1.0),  # 102-105
        )
    )


def _wid2_split(line: str) -> WaveformHeader:
    """WID2 by whitespace fields, for writers that ignore the columns (no blank fields)."""
    f = line.split()
    if len(f) < 9:
        raise ValueError("too few fields")
    # WID2 date time sta chan [auxid] datatype nsamp rate [calib calper instype hang vang]
    aux = f[5] if not f[6].lstrip("-").isdigit() else ""
    k = 6 if aux else 5
    rest = f[k + 3 :]
    return _checked(
        WaveformHeader(
            starttime=_start(f[1], f[2]),
            station=f[3],
            channel=f[4].upper(),
            auxid=aux,
            datatype=f[k].upper(),
            nsamp=int(f[k + 1]),
            sampling_rate=float(f[k + 2]),
            calib=_float(rest[0], 1.0) if len(rest) > 0 else 1.0,
            calper=_float(rest[1], 1.0) if len(rest) > 1 else 1.0,
            instype=rest[2] if len(rest) > 2 else "",
            hang=_float(rest[3], -1.0) if len(rest) > 3 else -1.0,
            vang=_float(rest[4], -1.0) if len(rest) > 4 else -1.0,
        )
    )


def parse_sta2(line: str) -> StationInfo:
    """Parse a ``STA2`` line (network, lat, lon, coordsys, elev, edepth); never raises.

    Fields that cannot be parsed are left as ``None``/empty: station coordinates are a
    convenience here, the samples do not depend on them.
    """
    f = line.rstrip("\r\n").split()[1:]
    net = f[0] if f else ""
    nums: list[float | None] = []
    sys_ = ""
    for tok in f[1:]:
        value = _float(tok)
        if value is None and not sys_:
            sys_ = tok
        else:
            nums.append(value)
    nums += [None] * (4 - len(nums))
    return StationInfo(net, nums[0], nums[1], sys_, nums[2], nums[3])


def checksum(data: np.ndarray) -> int:
    """GSE2 checksum of integer samples, as the non-negative ``sum mod 100000000``.

    Writers keep a running C-style remainder and print its absolute value, so a correct
    CHK2 value is either this number or ``100000000`` minus it (see
    :func:`checksum_matches`).
    """
    total = int(np.asarray(data, dtype=np.int64).sum(dtype=np.int64))
    return total % CHECKSUM_MODULUS


def checksum_matches(data: np.ndarray, written: int) -> bool:
    """True when ``written`` is a valid CHK2 value for ``data`` (either sign convention)."""
    r = checksum(data)
    return abs(written) in (r, (CHECKSUM_MODULUS - r) % CHECKSUM_MODULUS)


@dataclass(slots=True)
class _Block:
    """Where one waveform block lies in the raw message."""

    line: int  # 1-based line number of the WID2 line
    wid2: str
    sta2: str = ""
    payload: bytes | None = None  # None when no DAT2 line was found
    payload_line: int = 0  # 1-based line number of the first payload line
    chk2: int | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)  # (severity, message)
    fatal: str = ""  # reason the block cannot be decoded at all


def _line_text(raw: bytes, start: int) -> tuple[str, int]:
    """Text of the line starting at ``start`` and the offset just after its newline."""
    m = _EOL.search(raw, start)
    assert m is not None  # `$` always matches
    return raw[start : m.start()].decode("ascii", "replace"), m.end()


def _scan(raw: bytes) -> list[_Block]:
    """Split a message into waveform blocks by line starts (nothing is decoded here)."""
    keys = list(_KEYS.finditer(b"\n" + raw))
    blocks: list[_Block] = []
    line_no, line_pos = 1, 0
    section_is_waveform = True
    i = 0
    while i < len(keys):
        m = keys[i]
        if m.group("sec"):
            if m.group("sec").startswith(b"DATA_TYPE"):
                dt = _DATA_TYPE.match(raw, m.start())
                section_is_waveform = dt is not None and dt.group(1).upper() == b"WAVEFORM"
            elif m.group("sec") in (b"STOP", b"BEGIN"):
                section_is_waveform = True  # a bare GSE2 body may follow
            i += 1
            continue
        if not m.group("wid"):
            i += 1  # DAT2/CHK2 outside a block: not ours to judge
            continue
        # The block runs until the next WID2 or section line.
        j = i + 1
        while j < len(keys) and not (keys[j].group("wid") or keys[j].group("sec")):
            j += 1
        end = keys[j].start() if j < len(keys) else len(raw)
        line_no += raw.count(b"\n", line_pos, m.start())
        line_pos = m.start()
        if section_is_waveform:
            blocks.append(_block(raw, m.start(), end, keys[i + 1 : j], line_no))
        i = j
    return blocks


def _block(raw: bytes, start: int, end: int, inner: list[re.Match[bytes]], line: int) -> _Block:
    """Cut one block (WID2 line at ``start``, next block at ``end``) into its parts."""
    wid2, after = _line_text(raw, start)
    while wid2.endswith("\\"):  # GSE continuation of a long line
        more, after = _line_text(raw, after)
        wid2 = wid2[:-1] + more
    blk = _Block(line=line, wid2=wid2)
    sta = _STA2.search(raw, after, end)
    dat = next((k for k in inner if k.group("dat")), None)
    if sta and (dat is None or sta.start() < dat.start()):
        blk.sta2 = sta.group(0).decode("ascii", "replace")
    if dat is None:
        blk.fatal = "no DAT2 line in block"
        return blk
    _, body = _line_text(raw, dat.start())
    lost = sum(1 for k in inner if k.group("dat") and _line_text(raw, k.start())[0] == "DAT2") - 1
    if lost:
        # A further bare DAT2 line means a following block lost its WID2 line.
        msg = f"{lost} more DAT2 line(s) inside this block: a following block header is damaged"
        blk.notes.append(("error", msg))
    blk.payload_line = line + raw.count(b"\n", start, body)
    chk = next((k for k in inner if k.group("chk") and k.start() >= body), None)
    if chk is None:
        blk.payload = raw[body:end]
        blk.fatal = "no CHK2 line after DAT2 (block truncated or damaged)"
        return blk
    blk.payload = raw[body : chk.start()]
    blk.chk2 = int(chk.group("sum"))
    _, tail = _line_text(raw, chk.start())
    if raw[tail:end].strip():
        extra = raw[tail:end].count(b"\n") or 1
        blk.notes.append(("warning", f"{extra} line(s) of unrecognised text after CHK2 ignored"))
    return blk


def _decode(hdr: WaveformHeader, payload: bytes, first_line: int) -> np.ndarray:
    """Decode a payload of the header's datatype; raises ``ValueError`` with the reason.

    ``first_line`` is the file line number of the payload's first line, used to say where
    a bad character sits.
    """
    if hdr.datatype == "CM6":
        try:
            return cm6_decode(payload)
        except CM6Error:
            bad = _BAD_CM6.search(payload)
            if bad is None:
                raise
            where = first_line + payload.count(b"\n", 0, bad.start())
            char = bad.group(0).decode("ascii", "backslashreplace")
            n_bad = len(_BAD_CM6.findall(payload))
            raise ValueError(
                f"invalid CM6 character {char!r} at line {where} ({n_bad} invalid characters)"
            ) from None
    if hdr.datatype == "INT":
        try:
            values = np.array(payload.split(), dtype=np.int64)
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"bad INT payload: {exc}") from None
        if values.size and (values.min() < -(2**31) or values.max() > 2**31 - 1):
            raise ValueError("INT samples exceed the int32 range")
        return values.astype(np.int32)
    raise ValueError(f"unsupported data type {hdr.datatype!r} (only CM6 and INT are read)")


def _seed_id(net: str, hdr: WaveformHeader) -> str:
    """NET.STA.LOC.CHA with an empty location, as the traces get it."""
    return f"{net}.{hdr.station}..{hdr.channel}"


def _trace(hdr: WaveformHeader, sta: StationInfo, data: np.ndarray) -> Trace:
    """Build a trace with ``stats.ims20`` holding what WID2/STA2 say besides the samples."""
    tr = Trace(data=data)
    st = tr.stats
    st.network = sta.network
    st.station = hdr.station
    st.location = ""
    st.channel = hdr.channel
    st.sampling_rate = hdr.sampling_rate
    st.starttime = hdr.starttime
    st.calib = hdr.calib
    st._format = "IMS2.0"
    st.ims20 = AttribDict(
        {
            "auxid": hdr.auxid,
            "datatype": hdr.datatype,
            "calib": hdr.calib,
            "calper": hdr.calper,
            "instype": hdr.instype,
            "hang": hdr.hang,
            "vang": hdr.vang,
            "lat": sta.lat,
            "lon": sta.lon,
            "elev": sta.elev,
            "edepth": sta.edepth,
            "coordsys": sta.coordsys,
        }
    )
    return tr


def parse_ims20(
    raw: bytes,
    name: str = "",
    *,
    starttime: UTCDateTime | None = None,
    endtime: UTCDateTime | None = None,
    keep: Callable[[str], bool] | None = None,
) -> tuple[Stream, list[ReadProblem]]:
    """Read all waveform blocks of an in-memory message; ``name`` labels the problems.

    Blocks lying wholly outside ``[starttime, endtime]``, and blocks whose seed id
    ``keep`` rejects, are skipped without decoding (the data are not trimmed here).
    """
    stream = Stream()
    problems: list[ReadProblem] = []
    for blk in _scan(raw):
        rec = f"line {blk.line}"
        try:
            hdr = parse_wid2(blk.wid2)
        except ValueError as exc:
            problems.append(ReadProblem(name, f"block skipped: {exc}", rec))
            continue
        sta = parse_sta2(blk.sta2) if blk.sta2 else StationInfo()
        sid = _seed_id(sta.network, hdr)
        for severity, msg in blk.notes:
            problems.append(ReadProblem(name, msg, rec, sid, severity))
        if (starttime is not None and hdr.endtime < starttime) or (
            endtime is not None and hdr.starttime > endtime
        ):
            continue
        if keep is not None and not keep(sid):
            continue
        if blk.fatal:
            problems.append(ReadProblem(name, f"block skipped: {blk.fatal}", rec, sid))
            continue
        assert blk.payload is not None
        try:
            data = _decode(hdr, blk.payload, blk.payload_line)
        except ValueError as exc:
            problems.append(ReadProblem(name, f"block skipped: {exc}", rec, sid))
            continue
        if data.size != hdr.nsamp:
            msg = f"block skipped: {data.size} samples decoded, WID2 says {hdr.nsamp}"
            problems.append(ReadProblem(name, msg, rec, sid))
            continue
        if blk.chk2 is not None and not checksum_matches(data, blk.chk2):
            msg = (
                f"block skipped: checksum {checksum(data)} of decoded samples does not match "
                f"CHK2 {blk.chk2}"
            )
            problems.append(ReadProblem(name, msg, rec, sid))
            continue
        stream.append(_trace(hdr, sta, data))
    return stream, problems


def read_ims20(
    path: str | Path,
    *,
    starttime: UTCDateTime | None = None,
    endtime: UTCDateTime | None = None,
    keep: Callable[[str], bool] | None = None,
) -> tuple[Stream, list[ReadProblem]]:
    """Read an IMS2.0/GSE2.x waveform message file; never raises on bad content.

    Returns one trace per valid block and one problem per skipped block (file, ``line N``
    of its WID2 line, seed id, reason). A file that cannot be opened gives one problem.
    ``starttime``/``endtime``/``keep`` skip blocks as in :func:`parse_ims20`.
    """
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return Stream(), [ReadProblem(name, f"cannot read file: {exc}")]
    return parse_ims20(raw, name, starttime=starttime, endtime=endtime, keep=keep)


def scan_ims20_headers(path: str | Path) -> tuple[list[Span], list[ReadProblem]]:
    """List (seed id, start, end) of every block from its WID2/STA2 lines, decoding nothing.

    Used to index archives cheaply; the spans are as announced, not verified.
    """
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return [], [ReadProblem(name, f"cannot read file: {exc}")]
    spans: list[Span] = []
    problems: list[ReadProblem] = []
    for blk in _scan(raw):
        try:
            hdr = parse_wid2(blk.wid2)
        except ValueError as exc:
            problems.append(ReadProblem(name, f"block skipped: {exc}", f"line {blk.line}"))
            continue
        net = parse_sta2(blk.sta2).network if blk.sta2 else ""
        spans.append((_seed_id(net, hdr), hdr.starttime, hdr.endtime))
    return spans, problems


_SNIFF_BYTES = 65536
_ENVELOPE = re.compile(rb"^BEGIN[ \t]+(?:IMS|GSE)", re.MULTILINE | re.IGNORECASE)
_WAVEFORM_SECTION = re.compile(rb"^DATA_TYPE[ \t]+WAVEFORM", re.MULTILINE | re.IGNORECASE)
_WID2_LINE = re.compile(rb"^WID2 ", re.MULTILINE)


def is_ims20(path: str | Path) -> bool:
    """Cheap sniff: does the file look like a GSE2.x/IMS2.0 waveform message?

    True when the first non-blank line starts with ``WID2 ``, or when the head of the file
    has a ``BEGIN IMS…``/``BEGIN GSE…`` envelope with a ``DATA_TYPE WAVEFORM`` section or a
    ``WID2`` line.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return False
    body = head.lstrip()
    if body.startswith(b"WID2 "):
        return True
    if not _ENVELOPE.search(head):
        return False
    return bool(_WAVEFORM_SECTION.search(head) or _WID2_LINE.search(head))
