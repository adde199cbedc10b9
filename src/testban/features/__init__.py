"""Feature measurements of a detection (CSS3.0 ``arrival`` columns), pure NumPy functions.

>>> from testban.features import amplitude_a52, snr, array_fk, polarization, initial_phase
>>> amp, per = amplitude_a52(z, fs, onset_index, response)          # doctest: +SKIP
>>> fk = array_fk(data, fs, east_km, north_km, onset_index)          # doctest: +SKIP
>>> fk.azimuth, fk.slow, fk.delaz, fk.delslo, fk.fstat               # doctest: +SKIP
>>> array_fk(data, fs, east_km, north_km, onset_index,
...          start=slowness_vector(beam_baz, beam_slow))             # doctest: +SKIP
>>> pol = polarization(z, n, e, fs, onset_index, band=(1.0, 4.0))    # doctest: +SKIP
>>> initial_phase(fk.slow, per, float("nan"), is_array=True)         # doctest: +SKIP
"""

from testban.features.amplitude import (
    A52_BAND,
    A52_WINDOW,
    amplitude_a52,
    bandpass_window,
    displacement_gain,
    filter_gain,
    peak_trough,
    response_units,
    snr,
)
from testban.features.corrections import SlownessAzimuthCorrection
from testban.features.fk import (
    FK,
    FK_BAND,
    PlaneWaveFit,
    array_fk,
    azimuth_slowness,
    fk_power,
    fstat_from_power,
    pair_delays,
    plane_wave_fit,
    slowness_vector,
)
from testban.features.phase_id import PHASES, initial_phase
from testban.features.polarization import Polarization, covariance_polarization, polarization

__all__ = [
    "A52_BAND",
    "A52_WINDOW",
    "FK",
    "FK_BAND",
    "PHASES",
    "PlaneWaveFit",
    "Polarization",
    "SlownessAzimuthCorrection",
    "amplitude_a52",
    "array_fk",
    "azimuth_slowness",
    "bandpass_window",
    "covariance_polarization",
    "displacement_gain",
    "filter_gain",
    "fk_power",
    "fstat_from_power",
    "initial_phase",
    "pair_delays",
    "peak_trough",
    "plane_wave_fit",
    "polarization",
    "response_units",
    "slowness_vector",
    "snr",
]
