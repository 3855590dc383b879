"""The whole network stage in one call: what ``marsad network`` runs.

Part of the network stage (read-only analytics over the store).
:func:`analyse_network` builds the interaction graph, finds its communities,
centralities and roles, the coordinated clusters and the outlinks, optionally
writes the annotated graph (GraphML or GEXF), and returns a
:class:`NetworkReport` whose :meth:`~NetworkReport.summary` is the JSON the
CLI prints.  Each step is its own module; this one only composes them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import igraph as ig
import numpy as np
import numpy.typing as npt

from marsad.network.communities import (
    DEFAULT_SEED,
    ROLES,
    Centrality,
    Communities,
    Roles,
    assign_roles,
    compute_centrality,
    detect_communities,
)
from marsad.network.coordination import DEFAULT_WINDOW_SECONDS, Coordination, find_coordination
from marsad.network.export import annotate, write_graph
from marsad.network.graph import coactivity_graph, interaction_graph, kind_counts
from marsad.network.outlinks import Outlinks, find_outlinks

__all__ = ["NetworkReport", "analyse_network"]

ProgressFn = Callable[[str], None]
#: characters of a coordinated text shown in a summary (the full key stays in the result)
_KEY_CHARS = 80


@dataclass
class NetworkReport:
    """Everything :func:`analyse_network` found; ``graph`` carries it as vertex attributes."""

    graph: ig.Graph
    communities: Communities
    centrality: Centrality
    roles: Roles
    coordination: Coordination
    outlinks: Outlinks
    platform: str | None = None
    export: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def _account(self, v: int, score: float | None = None) -> dict[str, Any]:
        vs = self.graph.vs[v]
        out: dict[str, Any] = {
            "name": vs["name"],
            "handle": vs["handle"],
            "community": self.communities.membership[v],
            "pagerank": round(float(self.centrality.pagerank[v]), 6),
        }
        if score is not None:
            out["score"] = round(score, 4)
        return out

    def role_scores(self, role: str) -> npt.NDArray[np.float64]:
        """What ranks the holders of *role*: attention received (hub), reposts
        made (amplifier), new accounts mentioned (shoutout), betweenness (bridge)."""
        r = self.roles
        if role == "hub":
            score = r.amplified_in
        elif role == "amplifier":
            score = r.repost_share * r.posts
        elif role == "shoutout":
            score = r.new_mentioned + r.mentioned / (1.0 + r.mentioned.max(initial=0))
        else:
            score = self.centrality.betweenness
        return np.asarray(score, dtype=np.float64)

    def summary(self, top: int = 10) -> dict[str, Any]:
        """JSON-ready summary: sizes, edges by kind, communities, top accounts by
        role and PageRank, coordinated clusters and outlink targets."""
        g, c = self.graph, self.communities
        pagerank = self.centrality.pagerank
        by_community: dict[int, list[int]] = {}
        for v in np.argsort(-pagerank, kind="stable").tolist():
            by_community.setdefault(c.membership[v], []).append(v)
        roles: dict[str, Any] = {}
        for role in ROLES:
            members = self.roles.members(role)
            scores = self.role_scores(role)
            ranked = sorted(members, key=lambda v: (-float(scores[v]), v))[:top]
            roles[role] = {
                "count": len(members),
                "top": [self._account(v, float(scores[v])) for v in ranked],
            }
        co = self.coordination
        return {
            "platform": self.platform or "all",
            "nodes": g.vcount(),
            "edges": g.ecount(),
            "edges_by_kind": kind_counts(g),
            "communities": {
                "count": c.count,
                "method": c.method,
                "resolution": c.resolution,
                "seed": c.seed,
                "modularity": round(c.modularity, 4),
                "largest": [
                    {
                        "community": k,
                        "size": c.sizes[k],
                        "top_accounts": [self._account(v) for v in by_community.get(k, [])[:3]],
                    }
                    for k in range(min(top, c.count))
                ],
            },
            "betweenness": (
                "exact"
                if self.centrality.betweenness_sources is None
                else f"estimated from {self.centrality.betweenness_sources} sources"
            ),
            "top_pagerank": [
                self._account(v) for v in np.argsort(-pagerank, kind="stable")[:top].tolist()
            ],
            "roles": roles,
            "coordination": {
                "window_seconds": co.window_seconds,
                "clusters": len(co.clusters),
                "accounts": len(co.accounts),
                "pairs": co.pairs.ecount(),
                "top": [
                    {
                        "by": cl.by,
                        "accounts": len(cl.accounts),
                        "posts": cl.posts,
                        "first_at": cl.first_at.isoformat(),
                        "span_seconds": cl.span_seconds,
                        "first_post": cl.first_post,
                        "key": cl.key if len(cl.key) <= _KEY_CHARS else cl.key[:_KEY_CHARS] + "…",
                        "members": list(cl.accounts[:top]),
                    }
                    for cl in co.clusters[:top]
                ],
            },
            "outlinks": {
                "targets": len(self.outlinks.targets),
                "top": [
                    {
                        "target": t.target,
                        "platform": t.platform,
                        "category": t.category,
                        "accounts": t.accounts,
                        "posts": t.posts,
                    }
                    for t in self.outlinks.targets[:top]
                ],
            },
            "export": str(self.export) if self.export else None,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def _merge(g: Any, extra: Any) -> None:
    """Add *extra*'s vertices (by name) and edges to *g*, in place."""
    if not extra.ecount():
        return
    at = {name: i for i, name in enumerate(g.vs["name"])} if g.vcount() else {}
    new = [v.index for v in extra.vs if v["name"] not in at]
    if new:
        start = g.vcount()
        g.add_vertices(len(new))
        for attr in ("name", "handle", "platform", "kind"):
            values = extra.vs[attr] if attr in extra.vs.attributes() else [""] * extra.vcount()
            for k, v in enumerate(new):
                g.vs[start + k][attr] = values[v]
        at.update({extra.vs[v]["name"]: start + k for k, v in enumerate(new)})
    names = extra.vs["name"]
    edges = [(at[names[e.source]], at[names[e.target]]) for e in extra.es]
    first = g.ecount()
    g.add_edges(edges)
    g.es[first:]["kind"] = extra.es["kind"]
    g.es[first:]["weight"] = extra.es["weight"]


def analyse_network(
    con: duckdb.DuckDBPyConnection,
    *,
    platform: str | None = None,
    kinds: Sequence[str] | None = None,
    coordination_window: float = DEFAULT_WINDOW_SECONDS,
    resolution: float = 1.0,
    seed: int = DEFAULT_SEED,
    export: str | Path | None = None,
    progress: ProgressFn | None = None,
    coactivity: Sequence[str] = (),
) -> NetworkReport:
    """Run the network stage over the store of *con*; write the annotated graph
    to *export* (``.graphml`` or ``.gexf``) when given.  *coactivity*
    (``"hashtag"``, ``"domain"``) adds the co-activity edges of
    :func:`~marsad.network.graph.coactivity_graph` (accounts sharing rare
    hashtags or link domains) to the graph, as kinds ``shared_hashtag`` and
    ``shared_domain``, before communities are found."""
    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    say("building the interaction graph")
    g = interaction_graph(con, platform=platform, kinds=kinds)
    for by in coactivity:
        say(f"accounts sharing rare {by}s")
        _merge(g, coactivity_graph(con, by=by, platform=platform))  # type: ignore[arg-type]
    lap("graph")
    say(f"communities of {g.vcount():,} accounts and {g.ecount():,} edges (Leiden)")
    communities = detect_communities(g, resolution=resolution, seed=seed)
    lap("communities")
    say("centrality")
    centrality = compute_centrality(g, seed=seed)
    lap("centrality")
    say("roles")
    roles = assign_roles(con, g, communities)
    lap("roles")
    say(f"coordinated posting (window {coordination_window:g} s)")
    coordination = find_coordination(con, window_seconds=coordination_window, platform=platform)
    lap("coordination")
    say("outlinks")
    outlinks = find_outlinks(con, platform=platform)
    lap("outlinks")
    annotate(g, communities, centrality, roles)
    written = None
    if export is not None:
        say(f"writing {export}")
        written = write_graph(g, export)
        lap("export")
    return NetworkReport(
        graph=g,
        communities=communities,
        centrality=centrality,
        roles=roles,
        coordination=coordination,
        outlinks=outlinks,
        platform=platform,
        export=written,
        timings=timings,
    )
