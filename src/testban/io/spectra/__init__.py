"""Gamma spectra in and out: the in-memory :class:`Spectrum` and its readers/writers.

>>> from testban.io.spectra import read_spectra, write_phd
>>> problems = []
>>> spectra = read_spectra("passthrough.n42", problems)              # doctest: +SKIP
>>> write_phd(spectra[0], "sample.phd")                               # doctest: +SKIP
"""

from testban.io.spectra.airconc import read_air_concentrations
from testban.io.spectra.model import EnergyCalibration, Spectrum
from testban.io.spectra.n42 import parse_n42, read_n42
from testban.io.spectra.phd import format_phd, parse_phd, read_phd, write_phd
from testban.io.spectra.reader import read_spectra, spectrum_format

__all__ = [
    "EnergyCalibration",
    "Spectrum",
    "format_phd",
    "parse_n42",
    "parse_phd",
    "read_air_concentrations",
    "read_n42",
    "read_phd",
    "read_spectra",
    "spectrum_format",
    "write_phd",
]
