"""Array back-azimuth and slowness on real P arrivals: testban ``array_fk`` vs ObsPy.

Usage: ``.venv/bin/python bench/array_fk.py [--data ../shared/data] [--quick]``

For YKA 2012-08-14 (M7.7 Sea of Okhotsk, 583 km deep) and GRF 1991-12-17 (Kuril
Islands, 126 km deep), the reference is the iasp91 P back-azimuth and slowness at the
array centre (mean element latitude/longitude) from the QuakeML origin (YKA: the issue's
305.6° / 7.21 s/°). The P onset is found, not given: an STA/LTA (1 s / 20 s, 1-4 Hz)
averaged over the elements, first exceeding 3 within ±30 s of the predicted P time; an
AIC pick on the beam (1-4 Hz, iasp91 slowness) is printed beside it as a check. testban's
f-k (broadband f-k + plane-wave fit of correlation delays) runs on 0.5 s before to 4.5 s
after that onset, in its default band (0.8-4.5 Hz) and in ObsPy's band (0.5-2 Hz), and
on 1 s before to 5 s after in 0.3-1 Hz. ObsPy's ``array_processing`` (conventional
beamforming, 0.5-2 Hz, 5 s windows stepped 0.5 s from 5 s before to 25 s after the
onset, the window of highest relative power kept) runs on the same traces twice: on the
0.004 s/km (0.44 s/°) grid used before, whose nodes quantise its answer, and on a
0.0008 s/km (0.09 s/°) grid.

Then the slowness investigation (issue 3): every candidate cause of a low slowness is
put in numbers (reference point, model and depth, onset/window/band, elevation statics,
sample alignment, instrument responses, element selection, cycle skips, ObsPy's grid),
and a speed check of ``array_fk`` on synthetic 18-element windows. ``--quick`` skips
ObsPy. Prints markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import obspy
from obspy.core.util import AttribDict
from obspy.signal.array_analysis import array_processing
from obspy.signal.trigger import classic_sta_lta
from obspy.taup import TauPyModel
from scipy import signal

from testban.features import array_fk, pair_delays, slowness_vector
from testban.features.fk import azimuth_slowness
from testban.network import local_offsets, read_network
from testban.traveltime import KM_PER_DEG, distance_azimuth, travel_times

CASES = {
    "YKA": ("arrays/yka_20120814", r"YK[RB]\d", "array_yellowknife.xml"),
    "GRF": ("arrays/grf_19911217", r"GR[ABC]\d", "array_grf.xml"),
}
#: Near-surface P speeds bracketing the elevation statics, km/s: ~4 for the GRF
#: limestones and sandstones, ~6 for the YKA granites and gneisses of the Slave craton.
SURFACE_VP = (4.0, 6.0)


def onset(data: np.ndarray, fs: float, predicted: int) -> tuple[int, float]:
    """First sample where the element-averaged STA/LTA exceeds 3 near ``predicted``."""
    sos = signal.butter(3, [1.0, 4.0], btype="bandpass", fs=fs, output="sos")
    filt = signal.sosfilt(sos, data - data.mean(axis=1, keepdims=True), axis=1)
    ratio = np.mean([classic_sta_lta(x, int(fs), int(20 * fs)) for x in filt], axis=0)
    lo, hi = predicted - int(30 * fs), predicted + int(30 * fs)
    seg = ratio[lo:hi]
    above = np.flatnonzero(seg >= 3.0)
    # classic STA/LTA peaks one STA length after the onset; step back to where it rises
    k = above[0] if above.size else int(np.argmax(seg))
    return lo + k - int(0.5 * fs), float(seg.max())


def shift_traces(x: np.ndarray, fs: float, delays: np.ndarray) -> np.ndarray:
    """Advance each row by ``delays`` (s) with a Fourier phase shift."""
    n = x.shape[-1]
    f = np.fft.rfftfreq(n, 1.0 / fs)
    spec = np.fft.rfft(x, axis=-1) * np.exp(2j * np.pi * f[None, :] * delays[:, None])
    return np.fft.irfft(spec, n=n, axis=-1)


def aic_pick(x: np.ndarray) -> int:
    """Index of the AIC minimum (Maeda 1985) of a trace: the onset of a variance change."""
    n = x.size
    k = np.arange(1, n - 1)
    c = np.cumsum(x * x)
    v1, v2 = c[k - 1] / k, (c[-1] - c[k - 1]) / (n - k)
    return int(k[np.argmin(k * np.log(v1 + 1e-30) + (n - k - 1) * np.log(v2 + 1e-30))])


def obspy_fk(
    stream: obspy.Stream, t0: obspy.UTCDateTime, net, smax: float, step: float
) -> tuple[float, float]:
    """ObsPy beamforming, 0.5-2 Hz, best 5 s window; grid ±``smax`` s/km by ``step``."""
    st = stream.copy()
    for tr in st:
        lat, lon, elev = net.coordinates(tr.stats.station)
        tr.stats.coordinates = AttribDict(
            {"latitude": lat, "longitude": lon, "elevation": (elev or 0.0) / 1000.0}
        )
    kwargs = dict(
        sll_x=-smax, slm_x=smax, sll_y=-smax, slm_y=smax, sl_s=step,
        win_len=5.0, win_frac=0.1, frqlow=0.5, frqhigh=2.0, prewhiten=0,
        semb_thres=-1e9, vel_thres=-1e9, timestamp="mlabday",
        stime=t0 - 5.0, etime=t0 + 25.0, method=0, coordsys="lonlat", verbose=False,
    )  # fmt: skip
    out = array_processing(st, **kwargs)
    best = out[int(np.argmax(out[:, 1]))]
    return float(best[3]) % 360.0, float(best[4]) * KM_PER_DEG


class Case:
    """One array recording: traces, geometry, reference prediction and found onset."""

    def __init__(self, name: str, root: Path, tt) -> None:
        sub, pattern, xml = CASES[name]
        folder = root / sub
        stream = obspy.read(str(next(folder.glob("*.mseed"))))
        self.all_codes = sorted({tr.stats.station for tr in stream})
        self.net, _ = read_network(folder / xml)
        self.inventory = obspy.read_inventory(str(folder / xml))
        event = obspy.read_events(str(next(folder.glob("*event.xml"))))[0]
        self.origin = event.preferred_origin() or event.origins[0]
        stream = obspy.Stream([tr for tr in stream if re.fullmatch(pattern, tr.stats.station)])
        stream.sort()
        self.starts = sorted({str(tr.stats.starttime) for tr in stream})
        self.codes = [tr.stats.station for tr in stream]
        self.fs = fs = stream[0].stats.sampling_rate
        self.t_start = t_start = max(tr.stats.starttime for tr in stream)
        n = min(tr.stats.npts for tr in stream)
        stream.trim(t_start, t_start + (n - 1) / fs, nearest_sample=True)
        self.stream = stream
        self.data = np.vstack([tr.data[:n].astype(np.float64) for tr in stream])
        self.data -= self.data.mean(axis=1, keepdims=True)
        self.lat, self.lon = self.net.lat(self.codes), self.net.lon(self.codes)
        self.ref = float(self.lat.mean()), float(self.lon.mean())
        off = local_offsets(*self.ref, self.lat, self.lon)
        self.east, self.north = off[:, 0], off[:, 1]
        o = self.origin
        delta, _, seaz = distance_azimuth(o.latitude, o.longitude, *self.ref)
        self.delta = float(delta)
        pred = tt.predict("P", self.delta, o.depth / 1000.0)
        self.p_time = o.time + float(pred.time)
        self.ref_az, self.ref_slow = float(seaz), float(pred.slowness)
        k_pred = int(round((self.p_time - t_start) * fs))
        self.k_on, self.sta_lta = onset(self.data, fs, k_pred)
        self.t_on = t_start + self.k_on / fs

    def fk(self, **kw):
        return array_fk(self.data, self.fs, self.east, self.north, self.k_on, **kw)


def method_rows(c: Case, name: str, with_obspy: bool) -> list[str]:
    c.fk()  # load the compiled kernels before timing
    rows = []
    for label, kw in [
        ("0.8-4.5 Hz, -0.5..4.5 s", {}),
        ("0.5-2 Hz, -0.5..4.5 s", {"band": (0.5, 2.0)}),
        ("0.3-1 Hz, -1..5 s", {"band": (0.3, 1.0), "window": (-1.0, 5.0)}),
    ]:
        cpu = time.process_time()
        fk = c.fk(**kw)
        cpu = time.process_time() - cpu
        rows.append((f"testban f-k + plane-wave fit, {label}", *fk, cpu))
    if with_obspy:
        for label, smax, step in [
            ("0.004 s/km grid", 0.4, 0.004),
            ("0.0008 s/km grid", 0.08, 0.0008),
        ]:
            cpu = time.process_time()
            az, slow = obspy_fk(c.stream, c.t_on, c.net, smax, step)
            cpu = time.process_time() - cpu
            rows.append((f"ObsPy array_processing (bf, 0.5-2 Hz, best 5 s), {label}", az, slow,
                         np.nan, np.nan, np.nan, cpu))  # fmt: skip
    out = []
    for label, a, s, da, ds, f, cpu in rows:
        daz = (a - c.ref_az + 180.0) % 360.0 - 180.0
        pm_a = f" ± {da:.2f}" if np.isfinite(da) else ""
        pm_s = f" ± {ds:.2f}" if np.isfinite(ds) else ""
        fstat = f"{f:.1f}" if np.isfinite(f) else "—"
        out.append(
            f"| {name} | {label} | {a:.2f}{pm_a} | {daz:+.2f} | {s:.2f}{pm_s} | "
            f"{s - c.ref_slow:+.2f} | {fstat} | {cpu:.2f} |"
        )
    return out


def investigate(c: Case, name: str) -> list[str]:
    """Numbers for each candidate cause of a slowness bias (issue 3, items a-i)."""
    o, fs, e, n = c.origin, c.fs, c.east, c.north
    depth = o.depth / 1000.0
    out = [f"\n#### {name}: where does the slowness bias come from?\n"]
    # (a) reference point
    per = [
        distance_azimuth(o.latitude, o.longitude, la, lo)
        for la, lo in zip(c.lat, c.lon, strict=True)
    ]
    tt = travel_times("iasp91")
    slows = [float(tt.predict("P", float(d), depth).slowness) for d, _, _ in per]
    bazs = [float(b) for _, _, b in per]
    out.append(
        f"- (a) reference = mean element position {c.ref[0]:.4f}°N {c.ref[1]:.4f}°E "
        f"(Δ {c.delta:.3f}°, geocentric): iasp91 {c.ref_az:.2f}° / {c.ref_slow:.3f} s/°; "
        f"at the individual elements {min(bazs):.2f}-{max(bazs):.2f}° and "
        f"{min(slows):.3f}-{max(slows):.3f} s/°: the choice of reference point moves the "
        "prediction by at most these amounts."
    )
    # (b) model and depth
    preds = []
    for model in ("iasp91", "ak135"):
        m = TauPyModel(model)
        for dz in (-20.0, 0.0, 20.0):
            arr = m.get_travel_times(depth + dz, c.delta, phase_list=["P"])
            preds.append(f"{model} {depth + dz:.0f} km {arr[0].ray_param_sec_degree:.3f}")
    out.append(
        f"- (b) QuakeML depth {depth:.1f} km. ObsPy TauP P slowness (s/°): "
        + "; ".join(preds)
        + ". Model and ±20 km of depth change the prediction by ≤ 0.02 s/°."
    )
    # (c) onset and window/band
    sx0, sy0 = slowness_vector(c.ref_az, c.ref_slow)
    sos = signal.butter(3, [1.0, 4.0], btype="bandpass", fs=fs, output="sos")
    k0 = c.k_on - int(40 * fs)
    seg = signal.sosfiltfilt(sos, c.data[:, k0 : c.k_on + int(30 * fs)], axis=1)
    b = shift_traces(seg, fs, sx0 * e + sy0 * n).mean(axis=0)
    lo = int(20 * fs)
    k_aic = k0 + lo + aic_pick(b[lo : lo + int(35 * fs)])
    noise = float(np.std(b[: int(30 * fs)]))
    env = np.abs(b[int(37 * fs) : int(42 * fs)]).reshape(-1, int(0.25 * fs)).max(axis=1) / noise
    out.append(
        f"- (c) onset: STA/LTA {(c.t_on - c.p_time):+.2f} s from the iasp91 P time, AIC on "
        f"the 1-4 Hz beam {(k_aic - c.k_on) / fs:+.2f} s from that. Beam peak/noise in "
        "0.25 s bins from 3 s before the STA/LTA onset: " + " ".join(f"{v:.0f}" for v in env) + "."
    )
    scan = []
    for band in [(0.3, 1.0), (0.5, 2.0), (0.8, 4.5), (2.0, 4.0)]:
        vals = []
        for w0 in (-1.0, -0.5, 0.0, 1.0):
            for length in (3.0, 5.0, 8.0):
                fk = array_fk(c.data, fs, e, n, k_aic, band=band, window=(w0, w0 + length))
                if fk.fstat > 10:
                    vals.append(fk.slow)
        if vals:
            scan.append(
                f"{band[0]}-{band[1]} Hz {np.median(vals):.2f} [{min(vals):.2f}-{max(vals):.2f}]"
            )
    out.append(
        "- (c) window start (-1, -0.5, 0, +1 s from the AIC onset) × length (3, 5, 8 s), "
        "F > 10: median [range] slowness s/°: " + "; ".join(scan) + "."
    )
    comps = []
    for band, win in [((0.3, 1.0), (-1.0, 5.0)), ((0.8, 4.5), (-0.5, 4.5))]:
        fk = array_fk(c.data, fs, e, n, k_aic, band=band, window=win)
        fx, fy = slowness_vector(fk.azimuth, fk.slow)
        comps.append(
            f"{band[0]}-{band[1]} Hz east {fx:.4f} ({fx / sx0 - 1:+.0%}), "
            f"north {fy:.4f} ({fy / sy0 - 1:+.0%})"
        )
    out.append(
        f"- (c) slowness components, s/km (iasp91 east {sx0:.4f}, north {sy0:.4f}): "
        + "; ".join(comps)
        + "."
    )
    # (d) elevation statics
    elev = np.array([c.inventory.select(station=s)[0][0].elevation for s in c.codes])
    a = np.column_stack([e, n, np.ones_like(e)])
    stat_rows = []
    for v in SURFACE_VP:
        q = np.sqrt(1.0 / v**2 - (c.ref_slow / KM_PER_DEG) ** 2)  # vertical slowness, s/km
        g, *_ = np.linalg.lstsq(a, elev / 1000.0 * q, rcond=None)
        az1, s1 = azimuth_slowness(sx0 + g[0], sy0 + g[1])
        stat_rows.append(f"{v:.0f} km/s: {s1 - c.ref_slow:+.3f} s/°, {az1 - c.ref_az:+.2f}°")
    out.append(
        f"- (d) elevations {elev.min():.0f}-{elev.max():.0f} m; the plane-wave part of the "
        "statics (elevation × vertical slowness) changes the apparent vector by "
        + "; ".join(stat_rows)
        + "."
    )
    # (e) sample alignment, (f) responses, (g) elements
    freqs = np.array([0.5, 1.0, 2.0, 4.0])
    phase = []
    for s in c.codes:
        resp = c.inventory.select(station=s, channel="?HZ")[0][0][0].response
        h = resp.get_evalresp_response_for_frequencies(freqs, output="VEL")
        phase.append(np.unwrap(np.angle(h)))
    dt = np.array(phase) / (2 * np.pi * freqs)
    spread = 1e3 * (dt.max(axis=0) - dt.min(axis=0))
    out.append(
        f"- (e) first samples of the elements: {', '.join(c.starts)}. (f) spread of the "
        "response phase delay across elements at 0.5/1/2/4 Hz: "
        + "/".join(f"{v:.1f}" for v in spread)
        + " ms (identical poles and zeros; only gains differ). (g) elements used "
        f"({len(c.codes)}): {' '.join(c.codes)}; in the file but not array elements: "
        + (" ".join(sorted(set(c.all_codes) - set(c.codes))) or "none")
        + "."
    )
    # (h) cycle skips: lags searched ±1 s around the f-k result
    fk = c.fk()
    fx, fy = slowness_vector(fk.azimuth, fk.slow)
    band = (0.8, 4.5)
    x = signal.sosfiltfilt(
        signal.butter(3, band, btype="bandpass", fs=fs, output="sos"),
        c.data[:, c.k_on - int(20 * fs) : c.k_on + int(25 * fs)],
        axis=1,
    )
    xs = shift_traces(x, fs, fx * e + fy * n)[:, int(19.5 * fs) : int(24.5 * fs)]
    xs = xs * signal.windows.tukey(xs.shape[1], 0.2)
    ii, jj = np.triu_indices(len(c.codes), 1)
    dl, peak = pair_delays(xs, fs, np.zeros(ii.size), np.column_stack([ii, jj]), 1.0)
    base = np.hypot(e[jj] - e[ii], n[jj] - n[ii])
    meas = dl + fx * (e[jj] - e[ii]) + fy * (n[jj] - n[ii])
    pred = sx0 * (e[jj] - e[ii]) + sy0 * (n[jj] - n[ii])
    out.append(
        f"- (h) pair lags searched ±1 s (≥ 1.9 periods at the 1.9 Hz band centre) around "
        f"the f-k result: median |lag − f-k| {1e3 * np.nanmedian(np.abs(dl)):.0f} ms, max "
        f"{1e3 * np.nanmax(np.abs(dl)):.0f} ms, median correlation {np.nanmedian(peak):.2f}; "
        f"measured − iasp91 delays up to {np.nanmax(np.abs(meas - pred)):.2f} s over "
        f"{base.max():.0f} km baselines: no pair sits a period away (see also 0.3-1 Hz in "
        "(c): periods of 1-3 s, where a skip of a few tenths of a second is impossible)."
    )
    if name == "GRF":
        subs = []
        for sub in "ABC":
            sel = np.array([s.startswith("GR" + sub) for s in c.codes])
            f2 = array_fk(c.data[sel], fs, e[sel], n[sel], k_aic)
            subs.append(f"GR{sub} {f2.azimuth:.1f}° {f2.slow:.2f} ± {f2.delslo:.2f} s/°")
        out.append(
            "- sub-arrays alone (0.8-4.5 Hz): "
            + "; ".join(subs)
            + ": the wavefront is not plane across the ~100 km of GRF (sediment and "
            "crustal structure; Krüger & Weber 1992 measured GRF mislocation vectors)."
        )
    return out


def speed_rows() -> list[str]:
    """ms of CPU per ``array_fk`` call on synthetic 18-element windows (CMAR-like)."""
    rng = np.random.default_rng(0)
    out = []
    for fs in (20.0, 40.0):
        r = 5.0 * np.sqrt(rng.uniform(0.02, 1.0, 18))
        a = rng.uniform(0, 2 * np.pi, 18)
        east, north = r * np.sin(a), r * np.cos(a)
        n = int(40 * fs)
        sos = signal.butter(4, (1.0, 3.0), btype="bandpass", fs=fs, output="sos")
        src = signal.sosfiltfilt(sos, rng.normal(size=n)) * (np.arange(n) > 20 * fs)
        sx, sy = slowness_vector(305.6, 7.21)
        data = shift_traces(np.tile(src, (18, 1)), fs, -(sx * east + sy * north))
        data += 0.1 * signal.sosfiltfilt(sos, rng.normal(size=data.shape), axis=1)
        for label, kw in [
            ("whole disc", {}),
            ("start = a beam 3 s/° off", {"start": (sx + 0.02, sy)}),
        ]:
            array_fk(data, fs, east, north, 20 * fs, **kw)  # compile / warm up
            reps = 50
            cpu = time.process_time()
            for _ in range(reps):
                fk = array_fk(data, fs, east, north, 20 * fs, **kw)
            ms = 1e3 * (time.process_time() - cpu) / reps
            out.append(
                f"| {fs:.0f} Hz, 18 elements, 10 km, {label} | {ms:.1f} | "
                f"{fk.azimuth:.2f} | {fk.slow:.2f} |"
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--quick", action="store_true", help="skip ObsPy")
    args = parser.parse_args()
    tt = travel_times("iasp91")
    lines, notes = [], []
    for name in CASES:
        c = Case(name, args.data, tt)
        print(
            f"\n{name}: {len(c.codes)} elements, delta {c.delta:.2f}°, reference (iasp91 at "
            f"centre) {c.ref_az:.2f}° {c.ref_slow:.2f} s/°; P predicted {c.p_time}, onset "
            f"found {c.t_on} ({c.t_on - c.p_time:+.1f} s, STA/LTA {c.sta_lta:.1f})"
        )
        lines += method_rows(c, name, not args.quick)
        notes += investigate(c, name)
    print("\nCommand: `.venv/bin/python bench/array_fk.py`\n")
    print("| array | method | back-azimuth ° | Δaz ° | slowness s/° | Δslow s/° | F | CPU s |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    print("\n".join(notes))
    print("\n#### array_fk speed (CPU ms per call, synthetic P at 305.6° / 7.21 s/°)\n")
    print("| window | ms | back-azimuth ° | slowness s/° |")
    print("|---|---|---|---|")
    print("\n".join(speed_rows()))


if __name__ == "__main__":
    main()
