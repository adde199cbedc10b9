"""Pages for people: the event map, the event list, one event; and their GeoJSON.

Filters are the FDSN event parameters (:mod:`testban.service.params`), read leniently
(empty form fields are ignored). Maps draw the events' 90 % error ellipses from the
bulletin module's GeoJSON (:func:`testban.bulletin.to_geojson`) on an offline basemap.
An event's page shows its waveforms with picks (:mod:`testban.service.waveforms`), also
served alone as SVG at ``/event/{evid}/waveforms.svg``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from testban.bulletin import ETYPES, to_geojson
from testban.records.css30 import (
    Arrival,
    Assoc,
    Netmag,
    Origerr,
    Origin,
    Screen,
    Site,
    Stamag,
)
from testban.review import REJECTED, audit_trail
from testban.service.eventtypes import quakeml_type
from testban.service.fdsn import find_events
from testban.service.params import BadRequest, EventQuery, parse_query
from testban.service.present import (
    event_name,
    event_summary,
    fmt,
    iso_time,
    summary_tables,
    text,
    value,
)
from testban.service.screening_view import criterion_views, population_plots
from testban.service.waveforms import CAPTION, event_waveforms, render_svg
from testban.store import TABLES_SQL, Store, StoredEvent, load_bulletin, query_events, read_rows

TEMPLATES = Path(__file__).parent / "templates"

#: Events on the map and per list page by default, and at most.
MAP_LIMIT, MAP_MAX = 500, 5000
LIST_LIMIT, LIST_MAX = 100, 1000

#: Form fields of the filter bar (FDSN names).
FILTER_FIELDS = (
    "starttime", "endtime", "minmagnitude", "maxmagnitude", "minlatitude", "maxlatitude",
    "minlongitude", "maxlongitude", "eventtype", "screening", "orderby", "limit",
)  # fmt: skip


#: Suggestions of the filter bar's event type field (it takes any FDSN ``eventtype`` value).
EVENTTYPE_OPTIONS = (
    *dict.fromkeys(q for q, _ims in ETYPES.values()), "*explosion", "unknown",
)  # fmt: skip


def _json_script(data: Any) -> Markup:
    """JSON safe to place inside ``<script type="application/json">``."""
    raw = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return Markup(raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _form_values(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "") for k in FILTER_FIELDS}


def _parse(request: Request, default_limit: int, max_limit: int) -> EventQuery:
    q = parse_query(request.query_params.multi_items(), strict=False)
    q.limit = min(q.limit or default_limit, max_limit)
    return q


def _events(store: Store, q: EventQuery, extra: int = 0) -> list[StoredEvent]:
    assert q.limit is not None
    return find_events(store, q, q.limit + extra)


def _geojson(events: list[StoredEvent]) -> dict[str, Any]:
    doc = to_geojson(summary_tables(events))
    names = {ev.origin.orid: event_name(ev) for ev in events}
    for feat in doc["features"]:
        props = feat["properties"]
        if props.get("kind") == "event":
            props["name"] = names.get(props["orid"], "")
    return doc


def _stations(session: Any, stas: set[str]) -> dict[str, Site]:
    """One ``site`` row per station (the latest epoch); stations without one are left out."""
    if not stas:
        return {}
    site = TABLES_SQL["site"]
    rows = read_rows(session, "site", site.c.sta.in_(sorted(stas)), order_by=("sta", "ondate"))
    out: dict[str, Site] = {}
    for r in rows:
        assert isinstance(r, Site)
        if value(r.lat) is not None and value(r.lon) is not None:
            out[r.sta] = r
    return out


def _find_event(store: Store, evid: int) -> StoredEvent | None:
    with store.session() as session:
        found = query_events(session, eventid=evid, limit=10)
    by_evid = [e for e in found if e.origin.evid == evid]
    best = by_evid or found
    return best[0] if best else None


def event_detail(store: Store, ev: StoredEvent) -> dict[str, Any]:
    """Everything the event page shows, read from the store."""
    o = ev.origin
    with store.session() as session:
        tables = load_bulletin(session, [o.orid])
        assocs = [a for a in tables["assoc"] if isinstance(a, Assoc)]
        sites = _stations(session, {a.sta for a in assocs})
        screens = [r for r in tables.get("screen", []) if isinstance(r, Screen)]
        ps_row = next((r for r in screens if r.criterion == "ps" and r.threshold > -999), None)
        plots = population_plots(session, o.orid, ps_row.threshold if ps_row else None)
    arrivals = {a.arid: a for a in tables["arrival"] if isinstance(a, Arrival)}
    err = next((e for e in tables["origerr"] if isinstance(e, Origerr)), None)
    phases = []
    for a in sorted(assocs, key=lambda a: (a.delta, a.sta, a.phase)):
        arr = arrivals.get(a.arid)
        phases.append(
            {
                "arid": a.arid, "sta": a.sta, "phase": text(a.phase),
                "time": iso_time(arr.time, 3) if arr is not None else "",
                "delta": fmt(a.delta, ".2f", -1.0), "esaz": fmt(a.esaz, ".1f"),
                "seaz": fmt(a.seaz, ".1f"), "timeres": fmt(a.timeres, ".2f"),
                "timedef": text(a.timedef), "azimuth": fmt(arr.azimuth, ".1f", -1.0) if arr
                else "", "azres": fmt(a.azres, ".1f"), "azdef": text(a.azdef),
                "slow": fmt(arr.slow, ".2f", -1.0) if arr else "",
                "slores": fmt(a.slores, ".2f"), "slodef": text(a.slodef),
                "amp": fmt(arr.amp, ".1f", -1.0) if arr else "",
                "per": fmt(arr.per, ".2f", -1.0) if arr else "",
                "snr": fmt(arr.snr, ".1f", -1.0) if arr else "",
                "res": value(a.timeres),
            }
        )  # fmt: skip
    netmags = [m for m in tables["netmag"] if isinstance(m, Netmag)]
    stamags = [m for m in tables["stamag"] if isinstance(m, Stamag)]
    geo = to_geojson({"origin": [o], "origerr": [err] if err else [], "netmag": netmags})
    ellipse = next(
        (f["properties"] for f in geo["features"] if f["properties"].get("kind") == "ellipse90"),
        None,
    )
    for sta, site in sorted(sites.items()):
        res = [p["res"] for p in phases if p["sta"] == sta and p["res"] is not None]
        geo["features"].append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
                "properties": {
                    "kind": "station", "sta": sta, "name": text(site.staname),
                    "phases": [p["phase"] for p in phases if p["sta"] == sta],
                    "timeres": res[0] if res else None,
                },
            }
        )  # fmt: skip
    return {
        "origin": _origin_rows(o),
        "err": err,
        "ellipse": ellipse,
        "netmags": netmags,
        "stamags": sorted(stamags, key=lambda m: (m.magtype, m.sta)),
        "phases": phases,
        "geojson": geo,
        "missing_sites": sorted({a.sta for a in assocs} - set(sites)),
        "screening": criterion_views(screens),
        "plots": {k: Markup(v) for k, v in plots.items() if v},
    }


def review_state(store: Store, request: Request, o: Origin) -> dict[str, Any]:
    """What the event page's review panel shows: the analyst's status of the event, its
    audit trail, the outcome of the last form, and the session (user, CSRF token)."""
    with store.session() as session:
        trail = audit_trail(session, o.evid) if o.evid > 0 else []
    auth = getattr(request.app.state, "auth", None)
    ctx = auth.page_context(request) if auth is not None else {"user": None, "csrf_token": ""}
    last = next((a for a in trail if a.orid_after == o.orid), None)
    reason = ""
    if last is not None:
        reason = str(last.details.get("params", {}).get("reason", ""))
    return {
        "trail": trail, "last": last, "rejected": o.etype == REJECTED, "reason": reason,
        "error": request.query_params.get("review_error"),
        "done": request.query_params.get("reviewed"), "orid": o.orid, **ctx,
    }  # fmt: skip


def _etype_label(etype: str) -> str:
    """``nuclear explosion (en)``: the QuakeML event type and the CSS3.0 code."""
    code = text(etype)
    return " ".join(p for p in (quakeml_type(etype), f"({code})" if code else "") if p)


def _origin_rows(o: Origin) -> list[tuple[str, str]]:
    return [
        ("Origin time (UTC)", iso_time(o.time, 3)),
        ("Latitude (°)", fmt(o.lat, ".4f")),
        ("Longitude (°)", fmt(o.lon, ".4f")),
        ("Depth (km)", fmt(o.depth, ".1f")),
        ("Depth type", text(o.dtype)),
        ("Associated / defining phases", f"{o.nass if o.nass >= 0 else ''} / "
                                         f"{o.ndef if o.ndef >= 0 else ''}"),
        ("mb / Ms / ML", " / ".join(fmt(m) or "–" for m in (o.mb, o.ms, o.ml))),
        ("Event type", _etype_label(o.etype)),
        ("Algorithm", text(o.algorithm)),
        ("Author", text(o.auth)),
        ("evid / orid", f"{o.evid} / {o.orid}"),
    ]  # fmt: skip


def router(store: Store, *, title: str, docs_url: str | None = None) -> APIRouter:
    """The page routes on ``store`` (``docs_url``: the API documentation, linked if set)."""
    r = APIRouter(tags=["pages"])
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals["site_title"] = title
    templates.env.globals["docs_url"] = docs_url
    templates.env.globals["eventtype_options"] = EVENTTYPE_OPTIONS

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status)

    @r.get("/", response_class=HTMLResponse, name="map_page")
    def map_page(request: Request) -> HTMLResponse:
        """The map of events with their 90 % error ellipses."""
        form = _form_values(request)
        try:
            q = _parse(request, MAP_LIMIT, MAP_MAX)
        except BadRequest as exc:
            return page(request, "map.html", 400, form=form, error=str(exc),
                        geojson=_json_script(_geojson([])), count=0, limit=MAP_LIMIT)  # fmt: skip
        events = _events(store, q)
        return page(request, "map.html", form=form, error=None, count=len(events),
                    geojson=_json_script(_geojson(events)), limit=q.limit)  # fmt: skip

    @r.get("/events", response_class=HTMLResponse, name="events_page")
    def events_page(request: Request) -> HTMLResponse:
        """The event list with filters, a page at a time."""
        form = _form_values(request)
        try:
            q = _parse(request, LIST_LIMIT, LIST_MAX)
        except BadRequest as exc:
            return page(request, "events.html", 400, form=form, error=str(exc), events=[],
                        next_url=None, prev_url=None, first=1)  # fmt: skip
        assert q.limit is not None
        found = _events(store, q, extra=1)
        more = len(found) > q.limit
        events = [event_summary(e) for e in found[: q.limit]]
        params = {k: v for k, v in request.query_params.items() if v and k != "offset"}

        def link(offset: int) -> str:
            return "?" + urlencode({**params, "offset": offset + 1})

        return page(
            request, "events.html", form=form, error=None, events=events, first=q.offset + 1,
            next_url=link(q.offset + q.limit) if more else None,
            prev_url=link(max(0, q.offset - q.limit)) if q.offset > 0 else None,
        )  # fmt: skip

    @r.get("/event/{evid}", response_class=HTMLResponse, name="event_page")
    def event_page(request: Request, evid: int) -> HTMLResponse:
        """One event: origin, ellipse, magnitudes, arrivals with residuals, stations."""
        ev = _find_event(store, evid)
        if ev is None:
            return page(request, "missing.html", 404, evid=evid)
        detail = event_detail(store, ev)
        summary = event_summary(ev)
        wf = event_waveforms(store, summary["evid"], ev.origin.orid)
        from testban.service.radionuclide_pages import event_radionuclide  # imports this module

        return page(
            request, "event.html", ev=summary, d=detail, rn=event_radionuclide(store, ev.origin),
            review=review_state(store, request, ev.origin),
            geojson=_json_script(detail.pop("geojson")), wf=wf, wf_caption=CAPTION,
            wf_svg=Markup(render_svg(wf)) if wf.available else None,
        )  # fmt: skip

    @r.get(
        "/event/{evid}/waveforms.svg", name="event_waveforms_svg",
        responses={200: {"content": {"image/svg+xml": {}}},
                   404: {"description": "No such event, or no waveforms (the reason, as text)"}},
    )  # fmt: skip
    def event_waveforms_svg(evid: int) -> Response:
        """The event's band-passed waveforms with its picks (SVG), as on the event page."""
        ev = _find_event(store, evid)
        if ev is None:
            return PlainTextResponse(f"No event {evid}.", status_code=404)
        wf = event_waveforms(store, evid, ev.origin.orid)
        if not wf.available:
            return PlainTextResponse(f"waveforms not available: {wf.reason()}", status_code=404)
        body = '<?xml version="1.0" encoding="UTF-8"?>\n' + render_svg(wf) + "\n"
        return Response(body, media_type="image/svg+xml")

    @r.get("/api/events.geojson", name="events_geojson", tags=["GeoJSON"])
    def events_geojson(request: Request) -> Response:
        """Events (points) and their 90 % error ellipses (polygons) as GeoJSON."""
        try:
            q = _parse(request, MAP_LIMIT, MAP_MAX)
        except BadRequest as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return JSONResponse(_geojson(_events(store, q)), media_type="application/geo+json")

    return r
