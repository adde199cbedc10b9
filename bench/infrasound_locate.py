"""Infrasound association and BISL location on infrapy's detection sets (issue 14).

Usage: ``.venv/bin/python bench/infrasound_locate.py [--data ../shared/data] [--seeds 50]``

1. HRR-5 (2012-08-27, source 33.5377 N, 106.333961 W): infrapy's ``HRR-5.dets.json``
   (five western arrays W220–W460) located by :func:`testban.locate.bisl.locate_bisl`;
   distance of the MAP and the mean to the source, 90/95 % areas, source inside?
2. ``example1.dets.json`` (10 detections, 4 arrays) associated and located; pairwise
   association precision/recall against the grouping of infrapy's ``detection_set1.dat``
   (the same 10 detections in blank-line separated groups); ``example2.dets.json`` (the
   BISL demo, 3 detections) located with ``min_arrays`` 3; ``Blom_etal2020_GJI/*.json``
   (28 detections at DLIAR, I57US, NVIAR, PDIAR) associated and located.
3. Synthetic coverage: ``--seeds`` events with 3–6 arrays at 150–700 km, celerities drawn
   from the prior, back azimuths deflected N(0, 3°) + N(0, 1°): how often the 90 % and
   95 % regions hold the source (calibration), median MAP error.
CPU time is the process time of each step. Prints markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import glob
import sys
import time
from pathlib import Path

import numpy as np
from obspy import UTCDateTime

from testban.associate.infrasound import (
    InfrasoundConfig,
    associate_infrasound,
    association_scores,
)
from testban.io.infrapy import read_infrapy_detections
from testban.locate.bisl import BislConfig, acoustic_observations, locate_bisl
from testban.records.earth import KM_PER_DEG
from testban.traveltime import distance_azimuth

HRR5 = (33.5377, -106.333961)


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    d, _, _ = distance_azimuth(a[0], a[1], b[0], b[1], geocentric=False)
    return float(d) * KM_PER_DEG


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--seeds", type=int, default=50)
    args = ap.parse_args()
    base = Path(args.data) / "infrasound/infrapy_examples/data"
    if not base.exists():
        sys.exit(f"no data at {base}")

    print("#### HRR-5 from infrapy's detections\n")
    d = read_infrapy_detections(base / "HRR-5.dets.json")
    t = time.process_time()
    res = locate_bisl(acoustic_observations(d.arrivals, d.stations()))
    cpu = time.process_time() - t
    print(
        "| arrays | MAP error (km) | mean error (km) | 90 % area (km²) | 95 % area (km²) "
        "| source in 90 % | in 95 % | origin time (MAP) | CPU (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {len(d.arrivals)} ({', '.join(a.sta for a in d.arrivals)}) "
        f"| {km(HRR5, (res.lat, res.lon)):.1f} | {km(HRR5, (res.lat_mean, res.lon_mean)):.1f} "
        f"| {res.area_km2[0.9]:.0f} | {res.area_km2[0.95]:.0f} "
        f"| {res.contains(*HRR5, 0.9)} | {res.contains(*HRR5, 0.95)} "
        f"| {UTCDateTime(res.time)} ± {res.time_sigma:.0f} s | {cpu:.1f} |"
    )
    for sig in (1.0, 2.0, 5.0):
        r = locate_bisl(
            acoustic_observations(d.arrivals, d.stations()), BislConfig(azimuth_sigma=sig)
        )
        print(
            f"\n(azimuth σ {sig}°: MAP {km(HRR5, (r.lat, r.lon)):.1f} km, mean "
            f"{km(HRR5, (r.lat_mean, r.lon_mean)):.1f} km, 90 % area {r.area_km2[0.9]:.0f} km², "
            f"source inside 90 %: {r.contains(*HRR5, 0.9)})",
            end="",
        )
    print("\n")

    print("#### Association and location of the other infrapy sets\n")
    print(
        "| set | detections | arrays | events | unassociated | pair precision / recall "
        "| events: lat, lon, origin time, 90 % / 95 % area (km²), arrays | CPU (s) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    sets = [
        ("example1", [base / "example1.dets.json"], 3),
        ("example2", [base / "example2.dets.json"], 3),
        ("Blom_etal2020_GJI", sorted(glob.glob(str(base / "Blom_etal2020_GJI/*.json"))), 3),
    ]
    truth = None
    dat = read_infrapy_detections(base / "detection_set1.dat")
    groups: dict[int, list[int]] = {}
    for a, g in zip(dat.arrivals, dat.groups, strict=True):
        groups.setdefault(g, []).append(a.arid)
    truth = list(groups.values())
    for name, files, nmin in sets:
        arr, st = [], {}
        for f in files:
            r = read_infrapy_detections(f, first_arid=len(arr) + 1)
            arr += r.arrivals
            st.update(r.stations())
        t = time.process_time()
        out = associate_infrasound(arr, st, InfrasoundConfig(min_arrays=nmin))
        cpu = time.process_time() - t
        pr = "–"
        if name == "example1":
            p, rc = association_scores(list(out.groups().values()), truth)
            pr = f"{p:.2f} / {rc:.2f}"
        evs = "; ".join(
            f"{o.lat:.2f}, {o.lon:.2f}, {UTCDateTime(o.time).strftime('%H:%M:%S')}, "
            f"{out.posteriors[o.orid].area_km2[0.9]:.0f} / "
            f"{out.posteriors[o.orid].area_km2[0.95]:.0f}, "
            f"{len({a.sta for a in out.assocs if a.orid == o.orid})}"
            for o in out.origins
        )
        print(
            f"| {name} | {len(arr)} | {len(st)} | {len(out.origins)} | {len(out.unassociated)} "
            f"| {pr} | {evs} | {cpu:.1f} |"
        )
    print()

    print("#### Synthetic coverage\n")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "locate"))
    from test_bisl import synthetic_event  # the tests' generator, one source of truth

    in90 = in95 = 0
    errs, areas = [], []
    rng = np.random.default_rng(1234)
    t = time.process_time()
    for seed in range(args.seeds):
        n = int(rng.integers(3, 7))
        a, s, src = synthetic_event(1000 + seed, n_arrays=n)
        r = locate_bisl(acoustic_observations(a, s), BislConfig(n_grid=81))
        in90 += r.contains(*src, 0.9)
        in95 += r.contains(*src, 0.95)
        errs.append(km(src, (r.lat, r.lon)))
        areas.append(r.area_km2[0.9])
    cpu = (time.process_time() - t) / args.seeds
    print(
        "| events | source in 90 % | in 95 % | median MAP error (km) | median 90 % area (km²) "
        "| CPU per event (s) |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.seeds} (3–6 arrays) | {in90}/{args.seeds} ({100 * in90 / args.seeds:.0f} %) "
        f"| {in95}/{args.seeds} ({100 * in95 / args.seeds:.0f} %) | {np.median(errs):.1f} "
        f"| {np.median(areas):.0f} | {cpu:.2f} |"
    )


if __name__ == "__main__":
    main()
