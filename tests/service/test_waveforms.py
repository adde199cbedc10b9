"""Waveforms with picks on the event page and at ``/event/{evid}/waveforms.svg``.

The store's waveforms are those of :mod:`tests.service.waveform_data`: MiniSEED files for
three stations of event 1002 (one of them an array read through an element), a missing
file, a station without ``wfdisc`` rows, and an unreadable file for event 1003.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest

from testban.records.css30 import Arrival, Assoc
from testban.service.waveforms import AFTER, BEFORE, Segment, TraceView, WaveformPlot, render_svg
from testban.store import Store, read_rows
from tests.service.waveform_data import NOISE, WAVELET

SVG = "{http://www.w3.org/2000/svg}"


def _svg(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    return root


def _traces(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "trace"]


def _points(d: str) -> list[np.ndarray]:
    """The polylines of a path (one per ``M``) as (n, 2) arrays of x, y."""
    out = []
    for part in d.split("M")[1:]:
        pts = [tuple(map(float, p.split(","))) for p in part.split()]
        out.append(np.array(pts))
    return out


def _x_of(root: ET.Element, rel: float) -> float:
    """Where ``rel`` s after the first arrival lies: from the axis' 0 and 120 s labels."""
    labels = {t.text: float(t.get("x", "nan")) for t in root.iter(f"{SVG}text")}
    x0, x120 = labels["0"], labels["120"]
    return x0 + rel * (x120 - x0) / 120.0


@pytest.fixture(scope="module")
def picks(store: Store) -> dict[str, list[tuple[str, float, float]]]:
    """Station → (phase, arrival time, time residual) of event 1002's associated arrivals."""
    with store.session() as s:
        assocs = [a for a in read_rows(s, "assoc") if isinstance(a, Assoc) and a.orid == 1002]
        arrivals = {a.arid: a for a in read_rows(s, "arrival") if isinstance(a, Arrival)}
    out: dict[str, list[tuple[str, float, float]]] = {}
    for a in assocs:
        out.setdefault(a.sta, []).append((a.phase, arrivals[a.arid].time, a.timeres))
    return out


@pytest.fixture(scope="module")
def svg_1002(client: Any) -> ET.Element:
    r = client.get("/event/1002/waveforms.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<?xml")
    return _svg(r.text)


def test_stations_by_distance_vertical_channel_array_element(svg_1002: ET.Element) -> None:
    traces = _traces(svg_1002)
    # WRA's file is missing, ILAR has no wfdisc row: the three others, nearest first.
    assert [g.get("data-sta") for g in traces] == ["MKAR", "FINES", "ARCES"]
    deltas = [float(g.get("data-delta", "nan")) for g in traces]
    assert deltas == sorted(deltas) == [12.85, 22.29, 31.53]
    by_sta = {g.get("data-sta"): g for g in traces}
    assert by_sta["FINES"].get("data-chan") == "BHZ"  # not BHN
    # ARCES arrivals, ARA0/ARB1 waveforms: the element at the array's reference point.
    assert by_sta["ARCES"].get("data-wfsta") == "ARA0"
    assert by_sta["MKAR"].get("data-wfsta") == "MKAR"
    assert "ARA0 BHZ" in "".join(by_sta["ARCES"].itertext())


def test_marks_at_arrivals_and_predicted_times(
    svg_1002: ET.Element, picks: dict[str, list[tuple[str, float, float]]]
) -> None:
    for g in _traces(svg_1002):
        sta = g.get("data-sta", "")
        (phase, time, res) = picks[sta][0]
        assert float(g.get("data-t0", "nan")) == pytest.approx(time, abs=1e-3)
        marks = {m.get("class"): m for m in g.iter(f"{SVG}g") if m.get("class") != "trace"}
        arr, pred = marks["arrival"], marks["predicted"]
        assert arr.get("data-phase") == pred.get("data-phase") == phase
        assert "".join(arr.itertext()) == phase
        assert float(arr.get("data-time", "nan")) == pytest.approx(time, abs=1e-3)
        assert float(pred.get("data-time", "nan")) == pytest.approx(time - res, abs=1e-3)
        # Drawn where the axis says: the arrival at 0 s, the prediction -res s from it.
        line = arr.find(f"{SVG}line")
        assert line is not None
        assert float(line.get("x1", "nan")) == pytest.approx(_x_of(svg_1002, 0.0), abs=0.15)
        pline = pred.find(f"{SVG}line")
        assert pline is not None and pline.get("stroke-dasharray")
        assert float(pline.get("x1", "nan")) == pytest.approx(_x_of(svg_1002, -res), abs=0.15)
    residuals = {sta: p[0][2] for sta, p in picks.items()}
    assert residuals["FINES"] != 0.0  # the prediction test above separates the two marks


def test_traces_are_band_passed_and_decimated(svg_1002: ET.Element) -> None:
    """The 0.1 Hz swell (400 counts) is filtered out: before the onset only noise is left."""
    x0, xa = _x_of(svg_1002, -BEFORE), _x_of(svg_1002, 0.0)
    x_end = _x_of(svg_1002, AFTER)
    for g in _traces(svg_1002):
        path = g.find(f"{SVG}path")
        assert path is not None
        lines = _points(path.get("d", ""))
        assert len(lines) == 1, "one unbroken trace (FINES is joined from two files)"
        pts = lines[0]
        assert pts[0, 0] == pytest.approx(x0, abs=1.5)
        assert pts[-1, 0] == pytest.approx(x_end, abs=1.5)
        assert len(pts) <= 2 * (x_end - x0) + 4  # at most min and max per pixel column
        top, row = float(g.get("data-top", "nan")), float(g.get("data-row", "nan"))
        assert top <= pts[:, 1].min() and pts[:, 1].max() <= top + row
        quiet = pts[(pts[:, 0] > x0 + 40) & (pts[:, 0] < xa - 5), 1]
        loud = pts[(pts[:, 0] > xa) & (pts[:, 0] < xa + (xa - x0) / 3), 1]
        spread = np.ptp(loud) / np.ptp(quiet)
        assert spread > 4.0, (g.get("data-sta"), spread)
        peak = float(g.get("data-peak", "nan"))
        assert 0.3 * WAVELET < peak < 1.5 * WAVELET + 5 * NOISE  # the wavelet, not the swell


def test_event_page_embeds_the_plot_and_says_what_is_missing(client: Any) -> None:
    html = client.get("/event/1002").text
    block = re.search(r'(?s)<section class="waveforms">(.*?)</section>', html)
    assert block is not None
    root = _svg(re.search(r"(?s)<svg.*?</svg>", block.group(1)).group(0))  # type: ignore[union-attr]
    assert len(_traces(root)) == 3
    assert "0.8–4.5 Hz" in block.group(1) and "mb band" in block.group(1)
    assert 'href="http://testserver/event/1002/waveforms.svg"' in block.group(1)
    assert "WRA.missing.mseed: not a readable file" in block.group(1)
    assert "no wfdisc rows cover the arrivals at ILAR" in block.group(1)
    assert "Waveforms not available" not in block.group(1)


def test_unreadable_or_absent_waveforms_do_not_break_the_page(client: Any) -> None:
    page = client.get("/event/1003")
    assert page.status_code == 200 and "Arrivals (6)" in page.text
    assert "Waveforms not available" in page.text
    assert "ARCES.garbage.w: unknown waveform format" in page.text
    assert "<svg" not in page.text.split('<section class="waveforms">')[1].split("</section>")[0]
    svg = client.get("/event/1003/waveforms.svg")
    assert svg.status_code == 404 and "ARCES.garbage.w" in svg.text
    none = client.get("/event/1001")
    assert none.status_code == 200
    assert "Waveforms not available: no wfdisc rows cover the arrivals at MKAR, FINES" in none.text
    no_arrivals = client.get("/event/2010")
    assert no_arrivals.status_code == 200 and "no associated arrivals" in no_arrivals.text
    assert client.get("/event/424242/waveforms.svg").status_code == 404


def test_min_max_decimation_keeps_spikes_and_gaps() -> None:
    """A one-sample spike in 100 Hz data survives decimation; a gap is left open."""
    rate, t0 = 100.0, 1000.0
    n = int((BEFORE + AFTER) * rate / 2)
    a = np.sin(np.arange(n) / 7.0)
    b = np.sin(np.arange(n) / 7.0)
    a[n // 2] = 50.0  # the peak, at the top of the row
    view = TraceView("STA", "STA", "BHZ", 10.0, t0, [], [
        Segment(t0 - BEFORE, rate, a),
        Segment(t0 - BEFORE + n / rate + 5.0, rate, b),  # 5 s gap
    ])  # fmt: skip
    root = _svg(render_svg(WaveformPlot(1, [view]), width=700, row=80))
    (g,) = _traces(root)
    path = g.find(f"{SVG}path")
    assert path is not None
    lines = _points(path.get("d", ""))
    assert len(lines) == 2  # the gap
    top = float(g.get("data-top", "nan"))
    ys = np.concatenate([p[:, 1] for p in lines])
    assert ys.min() == pytest.approx(top + 40 - 0.45 * 80, abs=0.11)  # the spike is kept
    assert sum(len(p) for p in lines) <= 2 * 700  # decimated: 30 000 samples → columns
