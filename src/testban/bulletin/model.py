"""A bulletin as ``{table: rows}``, seen event by event; names shared by every format.

A bulletin is the CSS3.0 tables the rest of testban passes around: ``origin``, ``origerr``,
``assoc``, ``arrival``, ``netmag``, ``stamag``, ``amplitude`` and optionally ``event``
(missing tables are empty). :func:`events_of` groups it into events: the origins of one
``evid`` (each origin its own event when there is no ``evid``), the preferred one first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from testban.records.css30 import (
    Amplitude,
    Arrival,
    Assoc,
    Event,
    Netmag,
    Origerr,
    Origin,
    Record,
    Stamag,
)

Tables = Mapping[str, Iterable[Record]]

#: Bulletin tables, in the order the writers emit and the readers return them.
BULLETIN_TABLES = (
    "event", "origin", "origerr", "netmag", "stamag", "assoc", "arrival", "amplitude",
)  # fmt: skip

#: CSS3.0 ``etype`` → (QuakeML event type, IMS1.0/ISF event type code).
ETYPES: dict[str, tuple[str, str]] = {
    "eq": ("earthquake", "ke"),
    "en": ("nuclear explosion", "kn"),
    "ex": ("explosion", "kx"),  # ISF has no generic explosion: "experimental explosion"
    "me": ("mining explosion", "km"),
    "qb": ("quarry blast", "km"),  # ISF has no quarry blast either: "mining explosion"
    "ls": ("landslide", "ls"),
    "nx": ("not existing", "uk"),  # an event an analyst rejected (testban.review)
}
#: QuakeML event type → CSS3.0 ``etype`` (the inverse of :data:`ETYPES`, and neighbours).
QUAKEML_ETYPES: dict[str, str] = {
    "earthquake": "eq",
    "nuclear explosion": "en",
    "explosion": "ex",
    "experimental explosion": "ex",
    "chemical explosion": "ex",
    "controlled explosion": "ex",
    "industrial explosion": "ex",
    "mining explosion": "me",
    "quarry blast": "qb",
    "landslide": "ls",
    "rockslide": "ls",
    "not existing": "nx",
}

#: testban/IDC network magnitude names → IMS1.0 names (a5 wide); others are written as is.
IMS_MAGTYPES: dict[str, str] = {
    "mb_ave": "mb",
    "mb_mle": "mbmle",
    "ms_ave": "Ms",
    "ms_mle": "msmle",
    "ml": "ML",
    "mblg": "mbLg",
}
#: Preference among magnitude types when one is shown (station magnitude on a phase line).
MAGTYPE_PREFERENCE = ("mb_ave", "mb", "ms_ave", "ms", "ml", "mblg", "mb_mle", "ms_mle")


def ims_magtype(magtype: str) -> str:
    """The IMS1.0 name of CSS3.0 ``magtype``."""
    return IMS_MAGTYPES.get(magtype, magtype)


def magnitude_family(magtype: str) -> str | None:
    """``mb``, ``ms`` or ``ml`` (the origin column a magnitude type fills), else None."""
    t = magtype.lower()
    if t.startswith("mblg") or t.startswith("mb_lg"):
        return None
    for fam in ("mb", "ms", "ml"):
        if t.startswith(fam):
            return fam
    return None


def has(value: float | None, na: float = -999.0) -> bool:
    """Whether a CSS3.0 float is a value (not None, not its null ``na``, and finite)."""
    return value is not None and math.isfinite(value) and value > na


@dataclass
class EventView:
    """One event of a bulletin: its origins (preferred first) and what hangs on them."""

    evid: int
    event: Event | None
    origins: list[Origin]
    origerr: dict[int, Origerr] = field(default_factory=dict)
    assocs: dict[int, list[Assoc]] = field(default_factory=dict)
    netmags: dict[int, list[Netmag]] = field(default_factory=dict)
    stamags: dict[int, list[Stamag]] = field(default_factory=dict)

    @property
    def preferred(self) -> Origin:
        return self.origins[0]


@dataclass
class BulletinIndex:
    """Rows of a bulletin indexed by key."""

    events: list[EventView]
    arrivals: dict[int, Arrival]
    amplitudes: dict[int, list[Amplitude]]


def as_lists(tables: Tables) -> dict[str, list[Record]]:
    """``tables`` with every bulletin table present, as lists."""
    out: dict[str, list[Record]] = {t: [] for t in BULLETIN_TABLES}
    for name, rows in tables.items():
        out[name] = list(rows)
    return out


def events_of(tables: Tables) -> BulletinIndex:
    """Group a bulletin into events, ordered by the time of their preferred origin."""
    t = as_lists(tables)
    events = {e.evid: e for e in t["event"] if isinstance(e, Event)}
    groups: dict[int, list[Origin]] = {}
    for o in t["origin"]:
        assert isinstance(o, Origin)
        key = o.evid if o.evid > 0 else -o.orid  # an origin without evid is its own event
        groups.setdefault(key, []).append(o)
    views = []
    for key, origins in groups.items():
        ev = events.get(key) if key > 0 else None
        prefor = ev.prefor if ev is not None else -1
        origins.sort(key=lambda o: (o.orid != prefor, o.time, o.orid))
        views.append(EventView(key if key > 0 else origins[0].orid, ev, origins))
    views.sort(key=lambda v: (v.preferred.time, v.evid))
    by_orid = {o.orid: v for v in views for o in v.origins}
    for r in t["origerr"]:
        assert isinstance(r, Origerr)
        if r.orid in by_orid:
            by_orid[r.orid].origerr[r.orid] = r
    for name, attr in (("assoc", "assocs"), ("netmag", "netmags"), ("stamag", "stamags")):
        for r in t[name]:
            v = by_orid.get(getattr(r, "orid"))  # noqa: B009
            if v is not None:
                getattr(v, attr).setdefault(getattr(r, "orid"), []).append(r)  # noqa: B009
    arrivals = {a.arid: a for a in t["arrival"] if isinstance(a, Arrival)}
    amplitudes: dict[int, list[Amplitude]] = {}
    for a in t["amplitude"]:
        assert isinstance(a, Amplitude)
        amplitudes.setdefault(a.arid, []).append(a)
    return BulletinIndex(views, arrivals, amplitudes)


def azimuthal_gap(azimuths: Iterable[float]) -> float | None:
    """Largest gap (degrees) between event-to-station azimuths; None without any."""
    az = sorted(a % 360.0 for a in azimuths)
    if not az:
        return None
    gaps = [b - a for a, b in zip(az, az[1:], strict=False)] + [az[0] + 360.0 - az[-1]]
    return max(gaps)


def defining(assocs: Iterable[Assoc]) -> list[Assoc]:
    """The assoc rows that define the origin (time, azimuth or slowness)."""
    return [a for a in assocs if "d" in (a.timedef, a.azdef, a.slodef)]
