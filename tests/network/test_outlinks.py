"""The outlink graph: accounts -> Telegram channels, file hosts and other platforms."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from marsad.errors import ConfigError
from marsad.network.outlinks import find_outlinks
from marsad.store.duckdb import DuckDBStore
from tests.network.helpers import SimWorkspace, account, ingest_records, post

#: (account, link) -> the target it counts for, or None when it is left out
LINKS = [
    ("1", "https://t.me/Daily_Bulletin", "t.me/daily_bulletin"),  # a channel (case-folded)
    ("1", "https://t.me/s/daily_bulletin/15", "t.me/daily_bulletin"),  # its web preview, a post
    ("2", "https://telegram.me/daily_bulletin", "t.me/daily_bulletin"),  # another Telegram domain
    ("2", "https://t.me/joinchat/AbCdEf", "t.me/joinchat/AbCdEf"),  # an invite keeps its hash
    ("3", "https://t.me/+XyZ123", "t.me/+XyZ123"),  # the newer invite form
    ("3", "https://mega.nz/file/abc", "mega"),  # a file host: the platform
    ("3", "https://mega.co.nz/#!abc", "mega"),  # the same platform, another domain
    ("4", "https://web.archive.org/web/2015/x", "internet_archive"),  # a subdomain
    ("4", "https://bit.ly/3abc", None),  # a shortener says nothing
    ("4", "https://twitter.com/someone/status/1", None),  # X linking to X: a quote
    ("4", "https://news.example.com/story", None),  # no known platform
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    tmp = tmp_path_factory.mktemp("outlinks")
    records: list[dict[str, object]] = [account(str(i), f"user{i}") for i in range(1, 5)]
    for n, (who, link, _target) in enumerate(LINKS):
        records.append(post(f"p{n}", who, n * 60.0, f"Daily update number {n} {link}"))
    records.append(post("tg1", "100", 0.0, "Notes https://mega.nz/file/xyz", platform="telegram"))
    s = DuckDBStore(tmp / "ws")
    with s:
        ingest_records(s, tmp / "links.jsonl", records)
        yield s


def test_targets_and_edges(store: DuckDBStore) -> None:
    out = find_outlinks(store.analytics())
    g = out.graph
    names = g.vs["name"]
    got = {
        (names[s], names[t]): w for (s, t), w in zip(g.get_edgelist(), g.es["weight"], strict=True)
    }
    want: dict[tuple[str, str], int] = {}
    for who, _link, target in LINKS:
        if target is not None:
            key = (f"x:{who}", f"link:{target}")
            want[key] = want.get(key, 0) + 1
    want[("telegram:100", "link:mega")] = 1
    assert got == want
    targets = {t.target: (t.platform, t.category, t.accounts, t.posts) for t in out.targets}
    assert targets == {
        "t.me/daily_bulletin": ("telegram", "messaging", 2, 3),
        "mega": ("mega", "file_host", 2, 3),
        "t.me/joinchat/AbCdEf": ("telegram", "messaging", 1, 1),
        "t.me/+XyZ123": ("telegram", "messaging", 1, 1),
        "internet_archive": ("internet_archive", "archive", 1, 1),
    }
    assert out.targets[0].accounts == 2  # most-linked first
    v = g.vs.find(name="link:mega")
    assert (v["kind"], v["platform"], v["category"], v["handle"]) == (
        "outlink",
        "mega",
        "file_host",
        "MEGA",
    )
    assert g.vs.find(name="x:1")["handle"] == "user1"
    assert all(g.vs[t]["kind"] == "outlink" for _s, t in g.get_edgelist())


@pytest.mark.parametrize(
    ("options", "targets"),
    [
        ({"platform": "telegram"}, {"mega"}),  # one platform's posts
        (
            {"categories": ["messaging"]},
            {"t.me/daily_bulletin", "t.me/joinchat/AbCdEf", "t.me/+XyZ123"},
        ),
        ({"categories": ["shortener"]}, {"bitly"}),  # asked for explicitly
        (
            {"include_same_platform": True, "categories": ["social"]},
            {"x"},  # X's own links, when asked
        ),
    ],
)
def test_options(store: DuckDBStore, options: dict[str, object], targets: set[str]) -> None:
    out = find_outlinks(store.analytics(), **options)  # type: ignore[arg-type]
    assert {t.target for t in out.targets} == targets


def test_unknown_category(store: DuckDBStore) -> None:
    with pytest.raises(ConfigError):
        find_outlinks(store.analytics(), categories=["websites"])


def test_simulated_outlets_link_to_their_telegram_channels(sim: SimWorkspace) -> None:
    with sim.open() as s:
        out = find_outlinks(s.analytics())
    channels = {t.target for t in out.targets if t.platform == "telegram"}
    assert channels and all(c.startswith("t.me/") for c in channels)
    # every account linking to a channel is an account of the simulation
    g = out.graph
    linkers = {g.vs[s]["name"] for s, t in g.get_edgelist() if g.vs[t]["platform"] == "telegram"}
    assert linkers and linkers <= set(sim.truth)


def test_empty(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "ws") as s:
        out = find_outlinks(s.analytics())
    assert out.targets == () and out.graph.vcount() == 0
