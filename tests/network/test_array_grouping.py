"""Arrays from station metadata that does not say so (issue 11 item 3).

Synthetic FDSN-style inventories first (no shared data needed), then the real station
files of the shared data: YKA and GRF must come out as arrays, and nothing else there
(IMS tables, DPRK regional stations, Salton Sea stations) may be grouped by accident.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import pytest

from testban.network import (
    Channel,
    Network,
    Station,
    apply_array_map,
    find_arrays,
    group_arrays,
    parse_array_spec,
    read_network,
)
from testban.network.ims import ims
from tests.conftest import shared_path

SHZ = (Channel("SHZ", 20.0, vang=0.0),)
BHZ = (Channel("BHZ", 40.0, vang=0.0),)


def at(east_km: float, north_km: float, lat0: float = 45.0, lon0: float = 10.0) -> tuple:
    """Lat/lon ``east``/``north`` km from (lat0, lon0) (a flat approximation: enough here)."""
    return lat0 + north_km / 111.19, lon0 + east_km / (111.19 * math.cos(math.radians(lat0)))


def fdsn(code: str, east: float, north: float, net: str = "XX", chans=SHZ) -> Station:
    """A station as read from an FDSN StationXML: a network code, no array attributes."""
    return Station(
        code, *at(east, north), elev=0.1, network=net, affiliations=(net,), channels=chans
    )


def xa_inventory() -> list[Station]:
    """XX.XA01..XA09 on a 3 x 3 grid 2 km apart (4 km aperture), plus XX.FAR1 and XX.XA10
    200 km away (XA10 shares the code pattern, so only distance keeps it out)."""
    grid = [fdsn(f"XA{i + 1:02d}", 2.0 * (i % 3), 2.0 * (i // 3)) for i in range(9)]
    return [*grid, fdsn("FAR1", 200.0, 0.0), fdsn("XA10", 0.0, 200.0)]


def test_fdsn_style_inventory_is_grouped_into_one_array():
    net = group_arrays(Network(xa_inventory()))
    assert net.arrays() == {"XAA": [f"XA{i:02d}" for i in range(1, 10)]}
    assert net.array_of("FAR1") is None and net.array_of("XA10") is None
    assert net["XAA"].statype == "ar" and net["XAA"].network == "XX"
    # the reference point is the elements' centroid: the grid's centre element
    assert abs(net["XAA"].lat - net["XA05"].lat) < 1e-6
    assert abs(net["XAA"].lon - net["XA05"].lon) < 1e-6


def test_fdsn_stationxml_file_is_grouped_by_read_network(tmp_path: Path):
    # written as FDSN serves it: plain ObsPy inventory, none of testban's CSS3.0 extras
    from obspy import Inventory
    from obspy.core.inventory import Channel as XChannel
    from obspy.core.inventory import Network as XNetwork
    from obspy.core.inventory import Station as XStation

    stations = [
        XStation(
            s.code,
            s.lat,
            s.lon,
            100.0,
            channels=[XChannel("SHZ", "", s.lat, s.lon, 100.0, 0.0, sample_rate=20.0)],
        )
        for s in xa_inventory()
    ]
    path = tmp_path / "xx.xml"
    Inventory(networks=[XNetwork("XX", stations=stations)], source="test").write(
        str(path), "STATIONXML"
    )
    net, problems = read_network(path)
    assert problems == [] and net.elements("XAA") == [f"XA{i:02d}" for i in range(1, 10)]
    assert net.array_of("FAR1") is None
    raw, _ = read_network(path, group=False)
    assert raw.arrays() == {} and len(raw) == 11


def test_chain_link_distance_decides():
    """Elements chained 25 km apart form an array (GRF-like); 35 km apart they do not."""
    near = Network(fdsn(f"GX{i}", 25.0 * i, 0.0) for i in range(1, 5))
    far = Network(fdsn(f"GX{i}", 35.0 * i, 0.0) for i in range(1, 5))
    assert [g.elements for g in find_arrays(near)] == [("GX1", "GX2", "GX3", "GX4")]
    assert find_arrays(far) == []


def test_ordinary_networks_are_not_arrays():
    # named stations (no element index), as the German broadbands around GRF
    named = [fdsn(c, 5.0 * i, 0.0, net="GR") for i, c in enumerate(["BFO", "BUG", "BRG", "BSEG"])]
    # co-located sensors numbered like elements: no aperture
    colocated = [fdsn(c, 0.0, 0.0, net="IU") for c in ("PMG00", "PMG10", "PMG60")]
    # two elements only
    pair = [fdsn("ZZ1", 0.0, 0.0, net="ZZ"), fdsn("ZZ2", 1.0, 0.0, net="ZZ")]
    # one pattern, but in two networks
    split = [
        fdsn("QA1", 0.0, 0.0, net="Q1"),
        fdsn("QA2", 1.0, 0.0, net="Q1"),
        fdsn("QA3", 2.0, 0.0, net="Q2"),
    ]
    # stations without an FDSN network code (CSV, CSS3.0 without refsta) are left alone
    bare = [Station(f"NB{i}", *at(i, 0.0)) for i in range(1, 6)]
    assert find_arrays(Network([*named, *colocated, *pair, *split, *bare])) == []


def test_different_instruments_are_different_arrays():
    """Short-period and broadband sensors at one site (CMAR's CM01-18 vs CM31-36) are not
    matched instruments: they are not beamed together."""
    sp = [fdsn(f"CM0{i}", i, 0.0, net="IM", chans=SHZ) for i in range(1, 5)]
    bb = [fdsn(f"CM3{i}", i, 1.0, net="IM", chans=BHZ) for i in range(1, 5)]
    groups = {g.elements for g in find_arrays(Network([*sp, *bb]))}
    assert groups == {tuple(s.code for s in sp), tuple(s.code for s in bb)}


def noa_wra_inventory() -> list[Station]:
    """FDSN-style NORSAR and Warramunga: sub-arrays (NAO, NB2, NBO, NC2..NC6: a centre
    element and a 3-4 km ring of five) about 22-28 km apart, and an L of two 10-element
    lines, elements 2.5 km apart (WR0-WR10 east, WB0-WB9 north)."""
    subs = {"NB2": (0, 0), "NBO": (-23, 0), "NAO": (-20, -24), "NC2": (-20, 26),
            "NC3": (11, 25), "NC4": (27, 4), "NC6": (13, -31)}  # fmt: skip
    noa = []
    for name, (e, n) in subs.items():
        ring = [(0.0, 0.0)] + [
            (3.5 * math.sin(math.radians(72 * k)), 3.5 * math.cos(math.radians(72 * k)))
            for k in range(5)
        ]
        noa += [fdsn(f"{name}{j:02d}", e + de, n + dn, net="NO") for j, (de, dn) in
                enumerate(ring)]  # fmt: skip
    wra = [fdsn(f"WR{i}", 2.5 * i, 0.0, net="AU") for i in range(11)]
    wra += [fdsn(f"WB{i}", 0.0, 2.5 * (i + 1), net="AU") for i in range(10)]
    # other stations of the same networks, named, or numbered but far away
    others = [fdsn("KONO", 60.0, -80.0, net="NO"), fdsn("WRAB", 5.0, 200.0, net="AU"),
              fdsn("WC1", 400.0, 0.0, net="AU"), fdsn("WC2", 402.0, 0.0, net="AU")]  # fmt: skip
    return [*noa, *wra, *others]


def test_arrays_whose_elements_share_one_letter_are_grouped_whole():
    """NORSAR's sub-arrays and Warramunga's two lines come out as one array each (the
    two-letter rule split them), named after the largest two-letter family."""
    inv = noa_wra_inventory()
    groups = {g.name: g for g in find_arrays(Network(inv))}
    assert sorted(groups) == ["NCA", "WRA"], groups
    noa = [s.code for s in inv if s.network == "NO" and s.code != "KONO"]
    assert set(groups["NCA"].elements) == set(noa) and len(noa) == 42
    assert 60.0 < groups["NCA"].aperture_km < 80.0  # NOA's aperture: 77 km
    wra = {f"WR{i}" for i in range(11)} | {f"WB{i}" for i in range(10)}
    assert set(groups["WRA"].elements) == wra
    # a numbered pair 400 km away is no part of it, and two stations are no array
    assert all(groups[n].network == net for n, net in (("NCA", "NO"), ("WRA", "AU")))


def test_array_stated_by_the_metadata_is_kept():
    net = Network(xa_inventory()).define_array("XARR", [f"XA{i:02d}" for i in range(1, 5)])
    out = group_arrays(net)
    assert out.elements("XARR") == ["XA01", "XA02", "XA03", "XA04"]
    assert out.elements("XAA") == [f"XA{i:02d}" for i in range(5, 10)]


def test_names_follow_the_ims_habit():
    """YK.. → YKA; GRA1.. → GRAR (GRA would read as the A sub-array); taken → numbered."""
    yk = [fdsn(c, i, 0.0, net="CN") for i, c in enumerate(["YKR1", "YKR2", "YKB1"])]
    gr = [fdsn(f"GR{c}{i}", i, 3.0 * j, net="GR") for j, c in enumerate("AB") for i in (1, 2)]
    taken = Station("YKA", *at(900.0, 0.0), network="CN")
    names = {g.name for g in find_arrays(Network([*yk, *gr, taken]))}
    assert names == {"YKAR", "GRAR"}


# ---------------------------------------------------------------------- explicit mapping


def test_parse_array_spec_repeatable_and_file(tmp_path: Path):
    f = tmp_path / "arrays.txt"
    f.write_text("# IMS arrays as FDSN names them\nGRF = GR.GRA*, GR.GRB* GR.GRC*\n\n")
    got = parse_array_spec(["YKA=CN.YKR*,CN.YKB*", "yka=CN.YKW*", str(f)])
    assert got == {
        "YKA": ["CN.YKR*", "CN.YKB*", "CN.YKW*"],
        "GRF": ["GR.GRA*", "GR.GRB*", "GR.GRC*"],
    }
    assert parse_array_spec([]) == {} and parse_array_spec(["none"]) is None


@pytest.mark.parametrize("bad", ["YKA", "YKA=", "=CN.YK*", "TOOLONGNAME=CN.YK*", "Y-A=CN.YK*"])
def test_parse_array_spec_rejects(bad: str):
    with pytest.raises(ValueError, match="NAME=NET.STA"):
        parse_array_spec([bad])


def test_parse_array_spec_names_the_file_line(tmp_path: Path):
    f = tmp_path / "arrays.txt"
    f.write_text("YKA=CN.YK*\nnonsense line\n")
    with pytest.raises(ValueError, match=r"arrays.txt line 2"):
        parse_array_spec([str(f)])


def test_array_map_overrides_automatic_and_metadata():
    auto = group_arrays(Network(xa_inventory()))
    net = apply_array_map(auto, {"XW": ["XX.XA0[1-4]"], "XE": ["XA05", "xa06", "XX.FAR1"]})
    assert net.elements("XW") == ["XA01", "XA02", "XA03", "XA04"]
    assert net.elements("XE") == ["XA05", "XA06", "FAR1"]
    assert net.elements("XAA") == ["XA07", "XA08", "XA09"]  # what the mapping left
    assert apply_array_map(auto, {}) is auto


def test_array_map_errors():
    net = Network(xa_inventory())
    with pytest.raises(ValueError, match="matches no station"):
        apply_array_map(net, {"YKA": ["CN.YK*"]})
    with pytest.raises(ValueError, match="XA01 is in both"):
        apply_array_map(net, {"A1": ["XA0*"], "A2": ["XA01"]})
    with pytest.raises(ValueError, match="matches no station"):  # network part must match
        apply_array_map(net, {"A1": ["YY.XA0*"]})


# ------------------------------------------------------------------- shared station files


@pytest.mark.shared
def test_yka_and_grf_from_fdsn_stationxml():
    yka, _ = read_network(shared_path("arrays", "yka_20120814", "array_yellowknife.xml"))
    assert yka.arrays() == {"YKA": [s.code for s in yka if s.code != "YKA"]}
    assert len(yka.elements("YKA")) == 18
    grf, _ = read_network(shared_path("arrays", "grf_19911217", "array_grf.xml"))
    assert sorted(grf.arrays()) == ["GRAR"]
    assert {c[:3] for c in grf.elements("GRAR")} == {"GRA", "GRB", "GRC"}
    assert len(grf.elements("GRAR")) == 13
    # the German broadbands 60-300 km away stay single stations
    assert all(grf.array_of(c) is None for c in ("BFO", "BUG", "CLZ", "FUR", "TNS", "WET"))


@pytest.mark.shared
def test_ims_elements_as_one_fdsn_network_never_merge_two_arrays():
    """The IMS tables with their array structure removed and every element put in one
    network (as FDSN's IM network serves them): each group found lies within one IMS
    station, and most IMS arrays are found."""
    tables = shared_path("stations", "ims_css30", "ueb_test.site").with_suffix("")
    net = ims(tables)
    owner = {e: a for a, es in net.arrays().items() for e in es}
    flat = Network(
        dataclasses.replace(s, refsta=s.code, statype="ss", dnorth=None, deast=None, network="IM")
        for s in net
        if s.statype != "ar"
    )
    groups = find_arrays(flat)
    for g in groups:
        # H10N/H10S are the two hydrophone triplets of one station, H10 (Ascension)
        assert len({owner[e][:3] for e in g.elements if e in owner}) <= 1, g
    seismic = [a for a, es in net.arrays().items() if len(es) >= 9 and not a.startswith(("H", "I"))]
    found = {owner[g.elements[0]] for g in groups if g.elements[0] in owner}
    assert set(seismic) <= found
    # NOA (NAO/NB2/NBO/NC2-NC6 sub-arrays) and WRA (WR and WB lines) share one letter
    # only: each comes out whole, one group holding every element the IMS tables list
    for array in ("NOA", "WRA"):
        whole = [g for g in groups if {owner.get(e) for e in g.elements} == {array}]
        assert len(whole) == 1, (
            array,
            [
                g.elements
                for g in groups
                if g.elements[0] in owner and owner[g.elements[0]] == array
            ],
        )
        assert set(whole[0].elements) == set(net.elements(array)), array


@pytest.mark.shared
def test_dprk_regional_stations_are_not_grouped():
    stations = {}
    for f in sorted(shared_path("dprk_regional").glob("*/station_file.txt")):
        for line in f.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 4:
                stations[parts[0]] = fdsn_at(parts[0], parts[1], float(parts[2]), float(parts[3]))
    assert len(stations) >= 8
    assert find_arrays(Network(stations.values())) == []


@pytest.mark.shared
def test_salton_sea_stations_are_not_grouped():
    path = shared_path("association", "stations_test.csv")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    stations = {}
    for r in rows:
        net, sta = r["station"].split(".")[:2]
        stations[sta] = fdsn_at(sta, net, float(r["lat"]), float(r["lng"]))
    assert len(stations) >= 10
    assert find_arrays(Network(stations.values())) == []


def fdsn_at(code: str, net: str, lat: float, lon: float) -> Station:
    return Station(code, lat, lon, network=net, affiliations=(net,))
