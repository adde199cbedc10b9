"""The Network model on a synthetic array: lookups, offsets, kinds, merging, writers."""

from __future__ import annotations

import numpy as np
import pytest

from testban.network import (
    Channel,
    Network,
    Station,
    UnknownChannel,
    UnknownStation,
    computed_offsets,
    local_offsets,
)


def test_lookups(small_network: Network):
    net = small_network
    assert len(net) == 6 and "TSS" in net
    assert net.coordinates("TSS") == (61.0, 12.0, 1.2)
    assert net.arrays() == {"TSAR": ["TS01", "TS02", "TS03", "TS04"]}
    assert net.array_of("TS03") == "TSAR"
    assert net.array_of("TSAR") == "TSAR"
    assert net.array_of("TSS") is None
    assert net.elements("TSAR") == ["TS01", "TS02", "TS03", "TS04"]
    assert [c.code for c in net.channels("TSS")] == ["BHZ", "BHN", "BHE"]
    assert net.sampling_rate("TS02", "SHZ") == 40.0
    assert net.response("TS02", "SHZ") is None
    assert net.channel("TSS", "BHE").hang == 90.0


def test_unknown_station_is_a_keyerror_with_a_clear_message(small_network: Network):
    with pytest.raises(UnknownStation, match="unknown station 'XYZ'") as err:
        small_network.coordinates("XYZ")
    assert isinstance(err.value, KeyError)
    with pytest.raises(KeyError):
        small_network.lat(["TS01", "XYZ"])
    with pytest.raises(UnknownStation, match="unknown array 'TSS'"):
        small_network.elements("TSS")
    with pytest.raises(UnknownChannel, match="has no channel 'HHZ'; it has: BHZ, BHN, BHE"):
        small_network.sampling_rate("TSS", "HHZ")


def test_vectorised_coordinates(small_network: Network):
    codes = ["TSS", "TS01", "TSS"]
    lat, lon, elev = small_network.lat(codes), small_network.lon(codes), small_network.elev(codes)
    assert isinstance(lat, np.ndarray) and lat.shape == (3,)
    assert lat[0] == lat[2] == 61.0 and lon[0] == 12.0 and elev[1] == pytest.approx(0.31)
    assert small_network.lat().shape == (6,)
    with pytest.raises(ValueError):
        small_network.lat()[0] = 0.0  # read-only: a stage cannot corrupt the network


def test_offsets_from_latlon_match_the_construction(small_network, element_offsets):
    got = small_network.offsets("TSAR")
    want = np.array([element_offsets[c] for c in small_network.elements("TSAR")])
    np.testing.assert_allclose(got, want, atol=0.002)


def test_given_offsets_win_over_latlon(small_network: Network):
    s = small_network.station("TS02")
    moved = Network([*small_network, Station(**{**_fields(s), "deast": 9.0, "dnorth": 1.0})])
    assert moved.offsets("TSAR")[1].tolist() == [9.0, 1.0]
    np.testing.assert_allclose(computed_offsets(moved, "TSAR")[1], [3.0, 0.0], atol=0.002)


def test_local_offsets_against_obspy_geodesics():
    from obspy.geodetics import gps2dist_azimuth

    lat = np.array([62.6059, 62.40, 62.55])
    lon = np.array([-114.606, -114.80, -114.40])
    ref = (62.4931, -114.6062)
    got = local_offsets(*ref, lat, lon)
    for (e, n), la, lo in zip(got, lat, lon, strict=True):
        dist, az, _ = gps2dist_azimuth(*ref, la, lo)
        want = dist / 1000.0 * np.array([np.sin(np.radians(az)), np.cos(np.radians(az))])
        assert np.hypot(e - want[0], n - want[1]) < 0.002  # within 2 m over ~13 km


def test_kinds(small_network: Network):
    assert small_network.stations("primary") == ["TSAR"]
    assert small_network.stations("auxiliary") == ["TSS"]
    assert small_network.stations("infrasound") == []
    assert small_network.stations("IMS_AUX") == ["TSS"]
    assert small_network.stations("primary", expand=True) == [
        "TSAR",
        "TS01",
        "TS02",
        "TS03",
        "TS04",
    ]
    assert len(small_network.stations()) == 6
    with pytest.raises(ValueError, match="unknown station kind 'primay'"):
        small_network.stations("primay")


def test_merge_keeps_what_only_the_first_knows(small_network: Network):
    # A second source (say a StationXML) with TS01 at a new position, no array information.
    other = Network(
        [
            Station("TS01", 60.0001, 10.0, channels=(Channel("SHZ", None, vang=0.0),)),
            Station("NEW", 1.0, 2.0),
        ]
    )
    merged = small_network.merge(other)
    assert len(merged) == 7
    assert merged.coordinates("TS01")[0] == 60.0001
    assert merged.array_of("TS01") == "TSAR"  # array membership kept
    assert merged.sampling_rate("TS01", "SHZ") == 40.0  # gap filled from the first
    assert merged.coordinates("TS01")[2] == pytest.approx(0.31)


def test_define_array_for_sources_without_structure():
    net = Network([Station(f"E{i}", 50.0 + 0.01 * i, 8.0 + 0.01 * (i % 2)) for i in range(4)])
    assert net.arrays() == {}
    arr = net.define_array("EAR", net.codes)
    assert arr.elements("EAR") == ["E0", "E1", "E2", "E3"]
    assert arr.station("EAR").statype == "ar"
    np.testing.assert_allclose(arr.offsets("EAR").mean(axis=0), 0.0, atol=1e-3)  # centroid


def test_select(small_network: Network):
    sub = small_network.select(["TSS", "TS01"])
    assert sub.codes == ("TSS", "TS01")
    assert sub.arrays() == {"TSAR": ["TS01"]}
    np.testing.assert_allclose(sub.offsets("TSAR"), [[0.0, 0.0]], atol=0.002)  # ref = centroid


def test_to_css30_records(small_network: Network):
    tables = small_network.to_css30()
    assert {s.sta for s in tables["site"]} == set(small_network.codes)
    ts02 = next(s for s in tables["site"] if s.sta == "TS02")
    assert (ts02.refsta, ts02.deast, ts02.dnorth) == (
        "TSAR",
        pytest.approx(3.0, abs=0.002),
        pytest.approx(0.0, abs=0.002),
    )
    assert len(tables["sitechan"]) == 7
    vertical = next(c for c in tables["sitechan"] if c.sta == "TSS" and c.chan == "BHZ")
    assert (vertical.hang, vertical.vang) == (-1.0, 0.0)
    assert {(a.net, a.sta) for a in tables["affiliation"]} == {
        ("IMS_PRI", "TSAR"),
        ("IMS_AUX", "TSS"),
    }
    assert {i.samprate for i in tables["instrument"]} == {40.0, 20.0}


def test_to_inventory(small_network: Network):
    inv = small_network.to_inventory("XX")
    assert [n.code for n in inv] == ["XX"]
    tss = inv.select(station="TSS")[0][0]
    assert tss.elevation == pytest.approx(1200.0)
    bhn = next(c for c in tss.channels if c.code == "BHN")
    assert (bhn.azimuth, bhn.dip, bhn.sample_rate) == (0.0, 0.0, 20.0)
    bhz = next(c for c in tss.channels if c.code == "BHZ")
    assert bhz.dip == -90.0
    ts02 = inv.select(station="TS02")[0][0]
    assert ts02.extra["refsta"]["value"] == "TSAR"


def _fields(station: Station) -> dict:
    return {f: getattr(station, f) for f in Station.__dataclass_fields__}
