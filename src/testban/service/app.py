"""The application: FDSN event service, pages, static files and self-hosted API docs.

>>> from testban.service import create_app, serve
>>> app = create_app("out/testban.sqlite")         # doctest: +SKIP
>>> serve("out/testban.sqlite", port=8000)          # doctest: +SKIP

Every asset a page loads is served from ``/static`` (Leaflet, the Natural Earth basemap,
Swagger UI): the pages work without internet access.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from testban.service import auth as auth_
from testban.service import (
    fdsn,
    fdsn_dataselect,
    fdsn_station,
    pages,
    radionuclide_pages,
    review,
)
from testban.store import Store, open_store

STATIC = Path(__file__).parent / "static"
#: Paths open even when reads need a login (the login itself, its assets, the token).
OPEN_PATHS = ("/login", "/static/", "/api/auth/token")
SWAGGER = STATIC / "vendor" / "swagger-ui"


def create_app(
    store_target: str | os.PathLike[str] | Store,
    *,
    catalog: str = "testban",
    title: str = "testban",
    max_events: int = 20000,
    secret: bytes | None = None,
    open_reads: bool = True,
    secure_cookies: bool = False,
) -> FastAPI:
    """A FastAPI application serving the store at ``store_target`` (path, URL or Store).

    ``catalog`` is the catalog name the FDSN service reports; ``max_events`` the most
    events one FDSN query returns (more is an HTTP 413 asking for a narrower query).
    A store opened here is closed when the application shuts down. Writes (analyst
    review) need a login (:mod:`testban.service.auth`); ``open_reads=False`` makes every
    read need one too; ``secret`` signs sessions (default ``$TESTBAN_SECRET``, else a
    random one per process); ``secure_cookies`` marks the session cookie ``Secure``
    (behind HTTPS).
    """
    own = not isinstance(store_target, Store)
    store = open_store(store_target) if not isinstance(store_target, Store) else store_target

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if own:
            store.close()

    docs = SWAGGER.joinpath("swagger-ui-bundle.js").is_file()
    app = FastAPI(
        title=f"{title} data centre",
        summary="FDSN event web service and event pages over a testban store.",
        version=_package_version(),
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    auth = auth_.Auth(store, secret, open_reads=open_reads, secure_cookies=secure_cookies)
    app.state.auth = auth
    if not open_reads:

        @app.middleware("http")
        async def closed_reads(request: Request, call_next: Any) -> Response:
            path = request.url.path
            if path.startswith(OPEN_PATHS) or auth.session(request) is not None:
                return await call_next(request)
            if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                return RedirectResponse(f"/login?next={path}", status_code=303)
            return JSONResponse({"detail": "log in first"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})  # fmt: skip

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(fdsn.router(store, catalog=catalog, max_events=max_events))
    app.include_router(fdsn_station.router(store))
    app.include_router(fdsn_dataselect.router(store))
    page_router = pages.router(store, title=title, docs_url="/docs" if docs else None)
    app.include_router(page_router)
    app.include_router(
        radionuclide_pages.router(store, title=title, docs_url="/docs" if docs else None)
    )
    app.include_router(auth_.router(auth, title=title, docs_url="/docs" if docs else None))
    app.include_router(review.router(store, auth, title=title, docs_url="/docs" if docs else None))

    if docs:

        @app.get("/docs", include_in_schema=False)
        def swagger(request: Request) -> HTMLResponse:
            static = request.url_for("static", path="vendor/swagger-ui/")
            return get_swagger_ui_html(
                openapi_url=str(request.url_for("openapi")),
                title=f"{title} API",
                swagger_js_url=f"{static}swagger-ui-bundle.js",
                swagger_css_url=f"{static}swagger-ui.css",
                swagger_favicon_url=str(request.url_for("static", path="favicon.svg")),
            )

    return app


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("testban")
    except PackageNotFoundError:
        return "unknown"


def serve(
    store_target: str | os.PathLike[str],
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    log_level: str = "info",
    open_reads: bool = True,
) -> None:
    """Serve the store at ``store_target`` on ``http://host:port/`` until interrupted
    (``open_reads=False``: every read needs a login too)."""
    import uvicorn

    app = create_app(store_target, open_reads=open_reads)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
