"""The FDSN station web service 1.1: ``/fdsnws/station/1/{query,version,application.wadl}``.

Answers from the store's CSS3.0 station tables (``site``, ``sitechan``, ``affiliation``,
``sensor`` → ``instrument``; what ``testban run`` records, :mod:`testban.store.stations`),
as StationXML 1.1 (via ObsPy's ``Inventory``) or the FDSN text format, at the levels
network, station, channel and response. Every site epoch is a station epoch and every
``sitechan`` epoch a channel epoch (``ondate`` opens it at 00:00 UTC of that day; an open
``offdate`` leaves it open). A station's FDSN network is its code-like ``affiliation``
(``IU``, or the code its waveforms carry), else its array's, else :data:`DEFAULT_NETWORK`.
CSS3.0 has no location code: every channel's is empty. Sample rates come from
``sensor`` → ``instrument``; responses (level=response) from ``chanresp`` or the
instrument's response file. Array membership, station type, element offsets and IMS
affiliations travel as StationXML extras (as :meth:`testban.network.Network.to_inventory`
writes them), so ``testban run --stations`` on a fetched StationXML finds the arrays again.
"""

from __future__ import annotations

import io
import math
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from testban.records.css30 import Affiliation, Instrument, Sensor, Site, Sitechan
from testban.service.fdsn_common import (
    NSLC_PARAMS,
    Selection,
    error_response,
    parse_items,
    parse_post,
    selection_of,
    service_routes,
)
from testban.service.params import BadRequest, Param
from testban.store import Store, great_circle, read_rows
from testban.store.stations import fdsn_networks, read_responses

#: Version of the FDSN station specification implemented.
SERVICE_VERSION = "1.1.0"
#: The network code of stations whose metadata and waveforms name none (FDSN's "XX").
DEFAULT_NETWORK = "XX"
LEVELS = ("network", "station", "channel", "response")
#: CSS3.0 ``offdate`` values meaning "still open".
_OPEN = (-1, 2286324)

PARAMETERS: tuple[Param, ...] = (
    Param("starttime", "time", "Epochs that end at or after this time (UTC).", ("start",)),
    Param("endtime", "time", "Epochs that start at or before this time (UTC).", ("end",)),
    Param("startbefore", "time", "Epochs that start before this time."),
    Param("startafter", "time", "Epochs that start after this time."),
    Param("endbefore", "time", "Epochs that end before this time (open epochs do not)."),
    Param("endafter", "time", "Epochs that end after this time (open epochs do)."),
    *NSLC_PARAMS,
    Param("minlatitude", "float", "Southern edge (degrees).", ("minlat",), -90, 90),
    Param("maxlatitude", "float", "Northern edge (degrees).", ("maxlat",), -90, 90),
    Param("minlongitude", "float", "Western edge (degrees); greater than the eastern edge "
          "for a box across the date line.", ("minlon",), -180, 180),
    Param("maxlongitude", "float", "Eastern edge (degrees).", ("maxlon",), -180, 180),
    Param("latitude", "float", "Centre of a radius search (degrees).", ("lat",), -90, 90),
    Param("longitude", "float", "Centre of a radius search (degrees).", ("lon",), -180, 180),
    Param("minradius", "float", "Least distance from the centre (degrees).", (), 0, 180),
    Param("maxradius", "float", "Greatest distance from the centre (degrees).", (), 0, 180),
    Param("level", "choice", "Detail of the answer.", (), choices=LEVELS, default="station"),
    Param("includerestricted", "bool", "Accepted; nothing here is restricted.",
          default="true"),
    Param("includeavailability", "bool", "Only false is supported.", default="false"),
    Param("format", "choice", "Response format.", (), choices=("xml", "text"),
          default="xml"),
    Param("nodata", "choice", "HTTP status when nothing matches.", (),
          choices=("204", "404"), default="204"),
)  # fmt: skip


# ------------------------------------------------------------------------------ model


@dataclass(slots=True)
class ChannelEpoch:
    """One ``sitechan`` epoch with its sample rate and instrument."""

    row: Sitechan
    start: float
    end: float | None
    samprate: float | None = None
    instrument: Instrument | None = None
    sensor: Sensor | None = None
    location: str = ""


@dataclass(slots=True)
class StationEpoch:
    """One ``site`` epoch under one FDSN network, with its channel epochs."""

    net: str
    site: Site
    start: float
    end: float | None
    affiliations: tuple[str, ...] = ()
    channels: list[ChannelEpoch] = field(default_factory=list)
    total_channels: int = 0


def day_start(day: int) -> float:
    """Epoch seconds at 00:00 UTC of CSS3.0 day ``day`` (YYYYDDD); -inf when null."""
    if day <= 0:
        return -math.inf
    year, doy = divmod(day, 1000)
    return datetime(year, 1, 1, tzinfo=UTC).timestamp() + (max(doy, 1) - 1) * 86400.0


def _end(day: int) -> float | None:
    return None if day in _OPEN or day <= 0 else day_start(day)


def load_epochs(store: Store, default_network: str = DEFAULT_NETWORK) -> list[StationEpoch]:
    """Every station epoch in the store, each with all its channel epochs."""
    with store.session() as s:
        sites = [r for r in read_rows(s, "site") if isinstance(r, Site)]
        chans = [r for r in read_rows(s, "sitechan") if isinstance(r, Sitechan)]
        affs = [r for r in read_rows(s, "affiliation") if isinstance(r, Affiliation)]
        sensors = [r for r in read_rows(s, "sensor") if isinstance(r, Sensor)]
        insts = {r.inid: r for r in read_rows(s, "instrument") if isinstance(r, Instrument)}
    refsta = {r.sta: (r.refsta if r.refsta not in ("", "-") else r.sta) for r in sites}
    nets = fdsn_networks(affs, refsta)
    other: dict[str, list[str]] = defaultdict(list)
    for a in affs:
        if a.net not in other[a.sta]:
            other[a.sta].append(a.net)
    by_sta: dict[str, list[Sitechan]] = defaultdict(list)
    for c in chans:
        by_sta[c.sta].append(c)
    sens: dict[tuple[str, str], list[Sensor]] = defaultdict(list)
    for r in sensors:
        sens[(r.sta, r.chan)].append(r)
    out = []
    for site in sites:
        start, end = day_start(site.ondate), _end(site.offdate)
        epochs = []
        for c in by_sta.get(site.sta, []):
            cs, ce = day_start(c.ondate), _end(c.offdate)
            if (end is not None and cs >= end) or (ce is not None and ce <= start):
                continue
            ch = ChannelEpoch(c, cs, ce)
            ce_inf = math.inf if ce is None else ce
            cand = [r for r in sens.get((c.sta, c.chan), []) if r.time < ce_inf and r.endtime > cs]
            if cand:
                ch.sensor = max(cand, key=lambda r: r.time)
                ch.instrument = insts.get(ch.sensor.inid)
                if ch.instrument is not None and ch.instrument.samprate > 0:
                    ch.samprate = ch.instrument.samprate
            epochs.append(ch)
        epochs.sort(key=lambda c: (c.location, c.row.chan, c.start))
        for net in nets.get(site.sta, [default_network]):
            out.append(
                StationEpoch(net, site, start, end, tuple(other.get(site.sta, ())), epochs,
                             len(epochs))
            )  # fmt: skip
    out.sort(key=lambda e: (e.net, e.site.sta, e.start))
    return out


def table_counts(store: Store) -> tuple[int, ...]:
    """Row counts of the station tables (a cheap fingerprint of what load_epochs reads)."""
    from testban.store import count_rows

    with store.session() as s:
        return tuple(count_rows(s, t) for t in ("site", "sitechan", "affiliation", "sensor",
                                                 "instrument"))  # fmt: skip


# ----------------------------------------------------------------------------- query


@dataclass(slots=True)
class StationQuery:
    """A parsed station query: selections, time and place constraints, the answer's shape."""

    selections: list[Selection]
    values: dict[str, Any]
    level: str = "station"
    format: str = "xml"
    nodata: int = 204

    @property
    def channel_constrained(self) -> bool:
        return any(s.location != ("*",) or s.channel != ("*",) for s in self.selections)


def parse_station_query(items: Sequence[tuple[str, str]], body: str | None = None) -> StationQuery:
    """A :class:`StationQuery` of GET ``items`` or of a POST ``body``."""
    if body is not None:
        values, selections = parse_post(body, PARAMETERS)
    else:
        values = parse_items(items, PARAMETERS)
        selections = [selection_of(values)]
    for lo, hi in (("minlatitude", "maxlatitude"), ("minradius", "maxradius")):
        if lo in values and hi in values and values[lo] > values[hi]:
            raise BadRequest(f"{lo} is greater than {hi}")
    if values.get("includeavailability"):
        raise BadRequest("includeavailability=true is not supported")
    q = StationQuery(selections, values)
    q.level = values.get("level", "station")
    q.format = values.get("format", "xml")
    q.nodata = int(values.get("nodata", "204"))
    if q.format == "text" and q.level == "response":
        raise BadRequest("the text format has no response level; use level=channel")
    return q


def _time_ok(start: float, end: float | None, v: dict[str, Any], sel: Selection) -> bool:
    """Whether an epoch meets the time constraints (open ends count as +infinity)."""
    e = math.inf if end is None else end
    t0 = sel.start if sel.start is not None else v.get("starttime")
    t1 = sel.end if sel.end is not None else v.get("endtime")
    if t0 is not None and e < t0:
        return False
    if t1 is not None and start > t1:
        return False
    if "startbefore" in v and not start < v["startbefore"]:
        return False
    if "startafter" in v and not start > v["startafter"]:
        return False
    if "endbefore" in v and not e < v["endbefore"]:
        return False
    return not ("endafter" in v and not e > v["endafter"])


def _place_ok(site: Site, v: dict[str, Any]) -> bool:
    if "minlatitude" in v and site.lat < v["minlatitude"]:
        return False
    if "maxlatitude" in v and site.lat > v["maxlatitude"]:
        return False
    lon = (site.lon + 180.0) % 360.0 - 180.0
    lo, hi = v.get("minlongitude"), v.get("maxlongitude")
    if lo is not None and hi is not None and lo > hi:  # across the date line
        if not (lon >= lo or lon <= hi):
            return False
    else:
        if lo is not None and lon < lo:
            return False
        if hi is not None and lon > hi:
            return False
    if any(k in v for k in ("latitude", "longitude", "minradius", "maxradius")):
        d = float(great_circle(v.get("latitude", 0.0), v.get("longitude", 0.0),
                               site.lat, site.lon))  # fmt: skip
        if d < v.get("minradius", 0.0) or d > v.get("maxradius", 180.0):
            return False
    return True


def select(epochs: list[StationEpoch], q: StationQuery) -> list[StationEpoch]:
    """The station epochs (with their matching channel epochs) that a query asks for."""
    v = q.values
    need_channels = q.level in ("channel", "response") or q.channel_constrained
    out = []
    for ep in epochs:
        if not _place_ok(ep.site, v):
            continue
        sels = [
            s
            for s in q.selections
            if s.matches_station(ep.net, ep.site.sta) and _time_ok(ep.start, ep.end, v, s)
        ]
        if not sels:
            continue  # fmt: skip
        chans = [c for c in ep.channels
                 if any(s.matches(ep.net, ep.site.sta, c.location, c.row.chan)
                        and _time_ok(c.start, c.end, v, s) for s in sels)]  # fmt: skip
        if need_channels and not chans:
            continue
        out.append(StationEpoch(ep.net, ep.site, ep.start, ep.end, ep.affiliations, chans,
                                ep.total_channels))  # fmt: skip
    return out


# ---------------------------------------------------------------------------- output


def _utc(t: float | None) -> Any:
    from obspy import UTCDateTime

    return None if t is None or not math.isfinite(t) else UTCDateTime(t)


def _iso(t: float | None) -> str:
    u = _utc(t)
    return "" if u is None else u.strftime("%Y-%m-%dT%H:%M:%S")


class _Responses:
    """Responses per channel epoch: ``chanresp`` first, else the instrument's file."""

    def __init__(self, store: Store):
        with store.session() as s:
            self.stored = read_responses(s)
        self._files: dict[int, Any] = {}

    def get(self, sta: str, ch: ChannelEpoch) -> Any:
        got = self.stored.get((sta, ch.row.chan, ch.row.ondate))
        if got is not None:
            return got
        inst = ch.instrument
        if inst is None or inst.dfile in ("", "-") or not Path(inst.dir).is_absolute():
            return None
        if inst.inid not in self._files:
            from testban.network.response import ResponseFileError, read_array_response

            path = Path(inst.dir) / inst.dfile
            try:
                self._files[inst.inid] = read_array_response(path) if path.is_file() else None
            except (OSError, ResponseFileError):
                self._files[inst.inid] = None
        raw = self._files[inst.inid]
        if raw is None:
            return None
        from testban.network.response import calibrated

        sensor = ch.sensor
        calib = inst.ncalib * (sensor.calratio if sensor and sensor.calratio > 0 else 1.0)
        calper = sensor.calper if sensor and sensor.calper > 0 else inst.ncalper
        return calibrated(raw, calib, calper)


def to_inventory(epochs: list[StationEpoch], level: str, responses: _Responses | None = None):  # noqa: ANN201
    """An ObsPy ``Inventory`` of selected epochs at ``level``."""
    from obspy import Inventory, UTCDateTime
    from obspy.core.inventory import Channel as XChannel
    from obspy.core.inventory import Network as XNetwork
    from obspy.core.inventory import Site as XSite
    from obspy.core.inventory import Station as XStation
    from obspy.core.util import AttribDict

    from testban.network.model import NAMESPACE

    by_net: dict[str, list[StationEpoch]] = defaultdict(list)
    for ep in epochs:
        by_net[ep.net].append(ep)
    nets = []
    for code, eps in by_net.items():
        starts = [e.start for e in eps if math.isfinite(e.start)]
        xn = XNetwork(
            code,
            description=f"testban store, network {code}",
            start_date=_utc(min(starts)) if starts else None,
            total_number_of_stations=len({e.site.sta for e in eps}),
            selected_number_of_stations=len({e.site.sta for e in eps}),
        )
        if level != "network":
            for ep in eps:
                s = ep.site
                elev_m = 0.0 if s.elev == -999.0 else s.elev * 1000.0
                chans = []
                if level in ("channel", "response"):
                    for c in ep.channels:
                        r = c.row
                        chans.append(
                            XChannel(
                                r.chan, c.location, s.lat, s.lon, elev_m,
                                max(r.edepth, 0.0) * 1000.0,
                                azimuth=None if r.hang == -1.0 else r.hang,
                                dip=None if r.vang == -1.0 else r.vang - 90.0,
                                sample_rate=c.samprate,
                                start_date=_utc(c.start), end_date=_utc(c.end),
                                description=None if r.descrip in ("", "-") else r.descrip,
                                response=responses.get(s.sta, c)
                                if level == "response" and responses else None,
                            )
                        )  # fmt: skip
                xs = XStation(
                    s.sta, s.lat, s.lon, elev_m, channels=chans,
                    site=XSite(s.staname if s.staname not in ("", "-") else s.sta),
                    start_date=_utc(ep.start), end_date=_utc(ep.end),
                    creation_date=_utc(ep.start),
                    total_number_of_channels=ep.total_channels,
                    selected_number_of_channels=len(ep.channels),
                )  # fmt: skip
                refsta = s.refsta if s.refsta not in ("", "-") else s.sta
                extra = {"statype": (s.statype or "ss").strip().lower() or "ss", "refsta": refsta}
                if refsta != s.sta and (s.deast != 0.0 or s.dnorth != 0.0):
                    extra.update(deast=f"{s.deast:.6f}", dnorth=f"{s.dnorth:.6f}")
                if ep.affiliations:
                    extra["affiliations"] = " ".join(ep.affiliations)
                xs.extra = AttribDict(
                    {k: AttribDict(value=val, namespace=NAMESPACE) for k, val in extra.items()}
                )
                xn.stations.append(xs)
        nets.append(xn)
    return Inventory(networks=nets, source="testban", sender="testban",
                     created=UTCDateTime())  # fmt: skip


def stationxml(epochs: list[StationEpoch], level: str, responses: _Responses | None) -> bytes:
    """StationXML 1.1 of selected epochs."""
    from testban.network.model import NAMESPACE

    buf = io.BytesIO()
    inv = to_inventory(epochs, level, responses)
    # the namespace declared at the root, so that readers find the extras (ObsPy does)
    inv.write(buf, format="STATIONXML", validate=False, nsmap={"css30": NAMESPACE})
    return buf.getvalue()


def text(epochs: list[StationEpoch], level: str) -> str:
    """The FDSN text format of selected epochs at ``level`` (network, station, channel)."""
    if level == "network":
        lines = ["#Network|Description|StartTime|EndTime|TotalStations"]
        by_net: dict[str, list[StationEpoch]] = defaultdict(list)
        for ep in epochs:
            by_net[ep.net].append(ep)
        for code, eps in by_net.items():
            starts = [e.start for e in eps if math.isfinite(e.start)]
            first = _iso(min(starts)) if starts else ""
            n = len({e.site.sta for e in eps})
            lines.append(f"{code}|testban store, network {code}|{first}||{n}")
        return "\n".join(lines) + "\n"
    if level == "station":
        lines = ["#Network|Station|Latitude|Longitude|Elevation|SiteName|StartTime|EndTime"]
        for ep in epochs:
            s = ep.site
            name = (s.staname if s.staname not in ("", "-") else s.sta).replace("|", "/")
            elev = 0.0 if s.elev == -999.0 else s.elev * 1000.0
            lines.append(f"{ep.net}|{s.sta}|{s.lat:.4f}|{s.lon:.4f}|{elev:.1f}|{name}|"
                         f"{_iso(ep.start)}|{_iso(ep.end)}")  # fmt: skip
        return "\n".join(lines) + "\n"
    lines = [
        "#Network|Station|Location|Channel|Latitude|Longitude|Elevation|Depth|Azimuth|Dip|"
        "SensorDescription|Scale|ScaleFreq|ScaleUnits|SampleRate|StartTime|EndTime"
    ]
    for ep in epochs:
        s = ep.site
        elev = 0.0 if s.elev == -999.0 else s.elev * 1000.0
        for c in ep.channels:
            r = c.row
            az = "" if r.hang == -1.0 else f"{r.hang:g}"
            dip = "" if r.vang == -1.0 else f"{r.vang - 90.0:g}"
            desc = "" if r.descrip in ("", "-") else r.descrip.replace("|", "/")
            rate = "" if c.samprate is None else f"{c.samprate:g}"
            lines.append(
                f"{ep.net}|{s.sta}|{c.location}|{r.chan}|{s.lat:.4f}|{s.lon:.4f}|{elev:.1f}|"
                f"{max(r.edepth, 0.0) * 1000.0:.1f}|{az}|{dip}|{desc}||||{rate}|"
                f"{_iso(c.start)}|{_iso(c.end)}"
            )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- routes


def router(store: Store, *, default_network: str = DEFAULT_NETWORK) -> APIRouter:
    """The FDSN station service routes, on ``store``."""
    r = APIRouter(prefix="/fdsnws/station/1", tags=["FDSN station service"])
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    def epochs() -> list[StationEpoch]:
        """The store's station epochs, read again only when the tables' row counts change
        (``testban run`` only adds station rows)."""
        key = table_counts(store)
        with lock:
            if cache.get("key") != key:
                cache["epochs"], cache["key"] = load_epochs(store, default_network), key
            return list(cache["epochs"])

    def fail(request: Request, status: int, message: str) -> PlainTextResponse:
        return error_response(request, status, message, version=SERVICE_VERSION,
                              index="fdsn_station_index")  # fmt: skip

    def answer(request: Request, items: list[tuple[str, str]], body: str | None) -> Response:
        try:
            q = parse_station_query(items, body)
        except BadRequest as exc:
            return fail(request, 400, str(exc))
        chosen = select(epochs(), q)
        if not chosen:
            if q.nodata == 404:
                return fail(request, 404, "No stations match the request.")
            return Response(status_code=204)
        if q.format == "text":
            return PlainTextResponse(text(chosen, q.level))
        responses = _Responses(store) if q.level == "response" else None
        return Response(stationxml(chosen, q.level, responses), media_type="application/xml")

    @r.get("/", name="fdsn_station_index", response_class=PlainTextResponse)
    def index(request: Request) -> str:
        """Where the service's parts are."""
        base = str(request.url_for("fdsn_station_index"))
        return (
            "testban FDSN station web service 1.1\n\n"
            f"query:   {base}query?network=...&station=...&level=station|channel|response\n"
            f"version: {base}version\n"
            f"WADL:    {base}application.wadl\n"
        )

    service_routes(
        r,
        answer,
        PARAMETERS,
        ("application/xml", "text/plain"),
        "fdsn_station_index",
        SERVICE_VERSION,
    )

    return r
