"""The report's network section, built from the network stage.

Part of the *network* stage (issue 6): :func:`network_section` turns a
:class:`~marsad.network.analysis.NetworkReport` into a report section --
headline numbers, a **community map** (each community a disc, its area the
number of accounts, placed by a force-directed layout of the graph of
communities, its colour darker as more of its accounts are over the account
score threshold, links between communities as lines), community sizes,
roles, the most central accounts and where accounts send their audience.
Labels in English and Arabic; handles are shown, post texts never (the
coordinated clusters are counted, not quoted).
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import numpy as np

from marsad.census.result import CensusSection, CensusTable, Chart, Column, Headline

__all__ = ["community_map", "network_section"]

#: communities drawn on the map (the largest; the rest are few accounts each)
MAP_COMMUNITIES = 24
ROLE_LABELS = {
    "hub": {"en": "hubs", "ar": "محاور"},
    "amplifier": {"en": "amplifiers", "ar": "مضخِّمون"},
    "shoutout": {"en": "shout-out accounts", "ar": "حسابات الترويج"},
    "bridge": {"en": "bridges", "ar": "جسور"},
}


def community_map(report: Any, flagged: dict[str, bool] | None = None) -> CensusTable:
    """The table behind the community map: one row per community with its
    place (x, y in 0-1), size, flagged share and its links to the others
    (``links``: ``"k:weight k:weight"``, the summed interactions)."""
    g, membership = report.graph, np.asarray(report.communities.membership)
    k = min(MAP_COMMUNITIES, report.communities.count)
    weights: Counter[tuple[int, int]] = Counter()
    if g.ecount():
        ends = np.asarray(g.get_edgelist())
        w = np.asarray(g.es["weight"], dtype=float)
        a, b = membership[ends[:, 0]], membership[ends[:, 1]]
        for i, j, x in zip(a.tolist(), b.tolist(), w.tolist(), strict=True):
            if i != j and i < k and j < k:
                weights[min(i, j), max(i, j)] += x
    import igraph as ig

    # communities with links are laid out by force (Fruchterman-Reingold,
    # every pair also joined by a faint spring so that the picture stays
    # compact); communities with no link sit in a row along the bottom
    linked = sorted({c for pair in weights for c in pair})
    alone = [c for c in range(k) if c not in linked]
    coords = np.full((k, 2), 0.5)
    if len(linked) > 1:
        at = {c: i for i, c in enumerate(linked)}
        m = len(linked)
        faint = 0.02 * min(weights.values())
        pairs = [(i, j) for i in range(m) for j in range(i + 1, m)]
        meta = ig.Graph(n=m, edges=pairs, directed=False)
        meta.es["weight"] = [weights.get((linked[i], linked[j]), 0.0) + faint for i, j in pairs]
        start = [[np.cos(2 * np.pi * i / m), np.sin(2 * np.pi * i / m)] for i in range(m)]
        state = random.getstate()
        random.seed(0)  # igraph draws from Python's random: seeded, the map is the same
        try:
            layout = meta.layout_fruchterman_reingold(weights="weight", seed=start, niter=500)
        finally:
            random.setstate(state)
        placed = np.asarray(layout.coords, dtype=float)
        lo, hi = placed.min(axis=0), placed.max(axis=0)
        placed = (placed - lo) / np.where(hi > lo, hi - lo, 1.0)
        if alone:
            placed[:, 1] *= 0.8  # room for the row below
        for c, i in at.items():
            coords[c] = placed[i]
    for n, c in enumerate(alone):
        coords[c] = ((n + 0.5) / len(alone), 1.0 if len(linked) > 1 else 0.5)
    names = g.vs["name"] if g.vcount() else []
    rows = []
    for c in range(k):
        members = np.flatnonzero(membership == c)
        share = None
        if flagged:
            known = [flagged[names[v]] for v in members if names[v] in flagged]
            share = round(100 * sum(known) / len(known), 1) if known else None
        links = " ".join(
            f"{j if i == c else i}:{round(x):d}"
            for (i, j), x in sorted(weights.items())
            if c in (i, j) and i != j
        )
        rows.append(
            [
                c,
                round(float(coords[c, 0]), 4),
                round(float(coords[c, 1]), 4),
                int(len(members)),
                share,
                links,
            ]
        )
    return CensusTable(
        key="community_map",
        title={"en": "Community map", "ar": "خريطة المجتمعات"},
        columns=[
            Column("community", {"en": "community", "ar": "المجتمع"}),
            Column("x", {"en": "x", "ar": "س"}, "ratio"),
            Column("y", {"en": "y", "ar": "ص"}, "ratio"),
            Column("accounts", {"en": "accounts", "ar": "الحسابات"}, "count"),
            Column(
                "flagged",
                {"en": "accounts over the score threshold", "ar": "حسابات فوق العتبة"},
                "percent",
            ),
            Column("links", {"en": "interactions with other communities", "ar": "التفاعلات"}),
        ],
        rows=rows,
        chart=Chart("map", "community", ("accounts",)),
        note={
            "en": "Each disc is a community (Leiden); its area is its number of accounts, its "
            "colour darker as more of its accounts are over the account score threshold; lines "
            "join communities that interact, thicker for more interactions.",
            "ar": "كل دائرة مجتمع (خوارزمية لايدن)؛ مساحتها عدد حساباته، ويغمق لونها كلما زادت "
            "حساباته فوق عتبة الدرجة؛ والخطوط تصل المجتمعات المتفاعلة، وتثخن بزيادة التفاعل.",
        },
    )


def network_section(report: Any, flagged: dict[str, bool] | None = None) -> CensusSection:
    """The network section of the report (module docstring).  *flagged* maps
    ``platform:id`` to whether the account is over the account-score threshold."""
    s = report.summary(top=15)
    comms = s["communities"]
    headline = [
        Headline(
            "accounts",
            {"en": "accounts in the graph", "ar": "حسابات في الشبكة"},
            s["nodes"],
            "count",
        ),
        Headline("edges", {"en": "interaction edges", "ar": "روابط التفاعل"}, s["edges"], "count"),
        Headline("communities", {"en": "communities", "ar": "المجتمعات"}, comms["count"], "count"),
        Headline("modularity", {"en": "modularity", "ar": "النمطية"}, comms["modularity"], "ratio"),
        Headline(
            "coordinated",
            {"en": "coordinated clusters", "ar": "مجموعات منسَّقة"},
            s["coordination"]["clusters"],
            "count",
        ),
    ]
    tables = [community_map(report, flagged)]
    tables.append(
        CensusTable(
            key="communities",
            title={"en": "Largest communities", "ar": "أكبر المجتمعات"},
            columns=[
                Column("community", {"en": "community", "ar": "المجتمع"}),
                Column("accounts", {"en": "accounts", "ar": "الحسابات"}, "count"),
                Column("central", {"en": "most central accounts", "ar": "أكثر الحسابات مركزية"}),
            ],
            rows=[
                [
                    str(c["community"]),
                    c["size"],
                    ", ".join(f"@{a['handle']}" for a in c["top_accounts"] if a["handle"]),
                ]
                for c in comms["largest"]
            ],
            chart=Chart("hbar", "community", ("accounts",)),
        )
    )
    tables.append(
        CensusTable(
            key="roles",
            title={"en": "Roles in the network", "ar": "الأدوار في الشبكة"},
            columns=[
                Column(
                    "role",
                    {"en": "role", "ar": "الدور"},
                    values=ROLE_LABELS,
                ),
                Column("accounts", {"en": "accounts", "ar": "الحسابات"}, "count"),
                Column("top", {"en": "leading accounts", "ar": "أبرز الحسابات"}),
            ],
            rows=[
                [
                    role,
                    info["count"],
                    ", ".join(f"@{a['handle']}" for a in info["top"][:5] if a["handle"]),
                ]
                for role, info in s["roles"].items()
            ],
            chart=Chart("bar", "role", ("accounts",)),
        )
    )
    tables.append(
        CensusTable(
            key="central_accounts",
            title={"en": "Most central accounts (PageRank)", "ar": "أكثر الحسابات مركزية"},
            columns=[
                Column("account", {"en": "account", "ar": "الحساب"}),
                Column("handle", {"en": "handle", "ar": "المعرّف"}),
                Column("community", {"en": "community", "ar": "المجتمع"}),
                Column("pagerank", {"en": "PageRank", "ar": "PageRank"}, "ratio"),
            ],
            rows=[
                [a["name"], f"@{a['handle']}" if a["handle"] else "", a["community"], a["pagerank"]]
                for a in s["top_pagerank"]
            ],
        )
    )
    if s["outlinks"]["top"]:
        tables.append(
            CensusTable(
                key="outlink_targets",
                title={
                    "en": "Where accounts send their audience",
                    "ar": "إلى أين توجِّه الحسابات جمهورها",
                },
                columns=[
                    Column("target", {"en": "target", "ar": "الوجهة"}),
                    Column("platform", {"en": "platform", "ar": "المنصة"}),
                    Column("accounts", {"en": "accounts linking", "ar": "الحسابات"}, "count"),
                    Column("posts", {"en": "posts", "ar": "المنشورات"}, "count"),
                ],
                rows=[
                    [t["target"], t["platform"], t["accounts"], t["posts"]]
                    for t in s["outlinks"]["top"]
                ],
                chart=Chart("hbar", "target", ("accounts",)),
            )
        )
    return CensusSection(
        key="network",
        title={"en": "Network", "ar": "الشبكة"},
        headline=headline,
        tables=tables,
        note={
            "en": f"Interaction graph (reposts, quotes, replies, mentions, forwards, follows); "
            f"communities by {comms['method']} (seed {comms['seed']}); roles by the rules of "
            "marsad.network.communities.",
            "ar": "شبكة التفاعل (إعادة النشر والاقتباس والردود والإشارات والتحويل والمتابعة)؛ "
            "المجتمعات بخوارزمية لايدن؛ والأدوار بقواعد marsad.network.communities.",
        },
    )
