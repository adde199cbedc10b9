"""Xenon: the Kalinowski diagram, the ratio clock and the first fusion on published cases.

    PYTHONPATH=src .venv/bin/python bench/xenon.py [--out DIR]

1. The four-isotope diagram: which side of log y = 4.4388 log x − 6 the model sources
   fall on — the explosion model (U-235 instantaneous fission, full in-growth, or xenon
   vented within an hour) at 0.25–8 days, a power reactor (1 year at constant power,
   with and without Xe-135 burn-up, 0–10 days after shutdown) and isotope production
   (5 and 7 days of irradiation, xenon released at processing 0.5–1 day later).
2. The published cases of ``data/xenon_published.csv``: the Beijing Xe-133/Xe-131m ratio
   after Fukushima (measured) through the clock and the fusion against the earthquake
   time; the Takasaki 2013 detections against the DPRK test of 2013-02-12: which release
   delays make the ratio read "more than 50 days" (the CTBTO's statement), and the
   fusion verdict on the samples as carried.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from testban.radionuclide import xenon_clock as xc
from testban.radionuclide.fusion import Event, assess, assess_sample
from testban.radionuclide.xenon import (
    KALINOWSKI_SLOPE,
    Ratio,
    XenonResult,
    XenonSample,
    diagram_svg,
)
from testban.radionuclide.xenon_published import published_xenon

DAY = xc.DAY


def _margin(a: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, y = a["Xe-133m"] / a["Xe-131m"], a["Xe-135"] / a["Xe-133"]
    return x, y, KALINOWSKI_SLOPE * np.log10(x) - 6.0 - np.log10(y)


def diagram(out: Path | None) -> None:
    print("## 1. Four-isotope diagram: model sources against the Kalinowski (2010) line")
    print("(margin = 4.4388 log x − 6 − log y; > 0 explosion side = right of / below the line)")
    t_ex = np.array([0.25, 0.5, 1, 2, 3, 5, 8])
    scenarios = [
        ("explosion, full in-growth", "explosion", t_ex, xc.activities(t_ex * DAY)),
        ("explosion, vented at 1 h", "explosion", t_ex, xc.activities(t_ex * DAY, 3600.0)),
        ("reactor 1 y, no burn-up", "civil", np.array([0, 1, 3, 10.0]),
         xc.irradiation_activities(365 * DAY, np.array([0, 1, 3, 10.0]) * DAY)),
        ("reactor 1 y, burn-up σφ = 8e-5/s", "civil", np.array([0, 1, 3, 10.0]),
         xc.irradiation_activities(365 * DAY, np.array([0, 1, 3, 10.0]) * DAY, burnup=8e-5)),
        ("isotope production 5 d, release 1 d", "civil", np.array([1, 1.5, 2, 3.0]),
         xc.irradiation_activities(5 * DAY, np.array([1, 1.5, 2, 3.0]) * DAY, DAY)),
        ("isotope production 7 d, release 0.5 d", "civil", np.array([0.5, 1, 2, 3.0]),
         xc.irradiation_activities(7 * DAY, np.array([0.5, 1, 2, 3.0]) * DAY, 0.5 * DAY)),
    ]  # fmt: skip
    points, curves = [], []
    print(f"{'scenario':40s} {'days':>5s} {'133m/131m':>10s} {'135/133':>10s} {'margin':>7s}")
    tally: dict[str, list[int]] = {"explosion": [0, 0], "civil": [0, 0]}
    for name, truth, days, act in scenarios:
        x, y, m = _margin(act)
        for d, xi, yi, mi in zip(days, x, y, m, strict=True):
            side = "explosion-like" if mi > 0 else "civil"
            print(f"{name:40s} {d:5.2f} {xi:10.3g} {yi:10.3g} {mi:+7.2f}  {side}")
            points.append((f"{name}, {d:g} d", xi, yi, side))
            tally[truth][0] += (side == "explosion-like") == (truth == "explosion")
            tally[truth][1] += 1
        curves.append((name, list(zip(x, y, strict=True))))
    for truth, (ok, n) in tally.items():
        print(f"  {truth} model points on their side: {ok}/{n}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "kalinowski_models.svg").write_text(diagram_svg(points, curves=curves))
        print(f"  wrote {out / 'kalinowski_models.svg'}")


def _ratio_sample(pid: str, station: str, t0: float, t1: float, r: Ratio, lat, lon):
    """A sample carrying exactly the published ratio (num = value ± σ, den = 1)."""
    res = {
        r.num: XenonResult(r.num, r.value, r.sigma, math.nan, True),
        r.den: XenonResult(r.den, 1.0, 0.0, math.nan, True),
    }
    return XenonSample(pid, station, t0, t1, res, lat, lon)


def published() -> None:
    rows, problems = published_xenon()
    for p in problems:
        print("problem:", p)
    by = {r.id: r for r in rows}
    print("\n## 2a. Beijing, April 2011 (Fukushima Daiichi; Zhou et al. 2013): measured ratio")
    b = by["beijing_fukushima_2011"]
    age = (b.time_mid - b.event_time) / DAY
    inv = Ratio(b.ratio.den, b.ratio.num, 1 / b.ratio.value,
                b.ratio.sigma / b.ratio.value**2, "value")  # fmt: skip
    print(f"  Xe-131m/Xe-133 = {inv.value:.3f} ± {inv.sigma:.3f}; "
          f"{age:.1f} d after the reactor shutdown")  # fmt: skip
    for kind in ("ingrowth", "cumulative"):
        c = xc.ratio_clock(inv, kind=kind)
        print(f"  clock ({kind:10s}): {c.age_days:.1f} ± {c.sigma_days:.1f} d since fission")
    s = _ratio_sample(b.id, b.station, b.time_start, b.time_stop, b.ratio, b.lat, b.lon)
    v = assess_sample(Event(b.event_time, 37.42, 141.03), s)
    print(f"  fusion against 2011-03-11 05:46 as if an explosion: {v.verdict} — {v.reason}")

    print("\n## 2b. Takasaki, 8–9 April 2013, against the DPRK test of 2013-02-12 02:57:51")
    t = by["takasaki_2013"]
    age_s = t.time_mid - t.event_time
    print(f"  collection midpoint {age_s / DAY:.1f} d after the origin (CTBTO: 55 d)")
    print(f"  {'release delay (d)':>18s} {'Xe-131m/Xe-133':>15s} {'clock reads (d)':>16s}")
    delays = np.array([1 / 24, 1, 7, 14, 21, 28, 35, 42, 49, 56, age_s / DAY])
    reads = []
    for d in delays:
        rv = float(xc.model_ratio("Xe-131m", "Xe-133", age_s, min(d * DAY, age_s))[0])
        c = xc.ratio_clock(Ratio("Xe-131m", "Xe-133", rv, 0.0, "value"))
        reads.append(c.age_days)
        print(f"  {d:18.2f} {rv:15.4f} {c.age_days:16.1f}")
    fine = np.linspace(0, age_s / DAY, 2000)
    ok = [xc.ratio_clock(Ratio("Xe-131m", "Xe-133", float(
        xc.model_ratio("Xe-131m", "Xe-133", age_s, d * DAY)[0]), 0.0, "value")).age_days
        >= t.age_min_days for d in fine[::20]]  # fmt: skip
    first = next((d for d, good in zip(fine[::20], ok, strict=True) if good), math.nan)
    print(f"  the clock reads > {t.age_min_days:g} d (CTBTO statement) for release delays "
          f">= {first:.1f} d after the test")  # fmt: skip
    rel = by["takasaki_2013_release"]
    print(f"  Ringbom et al. 2014: released {rel.delay_min_days:g}–{rel.delay_max_days:g} d "
          f"after the test -> {'consistent' if rel.delay_min_days >= first else 'not consistent'}"
          " with the statement under this model")  # fmt: skip
    verdict = (
        "consistent" if age_s / DAY >= t.age_min_days else "inconsistent"
    )  # the statement's age bound against the origin
    print(f"  published clock (> {t.age_min_days:g} d) vs {age_s / DAY:.1f} d since the "
          f"origin: {verdict}")  # fmt: skip
    sample = XenonSample(t.id, t.station, t.time_start, t.time_stop, {}, t.lat, t.lon)
    fv = assess(Event(t.event_time, 41.29, 129.08), [sample])
    print(f"  fusion on the samples as carried: {fv.verdict} — {fv.reason}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="write the diagram SVG here")
    args = ap.parse_args()
    diagram(args.out)
    published()


if __name__ == "__main__":
    main()
