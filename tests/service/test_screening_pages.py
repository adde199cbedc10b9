"""Screening on the service: the FDSN ``screening`` filter and the event page's table."""

from __future__ import annotations

from tests.service.conftest import summary_events


def _deep_and_shallow():
    origins = summary_events()["origin"]
    deep = [o for o in origins if o.depth > 100 and o.mb >= 3.5]
    shallow = [o for o in origins if o.depth < 5]
    return deep, shallow


def _evids(text: str) -> set[int]:
    rows = [ln.split("|") for ln in text.strip().splitlines()[1:]]
    return {int(r[0]) for r in rows if r and r[0].isdigit()}


def test_screening_filter_selects_by_outcome(client):
    deep, shallow = _deep_and_shallow()
    assert deep and shallow
    r = client.get("/fdsnws/event/1/query", params={"screening": "screened out", "format": "text"})
    assert r.status_code == 200, r.text
    out = _evids(r.text)
    assert {o.evid for o in deep} <= out
    assert not out & {o.evid for o in shallow}
    both = {"screening": "notassessed,not screened out", "format": "text"}
    r = client.get("/fdsnws/event/1/query", params=both)
    rest = _evids(r.text)
    assert not rest & out
    assert {1001, 1002, 1003} <= rest  # never screened: not assessed


def test_bad_screening_value_is_a_400(client):
    r = client.get("/fdsnws/event/1/query", params={"screening": "suspicious"})
    assert r.status_code == 400 and "screening" in r.text


def test_event_page_shows_every_criterion_against_its_line(client):
    deep, _ = _deep_and_shallow()
    html = client.get(f"/event/{deep[0].evid}").text
    assert "<h2>Screening</h2>" in html
    for label in ("Depth (km)", "Ms − 1.25 mb", "Offshore", "screened out", "not assessed"):
        assert label in html
    assert 'class="crit-bar"' in html  # the depth value drawn against 10 km
    unscreened = client.get("/event/1001").text
    assert "Not screened" in unscreened
