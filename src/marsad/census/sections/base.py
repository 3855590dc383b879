"""What every census section reads: the posts and accounts in scope, and the SQL plumbing.

Part of the *census* stage.  :class:`Census` holds the DuckDB connection of a
workspace and the :class:`~marsad.census.filters.CensusFilter`; its
:meth:`~Census.setup` makes the temporary tables and views the sections
(:mod:`marsad.census.sections`) query, each once per census:

``c_posts``        the posts in scope (a table when a filter narrows them, else a view)
``c_texts``        their normalised texts (outlet names, campaign keywords)
``c_accounts``     the accounts in scope, with their status as analytics count it
``c_all_posts``    every post of the window, platforms and languages, whoever wrote it
``_c_posting``     each posting account once: its posts, first and last post
``_c_snap``        each account's latest snapshot up to the census date, first and last sighting
``_c_at``          each account in scope's figures at the census date
``_c_outlet_tokens``, ``_c_platform_suffixes``
                   the outlets' hashtags, domains and handles, the platforms' domains
``c_rolled_*``     the rollups (:mod:`marsad.store.rollup`) of the posts in scope, made
                   on first use (:meth:`Census.rolled`)

and helpers to run a query (:meth:`~Census.rows`, :meth:`~Census.one`), to skip
one that ``headline`` mode does not need (:meth:`~Census.want`), to group by
period (:meth:`~Census.trunc`) and to count by value (:meth:`~Census.counted`).
SQL text is static: :func:`sql` places only names of columns and tables chosen
in code; values are bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from marsad.census.filters import CensusFilter
from marsad.census.platforms import platform_suffixes
from marsad.census.sections.common import C_PERIOD
from marsad.detect.indicators import IndicatorRegistry
from marsad.store import rollup

__all__ = ["HEADLINE_TABLES", "Census", "Sql", "sql"]

#: the columns of the posts in scope (without their text, which only outlet
#: names and campaign keywords read, through c_texts); ``ts`` is the UTC time as
#: a plain TIMESTAMP, from the epoch (20x faster than a cast, which converts
#: through the calendar of the session's time zone)
_C_POSTS_COLUMNS = """
p.platform, p.native_id, p.account_id, p.created_at,
make_timestamp(epoch_us(p.created_at)) AS ts,
p.kind, p.lang, p.lang_platform,
p.client, p.hashtags, p.mentions, p.urls, p.domains, p.place_name, p.country_code,
p.lat, p.lon"""

#: the posts in scope when a filter narrows them, materialised once: every
#: section scans them many times (at 1M posts the whole census took 6.4 s
#: this way and 12-13 s over a view of the filter)
_C_POSTS_SCOPED = """
CREATE TEMP TABLE c_posts AS SELECT {p0}
FROM current_posts p, _c_filter f
WHERE (f.since IS NULL OR p.created_at >= f.since)
  AND (f.until IS NULL OR p.created_at < f.until)
  AND (f.any_platform OR p.platform IN (SELECT platform FROM _c_platforms))
  AND (f.any_lang OR p.lang IN (SELECT lang FROM _c_langs))
  AND (f.any_account OR (p.platform, p.account_id) IN (SELECT platform, native_id FROM _c_set))
"""

#: every current post is in scope: a view, since copying them costs more than
#: it saves (10M posts: 5.6 s to copy; a query over the copy is no faster than
#: one over the posts table).  Without edit histories the current posts are
#: the posts, and the view reads the table with no join at all.
_C_POSTS_ALL = "CREATE TEMP VIEW c_posts AS SELECT {p0} FROM {p1} p"

_C_TEXTS = """
CREATE OR REPLACE TEMP VIEW c_texts AS
SELECT c.platform, c.native_id, p.text_norm
FROM c_posts c JOIN posts p ON p.platform = c.platform AND p.native_id = c.native_id
"""

#: the accounts in scope (the columns the census reads), with their status as
#: analytics count it: the view
#: ``accounts_now`` (schema migration 4) with its posting accounts taken from
#: ``_c_posting`` when that holds every post -- the same rows, without another
#: pass over the posts
_C_ACCOUNTS_FROM_POSTING = """
CREATE OR REPLACE TEMP TABLE c_accounts AS
SELECT a.platform, a.native_id, a.handle, a.created_at, a.observed_at,
       a.followers, a.following, a.posts_count,
       CASE WHEN a.status IN ('unknown', 'active')
                 AND (a.observed_at IS NOT NULL OR w.account_id IS NOT NULL)
            THEN 'active' ELSE a.status END AS status
FROM accounts a
LEFT JOIN _c_posting w ON w.platform = a.platform AND w.account_id = a.native_id
"""

_C_ACCOUNTS_SCOPED = """
CREATE OR REPLACE TEMP TABLE c_accounts AS
SELECT a.platform, a.native_id, a.handle, a.created_at, a.observed_at,
       a.followers, a.following, a.posts_count, a.status
FROM accounts_now a, _c_filter f
WHERE (f.any_platform OR a.platform IN (SELECT platform FROM _c_platforms))
  AND (f.any_account OR (a.platform, a.native_id) IN (SELECT platform, native_id FROM _c_set))
  AND (NOT f.posts_filtered OR (a.platform, a.native_id) IN
       (SELECT platform, account_id FROM c_posts WHERE account_id IS NOT NULL))
"""

#: every post of the window, platforms and languages, whoever wrote it (campaigns)
_C_ALL_POSTS = """
CREATE OR REPLACE TEMP VIEW c_all_posts AS
SELECT p.* FROM current_posts p, _c_filter f
WHERE (f.since IS NULL OR p.created_at >= f.since)
  AND (f.until IS NULL OR p.created_at < f.until)
  AND (f.any_platform OR p.platform IN (SELECT platform FROM _c_platforms))
  AND (f.any_lang OR p.lang IN (SELECT lang FROM _c_langs))
"""

#: the account list resolved to keys: ids as given, @handles through accounts.handle
_RESOLVE_SET = """
CREATE OR REPLACE TEMP TABLE _c_set AS
SELECT DISTINCT a.platform, a.native_id FROM accounts a JOIN _c_account_list l
  ON (l.platform = '' OR l.platform = a.platform)
 AND ((l.ident NOT LIKE '@%' AND l.ident = a.native_id)
   OR (l.ident LIKE '@%' AND lower(a.handle) = substr(l.ident, 2)))
"""


#: what ``headline=True`` computes: the tables behind the headline statistics
HEADLINE_TABLES = frozenset(
    {
        "status",
        "per_month",
        "distribution",
        "top_accounts",
        "clients",
        "languages",
        "hashtags",
        "kaplan_meier",
    }
)


class Sql(str):
    """A fragment of SQL made by the census's modules from constants, never from input."""


#: what may be spliced into SQL text: a column, ``table.column`` or ``fn(column)``
_EXPR = re.compile(r"^(?:[a-z_]+\()?[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?\)?$")
_FORMATS = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m"}
#: column types of the census's own temporary tables
_TYPES = frozenset({"VARCHAR", "BOOLEAN", "TIMESTAMPTZ"})


def sql(template: str, **parts: str) -> str:
    """*template* with its ``{name}`` slots filled by column names or :class:`Sql`.

    Values never go through here (they are bound parameters); this only places
    the names of columns and tables chosen in code, and refuses anything else.
    """
    for name, part in parts.items():
        if not isinstance(part, Sql) and not _EXPR.match(part):
            raise ValueError(f"refusing to put {part!r} into SQL as {name}")
    return template.format(**parts)


class Census:
    """A census of the workspace open on *con*, for the posts and accounts
    *flt* selects; *outlets* is the registry whose outlets are counted, and
    *headline* computes only the tables in :data:`HEADLINE_TABLES`."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        flt: CensusFilter,
        outlets: IndicatorRegistry,
        headline: bool = False,
    ) -> None:
        self.con = con
        self.headline = headline
        self.f = flt
        self.outlets = outlets
        self.period = C_PERIOD[flt.interval]
        self.all_posts = False
        #: whether the rollups are the store's (else they are made from c_posts)
        self.stored_rollup = False
        self.rolled_made: set[str] = set()
        #: per-account figures are as of this time
        self.at = flt.at or flt.until or datetime.now(UTC)

    # -- plumbing ------------------------------------------------------------------------------
    def rows(
        self, sql: str, params: Sequence[Any] = (), *, period: str | None = None
    ) -> list[list[Any]]:
        """The result rows; with *period*, the first column's dates as period labels."""
        out = [list(r) for r in self.con.execute(sql, list(params)).fetchall()]
        if period is not None:
            fmt = _FORMATS[period]
            for row in out:
                if isinstance(row[0], date):
                    row[0] = row[0].strftime(fmt)
        return out

    def want(self, key: str) -> bool:
        """Whether table (or figure) *key* is computed: all of them, or with
        ``headline`` only those the headline statistics need."""
        return not self.headline or key in HEADLINE_TABLES

    def rows_if(
        self, key: str, sql: str, params: Sequence[Any] = (), *, period: str | None = None
    ) -> list[list[Any]]:
        """:meth:`rows` when *key* is wanted, else no rows (and no query)."""
        return self.rows(sql, params, period=period) if self.want(key) else []

    def one_if(self, key: str, width: int, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """:meth:`one` when *key* is wanted, else *width* Nones (and no query)."""
        return self.one(sql, params) if self.want(key) else [None] * width

    def one(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        got = self.rows(sql, params)
        return got[0] if got else []

    def trunc(self, column: str, interval: str | None = None) -> Sql:
        """SQL for the period (``2015-01``, or the day a week or day starts) of a
        timestamp column or aggregate: ``trunc("ts")``, ``trunc("min(t)")``, as a DATE.

        Grouping on the date and formatting the few groups afterwards
        (:meth:`rows` with *period*) is 10x faster than formatting every row;
        ``c_posts.ts`` (the UTC time as a plain TIMESTAMP) truncates without
        time-zone arithmetic."""
        interval = interval or self.f.interval
        if interval not in _FORMATS or not _EXPR.match(column):
            raise ValueError(f"not a period expression: {interval!r} {column!r}")
        return Sql(f"CAST(date_trunc('{interval}', {column}) AS DATE)")

    def setup(self) -> None:
        """Make the temporary tables and views the sections read (listed above)."""
        self.con.execute("SET TimeZone = 'UTC'")
        for name, columns_of in self.f.tables().items():
            self._temp_table(name, columns_of)
        self.con.execute(_RESOLVE_SET)
        self._drop_temp("c_posts")
        columns = Sql(_C_POSTS_COLUMNS)
        if self.f.scopes_posts:
            self.con.execute(sql(_C_POSTS_SCOPED, p0=columns))
        else:
            edited = self.one("SELECT count(*) FROM posts WHERE edit_seq > 0")[0]
            self.con.execute(
                sql(_C_POSTS_ALL, p0=columns, p1="current_posts" if edited else "posts")
            )
            #: whether c_posts holds every stored post (then _c_posting is per-account
            #: over all posts, which survival needs whatever the scope)
            self.all_posts = not edited
        # the posts in scope summed per account, and per account and month,
        # client, language, hashtag (self.rolled): the store's rollups when they
        # hold exactly these posts, else the same sums of c_posts
        self.rolled_made.clear()
        for rolled in rollup.TABLES:
            self._drop_temp(_rolled_name(rolled))
        self.stored_rollup = self.all_posts and rollup.ready(self.con)
        # each posting account once: several sections need its posts and first and
        # last post
        self.con.execute(
            sql(
                """
            CREATE OR REPLACE TEMP TABLE _c_posting AS
            SELECT platform, account_id, posts, dated, first_at, last_at
            FROM {p0} WHERE account_id IS NOT NULL
            """,
                p0=self.rolled("rollup_accounts"),
            )
        )
        tokens = self.outlets.tokens()
        self._temp_table(
            "_c_outlet_tokens",
            {
                "indicator": ("VARCHAR", [k for k, _, _ in tokens]),
                "kind": ("VARCHAR", [kind for _, kind, _ in tokens]),
                "token": ("VARCHAR", [t for _, _, t in tokens]),
            },
        )
        suffixes = platform_suffixes()
        self._temp_table(
            "_c_platform_suffixes",
            {
                "suffix": ("VARCHAR", [x for x, _, _ in suffixes]),
                "platform": ("VARCHAR", [p for _, p, _ in suffixes]),
                "category": ("VARCHAR", [c for _, _, c in suffixes]),
            },
        )
        self.con.execute(_C_TEXTS)
        self.con.execute(_C_ACCOUNTS_FROM_POSTING if self.all_posts else _C_ACCOUNTS_SCOPED)
        self.con.execute(_C_ALL_POSTS)
        at = self.at
        self.con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _c_snap AS
            SELECT platform, account_id,
                   arg_max(followers, observed_at) FILTER (WHERE observed_at <= $1) followers,
                   arg_max("following", observed_at) FILTER (WHERE observed_at <= $1) "following",
                   arg_max(posts_count, observed_at) FILTER (WHERE observed_at <= $1) posts_count,
                   max(observed_at) FILTER (WHERE observed_at <= $1) observed_at,
                   min(observed_at) first_seen, max(observed_at) last_seen
            FROM snapshots GROUP BY platform, account_id
            """,
            [at],
        )
        # each account's figures at the census date: its latest snapshot up to
        # then (_c_snap: one pass over the snapshots, which survival reads too)
        self.con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _c_at AS
            WITH snap AS (SELECT * FROM _c_snap WHERE observed_at IS NOT NULL)
            SELECT a.platform, a.native_id, a.handle, a.created_at,
                   coalesce(s.followers, CASE WHEN a.observed_at <= ? THEN a.followers END) followers,
                   coalesce(s."following", CASE WHEN a.observed_at <= ? THEN a."following" END) "following",
                   coalesce(s.posts_count, CASE WHEN a.observed_at <= ? THEN a.posts_count END)
                       posts_count,
                   coalesce(s.observed_at, CASE WHEN a.observed_at <= ? THEN a.observed_at END)
                       observed_at
            FROM c_accounts a LEFT JOIN snap s
              ON s.platform = a.platform AND s.account_id = a.native_id
            """,
            [at] * 4,
        )

    def rolled(self, table: str) -> Sql:
        """The relation of rollup *table* (:mod:`marsad.store.rollup`) for the
        posts in scope: one row per account and value.  A view of the store's
        table, or made from c_posts on first use."""
        name = _rolled_name(table)
        if table not in self.rolled_made:
            if self.stored_rollup:
                self.con.execute(
                    sql("CREATE TEMP VIEW {p0} AS SELECT * FROM {p1}", p0=name, p1=table)
                )
            else:
                self.con.execute(
                    sql("CREATE TEMP TABLE {p0} AS ", p0=name) + rollup.select(table, "c_posts")
                )
            self.rolled_made.add(table)
        return Sql(name)

    def counted(self, col: str, *, listed: bool = False) -> dict[str, str]:
        """SQL fragments to count posts and accounts per value ``v`` of *col*
        (a list column with *listed*): ``src``, ``posts``, ``accounts``.  From
        the column's rollup when it has one (a row per account and value: a
        sum and a row count), else from the posts in scope."""
        table = _ROLLED.get(col)
        if table is not None:
            return {
                "src": Sql(f"{self.rolled(table)} AS r(platform, account_id, v, posts)"),
                "posts": Sql("sum(posts)::BIGINT"),
                "accounts": Sql("count(*)"),
            }
        return {
            "src": Sql(
                sql("c_posts, unnest({p0}) AS r(v)", p0=col)
                if listed
                else sql("(SELECT platform, account_id, {p0} AS v FROM c_posts)", p0=col)
            ),
            "posts": Sql("count(*)"),
            "accounts": Sql("count(DISTINCT (platform, account_id))"),
        }

    def _temp_table(self, name: str, columns: dict[str, tuple[str, list[Any]]]) -> None:
        """A temporary table *name* of *columns* (name -> (DuckDB type, values)),
        the values bound as list parameters; names and types are constants."""
        for column, (kind, _) in columns.items():
            if not _EXPR.match(column) or kind not in _TYPES:
                raise ValueError(f"refusing column {column!r} of type {kind!r}")
        select = ", ".join(
            f"unnest(?::{kind}[]) AS {column}" for column, (kind, _) in columns.items()
        )
        self._drop_temp(name)
        self.con.execute(
            sql("CREATE TEMP TABLE {p0} AS SELECT {p1}", p0=name, p1=Sql(select)),
            [values for _, values in columns.values()],
        )

    def _drop_temp(self, name: str) -> None:
        """Drop the temporary table or view *name* (an earlier census on this
        connection may have made either)."""
        for (kind,) in self.con.execute(
            "SELECT 'TABLE' FROM duckdb_tables() WHERE temporary AND table_name = ? "
            "UNION ALL SELECT 'VIEW' FROM duckdb_views() WHERE temporary AND view_name = ?",
            [name, name],
        ).fetchall():
            self.con.execute(
                sql("DROP TABLE {p0}" if kind == "TABLE" else "DROP VIEW {p0}", p0=name)
            )


#: columns of the posts with a rollup of their own (marsad.store.rollup)
_ROLLED = {"client": "rollup_clients", "lang": "rollup_langs", "hashtags": "rollup_hashtags"}


def _rolled_name(table: str) -> Sql:
    """The census's relation for rollup *table*: ``rollup_months`` -> ``c_rolled_months``."""
    return Sql("c_rolled_" + table.removeprefix("rollup_"))
