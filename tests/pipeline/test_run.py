"""``testban run`` on a simulated hour: stored bulletin, resume, re-run, crash, bad input, Dask."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from obspy import Stream, Trace, UTCDateTime

from testban.io.css30 import read_csv
from testban.network import read_network
from testban.pipeline import run as run_module
from testban.pipeline.run import RunConfig, run_pipeline, sources_from_paths
from testban.simulate import TEST_SITES, ims_like_network, simulate_day, write_simulation
from testban.store import Store, open_store, runs
from testban.store.schema import TABLES_SQL

START = 1704067200.0  # 2024-01-01
WINDOW = 1800.0
SPAN = (START, START + 2 * WINDOW)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory):
    """Two simulated hours: waveforms at one array and one 3-C station, detections
    (the simulator's) for every other station, a declared explosion 20 min in."""
    out = tmp_path_factory.mktemp("sim")
    net = ims_like_network(0)
    with_waveforms = [next(s.code for s in net if s.is_array)]
    with_waveforms.append(next(s.code for s in net if not s.is_array and not s.primary))
    blast = ("Punggye-ri", *TEST_SITES["punggye-ri"], START + 1200.0, 4.8)
    day = simulate_day(
        START, seed=5, network=net, explosions=[blast], waveforms_for=with_waveforms,
        duration=2 * 3600.0,
    )  # fmt: skip
    write_simulation(day, out)
    stations, problems = read_network(out)
    assert not [p for p in problems if p.severity == "error"]
    external = [a for a in read_csv(out / "arrival.csv") if a.sta not in with_waveforms]
    return out, stations, external, with_waveforms


def _run(scenario, db: Path, **kwargs):
    out, stations, external, _ = scenario
    cfg = kwargs.pop("config", RunConfig(window=WINDOW))
    paths = kwargs.pop("paths", [out / "waveforms"])
    if isinstance(db, Store):
        return run_pipeline(
            sources_from_paths(paths), stations, db, start=SPAN[0], end=SPAN[1],
            config=cfg, external=external, **kwargs,
        )  # fmt: skip
    with open_store(db) as store:
        return _run(scenario, store, config=cfg, paths=paths, **kwargs)


def _dump(db: Path | Store) -> dict[str, list[tuple]]:
    if isinstance(db, Store):
        with db.session() as s:
            return {
                n: sorted(map(tuple, s.execute(sa.select(t)).all())) for n, t in TABLES_SQL.items()
            }
    with open_store(db) as store:
        return _dump(store)


@pytest.fixture(scope="module")
def first_run(scenario, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("store") / "run.sqlite"
    report = _run(scenario, db)
    return db, report


@pytest.mark.slow
def test_run_stores_a_located_sized_bulletin(scenario, first_run):
    _, _, external, with_waveforms = scenario
    db, report = first_run
    t = report.totals()
    assert t["windows"] == 2 and t["failed"] == 0
    assert t["detections"] > 0  # from the simulated waveforms
    assert t["external"] == sum(SPAN[0] <= a.time < SPAN[1] for a in external)
    tables = _dump(db)
    assert len(tables["arrival"]) == t["detections"] + t["external"]
    assert len(tables["origin"]) == t["events"] >= 1
    assert len(tables["event"]) == len(tables["origin"])
    assert {r.sta for r in _rows(db, "wfdisc")} >= set(_elements(scenario, with_waveforms))
    # The declared explosion is found near Punggye-ri and has an mb.
    lat, lon = TEST_SITES["punggye-ri"]
    blast = [o for o in _rows(db, "origin") if abs(o.lat - lat) < 1.0 and abs(o.lon - lon) < 1.0]
    assert len(blast) == 1 and abs(blast[0].time - (START + 1200.0)) < 10.0
    assert 4.3 < blast[0].mb < 5.3
    # Every assoc points at a stored arrival; every origin's window is recorded done.
    arids = {r.arid for r in _rows(db, "arrival")}
    assert {r.arid for r in _rows(db, "assoc")} <= arids
    with open_store(db) as store, store.session() as s:
        states = {(r.label, r.tstart): r.status for r in runs(s)}
    assert states[("testban:associate", SPAN[0])] == "done"
    # The second window's association lacked later detections: partial, redone next time.
    assert states[("testban:associate", SPAN[0] + WINDOW)] == "partial"
    assert "events" in report.text() and "partial" in report.text()


def _rows(db: Path, table: str) -> list:
    from testban.store import read_rows

    with open_store(db) as store, store.session() as s:
        return read_rows(s, table)


def _elements(scenario, codes: list[str]) -> list[str]:
    stations = scenario[1]
    return [e for c in codes for e in (stations.elements(c) if c in stations.arrays() else [c])]


@pytest.mark.slow
def test_rerun_resumes_and_redo_leaves_the_store_unchanged(scenario, first_run, tmp_path):
    db0, _ = first_run
    db = tmp_path / "copy.sqlite"
    shutil.copy(db0, db)
    before = _dump(db)
    again = _run(scenario, db)
    t = again.totals()
    assert t["skipped"] == 1 and t["partial"] == 1  # done window skipped, partial redone
    assert t["detections"] == 0  # detection windows done: not read again
    redo = _run(scenario, db, config=RunConfig(window=WINDOW, redo=True))
    assert redo.totals()["detections"] > 0
    after = _dump(db)
    for name in ("arrival", "amplitude", "origin", "assoc", "origerr", "netmag", "stamag",
                 "event", "wfdisc"):  # fmt: skip
        assert after[name] == before[name], name


@pytest.mark.slow
def test_crash_mid_run_loses_nothing_and_rerun_completes(
    scenario, first_run, tmp_path, monkeypatch
):
    db0, _ = first_run
    db = tmp_path / "crash.sqlite"
    real = run_module.form_events

    def failing(arrivals, amplitudes, network, start, end, *args):
        if start > SPAN[0]:
            raise RuntimeError("worker lost")
        return real(arrivals, amplitudes, network, start, end, *args)

    monkeypatch.setattr(run_module, "form_events", failing)
    report = _run(scenario, db)
    assert [w.status for w in report.windows] == ["done", "failed"]
    assert "worker lost" in report.text()
    first = _dump(db)["origin"]
    assert first and all(o[3] < SPAN[0] + WINDOW for o in first)  # column 3: time
    monkeypatch.setattr(run_module, "form_events", real)
    report = _run(scenario, db)
    assert [w.status for w in report.windows] == ["skipped", "partial"]
    whole, resumed = _dump(db0), _dump(db)
    for name in ("arrival", "origin", "assoc", "netmag", "event"):
        assert resumed[name] == whole[name], name


def test_bad_input_is_reported_and_the_run_completes(scenario, tmp_path):
    out, _stations, _external, _ = scenario
    archive = tmp_path / "archive"
    shutil.copytree(out / "waveforms", archive)
    (archive / "broken.mseed").write_bytes(b"\x00garbage" * 100)
    header = {"network": "XX", "station": "NOPE", "channel": "BHZ", "sampling_rate": 20.0,
              "starttime": UTCDateTime(START)}  # fmt: skip
    Stream([Trace(np.zeros(2000, np.int32), header=header)]).write(
        str(archive / "nope.mseed"), format="MSEED"
    )
    report = _run(scenario, tmp_path / "bad.sqlite", paths=[archive])
    text = report.text()
    assert report.totals()["failed"] == 0 and report.totals()["detections"] > 0
    assert "broken.mseed" in text
    assert "'NOPE' is not in the station metadata" in text


@pytest.mark.slow
def test_dask_two_workers_give_the_serial_bulletin(scenario, first_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    db0, _ = first_run
    db = tmp_path / "dask.sqlite"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        _run(scenario, db, client=client)
    serial, parallel = _dump(db0), _dump(db)
    for name in ("arrival", "amplitude", "origin", "assoc", "origerr", "netmag", "stamag"):
        assert parallel[name] == serial[name], name


@pytest.mark.slow
def test_postgresql_store_gets_the_same_bulletin(scenario, first_run):
    from tests.store.conftest import _postgres

    db0, _ = first_run
    gen = _postgres()
    store = next(gen)
    try:
        _run(scenario, store)
        _run(scenario, store, config=RunConfig(window=WINDOW, redo=True))
        on_pg, on_sqlite = _dump(store), _dump(db0)
        for name in ("arrival", "amplitude", "origin", "assoc", "origerr", "netmag", "event"):
            assert on_pg[name] == on_sqlite[name], name
    finally:
        gen.close()


def test_one_station_failing_leaves_the_others_and_is_retried(
    scenario, first_run, tmp_path, monkeypatch
):
    db0, _ = first_run

    def per_station(db: Path) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in _rows(db, "arrival"):
            if r.auth == "testban":
                out[r.sta] = out.get(r.sta, 0) + 1
        return out

    whole = per_station(db0)
    bad = max(whole, key=whole.get)  # the station with most detections fails
    real = run_module.detect_group

    def flaky(sources, group, *args):
        if group == bad:
            raise RuntimeError("corrupt beam")
        return real(sources, group, *args)

    monkeypatch.setattr(run_module, "detect_group", flaky)
    db = tmp_path / "flaky.sqlite"
    cfg = RunConfig(window=WINDOW)
    report = _run(scenario, db, config=cfg)
    assert f"[{bad}]: detection failed: RuntimeError('corrupt beam')" in report.text()
    assert per_station(db) == {s: c for s, c in whole.items() if s != bad}
    with open_store(db) as store, store.session() as s:
        assert {r.status for r in runs(s, label="testban:detect")} == {"partial"}
    monkeypatch.setattr(run_module, "detect_group", real)
    _run(scenario, db, config=cfg)  # partial detection windows are redone
    assert per_station(db) == whole


def test_empty_input_is_reported_not_raised(scenario, tmp_path):
    _, stations, _, _ = scenario
    (tmp_path / "empty").mkdir()
    with open_store(tmp_path / "empty.sqlite") as store:
        report = run_pipeline(sources_from_paths([tmp_path / "empty"]), stations, store)
    text = report.text()
    assert "nothing to process" in text and "no waveforms or detections to process" in text
    assert report.totals()["windows"] == 0
