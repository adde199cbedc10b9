"""Hydroacoustic detection: H phases on hydrophones, T phases on coastal seismometers.

A broadband energy detector (the IDC's hydroacoustic station processing detects on
band energy, not on beams): the band-passed trace's power, smoothed over ``smooth_s``,
is divided by the noise power (the median of the smoothed power over the trace: robust
while signals cover less than half of it); a detection is a span where that ratio stays
above ``off`` and reaches ``on`` somewhere. Onset = the span's start, duration = its
length; features (:func:`testban.features.hydroacoustic.h_features`) are measured on it.

``H`` phases: hydrophone channels (``EDH``, 250 Hz at IMS stations) in 2–100 Hz.
``T`` phases: seismometers near a coast in 2–10 Hz (the band where the ocean-to-land
converted T phase stands above the noise, e.g. Okal 2008, Pure Appl. Geophys. 165,
2275–2311), kept only when they last ``min_t_duration`` s or more (a T phase's
duration is tens of seconds; a P or S burst's a few).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

from testban.features.hydroacoustic import HydroFeatures, h_features, power_envelope, signal_span
from testban.records.css30 import Amplitude, Arrival, jdate

__all__ = [
    "HydroDetection",
    "HydroDetectorConfig",
    "detect_h_phases",
    "detect_t_phases",
    "hydro_records",
]


@dataclass(frozen=True)
class HydroDetectorConfig:
    """Energy-detector settings (physical reasons beside each)."""

    #: Pass band (Hz): H phases are broadband to the 125 Hz Nyquist of IMS hydrophones.
    band: tuple[float, float] = (2.0, 100.0)
    #: Power smoothing (s): longer than the bubble period and multipath beats, shorter
    #: than a short H phase.
    smooth_s: float = 1.0
    #: Trigger-on power ratio (10 dB) and the ratio that ends a detection (3 dB).
    on: float = 10.0
    off: float = 2.0
    #: Shortest detection kept (s) and gap under which two spans merge (s).
    min_duration: float = 2.0
    merge_gap: float = 2.0
    #: T phases: shortest duration (s).
    min_t_duration: float = 10.0


T_PHASE_CONFIG = HydroDetectorConfig(band=(2.0, 10.0), smooth_s=2.0)


@dataclass(frozen=True)
class HydroDetection:
    """One detection: onset (epoch s), its features and the phase name."""

    time: float
    phase: str
    features: HydroFeatures


def _detect(
    x: np.ndarray, fs: float, t0: float, cfg: HydroDetectorConfig, phase: str, min_duration: float
) -> list[HydroDetection]:
    x = np.asarray(x, float)
    x = x - np.mean(x)
    hi = min(cfg.band[1], 0.45 * fs)
    sos = signal.butter(4, [cfg.band[0], hi], "bandpass", fs=fs, output="sos")
    y = signal.sosfiltfilt(sos, x)
    pw = power_envelope(y, fs, cfg.smooth_s)
    noise = float(np.median(pw))
    spans = signal_span(pw, noise, cfg.on, cfg.off)
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s - merged[-1][1] <= cfg.merge_gap * fs:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    out = []
    for s, e in merged:
        if (e - s) / fs < min_duration:
            continue
        f = h_features(y, fs, s, e, noise, (cfg.band[0], hi))
        out.append(HydroDetection(t0 + s / fs, phase, f))
    return out


def detect_h_phases(
    x: np.ndarray, fs: float, t0: float = 0.0, config: HydroDetectorConfig | None = None
) -> list[HydroDetection]:
    """H-phase detections on a hydrophone trace in Pa (``t0``: epoch of sample 0)."""
    cfg = config or HydroDetectorConfig()
    return _detect(x, fs, t0, cfg, "H", cfg.min_duration)


def detect_t_phases(
    x: np.ndarray, fs: float, t0: float = 0.0, config: HydroDetectorConfig | None = None
) -> list[HydroDetection]:
    """T-phase detections on a coastal seismometer trace (any units)."""
    cfg = config or T_PHASE_CONFIG
    return _detect(x, fs, t0, cfg, "T", cfg.min_t_duration)


def hydro_records(
    dets: list[HydroDetection],
    sta: str,
    chan: str,
    first_arid: int = 1,
    units: str = "Pa",
    auth: str = "testban",
) -> tuple[list[Arrival], list[Amplitude]]:
    """CSS3.0 ``arrival`` rows (iphase H/T; ``amp`` peak, ``per`` 1/dominant frequency) and
    ``amplitude`` rows (peak pressure with the signal's duration, ``amptype`` ``hpk``)."""
    arr, amps = [], []
    for k, d in enumerate(dets):
        f = d.features
        per = 1.0 / f.dominant_frequency if f.dominant_frequency > 0 else -1.0
        arid = first_arid + k
        arr.append(
            Arrival(
                sta=sta,
                time=round(d.time, 5),
                arid=arid,
                jdate=jdate(d.time),
                chan=chan,
                iphase=d.phase,
                stype="-",
                deltim=round(min(f.duration, 10.0) / 2, 3),
                amp=round(f.peak_pressure, 4) if math.isfinite(f.peak_pressure) else -1.0,
                per=round(per, 3),
                snr=round(f.snr, 2),
                auth=auth,
            )
        )
        amps.append(
            Amplitude(
                ampid=arid,
                arid=arid,
                chan=chan,
                amp=round(f.peak_pressure, 4),
                per=round(per, 3),
                snr=round(f.snr, 2),
                time=round(d.time, 5),
                amptime=round(d.time, 5),
                duration=round(f.duration, 2),
                amptype="hpk",
                units=units,
                inarrival="y",
                auth=auth,
            )
        )
    return arr, amps
