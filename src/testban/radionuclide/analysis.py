"""One gamma spectrum to a categorised sample: calibration, peaks, nuclides, activities,
limits and level (what ``testban spectrum`` runs).

``analyse_spectrum`` chains the stages of this package; every failure it meets (no
calibration found, no live time, no efficiency) is a problem line in the result and the
stages that do not need the missing piece still run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from testban.io.spectra.model import EnergyCalibration, Spectrum
from testban.radionuclide.activity import Activity, activity_from_counts, iso11929_limits
from testban.radionuclide.calibration import (
    CalibrationResult,
    Resolution,
    calibrate,
    resolution_from_peaks,
)
from testban.radionuclide.categorise import Categorisation, categorise
from testban.radionuclide.library import Identification, identify, load_library
from testban.radionuclide.peaks import (
    Peak,
    continuum_under,
    find_candidates,
    fit_peaks,
    multiscale_candidates,
)

#: Lowest energy analysed (keV): below it the spectrum is X-rays and the ADC threshold.
E_MIN = 40.0
#: Peak search threshold (σ of the second-difference filter) and the significance a
#: fitted peak keeps (the identification asks 3σ of the key line on top).
SEARCH_SIGMA = 3.0
FIT_MIN_SIGNIFICANCE = 2.0


@dataclass(frozen=True)
class NuclideResult:
    """An identified nuclide and, when the efficiency and times allow, its activity."""

    identification: Identification
    activity: Activity | None


@dataclass(frozen=True)
class SampleResult:
    """Everything the analysis of one spectrum found (see the module docstring)."""

    source: str
    calibration: CalibrationResult
    resolution: Resolution | None
    peaks: tuple[Peak, ...]
    nuclides: tuple[NuclideResult, ...]
    #: MDC (Bq/m³, or MDA in Bq without air volume) of the CTBT-relevant nuclides not
    #: identified, from their key line: {nuclide: value}.
    limits: Mapping[str, float]
    categorisation: Categorisation | None
    problems: tuple[str, ...]


def efficiency_function(points: Sequence[tuple[float, float, float]]):
    """ε(E) and σ(E) from (keV, ε, σ) points, interpolated linearly in log–log (flat
    extrapolation of the end segments' slopes), or None without points."""
    pts = np.array(sorted(points), dtype=float) if points else np.empty((0, 3))
    pts = pts[(pts[:, 0] > 0) & (pts[:, 1] > 0)] if pts.size else pts
    if pts.shape[0] == 0:
        return None
    le, lf = np.log(pts[:, 0]), np.log(pts[:, 1])
    rel = np.where(pts[:, 1] > 0, pts[:, 2] / pts[:, 1], 0.0)

    def eff(e):
        x = np.log(np.asarray(e, dtype=float))
        if le.size == 1:
            return np.full_like(x, pts[0, 1])
        y = np.interp(x, le, lf)
        lo_s = (lf[1] - lf[0]) / (le[1] - le[0])
        hi_s = (lf[-1] - lf[-2]) / (le[-1] - le[-2])
        y = np.where(x < le[0], lf[0] + lo_s * (x - le[0]), y)
        y = np.where(x > le[-1], lf[-1] + hi_s * (x - le[-1]), y)
        return np.exp(y)

    def eff_err(e):
        return eff(e) * np.interp(np.log(np.asarray(e, dtype=float)), le, rel)

    return eff, eff_err


def _resolution_estimate(y, cal: EnergyCalibration, n: int) -> Resolution | None:
    """FWHM(E) from the strongest peaks when the file gives none: matched-filter widths,
    then two rounds of free-width fits."""
    ch, sig, fw = multiscale_candidates(y, np.geomspace(2.0, max(4.0, n / 40.0), 16), 5.0)
    if ch.size == 0:
        return None
    ch, fw = ch[:30], fw[:30]
    x = np.arange(n + 1, dtype=float)
    e_of = cal.energy(x)
    gain = np.gradient(e_of)
    order = np.argsort(ch)
    res: Resolution | None = None

    def guess(c: np.ndarray) -> np.ndarray:
        if res is None:
            return np.interp(c, ch[order] + 0.5, 0.8 * fw[order])
        return res.fwhm(cal.energy(c)) / np.interp(c, x, gain)

    for _ in range(2):
        fits = fit_peaks(y, ch, guess, cal.energy, free_width=True, min_significance=5.0)
        res = resolution_from_peaks(fits) or res
        if res is None:
            return None
    return res


def analyse_spectrum(
    spectrum: Spectrum,
    background: Spectrum | None = None,
    history: Mapping[str, Sequence[float]] | None = None,
) -> SampleResult:
    """Calibrate, search and fit peaks, identify nuclides, compute activities and limits,
    and categorise (see the module docstring). ``background`` is a detector background
    spectrum (peaks in it are subtracted by rate); ``history`` the station's earlier
    concentrations per nuclide for the categorisation."""
    problems: list[str] = []
    y = np.asarray(spectrum.counts, dtype=float)
    n = y.size
    cal = calibrate(spectrum)
    problems += list(cal.problems)
    if cal.method == "none":
        problems.append("no energy calibration: peaks only")
        return SampleResult(spectrum.source, cal, None, (), (), {}, None, tuple(problems))
    ecal = cal.energy_cal
    res = cal.resolution or _resolution_estimate(y, ecal, n)
    if res is None:
        problems.append("resolution not found")
        return SampleResult(spectrum.source, cal, None, (), (), {}, None, tuple(problems))
    edges = np.arange(n + 1, dtype=float)
    e_edges = ecal.energy(edges)
    gain = np.gradient(e_edges)

    def fwhm_ch(c):
        c = np.asarray(c, dtype=float)
        return res.fwhm(ecal.energy(c)) / np.clip(np.interp(c, edges, gain), 1e-6, None)

    def channel_of(e):
        return np.interp(np.asarray(e, dtype=float), e_edges, edges)

    centres = edges[:-1] + 0.5
    cand, _ = find_candidates(y, fwhm_ch(centres), threshold=SEARCH_SIGMA)
    e_c = ecal.energy(cand + 0.5)
    cand = cand[(e_c >= E_MIN) & (e_c <= e_edges[-1])]
    peaks = fit_peaks(
        y, cand, fwhm_ch, ecal.energy, free_width=True, min_significance=FIT_MIN_SIGNIFICANCE
    )
    peaks = [p for p in peaks if p.energy >= E_MIN]
    if background is not None:
        peaks, bproblems = _subtract_background(peaks, spectrum, background, res)
        problems += bproblems

    def limit(e):
        out = []
        for c in np.atleast_1d(channel_of(e)):
            b, v = continuum_under(y, float(c), float(fwhm_ch(c)))
            out.append(float(iso11929_limits(b, v)[1]) if np.isfinite(b) else np.nan)
        return np.array(out)

    effs = efficiency_function(spectrum.efficiency)
    ids = identify(
        peaks,
        res.fwhm,
        effs[0] if effs else None,
        limit,
        energy_range=(E_MIN, float(e_edges[-1])),
    )
    times_ok = bool(spectrum.live_time) and bool(spectrum.real_time)
    if effs is None:
        problems.append("no efficiency calibration: no activities or MDCs")
    if not times_ok:
        problems.append("no live/real time: no activities or MDCs")
    delay = collection = None
    if spectrum.acquisition_start is not None and spectrum.collection_stop is not None:
        delay = spectrum.acquisition_start - spectrum.collection_stop
    if spectrum.collection_start is not None and spectrum.collection_stop is not None:
        collection = spectrum.collection_stop - spectrum.collection_start
    lib = load_library()
    results = []
    for ident in ids:
        act = None
        if effs and times_ok:
            key = next(ln for ln in ident.lines if ln.energy == ident.key_energy)
            pk = peaks[ident.key_peak]
            eps = float(effs[0](key.energy))
            act = activity_from_counts(
                ident.rate * key.intensity * eps,
                ident.rate_err * key.intensity * eps,
                eps,
                float(effs[1](key.energy)),
                key.intensity,
                float(spectrum.live_time),  # type: ignore[arg-type]
                float(spectrum.real_time),  # type: ignore[arg-type]
                lib[ident.nuclide].decay_constant,
                background_counts=pk.background,
                background_var=pk.background_err**2,
                delay_s=delay,
                collection_s=collection,
                air_volume_m3=spectrum.air_volume,
            )
        results.append(NuclideResult(ident, act))
    limits: dict[str, float] = {}
    found = {r.identification.nuclide for r in results}
    if effs and times_ok:
        for nuc in lib.values():
            if not nuc.relevant or nuc.name in found:
                continue
            ls = [g for g in nuc.lines if E_MIN <= g.energy <= e_edges[-1]]
            if not ls:
                continue
            kl = max(ls, key=lambda g: g.intensity * float(effs[0](g.energy)))
            c = float(channel_of(kl.energy))
            b, v = continuum_under(y, c, float(fwhm_ch(c)))
            if not np.isfinite(b):
                continue
            a = activity_from_counts(
                0.0,
                0.0,
                float(effs[0](kl.energy)),
                float(effs[1](kl.energy)),
                kl.intensity,
                float(spectrum.live_time),  # type: ignore[arg-type]
                float(spectrum.real_time),  # type: ignore[arg-type]
                nuc.decay_constant,
                background_counts=b,
                background_var=v,
                delay_s=delay,
                collection_s=collection,
                air_volume_m3=spectrum.air_volume,
            )
            limits[nuc.name] = a.mdc if a.mdc is not None else a.mda
    detected = {
        r.identification.nuclide: (r.activity.concentration if r.activity else None)
        for r in results
    }
    level = categorise(detected, history)
    return SampleResult(
        spectrum.source, cal, res, tuple(peaks), tuple(results), limits, level, tuple(problems)
    )


def _subtract_background(
    peaks: list[Peak], spectrum: Spectrum, background: Spectrum, res: Resolution
) -> tuple[list[Peak], list[str]]:
    """Detector-background peaks (same energy within half a FWHM) subtracted by their
    count rate scaled to the sample's live time."""
    if not (background.live_time and spectrum.live_time):
        return peaks, ["background without live time: not subtracted"]
    bres = analyse_spectrum(background)
    if not bres.peaks:
        return peaks, ["no peaks found in the background spectrum"]
    scale = spectrum.live_time / background.live_time
    be = np.array([p.energy for p in bres.peaks])
    out = []
    for p in peaks:
        d = np.abs(be - p.energy)
        j = int(np.argmin(d))
        if d[j] < 0.5 * float(res.fwhm(p.energy)):
            b = bres.peaks[j]
            area = p.area - scale * b.area
            err = float(np.hypot(p.area_err, scale * b.area_err))
            p = replace(p, area=area, area_err=err, significance=area / err if err > 0 else 0.0)
        out.append(p)
    return out, []
