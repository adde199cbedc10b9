"""Radionuclide technology: gamma spectra to categorised samples, xenon to "when and what"."""
