"""`testban screen`: files, the screened bulletin in every format, and the store."""

from __future__ import annotations

import obspy
from typer.testing import CliRunner

from testban.bulletin import write_bulletin
from testban.cli import app
from testban.io.css30 import read_csv, write_csv
from testban.store import count_rows, insert_tables, load_bulletin, open_store
from tests.screening.test_screen import _event, _merge

runner = CliRunner()


def _bulletin():
    return _merge(
        _event(1, 36.5, 70.5, 200.0, "d", mb=5.0, nb=12, sdepth=10.0, smajax=15.0),
        _event(2, 41.28, 129.08, 0.0, "r", mb=5.1, nb=20, ms=3.6, ns=5, smajax=12.0),
    )


def _write_dir(tmp_path):
    folder = tmp_path / "bulletin"
    for name, rows in _bulletin().items():
        write_csv(rows, folder / f"{name}.csv", table=name)
    return folder


def test_screen_command_writes_rows_and_bulletins(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["screen", str(_write_dir(tmp_path)), "--out", str(out),
         "--format", "ims1.0", "--format", "quakeml", "--format", "csv"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 screened out, 1 not screened out" in result.output
    rows = read_csv(out / "screening.csv", "screen")
    assert {(r.orid, r.criterion) for r in rows} >= {(1, "depth"), (2, "mbms"), (2, "event")}
    assert {r.param for r in read_csv(out / "evchar.csv", "evchar")} >= {"mb", "ms_mb"}
    ims = (out / "bulletin.ims").read_text()
    assert "EVENT SCREENING" in ims and "EVENT CHARACTERIZATION" in ims
    assert len(obspy.read_events(str(out / "bulletin.ims"), format="IMS10BULLETIN")) == 2
    cat = obspy.read_events(str(out / "bulletin.xml"))
    texts = [c.text for ev in cat for c in ev.comments]
    assert any(t.startswith("screening depth: screened out") for t in texts)
    assert all(ev.event_type is None for ev in cat)  # screening never types an event
    assert "screened out" in (out / "bulletin.csv").read_text()


def test_screen_a_bulletin_file(tmp_path):
    path = write_bulletin(_bulletin(), tmp_path / "in.xml", "quakeml")
    result = runner.invoke(app, ["screen", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "screening.csv").exists()


def test_screen_store_twice_never_duplicates(tmp_path):
    target = tmp_path / "s.sqlite"
    with open_store(target) as db, db.session() as session:
        insert_tables(session, _bulletin())
    for _ in range(2):
        result = runner.invoke(
            app, ["screen", "--store", str(target), "--out", str(tmp_path / "o")]
        )
        assert result.exit_code == 0, result.output
    with open_store(target) as db, db.session() as session:
        assert count_rows(session, "screen") == 2 * 5
        tables = load_bulletin(session, [1])
        assert {r.criterion for r in tables["screen"]} == {
            "depth",
            "mbms",
            "ps",
            "offshore",
            "event",
        }


def test_screen_without_input_is_an_error():
    result = runner.invoke(app, ["screen"])
    assert result.exit_code == 2
