"""Array f-k + plane-wave fit on synthetic plane waves over a random array geometry."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from testban.features import array_fk, fk_power, plane_wave_fit, slowness_vector
from testban.features.corrections import SlownessAzimuthCorrection
from testban.features.fk import azimuth_slowness
from testban.traveltime import KM_PER_DEG

FS = 40.0
ONSET_S = 30.0


def random_array(seed: int, n: int = 12, radius_km: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    r = radius_km * np.sqrt(rng.uniform(0.02, 1.0, n))
    a = rng.uniform(0, 2 * np.pi, n)
    return r * np.sin(a), r * np.cos(a)


def plane_wave(east, north, azimuth, slow, *, seed=0, snr=10.0, band=(1.0, 3.0), dur=60.0):
    """Band-limited random wavelet crossing the array as a plane wave, plus element noise."""
    rng = np.random.default_rng(seed)
    n = int(dur * FS)
    sos = signal.butter(4, band, btype="bandpass", fs=FS, output="sos")
    src = signal.sosfiltfilt(sos, rng.normal(size=n))
    t = np.arange(n) / FS
    env = np.clip((t - ONSET_S) / 0.3, 0, 1) * np.exp(-np.clip(t - ONSET_S, 0, None) / 4.0)
    src = src * env
    src /= np.abs(src).max()
    sx, sy = slowness_vector(azimuth, slow)
    delays = sx * east + sy * north
    f = np.fft.rfftfreq(n, 1 / FS)
    spec = np.fft.rfft(src)[None, :] * np.exp(-2j * np.pi * f[None, :] * delays[:, None])
    data = np.fft.irfft(spec, n=n)
    noise = signal.sosfiltfilt(sos, rng.normal(size=data.shape), axis=1)
    noise *= 1.0 / (snr * np.std(noise))
    return data + noise


def angle_diff(a, b):
    return (a - b + 180.0) % 360.0 - 180.0


@pytest.mark.parametrize(
    ("azimuth", "slow"),
    [(305.6, 7.21), (26.5, 5.58), (140.0, 2.0), (200.0, 9.5), (75.0, 13.7), (250.0, 24.0)],
)
def test_fk_recovers_plane_wave(azimuth, slow):
    east, north = random_array(7)
    data = plane_wave(east, north, azimuth, slow, seed=int(slow * 10))
    fk = array_fk(data, FS, east, north, ONSET_S * FS)
    assert abs(angle_diff(fk.azimuth, azimuth)) < max(1.0, 4 * fk.delaz)
    assert abs(fk.slow - slow) < 0.1
    assert fk.fstat > 20
    assert 0 < fk.delslo < 0.2 and 0 < fk.delaz < 3.0


def test_fk_unbiased_slowness_over_realisations():
    """Mean slowness error over noise realisations is ~0 (no low bias), errors calibrated."""
    east, north = random_array(11, n=9, radius_km=8.0)
    errs, z = [], []
    for seed in range(12):
        data = plane_wave(east, north, 305.6, 7.21, seed=100 + seed, snr=4.0)
        fk = array_fk(data, FS, east, north, ONSET_S * FS)
        errs.append(fk.slow - 7.21)
        z.append((fk.slow - 7.21) / fk.delslo)
    assert abs(np.mean(errs)) < 0.05
    assert np.std(z) < 3.0  # formal errors not wildly optimistic


def test_fk_grid_only_and_band():
    east, north = random_array(3)
    data = plane_wave(east, north, 120.0, 8.0, seed=5)
    fk = array_fk(data, FS, east, north, ONSET_S * FS, refine=False, band=(0.5, 4.0))
    assert abs(angle_diff(fk.azimuth, 120.0)) < 2.0
    assert abs(fk.slow - 8.0) < 0.3


def test_fk_noise_only_has_low_fstat():
    east, north = random_array(5)
    rng = np.random.default_rng(0)
    data = rng.normal(size=(east.size, int(60 * FS)))
    fk = array_fk(data, FS, east, north, ONSET_S * FS)
    assert fk.fstat < 3.0


def test_fk_rejects_bad_input():
    with pytest.raises(ValueError):
        array_fk(np.zeros((2, 1000)), FS, np.zeros(2), np.zeros(2), 500.0)


def test_plane_wave_fit_rejects_outlier_pair():
    east, north = random_array(2, n=8)
    sx, sy = slowness_vector(45.0, 10.0)
    ii, jj = np.triu_indices(east.size, 1)
    pairs = np.column_stack([ii, jj])
    rng = np.random.default_rng(1)
    delays = sx * (east[jj] - east[ii]) + sy * (north[jj] - north[ii])
    delays = delays + rng.normal(0, 0.005, delays.size)
    delays[3] += 0.5  # a cycle skip
    fit = plane_wave_fit(delays, pairs, east, north)
    assert fit is not None and delays.size - 3 <= fit.npairs < delays.size
    az, slow = azimuth_slowness(fit.sx, fit.sy)
    assert abs(angle_diff(az, 45.0)) < 0.5 and abs(slow - 10.0) < 0.05


def test_slowness_vector_round_trip():
    for az, s in [(0.0, 5.0), (90.0, 13.7), (305.6, 7.21)]:
        got = azimuth_slowness(*slowness_vector(az, s))
        assert got == pytest.approx((az % 360.0, s))
    sx, sy = slowness_vector(90.0, 11.119)  # from the east: propagates west
    assert sx < 0 and abs(sy) < 1e-12


def test_fk_power_matches_direct_beam_sum():
    """The factorised Numba kernel equals the textbook delay-and-sum power."""
    rng = np.random.default_rng(3)
    east, north = random_array(4, n=7)
    freqs = np.linspace(1.0, 3.0, 6)
    spectra = rng.normal(size=(7, 6)) + 1j * rng.normal(size=(7, 6))
    sx, sy = np.linspace(-0.2, 0.2, 5), np.linspace(-0.1, 0.3, 4)
    got = fk_power(spectra, freqs, east, north, sx, sy)
    want = np.empty((sy.size, sx.size))
    for iy, y in enumerate(sy):
        for ix, x in enumerate(sx):
            steer = np.exp(2j * np.pi * freqs[None, :] * (x * east + y * north)[:, None])
            want[iy, ix] = np.sum(np.abs(np.sum(steer * spectra, axis=0)) ** 2)
    want /= east.size * np.sum(np.abs(spectra) ** 2)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


def test_fk_start_gives_the_same_answer_as_the_whole_disc():
    east, north = random_array(7)
    data = plane_wave(east, north, 305.6, 7.21, seed=72)
    full = array_fk(data, FS, east, north, ONSET_S * FS)
    sx, sy = slowness_vector(300.0, 10.0)  # a beam ~3.3 s/° off
    near = array_fk(data, FS, east, north, ONSET_S * FS, start=(sx, sy))
    assert near.azimuth == pytest.approx(full.azimuth, abs=0.05)
    assert near.slow == pytest.approx(full.slow, abs=0.01)
    assert near.fstat == pytest.approx(full.fstat, rel=0.01)


def test_fk_start_restricts_the_grid_search():
    """Without the fit, the grid peak stays within ``search_radius`` of ``start``."""
    east, north = random_array(7)
    data = plane_wave(east, north, 305.6, 7.21, seed=72)
    sx, sy = slowness_vector(120.0, 20.0)
    fk = array_fk(
        data, FS, east, north, ONSET_S * FS, start=(sx, sy), search_radius=3.0, refine=False
    )
    gx, gy = slowness_vector(fk.azimuth, fk.slow)
    assert np.hypot(gx - sx, gy - sy) * KM_PER_DEG <= 3.0 + 1e-6
    with pytest.raises(ValueError):
        array_fk(data, FS, east, north, ONSET_S * FS, start=(np.nan, 0.0))


def test_fk_grid_peak_within_smax():
    """Noise: the grid peak lies within the ``smax`` disc (not in the square's corners)."""
    east, north = random_array(5)
    rng = np.random.default_rng(1)
    for _ in range(5):
        data = rng.normal(size=(east.size, int(60 * FS)))
        fk = array_fk(data, FS, east, north, ONSET_S * FS, refine=False, smax=20.0)
        assert fk.slow <= 20.0 + 1e-6


def test_fk_correction_hook():
    east, north = random_array(7)
    data = plane_wave(east, north, 26.5, 5.58, seed=55)
    raw = array_fk(data, FS, east, north, ONSET_S * FS)
    corr = SlownessAzimuthCorrection.constant(daz=-1.5, dslow=0.4)
    fk = array_fk(data, FS, east, north, ONSET_S * FS, correction=corr)
    assert fk.azimuth == pytest.approx((raw.azimuth - 1.5) % 360.0)
    assert fk.slow == pytest.approx(raw.slow + 0.4)
    assert (fk.delaz, fk.delslo, fk.fstat) == (raw.delaz, raw.delslo, raw.fstat)
