"""SRS text files, .mat and NetCDF matrices → SourceReceptor; damage reported, rest kept."""

from __future__ import annotations

import bz2
import gzip
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from testban.io.srs import (
    HOUR,
    ReleaseCells,
    SourceReceptor,
    cells_from_intervals,
    read_matrix_mat,
    read_srs,
    read_srs_netcdf,
    write_srs_netcdf,
)
from tests.conftest import shared_path

MASS = 1.3e15
HEADER = '  139.08  36.30 20130408 00 20130409 00 0.1300000E+16    336      3 0.5000 0.5000 "JPX38"'
STOP = datetime(2013, 4, 9, tzinfo=UTC).timestamp()
ROWS = [(41.25, 129.0, 1, 1.3e2), (41.25, 129.5, 2, 2.6e2), (40.75, 129.0, 112, 6.5e1)]


def _text(rows=ROWS, header=HEADER) -> str:
    body = "\n".join(f"  {la:6.2f} {lo:7.2f} {t:4d} {v:.7E}" for la, lo, t, v in rows)
    return f"{header}\n{body}\n"


def _read(paths) -> tuple[SourceReceptor | None, list]:
    problems: list = []
    return read_srs([str(p) for p in paths], problems), problems


def _value(sr: SourceReceptor, row: int, lat: float, lon: float, t_index: int) -> float:
    c = sr.cells
    end = STOP - (t_index - 1) * 3 * HOUR
    j = np.flatnonzero((c.lat == lat) & (c.lon == lon) & (c.time_end == end))
    assert j.size == 1
    return float(sr.matrix[row, j[0]])


def test_srs_text_values_times_and_header(tmp_path: Path):
    p = tmp_path / "srm_jpx38.txt"
    p.write_text(_text())
    sr, problems = _read([p])
    assert problems == [] and sr is not None
    assert sr.matrix.shape == (1, 3)
    r = sr.receptors[0]
    assert (r.station, r.lat, r.lon) == ("JPX38", 36.30, 139.08)
    assert (r.collect_start, r.collect_stop) == (STOP - 86400.0, STOP)
    for la, lo, t, v in ROWS:  # divided by the header's mass; interval t ends (t−1)·3 h before stop
        assert _value(sr, 0, la, lo, t) == pytest.approx(v / MASS, rel=1e-12)
    assert np.all(sr.cells.time_end - sr.cells.time_start == 3 * HOUR)
    assert sr.cells.dx == sr.cells.dy == 0.5


@pytest.mark.parametrize("kind", ["gz", "bz2", "zip"])
def test_compressed_files_read_like_plain(tmp_path: Path, kind: str):
    raw = _text().encode()
    p = tmp_path / f"srm.txt.{kind}"
    if kind == "gz":
        p.write_bytes(gzip.compress(raw))
    elif kind == "bz2":
        p.write_bytes(bz2.compress(raw))
    else:
        with zipfile.ZipFile(p, "w") as zf:
            zf.writestr("a.txt", raw)
            zf.writestr("b.txt", _text(rows=ROWS[:1]).replace("20130409 00", "20130410 00"))
    plain = tmp_path / "plain.txt"
    plain.write_text(_text())
    sr, problems = _read([p])
    ref, _ = _read([plain])
    assert problems == [] and sr is not None and ref is not None
    assert sr.n_samples == (2 if kind == "zip" else 1)
    assert _value(sr, 0, 41.25, 129.5, 2) == _value(ref, 0, 41.25, 129.5, 2)


def test_damaged_rows_are_reported_and_the_rest_kept(tmp_path: Path):
    lines = _text().splitlines()
    lines.insert(2, "  41.25 130.00    3 1.0E+0x")  # bad number
    lines.insert(3, "  41.25 130.00    3")  # field missing
    lines.insert(4, "  95.00 130.00    3 1.0E+02")  # latitude out of range
    lines.insert(5, "  41.25 130.00  999 1.0E+02")  # time index beyond 336 h / 3 h
    lines.insert(6, "  41.25 130.00    4 -1.0E+02")  # negative sensitivity
    p = tmp_path / "damaged.txt"
    p.write_text("\n".join(lines) + "\n")
    sr, problems = _read([p])
    assert sr is not None and sr.matrix.shape == (1, 3)  # the three good rows
    assert [q.record for q in problems] == ["line 3", "line 4", "line 5", "line 6", "line 7"]
    assert all(q.file == str(p) and q.severity == "error" for q in problems)


def test_truncated_gzip_keeps_rows_before_the_break(tmp_path: Path):
    rows = [(40.0 + 0.5 * k, 129.0, 1 + k % 100, 1e2) for k in range(2000)]
    blob = gzip.compress(_text(rows=rows).encode())
    p = tmp_path / "cut.txt.gz"
    p.write_bytes(blob[: len(blob) // 2])
    sr, problems = _read([p])
    assert sr is not None and 0 < sr.n_cells < 2000
    assert any("breaks off" in q.message for q in problems)


def test_bad_header_or_empty_file_loses_only_that_file(tmp_path: Path):
    bad = tmp_path / "bad.txt"
    bad.write_text(_text(header=HEADER.replace("20130409", "20130407")))  # stop before start
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    good = tmp_path / "good.txt"
    good.write_text(_text())
    sr, problems = _read([bad, empty, good])
    assert sr is not None and sr.n_samples == 1
    assert {q.file for q in problems} == {str(bad), str(empty)}


def test_files_combine_on_their_union_of_cells(tmp_path: Path):
    a = tmp_path / "a.txt"
    a.write_text(_text())
    b = tmp_path / "b.txt"  # same stop time, one shared cell, one new
    b.write_text(
        _text(rows=[ROWS[0], (42.25, 128.0, 5, 13.0)], header=HEADER.replace("JPX38", "RUX58"))
    )
    sr, problems = _read([a, b])
    assert problems == [] and sr is not None
    assert sr.matrix.shape == (2, 4)
    assert [r.station for r in sr.receptors] == ["JPX38", "RUX58"]
    assert _value(sr, 1, 41.25, 129.0, 1) == _value(sr, 0, 41.25, 129.0, 1)
    assert _value(sr, 0, 42.25, 128.0, 5) == 0.0 and _value(sr, 1, 42.25, 128.0, 5) > 0


def test_netcdf_round_trip_and_gridded_layout(tmp_path: Path):
    from scipy.io import netcdf_file

    src = tmp_path / "a.txt"
    src.write_text(_text())
    sr, _ = _read([src])
    assert sr is not None
    path = write_srs_netcdf(sr, tmp_path / "srs.nc")
    problems: list = []
    back = read_srs_netcdf(path, problems)
    assert problems == [] and back is not None
    np.testing.assert_array_equal(back.matrix, sr.matrix)
    np.testing.assert_array_equal(back.cells.time_start, sr.cells.time_start)
    assert back.receptors == sr.receptors
    # gridded srs(sample, time, lat, lon)
    g = tmp_path / "grid.nc"
    with netcdf_file(str(g), "w") as nc:
        for k, n in (("sample", 2), ("time", 3), ("lat", 2), ("lon", 4)):
            nc.createDimension(k, n)
        for k, vals in (("time", [0.0, 10800.0, 21600.0]), ("lat", [40.0, 40.5]),
                        ("lon", [128.0, 128.5, 129.0, 129.5])):  # fmt: skip
            v = nc.createVariable(k, "f8", (k,))
            v[:] = vals
        v = nc.createVariable("srs", "f8", ("sample", "time", "lat", "lon"))
        v[:] = np.arange(48.0).reshape(2, 3, 2, 4)
    grid = read_srs_netcdf(g, problems)
    assert problems == [] and grid is not None and grid.matrix.shape == (2, 24)
    j = np.flatnonzero((grid.cells.time_start == 10800.0) & (grid.cells.lat == 40.5)
                       & (grid.cells.lon == 129.0))  # fmt: skip
    assert grid.matrix[1, j[0]] == 1 * 24 + 1 * 8 + 1 * 4 + 2  # C order of (2, 3, 2, 4)
    assert grid.cells.dx == grid.cells.dy == 0.5


def test_mat_matrix_with_described_columns(tmp_path: Path):
    from scipy.io import savemat

    m = np.arange(24.0).reshape(4, 6)
    savemat(tmp_path / "m.mat", {"matrix": m, "other": np.ones(3)})
    cells = cells_from_intervals(3, t0=0.0, interval_s=3 * HOUR, heights=((0, 50), (50, 300)))
    problems: list = []
    sr = read_matrix_mat(tmp_path / "m.mat", problems, cells=cells)
    assert problems == [] and sr is not None
    np.testing.assert_array_equal(sr.matrix, m)
    assert list(sr.cells.height_bottom) == [0, 50, 0, 50, 0, 50]  # heights fastest
    assert list(sr.cells.time_start) == [0, 0, 3 * HOUR, 3 * HOUR, 6 * HOUR, 6 * HOUR]
    # wrong description, missing matrix, not a MATLAB file: reported, nothing raised
    assert read_matrix_mat(tmp_path / "m.mat", problems, cells=cells.take([0, 1])) is None
    savemat(tmp_path / "v.mat", {"v": np.ones(5)})
    assert read_matrix_mat(tmp_path / "v.mat", problems) is None
    (tmp_path / "x.mat").write_bytes(b"not matlab")
    assert read_matrix_mat(tmp_path / "x.mat", problems) is None
    assert len(problems) == 3 and all(isinstance(c, ReleaseCells) for c in [sr.cells])


@pytest.mark.shared
def test_fukushima_matrix_reads():
    path = shared_path("radionuclide", "fukushima_xe133", "matrixGFSXe.mat")
    problems: list = []
    sr = read_srs([str(path)], problems)
    assert problems == [] and sr is not None
    assert sr.matrix.shape == (858, 972)
