"""Analyst review over HTTP on a demo-like store (issue 15).

    PYTHONPATH=src python bench/review_session.py [--hours 2] [--requests 2000] [--concurrency 16]

1. `testban simulate --hours H` (a declared explosion at Punggye-ri) and `testban run`
   into a store in a temporary folder; the simulated stations' ``site`` rows are loaded
   (as `testban demo` does) so the review can relocate; users alice (analyst) and vic
   (viewer) added.
2. `testban serve` on loopback; a review session scripted over HTTP with alice's bearer
   token: reject one event, relocate one with an arrival removed (the largest |time
   residual|), build one from unassociated detections (the true event with the most
   detections that no automatic event took, picked with the simulation's ground truth).
   Checks: the reviewed bulletin (FDSN ``catalog=reviewed``) holds exactly those changes,
   the automatic bulletin (IMS1.0 of auth testban) is byte-identical, the audit trail
   lists the four actions; every write endpoint answers 401 anonymous and 403 to vic.
3. `testban run --redo` of the same span, then the reviewed bulletin and the audit trail
   compared with before, and the created event's detections looked up.
4. A bounded loopback load: N requests, C concurrent, 70 % reads (FDSN text query,
   reviewed catalog, event pages), 30 % writes (alice accepts a random event): errors,
   lost writes (successful writes vs new audit rows; each event's version chain and
   ``prefor``), p50/p99 latency.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

PY = sys.executable
ENV = {**os.environ, "TESTBAN_SECRET": "bench-secret-0123456789abcdef"}


def sh(*args: str, cwd: Path, stdin: str | None = None) -> str:
    run = subprocess.run([PY, "-m", "testban", *args], cwd=cwd, env=ENV, input=stdin,
                         capture_output=True, text=True, check=False)  # fmt: skip
    if run.returncode:
        raise RuntimeError(f"testban {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}")
    return run.stdout


def http(url: str, method: str = "GET", body: dict | None = None,
         token: str | None = None) -> tuple[int, bytes]:  # fmt: skip
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Server:
    def __init__(self, store: Path, cwd: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [PY, "-m", "testban", "serve", str(store), "--port", str(self.port)], cwd=cwd,
            env=ENV, stdout=subprocess.DEVNULL, stderr=open(cwd / "server.log", "a"),
        )  # fmt: skip
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{self.url}/fdsnws/event/1/version", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def token(url: str, name: str, password: str) -> str:
    status, body = http(f"{url}/api/auth/token", "POST", {"name": name, "password": password})
    assert status == 200, body
    return json.loads(body)["access_token"]


def fdsn_text(url: str, query: str) -> list[list[str]]:
    status, body = http(f"{url}/fdsnws/event/1/query?format=text&{query}")
    if status == 204:
        return []
    assert status == 200, body
    return [r.split("|") for r in body.decode().strip().splitlines()[1:]]


def automatic_ims(store: Path, cwd: Path, name: str) -> bytes:
    sh("review", "export", "--store", str(store), "--out", str(cwd / name), "--automatic",
       "testban", cwd=cwd)  # fmt: skip
    return (cwd / name).read_bytes()


def reviewed_state(db: Path) -> tuple[list, list]:
    """The reviewed bulletin's rows (origin, assoc) and the audit trail, from SQLite."""
    con = sqlite3.connect(db)
    leb = con.execute(
        "select o.* from origin o join event e on e.prefor = o.orid where o.orid in "
        "(select orid_after from review_audit) and o.etype != 'nx' order by o.orid"
    ).fetchall()
    assoc = con.execute(
        "select a.* from assoc a join event e on e.prefor = a.orid where a.orid in "
        "(select orid_after from review_audit) order by a.orid, a.arid"
    ).fetchall()
    audit = con.execute("select * from review_audit order by id").fetchall()
    con.close()
    return [leb, assoc], audit


def free_true_event(cwd: Path, db: Path) -> tuple[list[int], tuple[float, float, float]]:
    """The simulated event with the most stored detections that no automatic event took:
    their arids and the true (lat, lon, time)."""
    import csv

    truth = {r["orid"]: r for r in csv.DictReader(open(cwd / "sim" / "origin.csv"))}
    sim_arr = {r["arid"]: r for r in csv.DictReader(open(cwd / "sim" / "arrival.csv"))}
    members: dict[str, list[tuple[str, float]]] = {}
    for r in csv.DictReader(open(cwd / "sim" / "assoc.csv")):
        a = sim_arr.get(r["arid"])
        if a is not None:
            members.setdefault(r["orid"], []).append((a["sta"], float(a["time"])))
    con = sqlite3.connect(db)
    stored = con.execute("select arid, sta, time from arrival").fetchall()
    taken = {a for (a,) in con.execute("select arid from assoc")}
    con.close()
    index = {(sta, round(t, 2)): arid for arid, sta, t in stored}
    best: tuple[list[int], str] = ([], "")
    for orid, rows in members.items():
        arids = [index.get((sta, round(t, 2))) for sta, t in rows]
        free = sorted({a for a in arids if a is not None and a not in taken})
        if len(free) == len([a for a in arids if a is not None]) and len(free) > len(best[0]):
            best = (free, orid)
    o = truth[best[1]]
    return best[0], (float(o["lat"]), float(o["lon"]), float(o["time"]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--keep", type=Path, default=None, help="work here instead of a temp dir")
    args = ap.parse_args()
    out: dict = {}
    tmp = tempfile.TemporaryDirectory() if args.keep is None else None
    cwd = Path(tmp.name) if tmp else args.keep
    cwd.mkdir(parents=True, exist_ok=True)
    store = cwd / "store.sqlite"
    span = ["--start", "2024-01-01T00:00:00", "--end",
            f"2024-01-01T{int(args.hours):02d}:00:00"]  # fmt: skip
    t = time.time()
    sh("simulate", "--out", "sim", "--hours", str(args.hours), "--explosion", "punggye-ri@1:5",
       cwd=cwd)  # fmt: skip
    run_args = ["run", "--stations", "sim", "--arrivals", "sim", "--store", str(store), *span]
    sh(*run_args, cwd=cwd)
    out["run_s"] = round(time.time() - t, 1)
    from testban.io.css30 import read_tables
    from testban.store import insert_tables, open_store, read_rows

    with open_store(store) as st, st.session() as s:  # `testban run` stores its stations;
        have = {r.sta for r in read_rows(s, "site")}  # type: ignore[attr-defined]
        sites = [r for r in read_tables(cwd / "sim", ["site"])["site"] if r.sta not in have]  # type: ignore[attr-defined]
        insert_tables(s, {"site": sites})  # the rest (none today) from the simulation
        out["sites_stored_by_run"] = len(have)
    sh("user", "add", "alice", "--store", str(store), "--role", "analyst", "--password-stdin",
       cwd=cwd, stdin="alice-password\n")  # fmt: skip
    sh("user", "add", "vic", "--store", str(store), "--role", "viewer", "--password-stdin",
       cwd=cwd, stdin="vic-password-1\n")  # fmt: skip
    auto_before = automatic_ims(store, cwd, "auto-before.ims")

    # ------------------------------------------------------------ the review session
    server = Server(store, cwd)
    url = server.url
    alice, vic = token(url, "alice", "alice-password"), token(url, "vic", "vic-password-1")
    events = fdsn_text(url, "contributor=testban")
    out["automatic_events"] = len(events)
    con = sqlite3.connect(store)
    ndef = dict(con.execute("select evid, ndef from origin where auth = 'testban'").fetchall())
    con.close()
    by_ndef = sorted((ndef[int(r[0])], int(r[0])) for r in events)
    reject_evid, relocate_evid = by_ndef[0][1], by_ndef[-1][1]
    s1, b = http(f"{url}/api/review/events/{reject_evid}/reject", "POST",
                 {"reason": "too few defining phases to be credible"}, alice)  # fmt: skip
    assert s1 == 200, b
    con = sqlite3.connect(store)
    worst = con.execute(
        "select a.arid, a.sta, a.phase, a.timeres from assoc a join event e on e.prefor = "
        "a.orid where e.evid = ? and a.timedef = 'd' order by abs(a.timeres) desc limit 1",
        (relocate_evid,),
    ).fetchone()
    before_loc = con.execute(
        "select o.lat, o.lon, o.depth, o.time from origin o join event e on e.prefor = o.orid "
        "where e.evid = ?", (relocate_evid,),
    ).fetchone()  # fmt: skip
    con.close()
    s2, b = http(f"{url}/api/review/events/{relocate_evid}/disassociate", "POST",
                 {"arid": worst[0]}, alice)  # fmt: skip
    assert s2 == 200, b
    s3, b = http(f"{url}/api/review/events/{relocate_evid}/relocate", "POST", {"depth": "free"},
                 alice)  # fmt: skip
    assert s3 == 200, b
    relocated = json.loads(b)
    arids, (tlat, tlon, ttime) = free_true_event(cwd, store)
    s4, b = http(f"{url}/api/review/events", "POST", {"arids": arids}, alice)
    assert s4 == 201, b
    created = json.loads(b)
    out["session"] = {
        "rejected_evid": reject_evid, "relocated_evid": relocate_evid,
        "removed_arrival": {"arid": worst[0], "sta": worst[1], "phase": worst[2],
                            "timeres_s": round(worst[3], 2)},
        "created_evid": created["evid"], "created_from_arrivals": len(arids),
    }  # fmt: skip
    from testban.records.earth import KM_PER_DEG
    from testban.store import great_circle

    con = sqlite3.connect(store)
    new = con.execute("select lat, lon, depth, time from origin where orid = ?",
                      (created["orid"],)).fetchone()  # fmt: skip
    moved = con.execute("select lat, lon, depth, time from origin where orid = ?",
                        (relocated["orid"],)).fetchone()  # fmt: skip
    con.close()
    out["session"]["created_error_km"] = round(great_circle(new[0], new[1], tlat, tlon)
                                               * KM_PER_DEG, 1)  # fmt: skip
    out["session"]["created_time_error_s"] = round(new[3] - ttime, 2)
    out["session"]["relocation_shift_km"] = round(
        great_circle(before_loc[0], before_loc[1], moved[0], moved[1]) * KM_PER_DEG, 1
    )

    leb = fdsn_text(url, "catalog=reviewed")
    rejected = fdsn_text(url, f"eventid={reject_evid}")
    audit_status, audit_body = http(f"{url}/api/review/audit", token=vic)
    audit = json.loads(audit_body)
    auto_after = automatic_ims(store, cwd, "auto-after.ims")
    out["checks"] = {
        "reviewed_bulletin_evids": sorted(int(r[0]) for r in leb),
        "reviewed_is_exactly_the_changes": sorted(int(r[0]) for r in leb)
        == sorted([relocate_evid, created["evid"]]) and {r[5] for r in leb} == {"alice"},
        "rejected_marked": rejected[0][13] if rejected else None,
        "automatic_bulletin_unchanged": auto_before == auto_after,
        "audit_actions": [a["action"] for a in reversed(audit)],
        "audit_lists_them": audit_status == 200 and [a["action"] for a in reversed(audit)]
        == ["reject", "disassociate", "relocate", "create"],
    }  # fmt: skip

    # every write endpoint: anonymous 401, viewer 403
    from testban.review import ACTIONS

    codes: dict[str, list[int]] = {"anonymous": [], "viewer": []}
    for action in ACTIONS:
        path = "/api/review/events" if action == "create" else \
            f"/api/review/events/{relocate_evid}/{action}"  # fmt: skip
        codes["anonymous"].append(http(url + path, "POST", {})[0])
        codes["viewer"].append(http(url + path, "POST", {}, vic)[0])
    for who, tok in (("anonymous", None), ("viewer", vic)):
        form = urllib.request.Request(f"{url}/event/{relocate_evid}/review",
                                      data=b"action=accept", method="POST")  # fmt: skip
        form.add_header("Content-Type", "application/x-www-form-urlencoded")
        if tok:
            form.add_header("Authorization", f"Bearer {tok}")
        try:
            urllib.request.urlopen(form)
            codes[who].append(200)
        except urllib.error.HTTPError as e:
            codes[who].append(e.code)
    out["auth"] = {"write_endpoints": len(ACTIONS) + 1,
                   "anonymous_401": sum(c == 401 for c in codes["anonymous"]),
                   "viewer_403": sum(c == 403 for c in codes["viewer"])}  # fmt: skip
    server.stop()

    # ------------------------------------------------------------ run --redo
    state_before = reviewed_state(store)
    t = time.time()
    sh(*run_args, "--redo", cwd=cwd)
    out["redo_s"] = round(time.time() - t, 1)
    state_after = reviewed_state(store)
    con = sqlite3.connect(store)
    kept = con.execute(f"select count(*) from arrival where arid in ({','.join(map(str, arids))})"
                       ).fetchone()[0]  # fmt: skip
    n_auto = con.execute("select count(*) from origin where auth = 'testban'").fetchone()[0]
    con.close()
    out["redo"] = {
        "reviewed_bulletin_unchanged": state_before[0] == state_after[0],
        "audit_unchanged": state_before[1] == state_after[1],
        "created_event_detections_kept": f"{kept}/{len(arids)}",
        "automatic_origins_after": n_auto,
    }

    # ------------------------------------------------------------ bounded load
    server = Server(store, cwd)
    url = server.url
    alice = token(url, "alice", "alice-password")
    evids = [int(r[0]) for r in fdsn_text(url, "")]
    con = sqlite3.connect(store)
    audit0 = con.execute("select count(*) from review_audit").fetchone()[0]
    con.close()
    rng = random.Random(15)
    plan = []
    for _ in range(args.requests):
        u = rng.random()
        ev = rng.choice(evids)
        if u < 0.30:
            plan.append(("write", f"/api/review/events/{ev}/accept"))
        elif u < 0.55:
            plan.append(("read", "/fdsnws/event/1/query?format=text"))
        elif u < 0.70:
            plan.append(("read", "/fdsnws/event/1/query?catalog=reviewed&format=text"))
        else:
            plan.append(("read", f"/event/{ev}"))

    def one(item: tuple[str, str]) -> tuple[str, int, float]:
        kind, path = item
        t0 = time.perf_counter()
        if kind == "write":
            status, _ = http(url + path, "POST", {}, alice)
        else:
            status, _ = http(url + path)
        return kind, status, time.perf_counter() - t0

    t = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        results = list(pool.map(one, plan))
    wall = time.perf_counter() - t
    server.stop()
    con = sqlite3.connect(store)
    audit1 = con.execute("select count(*) from review_audit").fetchone()[0]
    chain_ok = True
    last: dict[int, int] = {}
    for evid, b_orid, a_orid in con.execute("select evid, orid_before, orid_after from "
                                            "review_audit order by id"):  # fmt: skip
        if evid in last and last[evid] != b_orid:
            chain_ok = False
        last[evid] = a_orid
    prefor = dict(con.execute("select evid, prefor from event").fetchall())
    con.close()
    ok_writes = sum(k == "write" and s == 200 for k, s, _ in results)
    lat = {k: np.array([d for kk, _s, d in results if kk == k]) * 1000 for k in ("read", "write")}
    allms = np.array([d for _k, _s, d in results]) * 1000
    out["load"] = {
        "requests": len(results), "concurrency": args.concurrency, "wall_s": round(wall, 1),
        "errors": sum(not 200 <= s < 300 for _k, s, _d in results),
        "writes_ok": ok_writes, "new_audit_rows": audit1 - audit0,
        "lost_writes": ok_writes - (audit1 - audit0),
        "version_chains_consistent": chain_ok and all(prefor[e] == o for e, o in last.items()),
        "p50_ms": round(float(np.percentile(allms, 50)), 1),
        "p99_ms": round(float(np.percentile(allms, 99)), 1),
        **{f"{k}_p50_ms": round(float(np.percentile(v, 50)), 1) for k, v in lat.items()},
        **{f"{k}_p99_ms": round(float(np.percentile(v, 99)), 1) for k, v in lat.items()},
    }  # fmt: skip
    print(json.dumps(out, indent=2))
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
