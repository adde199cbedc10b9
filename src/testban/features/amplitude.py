"""The IDC body-wave amplitude "A5/2" (``amp``/``per`` of an ``arrival``) and ``snr``.

The IDC measures the mb amplitude on the vertical component after a 3rd-order
zero-phase Butterworth band-pass of 0.8-4.5 Hz, in a window from 0.5 s before to 5.5 s
after the onset: the amplitude is half the largest peak-to-trough (adjacent extrema)
excursion, i.e. half peak-to-peak, in nm of ground displacement, and the period is twice
the time between that peak and trough. mb = log10(A/T) + Q(delta, h), with the
Veith-Clawson Q table already including log10(2) for half peak-to-peak amplitudes.

References:

* SeisComP, "mb(IDC)" (``global_mb_idc``): A5/2 amplitudes on the vertical, 0.8-4.5 Hz,
  converted to displacement; the Q table is adjusted because "the measured amplitudes for
  mb calculations are half peak-to-peak". https://www.seiscomp.de/doc/apps/global_mb_idc.html
* IASPEI (2013), Summary of magnitude working group recommendations on standard
  procedures for determining earthquake magnitudes from digital data: A is half the
  maximum peak-to-trough (adjacent extrema) amplitude, T the period from the same peak
  and trough.
* testban ``DESIGN.md`` (filter, window, units).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from obspy.core.inventory.response import Response
from scipy import signal

from testban.network.response import evaluate

A52_BAND: tuple[float, float] = (0.8, 4.5)
"""Pass band of the IDC mb amplitude filter, Hz."""
A52_WINDOW: tuple[float, float] = (-0.5, 5.5)
"""A5/2 measurement window relative to the onset, s."""
A52_ORDER = 3
"""Order of the IDC mb Butterworth filter."""

_PAD_S = 20.0  # filter transient allowance either side of a measurement window, s

_DISPLACEMENT_POWER = {  # input unit -> (power of i*omega to reach displacement, nm factor)
    "NM": (0, 1.0),
    "M": (0, 1e-9),
    "CM": (0, 1e-7),
    "MM": (0, 1e-6),
    "UM": (0, 1e-3),
    "NM/S": (1, 1.0),
    "M/S": (1, 1e-9),
    "CM/S": (1, 1e-7),
    "MM/S": (1, 1e-6),
    "UM/S": (1, 1e-3),
    "NM/S**2": (2, 1.0),
    "M/S**2": (2, 1e-9),
    "CM/S**2": (2, 1e-7),
    "MM/S**2": (2, 1e-6),
}


#: Nanometres per sample unit of records that carry neither a response nor a calibration
#: but are known to be displacement (``assume_units`` of detection and the Ms stage).
NM_PER_UNIT: dict[str, float] = {"nm": 1.0, "um": 1e3, "mm": 1e6, "m": 1e9}


def _unit_key(units: str | None) -> str | None:
    if not units:
        return None
    key = units.strip().upper().replace(" ", "")
    key = key.replace("/S/S", "/S**2").replace("/S^2", "/S**2").replace("/S2", "/S**2")
    key = key.replace("/SEC", "/S").replace("METERS", "M").replace("METER", "M")
    return key if key in _DISPLACEMENT_POWER else None


def response_units(response: Response) -> str:
    """The ground-motion input unit of ``response`` (``"M/S"``, ``"NM"``...).

    Taken from the overall sensitivity, else from the first stage; raises ValueError
    when neither names a displacement, velocity or acceleration unit.
    """
    candidates = []
    if response.instrument_sensitivity is not None:
        candidates.append(response.instrument_sensitivity.input_units)
    if response.response_stages:
        candidates.append(response.response_stages[0].input_units)
    for units in candidates:
        key = _unit_key(units)
        if key is not None:
            return key
    raise ValueError(f"response input units {candidates} are not ground motion")


def displacement_gain(response: Response, freqs: np.ndarray) -> np.ndarray:
    """``|H(f)|`` of ``response`` as a displacement response, counts per nm, at ``freqs`` Hz.

    Velocity (``M/S``) and acceleration (``M/S**2``) responses are multiplied by
    ``(2 pi f)`` and ``(2 pi f)**2``; metres are converted to nm. Responses are evaluated
    with :func:`testban.network.response.evaluate`, or with ObsPy's evalresp when a stage
    lacks a gain (as in some StationXML files that give only the overall sensitivity).
    """
    freqs = np.atleast_1d(np.asarray(freqs, dtype=float))
    key = response_units(response)
    power, nm = _DISPLACEMENT_POWER[key]
    stages = list(response.response_stages)
    usable = bool(stages) and all(s.stage_gain is not None for s in stages)
    if usable:
        try:
            h = np.abs(evaluate(response, freqs))
        except (TypeError, ValueError):
            usable = False
    if not usable:
        if not stages and response.instrument_sensitivity is not None:
            h = np.full(freqs.shape, float(response.instrument_sensitivity.value))
        else:
            if key.startswith("NM"):
                raise ValueError("cannot evaluate a response in nm without stage gains")
            disp = response.get_evalresp_response_for_frequencies(freqs, output="DISP")
            return np.abs(disp) * 1e-9  # counts per m -> counts per nm
    return h * (2.0 * np.pi * freqs) ** power * nm


def butter_band(fs: float, band: tuple[float, float], order: int = A52_ORDER) -> np.ndarray:
    """Second-order sections of a Butterworth band-pass (``band`` Hz) for ``fs`` Hz data.

    The upper corner is clipped to 90 % of the Nyquist frequency.
    """
    lo, hi = band
    hi = min(hi, 0.45 * fs)
    if not 0 < lo < hi:
        raise ValueError(f"band {band} Hz is not usable at {fs} Hz")
    return _butter_sos(float(fs), float(lo), float(hi), int(order)).copy()


@functools.lru_cache(maxsize=64)
def _butter_sos(fs: float, lo: float, hi: float, order: int) -> np.ndarray:
    """Cached design (read-only; callers get a copy): the same few bands, thousands of times."""
    sos = signal.butter(order, [lo, hi], btype="bandpass", fs=fs, output="sos")
    sos.setflags(write=False)
    return sos


def filter_gain(fs: float, band: tuple[float, float], freqs: np.ndarray, order: int = A52_ORDER):
    """Amplitude gain of the zero-phase (forward-backward) Butterworth band-pass at ``freqs``."""
    sos = butter_band(fs, band, order)
    _, h = signal.sosfreqz(sos, worN=np.atleast_1d(np.asarray(freqs, dtype=float)), fs=fs)
    return np.abs(h) ** 2


def _segment(z: np.ndarray, i0: int, i1: int) -> tuple[np.ndarray, int]:
    """``z[i0:i1]`` clipped to the array, demeaned, as float64, and its start index."""
    a, b = max(i0, 0), min(i1, z.shape[-1])
    seg = np.asarray(z[..., a:b], dtype=np.float64)
    return seg - seg.mean(axis=-1, keepdims=True), a


def bandpass_window(
    z: np.ndarray,
    fs: float,
    start: float,
    end: float,
    band: tuple[float, float],
    *,
    order: int = A52_ORDER,
    pad: float = _PAD_S,
) -> tuple[np.ndarray, int]:
    """Zero-phase band-passed samples ``start``..``end`` (sample indices) of ``z``.

    Only the window plus ``pad`` seconds either side is filtered (cosine-tapered at its
    ends), so long traces cost no more than short ones. Works on the last axis. Returns
    the filtered window and the index of its first sample in ``z``.
    """
    npad = int(round(pad * fs))
    i0, i1 = int(math.floor(start)), int(math.ceil(end)) + 1
    seg, a = _segment(z, i0 - npad, i1 + npad)
    n = seg.shape[-1]
    if n < 8:
        raise ValueError("window lies outside the data")
    seg = seg * signal.windows.tukey(n, alpha=min(1.0, 2 * 0.25 * npad / max(n, 1)))
    out = signal.sosfiltfilt(butter_band(fs, band, order), seg, axis=-1)
    lo = max(i0, 0) - a
    hi = min(i1, z.shape[-1]) - a
    return out[..., lo:hi], max(i0, 0)


def _parabolic(y: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sub-sample position offsets and values of extrema at interior indices ``k``."""
    ym, y0, yp = y[k - 1], y[k], y[k + 1]
    den = ym - 2.0 * y0 + yp
    with np.errstate(divide="ignore", invalid="ignore"):
        dk = np.where(den != 0, 0.5 * (ym - yp) / den, 0.0)
    dk = np.clip(dk, -0.5, 0.5)
    return dk, y0 - 0.25 * (ym - yp) * dk


def peak_trough(x: np.ndarray, fs: float) -> tuple[float, float, int]:
    """Largest adjacent peak-to-trough excursion of ``x``: (half of it, period s, index).

    Extrema are local maxima/minima located to a fraction of a sample by parabolic
    interpolation; the period is twice the time between the chosen peak and trough and
    the index is that of the first of the two. (nan, nan, -1) when ``x`` has fewer than
    two extrema.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size < 3:
        return math.nan, math.nan, -1
    d = np.diff(x)
    s = np.sign(d)
    # carry the last non-zero slope over flat runs so plateaux count once
    nz = np.flatnonzero(s)
    if nz.size < 2:
        return math.nan, math.nan, -1
    filled = s[nz[np.maximum(np.searchsorted(nz, np.arange(s.size), side="right") - 1, 0)]]
    k = np.flatnonzero(filled[1:] != filled[:-1]) + 1
    if k.size < 2:
        return math.nan, math.nan, -1
    dk, val = _parabolic(x, k)
    t = (k + dk) / fs
    swing = np.abs(np.diff(val))
    m = int(np.argmax(swing))
    return 0.5 * float(swing[m]), 2.0 * float(t[m + 1] - t[m]), int(k[m])


def amplitude_a52(
    z: np.ndarray,
    fs: float,
    onset_index: float,
    response: Response | None = None,
    *,
    correct_filter: bool = True,
) -> tuple[float, float]:
    """IDC mb amplitude "A5/2" and its period from a vertical trace.

    :param z: vertical-component samples, in counts when ``response`` is given, else
        ground displacement in nm.
    :param fs: sampling rate, Hz.
    :param onset_index: sample index (fractional allowed) of the P onset in ``z``.
    :param response: ObsPy ``Response`` of the channel (input units m, nm, m/s or m/s**2;
        output counts). The amplitude is divided by the displacement response
        ``|H(1/T)|`` at the measured period ``T``.
    :param correct_filter: also divide by the gain of the zero-phase band-pass at
        ``1/T`` (about 0.5 at 0.8 Hz, 0.98 at 2 Hz), so a monochromatic ground motion is
        returned at its true amplitude.
    :returns: ``(amp, per)``: half the largest adjacent peak-to-trough excursion in the
        window onset - 0.5 s to onset + 5.5 s after a 3rd-order 0.8-4.5 Hz zero-phase
        Butterworth band-pass, nm of displacement; and the period, s (twice the
        peak-to-trough time). ``(nan, nan)`` when the window holds no full swing.
    """
    start = onset_index + A52_WINDOW[0] * fs
    end = onset_index + A52_WINDOW[1] * fs
    x, _ = bandpass_window(np.asarray(z), fs, start, end, A52_BAND)
    amp, per, _ = peak_trough(x, fs)
    if not math.isfinite(amp) or per <= 0:
        return math.nan, math.nan
    freq = np.array([1.0 / per])
    if correct_filter:
        amp /= float(filter_gain(fs, A52_BAND, freq)[0])
    if response is not None:
        amp /= float(displacement_gain(response, freq)[0])
    return float(amp), float(per)


def snr(
    z: np.ndarray,
    fs: float,
    onset_index: float,
    *,
    band: tuple[float, float] = A52_BAND,
    sta: float = 1.0,
    signal_window: tuple[float, float] = A52_WINDOW,
    noise_window: tuple[float, float] = (-30.0, -1.0),
) -> float:
    """Signal-to-noise ratio of an arrival, IDC style (short-term over noise average).

    The trace is band-passed (zero-phase Butterworth, ``band`` Hz); the signal level is
    the largest ``sta``-second moving average of ``|x|`` inside ``signal_window`` (s from
    the onset), the noise level the average of ``|x|`` in ``noise_window``. Units cancel.
    Returns nan when the noise window is empty or silent.
    """
    start = onset_index + min(noise_window[0], signal_window[0]) * fs
    end = onset_index + max(noise_window[1], signal_window[1]) * fs
    x, first = bandpass_window(np.asarray(z), fs, start, end, band)
    ax = np.abs(x)
    rel = np.arange(ax.size) + first - onset_index  # samples from onset

    def pick(win: tuple[float, float]) -> np.ndarray:
        return ax[(rel >= win[0] * fs) & (rel <= win[1] * fs)]

    noise, sig = pick(noise_window), pick(signal_window)
    if noise.size == 0 or sig.size == 0:
        return math.nan
    level = float(noise.mean())
    if level <= 0:
        return math.nan
    n = max(1, min(sig.size, int(round(sta * fs))))
    csum = np.concatenate([[0.0], np.cumsum(sig)])
    short = (csum[n:] - csum[:-n]) / n
    return float(short.max() / level)
