"""Waveforms of one event with its picks, read through ``wfdisc`` and drawn as inline SVG.

For each station with associated arrivals (nearest first by ``assoc.delta``, at most
:data:`MAX_STATIONS`), the vertical channel whose ``wfdisc`` rows cover the window from
:data:`BEFORE` s before its first associated arrival to :data:`AFTER` s after is read with
:func:`testban.io.waveforms.read_file`, band-passed in the IDC's mb band
(:data:`BAND`, 3-pole causal Butterworth) and drawn with vertical marks at the associated
arrivals (phase names) and at their predicted times (arrival time − time residual).

Array arrivals are reported under the array code (``CMAR``) while ``wfdisc`` names the
elements (``CM01``): the ``site`` table's ``refsta`` links them (CSS3.0: an element's
``refsta`` is its array) and the element nearest the array's reference point is shown.

The drawing is SVG built here with NumPy (min/max of the samples in each pixel column), not
a PNG from Matplotlib: it needs no plotting library in the request path, is a few tens of
kB, stays sharp when zoomed, can be inlined in the page (its text is selectable) and is
checked in tests by reading the XML. Missing or unreadable files never raise: they are
reported (:attr:`WaveformPlot.problems`) and the page says which file and why.

A row's file is ``dir``/``dfile``, or, for a path too long for those CSS3.0 columns, its
archive root (``wfroot``) joined with its path inside it (``wfpath``): see
:mod:`testban.store.paths`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from testban.records.css30 import Arrival, Assoc, Site, Wfdisc
from testban.service.present import iso_time
from testban.store import TABLES_SQL, Store, read_rows
from testban.store.paths import wfdisc_files

#: Pass band (Hz) of the displayed traces: the IDC's mb measurement band.
BAND = (0.8, 4.5)
#: Poles of the causal Butterworth band-pass.
CORNERS = 3
#: Seconds shown before the first associated arrival at a station, and after it.
BEFORE, AFTER = 30.0, 120.0
#: Extra seconds read before the window so that the filter's start-up has decayed.
PAD = 30.0
#: Most stations drawn (the nearest ones with waveforms).
MAX_STATIONS = 12

CAPTION = (
    f"Vertical components, band-pass {BAND[0]:g}–{BAND[1]:g} Hz ({CORNERS}-pole causal "
    "Butterworth, the IDC's mb band), nearest stations first; each trace scaled to its "
    f"own peak; time from each station's first associated arrival ({BEFORE:g} s before "
    f"to {AFTER:g} s after). Red: associated arrivals; blue dashed: predicted times "
    "(arrival time − time residual)."
)


@dataclass(frozen=True, slots=True)
class Mark:
    """A vertical mark: an associated arrival or its predicted time (epoch s)."""

    time: float
    phase: str
    kind: str  # "arrival" or "predicted"


@dataclass(slots=True)
class Segment:
    """Contiguous filtered samples: start (epoch s), sampling rate (Hz), values (counts)."""

    start: float
    samprate: float
    data: np.ndarray


@dataclass(slots=True)
class TraceView:
    """One station's window: what was read, from where, and its marks."""

    sta: str  # the arrival's station (array code for arrays)
    wfsta: str  # the wfdisc station read (an element for arrays)
    chan: str
    delta: float | None
    t0: float  # the first associated arrival; the window is t0 - BEFORE … t0 + AFTER
    marks: list[Mark]
    segments: list[Segment] = field(default_factory=list)
    band: str = ""
    files: list[str] = field(default_factory=list)

    @property
    def peak(self) -> float:
        """Largest absolute filtered value in the window (counts)."""
        peaks = [float(np.nanmax(np.abs(s.data))) for s in self.segments if s.data.size]
        return max(peaks, default=0.0)


@dataclass(slots=True)
class WaveformPlot:
    """Waveforms of an event: traces drawn, and what could not be (station: file: why)."""

    evid: int
    traces: list[TraceView] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    no_data: list[str] = field(default_factory=list)  # stations without wfdisc rows

    @property
    def available(self) -> bool:
        return bool(self.traces)

    def reason(self) -> str:
        """Why nothing (or not everything) is drawn, for people."""
        parts = list(self.problems)
        if self.no_data:
            parts.append(f"no wfdisc rows cover the arrivals at {', '.join(self.no_data)}")
        return "; ".join(parts) or "the event has no associated arrivals"


# --- reading ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Station:
    sta: str
    delta: float | None
    marks: list[Mark]

    @property
    def t0(self) -> float:
        return min(m.time for m in self.marks if m.kind == "arrival")


def _stations(session: Session, orid: int) -> list[_Station]:
    """Stations with associated arrivals, nearest first, with their marks."""
    assoc, arrival = TABLES_SQL["assoc"], TABLES_SQL["arrival"]
    assocs = [a for a in read_rows(session, "assoc", assoc.c.orid == orid) if isinstance(a, Assoc)]
    arids = [a.arid for a in assocs]
    arrivals = {
        a.arid: a
        for a in read_rows(session, "arrival", arrival.c.arid.in_(arids))
        if isinstance(a, Arrival)
    }
    by_sta: dict[str, _Station] = {}
    for a in assocs:
        arr = arrivals.get(a.arid)
        if arr is None:
            continue
        phase = a.phase if a.phase not in ("", "-") else arr.iphase
        st = by_sta.setdefault(a.sta, _Station(a.sta, None, []))
        if a.delta >= 0 and (st.delta is None or a.delta < st.delta):
            st.delta = a.delta
        st.marks.append(Mark(arr.time, phase, "arrival"))
        if a.timeres > -999.0:
            st.marks.append(Mark(arr.time - a.timeres, phase, "predicted"))
    return sorted(by_sta.values(), key=lambda s: (s.delta is None, s.delta or 0.0, s.sta))


def _elements(session: Session, stas: Sequence[str]) -> dict[str, list[str]]:
    """Array code → its elements (``site.refsta``), the one nearest the reference first."""
    site = TABLES_SQL["site"]
    out: dict[str, dict[str, float]] = {}
    for s in read_rows(session, "site", site.c.refsta.in_(sorted(set(stas)))):
        assert isinstance(s, Site)
        if s.sta != s.refsta:
            known = s.dnorth > -999.0 and s.deast > -999.0
            offset = math.hypot(s.dnorth, s.deast) if known else math.inf
            d = out.setdefault(s.refsta, {})
            d[s.sta] = min(d.get(s.sta, math.inf), offset)
    return {ref: sorted(els, key=lambda e: (els[e], e)) for ref, els in out.items()}


def _vertical_first(rows: list[Wfdisc]) -> tuple[str, str] | None:
    """(sta, chan) to show: a vertical channel of the highest sampling rate, if any."""
    best: dict[tuple[str, str], float] = {}
    for r in rows:
        key = (r.sta, r.chan)
        best[key] = max(best.get(key, 0.0), r.samprate)
    if not best:
        return None
    return min(best, key=lambda k: (not k[1].upper().endswith("Z"), -best[k], k[1]))


def _wfdisc(session: Session, stas: Sequence[str], t0: float, t1: float) -> list[Wfdisc]:
    wf = TABLES_SQL["wfdisc"]
    cond = sa.and_(wf.c.sta.in_(list(stas)), wf.c.time < t1, wf.c.endtime > t0)
    return [r for r in read_rows(session, "wfdisc", cond, ("sta", "chan", "time"))
            if isinstance(r, Wfdisc)]  # fmt: skip


def _read(view: TraceView, rows: list[tuple[Wfdisc, Path]], t0: float, t1: float) -> list[str]:
    """Read, filter and trim ``view``'s channel from ``rows`` (each with its file);
    problems as strings."""
    from obspy import Stream, UTCDateTime

    from testban.io.waveforms import read_file

    problems: list[str] = []
    st = Stream()
    for r, path in rows:
        view.files.append(path.name)  # the public page names files, not server paths
        got, probs = read_file(path, starttime=UTCDateTime(t0), endtime=UTCDateTime(t1))
        sta, chan = r.sta.upper(), r.chan.upper()
        mine = [tr for tr in got if tr.stats.station.upper() == sta]
        same = [tr for tr in mine if tr.stats.channel.upper() == chan]
        picked = same or mine or (list(got) if len({tr.id for tr in got}) == 1 else [])
        if not picked:
            why = "; ".join(p.message for p in probs if p.severity == "error")
            why = why or f"no {r.sta} {r.chan} samples in the window"
            problems.append(f"{view.sta}: {path.name}: {why}")
            continue
        first = picked[0].id
        st.extend([tr for tr in picked if tr.id == first])
    if not st:
        return problems
    st.merge(method=1)
    nyquist = 0.5 * min(tr.stats.sampling_rate for tr in st)
    fmax = min(BAND[1], 0.9 * nyquist)
    view.band = f"{BAND[0]:g}–{fmax:g} Hz"
    for tr in st.split():
        if tr.stats.npts < 2:
            continue
        tr.data = tr.data.astype(np.float64)
        tr.detrend("demean")
        tr.taper(0.05, max_length=5.0)
        if fmax > BAND[0] * 1.5:
            tr.filter("bandpass", freqmin=BAND[0], freqmax=fmax, corners=CORNERS, zerophase=False)
        else:
            tr.filter("highpass", freq=BAND[0], corners=CORNERS, zerophase=False)
            view.band = f"> {BAND[0]:g} Hz (sampling too slow for the band)"
        tr.trim(UTCDateTime(view.t0 - BEFORE), UTCDateTime(view.t0 + AFTER))
        if tr.stats.npts:
            start = float(tr.stats.starttime)
            view.segments.append(Segment(start, float(tr.stats.sampling_rate), tr.data))
    if not view.segments:
        problems.append(f"{view.sta}: {', '.join(view.files)}: no samples in the window")
    return problems


def event_waveforms(
    store: Store, evid: int, orid: int, *, max_stations: int = MAX_STATIONS
) -> WaveformPlot:
    """The waveforms of origin ``orid`` (event ``evid``) around its associated arrivals."""
    plot = WaveformPlot(evid)
    with store.session() as session:
        stations = _stations(session, orid)
        elements = _elements(session, [s.sta for s in stations])
        jobs: list[tuple[_Station, tuple[str, str], list[tuple[Wfdisc, Path]], float, float]] = []
        for s in stations:
            if len(jobs) >= max_stations:
                break
            t0, t1 = s.t0 - BEFORE - PAD, s.t0 + AFTER  # read from t0, show from t0 + PAD
            rows = _wfdisc(session, [s.sta], t0 + PAD, t1)
            if not rows:
                for element in elements.get(s.sta, []):
                    rows = _wfdisc(session, [element], t0 + PAD, t1)
                    if rows:
                        break
            choice = _vertical_first(rows)
            if choice is None:
                plot.no_data.append(s.sta)
                continue
            mine = [r for r in rows if (r.sta, r.chan) == choice]
            files = wfdisc_files(session, mine)
            jobs.append((s, choice, [(r, files[r.wfid]) for r in mine], t0, t1))
    for s, (wfsta, chan), with_files, t0, t1 in jobs:
        view = TraceView(s.sta, wfsta, chan, s.delta, s.t0, s.marks)
        try:
            plot.problems += _read(view, with_files, t0, t1)
        except Exception as exc:  # noqa: BLE001 - a bad file must not break the page
            names = ", ".join(view.files)
            plot.problems.append(f"{s.sta}: {names}: {type(exc).__name__}: {exc}")
            continue
        if view.segments:
            plot.traces.append(view)
    return plot


# --- drawing ---------------------------------------------------------------------------

INK, ARRIVAL, PREDICTED, GRID, MUTED = "#1f2933", "#c0392b", "#1d6fb8", "#d9dee3", "#52606d"


def _columns(t: np.ndarray, y: np.ndarray, x0: float, px: float) -> tuple[np.ndarray, ...]:
    """Min/max of ``y`` per pixel column (``px`` s wide from ``x0``): x, ymin, ymax."""
    col = np.floor((t - x0) / px).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, np.diff(col) != 0])
    return col[starts].astype(float), np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)


def _trace_path(view: TraceView, left: float, width: float, yc: float, half: float) -> str:
    """SVG path data of a trace (samples or per-column min/max), gaps left open."""
    span = BEFORE + AFTER
    px = span / width
    peak = view.peak or 1.0
    parts = []
    for seg in view.segments:
        t = seg.start - view.t0 + np.arange(seg.data.size) / seg.samprate
        keep = (t >= -BEFORE) & (t <= AFTER) & np.isfinite(seg.data)
        t, y = t[keep], seg.data[keep]
        if t.size < 2:
            continue
        if t.size > 2 * width:
            cols, lo, hi = _columns(t, y, -BEFORE, px)
            xs = np.repeat(left + (cols + 0.5), 2)
            ys = np.column_stack([hi, lo]).ravel()
        else:
            xs = left + (t + BEFORE) / px
            ys = y
        ys = yc - ys / peak * half
        pts = " ".join(f"{x:.1f},{v:.1f}" for x, v in zip(xs, ys, strict=True))
        parts.append(f"M{pts}")  # further pairs after M are line-tos
    return " ".join(parts)


def render_svg(plot: WaveformPlot, *, width: int = 960, row: int = 64) -> str:
    """The traces of ``plot`` as an SVG document (no XML declaration: it can be inlined)."""
    left, right, top, bottom = 150, 16, 26, 40
    inner = width - left - right
    height = top + row * len(plot.traces) + bottom
    span = BEFORE + AFTER

    def x_of(rel: float) -> float:
        return left + (rel + BEFORE) / span * inner

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="waveforms" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'font-family="system-ui, sans-serif" font-size="11" data-evid="{plot.evid}">',
        f"<title>Event {plot.evid}: waveforms with picks</title>",
        f"<desc>{escape(CAPTION)}</desc>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="{left}" y="16" fill="{MUTED}">Event {plot.evid} · band-pass '
        f"{BAND[0]:g}–{BAND[1]:g} Hz (IDC mb band) · s from first associated arrival</text>",
    ]
    axis_y = top + row * len(plot.traces)
    for tick in range(int(-BEFORE), int(AFTER) + 1, 10):
        x = x_of(tick)
        major = tick % 30 == 0
        if major:
            out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y}" '
                       f'stroke="{GRID}" stroke-width="{1.2 if tick == 0 else 0.6}"/>')  # fmt: skip
            out.append(f'<text x="{x:.1f}" y="{axis_y + 18}" text-anchor="middle" '
                       f'fill="{MUTED}">{tick}</text>')  # fmt: skip
        out.append(f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" '
                   f'y2="{axis_y + (6 if major else 3)}" stroke="{MUTED}"/>')  # fmt: skip
    out.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + inner}" y2="{axis_y}" '
               f'stroke="{MUTED}"/>')  # fmt: skip
    out.append(f'<text x="{left + inner / 2:.1f}" y="{axis_y + 34}" text-anchor="middle" '
               f'fill="{MUTED}">seconds from the first associated arrival at each station'
               "</text>")  # fmt: skip
    for i, v in enumerate(plot.traces):
        y0 = top + row * i
        yc = y0 + row / 2
        delta = "" if v.delta is None else f"{v.delta:.1f}°"
        via = f"{v.wfsta} " if v.wfsta != v.sta else ""
        attrs = (
            f"data-sta={quoteattr(v.sta)} data-wfsta={quoteattr(v.wfsta)} "
            f'data-chan={quoteattr(v.chan)} data-delta="{"" if v.delta is None else v.delta}" '
            f'data-t0="{v.t0:.3f}" data-peak="{v.peak:.6g}" data-top="{y0}" data-row="{row}"'
        )
        out.append(f'<g class="trace" {attrs}>')
        out.append(f"<title>{escape(v.sta)} {escape(v.wfsta)} {escape(v.chan)}: "
                   f"{escape(', '.join(v.files))}</title>")  # fmt: skip
        out.append(f'<text x="8" y="{yc - 4:.1f}" font-weight="600" fill="{INK}">'
                   f'{escape(v.sta)} <tspan font-weight="400">{delta}</tspan></text>')  # fmt: skip
        out.append(f'<text x="8" y="{yc + 10:.1f}" fill="{MUTED}" font-size="10">'
                   f"{escape(via + v.chan)} · peak {v.peak:.3g}</text>")  # fmt: skip
        out.append(f'<text x="8" y="{yc + 22:.1f}" fill="{MUTED}" font-size="10">'
                   f"{iso_time(v.t0, 1)[11:]}</text>")  # fmt: skip
        out.append(f'<path d="{_trace_path(v, left, inner, yc, row * 0.45)}" fill="none" '
                   f'stroke="{INK}" stroke-width="0.8" stroke-linejoin="round"/>')  # fmt: skip
        for m in sorted(v.marks, key=lambda m: (m.kind != "predicted", m.time)):
            rel = m.time - v.t0
            if not -BEFORE <= rel <= AFTER:
                continue
            x = x_of(rel)
            colour = ARRIVAL if m.kind == "arrival" else PREDICTED
            dash = ' stroke-dasharray="3 2"' if m.kind == "predicted" else ""
            label_y = y0 + 10 if m.kind == "arrival" else y0 + row - 3
            out.append(
                f'<g class="{m.kind}" data-phase={quoteattr(m.phase)} '
                f'data-time="{m.time:.3f}" data-x="{x:.1f}">'
                f'<line x1="{x:.1f}" y1="{y0 + 2}" x2="{x:.1f}" y2="{y0 + row - 2}" '
                f'stroke="{colour}" stroke-width="1.4"{dash}/>'
                f'<text x="{x + 3:.1f}" y="{label_y:.1f}" fill="{colour}" font-size="10" '
                f'stroke="#fff" stroke-width="3" paint-order="stroke">'
                f"{escape(m.phase)}</text></g>"
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
