"""The embedded store migrates forward from every earlier schema version, keeping
its rows; from version 8 on, the bulk tables have no primary-key index and keep
their keys all the same."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from marsad.store.duckdb import DB_FILE, DuckDBStore
from marsad.store.schema import KEYS, MIGRATIONS, SCHEMA_VERSION, UNINDEXED


def _at_version(directory: Path, version: int) -> None:
    """A workspace as marsad left it at schema *version*."""
    directory.mkdir()
    con = duckdb.connect(str(directory / DB_FILE))
    con.execute(
        "CREATE TABLE schema_migrations ("
        "version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMPTZ)"
    )
    for v, description, sql in MIGRATIONS[:version]:
        con.execute(sql)
        con.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, ?)", [v, description, datetime.now(UTC)]
        )
    con.execute(
        "INSERT INTO posts (platform, native_id, account_id, kind, edit_seq) "
        "VALUES ('x', '1', 'a', 'post', 0), ('x', '2', 'a', 'reply', 0)"
    )
    con.execute(
        "INSERT INTO edges (platform, src_id, dst_id, kind, post_id) "
        "VALUES ('x', 'a', 'b', 'mention', '1')"
    )
    con.close()


def _shape(con: duckdb.DuckDBPyConnection) -> tuple[list[Any], list[Any]]:
    columns = con.execute(
        "SELECT table_name, column_name, data_type, is_nullable, column_default "
        "FROM duckdb_columns() WHERE NOT internal ORDER BY ALL"
    ).fetchall()
    constraints = con.execute(
        "SELECT table_name, constraint_type, constraint_column_names "
        "FROM duckdb_constraints() ORDER BY ALL"
    ).fetchall()
    return columns, constraints


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_every_earlier_version_migrates_to_the_current_schema(tmp_path: Path, version: int) -> None:
    _at_version(tmp_path / "old", version)
    with DuckDBStore(tmp_path / "old") as old, DuckDBStore(tmp_path / "new") as new:
        assert old.schema_version() == SCHEMA_VERSION
        assert _shape(old.con) == _shape(new.con)
        assert old.query("SELECT native_id FROM posts ORDER BY 1") == [("1",), ("2",)]
        assert old.counts()["edges"] == 1


def test_bulk_tables_have_no_key_index_and_keep_their_keys(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "ws") as store:
        indexed = {
            t
            for (t,) in store.query(
                "SELECT DISTINCT table_name FROM duckdb_constraints() "
                "WHERE constraint_type = 'PRIMARY KEY'"
            )
        }
        assert indexed.isdisjoint(UNINDEXED)
        assert {"accounts", "sources", "detections"} <= indexed
        posts = pa.table(
            {
                "platform": ["x", "x", "x"],
                "native_id": ["1", "1", "2"],
                "kind": ["post", "reply", "post"],
                "edit_seq": pa.array([0, 0, 0], pa.int32()),
            }
        )
        assert store.insert_arrow("posts", posts) == 2  # the first of each key
        assert store.insert_arrow("posts", posts) == 0  # stored keys are kept
        assert store.query("SELECT kind FROM posts WHERE native_id = '1'") == [("post",)]
        for table in UNINDEXED:
            keys = ", ".join(KEYS[table])
            dupes = store.query(
                f"SELECT count(*) FROM (SELECT {keys} FROM {table} GROUP BY ALL HAVING count(*) > 1)"  # noqa: S608 - names from the schema
            )
            assert dupes == [(0,)]
