"""Event queries with the FDSN event service's filters, in SQL on SQLite and PostgreSQL.

Time, box, depth and magnitude filters, ordering and limits are SQL. A radius around a
point is a bounding box in SQL (latitude band; longitude band widened by 1/cos φ, or every
longitude near a pole) refined with the exact great-circle distance in Python, so both
back-ends need nothing beyond standard SQL.

An *event* is an origin that is some event's preferred origin, or an origin whose
``evid`` has no ``event`` row (the automatic pipeline may write origins only). Its
magnitude is the origin's ``mb``, else ``ms``, else ``ml`` (the CSS3.0 origin columns),
unless ``magnitudetype`` selects ``netmag`` rows of one type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from testban.records.css30 import Netmag, Origerr, Origin
from testban.store.schema import TABLES_SQL, row_to_record

_O = TABLES_SQL["origin"]
_E = TABLES_SQL["event"]
_ERR = TABLES_SQL["origerr"]
_NM = TABLES_SQL["netmag"]

#: Accepted ``orderby`` values (as the FDSN event service names them).
ORDERINGS = ("time", "time-asc", "magnitude", "magnitude-asc")


@dataclass(slots=True)
class StoredEvent:
    """One event found by :func:`query_events`: origin, uncertainty, magnitudes."""

    origin: Origin
    origerr: Origerr | None
    magnitude: float | None
    magtype: str | None
    netmags: list[Netmag] = field(default_factory=list)
    distance: float | None = None  # degrees from the query point, when a radius was given


def great_circle(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in degrees (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return math.degrees(2 * math.asin(min(1.0, math.sqrt(h))))


def preferred_magnitude() -> sa.ColumnElement[float]:
    """SQL: the origin's mb, else ms, else ml, else NULL."""
    return sa.case(
        (_O.c.mb > -999.0, _O.c.mb),
        (_O.c.ms > -999.0, _O.c.ms),
        (_O.c.ml > -999.0, _O.c.ml),
        else_=sa.null(),
    )


def preferred_magtype() -> sa.ColumnElement[str]:
    """SQL: the name of :func:`preferred_magnitude`'s choice (``mb``, ``ms``, ``ml``)."""
    return sa.case(
        (_O.c.mb > -999.0, "mb"),
        (_O.c.ms > -999.0, "ms"),
        (_O.c.ml > -999.0, "ml"),
        else_=sa.null(),
    )


def _events_only() -> sa.ColumnElement[bool]:
    has_event = sa.exists(sa.select(_E.c.evid).where(_E.c.evid == _O.c.evid))
    return sa.or_(_O.c.orid.in_(sa.select(_E.c.prefor)), ~has_event)


def _lon_band(lo: float, hi: float) -> sa.ColumnElement[bool]:
    """Longitudes from ``lo`` eastwards to ``hi`` (degrees, any range), dateline-aware."""
    if hi - lo >= 360.0:
        return sa.true()
    lo = (lo + 180.0) % 360.0 - 180.0
    hi = (hi + 180.0) % 360.0 - 180.0
    if lo <= hi:
        return _O.c.lon.between(lo, hi)
    return sa.or_(_O.c.lon >= lo, _O.c.lon <= hi)


def _radius_box(lat: float, lon: float, radius: float) -> sa.ColumnElement[bool]:
    lat_lo, lat_hi = lat - radius, lat + radius
    cond = _O.c.lat.between(max(lat_lo, -90.0), min(lat_hi, 90.0))
    if lat_lo <= -90.0 or lat_hi >= 90.0 or radius >= 90.0:
        return cond
    # Widest longitude reach of a small circle: asin(sin r / cos φ).
    s = math.sin(math.radians(radius)) / math.cos(math.radians(lat))
    dlon = 180.0 if s >= 1.0 else math.degrees(math.asin(s)) + 1e-9
    return sa.and_(cond, _lon_band(lon - dlon, lon + dlon))


def query_events(
    session: Session,
    *,
    where: sa.ColumnElement[bool] | None = None,
    starttime: float | None = None,
    endtime: float | None = None,
    minlatitude: float | None = None,
    maxlatitude: float | None = None,
    minlongitude: float | None = None,
    maxlongitude: float | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    minradius: float = 0.0,
    maxradius: float | None = None,
    mindepth: float | None = None,
    maxdepth: float | None = None,
    minmagnitude: float | None = None,
    maxmagnitude: float | None = None,
    magnitudetype: str | None = None,
    auth: str | None = None,
    eventid: int | None = None,
    orderby: str = "time",
    limit: int | None = None,
    offset: int = 0,
    preferred_only: bool = True,
    include_netmags: bool = True,
) -> list[StoredEvent]:
    """Events matching every filter given (FDSN event service semantics).

    Times are epoch seconds, ``[starttime, endtime]``; angles and radii in degrees; depths
    in km; ``minlongitude > maxlongitude`` is a box across the date line. With ``latitude``
    and ``longitude``, ``minradius``/``maxradius`` bound the great-circle distance.
    ``magnitudetype`` (case-insensitive, e.g. ``mb_ave``) filters and sorts on that
    ``netmag`` type; otherwise on the origin's preferred magnitude. ``orderby`` is one of
    :data:`ORDERINGS`; ``limit``/``offset`` apply after every filter. ``where`` is one more
    SQL condition on the ``origin`` table (e.g. on ``etype``), ANDed with the filters.
    """
    if orderby not in ORDERINGS:
        raise ValueError(f"orderby must be one of {ORDERINGS}, not {orderby!r}")
    if magnitudetype:
        mag_sub = (
            sa.select(sa.func.max(_NM.c.magnitude))
            .where(_NM.c.orid == _O.c.orid, sa.func.lower(_NM.c.magtype) == magnitudetype.lower())
            .scalar_subquery()
        )
        mag: sa.ColumnElement[float] = mag_sub
        mtype: sa.ColumnElement[str] = sa.literal(magnitudetype)
    else:
        mag, mtype = preferred_magnitude(), preferred_magtype()
    stmt = sa.select(_O, mag.label("pref_mag"), mtype.label("pref_magtype"))
    conds: list[sa.ColumnElement[bool]] = [] if where is None else [where]
    if preferred_only:
        conds.append(_events_only())
    if starttime is not None:
        conds.append(_O.c.time >= starttime)
    if endtime is not None:
        conds.append(_O.c.time <= endtime)
    if minlatitude is not None:
        conds.append(_O.c.lat >= minlatitude)
    if maxlatitude is not None:
        conds.append(_O.c.lat <= maxlatitude)
    if minlongitude is not None or maxlongitude is not None:
        lo = -180.0 if minlongitude is None else minlongitude
        hi = 180.0 if maxlongitude is None else maxlongitude
        conds.append(_lon_band(lo, hi) if lo <= hi else sa.or_(_O.c.lon >= lo, _O.c.lon <= hi))
    conds.append(_O.c.lat > -999.0)
    radius = latitude is not None and longitude is not None and maxradius is not None
    if (latitude is None) != (longitude is None):
        raise ValueError("latitude and longitude go together")
    if radius:
        assert latitude is not None and longitude is not None and maxradius is not None
        conds.append(_radius_box(latitude, longitude, maxradius))
    if mindepth is not None:
        conds.append(_O.c.depth >= mindepth)
    if maxdepth is not None:
        conds.append(_O.c.depth <= maxdepth)
    if minmagnitude is not None:
        conds.append(mag >= minmagnitude)
    if maxmagnitude is not None:
        conds.append(mag <= maxmagnitude)
    if magnitudetype and minmagnitude is None and maxmagnitude is None:
        conds.append(mag.is_not(None))
    if auth is not None:
        conds.append(_O.c.auth == auth)
    if eventid is not None:
        conds.append(sa.or_(_O.c.evid == eventid, _O.c.orid == eventid))
    stmt = stmt.where(*conds)
    if orderby.startswith("magnitude"):
        key = mag.asc() if orderby.endswith("asc") else mag.desc()
        # Events without a magnitude last, either way.
        stmt = stmt.order_by(mag.is_(None).asc(), key, _O.c.time.desc(), _O.c.orid)
    else:
        tkey = _O.c.time.asc() if orderby == "time-asc" else _O.c.time.desc()
        stmt = stmt.order_by(tkey, _O.c.orid)
    if not radius:
        if offset:
            stmt = stmt.offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
    found: list[StoredEvent] = []
    skipped = 0
    for row in session.execute(stmt):
        origin = row_to_record("origin", row)
        assert isinstance(origin, Origin)
        dist = None
        if radius:
            assert latitude is not None and longitude is not None and maxradius is not None
            dist = great_circle(latitude, longitude, origin.lat, origin.lon)
            if not minradius <= dist <= maxradius:
                continue
            if skipped < offset:
                skipped += 1
                continue
        m = row._mapping
        found.append(StoredEvent(origin, None, m["pref_mag"], m["pref_magtype"], [], dist))
        if radius and limit is not None and len(found) >= limit:
            break
    _attach(session, found, include_netmags)
    return found


def _attach(session: Session, events: list[StoredEvent], netmags: bool) -> None:
    if not events:
        return
    by_orid = {e.origin.orid: e for e in events}
    ids = list(by_orid)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for r in session.execute(sa.select(_ERR).where(_ERR.c.orid.in_(chunk))):
            err = row_to_record("origerr", r)
            assert isinstance(err, Origerr)
            by_orid[err.orid].origerr = err
        if netmags:
            stmt = sa.select(_NM).where(_NM.c.orid.in_(chunk)).order_by(_NM.c.magid)
            for r in session.execute(stmt):
                nm = row_to_record("netmag", r)
                assert isinstance(nm, Netmag)
                by_orid[nm.orid].netmags.append(nm)


def count_events(session: Session, **filters: object) -> int:
    """Number of events :func:`query_events` would return without a limit."""
    filters = {k: v for k, v in filters.items() if k not in ("limit", "offset")}
    return len(query_events(session, include_netmags=False, **filters))  # type: ignore[arg-type]
