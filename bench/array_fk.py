"""Array back-azimuth and slowness on real P arrivals: testban ``array_fk`` vs ObsPy.

Usage: ``.venv/bin/python bench/array_fk.py [--data ../shared/data]``

For YKA 2012-08-14 (M7.7 Sea of Okhotsk) and GRF 1991-12-17 (Kuril Islands, 126 km
deep), the reference is the iasp91 P back-azimuth and slowness at the array centre from
the QuakeML origin (YKA: the issue's 305.6° / 7.21 s/°). The P onset is found, not given:
an STA/LTA (1 s / 20 s, 1-4 Hz) averaged over the elements, first exceeding 3 within
±30 s of the predicted P time. testban's f-k (broadband f-k + plane-wave fit of
correlation delays) runs on 0.5 s before to 4.5 s after that onset, in its default band
(0.8-4.5 Hz) and in ObsPy's band (0.5-2 Hz); ObsPy's ``array_processing`` (conventional
beamforming, 0.5-2 Hz, 5 s windows stepped 0.5 s from 5 s before to 20 s after the onset,
the window of highest relative power kept) runs on the same traces. Prints a markdown
table for BENCHMARKS.md.
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

from testban.features import array_fk
from testban.network import local_offsets, read_network
from testban.traveltime import KM_PER_DEG, distance_azimuth, travel_times

CASES = {
    "YKA": ("arrays/yka_20120814", r"YK[RB]\d", None),
    "GRF": ("arrays/grf_19911217", r"GR[ABC]\d", None),
}


def onset(data: np.ndarray, fs: float, predicted: int) -> tuple[int, float]:
    """First sample where the element-averaged STA/LTA exceeds 3 near ``predicted``."""
    from scipy import signal

    sos = signal.butter(3, [1.0, 4.0], btype="bandpass", fs=fs, output="sos")
    filt = signal.sosfilt(sos, data - data.mean(axis=1, keepdims=True), axis=1)
    ratio = np.mean([classic_sta_lta(x, int(fs), int(20 * fs)) for x in filt], axis=0)
    lo, hi = predicted - int(30 * fs), predicted + int(30 * fs)
    seg = ratio[lo:hi]
    above = np.flatnonzero(seg >= 3.0)
    # classic STA/LTA peaks one STA length after the onset; step back to where it rises
    k = above[0] if above.size else int(np.argmax(seg))
    return lo + k - int(0.5 * fs), float(seg.max())


def obspy_fk(stream: obspy.Stream, t0: obspy.UTCDateTime, net, codes) -> tuple[float, float]:
    st = stream.copy()
    for tr in st:
        lat, lon, elev = net.coordinates(tr.stats.station)
        tr.stats.coordinates = AttribDict(
            {"latitude": lat, "longitude": lon, "elevation": (elev or 0.0) / 1000.0}
        )
    kwargs = dict(
        sll_x=-0.4, slm_x=0.4, sll_y=-0.4, slm_y=0.4, sl_s=0.004,
        win_len=5.0, win_frac=0.1, frqlow=0.5, frqhigh=2.0, prewhiten=0,
        semb_thres=-1e9, vel_thres=-1e9, timestamp="mlabday",
        stime=t0 - 5.0, etime=t0 + 25.0, method=0, coordsys="lonlat", verbose=False,
    )  # fmt: skip
    out = array_processing(st, **kwargs)
    best = out[int(np.argmax(out[:, 1]))]
    return float(best[3]) % 360.0, float(best[4]) * KM_PER_DEG


def run(name: str, root: Path, tt) -> list[str]:
    sub, pattern, _ = CASES[name]
    folder = root / sub
    stream = obspy.read(str(next(folder.glob("*.mseed"))))
    net, _ = read_network(next(p for p in folder.glob("array_*.xml") if "event" not in p.name))
    event = obspy.read_events(str(next(folder.glob("*event.xml"))))[0]
    origin = event.preferred_origin() or event.origins[0]
    stream = obspy.Stream([tr for tr in stream if re.fullmatch(pattern, tr.stats.station)])
    stream.sort()
    codes = [tr.stats.station for tr in stream]
    fs = stream[0].stats.sampling_rate
    t_start = max(tr.stats.starttime for tr in stream)
    n = min(tr.stats.npts for tr in stream)
    stream.trim(t_start, t_start + (n - 1) / fs, nearest_sample=True)
    data = np.vstack([tr.data[:n].astype(np.float64) for tr in stream])
    lat, lon = net.lat(codes), net.lon(codes)
    ref_lat, ref_lon = float(lat.mean()), float(lon.mean())
    off = local_offsets(ref_lat, ref_lon, lat, lon)
    delta, _, seaz = distance_azimuth(origin.latitude, origin.longitude, ref_lat, ref_lon)
    pred = tt.predict("P", float(delta), origin.depth / 1000.0)
    p_time = origin.time + float(pred.time)
    k_pred = int(round((p_time - t_start) * fs))
    k_on, peak = onset(data, fs, k_pred)
    t_on = t_start + k_on / fs
    ref_az, ref_slow = float(seaz), float(pred.slowness)

    rows = []
    for band in [None, (0.5, 2.0)]:
        cpu = time.process_time()
        fk = array_fk(data, fs, off[:, 0], off[:, 1], k_on, band=band)
        cpu = time.process_time() - cpu
        label = "testban f-k + plane-wave fit, " + ("0.8-4.5 Hz" if band is None else "0.5-2 Hz")
        rows.append((label, fk.azimuth, fk.slow, fk.delaz, fk.delslo, fk.fstat, cpu))
    cpu = time.process_time()
    az, slow = obspy_fk(stream, t_on, net, codes)
    cpu = time.process_time() - cpu
    rows.append(("ObsPy array_processing (bf, 0.5-2 Hz, best 5 s)", az, slow, np.nan, np.nan,
                 np.nan, cpu))  # fmt: skip

    print(
        f"\n{name}: {len(codes)} elements, delta {float(delta):.2f}°, "
        f"reference (iasp91 at centre) {ref_az:.2f}° {ref_slow:.2f} s/°; "
        f"P predicted {p_time}, onset found {t_on} ({t_on - p_time:+.1f} s, STA/LTA {peak:.1f})"
    )
    out = []
    for label, a, s, da, ds, f, c in rows:
        daz = (a - ref_az + 180.0) % 360.0 - 180.0
        pm_a = f" ± {da:.2f}" if np.isfinite(da) else ""
        pm_s = f" ± {ds:.2f}" if np.isfinite(ds) else ""
        fstat = f"{f:.1f}" if np.isfinite(f) else "—"
        out.append(
            f"| {name} | {label} | {a:.2f}{pm_a} | {daz:+.2f} | {s:.2f}{pm_s} | "
            f"{s - ref_slow:+.2f} | {fstat} | {c:.2f} |"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    parser.add_argument("--data", type=Path, default=default)
    args = parser.parse_args()
    tt = travel_times("iasp91")
    lines = []
    for name in CASES:
        lines += run(name, args.data, tt)
    print("\nCommand: `.venv/bin/python bench/array_fk.py`\n")
    print("| array | method | back-azimuth ° | Δaz ° | slowness s/° | Δslow s/° | F | CPU s |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
