"""Waveform paths of any length reach the store and the event pages; none is dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from testban.records.css30 import Arrival, Assoc, Origin, Wfdisc
from testban.store import Store, count_rows, insert_tables, read_rows
from testban.store.paths import DFILE_WIDTH, DIR_WIDTH, store_wfdiscs, wfdisc_files

DEEP = Path("/" + "/".join(["deep-checkout-folder"] * 6))  # 126 characters
assert len(str(DEEP)) >= 120


def _row(file: Path, sta: str = "CM01", chan: str = "SHZ") -> Wfdisc:
    """A row as the pipeline's survey makes it: the file's absolute folder, of any length."""
    return Wfdisc(sta=sta, chan=chan, time=0.0, endtime=600.0, dir=str(file.parent),
                  dfile=file.name)  # fmt: skip


def _stored(store: Store) -> tuple[list[Wfdisc], dict[int, Path]]:
    with store.session() as s:
        rows = [r for r in read_rows(s, "wfdisc") if isinstance(r, Wfdisc)]
        return rows, wfdisc_files(s, rows)


def test_every_path_is_stored_and_found_again(tmp_path: Path) -> None:
    root = DEEP / "archive"
    files = {
        "short": Path("/data/cmar/20050511T095948.ims"),  # fits: absolute, as before
        "deep": root / "2005" / "CMAR" / "20050511T095948.ims",
        "at-root": root / "top.ims",
        "deep-inside": root / ("sub-" * 20) / "a.ims",  # relative folder over 64 characters
        "long-name": root / "x" / ("IM.CMAR.CM01.SHZ.2005.131.long-name" + ".ims"),
        "no-root": DEEP / "elsewhere" / "b.ims",  # under none of the roots given
        "other-root": DEEP / "archive2" / "2005" / "CMAR" / "20050511T095948.ims",
    }
    rows = [_row(f) for f in files.values()] + [_row(files["deep"], chan="SHN")]
    store = Store(tmp_path / "s.sqlite")
    with store.session() as s:
        written = store_wfdiscs(s, rows, [root, DEEP / "archive2"])
    assert written == len(rows) == 8

    stored, found = _stored(store)
    assert sorted(str(found[r.wfid]) for r in stored) == sorted(
        map(str, [*files.values(), files["deep"]])
    )
    assert all(len(r.dir) <= DIR_WIDTH and len(r.dfile) <= DFILE_WIDTH for r in stored)
    by_file = {found[r.wfid]: r for r in stored}
    assert by_file[files["short"]].dir == "/data/cmar"  # CSS3.0 tools read it as is
    assert by_file[files["deep"]].dir == "2005/CMAR"  # relative to the archive root
    assert by_file[files["at-root"]].dir == "."
    assert by_file[files["deep-inside"]].dir == "."  # its folder became its root
    assert by_file[files["long-name"]].dfile == files["long-name"].name[:DFILE_WIDTH]
    with store.session() as s:
        assert count_rows(s, "wfdisc") == 8
        roots = s.execute(sa.text("SELECT path FROM wfroot")).scalars().all()
    assert sorted(roots) == sorted(
        map(str, [root, DEEP / "archive2", files["deep-inside"].parent, files["no-root"].parent])
    )

    # The same files again (another run over the archive): nothing new, nothing lost.
    with store.session() as s:
        assert store_wfdiscs(s, rows, [root, DEEP / "archive2"]) == 0
        assert count_rows(s, "wfdisc") == 8


def test_store_without_the_path_tables_reads_as_before(tmp_path: Path) -> None:
    """A store written before ``wfroot``/``wfpath`` existed: absolute ``dir`` rows."""
    store = Store(tmp_path / "old.sqlite")
    rows = [Wfdisc(sta="CM01", chan="SHZ", wfid=7, dir="/data/cmar", dfile="a.ims"),
            Wfdisc(sta="CM02", chan="SHZ", wfid=8, dir="-", dfile="b.ims")]  # fmt: skip
    with store.session() as s:
        insert_tables(s, {"wfdisc": rows})
    with store.session() as s:
        assert wfdisc_files(s, rows) == {7: Path("/data/cmar/a.ims"), 8: Path("b.ims")}
        assert not sa.inspect(s.connection()).has_table("wfpath")  # reading creates nothing
        # a later run adds rooted rows next to the old ones
        assert store_wfdiscs(s, [_row(DEEP / "c.ims")], [DEEP]) == 1
    stored, found = _stored(store)
    assert sorted(map(str, found.values())) == sorted(
        ["/data/cmar/a.ims", "b.ims", f"{DEEP}/c.ims"]
    )


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
