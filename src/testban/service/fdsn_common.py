"""What the FDSN station and dataselect services share: parameter parsing (GET and POST),
network/station/location/channel patterns, the WADL and the FDSN error document.

Each service declares its parameters once as a table of
:class:`~testban.service.params.Param` (as the event service does): the parser, the WADL
and the OpenAPI description are made from it. POST bodies follow the FDSN specification:
``key=value`` lines, then one ``NET STA LOC CHA START END`` line per selection (``--`` for
an empty location, ``*`` for any time).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from testban.service.params import BadRequest, Param, _convert, parse_time

_STATUS = {
    400: "Bad Request",
    404: "Not Found",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
}

#: Parameters every selection has (FDSN 1.1 names and aliases).
NSLC_PARAMS: tuple[Param, ...] = (
    Param("network", "str", "FDSN network codes, comma-separated; * and ? are wildcards.",
          ("net",)),
    Param("station", "str", "Station codes, comma-separated; * and ? are wildcards.",
          ("sta",)),
    Param("location", "str", "Location codes, comma-separated; -- is the empty code.",
          ("loc",)),
    Param("channel", "str", "Channel codes, comma-separated; * and ? are wildcards.",
          ("cha",)),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Selection:
    """One NET STA LOC CHA selection with its time span (epoch s; None: open)."""

    network: tuple[str, ...] = ("*",)
    station: tuple[str, ...] = ("*",)
    location: tuple[str, ...] = ("*",)
    channel: tuple[str, ...] = ("*",)
    start: float | None = None
    end: float | None = None

    def matches(self, net: str, sta: str, loc: str, cha: str) -> bool:
        """Whether the codes match every part of the selection (case-insensitive)."""
        return (
            _any(self.network, net) and _any(self.station, sta)
            and _any(self.location, loc) and _any(self.channel, cha)
        )  # fmt: skip

    def matches_station(self, net: str, sta: str) -> bool:
        return _any(self.network, net) and _any(self.station, sta)

    def sql_like(self, part: str) -> list[str] | None:
        """SQL LIKE patterns of the station or channel part; None when anything matches."""
        pats = getattr(self, part)
        if "*" in pats:
            return None
        return [p.replace("_", r"\_").replace("*", "%").replace("?", "_") for p in pats]


def _any(patterns: Sequence[str], code: str) -> bool:
    code = code.upper()
    return any(p == "*" or fnmatch.fnmatchcase(code, p) for p in patterns)


def codes(text: str | None, *, location: bool = False) -> tuple[str, ...]:
    """A comma-separated code list as upper-case patterns (``--`` → the empty code)."""
    if text is None:
        return ("*",)
    out = []
    for part in text.split(","):
        p = part.strip().upper()
        if location and p in ("--", ""):
            p = ""
        elif not p:
            raise BadRequest(f"empty code in {text!r}")
        if not re.fullmatch(r"[A-Z0-9*?_-]*", p):
            raise BadRequest(f"bad code {part!r}: letters, digits, * and ? only")
        out.append(p)
    return tuple(out)


def parse_items(
    items: Iterable[tuple[str, str]], params: Sequence[Param], *, nslc_allowed: bool = True
) -> dict[str, Any]:
    """``{long name: value}`` of query ``items`` against ``params`` (strict, as FDSN asks:
    unknown or repeated parameters and bad values are :class:`BadRequest`)."""
    by_name = {n: p for p in params for n in (p.name, *p.aliases)}
    values: dict[str, Any] = {}
    for key, raw in items:
        param = by_name.get(key.strip().lower())
        if param is None:
            raise BadRequest(f"unknown parameter {key!r}")
        if param.name in values:
            raise BadRequest(f"parameter {param.name!r} given more than once")
        if param.name == "location":
            values["location"] = raw  # may be empty (the empty location code)
            continue
        try:
            values[param.name] = _convert(param, raw)
        except ValueError as exc:
            raise BadRequest(f"bad value for {key!r}: {exc}") from None
    if "starttime" in values and "endtime" in values and values["starttime"] > values["endtime"]:
        raise BadRequest("starttime is after endtime")
    return values


def selection_of(values: dict[str, Any]) -> Selection:
    """The selection of parsed GET parameters."""
    return Selection(
        codes(values.get("network")),
        codes(values.get("station")),
        codes(values.get("location"), location=True),
        codes(values.get("channel")),
        values.get("starttime"),
        values.get("endtime"),
    )


def _post_time(text: str) -> float | None:
    if text.strip() in ("*", ""):
        return None
    try:
        return parse_time(text)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def parse_post(body: str, params: Sequence[Param]) -> tuple[dict[str, Any], list[Selection]]:
    """The ``key=value`` options and the selection lines of an FDSN POST body."""
    items: list[tuple[str, str]] = []
    selections: list[Selection] = []
    for n, line in enumerate(body.splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if "=" in text and not selections:
            key, _, value = text.partition("=")
            items.append((key.strip(), value.strip()))
            continue
        parts = text.split()
        if len(parts) != 6:
            raise BadRequest(f"line {n}: expected NET STA LOC CHA START END, got {text!r}")
        net, sta, loc, cha, t0, t1 = parts
        start, end = _post_time(t0), _post_time(t1)
        if start is not None and end is not None and start > end:
            raise BadRequest(f"line {n}: start is after end")
        selections.append(
            Selection(codes(net), codes(sta), codes(loc, location=True), codes(cha), start, end)
        )
    values = parse_items(items, params)
    for name in ("network", "station", "location", "channel", "starttime", "endtime"):
        if name in values:
            raise BadRequest(f"{name!r} belongs in the selection lines of a POST request")
    if not selections:
        raise BadRequest("a POST request needs at least one NET STA LOC CHA START END line")
    return values, selections


def error_response(
    request: Request, status: int, message: str, *, version: str, index: str
) -> PlainTextResponse:
    """The FDSN error document for ``status`` with ``message``."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    body = (
        f"Error {status}: {_STATUS.get(status, 'Error')}\n\n{message}\n\n"
        f"Usage details are available from {request.url_for(index)}\n\n"
        f"Request:\n{request.url}\n\n"
        f"Request Submitted:\n{now}\n\n"
        f"Service version:\n{version}\n"
    )
    return PlainTextResponse(body, status_code=status)


def wadl(
    base_url: str,
    params: Sequence[Param],
    media: Sequence[str],
    *,
    root_media: str = "text/plain",
    post: bool = True,
    errors: str = "204 400 404 413 500",
    resources: Sequence[tuple[str, str]] = (),
) -> str:
    """The WADL of an FDSN service at ``base_url`` with query ``params`` (GET, and POST
    when ``post``); ``resources``: (path, media type) of further GET resources."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<application xmlns="http://wadl.dev.java.net/2009/02" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema">',
        f"  <resources base={quoteattr(base_url)}>",
        '    <resource path="/">',
        f'      <method name="GET" id="root"><response><representation mediaType="{root_media}"/>'
        "</response></method>",
        "    </resource>",
        '    <resource path="query">',
        '      <method name="GET" id="query">',
        "        <request>",
    ]
    for p in params:
        attrs = f'name="{p.name}" style="query" type="{p.wadl_type}"'
        if p.default is not None:
            attrs += f" default={quoteattr(p.default)}"
        lines.append(f"          <param {attrs}>")
        lines.append(f"            <doc title={quoteattr(p.name)}>{escape(p.doc)}</doc>")
        lines.extend(f"            <option value={quoteattr(c)}/>" for c in p.choices)
        lines.append("          </param>")
    reps = "".join(f'<representation mediaType="{m}"/>' for m in media)
    lines += [
        "        </request>",
        f'        <response status="200">{reps}</response>',
        f'        <response status="{errors}"><representation mediaType="text/plain"/></response>',
        "      </method>",
    ]
    if post:
        lines += [
            '      <method name="POST" id="postQuery">',
            '        <request><representation mediaType="text/plain"/></request>',
            f'        <response status="200">{reps}</response>',
            "      </method>",
        ]
    lines.append("    </resource>")
    for path, mt in (
        ("version", "text/plain"),
        *resources,
        ("application.wadl", "application/xml"),
    ):
        lines.append(
            f'    <resource path="{path}"><method name="GET"><response>'
            f'<representation mediaType="{mt}"/></response></method></resource>'
        )
    lines += ["  </resources>", "</application>", ""]
    return "\n".join(lines)


def openapi_parameters(params: Sequence[Param]) -> list[dict[str, Any]]:
    """OpenAPI ``parameters`` of a query endpoint (long names; aliases in the text)."""
    return [
        {
            "name": p.name,
            "in": "query",
            "required": False,
            "description": p.doc + (f" Alias: {', '.join(p.aliases)}." if p.aliases else ""),
            "schema": p.openapi_schema,
        }
        for p in params
    ]


def service_routes(
    r: APIRouter,
    answer: Callable[[Request, list[tuple[str, str]], str | None], Response],
    params: Sequence[Param],
    media: Sequence[str],
    index: str,
    version: str,
) -> None:
    """The routes every FDSN service shares: ``query`` (GET, and POST lines answered in a
    worker thread), ``version`` and ``application.wadl`` (``index``: the route name of
    the service's root, whose URL is the WADL's base)."""
    responses: dict[int | str, dict[str, Any]] = {
        200: {"content": {m: {} for m in media}},
        204: {"description": "No data"},
        400: {"description": "Bad request"},
    }

    @r.get("/query", responses=responses,
           openapi_extra={"parameters": openapi_parameters(params)})  # fmt: skip
    def query(request: Request) -> Response:
        """The data matching the FDSN parameters of the query string."""
        return answer(request, request.query_params.multi_items(), None)

    @r.post("/query", responses=responses)
    async def post_query(request: Request) -> Response:
        """The same, for ``key=value`` lines and ``NET STA LOC CHA START END`` lines."""
        from starlette.concurrency import run_in_threadpool

        body = (await request.body()).decode("utf-8", errors="replace")
        return await run_in_threadpool(answer, request, [], body)

    @r.get("/version", response_class=PlainTextResponse)
    def version_() -> str:
        """The version of the FDSN specification implemented."""
        return version

    @r.get("/application.wadl", response_class=Response)
    def application_wadl(request: Request) -> Response:
        """The service described in WADL (read by ObsPy's client)."""
        base = str(request.url_for(index))
        return Response(wadl(base, params, media), media_type="application/xml")
