"""Ms from waveforms on the shared real records: the DPRK tests (regional, Ms(VMAX)) and
the 2015-07-18 Santa Cruz Islands Mw 7.0 at IU.ULN (teleseismic, the IDC's 18–22 s Ms).

    PYTHONPATH=src TESTBAN_SHARED_DATA=../shared/data python bench/ms_waveforms.py

DPRK: each folder of `dprk_regional/` (vertical BHZ, 20 Hz, displacement in metres, the
response already removed), the origin of Yang et al. (2021) for DPRK1–5 and the USGS
time at Punggye-ri for 2017 and its collapse; station coordinates from `station_file.txt`.
Published reference: Bonner et al. (2008, BSSA 98(5), 2498–2506) Ms 2.94 ± 0.17 for the
2006 test. ULN: StationXML response, LHZ from the origin time on (the noise is the 11
minutes before P); the catalogue gives Mw 7.0 only, so Ms is a consistency check.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
from obspy import Stream, UTCDateTime, read

from testban.network import Network, read_network
from testban.network.model import Channel, Station
from testban.pipeline.event_measure import SurfaceWaveConfig, measure_surface_waves, station_ms
from testban.records.css30 import Origin

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
REGIONAL = SHARED / "dprk_regional"
YANG = SHARED / "relative_location" / "DPRK_dataset" / "Yang_etal_initial_locations.txt"
ULN = SHARED / "continuous" / "uln_20150718"
SITE = (41.30, 129.07)
EXTRA = {"DPRK6": "2017-09-03T03:30:01.6", "collapse": "2017-09-03T03:38:31.0"}
#: Published Ms (Bonner et al. 2008) where one is known.
PUBLISHED = {"DPRK1": (2.94, 0.17)}


def dprk_origins() -> dict[str, tuple[float, float, float]]:
    ref = {}
    for line in YANG.read_text().splitlines():
        t, lat, lon, ev = line.split()[:4]
        ref[ev] = (float(lat), float(lon), UTCDateTime(t).timestamp)
    for ev, t in EXTRA.items():
        ref[ev] = (*SITE, UTCDateTime(t).timestamp)
    return ref


def dprk_network() -> Network:
    rows: dict[str, tuple[float, float]] = {}
    for f in sorted(REGIONAL.glob("*/station_file.txt")):
        for line in f.read_text().splitlines():
            p = line.split()
            if len(p) >= 4:
                rows[p[0]] = (float(p[2]), float(p[3]))
    for f in sorted(REGIONAL.glob("*/*.sac")):  # folders without a station file
        tr = read(str(f), headonly=True)[0]
        rows.setdefault(tr.stats.station, (float(tr.stats.sac.stla), float(tr.stats.sac.stlo)))
    ch = (Channel("BHZ", sample_rate=20.0),)
    return Network(Station(s, la, lo, channels=ch) for s, (la, lo) in rows.items())


def folder_reader(folder: Path):
    def reader(t0: float, t1: float, stations):
        st = Stream()
        for sta in stations:
            for f in sorted(folder.glob(f"*.{sta}.*Z.sac")):
                st += read(str(f), starttime=UTCDateTime(t0), endtime=UTCDateTime(t1))
        return st, []

    return reader


def dprk() -> list[str]:
    ref = dprk_origins()
    net = dprk_network()
    cfg = SurfaceWaveConfig(assume_units="m")
    lines = [
        "| folder | event | stations measured | detected | Ms(VMAX) ms_ave ± se | ms_mle "
        "± se | per-station Ms (° , band s, SNR, d = detected) |",
        "|---|---|---|---|---|---|---|",
    ]
    for folder in sorted(p for p in REGIONAL.iterdir() if p.is_dir()):
        t_folder = UTCDateTime.strptime(folder.name[:14], "%Y%m%d%H%M%S").timestamp
        name, (lat, lon, t) = min(ref.items(), key=lambda kv: abs(kv[1][2] - t_folder))
        o = Origin(orid=1, evid=1, lat=lat, lon=lon, depth=0.0, time=t)
        rows = measure_surface_waves([o], folder_reader(folder), net, cfg)
        nets = {n.magtype: n for n in rows.netmags}
        per_sta = []
        for _, m in sorted(rows.measurements, key=lambda x: x[1].delta):
            ms, j, det, _ = station_ms(m)
            b = m.bands[j]
            flag = ", d" if det else ""
            per_sta.append(f"{m.sta} {m.delta:.1f}° {ms:.2f} ({b.per:.0f} s, {b.snr:.0f}{flag})")
        ndet = sum(station_ms(m)[2] for _, m in rows.measurements)

        def fmt(k: str, nets=nets) -> str:
            n = nets.get(k)
            return f"{n.magnitude:.2f} ± {n.uncertainty:.2f}" if n else "–"

        lines.append(
            f"| {folder.name} | {name} | {len(rows.measurements)} | {ndet} | {fmt('ms_ave')} | "
            f"{fmt('ms_mle')} | {'; '.join(per_sta)} |"
        )
        for p in rows.problems:
            if p.severity not in ("info",):
                print(f"  problem: {p}", file=sys.stderr)
    return lines


def uln() -> list[str]:
    from testban.traveltime import distance_azimuth

    net, _ = read_network(ULN / "IU_ULN.xml")
    st = read(str(ULN / "IU_ULN_2015-07-18T02.mseed"))
    o = Origin(orid=1, evid=1, lat=-10.4012, lon=165.1409, depth=11.0,
               time=UTCDateTime("2015-07-18T02:27:34").timestamp)  # fmt: skip
    rows = measure_surface_waves([o], lambda t0, t1, s: (st.slice(UTCDateTime(t0),
                                 UTCDateTime(t1)), []), net)  # fmt: skip
    d = float(distance_azimuth(o.lat, o.lon, *net.coordinates("ULN")[:2])[0])
    out = [f"ULN at {d:.1f}°: " + (", ".join(str(p) for p in rows.problems) or "no problems")]
    for _, m in rows.measurements:
        ms, j, det, model = station_ms(m)
        b = m.bands[j]
        out.append(
            f"{m.sta} {m.chan} {m.method}: A = {b.amp:.0f} nm, T = {b.per:.1f} s, SNR {b.snr:.0f} "
            f"(threshold {b.threshold:.1f}), detected {det}, Ms = {ms:.2f} ({model})"
        )
    # the deconvolution against ObsPy's own response removal
    from testban.features.surface_wave import long_period_displacement

    tr = st.select(channel="LHZ")[0]
    resp = net.response("ULN", "LHZ")
    mine, _ = long_period_displacement(tr.data.astype(float), tr.stats.sampling_rate, resp)
    ref = tr.copy()
    ref.stats.response = resp
    ref.remove_response(output="DISP", pre_filt=(0.004, 0.00625, 0.25, 0.4), water_level=None)
    ref.filter("bandpass", freqmin=1 / 30, freqmax=1 / 12, zerophase=True)
    from scipy import signal as sg

    sos = sg.butter(3, [1 / 30, 1 / 12], btype="bandpass", fs=1.0, output="sos")
    mine = sg.sosfiltfilt(sos, mine)
    n = min(mine.size, ref.data.size)
    a, b_ = mine[600 : n - 600], ref.data[600 : n - 600] * 1e9
    out.append(
        f"deconvolution vs ObsPy remove_response (12–30 s): correlation "
        f"{np.corrcoef(a, b_)[0, 1]:.4f}, peak ratio {np.abs(a).max() / np.abs(b_).max():.4f}"
    )
    return out


def main() -> int:
    if not REGIONAL.is_dir():
        print(f"skip: {REGIONAL} not found")
        return 0
    c0 = time.process_time()
    print(f"{time.strftime('%Y-%m-%d')}: Ms from waveforms")
    print("\n".join(dprk()))
    if ULN.is_dir():
        print("\n".join(uln()))
    print(f"CPU {time.process_time() - c0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
