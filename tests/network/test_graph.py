"""The interaction graph and the co-activity projection, checked against SQL over the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import igraph as ig
import numpy as np
import pytest

from marsad.errors import ConfigError
from marsad.network.graph import coactivity_graph, interaction_graph, kind_counts, vertex_name
from marsad.store.duckdb import DuckDBStore
from tests.network.helpers import SimWorkspace, account, edge, ingest_records, post


@pytest.fixture(scope="module")
def sim_store(sim: SimWorkspace) -> Iterator[DuckDBStore]:
    store = sim.open()
    with store:
        yield store


def _edge_set(g: ig.Graph) -> dict[tuple[str, str, str], int]:
    names = g.vs["name"]
    return {
        (names[s], names[t], k): w
        for (s, t), k, w in zip(g.get_edgelist(), g.es["kind"], g.es["weight"], strict=True)
    }


def test_graph_is_the_edges_table_collapsed(sim_store: DuckDBStore) -> None:
    g = interaction_graph(sim_store.analytics())
    assert g.is_directed()
    expected = {
        (f"{p}:{s}", f"{p}:{d}", k): n
        for p, s, d, k, n in sim_store.query(
            "SELECT platform, src_id, dst_id, kind, count(*) FROM edges GROUP BY ALL"
        )
    }
    assert _edge_set(g) == expected  # one edge per (src, dst, kind), weight = count
    assert sum(g.es["weight"]) == sim_store.query("SELECT count(*) FROM edges")[0][0]
    (ends,) = sim_store.query(
        "SELECT count(*) FROM (SELECT platform, src_id FROM edges UNION SELECT platform, dst_id FROM edges)"
    )[0]
    assert g.vcount() == ends
    assert len(set(g.vs["name"])) == g.vcount()
    assert g.vs["name"] == sorted(g.vs["name"], key=lambda n: tuple(n.split(":", 1)))


def test_vertex_attributes_come_from_accounts(sim_store: DuckDBStore) -> None:
    g = interaction_graph(sim_store.analytics())
    accounts = {
        vertex_name(p, i): (h or "", k)
        for p, i, h, k in sim_store.query("SELECT platform, native_id, handle, kind FROM accounts")
    }
    for v in g.vs:
        platform, _, _native = v["name"].partition(":")
        assert v["platform"] == platform
        assert (v["handle"], v["kind"]) == accounts.get(v["name"], ("", "unknown"))
    assert {"x", "telegram"} <= set(g.vs["platform"])


@pytest.mark.parametrize(
    ("platform", "kinds"),
    [
        ("telegram", None),  # Telegram alone: forwards between channels
        (None, ["reposts"]),  # one kind over every platform
        ("x", ["mentions", "replies"]),  # two kinds of one platform
        ("x", ("follows",)),  # any sequence of kinds
    ],
)
def test_platform_and_kind_filters(
    sim_store: DuckDBStore, platform: str | None, kinds: list[str] | None
) -> None:
    g = interaction_graph(sim_store.analytics(), platform=platform, kinds=kinds)
    want = interaction_graph(sim_store.analytics())
    keep = {
        key: w
        for key, w in _edge_set(want).items()
        if (platform is None or key[0].startswith(platform + ":"))
        and (kinds is None or key[2] in kinds)
    }
    assert _edge_set(g) == keep and g.ecount() > 0
    assert g.vcount() == len({n for key in keep for n in key[:2]})


def test_kind_counts_and_empty_selections(sim_store: DuckDBStore) -> None:
    g = interaction_graph(sim_store.analytics())
    counts = kind_counts(g)
    assert {k: v["weight"] for k, v in counts.items()} == dict(
        sim_store.query("SELECT kind, count(*) FROM edges GROUP BY kind")
    )
    none = interaction_graph(sim_store.analytics(), platform="no-such-platform")
    assert (none.vcount(), none.ecount(), kind_counts(none)) == (0, 0, {})
    with pytest.raises(ConfigError):
        interaction_graph(sim_store.analytics(), kinds=[])


def test_same_store_same_graph(sim_store: DuckDBStore) -> None:
    a = interaction_graph(sim_store.analytics())
    b = interaction_graph(sim_store.analytics())
    assert a.vs["name"] == b.vs["name"] and a.get_edgelist() == b.get_edgelist()
    # the work happens on a cursor: no temporary table is left on the store's connection
    left = sim_store.analytics().execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name LIKE '\\_net%' ESCAPE '\\'"
    )
    assert left.fetchone() == (0,)


def test_collapses_multi_edges_and_keeps_self_loops(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "ws") as store:
        ingest_records(
            store,
            tmp_path / "e.jsonl",
            [
                account("1", "alpha"),
                edge("1", "2", "reposts", "p1"),  # three reposts of the same account
                edge("1", "2", "reposts", "p2"),
                edge("1", "2", "reposts", "p3"),
                edge("1", "2", "mentions", "p4"),  # another kind: another edge
                edge("2", "1", "reposts", "p5"),  # the other direction: another edge
                edge("1", "1", "replies", "p6"),  # a reply to oneself
            ],
        )
        g = interaction_graph(store.analytics())
    assert g.vs["name"] == ["x:1", "x:2"]
    assert g.vs["handle"] == ["alpha", ""] and g.vs["kind"] == ["user", "unknown"]
    assert _edge_set(g) == {
        ("x:1", "x:2", "reposts"): 3,
        ("x:1", "x:2", "mentions"): 1,
        ("x:2", "x:1", "reposts"): 1,
        ("x:1", "x:1", "replies"): 1,
    }


def _coactivity_records() -> list[dict[str, object]]:
    records: list[dict[str, object]] = [account(str(i), f"user{i}") for i in range(1, 13)]
    n = 0

    def say(who: int, text: str) -> None:
        nonlocal n
        n += 1
        records.append(post(f"p{n}", str(who), n * 60.0, text))

    for who in (1, 2, 3):  # a rare hashtag shared by three accounts
        say(who, "daily update number one #RareTag")
    for who in (1, 2):  # and a second one shared by two of them
        say(who, "daily update number two #OtherRare")
    for who in range(1, 13):  # a common hashtag: all twelve accounts
        say(who, "daily update number three #CommonTag")
    for who in (4, 5):  # a rare domain
        say(who, "daily update number four https://files.example.org/a")
    say(6, "daily update number five #LonelyTag")  # used once: links nobody
    return records


@pytest.mark.parametrize(
    ("by", "max_accounts", "min_shared", "expected"),
    [
        # the two rare tags link 1-2 twice and 1-3, 2-3 once; the common tag is too common
        ("hashtag", 5, 1, {("x:1", "x:2"): 2, ("x:1", "x:3"): 1, ("x:2", "x:3"): 1}),
        ("hashtag", 5, 2, {("x:1", "x:2"): 2}),  # min_shared drops single-token pairs
        ("hashtag", 2, 1, {("x:1", "x:2"): 1}),  # cap 2: only the two-account tag counts
        ("domain", 5, 1, {("x:4", "x:5"): 1}),  # one rare domain
    ],
)
def test_coactivity_links_rare_tokens_only(
    tmp_path: Path,
    by: str,
    max_accounts: int,
    min_shared: int,
    expected: dict[tuple[str, str], int],
) -> None:
    with DuckDBStore(tmp_path / "ws") as store:
        ingest_records(store, tmp_path / "c.jsonl", _coactivity_records())
        g = coactivity_graph(
            store.analytics(),
            by=by,  # type: ignore[arg-type]
            max_accounts=max_accounts,
            min_shared=min_shared,
        )
    assert not g.is_directed()
    names = g.vs["name"]
    got = {
        (names[s], names[t]): w for (s, t), w in zip(g.get_edgelist(), g.es["weight"], strict=True)
    }
    assert got == expected
    assert set(g.es["kind"]) == {f"shared_{by}"}


def test_coactivity_bound_and_bad_arguments(sim_store: DuckDBStore) -> None:
    """At most max_accounts * (max_accounts - 1) / 2 pairs per rare token."""
    con = sim_store.analytics()
    g = coactivity_graph(con, by="domain", max_accounts=10)
    row = con.execute(
        """SELECT count(*) FROM (SELECT d FROM (SELECT DISTINCT account_id, unnest(domains) d
           FROM current_posts) GROUP BY d HAVING count(*) BETWEEN 2 AND 10)"""
    ).fetchone()
    assert row is not None
    (tokens,) = row
    assert g.ecount() <= tokens * 45
    assert np.all(np.asarray(g.es["weight"]) >= 1)
    with pytest.raises(ConfigError):
        coactivity_graph(con, by="mentions")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        coactivity_graph(con, max_accounts=1)
