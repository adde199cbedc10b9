"""Spectrum readers survive damaged files: mutants of an IMS2.0 PHD message and of an N42
document give problems or clean data, never an exception; damage confined to one block
(a PHD data section, an N42 ``DetectorData``) leaves the other blocks' spectra unchanged.
Uses the project's seeded mutator and verdicts (``tests/fuzz``)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from testban.io.spectra import EnergyCalibration, Spectrum, read_spectra
from testban.io.spectra.phd import format_phd
from tests.fuzz.harness import Format, _alone, baseline, judge, section_blocks
from tests.fuzz.mutate import KINDS, mutants

N_MUTANTS = 60
SEED = 20261208


def _units(path: Path) -> tuple[list, list]:
    problems: list = []
    spectra = read_spectra(path, problems)
    units = [
        (s.station, s.detector, s.data_type, s.acquisition_start, s.live_time,
         np.asarray(s.counts).tobytes())
        for s in spectra
    ]  # fmt: skip
    return units, problems


def _phd(rng: np.random.Generator) -> bytes:
    parts = []
    for k in range(4):
        s = Spectrum(
            counts=rng.poisson(20, 200), live_time=3500.0 + k, real_time=3600.0,
            energy_cal=EnergyCalibration(points=((10.5, 5.0), (190.5, 95.0))),
            acquisition_start=1.7e9 + 3600 * k, collection_start=1.7e9 - 86400,
            collection_stop=1.7e9 - 3600, air_volume=1000.0 + k, station=f"ST{k:03d}",
            detector=f"ST{k:03d}_01", data_type="SAMPLEPHD", qualifier="FULL", sample_id=str(k),
        )  # fmt: skip
        parts.append(format_phd(s, envelope=False))
    return ("BEGIN IMS2.0\nMSG_TYPE DATA\nMSG_ID 9 T\n" + "".join(parts) + "STOP\n").encode()


def _n42(rng: np.random.Generator) -> bytes:
    head = (
        '<?xml version="1.0"?>\n<N42InstrumentData '
        'xmlns="http://physics.nist.gov/Divisions/Div846/Gp4/ANSIN4242/2005/ANSIN4242">\n'
        "<Measurement>\n"
    )
    blocks = []
    for k in range(5):
        spectra = []
        for det in ("A1", "B1"):
            counts = rng.poisson(0.7, 64)
            spectra.append(
                f'<Spectrum Detector="{det}" SampleNumber="{k + 1}">\n'
                f"<RealTime>PT0.250S</RealTime>\n<LiveTime>PT0.24{k}S</LiveTime>\n"
                '<Calibration Type="Energy"><Equation Model="Polynomial">'
                "<Coefficients>0.1 3.0 0</Coefficients></Equation></Calibration>\n"
                f"<ChannelData>{' '.join(str(c) for c in counts)}</ChannelData>\n</Spectrum>\n"
            )
        blocks.append(
            f"<DetectorData>\n<StartTime>2010-01-24T00:08:{10 + k:02d}.078Z</StartTime>\n"
            "<SampleRealTime>PT0.250S</SampleRealTime>\n<Occupied>1</Occupied>\n"
            "<DetectorMeasurement>\n<SpectrumMeasurement>\n" + "".join(spectra)
            + "</SpectrumMeasurement>\n</DetectorMeasurement>\n</DetectorData>\n"
        )  # fmt: skip
    return (head + "".join(blocks) + "</Measurement>\n</N42InstrumentData>\n").encode()


def _n42_blocks(fmt: Format):  # type: ignore[no-untyped-def]
    def blocks(folder: Path, data: bytes):  # type: ignore[no-untyped-def]
        spans = [
            (m.start(), m.end())
            for m in re.finditer(rb"<DetectorData>.*?</DetectorData>\r?\n", data, re.S)
        ]
        head, tail = data[: spans[0][0]], b"</Measurement>\n</N42InstrumentData>\n"
        return [
            (((0, len(head)), (a - 1, b)), _alone(fmt, folder, head + data[a:b] + tail))
            for a, b in spans
        ]

    return blocks


def _case(name: str) -> tuple[Format, bytes, bytes]:
    rng = np.random.default_rng(1)
    if name == "phd":
        fmt = Format("phd", "msg.phd", _units)
        fmt.blocks = section_blocks(fmt, b"DATA_TYPE ")
        return fmt, _phd(rng), _n42(rng)
    fmt = Format("n42", "data.n42", _units)
    fmt.blocks = _n42_blocks(fmt)
    return fmt, _n42(rng), _phd(rng)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ["phd", "n42"])
def test_spectrum_reader_survives_mutants(name: str, tmp_path: Path) -> None:
    fmt, data, other = _case(name)
    blocks, size = baseline(fmt, tmp_path, data)
    assert len(blocks) >= 4 and all(units for _, units in blocks)
    regions = [spans[-1] for spans, _ in blocks]
    failures, seen, outcomes = [], set(), []
    for i, m in enumerate(mutants(data, N_MUTANTS, SEED, regions=regions, other=other)):
        v = judge(fmt, tmp_path, m, blocks, size)
        seen.add(m.kind)
        outcomes.append(v.outcome)
        if v.outcome == "traceback" or v.lost or v.silent:
            failures.append(f"#{i} {m.kind} ({m.note}): {v.outcome} {v.detail} silent={v.silent}")
    assert seen == set(KINDS)
    assert not failures, "\n".join(failures)
    assert outcomes.count("problem") >= N_MUTANTS // 3  # damage is seen, not waved through
