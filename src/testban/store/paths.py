"""Where the file of a stored ``wfdisc`` row lies, whatever the length of its path.

CSS3.0 gives a file's folder 64 characters (``wfdisc.dir``) and its name 32
(``wfdisc.dfile``). A checkout or archive in a deep folder does not fit, and a row that
cannot say where its samples are is a lost waveform. The store therefore writes a row
in one of two ways, never dropping it:

* **absolute** — the file's folder fits ``dir`` and its name fits ``dfile``: ``dir`` is
  the absolute folder, as any CSS3.0 tool reads it. Nothing else is written.
* **rooted** — otherwise: the archive root the file was found under is recorded once in
  ``wfroot`` (``rootid`` → absolute folder, any length), and ``wfpath`` links the row
  (``wfid`` → ``rootid`` and the file's path inside that root, any length). ``dir`` holds
  the folder relative to the root (``.`` for the root itself), as IDC ``wfdisc`` rows hold
  paths relative to a base folder the software is configured with; when even that
  relative folder is too long, the file's own folder becomes its root (``dir`` is
  ``.``). ``dfile`` holds the name, cut to 32 characters when longer; the ``wfpath`` path
  is the one read. An archive that moved is followed by updating its ``wfroot`` row.

Rows without a ``wfpath`` link (older stores, rows loaded from elsewhere) are read as
before: ``dir``/``dfile``, a relative ``dir`` taken from the working directory.

``wfroot`` and ``wfpath`` are testban's own tables (like ``run`` and ``lastid``); they are
created when first needed, so stores made before them open and read unchanged.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransactionOrigin

from testban.records.css30 import Wfdisc
from testban.store.db import _transaction, insert_tables, next_ids, read_rows
from testban.store.schema import TABLES_SQL

__all__ = [
    "DFILE_WIDTH",
    "DIR_WIDTH",
    "paths_metadata",
    "store_wfdiscs",
    "wfdisc_files",
    "wfpath_table",
    "wfroot_table",
]

#: CSS3.0 widths of ``wfdisc.dir`` and ``wfdisc.dfile`` (characters).
DIR_WIDTH, DFILE_WIDTH = 64, 32

#: The tables of this module, apart from the store's main schema: created on first write.
paths_metadata = sa.MetaData()

#: Archive roots of rooted ``wfdisc`` rows: ``rootid`` → absolute folder.
wfroot_table = sa.Table(
    "wfroot",
    paths_metadata,
    sa.Column("rootid", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("path", sa.Text, nullable=False, unique=True),
)

#: Rooted ``wfdisc`` rows: ``wfid`` → root and the file's path inside it (``/``-separated).
wfpath_table = sa.Table(
    "wfpath",
    paths_metadata,
    sa.Column("wfid", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("rootid", sa.Integer, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
)


class _Placement(NamedTuple):
    """How one file is written: ``dir``, ``dfile`` and, for a rooted row, root and path."""

    dir: str
    dfile: str
    root: str | None
    rel: str | None


def _place(file: Path, roots: Sequence[Path]) -> _Placement:
    """Absolute when it fits CSS3.0's widths, else rooted under the deepest root holding it."""
    folder, name = str(file.parent), file.name
    if len(folder) <= DIR_WIDTH and len(name) <= DFILE_WIDTH:
        return _Placement(folder, name, None, None)
    holders = [r for r in roots if file.is_relative_to(r)]
    root = max(holders, key=lambda r: len(r.parts), default=file.parent)
    inside = PurePosixPath(file.relative_to(root).as_posix())
    rel_dir = str(inside.parent)
    if len(rel_dir) > DIR_WIDTH:  # a deep tree inside the root: the folder is its own root
        root, inside, rel_dir = file.parent, PurePosixPath(name), "."
    return _Placement(rel_dir, name[:DFILE_WIDTH], str(root), str(inside))


def _has_tables(session: Session) -> bool:
    """Whether this store has the ``wfpath``/``wfroot`` tables (stores made before them don't)."""
    inspector = sa.inspect(session.connection())
    return all(inspector.has_table(t.name) for t in paths_metadata.sorted_tables)


def _css_path(row: Wfdisc) -> Path:
    """The file of a row read from ``dir``/``dfile`` alone."""
    return Path(row.dir) / row.dfile if row.dir not in ("", "-", ".") else Path(row.dfile)


def wfdisc_files(session: Session, rows: Iterable[Wfdisc]) -> dict[int, Path]:
    """The file of each row, by ``wfid``: through ``wfpath``/``wfroot`` for a rooted row,
    from ``dir``/``dfile`` for the others."""
    rows = list(rows)
    linked: dict[int, Path] = {}
    if rows and _has_tables(session):
        ids = sorted({r.wfid for r in rows})
        wp, wr = wfpath_table, wfroot_table
        for i in range(0, len(ids), 500):
            stmt = (
                sa.select(wp.c.wfid, wr.c.path, wp.c.path)
                .join(wr, wr.c.rootid == wp.c.rootid)
                .where(wp.c.wfid.in_(ids[i : i + 500]))
            )
            for wfid, root, rel in session.execute(stmt):
                linked[int(wfid)] = Path(root) / PurePosixPath(rel)
    return {r.wfid: linked.get(r.wfid) or _css_path(r) for r in rows}


def _root_id(session: Session, root: str) -> int:
    """The ``rootid`` of ``root``, recorded now if new (a concurrent writer's row is reused)."""
    wr = wfroot_table
    for _ in range(5):
        found = session.scalar(sa.select(wr.c.rootid).where(wr.c.path == root))
        if found is not None:
            return int(found)
        new = int(session.scalar(sa.select(sa.func.max(wr.c.rootid))) or 0) + 1
        try:
            with session.begin_nested():
                session.execute(sa.insert(wr).values(rootid=new, path=root))
            return new
        except sa.exc.IntegrityError:  # another writer took the id or the path: look again
            continue
    raise RuntimeError(f"could not record the waveform root {root!r} in wfroot")


def store_wfdiscs(
    session: Session, rows: Sequence[Wfdisc], roots: Iterable[str | os.PathLike[str]] = ()
) -> int:
    """Record ``rows`` (``dir`` the file's absolute folder, any length; ``dfile`` its name)
    in one transaction, each as absolute or rooted (see the module); ``roots`` are the
    archive roots the files were found under. A row whose file, station and channel are
    stored already is skipped. Returns the number of rows written."""
    if not rows:
        return 0
    root_paths = [Path(r).absolute() for r in roots]
    placed = [(r, Path(r.dir, r.dfile).absolute()) for r in rows]
    plans = {file: _place(file, root_paths) for _, file in placed}
    wf = TABLES_SQL["wfdisc"]
    tx = session.get_transaction()
    if tx is not None and tx.origin is SessionTransactionOrigin.AUTOBEGIN:
        session.commit()  # reads only, or work _transaction would commit anyway: the writes
        # below nest in one transaction of their own (or in the one the caller began)
    with _transaction(session):
        paths_metadata.create_all(session.connection(), checkfirst=True)
        names = sorted({p.dfile for p in plans.values()})
        have: set[tuple[str, str, str]] = set()
        for i in range(0, len(names), 500):
            old = [r for r in read_rows(session, "wfdisc", wf.c.dfile.in_(names[i : i + 500]))
                   if isinstance(r, Wfdisc)]  # fmt: skip
            files = wfdisc_files(session, old)
            have |= {(str(Path(files[r.wfid]).absolute()), r.sta, r.chan) for r in old}
        new: list[tuple[Wfdisc, _Placement]] = []
        for row, file in placed:
            key = (str(file), row.sta, row.chan)
            if key not in have:
                have.add(key)
                new.append((row, plans[file]))
        if not new:
            return 0
        ids = next_ids(session, "wfid", len(new))
        root_ids = {p.root: _root_id(session, p.root) for _, p in new if p.root is not None}
        records = [
            dataclasses.replace(row, wfid=i, dir=p.dir, dfile=p.dfile)
            for (row, p), i in zip(new, ids, strict=True)
        ]
        insert_tables(session, {"wfdisc": records})
        links = [
            {"wfid": i, "rootid": root_ids[p.root], "path": p.rel}
            for (_, p), i in zip(new, ids, strict=True)
            if p.root is not None
        ]
        for i in range(0, len(links), 500):
            session.execute(sa.insert(wfpath_table), links[i : i + 500])
    return len(new)
