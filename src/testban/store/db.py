"""Opening a store, writing and reading CSS3.0 rows, run state and ids.

A store is a database URL: a plain path (``bulletin.sqlite``) or ``sqlite:///path`` is an
SQLite file, anything else (``postgresql+psycopg://user:pw@host/db``) is handed to
SQLAlchemy. The schema is created on open.

Writes that must be all-or-nothing take a :class:`~sqlalchemy.orm.Session` and run inside
one transaction, committed when they return (a savepoint, committed by the caller, inside
a transaction the caller began with ``session.begin()``): an exception inside leaves the
store as it was. Windows replaced with their ids kept are in :mod:`testban.store.windows`.
"""

from __future__ import annotations

import json
import os
import time as _time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransactionOrigin, sessionmaker

from testban.records.css30 import Record
from testban.store.schema import (
    TABLES_SQL,
    lastid_table,
    metadata,
    record_to_row,
    row_to_record,
    run_table,
)

#: Tables of a bulletin that belong to an origin (deleted with it when a window is redone).
ORIGIN_CHILDREN = ("assoc", "origerr", "netmag", "stamag", "screen", "evchar")

#: Rows per INSERT statement (keeps SQLite under its bound-parameter limit).
_CHUNK = 500


class StoreError(RuntimeError):
    """A write was refused (rows outside their window, unknown table, bad URL)."""


def store_url(target: str | os.PathLike[str]) -> str:
    """The SQLAlchemy URL of ``target``: a URL as is, a file path as an SQLite URL."""
    text = os.fspath(target)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def open_engine(target: str | os.PathLike[str], *, create: bool = True, **kwargs: Any) -> sa.Engine:
    """An engine on the store at ``target`` (file path or URL), schema created if missing.

    SQLite is set up for real transactions (``BEGIN`` emitted by SQLAlchemy, savepoints
    work, DDL is transactional) and waits up to 30 s for another writer's lock.
    """
    url = store_url(target)
    is_sqlite = url.startswith("sqlite")
    if is_sqlite:
        kwargs.setdefault("connect_args", {"timeout": 30})
        path = sa.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = sa.create_engine(url, **kwargs)
    if is_sqlite:
        _sqlite_transactions(engine)
    if create:
        metadata.create_all(engine)
    return engine


def _sqlite_transactions(engine: sa.Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, decide where transactions begin."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")


class Store:
    """A store: an engine and a session factory (``with store.session() as s: ...``)."""

    def __init__(self, target: str | os.PathLike[str] | sa.Engine, **engine_kwargs: Any):
        if isinstance(target, sa.Engine):
            self.engine = target
            metadata.create_all(target)
        else:
            self.engine = open_engine(target, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        """The URL, password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session; closed (uncommitted work rolled back) on exit."""
        with self.sessions() as session:
            yield session

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(target: str | os.PathLike[str], **engine_kwargs: Any) -> Store:
    """Open (and create if needed) the store at a file path or database URL."""
    return Store(target, **engine_kwargs)


@contextmanager
def _transaction(session: Session) -> Iterator[None]:
    """All-or-nothing work, committed here unless the caller has begun a transaction.

    No transaction: a new one, committed on exit. A transaction the caller began
    (``with session.begin():``): a savepoint; the caller commits. A transaction the session
    began by itself (an earlier query): a savepoint, then the whole transaction is
    committed. An exception rolls back to where the work started and propagates.
    """
    tx = session.get_transaction()
    if tx is None:
        with session.begin():
            yield
        return
    with session.begin_nested():
        yield
    if tx.origin is SessionTransactionOrigin.AUTOBEGIN:
        session.commit()


# ------------------------------------------------------------------------ rows in and out


def _table(name: str) -> sa.Table:
    try:
        return TABLES_SQL[name]
    except KeyError:
        raise StoreError(f"unknown CSS3.0 table {name!r}; known: {', '.join(TABLES_SQL)}") from None


def _insert(session: Session, name: str, rows: Iterable[Record]) -> int:
    table = _table(name)
    values = [record_to_row(r) for r in rows]
    for i in range(0, len(values), _CHUNK):
        session.execute(sa.insert(table), values[i : i + _CHUNK])
    return len(values)


def insert_tables(session: Session, tables: Mapping[str, Iterable[Record]]) -> dict[str, int]:
    """Insert ``{table: rows}`` in one transaction; returns rows written per table.

    A row whose key exists already fails the whole write (nothing is inserted).
    """
    counts = {}
    with _transaction(session):
        for name, rows in tables.items():
            counts[name] = _insert(session, name, rows)
    return counts


def replace_origin_rows(
    session: Session, tables: Mapping[str, Iterable[Record]], orids: Iterable[int]
) -> dict[str, int]:
    """Replace the rows of ``tables`` (each keyed by ``orid``, e.g. ``screen``) that belong
    to ``orids`` by the given rows, in one transaction: re-screening never duplicates."""
    ids = sorted({int(i) for i in orids})
    counts = {}
    with _transaction(session):
        for name, rows in tables.items():
            t = _table(name)
            for i in range(0, len(ids), _CHUNK):
                _delete(session, t, t.c.orid.in_(ids[i : i + _CHUNK]))
            counts[name] = _insert(session, name, rows)
    return counts


def read_rows(
    session: Session,
    table: str,
    where: sa.ColumnElement[bool] | None = None,
    order_by: Sequence[str] = (),
) -> list[Record]:
    """Rows of CSS3.0 ``table`` as records (filtered by an SQL ``where`` on its columns)."""
    t = _table(table)
    stmt = sa.select(t)
    if where is not None:
        stmt = stmt.where(where)
    keys = order_by or [c.name for c in t.primary_key.columns]
    stmt = stmt.order_by(*(t.c[k] for k in keys))
    return [row_to_record(table, r) for r in session.execute(stmt)]


def count_rows(session: Session, table: str) -> int:
    """Number of rows in ``table`` (a CSS3.0 table, ``run`` or ``lastid``)."""
    t = TABLES_SQL[table] if table in TABLES_SQL else metadata.tables[table]
    return int(session.scalar(sa.select(sa.func.count()).select_from(t)) or 0)


def load_bulletin(session: Session, orids: Iterable[int] | None = None) -> dict[str, list[Record]]:
    """The bulletin tables of ``orids`` (every origin when None): ``{table: rows}``.

    Includes ``origin``, ``origerr``, ``assoc``, ``arrival`` (the associated ones),
    ``netmag``, ``stamag``, ``amplitude`` (of those arrivals) and ``event``.
    """
    o = TABLES_SQL["origin"]
    ids = None if orids is None else sorted({int(i) for i in orids})
    out: dict[str, list[Record]] = {}
    chunks = [None] if ids is None else [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    for chunk in chunks:

        def sel(t: sa.Table, col: str = "orid", _c: list[int] | None = chunk) -> Any:
            return None if _c is None else t.c[col].in_(_c)

        part: dict[str, list[Record]] = {"origin": read_rows(session, "origin", sel(o))}
        for name in ORIGIN_CHILDREN:
            part[name] = read_rows(session, name, sel(TABLES_SQL[name]))
        assoc = TABLES_SQL["assoc"]
        arids = sa.select(assoc.c.arid)
        if chunk is not None:
            arids = arids.where(assoc.c.orid.in_(chunk))
        part["arrival"] = read_rows(session, "arrival", TABLES_SQL["arrival"].c.arid.in_(arids))
        amp = TABLES_SQL["amplitude"]
        part["amplitude"] = read_rows(session, "amplitude", amp.c.arid.in_(arids))
        ev = TABLES_SQL["event"]
        evids = sa.select(o.c.evid)
        if chunk is not None:
            evids = evids.where(o.c.orid.in_(chunk))
        part["event"] = read_rows(session, "event", ev.c.evid.in_(evids))
        for name, rows in part.items():
            out.setdefault(name, []).extend(rows)
    # An arrival associated with two origins of one chunk set is listed once.
    for name, key in (("arrival", "arid"), ("amplitude", "ampid"), ("event", "evid")):
        seen: dict[Any, Record] = {}
        for r in out.get(name, []):
            seen.setdefault(getattr(r, key), r)
        out[name] = list(seen.values())
    return out


def _delete(session: Session, table: sa.Table, where: sa.ColumnElement[bool]) -> int:
    result = session.execute(sa.delete(table).where(where))
    return int(getattr(result, "rowcount", 0) or 0)


# ------------------------------------------------------------------------- run state


class RunRow(NamedTuple):
    """One window attempt of a processing run (a row of table ``run``)."""

    id: int
    label: str
    started: float
    finished: float | None
    tstart: float
    tend: float
    status: str
    auth: str
    counts: dict[str, Any]
    report: str


def start_run(session: Session, t0: float, t1: float, *, label: str = "", auth: str = "-") -> int:
    """Record (and commit) that window ``[t0, t1)`` of run ``label`` started; its id."""
    with _transaction(session):
        result = session.execute(
            sa.insert(run_table).values(
                label=label, started=_time.time(), tstart=t0, tend=t1, status="running",
                auth=auth, counts="{}", report="",
            )
        )  # fmt: skip
        run_id = int(result.inserted_primary_key[0])  # type: ignore[attr-defined]
    return run_id


def finish_run(
    session: Session,
    run_id: int,
    status: str = "done",
    counts: Mapping[str, Any] | None = None,
    report: str = "",
) -> None:
    """Record (and commit) the end of a window attempt: ``done``, ``failed`` …"""
    with _transaction(session):
        _finish(session, run_id, status, counts, report)


def _finish(
    session: Session, run_id: int, status: str, counts: Mapping[str, Any] | None, report: str
) -> None:
    result = session.execute(
        sa.update(run_table)
        .where(run_table.c.id == run_id)
        .values(
            finished=_time.time(), status=status, counts=json.dumps(dict(counts or {})),
            report=report,
        )
    )  # fmt: skip
    if not getattr(result, "rowcount", 0):
        raise StoreError(f"no run with id {run_id}")


def runs(session: Session, label: str | None = None, status: str | None = None) -> list[RunRow]:
    """Window attempts (of run ``label``, with ``status``), in window order."""
    stmt = sa.select(run_table).order_by(run_table.c.tstart, run_table.c.id)
    if label is not None:
        stmt = stmt.where(run_table.c.label == label)
    if status is not None:
        stmt = stmt.where(run_table.c.status == status)
    out = []
    for r in session.execute(stmt):
        m = dict(r._mapping)
        m["counts"] = json.loads(m["counts"] or "{}")
        out.append(RunRow(**m))
    return out


def window_done(session: Session, t0: float, t1: float, label: str = "") -> bool:
    """Whether window ``[t0, t1)`` of run ``label`` has a ``done`` attempt (resume skips it)."""
    stmt = sa.select(sa.func.count()).where(
        run_table.c.label == label,
        run_table.c.tstart == t0,
        run_table.c.tend == t1,
        run_table.c.status == "done",
    )
    return bool(session.scalar(stmt))


# ------------------------------------------------------------------------------- ids


def next_ids(session: Session, keyname: str, count: int = 1) -> range:
    """Reserve ``count`` new ids for ``keyname`` (``orid``, ``arid`` …), committed at once.

    Ids come from CSS3.0's ``lastid`` table, seeded from the largest id already stored,
    so that windows processed one after another (or by several writers) never collide.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    with _transaction(session):
        stmt = sa.select(lastid_table.c.keyvalue).where(lastid_table.c.keyname == keyname)
        if session.get_bind().dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        last = session.scalar(stmt)
        if last is None:
            last = _max_stored(session, keyname)
            session.execute(sa.insert(lastid_table).values(keyname=keyname, keyvalue=last))
        session.execute(
            sa.update(lastid_table)
            .where(lastid_table.c.keyname == keyname)
            .values(keyvalue=last + count)
        )
    return range(last + 1, last + 1 + count)


def _max_stored(session: Session, keyname: str) -> int:
    best = 0
    for t in TABLES_SQL.values():
        if keyname in t.c and t.c[keyname].primary_key:
            best = max(best, int(session.scalar(sa.select(sa.func.max(t.c[keyname]))) or 0))
    return best
