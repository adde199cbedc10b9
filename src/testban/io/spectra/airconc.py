"""Published air-concentration series (CSV) as ``gards_air_conc`` rows.

The layout is that of the JRC REM Chernobyl 1986 data set as distributed
(``Location,Longitude,Lattitude,Date,I 131 (Bq/m3)[,Cs 134 (Bq/m3),…]``): one row per
sample, dates ``yy/mm/dd`` (the sampling day: collection taken as that whole UTC day, as
no hours are given), one column per nuclide in Bq/m³. Several samples of a site on one
day are numbered by ``seq`` in file order. A row that cannot be read is reported with its
line and skipped; an empty cell is no measurement (nothing is stored for it).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from testban.io.problems import ReadProblem
from testban.records.gards import GardsAirConc

__all__ = ["nuclide_name", "read_air_concentrations"]

_NUCLIDE = re.compile(r"^\s*([A-Za-z]{1,2})[\s-]*(\d{1,3})\s*(m?)\b")
_UNITS = {"bq/m3": 1.0, "mbq/m3": 1e-3, "ubq/m3": 1e-6, "µbq/m3": 1e-6}


def nuclide_name(header: str) -> tuple[str, float] | None:
    """``("I-131", 1.0)`` (name, factor to Bq/m³) for a header such as ``I 131 (Bq/m3)``."""
    m = _NUCLIDE.match(header)
    unit = re.search(r"\(([^)]*)\)", header)
    if not m or not unit or unit.group(1).strip().lower() not in _UNITS:
        return None
    el, mass, meta = m.groups()
    return f"{el.capitalize()}-{mass}{meta.lower()}", _UNITS[unit.group(1).strip().lower()]


def _day(text: str) -> float:
    parts = text.strip().split("/")
    if len(parts) != 3:
        raise ValueError(f"date {text!r} not yy/mm/dd")
    y, mo, d = (int(p) for p in parts)
    if y < 100:
        y += 1900 if y >= 40 else 2000
    return datetime(y, mo, d, tzinfo=UTC).timestamp()


def read_air_concentrations(
    path: str | os.PathLike[str],
    problems: list[ReadProblem] | None = None,
    *,
    auth: str = "JRC-REM",
) -> list[GardsAirConc]:
    """The rows of an air-concentration CSV (see the module docstring), one per value."""
    out = problems if problems is not None else []
    name = os.fspath(path)
    try:
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        out.append(ReadProblem(name, f"cannot read: {exc}"))
        return []
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    cols = {h.strip().lower(): i for i, h in enumerate(header or [])}
    need = ("location", "date")
    lat_col = cols.get("latitude", cols.get("lattitude"))
    lon_col = cols.get("longitude")
    nucl = [(i, nuclide_name(h)) for i, h in enumerate(header or [])]
    nuclides = [(i, n) for i, n in nucl if n is not None]
    if (
        header is None
        or any(k not in cols for k in need)
        or lat_col is None
        or lon_col is None
        or not nuclides
    ):
        out.append(
            ReadProblem(
                name,
                "not an air-concentration CSV (Location, Longitude, Latitude, Date, nuclides)",
                "line 1",
            )
        )
        return []
    rows: list[GardsAirConc] = []
    seq: dict[tuple[str, float, str], int] = {}
    for line, rec in enumerate(reader, 2):
        if not any(c.strip() for c in rec):
            continue
        try:
            loc = rec[cols["location"]].strip()
            lat, lon = float(rec[lat_col]), float(rec[lon_col])
            if not loc or not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(f"site {loc!r} at {lat}, {lon} not valid")
            t0 = _day(rec[cols["date"]])
        except (ValueError, IndexError) as exc:
            out.append(ReadProblem(name, f"row skipped: {exc}", f"line {line}"))
            continue
        for i, (nuc, factor) in nuclides:
            cell = rec[i].strip() if i < len(rec) else ""
            if not cell:
                continue
            try:
                value = float(cell) * factor
            except ValueError:
                out.append(ReadProblem(name, f"{nuc}: not a number {cell!r}", f"line {line}"))
                continue
            if not math.isfinite(value) or value < 0:
                out.append(
                    ReadProblem(name, f"{nuc}: concentration {cell} not valid", f"line {line}")
                )
                continue
            key = (loc, t0, nuc)
            seq[key] = seq.get(key, 0) + 1
            rows.append(
                GardsAirConc(
                    location=loc[:24], lat=lat, lon=lon, collect_start=t0,
                    collect_stop=t0 + 86400.0, seq=seq[key], name=nuc, conc=value, auth=auth,
                )
            )  # fmt: skip
    return rows
