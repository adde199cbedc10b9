"""Waveform paths of any length reach the event pages: a demo in a deep folder.

How the store keeps such paths is tested in :mod:`tests.store.test_paths`."""

from __future__ import annotations

from pathlib import Path

import pytest

from testban.records.css30 import Arrival, Assoc, Origin, Wfdisc
from testban.store import Store, read_rows
from testban.store.paths import wfdisc_files


def _stored(store: Store) -> tuple[list[Wfdisc], dict[int, Path]]:
    with store.session() as s:
        rows = [r for r in read_rows(s, "wfdisc") if isinstance(r, Wfdisc)]
        return rows, wfdisc_files(s, rows)


def _waveform_origins(store: Store, stations: set[str]) -> dict[int, set[str]]:
    """Origin → the waveform stations among its associated arrivals."""
    with store.session() as s:
        arrivals = {a.arid: a for a in read_rows(s, "arrival") if isinstance(a, Arrival)}
        out: dict[int, set[str]] = {}
        for a in read_rows(s, "assoc"):
            assert isinstance(a, Assoc)
            if arrivals[a.arid].sta in stations:
                out.setdefault(a.orid, set()).add(a.sta)
    return out


@pytest.mark.slow
def test_demo_in_a_deep_folder_has_waveforms_on_its_event_pages(
    tmp_path: Path, monkeypatch
) -> None:
    from fastapi.testclient import TestClient

    from testban.pipeline import run_demo
    from testban.service import create_app
    from testban.service.waveforms import event_waveforms

    monkeypatch.setenv("TESTBAN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path.joinpath(*["a-user-with-a-deep-checkout"] * 5) / "demo-output"
    assert len(str(out / "simulation" / "waveforms")) >= 120
    summary = run_demo(out, seed=3, hours=1.0)
    assert not [p for p in summary.problems if "wfdisc" in p.message]
    assert summary.store is not None
    with Store(summary.store) as store:
        stored, found = _stored(store)
        assert stored and all(f.is_file() for f in found.values())
        wf_stations = {r.sta for r in stored}
        with store.session() as s:
            origins = [o for o in read_rows(s, "origin") if isinstance(o, Origin)]
        seen = _waveform_origins(store, wf_stations | set(summary.waveform_stations))
        assert seen, "no automatic event has an arrival at a station with waveforms"
        for o in origins:
            if o.orid not in seen:
                continue
            plot = event_waveforms(store, o.evid, o.orid)
            assert {t.sta for t in plot.traces} == seen[o.orid], plot.reason()
        with TestClient(create_app(store)) as client:
            evid = next(o.evid for o in origins if o.orid in seen)
            svg = client.get(f"/event/{evid}/waveforms.svg")
            assert svg.status_code == 200 and svg.text.count('class="trace"') >= 1
