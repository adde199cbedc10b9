"""IMS1.0 short bulletins (ISF): written from CSS3.0 rows, read through ObsPy.

The layout is the IMS1.0/ISF one ObsPy's ``IMS10BULLETIN`` reader parses (GSE2.1 column
tables, ``shared/data/formats/specs``; columns 1-based below): one ``EVENT`` line per event,
its origins (the preferred one tagged ``#PRIME`` when there are several), their network
magnitudes, then the preferred origin's phases with residuals, amplitudes and station
magnitudes. Values are written at the format's precision; a value too wide for its column
loses decimals, and one that still does not fit raises :class:`BulletinError` (a silently
blank column would lose data).
"""

from __future__ import annotations

import datetime as _dt
import io
import os
from collections.abc import Iterable
from pathlib import Path

from testban.bulletin.model import (
    ETYPES,
    MAGTYPE_PREFERENCE,
    EventView,
    Tables,
    azimuthal_gap,
    defining,
    events_of,
    has,
    ims_magtype,
    magnitude_family,
)
from testban.io.css30 import rows_of
from testban.io.problems import ReadProblem
from testban.records.css30 import (
    Arrival,
    Assoc,
    Evchar,
    Netmag,
    Origerr,
    Origin,
    Record,
    Screen,
    Stamag,
)

ORIGIN_HEADER = (
    "   Date       Time        Err   RMS Latitude Longitude  Smaj  Smin  Az Depth   Err "
    "Ndef Nsta Gap  mdist  Mdist Qual   Author      OrigID"
)
MAGNITUDE_HEADER = "Magnitude  Err Nsta Author      OrigID"
PHASE_HEADER = (
    "Sta     Dist  EvAz Phase        Time      TRes  Azim AzRes   Slow   SRes Def   SNR       "
    "Amp   Per Qual Magnitude    ArrID"
)
#: GSE2.1's Event Characterization origin block (Provisional GSE2.1, tables 45–46).
CHARACTERIZATION_HEADER = (
    "   Date       Time     Latitude Longitude  Smaj  Smin  Depth mb-Ms Offshore  Author   OrigID"
)
#: testban's screening block, in the same column style: one line per criterion.
SCREENING_HEADER = "Criterion      Value  Uncert  Thresh Nsta Outcome          Reason"
_EPOCH = _dt.datetime(1970, 1, 1)


class BulletinError(ValueError):
    """A bulletin could not be written or read (a value that does not fit, a bad file)."""


class _Line:
    """A fixed-width line; fields are placed at 1-based columns as the format tables say."""

    def __init__(self, width: int):
        self.chars = [" "] * width

    def put(self, first: int, text: str) -> None:
        self.chars[first - 1 : first - 1 + len(text)] = list(text)

    def __str__(self) -> str:
        return "".join(self.chars).rstrip()


def _num(value: float | None, width: int, dec: int, what: str) -> str:
    """``value`` right-aligned in ``width`` with ``dec`` decimals (fewer if needed)."""
    if value is None:
        return " " * width
    for d in range(dec, -1, -1):
        text = f"{value:{width}.{d}f}"
        if len(text) <= width:
            return text
    raise BulletinError(f"{what} = {value!r} does not fit in {width} characters")


def _fits(value: float | None, width: int) -> bool:
    """Can an uncertainty be written in ``width`` characters? One that cannot means the
    quantity is unconstrained, and the field stays blank (ISF: blank = unknown)."""
    return value is not None and len(f"{value:.0f}") <= width


def _int(value: float | None, width: int, what: str) -> str:
    if value is None:
        return " " * width
    text = f"{int(round(value)):{width}d}"
    if len(text) > width:
        raise BulletinError(f"{what} = {value!r} does not fit in {width} characters")
    return text


def _author(value: str) -> str:
    """CSS3.0 ``auth`` in the 9-character IMS1.0 author field: ``agency:detail`` names
    (``testban:assoc``) keep their agency; other long names are cut to the width."""
    value = "" if value == "-" else value
    if len(value) > 9:
        value = value.split(":", 1)[0][:9]
    return value.ljust(9)


def _text(value: str, width: int, what: str) -> str:
    if len(value) > width:
        raise BulletinError(f"{what} {value!r} is longer than {width} characters")
    return value.ljust(width)


def _ident(value: int, width: int, what: str) -> str:
    return _text(str(value), width, what) if value > 0 else " " * width


def clock(t: float, decimals: int) -> tuple[str, str]:
    """``("yyyy/mm/dd", "hh:mm:ss.s…")`` of epoch ``t`` rounded to ``decimals``."""
    scale = 10**decimals
    units = round(t * scale)
    secs, frac = divmod(units, scale)
    d = _EPOCH + _dt.timedelta(seconds=secs)
    return d.strftime("%Y/%m/%d"), f"{d:%H:%M:%S}.{frac:0{decimals}d}"


def _opt(value: float, na: float = -999.0) -> float | None:
    return value if has(value, na) else None


# ------------------------------------------------------------------------------ writing


def _origin_line(o: Origin, err: Origerr | None, assocs: list[Assoc], analysis: str) -> str:
    line = _Line(136)
    date, time = clock(o.time, 2)
    line.put(1, f"{date} {time}")
    if err is not None:
        for first, value in ((25, _opt(err.stime, 0.0)), (31, _opt(err.sdobs, 0.0))):
            if _fits(value, 5):
                line.put(first, _num(value, 5, 2, "stime/sdobs"))
    line.put(37, _num(_opt(o.lat), 8, 4, "lat"))
    line.put(46, _num(_opt(o.lon), 9, 4, "lon"))
    ellipse = err is not None and has(err.smajax, 0.0) and has(err.sminax, -1.0)
    if err is not None and ellipse and _fits(err.smajax, 5):
        line.put(56, _num(err.smajax, 5, 1, "smajax"))
        line.put(62, _num(err.sminax, 5, 1, "sminax"))
        line.put(68, _int(err.strike % 360.0 if has(err.strike, -1.0) else None, 3, "strike"))
    line.put(72, _num(_opt(o.depth), 5, 1, "depth"))
    fixed = o.dtype in ("g", "r")
    line.put(77, "f" if fixed else "d" if o.dtype == "d" else " ")
    if err is not None and not fixed and _fits(_opt(err.sdepth, 0.0), 4):
        line.put(79, _num(_opt(err.sdepth, 0.0), 4, 1, "sdepth"))
    used = defining(assocs)
    line.put(84, _int(o.ndef if o.ndef >= 0 else len(used) or None, 4, "ndef"))
    line.put(89, _int(len({a.sta for a in used}) or None, 4, "nsta"))
    line.put(94, _int(azimuthal_gap(a.esaz for a in used if has(a.esaz)), 3, "gap"))
    deltas = [a.delta for a in used if has(a.delta, -1.0)]
    if deltas:
        line.put(98, _num(min(deltas), 6, 2, "mdist"))
        line.put(105, _num(max(deltas), 6, 2, "Mdist"))
    line.put(112, analysis)
    line.put(114, "i")
    line.put(116, ETYPES.get(o.etype, ("", "uk"))[1])
    line.put(119, _author(o.auth))
    line.put(129, _ident(o.orid, 8, "orid"))
    return str(line)


def _magnitude_lines(o: Origin, netmags: list[Netmag]) -> tuple[list[str], list[str]]:
    """The magnitude lines of ``o`` and comment lines for magnitudes whose name is too
    long for IMS1.0's a5 (the IDC's ``mb1mle``): kept as comments, not lost."""
    rows: list[tuple[str, float, float | None, int | None, str]] = [
        (ims_magtype(m.magtype), m.magnitude, _opt(m.uncertainty, 0.0),
         m.nsta if m.nsta >= 0 else None, m.auth)
        for m in netmags if has(m.magnitude)
    ]  # fmt: skip
    families = {magnitude_family(m.magtype) for m in netmags}
    for fam, value in (("mb", o.mb), ("ms", o.ms), ("ml", o.ml)):
        if has(value) and fam not in families:
            rows.append(({"mb": "mb", "ms": "Ms", "ml": "ML"}[fam], value, None, None, o.auth))
    out, comments = [], []
    for magtype, mag, unc, nsta, auth in rows:
        if len(magtype) > 5:
            err = f" ± {unc:.2f}" if unc is not None else ""
            n = f" from {nsta} stations" if nsta is not None else ""
            comments.append(f" (magnitude {magtype} {mag:.2f}{err}{n} by {auth}, orid {o.orid})")
            continue
        line = _Line(38)
        line.put(1, _text(magtype, 5, "magnitude type"))
        line.put(7, _num(mag, 4, 1, "magnitude"))
        line.put(12, _num(unc, 3, 1, "magnitude error"))
        line.put(16, _int(nsta, 4, "nsta"))
        line.put(21, _author(auth))
        line.put(31, _ident(o.orid, 8, "orid"))
        out.append(str(line))
    return out, comments


_ONSET = {"i": "i", "e": "e", "q": "q"}
_POLARITY = {"c": "c", "u": "c", "d": "d", "r": "d"}


def _phase_line(
    s: Assoc, a: Arrival | None, stamag: Stamag | None, analysis: str, when: float
) -> str:
    line = _Line(122)
    line.put(1, _text(s.sta, 5, "station"))
    line.put(7, _num(_opt(s.delta, -1.0), 6, 2, "delta"))
    line.put(14, _num(_opt(s.esaz), 5, 1, "esaz"))
    line.put(20, _text(s.phase if s.phase != "-" else "", 8, "phase"))
    line.put(29, clock(when, 3)[1])
    line.put(42, _num(_opt(s.timeres), 5, 1, "timeres"))
    if a is not None:
        line.put(48, _num(_opt(a.azimuth, -1.0), 5, 1, "azimuth"))
    line.put(54, _num(_opt(s.azres), 5, 1, "azres"))
    if a is not None:
        line.put(60, _num(_opt(a.slow, -1.0), 6, 1, "slowness"))
    line.put(67, _num(_opt(s.slores), 5, 1, "slores"))
    flags = ("T" if s.timedef == "d" else "_") + ("A" if s.azdef == "d" else "_")
    line.put(74, flags + ("S" if s.slodef == "d" else "_"))
    if a is not None:
        line.put(78, _num(_opt(a.snr, -1.0), 5, 1, "snr"))
        line.put(84, _num(_opt(a.amp, 0.0), 9, 1, "amp"))
        line.put(94, _num(_opt(a.per, 0.0), 5, 2, "per"))
        line.put(101, _POLARITY.get(a.fm[:1].lower(), "_") + _ONSET.get(a.qual, "_"))
    else:
        line.put(101, "__")
    line.put(100, analysis)
    if stamag is not None:
        line.put(104, _text(ims_magtype(stamag.magtype), 5, "magnitude type"))
        line.put(110, _num(stamag.magnitude, 4, 1, "station magnitude"))
    line.put(115, _ident(s.arid, 8, "arid"))
    return str(line)


def _characterization_line(o: Origin, err: Origerr | None, chars: dict[str, Evchar]) -> str:
    """The GSE2.1 Event Characterization data line (table 46) of the preferred origin."""
    line = _Line(92)
    date, time = clock(o.time, 2)
    line.put(1, f"{date} {time}")
    line.put(24, _num(_opt(o.lat), 8, 4, "lat"))
    line.put(33, _num(_opt(o.lon), 9, 4, "lon"))
    if err is not None and has(err.smajax, 0.0) and _fits(err.smajax, 5):
        line.put(43, _num(err.smajax, 5, 1, "smajax"))
        line.put(49, _num(err.sminax, 5, 1, "sminax"))
    line.put(55, _num(_opt(o.depth), 5, 1, "depth"))
    line.put(60, "f" if o.dtype in ("g", "r") else " ")
    mb, ms = chars.get("mb"), chars.get("ms")
    if mb is not None and ms is not None and _fits(mb.value - ms.value, 4):
        line.put(62, _num(mb.value - ms.value, 5, 1, "mb-Ms"))
    off = chars.get("offshore")
    if off is not None:
        line.put(71, "yes" if off.value > 0.5 else "no")
    line.put(75, _author(o.auth)[:9])
    line.put(85, _ident(o.orid, 8, "orid"))
    return str(line)


def _screening_line(r: Screen) -> str:
    line = _Line(200)
    line.put(1, r.criterion[:12])
    for first, value in ((13, r.value), (22, r.uncertainty), (30, r.threshold)):
        if has(value, -999.0 if first != 22 else -1.0) and _fits(round(value, 2), 7):
            line.put(first + 1, _num(value, 7, 2, r.criterion))
    if r.nsta >= 0:
        line.put(38, _int(r.nsta, 4, "nsta"))
    line.put(43, r.outcome)
    line.put(60, r.reason)
    return str(line)


def _screening_blocks(o: Origin, err: Origerr | None, chars: list[Evchar],
                      screens: list[Screen]) -> str:  # fmt: skip
    """The Event Characterization and Event Screening blocks of one event ("" without).

    Written as IMS1.0 comment lines (`` (…)``) in the GSE2.1 block layout: ISF readers
    (ObsPy's among them) refuse blocks they do not know but keep comments.
    """
    lines = []
    if chars:
        by_param = {c.param: c for c in chars}
        lines += ["EVENT CHARACTERIZATION", CHARACTERIZATION_HEADER]
        lines.append(_characterization_line(o, err, by_param))
    if screens:
        lines += ["EVENT SCREENING", SCREENING_HEADER]
        lines += [_screening_line(r) for r in screens]
    return "".join(f" ({ln})\n" for ln in lines)


def _best_stamag(rows: list[Stamag]) -> Stamag | None:
    usable = [r for r in rows if has(r.magnitude) and r.magnitude != 0.0]
    if not usable:
        return None
    rank = {t: i for i, t in enumerate(MAGTYPE_PREFERENCE)}
    return min(usable, key=lambda r: (r.magdef != "d", rank.get(r.magtype, len(rank))))


def _region(view: EventView) -> str:
    if view.event is not None and view.event.evname not in ("", "-"):
        return view.event.evname
    o = view.preferred
    if not (has(o.lat) and has(o.lon)):
        return ""
    from obspy.geodetics import FlinnEngdahl

    return FlinnEngdahl().get_region(o.lon, o.lat)


def format_ims10(
    tables: Tables,
    *,
    title: str = "testban bulletin",
    analysis: str = "a",
    envelope: bool = True,
    msg_id: str = "testban",
) -> str:
    """An IMS1.0 short bulletin of ``tables`` as text.

    ``analysis`` is the IMS1.0 analysis type of every origin and pick (``a`` automatic,
    ``m`` manual); ``envelope`` wraps the data section in ``BEGIN IMS1.0 … STOP``.
    """
    if analysis not in ("a", "m", "g"):
        raise BulletinError(f"analysis type must be a, m or g, not {analysis!r}")
    index = events_of(tables)
    screens: dict[int, list[Screen]] = {}
    for r in rows_of(tables, Screen):
        screens.setdefault(r.orid, []).append(r)
    chars: dict[int, list[Evchar]] = {}
    for c in rows_of(tables, Evchar):
        chars.setdefault(c.orid, []).append(c)
    out = io.StringIO()
    if envelope:
        out.write(f"BEGIN IMS1.0\nMSG_TYPE DATA\nMSG_ID {msg_id}\n")
    out.write(f"DATA_TYPE BULLETIN IMS1.0:short\n{title}\n")
    for view in index.events:
        out.write(f"\nEVENT {view.evid:>8} {_region(view)}".rstrip() + "\n")
        out.write(ORIGIN_HEADER + "\n")
        for o in view.origins:
            assocs = view.assocs.get(o.orid, [])
            out.write(_origin_line(o, view.origerr.get(o.orid), assocs, analysis) + "\n")
            if len(view.origins) > 1 and o is view.preferred:
                out.write(" (#PRIME)\n")
        mags: list[str] = []
        late: list[str] = []  # comments ISF readers accept only after a magnitude line
        for o in view.origins:
            lines, comments = _magnitude_lines(o, view.netmags.get(o.orid, []))
            mags += lines
            late += comments
        if mags:
            out.write("\n" + MAGNITUDE_HEADER + "\n" + "\n".join(mags + late) + "\n")
            late = []
        pref = view.preferred
        assocs = view.assocs.get(pref.orid, [])
        if assocs:
            out.write("\n" + PHASE_HEADER + "\n")
            if len(view.origins) > 1:
                out.write(f" (#OrigID {pref.orid})\n")
            stamags: dict[int, list[Stamag]] = {}
            for m in view.stamags.get(pref.orid, []):
                stamags.setdefault(m.arid, []).append(m)
            rows = []
            for s in assocs:
                a = index.arrivals.get(s.arid)
                if a is None or not has(a.time, -9999999999.0):
                    raise BulletinError(f"assoc arid={s.arid} of orid={s.orid} has no arrival")
                rows.append((s.delta, a.time, s, a))
            rows.sort(key=lambda r: (r[0], r[1], r[2].arid))
            for _, t, s, a in rows:
                best = _best_stamag(stamags.get(s.arid, []))
                out.write(_phase_line(s, a, best, analysis, t) + "\n")
        out.write("".join(ln + "\n" for ln in late))
        out.write(_screening_blocks(pref, view.origerr.get(pref.orid), chars.get(pref.orid, []),
                                    screens.get(pref.orid, [])))  # fmt: skip
        out.write("\n")
    out.write("\nSTOP\n")
    return out.getvalue()


def write_ims10(tables: Tables, path: str | os.PathLike[str], **options: object) -> Path:
    """Write ``tables`` as an IMS1.0 short bulletin (options: :func:`format_ims10`)."""
    path = Path(path)
    text = format_ims10(tables, **options)  # type: ignore[arg-type]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


# ------------------------------------------------------------------------------ reading


def read_ims10(
    source: str | os.PathLike[str] | Iterable[str], problems: list[ReadProblem] | None = None
) -> dict[str, list[Record]]:
    """Read an IMS1.0 short bulletin (a path, or lines of text) into CSS3.0 rows.

    Parsing is ObsPy's (``IMS10BULLETIN``); :func:`testban.bulletin.quakeml.from_catalog`
    turns its catalog into rows. ObsPy reads a bulletin all or nothing, so when the whole
    text fails each ``EVENT`` block is read on its own (with the data-type header): a
    damaged event costs that event. Bad content raises :class:`BulletinError`, unless a
    ``problems`` list is given: then it is reported there (``line N`` of the event) and
    what could be read is returned.
    """
    name = str(source) if isinstance(source, (str, os.PathLike)) else ""
    if isinstance(source, (str, os.PathLike)):
        try:
            lines = Path(source).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            return _fail(BulletinError(f"cannot read {source}: {exc}"), name, problems)
    else:
        lines = [ln.rstrip("\r\n") for ln in source]
    if problems is not None and not any(ln.strip().upper() == "STOP" for ln in lines[-3:]):
        msg = "no STOP line at the end: the message is probably truncated"
        problems.append(ReadProblem(name, msg, f"line {len(lines)}", severity="warning"))
    try:
        whole_rows = _rows_of(lines)
    except BulletinError as whole:
        starts = _event_starts(lines)
        if problems is None or not starts:
            return _fail(whole, name, problems)
    else:
        # ObsPy may also read a damaged event as one without an origin, silently: then
        # the events are read one by one too, so that the damaged one is named.
        starts = _event_starts(lines)
        n_events = sum(1 for ln in lines if _is_event_line(ln))
        if problems is None or _n_origin_events(whole_rows) >= max(len(starts), n_events):
            return whole_rows
    head = lines[: starts[0]]
    out: dict[str, list[Record]] = {}
    top: dict[str, int] = {}
    for k, a in enumerate(starts):
        b = starts[k + 1] if k + 1 < len(starts) else len(lines)
        try:
            tail = [] if b == len(lines) else ["STOP"]
            rows = _rows_of(head + lines[a:b] + tail)
        except BulletinError as exc:
            problems.append(ReadProblem(name, f"event skipped: {exc}", f"line {a + 1}"))
            continue
        if not _n_origin_events(rows):
            msg = "event without a readable origin (hypocentre) line: its origin is lost"
            problems.append(ReadProblem(name, msg, f"line {a + 1}"))
        for table, recs in _shifted(rows, top).items():
            out.setdefault(table, []).extend(recs)
    return out


def _n_origin_events(rows: dict[str, list[Record]]) -> int:
    """How many events of ``rows`` have at least one origin."""
    return len({o.evid for o in rows_of(rows, Origin)})


def _is_event_line(line: str) -> bool:
    return line[:6].upper() == "EVENT "


def _event_starts(lines: list[str]) -> list[int]:
    """Line indices where events begin: each ``EVENT`` line, and also the line heading an
    origin table (``Date Time ...``, blank lines skipped) when that line is no ``EVENT``
    line, i.e. a damaged one. Without the second kind a garbled ``EVENT`` keyword would
    join its event to the one before, and cost that intact event too.
    """
    starts = {i for i, ln in enumerate(lines) if _is_event_line(ln)}
    if not starts:
        return []
    first = min(starts)
    for j, ln in enumerate(lines):
        if [w.lower() for w in ln.split()[:2]] != ["date", "time"]:
            continue
        i = j - 1
        while i > first and not lines[i].strip():
            i -= 1
        if i > first and not _is_event_line(lines[i]):
            starts.add(i)
    return sorted(starts)


def _fail(
    exc: BulletinError, name: str, problems: list[ReadProblem] | None
) -> dict[str, list[Record]]:
    """Raise ``exc``, or report it in ``problems`` and return no rows."""
    if problems is None:
        raise exc
    problems.append(ReadProblem(name, str(exc)))
    return {}


def _rows_of(lines: list[str]) -> dict[str, list[Record]]:
    """CSS3.0 rows of IMS1.0 text; raises :class:`BulletinError` on any parser failure."""
    import warnings

    from obspy import read_events

    from testban.bulletin.quakeml import from_catalog

    data = io.BytesIO("".join(f"{ln.rstrip()}\n" for ln in lines).encode("utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ObsPy warns on orphan phase blocks; rows say it
        try:
            catalog = read_events(data, format="IMS10BULLETIN")
            _restore_dropped(catalog, lines)
            return from_catalog(catalog)
        except Exception as exc:  # noqa: BLE001 (ObsPy raises many kinds on bad input)
            why = str(exc) or type(exc).__name__
            raise BulletinError(f"not a readable IMS1.0 bulletin: {why}") from exc


#: Id columns of the rows ``from_catalog`` makes, and the id space each one belongs to.
_ID_KINDS = {"evid": "evid", "orid": "orid", "prefor": "orid", "arid": "arid",
             "magid": "magid", "mbid": "magid", "msid": "magid", "mlid": "magid",
             "ampid": "ampid"}  # fmt: skip


def _shifted(rows: dict[str, list[Record]], top: dict[str, int]) -> dict[str, list[Record]]:
    """One event's rows with every id moved above ``top`` (updated in place).

    ``from_catalog`` numbers ids from 1 per catalog, so events read one at a time would
    share ids; shifting each by the largest id used so far keeps them unique and linked.
    """
    import dataclasses

    base = dict(top)
    out: dict[str, list[Record]] = {}
    for table, recs in rows.items():
        for rec in recs:
            changes = {}
            for col, kind in _ID_KINDS.items():
                v = getattr(rec, col, None)
                if isinstance(v, int) and v > 0:
                    changes[col] = v + base.get(kind, 0)
                    top[kind] = max(top.get(kind, 0), changes[col])
            out.setdefault(table, []).append(dataclasses.replace(rec, **changes))
    return out


def _restore_dropped(catalog: object, lines: list[str]) -> None:
    """Put back what ObsPy 1.5's reader parses but drops: station magnitude types (phase
    line columns 104-108, by ArrID) and network magnitude errors (columns 12-14)."""
    from obspy.core.event import QuantityError

    sta_types: dict[str, str] = {}
    mag_errors: dict[tuple[str, str, float], float] = {}
    block = ""
    for ln in lines:
        words = ln.split()[:4]
        low = [w.lower() for w in words]
        if low[:4] == ["sta", "dist", "evaz", "phase"]:
            block = "phases"
        elif low[:4] == ["magnitude", "err", "nsta", "author"]:
            block = "magnitudes"
        elif low[:1] == ["event"] or low[:2] == ["date", "time"] or not words:
            block = "" if words else block
        elif ln.lstrip().startswith("("):
            continue
        elif block == "phases" and len(ln) > 114 and ln[103:108].strip():
            sta_types[ln[114:122].strip()] = ln[103:108].strip()
        elif block == "magnitudes" and len(ln) > 13 and ln[11:14].strip():
            try:
                key = (ln[30:38].strip(), ln[0:5].strip(), float(ln[6:10]))
                mag_errors[key] = float(ln[11:14])
            except ValueError:
                continue
    for ev in catalog:  # type: ignore[attr-defined]
        for sm in ev.station_magnitudes:
            arid = str(sm.resource_id).rsplit("/", 1)[-1]
            if not sm.station_magnitude_type and arid in sta_types:
                sm.station_magnitude_type = sta_types[arid]
        for m in ev.magnitudes:
            orid = str(m.origin_id).rsplit("/", 1)[-1] if m.origin_id else ""
            err = mag_errors.get((orid, m.magnitude_type or "", m.mag))
            if err is not None and getattr(m.mag_errors, "uncertainty", None) is None:
                m.mag_errors = QuantityError(uncertainty=err)
