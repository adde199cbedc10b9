"""Spectra in (issue 13): every gamma file of ../shared/data read or its problem named.

    PYTHONPATH=src python bench/read_spectra.py [--mutants 40] [--seed 20261208]

Prints markdown: (1) each file of ``radionuclide/becquerel_samples/`` with channels, live
and real time, energy calibration, start time and problems; (2) the N42.42 portal file
``radionuclide/interspec_n42/passthrough.n42``: spectra read, their times, the gross-count
time series (counts per time slice, all detectors) summarised inside and outside the
occupancy, and a cross-check against SandiaSpecUtils (an independent C++ parser) when it
is installed, with the read-time ratio; (3) fuzzing: seeded mutants (tests/fuzz) of the
real N42 file and of an IMS2.0 PHD message written from a real HPGe spectrum, with the
outcome counts (no traceback is the requirement).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testban.io.spectra import read_spectra, write_phd  # noqa: E402
from tests.fuzz.harness import Format, baseline, judge, section_blocks  # noqa: E402
from tests.fuzz.mutate import mutants  # noqa: E402
from tests.io.test_spectra_fuzz import _n42_blocks, _units  # noqa: E402

DATA = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
SAMPLES = DATA / "radionuclide" / "becquerel_samples"
N42 = DATA / "radionuclide" / "interspec_n42" / "passthrough.n42"


def _iso(t: float | None) -> str:
    if t is None:
        return "—"
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def samples() -> None:
    print("### becquerel samples\n")
    print(
        "| file | channels | live s | real s | energy calibration (keV) | start (UTC) | problems |"
    )
    print("|---|---:|---:|---:|---|---|---|")
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix.lower() in (".md", ".txt"):
            continue
        problems: list = []
        spectra = read_spectra(path, problems)
        probs = "; ".join(f"{p.severity}: {p.message}" for p in problems) or "—"
        if not spectra:
            print(f"| {path.name} | — | — | — | — | — | {probs} |")
            continue
        s = spectra[0]
        if s.energy_cal.known:
            c = ", ".join(f"{v:.6g}" for v in s.energy_cal.coefficients)
            cal = f"[{c}] → {float(s.energy_cal.energy(float(s.n_channels))):.0f} keV at the top"
        else:
            cal = "none"
        print(
            f"| {path.name} | {s.n_channels} | {s.live_time:.1f} | {s.real_time:.1f} | {cal} "
            f"| {_iso(s.acquisition_start)} | {probs} |"
        )
    print()


def portal() -> None:
    print("### N42.42 portal file\n")
    t0 = time.perf_counter()
    problems: list = []
    spectra = read_spectra(N42, problems)
    ours_s = time.perf_counter() - t0
    times = np.array([s.acquisition_start for s in spectra])
    slices = np.unique(times)
    dets = sorted({s.detector for s in spectra})
    gross = np.array(
        [sum(float(np.sum(s.counts)) for s in spectra if s.acquisition_start == t) for t in slices]
    )
    occ = np.array(
        [any(s.extra.get("occupied") for s in spectra if s.acquisition_start == t) for t in slices]
    )
    classes = Counter(str(s.extra.get("measurement_class")) for s in spectra)
    print(f"- read: {len(spectra)} spectra, {len(problems)} problems, in {ours_s:.2f} s")
    print(f"- {len(slices)} time slices × {len(dets)} detectors ({', '.join(dets)}); "
          f"{_iso(times.min())} → {_iso(times.max())} UTC")  # fmt: skip
    live = [s.live_time or 0.0 for s in spectra]
    print(f"- every spectrum has a start time: {bool(np.all(np.isfinite(times)))}; "
          f"live times {min(live):.3f}–{max(live):.3f} s; classes {dict(classes)}")  # fmt: skip
    for label, sel in (("occupied", occ), ("not occupied", ~occ)):
        if sel.any():
            g = gross[sel]
            print(f"- gross counts per slice ({label}, {sel.sum()} slices): min {g.min():.0f}, "
                  f"median {np.median(g):.0f}, max {g.max():.0f}")  # fmt: skip
        else:
            print(f"- {label}: no slice")
    k = int(np.argmax(gross))
    print(f"- peak slice: {_iso(slices[k])} ({(slices[k] - slices[0]):.2f} s after the first), "
          f"{gross[k]:.0f} counts")  # fmt: skip
    per_s = [f"{g:.0f}" for g in np.add.reduceat(gross, np.arange(0, gross.size, 4))]
    print(f"- gross counts per second (4 slices each): {' '.join(per_s)}")
    try:
        import SpecUtils
    except ImportError:
        print("- SandiaSpecUtils not installed: no cross-check\n")
        return
    t0 = time.perf_counter()
    f = SpecUtils.SpecFile()
    f.loadFile(str(N42), SpecUtils.ParserType.Auto)
    su_s = time.perf_counter() - t0
    ms = [f.measurement(i) for i in range(f.numMeasurements())]
    ours = sorted((s.detector, float(np.sum(s.counts)), round(s.live_time, 4)) for s in spectra)
    theirs = sorted(
        (m.detectorName(), float(m.gammaCountSum()), round(m.liveTime(), 4)) for m in ms
    )
    same = sum(a == b for a, b in zip(ours, theirs, strict=False))
    print(f"- SandiaSpecUtils {getattr(SpecUtils, '__version__', '0.0.11')}: {len(ms)} spectra; "
          f"(detector, total counts, live time) identical for {same} of {len(spectra)}; "
          f"read time ours / SpecUtils = {ours_s / su_s:.1f}\n")  # fmt: skip


def fuzz(n: int, seed: int) -> None:
    print(f"### Fuzzing ({n} mutants each, seed {seed})\n")
    print("| file | clean | problem | traceback | lost blocks | silent | altered (undetectable) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        hpge = read_spectra(SAMPLES / "Mendocino_07-10-13_Acq-10-10-13.Spe")[0]
        write_phd([hpge, hpge], folder / "phd.txt")
        phd = (folder / "phd.txt").read_bytes()
        cases = [
            ("IMS2.0 PHD of Mendocino (2 sections)", Format("phd", "m.phd", _units), phd,
             N42.read_bytes()[:20000]),
            ("passthrough.n42", Format("n42", "m.n42", _units), N42.read_bytes(), phd),
        ]  # fmt: skip
        cases[0][1].blocks = section_blocks(cases[0][1], b"DATA_TYPE ")
        cases[1][1].blocks = _n42_blocks(cases[1][1])
        for label, fmt, data, other in cases:
            sub = folder / fmt.name
            sub.mkdir()
            blocks, size = baseline(fmt, sub, data)
            regions = [spans[-1] for spans, _ in blocks] or None
            original = fmt.read(fmt.path(sub))[0]
            c: Counter[str] = Counter()
            for m in mutants(data, n, seed, regions=regions, other=other):
                v = judge(fmt, sub, m, blocks, size, original=original)
                c[v.outcome] += 1
                c["lost"] += bool(v.lost)
                c["silent"] += v.silent
                c["altered"] += v.altered
            print(f"| {label} | {c['clean']} | {c['problem']} | {c['traceback']} | {c['lost']} "
                  f"| {c['silent']} | {c['altered']} |")  # fmt: skip
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mutants", type=int, default=40)
    ap.add_argument("--seed", type=int, default=20261208)
    args = ap.parse_args()
    samples()
    portal()
    fuzz(args.mutants, args.seed)


if __name__ == "__main__":
    main()
