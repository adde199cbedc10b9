"""`testban run`'s event formation takes infrasound detections: an infrasound-only event."""

from __future__ import annotations

from testban.associate import AssociatorConfig
from testban.network import Network, Station
from testban.pipeline.run import form_events
from testban.records.earth import KM_PER_DEG
from testban.traveltime import distance_azimuth
from tests.locate.test_bisl import T0, synthetic_event


def test_infrasound_detections_form_a_located_event_in_the_window():
    arrivals, stations, src = synthetic_event(seed=4, n_arrays=5)
    network = Network([Station(sta, lat, lon) for sta, (lat, lon, _) in stations.items()])
    bulletin = form_events(arrivals, [], network, T0 - 3600.0, T0 + 3600.0, AssociatorConfig(),
                           auth="ndc")  # fmt: skip
    assert len(bulletin.origins) == 1
    o = bulletin.origins[0]
    assert o.auth == "ndc" and T0 - 3600.0 <= o.time < T0 + 3600.0
    assert {a.phase for a in bulletin.assocs} == {"I"} and len(bulletin.assocs) == 5
    km = float(distance_azimuth(o.lat, o.lon, *src)[0]) * KM_PER_DEG
    assert km < 100.0  # five arrays at 150–700 km, 3° winds: tens of km (BENCHMARKS, BISL)


def test_an_event_outside_the_window_is_left_to_its_own_window():
    arrivals, stations, _ = synthetic_event(seed=4, n_arrays=5)
    network = Network([Station(sta, lat, lon) for sta, (lat, lon, _) in stations.items()])
    # the located origin time lies within a few hundred s of T0 (celerity spread)
    bulletin = form_events(arrivals, [], network, T0 + 1800.0, T0 + 5400.0, AssociatorConfig())
    assert bulletin.origins == []
