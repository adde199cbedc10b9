"""Station processing: waveforms in, CSS3.0 ``arrival`` and ``amplitude`` rows out.

:func:`detect_stream` is the whole chain on a Stream in memory (no I/O); it groups the
traces into detection units — an array (its elements' verticals, beamed) or a single
station (its vertical, plus horizontals when 3-C) — and per unit:

1. quality control per channel (:mod:`~testban.detect.qc`): gaps, clipping, spikes and
   flat lines are masked and zeroed, dead channels dropped, all reported;
2. detection (:mod:`~testban.detect.stalta`, :mod:`~testban.detect.trigger`): beams over
   the slowness grid for arrays (:mod:`~testban.detect.beam`), then the filter bank and
   STA/LTA per beam and band, triggers on the best band;
3. onset refinement (:func:`testban.onset.refine_onset`) on the raw best beam/channel;
4. features (:mod:`testban.features`): A5/2 amplitude and period, array f-k or 3-C
   polarisation, initial phase; an S onset on 3-C stations after regional P.

:func:`testban.detect.tables.detect_paths` streams files through it and writes tables.
"""

from __future__ import annotations

import fnmatch
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from obspy import Stream, UTCDateTime

from testban.detect.beam import beam, beam_delays, beam_names, delay_and_sum, slowness_grid
from testban.detect.config import PRESSURE_CHANNELS, DetectConfig
from testban.detect.filters import bank_sos, usable_bands
from testban.detect.qc import assess, clean, dilate
from testban.detect.stalta import bank_sta_lta
from testban.detect.trigger import Trigger, pick_triggers
from testban.features import amplitude_a52, array_fk, initial_phase, polarization
from testban.features.amplitude import NM_PER_UNIT
from testban.features.fk import slowness_vector
from testban.io.problems import ReadProblem
from testban.onset import pick_s, refine_onset
from testban.records.css30 import Amplitude, Arrival, jdate, rounded
from testban.records.earth import KM_PER_DEG

__all__ = ["AUTH", "detect_stream"]

AUTH = "testban"
#: Surface S velocity (km/s) turning a 3-C apparent emergence angle into a slowness
#: (Wiechert: p = sin(ema/2) / β at a free surface).
SURFACE_VS = 3.5

PathLike = str | os.PathLike[str]


@dataclass
class _Unit:
    """One detection unit on a common sample grid: an array or a single station."""

    sta: str
    fs: float
    t0: float
    codes: list[str]
    chans: list[str]
    data: np.ndarray  # (nchan, n) float64 with NaN in gaps
    calib: float = 1.0
    east: np.ndarray | None = None
    north: np.ndarray | None = None
    horizontals: tuple[np.ndarray, np.ndarray] | None = None  # north, east
    seed: list[str] = field(default_factory=list)

    @property
    def is_array(self) -> bool:
        return self.east is not None


def _na(v: float | None, na: float = -1.0) -> float:
    return float(v) if v is not None and math.isfinite(v) else na


def _pick_vertical(chans: Iterable[str], patterns: Sequence[str]) -> str | None:
    chans = sorted(chans)
    for p in patterns:
        for c in chans:
            if fnmatch.fnmatchcase(c, p):
                return c
    return None


def _grid(traces: list, fs: float) -> tuple[float, int]:
    t0 = min(float(tr.stats.starttime) for tr in traces)
    t1 = max(float(tr.stats.endtime) for tr in traces)
    return t0, int(round((t1 - t0) * fs)) + 1


def _place(out: np.ndarray, traces: list, t0: float, fs: float) -> None:
    for tr in traces:
        i = int(round((float(tr.stats.starttime) - t0) * fs))
        d = np.asarray(tr.data, dtype=np.float64)
        j0, j1 = max(i, 0), min(i + d.size, out.size)
        if j1 > j0:
            out[j0:j1] = d[j0 - i : j1 - i]


def _units(
    stream: Stream, network: Any, config: DetectConfig
) -> tuple[list[_Unit], list[ReadProblem]]:
    """Group a stream into detection units (arrays first, then single stations)."""
    problems: list[ReadProblem] = []
    by_sta: dict[str, dict[tuple[str, str], list]] = {}
    skipped: set[str] = set()
    for tr in stream:
        s = tr.stats
        if s.sampling_rate < config.min_sampling_rate:
            if tr.id not in skipped:
                skipped.add(tr.id)
                problems.append(
                    ReadProblem(
                        "detect",
                        f"not processed: {s.sampling_rate:g} Hz is below "
                        f"min_sampling_rate {config.min_sampling_rate:g} Hz",
                        seed_id=tr.id,
                        severity="info",
                    )
                )
            continue
        by_sta.setdefault(s.station, {}).setdefault((s.location, s.channel), []).append(tr)

    # one location code per station: the one with the most vertical samples
    chosen: dict[str, dict[str, list]] = {}
    for sta, groups in by_sta.items():
        locs: dict[str, int] = {}
        for (loc, chan), trs in groups.items():
            if _pick_vertical([chan], config.vertical):
                locs[loc] = locs.get(loc, 0) + sum(t.stats.npts for t in trs)
        if not locs:
            problems.append(
                ReadProblem(
                    "detect",
                    "no vertical channel: station not processed",
                    seed_id=f".{sta}..",
                    severity="warning",
                )
            )
            continue
        loc = sorted(locs, key=lambda k: (-locs[k], k))[0]
        others = sorted(k for k in locs if k != loc)
        if others:
            problems.append(
                ReadProblem(
                    "detect",
                    f"location {loc!r} used; other sensors {others} not processed",
                    seed_id=f".{sta}..",
                    severity="info",
                )
            )
        chosen[sta] = {chan: trs for (lo, chan), trs in groups.items() if lo == loc}

    units: list[_Unit] = []
    used: set[str] = set()
    arrays = network.arrays() if network is not None else {}
    for arr, elements in arrays.items():
        members = []
        for code in elements:
            if code not in chosen:
                continue
            z = _pick_vertical(chosen[code], config.vertical)
            if z is not None:
                members.append((code, z, chosen[code][z]))
        if len(members) < config.min_elements:
            continue
        rates = [m[2][0].stats.sampling_rate for m in members]
        fs = max(set(rates), key=rates.count)
        members = [m for m in members if m[2][0].stats.sampling_rate == fs]
        offsets = network.offsets(arr)
        index = {c: i for i, c in enumerate(network.elements(arr))}
        traces = [tr for m in members for tr in m[2]]
        t0, n = _grid(traces, fs)
        data = np.full((len(members), n), np.nan)
        for k, m in enumerate(members):
            _place(data[k], m[2], t0, fs)
        off = np.array([offsets[index[m[0]]] for m in members])
        units.append(
            _Unit(
                arr,
                fs,
                t0,
                [m[0] for m in members],
                [m[1] for m in members],
                data,
                calib=float(members[0][2][0].stats.calib or 1.0),
                east=off[:, 0],
                north=off[:, 1],
                seed=[m[2][0].id for m in members],
            )
        )
        used.update(m[0] for m in members)

    for sta, chans in sorted(chosen.items()):
        if sta in used:
            continue
        z = _pick_vertical(chans, config.vertical)
        if z is None:
            continue
        fs = chans[z][0].stats.sampling_rate
        t0, n = _grid(chans[z], fs)
        data = np.full((1, n), np.nan)
        _place(data[0], chans[z], t0, fs)
        horiz = None
        pair = [c for c in sorted(chans) if c[:2] == z[:2] and c[-1] in "NE"]
        if len(pair) == 2 and all(chans[c][0].stats.sampling_rate == fs for c in pair):
            hn, he = np.full(n, np.nan), np.full(n, np.nan)
            _place(hn, chans[z[:2] + "N"], t0, fs)
            _place(he, chans[z[:2] + "E"], t0, fs)
            horiz = (hn, he)
        units.append(
            _Unit(
                sta,
                fs,
                t0,
                [sta],
                [z],
                data,
                calib=float(chans[z][0].stats.calib or 1.0),
                horizontals=horiz,
                seed=[chans[z][0].id],
            )
        )
    return units, problems


def _quality(
    unit: _Unit, config: DetectConfig, source: str
) -> tuple[np.ndarray, np.ndarray, list[int], list[ReadProblem]]:
    """Cleaned data, bad masks and live channel indices of a unit, with its problems."""
    fs = unit.fs
    problems = []
    x = np.zeros_like(unit.data)
    bad = np.ones(unit.data.shape, bool)
    live = []
    when = f"{UTCDateTime(unit.t0)} +{unit.data.shape[1] / fs:.0f} s"
    for k in range(unit.data.shape[0]):
        b, q = assess(
            unit.data[k],
            fs,
            spike_sigma=config.spike_sigma,
            clip_run=config.clip_run,
            max_bad_fraction=config.max_bad_fraction,
        )
        bad[k] = b
        sid = unit.seed[k] if k < len(unit.seed) else f".{unit.codes[k]}..{unit.chans[k]}"
        if q.dead:
            problems.append(
                ReadProblem(
                    source,
                    f"dead channel: {q.fraction:.0%} of samples unusable (gaps "
                    f"{q.gap / fs:.0f} s, flat {q.flat / fs:.0f} s, clipped {q.clipped}, spikes "
                    f"{q.spikes}); not used",
                    record=when,
                    seed_id=sid,
                )
            )
            continue
        live.append(k)
        x[k] = clean(unit.data[k], b, q.median)
        masked = q.clipped + q.spikes + q.flat
        if masked:
            problems.append(
                ReadProblem(
                    source,
                    f"masked {masked} samples (clipped {q.clipped}, spikes {q.spikes}, "
                    f"flat {q.flat})",
                    record=when,
                    seed_id=sid,
                    severity="warning",
                )
            )
    return x, bad, live, problems


def _steer(slow: np.ndarray, baz: np.ndarray, ibeam: int) -> tuple[float, float] | None:
    """The triggering beam as an f-k seed, or None where it cannot bound the answer.

    The vertical beam says nothing about the direction, and the outermost ring also
    triggers on slower phases (Sn, Lg, Rg) than it is steered to: both search the whole
    disc. Inner rings seed a local search (:data:`testban.features.fk.START_RADIUS`).
    """
    s = float(slow[ibeam])
    if s <= 0.0 or s >= float(slow.max()):
        return None
    return s, float(baz[ibeam])


def _features(
    unit: _Unit,
    x: np.ndarray,
    live: list[int],
    beams: np.ndarray,
    trig: Trigger,
    ibeam: int,
    names: list[str],
    band: Any,
    network: Any,
    config: DetectConfig,
    clipped: np.ndarray,
    steer: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Onset and features of one trigger: a dict of arrival columns (+ amplitude).

    ``steer`` is the (slowness s/°, back azimuth °) of the triggering beam when it can seed
    the f-k search (see :func:`_steer`); None searches the whole slowness disc.
    """
    fs = unit.fs
    n = beams.shape[0]
    half = int(round(config.snippet * fs))
    i0, i1 = max(0, trig.on - half), min(n, trig.on + half)
    seg = beams[i0:i1, ibeam]
    try:
        onset = refine_onset(
            seg, fs, trig.on - i0, before=config.onset_before, after=config.onset_after
        )
        k, deltim = float(onset.index), float(onset.deltim)
    except (ValueError, IndexError, FloatingPointError):
        k, deltim = float(trig.on - i0), config.onset_before
    if not math.isfinite(k):
        k, deltim = float(trig.on - i0), config.onset_before
    out: dict[str, Any] = dict(time=unit.t0 + (i0 + k) / fs, deltim=deltim, snr=trig.snr)
    az = delaz = slow = delslo = ema = rect = math.nan
    zamp = seg
    fband = (max(band.low, 0.5), band.high)
    if unit.east is not None and unit.north is not None:  # an array
        out["chan"] = names[ibeam]
        xe = x[live, i0:i1]
        try:
            start = slowness_vector(steer[1], steer[0]) if steer is not None else None
            fk = array_fk(xe, fs, unit.east[live], unit.north[live], k, band=fband, start=start)
            az, slow, delaz, delslo = fk.azimuth, fk.slow, fk.delaz, fk.delslo
        except (ValueError, np.linalg.LinAlgError):
            pass
        if math.isfinite(slow) and math.isfinite(az):
            zamp = beam(xe, fs, unit.east[live], unit.north[live], slow, az)
    else:
        out["chan"] = unit.chans[0]
        if unit.horizontals is not None:
            hn, he = (h[i0:i1] for h in unit.horizontals)
            hn = np.nan_to_num(hn - np.nanmedian(hn))
            he = np.nan_to_num(he - np.nanmedian(he))
            pol = polarization(seg, hn, he, fs, k, band=fband)
            az, delaz, ema, rect = pol
            if math.isfinite(ema):
                slow = math.sin(math.radians(ema) / 2.0) / SURFACE_VS * KM_PER_DEG
    response = None
    if network is not None:
        try:
            response = network.response(unit.codes[0], unit.chans[0])
        except KeyError:
            response = None
    scale = 1.0 if response is not None else unit.calib
    known = response is not None or unit.calib != 1.0
    if not known and config.assume_units in NM_PER_UNIT:  # displacement records, stated
        scale, known = NM_PER_UNIT[config.assume_units], True
    amp, per = amplitude_a52(zamp * scale, fs, k, response)
    units = "nm" if known else "counts"
    iphase = initial_phase(slow, per, rect, is_array=unit.is_array)
    a0, a1 = int(i0 + k - 0.5 * fs), int(i0 + k + 5.5 * fs)
    out.update(
        iphase=iphase,
        azimuth=_na(az),
        delaz=_na(delaz),
        slow=_na(slow),
        delslo=_na(delslo),
        ema=_na(ema),
        rect=_na(rect),
        per=_na(per),
        amp=_na(amp) if units == "nm" else -1.0,
        clip="c" if clipped[a0:a1].any() else "n",
        _amp=amp,
        _per=per,
        _units=units,
        _k=i0 + k,
    )
    if unit.horizontals is not None and config.s_max_delay > 0 and iphase in ("Pn", "Pg", "P"):
        hn, he = (np.nan_to_num(h[i0:] - np.nanmedian(h[i0:i1])) for h in unit.horizontals)
        end = min(beams.shape[0], int(i0 + k + (config.s_max_delay + 5) * fs))
        try:
            s = pick_s(
                beams[i0:end, 0],
                hn[: end - i0],
                he[: end - i0],
                fs,
                k,
                max_delay=config.s_max_delay,
            )
        except (ValueError, IndexError):
            s = None
        if s is not None and math.isfinite(s.index):
            out["_s"] = (unit.t0 + (i0 + s.index) / fs, s.deltim, s.snr)
    return out


def detect_stream(
    stream: Stream,
    network: Any = None,
    config: DetectConfig | None = None,
    *,
    start: UTCDateTime | float | None = None,
    end: UTCDateTime | float | None = None,
    first_arid: int = 1,
    source: str = "stream",
    auth: str = AUTH,
    exclude: Sequence[str] = PRESSURE_CHANNELS,
) -> tuple[list[Arrival], list[Amplitude], list[ReadProblem]]:
    """Detect arrivals in ``stream`` and measure them.

    Parameters
    ----------
    stream : waveforms (any units; counts with ``stats.calib`` in nm/count, or counts with
        a response in ``network``). Gaps may be split traces; one sample grid per station.
    network : a :class:`testban.network.Network` (array geometry, responses) or None
        (every station is then processed on its own).
    config : parameters; default :class:`DetectConfig`.
    start, end : only triggers in ``[start, end)`` are kept (the rest of the stream warms
        the detector up); default all.
    first_arid : ``arid`` of the first arrival (``ampid`` equals the arid it measures).
    source : name used in the problems reported.
    auth : author of the rows (CSS3.0 ``auth``): a run's own name, so that its detections
        are told from other authors' in a store.
    exclude : channel patterns left to other detectors (pressure channels: infrasound,
        :func:`testban.detect.infrasound.detect_infrasound`; hydrophones).

    Returns
    -------
    arrivals, amplitudes (``amptype="A5/2"``), problems.
    """
    config = config or DetectConfig()
    if exclude:
        stream = Stream(
            [
                tr
                for tr in stream
                if not any(fnmatch.fnmatchcase(tr.stats.channel, p) for p in exclude)
            ]
        )
    units, problems = _units(stream, network, config)
    t_lo = -math.inf if start is None else float(start)
    t_hi = math.inf if end is None else float(end)
    rows: list[tuple[_Unit, dict[str, Any]]] = []
    for unit in units:
        cfg = config.for_station(unit.sta)
        fs = unit.fs
        idx = usable_bands(cfg.bands, fs)
        if not idx:
            problems.append(
                ReadProblem(
                    source,
                    f"no band of the bank fits below Nyquist at {fs:g} Hz",
                    seed_id=unit.seed[0],
                    severity="warning",
                )
            )
            continue
        bands = [cfg.bands[i] for i in idx]
        x, bad, live, probs = _quality(unit, cfg, source)
        problems += probs
        settle = int(round(cfg.settle * fs))
        if unit.is_array:
            if len(live) < cfg.min_elements:
                problems.append(
                    ReadProblem(
                        source,
                        f"array {unit.sta}: only {len(live)} live elements, no beams",
                        severity="warning",
                    )
                )
                continue
            assert unit.east is not None and unit.north is not None  # an array has both
            slow, baz = slowness_grid(cfg.beam_rings)
            names = beam_names(slow, baz)
            shifts = np.round(beam_delays(unit.east[live], unit.north[live], slow, baz) * fs)
            beams = delay_and_sum(x[live], shifts.astype(np.int64))
            mask = dilate(bad[live].mean(axis=0) > 0.5, settle)
            clipped = np.zeros(x.shape[1], bool)
        else:
            names = [unit.chans[0]]
            beams = x[0][:, None]  # onsets and features are measured on the vertical
            mask = dilate(bad[0], settle)
            clipped = bad[0]
        # A 3-C station triggers on every live component (per band the largest ratio, as
        # over an array's beams): a P weak on the vertical (noisy or dead vertical sensor,
        # strong near-surface conversion) still triggers on the horizontals.
        comps = [0] + [k for k in live if k != 0] if not unit.is_array else []
        trigger_traces = x[comps].T if len(comps) > 1 else beams
        if len(comps) > 1:
            mask = dilate(np.any(bad[comps], axis=0), settle)
        ratio, arg = bank_sta_lta(
            trigger_traces,
            bank_sos(bands, fs, cfg.filter_order),
            max(1, round(cfg.sta * fs)),
            max(2, round(cfg.lta * fs)),
            mask,
        )
        trigs = pick_triggers(
            ratio,
            np.array([b.threshold for b in bands]) ** 2,
            fs,
            off_ratio=cfg.off_ratio,
            min_duration=cfg.min_duration,
            min_separation=cfg.min_separation,
        )
        for tg in trigs:
            t_on = unit.t0 + tg.on / fs
            if not (t_lo <= t_on < t_hi):
                continue
            ib = int(arg[tg.band, tg.peak]) if unit.is_array else 0
            row = _features(
                unit, x, live, beams, tg, ib, names, bands[tg.band], network, cfg, clipped,
                steer=_steer(slow, baz, ib) if unit.is_array else None,
            )  # fmt: skip
            rows.append((unit, row))
    arrivals, amplitudes = [], []
    arid = first_arid
    rows.sort(key=lambda r: (r[0].sta, r[1]["time"]))
    for unit, row in rows:
        public = {k: v for k, v in row.items() if not k.startswith("_")}
        arr = rounded(
            Arrival(sta=unit.sta, arid=arid, jdate=jdate(row["time"]), auth=auth, **public)
        )
        arrivals.append(arr)
        if math.isfinite(row["_amp"]):
            amplitudes.append(
                rounded(
                    Amplitude(
                        ampid=arid,
                        arid=arid,
                        chan=row["chan"],
                        amp=row["_amp"],
                        per=_na(row["_per"]),
                        snr=row["snr"],
                        amptime=row["time"],
                        time=row["time"] - 0.5,
                        duration=6.0,
                        amptype="A5/2",
                        units=row["_units"],
                        clip=row["clip"],
                        inarrival="y",
                        auth=auth,
                    )
                )
            )
        arid += 1
        if "_s" in row:
            ts, dts, snr = row["_s"]
            if not any(abs(r["time"] - ts) < config.min_separation for u, r in rows if u is unit):
                arrivals.append(
                    rounded(
                        Arrival(
                            sta=unit.sta,
                            time=ts,
                            arid=arid,
                            jdate=jdate(ts),
                            chan=row["chan"],
                            iphase="S",
                            deltim=_na(dts),
                            snr=_na(snr),
                            auth=auth,
                        )
                    )
                )
                arid += 1
    return arrivals, amplitudes, problems
