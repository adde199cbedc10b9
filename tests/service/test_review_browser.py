"""In headless Chromium: an analyst logs in, rejects an event on its page and sees it
marked rejected (driven over the DevTools protocol on a pipe, no driver library).

Skipped when Chromium is not installed (``apt-get install -y chromium``; the path can be
set with ``TESTBAN_CHROMIUM``). The screenshot is kept in ``build/test-artefacts/``.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testban.review import add_user, audit_trail
from testban.store import Store
from tests.review.conftest import fill
from tests.service.test_screenshot import ARTEFACTS, CHROMIUM

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)),
    reason=f"headless Chromium not found at {CHROMIUM} (apt-get install -y chromium)",
)


class Browser:
    """Chromium with ``--remote-debugging-pipe``: commands on fd 3, replies on fd 4."""

    def __init__(self, profile: Path):
        # the child's fds 3 and 4 are the pipe ends (set by the bash that execs Chromium;
        # the ends are moved above 9 first so that the redirections cannot clash)
        child_r, self._w = os.pipe()
        self._r, child_w = os.pipe()
        moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (child_r, child_w)]
        os.close(child_r)
        os.close(child_w)
        child_r, child_w = moved
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-pipe",
                "about:blank"]  # fmt: skip
        self.proc = subprocess.Popen(
            ["/bin/bash", "-c", f'exec "$0" "$@" 3<&{child_r} 4>&{child_w}', CHROMIUM, *args],
            pass_fds=(child_r, child_w), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(child_r)
        os.close(child_w)
        self._buf = b""
        self._id = 0
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]

    def send(self, method: str, params: dict | None = None, *, page: bool = False) -> Any:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if page:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + 60
        while True:
            while b"\0" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._r], [], [], left)[0]:
                    raise TimeoutError(f"no answer to {method}")
                chunk = os.read(self._r, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed the pipe")
                self._buf += chunk
            raw, _, self._buf = self._buf.partition(b"\0")
            reply = json.loads(raw)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def js(self, expression: str) -> Any:
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                      page=True)  # fmt: skip
        return r.get("result", {}).get("value")

    def wait(self, condition: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.js(f"document.readyState === 'complete' && ({condition})"):
                return
            time.sleep(0.1)
        raise TimeoutError(f"never true: {condition} (at {self.js('location.href')})")

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url}, page=True)
        self.wait(f"location.href === {json.dumps(url)}")

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png"}, page=True)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        os.close(self._w)
        os.close(self._r)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    import uvicorn

    from testban.service import create_app

    store = Store(tmp_path / "browser.sqlite")
    fill(store)
    with store.session() as s:
        add_user(s, "ana", "analyst", "ana-secret-1")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(store), log_level="warning",
                                           lifespan="off"))  # fmt: skip
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", store
    server.should_exit = True
    thread.join(10)
    sock.close()
    store.close()


def test_analyst_logs_in_rejects_and_sees_it_marked(served, tmp_path: Path):
    base, store = served
    browser = Browser(tmp_path / "profile")
    try:
        browser.goto(f"{base}/event/1001")
        assert browser.js("document.querySelector('form.review-reject') === null")
        browser.goto(f"{base}/login?next=/event/1001")
        browser.js("""
            document.querySelector('input[name=name]').value = 'ana';
            document.querySelector('input[name=password]').value = 'ana-secret-1';
            document.querySelector('form.login').submit();""")
        browser.wait("location.pathname === '/event/1001'")
        browser.js("""
            const f = document.querySelector('form.review-reject');
            f.querySelector('input[name=reason]').value = 'teleseismic noise burst';
            f.submit();""")
        browser.wait("location.search.includes('reviewed=reject')")
        banner = browser.js(
            "(document.querySelector('.review-status.rejected') || {}).textContent || ''"
        )
        browser.screenshot(ARTEFACTS / "review-rejected.png")
        # the session cookie is not readable from scripts (HttpOnly)
        assert "testban_session" not in browser.js("document.cookie")
    finally:
        browser.close()
    assert "Rejected by ana" in banner and "teleseismic noise burst" in banner
    with store.session() as s:
        trail = audit_trail(s, 1001)
    assert [(a.user, a.action) for a in trail] == [("ana", "reject")]
