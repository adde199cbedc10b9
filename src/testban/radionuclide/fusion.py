"""First fusion of the two technologies: are a waveform event and xenon samples compatible?

Given an event (origin time, epicentre) and noble-gas samples, each sample's isotopic
ratios are compared with the explosion model of :mod:`testban.radionuclide.xenon_clock`
*at the sample's own age under the event* (collection midpoint − origin time), for every
release delay d from 0 to that age: xenon made at the origin time, kept with its iodine
precursors until d (in-growth), then released alone (delayed venting, e.g. the 2013 DPRK
xenon seen ~55 days later). A delay is allowed when every usable ratio of the sample
agrees with the model within ``nsigma`` (ratio σ and model σ in log space; a bound need
only not be violated). The verdict:

- ``consistent``: some delays are allowed (listed, in days);
- ``inconsistent``: no delay reproduces the ratios (the clocks tell how old the xenon
  looks instead), or the sample was collected before the event;
- ``not assessable``: no ratio (fewer than two isotopes detected, or bounds only on both
  sides).

Atmospheric transport (whether air from the site can reach the station in the time
left) is not judged here: the distance is reported as evidence only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from testban.radionuclide.xenon import RATIOS, Ratio, XenonSample, sample_ratio
from testban.radionuclide.xenon_clock import DAY, Clock, _sigma_log, model_ratio, ratio_clock


@dataclass(frozen=True)
class Event:
    """A waveform event: origin time (epoch s) and epicentre (°)."""

    time: float
    lat: float
    lon: float


@dataclass(frozen=True)
class SampleVerdict:
    """One sample against the event: verdict, why, and the evidence behind it."""

    sample_id: str
    station: str
    verdict: str
    reason: str
    age_days: float  # collection midpoint − origin time
    distance_km: float
    ratios: tuple[Ratio, ...] = ()
    clocks: tuple[Clock, ...] = ()
    #: Allowed release delays (days after the origin), as [start, end] intervals.
    delays: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class FusionVerdict:
    """The event against all its samples."""

    verdict: str
    reason: str
    samples: tuple[SampleVerdict, ...] = field(default_factory=tuple)


def _distance_km(event: Event, s: XenonSample) -> float:
    if not (math.isfinite(s.lat) and math.isfinite(s.lon)):
        return math.nan
    from testban.traveltime import distance_azimuth

    delta, _, _ = distance_azimuth(event.lat, event.lon, s.lat, s.lon)
    return float(delta) * 111.19


def _intervals(days: np.ndarray, ok: np.ndarray, step: float) -> tuple[tuple[float, float], ...]:
    out: list[tuple[float, float]] = []
    for d, good in zip(days, ok, strict=True):
        if not good:
            continue
        if out and d - out[-1][1] <= step * 1.5:
            out[-1] = (out[-1][0], float(d))
        else:
            out.append((float(d), float(d)))
    return tuple(out)


def assess_sample(
    event: Event, sample: XenonSample, nsigma: float = 2.0, n_delays: int = 400
) -> SampleVerdict:
    """The verdict for one sample (see the module docstring)."""
    age = (sample.collect_mid - event.time) / DAY
    dist = _distance_km(event, sample)
    ratios = tuple(sample_ratio(sample, a, b) for a, b in RATIOS)
    usable = [r for r in ratios if r.kind != "none"]
    clocks = tuple(ratio_clock(r) for r in usable)

    def verdict(v: str, why: str, delays: tuple = ()) -> SampleVerdict:
        return SampleVerdict(sample.sample_id, sample.station, v, why, age, dist, ratios,
                             clocks, delays)  # fmt: skip

    if sample.collect_stop <= event.time:
        return verdict("inconsistent", "collected before the origin time")
    if not usable:
        detected = [i for i, r in sample.results.items() if r.detected]
        why = (f"only {', '.join(detected)} detected: no isotopic ratio" if detected
               else "no isotope results in the sample" if not sample.results
               else "no xenon isotope detected")  # fmt: skip
        return verdict("not assessable", why)
    t_age = age * DAY
    days = np.linspace(0.0, age, n_delays)
    ok = np.ones(days.size, bool)
    informative = False
    for r in usable:
        model = np.array([float(model_ratio(r.num, r.den, t_age, d * DAY)[0]) for d in days])
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (np.log10(model) - math.log10(r.value)) / _sigma_log(r)
        z = np.where(np.isfinite(z), z, -np.inf)  # a zero model ratio is below any value
        if r.kind == "value":
            good = np.abs(z) <= nsigma
        elif r.kind == "upper":
            good = z <= nsigma
        else:
            good = z >= -nsigma
        informative |= not bool(np.all(good))
        ok &= good
    delays = _intervals(days, ok, days[1] - days[0] if days.size > 1 else 1.0)
    ages = "; ".join(
        f"{c.ratio} clock {c.kind} {c.age_days:.1f} ± {c.sigma_days:.1f} d" if c.kind != "none"
        else f"{c.ratio} clock: {c.reason}"
        for c in clocks
    )  # fmt: skip
    if not delays:
        return verdict(
            "inconsistent",
            f"no release delay 0–{age:.1f} d reproduces the ratios within {nsigma:g}σ "
            f"({ages}; sample is {age:.1f} d after the origin)",
        )
    span = ", ".join(f"{a:.1f}–{b:.1f} d" for a, b in delays)
    weak = "" if informative else " (bounds only: every delay allowed)"
    return verdict(
        "consistent",
        f"release delays {span} after the origin reproduce the ratios{weak} ({ages})",
        delays,
    )


def assess(event: Event, samples: Sequence[XenonSample], nsigma: float = 2.0) -> FusionVerdict:
    """The event against its samples: consistent if any assessable sample is and none is
    inconsistent; inconsistent if every assessable sample is; otherwise said which."""
    verdicts = tuple(assess_sample(event, s, nsigma) for s in samples)
    n = {k: sum(v.verdict == k for v in verdicts)
         for k in ("consistent", "inconsistent", "not assessable")}  # fmt: skip
    if not verdicts or n["consistent"] + n["inconsistent"] == 0:
        why = "; ".join(f"{v.sample_id}: {v.reason}" for v in verdicts) or "no samples"
        return FusionVerdict("not assessable", why, verdicts)
    if n["inconsistent"] == 0:
        return FusionVerdict(
            "consistent", f"{n['consistent']} sample(s) consistent, none inconsistent", verdicts
        )
    if n["consistent"] == 0:
        return FusionVerdict(
            "inconsistent", f"all {n['inconsistent']} assessable sample(s) inconsistent", verdicts
        )
    return FusionVerdict(
        "mixed",
        f"{n['consistent']} sample(s) consistent, {n['inconsistent']} inconsistent "
        "(other sources, or several releases)",
        verdicts,
    )
