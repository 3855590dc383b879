"""The post and hashtag rollups the store keeps for the census.

Each test compares the stored rollup, regrouped, with the same sums computed
here straight from the ``posts`` table -- never with another rollup.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

import pytest

from marsad.pipeline import ingest_file
from marsad.store import rollup
from marsad.store.duckdb import DuckDBStore
from tests.conftest import shared_file

V1 = "fixtures/x_api_v1_isis_hashtags_2017/TT-TEST.jsonl.gz"
V2 = "fixtures/x_api_v2_twarc/2sets.jsonl"
TELEGRAM = "fixtures/telegram_desktop_export_2020/tests/result.json"


#: rollup -> its key columns after (platform, account_id), and its sums
SHAPE = {
    "rollup_accounts": ((), ("sum(posts)", "sum(dated)", "min(first_at)", "max(last_at)")),
    "rollup_months": (("month",), ("sum(posts)",)),
    "rollup_clients": (("client",), ("sum(posts)",)),
    "rollup_langs": (("lang",), ("sum(posts)",)),
    "rollup_hashtags": (("hashtag",), ("sum(posts)",)),
}

Rollups = dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]


def _stored(store: DuckDBStore) -> Rollups:
    """Every rollup as stored, regrouped to one value per key."""
    out: Rollups = {}
    for table, (keys, sums) in SHAPE.items():
        cols = ", ".join(("platform", "account_id", *keys, *sums))
        out[table] = {
            tuple(r[: 2 + len(keys)]): tuple(r[2 + len(keys) :])
            for r in store.query(f"SELECT {cols} FROM {table} GROUP BY ALL")  # noqa: S608
        }
    return out


def _expected(store: DuckDBStore) -> Rollups:
    """The same sums, from the posts, in Python."""
    out: Rollups = {table: {} for table in SHAPE}
    totals: dict[str, dict[tuple[Any, ...], list[Any]]] = {t: {} for t in SHAPE}

    def add(table: str, key: tuple[Any, ...], n: int = 1) -> None:
        got = totals[table].setdefault(key, [0])
        got[0] += n

    for platform, account, created, client, lang, hashtags in store.query(
        "SELECT platform, account_id, created_at, client, lang, hashtags FROM posts"
    ):
        if created is not None and created.utcoffset():
            raise AssertionError("the store's session should read times in UTC")
        month = created.date().replace(day=1) if created is not None else None
        acc = totals["rollup_accounts"].setdefault((platform, account), [0, 0, None, None])
        acc[0] += 1
        if created is not None:
            acc[1] += 1
            acc[2] = created if acc[2] is None else min(acc[2], created)
            acc[3] = created if acc[3] is None else max(acc[3], created)
        add("rollup_months", (platform, account, month))
        add("rollup_clients", (platform, account, client))
        add("rollup_langs", (platform, account, lang))
        for tag in hashtags or []:
            add("rollup_hashtags", (platform, account, tag))
    for table, rows in totals.items():
        out[table] = {k: tuple(v) for k, v in rows.items()}
    return out


def _unique(store: DuckDBStore) -> bool:
    """Whether every rollup holds one row per key."""
    return all(
        store.query(f"SELECT count(*) FROM {t}")[0][0] == len(rows)  # noqa: S608
        for t, rows in _stored(store).items()
    )


def _utc(store: DuckDBStore) -> None:
    store.execute("SET TimeZone = 'UTC'")


@pytest.fixture
def x_and_telegram(tmp_path: Path) -> DuckDBStore:
    store = DuckDBStore(tmp_path / "ws")
    _utc(store)
    for path, fmt in ((V1, "x-v1"), (V2, "x-v2"), (TELEGRAM, "telegram")):
        ingest_file(store, shared_file(path), fmt=fmt)
    return store


@pytest.mark.slow
def test_rollups_hold_the_sums_of_the_posts(x_and_telegram: DuckDBStore) -> None:
    store = x_and_telegram
    try:
        got = _stored(store)
        assert got == _expected(store)
        store.compact_rollups()
        posts = got["rollup_accounts"]
        assert sum(v[0] for v in posts.values()) == store.counts()["posts"] > 5_000
        assert sum(v[0] for v in got["rollup_hashtags"].values()) > 1_000
        assert rollup.ready(store.con)
        assert _unique(store)
    finally:
        store.close()


@pytest.mark.slow
def test_the_same_posts_again_add_nothing(x_and_telegram: DuckDBStore, tmp_path: Path) -> None:
    store = x_and_telegram
    try:
        before = _stored(store)
        # the same file again (a completed source), and the same posts in a file
        # with other bytes (a new source whose every post is already stored)
        ingest_file(store, shared_file(V1), fmt="x-v1")
        plain = tmp_path / "TT-TEST.jsonl"
        with gzip.open(shared_file(V1), "rb") as src, plain.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        summary = ingest_file(store, plain, fmt="x-v1")
        assert summary.records > 5_000
        assert _stored(store) == before
        store.compact_rollups()
        assert rollup.ready(store.con)
    finally:
        store.close()


@pytest.mark.slow
def test_partial_sums_compact_when_they_double(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rollup, "COMPACT_MIN_ROWS", 50)
    with DuckDBStore(tmp_path / "ws") as store:
        _utc(store)
        ingest_file(store, shared_file(V1), fmt="x-v1", batch_size=100)
        rows, compacted = store.query(
            "SELECT (SELECT count(*) FROM rollup_months), "
            "(SELECT compacted_rows FROM rollup_state WHERE name = 'rollup_months')"
        )[0]
        grouped = len(_stored(store)["rollup_months"])
        # compacted while the posts were written, and never more than doubled since
        assert compacted is not None and compacted > 50
        assert compacted <= rows <= 2 * compacted
        assert _stored(store) == _expected(store)
        # regrouped before a census: one row per key
        assert not rollup.ready(store.con)
        assert "rollup_months" in store.compact_rollups()
        assert rollup.ready(store.con)
        assert _unique(store)
        assert store.query("SELECT count(*) FROM rollup_months")[0][0] == grouped


@pytest.mark.slow
def test_import_and_an_older_workspace_rebuild_them(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "a") as store:
        _utc(store)
        ingest_file(store, shared_file(TELEGRAM), fmt="telegram")
        ingest_file(store, shared_file(V2), fmt="x-v2")
        expected = _expected(store)
        store.export_parquet(tmp_path / "export")
        # as a workspace from before schema 7: no rollups, migration 7 not applied
        for table in (*rollup.TABLES, "rollup_state"):
            store.execute(f"DROP TABLE {table}")
        store.execute("DELETE FROM schema_migrations WHERE version >= 7")
    with DuckDBStore(tmp_path / "a") as store:  # migrates
        _utc(store)
        assert _stored(store) == expected
    with DuckDBStore(tmp_path / "b") as store:
        _utc(store)
        store.import_parquet(tmp_path / "export")
        assert _stored(store) == expected
        assert rollup.ready(store.con)


@pytest.mark.slow
def test_posts_written_behind_the_store_make_them_stale(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "ws") as store:
        ingest_file(store, shared_file(V2), fmt="x-v2")
        store.compact_rollups()
        assert rollup.ready(store.con)
        store.execute(
            "INSERT INTO posts (platform, native_id, kind, edit_seq) VALUES ('x', 'by-sql', 'post', 0)"
        )
        assert not rollup.ready(store.con)
        rollup.rebuild(store.con)
        assert rollup.ready(store.con)


@pytest.mark.slow
def test_partial_sums_are_regrouped_before_a_census(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rollup, "COMPACT_MIN_ROWS", 10**9)  # never while writing
    with DuckDBStore(tmp_path / "ws") as store:
        _utc(store)
        ingest_file(store, shared_file(V1), fmt="x-v1", batch_size=100)
        partial = _stored(store)
        assert not _unique(store)  # the same accounts in several batches
        assert not rollup.ready(store.con)  # the census would use the posts
        with store.transaction():  # inside a caller's transaction too
            assert set(store.compact_rollups()) == set(rollup.TABLES)
            store.execute("INSERT INTO banks (name) VALUES ('kept')")
        assert store.query("SELECT name FROM banks") == [("kept",)]
        assert rollup.ready(store.con)
        assert _unique(store)
        assert _stored(store) == partial == _expected(store)
        assert store.compact_rollups() == []  # nothing left to do
