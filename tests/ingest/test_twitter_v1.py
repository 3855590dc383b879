"""X API v1.1 adapter: mapping of synthetic tweets, bad lines, sniffing, and the real 2017 fixture.

The real fixture holds propaganda text: these tests count and compare, they
never print or copy a tweet's text.
"""

from __future__ import annotations

import copy
import gzip
import html
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from marsad.ingest.base import RawRecord, read_head
from marsad.ingest.twitter_v1 import TwitterV1Adapter, client_from_source, parse_v1_time
from marsad.model import Account, Edge, EdgeKind, Media, Post, PostKind, Snapshot
from marsad.pipeline import ingest_file
from marsad.store.duckdb import DuckDBStore
from tests.conftest import shared_file

FIXTURE = "fixtures/x_api_v1_isis_hashtags_2017/TT-TEST.jsonl.gz"
ANDROID = '<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>'
T0 = "Wed Oct 10 20:19:24 +0000 2018"
T0_DT = datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)


def _user(uid: str = "100", handle: str = "alpha", **extra: Any) -> dict[str, Any]:
    return {
        "id_str": uid,
        "screen_name": handle,
        "name": handle.title(),
        "followers_count": 10,
        "friends_count": 3,
        "statuses_count": 42,
        "listed_count": 1,
        **extra,
    }


def _tweet(tid: str = "1", user: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id_str": tid,
        "created_at": T0,
        "text": "weather update 1",
        "lang": "en",
        "source": ANDROID,
        "user": user or _user(),
        **extra,
    }


def _records(tmp_path: Path, *lines: bytes, name: str = "t.jsonl") -> list[RawRecord]:
    path = tmp_path / name
    path.write_bytes(b"\n".join(lines) + b"\n")
    return list(TwitterV1Adapter().records(path, "src"))


def _items(tmp_path: Path, tweet: dict[str, Any]) -> list[Any]:
    (rec,) = _records(tmp_path, json.dumps(tweet).encode())
    assert rec.error is None, rec.error
    return rec.items


def _post(items: list[Any], native_id: str) -> Post:
    (post,) = [i for i in items if isinstance(i, Post) and i.native_id == native_id]
    return post


# -- helpers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (ANDROID, "Twitter for Android"),  # the usual HTML anchor
        ('<a href="x" rel="nofollow">Tweet&amp;Co</a>', "Tweet&Co"),  # entities unescaped
        ('<A HREF="x">  Spaced  </A>', "Spaced"),  # tag case and padding
        ('<a href="x"><b>Bold</b> App</a>', "Bold App"),  # stray tags inside the anchor
        ("web", "web"),  # plain text (old tweets) kept
        ("", None),  # empty
        (None, None),  # absent
        ('<a href="x"></a>', None),  # an anchor with no name
    ],
)
def test_client_from_source(source: str | None, expected: str | None) -> None:
    assert client_from_source(source) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (T0, T0_DT),  # UTC, as X writes it
        ("Thu Jan 01 01:30:00 +0130 2015", datetime(2015, 1, 1, 0, 0, tzinfo=UTC)),  # offset
        ("Sun Feb 29 23:59:59 -0500 2004", datetime(2004, 3, 1, 4, 59, 59, tzinfo=UTC)),  # leap
        (None, None),  # absent
        ("", None),  # empty
    ],
)
def test_parse_v1_time(value: str | None, expected: datetime | None) -> None:
    assert parse_v1_time(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2018-10-10T20:19:24Z",  # ISO is not the v1.1 format
        "Wed Foo 10 20:19:24 +0000 2018",  # unknown month
        "Wed Oct 32 20:19:24 +0000 2018",  # impossible day
        12345,  # not a string
    ],
)
def test_parse_v1_time_rejects(value: Any) -> None:
    with pytest.raises(ValueError):
        parse_v1_time(value)


# -- mapping -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        # a plain tweet: text, language as the platform says, client name
        ({}, {"text": "weather update 1", "kind": PostKind.POST, "lang_platform": "en"}),
        # full_text (tweet_mode=extended) wins over text
        ({"full_text": "weather update 1 in full"}, {"text": "weather update 1 in full"}),
        # extended_tweet.full_text (streams) wins over both
        (
            {"full_text": "b", "extended_tweet": {"full_text": "weather update 1 long"}},
            {"text": "weather update 1 long"},
        ),
        # a reply names the post and account replied to
        (
            {"in_reply_to_status_id_str": "9", "in_reply_to_user_id_str": "900"},
            {"kind": PostKind.REPLY, "reply_to_id": "9", "reply_to_account_id": "900"},
        ),
        # is_quote_status with only the id of the quoted tweet
        (
            {"is_quote_status": True, "quoted_status_id_str": "7"},
            {"kind": PostKind.QUOTE, "quote_of_id": "7"},
        ),
        # GeoJSON coordinates are [lon, lat]
        (
            {"coordinates": {"type": "Point", "coordinates": [-0.1, 51.5]}},
            {"lat": 51.5, "lon": -0.1},
        ),
        # the deprecated geo field is [lat, lon]
        ({"geo": {"type": "Point", "coordinates": [48.8, 2.3]}}, {"lat": 48.8, "lon": 2.3}),
        # place: full name and country code
        (
            {"place": {"full_name": "Springfield, XY", "country_code": "XY"}},
            {"place_name": "Springfield, XY", "country_code": "XY"},
        ),
        # counts land in metrics under their v1.1 names; withheld countries kept
        (
            {"retweet_count": 3, "favorite_count": 5, "withheld_in_countries": ["DE", "FR"]},
            {"metrics": {"retweet_count": 3, "favorite_count": 5}, "withheld_in": ("DE", "FR")},
        ),
        # entities of the tweet and of extended_tweet, de-duplicated; expanded URLs preferred
        (
            {
                "entities": {
                    "hashtags": [{"text": "sunny"}],
                    "user_mentions": [{"screen_name": "beta", "id_str": "200"}],
                    "urls": [{"url": "https://t.co/a", "expanded_url": "https://example.org/a"}],
                },
                "extended_tweet": {
                    "full_text": "weather update 1 #sunny #rain",
                    "entities": {
                        "hashtags": [{"text": "sunny"}, {"text": "rain"}],
                        "urls": [{"url": "https://t.co/b"}],
                    },
                },
            },
            {
                "hashtags": ("sunny", "rain"),
                "mentions": ("beta",),
                "urls": ("https://example.org/a", "https://t.co/b"),
            },
        ),
    ],
)
def test_post_fields(tmp_path: Path, extra: dict[str, Any], expected: dict[str, Any]) -> None:
    post = _post(_items(tmp_path, _tweet(**extra)), "1")
    assert post.account_id == "100"
    assert post.created_at == T0_DT
    assert post.client == "Twitter for Android"
    for name, value in expected.items():
        assert getattr(post, name) == value, name


def test_user_becomes_account_and_snapshot(tmp_path: Path) -> None:
    user = _user(
        description="forecasts",
        location="Springfield",
        url="https://t.co/u",
        entities={"url": {"urls": [{"expanded_url": "https://example.org"}]}},
        lang="en",
        created_at="Mon Jan 01 00:00:00 +0000 2018",
        profile_image_url_https="https://img.example/a.jpg",
        verified=False,
        protected=True,
    )
    items = _items(tmp_path, _tweet(user=user))
    (account,) = [i for i in items if isinstance(i, Account)]
    assert account == Account(
        platform="x",
        native_id="100",
        handle="alpha",
        display_name="Alpha",
        bio="forecasts",
        location="Springfield",
        url="https://example.org",  # the expanded profile URL, not t.co
        lang="en",
        created_at=datetime(2018, 1, 1, tzinfo=UTC),
        observed_at=T0_DT,
        followers=10,
        following=3,
        posts_count=42,
        avatar_url="https://img.example/a.jpg",
        is_verified=False,
        is_protected=True,
        provenance=account.provenance,
    )
    (snap,) = [i for i in items if isinstance(i, Snapshot)]
    assert (snap.account_id, snap.observed_at, snap.followers, snap.following) == (
        "100",
        T0_DT,
        10,
        3,
    )
    assert (snap.posts_count, snap.listed) == (42, 1)


def test_retweet_emits_original_and_repost_edge(tmp_path: Path) -> None:
    original = _tweet(
        "1",
        _user("100", "alpha"),
        created_at="Wed Oct 10 10:00:00 +0000 2018",
        entities={"user_mentions": [{"screen_name": "gamma", "id_str": "300"}]},
    )
    retweet = _tweet(
        "2",
        _user("200", "beta"),
        text="RT @alpha: weather update 1",
        retweeted_status=original,
        entities={
            "user_mentions": [
                {"screen_name": "alpha", "id_str": "100"},
                {"screen_name": "gamma", "id_str": "300"},
            ]
        },
    )
    items = _items(tmp_path, retweet)
    rt, orig = _post(items, "2"), _post(items, "1")
    assert (rt.kind, rt.repost_of_id, rt.account_id) == (PostKind.REPOST, "1", "200")
    assert (orig.kind, orig.account_id) == (PostKind.POST, "100")
    assert orig.created_at == datetime(2018, 10, 10, 10, tzinfo=UTC)  # its own time
    edges = {(e.src_id, e.dst_id, e.kind, e.post_id) for e in items if isinstance(e, Edge)}
    assert edges == {
        ("200", "100", EdgeKind.REPOSTS, "2"),
        # the mention is the original author's; the retweet adds no mention edges
        ("100", "300", EdgeKind.MENTIONS, "1"),
    }
    # both users were rendered with the retweet: both observed at its time
    accounts = {a.native_id: a.observed_at for a in items if isinstance(a, Account)}
    assert accounts == {"100": T0_DT, "200": T0_DT}
    assert {(s.account_id, s.observed_at) for s in items if isinstance(s, Snapshot)} == {
        ("100", T0_DT),
        ("200", T0_DT),
    }


def test_quote_reply_and_mentions_edges(tmp_path: Path) -> None:
    quoted = _tweet("1", _user("100", "alpha"))
    tweet = _tweet(
        "3",
        _user("300", "gamma"),
        is_quote_status=True,
        quoted_status_id_str="1",
        quoted_status=quoted,
        in_reply_to_status_id_str="8",
        in_reply_to_user_id_str="800",
        entities={"user_mentions": [{"screen_name": "delta", "id_str": "400"}]},
    )
    items = _items(tmp_path, tweet)
    post = _post(items, "3")
    assert (post.kind, post.quote_of_id, post.reply_to_id) == (PostKind.QUOTE, "1", "8")
    assert _post(items, "1").account_id == "100"
    edges = {(e.src_id, e.dst_id, e.kind) for e in items if isinstance(e, Edge)}
    assert edges == {
        ("300", "100", EdgeKind.QUOTES),
        ("300", "800", EdgeKind.REPLIES),
        ("300", "400", EdgeKind.MENTIONS),
    }


def test_retweet_of_a_quote_emits_all_three(tmp_path: Path) -> None:
    inner = _tweet("1", _user("100", "alpha"))
    quote = _tweet("2", _user("200", "beta"), quoted_status=inner, is_quote_status=True)
    retweet = _tweet("3", _user("300", "gamma"), retweeted_status=quote, quoted_status=inner)
    items = _items(tmp_path, retweet)
    assert sorted(p.native_id for p in items if isinstance(p, Post)) == ["1", "2", "3"]
    assert sorted(a.native_id for a in items if isinstance(a, Account)) == ["100", "200", "300"]
    rt = _post(items, "3")
    assert (rt.kind, rt.repost_of_id, rt.quote_of_id) == (PostKind.REPOST, "2", None)
    assert (_post(items, "2").kind, _post(items, "2").quote_of_id) == (PostKind.QUOTE, "1")
    edges = {(e.src_id, e.dst_id, e.kind) for e in items if isinstance(e, Edge)}
    # the retweeter reposted beta; only beta quoted alpha
    assert edges == {("300", "200", EdgeKind.REPOSTS), ("200", "100", EdgeKind.QUOTES)}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        # extended_entities lists every photo; entities.media only the first
        (
            {
                "entities": {"media": [{"id_str": "m1", "type": "photo"}]},
                "extended_entities": {
                    "media": [
                        {"id_str": "m1", "type": "photo", "media_url_https": "https://i/1.jpg"},
                        {"id_str": "m2", "type": "photo", "media_url_https": "https://i/2.jpg"},
                    ]
                },
            },
            [("m1", "photo", "https://i/1.jpg", None), ("m2", "photo", "https://i/2.jpg", None)],
        ),
        # entities.media alone is used when there is no extended_entities
        (
            {"entities": {"media": [{"id_str": "m3", "type": "photo", "media_url": "http://i/3"}]}},
            [("m3", "photo", "http://i/3", None)],
        ),
        # a video keeps its kind and duration
        (
            {
                "extended_entities": {
                    "media": [
                        {
                            "id_str": "m4",
                            "type": "video",
                            "media_url_https": "https://i/4.jpg",
                            "video_info": {"duration_millis": 1500},
                        }
                    ]
                }
            },
            [("m4", "video", "https://i/4.jpg", 1500)],
        ),
        # no media at all
        ({}, []),
    ],
)
def test_media(tmp_path: Path, extra: dict[str, Any], expected: list[tuple[Any, ...]]) -> None:
    items = _items(tmp_path, _tweet(**extra))
    media = [(m.native_id, m.kind, m.url, m.duration_ms) for m in items if isinstance(m, Media)]
    assert media == expected
    assert all(m.post_id == "1" for m in items if isinstance(m, Media))


# -- bad input and notices -----------------------------------------------------


def test_stream_notices_keep_raw_and_map_to_nothing(tmp_path: Path) -> None:
    delete = b'{"delete": {"status": {"id_str": "5", "user_id_str": "100"}}}'
    limit = b'{"limit": {"track": 3}}'
    records = _records(tmp_path, delete, limit, json.dumps(_tweet()).encode())
    assert [(r.error, len(r.items) > 0) for r in records] == [
        (None, False),
        (None, False),
        (None, True),
    ]
    assert records[0].raw == delete


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"id_str": "5", "user": ', "invalid JSON"),  # truncated line
        (b"[1, 2]", "expected a JSON object"),  # JSON, but not an object
        (b'{"id_str": "5", "text": "weather"}', "no user"),  # not a tweet
        (b'{"id_str": "5", "user": "alpha"}', "no user object"),  # user is not an object
        (  # a time X never writes
            json.dumps(_tweet(created_at="2018-10-10 20:19")).encode(),
            "bad tweet",
        ),
        (  # an id_str-less user object
            json.dumps(_tweet(user={"screen_name": "alpha"})).encode(),
            "has no id_str",
        ),
    ],
)
def test_malformed_line_is_an_error_with_its_line(tmp_path: Path, line: bytes, reason: str) -> None:
    good = json.dumps(_tweet()).encode()
    records = _records(tmp_path, good, b"", line, good.replace(b'"1"', b'"2"', 1))
    assert [(r.record_no, r.line_no) for r in records] == [(0, 1), (1, 3), (2, 4)]
    bad = records[1]
    assert bad.error is not None and reason in bad.error
    assert bad.items == [] and bad.raw == line
    assert records[0].error is None and records[2].error is None


def test_json_array_file(tmp_path: Path) -> None:
    tweets = [_tweet("1"), _tweet("2", _user("200", "beta"), lat_long_ignored=1.5)]
    path = tmp_path / "tweets.json"
    path.write_text(json.dumps(tweets, indent=2))
    records = list(TwitterV1Adapter().records(path, "src"))
    assert [(r.record_no, r.line_no, r.error) for r in records] == [(0, 0, None), (1, 0, None)]
    assert [json.loads(r.raw) for r in records] == tweets  # raw is the item's JSON
    assert [_post(r.items, str(i + 1)).native_id for i, r in enumerate(records)] == ["1", "2"]
    tail = list(TwitterV1Adapter().records(path, "src", start=1))
    assert [r.record_no for r in tail] == [1]


def test_truncated_json_array_keeps_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "tweets.json"
    path.write_text(json.dumps([_tweet("1"), _tweet("2")])[:-40])
    records = list(TwitterV1Adapter().records(path, "src"))
    assert [r.error is None for r in records] == [True, False]
    assert records[1].record_no == 1 and "invalid JSON" in (records[1].error or "")


# -- sniffing ------------------------------------------------------------------

V2_PAGE = b'{"data": [{"id": "1", "text": "hi", "author_id": "2"}], "__twarc": {"version": "2"}}'
V2_FLAT = b'{"id": "1", "text": "hi", "author_id": "2", "author": {"id": "2"}, "__twarc": {}}'


@pytest.mark.parametrize(
    ("head", "expected_min", "expected_max"),
    [
        (json.dumps(_tweet()).encode() + b"\n", 0.9, 1.0),  # a v1.1 JSON line
        (b"\xef\xbb\xbf" + json.dumps(_tweet()).encode(), 0.9, 1.0),  # with a BOM
        (json.dumps([_tweet()], indent=1).encode(), 0.9, 1.0),  # a JSON array of tweets
        (V2_PAGE, 0.0, 0.0),  # twarc2 page of v2 tweets
        (V2_FLAT, 0.0, 0.0),  # twarc2 flattened tweet
        (b'{"type": "post", "platform": "x", "native_id": "1"}\n', 0.0, 0.0),  # marsad JSONL
        (b'{\n "name": "chan",\n "type": "public_channel",\n "messages": []\n}', 0.0, 0.0),
        (b"[1, 2, 3]", 0.0, 0.0),  # a JSON array of something else
        (b"name,username,time,tweets\n", 0.0, 0.0),  # a CSV
        (b"", 0.0, 0.0),  # empty
    ],
)
def test_sniff(head: bytes, expected_min: float, expected_max: float) -> None:
    assert expected_min <= TwitterV1Adapter.sniff(Path("x"), head) <= expected_max


def test_sniff_real_files() -> None:
    v1 = shared_file(FIXTURE)
    assert TwitterV1Adapter.sniff(v1, read_head(v1)) >= 0.9
    v2_dir = shared_file("fixtures/x_api_v2_twarc")
    others = sorted(v2_dir.rglob("*.json*"))
    others.append(shared_file("fixtures/telegram_desktop_export_2020/tests/result.json"))
    assert len(others) > 5
    for path in others:
        assert TwitterV1Adapter.sniff(path, read_head(path)) == 0.0, path.name


# -- the real 2017 fixture -------------------------------------------------------


def _embedded(tweet: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The tweet and every tweet embedded in it (retweeted or quoted), depth first."""
    yield tweet
    for key in ("retweeted_status", "quoted_status"):
        if isinstance(tweet.get(key), dict):
            yield from _embedded(tweet[key])


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DuckDBStore, list[Any]]]:
    path = shared_file(FIXTURE)
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        top = [json.loads(line) for line in fh if line.strip()]
    store = DuckDBStore(tmp_path_factory.mktemp("ws"))
    summary = ingest_file(store, path, fmt="x-v1")
    assert (summary.records, summary.quarantined) == (len(top), 0)
    yield store, top
    store.close()


@pytest.mark.slow  # one ingest of 5,297 tweets, shared by these tests
def test_real_fixture_counts(real: tuple[DuckDBStore, list[Any]]) -> None:
    store, top = real
    assert len(top) == 5297  # as the fixture README says
    assert len({t["user"]["id_str"] for t in top}) == 3541  # ditto: distinct top-level authors

    # every distinct tweet, top-level or embedded; the first copy of an id is stored
    tweets: dict[str, dict[str, Any]] = {}
    for t in top:
        for inner in _embedded(t):
            tweets.setdefault(inner["id_str"], inner)
    counts = store.counts()
    assert counts["posts"] == len(tweets)
    assert len(tweets) > len(top)  # embedded originals not fetched themselves landed too
    assert counts["accounts"] == len({t["user"]["id_str"] for t in tweets.values()})

    # one snapshot per user per top-level tweet time (users are dated by the top-level tweet)
    snaps = {(inner["user"]["id_str"], t["created_at"]) for t in top for inner in _embedded(t)}
    assert counts["snapshots"] == len(snaps)

    reposts = sum("retweeted_status" in t for t in tweets.values())
    assert reposts == sum("retweeted_status" in t for t in top)  # embedded ones are no retweets
    rows = store.query("SELECT kind, count(*) FROM posts GROUP BY kind")
    assert dict(rows)["repost"] == reposts
    repost_edges = store.query("SELECT count(*) FROM edges WHERE kind = 'reposts'")[0][0]
    assert repost_edges == reposts

    media: set[str] = set()
    for t in tweets.values():
        holder = t.get("extended_entities") or t.get("entities") or {}
        media.update(m["id_str"] for m in holder.get("media", []))
    assert counts["media"] == len(media)


@pytest.mark.slow  # one ingest of 5,297 tweets, shared by these tests
def test_real_fixture_clients_and_languages(real: tuple[DuckDBStore, list[Any]]) -> None:
    store, top = real
    tweets: dict[str, dict[str, Any]] = {}
    for t in top:
        for inner in _embedded(t):
            tweets.setdefault(inner["id_str"], inner)
    anchor = re.compile(r">([^<]*)</a>")
    clients: Counter[str | None] = Counter()
    for t in tweets.values():
        m = anchor.search(t.get("source") or "")
        clients[html.unescape(m.group(1)).strip() if m else (t.get("source") or None)] += 1
    stored = dict(store.query("SELECT client, count(*) FROM posts GROUP BY client"))
    top_clients = clients.most_common(5)
    assert top_clients[0][1] > 100
    assert [(name, stored.get(name)) for name, _ in top_clients] == top_clients

    langs = Counter(t["lang"] for t in tweets.values())
    stored_langs = dict(store.query("SELECT lang_platform, count(*) FROM posts GROUP BY 1"))
    assert stored_langs == dict(langs)


@pytest.mark.slow  # one ingest of 5,297 tweets, shared by these tests
def test_real_fixture_reingest_changes_nothing(real: tuple[DuckDBStore, list[Any]]) -> None:
    store, _ = real
    before = store.counts()
    again = ingest_file(store, shared_file(FIXTURE), fmt="x-v1")
    assert again.already_complete
    assert store.counts() == before


def test_reingest_of_a_copy_changes_nothing(tmp_path: Path) -> None:
    """A synthetic file ingested twice under two names: the second adds nothing."""
    tweets = [_tweet("1"), _tweet("2", retweeted_status=copy.deepcopy(_tweet("3")))]
    first = tmp_path / "a.jsonl"
    first.write_text("\n".join(json.dumps(t) for t in tweets) + "\n")
    second = tmp_path / "b.jsonl"
    second.write_text("\n".join(json.dumps(t) for t in reversed(tweets)) + "\n")
    with DuckDBStore(tmp_path / "ws") as store:
        ingest_file(store, first, fmt="x-v1")
        before = {k: v for k, v in store.counts().items() if k not in {"sources", "raw_records"}}
        ingest_file(store, second, fmt="x-v1")
        after = {k: v for k, v in store.counts().items() if k not in {"sources", "raw_records"}}
    assert before == after
    assert before["posts"] == 3
