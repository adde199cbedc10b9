"""Hydroacoustic features on synthetic H phases (issue 14): bubble period and duration.

Usage: ``.venv/bin/python bench/hydroacoustic.py [--data ../shared/data]``

Synthetic H phases (:func:`testban.features.hydroacoustic.synthetic_h_phase`, 250 Hz as
IMS hydrophones): a pressure pulse repeated at the Rayleigh–Willis bubble period of a
known TNT charge and depth (bubble amplitudes 0.5, 0.2), spread over a 30 s (or 10/60 s)
SOFAR multipath (400 random arrivals under a trapezoid envelope), 3–90 Hz, white noise at
10/15/20 dB; three seeds each. The energy detector (:func:`detect_h_phases`) measures
onset and duration, the cepstrum the bubble period. Counted: detections, period error,
duration error, ``explosion_like``. Then the same on impulsive sources without a bubble
and on earthquake-like T phases. Last, the hydrophone StationXML of ``formats/obspy`` read
and its response applied (counts → Pa) to a 1 Pa 10 Hz sine.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from testban.detect.hydroacoustic import detect_h_phases
from testban.features.hydroacoustic import explosion_like, synthetic_h_phase, to_pascal

FS = 250.0
CASES = [(1, 100), (5, 200), (10, 20), (20, 30), (100, 50), (1000, 100), (10000, 500), (50, 500)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    args = ap.parse_args()
    print(
        "| charge (kg TNT) | depth (m) | T (s) | detected | max period error | "
        "max duration error (30 s / 10 s / 60 s) | explosion-like |"
    )
    print("|---|---|---|---|---|---|---|")
    t = time.process_time()
    n_all = 0
    for w, z in CASES:
        perr, derr, det, expl, n = [], {10: [], 30: [], 60: []}, 0, 0, 0
        period = 0.0
        for dur in (30.0, 10.0, 60.0):
            for snr in (10.0, 15.0, 20.0):
                for seed in range(3):
                    x, period, true_d = synthetic_h_phase(
                        FS, w, z, duration_s=dur, snr_db=snr, seed=seed
                    )
                    n += 1
                    dets = detect_h_phases(x, FS)
                    if len(dets) != 1:
                        continue
                    det += 1
                    f = dets[0].features
                    perr.append(abs(f.bubble_period / period - 1))
                    derr[int(dur)].append(abs(f.duration / true_d - 1))
                    expl += explosion_like(f) is True
        n_all += n
        print(
            f"| {w} | {z} | {period:.4f} | {det}/{n} | {100 * max(perr):.2f} % "
            f"| {' / '.join(f'{100 * max(derr[k]):.1f} %' for k in (30, 10, 60))} "
            f"| {expl}/{det} |"
        )
    cpu = (time.process_time() - t) / n_all
    print(f"\nCPU per 180 s trace (detect + features): {cpu:.3f} s.\n")

    false_pos = total = 0
    for seed in range(10):
        x, _, _ = synthetic_h_phase(FS, 100, 50, explosion=False, seed=seed, band=(2.0, 15.0))
        for d in detect_h_phases(x, FS):
            total += 1
            false_pos += explosion_like(d.features) is True
    print(
        f"Earthquake-like (no bubble, energy 2–15 Hz): {false_pos}/{total} called explosion-like.\n"
    )

    xml = Path(args.data) / "formats/obspy/hydrophone_response_PA.xml"
    if xml.exists():
        from obspy import Trace, read_inventory

        cha = read_inventory(str(xml))[0][0][0]
        resp = cha.response
        st = resp.response_stages[0]
        s_ = 2j * np.pi * np.array([10.0, resp.instrument_sensitivity.frequency])
        h = np.prod([s_ - q for q in st.zeros], axis=0) / np.prod(
            [s_ - p for p in st.poles], axis=0
        )
        g = resp.instrument_sensitivity.value * h[0] / h[1]
        tt = np.arange(2**14) / cha.sample_rate
        counts = abs(g) * np.sin(2 * np.pi * 10 * tt + np.angle(g))
        out = to_pascal(Trace(counts, header={"sampling_rate": cha.sample_rate}), resp)
        amp = np.std(out.data[2000:-2000]) * np.sqrt(2)
        print(
            f"Response {cha.code} ({resp.instrument_sensitivity.value:.1f} counts/Pa at "
            f"{resp.instrument_sensitivity.frequency:g} Hz): a 1 Pa 10 Hz sine returns "
            f"{amp:.4f} Pa."
        )


if __name__ == "__main__":
    main()
