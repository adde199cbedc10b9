"""Load on the FDSN event service: requests/s and latency with 10k stored events.

Usage: ``.venv/bin/python bench/service_load.py [--events 10000] [--threads 2]
[--requests 300] [--time-cap 60]``

Fills a temporary SQLite store with synthetic events (origin, 90 % ellipse, mb netmag,
event row; values drawn with NumPy), serves it with uvicorn (one worker, a subprocess) on
a free loopback port, and sends a bounded load from client threads with persistent HTTP
connections: each thread sends ``--requests`` requests, cycling through typical queries,
or stops at ``--time-cap`` seconds. Prints a markdown table: per query and overall,
requests, errors (non-200 or failed), events per response, requests/s, p50 and p99
latency.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
from obspy import UTCDateTime

from testban.records.css30 import Event, Netmag, Origerr, Origin, Record, jdate
from testban.store import count_rows, insert_tables, open_store

T0 = float(UTCDateTime("2024-01-01T00:00:00"))
SPAN = 30 * 86400.0  # the events' time span (s)
DAY = 86400.0

#: The query mix: (label, parameters). Times are offsets from T0.
QUERIES: list[tuple[str, dict[str, object]]] = [
    ("1 day, text", {"starttime": 10 * DAY, "endtime": 11 * DAY, "format": "text"}),
    ("1 day, QuakeML", {"starttime": 12 * DAY, "endtime": 13 * DAY}),
    ("box + mag>=4.5, text",
     {"minlatitude": 20, "maxlatitude": 50, "minlongitude": 100, "maxlongitude": 150,
      "minmagnitude": 4.5, "format": "text"}),
    ("radius 20°, 7 days, text",
     {"latitude": 41.3, "longitude": 129.1, "maxradius": 20, "starttime": 3 * DAY,
      "endtime": 10 * DAY, "format": "text"}),
    ("mag>=5, top 20 by mag, QuakeML", {"minmagnitude": 5, "orderby": "magnitude", "limit": 20}),
    ("depth 100–700 km, limit 100, text",
     {"mindepth": 100, "maxdepth": 700, "limit": 100, "format": "text"}),
    ("one event, QuakeML", {"eventid": 5000}),
]  # fmt: skip


def synthetic_events(n: int, seed: int = 1) -> dict[str, list[Record]]:
    """``n`` events over 30 days from 2024-01-01, uniform on the sphere (NumPy draws)."""
    rng = np.random.default_rng(seed)
    time = np.round(T0 + np.sort(rng.uniform(0.0, SPAN, n)), 3)
    lat = np.round(np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n))), 4)
    lon = np.round(rng.uniform(-180.0, 180.0, n), 4)
    deep = rng.random(n) < 0.2
    depth = np.round(np.where(deep, rng.uniform(70.0, 650.0, n), rng.exponential(15.0, n)), 1)
    mb = np.round(np.minimum(2.5 + rng.exponential(0.45, n), 7.5), 2)  # Gutenberg–Richter-like
    smaj = np.round(rng.uniform(8.0, 80.0, n), 1)
    smin = np.round(smaj * rng.uniform(0.3, 1.0, n), 1)
    strike = np.round(rng.uniform(0.0, 180.0, n), 1)
    ndef = rng.integers(3, 40, n)
    orid = np.arange(1, n + 1)
    out: dict[str, list[Record]] = {"origin": [], "origerr": [], "netmag": [], "event": []}
    for k in range(n):
        i, t = int(orid[k]), float(time[k])
        out["origin"].append(
            Origin(lat=float(lat[k]), lon=float(lon[k]), depth=float(depth[k]), time=t, orid=i,
                   evid=i, jdate=jdate(t), nass=int(ndef[k]), ndef=int(ndef[k]), etype="-",
                   dtype="f", mb=float(mb[k]), mbid=i, algorithm="bench", auth="bench")
        )  # fmt: skip
        out["origerr"].append(
            Origerr(orid=i, sdobs=1.0, smajax=float(smaj[k]), sminax=float(smin[k]),
                    strike=float(strike[k]), sdepth=10.0, stime=1.0, conf=0.9)
        )  # fmt: skip
        out["netmag"].append(
            Netmag(magid=i, net="IDC", orid=i, evid=i, magtype="mb_ave", nsta=int(ndef[k]),
                   magnitude=float(mb[k]), uncertainty=0.2, auth="bench")
        )  # fmt: skip
        out["event"].append(Event(evid=i, prefor=i, auth="bench"))
    return out


def _query_path(params: dict[str, object]) -> str:
    p = dict(params)
    for key in ("starttime", "endtime"):
        if key in p:
            p[key] = str(UTCDateTime(T0 + float(p[key])))[:19]  # type: ignore[arg-type]
    return "/fdsnws/event/1/query?" + urlencode(p)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/fdsnws/event/1/version")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _client(port: int, paths: list[tuple[str, str]], offset: int, count: int, stop: float,
            out: list[tuple[str, float, int, int]]) -> None:  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for k in range(count):
        if time.monotonic() > stop:
            break
        label, path = paths[(offset + k) % len(paths)]
        t = time.perf_counter()
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException):
            out.append((label, time.perf_counter() - t, 0, 0))  # counted as an error
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        dt = time.perf_counter() - t
        if label.endswith("text"):
            n = max(body.count(b"\n") - 1, 0)
        else:
            n = body.count(b"<event ")
        out.append((label, dt, resp.status, n))
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=300, help="requests per thread")
    parser.add_argument("--time-cap", type=float, default=60.0, help="seconds of load at most")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="testban-bench-") as tmp:
        path = Path(tmp) / "store.sqlite"
        t = time.perf_counter()
        rows = synthetic_events(args.events, args.seed)
        with open_store(path) as store, store.session() as s:
            insert_tables(s, rows)
            stored = count_rows(s, "origin")
        fill_s = time.perf_counter() - t

        port = _free_port()
        code = ("import sys; from testban.service import serve; "
                "serve(sys.argv[1], port=int(sys.argv[2]), log_level='warning')")  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        server = subprocess.Popen([sys.executable, "-c", code, str(path), str(port)], env=env)
        try:
            _wait(port, server)
            paths = [(label, _query_path(p)) for label, p in QUERIES]
            warm: list[tuple[str, float, int, int]] = []
            _client(port, paths, 0, len(paths), time.monotonic() + 60, warm)  # warm-up
            results: list[tuple[str, float, int, int]] = []
            stop = time.monotonic() + args.time_cap
            threads = [
                threading.Thread(target=_client,
                                 args=(port, paths, i * 3, args.requests, stop, results))
                for i in range(args.threads)
            ]  # fmt: skip
            t = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            wall = time.perf_counter() - t
        finally:
            server.terminate()
            server.wait(30)
    _report(results, wall, stored, fill_s, args)


def _report(results: list[tuple[str, float, int, int]], wall: float, stored: int,
            fill_s: float, args: argparse.Namespace) -> None:  # fmt: skip
    print(f"## FDSN event service under load ({stored} stored events)\n")
    print(f"Store: SQLite, filled in {fill_s:.1f} s. Server: uvicorn, 1 worker process. "
          f"Load: {args.threads} client threads × up to {args.requests} requests "
          f"(time cap {args.time_cap:g} s), keep-alive, loopback; {len(results)} requests "
          f"in {wall:.1f} s.\n")  # fmt: skip
    print("| query | requests | errors | events/response | req/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    labels = [label for label, _ in QUERIES] + ["all"]
    for label in labels:
        sel = [r for r in results if label == "all" or r[0] == label]
        if not sel:
            continue
        lat = np.array([r[1] for r in sel]) * 1000.0
        bad = sum(r[2] != 200 for r in sel)
        n = np.mean([r[3] for r in sel])
        # Per-query rate: its share of the requests over the whole run.
        rate = len(sel) / wall
        name = f"**{label}**" if label == "all" else label
        print(f"| {name} | {len(sel)} | {bad} | {n:.0f} | {rate:.1f} | "
              f"{np.percentile(lat, 50):.1f} | {np.percentile(lat, 99):.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
