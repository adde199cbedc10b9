"""Rayleigh-wave (LR) amplitudes and periods on a long-period vertical, for Ms.

Two measurements, both on ground displacement in nm (instrument response removed here):

* **A20** (teleseismic, the IDC's Ms of Rezapour & Pearce 1998): the record is band-passed
  12–30 s (3rd-order zero-phase Butterworth, wide enough to keep the dispersed wave train
  whole; a 18–22 s filter would itself shorten and weaken it), and the largest
  ``A/T`` of a swing between adjacent extrema whose period ``T`` (twice the peak–trough
  time) lies in 18–22 s is taken, ``A`` half the peak-to-trough excursion, divided by the
  filter's gain at ``1/T``.
* **VMAX** (regional; Russell 2006, BSSA 96(2), 665–677; Bonner et al. 2006, BSSA 96(2),
  678–696): for centre periods ``T`` of 8–25 s, a 3rd-order zero-phase Butterworth
  band-pass with corners ``1/T ± fc``, ``fc = 0.6 / (T sqrt(Δ))`` (Russell's bound, Δ in
  degrees: a band narrow enough that the filtered dispersed wave is governed by the
  filter, which is what his formula's ``-log fc`` corrects for); ``a_b`` is the largest
  absolute value of the filtered record (zero-to-peak). Every band is returned; the
  magnitude stage takes the one with the largest Ms.

The signal window is the Rayleigh group-velocity window 4.0–2.5 km/s (continental to
oceanic fundamental-mode group velocities at 8–25 s lie in 2.9–3.9 km/s; the margins take
origin-time and path errors), widened by one period either side for the filter's spread.
The noise is the same filter's output before the first P (at least three periods of it);
its rms ``σ`` gives ``snr = A / σ``. A band counts as a detection when its peak exceeds
what narrow-band Gaussian noise reaches with probability ``p`` over the window,
``σ sqrt(2 ln(n / p))`` with ``n`` = window length × bandwidth independent envelope values
(the envelope of such noise is Rayleigh-distributed); ``p`` is 1 % per station, shared
among the VMAX bands. Where the signal is not detected the measured peak (signal plus
noise, so at least the signal) is an upper bound for the maximum-likelihood Ms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from obspy.core.inventory.response import Response
from scipy import fft as sfft
from scipy import signal

from testban.features.amplitude import _DISPLACEMENT_POWER, response_units
from testban.network.response import evaluate
from testban.traveltime import KM_PER_DEG

#: Rayleigh-wave group-velocity window, km/s (fast, slow edge).
GROUP_VELOCITY: tuple[float, float] = (4.0, 2.5)
#: Sampling rate of the long-period record the measurements are made on, Hz (Nyquist
#: 0.5 Hz, four times above the shortest VMAX period's frequency).
LP_RATE = 1.0
#: Pre-filter of the deconvolution, Hz: cosine taper from 0 to 1 over the first pair and
#: from 1 to 0 over the second (passes 8–160 s untouched; removes the drift and the
#: short-period body waves that the long-period measurement does not need).
PRE_FILTER: tuple[float, float, float, float] = (0.004, 0.00625, 0.25, 0.4)
#: Teleseismic (A20) filter pass band, Hz, and the accepted swing periods, s.
A20_BAND: tuple[float, float] = (1.0 / 30.0, 1.0 / 12.0)
A20_PERIODS: tuple[float, float] = (18.0, 22.0)
#: VMAX centre periods, s (Bonner et al. 2006: 8–25 s), and Russell's band-width constant.
VMAX_PERIODS: tuple[float, ...] = tuple(float(t) for t in range(8, 26))
VMAX_FC = 0.6
#: Butterworth order of both filters (applied forward and backward).
ORDER = 3
#: False-detection probability per station (the noise peak test above).
FALSE_ALARM = 0.01
#: Least noise before P, in periods of the band, for an SNR.
MIN_NOISE_PERIODS = 3.0


class SurfaceWaveError(ValueError):
    """A record on which no surface-wave measurement can be made (units, window, data)."""


@dataclass(frozen=True)
class BandMeasurement:
    """One band's peak: amplitude (nm, zero-to-peak), period (s), time, SNR, detection.

    ``fc`` is Russell's half band width (Hz) for VMAX bands, NaN for A20. ``snr`` is the
    peak over the noise rms (NaN without a noise window); ``threshold`` the peak/rms
    ratio a detection needs; ``detected`` is False where the noise is unknown.
    """

    per: float
    amp: float
    amptime: float
    snr: float
    threshold: float
    detected: bool
    fc: float = math.nan


@dataclass(frozen=True)
class SurfaceWaveMeasurement:
    """A station's LR measurement for one origin: method ``"A20"`` or ``"VMAX"``, bands."""

    sta: str
    chan: str
    method: str
    delta: float
    window: tuple[float, float]
    bands: tuple[BandMeasurement, ...] = field(default_factory=tuple)

    @property
    def detected(self) -> bool:
        """Whether any band detected the Rayleigh wave."""
        return any(b.detected for b in self.bands)


def rayleigh_window(origin_time: float, delta_deg: float) -> tuple[float, float]:
    """Epoch times of the 4.0–2.5 km/s Rayleigh group-velocity window at ``delta_deg``."""
    km = delta_deg * KM_PER_DEG
    return origin_time + km / GROUP_VELOCITY[0], origin_time + km / GROUP_VELOCITY[1]


def vmax_fc(period_s: float | np.ndarray, delta_deg: float) -> np.ndarray:
    """Russell's (2006) half band width ``fc = 0.6 / (T sqrt(Δ))`` in Hz, capped below 1/T."""
    t = np.asarray(period_s, float)
    return np.minimum(VMAX_FC / (t * math.sqrt(max(delta_deg, 1e-6))), 0.5 / t)


def _cos_taper(f: np.ndarray, corners: tuple[float, float, float, float]) -> np.ndarray:
    f1, f2, f3, f4 = corners
    w = np.zeros_like(f)
    up = (f > f1) & (f < f2)
    w[up] = 0.5 * (1 - np.cos(np.pi * (f[up] - f1) / (f2 - f1)))
    w[(f >= f2) & (f <= f3)] = 1.0
    down = (f > f3) & (f < f4)
    w[down] = 0.5 * (1 + np.cos(np.pi * (f[down] - f3) / (f4 - f3)))
    return w


def _displacement_response(response: Response, freqs: np.ndarray) -> np.ndarray:
    """Complex displacement response (counts per nm) of ``response`` at ``freqs`` > 0."""
    key = response_units(response)
    power, nm = _DISPLACEMENT_POWER[key]
    stages = list(response.response_stages)
    if stages and all(s.stage_gain is not None for s in stages):
        try:
            h = evaluate(response, freqs)
            return h * (2j * np.pi * freqs) ** power * nm
        except (TypeError, ValueError):
            pass
    if not stages and response.instrument_sensitivity is not None:
        h = np.full(freqs.shape, float(response.instrument_sensitivity.value), complex)
        return h * (2j * np.pi * freqs) ** power * nm
    disp = response.get_evalresp_response_for_frequencies(freqs, output="DISP")
    return np.asarray(disp, complex) * 1e-9


def long_period_displacement(
    z: np.ndarray,
    fs: float,
    response: Response | None = None,
    *,
    nm_per_unit: float = 1.0,
    pre_filter: tuple[float, float, float, float] = PRE_FILTER,
) -> tuple[np.ndarray, float]:
    """The record as ground displacement in nm, band-limited by ``pre_filter``, at ~1 Hz.

    Deconvolution and decimation are one step in the frequency domain: the spectrum of
    the demeaned, detrended, end-tapered record is divided by the displacement response
    (``response``, counts per ground unit; else ``nm_per_unit`` scales the samples),
    multiplied by the pre-filter taper, and only frequencies up to the new Nyquist
    frequency are transformed back. Returns ``(samples, rate)``; the rate is ``fs``
    divided by the integer nearest ``fs / LP_RATE`` (``fs`` itself at 1 Hz or less).
    NaN samples (gaps) are set to zero after detrending.
    """
    x = np.asarray(z, float)
    if x.size < 16:
        raise SurfaceWaveError("record too short")
    good = np.isfinite(x)
    if good.sum() < 16:
        raise SurfaceWaveError("record has no finite samples")
    x = np.where(good, x, np.nanmean(x))
    x = signal.detrend(x)
    x[~good] = 0.0
    n = x.size
    edge = min(0.05, 200.0 * fs / n)  # ~100 s cosine at each end
    x = x * signal.windows.tukey(n, alpha=2 * edge)
    q = max(1, int(round(fs / LP_RATE))) if fs > LP_RATE else 1
    nfft = q * sfft.next_fast_len(int(math.ceil(1.25 * n / q)))
    spec = sfft.rfft(x, nfft)
    m = nfft // q
    keep = m // 2 + 1
    f = np.arange(keep) * fs / nfft
    taper = _cos_taper(f, pre_filter)
    out = np.zeros(keep, complex)
    live = taper > 0
    if response is not None:
        h = _displacement_response(response, f[live])
        ok = np.abs(h) > 0
        idx = np.flatnonzero(live)[ok]
        out[idx] = spec[:keep][idx] * taper[idx] / h[ok]
    else:
        out[live] = spec[:keep][live] * taper[live] * nm_per_unit
    y = sfft.irfft(out, m) * (m / nfft)
    return y[: int(math.ceil(n / q))], fs / q


def _band_sos(fs: float, lo: float, hi: float) -> np.ndarray:
    return signal.butter(ORDER, [lo, hi], btype="bandpass", fs=fs, output="sos")


def _gain(sos: np.ndarray, fs: float, freq: float) -> float:
    """Amplitude gain of the zero-phase (forward–backward) filter at ``freq``."""
    _, h = signal.sosfreqz(sos, worN=np.array([freq]), fs=fs)
    return float(np.abs(h[0]) ** 2)


def _extrema(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sub-sample positions and values of the local extrema of ``y`` (parabolic fit)."""
    d = np.sign(np.diff(y))
    k = np.flatnonzero(d[1:] * d[:-1] < 0) + 1
    if k.size == 0:
        return np.empty(0), np.empty(0)
    ym, y0, yp = y[k - 1], y[k], y[k + 1]
    den = ym - 2 * y0 + yp
    with np.errstate(divide="ignore", invalid="ignore"):
        dk = np.clip(np.where(den != 0, 0.5 * (ym - yp) / den, 0.0), -0.5, 0.5)
    return k + dk, y0 - 0.25 * (ym - yp) * dk


def _threshold(duration: float, bandwidth: float, p: float, noise_duration: float) -> float:
    """Peak/rms ratio that Gaussian noise of ``bandwidth`` Hz exceeds with probability ``p``
    somewhere in ``duration`` s: the envelope is Rayleigh-distributed with ``1 + duration
    × bandwidth`` independent values; the ratio is raised by one standard error of the rms
    estimated from ``noise_duration`` s of noise (``1/sqrt(2 n)``, n independent values)."""
    n = 1.0 + duration * bandwidth
    n_noise = max(1.0, noise_duration * bandwidth)
    return math.sqrt(2.0 * math.log(n / p)) * (1.0 + 1.0 / math.sqrt(2.0 * n_noise))


def measure_a20(
    y: np.ndarray,
    fs: float,
    t0: float,
    window: tuple[float, float],
    noise: tuple[float, float] | None,
    *,
    p: float = FALSE_ALARM,
) -> BandMeasurement:
    """The A20 measurement of a displacement record ``y`` (nm, starting at epoch ``t0``).

    ``window`` and ``noise`` are epoch spans. Returns the largest-``A/T`` swing with a
    period in 18–22 s; where there is none, ``amp`` is the window's largest ``|y|``
    (period 20 s) and ``detected`` is False: an upper bound only.
    """
    sos = _band_sos(fs, *A20_BAND)
    x = signal.sosfiltfilt(sos, y)
    t = t0 + np.arange(x.size) / fs
    pad = A20_PERIODS[1]
    sel = (t >= window[0] - pad) & (t <= window[1] + pad)
    if sel.sum() < 8:
        raise SurfaceWaveError("Rayleigh window outside the record")
    idx = np.flatnonzero(sel)
    seg = x[idx[0] : idx[-1] + 1]
    pos, val = _extrema(seg)
    sigma = _noise_level(x, t, noise, A20_PERIODS[1])
    bw = A20_BAND[1] - A20_BAND[0]
    thr = _threshold(window[1] - window[0] + 2 * pad, bw, p, _span(noise))
    if pos.size >= 2:
        half = 0.5 * np.abs(np.diff(val))
        per = 2.0 * np.diff(pos) / fs
        ok = (per >= A20_PERIODS[0]) & (per <= A20_PERIODS[1])
        if ok.any():
            ratio = np.where(ok, half / np.where(per > 0, per, 1.0), -1.0)
            j = int(np.argmax(ratio))
            gain = _gain(sos, fs, 1.0 / per[j])
            amp = float(half[j] / gain)
            peak = float(np.max(np.abs(val[j : j + 2])))
            snr = peak / sigma if sigma > 0 else math.nan
            when = t0 + (idx[0] + pos[j]) / fs
            det = bool(np.isfinite(snr) and snr >= thr)
            return BandMeasurement(float(per[j]), amp, float(when), snr, thr, det)
    k = int(np.argmax(np.abs(seg)))
    amp = float(np.abs(seg[k]) / _gain(sos, fs, 1.0 / 20.0))
    snr = float(np.abs(seg[k]) / sigma) if sigma > 0 else math.nan
    return BandMeasurement(20.0, amp, float(t0 + (idx[0] + k) / fs), snr, thr, False)


def _span(noise: tuple[float, float] | None) -> float:
    return 0.0 if noise is None else max(0.0, noise[1] - noise[0])


def _noise_level(
    x: np.ndarray, t: np.ndarray, noise: tuple[float, float] | None, per: float
) -> float:
    """Rms of the filtered record in the noise span (NaN when under three periods)."""
    if noise is None:
        return math.nan
    sel = (t >= noise[0]) & (t <= noise[1])
    if sel.sum() < MIN_NOISE_PERIODS * per * (1.0 / (t[1] - t[0]) if t.size > 1 else 1.0):
        return math.nan
    return float(np.sqrt(np.mean(x[sel] ** 2)))


def measure_vmax(
    y: np.ndarray,
    fs: float,
    t0: float,
    window: tuple[float, float],
    noise: tuple[float, float] | None,
    delta_deg: float,
    *,
    periods: tuple[float, ...] = VMAX_PERIODS,
    p: float = FALSE_ALARM,
) -> list[BandMeasurement]:
    """The VMAX band measurements of a displacement record ``y`` (nm, from epoch ``t0``).

    One :class:`BandMeasurement` per centre period: ``amp`` is ``a_b``, the largest
    ``|filtered|`` in the window widened by a period either side (parabolic peak), not
    corrected for the filter (Russell's formula expects the filtered amplitude).
    """
    t = t0 + np.arange(y.size) / fs
    out = []
    for per in periods:
        fc = float(vmax_fc(per, delta_deg))
        lo, hi = 1.0 / per - fc, 1.0 / per + fc
        if hi >= 0.5 * fs:
            continue
        x = signal.sosfiltfilt(_band_sos(fs, lo, hi), y)
        sel = (t >= window[0] - per) & (t <= window[1] + per)
        if sel.sum() < 3:
            raise SurfaceWaveError("Rayleigh window outside the record")
        idx = np.flatnonzero(sel)
        seg = np.abs(x[idx[0] : idx[-1] + 1])
        k = int(np.argmax(seg))
        peak = float(seg[k])
        if 0 < k < seg.size - 1:
            _, v = _extrema(seg[k - 1 : k + 2])
            peak = float(v[0]) if v.size else peak
        sigma = _noise_level(x, t, noise, per)
        thr = _threshold(window[1] - window[0] + 2 * per, 2 * fc, p / len(periods), _span(noise))
        snr = peak / sigma if sigma > 0 else math.nan
        det = bool(np.isfinite(snr) and snr >= thr)
        out.append(BandMeasurement(per, peak, float(t0 + (idx[0] + k) / fs), snr, thr, det, fc))
    return out


def measure_surface_wave(
    z: np.ndarray,
    fs: float,
    t0: float,
    origin_time: float,
    delta_deg: float,
    *,
    method: str,
    response: Response | None = None,
    nm_per_unit: float = 1.0,
    p_time: float | None = None,
    sta: str = "",
    chan: str = "",
) -> SurfaceWaveMeasurement:
    """Measure the Rayleigh wave of an origin on one vertical record.

    :param z: samples (counts with ``response``; else ground displacement in units of
        ``nm_per_unit`` nm).
    :param fs: sampling rate, Hz; ``t0`` the epoch of ``z[0]``.
    :param origin_time: the event's origin time (epoch); ``delta_deg`` its distance.
    :param method: ``"A20"`` (18–22 s, teleseismic) or ``"VMAX"`` (8–25 s, regional).
    :param p_time: epoch of the first P (the noise ends 10 s before it); default the
        origin time. The noise starts after the deconvolution's end taper.
    :raises SurfaceWaveError: the record does not reach the Rayleigh window.
    """
    if method not in ("A20", "VMAX"):
        raise ValueError(f"method must be 'A20' or 'VMAX', not {method!r}")
    window = rayleigh_window(origin_time, delta_deg)
    t_end = t0 + (len(z) - 1) / fs
    if t0 > window[0] or t_end < window[1]:
        raise SurfaceWaveError(
            f"record {t0:.0f}–{t_end:.0f} does not cover the Rayleigh window "
            f"{window[0]:.0f}–{window[1]:.0f}"
        )
    y, rate = long_period_displacement(z, fs, response, nm_per_unit=nm_per_unit)
    start = t0 + min(100.0, 0.05 * len(z) / fs) + 50.0  # after the taper and filter edge
    stop = (origin_time if p_time is None else p_time) - 10.0
    noise = (start, stop) if stop > start else None
    if method == "A20":
        bands: list[BandMeasurement] = [measure_a20(y, rate, t0, window, noise)]
    else:
        bands = measure_vmax(y, rate, t0, window, noise, delta_deg)
    return SurfaceWaveMeasurement(sta, chan, method, float(delta_deg), window, tuple(bands))
