"""The FDSN event web service 1.x: ``/fdsnws/event/1/{query,version,application.wadl,…}``.

``query`` parses its parameters strictly (:mod:`testban.service.params`), asks the store
(:func:`testban.store.query_events`) and writes QuakeML through the bulletin module
(:func:`testban.bulletin.to_catalog`) or the FDSN text format. Errors follow the FDSN
specification: a plain-text body starting ``Error 400: Bad Request``; no data is 204
(or 404 with ``nodata=404``); more events than the service hands out at once is 413.
"""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime
from xml.sax.saxutils import escape

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from testban.bulletin import to_catalog
from testban.review.bulletin import REVIEWED_CATALOG, reviewed_condition
from testban.service.eventtypes import etype_condition, quakeml_type, screening_condition
from testban.service.fdsn_common import wadl as common_wadl
from testban.service.params import (
    PARAMETERS,
    BadRequest,
    EventQuery,
    openapi_parameters,
    parse_query,
)
from testban.service.present import event_name, fmt, iso_time, text
from testban.store import TABLES_SQL, Store, StoredEvent, load_bulletin, query_events

#: Version of the FDSN event specification this service implements.
SERVICE_VERSION = "1.2.0"

#: Columns of the FDSN text format (1.2: ``EventType`` last, the QuakeML event type).
TEXT_HEADER = (
    "#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|"
    "MagType|Magnitude|MagAuthor|EventLocationName|EventType"
)

#: ObsPy's event classes share a process-wide resource-id registry that is not thread-safe
#: (concurrent catalogs fail with KeyError in ``_ResourceKey``); requests run in a thread
#: pool, so catalogs are built and written one at a time.
_OBSPY_EVENT_LOCK = threading.Lock()

_STATUS = {
    400: "Bad Request",
    404: "Not Found",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class FDSNError(Exception):
    """An error answered with an FDSN error document."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(request: Request, status: int, message: str) -> PlainTextResponse:
    """The FDSN error document for ``status`` with ``message``."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    body = (
        f"Error {status}: {_STATUS.get(status, 'Error')}\n\n{message}\n\n"
        f"Usage details are available from {request.url_for('fdsn_index')}\n\n"
        f"Request:\n{request.url}\n\n"
        f"Request Submitted:\n{now}\n\n"
        f"Service version:\n{SERVICE_VERSION}\n"
    )
    return PlainTextResponse(body, status_code=status)


def wadl(base_url: str) -> str:
    """The WADL of the event service at ``base_url`` (ending in ``/fdsnws/event/1/``)."""
    return common_wadl(
        base_url, PARAMETERS, ("application/xml", "text/plain"), root_media="text/html",
        post=False, errors="204 400 404 413 500 503",
        resources=(("catalogs", "application/xml"), ("contributors", "application/xml")),
    )  # fmt: skip


def text_rows(events: list[StoredEvent], catalog: str) -> str:
    """The FDSN text format of query results."""
    out = [TEXT_HEADER]
    for ev in events:
        o = ev.origin
        evid = o.evid if o.evid > 0 else o.orid
        mag_auth = text(o.auth)
        if ev.magtype:
            for nm in ev.netmags:
                if nm.magtype.lower() == ev.magtype.lower() and text(nm.auth):
                    mag_auth = text(nm.auth)
                    break
        name = event_name(ev).replace("|", "/")
        out.append(
            "|".join(
                (
                    str(evid),
                    iso_time(o.time),
                    fmt(o.lat, ".4f"),
                    fmt(o.lon, ".4f"),
                    fmt(o.depth, ".1f"),
                    text(o.auth),
                    catalog,
                    text(o.auth),
                    str(o.orid),
                    ev.magtype or "",
                    "" if ev.magnitude is None else f"{ev.magnitude:.2f}",
                    mag_auth,
                    name,
                    quakeml_type(o.etype),
                )
            )  # fmt: skip
        )
    return "\n".join(out) + "\n"


def quakeml(store: Store, events: list[StoredEvent], include_arrivals: bool) -> bytes:
    """QuakeML 1.2 of query results (via the bulletin module), in the query's order."""
    orids = [ev.origin.orid for ev in events]
    with store.session() as session:
        tables = load_bulletin(session, orids)
    if not include_arrivals:
        for name in ("assoc", "arrival", "amplitude"):
            tables[name] = []
    # to_catalog orders by time; the query's order (orderby) is what FDSN asks for.
    rank = {str(ev.origin.evid if ev.origin.evid > 0 else ev.origin.orid): i
            for i, ev in enumerate(events)}  # fmt: skip
    buf = io.BytesIO()
    with _OBSPY_EVENT_LOCK:
        catalog = to_catalog(tables, description="testban FDSN event service")
        catalog.events.sort(key=lambda e: rank.get(str(e.resource_id).rsplit("/", 1)[-1], 0))
        catalog.write(buf, format="QUAKEML")
        del catalog
    return buf.getvalue()


def find_events(store: Store, q: EventQuery, limit: int | None) -> list[StoredEvent]:
    """Events of a parsed query (its filters, event types, order and offset) up to ``limit``."""
    conds = []
    if q.eventtypes is not None:
        conds.append(etype_condition(q.eventtypes))
    if q.screening is not None:
        conds.append(screening_condition(q.screening))
    if q.catalog == REVIEWED_CATALOG:  # the analysts' bulletin (LEB/REB-like)
        conds.append(reviewed_condition())
    where = sa.and_(*conds) if conds else None
    with store.session() as session:
        return query_events(
            session, where=where, **q.filters, orderby=q.orderby, limit=limit, offset=q.offset
        )


def run_query(store: Store, q: EventQuery, catalog: str, max_events: int) -> list[StoredEvent]:
    """Events of a parsed query; :class:`FDSNError` 413 beyond ``max_events``."""
    if q.catalog is not None and q.catalog not in (catalog, REVIEWED_CATALOG):
        return []
    limit = max_events + 1 if q.limit is None else min(q.limit, max_events + 1)
    events = find_events(store, q, limit)
    if len(events) > max_events:
        raise FDSNError(
            413, f"more than {max_events} events match; narrow the query or use limit/offset"
        )
    return events


def contributors(store: Store) -> list[str]:
    """Authors of the stored origins (the ``contributor`` values)."""
    origin = TABLES_SQL["origin"]
    with store.session() as session:
        rows = session.execute(sa.select(origin.c.auth).distinct().order_by(origin.c.auth))
        return [a for (a,) in rows if a and a != "-"]


def _simple_xml(tag: str, items: list[str]) -> str:
    body = "".join(f"<{tag}>{escape(i)}</{tag}>" for i in items)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{tag}s>{body}</{tag}s>\n'


def router(store: Store, *, catalog: str, max_events: int) -> APIRouter:
    """The FDSN event service routes, on ``store``."""
    r = APIRouter(prefix="/fdsnws/event/1", tags=["FDSN event service"])

    @r.get("/", name="fdsn_index", response_class=PlainTextResponse)
    def index(request: Request) -> str:
        """Where the service's parts are."""
        base = str(request.url_for("fdsn_index"))
        return (
            "testban FDSN event web service 1.x\n\n"
            f"query:        {base}query?starttime=...&format=xml|text\n"
            f"version:      {base}version\n"
            f"WADL:         {base}application.wadl\n"
            f"catalogs:     {base}catalogs\n"
            f"contributors: {base}contributors\n"
        )

    @r.get(
        "/query",
        responses={200: {"content": {"application/xml": {}, "text/plain": {}}},
                   204: {"description": "No data"}, 400: {"description": "Bad request"}},
        openapi_extra={"parameters": openapi_parameters()},
    )  # fmt: skip
    def query(request: Request) -> Response:
        """Events matching the FDSN event parameters (QuakeML or FDSN text)."""
        try:
            q = parse_query(request.query_params.multi_items())
            events = run_query(store, q, catalog, max_events)
        except BadRequest as exc:
            return error_response(request, 400, str(exc))
        except FDSNError as exc:
            return error_response(request, exc.status, exc.message)
        if not events:
            if q.nodata == 404:
                return error_response(request, 404, "No events match the request.")
            return Response(status_code=204)
        if q.format == "text":
            return PlainTextResponse(text_rows(events, catalog))
        body = quakeml(store, events, q.includearrivals)
        return Response(body, media_type="application/xml")

    @r.get("/version", response_class=PlainTextResponse)
    def version() -> str:
        """The version of the FDSN specification implemented."""
        return SERVICE_VERSION

    @r.get("/application.wadl", response_class=Response)
    def application_wadl(request: Request) -> Response:
        """The service described in WADL (read by ObsPy's client)."""
        base = str(request.url_for("fdsn_index"))
        return Response(wadl(base), media_type="application/xml")

    @r.get("/catalogs", response_class=Response)
    def catalogs() -> Response:
        """The catalogs served: this store's, and its reviewed bulletin (``reviewed``)."""
        names = [catalog, REVIEWED_CATALOG]
        return Response(_simple_xml("Catalog", names), media_type="application/xml")

    @r.get("/contributors", response_class=Response)
    def contributors_xml() -> Response:
        """The contributors (origin authors) in the store."""
        return Response(_simple_xml("Contributor", contributors(store)),
                        media_type="application/xml")  # fmt: skip

    return r
