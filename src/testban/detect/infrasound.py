"""Infrasound station processing: pressure channels of arrays in, ``I`` detections out.

:func:`detect_infrasound` is the chain on a Stream in memory (no I/O), the infrasound
counterpart of :func:`testban.detect.station.detect_stream` (same units, quality control
and row conventions). Per array and band of :class:`~testban.detect.config.InfrasoundConfig`:

1. **F-detector**: band-pass, then the Fisher F of the best beam over trace velocities
   ``vmin``–``vmax`` and all back-azimuths in sliding windows
   (:func:`testban.features.infrasound.fstat_scan`), against a threshold from the F
   distribution with the window's degrees of freedom and a union bound over the beams,
   scaled by the background F of the span (Arrowsmith et al.'s adaptive F-detector;
   :mod:`testban.features.infrasound` explains both). Consecutive detecting windows of
   one direction form a detection.
2. **Features** per detection: back-azimuth and trace velocity refined by
   :func:`testban.features.fk.array_fk` (f-k peak, then a plane-wave fit of pair delays
   with formal errors); onset and end where the beam envelope leaves the noise; duration,
   peak-to-peak pressure on the beam, dominant frequency, the mean correlation of the
   aligned elements (coherence).
3. **PMCC families** (:func:`testban.features.infrasound.pmcc_pixels`, ``families``): a
   family that overlaps an F detection of the same direction confirms it; one that does
   not becomes a detection of its own.
4. **Coherent noise**: detections from a back-azimuth sector that detects over most of
   the processed span (microbaroms, surf) are dropped and reported.

Rows: ``arrival`` (iphase ``I``, ``slow`` = 111.19 / trace velocity s/°, ``snr`` = F,
``per`` = 1 / dominant frequency) and ``amplitude`` (``amptype`` ``IPP``: peak-to-peak
pressure on the beam, Pa when a response, a calibration or ``assume_units`` says so).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from obspy import Stream, UTCDateTime
from scipy import signal

from testban.detect.beam import beam, beam_delays
from testban.detect.config import DetectConfig, InfrasoundConfig
from testban.detect.station import AUTH, _quality, _Unit, _units
from testban.features.fk import array_fk, fk_power, fstat_from_power
from testban.features.infrasound import (
    adaptive_factor,
    aperture_km,
    circular_mean,
    f_threshold,
    families,
    fstat_scan,
    null_max_median,
    persistent,
    pmcc_pixels,
    slowness_axes,
    zero_phase_band,
)
from testban.io.problems import ReadProblem
from testban.records.css30 import Amplitude, Arrival, jdate, rounded
from testban.records.earth import KM_PER_DEG

__all__ = [
    "InfrasoundDetection",
    "detect_array",
    "detect_infrasound",
    "detection_rows",
    "infrasound_detections",
]

#: Seconds of beam envelope before a detection that measure its noise level.
NOISE_LEAD = 60.0


@dataclass(frozen=True, slots=True)
class InfrasoundDetection:
    """One infrasound detection at an array, every feature with its unit."""

    sta: str
    """Array code."""
    chan: str
    """Element channel code (``BDF``, ``HDF``, ``EDF`` …)."""
    time: float
    """Onset, epoch s."""
    deltim: float
    """Onset uncertainty, s."""
    end: float
    """End of the signal, epoch s."""
    azimuth: float
    """Back-azimuth, ° from north."""
    delaz: float
    """One-sigma back-azimuth uncertainty, °."""
    velocity: float
    """Trace velocity, km/s."""
    delvel: float
    """One-sigma trace-velocity uncertainty, km/s."""
    fstat: float
    """Fisher F of the beam at the measured slowness (peak window)."""
    threshold: float
    """F threshold of the peak window (NaN for a PMCC-only detection)."""
    coherence: float
    """Mean pair correlation of the elements aligned on the beam (0–1)."""
    p2p: float
    """Peak-to-peak amplitude on the band-passed beam (``units``)."""
    noise_p2p: float
    """Peak-to-peak of the beam over as long a stretch before the onset (``units``)."""
    units: str
    """``Pa`` or ``counts``."""
    freq: float
    """Dominant frequency of the beam, Hz."""
    deltaf: float
    """Half-power width of the beam's spectral peak, Hz."""
    band: tuple[float, float]
    """Detection band, Hz."""
    peak_time: float
    """Centre of the window of largest F, epoch s."""
    method: str
    """``F``, ``F+PMCC`` (confirmed by a family) or ``PMCC``."""
    npix: int = 0
    """Pixels of the PMCC family, 0 without one."""

    @property
    def duration(self) -> float:
        """Signal duration, s."""
        return self.end - self.time

    @property
    def slow(self) -> float:
        """Horizontal slowness, s/° (CSS3.0 ``arrival.slow``)."""
        return KM_PER_DEG / self.velocity if self.velocity > 0 else -1.0

    @property
    def delslo(self) -> float:
        """One-sigma slowness uncertainty, s/°."""
        return self.slow * self.delvel / self.velocity if self.velocity > 0 else -1.0


@dataclass(frozen=True, slots=True)
class _Array:
    """What the measurements need of an array unit."""

    sta: str
    chan: str
    fs: float
    t0: float
    east: np.ndarray
    north: np.ndarray
    scale: float
    units: str


def _run_groups(starts: np.ndarray, det: np.ndarray, az: np.ndarray, step: int, split: float):
    """Runs of consecutive detecting windows of one direction: lists of window indices."""
    runs: list[list[int]] = []
    for w in np.flatnonzero(det):
        if runs:
            last = runs[-1][-1]
            gap = starts[w] - starts[last]
            turn = abs((az[w] - az[last] + 180.0) % 360.0 - 180.0)
            if gap <= step and turn <= split:
                runs[-1].append(int(w))
                continue
        runs.append([int(w)])
    return runs


def _measure(
    arr: _Array,
    x: np.ndarray,
    xf: np.ndarray,
    band: tuple[float, float],
    i_start: int,
    i_end: int,
    i_peak: int,
    nwin: int,
    sx: float,
    sy: float,
    config: InfrasoundConfig,
) -> dict[str, Any]:
    """Features of a detection spanning samples ``i_start``..``i_end`` (peak window at
    ``i_peak``, ``nwin`` long; best grid beam ``sx``/``sy`` s/km)."""
    fs, east, north = arr.fs, arr.east, arr.north
    n = x.shape[1]
    ap = aperture_km(east, north)
    axis, _ = slowness_axes(config.vmin, config.vmax, band[1], ap)
    grid_step = float(axis[1] - axis[0])
    az = math.degrees(math.atan2(-sx, -sy)) % 360.0
    s = math.hypot(sx, sy)
    delaz = math.degrees(grid_step / max(s, 1e-9))
    dels = grid_step
    try:
        fk = array_fk(
            x, fs, east, north, float(i_peak), band=band, window=(0.0, nwin / fs),
            smax=1.1 / config.vmin * KM_PER_DEG, start=(sx, sy),
            search_radius=1.5 * grid_step * KM_PER_DEG,
        )  # fmt: skip
        if math.isfinite(fk.slow) and fk.slow > 0:
            az, s = fk.azimuth, fk.slow / KM_PER_DEG
            delaz, dels = fk.delaz, fk.delslo / KM_PER_DEG
    except (ValueError, np.linalg.LinAlgError):
        pass
    v = 1.0 / s
    dv = v * dels / s
    slow_deg = s * KM_PER_DEG
    bm = beam(xf, fs, east, north, slow_deg, az)
    smooth = max(1, int(round(fs / band[0])))
    env = np.convolve(np.abs(signal.hilbert(bm)), np.ones(smooth) / smooth, mode="same")
    lead0 = max(0, i_start - int(NOISE_LEAD * fs))
    noise = float(np.median(env[lead0:i_start])) if i_start - lead0 > 5 * fs else math.nan
    if not math.isfinite(noise) or noise <= 0:
        noise = float(np.median(env))
    above = env > config.envelope_ratio * noise
    hi = min(n, i_end)
    idx = np.flatnonzero(above[i_start:hi])
    on = i_start + int(idx[0]) if idx.size else i_start + nwin // 2
    off = i_start + int(idx[-1]) + 1 if idx.size else hi
    off = max(off, on + int(fs))
    seg = bm[on:off]
    p2p = float(seg.max() - seg.min()) if seg.size else math.nan
    pre = bm[max(0, on - (off - on)) : on]
    noise_p2p = float(pre.max() - pre.min()) if pre.size > fs else math.nan
    # dominant frequency: peak of the beam's spectrum in the band, half-power width
    nfft = max(1 << int(max(seg.size, 8) - 1).bit_length(), int(8 * fs / band[0]))
    spec = np.abs(np.fft.rfft(seg * np.hanning(seg.size), n=nfft)) ** 2
    freqs = np.fft.rfftfreq(nfft, 1.0 / fs)
    inb = np.flatnonzero((freqs >= band[0]) & (freqs <= band[1]))
    k = int(inb[np.argmax(spec[inb])])
    half = spec > 0.5 * spec[k]
    lo_k = k
    while lo_k > 0 and half[lo_k - 1]:
        lo_k -= 1
    hi_k = k
    while hi_k < len(half) - 1 and half[hi_k + 1]:
        hi_k += 1
    freq, deltaf = float(freqs[k]), float(freqs[hi_k] - freqs[lo_k])
    # coherence: elements aligned on the beam
    shifts = np.round(beam_delays(east, north, np.array([slow_deg]), np.array([az]))[0] * fs)
    shifts = shifts.astype(int)
    a, b = on + shifts.min(), off + shifts.max()
    coherence = math.nan
    if a >= 0 and b <= n and off - on > 2:
        aligned = np.stack([xf[j, on + shifts[j] : off + shifts[j]] for j in range(len(east))])
        c = np.corrcoef(aligned)
        coherence = float(c[np.triu_indices(len(east), 1)].mean())
    # F at the refined slowness over the peak window
    spec_w = np.fft.rfft(xf[:, i_peak : i_peak + nwin], axis=-1)
    fw = np.fft.rfftfreq(nwin, 1.0 / fs)
    keep = (fw >= band[0]) & (fw <= band[1]) & (fw > 0)
    sxr, syr = -s * math.sin(math.radians(az)), -s * math.cos(math.radians(az))
    r = float(
        fk_power(spec_w[:, keep], fw[keep], east, north, np.array([sxr]), np.array([syr]))[0, 0]
    )
    return dict(
        time=arr.t0 + on / fs,
        deltim=max(1.0 / max(freq, 1e-3), smooth / fs / 2),
        end=arr.t0 + off / fs,
        azimuth=az,
        delaz=min(delaz, 180.0),
        velocity=v,
        delvel=dv,
        fstat=fstat_from_power(min(r, 1.0 - 1e-12), len(east)),
        coherence=coherence,
        p2p=p2p * arr.scale,
        noise_p2p=noise_p2p * arr.scale,
        units=arr.units,
        freq=freq,
        deltaf=deltaf,
        band=(float(band[0]), float(band[1])),
        peak_time=arr.t0 + (i_peak + nwin / 2) / fs,
    )


def _overlaps(a: InfrasoundDetection, b: InfrasoundDetection, az_tol: float) -> bool:
    turn = abs((a.azimuth - b.azimuth + 180.0) % 360.0 - 180.0)
    return a.time < b.end and b.time < a.end and turn <= az_tol


def detect_array(
    x: np.ndarray,
    fs: float,
    east: np.ndarray,
    north: np.ndarray,
    t0: float,
    config: InfrasoundConfig | None = None,
    *,
    usable: np.ndarray | None = None,
    sta: str = "",
    chan: str = "",
    scale: float = 1.0,
    units: str = "counts",
) -> tuple[list[InfrasoundDetection], list[tuple[InfrasoundDetection, str]]]:
    """Infrasound detections of one array: element traces ``x`` (n_sta, n) sampled at
    ``fs`` Hz from epoch ``t0``, element offsets in km.

    ``usable`` (n,) marks good samples (windows mostly outside it are skipped); ``scale``
    turns samples into ``units``. Returns the detections and the rejected ones with the
    reason (coherent noise).
    """
    cfg = config or InfrasoundConfig()
    x = np.asarray(x, dtype=np.float64)
    east = np.asarray(east, dtype=np.float64)
    north = np.asarray(north, dtype=np.float64)
    top = max((b.high for b in cfg.bands), default=0.0)
    q = int(fs // (4.0 * top)) if top > 0 else 1
    if q >= 2:  # the bands need no more than 4 samples per period of their top corner
        x = signal.decimate(x, q, ftype="fir", zero_phase=True, axis=-1)
        if usable is not None:
            m = usable[: usable.size // q * q].reshape(-1, q).all(axis=1)
            usable = np.concatenate([m, np.ones(x.shape[1] - m.size, bool)])[: x.shape[1]]
        fs = fs / q
    n_sta, n = x.shape
    arr = _Array(sta, chan, fs, t0, east, north, scale, units)
    found: list[InfrasoundDetection] = []
    rejected: list[tuple[InfrasoundDetection, str]] = []
    noise_az: list[float] = []
    span = n / fs
    bands = [b for b in cfg.bands if b.high < 0.45 * fs and b.window * fs < n]
    for band in bands:
        lohi = (band.low, band.high)
        xf = zero_phase_band(x, fs, lohi)
        step_s = band.window * (1.0 - cfg.overlap)
        scan = fstat_scan(
            xf, fs, east, north, lohi, band.window, step_s, cfg.vmin, cfg.vmax, usable
        )
        if scan.start.size == 0:
            continue
        thr = f_threshold(cfg.p_value, scan.nbeams, scan.dof, n_sta)
        c = adaptive_factor(scan.fstat, null_max_median(scan.nbeams, scan.dof, n_sta))
        level = c * thr
        det = scan.fstat > level
        az = np.degrees(np.arctan2(-scan.sx, -scan.sy)) % 360.0
        noisy = persistent(  # coherent beyond the incoherent-noise level most of the time
            az, scan.fstat > thr, span, step_s, sector=cfg.persist_sector,
            min_fraction=cfg.persist_fraction, min_span=cfg.persist_min_span,
        )  # fmt: skip
        noise_az += list(az[noisy])
        step = int(round(step_s * fs))
        for run in _run_groups(scan.start, det, az, step, cfg.split_azimuth):
            w = run[int(np.argmax(scan.fstat[run]))]
            i0, i1 = int(scan.start[run[0]]), int(scan.start[run[-1]]) + scan.nwin
            feats = _measure(
                arr, x, xf, lohi, i0, i1, int(scan.start[w]), scan.nwin,
                float(scan.sx[w]), float(scan.sy[w]), cfg,
            )  # fmt: skip
            d = InfrasoundDetection(
                sta=sta, chan=chan, threshold=float(level[w]), method="F", **feats
            )
            if noisy[run].mean() >= 0.5:
                rejected.append((d, f"persistent back-azimuth {az[w]:.0f}° (coherent noise)"))
            else:
                found.append(d)
    # one detection per arrival: the strongest (F over its threshold) of the bands
    found.sort(key=lambda d: -d.fstat / d.threshold)
    kept: list[InfrasoundDetection] = []
    for d in found:
        if not any(_overlaps(d, k, 2 * cfg.pmcc_azimuth) for k in kept):
            kept.append(d)
    if cfg.pmcc and bands and n_sta >= 3:
        main = bands[0]
        edges = np.geomspace(main.low, main.high, cfg.pmcc_bands + 1)
        pix = pmcc_pixels(
            x, fs, east, north, list(zip(edges[:-1], edges[1:], strict=True)),
            vmin=cfg.vmin, vmax=cfg.vmax, consistency=cfg.pmcc_consistency, usable=usable,
        )  # fmt: skip
        labels = families(
            pix, az_tol=cfg.pmcc_azimuth, v_tol=cfg.pmcc_velocity, min_pixels=cfg.pmcc_min_pixels
        )
        xf = zero_phase_band(x, fs, (main.low, main.high))
        for fam in range(labels.max() + 1 if labels.size else 0):
            m = labels == fam
            faz, _sd = circular_mean(pix.azimuth[m])
            fv = float(np.median(pix.velocity[m]))
            t_a, t_b = t0 + float(pix.start[m].min()), t0 + float(pix.end[m].max())
            npix = int(m.sum())
            probe = InfrasoundDetection(
                sta, chan, t_a, 0.0, t_b, faz, 0.0, fv, 0.0, math.nan, math.nan, math.nan,
                math.nan, math.nan, units, math.nan, math.nan, (main.low, main.high), t_a,
                "PMCC", npix,
            )  # fmt: skip
            hit = [i for i, k in enumerate(kept) if _overlaps(probe, k, 2 * cfg.pmcc_azimuth)]
            if hit:
                i = hit[0]
                kept[i] = dataclasses.replace(kept[i], method="F+PMCC", npix=npix)
                continue
            near_noise = [
                a for a in noise_az if abs((a - faz + 180) % 360 - 180) <= cfg.persist_sector / 2
            ]
            i0 = max(0, int((t_a - t0) * fs))
            i1 = min(n, int((t_b - t0) * fs))
            nwin = min(int(main.window * fs), i1 - i0)
            if nwin < 4 * fs:
                continue
            s = 1.0 / fv
            sx, sy = -s * math.sin(math.radians(faz)), -s * math.cos(math.radians(faz))
            feats = _measure(arr, x, xf, (main.low, main.high), i0, i1, i0, nwin, sx, sy, cfg)
            d = InfrasoundDetection(
                sta=sta, chan=chan, threshold=math.nan, method="PMCC", npix=npix, **feats
            )
            if near_noise:
                rejected.append((d, f"PMCC family at persistent back-azimuth {faz:.0f}°"))
            else:
                kept.append(d)
    kept.sort(key=lambda d: d.time)
    return kept, rejected


def _scale(unit: _Unit, network: Any, config: InfrasoundConfig) -> tuple[float, str]:
    """Samples → pascal factor and unit name, from a response, a calibration or config."""
    response = None
    if network is not None:
        try:
            response = network.response(unit.codes[0], unit.chans[0])
        except KeyError:
            response = None
    if response is not None:
        try:
            sens = response.instrument_sensitivity
            if sens is not None and sens.value:
                return 1.0 / float(sens.value), str(sens.input_units or "Pa")
        except AttributeError:
            pass
    if unit.calib != 1.0:
        return unit.calib, "Pa"
    if config.assume_units:
        return 1.0, config.assume_units
    return 1.0, "counts"


def infrasound_detections(
    stream: Stream,
    network: Any = None,
    config: InfrasoundConfig | None = None,
    *,
    start: UTCDateTime | float | None = None,
    end: UTCDateTime | float | None = None,
    source: str = "stream",
    qc: DetectConfig | None = None,
) -> tuple[list[InfrasoundDetection], list[ReadProblem]]:
    """Infrasound detections (onsets in ``[start, end)``) of the arrays in ``stream``.

    Pressure channels (``config.channels``) are grouped into arrays by ``network`` (a
    :class:`testban.network.Network`) and quality-controlled as the seismic detector's
    channels are (``qc``: its gap, spike, clipping and dead-channel rules).
    """
    cfg = config or InfrasoundConfig()
    problems: list[ReadProblem] = []
    if not cfg.enabled:
        return [], problems
    traces = [
        tr for tr in stream if any(fnmatch.fnmatchcase(tr.stats.channel, p) for p in cfg.channels)
    ]
    if not traces:
        return [], problems
    base = dataclasses.replace(
        qc or DetectConfig(),
        vertical=cfg.channels,
        min_elements=cfg.min_elements,
        min_sampling_rate=cfg.min_sampling_rate,
    )
    units, probs = _units(Stream(traces), network, base)
    problems += probs
    t_lo = -math.inf if start is None else float(start)
    t_hi = math.inf if end is None else float(end)
    out: list[InfrasoundDetection] = []
    for unit in units:
        if not unit.is_array:
            problems.append(
                ReadProblem(
                    source,
                    "single infrasound sensor: not processed (array detection needs "
                    f"{cfg.min_elements} elements)",
                    seed_id=unit.seed[0],
                    severity="info",
                )
            )
            continue
        x, bad, live, probs = _quality(unit, base, source)
        problems += probs
        if len(live) < cfg.min_elements:
            problems.append(
                ReadProblem(
                    source,
                    f"infrasound array {unit.sta}: only {len(live)} live elements",
                    severity="warning",
                )
            )
            continue
        assert unit.east is not None and unit.north is not None
        scale, unit_name = _scale(unit, network, cfg)
        usable = np.asarray(~bad[live].any(axis=0), dtype=bool)
        dets, rejected = detect_array(
            x[live], unit.fs, unit.east[live], unit.north[live], unit.t0, cfg,
            usable=usable, sta=unit.sta, chan=unit.chans[0], scale=scale, units=unit_name,
        )  # fmt: skip
        out += [d for d in dets if t_lo <= d.time < t_hi]
        for d, why in rejected:
            if t_lo <= d.time < t_hi:
                problems.append(
                    ReadProblem(
                        source,
                        f"infrasound detection at {UTCDateTime(d.time)} rejected: {why}",
                        seed_id=unit.sta,
                        severity="info",
                    )
                )
    return out, problems


def detect_infrasound(
    stream: Stream,
    network: Any = None,
    config: InfrasoundConfig | None = None,
    *,
    start: UTCDateTime | float | None = None,
    end: UTCDateTime | float | None = None,
    first_arid: int = 1,
    source: str = "stream",
    auth: str = AUTH,
    qc: DetectConfig | None = None,
) -> tuple[list[Arrival], list[Amplitude], list[ReadProblem]]:
    """:func:`infrasound_detections` as CSS3.0 ``arrival`` and ``amplitude`` rows
    (the contract of :func:`testban.detect.station.detect_stream`)."""
    dets, problems = infrasound_detections(
        stream, network, config, start=start, end=end, source=source, qc=qc
    )
    arrivals, amplitudes = detection_rows(dets, first_arid=first_arid, auth=auth)
    return arrivals, amplitudes, problems


def _na(v: float) -> float:
    return float(v) if math.isfinite(v) else -1.0


def detection_rows(
    detections: list[InfrasoundDetection], *, first_arid: int = 1, auth: str = AUTH
) -> tuple[list[Arrival], list[Amplitude]]:
    """CSS3.0 rows of infrasound detections (``ampid`` equals the arid it measures)."""
    arrivals, amplitudes = [], []
    for k, d in enumerate(sorted(detections, key=lambda d: (d.sta, d.time))):
        arid = first_arid + k
        per = 1.0 / d.freq if d.freq > 0 else -1.0
        arrivals.append(
            rounded(
                Arrival(
                    sta=d.sta, time=d.time, arid=arid, jdate=jdate(d.time), chan=d.chan,
                    iphase="I", deltim=_na(d.deltim), azimuth=d.azimuth, delaz=_na(d.delaz),
                    slow=_na(d.slow), delslo=_na(d.delslo), per=per, snr=_na(d.fstat),
                    auth=auth,
                )
            )
        )  # fmt: skip
        if math.isfinite(d.p2p):
            snr = d.p2p / d.noise_p2p if d.noise_p2p > 0 else -1.0
            amplitudes.append(
                rounded(
                    Amplitude(
                        ampid=arid, arid=arid, chan=d.chan, amp=d.p2p, per=per, snr=_na(snr),
                        amptime=d.peak_time, time=d.time, duration=d.duration,
                        deltaf=_na(d.deltaf), amptype="IPP", units=d.units, inarrival="n",
                        auth=auth,
                    )
                )
            )  # fmt: skip
    return arrivals, amplitudes
