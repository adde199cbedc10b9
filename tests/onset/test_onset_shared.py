"""Onset figures on the real data (skipped when ../shared/data is absent); a few seconds."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import shared_path


@pytest.mark.shared
def test_analyst_picks_figure() -> None:
    from bench.onset_picks import run

    res = run(shared_path("picks", "waveform_train"), seed=0, trigger="standin")
    tb, ar = res["tb"], res["ar"]
    assert res["windows"] == 154
    assert res["trigger_fail_pct"] <= 10.0
    # all windows, trigger failures counted as misses (BENCHMARKS.md, issue 3)
    # the stand-in trigger (86 / 92 / 87 % before the look-back stage, 84 / 92 / 86 % with
    # it: on its late, noise-led triggers the look-back fixes 2 picks and moves 3 early)
    assert tb["P<=0.1"] >= 83.5
    assert tb["P<=0.5"] >= 91.5
    assert tb["S<=0.5"] >= 85.5
    assert tb["P<=0.1"] > ar["P<=0.1"]


@pytest.mark.shared
def test_analyst_picks_end_to_end_detector_trigger() -> None:
    """The same crops triggered by testban's own detector (filter bank + STA/LTA):
    the honest end-to-end figure, P chosen among the triggers by
    :func:`~testban.onset.first_arrival` (86 % / 93 % / 88 % when written, 88 / 95 / 89
    with the look-back stage and the dead-time search; issue 3 asks for 85 / 95 / 90)."""
    from bench.onset_picks import run

    res = run(shared_path("picks", "waveform_train"), seed=0, trigger="detector")
    tb, ar = res["tb"], res["ar"]
    assert res["trigger_fail_pct"] <= 5.5
    assert tb["P<=0.1"] >= 87.5
    assert tb["P<=0.5"] >= 94.5
    assert tb["S<=0.5"] >= 88.5
    assert tb["P<=0.1"] > ar["P<=0.1"]


@pytest.mark.shared
def test_dprk_mdj_pn_onsets() -> None:
    from bench.onset_dprk import run

    rows, ref = run(shared_path("dprk_regional"))
    err = [
        abs(r["tb"] - (ref[r["event"]] - r["origin"]))
        for r in rows
        if r["station"] == "IC.MDJ.00" and r["event"] in ref
    ]
    assert len(err) == 4
    assert np.median(err) <= 0.15
