"""Spectra through becquerel (the shared sample files), the dispatcher, and the Chernobyl
air-concentration CSV with its arrival front."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from testban.io.spectra import read_air_concentrations, read_spectra, spectrum_format
from testban.radionuclide.arrival import (
    CHERNOBYL,
    Release,
    apparent_speed,
    arrival_front,
    distance_km,
)
from testban.records.gards import GardsAirConc
from tests.conftest import shared_path

SAMPLES = ("radionuclide", "becquerel_samples")
SPECTRUM_SUFFIXES = (".spe", ".spc", ".cnf", ".h5")


@pytest.mark.shared
def test_every_becquerel_sample_read_or_its_problem_named():
    folder = shared_path(*SAMPLES)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SPECTRUM_SUFFIXES)
    assert len(files) == 10
    for path in files:
        problems: list = []
        spectra = read_spectra(path, problems)
        assert len(spectra) == 1, (path.name, problems)
        s = spectra[0]
        assert [p for p in problems if p.severity == "error"] == [], path.name
        assert s.n_channels >= 1000 and np.sum(s.counts) > 0
        assert 0 < s.live_time <= s.real_time
        assert datetime(2010, 1, 1, tzinfo=UTC).timestamp() < s.acquisition_start
        if s.energy_cal.known:  # HPGe: energy rises, the K-40 line lies inside the range
            e = s.energies()
            assert np.all(np.diff(e) > 0) and e[0] < 1460.8 < e[-1]
        else:  # said so, as a warning
            assert any("calibration" in p.message for p in problems), path.name
    problems = []
    [dig] = read_spectra(folder / "digibase_5min_30_1.spe", problems)
    assert not dig.energy_cal.known and "invalid" in problems[0].message


@pytest.mark.shared
def test_spe_and_h5_of_the_same_spectrum_agree():
    a = read_spectra(shared_path(*SAMPLES, "Mendocino_07-10-13_Acq-10-10-13.Spe"))[0]
    b = read_spectra(shared_path(*SAMPLES, "Mendocino_07-10-13_Acq-10-10-13.h5"))[0]
    np.testing.assert_array_equal(a.counts, b.counts)
    assert (a.live_time, a.real_time, a.acquisition_start) == (
        b.live_time,
        b.real_time,
        b.acquisition_start,
    )
    np.testing.assert_allclose(a.energies(), b.energies())


def test_dispatch_and_unknown_files(tmp_path: Path):
    (tmp_path / "a.txt").write_text("DATA_TYPE SAMPLEPHD\n#g_Spectrum\n2 1\n1 3 4\n")
    (tmp_path / "b.dat").write_text('<?xml version="1.0"?>\n<RadInstrumentData xmlns="x"/>')
    (tmp_path / "c.bin").write_bytes(b"\x00\x01garbage")
    (tmp_path / "d.spe").write_bytes(b"\x00\x01not an spe")
    assert spectrum_format(tmp_path / "a.txt") == "phd"
    assert spectrum_format(tmp_path / "b.dat") == "n42"
    assert spectrum_format(tmp_path / "c.bin") == ""
    problems: list = []
    [s] = read_spectra(tmp_path / "a.txt", problems)
    assert list(s.counts) == [3, 4] and problems == []
    for name in ("c.bin", "d.spe", "missing.n42"):
        problems = []
        assert read_spectra(tmp_path / name, problems) == []
        assert len(problems) == 1 and problems[0].file.endswith(name), name


CSV = """Location,Longitude,Lattitude,Date,I 131 (Bq/m3)
KYIV-TEST,30.52,50.45,86/04/27,5.0
FAR,-3.0,51.0,86/05/03,0.2
FAR,-3.0,51.0,86/05/02,0.1
FAR,-3.0,51.0,86/05/02,0.3
BAD,xx,51.0,86/05/02,0.3
NEGATIVE,10.0,50.0,86/05/02,-1
NEAR,24.0,52.0,86/04/29,0.0
NEAR,24.0,52.0,86/04/30,1.5
"""


def test_air_concentration_rows_and_problems(tmp_path: Path):
    (tmp_path / "c.csv").write_text(CSV)
    problems: list = []
    rows = read_air_concentrations(tmp_path / "c.csv", problems)
    assert [p.record for p in problems] == ["line 6", "line 7"]
    far = [r for r in rows if r.location == "FAR"]
    assert [r.seq for r in far] == [1, 1, 2]  # two samples on 2 May
    day = datetime(1986, 5, 2, tzinfo=UTC).timestamp()
    assert far[1].collect_start == day and far[1].collect_stop == day + 86400
    assert {r.name for r in rows} == {"I-131"}


def test_arrival_front_first_detection_and_speed(tmp_path: Path):
    (tmp_path / "c.csv").write_text(CSV)
    rows = read_air_concentrations(tmp_path / "c.csv")
    front = arrival_front(rows, CHERNOBYL, threshold=0.0)
    assert [p.location for p in front] == ["KYIV-TEST", "NEAR", "FAR"]  # by distance
    near = front[1]
    assert near.first_start == datetime(1986, 4, 30, tzinfo=UTC).timestamp()  # 0.0 is no detection
    far = front[2]
    assert far.first_start == datetime(1986, 5, 2, tzinfo=UTC).timestamp() and far.conc == 0.1
    # a higher threshold moves FAR's first detection to its 0.3 sample, same day
    assert arrival_front(rows, threshold=0.25)[-1].conc == 0.3
    speed = apparent_speed(front)
    d = distance_km(CHERNOBYL.lat, CHERNOBYL.lon, 51.0, -3.0)
    delay_h = (datetime(1986, 5, 2, 12, tzinfo=UTC).timestamp() - CHERNOBYL.time) / 3600
    assert speed["max_kmh"] >= d / delay_h and speed["n_sites"] == 3
    assert distance_km(0, 0, 0, 90) == pytest.approx(6371.0 * np.pi / 2)


def test_arrival_front_of_a_synthetic_plume():
    """Sites on a line hit by a plume moving at 30 km/h: the fit gives 30 km/h back."""
    rel = Release(0.0, 0.0, 0.0)
    rows = []
    for k, lon in enumerate(np.linspace(2, 20, 7)):
        d = distance_km(0, 0, 0, lon)
        arrive = d / 30.0 * 3600.0
        start = np.floor(arrive / 3600.0) * 3600.0  # hourly samples
        for j, conc in enumerate((1.0, 2.0)):
            t0 = start + 3600.0 * j
            site = dict(location=f"S{k}", lat=0.0, lon=float(lon), name="I-131")
            rows.append(GardsAirConc(**site, collect_start=t0, collect_stop=t0 + 3600.0, conc=conc))
    speed = apparent_speed(arrival_front(rows, rel), rel)
    assert speed["fit_kmh"] == pytest.approx(30.0, rel=0.02)
    assert speed["median_kmh"] == pytest.approx(30.0, rel=0.1)


@pytest.mark.shared
def test_chernobyl_csv_loads_whole():
    path = shared_path("radionuclide", "chernobyl_air_1986", "Chernobyl_Chemical_Radiation.csv")
    problems: list = []
    rows = read_air_concentrations(path, problems)
    n_lines = sum(1 for ln in path.read_text().splitlines()[1:] if ln.strip())
    assert problems == [] and len(rows) == n_lines
    front = arrival_front(rows)
    assert len(front) == len({r.location for r in rows})
    first = min(front, key=lambda p: p.first_start)
    assert first.first_start > CHERNOBYL.time - 86400  # nothing before the accident's day
