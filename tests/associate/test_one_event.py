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


@pytest.mark.xfail(
    strict=True,
    reason="issue 11, measured 2026-12-08: 1 event, not 2. Alone, the small event at 3 "
    "stations scores 25.2 at its true hypocentre (threshold 20) yet the search does not "
    "form it; at 4 stations it forms alone (33.4) but not beside the big event (24.6 at "
    "its true hypocentre: the big event's 40 detections raise the false-detection rates, "
    "estimated from all detections, from 1-2 to 3-6 per hour): the DPRK collapse case "
    "(BENCHMARKS.md, DPRK 7/7 and window boundaries)",
)
def test_a_small_event_minutes_after_a_big_one_is_its_own_event():
    # The 2017 test and its collapse 8.5 min later, as the regional network saw them:
    # the big event's Pn, Pg, Sn and Lg at 10 stations, unidentified; the small one's
    # first P and Pg at its 3 nearest stations only. Its arrivals fall after the big
    # event's Lg everywhere, so no phase of the big event explains them: the small
    # event must form, and take none of the big event's detections.
    net = _regional(3)
    big = _vertical_only(_phase_arrivals(net, *SOURCE, 0.0, T0 + 300.0, PHASES, 1), "N")
    d = np.hypot(net.lat() - SOURCE[0], net.lon() - SOURCE[1])
    near = Network(net[c] for c in np.asarray(net.codes)[np.argsort(d)[:3]])
    small = _vertical_only(_phase_arrivals(near, *SOURCE, 0.0, T0 + 810.0, ("Pn", "Pg"), 1001), "N")
    res = associate(big + small, net)
    assert len(res.origins) == 2
    first, second = sorted(res.origins, key=lambda o: o.time)
    assert first.time - T0 == pytest.approx(300.0, abs=1.0)
    assert second.time - T0 == pytest.approx(810.0, abs=2.0)
    by: dict[int, set[int]] = {}
    for s in res.assocs:
        by.setdefault(s.orid, set()).add(s.arid)
    assert by[second.orid] <= {a.arid for a in small}
