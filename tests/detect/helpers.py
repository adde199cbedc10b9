"""Simulated single events at a simulated array, with their truth, for detector tests."""

from __future__ import annotations

import dataclasses

import numpy as np

from testban.network import Network
from testban.network import Station as NetStation
from testban.records.css30 import Origin
from testban.simulate import ims_like_network, simulate_waveforms
from testban.simulate.stations import as_stations
from testban.traveltime import travel_times
from testban.traveltime.geometry import distance_azimuth

T0 = 1704067200.0  # 2024-01-01


def sim_station(code: str = "ZAAR", noise_nm: float | None = None):
    """The simulator's station ``code`` (optionally with another noise level)."""
    st = next(s for s in as_stations(ims_like_network(0)) if s.code == code)
    return st if noise_nm is None else dataclasses.replace(st, noise_nm=noise_nm)


def sim_network(station) -> Network:
    """A testban Network of a simulated array (elements with offsets) or station."""
    if not station.is_array:
        return Network([NetStation(station.code, station.lat, station.lon)])
    rows = [NetStation(station.code, station.lat, station.lon, statype="ar")]
    rows += [
        NetStation(
            e.code, station.lat, station.lon, refsta=station.code, deast=e.deast, dnorth=e.dnorth
        )
        for e in station.elements
    ]
    return Network(rows)


def one_event(station, delta: float, baz: float, mb: float, t_event: float):
    """An Origin at ``delta`` ° and back azimuth ``baz`` from ``station``; with truth.

    Returns the origin and ``(onset, slowness s/°, baz)`` of its first P.
    """
    from testban.traveltime.geometry import destination

    lat, lon = destination(station.lat, station.lon, delta, baz)
    lat, lon = float(lat), float(lon)
    d, _az, seaz = distance_azimuth(lat, lon, station.lat, station.lon)
    pred = (
        travel_times().first_arrival(float(d), 10.0)
        if hasattr(travel_times(), "first_arrival")
        else None
    )
    p = travel_times().predict("P", float(d), 10.0)
    origin = Origin(lat=lat, lon=lon, depth=10.0, time=t_event, orid=1, evid=1, mb=mb, etype="eq")
    del pred
    # The simulated Earth is elliptical: its P carries the ellipticity correction.
    from testban.locate.ellipticity import correction
    from testban.traveltime.geometry import geocentric_latitude

    ell = correction(["P"], float(d), 10.0, float(geocentric_latitude(lat)), float(_az))[0]
    return origin, (t_event + float(p.time) + float(ell), float(p.slowness), float(seaz))


def simulate(station, origins, duration: float = 1800.0, seed: int = 3):
    """Waveforms of ``origins`` at ``station`` from :data:`T0` for ``duration`` s."""
    return simulate_waveforms(origins, [station], [station.code], T0, T0 + duration, seed=seed)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x))))
