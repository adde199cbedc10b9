"""The CSS3.0 schema as dataclasses: one class per table, one field per column.

Each field carries its CSS3.0 external format (``a6``, ``i8``, ``f17.5``) and, where the
IDC's layout differs, the IDC format; the field default is the CSS3.0 null value ("NA").
These definitions are the single source of the schema: CSV and flat-file I/O
(:mod:`testban.io.css30`) and, later, the database models are derived from them.

References: Anderson, Farrell, Garcia, Given & Swanger, *Center for Seismic Studies
Version 3 Database: Schema Reference Manual* (1990); the IDC layout (wider latitude,
longitude and ``commid`` columns, ``affiliation.time/endtime``, ``sensor.tshift``) is read
off the IDC station tables in ``shared/data/stations/ims_css30``; ids of bulletin tables are
written 9 wide in that layout because IDC ids (e.g. ``amplitude.ampid``) exceed 8 digits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, TypeVar

import numpy as np

#: CSS3.0 null values that recur across tables.
NA_TIME = -9999999999.999
NA_ENDTIME = 9999999999.999
NA_STR = "-"

LAYOUTS = ("css3.0", "idc")


class Column(NamedTuple):
    """One column of a table in one flat-file layout."""

    name: str
    kind: str  # "a" (string), "i" (integer) or "f" (float)
    width: int
    decimals: int
    na: Any


def col(na: Any, fmt: str, *, idc: str | None = None, only: str | None = None) -> Any:
    """Declare a column: null value ``na``, CSS3.0 format ``fmt``, IDC format ``idc``.

    ``only="idc"`` marks a column that exists only in the IDC layout.
    """
    return field(default=na, metadata={"fmt": fmt, "idc": idc or fmt, "only": only})


_ID = {"idc": "i9"}


@dataclass(slots=True)
class Record:
    """Base of all CSS3.0 rows; ``table`` is the CSS3.0 table name."""

    table: ClassVar[str] = ""


#: Any CSS3.0 record type (functions that return the type they are given).
R = TypeVar("R", bound=Record)


@dataclass(slots=True)
class Site(Record):
    """Station location (``site``): one row per station and epoch."""

    table: ClassVar[str] = "site"
    sta: str = col(NA_STR, "a6")
    ondate: int = col(-1, "i8")
    offdate: int = col(-1, "i8")
    lat: float = col(-999.0, "f9.4", idc="f11.5")
    lon: float = col(-999.0, "f9.4", idc="f11.5")
    elev: float = col(-999.0, "f9.4", idc="f9.3")
    staname: str = col(NA_STR, "a50")
    statype: str = col(NA_STR, "a4")
    refsta: str = col(NA_STR, "a6")
    dnorth: float = col(0.0, "f9.4", idc="f9.3")
    deast: float = col(0.0, "f9.4", idc="f9.3")
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Sitechan(Record):
    """Station channel (``sitechan``): orientation and emplacement depth per epoch."""

    table: ClassVar[str] = "sitechan"
    sta: str = col(NA_STR, "a6")
    chan: str = col(NA_STR, "a8")
    ondate: int = col(-1, "i8")
    chanid: int = col(-1, "i8")
    offdate: int = col(-1, "i8")
    ctype: str = col(NA_STR, "a4")
    edepth: float = col(-1.0, "f9.4")
    hang: float = col(-1.0, "f6.1")
    vang: float = col(-1.0, "f6.1")
    descrip: str = col(NA_STR, "a50")
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Affiliation(Record):
    """Network membership (``affiliation``); the IDC layout adds a validity interval."""

    table: ClassVar[str] = "affiliation"
    net: str = col(NA_STR, "a8")
    sta: str = col(NA_STR, "a6")
    time: float = col(NA_TIME, "f17.5", only="idc")
    endtime: float = col(NA_ENDTIME, "f17.5", only="idc")
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Network(Record):
    """Network description (``network``)."""

    table: ClassVar[str] = "network"
    net: str = col(NA_STR, "a8")
    netname: str = col(NA_STR, "a80")
    nettype: str = col(NA_STR, "a4")
    auth: str = col(NA_STR, "a15")
    commid: int = col(-1, "i8", **_ID)
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Instrument(Record):
    """Instrument type and nominal calibration (``instrument``), with its response file."""

    table: ClassVar[str] = "instrument"
    inid: int = col(-1, "i8")
    insname: str = col(NA_STR, "a50")
    instype: str = col(NA_STR, "a6")
    band: str = col(NA_STR, "a1")
    digital: str = col(NA_STR, "a1")
    samprate: float = col(-1.0, "f11.7")
    ncalib: float = col(-1.0, "f16.6")
    ncalper: float = col(-1.0, "f16.6")
    dir: str = col(NA_STR, "a64")
    dfile: str = col(NA_STR, "a32")
    rsptype: str = col(NA_STR, "a6")
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Sensor(Record):
    """Which instrument served which channel when (``sensor``)."""

    table: ClassVar[str] = "sensor"
    sta: str = col(NA_STR, "a6")
    chan: str = col(NA_STR, "a8")
    time: float = col(NA_TIME, "f17.5")
    endtime: float = col(NA_ENDTIME, "f17.5")
    inid: int = col(-1, "i8")
    chanid: int = col(-1, "i8")
    jdate: int = col(-1, "i8")
    calratio: float = col(1.0, "f16.6")
    calper: float = col(-1.0, "f16.6")
    tshift: float = col(0.0, "f6.2", idc="f16.2")
    instant: str = col(NA_STR, "a1")
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Wfdisc(Record):
    """Waveform segment index (``wfdisc``): where a channel's samples lie on disk."""

    table: ClassVar[str] = "wfdisc"
    sta: str = col(NA_STR, "a6")
    chan: str = col(NA_STR, "a8")
    time: float = col(NA_TIME, "f17.5")
    wfid: int = col(-1, "i8", **_ID)
    chanid: int = col(-1, "i8")
    jdate: int = col(-1, "i8")
    endtime: float = col(NA_ENDTIME, "f17.5")
    nsamp: int = col(-1, "i8")
    samprate: float = col(-1.0, "f11.7")
    calib: float = col(1.0, "f16.6")
    calper: float = col(-1.0, "f16.6")
    instype: str = col(NA_STR, "a6")
    segtype: str = col(NA_STR, "a1")
    datatype: str = col(NA_STR, "a2")
    clip: str = col(NA_STR, "a1")
    dir: str = col(NA_STR, "a64")
    dfile: str = col(NA_STR, "a32")
    foff: int = col(0, "i10")
    commid: int = col(-1, "i8", **_ID)
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Arrival(Record):
    """A detection (``arrival``): onset time and measured features at one station."""

    table: ClassVar[str] = "arrival"
    sta: str = col(NA_STR, "a6")
    time: float = col(NA_TIME, "f17.5")
    arid: int = col(-1, "i8", **_ID)
    jdate: int = col(-1, "i8")
    stassid: int = col(-1, "i8", **_ID)
    chanid: int = col(-1, "i8")
    chan: str = col(NA_STR, "a8")
    iphase: str = col(NA_STR, "a8")
    stype: str = col(NA_STR, "a1")
    deltim: float = col(-1.0, "f6.3")
    azimuth: float = col(-1.0, "f7.2")
    delaz: float = col(-1.0, "f7.2")
    slow: float = col(-1.0, "f7.2")
    delslo: float = col(-1.0, "f7.2")
    ema: float = col(-1.0, "f7.2")
    rect: float = col(-1.0, "f7.3")
    amp: float = col(-1.0, "f10.1")
    per: float = col(-1.0, "f7.2")
    logat: float = col(-999.0, "f7.2")
    clip: str = col(NA_STR, "a1")
    fm: str = col(NA_STR, "a2")
    snr: float = col(-1.0, "f10.2")
    qual: str = col(NA_STR, "a1")
    auth: str = col(NA_STR, "a15")
    commid: int = col(-1, "i8", **_ID)
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Assoc(Record):
    """An arrival's role in an origin (``assoc``): phase, residuals, defining flags."""

    table: ClassVar[str] = "assoc"
    arid: int = col(-1, "i8", **_ID)
    orid: int = col(-1, "i8", **_ID)
    sta: str = col(NA_STR, "a6")
    phase: str = col(NA_STR, "a8")
    belief: float = col(-1.0, "f4.2")
    delta: float = col(-1.0, "f8.3")
    seaz: float = col(-999.0, "f7.2")
    esaz: float = col(-999.0, "f7.2")
    timeres: float = col(-999.0, "f8.3")
    timedef: str = col(NA_STR, "a1")
    azres: float = col(-999.0, "f7.1")
    azdef: str = col(NA_STR, "a1")
    slores: float = col(-999.0, "f7.2")
    slodef: str = col(NA_STR, "a1")
    emares: float = col(-999.0, "f7.1")
    wgt: float = col(-1.0, "f6.3")
    vmodel: str = col(NA_STR, "a15")
    commid: int = col(-1, "i8", **_ID)
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Origin(Record):
    """A hypocentre solution (``origin``)."""

    table: ClassVar[str] = "origin"
    lat: float = col(-999.0, "f9.4", idc="f11.5")
    lon: float = col(-999.0, "f9.4", idc="f11.5")
    depth: float = col(-999.0, "f9.4")
    time: float = col(NA_TIME, "f17.5")
    orid: int = col(-1, "i8", **_ID)
    evid: int = col(-1, "i8", **_ID)
    jdate: int = col(-1, "i8")
    nass: int = col(-1, "i4")
    ndef: int = col(-1, "i4")
    ndp: int = col(-1, "i4")
    grn: int = col(-1, "i8")
    srn: int = col(-1, "i8")
    etype: str = col(NA_STR, "a7")
    depdp: float = col(-999.0, "f9.4")
    dtype: str = col(NA_STR, "a1")
    mb: float = col(-999.0, "f7.2")
    mbid: int = col(-1, "i8", **_ID)
    ms: float = col(-999.0, "f7.2")
    msid: int = col(-1, "i8", **_ID)
    ml: float = col(-999.0, "f7.2")
    mlid: int = col(-1, "i8", **_ID)
    algorithm: str = col(NA_STR, "a15")
    auth: str = col(NA_STR, "a15")
    commid: int = col(-1, "i8", **_ID)
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Origerr(Record):
    """Origin uncertainty (``origerr``): covariance and the confidence ellipse."""

    table: ClassVar[str] = "origerr"
    orid: int = col(-1, "i8", **_ID)
    sxx: float = col(-1.0, "f15.4")
    syy: float = col(-1.0, "f15.4")
    szz: float = col(-1.0, "f15.4")
    stt: float = col(-1.0, "f15.4")
    sxy: float = col(-1.0, "f15.4")
    sxz: float = col(-1.0, "f15.4")
    syz: float = col(-1.0, "f15.4")
    stx: float = col(-1.0, "f15.4")
    sty: float = col(-1.0, "f15.4")
    stz: float = col(-1.0, "f15.4")
    sdobs: float = col(-1.0, "f9.4")
    smajax: float = col(-1.0, "f9.4")
    sminax: float = col(-1.0, "f9.4")
    strike: float = col(-1.0, "f6.2")
    sdepth: float = col(-1.0, "f9.4")
    stime: float = col(-1.0, "f8.2")
    conf: float = col(0.0, "f5.3")
    commid: int = col(-1, "i8", **_ID)
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Netmag(Record):
    """A network magnitude of an origin (``netmag``)."""

    table: ClassVar[str] = "netmag"
    magid: int = col(-1, "i8", **_ID)
    net: str = col(NA_STR, "a8")
    orid: int = col(-1, "i8", **_ID)
    evid: int = col(-1, "i8", **_ID)
    magtype: str = col(NA_STR, "a6")
    nsta: int = col(-1, "i8")
    magnitude: float = col(-999.0, "f7.2")
    uncertainty: float = col(-1.0, "f7.2")
    auth: str = col(NA_STR, "a15")
    commid: int = col(-1, "i8", **_ID)
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Stamag(Record):
    """A station magnitude contributing to a network magnitude (``stamag``)."""

    table: ClassVar[str] = "stamag"
    magid: int = col(-1, "i8", **_ID)
    ampid: int = col(-1, "i8", **_ID)
    sta: str = col(NA_STR, "a6")
    arid: int = col(-1, "i8", **_ID)
    orid: int = col(-1, "i8", **_ID)
    evid: int = col(-1, "i8", **_ID)
    phase: str = col(NA_STR, "a8")
    delta: float = col(-1.0, "f8.3")
    magtype: str = col(NA_STR, "a6")
    magnitude: float = col(-999.0, "f7.2")
    uncertainty: float = col(-1.0, "f7.2")
    magres: float = col(-999.0, "f7.2")
    magdef: str = col(NA_STR, "a1")
    mmodel: str = col(NA_STR, "a15")
    auth: str = col(NA_STR, "a15")
    commid: int = col(-1, "i8", **_ID)
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Amplitude(Record):
    """An amplitude measurement (``amplitude``, IDC extension), e.g. ``A5/2`` for mb."""

    table: ClassVar[str] = "amplitude"
    ampid: int = col(-1, "i8", **_ID)
    arid: int = col(-1, "i8", **_ID)
    parid: int = col(-1, "i8", **_ID)
    chan: str = col(NA_STR, "a8")
    amp: float = col(-1.0, "f11.2")
    per: float = col(-1.0, "f7.2")
    snr: float = col(-1.0, "f10.2")
    amptime: float = col(NA_TIME, "f17.5")
    time: float = col(NA_TIME, "f17.5")
    duration: float = col(-1.0, "f7.2")
    deltaf: float = col(-1.0, "f7.2")
    amptype: str = col(NA_STR, "a8")
    units: str = col(NA_STR, "a15")
    clip: str = col(NA_STR, "a1")
    inarrival: str = col(NA_STR, "a1")
    auth: str = col(NA_STR, "a15")
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Event(Record):
    """An event and its preferred origin (``event``).

    CSS3.0 names the preferred-origin column ``prefor``; some exports (the IDC CSV in
    ``shared/data``) call it ``orid``, which the CSV reader accepts as an alias.
    """

    table: ClassVar[str] = "event"
    evid: int = col(-1, "i8", **_ID)
    evname: str = col(NA_STR, "a15")
    prefor: int = col(-1, "i8", **_ID)
    auth: str = col(NA_STR, "a15")
    commid: int = col(-1, "i8", **_ID)
    lddate: str = col(NA_STR, "a17")


# --------------------------------------------------------------------------- testban tables
# Not CSS3.0: the IDC keeps event screening in tables of its own; these two carry the same
# content in the same style (one row per origin and criterion, or origin and parameter).


@dataclass(slots=True)
class Screen(Record):
    """One screening criterion applied to an origin (``screen``; testban's own table).

    ``outcome`` is ``screened out`` (natural beyond reasonable doubt by this criterion),
    ``not screened out`` or ``not assessed``; ``reason`` says why in words, and for "not
    assessed" what was missing. ``value``/``uncertainty`` are the criterion's measurement
    (one standard deviation), ``threshold`` the line it is tested against; the row of
    ``criterion`` ``event`` is the event's overall outcome.
    """

    table: ClassVar[str] = "screen"
    orid: int = col(-1, "i8", **_ID)
    evid: int = col(-1, "i8", **_ID)
    criterion: str = col(NA_STR, "a12")
    value: float = col(-999.0, "f9.3")
    uncertainty: float = col(-1.0, "f9.3")
    threshold: float = col(-999.0, "f9.3")
    nsta: int = col(-1, "i4")
    outcome: str = col(NA_STR, "a16")
    reason: str = col(NA_STR, "a160")
    auth: str = col(NA_STR, "a15")
    lddate: str = col(NA_STR, "a17")


@dataclass(slots=True)
class Evchar(Record):
    """One event characterisation parameter of an origin (``evchar``; testban's own table).

    The parameters the IDC publishes with each REB event (depth, mb, Ms, their
    difference, P/S ratios, complexity, spectral ratio, distance to the coast …), one row
    each, with the number of stations behind the value and its uncertainty.
    """

    table: ClassVar[str] = "evchar"
    orid: int = col(-1, "i8", **_ID)
    evid: int = col(-1, "i8", **_ID)
    param: str = col(NA_STR, "a16")
    value: float = col(-999.0, "f12.4")
    uncertainty: float = col(-1.0, "f9.4")
    nsta: int = col(-1, "i4")
    units: str = col(NA_STR, "a8")
    auth: str = col(NA_STR, "a15")
    lddate: str = col(NA_STR, "a17")


#: Every table by name (CSS3.0, and testban's ``screen`` and ``evchar``).
TABLES: dict[str, type[Record]] = {
    cls.table: cls
    for cls in (
        Site, Sitechan, Affiliation, Network, Instrument, Sensor, Wfdisc,
        Arrival, Assoc, Origin, Origerr, Netmag, Stamag, Amplitude, Event, Screen, Evchar,
    )
}  # fmt: skip

#: Accepted alternative column names on input, per table.
ALIASES: dict[str, dict[str, str]] = {"event": {"orid": "prefor"}}


def table_of(name: str) -> type[Record]:
    """The record class of CSS3.0 table ``name`` (case-insensitive)."""
    try:
        return TABLES[name.lower()]
    except KeyError:
        raise KeyError(f"unknown CSS3.0 table {name!r}; known: {', '.join(TABLES)}") from None


def _parse_fmt(fmt: str) -> tuple[str, int, int]:
    kind, spec = fmt[0], fmt[1:]
    width, _, dec = spec.partition(".")
    return kind, int(width), int(dec or 0)


def columns(cls: type[Record], layout: str = "css3.0") -> list[Column]:
    """The columns of ``cls`` in flat-file ``layout`` (``"css3.0"`` or ``"idc"``), in order."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; use one of {LAYOUTS}")
    out = []
    for f in dataclasses.fields(cls):
        only = f.metadata["only"]
        if only is not None and only != layout:
            continue
        kind, width, dec = _parse_fmt(f.metadata["fmt" if layout == "css3.0" else "idc"])
        out.append(Column(f.name, kind, width, dec, f.default))
    return out


def jdate(t: Any) -> Any:
    """CSS3.0 ``jdate`` (yyyyddd) of epoch seconds or a ``UTCDateTime``; vectorised."""
    if not isinstance(t, (int, float, np.ndarray, list, tuple)):
        t = float(t)  # UTCDateTime and other time types convert to epoch seconds
    d = np.floor(np.asarray(t, float)).astype("datetime64[s]").astype("datetime64[D]")
    year = d.astype("datetime64[Y]")
    out = (year.astype(int) + 1970) * 1000 + (d - year).astype(int) + 1
    return int(out) if out.ndim == 0 else out


def rounded(record: R) -> R:
    """A copy of ``record`` with each float rounded to its column's decimals.

    Stages compute in float64; rounding at the edge keeps tables readable and makes CSV
    and flat files agree. The decimals are the finer of the two layouts (the IDC's
    f11.5 latitudes keep metres), so nothing a CSS3.0 file could hold is lost.
    """
    changes = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, float) and f.metadata.get("fmt", "").startswith("f"):
            dec = max(int(f.metadata[k].partition(".")[2] or 0) for k in ("fmt", "idc"))
            changes[f.name] = round(value, dec)
    return dataclasses.replace(record, **changes)


def to_arrays(records: list[Record], names: list[str] | None = None) -> dict[str, np.ndarray]:
    """Columns of ``records`` as NumPy arrays, for vectorised stages."""
    if not records:
        return {}
    cls = type(records[0])
    names = names or [f.name for f in dataclasses.fields(cls)]
    return {n: np.array([getattr(r, n) for r in records]) for n in names}
