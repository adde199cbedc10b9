"""A store holding a small automatic bulletin (tests.bulletin.synthetic, auth testban),
with the stations' ``site`` rows and two unassociated arrivals near the first event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testban.records.css30 import Arrival, Site, jdate
from testban.store import Store, insert_tables
from tests.bulletin.synthetic import STATIONS, synthetic_bulletin
from tests.service.conftest import SITES, T0

#: Arids of the stored detections no event has.
FREE_ARIDS = (60001, 60002, 60003)


def free_arrivals(tables: dict) -> list[Arrival]:
    """Arrivals of the first event's stations 2 s after its own (a second, unassociated
    set a new event can be built from)."""
    first = [a for a in tables["arrival"] if a.arid in {s.arid for s in tables["assoc"]
                                                          if s.orid == 1001}]  # fmt: skip
    out = []
    for arid, a in zip(FREE_ARIDS, first, strict=False):
        t = a.time + 600.0
        out.append(Arrival(sta=a.sta, time=t, arid=arid, jdate=jdate(t), chan=a.chan,
                           iphase=a.iphase, deltim=0.5, auth="testban"))  # fmt: skip
    return out


def fill(store: Store) -> dict:
    tables = synthetic_bulletin(3, t0=T0)
    sites = [Site(sta=sta, ondate=2000001, lat=la, lon=lo, elev=0.1)
             for sta, (la, lo) in SITES.items()]  # fmt: skip
    assert {s[0] for s in STATIONS} <= set(SITES)
    with store.session() as s:
        insert_tables(s, tables)
        insert_tables(s, {"site": sites, "arrival": free_arrivals(tables)})
    return tables


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = Store(tmp_path / "review.sqlite")
    fill(st)
    yield st
    st.close()
