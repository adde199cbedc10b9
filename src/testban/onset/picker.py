"""P and S onset refinement around a detector trigger (issue 3, station processing).

P (:func:`refine_onset`) — band choice, then AIC stages (Maeda 1985, on the samples):

1. *Band choice.* The raw window is filtered in a bank of overlapping band-passes
   (:func:`band_bank`); the band where the largest short-term RMS around the trigger
   stands highest over the pre-trigger noise RMS wins (the detector's "best band" rule,
   done again here so raw data can be passed).
2. *Coarse AIC* on that band over a long window (noise before ``trigger - before`` up
   to ``trigger + after`` plus a margin); the minimum is searched only inside
   ``[trigger - before, trigger + after]``.
3. *Look-back* (:func:`_earlier_onset`): the coarse AIC finds the *largest* variance
   change, which on a weak, emergent P followed closely by S (or by a stronger P phase)
   is the later phase. In every band of the bank, AIC again on the data up to the coarse
   pick only; an earlier split counts when the segment between it and the pick stands
   above the noise before it both statistically (F test, ``2 B T`` degrees of freedom
   per segment of ``T`` s in a band ``B`` Hz wide) and by at least
   :data:`_WEAK_RATIO` in RMS (real noise is not stationary), and more than any stretch
   of the noise of the same length does. The earliest such split over the bands
   becomes the pick, and the step is repeated. Bands reaching above
   :data:`_LOOKBACK_FMAX` ``fs`` are left out: digitiser FIR filters ring ahead of an
   impulsive onset there.
4. *Fine AIC* on a short window around the coarse pick in a wider band (same low corner,
   high corner raised towards Nyquist): a broader band gives a sharper first motion
   (Zhang, Thurber & Rowe 2003 pick AIC on the band that shows the onset best; Sleeman &
   van Eck 1999 pick AR-AIC near the coarse pick).

   The fine window ends at the stronger later onset when the look-back moved the pick.

Filters are causal, so nothing leaks ahead of the first motion; a small fixed part of a
period of delay remains, which is what an analyst sees on a filtered trace too.

``deltim`` (CSS3.0, 1-sigma, s) is the spread of the onset distribution given by the
Akaike weights of the fine AIC (relative likelihood ``exp(-ΔAIC/2)``, de-rated by the
fraction ``2B/fs`` of independent samples of a band-limited trace), combined with a term
``c / (f_c · SNR)`` for the part of the waveform lost in noise (a first motion of
amplitude ``A`` rising at frequency ``f_c`` crosses the noise level ``A/SNR`` after about
``1/(2π f_c SNR)`` s) and a term ``c' / f_c`` for the emergence of a band-limited first
motion (a causal pick is late by a small fraction of a period); ``c`` and ``c'`` are
calibrated on synthetics (``tests/onset``: median |error|/deltim ≈ 0.7, 95 % within 2).

S (:func:`pick_s`) — AIC on the horizontal components (sum of the AIC curves of N and E,
each a variance change from P coda to S), searched from just after P to ``max_delay``;
the AIC window ends at the largest horizontal energy after P, and only splits where the
energy after exceeds the energy before count (S is an energy rise; the end of the P pulse
or a decaying coda is a variance change too). The horizontal energy whose maximum ends
the window is weighted by its share of the total (horizontal plus vertical) energy: S is
polarised horizontally, a steep P mostly vertically, so a P pulse that is also large on
the horizontals is not taken for the S maximum. Without horizontals (all-zero N and E) the
vertical is used, and the energy maximum is looked for only after the P pulse has decayed
to half its peak (on the vertical the P pulse is often larger than S); the vertical is then
band-passed below the P pulse's spectral centroid (S is lower-frequency than P: lower
corner frequency and stronger attenuation, ``Q_S < Q_P``; above the P's centroid the
vertical holds mostly P coda). Within ``min_delay`` of the first rise of the energy out of
the pre-P noise, splits whose preceding stretch is still at that noise level are not S (S
follows the P; on an early P pick that split is the P itself), and the S SNR is measured
against what follows the P onset, not the pre-P noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import f as f_dist

from testban.onset.cf import aic_maeda, akaike_weights, bandpass

#: calibration constant of the SNR term of ``deltim`` (see module doc and tests/onset).
SNR_TERM = 0.4
#: calibration constant of the band term of ``deltim`` (fraction of a period, see module doc).
PERIOD_TERM = 0.05
#: smallest ``deltim`` reported (s).
DELTIM_FLOOR = 0.01
_BAND_END = 0.5
_BAND_STA = 0.5
_FINE_FACTOR = 4.0
_FINE_WIN = 2.0
#: longest P pulse (s) skipped on a vertical-only S search: the first motion of a local
#: or regional P (dominant 1–15 Hz) lasts a few cycles, well under a second
_P_PULSE = 1.0
#: filter settling (s) left out of the pre-P noise of the S search (1 Hz corner: a period)
_SETTLE = 1.0
#: noise reference before a look-back split (s)
_NOISE_REF = 5.0
#: shortest weak first arrival tested by the look-back (s)
_MIN_WEAK = 0.1
#: false-alarm probability of the look-back's F test
_ALPHA = 1e-5
#: least amplitude ratio (RMS) of a weak first arrival over the noise before it: seismic
#: noise is not stationary, and stretches of it 1.5–2 times louder than the rest are common
_WEAK_RATIO = 2.5
#: highest band corner (fraction of ``fs``) used by the look-back: digitiser FIR
#: anti-alias filters are linear-phase and ring *ahead* of an impulsive onset near their
#: corner (about 0.4 ``fs``; Scherbaum & Bouin 1997), which would pass for a weak first P
_LOOKBACK_FMAX = 0.3
#: most look-back steps (each may reveal a still earlier, weaker arrival)
_LOOKBACK = 3


@dataclass(frozen=True, slots=True)
class Onset:
    """A refined onset.

    index : onset as a (sub-)sample index into the array given, float.
    deltim : 1-sigma uncertainty of the onset time, seconds (CSS3.0 ``arrival.deltim``).
    snr : RMS amplitude ratio, signal (``snr_window`` s after the onset) over noise
        (before the onset), in the band used for the pick (CSS3.0 ``arrival.snr``).
    fmin, fmax : the band used (Hz).
    """

    index: float
    deltim: float
    snr: float
    fmin: float = np.nan
    fmax: float = np.nan


def band_bank(fs: float, fmin: float = 0.5, ratio: float = 3.0) -> list[tuple[float, float]]:
    """Overlapping band-passes ``(f, ratio·f)`` with ``f`` in half-octave steps from ``fmin``.

    The highest band is clipped at 0.45 ``fs``. Frequencies in Hz.
    """
    top = 0.45 * fs
    bands = []
    f = fmin
    while f * ratio <= top:
        bands.append((f, f * ratio))
        f *= np.sqrt(2.0)
    if f < top / 1.5:
        bands.append((f, top))
    return bands


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


def _moving_rms(x: np.ndarray, n: int) -> np.ndarray:
    c = np.concatenate(([0.0], np.cumsum(x * x)))
    return np.sqrt(np.maximum(c[n:] - c[:-n], 0.0) / n)


def _best_band(
    seg: np.ndarray,
    fs: float,
    i_noise_end: int,
    i_sig0: int,
    i_sig1: int,
    bands: list[tuple[float, float]],
    pad: int,
    sta: float,
    traces: dict[tuple[float, float], np.ndarray] | None = None,
) -> tuple[tuple[float, float], np.ndarray, float]:
    """The band whose peak short-term RMS in ``[i_sig0, i_sig1)`` over the noise RMS in
    ``[pad, i_noise_end)`` is largest; returns the band, its filtered trace and the ratio.
    ``traces``, when given, receives every band's filtered trace."""
    nsta = max(2, int(round(sta * fs)))
    best: tuple[float, tuple[float, float], np.ndarray] | None = None
    for fl, fh in bands:
        y = bandpass(seg, fs, fl, fh)
        if traces is not None:
            traces[(fl, fh)] = y
        noise = _rms(y[pad:i_noise_end])
        sig = y[i_sig0:i_sig1]
        if noise <= 0 or sig.size < nsta:
            continue
        ratio = float(_moving_rms(sig, nsta).max()) / noise
        if best is None or ratio > best[0]:
            best = (ratio, (fl, fh), y)
    if best is None:
        fl, fh = bands[len(bands) // 2]
        return (fl, fh), bandpass(seg, fs, fl, fh), 0.0
    return best[1], best[2], best[0]


def _earlier_onset(
    traces: dict[tuple[float, float], np.ndarray],
    fs: float,
    k0: int,
    lo: int,
    pad: int,
    alpha: float,
    gap: int = 0,
) -> tuple[int, tuple[float, float]] | None:
    """The earliest significant onset before ``k0`` over all bands, or ``None``.

    In every band, Maeda's AIC of ``y[pad:k0]`` (noise, then possibly a weak first
    arrival that the stronger phase at ``k0`` hid from the coarse AIC) splits at ``k'``
    in ``[lo, k0 - gap)``; it is significant when the variance of ``y[k':k0 - gap]`` over the
    noise variance before ``k'`` exceeds the F quantile ``1 - alpha`` with ``2 B T``
    degrees of freedom each (a band ``B`` Hz wide holds ``2 B`` independent samples a
    second). The earliest significant split over the bands is returned with its band.
    Splits closer to ``k0`` than ``gap`` samples are left to the fine stage, and the
    weak segment is tested only up to ``k0 - gap``.
    """
    nnoise = int(round(_NOISE_REF * fs))
    mmin = max(3, int(round(_MIN_WEAK * fs)))
    best: tuple[int, tuple[float, float]] | None = None
    for band, y in traces.items():
        if band[1] > _LOOKBACK_FMAX * fs:
            continue
        hi = k0 - gap - mmin
        if hi <= lo or lo - pad < mmin:
            continue
        k, _ = _aic_pick(y[pad:k0], lo - pad, hi - pad)
        k += pad
        sig = y[k : k0 - gap]  # clear of the strong onset, which ``k0`` may pick late
        noi = y[max(pad, k - nnoise) : k]
        if sig.size < mmin or noi.size < mmin:
            continue
        vs, vn = float(np.var(sig)), float(np.var(noi))
        if vn <= 0:
            continue
        bw = 2.0 * (band[1] - band[0])
        d1, d2 = max(1.0, bw * sig.size / fs), max(1.0, bw * noi.size / fs)
        thr = max(_WEAK_RATIO**2, f_dist.isf(alpha, d1, d2))
        if noi.size > sig.size:
            # the noise's own variability at this length: no stretch of the noise as long
            # as the weak segment may stand out as much
            c = np.concatenate(([0.0], np.cumsum(noi * noi)))
            wv = (c[sig.size :] - c[: -sig.size]) / sig.size
            thr = max(thr, float(wv.max()) / float(np.mean(noi * noi)))
        ok = vs / vn > thr
        if ok and (best is None or k < best[0]):
            best = (k, band)
    return best


def _aic_pick(y: np.ndarray, lo: int, hi: int) -> tuple[int, np.ndarray]:
    """AIC of ``y``; the minimising split restricted to ``[lo, hi]``."""
    aic = aic_maeda(y)
    lo = max(lo, 2)
    hi = min(hi, y.size - 2)
    if hi <= lo:
        return int(np.argmin(aic)), aic
    return lo + int(np.argmin(aic[lo : hi + 1])), aic


def _subsample(aic: np.ndarray, k: int) -> float:
    """Parabolic vertex of the AIC around its minimum ``k`` (offset clipped to ±0.5)."""
    if 0 < k < aic.size - 1 and np.all(np.isfinite(aic[k - 1 : k + 2])):
        a, b, c = aic[k - 1], aic[k], aic[k + 1]
        den = a - 2.0 * b + c
        if den > 0:
            return float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))
    return 0.0


def _snr(y: np.ndarray, i: int, fs: float, window: float, first: int = 0) -> float:
    """RMS of ``y[i : i + window]`` over the RMS of up to ``2 window`` before ``i`` (from
    ``first`` on at the earliest)."""
    nw = max(2, int(round(window * fs)))
    noise = _rms(y[max(first, i - 2 * nw) : max(0, i - 1)])
    sig = _rms(y[i : i + nw])
    return sig / noise if noise > 0 else np.inf if sig > 0 else 0.0


def refine_onset(
    data: np.ndarray,
    fs: float,
    trigger: int,
    *,
    before: float = 3.0,
    after: float = 1.0,
    noise: float = 5.0,
    snr_window: float = 1.0,
    bands: list[tuple[float, float]] | None = None,
) -> Onset:
    """Refine a detector trigger to a precise onset with its uncertainty.

    Parameters
    ----------
    data : one channel or beam, *raw* (any unit; mean and trend need not be removed):
        the band is chosen here from :func:`band_bank`. Data already band-passed by the
        caller are fine too (the bank then just picks the band that overlaps).
    fs : sampling rate (Hz).
    trigger : sample index where the detector (STA/LTA) fired.
    before, after : the onset is searched in ``[trigger - before, trigger + after]`` (s).
    noise : seconds of pre-window data used as the noise reference for band choice (s).
    snr_window : length of the signal window of the reported SNR (s).
    bands : band-passes to choose from (Hz); default :func:`band_bank`.

    Returns
    -------
    Onset with ``index`` (float sample index into ``data``), ``deltim`` (s), ``snr``.
    """
    x = np.asarray(data, dtype=np.float64)
    n = x.size
    nb, na = int(round(before * fs)), int(round(after * fs))
    nmargin = int(round(max(1.0, 0.5 * before) * fs))
    nnoise = int(round(noise * fs))
    npad = int(round(2.0 * fs))  # filter settling, not used in any statistic
    s0 = max(0, trigger - nb - nnoise - npad)
    s1 = min(n, trigger + na + nmargin + 1)
    seg = x[s0:s1] - np.mean(x[s0:s1])
    t = trigger - s0
    lo, hi = max(t - nb, 0), min(t + na, seg.size - 2)
    pad = min(npad, max(0, lo - int(0.5 * fs)))
    if bands is None:
        bands = band_bank(fs)
    send = min(seg.size, hi + int(round(_BAND_END * fs)))
    traces: dict[tuple[float, float], np.ndarray] = {}
    (fl, fh), y, _ = _best_band(seg, fs, lo, lo, send, bands, pad, sta=_BAND_STA, traces=traces)

    # coarse: AIC of the chosen band over [pad, end], minimum inside [lo, hi]
    k0, _ = _aic_pick(y[pad:], lo - pad, hi - pad)
    k0 += pad
    kstrong, kfirst, ysnr = seg.size, k0, y
    period = fs / np.sqrt(fl * fh)
    reach = int(round(max(0.1, 0.5 / fh) * fs))  # the fine stage's own search radius
    for _ in range(_LOOKBACK):
        ear = _earlier_onset(traces, fs, k0, lo, pad, _ALPHA, gap=reach)
        if ear is None:
            break
        kstrong = k0
        k0, (fl, fh) = ear
        y = traces[(fl, fh)]

    # fine: wider band, short window around the coarse pick
    fh2 = min(0.45 * fs, _FINE_FACTOR * fh)
    y2 = bandpass(seg, fs, fl, fh2)
    w = int(round(max(0.5, _FINE_WIN / fl) * fs))
    f0, f1 = max(pad, k0 - w), min(seg.size, k0 + w, kstrong)
    wsearch = int(round(max(0.1, 0.5 / fh) * fs))
    k1, aic = _aic_pick(y2[f0:f1], k0 - f0 - wsearch, k0 - f0 + wsearch)
    idx = s0 + f0 + k1 - 0.5 + _subsample(aic, k1)

    # a look-back by less than a period of the best band is the same arrival seen with
    # less filter delay: its SNR is the best band's; further back, the weak arrival's own
    if kfirst - k0 > period:
        ysnr = y
    snr = _snr(ysnr, f0 + k1, fs, snr_window)
    deltim = _deltim(aic, fs, fl, fh, fh2, snr)
    return Onset(float(idx), deltim, float(snr), fl, fh)


def _deltim(aic: np.ndarray, fs: float, fl: float, fh: float, fh_aic: float, snr: float) -> float:
    """1-sigma onset uncertainty (s): Akaike-weight spread of ``aic`` (computed on a band
    ``fl``–``fh_aic``) combined with the SNR term ``SNR_TERM / (f_c · snr)``."""
    indep = min(1.0, 2.0 * (fh_aic - fl) / fs)
    wts = akaike_weights(aic, indep)
    kk = np.arange(aic.size)
    mean = float(np.sum(wts * kk))
    sig_aic = float(np.sqrt(np.sum(wts * (kk - mean) ** 2))) / fs
    fc = np.sqrt(fl * fh)
    sig_snr = SNR_TERM / (fc * max(snr, 1e-3))
    sig_band = PERIOD_TERM / fc
    return max(DELTIM_FLOOR, float(np.sqrt(sig_aic**2 + sig_snr**2 + sig_band**2)))


def _after_pulse(env: np.ndarray, lo: int, hi: int, npulse: int) -> int:
    """First sample after the P pulse: where the envelope ``env`` has fallen below half of
    its peak in ``[lo, lo + npulse]`` (``lo`` if it never does before ``hi``)."""
    j1 = min(hi, lo + npulse)
    if j1 <= lo:
        return lo
    kp = lo + int(np.argmax(env[lo : j1 + 1]))
    below = np.flatnonzero(env[kp : hi + 1] < 0.5 * env[kp])
    return kp + int(below[0]) if below.size else lo


def _centroid(y: np.ndarray, fs: float) -> float:
    """Spectral centroid (Hz) of ``y`` (Hann-tapered power spectrum); NaN if ``y`` is flat."""
    if y.size < 4:
        return np.nan
    sp = np.abs(np.fft.rfft((y - y.mean()) * np.hanning(y.size))) ** 2
    tot = float(sp.sum())
    return float(np.sum(np.fft.rfftfreq(y.size, 1.0 / fs) * sp) / tot) if tot > 0 else np.nan


def _rises(e: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """For each split ``k`` in ``[lo, hi]`` of the energy ``e``: is the mean energy of
    ``e[k:]`` larger than that of ``e[:k]``?"""
    c = np.cumsum(e)
    k = np.maximum(np.arange(lo, hi + 1), 1)
    before = c[k - 1] / k
    after = (c[-1] - c[k - 1]) / (e.size - k)
    return after > before


def pick_s(
    z: np.ndarray,
    n: np.ndarray,
    e: np.ndarray,
    fs: float,
    p_index: float,
    *,
    max_delay: float,
    min_delay: float = 0.2,
    band: tuple[float, float] = (1.0, 15.0),
    snr_window: float = 1.0,
    min_snr: float = 1.2,
    smooth: float = 0.5,
) -> Onset | None:
    """S onset on the horizontals after a P onset.

    Parameters
    ----------
    z, n, e : vertical, north and east (or 1, 2) components, raw, same length and rate.
        If ``n`` and ``e`` are all zero the vertical is used instead.
    fs : sampling rate (Hz).
    p_index : P onset (sample index, e.g. :func:`refine_onset`'s ``index``).
    max_delay : latest S onset searched, seconds after P.
    min_delay : earliest S onset searched, seconds after P.
    band : band-pass applied to every component (Hz; clipped at 0.45 ``fs``).
    snr_window : signal/noise windows of the reported SNR (s).
    min_snr : below this SNR (horizontal RMS after / before the S onset, the latter from
        ``min_delay`` after P on) no S is returned.
    smooth : length of the moving average of the horizontal energy whose maximum ends
        the AIC window (s).

    Returns
    -------
    Onset (sample index into the arrays, ``deltim`` in s, SNR) or ``None`` when the
    window is too short or no S stands out.
    """
    p = int(round(p_index))
    size = min(len(z), len(n), len(e))
    fl, fh = band[0], min(band[1], 0.45 * fs)
    horiz = bool(np.any(np.asarray(n)[:size]) or np.any(np.asarray(e)[:size]))
    comps = [n, e] if horiz else [z]
    npad = int(round(2.0 * fs))
    s0 = max(0, p - npad)
    s1 = min(size, p + int(round((max_delay + 1.0) * fs)) + 1)
    lo = p + int(round(min_delay * fs)) - s0
    hi = min(p + int(round(max_delay * fs)), s1 - 3) - s0
    if hi - lo < 3 or p < 0:
        return None
    a0 = p - s0
    if not horiz:
        # S is lower-frequency than P (lower corner frequency, Q_S < Q_P): on the vertical
        # alone, look for it below the P pulse's spectral centroid, where less P coda is left
        zp = bandpass(np.asarray(z[s0:s1], float) - np.mean(z[s0:s1]), fs, fl, fh)
        fc = _centroid(zp[a0 : a0 + int(round(_P_PULSE * fs))], fs)
        if np.isfinite(fc):
            fh = float(np.clip(fc, 2.0 * fl, fh))
    ys = [bandpass(np.asarray(c[s0:s1], float) - np.mean(c[s0:s1]), fs, fl, fh) for c in comps]
    # end the AIC window at the horizontal energy maximum (S is the largest arrival on the
    # horizontals of a local/regional record): past it the energy only decays, and a
    # decay is a variance change too
    h2 = sum(y * y for y in ys)
    nsm = max(1, int(round(smooth * fs)))
    env = np.convolve(h2, np.ones(nsm) / nsm, mode="same")
    if horiz:
        # S is polarised horizontally, P (steep incidence) mostly vertically: weight the
        # horizontal energy by its share of the total so that a P pulse that is large on
        # the horizontals too does not pass for the S energy maximum
        yz = bandpass(np.asarray(z[s0:s1], float) - np.mean(z[s0:s1]), fs, fl, fh)
        envz = np.convolve(yz * yz, np.ones(nsm) / nsm, mode="same")
        tot = env + envz
        env = env * np.divide(env, tot, out=np.zeros_like(env), where=tot > 0)
    # on the vertical alone the P pulse itself is often the largest arrival: look for the
    # S energy maximum only after the P pulse has decayed
    kfrom = lo if horiz else _after_pulse(env, lo, hi, int(round(_P_PULSE * fs)))
    kmax = kfrom + int(np.argmax(env[kfrom : hi + 1]))
    end = min(s1 - s0, kmax + nsm)
    aic = np.zeros(end - a0)
    for y in ys:
        aic += aic_maeda(y[a0:end])
    search = aic[lo - a0 : kmax - a0 + 1].copy()
    # S is an energy *rise*; a split where the energy falls (end of the P pulse, decaying
    # P coda) is a variance change too, but not an S onset
    search[~_rises(h2[a0:end], lo - a0, kmax - a0)] = np.inf
    # S follows the P: the stretch ``min_delay`` before an S onset is P signal, not the
    # noise before P. Until ``min_delay`` after the P energy has first risen above that
    # noise (by :data:`_WEAK_RATIO` in RMS), a split whose preceding stretch starts at the
    # noise level is the first arrival itself (the P, when the P pick is early), not an S.
    # Later on the P coda may have decayed into the noise before a distant S
    nq = max(2, int(round(min_delay * fs)))
    nh = nq // 2
    nset = int(round(_SETTLE * fs))  # filter settling at the start of the segment
    if a0 - nh - nset >= nq:
        thr = _WEAK_RATIO**2 * float(np.mean(h2[nset : a0 - nh]))
        c = np.concatenate(([0.0], np.cumsum(h2)))
        up = np.flatnonzero(c[a0 + nq : kmax + 1] - c[a0 : kmax + 1 - nq] >= nq * thr)
        until = a0 + 2 * nq + int(up[0]) if up.size else kmax + 1
        ks = np.arange(lo, kmax + 1) - nq
        search[((c[ks + nh] - c[ks]) / nh < thr) & (ks + nq < until)] = np.inf
    if not np.isfinite(search).any():
        search = aic[lo - a0 : kmax - a0 + 1]
    k = lo - a0 + int(np.argmin(search))
    idx = s0 + a0 + k - 0.5 + _subsample(aic, k)
    h = np.sqrt(h2)
    # against the P coda only: the pre-P noise and the P onset are not what S rises from
    snr = _snr(h, a0 + k, fs, snr_window, first=lo)
    if not snr >= min_snr:
        return None
    deltim = _deltim(aic, fs, fl, fh, fh, snr)
    return Onset(float(idx), deltim, float(snr), fl, fh)
