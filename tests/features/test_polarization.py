"""3-C polarisation on synthetic P waves of known back-azimuth and incidence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from testban.features import polarization

FS = 40.0
ONSET_S = 20.0


def synthetic_p(azimuth, incidence, *, polarity=1.0, snr=20.0, seed=0):
    """Z, N, E of a P wave from back-azimuth ``azimuth`` at ``incidence`` deg from vertical."""
    rng = np.random.default_rng(seed)
    n = int(40 * FS)
    sos = signal.butter(4, (1.0, 3.0), btype="bandpass", fs=FS, output="sos")
    t = np.arange(n) / FS
    w = signal.sosfiltfilt(sos, rng.normal(size=n))
    w *= np.clip((t - ONSET_S) / 0.2, 0, 1) * np.exp(-np.clip(t - ONSET_S, 0, None) / 2.0)
    w *= polarity / np.abs(w).max()
    a, i = math.radians(azimuth), math.radians(incidence)
    # displacement along the ray: up and away from the source
    e = -math.sin(i) * math.sin(a) * w
    nn = -math.sin(i) * math.cos(a) * w
    z = math.cos(i) * w
    noise = signal.sosfiltfilt(sos, rng.normal(size=(3, n)), axis=1)
    noise *= 1.0 / np.abs(noise).max() / snr
    return z + noise[0], nn + noise[1], e + noise[2]


@pytest.mark.parametrize(
    ("azimuth", "incidence"), [(60.0, 30.0), (240.0, 30.0), (305.6, 20.0), (170.0, 45.0)]
)
@pytest.mark.parametrize("polarity", [1.0, -1.0])
def test_polarization_recovers_azimuth_and_emergence(azimuth, incidence, polarity):
    z, n, e = synthetic_p(azimuth, incidence, polarity=polarity, seed=int(azimuth))
    pol = polarization(z, n, e, FS, ONSET_S * FS, window=2.0)
    assert abs((pol.azimuth - azimuth + 180) % 360 - 180) < max(1.0, 2.0 * pol.delaz)
    assert pol.ema == pytest.approx(incidence, abs=2.0)
    assert pol.rect > 0.9
    assert 0 <= pol.delaz < 10.0


def test_polarization_with_band_and_noise_only():
    z, n, e = synthetic_p(100.0, 35.0, seed=4)
    pol = polarization(z, n, e, FS, ONSET_S * FS, band=(0.8, 4.0))
    assert abs(pol.azimuth - 100.0) < 3.0
    rng = np.random.default_rng(2)
    noise = rng.normal(size=(3, 2000))
    pol = polarization(noise[0], noise[1], noise[2], FS, 500.0)
    assert pol.rect < 0.5
    assert pol.delaz > 20.0


def test_polarization_silent_window_is_nan():
    zero = np.zeros(1000)
    pol = polarization(zero, zero, zero, FS, 100.0)
    assert all(math.isnan(v) for v in pol)
