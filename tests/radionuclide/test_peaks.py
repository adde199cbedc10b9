"""Peak search and fit on Poisson data with known areas."""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from testban.radionuclide.peaks import find_candidates, fit_peaks


def _spectrum(peaks, n=2000, bkg=(200.0, -0.05), seed=0):
    x = np.arange(n + 1, dtype=float)
    mu = bkg[0] + bkg[1] * (x[:-1] + 0.5)
    for c, area, fw in peaks:
        s = fw / 2.3548
        mu += area * np.diff(0.5 * (1 + erf((x - c) / (np.sqrt(2) * s))))
    return np.random.default_rng(seed).poisson(mu).astype(float)


def test_single_peak_area_and_centroid_within_their_uncertainty():
    pulls_a, pulls_c = [], []
    for seed in range(20):
        y = _spectrum([(1000.3, 3000.0, 6.0)], seed=seed)
        cand, _ = find_candidates(y, np.full(y.size, 6.0))
        fits = fit_peaks(y, cand, lambda c: np.full(np.shape(c), 6.0))
        (p,) = [f for f in fits if abs(f.centroid - 1000.3) < 3]
        pulls_a.append((p.area - 3000.0) / p.area_err)
        pulls_c.append((p.centroid - 1000.3) / p.centroid_err)
    # unbiased with honest errors: pulls of mean ~0, spread ~1
    assert abs(np.mean(pulls_a)) < 3 / np.sqrt(20) and 0.6 < np.std(pulls_a) < 1.5
    assert abs(np.mean(pulls_c)) < 3 / np.sqrt(20) and 0.6 < np.std(pulls_c) < 1.5


def test_doublet_one_fwhm_apart_is_fitted_as_a_multiplet():
    y = _spectrum([(1000.0, 4000.0, 6.0), (1007.0, 2000.0, 6.0)], seed=5)
    fits = fit_peaks(y, np.array([1000, 1007]), lambda c: np.full(np.shape(c), 6.0))
    assert len(fits) == 2 and fits[0].multiplet == fits[1].multiplet
    for f, area in zip(fits, (4000.0, 2000.0), strict=True):
        assert abs(f.area - area) < 3 * f.area_err


def test_no_peak_in_a_flat_spectrum_above_four_sigma():
    y = np.random.default_rng(2).poisson(100.0, 4000).astype(float)
    cand, sig = find_candidates(y, np.full(y.size, 6.0), threshold=4.0)
    assert cand.size <= 1
