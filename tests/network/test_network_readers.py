"""Readers on synthetic files: StationXML, CSS3.0 (flat and CSV), geometry, CSV, dispatch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from obspy import UTCDateTime

from testban.network import (
    Network,
    evaluate,
    ims,
    read_array_geometry,
    read_array_response,
    read_css30,
    read_network,
    read_station_csv,
    read_stationxml,
    write_css30,
    write_stationxml,
)
from testban.network.response import ResponseFileError, calibrated

# ----------------------------------------------------------------------------- StationXML


def _inventory_file(path: Path) -> Path:
    from obspy import Inventory
    from obspy.core.inventory import Channel, Site, Station
    from obspy.core.inventory import Network as XNetwork

    def channel(code: str, start: str, end: str | None, rate: float) -> Channel:
        return Channel(
            code,
            "00",
            45.0,
            7.0,
            500.0,
            10.0,
            azimuth=0.0,
            dip=-90.0,
            sample_rate=rate,
            start_date=UTCDateTime(start),
            end_date=UTCDateTime(end) if end else None,
        )

    old = Station(
        "ABC",
        45.0,
        7.0,
        400.0,
        site=Site("Old site"),
        start_date=UTCDateTime("2000-01-01"),
        end_date=UTCDateTime("2010-01-01"),
        channels=[channel("BHZ", "2000-01-01", "2010-01-01", 20.0)],
    )
    new = Station(
        "ABC",
        45.001,
        7.0,
        500.0,
        site=Site("New site"),
        start_date=UTCDateTime("2010-01-01"),
        channels=[
            channel("BHZ", "2010-01-01", "2015-01-01", 40.0),
            channel("BHZ", "2015-01-01", None, 100.0),
        ],
    )
    inv = Inventory(networks=[XNetwork("ZZ", stations=[old, new])], source="test")
    inv.write(str(path), format="STATIONXML")
    return path


def test_stationxml_epochs(tmp_path: Path):
    path = _inventory_file(tmp_path / "abc.xml")
    net, problems = read_stationxml(path)
    assert problems == []
    assert net.coordinates("ABC") == (45.001, 7.0, 0.5)
    assert net.sampling_rate("ABC", "BHZ") == 100.0
    assert net.sampling_rate("ABC", "00.BHZ") == 100.0
    assert net.station("ABC").network == "ZZ" and net.stations("ZZ") == ["ABC"]
    assert net.channel("ABC", "BHZ").vang == 0.0 and net.channel("ABC", "BHZ").edepth == 0.01
    assert (net.station("ABC").ondate, net.station("ABC").offdate) == (2010001, -1)
    net_2012, _ = read_stationxml(path, at=UTCDateTime("2012-06-01"))
    assert net_2012.sampling_rate("ABC", "BHZ") == 40.0
    net_2005, _ = read_network(path, at=UTCDateTime("2005-06-01"))
    assert net_2005.coordinates("ABC")[0] == 45.0 and net_2005.station("ABC").name == "Old site"


def test_stationxml_round_trip_keeps_arrays(tmp_path: Path, small_network: Network, make_css):
    path = write_stationxml(small_network, tmp_path / "net.xml")
    back, problems = read_network(path)
    assert problems == []
    assert back.arrays() == small_network.arrays()
    np.testing.assert_allclose(back.offsets("TSAR"), small_network.offsets("TSAR"), atol=1e-5)
    css, _ = read_css30(make_css(tmp_path / "css"))
    again, _ = read_network(write_stationxml(css, tmp_path / "css.xml", net="IM"))
    assert again.station("TSS").ondate == 2010001 and again.station("TS01").offdate == -1
    assert again.stations("IM") == list(css.codes)
    assert back.stations("primary") == ["TSAR"]
    assert back.channel("TSS", "BHN").hang == 0.0 and back.channel("TSS", "BHN").vang == 90.0


def test_not_stationxml_is_a_problem(tmp_path: Path):
    path = tmp_path / "bad.xml"
    path.write_text("<html>not station xml</html>")
    net, problems = read_stationxml(path)
    assert len(net) == 0 and "not readable as StationXML" in problems[0].message


# --------------------------------------------------------------------------------- CSS3.0


@pytest.mark.parametrize(("fmt", "layout"), [("flat", "css3.0"), ("flat", "idc"), ("csv", "")])
def test_css30_tables(tmp_path: Path, make_css, make_paz, element_offsets, fmt, layout):
    source = make_css(tmp_path, fmt, layout or "css3.0")
    make_paz(tmp_path / "responses" / "ts.paz")
    net, problems = read_css30(source)
    assert set(net.codes) == {"TSAR", "TS01", "TS02", "TS03", "TS04", "TSS"}
    assert net.arrays() == {"TSAR": ["TS01", "TS02", "TS03", "TS04"]}
    np.testing.assert_allclose(net.offsets("TSAR"), list(element_offsets.values()), atol=1e-9)
    # Latest epoch by default; the closed short-period channel is gone.
    assert net.coordinates("TSS") == (61.001, 12.002, 1.25)
    assert [c.code for c in net.channels("TSS")] == ["BHZ", "BHN"]
    assert net.sampling_rate("TSS", "BHZ") == 20.0 and net.sampling_rate("TS01", "SHZ") == 40.0
    assert net.stations("primary") == ["TSAR"] and net.stations("auxiliary") == ["TSS"]
    # Response: the PAZ file exists for inid 1, calibrated to 1/0.5 counts/nm at 1 Hz.
    resp = net.response("TS01", "SHZ")
    assert resp is not None
    assert abs(evaluate(resp, np.array([1.0]))[0]) == pytest.approx(2.0)
    assert net.response("TSS", "BHZ") is None
    messages = [p.message for p in problems]
    missing = [m for m in messages if "missing.fap" in m]
    assert len(missing) == 1  # once per instrument, not per channel
    assert any("unknown site NOPE" in m for m in messages)


def test_css30_epoch_at_a_time(tmp_path: Path, make_css):
    source = make_css(tmp_path)
    net, _ = read_css30(source, at=UTCDateTime("2005-03-01"))
    assert net.coordinates("TSS")[:2] == (61.0, 12.0)
    assert [c.code for c in net.channels("TSS")] == ["sz"]
    assert net.sampling_rate("TSS", "sz") is None  # no sensor row for it


def test_css30_bad_rows_are_reported_and_the_rest_kept(tmp_path: Path, make_css):
    source = make_css(tmp_path)
    site = source.with_name("test.site")
    lines = site.read_text().splitlines()
    lines[2] = lines[2][:30] + "  abc.def" + lines[2][39:]  # TS02's latitude
    site.write_text("\n".join(lines) + "\n")
    net, problems = read_network(source)
    assert "TS02" not in net and "TS03" in net
    assert any(p.record == "line 3" and "lat" in str(p) for p in problems)


def test_css30_round_trip_through_writers(tmp_path: Path, small_network: Network):
    write_css30(small_network, tmp_path / "out" / "syn", layout="idc")
    back, problems = read_network(tmp_path / "out" / "syn")
    assert problems == []
    assert back.arrays() == small_network.arrays()
    np.testing.assert_allclose(back.offsets("TSAR"), small_network.offsets("TSAR"), atol=1e-3)
    assert back.sampling_rate("TSS", "BHE") == 20.0
    write_css30(small_network, tmp_path / "csv", fmt="csv")
    again, _ = read_network(tmp_path / "csv")
    assert again.stations("auxiliary") == ["TSS"]


# ----------------------------------------------------------------------------- geometry


def test_geometry_file(tmp_path: Path, small_network: Network):
    path = tmp_path / "TSAR.geom"
    rows = [
        f"{c}  SHZ  {small_network.coordinates(c)[0]:.7f}  {small_network.coordinates(c)[1]:.7f}"
        for c in small_network.elements("TSAR")
    ]
    rows += ["TS05  SHZ", "TS06  12.x 4.0", "TS07  61.0  10.0  0.250"]
    path.write_text("7 60.0000000 10.0000000\n" + "\n".join(rows) + "\n")
    net, problems = read_array_geometry(path)
    assert net.elements("TSAR") == ["TS01", "TS02", "TS03", "TS04", "TS07"]
    assert net.station("TSAR").statype == "ar"
    assert net.coordinates("TS07")[2] == 0.25 and net.coordinates("TS01")[2] is None
    np.testing.assert_allclose(net.offsets("TSAR")[:4], small_network.offsets("TSAR"), atol=1e-3)
    assert [p.seed_id for p in problems] == ["TS05", "TS06"]
    assert problems[0].record == "line 6"


# ---------------------------------------------------------------------------------- CSV


def test_csv_with_a_corrupt_row(tmp_path: Path):
    path = tmp_path / "stations.csv"
    path.write_text(
        "sta,lat,lon,elev,refsta\n"
        "AR01,50.0,8.0,0.2,ARR\n"
        "AR02,50.01,north,0.2,ARR\n"
        "AR03,50.0,8.02,0.2,ARR\n"
        "ARR,50.005,8.01,0.2,ARR\n"
        "SOLO,10.0,20.0,,\n"
    )
    net, problems = read_station_csv(path)
    assert net.codes == ("AR01", "AR03", "ARR", "SOLO")
    assert len(problems) == 1 and problems[0].record == "line 3" and problems[0].seed_id == "AR02"
    assert net.elements("ARR") == ["AR01", "AR03"]
    assert net.coordinates("SOLO") == (10.0, 20.0, None)
    assert net.offsets("ARR").shape == (2, 2)


def test_csv_ims_layout_merges_networks_and_epochs(tmp_path: Path):
    path = tmp_path / "ims.csv"
    path.write_text(
        "network,sta,lat,lon,elev_km,staname,statype,refsta,ondate,offdate\n"
        'IMS_AUX,XYZ,1.0,2.0,0.5,"Somewhere, Land",ss,XYZ,2000001,2286324\n'
        "IMS_INF,XYZ,1.0,2.0,0.5,Somewhere,ss,XYZ,2000001,2286324\n"
        "IMS_PRI,OLD,3.0,4.0,0.1,Old,ss,OLD,1990001,2000001\n"
    )
    net, problems = read_network(path)
    assert problems == []
    assert net.station("XYZ").affiliations == ("IMS_AUX", "IMS_INF")
    assert net.station("XYZ").name == "Somewhere, Land"
    later, _ = read_network(path, at=UTCDateTime("2005-01-01"))
    assert "OLD" not in later and "XYZ" in later


def test_csv_without_coordinates_columns(tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text("name,x,y\nA,1,2\n")
    net, problems = read_station_csv(path)
    assert len(net) == 0 and "no sta, lat, lon column" in problems[0].message


# ---------------------------------------------------------------------------- dispatcher


def test_read_network_merges_several_sources(tmp_path: Path, make_css, small_network: Network):
    css = make_css(tmp_path)
    xml = _inventory_file(tmp_path / "abc.xml")
    csv = tmp_path / "s.csv"
    csv.write_text("sta,lat,lon,elev\nTS01,60.0,10.0,0.5\n")
    net, _ = read_network([css, xml, csv])
    assert {"TSAR", "TSS", "ABC"} <= set(net.codes)
    assert net.coordinates("TS01") == (60.0, 10.0, 0.5)  # the later source wins...
    assert net.array_of("TS01") == "TSAR"  # ...but array membership is kept
    also, _ = read_network(f"{css},{xml}")
    assert set(also.codes) == set(net.codes)
    flat_file, _ = read_network(css.with_name("test.sitechan"))  # a table file: its prefix
    assert set(flat_file.codes) == set(net.codes) - {"ABC"}


def test_ims_missing_source_explains(tmp_path):
    with pytest.raises(FileNotFoundError, match="IMS station tables not found"):
        ims(tmp_path / "nothing")


def test_read_network_errors(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="not found"):
        read_network(tmp_path / "nothing")
    odd = tmp_path / "odd.txt"
    odd.write_text("hello")
    with pytest.raises(ValueError, match="cannot tell the station metadata format"):
        read_network(odd)


# ----------------------------------------------------------------------------- responses


def test_paz_response(tmp_path: Path, make_paz):
    resp = read_array_response(make_paz(tmp_path / "x.paz"))
    freqs = np.array([0.1, 1.0, 10.0])
    h = evaluate(resp, freqs)
    s = 2j * np.pi * freqs
    want = s**3 / ((s - (-4.4429 + 4.4429j)) * (s - (-4.4429 - 4.4429j)))
    np.testing.assert_allclose(h, want, rtol=1e-12)
    obspy_h = resp.get_evalresp_response_for_frequencies(freqs, output="DISP") / 1e9  # per nm
    np.testing.assert_allclose(obspy_h, h, rtol=1e-6)
    cal = calibrated(resp, 0.25, 2.0)
    assert abs(evaluate(cal, np.array([0.5]))[0]) == pytest.approx(4.0)


def test_fap_response(tmp_path: Path):
    freqs = np.linspace(0.1, 10.0, 40)
    phase = -200.0 * np.log10(freqs) + 180.0  # passes through ±360 at the top
    lines = [" theoretical  0   instrument    fap ", str(len(freqs))]
    lines += [f"{f:12.6f} {f:12.6f} {p:12.6f} 0.0 0.0" for f, p in zip(freqs, phase, strict=True)]
    path = tmp_path / "x.fap"
    path.write_text("\n".join(lines) + "\n")
    resp = read_array_response(path)
    h = evaluate(resp, np.array([1.0, 5.0]))
    assert abs(h[0]) == pytest.approx(1.0, rel=0.01) and abs(h[1]) == pytest.approx(5.0, rel=0.01)
    want = np.radians(-200.0 * np.log10(5.0) + 180.0)
    assert np.angle(h[1] * np.exp(-1j * want)) == pytest.approx(0.0, abs=0.01)


def test_unknown_response_layout(tmp_path: Path):
    path = tmp_path / "x.resp"
    path.write_text("something else\n1 2 3\n")
    with pytest.raises(ResponseFileError):
        read_array_response(path)
