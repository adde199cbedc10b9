"""Initial phase identification (``arrival.iphase``) from slowness, period, polarisation.

Apparent velocities of the main phases (s/° = 111.19 / v[km/s]): PKP < ~4.4 s/°
(> 25 km/s), teleseismic P 4.4-10 (upper-mantle triplication P to ~12.5), Pn ~13.7
(8.1 km/s), Pg ~18 (6.1 km/s), Sn ~24 (4.6 km/s), Lg ~32 (3.5 km/s), Rg ~37 (3.0 km/s).
The IDC station processing assigns initial phases from such slowness classes, with
polarisation separating P-type from S-type motion at 3-C stations, and Lg/Rg separated by
frequency (Rg is a short-period surface wave, dominant periods around 1 s and longer).
Slowness bands here are the midpoints between those velocities; a 3-C station's
slowness (from its emergence angle) is coarse, so its P-type/S-type split rests on
``rect`` (Jurkevics 1988: rectilinear P) and only broad slowness classes are used.
"""

from __future__ import annotations

import math

# slowness class edges, s/°
PKP_MAX = 4.4
P_MAX = 12.5
PN_MAX = 16.0
PG_MAX = 20.5
SN_MAX = 27.5
LG_MAX = 34.5
RG_MAX = 45.0
RG_MIN_PERIOD = 1.0
"""Signals of at least this period (s) in the Lg/Rg overlap are called Rg."""
LG_RG_OVERLAP = (30.0, 40.0)
RECT_P = 0.6
"""Rectilinearity from which a 3-C arrival is taken as P-type."""

PHASES = ("P", "PKP", "Pn", "Pg", "Sn", "Lg", "Rg", "S", "N")


def _surface(slow: float, period: float) -> str:
    """Lg or Rg for slow arrivals, by slowness and period."""
    lo, hi = LG_RG_OVERLAP
    if lo <= slow <= hi and math.isfinite(period):
        return "Rg" if period >= RG_MIN_PERIOD else "Lg"
    return "Lg" if slow <= LG_MAX else "Rg"


def initial_phase(slow: float, period: float, rect: float, *, is_array: bool) -> str:
    """IDC initial phase name of a detection.

    :param slow: measured slowness, s/°.
    :param period: dominant period, s (nan if unknown).
    :param rect: rectilinearity 0-1 (nan if unknown; arrays usually have none).
    :param is_array: the slowness comes from an array (f-k) rather than a 3-C station.
    :returns: one of ``P``, ``PKP``, ``Pn``, ``Pg``, ``Sn``, ``Lg``, ``Rg``, ``S`` or
        ``N`` (not identifiable: no or implausible slowness, e.g. above 45 s/°).
    """
    if not (math.isfinite(slow) and 0.0 <= slow <= RG_MAX):
        return "N"
    has_rect = math.isfinite(rect)
    if is_array:
        s_type = has_rect and rect < 0.3 and slow < PG_MAX
        if slow < PKP_MAX:
            return "PKP"
        if slow < P_MAX:
            return "S" if s_type else "P"
        if slow < PN_MAX:
            return "Sn" if s_type else "Pn"
        if slow < PG_MAX:
            return "Sn" if s_type else "Pg"
        if slow < SN_MAX:
            return "Sn"
        return _surface(slow, period)
    # 3-C station: polarisation first, slowness only in broad classes
    if not has_rect:
        return "N"
    if rect >= RECT_P:
        if slow < PKP_MAX:
            return "PKP"
        if slow < P_MAX:
            return "P"
        if slow < PN_MAX:
            return "Pn"
        if slow < PG_MAX:
            return "Pg"
        return "N"
    if slow < PN_MAX:
        return "S"
    if slow < SN_MAX:
        return "Sn"
    return _surface(slow, period)
