"""Vectorised epicentral distance and azimuths on the sphere (geocentric latitudes).

Distances for travel times are taken between geocentric latitudes, as the IDC and the
ak135/iasp91 tables assume; azimuths are degrees clockwise from north.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

#: WGS84 flattening; geocentric latitude = atan((1 - f)^2 tan(geographic latitude)).
WGS84_F = 1.0 / 298.257223563


def geocentric_latitude(lat: ArrayLike) -> np.ndarray:
    """Geocentric latitude (°) of a geographic latitude (°)."""
    lat = np.radians(np.asarray(lat, float))
    return np.degrees(np.arctan((1.0 - WGS84_F) ** 2 * np.tan(lat)))


def distance_azimuth(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike, geocentric: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance (°), azimuth 1→2 and back azimuth 2→1 (°), broadcasting over inputs.

    With source = 1 and station = 2 this is CSS3.0 ``assoc.delta``, ``esaz`` and ``seaz``.
    """
    if geocentric:
        lat1, lat2 = geocentric_latitude(lat1), geocentric_latitude(lat2)
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dl = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    s1, c1, s2, c2 = np.sin(p1), np.cos(p1), np.sin(p2), np.cos(p2)
    x = c1 * s2 - s1 * c2 * np.cos(dl)
    y = c2 * np.sin(dl)
    z = s1 * s2 + c1 * c2 * np.cos(dl)
    delta = np.degrees(np.arctan2(np.hypot(x, y), z))
    az = np.degrees(np.arctan2(y, x)) % 360.0
    xb = c2 * s1 - s2 * c1 * np.cos(dl)
    yb = -c1 * np.sin(dl)
    baz = np.degrees(np.arctan2(yb, xb)) % 360.0
    return delta, az, baz


def destination(
    lat: ArrayLike, lon: ArrayLike, delta: ArrayLike, azimuth: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Point (lat, lon in °, spherical) reached going ``delta`` ° along ``azimuth``."""
    p1, l1 = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    d, a = np.radians(np.asarray(delta, float)), np.radians(np.asarray(azimuth, float))
    p2 = np.arcsin(np.clip(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(a), -1, 1))
    l2 = l1 + np.arctan2(np.sin(a) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return np.degrees(p2), (np.degrees(l2) + 180.0) % 360.0 - 180.0
