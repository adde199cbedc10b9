"""A small store for the FDSN station and dataselect tests, and a live server on it.

Stations (recorded with :func:`testban.store.stations.store_network`, as ``testban run``
does):

- ``AR`` array ``AAR`` (reference site, no channels) with elements ``AA1``, ``AA2``
  (SHZ at 40 Hz), FDSN network ``TB`` (from the waveforms);
- ``BST`` single station with BHZ/BHN/BHE at 20 Hz, FDSN network ``IU`` (metadata), a
  response on BHZ (PAZ + sensitivity);
- ``OLD`` a station closed on 2020-01-01 (no waveforms), no FDSN network (served as XX).

Waveforms (``wfdisc`` rows through :func:`testban.store.paths.store_wfdiscs`):

- ``TB.AA1..SHZ``: int32 (Steim-2) in two files that meet exactly at ``T0 + 600``;
- ``TB.AA2..SHZ``: float32 in one file;
- ``IU.BST..BH?``: float64 (Z) and int32 (N, E) in one file each.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from obspy import Stream, Trace, UTCDateTime

from testban.network import Network
from testban.network.model import Channel, Station
from testban.records.css30 import Wfdisc, jdate
from testban.store import Store
from testban.store.paths import store_wfdiscs
from testban.store.stations import store_network

T0 = float(UTCDateTime("2024-05-01T00:00:00"))
#: Length of each station's data (s).
SPAN = 1200.0
COORDS = {"AAR": (45.0, 10.0), "AA1": (45.001, 10.0), "AA2": (45.0, 10.001),
          "BST": (40.0, 20.0), "OLD": (-30.0, 150.0)}  # fmt: skip


def response() -> object:
    """A PAZ response with an overall sensitivity (for BST BHZ)."""
    from obspy.core.inventory.response import Response

    return Response.from_paz(
        zeros=[0j, 0j], poles=[-0.037 + 0.037j, -0.037 - 0.037j], stage_gain=1500.0,
        input_units="M/S", output_units="COUNTS", normalization_frequency=1.0,
        pz_transfer_function_type="LAPLACE (RADIANS/SECOND)",
    )  # fmt: skip


def network() -> Network:
    shz = (Channel("SHZ", sample_rate=40.0, hang=0.0, vang=0.0),)
    bh = (
        Channel("BHZ", sample_rate=20.0, hang=0.0, vang=0.0, response=response()),
        Channel("BHN", sample_rate=20.0, hang=0.0, vang=90.0),
        Channel("BHE", sample_rate=20.0, hang=90.0, vang=90.0),
    )
    ar = dict(affiliations=("IMS_PRI",), ondate=2000001)
    return Network(
        [
            Station("AAR", *COORDS["AAR"], elev=0.5, statype="ar", name="test array", **ar),
            Station("AA1", *COORDS["AA1"], elev=0.5, refsta="AAR", channels=shz, ondate=2000001),
            Station("AA2", *COORDS["AA2"], elev=0.5, refsta="AAR", channels=shz, ondate=2000001),
            Station("BST", *COORDS["BST"], elev=1.2, name="broad band", channels=bh,
                    network="IU", affiliations=("IMS_AUX",), ondate=2010001),
            Station("OLD", *COORDS["OLD"], elev=0.0, channels=(Channel("SHZ", 20.0),),
                    ondate=1990001, offdate=2020001),
        ]
    )  # fmt: skip


def _trace(net: str, sta: str, chan: str, t: float, data: np.ndarray, rate: float) -> Trace:
    return Trace(data, {"network": net, "station": sta, "channel": chan,
                        "sampling_rate": rate, "starttime": UTCDateTime(t)})  # fmt: skip


def write_waveforms(folder: Path) -> dict[str, list[Path]]:
    """The waveform files (see the module), by seed id."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    files: dict[str, list[Path]] = {}

    def put(tr: Trace, name: str, encoding: str) -> None:
        path = folder / name
        Stream([tr]).write(str(path), format="MSEED", encoding=encoding, reclen=512)
        files.setdefault(tr.id, []).append(path)

    n = int(SPAN * 40)
    a1 = rng.integers(-5000, 5000, n).astype(np.int32)
    half = 600 * 40
    put(_trace("TB", "AA1", "SHZ", T0, a1[:half], 40.0), "AA1_a.mseed", "STEIM2")
    put(_trace("TB", "AA1", "SHZ", T0 + 600.0, a1[half:], 40.0), "AA1_b.mseed", "STEIM2")
    a2 = rng.normal(0, 100, n).astype(np.float32)
    put(_trace("TB", "AA2", "SHZ", T0, a2, 40.0), "AA2.mseed", "FLOAT32")
    m = int(SPAN * 20)
    put(_trace("IU", "BST", "BHZ", T0, rng.normal(0, 1e-6, m), 20.0), "BSTZ.mseed", "FLOAT64")
    for c in "NE":
        d = rng.integers(-(2**20), 2**20, m).astype(np.int32)
        put(_trace("IU", "BST", f"BH{c}", T0, d, 20.0), f"BST{c}.mseed", "STEIM2")
    return files


def fill(store: Store, folder: Path) -> dict[str, list[Path]]:
    """Stations and waveforms into ``store``; the files by seed id."""
    files = write_waveforms(folder)
    rows = []
    for sid, paths in files.items():
        _net, sta, _loc, chan = sid.split(".")
        for p in paths:
            from obspy import read

            tr = read(str(p))[0]
            t0, t1 = float(tr.stats.starttime), float(tr.stats.endtime)
            rows.append(Wfdisc(sta=sta, chan=chan, time=t0, endtime=t1, jdate=jdate(t0),
                               nsamp=tr.stats.npts, samprate=tr.stats.sampling_rate,
                               dir=str(p.parent.absolute()), dfile=p.name))  # fmt: skip
    with store.session() as s:
        store_network(s, network(), {("TB", "AA1"), ("TB", "AA2"), ("IU", "BST")})
        store_wfdiscs(s, rows, [folder])
    return files


@contextmanager
def live(app: object) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port; yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
