"""`testban spectrum`: a synthetic IMS2.0 sample in; peaks, nuclides, level and report out."""

from __future__ import annotations

import dataclasses

from typer.testing import CliRunner

from testban.cli import app
from testban.io.css30 import read_csv
from testban.io.spectra.phd import write_phd
from testban.store import count_rows, open_store
from tests.radionuclide.synth import make_spectrum

runner = CliRunner()


def _sample(tmp_path, activities, seed=3):
    sp, _ = make_spectrum(activities, seed=seed)
    sp = dataclasses.replace(sp, station="XXP01", detector="XX01_001", data_type="SAMPLEPHD",
                             qualifier="FULL", sample_id="1")  # fmt: skip
    path = tmp_path / f"sample{seed}.phd"
    write_phd(sp, path)
    return path


def test_spectrum_command_identifies_and_categorises(tmp_path):
    path = _sample(tmp_path, {"Cs-137": 2.0, "I-131": 1.0})
    out = tmp_path / "out"
    store = tmp_path / "rn.sqlite"
    for _ in range(2):  # re-running never duplicates the stored sample
        result = runner.invoke(app, ["spectrum", str(path), "--out", str(out),
                                     "--store", str(store)])  # fmt: skip
        assert result.exit_code == 0, result.output
    rows = read_csv(out / "nuclides.csv", "gards_nucl_ided")
    nuclides = {r.name for r in rows if r.nid_flag == 1}
    assert {"Cs-137", "I-131"} <= nuclides
    cat = [r for r in read_csv(out / "category.csv", "gards_sample_cat") if r.name == "SAMPLE"]
    assert cat and cat[0].category == 5  # two anomalous fission products, no history
    report = next(out.glob("report_*.txt")).read_text(encoding="utf-8")
    assert "Sample level       5" in report and "I-131" in report
    with open_store(store) as db, db.session() as s:
        assert count_rows(s, "gards_sample_data") == 1


def test_unreadable_spectrum_is_an_error_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.phd"
    bad.write_text("BEGIN IMS2.0\nDATA_TYPE SAMPLEPHD\n#g_Spectrum\n1 2 x\nSTOP\n")
    result = runner.invoke(app, ["spectrum", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "Traceback" not in result.output
