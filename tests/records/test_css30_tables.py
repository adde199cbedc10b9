"""CSS3.0 records: CSV <-> records <-> flat files, lossless on synthetic and real tables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from testban.io.css30 import (
    TableError,
    detect_layout,
    read_csv,
    read_flat,
    read_records,
    read_table,
    read_tables,
    rows_of,
    write_csv,
    write_flat,
    write_tables,
)
from testban.records import TABLES, Arrival, Origin, Site, columns, table_of, to_arrays
from tests.conftest import shared_path

BULLETIN_TABLES = [
    "amplitude", "arrival", "assoc", "event", "netmag", "origerr", "origin", "stamag",
]  # fmt: skip


def test_every_table_has_css30_names_and_defaults():
    for name, cls in TABLES.items():
        assert cls.table == name
        record = cls()  # every column has its CSS3.0 null value
        for c in columns(cls):
            assert getattr(record, c.name) == c.na
        assert columns(cls)[-1].name == "lddate"


def test_standard_line_widths_match_css30():
    # Published CSS3.0 record lengths (Anderson et al. 1990) for the tables that have one.
    widths = {"site": 155, "sitechan": 140, "affiliation": 33, "wfdisc": 283}
    for name, width in widths.items():
        cols = columns(table_of(name))
        assert sum(c.width for c in cols) + len(cols) - 1 == width


def test_csv_roundtrip_synthetic(tmp_path: Path):
    rows = [
        Arrival(sta="ABC", time=1274392104.64, arid=1, iphase="P", azimuth=156.04, snr=3.8),
        Arrival(sta="XYZ1", time=0.1 + 0.2, arid=123456789, auth="", deltim=1e-5),
    ]
    write_csv(rows, tmp_path / "arrival.csv")
    assert read_csv(tmp_path / "arrival.csv") == rows


@pytest.mark.parametrize("layout", ["css3.0", "idc"])
def test_flat_roundtrip_synthetic(tmp_path: Path, layout: str):
    rows = [
        Origin(lat=-15.0678, lon=-48.2773, depth=10.0, time=1274387551.48061, orid=7, ndef=12),
        Origin(lat=0.5, lon=179.25, depth=0.0, time=-1.5, orid=8, auth="testban"),
    ]
    path = write_flat(rows, tmp_path / "x.origin", layout=layout, strict=True)
    assert detect_layout(Origin, path.read_text().splitlines()[0]) == layout
    assert read_flat(path) == rows


def test_flat_keeps_precision_when_it_fits_and_refuses_to_round_when_strict(tmp_path: Path):
    row = Origin(lat=12.3456789, lon=1.0, time=0.0)  # 10 characters: too wide for f9.4
    with pytest.raises(TableError, match="lat"):
        write_flat([row], tmp_path / "a.origin", layout="css3.0", strict=True)
    write_flat([row], tmp_path / "a.origin", layout="css3.0")  # rounds to f9.4, as CSS3.0 does
    assert read_flat(tmp_path / "a.origin")[0].lat == pytest.approx(12.3457, abs=1e-9)


def test_overflowing_ids_and_strings_are_errors_not_truncations(tmp_path: Path):
    with pytest.raises(TableError, match="arid"):
        write_flat([Arrival(arid=123456789)], tmp_path / "a.arrival", layout="css3.0")
    with pytest.raises(TableError, match="sta"):
        write_flat([Site(sta="TOOLONG")], tmp_path / "a.site")


def test_bad_csv_reports_file_row_and_column(tmp_path: Path):
    path = tmp_path / "arrival.csv"
    path.write_text("sta,time,arid\nABC,12.5,1\nDEF,notatime,2\n")
    with pytest.raises(TableError) as err:
        read_csv(path)
    assert "line 3" in str(err.value) and "'time'" in str(err.value)
    path.write_text("sta,tiem\nABC,12.5\n")
    with pytest.raises(TableError, match="unknown column"):
        read_csv(path)


def test_empty_table_writes_header(tmp_path: Path):
    write_csv([], tmp_path / "origin.csv", table="origin")
    assert read_csv(tmp_path / "origin.csv") == []
    assert (tmp_path / "origin.csv").read_text().startswith("lat,lon,depth,time,orid")


def test_read_tables_from_directory_and_prefix(tmp_path: Path):
    sites = [Site(sta="AA01", lat=1.0, lon=2.0, elev=0.1, refsta="AA")]
    write_tables({"site": sites, "arrival": [Arrival(sta="AA01", arid=1)]}, tmp_path / "csv")
    assert read_tables(tmp_path / "csv")["site"] == sites
    write_flat(sites, tmp_path / "flat" / "net.site", layout="idc")
    assert read_tables(tmp_path / "flat" / "net")["site"] == sites
    assert read_tables(tmp_path / "flat")["site"] == sites


def test_read_rows_and_rows_of_pick_one_table_by_record_class(tmp_path: Path):
    sites = [Site(sta="AA01", lat=1.0, lon=2.0, elev=0.1, refsta="AA")]
    write_tables({"site": sites}, tmp_path)
    assert read_records(tmp_path / "site.csv", Site) == sites
    write_flat(sites, tmp_path / "net.site", layout="idc")
    assert read_records(tmp_path / "net.site", Site) == sites
    tables = read_tables(tmp_path)
    assert rows_of(tables, Site) == sites
    assert rows_of(tables, Origin) == []  # absent table: no rows, not an error


def test_to_arrays_is_columnar():
    cols = to_arrays([Arrival(time=1.0, snr=2.0), Arrival(time=3.0, snr=4.0)], ["time", "snr"])
    assert cols["time"].tolist() == [1.0, 3.0] and cols["snr"].dtype.kind == "f"


# ------------------------------------------------------------------ real IDC tables


@pytest.mark.shared
@pytest.mark.parametrize("table", BULLETIN_TABLES)
def test_idc_bulletin_csv_records_flat_lossless(tmp_path: Path, table: str):
    src = shared_path("idc_ueb_2010140", f"{table}.csv")
    rows = read_csv(src)
    assert rows and all(type(r) is table_of(table) for r in rows)
    # CSV -> records -> CSV: byte for byte (event's 'orid' header is CSS3.0's 'prefor').
    out = write_csv(rows, tmp_path / f"{table}.csv")
    if table == "event":
        assert out.read_text() == src.read_text().replace(",orid,", ",prefor,", 1)
    else:
        assert out.read_text() == src.read_text()
    # records -> IDC flat file -> records -> CSV: equal values, nothing rounded.
    flat = write_flat(rows, tmp_path / f"ueb.{table}", layout="idc", strict=True)
    back = read_table(flat)
    assert back == rows
    assert write_csv(back, tmp_path / "again.csv").read_text() == out.read_text()


@pytest.mark.shared
def test_idc_bulletin_standard_layout_where_values_fit(tmp_path: Path):
    rows = read_csv(shared_path("idc_ueb_2010140", "arrival.csv"))
    flat = write_flat(rows, tmp_path / "std.arrival", layout="css3.0", strict=True)
    assert detect_layout(Arrival, flat.read_text().splitlines()[0]) == "css3.0"
    assert read_flat(flat) == rows
    # IDC ampids have 9 digits: the standard layout cannot hold them and says so.
    amps = read_csv(shared_path("idc_ueb_2010140", "amplitude.csv"))
    with pytest.raises(TableError, match="ampid"):
        write_flat(amps, tmp_path / "std.amplitude", layout="css3.0")


@pytest.mark.shared
@pytest.mark.parametrize(
    "table", ["site", "sitechan", "affiliation", "network", "instrument", "sensor"]
)
def test_ims_station_tables_roundtrip_byte_for_byte(tmp_path: Path, table: str):
    src = shared_path("stations", "ims_css30", f"ueb_test.{table}")
    rows = read_flat(src)
    assert rows
    out = write_flat(rows, tmp_path / f"copy.{table}", layout="idc", strict=True)
    assert out.read_text() == src.read_text()
    # and through CSV
    csv_path = write_csv(rows, tmp_path / f"{table}.csv")
    assert read_csv(csv_path) == rows


@pytest.mark.shared
def test_ims_site_values_parsed():
    sites = {s.sta: s for s in read_flat(shared_path("stations", "ims_css30", "ueb_test.site"))}
    cm16 = sites["CM16"]
    assert dataclasses.astuple(cm16)[:6] == ("CM16", 1986198, 2286324, 18.45745, 98.94299, 0.311)
    assert cm16.refsta == "CMAR" and cm16.statype == "ss" and cm16.dnorth == -0.016


def test_bad_rows_can_be_reported_and_skipped(tmp_path: Path):
    path = tmp_path / "arrival.csv"
    path.write_text("sta,time,arid\nABC,12.5,1\nDEF,notatime,2\nGHI,13.0,3\n")
    problems: list = []
    rows = read_table(path, problems=problems)
    assert [r.sta for r in rows] == ["ABC", "GHI"]
    assert len(problems) == 1 and problems[0].record == "line 3" and "time" in problems[0].message
    flat = write_flat(rows, tmp_path / "x.arrival")
    lines = flat.read_text().splitlines()
    flat.write_text("\n".join([lines[0], lines[1][:20] + "x" * 10 + lines[1][30:]]) + "\n")
    problems = []
    assert [r.sta for r in read_table(flat, problems=problems)] == ["ABC"]
    assert problems[0].record == "line 2" and problems[0].file == str(flat)


def test_rounded_and_jdate():
    from testban.records import jdate, rounded

    o = rounded(Origin(lat=41.2951234567, lon=129.0812345, time=1e9 + 0.123456789, mb=4.5678))
    assert (o.lat, o.lon, o.time, o.mb) == (41.29512, 129.08123, 1000000000.12346, 4.57)
    assert jdate(0.0) == 1970001 and jdate(1274387551.48) == 2010140
    assert jdate([0.0, 86400.0 * 365]).tolist() == [1970001, 1971001]
    assert jdate(-1.0) == 1969365
