"""read_waveforms: format dispatch, problems instead of exceptions, joining and gaps."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import obspy
import pytest
from obspy import Stream, Trace, UTCDateTime

from testban.io import waveforms
from testban.io.css30 import write_flat
from testban.io.waveforms import find_gaps, join_traces, read_file, read_waveforms, read_wfdisc
from testban.records import Wfdisc

T0 = UTCDateTime(2005, 5, 11)


def _trace(data: np.ndarray, start: UTCDateTime = T0, sta: str = "AAA", rate: float = 20.0):
    """A trace with a fixed id."""
    tr = Trace(data=np.asarray(data))
    tr.stats.network, tr.stats.station, tr.stats.channel = "XX", sta, "BHZ"
    tr.stats.starttime, tr.stats.sampling_rate = start, rate
    return tr


def _ims_files(ims, tmp_path: Path, data: np.ndarray, starts: list[int], length: int) -> None:
    """Write one IMS2.0 file per start index, each holding ``data[start:start+length]``."""
    for i, s in enumerate(starts):
        block = ims.Block(data[s : s + length], station="CM01", start=T0 + s / 20.0)
        (tmp_path / f"f{i:02d}.ims").write_bytes(ims.message([block]))


def test_obspy_formats_and_directory_walk(tmp_path: Path) -> None:
    data = np.arange(200, dtype=np.int32)
    _trace(data).write(str(tmp_path / "a.mseed"), format="MSEED")
    sub = tmp_path / "sub"
    sub.mkdir()
    _trace(data.astype(np.float32), sta="BBB").write(str(sub / "b.sac"), format="SAC")
    (tmp_path / ".hidden").write_text("not data")
    st, problems = read_waveforms(tmp_path)
    assert problems == []
    assert [tr.id for tr in st] == ["XX.AAA..BHZ", "XX.BBB..BHZ"]
    np.testing.assert_array_equal(st[0].data, data)


def test_explicit_unknown_file_is_an_error_walked_one_is_counted(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "more.txt").write_text("hello again\n")
    st, problems = read_waveforms(tmp_path / "notes.txt")
    assert len(st) == 0 and len(problems) == 1 and problems[0].severity == "error"
    st, problems = read_waveforms(tmp_path)
    assert len(problems) == 1 and problems[0].severity == "warning"
    assert "skipped 2 files of unknown format" in problems[0].message


def test_corrupt_and_missing_files_never_raise(tmp_path: Path) -> None:
    good = tmp_path / "good.mseed"
    _trace(np.arange(5000, dtype=np.int32)).write(str(good), format="MSEED", reclen=512)
    bad = tmp_path / "bad.mseed"
    raw = bytearray(good.read_bytes())
    raw[600:1100] = bytes(range(256)) + bytes(244)  # wreck the second record
    bad.write_bytes(bytes(raw[:1500]))
    st, problems = read_waveforms([bad, tmp_path / "missing.mseed", good])
    assert any(p.file.endswith("missing.mseed") for p in problems)
    assert any(tr.stats.npts == 5000 for tr in st)


def test_damaged_ims_through_read_waveforms(ims, tmp_path: Path) -> None:
    blocks = [ims.Block(ims.noise(1000), station=f"S{i}") for i in range(3)]
    raw = bytearray(ims.message(blocks))
    pos = raw.index(b"DAT2\n", raw.index(b"S1")) + 50
    raw[pos : pos + 200] = b"#" * 200
    path = tmp_path / "x.ims"
    path.write_bytes(bytes(raw))
    st, problems = read_waveforms(path)
    assert [tr.stats.station for tr in st] == ["S0", "S2"]
    assert len(problems) == 1 and problems[0].seed_id == "ABC.S1..SHZ"


def test_overlapping_files_join_without_duplicates(ims, tmp_path: Path) -> None:
    data = ims.noise(3000)
    # 10 files of 324 samples every 300 samples: 24-sample overlaps, like CMAR.
    _ims_files(ims, tmp_path, data, list(range(0, 2700, 300)), 324)
    st, problems = read_waveforms(tmp_path)
    assert problems == []
    assert len(st) == 1
    np.testing.assert_array_equal(st[0].data, data[: 2700 + 24])
    assert find_gaps(st) == []


def test_disagreeing_overlap_is_reported(ims, tmp_path: Path) -> None:
    data = ims.noise(1000)
    _ims_files(ims, tmp_path, data, [0], 524)
    changed = data.copy()
    changed[510] += 7
    block = ims.Block(changed[500:1000], station="CM01", start=T0 + 500 / 20.0)
    (tmp_path / "g.ims").write_bytes(ims.message([block]))
    st, problems = read_waveforms(tmp_path)
    assert len(st) == 1 and st[0].stats.npts == 1000
    assert st[0].data[510] == data[510]  # earlier data kept
    assert len(problems) == 1 and problems[0].severity == "warning"
    assert "disagrees in 1 samples" in problems[0].message
    assert problems[0].file.endswith("g.ims") and problems[0].seed_id == "ABC.CM01..SHZ"


def test_gap_is_kept_and_reported(ims, tmp_path: Path) -> None:
    data = ims.noise(1000)
    _ims_files(ims, tmp_path, data, [0, 600], 400)
    st, problems = read_waveforms(tmp_path)
    assert len(st) == 2
    gaps = find_gaps(st)
    assert len(gaps) == 1
    assert gaps[0].start == T0 + 400 / 20.0 and gaps[0].end == T0 + 600 / 20.0
    assert gaps[0].samples == 200
    assert len(problems) == 1 and "gap from" in problems[0].message
    assert str(T0 + 20.0) in problems[0].message and str(T0 + 30.0) in problems[0].message


def test_join_traces_in_memory() -> None:
    a = _trace(np.arange(100))
    b = _trace(np.arange(90, 200), start=T0 + 90 / 20.0)
    c = _trace(np.arange(10, 20), start=T0 + 10 / 20.0)  # wholly inside a
    d = _trace(np.arange(200, 300), start=T0 + 200 / 20.0 + 0.4 / 20.0)  # off grid
    st, problems = join_traces(Stream([b, d, a, c]))
    assert len(st) == 2
    np.testing.assert_array_equal(st[0].data, np.arange(200))
    assert len(problems) == 1 and "off the sample grid" in problems[0].message


def test_window(tmp_path: Path) -> None:
    _trace(np.arange(2000, dtype=np.int32)).write(str(tmp_path / "a.mseed"), format="MSEED")
    st, problems = read_waveforms(tmp_path, starttime=T0 + 10, endtime=T0 + 20)
    assert problems == []
    assert st[0].stats.starttime == T0 + 10 and st[0].stats.npts == 201
    assert st[0].data[0] == 200


def test_warning_storm_is_collapsed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "w.mseed"
    _trace(np.arange(10, dtype=np.int32)).write(str(path), format="MSEED")
    real_read = obspy.read

    def noisy_read(*args, **kwargs):
        for _ in range(500):
            warnings.warn("Checksum differs only in absolute value. bla", UserWarning, stacklevel=1)
            warnings.warn("something odd", UserWarning, stacklevel=1)
        return real_read(*args, **kwargs)

    monkeypatch.setattr(waveforms.obspy, "read", noisy_read)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        st, problems = read_file(path)
    assert caught == []
    assert len(st) == 1
    assert len(problems) == 1 and problems[0].severity == "warning"
    assert "something odd" in problems[0].message


def test_wfdisc_fallback(tmp_path: Path) -> None:
    data = np.arange(-50, 50, dtype=">i4")
    (tmp_path / "STA0.w").write_bytes(b"\0" * 16 + data.tobytes())
    row = Wfdisc(
        sta="STA", chan="BHZ", time=1274313600.019, wfid=64587195, chanid=4162, jdate=2010140,
        endtime=1274313602.494, nsamp=100, samprate=40.0, calib=0.0633, calper=1.0,
        instype="STS-2", segtype="o", datatype="s4", dir="elsewhere/", dfile="STA0.w", foff=16,
        lddate="20150408 12:00:00",
    )  # fmt: skip
    missing = dataclasses.replace(row, sta="OTH", dfile="GONE.w")
    # The IDC's 285-character wide-id rows, which ObsPy's CSS reader rejects.
    table = write_flat([row, missing], tmp_path / "wfdisc.txt", layout="idc", table="wfdisc")
    st, problems = read_waveforms(table)
    assert len(st) == 1 and st[0].id == ".STA..BHZ" and st[0].stats.sampling_rate == 40.0
    np.testing.assert_array_equal(st[0].data, np.arange(-50, 50))
    assert len(problems) == 1 and "GONE.w not found: 1 rows skipped" in problems[0].message
    head, _ = read_wfdisc(table, headonly=True)
    assert head[0].stats.npts == 100


# --- real data ------------------------------------------------------------------------------


@pytest.mark.shared
def test_cmar_day_joins_without_duplicates(cmar_dir: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        st, problems = read_waveforms(cmar_dir)
    assert caught == []
    # The only problem: the folder's text logfile is not a waveform file.
    assert [p.message for p in problems] == ["skipped 1 files of unknown format: logfile"]
    assert len(st) == 36  # 18 SHZ + CM31 BH[ENZ] + CM32-36 L[ENZ], one trace each
    start, end = UTCDateTime(2005, 5, 10, 23, 59, 48), UTCDateTime(2005, 5, 12, 0, 10, 12)
    for tr in st:
        sr = tr.stats.sampling_rate
        assert tr.stats.starttime == start
        assert tr.stats.npts == round((end - start) * sr)
        assert tr.stats.npts == round((tr.stats.endtime - tr.stats.starttime) * sr) + 1
    assert find_gaps(st) == []


@pytest.mark.shared
def test_mlr_wfdisc_with_wide_rows(shared_data: Path) -> None:
    folder = shared_data / "continuous" / "mlr_20100520"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    st, problems = read_waveforms(folder / "wfdisc_gms_s4.txt")
    assert sorted({tr.id for tr in st}) == [".MLR..BHE", ".MLR..BHN", ".MLR..BHZ"]
    assert sum(tr.stats.npts for tr in st) == 3 * (6000 + 800 + 49200)
    assert sum("not found" in p.message for p in problems) == 3  # DAVOX0, SIV0, WRA0 absent
