"""``testban detect``/``run`` on arrays as FDSN serves them, and the ``--arrays`` option.

The shared-data tests run YKA (2012-08-14 M7.7 Sea of Okhotsk, 51.5°) and GRF
(1991-12-17 Kuril Islands, 77.5°) through ``testban detect`` with its defaults and compare
the P beam with iasp91 from the QuakeML origin shipped beside the waveforms. Goals are
issue 11's: 2° / 0.2 s/° at YKA, 3° / 0.3 s/° at GRF. A goal not met is a strict xfail
with the measured figure (BENCHMARKS.md "Arrays from station metadata").
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from testban.cli import app
from tests.conftest import shared_path

runner = CliRunner()


def _text(output: str) -> str:
    """The output without Rich's box drawing and line wrapping."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", output).split())


def _xml(tmp_path: Path) -> Path:
    """A three-station FDSN StationXML (XX.XA01-03, 1 km apart)."""
    from obspy import Inventory
    from obspy.core.inventory import Channel, Network, Station

    sts = [
        Station(
            f"XA0{i}",
            45.0,
            10.0 + 0.013 * i,
            0.0,
            channels=[Channel("SHZ", "", 45.0, 10.0 + 0.013 * i, 0.0, 0.0)],
        )
        for i in range(1, 4)
    ]
    path = tmp_path / "xx.xml"
    Inventory(networks=[Network("XX", stations=sts)], source="t").write(str(path), "STATIONXML")
    return path


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (["YKA"], "NAME=NET.STA"),
        (["YKA=CN.YK*"], "matches no station"),
        (["A1=XA0*", "A2=XX.XA01"], "XA01 is in both"),
    ],
)
def test_detect_rejects_bad_arrays(tmp_path: Path, arrays: list[str], message: str):
    args = [
        "detect",
        str(tmp_path),
        "--stations",
        str(_xml(tmp_path)),
        "--out",
        str(tmp_path / "o"),
    ]
    for a in arrays:
        args += ["--arrays", a]
    result = runner.invoke(app, args, terminal_width=400)
    assert result.exit_code == 2 and message in _text(result.output), result.output


def test_arrays_needs_stations(tmp_path: Path):
    result = runner.invoke(
        app, ["detect", str(tmp_path), "--out", str(tmp_path / "o"), "--arrays", "A=B*"]
    )
    assert result.exit_code == 2 and "needs --stations" in _text(result.output)


def test_run_rejects_bad_arrays(tmp_path: Path):
    args = [
        "run",
        str(tmp_path),
        "--stations",
        str(_xml(tmp_path)),
        "--store",
        str(tmp_path / "s.sqlite"),
    ]
    result = runner.invoke(app, [*args, "--arrays", "=XA*"], terminal_width=400)
    assert result.exit_code == 2 and "NAME=NET.STA" in _text(result.output), result.output


# ----------------------------------------------------------------------- shared: YKA, GRF


def _expected(folder: Path, quakeml: str, ref: tuple[float, float]) -> tuple[float, float, float]:
    """iasp91 P (time, back-azimuth °, slowness s/°) at ``ref`` from the QuakeML origin."""
    from obspy import read_events
    from obspy.geodetics import gps2dist_azimuth, kilometer2degrees
    from obspy.taup import TauPyModel

    event = read_events(str(folder / quakeml))[0]
    o = event.preferred_origin() or event.origins[0]
    dist_m, _az, baz = gps2dist_azimuth(o.latitude, o.longitude, *ref)
    (p, *_) = TauPyModel("iasp91").get_travel_times(
        o.depth / 1000.0, kilometer2degrees(dist_m / 1000.0), ["P"]
    )
    return float(o.time) + p.time, baz, p.ray_param_sec_degree


def _beam_p(folder: Path, xml: str, quakeml: str, out: Path) -> dict:
    """``testban detect`` with defaults; the array's detection nearest iasp91 P, and iasp91."""
    from testban.network import read_network

    (mseed,) = folder.glob("*.mseed")
    args = ["detect", str(mseed), "--stations", str(folder / xml), "--out", str(out)]
    result = runner.invoke(app, args, terminal_width=400)
    assert result.exit_code == 0, result.output
    with open(out / "arrival.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    net, _ = read_network(folder / xml)
    (array,) = net.arrays()
    t, baz, slow = _expected(folder, quakeml, net.reference(array))
    beams = [r for r in rows if r["sta"] == array]
    best = min(beams, key=lambda r: abs(float(r["time"]) - t)) if beams else None
    return {
        "array": array,
        "rows": rows,
        "beams": beams,
        "best": best,
        "t": t,
        "baz": baz,
        "slow": slow,
    }


@pytest.fixture(scope="module")
def yka(tmp_path_factory) -> dict:
    folder = shared_path("arrays", "yka_20120814")
    out = tmp_path_factory.mktemp("yka")
    return _beam_p(folder, "array_yellowknife.xml", "array_2012-08-14_event.xml", out)


@pytest.fixture(scope="module")
def grf(tmp_path_factory) -> dict:
    folder = shared_path("arrays", "grf_19911217")
    out = tmp_path_factory.mktemp("grf")
    return _beam_p(folder, "array_grf.xml", "array_1991-12-17_event.xml", out)


def _dbaz(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


@pytest.mark.shared
def test_yka_detect_beams_the_array(yka):
    """Issue 11: every element was a single station (no azimuth); now one array."""
    assert yka["array"] == "YKA"
    assert {r["sta"] for r in yka["rows"]} == {"YKA"}
    best = yka["best"]
    assert best is not None and abs(float(best["time"]) - yka["t"]) < 5.0
    assert float(best["azimuth"]) >= 0 and float(best["slow"]) > 0
    assert best["chan"].startswith("b")  # a beam


@pytest.mark.shared
@pytest.mark.xfail(strict=True, reason="measured 307.93° vs iasp91 305.62° (2.3° off): needs SASC")
def test_yka_p_back_azimuth(yka):
    assert _dbaz(float(yka["best"]["azimuth"]), yka["baz"]) <= 2.0


@pytest.mark.shared
def test_yka_p_slowness(yka):
    assert abs(float(yka["best"]["slow"]) - yka["slow"]) <= 0.2


@pytest.mark.shared
def test_grf_detect_beams_the_array_not_the_broadbands(grf):
    assert grf["array"] == "GRAR"
    best = grf["best"]
    assert best is not None and abs(float(best["time"]) - grf["t"]) < 5.0
    assert best["chan"].startswith("b")
    singles = {r["sta"] for r in grf["rows"]} - {"GRAR"}
    assert singles <= {"BFO", "BUG", "CLZ", "FUR", "TNS", "WET"}


@pytest.mark.shared
@pytest.mark.xfail(strict=True, reason="measured 30.41° vs iasp91 26.45° (4.0° off): needs SASC")
def test_grf_p_back_azimuth(grf):
    assert _dbaz(float(grf["best"]["azimuth"]), grf["baz"]) <= 3.0


@pytest.mark.shared
@pytest.mark.xfail(strict=True, reason="measured 4.80 vs iasp91 5.56 s/° (-0.76): in the data")
def test_grf_p_slowness(grf):
    assert abs(float(grf["best"]["slow"]) - grf["slow"]) <= 0.3


@pytest.mark.shared
def test_grf_explicit_arrays_names_it(tmp_path: Path):
    folder = shared_path("arrays", "grf_19911217")
    (mseed,) = folder.glob("*.mseed")
    args = [
        "detect",
        str(mseed),
        "--stations",
        str(folder / "array_grf.xml"),
        "--out",
        str(tmp_path),
    ]
    result = runner.invoke(
        app, [*args, "--arrays", "GRF=GR.GRA*,GR.GRB*", "--arrays", "GRF=GR.GRC*"]
    )
    assert result.exit_code == 0, result.output
    with open(tmp_path / "arrival.csv", newline="") as fh:
        stas = {r["sta"] for r in csv.DictReader(fh)}
    assert (
        "GRF" in stas
        and "GRAR" not in stas
        and not any(s.startswith("GR") and s != "GRF" for s in stas)
    )


@pytest.mark.shared
def test_yka_run_stores_beam_detections(tmp_path: Path):
    folder = shared_path("arrays", "yka_20120814")
    store = tmp_path / "yka.sqlite"
    args = [
        "run",
        str(folder),
        "--stations",
        str(folder / "array_yellowknife.xml"),
        "--store",
        str(store),
    ]
    result = runner.invoke(app, args, terminal_width=400)
    assert result.exit_code == 0, result.output
    assert "stations: 1 (YKA)" in result.output


@pytest.mark.shared
def test_detect_applies_station_corrections(yka, tmp_path: Path):
    """``--corrections``: a station-wide SASC row of −3° / +0.4 s/° at YKA moves every YKA
    beam detection's azimuth and slowness by exactly that (and widens its errors)."""
    from testban.calibrate import StationCorrection, write_corrections

    folder = shared_path("arrays", "yka_20120814")
    table = write_corrections(
        [StationCorrection("YKA", "sasc", n=10, daz=-3.0, daz_se=0.5, dslow=0.4, dslow_se=0.1)],
        tmp_path / "corrections.csv",
    )
    (mseed,) = folder.glob("*.mseed")
    out = tmp_path / "out"
    args = ["detect", str(mseed), "--stations", str(folder / "array_yellowknife.xml"),
            "--out", str(out), "--corrections", str(table)]  # fmt: skip
    result = runner.invoke(app, args, terminal_width=400)
    assert result.exit_code == 0, result.output
    assert "station corrections applied" in result.output
    with open(out / "arrival.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    before = {r["time"]: r for r in yka["beams"] if float(r["azimuth"]) >= 0}
    after = {r["time"]: r for r in rows if r["sta"] == "YKA" and r["time"] in before}
    assert after and set(after) == set(before)
    for t, r in after.items():
        assert _dbaz(float(r["azimuth"]), float(before[t]["azimuth"]) - 3.0) < 1e-3
        if float(before[t]["slow"]) >= 0:
            assert abs(float(r["slow"]) - float(before[t]["slow"]) - 0.4) < 1e-3
        assert float(r["delaz"]) >= float(before[t]["delaz"])
