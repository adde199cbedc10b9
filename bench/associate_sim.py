"""Association of simulated IMS days against the simulator's truth.

Run: ``.venv/bin/python bench/associate_sim.py [SEED ...]`` — seeds 1–7 plus any given
(``--only SEED ...``: those seeds alone).

Each day is :func:`testban.simulate.simulate_day` (default IMS-like network, ≥ 60 % of the
detections false). An event of ours matches a true event when most of its arrivals with a
true owner belong to it and at least two do (one to one, most shared arrivals first);
recall is over the true events with mb ≥ 3.5 (and over all events that the simulator made
≥ 3 primary stations detect), precision over all our events. CPU time covers
:func:`testban.associate.associate` only.
"""

from __future__ import annotations

import sys
import time
from collections import Counter

from testban.associate import associate
from testban.network import Network, Station
from testban.simulate import simulate_day

SEEDS = [1, 2, 3, 4, 5, 6, 7]


def network_of(day) -> Network:
    return Network(
        Station(s.code, s.lat, s.lon, s.elev,
                affiliations=("IMS_PRI",) if s.primary else ("IMS_AUX",))
        for s in day.stations
    )  # fmt: skip


def score(day, res) -> dict[str, float]:
    truth = {s.arid: s.orid for s in day.assocs}
    primary = {s.code for s in day.stations if s.primary}
    prim_sta: dict[int, set[str]] = {}
    for s in day.assocs:
        if s.sta in primary:
            prim_sta.setdefault(s.orid, set()).add(s.sta)
    big = {o.orid for o in day.origins if o.mb >= 3.5}
    defined = {o for o, st in prim_sta.items() if len(st) >= 3}
    ours: dict[int, list[int]] = {}
    for s in res.assocs:
        ours.setdefault(s.orid, []).append(s.arid)
    pairs = []
    for orid, arids in ours.items():
        for t, n in Counter(truth.get(a, -1) for a in arids).items():
            if t != -1 and n >= 2:
                pairs.append((-n, orid, t))
    taken_o, taken_t = set(), set()
    for _n, o, t in sorted(pairs):
        if o not in taken_o and t not in taken_t:
            taken_o.add(o)
            taken_t.add(t)
    n_ours = len(res.origins)
    tp_arr = sum(1 for s in res.assocs if truth.get(s.arid, -1) != -1)
    return {
        "events": n_ours,
        "big": len(big),
        "recall_big": len(big & taken_t) / max(len(big), 1),
        "defined": len(defined),
        "recall_defined": len(defined & taken_t) / max(len(defined), 1),
        "precision": len(taken_o) / max(n_ours, 1),
        "false_frac": day.false_fraction if hasattr(day, "false_fraction") else float("nan"),
        "assoc_true": tp_arr / max(len(res.assocs), 1),
    }


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--only"]:  # a quick check: only the seeds given
        seeds = [int(a) for a in args[1:]]
    else:
        seeds = SEEDS + [int(a) for a in args if int(a) not in SEEDS]
    print(
        "| seed | detections | false | true events mb ≥ 3.5 | recall mb ≥ 3.5 | "
        "events ≥ 3 primary | recall | our events | precision | assoc. true | CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    tot = Counter()
    for seed in seeds:
        day = simulate_day("2024-01-01", seed=seed)
        net = network_of(day)
        t = time.process_time()
        res = associate(day.arrivals, net)
        cpu = time.process_time() - t
        s = score(day, res)
        ff = day.false_fraction
        ff = ff() if callable(ff) else ff
        print(
            f"| {seed} | {len(day.arrivals)} | {ff:.0%} | {s['big']} | {s['recall_big']:.2f} | "
            f"{s['defined']} | {s['recall_defined']:.2f} | {s['events']} | "
            f"{s['precision']:.2f} | {s['assoc_true']:.2f} | {cpu:.1f} |",
            flush=True,
        )
        tot["big"] += s["big"]
        tot["hit_big"] += round(s["recall_big"] * s["big"])
        tot["events"] += s["events"]
        tot["good"] += round(s["precision"] * s["events"])
        tot["cpu"] += cpu
    n = len(seeds)
    print(
        f"| all | | | {tot['big']} | {tot['hit_big'] / max(tot['big'], 1):.2f} | | | "
        f"{tot['events']} | {tot['good'] / max(tot['events'], 1):.2f} | | "
        f"{tot['cpu'] / n:.1f} (mean) |"
    )


if __name__ == "__main__":
    main()
