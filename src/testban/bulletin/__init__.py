"""Bulletins in and out: IMS1.0 short, QuakeML, CSV and GeoJSON views of CSS3.0 rows.

>>> from testban.bulletin import write_bulletin, read_bulletin
>>> write_bulletin(tables, "out/reb.txt", "ims1.0")        # doctest: +SKIP
>>> tables = read_bulletin("isc.txt")                      # doctest: +SKIP

``tables`` is ``{table: rows}`` (``origin``, ``origerr``, ``assoc``, ``arrival``,
``netmag``, ``stamag``, ``amplitude``, ``event``), as everywhere in testban.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from testban.bulletin.ims10 import BulletinError, format_ims10, read_ims10, write_ims10
from testban.bulletin.model import ETYPES, IMS_MAGTYPES, QUAKEML_ETYPES, events_of
from testban.bulletin.quakeml import from_catalog, read_quakeml, to_catalog, write_quakeml
from testban.bulletin.tabular import (
    CSV_COLUMNS,
    ellipse_polygon,
    event_rows,
    read_csv_events,
    read_geojson,
    to_geojson,
    write_csv_events,
    write_geojson,
)
from testban.records.css30 import Record

#: Format name → (writer, reader); aliases in :data:`ALIASES`.
FORMATS: dict[str, tuple[Callable[..., Path], Callable[..., dict[str, list[Record]]]]] = {
    "ims1.0": (write_ims10, read_ims10),
    "quakeml": (write_quakeml, read_quakeml),
    "csv": (write_csv_events, read_csv_events),
    "geojson": (write_geojson, read_geojson),
}
ALIASES = {"ims": "ims1.0", "ims10": "ims1.0", "isf": "ims1.0", "qml": "quakeml",
           "xml": "quakeml", "json": "geojson"}  # fmt: skip
_SUFFIXES = {".xml": "quakeml", ".qml": "quakeml", ".quakeml": "quakeml", ".csv": "csv",
             ".geojson": "geojson", ".json": "geojson"}  # fmt: skip


def format_name(fmt: str) -> str:
    """The canonical name of bulletin format ``fmt`` (case-insensitive, aliases allowed)."""
    name = ALIASES.get(fmt.lower(), fmt.lower())
    if name not in FORMATS:
        raise BulletinError(f"unknown bulletin format {fmt!r}; use one of {', '.join(FORMATS)}")
    return name


def guess_format(path: str | os.PathLike[str]) -> str:
    """The format of a bulletin file: by its first lines, else by its suffix."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(8192).decode("utf-8", errors="replace")
    upper = head.upper()
    if "DATA_TYPE BULLETIN IMS1.0" in upper:
        return "ims1.0"
    if "<Q:QUAKEML" in upper or "QUAKEML" in upper[:2000]:
        return "quakeml"
    if head.lstrip().startswith("{"):
        return "geojson"
    if head.startswith("time,"):
        return "csv"
    if path.suffix.lower() in _SUFFIXES:
        return _SUFFIXES[path.suffix.lower()]
    raise BulletinError(f"cannot tell the bulletin format of {path}; give fmt=")


def write_bulletin(
    tables: Any, path: str | os.PathLike[str], fmt: str = "ims1.0", **options: Any
) -> Path:
    """Write bulletin ``tables`` (``{table: rows}``) to ``path`` as ``fmt``.

    ``fmt``: ``ims1.0``, ``quakeml``, ``csv`` or ``geojson``; ``options`` go to the writer
    (:func:`format_ims10` options for IMS1.0, ``validate`` for QuakeML).
    """
    return FORMATS[format_name(fmt)][0](tables, path, **options)


def read_bulletin(
    path: str | os.PathLike[str], fmt: str | None = None, problems: list | None = None
) -> dict[str, list[Record]]:
    """Read a bulletin file into ``{table: rows}``; the format is guessed when not given.

    Bad content raises :class:`BulletinError`, unless a ``problems`` list is given: then
    it is reported there (as :class:`~testban.io.problems.ReadProblem`) and skipped.
    """
    name = format_name(fmt) if fmt else guess_format(path)
    if problems is None:
        return FORMATS[name][1](path)
    if name == "geojson":
        try:
            return read_geojson(path)
        except (BulletinError, OSError, ValueError, KeyError, TypeError) as exc:
            from testban.io.problems import ReadProblem

            problems.append(ReadProblem(str(path), f"not a readable GeoJSON bulletin: {exc!r}"))
            return {}
    return FORMATS[name][1](path, problems)


__all__ = [
    "ALIASES",
    "CSV_COLUMNS",
    "ETYPES",
    "FORMATS",
    "IMS_MAGTYPES",
    "QUAKEML_ETYPES",
    "BulletinError",
    "ellipse_polygon",
    "event_rows",
    "events_of",
    "format_ims10",
    "format_name",
    "from_catalog",
    "guess_format",
    "read_bulletin",
    "read_csv_events",
    "read_geojson",
    "read_ims10",
    "read_quakeml",
    "to_catalog",
    "to_geojson",
    "write_bulletin",
    "write_csv_events",
    "write_geojson",
    "write_ims10",
    "write_quakeml",
]
