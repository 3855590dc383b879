"""Coordinated behaviour: distinct accounts posting the same thing at the same time.

Part of the network stage (read-only analytics over the store).  A network
that pushes material acts in bursts: many accounts post the same text, or the
same link, within seconds of each other -- by script, or on a call to act.
Independent users rarely write the same sentence within a minute.

**Rule.**  Posts are keyed by their *normalised text* (the store's
``text_norm`` -- Unicode- and Arabic-normalised, case-folded -- with links
removed, since X gives every post its own ``t.co`` link, and spaces collapsed)
and, separately, by each *link* they carry (``urls``, already expanded and
normalised by the enrich step).  Within a key, posts are ordered in time and a
**cluster** is a maximal run in which each post comes at most
``window_seconds`` (default 60) after the previous one (single linkage in
time: a cluster can last longer than the window when the posts keep coming).
A cluster is reported when it holds at least ``min_accounts`` (default 3)
distinct accounts: two accounts can coincide, three within a minute rarely do.

Left out by default, because they repeat text by construction and are not
evidence of coordination: reposts and Telegram forwards (a repost's text is
its original's; ``include_reposts=True`` counts them), and texts shorter than
``min_text_chars`` (20) after normalisation ("thank you", a bare hashtag).
Known false positives: "share this" buttons of news sites (same text + link
from many readers), automated cross-posting of one owner's accounts (which
*is* coordination, but not covert), trending quotes and slogans.

Everything runs as DuckDB window and grouping queries (``lag`` over each key's
posts in time, a running sum to number the clusters), so the cost is a sort of
the posts whose key has enough accounts -- never all pairs of posts.

**Pair graph.**  Accounts are linked when they appear in the same cluster,
``weight`` = clusters shared: the accounts that act together again and again.
A cluster of ``k`` accounts adds ``k (k - 1) / 2`` pairs, so clusters larger
than ``max_pair_accounts`` (default 100) are reported but add no pairs: their
members are listed in the cluster, and such a crowd is rarely a tight team.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import igraph as ig

from marsad.errors import ConfigError
from marsad.network.graph import pair_graph

__all__ = [
    "DEFAULT_WINDOW_SECONDS",
    "MAX_WINDOW_SECONDS",
    "CoordinatedCluster",
    "Coordination",
    "find_coordination",
]

#: posts of one cluster follow each other within this many seconds (assumption:
#: scripted posting lands within seconds, a call to act within a minute)
DEFAULT_WINDOW_SECONDS = 60.0
#: the largest window accepted: beyond an hour, "the same time" means little
MAX_WINDOW_SECONDS = 3600.0
#: keys the finder knows
KEYS = ("text", "link")


@dataclass(frozen=True)
class CoordinatedCluster:
    """One burst: distinct accounts posting the same *key* close together in time."""

    by: str  # "text" or "link"
    key: str  # the normalised text, or the link
    accounts: tuple[str, ...]  # vertex names ("x:123"), sorted
    posts: int
    first_at: datetime
    last_at: datetime
    first_post: str  # "platform:native_id" of the earliest post

    @property
    def span_seconds(self) -> float:
        return (self.last_at - self.first_at).total_seconds()


@dataclass(frozen=True)
class Coordination:
    """Every cluster found (most accounts first) and the account-pair graph."""

    window_seconds: float
    clusters: tuple[CoordinatedCluster, ...]
    #: undirected; vertex attributes as the interaction graph's; edge ``kind``
    #: "coordinated", ``weight`` = clusters the two accounts share
    pairs: ig.Graph

    @property
    def accounts(self) -> set[str]:
        """Every account in at least one cluster."""
        return {a for c in self.clusters for a in c.accounts}


def find_coordination(
    con: duckdb.DuckDBPyConnection,
    *,
    window_seconds: float = DEFAULT_WINDOW_SECONDS,
    by: Sequence[str] = KEYS,
    platform: str | None = None,
    min_accounts: int = 3,
    min_text_chars: int = 20,
    include_reposts: bool = False,
    max_pair_accounts: int = 100,
) -> Coordination:
    """Clusters of coordinated posts in the store of *con* (see the module docstring).

    Raises :class:`~marsad.errors.ConfigError` for a window outside
    ``(0, MAX_WINDOW_SECONDS]``, an unknown key in *by*, or ``min_accounts < 2``.
    """
    if not 0 < window_seconds <= MAX_WINDOW_SECONDS:
        raise ConfigError(
            f"coordination window must be in (0, {MAX_WINDOW_SECONDS:.0f}] seconds, "
            f"got {window_seconds}"
        )
    keys = [by] if isinstance(by, str) else list(by)
    unknown = sorted(set(keys) - set(KEYS))
    if unknown or not keys:
        raise ConfigError(f"coordination is by {' and/or '.join(KEYS)}, got {keys}")
    if min_accounts < 2:
        raise ConfigError(f"a cluster needs at least 2 accounts, got min_accounts={min_accounts}")
    cur = con.cursor()
    try:
        cur.execute(
            r"""
            CREATE TEMP TABLE _co_p AS
            WITH p AS (
                SELECT platform, native_id, account_id, created_at, text_norm, urls
                FROM current_posts
                WHERE account_id IS NOT NULL AND created_at IS NOT NULL
                  AND (?::VARCHAR IS NULL OR platform = ?::VARCHAR)
                  AND (?::BOOLEAN OR (kind <> 'repost' AND forward_from_account_id IS NULL)))
            SELECT * FROM (
                SELECT 'text' AS basis, platform, native_id, account_id, created_at,
                       trim(regexp_replace(regexp_replace(text_norm, 'https?://\S+', ' ', 'g'),
                                           '\s+', ' ', 'g')) AS key
                FROM p WHERE list_contains(?::VARCHAR[], 'text') AND text_norm IS NOT NULL)
            WHERE length(key) >= ?
            UNION ALL
            SELECT DISTINCT 'link', platform, native_id, account_id, created_at, unnest(urls)
            FROM p WHERE list_contains(?::VARCHAR[], 'link')
            """,
            [platform, platform, include_reposts, keys, min_text_chars, keys],
        )
        # only keys that enough accounts used at all can make a cluster
        cur.execute(
            """
            CREATE TEMP TABLE _co_k AS
            SELECT p.* FROM _co_p p
            SEMI JOIN (SELECT basis, key FROM _co_p WHERE key IS NOT NULL GROUP BY basis, key
                       HAVING count(DISTINCT (platform, account_id)) >= ?) k
              ON k.basis = p.basis AND k.key = p.key
            """,
            [min_accounts],
        )
        cur.execute(
            """
            CREATE TEMP TABLE _co_b AS
            SELECT *, sum(brk) OVER (PARTITION BY basis, key ORDER BY created_at, platform, native_id
                                     ROWS UNBOUNDED PRECEDING) AS burst
            FROM (SELECT *,
                         CASE WHEN epoch(created_at) - epoch(lag(created_at) OVER w) <= ?
                              THEN 0 ELSE 1 END AS brk
                  FROM _co_k
                  WINDOW w AS (PARTITION BY basis, key ORDER BY created_at, platform, native_id))
            """,
            [float(window_seconds)],
        )
        cur.execute(
            """
            CREATE TEMP TABLE _co_c AS
            SELECT row_number() OVER (ORDER BY n_accounts DESC, posts DESC, first_at, basis, key)
                       AS cid, *
            FROM (SELECT basis, key, burst, count(*) AS posts,
                         count(DISTINCT (platform, account_id)) AS n_accounts,
                         min(created_at) AS first_at, max(created_at) AS last_at,
                         arg_min(platform || ':' || native_id, (created_at, native_id))
                             AS first_post,
                         list_sort(list_distinct(list(platform || ':' || account_id))) AS accounts
                  FROM _co_b GROUP BY basis, key, burst
                  HAVING count(DISTINCT (platform, account_id)) >= ?)
            """,
            [min_accounts],
        )
        rows = cur.execute(
            """
            SELECT basis, key, accounts, posts, first_at, last_at, first_post
            FROM _co_c ORDER BY cid
            """
        ).fetchall()
        cur.execute(
            """
            CREATE TEMP TABLE _net_pairs AS
            WITH m AS (
                SELECT DISTINCT c.cid, b.platform, b.account_id
                FROM _co_b b JOIN _co_c c USING (basis, key, burst)
                WHERE c.n_accounts <= ?)
            SELECT a.platform AS pa, a.account_id AS ia, b.platform AS pb, b.account_id AS ib,
                   count(*) AS weight
            FROM m a JOIN m b
              ON a.cid = b.cid AND (a.platform, a.account_id) < (b.platform, b.account_id)
            GROUP BY ALL
            """,
            [max_pair_accounts],
        )
        pairs = pair_graph(cur, "coordinated")
    finally:
        cur.close()
    clusters = tuple(
        CoordinatedCluster(
            by=by_,
            key=key,
            accounts=tuple(accounts),
            posts=int(posts),
            first_at=first_at,
            last_at=last_at,
            first_post=first_post,
        )
        for by_, key, accounts, posts, first_at, last_at, first_post in rows
    )
    pairs["window_seconds"] = float(window_seconds)
    return Coordination(float(window_seconds), clusters, pairs)
