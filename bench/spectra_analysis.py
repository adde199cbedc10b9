"""Gamma analysis on the becquerel sample spectra (issue 13, item 2).

PYTHONPATH=src TESTBAN_SHARED_DATA=/work/shared/data .venv/bin/python bench/spectra_analysis.py
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from testban.io.spectra.model import EnergyCalibration, Spectrum

SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", "/work/shared/data"))
SAMPLES = SHARED / "radionuclide" / "becquerel_samples"
FILES = (
    sorted(
        str(p) for p in SAMPLES.iterdir() if p.is_file() and p.suffix.lower() not in (".md", ".txt")
    )
    if SAMPLES.is_dir()
    else []
)


def read_becquerel(path: str) -> Spectrum:
    """A becquerel-readable file as a testban Spectrum (local stand-in until the readers of
    ``testban.io.spectra`` land): counts, times, the file's energy calibration and, for
    ORTEC SPE files, the FWHM calibration (SHAPE_CAL: FWHM in channels, polynomial in the
    channel number)."""
    import becquerel as bq

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = bq.Spectrum.from_file(path, verbose=False)
    counts = np.asarray(s.counts_vals, dtype=float)
    cal = EnergyCalibration()
    if s.is_calibrated:
        cal = EnergyCalibration(coefficients=tuple(float(c) for c in s.energy_cal.params))
    resolution: tuple[tuple[float, float], ...] = ()
    shape = (getattr(s, "attrs", {}) or {}).get("SHAPE_CAL")
    if cal.known and isinstance(shape, list) and len(shape) >= 2:
        coef = [float(v) for v in shape[1].split()]
        if any(coef):
            ch = np.linspace(0.1, 0.95, 8) * counts.size
            fw_ch = np.polyval(coef[::-1], ch)
            e = cal.energy(ch)
            gain = cal.energy(ch + 0.5) - cal.energy(ch - 0.5)
            resolution = tuple((float(a), float(b)) for a, b in zip(e, fw_ch * gain, strict=True))
    start = s.start_time.timestamp() if s.start_time is not None else None
    return Spectrum(
        counts=counts,
        live_time=float(s.livetime) if s.livetime else None,
        real_time=float(s.realtime) if s.realtime else None,
        energy_cal=cal,
        resolution=resolution,
        acquisition_start=start,
        source=Path(path).name,
    )
