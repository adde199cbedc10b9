"""IMS2.0 radionuclide messages (pulse-height data, "PHD"): read and written.

An IMS2.0 message holds one or more data sections; a section whose ``DATA_TYPE`` is
``SAMPLEPHD``, ``BLANKPHD``, ``CALIBPHD``, ``QCPHD`` or ``DETBKPHD`` is one gamma spectrum,
laid out in blocks that each begin with a line starting ``#``:

``#Header``
    ``station detector system_type sample_geometry spectral_qualifier`` /
    ``sample_reference_id`` / ``measurement_id detector_bk_id gas_bk_id`` /
    ``transmit_date transmit_time``
``#Comment``
    free text up to the next block
``#Collection``
    ``collect_start_date time collect_stop_date time air_volume_m3``
``#Acquisition``
    ``acquisition_start_date time real_time_s live_time_s``
``#Sample``
    ``dimension1_mm dimension2_mm``
``#Calibration``
    ``date time`` of the last calibration
``#g_Energy`` / ``#g_Resolution`` / ``#g_Efficiency``
    one point a line: ``keV channel σ_channel`` / ``keV FWHM_keV σ_keV`` /
    ``keV efficiency σ``
``#g_Spectrum``
    ``n_channels energy_span_keV``, then lines ``first_channel count count …``

Dates are ``yyyy/mm/dd hh:mm:ss.s`` (UTC). No copy of the IDC's *Formats and Protocols for
Messages* (IMS2.0) is in the project's shared data, so this layout is written from
knowledge of the format (IMS2.0 Rev. 3 particulate messages); other blocks (``#b_*``,
``#Processing``, ``#Certificate`` …) are skipped. Channels: the writer numbers them from 1;
the reader takes the first data line's number as the file's first channel and converts
the ``#g_Energy`` centroid channels into :class:`~testban.io.spectra.model.EnergyCalibration`'s
continuous channel coordinate (channel ``i`` spans ``[i, i+1)``: a centroid on channel
``c`` is at ``c - first + 0.5``).

Damage discipline as in :mod:`testban.io.ims20.core`: a block that cannot be read is
reported as a :class:`~testban.io.problems.ReadProblem` naming its line and left out (the
spectrum keeps the other blocks); a ``#g_Spectrum`` that is truncated, garbled or disagrees
with its channel count drops that spectrum (error); other sections are read on.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from testban.io.problems import ReadProblem
from testban.io.spectra.model import EnergyCalibration, Spectrum

__all__ = ["PHD_TYPES", "format_phd", "is_phd", "parse_phd", "read_phd", "write_phd"]

PHD_TYPES = ("SAMPLEPHD", "BLANKPHD", "CALIBPHD", "QCPHD", "DETBKPHD")

#: A spectrum of more channels than this is a garbled count (HPGe MCAs have at most 64k).
MAX_CHANNELS = 1 << 20
#: Plausible years of a radionuclide measurement (a garbled digit gives 9999 or 0001).
YEAR_RANGE = (1940, 2200)
#: Counts per line the writer puts after the channel number (as the IDC's messages do).
PER_LINE = 5

_DATA_TYPE = re.compile(r"^DATA_TYPE[ \t]+(\S+)", re.MULTILINE)
_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{1,2}):(\d{1,2}(?:\.\d*)?)$")


class _Bad(ValueError):
    """A block that cannot be read; ``line`` is its 1-based line in the file."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


@dataclass
class _Section:
    data_type: str
    line: int  # 1-based line of DATA_TYPE
    blocks: list[tuple[str, int, list[str]]] = field(default_factory=list)  # name, line, body


def is_phd(head: bytes) -> bool:
    """Does ``head`` (the first bytes of a file) look like an IMS2.0 PHD message?"""
    text = head.decode("latin-1")
    m = _DATA_TYPE.search(text)
    return bool(m and m.group(1).upper() in PHD_TYPES) or text.lstrip().startswith("#Header")


#: Block names of IMS2.0 radionuclide messages (read or knowingly skipped); any other
#: ``#`` line is reported, as it is most likely a damaged block name.
KNOWN_BLOCKS = frozenset(
    name.lower()
    for name in (
        "Header", "Comment", "Collection", "Acquisition", "Sample", "Calibration", "Processing",
        "g_Energy", "g_Resolution", "g_Efficiency", "g_TotalEff", "g_Spectrum", "b_Energy",
        "b_Resolution", "b_Efficiency", "b_gEfficiency", "b-gEfficiency", "b_Spectrum",
        "Histogram", "Certificate", "ROI_Limits", "Ratios", "Spectrum",
    )
)  # fmt: skip


def _sections(lines: Sequence[str], source: str, problems: list[ReadProblem]) -> list[_Section]:
    """Cut the message into PHD sections and their ``#`` blocks (other data skipped)."""
    out: list[_Section] = []
    cur: _Section | None = None
    last_type: str | None = None  # the latest DATA_TYPE seen (None: a bare PHD file)
    for i, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        head = line.split(None, 1)
        word = head[0].upper() if head else ""
        if word == "DATA_TYPE":
            last_type = head[1].split()[0].upper() if len(head) > 1 else ""
            cur = _Section(last_type, i) if last_type in PHD_TYPES else None
            if cur is not None:
                out.append(cur)
            continue
        if word in ("STOP", "BEGIN"):
            cur, last_type = None, "" if word == "STOP" else last_type
            continue
        if line.startswith("#"):
            name = line[1:].split()[0] if line[1:].split() else ""
            if cur is None:
                if last_type:  # PHD blocks under another (damaged?) data type
                    problems.append(
                        ReadProblem(source, f"#{name} block under DATA_TYPE {last_type}: "
                                    "read as PHD", f"line {i}", severity="warning")
                    )  # fmt: skip
                cur = _Section("", i)
                out.append(cur)
            elif any(b[0].lower() == name.lower() for b in cur.blocks) and name.lower() in (
                "header",
                "g_spectrum",
            ):  # a second #Header/#g_Spectrum: the DATA_TYPE line before it is damaged
                problems.append(
                    ReadProblem(source, f"#{name} again without a DATA_TYPE line before it: "
                                "read as a new section", f"line {i}", severity="warning")
                )  # fmt: skip
                cur = _Section("", i)
                out.append(cur)
            if name.lower() not in KNOWN_BLOCKS:
                problems.append(
                    ReadProblem(source, f"unknown block #{name[:20]} skipped", f"line {i}",
                                severity="warning")
                )  # fmt: skip
            cur.blocks.append((name, i, []))
            continue
        if cur is not None and cur.blocks:
            cur.blocks[-1][2].append(line)
    return out


def _floats(text: str, n: int, line: int, what: str) -> list[float]:
    parts = text.split()
    if len(parts) < n:
        raise _Bad(f"{what}: {len(parts)} fields, {n} expected", line)
    try:
        values = [float(p) for p in parts[:n]]
    except ValueError:
        raise _Bad(f"{what}: not a number in {text.strip()!r}", line) from None
    if not all(math.isfinite(v) for v in values):
        raise _Bad(f"{what}: value not finite in {text.strip()!r}", line)
    return values


def _epoch(date: str, time: str, line: int) -> float:
    d, t = _DATE.match(date), _TIME.match(time)
    if not d or not t:
        raise _Bad(f"bad date/time {date} {time}", line)
    y, mo, dd = (int(v) for v in d.groups())
    if not YEAR_RANGE[0] <= y <= YEAR_RANGE[1]:
        raise _Bad(f"year {y} outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]}", line)
    sec = float(t.group(3))
    if sec >= 61.0:
        raise _Bad(f"seconds {t.group(3)} outside 0-60", line)
    try:
        base = datetime(y, mo, dd, int(t.group(1)), int(t.group(2)), tzinfo=UTC)
    except ValueError as exc:
        raise _Bad(f"bad date/time {date} {time}: {exc}", line) from None
    return base.timestamp() + sec


def _body(body: list[str], line: int, n: int, what: str) -> list[str]:
    rows = [b for b in body if b.strip()]
    if len(rows) < n:
        raise _Bad(f"{what}: {len(rows)} lines, {n} expected", line)
    return rows


def _points(body: list[str], line: int, what: str) -> list[tuple[float, float, float]]:
    pts = []
    for k, text in enumerate(body, 1):
        if not text.strip():
            continue
        parts = text.split()
        vals = _floats(text, min(3, max(2, len(parts))), line + k, what)
        pts.append((vals[0], vals[1], vals[2] if len(vals) > 2 else 0.0))
    if not pts:
        raise _Bad(f"{what}: no points", line)
    return pts


#: Largest count a channel may hold (float64 integers are exact below 2**53).
MAX_COUNT = 2.0**53


def _spectrum_counts(body: list[str], line: int) -> tuple[np.ndarray, int, int]:
    """The counts of ``#g_Spectrum``, the file's first channel number and the line of the
    first text after the last channel (0 when none: such text is left out)."""
    rows = [(line + k, t) for k, t in enumerate(body, 1) if t.strip()]
    if not rows:
        raise _Bad("#g_Spectrum: empty", line)
    n_line, first_row = rows[0]
    nchan_f = _floats(first_row, 1, n_line, "#g_Spectrum channel count")[0]
    if nchan_f != int(nchan_f) or not 0 < nchan_f <= MAX_CHANNELS:
        raise _Bad(
            f"#g_Spectrum: channel count {first_row.split()[0]} outside 1-{MAX_CHANNELS}", n_line
        )
    nchan = int(nchan_f)
    counts = np.zeros(nchan, dtype=float)
    first: int | None = None
    pos = 0
    for ln, text in rows[1:]:
        if pos == nchan:  # complete: what follows is not spectrum (a damaged line?)
            return _as_counts(counts), first if first is not None else 1, ln
        try:
            vals = np.array(text.split(), dtype=float)
        except ValueError:
            raise _Bad(f"#g_Spectrum: not a number in {text.strip()[:60]!r}", ln) from None
        if (
            vals.size < 2
            or not np.all(np.isfinite(vals))
            or np.any(vals < 0)
            or np.any(vals > MAX_COUNT)
        ):
            raise _Bad(f"#g_Spectrum: bad data line {text.strip()[:60]!r}", ln)
        ch = vals[0]
        if first is None:
            if ch not in (0.0, 1.0):
                raise _Bad(f"#g_Spectrum: first channel {ch:g} (0 or 1 expected)", ln)
            first = int(ch)
        if ch != first + pos:
            raise _Bad(f"#g_Spectrum: line starts at channel {ch:g}, {first + pos} expected", ln)
        data = vals[1:]
        if pos + data.size > nchan:
            raise _Bad(f"#g_Spectrum: more than the {nchan} channels announced", ln)
        counts[pos : pos + data.size] = data
        pos += data.size
    if pos != nchan:
        raise _Bad(f"#g_Spectrum: {pos} channels of the {nchan} announced (truncated?)", n_line)
    return _as_counts(counts), first if first is not None else 1, 0


def _as_counts(counts: np.ndarray) -> np.ndarray:
    return counts.astype(np.int64) if np.all(counts == np.round(counts)) else counts


def _one(section: _Section, source: str, problems: list[ReadProblem]) -> Spectrum | None:
    """The spectrum of one PHD section (None when its #g_Spectrum is unusable)."""
    kw: dict[str, object] = {"data_type": section.data_type}
    extra: dict[str, object] = {}
    energy_pts: list[tuple[float, float, float]] = []
    counts: np.ndarray | None = None
    first = 1
    spectrum_line = 0
    for name, line, body in section.blocks:
        key = name.lower()
        try:
            if key == "header":
                rows = _body(body, line, 2, "#Header")
                f = rows[0].split()
                if not f:
                    raise _Bad("#Header: blank station line", line + 1)
                kw["station"] = f[0]
                kw["detector"] = f[1] if len(f) > 1 else ""
                if len(f) > 2:
                    extra["system_type"] = f[2]
                if len(f) > 3:
                    extra["sample_geometry"] = f[3]
                kw["qualifier"] = f[4].upper() if len(f) > 4 else ""
                kw["sample_id"] = rows[1].strip()
                if len(rows) > 2:
                    extra["measurement_ids"] = tuple(rows[2].split())
                if len(rows) > 3 and len(rows[3].split()) >= 2:
                    d, t = rows[3].split()[:2]
                    extra["transmit_time"] = _epoch(d, t, line + 4)
            elif key == "comment":
                extra["comment"] = "\n".join(body).strip()
            elif key == "collection":
                f = _body(body, line, 1, "#Collection")[0].split()
                if len(f) < 5:
                    raise _Bad(f"#Collection: {len(f)} fields, 5 expected", line + 1)
                t0, t1 = _epoch(f[0], f[1], line + 1), _epoch(f[2], f[3], line + 1)
                vol = _floats(f[4], 1, line + 1, "#Collection air volume")[0]
                if t1 < t0 or vol < 0:
                    raise _Bad("#Collection: stop before start or negative volume", line + 1)
                kw["collection_start"], kw["collection_stop"], kw["air_volume"] = t0, t1, vol
            elif key == "acquisition":
                f = _body(body, line, 1, "#Acquisition")[0].split()
                if len(f) < 4:
                    raise _Bad(f"#Acquisition: {len(f)} fields, 4 expected", line + 1)
                start = _epoch(f[0], f[1], line + 1)
                real, live = _floats(" ".join(f[2:4]), 2, line + 1, "#Acquisition times")
                if not 0 <= live <= real * (1 + 1e-6) + 1e-6:
                    raise _Bad(
                        f"#Acquisition: live time {live:g} s outside 0-real {real:g} s", line + 1
                    )
                kw["acquisition_start"], kw["real_time"], kw["live_time"] = start, real, live
            elif key == "sample":
                extra["sample_dimensions_mm"] = tuple(
                    _floats(_body(body, line, 1, "#Sample")[0], 2, line + 1, "#Sample")
                )
            elif key == "calibration":
                f = _body(body, line, 1, "#Calibration")[0].split()
                if len(f) < 2:
                    raise _Bad("#Calibration: date and time expected", line + 1)
                extra["calibration_time"] = _epoch(f[0], f[1], line + 1)
            elif key == "g_energy":
                energy_pts = _points(body, line, "#g_Energy")
            elif key == "g_resolution":
                kw["resolution"] = tuple((e, w) for e, w, _ in _points(body, line, "#g_Resolution"))
            elif key == "g_efficiency":
                kw["efficiency"] = tuple(_points(body, line, "#g_Efficiency"))
            elif key == "g_spectrum":
                spectrum_line = line
                counts, first, after = _spectrum_counts(body, line)
                if after:
                    problems.append(
                        ReadProblem(source, "text after the last channel of #g_Spectrum left out",
                                    f"line {after}", severity="warning")
                    )  # fmt: skip
        except _Bad as bad:
            severity = "error" if key == "g_spectrum" else "warning"
            what = "spectrum dropped" if key == "g_spectrum" else "block skipped"
            problems.append(
                ReadProblem(source, f"{bad} ({what})", f"line {bad.line}", severity=severity)
            )
            if key == "g_spectrum":
                return None
    if counts is None:
        problems.append(
            ReadProblem(source, f"{section.data_type or 'PHD'} section without #g_Spectrum",
                        f"line {section.line}")
        )  # fmt: skip
        return None
    if energy_pts:
        pts = tuple((c - first + 0.5, e) for e, c, _ in energy_pts)
        kw["energy_cal"] = EnergyCalibration(points=pts)
        extra["g_energy_sigma_channels"] = tuple(s for _, _, s in energy_pts)
    return Spectrum(counts=counts, source=f"{source}:line {spectrum_line}", extra=extra, **kw)  # type: ignore[arg-type]


def parse_phd(text: str, source: str = "") -> tuple[list[Spectrum], list[ReadProblem]]:
    """The spectra of an IMS2.0 PHD message (text), and the problems met."""
    problems: list[ReadProblem] = []
    spectra = []
    sections = _sections(text.splitlines(), source, problems)
    for sec in sections:
        s = _one(sec, source, problems)
        if s is not None:
            spectra.append(s)
    if not sections:
        problems.append(ReadProblem(source, "no PHD data section (DATA_TYPE …PHD) found"))
    words = [ln.split(None, 1)[0].upper() for ln in text.splitlines() if ln.strip()]
    if words and words[0] == "BEGIN" and words[-1] != "STOP":
        problems.append(
            ReadProblem(source, "message does not end with STOP: truncated?", severity="warning")
        )
    return spectra, problems


def read_phd(
    path: str | os.PathLike[str], problems: list[ReadProblem] | None = None
) -> list[Spectrum]:
    """Read the spectra of an IMS2.0 PHD file; problems are appended to ``problems``."""
    out = problems if problems is not None else []
    name = os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        out.append(ReadProblem(name, f"cannot read: {exc}"))
        return []
    spectra, found = parse_phd(raw.decode("latin-1"), name)
    out.extend(found)
    return spectra


# ------------------------------------------------------------------------------ writing


def _dt(t: float) -> str:
    tenths = round(t * 10)
    d = datetime.fromtimestamp(tenths // 10, UTC)
    return d.strftime("%Y/%m/%d %H:%M:%S.") + str(tenths % 10)


def _g(x: float) -> str:
    return repr(float(x))


def _energy_points(s: Spectrum, first: int) -> list[tuple[float, float, float]]:
    """(keV, channel, σ) rows of ``#g_Energy``: the file's points, or the polynomial
    sampled at 16 channels when the calibration is one."""
    sig = s.extra.get("g_energy_sigma_channels", ())
    if s.energy_cal.points:
        sigmas = (
            list(sig) if isinstance(sig, tuple) and len(sig) == len(s.energy_cal.points) else []
        )
        return [
            (e, x + first - 0.5, float(sigmas[k]) if sigmas else 0.0)
            for k, (x, e) in enumerate(s.energy_cal.points)
        ]
    if s.energy_cal.coefficients:
        x = np.linspace(0.5, s.n_channels - 0.5, 16)
        return [
            (float(e), float(c) + first - 0.5, 0.0)
            for c, e in zip(x, s.energy_cal.energy(x), strict=True)
        ]
    return []


def format_phd(spectrum: Spectrum, *, msg_id: str = "1", envelope: bool = True) -> str:
    """The IMS2.0 PHD message of ``spectrum`` (``DATA_TYPE`` its own, else SAMPLEPHD)."""
    s = spectrum
    first = 1
    out: list[str] = []
    if envelope:
        out += ["BEGIN IMS2.0", "MSG_TYPE DATA", f"MSG_ID {msg_id} TESTBAN"]
    out.append(f"DATA_TYPE {s.data_type or 'SAMPLEPHD'}")
    ex = s.extra
    ids = ex.get("measurement_ids")
    out += [
        "#Header 3",
        " ".join(
            [
                s.station or "-",
                s.detector or "-",
                str(ex.get("system_type", "P")),
                str(ex.get("sample_geometry", "-")),
                s.qualifier or "FULL",
            ]
        ),  # fmt: skip
        s.sample_id or "0",
        " ".join(str(v) for v in ids) if isinstance(ids, tuple) and ids else "0 0 0",
    ]
    tt = ex.get("transmit_time")
    if isinstance(tt, float):
        out.append(_dt(tt))
    comment = ex.get("comment")
    if isinstance(comment, str) and comment:
        out += ["#Comment", *comment.splitlines()]
    if s.collection_start is not None and s.collection_stop is not None:
        out += [
            "#Collection",
            f"{_dt(s.collection_start)} {_dt(s.collection_stop)} {_g(s.air_volume or 0.0)}",
        ]
    if s.acquisition_start is not None:
        real = s.real_time if s.real_time is not None else s.live_time or 0.0
        out += ["#Acquisition", f"{_dt(s.acquisition_start)} {_g(real)} {_g(s.live_time or 0.0)}"]
    dims = ex.get("sample_dimensions_mm")
    if isinstance(dims, tuple) and len(dims) == 2:
        out += ["#Sample", f"{_g(dims[0])} {_g(dims[1])}"]
    ct = ex.get("calibration_time")
    if isinstance(ct, float):
        out += ["#Calibration", _dt(ct)]
    pts = _energy_points(s, first)
    if pts:
        out += ["#g_Energy", *(f"{_g(e)} {_g(c)} {_g(u)}" for e, c, u in pts)]
    if s.resolution:
        out += ["#g_Resolution", *(f"{_g(e)} {_g(w)} 0.0" for e, w in s.resolution)]
    if s.efficiency:
        out += ["#g_Efficiency", *(f"{_g(e)} {_g(v)} {_g(u)}" for e, v, u in s.efficiency)]
    counts = np.asarray(s.counts)
    span = 0
    if s.energy_cal.known:
        span = int(math.ceil(float(s.energy_cal.energy(float(s.n_channels)))))
    out += ["#g_Spectrum", f"{s.n_channels} {span}"]
    is_int = np.issubdtype(counts.dtype, np.integer) or bool(np.all(counts == np.round(counts)))
    vals = [str(int(v)) for v in counts] if is_int else [_g(v) for v in counts]
    for k in range(0, len(vals), PER_LINE):
        out.append(f"{k + first} " + " ".join(vals[k : k + PER_LINE]))
    if envelope:
        out.append("STOP")
    return "\n".join(out) + "\n"


def write_phd(
    spectrum: Spectrum | Sequence[Spectrum], path: str | os.PathLike[str], *, msg_id: str = "1"
) -> None:
    """Write one spectrum, or several (one message of several data sections), as IMS2.0."""
    spectra = [spectrum] if isinstance(spectrum, Spectrum) else list(spectrum)
    parts = [format_phd(s, msg_id=msg_id, envelope=False) for s in spectra]
    text = f"BEGIN IMS2.0\nMSG_TYPE DATA\nMSG_ID {msg_id} TESTBAN\n" + "".join(parts) + "STOP\n"
    Path(path).write_text(text, encoding="latin-1", errors="replace")
