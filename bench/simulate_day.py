"""Time one simulated IMS day of detections and an hour of waveforms.

Usage: ``.venv/bin/python bench/simulate_day.py [--seed N] [--out DIR]``

Prints events, arrivals, the false-detection fraction and CPU seconds for the arrivals of
one day on the generated 170-station network, then CPU seconds for one hour of waveforms
at five stations (two arrays, three 3-C), and a markdown table row.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from obspy import UTCDateTime

from testban.simulate import ims_like_network, simulate_day, simulate_waveforms, write_simulation
from testban.traveltime import travel_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", default="2024-01-01T00:00:00")
    parser.add_argument("--out", default=None, help="also write the day's tables here")
    args = parser.parse_args()

    start = UTCDateTime(args.start)
    network = ims_like_network(0)
    travel_times("iasp91")  # load tables outside the timing

    cpu = time.process_time()
    day = simulate_day(start, seed=args.seed, network=network)
    day_cpu = time.process_time() - cpu
    mb = np.array([o.mb for o in day.origins])
    ndef = np.array([o.ndef for o in day.origins])

    arrays = [s.code for s in network if s.is_array][:2]
    singles = [s.code for s in network if not s.is_array][:3]
    codes = arrays + singles
    cpu = time.process_time()
    stream = simulate_waveforms(day.origins, network, codes, start, start + 3600, seed=args.seed)
    wave_cpu = time.process_time() - cpu

    print(f"stations            {len(network)} ({sum(s.primary for s in network)} primary)")
    print(
        f"events              {len(day.origins)} (mb>=3.5: {int(np.sum(mb >= 3.5))}, "
        f">=3 arrivals: {int(np.sum(ndef >= 3))})"
    )
    print(f"arrivals            {len(day.arrivals)} (true {len(day.assocs)})")
    print(f"false fraction      {day.false_fraction:.3f}")
    print(f"day of arrivals     {day_cpu:.2f} s CPU")
    print(f"1 h waveforms       {wave_cpu:.2f} s CPU, {len(stream)} channels at {codes}")
    if args.out:
        write_simulation(day, args.out)
        print(f"written to          {args.out}")
    print()
    print("| stations | events | arrivals | false | day CPU s | 1 h × 5 sta waveforms CPU s |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {len(network)} | {len(day.origins)} | {len(day.arrivals)} | "
        f"{day.false_fraction:.2f} | {day_cpu:.2f} | {wave_cpu:.2f} ({len(stream)} ch) |"
    )


def dprk_detection_counts() -> None:
    """Simulated detecting stations for Punggye-ri explosions on the real IMS vs the REB."""
    from testban.network import ims
    from testban.simulate import as_stations, draw_events, simulate_arrivals

    try:
        stations = as_stations(ims())
    except FileNotFoundError as exc:
        print(f"\nDPRK check skipped: {exc}")
        return
    reb = {4.1: 22, 4.5: 61, 4.9: 94}  # CTBTO statements for 2006, 2009, 2013
    print("\n| mb | REB stations | simulated (mean of 5 seeds, real IMS tables) |")
    print("|---|---|---|")
    for mb, n_reb in reb.items():
        counts = []
        for seed in range(5):
            ev = draw_events(0, 1, seed=seed, rate=0.0, explosions=[("PR", 41.3, 129.08, 100, mb)])
            _, assocs, _ = simulate_arrivals(ev, stations, seed=seed, start=0, end=3600)
            counts.append(len({a.sta for a in assocs}))
        print(f"| {mb} | {n_reb} | {np.mean(counts):.0f} |")


if __name__ == "__main__":
    main()
    dprk_detection_counts()
