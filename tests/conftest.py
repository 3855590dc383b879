"""Shared test helpers: where ``../shared`` is, and how a missing fixture behaves.

In CI (``CI=true``) a missing ``../shared`` fixture fails the test; elsewhere it
skips with the reason, so a developer without ``shared/`` can still run the rest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from marsad.store.duckdb import DuckDBStore

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MARSAD_SHARED", ROOT.parent / "shared"))


def shared_file(relative: str) -> Path:
    """Path of a file under ``../shared``; fails in CI and skips elsewhere if absent."""
    path = SHARED / relative
    if not path.exists():
        message = f"shared fixture missing: {path}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    s = DuckDBStore(tmp_path / "ws")
    yield s
    s.close()
