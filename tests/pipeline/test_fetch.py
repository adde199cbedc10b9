"""``testban fetch`` against testban's own station and dataselect services on loopback:
windows from the predicted phases, files equal to what the store holds, array metadata
kept, resumption, and the report of what was missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from obspy import UTCDateTime, read
from typer.testing import CliRunner

from testban.network import read_network
from testban.pipeline.fetch import (
    FetchConfig,
    FetchEvent,
    event_from_store,
    event_from_text,
    fetch_event,
    station_windows,
)
from testban.records.css30 import Origin, jdate
from testban.store import Store, insert_tables
from tests.service.fdsn_data import COORDS, SPAN, T0, fill, live

EVENT = FetchEvent(T0 + 300.0, 44.0, 12.0, 0.0)
CONFIG = FetchConfig(maxdist=20.0, before=60.0, after=120.0)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, dict, str]]:
    from testban.service import create_app

    folder = tmp_path_factory.mktemp("fetch")
    st = Store(folder / "store.sqlite")
    files = fill(st, folder / "waveforms")
    with live(create_app(st)) as url:
        yield st, files, url
    st.close()


def test_windows_follow_the_predicted_phases() -> None:
    from obspy.taup import TauPyModel

    coords = {"A.NEAR": (45.0, 10.0), "A.FAR": (40.0, 20.0), "A.TELE": (10.0, 60.0)}
    w = station_windows(EVENT, coords, CONFIG)
    model = TauPyModel("iasp91")
    for name, (dist, start, end) in w.items():
        arr = model.get_travel_times(0.0, dist, ["P", "p", "Pn", "Pg", "S", "s", "Sn"])
        p = min(a.time for a in arr if a.name.upper().startswith("P"))
        s = min(a.time for a in arr if a.name.upper().startswith("S"))
        assert start == pytest.approx(EVENT.time + p - CONFIG.before, abs=2.0), name
        assert end >= EVENT.time + s + CONFIG.after - 2.0, name
    assert w["A.NEAR"][1] < w["A.FAR"][1] < w["A.TELE"][1]


def test_fetch_gets_what_the_store_holds(setup, tmp_path: Path) -> None:  # noqa: ANN001
    _store, files, url = setup
    report = fetch_event(url, EVENT, tmp_path, CONFIG)
    assert sorted(report.stations[:2]) == ["TB.AA1", "TB.AA2"]  # nearest first
    assert report.stations[2:] == ["IU.BST"]  # OLD is too far
    assert not report.missing and not report.partial
    names = sorted(p.name for p in (tmp_path / "stations").glob("*.xml"))
    assert names == ["IU.BST.xml", "TB.AA1.xml", "TB.AA2.xml", "TB.AAR.xml"]
    waves = sorted((tmp_path / "waveforms").glob("*.mseed"))
    assert len(waves) == 5  # AA1, AA2 SHZ; BST BH[ZNE]
    windows = station_windows(EVENT, {k: COORDS[k.split(".")[1]] for k in report.stations}, CONFIG)
    for path in waves:
        tr = read(str(path))[0]
        _d, t0, t1 = windows[f"{tr.stats.network}.{tr.stats.station}"]
        ref = read(str(files[tr.id][0]))
        for extra in files[tr.id][1:]:
            ref += read(str(extra))
        ref.merge(method=-1)
        ref.trim(UTCDateTime(t0), UTCDateTime(t1), nearest_sample=False)
        assert tr.stats.starttime == ref[0].stats.starttime
        np.testing.assert_array_equal(tr.data, ref[0].data)
    net, _problems = read_network(tmp_path / "stations")
    assert net.arrays() == {"AAR": ["AA1", "AA2"]}
    assert "IMS_PRI" in net.station("AAR").affiliations
    assert net.response("BST", "BHZ") is not None
    assert (tmp_path / "fetch-report.txt").read_text().startswith("testban fetch from")

    again = fetch_event(url, EVENT, tmp_path, CONFIG)  # resumption: nothing asked again
    assert again.written == []
    assert len(again.skipped) == len(names) + len(waves)


def test_missing_and_partial_are_reported(setup, tmp_path: Path) -> None:  # noqa: ANN001
    _store, _files, url = setup
    late = FetchEvent(T0 + SPAN + 3600.0, EVENT.lat, EVENT.lon)
    report = fetch_event(url, late, tmp_path / "late", CONFIG)
    assert sorted(sid for sid, _ in report.missing) == [
        "IU.BST..BHE", "IU.BST..BHN", "IU.BST..BHZ", "TB.AA1..SHZ", "TB.AA2..SHZ",
    ]  # fmt: skip
    assert "no data in the window" in report.text()
    edge = FetchEvent(T0 + SPAN - 100.0, EVENT.lat, EVENT.lon)
    report = fetch_event(url, edge, tmp_path / "edge", CONFIG)
    assert not report.missing
    fractions = dict(report.partial)
    assert set(fractions) == {"IU.BST..BHE", "IU.BST..BHN", "IU.BST..BHZ", "TB.AA1..SHZ",
                              "TB.AA2..SHZ"}  # fmt: skip
    assert all(0.0 < f < 0.99 for f in fractions.values())


def test_cli_fetch(setup, tmp_path: Path) -> None:  # noqa: ANN001
    from testban.cli import app

    store, _files, url = setup
    with store.session() as s:
        insert_tables(s, {"origin": [Origin(lat=EVENT.lat, lon=EVENT.lon, depth=0.0,
                                             time=EVENT.time, orid=77, evid=77,
                                             jdate=jdate(EVENT.time))]})  # fmt: skip
    db = store.engine.url.database
    result = CliRunner().invoke(
        app, ["fetch", url, "--out", str(tmp_path), "--evid", "77", "--store", str(db),
              "--maxdist", "20", "--before", "60", "--after", "120"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "stations in range: 3" in result.output
    assert len(list((tmp_path / "waveforms").glob("*.mseed"))) == 5, result.output
    bad = CliRunner().invoke(app, ["fetch", url, "--out", str(tmp_path)])
    assert bad.exit_code != 0


def test_event_parsing(setup) -> None:  # noqa: ANN001
    ev = event_from_text("2024-05-01T00:05:00,44,12,10")
    assert ev == FetchEvent(T0 + 300.0, 44.0, 12.0, 10.0)
    for bad in ("2024-05-01,44", "yesterday,44,12", "2024-05-01,95,12"):
        with pytest.raises(ValueError):
            event_from_text(bad)
    with pytest.raises(LookupError):
        event_from_store(setup[0], 123456)
