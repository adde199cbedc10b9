"""Relative location figures on the DPRK and Hukkakero (Finland) benchmark data.

Prints BENCHMARKS-ready markdown: distances to Yang et al. (2021) for DPRK 1, 3, 4, 5
located against DPRK 2, and, for the 55 Hukkakero explosions, the errors against the
ground truth of the absolute, master-event and double-difference locations. Each testban
figure sits next to a plain baseline run in the same process: the same data and
linearisation, unweighted least squares without rejection, ak135 used as it is.

    .venv/bin/python bench/relocate.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from testban.relocate import double_difference, gibbons, locate_absolute, master_event, to_local

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "relative_location"
PLAIN = {"k_reject": 1e9, "sigma_by": "all"}


def _km(lat, lon, lat_ref, lon_ref, lat0, lon0) -> np.ndarray:
    e, n = to_local(lat, lon, lat0, lon0)
    e0, n0 = to_local(lat_ref, lon_ref, lat0, lon0)
    return np.hypot(e - e0, n - n0)


def dprk() -> None:
    d = DATA / "DPRK_dataset"
    yang = gibbons.read_event_list(d / "Yang_etal_initial_locations.txt")
    names = [f"DPRK{i}" for i in range(1, 6)]
    cl = gibbons.load_cluster(d / "DPRK_CC_times.txt", d / "DPRK_phaselist.txt", events=names)
    m = yang.index("DPRK2")
    rows = [yang.index(n) for n in names]
    print("### DPRK 1, 3, 4, 5 relative to DPRK 2 (placed at Yang et al. 2021)\n")
    print("| method | " + " | ".join(names[i] for i in (0, 2, 3, 4)) + " | rejected |")
    print("|---|---|---|---|---|---|")
    for label, kw in (
        ("baseline: plain master event (LSQ, no rejection)", PLAIN),
        ("testban master event (robust, ak135 slowness)", {}),
    ):
        rel = master_event(cl, "DPRK2", yang.lat[m], yang.lon[m], 0.0, yang.time[m], **kw)
        dist = _km(rel.lat, rel.lon, yang.lat[rows], yang.lon[rows], yang.lat[m], yang.lon[m])
        cells = " | ".join(f"{dist[i]:.3f} km" for i in (0, 2, 3, 4))
        print(f"| {label} | {cells} | {int((~rel.fit.used).sum())} |")
    rel = double_difference(cl, yang.lat[m], yang.lon[m], 0.0, fixed="DPRK2")
    dist = _km(rel.lat, rel.lon, yang.lat[rows], yang.lon[rows], yang.lat[m], yang.lon[m])
    cells = " | ".join(f"{dist[i]:.3f} km" for i in (0, 2, 3, 4))
    print(f"| testban double difference (DPRK 2 fixed) | {cells} | {int((~rel.fit.used).sum())} |")
    print()


def finland() -> None:
    d = DATA / "Finland_dataset"
    gt = gibbons.read_event_list(d / "Finland_events_GT.txt")
    cl = gibbons.load_cluster(d / "Finland_CC_times.txt", d / "Finland_phaselist.txt",
                              events=list(gt.name))  # fmt: skip
    lat0, lon0 = float(gt.lat.mean()), float(gt.lon.mean())
    print("### Hukkakero, 55 explosions (errors against Finland_events_GT.txt)\n")
    print("| step | method | median | p80 | notes |")
    print("|---|---|---|---|---|")
    st = cl.stations
    for label, scale in (("baseline: ak135 as is", False), ("testban: shared P/S scale", True)):
        t = time.process_time()
        ab = locate_absolute(cl, float(st.lat.mean()), float(st.lon.mean()), 0.0, scale=scale)
        cpu = time.process_time() - t
        err = _km(ab.lat, ab.lon, gt.lat, gt.lon, lat0, lon0)
        dt = float(np.median(ab.time - gt.time))
        note = f"origin time {dt:+.2f} s; scales P {ab.scale['P']:.4f}, S {ab.scale['S']:.4f}"
        print(f"| absolute | {label} | {np.median(err):.3f} km | "
              f"{np.percentile(err, 80):.3f} km | {note}; {cpu:.2f} CPU s |")  # fmt: skip

    def master_errors(m: int, **kw) -> tuple[np.ndarray, object]:
        rel = master_event(cl, m, gt.lat[m], gt.lon[m], 0.0, gt.time[m], **kw)
        err = _km(rel.lat, rel.lon, gt.lat, gt.lon, lat0, lon0) * 1000
        return np.delete(err, m), rel

    runs = (
        ("baseline: plain LSQ, ak135 slowness", PLAIN),
        ("testban: robust, ak135 slowness", {}),
        ("testban: robust, empirical slowness", {"slowness": "empirical"}),
    )
    for label, kw in runs:
        err, rel = master_errors(0, **kw)
        bad = [r for r in rel.rejected(cl.stations) if abs(r[4]) > 1.0]  # type: ignore[attr-defined]
        t = time.process_time()
        per = [master_errors(m, **kw)[0] for m in range(len(gt.name))]
        cpu = (time.process_time() - t) / len(per)
        med = np.median([np.median(e) for e in per])
        p80 = np.median([np.percentile(e, 80) for e in per])
        gross = ", ".join(f"{a}-{b} {s} {p} {r:+.2f} s" for a, b, s, p, r in bad) or "none"
        print(f"| master H01 | {label} | {np.median(err):.1f} m | "
              f"{np.percentile(err, 80):.1f} m | rejected > 1 s: {gross} |")  # fmt: skip
        print(f"| master, each of the 55 in turn | {label} | {med:.1f} m | {p80:.1f} m | "
              f"median over masters; {cpu:.3f} CPU s per run |")  # fmt: skip
    for label, kw in (("baseline: plain LSQ", PLAIN), ("testban: robust", {})):
        t = time.process_time()
        rel = double_difference(cl, lat0, lon0, 0.0, **kw)
        cpu = time.process_time() - t
        e, n = to_local(rel.lat, rel.lon, lat0, lon0)
        e0, n0 = to_local(gt.lat, gt.lon, lat0, lon0)
        err = np.hypot((e - e.mean()) - (e0 - e0.mean()), (n - n.mean()) - (n0 - n0.mean()))
        err = err * 1000
        print(f"| double difference | {label} | {np.median(err):.1f} m | "
              f"{np.percentile(err, 80):.1f} m | centroid aligned with the GT centroid; "
              f"{int((~rel.fit.used).sum())}/{rel.fit.used.size} pair times rejected; "
              f"{cpu:.2f} CPU s |")  # fmt: skip
    print()


def main() -> int:
    if not DATA.exists():
        print(f"no data at {DATA}")
        return 1
    print("`.venv/bin/python bench/relocate.py`\n")
    dprk()
    finland()
    return 0


if __name__ == "__main__":
    sys.exit(main())
