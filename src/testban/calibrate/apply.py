"""Applying station corrections to detections and to travel-time predictions.

:func:`apply_corrections` corrects the measured back-azimuth and slowness of each
arrival at a calibrated station with the most specific SASC row that contains the
measurement (a bin of its own, else the station-wide row), widens ``delaz``/``delslo``
by the correction's standard error (in quadrature), and flags the arrival through the
:class:`Applied` log it fills. With ``time=True`` it also subtracts the station's
travel-time correction of the arrival's phase from the onset time, for locators that
have no hook for station terms; :func:`time_correction` is that hook otherwise, and
:func:`time_terms` gives the rows the locator applies itself
(``LocatorConfig(time_corrections=time_terms(rows))``).
:func:`fk_correction` turns a station's rows into the grid that
:func:`testban.features.fk.fk_analysis` takes as ``correction=``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from testban.calibrate.estimate import StationCorrection
from testban.features.corrections import SlownessAzimuthCorrection
from testban.records import Arrival


@dataclass(frozen=True, slots=True)
class Applied:
    """The flag of one corrected arrival: what was added, from which row."""

    arid: int
    sta: str
    daz: float  # ° added to the azimuth (0 when none)
    dslow: float  # s/° added to the slowness (0 when none)
    dt: float  # s subtracted from the onset time (0 when none)
    row: StationCorrection | None  # the SASC row used (None: time only)


def _contains(c: StationCorrection, az: float, slow: float) -> bool:
    if not (c.az_lo <= az % 360.0 < c.az_hi):
        return False
    if c.station_wide:
        return True
    return math.isfinite(slow) and c.slow_lo <= slow < c.slow_hi


def sasc_for(
    corrections: Iterable[StationCorrection], sta: str, azimuth: float, slow: float
) -> StationCorrection | None:
    """The narrowest SASC row of ``sta`` containing (azimuth °, slowness s/°)."""
    rows = [
        c
        for c in corrections
        if c.kind == "sasc"
        and c.sta == sta
        and math.isfinite(c.daz)
        and _contains(c, azimuth, slow)
    ]
    if not rows:
        return None
    return min(rows, key=lambda c: (c.station_wide, c.az_hi - c.az_lo))


def time_correction(
    corrections: Iterable[StationCorrection], sta: str, phase: str
) -> tuple[float, float]:
    """(dt, standard error) in s to add to the predicted travel time of ``phase`` at
    ``sta``; (0, 0) when the station has no correction for that phase."""
    for c in corrections:
        if c.kind == "time" and c.sta == sta and c.phase == phase and math.isfinite(c.dt):
            return c.dt, (c.dt_se if math.isfinite(c.dt_se) else 0.0)
    return 0.0, 0.0


def time_terms(
    corrections: Iterable[StationCorrection],
) -> tuple[tuple[str, str, float, float], ...]:
    """The travel-time rows as the locator takes them
    (:attr:`testban.locate.LocatorConfig.time_corrections`): ``(sta, phase, dt, se)``,
    se 0 where unknown; one row per (station, phase), the first when repeated."""
    out: dict[tuple[str, str], tuple[str, str, float, float]] = {}
    for c in corrections:
        if c.kind == "time" and math.isfinite(c.dt):
            se = c.dt_se if math.isfinite(c.dt_se) else 0.0
            out.setdefault((c.sta, c.phase), (c.sta, c.phase, float(c.dt), float(se)))
    return tuple(out.values())


def _widen(sigma: float, se: float) -> float:
    if sigma < 0 or not math.isfinite(se):
        return sigma
    return float(math.hypot(sigma, se))


def apply_corrections(
    arrivals: Sequence[Arrival],
    corrections: Sequence[StationCorrection],
    *,
    time: bool = False,
    log: list[Applied] | None = None,
) -> list[Arrival]:
    """Arrivals with station corrections applied (new records; the input is unchanged).

    Azimuth and slowness are corrected where both the arrival has a measured azimuth
    (CSS3.0 null ``-1`` otherwise) and its station a SASC row containing it; the slowness
    is corrected only when measured, and never made negative. One :class:`Applied`
    entry per corrected arrival is appended to ``log``: that list is the flag.
    """
    out = []
    for a in arrivals:
        changes: dict[str, Any] = {}
        row = None
        daz = dslow = dt = 0.0
        if 0.0 <= a.azimuth <= 360.0:
            slow = a.slow if a.slow >= 0 else math.nan
            row = sasc_for(corrections, a.sta, a.azimuth, slow)
        if row is not None:
            daz = row.daz
            changes["azimuth"] = (a.azimuth + daz) % 360.0
            changes["delaz"] = _widen(a.delaz, row.daz_se)
            if a.slow >= 0 and math.isfinite(row.dslow):
                dslow = row.dslow
                changes["slow"] = max(a.slow + dslow, 0.0)
                changes["delslo"] = _widen(a.delslo, row.dslow_se)
        if time and a.iphase not in ("-", ""):
            dt, se = time_correction(corrections, a.sta, a.iphase)
            if dt != 0.0:
                changes["time"] = a.time - dt
                changes["deltim"] = _widen(a.deltim, se)
        if changes:
            if log is not None:
                log.append(Applied(a.arid, a.sta, daz, dslow, dt, row))
            out.append(dataclasses.replace(a, **changes))
        else:
            out.append(a)
    return out


def fk_correction(
    corrections: Iterable[StationCorrection], sta: str
) -> SlownessAzimuthCorrection | None:
    """The SASC rows of ``sta`` as a grid for the f–k analysis (nodes at bin centres,
    bins without a row of their own take the station-wide values); None when ``sta``
    has no SASC."""
    rows = [c for c in corrections if c.kind == "sasc" and c.sta == sta and math.isfinite(c.daz)]
    wide = next((c for c in rows if c.station_wide), None)
    if wide is None:
        return None
    binned = [c for c in rows if not c.station_wide]
    ds0 = wide.dslow if math.isfinite(wide.dslow) else 0.0
    if not binned:
        return SlownessAzimuthCorrection.constant(wide.daz, ds0)
    az = sorted({(c.az_lo + c.az_hi) / 2.0 for c in binned})
    sl = sorted(
        {
            (c.slow_lo + (c.slow_hi if math.isfinite(c.slow_hi) else c.slow_lo + 10.0)) / 2.0
            for c in binned
        }
    )
    daz = np.full((len(sl), len(az)), wide.daz)
    dslow = np.full((len(sl), len(az)), ds0)
    for i, s in enumerate(sl):
        for j, a in enumerate(az):
            c = sasc_for(binned, sta, a, s)
            if c is not None:
                daz[i, j] = c.daz
                dslow[i, j] = c.dslow if math.isfinite(c.dslow) else ds0
    return SlownessAzimuthCorrection(np.array(az), np.array(sl), daz, dslow)
