"""Radioxenon samples: activity concentrations, isotopic ratios and the Kalinowski diagram.

A xenon sample is what an IMS noble-gas system reports per collection: for each of the
four treaty-relevant isotopes (Xe-131m, Xe-133m, Xe-133, Xe-135) an activity
concentration (mBq/m³) with its 1σ uncertainty and the minimum detectable concentration
(MDC), or a non-detection (the MDC alone). Ratios of two isotopes carry their propagated
uncertainty; a non-detection turns a ratio into a bound. The Kalinowski et al. (2010)
four-isotope diagram places a sample by log10(Xe-135/Xe-133) against
log10(Xe-133m/Xe-131m) relative to the line log y = 4.4388 log x − 6.

Which side is which: nuclear-explosion xenon (high Xe-133m/Xe-131m: little Xe-131m has
grown in) lies to the *right of the line*, i.e. *below* it in y; reactor and other civil
releases (Xe-131m accumulated over long irradiation) lie to the left, *above* it in y.
testban's own explosion model (:mod:`testban.radionuclide.xenon_clock`) lies below the
line at every age, which checks the orientation.

Sources: Kalinowski M.B. et al. (2010), Discrimination of nuclear explosions against
civilian sources based on atmospheric xenon isotopic activity ratios, Pure Appl.
Geophys. 167, 517–539 (line y = K x^m, K = 1e-6, m = 4.4388; the same constants are
used by FOI's SAUNA analysis software). Decay constants: radioactivedecay (ICRP-107).

CSV of per-sample results (one row per sample and isotope; ``#`` lines are comments)::

    sample_id,station,collect_start,collect_stop,isotope,conc,conc_err,mdc[,lat,lon][,nid_flag]

times ISO 8601 UTC; ``conc``, ``conc_err``, ``mdc`` in mBq/m³; an empty ``conc`` (or
``nid_flag`` 0) is a non-detection whose MDC bounds the concentration. Names follow the
IDC's radionuclide database (``GARDS_SAMPLE_DATA.COLLECT_START``, ``GARDS_BG_ISOTOPE_CONCS``
``CONC``, ``CONC_ERR``, ``MDC``, ``NID_FLAG``).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from testban.io.problems import ReadProblem

#: The four CTBT-relevant radioxenon isotopes, in the IDC's order.
ISOTOPES: tuple[str, ...] = ("Xe-131m", "Xe-133m", "Xe-133", "Xe-135")
#: Kalinowski et al. (2010) line: log10(Xe-135/Xe-133) = SLOPE·log10(Xe-133m/Xe-131m) + LOG_K.
KALINOWSKI_SLOPE = 4.4388
KALINOWSKI_LOG_K = -6.0
#: Ratios the package reports: (numerator, denominator).
RATIOS: tuple[tuple[str, str], ...] = (
    ("Xe-135", "Xe-133"),
    ("Xe-133m", "Xe-131m"),
    ("Xe-133m", "Xe-133"),
    ("Xe-131m", "Xe-133"),
)
CSV_COLUMNS = ("sample_id", "station", "collect_start", "collect_stop", "isotope", "conc",
               "conc_err", "mdc")  # fmt: skip
_ALIASES = {"xe131m": "Xe-131m", "xe133m": "Xe-133m", "xe133": "Xe-133", "xe135": "Xe-135"}


def isotope_name(text: str) -> str | None:
    """'XE-133M', 'Xe133m', '133mXe' → 'Xe-133m'; None if not one of :data:`ISOTOPES`."""
    t = text.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    if t[:1].isdigit():  # 133mXe
        digits = t.rstrip("xe")
        t = "xe" + digits
    return _ALIASES.get(t)


@cache
def decay_constant(nuclide: str) -> float:
    """Decay constant λ (1/s) of ``nuclide`` ('Xe-133', 'I-131', …) from radioactivedecay."""
    import radioactivedecay as rd  # type: ignore[import-untyped]

    return math.log(2.0) / float(rd.Nuclide(nuclide.replace("-", "")).half_life("s"))


@dataclass(frozen=True)
class XenonResult:
    """One isotope of one sample: concentration and 1σ (mBq/m³), MDC, detected or not."""

    isotope: str
    conc: float  # mBq/m³ (nan when not detected)
    conc_err: float  # 1σ, mBq/m³
    mdc: float  # mBq/m³ (nan when unknown)
    detected: bool

    @property
    def bound(self) -> float:
        """Upper bound of a non-detection: the MDC (or conc + 2σ when no MDC is known)."""
        if math.isfinite(self.mdc) and self.mdc > 0:
            return self.mdc
        if math.isfinite(self.conc):
            return self.conc + 2.0 * self.conc_err
        return math.nan


@dataclass(frozen=True)
class XenonSample:
    """One noble-gas sample: station, collection window (epoch s) and isotope results."""

    sample_id: str
    station: str
    collect_start: float
    collect_stop: float
    results: dict[str, XenonResult] = field(default_factory=dict)
    lat: float = math.nan
    lon: float = math.nan

    @property
    def collect_mid(self) -> float:
        return 0.5 * (self.collect_start + self.collect_stop)


# --------------------------------------------------------------------------- reading


def _time(text: str) -> float:
    from obspy import UTCDateTime

    return float(UTCDateTime(text.strip()).timestamp)


def _float(text: str | None) -> float:
    if text is None or not text.strip():
        return math.nan
    return float(text)


def parse_xenon_csv(text: str, file: str = "") -> tuple[list[XenonSample], list[ReadProblem]]:
    """Samples of a per-sample results CSV (see the module docstring) and the problems.

    A bad row (unknown isotope, unreadable number or time, stop before start, negative
    uncertainty) is reported with its line and skipped; the sample keeps its other rows.
    """
    problems: list[ReadProblem] = []
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS if c not in fields]
    if missing:
        problems.append(ReadProblem(file, f"missing columns: {', '.join(missing)}", "header"))
        return [], problems
    reader.fieldnames = fields
    order: list[str] = []
    heads: dict[str, tuple[str, float, float, float, float]] = {}
    results: dict[str, dict[str, XenonResult]] = {}
    # line numbers in the original text, comment lines skipped
    line_no = [i + 1 for i, ln in enumerate(text.splitlines()) if not ln.lstrip().startswith("#")]
    for k, row in enumerate(reader):
        where = f"line {line_no[k + 1]}" if k + 1 < len(line_no) else f"row {k + 1}"
        sid = (row.get("sample_id") or "").strip()
        try:
            iso = isotope_name(row.get("isotope") or "")
            if iso is None:
                raise ValueError(f"unknown isotope {row.get('isotope')!r}")
            start, stop = _time(row["collect_start"]), _time(row["collect_stop"])
            if stop < start:
                raise ValueError("collect_stop before collect_start")
            conc, err, mdc = _float(row["conc"]), _float(row["conc_err"]), _float(row["mdc"])
            if math.isfinite(err) and err < 0 or math.isfinite(mdc) and mdc < 0:
                raise ValueError("negative uncertainty or MDC")
            if not math.isfinite(conc) and not math.isfinite(mdc):
                raise ValueError("neither a concentration nor an MDC")
            flag = (row.get("nid_flag") or "").strip()
            detected = math.isfinite(conc) and flag not in ("0", "false", "no")
            lat, lon = _float(row.get("lat")), _float(row.get("lon"))
        except (ValueError, TypeError, KeyError) as exc:
            problems.append(ReadProblem(file, str(exc), where, sid))
            continue
        sid = sid or f"{row['station'].strip()}@{row['collect_start'].strip()}"
        if sid not in heads:
            order.append(sid)
            heads[sid] = (row["station"].strip(), start, stop, lat, lon)
            results[sid] = {}
        elif heads[sid][1:3] != (start, stop):
            problems.append(
                ReadProblem(file, "collection times differ from the sample's first row", where, sid)
            )
            continue
        if iso in results[sid]:
            problems.append(
                ReadProblem(file, f"{iso} given twice; first kept", where, sid, "warning")
            )
            continue
        results[sid][iso] = XenonResult(
            iso, conc, err if math.isfinite(err) else 0.0, mdc, detected
        )
    samples = [
        XenonSample(
            sid,
            heads[sid][0],
            heads[sid][1],
            heads[sid][2],
            results[sid],
            heads[sid][3],
            heads[sid][4],
        )  # fmt: skip
        for sid in order
    ]
    return samples, problems


def read_xenon_csv(path: str | Path) -> tuple[list[XenonSample], list[ReadProblem]]:
    """Read a per-sample xenon results CSV; an unreadable file is one problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [ReadProblem(str(path), f"cannot read: {exc}")]
    return parse_xenon_csv(text, str(path))


# --------------------------------------------------------------------------- ratios


@dataclass(frozen=True)
class Ratio:
    """An activity ratio num/den: a value with 1σ, or a bound, or nothing.

    ``kind``: ``"value"`` (both detected), ``"upper"`` (numerator not detected: the ratio
    is at most ``value``), ``"lower"`` (denominator not detected: at least ``value``),
    ``"none"`` (neither detected, or missing). ``sigma`` is the 1σ of ``value`` for
    ``"value"``; for a bound it is the 1σ of the detected part's contribution.
    """

    num: str
    den: str
    value: float
    sigma: float
    kind: str
    reason: str = ""

    @property
    def name(self) -> str:
        return f"{self.num}/{self.den}"

    @property
    def log10(self) -> float:
        return math.log10(self.value) if self.value > 0 else math.nan

    @property
    def sigma_log10(self) -> float:
        """1σ of log10(value) (first order): σ/(value·ln 10)."""
        return self.sigma / (self.value * math.log(10.0)) if self.value > 0 else math.nan


def ratio_of(
    a: tuple[float, float], b: tuple[float, float], cov: float = 0.0
) -> tuple[float, float]:
    """a/b and its first-order 1σ for (value, σ) pairs with covariance ``cov``.

    (σ_R/R)² = (σa/a)² + (σb/b)² − 2 cov/(a b).
    """
    (va, sa), (vb, sb) = a, b
    r = va / vb
    rel2 = (sa / va) ** 2 + (sb / vb) ** 2 - 2.0 * cov / (va * vb)
    return r, abs(r) * math.sqrt(max(rel2, 0.0))


def sample_ratio(sample: XenonSample, num: str, den: str, cov: float = 0.0) -> Ratio:
    """The ``num``/``den`` ratio of a sample, as a value, a bound, or none (with why)."""
    a, b = sample.results.get(num), sample.results.get(den)
    if a is None or b is None:
        missing = " and ".join(n for n, r in ((num, a), (den, b)) if r is None)
        return Ratio(num, den, math.nan, math.nan, "none", f"{missing} not measured")
    if a.detected and b.detected and a.conc > 0 and b.conc > 0:
        v, s = ratio_of((a.conc, a.conc_err), (b.conc, b.conc_err), cov)
        return Ratio(num, den, v, s, "value")
    if not a.detected and b.detected and b.conc > 0 and math.isfinite(a.bound):
        v = a.bound / b.conc
        return Ratio(num, den, v, v * b.conc_err / b.conc, "upper", f"{num} not detected")
    if a.detected and a.conc > 0 and not b.detected and math.isfinite(b.bound):
        v = a.conc / b.bound
        return Ratio(num, den, v, v * a.conc_err / a.conc, "lower", f"{den} not detected")
    return Ratio(
        num,
        den,
        math.nan,
        math.nan,
        "none",
        f"neither {num} nor {den} detected"
        if not a.detected and not b.detected
        else "non-positive concentration",
    )


def sample_ratios(sample: XenonSample) -> list[Ratio]:
    """The reported :data:`RATIOS` of one sample."""
    return [sample_ratio(sample, n, d) for n, d in RATIOS]


# --------------------------------------------------------------------------- diagram


def kalinowski_line(x: float) -> float:
    """Xe-135/Xe-133 on the Kalinowski (2010) line at Xe-133m/Xe-131m = ``x``."""
    return 10.0 ** (KALINOWSKI_SLOPE * math.log10(x) + KALINOWSKI_LOG_K)


@dataclass(frozen=True)
class DiagramPoint:
    """A sample on the four-isotope diagram.

    ``margin`` = 4.4388·log10 x − 6 − log10 y: positive on the explosion side (right of /
    below the line). ``distance_sigma`` is margin over its propagated 1σ (for a bound, the
    margin at the bound). ``side``: ``"explosion-like"``, ``"civil"`` or ``"not
    assessable"`` (with ``reason``); ``bound`` is True when the side rests on a bound.
    """

    sample_id: str
    x: Ratio  # Xe-133m/Xe-131m
    y: Ratio  # Xe-135/Xe-133
    margin: float
    sigma: float
    distance_sigma: float
    side: str
    bound: bool
    reason: str = ""


def diagram_point(sample_id: str, x: Ratio, y: Ratio, cov_log: float = 0.0) -> DiagramPoint:
    """Place x = Xe-133m/Xe-131m and y = Xe-135/Xe-133 against the Kalinowski line.

    The margin grows with x and falls with y, so a lower bound on x with an upper bound
    on y (or a value) bounds the margin from below: explosion-like if that bound is > 0;
    likewise an upper x / lower y bound the margin from above: civil if it is < 0.
    ``cov_log`` is the covariance of log10 x and log10 y (0 when no isotope is shared).
    """
    if x.kind == "none" or y.kind == "none":
        why = "; ".join(r.reason for r in (x, y) if r.kind == "none")
        return DiagramPoint(sample_id, x, y, math.nan, math.nan, math.nan, "not assessable",
                            False, why)  # fmt: skip
    m = KALINOWSKI_SLOPE * x.log10 + KALINOWSKI_LOG_K - y.log10
    sx = x.sigma_log10 if math.isfinite(x.sigma_log10) else 0.0
    sy = y.sigma_log10 if math.isfinite(y.sigma_log10) else 0.0
    var = (KALINOWSKI_SLOPE * sx) ** 2 + sy**2 - 2.0 * KALINOWSKI_SLOPE * cov_log
    s = math.sqrt(max(var, 0.0))
    d = m / s if s > 0 else math.copysign(math.inf, m)
    # direction in which each ratio's true value may lie from the number we hold
    lower_margin = x.kind in ("value", "lower") and y.kind in ("value", "upper")
    upper_margin = x.kind in ("value", "upper") and y.kind in ("value", "lower")
    bound = x.kind != "value" or y.kind != "value"
    if lower_margin and (m > 0 or not bound):
        side = "explosion-like" if m > 0 else "civil"
    elif upper_margin and m < 0:
        side = "civil"
    else:
        return DiagramPoint(sample_id, x, y, m, s, d, "not assessable", bound,
                            f"bounds ({x.kind} x, {y.kind} y) do not fix the side")  # fmt: skip
    return DiagramPoint(sample_id, x, y, m, s, d, side, bound)


def sample_point(sample: XenonSample) -> DiagramPoint:
    """The sample's Kalinowski-diagram point."""
    return diagram_point(
        sample.sample_id,
        sample_ratio(sample, "Xe-133m", "Xe-131m"),
        sample_ratio(sample, "Xe-135", "Xe-133"),
    )


def diagram_svg(
    points: Sequence[tuple[str, float, float, str]],
    width: int = 420,
    height: int = 360,
    xlim: tuple[float, float] = (-3.0, 4.0),
    ylim: tuple[float, float] = (-6.0, 4.0),
    curves: Iterable[tuple[str, Sequence[tuple[float, float]]]] = (),
) -> str:
    """An inline SVG of the four-isotope diagram (log10 axes) with the Kalinowski line.

    ``points``: (label, x, y, css class) with x = Xe-133m/Xe-131m, y = Xe-135/Xe-133;
    ``curves``: (label, [(x, y), …]) polylines (e.g. a model's trajectory).
    """
    from html import escape

    pad_l, pad_b, pad_t, pad_r = 48, 36, 12, 12
    w, h = width - pad_l - pad_r, height - pad_t - pad_b

    def px(lx: float) -> float:
        return pad_l + (lx - xlim[0]) / (xlim[1] - xlim[0]) * w

    def py(ly: float) -> float:
        return pad_t + (ylim[1] - ly) / (ylim[1] - ylim[0]) * h

    out = [
        f'<svg class="kalinowski" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" font-size="10">',
        f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="none" stroke="#999"/>',
    ]
    for k in range(math.ceil(xlim[0]), math.floor(xlim[1]) + 1):
        out.append(f'<text x="{px(k):.1f}" y="{height - 20}" text-anchor="middle">1e{k}</text>')
    for k in range(math.ceil(ylim[0]), math.floor(ylim[1]) + 1):
        out.append(f'<text x="{pad_l - 4}" y="{py(k) + 3:.1f}" text-anchor="end">1e{k}</text>')
    out.append(
        f'<text x="{pad_l + w / 2:.0f}" y="{height - 4}" text-anchor="middle">'
        "Xe-133m/Xe-131m</text>"
        f'<text x="10" y="{pad_t + h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 10 {pad_t + h / 2:.0f})">Xe-135/Xe-133</text>'
    )
    # the line, clipped to the box
    x0 = max(xlim[0], (ylim[0] - KALINOWSKI_LOG_K) / KALINOWSKI_SLOPE)
    x1 = min(xlim[1], (ylim[1] - KALINOWSKI_LOG_K) / KALINOWSKI_SLOPE)
    y0, y1 = (KALINOWSKI_SLOPE * v + KALINOWSKI_LOG_K for v in (x0, x1))
    out.append(
        f'<line x1="{px(x0):.1f}" y1="{py(y0):.1f}" x2="{px(x1):.1f}" y2="{py(y1):.1f}" '
        'stroke="#c00" stroke-width="1.5"><title>Kalinowski et al. (2010): '
        "explosion-like to the right (below), civil to the left (above)</title></line>"
    )
    for label, pts in curves:
        xy = [(math.log10(a), math.log10(b)) for a, b in pts if a > 0 and b > 0]
        xy = [(a, b) for a, b in xy if xlim[0] <= a <= xlim[1] and ylim[0] <= b <= ylim[1]]
        if len(xy) > 1:
            d = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in xy)
            out.append(f'<polyline points="{d}" fill="none" stroke="#36c" stroke-dasharray="3 2">'
                       f"<title>{escape(label)}</title></polyline>")  # fmt: skip
    for label, xv, yv, css in points:
        if not (xv > 0 and yv > 0):
            continue
        lx, ly = math.log10(xv), math.log10(yv)
        if not (xlim[0] <= lx <= xlim[1] and ylim[0] <= ly <= ylim[1]):
            continue
        colour = {"explosion-like": "#c00", "civil": "#090"}.get(css, "#555")
        out.append(f'<circle cx="{px(lx):.1f}" cy="{py(ly):.1f}" r="3.5" fill="{colour}" '
                   f'class="{escape(css)}"><title>{escape(label)}</title></circle>')  # fmt: skip
    out.append("</svg>")
    return "\n".join(out)
