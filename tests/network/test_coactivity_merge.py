"""Co-activity edges (shared rare hashtags and domains) merged into the network."""

from __future__ import annotations

from pathlib import Path

import igraph as ig

from marsad.network.analysis import analyse_network
from marsad.network.graph import coactivity_graph, interaction_graph
from tests.network.helpers import SimWorkspace


def test_coactivity_edges_join_the_interaction_graph(sim: SimWorkspace, tmp_path: Path) -> None:
    with sim.open() as store:
        con = store.analytics()
        base = interaction_graph(con)
        shared = coactivity_graph(con, by="hashtag")
        report = analyse_network(con, coactivity=("hashtag",), export=tmp_path / "g.graphml")
    g = report.graph
    kinds = g.es["kind"]
    assert kinds.count("shared_hashtag") == shared.ecount() > 0
    assert g.ecount() == base.ecount() + shared.ecount()
    names = set(g.vs["name"])
    assert set(base.vs["name"]) | set(shared.vs["name"]) == names and len(names) == g.vcount()
    # every shared-hashtag edge joins the same two accounts as in the co-activity graph
    want = {
        frozenset((shared.vs[e.source]["name"], shared.vs[e.target]["name"])) for e in shared.es
    }
    got = {
        frozenset((g.vs[e.source]["name"], g.vs[e.target]["name"]))
        for e in g.es
        if e["kind"] == "shared_hashtag"
    }
    assert got == want
    back = ig.Graph.Read_GraphML(str(tmp_path / "g.graphml"))
    assert back.ecount() == g.ecount() and "shared_hashtag" in set(back.es["kind"])
