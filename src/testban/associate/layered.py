"""First-arrival travel times in a 1-D model of flat homogeneous layers (local distances).

For a source at depth ``h`` and a receiver at the surface the first arrival is the earliest
of the direct wave (up through the layers above the source) and the head waves refracted
along the top of every faster layer below the source. Both are analytic for flat layers:
the head wave along the top of layer ``m`` takes ``x / v_m + Σ d_i sqrt(1/v_i² − 1/v_m²)``
(``d_i``: thickness of layer ``i`` crossed on the way down from the source plus on the
way up to the receiver), valid beyond its critical distance; the direct wave's ray
parameter ``p`` solves ``x = Σ d_i p v_i / sqrt(1 − p² v_i²)`` (monotone in ``p``, solved
by vectorised bisection). Earth curvature is ignored (< 0.1 s within 150 km).

The Hadley–Kanamori (1977) model for southern California is provided as
:data:`HADLEY_KANAMORI`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class LayeredModel:
    """Flat layers: ``tops`` (km, first 0) and P velocities (km/s); S = P / ``vp_vs``."""

    tops: tuple[float, ...]
    vp: tuple[float, ...]
    vp_vs: float = 1.73
    name: str = "layered"

    def velocities(self, wave: str) -> np.ndarray:
        """Layer velocities (km/s) of ``wave`` ("P" or "S")."""
        v = np.asarray(self.vp, float)
        return v if wave == "P" else v / self.vp_vs

    def first_arrival(
        self, wave: str, distance_km: ArrayLike, depth_km: ArrayLike
    ) -> tuple[np.ndarray, np.ndarray]:
        """Time (s) and horizontal slowness (s/km) of the first ``wave`` ("P"/"S")."""
        x, h = np.broadcast_arrays(
            np.abs(np.asarray(distance_km, float)), np.clip(np.asarray(depth_km, float), 0, None)
        )
        x, h = x.ravel(), h.ravel()
        v = self.velocities(wave)
        tops = np.asarray(self.tops, float)
        bottoms = np.append(tops[1:], np.inf)
        k = np.clip(np.searchsorted(tops, h, side="right") - 1, 0, len(v) - 1)
        # Thickness of each layer above the source crossed by the upgoing direct ray.
        thick_up = np.clip(np.minimum(bottoms[None, :], h[:, None]) - tops[None, :], 0, None)
        best_t, best_p = self._direct(x, thick_up, v)
        for m in range(1, len(v)):
            below = k < m  # head wave along the top of layer m needs the source above it
            faster = v[m] > v[:m].max()
            if not faster or not below.any():
                continue
            vm = v[m]
            down = np.clip(tops[m] - np.maximum(tops[None, :m], h[:, None]), 0, None)
            down = np.minimum(down, (bottoms[:m] - tops[:m])[None, :])
            d = (bottoms[:m] - tops[:m])[None, :] + down  # receiver leg + source leg
            cos_term = np.sqrt(1.0 / v[:m] ** 2 - 1.0 / vm**2)
            t = x / vm + (d * cos_term).sum(axis=1)
            sin_i = v[:m] / vm
            x_crit = (d * sin_i / np.sqrt(1.0 - sin_i**2)).sum(axis=1)
            ok = below & (x >= x_crit) & (t < best_t)
            best_t = np.where(ok, t, best_t)
            best_p = np.where(ok, 1.0 / vm, best_p)
        shape = np.broadcast(np.asarray(distance_km), np.asarray(depth_km)).shape
        return best_t.reshape(shape), best_p.reshape(shape)

    @staticmethod
    def _direct(x: np.ndarray, thick: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Direct upgoing wave: bisection on ``u = p · v_max`` of the crossed layers."""
        crossed = thick > 0
        vmax = np.where(crossed, v[None, :], 0.0).max(axis=1)
        vmax = np.where(vmax > 0, vmax, v[0])
        lo, hi = np.zeros_like(x), np.full_like(x, 1.0 - 1e-9)
        vv = v[None, :]
        for _ in range(40):
            u = 0.5 * (lo + hi)
            p = u / vmax
            s = np.clip(p[:, None] * vv, 0, 1.0 - 1e-12)
            xd = (thick * s / np.sqrt(1.0 - s**2)).sum(axis=1)
            small = xd < x
            lo, hi = np.where(small, u, lo), np.where(small, hi, u)
        p = 0.5 * (lo + hi) / vmax
        s = np.clip(p[:, None] * vv, 0, 1.0 - 1e-12)
        t = (thick / (vv * np.sqrt(1.0 - s**2))).sum(axis=1)
        # A surface source at zero depth: the wave runs along the top layer.
        flat = thick.sum(axis=1) <= 1e-9
        t = np.where(flat, x / v[0], t)
        p = np.where(flat, 1.0 / v[0], p)
        # Correct the residual of the bisection along the ray (x − x(p)) · p.
        xd = (thick * s / np.sqrt(1.0 - s**2)).sum(axis=1)
        t = np.where(flat, t, t + (x - xd) * p)
        return t, p


#: Hadley & Kanamori (1977) southern California model: 5.5 km/s to 5.5 km depth, 6.3 to
#: 16 km, 6.7 to 32 km (Moho), 7.8 below; Vp/Vs 1.73. The model of the Salton Sea
#: comparison (the one PyOcto's benchmark uses).
HADLEY_KANAMORI = LayeredModel(
    tops=(0.0, 5.5, 16.0, 32.0), vp=(5.5, 6.3, 6.7, 7.8), vp_vs=1.73, name="hk1977"
)
