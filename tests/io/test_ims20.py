"""IMS2.0 reader: synthetic messages (always run) and the CMAR day (``shared`` marker)."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import obspy
import pytest
from obspy import UTCDateTime

from testban.io.ims20 import (
    checksum,
    checksum_matches,
    is_ims20,
    parse_ims20,
    parse_wid2,
    read_ims20,
    scan_ims20_headers,
)

T0 = UTCDateTime(2005, 5, 11, 10, 0, 0)


def _blocks(ims, n: int = 3, npts: int = 500) -> list:
    """``n`` blocks of different stations with random data."""
    return [
        ims.Block(ims.noise(npts), station=f"ST{i:02d}", start=T0, network="ARR") for i in range(n)
    ]


def _wid2_lines(raw: bytes) -> list[int]:
    """1-based line numbers of the block header lines of a message."""
    return [i for i, ln in enumerate(raw.split(b"\n"), start=1) if ln.startswith(b"WID2 ")]


# --- synthetic messages -----------------------------------------------------------------


def test_reads_blocks_and_stats(ims, tmp_path: Path) -> None:
    blocks = _blocks(ims)
    path = tmp_path / "msg.ims"
    path.write_bytes(ims.message(blocks))
    st, problems = read_ims20(path)
    assert problems == []
    assert len(st) == 3
    for tr, b in zip(st, blocks, strict=True):
        np.testing.assert_array_equal(tr.data, b.data)
        assert tr.data.dtype == np.int32
        assert tr.id == f"ARR.{b.station}..SHZ"
        assert tr.stats.sampling_rate == 20.0
        assert tr.stats.starttime == T0
        assert tr.stats.calib == pytest.approx(5e-3)
        assert tr.stats.ims20.calper == 1.0
        assert tr.stats.ims20.lat == pytest.approx(18.4205)
        assert tr.stats.ims20.coordsys == "WGS-84"
        assert tr.stats.ims20.hang == -1.0


def test_fractional_start_and_no_sta2(ims) -> None:
    start = UTCDateTime(2005, 5, 11, 23, 59, 48.125)
    raw = ims.message([ims.Block(ims.noise(10), network=None, start=start)])
    st, problems = parse_ims20(raw, "x")
    assert problems == [] and st[0].stats.starttime == start
    assert st[0].stats.network == "" and st[0].stats.ims20.lat is None


def test_int_datatype(ims) -> None:
    data = np.array([1873, 1734, -290, -1300, 0, 2**31 - 1, -(2**31)], dtype=np.int32)
    st, problems = parse_ims20(ims.message([ims.Block(data, datatype="INT")]), "x")
    assert problems == []
    np.testing.assert_array_equal(st[0].data, data)


def test_unsupported_datatype_is_skipped(ims) -> None:
    blocks = _blocks(ims)
    blocks[1].datatype = "CM8"
    st, problems = parse_ims20(ims.message(blocks), "m")
    assert [tr.stats.station for tr in st] == ["ST00", "ST02"]
    assert len(problems) == 1 and "unsupported data type 'CM8'" in problems[0].message


def test_envelope_and_non_waveform_sections(ims, tmp_path: Path) -> None:
    blocks = _blocks(ims, 2)
    raw = ims.message(blocks, envelope=True).decode()
    # A non-waveform section before STOP, holding a line that looks like a header.
    fake = ims.message([ims.Block(ims.noise(5), station="FAKE")]).decode()
    raw = raw.replace("STOP\n", "DATA_TYPE LOG\nsome free text\n" + fake + "STOP\n")
    path = tmp_path / "env.msg"
    path.write_text(raw)
    assert is_ims20(path)
    st, problems = read_ims20(path)
    assert problems == []
    assert [tr.stats.station for tr in st] == ["ST00", "ST01"]


def test_checksum_both_sign_conventions(ims) -> None:
    data = np.array([-5, -10, 3], dtype=np.int32)  # sum -12
    assert checksum(data) == 100_000_000 - 12
    assert checksum_matches(data, 12) and checksum_matches(data, 99_999_988)
    assert not checksum_matches(data, 13)
    for chk in (12, 99_999_988):
        st, problems = parse_ims20(ims.message([ims.Block(data, chk2=chk)]), "x")
        assert problems == [] and len(st) == 1


def test_checksum_matches_c_reference(ims, rng: np.random.Generator) -> None:
    for _ in range(20):
        data = rng.integers(-(2**31), 2**31, size=300, dtype=np.int64).astype(np.int32)
        assert checksum_matches(data, ims.checksum(data))


def test_bad_checksum_is_reported(ims) -> None:
    blocks = _blocks(ims)
    blocks[1].chk2 = (ims.checksum(blocks[1].data) + 1) % 100_000_000
    raw = ims.message(blocks)
    st, problems = parse_ims20(raw, "m.ims")
    assert len(st) == 2 and len(problems) == 1
    p = problems[0]
    assert "checksum" in p.message and p.seed_id == "ARR.ST01..SHZ"
    assert p.record == f"line {_wid2_lines(raw)[1]}" and p.file == "m.ims"
    assert p.severity == "error"


def test_wrong_nsamp_is_reported(ims) -> None:
    blocks = _blocks(ims)
    blocks[0].nsamp = 499
    st, problems = parse_ims20(ims.message(blocks), "m")
    assert len(st) == 2 and len(problems) == 1
    assert "500 samples decoded, WID2 says 499" in problems[0].message


def test_missing_chk2_then_next_block_read(ims) -> None:
    blocks = _blocks(ims)
    raw = ims.message(blocks).decode()
    raw = re.sub(r"CHK2 \d+ *\n(WID2 [^\n]*ST01)", r"\1", raw)
    st, problems = parse_ims20(raw.encode(), "m")
    assert [tr.stats.station for tr in st] == ["ST01", "ST02"]
    assert len(problems) == 1 and "no CHK2" in problems[0].message
    assert problems[0].seed_id == "ARR.ST00..SHZ"


def test_damage_across_blocks_reports_the_lost_header(ims) -> None:
    blocks = _blocks(ims)
    raw = bytearray(ims.message(blocks))
    pos = raw.index(b"WID2 ", 10) - 30  # end of block 0 payload, its CHK2, block 1 WID2
    raw[pos : pos + 60] = b"#" * 60
    st, problems = parse_ims20(bytes(raw), "m")
    assert [tr.stats.station for tr in st] == ["ST02"]
    assert {p.seed_id for p in problems} == {"ARR.ST00..SHZ"}
    assert any("following block header is damaged" in p.message for p in problems)
    assert all(p.severity == "error" for p in problems)


def test_truncated_file_keeps_earlier_blocks(ims, tmp_path: Path) -> None:
    raw = ims.message(_blocks(ims))
    path = tmp_path / "cut.ims"
    path.write_bytes(raw[: len(raw) - 500])  # cuts into the last payload
    st, problems = read_ims20(path)
    assert [tr.stats.station for tr in st] == ["ST00", "ST01"]
    assert len(problems) == 1 and problems[0].seed_id == "ARR.ST02..SHZ"
    assert problems[0].record == f"line {_wid2_lines(raw)[2]}"


def test_damaged_payload_synthetic(ims, tmp_path: Path) -> None:
    blocks = _blocks(ims, 4, npts=2000)
    raw = bytearray(ims.message(blocks))
    dat2 = [m.end() for m in re.finditer(rb"^DAT2\n", raw, re.M)]
    pos = dat2[2] + 100
    raw[pos : pos + 200] = b"#" * 200
    path = tmp_path / "damaged.ims"
    path.write_bytes(bytes(raw))
    st, problems = read_ims20(path)
    assert [tr.stats.station for tr in st] == ["ST00", "ST01", "ST03"]
    for tr, b in zip(st, [blocks[0], blocks[1], blocks[3]], strict=True):
        np.testing.assert_array_equal(tr.data, b.data)
    assert len(problems) == 1
    p = problems[0]
    assert p.file == str(path) and p.seed_id == "ARR.ST02..SHZ"
    assert p.record == f"line {_wid2_lines(bytes(raw))[2]}"
    damaged_line = raw[:pos].count(b"\n") + 1
    assert f"invalid CM6 character '#' at line {damaged_line}" in p.message


def test_wid2_inside_data_is_data(ims) -> None:
    # Second differences [84, 15, 4] encode as "WID2": once mid-line, once at a line start.
    d2 = [0] * 30 + [84, 15, 4] + [0] * 46 + [84, 15, 4] + [0] * 10
    first = np.cumsum(d2)
    data = np.cumsum(first).astype(np.int32)
    text = ims.encode(data)
    assert "+WID2+" in text and "\nWID2+" in text
    raw = ims.message([ims.Block(data), ims.Block(data, station="NEXT")])
    st, problems = parse_ims20(raw, "m")
    assert problems == [] and len(st) == 2
    np.testing.assert_array_equal(st[0].data, data)


def test_garbage_header_is_reported(ims) -> None:
    raw = ims.message(_blocks(ims)).decode()
    raw = raw.replace("WID2 2005/05/11", "WID2 2005/xx/11", 1)
    st, problems = parse_ims20(raw.encode(), "m")
    assert len(st) == 2 and len(problems) == 1 and "WID2" in problems[0].message


def test_window_skips_blocks_without_decoding(ims) -> None:
    blocks = _blocks(ims, 2)
    blocks[1].start = T0 + 3600
    blocks[1].chk2 = 1  # would be a problem if it were decoded
    st, problems = parse_ims20(ims.message(blocks), "m", endtime=T0 + 60)
    assert problems == [] and len(st) == 1


def test_keep_filter(ims) -> None:
    st, problems = parse_ims20(ims.message(_blocks(ims)), "m", keep=lambda s: "ST01" in s)
    assert problems == [] and [tr.stats.station for tr in st] == ["ST01"]


def test_scan_headers_decodes_nothing(ims, tmp_path: Path) -> None:
    blocks = _blocks(ims, 2)
    raw = bytearray(ims.message(blocks))
    raw[raw.index(b"DAT2\n") + 10] = ord("#")
    path = tmp_path / "h.ims"
    path.write_bytes(bytes(raw))
    spans, problems = scan_ims20_headers(path)
    assert problems == []
    assert spans == [
        ("ARR.ST00..SHZ", T0, T0 + 499 / 20.0),
        ("ARR.ST01..SHZ", T0, T0 + 499 / 20.0),
    ]


def test_parse_wid2_free_format() -> None:
    hdr = parse_wid2(
        "WID2 1994/03/10 12:13:14.800 BLA SHZ CM6 32490 40.0 1.30e-02 2.0 GS-13 -1.0 0.0"
    )
    assert hdr.station == "BLA" and hdr.nsamp == 32490 and hdr.sampling_rate == 40.0
    assert hdr.starttime == UTCDateTime(1994, 3, 10, 12, 13, 14.8)
    assert hdr.instype == "GS-13"


def test_is_ims20_sniffing(ims, tmp_path: Path) -> None:
    bare = tmp_path / "a.gse"
    bare.write_bytes(b"\n" + ims.message(_blocks(ims, 1)))
    other = tmp_path / "b.txt"
    other.write_text("BEGIN IMS2.0\nMSG_TYPE DATA\nDATA_TYPE BULLETIN IMS1.0\nSTOP\n")
    mseed = tmp_path / "c.mseed"
    obspy.Trace(np.arange(10, dtype=np.int32)).write(str(mseed), format="MSEED")
    assert is_ims20(bare)
    assert not is_ims20(other) and not is_ims20(mseed) and not is_ims20(tmp_path / "none")


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    st, problems = read_ims20(tmp_path / "missing.ims")
    assert len(st) == 0 and len(problems) == 1 and "cannot read" in problems[0].message


# --- the CMAR day (real data) -------------------------------------------------------------


CMAR_FILES = 145  # plus a text logfile
CMAR_BLOCKS = 5688
MIDLINE_WID2 = "20050511T100948.ims"  # one data line contains "WID2" mid-line


@pytest.mark.shared
def test_cmar_all_blocks_decode_cleanly(cmar_dir: Path) -> None:
    files = sorted(cmar_dir.glob("*.ims"))
    assert len(files) == CMAR_FILES
    blocks, problems = 0, []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for path in files:
            st, probs = read_ims20(path)
            blocks += len(st)
            problems += probs
    assert problems == []
    assert caught == []
    assert blocks == CMAR_BLOCKS


@pytest.mark.shared
@pytest.mark.parametrize("name", ["20050510T235948.ims", MIDLINE_WID2, "20050511T235948.ims"])
def test_cmar_samples_equal_obspy(cmar_dir: Path, name: str) -> None:
    path = cmar_dir / name
    st, problems = read_ims20(path)
    assert problems == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = obspy.read(str(path), format="GSE2")
    assert len(st) == len(ref)
    for ours, theirs in zip(st, ref, strict=True):
        assert ours.id == theirs.id
        assert ours.stats.starttime == theirs.stats.starttime
        assert ours.stats.sampling_rate == theirs.stats.sampling_rate
        np.testing.assert_array_equal(ours.data, theirs.data)


@pytest.mark.shared
def test_cmar_damaged_copy(cmar_dir: Path, tmp_path: Path) -> None:
    src = cmar_dir / MIDLINE_WID2
    path = tmp_path / src.name
    shutil.copyfile(src, path)
    raw = bytearray(path.read_bytes())
    good, _ = read_ims20(src)
    # Damage the payload of the 5th block (a full 10-minute block).
    heads = [m.start() for m in re.finditer(rb"^WID2 ", raw, re.M)]
    dat2 = [m.end() for m in re.finditer(rb"^DAT2\r?\n", raw, re.M)]
    target = 4
    pos = dat2[target] + 1000
    assert pos + 200 < heads[target + 1]
    raw[pos : pos + 200] = b"#" * 200
    path.write_bytes(bytes(raw))

    st, problems = read_ims20(path)

    assert len(problems) == 1
    p = problems[0]
    header_line = raw[: heads[target]].count(b"\n") + 1
    assert p.file == str(path)
    assert p.record == f"line {header_line}"
    assert p.seed_id == good[target].id
    assert "invalid CM6 character" in p.message
    assert len(st) == len(good) - 1
    kept = [tr for i, tr in enumerate(good) if i != target]
    for ours, ref in zip(st, kept, strict=True):
        assert ours.id == ref.id and ours.stats.starttime == ref.stats.starttime
        np.testing.assert_array_equal(ours.data, ref.data)
