"""A waveform start after now + a day is a garbled date: data cannot come from the future.

Such a block (IMS2.0), row (wfdisc) or trace (MiniSEED) is reported and skipped, the rest
of the file is kept, and the archive index does not stretch its time span to it (a run
over an archive takes its span from the index: one block dated 2199 would make ~1.7M
hour windows).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from obspy import Stream, Trace, UTCDateTime

from testban.io.archive import Archive
from testban.io.css30 import write_flat
from testban.io.ims20 import parse_wid2
from testban.io.ims20.core import check_start
from testban.io.waveforms import read_file
from testban.records import Wfdisc

T = UTCDateTime(2005, 5, 11)
#: Far enough ahead for any clock, yet inside the old plausible-year range (1890-2200).
LATER = UTCDateTime() + 30 * 86400


def test_check_start_allows_a_day_of_clock_error() -> None:
    now = UTCDateTime(2026, 1, 1)
    check_start(now + 86400 - 1, now=now)
    with pytest.raises(ValueError, match="in the future"):
        check_start(now + 86400 + 1, now=now)


@pytest.mark.parametrize("start", [LATER, UTCDateTime(2199, 12, 31)])
def test_ims20_block_from_the_future_is_skipped(ims, tmp_path: Path, start) -> None:
    good = ims.Block(np.arange(400, dtype=np.int32), station="CM01", start=T)
    bad = ims.Block(np.arange(400, dtype=np.int32), station="CM02", start=start)
    path = tmp_path / "m.ims"
    path.write_bytes(ims.message([good, bad]))
    st, problems = read_file(path)
    assert [tr.stats.station for tr in st] == ["CM01"]
    assert len(problems) == 1 and "in the future" in problems[0].message
    assert problems[0].record.startswith("line ")
    with pytest.raises(ValueError, match="in the future"):
        parse_wid2(ims.message([bad]).decode().splitlines()[0])
    arc = Archive(tmp_path, cache_dir=tmp_path / "cache")
    assert [(Path(p).name, sid) for p, sid, *_ in arc.contents()] == [("m.ims", "ABC.CM01..SHZ")]
    assert max(end for *_, end in arc.contents()) < float(T) + 3600


def test_wfdisc_row_from_the_future_is_skipped(tmp_path: Path) -> None:
    data = np.arange(100, dtype=">i4")
    (tmp_path / "X.w").write_bytes(data.tobytes() * 2)
    row = Wfdisc(
        sta="STA", chan="BHZ", time=float(T), wfid=1, jdate=2005131, endtime=float(T) + 2.475,
        nsamp=100, samprate=40.0, calib=1.0, calper=1.0, instype="STS-2", segtype="o",
        datatype="s4", dir=".", dfile="X.w", foff=0, lddate="20150408 12:00:00",
    )  # fmt: skip
    later = dataclasses.replace(
        row, chan="BHN", wfid=2, time=float(LATER), endtime=float(LATER) + 2.475, foff=400
    )
    table = write_flat([row, later], tmp_path / "t.wfdisc", table="wfdisc")
    st, problems = read_file(table)
    assert [tr.id for tr in st] == [".STA..BHZ"]
    assert len(problems) == 1 and "in the future" in problems[0].message
    assert problems[0].record == "line 2" and problems[0].seed_id == ".STA..BHN"


def test_mseed_trace_from_the_future_is_skipped(tmp_path: Path) -> None:
    traces = []
    for cha, start in (("BHZ", T), ("BHN", LATER)):
        tr = Trace(np.arange(1000, dtype=np.int32))
        tr.stats.update({"network": "XX", "station": "S", "channel": cha, "sampling_rate": 20.0})
        tr.stats.starttime = start
        traces.append(tr)
    path = tmp_path / "x.mseed"
    Stream(traces).write(str(path), format="MSEED", reclen=512)
    st, problems = read_file(path)
    assert [tr.id for tr in st] == ["XX.S..BHZ"] and st[0].stats.npts == 1000
    assert len(problems) == 1 and problems[0].seed_id == "XX.S..BHN"
    assert "in the future" in problems[0].message
    arc = Archive(tmp_path, cache_dir=tmp_path / "cache")
    assert [sid for _, sid, *_ in arc.contents()] == ["XX.S..BHZ"]
    assert any("in the future" in p.message for p in arc.index_problems)
