"""Station corrections learnt from reference events (``testban calibrate``).

Arrivals measured at a station (onset time, back-azimuth, slowness) are compared with
the predictions of a radial Earth model for well-located reference events
(:mod:`~testban.calibrate.residuals`); robust means of the residuals give
slowness–azimuth station corrections (SASC, binned by azimuth and slowness where the
data suffice) and travel-time station corrections, each with its standard error, spread
and count (:mod:`~testban.calibrate.estimate`). :func:`apply_corrections` applies them
to detections (:mod:`~testban.calibrate.apply`); the corrections are stored as CSV with
the station metadata (:mod:`~testban.calibrate.tables`).

>>> res = residuals(pairs_from_assoc(arrivals, assocs, origins), network)  # doctest: +SKIP
>>> rows = estimate(res)                                                   # doctest: +SKIP
>>> corrected = apply_corrections(arrivals, rows)                          # doctest: +SKIP
"""

from testban.calibrate.apply import (
    Applied,
    apply_corrections,
    fk_correction,
    sasc_for,
    time_correction,
    time_terms,
)
from testban.calibrate.estimate import (
    CalibrationConfig,
    RobustMean,
    StationCorrection,
    estimate,
    robust_mean,
)
from testban.calibrate.fit import fit_from_bulletin
from testban.calibrate.residuals import (
    Residual,
    pairs_by_time,
    pairs_from_assoc,
    residuals,
    wrap180,
)
from testban.calibrate.tables import (
    corrections_beside,
    read_arrivals,
    read_corrections,
    read_reference,
    read_usgs_catalogue,
    write_corrections,
    write_residuals,
)

__all__ = [
    "Applied",
    "CalibrationConfig",
    "Residual",
    "RobustMean",
    "StationCorrection",
    "apply_corrections",
    "corrections_beside",
    "estimate",
    "fit_from_bulletin",
    "fk_correction",
    "pairs_by_time",
    "pairs_from_assoc",
    "read_arrivals",
    "read_corrections",
    "read_reference",
    "read_usgs_catalogue",
    "residuals",
    "robust_mean",
    "sasc_for",
    "time_correction",
    "time_terms",
    "wrap180",
    "write_corrections",
    "write_residuals",
]
