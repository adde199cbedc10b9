"""Station magnitudes: the IDC's mb, Ms and ML, and Nuttli's mb(Lg), vectorised over stations.

Every function broadcasts over its array arguments and returns NaN where no magnitude can
be given (distance or period outside the scale's range, non-positive amplitude or period);
:func:`station_reasons` says why, one string per station ("" where the value is valid).

Formulas (A in nm, T in s, Δ in degrees, h in km):

* mb (IDC): ``log10(A/T) + Q(Δ, h)``; A zero-to-peak (A5/2, 0.8–4.5 Hz), Q the Veith &
  Clawson (1972) table with the IDC's +0.301 for zero-to-peak, interpolated with bicubic
  splines, used 20–105°.
* Ms (IDC): ``log10(A/T) + (1/3) log10 Δ + (1/2) log10 sin Δ + 0.0046 Δ + 2.370``; Rezapour
  & Pearce (1998, BSSA 88(1), 43–61, their "Mts", the dispersion and geometrical spreading
  form); A vertical Rayleigh displacement at 18–22 s, used 20–160°.
* Ms(VMAX) (Russell 2006, BSSA 96(2), 665–677, "Ms(b)"; used as Bonner et al. 2006,
  BSSA 96(2), 678–696, "Ms(VMAX)"): ``log10(a_b) + (1/2) log10 sin Δ + 0.0031 (20/T)^1.8 Δ
  - 0.66 log10(20/T) - log10(fc) - 0.43``; ``a_b`` the zero-to-peak amplitude (nm) of the
  record after a 3rd-order zero-phase Butterworth band-pass ``1/T ± fc``,
  ``fc ≤ 0.6/(T sqrt Δ)``, T = 8–25 s. The amplitude term is ``log10(a_b)``, not
  ``log10(a_b/T)`` (Russell's abstract); with ``log10(A/T)`` a 20 s wave at 50° would read
  about 1.3 units below the Rezapour–Pearce value instead of near it. Used here at
  regional distances (2–20°), where the Rezapour–Pearce formula is not defined.
* ML (IDC): ``log10(A) + B(Δ)``; A the IDC ``SBSNR`` amplitude (nm, vertical, short-period
  beam in a 4.5 s window, not a Wood–Anderson amplitude), B the IDC's global average curve
  (0–29°; the IDC uses it to 20°).
* mb(Lg) (Nuttli 1973, JGR 78(5), 876–885): ``3.75 + 0.90 log10 Δ + log10(A/T)`` for
  0.5–4° and ``3.30 + 1.66 log10 Δ + log10(A/T)`` for 4–30°, Δ in degrees, A the sustained
  zero-to-peak vertical Lg displacement near 1 s period; Nuttli's A is in μm, so 3 is
  subtracted here for A in nm.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike
from scipy.interpolate import CubicSpline, RectBivariateSpline

#: Distance ranges (degrees, inclusive) in which each scale gives a defining station value.
MB_DELTA = (20.0, 105.0)
MS_DELTA = (20.0, 160.0)
#: Distances (°) at which the variable-period Ms(VMAX) is used: from two degrees (the 25 s
#: Rayleigh wave is then three wavelengths from the source) to where Ms(IDC) takes over.
MS_VMAX_DELTA = (2.0, 20.0)
#: Centre periods (s) of Ms(VMAX) (Bonner et al. 2006).
MS_VMAX_PERIOD = (8.0, 25.0)
ML_DELTA = (0.0, 20.0)
MBLG_DELTA = (0.5, 30.0)
#: Surface-wave periods (s) accepted for Ms.
MS_PERIOD = (18.0, 22.0)
#: Depth range (km) of the Veith–Clawson table; deeper or negative depths are clipped to it.
VC_DEPTH = (0.0, 800.0)

_PACKAGE = "testban.magnitude"


def _read_csv(name: str) -> tuple[list[str], np.ndarray]:
    """Header names and values of a package data table (``#`` lines are comments)."""
    text = resources.files(_PACKAGE).joinpath("data", name).read_text()
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    names = lines[0].split(",")
    values = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]])
    return names, values


@lru_cache(maxsize=1)
def veith_clawson_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Veith–Clawson table as ``(delta_deg, depth_km, q)`` with ``q[i_delta, i_depth]``."""
    names, values = _read_csv("veith_clawson_1972_q.csv")
    depth = np.array([float(n.lstrip("h")) for n in names[1:]])
    return values[:, 0], depth, values[:, 1:]


@lru_cache(maxsize=1)
def _vc_spline() -> RectBivariateSpline:
    delta, depth, q = veith_clawson_table()
    return RectBivariateSpline(delta, depth, q, kx=3, ky=3, s=0)


@lru_cache(maxsize=1)
def idc_ml_table() -> tuple[np.ndarray, np.ndarray]:
    """The IDC global average ML curve as ``(delta_deg, b)``."""
    _, values = _read_csv("idc_ml_b.csv")
    return values[:, 0], values[:, 1]


@lru_cache(maxsize=1)
def _ml_spline() -> CubicSpline:
    delta, b = idc_ml_table()
    return CubicSpline(delta, b)


def q_vc(delta_deg: ArrayLike, depth_km: ArrayLike) -> np.ndarray:
    """Veith–Clawson Q(Δ, h) for mb, bicubic-spline interpolated (NaN outside 0–180°).

    Exact at the table nodes; depth is clipped to 0–800 km as the table stops there.
    """
    d, h = np.broadcast_arrays(np.asarray(delta_deg, float), np.asarray(depth_km, float))
    inside = (d >= 0.0) & (d <= 180.0)
    q = _vc_spline().ev(np.where(inside, d, 0.0), np.clip(np.nan_to_num(h), *VC_DEPTH))
    return np.where(inside & np.isfinite(h), q, np.nan)


def b_ml(delta_deg: ArrayLike) -> np.ndarray:
    """The IDC's ML distance correction B(Δ), cubic-spline interpolated (NaN outside 0–29°)."""
    d = np.asarray(delta_deg, float)
    lo, hi = idc_ml_table()[0][[0, -1]]
    inside = (d >= lo) & (d <= hi)
    return np.where(inside, _ml_spline()(np.where(inside, d, lo)), np.nan)


def _in(x: np.ndarray, bounds: tuple[float, float] | None) -> np.ndarray:
    if bounds is None:
        return np.ones(x.shape, bool)
    return (x >= bounds[0]) & (x <= bounds[1])


def _log_ratio(amp: ArrayLike, per: ArrayLike | None) -> np.ndarray:
    """log10(A/T) (or log10 A without a period), NaN for non-positive values."""
    a = np.asarray(amp, float)
    if per is None:
        ratio = a
    else:
        t = np.asarray(per, float)
        ratio = np.divide(a, t, out=np.full(np.broadcast(a, t).shape, np.nan), where=t > 0)
    ok = (a > 0) & (ratio > 0) & np.isfinite(ratio)
    return np.where(ok, np.log10(np.where(ok, ratio, 1.0)), np.nan)


def mb_station(
    amp_nm: ArrayLike,
    per_s: ArrayLike,
    delta_deg: ArrayLike,
    depth_km: ArrayLike,
    *,
    delta_range: tuple[float, float] | None = MB_DELTA,
) -> np.ndarray:
    """IDC station mb = log10(A/T) + Q(Δ, h); NaN outside ``delta_range`` (None: 0–180°)."""
    d = np.asarray(delta_deg, float)
    mb = _log_ratio(amp_nm, per_s) + q_vc(d, depth_km)
    return np.where(_in(d, delta_range), mb, np.nan)


def ms_correction(delta_deg: ArrayLike) -> np.ndarray:
    """Rezapour & Pearce (1998) distance term of the IDC's Ms (NaN outside 0 < Δ < 180°)."""
    d = np.asarray(delta_deg, float)
    ok = (d > 0) & (d < 180)
    ds = np.where(ok, d, 90.0)
    corr = np.log10(ds) / 3.0 + 0.5 * np.log10(np.sin(np.radians(ds))) + 0.0046 * ds + 2.370
    return np.where(ok, corr, np.nan)


def ms_station(
    amp_nm: ArrayLike,
    per_s: ArrayLike,
    delta_deg: ArrayLike,
    *,
    delta_range: tuple[float, float] | None = MS_DELTA,
    period_range: tuple[float, float] | None = MS_PERIOD,
) -> np.ndarray:
    """IDC station Ms (Rezapour & Pearce 1998); NaN outside the distance or period range."""
    d = np.asarray(delta_deg, float)
    t = np.asarray(per_s, float)
    ok = _in(d, delta_range) & _in(t, period_range) & (d > 0) & (d < 180)
    return np.where(ok, _log_ratio(amp_nm, t) + ms_correction(np.where(ok, d, 90.0)), np.nan)


def ms_vmax_station(
    amp_nm: ArrayLike,
    per_s: ArrayLike,
    delta_deg: ArrayLike,
    fc_hz: ArrayLike,
    *,
    delta_range: tuple[float, float] | None = MS_VMAX_DELTA,
    period_range: tuple[float, float] | None = MS_VMAX_PERIOD,
) -> np.ndarray:
    """Russell's (2006) variable-period station Ms from a band's filtered amplitude ``a_b``
    (nm, zero-to-peak), centre period ``T`` (s) and half band width ``fc`` (Hz); NaN
    outside the distance or period range or for non-positive values."""
    d = np.asarray(delta_deg, float)
    t = np.asarray(per_s, float)
    fc = np.asarray(fc_hz, float)
    ok = _in(d, delta_range) & _in(t, period_range) & (d > 0) & (d < 180) & (t > 0) & (fc > 0)
    ds = np.where(ok, d, 90.0)
    ts = np.where(ok, t, 20.0)
    r = 20.0 / ts
    corr = (
        0.5 * np.log10(np.sin(np.radians(ds)))
        + 0.0031 * r**1.8 * ds
        - 0.66 * np.log10(r)
        - np.log10(np.where(ok, fc, 1.0))
        - 0.43
    )
    return np.where(ok, _log_ratio(amp_nm, None) + corr, np.nan)


def ml_station(
    amp_nm: ArrayLike,
    delta_deg: ArrayLike,
    *,
    delta_range: tuple[float, float] | None = ML_DELTA,
) -> np.ndarray:
    """IDC station ML = log10(A) + B(Δ), A the SBSNR amplitude in nm; NaN outside range."""
    d = np.asarray(delta_deg, float)
    return np.where(_in(d, delta_range), _log_ratio(amp_nm, None) + b_ml(d), np.nan)


def mblg_station(
    amp_nm: ArrayLike,
    per_s: ArrayLike,
    delta_deg: ArrayLike,
    *,
    delta_range: tuple[float, float] | None = MBLG_DELTA,
) -> np.ndarray:
    """Nuttli (1973) mb(Lg) from the ~1 s vertical Lg amplitude A (nm); NaN outside range."""
    d = np.asarray(delta_deg, float)
    ok = _in(d, delta_range) & (d > 0)
    logd = np.log10(np.where(ok, d, 1.0))
    dist = np.where(d < 4.0, 3.75 + 0.90 * logd, 3.30 + 1.66 * logd) - 3.0
    return np.where(ok, _log_ratio(amp_nm, per_s) + dist, np.nan)


#: Per magnitude type: distance range and period range (None: no period check).
RANGES: dict[str, tuple[tuple[float, float], tuple[float, float] | None]] = {
    "mb": (MB_DELTA, None),
    "ms": (MS_DELTA, MS_PERIOD),
    "msvmax": (MS_VMAX_DELTA, MS_VMAX_PERIOD),
    "ml": (ML_DELTA, None),
    "mblg": (MBLG_DELTA, None),
}


def station_reasons(
    magtype: str, amp_nm: ArrayLike, per_s: ArrayLike, delta_deg: ArrayLike
) -> np.ndarray:
    """Why each station has no ``magtype`` value ("" where it has one), for problem reports."""
    drange, prange = RANGES[magtype]
    a, t, d = np.broadcast_arrays(
        np.asarray(amp_nm, float), np.asarray(per_s, float), np.asarray(delta_deg, float)
    )
    out = np.full(d.shape, "", dtype=object)
    needs_period = magtype != "ml"
    checks = [
        (~np.isfinite(d) | (d < 0), "no distance"),
        (~_in(d, drange), f"distance outside {drange[0]:g}-{drange[1]:g} deg"),
        (~(a > 0), "no positive amplitude"),
        (needs_period & ~(t > 0), "no positive period"),
    ]
    if prange is not None:
        checks.append((~_in(t, prange), f"period outside {prange[0]:g}-{prange[1]:g} s"))
    for bad, why in reversed(checks):
        out[bad] = why
    return out.astype(str)
