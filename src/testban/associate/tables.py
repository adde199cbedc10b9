"""CSV in, CSV out: associate an ``arrival`` table with station metadata into a bulletin."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from obspy import UTCDateTime

from testban.associate.config import AssociatorConfig
from testban.associate.core import Result, associate
from testban.io.css30 import read_records, write_tables
from testban.io.problems import ReadProblem
from testban.magnitude import network_magnitudes, station_magnitudes
from testban.network import read_network
from testban.records.css30 import Amplitude, Arrival, Netmag, Stamag


def magnitudes(
    result: Result, arrivals: list[Arrival], network, amplitudes: Sequence[Amplitude] = ()
) -> tuple[list[Netmag], list[Stamag]]:
    """mb of every origin from its P amplitudes (``amplitude`` rows or ``arrival.amp/per``);
    sets ``origin.mb`` in place of ``result.origins`` and returns netmag/stamag rows."""
    by_orid: dict[int, list] = {}
    for s in result.assocs:
        by_orid.setdefault(s.orid, []).append(s)
    stamags: list[Stamag] = []
    for o in result.origins:
        stamags += station_magnitudes(amplitudes, arrivals, by_orid.get(o.orid, []), o, network,
                                      magtypes=("mb",))  # fmt: skip
    if not stamags:
        return [], []
    netmags, stas = network_magnitudes(stamags, mle=False, auth=result.origins[0].auth)
    mb = {n.orid: n for n in netmags if n.magtype == "mb_ave"}
    for k, o in enumerate(result.origins):
        if o.orid in mb:
            result.origins[k] = dataclasses.replace(o, mb=mb[o.orid].magnitude,
                                                    mbid=mb[o.orid].magid)  # fmt: skip
    return netmags, stas


def associate_tables(
    arrival_csv: str | os.PathLike,
    stations_meta: str | os.PathLike,
    out_dir: str | os.PathLike,
    config: AssociatorConfig | None = None,
    progress: Callable[[float], None] | None = None,
    *,
    amplitude_csv: str | os.PathLike | None = None,
) -> tuple[Result, list[Path]]:
    """Read ``arrival`` CSV and station metadata, associate, write the bulletin CSVs.

    Writes ``origin``, ``assoc``, ``origerr`` and, when amplitudes are available (an
    ``amplitude`` CSV, or ``amp``/``per`` on the arrivals), ``netmag`` and ``stamag``.
    Station metadata are taken at the time of the first arrival.
    """
    problems: list[ReadProblem] = []
    arrivals = read_records(arrival_csv, Arrival, problems)
    at = UTCDateTime(min(a.time for a in arrivals)) if arrivals else None
    network, net_problems = read_network(stations_meta, at=at)
    result = associate(arrivals, network, config, progress=progress)
    result.problems[:0] = problems + [p for p in net_problems if p.severity == "error"]
    amps: list[Amplitude] = []
    if amplitude_csv is not None:
        amps = read_records(amplitude_csv, Amplitude, problems)
    tables: dict[str, list] = {
        "origin": result.origins, "assoc": result.assocs, "origerr": result.origerrs,
    }  # fmt: skip
    netmags, stamags = magnitudes(result, arrivals, network, amps)
    if netmags:
        tables.update(origin=result.origins, netmag=netmags, stamag=stamags)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return result, write_tables(tables, out)
