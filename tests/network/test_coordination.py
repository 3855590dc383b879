"""Coordinated posting: planted bursts are found, everything else is not.

A synthetic workspace of neutral template posts: four accounts post the same
bulletin within seconds (the planted group), and around them the near misses
the rule must not report -- too few accounts, too far apart in time, reposts,
too short a text.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from marsad.errors import ConfigError
from marsad.network.coordination import Coordination, find_coordination
from marsad.store.duckdb import DuckDBStore
from tests.network.helpers import T0, SimWorkspace, account, ingest_records, post

BULLETIN = "Weekly bulletin number 12 from Amaq is available now #Amaq"
LINK = "https://files.example.org/doc/77"


def _records() -> list[dict[str, object]]:
    out: list[dict[str, object]] = [account(str(i), f"user{i}") for i in range(1, 11)]
    n = iter(range(1, 1000))

    def say(who: int, seconds: float, text: str, kind: str = "post") -> None:
        out.append(post(f"p{next(n)}", str(who), seconds, text, kind=kind))

    # the planted group: four accounts, the same text within 14 s, each with its own t.co link
    for who, t in ((1, 0), (2, 5), (3, 9), (4, 14)):
        say(who, t, f"{BULLETIN} https://t.co/link{who}")
    say(5, 3600, BULLETIN)  # the same text an hour later: alone in its burst
    # two accounts only
    for who, t in ((6, 100), (7, 110)):
        say(who, t, "A short note on the weather today, number 4")
    # three accounts, 200 s apart: coordinated only with a window of minutes
    for who, t in ((8, 1000), (9, 1200), (10, 1400)):
        say(who, t, "Community garden meeting notes, part 7 #garden")
    # three reposts of the bulletin within seconds: a repost's text is its original's
    for who, t in ((6, 20), (7, 22), (8, 24)):
        say(who, t, f"RT @user1: {BULLETIN}", kind="repost")
    # the same link from three accounts within 30 s, each with its own words
    for who, t, words in ((2, 5000, "Look at this"), (9, 5010, "Worth a read"), (10, 5030, "See")):
        say(who, t, f"{words} {LINK}")
    # too short to be evidence
    for who, t in ((1, 7000), (9, 7001), (10, 7002)):
        say(who, t, "thanks!")
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    tmp = tmp_path_factory.mktemp("coordination")
    s = DuckDBStore(tmp / "ws")
    with s:
        ingest_records(s, tmp / "posts.jsonl", _records())
        yield s


def _groups(co: Coordination) -> set[tuple[str, tuple[str, ...]]]:
    return {(c.by, c.accounts) for c in co.clusters}


def test_finds_the_planted_group_and_nothing_else(store: DuckDBStore) -> None:
    co = find_coordination(store.analytics())
    assert _groups(co) == {
        ("text", ("x:1", "x:2", "x:3", "x:4")),
        ("link", ("x:10", "x:2", "x:9")),
    }
    text = next(c for c in co.clusters if c.by == "text")
    assert text.posts == 4 and text.span_seconds == 14.0
    assert text.first_at == T0 and text.first_post == "x:p1"
    assert "t.co" not in text.key and text.key.startswith("weekly bulletin number 12")
    link = next(c for c in co.clusters if c.by == "link")
    assert link.key == LINK and link.span_seconds == 30.0
    assert co.clusters[0] == text  # most accounts first


def test_pair_graph(store: DuckDBStore) -> None:
    pairs = find_coordination(store.analytics()).pairs
    names = pairs.vs["name"]
    got = {
        tuple(sorted((names[s], names[t]))): w
        for (s, t), w in zip(pairs.get_edgelist(), pairs.es["weight"], strict=True)
    }
    group = ["x:1", "x:2", "x:3", "x:4"]
    want = {(a, b): 1 for i, a in enumerate(group) for b in group[i + 1 :]}
    want.update({("x:10", "x:2"): 1, ("x:10", "x:9"): 1, ("x:2", "x:9"): 1})
    assert got == want
    assert set(pairs.es["kind"]) == {"coordinated"}
    assert set(pairs.vs["handle"]) == {"user1", "user2", "user3", "user4", "user9", "user10"}


@pytest.mark.parametrize(
    ("options", "added"),
    [
        # a window of minutes joins the posts 200 s apart
        ({"window_seconds": 300}, {("text", ("x:10", "x:8", "x:9"))}),
        # two accounts are enough when asked
        ({"min_accounts": 2}, {("text", ("x:6", "x:7"))}),
        # reposts counted: the three reposts form their own burst
        ({"include_reposts": True}, {("text", ("x:6", "x:7", "x:8"))}),
        # short texts allowed
        ({"min_text_chars": 5}, {("text", ("x:1", "x:10", "x:9"))}),
    ],
)
def test_options_widen_the_rule(
    store: DuckDBStore, options: dict[str, object], added: set[tuple[str, tuple[str, ...]]]
) -> None:
    base = _groups(find_coordination(store.analytics()))
    assert _groups(find_coordination(store.analytics(), **options)) == base | added  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (["text"], {"text"}),
        (["link"], {"link"}),
        ("link", {"link"}),  # a lone string is one key, not its letters
    ],
)
def test_keys(store: DuckDBStore, by: list[str] | str, expected: set[str]) -> None:
    co = find_coordination(store.analytics(), by=by)
    assert {c.by for c in co.clusters} == expected


@pytest.mark.parametrize(
    "options",
    [
        {"window_seconds": 0},  # no window
        {"window_seconds": 7200},  # two hours is not "the same time"
        {"by": ["hashtag"]},  # not a key
        {"min_accounts": 1},  # one account is not a group
    ],
)
def test_bad_options(store: DuckDBStore, options: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        find_coordination(store.analytics(), **options)  # type: ignore[arg-type]


def test_platform_filter(store: DuckDBStore) -> None:
    assert find_coordination(store.analytics(), platform="telegram").clusters == ()


def test_the_simulation_has_no_coordinated_bursts(sim: SimWorkspace) -> None:
    """The simulator posts independently (template texts carry a running number):
    at one minute the rule finds nothing there."""
    with sim.open() as s:
        co = find_coordination(s.analytics())
    assert len(co.clusters) == 0 and co.pairs.ecount() == 0


def test_temp_tables_do_not_leak(store: DuckDBStore) -> None:
    find_coordination(store.analytics())
    find_coordination(store.analytics())  # a second run does not trip over the first's tables
    left = store.analytics().execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name LIKE '\\_co%' ESCAPE '\\'"
    )
    assert left.fetchone() == (0,)
