"""One event per source across window boundaries (issue 11): a source whose origin time
lies seconds from the boundary between two processing windows, its arrivals in both, is
formed once — by the window that holds its origin time — and re-running never
duplicates it."""

from __future__ import annotations

from pathlib import Path

import pytest

from testban.associate import Associator, AssociatorConfig, PriorEvent
from testban.pipeline.run import RunConfig, run_pipeline
from testban.store import open_store, read_rows
from tests.associate.test_associate import _phase_arrivals
from tests.associate.test_one_event import PHASES, SOURCE, _regional, _vertical_only

#: A window boundary (an hour, as the run's windows are aligned).
BOUNDARY = 1_700_013_600.0 + 3 * 3600.0


def _arrivals(seed: int, offset: float, label: str):
    net = _regional(seed)
    arr = _phase_arrivals(net, *SOURCE, 0.0, BOUNDARY + offset, PHASES, 1)
    return net, _vertical_only(arr, label)


def _origins(db: Path, net, arr, **config) -> list:
    with open_store(db) as store:
        report = run_pipeline(
            [], net, store, start=BOUNDARY - 3600.0, end=BOUNDARY + 3600.0, external=arr,
            config=RunConfig(**config),
        )  # fmt: skip
        assert report.totals()["failed"] == 0, report.text()
        with store.session() as s:
            return read_rows(s, "origin")


# Vertical-only detections (no azimuth or slowness) of Pn, Pg, Sn and Lg at 10 stations:
# before, an origin 0.5–6 s after the boundary let the first window form ghosts from
# subsets of the arrivals (the source itself belonged to the next window), and one
# seconds before it let the next window form a second event from the later phases the
# first had left (labels "P"); a merge could also move an event out of its window
# (the store then refused the window).
@pytest.mark.parametrize("label", ["N", "P"])
@pytest.mark.parametrize(("seed", "offset"), [(2, -0.5), (2, 0.5), (5, 0.5), (3, -3.0), (5, 3.0)])
def test_a_source_at_a_window_boundary_is_formed_once(tmp_path, seed, offset, label):
    net, arr = _arrivals(seed, offset, label)
    db = tmp_path / "s.sqlite"
    origins = _origins(db, net, arr)
    assert len(origins) == 1, [round(o.time - BOUNDARY, 1) for o in origins]
    o = origins[0]
    assert o.time - BOUNDARY == pytest.approx(offset, abs=1.0)
    assert abs(o.lat - SOURCE[0]) < 0.1 and abs(o.lon - SOURCE[1]) < 0.1
    # Re-running every window keeps the one event, with its id.
    again = _origins(db, net, arr, redo=True)
    assert [(x.orid, round(x.time, 3)) for x in again] == [(o.orid, round(o.time, 3))]


def test_the_next_window_weighs_its_events_against_the_earlier_windows():
    # Origin 0.5 s before the boundary, every onset labelled "P": the first window forms
    # the event; the next window, given that event's detections as taken, finds a
    # second event in the later phases the first left free — unless it is given the
    # event itself, against which the one-event rule weighs the newcomer.
    net, arr = _arrivals(2, -0.5, "P")
    asc = Associator(net, AssociatorConfig())
    first = asc.run_window(arr, BOUNDARY - 3600.0, BOUNDARY)
    assert len(first.origins) == 1
    o = first.origins[0]
    taken = [a.arid for a in first.assocs]
    blind = asc.run_window(arr, BOUNDARY, BOUNDARY + 3600.0, taken)
    assert len(blind.origins) >= 1  # the case is real
    prior = PriorEvent(o.lat, o.lon, o.depth, o.time, tuple(taken))
    assert asc.run_window(arr, BOUNDARY, BOUNDARY + 3600.0, taken, [prior]).origins == []
    # ... and the pipeline's test for "associate again" sees the rivalry.
    new = [PriorEvent(x.lat, x.lon, x.depth, x.time, tuple(
        a.arid for a in blind.assocs if a.orid == x.orid)) for x in blind.origins]  # fmt: skip
    assert asc.conflicts(arr, new, [prior])


def test_a_source_after_the_boundary_leaves_no_ghost_in_the_window_before():
    # Origin 0.5 s after the boundary: the window before must not form an event from
    # some of its arrivals (before: ghosts 3–200 s before the boundary).
    net, arr = _arrivals(2, 0.5, "N")
    asc = Associator(net, AssociatorConfig())
    assert asc.run_window(arr, BOUNDARY - 3600.0, BOUNDARY).origins == []
    after = asc.run_window(arr, BOUNDARY, BOUNDARY + 3600.0)
    assert len(after.origins) == 1
