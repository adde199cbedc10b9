"""Travel-time tables packed for the locator's compiled kernels, and mixed-phase predictions.

The locator evaluates many phases at once (P at one station, Lg at the next), so it needs
one call that predicts time, slowness, dT/dh and the slowness derivatives for an array of
*mixed* phase names. :class:`PhaseTables` packs the TauP tables of
:mod:`testban.traveltime` (same grid, same cubic Hermite interpolation, so predictions
agree with :meth:`testban.traveltime.TravelTimes.predict`) into plain arrays that the
Numba kernels of :mod:`testban.locate.kernels` read; constant-speed phases (Lg, Rg, LR,
T, I) use the group velocities of :data:`testban.traveltime.CONSTANT_SPEED`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from numpy.typing import ArrayLike

from testban.traveltime import CONSTANT_SPEED, get_tables

#: IDC/IASPEI phase names and the table phase that predicts them. PKP branches are all
#: predicted by the first core arrival (PKPdf where it exists), H (hydroacoustic at a
#: hydrophone) travels as T, Sg as Lg (both the crustal S group), Pb/P* as Pg.
PHASE_ALIASES: dict[str, str] = {
    "P": "P", "p": "P", "Pn": "Pn", "Pg": "Pg", "Pb": "Pg", "P*": "Pg",
    "S": "S", "s": "S", "Sn": "Sn", "Lg": "Lg", "Sg": "Lg", "Sb": "Lg", "S*": "Lg", "Rg": "Rg",
    "LR": "LR", "PKP": "PKP", "PKPdf": "PKP", "PKIKP": "PKP", "PKPbc": "PKP", "PKPab": "PKP",
    "PKiKP": "PKP", "pP": "pP", "sP": "sP", "T": "T", "H": "T", "I": "I",
}  # fmt: skip
# pwP (pP reflected at the sea surface) has no entry: its time needs the water depth above
# the source (:meth:`testban.traveltime.TravelTimes.predict_pwp`), so it is never defining.

#: Table phases that are P waves at the receiver (for the elevation correction).
P_LIKE = ("P", "Pn", "Pg", "PKP", "pP", "sP")
#: Depth phases (CSS3.0 ``origin.ndp`` counts them; they make ``dtype`` "d").
DEPTH_PHASES = ("pP", "sP")

#: Surface velocities (km/s) below the receiver for the elevation correction: the upper
#: crust of iasp91 (Kennett & Engdahl 1991), P 5.80, S 3.36.
SURFACE_VP = 5.80
SURFACE_VS = 3.36


def canonical_phase(phase: str) -> str | None:
    """The table phase that predicts ``phase`` (IDC/IASPEI name), or None if unsupported."""
    return PHASE_ALIASES.get(phase.strip())


@dataclass(frozen=True)
class PhaseTables:
    """One model's travel-time tables as flat arrays for the compiled kernels.

    ``codes`` maps a table phase (``P``, ``Lg`` …) to the integer the kernels use;
    body phase ``c`` owns branches ``branch[start[c]:start[c+1]]``; a constant-speed phase
    has ``speed[c] > 0``.
    """

    model: str
    names: tuple[str, ...]
    distances: np.ndarray
    depths: np.ndarray
    time: np.ndarray
    slowness: np.ndarray
    dtdh_below: np.ndarray
    dtdh_above: np.ndarray
    dmin: np.ndarray
    dmax: np.ndarray
    reach_lo: np.ndarray  # (nb,) smallest distance any depth row of the branch reaches
    reach_hi: np.ndarray
    start: np.ndarray
    branch: np.ndarray
    speed: np.ndarray
    max_delta: np.ndarray
    max_depth: np.ndarray
    vsurf: np.ndarray  # km/s below the receiver (0: no elevation correction)

    @cached_property
    def codes(self) -> dict[str, int]:
        """Table phase name → kernel code."""
        return {n: i for i, n in enumerate(self.names)}

    @cached_property
    def _alias_codes(self) -> dict[str, int]:
        return {a: self.codes.get(n, -1) for a, n in PHASE_ALIASES.items()}

    def code(self, phase: str) -> int:
        """Kernel code of an IDC/IASPEI phase name; -1 when it cannot be predicted."""
        return self._alias_codes.get(phase.strip(), -1)

    def codes_of(self, phases: Iterable[str]) -> np.ndarray:
        """Kernel codes of many phase names (int64 array)."""
        get = self._alias_codes.get
        return np.array([get(str(p).strip(), -1) for p in phases], dtype=np.int64)

    def kernel_args(self) -> tuple:
        """The arrays in the order the kernels take them."""
        return (
            self.distances, self.depths, self.time, self.slowness, self.dtdh_below,
            self.dtdh_above, self.dmin, self.dmax, self.reach_lo, self.reach_hi, self.start,
            self.branch, self.speed, self.max_delta, self.max_depth, self.vsurf,
        )  # fmt: skip

    def predict(
        self, phases: ArrayLike, delta: ArrayLike, depth: ArrayLike
    ) -> tuple[np.ndarray, ...]:
        """Time, slowness, dT/dh, dp/dΔ, dp/dh for mixed ``phases`` (NaN where none).

        ``phases`` are IDC/IASPEI names; arrays broadcast.
        """
        from testban.locate.kernels import predict_many

        ph, d, h = np.broadcast_arrays(np.asarray(phases, dtype=object), delta, depth)
        codes = self.codes_of(ph.ravel())
        out = predict_many(
            codes, np.ascontiguousarray(d, float).ravel(), np.ascontiguousarray(h, float).ravel(),
            *self.kernel_args(),
        )  # fmt: skip
        return tuple(a.reshape(d.shape) for a in out)


@lru_cache(maxsize=4)
def phase_tables(model: str = "iasp91") -> PhaseTables:
    """The packed tables of ``model`` (built once per process)."""
    t = get_tables(model)
    body = list(t.phases)
    names = tuple(body + list(CONSTANT_SPEED))
    bphase = np.asarray(t.branch_phase)
    start, branch = [0], []
    for name in names:
        idx = np.flatnonzero(bphase == name) if name in body else np.array([], int)
        branch.extend(idx.tolist())
        start.append(len(branch))
    speed = np.array([CONSTANT_SPEED[n].speed if n in CONSTANT_SPEED else 0.0 for n in names])
    maxd = np.array([CONSTANT_SPEED[n].max_delta if n in CONSTANT_SPEED else 180.0 for n in names])
    maxh = np.array([CONSTANT_SPEED[n].max_depth if n in CONSTANT_SPEED else 800.0 for n in names])
    maxh = np.where(np.isfinite(maxh), maxh, 1e9)
    vsurf = np.array(
        [SURFACE_VP if n in P_LIKE else (0.0 if n in ("T", "I") else SURFACE_VS) for n in names]
    )
    with np.errstate(all="ignore"):
        lo = np.nanmin(np.where(np.isfinite(t.dmin), t.dmin, np.nan), axis=1) - 1.0
        hi = np.nanmax(np.where(np.isfinite(t.dmax), t.dmax, np.nan), axis=1) + 1.0
    c = np.ascontiguousarray
    return PhaseTables(
        t.model, names, c(t.distances), c(t.depths), c(t.time), c(t.slowness),
        c(t.dtdh_below), c(t.dtdh_above), c(t.dmin), c(t.dmax),
        c(np.nan_to_num(lo, nan=1e9)), c(np.nan_to_num(hi, nan=-1e9)),
        np.array(start, np.int64), np.array(branch, np.int64), speed, maxd, maxh, vsurf,
    )  # fmt: skip
