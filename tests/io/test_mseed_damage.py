"""A MiniSEED record whose header is garbled so that libmseed decodes no samples from it,
without a warning (bench fuzz mutant mseed #67: data offset set to 0xffff), is reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from obspy import Trace, UTCDateTime

from testban.io.waveforms import read_file


def test_record_decoding_to_fewer_samples_than_declared_is_reported(tmp_path: Path) -> None:
    tr = Trace(np.arange(3000, dtype=np.int32) % 97)
    tr.stats.update({"network": "XX", "station": "S", "channel": "BHZ", "sampling_rate": 20.0})
    tr.stats.starttime = UTCDateTime(2005, 5, 11)
    path = tmp_path / "x.mseed"
    tr.write(str(path), format="MSEED", reclen=512, encoding="STEIM2")
    intact, problems = read_file(path)
    assert problems == [] and sum(t.stats.npts for t in intact) == 3000
    data = bytearray(path.read_bytes())
    assert len(data) >= 3 * 512
    declared = int.from_bytes(data[512 + 30 : 512 + 32], "big")
    data[512 + 44 : 512 + 46] = b"\xff\xff"  # the second record's beginning of data
    path.write_bytes(bytes(data))
    st, problems = read_file(path)
    assert [(p.record, p.seed_id) for p in problems] == [("byte 512", "XX.S..BHZ")]
    assert f"0 of the {declared} samples" in problems[0].message
    assert sum(t.stats.npts for t in st) == 3000 - declared
    first = int.from_bytes(data[30:32], "big")  # samples of the first record
    kept = np.concatenate([t.data for t in sorted(st, key=lambda t: t.stats.starttime)])
    whole = intact[0].data
    np.testing.assert_array_equal(kept, np.r_[whole[:first], whole[first + declared :]])
