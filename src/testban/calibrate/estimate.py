"""Station corrections as robust means of residuals, with their uncertainty.

Two kinds, one record type (:class:`StationCorrection`), both *added* to a measurement:

* ``kind="sasc"``: slowness–azimuth station corrections of an array or 3-C station,
  ``daz`` (°) and ``dslow`` (s/°) for measurements whose back-azimuth lies in
  ``[az_lo, az_hi)`` and slowness in ``[slow_lo, slow_hi)``. A station always gets one
  row for all directions and slownesses ("station-wide"); a bin of the
  azimuth × slowness grid gets its own row when it holds at least ``min_bin`` residuals
  (SASC proper: the bias of an array depends on the direction and angle of incidence
  of the wave). Bins are chosen from the *measured* azimuth and slowness, the only ones
  known when a detection is corrected. The mean slowness-vector residual
  (``dsx``, ``dsy`` in s/°, east and north) is reported with each row as well.
* ``kind="time"``: travel-time station corrections ``dt`` (s) per station and phase,
  to add to the predicted travel time (or, equivalently, to subtract from the
  observed time).

The mean is Huber's M-estimate (tuning 1.345, scale from the median absolute
deviation), so that a few misassociated arrivals do not move it; its standard error is
the M-estimator's sandwich estimate, ``sigma`` the robust spread of single residuals.
Residuals beyond the gates (``max_az_res``, ``max_slow_res``, ``max_time_res``) are not
station structure but misidentified phases or wrong associations, and are left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from testban.calibrate.residuals import Residual

HUBER_C = 1.345
#: MAD → standard deviation for Gaussian data.
MAD_SCALE = 1.4826


@dataclass(frozen=True, slots=True)
class RobustMean:
    """Huber mean of a sample, its standard error, robust spread and size."""

    mean: float
    se: float
    sigma: float
    n: int


def robust_mean(x: Iterable[float], c: float = HUBER_C) -> RobustMean:
    """Huber M-estimate of location of the finite values of ``x``.

    ``sigma`` is 1.4826·MAD (the sample standard deviation when the MAD is zero, e.g.
    for n ≤ 2); ``se`` the sandwich standard error
    σ·sqrt(mean ψ²)/mean ψ'/sqrt(n), NaN for n < 2.
    """
    v = np.asarray([t for t in x if math.isfinite(t)], dtype=float)
    n = v.size
    if n == 0:
        return RobustMean(math.nan, math.nan, math.nan, 0)
    mu = float(np.median(v))
    s = MAD_SCALE * float(np.median(np.abs(v - mu)))
    if s == 0.0:
        s = float(np.std(v, ddof=1)) if n > 1 else 0.0
    if s == 0.0:
        return RobustMean(mu, math.nan if n < 2 else 0.0, 0.0, n)
    for _ in range(50):
        u = (v - mu) / s
        w = c / np.maximum(np.abs(u), c)
        new = float(np.sum(w * v) / np.sum(w))
        if abs(new - mu) < 1e-9 * s:
            mu = new
            break
        mu = new
    u = (v - mu) / s
    psi = np.clip(u, -c, c)
    dpsi = float(np.mean(np.abs(u) <= c))
    se = math.nan if n < 2 or dpsi == 0 else s * math.sqrt(float(np.mean(psi**2))) / dpsi
    return RobustMean(mu, se / math.sqrt(n) if n >= 2 else math.nan, s, n)


@dataclass(frozen=True, slots=True)
class StationCorrection:
    """One station correction row (see the module doc); NaN where not applicable."""

    sta: str
    kind: str  # "sasc" or "time"
    phase: str = "-"  # time corrections: the phase; sasc: "-"
    az_lo: float = 0.0  # °
    az_hi: float = 360.0  # °
    slow_lo: float = 0.0  # s/°
    slow_hi: float = math.inf  # s/°
    n: int = 0
    daz: float = math.nan  # ° to add to the measured back-azimuth
    daz_se: float = math.nan
    daz_sigma: float = math.nan
    dslow: float = math.nan  # s/° to add to the measured slowness
    dslow_se: float = math.nan
    dslow_sigma: float = math.nan
    dsx: float = math.nan  # mean slowness-vector residual, east, s/° (obs - pred)
    dsy: float = math.nan  # north, s/°
    dt: float = math.nan  # s to add to the predicted travel time
    dt_se: float = math.nan
    dt_sigma: float = math.nan

    @property
    def station_wide(self) -> bool:
        """True for the row valid for every direction and slowness."""
        return (
            self.az_lo == 0.0
            and self.az_hi == 360.0
            and self.slow_lo == 0.0
            and (math.isinf(self.slow_hi))
        )


@dataclass(frozen=True)
class CalibrationConfig:
    """What makes a residual usable and a bin worth its own correction.

    The gates are not fitted to any data set: an array's structural bias is rarely over
    20° and a few s/° (Bondár et al. 1999 list SASC up to ~15°), and a teleseismic
    travel-time station term over ~5 s; residuals three times larger are phase or
    association errors.
    """

    min_n: int = 3  # residuals needed for any correction
    min_bin: int = 5  # residuals needed for a bin of its own
    az_width: float = 45.0  # azimuth sector width, °
    #: slowness band edges, s/°: core phases | teleseismic P | Pn, Pg, teleseismic S | Sn, Lg
    slow_edges: tuple[float, ...] = (0.0, 4.0, 12.0, 22.0, math.inf)
    max_az_res: float = 45.0  # °
    max_slow_res: float = 6.0  # s/°
    max_time_res: float = 15.0  # s
    #: phases whose azimuth/slowness are not seismic body-wave directions
    skip_sasc_phases: frozenset[str] = field(default_factory=lambda: frozenset({"I", "T", "H"}))


def _vector(r: Residual) -> tuple[float, float]:
    """Slowness-vector residual (east, north) in s/°; NaN when not measured."""
    if not (math.isfinite(r.slow) and math.isfinite(r.slow_pred) and math.isfinite(r.azimuth)):
        return math.nan, math.nan
    a, b = math.radians(r.azimuth), math.radians(r.seaz)
    return (
        r.slow * math.sin(a) - r.slow_pred * math.sin(b),
        r.slow * math.cos(a) - r.slow_pred * math.cos(b),
    )


def _sasc_row(
    sta: str,
    rs: Sequence[Residual],
    az_lo: float = 0.0,
    az_hi: float = 360.0,
    slow_lo: float = 0.0,
    slow_hi: float = math.inf,
) -> StationCorrection:
    az = robust_mean(r.az_res for r in rs)
    sl = robust_mean(r.slow_res for r in rs)
    vec = [_vector(r) for r in rs]
    sx = robust_mean(v[0] for v in vec)
    sy = robust_mean(v[1] for v in vec)
    return StationCorrection(
        sta=sta,
        kind="sasc",
        n=len(rs),
        daz=-az.mean,
        daz_se=az.se,
        daz_sigma=az.sigma,
        dslow=-sl.mean if sl.n else math.nan,
        dslow_se=sl.se,
        dslow_sigma=sl.sigma,
        dsx=sx.mean,
        dsy=sy.mean,
        az_lo=az_lo,
        az_hi=az_hi,
        slow_lo=slow_lo,
        slow_hi=slow_hi,
    )


def estimate(
    residuals: Iterable[Residual], config: CalibrationConfig | None = None
) -> list[StationCorrection]:
    """SASC and travel-time corrections of every station with enough residuals."""
    cfg = config or CalibrationConfig()
    by_sta: dict[str, list[Residual]] = {}
    for r in residuals:
        by_sta.setdefault(r.sta, []).append(r)
    out: list[StationCorrection] = []
    for sta in sorted(by_sta):
        rs = by_sta[sta]
        sasc = [
            r
            for r in rs
            if math.isfinite(r.az_res)
            and abs(r.az_res) <= cfg.max_az_res
            and r.phase not in cfg.skip_sasc_phases
            and not (math.isfinite(r.slow_res) and abs(r.slow_res) > cfg.max_slow_res)
        ]
        if len(sasc) >= cfg.min_n:
            out.append(_sasc_row(sta, sasc))
            out.extend(_bins(sta, sasc, cfg))
        by_phase: dict[str, list[float]] = {}
        for r in rs:
            if math.isfinite(r.time_res) and abs(r.time_res) <= cfg.max_time_res:
                by_phase.setdefault(r.phase, []).append(r.time_res)
        for phase in sorted(by_phase):
            if len(by_phase[phase]) >= cfg.min_n:
                m = robust_mean(by_phase[phase])
                out.append(
                    StationCorrection(
                        sta=sta,
                        kind="time",
                        phase=phase,
                        n=m.n,
                        dt=m.mean,
                        dt_se=m.se,
                        dt_sigma=m.sigma,
                    )
                )
    return out


def _bins(sta: str, rs: Sequence[Residual], cfg: CalibrationConfig) -> list[StationCorrection]:
    """Rows of the azimuth × slowness bins with at least ``min_bin`` residuals (by the
    measured azimuth and slowness; an unmeasured slowness counts in every band's
    all-slowness row only)."""
    edges = cfg.slow_edges
    n_az = max(1, round(360.0 / cfg.az_width))
    width = 360.0 / n_az
    out = []
    for k in range(n_az):
        lo, hi = k * width, (k + 1) * width
        in_sector = [r for r in rs if lo <= r.azimuth % 360.0 < hi]
        for s0, s1 in zip(edges[:-1], edges[1:], strict=True):
            cell = [r for r in in_sector if math.isfinite(r.slow) and s0 <= r.slow < s1]
            if len(cell) >= cfg.min_bin and len(cell) < len(rs):
                out.append(_sasc_row(sta, cell, az_lo=lo, az_hi=hi, slow_lo=s0, slow_hi=s1))
    return out
