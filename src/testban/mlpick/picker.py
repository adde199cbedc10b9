"""ML P and S picks on a window of waveforms: ObsPy Stream in, pick times with probabilities out.

Input is resampled to the model's 100 Hz (low-pass and decimation for integer factors,
Fourier resampling otherwise). PickerXL sees P only in the first ~10 s of its 57 s window
(its STEAD training windows start shortly before P; a P 12 s or more into the window gets
a probability near 0.15 at best), so the model windows step by :data:`STEP` (5 s) and are
combined by their maximum: every sample lies in the first 5 s of some window. For the
same reason each record is padded at its end with its mean by a window less one step,
and probabilities over the padding are dropped. Missing horizontals are fed as zeros (the
model was trained on three components; vertical-only S picks are weak).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from obspy import Stream, Trace, UTCDateTime

from testban.mlpick.model import MODEL_RATE, WINDOW, load_model

#: Default probability thresholds: PickerXL's own default (0.1) for both phases.
P_THRESHOLD = 0.1
S_THRESHOLD = 0.1
#: Step between consecutive model windows (samples): 5 s.
STEP = 500


@dataclass(frozen=True, slots=True)
class MLPick:
    """One ML pick: station ``NET.STA.LOC``, phase ``P`` or ``S``, time, peak probability."""

    station: str
    phase: str
    time: UTCDateTime
    probability: float


@dataclass(frozen=True, slots=True)
class WindowPicks:
    """The most probable P of a one-station window and the most probable S after it."""

    p: MLPick | None
    s: MLPick | None


def _to_model_rate(tr: Trace) -> Trace:
    fs = tr.stats.sampling_rate
    tr.data = tr.data.astype(np.float64)
    if fs == MODEL_RATE:
        return tr
    factor = fs / MODEL_RATE
    if fs > MODEL_RATE and abs(factor - round(factor)) < 1e-9:
        tr.filter("lowpass", freq=0.45 * MODEL_RATE, zerophase=True)
        tr.decimate(int(round(factor)), no_filter=True)
    else:
        tr.resample(MODEL_RATE)
    return tr


def _prepare(stream: Stream) -> tuple[Stream, dict[str, UTCDateTime]]:
    """Copy at model rate, padded at the end (see the module doc); original end per station."""
    out = Stream()
    ends: dict[str, UTCDateTime] = {}
    for tr0 in stream:
        key, end = _station(tr0), tr0.stats.endtime
        ends[key] = max(ends.get(key, end), end)
        tr = _to_model_rate(tr0.copy())
        npts = max(tr.stats.npts + WINDOW - STEP, WINDOW)
        mean = float(np.mean(tr.data)) if tr.stats.npts else 0.0
        tr.trim(
            tr.stats.starttime,
            tr.stats.starttime + (npts - 1) / MODEL_RATE,
            pad=True,
            fill_value=mean,
        )
        out += tr
    return out, ends


def _station(tr: Trace) -> str:
    s = tr.stats
    return f"{s.network}.{s.station}.{s.location}"


def probabilities(stream: Stream) -> Stream:
    """P and S probability traces (channels ending ``_P`` and ``_S``) per station, at 100 Hz.

    Traces of one station are grouped by SeisBench on ``NET.STA.LOC`` and the last letter
    of the channel code (Z, N, E; 1, 2 are taken as N, E).
    """
    model = load_model()
    if len(stream) == 0:
        return Stream()
    prepared, ends = _prepare(stream)
    ann = model.annotate(prepared, overlap=WINDOW - STEP, stacking="max")
    out = Stream()
    for tr in ann:
        if tr.stats.channel[-2:] in ("_P", "_S"):
            end = ends.get(_station(tr))
            if end is not None and tr.stats.endtime > end:
                tr.trim(tr.stats.starttime, end, nearest_sample=False)
            out += tr
    return out


def _runs_peaks(p: np.ndarray, threshold: float) -> list[int]:
    """Index of the maximum of every run of samples at or above ``threshold``."""
    above = np.nan_to_num(p, nan=0.0) >= threshold
    if not above.any():
        return []
    edges = np.diff(np.concatenate(([0], above.astype(np.int8), [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [int(a + np.argmax(p[a:b])) for a, b in zip(starts, stops, strict=True)]


def pick(
    stream: Stream, p_threshold: float = P_THRESHOLD, s_threshold: float = S_THRESHOLD
) -> list[MLPick]:
    """All ML picks of ``stream``: the peak of each run of P (S) probability at or above the
    threshold, every station, sorted by time."""
    picks = []
    thresholds = {"P": p_threshold, "S": s_threshold}
    for tr in probabilities(stream):
        phase = tr.stats.channel[-1]
        dt = tr.stats.delta
        for i in _runs_peaks(tr.data, thresholds[phase]):
            picks.append(
                MLPick(_station(tr), phase, tr.stats.starttime + i * dt, float(tr.data[i]))
            )
    return sorted(picks, key=lambda k: (k.time, k.station, k.phase))


def pick_window(
    stream: Stream, p_threshold: float = P_THRESHOLD, s_threshold: float = S_THRESHOLD
) -> WindowPicks:
    """The most probable P of a one-station window and the most probable S after that P
    (anywhere when there is no P); ``None`` where the peak is below its threshold."""
    probs = probabilities(stream)
    stations = {_station(tr) for tr in probs}
    if len(stations) > 1:
        raise ValueError(f"pick_window takes one station, got {sorted(stations)}")
    if not stations:
        return WindowPicks(None, None)
    (sta,) = stations
    ptr, str_ = probs.select(channel="*_P")[0], probs.select(channel="*_S")[0]
    p_data = np.nan_to_num(ptr.data, nan=0.0)
    ip = int(np.argmax(p_data))
    p = None
    if p_data[ip] >= p_threshold:
        p = MLPick(sta, "P", ptr.stats.starttime + ip * ptr.stats.delta, float(p_data[ip]))
    s_data = np.nan_to_num(str_.data, nan=0.0)
    i0 = 0
    if p is not None:
        i0 = max(0, int(round((p.time - str_.stats.starttime) * str_.stats.sampling_rate)) + 1)
    s = None
    if i0 < s_data.size:
        js = i0 + int(np.argmax(s_data[i0:]))
        if s_data[js] >= s_threshold:
            s = MLPick(sta, "S", str_.stats.starttime + js * str_.stats.delta, float(s_data[js]))
    return WindowPicks(p, s)
