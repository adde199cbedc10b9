"""Where events may be and how long their phases take: the grids and phase predictions.

Two geometries share one interface, so the associator's code is the same for the global
IMS and a dense local network:

* :class:`GlobalGeometry` — a near-uniform (Fibonacci) grid of epicentres × a few depths,
  TauP tables (:mod:`testban.traveltime`), distances in degrees, slowness in s/°;
  first P is the earliest of P, Pn, Pg, PKP and later phases are S, Sn, Lg.
* :class:`LocalGeometry` — a rectangular grid in km over a region, first P and S of a
  flat-layered model (:mod:`testban.associate.layered`) from a precomputed distance ×
  depth table, distances in km, slowness in s/km.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from scipy.spatial import cKDTree

from testban.associate import kernels
from testban.associate.config import AssociatorConfig
from testban.locate import ModelErrors
from testban.traveltime import KM_PER_DEG, distance_azimuth, travel_times

#: A coordinate or an array of them (functions that return what they are given).
_F = TypeVar("_F", float, np.ndarray)

#: Phases predicted as the first P, as later P-type phases and as S-type phases (global).
#: A station may record several: Pn then Pg and Sn then Lg at regional distances, pP
#: after P from a deep source; each is its own prediction row, so that the event takes
#: them all (left over, they would build a ghost event at the same place).
GLOBAL_P = ("P", "Pn", "Pg", "PKP")
GLOBAL_LATER_P = ("Pg", "pP")
GLOBAL_S = ("S", "Sn", "Lg")


@dataclass
class Grid:
    """Nodes (geographic lat, lon °, depth km), neighbour lists (CSR), cell half-diagonal."""

    lat: np.ndarray
    lon: np.ndarray
    depth: np.ndarray
    nbr_ptr: np.ndarray
    nbr: np.ndarray
    cell: float  # table distance units (° global, km local)

    def __len__(self) -> int:
        return int(self.lat.size)


@dataclass
class Tables:
    """Per node × station: first P/S time and slowness, back azimuth, distance."""

    tp: np.ndarray
    pp: np.ndarray
    ts: np.ndarray
    ps: np.ndarray
    baz: np.ndarray
    dist: np.ndarray
    gaz: np.ndarray  # azimuth span (°) of the node's grid cell seen from the station


def cell_azimuth_span(dist: np.ndarray, cell: float) -> np.ndarray:
    """Azimuth (°) that a grid cell of half-diagonal ``cell`` spans from a station at
    ``dist`` (same units): asin(cell/dist), 180 at or inside the cell (float32)."""
    d = np.asarray(dist, np.float64)
    ratio = np.divide(cell, d, out=np.full(d.shape, 2.0), where=d > cell)
    span = np.where(ratio >= 1.0, 180.0, np.degrees(np.arcsin(np.minimum(ratio, 1.0))))
    return span.astype(np.float32)


@dataclass
class Predicted:
    """Predictions at one hypocentre for the stations: per phase time, slowness, σ."""

    names: tuple[str, ...]  # phase names
    family: np.ndarray  # (nphase,) 0 = P-type, 1 = S-type
    time: np.ndarray  # (nphase, nsta) s, NaN where the phase does not exist
    slow: np.ndarray  # (nphase, nsta)
    sigma: np.ndarray  # (nphase, nsta) model error (s)
    dist: np.ndarray  # (nsta,) degrees (global) or km (local)
    baz: np.ndarray  # (nsta,) station→event azimuth (°)
    esaz: np.ndarray  # (nsta,) event→station azimuth (°)
    first: np.ndarray | None = None  # (nsta,) name of the first P (global: P, Pn, Pg, PKP)


def _neighbours(points: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    tree = cKDTree(points)
    lists = tree.query_ball_point(points, radius)
    ptr = np.zeros(len(lists) + 1, np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    flat = np.concatenate([np.asarray(x, np.int64) for x in lists])
    return ptr, flat


class GlobalGeometry:
    """Global grid and TauP predictions for stations at ``lat``/``lon`` (°)."""

    unit_km = KM_PER_DEG

    def __init__(self, sta_lat: np.ndarray, sta_lon: np.ndarray, cfg: AssociatorConfig):
        self.cfg = cfg
        self.sta_lat, self.sta_lon = np.asarray(sta_lat, float), np.asarray(sta_lon, float)
        self.tt = travel_times(cfg.model)
        self.me = ModelErrors()
        self.grid = self._grid()
        self.slow_grid = 1.5  # s/°: P slowness changes ≤ ~1.5 s/° across a 1.4° cell
        # Built here, not on first use: the geometry is shared by concurrent searches
        # (threads), which must only ever read it.
        self._tables = self._build_tables()
        self._phase_grid()

    def _grid(self) -> Grid:
        sp = self.cfg.grid_spacing
        n = max(int(4 * math.pi / math.radians(sp) ** 2), 20)
        k = np.arange(n) + 0.5
        lat = np.degrees(np.arcsin(1 - 2 * k / n))
        lon = (np.degrees(np.pi * (1 + 5**0.5) * k) + 180.0) % 360.0 - 180.0
        depths = np.asarray(self.cfg.grid_depths, float)
        la, lo = np.radians(lat), np.radians(lon)
        xyz = np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
        # Neighbours: epicentres within 1.6 spacings, every depth (depth index as 4th axis).
        pts = np.concatenate(
            [np.column_stack([xyz, np.full(n, i * 1e-3)]) for i in range(len(depths))]
        )
        ptr, nbr = _neighbours(pts, math.radians(1.6 * sp) + 1e-2)
        cell = 0.5 * math.sqrt(3.0) * sp * 0.75  # farthest point from its nearest node (°)
        return Grid(
            np.tile(lat, len(depths)), np.tile(lon, len(depths)), np.repeat(depths, n),
            ptr, nbr, cell,
        )  # fmt: skip

    def tables(self) -> Tables:
        """The stacking tables (node × station)."""
        return self._tables

    def _build_tables(self) -> Tables:
        """First P/S times and slownesses of every node at every station (TauP)."""
        g = self.grid
        nd = len(self.cfg.grid_depths)
        ne = g.lat.size // nd
        d, _az, baz = distance_azimuth(
            g.lat[:ne, None], g.lon[:ne, None], self.sta_lat[None, :], self.sta_lon[None, :]
        )
        # Per node depth, first P/S along a fine distance axis, then linear interpolation
        # (0.05° steps: < 0.05 s error, far below the stacking tolerance).
        xs = np.arange(0.0, 180.05, 0.05)
        f32 = np.float32
        out = {k: np.empty((g.lat.size, d.shape[1]), f32) for k in ("tp", "pp", "ts", "ps")}
        for i, h in enumerate(self.cfg.grid_depths):
            hh = np.full(xs.shape, float(h))
            fp, _ = self.tt.first_arrival(xs, hh, GLOBAL_P)
            fs, _ = self.tt.first_arrival(xs, hh, GLOBAL_S)
            rows = slice(i * ne, (i + 1) * ne)
            for key, ys in (("tp", fp.time), ("pp", fp.slowness), ("ts", fs.time),
                            ("ps", fs.slowness)):  # fmt: skip
                out[key][rows] = np.interp(d, xs, ys).astype(f32)
        return Tables(
            out["tp"],
            out["pp"],
            out["ts"],
            out["ps"],
            np.tile(baz, (nd, 1)).astype(f32),
            np.tile(d, (nd, 1)).astype(f32),
            np.tile(cell_azimuth_span(d, g.cell), (nd, 1)),
        )

    def _phase_grid(self) -> None:
        """Time and slowness of every phase on a 0.1° × depth mesh (built once, ~1 s)."""
        xs = np.arange(0.0, 180.05, 0.1)
        hs = np.array([0, 15, 35, 70, 120, 200, 300, 400, 500, 600, 700], float)
        x, h = np.meshgrid(xs, hs, indexing="ij")
        self._xs, self._hs = xs, hs
        self._phases = tuple(dict.fromkeys(GLOBAL_P + GLOBAL_LATER_P + GLOBAL_S))
        # Laid out (distance, depth, phase × {time, slowness}) so that one look-up per
        # corner gathers every phase of a station.
        mesh = np.empty((xs.size, hs.size, len(self._phases), 2))
        for k, ph in enumerate(self._phases):
            pr = self.tt.predict(ph, x, h)
            mesh[:, :, k, 0], mesh[:, :, k, 1] = pr.time, pr.slowness
        self._mesh = mesh.reshape(xs.size, hs.size, -1)

    def _interp_all(self, d: np.ndarray, depth: float) -> dict[str, tuple[np.ndarray, ...]]:
        """Bilinear (time, slowness) of every phase at distances ``d`` and one depth."""
        fx = np.minimum(d * 10.0, self._xs.size - 1.001)
        i = fx.astype(np.int64)
        a = (fx - i)[:, None]
        hs = self._hs
        k = min(max(int(np.searchsorted(hs, depth, side="right")) - 1, 0), hs.size - 2)
        c = min(max((depth - hs[k]) / (hs[k + 1] - hs[k]), 0.0), 1.0)
        m = self._mesh
        lo = m[i, k] * (1.0 - c) + m[i, k + 1] * c
        hi = m[i + 1, k] * (1.0 - c) + m[i + 1, k + 1] * c
        v = (lo * (1.0 - a) + hi * a).T  # (phase × 2, station)
        return {ph: (v[2 * n], v[2 * n + 1]) for n, ph in enumerate(self._phases)}

    def predict(self, lat: float, lon: float, depth: float, idx: np.ndarray) -> Predicted:
        d, esaz, baz = distance_azimuth(lat, lon, self.sta_lat[idx], self.sta_lon[idx])
        every = self._interp_all(d, depth)
        pt = [every[ph] for ph in GLOBAL_P]
        times = np.array([p[0] for p in pt])
        none = np.all(np.isnan(times), axis=0)
        best = np.argmin(np.where(np.isnan(times), np.inf, times), axis=0)
        cols = np.arange(d.size)
        t_first = np.where(none, np.nan, times[best, cols])
        p_first = np.array([p[1] for p in pt])[best, cols]
        names = np.where(none, "", np.asarray(GLOBAL_P)[best])
        sig = np.full(d.shape, 2.0)
        for ph in GLOBAL_P:
            sel = names == ph
            if sel.any():
                sig[sel] = self.me.time_error(ph, d[sel])
        rows_t, rows_p, rows_s, out_names = [t_first], [p_first], [sig], ["P"]
        # A later P-type phase is its own row only where it follows the first P by more
        # than the pick tolerance (n_sigma × a pick σ): closer, a detector does not
        # resolve two onsets and the one detection is the first P.
        sep = self.cfg.n_sigma * self.cfg.default_deltim
        for ph in GLOBAL_LATER_P:
            t, p = every[ph]
            t = np.where((t - t_first > sep) & (names != ph), t, np.nan)
            rows_t.append(t)
            rows_p.append(p)
            rows_s.append(self.me.time_error(ph, d))
            out_names.append(ph)
        for ph in GLOBAL_S:
            t, p = every[ph]
            rows_t.append(t)
            rows_p.append(p)
            rows_s.append(self.me.time_error(ph, d))
            out_names.append(ph)
        fam = np.array([0] * (1 + len(GLOBAL_LATER_P)) + [1] * len(GLOBAL_S))
        return Predicted(
            tuple(out_names), fam, np.array(rows_t), np.array(rows_p), np.array(rows_s),
            d, baz, esaz, names,
        )  # fmt: skip


class LocalGeometry:
    """Rectangular km grid over a region and first P/S of a layered model."""

    unit_km = 1.0

    def __init__(self, sta_lat: np.ndarray, sta_lon: np.ndarray, cfg: AssociatorConfig):
        self.cfg = cfg
        self.sta_lat, self.sta_lon = np.asarray(sta_lat, float), np.asarray(sta_lon, float)
        if cfg.region is not None:
            la0, la1, lo0, lo1 = cfg.region
        else:
            mlat = cfg.region_margin_km / KM_PER_DEG
            mlon = mlat / math.cos(math.radians(float(np.mean(self.sta_lat))))
            la0, la1 = self.sta_lat.min() - mlat, self.sta_lat.max() + mlat
            lo0, lo1 = self.sta_lon.min() - mlon, self.sta_lon.max() + mlon
        self.lat0, self.lon0 = 0.5 * (la0 + la1), 0.5 * (lo0 + lo1)
        self.kx = KM_PER_DEG * math.cos(math.radians(self.lat0))
        self.sx, self.sy = self.xy(self.sta_lat, self.sta_lon)
        self.bounds = self.xy(np.array([la0, la1]), np.array([lo0, lo1]))
        self._table()
        self.grid = self._grid()
        self.slow_grid = 0.0
        self._tables = self._build_tables()  # at construction: shared read-only by threads

    def xy(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Equirectangular km east/north of the region centre (< 0.1 % error over 100 km)."""
        return (np.asarray(lon) - self.lon0) * self.kx, (np.asarray(lat) - self.lat0) * KM_PER_DEG

    def latlon(self, x: _F, y: _F) -> tuple[_F, _F]:
        """Latitude and longitude (degrees) of km ``x`` east, ``y`` north (inverse of xy)."""
        return self.lat0 + y / KM_PER_DEG, self.lon0 + x / self.kx

    def _table(self) -> None:
        self.tx = np.arange(0.0, 400.0, 0.25)
        self.tz = np.arange(0.0, 40.25, 0.25)
        x, z = np.meshgrid(self.tx, self.tz, indexing="ij")
        lay = self.cfg.layers
        self.tab = {w: lay.first_arrival(w, x, z) for w in ("P", "S")}

    def first(self, wave: str, x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bilinear time and slowness of the first ``wave`` from the table."""
        fx = np.clip(np.asarray(x) / 0.25, 0, self.tx.size - 1.001)
        fz = np.clip(np.asarray(z) / 0.25, 0, self.tz.size - 1.001)
        i, k = fx.astype(np.int64), fz.astype(np.int64)
        a, c = fx - i, fz - k
        out = []
        for tab in self.tab[wave]:
            v = (
                tab[i, k] * (1 - a) * (1 - c) + tab[i + 1, k] * a * (1 - c)
                + tab[i, k + 1] * (1 - a) * c + tab[i + 1, k + 1] * a * c
            )  # fmt: skip
            out.append(v)
        return out[0], out[1]

    def _grid(self) -> Grid:
        (x0, x1), (y0, y1) = self.bounds
        sp = self.cfg.local_spacing_km
        xs, ys = np.arange(x0, x1 + sp, sp), np.arange(y0, y1 + sp, sp)
        mx, my = np.meshgrid(xs, ys, indexing="ij")
        gx, gy = mx.ravel(), my.ravel()
        depths = np.asarray(self.cfg.local_depths, float)
        nd = len(depths)
        X, Y = np.tile(gx, nd), np.tile(gy, nd)
        Z = np.repeat(depths, gx.size)
        dz = max(np.diff(depths).max() if nd > 1 else 1.0, 1.0)
        pts = np.column_stack([X, Y, Z * (sp / dz)])
        ptr, nbr = _neighbours(pts, 1.5 * sp + 1e-6)
        lat, lon = self.latlon(X, Y)
        half_dz = 0.5 * dz
        cell = math.sqrt(2 * (0.5 * sp) ** 2 + half_dz**2)
        self.gx, self.gy = X, Y
        return Grid(np.asarray(lat), np.asarray(lon), Z, ptr, nbr, cell)

    def tables(self) -> Tables:
        """The stacking tables (node × station)."""
        return self._tables

    def _build_tables(self) -> Tables:
        """First P/S times and slownesses of every node at every station (layered)."""
        dx = self.gx[:, None] - self.sx[None, :]
        dy = self.gy[:, None] - self.sy[None, :]
        d = np.hypot(dx, dy)
        z = np.broadcast_to(self.grid.depth[:, None], d.shape)
        tp, pp = self.first("P", d, z)
        ts, ps = self.first("S", d, z)
        baz = np.degrees(np.arctan2(dx, dy)) % 360.0
        f32 = np.float32
        return Tables(
            tp.astype(f32), pp.astype(f32), ts.astype(f32), ps.astype(f32),
            baz.astype(f32), d.astype(f32), cell_azimuth_span(d, self.grid.cell),
        )  # fmt: skip

    def predict_xy(self, x: float, y: float, depth: float, idx: np.ndarray) -> Predicted:
        dx, dy = x - self.sx[idx], y - self.sy[idx]
        (tpt, tpp), (tst, tsp) = self.tab["P"], self.tab["S"]
        # Compiled, same bilinear figures as :meth:`first` (a call per candidate).
        tp, pp, ts, ps, d = kernels.local_first(dx, dy, float(depth), tpt, tpp, tst, tsp, 0.25)
        e = self.cfg.model_time_error
        baz = np.degrees(np.arctan2(dx, dy)) % 360.0
        return Predicted(
            ("P", "S"), np.array([0, 1]), np.array([tp, ts]), np.array([pp, ps]),
            np.array([np.full(d.shape, e), np.full(d.shape, 2 * e)]), d, baz, (baz + 180) % 360,
        )  # fmt: skip

    def predict(self, lat: float, lon: float, depth: float, idx: np.ndarray) -> Predicted:
        x, y = self.xy(np.array(lat), np.array(lon))
        return self.predict_xy(float(x), float(y), depth, idx)
