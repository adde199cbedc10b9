"""Local association benchmark: Salton Sea PhaseNet picks, 48 h, 16 stations, SCSN catalogue.

Run: ``.venv/bin/python bench/associate_salton.py [--pyocto /tmp/pyocto-venv/bin/python]``

Picks (``association/picks_phasenet_test.csv``): one row per station-hour, sample indices
at 100 Hz; ``t0`` is 0, so a pick's time is the hour in ``fname`` plus ``idx / 100``.
Reference: ``events_test.csv`` (1062 SCSN events; projected from lat/lon). Match rule:
|Δt| ≤ 3 s and ≤ 15 km, one to one (closest first). testban runs with
:meth:`AssociatorConfig.local` and the Hadley–Kanamori model; the recall–events curve is
traced by raising the minimum number of picks per event on one permissive run. With
``--pyocto PYTHON`` the same picks go through PyOcto 0.2.2 (HK model, default thresholds)
in that interpreter, CPU time measured there.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from obspy import UTCDateTime

from testban.associate import AssociatorConfig, associate
from testban.network import Network, Station
from testban.records.css30 import Arrival

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data")) / "association"
MAX_DT, MAX_KM = 3.0, 15.0


def read_stations() -> Network:
    rows = list(csv.DictReader(open(DATA / "stations_test.csv"), delimiter="\t"))
    return Network(
        Station(r["station"].split(".")[1], float(r["lat"]), float(r["lng"]),
                float(r["elv(m)"]) / 1000.0, affiliations=("CI",))
        for r in rows
    )  # fmt: skip


def read_picks() -> list[Arrival]:
    out: list[Arrival] = []
    arid = 1
    for r in csv.DictReader(open(DATA / "picks_phasenet_test.csv"), delimiter="\t"):
        hour, net_sta = r["fname"][:13], r["fname"][14:]
        base = UTCDateTime(hour + ":00:00").timestamp + float(r["t0"])
        sta = net_sta.split(".")[1]
        for phase in ("p", "s"):
            idx = json.loads(r[f"idx_{phase}"])
            prob = json.loads(r[f"prob_{phase}"])
            for i, p in zip(idx, prob, strict=True):
                out.append(Arrival(sta=sta, time=base + i / 100.0, arid=arid,
                                   iphase=phase.upper(), deltim=0.2, snr=p))  # fmt: skip
                arid += 1
    return out


def read_catalogue() -> np.ndarray:
    rows = list(csv.DictReader(open(DATA / "events_test.csv"), delimiter="\t"))
    return np.array([(UTCDateTime(r["time"]).timestamp, float(r["lat"]), float(r["lng"]))
                     for r in rows])  # fmt: skip


def match(ev: np.ndarray, ref: np.ndarray) -> tuple[int, int]:
    """One-to-one matches within 3 s and 15 km (closest first), and duplicates: events
    left unmatched within 3 s and 15 km of a catalogue event already matched."""
    if ev.size == 0:
        return 0, 0
    cand = []
    order = np.argsort(ref[:, 0])
    rt = ref[order, 0]
    for i, (t, la, lo) in enumerate(ev):
        a, b = np.searchsorted(rt, t - MAX_DT), np.searchsorted(rt, t + MAX_DT)
        for k in order[a:b]:
            dy = (ref[k, 1] - la) * 111.19
            dx = (ref[k, 2] - lo) * 111.19 * np.cos(np.radians(la))
            d = float(np.hypot(dx, dy))
            if d <= MAX_KM:
                cand.append((d / MAX_KM + abs(ref[k, 0] - t) / MAX_DT, i, k))
    used_e, used_r, n = set(), set(), 0
    for _c, i, k in sorted(cand):
        if i not in used_e and k not in used_r:
            used_e.add(i)
            used_r.add(k)
            n += 1
    dup = {i for _c, i, k in cand if i not in used_e and k in used_r}
    return n, len(dup)


PYOCTO = r"""
import json, sys, time, numpy as np, pandas as pd, pyocto
picks = pd.read_csv(sys.argv[1]); stations = pd.read_csv(sys.argv[2])
layers = pd.DataFrame({"depth": [0.0, 5.5, 16.0, 32.0], "vp": [5.5, 6.3, 6.7, 7.8],
                       "vs": [5.5/1.73, 6.3/1.73, 6.7/1.73, 7.8/1.73]})
t = time.process_time()
pyocto.VelocityModel1D.create_model(layers, 1.0, 250, 50, sys.argv[3])
model = pyocto.VelocityModel1D(sys.argv[3], tolerance=2.0)
la, lo = stations["latitude"], stations["longitude"]
assoc = pyocto.OctoAssociator.from_area(lat=(la.min() - 0.3, la.max() + 0.3),
                                        lon=(lo.min() - 0.3, lo.max() + 0.3), zlim=(0, 30),
                                        time_before=30, velocity_model=model)
assoc.transform_stations(stations)
events, ap = assoc.associate(picks, stations)
assoc.transform_events(events)
cpu = time.process_time() - t
cnt = ap.groupby("event_idx").size() if len(ap) else None
out = [(float(e.time), float(e.latitude), float(e.longitude),
        int(cnt.get(e.idx, 0)) if cnt is not None else 0) for e in events.itertuples()]
json.dump({"cpu": cpu, "events": out}, open(sys.argv[4], "w"))
"""


def run_pyocto(python: str, picks: list[Arrival], net: Network) -> tuple[float, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        tp = Path(tmp)
        with open(tp / "picks.csv", "w") as f:
            f.write("station,phase,time\n")
            for a in picks:
                f.write(f"{a.sta},{a.iphase},{a.time:.3f}\n")
        with open(tp / "stations.csv", "w") as f:
            f.write("id,latitude,longitude,elevation\n")
            for s in net:
                f.write(f"{s.code},{s.lat},{s.lon},{(s.elev or 0) * 1000:.1f}\n")
        (tp / "run.py").write_text(PYOCTO)
        subprocess.run([python, str(tp / "run.py"), str(tp / "picks.csv"),
                        str(tp / "stations.csv"), str(tp / "model"), str(tp / "out.json")],
                       check=True)  # fmt: skip
        got = json.loads((tp / "out.json").read_text())
    return got["cpu"], np.array(got["events"], float).reshape(-1, 4)


def curve(ev: np.ndarray, npicks: np.ndarray, ref: np.ndarray, label: str, cpu: float) -> None:
    for k in (8, 10, 12, 15, 20):
        sel = ev[npicks >= k]
        n, dup = match(sel[:, :3], ref)
        print(
            f"| {label} | ≥ {k} picks | {len(sel)} | {n / len(ref):.3f} | "
            f"{n / max(len(sel), 1):.3f} | {dup} | {cpu:.1f} |"
        )


def main() -> None:
    if not DATA.exists():
        sys.exit(f"data not found: {DATA}")
    net = read_stations()
    picks = read_picks()
    ref = read_catalogue()
    print(f"{len(picks)} picks, {len(net)} stations, {len(ref)} catalogue events\n")
    print(
        "| associator | threshold | events | recall | precision (vs catalogue) | duplicates "
        "| CPU s |"
    )
    print("|---|---|---|---|---|---|---|")
    cfg = AssociatorConfig.local(min_phases=8)
    if "--without-one-event" in sys.argv:  # the associator before issue 11, for comparison
        cfg = cfg.with_(one_event_per_source=False)
    t = time.process_time()
    res = associate(picks, net, cfg)
    cpu = time.process_time() - t
    n_by = {}
    for s in res.assocs:
        n_by[s.orid] = n_by.get(s.orid, 0) + 1
    ev = np.array([(o.time, o.lat, o.lon) for o in res.origins]).reshape(-1, 3)
    npk = np.array([n_by.get(o.orid, 0) for o in res.origins])
    curve(ev, npk, ref, "testban", cpu)
    if "--pyocto" in sys.argv:
        py = sys.argv[sys.argv.index("--pyocto") + 1]
        pcpu, pev = run_pyocto(py, picks, net)
        curve(pev[:, :3], pev[:, 3], ref, "PyOcto 0.2.2", pcpu)
    else:
        print("\nPyOcto was not run (pass --pyocto PYTHON with pyocto 0.2.2 installed).")


if __name__ == "__main__":
    main()
