"""Event-time measurements: the surface-wave magnitude Ms of formed events, from waveforms.

Rayleigh waves arrive minutes to two hours after the origin (10 min at 20°, 90 min at
150°), long after the detections that formed the event, so they are measured once the
event exists: for each origin and each station with a vertical long-period or broadband
channel within 160°, the record from before the first P (noise) to the end of the
Rayleigh window is read from the archives (whatever the processing window), measured
(:mod:`testban.features.surface_wave`: the 18–22 s ``A20`` from 20°, the variable-period
``VMAX`` at 2–20°) and turned into station Ms (Rezapour & Pearce 1998 / Russell 2006).
Stations that do not detect the wave give upper bounds, so the network gets ``ms_ave``
(detections) and ``ms_mle`` (detections and upper bounds, Ringdal 1976), as mb does.

Rows: ``amplitude`` (``amptype`` ``A20`` or ``VMAX``, ``arid = -1``: no LR arrival is
made; ``per`` the period, ``deltaf`` the filter's full band width, ``snr``), ``stamag``
(``magtype`` ``ms`` before :func:`testban.magnitude.network_magnitudes` renames them,
``phase`` LR, ``ampid`` the amplitude row, ``mmodel`` ``rez_pearce`` or ``russell06``)
and ``netmag``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from obspy import Stream, UTCDateTime

from testban.features.amplitude import NM_PER_UNIT
from testban.features.surface_wave import (
    A20_BAND,
    SurfaceWaveError,
    SurfaceWaveMeasurement,
    measure_surface_wave,
    rayleigh_window,
)
from testban.io.problems import ReadProblem
from testban.magnitude import MS_DELTA, MS_VMAX_DELTA, ms_station, ms_vmax_station
from testban.magnitude.tables import network_magnitudes, with_magnitudes
from testban.network import Network
from testban.records.css30 import Amplitude, Netmag, Origin, Stamag
from testban.traveltime import distance_azimuth, travel_times

log = logging.getLogger(__name__)

#: Reads ``(start, end, stations)`` → the stream and the problems met.
Reader = Callable[[float, float, Sequence[str]], tuple[Stream, list[ReadProblem]]]

#: Sample units of records without a response: nm per unit.
_UNITS = NM_PER_UNIT


@dataclass(frozen=True)
class SurfaceWaveConfig:
    """Which records the Ms stage measures, and how much noise it reads."""

    #: Measure Ms of formed events (a flag).
    enabled: bool = True
    #: Vertical channel patterns (SEED channel names) tried in order of preference
    #: (long-period first; short-period sensors do not record 20 s waves).
    channels: tuple[str, ...] = ("LHZ", "BHZ", "HHZ", "MHZ")
    #: Unit name of samples that have neither a response nor a calibration ("" to skip
    #: such records; "m" or "nm" for records already converted to displacement).
    assume_units: str = ""
    #: Noise read before the first P (s): ten periods of the longest band.
    noise: float = 250.0
    #: Travel-time model name of the first P (the end of the noise).
    model: str = "iasp91"


@dataclass
class SurfaceWaveRows:
    """The Ms stage's rows (provisional ids) and problems."""

    amplitudes: list[Amplitude] = field(default_factory=list)
    stamags: list[Stamag] = field(default_factory=list)
    netmags: list[Netmag] = field(default_factory=list)
    measurements: list[tuple[int, SurfaceWaveMeasurement]] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)


def _method(delta: float) -> str | None:
    if MS_DELTA[0] <= delta <= MS_DELTA[1]:
        return "A20"
    if MS_VMAX_DELTA[0] <= delta < MS_VMAX_DELTA[1]:
        return "VMAX"
    return None


def _pick_trace(stream: Stream, sta: str, channels: Sequence[str], t0: float, t1: float):
    """The preferred vertical of ``sta`` covering ``[t0, t1]`` (None if none does)."""
    for chan in channels:
        cands = [
            tr for tr in stream
            if tr.stats.station == sta and tr.stats.channel.upper() == chan
            and tr.stats.starttime.timestamp <= t0 and tr.stats.endtime.timestamp >= t1
        ]  # fmt: skip
        if cands:
            return sorted(cands, key=lambda tr: tr.stats.location)[0]
    return None


def station_ms(m: SurfaceWaveMeasurement) -> tuple[float, int, bool, str]:
    """A measurement's station Ms, the band it comes from, whether it is a detection, and
    the distance model. A detection takes the largest Ms among detecting bands; otherwise
    the largest among all bands is an upper bound."""
    amp = np.array([b.amp for b in m.bands])
    per = np.array([b.per for b in m.bands])
    det = np.array([b.detected for b in m.bands])
    if m.method == "A20":
        ms = ms_station(amp, per, m.delta, period_range=None)
        model = "rez_pearce"
    else:
        ms = ms_vmax_station(amp, per, m.delta, np.array([b.fc for b in m.bands]))
        model = "russell06"
    ok = np.isfinite(ms)
    use = ok & det if (ok & det).any() else ok
    if not use.any():
        return math.nan, -1, False, model
    j = int(np.flatnonzero(use)[np.argmax(ms[use])])
    return float(ms[j]), j, bool(det[j]), model


def measure_origin(
    origin: Origin,
    read: Reader,
    network: Network,
    config: SurfaceWaveConfig | None = None,
) -> tuple[list[SurfaceWaveMeasurement], list[ReadProblem]]:
    """The LR measurements of one origin at every station of ``network`` in range."""
    cfg = config or SurfaceWaveConfig()
    codes = [s for s in network.stations(expand=True) if s in network]
    if not codes:
        return [], []
    lat, lon = network.lat(codes), network.lon(codes)
    delta = np.atleast_1d(distance_azimuth(origin.lat, origin.lon, lat, lon)[0])
    depth = max(float(origin.depth), 0.0) if origin.depth > -999 else 0.0
    methods = [_method(float(d)) for d in delta]
    todo = [i for i, m in enumerate(methods) if m]
    if not todo:
        return [], []
    tp = travel_times(cfg.model).first_arrival(delta[todo], np.full(len(todo), depth))[0].time
    out: list[SurfaceWaveMeasurement] = []
    problems: list[ReadProblem] = []
    where = f"orid {origin.orid} Ms"
    short: list[str] = []  # stations with data, none of it covering the Rayleigh window
    no_response: list[str] = []  # channels without a response or stated units
    for i, t_p in zip(todo, tp, strict=True):
        sta, d, method = codes[i], float(delta[i]), methods[i]
        p_time = origin.time + (float(t_p) if np.isfinite(t_p) else 0.0)
        w0, w1 = rayleigh_window(origin.time, d)
        t0 = min(p_time, w0) - cfg.noise - 150.0  # 150 s for the end taper and filter edge
        t1 = w1 + 150.0
        stream, probs = read(t0, t1, [sta])
        problems += probs
        tr = _pick_trace(stream, sta, cfg.channels, w0 - 30.0, w1 + 30.0)
        if tr is None:
            if len(stream):
                short.append(sta)
            continue
        response = None
        try:
            response = network.response(sta, tr.stats.channel)
        except KeyError:
            response = None
        scale = 1.0
        if response is None:
            if cfg.assume_units in _UNITS:
                scale = _UNITS[cfg.assume_units]
            else:
                no_response.append(tr.id)
                continue
        try:
            m = measure_surface_wave(
                np.asarray(tr.data, float), tr.stats.sampling_rate, tr.stats.starttime.timestamp,
                origin.time, d, method=method or "A20", response=response, nm_per_unit=scale,
                p_time=p_time, sta=sta, chan=tr.stats.channel,
            )  # fmt: skip
        except (SurfaceWaveError, ValueError) as exc:
            problems.append(ReadProblem(where, f"no LR measurement: {exc}", seed_id=tr.id))
            continue
        out.append(m)
    # one line per origin and kind, not one per station: a network without long-period
    # records or responses would otherwise bury the other problems
    if short:
        problems.append(ReadProblem(
            where, f"no vertical long-period record covers the Rayleigh window at "
            f"{len(short)} station(s): {', '.join(short[:8])}{' …' if len(short) > 8 else ''}",
            severity="info",
        ))  # fmt: skip
    if no_response:
        problems.append(ReadProblem(
            where, f"no instrument response at {len(no_response)} channel(s) "
            f"({', '.join(no_response[:5])}{' …' if len(no_response) > 5 else ''}): amplitude "
            "not in nm (set assume_units / --units for displacement records)",
            severity="info",
        ))  # fmt: skip
    return out, problems


def surface_wave_rows(
    origin: Origin,
    measurements: Sequence[SurfaceWaveMeasurement],
    *,
    auth: str = "testban",
    first_ampid: int = 1,
) -> tuple[list[Amplitude], list[Stamag], set[int]]:
    """``amplitude`` and ``stamag`` (``ms``) rows of an origin's measurements, and the
    ampids of the detections (the others are upper bounds)."""
    amps: list[Amplitude] = []
    stas: list[Stamag] = []
    detected: set[int] = set()
    ampid = first_ampid
    for m in measurements:
        ms, j, det, model = station_ms(m)
        if j < 0:
            continue
        b = m.bands[j]
        width = 2 * b.fc if m.method == "VMAX" else A20_BAND[1] - A20_BAND[0]
        amps.append(
            Amplitude(
                ampid=ampid, arid=-1, chan=m.chan, amp=b.amp, per=b.per,
                snr=b.snr if np.isfinite(b.snr) else -1.0, amptime=b.amptime,
                time=m.window[0], duration=m.window[1] - m.window[0], deltaf=width,
                amptype=m.method, units="nm", inarrival="n", auth=auth,
            )
        )  # fmt: skip
        stas.append(
            Stamag(
                ampid=ampid, sta=m.sta, arid=-1, orid=origin.orid, evid=origin.evid,
                phase="LR", delta=m.delta, magtype="ms", magnitude=ms, magdef="d",
                mmodel=model, auth=auth,
            )
        )  # fmt: skip
        if det:
            detected.add(ampid)
        ampid += 1
    return amps, stas, detected


def measure_surface_waves(
    origins: Sequence[Origin],
    read: Reader,
    network: Network,
    config: SurfaceWaveConfig | None = None,
    *,
    auth: str = "testban",
    first_magid: int = 1,
) -> SurfaceWaveRows:
    """Ms of ``origins``: amplitude, station and network magnitude rows (provisional ids,
    magids from ``first_magid``), and the problems met (a station's failure is reported
    and the others go on)."""
    cfg = config or SurfaceWaveConfig()
    out = SurfaceWaveRows()
    if not cfg.enabled:
        return out
    detected: set[int] = set()
    for o in origins:
        ms, probs = measure_origin(o, read, network, cfg)
        out.problems += probs
        out.measurements += [(o.orid, m) for m in ms]
        amps, stas, det = surface_wave_rows(o, ms, auth=auth, first_ampid=len(out.amplitudes) + 1)
        out.amplitudes += amps
        out.stamags += stas
        detected |= det
    netmags, stamags = network_magnitudes(
        out.stamags, first_magid=first_magid, net=auth, auth=auth,
        detected=lambda r: r.ampid in detected,
    )  # fmt: skip
    out.netmags, out.stamags = netmags, stamags
    return out


def archive_reader(sources: Sequence[Any]) -> Reader:
    """A :data:`Reader` over pipeline sources (objects with ``archive()`` and ``only``)."""

    def read(t0: float, t1: float, stations: Sequence[str]) -> tuple[Stream, list[ReadProblem]]:
        stream, problems = Stream(), []
        for source in sources:
            archive = source.archive()
            st, probs = archive.select(
                UTCDateTime(t0), UTCDateTime(t1), stations=list(stations), only=source.only
            )
            stream += st
            problems += [p for p in probs if p not in archive.index_problems]
        return stream, problems

    return read


def with_surface_waves(
    bulletin: Any,
    sources: Sequence[Any],
    network: Network,
    config: SurfaceWaveConfig | None = None,
) -> Any:
    """A window's bulletin (``origins``, ``netmags``, ``stamags``, ``amplitudes``,
    ``problems``) with the Ms of its origins added: ``ms_ave``/``ms_mle`` rows after its
    own magids, the origins' ``ms``/``msid`` set. The records come from ``sources``
    (:func:`archive_reader`), read as far past the window as the Rayleigh waves need."""
    cfg = config or SurfaceWaveConfig()
    if not cfg.enabled or not bulletin.origins:
        return bulletin
    first = max((m.magid for m in bulletin.netmags), default=0) + 1
    rows = measure_surface_waves(
        bulletin.origins, archive_reader(sources), network, cfg,
        auth=bulletin.origins[0].auth, first_magid=first,
    )  # fmt: skip
    netmags = list(bulletin.netmags) + rows.netmags
    return dataclasses.replace(
        bulletin,
        origins=with_magnitudes(bulletin.origins, netmags),
        netmags=netmags,
        stamags=list(bulletin.stamags) + rows.stamags,
        amplitudes=list(bulletin.amplitudes) + rows.amplitudes,
        problems=list(bulletin.problems) + rows.problems,
    )
