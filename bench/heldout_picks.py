"""Analyst-pick figures split by station (issue 10, held-out figures).

Run: ``.venv/bin/python bench/heldout_picks.py [--seed N] [--trigger T]`` (markdown).

The onset constants (the detector's local configuration, the hand-off and the S rules in
:mod:`testban.onset`) were chosen while looking at all 154 windows of ``picks/``. This
bench runs ``bench/onset_picks.py`` once and scores the windows in two disjoint station
sets, under two splits chosen before looking at any result:

- *hash*: the parity of the CRC-32 of the station code ``NET_STA`` (a random split);
- *sorted*: first and second half of the sorted list of station codes (which separates
  networks: BG, BK, CI and NC stations up to NC_HPL against the other NC stations, NN,
  NP, PB, PG and TA).

A station's windows are all on the same side, so a station's site and noise never help
the other half. Trigger failures count as misses, as in the bench.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from onset_picks import DEFAULT_DIR, run, score  # noqa: E402


def station(name: str) -> str:
    """``NET_STA`` of a window file name such as ``NC_MEM_2017100709282692.npz``."""
    return "_".join(name.split("_")[:2])


def splits(names: list[str]) -> dict[str, np.ndarray]:
    """Boolean masks over the windows: name → windows in that part."""
    sta = [station(n) for n in names]
    codes = sorted(set(sta))
    first = set(codes[: len(codes) // 2])
    odd = np.array([zlib.crc32(s.encode()) % 2 == 1 for s in sta])
    low = np.array([s in first for s in sta])
    return {
        "hash even": ~odd, "hash odd": odd,
        "sorted 1st half": low, "sorted 2nd half": ~low,
        "all": np.ones(len(names), bool),
    }  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trigger", choices=("detector", "vertical", "standin"), default="detector")
    args = ap.parse_args()
    if not args.data.exists():
        print(f"reference data not found at {args.data}; nothing to do")
        return 0
    res = run(args.data, args.seed, args.trigger)
    names = [r["name"] for r in res["rows"]]
    print(f"seed {args.seed}, trigger {args.trigger}, {len(names)} windows, "
          f"{len({station(n) for n in names})} stations")  # fmt: skip
    print()
    print("| part | stations | windows | P ≤ 0.1 s | P ≤ 0.5 s | S ≤ 0.5 s | "
          "ar_pick P ≤ 0.1 s / P ≤ 0.5 s / S ≤ 0.5 s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for label, m in splits(names).items():
        nsta = len({station(n) for n, k in zip(names, m, strict=True) if k})
        tb = [score(res["tb"][k][m], t) for k, t in (("_ep", 0.1), ("_ep", 0.5), ("_es", 0.5))]
        ar = [score(res["ar"][k][m], t) for k, t in (("_ep", 0.1), ("_ep", 0.5), ("_es", 0.5))]
        print(f"| {label} | {nsta} | {int(m.sum())} | {tb[0]:.1f} % | {tb[1]:.1f} % | "
              f"{tb[2]:.1f} % | {ar[0]:.0f} / {ar[1]:.0f} / {ar[2]:.0f} % |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
