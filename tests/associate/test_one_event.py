"""One event per source (issue 11): later phases of a formed event join it, they do not
build a second event; distinct events nearby in time stay distinct."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from testban.associate import AssociatorConfig, associate
from testban.locate import LocatorConfig
from testban.network import Network, Station
from testban.records.css30 import Arrival
from tests.associate.test_associate import T0, _phase_arrivals

PHASES = ("Pn", "Pg", "Sn", "Lg")
#: The depth rule before issue 11 (free depth unless its 90 % half-interval exceeds 150 km):
#: with it, a regional-only event's depth ran deep and its later phases formed a second
#: event, the case the one-event rule must handle whatever depth the locator settles on.
PERMISSIVE = LocatorConfig(default_deltim=1.0, outlier_sigma=0.0, n_starts=1, max_sdepth=150.0)
SOURCE = (35.0, 140.0)


def _regional(seed: int, n: int = 10) -> Network:
    """``n`` primary stations 2–12° around the source, on all sides."""
    rng = np.random.default_rng(seed)
    d = rng.uniform(2.0, 12.0, n)
    az = np.radians(rng.uniform(0, 360, n))
    return Network(
        Station(f"R{i}", float(SOURCE[0] + d[i] * np.cos(az[i])),
                float(SOURCE[1] + 1.2 * d[i] * np.sin(az[i])), 0.0, affiliations=("IMS_PRI",))
        for i in range(n)
    )  # fmt: skip


def _vertical_only(arr: list[Arrival], label: str) -> list[Arrival]:
    """As a single vertical channel gives them: no azimuth or slowness, one label for all
    (``N``: unidentified, or ``P``: a detector that calls every onset P)."""
    return [dataclasses.replace(a, iphase=label, azimuth=-1.0, slow=-1.0) for a in arr]


@pytest.mark.parametrize("seed", [2, 3, 5])
def test_unidentified_secondary_phases_join_the_first_event(seed: int):
    # Pn, Pg, Sn and Lg at 10 vertical-only stations: without the one-event rule the
    # later phases formed a second event seconds after the first (the DPRK case).
    net = _regional(seed)
    arr = _vertical_only(_phase_arrivals(net, *SOURCE, 0.0, T0 + 300.0, PHASES, 1), "N")
    before = associate(arr, net, AssociatorConfig(one_event_per_source=False, locator=PERMISSIVE))
    assert len(before.origins) >= 2  # the case is real
    assert len(associate(arr, net, AssociatorConfig(locator=PERMISSIVE)).origins) == 1
    res = associate(arr, net)  # and with the default (issue 11) depth rule
    assert len(res.origins) == 1
    o = res.origins[0]
    assert abs(o.time - (T0 + 300.0)) < 1.0
    assert abs(o.lat - SOURCE[0]) < 0.1 and abs(o.lon - SOURCE[1]) < 0.1
    got = {s.arid for s in res.assocs}
    assert len(got) >= len(arr) - 1  # every phase, or all but one
    assert {"Pg", "Sn", "Lg"} <= {s.phase for s in res.assocs}


@pytest.mark.parametrize("seed", [2, 3])
def test_s_phases_labelled_p_do_not_form_a_second_event(seed: int):
    # The same with every onset labelled P and no slowness to say otherwise: Sn and Lg
    # cannot be S-type phases of the first event by their labels, and formed a ghost.
    net = _regional(seed)
    arr = _vertical_only(_phase_arrivals(net, *SOURCE, 0.0, T0 + 300.0, PHASES, 1), "P")
    before = associate(arr, net, AssociatorConfig(one_event_per_source=False, locator=PERMISSIVE))
    assert len(before.origins) >= 2
    assert len(associate(arr, net, AssociatorConfig(locator=PERMISSIVE)).origins) == 1
    res = associate(arr, net)
    assert len(res.origins) == 1
    o = res.origins[0]
    assert abs(o.time - (T0 + 300.0)) < 1.0
    assert abs(o.lat - SOURCE[0]) < 0.1 and abs(o.lon - SOURCE[1]) < 0.1


def test_two_sources_at_one_site_stay_two_events():
    # A test and a smaller event at the same site 120 s later (as the 2017 test and its
    # collapse, closer in time): each has its own first arrivals; neither is merged.
    net = _regional(3)
    a = _phase_arrivals(net, *SOURCE, 0.0, T0 + 300.0, PHASES, 1)
    b = _phase_arrivals(net, *SOURCE, 0.0, T0 + 420.0, ("Pn", "Pg"), 1001)
    res = associate(a + b, net)
    assert len(res.origins) == 2
    t = sorted(o.time - T0 for o in res.origins)
    assert t[0] == pytest.approx(300.0, abs=1.0) and t[1] == pytest.approx(420.0, abs=1.0)
    by = {}
    for s in res.assocs:
        by.setdefault(s.orid, set()).add(s.arid)
    first = min(res.origins, key=lambda o: o.time).orid
    assert by[first] == {x.arid for x in a}
