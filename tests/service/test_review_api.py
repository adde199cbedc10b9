"""Review writes need an analyst: 401 anonymous, 403 viewer, 403 without or with a forged
CSRF token; the session cookie is HttpOnly and SameSite; reads stay open."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from testban.review import ACTIONS, add_user
from testban.store import Store
from tests.review.conftest import fill

PASSWORDS = {"ana": "ana-secret-1", "vic": "vic-secret-1", "adm": "adm-secret-1"}
ROLES = {"ana": "analyst", "vic": "viewer", "adm": "admin"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = Store(tmp_path / "api.sqlite")
    fill(st)
    with st.session() as s:
        for name, role in ROLES.items():
            add_user(s, name, role, PASSWORDS[name])
    yield st
    st.close()


@pytest.fixture
def client(store: Store) -> Iterator:
    from fastapi.testclient import TestClient

    from testban.service import create_app

    with TestClient(create_app(store, secret=b"k" * 32)) as c:
        yield c


def _bearer(client, name: str) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"name": name, "password": PASSWORDS[name]})
    assert r.status_code == 200
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _login(client, name: str, password: str | None = None):
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"name": name, "password": password or PASSWORDS[name],
                                       "login_token": token, "next": "/event/1001"},
                       follow_redirects=False)  # fmt: skip


def _write_paths() -> list[str]:
    return [f"/api/review/events/1001/{a}" if a != "create" else "/api/review/events"
            for a in ACTIONS]  # fmt: skip


def test_every_write_refuses_anonymous_and_viewer(client):
    viewer = _bearer(client, "vic")
    for path in _write_paths():
        assert client.post(path, json={}).status_code == 401, path
        assert client.post(path, json={}, headers=viewer).status_code == 403, path
    assert client.post("/event/1001/review", data={"action": "accept"}).status_code == 401
    assert client.post("/review/create", data={"arids": "1,2,3"}).status_code == 401
    assert client.get("/api/users", headers=_bearer(client, "ana")).status_code == 403
    assert client.get("/api/users", headers=_bearer(client, "adm")).status_code == 200


def test_wrong_password_and_forged_token_are_refused(client):
    assert client.post("/api/auth/token", json={"name": "ana", "password": "x"}).status_code == 401
    assert _login(client, "ana", "wrong-password").status_code == 401
    good = _bearer(client, "ana")["Authorization"]
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    r = client.post("/api/review/events/1001/accept", headers={"Authorization": forged})
    assert r.status_code == 401


def test_analyst_writes_with_a_bearer_token(client):
    r = client.post("/api/review/events/1001/reject", json={"reason": "noise"},
                    headers=_bearer(client, "ana"))  # fmt: skip
    assert r.status_code == 200
    body = r.json()
    assert body["evid"] == 1001 and body["orid"] > 1003
    audit = client.get("/api/review/audit", headers=_bearer(client, "vic")).json()
    assert audit[0]["action"] == "reject" and audit[0]["user"] == "ana"
    assert client.get("/api/review/audit").status_code == 401
    # a stale version is a conflict, a bad request a 400, an unknown event a 404
    ana = _bearer(client, "ana")
    assert client.post("/api/review/events/1001/accept", json={"expect_orid": 1001},
                       headers=ana).status_code == 409  # fmt: skip
    assert client.post("/api/review/events/1001/reject", json={}, headers=ana).status_code == 400
    assert client.post("/api/review/events/999/accept", headers=ana).status_code == 404


def test_session_cookie_flags(client):
    r = _login(client, "ana")
    assert r.status_code == 303 and r.headers["location"] == "/event/1001"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("testban_session="))
    flags = {p.strip().split("=")[0].lower() for p in cookie.split(";")[1:]}
    assert "httponly" in flags and "samesite" in flags
    assert re.search(r"samesite=(strict|lax)", cookie, re.I)


def test_forms_need_the_sessions_csrf_token(client, store: Store):
    _login(client, "ana")
    page = client.get("/event/1001")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = {"action": "reject", "reason": "noise"}
    missing = client.post("/event/1001/review", data=form, follow_redirects=False)
    forged = client.post("/event/1001/review", data={**form, "csrf_token": csrf[::-1]},
                         follow_redirects=False)  # fmt: skip
    api = client.post("/api/review/events/1001/accept", json={})  # cookie, no header
    assert (missing.status_code, forged.status_code, api.status_code) == (403, 403, 403)
    from testban.review import audit_trail

    with store.session() as s:
        assert not audit_trail(s)
    ok = client.post("/event/1001/review", data={**form, "csrf_token": csrf},
                     follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303
    assert "Rejected by ana" in client.get("/event/1001").text
    header = client.post("/api/review/events/1002/accept", headers={"X-CSRF-Token": csrf})
    assert header.status_code == 200
    # a token of another session is refused too
    client.post("/logout", data={"csrf_token": csrf})
    _login(client, "ana")
    assert client.post("/event/1002/review", data={"action": "accept", "csrf_token": csrf},
                       follow_redirects=False).status_code == 403  # fmt: skip


def test_reads_stay_open_and_the_reviewed_catalog_is_served(client):
    assert client.get("/fdsnws/event/1/query?format=text").status_code == 200
    assert client.get("/event/1001").status_code == 200
    assert client.get("/fdsnws/event/1/query?catalog=reviewed").status_code == 204
    client.post("/api/review/events/1002/accept", headers=_bearer(client, "ana"))
    text = client.get("/fdsnws/event/1/query?catalog=reviewed&format=text").text
    rows = text.strip().splitlines()[1:]
    assert [r.split("|")[0] for r in rows] == ["1002"] and rows[0].split("|")[5] == "ana"
    assert "reviewed" in client.get("/fdsnws/event/1/catalogs").text
    ims = client.get("/api/review/bulletin?format=ims1.0")
    assert ims.status_code == 200 and "BEGIN IMS1.0" in ims.text
    assert "/api/review/events/{evid}/relocate" in client.get("/openapi.json").json()["paths"]


def test_closed_reads_need_a_login(store: Store):
    from fastapi.testclient import TestClient

    from testban.service import create_app

    with TestClient(create_app(store, secret=b"k" * 32, open_reads=False)) as c:
        assert c.get("/fdsnws/event/1/query").status_code == 401
        assert c.get("/login").status_code == 200
        assert c.get("/fdsnws/event/1/query?format=text",
                     headers=_bearer(c, "vic")).status_code == 200  # fmt: skip


def test_serve_binds_loopback_by_default():
    import inspect

    from testban.cli import serve
    from testban.service import app as service_app

    assert inspect.signature(service_app.serve).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
