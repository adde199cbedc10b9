"""SQLAlchemy tables of the CSS3.0 schema, derived from :mod:`testban.records.css30`.

Every column comes from the record dataclasses: its name, its kind (``a`` → ``VARCHAR`` as
wide as the wider of the CSS3.0 and IDC formats, ``i`` → ``INTEGER``/``BIGINT``, ``f`` →
``DOUBLE PRECISION``) and its CSS3.0 null value (stored as is, so that a row reads back
as the record it was written from; columns are ``NOT NULL`` as in CSS3.0). Only the keys
and indexes are declared here. Tables of testban's own: ``run`` (processing state per
window, so that a run can resume), ``lastid`` (CSS3.0's id counters), ``users`` and
``review_audit`` (analyst review, :mod:`testban.review`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa

from testban.records.css30 import TABLES, Record

#: The store's schema; ``metadata.create_all(engine)`` creates every table.
metadata = sa.MetaData()

#: Primary key of each CSS3.0 table (CSS3.0 keys; ``stamag`` adds ``arid`` so that one
#: station may contribute two phases, ``affiliation`` the IDC's ``time``).
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "site": ("sta", "ondate"),
    "sitechan": ("sta", "chan", "ondate"),
    "affiliation": ("net", "sta", "time"),
    "network": ("net",),
    "instrument": ("inid",),
    "sensor": ("sta", "chan", "time", "endtime"),
    "wfdisc": ("wfid",),
    "arrival": ("arid",),
    "assoc": ("arid", "orid"),
    "origin": ("orid",),
    "origerr": ("orid",),
    "netmag": ("magid",),
    "stamag": ("magid", "sta", "arid"),
    "amplitude": ("ampid",),
    "event": ("evid",),
    "screen": ("orid", "criterion"),
    "evchar": ("orid", "param"),
    # radionuclide tables (testban.records.gards), keyed by sample
    "gards_sample_data": ("sample_id",),
    "gards_peaks": ("sample_id", "peak_id"),
    "gards_nucl_ided": ("sample_id", "name"),
    "gards_nucl_lines_ided": ("sample_id", "name", "energy"),
    "gards_sample_cat": ("sample_id", "name"),
    "gards_bg_isotope_concs": ("sample_id", "name"),
    "gards_air_conc": ("location", "collect_start", "seq", "name"),
}

#: Secondary indexes: the columns queries select on (time, place, owning origin, author).
INDEXES: dict[str, tuple[tuple[str, ...], ...]] = {
    "wfdisc": (("sta", "chan", "time"), ("endtime",)),
    "arrival": (("time",), ("sta", "time"), ("auth",)),
    "assoc": (("orid",),),
    "origin": (("time",), ("lat", "lon"), ("evid",), ("auth", "time"), ("mb",)),
    "netmag": (("orid",), ("evid",)),
    "stamag": (("orid",), ("arid",)),
    "amplitude": (("arid",),),
    "event": (("prefor",),),
    "gards_sample_data": (("sta", "acquisition_start"), ("collect_stop",), ("dfile",)),
    "gards_air_conc": (("collect_start",),),
}


def _width(meta: Any) -> tuple[str, int]:
    widths = []
    for key in ("fmt", "idc"):
        fmt = meta[key]
        widths.append(int(fmt[1:].partition(".")[0]))
    return meta["fmt"][0], max(widths)


def _column(f: dataclasses.Field[Any], primary: bool) -> sa.Column[Any]:
    kind, width = _width(f.metadata)
    ctype: sa.types.TypeEngine[Any]
    if kind == "a":
        ctype = sa.String(width)
    elif kind == "i":
        ctype = sa.BigInteger() if width > 9 else sa.Integer()
    else:
        ctype = sa.Double()
    return sa.Column(
        f.name,
        ctype,
        primary_key=primary,
        autoincrement=False,
        nullable=False,
        default=f.default,
    )


def _table(cls: type[Record]) -> sa.Table:
    keys = PRIMARY_KEYS[cls.table]
    cols = [_column(f, f.name in keys) for f in dataclasses.fields(cls)]
    table = sa.Table(cls.table, metadata, *cols)
    for names in INDEXES.get(cls.table, ()):
        sa.Index(f"ix_{cls.table}_{'_'.join(names)}", *(table.c[n] for n in names))
    return table


#: SQLAlchemy table of each CSS3.0 table, by name (``TABLES["origin"]``).
TABLES_SQL: dict[str, sa.Table] = {name: _table(cls) for name, cls in TABLES.items()}

#: Processing state: one row per window attempt of a run (``testban run`` resumes from it).
run_table = sa.Table(
    "run",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("label", sa.String(64), nullable=False, default=""),
    sa.Column("started", sa.Double, nullable=False),
    sa.Column("finished", sa.Double, nullable=True),
    sa.Column("tstart", sa.Double, nullable=False),
    sa.Column("tend", sa.Double, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="running"),
    sa.Column("auth", sa.String(15), nullable=False, default="-"),
    sa.Column("counts", sa.Text, nullable=False, default="{}"),
    sa.Column("report", sa.Text, nullable=False, default=""),
    sa.Index("ix_run_label_tstart", "label", "tstart"),
)

#: CSS3.0 ``lastid``: the last id handed out per key (``arid``, ``orid``, ``magid`` …).
lastid_table = sa.Table(
    "lastid",
    metadata,
    sa.Column("keyname", sa.String(15), primary_key=True),
    sa.Column("keyvalue", sa.BigInteger, nullable=False),
    sa.Column("lddate", sa.String(17), nullable=False, default="-"),
)


def record_to_row(record: Record) -> dict[str, Any]:
    """A record as a ``{column: value}`` mapping for an INSERT."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def row_to_record(table: str, row: Any) -> Record:
    """The record of CSS3.0 ``table`` from a result row (mapping or ``Row``)."""
    cls = TABLES[table]
    mapping = row._mapping if hasattr(row, "_mapping") else row
    return cls(**{f.name: mapping[f.name] for f in dataclasses.fields(cls)})


#: Who may use the service: a name (the ``auth`` of the rows an analyst writes, so at most
#: 15 characters as CSS3.0's ``auth``), a role (viewer, analyst, admin) and an argon2 hash.
users_table = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(15), primary_key=True),
    sa.Column("role", sa.String(8), nullable=False),
    sa.Column("hash", sa.String(255), nullable=False),
    sa.Column("created", sa.Double, nullable=False),
)

#: One row per analyst review action: who, when, what, the preferred origin before and
#: after (``-1``: none), and a JSON document of the before/after state and parameters.
review_audit_table = sa.Table(
    "review_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("time", sa.Double, nullable=False),
    sa.Column("user", sa.String(15), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("evid", sa.BigInteger, nullable=False),
    sa.Column("orid_before", sa.BigInteger, nullable=False, default=-1),
    sa.Column("orid_after", sa.BigInteger, nullable=False, default=-1),
    sa.Column("details", sa.Text, nullable=False, default="{}"),
    sa.Index("ix_review_audit_evid", "evid"),
    sa.Index("ix_review_audit_orid_after", "orid_after"),
)
