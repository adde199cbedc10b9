"""Radionuclide pages and ``testban rn-load``: a small store filled here, every page drawn.

The store gets a synthetic HPGe spectrum written as IMS2.0 PHD (a Cs-137 peak on a falling
background), analysis rows for it (a peak assigned to CS137, the nuclide, level 3), three
xenon samples, an air-concentration CSV of six sites, and two waveform events (one with
xenon samples within 60 days after it, one without).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pytest
from fastapi.testclient import TestClient
from obspy import UTCDateTime
from typer.testing import CliRunner

from testban.cli import app as cli_app
from testban.io.spectra import EnergyCalibration, Spectrum, write_phd
from testban.records.css30 import Site
from testban.records.gards import (
    GardsNuclIded,
    GardsPeaks,
    GardsSampleCat,
    GardsSampleData,
)
from testban.service import create_app
from testban.store import Store, count_rows, insert_tables, read_rows, store_sample
from tests.conftest import shared_path
from tests.service.conftest import summary_events
from tests.service.test_pages import _parse

runner = CliRunner()

T_EVENT = float(UTCDateTime("2024-03-01T02:00:00"))
CS137_KEV = 661.657
KEV_PER_CHANNEL = 0.5

XENON_CSV = """# three samples: a fresh four-isotope one, an older one, one with Xe-133 only
sample_id,station,collect_start,collect_stop,isotope,conc,conc_err,mdc,lat,lon
X1,SEX63,2024-03-03T00:00:00,2024-03-04T00:00:00,Xe-133,5.0,0.2,0.1,59.4,18.0
X1,SEX63,2024-03-03T00:00:00,2024-03-04T00:00:00,Xe-133m,0.5,0.05,0.1,59.4,18.0
X1,SEX63,2024-03-03T00:00:00,2024-03-04T00:00:00,Xe-135,2.0,0.1,0.1,59.4,18.0
X1,SEX63,2024-03-03T00:00:00,2024-03-04T00:00:00,Xe-131m,0.01,0.003,0.05,59.4,18.0
X2,JPX38,2024-03-20T00:00:00,2024-03-21T00:00:00,Xe-133,1.0,0.05,0.1,36.3,139.08
X2,JPX38,2024-03-20T00:00:00,2024-03-21T00:00:00,Xe-131m,0.03,0.003,0.05,36.3,139.08
X3,JPX38,2024-03-21T00:00:00,2024-03-22T00:00:00,Xe-133,0.4,0.05,0.1,36.3,139.08
"""

#: Chernobyl layout; ZURICH with latitude and longitude swapped, as the real file has some.
AIR_CSV = """Location,Longitude,Lattitude,Date,I 131 (Bq/m3)
STOCKHOLM,18.08,59.33,86/04/28,1.5
STOCKHOLM,18.08,59.33,86/04/29,3.0
BERLIN,13.42,52.5,86/04/30,12.0
BERLIN,13.42,52.5,86/05/01,4.0
PARIS,2.35,48.86,86/05/01,2.5
ZURICH,47.37,8.54,86/05/01,6.0
VIENNA,16.37,48.21,86/04/30,9.5
LONDON,-0.13,51.51,86/05/02,0.8
"""


def _spectrum() -> Spectrum:
    """A 4096-channel HPGe-like spectrum: exponential background, a Cs-137 peak."""
    ch = np.arange(4096) + 0.5
    e = KEV_PER_CHANNEL * ch
    sigma = 1.2 / 2.355
    mean = 400 * np.exp(-e / 500) + 5 + 3000 * np.exp(-0.5 * ((e - CS137_KEV) / sigma) ** 2)
    counts = np.random.default_rng(13).poisson(mean)
    t = float(UTCDateTime("2024-03-05T06:00:00"))
    return Spectrum(
        counts=counts,
        live_time=80000.0,
        real_time=80100.0,
        energy_cal=EnergyCalibration(coefficients=(0.0, KEV_PER_CHANNEL)),
        acquisition_start=t,
        collection_start=t - 2 * 86400,
        collection_stop=t - 86400,
        air_volume=20000.0,
        station="DEP33",
        detector="DEP33_001",
        data_type="SAMPLEPHD",
        qualifier="FULL",
        sample_id="SRID-7",
    )


def _load(store: str, *paths: Path) -> Any:
    res = runner.invoke(cli_app, ["rn-load", *map(str, paths), "--store", store])
    assert res.exit_code == 0, res.output
    return res


def _analyse(st: Store) -> int:
    """Write what an analysis would: a peak assigned to CS137, the nuclide, level 3."""
    with st.session() as s:
        head = next(
            r
            for r in read_rows(s, "gards_sample_data")
            if isinstance(r, GardsSampleData) and r.sta == "DEP33"
        )
        peak = GardsPeaks(
            peak_id=1,
            centroid=CS137_KEV / KEV_PER_CHANNEL,
            energy=CS137_KEV,
            fwhm=1.2,
            area=2900.0,
            area_err=60.0,
            peak_sig=48.0,
            ided=1,
            nuclide="CS137",
        )
        other = GardsPeaks(peak_id=2, centroid=2921.6, energy=1460.8, area=40.0, ided=0)
        nucl = GardsNuclIded(
            name="CS137",
            type="FISSION",
            activ=0.5,
            activ_err=0.01,
            conc=25.0,
            conc_err=0.6,
            mdc=1.1,
            key_energy=CS137_KEV,
            nid_flag=1,
        )
        missed = GardsNuclIded(name="BA140", type="FISSION", mdc=3.3, key_energy=537.3)
        cats = [
            GardsSampleCat(name="SAMPLE", category=3, reason="CS137 above the normal range"),
            GardsSampleCat(name="CS137", category=3, conc=25.0, lower_bound=0.0, upper_bound=2.0),
        ]
        store_sample(
            s,
            head,
            {
                "gards_peaks": [peak, other],
                "gards_nucl_ided": [nucl, missed],
                "gards_sample_cat": cats,
            },
        )
        insert_tables(s, {"site": [Site(sta="DEP33", ondate=2000001, lat=48.1, lon=11.6)]})
        return head.sample_id


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path, int]]:
    tmp = tmp_path_factory.mktemp("rn")
    write_phd(_spectrum(), tmp / "dep33.phd")
    (tmp / "xenon.csv").write_text(XENON_CSV)
    (tmp / "air.csv").write_text(AIR_CSV)
    store = tmp / "rn.sqlite"
    _load(str(store), tmp / "dep33.phd", tmp / "xenon.csv", tmp / "air.csv")
    st = Store(store)
    sid = _analyse(st)
    events = summary_events(2)
    events["origin"][0] = dataclasses.replace(
        events["origin"][0], time=T_EVENT, lat=41.3, lon=129.1
    )
    events["origin"][1] = dataclasses.replace(events["origin"][1], time=T_EVENT + 200 * 86400)
    with st.session() as s:
        insert_tables(s, events)
    with TestClient(create_app(st)) as client:
        yield client, tmp, sid
    st.close()


PAGES = ("/radionuclide", "/xenon", "/airconc", "/airconc?site=BERLIN")


@pytest.mark.parametrize("url", PAGES)
def test_every_page_renders_with_local_links_only(filled, url: str) -> None:
    client, _, sid = filled
    for u in (url, f"/sample/{sid}"):
        r = client.get(u)
        assert r.status_code == 200 and "text/html" in r.headers["content-type"], u
        links = _parse(r.text).urls
        assert links
        for _tag, _attr, link in links:
            host = urlparse(link).netloc
            assert host in ("", "testserver"), f"{u} loads {link} from another host"
        assert "Radionuclides</a>" in r.text  # the nav link


def test_radionuclide_page_maps_stations_with_their_latest_level(filled) -> None:
    client, _, sid = filled
    html = client.get("/radionuclide").text
    doc = json.loads(_parse(html).data["rn-data"])
    by_name = {f["properties"]["name"]: f for f in doc["features"]}
    assert set(by_name) == {"DEP33", "SEX63", "JPX38"}  # xenon stations placed from their CSV
    dep = by_name["DEP33"]["properties"]
    assert dep["url"] == f"sample/{sid}" and any("level 3" in ln for ln in dep["lines"])
    jpx = by_name["JPX38"]["properties"]
    assert "not categorised" in jpx["lines"] and "2024-03-22" in jpx["lines"][0]  # X3 stop
    assert dep["colour"] != jpx["colour"]
    assert f'href="http://testserver/sample/{sid}"' in html


def test_sample_page_plots_the_spectrum_and_labels_the_peak(filled) -> None:
    client, _, sid = filled
    html = client.get(f"/sample/{sid}").text
    svg = re.search(r'<svg class="spectrum".*?</svg>', html, re.S)
    assert svg, "no spectrum SVG"
    labels = re.findall(r'<text class="peak-label"[^>]*>([^<]*)</text>', svg.group(0))
    assert labels == ["CS137"]  # the assigned peak named; the unassigned K-40 peak only marked
    assert svg.group(0).count('class="peak"') == 2
    # the label sits at the peak's energy on the axis
    axis = [
        (float(x), float(v))
        for x, v in re.findall(
            r'<text x="([\d.]+)" y="\d+" text-anchor="middle">([\d.]+)</text>', svg.group(0)
        )
    ]
    (x0, e0), (x1, e1) = axis[0], axis[-1]
    lx = float(re.search(r'<text class="peak-label" x="([\d.]+)"', svg.group(0)).group(1))
    assert e0 + (lx - x0) / (x1 - x0) * (e1 - e0) == pytest.approx(CS137_KEV, abs=5)
    for text in ("DEP33_001", "SRID-7", "level 3: anomalous anthropogenic", "BA140", "20000 m3"):
        assert text in html


def test_rrr_report_downloads_as_text(filled) -> None:
    client, _, sid = filled
    r = client.get(f"/sample/{sid}/rrr.txt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert "attachment" in r.headers["content-disposition"]
    text = r.text
    for section in (
        "SAMPLE INFORMATION",
        "COLLECTION",
        "ACQUISITION",
        "CATEGORISATION",
        "NUCLIDES IDENTIFIED",
        "MDCs OF NUCLIDES NOT IDENTIFIED",
        "PEAKS",
    ):
        assert section in text
    cs = next(ln for ln in text.splitlines() if ln.strip().startswith("CS137") and "FISSION" in ln)
    assert "0.5" in cs and "25" in cs and "2.4" in cs  # activity, concentration, 0.6/25 = 2.4 %
    assert "Sampling time      24.00 h" in text and "Decay time         24.00 h" in text
    assert "Sample level       3" in text
    assert client.get("/sample/99999/rrr.txt").status_code == 404
    assert client.get("/sample/99999").status_code == 404


def test_xenon_page_places_samples_on_the_diagram(filled) -> None:
    client, _, _ = filled
    html = client.get("/xenon").text
    svg = re.search(r'<svg class="kalinowski".*?</svg>', html, re.S)
    assert svg
    assert svg.group(0).count("<circle") == 1  # only X1 has both ratios
    assert "X1 SEX63 2024-03-03: explosion-like" in svg.group(0)
    assert html.count('<td class="num">≥') + html.count("± ") > 0
    assert "Xe-133m not measured" in html  # X2 is not placeable, and says why


def test_event_page_fusion_verdict(filled) -> None:
    client, _, _ = filled
    origins = summary_events(2)["origin"]
    near = client.get(f"/event/{origins[0].evid}").text
    assert "<h2>Radionuclide</h2>" in near
    section = near.split("<h2>Radionuclide</h2>")[1].split("</section>")[0]
    assert "Xenon samples collected within 60 days after the origin (3)" in section
    assert re.search(
        r'class="verdict-[a-z-]+">(consistent|inconsistent|mixed|not assessable)<', section
    )
    assert "X1" in section and "X3" in section
    # no srs/ folder beside the store: transport not assessable, said where SRS files go
    assert "With atmospheric transport:" in section and "no SRS fields" in section
    far = client.get(f"/event/{origins[1].evid}").text
    assert "No xenon samples in the store collected within 60 days" in far


def test_airconc_page_series_map_and_front(filled) -> None:
    client, _, _ = filled
    html = client.get("/airconc", params={"site": "BERLIN"}).text
    assert "<h2>BERLIN</h2>" in html
    for cls in ("series", "front"):
        assert f'<svg class="{cls}"' in html
    doc = json.loads(_parse(html).data["air-data"])
    sites = {f["properties"]["name"]: f["geometry"]["coordinates"] for f in doc["features"]}
    assert sites["ZURICH"] == [8.54, 47.37]  # swapped in the CSV, corrected by the loader
    assert "Chernobyl" in sites
    # STOCKHOLM first sampled 04-28, 1 250 km away: its point and speed on the front
    row = re.search(
        r"STOCKHOLM</a></td>\s*<td class=\"num\">(\d+)</td><td class=\"time\">"
        r"([\d-]+)</td>",
        html,
    )
    assert row and 1150 < int(row.group(1)) < 1350 and row.group(2) == "1986-04-28"


def test_loader_is_idempotent_and_reports_problems(filled) -> None:
    _, tmp, _ = filled
    store = tmp / "again.sqlite"
    (tmp / "broken.phd").write_text("BEGIN IMS2.0\nDATA_TYPE SAMPLEPHD\n#Header 3\nnonsense\n")
    (tmp / "notes.txt").write_text("hello\n")
    files = [tmp / "dep33.phd", tmp / "xenon.csv", tmp / "air.csv"]
    tables = ("gards_sample_data", "gards_bg_isotope_concs", "gards_air_conc", "site")
    counts = []
    for k in range(2):
        extra = [tmp / "broken.phd", tmp / "notes.txt"] if k else []
        res = _load(str(store), *files, *extra)
        with Store(store) as st, st.session() as s:
            counts.append({t: count_rows(s, t) for t in tables})
    assert counts[0] == counts[1]
    assert counts[0] == {
        "gards_sample_data": 4,
        "gards_bg_isotope_concs": 7,
        "gards_air_conc": 8,
        "site": 2,
    }
    assert "broken.phd" in res.output and "notes.txt" in res.output  # reported, not fatal
    assert "loaded 1 spectra, 3 xenon samples, 8 air-concentration rows" in res.output


def test_loader_alone_with_nothing_loadable_fails(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    res = runner.invoke(
        cli_app, ["rn-load", str(tmp_path / "notes.txt"), "--store", str(tmp_path / "s.sqlite")]
    )
    assert res.exit_code == 1 and "notes.txt" in res.output


@pytest.mark.shared
def test_real_chernobyl_and_becquerel_sample_pages(tmp_path: Path) -> None:
    csv = shared_path("radionuclide", "chernobyl_air_1986", "Chernobyl_Chemical_Radiation.csv")
    spe = shared_path("radionuclide", "becquerel_samples", "SGM102432.spe")
    _load(str(tmp_path / "s.sqlite"), csv, spe)
    from testban.io.spectra import read_air_concentrations
    from testban.radionuclide.arrival import CHERNOBYL, apparent_speed, arrival_front

    # the bench's rule (bench/chernobyl.py): a site outside Europe whose swapped
    # coordinates are inside it is swapped; the loader finds them from the geometry alone
    def inside(lat: float, lon: float) -> bool:
        return 35 <= lat <= 72 and -25 <= lon <= 45

    rows = [
        dataclasses.replace(r, lat=r.lon, lon=r.lat)
        if not inside(r.lat, r.lon) and inside(r.lon, r.lat)
        else r
        for r in read_air_concentrations(csv)
    ]
    speed = apparent_speed(arrival_front(rows, CHERNOBYL), CHERNOBYL)
    with Store(tmp_path / "s.sqlite") as st, TestClient(create_app(st)) as client:
        air = client.get("/airconc")
        assert air.status_code == 200 and '<svg class="front"' in air.text
        assert f"<tr><th>Sites</th><td>{speed['n_sites']:.0f}</td></tr>" in air.text
        assert f"{speed['median_kmh']:.1f} km/h (quartiles {speed['q25_kmh']:.1f}" in air.text
        with st.session() as s:
            [head] = [
                r for r in read_rows(s, "gards_sample_data") if isinstance(r, GardsSampleData)
            ]
        page = client.get(f"/sample/{head.sample_id}")
        assert page.status_code == 200 and '<svg class="spectrum"' in page.text
        assert "channel (no energy calibration)" in page.text  # the file has none
        assert client.get("/radionuclide").status_code == 200
        assert math.isfinite(speed["median_kmh"])
