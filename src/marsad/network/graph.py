"""Account graphs built from the store: who interacts with whom, who shares what.

Part of the network stage (read-only analytics over the store, after detect).
Two kinds of graph, both :class:`igraph.Graph` whose vertices are accounts:

**The interaction graph** (:func:`interaction_graph`), directed and weighted,
from the ``edges`` table the ingest adapters fill: ``reposts``, ``quotes``,
``replies``, ``mentions`` (X), ``forwards`` (Telegram), ``follows``
(follower -> followed), and any other kind a later adapter writes.  Every
stored edge is one interaction through one post; the graph collapses them to
**one edge per (source, target, kind)** with ``weight`` = how many there were,
so a pair of accounts has at most one edge of each kind.  Edge direction is
the stored one: from the account that acted (reposted, mentioned, followed)
to the account acted upon -- in-strength measures attention received.

**The co-activity projection** (:func:`coactivity_graph`), undirected: two
accounts are linked when both used the same *rare* hashtag (or linked to the
same rare domain), ``weight`` = how many such tokens they share.  Common
tokens link everyone to everyone and say nothing, and their pairs grow as the
square of their users, so only tokens used by at most ``max_accounts``
distinct accounts count: each token adds at most ``max_accounts * (max_accounts
- 1) / 2`` pairs (1,225 at the default 50), and the projection stays linear in
the number of tokens.  ``min_shared`` drops pairs that share fewer tokens.

**Vertices** are the accounts that appear in at least one selected edge (an
account with no interaction is not in the graph), in the order of
``(platform, native_id)``, so the same store gives the same vertex ids.
Vertex attributes::

    name      "{platform}:{native_id}"  -- unique; the key other stages use
    handle    the account's latest handle, "" when the store has no account row
              (a Telegram forward names a source it has no account for)
    platform  "x", "telegram", ...
    kind      the account kind ("user", "channel", ...), "unknown" when not stored

Edge attributes: ``kind`` and ``weight`` (an int count).  Both graphs are
built from DuckDB through Arrow and numpy -- no Python loop over edges -- so a
few million edges take seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import duckdb
import igraph as ig
import numpy as np
import numpy.typing as npt

from marsad.errors import ConfigError
from marsad.model import EdgeKind

__all__ = [
    "COACTIVITY_MAX_ACCOUNTS",
    "EDGE_KINDS",
    "build_graph",
    "coactivity_graph",
    "fetch",
    "interaction_graph",
    "kind_counts",
    "pair_graph",
    "vertex_name",
]

#: every edge kind the data model knows (a store may hold any of them)
EDGE_KINDS: tuple[str, ...] = tuple(k.value for k in EdgeKind)
#: a hashtag or domain linking more distinct accounts than this is too common to
#: say the accounts belong together (assumption; see the module docstring)
COACTIVITY_MAX_ACCOUNTS = 50


def vertex_name(platform: str, native_id: str) -> str:
    """The ``name`` of an account's vertex: ``"x:12345"``."""
    return f"{platform}:{native_id}"


def interaction_graph(
    con: duckdb.DuckDBPyConnection,
    *,
    platform: str | None = None,
    kinds: Sequence[str] | None = None,
) -> ig.Graph:
    """The directed, weighted interaction graph of the accounts in the store.

    *con* is a store's :meth:`~marsad.store.base.Store.analytics` connection
    (only read; the work happens on a cursor of it, whose temporary tables
    vanish with it).  *platform* keeps one platform's edges; *kinds* keeps
    those edge kinds (default: every kind in the store).  See the module
    docstring for the vertices and attributes.  Raises
    :class:`~marsad.errors.ConfigError` for an empty *kinds*.
    """
    kind_list = _kinds(kinds)
    cur = con.cursor()
    try:
        cur.execute(
            """
            CREATE TEMP TABLE _net_e AS
            SELECT platform, src_id, dst_id, kind, count(*) AS weight
            FROM edges
            WHERE (?::VARCHAR IS NULL OR platform = ?::VARCHAR)
              AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], kind))
            GROUP BY platform, src_id, dst_id, kind
            """,
            [platform, platform, kind_list, kind_list],
        )
        cur.execute(
            """
            CREATE TEMP TABLE _net_ends AS
            SELECT platform, src_id AS native_id FROM _net_e
            UNION SELECT platform, dst_id FROM _net_e
            """
        )
        vertices = _vertices(cur, "_net_ends")
        edges = fetch(
            cur,
            """
            SELECT s.vid AS src, d.vid AS dst, e.kind, e.weight
            FROM _net_e e
            JOIN _net_v s ON s.platform = e.platform AND s.native_id = e.src_id
            JOIN _net_v d ON d.platform = e.platform AND d.native_id = e.dst_id
            ORDER BY src, dst, e.kind
            """,
        )
    finally:
        cur.close()
    g = build_graph(vertices, edges, directed=True)
    g["kinds"] = ",".join(kind_list) if kind_list else "all"
    g["platform"] = platform or "all"
    return g


def coactivity_graph(
    con: duckdb.DuckDBPyConnection,
    *,
    by: Literal["hashtag", "domain"] = "hashtag",
    platform: str | None = None,
    max_accounts: int = COACTIVITY_MAX_ACCOUNTS,
    min_shared: int = 1,
) -> ig.Graph:
    """Accounts linked when they share rare hashtags (*by* ``"hashtag"``) or link
    domains (``"domain"``); undirected, ``weight`` = rare tokens shared.

    A token counts when 2 to *max_accounts* distinct accounts used it in their
    current posts (hashtags case-folded; domains as the store keeps them, see
    :func:`marsad.text.tokens.url_domain`); pairs sharing fewer than
    *min_shared* tokens are dropped.  Tokens are matched across platforms when
    *platform* is None (an X account and a Telegram channel using the same rare
    domain are linked).  Edge ``kind`` is ``shared_hashtag`` or ``shared_domain``.
    """
    if by not in ("hashtag", "domain"):
        raise ConfigError(f"co-activity is by 'hashtag' or 'domain', not {by!r}")
    if max_accounts < 2 or min_shared < 1:
        raise ConfigError(
            f"need max_accounts >= 2 and min_shared >= 1, got {max_accounts} and {min_shared}"
        )
    column = "hashtags" if by == "hashtag" else "domains"
    token = "lower(t.tok)" if by == "hashtag" else "t.tok"
    cur = con.cursor()
    try:
        cur.execute(
            f"""
            CREATE TEMP TABLE _net_tok AS
            SELECT DISTINCT t.platform, t.account_id AS native_id, {token} AS tok
            FROM (SELECT platform, account_id, unnest({column}) AS tok
                  FROM current_posts
                  WHERE account_id IS NOT NULL
                    AND (?::VARCHAR IS NULL OR platform = ?::VARCHAR)) t
            WHERE t.tok IS NOT NULL AND t.tok <> ''
            """,  # noqa: S608 - column and token expression are chosen above, not input
            [platform, platform],
        )
        cur.execute(
            """
            CREATE TEMP TABLE _net_rare AS
            SELECT t.* FROM _net_tok t
            JOIN (SELECT tok FROM _net_tok GROUP BY tok HAVING count(*) BETWEEN 2 AND ?) r
              USING (tok)
            """,
            [max_accounts],
        )
        cur.execute(
            """
            CREATE TEMP TABLE _net_pairs AS
            SELECT a.platform AS pa, a.native_id AS ia, b.platform AS pb, b.native_id AS ib,
                   count(*) AS weight
            FROM _net_rare a JOIN _net_rare b
              ON a.tok = b.tok AND (a.platform, a.native_id) < (b.platform, b.native_id)
            GROUP BY ALL HAVING count(*) >= ?
            """,
            [min_shared],
        )
        g = pair_graph(cur, f"shared_{by}")
    finally:
        cur.close()
    g["kinds"] = f"shared_{by}"
    g["platform"] = platform or "all"
    g["max_accounts"] = max_accounts
    return g


def pair_graph(cur: duckdb.DuckDBPyConnection, kind: str) -> ig.Graph:
    """The undirected graph of the account pairs in temp table ``_net_pairs``
    (columns ``pa, ia, pb, ib, weight``: platform and native id of each end),
    edge ``kind`` *kind*; for the modules of this stage, on their own cursor."""
    cur.execute(
        """
        CREATE TEMP TABLE _net_ends AS
        SELECT pa AS platform, ia AS native_id FROM _net_pairs
        UNION SELECT pb, ib FROM _net_pairs
        """
    )
    vertices = _vertices(cur, "_net_ends")
    edges = fetch(
        cur,
        """
        SELECT s.vid AS src, d.vid AS dst, ?::VARCHAR AS kind, p.weight
        FROM _net_pairs p
        JOIN _net_v s ON s.platform = p.pa AND s.native_id = p.ia
        JOIN _net_v d ON d.platform = p.pb AND d.native_id = p.ib
        ORDER BY src, dst
        """,
        [kind],
    )
    return build_graph(vertices, edges, directed=False)


# -- plumbing ------------------------------------------------------------------------------------


def _kinds(kinds: Sequence[str] | None) -> list[str] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str):  # a lone "reposts" is not the kinds r, e, p, ...
        kinds = [kinds]
    out = sorted({str(k) for k in kinds})
    if not out:
        raise ConfigError("no edge kinds selected; pass None for every kind")
    return out


Columns = dict[str, npt.NDArray[Any]]


def fetch(cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Columns:
    """The result of *sql* as numpy columns (strings as object arrays).

    numpy rather than Arrow: converting through pyarrow imports pandas (0.4 s)
    on first use, more than building most graphs takes."""
    return dict(cur.execute(sql, list(params)).fetchnumpy())


def _vertices(cur: duckdb.DuckDBPyConnection, ends: str) -> Columns:
    """Number the (platform, native_id) rows of temp table *ends* into ``_net_v``
    and return their attributes in vertex order."""
    if ends not in ("_net_ends",):  # a name chosen in this module, never input
        raise ValueError(f"not a vertex table: {ends!r}")
    cur.execute(
        f"""
        CREATE TEMP TABLE _net_v AS
        SELECT platform, native_id,
               row_number() OVER (ORDER BY platform, native_id) - 1 AS vid
        FROM {ends}
        """  # noqa: S608 - checked above
    )
    return fetch(
        cur,
        """
        SELECT v.platform || ':' || v.native_id AS name,
               coalesce(a.handle, '') AS handle,
               v.platform,
               coalesce(a.kind, 'unknown') AS kind
        FROM _net_v v
        LEFT JOIN accounts a ON a.platform = v.platform AND a.native_id = v.native_id
        ORDER BY v.vid
        """,
    )


def build_graph(vertices: Columns, edges: Columns, *, directed: bool) -> ig.Graph:
    """An igraph graph from numpy columns: *vertices* (one row per vertex, in
    order; every column becomes a vertex attribute) and *edges* (``src`` and
    ``dst`` vertex numbers, every other column an edge attribute)."""
    n = len(next(iter(vertices.values()))) if vertices else 0
    src = np.asarray(edges["src"], dtype=np.int64)
    pairs = np.empty((src.size, 2), dtype=np.int64)
    pairs[:, 0] = src
    pairs[:, 1] = np.asarray(edges["dst"], dtype=np.int64)
    g = ig.Graph(n=n, edges=pairs, directed=directed)
    for attr, values in vertices.items():
        g.vs[attr] = values.tolist()
    for attr, values in edges.items():
        if attr not in ("src", "dst"):
            g.es[attr] = values.tolist()
    return g


def kind_counts(g: ig.Graph) -> dict[str, Any]:
    """Edges and total weight per edge kind: ``{kind: {"edges": n, "weight": w}}``."""
    out: dict[str, Any] = {}
    if g.ecount() == 0:
        return out
    kinds = np.asarray(g.es["kind"], dtype=object)
    weights = np.asarray(g.es["weight"], dtype=np.int64)
    for kind in sorted(set(kinds.tolist())):
        sel = kinds == kind
        out[kind] = {"edges": int(sel.sum()), "weight": int(weights[sel].sum())}
    return out
