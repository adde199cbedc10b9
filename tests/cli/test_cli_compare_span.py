"""`testban compare --start/--end`: match on everything, score one part."""

from __future__ import annotations

from obspy import UTCDateTime
from typer.testing import CliRunner

from testban.cli import app
from testban.io.css30 import write_csv
from tests.bulletin.synthetic import synthetic_bulletin

runner = CliRunner()


def _folder(tmp_path, t0):
    folder = tmp_path / "b"
    for name, rows in synthetic_bulletin(3, t0=t0).items():
        write_csv(rows, folder / f"{name}.csv", table=name)
    return folder


def test_span_scores_only_the_events_inside(tmp_path):
    t0 = float(UTCDateTime("2024-03-01"))
    b = _folder(tmp_path, t0)
    origins = sorted(o.time for o in synthetic_bulletin(3, t0=t0)["origin"])
    mid = UTCDateTime((origins[0] + origins[1]) / 2)
    whole = runner.invoke(app, ["compare", str(b), str(b)])
    part = runner.invoke(app, ["compare", str(b), str(b), "--start", str(mid)])
    assert whole.exit_code == 0 and part.exit_code == 0, part.output
    assert whole.output.startswith("events 3, reference 3")
    assert part.output.startswith("events 2, reference 2")


def test_bad_span_time_is_a_usage_error(tmp_path):
    b = _folder(tmp_path, float(UTCDateTime("2024-03-01")))
    result = runner.invoke(app, ["compare", str(b), str(b), "--start", "yesterday-ish"])
    assert result.exit_code == 2
