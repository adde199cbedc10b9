"""One run configuration (TOML) that reaches every stage, and ``auth`` on every row written."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from testban.associate import AssociatorConfig
from testban.cli import app
from testban.detect import DetectConfig
from testban.locate import LocatorConfig
from testban.network import Network, Station
from testban.pipeline import run as run_module
from testban.pipeline.config import (
    ConfigError,
    RunConfig,
    field_docs,
    read_run_config,
    run_config_from_mapping,
    run_config_toml,
)
from testban.pipeline.event_measure import SurfaceWaveConfig
from testban.screening import ScreeningConfig
from testban.store import open_store
from testban.store.schema import TABLES_SQL
from tests.pipeline.test_run import SPAN, WINDOW, _run, scenario  # noqa: F401 (fixture)

#: A unit in a field's documentation: "(s)", "(Hz)", "(km)", "(°)", "(s/°)", "(count)",
#: "dimensionless" … or a field that is a name, a flag, a table or a choice.
UNIT = re.compile(
    r"\((?:[^)]*?(?:\bs\b|\bHz\b|\bkm\b|°|\bdeg\b|\bcount\b|\bpoles\b|\bdB\b|\bnm\b"
    r"|dimensionless|magnitude units)[^)]*)\)"
    r"|dimensionless|\bname\b|\bauthor\b|\blabel\b|\bwhether\b|\bflag\b|\bpatterns?\b"
    r"|\btables?\b|\bstore\b|\bpreset\b|\bmodel\b|\bid\b|\bsettings\b|\bcount\b",
    re.IGNORECASE,
)


def test_defaults_round_trip_through_toml():
    text = run_config_toml()
    assert run_config_from_mapping(tomllib.loads(text)) == RunConfig()


def test_changed_settings_reach_each_stage(tmp_path: Path):
    path = tmp_path / "run.toml"
    path.write_text(
        '[run]\nwindow = 1800\nauth = "ndc"\n'
        '[store]\nurl = "postgresql+psycopg://u@h/db"\n'
        "[detect]\nsta = 0.5\n[[detect.bands]]\nlow = 1.0\nhigh = 4.0\nthreshold = 3.5\n"
        '[associate]\npreset = "local"\nmin_stations = 4\n'
        "[locate]\nmax_sdepth = 20\n",
        encoding="utf-8",
    )
    cfg = read_run_config(path)
    assert cfg.window == 1800.0 and isinstance(cfg.window, float)
    assert cfg.auth == "ndc" and cfg.store.startswith("postgresql")
    assert cfg.detect.sta == 0.5 and len(cfg.detect.bands) == 1
    assert cfg.associate.mode == "local" and cfg.associate.min_stations == 4
    assert cfg.associate.bin_width == AssociatorConfig.local().bin_width
    assert cfg.locate is not None and cfg.locate.max_sdepth == 20.0
    # the associator each window gets carries the run's author and locator
    assert cfg.associator.auth == "ndc" and cfg.associator.locator == cfg.locate
    net = Network(Station(f"S{k}", 34.0 + 0.1 * k, -117.0 + 0.1 * (k % 2), 0.0) for k in range(4))
    assoc = run_module._associator(net, cfg.associator)  # cached per process (a local grid)
    assert assoc.locator_cfg.max_sdepth == 20.0
    # and writing it back gives the same configuration
    assert run_config_from_mapping(tomllib.loads(run_config_toml(cfg))) == cfg


def test_a_bare_detector_file_is_still_read(tmp_path: Path):
    path = tmp_path / "detector.toml"
    path.write_text("sta = 2.0\nlta = 60.0\n", encoding="utf-8")
    cfg = read_run_config(path)
    assert cfg.detect == dataclasses.replace(DetectConfig(), sta=2.0, lta=60.0)
    assert cfg.associate == AssociatorConfig()


@pytest.mark.parametrize(
    "text, where",
    [
        ("[run]\nwindoww = 3600\n", "[run] unknown key 'windoww'"),
        ("[associate]\nmin_stations = 'three'\n", "[associate] min_stations: expected an integer"),
        ("[locate]\nmax_sdepth = true\n", "[locate] max_sdepth: expected a number"),
        ("[detector]\nsta = 1\n", "unknown table(s) ['detector']"),
        ("[associate]\npreset = 'regional'\n", "[associate] preset must be"),
        ("[run\n", "run.toml"),
    ],
)
def test_bad_settings_name_table_and_key(tmp_path: Path, text: str, where: str):
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_run_config(path)
    assert where in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize(
    "cls",
    [RunConfig, DetectConfig, AssociatorConfig, LocatorConfig, SurfaceWaveConfig, ScreeningConfig],
)
def test_every_setting_says_its_unit_and_reason(cls):
    docs = field_docs(cls)
    undocumented = [f.name for f in dataclasses.fields(cls) if len(docs.get(f.name, "")) < 20]
    assert not undocumented, f"{cls.__name__}: fields without a unit and a reason: {undocumented}"
    no_unit = [n for n, d in docs.items() if not UNIT.search(d)]
    assert not no_unit, f"{cls.__name__}: fields whose documentation names no unit: {no_unit}"


def test_cli_config_writes_what_run_reads(tmp_path: Path):
    runner = CliRunner()
    out = tmp_path / "run.toml"
    res = runner.invoke(app, ["config", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert read_run_config(out) == RunConfig()
    assert "# Short-term average length (s)" in out.read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nwindow = 'an hour'\n", encoding="utf-8")
    res = runner.invoke(app, ["config", "--config", str(bad)])
    assert res.exit_code != 0 and "expected a number" in res.output
    help_text = runner.invoke(app, ["run", "--help"], terminal_width=200).output
    for table in ("[run]", "[store]", "[detect]", "[associate]", "[locate]", "[screen]"):
        assert table in help_text


@pytest.mark.slow
def test_auth_reaches_every_row_written(scenario, tmp_path: Path):  # noqa: F811
    """``RunConfig(auth="ndc")``: the run's detections, amplitudes, origins, magnitudes and
    events are all the ndc's; only the external detections keep their own author."""
    _, _, external, _ = scenario
    db = tmp_path / "ndc.sqlite"
    report = _run(scenario, db, config=RunConfig(window=WINDOW, auth="ndc", label="ndc"))
    assert report.totals()["failed"] == 0 and report.totals()["events"] > 0
    ext_auth = {a.auth for a in external}
    with open_store(db) as store, store.session() as s:
        for table in ("arrival", "amplitude", "origin", "netmag", "stamag", "event"):
            auths = set(s.scalars(sa.select(TABLES_SQL[table].c.auth)).all())
            allowed = {"ndc"} | (ext_auth if table in ("arrival", "amplitude") else set())
            assert auths and auths <= allowed, (table, auths)
        nets = set(s.scalars(sa.select(TABLES_SQL["netmag"].c.net)).all())
        assert nets == {"ndc"}
        own = s.scalar(sa.select(sa.func.count()).where(TABLES_SQL["arrival"].c.auth == "ndc"))
        assert own > 0  # the waveform stations' detections are the run's own
    assert SPAN[0] < SPAN[1]
