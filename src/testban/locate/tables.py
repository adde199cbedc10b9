"""Relocate every event of a bulletin from its own defining assoc rows; CSV in, CSV out."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from obspy import UTCDateTime

from testban.io.css30 import read_records, write_tables
from testban.io.problems import ReadProblem
from testban.locate.locator import LocateError, Location, LocatorConfig, locate
from testban.locate.observations import Observations, Stations
from testban.network import read_network
from testban.records.css30 import Arrival, Assoc, Origerr, Origin, Record, rounded

#: ``origin.dtype`` values that mean the depth was fixed (by an analyst, "g", or by the
#: location program, "r"): such depths are kept fixed when relocating, as LocSAT had them.
FIXED_DTYPES = ("g", "r")
#: ``origin.dtype`` values of a depth the reference kept free ("f"; "d": from depth phases):
#: relocated free as well, without our resolution rule (the reference judged it resolved).
FREE_DTYPES = ("f", "d")


class Relocated(NamedTuple):
    """What :func:`locate_bulletin` returns: CSS3.0 rows, problems, and the full results."""

    origins: list[Origin]
    origerrs: list[Origerr]
    assocs: list[Assoc]
    problems: list[ReadProblem]
    locations: dict[int, Location]


def locate_bulletin(
    arrivals: Iterable[Arrival],
    assocs: Iterable[Assoc],
    network: Stations,
    origins: Iterable[Origin] | None = None,
    *,
    config: LocatorConfig | None = None,
    start_from_origins: bool = False,
) -> Relocated:
    """Relocate every ``orid`` in ``assocs`` from its defining rows.

    ``origins`` (optional) are used only for the depth decision — an origin whose depth
    was fixed (``dtype`` "g" or "r") is relocated with the depth fixed at the same value,
    one whose depth was free ("f", "d") with a free depth, as LocSAT had them; without
    an origin (or a ``dtype``) the locator's resolution rule decides — for ``evid``, and,
    with ``start_from_origins``, as the starting hypothesis (otherwise every event starts
    from the global grid search).
    Events that cannot be located are reported in ``problems``, not raised.
    """
    by_arid = {a.arid: a for a in arrivals}
    by_orid: dict[int, list[Assoc]] = {}
    for s in assocs:
        by_orid.setdefault(s.orid, []).append(s)
    ref = {o.orid: o for o in origins or ()}
    out = Relocated([], [], [], [], {})
    for orid, rows in by_orid.items():
        obs, problems = Observations.from_records(by_arid, rows, network, source="assoc")
        out.problems.extend(problems)
        o = ref.get(orid)
        depth: float | str | None = None
        if o is not None and o.dtype in FIXED_DTYPES and o.depth > -999:
            depth = o.depth
        elif o is not None and o.dtype in FREE_DTYPES:
            depth = "free"
        start = o if (start_from_origins and o is not None) else None
        try:
            loc = locate(
                obs,
                start=start,
                depth=depth,
                config=config,
                orid=orid,
                evid=o.evid if o is not None else -1,
            )
        except LocateError as exc:
            out.problems.append(ReadProblem("assoc", str(exc), f"orid {orid}"))
            continue
        out.problems.extend(loc.problems)
        out.origins.append(loc.origin)
        out.origerrs.append(loc.origerr)
        out.assocs.extend(loc.assocs)
        out.locations[orid] = loc
    return out


def locate_tables(
    arrival_csv: str | os.PathLike[str],
    assoc_csv: str | os.PathLike[str],
    stations_meta: str | os.PathLike[str] | list,
    out_dir: str | os.PathLike[str],
    origin_csv: str | os.PathLike[str] | None = None,
    *,
    config: LocatorConfig | None = None,
) -> tuple[list[Path], list[ReadProblem]]:
    """Read CSS3.0 tables, relocate every orid, write origin/origerr/assoc CSVs.

    Station epochs are taken at the time of the earliest arrival. Returns the written
    paths and the problems (bad rows, unknown stations, events that cannot be located).
    """
    problems: list[ReadProblem] = []
    arrivals = read_records(arrival_csv, Arrival, problems)
    assocs = read_records(assoc_csv, Assoc, problems)
    origins = read_records(origin_csv, Origin, problems) if origin_csv else None
    times = [a.time for a in arrivals if a.time > -9e9]
    at = UTCDateTime(min(times)) if times else None
    network, _ = read_network(stations_meta, at=at)
    result = locate_bulletin(arrivals, assocs, network, origins, config=config)
    problems.extend(result.problems)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Sequence[Record]] = {
        "origin": result.origins,
        "origerr": result.origerrs,
        "assoc": result.assocs,
    }
    paths = write_tables({t: [rounded(r) for r in rows] for t, rows in tables.items()}, out)
    return paths, problems
