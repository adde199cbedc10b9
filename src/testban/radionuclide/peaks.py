"""Peak search and peak fitting in a gamma spectrum (channel domain).

Search: a smoothed second difference (Mariscotti 1967, NIM 50, 309), i.e. the spectrum
convolved with the negative second derivative of a Gaussian whose width follows the
detector's resolution, divided by its Poisson standard deviation: a significance per
channel that is zero on any linear background. Local maxima above a threshold are peak
candidates. The kernel is computed for a geometric grid of widths and each channel takes
the one nearest its expected FWHM, so the whole search is a handful of convolutions.

Fit: candidates closer than a few FWHM form one region (a multiplet); each region is fitted
with Gaussians sharing one width on a linear background, by Poisson likelihood (deviance
residuals), giving net areas, centroids and their uncertainties from the covariance.

Channel coordinate: bin ``i`` spans ``[i, i + 1)``, as in :meth:`Spectrum.energies`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.special import erf

SQRT2 = np.sqrt(2.0)
FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))
#: Half-width of the region counted as "under the peak" for background and limits,
#: in FWHM: ±1.25 FWHM holds 99.7 % of a Gaussian (the usual choice, e.g. Gilmore 2008).
PEAK_HALF_WIDTH_FWHM = 1.25


@dataclass(frozen=True)
class Peak:
    """A fitted peak (names after the IDC's GARDS_PEAKS table). Counts are net counts in
    the spectrum's live time; ``energy`` and ``fwhm`` are keV when a calibration was given,
    else NaN; ``background`` is the fitted continuum under ±1.25 FWHM."""

    centroid: float  # channel
    centroid_err: float
    energy: float  # keV
    energy_err: float
    fwhm: float  # keV
    fwhm_channels: float
    area: float  # net counts
    area_err: float
    background: float  # counts under the peak (±1.25 FWHM)
    background_err: float
    significance: float  # area / area_err
    multiplet: int  # index of the fitted region; peaks sharing it were fitted together
    left: int  # fit region, channels [left, right)
    right: int
    chi2_ndf: float  # of the region's fit (Poisson deviance / degrees of freedom)


def second_difference_kernel(sigma: float) -> np.ndarray:
    """Zero-area negative second derivative of a Gaussian of ``sigma`` channels (±3σ)."""
    half = max(int(np.ceil(3.0 * sigma)), 2)
    x = np.arange(-half, half + 1, dtype=float)
    k = (1.0 - (x / sigma) ** 2) * np.exp(-0.5 * (x / sigma) ** 2)
    return k - k.mean()


def search_significance(counts: np.ndarray, fwhm_channels: np.ndarray) -> np.ndarray:
    """Significance (σ units) of a peak at each channel: the second-difference filter
    output over its Poisson standard deviation, the kernel scaled to ``fwhm_channels``
    (array of one FWHM per channel). Channels within a kernel of the ends are zero."""
    y = np.asarray(counts, dtype=float)
    fw = np.broadcast_to(np.asarray(fwhm_channels, dtype=float), y.shape)
    fw = np.clip(fw, 1.0, None)
    lo, hi = float(fw.min()), float(fw.max())
    n_w = max(1, int(np.ceil(np.log(hi / lo) / np.log(1.1))) + 1)
    widths = lo * 1.1 ** np.arange(n_w)
    pick = np.clip(np.rint(np.log(fw / lo) / np.log(1.1)).astype(int), 0, n_w - 1)
    out = np.zeros_like(y)
    var_y = np.clip(y, 1.0, None)  # a zero-count channel still has Poisson variance ~1
    for j, w in enumerate(widths):
        sel = pick == j
        if not sel.any():
            continue
        k = second_difference_kernel(w / FWHM_PER_SIGMA)
        num = np.convolve(y, k, mode="same")
        den = np.sqrt(np.convolve(var_y, k * k, mode="same"))
        s = num / den
        half = k.size // 2
        s[:half] = 0.0
        s[-half:] = 0.0
        out[sel] = s[sel]
    return out


def find_candidates(
    counts: np.ndarray, fwhm_channels: np.ndarray, threshold: float = 3.0
) -> tuple[np.ndarray, np.ndarray]:
    """Channels (bin indices) of local maxima of :func:`search_significance` above
    ``threshold`` σ, and their significances, strongest first."""
    s = search_significance(counts, fwhm_channels)
    is_max = np.zeros(s.size, dtype=bool)
    is_max[1:-1] = (s[1:-1] > s[:-2]) & (s[1:-1] >= s[2:]) & (s[1:-1] > threshold)
    idx = np.flatnonzero(is_max)
    order = np.argsort(-s[idx])
    return idx[order], s[idx][order]


def multiscale_candidates(
    counts: np.ndarray, fwhm_grid: np.ndarray, threshold: float = 5.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Peak candidates when the resolution is unknown (before calibration): the search at
    each FWHM of ``fwhm_grid`` (channels); each local maximum keeps the width that makes it
    most significant (a matched filter's width is the peak's). Returns channels,
    significances and best FWHMs (channels), strongest first."""
    y = np.asarray(counts, dtype=float)
    stack = np.stack([search_significance(y, np.full(y.size, w)) for w in fwhm_grid])
    best = stack.argmax(axis=0)
    s = stack.max(axis=0)
    fw = np.asarray(fwhm_grid, dtype=float)[best]
    # a local maximum over ±half a best FWHM
    is_max = np.zeros(s.size, dtype=bool)
    is_max[1:-1] = (s[1:-1] > s[:-2]) & (s[1:-1] >= s[2:]) & (s[1:-1] > threshold)
    idx = np.flatnonzero(is_max)
    order = np.argsort(-s[idx])
    idx = idx[order]
    keep: list[int] = []
    for i in idx:  # suppress weaker maxima inside a stronger one's FWHM
        if all(abs(i - j) > 0.5 * max(fw[i], fw[j]) for j in keep):
            keep.append(int(i))
    k = np.array(keep, dtype=int)
    return k, s[k], fw[k]


def _region_model(p: np.ndarray, x0: np.ndarray, xc: float, n_pk: int) -> np.ndarray:
    """Counts per bin (bins [x0, x0 + 1)) of ``n_pk`` Gaussians sharing σ on a linear
    background. p = [b0, b1, sigma, mu_1, A_1, ..., mu_n, A_n]."""
    b0, b1, sig = p[0], p[1], p[2]
    mus = p[3::2][:n_pk]
    amps = p[4::2][:n_pk]
    lo = (x0[None, :] - mus[:, None]) / (SQRT2 * sig)
    hi = (x0[None, :] + 1.0 - mus[:, None]) / (SQRT2 * sig)
    frac = 0.5 * (erf(hi) - erf(lo))
    return b0 + b1 * (x0 + 0.5 - xc) + (amps[:, None] * frac).sum(axis=0)


def _deviance_residuals(p, x0, y, xc, n_pk):
    m = np.clip(_region_model(p, x0, xc, n_pk), 1e-9, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, y * np.log(y / m), 0.0)
    d = 2.0 * (m - y + t)
    return np.sign(m - y) * np.sqrt(np.clip(d, 0.0, None))


def _group(chans: np.ndarray, fwhm_at: np.ndarray, gap_fwhm: float) -> list[np.ndarray]:
    order = np.argsort(chans)
    groups: list[list[int]] = [[int(order[0])]] if order.size else []
    for a, b in zip(order[:-1], order[1:], strict=False):
        if chans[b] - chans[a] < gap_fwhm * max(fwhm_at[a], fwhm_at[b]):
            groups[-1].append(int(b))
        else:
            groups.append([int(b)])
    return [np.array(g) for g in groups]


def fit_peaks(
    counts: np.ndarray,
    candidates: np.ndarray,
    fwhm_channels: Callable[[np.ndarray], np.ndarray],
    energy: Callable[[np.ndarray], np.ndarray] | None = None,
    *,
    free_width: bool = True,
    min_significance: float = 2.0,
    multiplet_gap: float = 3.0,
    region_half_width: float = 3.0,
) -> list[Peak]:
    """Fit the peaks at ``candidates`` (channels): regions of candidates closer than
    ``multiplet_gap`` FWHM, extended ``region_half_width`` FWHM either side; Gaussians with
    one shared width (free within ±40 % of the expected FWHM when ``free_width``, else
    fixed) on a linear background. Peaks with a fitted significance below
    ``min_significance`` are dropped and their region refitted. ``fwhm_channels(ch)``
    gives the expected FWHM in channels; ``energy(ch)`` converts channels to keV."""
    y_all = np.asarray(counts, dtype=float)
    n = y_all.size
    cands = np.asarray(candidates, dtype=float) + 0.5
    if cands.size == 0:
        return []
    fw_c = np.asarray(fwhm_channels(cands), dtype=float)
    peaks: list[Peak] = []
    for g_id, grp in enumerate(_group(cands, fw_c, multiplet_gap)):
        mus = cands[grp]
        while mus.size:
            fitted = _fit_region(y_all, n, mus, fwhm_channels, free_width, region_half_width)
            if fitted is None:
                break
            res, left, right = fitted
            weak = res["sig"] < min_significance
            if weak.any() and not weak.all():
                mus = res["mu"][~weak]
                continue
            if weak.all():
                break
            peaks.extend(_to_peaks(res, left, right, g_id, energy))
            break
    peaks.sort(key=lambda p: p.centroid)
    return peaks


def _fit_region(y_all, n, mus, fwhm_channels, free_width, half_width):
    fw = float(np.mean(fwhm_channels(mus)))
    left = int(max(0, np.floor(mus.min() - half_width * fw)))
    right = int(min(n, np.ceil(mus.max() + half_width * fw)))
    if right - left < 5 + 2 * mus.size:
        return None
    x0 = np.arange(left, right, dtype=float)
    y = y_all[left:right]
    xc = 0.5 * (left + right)
    sig0 = fw / FWHM_PER_SIGMA
    edge = max(1, int(round(0.5 * fw)))
    bl, br = y[:edge].mean(), y[-edge:].mean()
    b1 = (br - bl) / max(right - left - edge, 1)
    b0 = 0.5 * (bl + br)
    p0 = [b0, b1, sig0]
    lo = [-np.inf, -np.inf, sig0 * (0.6 if free_width else 0.999)]
    hi = [np.inf, np.inf, sig0 * (1.4 if free_width else 1.001)]
    for mu in mus:
        k = int(np.clip(mu - left, 0, y.size - 1))
        amp = max(y[max(k - 1, 0) : k + 2].max() - b0, 1.0) * np.sqrt(2 * np.pi) * sig0
        p0 += [mu, amp]
        lo += [mu - 0.75 * fw, 0.0]
        hi += [mu + 0.75 * fw, np.inf]
    p0 = np.clip(np.array(p0, dtype=float), np.array(lo) + 1e-9, np.array(hi) - 1e-9)
    try:
        fit = least_squares(
            _deviance_residuals,
            p0,
            bounds=(lo, hi),
            args=(x0, y, xc, mus.size),
            x_scale="jac",
            max_nfev=200,
        )
    except (ValueError, np.linalg.LinAlgError):
        return None
    p = fit.x
    jac = np.asarray(fit.jac, dtype=float)
    try:
        cov = np.linalg.pinv(jac.T @ jac)
    except np.linalg.LinAlgError:
        return None
    ndf = max(y.size - p.size, 1)
    chi2 = float(2.0 * fit.cost) / ndf
    k_pk = mus.size
    mu = p[3::2][:k_pk]
    amp = p[4::2][:k_pk]
    var = np.diag(cov)
    amp_err = np.sqrt(np.clip(var[4::2][:k_pk], 0.0, None)) * max(1.0, np.sqrt(chi2))
    mu_err = np.sqrt(np.clip(var[3::2][:k_pk], 0.0, None)) * max(1.0, np.sqrt(chi2))
    sig = p[2]
    # background under ±1.25 FWHM of each peak, and its variance from (b0, b1)
    width = 2.0 * PEAK_HALF_WIDTH_FWHM * FWHM_PER_SIGMA * sig
    dx = mu - xc
    bkg = (p[0] + p[1] * dx) * width
    cbb = cov[:2, :2]
    g = np.stack([np.full_like(dx, width), dx * width])
    bkg_var = np.einsum("ik,ij,jk->k", g, cbb, g)
    with np.errstate(divide="ignore", invalid="ignore"):
        significance = np.where(amp_err > 0, amp / amp_err, 0.0)
    res = {
        "mu": mu,
        "mu_err": mu_err,
        "amp": amp,
        "amp_err": amp_err,
        "sig": significance,
        "fwhm": np.full(k_pk, FWHM_PER_SIGMA * sig),
        "bkg": np.clip(bkg, 0.0, None),
        "bkg_err": np.sqrt(np.clip(bkg_var, 0.0, None)),
        "chi2": chi2,
    }
    return res, left, right


def _to_peaks(res, left, right, g_id, energy) -> list[Peak]:
    out = []
    for i in range(res["mu"].size):
        mu = float(res["mu"][i])
        fwc = float(res["fwhm"][i])
        if energy is not None:
            e = float(energy(np.array([mu]))[0])
            de = float(energy(np.array([mu + 0.5]))[0] - energy(np.array([mu - 0.5]))[0])
            e_err = abs(de) * float(res["mu_err"][i])
            fw_kev = abs(de) * fwc
        else:
            e = e_err = fw_kev = float("nan")
        out.append(
            Peak(
                centroid=mu,
                centroid_err=float(res["mu_err"][i]),
                energy=e,
                energy_err=e_err,
                fwhm=fw_kev,
                fwhm_channels=fwc,
                area=float(res["amp"][i]),
                area_err=float(res["amp_err"][i]),
                background=float(res["bkg"][i]),
                background_err=float(res["bkg_err"][i]),
                significance=float(res["sig"][i]),
                multiplet=g_id,
                left=left,
                right=right,
                chi2_ndf=float(res["chi2"]),
            )
        )
    return out


def continuum_under(counts: np.ndarray, centre: float, fwhm_channels: float) -> tuple[float, float]:
    """Continuum counts under ±1.25 FWHM of ``centre`` (channel) where no peak is fitted,
    estimated from the mean of the two side bands of 1.25 FWHM each, and its variance (for
    limits at energies without a peak: MDA of an absent nuclide)."""
    y = np.asarray(counts, dtype=float)
    h = PEAK_HALF_WIDTH_FWHM * fwhm_channels
    a, b = int(np.floor(centre - h)), int(np.ceil(centre + h))
    w = b - a
    la, rb = max(0, a - w // 2 - 1), min(y.size, b + w // 2 + 1)
    side = np.concatenate([y[la:a], y[b:rb]])
    if side.size == 0 or a < 0 or b > y.size:
        return float("nan"), float("nan")
    per_ch = side.mean()
    bkg = per_ch * w
    return float(bkg), float(bkg * w / side.size)
