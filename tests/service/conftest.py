"""A filled store, an application on it, and a live server on a free loopback port.

The store holds the three-event synthetic bulletin of :mod:`tests.bulletin.synthetic`
(arrivals, magnitudes, ellipses; station ``site`` rows; event types eq, en, ex) and 60
summary events spread over the globe, a day, 0–600 km depth and magnitudes 2.5–6 (origin,
origerr, netmag, event; mostly earthquakes, some quarry blasts and some without a type),
and waveforms (:mod:`tests.service.waveform_data`) for events 1002 and 1003.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from obspy import UTCDateTime

from testban.records.css30 import Event, Netmag, Origerr, Origin, Record, Site, jdate
from testban.screening import screen_bulletin
from testban.store import Store, insert_tables, load_bulletin
from tests.bulletin.synthetic import synthetic_bulletin
from tests.service.waveform_data import waveform_tables

T0 = float(UTCDateTime("2024-03-01T00:00:00"))
#: Approximate coordinates of the synthetic bulletin's stations (lat, lon).
SITES = {
    "ARCES": (69.535, 25.506), "FINES": (61.444, 26.077), "MKAR": (46.794, 82.290),
    "WRA": (-19.942, 134.340), "ILAR": (64.771, -146.887), "USRK": (44.200, 131.989),
}  # fmt: skip


def summary_etype(k: int) -> str:
    """The ``etype`` of summary event ``k``: quarry blasts, untyped ones, else earthquakes."""
    return {3: "qb", 7: "-"}.get(k % 10, "eq")


def summary_events(n: int = 60, seed: int = 7, orid0: int = 2001) -> dict[str, list[Record]]:
    """``n`` events with an origin, a 90 % ellipse, an mb netmag and an event row."""
    rng = np.random.default_rng(seed)
    lat = np.round(rng.uniform(-70, 70, n), 4)
    lon = np.round(rng.uniform(-180, 180, n), 4)
    depth = np.round(rng.choice([0.0, 10.0, 33.0, 120.0, 550.0], n) + rng.uniform(0, 5, n), 1)
    mb = np.round(rng.uniform(2.5, 6.0, n), 2)
    time = np.round(T0 + 7200.0 + np.sort(rng.uniform(0, 80000, n)), 3)
    out: dict[str, list[Record]] = {"origin": [], "origerr": [], "netmag": [], "event": []}
    for k in range(n):
        orid = orid0 + k
        t = float(time[k])
        out["origin"].append(
            Origin(
                lat=float(lat[k]), lon=float(lon[k]), depth=float(depth[k]), time=t,
                orid=orid, evid=orid, jdate=jdate(t), nass=5, ndef=5, etype=summary_etype(k),
                dtype="f", mb=float(mb[k]), mbid=orid + 50000, algorithm="synthetic",
                auth="synth",
            )
        )  # fmt: skip
        out["origerr"].append(
            Origerr(orid=orid, sdobs=0.9, smajax=20.0 + k % 30, sminax=8.0, strike=10.0 * k % 180,
                    stime=1.0, sdepth=8.0, conf=0.9)
        )  # fmt: skip
        out["netmag"].append(
            Netmag(magid=orid + 50000, net="IDC", orid=orid, evid=orid, magtype="mb_ave",
                   nsta=4, magnitude=float(mb[k]), uncertainty=0.2, auth="synth")
        )  # fmt: skip
        out["event"].append(Event(evid=orid, evname="-", prefor=orid, auth="synth"))
    return out


def fill(store: Store, waveforms: Path) -> None:
    """Write the test bulletin into ``store`` (waveform files into ``waveforms``)."""
    bulletin = synthetic_bulletin(3, t0=T0)
    with store.session() as s:
        insert_tables(s, bulletin)
        insert_tables(s, summary_events())
        sites = [Site(sta=sta, ondate=2000001, lat=la, lon=lo, elev=0.1, staname=f"{sta} test")
                 for sta, (la, lo) in SITES.items() if sta != "USRK"]  # fmt: skip
        insert_tables(s, {"site": sites})
        insert_tables(s, waveform_tables(waveforms, bulletin))
        # the summary events are screened (their 8 km, 90 % depth errors and free depths
        # screen the deep ones out by depth); the three-event bulletin is left unscreened
        summary = load_bulletin(s, [o.orid for o in summary_events()["origin"]])
        insert_tables(s, screen_bulletin(summary))


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A filled SQLite store (shared by the service tests; read only)."""
    path: Path = tmp_path_factory.mktemp("service") / "store.sqlite"
    st = Store(path)
    fill(st, path.parent / "waveforms")
    yield st
    st.close()


@pytest.fixture(scope="session")
def app(store: Store):  # noqa: ANN201 (FastAPI imported lazily)
    from testban.service import create_app

    return create_app(store)


@pytest.fixture(scope="session")
def client(app) -> Iterator:  # noqa: ANN001
    """An in-process HTTP client on the application."""
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def live_url(app) -> Iterator[str]:  # noqa: ANN001
    """The base URL of the application served by uvicorn on a free loopback port."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    sock.close()
