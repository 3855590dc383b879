"""Rollups of the posts, kept by the store beside them for the census.

Part of the store stage.  The census's headline figures (each account's posts
and first and last post; posts and active accounts per month; posts and
accounts by client and by language; the top hashtags with their accounts)
are sums and distinct counts over the posts grouped by account.  At 10M posts
from 1M accounts each such pass costs about a second on two cores, whatever
the SQL: the cost is the hash table of a million string keys
(BENCHMARKS.md, census).  These rollups hold one row per account and value, so
that the census's figures become sums and row counts grouped by the value
alone -- a handful of groups -- over tables already grouped by account:

=================  ==========================================================
``rollup_accounts``  posts, posts with a time, first and last post per account
``rollup_months``    posts per account and UTC month (NULL: no time)
``rollup_clients``   posts per account and client
``rollup_langs``     posts per account and language (marsad's)
``rollup_hashtags``  occurrences of each hashtag per account
=================  ==========================================================

They count **every stored post**, each version of an edited post included, and
are kept in the transaction that writes the posts:

* :func:`append_new` adds partial sums of the posts an insert really added
  (``RETURNING`` of its ``INSERT ... ON CONFLICT DO NOTHING``: a post already
  stored adds nothing, so re-running an input changes nothing);
* :func:`compact` regroups a table to one row per key; the store does it when
  a table has doubled since its last compaction (each row is regrouped a
  bounded number of times), and before a census for what partial sums are
  left (:func:`compact_partial`, through ``DuckDBStore.compact_rollups``);
* :func:`rebuild` recomputes them all from the posts (``marsad import``,
  schema migration 7).

The census reads them only where they answer exactly (every current post in
scope, no edit histories) and only when :func:`ready` says they count as many
posts as the table holds and are compacted; otherwise it makes the same
tables from its posts in scope, with the same SQL (:func:`select`).

No SQL here is built from input: relation names are constants.
"""

from __future__ import annotations

from typing import Final

import duckdb
import pyarrow as pa

__all__ = [
    "COLUMNS",
    "COMPACT_MIN_ROWS",
    "TABLES",
    "append_new",
    "compact",
    "compact_partial",
    "ready",
    "rebuild",
    "rebuild_sql",
    "select",
]

#: what an insert into ``posts`` returns for the rollups (``RETURNING``)
COLUMNS: Final = ("platform", "account_id", "created_at", "client", "lang", "hashtags")

#: the UTC month of a post (from the epoch: no time-zone arithmetic)
_MONTH: Final = "CAST(date_trunc('month', make_timestamp(epoch_us(created_at))) AS DATE)"

#: table -> (its rollup of a relation ``{src}`` with COLUMNS, its regrouping)
_SQL: Final[dict[str, tuple[str, str]]] = {
    "rollup_accounts": (
        "SELECT platform, account_id, count(*) AS posts, count(created_at) AS dated, "
        "min(created_at) AS first_at, max(created_at) AS last_at FROM {src} GROUP BY ALL",
        "SELECT platform, account_id, sum(posts)::BIGINT, sum(dated)::BIGINT, "
        "min(first_at), max(last_at) FROM rollup_accounts GROUP BY ALL",
    ),
    "rollup_months": (
        f"SELECT platform, account_id, {_MONTH} AS month, count(*) AS posts "
        "FROM {src} GROUP BY ALL",
        "SELECT platform, account_id, month, sum(posts)::BIGINT FROM rollup_months GROUP BY ALL",
    ),
    "rollup_clients": (
        "SELECT platform, account_id, client, count(*) AS posts FROM {src} GROUP BY ALL",
        "SELECT platform, account_id, client, sum(posts)::BIGINT FROM rollup_clients GROUP BY ALL",
    ),
    "rollup_langs": (
        "SELECT platform, account_id, lang, count(*) AS posts FROM {src} GROUP BY ALL",
        "SELECT platform, account_id, lang, sum(posts)::BIGINT FROM rollup_langs GROUP BY ALL",
    ),
    # a post carrying a hashtag twice counts it twice, as unnest() does
    "rollup_hashtags": (
        "SELECT platform, account_id, h AS hashtag, count(*) AS posts "
        "FROM {src}, unnest(hashtags) AS u(h) GROUP BY ALL",
        "SELECT platform, account_id, hashtag, sum(posts)::BIGINT FROM rollup_hashtags "
        "GROUP BY ALL",
    ),
}
TABLES: Final = tuple(_SQL)

#: below this many rows a rollup is not compacted while posts are written
#: (regrouping a small table on every batch would cost more than it saves)
COMPACT_MIN_ROWS: Final = 65_536


def select(table: str, src: str) -> str:
    """SQL for rollup *table* of the relation *src* (a constant name) with :data:`COLUMNS`."""
    return _SQL[table][0].format(src=src)


def append_new(con: duckdb.DuckDBPyConnection, new_posts: pa.Table) -> None:
    """Add *new_posts* (:data:`COLUMNS` of posts just inserted) to the rollups,
    and compact a table that has doubled.  Call it inside the transaction
    that inserted the posts."""
    if not new_posts.num_rows:
        return
    con.register("_new_posts", new_posts)
    try:
        for table in TABLES:
            con.execute(f"INSERT INTO {table} " + select(table, "_new_posts"))
    finally:
        con.unregister("_new_posts")
    for table, rows, compacted in _sizes(con):
        if rows > max(2 * compacted, COMPACT_MIN_ROWS):
            compact(con, table)


def compact(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Regroup *table*'s partial sums to one row per key; returns its rows."""
    con.execute("CREATE OR REPLACE TEMP TABLE _rollup_compact AS " + _SQL[table][1])
    try:
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} SELECT * FROM _rollup_compact")  # noqa: S608
    finally:
        con.execute("DROP TABLE IF EXISTS _rollup_compact")
    return _mark_compacted(con, table)


def rebuild_sql() -> str:
    """SQL that recomputes every rollup from the stored posts (schema migration 7
    runs it too: the rollups are derived, so a migration fills them with
    today's definitions)."""
    src = "(SELECT " + ", ".join(COLUMNS) + " FROM posts)"
    out = []
    for table in TABLES:
        out.append(f"DELETE FROM {table};")
        out.append(f"INSERT INTO {table} " + select(table, src) + ";")
        out.append(_mark_sql(table) + ";")
    return "\n".join(out)


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every rollup from the stored posts."""
    con.execute(rebuild_sql())


def ready(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the rollups can stand for the stored posts: they exist, count
    every post (nothing wrote posts behind the store's back), and hold one
    row per key (no partial sums: :func:`compact_partial`).  Reads only."""
    have = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
            "AND table_name IN (SELECT unnest(?::VARCHAR[]))",
            [list(TABLES)],
        ).fetchall()
    }
    if have != set(TABLES):
        return False
    counted, stored = con.execute(
        "SELECT (SELECT coalesce(sum(posts), 0) FROM rollup_accounts), (SELECT count(*) FROM posts)"
    ).fetchall()[0]
    return bool(counted == stored) and all(rows == done for _, rows, done in _sizes(con))


def compact_partial(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Regroup every rollup that holds partial sums; returns their names.
    Call it inside a transaction (:meth:`DuckDBStore.compact_rollups`)."""
    partial = [table for table, rows, done in _sizes(con) if rows != done]
    for table in partial:
        compact(con, table)
    return partial


def _sizes(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """(table, rows, rows at its last compaction) of each rollup."""
    counts = " UNION ALL ".join(
        f"SELECT '{t}' AS name, count(*) AS n FROM {t}"  # noqa: S608 - constant names
        for t in TABLES
    )
    return [
        (str(t), int(n), int(c or 0))
        for t, n, c in con.execute(
            f"SELECT c.name, c.n, s.compacted_rows FROM ({counts}) c "  # noqa: S608
            "LEFT JOIN rollup_state s USING (name)"
        ).fetchall()
    ]


def _mark_sql(table: str) -> str:
    """SQL recording *table*'s rows as its compacted size."""
    return (
        f"INSERT INTO rollup_state SELECT '{table}', count(*) FROM {table} "  # noqa: S608
        "ON CONFLICT (name) DO UPDATE SET compacted_rows = excluded.compacted_rows"
    )


def _mark_compacted(con: duckdb.DuckDBPyConnection, table: str) -> int:
    con.execute(_mark_sql(table))
    (rows,) = con.execute(
        "SELECT compacted_rows FROM rollup_state WHERE name = ?", [table]
    ).fetchall()[0]
    return int(rows)
