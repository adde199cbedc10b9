"""Hydroacoustic signal features: duration, peak pressure, spectral shape, bubble pulse.

What the IDC measures on H phases to tell an underwater explosion from an earthquake's
T phase, marine life or a ship (e.g. Hanson, Le Bras, Dysart et al. 2001, Pure Appl.
Geophys. 158, 425–456): signal duration, peak pressure, the spectral decay and the share
of energy at high frequency (explosions are broadband; T phases of earthquakes lose
their energy above ~10–20 Hz), and the **bubble-pulse period** — an explosion's gas
bubble oscillates, repeating the pressure pulse every T seconds, which puts a ripple of
period 1/T on the spectrum and a peak at quefrency T in the cepstrum.

Rayleigh–Willis relation (Willis 1941; Cole 1948, *Underwater Explosions*, §8): T =
K W^(1/3) / (z + z0)^(5/6) with W the charge (kg TNT), z the depth (m), z0 = 10.1 m the
height of the water column equal to one atmosphere, and K = 2.11 s·m^(5/6)·kg^(−1/3)
for TNT. (Cole's K = 4.36 s·ft^(5/6)·lb^(−1/3) with z0 = 33 ft converts to 4.36 ×
0.4536^(−1/3) × 0.3048^(5/6) = 2.11 in SI.) One period gives a curve of (W, z) pairs;
bounds on one give bounds on the other (:func:`charge_for_period`,
:func:`depth_for_period`).

Pressure: counts → Pa by the channel's response (ObsPy ``Response``, e.g. a hydrophone's
StationXML, :func:`to_pascal`). Azimuth from a triplet of hydrophones: a plane wave fitted
to the cross-correlation delays (:func:`triplet_azimuth`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

__all__ = [
    "RAYLEIGH_WILLIS_K",
    "RAYLEIGH_WILLIS_Z0",
    "HydroFeatures",
    "bubble_period",
    "cepstral_bubble_period",
    "charge_for_period",
    "depth_for_period",
    "explosion_like",
    "h_features",
    "power_envelope",
    "signal_span",
    "spectral_shape",
    "synthetic_h_phase",
    "to_pascal",
    "triplet_azimuth",
]

#: Rayleigh–Willis constant for TNT (s·m^(5/6)·kg^(−1/3)) and the atmospheric head (m).
RAYLEIGH_WILLIS_K = 2.11
RAYLEIGH_WILLIS_Z0 = 10.1


def bubble_period(charge_kg, depth_m, k: float = RAYLEIGH_WILLIS_K, z0: float = RAYLEIGH_WILLIS_Z0):
    """First bubble-pulse period (s) of ``charge_kg`` TNT at ``depth_m`` (Rayleigh–Willis)."""
    return k * np.cbrt(np.asarray(charge_kg, float)) / (np.asarray(depth_m, float) + z0) ** (5 / 6)


def charge_for_period(
    period_s, depth_m, k: float = RAYLEIGH_WILLIS_K, z0: float = RAYLEIGH_WILLIS_Z0
):
    """Charge (kg TNT) that gives ``period_s`` at ``depth_m``."""
    return (np.asarray(period_s, float) * (np.asarray(depth_m, float) + z0) ** (5 / 6) / k) ** 3


def depth_for_period(
    period_s, charge_kg, k: float = RAYLEIGH_WILLIS_K, z0: float = RAYLEIGH_WILLIS_Z0
):
    """Depth (m) at which ``charge_kg`` TNT gives ``period_s``; negative: not possible."""
    return (k * np.cbrt(np.asarray(charge_kg, float)) / np.asarray(period_s, float)) ** 1.2 - z0


# ----------------------------------------------------------------------------- response


def to_pascal(trace, response=None, pre_filt: tuple[float, float, float, float] | None = None):
    """A copy of an ObsPy ``Trace`` in counts converted to Pa by its response.

    ``response``: an ObsPy ``Response`` (default ``trace.stats.response``); its input
    units must be pressure (PA). The conversion is the reported overall sensitivity
    (counts/Pa at its frequency, the authoritative figure of a StationXML response) times
    the shape of the analogue poles and zeros normalised at that frequency; the digital
    stages are flat in the pass band and left out. (The full stage chain is not used: in
    the hydrophone file of ``shared/data/formats/obspy`` its stage gains multiply to
    1.3e14 counts/Pa against the 2559 reported, and ObsPy's ``remove_response`` then
    returns pressures ~10³ too large.) ``pre_filt``: cosine taper corners (Hz), default
    0.5, 1 Hz and 0.8, 0.95 of Nyquist.
    """
    resp = response if response is not None else trace.stats.get("response")
    if resp is None:
        raise ValueError(f"{trace.id}: no response")
    sens = resp.instrument_sensitivity
    if sens is None or not sens.value:
        raise ValueError(f"{trace.id}: response has no overall sensitivity")
    units = (sens.input_units or "").upper()
    if units not in ("PA", "PASCAL", "PASCALS"):
        raise ValueError(f"{trace.id}: response input units are {units!r}, not pressure (PA)")
    tr = trace.copy()
    x = tr.data.astype(np.float64) - float(np.mean(tr.data))
    fs = tr.stats.sampling_rate
    n = 2 ** math.ceil(math.log2(2 * x.size))
    f = np.fft.rfftfreq(n, 1 / fs)
    shape = np.ones(f.size, complex)
    paz = [st for st in resp.response_stages if hasattr(st, "poles")]
    if paz:
        st = paz[0]
        two_pi = 2 * np.pi if "RADIANS" in st.pz_transfer_function_type.upper() else 1.0

        def analogue(freq):
            s_ = 1j * two_pi * np.asarray(freq, float)
            num = np.prod([s_ - z for z in st.zeros], axis=0) if st.zeros else 1.0
            den = np.prod([s_ - p for p in st.poles], axis=0) if st.poles else 1.0
            return num / den

        ref = analogue(sens.frequency)
        shape = analogue(f) / ref
    nyq = 0.5 * fs
    f1, f2, f3, f4 = pre_filt or (0.5, 1.0, 0.8 * nyq, 0.95 * nyq)
    taper = np.zeros(f.size)
    up = (f >= f1) & (f < f2)
    taper[up] = 0.5 * (1 - np.cos(np.pi * (f[up] - f1) / (f2 - f1)))
    taper[(f >= f2) & (f <= f3)] = 1.0
    dn = (f > f3) & (f <= f4)
    taper[dn] = 0.5 * (1 + np.cos(np.pi * (f[dn] - f3) / (f4 - f3)))
    spec = np.fft.rfft(x * signal.windows.tukey(x.size, 0.05), n)
    inv = np.where(np.abs(shape) > 0, taper / (sens.value * np.where(shape == 0, 1, shape)), 0)
    tr.data = np.fft.irfft(spec * inv, n)[: x.size]
    return tr


# ----------------------------------------------------------------------------- envelope


def power_envelope(x: np.ndarray, fs: float, smooth_s: float = 1.0) -> np.ndarray:
    """Moving-average power (x² smoothed over ``smooth_s`` s, centred)."""
    n = max(int(round(smooth_s * fs)), 1)
    c = np.concatenate([[0.0], np.cumsum(np.asarray(x, float) ** 2)])
    half = n // 2
    idx = np.arange(x.size)
    lo = np.clip(idx - half, 0, x.size)
    hi = np.clip(idx - half + n, 0, x.size)
    return (c[hi] - c[lo]) / np.maximum(hi - lo, 1)


def signal_span(power: np.ndarray, noise: float, on: float, off: float) -> list[tuple[int, int]]:
    """(start, end) sample spans where power/noise > ``off`` that reach ``on`` somewhere."""
    ratio = power / max(noise, 1e-30)
    above = ratio > off
    edges = np.flatnonzero(np.diff(np.concatenate([[0], above.astype(np.int8), [0]])))
    spans = []
    for s, e in zip(edges[::2], edges[1::2], strict=True):
        if ratio[s:e].max() >= on:
            spans.append((int(s), int(e)))
    return spans


# ----------------------------------------------------------------------------- spectra


def spectral_shape(
    x: np.ndarray, fs: float, band: tuple[float, float] = (2.0, 100.0), split_hz: float = 20.0
) -> tuple[float, float, float, float]:
    """(slope dB/octave, high-frequency energy fraction, dominant Hz, spectral flatness).

    Slope: least squares of 10 log10 P against log2 f over ``band``. Fraction: energy
    above ``split_hz`` over energy in ``band``. Flatness: geometric over arithmetic mean
    of P in ``band`` (1 white, → 0 tonal).
    """
    nper = int(min(x.size, 2 ** int(math.log2(max(fs * 2.0, 64)))))
    f, p = signal.welch(x, fs, nperseg=nper)
    hi = min(band[1], 0.45 * fs)
    m = (f >= band[0]) & (f <= hi) & (p > 0)
    if m.sum() < 4:
        return math.nan, math.nan, math.nan, math.nan
    lf, lp = np.log2(f[m]), 10 * np.log10(p[m])
    slope = float(np.polyfit(lf, lp, 1)[0])
    frac = float(p[m & (f >= split_hz)].sum() / p[m].sum())
    dom = float(f[m][np.argmax(p[m])])
    flat = float(np.exp(np.mean(np.log(p[m]))) / np.mean(p[m]))
    return slope, frac, dom, flat


def cepstral_bubble_period(
    x: np.ndarray,
    fs: float,
    qmin: float = 0.02,
    qmax: float = 2.0,
    band: tuple[float, float] = (2.0, 100.0),
) -> tuple[float, float]:
    """(period s, prominence) of the strongest cepstral peak in [``qmin``, ``qmax``] s.

    The log power spectrum (Welch, segments ≥ 8 ``qmax`` long so that a ripple of period
    1/T Hz is resolved, averaged to beat down the random multipath fluctuations) is
    restricted to ``band`` and to the frequencies within 30 dB of its peak (where the
    signal, not the noise floor or a filter edge, shapes the spectrum), detrended, and
    Fourier transformed; the peak quefrency is refined by a parabola through its
    neighbours; quefrencies below 3/bandwidth are not searched (fewer than three ripples
    across the band do not define a period). Prominence: peak height over the median
    absolute cepstrum in the search range (a robust noise level). A pulse
    repeated at T also peaks at 2T; the shortest quefrency whose peak reaches half the
    largest is taken (the fundamental).
    """
    n = x.size
    nper = int(min(n, 2 ** math.ceil(math.log2(max(8 * qmax * fs, 256)))))
    f, p = signal.welch(x, fs, nperseg=nper, noverlap=nper * 3 // 4)
    hi = min(band[1], 0.45 * fs)
    m = (f >= band[0]) & (f <= hi)
    if m.sum() < 16:
        return math.nan, 0.0
    # only where the signal carries energy: within 30 dB of the smoothed spectral peak
    sm = np.convolve(p[m], np.ones(9) / 9, mode="same")
    live = np.flatnonzero(sm >= 1e-3 * sm.max())
    m[np.flatnonzero(m)[: live[0]]] = False
    m[np.flatnonzero(m)[live[-1] - live[0] + 1 :]] = False
    if m.sum() < 16:
        return math.nan, 0.0
    # a ripple must repeat at least three times across the band to be a period
    qmin = max(qmin, 3.0 / (f[m][-1] - f[m][0]))
    lp = np.log(np.maximum(p[m], 1e-30 * p[m].max()))
    lp = lp - np.polyval(np.polyfit(f[m], lp, 3), f[m])
    lp = lp * signal.windows.hann(lp.size)
    df = f[1] - f[0]
    nfft = 8 * 2 ** math.ceil(math.log2(lp.size))
    ceps = np.abs(np.fft.rfft(lp, nfft))
    q = np.fft.rfftfreq(nfft, df)
    s = (q >= qmin) & (q <= min(qmax, q[-1]))
    if s.sum() < 5:
        return math.nan, 0.0
    idx = np.flatnonzero(s)
    c = ceps[idx]
    noise = float(np.median(c)) or 1e-30
    peaks, _ = signal.find_peaks(c)
    if peaks.size == 0:
        return math.nan, 0.0
    top = c[peaks].max()
    k = int(peaks[np.flatnonzero(c[peaks] >= 0.5 * top)[0]])
    j = idx[k]
    y0, y1, y2 = ceps[j - 1], ceps[j], ceps[j + 1]
    den = y0 - 2 * y1 + y2
    shift = 0.5 * (y0 - y2) / den if den != 0 else 0.0
    return float(q[j] + shift * (q[1] - q[0])), float(c[k] / noise)


# ----------------------------------------------------------------------------- features


@dataclass(frozen=True)
class HydroFeatures:
    """Features of one hydroacoustic signal (units in the names' comments)."""

    onset: float  # s from the trace start
    duration: float  # s
    peak_pressure: float  # Pa (zero to peak), in the analysis band
    snr: float  # peak power over noise power, as an amplitude ratio
    dominant_frequency: float  # Hz
    spectral_slope: float  # dB/octave over 2–100 Hz (or Nyquist)
    hf_fraction: float  # energy above 20 Hz over energy in the band
    flatness: float  # spectral flatness (1 white, 0 tonal)
    bubble_period: float  # s, NaN when no cepstral peak
    bubble_prominence: float  # cepstral peak over median (dimensionless)


#: Thresholds of :func:`explosion_like`, with reasons.
#: A cepstral peak this many times the median cepstrum is a repeated pulse (random
#: multipath alone gives ≲ 4 on the synthetics of ``bench/hydroacoustic.py``).
MIN_BUBBLE_PROMINENCE = 6.0
#: Bubble periods of credible charges (s): 1 kg at 1000 m gives 0.01 s, 1 kt at the
#: surface 3 s (Rayleigh–Willis).
BUBBLE_RANGE = (0.01, 3.0)
#: A broadband impulsive source puts ≥ 30 % of 2–100 Hz energy above 20 Hz; earthquake
#: T phases ≲ 10 % (Hanson et al. 2001; de Groot-Hedlin & Orcutt 1999).
MIN_HF_FRACTION = 0.3
#: Tonal sources (whales, ship lines) have flatness ≲ 0.1; band-limited noise ≳ 0.3.
MIN_FLATNESS = 0.2
#: A ship passing or a seismic swarm lasts minutes; an explosion's H phase, even after
#: thousands of km of SOFAR dispersion, tens of seconds (s).
MAX_DURATION = 300.0


def h_features(
    x: np.ndarray,
    fs: float,
    start: int,
    end: int,
    noise_power: float,
    band: tuple[float, float] = (2.0, 100.0),
) -> HydroFeatures:
    """Features of the signal ``x[start:end]`` (Pa, band-passed) given the noise power."""
    seg = np.asarray(x[start:end], float)
    slope, frac, dom, flat = spectral_shape(seg, fs, band)
    per, prom = cepstral_bubble_period(seg, fs, band=band)
    pk = float(np.max(np.abs(seg))) if seg.size else math.nan
    env = power_envelope(seg, fs)
    snr = math.sqrt(float(env.max()) / max(noise_power, 1e-30)) if seg.size else math.nan
    return HydroFeatures(start / fs, (end - start) / fs, pk, snr, dom, slope, frac, flat, per, prom)


def explosion_like(features: HydroFeatures | None) -> bool | None:
    """True for an explosion-like hydroacoustic signal, False for one that is not, None
    when nothing was measured.

    Explosion-like: a bubble pulse (cepstral peak of prominence ≥
    :data:`MIN_BUBBLE_PROMINENCE` at a credible period), or a broadband signal (≥
    :data:`MIN_HF_FRACTION` of its energy above 20 Hz, flatness ≥ :data:`MIN_FLATNESS`)
    shorter than :data:`MAX_DURATION`. Wiring (screening, not done here): for an origin
    at sea, the hydroacoustic stations' H detections attached to it
    (:func:`testban.associate.acoustic.attach_acoustic`) give features; ``Measured(
    hydroacoustic=any(explosion_like(f) for f in feats))`` when the stations recorded
    at the predicted time, ``False`` when they recorded noise only (no H detection
    in the SOFAR window), None when no hydroacoustic data covered it.
    """
    if features is None or not math.isfinite(features.duration):
        return None
    if features.duration > MAX_DURATION:
        return False
    bubble = (
        math.isfinite(features.bubble_period)
        and BUBBLE_RANGE[0] <= features.bubble_period <= BUBBLE_RANGE[1]
        and features.bubble_prominence >= MIN_BUBBLE_PROMINENCE
    )
    broadband = (
        math.isfinite(features.hf_fraction)
        and features.hf_fraction >= MIN_HF_FRACTION
        and features.flatness >= MIN_FLATNESS
    )
    return bool(bubble or broadband)


# ----------------------------------------------------------------------------- triplet


def triplet_azimuth(
    data: np.ndarray,
    fs: float,
    east_km: np.ndarray,
    north_km: np.ndarray,
    band: tuple[float, float] = (2.0, 50.0),
) -> tuple[float, float]:
    """(back azimuth °, apparent speed km/s) of a plane wave across three or more
    hydrophones: cross-correlation delays of the band-passed envelopes' carriers, fitted
    by least squares ``t_j − t_i = s · (r_j − r_i)``; back azimuth = atan2(−s_e, −s_n)."""
    data = np.atleast_2d(np.asarray(data, float))
    sos = signal.butter(4, [band[0], min(band[1], 0.45 * fs)], "bandpass", fs=fs, output="sos")
    y = signal.sosfiltfilt(sos, data, axis=1)
    n = y.shape[0]
    rows, dt = [], []
    for i in range(n):
        for j in range(i + 1, n):
            cc = signal.correlate(y[j], y[i], mode="full", method="fft")
            k = int(np.argmax(cc))
            shift = 0.0
            if 0 < k < cc.size - 1:
                den = cc[k - 1] - 2 * cc[k] + cc[k + 1]
                shift = 0.5 * (cc[k - 1] - cc[k + 1]) / den if den != 0 else 0.0
            lag = (k + shift - (y.shape[1] - 1)) / fs
            rows.append([east_km[j] - east_km[i], north_km[j] - north_km[i]])
            dt.append(lag)
    s, *_ = np.linalg.lstsq(np.asarray(rows), np.asarray(dt), rcond=None)
    baz = math.degrees(math.atan2(-s[0], -s[1])) % 360.0
    return baz, 1.0 / max(float(np.hypot(*s)), 1e-9)


# ----------------------------------------------------------------------------- synthetic


def synthetic_h_phase(
    fs: float = 250.0,
    charge_kg: float = 100.0,
    depth_m: float = 50.0,
    duration_s: float = 30.0,
    total_s: float = 180.0,
    onset_s: float = 60.0,
    snr_db: float = 20.0,
    bubble_amplitudes: tuple[float, ...] = (0.5, 0.2),
    n_paths: int = 400,
    ramp_s: float = 1.0,
    seed: int = 0,
    explosion: bool = True,
    band: tuple[float, float] = (3.0, 90.0),
) -> tuple[np.ndarray, float, float]:
    """A synthetic H phase (Pa): (trace, true bubble period s, true duration s).

    Source: a pressure pulse repeated at the Rayleigh–Willis period with decaying
    ``bubble_amplitudes`` (none when ``explosion`` is False: an impulsive source without
    a bubble). Path: ``n_paths`` arrivals at uniform random delays over ``duration_s``
    with Gaussian gains under a trapezoid envelope (``ramp_s`` rises and falls), i.e. the
    SOFAR channel's multipath spread. Band-limited to ``band``, white Gaussian noise at
    ``snr_db`` (signal power over noise power within the signal window).
    """
    rng = np.random.default_rng(seed)
    n = int(total_s * fs)
    period = float(bubble_period(charge_kg, depth_m))
    src = np.zeros(int((period * (len(bubble_amplitudes) + 1) + 0.1) * fs) + 8)
    src[0] = 1.0
    if explosion:
        for k, a in enumerate(bubble_amplitudes, 1):
            pos = k * period * fs
            i0 = int(pos)
            frac = pos - i0
            src[i0] += a * (1 - frac)  # fractional-sample placement keeps the period exact
            src[i0 + 1] += a * frac
    h = np.zeros(int(duration_s * fs) + 1)
    delays = rng.uniform(0, duration_s, n_paths)
    env = np.clip(np.minimum(delays / ramp_s, (duration_s - delays) / ramp_s), 0, 1)
    np.add.at(h, (delays * fs).astype(int), rng.normal(0, 1, n_paths) * env)
    sig = np.convolve(h, src)
    sos = signal.butter(4, [band[0], min(band[1], 0.45 * fs)], "bandpass", fs=fs, output="sos")
    sig = signal.sosfiltfilt(sos, sig)
    x = np.zeros(n)
    i0 = int(onset_s * fs)
    m = min(sig.size, n - i0)
    x[i0 : i0 + m] = sig[:m]
    p_sig = float(np.mean(sig[: int(duration_s * fs)] ** 2))
    noise = signal.sosfiltfilt(sos, rng.normal(0, 1, n))
    noise *= math.sqrt(p_sig / 10 ** (snr_db / 10) / np.mean(noise**2))
    return x + noise, period, duration_s
