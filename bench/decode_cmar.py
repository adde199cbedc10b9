"""Decode the CMAR IMS2.0 day with testban and with plain ObsPy, and compare the speed.

Both readers decode the same 145 files in the same run (ObsPy's warnings suppressed),
then join the 10-minute pieces per channel (testban: ``join_traces``; ObsPy:
``Stream.merge(method=1)``). Times are CPU seconds (``time.process_time``) for decode
and join together; the files are read once beforehand so both find them in the page
cache. Channel-days are counted on the *joined* traces, so the 24-s overlaps between
files count once: sum of npts / sampling_rate / 86400.

Usage: ``python bench/decode_cmar.py [--data DIR] [--json]``. Exits 0 with a notice when
the reference data are absent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import obspy
from obspy import Stream

from testban.io.ims20 import read_ims20
from testban.io.waveforms import join_traces

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
DEFAULT_DIR = SHARED / "arrays" / "cmar_20050511"


def channel_days(stream: Stream) -> float:
    """Sum of trace durations in days (npts / rate, one sample interval per sample)."""
    return sum(tr.stats.npts / tr.stats.sampling_rate for tr in stream) / 86400.0


def run_testban(files: list[Path]) -> dict:
    """Decode and join with testban; returns the figures."""
    t0 = time.process_time()
    pieces, problems = Stream(), []
    for f in files:
        st, probs = read_ims20(f)
        pieces += st
        problems += probs
    t_decode = time.process_time() - t0
    joined, join_problems = join_traces(pieces)
    t_all = time.process_time() - t0
    return {
        "reader": "testban",
        "blocks": len(pieces),
        "samples": int(sum(tr.stats.npts for tr in pieces)),
        "problems": len(problems) + len(join_problems),
        "decode_s": t_decode,
        "cpu_s": t_all,
        "traces": len(joined),
        "channel_days": channel_days(joined),
        "_joined": joined,
    }


def run_obspy(files: list[Path]) -> dict:
    """Decode with ``obspy.read(format="GSE2")`` and join with ``merge(method=1)``."""
    t0 = time.process_time()
    pieces = Stream()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in files:
            pieces += obspy.read(str(f), format="GSE2")
    t_decode = time.process_time() - t0
    blocks, samples = len(pieces), int(sum(tr.stats.npts for tr in pieces))
    joined = pieces.merge(method=1)
    t_all = time.process_time() - t0
    return {
        "reader": "obspy",
        "blocks": blocks,
        "samples": samples,
        "problems": 0,
        "decode_s": t_decode,
        "cpu_s": t_all,
        "traces": len(joined),
        "channel_days": channel_days(joined),
        "_joined": joined,
    }


def main(argv: list[str] | None = None) -> int:
    """Run both readers and print a markdown table (and JSON with ``--json``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DIR, help="CMAR folder")
    ap.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = ap.parse_args(argv)
    files = sorted(args.data.glob("*.ims")) if args.data.is_dir() else []
    if not files:
        print(f"skipped: no CMAR IMS2.0 files in {args.data} (set TESTBAN_SHARED_DATA)")
        return 0
    for f in files:  # warm the page cache for both readers alike
        f.read_bytes()

    ours = run_testban(files)
    theirs = run_obspy(files)
    same = len(ours["_joined"]) == len(theirs["_joined"]) and all(
        a.id == b.id and np.array_equal(a.data, b.data)
        for a, b in zip(ours["_joined"].sort(), theirs["_joined"].sort(), strict=True)
    )

    print("| reader | files | blocks | samples | channel-days (joined) | decode CPU s "
          "| decode+join CPU s | channel-days / CPU s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for r in (ours, theirs):
        r["files"] = len(files)
        r["channel_days_per_cpu_s"] = r["channel_days"] / r["cpu_s"]
        print(
            f"| {r['reader']} | {len(files)} | {r['blocks']} | {r['samples']} "
            f"| {r['channel_days']:.3f} | {r['decode_s']:.2f} | {r['cpu_s']:.2f} "
            f"| {r['channel_days_per_cpu_s']:.1f} |"
        )
    ratio = ours["channel_days_per_cpu_s"] / theirs["channel_days_per_cpu_s"]
    ratio_decode = theirs["decode_s"] / ours["decode_s"]
    print(
        f"\ntestban / obspy throughput ratio: {ratio:.2f} decode+join, "
        f"{ratio_decode:.2f} decode only  "
        f"(joined samples identical: {same}; testban problems: {ours['problems']})"
    )
    if args.json:
        out = {
            "ratio_testban_over_obspy": ratio,
            "ratio_decode_only": ratio_decode,
            "joined_identical": same,
            "results": [
                {k: v for k, v in r.items() if not k.startswith("_")} for r in (ours, theirs)
            ],
        }
        print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
