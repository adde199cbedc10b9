"""Archive: SDS and generic trees, the header index cache, and window selection."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from obspy import Trace, UTCDateTime

from testban.io import archive as archive_mod
from testban.io.archive import INDEX_NAME, Archive
from testban.io.waveforms import read_waveforms

DAY = UTCDateTime(2020, 1, 31)


def _write_sds(root: Path, net: str, sta: str, cha: str, day: UTCDateTime, rate: float = 1.0):
    """One SDS day file of a ramp (sample value = seconds since ``DAY``)."""
    n = int(86400 * rate)
    t0 = (day - DAY) * rate
    tr = Trace(np.arange(t0, t0 + n, dtype=np.int32))
    tr.stats.update(
        {"network": net, "station": sta, "channel": cha, "starttime": day, "sampling_rate": rate}
    )
    folder = root / f"{day.year}" / net / sta / f"{cha}.D"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{net}.{sta}..{cha}.D.{day.year}.{day.julday:03d}"
    tr.write(str(path), format="MSEED")
    return path


@pytest.fixture
def sds(tmp_path: Path) -> Path:
    """A small SDS tree: 2 stations x 2 channels x 3 days (Jan 30 - Feb 1)."""
    root = tmp_path / "sds"
    for sta in ("AAA", "BBB"):
        for cha in ("BHZ", "BHN"):
            for d in (-1, 0, 1):
                _write_sds(root, "XX", sta, cha, DAY + d * 86400)
    return root


def test_sds_opens_only_days_in_window(sds: Path, tmp_path: Path) -> None:
    arc = Archive(sds, cache_dir=tmp_path / "cache")
    t0, t1 = DAY + 86400 - 100, DAY + 86400 + 100  # across midnight Jan 31 / Feb 1
    files = arc.files(t0, t1, stations="AAA", channels=["BHZ"])
    assert [f.name for f in files] == ["XX.AAA..BHZ.D.2020.031", "XX.AAA..BHZ.D.2020.032"]
    st, problems = arc.select(t0, t1, stations="AAA", channels="BHZ")
    assert problems == []
    assert len(st) == 1 and st[0].id == "XX.AAA..BHZ"
    assert st[0].stats.starttime == t0 and st[0].stats.npts == 201
    np.testing.assert_array_equal(st[0].data, np.arange(86400 - 100, 86400 + 101))


def test_sds_wildcards_and_mid_day(sds: Path, tmp_path: Path) -> None:
    arc = Archive(sds, cache_dir=tmp_path / "cache")
    st, problems = arc.select(DAY + 40000, DAY + 40010, stations="*", channels="BH?")
    assert problems == []
    assert [tr.id for tr in st] == ["XX.AAA..BHN", "XX.AAA..BHZ", "XX.BBB..BHN", "XX.BBB..BHZ"]
    assert len(arc.files(DAY + 40000, DAY + 40010)) == 4


def test_generic_tree_index_and_cache(ims, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESTBAN_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "tree"
    (root / "a" / "b").mkdir(parents=True)
    t = UTCDateTime(2005, 5, 11)
    for i in range(4):  # four 10-minute IMS files, one station
        data = (np.arange(12000) + 12000 * i).astype(np.int32)
        block = ims.Block(data, station="CM01", start=t + 600 * i)
        (root / "a" / f"{i}.ims").write_bytes(ims.message([block]))
    mseed = root / "a" / "b" / "x.mseed"
    tr = Trace(np.arange(100, dtype=np.int32))
    tr.stats.update({"network": "XX", "station": "OTH", "channel": "BHZ", "starttime": t})
    tr.write(str(mseed), format="MSEED")
    (root / "readme.txt").write_text("not waveforms\n")

    arc = Archive(root)
    assert arc.index_path.parent == tmp_path / "cache" / "archive-index"
    files = arc.files(t + 700, t + 1300)
    assert sorted(f.name for f in files) == ["1.ims", "2.ims"]
    doc = json.loads(arc.index_path.read_text())
    assert set(doc["files"]) == {
        "a/0.ims",
        "a/1.ims",
        "a/2.ims",
        "a/3.ims",
        "a/b/x.mseed",
        "readme.txt",
    }
    assert doc["files"]["readme.txt"]["spans"] == []

    st, problems = arc.select(t + 700, t + 1300, stations="CM01")
    # the file that is no waveform file is noted on every use of the index, not only the first
    assert [(Path(p.file).name, p.severity) for p in problems] == [("readme.txt", "info")]
    assert len(st) == 1 and st[0].stats.npts == 600 * 20 + 1
    np.testing.assert_array_equal(st[0].data, np.arange(700 * 20, 1300 * 20 + 1))
    assert len(arc.select(t, t + 100, stations="OTH")[0]) == 1

    # A fresh Archive reuses the cache; only a changed file is read again.
    calls: list[Path] = []
    real = Archive._index_file

    def counting(path: Path):
        calls.append(path)
        return real(path)

    arc2 = Archive(root)
    arc2._index_file = counting  # type: ignore[method-assign]
    arc2.refresh_index()
    assert calls == []
    data = (np.arange(24000) + 36000).astype(np.int32)  # 3.ims now 20 minutes long
    block = ims.Block(data, station="CM01", start=t + 1800)
    (root / "a" / "3.ims").write_bytes(ims.message([block]))
    (root / "a" / "0.ims").unlink()
    assert [f.name for f in arc2.files(t + 2500, t + 2600)] == ["3.ims"]
    assert calls == [root / "a" / "3.ims"]
    assert "a/0.ims" not in json.loads(arc2.index_path.read_text())["files"]
    assert not (root / INDEX_NAME).exists()


def test_select_reads_only_candidates(ims, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = UTCDateTime(2005, 5, 11)
    for i in range(5):
        block = ims.Block(ims.noise(1200), station="CM01", start=t + 60 * i)
        (tmp_path / f"{i}.ims").write_bytes(ims.message([block]))
    opened: list[str] = []
    real = archive_mod.read_file

    def spy(path, **kwargs):
        opened.append(Path(path).name)
        return real(path, **kwargs)

    monkeypatch.setattr(archive_mod, "read_file", spy)
    st, problems = Archive(tmp_path, cache_dir=tmp_path / ".c").select(t + 130, t + 150)
    assert problems == [] and len(st) == 1
    assert opened == ["2.ims"]


def test_missing_root_is_a_problem(tmp_path: Path) -> None:
    st, problems = Archive(tmp_path / "nope", cache_dir=tmp_path).select(DAY, DAY + 10)
    assert len(st) == 0 and len(problems) == 1 and "not a directory" in problems[0].message


def test_damaged_file_in_archive_is_reported(ims, tmp_path: Path) -> None:
    t = UTCDateTime(2005, 5, 11)
    blocks = [ims.Block(ims.noise(600), station=s, start=t) for s in ("S1", "S2")]
    raw = bytearray(ims.message(blocks))
    pos = raw.index(b"DAT2\n") + 20
    raw[pos : pos + 200] = b"#" * 200
    (tmp_path / "d.ims").write_bytes(bytes(raw))
    st, problems = Archive(tmp_path, cache_dir=tmp_path / ".c").select(t, t + 30)
    assert [tr.stats.station for tr in st] == ["S2"]
    assert len(problems) == 1 and problems[0].seed_id == "ABC.S1..SHZ"


@pytest.mark.shared
def test_cmar_window(cmar_dir: Path, tmp_path: Path) -> None:
    arc = Archive(cmar_dir, cache_dir=tmp_path)
    t0, t1 = UTCDateTime(2005, 5, 11, 10, 5), UTCDateTime(2005, 5, 11, 10, 25)
    files = arc.files(t0, t1, stations="CM0?", channels="SHZ")
    assert [f.name for f in files] == [
        "20050511T095948.ims",
        "20050511T100948.ims",
        "20050511T101948.ims",
    ]
    st, problems = arc.select(t0, t1, stations="CM0?", channels="SHZ")
    # only the note that the folder's logfile is no waveform file
    assert [(Path(p.file).name, p.severity) for p in problems] == [("logfile", "info")]
    assert [tr.stats.station for tr in st] == [f"CM0{i}" for i in range(1, 10)]
    ref, _ = read_waveforms(files, starttime=t0, endtime=t1)
    for tr in st:
        assert tr.stats.starttime == t0 and tr.stats.npts == 20 * 1200 + 1
        np.testing.assert_array_equal(tr.data, ref.select(id=tr.id)[0].data)
