"""Pages for people: they render the stored events and load nothing from other hosts."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest

from testban.service.app import STATIC
from tests.service.conftest import summary_etype

ALL_EVENTS = {1001, 1002, 1003, *range(2001, 2061)}


class _Links(HTMLParser):
    """Every ``src``/``href`` of a page, and the JSON data blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []  # tag, attribute, url
        self.data: dict[str, str] = {}
        self._json: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("src", "href", "action", "data-countries"):
            if a.get(name):
                self.urls.append((tag, name, str(a[name])))
        if tag == "script" and a.get("type") == "application/json":
            self._json = a.get("id") or ""
            self.data[self._json] = ""

    def handle_data(self, data: str) -> None:
        if self._json is not None:
            self.data[self._json] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._json = None


def _parse(html: str) -> _Links:
    p = _Links()
    p.feed(html)
    return p


def _features(html: str, block: str, kind: str) -> list[dict[str, Any]]:
    doc = json.loads(_parse(html).data[block])
    return [f for f in doc["features"] if f["properties"]["kind"] == kind]


def test_map_page_shows_every_event_with_its_ellipse(client: Any) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    events = _features(r.text, "map-data", "event")
    assert {f["properties"]["evid"] for f in events} == ALL_EVENTS
    ellipses = _features(r.text, "map-data", "ellipse90")
    assert len(ellipses) == len(ALL_EVENTS)
    ring = ellipses[0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) > 20
    assert "63 events shown" in r.text


def test_map_page_filters(client: Any) -> None:
    r = client.get("/", params={"minmagnitude": "5", "maxlatitude": "", "orderby": "magnitude"})
    assert r.status_code == 200
    mags = [f["properties"]["mb"] for f in _features(r.text, "map-data", "event")]
    assert mags and min(mags) >= 5.0
    assert 'value="5"' in r.text  # the form keeps the filter


def test_event_list_with_filters_and_pages(client: Any) -> None:
    r = client.get("/events")
    assert r.status_code == 200
    for evid in ALL_EVENTS:
        assert f'href="http://testserver/event/{evid}"' in r.text
    box = client.get(
        "/events",
        params={"minlatitude": "30", "maxlatitude": "50", "minlongitude": "120",
                "maxlongitude": "140", "starttime": "2024-03-01T00:00",
                "endtime": "2024-03-01T01:00"},
    )  # fmt: skip
    assert box.status_code == 200
    assert "/event/1001" in box.text and "North Korea" in box.text
    assert "/event/1002" not in box.text
    first = client.get("/events", params={"limit": "10", "orderby": "time-asc"})
    links = re.findall(r'href="http://testserver/event/(\d+)"', first.text)
    assert links[:3] == ["1001", "1002", "1003"] and len(links) == 10
    assert "next →" in first.text and "previous" not in first.text
    second = client.get("/events", params={"limit": "10", "orderby": "time-asc", "offset": "11"})
    assert re.findall(r'href="http://testserver/event/(\d+)"', second.text)[0] == "2008"
    assert "previous" in second.text


def test_event_type_filter_on_pages(client: Any) -> None:
    r = client.get("/events", params={"eventtype": "*explosion", "limit": "50"})
    assert r.status_code == 200
    assert set(re.findall(r'href="http://testserver/event/(\d+)"', r.text)) == {"1002", "1003"}
    assert '<td class="etype">nuclear explosion</td>' in r.text
    assert 'value="*explosion"' in r.text  # the form keeps the filter
    assert '<option value="quarry blast">' in r.text  # suggestions
    quakes = client.get("/events", params={"eventtype": "earthquake", "limit": "1000"}).text
    types = set(re.findall(r'<td class="etype">([^<]*)</td>', quakes))
    assert types == {"earthquake"}
    assert "/event/1001" in quakes and "/event/1002" not in quakes
    on_map = client.get("/", params={"eventtype": "nuclear explosion"})
    assert {f["properties"]["evid"] for f in _features(on_map.text, "map-data", "event")} == {1002}
    geo = client.get("/api/events.geojson", params={"eventtype": "quarry blast"}).json()
    blasts = {f["properties"]["evid"] for f in geo["features"]
              if f["properties"]["kind"] == "event"}  # fmt: skip
    assert blasts == {2001 + k for k in range(60) if summary_etype(k) == "qb"}
    bad = client.get("/events", params={"eventtype": "volcano"})
    assert bad.status_code == 400 and "eventtype" in bad.text
    assert "nuclear explosion (en)" in client.get("/event/1002").text


def test_bad_filter_is_a_400_page(client: Any) -> None:
    r = client.get("/events", params={"minmagnitude": "big"})
    assert r.status_code == 400 and "minmagnitude" in r.text and 'class="error"' in r.text
    assert client.get("/", params={"starttime": "soon"}).status_code == 400
    assert client.get("/api/events.geojson", params={"limit": "-1"}).status_code == 400


def test_event_page(client: Any) -> None:
    r = client.get("/event/1003")
    assert r.status_code == 200
    html = r.text
    for text in ("Origin", "90 % ellipse", "mb_ave", "ms_ave", "Arrivals (6)", "ILAR", "Pn",
                 "-0.60", "0.60", "QuakeML", "eventid=1003"):  # fmt: skip
        assert text in html, text
    stations = _features(html, "event-data", "station")
    assert {f["properties"]["sta"] for f in stations} == {"ARCES", "FINES", "MKAR", "WRA", "ILAR"}
    assert "No coordinates for USRK" in html
    assert len(_features(html, "event-data", "ellipse90")) == 1
    assert client.get("/event/2010").status_code == 200  # no arrivals: still a page
    missing = client.get("/event/424242")
    assert missing.status_code == 404 and "No event 424242" in missing.text


def test_geojson_api(client: Any) -> None:
    r = client.get("/api/events.geojson", params={"minmagnitude": 5, "limit": 3})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    doc = r.json()
    kinds = [f["properties"]["kind"] for f in doc["features"]]
    assert kinds.count("event") == 3 and kinds.count("ellipse90") == 3


@pytest.mark.parametrize("path", ["/", "/events", "/event/1002", "/docs"])
def test_pages_load_only_local_assets(client: Any, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    links = _parse(r.text)
    assert links.urls
    for tag, attr, url in links.urls:
        absolute = urljoin(f"http://testserver{path}", url)
        host = urlparse(absolute).netloc
        assert host == "testserver", f"{path}: <{tag} {attr}={url}> points at another host"
        if tag in ("script", "link") or attr == "data-countries":
            assert client.get(absolute).status_code == 200, url
    assert not re.search(r"https?://(?!testserver)[\w.-]+/[^\"'\s]*\.(js|css)", r.text)


def test_static_assets_have_no_remote_references(client: Any) -> None:
    for css in STATIC.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
            assert url.startswith(("data:", "#")) or "://" not in url, (css.name, url)
    own_js = (STATIC / "map.js").read_text(encoding="utf-8")
    assert "http://" not in own_js and "https://" not in own_js
    assert client.get("/static/vendor/leaflet/images/layers.png").status_code == 200


def test_vendored_files_keep_their_licences() -> None:
    vendor = STATIC / "vendor"
    for package in ("leaflet", "world-atlas", "topojson-client", "swagger-ui"):
        licence = vendor / package / "LICENSE"
        assert licence.is_file() and licence.stat().st_size > 100, package
    assert (vendor / "README.md").is_file()


def test_docs_and_openapi(client: Any) -> None:
    html = client.get("/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr" not in html and "fastapi.tiangolo.com" not in html
    spec = client.get("/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/fdsnws/event/1/query"]["get"]["parameters"]}
    assert {"starttime", "maxradius", "minmagnitude", "format", "nodata"} <= params


def test_templates_and_static_exist() -> None:
    here = Path(STATIC).parent
    for name in ("base.html", "map.html", "events.html", "event.html", "missing.html"):
        assert (here / "templates" / name).is_file()
