"""Station slowness/azimuth corrections for arrays (in the manner of the IDC's SASC).

Measured array back-azimuths and slownesses deviate from the predictions of a radial
Earth model by amounts that depend on the array (structure under it, mostly) and on the
direction and slowness of the incoming wave (e.g. Krüger & Weber 1992 for GRF; Bondár
et al. 1999 for the IDC's slowness-azimuth station corrections, SASC). A correction
table gives, on a grid of (back-azimuth, slowness) nodes, the amounts ``daz`` (°) and
``dslow`` (s/°) to ADD to a measurement; between nodes they are interpolated bilinearly
(periodic in azimuth; constant beyond the slowness range).

No values ship with testban: a table must come from measurements of well-located events
at that array (calibration), never be tuned to a benchmark. CSV form, one node a line::

    azimuth,slow,daz,dslow
    0,5,0.0,0.0
    ...

with the nodes forming a full grid (every azimuth with every slowness).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class SlownessAzimuthCorrection:
    """Slowness/azimuth corrections of one array on a (slowness, azimuth) grid.

    :param azimuth: (n_az,) increasing back-azimuth nodes, degrees in [0, 360).
    :param slow: (n_slow,) increasing slowness nodes, s/°.
    :param daz: (n_slow, n_az) back-azimuth corrections, degrees (added).
    :param dslow: (n_slow, n_az) slowness corrections, s/° (added).
    """

    azimuth: np.ndarray
    slow: np.ndarray
    daz: np.ndarray
    dslow: np.ndarray

    def __post_init__(self) -> None:
        az = np.asarray(self.azimuth, dtype=float)
        sl = np.asarray(self.slow, dtype=float)
        shape = (sl.size, az.size)
        daz = np.asarray(self.daz, dtype=float).reshape(shape)
        dslow = np.asarray(self.dslow, dtype=float).reshape(shape)
        if az.size < 1 or sl.size < 1:
            raise ValueError("need at least one azimuth and one slowness node")
        if np.any(np.diff(az) <= 0) or az[0] < 0 or az[-1] >= 360:
            raise ValueError("azimuth nodes must increase within [0, 360)")
        if np.any(np.diff(sl) <= 0):
            raise ValueError("slowness nodes must increase")
        for name, v in (("azimuth", az), ("slow", sl), ("daz", daz), ("dslow", dslow)):
            object.__setattr__(self, name, v)

    @classmethod
    def constant(cls, daz: float, dslow: float) -> SlownessAzimuthCorrection:
        """One correction for every direction (a single mislocation vector)."""
        return cls(np.array([0.0]), np.array([0.0]), np.array([[daz]]), np.array([[dslow]]))

    @classmethod
    def from_csv(cls, path: str | Path) -> SlownessAzimuthCorrection:
        """Read ``azimuth,slow,daz,dslow`` rows forming a full grid (see module doc)."""
        with open(path, newline="") as fh:
            rows = [
                (float(r["azimuth"]) % 360.0, float(r["slow"]), float(r["daz"]), float(r["dslow"]))
                for r in csv.DictReader(fh)
            ]
        if not rows:
            raise ValueError(f"{path}: no correction rows")
        az = np.unique([r[0] for r in rows])
        sl = np.unique([r[1] for r in rows])
        daz = np.full((sl.size, az.size), np.nan)
        dslow = np.full_like(daz, np.nan)
        for a, s, da, ds in rows:
            i, j = int(np.searchsorted(sl, s)), int(np.searchsorted(az, a))
            daz[i, j], dslow[i, j] = da, ds
        if np.isnan(daz).any():
            raise ValueError(f"{path}: nodes do not form a full azimuth x slowness grid")
        return cls(az, sl, daz, dslow)

    def at(self, azimuth: float, slow: float) -> tuple[float, float]:
        """Interpolated (daz °, dslow s/°) for a measured back-azimuth and slowness."""
        az = np.asarray(self.azimuth)
        sl = np.asarray(self.slow)
        # azimuth: periodic linear interpolation
        if az.size == 1:
            ja, jb, wa = 0, 0, 1.0
        else:
            a = azimuth % 360.0
            jb = int(np.searchsorted(az, a, side="right")) % az.size
            ja = (jb - 1) % az.size
            span = (az[jb] - az[ja]) % 360.0 or 360.0
            wa = 1.0 - ((a - az[ja]) % 360.0) / span
        # slowness: linear inside the nodes, constant outside
        if sl.size == 1 or slow <= sl[0]:
            ia, ib, ws = 0, 0, 1.0
        elif slow >= sl[-1]:
            ia, ib, ws = sl.size - 1, sl.size - 1, 1.0
        else:
            ib = int(np.searchsorted(sl, slow, side="right"))
            ia = ib - 1
            ws = 1.0 - (slow - sl[ia]) / (sl[ib] - sl[ia])

        def interp(t: np.ndarray) -> float:
            lo = wa * t[ia, ja] + (1.0 - wa) * t[ia, jb]
            hi = wa * t[ib, ja] + (1.0 - wa) * t[ib, jb]
            return float(ws * lo + (1.0 - ws) * hi)

        return interp(np.asarray(self.daz)), interp(np.asarray(self.dslow))

    def apply(self, azimuth: float, slow: float) -> tuple[float, float]:
        """Corrected (back-azimuth °, slowness s/°); nan in, nan out."""
        if not (math.isfinite(azimuth) and math.isfinite(slow)):
            return azimuth, slow
        daz, dslow = self.at(azimuth, slow)
        return (azimuth + daz) % 360.0, max(slow + dslow, 0.0)
