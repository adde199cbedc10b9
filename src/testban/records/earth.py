"""The Earth's size as the whole project uses it: one radius, one kilometres-per-degree.

The mean radius of iasp91/ak135 (6371 km) is the sphere of the travel-time tables, of
distances in degrees and of the IDC's bulletins; kilometres per degree of arc follow from it
(≈ 111.195 km). Every module converts with these two names, so that a distance in degrees
and one in kilometres always mean the same arc.
"""

from __future__ import annotations

import math

__all__ = ["EARTH_RADIUS_KM", "KM_PER_DEG"]

#: Mean Earth radius (km) of the iasp91 and ak135 models.
EARTH_RADIUS_KM = 6371.0
#: Kilometres per degree of great-circle arc on that sphere (km/°).
KM_PER_DEG = math.pi * EARTH_RADIUS_KM / 180.0
