"""Detections an automatic IDC system would make: true arrivals with errors, plus noise.

Amplitude model (A in nm zero-to-peak, T in s, the IDC's mb definition inverted):
``log10 A = mb − Q(Δ, h) + log10 T + ε``, ε ~ N(0, 0.3) station/path scatter. Q is a smooth
curve through the Veith–Clawson values the design notes quote (Q(20°)=3.071, Q(60°)=3.731,
Q(100°)=4.761 at h = 0), continued to regional distances as 3.071 + 1.9·log10(Δ/20) (steep
geometric spreading and crustal attenuation), lowered by 0.3 per 600 km of depth (deep
events skip the attenuating upper mantle once). PKP uses a flat Q ≈ 4.6 with a focusing
bump near the 145° caustic. Later phases are offsets from P: S/Sn +0.2, Lg +0.5 (Lg is
usually the largest regional phase), pP −0.15. LR uses Ms ≈ 1.25 mb − 1.75 (earthquakes;
1 unit lower for explosions, the mb:Ms discriminant) in the IDC's Ms formula.

Detection is a logistic in SNR, i.e. in ``mb − mb_threshold(Δ, h, station)`` where the
threshold is the mb giving SNR = 2.5 against the station's noise (beam noise for P on
arrays). Errors of the measured features shrink with SNR; times have Laplacian errors
(heavier tails than Gaussian, as analyst-vs-automatic pick differences show).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from testban.locate.ellipticity import correction as ellipticity_correction
from testban.records.css30 import Arrival, Assoc, Origin, Site, jdate, to_arrays
from testban.simulate.seismicity import TimeLike, epoch
from testban.simulate.stations import Station, as_stations
from testban.traveltime import P_TYPES, TravelTimes, distance_azimuth, travel_times
from testban.traveltime.geometry import geocentric_latitude

AUTH = "testban:sim"
SNR_THRESHOLD = 2.5
LOGISTIC_WIDTH = 0.12  # log10 SNR units: detection goes from 10 % to 90 % over ~0.5 mb

#: False detections per station-hour: arrays beam many directions and trigger most. With
#: the generated network they make ~70 % of a day's detections false, as at the IDC where
#: roughly two thirds of automatic detections are never associated with an REB event.
FALSE_RATE = {"array": 10.0, "primary": 6.0, "auxiliary": 4.0}

#: Pick-error standard deviation (s) at SNR ≈ 9; it scales as 3/sqrt(SNR) within ×0.5–×2.
TIME_SIGMA = {
    "P": 0.25,
    "Pn": 0.25,
    "Pg": 0.3,
    "PKP": 0.35,
    "pP": 0.4,
    "S": 0.9,
    "Sn": 0.8,
    "Lg": 1.5,
    "LR": 10.0,
}


def q_p(delta: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Smooth P attenuation term Q(Δ, h) of mb (see the module docstring)."""
    d = np.clip(delta, 0.2, 180.0)
    tele = 2.8798 + 0.00725 * d + 1.156e-4 * d * d
    regional = 3.071 + 1.9 * np.log10(d / 20.0)
    q = np.where(d < 20.0, regional, tele)
    return q - 0.3 * np.clip(depth, 0, 700) / 600.0


def q_pkp(delta: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Q for PKP: flat with the caustic focusing near 145°."""
    return 4.6 - 0.4 * np.exp(-(((delta - 145.0) / 4.0) ** 2)) - 0.3 * np.clip(depth, 0, 700) / 600


def log_ms_amplitude(ms: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """log10(A/T) of 20 s Rayleigh waves from the IDC's Ms (Rezapour & Pearce 1998)."""
    d = np.clip(delta, 1.0, 179.0)
    return ms - (np.log10(d) / 3 + 0.5 * np.log10(np.sin(np.radians(d))) + 0.0046 * d + 2.370)


def _sigma(snr: np.ndarray, lo: float, hi: float, k: float) -> np.ndarray:
    return np.clip(k / np.sqrt(np.maximum(snr, 1e-3)), lo, hi)


@dataclass
class Detections:
    """Columns of simulated detections (true and false) before they become rows."""

    sta: np.ndarray
    time: np.ndarray
    iphase: np.ndarray
    phase: np.ndarray  # true phase, "" for false detections
    event: np.ndarray  # event index, -1 for false detections
    azimuth: np.ndarray
    slow: np.ndarray
    amp: np.ndarray
    per: np.ndarray
    snr: np.ndarray
    deltim: np.ndarray
    delaz: np.ndarray
    delslo: np.ndarray
    chan: np.ndarray
    timeres: np.ndarray
    azres: np.ndarray
    slores: np.ndarray
    delta: np.ndarray
    seaz: np.ndarray
    esaz: np.ndarray


def ellipticity(
    phase: np.ndarray,
    delta: np.ndarray,
    depth: np.ndarray,
    event_lat: np.ndarray,
    event: np.ndarray,
    esaz: np.ndarray,
) -> np.ndarray:
    """Ellipticity corrections (s) of 1-D travel times, per event (the real Earth is an
    ellipsoid; the locator removes the same corrections, so simulated data carry them)."""
    out = np.zeros(delta.size)
    for e in np.unique(event):
        k = event == e
        lat_c = float(geocentric_latitude(event_lat[e]))
        out[k] = ellipticity_correction(phase[k], delta[k], depth[k], lat_c, esaz[k])
    return out


def _candidates(ev: dict, st: dict, tt: TravelTimes) -> list[dict]:
    """All (event, station, phase) combinations that could be observed, with log10 A."""
    ne, ns = ev["lat"].size, st["lat"].size
    ie, js = np.repeat(np.arange(ne), ns), np.tile(np.arange(ns), ne)
    delta, esaz, seaz = distance_azimuth(ev["lat"][ie], ev["lon"][ie], st["lat"][js], st["lon"][js])
    h, mb = ev["depth"][ie], ev["mb"][ie]
    out = []

    def add(name, iphase, mask, pred, log_a, period, vertical, noise=1.0, names=None):
        """Keep one phase's candidates; ``noise`` scales the station's 1 Hz noise."""
        k = np.flatnonzero(mask & np.isfinite(pred.time))
        if k.size:
            phase = names[k] if names is not None else np.full(k.size, name)
            out.append(
                dict(
                    i=ie[k],
                    j=js[k],
                    phase=phase,
                    iphase=iphase,
                    tt=pred.time[k] + ellipticity(phase, delta[k], h[k], ev["lat"], ie[k], esaz[k]),
                    slow=pred.slowness[k],
                    log_a=log_a[k],
                    per=period[k],
                    vertical=vertical,
                    noise=noise,
                    delta=delta[k],
                    seaz=seaz[k],
                    esaz=esaz[k],
                )
            )

    regional = delta < 20.0
    crustal = h < 40.0
    pred, names = tt.first_arrival(delta, h, P_TYPES)
    names = np.where(regional & crustal & (names == "P"), "Pn", names)
    t_p = np.where(regional, 0.35, 0.6 + 0.15 * (mb - 3.5))
    q = np.where(names == "PKP", q_pkp(delta, h), q_p(delta, h))
    log_ap = mb - q
    add("P", "P", names != "", pred, log_ap + np.log10(t_p), t_p, True, names=names)
    pg = tt.predict("Pg", delta, h)
    add(
        "Pg",
        "P",
        (names != "Pg") & (delta > 1.0),
        pg,
        log_ap + 0.1 + np.log10(0.3),
        np.full(delta.size, 0.3),
        True,
    )
    pp = tt.predict("pP", delta, h)
    add(
        "pP",
        "P",
        (h >= 50.0) & (delta > 25.0) & (delta < 95.0),
        pp,
        log_ap - 0.15 + np.log10(t_p),
        t_p,
        True,
    )
    # Teleseismic S: strongly attenuated at 1 Hz (t* ≈ 4 s), seen at ~0.5 Hz on the
    # horizontals where the microseism flank makes the noise ~4x the 1 Hz level.
    t_s = np.where(regional, 0.6, 2.0)
    add(
        "S",
        "S",
        (delta >= 20.0) & (delta < 95.0),
        tt.predict("S", delta, h),
        log_ap - 0.2 + np.log10(t_s),
        t_s,
        False,
        noise=4.0,
    )
    add(
        "Sn",
        "S",
        regional & crustal,
        tt.predict("Sn", delta, h),
        log_ap + 0.2 + np.log10(t_s),
        t_s,
        False,
        noise=1.5,
    )
    t_lg = np.full(delta.size, 0.8)
    add(
        "Lg",
        "Lg",
        regional & crustal,
        tt.predict("Lg", delta, h),
        log_ap + 0.5 + np.log10(t_lg),
        t_lg,
        False,
        noise=1.5,
    )
    ms = 1.25 * mb - 1.75 - np.where(ev["explosion"][ie], 1.0, 0.0)
    t_lr = np.full(delta.size, 20.0)
    add(
        "LR",
        "LR",
        (mb >= 4.0) & (delta > 2.0) & (h < 100.0),
        tt.predict("LR", delta, h),
        log_ms_amplitude(ms, delta) + np.log10(t_lr),
        t_lr,
        False,
        noise=30.0,
    )
    return out


def _station_table(stations: Sequence[Station]) -> dict[str, np.ndarray]:
    return {
        "lat": np.array([s.lat for s in stations], float),
        "lon": np.array([s.lon for s in stations], float),
        "code": np.array([s.code for s in stations]),
        "array": np.array([s.is_array for s in stations]),
        "three_c": np.array([s.three_c for s in stations]),
        "primary": np.array([s.primary for s in stations]),
        "noise": np.array([s.noise_nm for s in stations], float),
        "beam_noise": np.array([s.beam_noise_nm for s in stations], float),
        "vchan": np.array(["SHZ" if s.is_array else "BHZ" for s in stations]),
    }


def _errors(snr: np.ndarray, array: np.ndarray, phase: np.ndarray, rng) -> tuple:
    """Standard deviations of time, azimuth and slowness for each detection."""
    base = np.array([TIME_SIGMA.get(p, 0.5) for p in phase]) if phase.size else np.empty(0)
    s_t = base * np.clip(3.0 / np.sqrt(np.maximum(snr, 1e-3)), 0.5, 2.0)
    s_az = np.where(array, _sigma(snr, 5.0, 15.0, 25.0), _sigma(snr, 20.0, 30.0, 60.0))
    s_sl = np.where(array, _sigma(snr, 0.5, 1.5, 3.0), _sigma(snr, 1.5, 4.0, 8.0))
    return s_t, s_az, s_sl


def _true_detections(ev: dict, st: dict, tt: TravelTimes, rng) -> Detections | None:
    parts = []
    for c in _candidates(ev, st, tt):
        j = c["j"]
        if c["vertical"]:
            noise = np.where(st["array"][j], st["beam_noise"][j], st["noise"][j])
        else:
            # S-types and LR on the 3-C (element) horizontals: no beam gain, noisier band;
            # LR noise at 20 s ~ 30x the 1 Hz level (Peterson 1993 NLNM/NHNM shapes).
            # A vertical-only station sees them 3x worse.
            noise = st["noise"][j] * c["noise"] * np.where(st["three_c"][j], 1.0, 3.0)
        log_a = c["log_a"] + rng.normal(0.0, 0.3, j.size)
        log_snr = log_a - np.log10(noise)
        p = 1.0 / (1.0 + np.exp(-(log_snr - np.log10(SNR_THRESHOLD)) / LOGISTIC_WIDTH))
        hit = rng.uniform(0, 1, j.size) < p
        if not hit.any():
            continue
        parts.append(
            {k: (v[hit] if isinstance(v, np.ndarray) else v) for k, v in c.items()}
            | {"snr": 10 ** log_snr[hit], "amp": 10 ** log_a[hit]}
        )
    if not parts:
        return None
    cat = {
        k: np.concatenate([p[k] for p in parts])
        for k in ("i", "j", "phase", "tt", "slow", "per", "delta", "seaz", "esaz", "snr", "amp")
    }
    iphase = np.concatenate([np.full(p["i"].size, p["iphase"]) for p in parts])
    vertical = np.concatenate([np.full(p["i"].size, p["vertical"]) for p in parts])
    j, n = cat["j"], cat["j"].size
    arr = st["array"][j]
    s_t, s_az, s_sl = _errors(cat["snr"], arr, cat["phase"], rng)
    dt = rng.laplace(0.0, s_t / np.sqrt(2.0), n)
    daz = rng.normal(0.0, s_az, n)
    dsl = rng.normal(0.0, s_sl, n)
    chan = np.where(vertical | ~st["three_c"][j], st["vchan"][j], "BHN")
    chan = np.where(cat["phase"] == "LR", "BHZ", chan)
    per = cat["per"] * np.exp(rng.normal(0.0, 0.15, n))
    return Detections(
        sta=st["code"][j],
        time=ev["time"][cat["i"]] + cat["tt"] + dt,
        iphase=iphase,
        phase=cat["phase"],
        event=cat["i"],
        azimuth=(cat["seaz"] + daz) % 360.0,
        slow=np.maximum(cat["slow"] + dsl, 0.0),
        amp=cat["amp"],
        per=per,
        snr=cat["snr"],
        deltim=s_t,
        delaz=s_az,
        delslo=s_sl,
        chan=chan,
        timeres=dt,
        azres=daz,
        slores=dsl,
        delta=cat["delta"],
        seaz=cat["seaz"],
        esaz=cat["esaz"],
    )


def _false_detections(st: dict, t0: float, t1: float, rates: dict, rng) -> Detections:
    hours = max(t1 - t0, 0.0) / 3600.0
    kind = np.where(st["array"], "array", np.where(st["primary"], "primary", "auxiliary"))
    lam = np.array([rates[k] for k in kind]) * hours
    j = np.repeat(np.arange(st["lat"].size), rng.poisson(lam))
    n = j.size
    arr = st["array"][j]
    snr = SNR_THRESHOLD * 0.8 + rng.exponential(1.2, n)
    label = np.where(rng.uniform(0, 1, n) < 0.4, "P", "N")
    slow = np.where(label == "P", rng.uniform(4.0, 14.0, n), rng.uniform(0.0, 30.0, n))
    s_t, s_az, s_sl = _errors(snr, arr, label, rng)
    noise = np.where(arr, st["beam_noise"][j], st["noise"][j])
    nan = np.full(n, np.nan)
    return Detections(
        sta=st["code"][j],
        time=rng.uniform(t0, t1, n),
        iphase=label,
        phase=np.full(n, ""),
        event=np.full(n, -1),
        azimuth=rng.uniform(0.0, 360.0, n),
        slow=slow,
        amp=snr * noise,
        per=rng.uniform(0.3, 1.5, n),
        snr=snr,
        deltim=s_t,
        delaz=s_az,
        delslo=s_sl,
        chan=st["vchan"][j],
        timeres=nan,
        azres=nan,
        slores=nan,
        delta=nan,
        seaz=nan,
        esaz=nan,
    )


def simulate_arrivals(
    events: Sequence[Origin],
    network: Sequence[Station] | Sequence[Site],
    seed: int = 0,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    false_rate: dict[str, float] | None = None,
    model: str = "iasp91",
    first_arid: int = 1,
) -> tuple[list[Arrival], list[Assoc], list[Origin]]:
    """Detections for ``events`` at ``network``: (arrival, ground-truth assoc, origin) rows.

    False detections fill [start, end) (default: the span of the events) at
    ``false_rate`` per station-hour. Arrivals are sorted by time with ids from
    ``first_arid``; ``origin`` rows are the input events with ``nass``/``ndef`` set to the
    number of their detected arrivals. Deterministic for a given seed.
    """
    rng = np.random.default_rng(seed)
    stations = as_stations(network)
    st = _station_table(stations)
    tt = travel_times(model)
    ev = to_arrays(list(events), ["lat", "lon", "depth", "time", "mb", "etype", "orid"])
    if events:
        ev["explosion"] = np.isin(ev["etype"], ("ex", "en", "qb"))
        true = _true_detections(ev, st, tt, rng)
        t0 = epoch(start) if start is not None else float(ev["time"].min())
        t1 = epoch(end) if end is not None else float(ev["time"].max())
    else:
        true = None
        t0, t1 = (epoch(start), epoch(end)) if start is not None and end is not None else (0, 0)
    false = _false_detections(st, t0, t1, false_rate or FALSE_RATE, rng)
    det = (
        false
        if true is None
        else Detections(
            *(
                np.concatenate([getattr(true, f.name), getattr(false, f.name)])
                for f in fields(Detections)
            )
        )
    )
    order = np.lexsort((det.sta, det.time))
    arid = np.empty(order.size, int)
    arid[order] = np.arange(first_arid, first_arid + order.size)
    jd = jdate(det.time) if det.time.size else np.empty(0, int)
    arrivals: list[Arrival] = []
    assocs: list[Assoc] = []
    r = lambda x, n=3: round(float(x), n)  # noqa: E731
    for k in order:
        arrivals.append(
            Arrival(
                sta=str(det.sta[k]),
                time=r(det.time[k]),
                arid=int(arid[k]),
                jdate=int(jd[k]),
                chan=str(det.chan[k]),
                iphase=str(det.iphase[k]),
                deltim=r(det.deltim[k]),
                azimuth=r(det.azimuth[k], 2),
                delaz=r(det.delaz[k], 2),
                slow=r(det.slow[k], 2),
                delslo=r(det.delslo[k], 2),
                amp=r(det.amp[k], 2),
                per=r(det.per[k], 2),
                snr=r(det.snr[k], 2),
                auth=AUTH,
            )
        )
        if det.event[k] >= 0:
            assocs.append(
                Assoc(
                    arid=int(arid[k]),
                    orid=int(ev["orid"][det.event[k]]),
                    sta=str(det.sta[k]),
                    phase=str(det.phase[k]),
                    belief=1.0,
                    delta=r(det.delta[k]),
                    seaz=r(det.seaz[k], 2),
                    esaz=r(det.esaz[k], 2),
                    timeres=r(det.timeres[k]),
                    timedef="d",
                    azres=r(det.azres[k], 1),
                    azdef="d",
                    slores=r(det.slores[k], 2),
                    slodef="d",
                    vmodel=model,
                )
            )
    counts = np.bincount(det.event[det.event >= 0], minlength=len(events))
    origins = [_with_counts(o, int(c)) for o, c in zip(events, counts, strict=True)]
    return arrivals, assocs, origins


def _with_counts(o: Origin, n: int) -> Origin:

    return replace(o, nass=n, ndef=n)
