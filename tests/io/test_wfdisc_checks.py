"""CSS3.0 has no checksum: the cheap checks a wfdisc reader can make on its rows.

A row whose line break was damaged joins the next row (which is then lost: reported, not
silent); a garbled ``foff`` that still points inside the data file reads other samples,
which is flagged when it breaks the file's layout (overlap, off the sample grid, not
where the other rows' contiguous layout puts it).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from obspy import UTCDateTime

from testban.io.css30 import read_flat, write_flat
from testban.io.waveforms import check_foff_layout, read_file
from testban.records import Wfdisc

T = float(UTCDateTime(2005, 5, 11))


def _table(tmp_path: Path, n: int = 4, nsamp: int = 100) -> tuple[Path, list[Wfdisc]]:
    """``n`` rows of one channel laid out contiguously in ``X.w``."""
    data = np.arange(n * nsamp, dtype=">i4")
    (tmp_path / "X.w").write_bytes(data.tobytes())
    rows = [
        Wfdisc(sta="STA", chan="BHZ", time=T + 10 * k, wfid=k + 1, jdate=2005131,
               endtime=T + 10 * k + (nsamp - 1) / 40.0, nsamp=nsamp, samprate=40.0, calib=1.0,
               calper=1.0, instype="STS-2", segtype="o", datatype="s4", dir=".", dfile="X.w",
               foff=4 * nsamp * k, lddate="20150408 12:00:00")
        for k in range(n)
    ]  # fmt: skip
    return write_flat(rows, tmp_path / "t.wfdisc", table="wfdisc"), rows


def test_intact_table_reads_without_problems(tmp_path: Path) -> None:
    table, _ = _table(tmp_path)
    st, problems = read_file(table)
    assert problems == [] and sum(tr.stats.npts for tr in st) == 400


def test_joined_rows_are_reported_with_their_line(tmp_path: Path) -> None:
    table, _ = _table(tmp_path)
    text = table.read_text()
    lines = text.splitlines(keepends=True)
    lines[1] = lines[1][:-1] + "\x0b"  # the line break after row 2 is damaged
    table.write_text("".join(lines))
    st, problems = read_file(table)
    assert sum(tr.stats.npts for tr in st) == 300
    assert [(p.record, p.severity) for p in problems] == [("line 2", "error")]
    assert "joined the next row" in problems[0].message
    with pytest.raises(Exception, match="past the last column"):
        read_flat(table, "wfdisc")  # without a problems list: raised, not dropped


@pytest.mark.parametrize(
    ("row", "foff", "expect"),
    [
        (1, 1200, "also read by"),  # onto row 4's bytes
        (1, 402, "not a multiple"),  # off the sample grid (and overlapping)
        (0, 2000, "contiguous layout"),  # past the others: holes at 0 and 1600
        (2, 0, "also read by"),
    ],
)
def test_garbled_foff_is_flagged(tmp_path: Path, row: int, foff: int, expect: str) -> None:
    table, rows = _table(tmp_path)
    (tmp_path / "X.w").write_bytes((tmp_path / "X.w").read_bytes() + bytes(800))
    rows[row] = dataclasses.replace(rows[row], foff=foff)
    write_flat(rows, table, table="wfdisc")
    _, problems = read_file(table)
    assert any(expect in p.message for p in problems), problems
    assert all(p.severity == "warning" for p in problems)
    flagged = {p.record for p in problems}
    assert f"line {row + 1}" in flagged or (expect == "also read by" and len(flagged) == 1)


def test_layout_check_is_quiet_on_other_layouts() -> None:
    # rows of one file in any order, contiguous: nothing to say
    assert check_foff_layout("x.w", [(800, 1200, "l1", ""), (0, 400, "l2", ""),
                                     (400, 800, "l3", "")]) == []  # fmt: skip
    # rows spread with holes everywhere (e.g. a file with headers): no layout to judge by
    spread = [(0, 100, "l1", ""), (200, 300, "l2", ""), (400, 500, "l3", ""), (600, 700, "l4", "")]
    assert check_foff_layout("x.w", spread) == []
    # one row moved away from a hole of its size (l4, or else l1: both are named)
    moved = [(0, 100, "l1", ""), (200, 300, "l2", ""), (300, 400, "l3", ""), (500, 600, "l4", "")]
    assert [r for _, r, _ in check_foff_layout("x.w", moved)] == ["l1", "l4"]
