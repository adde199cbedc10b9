"""Build ``src/testban/screening/data/land_110m.npz`` from Natural Earth 1:110m countries.

Natural Earth (naturalearthdata.com) is public domain. The source is the 1:110m
``ne_110m_admin_0_countries`` layer (as redistributed e.g. in geopandas 0.14's
``datasets/naturalearth_lowres``); the countries are merged into land polygons and stored
as rings of (lon, lat) in float32. Run once by hand when the mask is to be rebuilt::

    pip install pyshp shapely
    python scripts/build_landsea.py path/to/naturalearth_lowres.shp

The resulting file is what :mod:`testban.screening.landsea` reads at run time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import shapefile  # pyshp: needed only here, not at run time
from shapely.geometry import shape
from shapely.ops import unary_union

OUT = Path(__file__).resolve().parents[1] / "src/testban/screening/data/land_110m.npz"


def main(shp: str) -> None:
    reader = shapefile.Reader(shp)
    land = unary_union([shape(s.__geo_interface__) for s in reader.shapes()])
    polygons = list(land.geoms) if hasattr(land, "geoms") else [land]
    coords, ring_start, ring_polygon, ring_hole = [], [], [], []
    n = 0
    for k, poly in enumerate(polygons):
        for j, ring in enumerate([poly.exterior, *poly.interiors]):
            xy = np.asarray(ring.coords, dtype=np.float64)
            coords.append(xy)
            ring_start.append(n)
            ring_polygon.append(k)
            ring_hole.append(j > 0)
            n += len(xy)
    np.savez_compressed(
        OUT,
        coords=np.concatenate(coords).astype(np.float32),
        ring_start=np.asarray(ring_start, dtype=np.int32),
        ring_polygon=np.asarray(ring_polygon, dtype=np.int32),
        ring_hole=np.asarray(ring_hole, dtype=bool),
        source=np.asarray("Natural Earth 1:110m admin-0 countries (public domain), merged"),
    )
    print(f"{OUT}: {len(polygons)} polygons, {len(ring_start)} rings, {n} vertices")


if __name__ == "__main__":
    main(sys.argv[1])
