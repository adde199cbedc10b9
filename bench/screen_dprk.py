"""Screening of the DPRK tests from raw waveforms: is any explosion screened out?

    .venv/bin/python bench/screen_dprk.py

Each folder of `dprk_regional/` (response-removed displacement in metres, hence
``--units m``) goes through the whole chain (`testban run`: detect → associate → locate →
mb and Ms → regional P/S → screening). For the automatic event nearest the reference
origin, the screening rows are printed: criterion, value ± σ, outcome and reason. The
goal (issue 12): 0 of 6 tests screened out, every "not assessed" saying what was missing.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from pathlib import Path

from obspy import UTCDateTime

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_dprk import REGIONAL, references, stations_csv  # noqa: E402
from testban.network import read_network  # noqa: E402
from testban.pipeline.config import RunConfig  # noqa: E402
from testban.pipeline.run import run_pipeline, sources_from_paths  # noqa: E402
from testban.store import load_bulletin, open_store, read_rows  # noqa: E402


def config() -> RunConfig:
    cfg = RunConfig()
    return dataclasses.replace(
        cfg,
        detect=dataclasses.replace(cfg.detect, assume_units="m"),
        surface=dataclasses.replace(cfg.surface, assume_units="m"),
    )


def main() -> int:
    if not REGIONAL.is_dir():
        print(f"skip: {REGIONAL} not found")
        return 0
    ref = references()
    print(f"{time.strftime('%Y-%m-%d')}: testban run --units m + screening on {REGIONAL}")
    tests, screened, unexplained = 0, 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        network, _ = read_network(stations_csv(Path(tmp)))
        for folder in sorted(p for p in REGIONAL.iterdir() if p.is_dir()):
            t_folder = UTCDateTime.strptime(folder.name[:14], "%Y%m%d%H%M%S").timestamp
            name, (_lat, _lon, rt) = min(ref.items(), key=lambda kv: abs(kv[1][2] - t_folder))
            with open_store(Path(tmp) / f"{folder.name}.sqlite") as store:
                run_pipeline(sources_from_paths([folder]), network, store, config=config())
                with store.session() as s:
                    origins = read_rows(s, "origin")
                    if not origins:
                        print(f"\n{name}: no event formed")
                        continue
                    best = min(origins, key=lambda o: abs(o.time - rt))  # type: ignore[attr-defined]
                    tables = load_bulletin(s, [best.orid])  # type: ignore[attr-defined]
            mags = {m.magtype: (m.magnitude, m.nsta) for m in tables["netmag"]}  # type: ignore[attr-defined]
            print(
                f"\n{name} ({folder.name}): orid {best.orid}, Δt {best.time - rt:+.1f} s, "  # type: ignore[attr-defined]
                f"depth {best.depth:.1f} ({best.dtype}), "  # type: ignore[attr-defined]
                + ", ".join(f"{k} {v:.2f} ({n})" for k, (v, n) in sorted(mags.items()))
            )
            for r in tables["screen"]:
                unc = f" ± {r.uncertainty:.2f}" if r.uncertainty > 0 else ""  # type: ignore[attr-defined]
                val = f"{r.value:.2f}{unc}" if r.value > -999 else "–"  # type: ignore[attr-defined]
                print(f"  {r.criterion:9s} {val:>14s}  {r.outcome:17s} {r.reason}")  # type: ignore[attr-defined]
                if r.outcome == "not assessed" and r.reason in ("", "-"):  # type: ignore[attr-defined]
                    unexplained += 1
            if name != "collapse":
                tests += 1
                ev = [r for r in tables["screen"] if r.criterion == "event"]  # type: ignore[attr-defined]
                screened += any(r.outcome == "screened out" for r in ev)  # type: ignore[attr-defined]
    print(f"\ntests screened out: {screened} of {tests}; 'not assessed' without a reason: "
          f"{unexplained}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
