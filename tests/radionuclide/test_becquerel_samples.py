"""Real spectra (radionuclide/becquerel_samples): the issue-13 figures. Goals not met are
strict xfails with the measured figure (BENCHMARKS.md, "Gamma analysis")."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from testban.io.spectra.model import EnergyCalibration, Spectrum
from testban.radionuclide.analysis import analyse_spectrum
from testban.radionuclide.calibration import find_energy_calibration
from tests.conftest import shared_path

pytestmark = pytest.mark.shared

HPGE_OK = ["Mendocino_07-10-13_Acq-10-10-13.Spe"]
HPGE_NOT_YET = {
    "01122014152731-GT01122014182338-GA37.4963000N-GO122.4633000W.cnf": "Tl-208 −1.5 keV",
    "1110C NAA cave background May 2017.spe": "K-40 −0.7, Tl-208 −1.0 keV (file 0.6 keV off)",
    "1110C NAA cave pottery.Spe": "not found: activation lines dominate",
    "Alcatraz14.Spc": "K-40 −1.0, Tl-208 −6.2 keV (broad peaks)",
}


def _read(name: str) -> Spectrum:
    """becquerel → Spectrum (local stand-in until testban.io.spectra's readers land)."""
    bq = pytest.importorskip("becquerel")
    path = shared_path("radionuclide", "becquerel_samples", name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = bq.Spectrum.from_file(str(path), verbose=False)
    cal = EnergyCalibration()
    if s.is_calibrated:
        cal = EnergyCalibration(coefficients=tuple(float(c) for c in s.energy_cal.params))
    return Spectrum(
        counts=np.asarray(s.counts_vals, dtype=float),
        live_time=float(s.livetime),
        real_time=float(s.realtime),
        energy_cal=cal,
        source=name,
    )


def _found_minus_file(spec: Spectrum) -> list[float]:
    found = find_energy_calibration(spec.counts)
    assert found.method == "found", found.problems
    x = np.linspace(0.0, spec.n_channels, 20 * spec.n_channels + 1)
    e_file = spec.energy_cal.energy(x)
    return [
        float(found.energy_cal.energy(x[np.argmin(np.abs(e_file - e))]) - e)
        for e in (1460.82, 2614.511)
    ]


@pytest.mark.parametrize("name", HPGE_OK)
def test_calibration_found_within_half_a_kev_of_the_file(name):
    assert max(abs(d) for d in _found_minus_file(_read(name))) < 0.5


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=f"measured: {why}"))
        for n, why in HPGE_NOT_YET.items()
    ],
)
def test_calibration_found_within_half_a_kev_of_the_file_not_yet(name):
    assert max(abs(d) for d in _found_minus_file(_read(name))) < 0.5


@pytest.mark.xfail(
    strict=True,
    reason="measured: the cave background holds Co-60 (1173/1332 keV, 13σ) and Cs-137 "
    "(661.7 keV, 7σ) peaks: level 5 without history",
)
def test_lead_cave_background_is_level_1():
    res = analyse_spectrum(_read("1110C NAA cave background May 2017.spe"))
    assert res.categorisation is not None and res.categorisation.level == 1


def test_cave_background_natural_chains_identified():
    res = analyse_spectrum(_read("1110C NAA cave background May 2017.spe"))
    names = {n.identification.nuclide for n in res.nuclides}
    assert {"K-40", "Pb-214", "Bi-214", "Pb-212", "Tl-208", "Ac-228"} <= names


@pytest.mark.xfail(
    strict=True,
    reason="measured: no energy calibration found for the CsI (Kromek D3S) spectrum: "
    "background lines too weak beside the sources, the channel scale non-linear",
)
def test_named_sources_identified_in_sgm102432():
    res = analyse_spectrum(_read("SGM102432.spe"))
    names = {n.identification.nuclide for n in res.nuclides}
    assert {"Ba-133", "Cs-137"} <= names
