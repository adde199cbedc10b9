"""Screening of the DPRK tests from raw waveforms: is any explosion screened out?

    .venv/bin/python bench/screen_dprk.py

Each folder of `dprk_regional/` (response-removed displacement in metres, hence
``--units m``) goes through the whole chain (`testban run`: detect → associate → locate →
mb and Ms → regional P/S → screening). For the automatic event nearest the reference
origin, the screening rows are printed: criterion, value ± σ, outcome and reason. The
goal (issue 12): 0 of 6 tests screened out, every "not assessed" saying what was missing.

The regional stations give no mb (it is defined at 20–100°), so mb:Ms cannot be assessed
from these folders alone. A second pass screens each test's reference origin with the
IDC's published mb (CTBTO statements: 4.1, 4.52, 4.9, 4.85, 5.1, 6.1) and the Ms and P/S
measured here on the same waveforms (`testban screen --waveforms … --units m`). The REB
station counts behind those mb (22, 61, 94 for 2006/2009/2013) set σ of mb; for the later
tests 94 is used, the most stations known and so the smallest σ — the stricter test.
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
from testban.network import read_network
from testban.pipeline.config import RunConfig  # noqa: E402
from testban.pipeline.event_measure import SurfaceWaveConfig, archive_reader, measure_surface_waves
from testban.pipeline.run import run_pipeline, sources_from_paths  # noqa: E402
from testban.pipeline.screen_measure import screening_measurements
from testban.records.css30 import Netmag, Origin
from testban.screening import screen_bulletin  # noqa: E402
from testban.store import load_bulletin, open_store, read_rows  # noqa: E402


def config() -> RunConfig:
    cfg = RunConfig()
    return dataclasses.replace(
        cfg,
        detect=dataclasses.replace(cfg.detect, assume_units="m"),
        surface=dataclasses.replace(cfg.surface, assume_units="m"),
    )


#: IDC mb of the tests (CTBTO statements) and the REB's number of mb stations (None:
#: unknown here, 94 used).
IDC_MB = {
    "DPRK1": (4.1, 22), "DPRK2": (4.52, 61), "DPRK3": (4.9, 94), "DPRK4": (4.85, None),
    "DPRK5": (5.1, None), "DPRK6": (6.1, None),
}  # fmt: skip


def published_mb_pass(network, ref) -> int:
    """Screen each test's reference origin with the IDC mb; returns how many are out."""
    print("\n## reference origins with the IDC's published mb, Ms and P/S measured here")
    print("| test | mb (N) | Ms (N) | Ms − 1.25 mb ± σ | mb:Ms | P/S ± σ (N) | P/S | event |")
    print("|---|---|---|---|---|---|---|---|")
    out = 0
    for folder in sorted(p for p in REGIONAL.iterdir() if p.is_dir()):
        t_folder = UTCDateTime.strptime(folder.name[:14], "%Y%m%d%H%M%S").timestamp
        name, (lat, lon, rt) = min(ref.items(), key=lambda kv: abs(kv[1][2] - t_folder))
        if name not in IDC_MB:
            continue
        mb, nb = IDC_MB[name]
        o = Origin(lat=lat, lon=lon, depth=0.0, dtype="g", time=rt, orid=1, evid=1, mb=mb,
                   auth="reference")  # fmt: skip
        sources = sources_from_paths([folder])
        ms = measure_surface_waves([o], archive_reader(sources), network,
                                   SurfaceWaveConfig(assume_units="m"), first_magid=2)  # fmt: skip
        nm = Netmag(magid=1, orid=1, evid=1, magtype="mb_ave", nsta=nb or 94, magnitude=mb)
        measured, _ = screening_measurements([o], sources, network)
        tables = {"origin": [o], "netmag": [nm, *ms.netmags], "stamag": ms.stamags}
        rows = {r.criterion: r for r in screen_bulletin(tables, measured)["screen"]}  # type: ignore[attr-defined]
        msv = next(((m.magnitude, m.nsta) for m in ms.netmags if m.magtype == "ms_ave"), None)
        mbms, ps, ev = rows["mbms"], rows["ps"], rows["event"]
        out += ev.outcome == "screened out"
        print(
            f"| {name} | {mb:.2f} ({nb or '94*'}) | "
            + (f"{msv[0]:.2f} ({msv[1]})" if msv else "–")
            + f" | {mbms.value:.2f} ± {mbms.uncertainty:.2f} | {mbms.outcome} | "
            + (f"{ps.value:.2f} ± {ps.uncertainty:.2f} ({ps.nsta})" if ps.value > -999 else "–")
            + f" | {ps.outcome} | {ev.outcome} |"
        )
    return out


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
        out = published_mb_pass(network, ref)
    print(f"\nwith the published mb: {out} of {len(IDC_MB)} tests screened out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
