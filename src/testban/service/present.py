"""Turning stored rows into what a response shows: times, numbers, region names, tables.

Nothing here computes seismology; values are read from the records, CSS3.0 nulls become
``None`` (shown as empty), and tables are regrouped for the pages and the GeoJSON writer.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from testban.bulletin.model import has
from testban.records.css30 import Record
from testban.service.eventtypes import quakeml_type
from testban.store import StoredEvent

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso_time(epoch: float, digits: int = 6) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffff`` (UTC) of epoch seconds, ``digits`` decimals (0–6)."""
    dt = _EPOCH + timedelta(microseconds=round(epoch * 1e6))
    text = dt.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text[: len(text) - 6 + digits] if digits else text[:-7]


def value(x: float | None, na: float = -999.0) -> float | None:
    """``x`` unless it is a CSS3.0 null (``<= na``) or not finite."""
    return x if x is not None and has(x, na) else None


def fmt(x: float | None, spec: str = ".2f", na: float = -999.0) -> str:
    """``x`` formatted with ``spec``; empty for a null."""
    v = value(x, na)
    return "" if v is None else format(v, spec)


def text(s: str | None) -> str:
    """A CSS3.0 string, empty for its null ``-``."""
    return "" if s is None or s == "-" else s


@lru_cache(maxsize=1)
def _flinn_engdahl() -> Any:
    from obspy.geodetics import FlinnEngdahl

    return FlinnEngdahl()


@lru_cache(maxsize=65536)
def region_name(lat: float, lon: float) -> str:
    """The Flinn–Engdahl region name of a point (ObsPy's table), title case."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return ""
    return str(_flinn_engdahl().get_region(lon, lat)).title()


def event_name(ev: StoredEvent, evname: str | None = None) -> str:
    """The event's name: the ``event.evname`` when set, else its region."""
    if evname and evname != "-":
        return evname
    o = ev.origin
    if value(o.lat) is None or value(o.lon) is None:
        return ""
    return region_name(round(o.lat, 3), round(o.lon, 3))


def summary_tables(events: list[StoredEvent]) -> dict[str, list[Record]]:
    """``origin``, ``origerr`` and ``netmag`` rows of query results (a small bulletin)."""
    out: dict[str, list[Record]] = {"origin": [], "origerr": [], "netmag": []}
    for ev in events:
        out["origin"].append(ev.origin)
        if ev.origerr is not None:
            out["origerr"].append(ev.origerr)
        out["netmag"].extend(ev.netmags)
    return out


def event_summary(ev: StoredEvent) -> dict[str, Any]:
    """A dict of one query result for templates (nulls as None)."""
    o, err = ev.origin, ev.origerr
    evid = o.evid if o.evid > 0 else o.orid
    return {
        "evid": evid,
        "orid": o.orid,
        "time": iso_time(o.time, 2),
        "lat": value(o.lat),
        "lon": value(o.lon),
        "depth": value(o.depth),
        "magnitude": ev.magnitude,
        "magtype": ev.magtype,
        "ndef": o.ndef if o.ndef >= 0 else None,
        "smajax": value(err.smajax, 0.0) if err is not None else None,
        "sminax": value(err.sminax, 0.0) if err is not None else None,
        "etype": text(o.etype),
        "eventtype": quakeml_type(o.etype),
        "auth": text(o.auth),
        "name": event_name(ev),
        "distance": ev.distance,
    }
