"""IMS2.0 radionuclide messages (SAMPLEPHD …): read by hand-written text, round trip,
damaged blocks reported and the rest read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from testban.io.spectra import EnergyCalibration, Spectrum, read_phd, read_spectra, write_phd
from testban.io.spectra.phd import parse_phd

SAMPLE = """BEGIN IMS2.0
MSG_TYPE DATA
MSG_ID 2047 DEX_NDC
DATA_TYPE SAMPLEPHD
#Header 3
DEX33 DEX33_001 P 08G-50_MARINELLI FULL
00001234567
DEX33_001-2012/05/01 0 0
2012/05/03 09:10:11.0
#Comment
 Collected after filter change.
#Collection
2012/04/30 06:00:00.0 2012/05/01 06:00:00.0 18432.5
#Acquisition
2012/05/02 06:30:00.0 86400.0 86010.5
#g_Energy
59.54 160.5 0.05
661.657 1764.2 0.04
1460.82 3894.6 0.06
#g_Resolution
59.54 0.95 0.01
1460.82 1.85 0.02
#g_Efficiency
59.54 0.0612 0.002
1460.82 0.0154 0.0004
#g_Spectrum
12 2700
1 5 0 3 12 7
6 0 0 1 2 9
11 4 8
STOP
"""


def _t(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def test_reads_a_handwritten_samplephd(tmp_path: Path):
    (tmp_path / "s.phd").write_text(SAMPLE)
    problems: list = []
    [s] = read_spectra(tmp_path / "s.phd", problems)
    assert problems == []
    assert (s.data_type, s.station, s.detector, s.qualifier) == (
        "SAMPLEPHD",
        "DEX33",
        "DEX33_001",
        "FULL",
    )
    assert s.sample_id == "00001234567"
    assert s.collection_start == _t(2012, 4, 30, 6) and s.collection_stop == _t(2012, 5, 1, 6)
    assert s.air_volume == 18432.5
    assert s.acquisition_start == _t(2012, 5, 2, 6, 30)
    assert (s.real_time, s.live_time) == (86400.0, 86010.5)
    np.testing.assert_array_equal(s.counts, [5, 0, 3, 12, 7, 0, 0, 1, 2, 9, 4, 8])
    assert s.resolution == ((59.54, 0.95), (1460.82, 1.85))
    assert s.efficiency[1] == (1460.82, 0.0154, 0.0004)
    # A centroid on PHD channel 1764.2 (channels from 1) is at 1763.7 in the model's
    # coordinate (channel i spans [i, i+1)): the calibration gives 661.657 keV there.
    assert s.energy_cal.energy(1764.2 - 1 + 0.5) == pytest.approx(661.657, abs=0.05)
    assert s.extra["comment"] == "Collected after filter change."
    assert s.extra["transmit_time"] == _t(2012, 5, 3, 9, 10, 11)
    assert s.source.endswith(f":line {SAMPLE.splitlines().index('#g_Spectrum') + 1}")


def _spectrum(rng: np.random.Generator, **kw) -> Spectrum:
    base = dict(
        counts=rng.poisson(30, 1037).astype(np.int64),
        live_time=3599.5,
        real_time=3600.0,
        energy_cal=EnergyCalibration(points=((100.5, 50.25), (1000.5, 500.125), (3000.5, 1501.0))),
        resolution=((100.0, 1.1), (1500.0, 2.0)),
        efficiency=((100.0, 0.05, 0.001), (1500.0, 0.01, 0.0003)),
        acquisition_start=_t(2024, 3, 2, 1, 2, 3) + 0.4,
        collection_start=_t(2024, 2, 28, 6),
        collection_stop=_t(2024, 3, 1, 6),
        air_volume=21500.25,
        station="SEP63",
        detector="SEP63_002",
        data_type="SAMPLEPHD",
        qualifier="PREL",
        sample_id="SRID-42",
    )
    base.update(kw)
    return Spectrum(**base)  # type: ignore[arg-type]


def _same(a: Spectrum, b: Spectrum) -> None:
    np.testing.assert_array_equal(a.counts, b.counts)
    for f in ("live_time", "real_time", "acquisition_start", "collection_start",
              "collection_stop", "air_volume", "station", "detector", "data_type",
              "qualifier", "sample_id", "resolution", "efficiency"):  # fmt: skip
        assert getattr(a, f) == getattr(b, f), f
    np.testing.assert_allclose(a.energy_cal.points, b.energy_cal.points, rtol=0, atol=1e-9)


def test_round_trip_write_read_equal(tmp_path: Path):
    rng = np.random.default_rng(13)
    spectra = [
        _spectrum(rng),
        _spectrum(rng, data_type="BLANKPHD", station="AUP04", sample_id="7"),
        _spectrum(rng, data_type="DETBKPHD", counts=rng.poisson(2, 64), collection_start=None,
                  collection_stop=None, air_volume=None),
    ]  # fmt: skip
    write_phd(spectra, tmp_path / "m.phd")
    problems: list = []
    back = read_phd(tmp_path / "m.phd", problems)
    assert problems == []
    assert len(back) == 3
    for a, b in zip(spectra, back, strict=True):
        _same(a, b)
    # and a second trip gives the same text
    write_phd(back, tmp_path / "m2.phd")
    assert (tmp_path / "m2.phd").read_text() == (tmp_path / "m.phd").read_text()


def test_polynomial_calibration_written_as_points(tmp_path: Path):
    s = Spectrum(counts=np.arange(4096), live_time=10.0, real_time=10.0,
                 energy_cal=EnergyCalibration(coefficients=(-0.2, 0.72, 1e-7)),
                 acquisition_start=_t(2020, 1, 1))  # fmt: skip
    write_phd(s, tmp_path / "p.phd")
    [b] = read_phd(tmp_path / "p.phd")
    ch = np.array([0.5, 1000.5, 4095.5])
    np.testing.assert_allclose(b.energy_cal.energy(ch), s.energy_cal.energy(ch), atol=1e-6)


def _two_sections() -> str:
    rng = np.random.default_rng(5)
    from testban.io.spectra.phd import format_phd

    a = format_phd(_spectrum(rng, station="AAA01", counts=rng.poisson(9, 23)), envelope=False)
    b = format_phd(_spectrum(rng, station="BBB02", counts=rng.poisson(9, 23)), envelope=False)
    return "BEGIN IMS2.0\nMSG_TYPE DATA\nMSG_ID 1 X\n" + a + b + "STOP\n"


def _line_of(text: str, start: str, nth: int = 0) -> int:
    lines = text.splitlines()
    return [i for i, ln in enumerate(lines) if ln.startswith(start)][nth]


@pytest.mark.parametrize(
    "damage, severity, kept",
    [
        ("collection", "warning", ["AAA01", "BBB02"]),  # bad number: block skipped
        ("spectrum_number", "error", ["BBB02"]),  # garbled count: spectrum dropped
        ("spectrum_truncated", "error", ["BBB02"]),  # data lines missing
        ("channel_count", "error", ["BBB02"]),  # announced count disagrees
        ("energy", "warning", ["AAA01", "BBB02"]),  # #g_Energy garbled
    ],
)
def test_damaged_block_reported_rest_read(tmp_path: Path, damage: str, severity: str, kept: list):
    text = _two_sections()
    lines = text.splitlines()
    if damage == "collection":
        i = _line_of(text, "#Collection") + 1
        lines[i] = lines[i].replace("21500.25", "21x00.25")
    elif damage == "spectrum_number":
        i = _line_of(text, "#g_Spectrum") + 3
        lines[i] = lines[i] + " 1O"
    elif damage == "spectrum_truncated":
        i = _line_of(text, "#g_Spectrum") + 2
        del lines[i : i + 2]
    elif damage == "channel_count":
        i = _line_of(text, "#g_Spectrum") + 1
        lines[i] = "24 " + lines[i].split()[1]
    else:
        i = _line_of(text, "#g_Energy") + 2
        lines[i] = "1000.5 xyz 0.0"
    (tmp_path / "d.phd").write_text("\n".join(lines) + "\n")
    problems: list = []
    spectra = read_phd(tmp_path / "d.phd", problems)
    assert [s.station for s in spectra] == kept
    assert len(problems) == 1 and problems[0].severity == severity
    assert problems[0].file.endswith("d.phd") and problems[0].record.startswith("line ")
    bad_line = int(problems[0].record.split()[1])
    if damage != "spectrum_truncated":
        assert bad_line in (i + 1, i)  # the damaged line, or its block's count line
    if damage == "collection":
        assert spectra[0].collection_start is None and spectra[1].collection_start is not None
    if damage == "energy":
        assert not spectra[0].energy_cal.known and spectra[1].energy_cal.known


def test_garbage_is_a_problem_not_a_crash():
    head = "DATA_TYPE SAMPLEPHD\n"
    for text in (
        "",
        head + "#g_Spectrum\n",
        head + "#g_Spectrum\n99999999999 0\n",
        head + "#Acquisition\n9999/99/99 25:61:61 1 2\n#g_Spectrum\n2 1\n1 1 1\n",
    ):
        spectra, problems = parse_phd(text, "x")
        assert problems, text
    spectra, problems = parse_phd(
        "DATA_TYPE SAMPLEPHD\n#Acquisition\n9999/99/99 25:61:61 1 2\n#g_Spectrum\n2 1\n1 1 1\n", "x"
    )
    assert len(spectra) == 1 and spectra[0].acquisition_start is None
    assert problems[0].record == "line 3"


def test_cut_between_sections_is_said():
    text = _two_sections()
    cut = text.index("DATA_TYPE", text.index("DATA_TYPE") + 1)
    spectra, problems = parse_phd(text[:cut], "x")
    assert [s.station for s in spectra] == ["AAA01"]
    assert [p.message for p in problems] == ["message does not end with STOP: truncated?"]


def test_damaged_data_type_line_keeps_both_sections():
    text = _two_sections()
    second = text.index("DATA_TYPE", text.index("DATA_TYPE") + 1)
    spectra, problems = parse_phd(text[:second] + "DATA_PYPE" + text[second + 9 :], "x")
    assert [s.station for s in spectra] == ["AAA01", "BBB02"]
    assert {p.severity for p in problems} == {"warning"} and len(problems) == 2
