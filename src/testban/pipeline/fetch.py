"""``testban fetch``: after an event, the waveforms and station metadata that matter, from
any FDSN data centre, into an archive that ``testban run`` reads.

For an event (origin time, epicentre, depth), the stations between ``mindist`` and
``maxdist`` degrees with channels matching ``channels`` are asked of the centre's station
service (with responses where it has them); each station's window runs from ``before``
seconds ahead of its first predicted P-type arrival to ``after`` seconds beyond its last
predicted S-type arrival (:mod:`testban.traveltime`; first arrival + ``after`` where no S
exists), and its channels' samples in that window are asked of the dataselect service.
Everything lands under one folder::

    OUT/stations/NET.STA.xml                               StationXML, one per station
    OUT/waveforms/NET.STA.LOC.CHA__START__END.mseed         MiniSEED, one per channel
    OUT/fetch-report.txt                                    what was fetched and missing

so that ``testban run OUT/waveforms --stations OUT/stations`` processes it. A file that is
there already is not asked for again (resumption: an interrupted fetch is simply run
again); a channel the centre has no data for, or only part of the window, is reported.

ObsPy's ``MassDownloader`` was not used: it asks one time window of every station, while
a window from the predicted phases differs by station (minutes at 10°, a quarter of an
hour at 90°), and its file layout and report are its own. Requests go through ObsPy's
FDSN ``Client`` (``get_stations``, ``get_waveforms_bulk``), so any FDSN centre works.
"""

from __future__ import annotations

import logging
import math
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

__all__ = [
    "FetchConfig",
    "FetchEvent",
    "FetchReport",
    "event_from_store",
    "event_from_text",
    "fetch_event",
    "station_windows",
]


@dataclass(frozen=True)
class FetchConfig:
    """What to fetch around an event; distances in degrees, times in seconds."""

    mindist: float = 0.0  # nearest station (°)
    maxdist: float = 30.0  # farthest station (°): regional and near-teleseismic P
    channels: str = "BH?,SH?,HH?"  # FDSN channel patterns, comma-separated
    before: float = 300.0  # s of noise before the first predicted P (STA/LTA warm-up, SNR)
    after: float = 300.0  # s after the last predicted S (coda, surface waves at short range)
    model: str = "iasp91"  # travel-time model of the windows
    level: str = "response"  # station metadata detail (channel when responses fail)
    timeout: float = 120.0  # s per request


@dataclass(frozen=True)
class FetchEvent:
    """The event fetched around: origin time (epoch s), epicentre (°), depth (km)."""

    time: float
    lat: float
    lon: float
    depth: float = 0.0


@dataclass
class FetchReport:
    """What a fetch asked for, wrote, found already there and could not get."""

    url: str
    event: FetchEvent
    stations: list[str] = field(default_factory=list)  # NET.STA in range
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # there already
    missing: list[tuple[str, str]] = field(default_factory=list)  # (seed id, why)
    partial: list[tuple[str, float]] = field(default_factory=list)  # (seed id, fraction)
    wall_s: float = 0.0

    def text(self) -> str:
        from obspy import UTCDateTime

        e = self.event
        lines = [
            f"testban fetch from {self.url}",
            f"event: {UTCDateTime(e.time).isoformat()} lat {e.lat:.4f} lon {e.lon:.4f} "
            f"depth {e.depth:.1f} km",
            f"stations in range: {len(self.stations)}; files written: {len(self.written)}, "
            f"already there: {len(self.skipped)}; channels missing: {len(self.missing)}, "
            f"partial: {len(self.partial)}; {self.wall_s:.1f} s",
        ]
        if self.missing:
            lines += ["", "missing:"] + [f"  {sid}: {why}" for sid, why in self.missing]
        if self.partial:
            lines += ["", "partial (fraction of the window covered):"]
            lines += [f"  {sid}: {frac:.0%}" for sid, frac in self.partial]
        return "\n".join(lines) + "\n"


def station_windows(
    event: FetchEvent, coords: dict[str, tuple[float, float]], config: FetchConfig
) -> dict[str, tuple[float, float, float]]:
    """``{NET.STA: (distance °, start, end)}``: each station's window from the predicted
    phases (vectorised over the stations)."""
    import numpy as np

    from testban.traveltime import P_TYPES, S_TYPES, distance_azimuth, travel_times

    if not coords:
        return {}
    names = list(coords)
    lat = np.array([coords[n][0] for n in names])
    lon = np.array([coords[n][1] for n in names])
    delta, _az, _baz = distance_azimuth(event.lat, event.lon, lat, lon)
    delta = np.asarray(delta, dtype=float)
    tt = travel_times(config.model)
    depth = np.full_like(delta, max(event.depth, 0.0))
    first, _ = tt.first_arrival(delta, depth, P_TYPES)
    last = np.full_like(delta, -np.inf)
    for ph in S_TYPES:
        t = np.asarray(tt.predict(ph, delta, depth).time, dtype=float)
        last = np.where(np.isfinite(t), np.maximum(last, t), last)
    t_first = np.asarray(first.time, dtype=float)
    t_first = np.where(np.isfinite(t_first), t_first, delta * 111.19 / 8.0)  # no P: 8 km/s
    t_last = np.where(np.isfinite(last), last, t_first)
    return {
        n: (float(d), event.time + float(a) - config.before, event.time + float(b) + config.after)
        for n, d, a, b in zip(names, delta, t_first, t_last, strict=True)
    }


def _stamp(t: float) -> str:
    from obspy import UTCDateTime

    return UTCDateTime(t).strftime("%Y%m%dT%H%M%SZ")


def _inventory(client: Any, event: FetchEvent, config: FetchConfig) -> Any:
    """Stations in range with matching channels (responses if the centre has them)."""
    from obspy.clients.fdsn.header import FDSNException, FDSNNoDataException

    args = dict(
        latitude=event.lat, longitude=event.lon, minradius=config.mindist,
        maxradius=config.maxdist, channel=config.channels,
        starttime=_utc(event.time - 3600.0), endtime=_utc(event.time + 3600.0),
    )  # fmt: skip
    try:
        return client.get_stations(level=config.level, **args)
    except FDSNNoDataException:
        return None
    except FDSNException as exc:
        if config.level != "response":
            raise
        log.warning("station metadata with responses failed (%s); asking for channels", exc)
        return client.get_stations(level="channel", **args)


def _write_station(net: Any, sta: Any, path: Path, source: str) -> None:
    """One station's StationXML, written whole or not at all."""
    from obspy import Inventory

    one = Inventory(networks=[net.copy()], source=source)
    one.networks[0].stations = [sta]
    tmp = path.with_suffix(".part")
    one.write(str(tmp), format="STATIONXML", nsmap=_namespaces(sta))
    tmp.replace(path)


def _array_references(client: Any, stations: dict[str, tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """The reference sites of the arrays whose elements were found (testban's StationXML
    names them in a ``refsta`` extra; they have no channels, so a channel query misses
    them, yet they carry the array's position and IMS affiliation)."""
    from obspy.clients.fdsn.header import FDSNException

    wanted: dict[str, set[str]] = {}
    for net, sta in stations.values():
        extra: Any = getattr(sta, "extra", None) or {}
        ref = extra.get("refsta")
        code = str(ref.get("value", "")).strip() if hasattr(ref, "get") else ""
        if code and code != sta.code and f"{net.code}.{code}" not in stations:
            wanted.setdefault(net.code, set()).add(code)
    out = []
    for net_code, codes in sorted(wanted.items()):
        try:
            inv = client.get_stations(network=net_code, station=",".join(sorted(codes)),
                                      level="station")  # fmt: skip
        except FDSNException as exc:
            log.warning("array reference sites %s: %s", sorted(codes), exc)
            continue
        out += [(n, s) for n in inv for s in n if s.code in codes]
    return out


def _namespaces(sta: Any) -> dict[str, str]:
    """Prefixes for the custom namespaces of a station's extras (declared at the root,
    where StationXML readers look for them)."""
    spaces = {v.get("namespace") for v in (getattr(sta, "extra", None) or {}).values()
              if hasattr(v, "get")}  # fmt: skip
    return {f"extra{i}": ns for i, ns in enumerate(sorted(s for s in spaces if s))}


def _utc(t: float) -> Any:
    from obspy import UTCDateTime

    return UTCDateTime(t)


def fetch_event(
    url_or_client: Any,
    event: FetchEvent,
    out: str | Path,
    config: FetchConfig | None = None,
    *,
    progress: Callable[[int, int, str], None] | None = None,
) -> FetchReport:
    """Fetch around ``event`` into ``out`` (see the module); ``progress(done, total, name)``
    is called after each station. Returns the report (also written to
    ``out/fetch-report.txt``)."""
    from obspy.clients.fdsn import Client
    from obspy.clients.fdsn.header import FDSNException, FDSNNoDataException

    cfg = config or FetchConfig()
    wall0 = _time.perf_counter()
    client = Client(url_or_client, timeout=cfg.timeout) if isinstance(url_or_client, str) \
        else url_or_client  # fmt: skip
    out = Path(out)
    (out / "stations").mkdir(parents=True, exist_ok=True)
    (out / "waveforms").mkdir(parents=True, exist_ok=True)
    report = FetchReport(str(getattr(client, "base_url", url_or_client)), event)
    inv = _inventory(client, event, cfg)
    stations: dict[str, tuple[Any, Any]] = {}
    for net in inv or []:
        for sta in net:
            if sta.channels:
                stations.setdefault(f"{net.code}.{sta.code}", (net, sta))
    coords = {k: (float(s.latitude), float(s.longitude)) for k, (_n, s) in stations.items()}
    windows = station_windows(event, coords, cfg)
    names = sorted(stations, key=lambda k: windows[k][0])
    report.stations = names
    for net, ref in _array_references(client, stations):
        xml = out / "stations" / f"{net.code}.{ref.code}.xml"
        if xml.is_file():
            report.skipped.append(xml)
        else:
            _write_station(net, ref, xml, inv.source)
            report.written.append(xml)
    for i, name in enumerate(names):
        net, sta = stations[name]
        xml = out / "stations" / f"{name}.xml"
        if xml.is_file():
            report.skipped.append(xml)
        else:
            _write_station(net, sta, xml, inv.source)
            report.written.append(xml)
        _dist, t0, t1 = windows[name]
        wanted: dict[str, Path] = {}
        for ch in sta.channels:
            sid = f"{name}.{ch.location_code}.{ch.code}"
            if ch.start_date is not None and ch.start_date.timestamp > t1:
                continue
            if ch.end_date is not None and ch.end_date.timestamp < t0:
                continue
            path = out / "waveforms" / f"{sid}__{_stamp(t0)}__{_stamp(t1)}.mseed"
            if path.is_file():
                report.skipped.append(path)
            else:
                wanted.setdefault(sid, path)
        if wanted:
            bulk = [(*sid.split("."), _utc(t0), _utc(t1)) for sid in wanted]
            try:
                st = client.get_waveforms_bulk(bulk)
            except FDSNNoDataException:
                st = None
            except FDSNException as exc:
                report.missing += [
                    (sid, f"request failed: {exc}".splitlines()[0]) for sid in wanted
                ]
                st = None
                wanted = {}
            for sid, path in wanted.items():
                n, s, loc, cha = sid.split(".")
                got = st.select(network=n, station=s, location=loc, channel=cha) if st else None
                if not got:
                    report.missing.append((sid, "no data in the window"))
                    continue
                covered = sum(tr.stats.npts / tr.stats.sampling_rate for tr in got)
                frac = min(1.0, covered / (t1 - t0)) if t1 > t0 else 1.0
                if frac < 0.99:
                    report.partial.append((sid, frac))
                tmp = path.with_suffix(".part")
                got.write(str(tmp), format="MSEED")
                tmp.replace(path)
                report.written.append(path)
        if progress is not None:
            progress(i + 1, len(names), name)
    report.wall_s = _time.perf_counter() - wall0
    (out / "fetch-report.txt").write_text(report.text(), encoding="utf-8")
    return report


def event_from_store(store: Any, evid: int) -> FetchEvent:
    """The preferred origin of event ``evid`` (or an origin ``orid``) in a store."""
    from testban.store import query_events

    with store.session() as s:
        found = query_events(s, eventid=evid, limit=1)
    if not found:
        raise LookupError(f"no event {evid} in the store {getattr(store, 'url', store)}")
    o = found[0].origin
    return FetchEvent(o.time, o.lat, o.lon, max(o.depth, 0.0) if o.depth > -999 else 0.0)


def event_from_text(text: str) -> FetchEvent:
    """``TIME,LAT,LON[,DEPTH_KM]`` (TIME in ISO 8601 UTC) as a :class:`FetchEvent`."""
    from obspy import UTCDateTime

    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (3, 4):
        raise ValueError(f"{text!r}: give TIME,LAT,LON or TIME,LAT,LON,DEPTH_KM")
    try:
        t = UTCDateTime(parts[0]).timestamp
        lat, lon = float(parts[1]), float(parts[2])
        depth = float(parts[3]) if len(parts) == 4 else 0.0
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 360) or not math.isfinite(depth):
        raise ValueError(f"{text!r}: latitude or longitude out of range")
    return FetchEvent(t, lat, lon, depth)
