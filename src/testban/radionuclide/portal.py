"""A time series of short spectra (a portal passage, a survey) as one foreground and one
background spectrum.

Portal monitors and field detectors write hundreds of fractions of a second long spectra
from several detectors (ANSI N42.42). A source passing by raises the gross count rate for
a few seconds; the rest of the series is the ambient background. :func:`occupancy_sum`
groups the spectra by time slice, takes as **foreground** the slices whose gross counts
(all detectors) exceed the series' median by 5 robust standard deviations (MAD × 1.4826:
beyond Poisson and ambient fluctuation), and as **background** the quiet slices (at or
below the median) of the first and last fifths of the series — used when the file carries
no background measurement of its own. Each detector's spectrum is rebinned onto the first
spectrum's energy grid before summing (detectors differ in calibration).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from testban.io.spectra import Spectrum

#: Robust standard deviations above the median gross count of a foreground slice.
FOREGROUND_SIGMA = 5.0
#: Fraction of the series at each end whose quiet slices make the background.
EDGE_FRACTION = 0.2


@dataclass(frozen=True)
class Occupancy:
    """The summed spectra and how they were chosen."""

    foreground: Spectrum
    background: Spectrum
    slices: int
    foreground_slices: int
    background_slices: int
    gross: np.ndarray  # gross counts per slice (all detectors), time order
    times: np.ndarray  # slice start times (epoch s)
    threshold: float  # gross counts above which a slice is foreground


def _rebinned(s: Spectrum, ref_edges_kev: np.ndarray) -> np.ndarray:
    """Counts of ``s`` on the energy bins ``ref_edges_kev`` (cumulative-count interpolation)."""
    e = s.energy_cal.energy(np.arange(s.n_channels + 1, dtype=float))
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(s.counts, dtype=float))])
    return np.diff(np.interp(ref_edges_kev, e, cum))


def _sum(spectra: Sequence[Spectrum], ref: Spectrum) -> Spectrum:
    edges = ref.energy_cal.energy(np.arange(ref.n_channels + 1, dtype=float))
    counts = np.zeros(ref.n_channels)
    for s in spectra:
        counts += _rebinned(s, edges) if s.energy_cal != ref.energy_cal else s.counts
    live = float(sum(s.live_time or 0.0 for s in spectra))
    real = float(sum(s.real_time or 0.0 for s in spectra))
    start = min((s.acquisition_start for s in spectra if s.acquisition_start), default=None)
    return dataclasses.replace(ref, counts=counts, live_time=live, real_time=real,
                               acquisition_start=start, detector="sum")  # fmt: skip


def occupancy_sum(spectra: Sequence[Spectrum]) -> Occupancy:
    """Foreground and background sums of a spectrum series (see the module docstring).

    Raises ValueError when the spectra have no energy calibration, no times, or no slice
    stands out (nothing passed).
    """
    if not spectra:
        raise ValueError("no spectra")
    ref = spectra[0]
    if not ref.energy_cal.known:
        raise ValueError("the spectra have no energy calibration")
    if any(s.acquisition_start is None for s in spectra):
        raise ValueError("spectra without start times cannot be grouped into slices")
    keys = np.round([float(s.acquisition_start or 0.0) for s in spectra], 2)
    times = np.unique(keys)
    index = np.searchsorted(times, keys)
    gross = np.bincount(index, weights=[float(np.sum(s.counts)) for s in spectra],
                        minlength=len(times))  # fmt: skip
    med = float(np.median(gross))
    mad = 1.4826 * float(np.median(np.abs(gross - med)))
    threshold = med + FOREGROUND_SIGMA * max(mad, np.sqrt(max(med, 1.0)))
    fg = gross > threshold
    edge = max(1, int(EDGE_FRACTION * len(times)))
    at_edges = np.zeros(len(times), dtype=bool)
    at_edges[:edge] = at_edges[-edge:] = True
    bg = at_edges & (gross <= med)
    if not fg.any():
        raise ValueError(f"no slice above {threshold:.0f} gross counts: nothing passed")
    if not bg.any():
        raise ValueError("no quiet slice at the ends of the series for a background")
    fg_spectra = [s for s, k in zip(spectra, index, strict=True) if fg[k]]
    bg_spectra = [s for s, k in zip(spectra, index, strict=True) if bg[k]]
    return Occupancy(_sum(fg_spectra, ref), _sum(bg_spectra, ref), len(times), int(fg.sum()),
                     int(bg.sum()), gross, times, threshold)  # fmt: skip
