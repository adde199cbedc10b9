"""FDSN station service: ObsPy's Client against a live server, every level, filters, text,
POST, errors; and the store's station tables (store_network)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from obspy import UTCDateTime, read_inventory

from testban.network import read_network
from testban.store import Store, read_rows
from testban.store.stations import store_network
from tests.service.fdsn_data import COORDS, T0, fill, live, network


@pytest.fixture(scope="module")
def fdsn_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("fdsn_station")
    st = Store(folder / "store.sqlite")
    fill(st, folder / "waveforms")
    yield st
    st.close()


@pytest.fixture(scope="module")
def http(fdsn_store: Store) -> Iterator:
    from fastapi.testclient import TestClient

    from testban.service import create_app

    with TestClient(create_app(fdsn_store)) as c:
        yield c


@pytest.fixture(scope="module")
def url(fdsn_store: Store) -> Iterator[str]:
    from testban.service import create_app

    with live(create_app(fdsn_store)) as base:
        yield base


@pytest.fixture(scope="module")
def client(url: str):  # noqa: ANN201
    from obspy.clients.fdsn import Client

    return Client(url)


def test_store_network_writes_css30_once(fdsn_store: Store) -> None:
    with fdsn_store.session() as s:
        sites = read_rows(s, "site")
        chans = read_rows(s, "sitechan")
        again = store_network(s, network(), {("TB", "AA1")})
    assert {r.sta for r in sites} == set(COORDS)
    assert len(chans) == 2 + 3 + 1
    assert len({c.chanid for c in chans}) == len(chans)  # unique chanids
    assert sum(again.values()) == 0  # nothing new: rows are not duplicated


def test_every_level_with_obspy_client(client) -> None:  # noqa: ANN001
    nets = client.get_stations(level="network")
    assert sorted(n.code for n in nets) == ["IU", "TB", "XX"]
    assert all(len(n.stations) == 0 for n in nets)
    stas = client.get_stations(level="station")
    got = {f"{n.code}.{s.code}": (s.latitude, s.longitude) for n in stas for s in n}
    assert got == {
        "TB.AAR": COORDS["AAR"], "TB.AA1": COORDS["AA1"], "TB.AA2": COORDS["AA2"],
        "IU.BST": COORDS["BST"], "XX.OLD": COORDS["OLD"],
    }  # fmt: skip
    assert all(len(s.channels) == 0 for n in stas for s in n)
    chans = client.get_stations(level="channel")
    ids = sorted(chans.get_contents()["channels"])
    assert ids == sorted(["TB.AA1..SHZ", "TB.AA2..SHZ", "IU.BST..BHZ", "IU.BST..BHN",
                          "IU.BST..BHE", "XX.OLD..SHZ"])  # fmt: skip
    bhz = chans.select(station="BST", channel="BHZ")[0][0][0]
    assert bhz.sample_rate == 20.0 and bhz.dip == -90.0 and bhz.azimuth == 0.0
    assert bhz.elevation == pytest.approx(1200.0)
    assert "AAR" not in {s.code for n in chans for s in n}  # no channels at channel level
    resp = client.get_stations(level="response", station="BST", channel="BH?")
    r = resp.select(channel="BHZ")[0][0][0].response
    assert r is not None and r.instrument_sensitivity is not None
    assert r.instrument_sensitivity.value == pytest.approx(
        network().channel("BST", "BHZ").response.instrument_sensitivity.value
    )
    assert resp.select(channel="BHN")[0][0][0].response is None or not (
        resp.select(channel="BHN")[0][0][0].response.response_stages
    )


def test_stationxml_keeps_arrays_for_testban(client, tmp_path: Path) -> None:  # noqa: ANN001
    inv = client.get_stations(network="TB", level="channel")
    inv += client.get_stations(network="TB", station="AAR", level="station")
    from testban.network.model import NAMESPACE

    inv.write(str(tmp_path / "tb.xml"), format="STATIONXML", nsmap={"css30": NAMESPACE})
    net, problems = read_network(tmp_path / "tb.xml")
    assert net.arrays() == {"AAR": ["AA1", "AA2"]}
    assert net.station("AAR").statype == "ar"
    assert "IMS_PRI" in net.station("AAR").affiliations
    assert not [p for p in problems if p.severity == "error"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"station": "AA*"}, {"AAR", "AA1", "AA2"}),
        ({"station": "A?1,BST"}, {"AA1", "BST"}),
        ({"network": "IU,XX"}, {"BST", "OLD"}),
        ({"channel": "BH?"}, {"BST"}),
        ({"channel": "SHZ", "location": "--"}, {"AA1", "AA2", "OLD"}),
        ({"location": "00"}, set()),
        ({"minlatitude": 41, "maxlatitude": 50}, {"AAR", "AA1", "AA2"}),
        ({"minlongitude": 140, "maxlongitude": -170}, {"OLD"}),  # across the date line
        ({"latitude": 40, "longitude": 20, "maxradius": 1}, {"BST"}),
        ({"starttime": "2021-01-01"}, {"AAR", "AA1", "AA2", "BST"}),  # OLD closed in 2020
        ({"endtime": "2005-01-01"}, {"AAR", "AA1", "AA2", "OLD"}),
        ({"startbefore": "2001-01-01"}, {"AAR", "AA1", "AA2", "OLD"}),
        ({"startafter": "2001-01-01"}, {"BST"}),
        ({"endbefore": "2030-01-01"}, {"OLD"}),
        ({"endafter": "2030-01-01"}, {"AAR", "AA1", "AA2", "BST"}),
    ],
)
def test_filters(http, params: dict, expected: set[str]) -> None:  # noqa: ANN001
    r = http.get("/fdsnws/station/1/query", params={**params, "format": "text"})
    if not expected:
        assert r.status_code == 204
        return
    assert r.status_code == 200, r.text
    stations = {line.split("|")[1] for line in r.text.splitlines()[1:]}
    assert stations == expected


def test_text_formats_read_by_obspy(http) -> None:  # noqa: ANN001
    r = http.get("/fdsnws/station/1/query", params={"level": "channel", "format": "text"})
    inv = read_inventory(io.BytesIO(r.content), format="STATIONTXT")
    assert len(inv.get_contents()["channels"]) == 6
    r = http.get("/fdsnws/station/1/query", params={"level": "network", "format": "text"})
    assert [line.split("|")[0] for line in r.text.splitlines()[1:]] == ["IU", "TB", "XX"]
    assert r.text.splitlines()[1].split("|")[-1] == "1"  # IU: one station


def test_post_and_bulk(client, http) -> None:  # noqa: ANN001
    t = UTCDateTime(T0)
    inv = client.get_stations_bulk(
        [("TB", "AA1", "", "SHZ", t, t + 60), ("IU", "BST", "--", "BHZ", t, t + 60)],
        level="channel",
    )
    assert sorted(inv.get_contents()["channels"]) == ["IU.BST..BHZ", "TB.AA1..SHZ"]
    body = "level=station\nformat=text\nXX OLD * * 1995-01-01 1996-01-01\n"
    r = http.post("/fdsnws/station/1/query", content=body)
    assert r.status_code == 200 and r.text.splitlines()[1].startswith("XX|OLD|")
    r = http.post("/fdsnws/station/1/query", content="level=station\nXX OLD *\n")
    assert r.status_code == 400 and "NET STA LOC CHA START END" in r.text


@pytest.mark.parametrize(
    "query",
    [
        "level=everything",
        "frobnicate=1",
        "station=BST&sta=BST",
        "starttime=2024-01-02&endtime=2024-01-01",
        "minlatitude=10&maxlatitude=0",
        "level=response&format=text",
        "includeavailability=true",
        "station=B%20T",
    ],
)
def test_bad_requests(http, query: str) -> None:  # noqa: ANN001
    r = http.get(f"/fdsnws/station/1/query?{query}")
    assert r.status_code == 400
    assert r.text.startswith("Error 400: Bad Request")


def test_nodata_and_meta(http) -> None:  # noqa: ANN001
    assert http.get("/fdsnws/station/1/query?station=NONE").status_code == 204
    r = http.get("/fdsnws/station/1/query?station=NONE&nodata=404")
    assert r.status_code == 404 and r.text.startswith("Error 404")
    assert http.get("/fdsnws/station/1/version").text == "1.1.0"
    wadl = http.get("/fdsnws/station/1/application.wadl").text
    for name in ("starttime", "endbefore", "maxradius", "level", "includerestricted"):
        assert f'name="{name}"' in wadl
