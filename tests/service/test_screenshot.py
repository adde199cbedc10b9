"""The map pages in headless Chromium: the basemap and the events are drawn, offline.

Skipped when Chromium is not installed (``apt-get install -y chromium``; the path can be
set with ``TESTBAN_CHROMIUM``). The screenshots are kept in ``build/test-artefacts/``
(``TESTBAN_TEST_ARTEFACTS`` to put them elsewhere).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("TESTBAN_CHROMIUM", "/usr/bin/chromium")
ARTEFACTS = Path(os.environ.get("TESTBAN_TEST_ARTEFACTS", ROOT / "build" / "test-artefacts"))

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)),
    reason=f"headless Chromium not found at {CHROMIUM} (apt-get install -y chromium)",
)


def screenshot(url: str, png: Path, tmp: Path, size: str = "1280,800") -> np.ndarray:
    """Load ``url`` in headless Chromium, save a PNG, return its RGB pixels (0–255)."""
    from PIL import Image

    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp / 'chromium-profile'}",
        "--virtual-time-budget=10000", f"--screenshot={png}", f"--window-size={size}", url,
    ]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert png.is_file(), f"no screenshot: rc={run.returncode}\n{run.stderr[-2000:]}"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(png, ARTEFACTS / png.name)
    with Image.open(png) as im:
        return np.asarray(im.convert("RGB"), dtype=np.int16)


def _share(img: np.ndarray, rgb: tuple[int, int, int], tol: int = 6) -> float:
    return float(np.mean(np.all(np.abs(img - np.array(rgb)) <= tol, axis=-1)))


OCEAN, LAND = (0xB9, 0xD3, 0xE6), (0xF2, 0xEF, 0xE6)


def test_map_page_shows_basemap_and_events(live_url: str, tmp_path: Path) -> None:
    img = screenshot(f"{live_url}/", tmp_path / "service-map.png", tmp_path)
    assert img.shape[:2] == (800, 1280)
    assert _share(img, OCEAN) > 0.15, "no ocean: the map did not draw"
    assert _share(img, LAND) > 0.08, "no land: the offline basemap did not load"
    below = img[160:]  # the map, without the page header (the same blue as deep events)
    r, g, b = below[..., 0], below[..., 1], below[..., 2]
    shallow = (r > 180) & (g < 110) & (b < 100)  # red event markers (depth < 35 km)
    deep = (b > 130) & (r < 80) & (g < 140)  # blue event markers (depth > 300 km)
    assert shallow.sum() > 200 and deep.sum() > 200, "event markers missing"


def test_event_page_shows_stations(live_url: str, tmp_path: Path) -> None:
    img = screenshot(f"{live_url}/event/1002", tmp_path / "service-event.png", tmp_path,
                     size="1280,1000")  # fmt: skip
    assert _share(img, OCEAN) > 0.03 and _share(img, LAND) > 0.02
    star = (img[..., 0] > 170) & (img[..., 1] < 80) & (img[..., 2] < 70)  # the epicentre
    assert star.sum() > 20


def _vertical_runs(mask: np.ndarray, length: int) -> int:
    """Number of vertical runs of at least ``length`` True pixels in ``mask``."""
    runs = 0
    for col in mask.T:
        edges = np.flatnonzero(np.diff(np.r_[0, col.astype(np.int8), 0]))
        runs += int(np.sum(edges[1::2] - edges[::2] >= length))
    return runs


def test_event_page_shows_waveforms_with_picks(live_url: str, tmp_path: Path) -> None:
    img = screenshot(f"{live_url}/event/1002", tmp_path / "service-event-waveforms.png",
                     tmp_path, size="1280,2000")  # fmt: skip
    red = (img[..., 0] > 150) & (img[..., 1] < 110) & (img[..., 2] < 100)
    blue = (img[..., 2] > 150) & (img[..., 0] < 90) & (img[..., 1] > 80) & (img[..., 1] < 150)
    ink = np.all(img < 90, axis=-1)
    # One solid red arrival line per trace (the map draws nothing that tall and straight).
    assert _vertical_runs(red, 45) >= 3, "arrival marks missing"
    rows = np.flatnonzero(red.sum(axis=1))
    band = slice(max(int(rows.min()) - 10, 0), int(rows.max()) + 10)
    assert blue[band].sum() > 30, "predicted-time marks missing"
    assert ink[band].sum() > 3000, "traces missing"
