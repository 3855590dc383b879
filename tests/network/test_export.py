"""GraphML and GEXF export: what is written is what is read back, and writes are atomic."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import igraph as ig
import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marsad.errors import ConfigError, InputError
from marsad.network.communities import assign_roles, compute_centrality, detect_communities
from marsad.network.export import annotate, write_graph
from marsad.network.graph import interaction_graph
from tests.network.helpers import SimWorkspace

# handles: any printable text, Arabic included; XML-forbidden control characters are tested apart
_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=12,
)


@st.composite
def graphs(draw: st.DrawFn) -> ig.Graph:
    n = draw(st.integers(1, 8))
    directed = draw(st.booleans())
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=15))
    g = ig.Graph(n=n, edges=pairs, directed=directed)
    g.vs["name"] = [f"x:{i}" for i in range(n)]
    g.vs["handle"] = draw(st.lists(_TEXT, min_size=n, max_size=n))
    g.vs["community"] = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    g.vs["pagerank"] = draw(st.lists(st.floats(0, 1, allow_nan=False), min_size=n, max_size=n))
    m = len(pairs)
    g.es["kind"] = draw(st.lists(st.sampled_from(["reposts", "mentions"]), min_size=m, max_size=m))
    g.es["weight"] = draw(st.lists(st.integers(1, 1000), min_size=m, max_size=m))
    return g


def _read_nx(path: Path) -> Any:
    return nx.read_graphml(path) if path.suffix == ".graphml" else nx.read_gexf(path)


def _nx_edges(h: Any) -> list[tuple[str, str, str, float]]:
    """(source name, target name, kind, weight) of every edge of a networkx graph."""
    name = dict(h.nodes(data="name"))
    out = []
    for s, t, data in h.edges(data=True):
        a, b = name[s], name[t]
        if not h.is_directed():
            a, b = sorted((a, b))
        out.append((a, b, data["kind"], float(data["weight"])))
    return sorted(out)


def _ig_edges(g: ig.Graph) -> list[tuple[str, str, str, float]]:
    names = g.vs["name"]
    out = []
    for (s, t), kind, w in zip(g.get_edgelist(), g.es["kind"], g.es["weight"], strict=True):
        a, b = names[s], names[t]
        if not g.is_directed():
            a, b = sorted((a, b))
        out.append((a, b, kind, float(w)))
    return sorted(out)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(g=graphs(), suffix=st.sampled_from([".graphml", ".gexf"]))
def test_export_then_import_is_the_identity(g: ig.Graph, suffix: str, tmp_path: Path) -> None:
    path = write_graph(g, tmp_path / f"g{suffix}")
    h = _read_nx(path)
    assert h.number_of_nodes() == g.vcount() and h.number_of_edges() == g.ecount()
    assert h.is_directed() == g.is_directed()
    assert _nx_edges(h) == _ig_edges(g)
    nodes = {d["name"]: d for _n, d in h.nodes(data=True)}
    for v in g.vs:
        d = nodes[v["name"]]
        assert d.get("handle", "") == v["handle"]
        assert d["community"] == v["community"]
        assert d["pagerank"] == pytest.approx(v["pagerank"])
    if suffix == ".graphml":
        back = ig.Graph.Read_GraphML(str(path))
        assert back.vs["name"] == g.vs["name"] and back.vs["handle"] == g.vs["handle"]
        assert back.get_edgelist() == g.get_edgelist()
        assert back.es["kind"] == g.es["kind"]


def test_annotated_simulation_graph(sim: SimWorkspace, tmp_path: Path) -> None:
    with sim.open() as store:
        con = store.analytics()
        g = interaction_graph(con)
        communities = detect_communities(g)
        centrality = compute_centrality(g)
        roles = assign_roles(con, g, communities)
    annotate(g, communities, centrality, roles)
    for suffix in (".graphml", ".gexf"):
        h = _read_nx(write_graph(g, tmp_path / f"sim{suffix}"))
        by_name = {d["name"]: d for _n, d in h.nodes(data=True)}
        for v in g.vs:
            d = by_name[v["name"]]
            assert int(d["community"]) == v["community"]
            assert d.get("roles", "") == v["roles"]
            assert d["betweenness"] == pytest.approx(v["betweenness"])
            assert d["in_strength"] == pytest.approx(v["in_strength"])
        assert _nx_edges(h) == _ig_edges(g)
    gexf = (tmp_path / "sim.gexf").read_text(encoding="utf-8")
    assert 'defaultedgetype="directed"' in gexf and 'title="community" type="long"' in gexf
    with pytest.raises(ConfigError):
        annotate(g, communities=detect_communities(ig.Graph(n=3)))


def test_control_characters_and_missing_values_are_cleaned(tmp_path: Path) -> None:
    g = ig.Graph(n=2, edges=[(0, 1)], directed=True)
    g.vs["name"] = ["x:1", "x:2"]
    g.vs["handle"] = ["bad\x00name\x1b", None]
    g.vs["score"] = [1.5, None]
    g.es["kind"] = ["reposts"]
    g.es["weight"] = [2]
    for suffix in (".graphml", ".gexf"):
        h = _read_nx(write_graph(g, tmp_path / f"c{suffix}"))
        data = {d["name"]: d for _n, d in h.nodes(data=True)}
        assert data["x:1"]["handle"] == "badname"
        assert data["x:2"].get("handle", "") == ""
        assert math.isnan(data["x:2"].get("score", math.nan))


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_writes_are_atomic(tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / f"net{suffix}"
    target.write_text("previous graph", encoding="utf-8")
    g = ig.Graph(n=2, edges=[(0, 1)], directed=True)
    g.vs["name"] = ["x:1", "x:2"]
    g.es["kind"] = ["reposts"]
    g.es["weight"] = [1]

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    if suffix == ".graphml":
        monkeypatch.setattr(ig.Graph, "write_graphml", broken)
    else:
        monkeypatch.setattr("marsad.network.export._write_gexf", broken)
    with pytest.raises(InputError, match="No space left"):
        write_graph(g, target)
    assert target.read_text(encoding="utf-8") == "previous graph"  # untouched
    assert os.listdir(tmp_path) == [target.name]  # no temporary file left behind
    monkeypatch.undo()
    write_graph(g, target)
    assert _read_nx(target).number_of_edges() == 1


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("graph.json", ConfigError),  # not a graph format
        ("graph", ConfigError),  # no suffix at all
        ("missing-dir/graph.gexf", InputError),  # a directory that does not exist
    ],
)
def test_bad_targets(tmp_path: Path, name: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        write_graph(ig.Graph(n=1), tmp_path / name)
