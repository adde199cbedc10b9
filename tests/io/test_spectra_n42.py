"""ANSI N42.42 spectra: both editions by hand-written documents, CountedZeroes, ISO 8601
durations, damage reported, and the InterSpec portal file read in full."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from testban.io.spectra import read_spectra
from testban.io.spectra.n42 import _Bad, counted_zeroes, iso_duration, parse_n42
from tests.conftest import shared_path

N2006 = """<?xml version="1.0"?>
<N42InstrumentData xmlns="http://physics.nist.gov/Divisions/Div846/Gp4/ANSIN4242/2005/ANSIN4242"
 xmlns:dndons="http://www.DNDO.gov/N42Schema/2006/DNDOSchema">
<Measurement>
<InstrumentInformation>
<dndons:DetectorStatus Detector="A1" Operational="1"/></InstrumentInformation>
<DetectorData>
<StartTime>2010-01-24T00:08:24.078Z</StartTime>
<SampleRealTime>PT0.250S</SampleRealTime>
<Occupied>1</Occupied>
<DetectorMeasurement Detector="Portal">
<SpectrumMeasurement>
<Spectrum Detector="A1" SampleNumber="1">
<RealTime>PT0.250S</RealTime>
<LiveTime>PT0.240S</LiveTime>
<SourceType>Item</SourceType>
<Calibration Type="Energy" EnergyUnits="keV"><Equation Model="Polynomial">
<Coefficients>0.5 3.0 0</Coefficients></Equation></Calibration>
<Calibration Type="FWHM" FWHMUnits="Channels"><Equation Model="Polynomial">
<Coefficients>2.0 0 0</Coefficients></Equation></Calibration>
<ChannelData Compression="CountedZeroes"> 0 3 5 1 0 2 7</ChannelData>
</Spectrum>
<Spectrum Detector="A2" SampleNumber="1">
<RealTime>PT0.250S</RealTime>
<LiveTime>PT0.230S</LiveTime>
<SourceType>Background</SourceType>
<ChannelData>1 2 3 4 5 6 7 8</ChannelData>
</Spectrum>
</SpectrumMeasurement>
</DetectorMeasurement>
</DetectorData>
<DetectorData>
<StartTime>2010-01-24T00:08:24.328Z</StartTime>
<SampleRealTime>PT0.250S</SampleRealTime>
<Occupied>0</Occupied>
<DetectorMeasurement Detector="Portal"><SpectrumMeasurement>
<Spectrum Detector="A1" SampleNumber="2">
<LiveTime>PT0.245S</LiveTime>
<ChannelData Compression="CountedZeroes">4 0 7</ChannelData>
</Spectrum>
</SpectrumMeasurement></DetectorMeasurement>
</DetectorData>
</Measurement>
</N42InstrumentData>
"""

N2011 = """<?xml version="1.0"?>
<RadInstrumentData xmlns="http://physics.nist.gov/N42/2011/N42">
<RadDetectorInformation id="det-1"><RadDetectorName>Ge1</RadDetectorName>
<RadDetectorCategoryCode>Gamma</RadDetectorCategoryCode></RadDetectorInformation>
<EnergyCalibration id="ecal-1">
<CoefficientValues>0 0.5 0.001</CoefficientValues></EnergyCalibration>
<RadMeasurement id="bg">
<MeasurementClassCode>Background</MeasurementClassCode>
<StartDateTime>2012-07-01T10:00:00-05:00</StartDateTime>
<RealTimeDuration>PT1H</RealTimeDuration>
<Spectrum id="bg-s" radDetectorInformationReference="det-1" energyCalibrationReference="ecal-1">
<LiveTimeDuration>PT59M30.5S</LiveTimeDuration>
<ChannelData compressionCode="CountedZeroes">10 0 4 3</ChannelData>
</Spectrum>
</RadMeasurement>
<RadMeasurement id="fg">
<MeasurementClassCode>Foreground</MeasurementClassCode>
<StartDateTime>2012-07-01T12:00:00Z</StartDateTime>
<RealTimeDuration>PT300S</RealTimeDuration>
<OccupancyIndicator>true</OccupancyIndicator>
<Spectrum id="fg-s" radDetectorInformationReference="det-1" energyCalibrationReference="ecal-1">
<LiveTimeDuration>PT299S</LiveTimeDuration>
<ChannelData>1 2 3 4 5 6</ChannelData>
</Spectrum>
</RadMeasurement>
</RadInstrumentData>
"""


def _t(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def test_counted_zeroes_and_durations():
    np.testing.assert_array_equal(
        counted_zeroes(np.array([0, 3, 5, 1, 0, 2, 7])), [0, 0, 0, 5, 1, 0, 0, 7]
    )
    np.testing.assert_array_equal(counted_zeroes(np.array([4.0, 2.5])), [4.0, 2.5])
    for bad in ([1, 0], [0, 0, 2], [0, 1.5, 3], [0, -2]):
        with pytest.raises(_Bad):
            counted_zeroes(np.array(bad, dtype=float))
    assert iso_duration("PT0.250S") == 0.25
    assert iso_duration("PT59M30.5S") == 3570.5
    assert iso_duration("P1DT2H") == 93600.0
    for bad in ("", "P", "PT", "0.25", "PT-1S", "PTXS"):
        with pytest.raises(_Bad):
            iso_duration(bad)


def test_reads_n42_2006(tmp_path: Path):
    (tmp_path / "p.n42").write_text(N2006)
    problems: list = []
    a1, a2, b1 = read_spectra(tmp_path / "p.n42", problems)
    assert problems == []
    np.testing.assert_array_equal(a1.counts, [0, 0, 0, 5, 1, 0, 0, 7])
    assert (a1.live_time, a1.real_time, a1.detector) == (0.24, 0.25, "A1")
    assert a1.acquisition_start == _t(2010, 1, 24, 0, 8, 24) + 0.078
    assert a1.energy_cal.coefficients == (0.5, 3.0, 0.0) and a1.energy_cal.energy(2.0) == 6.5
    assert a1.resolution and all(
        w == pytest.approx(6.0) for _, w in a1.resolution
    )  # 2 ch × 3 keV/ch
    assert a1.extra["occupied"] is True and a1.extra["measurement_class"] == "Foreground"
    assert a2.extra["measurement_class"] == "Background" and a2.live_time == 0.23
    assert a2.acquisition_start == a1.acquisition_start and not a2.energy_cal.known
    assert b1.real_time == 0.25 and b1.extra["occupied"] is False
    assert b1.acquisition_start == pytest.approx(a1.acquisition_start + 0.25)
    np.testing.assert_array_equal(b1.counts, [4] + [0] * 7)


def test_reads_n42_2011(tmp_path: Path):
    (tmp_path / "r.xml").write_text(N2011)
    problems: list = []
    bg, fg = read_spectra(tmp_path / "r.xml", problems)
    assert problems == []
    assert (
        bg.extra["measurement_class"] == "Background"
        and fg.extra["measurement_class"] == "Foreground"
    )
    assert bg.acquisition_start == _t(2012, 7, 1, 15)  # -05:00
    assert (bg.real_time, bg.live_time) == (3600.0, 3570.5)
    np.testing.assert_array_equal(bg.counts, [10, 0, 0, 0, 0, 3])
    assert bg.detector == "Ge1" and fg.energy_cal.coefficients == (0.0, 0.5, 0.001)
    assert fg.extra["occupied"] is True and fg.live_time == 299.0


def test_damaged_measurement_reported_others_read(tmp_path: Path):
    text = N2006.replace("<LiveTime>PT0.230S</LiveTime>", "<LiveTime>PT0.230S</Live>", 1)
    (tmp_path / "d.n42").write_text(text)
    problems: list = []
    spectra = read_spectra(tmp_path / "d.n42", problems)
    assert [s.sample_id for s in spectra] == ["2"]  # the first DetectorData is lost whole
    assert (
        len(problems) == 1
        and problems[0].record == f"line {text.splitlines().index('<DetectorData>') + 1}"
    )
    assert "2 spectra skipped" in problems[0].message


def test_bad_channel_data_drops_that_spectrum_only(tmp_path: Path):
    text = N2006.replace("1 2 3 4 5 6 7 8", "1 2 3 x 5 6 7 8")
    (tmp_path / "d.n42").write_text(text)
    problems: list = []
    spectra = read_spectra(tmp_path / "d.n42", problems)
    assert [s.detector for s in spectra] == ["A1", "A1"]
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if 'Detector="A2"' in ln)
    assert [p.record for p in problems] == [f"line {line}"]


def test_truncated_file_keeps_what_came_before(tmp_path: Path):
    cut = N2006.index('<Spectrum Detector="A1" SampleNumber="2">') + 30
    (tmp_path / "t.n42").write_bytes(N2006[:cut].encode())
    problems: list = []
    spectra = read_spectra(tmp_path / "t.n42", problems)
    errors = [p for p in problems if p.severity == "error"]
    assert len(spectra) == 2 and len(errors) == 1 and "truncated" in errors[0].message
    # cut between two measurements: nothing is damaged, yet the cut is said
    cut = N2006.index("<DetectorData>", cut - 400)
    (tmp_path / "t.n42").write_bytes(N2006[:cut].encode())
    problems = []
    assert len(read_spectra(tmp_path / "t.n42", problems)) == 2
    assert [p.message for p in problems] == ["document not closed: truncated?"]


def test_not_n42_and_empty():
    for raw in (b"", b"<html></html>", b"\x00\xff" * 50):
        spectra, problems = parse_n42(raw, "x")
        assert spectra == [] and problems


@pytest.mark.shared
def test_interspec_portal_file_read_in_full():
    path = shared_path("radionuclide", "interspec_n42", "passthrough.n42")
    problems: list = []
    spectra = read_spectra(path, problems)
    assert problems == []
    raw = path.read_bytes()
    # every <Spectrum> element (not SpectrumMeasurement/SpectrumAvailable) is read
    assert len(spectra) == raw.count(b"<Spectrum ") == 1064
    times = np.array([s.acquisition_start for s in spectra])
    assert np.all(np.isfinite(times)) and np.all(np.diff(times) >= 0)
    assert len(np.unique(times)) == raw.count(b"<DetectorData>")
    assert {s.n_channels for s in spectra} == {16384}
    assert all(0 < s.live_time <= s.real_time for s in spectra)
    assert all(s.energy_cal.known for s in spectra)
    # cross-check with SandiaSpecUtils when it is installed (an independent parser)
    try:
        import SpecUtils
    except ImportError:
        return
    f = SpecUtils.SpecFile()
    f.loadFile(str(path), SpecUtils.ParserType.Auto)
    assert f.numMeasurements() == len(spectra)
    ours = sorted((s.detector, float(np.sum(s.counts)), round(s.live_time, 4)) for s in spectra)
    theirs = sorted(
        (m.detectorName(), float(m.gammaCountSum()), round(m.liveTime(), 4))
        for m in (f.measurement(i) for i in range(f.numMeasurements()))
    )
    assert ours == theirs
