"""Depth phases on real teleseismic P: YKA (2012-08-14 Sea of Okhotsk, 583 km) and GRF
(1991-12-17 Kuril, 126/157 km), and the IDC bulletin's depth-phase origins.

For each array the event's P onset is taken where an element-averaged STA/LTA first
reaches 3 within ±30 s of the iasp91 prediction (as ``bench/array_fk.py``), the P
detection is given the measured f-k slowness/azimuth of ``testban.features.array_fk``,
and :func:`testban.detect.depth_phases.search_depth_phases` searches the beam. One array
is one station: the network depth needs 3 (``min_stations``), so what is reported is each
array's candidates and the depths they imply as pP and as sP, against the catalogues
(USGS in ``catalogs/``, the QuakeML shipped with the data).

Run: ``PYTHONPATH=src python bench/depth_phases.py`` (TESTBAN_SHARED_DATA or ../shared/data).
"""

from __future__ import annotations

import csv
import os
import re
import time
from pathlib import Path

import numpy as np
import obspy
from obspy.signal.trigger import classic_sta_lta
from scipy import signal

from testban.detect.depth_phases import search_depth_phases
from testban.features import array_fk
from testban.features.depth_phase import DepthPhaseConfig
from testban.network import read_network
from testban.records.css30 import Arrival, Assoc, Origin
from testban.traveltime import distance_azimuth, travel_times

SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", Path(__file__).parents[1] / "../shared/data"))
CASES = [
    ("YKA", "yka_20120814", r"YK[RB]\d", "array_yellowknife.xml", "08/14/2012"),
    ("GRF", "grf_19911217", r"GR[ABC]\d", "array_grf.xml", "12/17/1991"),
]


def _usgs(date: str, lat: float, lon: float) -> float | None:
    """USGS catalogue depth (km) of the event on ``date`` nearest (lat, lon)."""
    path = SHARED / "catalogs/usgs_significant_1965_2016/significant_earthquakes_1965_2016.csv"
    best = None
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["Date"] != date:
                continue
            d = abs(float(row["Latitude"]) - lat) + abs(float(row["Longitude"]) - lon)
            if d < 2 and (best is None or d < best[0]):
                best = (d, float(row["Depth"]))
    return None if best is None else best[1]


def _beam(traces, net, array, slow, baz):
    from testban.detect.beam import beam

    fs = traces[0].stats.sampling_rate
    n = min(tr.stats.npts for tr in traces)
    data = np.vstack([tr.data[:n].astype(float) - tr.data[:n].mean() for tr in traces])
    els = net.elements(array)
    off = net.offsets(array)[[els.index(tr.stats.station) for tr in traces]]
    return beam(data, fs, off[:, 0], off[:, 1], slow, baz), float(traces[0].stats.starttime)


def run_case(code: str, folder: str, pattern: str, xml: str, date: str) -> dict:
    root = SHARED / "arrays" / folder
    st = obspy.read(str(next(root.glob("*.mseed"))))
    st = obspy.Stream([tr for tr in st if re.fullmatch(pattern, tr.stats.station)])
    st.sort()
    net, _ = read_network(root / xml)
    array = next(a for a, els in net.arrays().items() if set(els) & {tr.stats.station for tr in st})
    ev = obspy.read_events(str(next(root.glob("*event.xml"))))[0].origins[0]
    depth_qml = ev.depth / 1000.0
    origin = Origin(lat=ev.latitude, lon=ev.longitude, depth=0.0, time=float(ev.time), orid=1)
    # P onset: element-averaged STA/LTA ≥ 3 within ±30 s of iasp91 (from the QuakeML origin)
    lat, lon = net.reference(array)
    delta, _, baz = distance_azimuth(ev.latitude, ev.longitude, lat, lon)
    delta, baz = float(delta), float(baz)
    tt = travel_times("iasp91")
    t_pred = float(ev.time) + float(tt.time("P", delta, depth_qml))
    codes = [tr.stats.station for tr in st]
    fs = st[0].stats.sampling_rate
    n = min(tr.stats.npts for tr in st)
    data = np.vstack([tr.data[:n].astype(np.float64) for tr in st])
    t0 = float(st[0].stats.starttime)
    k_pred = int(round((t_pred - t0) * fs))
    sos = signal.butter(3, [1.0, 4.0], btype="bandpass", fs=fs, output="sos")
    lo, hi = k_pred - int(60 * fs), k_pred + int(30 * fs)
    seg = signal.sosfilt(sos, data[:, lo:hi] - data[:, lo:hi].mean(axis=1, keepdims=True), axis=1)
    ratio = np.mean([classic_sta_lta(x, int(fs), int(20 * fs)) for x in seg], axis=0)
    k_on = lo + int(30 * fs) + int(np.flatnonzero(ratio[int(30 * fs) :] >= 3.0)[0])
    off = net.offsets(array)[[net.elements(array).index(c) for c in codes]]
    fk = array_fk(data, fs, off[:, 0], off[:, 1], k_on - int(0.5 * fs))
    t_p = t0 + k_on / fs
    p = Arrival(sta=array, time=t_p, arid=1, iphase="P", slow=fk.slow, azimuth=fk.azimuth)
    a = Assoc(arid=1, orid=1, sta=array, phase="P", timedef="d")
    cfg = DepthPhaseConfig(min_stations=1)  # one array: report its own depth
    c0 = time.process_time()
    res = search_depth_phases(origin, [p], [a], st, net, cfg, first_arid=10)
    cpu = time.process_time() - c0
    s = res.stations[0]
    # the three functions around the catalogue's predicted delays (both catalogue depths)
    from testban.features.depth_phase import station_functions

    got = [tr for tr in st]
    bm = _beam(got, net, array, fk.slow, fk.azimuth)
    fn = station_functions(bm[0], fs, int(round((t_p - bm[1]) * fs)), 250.0, cfg)
    depths = np.arange(cfg.min_depth, cfg.max_depth + 0.5, cfg.depth_step)
    pred = {ph: float(np.interp(depth_qml, depths, s.curves[ph])) for ph in ("pP", "sP")}
    # the cepstral maximum over the whole search window, read as pP and as sP
    lo_lag = float(np.nanmin(s.curves["pP"])) - cfg.tolerance
    w = (fn.lags >= max(lo_lag, cfg.lta / 2)) & (fn.lags <= float(np.nanmax(s.curves["sP"])))
    q = float(fn.lags[w][np.nanargmax(fn.cepstrum[w])])
    cep = (q, float(np.nanmax(fn.cepstrum[w])),
           *(float(np.interp(q, s.curves[ph], depths)) for ph in ("pP", "sP")))  # fmt: skip
    near = {}
    for ph, lag in pred.items():
        w = (fn.lags >= lag - 15) & (fn.lags <= lag + 15)
        near[ph] = tuple(float(np.nanmax(f[w])) for f in (fn.snr, fn.cc, fn.cepstrum))
    return {
        "array": array, "delta": delta, "baz": baz, "fk": (fk.azimuth, fk.slow),
        "p_minus_pred": t_p - t_pred, "qml": depth_qml, "usgs": _usgs(date, ev.latitude,
        ev.longitude), "pred": pred, "cands": s.candidates, "depth": res.depth,
        "matches": res.network.matches if res.network else {}, "implied":
        res.network.implied if res.network else {}, "arrivals": res.arrivals, "cpu": cpu,
        "near": near, "cep": cep,
    }  # fmt: skip


def idc_depth_phases() -> tuple[int, int, int]:
    """(origins, origins with ndp > 0, assoc rows with a depth phase) in the IDC window."""
    root = SHARED / "idc_ueb_2010140"
    with open(root / "origin.csv", newline="") as f:
        origins = list(csv.DictReader(f))
    with open(root / "assoc.csv", newline="") as f:
        assocs = list(csv.DictReader(f))
    ndp = sum(1 for o in origins if int(float(o.get("ndp", -1) or -1)) > 0)
    dp = sum(1 for a in assocs if a["phase"].strip() in ("pP", "sP", "pwP", "pPKP", "sPKP"))
    return len(origins), ndp, dp


def main() -> None:
    for case in CASES:
        r = run_case(*case)
        az, sl = r["fk"]
        print(f"\n{r['array']}: Δ {r['delta']:.1f}°, baz {r['baz']:.1f}° (f-k {az:.1f}°,")
        print(f"  {sl:.2f} s/°), P onset {r['p_minus_pred']:+.1f} s from iasp91")
        pp, sp = r["pred"]["pP"], r["pred"]["sP"]
        print(f"  catalogue depth: QuakeML {r['qml']:.1f} km, USGS {r['usgs']} km; predicted")
        print(f"  at the QuakeML depth: pP−P {pp:.1f} s, sP−P {sp:.1f} s")
        for c in r["cands"]:
            print(f"  candidate lag {c.lag:7.2f} s  snr {c.snr:5.2f}  |cc| {c.cc:.2f}  "
                  f"cepstrum z {c.cepstrum:5.1f}")  # fmt: skip
        for ph, (a, b, c) in r["near"].items():
            print(f"  within ±15 s of the predicted {ph}: max snr {a:.2f}, |cc| {b:.2f},"
                  f" cepstrum z {c:.1f}")  # fmt: skip
        q, z, hp, hs = r["cep"]
        print(f"  cepstral maximum in the search window: {q:.2f} s (z {z:.1f}) → {hp:.0f} km as"
              f" pP, {hs:.0f} km as sP")  # fmt: skip
        print(f"  matched: {r['matches']}  implied depths: {r['implied']}")
        print(f"  array depth {r['depth']:.1f} km; arrivals {[(a.iphase, round(a.time - r['arrivals'][0].time, 2)) for a in r['arrivals']] if r['arrivals'] else []}; CPU {r['cpu']:.2f} s")  # fmt: skip  # noqa: E501
    n, ndp, dp = idc_depth_phases()
    print(f"\nIDC idc_ueb_2010140: {n} origins, {ndp} with ndp > 0, {dp} depth-phase assoc rows")


if __name__ == "__main__":
    main()
