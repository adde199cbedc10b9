"""Every reader survives every mutant: a problem is reported or clean data comes out,
never an exception; damage confined to one block leaves the other blocks unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.fuzz.cases import MAKERS, OTHER, formats
from tests.fuzz.harness import baseline, judge
from tests.fuzz.mutate import KINDS, mutants

#: Mutants per format: enough to hit every kind several times, small enough for `make test`.
N_MUTANTS = 36
SEED = 20261207


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_reader_survives_mutants(name: str, tmp_path: Path) -> None:
    fmt = formats()[name]
    rng = np.random.default_rng(SEED)
    data = MAKERS[name](tmp_path, rng)
    other = _other(name, tmp_path)
    blocks, size = baseline(fmt, tmp_path, data)
    regions = [spans[-1] for spans, _ in blocks] or None
    failures = []
    seen = set()
    for i, m in enumerate(mutants(data, N_MUTANTS, SEED, regions=regions, other=other)):
        v = judge(fmt, tmp_path, m, blocks, size)
        seen.add(m.kind)
        if v.outcome == "traceback" or v.lost or v.silent:
            failures.append(f"#{i} {m.kind} ({m.note}): {v.outcome} {v.detail} silent={v.silent}")
    assert seen == set(KINDS)
    assert not failures, "\n".join(failures)


def _other(name: str, tmp_path: Path) -> bytes:
    """Bytes of a file of another format, built in a scratch folder."""
    folder = tmp_path / "_other"
    folder.mkdir()
    return MAKERS[OTHER[name]](folder, np.random.default_rng(1))


def test_absurd_sample_count_does_not_allocate(tmp_path: Path) -> None:
    """A WID2 claiming 10^11 samples is refused by its header, before any allocation."""
    from testban.io.waveforms import read_file
    from tests.io.conftest import Block, ims20_message

    rng = np.random.default_rng(1)
    good = Block(np.arange(100, dtype=np.int32), station="GOOD")
    bad = Block(np.arange(100, dtype=np.int32), station="BAD", start=good.start + 10)
    text = ims20_message([bad, good]).decode()
    text = text.replace("     100", "99999999999", 1)  # the first block's sample count
    (tmp_path / "x.ims").write_text(text)
    st, problems = read_file(tmp_path / "x.ims")
    assert [tr.stats.station for tr in st] == ["GOOD"]
    assert len(problems) == 1 and problems[0].record == "line 1"
    assert "99999999999" in problems[0].message
    del rng


@pytest.mark.parametrize("field", ["year", "nsamp", "rate"])
def test_garbage_wid2_number_names_the_block(field: str, tmp_path: Path) -> None:
    from testban.io.ims20 import scan_ims20_headers
    from testban.io.waveforms import read_file
    from tests.io.conftest import Block, ims20_message

    blocks = [Block(np.arange(50, dtype=np.int32) * k, station=f"S{k}") for k in (1, 2, 3)]
    lines = ims20_message(blocks).decode().splitlines(keepends=True)
    wid = [i for i, ln in enumerate(lines) if ln.startswith("WID2")][1]
    ln = lines[wid]
    cols = {"year": (5, 9), "nsamp": (48, 56), "rate": (57, 68)}[field]
    lines[wid] = ln[: cols[0]] + "99999999999" + ln[cols[1] :]
    (tmp_path / "x.ims").write_text("".join(lines))
    st, problems = read_file(tmp_path / "x.ims")
    assert sorted(tr.stats.station for tr in st) == ["S1", "S3"]
    assert [p.record for p in problems] == [f"line {wid + 1}"]
    spans, scan_problems = scan_ims20_headers(tmp_path / "x.ims")
    assert len(spans) == 2 and [p.record for p in scan_problems] == [f"line {wid + 1}"]
