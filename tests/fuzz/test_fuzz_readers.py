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


def _bulletin(tmp_path: Path, damage) -> tuple[list[float], list, list[int]]:  # type: ignore[no-untyped-def]
    """Read a three-event IMS1.0 bulletin after ``damage(lines, event_line_indices)``:
    (origin times read, problems, 1-based line numbers of the EVENT lines)."""
    from testban.bulletin import read_bulletin
    from tests.fuzz.cases import make_ims10

    lines = make_ims10(tmp_path, np.random.default_rng(1)).decode().splitlines(keepends=True)
    events = [i for i, ln in enumerate(lines) if ln.startswith("EVENT ")]
    damage(lines, events)
    (tmp_path / "b.txt").write_text("".join(lines))
    problems: list = []
    tables = read_bulletin(tmp_path / "b.txt", "ims1.0", problems)
    return [o.time for o in tables.get("origin", [])], problems, [i + 1 for i in events]


def test_ims10_garbled_event_keyword_costs_that_event_only(tmp_path: Path) -> None:
    """A damaged ``EVENT`` keyword must not join its event to the intact one before it."""
    intact, none, _ = _bulletin(tmp_path, lambda lines, ev: None)
    assert len(intact) == 3 and none == []

    def garble(lines: list[str], ev: list[int]) -> None:
        lines[ev[1]] = "ERENT" + lines[ev[1]][5:]

    times, problems, where = _bulletin(tmp_path, garble)
    assert times == [intact[0], intact[2]]
    assert [p.record for p in problems] == [f"line {where[1]}"]


def test_ims10_event_read_without_its_origin_is_reported(tmp_path: Path) -> None:
    """ObsPy reads an event whose origin table was overwritten (line breaks included, as
    in bench mutant ims10 #46) as an event without an origin, without complaint: the
    reader names it."""
    intact, _, _ = _bulletin(tmp_path, lambda lines, ev: None)

    def garble(lines: list[str], ev: list[int]) -> None:
        # the EVENT line runs on into garbage up to the middle of the origin line
        lines[ev[1] : ev[1] + 3] = [lines[ev[1]][:12] + "x%;/c8" * 30 + lines[ev[1] + 2][20:]]

    times, problems, where = _bulletin(tmp_path, garble)
    assert times == [intact[0], intact[2]]
    assert [p.record for p in problems] == [f"line {where[1]}"]
    assert "origin" in problems[0].message
