"""`testban xenon`: ratios, diagram, clocks and the fusion verdict from a samples CSV."""

from __future__ import annotations

import csv

from typer.testing import CliRunner

from testban.cli import app

runner = CliRunner()

CSV = """sample_id,station,collect_start,collect_stop,isotope,conc,conc_err,mdc,lat,lon
A,JPX38,2013-03-01T00:00:00,2013-03-02T00:00:00,Xe-133,1.0,0.05,0.1,36.3,139.08
A,JPX38,2013-03-01T00:00:00,2013-03-02T00:00:00,Xe-131m,0.03,0.003,0.05,36.3,139.08
B,JPX38,2013-03-02T00:00:00,2013-03-03T00:00:00,Xe-133,0.5,0.05,0.1,36.3,139.08
B,JPX38,2013-03-02T00:00:00,2013-03-03T00:00:00,Xe-999,0.5,0.05,0.1,36.3,139.08
"""


def test_xenon_command_writes_ratios_and_diagram(tmp_path):
    src = tmp_path / "s.csv"
    src.write_text(CSV)
    res = runner.invoke(app, ["xenon", str(src), "--out", str(tmp_path / "o"),
                              "--event", "2013-02-12T02:57:51,41.29,129.08"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "fusion:" in res.output and "Xe-999" in res.output  # the bad row is reported
    rows = list(csv.DictReader((tmp_path / "o" / "xenon_ratios.csv").open()))
    a = [r for r in rows if r["sample_id"] == "A" and r["ratio"] == "Xe-131m/Xe-133"]
    assert a and float(a[0]["value"]) == 0.03 and a[0]["clock_kind"] == "value"
    assert (tmp_path / "o" / "kalinowski.svg").read_text().startswith("<svg")


def test_xenon_command_bad_event_is_a_usage_error(tmp_path):
    src = tmp_path / "s.csv"
    src.write_text(CSV)
    res = runner.invoke(app, ["xenon", str(src), "--event", "yesterday"])
    assert res.exit_code == 2
