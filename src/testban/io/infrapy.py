"""InfraPy detection files → CSS3.0 ``arrival`` rows (iphase ``I``) and ``site`` rows.

InfraPy (LANL; Blom et al.) writes array detections as a JSON list (``*.dets.json``) of
objects with the array position, the time of the peak Fisher statistic, back azimuth,
trace velocity and F statistic; two key spellings exist (``"Peak F-Stat Time (UTC)"``,
``"F Statistic"``, ``"Trace Velocity (m/s)"``, ``"Array Dimension"`` in older files;
``"Time (UTC)"``, ``"F Stat."``, ``"Trace Vel. (m/s)"``, ``"Array Dim."`` in newer ones).
The older demo text format (``*.dat``: ``lat lon time back_az F dim`` per line, ``#``
comments, blank lines between groups of one event) is read too; its groups are returned.

Conversions: back azimuth to [0, 360); slowness ``slow`` (s/°) = ``KM_PER_DEG / v``
from the trace velocity ``v`` (km/s); ``snr`` = √((F − 1)/N), the amplitude signal-to-
noise ratio that gives the Fisher statistic F on N elements (F = 1 + N·SNR², Blandford
1974, Geophysics 39, 633–643). An array without a name gets the file stem when the file
holds one array, else ``X01``, ``X02``… in order of appearance (CSS3.0 ``sta`` is 6 wide).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obspy import UTCDateTime

from testban.io.problems import ReadProblem
from testban.records.css30 import Arrival, Site, jdate
from testban.records.earth import KM_PER_DEG

__all__ = ["InfrapyDetections", "parse_infrapy_json", "read_infrapy_detections"]

_KEYS = {
    "time": ("Peak F-Stat Time (UTC)", "Time (UTC)"),
    "fstat": ("F Statistic", "F Stat."),
    "tracev": ("Trace Velocity (m/s)", "Trace Vel. (m/s)"),
    "elev": ("Elevation", "Elevation (m)"),
    "dim": ("Array Dimension", "Array Dim."),
}


@dataclass
class InfrapyDetections:
    """What :func:`read_infrapy_detections` returns: rows, station positions, groups."""

    arrivals: list[Arrival] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    #: Group number of each arrival in a ``.dat`` file (blank-line separated); empty
    #: for JSON files, which carry no grouping.
    groups: list[int] = field(default_factory=list)

    def stations(self) -> dict[str, tuple[float, float, float | None]]:
        """``{sta: (lat, lon, elev km or None)}`` of the sites."""
        return {s.sta: (s.lat, s.lon, None if s.elev == -999.0 else s.elev) for s in self.sites}


def _get(obj: dict[str, Any], name: str) -> Any:
    for k in _KEYS[name]:
        if k in obj:
            return obj[k]
    return None


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and v != -999.0 else None


class _Sites:
    """Names arrays by position; unnamed ones get the stem or ``X01``…"""

    def __init__(self, stem: str, positions: set[tuple[float, float]]):
        self.stem = "".join(c for c in stem.upper() if c.isalnum())[:6] or "X"
        self.single = len(positions) == 1
        self.rows: dict[str, Site] = {}
        self.by_pos: dict[tuple[float, float], str] = {}

    def code(self, name: str, lat: float, lon: float, elev_m: float | None) -> str:
        key = (round(lat, 4), round(lon, 4))
        if not name:
            name = self.by_pos.get(key) or (
                self.stem if self.single else f"X{len(self.by_pos) + 1:02d}"
            )
        name = name[:6]
        self.by_pos.setdefault(key, name)
        if name not in self.rows:
            elev = -999.0 if elev_m is None else elev_m / 1000.0
            self.rows[name] = Site(sta=name, lat=lat, lon=lon, elev=elev, statype="ar",
                                   refsta=name, staname="infrapy detection file")  # fmt: skip
        return name


def _arrival(sta: str, t: float, baz: float, v_ms: float | None, f: float | None,
             dim: float | None) -> Arrival:  # fmt: skip
    slow = KM_PER_DEG / (v_ms / 1000.0) if v_ms and v_ms > 0 else -1.0
    snr = -1.0
    if f is not None and dim and dim > 0:
        snr = math.sqrt(max(f - 1.0, 0.0) / dim)
    return Arrival(sta=sta, time=t, jdate=jdate(t), chan="BDF", iphase="I", stype="-",
                   azimuth=round(baz % 360.0, 2), slow=round(slow, 2) if slow > 0 else -1.0,
                   snr=round(snr, 2), auth="infrapy")  # fmt: skip


def parse_infrapy_json(raw: str, name: str = "<json>", first_arid: int = 1) -> InfrapyDetections:
    """Arrivals and sites from the text of an InfraPy ``.dets.json`` file."""
    out = InfrapyDetections()
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as exc:
        out.problems.append(ReadProblem(name, f"not JSON: {exc}"))
        return out
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        out.problems.append(ReadProblem(name, "expected a list of detections"))
        return out
    good = [d for d in items if isinstance(d, dict)]
    pos = {(round(_num(d.get("Latitude")) or 0.0, 4), round(_num(d.get("Longitude")) or 0.0, 4))
           for d in good}  # fmt: skip
    sites = _Sites(Path(name).name.split(".")[0], pos)
    arid = first_arid
    for k, d in enumerate(items):
        where = f"detection {k + 1}"
        if not isinstance(d, dict):
            out.problems.append(ReadProblem(name, "not a JSON object", where))
            continue
        lat, lon, baz = (
            _num(d.get("Latitude")),
            _num(d.get("Longitude")),
            _num(d.get("Back Azimuth")),
        )
        when = _get(d, "time")
        if lat is None or lon is None or baz is None or not when:
            out.problems.append(ReadProblem(name, "missing latitude, longitude, back azimuth "
                                            "or time", where))  # fmt: skip
            continue
        if not (-90 <= lat <= 90 and -180 <= lon <= 360):
            out.problems.append(ReadProblem(name, f"position out of range: {lat}, {lon}", where))
            continue
        try:
            t = float(UTCDateTime(str(when)))
        except (TypeError, ValueError) as exc:
            out.problems.append(ReadProblem(name, f"bad time {when!r}: {exc}", where))
            continue
        sta = sites.code(str(d.get("Name") or d.get("Station") or "").strip(), lat, lon,
                         _num(_get(d, "elev")))  # fmt: skip
        row = _arrival(sta, t, baz, _num(_get(d, "tracev")), _num(_get(d, "fstat")),
                       _num(_get(d, "dim")))  # fmt: skip
        row.arid = arid
        arid += 1
        out.arrivals.append(row)
    out.sites = list(sites.rows.values())
    return out


def parse_infrapy_dat(raw: str, name: str = "<dat>", first_arid: int = 1) -> InfrapyDetections:
    """Arrivals, sites and groups from the text of an InfraPy demo ``.dat`` file."""
    out = InfrapyDetections()
    rows: list[tuple[float, float, float, float, float | None, float | None, int]] = []
    group, pending_gap = 0, False
    for n, line in enumerate(raw.splitlines(), 1):
        text = line.strip()
        if not text:
            pending_gap = bool(rows)
            continue
        if text.startswith("#"):
            continue
        parts = text.split()
        try:
            lat, lon, baz = float(parts[0]), float(parts[1]), float(parts[3])
            t = float(UTCDateTime(parts[2]))
            f = float(parts[4]) if len(parts) > 4 else None
            dim = float(parts[5]) if len(parts) > 5 else None
        except (IndexError, ValueError, TypeError) as exc:
            out.problems.append(ReadProblem(name, f"bad detection line: {exc}", f"line {n}"))
            continue
        if pending_gap:
            group += 1
            pending_gap = False
        rows.append((lat, lon, t, baz, f, dim, group))
    sites = _Sites(Path(name).name.split(".")[0], {(round(r[0], 4), round(r[1], 4)) for r in rows})
    for k, (lat, lon, t, baz, f, dim, g) in enumerate(rows):
        sta = sites.code("", lat, lon, None)
        row = _arrival(sta, t, baz, None, f, dim)
        row.arid = first_arid + k
        out.arrivals.append(row)
        out.groups.append(g)
    out.sites = list(sites.rows.values())
    return out


def read_infrapy_detections(path: str | os.PathLike[str], first_arid: int = 1) -> InfrapyDetections:
    """Read an InfraPy detection file (``.json`` or ``.dat``); problems are returned."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return InfrapyDetections(problems=[ReadProblem(str(p), f"cannot read: {exc}")])
    if p.suffix.lower() == ".dat" or not raw.lstrip().startswith(("[", "{")):
        return parse_infrapy_dat(raw, str(p), first_arid)
    return parse_infrapy_json(raw, str(p), first_arid)
