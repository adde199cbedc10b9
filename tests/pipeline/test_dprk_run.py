"""The DPRK tests from raw regional waveforms through `testban run` (issues 11 and 12).

Goals, per source (the issue's figures, not the measured ones): one automatic event within
10 km and 2 s of the reference, its depth fixed at or resolved within 0–5 km; no test
screened out, and every "not assessed" row saying what was missing. Sources whose goal is
not met yet are strict xfails with the measured figure (BENCHMARKS.md, "DPRK 7/7 and
window boundaries").
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from obspy import UTCDateTime, read

from testban.network import read_network
from testban.pipeline.config import RunConfig
from testban.pipeline.run import run_pipeline, sources_from_paths
from testban.records.earth import KM_PER_DEG
from testban.store import load_bulletin, open_store, read_rows
from testban.traveltime import distance_azimuth
from tests.conftest import SHARED_DATA, shared_path

pytestmark = [pytest.mark.shared, pytest.mark.slow]

SITE = (41.30, 129.07)
#: Test → (folder, reference origin time); epicentres from Yang et al. for DPRK1–5.
FOLDERS = {
    "DPRK1": "20061009013528000", "DPRK2": "20090525005443000", "DPRK3": "20130212025751000",
    "DPRK4": "20160106013000000", "DPRK5": "20160909003001000", "DPRK6": "20170903033001000",
    "collapse": "20170903033831000",
}  # fmt: skip
TIMES = {"DPRK6": "2017-09-03T03:30:01.6", "collapse": "2017-09-03T03:38:31.0"}
GOAL_KM, GOAL_S, GOAL_DEPTH = 10.0, 2.0, 5.0
#: Measured 2026-12-08 (bench/run_dprk.py): why these do not meet the goal yet.
NOT_YET = {
    "DPRK1": "no event: scores 18.7 < min_score 20 (INU P, INCN Lg just under the detector)",
    "DPRK2": "20.1 km off: ERM P picked 5.3 s late at SNR 3.7",
    "collapse": "no event: only MDJ P detected (Lg 2.5–2.8 < 3.0)",
}


def _references() -> dict[str, tuple[float, float, float]]:
    yang = SHARED_DATA / "relative_location" / "DPRK_dataset" / "Yang_etal_initial_locations.txt"
    ref = {}
    for line in yang.read_text().splitlines():
        t, lat, lon, ev = line.split()[:4]
        ref[ev] = (float(lat), float(lon), UTCDateTime(t).timestamp)
    for ev, t in TIMES.items():
        ref[ev] = (*SITE, UTCDateTime(t).timestamp)
    return ref


def _stations(tmp: Path) -> Path:
    rows = {}
    for f in sorted((SHARED_DATA / "dprk_regional").glob("*/*.sac")):
        sta = f.name.split(".")[2]
        if sta not in rows:
            h = read(str(f), headonly=True)[0].stats.sac
            rows[sta] = (h.stla, h.stlo)
    path = tmp / "stations.csv"
    path.write_text(
        "sta,lat,lon,elev\n" + "".join(f"{s},{a},{b},0\n" for s, (a, b) in rows.items())
    )
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Each folder through the whole chain (response-removed metres: ``--units m``)."""
    shared_path("dprk_regional")
    tmp = tmp_path_factory.mktemp("dprk")
    network, _ = read_network(_stations(tmp))
    cfg = RunConfig()
    cfg = dataclasses.replace(
        cfg, detect=dataclasses.replace(cfg.detect, assume_units="m"),
        surface=dataclasses.replace(cfg.surface, assume_units="m"),
    )  # fmt: skip
    out = {}
    for name, folder in FOLDERS.items():
        with open_store(tmp / f"{name}.sqlite") as store:
            path = SHARED_DATA / "dprk_regional" / folder
            run_pipeline(sources_from_paths([path]), network, store, config=cfg)
            with store.session() as s:
                origins = read_rows(s, "origin")
                out[name] = {"origins": origins, "bulletin": load_bulletin(s)}
    return out


def _matching(run: dict, ref: tuple[float, float, float]) -> list:
    lat, lon, t = ref
    hits = []
    for o in run["origins"]:
        km = float(distance_azimuth(o.lat, o.lon, lat, lon)[0]) * KM_PER_DEG
        if km < 50.0 and abs(o.time - t) < 10.0:
            hits.append((km, o))
    return hits


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=NOT_YET[n])) if n in NOT_YET
     else n for n in FOLDERS],
)  # fmt: skip
def test_one_event_per_source_within_the_goal(runs, name):
    hits = _matching(runs[name], _references()[name])
    assert len(hits) == 1, f"{len(hits)} automatic events for {name}"
    km, o = hits[0]
    t = _references()[name][2]
    assert km <= GOAL_KM and abs(o.time - t) <= GOAL_S
    assert o.dtype in ("r", "g", "f", "d") and -0.01 <= o.depth <= GOAL_DEPTH


def test_no_test_screened_out_and_every_not_assessed_says_why(runs):
    screened = 0
    for name, run in runs.items():
        rows = run["bulletin"].get("screen", [])
        for r in rows:
            assert r.outcome in ("screened out", "not screened out", "not assessed")
            if r.outcome == "not assessed":
                assert len(r.reason) > 10, f"{name}: {r.criterion} not assessed without a reason"
        if name != "collapse":
            screened += any(r.outcome == "screened out" for r in rows)
    assert screened == 0
    # the tests that formed carry their regional P/S, on the explosion side
    ps = [r for run in runs.values() for r in run["bulletin"].get("screen", [])
          if r.criterion == "ps" and r.value > -999]  # fmt: skip
    assert ps and all(r.value > 0 or not math.isfinite(r.value) for r in ps)
