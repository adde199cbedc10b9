"""The ratio clock and the first fusion verdict."""

from __future__ import annotations

import math

import numpy as np
import pytest

from testban.radionuclide import xenon_clock as xc
from testban.radionuclide.fusion import Event, assess, assess_sample
from testban.radionuclide.xenon import Ratio, XenonResult, XenonSample, decay_constant
from testban.radionuclide.xenon_published import published_xenon

DAY = 86400.0


def test_cumulative_clock_recovers_analytic_decay_exactly():
    """R(t) = R0·exp(−(λa − λb)t): the clock returns t, and σ_t = σ_lnR/|λa − λb|."""
    r0 = float(xc.model_ratio("Xe-131m", "Xe-133", 0.0, kind="cumulative")[0])
    dl = decay_constant("Xe-131m") - decay_constant("Xe-133")
    for days in (1.0, 10.0, 55.0, 120.0):
        t = days * DAY
        r = r0 * math.exp(-dl * t)
        assert float(xc.model_ratio("Xe-131m", "Xe-133", t, kind="cumulative")[0]) == (
            pytest.approx(r, rel=1e-12)
        )
        c = xc.ratio_clock(Ratio("Xe-131m", "Xe-133", r, 0.1 * r, "value"), kind="cumulative")
        assert c.kind == "value" and c.age == pytest.approx(t, rel=1e-12)
        assert c.sigma == pytest.approx(math.hypot(0.1, xc.MODEL_REL_SIGMA) / abs(dl), rel=1e-9)


def test_cumulative_yields_are_the_tabulated_ones():
    cum = dict(zip(xc.NUCLIDES, xc.decay_chain().cumulative(xc.initial_atoms()), strict=True))
    assert cum["Xe-133"] == pytest.approx(0.0670, rel=0.01)
    assert cum["Xe-135"] == pytest.approx(0.0654, rel=0.01)
    assert cum["Xe-133m"] == pytest.approx(0.00189, rel=0.05)


def test_ingrowth_model_is_bateman():
    """Parent → daughter in-growth against the two-member Bateman formula (I-131 → Xe-131m)."""
    t = np.array([0.5, 3.0, 20.0]) * DAY
    a = xc.activities(t)
    l1, l2 = decay_constant("I-131"), decay_constant("Xe-131m")
    b = 0.011759  # radioactivedecay's I-131 → Xe-131m branch
    n1 = 0.0289
    n2 = b * n1 * l1 / (l2 - l1) * (np.exp(-l1 * t) - np.exp(-l2 * t))
    assert a["Xe-131m"] == pytest.approx(l2 * n2, rel=1e-3)


@pytest.mark.parametrize(
    "num,den,days",
    [
        ("Xe-131m", "Xe-133", 2.0),
        ("Xe-131m", "Xe-133", 55.0),
        ("Xe-135", "Xe-133", 1.5),
        ("Xe-133m", "Xe-131m", 7.0),
    ],
)
def test_ingrowth_clock_inverts_the_model(num, den, days):
    r = float(xc.model_ratio(num, den, days * DAY)[0])
    c = xc.ratio_clock(Ratio(num, den, r, 0.05 * r, "value"))
    assert c.kind == "value" and c.age_days == pytest.approx(days, rel=1e-3)
    assert 0 < c.sigma_days < days


def test_bounds_give_age_bounds_and_out_of_range_is_said():
    r = float(xc.model_ratio("Xe-131m", "Xe-133", 30 * DAY)[0])
    c = xc.ratio_clock(Ratio("Xe-131m", "Xe-133", r, 0.0, "lower"))  # ratio grows with age
    assert c.kind == "at least" and c.age_days == pytest.approx(30.0, rel=1e-3)
    c = xc.ratio_clock(Ratio("Xe-135", "Xe-133", 1.0, 0.0, "lower"))  # ratio falls with age
    assert c.kind == "at most"
    c = xc.ratio_clock(Ratio("Xe-133m", "Xe-133", 10.0, 1.0, "value"))
    assert c.kind == "none" and "outside" in c.reason


def _sample(t0: float, conc: dict[str, tuple[float, float] | None]) -> XenonSample:
    res = {}
    for iso, v in conc.items():
        res[iso] = (XenonResult(iso, v[0], v[1], v[1] / 2, True) if v is not None
                    else XenonResult(iso, math.nan, 0.0, 0.1, False))  # fmt: skip
    return XenonSample("S", "STA", t0, t0 + DAY, res, 36.3, 139.08)


EVENT = Event(1_360_637_871.0, 41.29, 129.08)  # 2013-02-12 02:57:51 UTC, Punggye-ri


def test_fusion_consistent_with_a_delayed_release():
    start = EVENT.time + 30 * DAY
    age, delay = 30.5 * DAY, 10 * DAY
    a = xc.activities(age, release=delay)
    s = _sample(start, {"Xe-133": (1.0, 0.05), "Xe-131m": (float(a["Xe-131m"][0] / a["Xe-133"][0]),
                                                        0.01)})  # fmt: skip
    v = assess_sample(EVENT, s)
    assert v.verdict == "consistent"
    assert any(lo <= 10.0 <= hi for lo, hi in v.delays)
    assert v.distance_km == pytest.approx(1030, abs=60)
    assert assess(EVENT, [s]).verdict == "consistent"


def test_fusion_inconsistent_when_the_xenon_is_too_old_or_too_early():
    start = EVENT.time + 10 * DAY
    old = float(xc.model_ratio("Xe-131m", "Xe-133", 60 * DAY)[0])  # looks 60 days old
    s = _sample(start, {"Xe-133": (1.0, 0.05), "Xe-131m": (old, 0.05 * old)})
    v = assess_sample(EVENT, s)
    assert v.verdict == "inconsistent" and "no release delay" in v.reason
    early = _sample(EVENT.time - 2 * DAY, {"Xe-133": (1.0, 0.05), "Xe-131m": (0.1, 0.01)})
    assert assess_sample(EVENT, early).verdict == "inconsistent"
    assert assess(EVENT, [s, early]).verdict == "inconsistent"


def test_fusion_not_assessable_with_one_isotope():
    s = _sample(EVENT.time + 5 * DAY, {"Xe-133": (1.0, 0.1), "Xe-131m": None})
    v = assess_sample(EVENT, s)
    # a lower bound on Xe-133/Xe-131m is usable; with Xe-133 alone nothing is
    only = _sample(EVENT.time + 5 * DAY, {"Xe-133": (1.0, 0.1)})
    assert assess_sample(EVENT, only).verdict == "not assessable"
    assert "only Xe-133" in assess_sample(EVENT, only).reason
    assert v.verdict in ("consistent", "inconsistent")
    assert assess(EVENT, [only]).verdict == "not assessable"


def test_published_data_loads_without_problems():
    rows, problems = published_xenon()
    assert problems == []
    ids = {r.id for r in rows}
    assert {"takasaki_2013", "beijing_fukushima_2011"} <= ids
    tak = next(r for r in rows if r.id == "takasaki_2013")
    assert tak.age_min_days == 50 and (tak.time_mid - tak.event_time) / DAY == pytest.approx(
        55.4, abs=0.6
    )


@pytest.mark.xfail(strict=True, reason="Takasaki 2013 concentrations (Ringbom et al. 2014) not "
                   "carried: not recalled exactly; see BENCHMARKS.md, Xenon")  # fmt: skip
def test_takasaki_2013_ratio_is_carried_and_consistent():
    rows, _ = published_xenon()
    tak = next(r for r in rows if r.id == "takasaki_2013")
    assert tak.ratio.kind == "value"
