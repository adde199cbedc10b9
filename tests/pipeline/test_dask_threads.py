"""``run_pipeline`` on Dask workers that run two tasks at once (threads) gives the serial bulletin.

``dask worker`` runs several threads per worker by default, and ``testban run`` keeps one
associator per worker process: windows associated at the same time share it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from testban.associate import AssociatorConfig
from testban.io.css30 import read_csv
from testban.network import read_network
from testban.pipeline.run import RunConfig, run_pipeline
from testban.simulate import TEST_SITES, ims_like_network, simulate_day, write_simulation
from testban.store import open_store
from testban.store.schema import TABLES_SQL

START = 1704067200.0  # 2024-01-01
WINDOW = 600.0
SPAN = (START, START + 6 * WINDOW)
COMPARED = ("arrival", "amplitude", "origin", "assoc", "origerr", "netmag", "stamag", "event")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory):
    """An hour of simulated detections (no waveforms) at the primary stations of an
    IMS-like network, a declared explosion in three of the six windows."""
    out = tmp_path_factory.mktemp("sim")
    primary = [s for s in ims_like_network(0) if s.primary]
    sites = (("lop-nur", 300.0), ("nevada", 1500.0), ("punggye-ri", 2700.0))
    blasts = [(name, *TEST_SITES[name], START + t, 4.5) for name, t in sites]
    day = simulate_day(START, seed=3, network=primary, explosions=blasts, duration=3600.0)
    write_simulation(day, out)
    stations, problems = read_network(out)
    assert not [p for p in problems if p.severity == "error"]
    return stations, read_csv(out / "arrival.csv"), out


def _run(scenario, db: Path, client=None) -> dict[str, list[tuple]]:
    """Run into a new store; its rows (:func:`_dump`)."""
    stations, external, _ = scenario
    # A smaller candidate budget than the default keeps the test quick.
    cfg = RunConfig(window=WINDOW, associate=AssociatorConfig(max_candidates=50))
    with open_store(db) as store:
        report = run_pipeline(
            [], stations, store, start=SPAN[0], end=SPAN[1], config=cfg, external=external,
            client=client,
        )  # fmt: skip
        assert report.totals()["failed"] == 0, report.text()
    return _dump(db)


def _dump(db: Path) -> dict[str, list[tuple]]:
    """Every compared table's rows, sorted, without ``lddate``."""
    out = {}
    with open_store(db) as store, store.session() as s:
        for name in COMPARED:
            cols = [c for c in TABLES_SQL[name].columns if c.name != "lddate"]
            out[name] = sorted(map(tuple, s.execute(sa.select(*cols)).all()))
    return out


@pytest.mark.slow
def test_dask_workers_with_two_threads_give_the_serial_bulletin(scenario, tmp_path):
    distributed = pytest.importorskip("distributed")
    serial = _run(scenario, tmp_path / "serial.sqlite")
    assert len(serial["origin"]) >= 3  # the windows hold events
    # In-process workers: both workers' threads also share the one process's caches.
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster, distributed.Client(cluster.scheduler_address) as client:  # fmt: skip
        assert sorted(client.nthreads().values()) == [2, 2]
        parallel = _run(scenario, tmp_path / "dask.sqlite", client)
    for name in COMPARED:
        assert parallel[name] == serial[name], name


@pytest.mark.slow
def test_cli_run_on_a_scheduler_with_two_threads_per_worker(scenario, tmp_path):
    # ``testban run --scheduler``: worker processes as ``dask worker`` starts them (several
    # threads each), the default associator configuration.
    distributed = pytest.importorskip("distributed")
    from typer.testing import CliRunner

    from testban.cli import app

    out = scenario[2]
    # Windows of 5 min: five are associated ahead at once, so each worker runs two.
    args = ["run", "--stations", str(out), "--arrivals", str(out / "arrival.csv"),
            "--start", "2024-01-01T00:00", "--end", "2024-01-01T01:00",
            "--window", "300"]  # fmt: skip
    runner = CliRunner()
    done = runner.invoke(app, [*args, "--store", str(tmp_path / "serial.sqlite")])
    assert done.exit_code == 0, done.output
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None
    ) as cluster:  # fmt: skip
        done = runner.invoke(app, [*args, "--store", str(tmp_path / "dask.sqlite"),
                                   "--scheduler", cluster.scheduler_address])  # fmt: skip
    assert done.exit_code == 0, done.output
    serial, parallel = _dump(tmp_path / "serial.sqlite"), _dump(tmp_path / "dask.sqlite")
    assert serial["origin"]
    for name in COMPARED:
        assert parallel[name] == serial[name], name
