"""Data of a cluster of events recorded at common stations, local geometry, slowness vectors.

A *station-phase* (one station, one phase) is what a station correction, a slowness vector
and a differential time belong to. Observations are kept as *pair times*: for a pair of
events (i, j) the absolute arrival times ``t_i``, ``t_j`` of the same phase at the same
station, as in the cross-correlation files of Gibbons et al. (2017, 2020); a pair (i, i)
carries event i's own pick. Differential times are ``dt = t_j − t_i``.

Offsets are kept in a local Cartesian frame around a reference point: east and north in km
(WGS84 meridian and prime-vertical radii, accurate to metres over tens of km) and depth in
km, positive down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from testban.records.earth import EARTH_RADIUS_KM
from testban.traveltime import distance_azimuth, travel_times

#: WGS84 semi-major axis (km) and first eccentricity squared.
WGS84_A = 6378.137
WGS84_E2 = 6.69437999014e-3

#: Phase families: names a pick file may use for "the first P" or "the first S" and the
#: travel-time table phases whose earliest arrival they stand for.
FIRST_P = ("P", "Pn", "Pg")
FIRST_S = ("S", "Sn")


def _radii(lat0: float) -> tuple[float, float]:
    """Meridian and prime-vertical radii of curvature (km) at geographic latitude ``lat0``."""
    s2 = np.sin(np.radians(lat0)) ** 2
    w = np.sqrt(1.0 - WGS84_E2 * s2)
    return WGS84_A * (1.0 - WGS84_E2) / w**3, WGS84_A / w


def to_local(
    lat: ArrayLike, lon: ArrayLike, lat0: float, lon0: float
) -> tuple[np.ndarray, np.ndarray]:
    """East and north (km) of points relative to (lat0, lon0), in the tangent plane there."""
    m, n = _radii(lat0)
    dlon = (np.asarray(lon, float) - lon0 + 180.0) % 360.0 - 180.0
    east = np.radians(dlon) * n * np.cos(np.radians(lat0))
    north = np.radians(np.asarray(lat, float) - lat0) * m
    return east, north


def from_local(
    east: ArrayLike, north: ArrayLike, lat0: float, lon0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (°) of east/north offsets (km) from (lat0, lon0)."""
    m, n = _radii(lat0)
    lat = lat0 + np.degrees(np.asarray(north, float) / m)
    lon = lon0 + np.degrees(np.asarray(east, float) / (n * np.cos(np.radians(lat0))))
    return lat, (lon + 180.0) % 360.0 - 180.0


@dataclass(frozen=True)
class StationPhases:
    """Station-phase pairs: station code, phase name and station coordinates (°), per row."""

    sta: np.ndarray
    phase: np.ndarray
    lat: np.ndarray
    lon: np.ndarray

    def __len__(self) -> int:
        return int(self.sta.size)

    def index(self) -> dict[tuple[str, str], int]:
        """Row of each (station, phase)."""
        pairs = zip(self.sta, self.phase, strict=True)
        return {(str(s), str(p)): i for i, (s, p) in enumerate(pairs)}

    @classmethod
    def from_rows(cls, rows: list[tuple[str, str, float, float]]) -> StationPhases:
        """Build from ``(sta, phase, lat, lon)`` tuples."""
        sta, phase, lat, lon = zip(*rows, strict=True) if rows else ((), (), (), ())
        return cls(
            np.asarray(sta, dtype=str),
            np.asarray(phase, dtype=str),
            np.asarray(lat, float),
            np.asarray(lon, float),
        )


@dataclass(frozen=True)
class PairTimes:
    """Arrival times of one phase at one station for pairs of events (indices into events).

    ``t_i`` is event i's time, ``t_j`` event j's (for cross-correlation pairs, the time at
    which i's template best matches j's trace); ``weight`` a relative quality (e.g. the
    correlation coefficient), 1 when unknown.
    """

    i: np.ndarray
    j: np.ndarray
    k: np.ndarray
    t_i: np.ndarray
    t_j: np.ndarray
    weight: np.ndarray = field(default_factory=lambda: np.ones(0))

    def __post_init__(self) -> None:
        if self.weight.size != self.i.size:
            object.__setattr__(self, "weight", np.ones(self.i.size))

    @property
    def dt(self) -> np.ndarray:
        """Differential times t_j − t_i (s)."""
        return self.t_j - self.t_i

    def select(self, mask: np.ndarray) -> PairTimes:
        """The rows where ``mask`` is true."""
        return PairTimes(
            self.i[mask], self.j[mask], self.k[mask], self.t_i[mask], self.t_j[mask],
            self.weight[mask],
        )  # fmt: skip


@dataclass(frozen=True)
class Cluster:
    """Events (names), their station-phases and pair times: the input of a relocation."""

    events: tuple[str, ...]
    stations: StationPhases
    pairs: PairTimes

    def event_index(self, name: str) -> int:
        """Index of an event by name (KeyError naming the known events if absent)."""
        try:
            return self.events.index(name)
        except ValueError:
            raise KeyError(f"no event {name!r}; known: {', '.join(self.events)}") from None

    def picks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Absolute picks (event, station-phase, time): from (i, i) pairs, else template times.

        Where a pair file has no (i, i) row for an event and station-phase, event i's time
        in its first pair (i, j) is used: the template of a correlation is cut at i's pick.
        """
        p = self.pairs
        self_rows = p.i == p.j
        ev = np.concatenate([p.i[self_rows], p.i[~self_rows], p.j[~self_rows]])
        k = np.concatenate([p.k[self_rows], p.k[~self_rows], p.k[~self_rows]])
        t = np.concatenate([p.t_i[self_rows], p.t_i[~self_rows], p.t_j[~self_rows]])
        # Own picks first, then template times (ev1), then correlation times (ev2).
        code = ev.astype(np.int64) * max(len(self.stations), 1) + k
        _, first = np.unique(code, return_index=True)
        return ev[first], k[first], t[first]


# ------------------------------------------------------------------------ slowness vectors


@dataclass(frozen=True)
class SlownessVectors:
    """Horizontal slowness (s/km) of the ray leaving the source toward each station-phase.

    ``east``/``north`` point along the direction of propagation (source to station), so an
    event moved by (dx, dy) km arrives ``−(east·dx + north·dy)`` s earlier; ``dtdh`` is
    dT/dh (s/km, depth positive down); ``time`` the predicted travel time (s); ``phase`` the
    model phase used.
    """

    east: np.ndarray
    north: np.ndarray
    dtdh: np.ndarray
    time: np.ndarray
    phase: np.ndarray


def model_phase_candidates(phase: str) -> tuple[str, ...]:
    """Table phases that may explain a pick named ``phase`` (first arrival of the family).

    "P1"/"S1" (Gibbons et al. 2020: the first P and S onsets) and "P"/"S" stand for the first
    of P, Pn, Pg (S, Sn); a named regional or core phase (Pn, Pg, Sn, PKP, …) is itself.
    """
    name = phase.strip()
    base = name.rstrip("0123456789") or name
    if base in ("P", "p"):
        return FIRST_P
    if base in ("S", "s"):
        return FIRST_S
    if base == "Sg":
        return ("S",)  # TauP's S from a crustal source at short range is the direct Sg
    return (base,)


def slowness_vectors(
    lat: float,
    lon: float,
    depth: float,
    stations: StationPhases,
    model: str = "ak135",
) -> SlownessVectors:
    """Slowness vectors at a source for every station-phase, from the model's tables.

    The horizontal slowness is dT/dΔ converted to s/km at the source radius (R − h): a
    horizontal step of 1 km at depth h changes the epicentral distance by 1/(R − h) rad.
    """
    tt = travel_times(model)
    delta, esaz, _ = distance_azimuth(lat, lon, stations.lat, stations.lon)
    delta, esaz = np.atleast_1d(delta), np.atleast_1d(esaz)
    n = len(stations)
    time, slow, dtdh = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    used = np.full(n, "", dtype=object)
    for name in np.unique(stations.phase):
        rows = np.flatnonzero(stations.phase == name)
        cands = model_phase_candidates(str(name))
        cands = tuple(c for c in cands if c in tt.phases) or cands
        pred, which = tt.first_arrival(delta[rows], depth, cands)
        time[rows], slow[rows], dtdh[rows], used[rows] = (*pred, which)
    s_km = slow * (180.0 / np.pi) / (EARTH_RADIUS_KM - depth)
    az = np.radians(esaz)
    return SlownessVectors(s_km * np.sin(az), s_km * np.cos(az), dtdh, time, used.astype(str))
