"""Locator benchmark: the DPRK nuclear tests located from their own absolute arrival times.

Run: ``.venv/bin/python bench/locate_dprk.py`` (prints BENCHMARKS-ready markdown).

``relative_location/DPRK_dataset/DPRK_CC_times.txt`` lists, for pairs of tests, the
absolute arrival times of the same phase (P, Pn) at 60+ stations; for each test and
station/phase we take the median over the pairs it appears in. Depth is fixed at 0.5 km
(explosions); the reference is Yang et al. (2021). Same locator settings as for the IDC
bulletin; the baseline of issue 4 (``bench/locate_idc.py``) runs on the same data.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from obspy import UTCDateTime

sys.path.insert(0, str(Path(__file__).resolve().parent))
from locate_idc import DATA, baseline_locate, inside, offset_km  # noqa: E402
from testban.locate import LocatorConfig, Observations, locate  # noqa: E402
from testban.locate.model_errors import BONDAR_RANGE_KM  # noqa: E402

DPRK = DATA / "relative_location" / "DPRK_dataset"
DEPTH_KM = 0.5
#: Pick error of a cross-correlation-aligned onset (s); the model error dominates anyway.
DELTIM = 0.1


def read_dprk() -> tuple[dict[str, Observations], dict[str, tuple[float, float, float]], list]:
    """Observations per test, Yang et al. epicentres/times, and the rows left out."""
    coords = {}
    for line in (DPRK / "DPRK_phaselist.txt").read_text().splitlines():
        sta, phase, lat, lon = line.split()[:4]
        coords[(sta, phase)] = (float(lat), float(lon))
    times: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for line in (DPRK / "DPRK_CC_times.txt").read_text().splitlines():
        e1, e2, t1, t2, sta, phase = line.split()[:6]
        times[(e1, sta, phase)].append(UTCDateTime(t1).timestamp)
        times[(e2, sta, phase)].append(UTCDateTime(t2).timestamp)
    ref = {}
    for line in (DPRK / "Yang_etal_initial_locations.txt").read_text().splitlines():
        t, lat, lon, ev = line.split()[:4]
        ref[ev] = (float(lat), float(lon), UTCDateTime(t).timestamp)
    missing = sorted({(s, p) for (_e, s, p) in times if (s, p) not in coords})
    out = {}
    for ev in sorted({k[0] for k in times}):
        keys = [k for k in times if k[0] == ev and (k[1], k[2]) in coords]
        out[ev] = Observations.from_arrays(
            [k[1] for k in keys],
            [k[2] for k in keys],
            [float(np.median(times[k])) for k in keys],
            [coords[(k[1], k[2])][0] for k in keys],
            [coords[(k[1], k[2])][1] for k in keys],
            deltim=DELTIM,
        )
    return out, ref, missing


def main() -> int:
    if not DPRK.exists():
        print(f"DPRK data not found at {DPRK}", file=sys.stderr)
        return 1
    events, ref, missing = read_dprk()
    print("### Locator: DPRK tests from their own absolute times (issue 4)\n")
    print("`.venv/bin/python bench/locate_dprk.py` — `relative_location/DPRK_dataset/`, median")
    print(f"time per test and station/phase over the pairs, depth fixed at {DEPTH_KM} km,")
    print("reference Yang et al. (2021); 90 % ellipse (K = ∞, a priori model errors).")
    print("Ellipticity corrections on; the last columns switch the ellipticity correction off,")
    print("or switch the correlated model errors of Bondár & McLaughlin (2009) on")
    print(f"(range {BONDAR_RANGE_KM:.0f} km).")
    if missing:
        print(f"Left out (no coordinates in DPRK_phaselist.txt): {missing}.")
    print("\n| test | phases (P/Pn) | testban km | Δt s | smajax km | sminax km | area km² "
          "| covered | baseline km | baseline covered | km without ellipticity "
          "| km with correlated errors (covered, area km²) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    kms, bkms = [], []
    no_ell = LocatorConfig(ellipticity_correction=False)
    corr = LocatorConfig(correlation_range_km=BONDAR_RANGE_KM)
    for ev, obs in events.items():
        loc = locate(obs, depth=DEPTH_KM)
        loc0 = locate(obs, depth=DEPTH_KM, config=no_ell)
        locc = locate(obs, depth=DEPTH_KM, config=corr)
        lat, lon, t0 = ref[ev]
        km, dx, dy = offset_km(loc.origin.lat, loc.origin.lon, lat, lon)
        e = loc.origerr
        km0 = offset_km(loc0.origin.lat, loc0.origin.lon, lat, lon)[0]
        kmc, cdx, cdy = offset_km(locc.origin.lat, locc.origin.lon, lat, lon)
        ec = locc.origerr
        b = baseline_locate(obs, depth=DEPTH_KM)
        bkm, bdx, bdy = offset_km(b.lat, b.lon, lat, lon)
        n_p = int(np.sum(obs.phase == "P"))
        kms.append(km)
        bkms.append(bkm)
        print(
            f"| {ev} | {n_p}/{len(obs) - n_p} | {km:.1f} | {loc.origin.time - t0:.2f} "
            f"| {e.smajax:.1f} | {e.sminax:.1f} | {math.pi * e.smajax * e.sminax:.0f} "
            f"| {inside(loc.covariance[:2, :2], dx, dy)} | {bkm:.1f} "
            f"| {inside(b.cov, bdx, bdy)} | {km0:.1f} "
            f"| {kmc:.1f} ({inside(locc.covariance[:2, :2], cdx, cdy)}, "
            f"{math.pi * ec.smajax * ec.sminax:.0f}) |"
        )
    print(f"\nmedian: testban {np.median(kms):.1f} km, baseline {np.median(bkms):.1f} km")
    return 0


if __name__ == "__main__":
    sys.exit(main())
