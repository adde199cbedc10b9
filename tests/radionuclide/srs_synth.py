"""A synthetic SRS case for the PSR and transport-fusion tests: a 0.5° grid around the
Korean peninsula, 3-hourly release intervals, seven receptors with 12-hour samples and a
wind that turns every 12 hours (:mod:`testban.simulate.plume`)."""

from __future__ import annotations

import numpy as np

from testban.io.srs import Receptor, SourceReceptor
from testban.radionuclide.psr import Measurements
from testban.simulate.plume import gaussian_puff_srs, grid_cells

HOUR = 3600.0
T0 = 1_360_000_000.0  # 2013-02-04 17:46:40 UTC
STATIONS = [(36.3, 139.1), (43.8, 131.9), (39.9, 116.4), (35.0, 126.0), (45.0, 125.0),
            (38.0, 133.0), (42.0, 122.0)]  # fmt: skip


def case(seed: int = 1, n_times: int = 24, n_samples: int = 10) -> SourceReceptor:
    """The SRS of the case (cells 39–43°N, 126–132°E, ``n_times`` × 3 h from T0)."""
    rng = np.random.default_rng(seed)
    cells = grid_cells(39.0, 43.0, 126.0, 132.0, 0.5, T0, n_times, 3 * HOUR)
    rec = [Receptor(f"S{k}_{j}", f"S{k}", la, lo, T0 + j * 12 * HOUR, T0 + (j + 1) * 12 * HOUR)
           for k, (la, lo) in enumerate(STATIONS) for j in range(n_samples)]  # fmt: skip
    wt = T0 + np.arange(0.0, (n_samples + 2) * 12 * HOUR, 12 * HOUR)
    ang = rng.uniform(0.0, 2 * np.pi, wt.size)
    speed = rng.uniform(4.0, 12.0, wt.size)
    return gaussian_puff_srs(rec, cells, wt, speed * np.cos(ang), speed * np.sin(ang))


def release(sr: SourceReceptor, cell: int, q: float = 1e15, noise: float = 0.3,
            seed: int = 0, mdc_fraction: float = 1e-4) -> Measurements:  # fmt: skip
    """Measurements of a release of ``q`` Bq in ``cell``: log-normal noise (σ ``noise``),
    a common MDC of ``mdc_fraction`` × the largest concentration."""
    rng = np.random.default_rng(seed)
    y = sr.matrix[:, cell] * q * np.exp(rng.normal(0.0, noise, sr.n_samples))
    mdc = np.full(y.size, mdc_fraction * y.max())
    det = y > mdc
    return Measurements(np.where(det, y, np.nan), mdc, det)
