"""YouTube Data API v3 adapter: synthetic, schema-faithful responses of videos.list,
channels.list and commentThreads.list, saved as one response, an array of responses
and JSON lines; malformed items, observation times, sniffing."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from marsad.errors import UnreadableFile
from marsad.ingest import detect_format
from marsad.ingest.base import read_head
from marsad.ingest.youtube import YouTubeAdapter, _duration_ms
from marsad.model import Post
from marsad.pipeline import ingest_file
from marsad.store.duckdb import DuckDBStore

DATA = Path(__file__).resolve().parents[1] / "data" / "youtube"
VIDEOS = DATA / "videos.json"  # one videoListResponse, pretty-printed
CHANNELS = DATA / "channels.json"  # a JSON array of two channelListResponses
THREADS = DATA / "comment_threads.jsonl"  # a response line, then a bare commentThread line
MALFORMED = DATA / "malformed.jsonl"
ALL = [VIDEOS, CHANNELS, THREADS, MALFORMED]
T = TypeVar("T")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _rows(store: DuckDBStore, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return store.query(sql, params)


def _items(path: Path, cls: type[T]) -> list[T]:
    """The records of type *cls* the adapter maps from *path* (before the text stage)."""
    return [
        item
        for record in YouTubeAdapter().records(path, "src")
        for item in record.items
        if isinstance(item, cls)
    ]


def _thread_lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in THREADS.read_text().splitlines() if line.strip()]


def _threads() -> list[dict[str, Any]]:
    out = []
    for obj in _thread_lines():
        out.extend(obj.get("items", [obj]))
    return out


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    """One workspace holding the three well-formed samples, ingested once."""
    with DuckDBStore(tmp_path_factory.mktemp("ws")) as store:
        for path in (VIDEOS, CHANNELS, THREADS):
            summary = ingest_file(store, path, fmt="youtube")
            assert summary.quarantined == 0, summary.problems
        yield store


# -- videos.list ------------------------------------------------------------------


def test_videos() -> None:
    response = json.loads(VIDEOS.read_text())
    videos = response["items"]
    posts = {p.native_id: p for p in _items(VIDEOS, Post)}
    assert set(posts) == {v["id"] for v in videos}
    names = {"viewCount": "views", "likeCount": "likes", "favoriteCount": "favorites"}
    names["commentCount"] = "comments"
    for v in videos:
        sn, stats, post = v["snippet"], v["statistics"], posts[v["id"]]
        assert (
            post.account_id,
            post.kind,
            post.text,
            post.hashtags,
            post.created_at,
            post.lang_platform,
            post.metrics,
        ) == (
            sn["channelId"],
            "video",
            "\n\n".join(p for p in (sn["title"], sn["description"]) if p),
            tuple(t.lstrip("#") for t in sn.get("tags", [])),
            _time(sn["publishedAt"]),
            sn.get("defaultLanguage") or sn.get("defaultAudioLanguage"),
            {names[k]: int(n) for k, n in stats.items()},
        )


def test_video_media_and_channel(ws: DuckDBStore) -> None:
    videos = json.loads(VIDEOS.read_text())["items"]
    for v in videos:
        widest = max(v["snippet"]["thumbnails"].values(), key=lambda t: t["width"])
        assert _rows(
            ws,
            "SELECT kind, url, width, height FROM media WHERE post_id = ? ORDER BY kind",
            v["id"],
        ) == [
            ("thumbnail", widest["url"], widest["width"], widest["height"]),
            ("video", f"https://www.youtube.com/watch?v={v['id']}", None, None),
        ]
        assert _rows(
            ws, "SELECT kind FROM accounts WHERE native_id = ?", v["snippet"]["channelId"]
        )[0] == ("channel",)
    # PT4M13S and PT1H2M3S, as hand-derived in the duration table below
    durations = dict(_rows(ws, "SELECT post_id, duration_ms FROM media WHERE kind = 'video'"))
    assert durations == {"vidEXAMPLE01": 253_000, "vidEXAMPLE02": 3_723_000}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PT4M13S", 253_000),  # minutes and seconds
        ("PT1H2M3S", 3_723_000),  # hours too
        ("PT45S", 45_000),  # seconds only
        ("P1DT1S", 86_401_000),  # days (long streams)
        ("P0D", 0),  # live streams report zero
        ("PT1.5S", 1_500),  # fractional seconds
        ("PT", None),  # no component at all
        ("4:13", None),  # not ISO-8601
        (None, None),  # absent
    ],
)
def test_duration(value: Any, expected: int | None) -> None:
    assert _duration_ms(value) == expected


# -- channels.list ----------------------------------------------------------------


def test_channels(ws: DuckDBStore) -> None:
    responses = json.loads(CHANNELS.read_text())
    for response in responses:
        observed = response.get("retrieved_at")
        for ch in response["items"]:
            sn, st = ch["snippet"], ch["statistics"]
            followers = None if st["hiddenSubscriberCount"] else int(st["subscriberCount"])
            row = _rows(
                ws,
                "SELECT kind, handle, display_name, bio, created_at, location, followers, "
                "posts_count, observed_at FROM accounts WHERE native_id = ?",
                ch["id"],
            )
            assert row == [
                (
                    "channel",
                    sn["customUrl"].lstrip("@"),
                    sn["title"],
                    sn["description"],
                    _time(sn["publishedAt"]),
                    sn["country"],
                    followers,
                    int(st["videoCount"]),
                    _time(observed) if observed else None,
                )
            ]
            # a Snapshot only when the collector recorded when the API answered
            snaps = _rows(
                ws,
                "SELECT observed_at, followers, posts_count FROM snapshots WHERE account_id = ?",
                ch["id"],
            )
            expected = [(_time(observed), followers, int(st["videoCount"]))] if observed else []
            assert snaps == expected
    assert sum(1 for r in responses if "retrieved_at" in r) >= 1
    assert sum(1 for r in responses if "retrieved_at" not in r) >= 1


# -- commentThreads.list ----------------------------------------------------------


def test_comment_threads(ws: DuckDBStore) -> None:
    threads = _threads()
    comments = {}  # id -> (comment, reply_to_id, answered account)
    for t in threads:
        top, video, channel = t["snippet"]["topLevelComment"], t["snippet"]["videoId"], None
        channel = t["snippet"]["channelId"]
        top_author = top["snippet"]["authorChannelId"]["value"]
        comments[top["id"]] = (top, video, channel)
        for reply in t.get("replies", {}).get("comments", []):
            comments[reply["id"]] = (reply, reply["snippet"]["parentId"], top_author)
    got = {
        r[0]: r[1:]
        for r in _rows(
            ws,
            "SELECT native_id, account_id, text, reply_to_id, reply_to_account_id, "
            "conversation_id, created_at FROM posts WHERE kind = 'comment'",
        )
    }
    assert set(got) == set(comments)
    expected_edges = set()
    for cid, (c, reply_to, answered) in comments.items():
        sn = c["snippet"]
        author = sn["authorChannelId"]["value"]
        assert got[cid] == (
            author,
            sn["textOriginal"],
            reply_to,
            answered,
            sn["videoId"],
            _time(sn["publishedAt"]),
        )
        if answered != author:
            expected_edges.add((author, answered, cid))
    edges = _rows(ws, "SELECT src_id, dst_id, post_id FROM edges WHERE kind = 'replies'")
    assert set(edges) == expected_edges and len(edges) == len(expected_edges)


@pytest.mark.parametrize(
    ("native_id", "kind", "handle", "display_name"),
    [
        # a reader: the @handle the API gives is the handle, not a display name
        ("UCexampleReaderA00000003", "user", "examplereadera", None),
        # the channel answering on its own video keeps its kind and its title
        ("UCexampleLibrary000000001", "channel", "examplelibrary", "Example Library"),
    ],
)
def test_commenter_accounts(
    ws: DuckDBStore, native_id: str, kind: str, handle: str, display_name: str | None
) -> None:
    assert _rows(
        ws, "SELECT kind, handle, display_name FROM accounts WHERE native_id = ?", native_id
    ) == [(kind, handle, display_name)]


def test_raw_records_of_json_lines(ws: DuckDBStore) -> None:
    lines = _thread_lines()
    source = _rows(ws, "SELECT source_id FROM sources WHERE path = ?", str(THREADS))[0][0]
    raws = _rows(
        ws, "SELECT line_no, raw FROM raw_records WHERE source_id = ? ORDER BY record_no", source
    )
    expected: list[tuple[int, Any]] = []
    for line_no, obj in enumerate(lines, start=1):
        if "items" in obj:  # each item, then the response without its items
            expected.extend((line_no, item) for item in obj["items"])
            expected.append((line_no, {k: v for k, v in obj.items() if k != "items"}))
        else:
            expected.append((line_no, obj))
    assert [(ln, json.loads(raw)) for ln, raw in raws] == expected


# -- malformed items --------------------------------------------------------------


def test_malformed_items_quarantined(store: DuckDBStore) -> None:
    summary = ingest_file(store, MALFORMED, fmt="youtube")
    reasons = _rows(store, "SELECT line_no, reason FROM quarantine ORDER BY record_no")
    assert reasons == [
        (2, "youtube#video vidEXAMPLE04: snippet.publishedAt 'last tuesday' is not a time"),
        (3, "line 3: invalid JSON: unexpected end of data: line 1 column 61 (char 60)"),
        (
            4,
            "youtube#playlist PLexample000001: unsupported resource kind 'youtube#playlist' "
            "(marsad maps videos, channels, comment threads, comments and search results of "
            "videos and channels)",
        ),
        (5, "youtube#video vidEXAMPLE05: statistics.viewCount 'many' is not a count"),
        (5, "youtube#video: missing id"),
    ]
    assert summary.quarantined == len(reasons)
    # the good video (line 1) and the good comment (line 6) land
    assert sorted(r[0] for r in _rows(store, "SELECT native_id FROM posts")) == [
        "UgxEXAMPLEcomment09",
        "vidEXAMPLE03",
    ]


# -- shapes, re-ingest, resume ----------------------------------------------------


@pytest.mark.parametrize("path", ALL)
def test_reingest_changes_nothing(store: DuckDBStore, path: Path) -> None:
    ingest_file(store, path, fmt="youtube")
    before = store.counts()
    assert ingest_file(store, path, fmt="youtube").already_complete
    assert store.counts() == before


@pytest.mark.parametrize("path", ALL)
def test_resume_yields_the_tail(path: Path) -> None:
    adapter = YouTubeAdapter()
    records = list(adapter.records(path, "src"))
    for start in (1, len(records) // 2, len(records) - 1):
        tail = list(adapter.records(path, "src", start))
        assert [dataclasses.astuple(r) for r in tail] == [
            dataclasses.astuple(r) for r in records[start:]
        ]


def _video_ids(path: Path) -> list[str]:
    return [p.native_id for p in _items(path, Post)]


@pytest.mark.parametrize(
    "layout",
    [
        "response",  # one response object, pretty-printed
        "array",  # a JSON array of responses
        "lines",  # one response per line
        "bare-lines",  # one bare resource per line
        "bare-array",  # a JSON array of bare resources
    ],
)
def test_file_layouts_give_the_same_posts(tmp_path: Path, layout: str) -> None:
    response = json.loads(VIDEOS.read_text())
    items = response["items"]
    content = {
        "response": json.dumps(response, indent=2),
        "array": json.dumps([response, {**response, "items": []}], indent=1),
        "lines": json.dumps(response) + "\n" + json.dumps({**response, "items": []}) + "\n",
        "bare-lines": "".join(json.dumps(v) + "\n" for v in items),
        "bare-array": json.dumps(items, indent=2),
    }[layout]
    path = tmp_path / "videos.json"
    path.write_text(content)
    assert _video_ids(path) == [v["id"] for v in items]


def test_items_without_kind_take_the_response_kind(tmp_path: Path) -> None:
    response = json.loads(VIDEOS.read_text())
    for item in response["items"]:
        del item["kind"]
    path = tmp_path / "videos.json"
    path.write_text(json.dumps(response, indent=2))
    assert _video_ids(path) == [v["id"] for v in response["items"]]


def test_observation_time_in_json_lines(store: DuckDBStore, tmp_path: Path) -> None:
    response = json.loads(CHANNELS.read_text())[0]
    response["retrieved_at"] = 1_709_294_400  # epoch seconds work too
    path = tmp_path / "channels.jsonl"
    path.write_text(json.dumps(response) + "\n")
    ingest_file(store, path, fmt="youtube")
    assert _rows(store, "SELECT account_id, observed_at FROM snapshots") == [
        (response["items"][0]["id"], datetime(2024, 3, 1, 12, 0, tzinfo=UTC))
    ]


def test_search_results(tmp_path: Path) -> None:
    video = json.loads(VIDEOS.read_text())["items"][0]
    results = {
        "kind": "youtube#searchListResponse",
        "items": [
            {
                "kind": "youtube#searchResult",
                "id": {"kind": "youtube#video", "videoId": video["id"]},
                "snippet": {k: video["snippet"][k] for k in ("publishedAt", "channelId", "title")},
            },
            {
                "kind": "youtube#searchResult",
                "id": {"kind": "youtube#playlist", "playlistId": "PLexample000001"},
                "snippet": {"title": "example playlist"},
            },
        ],
    }
    path = tmp_path / "search.json"
    path.write_text(json.dumps(results, indent=2))
    records = list(YouTubeAdapter().records(path, "src"))
    assert [p.native_id for p in records[0].items if isinstance(p, Post)] == [video["id"]]
    assert "unsupported search result kind 'youtube#playlist'" in (records[1].error or "")
    assert records[2].error is None and records[2].items == []  # the response itself


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{\n "kind": "youtube#videoListResponse",\n "items": [\n', "premature EOF"),  # cut
        ('[\n{"kind": "youtube#video", "id": "a"} {"kind": "x"}]', "not valid JSON"),
    ],
)
def test_unreadable_documents(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(UnreadableFile, match=message):
        list(YouTubeAdapter().records(path, "src"))


@pytest.mark.parametrize(
    ("content", "errors"),
    [
        ('"just a string"\n', ["line 1: expected a JSON object"]),  # a JSON line, not an object
        (
            "[1, 2]",
            ["array element #1: expected an object", "array element #2: expected an object"],
        ),
        (
            "{}\n",
            [
                "unsupported resource kind None (marsad maps videos, channels, comment "
                "threads, comments and search results of videos and channels)"
            ],
        ),
    ],
)
def test_values_that_are_not_resources(tmp_path: Path, content: str, errors: list[str]) -> None:
    path = tmp_path / "odd.json"
    path.write_text(content)
    assert [r.error for r in YouTubeAdapter().records(path, "src")] == errors


def test_empty_file_has_no_records(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert list(YouTubeAdapter().records(path, "src")) == []


# -- sniffing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (VIDEOS.read_bytes(), 0.95),  # one response, pretty-printed
        (CHANNELS.read_bytes(), 0.95),  # an array of responses
        (THREADS.read_bytes(), 0.95),  # JSON lines
        (b'{"data": {"id": "1", "text": "hello"}}\n', 0.0),  # X API v2 line
        (b'{"type": "post", "platform": "x", "native_id": "1"}\n', 0.0),  # marsad JSONL
        (b'{"name": "n", "type": "public_channel", "id": 1, "messages": []}', 0.0),  # Telegram
        (b"kind,text\nyoutube#video,hello\n", 0.0),  # CSV that mentions a kind
    ],
)
def test_sniff(tmp_path: Path, content: bytes, expected: float) -> None:
    path = tmp_path / "sample.json"
    path.write_bytes(content)
    assert YouTubeAdapter.sniff(path, read_head(path)) == expected


@pytest.mark.parametrize("path", ALL)
def test_detect_format_picks_youtube(path: Path) -> None:
    assert detect_format(path) == "youtube"
