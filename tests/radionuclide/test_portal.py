"""A portal passage: the summed foreground against the quiet ends of the series."""

from __future__ import annotations

import numpy as np
import pytest

from testban.io.spectra import EnergyCalibration, Spectrum
from testban.radionuclide.analysis import analyse_spectrum
from testban.radionuclide.portal import occupancy_sum

CAL = EnergyCalibration(coefficients=(0.0, 0.75))  # keV per channel


def _series(seed=1, n=60, passing=range(27, 33), detectors=("A", "B")):
    rng = np.random.default_rng(seed)
    ch = np.arange(4096) + 0.5
    e = CAL.energy(ch)
    ambient = 0.25 * (30.0 * np.exp(-e / 300.0) + 2.0)  # counts per channel per slice
    out = []
    for k in range(n):
        for d in detectors:
            mu = ambient.copy()
            if k in passing:  # Cs-137 source passing: 661.7 keV line, FWHM 8 keV
                mu += (
                    400.0
                    * np.exp(-0.5 * ((e - 661.7) / (8.0 / 2.355)) ** 2)
                    * 0.75
                    / (np.sqrt(2 * np.pi) * 8.0 / 2.355)
                )
            out.append(Spectrum(counts=rng.poisson(mu).astype(float), live_time=0.24,
                                real_time=0.25, energy_cal=CAL, acquisition_start=1e9 + k * 0.25,
                                resolution=((100.0, 5.0), (661.7, 8.0), (1500.0, 11.0)),
                                detector=d))  # fmt: skip
    return out


def test_foreground_is_the_passage_and_background_the_quiet_ends():
    occ = occupancy_sum(_series())
    assert occ.slices == 60 and occ.foreground_slices == 6
    assert occ.foreground.live_time == pytest.approx(6 * 2 * 0.24)
    ends = set(range(12)) | set(range(48, 60))
    quiet = np.flatnonzero(occ.gross <= np.median(occ.gross))
    assert occ.background_slices == len(set(quiet) & ends)


def test_the_passing_source_is_identified_against_the_background():
    occ = occupancy_sum(_series(seed=3))
    result = analyse_spectrum(occ.foreground, occ.background)
    names = {n.identification.nuclide for n in result.nuclides}
    assert "Cs-137" in names


def test_nothing_passing_is_an_error():
    with pytest.raises(ValueError, match="nothing passed"):
        occupancy_sum(_series(passing=()))
