"""Files of a calibration: the station-correction CSV and reference catalogues.

The correction file is CSV with the unit in every column name (``daz_deg``,
``dslow_s_per_deg``, ``dt_s``; empty = not applicable), one :class:`StationCorrection`
a line. It is stored with the station metadata: :func:`corrections_beside` finds a
``corrections.csv`` next to (or inside) a station metadata source, so that a network
and its corrections travel together.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from obspy import UTCDateTime

from testban.calibrate.estimate import StationCorrection
from testban.calibrate.residuals import Residual
from testban.io.problems import ReadProblem
from testban.records import Arrival, Assoc, Origin

#: CSV column of each StationCorrection field (units in the name).
COLUMNS = {
    "sta": "sta",
    "kind": "kind",
    "phase": "phase",
    "az_lo": "az_lo_deg",
    "az_hi": "az_hi_deg",
    "slow_lo": "slow_lo_s_per_deg",
    "slow_hi": "slow_hi_s_per_deg",
    "n": "n",
    "daz": "daz_deg",
    "daz_se": "daz_se_deg",
    "daz_sigma": "daz_sigma_deg",
    "dslow": "dslow_s_per_deg",
    "dslow_se": "dslow_se_s_per_deg",
    "dslow_sigma": "dslow_sigma_s_per_deg",
    "dsx": "dsx_s_per_deg",
    "dsy": "dsy_s_per_deg",
    "dt": "dt_s",
    "dt_se": "dt_se_s",
    "dt_sigma": "dt_sigma_s",
}
FILENAME = "corrections.csv"


def _text(v: object) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf"
        return f"{v:.4f}"
    return str(v)


def write_corrections(rows: Sequence[StationCorrection], path: str | os.PathLike) -> Path:
    """Write correction rows as CSV (see the module doc); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS.values())
        for r in rows:
            w.writerow(_text(getattr(r, f)) for f in COLUMNS)
    return path


def read_corrections(
    path: str | os.PathLike, problems: list[ReadProblem] | None = None
) -> list[StationCorrection]:
    """Correction rows of a file written by :func:`write_corrections`; a bad row is
    reported in ``problems`` (file, row, what) and skipped."""
    types = {f.name: f.type for f in fields(StationCorrection)}
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("sta", "kind") if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: not a corrections file (no column {', '.join(missing)})")
        for i, row in enumerate(reader, start=2):
            kw: dict[str, object] = {}
            try:
                for name, column in COLUMNS.items():
                    text = (row.get(column) or "").strip()
                    if not text:
                        continue
                    kw[name] = (
                        int(text)
                        if types[name] == "int"
                        else text
                        if types[name] == "str"
                        else float(text)
                    )
                if kw.get("kind") not in ("sasc", "time") or not kw.get("sta"):
                    raise ValueError(f"kind {kw.get('kind')!r} / sta {kw.get('sta')!r}")
                out.append(StationCorrection(**kw))  # type: ignore[arg-type]
            except (ValueError, TypeError) as exc:
                if problems is None:
                    raise ValueError(f"{path}: line {i}: {exc}") from exc
                problems.append(ReadProblem(str(path), f"bad correction row: {exc}", f"line {i}"))
    return out


def corrections_beside(stations: str | os.PathLike) -> Path | None:
    """The ``corrections.csv`` stored with station metadata ``stations`` (inside it when
    a directory, else next to it), or None."""
    p = Path(stations)
    for cand in (p / FILENAME, p.parent / FILENAME):
        if cand.is_file():
            return cand
    return None


def read_usgs_catalogue(
    path: str | os.PathLike,
    problems: list[ReadProblem] | None = None,
    start: float | None = None,
    end: float | None = None,
) -> list[Origin]:
    """Origins from a USGS/ComCat CSV: either the ``Date,Time,Latitude,…`` layout of the
    "significant earthquakes" list or ComCat's ``time,latitude,longitude,depth,…``.
    Rows outside [start, end) (epoch s) are skipped; bad rows are reported and skipped."""
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        for i, row in enumerate(reader, start=2):
            try:
                if "Date" in row:
                    m, d, y = row["Date"].split("/")
                    t = UTCDateTime(f"{y}-{m}-{d}T{row['Time']}").timestamp
                    lat, lon = float(row["Latitude"]), float(row["Longitude"])
                    depth, ident = float(row["Depth"] or 0.0), row.get("ID", "")
                else:
                    t = UTCDateTime(row["time"]).timestamp
                    lat, lon = float(row["latitude"]), float(row["longitude"])
                    depth, ident = float(row["depth"] or 0.0), row.get("id", "")
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                if problems is not None:
                    problems.append(
                        ReadProblem(str(path), f"bad catalogue row: {exc}", f"line {i}")
                    )
                continue
            if (start is not None and t < start) or (end is not None and t >= end):
                continue
            out.append(
                Origin(
                    lat=lat,
                    lon=lon,
                    depth=depth,
                    time=t,
                    orid=i,
                    evid=i,
                    auth=(ident or "usgs")[:15],
                    algorithm="catalogue",
                )
            )
    return out


def _is_usgs(path: Path) -> bool:
    with open(path, newline="", encoding="utf-8") as fh:
        head = fh.readline().lower()
    return "latitude" in head and "orid" not in head


def read_reference(
    path: str | os.PathLike,
    assoc: str | os.PathLike | None = None,
    problems: list[ReadProblem] | None = None,
) -> tuple[list[Origin], list[Assoc]]:
    """Reference events and, when there are any, their associations: a CSS3.0 directory
    (``origin`` and ``assoc`` tables), a CSS3.0 origin table, or a USGS catalogue CSV;
    ``assoc`` names an assoc table explicitly."""
    from testban.io.css30 import read_records, read_tables, rows_of

    p = Path(path)
    assocs: list[Assoc] = []
    if p.is_dir():
        tables = read_tables(p, ["origin", "assoc"], problems)
        origins, assocs = rows_of(tables, Origin), rows_of(tables, Assoc)
    elif _is_usgs(p):
        origins = read_usgs_catalogue(p, problems)
    else:
        origins = read_records(p, Origin, problems)
    if assoc is not None:
        assocs = read_records(assoc, Assoc, problems)
    return origins, assocs


def read_arrivals(
    path: str | os.PathLike, problems: list[ReadProblem] | None = None
) -> list[Arrival]:
    """Arrivals of an arrival table (CSV or flat file) or a CSS3.0 directory."""
    from testban.io.css30 import read_records, read_tables, rows_of

    p = Path(path)
    if p.is_dir():
        return rows_of(read_tables(p, ["arrival"], problems), Arrival)
    return read_records(p, Arrival, problems)


def write_residuals(rows: Sequence[Residual], path: str | os.PathLike) -> Path:
    """The residuals of a calibration as CSV (units in the column names)."""
    names = {
        "sta": "sta",
        "arid": "arid",
        "orid": "orid",
        "phase": "phase",
        "otime": "otime_s",
        "delta": "delta_deg",
        "seaz": "seaz_deg",
        "slow_pred": "slow_pred_s_per_deg",
        "azimuth": "azimuth_deg",
        "slow": "slow_s_per_deg",
        "az_res": "az_res_deg",
        "slow_res": "slow_res_s_per_deg",
        "time_res": "time_res_s",
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(names.values())
        for r in rows:
            w.writerow(_text(getattr(r, f)) for f in names)
    return path
