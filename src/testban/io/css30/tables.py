"""Read and write CSS3.0 tables: CSV with CSS3.0 column names, and fixed-width flat files.

Both directions are lossless: a CSV value is parsed to the column's type and written
back with the shortest representation that reads back to the same value (Python
``repr`` for floats); a flat-file float is written with the schema's decimals, or with more
if the value needs them and the column is wide enough (``strict=True`` refuses to round).
The IDC layout writes Oracle-style numbers without a leading zero (``.311``, ``-.016``),
as the IDC's own exports do, so its tables round-trip byte for byte.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from testban.io.problems import ReadProblem
from testban.records.css30 import (
    ALIASES,
    LAYOUTS,
    TABLES,
    Column,
    R,
    Record,
    columns,
    table_of,
)

PathLike = str | os.PathLike[str]


class TableError(ValueError):
    """A table could not be read or written; says which file, line (row) and column."""

    def __init__(self, message: str, *, file: str = "", row: int | None = None, column: str = ""):
        parts = (file, f"line {row}" if row is not None else "", f"{column!r}" if column else "")
        where = ", ".join(p for p in parts if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.file, self.row, self.column, self.reason = file, row, column, message


def _convert(kind: str, text: str) -> Any:
    if kind == "a":
        return text
    if kind == "i":
        return int(text)
    value = float(text)
    if not math.isfinite(value):  # CSS3.0 has no such values; its nulls are numbers
        raise ValueError(f"{text!r} is not a finite number")
    return value


# --------------------------------------------------------------------------------- CSV


def read_csv(
    path: PathLike, table: str | None = None, problems: list[ReadProblem] | None = None
) -> list[Record]:
    """Read a CSS3.0 table from CSV; the table name defaults to the file's stem.

    Columns are matched by name (any order; missing columns take the CSS3.0 null value;
    an unknown column is an error, so a misspelt header is never silently dropped). A bad
    row raises :class:`TableError`, unless a ``problems`` list is given: then the row is
    reported there and skipped, and the other rows are kept.
    """
    path = Path(path)
    cls = table_of(table or path.stem.split(".")[-1])
    _check_ending(path, problems)
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        return _rows_from_csv(fh, cls, str(path), problems)


def _check_ending(path: Path, problems: list[ReadProblem] | None) -> None:
    """Report a table whose last line has no line break: the file was probably cut short
    (every writer ends its last row with one), and the last row may have lost values."""
    if problems is None:
        return
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() == 0:
                return
            fh.seek(-1, os.SEEK_END)
            last = fh.read(1)
    except OSError:
        return
    if last != b"\n":
        msg = "file does not end with a line break: probably truncated, last row may be cut"
        problems.append(ReadProblem(str(path), msg, "last line", severity="warning"))


def _skip_or_raise(exc: TableError, problems: list[ReadProblem] | None) -> None:
    """Report a bad row in ``problems`` (and go on), or raise when there is no list."""
    if problems is None:
        raise exc
    why = f"column {exc.column}: " if exc.column else ""
    problems.append(ReadProblem(exc.file, why + exc.reason, f"line {exc.row}"))


def _rows_from_csv(
    fh: Iterable[str], cls: type[Record], name: str, problems: list[ReadProblem] | None = None
) -> list[Record]:
    # Each physical line is parsed on its own: CSS3.0 values never hold line breaks, and a
    # stray quote in one damaged row must not swallow the rows after it.
    lines = iter(fh)
    try:
        header = next(csv.reader([next(lines)]))
    except (StopIteration, csv.Error):
        if problems is not None:  # the writer always writes a header, even for no rows
            problems.append(ReadProblem(name, "empty file: no header line", "line 1"))
        return []
    kinds = {c.name: c.kind for c in columns(cls, "idc")}
    aliases = ALIASES.get(cls.table, {})
    names = [aliases.get(h.strip(), h.strip()) for h in header]
    for n in names:
        if n not in kinds:
            exc = TableError(f"unknown column for table {cls.table}", file=name, column=n)
            if problems is None:
                raise exc
            problems.append(ReadProblem(name, f"table skipped: {exc.reason}: {n!r}", "line 1"))
            return []
    out = []
    for i, line in enumerate(lines, start=2):
        try:
            row = next(csv.reader([line]), [])
        except csv.Error as exc:
            _skip_or_raise(TableError(f"bad CSV: {exc}", file=name, row=i), problems)
            continue
        if not row:
            continue
        try:
            out.append(_record_from_csv_row(cls, names, kinds, row, name, i))
        except TableError as exc:
            _skip_or_raise(exc, problems)
    return out


def _record_from_csv_row(
    cls: type[Record], names: list[str], kinds: dict[str, str], row: list[str], name: str, i: int
) -> Record:
    if len(row) != len(names):
        raise TableError(f"{len(row)} fields, header has {len(names)}", file=name, row=i)
    values = {}
    for n, text in zip(names, row, strict=True):
        try:
            values[n] = _convert(kinds[n], text)
        except ValueError:
            raise TableError(
                f"not a valid {kinds[n]!r} value: {text!r}", file=name, row=i, column=n
            ) from None
    return cls(**values)


def _csv_text(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(records: Sequence[Record], path: PathLike, table: str | None = None) -> Path:
    """Write records of one table as CSV with CSS3.0 column names; returns the path.

    An empty sequence writes the header of ``table`` (required then) so that a stage with
    nothing to report still leaves a readable file.
    """
    path = Path(path)
    cls = _class_of(records, table)
    names = [c.name for c in columns(cls, "idc")]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(names)
        for r in records:
            w.writerow([_csv_text(getattr(r, n)) for n in names])
    os.replace(tmp, path)
    return path


def _class_of(records: Sequence[Record], table: str | None) -> type[Record]:
    if table is not None:
        cls = table_of(table)
    elif records:
        cls = type(records[0])
    else:
        raise TableError("cannot write an empty table without its name (table=...)")
    bad = next((r for r in records if type(r) is not cls), None)
    if bad is not None:
        raise TableError(f"mixed tables: {type(bad).__name__} among {cls.__name__} rows")
    return cls


# --------------------------------------------------------------------------- flat files


def _line_width(cols: list[Column]) -> int:
    return sum(c.width for c in cols) + len(cols) - 1


def detect_layout(cls: type[Record], line: str) -> str:
    """The layout (``"css3.0"`` or ``"idc"``) whose line width matches ``line``."""
    n = len(line.rstrip("\r\n"))
    for layout in LAYOUTS:
        if n == _line_width(columns(cls, layout)):
            return layout
    widths = {lay: _line_width(columns(cls, lay)) for lay in LAYOUTS}
    raise TableError(f"line of {n} characters fits no {cls.table} layout {widths}")


def read_flat(
    path: PathLike,
    table: str | None = None,
    layout: str = "auto",
    problems: list[ReadProblem] | None = None,
    line_numbers: list[int] | None = None,
) -> list[Record]:
    """Read a fixed-width CSS3.0 flat file (``prefix.arrival``, ``prefix.site`` …).

    The table defaults to the file's suffix; ``layout="auto"`` picks standard CSS3.0 or the
    IDC layout from the line width. Trailing blanks may be missing (some tools trim them).
    Rows are numbered by line. A bad row raises :class:`TableError`, unless a ``problems``
    list is given: then it is reported there and skipped, and the other rows are kept.
    ``line_numbers``, when given, receives the (1-based) line of each row returned.
    """
    path = Path(path)
    cls = table_of(table or path.suffix.lstrip(".") or path.name)
    _check_ending(path, problems)
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = [ln.rstrip("\r\n") for ln in fh]
    return _rows_from_flat(lines, cls, str(path), layout, problems, line_numbers)


def _rows_from_flat(
    lines: list[str],
    cls: type[Record],
    name: str,
    layout: str,
    problems: list[ReadProblem] | None = None,
    line_numbers: list[int] | None = None,
) -> list[Record]:
    numbered = [(i, ln) for i, ln in enumerate(lines, start=1) if ln.strip()]
    if not numbered:
        return []
    if layout == "auto":
        layout = _detect_for_file(cls, [ln for _, ln in numbered], name)
    cols = columns(cls, layout)
    spans, start = [], 0
    for c in cols:
        spans.append((c, start, start + c.width))
        start += c.width + 1
    # Only the trailing string column (lddate) may have lost its padding blanks.
    min_len = spans[-1][1] + 1
    width = spans[-1][2]
    out = []
    for i, line in numbered:
        try:
            out.append(_record_from_flat_line(cls, spans, min_len, line, name, i))
        except TableError as exc:
            _skip_or_raise(exc, problems)
            continue
        if line_numbers is not None:
            line_numbers.append(i)
        extra = line[width:].strip()
        if extra:
            # Nothing may follow the last column: most likely a damaged line break joined
            # the next row to this one, and that row is gone. Said, never dropped silently.
            joined = len(line) >= width + min_len  # room for a whole row: one is lost
            msg = (
                f"{len(line)} characters, a {cls.table} row has {width}: {len(extra)} "
                "characters past the last column ignored"
                + (" (a damaged line break joined the next row to this one: that row is lost)"
                   if joined else "")
            )  # fmt: skip
            if problems is None:
                raise TableError(msg, file=name, row=i)
            problems.append(
                ReadProblem(name, msg, f"line {i}", severity="error" if joined else "warning")
            )
    return out


def _record_from_flat_line(
    cls: type[Record], spans: list[tuple[Column, int, int]], min_len: int, line: str, name: str,
    i: int,
) -> Record:  # fmt: skip
    if len(line) < min_len:
        raise TableError(
            f"{len(line)} characters, a {cls.table} row has at least {min_len}", file=name, row=i
        )
    values = {}
    for c, a, b in spans:
        text = line[a:b].strip()
        if c.kind == "a":
            values[c.name] = text
            continue
        try:
            values[c.name] = _convert(c.kind, text) if text else c.na
        except ValueError:
            raise TableError(
                f"not a valid {c.kind!r} value: {text!r}", file=name, row=i, column=c.name
            ) from None
    return cls(**values)


def _detect_for_file(cls: type[Record], lines: list[str], name: str) -> str:
    """The layout most lines have exactly; failing that, the narrowest one most lines fit.

    Judged by the majority, not by the longest line, so that one damaged (lengthened)
    row is reported as a bad row instead of making the whole table unreadable.
    """
    widths = {lay: _line_width(columns(cls, lay)) for lay in LAYOUTS}
    exact = {lay: sum(len(ln) == w for ln in lines) for lay, w in widths.items()}
    best = max(exact, key=lambda lay: exact[lay])
    if exact[best] > 0:
        return best
    # Trimmed trailing blanks: accept the narrowest layout most lines fit.
    for layout in sorted(LAYOUTS, key=lambda lay: widths[lay]):
        if 2 * sum(len(ln) <= widths[layout] for ln in lines) > len(lines):
            return layout
    try:
        return detect_layout(cls, max(lines, key=len))
    except TableError as exc:
        raise TableError(str(exc), file=name) from None


def parse_flat(
    lines: list[str], table: str, layout: str = "auto", problems: list[ReadProblem] | None = None,
    name: str = "",
) -> list[Record]:  # fmt: skip
    """Rows of a flat-file table given as text lines (see :func:`read_flat`)."""
    return _rows_from_flat(lines, table_of(table), name, layout, problems)


def _format_float(value: float, width: int, dec: int, oracle: bool) -> str | None:
    """``value`` in ``width`` characters with at least ``dec`` decimals, exactly if possible.

    Returns None when no rendering both fits and reads back as ``value``.
    """
    # The schema's decimals first, then more (precision), then fewer (a wide value whose
    # extra decimals are zeros, e.g. 26023.3 in f7.2).
    for d in (*range(dec, 16), *range(dec - 1, -1, -1)):
        text = f"{value:.{d}f}"
        if oracle:
            text = _strip_leading_zero(text)
        if len(text) <= width and float(text) == value:
            return text
    return None


def _strip_leading_zero(text: str) -> str:
    if text.startswith("0.") and len(text) > 2:
        return text[1:]
    if text.startswith("-0.") and len(text) > 3:
        return "-" + text[2:]
    return text


def _flat_field(value: Any, c: Column, oracle: bool, strict: bool) -> str:
    if c.kind == "a":
        text = str(value)
        if len(text) > c.width:
            raise TableError(f"{text!r} is longer than {c.width} characters", column=c.name)
        return text.ljust(c.width)
    if c.kind == "i":
        text = str(int(value))
        if len(text) > c.width:
            raise TableError(f"{text} does not fit in {c.width} digits", column=c.name)
        return text.rjust(c.width)
    exact = _format_float(float(value), c.width, c.decimals, oracle)
    if exact is not None:
        return exact.rjust(c.width)
    if strict:
        raise TableError(
            f"{value!r} cannot be written exactly in f{c.width}.{c.decimals}", column=c.name
        )
    text = f"{value:.{c.decimals}f}"
    text = _strip_leading_zero(text) if oracle else text
    if len(text) > c.width:
        raise TableError(f"{value!r} does not fit in f{c.width}.{c.decimals}", column=c.name)
    return text.rjust(c.width)


def write_flat(
    records: Sequence[Record],
    path: PathLike,
    layout: str = "css3.0",
    *,
    table: str | None = None,
    strict: bool = False,
) -> Path:
    """Write records as a fixed-width CSS3.0 flat file in ``layout`` (``css3.0`` or ``idc``).

    Floats keep every digit that fits; with ``strict=True`` a value that would be rounded
    raises :class:`TableError` instead (use it to prove a conversion lossless).
    """
    path = Path(path)
    cls = _class_of(records, table)
    cols = columns(cls, layout)
    oracle = layout == "idc"
    buf = io.StringIO()
    for i, r in enumerate(records, start=1):
        try:
            fields = [_flat_field(getattr(r, c.name), c, oracle, strict) for c in cols]
        except TableError as exc:
            raise TableError(str(exc), file=str(path), row=i) from None
        buf.write(" ".join(fields) + "\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
    return path


# ------------------------------------------------------------------------ convenience


def read_table(
    path: PathLike, table: str | None = None, problems: list[ReadProblem] | None = None
) -> list[Record]:
    """Read one table from a ``.csv`` file or a flat file named ``prefix.<table>``.

    With a ``problems`` list, bad rows are reported there and skipped instead of raising.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return read_csv(path, table, problems)
    return read_flat(path, table, problems=problems)


def read_records(
    path: PathLike, cls: type[R], problems: list[ReadProblem] | None = None
) -> list[R]:
    """Read the table of record class ``cls`` (e.g. ``Arrival``) from ``path``, typed as such.

    Like :func:`read_table` with ``table=cls.table``; the rows come back as ``list[cls]``
    so that callers need no casts.
    """
    return rows_of({cls.table: read_table(path, cls.table, problems)}, cls)


def rows_of(tables: Mapping[str, Iterable[Record]], cls: type[R]) -> list[R]:
    """The rows of ``cls``'s table in ``{table: rows}`` (as from :func:`read_tables`),
    typed as ``list[cls]``; empty when the table is absent."""
    return [r for r in tables.get(cls.table, ()) if isinstance(r, cls)]


def read_tables(
    source: PathLike,
    tables: Iterable[str] | None = None,
    problems: list[ReadProblem] | None = None,
) -> dict[str, list[Record]]:
    """Read every CSS3.0 table found at ``source``.

    ``source`` is a directory (``<table>.csv`` files, or flat files ``*.<table>``) or a
    flat-file prefix such as ``stations/ims_css30/ueb_test``. Returns ``{table: rows}`` for
    the tables present (restricted to ``tables`` when given).
    """
    source = Path(source)
    wanted = [t.lower() for t in (tables or TABLES)]
    found: dict[str, list[Record]] = {}
    for t in wanted:
        for cand in _candidates(source, t):
            if cand.is_file():
                found[t] = read_table(cand, t, problems)
                break
    return found


def _candidates(source: Path, table: str) -> list[Path]:
    if source.is_dir():
        return [source / f"{table}.csv", *sorted(source.glob(f"*.{table}"))]
    return [source.with_name(f"{source.name}.{table}"), source.with_name(f"{source.name}.csv")]


def write_tables(
    tables: Mapping[str, Sequence[Record]],
    directory: PathLike,
    *,
    flat_prefix: str | None = None,
    **flat_options: Any,
) -> list[Path]:
    """Write ``{table: rows}`` into ``directory``.

    By default as ``<table>.csv``; with ``flat_prefix="ueb"`` as flat files ``ueb.<table>``
    (``flat_options`` go to :func:`write_flat`, e.g. ``layout="idc"``).
    """
    directory = Path(directory)
    out = []
    for name, rows in tables.items():
        if flat_prefix is None:
            out.append(write_csv(rows, directory / f"{name}.csv", table=name))
        else:
            path = directory / f"{flat_prefix}.{name}"
            out.append(write_flat(rows, path, table=name, **flat_options))
    return out


def replace(record: Record, **changes: Any) -> Record:
    """A copy of ``record`` with ``changes`` (records are plain dataclasses)."""
    return dataclasses.replace(record, **changes)
