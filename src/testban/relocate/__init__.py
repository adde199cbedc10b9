"""Relative location of event clusters: master event and double differences.

>>> from testban.relocate import gibbons, master_event, double_difference
>>> cl = gibbons.load_cluster("Finland_CC_times.txt", "Finland_phaselist.txt")  # doctest: +SKIP
>>> rel = master_event(cl, "H01", 67.9359, 25.8349)                             # doctest: +SKIP
>>> rel.east, rel.north, rel.smajax                                             # doctest: +SKIP
"""

from testban.relocate import gibbons
from testban.relocate.absolute import AbsoluteLocations, locate_absolute
from testban.relocate.model import (
    Cluster,
    PairTimes,
    SlownessVectors,
    StationPhases,
    from_local,
    slowness_vectors,
    to_local,
)
from testban.relocate.relative import (
    Relocation,
    double_difference,
    empirical_slowness,
    master_event,
    master_times,
)
from testban.relocate.solve import Ellipse, RobustFit, confidence_scale, ellipse, robust_lsq
from testban.relocate.tables import (
    RelocationResult,
    cluster_from_records,
    relocate,
    relocate_tables,
)

__all__ = [
    "AbsoluteLocations",
    "RelocationResult",
    "cluster_from_records",
    "empirical_slowness",
    "locate_absolute",
    "relocate",
    "relocate_tables",
    "Cluster",
    "Ellipse",
    "PairTimes",
    "Relocation",
    "RobustFit",
    "SlownessVectors",
    "StationPhases",
    "confidence_scale",
    "double_difference",
    "ellipse",
    "from_local",
    "gibbons",
    "master_event",
    "master_times",
    "robust_lsq",
    "slowness_vectors",
    "to_local",
]
