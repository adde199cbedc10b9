"""Energy and resolution calibration of a gamma spectrum.

Energy: taken from the file when it has one, else found from the natural background lines
every spectrum shows (K-40, the Th-232 and U-238 chains, annihilation). Peaks are found at
several widths (the resolution is not known yet); every pairing of a strong peak with a
reference line proposes a gain (keV per channel, offset ~0 as on every MCA); each gain is
scored by how many reference lines, weighted by their usual strength, then fall on a found
peak (energy ratios, hence the pattern, do not depend on the gain). The best gain is refined
by fitting line energies against fitted centroids: linear, then quadratic once enough lines
spanning the range are matched, re-matching each time with a tighter window.

Resolution: FWHM(E) = sqrt(a + b·E) (electronic noise + charge statistics), from the file's
points or fitted to found peaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from testban.io.spectra.model import EnergyCalibration, Spectrum
from testban.radionuclide.peaks import (
    Peak,
    find_candidates,
    fit_peaks,
    multiscale_candidates,
)

#: Background lines for the automatic calibration: keV and a weight (their usual relative
#: strength in a background spectrum, a physical ranking, not a fit). Energies: DDEP.
BACKGROUND_LINES: dict[str, tuple[float, float]] = {
    "K-40 1460.8": (1460.820, 1.0),
    "Tl-208 2614.5": (2614.511, 1.0),
    "Bi-214 609.3": (609.312, 1.0),
    "Pb-214 351.9": (351.932, 1.0),
    "Pb-214 295.2": (295.224, 0.7),
    "Bi-214 1764.5": (1764.494, 0.7),
    "annihilation 511.0": (510.999, 0.7),
    "Pb-212 238.6": (238.632, 0.7),
    "Tl-208 583.2": (583.187, 0.7),
    "Ac-228 911.2": (911.204, 0.7),
    "Bi-214 1120.3": (1120.287, 0.5),
}


#: Largest RMS of the matched lines' residuals, in FWHM, for a found calibration to be kept.
MAX_RMS_FWHM = 0.25


@dataclass(frozen=True)
class Resolution:
    """FWHM (keV) = sqrt(a + b·E), E in keV."""

    a: float
    b: float

    def fwhm(self, energy: np.ndarray | float) -> np.ndarray:
        e = np.asarray(energy, dtype=float)
        return np.sqrt(np.clip(self.a + self.b * e, 1e-6, None))


@dataclass(frozen=True)
class CalibrationResult:
    """An energy calibration and how it was obtained ("file" or "found"), with the
    reference lines matched (name, channel, keV, residual keV) when found."""

    energy_cal: EnergyCalibration
    method: str
    matched: tuple[tuple[str, float, float, float], ...] = ()
    resolution: Resolution | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)


def fit_resolution(energy: np.ndarray, fwhm: np.ndarray, weight=None) -> Resolution:
    """Least-squares FWHM² = a + b·E (b ≥ 0, a ≥ 0), optionally weighted."""
    e = np.asarray(energy, dtype=float)
    f2 = np.asarray(fwhm, dtype=float) ** 2
    w = np.ones_like(e) if weight is None else np.asarray(weight, dtype=float)
    if e.size == 1:
        return Resolution(float(f2[0]), 0.0)
    design = np.stack([np.ones_like(e), e], axis=1) * w[:, None]
    (a, b), *_ = np.linalg.lstsq(design, f2 * w, rcond=None)
    if b < 0:
        return Resolution(float(np.average(f2, weights=w)), 0.0)
    if a < 0:
        return Resolution(0.0, float(np.sum(w * w * e * f2) / np.sum(w * w * e * e)))
    return Resolution(float(a), float(b))


def resolution_from_file(spectrum: Spectrum) -> Resolution | None:
    """The file's FWHM points fitted with sqrt(a + b·E), or None without points."""
    if not spectrum.resolution:
        return None
    pts = np.array(spectrum.resolution, dtype=float)
    ok = np.isfinite(pts).all(axis=1) & (pts[:, 1] > 0)
    if not ok.any():
        return None
    return fit_resolution(pts[ok, 0], pts[ok, 1])


def resolution_from_peaks(peaks: list[Peak], min_significance: float = 10.0) -> Resolution | None:
    """sqrt(a + b·E) fitted to the widths of strong single peaks, with a robust second
    pass that drops widths more than 30 % off the first fit (doublets, annihilation)."""
    sel = [
        p
        for p in peaks
        if p.significance >= min_significance and np.isfinite(p.fwhm) and p.fwhm > 0
    ]
    counts: dict[int, int] = {}
    for p in sel:
        counts[p.multiplet] = counts.get(p.multiplet, 0) + 1
    sel = [p for p in sel if counts[p.multiplet] == 1 and abs(p.energy - 511.0) > 5.0]
    if len(sel) < 2:
        return None
    e = np.array([p.energy for p in sel])
    f = np.array([p.fwhm for p in sel])
    w = np.sqrt(np.array([p.significance for p in sel]))
    res = fit_resolution(e, f, w)
    keep = np.abs(f / res.fwhm(e) - 1.0) < 0.3
    if keep.sum() >= 2:
        res = fit_resolution(e[keep], f[keep], w[keep])
    return res


def _poly_fit(x, e, w, deg):
    coef = np.polynomial.polynomial.polyfit(x, e, deg, w=w)
    return tuple(float(c) for c in coef)


def _match(x_peaks, sig, coef, tol_kev):
    """For each reference line: index of the strongest peak within tol (or -1)."""
    e_pk = np.polynomial.polynomial.polyval(x_peaks, coef)
    names = list(BACKGROUND_LINES)
    e_ref = np.array([BACKGROUND_LINES[k][0] for k in names])
    tol = np.broadcast_to(np.asarray(tol_kev, dtype=float), e_ref.shape)
    d = np.abs(e_pk[None, :] - e_ref[:, None])
    ok = d < tol[:, None]
    score = np.where(ok, sig[None, :] / (1.0 + d / tol[:, None]), -1.0)
    best = score.argmax(axis=1)
    return np.where(ok.any(axis=1), best, -1)


def find_energy_calibration(
    counts: np.ndarray, *, max_peaks: int = 80, min_lines: int = 3
) -> CalibrationResult:
    """Energy calibration found from background lines (see the module docstring).
    Returns method "found", or "none" with a problem when no gain explains at least
    ``min_lines`` reference lines."""
    y = np.asarray(counts, dtype=float)
    n = y.size
    names = list(BACKGROUND_LINES)
    e_ref = np.array([BACKGROUND_LINES[k][0] for k in names])
    w_ref = np.array([BACKGROUND_LINES[k][1] for k in names])
    # widths from 2 channels to 1/40 of the spectrum: HPGe at 16k channels to NaI at 1k
    fwhm_grid = np.geomspace(2.0, max(4.0, n / 40.0), 16)
    ch, sig, fw = multiscale_candidates(y, fwhm_grid, threshold=4.0)
    if ch.size < min_lines:
        return CalibrationResult(EnergyCalibration(), "none", problems=("too few peaks",))
    ch, sig, fw = ch[:max_peaks], sig[:max_peaks], fw[:max_peaks]
    x = ch + 0.5
    # 1) gain scan: every (peak, line) pair proposes gain = E/x (offset 0)
    gains = (e_ref[:, None] / x[None, :]).ravel()
    gains = gains[(gains * n > 300.0) & (gains * n < 20000.0)]  # full scale 0.3–20 MeV
    if gains.size == 0:
        return CalibrationResult(EnergyCalibration(), "none", problems=("no plausible gain",))
    e_pk = gains[:, None] * x[None, :]  # (G, P)
    # window: the peak's own width in keV, at least 1 % of the energy (non-linearity)
    fw_kev = gains[:, None] * fw[None, :]
    d = np.abs(e_pk[:, None, :] - e_ref[None, :, None])  # (G, R, P)
    tol = np.maximum(0.005 * e_ref[None, :, None], 0.5 * fw_kev[:, None, :])
    hit = d < tol
    s_w = np.log1p(sig)[None, None, :] * (1.0 - d / tol)
    score = (w_ref[None, :] * np.where(hit, s_w, 0.0).max(axis=2)).sum(axis=1)
    n_hit = hit.any(axis=2).sum(axis=1)
    score = np.where(n_hit >= min_lines, score, -1.0)
    # 2) the best distinct gains refined by a linear fit (gain and offset) through their
    #    matched lines, then rescored with a window of one FWHM: a chance pattern of a
    #    coarse window does not survive a straight line through zero-width windows
    best_lin, best_score, best_fw = None, 0.0, 0.0
    tried: list[float] = []
    for g_i in np.argsort(-score)[:200]:
        if score[g_i] <= 0 or len(tried) >= 30:
            break
        g = float(gains[g_i])
        if any(abs(g / t - 1.0) < 1e-3 for t in tried):
            continue
        tried.append(g)
        lin = (0.0, g)
        for tol_rel in (0.005, 0.002):
            m = _match(x, sig, lin, tol_rel * e_ref)
            ok = m >= 0
            if ok.sum() < 2:
                break
            lin = _poly_fit(x[m[ok]], e_ref[ok], np.log1p(sig[m[ok]]), 1)
        if lin[1] <= 0 or abs(lin[0]) > 50.0:
            continue
        fw_k = float(np.median(fw)) * lin[1]
        m = _match(x, sig, lin, np.full(e_ref.size, fw_k))
        ok = m >= 0
        if ok.sum() < min_lines:
            continue
        e_m = np.polynomial.polynomial.polyval(x[m[ok]], lin)
        sc = float((w_ref[ok] * np.log1p(sig[m[ok]]) * (1 - np.abs(e_m - e_ref[ok]) / fw_k)).sum())
        if sc > best_score:
            best_lin, best_score, best_fw = lin, sc, fw_k
    if best_lin is None:
        return CalibrationResult(
            EnergyCalibration(), "none", problems=("background lines not recognised",)
        )
    coef: tuple[float, ...] = best_lin
    gain = coef[1]
    # 3) resolution-scaled search and fitted centroids, then linear and quadratic fits
    m0 = _match(x, sig, coef, np.full(e_ref.size, best_fw))
    ok0 = m0 >= 0
    fw_ch_lines = fw[m0[ok0]]
    x_lines = x[m0[ok0]]
    if ok0.sum() >= 2:
        r0 = fit_resolution(e_ref[ok0], fw_ch_lines * gain * 0.8)
    else:
        r0 = Resolution(float(np.median(fw_ch_lines * gain * 0.8) ** 2), 0.0)
    del x_lines

    def fw_ch(c):
        return r0.fwhm(np.polynomial.polynomial.polyval(np.asarray(c), coef)) / gain

    all_x = np.arange(n) + 0.5
    cand, _ = find_candidates(y, fw_ch(all_x), threshold=4.0)
    fits = fit_peaks(y, cand, fw_ch, free_width=True, min_significance=3.0)
    if not fits:
        return CalibrationResult(EnergyCalibration(), "none", problems=("peak fits failed",))
    xf = np.array([p.centroid for p in fits])
    sf = np.array([p.significance for p in fits])
    ef = np.array([p.centroid_err for p in fits])
    fwf = np.array([p.fwhm_channels for p in fits]) * gain
    matched = np.full(len(names), -1)
    fw_lines = r0.fwhm(e_ref)
    for tol_kev, deg in ((1.5 * fw_lines, 1), (fw_lines, 2), (0.5 * fw_lines, 2)):
        matched = _match(xf, sf, coef, tol_kev)
        ok = matched >= 0
        if ok.sum() < 2:
            break
        d_use = deg if ok.sum() >= 4 and np.ptp(e_ref[ok]) > 0.4 * e_ref.max() else 1
        wts = 1.0 / np.maximum(ef[matched[ok]] * coef[1], 0.02)
        coef = _poly_fit(xf[matched[ok]], e_ref[ok], wts, d_use)
    ok = matched >= 0
    if ok.sum() < min_lines:
        return CalibrationResult(
            EnergyCalibration(), "none", problems=(f"only {ok.sum()} reference lines matched",)
        )
    e_fit = np.polynomial.polynomial.polyval(xf[matched[ok]], coef)
    # quality gate: matched lines must sit on the curve to a fraction of their width
    # (a chance pattern among broad scintillator peaks does not)
    rms = float(np.sqrt(np.mean(((e_fit - e_ref[ok]) / fw_lines[ok]) ** 2)))
    if rms > MAX_RMS_FWHM:
        return CalibrationResult(
            EnergyCalibration(),
            "none",
            problems=(f"background lines do not fit one calibration (rms {rms:.2f} FWHM)",),
        )
    rows = tuple(
        (names[i], float(xf[matched[i]]), float(e_ref[i]), float(e_f - e_ref[i]))
        for i, e_f in zip(np.flatnonzero(ok), e_fit, strict=True)
    )
    cal = EnergyCalibration(coefficients=coef)
    with_e = [
        replace(p, energy=float(cal.energy(p.centroid)), fwhm=f)
        for p, f in zip(fits, fwf, strict=True)
    ]
    return CalibrationResult(cal, "found", rows, resolution_from_peaks(with_e) or r0)


def _gain_at(coef, x):
    d = np.polynomial.polynomial.polyder(np.asarray(coef))
    return float(np.polynomial.polynomial.polyval(x, d))


def calibrate(spectrum: Spectrum) -> CalibrationResult:
    """The file's energy calibration when it has a usable one (increasing with channel),
    else one found from background lines; resolution from the file when given."""
    res_file = resolution_from_file(spectrum)
    cal = spectrum.energy_cal
    problems: list[str] = []
    if cal.known:
        e = cal.energy(np.array([0.0, spectrum.n_channels / 2, spectrum.n_channels]))
        if np.all(np.isfinite(e)) and np.all(np.diff(e) > 0):
            return CalibrationResult(cal, "file", resolution=res_file)
        problems.append("file's energy calibration is not increasing: ignored")
    found = find_energy_calibration(np.asarray(spectrum.counts))
    return CalibrationResult(
        found.energy_cal,
        found.method,
        found.matched,
        res_file or found.resolution,
        tuple(problems) + found.problems,
    )
