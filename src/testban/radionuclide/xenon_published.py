"""Published radioxenon observations carried as cited facts (``data/xenon_published.csv``).

Each row is a measured ratio or a published statement (time since fission, release
delay) with the event the source relates it to; the file's header names every source.
Values that were not recalled exactly are left empty, never guessed.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from testban.io.problems import ReadProblem
from testban.radionuclide.xenon import Ratio, isotope_name


@dataclass(frozen=True)
class PublishedXenon:
    """One published observation (see the CSV header for the columns' meaning)."""

    id: str
    label: str
    source_type: str
    kind: str
    station: str
    lat: float
    lon: float
    time_start: float
    time_stop: float
    ratio: Ratio
    age_min_days: float
    age_max_days: float
    delay_min_days: float
    delay_max_days: float
    event_time: float
    reference: str

    @property
    def time_mid(self) -> float:
        return 0.5 * (self.time_start + self.time_stop)


def _f(text: str | None) -> float:
    return float(text) if text and text.strip() else math.nan


def parse_published(text: str, file: str = "") -> tuple[list[PublishedXenon], list[ReadProblem]]:
    """Rows of a published-observations CSV; bad rows are reported and skipped."""
    from obspy import UTCDateTime

    rows = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    out: list[PublishedXenon] = []
    problems: list[ReadProblem] = []
    for k, row in enumerate(csv.DictReader(io.StringIO("\n".join(rows)))):
        try:
            num, den = (isotope_name(p) for p in row["ratio"].split("/"))
            if num is None or den is None:
                raise ValueError(f"unknown ratio {row['ratio']!r}")
            value, err = _f(row["value"]), _f(row["err"])
            kind = "value" if math.isfinite(value) else "none"
            why = "" if kind == "value" else "not carried (see the reference)"
            ratio = Ratio(num, den, value, err if math.isfinite(err) else 0.0, kind, why)
            out.append(
                PublishedXenon(
                    row["id"],
                    row["label"],
                    row["source_type"],
                    row["kind"],
                    row["station"],
                    _f(row["lat"]),
                    _f(row["lon"]),
                    UTCDateTime(row["time_start"]).timestamp,
                    UTCDateTime(row["time_stop"]).timestamp,
                    ratio,
                    _f(row["age_min_days"]),
                    _f(row["age_max_days"]),
                    _f(row["delay_min_days"]),
                    _f(row["delay_max_days"]),
                    UTCDateTime(row["event_time"]).timestamp,
                    row["reference"],
                )  # fmt: skip
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            problems.append(ReadProblem(file, str(exc), f"row {k + 1}", row.get("id") or ""))
    return out, problems


def published_xenon(
    path: str | Path | None = None,
) -> tuple[list[PublishedXenon], list[ReadProblem]]:
    """The packaged published observations (or those of ``path``)."""
    if path is None:
        res = resources.files("testban.radionuclide").joinpath("data/xenon_published.csv")
        return parse_published(res.read_text(encoding="utf-8"), "xenon_published.csv")
    return parse_published(Path(path).read_text(encoding="utf-8"), str(path))
