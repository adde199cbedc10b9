"""Three-component P-wave polarisation: back-azimuth, emergence angle, rectilinearity.

Covariance-matrix analysis (Montalbetti & Kanasewich 1970; Jurkevics 1988, BSSA 78,
1725-1743): the 3 x 3 covariance of the east, north and vertical samples in a window
after the onset is diagonalised; for a P wave the eigenvector ``u`` of the largest
eigenvalue is the direction of particle motion, i.e. of propagation. With ``u`` signed
so that its vertical component is upward, its horizontal part points away from the
source, so the back-azimuth is ``atan2(-u_e, -u_n)``: this is the same as resolving the
180° ambiguity of the horizontal particle motion with the sign of the vertical-radial
correlation (positive for an upgoing P wave).

* ``rect`` (Jurkevics 1988, eq. 5): ``1 - (l2 + l3) / (2 l1)``, 1 for purely linear motion.
* ``ema`` (CSS3.0 ``arrival.ema``): apparent emergence angle, degrees from the
  vertical, ``acos(|u_z|)``. It is the angle of the particle motion, which at the free
  surface differs from the ray's true incidence angle (Nuttli 1961).
* ``delaz``: half-angle of the horizontal particle-motion ellipse,
  ``atan(sqrt(h2 / h1))`` from the eigenvalues ``h1 >= h2`` of the horizontal covariance:
  0° for linear motion, 45° for isotropic noise.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from testban.features.amplitude import bandpass_window


class Polarization(NamedTuple):
    """3-C feature measurement of one arrival (CSS3.0 ``arrival`` names)."""

    azimuth: float
    """Back-azimuth, degrees clockwise from north, [0, 360)."""
    delaz: float
    """Uncertainty of ``azimuth``, degrees (half-angle of the horizontal ellipse)."""
    ema: float
    """Apparent emergence angle of the particle motion, degrees from the vertical."""
    rect: float
    """Rectilinearity, 0 (isotropic) to 1 (linear)."""


def covariance_polarization(z: np.ndarray, n: np.ndarray, e: np.ndarray) -> Polarization:
    """Polarisation of a window of 3-C samples (already filtered and cut).

    :param z, n, e: vertical (up), north and east ground motion, same units and length.
    """
    x = np.vstack([np.asarray(e, float), np.asarray(n, float), np.asarray(z, float)])
    x = x - x.mean(axis=1, keepdims=True)
    cov = x @ x.T / max(x.shape[1], 1)
    lam, vec = np.linalg.eigh(cov)  # ascending
    l3, l2, l1 = lam
    if not l1 > 0:
        return Polarization(math.nan, math.nan, math.nan, math.nan)
    u = vec[:, 2]
    if u[2] < 0:
        u = -u
    azimuth = math.degrees(math.atan2(-u[0], -u[1])) % 360.0
    ema = math.degrees(math.acos(min(abs(float(u[2])), 1.0)))
    rect = 1.0 - (max(l2, 0.0) + max(l3, 0.0)) / (2.0 * l1)
    h = np.linalg.eigvalsh(cov[:2, :2])
    delaz = math.degrees(math.atan(math.sqrt(max(h[0], 0.0) / h[1]))) if h[1] > 0 else 180.0
    return Polarization(azimuth, delaz, ema, float(rect))


def polarization(
    z: np.ndarray,
    n: np.ndarray,
    e: np.ndarray,
    fs: float,
    onset_index: float,
    *,
    window: float = 2.0,
    band: tuple[float, float] | None = None,
) -> Polarization:
    """P-wave back-azimuth, emergence angle and rectilinearity at a 3-C station.

    :param z, n, e: vertical (positive up), north and east traces on a common time base
        (any common unit; rotate BH1/BH2 to north/east first).
    :param fs: sampling rate, Hz.
    :param onset_index: sample index (fractional allowed) of the P onset.
    :param window: length of the analysis window from the onset, s.
    :param band: optional zero-phase 3rd-order Butterworth pass band, Hz, applied first
        (the traces are taken as already filtered when None).
    :returns: :class:`Polarization`; all nan when the window holds no motion.
    """
    start = float(onset_index)
    end = onset_index + window * fs
    if band is not None:
        x, _ = bandpass_window(np.vstack([z, n, e]), fs, start, end, band)
        return covariance_polarization(x[0], x[1], x[2])
    i0 = max(int(round(start)), 0)
    i1 = int(round(end))
    return covariance_polarization(z[i0:i1], n[i0:i1], e[i0:i1])
