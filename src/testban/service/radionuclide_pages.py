"""Radionuclide pages: stations and their latest samples, one sample, xenon, air series.

- ``/radionuclide``: map of stations (``site`` coordinates) with their latest sample and
  level (``gards_sample_cat``; "not categorised" without one), and the latest samples;
- ``/sample/{sample_id}``: the spectrum (log counts against energy) with its identified
  peaks labelled, the sample's metadata and an RRR-like report
  (:func:`testban.bulletin.rrr.format_rrr`, also at ``/sample/{id}/rrr.txt``);
- ``/xenon``: the Kalinowski diagram of the store's xenon samples, their ratios and clocks;
- ``/airconc``: air-concentration series per site on the map, one site's series, and the
  arrival front of the release (:mod:`testban.radionuclide.arrival`);
- :func:`event_radionuclide`: the event page's fusion verdict (:mod:`testban.radionuclide.fusion`).

Plots are inline SVG drawn here (no plotting library, nothing loaded from elsewhere).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from testban.bulletin.rrr import LEVELS, format_rrr, sample_level
from testban.io.srs import read_srs
from testban.radionuclide.arrival import (
    CHERNOBYL,
    FrontPoint,
    Release,
    apparent_speed,
    arrival_front,
)
from testban.radionuclide.fusion import Event, FusionVerdict, assess
from testban.radionuclide.psr import match_samples
from testban.radionuclide.transport_fusion import EventLocation, assess_event
from testban.radionuclide.xenon import RATIOS, diagram_svg, sample_point, sample_ratio
from testban.radionuclide.xenon_clock import DAY, ratio_clock
from testban.records.css30 import NA_STR, NA_TIME, Origerr, Origin, Site
from testban.records.gards import (
    GardsAirConc,
    GardsNuclIded,
    GardsPeaks,
    GardsSampleCat,
    GardsSampleData,
)
from testban.service.pages import TEMPLATES, _json_script
from testban.store import TABLES_SQL, Store, read_rows, read_sample
from testban.store.radionuclide import air_series, read_spectrum, stored_xenon_samples

#: Days after an event in which the event page looks for xenon samples.
FUSION_DAYS = 60.0
#: Folder beside an SQLite store holding SRS files for its samples (event-page transport).
SRS_FOLDER = "srs"
#: Latest samples listed on the radionuclide page.
LATEST = 100
#: Colour of each level on the map (1 green … 5 red; none grey).
LEVEL_COLOUR = {1: "#1a9850", 2: "#91cf60", 3: "#fee08b", 4: "#fc8d59", 5: "#d73027"}
NONE_COLOUR = "#7f8c8d"


def _time(t: float, spec: str = "%Y-%m-%d %H:%M:%S") -> str:
    if not math.isfinite(t) or t <= NA_TIME:
        return ""
    return datetime.fromtimestamp(t, UTC).strftime(spec)


def _f(x: float, spec: str = ".4g", na: float = -1.0) -> str:
    return "" if not math.isfinite(x) or x <= na else format(x, spec)


def _when(s: GardsSampleData) -> float:
    """A sample's time for 'latest': acquisition start, else collection stop."""
    return s.acquisition_start if s.acquisition_start > NA_TIME else s.collect_stop


# --------------------------------------------------------------------------- SVG


def _axis_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    """Round ticks between lo and hi (about n of them)."""
    if not hi > lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step) + 1)]


def spectrum_svg(
    x: np.ndarray,
    counts: np.ndarray,
    peaks: Sequence[tuple[float, str]] = (),
    *,
    xlabel: str = "energy (keV)",
    width: int = 960,
    height: int = 380,
) -> str:
    """Log10 counts (counts + 1) against ``x`` (energy or channel), one column per pixel
    (min–max envelope), with ``peaks`` (x, label) marked; labelled ones get their name."""
    pad_l, pad_r, pad_t, pad_b = 52, 12, 28, 36
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    x = np.asarray(x, float)
    y = np.log10(np.clip(np.asarray(counts, float), 0, None) + 1.0)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 2:
        return (
            '<svg class="spectrum" width="1" height="1" xmlns="http://www.w3.org/2000/svg"></svg>'
        )
    x0, x1 = float(x.min()), float(x.max())
    ytop = max(1.0, math.ceil(float(y.max()) + 0.3))

    def px(v: float) -> float:
        return pad_l + (v - x0) / (x1 - x0) * w

    def py(v: float) -> float:
        return pad_t + (1 - v / ytop) * h

    col = np.clip(((x - x0) / (x1 - x0) * (w - 1)).astype(int), 0, w - 1)
    pts = []
    for c in np.unique(col):
        seg = y[col == c]
        pts.append((pad_l + c, py(float(seg.max()))))
        pts.append((pad_l + c, py(float(seg.min()))))
    out = [
        f'<svg class="spectrum" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' xmlns="http://www.w3.org/2000/svg" font-size="10" role="img"'
        ' aria-label="spectrum: log counts against energy">',
        f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="#fff" stroke="#999"/>',
    ]
    for k in range(int(ytop) + 1):
        out.append(
            f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{py(k):.1f}" y2="{py(k):.1f}" '
            f'stroke="#eee"/><text x="{pad_l - 4}" y="{py(k) + 3:.1f}" '
            f'text-anchor="end">1e{k}</text>'
        )
    for t in _axis_ticks(x0, x1, 10):
        out.append(f'<text x="{px(t):.1f}" y="{height - 20}" text-anchor="middle">{t:g}</text>')
    out.append(
        f'<text x="{pad_l + w / 2:.0f}" y="{height - 4}" text-anchor="middle">'
        f"{escape(xlabel)}</text>"
        f'<text x="12" y="{pad_t + h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {pad_t + h / 2:.0f})">counts + 1 (log)</text>'
    )
    out.append(
        '<polyline class="counts" fill="none" stroke="#1d4e89" stroke-width="0.8" points="'
        + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
        + '"/>'
    )
    for k, (xp, label) in enumerate(sorted(peaks)):
        if not x0 <= xp <= x1:
            continue
        i = int(np.clip(np.searchsorted(x, xp), 0, x.size - 1))
        top = py(float(y[max(0, i - 2) : i + 3].max()))
        colour = "#c0392b" if label else "#888"
        title = f"{label} {xp:.1f}" if label else f"peak {xp:.1f}"
        out.append(
            f'<line class="peak" x1="{px(xp):.1f}" x2="{px(xp):.1f}" y1="{top - 3:.1f}" '
            f'y2="{top - 12:.1f}" stroke="{colour}"><title>{escape(title)}</title></line>'
        )
        if label:
            ty = max(pad_t - 16, top - 15 - 11 * (k % 3))
            out.append(
                f'<text class="peak-label" x="{px(xp):.1f}" y="{ty:.1f}" '
                f'text-anchor="middle" fill="{colour}">{escape(label)}</text>'
            )
    out.append("</svg>")
    return "\n".join(out)


def _log_axis(vals: Sequence[float]) -> tuple[float, float]:
    pos = [math.log10(v) for v in vals if v > 0]
    if not pos:
        return -1.0, 1.0
    return math.floor(min(pos)), max(math.ceil(max(pos)), math.floor(min(pos)) + 1)


def series_svg(
    series: dict[str, list[tuple[float, float]]],
    highlight: str,
    *,
    t0: float | None = None,
    width: int = 640,
    height: int = 300,
) -> str:
    """Air concentration (log, Bq/m³) against days since ``t0``: every site in grey, the
    ``highlight`` site in colour with its samples as dots."""
    pad_l, pad_r, pad_t, pad_b = 52, 12, 12, 36
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    allv = [(t, c) for rows in series.values() for t, c in rows if c > 0]
    if not allv:
        return ""
    start = t0 if t0 is not None else min(t for t, _ in allv)
    d0 = math.floor(min((t - start) / DAY for t, _ in allv))
    d1 = math.ceil(max((t - start) / DAY for t, _ in allv)) + 1
    ylo, yhi = _log_axis([c for _, c in allv])

    def px(t: float) -> float:
        return pad_l + ((t - start) / DAY - d0) / max(d1 - d0, 1) * w

    def py(c: float) -> float:
        return pad_t + (yhi - math.log10(c)) / (yhi - ylo) * h

    out = [
        f'<svg class="series" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' xmlns="http://www.w3.org/2000/svg" font-size="10" role="img"'
        f' aria-label="air concentration at {escape(highlight)}">',
        f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="#fff" stroke="#999"/>',
    ]
    for k in range(int(ylo), int(yhi) + 1):
        out.append(
            f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{py(10.0**k):.1f}" '
            f'y2="{py(10.0**k):.1f}" stroke="#eee"/><text x="{pad_l - 4}" '
            f'y="{py(10.0**k) + 3:.1f}" text-anchor="end">1e{k}</text>'
        )
    for d in _axis_ticks(d0, d1, 8):
        x = pad_l + (d - d0) / max(d1 - d0, 1) * w
        out.append(f'<text x="{x:.1f}" y="{height - 20}" text-anchor="middle">{d:g}</text>')
    out.append(
        f'<text x="{pad_l + w / 2:.0f}" y="{height - 4}" text-anchor="middle">days since '
        f"{escape(_time(start, '%Y-%m-%d %H:%M'))} UTC</text>"
        f'<text x="12" y="{pad_t + h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {pad_t + h / 2:.0f})">Bq/m³</text>'
    )
    for name, rows in sorted(series.items(), key=lambda kv: kv[0] == highlight):
        pts = [(px(t), py(c)) for t, c in rows if c > 0]
        if not pts:
            continue
        main = name == highlight
        colour, sw = ("#c0392b", 1.6) if main else ("#bbb", 0.6)
        out.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="{sw}" points="'
            + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
            + f'"><title>{escape(name)}</title></polyline>'
        )
        if main:
            out += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.2" fill="{colour}"/>' for a, b in pts]
    out.append("</svg>")
    return "\n".join(out)


def front_svg(
    front: Sequence[FrontPoint],
    release: Release,
    speed: dict[str, float],
    *,
    width: int = 640,
    height: int = 340,
) -> str:
    """First detection (days after the release, ± half the sample) against distance (km)
    from the release, with lines of the median apparent speed and of the least-squares fit."""
    if not front:
        return ""
    pad_l, pad_r, pad_t, pad_b = 52, 12, 12, 36
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    dist = [p.distance_km for p in front]
    days = [(p.time - release.time) / DAY for p in front]
    xmax = max(dist) * 1.05
    ymax = math.ceil(max((p.first_stop - release.time) / DAY for p in front)) + 0.5

    def px(d: float) -> float:
        return pad_l + d / xmax * w

    def py(t: float) -> float:
        return pad_t + (1 - t / ymax) * h

    out = [
        f'<svg class="front" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' xmlns="http://www.w3.org/2000/svg" font-size="10" role="img"'
        ' aria-label="arrival front: first detection against distance">',
        f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="#fff" stroke="#999"/>',
    ]
    for d in _axis_ticks(0, xmax, 8):
        out.append(f'<text x="{px(d):.1f}" y="{height - 20}" text-anchor="middle">{d:g}</text>')
    for t in _axis_ticks(0, ymax, 6):
        out.append(
            f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{py(t):.1f}" y2="{py(t):.1f}" '
            f'stroke="#eee"/><text x="{pad_l - 4}" y="{py(t) + 3:.1f}" '
            f'text-anchor="end">{t:g}</text>'
        )
    out.append(
        f'<text x="{pad_l + w / 2:.0f}" y="{height - 4}" text-anchor="middle">distance from '
        f"{escape(release.name or 'the release')} (km)</text>"
        f'<text x="12" y="{pad_t + h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {pad_t + h / 2:.0f})">'
        "first detection (days after release)</text>"
    )
    lines = [("median", speed.get("median_kmh", math.nan), 0.0, "#1d4e89", "4 3")]
    if math.isfinite(speed.get("fit_kmh", math.nan)):
        lines.append(("fit", speed["fit_kmh"], speed.get("fit_intercept_h", 0.0), "#888", "2 2"))
    for name, kmh, icept_h, colour, dash in lines:
        if not (math.isfinite(kmh) and kmh > 0):
            continue
        x_end = min(xmax, (ymax * 24 - icept_h) * kmh)
        y0, y1 = icept_h / 24, (icept_h + x_end / kmh) / 24
        out.append(
            f'<line class="speed-{name}" x1="{px(0):.1f}" y1="{py(y0):.1f}" '
            f'x2="{px(x_end):.1f}" y2="{py(y1):.1f}" stroke="{colour}" '
            f'stroke-dasharray="{dash}"><title>{name}: {kmh:.1f} km/h</title></line>'
        )
    for p, d, t in zip(front, dist, days, strict=True):
        hw = p.half_width / DAY
        out.append(
            f'<line x1="{px(d):.1f}" x2="{px(d):.1f}" y1="{py(t - hw):.1f}" y2="{py(t + hw):.1f}" '
            f'stroke="#c0392b" opacity="0.5"/><circle cx="{px(d):.1f}" cy="{py(t):.1f}" r="3" '
            f'fill="#c0392b"><title>{escape(p.location)}: {d:.0f} km, '
            f"{escape(_time(p.first_start, '%m-%d'))}</title></circle>"
        )
    out.append("</svg>")
    return "\n".join(out)


# --------------------------------------------------------------------------- data


def _sites(session: Any, stas: set[str]) -> dict[str, Site]:
    stas = {s for s in stas if s and s != NA_STR}
    if not stas:
        return {}
    t = TABLES_SQL["site"]
    out: dict[str, Site] = {}
    for r in read_rows(session, "site", t.c.sta.in_(sorted(stas)), order_by=("sta", "ondate")):
        if isinstance(r, Site) and r.lat > -999 and r.lon > -999:
            out[r.sta] = r
    return out


def _levels(session: Any, ids: Sequence[int]) -> dict[int, int | None]:
    t = TABLES_SQL["gards_sample_cat"]
    cats: dict[int, list[GardsSampleCat]] = {}
    for i in range(0, len(ids), 500):
        for r in read_rows(session, "gards_sample_cat", t.c.sample_id.in_(ids[i : i + 500])):
            if isinstance(r, GardsSampleCat):
                cats.setdefault(r.sample_id, []).append(r)
    return {i: sample_level(cats.get(i, [])) for i in ids}


def _level_text(level: int | None) -> str:
    return f"level {level}: {LEVELS.get(level, '?')}" if level else "not categorised"


def _sample_summary(s: GardsSampleData, level: int | None) -> dict[str, Any]:
    return {
        "sample_id": s.sample_id,
        "sta": s.sta,
        "detector": s.detector,
        "data_type": s.data_type,
        "qualifier": s.spectral_qualifier,
        "srid": s.srid,
        "collect_stop": _time(s.collect_stop),
        "acquisition": _time(s.acquisition_start),
        "live": _f(s.acquisition_live_sec, ".0f"),
        "level": level,
        "level_text": _level_text(level),
        "dfile": s.dfile,
        "when": _time(_when(s)),
    }


def stations_view(store: Store) -> dict[str, Any]:
    """The radionuclide page: stations with their latest sample, and the latest samples."""
    t = TABLES_SQL["gards_sample_data"]
    with store.session() as session:
        rows = [
            r for r in read_rows(session, "gards_sample_data") if isinstance(r, GardsSampleData)
        ]
        rows.sort(key=lambda r: (_when(r), r.sample_id), reverse=True)
        latest = rows[:LATEST]
        by_sta: dict[str, GardsSampleData] = {}
        for r in rows:
            by_sta.setdefault(r.sta, r)
        ids = sorted({r.sample_id for r in latest} | {r.sample_id for r in by_sta.values()})
        levels = _levels(session, ids)
        sites = _sites(session, set(by_sta))
        total = session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
    features = []
    for sta, site in sorted(sites.items()):
        s = by_sta[sta]
        level = levels.get(s.sample_id)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
                "properties": {
                    "kind": "station",
                    "name": sta,
                    "colour": LEVEL_COLOUR.get(level or 0, NONE_COLOUR),
                    "url": f"sample/{s.sample_id}",
                    "lines": [f"latest {_time(_when(s))}", _level_text(level)],
                },
            }
        )
    legend = [[LEVEL_COLOUR[k], f"level {k}"] for k in sorted(LEVEL_COLOUR)]
    legend.append([NONE_COLOUR, "not categorised"])
    return {
        "geojson": {"type": "FeatureCollection", "features": features, "legend": legend},
        "stations": [
            {
                **_sample_summary(by_sta[sta], levels.get(by_sta[sta].sample_id)),
                "located": sta in sites,
            }
            for sta in sorted(by_sta)
        ],
        "latest": [_sample_summary(r, levels.get(r.sample_id)) for r in latest],
        "total": int(total),
    }


def _peak_marks(
    peaks: Sequence[GardsPeaks], nucl: Sequence[GardsNuclIded], energy_known: bool
) -> list[tuple[float, str]]:
    """(x, label) of each peak: energy (or centroid channel without a calibration), the
    nuclide when the peak was assigned one, or an identified nuclide's key line."""
    out = []
    for p in peaks:
        x = p.energy if energy_known and p.energy > 0 else p.centroid
        if x < 0:
            continue
        label = p.nuclide if p.ided and p.nuclide not in ("", NA_STR) else ""
        out.append((x, label))
    labelled = {lab for _, lab in out if lab}
    if energy_known:
        for n in nucl:
            if n.nid_flag and n.name not in labelled and n.key_energy > 0:
                out.append((n.key_energy, n.name))
    return out


def sample_view(store: Store, sample_id: int) -> dict[str, Any] | None:
    """Everything the sample page shows, or None when there is no such sample."""
    with store.session() as session:
        tables = read_sample(session, sample_id)
        heads = [r for r in tables["gards_sample_data"] if isinstance(r, GardsSampleData)]
        if not heads:
            return None
        s = heads[0]
        spectrum = read_spectrum(session, sample_id)
        site = _sites(session, {s.sta}).get(s.sta)
    peaks = [r for r in tables["gards_peaks"] if isinstance(r, GardsPeaks)]
    nucl = [r for r in tables["gards_nucl_ided"] if isinstance(r, GardsNuclIded)]
    cats = [r for r in tables["gards_sample_cat"] if isinstance(r, GardsSampleCat)]
    station = f"{site.lat:.3f} N {site.lon:.3f} E" if site else ""
    svg, axis = "", ""
    if spectrum is not None and spectrum.n_channels > 1:
        known = spectrum.energy_cal.known
        try:
            x = spectrum.energies() if known else np.arange(spectrum.n_channels) + 0.5
        except ValueError:
            known, x = False, np.arange(spectrum.n_channels) + 0.5
        axis = "energy (keV)" if known else "channel (no energy calibration)"
        svg = spectrum_svg(x, spectrum.counts, _peak_marks(peaks, nucl, known), xlabel=axis)
    level = sample_level(cats)
    meta = [
        ("Station", s.sta + (f" ({station})" if station else "")),
        ("Detector", s.detector),
        ("Data type", f"{s.data_type} {s.spectral_qualifier}"),
        ("SRID", s.srid),
        ("Collection", f"{_time(s.collect_start)} – {_time(s.collect_stop)}".strip(" –")),
        ("Air volume / quantity", f"{s.quantity:g} {s.qunit}" if s.quantity > 0 else ""),
        ("Acquisition start", _time(s.acquisition_start)),
        (
            "Real / live time (s)",
            f"{_f(s.acquisition_real_sec, '.1f')} / {_f(s.acquisition_live_sec, '.1f')}",
        ),
        ("Channels", str(s.nchan) if s.nchan > 0 else ""),
        ("Source file", s.dfile),
        ("Level", _level_text(level)),
        ("Author", s.auth),
    ]
    return {
        "sample": s,
        "meta": meta,
        "level": level,
        "level_text": _level_text(level),
        "svg": Markup(svg) if svg else None,
        "axis": axis,
        "has_spectrum": spectrum is not None,
        "peaks": sorted(peaks, key=lambda p: p.centroid),
        "nuclides": sorted(nucl, key=lambda n: (-n.nid_flag, n.name)),
        "cats": sorted(cats, key=lambda c: (-c.category, c.name)),
        "xenon": tables["gards_bg_isotope_concs"],
        "rrr": format_rrr(s, tables, station=station),
    }


def _ratio_text(r: Any) -> str:
    if r.kind == "none":
        return "–"
    op = {"upper": "≤ ", "lower": "≥ "}.get(r.kind, "")
    err = f" ± {r.sigma:.2g}" if r.kind == "value" and math.isfinite(r.sigma) else ""
    return f"{op}{r.value:.3g}{err}"


def _clock_text(c: Any) -> str:
    if c.kind == "none":
        return "–"
    op = {"at least": "≥ ", "at most": "≤ "}.get(c.kind, "")
    return f"{op}{c.age_days:.1f} ± {c.sigma_days:.2g} d"


def xenon_view(store: Store) -> dict[str, Any]:
    """The xenon page: the diagram with every stored xenon sample, ratios and clocks."""
    with store.session() as session:
        samples = stored_xenon_samples(session)
    points, rows = [], []
    for sid, x in samples:
        p = sample_point(x)
        points.append(
            (
                f"{x.sample_id} {x.station} {_time(x.collect_start, '%Y-%m-%d')}: {p.side}",
                p.x.value,
                p.y.value,
                p.side,
            )
        )
        ratios = [sample_ratio(x, a, b) for a, b in RATIOS]
        rows.append(
            {
                "sample_id": sid,
                "srid": x.sample_id,
                "sta": x.station,
                "collect": f"{_time(x.collect_start, '%Y-%m-%d %H:%M')} – "
                f"{_time(x.collect_stop, '%Y-%m-%d %H:%M')}",
                "concs": {
                    iso: (
                        f"{r.conc:.3g} ± {r.conc_err:.2g}"
                        if r.detected
                        else f"< {r.bound:.3g}"
                        if math.isfinite(r.bound)
                        else "–"
                    )
                    for iso, r in x.results.items()
                },
                "ratios": [(r.name, _ratio_text(r), _clock_text(ratio_clock(r))) for r in ratios],
                "side": p.side,
                "reason": p.reason,
                "sigma": _f(p.distance_sigma, "+.1f", -math.inf),
            }
        )
    svg = diagram_svg(points, width=520, height=440) if samples else ""
    placed = sum(1 for _, x, y, _s in points if x > 0 and y > 0)
    return {
        "rows": rows,
        "svg": Markup(svg) if svg else None,
        "placed": placed,
        "ratio_names": [f"{a}/{b}" for a, b in RATIOS],
    }


def _conc_colour(c: float, lo: float, hi: float) -> str:
    """Yellow (low) to dark red (high) on a log scale between lo and hi."""
    f = 0.5 if hi <= lo else (math.log10(max(c, 1e-30)) - lo) / (hi - lo)
    f = min(1.0, max(0.0, f))
    r = 255 - int(90 * f)
    g = int(230 * (1 - f))
    return f"rgb({r},{g},40)"


def airconc_view(
    store: Store, site: str | None = None, release: Release = CHERNOBYL
) -> dict[str, Any]:
    """The air-concentration page: sites on the map (coloured by their largest value), one
    site's series, and the arrival front from ``release``."""
    with store.session() as session:
        rows = air_series(session)
    nuclides = sorted({r.name for r in rows})
    nuclide = "I-131" if "I-131" in nuclides else (nuclides[0] if nuclides else "")
    rows = [r for r in rows if r.name == nuclide]
    by_site: dict[str, list[GardsAirConc]] = {}
    for r in rows:
        by_site.setdefault(r.location, []).append(r)
    peak = {k: max(v, key=lambda r: r.conc) for k, v in by_site.items()}
    if site not in by_site:
        site = max(peak, key=lambda k: peak[k].conc) if peak else None
    logs = [math.log10(p.conc) for p in peak.values() if p.conc > 0]
    lo, hi = (min(logs), max(logs)) if logs else (0.0, 1.0)
    features = []
    for name, rs in sorted(by_site.items()):
        p = peak[name]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [rs[-1].lon, rs[-1].lat]},
                "properties": {
                    "kind": "site",
                    "name": name,
                    "colour": _conc_colour(p.conc, lo, hi),
                    "url": "airconc?" + urlencode({"site": name}),
                    "lines": [
                        f"{len(rs)} samples",
                        f"max {p.conc:.3g} Bq/m³ on {_time(p.collect_start, '%Y-%m-%d')}",
                    ],
                },
            }
        )
    if rows:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [release.lon, release.lat]},
                "properties": {
                    "kind": "release",
                    "name": release.name or "release",
                    "colour": "#000",
                    "lines": [f"release {_time(release.time)} UTC"],
                },
            }
        )
    legend = [[_conc_colour(10**v, lo, hi), f"{10**v:.2g} Bq/m³"] for v in np.linspace(lo, hi, 4)]
    front = arrival_front(rows, release, nuclide=nuclide) if rows else []
    speed = apparent_speed(front, release) if front else {}
    series = {
        k: [(0.5 * (r.collect_start + r.collect_stop), r.conc) for r in v]
        for k, v in by_site.items()
    }
    first = {p.location: p for p in front}
    return {
        "nuclide": nuclide,
        "nuclides": nuclides,
        "n_rows": len(rows),
        "n_sites": len(by_site),
        "site": site,
        "site_rows": [
            {
                "start": _time(r.collect_start, "%Y-%m-%d %H:%M"),
                "stop": _time(r.collect_stop, "%Y-%m-%d %H:%M"),
                "seq": r.seq,
                "conc": f"{r.conc:.4g}",
                "err": _f(r.conc_err),
            }
            for r in by_site.get(site or "", [])
        ],
        "geojson": {"type": "FeatureCollection", "features": features, "legend": legend},
        "series_svg": Markup(series_svg(series, site or "", t0=release.time)) if series else None,
        "front_svg": Markup(front_svg(front, release, speed)) if front else None,
        "front": [
            {
                "location": p.location,
                "km": f"{p.distance_km:.0f}",
                "first": _time(p.first_start, "%Y-%m-%d"),
                "conc": f"{p.conc:.3g}",
                "kmh": f"{p.distance_km / ((p.time - release.time) / 3600.0):.1f}",
            }
            for p in front
        ],
        "speed": speed,
        "release": {
            "name": release.name,
            "time": _time(release.time),
            "lat": release.lat,
            "lon": release.lon,
        },
        "first_site": first.get(site or ""),
    }


def _srs_folder(store: Store) -> Path | None:
    """The folder ``srs/`` beside an SQLite store, where SRS files for its samples go."""
    url = store.url
    if not url.startswith("sqlite:///"):
        return None
    folder = Path(url.removeprefix("sqlite:///")).parent / SRS_FOLDER
    return folder if folder.is_dir() else None


def event_radionuclide(store: Store, origin: Origin, days: float = FUSION_DAYS) -> dict[str, Any]:
    """The event page's radionuclide section: the fusion verdict of the store's xenon
    samples collected within ``days`` after the origin (or why there is none), and the
    verdict combined with transport where SRS files for them lie in ``srs/`` beside the
    store (:mod:`testban.radionuclide.transport_fusion`)."""
    with store.session() as session:
        found = stored_xenon_samples(session, start=origin.time, end=origin.time + days * DAY)
        errs = read_rows(session, "origerr", TABLES_SQL["origerr"].c.orid == origin.orid)
    out: dict[str, Any] = {"days": days, "n": len(found), "verdict": None, "samples": [],
                           "combined": None}  # fmt: skip
    if not found:
        return out
    ids = {x.sample_id: sid for sid, x in found}
    verdict: FusionVerdict = assess(
        Event(origin.time, origin.lat, origin.lon), [x for _, x in found]
    )
    out["verdict"] = verdict
    out["samples"] = [
        {
            "sample_id": ids.get(v.sample_id),
            "srid": v.sample_id,
            "sta": v.station,
            "verdict": v.verdict,
            "reason": v.reason,
            "age": f"{v.age_days:.1f}",
            "km": _f(v.distance_km, ".0f", -math.inf),
        }
        for v in verdict.samples
    ]
    err = next((e for e in errs if isinstance(e, Origerr)), None)
    ellipse = (
        (err.smajax, err.sminax, err.strike)
        if err is not None and err.smajax > 0
        else (math.nan, math.nan, 0.0)
    )
    ev = EventLocation(origin.time, origin.lat, origin.lon, *ellipse)
    sr, meas = None, None
    folder = _srs_folder(store)
    if folder is not None:
        problems: list = []
        sr = read_srs(sorted(p for p in folder.iterdir() if p.is_file()), problems)
        if sr is not None:
            sr, meas, _ = match_samples(sr, [x for _, x in found])
    out["combined"] = assess_event(ev, [x for _, x in found], sr, meas)
    out["srs_folder"] = str(folder) if folder else SRS_FOLDER + "/ beside the store"
    return out


# --------------------------------------------------------------------------- routes


def router(store: Store, *, title: str, docs_url: str | None = None) -> APIRouter:
    """The radionuclide page routes on ``store``."""
    r = APIRouter(tags=["radionuclide pages"])
    templates = Jinja2Templates(directory=str(Path(TEMPLATES)))
    templates.env.globals["site_title"] = title
    templates.env.globals["docs_url"] = docs_url

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status)

    @r.get("/radionuclide", response_class=HTMLResponse, name="radionuclide_page")
    def radionuclide_page(request: Request) -> HTMLResponse:
        """Radionuclide stations with their latest sample and level; the latest samples."""
        v = stations_view(store)
        return page(request, "radionuclide.html", v=v, geojson=_json_script(v.pop("geojson")))

    @r.get("/sample/{sample_id}", response_class=HTMLResponse, name="sample_page")
    def sample_page(request: Request, sample_id: int) -> HTMLResponse:
        """One sample: spectrum with identified peaks, metadata, nuclides, RRR-like report."""
        v = sample_view(store, sample_id)
        if v is None:
            return page(request, "sample_missing.html", 404, sample_id=sample_id)
        return page(request, "sample.html", v=v)

    @r.get(
        "/sample/{sample_id}/rrr.txt",
        name="sample_rrr",
        responses={200: {"content": {"text/plain": {}}}},
    )
    def sample_rrr(sample_id: int) -> Response:
        """The sample's RRR-like report as plain text."""
        v = sample_view(store, sample_id)
        if v is None:
            return PlainTextResponse(f"No sample {sample_id}.", status_code=404)
        return PlainTextResponse(
            v["rrr"], headers={"Content-Disposition": f'attachment; filename="rrr_{sample_id}.txt"'}
        )

    @r.get("/xenon", response_class=HTMLResponse, name="xenon_page")
    def xenon_page(request: Request) -> HTMLResponse:
        """The Kalinowski diagram of the store's xenon samples, their ratios and clocks."""
        return page(request, "xenon.html", v=xenon_view(store))

    @r.get("/airconc", response_class=HTMLResponse, name="airconc_page")
    def airconc_page(request: Request, site: str | None = None) -> HTMLResponse:
        """Air-concentration series per site, one site's series, the arrival front."""
        v = airconc_view(store, site)
        return page(request, "airconc.html", v=v, geojson=_json_script(v.pop("geojson")))

    return r
