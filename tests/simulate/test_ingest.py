"""The simulated files go through the real ingest adapters and land as the ground truth says.

Counts on the ingest side come from the store; expected counts come from the
ground-truth CSVs and from parsing the export files directly with orjson.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import orjson
import pytest

from marsad.codec import record_from_dict, record_to_dict
from marsad.pipeline import ingest_file
from marsad.store.duckdb import DuckDBStore
from tests.simulate.helpers import Sim


def _ingest(store: DuckDBStore, sim: Sim, formats: set[str]) -> None:
    for path, fmt in sim.summary.inputs:
        if fmt in formats:
            summary = ingest_file(store, path, fmt=fmt)
            assert summary.quarantined == 0, (path.name, summary.problems)


def _by_platform(store: DuckDBStore, table: str) -> dict[str, int]:
    return dict(store.query(f"SELECT platform, count(*) FROM {table} GROUP BY 1"))


def _expected_edges(sim: Sim) -> Counter[tuple[str, str]]:
    """Edges the exports imply, counted from the files themselves."""
    out: Counter[tuple[str, str]] = Counter()
    seen: set[str] = set()
    kinds = {"retweeted": "reposts", "quoted": "quotes", "replied_to": "replies"}
    for page in sim.lines("x_v2_tweets.jsonl"):
        for t in page.get("data", []) + page.get("includes", {}).get("tweets", []):
            if t["id"] in seen:
                continue
            seen.add(t["id"])
            refs = [r["type"] for r in t.get("referenced_tweets", [])]
            for r in refs:
                out[("x", kinds[r])] += 1
            if "retweeted" not in refs:
                ids = {m["id"] for m in t.get("entities", {}).get("mentions", [])}
                out[("x", "mentions")] += len(ids)
    for page in sim.lines("x_v2_followers.jsonl"):
        out[("x", "follows")] += len(page.get("data", []))
    export = orjson.loads((sim.out / "telegram" / "result.json").read_bytes())
    for chat in export["chats"]["list"]:
        out[("telegram", "forwards")] += sum(
            1 for m in chat["messages"] if "forwarded_from_id" in m
        )
    return out


#: the two ways into marsad: the platforms' own formats, or marsad's single file
ROUTES = {"native": {"x-v2", "telegram"}, "marsad": {"marsad-jsonl"}}


@pytest.fixture(scope="module")
def stores(tiny: Sim, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, DuckDBStore]]:
    """The tiny simulation ingested by each route, once for the module."""
    out = {}
    for name, formats in ROUTES.items():
        out[name] = DuckDBStore(tmp_path_factory.mktemp(name) / "ws")
        _ingest(out[name], tiny, formats)
    yield out
    for s in out.values():
        s.close()


@pytest.mark.parametrize(
    "route",
    [
        "native",  # X v2 pages and the Telegram export through their adapters
        "marsad",  # marsad.jsonl through the marsad-jsonl adapter
    ],
)
def test_ingested_counts_equal_ground_truth(
    tiny: Sim, stores: dict[str, DuckDBStore], route: str
) -> None:
    store = stores[route]
    truth = tiny.accounts
    assert _by_platform(store, "accounts") == dict(Counter(r["platform"] for r in truth))
    posts = Counter[str]()
    for r in truth:
        posts[r["platform"]] += int(r["posts"])
    assert _by_platform(store, "posts") == dict(posts)
    suspended = {r["native_id"] for r in truth if r["suspended_at"]}
    found = {
        row[0] for row in store.query("SELECT native_id FROM accounts WHERE status = 'suspended'")
    }
    assert found == suspended
    edges = Counter(
        {
            (p, k): n
            for p, k, n in store.query("SELECT platform, kind, count(*) FROM edges GROUP BY 1, 2")
        }
    )
    assert edges == _expected_edges(tiny)
    assert edges[("x", "follows")] == tiny.summary.follow_edges > 0


def test_both_routes_store_the_same_posts(stores: dict[str, DuckDBStore]) -> None:
    columns = (
        "platform, native_id, account_id, created_at, text, kind, lang_platform, client, "
        "reply_to_id, repost_of_id, quote_of_id, forward_from_account_id, hashtags, mentions, urls"
    )
    native, marsad = (
        stores[r].query(f"SELECT {columns} FROM posts ORDER BY platform, native_id") for r in ROUTES
    )
    assert native and native == marsad


def test_marsad_jsonl_lines_are_canonical_codec_output(tiny: Sim) -> None:
    # the writer builds hot-path records by hand: each must be what the codec writes
    kinds = Counter[str]()
    for obj in tiny.lines("marsad.jsonl"):
        assert record_to_dict(record_from_dict(obj)) == obj
        kinds[obj["type"]] += 1
    assert set(kinds) == {"account", "snapshot", "status", "post", "edge"}


def test_suspension_errors_have_the_real_shape(tiny: Sim) -> None:
    from tests.conftest import shared_file

    real = None
    with open(shared_file("fixtures/x_api_v2_twarc/2sets.jsonl"), "rb") as fh:
        for line in fh:
            for e in orjson.loads(line).get("errors", []):
                if str(e.get("detail", "")).startswith("User has been suspended"):
                    real = e
    assert real is not None, "the fixture holds a suspended-user error"
    errors = [e for page in tiny.lines("x_v2_users.jsonl") for e in page.get("errors", [])]
    assert errors
    for e in errors:
        assert set(e) == set(real)
        assert (e["title"], e["type"], e["resource_type"]) == (real["title"], real["type"], "user")
        assert e["detail"] == f"User has been suspended: [{e['resource_id']}]."


def test_tweets_use_the_real_fields(tiny: Sim) -> None:
    from tests.conftest import shared_file

    real_tweet: set[str] = set()
    real_user: set[str] = set()
    with open(shared_file("fixtures/x_api_v2_twarc/2sets.jsonl"), "rb") as fh:
        for line in fh:
            page = orjson.loads(line)
            for t in page.get("data", []):
                real_tweet |= set(t)
            for u in page.get("includes", {}).get("users", []):
                real_user |= set(u)
    real_tweet.add("edit_history_tweet_ids")  # X added it in 2022, after the fixture
    pages = tiny.lines("x_v2_tweets.jsonl")
    for page in pages:
        assert set(page) == {"data", "includes", "meta", "__twarc"}
        assert page["meta"]["result_count"] == len(page["data"]) <= 100
        assert page["__twarc"]["url"].startswith("https://api.twitter.com/2/tweets/search/all?")
        for t in page["data"]:
            assert set(t) <= real_tweet
            assert t["created_at"].endswith(".000Z")
        for u in page["includes"]["users"]:
            assert set(u) <= real_user
