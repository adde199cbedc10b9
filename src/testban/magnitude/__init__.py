"""Magnitudes: the IDC's mb, Ms and ML, Nuttli's mb(Lg), network means and the censored MLE.

>>> from testban.magnitude import mb_station, q_vc
>>> round(float(q_vc(60.0, 0.0)), 3)
3.731
>>> round(float(mb_station(10.0, 1.0, 60.0, 0.0)), 3)
4.731

Station formulas and their sources: :mod:`testban.magnitude.station`; network estimates:
:mod:`testban.magnitude.network`; CSS3.0 ``stamag``/``netmag`` rows:
:mod:`testban.magnitude.tables`.
"""

from testban.magnitude.network import (
    MLE_SIGMA,
    NetworkMagnitude,
    network_mean,
    network_mle,
    network_weighted_mean,
)
from testban.magnitude.station import (
    MB_DELTA,
    MBLG_DELTA,
    ML_DELTA,
    MS_DELTA,
    MS_PERIOD,
    MS_VMAX_DELTA,
    MS_VMAX_PERIOD,
    b_ml,
    idc_ml_table,
    mb_station,
    mblg_station,
    ml_station,
    ms_correction,
    ms_station,
    ms_vmax_station,
    q_vc,
    station_reasons,
    veith_clawson_table,
)
from testban.magnitude.tables import (
    SCALES,
    MagnitudeProblem,
    Scale,
    magnitudes_for_tables,
    network_magnitudes,
    noise_stamags,
    station_magnitudes,
    with_magnitudes,
)

__all__ = [
    "MB_DELTA",
    "MBLG_DELTA",
    "MLE_SIGMA",
    "ML_DELTA",
    "MS_DELTA",
    "MS_PERIOD",
    "MS_VMAX_DELTA",
    "MS_VMAX_PERIOD",
    "SCALES",
    "MagnitudeProblem",
    "NetworkMagnitude",
    "Scale",
    "b_ml",
    "idc_ml_table",
    "magnitudes_for_tables",
    "mb_station",
    "mblg_station",
    "ml_station",
    "ms_correction",
    "ms_station",
    "ms_vmax_station",
    "network_magnitudes",
    "network_mean",
    "network_mle",
    "network_weighted_mean",
    "noise_stamags",
    "q_vc",
    "station_magnitudes",
    "station_reasons",
    "veith_clawson_table",
    "with_magnitudes",
]
