"""Where, how deep and how big simulated events are: a compact source-zone model and G–R.

The zones are coarse polylines along the major plate boundaries, drawn for this package
from general knowledge of global seismicity (e.g. the maps of the ISC and USGS catalogues
and standard plate-tectonics texts such as Lay & Wallace 1995, ch. 1): subduction zones
carry most events and all intermediate and deep ones (deep events to ~700 km under
Tonga–Fiji, Japan–Kurils–Izu–Bonin, Indonesia and South America), mid-ocean ridges and
transforms carry shallow events, the Alpide belt carries crustal events with a little
intermediate-depth activity (Hindu Kush). Weights are relative shares of the global rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from obspy import UTCDateTime

from testban.records.css30 import Origin, jdate
from testban.records.earth import KM_PER_DEG
from testban.traveltime.geometry import destination, distance_azimuth

#: Global rate (events/day) at mb ≥ 2.5. The USGS "Earthquake Facts & Statistics" page
#: estimates ~13,000 M4–4.9 events a year (≈ 36/day at M ≥ 4); with b = 1 that is ≈ 110/day
#: at M ≥ 3.5 — the REB's 50–150 events/day at mb ≥ ~3.5 — and ≈ 1,100–1,200/day at 2.5.
RATE_PER_DAY = 1150.0

TimeLike: TypeAlias = UTCDateTime | float | str

# Depth distributions: (weight, top km, bottom km) bands, uniform within a band.
RIDGE = ((1.0, 2.0, 15.0),)
CRUST = ((0.85, 2.0, 30.0), (0.15, 30.0, 60.0))
SUBDUCTION = ((0.7, 5.0, 60.0), (0.27, 60.0, 250.0), (0.03, 250.0, 400.0))
DEEP_SUBDUCTION = ((0.62, 5.0, 60.0), (0.25, 60.0, 300.0), (0.13, 300.0, 680.0))
DEEP_ONLY = ((1.0, 500.0, 650.0),)
HINDU_KUSH = ((1.0, 150.0, 250.0),)


@dataclass(frozen=True)
class SourceZone:
    """A polyline of (lat, lon) vertices with a relative rate, depth bands and scatter."""

    name: str
    vertices: tuple[tuple[float, float], ...]
    weight: float
    depth: tuple[tuple[float, float, float], ...]
    scatter_km: float


ZONES: tuple[SourceZone, ...] = (
    SourceZone("Aleutians-Alaska", ((61, -147), (57, -155), (54, -162), (52, -170),
               (51.5, 180), (52, 172)), 6, SUBDUCTION, 70),
    SourceZone("Kamchatka-Kurils", ((56, 163), (52, 160), (48, 154), (44, 148), (42, 144)),
               6, DEEP_SUBDUCTION, 80),
    SourceZone("Japan-Izu-Bonin-Marianas", ((42, 143), (38, 142.5), (35, 141), (30, 142),
               (25, 142.5), (20, 145.5), (14, 146.5), (12, 144)), 10, DEEP_SUBDUCTION, 80),
    SourceZone("Ryukyu-Taiwan-Philippines", ((33, 131.5), (28, 129), (24, 123), (22, 121),
               (18, 120), (14, 120), (10, 126.5), (6, 127)), 8, SUBDUCTION, 70),
    SourceZone("Sunda-Banda arc", ((5, 94), (0, 97), (-5, 101.5), (-9, 110), (-10, 118),
               (-8.5, 124), (-7, 129), (-4, 130)), 12, DEEP_SUBDUCTION, 90),
    SourceZone("New Guinea-Solomons-Vanuatu", ((-3, 140), (-5, 147), (-6, 152), (-9, 158),
               (-12, 166), (-16, 167.5), (-21, 169.5)), 10, SUBDUCTION, 80),
    SourceZone("Tonga-Kermadec-New Zealand", ((-15, -173.5), (-20, -174.5), (-25, -176),
               (-30, -177.5), (-35, -179), (-39, 177), (-42, 173.5)), 10, DEEP_SUBDUCTION, 90),
    SourceZone("Fiji deep", ((-17, -179), (-21, -178.5), (-25, -179)), 2, DEEP_ONLY, 80),
    SourceZone("Mexico-Central America", ((20, -105.5), (17, -100), (15, -94), (13, -90),
               (11, -86.5), (8, -83)), 6, SUBDUCTION, 60),
    SourceZone("Andes", ((5, -77.5), (0, -80), (-5, -81), (-10, -78.5), (-15, -75.5),
               (-20, -70.5), (-25, -70.5), (-30, -71.5), (-35, -72.5), (-40, -73.5),
               (-45, -75)), 12, SUBDUCTION, 120),
    SourceZone("South America deep", ((-8, -71), (-20, -63.5), (-28, -63)), 1, DEEP_ONLY, 60),
    SourceZone("Caribbean", ((19, -68), (18, -64), (15, -61), (11, -61.5)), 2, SUBDUCTION, 60),
    SourceZone("Western North America", ((48, -125), (40, -124), (36, -121), (34, -118),
               (32, -115.5)), 3, CRUST, 60),
    SourceZone("Mid-Atlantic Ridge", ((70, -15), (64, -20), (52, -31), (40, -29), (30, -42),
               (15, -46), (1, -26), (-1, -15), (-10, -13), (-30, -13.5), (-45, -16),
               (-55, -5)), 5, RIDGE, 25),
    SourceZone("Indian Ocean ridges", ((-55, 0), (-45, 35), (-35, 55), (-25, 68), (-15, 67),
               (0, 67), (10, 58), (14, 52)), 3, RIDGE, 25),
    SourceZone("Southeast Indian Ridge", ((-25, 70), (-40, 80), (-50, 120), (-55, 140),
               (-60, 160)), 2, RIDGE, 25),
    SourceZone("East Pacific Rise", ((20, -107), (10, -104), (0, -102), (-10, -110),
               (-20, -113), (-35, -110), (-55, -125), (-62, -160), (-65, -175)), 4, RIDGE, 25),
    SourceZone("Mediterranean-Iran", ((37, -10), (36, 0), (37, 15), (38, 22), (38, 27),
               (39, 35), (38, 44), (35, 51), (30, 57), (28, 62)), 8, CRUST, 150),
    SourceZone("Himalaya-Tibet-China", ((35, 72), (30, 80), (28, 87), (27, 93), (25, 97),
               (30, 102), (35, 104), (40, 100)), 6, CRUST, 200),
    SourceZone("Hindu Kush", ((36.5, 70.5), (36.5, 71.0)), 1, HINDU_KUSH, 30),
    SourceZone("East African Rift", ((14, 40), (8, 38), (0, 36), (-8, 32), (-15, 35)), 1,
               CRUST, 80),
)  # fmt: skip

#: Share of events spread uniformly over the globe (intraplate background).
BACKGROUND = 0.03


def epoch(t: TimeLike) -> float:
    """Epoch seconds of a UTCDateTime, ISO string or number."""
    return float(UTCDateTime(t).timestamp) if not isinstance(t, int | float) else float(t)


#: Declared nuclear test sites (approximate published coordinates, lat, lon).
TEST_SITES: dict[str, tuple[float, float]] = {
    "punggye-ri": (41.30, 129.08),  # DPRK, Mt Mantap
    "lop-nur": (41.55, 88.70),  # China
    "semipalatinsk": (49.90, 78.80),  # Kazakhstan (Degelen/Balapan)
    "novaya-zemlya": (73.37, 54.78),  # Russia
    "nevada": (37.10, -116.05),  # USA (Pahute Mesa/Yucca Flat)
}


def gutenberg_richter(n: int, mb_min: float, mb_max: float, b: float, rng) -> np.ndarray:
    """``n`` magnitudes from a G–R law truncated to [mb_min, mb_max] (inverse CDF)."""
    beta = b * np.log(10.0)
    u = rng.uniform(0.0, 1.0, n)
    span = 1.0 - np.exp(-beta * (mb_max - mb_min))
    return mb_min - np.log(1.0 - u * span) / beta


def _zone_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Latitude, longitude and depth of ``n`` events from the zone model."""
    w = np.array([z.weight for z in ZONES], float)
    w = (1.0 - BACKGROUND) * w / w.sum()
    zone = rng.choice(len(ZONES) + 1, n, p=np.append(w, BACKGROUND))
    lat, lon, dep = np.empty(n), np.empty(n), np.empty(n)
    for k, z in enumerate(ZONES):
        idx = np.flatnonzero(zone == k)
        if not idx.size:
            continue
        v = np.asarray(z.vertices, float)
        seg_len, _, seg_az = distance_azimuth(v[:-1, 0], v[:-1, 1], v[1:, 0], v[1:, 1], False)
        seg = rng.choice(seg_len.size, idx.size, p=seg_len / seg_len.sum())
        frac = rng.uniform(0, 1, idx.size)
        la, lo = destination(v[seg, 0], v[seg, 1], frac * seg_len[seg], seg_az[seg])
        # Scatter: Gaussian offset of scatter_km in a random direction.
        off = np.abs(rng.normal(0, z.scatter_km, idx.size)) / KM_PER_DEG
        la, lo = destination(la, lo, off, rng.uniform(0, 360, idx.size))
        bands = np.asarray(z.depth, float)
        band = rng.choice(len(bands), idx.size, p=bands[:, 0] / bands[:, 0].sum())
        lat[idx], lon[idx] = la, lo
        dep[idx] = rng.uniform(bands[band, 1], bands[band, 2])
    bg = np.flatnonzero(zone == len(ZONES))
    lat[bg] = np.degrees(np.arcsin(rng.uniform(-1, 1, bg.size)))
    lon[bg] = rng.uniform(-180, 180, bg.size)
    dep[bg] = rng.uniform(2.0, 25.0, bg.size)
    return lat, lon, dep


def draw_events(
    start: TimeLike,
    end: TimeLike,
    seed: int = 0,
    rate: float = RATE_PER_DAY,
    mb_min: float = 2.5,
    mb_max: float = 6.5,
    b: float = 1.0,
    explosions: Sequence[tuple] = (),
    first_id: int = 1,
) -> list[Origin]:
    """Ground-truth events between ``start`` and ``end`` as CSS3.0 ``origin`` rows.

    Earthquakes: Poisson number (``rate`` per day at mb ≥ ``mb_min``, scaled to the
    magnitude range), uniform times, G–R magnitudes, zone-model locations and depths;
    etype "eq". ``explosions`` are declared shallow sources, tuples ``(name, lat, lon,
    time, mb)``, at 0.5–1 km depth with etype "ex" (CSS3.0 "generic explosion").
    Rows are sorted by time; orid = evid, from ``first_id``.
    """
    t0, t1 = epoch(start), epoch(end)
    rng = np.random.default_rng(seed)
    scale = 1.0 - 10.0 ** (-b * (mb_max - mb_min))
    n = int(rng.poisson(rate * scale * (t1 - t0) / 86400.0))
    time = rng.uniform(t0, t1, n)
    mb = gutenberg_richter(n, mb_min, mb_max, b, rng)
    lat, lon, depth = _zone_points(n, rng)
    etype = ["eq"] * n
    for _name, la, lo, t, m in explosions:
        time = np.append(time, epoch(t))
        mb = np.append(mb, m)
        lat, lon = np.append(lat, la), np.append(lon, lo)
        depth = np.append(depth, rng.uniform(0.5, 1.0))
        etype.append("ex")
    order = np.argsort(time, kind="stable")
    out = []
    for i, k in enumerate(order):
        ident = first_id + i
        out.append(
            Origin(
                lat=round(float(lat[k]), 4),
                lon=round(float(lon[k]), 4),
                depth=round(float(depth[k]), 3),
                time=round(float(time[k]), 3),
                orid=ident,
                evid=ident,
                jdate=jdate(float(time[k])),
                mb=round(float(mb[k]), 2),
                etype=etype[k],
                dtype="f",
                algorithm="sim",
                auth="testban:sim",
            )
        )
    return out
