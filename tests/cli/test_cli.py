"""The command line: each command runs end to end on small generated inputs."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from testban.cli import app
from testban.io.css30 import write_tables
from testban.records import Arrival, Origin

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
