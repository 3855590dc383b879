"""The census: every section, computed in DuckDB over the workspace.

Read-only.  :func:`run_census` opens views of the posts and accounts in
scope (:mod:`marsad.census.filters`) and fills one
:class:`~marsad.census.result.CensusSection` per question researchers ask:

``size``       accounts by status; new accounts, first sightings, suspensions
               and active accounts per day, week and month
``accounts``   followers / following / posts at a date (Snapshots), posts per
               day, the hyperactive core, bursts of volume
``devices``    clients, languages (of posts and of accounts), geolocation,
               account age at observation, creation waves
``content``    top and rising hashtags with their series, mentions, domains
``outlets``    media outlets (registry) per month with month-over-month change,
               cross-platform outlinks
``survival``   Kaplan–Meier time from creation to suspension, censoring right
``migration``  share of posts and of outlinks by platform over time
``campaigns``  counter-messaging campaigns against the network's own hashtags

Every aggregate is one SQL statement over columnar data; Python only shapes
the (small) results.  Percentages are 0-100.  Counts of accounts per month,
client, language and hashtag come from rollups with one row per account and
value (:mod:`marsad.store.rollup`): the store's when the census covers every
stored post, there are no edit histories and the rollups hold no partial sums
(callers regroup them first: ``DuckDBStore.compact_rollups``), else made once
from the posts in scope -- the same SQL either way, and a test checks the two
agree.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from marsad import __version__
from marsad.census.filters import CensusFilter
from marsad.census.platforms import CATEGORY_LABELS, PLATFORM_LABELS, platform_suffixes
from marsad.census.result import (
    CensusResult,
    CensusSection,
    CensusTable,
    Chart,
    Column,
    Headline,
    Label,
)
from marsad.census.survival import kaplan_meier
from marsad.detect.indicators import IndicatorRegistry
from marsad.store import rollup

__all__ = ["run_census"]


def L(en: str, ar: str) -> Label:  # noqa: N802 - reads like a literal
    return {"en": en, "ar": ar}


# -- shared labels -------------------------------------------------------------------------------

C_PERIOD = {
    "month": Column("period", L("Month", "الشهر"), "month"),
    "week": Column("period", L("Week", "الأسبوع"), "week"),
}
C_DAY = Column("day", L("Day", "اليوم"), "date")
#: account statuses (marsad.model.AccountStatus) for people
STATUS_LABELS = {
    "active": L("active", "نشط"),
    "suspended": L("suspended", "معلَّق"),
    "deleted": L("deleted", "محذوف"),
    "protected": L("protected", "محمي"),
    "unknown": L("unknown", "غير معروف"),
}
C_POSTS = Column("posts", L("Posts", "المنشورات"), "count")
C_ACCOUNTS = Column("accounts", L("Accounts", "الحسابات"), "count")
C_SHARE = Column("share", L("Share", "النسبة"), "percent")

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


#: event times up to which the Kaplan–Meier table has a row per event time;
#: past it, the curve on a grid, hourly at first (:meth:`KaplanMeier.rows`)
KM_ROWS = 400

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


class _Sql(str):
    """A fragment of SQL made by this module from constants, never from input."""


#: what may be spliced into SQL text: a column, ``table.column`` or ``fn(column)``
_EXPR = re.compile(r"^(?:[a-z_]+\()?[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?\)?$")
_FORMATS = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m"}
#: column types of the census's own temporary tables
_TYPES = frozenset({"VARCHAR", "BOOLEAN", "TIMESTAMPTZ"})


def sql(template: str, **parts: str) -> str:
    """*template* with its ``{name}`` slots filled by column names or :class:`_Sql`.

    Values never go through here (they are bound parameters); this only places
    the names of columns and tables chosen in code, and refuses anything else.
    """
    for name, part in parts.items():
        if not isinstance(part, _Sql) and not _EXPR.match(part):
            raise ValueError(f"refusing to put {part!r} into SQL as {name}")
    return template.format(**parts)


class _Census:
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

    def trunc(self, column: str, interval: str | None = None) -> _Sql:
        """SQL for the period (``2015-01``, or the day a week or day starts) of a
        timestamp column or aggregate: ``trunc("ts")``, ``trunc("min(t)")``, as a DATE.

        Grouping on the date and formatting the few groups afterwards
        (:meth:`rows` with *period*) is 10x faster than formatting every row;
        ``c_posts.ts`` (the UTC time as a plain TIMESTAMP) truncates without
        time-zone arithmetic."""
        interval = interval or self.f.interval
        if interval not in _FORMATS or not _EXPR.match(column):
            raise ValueError(f"not a period expression: {interval!r} {column!r}")
        return _Sql(f"CAST(date_trunc('{interval}', {column}) AS DATE)")

    def setup(self) -> None:
        self.con.execute("SET TimeZone = 'UTC'")
        for name, columns_of in self.f.tables().items():
            self._temp_table(name, columns_of)
        self.con.execute(_RESOLVE_SET)
        self._drop_temp("c_posts")
        columns = _Sql(_C_POSTS_COLUMNS)
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
                   arg_max(following, observed_at) FILTER (WHERE observed_at <= $1) following,
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
                   coalesce(s.following, CASE WHEN a.observed_at <= ? THEN a.following END) following,
                   coalesce(s.posts_count, CASE WHEN a.observed_at <= ? THEN a.posts_count END)
                       posts_count,
                   coalesce(s.observed_at, CASE WHEN a.observed_at <= ? THEN a.observed_at END)
                       observed_at
            FROM c_accounts a LEFT JOIN snap s
              ON s.platform = a.platform AND s.account_id = a.native_id
            """,
            [at] * 4,
        )

    def rolled(self, table: str) -> _Sql:
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
        return _Sql(name)

    def counted(self, col: str, *, listed: bool = False) -> dict[str, str]:
        """SQL fragments to count posts and accounts per value ``v`` of *col*
        (a list column with *listed*): ``src``, ``posts``, ``accounts``.  From
        the column's rollup when it has one (a row per account and value: a
        sum and a row count), else from the posts in scope."""
        table = _ROLLED.get(col)
        if table is not None:
            return {
                "src": _Sql(f"{self.rolled(table)} AS r(platform, account_id, v, posts)"),
                "posts": _Sql("sum(posts)::BIGINT"),
                "accounts": _Sql("count(*)"),
            }
        return {
            "src": _Sql(
                sql("c_posts, unnest({p0}) AS r(v)", p0=col)
                if listed
                else sql("(SELECT platform, account_id, {p0} AS v FROM c_posts)", p0=col)
            ),
            "posts": _Sql("count(*)"),
            "accounts": _Sql("count(DISTINCT (platform, account_id))"),
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
            sql("CREATE TEMP TABLE {p0} AS SELECT {p1}", p0=name, p1=_Sql(select)),
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

    # -- meta ----------------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        first, last, posts = self.one(
            "SELECT min(created_at), max(created_at), count(*) FROM c_posts"
        )
        sources = [
            {"path": p, "adapter": a, "records": r, "quarantined": q, "completed": c is not None}
            for p, a, r, q, c in self.rows(
                "SELECT path, adapter, records, quarantined, completed_at FROM sources ORDER BY path"
            )
        ]
        counts = {
            t: self.one(sql("SELECT count(*) FROM {p0}", p0=t))[0]  # table names are constants
            for t in ("accounts", "posts", "snapshots", "status_events", "edges", "quarantine")
        }
        return {
            "marsad_version": __version__,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "filters": self.f.describe(),
            "date_range": {
                "start": first.isoformat() if first else None,
                "end": last.isoformat() if last else None,
            },
            "posts_in_scope": posts,
            "sources": sources,
            "counts": counts,
            "quarantined": sum(s["quarantined"] for s in sources),
            "definitions": DEFINITIONS,
            "caveats": CAVEATS,
        }

    # -- size ----------------------------------------------------------------------------------
    def size(self) -> CensusSection:
        total, posts = self.one(
            "SELECT (SELECT count(*) FROM c_accounts), (SELECT count(*) FROM c_posts)"
        )
        by_status = self.rows(
            "SELECT status, count(*) n FROM c_accounts GROUP BY status ORDER BY n DESC, status"
        )
        n = dict((s, c) for s, c in by_status)
        status_table = CensusTable(
            "status",
            L("Accounts by last known status", "الحسابات حسب آخر حالة معروفة"),
            [Column("status", L("Status", "الحالة"), values=STATUS_LABELS), C_ACCOUNTS, C_SHARE],
            [[s, c, _pct(c, total)] for s, c in by_status],
            Chart("hbar", "status", ("accounts",)),
        )
        # one row per account event, as plain UTC timestamps: its creation, its
        # first post in scope, its first observed suspension
        self.con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _c_events AS
            SELECT 'created' kind, make_timestamp(epoch_us(created_at)) t FROM c_accounts
            WHERE created_at IS NOT NULL
            UNION ALL
            SELECT 'seen', make_timestamp(epoch_us(first_at)) FROM _c_posting
            WHERE first_at IS NOT NULL
            UNION ALL
            SELECT 'suspended', make_timestamp(epoch_us(min(e.observed_at))) FROM status_events e
            JOIN c_accounts a ON a.platform = e.platform AND a.native_id = e.account_id
            WHERE e.status = 'suspended' GROUP BY e.platform, e.account_id
            """
        )
        events = """
            WITH ev AS (
                SELECT {pe} k, count(*) FILTER (WHERE kind = 'created') created,
                       count(*) FILTER (WHERE kind = 'seen') seen,
                       count(*) FILTER (WHERE kind = 'suspended') suspended
                FROM _c_events GROUP BY k),
            active AS ({active})
            SELECT k, coalesce(ev.created, 0), coalesce(ev.seen, 0), coalesce(ev.suspended, 0),
                   coalesce(active.n, 0), coalesce(active.posts, 0)
            FROM ev FULL JOIN active USING (k)
            WHERE k BETWEEN (SELECT min(k) FROM active) AND (SELECT max(k) FROM active)
            ORDER BY k
        """
        # active accounts and posts per period: months from the rollup, whose
        # rows are one per account and month
        active_by_month = _Sql(
            sql(
                "SELECT month k, count(*) n, sum(posts)::BIGINT posts "
                "FROM {p0} WHERE month IS NOT NULL GROUP BY k",
                p0=self.rolled("rollup_months"),
            )
        )
        active_by = """
            SELECT {p} k, count(DISTINCT (platform, account_id)) n, count(*) posts
            FROM c_posts WHERE ts IS NOT NULL GROUP BY k"""
        cols = [
            Column("created", L("Accounts created", "حسابات أُنشئت"), "count"),
            Column("first_seen", L("Accounts first seen", "حسابات ظهرت لأول مرة"), "count"),
            Column("suspended", L("Suspensions", "تعليقات الحسابات"), "count"),
            Column("active", L("Active accounts", "حسابات نشطة"), "count"),
            C_POSTS,
        ]
        tables = [status_table]
        for interval, key, title, first in (
            ("day", "per_day", L("Per day", "يوميًا"), C_DAY),
            ("week", "per_week", L("Per week", "أسبوعيًا"), C_PERIOD["week"]),
            ("month", "per_month", L("Per month", "شهريًا"), C_PERIOD["month"]),
        ):
            # the observation window: periods from the first post to the last
            # (creation before it is in the creation-waves table of "devices")
            rows = self.rows_if(
                key,
                sql(
                    events,
                    pe=self.trunc("t", interval),
                    active=active_by_month
                    if interval == "month"
                    else _Sql(sql(active_by, p=self.trunc("ts", interval))),
                ),
                period=interval,
            )
            chart = (
                None
                if interval == "day"
                else Chart("line", "period", ("created", "first_seen", "suspended", "active"))
            )
            tables.append(
                CensusTable(
                    key,
                    L(
                        f"Accounts created, first seen, suspended and active {title['en'].lower()}",
                        f"الحسابات المُنشأة والظاهرة والمعلّقة والنشطة {title['ar']}",
                    ),
                    [first if interval == "day" else C_PERIOD[interval], *cols],
                    rows,
                    chart,
                )
            )
        suspended = n.get("suspended", 0)
        return CensusSection(
            "size",
            L("Size of the network", "حجم الشبكة"),
            [
                Headline("accounts", L("Accounts", "الحسابات"), total, "count"),
                Headline("posts", L("Posts", "المنشورات"), posts, "count"),
                Headline("active", L("Active", "نشطة"), n.get("active", 0), "count"),
                Headline("suspended", L("Suspended", "معلّقة"), suspended, "count"),
                Headline("deleted", L("Deleted", "محذوفة"), n.get("deleted", 0), "count"),
                Headline(
                    "suspended_share",
                    L("Share suspended", "نسبة المعلّقة"),
                    _pct(suspended, total),
                    "percent",
                ),
            ],
            tables,
        )

    # -- accounts ------------------------------------------------------------------------------
    def accounts(self) -> CensusSection:
        at = self.at
        dist_rows = []
        for metric, label in (
            ("followers", L("Followers", "المتابِعون")),
            ("following", L("Following", "يتابِع")),
            ("posts_count", L("Posts (platform count)", "المنشورات (عدّاد المنصة)")),
        ):
            row = self.one(
                sql(
                    """SELECT count({p0}), avg({p0}),
                    quantile_cont({p0}::DOUBLE, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]),
                    max({p0}) FROM _c_at""",
                    p0=metric,
                )  # metric names are constants
            )
            q = row[2] or [None] * 6
            dist_rows.append([metric, label["en"], row[0], _r(row[1]), *map(_r, q), row[3]])
        dist = CensusTable(
            "distribution",
            L(f"Per-account figures at {at.date()}", f"أرقام الحسابات في {at.date()}"),
            [
                Column("metric", L("Metric", "المقياس")),
                Column("label", L("Label", "الوصف")),
                Column("n", L("Accounts with a value", "حسابات لها قيمة"), "count"),
                Column("mean", L("Mean", "المتوسط")),
                Column("p10", L("10th percentile", "المئين 10")),
                Column("p25", L("25th percentile", "المئين 25")),
                Column("median", L("Median", "الوسيط")),
                Column("p75", L("75th percentile", "المئين 75")),
                Column("p90", L("90th percentile", "المئين 90")),
                Column("p99", L("99th percentile", "المئين 99")),
                Column("max", L("Maximum", "الأقصى")),
            ],
            dist_rows,
        )
        hist = CensusTable(
            "followers_bins",
            L("Accounts by number of followers", "الحسابات حسب عدد المتابِعين"),
            [Column("bin", L("Followers", "المتابِعون")), C_ACCOUNTS, C_SHARE],
            self.rows_if(
                "followers_bins",
                """
                WITH b AS (
                    SELECT CASE WHEN followers < 10 THEN 0 WHEN followers < 100 THEN 1
                                WHEN followers < 1000 THEN 2 WHEN followers < 10000 THEN 3
                                WHEN followers < 100000 THEN 4 ELSE 5 END bin
                    FROM _c_at WHERE followers IS NOT NULL)
                SELECT ['0-9','10-99','100-999','1,000-9,999','10,000-99,999','100,000+'][bin + 1],
                       count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 2)
                FROM b GROUP BY bin ORDER BY bin
                """,
            ),
            Chart("bar", "bin", ("accounts",)),
        )
        # posts per day: what the platform's counter says over the account's age,
        # and what the workspace holds over the days between its first and last post
        ppd = self.one_if(
            "posts_per_day",
            1,
            """
            SELECT median(posts_count / greatest(date_diff('day', created_at, observed_at), 1))
            FROM _c_at WHERE posts_count IS NOT NULL AND created_at IS NOT NULL
                         AND observed_at IS NOT NULL AND observed_at >= created_at
            """,
        )[0]
        ppd_seen = self.one_if(
            "posts_per_day",
            1,
            """
            SELECT median(dated / greatest(date_diff('day', first_at, last_at) + 1, 1))
            FROM _c_posting WHERE dated > 0
            """,
        )[0]
        # accounts ranked by posts in scope (ties by key): the running totals
        # follow from how many accounts have each number of posts, without
        # sorting the accounts themselves
        ranking = _Ranking(
            self.rows("SELECT posts, count(*) FROM _c_posting GROUP BY posts ORDER BY posts DESC")
        )
        n_accounts, volume = ranking.accounts, ranking.volume
        # the hyperactive core: fewest accounts that together produce half of all posts
        core = ranking.core()
        top_rows = []
        running = 0
        for platform, aid, handle, posts, followers in self.rows(
            """WITH t AS (SELECT platform, account_id, posts FROM _c_posting
                          ORDER BY posts DESC, platform, account_id LIMIT ?)
               SELECT t.platform, t.account_id, a.handle, t.posts, a.followers
               FROM t LEFT JOIN _c_at a ON a.platform = t.platform AND a.native_id = t.account_id
               ORDER BY t.posts DESC, t.platform, t.account_id""",
            [max(self.f.top, 50)],
        ):
            running += posts
            top_rows.append(
                [
                    platform,
                    aid,
                    handle,
                    posts,
                    _pct(posts, volume),
                    _pct(running, volume),
                    followers,
                ]
            )
        top = CensusTable(
            "top_accounts",
            L("Most active accounts", "أكثر الحسابات نشاطًا"),
            [
                Column("platform", L("Platform", "المنصة")),
                Column("account_id", L("Account id", "معرّف الحساب")),
                Column("handle", L("Handle", "اسم المستخدم")),
                C_POSTS,
                Column("share", L("Share of posts", "نسبة المنشورات"), "percent"),
                Column("cumulative", L("Cumulative share", "النسبة التراكمية"), "percent"),
                Column("followers", L("Followers", "المتابِعون"), "count"),
            ],
            top_rows,
        )
        curve = self._concentration(ranking)
        bursts = self._bursts()
        return CensusSection(
            "accounts",
            L("Accounts and activity", "الحسابات والنشاط"),
            [
                Headline(
                    "median_followers",
                    L("Median followers", "وسيط المتابِعين"),
                    _r(dist_rows[0][6]),
                    "count",
                ),
                Headline(
                    "mean_followers",
                    L("Mean followers", "متوسط المتابِعين"),
                    dist_rows[0][3],
                    "count",
                ),
                Headline(
                    "posts_per_day",
                    L(
                        "Median posts per day (platform count)",
                        "وسيط المنشورات يوميًا (عدّاد المنصة)",
                    ),
                    _r(ppd),
                    "ratio",
                ),
                Headline(
                    "posts_per_day_seen",
                    L("Median posts per day (collected)", "وسيط المنشورات يوميًا (المجموعة)"),
                    _r(ppd_seen),
                    "ratio",
                ),
                Headline(
                    "core_accounts",
                    L("Accounts producing half of all posts", "حسابات تنتج نصف المنشورات"),
                    core,
                    "count",
                ),
                Headline(
                    "core_share",
                    L("…as a share of posting accounts", "…نسبةً إلى الحسابات الناشرة"),
                    _pct(core, n_accounts),
                    "percent",
                ),
                Headline("burst_days", L("Burst days", "أيام الذروة"), len(bursts.rows), "count"),
            ],
            [dist, hist, top, curve, bursts],
        )

    def _concentration(self, ranking: _Ranking) -> CensusTable:
        """Share of posts by the top x% of accounts (a Lorenz-style curve)."""
        n = ranking.accounts
        marks = {max(1, round(n * p / 100)): p for p in (1, 2, 5, 10, 20, 30, 50, 75, 100)}
        rows = (
            [
                [marks[rn], rn, _pct(ranking.running(rn), ranking.volume)]
                for rn in sorted(marks)
                if rn <= n
            ]
            if self.want("concentration")
            else []
        )
        return CensusTable(
            "concentration",
            L("Share of posts by the most active accounts", "نسبة المنشورات لدى أنشط الحسابات"),
            [
                Column("top_percent", L("Top accounts (%)", "أنشط الحسابات (%)"), "percent"),
                C_ACCOUNTS,
                Column("posts_share", L("Share of posts", "نسبة المنشورات"), "percent"),
            ],
            rows,
            Chart("line", "top_percent", ("posts_share",)),
        )

    def _bursts(self) -> CensusTable:
        """Days whose volume is far above the usual: robust z-score (median, MAD) > 3.5."""
        daily = self.rows_if(
            "bursts",
            """SELECT CAST(date_trunc('day', ts) AS DATE) d, count(*)
               FROM c_posts WHERE ts IS NOT NULL GROUP BY d ORDER BY d""",
            period="day",
        )
        counts = [c for _, c in daily]
        rows = []
        if len(counts) >= 7:
            med = statistics.median(counts)
            mad = statistics.median(abs(c - med) for c in counts) * 1.4826 or 1.0
            for d, c in daily:
                z = (c - med) / mad
                if z > 3.5 and c >= 10:
                    rows.append([d, c, round(z, 1)])
        if rows:
            tags = dict(
                (d, t)
                for d, t in self.rows(
                    """
                    WITH t AS (
                        SELECT CAST(date_trunc('day', ts) AS DATE) d, h, count(*) n
                        FROM c_posts, unnest(hashtags) AS u(h)
                        WHERE CAST(date_trunc('day', ts) AS DATE) IN (SELECT unnest(?::DATE[]))
                        GROUP BY d, h)
                    SELECT d, arg_max(h, (n, h)) FROM t GROUP BY d
                    """,
                    [[r[0] for r in rows]],
                    period="day",
                )
            )
            rows = [[*r, tags.get(r[0])] for r in rows]
        return CensusTable(
            "bursts",
            L("Burst days (robust z-score above 3.5)", "أيام الذروة (درجة معيارية متينة فوق 3.5)"),
            [
                C_DAY,
                C_POSTS,
                Column("z", L("Robust z-score", "الدرجة المعيارية المتينة"), "ratio"),
                Column("top_hashtag", L("Top hashtag that day", "أكثر وسم في ذلك اليوم")),
            ],
            rows,
        )

    # -- devices, languages, geolocation, age ----------------------------------------------------
    def devices(self) -> CensusSection:
        top = self.f.top

        def shares(col: str, key: str, title: Label, label: Label) -> CensusTable:
            rows = self.rows_if(
                key,
                sql(
                    """SELECT v, {posts} n, round(100.0 * n / sum(n) OVER (), 2), {accounts}
                    FROM {src} WHERE v IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT ?""",
                    **self.counted(col),
                ),
                [top],
            )
            return CensusTable(
                key,
                title,
                [Column(col, label), C_POSTS, C_SHARE, C_ACCOUNTS],
                rows,
                Chart("hbar", col, ("share",)),
            )

        def account_shares(col: str, key: str, title: Label, label: Label) -> CensusTable:
            rows = self.rows_if(
                key,
                sql(
                    """
                WITH c AS (SELECT platform, account_id, v, {posts} n FROM {src}
                           WHERE v IS NOT NULL AND account_id IS NOT NULL GROUP BY ALL),
                m AS (SELECT platform, account_id, arg_max(v, (n, v)) v FROM c GROUP BY ALL)
                SELECT v, count(*) k, round(100.0 * k / sum(k) OVER (), 2) FROM m
                GROUP BY v ORDER BY k DESC, v LIMIT ?""",
                    **self.counted(col),
                ),
                [top],
            )
            return CensusTable(
                key,
                title,
                [Column(col, label), C_ACCOUNTS, C_SHARE],
                rows,
                Chart("hbar", col, ("share",)),
            )

        clients = shares(
            "client",
            "clients",
            L("Posts by client (device)", "المنشورات حسب التطبيق (الجهاز)"),
            L("Client", "التطبيق"),
        )
        acc_clients = account_shares(
            "client",
            "account_clients",
            L("Accounts by their main client", "الحسابات حسب تطبيقها الرئيسي"),
            L("Client", "التطبيق"),
        )
        langs = shares(
            "lang",
            "languages",
            L("Posts by language", "المنشورات حسب اللغة"),
            L("Language", "اللغة"),
        )
        platform_langs = shares(
            "lang_platform",
            "platform_languages",
            L("Posts by the platform's language label", "المنشورات حسب وسم اللغة من المنصة"),
            L("Language (platform)", "اللغة (المنصة)"),
        )
        acc_langs = account_shares(
            "lang",
            "account_languages",
            L("Accounts by their main language", "الحسابات حسب لغتها الرئيسية"),
            L("Language", "اللغة"),
        )
        posts, coords, places, geo_accounts, accounts = self.one_if(
            "geolocation",
            5,
            """SELECT count(*), count(*) FILTER (WHERE lat IS NOT NULL),
                      count(*) FILTER (WHERE place_name IS NOT NULL OR country_code IS NOT NULL),
                      count(DISTINCT (platform, account_id)) FILTER (
                          WHERE lat IS NOT NULL OR place_name IS NOT NULL OR country_code IS NOT NULL),
                      count(DISTINCT (platform, account_id))
               FROM c_posts""",
        )
        countries = CensusTable(
            "countries",
            L("Geolocated posts by country", "المنشورات المحدّدة جغرافيًا حسب البلد"),
            [Column("country_code", L("Country", "البلد")), C_POSTS, C_SHARE],
            self.rows_if(
                "countries",
                """SELECT country_code, count(*) n, round(100.0 * n / sum(n) OVER (), 2)
                   FROM c_posts WHERE country_code IS NOT NULL
                   GROUP BY country_code ORDER BY n DESC, country_code LIMIT ?""",
                [top],
            ),
            Chart("hbar", "country_code", ("posts",)),
        )
        age_rows = self.rows_if(
            "account_age",
            """
            WITH a AS (SELECT date_diff('day', created_at, observed_at) d FROM _c_at
                       WHERE created_at IS NOT NULL AND observed_at IS NOT NULL
                         AND observed_at >= created_at),
            b AS (SELECT CASE WHEN d < 7 THEN 0 WHEN d < 30 THEN 1 WHEN d < 91 THEN 2
                              WHEN d < 365 THEN 3 WHEN d < 730 THEN 4 ELSE 5 END bin FROM a)
            SELECT ['< 1 week','1-4 weeks','1-3 months','3-12 months','1-2 years','2+ years'][bin + 1],
                   count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 2)
            FROM b GROUP BY bin ORDER BY bin
            """,
        )
        median_age = self.one_if(
            "account_age",
            1,
            """SELECT median(date_diff('day', created_at, observed_at)) FROM _c_at
               WHERE created_at IS NOT NULL AND observed_at >= created_at""",
        )[0]
        ages = CensusTable(
            "account_age",
            L("Account age when observed", "عمر الحساب عند رصده"),
            [Column("age", L("Age", "العمر")), C_ACCOUNTS, C_SHARE],
            age_rows,
            Chart("bar", "age", ("accounts",)),
        )
        creation = self.rows_if(
            "creation",
            sql(
                """SELECT {p0} k, count(*) FROM c_accounts
                WHERE created_at IS NOT NULL GROUP BY k ORDER BY k""",
                p0=self.trunc("created_at"),
            ),
            period=self.f.interval,
        )
        waves = _waves(creation)
        creation_table = CensusTable(
            "creation",
            L(
                "Accounts created per period (creation waves)",
                "الحسابات المُنشأة في كل فترة (موجات الإنشاء)",
            ),
            [
                self.period,
                Column("created", L("Accounts created", "حسابات أُنشئت"), "count"),
                Column("wave", L("Wave", "موجة")),
            ],
            [[k, n, k in waves] for k, n in creation],
            Chart("bar", "period", ("created",)),
        )
        top_client = clients.rows[0][0] if clients.rows else None
        top_lang = langs.rows[0][0] if langs.rows else None
        return CensusSection(
            "devices",
            L("Devices, languages and places", "الأجهزة واللغات والأماكن"),
            [
                Headline(
                    "top_client", L("Most used client", "التطبيق الأكثر استخدامًا"), top_client
                ),
                Headline(
                    "top_client_share",
                    L("…its share of posts", "…نسبته من المنشورات"),
                    clients.rows[0][2] if clients.rows else None,
                    "percent",
                ),
                Headline("top_language", L("Main language", "اللغة الرئيسية"), top_lang),
                Headline(
                    "top_language_share",
                    L("…its share of posts", "…نسبتها من المنشورات"),
                    langs.rows[0][2] if langs.rows else None,
                    "percent",
                ),
                Headline(
                    "geo_posts_share",
                    L("Posts with coordinates", "منشورات بإحداثيات"),
                    _pct(coords, posts),
                    "percent",
                ),
                Headline(
                    "place_posts_share",
                    L("Posts with a place", "منشورات بمكان"),
                    _pct(places, posts),
                    "percent",
                ),
                Headline(
                    "geo_accounts_share",
                    L("Accounts with any geolocated post", "حسابات لها منشور محدّد جغرافيًا"),
                    _pct(geo_accounts, accounts),
                    "percent",
                ),
                Headline(
                    "median_age_days",
                    L("Median account age when observed", "وسيط عمر الحساب عند رصده"),
                    _r(median_age),
                    "days",
                ),
                Headline(
                    "creation_waves", L("Creation waves", "موجات الإنشاء"), len(waves), "count"
                ),
            ],
            [
                clients,
                acc_clients,
                langs,
                acc_langs,
                platform_langs,
                countries,
                ages,
                creation_table,
            ],
        )

    # -- content ---------------------------------------------------------------------------------
    def content(self) -> CensusSection:
        top = self.f.top

        def top_list(col: str, key: str, title: Label, label: Label) -> CensusTable:
            rows = self.rows_if(
                key,
                sql(
                    """SELECT v, {posts} n, {accounts},
                           round(100.0 * n / (SELECT sum(posts) FROM {total}), 2)
                    FROM {src} GROUP BY v ORDER BY n DESC, v LIMIT ?""",
                    total=self.rolled("rollup_accounts"),
                    **self.counted(col, listed=True),
                ),
                [top],
            )
            return CensusTable(
                key,
                title,
                [
                    Column("value", label),
                    C_POSTS,
                    C_ACCOUNTS,
                    Column("share", L("Share of posts", "نسبة المنشورات"), "percent"),
                ],
                rows,
                Chart("hbar", "value", ("posts",)),
            )

        tags = top_list(
            "hashtags", "hashtags", L("Top hashtags", "أكثر الوسوم"), L("Hashtag", "الوسم")
        )
        mentions = top_list(
            "mentions",
            "mentions",
            L("Most mentioned accounts", "أكثر الحسابات إشارةً"),
            L("Mention", "الإشارة"),
        )
        domains = top_list(
            "domains",
            "domains",
            L("Top linked domains", "أكثر النطاقات ربطًا"),
            L("Domain", "النطاق"),
        )
        series_tags = [r[0] for r in tags.rows[:8]]
        series = CensusTable(
            "hashtag_series",
            L("Top hashtags over time", "أكثر الوسوم عبر الزمن"),
            [self.period, Column("hashtag", L("Hashtag", "الوسم")), C_POSTS],
            self.rows_if(
                "hashtag_series",
                sql(
                    """SELECT k, h, count(*) FROM (
                        SELECT {p0} k, unnest(hashtags) h FROM c_posts
                        WHERE ts IS NOT NULL AND list_has_any(hashtags, ?::VARCHAR[]))
                    WHERE list_contains(?::VARCHAR[], h)
                    GROUP BY k, h ORDER BY k, h""",
                    p0=self.trunc("ts"),
                ),
                [series_tags, series_tags],
                period=self.f.interval,
            ),
            Chart("line", "period", ("posts",), group="hashtag"),
        )
        rising = self._rising()
        return CensusSection(
            "content",
            L("Hashtags, mentions and links", "الوسوم والإشارات والروابط"),
            [
                Headline(
                    "distinct_hashtags",
                    L("Distinct hashtags", "وسوم مختلفة"),
                    self.one_if(
                        "distinct_hashtags",
                        1,
                        sql(
                            "SELECT count(DISTINCT hashtag) FROM {p0}",
                            p0=self.rolled("rollup_hashtags"),
                        ),
                    )[0],
                    "count",
                ),
                Headline(
                    "top_hashtag",
                    L("Top hashtag", "أكثر وسم"),
                    tags.rows[0][0] if tags.rows else None,
                ),
                Headline(
                    "top_domain",
                    L("Top linked domain", "أكثر نطاق"),
                    domains.rows[0][0] if domains.rows else None,
                ),
                Headline(
                    "posts_with_links",
                    L("Posts with links", "منشورات بروابط"),
                    self.one_if(
                        "links",
                        1,
                        "SELECT round(100.0 * count(*) FILTER (WHERE len(urls) > 0) / "
                        "greatest(count(*), 1), 2) FROM c_posts",
                    )[0],
                    "percent",
                ),
            ],
            [tags, series, rising, mentions, domains],
        )

    def _rising(self) -> CensusTable:
        """Hashtags of the last 30 days of the range against the 30 days before."""
        rows = self.rows_if(
            "rising_hashtags",
            """
            WITH bounds AS (SELECT max(created_at) hi FROM c_posts),
            t AS (
                SELECT h,
                       count(*) FILTER (WHERE created_at > hi - INTERVAL 30 DAY) recent,
                       count(*) FILTER (WHERE created_at <= hi - INTERVAL 30 DAY
                                          AND created_at > hi - INTERVAL 60 DAY) previous
                FROM c_posts, bounds, unnest(hashtags) AS u(h)
                WHERE created_at > hi - INTERVAL 60 DAY GROUP BY h)
            SELECT h, recent, previous, round((recent + 1.0) / (previous + 1.0), 2) growth
            FROM t WHERE recent >= 5 AND recent > previous
            ORDER BY growth DESC, recent DESC, h LIMIT ?
            """,
            [self.f.top],
        )
        return CensusTable(
            "rising_hashtags",
            L(
                "Rising hashtags: last 30 days against the 30 before",
                "وسوم صاعدة: آخر 30 يومًا مقابل الثلاثين السابقة",
            ),
            [
                Column("hashtag", L("Hashtag", "الوسم")),
                Column("recent", L("Last 30 days", "آخر 30 يومًا"), "count"),
                Column("previous", L("30 days before", "الثلاثون السابقة"), "count"),
                Column("growth", L("Growth (x)", "النمو (مرات)"), "ratio"),
            ],
            rows,
            Chart("hbar", "hashtag", ("growth",)),
        )

    # -- outlets and outlinks -------------------------------------------------------------------
    def outlets_section(self) -> CensusSection:
        # names: one RE2 pattern per outlet, bound as a parameter (compiled once)
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _c_outlet_names "
            "(platform VARCHAR, native_id VARCHAR, outlet VARCHAR)"
        )
        for outlet, pattern in self.outlets.name_patterns().items():
            self.con.execute(
                "INSERT INTO _c_outlet_names SELECT platform, native_id, ? FROM c_texts "
                "WHERE text_norm IS NOT NULL AND regexp_matches(text_norm, ?)",
                [outlet, pattern],
            )
        self.con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _c_outlet_posts AS
            WITH tok AS (SELECT indicator AS outlet, kind, token FROM _c_outlet_tokens),
            by_tag AS (SELECT DISTINCT p.platform, p.native_id, t.outlet
                       FROM c_posts p, unnest(p.hashtags) u(v) JOIN tok t
                       ON t.kind = 'hashtag' AND t.token = u.v),
            by_domain AS (SELECT DISTINCT p.platform, p.native_id, t.outlet
                          FROM c_posts p, unnest(p.domains) u(v) JOIN tok t
                          ON t.kind = 'domain' AND (u.v = t.token OR ends_with(u.v, '.' || t.token))),
            by_handle AS (SELECT DISTINCT p.platform, p.native_id, t.outlet
                          FROM c_posts p JOIN accounts a
                            ON a.platform = p.platform AND a.native_id = p.account_id
                          JOIN tok t ON t.kind = 'handle' AND lower(a.handle) = t.token),
            by_mention AS (SELECT DISTINCT p.platform, p.native_id, t.outlet
                           FROM c_posts p, unnest(p.mentions) u(v) JOIN tok t
                           ON t.kind = 'handle' AND u.v = t.token),
            by_name AS (SELECT platform, native_id, outlet FROM _c_outlet_names)
            SELECT DISTINCT o.platform, o.native_id, o.outlet, p.created_at, p.account_id
            FROM (SELECT * FROM by_tag UNION SELECT * FROM by_domain UNION SELECT * FROM by_handle
                  UNION SELECT * FROM by_mention UNION SELECT * FROM by_name) o
            JOIN c_posts p ON p.platform = o.platform AND p.native_id = o.native_id
            """
        )
        labels = self.outlets.labels("en")
        labels_ar = self.outlets.labels("ar")
        totals = self.rows(
            """SELECT outlet, count(*) n, count(DISTINCT (platform, account_id)),
                      min(created_at), max(created_at)
               FROM _c_outlet_posts GROUP BY outlet ORDER BY n DESC, outlet"""
        )
        outlet_table = CensusTable(
            "outlets",
            L("Posts naming or linking each outlet", "المنشورات التي تذكر كل مؤسسة أو تربط إليها"),
            [
                Column("outlet", L("Outlet", "المؤسسة")),
                Column("name_en", L("Name", "الاسم")),
                Column("name_ar", L("Arabic name", "الاسم العربي")),
                C_POSTS,
                C_ACCOUNTS,
                Column("first", L("First post", "أول منشور"), "date"),
                Column("last", L("Last post", "آخر منشور"), "date"),
            ],
            [
                [o, labels.get(o, o), labels_ar.get(o, o), n, a, _d(f), _d(t)]
                for o, n, a, f, t in totals
            ],
            Chart("hbar", "name_en", ("posts",)),
        )
        monthly = self.rows(
            sql(
                """SELECT {p0} k, outlet, count(*) n
                FROM _c_outlet_posts WHERE created_at IS NOT NULL
                GROUP BY k, outlet ORDER BY outlet, k""",
                p0=self.trunc("created_at"),
            ),
            period=self.f.interval,
        )
        series_rows = []
        previous: dict[str, int] = {}
        for k, outlet, n in monthly:
            before = previous.get(outlet)
            change = None if before is None else round(100.0 * (n - before) / before, 1)
            series_rows.append([k, labels.get(outlet, outlet), n, change])
            previous[outlet] = n
        series_rows.sort(key=lambda r: (r[0], r[1]))
        series = CensusTable(
            "outlet_series",
            L(
                "Output per outlet per period, with change on the period before",
                "إنتاج كل مؤسسة في كل فترة مع التغيّر عن الفترة السابقة",
            ),
            [
                self.period,
                Column("outlet", L("Outlet", "المؤسسة")),
                C_POSTS,
                Column(
                    "change", L("Change on previous period", "التغيّر عن الفترة السابقة"), "percent"
                ),
            ],
            series_rows,
            Chart("line", "period", ("posts",), group="outlet"),
            note=L(
                "Change is against the outlet's previous period with posts.",
                "التغيّر محسوب مقابل آخر فترة سابقة للمؤسسة فيها منشورات.",
            ),
        )
        links = self.rows(
            """
            WITH l AS (SELECT p.platform src, p.native_id, p.account_id, u.v domain
                       FROM c_posts p, unnest(p.domains) u(v)),
            m AS (SELECT l.*, s.platform target, s.category,
                         row_number() OVER (PARTITION BY l.native_id, l.src, l.domain
                                            ORDER BY length(s.suffix) DESC) r
                  FROM l JOIN _c_platform_suffixes s
                  ON l.domain = s.suffix OR ends_with(l.domain, '.' || s.suffix))
            SELECT target, category, count(*) n, count(DISTINCT (src, native_id)),
                   count(DISTINCT (src, account_id)),
                   round(100.0 * n / (SELECT count(*) FROM l), 2)
            FROM m WHERE r = 1 GROUP BY target, category ORDER BY n DESC, target
            """
        )
        outlinks = CensusTable(
            "outlinks",
            L("Links to other platforms", "الروابط إلى منصات أخرى"),
            [
                Column("platform", L("Platform", "المنصة")),
                Column("category", L("Kind", "النوع")),
                Column("links", L("Links", "الروابط"), "count"),
                C_POSTS,
                C_ACCOUNTS,
                Column("share", L("Share of all links", "النسبة من كل الروابط"), "percent"),
            ],
            [
                [
                    PLATFORM_LABELS.get(t, {}).get("en", t),
                    CATEGORY_LABELS.get(c, {}).get("en", c),
                    *rest,
                ]
                for t, c, *rest in links
            ],
            Chart("hbar", "platform", ("links",)),
        )
        return CensusSection(
            "outlets",
            L("Media outlets and outlinks", "المؤسسات الإعلامية والروابط الخارجية"),
            [
                Headline(
                    "outlet_posts",
                    L("Posts naming or linking an outlet", "منشورات تذكر مؤسسة أو تربط إليها"),
                    self.one("SELECT count(DISTINCT (platform, native_id)) FROM _c_outlet_posts")[
                        0
                    ],
                    "count",
                ),
                Headline("outlets_seen", L("Outlets seen", "مؤسسات ظهرت"), len(totals), "count"),
                Headline(
                    "top_outlet",
                    L("Most present outlet", "المؤسسة الأكثر حضورًا"),
                    labels.get(totals[0][0], totals[0][0]) if totals else None,
                ),
                Headline(
                    "outlinks",
                    L("Links to other platforms", "روابط إلى منصات أخرى"),
                    sum(r[2] for r in links),
                    "count",
                ),
            ],
            [outlet_table, series, outlinks],
        )

    # -- survival --------------------------------------------------------------------------------
    def survival(self) -> CensusSection:
        end = self.f.until
        # first and last post of each account, in scope or not
        seen = _Sql(
            "SELECT platform, account_id, first_at first, last_at last FROM _c_posting"
            if self.all_posts
            else "SELECT platform, account_id, min(created_at) first, max(created_at) last "
            "FROM posts GROUP BY platform, account_id"
        )
        got = self.con.execute(
            sql(
                """
            WITH seen AS ({p0}),
            snaps AS (SELECT platform, account_id, first_seen first, last_seen last FROM _c_snap),
            ev AS (
                SELECT platform, account_id,
                       min(observed_at) FILTER (WHERE status = 'suspended') suspended,
                       max(observed_at) FILTER (WHERE status <> 'suspended') alive
                FROM status_events GROUP BY platform, account_id),
            base AS (
                SELECT a.created_at IS NOT NULL has_created,
                       coalesce(a.created_at, least(s.first, n.first, a.observed_at)) start,
                       ev.suspended IS NOT NULL AND (?::TIMESTAMPTZ IS NULL OR ev.suspended < ?)
                           event,
                       ev.suspended,
                       greatest(s.last, n.last, a.observed_at, ev.alive) last_alive
                FROM c_accounts a
                LEFT JOIN seen s ON s.platform = a.platform AND s.account_id = a.native_id
                LEFT JOIN snaps n ON n.platform = a.platform AND n.account_id = a.native_id
                LEFT JOIN ev ON ev.platform = a.platform AND ev.account_id = a.native_id),
            d AS (
                SELECT has_created, event, start,
                       CASE WHEN event THEN suspended
                            WHEN ?::TIMESTAMPTZ IS NULL THEN last_alive
                            ELSE least(last_alive, ?) END stop
                FROM base)
            SELECT coalesce(has_created, false) has_created, coalesce(event, false) event,
                   coalesce((epoch_us(stop) - epoch_us(start)) / 86400e6, -1.0) lifetime
            FROM d
            """,
                p0=seen,
            ),
            [end, end, end, end],
        ).fetchnumpy()
        # accounts with no usable dates (no start, no sighting, or a stop before the start)
        usable = got["lifetime"] >= 0
        dropped = int((~usable).sum())
        durations = got["lifetime"][usable]
        observed = got["event"][usable]
        from_creation = int(got["has_created"][usable].sum())
        km = kaplan_meier(durations, observed)
        curve = CensusTable(
            "kaplan_meier",
            L(
                "Share of accounts not yet suspended, by days since creation",
                "نسبة الحسابات غير المعلّقة بعدُ حسب الأيام منذ الإنشاء",
            ),
            [
                Column("days", L("Days since creation", "أيام منذ الإنشاء"), "days"),
                Column("at_risk", L("At risk", "تحت الخطر"), "count"),
                Column("events", L("Suspended", "عُلّقت"), "count"),
                Column("censored", L("Censored", "مراقبة مقطوعة"), "count"),
                Column("survival", L("Not yet suspended", "غير معلّقة بعد"), "ratio"),
                Column("lower", L("95% lower", "الحد الأدنى 95%"), "ratio"),
                Column("upper", L("95% upper", "الحد الأعلى 95%"), "ratio"),
            ],
            [
                [round(t, 4), n, d, c, round(s, 6), round(lo, 6), round(hi, 6)]
                for t, n, d, c, s, lo, hi in km.rows(KM_ROWS)
            ],
            Chart(
                "step",
                "days",
                ("survival",),
                x_label=L("Days since creation", "أيام منذ الإنشاء"),
                y_label=L("Share not yet suspended", "نسبة غير المعلّقة"),
            ),
        )
        median = km.median()
        gridded = sum(1 for d in km.events if d) > KM_ROWS
        grid_en = (
            f" The table gives the curve at the end of regular steps ({len(curve.rows)} rows, "
            "not one per suspension): the estimate at each row is exact, its counts are the "
            "step's."
        )
        grid_ar = (
            f" يعرض الجدول المنحنى في نهاية خطوات منتظمة ({len(curve.rows)} صفًّا، "
            "لا صفًّا لكل تعليق): التقدير في كل صف دقيق، وأعداده أعداد الخطوة."
        )
        return CensusSection(
            "survival",
            L("How fast accounts are suspended", "سرعة تعليق الحسابات"),
            [
                Headline(
                    "accounts", L("Accounts in the estimate", "حسابات في التقدير"), km.n, "count"
                ),
                Headline("suspended", L("Suspended", "عُلّقت"), km.n_events, "count"),
                Headline(
                    "censored",
                    L("Still up when last seen (censored)", "ما زالت قائمة عند آخر رصد (مقطوعة)"),
                    km.n - km.n_events,
                    "count",
                ),
                Headline(
                    "median_days",
                    L(
                        "Median lifetime (days; empty: not reached)",
                        "وسيط العمر (أيام؛ فارغ: لم يُبلغ)",
                    ),
                    None if median is None else round(median, 2),
                    "days",
                ),
                Headline(
                    "suspended_2d",
                    L("Suspended within 2 days", "عُلّقت خلال يومين"),
                    round(100 * (1 - km.at(2.0)), 2) if km.n else None,
                    "percent",
                ),
                Headline(
                    "suspended_5d",
                    L("Suspended within 5 days", "عُلّقت خلال 5 أيام"),
                    round(100 * (1 - km.at(5.0)), 2) if km.n else None,
                    "percent",
                ),
            ],
            [curve],
            note=L(
                f"Start: creation date ({from_creation} accounts) or first sighting "
                f"({km.n - from_creation}); {dropped} accounts without usable dates left out. "
                "Accounts never seen suspended are censored at their last sighting."
                + (grid_en if gridded else ""),
                f"البداية: تاريخ الإنشاء ({from_creation} حسابًا) أو أول رصد "
                f"({km.n - from_creation})؛ استُبعد {dropped} حسابًا بلا تواريخ صالحة. "
                "الحسابات التي لم تُرصد معلّقة تُقطع مراقبتها عند آخر رصد لها."
                + (grid_ar if gridded else ""),
            ),
        )

    # -- migration -------------------------------------------------------------------------------
    def migration(self) -> CensusSection:
        activity = self.rows(
            sql(
                """SELECT {p0} k, platform, count(*) n,
                       round(100.0 * n / sum(n) OVER (PARTITION BY k), 2)
                FROM c_posts WHERE ts IS NOT NULL GROUP BY k, platform ORDER BY k, platform""",
                p0=self.trunc("ts"),
            ),
            period=self.f.interval,
        )
        outlinks = self.rows(
            sql(
                """
            WITH l AS (SELECT p.ts, p.native_id, p.platform src, u.v domain
                       FROM c_posts p, unnest(p.domains) u(v) WHERE p.ts IS NOT NULL),
            m AS (SELECT l.*, s.platform target,
                         row_number() OVER (PARTITION BY l.native_id, l.src, l.domain
                                            ORDER BY length(s.suffix) DESC) r
                  FROM l JOIN _c_platform_suffixes s
                  ON l.domain = s.suffix OR ends_with(l.domain, '.' || s.suffix))
            SELECT {p0} k, target, count(*) n,
                   round(100.0 * n / sum(n) OVER (PARTITION BY k), 2)
            FROM m WHERE r = 1 GROUP BY k, target ORDER BY k, target
            """,
                p0=self.trunc("ts"),
            ),
            period=self.f.interval,
        )
        return CensusSection(
            "migration",
            L("Migration between platforms", "الانتقال بين المنصات"),
            [
                Headline(
                    "platforms",
                    L("Platforms with posts", "منصات فيها منشورات"),
                    len({r[1] for r in activity}),
                    "count",
                )
            ],
            [
                CensusTable(
                    "activity_by_platform",
                    L("Share of posts by platform", "نسبة المنشورات حسب المنصة"),
                    [self.period, Column("platform", L("Platform", "المنصة")), C_POSTS, C_SHARE],
                    activity,
                    Chart("area", "period", ("share",), group="platform"),
                ),
                CensusTable(
                    "outlinks_by_platform",
                    L(
                        "Share of outlinks by target platform",
                        "نسبة الروابط الخارجية حسب المنصة الهدف",
                    ),
                    [
                        self.period,
                        Column("platform", L("Platform linked to", "المنصة المرتبط بها")),
                        Column("links", L("Links", "الروابط"), "count"),
                        C_SHARE,
                    ],
                    [[k, PLATFORM_LABELS.get(t, {}).get("en", t), n, s] for k, t, n, s in outlinks],
                    Chart("area", "period", ("share",), group="platform"),
                ),
            ],
        )

    # -- counter-messaging -------------------------------------------------------------------------
    def campaigns(self) -> CensusSection:
        rows_series: list[list[Any]] = []
        totals: list[list[Any]] = []
        for c in self.f.campaigns:
            got = self.rows(
                sql(
                    """
                WITH m AS (
                    SELECT p.platform, p.account_id, {p0} k
                    FROM c_all_posts p
                    WHERE p.created_at IS NOT NULL AND (
                        list_has_any(p.hashtags, ?::VARCHAR[])
                        OR (? <> '' AND regexp_matches(coalesce(p.text_norm, ''), ?))))
                {p1}
                """,
                    p0=self.trunc("p.created_at"),
                    p1=_PER_PERIOD_REACH,
                ),
                [list(c.hashtags), _any_word(c.keywords), _any_word(c.keywords)],
                period=self.f.interval,
            )
            rows_series += [[k, c.name, n, a, r] for k, n, a, r in got]
            totals.append(
                [c.name, "campaign", sum(r[1] for r in got), max((r[2] for r in got), default=0)]
            )
        # the network's own top hashtags, for comparison
        own = [
            r[0]
            for r in self.rows(
                """SELECT h, count(*) n FROM c_posts, unnest(hashtags) u(h)
                   GROUP BY h ORDER BY n DESC, h LIMIT 3"""
            )
        ]
        network = self.rows(
            sql(
                """
            WITH m AS (SELECT platform, account_id, {p0} k
                       FROM c_posts WHERE ts IS NOT NULL)
            {p1}
            """,
                p0=self.trunc("ts"),
                p1=_PER_PERIOD_REACH,
            ),
            period=self.f.interval,
        )
        rows_series += [[k, "network (all posts)", n, a, r] for k, n, a, r in network]
        for tag in own:
            got = self.rows(
                sql(
                    """SELECT {p0} k, count(*),
                           count(DISTINCT (platform, account_id)), NULL
                    FROM c_posts WHERE ts IS NOT NULL AND list_contains(hashtags, ?)
                    GROUP BY k ORDER BY k""",
                    p0=self.trunc("ts"),
                ),
                [tag],
                period=self.f.interval,
            )
            rows_series += [[k, "#" + tag, n, a, r] for k, n, a, r in got]
            totals.append(["#" + tag, "network hashtag", sum(r[1] for r in got), None])
        rows_series.sort(key=lambda r: (r[0], r[1]))
        note = None
        if not self.f.campaigns:
            note = L(
                "No campaign defined: pass --campaign NAME=#hashtag,keyword to compare one.",
                "لم تُحدَّد حملة: استخدم ‎--campaign NAME=#hashtag,keyword‎ للمقارنة.",
            )
        return CensusSection(
            "campaigns",
            L("Counter-messaging campaigns", "حملات الرسائل المضادّة"),
            [
                Headline(f"campaign_{i}", L(f"Posts of {t[0]}", f"منشورات {t[0]}"), t[2], "count")
                for i, t in enumerate(totals)
                if t[1] == "campaign"
            ],
            [
                CensusTable(
                    "campaign_series",
                    L(
                        "Campaigns against the network's own hashtags",
                        "الحملات مقابل وسوم الشبكة نفسها",
                    ),
                    [
                        self.period,
                        Column("series", L("Series", "السلسلة")),
                        C_POSTS,
                        C_ACCOUNTS,
                        Column(
                            "reach",
                            L(
                                "Reach (followers of posting accounts)",
                                "الوصول (متابِعو الحسابات الناشرة)",
                            ),
                            "count",
                        ),
                    ],
                    rows_series,
                    Chart("line", "period", ("posts",), group="series"),
                ),
                CensusTable(
                    "campaign_totals",
                    L("Totals", "المجاميع"),
                    [
                        Column("series", L("Series", "السلسلة")),
                        Column("kind", L("Kind", "النوع")),
                        C_POSTS,
                        Column(
                            "peak_accounts",
                            L("Most accounts in a period", "أكثر حسابات في فترة"),
                            "count",
                        ),
                    ],
                    totals,
                ),
            ],
            note=note,
        )


#: posts, accounts and reach (followers of the distinct posting accounts) per period of ``m``
_PER_PERIOD_REACH = _Sql("""
, per AS (SELECT k, count(*) posts FROM m GROUP BY k),
acc AS (SELECT DISTINCT k, platform, account_id FROM m WHERE account_id IS NOT NULL),
reach AS (SELECT acc.k, count(*) accounts, coalesce(sum(a.followers), 0) reach
          FROM acc LEFT JOIN accounts a
            ON a.platform = acc.platform AND a.native_id = acc.account_id
          GROUP BY acc.k)
SELECT per.k, per.posts, coalesce(reach.accounts, 0), coalesce(reach.reach, 0)
FROM per LEFT JOIN reach USING (k) ORDER BY per.k
""")


class _Ranking:
    """Accounts ranked by their posts (most first), known from *histogram*:
    ``(posts, accounts with that many)`` rows, most posts first."""

    def __init__(self, histogram: Sequence[Sequence[int]]) -> None:
        self.groups = [(int(p), int(k)) for p, k in histogram]
        self.accounts = sum(k for _, k in self.groups)
        self.volume = sum(p * k for p, k in self.groups)

    def running(self, rank: int) -> int:
        """Posts of the accounts ranked 1 to *rank*."""
        total = seen = 0
        for posts, k in self.groups:
            take = min(k, rank - seen)
            total += take * posts
            seen += take
            if seen >= rank:
                break
        return total

    def core(self) -> int:
        """The fewest accounts that produce half of all posts: those whose
        posts before them in the ranking are fewer than half."""
        core = before = 0
        for posts, k in self.groups:
            # accounts j = 0..k-1 of this group have before + j * posts before
            # them; count those with 2 * (before + j * posts) < volume
            room = self.volume - 2 * before
            if room <= 0:
                break
            core += min(k, -(-room // (2 * posts)))
            before += k * posts
        return core


#: columns of the posts with a rollup of their own (marsad.store.rollup)
_ROLLED = {"client": "rollup_clients", "lang": "rollup_langs", "hashtags": "rollup_hashtags"}


def _rolled_name(table: str) -> _Sql:
    """The census's relation for rollup *table*: ``rollup_months`` -> ``c_rolled_months``."""
    return _Sql("c_rolled_" + table.removeprefix("rollup_"))


def _any_word(words: Sequence[str]) -> str:
    """An RE2 pattern matching any of *words* as whole words (escaped); "" for none."""
    if not words:
        return ""
    return r"(^|[^\pL\pN_])(" + "|".join(re.escape(w) for w in words) + r")($|[^\pL\pN_])"


def _waves(series: list[list[Any]]) -> set[str]:
    """Periods with more than twice the median number of new accounts (and at least 5)."""
    counts = [n for _, n in series]
    if len(counts) < 3:
        return set()
    med = statistics.median(counts)
    return {k for k, n in series if n >= 5 and n > 2 * med}


def _pct(part: float | None, whole: float | None) -> float | None:
    if not whole or part is None:
        return None
    return round(100.0 * part / whole, 2)


def _r(value: Any, digits: int = 2) -> Any:
    return round(float(value), digits) if isinstance(value, int | float) else value


def _d(value: Any) -> str | None:
    return value.date().isoformat() if isinstance(value, datetime) else None


DEFINITIONS = [
    {
        "term": L("Post", "منشور"),
        "text": L(
            "The current version of a tweet, retweet, message or video (edits count once).",
            "النسخة الحالية من تغريدة أو إعادة تغريد أو رسالة أو مقطع (التعديلات تُحسب مرة واحدة).",
        ),
    },
    {
        "term": L("Status", "الحالة"),
        "text": L(
            "The last status marsad observed for an account: from platform errors in the exports "
            "and from status files (marsad status).",
            "آخر حالة رصدها مرصد للحساب: من أخطاء المنصة في الملفات المصدَّرة ومن ملفات الحالة.",
        ),
    },
    {
        "term": L("Client", "التطبيق"),
        "text": L(
            "The app a post was sent from (X's source field).",
            "التطبيق الذي أُرسل منه المنشور (حقل المصدر في إكس).",
        ),
    },
    {
        "term": L("Language", "اللغة"),
        "text": L(
            "Identified by marsad from the text (fastText lid.176); the platform's label when the "
            "text is too short.",
            "تُحدَّد من النص (fastText lid.176)؛ ويُستعمل وسم المنصة حين يكون النص قصيرًا جدًا.",
        ),
    },
    {
        "term": L("Survival", "البقاء"),
        "text": L(
            "Kaplan–Meier estimate of the share of accounts not yet suspended, by days since "
            "creation; accounts not seen suspended are censored at their last sighting.",
            "تقدير كابلان–ماير لنسبة الحسابات غير المعلّقة بعد حسب الأيام منذ الإنشاء؛ "
            "الحسابات التي لم تُرصد معلّقة تُقطع مراقبتها عند آخر رصد لها.",
        ),
    },
]

CAVEATS = [
    L(
        "Counts describe what the workspace holds, not the whole platform: collections are "
        "samples shaped by their queries.",
        "الأرقام تصف ما تحويه مساحة العمل لا المنصة كلها: المجموعات عيّنات تحدّدها استعلاماتها.",
    ),
    L(
        "A suspension is dated when marsad learnt of it, which can be later than when it happened.",
        "يُؤرَّخ التعليق بوقت علم مرصد به، وقد يكون بعد وقوعه.",
    ),
    L(
        "Outlet matches are by name, hashtag, handle and domain from a registry users can edit; "
        "a name in a post is not proof of affiliation.",
        "مطابقة المؤسسات بالاسم والوسم والحساب والنطاق من سجل قابل للتعديل؛ "
        "ذكر الاسم في منشور ليس دليل انتماء.",
    ),
]


SECTIONS = (
    "size",
    "accounts",
    "devices",
    "content",
    "outlets",
    "survival",
    "migration",
    "campaigns",
)
#: the sections the headline statistics come from
HEADLINE_SECTIONS = ("size", "accounts", "devices", "content", "survival")


def run_census(
    con: duckdb.DuckDBPyConnection,
    flt: CensusFilter | None = None,
    *,
    outlets: IndicatorRegistry | None = None,
    sections: Sequence[str] = SECTIONS,
    workspace: Path | None = None,
    headline: bool = False,
) -> CensusResult:
    """Compute the census of the workspace open on *con* (read-only).

    *headline* computes only the headline statistics (accounts by status, posts
    per month, followers, clients, languages, top hashtags, the hyperactive
    core, survival); the other tables come back empty.
    """
    flt = flt or CensusFilter()
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        from marsad.errors import ConfigError

        raise ConfigError(f"unknown census section(s): {', '.join(sorted(unknown))}")
    if headline and tuple(sections) == SECTIONS:
        sections = HEADLINE_SECTIONS
    census = _Census(con, flt, (outlets or IndicatorRegistry.load()).outlets(), headline)
    census.setup()
    meta = census.meta()
    if workspace is not None:
        meta["workspace"] = str(workspace)
    makers = {
        "size": census.size,
        "accounts": census.accounts,
        "devices": census.devices,
        "content": census.content,
        "outlets": census.outlets_section,
        "survival": census.survival,
        "migration": census.migration,
        "campaigns": census.campaigns,
    }
    return CensusResult(meta, [makers[s]() for s in SECTIONS if s in sections])
