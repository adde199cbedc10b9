"""Gamma spectra in the formats becquerel reads: ORTEC ``.spe`` and ``.spc``, Canberra
``.cnf``, becquerel's HDF5 ``.h5``.

``becquerel.Spectrum.from_file`` does the parsing; this module maps its result onto
:class:`~testban.io.spectra.model.Spectrum`: counts, live and real time, start of
acquisition (becquerel gives naive datetimes: taken as UTC, as the files say nothing of
the zone), the polynomial energy calibration (becquerel evaluates it at the channel
number, channel ``i`` spanning ``[i, i+1)``, as the model does) and, for ORTEC files, the
resolution from ``SHAPE_CAL`` (FWHM in channels, a polynomial in the channel number).

becquerel prints progress to stdout, warns, and raises on odd files; here its output is
silenced, a warning becomes a ``warning`` problem, an exception an ``error`` problem, and a
file whose energy calibration is absent or invalid (all coefficients zero, energies not
increasing) is read without one and said so.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from datetime import UTC, datetime
from typing import Any

import numpy as np

from testban.io.problems import ReadProblem
from testban.io.spectra.model import EnergyCalibration, Spectrum

__all__ = ["BECQUEREL_SUFFIXES", "read_becquerel"]

BECQUEREL_SUFFIXES = (".spe", ".spc", ".cnf", ".h5")


def _epoch(t: Any) -> float | None:
    if t is None:
        return None
    if isinstance(t, datetime):
        return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()
    return None


def _number(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def _energy_cal(bq: Any, n: int, name: str, problems: list[ReadProblem]) -> EnergyCalibration:
    cal: Any = getattr(bq, "energy_cal", None)
    coef = getattr(cal, "params", None) if cal is not None else None
    expr = str(getattr(cal, "expression", "")) if cal is not None else ""
    if coef is None:
        fit = str(getattr(bq, "attrs", {}).get("ENER_FIT", "")).split()
        why = (
            "invalid (ENER_FIT all zero)" if fit and not any(_number(v) for v in fit) else "absent"
        )
        problems.append(
            ReadProblem(name, f"energy calibration {why}: none kept", severity="warning")
        )
        return EnergyCalibration()
    c = tuple(float(v) for v in np.asarray(coef, dtype=float).ravel())
    ch = np.array([0.0, n / 3, 2 * n / 3, float(n)])
    try:  # becquerel's calibration must be the polynomial of its parameters
        same = np.allclose(
            np.asarray(cal(ch), dtype=float), np.polyval(c[::-1], ch), rtol=1e-9, atol=1e-6
        )
    except Exception:  # noqa: BLE001 - an odd calibration object is the file's problem
        same = False
    if not same:
        problems.append(
            ReadProblem(
                name,
                f"energy calibration not a polynomial ({expr.strip()[:60]}): not kept",
                severity="warning",
            )
        )
        return EnergyCalibration()
    ecal = EnergyCalibration(coefficients=c)
    e = ecal.energy(np.array([0.0, n / 2, float(n)]))
    if not all(np.isfinite(e)) or not np.all(np.diff(e) > 0) or not any(c):
        problems.append(
            ReadProblem(name, f"invalid energy calibration {c}: not kept", severity="warning")
        )
        return EnergyCalibration()
    return ecal


def _shape_resolution(
    attrs: dict[str, Any], cal: EnergyCalibration, n: int
) -> tuple[tuple[float, float], ...]:
    """(keV, FWHM keV) points from ORTEC's ``SHAPE_CAL`` (FWHM in channels against channel)."""
    shape = attrs.get("SHAPE_CAL")
    if shape is None or not cal.known:
        return ()
    items = list(shape) if isinstance(shape, (list, tuple, np.ndarray)) else [shape]
    try:
        coef = np.array(str(items[-1]).split(), dtype=float)
    except ValueError:
        return ()
    if coef.size == 0 or not np.any(coef) or not np.all(np.isfinite(coef)):
        return ()
    ch = np.linspace(0.05, 0.95, 8) * n
    w_ch = np.polyval(coef[::-1], ch)
    de = cal.energy(ch + 0.5) - cal.energy(ch - 0.5)
    return tuple(
        (float(e), float(w)) for e, w in zip(cal.energy(ch), w_ch * de, strict=True) if w > 0
    )


def read_becquerel(
    path: str | os.PathLike[str], problems: list[ReadProblem] | None = None
) -> list[Spectrum]:
    """Read one ``.spe``/``.spc``/``.cnf``/``.h5`` file through becquerel (a list of one
    spectrum, or none with the reason in ``problems``)."""
    out = problems if problems is not None else []
    name = os.fspath(path)
    try:
        import becquerel  # type: ignore[import-untyped]
    except ImportError as exc:  # declared dependency; said plainly if missing
        out.append(ReadProblem(name, f"becquerel is not installed: {exc}"))
        return []
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("always")
        try:
            bq = becquerel.Spectrum.from_file(name)
        except Exception as exc:  # noqa: BLE001 - any parser failure is the file's problem
            out.append(
                ReadProblem(name, f"becquerel cannot read it: {type(exc).__name__}: {exc}"[:300])
            )
            return []
    for w in caught:
        out.append(ReadProblem(name, f"becquerel: {w.message}"[:300], severity="warning"))
    try:
        counts = np.asarray(bq.counts_vals, dtype=float)
    except Exception as exc:  # noqa: BLE001 - a spectrum without counts (e.g. CPS only)
        out.append(ReadProblem(name, f"no counts: {type(exc).__name__}: {exc}"[:300]))
        return []
    if counts.size == 0 or not np.all(np.isfinite(counts)) or np.any(counts < 0):
        out.append(ReadProblem(name, "counts empty, not finite or negative"))
        return []
    if np.all(counts == np.round(counts)):
        counts = counts.astype(np.int64)
    cal = _energy_cal(bq, counts.size, name, out)
    attrs = dict(getattr(bq, "attrs", {}) or {})
    extra: dict[str, object] = {
        k: str(v)[:200]
        for k, v in attrs.items()
        if k in ("SPEC_ID", "sample_description", "detector_description", "sample_name")
    }
    live, real = _number(bq.livetime), _number(bq.realtime)
    if live is not None and real is not None and live > real * (1 + 1e-6):
        out.append(
            ReadProblem(name, f"live time {live} s above real time {real} s", severity="warning")
        )
    return [
        Spectrum(
            counts=counts,
            live_time=live,
            real_time=real,
            energy_cal=cal,
            resolution=_shape_resolution(attrs, cal, counts.size),
            acquisition_start=_epoch(getattr(bq, "start_time", None)),
            detector=str(attrs.get("detector_description", ""))[:40],
            source=name,
            extra=extra,
        )
    ]
