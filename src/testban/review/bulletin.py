"""The reviewed bulletin (LEB/REB-like) beside the automatic one (SEL-like).

The *reviewed bulletin* is every event whose preferred origin an analyst wrote (an
``orid_after`` of ``review_audit``) and did not reject; the *automatic bulletin* of an
author is every origin of that author (``testban`` by default), whatever an analyst later
made of the event, so reviewing never changes it.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from testban.bulletin import write_bulletin
from testban.records.css30 import Event, Origin, Record
from testban.review.actions import REJECTED
from testban.store import TABLES_SQL, load_bulletin
from testban.store.schema import review_audit_table

#: The FDSN ``catalog`` value that selects the reviewed bulletin.
REVIEWED_CATALOG = "reviewed"


def reviewed_condition() -> sa.ColumnElement[bool]:
    """SQL on ``origin``: an analyst's version that is not a rejection."""
    o = TABLES_SQL["origin"]
    return sa.and_(o.c.orid.in_(sa.select(review_audit_table.c.orid_after)), o.c.etype != REJECTED)


def reviewed_orids(session: Session) -> list[int]:
    """Preferred orids of the reviewed bulletin's events, in time order."""
    o, e = TABLES_SQL["origin"], TABLES_SQL["event"]
    stmt = (
        sa.select(o.c.orid)
        .where(o.c.orid.in_(sa.select(e.c.prefor)), reviewed_condition())
        .order_by(o.c.time, o.c.orid)
    )
    return [int(x) for x in session.scalars(stmt)]


def reviewed_bulletin(session: Session) -> dict[str, list[Record]]:
    """The reviewed bulletin's tables (origin, origerr, assoc, arrival, netmag …)."""
    return load_bulletin(session, reviewed_orids(session))


def automatic_bulletin(session: Session, auth: str = "testban") -> dict[str, list[Record]]:
    """Every origin of ``auth`` with its rows; each origin is its event's preferred one."""
    o = TABLES_SQL["origin"]
    orids = [int(x) for x in session.scalars(sa.select(o.c.orid).where(o.c.auth == auth))]
    tables = load_bulletin(session, orids)
    tables["event"] = [
        Event(evid=r.evid, prefor=r.orid, auth=r.auth)
        for r in tables["origin"]
        if isinstance(r, Origin)
    ]
    return tables


def write_reviewed(
    session: Session, out: str | os.PathLike[str], fmt: str = "ims1.0", *, auth: str | None = None
) -> tuple[Path, int]:
    """Write the reviewed bulletin (or, with ``auth``, that automatic bulletin) as
    ``fmt`` (IMS1.0, QuakeML, CSV, GeoJSON); returns the path and the number of events."""
    tables = reviewed_bulletin(session) if auth is None else automatic_bulletin(session, auth)
    return write_bulletin(tables, out, fmt), len(tables.get("origin", []))
