"""One call for a simulated IDC day, and writing it: CSS3.0 CSV tables and MiniSEED."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from obspy import Stream, UTCDateTime

from testban.io.css30 import write_tables
from testban.records.css30 import (
    Affiliation,
    Arrival,
    Assoc,
    Event,
    Origin,
    Record,
    Site,
    Sitechan,
)
from testban.simulate.arrivals import simulate_arrivals
from testban.simulate.seismicity import TimeLike, draw_events, epoch
from testban.simulate.stations import Station, as_stations, css_rows, ims_like_network
from testban.simulate.waveforms import simulate_waveforms

if TYPE_CHECKING:
    from testban.network import Network


@dataclass
class SimulationResult:
    """Everything a simulated day produced: ground truth, detections, stations, waveforms."""

    origins: list[Origin]
    arrivals: list[Arrival]
    assocs: list[Assoc]
    stations: list[Station]
    sites: list[Site] = field(default_factory=list)
    sitechans: list[Sitechan] = field(default_factory=list)
    affiliations: list[Affiliation] = field(default_factory=list)
    waveforms: Stream | None = None

    @property
    def events(self) -> list[Event]:
        """CSS3.0 ``event`` rows, one per ground-truth origin (its preferred origin)."""
        return [Event(evid=o.evid, prefor=o.orid, auth=o.auth) for o in self.origins]

    @property
    def false_fraction(self) -> float:
        """Share of arrivals that belong to no event."""
        return 1.0 - len(self.assocs) / len(self.arrivals) if self.arrivals else 0.0

    def tables(self) -> dict[str, Sequence[Record]]:
        """``{table: rows}`` for :func:`testban.io.css30.write_tables`."""
        return {
            "arrival": self.arrivals,
            "origin": self.origins,
            "assoc": self.assocs,
            "event": self.events,
            "site": self.sites,
            "sitechan": self.sitechans,
            "affiliation": self.affiliations,
        }


def simulate_day(
    start: TimeLike,
    seed: int = 0,
    network: Network | Sequence[Station] | Sequence[Site] | None = None,
    explosions: Sequence[tuple] = (),
    waveforms_for: Iterable[str] | None = None,
    duration: float = 86400.0,
    **event_options,
) -> SimulationResult:
    """Simulate ``duration`` seconds (a day) from ``start``: events, detections, tables.

    ``network`` defaults to :func:`ims_like_network` (seed 0, independent of ``seed``);
    ``waveforms_for`` names stations whose continuous waveforms are generated too.
    """
    t0 = epoch(start)
    t1 = t0 + duration
    stations = as_stations(network if network is not None else ims_like_network(0))
    events = draw_events(t0, t1, seed=seed, explosions=explosions, **event_options)
    arrivals, assocs, origins = simulate_arrivals(events, stations, seed=seed, start=t0, end=t1)
    rows = css_rows(stations)
    stream = None
    if waveforms_for is not None:
        stream = simulate_waveforms(events, stations, waveforms_for, t0, t1, seed=seed)
    return SimulationResult(
        origins,
        arrivals,
        assocs,
        stations,
        rows["site"],
        rows["sitechan"],
        rows["affiliation"],
        stream,
    )


def write_waveforms(stream: Stream, directory: str | Path) -> list[Path]:
    """Write ``stream`` as MiniSEED (STEIM2), one file per station and UTC day."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for sta in sorted({tr.stats.station for tr in stream}):
        part = stream.select(station=sta)
        first = min(tr.stats.starttime for tr in part)
        last = max(tr.stats.endtime for tr in part)
        day = UTCDateTime(first.date)
        while day <= last:
            piece = part.slice(day, day + 86400.0 - 1e-6)
            if len(piece):
                path = directory / f"{sta}.{day.year}.{day.julday:03d}.mseed"
                piece.write(str(path), format="MSEED", encoding="STEIM2")
                out.append(path)
            day += 86400.0
    return out


def write_simulation(result: SimulationResult, out_dir: str | Path) -> list[Path]:
    """Write the tables as ``<table>.csv`` and any waveforms under ``waveforms/``."""
    out_dir = Path(out_dir)
    paths = write_tables(result.tables(), out_dir)
    if result.waveforms is not None and len(result.waveforms):
        paths += write_waveforms(result.waveforms, out_dir / "waveforms")
    return paths
