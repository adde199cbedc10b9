"""End to end `testban run`: the CMAR day and a simulated IMS day, serial and 2 Dask workers.

For each input: wall and CPU time (the command, plus the Dask workers' CPU during it),
times real time, detections and events per day, peak memory (largest resident set of one
process), and whether the 2-worker bulletin equals the serial one row for row. The Dask run
uses a standing local cluster (``--scheduler``), warmed up by one run of the same command
(as a data centre's standing cluster is), so that worker start-up (imports, loading the
compiled kernels: several seconds) is not charged to the measured run.

    .venv/bin/python bench/run_end_to_end.py [--only cmar|sim] [--workers 2]

The CMAR day: `arrays/cmar_20050511/` with `stations/array_geometry/CMAR.geom` (one array:
station processing only, no event can meet the 3-station criteria). The simulated day:
`testban simulate`-style IMS day (seed 2024, the demo's), waveforms for 1 array and 2 3-C
stations, the simulator's detections for the other stations.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
BIN = Path(sys.executable).parent
COMPARED = ("arrival", "amplitude", "origin", "assoc", "origerr", "netmag", "stamag", "event")


def _dump(db: Path) -> dict[str, list[tuple]]:
    from testban.store import open_store
    from testban.store.schema import TABLES_SQL

    with open_store(db) as store, store.session() as s:
        return {n: sorted(map(tuple, s.execute(sa.select(TABLES_SQL[n])).all())) for n in COMPARED}


def _run(args: list[str]) -> dict[str, float]:
    """Run `testban run ARGS` in a child; wall, CPU (children incl. grandchildren reaped)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    cmd = ["/usr/bin/time", "-f", "%M", str(BIN / "testban"), "run", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    return {"wall": wall, "cpu": cpu, "peak_mib": peak_kib / 1024.0}


def _counts(db: Path, span_days: float) -> tuple[float, float]:
    d = _dump(db)
    return len(d["arrival"]) / span_days, len(d["origin"]) / span_days


def _warm(dask_worker: object = None) -> None:
    """Load testban and its compiled kernels in a worker (a standing cluster is warm)."""
    import numpy as np
    from obspy import Stream, Trace

    from testban.detect import detect_stream

    tr = Trace(np.random.default_rng(0).normal(size=40 * 600), header={"sampling_rate": 40.0})
    detect_stream(Stream([tr]))


def _on_cluster(run_args: list[str], workers: int) -> dict[str, float]:
    """`testban run --scheduler` on a standing local cluster of ``workers`` processes;
    CPU of the command and of the workers during it."""
    import psutil
    from dask.distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, Client(cluster) as client:  # fmt: skip
        client.run(_warm)
        warm_db = Path(args_store(run_args)).with_suffix(".warm.sqlite")
        _run([*_without_store(run_args), "--store", str(warm_db), "--scheduler",
              cluster.scheduler_address])  # fmt: skip
        procs = [psutil.Process(p) for p in client.run(os.getpid).values()]

        def worker_cpu() -> float:
            return sum(sum(p.cpu_times()[:2]) for p in procs)

        c0 = worker_cpu()
        r = _run([*run_args, "--scheduler", cluster.scheduler_address])
        r["cpu"] += worker_cpu() - c0
        r["peak_mib"] = max(r["peak_mib"], max(p.memory_info().rss for p in procs) / 2**20)
    return r


def args_store(run_args: list[str]) -> str:
    return run_args[run_args.index("--store") + 1]


def _without_store(run_args: list[str]) -> list[str]:
    i = run_args.index("--store")
    return run_args[:i] + run_args[i + 2 :]


def _one(name: str, run_args: list[str], span_s: float, workers: int, tmp: Path) -> None:
    serial_db, dask_db = tmp / f"{name}-serial.sqlite", tmp / f"{name}-dask.sqlite"
    serial = _run([*run_args, "--store", str(serial_db)])
    parallel = _on_cluster([*run_args, "--store", str(dask_db)], workers)
    det, ev = _counts(serial_db, span_s / 86400.0)
    same = _dump(serial_db) == _dump(dask_db)
    print(f"\n{name}: span {span_s / 3600:.1f} h; detections/day {det:.0f}, events/day {ev:.0f}")
    for label, r in (("serial", serial), (f"{workers} workers", parallel)):
        print(
            f"  {label:10s} wall {r['wall']:6.1f} s ({span_s / r['wall']:7.0f}× real time)  "
            f"CPU {r['cpu']:6.1f} s  peak RSS (one process) {r['peak_mib']:5.0f} MiB"
        )
    print(f"  speed-up {serial['wall'] / parallel['wall']:.2f}×; identical bulletin: {same}")


def cmar(workers: int, tmp: Path) -> None:
    data = SHARED / "arrays" / "cmar_20050511"
    if not data.is_dir():
        print(f"skip CMAR: {data} not found")
        return
    geom = SHARED / "stations" / "array_geometry" / "CMAR.geom"
    args = [str(data), "--stations", str(geom), "--start", "2005-05-11", "--end", "2005-05-12"]
    _one("CMAR 2005-05-11", args, 86400.0, workers, tmp)


def simulated(workers: int, tmp: Path) -> None:
    from testban.io.css30 import write_csv
    from testban.simulate import ims_like_network, simulate_day, write_simulation

    start = 1704067200.0
    network = ims_like_network(0)
    arrays = [s.code for s in network if s.is_array][:1]
    singles = [s.code for s in network if not s.is_array and not s.primary][:2]
    day = simulate_day(start, seed=2024, network=network, waveforms_for=arrays + singles)
    out = tmp / "sim"
    write_simulation(day, out)
    external = [a for a in day.arrivals if a.sta not in set(arrays + singles)]
    write_csv(external, out / "external.csv", table="arrival")
    args = [str(out / "waveforms"), "--stations", str(out), "--arrivals", str(out / "external.csv"),
            "--start", "2024-01-01", "--end", "2024-01-02"]  # fmt: skip
    _one("simulated IMS day (seed 2024)", args, 86400.0, workers, tmp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["cmar", "sim"])
    parser.add_argument("--workers", type=int, default=2)
    ns = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        if ns.only in (None, "cmar"):
            cmar(ns.workers, Path(tmp))
        if ns.only in (None, "sim"):
            simulated(ns.workers, Path(tmp))


if __name__ == "__main__":
    main()
