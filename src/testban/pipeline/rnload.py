"""Loading radionuclide files into the store: spectra, xenon results, air-concentration series.

``load_radionuclide(store, paths, problems)`` takes files and folders (walked) and sorts
each file by its content: a gamma spectrum any :func:`~testban.io.spectra.read_spectra`
reader knows → a ``gards_sample_data`` row and its spectrum (:mod:`testban.store.radionuclide`);
a xenon per-sample results CSV (the columns :mod:`testban.radionuclide.xenon` reads) →
``gards_sample_data`` + ``gards_bg_isotope_concs``; an air-concentration CSV (the JRC REM
Chernobyl layout) → ``gards_air_conc``. Re-loading a file replaces what it wrote before
(nothing is duplicated). A file that cannot be read, or a bad record, is a problem and the
loader goes on with the next.

Air-concentration sites whose latitude and longitude are swapped in the source (8
Czechoslovak sites of the Chernobyl file) are corrected, with a warning each: a site is
swapped when its swapped position lies among the file's other sites (within three times
the median site's distance from the sites' median position) and its given position does
not — a rule from the file's own geometry, no region given.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from testban.io.problems import ReadProblem
from testban.io.spectra import read_air_concentrations, read_spectra, spectrum_format
from testban.radionuclide.arrival import distance_km
from testban.radionuclide.xenon import CSV_COLUMNS, read_xenon_csv
from testban.records.gards import GardsAirConc
from testban.store import Store, sample_data_row, store_sample
from testban.store.radionuclide import (
    merge_air_concentrations,
    store_spectrum,
    store_xenon_sample,
)

__all__ = ["LoadSummary", "file_kind", "load_radionuclide", "swapped_sites"]

log = logging.getLogger(__name__)

#: How far (× the median site's distance from the centre) a site may lie and still be
#: "among the other sites" for the swapped-coordinates check.
SPREAD = 3.0


@dataclass
class LoadSummary:
    """What a load wrote: counts per kind, and the files read."""

    spectra: int = 0
    xenon_samples: int = 0
    air_rows: int = 0
    files: dict[str, str] = field(default_factory=dict)  # path -> kind
    sample_ids: list[int] = field(default_factory=list)


def file_kind(path: Path) -> str:
    """``"spectrum"``, ``"xenon"``, ``"airconc"`` or ``""`` (not a radionuclide file)."""
    try:
        if spectrum_format(path):
            return "spectrum"
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = ""
            for line in fh:
                if line.strip() and not line.lstrip().startswith("#"):
                    head = line.strip().lower()
                    break
    except OSError:
        return ""
    cols = {c.strip() for c in head.split(",")}
    if all(c in cols for c in CSV_COLUMNS):
        return "xenon"
    if "location" in cols and "date" in cols and "longitude" in cols:
        return "airconc"
    return ""


def _files(paths: Iterable[str | os.PathLike[str]], problems: list[ReadProblem]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file()))
        elif p.is_file():
            out.append(p)
        else:
            problems.append(ReadProblem(str(p), "no such file or folder"))
    return out


def swapped_sites(rows: Sequence[GardsAirConc]) -> list[str]:
    """Sites whose latitude and longitude look swapped (see the module docstring)."""
    sites = {r.location: (r.lat, r.lon) for r in rows}
    if len(sites) < 5:
        return []
    lat = float(np.median([v[0] for v in sites.values()]))
    lon = float(np.median([v[1] for v in sites.values()]))
    dist = {k: distance_km(lat, lon, a, b) for k, (a, b) in sites.items()}
    reach = SPREAD * float(np.median(list(dist.values())))
    out = []
    for k, (a, b) in sites.items():
        if abs(b) > 90 or dist[k] <= reach:
            continue
        if distance_km(lat, lon, b, a) <= reach:
            out.append(k)
    return sorted(out)


def _load_airconc(store: Store, path: Path, problems: list[ReadProblem]) -> int:
    rows = read_air_concentrations(path, problems)
    swapped = set(swapped_sites(rows))
    for name in sorted(swapped):
        problems.append(
            ReadProblem(
                str(path),
                "latitude and longitude swapped in the source; corrected",
                name,
                severity="warning",
            )
        )
    rows = [
        dataclasses.replace(r, lat=r.lon, lon=r.lat) if r.location in swapped else r for r in rows
    ]
    if not rows:
        return 0
    with store.session() as s:
        return merge_air_concentrations(s, rows)


def load_radionuclide(
    store: Store,
    paths: Iterable[str | os.PathLike[str]],
    problems: list[ReadProblem] | None = None,
    *,
    auth: str = "testban",
) -> LoadSummary:
    """Load every radionuclide file under ``paths`` into ``store`` (see the module)."""
    out = problems if problems is not None else []
    summary = LoadSummary()
    for path in _files(paths, out):
        kind = file_kind(path)
        if not kind:
            out.append(
                ReadProblem(
                    str(path),
                    "not a spectrum, xenon results or air-concentration file; skipped",
                    severity="warning",
                )
            )
            continue
        summary.files[str(path)] = kind
        try:
            if kind == "spectrum":
                for spectrum in read_spectra(path, out):
                    row = sample_data_row(spectrum, path=path.absolute(), auth=auth)
                    with store.session() as s:
                        sid = store_sample(s, row)
                        store_spectrum(s, sid, spectrum)
                    summary.spectra += 1
                    summary.sample_ids.append(sid)
            elif kind == "xenon":
                samples, probs = read_xenon_csv(path)
                out.extend(probs)
                folder = str(path.absolute().parent)
                with store.session() as s:
                    for x in samples:
                        sid = store_xenon_sample(s, x, dir=folder, dfile=path.name)
                        summary.xenon_samples += 1
                        summary.sample_ids.append(sid)
            else:
                summary.air_rows += _load_airconc(store, path, out)
        except Exception as exc:  # one file's failure must not stop the others
            log.exception("loading %s", path)
            out.append(ReadProblem(str(path), f"not loaded: {type(exc).__name__}: {exc}"))
    return summary
