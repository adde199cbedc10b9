"""Synthetic continuous waveforms: coloured, non-stationary noise plus P and S wavelets.

Noise: Gaussian noise shaped in the frequency domain to a displacement spectrum with the
secondary-microseism peak at 0.2 Hz and an f^-2.5 fall-off above it, the shape of
Peterson's (1993) NLNM/NHNM in displacement; the 0.8–4.5 Hz band RMS equals the
station's ``noise_nm`` and the microseism band is ~50x larger, as at a quiet
continental site. A slow gain (day-night cycle plus a few-hour wander, ±30 %) makes it
non-stationary.

Signals: each phase is a damped sinusoid at the period of the amplitude model (longer for
bigger events: corner frequency falls with magnitude), peak amplitude from
:mod:`testban.simulate.arrivals` (same Q and offsets, an independent scatter draw).
Array elements see a plane wave: delay −s·(e·sin β + n·cos β) for slowness s (s/km),
back azimuth β and element offsets (e, n) km. On 3-C, P is mostly vertical (incidence
20–40°) with the rest radial; S-types lie on the horizontals, split between radial and
transverse. Samples are int32 counts at a nominal calib of 0.01 nm/count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from obspy import Stream, Trace, UTCDateTime
from scipy import fft as sp_fft

from testban.records.css30 import Origin, Site, to_arrays
from testban.simulate.arrivals import _candidates, _station_table
from testban.simulate.seismicity import TimeLike, epoch
from testban.simulate.stations import Station, as_stations
from testban.traveltime import KM_PER_DEG, travel_times

CALIB_NM_PER_COUNT = 0.01
NETWORK_CODE = "TB"
#: Microseism peak spectral level relative to 1 Hz: its band RMS is ~50x the 1 Hz band.
MICROSEISM_PEAK = 150.0


def noise_spectrum(freq: np.ndarray) -> np.ndarray:
    """Relative displacement amplitude spectrum: microseism peak + f^-2.5 above it.

    Below the microseism the body term is cut (the low-noise notch near 0.03–0.1 Hz in
    displacement), so traces do not wander at long periods.
    """
    f = np.maximum(freq, 1e-3)
    micro = np.exp(-0.5 * (np.log(f / 0.2) / 0.35) ** 2)
    body = f**-2.5 / (1.0 + (0.3 / f) ** 6)
    return MICROSEISM_PEAK * micro + body


def noise_filter(n: int, fs: float, band_rms: float) -> np.ndarray:
    """rfft-domain filter turning unit white noise into :func:`noise_spectrum` noise.

    Scaled so the 0.8–4.5 Hz band RMS is ``band_rms`` (one-sided Parseval sum).
    """
    freq = np.fft.rfftfreq(n, 1.0 / fs)
    shape = noise_spectrum(freq)
    shape[0] = 0.0
    band = (freq >= 0.8) & (freq <= 4.5)
    return shape * (band_rms / np.sqrt(2.0 / n * np.sum(shape[band] ** 2)))


def noise_gain(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Slow gain: day-night cycle (±20 %) and a 5.3 h wander (±10 %), random phases."""
    phase = rng.uniform(0, 2 * np.pi, 2)
    day = np.sin(2 * np.pi * t / 86400.0 + phase[0])
    wander = np.sin(2 * np.pi * t / (5.3 * 3600.0) + phase[1])
    return 1.0 + 0.2 * day + 0.1 * wander


def coloured_noise(filt: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of Gaussian noise shaped by ``filt`` (from :func:`noise_filter`)."""
    white = rng.standard_normal(n, dtype=np.float32)
    return sp_fft.irfft(sp_fft.rfft(white, workers=-1) * filt, n, workers=-1)


def _wavelets(
    t: np.ndarray, onset: np.ndarray, amp: np.ndarray, period: np.ndarray, tau: np.ndarray
) -> np.ndarray:
    """Sum of damped sinusoids (peak ≈ ``amp``) starting at ``onset`` on time axis ``t``."""
    out = np.zeros(t.size)
    if not onset.size:
        return out
    dt = t[1] - t[0]
    length = int(np.ceil(np.max(6 * tau) / dt)) + 2
    first = np.floor((onset - t[0]) / dt).astype(int) + 1
    idx = first[:, None] + np.arange(length)[None, :]
    rel = t[0] + idx * dt - onset[:, None]
    # Peak of sin(2πt/T)·exp(−t/τ) normalised to one, ramped in over a quarter period.
    w = np.sin(2 * np.pi * rel / period[:, None]) * np.exp(-rel / tau[:, None])
    w /= np.max(np.abs(w), axis=1, keepdims=True) + 1e-30
    w *= amp[:, None] * (rel >= 0)
    ok = (idx >= 0) & (idx < t.size)
    return out + np.bincount(idx[ok], weights=w[ok], minlength=t.size)


def simulate_waveforms(
    events: Sequence[Origin],
    network: Sequence[Station] | Sequence[Site],
    stations: Iterable[str] | None = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    seed: int = 0,
    sampling_rate: float | None = None,
    model: str = "iasp91",
) -> Stream:
    """Continuous int32 traces for ``stations`` (codes; default all) from ``start`` to ``end``.

    Arrays give an ``SHZ`` trace per element (and ``BH?`` on the first element when 3-C);
    single stations ``BHZ/BHN/BHE``. ``sampling_rate`` defaults to each station's.
    """
    if start is None or end is None:
        raise ValueError("simulate_waveforms needs start and end")
    t0, t1 = epoch(start), epoch(end)
    rng = np.random.default_rng(seed)
    net = as_stations(network)
    wanted = set(stations) if stations is not None else None
    chosen = [s for s in net if wanted is None or s.code in wanted]
    st = _station_table(chosen)
    tt = travel_times(model)
    ev = to_arrays(list(events), ["lat", "lon", "depth", "time", "mb", "etype"])
    cands = []
    if events and chosen:
        ev["explosion"] = np.isin(ev["etype"], ("ex", "en", "qb"))
        for c in _candidates(ev, st, tt):
            onset = ev["time"][c["i"]] + c["tt"]
            log_a = c["log_a"] + rng.normal(0.0, 0.3, onset.size)
            # Signals below a tenth of the noise change nothing visible: skip them.
            audible = log_a > np.log10(0.1 * st["noise"][c["j"]])
            keep = (onset > t0 - 120.0) & (onset < t1) & (c["phase"] != "LR") & audible
            if keep.any():
                amp = 10 ** log_a[keep]
                cands.append(
                    dict(
                        j=c["j"][keep],
                        onset=onset[keep],
                        amp=amp,
                        per=c["per"][keep],
                        slow=c["slow"][keep],
                        baz=c["seaz"][keep],
                        vertical=c["vertical"],
                        regional=c["delta"][keep] < 20.0,
                    )
                )
    stream = Stream()
    for js, s in enumerate(chosen):
        fs = float(sampling_rate or s.samprate)
        n = int(round((t1 - t0) * fs))
        t = t0 + np.arange(n) / fs
        filt = noise_filter(n, fs, s.noise_nm).astype(np.complex64)
        gain = noise_gain(t, rng)
        sig = [
            {k: (v[c["j"] == js] if isinstance(v, np.ndarray) else v) for k, v in c.items()}
            for c in cands
        ]
        weights = [_component_weights(c, np.radians(c["baz"]), rng) for c in sig]
        elements = s.elements if s.is_array else (None,)
        for ie, e in enumerate(elements):
            code = e.code if e is not None else s.code
            shift_e, shift_n = (e.deast, e.dnorth) if e is not None else (0.0, 0.0)
            chans = ["SHZ"] if s.is_array else []
            if s.three_c and ie == 0:
                chans += ["BHZ", "BHN", "BHE"]
            elif not s.is_array:
                chans += ["BHZ"]
            for chan in chans:
                data = coloured_noise(filt, n, rng) * gain
                for c, w in zip(sig, weights, strict=True):
                    if not c["onset"].size:
                        continue
                    b = np.radians(c["baz"])
                    delay = -(c["slow"] / KM_PER_DEG) * (shift_e * np.sin(b) + shift_n * np.cos(b))
                    weight = w[chan[-1]]
                    tau = np.where(c["vertical"], 1.5, np.where(c["regional"], 6.0, 3.0)) * c["per"]
                    data += _wavelets(
                        t,
                        c["onset"] + delay,
                        c["amp"] * weight,
                        c["per"],
                        np.broadcast_to(tau, c["onset"].shape),
                    )
                counts = np.clip(np.round(data / CALIB_NM_PER_COUNT), -(2**31) + 1, 2**31 - 1)
                tr = Trace(counts.astype(np.int32))
                tr.stats.update(
                    dict(
                        network=NETWORK_CODE,
                        station=code,
                        location="",
                        channel=chan,
                        sampling_rate=fs,
                        starttime=UTCDateTime(t0),
                        calib=CALIB_NM_PER_COUNT,
                    )
                )
                stream.append(tr)
    return stream


def _component_weights(c: dict, baz: np.ndarray, rng: np.random.Generator) -> dict:
    """Share of each phase's amplitude on Z, N, E: P on Z (+radial), S on the horizontals."""
    n = baz.size
    if c["vertical"]:
        inc = np.radians(np.where(c["regional"], 40.0, 20.0))
        z, r, tr = np.cos(inc), np.sin(inc), np.zeros(n)
    else:
        split = rng.uniform(0.2, 0.8, n)
        z, r, tr = np.full(n, 0.15), np.sqrt(split), np.sqrt(1 - split)
    # Radial points away from the source (back azimuth + 180°); transverse 90° clockwise.
    re, rn = -np.sin(baz), -np.cos(baz)
    te, tn = -rn, re
    return {"Z": z, "N": r * rn + tr * tn, "E": r * re + tr * te}
