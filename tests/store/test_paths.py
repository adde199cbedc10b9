"""wfdisc paths of any length stored without loss (``wfroot``/``wfpath``), on each back-end."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from testban.records.css30 import Wfdisc
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


def test_every_path_is_stored_and_found_again(store: Store) -> None:
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


def test_store_without_the_path_tables_reads_as_before(store: Store) -> None:
    """A store written before ``wfroot``/``wfpath`` existed: absolute ``dir`` rows."""
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
