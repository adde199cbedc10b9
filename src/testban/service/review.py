"""Analyst review over HTTP: the JSON API (``/api/review/…``) and the event page's forms.

Every route translates HTTP into one call of :func:`testban.review.review` (which writes
the new origin version and the audit row in one transaction) and needs an analyst
(:mod:`testban.service.auth`: 401 without a session, 403 for a viewer, 403 for a cookie
request without its CSRF token). Errors: a bad request 400, no such event 404, an event
changed since the version the analyst saw (``expect_orid``) 409.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from testban.review import (
    ACTIONS,
    Conflict,
    Done,
    NotFound,
    ReviewError,
    audit_trail,
    list_users,
    reviewed_bulletin,
)
from testban.review import actions as act
from testban.review import review as do_review
from testban.service.auth import Auth, form_data
from testban.service.params import parse_time
from testban.service.present import iso_time
from testban.store import Store

TEMPLATES = Path(__file__).parent / "templates"

#: Bulletin formats ``/api/review/bulletin`` writes, with their media types.
BULLETIN_FORMATS = {"ims1.0": "text/plain", "quakeml": "application/xml",
                    "csv": "text/csv", "geojson": "application/geo+json"}  # fmt: skip


class ReviewBody(BaseModel):
    """Parameters of a review action (each action reads the ones it names)."""

    expect_orid: int | None = Field(
        None, description="The preferred orid the analyst saw; 409 if the event has changed since."
    )
    reason: str | None = Field(None, description="reject: why the event is not real.")
    arid: int | None = Field(
        None, description="change_arrival, associate, disassociate: the arrival."
    )
    time: float | str | None = Field(
        None, description="change_arrival, add_arrival: onset time, epoch s or ISO 8601 UTC."
    )
    phase: str | None = Field(
        None, description="change_arrival, associate, add_arrival: phase name (P, Pn, S, Lg …)."
    )
    timedef: str | None = Field(None, description="change_arrival: time defining, d or n.")
    azdef: str | None = Field(None, description="change_arrival: azimuth defining, d or n.")
    slodef: str | None = Field(None, description="change_arrival: slowness defining, d or n.")
    sta: str | None = Field(None, description="add_arrival: station code.")
    chan: str | None = Field(None, description="add_arrival: channel code.")
    depth: str | float | None = Field(
        None,
        description="relocate, merge, split, create: "
        "'auto' (the locator's rule), 'free' or a fixed "
        "depth in km.",
    )
    other: int | None = Field(None, description="merge: the event merged into this one.")
    arids: list[int] | None = Field(
        None, description="split: arrivals moved to a new event; create: arrivals of the new event."
    )
    phases: dict[int, str] | None = Field(None, description="create: phase per arid "
                                          "(default: each arrival's initial phase).")  # fmt: skip


def _epoch(value: Any) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        t = float(value)
    else:
        text = str(value).strip()
        try:
            t = float(text)
        except ValueError:
            try:
                t = parse_time(text)
            except ValueError as exc:
                raise ReviewError(str(exc)) from None
    if not math.isfinite(t):
        raise ReviewError(f"not a time: {value!r}")
    return t


def _params(values: dict[str, Any]) -> dict[str, Any]:
    """Action parameters from a JSON body or a form (empty fields dropped, times parsed)."""
    out = {k: v for k, v in values.items() if v not in (None, "")}
    if "time" in out:
        out["time"] = _epoch(out["time"])
    if "depth" in out and isinstance(out["depth"], str) and out["depth"] == "fixed":
        out["depth"] = values.get("fixed_depth", "")
    for key in ("arid", "other", "expect_orid"):
        if key in out:
            try:
                out[key] = int(out[key])
            except (TypeError, ValueError):
                raise ReviewError(f"{key} must be a whole number, not {out[key]!r}") from None
    return out


def _run(store: Store, user: str, action: str, evid: int | None, p: dict[str, Any]) -> Done:
    expect = p.pop("expect_orid", None)
    allowed = set(ACTIONS[action])
    kwargs = {k: v for k, v in p.items() if k in allowed}
    return do_review(store, user, action, evid, expect_orid=expect, **kwargs)


def _http(exc: ReviewError) -> HTTPException:
    code = 409 if isinstance(exc, Conflict) else 404 if isinstance(exc, NotFound) else 400
    return HTTPException(code, str(exc))


def _done_json(done: Done) -> dict[str, Any]:
    return {
        "action": done.action,
        "evid": done.evid,
        "orid": done.orid,
        "versions": [{"evid": e, "orid_before": b, "orid_after": a} for e, b, a in done.versions],
        "audit_ids": done.audit_ids,
    }


def _doc(action: str) -> str:
    fn: Callable[..., Any] = getattr(act, action)
    return (fn.__doc__ or action).strip()


def router(store: Store, auth: Auth, *, title: str, docs_url: str | None = None) -> APIRouter:
    """The review API and the review forms' targets on ``store``."""
    r = APIRouter()
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals.update(site_title=title, docs_url=docs_url)
    templates.env.filters["iso"] = iso_time

    def analyst(request: Request) -> str:
        """The analyst making an API request (checked before the body is read)."""
        return auth.writer(request, "analyst").name

    def api_route(action: str) -> None:
        path = "/api/review/events"
        if action != "create":
            path += f"/{{evid}}/{action}"
        doc = _doc(action)
        responses: dict[int | str, dict[str, Any]] = {
            400: {"description": "Bad parameters"}, 401: {"description": "Not logged in"},
            403: {"description": "Not an analyst, or a missing/wrong CSRF token"},
            404: {"description": "No such event or arrival"},
            409: {"description": "The event changed since expect_orid"},
        }  # fmt: skip

        if action == "create":

            @r.post(path, name=f"review_{action}", summary=action, description=doc,
                    tags=["review"], responses=responses)  # fmt: skip
            def create(body: ReviewBody, user: str = Depends(analyst)) -> JSONResponse:  # noqa: B008
                try:
                    done = _run(store, user, action, None, _params(body.model_dump()))
                except ReviewError as exc:
                    raise _http(exc) from None
                return JSONResponse(_done_json(done), status_code=201)

        else:

            @r.post(path, name=f"review_{action}", summary=action, description=doc,
                    tags=["review"], responses=responses)  # fmt: skip
            def act_on(
                evid: int,
                body: ReviewBody | None = None,
                user: str = Depends(analyst),  # noqa: B008
            ) -> JSONResponse:
                values = body.model_dump() if body is not None else {}
                try:
                    done = _run(store, user, action, evid, _params(values))
                except ReviewError as exc:
                    raise _http(exc) from None
                return JSONResponse(_done_json(done))

    for name in ACTIONS:
        api_route(name)

    @r.get("/api/review/audit", tags=["review"], name="review_audit")
    def audit(request: Request, evid: int | None = None, limit: int = 1000) -> JSONResponse:
        """The audit trail (newest first): who did what to which event, before and after.
        Needs a login (any role)."""
        auth.require(request, "viewer")
        with store.session() as s:
            rows = audit_trail(s, evid, max(1, min(limit, 100000)))
        return JSONResponse([
            {"id": a.id, "time": a.time, "user": a.user, "action": a.action, "evid": a.evid,
             "orid_before": a.orid_before, "orid_after": a.orid_after, "details": a.details}
            for a in rows
        ])  # fmt: skip

    @r.get(
        "/api/review/bulletin", tags=["review"], name="reviewed_bulletin",
        responses={200: {"content": {t: {} for t in BULLETIN_FORMATS.values()}}},
    )  # fmt: skip
    def bulletin(request: Request, format: str = "ims1.0") -> Response:
        """The reviewed bulletin (LEB/REB-like: events whose preferred origin an analyst
        wrote and did not reject) as IMS1.0, QuakeML, CSV or GeoJSON."""
        if not auth.open_reads:
            auth.require(request, "viewer")
        if format not in BULLETIN_FORMATS:
            raise HTTPException(400, f"format is one of {', '.join(BULLETIN_FORMATS)}")
        import tempfile

        from testban.bulletin import write_bulletin

        with store.session() as s:
            tables = reviewed_bulletin(s)
        with tempfile.TemporaryDirectory() as tmp:
            path = write_bulletin(tables, Path(tmp) / "reviewed", format)
            body = io.BytesIO(path.read_bytes()).getvalue()
        return Response(body, media_type=BULLETIN_FORMATS[format])

    @r.get("/api/users", tags=["review"], name="users_list")
    def users(request: Request) -> JSONResponse:
        """The users and their roles (admins only)."""
        auth.require(request, "admin")
        with store.session() as s:
            found = list_users(s)
        return JSONResponse([{"name": u.name, "role": u.role} for u in found])

    # ----------------------------------------------------------------- page forms

    @r.post("/event/{evid}/review", include_in_schema=False, name="review_form")
    async def review_form(request: Request, evid: int) -> Response:
        """A review form of the event page: do it, then show the event again."""
        form = await form_data(request)
        user = auth.writer(request, "analyst", form)
        action = form.get("action", "")
        target = request.url_for("event_page", evid=evid)
        try:
            if action not in ACTIONS or action == "create":
                raise ReviewError(f"unknown action {action!r}")
            values: dict[str, Any] = dict(form)
            done = _run(store, user.name, action, evid, _params(values))
        except ReviewError as exc:
            return RedirectResponse(f"{target}?review_error={quote(str(exc))}", status_code=303)
        return RedirectResponse(f"{target}?reviewed={quote(done.action)}", status_code=303)

    @r.get("/review", response_class=HTMLResponse, name="review_page", include_in_schema=False)
    def review_page(request: Request) -> HTMLResponse:
        """The audit trail and the form that builds an event from arrivals."""
        if auth.session(request) is None:
            return RedirectResponse(f"/login?next={quote('/review')}", status_code=303)  # type: ignore[return-value]
        with store.session() as s:
            rows = audit_trail(s, None, 200)
        context = {"rows": rows, "error": request.query_params.get("review_error"),
                   **auth.page_context(request)}  # fmt: skip
        return templates.TemplateResponse(request, "review.html", context)

    @r.post("/review/create", include_in_schema=False, name="review_create_form")
    async def create_form(request: Request) -> Response:
        form = await form_data(request)
        user = auth.writer(request, "analyst", form)
        try:
            done = _run(store, user.name, "create", None, _params(dict(form)))
        except ReviewError as exc:
            target = request.url_for("review_page")
            return RedirectResponse(f"{target}?review_error={quote(str(exc))}", status_code=303)
        target = request.url_for("event_page", evid=done.evid)
        return RedirectResponse(f"{target}?reviewed=create", status_code=303)

    return r
