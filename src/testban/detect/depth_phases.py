"""Depth-phase detection for a formed event: pP/sP arrivals from its teleseismic P stations.

For an event (a located or hypothesised origin with its ``assoc``/``arrival`` rows) and
waveforms, every station whose associated P lies between 25° and 95°
(:class:`~testban.features.depth_phase.DepthPhaseConfig`) is searched after its P onset:
arrays on a beam steered at P's measured slowness and back azimuth (predicted ones when
the detection has none), single stations on their vertical. The candidates of all stations
give one network depth (:func:`testban.features.depth_phase.network_depth`), and the
candidates that fit it become CSS3.0 ``arrival`` rows (``iphase`` "pP"/"sP", auth
``<auth>``) with ``assoc`` rows for the event, defining in time. :func:`relocate` runs
the locator with them: three or more defining depth phases keep its depth free with
``dtype`` "d" (:mod:`testban.locate.depth`).

Pure: records and an ObsPy ``Stream`` in, records out; reading the waveforms is the
caller's (the pipeline's, a bench's).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from obspy import Stream, UTCDateTime

from testban.detect.beam import beam
from testban.features.depth_phase import (
    SEARCH_PHASES,
    Candidate,
    DepthPhaseConfig,
    NetworkDepth,
    delay_curves,
    network_depth,
    station_candidates,
    station_functions,
)
from testban.locate import LocatorConfig, locate
from testban.locate.locator import Location
from testban.network import Network
from testban.records.css30 import Arrival, Assoc, Origin, jdate
from testban.traveltime import distance_azimuth, travel_times

__all__ = ["DepthPhaseSearch", "StationSearch", "relocate", "search_depth_phases"]

#: Phases whose associated arrival is the P the search starts from.
P_PHASES = ("P",)


@dataclass(frozen=True)
class StationSearch:
    """One station's search: where, its P, the trace used and its candidates."""

    sta: str
    chan: str  # the vertical's channel, or "beam" for an array beam
    delta: float  # °
    p_time: float  # epoch s of the P onset searched from
    candidates: tuple[Candidate, ...]
    curves: dict[str, np.ndarray]  # predicted delays after P (s) on the depth grid


@dataclass(frozen=True)
class DepthPhaseSearch:
    """The search's result for one event."""

    depth: float  # network depth (km), NaN when fewer than min_stations agree
    stations: tuple[StationSearch, ...]
    network: NetworkDepth | None
    arrivals: tuple[Arrival, ...]  # new pP/sP rows
    assocs: tuple[Assoc, ...]  # their assoc rows for the origin


def _vertical(stream: Stream, sta: str, t0: UTCDateTime, t1: UTCDateTime) -> Stream:
    """The vertical traces of ``sta`` (channel ending in Z) over ``[t0, t1]``, merged."""
    st = stream.select(station=sta).slice(t0, t1).copy()
    st = Stream([tr for tr in st if tr.stats.channel.upper().endswith("Z")])
    if len(st) > 1:
        st.merge(method=1, fill_value=0)
    return st


def _trace(
    stream: Stream,
    network: Network,
    sta: str,
    t0: UTCDateTime,
    t1: UTCDateTime,
    slow: float,
    baz: float,
) -> tuple[np.ndarray, float, float, str] | None:
    """``(data, fs, start epoch, chan)`` of the array beam or the vertical of ``sta``."""
    elements = network.elements(sta) if sta in network.arrays() else []
    if elements:
        traces = [tr for e in elements for tr in _vertical(stream, e, t0, t1)[:1]]
        if not traces:
            return None
        fs = float(traces[0].stats.sampling_rate)
        traces = [tr for tr in traces if abs(tr.stats.sampling_rate - fs) < 1e-6]
        start = max(tr.stats.starttime for tr in traces)
        n = min(int((tr.stats.endtime - start) * fs) + 1 for tr in traces)
        if n < 10:
            return None
        rows, codes = [], []
        for tr in traces:
            i = int(round((start - tr.stats.starttime) * fs))
            rows.append(np.asarray(tr.data[i : i + n], float))
            codes.append(tr.stats.station)
        rows = [r for r in rows if r.size == n]
        codes = codes[: len(rows)]
        data = np.vstack([r - r.mean() for r in rows])
        off = network.offsets(sta)[[elements.index(c) for c in codes]]
        return beam(data, fs, off[:, 0], off[:, 1], slow, baz), fs, float(start), "beam"
    st = _vertical(stream, sta, t0, t1)
    if not st:
        return None
    tr = st[0]
    return (
        np.asarray(tr.data, float),
        float(tr.stats.sampling_rate),
        float(tr.stats.starttime),
        tr.stats.channel,
    )


def search_depth_phases(
    origin: Origin,
    arrivals: Sequence[Arrival],
    assocs: Sequence[Assoc],
    stream: Stream,
    network: Network,
    config: DepthPhaseConfig | None = None,
    *,
    model: str = "iasp91",
    auth: str = "testban",
    first_arid: int = 1,
) -> DepthPhaseSearch:
    """Search pP/sP after each teleseismic P of ``origin`` in ``stream``.

    ``assocs`` are the origin's (P rows define where to look), ``arrivals`` their rows
    (P onset time, slowness and azimuth). New arrivals get arids from ``first_arid`` on.
    """
    cfg = config or DepthPhaseConfig()
    tt = travel_times(model)
    by_arid = {a.arid: a for a in arrivals}
    depths = np.arange(cfg.min_depth, cfg.max_depth + 0.5 * cfg.depth_step, cfg.depth_step)
    seen: set[str] = set()
    searched: list[StationSearch] = []
    for asc in assocs:
        arr = by_arid.get(asc.arid)
        if asc.phase not in P_PHASES or arr is None or arr.sta in seen or arr.sta not in network:
            continue
        lat, lon, _ = network.coordinates(arr.sta)
        dist, _, back = distance_azimuth(origin.lat, origin.lon, lat, lon)
        delta, baz = float(dist), float(back)
        if not cfg.min_delta <= delta <= cfg.max_delta:
            continue
        seen.add(arr.sta)
        curves = delay_curves(tt, delta, depths)
        finite = [c[np.isfinite(c)] for c in curves.values()]
        if not any(c.size for c in finite):
            continue
        min_lag = float(min(c.min() for c in finite if c.size)) - cfg.tolerance
        max_lag = float(max(c.max() for c in finite if c.size)) + cfg.tolerance
        slow = arr.slow if arr.slow > 0 else float(tt.predict("P", delta, origin.depth).slowness)
        az = arr.azimuth if 0 <= arr.azimuth <= 360 else baz
        pad = cfg.lta + cfg.template + 5.0
        got = _trace(
            stream, network, arr.sta, UTCDateTime(arr.time - pad),
            UTCDateTime(arr.time + max_lag + pad), slow, az,
        )  # fmt: skip
        if got is None:
            continue
        data, fs, start, chan = got
        k = int(round((arr.time - start) * fs))
        fn = station_functions(data, fs, k, max_lag, cfg)
        cands = station_candidates(fn, max(min_lag, cfg.lta / 2), max_lag, cfg)
        searched.append(StationSearch(arr.sta, chan, delta, arr.time, tuple(cands), curves))
    if not searched:
        return DepthPhaseSearch(float("nan"), (), None, (), ())
    net = network_depth([s.candidates for s in searched], [s.curves for s in searched], depths, cfg)
    new_arr: list[Arrival] = []
    new_asc: list[Assoc] = []
    if np.isfinite(net.depth):
        arid = first_arid
        for s_idx, phases in sorted(net.matches.items()):
            s = searched[s_idx]
            for ph in SEARCH_PHASES:
                if ph not in phases:
                    continue
                c = s.candidates[phases[ph]]
                t = s.p_time + c.lag
                new_arr.append(
                    Arrival(
                        sta=s.sta, time=t, arid=arid, jdate=jdate(t), chan=s.chan[:8],
                        iphase=ph, deltim=cfg.tolerance / 2, snr=c.snr, auth=auth,
                    )
                )  # fmt: skip
                new_asc.append(
                    Assoc(arid=arid, orid=origin.orid, sta=s.sta, phase=ph, delta=s.delta,
                          timedef="d", azdef="n", slodef="n")
                )  # fmt: skip
                arid += 1
    return DepthPhaseSearch(net.depth, tuple(searched), net, tuple(new_arr), tuple(new_asc))


def relocate(
    origin: Origin,
    arrivals: Sequence[Arrival],
    assocs: Sequence[Assoc],
    search: DepthPhaseSearch,
    network: Network,
    config: LocatorConfig | None = None,
) -> Location:
    """Locate ``origin`` again with its data plus the depth phases found, starting from
    it at the network depth (the depth rule decides whether the depth stays free)."""
    start = origin
    if np.isfinite(search.depth):
        start = dataclasses.replace(origin, depth=float(search.depth))
    return locate(
        (list(arrivals) + list(search.arrivals), list(assocs) + list(search.assocs)),
        network,
        start=start,
        config=config,
        orid=origin.orid,
        evid=origin.evid,
        auth=origin.auth if origin.auth and origin.auth != "-" else "testban",
    )
