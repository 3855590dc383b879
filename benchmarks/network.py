"""Network stage speed, memory and quality: marsad against a networkx peer, in one run.

Figures for ``BENCHMARKS.md`` (the "networks" section).  On a simulated
workspace (the default ``census-2014`` profile, seed 7: 5,000 first-generation
X accounts and their successors, 50,000 X posts, 2,000 Telegram messages,
~56,000 stored edges; ``--scale`` multiplies the accounts and posts) it times,
as separate processes taking turns:

* **marsad** -- :func:`marsad.network.graph.interaction_graph` (DuckDB ->
  Arrow -> igraph), :func:`~marsad.network.communities.detect_communities`
  (Leiden, ``leidenalg`` RBConfiguration at resolution 1, seed 42, on the
  undirected weight-summed graph), :func:`~marsad.network.communities.assign_roles`,
  :func:`~marsad.network.export.annotate` and
  :func:`~marsad.network.export.write_graph` to GraphML.
* **networkx** -- the same edge list read from the same workspace with
  DuckDB into pandas (``SELECT platform, src_id, dst_id, kind FROM edges``),
  collapsed with pandas ``groupby`` (one edge per source, target and kind,
  weight = count -- the same graph), an undirected weight-summed
  ``nx.Graph`` (self-loops dropped) for
  ``networkx.community.louvain_communities(G, weight="weight", resolution=1,
  seed=42)``, community set on the nodes, and ``nx.write_graphml`` of the
  directed multigraph.  No role rules: the peer has none, so its time is
  charged for less work.

Each side prints its phase times and writes its membership; the script
scores both against the simulator's planted communities with the adjusted
Rand index (scikit-learn): over the covert X accounts (the communities the
simulator plants on purpose) and over every account of the ground truth.
Wall time spans process start to exit (interpreter start and imports
included); peak memory is the process's own peak RSS (``os.wait4``); every
figure is the median of ``--repeat`` runs.

The workspace is simulated and ingested once, in a child process (X v2 +
Telegram through the real adapters), and cached under ``--data-dir``
(``network-<profile>-x<scale>-v1/``); the script itself imports nothing
heavy until every run is done, because on Linux a child's peak RSS starts
from its parent's.

Usage::

    .venv/bin/python benchmarks/network.py                  # default profile, 5 repeats
    .venv/bin/python benchmarks/network.py --scale 4 --repeat 3
    .venv/bin/python benchmarks/network.py --quick          # the "small" profile, 1 repeat
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    load_average,
    machine_lines,
    markdown_table,
    median,
    run_measured,
)

VERSION = "v1"
SEED = 42


# -- the workspace ---------------------------------------------------------------------------------


def build(root: Path, profile: str, scale: int) -> Path:
    """Simulate and ingest once; returns the workspace directory."""
    ws = root / "workspace"
    if (root / "build.json").exists():
        return ws
    from marsad import pipeline
    from marsad.simulate import SimConfig, simulate

    base = SimConfig.from_profile(profile)
    config = SimConfig.from_profile(
        profile,
        seed=7,
        accounts=base.accounts * scale,
        posts=base.posts * scale,
        telegram_posts=base.telegram_posts * scale,
    )
    print(f"building {root} (once) ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    summary = simulate(config, root / "sim", formats=["x-v2", "telegram"])
    simulated = time.perf_counter() - started
    with pipeline.open_store(ws) as store:
        for path, fmt in summary.inputs:
            pipeline.ingest_file(store, path, fmt=fmt)
        counts = store.counts()
    (root / "build.json").write_text(
        json.dumps(
            {
                "profile": profile,
                "scale": scale,
                "simulate_s": round(simulated, 1),
                "ingest_s": round(time.perf_counter() - started - simulated, 1),
                "counts": counts,
            },
            indent=2,
        )
    )
    return ws


# -- the two sides (each run as its own process) ---------------------------------------------------


def run_marsad(ws: Path, out: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    from marsad import pipeline
    from marsad.network.communities import assign_roles, detect_communities
    from marsad.network.export import annotate, write_graph
    from marsad.network.graph import interaction_graph

    phases: dict[str, float] = {"import": time.perf_counter() - t0}
    with pipeline.open_store(ws, create=False) as store:
        con = store.analytics()
        t = time.perf_counter()
        g = interaction_graph(con)
        phases["graph"] = time.perf_counter() - t
        t = time.perf_counter()
        communities = detect_communities(g, seed=SEED)
        phases["communities"] = time.perf_counter() - t
        t = time.perf_counter()
        roles = assign_roles(con, g, communities)
        phases["roles"] = time.perf_counter() - t
    t = time.perf_counter()
    annotate(g, communities, roles=roles)
    write_graph(g, out / "marsad.graphml")
    phases["export"] = time.perf_counter() - t
    membership = dict(zip(g.vs["name"], communities.membership, strict=True))
    (out / "membership.json").write_text(json.dumps(membership))
    return {
        "phases": phases,
        "nodes": g.vcount(),
        "edges": g.ecount(),
        "communities": communities.count,
        "modularity": communities.modularity,
    }


def run_networkx(ws: Path, out: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    import duckdb
    import networkx as nx
    import numpy as np
    import pandas as pd

    phases: dict[str, float] = {"import": time.perf_counter() - t0}
    t = time.perf_counter()
    con = duckdb.connect(str(ws / "marsad.duckdb"), read_only=True)
    raw = con.execute("SELECT platform, src_id, dst_id, kind FROM edges").df()
    con.close()
    raw["src"] = raw["platform"] + ":" + raw["src_id"]
    raw["dst"] = raw["platform"] + ":" + raw["dst_id"]
    edges = raw.groupby(["src", "dst", "kind"], sort=True).size().rename("weight").reset_index()
    directed = nx.from_pandas_edgelist(
        edges, "src", "dst", edge_attr=["kind", "weight"], create_using=nx.MultiDiGraph
    )
    pairs = edges[edges["src"] != edges["dst"]]
    a = np.where(pairs["src"] < pairs["dst"], pairs["src"], pairs["dst"])
    b = np.where(pairs["src"] < pairs["dst"], pairs["dst"], pairs["src"])
    und = (
        pd.DataFrame({"a": a, "b": b, "weight": pairs["weight"].to_numpy()})
        .groupby(["a", "b"], sort=True)["weight"]
        .sum()
        .reset_index()
    )
    g = nx.from_pandas_edgelist(und, "a", "b", edge_attr="weight")
    g.add_nodes_from(directed.nodes)  # accounts whose only edge is a self-loop
    phases["graph"] = time.perf_counter() - t
    t = time.perf_counter()
    parts = nx.community.louvain_communities(g, weight="weight", resolution=1, seed=SEED)
    phases["communities"] = time.perf_counter() - t
    t = time.perf_counter()
    membership = {n: k for k, part in enumerate(parts) for n in part}
    nx.set_node_attributes(directed, membership, "community")
    nx.write_graphml(directed, out / "networkx.graphml")
    phases["export"] = time.perf_counter() - t
    (out / "membership.json").write_text(json.dumps(membership))
    return {
        "phases": phases,
        "nodes": directed.number_of_nodes(),
        "edges": directed.number_of_edges(),
        "communities": len(parts),
        "modularity": nx.community.modularity(g, parts, weight="weight"),
    }


# -- scoring and the report ------------------------------------------------------------------------


def ari(root: Path, membership: dict[str, int]) -> tuple[float, float]:
    """ARI of *membership* against the planted communities: (covert X accounts, all accounts)."""
    from sklearn.metrics import adjusted_rand_score

    with open(root / "sim" / "ground_truth" / "accounts.csv", encoding="utf-8") as fh:
        truth = {f"{r['platform']}:{r['native_id']}": r for r in csv.DictReader(fh)}
    both = [n for n in membership if n in truth]
    covert = [n for n in both if truth[n]["is_covert"] == "true" and truth[n]["platform"] == "x"]

    def score(names: list[str]) -> float:
        return float(
            adjusted_rand_score(
                [truth[n]["community"] for n in names], [membership[n] for n in names]
            )
        )

    return score(covert), score(both)


TOOLS = ("marsad", "networkx")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="census-2014", help="simulation profile")
    ap.add_argument("--scale", type=int, default=1, help="multiply accounts and posts")
    ap.add_argument("--repeat", type=int, default=5, help="runs per tool")
    ap.add_argument("--quick", action="store_true", help="the small profile, one run")
    ap.add_argument("--data-dir", type=Path, default=Path("bench-data"), help="workspace cache")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    ap.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    ap.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--workspace", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        run = run_marsad if args.worker == "marsad" else run_networkx
        result = run(args.workspace, args.out)
        print(json.dumps(result), flush=True)
        os._exit(0)  # not charged for freeing its objects (both sides alike)

    if args.quick:
        args.profile, args.repeat = "small", 1
    root = (args.data_dir / f"network-{args.profile}-x{args.scale}-{VERSION}").resolve()
    if args.build_only:
        build(root, args.profile, args.scale)
        return 0
    # the workspace is built in a child process, and nothing heavy is imported here
    # until every run is done: on Linux a child's peak RSS starts from its parent's
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "build.json").exists():
        done = run_measured(
            [sys.executable, __file__, "--build-only", "--profile", args.profile]
            + ["--scale", str(args.scale), "--data-dir", str(args.data_dir)]
        )
        if done.returncode != 0:
            print(f"building the workspace failed:\n{done.stderr[-2000:]}")
            return 1
    ws = root / "workspace"
    info = json.loads((root / "build.json").read_text())

    machine = machine_lines(["igraph", "leidenalg", "networkx", "duckdb", "pandas"])
    runs: dict[str, list[dict[str, Any]]] = {t: [] for t in TOOLS}
    memberships: dict[str, list[Path]] = {t: [] for t in TOOLS}
    keep = root / "runs"
    keep.mkdir(exist_ok=True)
    for i in range(args.repeat):
        for tool in TOOLS if i % 2 == 0 else TOOLS[::-1]:
            with tempfile.TemporaryDirectory(dir=root) as scratch:
                m = run_measured(
                    [sys.executable, __file__, "--worker", tool, "--workspace", str(ws)]
                    + ["--out", scratch],
                    timeout=args.timeout,
                )
                if m.returncode != 0 or m.killed:
                    print(f"{tool} failed ({m.killed or m.returncode}):\n{m.stderr[-2000:]}")
                    return 1
                result = json.loads(m.stdout.strip().splitlines()[-1])
                kept = keep / f"{tool}-{i}.json"
                os.replace(Path(scratch) / "membership.json", kept)
                memberships[tool].append(kept)
                result["wall_s"], result["rss_mb"] = m.wall_s, m.peak_rss_mb
                runs[tool].append(result)
            print(f"  run {i + 1}: {tool} {m.wall_s:.2f} s", file=sys.stderr, flush=True)
    for tool in TOOLS:
        for result, path in zip(runs[tool], memberships[tool], strict=True):
            result["ari_covert"], result["ari_all"] = ari(root, json.loads(path.read_text()))

    counts = info["counts"]
    print("## Networks: graph, communities, roles, export\n")
    print(
        f"- data: `{args.profile}` simulation x{args.scale}, seed 7 -- {counts['accounts']:,} "
        f"accounts, {counts['posts']:,} posts, {counts['edges']:,} stored edges "
        f"(simulated in {info['simulate_s']} s, ingested in {info['ingest_s']} s)"
    )
    first = runs["marsad"][0]
    print(f"- graph: {first['nodes']:,} accounts, {first['edges']:,} (source, target, kind) edges")
    print("- marsad: interaction_graph + Leiden (leidenalg) + roles + GraphML export")
    print("- networkx: pandas edge list + louvain_communities + GraphML export (no roles)")
    print(f"- medians of {args.repeat} runs per tool, taking turns; separate processes")
    for line in machine:
        print(line)
    print()
    headers = [
        "tool",
        "graph s",
        "communities s",
        "roles s",
        "export s",
        "wall s",
        "peak RSS MB",
        "communities",
        "modularity",
        "ARI covert",
        "ARI all",
    ]
    rows = []
    for tool in TOOLS:
        rs = runs[tool]

        def med(key: str, rs: list[dict[str, Any]] = rs) -> float:
            return median([r["phases"].get(key, float("nan")) for r in rs])

        rows.append(
            [
                tool,
                f"{med('graph'):.2f}",
                f"{med('communities'):.2f}",
                "-" if tool != "marsad" else f"{med('roles'):.2f}",
                f"{med('export'):.2f}",
                f"{median([r['wall_s'] for r in rs]):.2f}",
                f"{median([r['rss_mb'] for r in rs]):,.0f}",
                f"{median([r['communities'] for r in rs]):,.0f}",
                f"{median([r['modularity'] for r in rs]):.3f}",
                f"{median([r['ari_covert'] for r in rs]):.3f}",
                f"{median([r['ari_all'] for r in rs]):.3f}",
            ]
        )
    print(markdown_table(headers, rows))
    print()
    print(f"- load average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
