"""Event location: damped least squares on time, azimuth and slowness with error ellipses.

>>> from testban.locate import locate, Observations
>>> loc = locate(obs)                                   # doctest: +SKIP
>>> loc.origin, loc.origerr, loc.assocs, loc.gap        # doctest: +SKIP
>>> out = locate_bulletin(arrivals, assocs, network)  # doctest: +SKIP
>>> out.origins, out.origerrs, out.assocs, out.problems  # doctest: +SKIP
"""

from testban.locate.locator import LocateError, Location, LocatorConfig, locate
from testban.locate.model_errors import TIME_MODEL_ERRORS, ModelErrors
from testban.locate.observations import Observations
from testban.locate.phases import PHASE_ALIASES, PhaseTables, canonical_phase, phase_tables
from testban.locate.tables import Relocated, locate_bulletin, locate_tables

__all__ = [
    "PHASE_ALIASES",
    "TIME_MODEL_ERRORS",
    "LocateError",
    "Location",
    "LocatorConfig",
    "ModelErrors",
    "Observations",
    "PhaseTables",
    "Relocated",
    "canonical_phase",
    "locate",
    "locate_bulletin",
    "locate_tables",
    "phase_tables",
]
