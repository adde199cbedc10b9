"""One shared :class:`Associator` serving windows from several threads gives the serial answer.

``testban run`` keeps one associator per worker process, and a Dask worker runs several
tasks at once in threads; a window's answer must not depend on what the other threads do.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from testban.associate import HADLEY_KANAMORI, AssociatorConfig, Result
from testban.associate.core import Associator
from testban.network import Network, Station
from testban.records.css30 import Arrival
from testban.simulate import TEST_SITES, ims_like_network, simulate_day
from tests.associate.test_associate import local_network

START = 1_704_067_200.0  # 2024-01-01
THREADS = 4
REPEATS = 2


@pytest.fixture(autouse=True)
def _switch_often() -> Iterator[None]:
    """Threads switch every 10 µs instead of 5 ms, so that calls interleave."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(old)


def _answer(res: Result) -> str:
    """Every field of every row and score, floats as their exact ``repr``."""
    return repr((res.origins, res.assocs, res.origerrs, sorted(res.scores.items())))


def _windows(
    arrivals: list[Arrival], start: float, width: float, n: int, history: float, reach: float
) -> list[tuple[list[Arrival], float, float]]:
    """Each window's input as the pipeline reads it: history before it, travel time after."""
    out = []
    for k in range(n):
        ta, tb = start + k * width, start + (k + 1) * width
        out.append(([a for a in arrivals if ta - history <= a.time < tb + reach], ta, tb))
    return out


def _serial_and_threaded(assoc: Associator, windows) -> tuple[list[str], list[list[str]]]:
    serial = [_answer(assoc.run_window(arr, ta, tb)) for arr, ta, tb in windows]
    jobs = [k for k in range(len(windows)) for _ in range(REPEATS)]
    random.Random(1).shuffle(jobs)
    got: list[list[str]] = [[] for _ in windows]
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [(k, pool.submit(assoc.run_window, *windows[k])) for k in jobs]
        for k, fut in futures:
            got[k].append(_answer(fut.result()))
    return serial, got


@pytest.fixture(scope="module")
def global_case() -> tuple[Associator, list]:
    """A simulated hour at the primary stations of an IMS-like network (most detections
    false), with a declared explosion in each window besides the natural events; a
    smaller candidate budget than the default keeps the test quick."""
    primary = [s for s in ims_like_network(0) if s.primary]
    sites = (("lop-nur", 300.0), ("nevada", 1500.0), ("punggye-ri", 2700.0))
    blasts = [(name, *TEST_SITES[name], START + t, 4.5) for name, t in sites]
    day = simulate_day(START, seed=11, duration=3600.0, network=primary, explosions=blasts)
    net = Network(
        Station(s.code, s.lat, s.lon, s.elev,
                affiliations=("IMS_PRI",) if s.primary else ("IMS_AUX",))
        for s in day.stations
    )  # fmt: skip
    cfg = AssociatorConfig(max_candidates=50)
    windows = _windows(day.arrivals, START, 1200.0, 3, 900.0, cfg.max_travel_time)
    return Associator(net, cfg), windows


def test_global_windows_in_threads_give_the_serial_answer(global_case):
    assoc, windows = global_case
    serial, got = _serial_and_threaded(assoc, windows)
    assert all(s.count("Origin(") >= 1 for s in serial)  # every window holds events
    for k, answers in enumerate(got):
        assert answers == [serial[k]] * REPEATS, f"window {k}"
    # A fresh instance gives the same answer: nothing of one call stays for the next.
    arr, ta, tb = windows[-1]
    assert _answer(Associator(assoc.network, assoc.cfg).run_window(arr, ta, tb)) == serial[-1]


def test_local_windows_in_threads_give_the_serial_answer():
    # Ten local events (P and S at ten stations), two a window, plus false picks.
    net, rng = local_network(7)
    lat0, lon0 = 33.0, -115.6
    assoc = Associator(net, AssociatorConfig.local(layers=HADLEY_KANAMORI))
    geo = assoc.geo
    arrivals, arid = [], 1
    for e in range(10):
        t0 = START + 30.0 * e + float(rng.uniform(0, 10))
        lat, lon = lat0 + float(rng.uniform(-0.2, 0.2)), lon0 + float(rng.uniform(-0.2, 0.2))
        ex, ey = geo.xy(np.array(lat), np.array(lon))
        d = np.hypot(float(ex) - geo.sx, float(ey) - geo.sy)
        depth = np.full(d.size, float(rng.uniform(3, 15)))
        for wave, iphase in (("P", "P"), ("S", "S")):
            tt, _ = HADLEY_KANAMORI.first_arrival(wave, d, depth)
            for k, code in enumerate(net.codes):
                arrivals.append(Arrival(sta=code, time=t0 + float(tt[k]), arid=arid,
                                        iphase=iphase, deltim=0.1))  # fmt: skip
                arid += 1
    for t in rng.uniform(START - 60.0, START + 360.0, 80):
        arrivals.append(Arrival(sta=str(rng.choice(net.codes)), time=float(t), arid=arid,
                                iphase=str(rng.choice(["P", "S"])), deltim=0.2))  # fmt: skip
        arid += 1
    arrivals.sort(key=lambda a: a.time)
    windows = _windows(arrivals, START, 60.0, 5, 120.0, assoc.cfg.max_travel_time)
    serial, got = _serial_and_threaded(assoc, windows)
    assert sum(s.count("Origin(") for s in serial) >= 5
    for k, answers in enumerate(got):
        assert answers == [serial[k]] * REPEATS, f"window {k}"
