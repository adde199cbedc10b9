"""Array back-azimuth and slowness: broadband f-k, refined by a plane-wave fit of delays.

Two steps, for the ``azimuth``/``slow``/``delaz``/``delslo`` columns of an ``arrival``:

1. **Broadband f-k** (conventional, frequency-domain beam power summed over the pass
   band, normalised by the trace power: Kvaerna & Doornbos 1986; Capon 1969 for the
   frequency-wavenumber framework). The grid peak gives a slowness vector free of cycle
   skips, and the relative power ``R`` at the final slowness gives Blandford's (1974)
   F-statistic ``F = (N - 1) R / (1 - R)``.
2. **Plane-wave fit**: every pair of elements is cross-correlated (windows aligned on
   the f-k delays, lags searched within half a period of the f-k prediction and located
   to a fraction of a sample); the slowness vector is the least-squares solution of
   ``t_j - t_i = s . (r_j - r_i)`` with iterative rejection of outlying pairs (robust
   3-sigma). Fitting measured delays has no grid and no bias towards low slowness from
   the spatial taper of the beam pattern (the beam peak of a finite band over a finite
   aperture is skewed when coherence decays across the array); its covariance gives
   formal errors. See e.g. Del Pezzo & Giudicepietro (2002), Schweitzer et al. (2012,
   NMSOP-2 ch. 9 "Seismic arrays") for plane-wave fitting of array delays.

Slowness vectors point in the direction of propagation (``t = s . r`` with ``r`` in km
east/north of the array reference), so the back-azimuth is ``atan2(-s_east, -s_north)``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba as nb
import numpy as np
from scipy import signal

from testban.features.amplitude import bandpass_window
from testban.features.corrections import SlownessAzimuthCorrection
from testban.traveltime import KM_PER_DEG

FK_BAND: tuple[float, float] = (0.8, 4.5)
"""Default f-k pass band, Hz (that of the IDC mb amplitude)."""

START_RADIUS: float = 6.0
"""Default search radius around a given ``start`` slowness, s/°. With the detector's
default beam rings (0, 5.5, 9, 13.5 s/° with 1, 6, 8, 10 azimuths) no slowness up to
13.5 s/° is farther than 13.5 sin(18°) = 4.2 s/° from its nearest beam; 6 s/° leaves
margin for a beam that triggered on the edge of its lobe. Faster phases than the outer
ring (Lg, Rg) are not covered: search the whole disc (``start=None``) for those."""


class FK(NamedTuple):
    """Array feature measurement of one arrival (CSS3.0 ``arrival`` names)."""

    azimuth: float
    """Back-azimuth, degrees clockwise from north, [0, 360)."""
    slow: float
    """Horizontal slowness, s/°."""
    delaz: float
    """One-sigma uncertainty of ``azimuth``, degrees."""
    delslo: float
    """One-sigma uncertainty of ``slow``, s/°."""
    fstat: float
    """Broadband F-statistic of the beam at the measured slowness (Blandford 1974)."""


class PlaneWaveFit(NamedTuple):
    """Least-squares slowness vector from inter-element delays."""

    sx: float
    """East slowness, s/km."""
    sy: float
    """North slowness, s/km."""
    cov: np.ndarray
    """(2, 2) covariance of (sx, sy), (s/km)²."""
    rms: float
    """RMS residual of the used pair delays, s."""
    npairs: int
    """Number of pairs used."""


def azimuth_slowness(sx: float, sy: float) -> tuple[float, float]:
    """Back-azimuth (deg) and slowness (s/°) of a propagation slowness vector in s/km."""
    baz = math.degrees(math.atan2(-sx, -sy)) % 360.0
    return baz, math.hypot(sx, sy) * KM_PER_DEG


def slowness_vector(azimuth: float, slow: float) -> tuple[float, float]:
    """Propagation slowness vector (east, north) in s/km of back-azimuth ``azimuth`` (deg)
    and slowness ``slow`` (s/°)."""
    s = slow / KM_PER_DEG
    a = math.radians(azimuth)
    return -s * math.sin(a), -s * math.cos(a)


def _spectra(x: np.ndarray, fs: float, band: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Spectra (n_sta, n_freq) of the rows of ``x`` in ``band`` and their frequencies, Hz."""
    n = x.shape[-1]
    nfft = 1 << max(int(n - 1).bit_length(), 3)
    spec = np.fft.rfft(x, n=nfft, axis=-1)
    freqs = np.fft.rfftfreq(nfft, 1.0 / fs)
    keep = (freqs >= band[0]) & (freqs <= band[1])
    if not keep.any():
        keep[int(np.argmin(np.abs(freqs - math.sqrt(band[0] * band[1]))))] = True
    return spec[:, keep], freqs[keep]


def fk_power(
    spectra: np.ndarray,
    freqs: np.ndarray,
    east_km: np.ndarray,
    north_km: np.ndarray,
    sx: np.ndarray,
    sy: np.ndarray,
) -> np.ndarray:
    """Broadband relative beam power on a slowness grid.

    :param spectra: (n_sta, n_freq) complex spectra of the element traces.
    :param freqs: (n_freq,) their frequencies, Hz.
    :param east_km, north_km: (n_sta,) element offsets, km.
    :param sx, sy: grid axes of east and north slowness, s/km.
    :returns: (len(sy), len(sx)) power of the delay-and-sum beam summed over frequency,
        divided by ``n_sta`` times the summed trace power: 1 for a perfectly coherent
        plane wave at that slowness, about ``1/n_sta`` for incoherent noise.

    The steering phase ``exp(i w (sx e + sy n))`` factorises into an east and a north
    term, so only ``n_freq (n_x + n_y) n_sta`` exponentials are needed; the beams are
    then multiply-adds in a Numba kernel (single-threaded: a BLAS product here spends
    more CPU spinning its threads than computing, on matrices this small).
    """
    spectra = np.asarray(spectra, dtype=np.complex128)
    w = 2.0 * np.pi * np.asarray(freqs, dtype=np.float64)
    east = np.asarray(east_km, dtype=np.float64)
    north = np.asarray(north_km, dtype=np.float64)
    sx = np.atleast_1d(np.asarray(sx, dtype=np.float64))
    sy = np.atleast_1d(np.asarray(sy, dtype=np.float64))
    total = spectra.shape[0] * float(np.sum(spectra.real**2 + spectra.imag**2))
    if total <= 0:
        return np.zeros((len(sy), len(sx)))
    return _fk_power(spectra, w, east, north, sx, sy, (0.0, 0.0), math.inf) / total


def _fk_power(
    spectra: np.ndarray,
    w: np.ndarray,
    east: np.ndarray,
    north: np.ndarray,
    sx: np.ndarray,
    sy: np.ndarray,
    centre: tuple[float, float],
    radius: float,
) -> np.ndarray:
    """Unnormalised :func:`fk_power`; nodes farther than ``radius`` from ``centre`` get 0."""
    spec = np.ascontiguousarray(np.asarray(spectra, dtype=np.complex128).T)  # (n_freq, n_sta)
    r2 = radius * radius if math.isfinite(radius) else math.inf
    return _beam_power(
        spec.real.copy(), spec.imag.copy(), w, east, north, sx, sy, centre[0], centre[1], r2
    )


@nb.njit(cache=True, nogil=True)
def _beam_power(
    spr: np.ndarray,
    spi: np.ndarray,
    w: np.ndarray,
    east: np.ndarray,
    north: np.ndarray,
    sx: np.ndarray,
    sy: np.ndarray,
    cx: float,
    cy: float,
    r2: float,
) -> np.ndarray:
    """``sum_f |sum_j exp(i w_f (sx e_j + sy n_j)) X_j(f)|^2`` on the (sy, sx) grid.

    ``spr``/``spi``: (n_freq, n_sta) real and imaginary spectra; ``w``: (n_freq,) rad/s.
    Nodes with ``(sx - cx)^2 + (sy - cy)^2 > r2`` are skipped (0).
    """
    n_f, n_s = spr.shape
    n_x, n_y = sx.size, sy.size
    # east steering times spectra (n_x, n_freq, n_sta), north steering (n_y, n_freq, n_sta)
    exr = np.empty((n_x, n_f, n_s))
    exi = np.empty((n_x, n_f, n_s))
    for ix in range(n_x):
        for f in range(n_f):
            for j in range(n_s):
                ph = w[f] * sx[ix] * east[j]
                c, s = np.cos(ph), np.sin(ph)
                exr[ix, f, j] = c * spr[f, j] - s * spi[f, j]
                exi[ix, f, j] = c * spi[f, j] + s * spr[f, j]
    nyr = np.empty((n_y, n_f, n_s))
    nyi = np.empty((n_y, n_f, n_s))
    for iy in range(n_y):
        for f in range(n_f):
            for j in range(n_s):
                ph = w[f] * sy[iy] * north[j]
                nyr[iy, f, j] = np.cos(ph)
                nyi[iy, f, j] = np.sin(ph)
    out = np.empty((n_y, n_x))
    for iy in range(n_y):
        for ix in range(n_x):
            if (sx[ix] - cx) ** 2 + (sy[iy] - cy) ** 2 > r2:
                out[iy, ix] = 0.0
                continue
            p = 0.0
            for f in range(n_f):
                re = 0.0
                im = 0.0
                for j in range(n_s):
                    ar, ai = nyr[iy, f, j], nyi[iy, f, j]
                    br, bi = exr[ix, f, j], exi[ix, f, j]
                    re += ar * br - ai * bi
                    im += ar * bi + ai * br
                p += re * re + im * im
            out[iy, ix] = p
    return out


def _relative_power(spectra, freqs, east, north, sx: float, sy: float) -> float:
    return float(fk_power(spectra, freqs, east, north, np.array([sx]), np.array([sy]))[0, 0])


def fstat_from_power(power: float, n_sta: int) -> float:
    """Blandford's F-statistic from relative beam power ``power`` (0-1) of ``n_sta`` traces."""
    if power >= 1.0:
        return math.inf
    return (n_sta - 1) * power / (1.0 - power)


COARSE_LOBE: float = 0.4
"""Coarse f-k grid step as a fraction of ``1 / (f_hi D)`` (band top ``f_hi``, aperture ``D``).

The main lobe of a beam at frequency ``f`` has a half-power half-width of about
``0.44 / (f D)``; a step of ``0.4 / (f_hi D)`` samples even the narrowest (top-of-band)
lobe within 3 dB of its peak, and the broadband lobe, widened by the lower frequencies,
much closer. The best few local maxima are then refined on finer grids."""

MAX_COARSE_NODES: int = 50
"""Largest number of coarse grid steps per slowness radius: bounds the cost for large
apertures (GRF, ~100 km) where ``COARSE_LOBE / (f_hi D)`` would be tiny; coherence across
such arrays at the top of the band is low anyway, so the broadband lobe is wider."""

N_CANDIDATES: int = 3
"""Coarse local maxima refined: guards against the global peak falling between nodes
while a side lobe sits on one."""


def _local_maxima(p: np.ndarray, inside: np.ndarray, k: int) -> list[tuple[int, int]]:
    """Indices of the ``k`` largest 3x3 local maxima of ``p`` within ``inside``."""
    q = np.where(inside, p, -np.inf)
    pad = np.pad(q, 1, constant_values=-np.inf)
    ny, nx = q.shape
    neigh = np.max(
        np.stack(
            [pad[dy : dy + ny, dx : dx + nx] for dy in range(3) for dx in range(3) if dy or dx]
        ),
        axis=0,
    )
    cand = np.flatnonzero((q >= neigh) & np.isfinite(q))
    if cand.size == 0:
        cand = np.array([int(np.argmax(q))])
    best = cand[np.argsort(q.ravel()[cand])[::-1][:k]]
    return [divmod(int(c), nx) for c in best]


def _grid_peak(
    spectra: np.ndarray,
    freqs: np.ndarray,
    east: np.ndarray,
    north: np.ndarray,
    centre: tuple[float, float],
    radius: float,
    step: float,
    *,
    levels: int = 2,
    n_candidates: int = N_CANDIDATES,
) -> tuple[float, float, float]:
    """Peak (sx, sy, power) of the broadband f-k within ``radius`` s/km of ``centre``.

    A coarse grid of ``step`` s/km, then ``levels`` refinements (a 9x9 grid of a quarter
    of the previous step, spanning +-1 previous step) around each of the best coarse
    local maxima: final resolution ``step / 4**levels``.
    """
    cx, cy = centre
    offs = np.arange(-radius, radius + 0.5 * step, step)
    ax, ay = cx + offs, cy + offs
    w = 2.0 * np.pi * np.asarray(freqs, dtype=np.float64)
    rad = radius + 1e-9 * step
    p = _fk_power(spectra, w, east, north, ax, ay, (cx, cy), rad)
    inside = offs[None, :] ** 2 + offs[:, None] ** 2 <= rad**2
    best = (cx, cy, -np.inf)
    for iy, ix in _local_maxima(p, inside, n_candidates):
        sx, sy, h, pk = float(ax[ix]), float(ay[iy]), step, float(p[iy, ix])
        for _ in range(levels):
            fine = np.linspace(-h, h, 9)
            p2 = fk_power(spectra, freqs, east, north, sx + fine, sy + fine)
            jy, jx = np.unravel_index(int(np.argmax(p2)), p2.shape)
            sx, sy, pk = sx + float(fine[jx]), sy + float(fine[jy]), float(p2[jy, jx])
            h = 0.25 * h
        if pk > best[2]:
            best = (sx, sy, pk)
    return best


def pair_delays(
    x: np.ndarray, fs: float, predicted: np.ndarray, pairs: np.ndarray, max_shift: float
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-correlation delays of trace pairs near predicted delays.

    :param x: (n_sta, n) traces (already filtered and windowed).
    :param predicted: (n_pairs,) predicted delay ``t_j - t_i`` of each pair, s.
    :param pairs: (n_pairs, 2) indices ``(i, j)``.
    :param max_shift: search half-width around the prediction, s.
    :returns: measured delays ``t_j - t_i`` (s, parabolic sub-sample peak) and the
        normalised correlation at the peak; the delay is nan where the best lag lies on
        the edge of the search window.
    """
    n = x.shape[-1]
    nfft = 1 << int(2 * n - 1).bit_length()
    spec = np.fft.rfft(x, n=nfft, axis=-1)
    energy = np.sum(x * x, axis=-1)
    i, j = pairs[:, 0], pairs[:, 1]
    cc = np.fft.irfft(np.conj(spec[i]) * spec[j], n=nfft, axis=-1)
    norm = np.sqrt(energy[i] * energy[j])
    norm[norm == 0] = np.inf
    cc = cc / norm[:, None]
    half = max(1, int(math.ceil(max_shift * fs)))
    centre = np.rint(predicted * fs).astype(int)
    offs = np.arange(-half, half + 1)
    want = centre[:, None] + offs[None, :]  # lag samples to inspect
    idx = np.mod(want, nfft)
    vals = np.take_along_axis(cc, idx, axis=1)
    valid = np.abs(want) < n
    vals = np.where(valid, vals, -np.inf)
    k = np.argmax(vals, axis=1)
    peak = vals[np.arange(len(k)), k]
    inner = (k > 0) & (k < len(offs) - 1)
    kk = np.clip(k, 1, len(offs) - 2)
    rows = np.arange(len(k))
    ym, y0, yp = vals[rows, kk - 1], vals[rows, kk], vals[rows, kk + 1]
    den = ym - 2 * y0 + yp
    with np.errstate(divide="ignore", invalid="ignore"):
        dk = np.where(np.isfinite(den) & (den < 0), 0.5 * (ym - yp) / den, 0.0)
    dk = np.clip(dk, -0.5, 0.5)
    delay = (want[rows, kk] + dk) / fs
    delay = np.where(inner & np.isfinite(peak), delay, np.nan)
    return delay, peak


def plane_wave_fit(
    delays: np.ndarray,
    pairs: np.ndarray,
    east_km: np.ndarray,
    north_km: np.ndarray,
    *,
    sigma_floor: float = 0.0,
    max_iter: int = 5,
) -> PlaneWaveFit | None:
    """Least-squares slowness vector from pair delays ``t_j - t_i`` (s), robust to outliers.

    Pairs with |residual| above 3 robust standard deviations (1.4826 MAD, at least
    ``sigma_floor``) are dropped and the fit repeated. The covariance treats the
    element times, not the pairs, as independent: with N elements the all-pairs normal
    matrix is N times that of the element times, so the pair-based formal covariance
    is scaled by N/2 (pair residual variance is twice the element variance). None when
    fewer than 3 pairs or non-collinear elements remain.
    """
    ok = np.isfinite(delays)
    pairs = pairs[ok]
    tau = delays[ok]
    de = east_km[pairs[:, 1]] - east_km[pairs[:, 0]]
    dn = north_km[pairs[:, 1]] - north_km[pairs[:, 0]]
    a = np.column_stack([de, dn])
    use = np.ones(len(tau), dtype=bool)
    sol = None
    for _ in range(max_iter):
        if use.sum() < 3:
            return None
        au, tu = a[use], tau[use]
        if np.linalg.matrix_rank(au, tol=1e-6 * max(1.0, float(np.abs(au).max()))) < 2:
            return None
        sol, *_ = np.linalg.lstsq(au, tu, rcond=None)
        res = tau - a @ sol
        mad = 1.4826 * float(np.median(np.abs(res[use] - np.median(res[use]))))
        new = np.abs(res) <= 3.0 * max(mad, sigma_floor)
        if np.array_equal(new, use):
            break
        use = new
    if sol is None or use.sum() < 3:
        return None
    au = a[use]
    res = (tau - a @ sol)[use]
    dof = max(int(use.sum()) - 2, 1)
    var = max(float(res @ res) / dof, sigma_floor**2)
    n_sta = len(np.unique(pairs[use]))
    cov = var * 0.5 * n_sta * np.linalg.inv(au.T @ au)
    return PlaneWaveFit(
        float(sol[0]),
        float(sol[1]),
        cov,
        float(np.sqrt(np.mean(res**2))),
        int(use.sum()),
    )


def _polar_errors(sx: float, sy: float, cov: np.ndarray) -> tuple[float, float]:
    """One-sigma (delaz deg, delslo s/°) from the covariance of a slowness vector."""
    s2 = sx * sx + sy * sy
    s = math.sqrt(s2)
    if s == 0:
        return 180.0, math.sqrt(max(float(np.trace(cov)) / 2, 0.0)) * KM_PER_DEG
    js = np.array([sx, sy]) / s
    ja = np.array([sy, -sx]) / s2
    dslow = math.sqrt(max(float(js @ cov @ js), 0.0)) * KM_PER_DEG
    daz = min(math.degrees(math.sqrt(max(float(ja @ cov @ ja), 0.0))), 180.0)
    return daz, dslow


def array_fk(
    data: np.ndarray,
    fs: float,
    east_km: np.ndarray,
    north_km: np.ndarray,
    onset_index: float,
    *,
    band: tuple[float, float] | None = None,
    window: tuple[float, float] = (-0.5, 4.5),
    smax: float = 40.0,
    refine: bool = True,
    min_cc: float = 0.5,
    start: tuple[float, float] | None = None,
    search_radius: float = START_RADIUS,
    correction: SlownessAzimuthCorrection | None = None,
) -> FK:
    """Back-azimuth and slowness of an arrival across an array.

    :param data: (n_sta, n_samples) vertical traces on a common time base, any units.
    :param fs: sampling rate, Hz.
    :param east_km, north_km: (n_sta,) element offsets from the array reference, km.
    :param onset_index: sample index (fractional allowed) of the onset in ``data``.
    :param band: pass band, Hz, of the zero-phase 3rd-order Butterworth applied first
        (default :data:`FK_BAND`, 0.8-4.5 Hz).
    :param window: analysis window relative to the onset, s.
    :param smax: largest slowness of the f-k grid, s/°.
    :param refine: refine the f-k peak with a plane-wave fit of cross-correlation delays.
    :param min_cc: smallest normalised correlation of a pair used in the fit.
    :param start: a slowness vector (east, north, s/km; e.g. ``slowness_vector(baz, slow)``
        of the beam that triggered) near which to search: the f-k grid then covers only
        ``search_radius`` s/° around it (within ``smax``) instead of the whole disc.
    :param search_radius: radius of that search, s/° (default :data:`START_RADIUS`).
    :param correction: station slowness/azimuth corrections
        (:class:`~testban.features.corrections.SlownessAzimuthCorrection`) added to the
        measured back-azimuth and slowness; default none.
    :returns: :class:`FK`. ``delaz``/``delslo`` are the formal one-sigma errors of the
        plane-wave fit, or, without one, a resolution estimate from the f-k peak
        (``0.5 / (f_c D sqrt(F))`` s/km for aperture ``D`` and centre frequency ``f_c``).
    """
    data = np.atleast_2d(np.asarray(data, dtype=np.float64))
    east = np.asarray(east_km, dtype=np.float64)
    north = np.asarray(north_km, dtype=np.float64)
    n_sta = data.shape[0]
    if n_sta < 3 or east.shape != (n_sta,) or north.shape != (n_sta,):
        raise ValueError("need (n_sta, n) data and n_sta >= 3 east/north offsets")
    band = FK_BAND if band is None else band
    band = (band[0], min(band[1], 0.45 * fs))
    fc = math.sqrt(band[0] * band[1])
    dx = east[:, None] - east[None, :]
    dy = north[:, None] - north[None, :]
    aperture = float(np.sqrt(dx**2 + dy**2).max())
    smax_km = smax / KM_PER_DEG
    max_delay = smax_km * aperture

    # filter once, with room to shift windows by the largest possible delay
    w0 = onset_index + window[0] * fs
    w1 = onset_index + window[1] * fs
    nwin = int(round(w1 - w0))
    margin = int(math.ceil(max_delay * fs)) + 1
    filt, first = bandpass_window(data, fs, w0 - margin, w1 + margin, band)
    k0 = int(round(w0)) - first
    taper = signal.windows.tukey(nwin, alpha=0.2)

    def cut(shifts: np.ndarray) -> np.ndarray:
        idx = k0 + shifts[:, None] + np.arange(nwin)[None, :]
        idx = np.clip(idx, 0, filt.shape[-1] - 1)
        return np.take_along_axis(filt, idx, axis=1) * taper

    zero = np.zeros(n_sta, dtype=int)
    x = cut(zero)
    spectra, freqs = _spectra(x, fs, band)
    centre, radius = (0.0, 0.0), smax_km
    if start is not None:
        sx0, sy0 = float(start[0]), float(start[1])
        if not (math.isfinite(sx0) and math.isfinite(sy0)):
            raise ValueError("start slowness vector must be finite")
        s0 = math.hypot(sx0, sy0)
        if s0 > smax_km:  # keep the search within smax
            sx0, sy0 = sx0 * smax_km / s0, sy0 * smax_km / s0
        centre, radius = (sx0, sy0), min(search_radius / KM_PER_DEG, smax_km)
    step = COARSE_LOBE / (band[1] * max(aperture, 1e-3))
    step = min(max(step, radius / MAX_COARSE_NODES), radius / 5.0)
    sx, sy, _ = _grid_peak(spectra, freqs, east, north, centre, radius, step)
    fit = None
    if refine:
        shifts = np.rint((sx * east + sy * north) * fs).astype(int)
        shifts -= int(np.round(np.median(shifts)))
        xs = cut(shifts)
        ii, jj = np.triu_indices(n_sta, k=1)
        pairs = np.column_stack([ii, jj])
        resid_pred = (sx * (east[jj] - east[ii]) + sy * (north[jj] - north[ii])) - (
            shifts[jj] - shifts[ii]
        ) / fs
        delay, peak = pair_delays(xs, fs, resid_pred, pairs, 0.5 / fc)
        delay = delay + (shifts[jj] - shifts[ii]) / fs
        delay[peak < min_cc] = np.nan
        fit = plane_wave_fit(delay, pairs, east, north, sigma_floor=0.1 / fs)
    if fit is not None:
        sx, sy = fit.sx, fit.sy
    power = _relative_power(spectra, freqs, east, north, sx, sy)
    fstat = fstat_from_power(power, n_sta)
    azimuth, slow = azimuth_slowness(sx, sy)
    if fit is not None:
        delaz, delslo = _polar_errors(sx, sy, fit.cov)
    else:
        sig = 0.5 / (fc * max(aperture, 1e-3) * math.sqrt(max(fstat, 1.0)))
        delaz, delslo = _polar_errors(sx, sy, np.eye(2) * sig**2)
    if correction is not None:
        azimuth, slow = correction.apply(azimuth, slow)
    return FK(azimuth, slow, delaz, delslo, fstat)
