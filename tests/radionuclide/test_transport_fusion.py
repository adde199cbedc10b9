"""Fusion with transport: a release at the event's cells against the best elsewhere, and the
combined verdict with the ratio clock."""

from __future__ import annotations

import math

import numpy as np
import pytest

from testban.io.srs import Receptor, ReleaseCells, SourceReceptor
from testban.radionuclide.fusion import FusionVerdict
from testban.radionuclide.psr import Measurements
from testban.radionuclide.transport_fusion import (
    EventLocation,
    TransportVerdict,
    assess_event,
    assess_transport,
    combine,
    event_cells,
)
from testban.radionuclide.xenon import XenonResult, XenonSample
from tests.radionuclide.srs_synth import HOUR, case, release


@pytest.fixture(scope="module")
def plume() -> SourceReceptor:
    return case(seed=1)


def _cells(plume: SourceReceptor) -> np.ndarray:
    c = plume.cells
    early = c.time_start < c.time_start.min() + 48 * HOUR
    return np.flatnonzero(early & (np.abs(c.lat - 41.0) < 1.6) & (np.abs(c.lon - 129.0) < 2.6))


def _event_at(plume: SourceReceptor, j: int, dt: float = 600.0, dlat: float = 0.0) -> EventLocation:
    c = plume.cells
    return EventLocation(
        c.time_start[j] + dt, c.lat[j] + 0.1 + dlat, c.lon[j] - 0.1, 20.0, 10.0, 30.0
    )


def test_consistent_when_the_release_is_at_the_event(plume: SourceReceptor):
    rng = np.random.default_rng(5)
    for k, j in enumerate(rng.choice(_cells(plume), 5, replace=False)):
        meas = release(plume, int(j), q=1e15, seed=k)
        ev = _event_at(plume, int(j))
        v = assess_transport(ev, plume, meas, [(ev.time, ev.time + 3 * HOUR)])
        assert v.verdict == "consistent", v.reason
        assert v.delta <= 7.815 and v.posterior_event > v.prior_event
        assert 1e15 / 3 < v.release_bq < 3e15  # the fitted release, within a factor 3


def test_inconsistent_when_the_release_was_elsewhere(plume: SourceReceptor):
    """A release 2° (≈ 220 km) away from the event, or a day later, is told apart."""
    rng = np.random.default_rng(6)
    judged = []
    for k, j in enumerate(rng.choice(_cells(plume), 5, replace=False)):
        meas = release(plume, int(j), seed=k)
        c = plume.cells
        far = EventLocation(c.time_start[j] + 600.0, c.lat[j] + (2.0 if c.lat[j] < 41 else -2.0),
                            c.lon[j], 20.0, 10.0, 30.0)  # fmt: skip
        late = _event_at(plume, int(j), dt=24 * HOUR + 600.0)
        for ev in (far, late):
            judged.append(assess_transport(ev, plume, meas, [(ev.time, ev.time + 3 * HOUR)]))
    assert all(v.verdict == "inconsistent" for v in judged), [v.reason for v in judged]


def _tiny() -> tuple[SourceReceptor, Measurements]:
    nan = np.full(3, np.nan)
    cells = ReleaseCells(np.zeros(3), np.full(3, 3 * HOUR), np.array([40.0, 41.0, 42.0]),
                         np.array([129.0, 129.0, 129.0]), nan, nan.copy(), 1.0, 1.0)  # fmt: skip
    m = np.array([[1e-15, 0.0, 2e-15], [3e-15, 0.0, 1e-15]])
    rec = (Receptor("a", "A"), Receptor("b", "B"))
    meas = Measurements(np.array([1.0, 3.0]), np.array([0.1, 0.1]), np.array([True, True]))
    return SourceReceptor(m, cells, rec), meas


def test_inconsistent_when_sensitivities_never_touch_the_event_cell():
    sr, meas = _tiny()
    v = assess_transport(EventLocation(600.0, 41.0, 129.0), sr, meas)
    assert v.verdict == "inconsistent" and "never reach" in v.reason and "a, b" in v.reason
    ok = assess_transport(EventLocation(600.0, 40.0, 129.0), sr, meas)
    assert ok.verdict == "consistent" and ok.release_bq == pytest.approx(1e15, rel=0.05)


def test_not_assessable_without_srs_detections_or_coverage():
    sr, meas = _tiny()
    ev = EventLocation(600.0, 40.0, 129.0)
    assert assess_transport(ev, None, None).verdict == "not assessable"
    none = Measurements(np.array([np.nan, np.nan]), np.array([0.1, 0.1]), np.array([False, False]))
    v = assess_transport(ev, sr, none)
    assert v.verdict == "not assessable" and "no detection" in v.reason
    v = assess_transport(EventLocation(600.0, 10.0, 10.0), sr, meas)
    assert v.verdict == "not assessable" and "outside the SRS grid" in v.reason
    v = assess_transport(EventLocation(30 * 86400.0, 40.0, 129.0), sr, meas)
    assert v.verdict == "not assessable" and "outside the SRS release times" in v.reason


def test_event_cells_follow_the_ellipse():
    sr, _ = _tiny()
    point, _ = event_cells(sr, EventLocation(600.0, 40.9, 129.0), [(0.0, 3600.0)])
    assert list(point) == [False, True, False]
    wide, _ = event_cells(sr, EventLocation(600.0, 40.9, 129.0, 120.0, 20.0, 0.0), [(0.0, 3600.0)])
    assert list(wide) == [True, True, True]  # a 120 km N–S semi-major axis spans ±1.08°
    east, _ = event_cells(sr, EventLocation(600.0, 40.9, 129.0, 120.0, 20.0, 90.0), [(0.0, 3600.0)])
    assert list(east) == [False, True, False]


def _fv(verdict: str) -> FusionVerdict:
    return FusionVerdict(verdict, f"clock says {verdict}")


def _tv(verdict: str) -> TransportVerdict:
    return TransportVerdict(verdict, f"transport says {verdict}")


@pytest.mark.parametrize(
    ("clock", "transport", "expected"),
    [("consistent", "consistent", "consistent"),
     ("consistent", "not assessable", "consistent"),
     ("not assessable", "consistent", "consistent"),
     ("inconsistent", "consistent", "inconsistent"),
     ("consistent", "inconsistent", "inconsistent"),
     ("not assessable", "not assessable", "not assessable"),
     ("mixed", "not assessable", "mixed")],
)  # fmt: skip
def test_combined_verdict(clock: str, transport: str, expected: str):
    verdict, reason = combine(_fv(clock), _tv(transport))
    assert verdict == expected
    assert f"clock says {clock}" in reason and f"transport says {transport}" in reason


def test_assess_event_uses_transport_when_the_clock_cannot(plume: SourceReceptor):
    """Samples with Xe-133 only: no ratio, so the clock is not assessable; the transport
    places the release at the event → consistent, with both reasons."""
    j = int(_cells(plume)[100])
    meas = release(plume, j)
    samples = [XenonSample(r.sample_id, r.station, r.collect_start, r.collect_stop,
                           {"Xe-133": XenonResult("Xe-133", c * 1e3 if d else math.nan, 0.0,
                                                  m * 1e3, bool(d))}, r.lat, r.lon)
               for r, c, m, d in zip(plume.receptors, meas.conc, meas.mdc, meas.detected,
                                     strict=True)]  # fmt: skip
    ev = _event_at(plume, j)
    v = assess_event(ev, samples, plume, meas)
    assert v.clock.verdict == "not assessable"
    assert v.transport.verdict == "consistent" and v.verdict == "consistent"
    assert "transport" in v.reason and "clock" in v.reason
    without = assess_event(ev, samples)
    assert without.verdict == "not assessable" and "no SRS" in without.reason


def test_published_clock_dprk_2013_and_an_unrelated_earthquake():
    """Takasaki, April 2013: "fission more than 50 days before" (CTBTO 2013). The DPRK test
    of 2013-02-12 is consistent in time; the deep M6.3 earthquake of 2013-04-05 13:00:02
    at 42.74°N 131.00°E (USGS), 3.5 days before, is not; an event after the collection
    is not either."""
    from obspy import UTCDateTime

    from testban.radionuclide.transport_fusion import published_clock_verdict
    from testban.radionuclide.xenon_published import published_xenon

    rows, problems = published_xenon()
    assert not problems
    tak = next(r for r in rows if r.id == "takasaki_2013")
    dprk = EventLocation(UTCDateTime("2013-02-12T02:57:51").timestamp, 41.29, 129.08)
    quake = EventLocation(UTCDateTime("2013-04-05T13:00:02").timestamp, 42.736, 131.003)
    after = EventLocation(UTCDateTime("2013-04-12T20:33:18").timestamp, 34.369, 134.828)
    assert published_clock_verdict(dprk, tak).verdict == "consistent"
    assert published_clock_verdict(quake, tak).verdict == "inconsistent"
    assert "before the origin" in published_clock_verdict(after, tak).reason
    none = next(r for r in rows if r.id == "ussuriysk_2013")
    assert published_clock_verdict(dprk, none).verdict == "not assessable"
