"""The screening criteria: each a pure function from measurements to a :class:`Criterion`.

An event is *screened out* when one criterion shows it natural beyond reasonable doubt
(the IDC's Standard Event Screening; an event that is not screened out is not thereby
suspicious: it simply is not shown natural). Every criterion reports its value, the
value's standard deviation, the line it is tested against, how many stations stand
behind it and why the outcome is what it is; a criterion that lacks what it needs says
"not assessed" and names what was missing — never "not screened out" by default.

References: the IDC criteria as described by Fisk, Jepsen & Murphy (2002, Pure Appl.
Geophys. 159, 865–888) and in the IDC Operations Manual for Seismic-Hydroacoustic-
Infrasound Monitoring (CTBT/WGB/TL-11,17): screening applies to events of mb ≥ 3.5 seen
by enough stations; depth > 10 km at 97.5 % one-sided confidence; Ms − 1.25 mb > −2.2
with the one-sided test on the combined station scatter (σb ≈ 0.34 per mb station, σs ≈
0.23 per Ms station, at least two Ms stations); an event whose error ellipse lies wholly
at sea with no explosion-like hydroacoustic signal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

SCREENED_OUT = "screened out"
NOT_SCREENED_OUT = "not screened out"
NOT_ASSESSED = "not assessed"
OUTCOMES = (SCREENED_OUT, NOT_SCREENED_OUT, NOT_ASSESSED)

#: One-sided confidence of every test (the IDC's 97.5 %): the normal quantile 1.96.
CONFIDENCE = 0.975


@dataclass(frozen=True)
class ScreeningConfig:
    """The lines and scatters the criteria are tested against (IDC values by default)."""

    #: Least network mb (magnitude units) of a screened event: the IDC's 3.5, below
    #: which too few stations measure the criteria.
    min_mb: float = 3.5
    #: Depth line (km): deeper than this at :data:`CONFIDENCE` → screened out (the IDC's
    #: 10 km: deeper than any nuclear test could be emplaced).
    depth_km: float = 10.0
    #: Slope of the mb:Ms line (dimensionless): Ms − slope·mb is tested (the IDC's 1.25).
    mbms_slope: float = 1.25
    #: Offset of the mb:Ms line (magnitude units): Ms − 1.25 mb above it → screened out
    #: (the IDC's −2.2).
    mbms_offset: float = -2.2
    #: Station scatter of mb (magnitude units, one standard deviation; the IDC's 0.34).
    sigma_mb: float = 0.34
    #: Station scatter of Ms (magnitude units, one standard deviation; the IDC's 0.23).
    sigma_ms: float = 0.23
    #: Fewest Ms stations (count) for the mb:Ms criterion (the IDC's 2).
    min_ms_stations: int = 2
    #: Fewest mb stations (count) behind the network mb of a screened event.
    min_mb_stations: int = 3
    #: Fewest stations (count) with a regional P/S ratio for the P/S criterion.
    min_ps_stations: int = 1
    #: Regional P/S operating point (dimensionless log10 of the distance-corrected network
    #: mean): 0, i.e. P as strong as S at high frequency. A double-couple source radiates
    #: S up to ~5× P (log10 ≈ −0.7), an explosion no S at the source; provisional until a
    #: regional earthquake population sets it (BENCHMARKS.md, Regional P/S).
    ps_threshold: float = 0.0
    #: Band (Hz) of the P/S criterion: high frequency separates explosions best.
    ps_band: tuple[float, float] = (6.0, 8.0)
    #: Phase pair (a name pair, P first) of the P/S criterion: Pn/Lg, chosen before the
    #: data were seen (BENCHMARKS.md, Regional P/S).
    ps_pair: tuple[str, str] = ("Pn", "Lg")
    #: Confidence (dimensionless, one-sided) of every test: the IDC's 97.5 %.
    confidence: float = CONFIDENCE

    @property
    def z(self) -> float:
        """Normal quantile of :attr:`confidence` (1.96 at 97.5 %)."""
        return float(stats.norm.ppf(self.confidence))


#: The IDC's lines and scatters.
IDC = ScreeningConfig()


@dataclass(frozen=True)
class Criterion:
    """The outcome of one criterion for one event, with its evidence."""

    criterion: str
    outcome: str
    reason: str
    value: float = math.nan
    uncertainty: float = math.nan
    threshold: float = math.nan
    nsta: int = -1

    @property
    def screened_out(self) -> bool:
        return self.outcome == SCREENED_OUT


def _f(x: float) -> str:
    return f"{x:.2f}"


def sigma_from_interval(half_interval: float, conf: float) -> float:
    """Standard deviation from a two-sided ``conf`` half-interval (CSS3.0 ``sdepth``)."""
    if not (half_interval > 0 and math.isfinite(half_interval)) or not 0 < conf < 1:
        return math.nan
    return half_interval / float(stats.norm.ppf(0.5 + conf / 2.0))


def magnitude_gate(
    mb: float | None,
    nb: int,
    config: ScreeningConfig,
    mblg: float | None = None,
    nlg: int = 0,
) -> str | None:
    """Why an event is too small or too poorly measured to be screened (None when it may).

    The size gate takes the network mb; an event seen only at regional distances (no mb,
    which is defined at 20–100°) is gated on its mb(Lg) instead (Nuttli's scale is tied
    to mb). mb(Lg) never enters the mb:Ms criterion, whose line is drawn for mb.
    """
    if mb is None or not math.isfinite(mb):
        if mblg is None or not math.isfinite(mblg):
            return "no network mb (nor mb(Lg))"
        mb, nb, name = mblg, nlg, "mb(Lg)"
    else:
        name = "mb"
    if mb < config.min_mb:
        return f"{name} {_f(mb)} below {config.min_mb} (screening applies to mb ≥ {config.min_mb})"
    if nb < config.min_mb_stations and name == "mb":
        return f"mb from {nb} station(s), fewer than {config.min_mb_stations}"
    return None


def depth_criterion(
    depth: float,
    sigma: float,
    dtype: str,
    ndp: int = 0,
    config: ScreeningConfig = IDC,
) -> Criterion:
    """Screened out when the depth exceeds the line at the one-sided confidence.

    ``sigma`` is the depth's standard deviation (km). A depth fixed by the location
    program or an analyst (CSS3.0 ``dtype`` r, g) was not resolved by the data: the
    criterion is then not assessed. A depth-phase depth (``d``) or a free depth (``f``)
    with its uncertainty is tested: ``depth − z·σ > line``.
    """
    line = config.depth_km
    if dtype in ("r", "g", "-") or not math.isfinite(depth):
        what = {"r": "fixed by the location program", "g": "fixed by the analyst"}.get(
            dtype, "not given"
        )
        return Criterion(
            "depth", NOT_ASSESSED,
            f"depth {what} (no depth phases or near stations resolve it)",
            depth, math.nan, line,
        )  # fmt: skip
    if not (math.isfinite(sigma) and sigma > 0):
        return Criterion("depth", NOT_ASSESSED, "free depth without an uncertainty", depth,
                         math.nan, line)  # fmt: skip
    basis = f"{ndp} depth phases" if dtype == "d" else "free depth"
    lower = depth - config.z * sigma
    if lower > line:
        return Criterion(
            "depth", SCREENED_OUT,
            f"{basis}: {_f(depth)} ± {_f(sigma)} km, lower {config.confidence:.1%} bound "
            f"{_f(lower)} km > {line:g} km",
            depth, sigma, line,
        )  # fmt: skip
    return Criterion(
        "depth", NOT_SCREENED_OUT,
        f"{basis}: {_f(depth)} ± {_f(sigma)} km, lower {config.confidence:.1%} bound "
        f"{_f(lower)} km ≤ {line:g} km",
        depth, sigma, line,
    )  # fmt: skip


def mbms_criterion(
    mb: float | None,
    nb: int,
    ms: float | None,
    ns: int,
    config: ScreeningConfig = IDC,
) -> Criterion:
    """Screened out when Ms − 1.25 mb lies above −2.2 at the one-sided confidence.

    The value is ``Ms − slope·mb``; its standard deviation combines the station scatters
    of the two network means, ``σ² = slope²σb²/Nb + σs²/Ns``; screened out when
    ``value − z·σ > offset``. Earthquakes radiate more long-period surface-wave energy
    for their body-wave size than explosions, so a high Ms for the mb is natural.
    """
    line = config.mbms_offset
    if ms is None or not math.isfinite(ms) or ns <= 0:
        return Criterion("mbms", NOT_ASSESSED, "no Ms measured", threshold=line, nsta=max(ns, 0))
    if ns < config.min_ms_stations:
        return Criterion(
            "mbms", NOT_ASSESSED,
            f"Ms from {ns} station(s), fewer than {config.min_ms_stations}",
            threshold=line, nsta=ns,
        )  # fmt: skip
    if mb is None or not math.isfinite(mb) or nb <= 0:
        return Criterion("mbms", NOT_ASSESSED, "no network mb (teleseismic P at 20–100°)",
                         threshold=line, nsta=ns)  # fmt: skip
    value = ms - config.mbms_slope * mb
    sigma = math.sqrt((config.mbms_slope * config.sigma_mb) ** 2 / nb + config.sigma_ms**2 / ns)
    lower = value - config.z * sigma
    text = (
        f"Ms {_f(ms)} ({ns} sta) − {config.mbms_slope:g}·mb {_f(mb)} ({nb} sta) = {_f(value)}"
        f" ± {_f(sigma)}; lower bound {_f(lower)}"
    )
    if lower > line:
        return Criterion("mbms", SCREENED_OUT, f"{text} > {line:g}", value, sigma, line, ns)
    return Criterion("mbms", NOT_SCREENED_OUT, f"{text} ≤ {line:g}", value, sigma, line, ns)


def ps_criterion(
    value: float | None,
    sigma: float | None,
    threshold: float | None,
    nsta: int,
    config: ScreeningConfig = IDC,
    missing: str = "no regional P/S ratio measured",
    bound: str = "",
) -> Criterion:
    """Screened out when the distance-corrected regional log P/S lies below the
    earthquake-side line at the one-sided confidence (explosions have high P/S).

    ``value`` is the network mean of the stations' corrected log10 P/S, ``sigma`` its
    standard deviation, ``threshold`` the operating point. ``bound`` "lower": S was under
    the noise everywhere, so ``value`` is a lower bound — on the explosion side when above
    the line, and saying nothing when below it.
    """
    if value is None or not math.isfinite(value) or nsta < config.min_ps_stations:
        return Criterion("ps", NOT_ASSESSED, missing, nsta=max(nsta, 0))
    if threshold is None or not math.isfinite(threshold):
        return Criterion("ps", NOT_ASSESSED, "no P/S operating point for these stations",
                         value, sigma or math.nan, nsta=nsta)  # fmt: skip
    s = sigma if sigma is not None and math.isfinite(sigma) and sigma > 0 else math.nan
    if bound == "lower":
        text = f"log10 P/S ≥ {_f(value)} ({nsta} sta; S under the noise)"
        if value >= threshold:
            return Criterion("ps", NOT_SCREENED_OUT, f"{text} ≥ {_f(threshold)}", value, s,
                             threshold, nsta)  # fmt: skip
        return Criterion("ps", NOT_ASSESSED, f"{text}: a lower bound under the line",
                         value, s, threshold, nsta)  # fmt: skip
    if not math.isfinite(s):
        return Criterion("ps", NOT_ASSESSED, "P/S without an uncertainty", value, s,
                         threshold, nsta)  # fmt: skip
    upper = value + config.z * s
    text = f"log10 P/S {_f(value)} ± {_f(s)} ({nsta} sta); upper bound {_f(upper)}"
    if upper < threshold:
        return Criterion("ps", SCREENED_OUT, f"{text} < {_f(threshold)} (earthquake side)",
                         value, s, threshold, nsta)  # fmt: skip
    return Criterion("ps", NOT_SCREENED_OUT, f"{text} ≥ {_f(threshold)}", value, s,
                     threshold, nsta)  # fmt: skip


def offshore_criterion(
    at_sea: bool,
    near_coast: bool,
    min_coast_km: float,
    hydroacoustic: bool | None = None,
    region: str = "error ellipse",
) -> Criterion:
    """Screened out when the whole error ellipse lies at sea and the hydroacoustic
    stations saw no explosion-like signal.

    ``at_sea``: every point of the ellipse is at sea and farther than the mask's
    tolerance from the coast (``near_coast`` otherwise); ``min_coast_km`` the ellipse's
    least distance to the coast. ``hydroacoustic``: True when an explosion-like
    hydroacoustic signal was seen, False when the hydroacoustic stations saw none, None
    when no hydroacoustic measurement exists.
    """
    if not at_sea:
        if region == "epicentre":
            where = "lies in the coast zone" if near_coast else "lies on land"
        else:
            where = "reaches the coast zone" if near_coast else "reaches land"
        return Criterion("offshore", NOT_SCREENED_OUT, f"{region} {where}",
                         min_coast_km, threshold=0.0)  # fmt: skip
    if hydroacoustic is None:
        return Criterion(
            "offshore", NOT_ASSESSED,
            f"{region} wholly at sea (≥ {min_coast_km:.0f} km from the coast) but no "
            "hydroacoustic measurement",
            min_coast_km, threshold=0.0,
        )  # fmt: skip
    if hydroacoustic:
        return Criterion("offshore", NOT_SCREENED_OUT,
                         f"{region} at sea with an explosion-like hydroacoustic signal",
                         min_coast_km, threshold=0.0)  # fmt: skip
    return Criterion(
        "offshore", SCREENED_OUT,
        f"{region} wholly at sea (≥ {min_coast_km:.0f} km from the coast), no explosion-like "
        "hydroacoustic signal",
        min_coast_km, threshold=0.0,
    )  # fmt: skip


def event_outcome(criteria: list[Criterion], gate: str | None) -> Criterion:
    """The event's outcome: screened out by any criterion; else not screened out when
    every criterion was assessed or at least one was, with the rest named."""
    if gate is not None:
        return Criterion("event", NOT_ASSESSED, gate)
    out = [c.criterion for c in criteria if c.screened_out]
    if out:
        return Criterion("event", SCREENED_OUT, "screened out by " + ", ".join(out))
    missing = [c.criterion for c in criteria if c.outcome == NOT_ASSESSED]
    done = [c.criterion for c in criteria if c.outcome == NOT_SCREENED_OUT]
    if not done:
        return Criterion("event", NOT_ASSESSED, "no criterion could be assessed")
    text = "not screened out by " + ", ".join(done)
    if missing:
        text += "; not assessed: " + ", ".join(missing)
    return Criterion("event", NOT_SCREENED_OUT, text)
