"""Event characterisation parameters of a teleseismic P wave: complexity, spectral ratio,
cepstral peak — each with its signal-to-noise ratio and a flag when the noise is too high.

These are the waveform parameters the IDC publishes with every event (GSE2.1 Event
Characterization Bulletin blocks COMPLEXITY, CEPSTRAL PEAK ANALYSIS; Provisional GSE2.1,
1997, tables 47–56) and that analysts read as hints, not as screening criteria: an
underground explosion's teleseismic P is short and simple (little coda, a surface-
reflected pP close behind P) and rich in high frequencies for its size; an earthquake's P
of the same mb is longer, more complex and poorer in high frequencies (Thirlaway 1966;
Douglas et al. 1974; Bullitt & Cormier 1984).

Definitions used here (the Operations Manual's numeric details were not at hand; the
constants are in :class:`CharacterisationConfig`, chosen for physical reasons):

* **complexity** ``C = ∫₅³⁵ (s² − n²) dt / ∫₀⁵ (s² − n²) dt``: integrated power of the P
  coda 5–35 s after onset over that of the first 5 s, on the 0.8–4.5 Hz band (a zero-
  phase 4-pole Butterworth), ``n²`` the mean noise power before P (the classic windows
  of Thirlaway 1966 / Douglas et al. 1974 as the IDC uses them). SNR = coda RMS / noise RMS
  (the coda is the weaker window). When the coda is under the noise ``C`` is an upper
  bound (measured coda power, signal plus noise).
* **spectral ratio** ``SR = E(2.0–4.5 Hz) / E(0.5–1.5 Hz)``: noise-corrected spectral
  energy of the first 10 s of P (:data:`TAPER`) in a high band over a low band; also the
  **third moment of frequency** ``TMF = (Σ f³ E(f) / Σ E(f))^(1/3)`` over 0.5–4.5 Hz.
  Both compare bands, so the instrument response enters: compare events recorded by the
  same instrument (or corrected records). SNR = the smaller of the two bands' amplitude
  SNRs; a high band under the noise makes ``SR`` an upper bound.
* **cepstral peak**: the cosine transform of the detrended log power spectrum of a 30 s
  window from 1 s before P, over 0.5–8 Hz; an echo of relative amplitude ``a`` at delay
  ``τ`` (pP or sP behind P) adds ``2a·cos(2πfτ)`` to the log spectrum, so the transform,
  normalised here to give ``a`` at quefrency ``τ``, peaks there (Bogert et al. 1963;
  Kemerait & Childers 1972; Cohen 1975 for depth). Peak amplitude is signed (pP from an
  explosion is reversed); ``significance`` is the peak over the robust scatter of the
  cepstrum in the searched quefrency range. A full depth-phase search lives elsewhere.

Each function takes one trace (vertical or beam; counts or ground motion), its sampling
rate and the P onset in seconds after the first sample, and never raises on short or
noisy data: it returns NaN with ``reason`` saying what was missing.

>>> c = complexity(z, 20.0, onset_s=120.0)          # doctest: +SKIP
>>> c.value, c.snr, c.noisy, c.bound                # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import signal

from testban.features.amplitude import butter_band


@dataclass(frozen=True)
class CharacterisationConfig:
    """Windows (s after the P onset) and bands (Hz) of the characterisation parameters."""

    #: Band of the complexity (Hz): the short-period P band.
    complexity_band: tuple[float, float] = (0.8, 4.5)
    #: Direct P window (s after onset) and coda window of the complexity.
    direct_s: tuple[float, float] = (0.0, 5.0)
    coda_s: tuple[float, float] = (5.0, 35.0)
    #: P window of the spectral ratio (s after onset, from 1 s before it so the taper
    #: ramps lie in the noise): ≥ 5 cycles at the lowest frequency.
    spectrum_s: tuple[float, float] = (-1.0, 10.0)
    #: Low and high bands of the spectral ratio (Hz); the TMF spans both.
    ratio_low: tuple[float, float] = (0.5, 1.5)
    ratio_high: tuple[float, float] = (2.0, 4.5)
    #: Cepstrum window (s after onset: from 1 s before P, so the onset is inside) and band.
    cepstrum_s: tuple[float, float] = (-1.0, 29.0)
    cepstrum_band: tuple[float, float] = (0.5, 8.0)
    #: Searched quefrencies (s): the upper end is a 75 km deep pP–P at teleseismic range.
    quefrency_s: tuple[float, float] = (0.3, 20.0)
    #: Noise window: this long (s), ending ``noise_gap_s`` before the onset (onset error).
    noise_s: float = 30.0
    noise_gap_s: float = 2.0
    #: Below this amplitude SNR a parameter is flagged noisy (a bound, or unreliable).
    min_snr: float = 2.0
    #: Butterworth order of the complexity band-pass.
    order: int = 4


DEFAULT = CharacterisationConfig()


class Complexity(NamedTuple):
    """Coda-to-direct power ratio; ``bound`` '≤' when the coda is under the noise."""

    value: float
    snr: float
    noisy: bool
    bound: str = ""
    reason: str = ""


class SpectralRatio(NamedTuple):
    """High-band over low-band P energy, the third moment of frequency, and their SNR."""

    value: float
    tmf: float
    snr: float
    snr_low: float
    snr_high: float
    noisy: bool
    bound: str = ""
    reason: str = ""


class CepstralPeak(NamedTuple):
    """Largest cepstral peak: signed amplitude, quefrency (s), significance, window SNR."""

    amplitude: float
    quefrency: float
    significance: float
    snr: float
    noisy: bool
    reason: str = ""


def _indices(n: int, fs: float, onset_s: float, window: tuple[float, float]) -> tuple[int, int]:
    """Sample range of a window relative to the onset; (0, 0) when it leaves the trace."""
    i0 = int(round((onset_s + window[0]) * fs))
    i1 = int(round((onset_s + window[1]) * fs))
    if i0 < 0 or i1 > n or i1 - i0 < 2:
        return 0, 0
    return i0, i1


def _noise_window(config: CharacterisationConfig) -> tuple[float, float]:
    return (-config.noise_gap_s - config.noise_s, -config.noise_gap_s)


def _missing(n: int, fs: float, onset_s: float, windows: dict[str, tuple[float, float]]) -> str:
    """Name the windows that do not fit in the trace ('' when all do)."""
    bad = [name for name, w in windows.items() if _indices(n, fs, onset_s, w) == (0, 0)]
    if not bad:
        return ""
    names = ", ".join(bad)
    return f"trace too short for the {names} window(s) ({n / fs:.0f} s, onset {onset_s:.1f} s)"


def complexity(
    x: np.ndarray, fs: float, onset_s: float, config: CharacterisationConfig = DEFAULT
) -> Complexity:
    """Complexity of the P wave (see the module docstring), noise-corrected in power."""
    x = np.asarray(x, dtype=float)
    noise = _noise_window(config)
    why = _missing(x.size, fs, onset_s, {"noise": noise, "coda": config.coda_s})
    if why:
        return Complexity(math.nan, math.nan, True, reason=why)
    i0, _ = _indices(x.size, fs, onset_s, noise)
    _, i1 = _indices(x.size, fs, onset_s, config.coda_s)
    seg = signal.detrend(x[i0:i1])
    y = signal.sosfiltfilt(butter_band(fs, config.complexity_band, config.order), seg)
    sq = y * y

    def power(w: tuple[float, float]) -> float:
        a, b = _indices(x.size, fs, onset_s, w)
        return float(np.mean(sq[a - i0 : b - i0]))

    n2, d2, c2 = power(noise), power(config.direct_s), power(config.coda_s)
    if not n2 > 0:
        return Complexity(math.nan, math.nan, True, reason="no noise before P (zero trace)")
    snr_direct = math.sqrt(d2 / n2)
    snr = math.sqrt(c2 / n2)
    if snr_direct < config.min_snr:
        return Complexity(math.nan, snr, True,
                          reason=f"direct P under the noise (SNR {snr_direct:.1f})")  # fmt: skip
    tc = config.coda_s[1] - config.coda_s[0]
    td = config.direct_s[1] - config.direct_s[0]
    direct = (d2 - n2) * td
    if snr < config.min_snr:
        return Complexity(c2 * tc / direct, snr, True, "≤", f"coda under the noise (SNR {snr:.1f})")
    return Complexity((c2 - n2) * tc / direct, snr, False)


#: Taper of the P windows: a Tukey window whose 5 % ramps (≈ 0.5 s of a 10 s window) lie
#: before the onset, so the first P cycles keep their full weight (a Hann taper would
#: suppress the onset and over-weight the coda).
TAPER = ("tukey", 0.1)


def _psd(seg: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Tapered power spectral density of one segment (the periodogram)."""
    return signal.periodogram(signal.detrend(seg), fs=fs, window=TAPER, detrend="constant")


def spectral_ratio(
    x: np.ndarray, fs: float, onset_s: float, config: CharacterisationConfig = DEFAULT
) -> SpectralRatio:
    """High- over low-band spectral energy of P, and the third moment of frequency."""
    x = np.asarray(x, dtype=float)
    nan = math.nan
    noise = _noise_window(config)
    why = _missing(x.size, fs, onset_s, {"noise": noise, "P": config.spectrum_s})
    if config.ratio_high[1] > 0.5 * fs:
        why = f"{fs:g} Hz sampling cannot resolve the {config.ratio_high} Hz band"
    if why:
        return SpectralRatio(nan, nan, nan, nan, nan, True, reason=why)
    a, b = _indices(x.size, fs, onset_s, config.spectrum_s)
    f, ps = _psd(x[a:b], fs)
    na, nb = _indices(x.size, fs, onset_s, noise)
    # Noise PSD averaged over segments of the signal window's length (like for like).
    fn, pn = signal.welch(signal.detrend(x[na:nb]), fs=fs, window=TAPER,
                          nperseg=min(b - a, nb - na), detrend="constant")  # fmt: skip
    pn = np.interp(f, fn, pn)

    def band(lo_hi: tuple[float, float]) -> tuple[float, float, np.ndarray]:
        m = (f >= lo_hi[0]) & (f <= lo_hi[1])
        return float(ps[m].sum()), float(pn[m].sum()), m

    s_lo, n_lo, _ = band(config.ratio_low)
    s_hi, n_hi, _ = band(config.ratio_high)
    if not (n_lo > 0 and n_hi > 0):
        return SpectralRatio(nan, nan, nan, nan, nan, True, reason="no noise before P")
    snr_lo, snr_hi = math.sqrt(s_lo / n_lo), math.sqrt(s_hi / n_hi)
    snr = min(snr_lo, snr_hi)
    full = (f >= config.ratio_low[0]) & (f <= config.ratio_high[1])
    e = np.clip(ps[full] - pn[full], 0.0, None)
    tmf = float((np.sum(f[full] ** 3 * e) / np.sum(e)) ** (1 / 3)) if e.sum() > 0 else nan
    if snr_lo < config.min_snr:
        return SpectralRatio(nan, tmf, snr, snr_lo, snr_hi, True,
                             reason=f"low band under the noise (SNR {snr_lo:.1f})")  # fmt: skip
    low = s_lo - n_lo
    if snr_hi < config.min_snr:
        return SpectralRatio(s_hi / low, tmf, snr, snr_lo, snr_hi, True, "≤",
                             f"high band under the noise (SNR {snr_hi:.1f})")  # fmt: skip
    return SpectralRatio((s_hi - n_hi) / low, tmf, snr, snr_lo, snr_hi, False)


def cepstrum(
    x: np.ndarray, fs: float, band: tuple[float, float], quefrencies: np.ndarray
) -> np.ndarray:
    """Cosine transform of the detrended log power spectrum of ``x`` over ``band`` (Hz),
    normalised so an echo of relative amplitude ``a`` at delay ``τ`` gives ``a`` at ``τ``.

    The log spectrum is detrended by a cubic in frequency (the source and attenuation
    shape, which belongs to quefrencies near zero).
    """
    f, p = _psd(np.asarray(x, dtype=float), fs)
    m = (f >= band[0]) & (f <= min(band[1], 0.45 * fs)) & (p > 0)
    fb = f[m]
    logp = np.log(p[m])
    trend = np.polyval(np.polyfit(fb, logp, 3), fb)
    resid = logp - trend
    # Σ 2a·cos(2πfτ)·cos(2πfq) / N_f = a at q = τ (the cos² mean is ½).
    return np.cos(2 * np.pi * np.outer(quefrencies, fb)) @ resid / fb.size


def cepstral_peak(
    x: np.ndarray, fs: float, onset_s: float, config: CharacterisationConfig = DEFAULT
) -> CepstralPeak:
    """The largest cepstral peak of the P window (GSE2.1 PeakAmp, PeakQuef)."""
    x = np.asarray(x, dtype=float)
    nan = math.nan
    noise = _noise_window(config)
    why = _missing(x.size, fs, onset_s, {"noise": noise, "cepstrum": config.cepstrum_s})
    if why:
        return CepstralPeak(nan, nan, nan, nan, True, reason=why)
    lo, hi = config.cepstrum_band[0], min(config.cepstrum_band[1], 0.45 * fs)
    a, b = _indices(x.size, fs, onset_s, config.cepstrum_s)
    window = b - a
    qmin = max(config.quefrency_s[0], 2.0 / (hi - lo))  # two cycles of the band's resolution
    qmax = min(config.quefrency_s[1], 0.7 * window / fs)  # P and its echo inside the window
    q = np.arange(qmin, qmax, 0.25 / hi)
    if q.size < 3:
        return CepstralPeak(nan, nan, nan, nan, True, reason="no quefrency range to search")
    sos = butter_band(fs, (lo, hi), config.order)
    na, nb = _indices(x.size, fs, onset_s, noise)
    yn = signal.sosfiltfilt(sos, signal.detrend(x[na:nb]))
    ys = signal.sosfiltfilt(sos, signal.detrend(x[a:b]))
    n_rms = float(np.sqrt(np.mean(yn * yn)))
    snr = float(np.sqrt(np.mean(ys * ys))) / n_rms if n_rms > 0 else nan
    c = cepstrum(x[a:b], fs, (lo, hi), q)
    k = int(np.argmax(np.abs(c)))
    scatter = 1.4826 * float(np.median(np.abs(c - np.median(c))))
    sig = abs(float(c[k])) / scatter if scatter > 0 else nan
    noisy = not snr >= config.min_snr
    reason = f"P under the noise (SNR {snr:.1f})" if noisy else ""
    return CepstralPeak(float(c[k]), float(q[k]), sig, snr, noisy, reason)
