"""A gamma spectrum in memory: what every spectrum reader returns and every analysis reads.

One class for every source (IMS2.0 ``SAMPLEPHD``/``BLANKPHD``/``CALIBPHD``, ANSI N42.42,
the formats becquerel reads: ``.spe``, ``.cnf``, ``.spc``, ``.h5``): channel counts,
live and real time, the calibrations the file carries (energy, resolution, efficiency:
any may be missing), and the sample's metadata (station, detector, collection and
acquisition times, sampled air volume, quantity). Times are epoch seconds (float), as
everywhere in testban; absent values are ``None`` (not CSS3.0 null numbers: these are
not table rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class EnergyCalibration:
    """Energy (keV) of a channel: a polynomial in the channel number (``coefficients``
    lowest order first), or pairs of (channel, energy) points as IMS2.0 ``#g_Energy``
    gives them (interpolated/fitted by the analysis)."""

    coefficients: tuple[float, ...] = ()
    points: tuple[tuple[float, float], ...] = ()  # (channel, keV)

    def energy(self, channel: np.ndarray | float) -> np.ndarray:
        """keV at ``channel`` (channel centres are integers + 0.5 for bin edges' mean)."""
        c = np.asarray(channel, dtype=float)
        if self.coefficients:
            return np.polyval(self.coefficients[::-1], c)
        if len(self.points) >= 2:
            ch, e = np.array(self.points, dtype=float).T
            deg = min(2, len(ch) - 1)
            return np.polyval(np.polyfit(ch, e, deg), c)
        raise ValueError("no energy calibration")

    @property
    def known(self) -> bool:
        return bool(self.coefficients) or len(self.points) >= 2


@dataclass(frozen=True)
class Spectrum:
    """A gamma spectrum and its metadata (see the module docstring)."""

    counts: np.ndarray  # counts per channel (int or float)
    live_time: float | None = None  # s
    real_time: float | None = None  # s
    energy_cal: EnergyCalibration = field(default_factory=EnergyCalibration)
    #: FWHM (keV) against energy (keV), as (keV, FWHM keV) points (IMS2.0 #g_Resolution).
    resolution: tuple[tuple[float, float], ...] = ()
    #: Full-energy-peak efficiency against energy: (keV, efficiency, σ) points.
    efficiency: tuple[tuple[float, float, float], ...] = ()
    #: Start of acquisition (counting), epoch s.
    acquisition_start: float | None = None
    #: Sample collection start and stop (air filter on the sampler), epoch s.
    collection_start: float | None = None
    collection_stop: float | None = None
    #: Air volume sampled (m³, standard conditions) for activity concentrations.
    air_volume: float | None = None
    #: Sample quantity and its unit when not an air sample (e.g. (0.5, "kg")).
    quantity: tuple[float, str] | None = None
    station: str = ""
    detector: str = ""
    #: IMS2.0 data type (SAMPLEPHD, BLANKPHD, CALIBPHD, QCPHD, DETBKPHD) or "" otherwise.
    data_type: str = ""
    #: Spectral qualifier (FULL, PREL) and the sample reference id (SRID) of IMS2.0.
    qualifier: str = ""
    sample_id: str = ""
    #: Where it was read from (file, and block/record within it) for reports.
    source: str = ""
    #: Free-form metadata the reader keeps (e.g. N42 occupancy flags).
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def n_channels(self) -> int:
        return int(np.asarray(self.counts).size)

    def energies(self) -> np.ndarray:
        """keV of every channel's centre (raises ValueError without a calibration)."""
        return self.energy_cal.energy(np.arange(self.n_channels) + 0.5)
