"""Arrival front of a release: when each site first saw it, against its distance.

From air-concentration rows (``gards_air_conc``), the first sample of each site above a
threshold is that site's *first detection*; its great-circle distance from the release
point and its delay after the release time give an apparent transport speed. The delay is
taken to the middle of the detecting sample (a daily sample says only that the plume came
during that day: ±half its length), and the speed is distance / delay. The speed is
*apparent*: air travels along trajectories, not great circles, and where sampling began
only after the news, the first sample is a lower bound on the arrival time, not the
arrival.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from testban.records.earth import EARTH_RADIUS_KM
from testban.records.gards import GardsAirConc

__all__ = ["CHERNOBYL", "FrontPoint", "Release", "apparent_speed", "arrival_front"]


@dataclass(frozen=True)
class Release:
    """Where and when a release began (deg, deg, epoch s)."""

    lat: float
    lon: float
    time: float
    name: str = ""


#: Chernobyl unit 4: 51.39 N 30.10 E; the explosion at 01:23:40 Moscow summer time
#: (UTC+4) on 1986-04-26, i.e. 1986-04-25 21:23:40 UTC.
CHERNOBYL = Release(51.39, 30.10, 514848220.0, "Chernobyl")


@dataclass(frozen=True)
class FrontPoint:
    """First detection at one site: distance (km), delay (s after release, to the middle
    of the detecting sample, ± ``half_width`` s), the concentration and the sample."""

    location: str
    lat: float
    lon: float
    distance_km: float
    first_start: float
    first_stop: float
    conc: float
    name: str

    @property
    def time(self) -> float:
        return 0.5 * (self.first_start + self.first_stop)

    @property
    def half_width(self) -> float:
        return 0.5 * (self.first_stop - self.first_start)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (km) on a sphere of the Earth's mean radius (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def arrival_front(
    rows: Iterable[GardsAirConc],
    release: Release = CHERNOBYL,
    *,
    nuclide: str | None = None,
    threshold: float = 0.0,
) -> list[FrontPoint]:
    """The first detection (concentration above ``threshold``, Bq/m³) of each site, sorted
    by distance from ``release``; only samples of ``nuclide`` when given, and only
    samples that began at or after the release."""
    first: dict[str, GardsAirConc] = {}
    for r in rows:
        if (nuclide is not None and r.name != nuclide) or r.conc <= threshold:
            continue
        if r.collect_stop <= release.time:
            continue
        best = first.get(r.location)
        if best is None or (r.collect_start, r.seq) < (best.collect_start, best.seq):
            first[r.location] = r
    out = [
        FrontPoint(
            r.location, r.lat, r.lon, distance_km(release.lat, release.lon, r.lat, r.lon),
            r.collect_start, r.collect_stop, r.conc, r.name,
        )
        for r in first.values()
    ]  # fmt: skip
    return sorted(out, key=lambda p: (p.distance_km, p.time))


def apparent_speed(front: list[FrontPoint], release: Release = CHERNOBYL) -> dict[str, float]:
    """Apparent transport speed (km/h) from the front: the median, quartiles and maximum of
    the per-site speeds (distance / delay to the middle of the detecting sample), and the
    slope of a least-squares line of delay against distance (km/h; its inverse)."""
    if not front:
        return {}
    d = np.array([p.distance_km for p in front])
    dt_h = np.array([(p.time - release.time) / 3600.0 for p in front])
    speed = d / dt_h
    out = {
        "n_sites": float(len(front)),
        "median_kmh": float(np.median(speed)),
        "q25_kmh": float(np.percentile(speed, 25)),
        "q75_kmh": float(np.percentile(speed, 75)),
        "max_kmh": float(speed.max()),
    }
    if len(front) >= 3 and np.ptp(d) > 0:
        slope, icept = np.polyfit(d, dt_h, 1)  # hours per km
        out["fit_kmh"] = float(1.0 / slope) if slope > 0 else float("nan")
        out["fit_intercept_h"] = float(icept)
        out["fit_r"] = float(np.corrcoef(d, dt_h)[0, 1])
    return out
