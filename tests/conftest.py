"""Shared fixtures: where the real reference data lives, and skipping when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared_path(*parts: str) -> Path:
    """A path inside ../shared/data; the calling test is skipped when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real reference data not found at {path} (set TESTBAN_SHARED_DATA)")
    return path


@pytest.fixture
def shared_data() -> Path:
    """The root of ../shared/data (skips the test when absent)."""
    return shared_path()
