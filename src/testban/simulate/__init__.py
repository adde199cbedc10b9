"""A simulated IMS and its IDC detections, for testing the pipeline end to end.

Pure functions from parameters to CSS3.0 records (I/O in :func:`write_simulation`):

>>> from testban.simulate import simulate_day, write_simulation
>>> day = simulate_day("2024-01-01", seed=1, waveforms_for=["ZAAR"])   # doctest: +SKIP
>>> write_simulation(day, "sim-out")                                   # doctest: +SKIP
"""

from testban.simulate.arrivals import simulate_arrivals
from testban.simulate.day import SimulationResult, simulate_day, write_simulation, write_waveforms
from testban.simulate.landmask import is_land
from testban.simulate.seismicity import TEST_SITES, ZONES, SourceZone, draw_events
from testban.simulate.stations import (
    Element,
    Station,
    as_stations,
    css_rows,
    ims_like_network,
    stations_from_sites,
)
from testban.simulate.waveforms import simulate_waveforms

__all__ = [
    "TEST_SITES",
    "ZONES",
    "Element",
    "SimulationResult",
    "SourceZone",
    "Station",
    "as_stations",
    "css_rows",
    "draw_events",
    "ims_like_network",
    "is_land",
    "simulate_arrivals",
    "simulate_day",
    "simulate_waveforms",
    "stations_from_sites",
    "write_simulation",
    "write_waveforms",
]
