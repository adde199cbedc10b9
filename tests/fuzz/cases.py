"""Small synthetic files of every input format, and the :class:`Format` that reads each.

Built from the project's own fixture writers (``tests/io/conftest.py`` for IMS2.0,
``tests/bulletin/synthetic.py`` for bulletins, ``tests/network/conftest.py`` for station
tables), so the fuzz suite needs no reference data.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from obspy import Stream, Trace, UTCDateTime

from tests.fuzz.harness import (
    Format,
    ims20_blocks,
    line_blocks,
    mseed_blocks,
    read_bulletin_file,
    read_stations,
    read_table_file,
    read_waveform,
    section_blocks,
    wdata_blocks,
)

T0 = UTCDateTime(2005, 5, 11)


def formats() -> dict[str, Format]:
    """Every format under test, with its reader and block cutter."""
    f: dict[str, Format] = {
        "ims20": Format("ims20", "msg.ims", read_waveform),
        "mseed": Format("mseed", "data.mseed", read_waveform),
        "sac": Format("sac", "data.sac", read_waveform),
        "wfdisc": Format("wfdisc", "t.wfdisc", read_waveform),
        "w": Format("w", "T0.w", read_waveform, read_path="t.wfdisc"),
        "stationxml": Format("stationxml", "stations.xml", read_stations),
        "geom": Format("geom", "TSAR.geom", read_stations),
        "csv": Format("csv", "arrival.csv", read_table_file("arrival")),
        "ims10": Format("ims10", "reb.txt", read_bulletin_file("ims1.0")),
        "quakeml": Format("quakeml", "events.xml", read_bulletin_file("quakeml")),
    }
    f["ims20"].blocks = ims20_blocks(f["ims20"])
    f["mseed"].blocks = mseed_blocks(f["mseed"])
    f["wfdisc"].blocks = line_blocks(f["wfdisc"])
    f["w"].blocks = wdata_blocks("t.wfdisc")
    f["geom"].blocks = line_blocks(f["geom"], header_lines=1)
    f["csv"].blocks = line_blocks(f["csv"], header_lines=1)
    f["ims10"].blocks = section_blocks(f["ims10"], b"EVENT ")
    return f


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.cumsum(rng.normal(0, 300, n)).astype(np.int32)


def make_ims20(folder: Path, rng: np.random.Generator) -> bytes:
    from tests.io.conftest import Block, ims20_message

    blocks = [
        Block(_noise(rng, 400), station=f"TS0{k}", channel="SHZ", start=T0 + 20 * k)
        for k in range(1, 5)
    ]
    return ims20_message(blocks, envelope=True)


def _stream(rng: np.random.Generator) -> Stream:
    traces = []
    for k, cha in enumerate(("BHZ", "BHN", "BHE")):
        tr = Trace(_noise(rng, 1500 + 100 * k))
        tr.stats.update({"network": "XX", "station": "TSS", "channel": cha,
                         "sampling_rate": 20.0})  # fmt: skip
        tr.stats.starttime = T0
        traces.append(tr)
    return Stream(traces)


def make_mseed(folder: Path, rng: np.random.Generator) -> bytes:
    path = folder / "_w.mseed"
    _stream(rng).write(str(path), format="MSEED", reclen=512, encoding="STEIM2")
    data = path.read_bytes()
    path.unlink()
    return data


def make_sac(folder: Path, rng: np.random.Generator) -> bytes:
    path = folder / "_w.sac"
    _stream(rng)[0].write(str(path), format="SAC")
    data = path.read_bytes()
    path.unlink()
    return data


def _wfdisc_rows(rng: np.random.Generator) -> tuple[bytes, bytes]:
    from testban.records.css30 import Wfdisc

    rows, chunks, foff = [], [], 0
    for k, cha in enumerate(("BHZ", "BHN", "BHE")):
        data = _noise(rng, 800 + 50 * k).astype(">i4")
        rows.append(
            Wfdisc(
                sta="TSS", chan=cha, time=float(T0), wfid=k + 1, jdate=2005131,
                endtime=float(T0) + (data.size - 1) / 40.0, nsamp=data.size, samprate=40.0,
                calib=1.0, calper=1.0, instype="STS-2", segtype="o", datatype="s4", dir=".",
                dfile="T0.w", foff=foff, lddate="20150408 12:00:00",
            )
        )  # fmt: skip
        chunks.append(data.tobytes())
        foff += data.nbytes
    return rows, b"".join(chunks)  # type: ignore[return-value]


def make_wfdisc(folder: Path, rng: np.random.Generator) -> bytes:
    from testban.io.css30 import write_flat

    rows, wdata = _wfdisc_rows(rng)
    (folder / "T0.w").write_bytes(wdata)
    write_flat(rows, folder / "_t.wfdisc", table="wfdisc")
    data = (folder / "_t.wfdisc").read_bytes()
    (folder / "_t.wfdisc").unlink()
    return data


def make_w(folder: Path, rng: np.random.Generator) -> bytes:
    from testban.io.css30 import write_flat

    rows, wdata = _wfdisc_rows(rng)
    write_flat(rows, folder / "t.wfdisc", table="wfdisc")
    return wdata


def _network():  # type: ignore[no-untyped-def]
    from testban.network import Channel, Network, Station

    stations = [Station("TSAR", 60.0, 10.0, elev=0.3, statype="ar")]
    for k in range(1, 6):
        stations.append(
            Station(f"TS0{k}", 60.0 + 0.01 * k, 10.0 - 0.02 * k, elev=0.31, refsta="TSAR",
                    channels=(Channel("SHZ", 40.0, vang=0.0),))
        )  # fmt: skip
    return Network(stations, name="synthetic")


def make_stationxml(folder: Path, rng: np.random.Generator) -> bytes:
    from testban.network.writers import write_stationxml

    write_stationxml(_network(), folder / "_s.xml")
    data = (folder / "_s.xml").read_bytes()
    (folder / "_s.xml").unlink()
    return data


def make_geom(folder: Path, rng: np.random.Generator) -> bytes:
    lines = ["5 60.0000000 10.0000000"]
    for s in list(_network())[1:]:
        lines.append(f"{s.code:<5s} SHZ {s.lat:12.7f} {s.lon:12.7f} {0.31:8.3f}")
    return ("\n".join(lines) + "\n").encode()


def make_csv(folder: Path, rng: np.random.Generator) -> bytes:
    from testban.io.css30 import write_csv
    from tests.bulletin.synthetic import synthetic_bulletin

    write_csv(synthetic_bulletin(3)["arrival"], folder / "_a.csv", "arrival")
    data = (folder / "_a.csv").read_bytes()
    (folder / "_a.csv").unlink()
    return data


def make_ims10(folder: Path, rng: np.random.Generator) -> bytes:
    from testban.bulletin import write_bulletin
    from tests.bulletin.synthetic import synthetic_bulletin

    write_bulletin(synthetic_bulletin(3), folder / "_b.txt", "ims1.0")
    data = (folder / "_b.txt").read_bytes()
    (folder / "_b.txt").unlink()
    return data


def make_quakeml(folder: Path, rng: np.random.Generator) -> bytes:
    from testban.bulletin import write_bulletin
    from tests.bulletin.synthetic import synthetic_bulletin

    write_bulletin(synthetic_bulletin(2), folder / "_q.xml", "quakeml")
    data = (folder / "_q.xml").read_bytes()
    (folder / "_q.xml").unlink()
    return data


#: format name -> builder writing companions into the folder and returning the target bytes
MAKERS: dict[str, Callable[[Path, np.random.Generator], bytes]] = {
    "ims20": make_ims20,
    "mseed": make_mseed,
    "sac": make_sac,
    "wfdisc": make_wfdisc,
    "w": make_w,
    "stationxml": make_stationxml,
    "geom": make_geom,
    "csv": make_csv,
    "ims10": make_ims10,
    "quakeml": make_quakeml,
}

#: For the "a file of another format" mutant: whose bytes each format is given instead.
OTHER = {
    "ims20": "mseed", "mseed": "ims20", "sac": "geom", "wfdisc": "csv", "w": "ims10",
    "stationxml": "quakeml", "geom": "sac", "csv": "ims20", "ims10": "quakeml",
    "quakeml": "stationxml",
}  # fmt: skip
