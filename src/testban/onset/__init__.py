"""Onset refinement: precise P and S arrival times with uncertainties (CSS3.0 ``deltim``)."""

from testban.onset.cf import aic_maeda, akaike_weights, bandpass
from testban.onset.handoff import first_arrival
from testban.onset.picker import Onset, band_bank, pick_s, refine_onset

__all__ = [
    "Onset",
    "aic_maeda",
    "akaike_weights",
    "band_bank",
    "bandpass",
    "first_arrival",
    "pick_s",
    "refine_onset",
]
