"""Readers for the relative-location benchmark files of Gibbons et al. (2017, 2020).

The formats are those of the VIScERaL distribution (Zenodo 10.5281/zenodo.8205776):

* ``*_CC_times.txt`` — ``ev1 ev2 time_ev1 time_ev2 sta phase cc``: for each pair of events,
  the time of ev1's template (its pick) and the time at which it best matches ev2's trace,
  with the correlation coefficient; a pair (ev, ev) gives the event's own pick;
* ``*_phaselist.txt`` — ``sta phase lat lon``;
* ``*_events_GT.txt`` and ``Yang_etal_initial_locations.txt`` — ``time lat lon name flag``
  (flag F fixed, S solve, I ignore);
* ``*_ak135_slovecs_expected.txt`` — ``sta phase sta_lat sta_lon ref_lat ref_lon sx sy``
  (s/km, east and north; an optional trailing F/S flag).

Times are ISO-8601 UTC strings; they are returned as epoch seconds (float64).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from testban.relocate.model import Cluster, PairTimes, StationPhases

PathLike = str | os.PathLike[str]


def _epoch(text: np.ndarray) -> np.ndarray:
    """Epoch seconds of ISO-8601 strings (a trailing Z allowed), at nanosecond precision."""
    clean = np.char.rstrip(np.asarray(text, dtype=str), "Z")
    ns = clean.astype("datetime64[ns]").astype(np.int64)
    return (ns // 1_000_000_000).astype(float) + (ns % 1_000_000_000) * 1e-9


def _columns(path: PathLike, ncol: int) -> list[np.ndarray]:
    """Whitespace-separated columns of a text file (blank and # lines skipped)."""
    rows = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) < ncol:
            raise ValueError(f"{path}, line {n}: expected {ncol} columns, got {len(parts)}")
        rows.append(parts[:ncol])
    table = np.asarray(rows, dtype=str).reshape(-1, ncol)
    return [table[:, c] for c in range(ncol)]


@dataclass(frozen=True)
class EventList:
    """Events of a location file: name, origin time (epoch s), lat, lon (°), flag."""

    name: np.ndarray
    time: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    flag: np.ndarray

    def index(self, name: str) -> int:
        """Row of an event by name."""
        rows = np.flatnonzero(self.name == name)
        if not rows.size:
            raise KeyError(f"no event {name!r}; known: {', '.join(self.name)}")
        return int(rows[0])


def read_event_list(path: PathLike) -> EventList:
    """Read a ``time lat lon name flag`` file (``*_events_GT.txt``, Yang et al. locations)."""
    t, lat, lon, name, flag = _columns(path, 5)
    return EventList(name, _epoch(t), lat.astype(float), lon.astype(float), flag)


def read_phaselist(path: PathLike) -> StationPhases:
    """Read a ``sta phase lat lon`` file."""
    sta, phase, lat, lon = _columns(path, 4)
    return StationPhases(sta, phase, lat.astype(float), lon.astype(float))


@dataclass(frozen=True)
class SlownessFile:
    """A slowness-vector file: station-phases, reference point, slowness east/north (s/km)."""

    stations: StationPhases
    ref_lat: np.ndarray
    ref_lon: np.ndarray
    east: np.ndarray
    north: np.ndarray


def read_slowness_vectors(path: PathLike) -> SlownessFile:
    """Read a ``sta phase sta_lat sta_lon ref_lat ref_lon sx sy [flag]`` file."""
    sta, phase, la, lo, rla, rlo, sx, sy = _columns(path, 8)
    f = np.asarray
    return SlownessFile(
        StationPhases(sta, phase, la.astype(float), lo.astype(float)),
        f(rla, float), f(rlo, float), f(sx, float), f(sy, float),
    )  # fmt: skip


@dataclass(frozen=True)
class CCTimes:
    """Rows of a ``*_CC_times.txt`` file, as read (names and times per row)."""

    ev1: np.ndarray
    ev2: np.ndarray
    time1: np.ndarray
    time2: np.ndarray
    sta: np.ndarray
    phase: np.ndarray
    cc: np.ndarray


def read_cc_times(path: PathLike) -> CCTimes:
    """Read a ``ev1 ev2 time1 time2 sta phase cc`` file."""
    e1, e2, t1, t2, sta, phase, cc = _columns(path, 7)
    return CCTimes(e1, e2, _epoch(t1), _epoch(t2), sta, phase, cc.astype(float))


def load_cluster(
    cc_times: PathLike | CCTimes,
    phaselist: PathLike | StationPhases,
    events: list[str] | None = None,
    *,
    allow_missing: bool = True,
) -> Cluster:
    """A :class:`Cluster` from a CC-times file and its phase list.

    Events are ordered as ``events`` when given (rows of other events are dropped), else in
    order of first appearance. Rows whose station-phase is not in the phase list (no
    coordinates) are dropped, or raise ValueError with ``allow_missing=False`` (VIScERaL's
    ``allowmissing``). The correlation coefficient becomes the pair weight.
    """
    cc = read_cc_times(cc_times) if not isinstance(cc_times, CCTimes) else cc_times
    st = read_phaselist(phaselist) if not isinstance(phaselist, StationPhases) else phaselist
    if events is None:
        both = np.stack([cc.ev1, cc.ev2], 1).ravel()
        _, first = np.unique(both, return_index=True)
        events = [str(e) for e in both[np.sort(first)]]
    ev_index = {e: n for n, e in enumerate(events)}
    key = st.index()
    k = np.array([key.get((s, p), -1) for s, p in zip(cc.sta, cc.phase, strict=True)], int)
    if (k < 0).any() and not allow_missing:
        r = int(np.flatnonzero(k < 0)[0])
        raise ValueError(f"station-phase {cc.sta[r]} {cc.phase[r]} is not in the phase list")
    i = np.array([ev_index.get(str(e), -1) for e in cc.ev1], int)
    j = np.array([ev_index.get(str(e), -1) for e in cc.ev2], int)
    keep = (i >= 0) & (j >= 0) & (k >= 0)
    pairs = PairTimes(i[keep], j[keep], k[keep], cc.time1[keep], cc.time2[keep], cc.cc[keep])
    return Cluster(tuple(events), st, pairs)
