"""Infrasound array kernels: Fisher F scan over trace velocity and back-azimuth, adaptive
F threshold, PMCC-style pixels and families, coherent-noise persistence.

Pure NumPy/SciPy functions over element traces on a common time base (the detector,
:mod:`testban.detect.infrasound`, composes them); the f-k beam power itself is
:func:`testban.features.fk.fk_power`, the pair delays and plane-wave fit those of
:mod:`testban.features.fk`.

**Fisher F.** For ``N`` elements with spectra ``X_j(f)`` over ``K`` frequency bins of one
window, the relative power of the beam steered to slowness ``s`` is
``R = sum_f |sum_j X_j e^{i w s.r_j}|^2 / (N sum_f sum_j |X_j|^2)`` and
``F = (N - 1) R / (1 - R)`` (Melton & Bailey 1957; Blandford 1974). For independent
Gaussian noise of equal spectra at the elements each bin contributes a complex beam
(2 degrees of freedom) and ``N - 1`` complex residuals, so ``F ~ F(2K, 2K(N - 1))``
exactly when the bins are independent (a boxcar window of pre-filtered data: DFT bins
of white noise are independent) and equally loud. Unequal bin powers ``P_f`` reduce the
degrees of freedom to Satterthwaite's ``K_eff = (sum P_f)^2 / sum P_f^2``.

**Threshold.** The best of ``M`` beams exceeds a per-beam level of probability ``p / M``
with probability at most ``p`` (union bound, whatever the beams' correlation), so
``F_crit = F^{-1}(1 - p / M; 2K_eff, 2K_eff(N - 1))`` bounds the false-alarm probability
per window by ``p`` for incoherent noise. Real noise is partly coherent (wind eddies,
microbaroms, surf): its F is the theoretical one scaled by a factor ``c >= 1``
(Arrowsmith et al. 2009, BSSA 99, "The F-detector revisited"; Arrowsmith et al. 2008 for
the adaptive detector at infrasound arrays), which is estimated from the running
background — the median over the span of the best-beam F divided by the median of the
best of ``M`` independent beams under the null — and multiplies ``F_crit``.

**PMCC** (Cansi 1995): in time–frequency pixels, the delays of every element pair are
measured by cross-correlation; for a plane wave they close around every triplet
(``t_ij + t_jk + t_ki = 0``). The mean closure residual over triplets (the
*consistency*) is small for a signal and of the order of the search range for noise;
consistent pixels with a trace velocity in the acoustic range are grouped into
*families* of pixels adjacent in time and frequency with similar back-azimuth and trace
velocity. Isolated noise pixels that pass by chance do not form families.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import signal, stats

from testban.features.fk import azimuth_slowness, fk_power, pair_delays, plane_wave_fit

__all__ = [
    "FScan",
    "Pixels",
    "adaptive_factor",
    "aperture_km",
    "circular_mean",
    "f_threshold",
    "families",
    "fstat_scan",
    "null_max_median",
    "persistent",
    "pmcc_pixels",
    "slowness_axes",
    "sliding",
    "zero_phase_band",
]


class FScan(NamedTuple):
    """The best beam of each window of an F scan (arrays of one value per window)."""

    start: np.ndarray
    """Window start, sample index."""
    fstat: np.ndarray
    """F-statistic of the best beam."""
    sx: np.ndarray
    """East slowness of the best beam, s/km."""
    sy: np.ndarray
    """North slowness of the best beam, s/km."""
    dof: np.ndarray
    """Effective number of independent frequency bins ``K_eff`` of the window."""
    nbeams: int
    """Beams searched per window (``M`` of the threshold)."""
    nwin: int
    """Window length, samples."""


class Pixels(NamedTuple):
    """PMCC pixels that passed the consistency and velocity tests (one value per pixel)."""

    start: np.ndarray
    """Window start, s after the first sample."""
    end: np.ndarray
    """Window end, s after the first sample."""
    band: np.ndarray
    """Index of the sub-band."""
    freq: np.ndarray
    """Centre frequency of the sub-band, Hz."""
    azimuth: np.ndarray
    """Back-azimuth, degrees."""
    velocity: np.ndarray
    """Trace velocity, km/s."""
    consistency: np.ndarray
    """Mean closure residual over triplets, s."""
    correlation: np.ndarray
    """Mean normalised pair correlation at the measured delays."""


def aperture_km(east: np.ndarray, north: np.ndarray) -> float:
    """Largest element separation, km."""
    dx = np.subtract.outer(east, east)
    dy = np.subtract.outer(north, north)
    return float(np.sqrt(dx**2 + dy**2).max())


def zero_phase_band(x: np.ndarray, fs: float, band: tuple[float, float], order: int = 4):
    """Zero-phase Butterworth band-pass of the rows of ``x`` (same unit)."""
    hi = min(band[1], 0.45 * fs)
    sos = signal.butter(order, [band[0], hi], btype="bandpass", fs=fs, output="sos")
    return signal.sosfiltfilt(sos, x, axis=-1)


def sliding(n: int, nwin: int, step: int) -> np.ndarray:
    """Start indices of windows of ``nwin`` samples every ``step`` samples in ``n``."""
    if n < nwin:
        return np.zeros(0, dtype=int)
    return np.arange(0, n - nwin + 1, max(step, 1))


def slowness_axes(
    vmin: float, vmax: float, band_high: float, aperture: float, max_axis: int = 61
) -> tuple[np.ndarray, np.ndarray]:
    """Cartesian slowness axis (s/km) and the annulus mask of trace velocities
    ``vmin``–``vmax`` (km/s) on its square grid.

    The step is 0.4 of the beam's main-lobe half-width at the band top, ``1/(f D)``
    (as :data:`testban.features.fk.COARSE_LOBE`), but no finer than ``max_axis`` nodes
    across: the peak is refined afterwards, the grid only has to catch it.
    """
    smax = 1.0 / vmin
    step = max(0.4 / (band_high * max(aperture, 1e-3)), 2 * smax / (max_axis - 1))
    n = int(math.ceil(smax / step)) + 1
    axis = np.arange(-n, n + 1) * step
    s = np.hypot(axis[None, :], axis[:, None])
    mask = (s >= 1.0 / vmax - 0.5 * step) & (s <= smax + 0.5 * step)
    return axis, mask


def fstat_scan(
    x: np.ndarray,
    fs: float,
    east: np.ndarray,
    north: np.ndarray,
    band: tuple[float, float],
    window: float,
    step: float,
    vmin: float,
    vmax: float,
    usable: np.ndarray | None = None,
) -> FScan:
    """Best-beam F of every window of band-passed traces ``x`` (n_sta, n).

    ``window``/``step`` in s; trace velocities ``vmin``–``vmax`` km/s, all azimuths.
    ``usable`` (n,) marks good samples: a window with under 90 % of them is skipped.
    Windows are boxcars (the traces are already band-passed, so nothing leaks in from
    outside the band) so that their DFT bins stay independent (see the module notes).
    """
    n_sta, n = x.shape
    nwin = int(round(window * fs))
    starts = sliding(n, nwin, int(round(step * fs)))
    if usable is not None and starts.size:
        good = np.concatenate([[0], np.cumsum(usable.astype(int))])
        frac = (good[starts + nwin] - good[starts]) / nwin
        starts = starts[frac >= 0.9]
    freqs = np.fft.rfftfreq(nwin, 1.0 / fs)
    keep = (freqs >= band[0]) & (freqs <= min(band[1], 0.45 * fs)) & (freqs > 0)
    axis, mask = slowness_axes(vmin, vmax, band[1], aperture_km(east, north))
    iy, ix = np.nonzero(mask)
    out_f = np.zeros(starts.size)
    out_sx = np.zeros(starts.size)
    out_sy = np.zeros(starts.size)
    out_k = np.zeros(starts.size)
    for w, i0 in enumerate(starts):
        spec = np.fft.rfft(x[:, i0 : i0 + nwin], axis=-1)[:, keep]
        p = fk_power(spec, freqs[keep], east, north, axis, axis)
        pm = p[iy, ix]
        b = int(np.argmax(pm))
        r = min(float(pm[b]), 1.0 - 1e-12)
        out_f[w] = (n_sta - 1) * r / (1.0 - r)
        out_sx[w], out_sy[w] = axis[ix[b]], axis[iy[b]]
        pf = np.sum(spec.real**2 + spec.imag**2, axis=0)
        out_k[w] = float(pf.sum() ** 2 / max(float(np.sum(pf**2)), 1e-300))
    return FScan(starts, out_f, out_sx, out_sy, out_k, int(iy.size), nwin)


def f_threshold(p: float, nbeams: int, dof: np.ndarray, n_sta: int) -> np.ndarray:
    """Per-window F level exceeded by the best of ``nbeams`` beams of incoherent noise
    with probability at most ``p`` (union bound; ``dof`` = ``K_eff`` per window)."""
    k = np.maximum(np.asarray(dof, dtype=float), 1.0)
    return stats.f.isf(p / max(nbeams, 1), 2 * k, 2 * k * (n_sta - 1))


def null_max_median(nbeams: int, dof: np.ndarray, n_sta: int) -> np.ndarray:
    """Median of the best of ``nbeams`` independent F(2K, 2K(N-1)) beams (an upper bound
    of the incoherent-noise median, since real beams are correlated)."""
    k = np.maximum(np.asarray(dof, dtype=float), 1.0)
    return stats.f.ppf(0.5 ** (1.0 / max(nbeams, 1)), 2 * k, 2 * k * (n_sta - 1))


def adaptive_factor(fstat: np.ndarray, null_median: np.ndarray) -> float:
    """Arrowsmith's scale ``c >= 1`` of the background F: the median ratio of observed to
    incoherent-noise best-beam F over the span (signals fill few windows; the median
    ignores them)."""
    if fstat.size == 0:
        return 1.0
    return max(1.0, float(np.median(fstat / null_median)))


def circular_mean(deg: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float]:
    """Mean direction (°, [0, 360)) and circular standard deviation (°) of angles."""
    a = np.radians(np.asarray(deg, dtype=float))
    w = np.ones_like(a) if weights is None else np.asarray(weights, dtype=float)
    c, s = float(np.sum(w * np.cos(a))), float(np.sum(w * np.sin(a)))
    r = math.hypot(c, s) / max(float(w.sum()), 1e-300)
    mean = math.degrees(math.atan2(s, c)) % 360.0
    sd = math.degrees(math.sqrt(max(-2.0 * math.log(max(r, 1e-12)), 0.0)))
    return mean, sd


def _angle_diff(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    return np.abs((np.asarray(a) - b + 180.0) % 360.0 - 180.0)


def _progressive(
    seg: np.ndarray,
    fs: float,
    east: np.ndarray,
    north: np.ndarray,
    fc: float,
    vmin: float,
    tolerance: float,
) -> tuple[list[int], np.ndarray, np.ndarray, float, float] | None:
    """PMCC's progressive sub-array growth over one pixel (``seg`` band-passed, windowed).

    The most compact triplet's delays are searched over all lags a trace velocity of
    ``vmin`` allows and must close within ``tolerance`` s; then the nearest remaining
    elements join one by one, their delays to the members searched within half a period
    of those the current plane wave predicts (no cycle skip on the longer baselines) and
    kept when they close around every triplet they form within ``tolerance``. Returns
    (members, pairs, delays, mean closure s, mean correlation) or None.
    """
    n_sta = seg.shape[0]
    dist = np.hypot(np.subtract.outer(east, east), np.subtract.outer(north, north))
    best, side = None, math.inf
    for a in range(n_sta):
        for b in range(a + 1, n_sta):
            for c in range(b + 1, n_sta):
                m = max(dist[a, b], dist[b, c], dist[a, c])
                if m < side:
                    best, side = (a, b, c), m
    if best is None:
        return None
    a, b, c = best
    pairs = np.array([(a, b), (b, c), (a, c)])
    with np.errstate(invalid="ignore"):
        d, pk = pair_delays(seg, fs, np.zeros(3), pairs, side / vmin + 1.0 / fs)
    if not np.all(np.isfinite(d)):
        return None
    closures = [abs(d[0] + d[1] - d[2])]
    if closures[0] > tolerance:
        return None
    members = [a, b, c]
    delay = {(a, b): d[0], (b, c): d[1], (a, c): d[2]}
    corr = list(pk)
    fit = plane_wave_fit(d, pairs, east, north, sigma_floor=tolerance, max_iter=1)
    rest = [e for e in range(n_sta) if e not in members]
    while rest and fit is not None:
        ce, cn = east[members].mean(), north[members].mean()
        rest.sort(key=lambda e: math.hypot(east[e] - ce, north[e] - cn))
        e = rest.pop(0)
        mp = np.array([(m, e) for m in members])
        pred = fit.sx * (east[e] - east[mp[:, 0]]) + fit.sy * (north[e] - north[mp[:, 0]])
        with np.errstate(invalid="ignore"):  # lags beyond the window are -inf
            de, pe = pair_delays(seg, fs, pred, mp, 0.5 / fc)
        if not np.all(np.isfinite(de)):
            continue
        # triplets (m1, m2, e): t(m1, e) - t(m2, e) - t(m1, m2) = 0 for a plane wave
        cl = [
            abs(de[i] - de[j] - delay[(members[i], members[j])])
            for i in range(len(members))
            for j in range(i + 1, len(members))
        ]
        if float(np.mean(cl)) > tolerance:
            continue
        closures += cl
        corr += list(pe)
        for m, t in zip(members, de, strict=True):
            delay[(m, e)] = float(t)
        members.append(e)
        allp = np.array(list(delay))
        fit = plane_wave_fit(
            np.array(list(delay.values())), allp, east, north, sigma_floor=tolerance, max_iter=1
        )
    allp = np.array(list(delay))
    return (
        members,
        allp,
        np.array(list(delay.values())),
        float(np.mean(closures)),
        float(np.mean(corr)),
    )


def pmcc_pixels(
    x: np.ndarray,
    fs: float,
    east: np.ndarray,
    north: np.ndarray,
    sub_bands: list[tuple[float, float]],
    *,
    vmin: float,
    vmax: float,
    consistency: float = 0.1,
    periods: float = 10.0,
    min_window: float = 5.0,
    overlap: float = 0.5,
    min_fraction: float = 2.0 / 3.0,
    usable: np.ndarray | None = None,
) -> Pixels:
    """Consistent pixels of raw traces ``x`` (n_sta, n) over ``sub_bands`` (Hz).

    Each sub-band is band-passed once; windows are ``periods`` periods of its centre
    frequency (at least ``min_window`` s) with ``overlap``. In each window the sub-array
    is grown progressively (:func:`_progressive`); a pixel passes when at least
    ``min_fraction`` of the elements (and three) close within ``consistency`` periods
    and the plane wave fitted to their delays has a trace velocity within
    ``vmin``–``vmax`` (±10 %).
    """
    n_sta, n = x.shape
    if n_sta < 3:
        raise ValueError("PMCC needs at least 3 elements")
    need = max(3, int(math.ceil(min_fraction * n_sta)))
    cols: dict[str, list] = {k: [] for k in Pixels._fields}
    for kb, (lo, hi) in enumerate(sub_bands):
        if hi >= 0.45 * fs:
            continue
        fc = math.sqrt(lo * hi)
        xf = zero_phase_band(x, fs, (lo, hi))
        nwin = int(round(max(periods / fc, min_window) * fs))
        starts = sliding(n, nwin, int(round(nwin * (1.0 - overlap))))
        if usable is not None and starts.size:
            good = np.concatenate([[0], np.cumsum(usable.astype(int))])
            starts = starts[(good[starts + nwin] - good[starts]) >= 0.9 * nwin]
        taper = signal.windows.tukey(nwin, 0.1)
        for i0 in starts:
            got = _progressive(xf[:, i0 : i0 + nwin] * taper, fs, east, north, fc, vmin,
                               consistency / fc)  # fmt: skip
            if got is None or len(got[0]) < need:
                continue
            _members, pairs, delay, cons, corr = got
            fit = plane_wave_fit(delay, pairs, east, north, sigma_floor=consistency / fc)
            if fit is None:
                continue
            s = math.hypot(fit.sx, fit.sy)
            v = 1.0 / s if s > 0 else math.inf
            if not (0.9 * vmin <= v <= 1.1 * vmax):
                continue
            az, _ = azimuth_slowness(fit.sx, fit.sy)
            cols["start"].append(i0 / fs)
            cols["end"].append((i0 + nwin) / fs)
            cols["band"].append(kb)
            cols["freq"].append(fc)
            cols["azimuth"].append(az)
            cols["velocity"].append(v)
            cols["consistency"].append(cons)
            cols["correlation"].append(corr)
    return Pixels(*(np.asarray(cols[k], dtype=float) for k in Pixels._fields))


def families(
    pixels: Pixels, *, az_tol: float = 10.0, v_tol: float = 0.15, min_pixels: int = 6
) -> np.ndarray:
    """Family label of every pixel (-1: none).

    Two pixels are linked when their windows overlap in time, their sub-bands are the
    same or adjacent, their back-azimuths differ by at most ``az_tol`` ° and their trace
    velocities by at most ``v_tol`` (relative); a family is a connected set of at least
    ``min_pixels`` pixels.
    """
    n = pixels.start.size
    labels = -np.ones(n, dtype=int)
    if n == 0:
        return labels
    s, e, b = pixels.start, pixels.end, pixels.band
    link = (
        (s[:, None] < e[None, :])
        & (s[None, :] < e[:, None])
        & (np.abs(b[:, None] - b[None, :]) <= 1)
        & (_angle_diff(pixels.azimuth[:, None], pixels.azimuth[None, :]) <= az_tol)
        & (
            np.abs(pixels.velocity[:, None] - pixels.velocity[None, :])
            <= v_tol * np.minimum(pixels.velocity[:, None], pixels.velocity[None, :])
        )
    )
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    _, comp = connected_components(csr_matrix(link), directed=False)
    fam = 0
    for c in np.unique(comp):
        members = np.flatnonzero(comp == c)
        if members.size >= min_pixels:
            labels[members] = fam
            fam += 1
    return labels


def persistent(
    azimuth: np.ndarray,
    detected: np.ndarray,
    span: float,
    step: float,
    *,
    sector: float = 10.0,
    min_fraction: float = 0.5,
    min_span: float = 600.0,
) -> np.ndarray:
    """Which window-level detections belong to a persistent back-azimuth cluster.

    ``azimuth`` and ``detected`` are per window (every ``step`` s over ``span`` s). A
    detecting window is persistent when detecting windows within ``sector/2`` ° of its
    azimuth cover at least ``min_fraction`` of the span: a source that never stops over
    tens of minutes (microbaroms, surf, a plant) is coherent noise, an explosion's
    arrivals last minutes. Nothing is persistent over spans shorter than ``min_span``.
    """
    out = np.zeros(azimuth.size, dtype=bool)
    if span < min_span or not detected.any():
        return out
    idx = np.flatnonzero(detected)
    near = _angle_diff(azimuth[idx][:, None], azimuth[idx][None, :]) <= 0.5 * sector
    cover = near.sum(axis=1) * step / span
    out[idx] = cover >= min_fraction
    return out
