"""Characterisation parameters on real teleseismic P: the YKA and GRF array events.

    PYTHONPATH=src .venv/bin/python bench/characterisation_arrays.py

`arrays/yka_20120814/` (Sea of Okhotsk, 2012-08-14, M 7.7, 583 km deep, 18 SHZ elements)
and `arrays/grf_19911217/` (Kuril Islands, 1991-12-17, M 5.7, 126 km deep, 19 BHZ
elements): vertical records in counts (every element the same instrument; the parameters
are band ratios). P onset: iasp91 P time (ObsPy TauP) from the QuakeML origin, refined to
the largest 0.8–4.5 Hz STA/LTA (1 s / 20 s) within ±5 s. Per element, then the median and
the element range. Both are earthquakes (no teleseismic explosion record is in the data:
the DPRK stations of `dprk_regional/` are all within 20°).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from obspy import read, read_events, read_inventory
from obspy.geodetics import locations2degrees
from obspy.taup import TauPyModel
from scipy import signal

from testban.detect.stalta import recursive_sta_lta
from testban.features.amplitude import butter_band
from testban.features.characterisation import cepstral_peak, complexity, spectral_ratio

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
ARRAYS = {
    "YKA": ("yka_20120814", "array_yellowknife_2012-08-14.mseed", "array_yellowknife.xml",
            "array_2012-08-14_event.xml"),
    "GRF": ("grf_19911217", "array_grf_1991-12-17.mseed", "array_grf.xml",
            "array_1991-12-17_event.xml"),
}  # fmt: skip
REFINE_S = 5.0


def main() -> None:
    model = TauPyModel("iasp91")
    for name, (folder, wf, inv_name, ev_name) in ARRAYS.items():
        d = SHARED / "arrays" / folder
        st = read(str(d / wf))
        inv = read_inventory(str(d / inv_name))
        o = read_events(str(d / ev_name))[0].origins[0]
        rows = []
        for tr in st:
            try:
                c = inv.get_coordinates(tr.id, tr.stats.starttime)
            except Exception as exc:  # noqa: BLE001 - a missing station: report, go on
                print(f"{name} {tr.id}: no coordinates ({exc})")
                continue
            dist = locations2degrees(o.latitude, o.longitude, c["latitude"], c["longitude"])
            arr = model.get_travel_times(o.depth / 1000.0, dist, ["P"])
            fs = tr.stats.sampling_rate
            x = tr.data.astype(float)
            t_pred = o.time + arr[0].time - tr.stats.starttime
            y = signal.sosfiltfilt(butter_band(fs, (0.8, 4.5)), signal.detrend(x))
            ratio = recursive_sta_lta(y * y, int(fs), int(20 * fs))
            i0, i1 = int((t_pred - REFINE_S) * fs), int((t_pred + REFINE_S) * fs)
            onset = (i0 + int(np.argmax(ratio[i0:i1]))) / fs - 0.5  # STA centre → onset
            rows.append((tr.stats.station, dist, onset - t_pred, complexity(x, fs, onset),
                         spectral_ratio(x, fs, onset), cepstral_peak(x, fs, onset)))  # fmt: skip
        print(f"\n{name}: {o.time} M{read_events(str(d / ev_name))[0].magnitudes[0].mag} "
              f"depth {o.depth / 1000:.0f} km, Δ {np.median([r[1] for r in rows]):.1f}°, "
              f"{len(rows)} elements; onset − iasp91 median "
              f"{np.median([r[2] for r in rows]):+.1f} s")  # fmt: skip
        print("| element | C (SNR) | SR (SNR) | TMF Hz | cepstral peak amp @ quef s (sig) |")
        for sta, _, _, cx, sr, cp in rows:
            print(f"| {sta} | {cx.bound}{cx.value:.2f} ({cx.snr:.1f}) | {sr.bound}{sr.value:.3f} "
                  f"({sr.snr:.1f}) | {sr.tmf:.2f} | {cp.amplitude:+.3f} @ {cp.quefrency:.2f} "
                  f"({cp.significance:.1f}) |")  # fmt: skip

        def stat(v: list[float]) -> str:
            a = np.array(v, dtype=float)
            a = a[np.isfinite(a)]
            return (
                f"{np.median(a):.3f} ({a.min():.3f}–{a.max():.3f}, n={a.size})" if a.size else "n/a"
            )

        print(
            f"complexity: {stat([r[3].value for r in rows if not r[3].noisy])}; "
            f"noisy {sum(r[3].noisy for r in rows)}"
        )
        print(
            f"spectral ratio: {stat([r[4].value for r in rows if not r[4].noisy])}; "
            f"TMF {stat([r[4].tmf for r in rows])}"
        )
        print(f"cepstral quefrency: {stat([r[5].quefrency for r in rows])}; "
              f"amplitude {stat([r[5].amplitude for r in rows])}")  # fmt: skip


if __name__ == "__main__":
    main()
