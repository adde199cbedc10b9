"""Depth phases after teleseismic P: where pP and sP can arrive, and which onsets they are.

pP and sP leave the source upwards, reflect at the surface above it and follow P to the
station; their delay after P grows with depth (iasp91 at 60°: pP − P ≈ 4 s at 15 km, 25 s
at 100 km, 110 s at 580 km; sP − P about 1.3 times pP − P) and hardly with the epicentre
or the origin time, which is why they resolve depth where first arrivals cannot. They are
looked for between 25° and 95°: nearer, the upper-mantle triplications put several P
branches in the same window; farther, P diffracts along the core and pP loses its partner.

For one station (an array beam steered at P, or a vertical) and its P onset, three
functions of the lag τ after P are computed over the window where pP/sP of 0–700 km can
arrive (vectorised NumPy, no loop over samples):

* ``snr`` — an STA/LTA of the signal amplitude (rms): STA over ``[τ, τ + sta)``, LTA over
  the ``lta`` seconds before τ (the P coda, not the pre-event noise: a depth phase must stand
  out of the coda it arrives in);
* ``cc`` — the normalised cross-correlation of the P wavelet (``template`` seconds from
  the onset) with the signal at τ, in absolute value (pP and sP have P's source time
  function, with either polarity);
* ``cepstrum`` — the power cepstrum of the window from P to the end of the search (a
  signal plus its echo delayed by τ has a cepstral peak at quefrency τ, whatever the
  source time function; Bogert et al. 1963; Kemerait & Childers 1972 for depth phases).

:func:`station_candidates` turns them into candidate onsets (lag, SNR, |cc|, cepstral
z-score); :func:`network_depth` finds the depth whose predicted pP − P and sP − P delays
explain the most candidates, one per station and phase (a count, so that one loud
spurious peak cannot pull the depth), then the median of the depths those matches imply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import signal

from testban.traveltime import TravelTimes

#: Phases looked for, in order of preference when one onset fits both.
SEARCH_PHASES = ("pP", "sP")
#: Weight of a match in the tie-break between depths that explain as many delays: one
#: onset per station fits pP at depth h and sP at a shallower depth equally (sP − P ≈
#: 1.3–1.5 × pP − P), and the first depth phase on short-period vertical P records is
#: most often pP (its reflection coefficient at the surface is near −1 for steep
#: incidence, sP's S-to-P conversion is smaller), so pP is taken.
PREFERENCE = {"pP": 1.0, "sP": 0.5}


@dataclass(frozen=True)
class DepthPhaseConfig:
    """Settings of the depth-phase search; each value with its unit and reason."""

    #: Distance range (°) searched: beyond the upper-mantle triplications (~25°) and
    #: before P diffracts at the core (~95°).
    min_delta: float = 25.0
    max_delta: float = 95.0
    #: Source depths (km) searched. Above 20 km pP − P is under ~5 s at 60° and falls
    #: inside the P wavelet and its STA/LTA windows; such depths are left to the other
    #: depth rules. 700 km: the deepest earthquakes.
    min_depth: float = 20.0
    max_depth: float = 700.0
    #: Depth grid step (km) of the network stack: dT(pP − P)/dh ≈ 0.15–0.25 s/km, so 1 km
    #: is ≤ 0.25 s, finer than the matching tolerance.
    depth_step: float = 1.0
    #: Band (Hz) of teleseismic short-period P, where the IDC detects and measures mb.
    band: tuple[float, float] = (1.0, 3.0)
    #: STA and LTA lengths (s): a 1–3 Hz onset is resolved in ~1 s; 10 s of coda is long
    #: enough for a stable level and short enough to follow its decay.
    sta: float = 1.0
    lta: float = 10.0
    #: P wavelet length (s) correlated with the later window: a few periods at 1–3 Hz.
    template: float = 4.0
    #: Least STA/LTA (rms amplitude ratio) for a candidate onset: 2.5, as in teleseismic P
    #: detection (the IDC's beam thresholds are 2.5–4 on STA/LTA of amplitude). In noise
    #: of ~2 Hz bandwidth a 1 s STA has ~4 degrees of freedom: P(ratio ≥ 2.5) ≈ 5e-5 per
    #: independent sample, a few hundredths per 300 s search window.
    min_snr: float = 2.5
    #: Matching tolerance (s) between a candidate and a predicted delay: the iasp91 a
    #: priori error of pP (1.5 s, :mod:`testban.locate.model_errors`) plus an onset pick.
    tolerance: float = 2.0
    #: Stations with a matched depth phase needed for a network depth (count): 3, the
    #: same as the locator's rule for a depth-phase depth.
    min_stations: int = 3


class StationFunctions(NamedTuple):
    """The three functions of the lag after P (one value per sample of ``lags``)."""

    lags: np.ndarray  # s after the P onset
    snr: np.ndarray  # STA/LTA of the energy at the lag
    cc: np.ndarray  # |normalised correlation| of the P wavelet with the lag's signal
    cepstrum: np.ndarray  # power cepstrum, z-score against its median and MAD


class Candidate(NamedTuple):
    """A candidate depth-phase onset at one station."""

    lag: float  # s after P
    snr: float  # STA/LTA at the onset
    cc: float  # |correlation| with the P wavelet
    cepstrum: float  # cepstral z-score at the lag (±0.5 s)


def delay_curves(
    tt: TravelTimes, delta: float, depths: np.ndarray, phases: Sequence[str] = SEARCH_PHASES
) -> dict[str, np.ndarray]:
    """Predicted ``phase`` − P delays (s) at ``delta`` (°) for each of ``depths`` (km)."""
    p = tt.time("P", delta, depths)
    return {ph: tt.time(ph, delta, depths) - p for ph in phases}


def _window_sums(e: np.ndarray, n: int) -> np.ndarray:
    """``s[i] = Σ e[i : i + n]`` for every i with a full window (length ``len(e) - n + 1``)."""
    c = np.concatenate([[0.0], np.cumsum(e)])
    return c[n:] - c[:-n]


def station_functions(
    x: np.ndarray, fs: float, p_index: int, max_lag: float, cfg: DepthPhaseConfig
) -> StationFunctions:
    """STA/LTA, P-wavelet correlation and cepstrum after the P onset at ``p_index``.

    ``x`` is the raw trace or beam (any units), ``fs`` its sampling rate (Hz); lags run
    from 0 to ``max_lag`` s. Lags whose windows leave the trace are NaN.
    """
    lo, hi = cfg.band
    hi = min(hi, 0.45 * fs)
    sos = signal.butter(3, [lo, hi], btype="bandpass", fs=fs, output="sos")
    y = signal.sosfiltfilt(sos, np.asarray(x, float) - float(np.mean(x)))
    nsta, nlta, ntpl = (max(int(round(v * fs)), 1) for v in (cfg.sta, cfg.lta, cfg.template))
    nlag = int(round(max_lag * fs)) + 1
    lags = np.arange(nlag) / fs
    k = p_index + np.arange(nlag)  # sample of each lag
    e = y * y
    sta_all, lta_all = _window_sums(e, nsta) / nsta, _window_sums(e, nlta) / nlta
    snr = np.full(nlag, np.nan)
    ok = (k - nlta >= 0) & (k + nsta <= y.size)
    floor = 1e-12 * float(np.max(e)) if e.size else 0.0
    # amplitude ratio (the square root of the energy ratio), as the IDC's SNR and STA/LTA
    snr[ok] = np.sqrt(sta_all[k[ok]] / np.maximum(lta_all[k[ok] - nlta], floor))

    # P wavelet from 0.5 s before the onset, correlated with the same length at each lag.
    t0 = max(p_index - int(round(0.5 * fs)), 0)
    tpl = y[t0 : t0 + ntpl]
    cc = np.full(nlag, np.nan)
    if tpl.size == ntpl and np.any(tpl):
        tpl = (tpl - tpl.mean()) / (np.linalg.norm(tpl - tpl.mean()) or 1.0)
        seg_start = t0 + np.arange(nlag)
        good = seg_start + ntpl <= y.size
        if good.any():
            span = y[t0 : int(seg_start[good][-1]) + ntpl]
            num = np.correlate(span, tpl, mode="valid")[: int(good.sum())]
            s1 = _window_sums(span, ntpl)[: int(good.sum())]
            s2 = _window_sums(span * span, ntpl)[: int(good.sum())]
            var = np.maximum(s2 - s1 * s1 / ntpl, 1e-30)
            cc[good] = np.abs(num / np.sqrt(var))

    cep = np.full(nlag, np.nan)
    # from half a wavelet before the onset, so that P is whole in the window (an echo of a
    # truncated P does not match it)
    w0, w1 = max(p_index - ntpl // 2, 0), min(p_index + nlag + ntpl, y.size)
    if w1 - w0 > 2 * ntpl:
        seg = y[w0:w1] * signal.windows.tukey(w1 - w0, 0.1)
        nfft = int(2 ** np.ceil(np.log2(2 * seg.size)))
        spec = np.abs(np.fft.rfft(seg, nfft)) ** 2
        f = np.fft.rfftfreq(nfft, 1.0 / fs)
        band = (f >= lo) & (f <= hi)
        logs = np.log(spec + 1e-12 * spec.max())
        logs = np.where(band, logs - logs[band].mean(), 0.0)  # the band only: noise elsewhere
        c = np.fft.irfft(logs, nfft) ** 2
        q = np.arange(nlag)  # quefrency (samples) = echo delay = lag after P
        inside = q < nfft // 2
        cep[inside] = c[q[inside]]
        ref = cep[int(round(cfg.template * fs)) :]
        ref = ref[np.isfinite(ref)]
        if ref.size:
            med = float(np.median(ref))
            mad = float(np.median(np.abs(ref - med))) * 1.4826 or 1.0
            cep = (cep - med) / mad
    return StationFunctions(lags, snr, cc, cep)


def station_candidates(
    fn: StationFunctions, min_lag: float, max_lag: float, cfg: DepthPhaseConfig
) -> list[Candidate]:
    """Onsets between ``min_lag`` and ``max_lag`` s after P with STA/LTA ≥ ``min_snr``.

    Each is the STA/LTA maximum of its run above threshold (one per ``tolerance``), with
    the best |cc| and cepstral z-score within ±``sta`` and ±0.5 s of it.
    """
    lags, snr = fn.lags, np.nan_to_num(fn.snr, nan=0.0)
    fs = 1.0 / (lags[1] - lags[0]) if lags.size > 1 else 1.0
    inside = (lags >= min_lag) & (lags <= max_lag)
    above = inside & (snr >= cfg.min_snr)
    if not above.any():
        return []
    # runs above threshold; one candidate (the maximum) per run, runs closer than the
    # tolerance merged
    idx = np.flatnonzero(above)
    breaks = np.flatnonzero(np.diff(idx) > cfg.tolerance * fs)
    out = []
    for run in np.split(idx, breaks + 1):
        i = int(run[np.argmax(snr[run])])
        # the onset is where the STA window starts to take in the new energy: the first
        # sample of the run reaching half the run's peak log-ratio
        half = run[np.log(snr[run]) >= 0.5 * np.log(snr[i])]
        j = int(half[0]) if half.size else i
        # the lag is then aligned on the P wavelet: the |cc| maximum within ±sta of the
        # onset measures the delay the same way on P and on the echo (an STA/LTA onset
        # and the P pick need not be the same point of the wavelet)
        w = max(int(round(cfg.sta * fs)), 1)
        a = max(j - w, 0)
        cc = np.nan_to_num(fn.cc[a : j + w + 1], nan=0.0)
        if cc.size and cc.max() > 0:
            j = a + int(np.argmax(cc))
        ce = np.nan_to_num(fn.cepstrum[max(j - int(fs / 2), 0) : j + int(fs / 2) + 1], nan=0.0)
        out.append(
            Candidate(
                float(lags[j]), float(snr[i]), float(cc.max(initial=0.0)), float(ce.max(initial=0))
            )
        )
    return out


class NetworkDepth(NamedTuple):
    """The depth that explains the most stations' depth-phase delays."""

    depth: float  # km; NaN when fewer than ``min_stations`` stations agree
    nsta: int  # stations with a candidate matching a depth phase at that depth
    matches: dict[int, dict[str, int]]  # station index -> {phase: candidate index}
    implied: dict[int, dict[str, float]]  # station index -> {phase: depth (km) it implies}
    explained: np.ndarray  # station delays (pP, sP) explained at each grid depth
    depths: np.ndarray  # the grid (km)


def _invert(curve: np.ndarray, depths: np.ndarray, lag: float) -> float:
    """Depth at which a monotonic delay ``curve`` equals ``lag`` (NaN outside)."""
    ok = np.isfinite(curve)
    c, d = curve[ok], depths[ok]
    if c.size < 2 or not c[0] <= lag <= c[-1]:
        return float("nan")
    return float(np.interp(lag, c, d))


def network_depth(
    candidates: Sequence[Sequence[Candidate]],
    curves: Sequence[dict[str, np.ndarray]],
    depths: np.ndarray,
    cfg: DepthPhaseConfig,
) -> NetworkDepth:
    """The depth on ``depths`` whose predicted delays (``curves`` per station, from
    :func:`delay_curves`) match the most station delays (pP, sP) within ``tolerance``;
    ties go to the larger summed log STA/LTA, pP weighted over sP (:data:`PREFERENCE`).
    The depth returned is the median of the depths the matched candidates imply (pP and
    sP each), which is not tied to the grid.
    """
    nh = depths.size
    count = np.zeros(nh)
    score = np.zeros(nh)
    for cands, curve in zip(candidates, curves, strict=True):
        if not cands:
            continue
        lag = np.array([c.lag for c in cands])
        wgt = np.log10(np.array([c.snr for c in cands]))
        for ph in SEARCH_PHASES:
            d = curve.get(ph)
            if d is None:
                continue
            near = np.abs(lag[None, :] - d[:, None]) <= cfg.tolerance  # (nh, ncand)
            count += near.any(axis=1)  # a station explained by pP and sP counts twice
            score += PREFERENCE[ph] * np.max(np.where(near, wgt[None, :], 0.0), axis=1)
    if not count.any():
        return NetworkDepth(float("nan"), 0, {}, {}, count, depths)
    top = np.flatnonzero(count == count.max())
    k = int(top[np.argmax(score[top])])
    matches: dict[int, dict[str, int]] = {}
    implied: dict[int, dict[str, float]] = {}
    for s, (cands, curve) in enumerate(zip(candidates, curves, strict=True)):
        for ph in SEARCH_PHASES:
            d = curve.get(ph)
            if d is None or not np.isfinite(d[k]):
                continue
            fits = [(c.snr, i) for i, c in enumerate(cands) if abs(c.lag - d[k]) <= cfg.tolerance]
            if fits:
                i = max(fits)[1]
                matches.setdefault(s, {})[ph] = i
                implied.setdefault(s, {})[ph] = _invert(d, depths, cands[i].lag)
    # one candidate cannot be both pP and sP at a station: keep the closer fit
    for s, m in matches.items():
        if len(set(m.values())) < len(m):
            pred = {ph: curves[s][ph][k] for ph in m}
            keep = min(m, key=lambda ph: abs(candidates[s][m[ph]].lag - pred[ph]))
            matches[s] = {keep: m[keep]}
            implied[s] = {keep: implied[s][keep]}
    nsta = len(matches)
    values = [v for m in implied.values() for v in m.values() if np.isfinite(v)]
    depth = float(np.median(values)) if values and nsta >= cfg.min_stations else float("nan")
    return NetworkDepth(depth, nsta, matches, implied, count, depths)
