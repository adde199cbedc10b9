"""Source–receptor sensitivities in: SRS text files, ``.mat`` and NetCDF matrices.

A source–receptor sensitivity (SRS) field says, for one radionuclide sample, how much
concentration at the receptor a unit release in each source cell (release time × lat ×
lon × height) would have caused; Lagrangian models (FLEXPART, run backwards from the
sample) compute them, and the IDC and the WMO centres deliver them per IMS sample. All
readers return one in-memory :class:`SourceReceptor`: a matrix (samples × release cells)
with the cells described (time interval, centre lat/lon, height layer) and the samples
(station, collection window) — shared by the possible-source-region analysis
(:mod:`testban.radionuclide.psr`), the fusion with waveform events and the source-term
inversion.

**SRS text layout followed** (the CTBTO "SRM" files as WEB-GRAPE reads them; written from
the documented layout, no file of the IDC was at hand to compare): one header line ::

    lon lat yyyymmdd hh yyyymmdd hh mass bwdhours interval dx dy [station]

— receptor (station) longitude and latitude in degrees, sample collection start and stop
(date and hour, UTC), the release ``mass`` the run was normalised to, the run's duration
backwards in hours, the output interval in hours, the grid steps (°) and the station
code (optionally quoted); then one row per non-zero sensitivity ::

    lat lon t value

— the cell centre, ``t`` the 1-based index of the release interval counted backwards
from the end of collection (interval ``t`` spans stop − t·interval … stop −
(t − 1)·interval) and the sensitivity. testban divides each value by ``mass`` so that the
matrix is concentration per unit release (Bq m⁻³ per Bq released in the cell during the
interval, i.e. m⁻³); this is the one place to change if a centre's files mean otherwise.
Files may be plain or compressed (``.gz``, ``.bz2``, ``.xz``, ``.zip`` — every member of
a zip is one SRS file). A bad header loses the file; a bad row (wrong field count, a
number that does not parse, latitude/longitude out of range, a time index outside the
run, a negative or non-finite value) is reported with its line and skipped; a truncated
compressed stream keeps the rows read before the break. Nothing raises on bad content.

**Matrices**: ``.mat`` (``scipy.io.loadmat``) holding one 2-D array samples × cells
(e.g. the Fukushima Xe-133 problem, whose columns are 3-hour release intervals with the
height layers fastest); NetCDF-3 (``scipy.io.netcdf_file``; NetCDF-4/HDF5 through h5py
when it is installed) in the layout :func:`write_srs_netcdf` writes (``srs(sample,
cell)`` with ``cell_*`` and sample variables) or gridded ``srs(sample, time, lat, lon)``
with coordinate variables ``time`` (epoch s of the interval start), ``lat``, ``lon``.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import math
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from testban.io.problems import ReadProblem

HOUR = 3600.0


@dataclass(frozen=True)
class ReleaseCells:
    """The release cells (columns of a :class:`SourceReceptor`), one entry per cell.

    Times are epoch s (UTC) of the interval's start and end; ``lat``/``lon`` the cell
    centre (°, NaN when the matrix has no spatial grid); heights the layer's bottom and
    top above ground (m, NaN when unknown); ``dx``/``dy`` the grid steps (°).
    """

    time_start: np.ndarray
    time_end: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    height_bottom: np.ndarray
    height_top: np.ndarray
    dx: float = math.nan
    dy: float = math.nan

    def __len__(self) -> int:
        return int(self.time_start.size)

    def take(self, idx: np.ndarray | Sequence[int]) -> ReleaseCells:
        """The cells at ``idx`` (same grid)."""
        i = np.asarray(idx)
        return ReleaseCells(
            self.time_start[i], self.time_end[i], self.lat[i], self.lon[i],
            self.height_bottom[i], self.height_top[i], self.dx, self.dy,
        )  # fmt: skip

    @property
    def has_grid(self) -> bool:
        """True when the cells have positions (lat/lon)."""
        return bool(np.any(np.isfinite(self.lat)))


@dataclass(frozen=True)
class Receptor:
    """One sample (a row of a :class:`SourceReceptor`): station, position (°) and
    collection window (epoch s)."""

    sample_id: str
    station: str
    lat: float = math.nan
    lon: float = math.nan
    collect_start: float = math.nan
    collect_stop: float = math.nan


@dataclass(frozen=True)
class SourceReceptor:
    """Sensitivities of samples to release cells: ``matrix[i, j]`` is the concentration at
    sample ``i`` caused by a unit release in cell ``j`` (``units``, m⁻³ = Bq m⁻³ per Bq
    for SRS files). Rows are ``receptors``, columns ``cells``; ``sources`` names the
    files it was read from."""

    matrix: np.ndarray
    cells: ReleaseCells
    receptors: tuple[Receptor, ...]
    units: str = "m-3"
    sources: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_samples(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_cells(self) -> int:
        return int(self.matrix.shape[1])

    def rows(self, idx: np.ndarray | Sequence[int]) -> SourceReceptor:
        """The samples at ``idx`` only."""
        i = np.asarray(idx, int)
        return replace(self, matrix=self.matrix[i], receptors=tuple(self.receptors[k] for k in i))

    def columns(self, idx: np.ndarray | Sequence[int]) -> SourceReceptor:
        """The cells at ``idx`` only."""
        i = np.asarray(idx, int)
        return replace(self, matrix=self.matrix[:, i], cells=self.cells.take(i))


# --------------------------------------------------------------------------- SRS text


@dataclass(frozen=True)
class SrsHeader:
    """The header line of an SRS file (see the module docstring)."""

    lon: float
    lat: float
    collect_start: float
    collect_stop: float
    mass: float
    hours_back: float
    interval_h: float
    dx: float
    dy: float
    station: str


def _date(day: str, hour: str) -> float:
    d = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC)
    h = float(hour)
    if not 0.0 <= h <= 24.0:
        raise ValueError(f"hour {hour!r} out of range")
    return d.timestamp() + h * HOUR


def parse_srs_header(line: str) -> SrsHeader:
    """The header of an SRS file; raises ``ValueError`` naming what is wrong."""
    parts = line.split()
    if len(parts) < 11:
        raise ValueError(f"SRS header needs at least 11 fields, found {len(parts)}")
    lon, lat = float(parts[0]), float(parts[1])
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 360.0):
        raise ValueError(f"station position {lat}, {lon} out of range")
    start, stop = _date(parts[2], parts[3]), _date(parts[4], parts[5])
    if stop <= start:
        raise ValueError("collection stop not after its start")
    mass, back, interval, dx, dy = (float(p) for p in parts[6:11])
    if not (mass > 0 and back > 0 and interval > 0 and dx > 0 and dy > 0):
        raise ValueError("mass, hours back, interval and grid steps must be positive")
    station = " ".join(parts[11:]).strip().strip("\"'") if len(parts) > 11 else ""
    return SrsHeader(lon, lat, start, stop, mass, back, interval, dx, dy, station)


@dataclass(frozen=True)
class SrsField:
    """One SRS file: its header and its non-zero sensitivities (already divided by
    ``mass``): cell centre (°), 1-based backward time index, value."""

    header: SrsHeader
    lat: np.ndarray
    lon: np.ndarray
    t: np.ndarray
    value: np.ndarray
    file: str = ""


def parse_srs(
    lines: Iterable[str], file: str = "", problems: list[ReadProblem] | None = None
) -> SrsField | None:
    """One SRS field from its text ``lines``; bad rows are appended to ``problems`` and
    skipped; ``None`` (with a problem) when the header is unusable or no row is left."""
    problems = problems if problems is not None else []
    it = iter(lines)
    header: SrsHeader | None = None
    n = 0
    try:
        for raw in it:
            n += 1
            if raw.strip() and not raw.lstrip().startswith("#"):
                try:
                    header = parse_srs_header(raw)
                except ValueError as exc:
                    problems.append(ReadProblem(file, f"bad SRS header: {exc}", f"line {n}"))
                    return None
                break
    except (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError) as exc:
        problems.append(ReadProblem(file, f"cannot read: {exc}", f"line {n + 1}"))
        return None
    if header is None:
        problems.append(ReadProblem(file, "empty file: no SRS header"))
        return None
    n_times = int(round(header.hours_back / header.interval_h))
    lat: list[float] = []
    lon: list[float] = []
    t: list[int] = []
    val: list[float] = []
    try:
        for raw in it:
            n += 1
            parts = raw.split()
            if not parts or parts[0].startswith("#"):
                continue
            try:
                if len(parts) != 4:
                    raise ValueError(f"expected 4 fields (lat lon t value), found {len(parts)}")
                la, lo, v = float(parts[0]), float(parts[1]), float(parts[3])
                ti = int(parts[2])
                if not (-90.0 <= la <= 90.0 and -180.0 <= lo <= 360.0):
                    raise ValueError(f"cell {la}, {lo} out of range")
                if not 1 <= ti <= n_times:
                    raise ValueError(f"time index {ti} outside 1–{n_times}")
                if not (math.isfinite(v) and v >= 0.0):
                    raise ValueError(f"sensitivity {parts[3]!r} is negative or not finite")
            except ValueError as exc:
                problems.append(ReadProblem(file, str(exc), f"line {n}"))
                continue
            lat.append(la)
            lon.append(lo)
            t.append(ti)
            val.append(v)
    except (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError) as exc:
        problems.append(
            ReadProblem(
                file, f"file breaks off after line {n} ({exc}); rows before kept", f"line {n + 1}"
            )  # fmt: skip
        )
    if not val:
        problems.append(ReadProblem(file, "no sensitivity rows read", f"line {n}"))
        return None
    return SrsField(
        header,
        np.asarray(lat),
        np.asarray(lon),
        np.asarray(t, dtype=np.int64),
        np.asarray(val) / header.mass,
        file,
    )


def _text_lines(stream: Any) -> Iterator[str]:
    yield from io.TextIOWrapper(stream, encoding="latin-1", newline=None)


def _open_members(path: Path) -> Iterator[tuple[str, Iterator[str]]]:
    """(name, lines) of each SRS text inside ``path`` (a zip holds several)."""
    name = str(path)
    suffix = path.suffix.lower()
    if suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    with zf.open(info) as fh:
                        yield f"{name}:{info.filename}", _text_lines(fh)
        return
    opener: Any = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(suffix)
    if opener is None:
        with path.open("rb") as fh:
            yield name, _text_lines(fh)
        return
    with opener(path, "rb") as fh:
        yield name, _text_lines(fh)


def read_srs_fields(path: str | Path, problems: list[ReadProblem]) -> list[SrsField]:
    """Every SRS field in the file ``path`` (plain or compressed); problems appended."""
    p = Path(path)
    out: list[SrsField] = []
    try:
        for name, lines in _open_members(p):
            f = parse_srs(lines, name, problems)
            if f is not None:
                out.append(f)
    except (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError) as exc:
        problems.append(ReadProblem(str(p), f"cannot read: {exc}"))
    return out


def _receptor_id(h: SrsHeader) -> str:
    return f"{h.station or 'srs'}@{datetime.fromtimestamp(h.collect_stop, UTC):%Y%m%d%H}"


def combine_fields(fields: Sequence[SrsField]) -> SourceReceptor:
    """One :class:`SourceReceptor` from per-sample SRS fields: the union of their cells
    (absolute release intervals × cell centres), zero where a field has no row."""
    if not fields:
        raise ValueError("no SRS fields to combine")
    dx = min(f.header.dx for f in fields)
    dy = min(f.header.dy for f in fields)
    starts, ends, lats, lons, rows_i, vals = [], [], [], [], [], []
    for i, f in enumerate(fields):
        h = f.header
        t_end = h.collect_stop - (f.t - 1) * h.interval_h * HOUR
        starts.append(t_end - h.interval_h * HOUR)
        ends.append(t_end)
        lats.append(f.lat)
        lons.append(np.where(f.lon > 180.0, f.lon - 360.0, f.lon))
        rows_i.append(np.full(f.value.size, i))
        vals.append(f.value)
    t0, t1 = np.concatenate(starts), np.concatenate(ends)
    la, lo = np.concatenate(lats), np.concatenate(lons)
    # cell identity on the finest grid and to the second
    key = np.stack(
        [np.round(t0), np.round(t1), np.round(la / dy * 1e3), np.round(lo / dx * 1e3)], axis=1
    )
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    first = np.zeros(len(uniq), dtype=np.int64)
    first[inverse[::-1]] = np.arange(inverse.size)[::-1]
    matrix = np.zeros((len(fields), len(uniq)))
    np.add.at(matrix, (np.concatenate(rows_i), inverse), np.concatenate(vals))
    nan = np.full(len(uniq), np.nan)
    cells = ReleaseCells(t0[first], t1[first], la[first], lo[first], nan, nan.copy(), dx, dy)
    receptors = tuple(
        Receptor(
            _receptor_id(f.header),
            f.header.station,
            f.header.lat,
            f.header.lon if f.header.lon <= 180.0 else f.header.lon - 360.0,
            f.header.collect_start,
            f.header.collect_stop,
        )
        for f in fields
    )  # fmt: skip
    return SourceReceptor(matrix, cells, receptors, "m-3", tuple(f.file for f in fields))


# --------------------------------------------------------------------------- matrices


def cells_from_intervals(
    n_times: int,
    t0: float = math.nan,
    interval_s: float = math.nan,
    heights: Sequence[tuple[float, float]] = ((math.nan, math.nan),),
    height_fastest: bool = True,
) -> ReleaseCells:
    """Cells of a matrix without a spatial grid: ``n_times`` intervals of ``interval_s``
    from ``t0`` (epoch s) × the height layers ``heights`` (bottom, top in m), heights
    fastest (column = time·n_heights + height) unless ``height_fastest`` is False."""
    nh = len(heights)
    ti, hi = np.divmod(np.arange(n_times * nh), nh) if height_fastest else (
        np.arange(n_times * nh) % n_times, np.arange(n_times * nh) // n_times)  # fmt: skip
    start = t0 + ti * interval_s
    hb = np.array([h[0] for h in heights], float)[hi]
    ht = np.array([h[1] for h in heights], float)[hi]
    nan = np.full(start.size, np.nan)
    return ReleaseCells(start, start + interval_s, nan, nan.copy(), hb, ht)


def read_matrix_mat(
    path: str | Path,
    problems: list[ReadProblem],
    variable: str | None = None,
    cells: ReleaseCells | None = None,
) -> SourceReceptor | None:
    """A samples × cells matrix from a MATLAB file (``variable``, else its largest 2-D
    array); ``cells`` describes the columns (default: unknown times and places)."""
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    name = str(path)
    try:
        data = loadmat(str(path))
    except (OSError, ValueError, TypeError, NotImplementedError, MatReadError) as exc:
        problems.append(ReadProblem(name, f"cannot read MATLAB file: {exc}"))
        return None
    arrays = {k: v for k, v in data.items() if not k.startswith("__") and isinstance(v, np.ndarray)}
    if variable is not None:
        if variable not in arrays:
            problems.append(ReadProblem(name, f"no variable {variable!r} (has {sorted(arrays)})"))
            return None
        m = arrays[variable]
    else:
        two_d = [v for v in arrays.values() if v.ndim == 2 and min(v.shape) > 1]
        if not two_d:
            problems.append(ReadProblem(name, "no 2-D matrix in the file"))
            return None
        m = max(two_d, key=lambda v: v.size)
    try:
        matrix = np.asarray(m, dtype=float)
    except (TypeError, ValueError) as exc:
        problems.append(ReadProblem(name, f"matrix is not numeric: {exc}"))
        return None
    return _finish_matrix(matrix, cells, name, problems)


def _finish_matrix(
    matrix: np.ndarray, cells: ReleaseCells | None, name: str, problems: list[ReadProblem]
) -> SourceReceptor | None:
    if matrix.ndim != 2:
        problems.append(ReadProblem(name, f"matrix has {matrix.ndim} dimensions, not 2"))
        return None
    bad = ~np.isfinite(matrix)
    if bad.any():
        problems.append(ReadProblem(name, f"{int(bad.sum())} non-finite entries set to 0",
                                    severity="warning"))  # fmt: skip
        matrix = np.where(bad, 0.0, matrix)
    if cells is None:
        cells = cells_from_intervals(matrix.shape[1])
    if len(cells) != matrix.shape[1]:
        problems.append(
            ReadProblem(name, f"{matrix.shape[1]} columns but {len(cells)} cells described")
        )
        return None
    receptors = tuple(Receptor(str(i), "") for i in range(matrix.shape[0]))
    return SourceReceptor(matrix, cells, receptors, "", (name,))


def _text(v: np.ndarray) -> list[str]:
    a = np.asarray(v)
    if a.dtype.kind in "SU" and a.ndim == 2:
        return ["".join(x.decode() if isinstance(x, bytes) else str(x) for x in row).strip()
                for row in a]  # fmt: skip
    return [x.decode().strip() if isinstance(x, bytes) else str(x).strip() for x in a.ravel()]


def _netcdf_variables(path: Path) -> dict[str, np.ndarray]:
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic[:3] == b"CDF":
        from scipy.io import netcdf_file

        with netcdf_file(str(path), "r", mmap=False) as nc:
            return {k: np.array(v.data) for k, v in nc.variables.items()}
    if magic == b"\x89HDF":
        try:
            import h5py  # type: ignore[import-untyped]
        except ImportError as exc:
            raise ValueError("NetCDF-4/HDF5 file but h5py is not installed") from exc
        with h5py.File(path, "r") as f:
            return {k: np.array(v[...]) for k, v in f.items() if isinstance(v, h5py.Dataset)}
    raise ValueError("not a NetCDF file")


def read_srs_netcdf(path: str | Path, problems: list[ReadProblem]) -> SourceReceptor | None:
    """A :class:`SourceReceptor` from NetCDF (layouts in the module docstring)."""
    p = Path(path)
    name = str(p)
    try:
        var = _netcdf_variables(p)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        problems.append(ReadProblem(name, f"cannot read NetCDF: {exc}"))
        return None
    if "srs" not in var:
        problems.append(ReadProblem(name, f"no variable 'srs' (has {sorted(var)})"))
        return None
    srs = np.asarray(var["srs"], float)
    if srs.ndim == 2 and "cell_time_start" in var:
        n = srs.shape[1]

        def col(k: str) -> np.ndarray:
            return np.asarray(var[k], float) if k in var else np.full(n, np.nan)

        cells = ReleaseCells(col("cell_time_start"), col("cell_time_end"), col("cell_lat"),
                             col("cell_lon"), col("cell_height_bottom"), col("cell_height_top"),
                             float(np.ravel(var.get("dx", [np.nan]))[0]),
                             float(np.ravel(var.get("dy", [np.nan]))[0]))  # fmt: skip
        matrix = srs
    elif srs.ndim == 4 and {"time", "lat", "lon"} <= set(var):
        t, la, lo = (np.asarray(var[k], float) for k in ("time", "lat", "lon"))
        if srs.shape[1:] != (t.size, la.size, lo.size):
            problems.append(ReadProblem(name, "srs(sample, time, lat, lon) does not match "
                                              "its coordinate variables"))  # fmt: skip
            return None
        step = float(np.median(np.diff(t))) if t.size > 1 else 3.0 * HOUR
        tt, aa, oo = np.meshgrid(t, la, lo, indexing="ij")
        nan = np.full(tt.size, np.nan)
        dx = float(np.median(np.abs(np.diff(lo)))) if lo.size > 1 else math.nan
        dy = float(np.median(np.abs(np.diff(la)))) if la.size > 1 else math.nan
        cells = ReleaseCells(
            tt.ravel(), tt.ravel() + step, aa.ravel(), oo.ravel(), nan, nan.copy(), dx, dy
        )
        matrix = srs.reshape(srs.shape[0], -1)
    else:
        problems.append(ReadProblem(name, f"unknown layout of 'srs' {srs.shape}"))
        return None
    sr = _finish_matrix(matrix, cells, name, problems)
    if sr is None:
        return None
    ns = sr.n_samples

    def svar(k: str) -> np.ndarray:
        return np.asarray(var[k], float) if k in var else np.full(ns, np.nan)

    stations = _text(var["station"]) if "station" in var else [""] * ns
    ids = _text(var["sample_id"]) if "sample_id" in var else [str(i) for i in range(ns)]
    lat, lon, t0, t1 = (
        svar("station_lat"),
        svar("station_lon"),
        svar("collect_start"),
        svar("collect_stop"),
    )
    receptors = tuple(Receptor(ids[i], stations[i], float(lat[i]), float(lon[i]), float(t0[i]),
                               float(t1[i])) for i in range(ns))  # fmt: skip
    units = "m-3"
    return replace(sr, receptors=receptors, units=units)


def write_srs_netcdf(sr: SourceReceptor, path: str | Path) -> Path:
    """Write ``sr`` as NetCDF-3 (flattened cells, the layout :func:`read_srs_netcdf` reads)."""
    from scipy.io import netcdf_file

    p = Path(path)
    width = max(
        [1] + [len(r.station) for r in sr.receptors] + [len(r.sample_id) for r in sr.receptors]
    )
    nc: Any
    with netcdf_file(str(p), "w") as nc:
        nc.title = "testban source-receptor sensitivities"
        nc.units = sr.units
        nc.createDimension("sample", sr.n_samples)
        nc.createDimension("cell", sr.n_cells)
        nc.createDimension("name", width)
        v: Any = nc.createVariable("srs", "f8", ("sample", "cell"))
        v[:] = sr.matrix
        v.units = sr.units
        c = sr.cells
        columns = {
            "cell_time_start": c.time_start, "cell_time_end": c.time_end,
            "cell_lat": c.lat, "cell_lon": c.lon,
            "cell_height_bottom": c.height_bottom, "cell_height_top": c.height_top,
        }  # fmt: skip
        for k, a in columns.items():
            x = nc.createVariable(k, "f8", ("cell",))
            x[:] = a
        nc.createDimension("one", 1)
        for k, val in (("dx", c.dx), ("dy", c.dy)):
            x = nc.createVariable(k, "f8", ("one",))
            x[:] = [val]
        for k, get in (("station_lat", lambda r: r.lat), ("station_lon", lambda r: r.lon),
                       ("collect_start", lambda r: r.collect_start),
                       ("collect_stop", lambda r: r.collect_stop)):  # fmt: skip
            x = nc.createVariable(k, "f8", ("sample",))
            x[:] = np.array([get(r) for r in sr.receptors], float)
        for k in ("station", "sample_id"):
            x = nc.createVariable(k, "S1", ("sample", "name"))
            x[:] = np.array(
                [list(getattr(r, k).ljust(width)) for r in sr.receptors], dtype="S1"
            ).reshape(sr.n_samples, width)
    return p


# --------------------------------------------------------------------------- dispatch


def srs_kind(path: str | Path) -> str:
    """``"mat"``, ``"netcdf"`` or ``"text"`` by name (compressed text included)."""
    s = Path(path).name.lower()
    if s.endswith(".mat"):
        return "mat"
    if s.endswith((".nc", ".nc4", ".cdf", ".netcdf")):
        return "netcdf"
    return "text"


def read_srs(paths: Sequence[str | Path], problems: list[ReadProblem]) -> SourceReceptor | None:
    """One :class:`SourceReceptor` from SRS text files (one sample each, combined on their
    common grid), or from a single ``.mat``/NetCDF matrix; problems appended, ``None``
    when nothing usable was read. Mixing text files and matrices is reported."""
    kinds = {srs_kind(p) for p in paths}
    if not paths:
        return None
    if kinds != {"text"}:
        if len(paths) != 1:
            why = "give one .mat/NetCDF matrix, or SRS text files only"
            problems.append(ReadProblem(", ".join(map(str, paths)), why))
            return None
        p = paths[0]
        return (
            read_matrix_mat(p, problems) if srs_kind(p) == "mat" else read_srs_netcdf(p, problems)
        )
    fields: list[SrsField] = []
    for p in paths:
        fields.extend(read_srs_fields(p, problems))
    return combine_fields(fields) if fields else None
