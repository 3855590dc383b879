"""Communities, centrality and roles of the accounts of an interaction graph.

Part of the network stage (read-only analytics over the store).  Takes the
graph of :func:`marsad.network.graph.interaction_graph` and answers three
questions: which accounts form a community, which matter most, and what part
each plays.

**Communities** (:func:`detect_communities`): Leiden (Traag, Waltman & van Eck,
2019, through ``leidenalg``) on the *undirected, weight-summed* graph
(:func:`undirected`: the edges of every kind and of both directions between
two accounts become one edge whose weight is their sum; self-loops dropped).
Direction is dropped because a community is a group that interacts *among
itself* whichever way; modularity on directed graphs rewards the same
structure on data like ours and costs more.  The quality function is
``RBConfigurationVertexPartition`` (Reichardt-Bornholdt with the configuration
null model): at the default resolution 1.0 it *is* modularity -- on the
simulator's planted communities it gave the same partition as
``ModularityVertexPartition`` -- but its resolution is a parameter, so an
analyst can ask for finer (> 1) or coarser (< 1) groups.  CPM was not chosen
because its resolution depends on the scale of the weights.  The seed is fixed
(:data:`DEFAULT_SEED`) and vertices come in store order, so the same store
gives the same communities.  Two iterations (leidenalg's default): iterating
to convergence (``n_iterations=-1``) gave the same ARI against the planted
communities within 0.01 at two to four times the time.  Communities are
numbered by size, largest first.

**Centrality** (:func:`compute_centrality`): PageRank on the directed
weighted graph (attention flows from the account that reposts or follows to
the one it reposts or follows), in- and out-strength (summed edge weights),
and betweenness on the undirected graph, unweighted (igraph reads weights as
distances; ours are counts).  Exact betweenness costs O(V*E): 4.8 s on the
default simulation's 5,500 accounts.  Above :data:`EXACT_BETWEENNESS_MAX`
vertices it is *estimated* from :data:`BETWEENNESS_SAMPLES` random source
vertices scaled by V / samples (Brandes & Pich, 2007); on that graph 256
sources took 0.2 s, rank correlation 0.96 with the exact values and 43 of the
exact top 50.

**Roles** (:func:`assign_roles`): explicit rules, each with its threshold in
:class:`RoleRules`; an account may hold several roles, or none.

``hub``        attention received: in-strength of reposts, quotes, mentions and
               forwards at least the ``hub_quantile`` (0.98) quantile of all
               accounts and at least ``hub_min_in`` (10) -- the top 2%
               (assumption, chosen on the simulator).  Of the hubs so labelled
               on the default and small simulations, 78% and 94% are accounts
               the simulator made prominent (hubs, outlets, shout-out
               accounts, news desks; 4-8% of all accounts), 15% and 25% are
               its hubs proper (1-2% of all accounts).  Known false positives:
               news and celebrity accounts, hubs of the general public.
``amplifier``  mostly repeats others: at least ``amplifier_min_posts`` (5)
               posts of which a share ``amplifier_min_share`` (0.7) or more are
               reposts or Telegram forwards (assumption: the simulator's
               ordinary users repost 30% of the time, its amplifiers 85%).
               Precision against the simulator's amplifiers: 0.88 (default
               profile) and 0.92 (small); 0.91 and 0.97 counting the Telegram
               relay channels, which only forward.  Known false positives:
               heavy retweeters of any topic.
``shoutout``   announces accounts: mentions at least ``shoutout_min_new`` (2)
               distinct accounts created at most ``shoutout_new_days`` (7)
               days before the mention, and those are at least
               ``shoutout_min_new_share`` (0.5) of the accounts it mentions --
               the re-creation announcements of a suspended network ("follow
               our new account @...") -- or mentions at least
               ``shoutout_mass_targets`` (20) distinct accounts whatever their
               age.  The age test needs the mentioned account's ``created_at``
               (X v2 and v1.1 user objects give it; a mention alone does not).
               (Thresholds: assumption.)  Precision 0.93 and 1.00, recall
               0.75 and 0.80 against the simulator's shout-out accounts
               (default and small profiles).
``bridge``     links communities: participation coefficient
               ``P = 1 - sum_c (k_ic / k_i)^2`` (Guimerà & Amaral, 2005; ``k_i``
               the account's weighted degree in the undirected graph, ``k_ic``
               the part of it going to community ``c``) at least
               ``bridge_min_participation`` (0.62: Guimerà & Amaral's boundary
               between peripheral and connector nodes), among the
               well-connected: distinct neighbours at least the
               ``bridge_neighbour_quantile`` (0.9) quantile of all accounts
               and at least ``bridge_min_neighbours`` (5).  Participation
               alone is not enough: on the default simulation a third of all
               accounts (ordinary users following accounts of several
               communities) reach 0.62; the rule names 228 of its 5,537
               accounts (4%), those that also have many contacts.  Known false positives: news and
               general-interest accounts everyone talks to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import igraph as ig
import leidenalg
import numpy as np
import numpy.typing as npt

from marsad.errors import ConfigError
from marsad.network.graph import fetch

__all__ = [
    "BETWEENNESS_SAMPLES",
    "DEFAULT_SEED",
    "EXACT_BETWEENNESS_MAX",
    "ROLES",
    "Centrality",
    "Communities",
    "RoleRules",
    "Roles",
    "assign_roles",
    "compute_centrality",
    "detect_communities",
    "participation_coefficient",
    "undirected",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: seed of every random choice of this module (Leiden, betweenness sources)
DEFAULT_SEED = 42
#: exact betweenness up to this many vertices, estimated above (see the module docstring)
EXACT_BETWEENNESS_MAX = 2000
#: source vertices of the betweenness estimate
BETWEENNESS_SAMPLES = 256
#: the role names, in the order reports list them
ROLES = ("hub", "amplifier", "shoutout", "bridge")


# -- communities ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Communities:
    """A partition of a graph's vertices: ``membership[v]`` is vertex v's community,
    communities numbered 0, 1, ... by size, largest first."""

    membership: tuple[int, ...]
    sizes: tuple[int, ...]
    #: modularity (at *resolution*) of the partition on the undirected weighted graph
    modularity: float
    resolution: float
    seed: int
    method: str = "leiden/RBConfigurationVertexPartition"

    @property
    def count(self) -> int:
        return len(self.sizes)


def undirected(g: ig.Graph) -> ig.Graph:
    """*g* with every edge between two accounts (all kinds, both directions) merged
    into one undirected edge, ``weight`` summed; self-loops dropped; vertex
    attributes kept."""
    u = g.as_undirected(mode="collapse", combine_edges={"weight": "sum", "kind": "first"})
    u.simplify(multiple=False, loops=True)
    if u.ecount() and "kind" in u.es.attributes():
        del u.es["kind"]
    return u


def detect_communities(
    g: ig.Graph,
    *,
    resolution: float = 1.0,
    seed: int = DEFAULT_SEED,
    n_iterations: int = 2,
) -> Communities:
    """Leiden communities of *g* (directed or not; see the module docstring)."""
    if resolution <= 0:
        raise ConfigError(f"resolution must be positive, got {resolution}")
    u = undirected(g) if g.is_directed() or g.has_multiple() else g
    if u.vcount() == 0:
        return Communities((), (), 0.0, resolution, seed)
    weights = "weight" if u.ecount() and "weight" in u.es.attributes() else None
    part = leidenalg.find_partition(
        u,
        leidenalg.RBConfigurationVertexPartition,
        weights=weights,
        resolution_parameter=resolution,
        seed=seed,
        n_iterations=n_iterations,
    )
    membership = _by_size(np.asarray(part.membership, dtype=np.int64))
    sizes = np.bincount(membership)
    modularity = (
        float(u.modularity(membership.tolist(), weights=weights, resolution=resolution))
        if u.ecount()
        else 0.0
    )
    return Communities(
        tuple(membership.tolist()), tuple(sizes.tolist()), modularity, resolution, seed
    )


def _by_size(membership: IntArray) -> IntArray:
    """Renumber communities by size, largest first (ties by first vertex)."""
    sizes = np.bincount(membership)
    first = np.full(sizes.size, membership.size, np.int64)
    np.minimum.at(first, membership, np.arange(membership.size))
    order = np.lexsort((first, -sizes))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return np.asarray(rank[membership], dtype=np.int64)


# -- centrality ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Centrality:
    """Per-vertex centralities (arrays in vertex order)."""

    pagerank: FloatArray
    in_strength: FloatArray
    out_strength: FloatArray
    betweenness: FloatArray
    #: None when betweenness is exact, else the number of sampled sources
    betweenness_sources: int | None


def compute_centrality(
    g: ig.Graph,
    *,
    exact_betweenness_max: int = EXACT_BETWEENNESS_MAX,
    betweenness_samples: int = BETWEENNESS_SAMPLES,
    seed: int = DEFAULT_SEED,
) -> Centrality:
    """PageRank, in/out strength and betweenness of *g* (see the module docstring)."""
    n = g.vcount()
    if n == 0:
        empty = np.zeros(0)
        return Centrality(empty, empty, empty, empty, None)
    weights = "weight" if g.ecount() and "weight" in g.es.attributes() else None
    pagerank = np.asarray(g.pagerank(weights=weights, directed=True), dtype=np.float64)
    mode_in, mode_out = ("in", "out") if g.is_directed() else ("all", "all")
    in_strength = np.asarray(g.strength(mode=mode_in, weights=weights, loops=False), np.float64)
    out_strength = np.asarray(g.strength(mode=mode_out, weights=weights, loops=False), np.float64)
    u = undirected(g) if g.is_directed() or g.has_multiple() else g
    sources: int | None = None
    if n <= exact_betweenness_max or betweenness_samples >= n:
        betweenness = np.asarray(u.betweenness(directed=False), dtype=np.float64)
    else:
        rng = np.random.default_rng(seed)
        picked = np.sort(rng.choice(n, size=betweenness_samples, replace=False))
        raw = np.asarray(u.betweenness(directed=False, sources=picked.tolist()), np.float64)
        betweenness = raw * (n / betweenness_samples)
        sources = betweenness_samples
    return Centrality(pagerank, in_strength, out_strength, betweenness, sources)


# -- roles ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleRules:
    """The thresholds of the role rules (see the module docstring for each)."""

    hub_kinds: tuple[str, ...] = ("reposts", "quotes", "mentions", "forwards")
    hub_quantile: float = 0.98
    hub_min_in: float = 10.0
    amplifier_min_posts: int = 5
    amplifier_min_share: float = 0.7
    shoutout_new_days: float = 7.0
    shoutout_min_new: int = 2
    shoutout_min_new_share: float = 0.5
    shoutout_mass_targets: int = 20
    bridge_min_participation: float = 0.62
    bridge_neighbour_quantile: float = 0.9
    bridge_min_neighbours: int = 5


@dataclass(frozen=True)
class Roles:
    """The roles of each vertex and the measures the rules read (arrays in vertex order)."""

    roles: tuple[frozenset[str], ...]
    #: in-strength of the hub kinds
    amplified_in: FloatArray
    #: posts of the account in the store, and the share of them that are reposts or forwards
    posts: IntArray
    repost_share: FloatArray
    #: distinct accounts mentioned, and those of them newly created at the time
    mentioned: IntArray
    new_mentioned: IntArray
    participation: FloatArray
    neighbours: IntArray
    rules: RoleRules = field(default_factory=RoleRules)

    def members(self, role: str) -> list[int]:
        """The vertices holding *role*."""
        return [v for v, held in enumerate(self.roles) if role in held]

    def labels(self) -> list[str]:
        """Each vertex's roles as one string, in :data:`ROLES` order: ``"hub,bridge"``."""
        return [",".join(r for r in ROLES if r in held) for held in self.roles]


def participation_coefficient(
    g: ig.Graph, membership: Sequence[int]
) -> tuple[FloatArray, IntArray]:
    """Guimerà-Amaral participation coefficient of each vertex on the undirected,
    weight-summed graph, and its number of distinct neighbours."""
    n = g.vcount()
    u = undirected(g) if g.is_directed() or g.has_multiple() else g
    if u.ecount() == 0:
        return np.zeros(n), np.zeros(n, np.int64)
    ends = np.asarray(u.get_edgelist(), dtype=np.int64)
    w = (
        np.asarray(u.es["weight"], dtype=np.float64)
        if "weight" in u.es.attributes()
        else np.ones(ends.shape[0])
    )
    memb = np.asarray(membership, dtype=np.int64)
    # each undirected edge counts for both of its ends
    vertex = np.concatenate([ends[:, 0], ends[:, 1]])
    other = np.concatenate([ends[:, 1], ends[:, 0]])
    weight = np.concatenate([w, w])
    strength = np.bincount(vertex, weights=weight, minlength=n)
    neighbours = np.bincount(vertex, minlength=n).astype(np.int64)
    k = int(memb.max()) + 1
    keys, inverse = np.unique(vertex * k + memb[other], return_inverse=True)
    by_community = np.bincount(inverse, weights=weight)
    share = by_community / strength[keys // k]
    concentration = np.bincount(keys // k, weights=share**2, minlength=n)
    participation = np.where(strength > 0, 1.0 - concentration, 0.0)
    return participation, neighbours


def assign_roles(
    con: duckdb.DuckDBPyConnection,
    g: ig.Graph,
    communities: Communities,
    *,
    rules: RoleRules | None = None,
) -> Roles:
    """The roles of every vertex of interaction graph *g* (built from the store of
    *con*), by the rules of the module docstring."""
    rules = rules or RoleRules()
    n = g.vcount()
    if len(communities.membership) != n:
        raise ConfigError(
            f"communities cover {len(communities.membership)} vertices, the graph has {n}"
        )
    amplified = _in_strength(g, rules.hub_kinds)
    posts, reposts, mentioned, new_mentioned = _account_activity(con, g, rules.shoutout_new_days)
    share = np.divide(
        reposts, posts, out=np.zeros(n, np.float64), where=posts > 0, dtype=np.float64
    )
    participation, neighbours = participation_coefficient(g, communities.membership)

    hub_floor = max(rules.hub_min_in, float(np.quantile(amplified, rules.hub_quantile)) if n else 0)
    is_hub = amplified >= hub_floor
    is_amp = (posts >= rules.amplifier_min_posts) & (share >= rules.amplifier_min_share)
    new_share = np.divide(
        new_mentioned, mentioned, out=np.zeros(n), where=mentioned > 0, dtype=np.float64
    )
    is_shout = (
        (new_mentioned >= rules.shoutout_min_new) & (new_share >= rules.shoutout_min_new_share)
    ) | (mentioned >= rules.shoutout_mass_targets)
    contact_floor = max(
        float(rules.bridge_min_neighbours),
        float(np.quantile(neighbours, rules.bridge_neighbour_quantile)) if n else 0.0,
    )
    is_bridge = (participation >= rules.bridge_min_participation) & (neighbours >= contact_floor)
    flags = np.stack([is_hub, is_amp, is_shout, is_bridge], axis=1)
    cache: dict[tuple[bool, ...], frozenset[str]] = {}
    roles = []
    for row in map(tuple, flags.tolist()):
        held = cache.get(row)
        if held is None:
            held = cache[row] = frozenset(r for r, on in zip(ROLES, row, strict=True) if on)
        roles.append(held)
    return Roles(
        roles=tuple(roles),
        amplified_in=amplified,
        posts=posts,
        repost_share=share,
        mentioned=mentioned,
        new_mentioned=new_mentioned,
        participation=participation,
        neighbours=neighbours,
        rules=rules,
    )


def _in_strength(g: ig.Graph, kinds: Sequence[str]) -> FloatArray:
    n = g.vcount()
    if g.ecount() == 0:
        return np.zeros(n)
    ends = np.asarray(g.get_edgelist(), dtype=np.int64)
    kind = np.asarray(g.es["kind"], dtype=object)
    w = np.asarray(g.es["weight"], dtype=np.float64)
    sel = np.isin(kind, list(kinds))
    return np.bincount(ends[sel, 1], weights=w[sel], minlength=n).astype(np.float64)


def _account_activity(
    con: duckdb.DuckDBPyConnection, g: ig.Graph, new_days: float
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Per vertex: posts, reposts (and forwards), distinct accounts mentioned, and
    those of them created at most *new_days* before the mention."""
    n = g.vcount()
    names = list(g.vs["name"]) if n else []
    cur = con.cursor()
    try:
        # the names go in as one list parameter: registering an Arrow table would
        # import pandas (see marsad.network.graph.fetch)
        cur.execute(
            "CREATE TEMP TABLE _net_names AS "
            "SELECT unnest(?::VARCHAR[]) AS name, unnest(?::BIGINT[]) AS vid",
            [names, list(range(n))],
        )
        cur.execute(
            """
            CREATE TEMP TABLE _net_acc AS
            SELECT vid, split_part(name, ':', 1) AS platform,
                   substr(name, length(split_part(name, ':', 1)) + 2) AS native_id
            FROM _net_names
            """
        )
        activity = fetch(
            cur,
            """
            WITH p AS (
                SELECT platform, account_id, count(*) AS posts,
                       count(*) FILTER (WHERE kind = 'repost'
                                        OR forward_from_account_id IS NOT NULL) AS reposts
                FROM current_posts WHERE account_id IS NOT NULL GROUP BY ALL),
            m AS (
                SELECT e.platform, e.src_id, count(DISTINCT e.dst_id) AS mentioned,
                       count(DISTINCT e.dst_id) FILTER (
                           WHERE a.created_at IS NOT NULL AND e.created_at >= a.created_at
                             AND epoch(e.created_at) - epoch(a.created_at) <= ?
                       ) AS new_mentioned
                FROM edges e
                LEFT JOIN accounts a ON a.platform = e.platform AND a.native_id = e.dst_id
                WHERE e.kind = 'mentions' GROUP BY ALL)
            SELECT v.vid, coalesce(p.posts, 0) AS posts, coalesce(p.reposts, 0) AS reposts,
                   coalesce(m.mentioned, 0) AS mentioned,
                   coalesce(m.new_mentioned, 0) AS new_mentioned
            FROM _net_acc v
            LEFT JOIN p ON p.platform = v.platform AND p.account_id = v.native_id
            LEFT JOIN m ON m.platform = v.platform AND m.src_id = v.native_id
            ORDER BY v.vid
            """,
            [new_days * 86400.0],
        )
    finally:
        cur.close()
    cols = [
        np.asarray(activity[c], dtype=np.int64)
        for c in ("posts", "reposts", "mentioned", "new_mentioned")
    ]
    return cols[0], cols[1], cols[2], cols[3]
