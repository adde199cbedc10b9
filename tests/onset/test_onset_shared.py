"""Onset figures on the real data (skipped when ../shared/data is absent); a few seconds.

Thresholds are issue 3's goals, never figures copied from a run (issue 10): analyst
picks P ≤ 0.1 s for ≥ 85 %, P ≤ 0.5 s for ≥ 95 %, S ≤ 0.5 s for ≥ 90 %; DPRK MDJ median
|error| ≤ 0.15 s; the 2017 collapse's first P within 1 s of origin + 53.3 s. Measured
figures and the held-out split are in BENCHMARKS.md, "Honest thresholds and held-out
figures".
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tests.conftest import shared_path

# Issue 3's goals for the 154 analyst-picked windows (percent of windows).
GOAL_P01, GOAL_P05, GOAL_S05 = 85.0, 95.0, 90.0


@functools.cache
def _picks(trigger: str) -> dict:
    from bench.onset_picks import run

    return run(shared_path("picks", "waveform_train"), seed=0, trigger=trigger)


@functools.cache
def _dprk() -> tuple[list[dict], dict]:
    from bench.onset_dprk import run

    return run(shared_path("dprk_regional"))


@pytest.mark.shared
def test_analyst_picks_end_to_end_detector_trigger() -> None:
    """The crops triggered by testban's own detector (filter bank + STA/LTA), P chosen
    among the triggers by :func:`~testban.onset.first_arrival`: issue 3's goals. Seed 0
    is the benchmark's crop seed, fixed before these goals were checked (seed 1 gives
    P ≤ 0.5 s one window short of 95 %: BENCHMARKS.md)."""
    res = _picks("detector")
    tb = res["tb"]
    assert res["windows"] == 154
    assert tb["P<=0.1"] >= GOAL_P01
    assert tb["P<=0.5"] >= GOAL_P05
    assert tb["S<=0.5"] >= GOAL_S05
    # A trigger failure is a P miss at every tolerance, so P ≤ 0.5 s for ≥ 95 % implies
    # at most 100 − 95 = 5 % of windows without a usable trigger.
    assert res["trigger_fail_pct"] <= 100.0 - GOAL_P05


@pytest.mark.shared
def test_analyst_picks_beat_ar_pick_on_the_same_crops() -> None:
    """Issue 3 asks for ObsPy's ``ar_pick`` in the same benchmark: testban's pipeline
    must be ahead of it on the same crops (a comparison, no copied figure), with its own
    trigger and with the earlier ObsPy STA/LTA stand-in trigger."""
    for trigger in ("detector", "standin"):
        tb, ar = _picks(trigger)["tb"], _picks(trigger)["ar"]
        assert tb["P<=0.1"] > ar["P<=0.1"], trigger
        assert tb["P<=0.5"] > ar["P<=0.5"], trigger
        assert tb["S<=0.5"] > ar["S<=0.5"], trigger


@pytest.mark.shared
@pytest.mark.xfail(
    strict=True,
    reason="issue 3 goals 85/95/90 %; with the stand-in STA/LTA trigger measured 84/92/86 % "
    "(BENCHMARKS.md, Station processing; the product uses the detector trigger)",
)
def test_analyst_picks_with_the_standin_trigger_meet_the_goal() -> None:
    tb = _picks("standin")["tb"]
    assert tb["P<=0.1"] >= GOAL_P01
    assert tb["P<=0.5"] >= GOAL_P05
    assert tb["S<=0.5"] >= GOAL_S05


@pytest.mark.shared
def test_dprk_mdj_pn_onsets() -> None:
    rows, ref = _dprk()
    err = [
        abs(r["tb"] - (ref[r["event"]] - r["origin"]))
        for r in rows
        if r["station"] == "IC.MDJ.00" and r["event"] in ref
    ]
    assert len(err) == 4
    assert np.median(err) <= 0.15  # issue 3's goal (plain ObsPy chain: 0.20 s)


@pytest.mark.shared
@pytest.mark.xfail(
    strict=True,
    reason="issue 3 goal: collapse P within 1 s of origin + 53.3 s; measured +1.30 s "
    "(BENCHMARKS.md, Station processing)",
)
def test_dprk_collapse_first_p_at_mdj() -> None:
    from bench.onset_dprk import COLLAPSE_MDJ_TT

    rows, _ = _dprk()
    (row,) = [r for r in rows if r["station"] == "IC.MDJ.00" and r["event"] == "collapse"]
    assert row["tb"] is not None and abs(row["tb"] - COLLAPSE_MDJ_TT) <= 1.0
