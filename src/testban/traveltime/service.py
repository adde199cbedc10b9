"""The travel-time service: vectorised predictions of time, slowness and dT/dh per phase.

Body phases come from the TauP tables of :mod:`testban.traveltime.tables`, interpolated
with cubic Hermite polynomials in distance (exact slowness as slope) and in depth
(dT/dh as slope), so the returned slowness and dT/dh are the exact derivatives of the
returned time — what a least-squares locator needs for a consistent Jacobian.
Guided and surface waves and the hydroacoustic/infrasound phases travel at a constant
group velocity along the surface (see :data:`CONSTANT_SPEED`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from testban.records.earth import KM_PER_DEG
from testban.traveltime.tables import Tables, get_tables

#: Mean Earth radius (km) used to turn degrees into surface path length.


@dataclass(frozen=True)
class ConstantSpeed:
    """A phase timed by a constant group velocity along the surface."""

    speed: float  # km/s
    max_delta: float  # degrees beyond which the phase is not observed
    max_depth: float  # km; deeper sources do not excite it
    note: str


#: Group velocities (km/s). Lg: 3.5, the crustal S guided wave, observed to ~20° on
#: continental paths (Båth 1954; Kennett 1986 "Lg waves and structural boundaries").
#: Rg: 3.0, short-period fundamental Rayleigh wave in the upper crust, only from very
#: shallow sources and to ~3°. LR: 3.5, global mean group velocity of ~20 s Rayleigh waves
#: (about 3.0–3.3 on continents, 3.7–3.9 across oceans; e.g. Ekström 2011 GDM52 maps);
#: the IDC's Ms window is a group-velocity range around it. T: 1.485, sound speed in the
#: SOFAR channel axis (Munk 1974). I: 0.30, typical stratospheric infrasound celerity
#: (0.28–0.31, Brachet et al. 2010).
CONSTANT_SPEED: dict[str, ConstantSpeed] = {
    "Lg": ConstantSpeed(3.5, 20.0, 40.0, "crustal guided S"),
    "Rg": ConstantSpeed(3.0, 3.0, 10.0, "short-period fundamental Rayleigh"),
    "LR": ConstantSpeed(3.5, 180.0, np.inf, "20 s Rayleigh"),
    "T": ConstantSpeed(1.485, 180.0, np.inf, "hydroacoustic (SOFAR)"),
    "I": ConstantSpeed(0.30, 180.0, np.inf, "infrasound (stratospheric)"),
}

#: Sound speed (km/s) in the top of the ocean for pwP's water legs: 1.5, the mean of
#: 1.48–1.54 at the sea surface (Munk 1974); ±0.03 changes a 4 km water column's two-way
#: time by ±0.1 s.
WATER_SPEED = 1.5


def pwp_delay(slowness: ArrayLike, water_km: ArrayLike, speed: float = WATER_SPEED) -> np.ndarray:
    """pwP − pP (s): the two-way time in a water column of ``water_km`` above the source.

    pwP is pP reflected at the sea surface instead of the sea floor. TauP cannot give it
    (ObsPy's TauP refuses a model with a fluid top layer: "Unable to handle zero S velocity
    layers at surface"), and iasp91/ak135 have no ocean, so the water legs are added to
    the model's pP: a ray of horizontal slowness p = ``slowness``/111.19 s/km crosses a
    flat layer of thickness w twice with vertical slowness sqrt(1/v² − p²), hence
    2 w sqrt(1/v² − p²) (flat layer: w ≪ R, the curvature term is < 1e-3 of it). The
    source depth stays measured from the model's surface (the sea floor).
    """
    p = np.asarray(slowness, float) / KM_PER_DEG
    w = np.asarray(water_km, float)
    eta = np.sqrt(np.clip(1.0 / speed**2 - p**2, 0.0, None))
    return np.where(w > 0, 2.0 * w * eta, 0.0)


#: Phase families for :meth:`TravelTimes.first_arrival`.
P_TYPES = ("P", "Pn", "Pg", "PKP")
S_TYPES = ("S", "Sn", "Lg")


class Prediction(NamedTuple):
    """Predicted travel time (s), slowness dT/dΔ (s/°) and dT/dh (s/km); NaN if none."""

    time: np.ndarray
    slowness: np.ndarray
    dtdh: np.ndarray


def _hermite(s: np.ndarray, h: np.ndarray, y0, y1, d0, d1) -> tuple[np.ndarray, np.ndarray]:
    """Cubic Hermite value and derivative on a cell of width ``h`` at fraction ``s``."""
    s2, s3 = s * s, s * s * s
    y = (
        (2 * s3 - 3 * s2 + 1) * y0
        + (s3 - 2 * s2 + s) * h * d0
        + (3 * s2 - 2 * s3) * y1
        + (s3 - s2) * h * d1
    )
    dy = (6 * s2 - 6 * s) * (y0 - y1) / h + (3 * s2 - 4 * s + 1) * d0 + (3 * s2 - 2 * s) * d1
    return y, dy


class TravelTimes:
    """Travel times of seismic, hydroacoustic and infrasound phases for one Earth model.

    >>> tt = TravelTimes("iasp91")
    >>> tt.predict("P", [30.0, 60.0], [0.0, 100.0]).time      # doctest: +SKIP
    """

    def __init__(self, model: str = "iasp91", *, tables: Tables | None = None):
        raw = tables if tables is not None else get_tables(model)
        self.model = raw.model
        self._t = raw
        self._index = {p: raw.branches(p) for p in raw.phases}
        self.body_phases: tuple[str, ...] = raw.phases
        self.phases: tuple[str, ...] = raw.phases + tuple(CONSTANT_SPEED)

    @property
    def max_depth(self) -> float:
        """Deepest tabulated source (km)."""
        return float(self._t.depths[-1])

    def predict(self, phase: str, delta: ArrayLike, depth: ArrayLike) -> Prediction:
        """Time, slowness and dT/dh of ``phase`` at distances (°) and depths (km).

        Arrays broadcast; NaN where the phase does not exist (out of its distance range,
        or e.g. Pn from below the Moho).
        """
        d, h = np.broadcast_arrays(np.asarray(delta, float), np.asarray(depth, float))
        if phase in CONSTANT_SPEED:
            return self._constant(CONSTANT_SPEED[phase], d, h)
        if phase not in self._index:
            raise KeyError(f"unknown phase {phase!r}; known: {', '.join(self.phases)}")
        preds = [self._branch(b, d.ravel(), h.ravel()) for b in self._index[phase]]
        times = np.stack([p.time for p in preds])
        best = np.argmin(np.where(np.isnan(times), np.inf, times), axis=0)
        out = [np.take_along_axis(np.stack(c), best[None], 0)[0] for c in zip(*preds, strict=True)]
        return Prediction(*(a.reshape(d.shape) for a in out))

    def predict_pwp(self, delta: ArrayLike, depth: ArrayLike, water_km: ArrayLike) -> Prediction:
        """pwP: pP plus the two-way time in ``water_km`` of ocean (:func:`pwp_delay`).

        Slowness and dT/dh are pP's (the water legs depend on neither Δ nor depth to first
        order: d(2wη)/dΔ is < 1e-3 s/° for w ≤ 6 km).
        """
        pp = self.predict("pP", delta, depth)
        return Prediction(pp.time + pwp_delay(pp.slowness, water_km), pp.slowness, pp.dtdh)

    def time(self, phase: str, delta: ArrayLike, depth: ArrayLike) -> np.ndarray:
        """Travel time (s) of ``phase``; NaN where it does not exist."""
        return self.predict(phase, delta, depth).time

    def first_arrival(
        self, delta: ArrayLike, depth: ArrayLike, phases: tuple[str, ...] = P_TYPES
    ) -> tuple[Prediction, np.ndarray]:
        """The earliest of ``phases`` per point, and its name ("" where none exists)."""
        preds = [self.predict(p, delta, depth) for p in phases]
        times = np.stack([p.time for p in preds])
        none = np.all(np.isnan(times), axis=0)
        best = np.argmin(np.where(np.isnan(times), np.inf, times), axis=0)
        pick = [np.take_along_axis(np.stack(c), best[None], 0)[0] for c in zip(*preds, strict=True)]
        names = np.where(none, "", np.asarray(phases)[best])
        return Prediction(*pick), names

    # ------------------------------------------------------------------------ internals

    @staticmethod
    def _constant(c: ConstantSpeed, d: np.ndarray, h: np.ndarray) -> Prediction:
        ok = (d >= 0) & (d <= c.max_delta) & (h <= c.max_depth) & (h >= -10.0)
        slow = KM_PER_DEG / c.speed
        nan = np.full(d.shape, np.nan)
        return Prediction(
            np.where(ok, d * slow, nan), np.where(ok, slow, nan), np.where(ok, 0.0, nan)
        )

    def _branch(self, k: int, d: np.ndarray, h: np.ndarray) -> Prediction:
        """One branch: Hermite in Δ on the two depth rows, then Hermite in depth."""
        t = self._t
        xs, zs = t.distances, t.depths
        # Sources a little above sea level (on land) are treated as at the surface.
        h = np.where((h < 0) & (h > -10.0), 0.0, h)
        inside = (d >= 0) & (d <= xs[-1]) & (h >= 0) & (h <= zs[-1])
        d, h = np.where(inside, d, 0.0), np.where(inside, h, 0.0)
        i = np.clip(np.searchsorted(xs, d, side="right") - 1, 0, xs.size - 2)
        j = np.clip(np.searchsorted(zs, h, side="right") - 1, 0, zs.size - 2)
        dx, dz = xs[i + 1] - xs[i], zs[j + 1] - zs[j]
        sx, sz = (d - xs[i]) / dx, (h - zs[j]) / dz

        def along(jj: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, ...]:
            """Time, slowness, dT/dh and its Δ-derivative on depth row ``jj``."""
            tm, sl = t.time[k], t.slowness[k]
            y, dy = _hermite(sx, dx, tm[i, jj], tm[i + 1, jj], sl[i, jj], sl[i + 1, jj])
            g0, g1 = g[k][i, jj], g[k][i + 1, jj]
            return y, dy, g0 + sx * (g1 - g0), (g1 - g0) / dx

        ya, pa, ga, gxa = along(j, t.dtdh_below)  # upper row: slope into the cell below it
        yb, pb, gb, gxb = along(j + 1, t.dtdh_above)  # lower row: slope from the cell above
        time, dtdh = _hermite(sz, dz, ya, yb, ga, gb)
        s2, s3 = sz * sz, sz * sz * sz
        slow = (
            (2 * s3 - 3 * s2 + 1) * pa
            + (s3 - 2 * s2 + sz) * dz * gxa
            + (3 * s2 - 2 * s3) * pb
            + (s3 - s2) * dz * gxb
        )

        ok_a, ok_b = np.isfinite(t.dmin[k, j]), np.isfinite(t.dmin[k, j + 1])
        # A depth row where the phase does not exist: extrapolate from the other row along
        # its one-sided dT/dh (exact in a constant-velocity layer, e.g. Pn below 27.5 km).
        only_a, only_b = ok_a & ~ok_b, ok_b & ~ok_a
        time = np.where(only_a, ya + ga * (h - zs[j]), time)
        time = np.where(only_b, yb + gb * (h - zs[j + 1]), time)
        slow = np.where(only_a, pa, np.where(only_b, pb, slow))
        dtdh = np.where(only_a, ga, np.where(only_b, gb, dtdh))
        w = np.where(only_a, 0.0, np.where(only_b, 1.0, sz))
        rows = []
        for bound in (t.dmin[k], t.dmax[k]):
            ea, eb = bound[j], bound[j + 1]
            a, b = np.where(ok_a, ea, eb), np.where(ok_b, eb, ea)  # a missing row takes the other
            rows.append(a * (1 - w) + b * w)
        lo, hi = rows
        valid = inside & (ok_a | ok_b) & (d >= lo - 1e-6) & (d <= hi + 1e-6)
        valid &= np.isfinite(time)
        return Prediction(*(np.where(valid, a, np.nan) for a in (time, slow, dtdh)))


@lru_cache(maxsize=4)
def travel_times(model: str = "iasp91") -> TravelTimes:
    """A shared :class:`TravelTimes` per model (tables are loaded once per process)."""
    return TravelTimes(model)
