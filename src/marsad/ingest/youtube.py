"""YouTube Data API v3 responses: videos, channels, comment threads and comments.

Ingest adapter (first stage: ``exports -> ingest -> normalise -> store``).  It
reads what a collector saved from ``videos.list``, ``channels.list``,
``commentThreads.list``, ``comments.list`` and ``search.list``, in any of the
three ways collectors save pages:

* a file holding one response object, as the API returns it;
* a JSON array of response objects;
* JSON lines, one response -- or one bare resource (``"kind": "youtube#video"``
  ...) -- per line.

A file whose first line is a whole JSON value is read as JSON lines (so a
malformed line is one error record with its line number and the others land);
otherwise it is one JSON document streamed with ijson, an item at a time.

Raw records
-----------

Each resource (an element of a response's ``items``, or a bare resource) is one
raw record (``raw`` = its JSON; the line itself for a line holding one
resource), so one malformed item is quarantined alone.
Each response is one more raw record *after* its items, holding the response
without ``items`` (``kind``, ``etag``, ``nextPageToken``, ``pageInfo`` and any
key the collector added), with no model records -- nothing the file held is
lost.  ``line_no`` is the line in JSON lines, 0 in a JSON document.

Observation time
----------------

The API does not say when it answered.  A collector may record it in the
response (or a bare resource) as ``retrieved_at``, ``collected_at``,
``fetched_at`` or ``observed_at`` (ISO-8601 or epoch seconds), given *before*
``items``; it becomes the channel Accounts' ``observed_at`` and a Snapshot of
their counts.  Without it there is no Snapshot: a count with no date cannot
enter a census.  A time that cannot be parsed is treated as absent.

Mapping onto the model
----------------------

* **Video** (``youtube#video``; also a ``youtube#searchResult`` of a video) ->
  Post, kind VIDEO: ``native_id`` the video id; ``account_id`` ``channelId``;
  ``text`` ``title`` + blank line + ``description``; ``hashtags`` the ``tags``
  (without ``#``; the text stage adds the description's own); ``created_at``
  ``publishedAt``; ``lang_platform`` ``defaultLanguage`` or
  ``defaultAudioLanguage``; ``metrics`` ``views``, ``likes``, ``dislikes``,
  ``favorites``, ``comments`` from ``statistics`` (strings in the API).  Plus
  a Media ``video`` (watch URL, ``duration_ms`` from ``contentDetails.duration``),
  a Media ``thumbnail`` (the widest of ``snippet.thumbnails``: URL and size; not
  fetched), and a minimal Account CHANNEL for the channel (``channelTitle``).
* **Channel** (``youtube#channel``; or a search result of one) -> Account, kind
  CHANNEL: ``handle`` ``customUrl`` without ``@``; ``display_name`` ``title``;
  ``bio`` ``description``; ``created_at`` ``publishedAt``; ``location``
  ``country``; ``followers`` ``subscriberCount`` (None when
  ``hiddenSubscriberCount``); ``posts_count`` ``videoCount``; plus a Snapshot
  when the observation time is known.
* **Comment thread** (``youtube#commentThread``) -> its top-level comment and
  the replies it carries; a **comment** (``youtube#comment``) alone -> itself.
  Each comment -> Post, kind COMMENT: ``account_id``
  ``authorChannelId.value``; ``text`` ``textOriginal`` (else ``textDisplay``,
  which is HTML); ``created_at`` ``publishedAt``; ``conversation_id`` the
  video id; ``reply_to_id`` the video id for a top-level comment, the parent
  comment id (``parentId``) for a reply; ``metrics`` ``likes`` (and
  ``replies``, the thread's ``totalReplyCount``, on the top-level comment).
  The commenter -> Account: ``authorDisplayName`` is its ``handle`` when it is
  an ``@handle`` (as the API has given since 2023), else its ``display_name``
  (older data), so a comment never overwrites a channel's title; kind USER, or
  CHANNEL when the commenter is the video's own channel.  An Edge REPLIES goes
  from the commenter to whom it answers, when known and not the commenter:
  the video's channel (the thread's ``snippet.channelId``) for a top-level
  comment, the top-level comment's author for a reply in the same thread.

A resource with no ``id``, an unparsable ``publishedAt``, a count that is not a
number or an unsupported ``kind`` (playlists, captions ...) is an error record.
An item without ``kind`` takes it from its response's kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import ijson
import orjson

from marsad.codec import parse_time
from marsad.errors import MalformedRecord, UnreadableFile
from marsad.ingest.base import IngestAdapter, RawRecord, Span, iter_lines, open_bytes
from marsad.model import (
    Account,
    AccountKind,
    Edge,
    EdgeKind,
    Media,
    Post,
    PostKind,
    Provenance,
    Record,
    Snapshot,
)

__all__ = ["YouTubeAdapter"]

PLATFORM = "youtube"
#: response kind -> the kind of its items, for items that do not say
ITEM_KINDS = {
    "youtube#videoListResponse": "youtube#video",
    "youtube#channelListResponse": "youtube#channel",
    "youtube#commentThreadListResponse": "youtube#commentThread",
    "youtube#commentListResponse": "youtube#comment",
    "youtube#searchListResponse": "youtube#searchResult",
}
#: keys a collector may add to say when the API answered
TIME_KEYS = ("retrieved_at", "collected_at", "fetched_at", "observed_at")
#: ``statistics`` field -> metric name
VIDEO_METRICS = {
    "viewCount": "views",
    "likeCount": "likes",
    "dislikeCount": "dislikes",
    "favoriteCount": "favorites",
    "commentCount": "comments",
}
_KIND_RE = re.compile(rb'"kind"\s*:\s*"youtube#')
_DURATION_RE = re.compile(
    r"P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)
_SCALARS = frozenset({"string", "number", "boolean", "null"})


@dataclass
class _Found:
    """One raw record found in the file: a resource, or a response's envelope."""

    line_no: int
    value: Any  # the resource / the response without items; None when skipped
    is_envelope: bool = False
    response_kind: str | None = None
    observed_at: datetime | None = None
    error: str | None = None
    raw: bytes | None = None  # the line as the file holds it, for a one-resource line


@dataclass
class _Response:
    """What the document walker knows of the response (or bare resource) it is in."""

    prefix: str
    fields: dict[str, Any] = field(default_factory=dict)
    key: str | None = None
    has_items: bool = False


class YouTubeAdapter(IngestAdapter):
    name = "youtube"
    version = "1"
    platform = PLATFORM
    description = (
        "YouTube Data API v3 responses (videos, channels, commentThreads, comments, search): "
        "one response, a JSON array of them, or JSON lines of responses or resources"
    )

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if text[:1] in (b"{", b"[") and _KIND_RE.search(text):
            return 0.95
        return 0.0

    def records(
        self, path: Path, source_id: str, start: int = 0, span: Span | None = None
    ) -> Iterator[RawRecord]:
        found = _read_lines(path) if _is_json_lines(path) else _read_document(path, start)
        for record_no, item in enumerate(found):
            if record_no < start:
                continue
            prov = self.provenance(source_id, record_no, item.line_no)
            raw = item.raw if item.raw is not None else _dumps(item.value)
            if item.error is not None:
                yield RawRecord(record_no, item.line_no, raw, error=item.error)
                continue
            if item.is_envelope:
                yield RawRecord(record_no, item.line_no, raw)
                continue
            try:
                records = _map_resource(item.value, item.response_kind, item.observed_at, prov)
            except MalformedRecord as exc:
                yield RawRecord(record_no, item.line_no, raw, error=_where(item.value, exc.reason))
                continue
            except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
                reason = f"unexpected value: {exc}"
                yield RawRecord(record_no, item.line_no, raw, error=_where(item.value, reason))
                continue
            yield RawRecord(record_no, item.line_no, raw, records)

    @classmethod
    def examples(cls) -> list[tuple[str, bytes]]:
        video = {
            "kind": "youtube#video",
            "etag": "etag-v1",
            "id": "vidEXAMPLE01",
            "snippet": {
                "publishedAt": "2024-01-05T09:00:00Z",
                "channelId": "UCexampleChannel000001",
                "title": "community notice 1",
                "description": "opening hours of the reading room",
                "channelTitle": "Example Library",
                "tags": ["library", "notice"],
                "defaultAudioLanguage": "en",
            },
            "statistics": {"viewCount": "120", "likeCount": "7", "commentCount": "2"},
            "contentDetails": {"duration": "PT1M30S"},
        }
        response = {
            "kind": "youtube#videoListResponse",
            "etag": "etag-r1",
            "items": [video],
            "pageInfo": {"totalResults": 1, "resultsPerPage": 1},
        }
        comment_line = {
            "kind": "youtube#comment",
            "etag": "etag-c1",
            "id": "UgxEXAMPLEcomment01",
            "snippet": {
                "videoId": "vidEXAMPLE01",
                "channelId": "UCexampleChannel000001",
                "textOriginal": "thank you for the notice",
                "textDisplay": "thank you for the notice",
                "authorDisplayName": "@examplereader",
                "authorChannelId": {"value": "UCexampleReader0000001"},
                "likeCount": 1,
                "publishedAt": "2024-01-05T10:00:00Z",
                "updatedAt": "2024-01-05T10:00:00Z",
            },
        }
        return [
            ("videos.json", orjson.dumps(response, option=orjson.OPT_INDENT_2)),
            ("pages.jsonl", orjson.dumps(response) + b"\n" + orjson.dumps(comment_line) + b"\n"),
        ]


# -- reading: the file as a stream of resources and envelopes ------------------------


def _is_json_lines(path: Path) -> bool:
    """True when the file's first (or, if that is broken, second) line is a whole JSON value."""
    checked = 0
    try:
        for _, line in iter_lines(path):
            text = line.strip()
            if not text:
                continue
            if checked == 0 and text[:1] == b"[":
                return False
            try:
                orjson.loads(text)
                return True
            except orjson.JSONDecodeError:
                checked += 1
                if checked == 2:
                    return False
    except UnicodeDecodeError:  # pragma: no cover - lines are bytes
        return False
    return True  # empty, or one broken line: read as lines (it quarantines)


def _read_lines(path: Path) -> Iterator[_Found]:
    for line_no, line in iter_lines(path):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield _Found(line_no, None, error=f"line {line_no}: invalid JSON: {exc}", raw=line)
            continue
        if not isinstance(obj, dict):
            yield _Found(line_no, obj, error=f"line {line_no}: expected a JSON object", raw=line)
            continue
        observed_at = _observed_at(obj)
        items = obj.get("items")
        if isinstance(items, list):
            kind = obj.get("kind") if isinstance(obj.get("kind"), str) else None
            for item in items:
                yield _Found(line_no, item, response_kind=kind, observed_at=observed_at)
            envelope = {k: v for k, v in obj.items() if k != "items"}
            yield _Found(line_no, envelope, is_envelope=True)
        else:
            yield _Found(line_no, obj, observed_at=observed_at, raw=line)


def _read_document(path: Path, start: int) -> Iterator[_Found]:
    with open_bytes(path) as fh:
        try:
            yield from _walk(path, ijson.parse(fh, use_float=True), start)
        except (ijson.JSONError, UnicodeDecodeError, ValueError) as exc:
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            reason = lines[0] if lines else type(exc).__name__
            if len(lines) > 1 and not lines[1].startswith("(right here)"):
                reason += f" at {lines[1][:60]!r}"
            try:
                where = f" (near byte {fh.tell()})"
            except (OSError, ValueError):
                where = ""
            raise UnreadableFile(f"{path}: not valid JSON{where}: {reason}") from exc
        except (OSError, EOFError) as exc:
            raise UnreadableFile(f"{path}: read failed: {exc}") from exc


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _walk(path: Path, events: Iterator[tuple[str, str, Any]], start: int) -> Iterator[_Found]:
    """Resources and envelopes of one JSON document, one item built at a time.

    A response is an object at the top level (prefix ``""``) or an element of a
    top-level array (``"item"``); its fields other than ``items`` are built
    whole (they are small), its ``items`` one by one.  An object without
    ``items`` is itself a resource.
    """
    found = 0
    top: str | None = None  # "map" or "array"
    resp: _Response | None = None
    depth = 0
    builder: Any = None
    target: str | None = None  # where the value being built goes: "field" or "item"
    for prefix, event, value in events:
        if top is None:
            if event == "start_map":
                top, resp = "map", _Response("")
            elif event == "start_array":
                top = "array"
            else:
                raise UnreadableFile(
                    f"{path}: not a YouTube API response: the file holds a JSON {event}"
                )
            continue
        if depth:
            if builder is not None:
                builder.event(event, value)
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
            if depth == 0:
                done = builder.value if builder is not None else None
                if target == "field" and resp is not None and resp.key is not None:
                    resp.fields[resp.key] = done
                elif target == "item" and resp is not None:
                    yield _item(resp, done)
                builder, target = None, None
            continue
        if top == "array" and prefix == "item" and resp is None:
            if event == "start_map":
                resp = _Response("item")
            elif event in _SCALARS or event == "start_array":
                found += 1
                if event in _SCALARS:
                    yield _Found(0, value, error=f"array element #{found}: expected an object")
                else:
                    depth, target = 1, None  # a nested array: skipped, reported below
                    yield _Found(0, [], error=f"array element #{found}: expected an object")
            continue
        if resp is None:
            continue
        if event == "map_key" and prefix == resp.prefix:
            resp.key = value
            resp.has_items = resp.has_items or value == "items"
            continue
        if event == "end_map" and prefix == resp.prefix:
            found += 1
            if resp.has_items:
                yield _Found(0, resp.fields, is_envelope=True)
            else:
                yield _Found(0, resp.fields, observed_at=_observed_at(resp.fields))
            resp = None
            continue
        if resp.key is None:
            continue
        child = _join(resp.prefix, resp.key)
        if resp.key == "items" and prefix == _join(child, "item"):
            found += 1
            if event in _SCALARS:
                yield _item(resp, value)
                continue
            depth, target = 1, "item"
            if found > start:
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
            continue
        if prefix != child or resp.key == "items":
            continue
        if event in _SCALARS:
            resp.fields[resp.key] = value
        elif event in ("start_map", "start_array"):
            depth, target = 1, "field"
            builder = ijson.ObjectBuilder()
            builder.event(event, value)


def _item(resp: _Response, value: Any) -> _Found:
    kind = resp.fields.get("kind")
    return _Found(
        0,
        value,
        response_kind=kind if isinstance(kind, str) else None,
        observed_at=_observed_at(resp.fields),
    )


def _observed_at(obj: dict[str, Any]) -> datetime | None:
    for key in TIME_KEYS:
        value = obj.get(key)
        if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
            continue
        try:
            return parse_time(value)
        except (ValueError, OverflowError, OSError):
            return None
    return None


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):  # pragma: no cover - parsed JSON dumps back
        return repr(value).encode()


def _where(value: Any, reason: str) -> str:
    if isinstance(value, dict):
        kind, rid = value.get("kind"), value.get("id")
        if isinstance(rid, dict):
            rid = rid.get("videoId") or rid.get("channelId")
        label = " ".join(str(p) for p in (kind, rid) if p)
        if label:
            return f"{label}: {reason}"
    return reason


# -- mapping: a resource -> model records --------------------------------------------


def _map_resource(
    res: Any, response_kind: str | None, observed_at: datetime | None, prov: Provenance
) -> list[Record]:
    if not isinstance(res, dict):
        raise MalformedRecord(f"expected a JSON object, got {type(res).__name__}")
    kind = res.get("kind") or ITEM_KINDS.get(response_kind or "")
    if kind == "youtube#video":
        return _video(res, _text_id(res.get("id"), "id"), prov)
    if kind == "youtube#channel":
        return _channel(res, _text_id(res.get("id"), "id"), observed_at, prov)
    if kind == "youtube#commentThread":
        return _comment_thread(res, prov)
    if kind == "youtube#comment":
        return _comment(res, None, None, prov)
    if kind == "youtube#searchResult":
        rid = res.get("id")
        if not isinstance(rid, dict):
            raise MalformedRecord("search result without an id object")
        if rid.get("kind") == "youtube#video":
            return _video(res, _text_id(rid.get("videoId"), "id.videoId"), prov)
        if rid.get("kind") == "youtube#channel":
            return _channel(res, _text_id(rid.get("channelId"), "id.channelId"), observed_at, prov)
        raise MalformedRecord(
            f"unsupported search result kind {rid.get('kind')!r} (marsad maps videos and channels)"
        )
    raise MalformedRecord(
        f"unsupported resource kind {kind!r} (marsad maps videos, channels, comment threads, "
        "comments and search results of videos and channels)"
    )


def _text_id(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise MalformedRecord(f"missing {name}")
    return value


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _obj(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedRecord(f"{name} is not an object")
    return value


def _time(value: Any, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedRecord(f"{name} {value!r} is not a time")
    try:
        return parse_time(value)
    except ValueError as exc:
        raise MalformedRecord(f"{name} {value!r} is not a time") from exc


def _count(value: Any, name: str) -> int | None:
    """A count as the API gives it (a decimal string, or a number in comments)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise MalformedRecord(f"{name} {value!r} is not a count")


def _duration_ms(value: Any) -> int | None:
    """ISO-8601 duration (``PT4M13S``) in milliseconds; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    m = _DURATION_RE.fullmatch(value)
    if m is None or value in ("P", "PT"):
        return None
    parts = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    seconds = (
        parts["w"] * 604800 + parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
    )
    return round(seconds * 1000)


def _video(res: dict[str, Any], vid: str, prov: Provenance) -> list[Record]:
    sn = _obj(res.get("snippet"), "snippet")
    stats = _obj(res.get("statistics"), "statistics")
    details = _obj(res.get("contentDetails"), "contentDetails")
    channel_id = _opt_str(sn.get("channelId"))
    text = "\n\n".join(p for p in (_opt_str(sn.get("title")), _opt_str(sn.get("description"))) if p)
    tags = sn.get("tags")
    hashtags = tuple(
        dict.fromkeys(
            t.strip().lstrip("#")
            for t in (tags if isinstance(tags, list) else [])
            if isinstance(t, str) and t.strip().lstrip("#")
        )
    )
    metrics: dict[str, int] = {}
    for key, name in VIDEO_METRICS.items():
        count = _count(stats.get(key), f"statistics.{key}")
        if count is not None:
            metrics[name] = count
    out: list[Record] = []
    if channel_id is not None:
        out.append(
            Account(
                platform=PLATFORM,
                native_id=channel_id,
                display_name=_opt_str(sn.get("channelTitle")),
                url=f"https://www.youtube.com/channel/{channel_id}",
                kind=AccountKind.CHANNEL,
                provenance=prov,
            )
        )
    out.append(
        Post(
            platform=PLATFORM,
            native_id=vid,
            account_id=channel_id,
            created_at=_time(sn.get("publishedAt"), "snippet.publishedAt"),
            text=text or None,
            kind=PostKind.VIDEO,
            lang_platform=_opt_str(sn.get("defaultLanguage"))
            or _opt_str(sn.get("defaultAudioLanguage")),
            hashtags=hashtags,
            metrics=metrics,
            provenance=prov,
        )
    )
    out.append(
        Media(
            platform=PLATFORM,
            native_id=vid,
            post_id=vid,
            kind="video",
            url=f"https://www.youtube.com/watch?v={vid}",
            duration_ms=_duration_ms(details.get("duration")),
            provenance=prov,
        )
    )
    thumb = _widest(_obj(sn.get("thumbnails"), "snippet.thumbnails"))
    if thumb is not None:
        out.append(
            Media(
                platform=PLATFORM,
                native_id=f"{vid}/thumbnail",
                post_id=vid,
                kind="thumbnail",
                url=thumb["url"],
                width=thumb.get("width") if _is_int(thumb.get("width")) else None,
                height=thumb.get("height") if _is_int(thumb.get("height")) else None,
                provenance=prov,
            )
        )
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _widest(thumbnails: dict[str, Any]) -> dict[str, Any] | None:
    best: dict[str, Any] | None = None
    best_width = -1
    for thumb in thumbnails.values():
        if not isinstance(thumb, dict) or not _opt_str(thumb.get("url")):
            continue
        width = thumb["width"] if _is_int(thumb.get("width")) else 0
        if width > best_width:
            best, best_width = thumb, width
    return best


def _channel(
    res: dict[str, Any], cid: str, observed_at: datetime | None, prov: Provenance
) -> list[Record]:
    sn = _obj(res.get("snippet"), "snippet")
    stats = _obj(res.get("statistics"), "statistics")
    hidden = stats.get("hiddenSubscriberCount") is True
    followers = (
        None if hidden else _count(stats.get("subscriberCount"), "statistics.subscriberCount")
    )
    videos = _count(stats.get("videoCount"), "statistics.videoCount")
    custom = _opt_str(sn.get("customUrl"))
    thumb = _widest(_obj(sn.get("thumbnails"), "snippet.thumbnails"))
    account = Account(
        platform=PLATFORM,
        native_id=cid,
        handle=custom.lstrip("@") if custom else None,
        display_name=_opt_str(sn.get("title")) or _opt_str(sn.get("channelTitle")),
        bio=_opt_str(sn.get("description")),
        location=_opt_str(sn.get("country")),
        url=f"https://www.youtube.com/channel/{cid}",
        lang=_opt_str(sn.get("defaultLanguage")),
        kind=AccountKind.CHANNEL,
        created_at=_time(sn.get("publishedAt"), "snippet.publishedAt"),
        observed_at=observed_at,
        followers=followers,
        posts_count=videos,
        avatar_url=thumb["url"] if thumb else None,
        provenance=prov,
    )
    out: list[Record] = [account]
    if observed_at is not None and (followers is not None or videos is not None):
        out.append(
            Snapshot(
                platform=PLATFORM,
                account_id=cid,
                observed_at=observed_at,
                followers=followers,
                posts_count=videos,
                provenance=prov,
            )
        )
    return out


def _comment_thread(res: dict[str, Any], prov: Provenance) -> list[Record]:
    _text_id(res.get("id"), "id")
    sn = _obj(res.get("snippet"), "snippet")
    top = sn.get("topLevelComment")
    if not isinstance(top, dict):
        raise MalformedRecord("missing snippet.topLevelComment")
    video_id = _opt_str(sn.get("videoId"))
    channel_id = _opt_str(sn.get("channelId"))
    replies = _count(sn.get("totalReplyCount"), "snippet.totalReplyCount")
    out = _comment(top, video_id, channel_id, prov, replies=replies)
    top_post = next(r for r in out if isinstance(r, Post))
    comments = _obj(res.get("replies"), "replies").get("comments") or []
    if not isinstance(comments, list):
        raise MalformedRecord("replies.comments is not a list")
    for reply in comments:
        out.extend(_comment(reply, video_id, channel_id, prov, parent=top_post))
    return out


def _comment(
    res: Any,
    video_id: str | None,
    channel_id: str | None,
    prov: Provenance,
    *,
    parent: Post | None = None,
    replies: int | None = None,
) -> list[Record]:
    if not isinstance(res, dict):
        raise MalformedRecord("a comment is not an object")
    cid = _text_id(res.get("id"), "comment id")
    sn = _obj(res.get("snippet"), f"comment {cid} snippet")
    video_id = video_id or _opt_str(sn.get("videoId"))
    channel_id = channel_id or _opt_str(sn.get("channelId"))
    author_obj = sn.get("authorChannelId")
    author = _opt_str(author_obj.get("value")) if isinstance(author_obj, dict) else None
    parent_id = _opt_str(sn.get("parentId"))
    reply_to_id: str | None
    answered: str | None
    if parent_id is not None:
        reply_to_id = parent_id
        answered = (
            parent.account_id if parent is not None and parent.native_id == parent_id else None
        )
    else:
        reply_to_id, answered = video_id, channel_id
    metrics: dict[str, int] = {}
    likes = _count(sn.get("likeCount"), f"comment {cid} likeCount")
    if likes is not None:
        metrics["likes"] = likes
    if replies is not None:
        metrics["replies"] = replies
    created_at = _time(sn.get("publishedAt"), f"comment {cid} publishedAt")
    out: list[Record] = []
    if author is not None:
        name = _opt_str(sn.get("authorDisplayName"))
        is_handle = name is not None and name.startswith("@") and len(name) > 1
        out.append(
            Account(
                platform=PLATFORM,
                native_id=author,
                handle=name[1:] if name is not None and is_handle else None,
                display_name=None if is_handle else name,
                url=f"https://www.youtube.com/channel/{author}",
                avatar_url=_opt_str(sn.get("authorProfileImageUrl")),
                kind=AccountKind.CHANNEL if author == channel_id else AccountKind.USER,
                provenance=prov,
            )
        )
    out.append(
        Post(
            platform=PLATFORM,
            native_id=cid,
            account_id=author,
            created_at=created_at,
            text=_opt_str(sn.get("textOriginal")) or _opt_str(sn.get("textDisplay")),
            kind=PostKind.COMMENT,
            reply_to_id=reply_to_id,
            reply_to_account_id=answered,
            conversation_id=video_id,
            metrics=metrics,
            provenance=prov,
        )
    )
    if author is not None and answered is not None and answered != author:
        out.append(
            Edge(
                platform=PLATFORM,
                src_id=author,
                dst_id=answered,
                kind=EdgeKind.REPLIES,
                post_id=cid,
                created_at=created_at,
                provenance=prov,
            )
        )
    return out
