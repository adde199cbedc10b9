"""Energy calibration found from background lines; resolution fit."""

from __future__ import annotations

import numpy as np
import pytest

from testban.radionuclide.calibration import calibrate, find_energy_calibration, fit_resolution
from tests.radionuclide.synth import make_spectrum


@pytest.mark.parametrize("cal", [(0.4, 0.3662, 2.0e-8), (-2.5, 0.3331, 0.0), (1.2, 0.732, -3e-7)])
def test_calibration_found_within_half_a_kev_at_k40_and_tl208(cal):
    spec, _ = make_spectrum({}, with_calibration=False, cal=cal, seed=3)
    found = find_energy_calibration(spec.counts)
    assert found.method == "found"
    for e in (1460.82, 2614.511):
        # channel where the true calibration puts the line
        x = np.linspace(0, spec.n_channels, 400001)
        xc = x[np.argmin(np.abs(np.polynomial.polynomial.polyval(x, cal) - e))]
        assert abs(found.energy_cal.energy(xc) - e) < 0.5


def test_calibrate_keeps_the_files_calibration():
    spec, _ = make_spectrum({})
    assert calibrate(spec).method == "file"


def test_no_background_lines_no_calibration():
    rng = np.random.default_rng(0)
    found = find_energy_calibration(rng.poisson(50.0, 4096).astype(float))
    assert found.method == "none" and found.problems


def test_resolution_fit_recovers_a_and_b():
    e = np.array([100.0, 300.0, 600.0, 1000.0, 1500.0, 2600.0])
    r = fit_resolution(e, np.sqrt(0.8 + 0.0025 * e))
    assert r.a == pytest.approx(0.8) and r.b == pytest.approx(0.0025)
