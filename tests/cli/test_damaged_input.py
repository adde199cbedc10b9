"""A damaged IMS2.0 file next to an intact one: the commands go on, name the damaged block
and keep the intact file's detections (issue 10)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import obspy
import pytest
from typer.testing import CliRunner

from testban.cli import app
from tests.io.conftest import Block, ims20_message, wid2_line

runner = CliRunner()


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``both/`` (intact.ims + damaged.ims), ``intact/`` (intact.ims only), ``sim/``."""
    root = tmp_path_factory.mktemp("damaged")
    # An hour with a magnitude-5 explosion recorded at ZAAR, as the CLI chain test has it.
    result = runner.invoke(
        app,
        ["simulate", "--out", str(root / "sim"), "--hours", "1", "--seed", "4",
         "--explosion", "punggye-ri@0.5:5.0", "--waveforms", "ZAAR"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    st = obspy.Stream()
    for f in sorted((root / "sim" / "waveforms").glob("*.mseed")):
        st += obspy.read(str(f))
    blocks = [
        Block(np.round(tr.data).astype(np.int32), station=tr.stats.station,
              channel=tr.stats.channel, network=tr.stats.network or None,
              start=tr.stats.starttime, rate=tr.stats.sampling_rate)
        for tr in st
    ]  # fmt: skip
    intact = ims20_message(blocks, envelope=True)
    bad = Block(np.arange(200, dtype=np.int32), station="BAD", channel="BHZ",
                start=st[0].stats.starttime)  # fmt: skip
    good_line = wid2_line(bad)
    damaged = ims20_message([bad], envelope=True).decode()
    damaged = damaged.replace(good_line, "WID2 99999999999" + good_line[9:]).encode()
    for name, files in (("both", {"intact.ims": intact, "damaged.ims": damaged}),
                        ("intact", {"intact.ims": intact})):  # fmt: skip
        (root / name).mkdir()
        for fname, data in files.items():
            (root / name / fname).write_bytes(data)
    return {"root": root, "both": root / "both", "intact": root / "intact", "sim": root / "sim"}


def _arrivals(folder: Path) -> list[tuple[str, float, str]]:
    from testban.io.css30 import read_csv

    return sorted((a.sta, round(a.time, 3), a.iphase) for a in read_csv(folder / "arrival.csv"))


def _all_output(result) -> str:  # type: ignore[no-untyped-def]
    text = result.output
    try:
        text += result.stderr
    except (ValueError, AttributeError):  # stderr mixed into output
        pass
    return text


def test_detect_goes_on_past_a_damaged_file(folders: dict[str, Path]) -> None:
    out_both, out_intact = folders["root"] / "det_both", folders["root"] / "det_intact"
    result = runner.invoke(
        app, ["detect", str(folders["both"]), "--stations", str(folders["sim"]),
              "--out", str(out_both)], terminal_width=300,
    )  # fmt: skip
    assert result.exit_code == 0, _all_output(result)
    text = _all_output(result)
    assert "damaged.ims" in text and "line 5" in text and "99999999999" in text
    alone = runner.invoke(
        app, ["detect", str(folders["intact"]), "--stations", str(folders["sim"]),
              "--out", str(out_intact)],
    )  # fmt: skip
    assert alone.exit_code == 0, _all_output(alone)
    expected = _arrivals(out_intact)
    assert expected, "the intact file must hold a detectable signal"
    assert _arrivals(out_both) == expected


def _run(folder: Path, root: Path, tag: str):  # type: ignore[no-untyped-def]
    store, report = root / f"{tag}.sqlite", root / f"{tag}.txt"
    args = ["run", str(folder), "--stations", str(root / "sim"),
            "--store", str(store), "--start", "2024-01-01T00:00", "--end", "2024-01-01T01:00",
            "--window", "3600", "--report", str(report)]  # fmt: skip
    result = runner.invoke(app, args, terminal_width=300)
    text = _all_output(result) + (report.read_text() if report.is_file() else "")
    return result, text, store


def test_run_goes_on_past_a_damaged_file(folders: dict[str, Path]) -> None:
    fresh = folders["root"] / "both_run"  # a folder no earlier command has indexed
    shutil.copytree(folders["both"], fresh)
    result, text, store = _run(fresh, folders["root"], "run")
    assert result.exit_code == 0, text
    assert "damaged.ims" in text and "line 5" in text and "99999999999" in text
    from testban.store import open_store
    from testban.store.db import count_rows

    with open_store(store) as db, db.session() as s:
        assert count_rows(s, "arrival") > 0  # the intact file's detections are stored


def test_run_after_detect_still_names_the_damaged_block(folders: dict[str, Path]) -> None:
    again = folders["root"] / "both_again"
    shutil.copytree(folders["both"], again)
    out = folders["root"] / "det_again"
    first = runner.invoke(
        app, ["detect", str(again), "--stations", str(folders["sim"]), "--out", str(out)]
    )
    assert first.exit_code == 0
    result, text, _ = _run(again, folders["root"], "again")
    assert result.exit_code == 0, text
    assert "damaged.ims" in text and "99999999999" in text
