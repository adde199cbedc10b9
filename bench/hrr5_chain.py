"""HRR-5 end to end with testban alone: its own array detections → association → BISL.

    .venv/bin/python bench/hrr5_chain.py

Each of the 8 arrays of `infrasound/hrr5_100hz/` goes through testban's infrasound
detector (defaults); all detections are associated and located together
(`testban.associate.infrasound`, BISL posterior); the event nearest the source is scored:
distance of the MAP and mean epicentres to the source (33.5377 N, 106.333961 W) and
whether the source lies inside the 90 % / 95 % credibility regions. The issue's goal: one
event within 10 km with the source inside the 90 % contour.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from infrasound_detect import HRR5, SOURCE, array_from_sac  # noqa: E402
from testban.associate.infrasound import associate_infrasound  # noqa: E402
from testban.detect.config import InfrasoundConfig  # noqa: E402
from testban.detect.infrasound import detection_rows, infrasound_detections  # noqa: E402
from testban.network import Network  # noqa: E402
from testban.records.earth import KM_PER_DEG  # noqa: E402
from testban.traveltime.geometry import distance_azimuth  # noqa: E402


def main() -> int:
    if not HRR5.is_dir():
        print(f"skip: {HRR5} not found")
        return 0
    t0 = time.process_time()
    dets, stations = [], []
    for folder in sorted(p for p in HRR5.iterdir() if p.is_dir()):
        st, net = array_from_sac(folder, folder.name)
        found, _ = infrasound_detections(st, net, InfrasoundConfig())
        dets += found
        stations += list(net)
        print(f"{folder.name}: {len(found)} detections")
    arrivals, _ = detection_rows(dets)
    network = Network(stations)
    result = associate_infrasound(arrivals, network)
    cpu = time.process_time() - t0
    print(f"{len(arrivals)} detections, {len(result.origins)} events, "
          f"{len(result.unassociated)} unassociated; {cpu:.1f} CPU s")  # fmt: skip
    best = None
    for o in result.origins:
        post = result.posteriors[o.orid]
        km = float(distance_azimuth(post.lat, post.lon, *SOURCE, geocentric=False)[0]) * KM_PER_DEG
        if best is None or km < best[0]:
            best = (km, o, post)
    if best is None:
        print("no event formed")
        return 0
    km, o, post = best
    mean_km = float(distance_azimuth(post.lat_mean, post.lon_mean, *SOURCE,
                                     geocentric=False)[0]) * KM_PER_DEG  # fmt: skip
    n = sum(1 for a in result.assocs if a.orid == o.orid)
    inside = {lvl: post.contains(*SOURCE, lvl) for lvl in (0.9, 0.95)}
    print(f"nearest event: {n} arrays; MAP {km:.1f} km, mean {mean_km:.1f} km from the source; "
          f"90 % region {post.area_km2.get(0.9, float('nan')):.0f} km² (source inside: "
          f"{inside[0.9]}), 95 % {post.area_km2.get(0.95, float('nan')):.0f} km² "
          f"({inside[0.95]})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
