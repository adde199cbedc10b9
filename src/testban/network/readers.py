"""Read station metadata from StationXML, CSS3.0 tables, array geometry files or CSV.

Every reader returns ``(Network, problems)``: a bad row (unparsable coordinates, a
channel of an unknown site, a response file that is not there) becomes a
:class:`~testban.io.problems.ReadProblem` and reading goes on. :func:`read_network` is
what a command's ``--stations META`` calls: it recognises the format of each META and
merges several into one network.

Epochs: CSS3.0 ``site``/``sitechan`` rows and StationXML epochs are chosen at ``at`` (an
``UTCDateTime``); by default each station's latest epoch is kept, even when it is closed,
so a station that has since been replaced still has coordinates.
"""

from __future__ import annotations

import csv
import math
import os
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from obspy import UTCDateTime

from testban.io.css30.tables import TableError, read_table, rows_of
from testban.io.problems import ReadProblem
from testban.network.arrays import group_arrays
from testban.network.model import Channel, Network, Station
from testban.network.response import ResponseFileError, calibrated, read_array_response
from testban.records.css30 import (
    TABLES,
    Affiliation,
    Instrument,
    Record,
    Sensor,
    Site,
    Sitechan,
    jdate,
)

PathLike = str | os.PathLike[str]
Meta = PathLike | Sequence[PathLike] | Network
#: What every reader returns: the network and what could not be read.
Result = tuple[Network, list[ReadProblem]]

#: ``offdate`` values that mean "still open" (CSS3.0 null, and the IDC's year 2286).
OPEN_OFFDATES = (-1, 2286324)
_FAR_FUTURE_JDATE = 9999365

__all__ = [
    "read_array_geometry",
    "read_css30",
    "read_network",
    "read_station_csv",
    "read_stationxml",
]


# ------------------------------------------------------------------------------ epochs


def _offdate(offdate: int) -> int:
    return _FAR_FUTURE_JDATE if offdate in OPEN_OFFDATES else offdate


def _jdate_end_seconds(day: int) -> float:
    """Epoch seconds at the end of CSS3.0 day ``day`` (YYYYDDD)."""
    if day >= _FAR_FUTURE_JDATE:
        return math.inf
    year, doy = divmod(day, 1000)
    return UTCDateTime(year=year, julday=max(doy, 1)).timestamp + 86399.999


def _pick_epoch(rows: Sequence[Any], day: int | None) -> Any | None:
    """The row (with ``ondate``/``offdate``) valid on ``day``; the latest when None.

    Boundaries are inclusive (the IDC closes an epoch on the day the next one opens);
    where two epochs share the day, the later-opened one wins.
    """
    if day is None:
        return max(rows, key=lambda r: (r.ondate, _offdate(r.offdate)))
    valid = [r for r in rows if r.ondate <= day <= _offdate(r.offdate)]
    return max(valid, key=lambda r: r.ondate) if valid else None


# ------------------------------------------------------------------------------ CSS3.0


def _table_file(source: Path, table: str) -> Path | None:
    if source.is_dir():
        for cand in (source / f"{table}.csv", *sorted(source.glob(f"*.{table}"))):
            if cand.is_file():
                return cand
        return None
    cand = source.with_name(f"{source.name}.{table}")
    return cand if cand.is_file() else None


def _read_rows(path: Path, table: str, problems: list[ReadProblem]) -> list[Record]:
    """All good rows of one table; a bad row is reported and skipped."""
    try:
        return read_table(path, table, problems)
    except TableError as exc:  # the whole table is unreadable (e.g. no layout fits)
        problems.append(ReadProblem(str(path), f"unreadable {table} table: {_why(exc)}"))
        return []


def _why(exc: TableError) -> str:
    """The table error's message without its file/row prefix, but with its column."""
    text = str(exc)
    text = text.split(": ", 1)[1] if ": " in text else text
    return f"column {exc.column}: {text}" if exc.column else text


def read_css30(source: PathLike, at: UTCDateTime | None = None) -> Result:
    """Read CSS3.0 ``site``, ``sitechan``, ``affiliation`` (+ ``sensor``, ``instrument``).

    ``source`` is a directory (``site.csv`` … or flat ``*.site`` …) or a flat-file prefix
    (``stations/ims_css30/ueb_test``). Sample rates come from ``sensor`` → ``instrument``;
    responses from the instrument's ``dir/dfile`` when that file exists (relative paths
    are taken from the tables' directory), calibrated with ``ncalib``/``ncalper``.
    """
    source = Path(source)
    problems: list[ReadProblem] = []
    paths = {
        t: _table_file(source, t)
        for t in ("site", "sitechan", "affiliation", "sensor", "instrument")
    }
    if paths["site"] is None:
        problems.append(ReadProblem(str(source), "no CSS3.0 site table here"))
        return Network(name=source.name), problems
    tables = {t: _read_rows(p, t, problems) if p else [] for t, p in paths.items()}
    site_file = str(paths["site"])
    day = None if at is None else jdate(at)

    by_sta: dict[str, list[Site]] = defaultdict(list)
    for s in tables["site"]:
        assert isinstance(s, Site)
        if not (-90.0 <= s.lat <= 90.0 and -180.0 <= s.lon <= 360.0):
            problems.append(
                ReadProblem(
                    site_file,
                    f"station {s.sta}: no valid coordinates (lat {s.lat}, lon {s.lon})",
                    f"ondate {s.ondate}",
                    s.sta,
                )
            )
            continue
        by_sta[s.sta].append(s)
    chosen = {sta: e for sta, rows in by_sta.items() if (e := _pick_epoch(rows, day)) is not None}
    channels = _css_channels(tables, paths, chosen, day, at, source, problems)
    affiliations = _css_affiliations(
        tables["affiliation"], paths["affiliation"], by_sta, at, problems
    )

    stations = []
    for sta, s in chosen.items():
        refsta = s.refsta if s.refsta not in ("", "-") else sta
        element = refsta != sta
        offsets_given = element and (s.dnorth != 0.0 or s.deast != 0.0)
        stations.append(
            Station(
                sta,
                s.lat,
                s.lon,
                elev=None if s.elev == -999.0 else s.elev,
                name="" if s.staname == "-" else s.staname,
                statype=(s.statype or "ss").strip().lower(),
                refsta=refsta,
                dnorth=s.dnorth if offsets_given else None,
                deast=s.deast if offsets_given else None,
                affiliations=tuple(affiliations.get(sta, ())),
                channels=tuple(channels.get(sta, ())),
                ondate=s.ondate,
                offdate=s.offdate,
            )
        )
    return Network(stations, name=source.name), problems


def _css_affiliations(
    rows: list[Record],
    path: Path | None,
    sites: dict[str, list[Site]],
    at: UTCDateTime | None,
    problems: list[ReadProblem],
) -> dict[str, list[str]]:
    """``{sta: [net, ...]}``; with ``at``, only memberships valid then."""
    out: dict[str, list[str]] = defaultdict(list)
    unknown: dict[str, list[str]] = defaultdict(list)
    for a in rows:
        assert isinstance(a, Affiliation)
        if at is not None and not (a.time <= at.timestamp <= a.endtime):
            continue
        if a.sta not in sites:
            unknown[a.sta].append(a.net)
        elif a.net not in out[a.sta]:
            out[a.sta].append(a.net)
    for sta, nets in unknown.items():
        problems.append(
            ReadProblem(
                str(path),
                f"affiliation of {sta} to {', '.join(nets)}: no such site",
                seed_id=sta,
                severity="warning",
            )
        )
    return out


def _css_channels(
    tables: dict[str, list[Record]],
    paths: dict[str, Path | None],
    chosen: dict[str, Site],
    day: int | None,
    at: UTCDateTime | None,
    source: Path,
    problems: list[ReadProblem],
) -> dict[str, list[Channel]]:
    """Channels of the chosen station epochs, with sample rates and responses."""
    sitechan: dict[str, dict[str, list[Sitechan]]] = defaultdict(lambda: defaultdict(list))
    unknown: dict[str, set[str]] = defaultdict(set)
    known_sites = {s.sta for s in rows_of(tables, Site)}
    for c in tables["sitechan"]:
        assert isinstance(c, Sitechan)
        if c.sta not in known_sites:
            unknown[c.sta].add(c.chan)
        elif c.sta in chosen:
            sitechan[c.sta][c.chan].append(c)
    for sta, chans in unknown.items():
        problems.append(
            ReadProblem(
                str(paths["sitechan"]),
                f"channels {', '.join(sorted(chans))} of unknown site {sta}",
                seed_id=sta,
            )
        )
    sensors: dict[tuple[str, str], list[Sensor]] = defaultdict(list)
    for r in tables["sensor"]:
        assert isinstance(r, Sensor)
        sensors[(r.sta, r.chan)].append(r)
    instruments = {r.inid: r for r in tables["instrument"] if isinstance(r, Instrument)}
    base = source if source.is_dir() else source.parent
    responses = _ResponseCache(base, paths["instrument"], problems)

    out: dict[str, list[Channel]] = {}
    for sta, site in chosen.items():
        ref_day = day if day is not None else _offdate(site.offdate)
        picked = {ch: _pick_epoch(rows, ref_day) for ch, rows in sitechan[sta].items()}
        if not any(picked.values()):  # closed station: its channels' last epochs
            picked = {
                ch: max(rows, key=lambda r: r.ondate)
                for ch, rows in sitechan[sta].items()
                if any(r.ondate <= _offdate(site.offdate) for r in rows)
            }
        t_ref = at.timestamp if at is not None else _jdate_end_seconds(ref_day)
        channels = []
        for code, row in picked.items():
            if row is None:
                continue
            sensor = _pick_sensor(sensors.get((sta, code), []), t_ref)
            inst = instruments.get(sensor.inid) if sensor else None
            rate = inst.samprate if inst and inst.samprate > 0 else None
            response = responses.get(inst, sensor) if inst and sensor else None
            channels.append(
                Channel(
                    code,
                    sample_rate=rate,
                    hang=None if row.hang == -1.0 else row.hang,
                    vang=None if row.vang == -1.0 else row.vang,
                    edepth=max(row.edepth, 0.0),
                    ctype=row.ctype,
                    descrip="" if row.descrip == "-" else row.descrip,
                    response=response,
                )
            )
        out[sta] = channels
    responses.report_missing()
    return out


def _pick_sensor(rows: list[Sensor], t: float) -> Sensor | None:
    """The sensor epoch valid at ``t``, else the last one installed before ``t``."""
    valid = [r for r in rows if r.time <= t <= r.endtime]
    if valid:
        return max(valid, key=lambda r: r.time)
    before = [r for r in rows if r.time <= t]
    return max(before, key=lambda r: r.time) if before else None


class _ResponseCache:
    """Responses per instrument, read once; missing files are reported once per folder."""

    def __init__(self, base: Path, table: Path | None, problems: list[ReadProblem]):
        self.base, self.table, self.problems = base, str(table), problems
        self._raw: dict[int, Any] = {}
        self._missing: dict[Path, list[str]] = {}

    def report_missing(self) -> None:
        """One warning per folder of missing response files (station tables often name
        hundreds of files that were never shipped with them)."""
        for folder, names in self._missing.items():
            shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
            self.problems.append(
                ReadProblem(
                    self.table,
                    f"{len(names)} response files not found in {folder} ({shown}); "
                    "those channels have no response",
                    severity="warning",
                )
            )
        self._missing.clear()

    def get(self, inst: Instrument, sensor: Sensor) -> Any:
        if inst.inid not in self._raw:
            self._raw[inst.inid] = self._load(inst)
        raw = self._raw[inst.inid]
        if raw is None:
            return None
        calib = inst.ncalib * (sensor.calratio if sensor.calratio > 0 else 1.0)
        calper = sensor.calper if sensor.calper > 0 else inst.ncalper
        return calibrated(raw, calib, calper)

    def _load(self, inst: Instrument) -> Any:
        if inst.dfile in ("", "-"):
            return None
        folder = Path(inst.dir) if inst.dir not in ("", "-", ".") else Path()
        path = folder / inst.dfile if folder.is_absolute() else self.base / folder / inst.dfile
        where = f"inid {inst.inid}"
        if not path.is_file():
            self._missing.setdefault(path.parent, []).append(path.name)
            return None
        try:
            return read_array_response(path)
        except (OSError, ResponseFileError) as exc:
            self.problems.append(ReadProblem(self.table, str(exc), where, severity="warning"))
            return None


# -------------------------------------------------------------------------- StationXML


def read_stationxml(path: PathLike, at: UTCDateTime | None = None) -> Result:
    """Read a StationXML file with ObsPy; one epoch per station (at ``at``, else latest).

    The FDSN network code becomes both :attr:`Station.network` and an affiliation.
    Array attributes written by :meth:`Network.to_inventory` are restored.
    """
    import obspy

    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "version 1" of some IRIS files
            inv = obspy.read_inventory(str(path), format="STATIONXML")
    except Exception as exc:  # noqa: BLE001 - any parser failure is bad content
        return Network(name=path.stem), [
            ReadProblem(str(path), f"not readable as StationXML: {exc}")
        ]
    problems: list[ReadProblem] = []
    stations = []
    for xnet in inv:
        groups: dict[str, list[Any]] = defaultdict(list)
        for xs in xnet:
            groups[xs.code].append(xs)
        for epochs in groups.values():
            xs = _pick_xml_epoch(epochs, at)
            if xs is None:
                continue
            station = _station_from_xml(xnet.code, xs, at, str(path), problems)
            if station is not None:
                stations.append(station)
    return Network(stations, name=path.stem), problems


def _pick_xml_epoch(epochs: Sequence[Any], at: UTCDateTime | None) -> Any | None:
    def start(e: Any) -> float:
        return e.start_date.timestamp if e.start_date is not None else -math.inf

    if at is None:
        return max(epochs, key=start)
    valid = [
        e for e in epochs if start(e) <= at.timestamp and (e.end_date is None or at <= e.end_date)
    ]
    return max(valid, key=start) if valid else None


def _extra(xs: Any, key: str) -> str | None:
    extra = getattr(xs, "extra", None) or {}
    item = extra.get(key)
    if item is None:
        return None
    value = item.get("value") if hasattr(item, "get") else item
    return None if value is None else str(value).strip()


def _station_from_xml(
    net: str, xs: Any, at: UTCDateTime | None, file: str, problems: list[ReadProblem]
) -> Station | None:
    if xs.latitude is None or xs.longitude is None:
        problems.append(
            ReadProblem(file, "station without coordinates", seed_id=f"{net}.{xs.code}")
        )
        return None
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for ch in xs.channels:
        groups[(ch.location_code or "", ch.code)].append(ch)
    chans = []
    for (loc, code), epochs in groups.items():
        ch = _pick_xml_epoch(epochs, at)
        if ch is None:
            continue
        resp = ch.response
        if resp is not None and not (resp.response_stages or resp.instrument_sensitivity):
            resp = None
        chans.append(
            Channel(
                code,
                sample_rate=float(ch.sample_rate) if ch.sample_rate else None,
                hang=float(ch.azimuth) if ch.azimuth is not None else None,
                vang=float(ch.dip) + 90.0 if ch.dip is not None else None,
                edepth=float(ch.depth or 0.0) / 1000.0,
                location=loc,
                response=resp,
            )
        )
    affiliations = (_extra(xs, "affiliations") or "").split()
    dnorth, deast = _extra(xs, "dnorth"), _extra(xs, "deast")
    name = xs.site.name if xs.site is not None and xs.site.name else ""
    return Station(
        xs.code,
        float(xs.latitude),
        float(xs.longitude),
        elev=float(xs.elevation) / 1000.0 if xs.elevation is not None else None,
        name=name,
        statype=_extra(xs, "statype") or "ss",
        refsta=_extra(xs, "refsta") or "",
        dnorth=float(dnorth) if dnorth else None,
        deast=float(deast) if deast else None,
        affiliations=tuple(dict.fromkeys([net, *affiliations])),
        channels=tuple(chans),
        ondate=jdate(xs.start_date) if xs.start_date is not None else -1,
        offdate=_xml_offdate(xs.end_date),
        network=net,
    )


def _xml_offdate(end: UTCDateTime | None) -> int:
    """CSS3.0 ``offdate`` of a StationXML end date (-1 when open or in the far future)."""
    return -1 if end is None or end.year >= 2286 else jdate(end)


# ------------------------------------------------------------------------ array geometry


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_array_geometry(path: PathLike) -> Result:
    """Read an array geometry file ``<ARRAY>.geom``; the array code is the file stem.

    First line ``n ref_lat ref_lon``; then one line per element: ``element [channel]
    [lat lon [elev_km ...]]``. Elements without coordinates are reported and dropped;
    columns after the elevation are ignored (their meaning is not documented).
    """
    path = Path(path)
    array = path.stem
    problems: list[ReadProblem] = []
    lines = path.read_text(encoding="ascii", errors="replace").splitlines()
    head = lines[0].split() if lines else []
    try:
        n, ref_lat, ref_lon = int(head[0]), float(head[1]), float(head[2])
    except (IndexError, ValueError):
        return Network(name=array), [
            ReadProblem(str(path), f"first line {lines[:1]} is not 'n ref_lat ref_lon'", "line 1")
        ]
    stations = [Station(array, ref_lat, ref_lon, statype="ar", refsta=array)]
    rows = 0
    for i, line in enumerate(lines[1:], start=2):
        tokens = line.split()
        if not tokens:
            continue
        rows += 1
        code, rest = tokens[0], tokens[1:]
        chan = ""
        if rest and not _is_number(rest[0]):
            chan, rest = rest[0], rest[1:]
        if len(rest) < 2:
            problems.append(
                ReadProblem(str(path), f"element {code} has no coordinates", f"line {i}", code)
            )
            continue
        try:
            lat, lon = float(rest[0]), float(rest[1])
            elev = float(rest[2]) if len(rest) > 2 else None
        except ValueError:
            problems.append(
                ReadProblem(
                    str(path),
                    f"element {code}: bad coordinates {' '.join(rest)!r}",
                    f"line {i}",
                    code,
                )
            )
            continue
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 360.0):
            problems.append(
                ReadProblem(
                    str(path),
                    f"element {code}: coordinates out of range ({lat}, {lon})",
                    f"line {i}",
                    code,
                )
            )
            continue
        chans = (Channel(chan),) if chan else ()
        stations.append(Station(code, lat, lon, elev=elev, refsta=array, channels=chans))
    if rows != n:
        problems.append(
            ReadProblem(
                str(path),
                f"header announces {n} elements, file lists {rows}",
                "line 1",
                severity="warning",
            )
        )
    return Network(stations, name=array), problems


# ---------------------------------------------------------------------------------- CSV

_CSV_ALIASES = {
    "sta": ("sta", "station", "code"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "longitude", "lng"),
    "elev_km": ("elev", "elev_km"),
    "elev_m": ("elev_m", "elevation_m"),
    "refsta": ("refsta",),
    "statype": ("statype",),
    "name": ("staname", "name"),
    "net": ("network", "net", "affiliation"),
    "ondate": ("ondate",),
    "offdate": ("offdate",),
    "dnorth": ("dnorth",),
    "deast": ("deast",),
}


def read_station_csv(path: PathLike, at: UTCDateTime | None = None) -> Result:
    """Read a station CSV with header ``sta,lat,lon,elev[,refsta]`` (``elev`` in km).

    Also accepted: ``elev_km``, ``elev_m`` (metres), ``staname``, ``statype``,
    ``network`` (an affiliation such as ``IMS_PRI``), ``ondate``/``offdate`` (epochs,
    chosen at ``at``), ``dnorth``/``deast`` — the columns of ``ims_stations_2019.csv``.
    A station on several rows (one per network) gets every affiliation.
    """
    path = Path(path)
    problems: list[ReadProblem] = []
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader, [])]
        cols = {
            key: next((header.index(a) for a in names if a in header), None)
            for key, names in _CSV_ALIASES.items()
        }
        missing = [k for k in ("sta", "lat", "lon") if cols[k] is None]
        if missing:
            problems.append(
                ReadProblem(
                    str(path),
                    f"no {', '.join(missing)} column in header "
                    f"{header}; need sta,lat,lon[,elev,refsta]",
                    "line 1",
                )
            )
            return Network(name=path.stem), problems
        rows = [(i, row) for i, row in enumerate(reader, start=2) if any(c.strip() for c in row)]
    parsed: dict[str, list[_CsvRow]] = defaultdict(list)
    for i, row in rows:
        try:
            parsed_row = _CsvRow.parse(row, cols)
        except (ValueError, IndexError) as exc:
            sta_col = cols["sta"]
            code = row[sta_col] if sta_col is not None and len(row) > sta_col else ""
            problems.append(ReadProblem(str(path), f"bad row: {exc}", f"line {i}", code.strip()))
            continue
        parsed[parsed_row.station.code].append(parsed_row)
    day = None if at is None else jdate(at)
    stations = []
    for epochs in parsed.values():
        best = _pick_epoch(epochs, day)
        if best is None:
            continue
        valid = (
            epochs if day is None else [r for r in epochs if r.ondate <= day <= _offdate(r.offdate)]
        )
        nets = tuple(dict.fromkeys(r.net for r in valid if r.net))
        stations.append(Station(**{**_fields(best.station), "affiliations": nets}))
    return Network(stations, name=path.stem), problems


def _fields(station: Station) -> dict[str, Any]:
    return {f: getattr(station, f) for f in Station.__dataclass_fields__}


class _CsvRow:
    """One parsed CSV row: the station epoch and its network."""

    __slots__ = ("station", "net", "ondate", "offdate")

    def __init__(self, station: Station, net: str):
        self.station, self.net = station, net
        self.ondate, self.offdate = station.ondate, station.offdate

    @classmethod
    def parse(cls, row: list[str], cols: dict[str, int | None]) -> _CsvRow:
        def get(key: str) -> str:
            i = cols[key]
            return row[i].strip() if i is not None and i < len(row) else ""

        code = get("sta")
        if not code:
            raise ValueError("empty station code")
        lat, lon = float(get("lat")), float(get("lon"))
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 360.0):
            raise ValueError(f"coordinates out of range ({lat}, {lon})")
        elev = None
        if get("elev_km"):
            elev = float(get("elev_km"))
        elif get("elev_m"):
            elev = float(get("elev_m")) / 1000.0
        dnorth, deast = get("dnorth"), get("deast")
        station = Station(
            code,
            lat,
            lon,
            elev=elev,
            name=get("name"),
            statype=(get("statype") or "ss").lower(),
            refsta=get("refsta"),
            dnorth=float(dnorth) if dnorth else None,
            deast=float(deast) if deast else None,
            ondate=int(get("ondate") or -1),
            offdate=int(get("offdate") or -1),
        )
        return cls(station, get("net"))


# --------------------------------------------------------------------------- dispatcher


def _format_of(path: Path) -> str:
    """``stationxml``, ``css30``, ``geom``, ``csv``, or a directory kind (``dir:...``)."""
    if path.is_dir():
        if _table_file(path, "site") is not None:
            return "css30"
        if any(path.glob("*.geom")):
            return "dir:geom"
        if any(path.glob("*.xml")):
            return "dir:stationxml"
        raise ValueError(f"{path}: directory holds no CSS3.0 site table, *.geom or *.xml files")
    if not path.exists():
        if path.with_name(f"{path.name}.site").is_file():
            return "css30"
        raise FileNotFoundError(
            f"station metadata {path} not found (nor a CSS3.0 prefix with {path.name}.site)"
        )
    suffix = path.suffix.lower()
    if suffix == ".xml":
        return "stationxml"
    if suffix == ".geom":
        return "geom"
    if suffix.lstrip(".") in TABLES:
        return "css30"
    if suffix == ".csv":
        return "css30" if path.stem.lower() in TABLES else "csv"
    with open(path, "rb") as fh:
        start = fh.read(512).lstrip()
    if start.startswith(b"<"):
        return "stationxml"
    raise ValueError(
        f"{path}: cannot tell the station metadata format; give a StationXML (.xml), a CSS3.0 "
        "table prefix or directory, an array geometry (.geom) or a CSV (sta,lat,lon,elev)"
    )


def _read_one(path: Path, at: UTCDateTime | None) -> Result:
    kind = _format_of(path)
    if kind == "stationxml":
        return read_stationxml(path, at)
    if kind == "geom":
        return read_array_geometry(path)
    if kind == "csv":
        return read_station_csv(path, at)
    if kind == "css30":
        if path.is_file():  # a table file: its prefix (flat) or its directory (CSV)
            path = path.parent if path.suffix.lower() == ".csv" else path.with_suffix("")
        return read_css30(path, at)
    pattern = "*.geom" if kind == "dir:geom" else "*.xml"
    return _read_many(sorted(path.glob(pattern)), at)


def _read_many(paths: Iterable[Path], at: UTCDateTime | None) -> Result:
    network, problems = Network(), []
    for p in paths:
        net, probs = _read_one(p, at)
        network = network.merge(net) if len(network) else net
        problems.extend(probs)
    return network, problems


def read_network(meta: Meta, *, at: UTCDateTime | None = None, group: bool = True) -> Result:
    """Read station metadata from one or several sources and merge them.

    ``meta`` is a path (or a list of paths, or a comma-separated string) to a StationXML
    file, a CSS3.0 table prefix or directory, a ``*.geom`` array geometry, a station CSV,
    or a directory of ``*.geom`` or ``*.xml`` files. Later sources win for a station they
    share, but keep what only the earlier one knows (array membership, responses).
    Raises FileNotFoundError for a path that does not exist and ValueError for a format
    it cannot recognise; bad content is returned as problems. A :class:`Network` is
    returned as it is, so callers may pass either metadata or a network already read.

    With ``group`` (the default), stations that the metadata leaves single but that form
    an array by network, code and aperture (YKA, GRF as FDSN serves them) become one:
    see :func:`testban.network.arrays.group_arrays`.
    """
    if isinstance(meta, Network):
        return meta, []
    if isinstance(meta, (str, os.PathLike)):
        text = os.fspath(meta)
        parts = [text]
        if "," in text and not Path(text).exists():
            parts = [p.strip() for p in text.split(",") if p.strip()]
    else:
        parts = [os.fspath(m) for m in meta]
    network, problems = _read_many((Path(p) for p in parts), at)
    return (group_arrays(network) if group else network), problems
