"""One row per event: CSV and GeoJSON (points, with the 90 % error ellipse as a polygon).

Both list each event's preferred origin: time (ISO 8601 UTC), lat, lon, depth (km), mb,
ms, ml (the origin's columns, else its network magnitudes), ndef, the ellipse (smajax,
sminax in km, strike in degrees, at the origin's confidence ``conf``), auth, etype and ids.
GeoJSON adds, per event with an ellipse, a Polygon feature of the ellipse scaled to 90 %
(``"kind": "ellipse90"``; events are ``"kind": "event"``). Reading either gives back
``origin``, ``origerr`` and ``event`` rows (empty CSV cells are CSS3.0 nulls).
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import Any

from obspy import UTCDateTime

from testban.bulletin.model import Tables, events_of, has, magnitude_family
from testban.io.css30 import rows_of
from testban.io.problems import ReadProblem
from testban.records.css30 import Event, Origerr, Origin, Record, Screen, jdate

#: CSV columns, in order.
CSV_COLUMNS = (
    "time", "lat", "lon", "depth", "mb", "ms", "ml", "ndef", "smajax", "sminax", "strike",
    "conf", "auth", "etype", "screening", "evid", "orid",
)  # fmt: skip
_EARTH_KM = 6371.0


def event_rows(tables: Tables) -> list[dict[str, Any]]:
    """One dict per event (the CSV columns; None where the bulletin has no value)."""
    rows = []
    outcome = {r.orid: r.outcome for r in rows_of(tables, Screen) if r.criterion == "event"}
    for view in events_of(tables).events:
        o = view.preferred
        err = view.origerr.get(o.orid)
        mags: dict[str, float | None] = {"mb": None, "ms": None, "ml": None}
        for m in view.netmags.get(o.orid, []):
            fam = magnitude_family(m.magtype)
            if fam and mags[fam] is None and has(m.magnitude):
                mags[fam] = m.magnitude
        for fam in mags:
            value = getattr(o, fam)
            if has(value):
                mags[fam] = value
        ellipse = err is not None and has(err.smajax, 0.0)
        rows.append(
            {
                "time": str(UTCDateTime(o.time)),
                "lat": o.lat if has(o.lat) else None,
                "lon": o.lon if has(o.lon) else None,
                "depth": o.depth if has(o.depth) else None,
                **mags,
                "ndef": o.ndef if o.ndef >= 0 else None,
                "smajax": err.smajax if ellipse and err else None,
                "sminax": err.sminax if ellipse and err else None,
                "strike": err.strike if ellipse and err and has(err.strike, -1.0) else None,
                "conf": err.conf if ellipse and err and has(err.conf, 0.0) else None,
                "auth": o.auth,
                "etype": o.etype,
                "screening": outcome.get(o.orid),
                "evid": view.evid,
                "orid": o.orid,
            }
        )
    return rows


def write_csv_events(tables: Tables, path: str | os.PathLike[str]) -> Path:
    """Write one CSV row per event (columns :data:`CSV_COLUMNS`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, CSV_COLUMNS, lineterminator="\n")
        w.writeheader()
        for row in event_rows(tables):
            w.writerow({k: "" if v is None else (repr(v) if isinstance(v, float) else v)
                        for k, v in row.items()})  # fmt: skip
    os.replace(tmp, path)
    return path


def _tables_from_rows(
    rows: list[dict[str, Any]], name: str = "", problems: list[ReadProblem] | None = None,
    first_line: int = 2,
) -> dict[str, list[Record]]:  # fmt: skip
    """Rows of the event CSV/GeoJSON views; a bad row raises :class:`BulletinError`, or
    with a ``problems`` list is reported (``line N``) and skipped."""

    def f(key: str, row: dict[str, Any], na: float) -> float:
        v = row.get(key)
        if v in (None, ""):
            return na
        value = float(v)
        if not math.isfinite(value):
            raise ValueError(f"{key} {v!r} is not a finite number")
        return value

    out: dict[str, list[Record]] = {"event": [], "origin": [], "origerr": []}
    for k, row in enumerate(rows, start=1):
        try:
            _add_event_row(out, row, k, f)
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            from testban.bulletin.ims10 import BulletinError

            where = f"line {first_line + k - 1}" if first_line else f"feature {k}"
            if problems is None:
                raise BulletinError(f"{name} {where}: bad row: {exc}") from exc
            problems.append(ReadProblem(name, f"row skipped: {exc!r}", where))
    return out


def _add_event_row(out: dict[str, list[Record]], row: dict[str, Any], k: int, f: Any) -> None:
    """Append the origin, origerr and event rows of one event row to ``out``."""
    orid = int(row.get("orid") or k)
    evid = int(row.get("evid") or orid)
    t = UTCDateTime(row["time"])
    origin = Origin(
        lat=f("lat", row, -999.0), lon=f("lon", row, -999.0),
        depth=f("depth", row, -999.0), time=round(float(t), 6), orid=orid, evid=evid,
        jdate=jdate(t), ndef=int(f("ndef", row, -1)), etype=row.get("etype") or "-",
        mb=f("mb", row, -999.0), ms=f("ms", row, -999.0), ml=f("ml", row, -999.0),
        auth=row.get("auth") or "-",
    )  # fmt: skip
    err = None
    if row.get("smajax") not in (None, ""):
        err = Origerr(
            orid=orid, smajax=f("smajax", row, -1.0), sminax=f("sminax", row, -1.0),
            strike=f("strike", row, -1.0), conf=f("conf", row, 0.0),
        )  # fmt: skip
    out["origin"].append(origin)
    if err is not None:
        out["origerr"].append(err)
    out["event"].append(Event(evid=evid, prefor=orid, auth=row.get("auth") or "-"))


def read_csv_events(
    path: str | os.PathLike[str], problems: list[ReadProblem] | None = None
) -> dict[str, list[Record]]:
    """``origin``, ``origerr`` and ``event`` rows of a CSV written by :func:`write_csv_events`.

    A bad row raises :class:`~testban.bulletin.ims10.BulletinError`, or with a
    ``problems`` list is reported and skipped.
    """
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        lines = fh.read().splitlines()
    rows = list(csv.DictReader(lines))  # one physical line per row, as written
    return _tables_from_rows(rows, str(path), problems)


def _destination(lat: float, lon: float, azimuth: float, km: float) -> tuple[float, float]:
    """The point ``km`` from (lat, lon) along ``azimuth`` on a sphere: (lat, lon)."""
    p1, l1, az, d = map(math.radians, (lat, lon, azimuth, km / _EARTH_KM * 180.0 / math.pi))
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(az))
    l2 = l1 + math.atan2(
        math.sin(az) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


def scale_to_90(conf: float | None) -> float:
    """Factor turning a 2-D ellipse at confidence ``conf`` into the 90 % one (chi², 2 dof)."""
    if conf is None or not 0.0 < conf < 1.0:
        return 1.0
    return math.sqrt(math.log(1.0 - 0.9) / math.log(1.0 - conf))


def ellipse_polygon(
    lat: float, lon: float, smajax: float, sminax: float, strike: float, n: int = 72
) -> list[list[float]]:
    """A closed GeoJSON ring ``[[lon, lat], …]`` of an ellipse (axes in km, strike in °)."""
    ring = []
    for k in range(n):
        th = 2.0 * math.pi * k / n
        x, y = smajax * math.cos(th), sminax * math.sin(th)  # along, across the major axis
        az = strike + math.degrees(math.atan2(y, x))
        la, lo = _destination(lat, lon, az, math.hypot(x, y))
        ring.append([round(lo, 5), round(la, 5)])
    ring.append(ring[0])
    return ring


def to_geojson(tables: Tables) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: a Point per event, a Polygon per 90 % ellipse."""
    features = []
    for row in event_rows(tables):
        if row["lat"] is None or row["lon"] is None:
            continue
        props = {"kind": "event", **row}
        features.append(
            {
                "type": "Feature",
                "id": f"event/{row['evid']}",
                "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                "properties": props,
            }
        )
        if row["smajax"] is not None and row["sminax"] is not None:
            k = scale_to_90(row["conf"])
            a, b, s = row["smajax"] * k, row["sminax"] * k, row["strike"] or 0.0
            props["smajax90"], props["sminax90"] = a, b
            features.append(
                {
                    "type": "Feature",
                    "id": f"ellipse90/{row['evid']}",
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [ellipse_polygon(row["lat"], row["lon"], a, b, s)],
                    },
                    "properties": {
                        "kind": "ellipse90", "evid": row["evid"], "orid": row["orid"],
                        "smajax": a, "sminax": b, "strike": s, "conf": 0.9,
                    },
                }
            )  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def write_geojson(tables: Tables, path: str | os.PathLike[str]) -> Path:
    """Write :func:`to_geojson` of ``tables``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(to_geojson(tables), indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_geojson(path: str | os.PathLike[str]) -> dict[str, list[Record]]:
    """``origin``, ``origerr`` and ``event`` rows of the event points of a GeoJSON file."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = []
    for feat in doc.get("features", []):
        props = feat.get("properties") or {}
        if props.get("kind", "event") != "event" or feat["geometry"]["type"] != "Point":
            continue
        lon, lat = feat["geometry"]["coordinates"][:2]
        rows.append({**props, "lat": lat, "lon": lon})
    return _tables_from_rows(rows, str(path), first_line=0)
