"""Gamma spectra in and out: the in-memory :class:`Spectrum` and its readers/writers."""

from testban.io.spectra.model import EnergyCalibration, Spectrum

__all__ = ["EnergyCalibration", "Spectrum"]
