"""`testban detect` and `testban run` leave the waveform folders they read untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from testban.cli import app
from testban.io.archive import INDEX_NAME
from tests.snapshot import snapshot

runner = CliRunner()


def test_detect_and_run_leave_the_input_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cache = tmp_path / "user-cache"
    monkeypatch.setenv("TESTBAN_CACHE_DIR", str(cache))
    sim = tmp_path / "sim"
    result = runner.invoke(
        app, ["simulate", "--out", str(sim), "--hours", "1", "--seed", "4", "--waveforms", "ZAAR"]
    )
    assert result.exit_code == 0, result.output
    waveforms = sim / "waveforms"
    (waveforms / INDEX_NAME).write_text(json.dumps({"version": 1, "files": {}}))  # an old one
    before = snapshot(sim)

    result = runner.invoke(
        app, ["detect", str(waveforms), "--stations", str(sim), "--out", str(tmp_path / "det")]
    )
    assert result.exit_code == 0, result.output
    assert "detections at" in result.output
    assert snapshot(sim) == before
    assert list((cache / "archive-index").glob("index-*.json"))  # the index went there

    store = tmp_path / "out" / "store.sqlite"
    result = runner.invoke(
        app, ["run", str(waveforms), "--stations", str(sim), "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    assert "windows: 1" in result.output
    assert snapshot(sim) == before
