"""The X API v2 (twarc2) adapter on the real fixtures and on synthetic lines.

Every expectation about the real fixtures is computed here, independently of
the adapter, by reading the fixture JSON with the ``json`` module.  The
fixtures hold real tweets: nothing of them is copied into this file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from marsad.errors import ConfigError
from marsad.ingest._twitter_common import client_name, parse_x_time
from marsad.ingest.base import RawRecord, read_head
from marsad.ingest.twitter_v2 import TwitterV2Adapter
from marsad.model import Account, AccountStatus, Edge, EdgeKind, Media, Post, StatusEvent
from marsad.pipeline import IngestSummary, ingest_file
from marsad.store.duckdb import DuckDBStore
from tests.conftest import shared_file

FIXTURES = "fixtures/x_api_v2_twarc"
COMPLIANCE_STATUS = {
    "suspended": "suspended",
    "deactivated": "deleted",
    "deleted": "deleted",
    "protected": "protected",
}


# -- independent reading of the fixtures ----------------------------------------------
def fixture_files() -> list[Path]:
    folder = shared_file(FIXTURES)
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("SOURCE"))


def json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object or None when not JSON) for each non-blank line."""
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield line_no, json.loads(line)
            except json.JSONDecodeError:
                yield line_no, None


def time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class Expected:
    """What the fixtures hold, read with nothing but ``json``."""

    def __init__(self, files: list[Path]) -> None:
        self.tweets: dict[str, dict[str, Any]] = {}  # first copy seen
        self.users: set[str] = set()
        self.snapshots: set[tuple[str, datetime]] = set()
        self.media: set[str] = set()
        self.status: set[tuple[str, str, datetime]] = set()
        self.bad_lines: dict[str, list[int]] = {}
        self.lines: dict[str, int] = {}
        self.repost_edges: set[tuple[str, str, str]] = set()
        for path in files:
            self.lines[path.name] = 0
            for line_no, obj in json_lines(path):
                self.lines[path.name] += 1
                if obj is None:
                    self.bad_lines.setdefault(path.name, []).append(line_no)
                elif "data" in obj or "errors" in obj:
                    self.page(obj)
                elif "action" in obj:
                    if "user" in path.name and obj["reason"] in COMPLIANCE_STATUS:
                        when = time(obj.get("redacted_at") or obj["created_at"])
                        self.status.add((obj["id"], COMPLIANCE_STATUS[obj["reason"]], when))
                elif "text" in obj:
                    self.flat_tweet(obj, obj.get("__twarc", {}).get("retrieved_at"))

    def user(self, u: dict[str, Any], retrieved: str | None) -> None:
        self.users.add(u["id"])
        if retrieved and u.get("public_metrics"):
            self.snapshots.add((u["id"], time(retrieved)))

    def page(self, obj: dict[str, Any]) -> None:
        retrieved = obj.get("__twarc", {}).get("retrieved_at")
        data = obj.get("data", [])
        data = data if isinstance(data, list) else [data]
        includes = obj.get("includes", {})
        tweets = [t for t in data if "text" in t] + includes.get("tweets", [])
        authors = {t["id"]: t.get("author_id") for t in includes.get("tweets", [])}
        for t in tweets:
            self.tweets.setdefault(t["id"], t)
            for ref in t.get("referenced_tweets", []):
                if ref["type"] == "retweeted" and authors.get(ref["id"]):
                    self.repost_edges.add((t["author_id"], authors[ref["id"]], t["id"]))
        for u in [u for u in data if "username" in u] + includes.get("users", []):
            self.user(u, retrieved)
        self.media.update(m["media_key"] for m in includes.get("media", []))
        names = {u["username"].lower(): u["id"] for u in includes.get("users", [])}
        for t in tweets:
            for m in t.get("entities", {}).get("mentions", []):
                if "id" in m:
                    names.setdefault(m["username"].lower(), m["id"])
        for e in obj.get("errors", []):
            if e.get("resource_type") != "user":
                continue
            if "suspended" in e["detail"].lower():
                status = "suspended"
            elif e["title"] == "Not Found Error" and "username" not in e["parameter"]:
                status = "deleted"
            else:
                continue
            if "username" in e["parameter"]:
                uid = names.get(e["resource_id"].lower())
            else:
                uid = e["resource_id"]
            if uid and retrieved:
                self.status.add((uid, status, time(retrieved)))

    def flat_tweet(self, t: dict[str, Any], retrieved: str | None) -> None:
        self.tweets.setdefault(t["id"], t)
        for key in ("author", "in_reply_to_user"):
            if t.get(key, {}).get("username"):
                self.user(t[key], retrieved)
        for m in t.get("entities", {}).get("mentions", []):
            if "name" in m:
                self.user(m, retrieved)
        for m in t.get("attachments", {}).get("media", []):
            if m.get("media_key"):
                self.media.add(m["media_key"])
        for ref in t.get("referenced_tweets", []):
            if ref["type"] == "retweeted" and ref.get("author_id"):
                self.repost_edges.add((t["author_id"], ref["author_id"], t["id"]))
            if "text" in ref:
                self.flat_tweet(ref, retrieved)

    def kind(self, t: dict[str, Any]) -> str:
        types = {r["type"] for r in t.get("referenced_tweets", [])}
        for ref_type, kind in (
            ("retweeted", "repost"),
            ("quoted", "quote"),
            ("replied_to", "reply"),
        ):
            if ref_type in types:
                return kind
        return "post"


@pytest.fixture(scope="module")
def expected() -> Expected:
    return Expected(fixture_files())


@pytest.fixture(scope="module")
def loaded(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[DuckDBStore, dict[str, IngestSummary]]]:
    """Every fixture file ingested, in name order, into one workspace."""
    store = DuckDBStore(tmp_path_factory.mktemp("x-v2") / "ws")
    summaries = {p.name: ingest_file(store, p, fmt="x-v2") for p in fixture_files()}
    yield store, summaries
    store.close()


def column(store: DuckDBStore, sql: str) -> set[Any]:
    return {row[0] for row in store.query(sql)}


def records(path: Path, adapter: TwitterV2Adapter | None = None) -> list[RawRecord]:
    return list((adapter or TwitterV2Adapter()).records(path, "test"))


def items(path: Path, cls: type) -> list[Any]:
    return [i for r in records(path) for i in r.items if isinstance(i, cls)]


# -- whole fixture directory through the pipeline -------------------------------------
def test_every_file_ingests_with_one_raw_record_per_nonblank_line(
    loaded: tuple[DuckDBStore, dict[str, IngestSummary]], expected: Expected
) -> None:
    _, summaries = loaded
    assert set(summaries) == set(expected.lines)
    for name, summary in summaries.items():
        assert summary.records == expected.lines[name], name
        assert summary.quarantined == len(expected.bad_lines.get(name, [])), name


def test_distinct_tweets_and_users(
    loaded: tuple[DuckDBStore, dict[str, IngestSummary]], expected: Expected
) -> None:
    store, _ = loaded
    assert len(expected.tweets) > 1000  # the fixtures are what this test thinks they are
    assert column(store, "SELECT native_id FROM posts") == set(expected.tweets)
    status_ids = {s[0] for s in expected.status}
    assert column(store, "SELECT native_id FROM accounts") == expected.users | status_ids
    snapshots = set(store.query("SELECT account_id, observed_at FROM snapshots"))
    assert snapshots == expected.snapshots
    assert column(store, "SELECT native_id FROM media") == expected.media


def test_clients_languages_and_kinds(
    loaded: tuple[DuckDBStore, dict[str, IngestSummary]], expected: Expected
) -> None:
    store, _ = loaded
    tweets = expected.tweets.values()
    sources = Counter(t["source"] for t in tweets if t.get("source"))
    assert len(sources) > 3
    # the enrichment stage may normalise client names, never drop them
    assert store.query("SELECT count(client) FROM posts")[0][0] == sum(sources.values())
    langs = Counter(t["lang"] for t in tweets if "lang" in t)
    stored_langs = store.query(
        "SELECT lang_platform, count(*) FROM posts WHERE lang_platform IS NOT NULL GROUP BY 1"
    )
    assert dict(stored_langs) == dict(langs)
    kinds = Counter(expected.kind(t) for t in tweets)
    assert kinds["repost"] > 100
    assert dict(store.query("SELECT kind, count(*) FROM posts GROUP BY 1")) == dict(kinds)


def test_clients_are_the_source_values(expected: Expected) -> None:
    stored = Counter()
    seen: set[str] = set()
    for path in fixture_files():
        for post in items(path, Post):
            if post.native_id not in seen:
                seen.add(post.native_id)
                stored[post.client] += 1
    sources = Counter(t.get("source") for t in expected.tweets.values())
    assert stored == sources


def test_edges_from_replies_and_reposts(
    loaded: tuple[DuckDBStore, dict[str, IngestSummary]], expected: Expected
) -> None:
    store, _ = loaded
    replies = {
        (t["author_id"], t["in_reply_to_user_id"], tid)
        for tid, t in expected.tweets.items()
        if t.get("author_id") and t.get("in_reply_to_user_id")
    }
    assert replies
    stored = set(store.query("SELECT src_id, dst_id, post_id FROM edges WHERE kind = 'replies'"))
    assert stored == replies
    reposts = set(store.query("SELECT src_id, dst_id, post_id FROM edges WHERE kind = 'reposts'"))
    assert expected.repost_edges and reposts == expected.repost_edges


def test_status_events_from_errors_and_user_compliance(
    loaded: tuple[DuckDBStore, dict[str, IngestSummary]], expected: Expected
) -> None:
    store, _ = loaded
    assert any(s[1] == "suspended" for s in expected.status)  # the fixtures have one
    stored = set(store.query("SELECT account_id, status, observed_at FROM status_events"))
    assert stored == expected.status
    suspended = next(s[0] for s in sorted(expected.status) if s[1] == "suspended")
    rows = store.query("SELECT status FROM accounts WHERE native_id = ?", [suspended])
    assert rows == [("suspended",)]


def test_withheld_countries(
    loaded: tuple[DuckDBStore, dict[str, IngestSummary]], expected: Expected
) -> None:
    store, _ = loaded
    withheld = {
        tid: t["withheld"]["country_codes"]
        for tid, t in expected.tweets.items()
        if t.get("withheld", {}).get("country_codes")
    }
    assert withheld
    stored = dict(
        store.query("SELECT native_id, withheld_in FROM posts WHERE len(withheld_in) > 0")
    )
    assert stored == withheld


def test_malformed_line_is_quarantined_with_its_line_number(
    loaded: tuple[DuckDBStore, dict[str, IngestSummary]], expected: Expected
) -> None:
    store, summaries = loaded
    name = "streaming_output_with_error.jsonl"
    bad = expected.bad_lines[name]
    assert bad  # the fixture does have a malformed line
    source = summaries[name].source_id
    rows = store.query("SELECT line_no, reason FROM quarantine WHERE source_id = ?", [source])
    assert [r[0] for r in rows] == bad
    assert "invalid JSON" in rows[0][1]
    assert [ln for ln, _ in summaries[name].problems] == bad
    # the good lines around it still landed
    assert summaries[name].records == expected.lines[name]


def test_empty_file_gives_no_records(
    loaded: tuple[DuckDBStore, dict[str, IngestSummary]],
) -> None:
    store, summaries = loaded
    path = shared_file(f"{FIXTURES}/empty.json")
    assert records(path) == []
    summary = summaries["empty.json"]
    assert (summary.records, summary.quarantined) == (0, 0)
    rows = store.query("SELECT count(*) FROM raw_records WHERE source_id = ?", [summary.source_id])
    assert rows == [(0,)]


def test_reingesting_changes_no_table(
    loaded: tuple[DuckDBStore, dict[str, IngestSummary]],
) -> None:
    store, _ = loaded
    before = store.counts()
    for path in fixture_files():
        assert ingest_file(store, path, fmt="x-v2").already_complete
    assert store.counts() == before


# -- single files ---------------------------------------------------------------------
def test_edit_history_keeps_both_versions_and_the_latest_is_current(
    store: DuckDBStore,
) -> None:
    histories = []
    for name in ("edited_before.jsonl", "edited_after.jsonl"):
        path = shared_file(f"{FIXTURES}/{name}")
        ingest_file(store, path, fmt="x-v2")
        for _, obj in json_lines(path):
            histories += [t["edit_history_tweet_ids"] for t in obj["data"]]
    history = max(histories, key=len)
    assert len(history) >= 2
    rows = store.query(
        "SELECT native_id, edit_seq FROM posts WHERE edit_root_id = ? ORDER BY edit_seq",
        [history[0]],
    )
    assert rows == [(tid, seq) for seq, tid in enumerate(history)]
    current = store.query(
        "SELECT native_id FROM current_posts WHERE edit_root_id = ?", [history[0]]
    )
    assert current == [(history[-1],)]


def test_tweet_compliance_maps_to_nothing_and_blank_lines_have_no_number() -> None:
    path = shared_file(f"{FIXTURES}/tweets_compliance.jsonl")
    raws = records(path)
    non_blank = [n for n, _ in json_lines(path)]
    assert [(r.record_no, r.line_no) for r in raws] == list(enumerate(non_blank))
    assert all(r.items == [] and r.error is None for r in raws)
    # told that the ids are users, the same lines are status events
    events = [i for r in records(path, TwitterV2Adapter(compliance="users")) for i in r.items]
    wanted = {
        (o["id"], COMPLIANCE_STATUS[o["reason"]], time(o.get("redacted_at") or o["created_at"]))
        for _, o in json_lines(path)
    }
    assert {(e.account_id, e.status.value, e.observed_at) for e in events} == wanted


def test_user_compliance_gives_status_events() -> None:
    path = shared_file(f"{FIXTURES}/users_compliance.jsonl")
    events = items(path, StatusEvent)
    lines = [o for _, o in json_lines(path)]
    assert [(e.account_id, e.status.value) for e in events] == [
        (o["id"], COMPLIANCE_STATUS[o["reason"]]) for o in lines
    ]
    # told that the ids are tweets, nothing
    assert not [i for r in records(path, TwitterV2Adapter(compliance="tweets")) for i in r.items]


def test_unknown_compliance_option_is_refused() -> None:
    with pytest.raises(ConfigError):
        TwitterV2Adapter(compliance="posts")


def test_entities_map_exactly() -> None:
    checked = 0
    for name in (
        "many_urls.jsonl",
        "entities_test.jsonl",
        "cashtags.jsonl",
        "mentions_tweet.jsonl",
    ):
        path = shared_file(f"{FIXTURES}/{name}")
        posts = {p.native_id: p for p in items(path, Post)}
        for _, obj in json_lines(path):
            for t in obj["data"] + obj["includes"].get("tweets", []):
                ent = t.get("entities", {})
                urls = [
                    u.get("unwound_url") or u.get("expanded_url") or u["url"]
                    for u in ent.get("urls", [])
                ]
                tags = [h["tag"] for h in ent.get("hashtags", [])]
                names = [m["username"] for m in ent.get("mentions", [])]
                post = posts[t["id"]]
                assert post.urls == tuple(dict.fromkeys(urls))
                assert post.hashtags == tuple(dict.fromkeys(tags))
                assert post.mentions == tuple(dict.fromkeys(names))
                checked += bool(urls or tags or names)
    assert checked > 100


def test_entities_survive_the_pipeline(store: DuckDBStore) -> None:
    path = shared_file(f"{FIXTURES}/many_urls.jsonl")
    ingest_file(store, path, fmt="x-v2")
    for _, obj in json_lines(path):
        for t in obj["data"]:
            ent = t.get("entities", {})
            urls = {u.get("unwound_url") or u.get("expanded_url") or u["url"] for u in ent["urls"]}
            stored = store.query("SELECT urls FROM posts WHERE native_id = ?", [t["id"]])[0][0]
            assert urls and urls <= set(stored)  # enrichment may add, never drop


def test_places_and_coordinates() -> None:
    checked = 0
    for name in ("geo_tweets.jsonl", "streaming_output_with_error.jsonl"):
        path = shared_file(f"{FIXTURES}/{name}")
        posts = {p.native_id: p for p in items(path, Post)}
        for _, obj in json_lines(path):
            if obj is None:
                continue
            places = {p["id"]: p for p in obj["includes"].get("places", [])}
            data = obj["data"] if isinstance(obj["data"], list) else [obj["data"]]
            for t in data:
                geo = t.get("geo")
                if not geo:
                    continue
                post = posts[t["id"]]
                place = places.get(geo.get("place_id"), {})
                assert (post.place_name, post.country_code) == (
                    place.get("full_name"),
                    place.get("country_code"),
                )
                if "coordinates" in geo:
                    lon, lat = geo["coordinates"]["coordinates"]
                    assert (post.lon, post.lat) == (lon, lat)
                checked += 1
    assert checked >= 3


def test_media_belong_to_the_tweet_that_shows_them() -> None:
    checked = 0
    for name in ("media_tweet.jsonl", "media_policy_violation_on.jsonl"):
        path = shared_file(f"{FIXTURES}/{name}")
        media = {m.native_id: m for m in items(path, Media)}
        for _, obj in json_lines(path):
            tweets = obj["data"] + obj["includes"].get("tweets", [])
            originals = {
                key: t["id"]
                for t in reversed(tweets)
                if not any(r["type"] == "retweeted" for r in t.get("referenced_tweets", []))
                for key in t.get("attachments", {}).get("media_keys", [])
            }
            for m in obj["includes"]["media"]:
                got = media[m["media_key"]]
                assert got.kind == m["type"]
                assert got.url == (m.get("url") or m.get("preview_image_url"))
                if m["media_key"] in originals:
                    assert got.post_id == originals[m["media_key"]]
                    checked += 1
    assert checked > 5


def test_users_lookup_page_maps_users_and_deleted_status() -> None:
    path = shared_file(f"{FIXTURES}/users.jsonl")
    ((_, obj),) = list(json_lines(path))
    accounts = {a.native_id: a for a in items(path, Account)}
    for u in obj["data"]:
        a = accounts[u["id"]]
        assert (a.handle, a.display_name, a.followers, a.posts_count) == (
            u["username"],
            u["name"],
            u["public_metrics"]["followers_count"],
            u["public_metrics"]["tweet_count"],
        )
        assert a.observed_at == time(obj["__twarc"]["retrieved_at"])
    missing = {e["resource_id"] for e in obj["errors"] if e["resource_type"] == "user"}
    deleted = {(e.account_id, e.status) for e in items(path, StatusEvent)}
    assert missing and deleted == {(uid, AccountStatus.DELETED) for uid in missing}


def flat_media_keys(t: dict[str, Any]) -> Iterator[str]:
    """Media keys a flattened tweet shows inline, its referenced tweets' included."""
    for m in t.get("attachments", {}).get("media", []):
        if m.get("media_key"):
            yield m["media_key"]
    for ref in t.get("referenced_tweets", []):
        yield from flat_media_keys(ref)


def test_flattened_tweets_bring_their_authors_and_references() -> None:
    path = shared_file(f"{FIXTURES}/flat.jsonl")
    assert any(list(flat_media_keys(obj)) for _, obj in json_lines(path))
    for raw in records(path):
        obj = json.loads(raw.raw)
        posts = {p.native_id: p for p in raw.items if isinstance(p, Post)}
        accounts = {a.native_id for a in raw.items if isinstance(a, Account)}
        assert obj["id"] in posts
        assert obj["author"]["id"] in accounts
        for ref in obj.get("referenced_tweets", []):
            if "text" in ref:
                assert posts[ref["id"]].account_id == ref["author_id"]
        media = {m.native_id for m in raw.items if isinstance(m, Media)}
        assert media == set(flat_media_keys(obj))
        edges = {(e.kind, e.dst_id) for e in raw.items if isinstance(e, Edge)}
        if posts[obj["id"]].kind.value != "repost":
            for m in obj.get("entities", {}).get("mentions", []):
                if "id" in m:
                    assert (EdgeKind.MENTIONS, m["id"]) in edges


def _error(parameter: str, resource: str, title: str, detail: str, kind: str = "user") -> dict:
    return {
        "parameter": parameter,
        "resource_id": resource,
        "value": resource,
        "title": title,
        "detail": detail,
        "resource_type": kind,
    }


@pytest.mark.parametrize(
    ("error", "status"),
    [
        # a suspended mentioned user, named by username: its id comes from the mention
        (
            _error(
                "entities.mentions.username",
                "Tulip_Fan",
                "Forbidden",
                "User has been suspended: [Tulip_Fan].",
            ),
            ("55", AccountStatus.SUSPENDED),
        ),
        # a suspended user named by id
        (
            _error("in_reply_to_user_id", "66", "Forbidden", "User has been suspended: [66]."),
            ("66", AccountStatus.SUSPENDED),
        ),
        # a user id that is not found: deleted
        (
            _error("ids", "77", "Not Found Error", "Could not find user with ids: [77]."),
            ("77", AccountStatus.DELETED),
        ),
        # a username that is not found may only have been renamed: nothing
        (
            _error(
                "entities.mentions.username",
                "tulip_fan",
                "Not Found Error",
                "Could not find user with usernames: [tulip_fan].",
            ),
            None,
        ),
        # a suspended username nothing in the line resolves: nothing
        (
            _error(
                "entities.mentions.username",
                "nobody",
                "Forbidden",
                "User has been suspended: [nobody].",
            ),
            None,
        ),
        # a missing pinned tweet is not an account status
        (
            _error(
                "pinned_tweet_id",
                "88",
                "Not Found Error",
                "Could not find tweet with pinned_tweet_id: [88].",
                "tweet",
            ),
            None,
        ),
    ],
)
def test_user_errors_become_status_events(
    tmp_path: Path, error: dict, status: tuple[str, AccountStatus] | None
) -> None:
    tweet = {
        "id": "9",
        "author_id": "1",
        "text": "@Tulip_Fan hello",
        "entities": {"mentions": [{"start": 0, "end": 10, "username": "Tulip_Fan", "id": "55"}]},
    }
    page = {
        "data": [tweet],
        "errors": [error],
        "__twarc": {"retrieved_at": "2024-02-01T12:00:00+00:00"},
    }
    path = tmp_path / "page.jsonl"
    path.write_bytes(json.dumps(page).encode() + b"\n")
    (raw,) = records(path)
    events = [(e.account_id, e.status) for e in raw.items if isinstance(e, StatusEvent)]
    assert events == ([status] if status else [])
    for e in raw.items:
        if isinstance(e, StatusEvent):
            assert e.evidence == error["detail"]
            assert e.observed_at == datetime(2024, 2, 1, 12, tzinfo=UTC)
    # without retrieved_at there is no time to date a status by
    del page["__twarc"]
    path.write_bytes(json.dumps(page).encode() + b"\n")
    assert not [e for r in records(path) for e in r.items if isinstance(e, StatusEvent)]


@pytest.mark.parametrize(
    ("url", "edges"),
    [
        # who follows 500: each listed user -> 500
        (
            "https://api.twitter.com/2/users/500/followers?max_results=1000",
            {("11", "500"), ("12", "500")},
        ),
        # whom 500 follows: 500 -> each listed user
        ("https://api.twitter.com/2/users/500/following", {("500", "11"), ("500", "12")}),
        # a users lookup: no follows
        ("https://api.twitter.com/2/users?ids=11%2C12", set()),
        # list members: no follows
        ("https://api.twitter.com/2/lists/9/members", set()),
    ],
)
def test_follower_pages_give_follows_edges(
    tmp_path: Path, url: str, edges: set[tuple[str, str]]
) -> None:
    users = [{"id": uid, "username": f"u{uid}", "name": "U"} for uid in ("11", "12")]
    page = {"data": users, "meta": {"result_count": 2}, "__twarc": {"url": url}}
    path = tmp_path / "followers.jsonl"
    path.write_bytes(json.dumps(page).encode() + b"\n")
    (raw,) = records(path)
    follows = [e for e in raw.items if isinstance(e, Edge)]
    assert {(e.src_id, e.dst_id) for e in follows} == edges
    assert all(e.kind == EdgeKind.FOLLOWS and e.post_id == "" for e in follows)
    assert {a.native_id for a in raw.items if isinstance(a, Account)} == {"11", "12"}


# -- sniffing -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("head", "low", "high"),
    [
        # a twarc2 page whose first line is longer than the sniffed head: data first
        (b'{"data": [{"author_id": "1", "id": "2", "text": "hi", "edit_his', 0.9, 1.0),
        # a compact streaming line with includes
        (
            b'{"data":{"id":"2","text":"hi"},"includes":{"users":[]},"matching_rules":[]}\n',
            0.9,
            1.0,
        ),
        # a users lookup page
        (b'{"data": [{"id": "1", "username": "a", "name": "A"}], "__twarc": {}}\n', 0.9, 1.0),
        # a flattened tweet
        (
            b'{"id": "2", "author_id": "1", "text": "x", "author": {"id": "1"}, "__twarc": {}}\n',
            0.85,
            1.0,
        ),
        # a compliance line: plausible, not certain
        (
            b'{"id":"1","action":"delete","created_at":"2021-01-01T00:00:00.000Z","reason":"deleted"}\n',
            0.3,
            0.8,
        ),
        # a UTF-8 BOM and blank lines before a page
        (
            b'\xef\xbb\xbf\n\n{"data": [{"id": "2", "author_id": "1", "text": "x"}], "includes": {}}',
            0.9,
            1.0,
        ),
        # a v1.1 tweet: never ours
        (
            b'{"created_at": "Wed Oct 10 20:19:24 +0000 2018", "id": 1, "id_str": "1", "user": {}}\n',
            0.0,
            0.0,
        ),
        # a v1.1 tweet with a "data"-like prefix is still v1.1
        (b'{"data": 1, "id_str": "1", "user": {"id_str": "2"}}\n', 0.0, 0.0),
        # marsad JSONL
        (b'{"type": "post", "platform": "x", "native_id": "1", "author_id": "2"}\n', 0.0, 0.0),
        # a pretty-printed Telegram export
        (
            b'{\n "name": "channel",\n "type": "public_channel",\n "id": 1,\n "messages": [\n',
            0.0,
            0.0,
        ),
        # a compact Telegram export with a service message
        (
            b'{"name":"c","type":"public_channel","id":1,"messages":[{"id":1,"action":"delete"}]}',
            0.0,
            0.0,
        ),
        # CSV
        (b"id,text,author_id\n1,hello,2\n", 0.0, 0.0),
        # an empty file
        (b"", 0.0, 0.1),
    ],
)
def test_sniff(head: bytes, low: float, high: float) -> None:
    assert low <= TwitterV2Adapter.sniff(Path("x.jsonl"), head) <= high


@pytest.mark.parametrize(
    ("relative", "low"),
    [
        ("fixtures/x_api_v2_twarc/noflat.jsonl", 0.9),  # a search page
        ("fixtures/x_api_v2_twarc/flat.jsonl", 0.85),  # flattened tweets
        ("fixtures/x_api_v2_twarc/streaming_output_with_error.jsonl", 0.9),  # stream
        ("fixtures/x_api_v2_twarc/users.jsonl", 0.9),  # users lookup
        ("fixtures/x_api_v1_isis_hashtags_2017/TT-TEST.jsonl.gz", -1.0),  # v1.1: zero
        ("fixtures/telegram_desktop_export_2020/tests/result.json", -1.0),  # Telegram: zero
    ],
)
def test_sniff_real_files(relative: str, low: float) -> None:
    path = shared_file(relative)
    score = TwitterV2Adapter.sniff(path, read_head(path))
    if low < 0:
        assert score == 0.0
    else:
        assert score >= low


# -- bad input --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "error"),
    [
        # not JSON at all
        (b'{"data": [', "invalid JSON"),
        # JSON but not an object
        (b"[1, 2, 3]", "expected a JSON object"),
        # an object of some other format
        (b'{"foo": 1}', "not an X API v2"),
        # a tweet whose time is not a time
        (b'{"data": [{"id": "1", "text": "a", "created_at": "yesterday"}]}', "ValueError"),
        # includes that is not an object
        (b'{"data": [], "includes": [1]}', "AttributeError"),
        # an object where a tweet's entities should be
        (b'{"id": "1", "text": "a", "entities": {"hashtags": [1]}}', "AttributeError"),
    ],
)
def test_bad_lines_are_errors_and_the_rest_still_maps(
    tmp_path: Path, line: bytes, error: str
) -> None:
    good = b'{"id": "7", "text": "fine", "author_id": "3"}'
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(good + b"\n\n" + line + b"\n" + good.replace(b'"7"', b'"8"') + b"\n")
    raws = records(path)
    assert [(r.record_no, r.line_no) for r in raws] == [(0, 1), (1, 3), (2, 4)]
    assert raws[1].error is not None and error in raws[1].error and raws[1].items == []
    assert [p.native_id for r in (raws[0], raws[2]) for p in r.items] == ["7", "8"]


def test_odd_types_never_reach_the_model(tmp_path: Path) -> None:
    line = {
        "id": 7,  # a number where X gives a string
        "text": 5,
        "author_id": "3",
        "lang": ["en"],  # a list where a string belongs: dropped
        "public_metrics": [1],  # not an object: no metrics
        "author": {"id": "3", "username": "u", "public_metrics": {"followers_count": "9"}},
    }
    path = tmp_path / "odd.jsonl"
    path.write_bytes(json.dumps(line).encode() + b"\n")
    (raw,) = records(path)
    post = next(i for i in raw.items if isinstance(i, Post))
    account = next(i for i in raw.items if isinstance(i, Account))
    assert (post.native_id, post.text, post.lang_platform, post.metrics) == ("7", "5", None, {})
    assert account.followers is None


def test_resume_skips_records_before_start() -> None:
    path = shared_file(f"{FIXTURES}/streaming_output_with_error.jsonl")
    full = records(path)
    tail = list(TwitterV2Adapter().records(path, "test", start=5))
    assert [(r.record_no, r.line_no, r.error) for r in tail] == [
        (r.record_no, r.line_no, r.error) for r in full[5:]
    ]


# -- shared helpers -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "client"),
    [
        # v2: plain text, kept as it is
        ("Twitter for iPhone", "Twitter for iPhone"),
        # v1.1: an HTML anchor
        (
            '<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>',
            "Twitter for Android",
        ),
        # v1.1 with an entity in the name
        ('<a href="https://example.org" rel="nofollow">Bots &amp; Co</a>', "Bots & Co"),
        # a tag inside the anchor is dropped
        ('<a href="https://example.org"><b>Bold</b> app</a>', "Bold app"),
        # empty or missing
        ("", None),
        (None, None),
    ],
)
def test_client_name(source: str | None, client: str | None) -> None:
    assert client_name(source) == client


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        # v2 created_at
        ("2022-10-03T17:57:01.000Z", datetime(2022, 10, 3, 17, 57, 1, tzinfo=UTC)),
        # twarc retrieved_at
        ("2022-10-03T18:00:57+00:00", datetime(2022, 10, 3, 18, 0, 57, tzinfo=UTC)),
        # an offset is converted to UTC
        ("2013-06-04T18:25:04+02:00", datetime(2013, 6, 4, 16, 25, 4, tzinfo=UTC)),
        # no offset: read as UTC
        ("2021-01-01T00:00:00", datetime(2021, 1, 1, tzinfo=UTC)),
        # v1.1 created_at
        ("Wed Oct 10 20:19:24 +0000 2018", datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)),
        # v1.1 with an offset
        ("Wed Oct 10 20:19:24 -0130 2018", datetime(2018, 10, 10, 21, 49, 24, tzinfo=UTC)),
        # missing
        (None, None),
        ("", None),
    ],
)
def test_parse_x_time(value: str | None, parsed: datetime | None) -> None:
    assert parse_x_time(value) == parsed
    if parsed is not None:
        assert parse_x_time(value).utcoffset() == parsed.utcoffset()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",  # words
        "Wed Foo 10 20:19:24 +0000 2018",  # no such month
        1538165964,  # epoch seconds: not an X time
    ],
)
def test_parse_x_time_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        parse_x_time(value)
