"""FDSN station and dataselect services and ``testban fetch``, end to end on loopback.

Usage: ``PYTHONPATH=src .venv/bin/python bench/fdsn_services.py [--out DIR] [--hours 1]
[--requests 2000] [--concurrency 16]``

1. A simulated IMS hour with the demo's declared explosion (Punggye-ri, mb 4.8, in the
   middle of the span; ``testban simulate``), waveforms for the primary stations within
   35° of it and the two nearest auxiliary stations (three primaries are the REB's least
   for an event), processed by ``testban run`` into a store.
2. ``testban serve`` on that store (a subprocess on a free loopback port).
3. ObsPy's ``Client``: ``get_stations`` at every level against the store's ``site``/
   ``sitechan`` rows; ``get_waveforms`` of every stored channel over the whole span
   against the files (sample-exact: same start, same samples).
4. ``testban fetch`` for the explosion from the served store, then ``testban run`` on the
   fetched archive: is the explosion found, how far from the truth and from the event of
   the original store?
5. A bounded loopback load (``--requests`` requests, ``--concurrency`` at once) mixing
   station queries (station and channel level, text) and dataselect requests (60 s of one
   channel, 10 min of an array's 12 elements): errors, p50 and p99 latency per kind.

Prints a markdown summary.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import requests
from obspy import UTCDateTime, read

from testban.records.css30 import Origin, Site, Sitechan, Wfdisc
from testban.simulate import TEST_SITES, ims_like_network
from testban.store import open_store, read_rows
from testban.store.paths import wfdisc_files
from testban.traveltime import distance_azimuth

START = "2024-01-01"
PY = sys.executable


def sh(*args: str, cwd: Path) -> str:
    t = time.perf_counter()
    out = subprocess.run([PY, "-m", "testban", *args], cwd=cwd, capture_output=True, text=True,
                         check=False)  # fmt: skip
    if out.returncode:
        raise SystemExit(f"testban {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    print(f"  testban {args[0]}: {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return out.stdout


def chosen_stations(max_deg: float = 35.0) -> list[str]:
    """Primary stations within ``max_deg`` of the test site and the two nearest auxiliaries."""
    lat, lon = TEST_SITES["punggye-ri"]
    rows = []
    for s in ims_like_network(0):
        d, _az, _baz = distance_azimuth(lat, lon, s.lat, s.lon)
        rows.append((float(d), s.code, s.primary))
    rows.sort()
    prim = [c for d, c, p in rows if p and d <= max_deg]
    aux = [c for _d, c, p in rows if not p][:2]
    return prim + aux


def serve(store: Path, cwd: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [PY, "-m", "testban", "serve", str(store), "--port", str(port)], cwd=cwd,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(f"{url}/fdsnws/station/1/version", timeout=1)
            return proc, url
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("testban serve did not start")


def check_stations(url: str, store: Path) -> list[str]:
    from obspy.clients.fdsn import Client

    client = Client(url)
    with open_store(store) as db, db.session() as s:
        sites = [r for r in read_rows(s, "site") if isinstance(r, Site)]
        chans = [r for r in read_rows(s, "sitechan") if isinstance(r, Sitechan)]
    lines = []
    for level in ("network", "station", "channel", "response"):
        t = time.perf_counter()
        inv = client.get_stations(level=level)
        dt = time.perf_counter() - t
        c = inv.get_contents()
        if level == "network":
            ok = len(c["networks"]) >= 1
            what = f"{len(c['networks'])} networks ({', '.join(n.code for n in inv)})"
        elif level == "station":
            got = {(s.code, round(s.latitude, 4), round(s.longitude, 4)) for n in inv for s in n}
            want = {(r.sta, round(r.lat, 4), round(r.lon, 4)) for r in sites}
            ok = got == want
            what = f"{len(got)} stations, coordinates equal to the {len(want)} site rows: {ok}"
        else:
            got = {(s.code, ch.code) for n in inv for s in n for ch in s}
            want = {(r.sta, r.chan) for r in chans}
            ok = got == want
            what = f"{len(got)} channels = the {len(want)} sitechan rows: {ok}"
        lines.append(
            f"| get_stations(level={level}) | {what} | {dt:.2f} s | {'yes' if ok else 'NO'} |"
        )
    return lines


def check_waveforms(url: str, store: Path) -> tuple[str, int, int]:
    from obspy.clients.fdsn import Client

    client = Client(url)
    with open_store(store) as db, db.session() as s:
        rows = [r for r in read_rows(s, "wfdisc") if isinstance(r, Wfdisc)]
        files = wfdisc_files(s, rows)
    exact = total = 0
    samples = 0
    t = time.perf_counter()
    for r in rows:
        ref = read(str(files[r.wfid])).select(station=r.sta, channel=r.chan)
        ref.merge(method=-1)
        t0, t1 = ref[0].stats.starttime, ref[0].stats.endtime
        got = client.get_waveforms(ref[0].stats.network, r.sta, "*", r.chan, t0, t1)
        total += 1
        same = (len(got) == 1 and got[0].stats.starttime == t0
                and np.array_equal(got[0].data, ref[0].data))  # fmt: skip
        exact += same
        samples += ref[0].stats.npts
    dt = time.perf_counter() - t
    return (
        f"{exact}/{total} channels sample-exact ({samples:,} samples) in {dt:.1f} s",
        exact,
        total,
    )


def load(url: str, n: int, conc: int, codes: dict[str, list[str]]) -> list[str]:
    t0 = UTCDateTime(START) + 1500
    one = codes["single"][0]
    arr = codes["array"]
    kinds = [
        ("station level=station", "/fdsnws/station/1/query", {"level": "station"}),
        ("station level=channel, text", "/fdsnws/station/1/query",
         {"level": "channel", "format": "text", "station": "Z*"}),
        ("dataselect 60 s, 1 channel", "/fdsnws/dataselect/1/query",
         {"station": one, "channel": "BHZ", "starttime": str(t0)[:-1],
          "endtime": str(t0 + 60)[:-1]}),
        ("dataselect 600 s, array elements", "/fdsnws/dataselect/1/query",
         {"station": ",".join(arr), "channel": "SHZ", "starttime": str(t0)[:-1],
          "endtime": str(t0 + 600)[:-1]}),
    ]  # fmt: skip
    sessions = [requests.Session() for _ in range(conc)]

    def one_request(i: int) -> tuple[int, float, str]:
        k = i % len(kinds)
        _label, path, params = kinds[k]
        t = time.perf_counter()
        try:
            r = sessions[i % conc].get(url + path, params=params, timeout=60)
            ok = "" if r.status_code == 200 and len(r.content) > 0 else f"HTTP {r.status_code}"
        except requests.RequestException as exc:
            ok = type(exc).__name__
        return k, time.perf_counter() - t, ok

    t = time.perf_counter()
    with ThreadPoolExecutor(conc) as pool:
        res = list(pool.map(one_request, range(n)))
    wall = time.perf_counter() - t
    lines = []
    for k, (label, _p, _q) in enumerate(kinds):
        lat = np.array([d for kk, d, _ in res if kk == k]) * 1000
        err = sum(1 for kk, _d, ok in res if kk == k and ok)
        lines.append(f"| {label} | {len(lat)} | {err} | {np.percentile(lat, 50):.0f} | "
                     f"{np.percentile(lat, 99):.0f} |")  # fmt: skip
    lat = np.array([d for _k, d, _ in res]) * 1000
    err = sum(1 for _k, _d, ok in res if ok)
    why = sorted({ok for _k, _d, ok in res if ok})
    lines.append(f"| all ({n / wall:.1f} requests/s) | {n} | {err} | "
                 f"{np.percentile(lat, 50):.0f} | {np.percentile(lat, 99):.0f} |")  # fmt: skip
    if why:
        lines.append(f"\nerrors: {', '.join(why)}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    a = ap.parse_args()
    out = a.out or Path(tempfile.mkdtemp(prefix="fdsn_bench_"))
    out.mkdir(parents=True, exist_ok=True)
    stations = chosen_stations()
    print(f"stations with waveforms: {', '.join(stations)}", file=sys.stderr)
    sh("simulate", "--out", "sim", "--start", START, "--hours", str(a.hours),
       "--explosion", f"punggye-ri@{a.hours / 2}:4.8", "--waveforms", ",".join(stations),
       cwd=out)  # fmt: skip
    store = out / "store.sqlite"
    store.unlink(missing_ok=True)
    sh("run", "sim/waveforms", "--stations", "sim", "--store", str(store), cwd=out)
    proc, url = serve(store, out)
    try:
        print("## ObsPy Client against testban serve\n")
        print("| request | what came back | time | equals the store |\n|---|---|---|---|")
        print("\n".join(check_stations(url, store)))
        text, _exact, _total = check_waveforms(url, store)
        print(
            f"| get_waveforms, every stored channel, whole span | {text} | | "
            f"{'yes' if _exact == _total else 'NO'} |"
        )
        truth = [o for o in _origins(out / "sim" / "origin.csv") if o.etype == "ex"][0]
        ev = f"{UTCDateTime(truth.time)},{truth.lat},{truth.lon},{truth.depth}"
        fetched = out / "fetched"
        t = time.perf_counter()
        report = sh("fetch", url, "--out", str(fetched), "--event", ev, "--maxdist", "40",
                    cwd=out)  # fmt: skip
        fetch_s = time.perf_counter() - t
        again = sh("fetch", url, "--out", str(fetched), "--event", ev, "--maxdist", "40",
                   cwd=out)  # fmt: skip
        fstore = out / "fetched.sqlite"
        fstore.unlink(missing_ok=True)
        sh("run", str(fetched / "waveforms"), "--stations", str(fetched / "stations"),
           "--store", str(fstore), cwd=out)  # fmt: skip
        with open_store(fstore) as db, db.session() as s:
            found = [o for o in read_rows(s, "origin") if isinstance(o, Origin)]
        with open_store(store) as db, db.session() as s:
            orig = [o for o in read_rows(s, "origin") if isinstance(o, Origin)]
        print("\n## testban fetch for the declared explosion, then testban run\n")
        print("```")
        print("\n".join([ln for ln in report.splitlines() if ln.strip()][:3]))
        print(f"(wall {fetch_s:.1f} s; again: "
              f"{[ln for ln in again.splitlines() if 'stations in range' in ln][0]})")  # fmt: skip
        print("```")
        for name, events in (("fetched archive", found), ("original store", orig)):
            near = [o for o in events if abs(o.time - truth.time) < 60]
            if not near:
                print(f"- {name}: explosion NOT found ({len(events)} events)")
                continue
            o = near[0]
            d, _az, _baz = distance_azimuth(truth.lat, truth.lon, o.lat, o.lon)
            print(f"- {name}: explosion found: {float(d) * 111.19:.1f} km from the truth, "
                  f"origin time {o.time - truth.time:+.2f} s, ndef {o.ndef}"
                  f" ({len(events)} events in all)")  # fmt: skip
        sim = {s.code: s for s in ims_like_network(0)}
        arr = next(c for c in stations if sim[c].is_array)
        single = [c for c in stations if not sim[c].is_array]
        elements = [e.code for e in sim[arr].elements]
        print(f"\n## Loopback load: {a.requests} requests, {a.concurrency} concurrent\n")
        print("| request | n | errors | p50 ms | p99 ms |\n|---|---|---|---|---|")
        print("\n".join(load(url, a.requests, a.concurrency,
                             {"single": single, "array": elements})))  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(10)


def _origins(path: Path) -> list[Origin]:
    from testban.io.css30 import read_records

    return [o for o in read_records(path, Origin) if isinstance(o, Origin)]


if __name__ == "__main__":
    main()
