"""Fixtures of the store tests: a throwaway PostgreSQL database for the team store.

PostgreSQL is the one running on 127.0.0.1:5432 (``MARSAD_TEST_PG`` overrides
the server URL); each test gets a database of its own, dropped afterwards.
Outside CI a missing server or a missing ``team`` extra skips with the
reason; in CI it fails.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER = os.environ.get("MARSAD_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def server_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh PostgreSQL database URL (and a data path under *tmp_path*)."""
    for module in ("psycopg", "duckdb_extension_ducklake", "duckdb_extension_postgres"):
        if importlib.util.find_spec(module) is None:
            _unavailable(f"{module} is not installed (pip install 'marsad[team]')")
    import psycopg
    from psycopg import sql

    name = "marsad_test_" + uuid.uuid4().hex[:12]
    try:
        admin = psycopg.connect(SERVER + "/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _unavailable(f"no PostgreSQL at {SERVER}: {exc}")
    monkeypatch.setenv("MARSAD_DATA_PATH", str(tmp_path / "lake"))
    monkeypatch.setenv("MARSAD_EXTENSION_DIR", str(tmp_path.parent / "duckdb-extensions"))
    try:
        yield f"{SERVER}/{name}"
    finally:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.close()
