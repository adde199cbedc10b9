"""Synthetic source–receptor sensitivities: a Gaussian puff in a uniform, unsteady wind.

A documented toy kernel for tests and benchmarks of the possible-source-region analysis
and the transport fusion — not a transport model. Air released at place x_c and time τ
moves with a wind U(t) that is the same everywhere but changes in time (piecewise
constant between ``wind_t`` breakpoints), so its centre at time t is
x_c + D(τ, t), D = ∫_τ^t U ds; it spreads as a horizontal Gaussian of width
σ(Δt) = σ0 + g·Δt (Δt = t − τ) and is mixed uniformly over a boundary layer of height
H. The concentration at receptor x_r per unit release is

    c = exp(−|x_r − x_c − D|² / 2σ²) / (2π σ² H)    (m⁻³ per Bq),

averaged over the sample's collection window and over the release interval (uniform
release rate), by the midpoint rule. Contributions beyond 4σ are cut to zero, as SRS
files list only non-zero cells. Distances are taken on a local equirectangular plane
about each receptor (good to ~1 % within ~1000 km at mid-latitudes). Radioactive decay
can be added with ``decay_per_s``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from testban.io.srs import Receptor, ReleaseCells, SourceReceptor

#: Metres per degree of latitude.
M_PER_DEG = 111_195.0


def wind_displacement(
    t: np.ndarray, wind_t: np.ndarray, wind_u: np.ndarray, wind_v: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative displacement (m east, m north) of air at times ``t`` since
    ``wind_t[0]``, for a wind (m/s) constant from ``wind_t[k]`` to ``wind_t[k+1]``
    (the first value held before, the last after)."""
    wt = np.asarray(wind_t, float)
    u = np.asarray(wind_u, float)
    v = np.asarray(wind_v, float)
    dt = np.diff(wt)
    xe = np.concatenate([[0.0], np.cumsum(u[:-1] * dt)])
    xn = np.concatenate([[0.0], np.cumsum(v[:-1] * dt)])
    tt = np.asarray(t, float)
    k = np.clip(np.searchsorted(wt, tt, side="right") - 1, 0, wt.size - 1)
    return xe[k] + u[k] * (tt - wt[k]), xn[k] + v[k] * (tt - wt[k])


def gaussian_puff_srs(
    receptors: Sequence[Receptor],
    cells: ReleaseCells,
    wind_t: np.ndarray,
    wind_u: np.ndarray,
    wind_v: np.ndarray,
    sigma0_m: float = 10e3,
    growth_m_per_s: float = 0.5,
    mixing_height_m: float = 1000.0,
    decay_per_s: float = 0.0,
    n_release: int = 3,
    n_sample: int = 8,
) -> SourceReceptor:
    """The sensitivities of ``receptors`` to ``cells`` under the puff kernel (module
    docstring); defaults: σ0 = 10 km, growth 0.5 m/s (≈ 43 km a day), H = 1 km."""
    n, m = len(receptors), len(cells)
    out = np.zeros((n, m))
    # quadrature offsets (fractions) inside each interval, midpoint rule
    fr = (np.arange(n_release) + 0.5) / n_release
    fs = (np.arange(n_sample) + 0.5) / n_sample
    tau = cells.time_start[:, None] + fr[None, :] * (cells.time_end - cells.time_start)[:, None]
    tau_e, tau_n = wind_displacement(tau, wind_t, wind_u, wind_v)  # (m, qr)
    for i, r in enumerate(receptors):
        ts = r.collect_start + fs * (r.collect_stop - r.collect_start)  # (qs,)
        t_e, t_n = wind_displacement(ts, wind_t, wind_u, wind_v)
        coslat = math.cos(math.radians(r.lat))
        # receptor minus cell, in m (m,)
        dx0 = (r.lon - cells.lon) * M_PER_DEG * coslat
        dy0 = (r.lat - cells.lat) * M_PER_DEG
        dt = ts[None, None, :] - tau[:, :, None]  # (m, qr, qs)
        ex = dx0[:, None, None] - (t_e[None, None, :] - tau_e[:, :, None])
        ny = dy0[:, None, None] - (t_n[None, None, :] - tau_n[:, :, None])
        sig = sigma0_m + growth_m_per_s * np.clip(dt, 0.0, None)
        d2 = (ex * ex + ny * ny) / (sig * sig)
        c = np.exp(-0.5 * d2) / (2.0 * math.pi * sig * sig * mixing_height_m)
        c *= np.exp(-decay_per_s * np.clip(dt, 0.0, None))
        c = np.where((dt > 0) & (d2 <= 16.0), c, 0.0)
        out[i] = c.mean(axis=(1, 2))
    return SourceReceptor(out, cells, tuple(receptors), "m-3", ("gaussian puff (synthetic)",))


def grid_cells(
    lat0: float,
    lat1: float,
    lon0: float,
    lon1: float,
    step_deg: float,
    t0: float,
    n_times: int,
    interval_s: float,
) -> ReleaseCells:
    """Cells of a regular grid: centres every ``step_deg`` from (lat0, lon0) to
    (lat1, lon1) inclusive × ``n_times`` intervals of ``interval_s`` from ``t0``."""
    la = np.arange(lat0, lat1 + step_deg / 2, step_deg)
    lo = np.arange(lon0, lon1 + step_deg / 2, step_deg)
    tt, aa, oo = np.meshgrid(t0 + interval_s * np.arange(n_times), la, lo, indexing="ij")
    nan = np.full(tt.size, np.nan)
    return ReleaseCells(tt.ravel(), tt.ravel() + interval_s, aa.ravel(), oo.ravel(), nan,
                        nan.copy(), step_deg, step_deg)  # fmt: skip
