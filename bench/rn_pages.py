"""Radionuclide pages on the real data (issue 13): load, load again, render, print the front.

    PYTHONPATH=src python bench/rn_pages.py [--n42]

Loads ``radionuclide/chernobyl_air_1986/`` and ``radionuclide/becquerel_samples/`` (and with
``--n42`` the 1 064 spectra of ``interspec_n42/passthrough.n42``) into a temporary store with
``testban rn-load``'s loader, twice (row counts must not change), renders every page with
FastAPI's test client (status, size, time), and prints the arrival front as ``/airconc``
shows it (the page's own view function, not a recomputation).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from testban.pipeline.rnload import load_radionuclide
from testban.service import create_app
from testban.service.radionuclide_pages import airconc_view
from testban.store import count_rows, open_store, read_rows

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
RN = DATA / "radionuclide"
TABLES = ("gards_sample_data", "gards_air_conc", "gards_bg_isotope_concs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n42", action="store_true", help="also the 1 064 N42 portal spectra")
    args = ap.parse_args()
    paths = [RN / "chernobyl_air_1986", RN / "becquerel_samples"]
    if args.n42:
        paths.append(RN / "interspec_n42" / "passthrough.n42")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "rn.sqlite"
        store = open_store(db)
        for k in range(2):
            problems: list = []
            t = time.perf_counter()
            s = load_radionuclide(store, paths, problems)
            dt = time.perf_counter() - t
            with store.session() as ses:
                counts = {n: count_rows(ses, n) for n in TABLES}
            print(
                f"- load {k + 1}: {s.spectra} spectra, {s.air_rows} air rows in {dt:.1f} s; "
                f"stored {counts}; {len(problems)} problems; store {db.stat().st_size / 1e6:.1f} MB"
            )
            if k == 0:
                for p in problems:
                    print(f"  - {p}")
        with store.session() as ses:
            ids = sorted(r.sample_id for r in read_rows(ses, "gards_sample_data"))
        client = TestClient(create_app(store))
        print("\n| page | status | kB | ms |\n|---|---:|---:|---:|")
        for url in ["/radionuclide", "/xenon", "/airconc", *[f"/sample/{i}" for i in ids[:12]]]:
            t = time.perf_counter()
            r = client.get(url)
            ms = 1000 * (time.perf_counter() - t)
            print(f"| `{url}` | {r.status_code} | {len(r.content) / 1e3:.0f} | {ms:.0f} |")
        v = airconc_view(store)
        sp = v["speed"]
        print(
            f"\nArrival front as /airconc shows it ({v['nuclide']}, {v['n_rows']} samples, "
            f"{v['n_sites']} sites):"
        )
        print(
            f"- median {sp['median_kmh']:.1f} km/h (quartiles {sp['q25_kmh']:.1f}–"
            f"{sp['q75_kmh']:.1f}), fastest {sp['max_kmh']:.1f} km/h; least-squares line "
            f"{sp['fit_kmh']:.1f} km/h, intercept {sp['fit_intercept_h']:.0f} h, "
            f"r = {sp['fit_r']:.2f}"
        )
        print("\n| site | km | first day | Bq/m³ | km/h |\n|---|---:|---|---:|---:|")
        for p in v["front"]:
            print(f"| {p['location']} | {p['km']} | {p['first']} | {p['conc']} | {p['kmh']} |")
        store.close()


if __name__ == "__main__":
    main()
