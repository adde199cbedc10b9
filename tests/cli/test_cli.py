"""The command line: each command runs end to end on small generated inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from testban.cli import app
from testban.io.css30 import write_tables
from testban.records import Arrival, Origin
from tests.conftest import shared_path

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and "testban" in result.output


def test_info_on_css30_tables_and_a_missing_path(tmp_path: Path):
    write_tables(
        {"arrival": [Arrival(sta="AA01", time=1.0, arid=1)], "origin": [Origin(orid=1)]},
        tmp_path / "bulletin",
    )
    result = runner.invoke(app, ["info", str(tmp_path / "bulletin"), str(tmp_path / "nothing")])
    assert result.exit_code == 0, result.output
    assert "arrival 1" in result.output and "origin 1" in result.output
    assert "no such file or directory" in result.output


def test_info_lists_unrecognised_files(tmp_path: Path):
    (tmp_path / "notes.dat").write_text("not seismology\n")
    result = runner.invoke(app, ["info", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "not recognised" in result.output and "notes.dat" in result.output


@pytest.mark.shared
@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("arrays/cmar_20050511", "5688 traces"),
        ("arrays/yka_20120814", "1 arrays (YKA)"),  # grouped from FDSN StationXML
        ("arrays/grf_19911217", "1 events"),
        ("arrays/arces_20100122", "25 traces"),
        ("continuous", "IU_ULN.xml: 1 stations"),
        ("dprk_regional", "76 traces"),
        ("infrasound", "46 traces"),
        ("idc_ueb_2010140", "arrival 196"),
        ("stations", "CMAR.geom: 19 stations, 1 arrays"),
        ("formats", "ipe202409sel_ims.txt: 3 events"),
    ],
)
def test_info_reads_every_shared_folder(folder: str, expected: str):
    path = shared_path(*folder.split("/"))
    result = runner.invoke(app, ["info", str(path)], terminal_width=400)
    assert result.exit_code == 0, result.output
    assert expected in result.output
    assert "Traceback" not in result.output


@pytest.mark.shared
def test_info_reports_the_missing_wfdisc_data_files_and_goes_on():
    result = runner.invoke(
        app, ["info", str(shared_path("continuous", "mlr_20100520"))], terminal_width=400
    )
    assert result.exit_code == 0
    assert "data file SIV0.w not found: 30 rows skipped" in result.output
    assert "9 traces" in result.output  # MLR0.w is there and is read


def test_simulate_detect_locate_chain(tmp_path: Path):
    sim, det, loc = tmp_path / "sim", tmp_path / "det", tmp_path / "loc"
    result = runner.invoke(
        app,
        ["simulate", "--out", str(sim), "--hours", "1", "--seed", "4",
         "--explosion", "punggye-ri@0.5:5.0", "--waveforms", "ZAAR"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (sim / "arrival.csv").is_file() and any((sim / "waveforms").glob("*.mseed"))
    result = runner.invoke(
        app, ["detect", str(sim / "waveforms"), "--stations", str(sim), "--out", str(det)]
    )
    assert result.exit_code == 0, result.output
    assert "detections at" in result.output and (det / "arrival.csv").is_file()
    result = runner.invoke(
        app,
        ["locate", "--arrivals", str(sim / "arrival.csv"), "--assoc", str(sim / "assoc.csv"),
         "--stations", str(sim), "--out", str(loc)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    from testban.io.css30 import read_csv

    origins = {o.orid: o for o in read_csv(loc / "origin.csv")}
    truth = [o for o in read_csv(sim / "origin.csv") if o.etype == "ex"][0]
    located = origins[truth.orid]
    assert abs(located.lat - truth.lat) < 0.3 and abs(located.lon - truth.lon) < 0.3
    assert abs(located.mb - 5.0) < 0.4


def test_bulletin_from_located_tables_reads_back_in_obspy(tmp_path: Path):
    from obspy import read_events

    sim, loc = tmp_path / "sim", tmp_path / "loc"
    assert runner.invoke(app, ["simulate", "--out", str(sim), "--hours", "1"]).exit_code == 0
    result = runner.invoke(
        app,
        ["locate", "--arrivals", str(sim / "arrival.csv"), "--assoc", str(sim / "assoc.csv"),
         "--stations", str(sim), "--out", str(loc)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = tmp_path / "bulletin.txt"
    result = runner.invoke(app, ["bulletin", str(loc), str(sim), "--out", str(out)])
    assert result.exit_code == 0, result.output
    catalog = read_events(str(out), format="IMS10BULLETIN")
    from testban.io.css30 import read_csv

    origins = read_csv(loc / "origin.csv")
    assert len(catalog) == len(origins) > 0
    assert sum(len(e.picks) for e in catalog) > 0


def test_associate_and_compare_on_a_simulated_hour(tmp_path: Path):
    sim, auto = tmp_path / "sim", tmp_path / "auto"
    result = runner.invoke(
        app, ["simulate", "--out", str(sim), "--hours", "1", "--explosion", "punggye-ri@0.5:5.0"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        ["associate", "--arrivals", str(sim / "arrival.csv"), "--stations", str(sim),
         "--out", str(auto)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (auto / "origin.csv").is_file()
    result = runner.invoke(app, ["compare", str(auto), str(sim), "--min-defining-stations", "3"])
    assert result.exit_code == 0, result.output
    assert "recall" in result.output and "precision" in result.output
    from testban.io.css30 import read_csv

    truth = [o for o in read_csv(sim / "origin.csv") if o.etype == "ex"][0]
    found = read_csv(auto / "origin.csv")
    # The declared mb 5.0 explosion is seen at dozens of stations: it must be found.
    assert any(abs(o.time - truth.time) < 10 and abs(o.lat - truth.lat) < 1 for o in found)


def test_run_command_stores_windows_and_writes_a_report(tmp_path: Path):
    from testban.io.css30 import write_csv
    from testban.simulate import ims_like_network, simulate_day, write_simulation
    from testban.store import open_store, runs

    net = ims_like_network(0)
    code = next(s.code for s in net if not s.is_array and not s.primary)
    day = simulate_day(1704067200.0, seed=1, network=net, waveforms_for=[code], duration=3600.0)
    write_simulation(day, tmp_path / "sim")
    others = [a for a in day.arrivals if a.sta != code]
    write_csv(others, tmp_path / "others.csv", table="arrival")
    store, report = tmp_path / "run.sqlite", tmp_path / "report.txt"
    args = ["run", str(tmp_path / "sim" / "waveforms"), "--stations", str(tmp_path / "sim"),
            "--arrivals", str(tmp_path / "others.csv"), "--store", str(store),
            "--start", "2024-01-01T00:00", "--end", "2024-01-01T01:00", "--window", "1800",
            "--report", str(report)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = report.read_text()
    assert "windows: 2" in text and f"stations: 1 ({code})" in text
    with open_store(store) as db, db.session() as s:
        states = sorted((r.label, r.status) for r in runs(s))
    assert ("testban:detect", "done") in states and len(states) == 4
    again = runner.invoke(app, args)  # resumes: the done windows are skipped
    assert again.exit_code == 0 and "1 skipped" in report.read_text()
