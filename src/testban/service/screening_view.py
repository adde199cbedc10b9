"""What the event page shows of screening: each criterion against its line, and the mb:Ms
and P/S diagrams that place the event among the store's other events.

Pure functions from rows to small inline SVGs (no plotting library in the service): a bar
per criterion (value, its one-sided 97.5 % bound, the threshold), and two scatter plots
whose reference populations are the store's own events, explosions being those a person
typed as explosions (CSS3.0 ``etype`` en/ex) — the page never types an event itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

import sqlalchemy as sa
from sqlalchemy.orm import Session

from testban.records.css30 import Screen
from testban.screening.criteria import IDC
from testban.store import TABLES_SQL

#: Normal quantile of the one-sided tests (97.5 %).
Z = 1.959964
#: Outcome → CSS class of the page.
OUTCOME_CLASS = {"screened out": "out", "not screened out": "kept", "not assessed": "na"}
#: Side of the line a criterion screens out on: +1 above (depth, mb:Ms), −1 below (P/S).
SIDE = {"depth": 1, "mbms": 1, "ps": -1}
LABELS = {
    "depth": "Depth (km)",
    "mbms": "Ms − 1.25 mb",
    "ps": "log₁₀ P/S (regional)",
    "offshore": "Offshore",
    "event": "Event",
}
EXPLOSION_ETYPES = ("en", "ex")


@dataclass(frozen=True)
class CriterionView:
    """One row of the page's screening table."""

    name: str
    label: str
    outcome: str
    css: str
    reason: str
    value: str
    uncertainty: str
    threshold: str
    nsta: str
    svg: str


def _num(x: float, na: float, spec: str = ".2f") -> str:
    return "" if not math.isfinite(x) or x <= na else format(x, spec)


def criterion_bar(r: Screen, width: int = 220, height: int = 22) -> str:
    """An SVG bar: the threshold (black line), the value (dot) and its one-sided 97.5 %
    bound (the whisker towards the threshold); empty when there is nothing to draw."""
    side = SIDE.get(r.criterion)
    have_value = r.value > -999.0 and math.isfinite(r.value)
    if side is None or not have_value or r.threshold <= -999.0:
        return ""
    sigma = r.uncertainty if r.uncertainty > 0 else 0.0
    bound = r.value - side * Z * sigma
    lo = min(r.value - Z * sigma, r.threshold, bound)
    hi = max(r.value + Z * sigma, r.threshold, bound)
    pad = 0.15 * (hi - lo) or 1.0
    lo, hi = lo - pad, hi + pad

    def x(v: float) -> float:
        return 6 + (width - 12) * (v - lo) / (hi - lo)

    y = height / 2
    colour = {"out": "#1b7837", "kept": "#b2182b", "na": "#777"}[OUTCOME_CLASS.get(r.outcome, "na")]
    parts = [
        f'<svg class="crit-bar" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label="{escape(r.criterion)}: value against threshold">',
        f'<line x1="6" x2="{width - 6}" y1="{y}" y2="{y}" stroke="#ccc"/>',
        f'<line x1="{x(r.threshold):.1f}" x2="{x(r.threshold):.1f}" y1="2" y2="{height - 2}"'
        f' stroke="#000" stroke-width="2"><title>threshold {r.threshold:g}</title></line>',
    ]
    if sigma > 0:
        parts.append(
            f'<line x1="{x(r.value - Z * sigma):.1f}" x2="{x(r.value + Z * sigma):.1f}" '
            f'y1="{y}" y2="{y}" stroke="{colour}" stroke-width="3" opacity="0.5"/>'
            f'<line x1="{x(bound):.1f}" x2="{x(bound):.1f}" y1="{y - 5}" y2="{y + 5}" '
            f'stroke="{colour}" stroke-width="2"><title>97.5 % bound {bound:.2f}</title></line>'
        )
    parts.append(
        f'<circle cx="{x(r.value):.1f}" cy="{y}" r="4" fill="{colour}">'
        f"<title>value {r.value:.2f}</title></circle></svg>"
    )
    return "".join(parts)


def criterion_views(rows: Iterable[Screen]) -> list[CriterionView]:
    """The screening table of one origin, criteria first and the event's outcome last."""
    order = {"depth": 0, "mbms": 1, "ps": 2, "offshore": 3, "event": 9}
    out = []
    for r in sorted(rows, key=lambda r: order.get(r.criterion, 5)):
        out.append(
            CriterionView(
                r.criterion, LABELS.get(r.criterion, r.criterion), r.outcome,
                OUTCOME_CLASS.get(r.outcome, "na"), r.reason, _num(r.value, -999.0),
                _num(r.uncertainty, 0.0), _num(r.threshold, -999.0),
                str(r.nsta) if r.nsta >= 0 else "", criterion_bar(r),
            )
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    kind: str  # "event" (this one), "explosion", "other"
    label: str


def scatter(
    points: list[Point],
    xlabel: str,
    ylabel: str,
    line: tuple[float, float] | None = None,
    hline: float | None = None,
    width: int = 320,
    height: int = 240,
) -> str:
    """A small SVG scatter plot; ``line`` (slope, intercept) or ``hline`` is the screening
    line. Empty when no point has both coordinates."""
    pts = [p for p in points if math.isfinite(p.x) and math.isfinite(p.y)]
    if not pts:
        return ""
    xs, ys = [p.x for p in pts], [p.y for p in pts]
    x0, x1 = min(xs) - 0.3, max(xs) + 0.3
    y0, y1 = min(ys) - 0.3, max(ys) + 0.3
    if hline is not None:
        y0, y1 = min(y0, hline - 0.3), max(y1, hline + 0.3)
    m = 36  # margin for the axes

    def sx(v: float) -> float:
        return m + (width - m - 8) * (v - x0) / (x1 - x0)

    def sy(v: float) -> float:
        return height - m - (height - m - 8) * (v - y0) / (y1 - y0)

    out = [
        f'<svg class="scatter" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label="{escape(ylabel)} against {escape(xlabel)}">',
        f'<rect x="{m}" y="8" width="{width - m - 8}" height="{height - m - 8}" fill="none" '
        'stroke="#999"/>',
        f'<text x="{(width + m) / 2:.0f}" y="{height - 6}" text-anchor="middle" '
        f'font-size="11">{escape(xlabel)}</text>',
        f'<text x="10" y="{(height - m) / 2:.0f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 10 {(height - m) / 2:.0f})">{escape(ylabel)}</text>',
        f'<text x="{m}" y="{height - m + 12}" font-size="9">{x0:.1f}</text>',
        f'<text x="{width - 8}" y="{height - m + 12}" font-size="9" text-anchor="end">'
        f"{x1:.1f}</text>",
        f'<text x="{m - 2}" y="{height - m}" font-size="9" text-anchor="end">{y0:.1f}</text>',
        f'<text x="{m - 2}" y="16" font-size="9" text-anchor="end">{y1:.1f}</text>',
    ]
    if line is not None:
        a, b = line
        out.append(
            f'<line x1="{sx(x0):.1f}" y1="{sy(a * x0 + b):.1f}" x2="{sx(x1):.1f}" '
            f'y2="{sy(a * x1 + b):.1f}" stroke="#000" stroke-dasharray="4 3">'
            "<title>screening line</title></line>"
        )
    if hline is not None:
        out.append(
            f'<line x1="{m}" y1="{sy(hline):.1f}" x2="{width - 8}" y2="{sy(hline):.1f}" '
            'stroke="#000" stroke-dasharray="4 3"><title>operating point</title></line>'
        )
    style = {
        "other": ('r="3" fill="#2166ac" opacity="0.5"', 0),
        "explosion": ('r="3.5" fill="#d6604d"', 1),
        "event": ('r="6" fill="none" stroke="#000" stroke-width="2"', 2),
    }
    for p in sorted(pts, key=lambda p: style[p.kind][1]):
        out.append(
            f'<circle cx="{sx(p.x):.1f}" cy="{sy(p.y):.1f}" {style[p.kind][0]}>'
            f"<title>{escape(p.label)}</title></circle>"
        )
    out.append("</svg>")
    return "".join(out)


def _population(session: Session, params: tuple[str, str], limit: int = 2000) -> list[tuple]:
    """(orid, etype, value of params[0], value of params[1]) of the store's events."""
    ev, o = TABLES_SQL["evchar"], TABLES_SQL["origin"]
    a, b = ev.alias("a"), ev.alias("b")
    stmt = (
        sa.select(o.c.orid, o.c.etype, a.c.value, b.c.value)
        .join(a, sa.and_(a.c.orid == o.c.orid, a.c.param == params[0]))
        .join(b, sa.and_(b.c.orid == o.c.orid, b.c.param == params[1]))
        .order_by(o.c.time.desc())
        .limit(limit)
    )
    return [tuple(r) for r in session.execute(stmt)]


def _points(rows: list[tuple], orid: int) -> list[Point]:
    out = []
    for oid, etype, x, y in rows:
        kind = "event" if oid == orid else "explosion" if etype in EXPLOSION_ETYPES else "other"
        out.append(Point(x, y, kind, f"orid {oid}: {x:.2f}, {y:.2f}"))
    return out


def population_plots(session: Session, orid: int, ps_threshold: float | None) -> dict[str, str]:
    """The mb:Ms and P/S diagrams of event ``orid`` among the store's events (SVG text)."""
    mbms = _points(_population(session, ("mb", "ms")), orid)
    ps = _points(_population(session, ("mb", "ps")), orid)
    return {
        "mbms": scatter(mbms, "mb", "Ms", line=(IDC.mbms_slope, IDC.mbms_offset)) if any(
            p.kind == "event" for p in mbms) else "",
        "ps": scatter(ps, "mb", "log₁₀ P/S", hline=ps_threshold) if any(
            p.kind == "event" for p in ps) else "",
    }  # fmt: skip
