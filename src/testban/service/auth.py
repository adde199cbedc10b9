"""Who is asking: signed session cookies and bearer tokens, roles, CSRF tokens, login pages.

A session is a signed token (HMAC-SHA256 over the user name, a random nonce and an expiry,
with the application's secret), sent as an ``HttpOnly``, ``SameSite=Strict`` cookie to
browsers or as ``Authorization: Bearer`` to programs (``POST /api/auth/token``). The
user's role is read from the store on every request, so removing a user or changing
their role takes effect at once. A form posted with the cookie must carry the session's
CSRF token (an HMAC of the session nonce) in the ``csrf_token`` field or the
``X-CSRF-Token`` header; a missing or forged one is refused (403). Bearer requests carry
no ambient credential and need no CSRF token.

No credentials: 401; a role too low for the request: 403. Reads (FDSN queries, pages)
stay open unless the application is made with ``open_reads=False``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from testban.review import User, authenticate, get_user
from testban.store import Store

TEMPLATES = Path(__file__).parent / "templates"
COOKIE = "testban_session"
LOGIN_COOKIE = "testban_login"
#: Lifetime of a session (s): a working day.
SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True, slots=True)
class Session:
    """An authenticated request: the user and how they came (cookie or bearer)."""

    user: User
    nonce: str
    via: str  # "cookie" or "bearer"


class Credentials(BaseModel):
    """A user name and password (for ``POST /api/auth/token``)."""

    name: str = Field(description="User name (`testban user add`).")
    password: str = Field(description="The user's password.")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Auth:
    """Sessions, tokens and CSRF tokens signed with one secret, users from ``store``."""

    def __init__(
        self,
        store: Store,
        secret: bytes | None = None,
        *,
        open_reads: bool = True,
        secure_cookies: bool = False,
    ):
        env = os.environ.get("TESTBAN_SECRET")
        self.secret = secret or (env.encode() if env else secrets.token_bytes(32))
        self.store = store
        self.open_reads = open_reads
        self.secure_cookies = secure_cookies

    # ------------------------------------------------------------------- tokens

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self.secret, payload, hashlib.sha256).digest())

    def issue(self, name: str, kind: str, seconds: int = SESSION_SECONDS) -> str:
        """A signed token for user ``name`` (``kind``: "cookie" or "bearer")."""
        body = {"u": name, "n": secrets.token_urlsafe(16), "e": int(time.time()) + seconds,
                "k": kind}  # fmt: skip
        payload = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(payload)}.{self._sign(payload)}"

    def _read(self, token: str, kind: str) -> dict[str, Any] | None:
        head, _, sig = token.partition(".")
        try:
            payload = _unb64(head)
        except ValueError:
            return None
        if not sig or not hmac.compare_digest(sig, self._sign(payload)):
            return None
        try:
            body = json.loads(payload)
        except ValueError:
            return None
        if body.get("k") != kind or int(body.get("e", 0)) < time.time():
            return None
        return body

    def csrf_token(self, nonce: str) -> str:
        """The CSRF token of the session with ``nonce``."""
        return self._sign(f"csrf:{nonce}".encode())

    # ------------------------------------------------------------------ requests

    def session(self, request: Request) -> Session | None:
        """The request's authenticated session (bearer first, then cookie), or None."""
        if hasattr(request.state, "auth_session"):
            cached: Session | None = request.state.auth_session
            return cached
        found: Session | None = None
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        body, via = None, ""
        if scheme.lower() == "bearer" and token:
            body, via = self._read(token.strip(), "bearer"), "bearer"
        elif request.cookies.get(COOKIE):
            body, via = self._read(request.cookies[COOKIE], "cookie"), "cookie"
        if body is not None:
            with self.store.session() as s:
                user = get_user(s, str(body["u"]))
            if user is not None:
                found = Session(user, str(body["n"]), via)
        request.state.auth_session = found
        return found

    def user(self, request: Request) -> User | None:
        """The request's user, or None."""
        s = self.session(request)
        return s.user if s is not None else None

    def require(self, request: Request, role: str) -> Session:
        """The session of a user with ``role`` (or higher): 401 without one, 403 below."""
        s = self.session(request)
        if s is None:
            raise HTTPException(
                401, "log in first (a session cookie or Authorization: Bearer)",
                headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
        if not s.user.can(role):
            raise HTTPException(403, f"{s.user.name} is a {s.user.role}; this needs {role}")
        return s

    def check_csrf(self, request: Request, s: Session, form: dict[str, str] | None) -> None:
        """403 unless a cookie session's request carries its CSRF token."""
        if s.via != "cookie":
            return
        given = request.headers.get("x-csrf-token") or (form or {}).get("csrf_token", "")
        if not given or not hmac.compare_digest(given, self.csrf_token(s.nonce)):
            raise HTTPException(403, "missing or wrong CSRF token; reload the page")

    def writer(self, request: Request, role: str, form: dict[str, str] | None = None) -> User:
        """The user of a write request: role checked, then the CSRF token (cookies)."""
        s = self.require(request, role)
        self.check_csrf(request, s, form)
        return s.user

    def page_context(self, request: Request) -> dict[str, Any]:
        """What templates need: the user and the CSRF token of the session."""
        s = self.session(request)
        if s is None:
            return {"user": None, "csrf_token": ""}
        return {"user": s.user, "csrf_token": self.csrf_token(s.nonce)}

    def set_cookie(self, response: Response, name: str) -> None:
        response.set_cookie(
            COOKIE, self.issue(name, "cookie"), max_age=SESSION_SECONDS, httponly=True,
            samesite="strict", secure=self.secure_cookies, path="/",
        )  # fmt: skip


async def form_data(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as ``{name: value}`` (last wins)."""
    ctype = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" not in ctype:
        return {}
    body = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _safe_next(target: str | None) -> str:
    """A local path to go to after logging in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def router(auth: Auth, *, title: str, docs_url: str | None = None) -> APIRouter:
    """Login and logout pages, and the token endpoint."""
    r = APIRouter(tags=["authentication"])
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals.update(site_title=title, docs_url=docs_url)

    def login_page(request: Request, status: int = 200, error: str | None = None,
                   name: str = "") -> HTMLResponse:  # fmt: skip
        nonce = secrets.token_urlsafe(16)
        context = {"error": error, "name": name, "next": _safe_next(request.query_params.get(
            "next")), "login_token": auth.csrf_token("login:" + nonce),
            **auth.page_context(request)}  # fmt: skip
        resp = templates.TemplateResponse(request, "login.html", context, status_code=status)
        resp.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, httponly=True, samesite="strict",
                        secure=auth.secure_cookies, path="/login")  # fmt: skip
        return resp

    @r.get("/login", response_class=HTMLResponse, name="login_page", include_in_schema=False)
    def login_get(request: Request) -> HTMLResponse:
        """The login form."""
        return login_page(request)

    @r.post("/login", include_in_schema=False, name="login_post")
    async def login_post(request: Request) -> Response:
        """Check the name and password; set the session cookie and go on."""
        form = await form_data(request)
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        given = form.get("login_token", "")
        if not nonce or not hmac.compare_digest(given, auth.csrf_token("login:" + nonce)):
            return login_page(request, 403, "the login form expired; try again")
        name = form.get("name", "").strip()
        with auth.store.session() as s:
            user = authenticate(s, name, form.get("password", ""))
        if user is None:
            return login_page(request, 401, "wrong user name or password", name)
        resp = RedirectResponse(_safe_next(form.get("next")), status_code=303)
        auth.set_cookie(resp, user.name)
        resp.delete_cookie(LOGIN_COOKIE, path="/login")
        return resp

    @r.post("/logout", include_in_schema=False, name="logout")
    async def logout(request: Request) -> Response:
        """End the session (the form carries the CSRF token)."""
        form = await form_data(request)
        s = auth.session(request)
        if s is not None:
            auth.check_csrf(request, s, form)
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    @r.post(
        "/api/auth/token", name="auth_token",
        responses={401: {"description": "Wrong user name or password"}},
    )  # fmt: skip
    def token(credentials: Credentials) -> JSONResponse:
        """A bearer token for the API (valid for a working day): send it as
        ``Authorization: Bearer <token>``."""
        with auth.store.session() as s:
            user = authenticate(s, credentials.name, credentials.password)
        if user is None:
            raise HTTPException(401, "wrong user name or password")
        return JSONResponse({"access_token": auth.issue(user.name, "bearer"),
                             "token_type": "bearer", "expires_in": SESSION_SECONDS,
                             "role": user.role})  # fmt: skip

    return r


def reads_guard(auth: Auth) -> Callable[[Request], None]:
    """A dependency that refuses anonymous reads (401) when reads are not open."""

    def guard(request: Request) -> None:
        if not auth.open_reads:
            auth.require(request, "viewer")

    return guard
