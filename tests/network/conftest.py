"""Synthetic station metadata for the network tests: one small array and one 3-C station."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from testban.io.css30 import write_csv, write_flat
from testban.network import Channel, Network, Station
from testban.network.model import local_offsets
from testban.records.css30 import Affiliation, Instrument, Sensor, Site, Sitechan

#: A made-up array "TSAR" at 60 N: reference point and four elements (km east, north).
REF = (60.0, 10.0)
ELEMENT_OFFSETS = {"TS01": (0.0, 0.0), "TS02": (3.0, 0.0), "TS03": (0.0, 4.0), "TS04": (-2.0, -2.0)}


def element_position(east: float, north: float) -> tuple[float, float]:
    """Lat/lon of a point ``east``/``north`` km from REF (inverse of local_offsets)."""
    lat, lon = REF
    for _ in range(5):  # fixed-point: the projection is almost linear at this scale
        e, n = local_offsets(REF[0], REF[1], np.array([lat]), np.array([lon]))[0]
        lat += (north - n) / 111.2
        lon += (east - e) / (111.2 * np.cos(np.radians(lat)))
    return float(lat), float(lon)


@pytest.fixture
def small_network() -> Network:
    """TSAR (array, 4 SHZ elements) and TSS (3-C single station, primary)."""
    stations = [Station("TSAR", *REF, elev=0.3, statype="ar", affiliations=("IMS_PRI",))]
    for code, (e, n) in ELEMENT_OFFSETS.items():
        lat, lon = element_position(e, n)
        stations.append(
            Station(
                code, lat, lon, elev=0.31, refsta="TSAR", channels=(Channel("SHZ", 40.0, vang=0.0),)
            )
        )
    stations.append(
        Station(
            "TSS",
            61.0,
            12.0,
            elev=1.2,
            affiliations=("IMS_AUX",),
            channels=(
                Channel("BHZ", 20.0, vang=0.0),
                Channel("BHN", 20.0, 0.0, 90.0),
                Channel("BHE", 20.0, 90.0, 90.0),
            ),
        )
    )
    return Network(stations, name="synthetic")


def write_css_tables(
    target: Path, fmt: str = "flat", layout: str = "css3.0", *, extra_site: list | None = None
) -> Path:
    """Write site/sitechan/affiliation/sensor/instrument for TSAR and TSS; returns the
    flat-file prefix (``fmt="flat"``) or the CSV directory (``fmt="csv"``).

    TSS has two site epochs (moved in 2010) and a closed channel epoch; TS01's channel
    points at a response file ``responses/ts.paz`` that the caller may or may not create.
    """
    sites = [
        Site(
            sta="TSAR",
            ondate=2000001,
            offdate=-1,
            lat=REF[0],
            lon=REF[1],
            elev=0.3,
            staname="Test_array",
            statype="ar",
            refsta="TSAR",
        )
    ]
    for code, (e, n) in ELEMENT_OFFSETS.items():
        lat, lon = element_position(e, n)
        sites.append(
            Site(
                sta=code,
                ondate=2000001,
                offdate=2286324,
                lat=lat,
                lon=lon,
                elev=0.31,
                statype="ss",
                refsta="TSAR",
                dnorth=n,
                deast=e,
            )
        )
    sites += [
        Site(
            sta="TSS",
            ondate=2000001,
            offdate=2010001,
            lat=61.0,
            lon=12.0,
            elev=1.2,
            statype="ss",
            refsta="TSS",
        ),
        Site(
            sta="TSS",
            ondate=2010001,
            offdate=-1,
            lat=61.001,
            lon=12.002,
            elev=1.25,
            statype="ss",
            refsta="TSS",
        ),
    ]
    sites += extra_site or []
    sitechan = [
        Sitechan(
            sta=c,
            chan="SHZ",
            ondate=2000001,
            chanid=i,
            offdate=-1,
            ctype="n",
            edepth=0.01,
            hang=-1.0,
            vang=0.0,
        )
        for i, c in enumerate(ELEMENT_OFFSETS, start=1)
    ]
    sitechan += [
        Sitechan(sta="TSS", chan="sz", ondate=2000001, chanid=10, offdate=2010001, vang=0.0),
        Sitechan(sta="TSS", chan="BHZ", ondate=2010001, chanid=11, offdate=-1, vang=0.0),
        Sitechan(sta="TSS", chan="BHN", ondate=2010001, chanid=12, offdate=-1, hang=0.0, vang=90.0),
        Sitechan(sta="NOPE", chan="BHZ", ondate=2010001, chanid=13, offdate=-1, vang=0.0),
    ]
    affiliation = [Affiliation(net="IMS_PRI", sta="TSAR"), Affiliation(net="IMS_AUX", sta="TSS")]
    instrument = [
        Instrument(
            inid=1,
            insname="test_sp",
            samprate=40.0,
            ncalib=0.5,
            ncalper=1.0,
            dir="responses",
            dfile="ts.paz",
            rsptype="paz",
        ),
        Instrument(
            inid=2,
            insname="test_bb",
            samprate=20.0,
            ncalib=1.0,
            ncalper=1.0,
            dir="responses",
            dfile="missing.fap",
            rsptype="fap",
        ),
    ]
    sensor = [
        Sensor(sta=c, chan="SHZ", time=946684800.0, inid=1, chanid=i)
        for i, c in enumerate(ELEMENT_OFFSETS, start=1)
    ]
    sensor += [Sensor(sta="TSS", chan=c, time=1262304000.0, inid=2) for c in ("BHZ", "BHN")]
    tables = {
        "site": sites,
        "sitechan": sitechan,
        "affiliation": affiliation,
        "instrument": instrument,
        "sensor": sensor,
    }
    if fmt == "csv":
        for name, rows in tables.items():
            write_csv(rows, target / f"{name}.csv", table=name)
        return target
    prefix = target / "test"
    for name, rows in tables.items():
        write_flat(rows, prefix.with_name(f"test.{name}"), layout, table=name)
    return prefix


PAZ_TEXT = """POLES 2
-4.442900 4.442900
-4.442900 -4.442900
ZEROS 3
0.0 0.0
0.0 0.0
0.0 0.0
CONSTANT 1.0
"""


def write_paz(path: Path) -> Path:
    """A synthetic 1 Hz geophone displacement response in the short PAZ layout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PAZ_TEXT, encoding="ascii")
    return path


@pytest.fixture
def make_css():
    """The :func:`write_css_tables` builder (fixtures keep tests free of conftest imports)."""
    return write_css_tables


@pytest.fixture
def make_paz():
    """The :func:`write_paz` builder."""
    return write_paz


@pytest.fixture
def element_offsets() -> dict[str, tuple[float, float]]:
    """The synthetic array's true element offsets (km east, north)."""
    return dict(ELEMENT_OFFSETS)
