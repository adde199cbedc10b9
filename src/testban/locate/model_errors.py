"""A priori model errors: how well a 1-D model predicts each phase, by distance.

LocSAT (Bratt & Bache 1988, BSSA 78, 780–798) weights each datum by
1/sqrt(measurement error² + model error²), the model error being read from the
travel-time table of the phase as a function of distance (and azimuth/slowness model
errors from the station's slowness–azimuth correction file). The values below are the
IDC's *uncalibrated* (no source-specific station correction) model errors, read back from
an IDC bulletin: for every LocSAT assoc row ``wgt = 1 / sqrt(deltim² + σ_model²)``, so
σ_model = sqrt(1/wgt² − deltim²) (``shared/data/idc_ueb_2010140``: P ≈ 2.0 s at 5–20°,
1.4–1.6 s at 20–30°, 1.0–1.3 s at 40–90°, PKP 1.2–1.6 s; Pn/Pg ≈ 2.5–3 s and Lg
2–4 s at stations without regional corrections; Sn ≈ 5 s). They are properties of
the 1-D model, not of one data set, and are used unchanged everywhere.

Azimuth and slowness model errors: the IDC SASC tables give 5–10° and 0.6–1.5 s/° for
corrected array measurements (e.g. ARCES: corrected sdev 8.4°, 0.63 s/°; uncorrected
32°, 2.3 s/°, with outliers); we take 5° and 1.5 s/° (no SASC applied) and add the
measurement errors ``delaz``/``delslo`` in quadrature.

Correlated model errors (Bondár & McLaughlin 2009, BSSA 99, 172–193; the ISC's iLoc):
a 1-D model mispredicts the same phase at neighbouring stations by nearly the same amount
(their rays share the receiver-side crust and upper mantle), so a cluster of stations
carries less independent information than its count suggests. The covariance of the
model errors of the same phase at stations i, j is σᵢ σⱼ ρ(dᵢⱼ), with ρ the spherical
variogram model (1 − 1.5 q + 0.5 q³, q = d/range; positive definite in 3-D, zero beyond
the range) of the chord dᵢⱼ between the stations; different phases and measurement
errors are uncorrelated, as in iLoc. The range, 1000 km (:data:`BONDAR_RANGE_KM`), is
the station separation beyond which Bondár & McLaughlin's empirical P-residual variogram
(from ground-truth events) reaches its sill and iLoc sets the covariances to zero (value
as we recall it from the paper: not re-checked against the text here); it is of the size
of the upper-mantle structures (cratons, subduction zones) that dominate teleseismic
residual patterns. No nugget: co-located stations share their whole model error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from testban.records.earth import EARTH_RADIUS_KM

#: Range (km) of the correlation of the model errors of one phase between stations
#: (Bondár & McLaughlin 2009). Off by default (0): with the IDC's generic model errors and
#: no nugget, the 30 Japanese Pn stations of the DPRK data collapse into one datum of
#: σ = 2.6 s and the epicentres move 6–10 km towards the biased teleseismic P solution;
#: the IDC origins are unchanged or worse (``bench/locate_dprk.py``, BENCHMARKS.md).
#: ``LocatorConfig(correlation_range_km=BONDAR_RANGE_KM)`` switches it on.
BONDAR_RANGE_KM = 1000.0
CORRELATION_RANGE_KM = 0.0

#: Time model errors (s) per table phase: (distance nodes in °, σ), linear in between,
#: constant beyond the ends.
TIME_MODEL_ERRORS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "P": (
        (0, 5, 20, 25, 30, 40, 60, 80, 100, 180),
        (1.5, 2.0, 1.9, 1.55, 1.4, 1.25, 1.1, 1.0, 1.2, 1.5),
    ),
    "Pn": ((0, 2, 5, 10, 15, 20), (1.5, 2.5, 2.6, 2.6, 3.0, 3.0)),
    "Pg": ((0, 1, 2, 3, 4, 5, 10), (1.0, 1.5, 2.0, 2.5, 2.9, 3.2, 3.5)),
    "S": ((0, 5, 10, 15, 20, 30, 180), (2.0, 2.0, 3.4, 3.0, 2.5, 2.2, 2.2)),
    "Sn": ((0, 3, 5, 12, 20), (3.0, 4.5, 5.2, 6.0, 6.0)),
    "Lg": ((0, 1, 2, 3, 4, 5, 10, 20), (1.2, 1.7, 2.4, 3.0, 3.5, 3.8, 4.5, 5.0)),
    "Rg": ((0, 3), (1.5, 3.0)),
    "PKP": ((0, 180), (1.5, 1.5)),
    "pP": ((0, 180), (1.5, 1.5)),
    # sP: pP's plus its up-going S leg (1–2 % S-speed uncertainty over ≲ 150 s at 700 km)
    "sP": ((0, 180), (2.0, 2.0)),
    "LR": ((0, 180), (20.0, 60.0)),
    "T": ((0, 180), (5.0, 60.0)),
    "I": ((0, 10, 20, 180), (50.0, 400.0, 800.0, 5000.0)),
}  # fmt: skip

#: Distance grid (°) of the packed table the kernels interpolate.
GRID = np.arange(0.0, 180.5, 0.5)


@dataclass(frozen=True)
class ModelErrors:
    """A priori model errors for time (per phase and distance), azimuth and slowness."""

    time: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = field(
        default_factory=lambda: dict(TIME_MODEL_ERRORS)
    )
    azimuth: float = 5.0  # degrees
    slowness: float = 1.5  # s/°
    default_time: float = 2.0  # s, for a phase without a table

    def table(self, names: tuple[str, ...]) -> np.ndarray:
        """σ_time on :data:`GRID` for each kernel phase in ``names`` (shape (n, len(GRID)))."""
        rows = []
        for n in names:
            if n in self.time:
                x, y = self.time[n]
                rows.append(np.interp(GRID, x, y))
            else:
                rows.append(np.full(GRID.size, self.default_time))
        return np.ascontiguousarray(rows, dtype=float)

    def time_error(self, phase: str, delta: np.ndarray) -> np.ndarray:
        """σ_time (s) of ``phase`` (table name) at distances ``delta`` (°)."""
        if phase not in self.time:
            return np.full(np.shape(delta), self.default_time)
        x, y = self.time[phase]
        return np.interp(delta, x, y)


def spherical_correlation(dist_km: np.ndarray, range_km: float) -> np.ndarray:
    """Spherical variogram model as a correlation: 1 − 1.5 q + 0.5 q³ for q = d/range < 1."""
    q = np.asarray(dist_km, float) / max(range_km, 1e-300)
    return np.where(q < 1.0, 1.0 - 1.5 * q + 0.5 * q**3, 0.0)


def model_error_covariance(
    phases: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    sigma_model: np.ndarray,
    range_km: float = BONDAR_RANGE_KM,
) -> np.ndarray:
    """Covariance (s²) of the model errors of time data: σᵢ σⱼ ρ(chord) for the same phase.

    ``lat`` are geocentric latitudes (°). The locator's kernels use the same model
    (:func:`testban.locate.kernels.whitening`); this NumPy version serves simulations.
    """
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    xyz = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=1)
    chord = EARTH_RADIUS_KM * np.linalg.norm(xyz[:, None, :] - xyz[None, :, :], axis=2)
    ph = np.asarray(phases, dtype=object)
    rho = np.eye(ph.size)
    if range_km > 0:
        rho = np.where(ph[:, None] == ph[None, :], spherical_correlation(chord, range_km), 0.0)
        np.fill_diagonal(rho, 1.0)
    s = np.asarray(sigma_model, float)
    return rho * s[:, None] * s[None, :]
