"""Regional P/S amplitude ratios (Pn/Lg, Pg/Lg, Pn/Sn) and the P/S discriminant.

At regional distances (≲ 20°) and high frequency (≳ 4 Hz) explosions excite P more
efficiently than S relative to earthquakes: their log10 P/S ratios lie above the
earthquakes' recorded at the same station (Pomeroy et al. 1982; Walter et al. 1995;
Richards & Kim 2007 for the 2006 DPRK test at MDJ). This module measures the ratios from
a vertical record of an event at known origin and distance, corrects them for distance
and turns a network of them into one discriminant value with its uncertainty.

Phase windows (group velocities, seconds after the origin, distance Δ in km):

* ``Pn``: from Δ/8.1 km/s − 1 s (head-wave onset less a model error) for 10 s, ended
  earlier by the start of Pg or Sn (the Pn coda is short; after it other phases mix in);
  only beyond the Pn/Pg crossover (≈ 190 km for a 35 km crust);
* ``Pg``: Δ/6.2 to Δ/5.2 km/s (crustal P);
* ``Sn``: Δ/4.6 to Δ/4.0 km/s;
* ``Lg``: Δ/3.6 to Δ/3.0 km/s (crustal guided S, the usual window);
* noise: the 30 s ending 5 s before the Pn window (pre-event, the same band).

Each window is at least :data:`MIN_WINDOW_S` long (else that phase is not measured).
Amplitudes are RMS of the band-passed record (zero-phase Butterworth, 4 poles, its
squared gain applied in the frequency domain to all bands at once), noise-corrected in
power: ``A = sqrt(max(S² − N², 0))`` with ``N`` the noise RMS in the same band.
``snr = S/N``. A phase with ``snr`` below :data:`SNR_MIN` is not measured but bounded:
its measured RMS (signal plus noise) bounds its signal from above, so P/S with a weak S
is a *lower* bound, with a weak P an *upper* bound, and with both weak not assessed.

Uncertainty of a log10 amplitude (measurement only): the RMS power of a band-limited
Gaussian signal over a window ``T`` with bandwidth ``B`` has ~``2BT`` degrees of freedom,
relative standard deviation ``1/sqrt(BT)``; after noise subtraction
``σ(ln P) = sqrt(S⁴/(B·T_s) + N⁴/(B·T_n)) / (S² − N²)`` and ``σ(log10 A) = 0.4343·σ(ln P)/2``.
The event-to-event scatter of ratios at one station (source and path, ~0.2-0.3 log10
units) is much larger; :func:`ps_discriminant` adds it.

Distance correction: ``log10 P/S − b·log10(Δ/Δref)`` with ``b`` fitted per band on an
earthquake population (with a term per station, :func:`fit_distance_correction`), and
checked by leaving each event out (:func:`cross_validate_distance`). With too few
earthquakes or too short a distance range no slope is fitted (``b = 0``) and the result
says so: Pn and Lg spreading and attenuation partly cancel, and the sign of the trend
differs between regions, so no universal slope is assumed.

The discriminant used by screening: :func:`ps_discriminant` (network mean of the
distance-corrected log10 P/S in one band and phase pair, against a threshold set by
:func:`operating_point` on an earthquake population at the same stations, or, without
one, :data:`PROVISIONAL_THRESHOLD`).

>>> from testban.features.regional_ratio import regional_ratios, ps_discriminant
>>> ratios = regional_ratios(v, 20.0, origin - start, 371.0, sta="MDJ", orid=1)  # doctest: +SKIP
>>> res = ps_discriminant(ratios)                    # doctest: +SKIP
>>> res.value, res.uncertainty, res.outcome, res.screened_out, res.evidence  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import signal

PS_BANDS: tuple[tuple[float, float], ...] = ((1.0, 2.0), (2.0, 4.0), (4.0, 6.0), (6.0, 8.0))
"""Frequency bands of the ratios, Hz (the top one needs ≥ 20 Hz sampling: 8 Hz = 0.8 Nyquist)."""
PS_PAIRS: tuple[tuple[str, str], ...] = (("Pn", "Lg"), ("Pg", "Lg"), ("Pn", "Sn"))
"""Phase pairs (P-type, S-type) measured."""
HIGH_BAND: tuple[float, float] = (6.0, 8.0)
"""Band of the discriminant, Hz: the highest that 20 Hz IMS/GSN data resolve."""
DISCRIMINANT_PAIR: tuple[str, str] = ("Pn", "Lg")
"""Phase pair of the discriminant: Pn exists at every station beyond ~200 km."""

PN_VELOCITY = 8.1
"""Pn onset group velocity, km/s (upper-mantle head wave)."""
CRUST_KM = 35.0
"""Crustal thickness, km (continental average), for the Pn crossover distance."""
PN_MIN_KM = 2 * CRUST_KM * math.sqrt((PN_VELOCITY + 6.2) / (PN_VELOCITY - 6.2))
"""Pn/Pg crossover distance (≈ 190 km): inside it Pg arrives first and Pn is not measured."""
PN_LEAD_S = 1.0
"""Pn window start before the predicted onset, s (regional model error)."""
PN_LENGTH_S = 10.0
"""Pn window length, s (the Pn pulse and its short coda)."""
GROUP_VELOCITIES: dict[str, tuple[float, float]] = {
    "Pg": (6.2, 5.2),
    "Sn": (4.6, 4.0),
    "Lg": (3.6, 3.0),
}
"""Window start and end group velocities, km/s."""
NOISE_LENGTH_S = 30.0
"""Pre-event noise window length, s."""
NOISE_GAP_S = 5.0
"""Gap between the noise window and the Pn window, s (onset-time uncertainty)."""
MIN_WINDOW_S = 3.0
"""Shortest window measured, s (a few cycles at 1 Hz)."""
SNR_MIN = 2.0
"""Signal RMS / noise RMS below which a phase is a bound, not a value."""
FILTER_ORDER = 4
"""Butterworth band-pass order (its squared gain: zero-phase, 8 poles in effect)."""
MAX_DISTANCE_KM = 20.0 * 111.195
"""Regional distance limit (20°), km."""
STATION_SIGMA = 0.25
"""Event-to-event scatter of a distance-corrected log10 P/S at one station, log10 units.

The order reported for single-station Pn/Lg and Pg/Lg of earthquakes (≈ 0.2-0.3;
Walter et al. 1995, Taylor 1996); replaced by the population's own scatter when one is
measured (:func:`operating_point`)."""
PROVISIONAL_THRESHOLD = 0.0
"""Operating point (log10 P/S) used until an earthquake population sets one.

Physical basis: a double-couple point source radiates far-field S with up to
(α/β)³ ≈ 5.2 times the P amplitude (Aki & Richards 2002, eqs. 4.32-4.33), so earthquakes
start near log10 P/S ≈ −0.7, while an isotropic explosion radiates no S at the source
(its S is converted and scattered P). Equal P and S (0) lies between; regional paths
shift both populations, which is why a threshold measured on earthquakes at the same
stations (:func:`operating_point`) replaces it when available."""
_LOG10E = 0.4342944819032518


# ------------------------------------------------------------------- windows


def phase_windows(dist_km: float) -> dict[str, tuple[float, float]]:
    """Windows (start, end) in s after the origin of ``noise``, ``Pn``, ``Pg``, ``Sn``, ``Lg``.

    Group-velocity windows (module docstring). A phase whose window is shorter than
    :data:`MIN_WINDOW_S` is left out (e.g. Pn inside the crossover
    distance :data:`PN_MIN_KM`, where Pg arrives first).
    """
    d = float(dist_km)
    if not 0.0 < d <= MAX_DISTANCE_KM:
        raise ValueError(f"distance {d:.1f} km is not regional (0-{MAX_DISTANCE_KM:.0f} km)")
    win = {ph: (d / v0, d / v1) for ph, (v0, v1) in GROUP_VELOCITIES.items()}
    pn0 = d / PN_VELOCITY - PN_LEAD_S
    pn1 = min(pn0 + PN_LENGTH_S, win["Pg"][0], win["Sn"][0])
    if d >= PN_MIN_KM:
        win["Pn"] = (pn0, pn1)
    win["Pg"] = (max(win["Pg"][0], pn0), win["Pg"][1])
    first = min(pn0, win["Pg"][0] - PN_LEAD_S)
    win["noise"] = (first - NOISE_GAP_S - NOISE_LENGTH_S, first - NOISE_GAP_S)
    return {k: v for k, v in win.items() if v[1] - v[0] >= MIN_WINDOW_S}


# ---------------------------------------------------------------- amplitudes


def band_power_gains(n: int, fs: float, bands: Sequence[tuple[float, float]]) -> np.ndarray:
    """Squared Butterworth band-pass gains (bands × ``n//2+1`` rfft frequencies).

    Squared gain = forward-backward (zero-phase) filtering of order
    :data:`FILTER_ORDER`; the upper corner is clipped to 0.9 Nyquist.
    """
    f = np.fft.rfftfreq(n, 1.0 / fs)
    out = np.empty((len(bands), f.size))
    for i, (lo, hi) in enumerate(bands):
        hi = min(hi, 0.45 * fs)
        if not 0 < lo < hi:
            raise ValueError(f"band {lo}-{hi} Hz is not usable at {fs} Hz")
        sos = signal.butter(FILTER_ORDER, [lo, hi], btype="bandpass", fs=fs, output="sos")
        _, h = signal.sosfreqz(sos, worN=f, fs=fs)
        out[i] = np.abs(h) ** 2
    return out


def band_rms(
    data: np.ndarray,
    fs: float,
    windows: np.ndarray,
    bands: Sequence[tuple[float, float]] = PS_BANDS,
) -> np.ndarray:
    """RMS of ``data`` band-passed in each band, over each window (bands × windows).

    ``windows``: (k, 2) start and end in s from the first sample. All bands are filtered
    at once in the frequency domain (one FFT of the demeaned, 5 %-tapered, zero-padded
    record); RMS per window from cumulative sums. NaN for a window outside the data.
    """
    x = np.asarray(data, dtype=np.float64)
    if x.ndim != 1 or x.size < 16:
        raise ValueError("data must be a 1-D record of at least 16 samples")
    if not np.all(np.isfinite(x)):
        raise ValueError("data contain NaN or infinite samples")
    n = x.size
    x = (x - x.mean()) * signal.windows.tukey(n, alpha=0.05)
    nfft = int(2 ** math.ceil(math.log2(2 * n)))
    spec = np.fft.rfft(x, nfft)
    y = np.fft.irfft(spec[None, :] * band_power_gains(nfft, fs, bands), nfft, axis=-1)[:, :n]
    cs = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(y * y, axis=-1)], axis=-1)
    w = np.atleast_2d(np.asarray(windows, dtype=float))
    i0 = np.rint(w[:, 0] * fs).astype(int)
    i1 = np.rint(w[:, 1] * fs).astype(int)
    ok = (i0 >= 0) & (i1 <= n) & (i1 - i0 >= 2)
    i0c, i1c = np.clip(i0, 0, n), np.clip(i1, 0, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        ms = (cs[:, i1c] - cs[:, i0c]) / np.maximum(i1c - i0c, 1)
    rms = np.sqrt(np.maximum(ms, 0.0))
    rms[:, ~ok] = np.nan
    return rms


@dataclass(frozen=True)
class PhaseAmplitude:
    """Noise-corrected RMS amplitudes of one phase in every band (arrays over bands)."""

    phase: str
    start: float  # window start, s after origin
    end: float  # window end, s after origin
    amp: np.ndarray  # noise-corrected RMS, input units (NaN when not measured)
    raw: np.ndarray  # signal+noise RMS
    snr: np.ndarray  # raw / noise RMS
    sigma: np.ndarray  # σ of log10 amp (measurement)


def phase_amplitudes(
    data: np.ndarray,
    fs: float,
    origin_offset: float,
    dist_km: float,
    bands: Sequence[tuple[float, float]] = PS_BANDS,
) -> dict[str, PhaseAmplitude]:
    """Amplitudes of Pn, Pg, Sn, Lg (those with windows inside the data) in ``bands``.

    ``data``: vertical record (any ground-motion unit: ratios are unit-free within a
    band; velocity is best, its spectrum is flatter than displacement's); ``fs``: Hz;
    ``origin_offset``: origin time minus the record's first sample time, s.
    Raises ValueError when the noise window is not inside the data.
    """
    win = phase_windows(dist_km)
    if "noise" not in win:
        raise ValueError("no noise window")
    names = list(win)
    w = np.array([win[k] for k in names]) + origin_offset
    rms = band_rms(data, fs, w, bands)
    noise = rms[:, names.index("noise")]
    if not np.all(np.isfinite(noise)) or np.any(noise <= 0):
        raise ValueError("the pre-event noise window is not inside the data (or is flat)")
    bw = np.array([min(hi, 0.45 * fs) - lo for lo, hi in bands])
    tn = win["noise"][1] - win["noise"][0]
    out = {}
    for k, name in enumerate(names):
        if name == "noise" or not np.all(np.isfinite(rms[:, k])):
            continue
        s = rms[:, k]
        ts = win[name][1] - win[name][0]
        snr = s / noise
        power = s * s - noise * noise
        ok = snr >= SNR_MIN
        with np.errstate(invalid="ignore", divide="ignore"):
            amp = np.where(ok, np.sqrt(np.maximum(power, 0.0)), np.nan)
            sig_ln_p = np.sqrt(s**4 / (bw * ts) + noise**4 / (bw * tn)) / power
        sigma = np.where(ok, _LOG10E * sig_ln_p / 2.0, np.nan)
        out[name] = PhaseAmplitude(name, *win[name], amp, s, snr, sigma)
    return out


# -------------------------------------------------------------------- ratios


@dataclass(frozen=True)
class PSRatio:
    """One log10 P/S amplitude ratio of one event at one station in one band.

    ``kind``: ``"value"`` (both phases above :data:`SNR_MIN`), ``"lower"`` (S below: the
    ratio is at least ``log_ratio``), ``"upper"`` (P below), ``"none"`` (both below;
    ``log_ratio`` NaN). ``corrected``: after the distance correction (NaN until then).
    """

    orid: int
    sta: str
    band: tuple[float, float]
    phase_p: str
    phase_s: str
    dist_km: float
    log_ratio: float
    sigma: float
    snr_p: float
    snr_s: float
    kind: str
    corrected: float = math.nan


def regional_ratios(
    data: np.ndarray,
    fs: float,
    origin_offset: float,
    dist_km: float,
    *,
    sta: str,
    orid: int = -1,
    bands: Sequence[tuple[float, float]] = PS_BANDS,
    pairs: Sequence[tuple[str, str]] = PS_PAIRS,
) -> list[PSRatio]:
    """log10 P/S ratios of one record for every band and phase pair that has windows.

    Arguments as :func:`phase_amplitudes`; ``sta``/``orid`` label the records. Pairs
    whose windows are missing (too short, outside the data) are left out.
    """
    amps = phase_amplitudes(data, fs, origin_offset, dist_km, bands)
    out = []
    for pp, ss in pairs:
        if pp not in amps or ss not in amps:
            continue
        p, s = amps[pp], amps[ss]
        for b, band in enumerate(bands):
            p_ok, s_ok = p.snr[b] >= SNR_MIN, s.snr[b] >= SNR_MIN
            if p_ok and s_ok:
                kind, num, den = "value", p.amp[b], s.amp[b]
                sig = math.hypot(p.sigma[b], s.sigma[b])
            elif p_ok:
                kind, num, den, sig = "lower", p.amp[b], s.raw[b], float(p.sigma[b])
            elif s_ok:
                kind, num, den, sig = "upper", p.raw[b], s.amp[b], float(s.sigma[b])
            else:
                kind, num, den, sig = "none", math.nan, math.nan, math.nan
            if kind != "none" and not (num > 0 and den > 0):  # a flat (zeroed) window
                kind, num, den, sig = "none", math.nan, math.nan, math.nan
            out.append(
                PSRatio(
                    orid=orid,
                    sta=sta,
                    band=(float(band[0]), float(band[1])),
                    phase_p=pp,
                    phase_s=ss,
                    dist_km=float(dist_km),
                    log_ratio=float(np.log10(num / den)) if kind != "none" else math.nan,
                    sigma=float(sig),
                    snr_p=float(p.snr[b]),
                    snr_s=float(s.snr[b]),
                    kind=kind,
                )
            )
    return out


# ------------------------------------------------------- distance correction


@dataclass(frozen=True)
class DistanceCorrection:
    """``corrected = log10 P/S − slope·log10(Δ/ref_km)`` for one band and phase pair.

    ``fitted`` False: too few earthquakes (or distances) to fit; slope 0, i.e. no
    correction beyond comparing ratios at the same station.
    """

    band: tuple[float, float]
    phase_p: str
    phase_s: str
    slope: float = 0.0
    slope_sigma: float = math.nan
    ref_km: float = 1000.0
    n_events: int = 0
    fitted: bool = False
    reason: str = ""

    def correction(self, dist_km: np.ndarray | float) -> np.ndarray:
        """The amount subtracted from log10 P/S at ``dist_km`` (monotone in distance)."""
        return self.slope * np.log10(np.asarray(dist_km, dtype=float) / self.ref_km)


MIN_FIT_EVENTS = 5
"""Earthquakes needed to fit a distance slope (with one term per station)."""
MIN_FIT_RANGE = 1.5
"""Largest/smallest distance of the fit's records needed (a factor)."""


def _select(ratios: Iterable[PSRatio], band, pair, kinds=("value",)) -> list[PSRatio]:
    band = (float(band[0]), float(band[1]))
    return [
        r
        for r in ratios
        if r.band == band and (r.phase_p, r.phase_s) == tuple(pair) and r.kind in kinds
    ]


def fit_distance_correction(
    ratios: Sequence[PSRatio],
    band: tuple[float, float] = HIGH_BAND,
    pair: tuple[str, str] = DISCRIMINANT_PAIR,
    *,
    ref_km: float = 1000.0,
) -> DistanceCorrection:
    """Least-squares slope of log10 P/S on log10 distance, one intercept per station.

    ``ratios``: the earthquake population (only ``kind == "value"`` records are used).
    Station terms absorb site effects, so the slope comes from distance changes seen at
    one station. Not fitted (slope 0) with fewer than :data:`MIN_FIT_EVENTS` events or
    a distance range below :data:`MIN_FIT_RANGE`, or when no station has two distances.
    """
    sel = _select(ratios, band, pair)
    base = DistanceCorrection((float(band[0]), float(band[1])), pair[0], pair[1], ref_km=ref_km)
    nev = len({r.orid for r in sel})
    if nev < MIN_FIT_EVENTS:
        return replace(base, n_events=nev, reason=f"{nev} earthquakes (< {MIN_FIT_EVENTS})")
    d = np.array([r.dist_km for r in sel])
    if d.max() / d.min() < MIN_FIT_RANGE:
        return replace(base, n_events=nev, reason="distance range too short")
    stas = sorted({r.sta for r in sel})
    col = {s: i for i, s in enumerate(stas)}
    a = np.zeros((len(sel), len(stas) + 1))
    a[np.arange(len(sel)), [col[r.sta] for r in sel]] = 1.0
    a[:, -1] = np.log10(d / ref_km)
    y = np.array([r.log_ratio for r in sel])
    if np.linalg.matrix_rank(a) < a.shape[1]:
        return replace(base, n_events=nev, reason="no station with two distances")
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    dof = max(len(y) - a.shape[1], 1)
    resid = y - a @ coef
    cov = np.linalg.inv(a.T @ a) * float(resid @ resid) / dof
    return replace(
        base,
        slope=float(coef[-1]),
        slope_sigma=float(math.sqrt(cov[-1, -1])),
        n_events=nev,
        fitted=True,
    )


def apply_distance_correction(
    ratios: Sequence[PSRatio], corrections: Sequence[DistanceCorrection]
) -> list[PSRatio]:
    """Ratios with ``corrected`` filled where a correction for their band/pair exists."""
    table = {(c.band, c.phase_p, c.phase_s): c for c in corrections}
    out = []
    for r in ratios:
        c = table.get((r.band, r.phase_p, r.phase_s))
        if c is None:
            out.append(r)
        else:
            out.append(replace(r, corrected=float(r.log_ratio - c.correction(r.dist_km))))
    return out


def cross_validate_distance(
    ratios: Sequence[PSRatio],
    band: tuple[float, float] = HIGH_BAND,
    pair: tuple[str, str] = DISCRIMINANT_PAIR,
) -> dict[int, float]:
    """Leave-one-event-out: each earthquake's mean corrected ratio with a slope fitted
    on the others (orid → value), for the held-out scatter of the population."""
    sel = _select(ratios, band, pair)
    out = {}
    for orid in sorted({r.orid for r in sel}):
        rest = [r for r in sel if r.orid != orid]
        corr = fit_distance_correction(rest, band, pair)
        mine = apply_distance_correction([r for r in sel if r.orid == orid], [corr])
        out[orid] = float(np.mean([r.corrected for r in mine]))
    return out


# -------------------------------------------------------------- discriminant


@dataclass(frozen=True)
class PSResult:
    """The regional P/S criterion of one event.

    ``value``: network mean of distance-corrected log10 P/S (``band``, ``phase_p``/
    ``phase_s``), NaN when not assessed; ``uncertainty``: its standard error (station
    scatter and measurement); ``threshold``: the operating point; ``outcome``:
    ``"explosion-like"`` (value above threshold), ``"earthquake-like"``, or
    ``"not assessed"`` (no station, or only a lower bound under the threshold);
    ``screened_out``: earthquake-like beyond doubt, i.e.
    ``value + z·uncertainty < threshold`` (one-sided, ``z`` = 1.96 for 97.5 %);
    ``bound``: ``"lower"`` when only lower bounds (S under the noise) were available and
    ``value`` is their mean; ``evidence``: a sentence for the screening table.
    """

    value: float
    uncertainty: float
    threshold: float
    n_stations: int
    outcome: str
    screened_out: bool
    band: tuple[float, float]
    phase_p: str
    phase_s: str
    bound: str = ""
    stations: tuple[str, ...] = ()
    evidence: str = ""
    per_station: dict[str, float] = field(default_factory=dict)


def ps_discriminant(
    ratios: Sequence[PSRatio],
    threshold: float = PROVISIONAL_THRESHOLD,
    *,
    band: tuple[float, float] = HIGH_BAND,
    pair: tuple[str, str] = DISCRIMINANT_PAIR,
    station_sigma: float = STATION_SIGMA,
    min_stations: int = 1,
    z: float = 1.96,
) -> PSResult:
    """The P/S criterion of one event from its ratios (all stations, one orid).

    Uses the distance-corrected value (``corrected``) where set, else ``log_ratio``.
    Stations with a value are averaged (weights 1/(σ_meas² + ``station_sigma``²));
    with none, lower bounds give a lower-bound value (a weak S favours an explosion:
    never screened out on a bound). Fewer than ``min_stations`` stations: not assessed.
    """
    band = (float(band[0]), float(band[1]))
    base: dict[str, Any] = dict(
        threshold=float(threshold), band=band, phase_p=pair[0], phase_s=pair[1]
    )
    sel = [
        r for r in _select(ratios, band, pair, ("value", "lower")) if r.dist_km <= MAX_DISTANCE_KM
    ]
    vals = [r for r in sel if r.kind == "value"]
    use, bound = (vals, "") if vals else ([r for r in sel if r.kind == "lower"], "lower")
    # one record per station: the best-measured one
    by_sta: dict[str, PSRatio] = {}
    for r in use:
        if r.sta not in by_sta or r.sigma < by_sta[r.sta].sigma:
            by_sta[r.sta] = r
    if len(by_sta) < max(min_stations, 1):
        return PSResult(
            value=math.nan,
            uncertainty=math.nan,
            n_stations=len(by_sta),
            outcome="not assessed",
            screened_out=False,
            evidence=(
                f"{pair[0]}/{pair[1]} {band[0]:g}-{band[1]:g} Hz measured at {len(by_sta)} "
                f"station(s) within 20° (need {max(min_stations, 1)}; P or S under the noise "
                "or no regional station)"
            ),
            **base,
        )
    rs = list(by_sta.values())
    x = np.array([r.corrected if math.isfinite(r.corrected) else r.log_ratio for r in rs])
    s2 = np.array([(r.sigma if math.isfinite(r.sigma) else 0.0) ** 2 for r in rs])
    w = 1.0 / (s2 + station_sigma**2)
    value = float(np.sum(w * x) / np.sum(w))
    unc = float(1.0 / math.sqrt(np.sum(w)))
    explosion = value > threshold
    screened = (not bound) and value + z * unc < threshold
    outcome = "explosion-like" if explosion else "earthquake-like"
    if bound and not explosion:
        outcome = "not assessed"  # a lower bound under the threshold says nothing
    rel = "≥ " if bound else ""
    evidence = (
        f"log10 {pair[0]}/{pair[1]} {band[0]:g}-{band[1]:g} Hz = {rel}{value:.2f} ± {unc:.2f} "
        f"({len(rs)} station(s): {', '.join(sorted(by_sta))}) against threshold "
        f"{threshold:.2f}: {outcome}" + ("; lower bound only (S under the noise)" if bound else "")
    )
    return PSResult(
        value=value,
        uncertainty=unc,
        n_stations=len(rs),
        outcome=outcome,
        screened_out=bool(screened),
        bound=bound,
        stations=tuple(sorted(by_sta)),
        evidence=evidence,
        per_station={r.sta: float(v) for r, v in zip(rs, x, strict=True)},
        **base,
    )


def operating_point(earthquake_values: Sequence[float], k: float = 2.0) -> tuple[float, float]:
    """Threshold = mean + ``k``·σ of the earthquakes' network P/S values, and that σ.

    With Gaussian scatter, ``k`` = 2 misclassifies ~2.3 % of earthquakes as
    explosion-like (one-sided). Needs at least 2 finite values.
    """
    v = np.asarray([x for x in earthquake_values if math.isfinite(x)], dtype=float)
    if v.size < 2:
        raise ValueError(f"{v.size} earthquake value(s): an operating point needs at least 2")
    sd = float(v.std(ddof=1))
    return float(v.mean() + k * sd), sd


def roc_auc(
    explosions: Sequence[float] | np.ndarray, earthquakes: Sequence[float] | np.ndarray
) -> float:
    """Area under the ROC curve: P(explosion value > earthquake value), ties counted half."""
    x = np.asarray(explosions, dtype=float)[:, None]
    y = np.asarray(earthquakes, dtype=float)[None, :]
    if x.size == 0 or y.size == 0:
        return math.nan
    return float(np.mean((x > y) + 0.5 * (x == y)))


def bootstrap_auc(
    explosions: Sequence[float],
    earthquakes: Sequence[float],
    *,
    n: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """ROC area with a bootstrap 2.5-97.5 % interval (resampling each class, seeded)."""
    x = np.asarray(explosions, dtype=float)
    y = np.asarray(earthquakes, dtype=float)
    auc = roc_auc(x, y)
    if x.size == 0 or y.size == 0:
        return auc, math.nan, math.nan
    rng = np.random.default_rng(seed)
    xi = x[rng.integers(0, x.size, (n, x.size))]
    yi = y[rng.integers(0, y.size, (n, y.size))]
    boot = np.mean(
        (xi[:, :, None] > yi[:, None, :]) + 0.5 * (xi[:, :, None] == yi[:, None, :]), axis=(1, 2)
    )
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return auc, float(lo), float(hi)
