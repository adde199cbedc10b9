"""The archive index lives in the user's cache, never in the input folders it describes."""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from obspy import UTCDateTime

from testban.io.archive import INDEX_NAME, Archive
from tests.snapshot import snapshot

T = UTCDateTime(2005, 5, 11)


def _tree(ims, root: Path, n: int = 3) -> Path:
    """``n`` ten-minute IMS2.0 files of one station in ``root/a``, plus a stale index file
    of an older version (in the root and in the sub-folder) naming a file that is not there."""
    (root / "a").mkdir(parents=True)
    for i in range(n):
        data = (np.arange(12000) + 12000 * i).astype(np.int32)
        block = ims.Block(data, station="CM01", start=T + 600 * i)
        (root / "a" / f"{i}.ims").write_bytes(ims.message([block]))
    stale = {"version": 1, "root": str(root.resolve()),
             "files": {"ghost.ims": {"mtime_ns": 0, "size": 0, "spans": [["X.GHOST..SHZ", 0, 2e9]],
                                     "error": None}}}  # fmt: skip
    (root / INDEX_NAME).write_text(json.dumps(stale))
    (root / "a" / INDEX_NAME).write_text("{not json")
    return root


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's cache folder, in ``tmp_path``."""
    folder = tmp_path / "user-cache"
    monkeypatch.setenv("TESTBAN_CACHE_DIR", str(folder))
    return folder


def test_writable_input_is_left_untouched(ims, tmp_path: Path, cache: Path) -> None:
    root = _tree(ims, tmp_path / "in")
    before = snapshot(root)
    arc = Archive(root)
    st, problems = arc.select(T + 700, T + 1300)
    assert problems == [] and [tr.id for tr in st] == ["ABC.CM01..SHZ"]
    assert arc.contents() and Archive(root).files(T, T + 1800)  # a second, warm archive
    assert snapshot(root) == before
    assert arc.index_path.is_relative_to(cache) and arc.index_path.is_file()
    # the old index files are neither data, nor listed, nor deleted
    assert sorted(p.name for p, *_ in arc.contents()) == ["0.ims", "1.ims", "2.ims"]
    assert arc.files(T - 1e8, T + 1e9, stations="GHOST") == []
    assert set(json.loads(arc.index_path.read_text())["files"]) == {"a/0.ims", "a/1.ims", "a/2.ims"}


def test_read_only_input(ims, tmp_path: Path, cache: Path) -> None:
    root = _tree(ims, tmp_path / "in")
    modes = {p: p.stat().st_mode for p in [root, *root.rglob("*")]}
    for p in modes:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        if os.access(root, os.W_OK):
            pytest.skip("chmod does not make folders read-only for this user (root)")
        before = snapshot(root)
        st, problems = Archive(root).select(T + 700, T + 1300)
        assert problems == [] and len(st) == 1 and st[0].stats.npts == 600 * 20 + 1
        assert snapshot(root) == before
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def test_changed_file_is_indexed_again(ims, tmp_path: Path, cache: Path) -> None:
    root = _tree(ims, tmp_path / "in")
    Archive(root).refresh_index()
    arc = Archive(root)
    calls: list[str] = []
    real = Archive._index_file

    def counting(path: Path):
        calls.append(path.name)
        return real(path)

    arc._index_file = counting  # type: ignore[method-assign]
    assert arc.refresh_index() == [] and calls == []  # all from the cache
    # 1.ims now holds another station, same size: only its mtime tells
    path = root / "a" / "1.ims"
    size, mtime = path.stat().st_size, path.stat().st_mtime_ns
    block = ims.Block((np.arange(12000) + 12000).astype(np.int32), station="CM02", start=T + 600)
    path.write_bytes(ims.message([block]))
    os.utime(path, ns=(mtime + 1_000_000_000, mtime + 1_000_000_000))
    assert path.stat().st_size == size
    assert [p.name for p in arc.files(T + 700, T + 800, stations="CM02")] == ["1.ims"]
    assert calls == ["1.ims"]
    assert [p.name for p in Archive(root).files(T + 700, T + 800, stations="CM01")] == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # torn write
        lambda text: "",
        lambda text: "[1, 2, 3]",
        lambda text: "\x00\xff garbage",
        lambda text: text.replace('"spans":[[', '"spans":[[7,'),  # wrong shape
        lambda text: text.replace('"root":"', '"root":"/elsewhere'),  # another root's
    ],
    ids=["torn", "empty", "not-an-object", "not-json", "wrong-shape", "another-root"],
)
def test_corrupt_cache_is_rebuilt(ims, tmp_path: Path, cache: Path, damage) -> None:
    root = _tree(ims, tmp_path / "in")
    first = Archive(root)
    first.refresh_index()
    good = first.index_path.read_text()
    first.index_path.write_text(damage(good), errors="surrogateescape")
    arc = Archive(root)
    st, problems = arc.select(T + 700, T + 1300)
    assert problems == [] and len(st) == 1 and st[0].stats.npts == 600 * 20 + 1
    assert json.loads(arc.index_path.read_text()) == json.loads(good)


def test_index_of_another_root_is_not_used(ims, tmp_path: Path, cache: Path) -> None:
    a, b = _tree(ims, tmp_path / "a"), tmp_path / "b"
    (b / "x").mkdir(parents=True)
    arc_a, arc_b = Archive(a), Archive(b)
    assert arc_a.index_path != arc_b.index_path
    arc_a.refresh_index()
    arc_b.index_path.write_text(arc_a.index_path.read_text())  # as if the names collided
    assert arc_b.contents() == [] and arc_b.files(T, T + 1800) == []


def test_unwritable_cache_keeps_the_index_in_memory(ims, tmp_path: Path) -> None:
    root = _tree(ims, tmp_path / "in")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be\n")
    before = snapshot(root)
    arc = Archive(root, cache_dir=blocker / "cache")
    st, problems = arc.select(T + 700, T + 1300)
    assert problems == [] and len(st) == 1
    again = Archive(root, cache_dir=blocker / "cache")  # same process: from memory
    again._index_file = lambda path: pytest.fail(f"{path} indexed again")  # type: ignore[method-assign]
    assert len(again.files(T + 700, T + 1300)) == 2
    assert snapshot(root) == before and not list(tmp_path.glob("**/*.tmp"))


def _index_in_child(root: str, cache_dir: str) -> int:
    """Index ``root`` from a fresh process; the number of files found."""
    return len({p for p, *_ in Archive(root, cache_dir=cache_dir).contents()})


def test_two_processes_indexing_at_once(ims, tmp_path: Path) -> None:
    root = _tree(ims, tmp_path / "in", n=6)
    cache_dir = tmp_path / "c"
    with ProcessPoolExecutor(4) as pool:
        for _ in range(3):
            for p in cache_dir.glob("*"):
                p.unlink()
            counts = list(pool.map(_index_in_child, [str(root)] * 8, [str(cache_dir)] * 8))
            assert counts == [6] * 8
            (index,) = cache_dir.glob("*")  # one whole index, no temporary file left
            assert len(json.loads(index.read_text())["files"]) == 6


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_CACHE_HOME is a Linux convention")
def test_default_is_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TESTBAN_CACHE_DIR", "TESTBAN_CACHE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert Archive(tmp_path).index_path.parent == tmp_path / "xdg" / "testban" / "archive-index"


def test_cached_index_keeps_each_files_block_problems(ims, tmp_path: Path, cache: Path) -> None:
    """A damaged block found while indexing is named again by a later, warm archive (the
    index keeps per-file problems, not only a whole-file error)."""
    root = _tree(ims, tmp_path / "in", n=2)
    good = ims.Block(np.arange(1200, dtype=np.int32), station="CM02", start=T)
    text = ims.message([good]).decode()
    line = next(ln for ln in text.splitlines() if ln.startswith("WID2"))
    (root / "a" / "bad.ims").write_text(text.replace(line, "WID2 99999999999" + line[9:]))
    first = Archive(root).refresh_index()
    named = [p for p in first if p.file.endswith("bad.ims")]
    assert named and all(p.record for p in named), first
    warm = Archive(root)
    warm._index_file = lambda path: pytest.fail(f"{path} indexed again")  # type: ignore[method-assign]
    assert warm.refresh_index() == first
    st, problems = warm.select(T, T + 1300)
    assert set(named) <= set(problems) and [tr.id for tr in st] == ["ABC.CM01..SHZ"]
    entry = json.loads(warm.index_path.read_text())["files"]["a/bad.ims"]
    assert [p[1] for p in entry["problems"]] == [p.message for p in named]
