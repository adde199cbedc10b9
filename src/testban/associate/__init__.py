"""Association: from detections (``arrival``) to an automatic event bulletin.

>>> from testban.associate import associate, AssociatorConfig
>>> origins, assocs, origerrs, problems = associate(arrivals, network)     # doctest: +SKIP
>>> local = associate(picks, network, AssociatorConfig.local())            # doctest: +SKIP
>>> associate_tables("arrival.csv", "stations/ims_css30/ueb_test", "out")  # doctest: +SKIP

The same code serves the global IMS (global grid, TauP phases) and dense local networks
(regional grid, flat-layered model, P and S picks); see :mod:`testban.associate.core`.
"""

from testban.associate.config import AssociatorConfig
from testban.associate.core import (
    Associator,
    PriorEvent,
    Result,
    associate,
    associate_window,
)
from testban.associate.layered import HADLEY_KANAMORI, LayeredModel
from testban.associate.tables import associate_tables

__all__ = [
    "HADLEY_KANAMORI",
    "AssociatorConfig",
    "Associator",
    "LayeredModel",
    "PriorEvent",
    "Result",
    "associate",
    "associate_window",
    "associate_tables",
]
