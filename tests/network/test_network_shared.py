"""Station metadata readers on the real reference data in ../shared/data/stations and arrays.

Skipped (with the reason) when the shared data is absent.
"""

from __future__ import annotations

import csv
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from obspy import UTCDateTime

from testban.network import (
    KINDS,
    computed_offsets,
    evaluate,
    ims,
    local_offsets,
    read_array_geometry,
    read_array_response,
    read_css30,
    read_network,
)
from tests.conftest import SHARED_DATA, shared_path

pytestmark = pytest.mark.shared

# Empty lists (tests reported as skipped) when the shared data is absent.
GEOM_FILES = sorted(p.name for p in (SHARED_DATA / "stations" / "array_geometry").glob("*.geom"))
RESPONSE_FILES = sorted(p.name for p in (SHARED_DATA / "stations" / "array_responses").glob("*.*"))


@pytest.fixture(scope="module")
def ims_tables() -> Path:
    return shared_path("stations", "ims_css30", "ueb_test.site").with_suffix("")


@pytest.fixture(scope="module")
def reference_csv() -> dict[str, dict[str, list[str]]]:
    """``{network: {sta: row}}`` from ims_stations_2019.csv."""
    out: dict[str, dict] = defaultdict(dict)
    with open(shared_path("stations", "ims_stations_2019.csv"), newline="") as fh:
        for row in csv.DictReader(fh):
            out[row["network"]][row["sta"]] = row
    return out


def _km_apart(lat1, lon1, lat2, lon2) -> np.ndarray:
    return np.hypot(
        *local_offsets(
            float(np.mean(lat1)), float(np.mean(lon1)), np.asarray(lat1), np.asarray(lon1)
        ).T
        - local_offsets(
            float(np.mean(lat1)), float(np.mean(lon1)), np.asarray(lat2), np.asarray(lon2)
        ).T
    )


# Position tolerance for array elements (physical): a position error d shifts a plane
# wave's delay by d times its slowness; for Pn (8 km/s, 0.125 s/km) a quarter sample at
# 20 Hz (12.5 ms) is d = 0.1 km. Two sources that place an element within that agree for
# array processing.
ELEMENT_KM = 0.0125 / 0.125
# Median agreement of an array file from another epoch: a quarter period at 4.5 Hz (the
# top of the IDC's detection band) for Pn slowness, 0.25 / 4.5 / 0.125 = 0.44 km.
EPOCH_MEDIAN_KM = 0.25 / 4.5 / 0.125

# ------------------------------------------------------------------------------- the IMS


def test_ims_kinds_agree_with_the_reference_csv(ims_tables, reference_csv):
    net = ims(ims_tables)
    for kind, code in KINDS.items():
        assert set(net.stations(kind)) == set(reference_csv[code]), kind
    assert [len(net.stations(k)) for k in KINDS] == [44, 111, 48, 22]


def test_ims_default_source_is_the_shared_tables(ims_tables):
    assert ims() is ims(ims_tables.parent / "ueb_test")  # cached, same default
    assert "CMAR" in ims().stations("primary")


def test_ims_coordinates_agree_with_the_reference_csv(ims_tables, reference_csv):
    net = ims(ims_tables)
    rows = {sta: row for by_sta in reference_csv.values() for sta, row in by_sta.items()}
    codes = sorted(rows)
    lat = np.array([float(rows[c]["lat"]) for c in codes])
    lon = np.array([float(rows[c]["lon"]) for c in codes])
    np.testing.assert_allclose(net.lat(codes), lat, atol=1e-4)
    np.testing.assert_allclose(net.lon(codes), lon, atol=1e-4)
    for c in codes:  # the CSV has the same (latest) epoch and the same array reference
        s = net.station(c)
        assert s.refsta == rows[c]["refsta"] and s.ondate == int(rows[c]["ondate"]), c
        assert s.elev == pytest.approx(float(rows[c]["elev_km"]), abs=1e-3), c


def test_ims_arrays_and_channels(ims_tables):
    net, problems = read_css30(ims_tables)
    assert all(p.severity == "warning" and "response" in p.message for p in problems)
    assert net.elements("CMAR")[:3] == ["CM16", "CM17", "CM18"]
    assert len(net.elements("CMAR")) == 24  # CM01-18 SHZ, CM31 3-C, CM32-36
    assert net.array_of("CM05") == "CMAR"
    assert net.sampling_rate("CM01", "SHZ") == 20.0
    assert net.channel("CM01", "SHZ").vang == 0.0
    assert net.response("CM01", "SHZ") is None  # response files are not shipped


def test_ims_dnorth_deast_agree_with_latlon(ims_tables):
    net = ims(ims_tables, at=UTCDateTime("2012-08-14"))
    for array in ("CMAR", "YKA", "ARCES", "ILAR", "ASAR"):
        given, computed = net.offsets(array), computed_offsets(net, array)
        err = np.hypot(*(given - computed).T)
        assert err.max() < ELEMENT_KM, array


def test_ims_epochs(ims_tables):
    net_2012 = ims(ims_tables, at=UTCDateTime("2012-08-14"))
    yka = net_2012.elements("YKA")
    assert len(yka) >= 18 and {"YKB0", "YKR8"} <= set(yka)
    assert "BGCA" not in net_2012  # closed in 2004
    assert "BGCA" in ims(ims_tables)  # but the default keeps each station's latest epoch
    assert ims(ims_tables).station("BGCA").offdate == 2004170


def test_reference_csv_reads_as_a_network(reference_csv):
    net, problems = read_network(shared_path("stations", "ims_stations_2019.csv"))
    assert problems == []
    assert len(net) == sum(len(v) for v in reference_csv.values())
    assert [len(net.stations(k)) for k in KINDS] == [44, 111, 48, 22]


# ------------------------------------------------------------------------ array geometry


@pytest.mark.parametrize("name", GEOM_FILES)
def test_every_geometry_file(name, ims_tables):
    path = shared_path("stations", "array_geometry", name)
    net, problems = read_array_geometry(path)
    array = path.stem
    assert net.station(array).statype == "ar"
    assert all("has no coordinates" in p.message for p in problems)
    elements = net.arrays().get(array, [])
    assert len(elements) + len(problems) == int(path.read_text().split()[0])
    if not elements:  # AKASG, ARCES, ILAR, TORD, YKA list element names only
        return
    span = np.ptp(net.offsets(array), axis=0)
    # IMS arrays: from a few hundred metres (KVAR) to NOA's ~70 km
    assert (span < 80.0).all() and (span > 0.1).all()
    imsn = ims(ims_tables)
    common = [e for e in elements if e in imsn]
    if common:  # positions agree with the IDC tables (some files are from other epochs)
        d = _km_apart(net.lat(common), net.lon(common), imsn.lat(common), imsn.lon(common))
        # an element further from its IDC site than the array's extent would be
        # another site, not another survey of the same one
        assert np.median(d) < EPOCH_MEDIAN_KM and d.max() < span.min()


def test_cmar_geometry_agrees_with_the_idc_tables(ims_tables):
    geom, _ = read_network(shared_path("stations", "array_geometry", "CMAR.geom"))
    css = ims(ims_tables)
    codes = geom.elements("CMAR")
    assert len(codes) == 18 and set(codes) <= set(css.elements("CMAR"))
    d = _km_apart(geom.lat(codes), geom.lon(codes), css.lat(codes), css.lon(codes))
    assert d.max() < ELEMENT_KM
    # Offsets differ by the reference points (CM16 in the file, CM31 in the tables).
    shift = css.offsets("CMAR")[[css.elements("CMAR").index(c) for c in codes]] - geom.offsets(
        "CMAR"
    )
    assert np.ptp(shift, axis=0).max() < ELEMENT_KM


def test_geometry_merged_with_idc_tables(ims_tables):
    path = shared_path("stations", "array_geometry", "NVAR.geom")
    net, _ = read_network([ims_tables, path])
    assert net.array_of("NV01") == "NVAR" and net.coordinates("NV01")[2] is not None


# ----------------------------------------------------------------------------- responses


@pytest.mark.parametrize("name", RESPONSE_FILES)
def test_every_array_response(name):
    resp = read_array_response(shared_path("stations", "array_responses", name))
    freqs = np.array([0.5, 1.0, 2.0, 5.0])
    h = evaluate(resp, freqs)
    assert np.all(np.isfinite(h)) and np.all(np.abs(h) > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # evalresp's "sensitivities differ" for FAP tables
        obspy_h = resp.get_evalresp_response_for_frequencies(freqs, output="DISP") / 1e9
    np.testing.assert_allclose(np.abs(obspy_h), np.abs(h), rtol=0.01)
    if name.endswith(".fap"):
        assert abs(h[1]) == pytest.approx(1.0, rel=0.01)  # FAP tables are normalised at 1 Hz
    else:
        stage = resp.response_stages[0]
        assert all(complex(p).real < 0 for p in stage.poles)  # stable


# ---------------------------------------------------------------------------- StationXML


def test_yka_stationxml():
    xml = shared_path("arrays", "yka_20120814", "array_yellowknife.xml")
    net, problems = read_network(xml, group=False)  # as read; grouping: test_array_grouping
    assert problems == [] and len(net) == 18 and net.stations("CN") == list(net.codes)
    assert net.sampling_rate("YKB0", "SHZ") == 20.0
    assert net.response("YKB0", "SHZ") is not None
    yka = net.define_array("YKA", net.codes)
    span = np.ptp(yka.offsets("YKA"), axis=0)
    assert ((span > 15.0) & (span < 25.0)).all()  # the two ~20 km lines of YKA


def test_yka_stationxml_with_idc_array_structure(ims_tables):
    at = UTCDateTime("2012-08-14T03:00:00")
    xml = shared_path("arrays", "yka_20120814", "array_yellowknife.xml")
    net, _ = read_network([ims_tables, xml], at=at)
    css = ims(ims_tables, at=at)
    xml_only, _ = read_network(xml)
    assert "YKR7" not in css  # the IDC tables have no YKR7 (they list YKW3 instead)
    codes = [c for c in xml_only.codes if c != "YKR7"]
    assert all(net.array_of(c) == "YKA" for c in codes) and net.array_of("YKR7") is None
    d = _km_apart(net.lat(codes), net.lon(codes), css.lat(codes), css.lon(codes))
    assert d.max() < ELEMENT_KM  # StationXML and IDC tables place the elements alike
    assert net.sampling_rate("YKR8", "SHZ") == 20.0 and net.response("YKR8", "SHZ") is not None


def test_grf_stationxml():
    xml = shared_path("arrays", "grf_19911217", "array_grf.xml")
    net, problems = read_network(xml, group=False)  # as read; grouping: test_array_grouping
    assert problems == [] and len(net) == 19
    grf = net.define_array("GRF", [c for c in net.codes if c[:3] in ("GRA", "GRB", "GRC")])
    assert len(grf.elements("GRF")) == 13
    span = np.ptp(grf.offsets("GRF"), axis=0)
    assert (span > 30.0).all() and (span < 120.0).all()
    assert {c.code for c in net.channels("GRA1")} == {"BHZ", "BHN", "BHE"}


def test_uln_stationxml_response():
    folder = shared_path("continuous", "uln_20150718")
    (xml,) = sorted(folder.glob("*.xml"))
    net, problems = read_network(xml)
    assert problems == [] and net.codes == ("ULN",)
    resp = net.response("ULN", "00.BHZ")
    assert resp is not None and resp.instrument_sensitivity.value > 1e8
    assert net.sampling_rate("ULN", "BHZ") == 20.0
    inv = net.to_inventory()
    assert inv.select(station="ULN", channel="BHZ")[0][0][0].response is resp
