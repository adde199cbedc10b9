"""FDSN dataselect service: ObsPy's Client against a live server returns the stored
samples exactly (integers and floats, files that meet, several channels), cut to the
samples inside the request; POST, nodata and errors."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from obspy import Stream, UTCDateTime, read

from testban.store import Store
from tests.service.fdsn_data import T0, fill, live


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, dict]]:
    folder = tmp_path_factory.mktemp("fdsn_dataselect")
    st = Store(folder / "store.sqlite")
    files = fill(st, folder / "waveforms")
    yield st, files
    st.close()


@pytest.fixture(scope="module")
def files(setup: tuple[Store, dict]) -> dict[str, list[Path]]:
    return setup[1]


@pytest.fixture(scope="module")
def http(setup: tuple[Store, dict]) -> Iterator:
    from fastapi.testclient import TestClient

    from testban.service import create_app

    with TestClient(create_app(setup[0])) as c:
        yield c


@pytest.fixture(scope="module")
def client(setup: tuple[Store, dict]) -> Iterator:
    from obspy.clients.fdsn import Client

    from testban.service import create_app

    with live(create_app(setup[0])) as base:
        yield Client(base)


def stored(files: dict[str, list[Path]], sid: str, t0: float, t1: float) -> Stream:
    """What the files hold for ``sid`` in ``[t0, t1]`` (both included), joined."""
    st = Stream()
    for p in files[sid]:
        st += read(str(p))
    st.merge(method=-1)
    st.trim(UTCDateTime(t0), UTCDateTime(t1), nearest_sample=False)
    return st


@pytest.mark.parametrize(
    ("sid", "dtype"),
    [("TB.AA1..SHZ", np.int32), ("TB.AA2..SHZ", np.float32), ("IU.BST..BHZ", np.float64)],
)
def test_sample_exact(client, files, sid: str, dtype: type) -> None:  # noqa: ANN001
    t0, t1 = T0 + 512.3, T0 + 700.0  # across the join of AA1's two files
    got = client.get_waveforms(*sid.split("."), UTCDateTime(t0), UTCDateTime(t1))
    ref = stored(files, sid, t0, t1)
    assert len(got) == 1 and len(ref) == 1
    assert got[0].id == sid
    assert got[0].data.dtype == dtype
    assert got[0].stats.starttime == ref[0].stats.starttime
    np.testing.assert_array_equal(got[0].data, ref[0].data)


def test_cut_includes_both_ends(client, files) -> None:  # noqa: ANN001
    rate = 40.0
    t0 = T0 + 100.0  # exactly on a sample
    got = client.get_waveforms("TB", "AA1", "", "SHZ", UTCDateTime(t0), UTCDateTime(t0 + 10))
    assert got[0].stats.starttime == UTCDateTime(t0)
    assert got[0].stats.npts == 10 * rate + 1
    off = client.get_waveforms(
        "TB", "AA1", "", "SHZ", UTCDateTime(t0 + 0.3 / rate), UTCDateTime(t0 + 10 - 0.3 / rate)
    )
    assert off[0].stats.starttime == UTCDateTime(t0 + 1 / rate)  # first sample inside
    assert off[0].stats.npts == 10 * rate - 1
    full = read(str(files["TB.AA1..SHZ"][0]))[0]
    np.testing.assert_array_equal(off[0].data, full.data[4001:4400])  # T0 + 100 s: sample 4000


def test_several_channels_and_bulk(client, files) -> None:  # noqa: ANN001
    t0, t1 = UTCDateTime(T0 + 30), UTCDateTime(T0 + 90)
    got = client.get_waveforms("IU", "BST", "*", "BH?", t0, t1)
    assert sorted(tr.id for tr in got) == ["IU.BST..BHE", "IU.BST..BHN", "IU.BST..BHZ"]
    for tr in got:
        np.testing.assert_array_equal(tr.data, stored(files, tr.id, T0 + 30, T0 + 90)[0].data)
    bulk = client.get_waveforms_bulk(
        [("TB", "AA?", "", "SHZ", t0, t1), ("IU", "BST", "", "BHN", t0, t0 + 5)]
    )
    assert sorted(tr.id for tr in bulk) == ["IU.BST..BHN", "TB.AA1..SHZ", "TB.AA2..SHZ"]
    assert bulk.select(channel="BHN")[0].stats.npts == 5 * 20 + 1


def test_network_must_match(http) -> None:  # noqa: ANN001
    q = {"station": "BST", "starttime": "2024-05-01T00:01:00", "endtime": "2024-05-01T00:02:00"}
    assert http.get("/fdsnws/dataselect/1/query", params={**q, "network": "IU"}).status_code == 200
    assert http.get("/fdsnws/dataselect/1/query", params={**q, "network": "TB"}).status_code == 204


def test_post(http, files) -> None:  # noqa: ANN001
    body = (
        "quality=B\nminimumlength=0\n"
        "TB AA2 -- SHZ 2024-05-01T00:05:00 2024-05-01T00:05:10\n"
        "IU BST * BHE 2024-05-01T00:05:00.000 2024-05-01T00:05:01\n"
    )
    r = http.post("/fdsnws/dataselect/1/query", content=body)
    assert r.status_code == 200
    st = read(io.BytesIO(r.content))
    assert sorted(tr.id for tr in st) == ["IU.BST..BHE", "TB.AA2..SHZ"]
    np.testing.assert_array_equal(
        st.select(station="AA2")[0].data, stored(files, "TB.AA2..SHZ", T0 + 300, T0 + 310)[0].data
    )


def test_nodata_and_errors(http) -> None:  # noqa: ANN001
    q = "station=AA1&starttime=2023-01-01&endtime=2023-01-02"
    assert http.get(f"/fdsnws/dataselect/1/query?{q}").status_code == 204
    r = http.get(f"/fdsnws/dataselect/1/query?{q}&nodata=404")
    assert r.status_code == 404 and r.text.startswith("Error 404")
    for bad in ("station=AA1", "station=AA1&starttime=2024-05-01&endtime=2024-04-01",
                "station=AA1&starttime=x&endtime=2024-05-02", "starttime=2024-05-01&"
                "endtime=2024-05-02&format=sac"):  # fmt: skip
        r = http.get(f"/fdsnws/dataselect/1/query?{bad}")
        assert r.status_code == 400, bad
    assert http.get("/fdsnws/dataselect/1/version").text == "1.1.0"
    assert 'name="quality"' in http.get("/fdsnws/dataselect/1/application.wadl").text


def test_longestonly_and_minimumlength(http) -> None:  # noqa: ANN001
    body = "longestonly=true\nTB AA1 -- SHZ 2024-05-01T00:00:00 2024-05-01T00:00:01\n"
    body += "TB AA1 -- SHZ 2024-05-01T00:10:00 2024-05-01T00:15:00\n"
    st = read(io.BytesIO(http.post("/fdsnws/dataselect/1/query", content=body).content))
    assert len(st) == 1 and st[0].stats.npts == 300 * 40 + 1
    body = body.replace("longestonly=true", "minimumlength=2")
    st = read(io.BytesIO(http.post("/fdsnws/dataselect/1/query", content=body).content))
    assert len(st) == 1 and st[0].stats.npts == 300 * 40 + 1
