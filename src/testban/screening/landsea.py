"""Land or sea, and distance to the coast, from Natural Earth's 1:110m land polygons.

The offshore screening criterion asks whether an event's whole error ellipse lies at
sea; event characterisation reports the distance to the coast. Both come from the
1:110m Natural Earth countries merged into land (public domain; built by
``scripts/build_landsea.py``, shipped as ``data/land_110m.npz``). At that scale a
coastline is drawn to within roughly 5–20 km and small islands are missing, so a point
within :data:`COAST_TOLERANCE_KM` of the coast counts as neither clearly land nor sea.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import NamedTuple

import numpy as np
import shapely
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from testban.records.earth import EARTH_RADIUS_KM

DATA = Path(__file__).with_name("data") / "land_110m.npz"

#: How far a 1:110m coastline may be from the true one (km): points closer to the coast
#: than this are "near the coast" rather than clearly at sea.
COAST_TOLERANCE_KM = 20.0

#: Spacing of the points the coastline is densified to for distances (km).
_STEP_KM = 2.0


class LandSea(NamedTuple):
    """The land polygons and a k-d tree of coastline points (unit vectors)."""

    land: shapely.MultiPolygon
    coast: cKDTree


def _unit(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _densified(ring: np.ndarray) -> np.ndarray:
    """Points along a (lon, lat) ring at most ~:data:`_STEP_KM` apart."""
    a, b = ring[:-1], ring[1:]
    km = np.hypot((b[:, 0] - a[:, 0]) * np.cos(np.radians(a[:, 1])), b[:, 1] - a[:, 1]) * 111.2
    n = np.maximum(1, np.ceil(km / _STEP_KM).astype(int))
    idx = np.repeat(np.arange(len(a)), n)
    frac = np.concatenate([np.arange(k) / k for k in n])
    return a[idx] + (b[idx] - a[idx]) * frac[:, None]


@functools.cache
def landsea() -> LandSea:
    """The shipped land mask (read once per process)."""
    with np.load(DATA) as z:
        coords = z["coords"].astype(np.float64)
        start, polygon, hole = z["ring_start"], z["ring_polygon"], z["ring_hole"]
    bounds = np.append(start, len(coords))
    rings = [coords[bounds[i] : bounds[i + 1]] for i in range(len(start))]
    polys = []
    for k in np.unique(polygon):
        members = np.flatnonzero(polygon == k)
        shell = [rings[i] for i in members if not hole[i]][0]
        holes = [rings[i] for i in members if hole[i]]
        polys.append(shapely.Polygon(shell, holes))
    land = shapely.MultiPolygon(polys)
    shapely.prepare(land)
    # The 180° meridian cuts land polygons (Chukotka, Fiji): those straight edges are not
    # coast, so they are left out of the coastline.
    pts = np.concatenate([_densified(r) for r in rings])
    pts = pts[np.abs(np.abs(pts[:, 0]) - 180.0) > 1e-6]
    return LandSea(land, cKDTree(_unit(pts[:, 1], pts[:, 0])))


def on_land(lat: ArrayLike, lon: ArrayLike) -> np.ndarray:
    """Whether each point lies on land (1:110m polygons; lakes count as land)."""
    la, lo = np.broadcast_arrays(np.asarray(lat, float), np.asarray(lon, float))
    lo = (lo + 180.0) % 360.0 - 180.0
    return np.asarray(shapely.contains_xy(landsea().land, lo, la), dtype=bool)


def coast_distance_km(lat: ArrayLike, lon: ArrayLike) -> np.ndarray:
    """Great-circle distance (km) from each point to the nearest coastline point."""
    la, lo = np.broadcast_arrays(np.asarray(lat, float), np.asarray(lon, float))
    chord, _ = landsea().coast.query(_unit(la.ravel(), lo.ravel()))
    km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord) / 2.0, 0.0, 1.0))
    return km.reshape(la.shape)


def signed_coast_distance_km(lat: ArrayLike, lon: ArrayLike) -> np.ndarray:
    """Distance to the coast, positive at sea and negative on land (km)."""
    d = coast_distance_km(lat, lon)
    return np.where(on_land(lat, lon), -d, d)
