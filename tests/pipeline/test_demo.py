"""The demo run end to end on two simulated hours: every stage writes, and scores sanely."""

from __future__ import annotations

from pathlib import Path

from testban.io.css30 import read_csv
from testban.pipeline import run_demo


def test_demo_two_hours(tmp_path: Path):
    s = run_demo(tmp_path, seed=3, hours=2.0)
    for name in (
        "simulation/arrival.csv", "run-report.txt", "bulletin/origin.csv",
        "bulletin/bulletin.ims", "automatic/origin.csv", "automatic/bulletin.ims",
    ):  # fmt: skip
        assert (tmp_path / name).is_file(), name
    assert s.false_fraction > 0.5
    # The declared mb 4.8 explosion is seen widely, located near the truth and sized.
    assert s.explosion_stations >= 20
    assert s.explosion_error_km < 25.0
    assert abs(s.explosion_mb - 4.8) < 0.4
    # Station processing finds real arrivals in the simulated waveforms.
    assert s.detections_matched >= 1
    origins = read_csv(tmp_path / "bulletin" / "origin.csv")
    assert len(origins) == s.located and any(o.mb > 0 for o in origins)
    # The associator finds the declared explosion among the (mostly false) detections.
    assert s.explosion_found
    assert s.auto_events >= 1 and s.auto_precision > 0.5
