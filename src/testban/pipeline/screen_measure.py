"""Event-time waveform measurements for screening: regional P/S and P-wave character.

Once an event is located, each station within 20° gives its regional P/S amplitude
ratios (:mod:`testban.features.regional_ratio`: Pn, Pg, Sn, Lg windows from group
velocities, noise-corrected band RMS), combined into the event's P/S criterion; each
station at 25–95° gives the P wave's complexity and spectral ratio
(:mod:`testban.features.characterisation`), whose network medians are characterisation
parameters. Records are read from the archives whatever the processing window (Lg at
20° arrives ~12 min after the origin). The result is one
:class:`testban.screening.Measured` per origin, what :func:`screen_bulletin` takes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from obspy import Trace

from testban.features.characterisation import complexity, spectral_ratio
from testban.features.regional_ratio import (
    MAX_DISTANCE_KM,
    PSRatio,
    PSResult,
    phase_windows,
    ps_discriminant,
    regional_ratios,
)
from testban.io.problems import ReadProblem
from testban.network import Network
from testban.pipeline.event_measure import Reader, archive_reader
from testban.records.css30 import Origin
from testban.records.earth import KM_PER_DEG
from testban.screening import Measured, ScreeningConfig
from testban.traveltime import distance_azimuth, travel_times

#: Vertical channels tried for P/S and P character, high sampling rates first.
CHANNELS = ("HHZ", "BHZ", "SHZ", "EHZ", "SZ", "BZ", "HZ")
#: Teleseismic distances (°) of the P-wave character (the span of mb's distances).
TELESEISMIC = (25.0, 95.0)
#: Seconds read after P for complexity (coda to 35 s) and before it for noise.
P_AFTER, P_BEFORE = 45.0, 40.0


class _PS:
    """A :class:`PSResult` as the screening criterion reads it."""

    def __init__(self, r: PSResult):
        self.value, self.uncertainty, self.threshold = r.value, r.uncertainty, r.threshold
        self.nsta, self.bound, self.evidence = r.n_stations, r.bound, r.evidence


def _sites(network: Network) -> list[tuple[str, list[str]]]:
    """Each single station ``(code, [code])`` and each array ``(name, elements)``: an
    array is one station for P/S and P character (its first element with data)."""
    groups: dict[str, list[str]] = {}
    for code in network.codes:
        groups.setdefault(network.array_of(code) or code, []).append(code)
    return list(groups.items())


def _distances(origin: Origin, network: Network, sites: list[tuple[str, list[str]]]):
    first = [codes[0] for _, codes in sites]
    return np.atleast_1d(
        distance_azimuth(origin.lat, origin.lon, network.lat(first), network.lon(first))[0]
    )


def _vertical(stream: Any, stas: list[str], t0: float, t1: float, min_fs: float) -> Trace | None:
    for chan in CHANNELS:
        for tr in stream:
            ok = (
                tr.stats.station in stas and tr.stats.channel.upper() == chan
                and tr.stats.sampling_rate >= min_fs and tr.stats.starttime.timestamp <= t0
                and tr.stats.endtime.timestamp >= t1
            )  # fmt: skip
            if ok:
                return tr
    return None


def _data(tr: Trace) -> np.ndarray:
    x = np.asarray(tr.data, dtype=float)
    return np.nan_to_num(x - np.nanmedian(x))


def regional_ps(
    origin: Origin, read: Reader, network: Network, config: ScreeningConfig
) -> tuple[list[PSRatio], list[ReadProblem]]:
    """P/S ratios of ``origin`` at every station (or array) of ``network`` within 20°."""
    sites = _sites(network)
    if not sites:
        return [], []
    delta = _distances(origin, network, sites)
    ratios: list[PSRatio] = []
    problems: list[ReadProblem] = []
    min_fs = 2.0 * config.ps_band[1] / 0.9  # the band below 0.45 fs
    for (sta, members), d in zip(sites, delta, strict=True):
        km = float(d) * KM_PER_DEG
        if km > MAX_DISTANCE_KM or km < 1.0:
            continue
        win = phase_windows(km)
        t0 = origin.time + win["noise"][0]
        t1 = origin.time + max(w[1] for w in win.values())
        stream, probs = read(t0 - 5.0, t1 + 5.0, members)  # 5 s to spare at each end
        problems += probs
        tr = _vertical(stream, members, t0, t1, min_fs)
        if tr is None:
            continue
        offset = origin.time - tr.stats.starttime.timestamp
        try:
            ratios += regional_ratios(_data(tr), tr.stats.sampling_rate, offset, km, sta=sta,
                                      orid=origin.orid)  # fmt: skip
        except ValueError as exc:
            problems.append(ReadProblem(f"orid {origin.orid} P/S", str(exc), seed_id=tr.id,
                                        severity="info"))  # fmt: skip
    return ratios, problems


def p_character(
    origin: Origin, read: Reader, network: Network
) -> tuple[dict[str, tuple[float, float, int, str]], list[ReadProblem]]:
    """Network medians of P complexity and spectral ratio at 25–95° (evchar parameters)."""
    sites = _sites(network)
    if not sites:
        return {}, []
    delta = _distances(origin, network, sites)
    far = [(members, float(d)) for (_, members), d in zip(sites, delta, strict=True)
           if TELESEISMIC[0] <= d <= TELESEISMIC[1]]  # fmt: skip
    if not far:
        return {}, []
    depth = max(float(origin.depth), 0.0)
    tp = travel_times().first_arrival(np.array([d for _, d in far]),
                                      np.full(len(far), depth))[0].time  # fmt: skip
    comp, spec, problems = [], [], []
    for (members, _d), t in zip(far, tp, strict=True):
        if not np.isfinite(t):
            continue
        p = origin.time + float(t)
        stream, probs = read(p - P_BEFORE - 5.0, p + P_AFTER + 5.0, members)
        problems += probs
        tr = _vertical(stream, members, p - P_BEFORE, p + P_AFTER, 9.0)
        if tr is None:
            continue
        x, fs = _data(tr), tr.stats.sampling_rate
        onset = p - tr.stats.starttime.timestamp
        c, s = complexity(x, fs, onset), spectral_ratio(x, fs, onset)
        if math.isfinite(c.value) and not c.noisy and not c.bound:
            comp.append(c.value)
        if math.isfinite(s.value) and not s.noisy and not s.bound:
            spec.append(s.value)
    out: dict[str, tuple[float, float, int, str]] = {}
    for name, vals in (("complexity", comp), ("spec_ratio", spec)):
        if vals:
            v = np.asarray(vals)
            mad = 1.4826 * float(np.median(np.abs(v - np.median(v)))) / math.sqrt(len(v))
            out[name] = (float(np.median(v)), mad if len(v) > 1 else math.nan, len(v), "ratio")
    return out, problems


def screening_measurements(
    origins: Sequence[Origin],
    sources: Sequence[Any] | Reader,
    network: Network,
    config: ScreeningConfig | None = None,
) -> tuple[dict[int, Measured], list[ReadProblem]]:
    """What screening measures on waveforms for each origin, and the problems met.

    ``sources``: pipeline sources (read through their archives) or a :data:`Reader`.
    """
    cfg = config or ScreeningConfig()
    read = sources if callable(sources) else archive_reader(sources)
    out: dict[int, Measured] = {}
    problems: list[ReadProblem] = []
    for o in origins:
        ratios, probs = regional_ps(o, read, network, cfg)
        params, probs2 = p_character(o, read, network)
        problems += probs + probs2
        result = ps_discriminant(ratios, cfg.ps_threshold, band=cfg.ps_band, pair=cfg.ps_pair)
        missing = result.evidence or "no regional P/S ratio measured"
        ps = _PS(result) if math.isfinite(result.value) else None
        out[o.orid] = Measured(ps=ps, ps_missing=missing, params=params)
    return out, problems
