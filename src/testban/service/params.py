"""Query parameters of the FDSN event service: one table, parsed, documented, described.

:data:`PARAMETERS` is the single source of the parameters: the query handler parses with
it (:func:`parse_query`), the WADL lists it and the OpenAPI document describes it, so the
three never disagree. Parsing is strict, as FDSN asks: an unknown parameter, a repeated
one, or a value of the wrong type or out of range is a :class:`BadRequest` (HTTP 400).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from testban.service.eventtypes import parse_eventtypes, parse_screening

#: Values ``orderby`` accepts (FDSN event 1.x).
ORDERBY = ("time", "time-asc", "magnitude", "magnitude-asc")
FORMATS = ("xml", "text")
NODATA = (204, 404)


class BadRequest(ValueError):
    """A query the service refuses (HTTP 400); the message says why."""


@dataclass(frozen=True, slots=True)
class Param:
    """One query parameter: its name, short aliases, type and documentation."""

    name: str
    kind: str  # "time", "float", "int", "str", "bool", "choice"
    doc: str
    aliases: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    default: str | None = None

    @property
    def wadl_type(self) -> str:
        return {
            "time": "xs:dateTime", "float": "xs:double", "int": "xs:int",
            "bool": "xs:boolean",
        }.get(self.kind, "xs:string")  # fmt: skip

    @property
    def openapi_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "time": {"type": "string", "format": "date-time"},
            "float": {"type": "number"},
            "int": {"type": "integer"},
            "bool": {"type": "boolean"},
        }.get(self.kind, {"type": "string"})
        if self.choices:
            schema = {"type": "string", "enum": list(self.choices)}
        if self.low is not None:
            schema["minimum"] = self.low
        if self.high is not None:
            schema["maximum"] = self.high
        if self.default is not None:
            schema["default"] = self.default
        return schema


PARAMETERS: tuple[Param, ...] = (
    Param("starttime", "time", "Events at or after this time (UTC, ISO 8601).", ("start",)),
    Param("endtime", "time", "Events at or before this time (UTC, ISO 8601).", ("end",)),
    Param("minlatitude", "float", "Southern edge of the box (degrees).", ("minlat",),
          -90, 90, default="-90"),
    Param("maxlatitude", "float", "Northern edge of the box (degrees).", ("maxlat",),
          -90, 90, default="90"),
    Param("minlongitude", "float", "Western edge of the box (degrees); west of the "
          "eastern edge or, when greater, a box across the date line.", ("minlon",),
          -180, 180, default="-180"),
    Param("maxlongitude", "float", "Eastern edge of the box (degrees).", ("maxlon",),
          -180, 180, default="180"),
    Param("latitude", "float", "Latitude of the centre of a radius search.", ("lat",),
          -90, 90, default="0"),
    Param("longitude", "float", "Longitude of the centre of a radius search.", ("lon",),
          -180, 180, default="0"),
    Param("minradius", "float", "Least great-circle distance from the centre (degrees).",
          (), 0, 180, default="0"),
    Param("maxradius", "float", "Greatest great-circle distance from the centre (degrees).",
          (), 0, 180, default="180"),
    Param("mindepth", "float", "Least depth (km).", (), -10, 7000),
    Param("maxdepth", "float", "Greatest depth (km).", (), -10, 7000),
    Param("minmagnitude", "float", "Least magnitude.", ("minmag",), -10, 12),
    Param("maxmagnitude", "float", "Greatest magnitude.", ("maxmag",), -10, 12),
    Param("magnitudetype", "str", "Filter and sort on this network magnitude type "
          "(e.g. mb_ave, ms_ave); default the origin's mb, else Ms, else ML.", ("magtype",)),
    Param("eventtype", "str", "Only events of these QuakeML event types, comma-separated "
          "(e.g. earthquake,nuclear explosion); * and ? are wildcards (*explosion); "
          "'unknown' selects events without a type."),
    Param("screening", "str", "testban extension: only events of these screening outcomes, "
          "comma-separated: 'screened out', 'not screened out', 'not assessed' (events "
          "never screened count as not assessed)."),
    Param("includeallorigins", "bool", "Accepted; the preferred origin is returned.",
          default="false"),
    Param("includeallmagnitudes", "bool", "Accepted; every network magnitude of the "
          "preferred origin is returned.", default="true"),
    Param("includearrivals", "bool", "Include picks and arrivals (QuakeML only).",
          default="false"),
    Param("eventid", "str", "Select one event by id (evid or orid; a resource id ending "
          "in the number is accepted)."),
    Param("limit", "int", "Return at most this many events.", (), 1, None),
    Param("offset", "int", "Return events from this position (1 is the first).", (), 1, None,
          default="1"),
    Param("orderby", "choice", "Order of the events.", (), choices=ORDERBY, default="time"),
    Param("catalog", "str", "Only events of this catalog (see /catalogs); 'reviewed': "
          "the reviewed bulletin (events an analyst reviewed and did not reject)."),
    Param("contributor", "str", "Only events of this contributor (see /contributors)."),
    Param("format", "choice", "Response format.", (), choices=FORMATS, default="xml"),
    Param("nodata", "choice", "HTTP status when nothing matches.", (),
          choices=tuple(map(str, NODATA)), default="204"),
)  # fmt: skip

_BY_NAME: dict[str, Param] = {}
for _p in PARAMETERS:
    for _n in (_p.name, *_p.aliases):
        _BY_NAME[_n] = _p

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]00:?00)?$")


def parse_time(text: str) -> float:
    """Epoch seconds of an FDSN time (``YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z]``, UTC)."""
    value = text.strip()
    if not _TIME.match(value):
        raise ValueError(f"not an ISO 8601 UTC time: {text!r}")
    head, _, frac = value.rstrip("Z").partition(".")
    head = re.sub(r"[+-]00:?00$", "", head)
    digits = re.sub(r"\D.*$", "", frac)
    dt = datetime.fromisoformat(head).replace(tzinfo=UTC)
    return dt.timestamp() + (float(f"0.{digits}") if digits else 0.0)


def _convert(param: Param, raw: str) -> Any:
    text = raw.strip()
    if param.kind == "time":
        return parse_time(text)
    if param.kind in ("float", "int"):
        try:
            value: float | int = float(text) if param.kind == "float" else int(text)
        except ValueError:
            raise ValueError(f"not a number: {raw!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {raw!r}")
        if param.low is not None and value < param.low:
            raise ValueError(f"{value} is below {param.low:g}")
        if param.high is not None and value > param.high:
            raise ValueError(f"{value} is above {param.high:g}")
        return value
    if param.kind == "bool":
        low = text.lower()
        if low not in ("true", "false"):
            raise ValueError(f"must be true or false, not {raw!r}")
        return low == "true"
    if param.kind == "choice":
        if text not in param.choices:
            raise ValueError(f"must be one of {', '.join(param.choices)}, not {raw!r}")
        return text
    if not text:
        raise ValueError("empty value")
    return text


@dataclass(slots=True)
class EventQuery:
    """A parsed query: the store's filters plus what shapes the response."""

    filters: dict[str, Any] = field(default_factory=dict)
    limit: int | None = None
    offset: int = 0  # events skipped (FDSN ``offset`` minus one)
    orderby: str = "time"
    format: str = "xml"
    nodata: int = 204
    includearrivals: bool = False
    catalog: str | None = None
    eventtypes: tuple[str, ...] | None = None  # QuakeML event types; None: any
    screening: tuple[str, ...] | None = None  # screening outcomes; None: any


def parse_query(
    items: Iterable[tuple[str, str]], *, strict: bool = True, allowed: Iterable[str] = ()
) -> EventQuery:
    """Parse query ``items`` (name, value pairs) into an :class:`EventQuery`.

    ``strict`` (the FDSN service): unknown or repeated parameters and empty values are
    errors. Not strict (the pages' forms): empty values are ignored. ``allowed`` names
    extra parameters that are skipped here (a page's own). Raises :class:`BadRequest`.
    """
    extra = set(allowed)
    values: dict[str, Any] = {}
    for key, raw in items:
        if key in extra:
            continue
        param = _BY_NAME.get(key)
        if param is None:
            raise BadRequest(f"unknown parameter {key!r}")
        if not strict and not raw.strip():
            continue
        if param.name in values:
            raise BadRequest(f"parameter {param.name!r} given more than once")
        try:
            values[param.name] = _convert(param, raw)
        except ValueError as exc:
            raise BadRequest(f"bad value for {key!r}: {exc}") from None
    return _to_query(values)


def _to_query(v: dict[str, Any]) -> EventQuery:
    q = EventQuery()
    f = q.filters
    if "starttime" in v and "endtime" in v and v["starttime"] > v["endtime"]:
        raise BadRequest("starttime is after endtime")
    for lo, hi in (("minlatitude", "maxlatitude"), ("mindepth", "maxdepth"),
                   ("minmagnitude", "maxmagnitude"), ("minradius", "maxradius")):  # fmt: skip
        if lo in v and hi in v and v[lo] > v[hi]:
            raise BadRequest(f"{lo} is greater than {hi}")
    for name in ("starttime", "endtime", "minlatitude", "maxlatitude", "minlongitude",
                 "maxlongitude", "mindepth", "maxdepth", "minmagnitude", "maxmagnitude",
                 "magnitudetype"):  # fmt: skip
        if name in v:
            f[name] = v[name]
    if any(k in v for k in ("latitude", "longitude", "minradius", "maxradius")):
        f["latitude"] = v.get("latitude", 0.0)
        f["longitude"] = v.get("longitude", 0.0)
        f["minradius"] = v.get("minradius", 0.0)
        f["maxradius"] = v.get("maxradius", 180.0)
    if "eventid" in v:
        m = re.search(r"(\d+)$", v["eventid"])
        if m is None:
            raise BadRequest(f"eventid must be a number (or end in one), not {v['eventid']!r}")
        f["eventid"] = int(m.group(1))
    if "eventtype" in v:
        try:
            q.eventtypes = parse_eventtypes(v["eventtype"])
        except ValueError as exc:
            raise BadRequest(f"bad value for 'eventtype': {exc}") from None
    if "screening" in v:
        try:
            q.screening = parse_screening(v["screening"])
        except ValueError as exc:
            raise BadRequest(f"bad value for 'screening': {exc}") from None
    if "contributor" in v:
        f["auth"] = v["contributor"]
    q.catalog = v.get("catalog")
    q.limit = v.get("limit")
    q.offset = v.get("offset", 1) - 1
    q.orderby = v.get("orderby", "time")
    q.format = v.get("format", "xml")
    q.nodata = int(v.get("nodata", "204"))
    q.includearrivals = v.get("includearrivals", False)
    return q


def openapi_parameters() -> list[dict[str, Any]]:
    """OpenAPI ``parameters`` of the query endpoint (long names; aliases in the text)."""
    out = []
    for p in PARAMETERS:
        alias = f" Alias: {', '.join(p.aliases)}." if p.aliases else ""
        out.append(
            {
                "name": p.name,
                "in": "query",
                "required": False,
                "description": p.doc + alias,
                "schema": p.openapi_schema,
            }
        )
    return out
