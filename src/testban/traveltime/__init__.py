"""Travel times: TauP tables (iasp91, ak135) interpolated for vectorised predictions.

>>> from testban.traveltime import travel_times
>>> tt = travel_times("iasp91")
>>> pred = tt.predict("P", delta_deg, depth_km)          # doctest: +SKIP
>>> pred.time, pred.slowness, pred.dtdh                  # s, s/°, s/km
>>> first, names = tt.first_arrival(delta_deg, depth_km)  # earliest of P, Pn, Pg, PKP

Tables are built once per model (about a second) and cached in
``$TESTBAN_CACHE/traveltime`` or ``~/.cache/testban/traveltime``; iasp91 ships with the
package.
"""

from testban.traveltime.geometry import destination, distance_azimuth, geocentric_latitude
from testban.traveltime.service import (
    CONSTANT_SPEED,
    KM_PER_DEG,
    P_TYPES,
    S_TYPES,
    WATER_SPEED,
    ConstantSpeed,
    Prediction,
    TravelTimes,
    pwp_delay,
    travel_times,
)
from testban.traveltime.tables import MODELS, TAUP_PHASES, Tables, build_tables, get_tables

__all__ = [
    "CONSTANT_SPEED",
    "KM_PER_DEG",
    "MODELS",
    "P_TYPES",
    "S_TYPES",
    "TAUP_PHASES",
    "ConstantSpeed",
    "Prediction",
    "Tables",
    "TravelTimes",
    "WATER_SPEED",
    "build_tables",
    "destination",
    "distance_azimuth",
    "geocentric_latitude",
    "get_tables",
    "pwp_delay",
    "travel_times",
]
