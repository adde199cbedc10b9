"""Store back-ends for the tests: SQLite always, PostgreSQL when a URL is given.

``TESTBAN_TEST_POSTGRES_URL`` (e.g. from ``eval "$(.ci/postgres.sh)"``) points at a
database the tests may use; each test gets its own PostgreSQL schema, dropped afterwards,
so that parallel runs do not meet.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from testban.store import Store

POSTGRES_ENV = "TESTBAN_TEST_POSTGRES_URL"


def _sqlite(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "store.sqlite")
    yield store
    store.close()


def _postgres() -> Iterator[Store]:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f'PostgreSQL tests need {POSTGRES_ENV} (run `eval "$(.ci/postgres.sh)"`)')
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(f"{POSTGRES_ENV} is set but the server cannot be reached: {exc}")
    store = Store(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield store
    finally:
        store.close()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each back-end."""
    gen = _sqlite(tmp_path) if request.param == "sqlite" else _postgres()
    yield from gen
