"""The cross-platform outlink graph: which accounts send their audience where.

Part of the network stage (read-only analytics over the store).  When one
platform removes a network's material, the network points its audience
elsewhere: Telegram channels, file hosts, paste sites, web archives, video
hosts.  This module turns the links of the stored posts into a directed
bipartite graph, accounts -> link targets, so the places many accounts point
to stand out, and so they can be drawn beside the interaction graph.

**Targets.**  Each link's domain (the ``url_domain`` form the store uses:
lower case, ``www.`` dropped) is matched to a known platform and category by
:mod:`marsad.census.platforms` (suffix rule: ``web.archive.org`` is
``archive.org``).  A Telegram link's target is its *channel*
(``t.me/<name>``; ``t.me/s/<name>`` is the same channel's web preview;
``t.me/joinchat/<hash>`` and ``t.me/+<hash>`` invite links and
``t.me/c/<id>`` private-channel links keep their two parts) because which
channel is the finding; any other platform's target is the platform itself
(``mega`` for ``mega.nz`` and ``mega.co.nz``, ``youtube`` for ``youtube.com``
and ``youtu.be``).  Left out by default: link shorteners (a
``bit.ly`` link says nothing about where it leads), links to the posting
account's own platform (an X post linking to ``twitter.com`` is a quote, not
an outlink), and domains of no known platform (news sites, shops).

**Graph.**  Vertex ``name`` is ``"{platform}:{native_id}"`` for accounts (as in
:func:`~marsad.network.graph.interaction_graph`) and ``"link:{target}"`` for
targets (``link:t.me/some_channel``, ``link:mega``); ``kind`` is the
account's kind or ``"outlink"``; ``platform`` is the account's platform or
the target's (``telegram``, ``mega``); ``category`` is "" for accounts and the
target's category (``messaging``, ``file_host`` ...); ``handle`` is the
account's handle, or the target's channel (``t.me/...``) or platform name
(``MEGA``).  Edges go account -> target, ``kind``
``links_to``, ``weight`` = the account's posts with such a link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import igraph as ig

from marsad.census.platforms import CATEGORIES, PLATFORM_LABELS, platform_suffixes
from marsad.errors import ConfigError
from marsad.network.graph import build_graph, fetch

__all__ = ["DEFAULT_CATEGORIES", "OutlinkTarget", "Outlinks", "find_outlinks"]

#: every category but link shorteners (see the module docstring)
DEFAULT_CATEGORIES: tuple[str, ...] = tuple(c for c in CATEGORIES if c != "shortener")

_TARGETS = r"""
CREATE TEMP TABLE _ol_links AS
WITH u AS (
    SELECT DISTINCT platform, native_id, account_id, unnest(urls) AS url
    FROM current_posts
    WHERE account_id IS NOT NULL AND (?::VARCHAR IS NULL OR platform = ?::VARCHAR)),
d AS (
    SELECT *, regexp_extract(url, '^[a-z][a-z0-9+.-]*://(?:[^/@]*@)?([^/:?#]+)', 1) AS host,
           regexp_extract(url, '^[a-z][a-z0-9+.-]*://[^/]+/([^?#]*)', 1) AS path
    FROM u),
h AS (
    SELECT *, CASE WHEN starts_with(host, 'www.') AND length(host) - length(replace(host, '.', '')) >= 2
                   THEN substr(host, 5) ELSE host END AS domain
    FROM d WHERE host <> ''),
m AS (
    SELECT h.*, s.platform AS target_platform, s.category
    FROM h JOIN _ol_suffixes s ON h.domain = s.suffix OR ends_with(h.domain, '.' || s.suffix)
    WHERE list_contains(?::VARCHAR[], s.category)
      AND (?::BOOLEAN OR s.platform <> h.platform))
SELECT platform, native_id, account_id, target_platform, category,
       CASE WHEN target_platform <> 'telegram' THEN target_platform
            ELSE 't.me/' || coalesce(nullif(CASE
                WHEN split_part(path, '/', 1) IN ('joinchat', 'c')
                    THEN split_part(path, '/', 1) || '/' || split_part(path, '/', 2)
                WHEN starts_with(path, '+') THEN split_part(path, '/', 1)
                WHEN split_part(path, '/', 1) = 's' THEN lower(split_part(path, '/', 2))
                ELSE lower(split_part(path, '/', 1)) END, ''), '(home)')
       END AS target
FROM m
"""


@dataclass(frozen=True)
class OutlinkTarget:
    """One place linked to: how many accounts and posts point at it."""

    target: str  # "t.me/some_channel", "mega"
    platform: str  # the target's platform key ("telegram", "mega")
    category: str
    accounts: int
    posts: int


@dataclass(frozen=True)
class Outlinks:
    """The outlink graph and its targets, most-linked (by accounts) first."""

    graph: ig.Graph
    targets: tuple[OutlinkTarget, ...]


def find_outlinks(
    con: duckdb.DuckDBPyConnection,
    *,
    platform: str | None = None,
    categories: Sequence[str] | None = None,
    include_same_platform: bool = False,
) -> Outlinks:
    """The outlinks of the accounts of the store (see the module docstring).

    *platform* keeps the posts of one platform; *categories* the kinds of
    target (default :data:`DEFAULT_CATEGORIES`); *include_same_platform* keeps
    links to the posting account's own platform.
    """
    cats = list(DEFAULT_CATEGORIES if categories is None else categories)
    unknown = sorted(set(cats) - set(CATEGORIES))
    if unknown or not cats:
        raise ConfigError(f"unknown link categories {unknown}; choose from {', '.join(CATEGORIES)}")
    # plain lists: an Arrow table would import pandas (graph.fetch)
    suffixes = platform_suffixes()
    labels = {k: v["en"] for k, v in PLATFORM_LABELS.items()}
    cur = con.cursor()
    try:
        cur.execute(
            """
            CREATE TEMP TABLE _ol_suffixes AS
            SELECT unnest(?::VARCHAR[]) AS suffix, unnest(?::VARCHAR[]) AS platform,
                   unnest(?::VARCHAR[]) AS category
            """,
            [list(column) for column in zip(*suffixes, strict=True)],
        )
        cur.execute(
            """
            CREATE TEMP TABLE _ol_labels AS
            SELECT unnest(?::VARCHAR[]) AS platform, unnest(?::VARCHAR[]) AS label
            """,
            [list(labels), list(labels.values())],
        )
        cur.execute(_TARGETS, [platform, platform, cats, include_same_platform])
        targets = cur.execute(
            """
            SELECT target, target_platform, category,
                   count(DISTINCT (platform, account_id)) AS accounts,
                   count(DISTINCT (platform, native_id)) AS posts
            FROM _ol_links GROUP BY ALL
            ORDER BY accounts DESC, posts DESC, target
            """
        ).fetchall()
        cur.execute(
            """
            CREATE TEMP TABLE _ol_v AS
            SELECT row_number() OVER (ORDER BY side, sort_a, sort_b) - 1 AS vid, * FROM (
                SELECT DISTINCT 0 AS side, l.platform || ':' || l.account_id AS name,
                       coalesce(a.handle, '') AS handle, l.platform,
                       coalesce(a.kind, 'unknown') AS kind, '' AS category,
                       l.platform AS sort_a, l.account_id AS sort_b
                FROM _ol_links l LEFT JOIN accounts a
                  ON a.platform = l.platform AND a.native_id = l.account_id
                UNION ALL
                SELECT DISTINCT 1, 'link:' || l.target, coalesce(n.label, l.target),
                       l.target_platform, 'outlink', l.category, l.target, ''
                FROM _ol_links l LEFT JOIN _ol_labels n ON n.platform = l.target)
            """
        )
        vertices = fetch(
            cur, "SELECT name, handle, platform, kind, category FROM _ol_v ORDER BY vid"
        )
        edges = fetch(
            cur,
            """
            SELECT s.vid AS src, t.vid AS dst, 'links_to' AS kind,
                   count(DISTINCT (l.platform, l.native_id)) AS weight
            FROM _ol_links l
            JOIN _ol_v s ON s.name = l.platform || ':' || l.account_id
            JOIN _ol_v t ON t.name = 'link:' || l.target
            GROUP BY ALL ORDER BY src, dst
            """,
        )
    finally:
        cur.close()
    g = build_graph(vertices, edges, directed=True)
    return Outlinks(
        graph=g,
        targets=tuple(OutlinkTarget(t, p, c, int(a), int(n)) for t, p, c, a, n in targets),
    )
