"""Library contents and nuclide identification, with interference."""

from __future__ import annotations

import numpy as np
import pytest

from testban.radionuclide.library import identify, load_library
from testban.radionuclide.peaks import Peak


def test_library_half_lives_from_radioactivedecay_and_lines_from_the_table():
    lib = load_library()
    # radioactivedecay ships ICRP-107 data: Cs-137 30.167 y (DDEP has 30.05 y)
    assert lib["Cs-137"].half_life / (365.25 * 86400) == pytest.approx(30.167, abs=0.01)
    assert lib["I-131"].half_life / 86400 == pytest.approx(8.02, abs=0.01)
    assert lib["Cs-137"].lines[0].energy == pytest.approx(661.657)
    assert lib["Co-60"].relevant and not lib["K-40"].relevant
    assert lib["ANNIH"].decay_constant == 0.0


def _peak(e, area, err=None):
    err = err or np.sqrt(area + 100.0)
    return Peak(e, 0.1, e, 0.02, 1.5, 4.0, area, err, 100.0, 5.0, area / err, 0, 0, 1, 1.0)


def _fwhm(e):
    return np.full(np.shape(e), 1.5)


def test_ba133_claims_the_81_kev_peak_it_shares_with_xe133():
    lib = load_library()
    ba = lib["Ba-133"]
    peaks = [_peak(g.energy, 20000.0 * g.intensity) for g in ba.lines]
    ids = identify(peaks, _fwhm, efficiency=lambda e: np.ones(np.shape(e)), limit=None)
    names = [i.nuclide for i in ids]
    assert "Ba-133" in names and "Xe-133" not in names


def test_a_nuclide_whose_strong_second_line_is_missing_is_rejected():
    # a lone 667.7 keV peak: I-132 would need its 772.6 keV line (75 %) too
    peaks = [_peak(667.714, 5000.0)]
    ids = identify(
        peaks,
        _fwhm,
        efficiency=lambda e: np.ones(np.shape(e)),
        limit=lambda e: np.full(np.shape(e), 100.0),
    )
    assert "I-132" not in [i.nuclide for i in ids]


def test_identification_significance_is_the_key_peaks():
    peaks = [_peak(661.657, 900.0, 30.0)]
    (ident,) = identify(peaks, _fwhm, efficiency=lambda e: np.ones(np.shape(e)), limit=None)
    assert ident.nuclide == "Cs-137" and ident.significance == pytest.approx(30.0)
