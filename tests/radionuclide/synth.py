"""Synthetic HPGe spectra with known content for the radionuclide tests.

Response: Gaussian full-energy peaks (FWHM = sqrt(a + b·E)), a Compton continuum per line
(flat up to the Compton edge, a physical shape simplified), an exponential plus flat
ambient background, Poisson counts. Counts of a line: A·ε·Pγ·(tl/tr)·(1 − e^(−λ·tr))/λ
for activity A at acquisition start, the textbook counting relation the analysis inverts.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from testban.io.spectra.model import EnergyCalibration, Spectrum
from testban.radionuclide.library import load_library

N_CHANNELS = 8192
CAL = (0.4, 0.3662, 2.0e-8)  # keV = c0 + c1·x + c2·x², x the channel coordinate
RES = (0.8, 0.0025)  # FWHM² = a + b·E (keV): 1.0 keV at 100 keV, 1.8 keV at 1332 keV
EFF_POINTS = tuple(
    (e, 0.12 * (e / 100.0) ** -0.85 * (1 - np.exp(-((e / 50.0) ** 3))), 0.0)
    for e in (50.0, 80.0, 120.0, 200.0, 400.0, 700.0, 1000.0, 1500.0, 2000.0, 3000.0)
)
#: Natural background lines and their counts per second at the detector.
BACKGROUND_RATES = {
    ("K-40", 1460.820): 0.05,
    ("Tl-208", 2614.511): 0.02,
    ("Tl-208", 583.187): 0.02,
    ("Bi-214", 609.312): 0.04,
    ("Bi-214", 1764.494): 0.012,
    ("Bi-214", 1120.287): 0.012,
    ("Pb-214", 351.932): 0.05,
    ("Pb-214", 295.224): 0.028,
    ("Pb-212", 238.632): 0.06,
    ("ANNIH", 510.999): 0.03,
}


def efficiency(e):
    pts = np.array(EFF_POINTS)
    return np.exp(np.interp(np.log(e), np.log(pts[:, 0]), np.log(pts[:, 1])))


def line_counts(activity_bq: float, lam: float, eff: float, p: float, tl: float, tr: float):
    """Expected full-energy counts of a line (see the module docstring)."""
    decay = tr if lam == 0 else -np.expm1(-lam * tr) / lam
    return activity_bq * eff * p * (tl / tr) * decay


def make_spectrum(
    activities: dict[str, float],
    *,
    live_time: float = 86400.0,
    real_time: float = 86500.0,
    seed: int = 1,
    with_calibration: bool = True,
    cal=CAL,
    background_scale: float = 1.0,
    collection: tuple[float, float] = (0.0, 86400.0),
    acquisition_start: float = 86400.0 + 86400.0,
    air_volume: float = 20000.0,
) -> tuple[Spectrum, dict[str, float]]:
    """A spectrum with the given activities (Bq at acquisition start) over the natural
    background; returns it and the expected net counts of each nuclide's key line."""
    lib = load_library()
    x_edges = np.arange(N_CHANNELS + 1, dtype=float)
    e_edges = np.polynomial.polynomial.polyval(x_edges, cal)
    e_mid = 0.5 * (e_edges[1:] + e_edges[:-1])
    width = np.diff(e_edges)
    mu = np.zeros(N_CHANNELS)
    # ambient continuum: exponential + flat, per keV per second
    mu += live_time * width * (0.02 * np.exp(-e_mid / 250.0) + 0.0004) * background_scale
    lines: list[tuple[float, float]] = [
        (e, r * live_time * background_scale) for (_, e), r in BACKGROUND_RATES.items()
    ]
    key_counts = {}
    for name, a in activities.items():
        nuc = lib[name]
        for g in nuc.lines:
            n = line_counts(
                a,
                nuc.decay_constant,
                float(efficiency(g.energy)),
                g.intensity,
                live_time,
                real_time,
            )
            lines.append((g.energy, n))
        key = max(nuc.lines, key=lambda g: g.intensity * float(efficiency(g.energy)))
        key_counts[name] = line_counts(
            a,
            nuc.decay_constant,
            float(efficiency(key.energy)),
            key.intensity,
            live_time,
            real_time,
        )
    for e0, n in lines:
        sig = np.sqrt(RES[0] + RES[1] * e0) / (2 * np.sqrt(2 * np.log(2)))
        cdf = 0.5 * (1 + erf((e_edges - e0) / (np.sqrt(2) * sig)))
        mu += n * np.diff(cdf)
        # Compton continuum: peak-to-total ~ 0.25 → 3× the peak counts spread flat
        # below the Compton edge
        ec = e0 * (1 - 1 / (1 + 2 * e0 / 511.0))
        mu += np.where(e_mid < ec, 3.0 * n * width / ec, 0.0)
    rng = np.random.default_rng(seed)
    counts = rng.poisson(mu).astype(float)
    spec = Spectrum(
        counts=counts,
        live_time=live_time,
        real_time=real_time,
        energy_cal=EnergyCalibration(coefficients=cal if with_calibration else ()),
        resolution=tuple((e, float(np.sqrt(RES[0] + RES[1] * e))) for e in (100.0, 1000.0, 2500.0)),
        efficiency=EFF_POINTS,
        acquisition_start=acquisition_start,
        collection_start=collection[0],
        collection_stop=collection[1],
        air_volume=air_volume,
        station="SYN01",
        source="synthetic",
    )
    return spec, key_counts
