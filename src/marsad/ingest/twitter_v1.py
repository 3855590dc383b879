"""X API v1.1 tweet objects: JSON lines (stream / search / twarc1 output) or one JSON array.

Ingest adapter (first stage of the flow).  Each raw record is one v1.1 tweet
object with its embedded ``user``; it maps to

* a :class:`~marsad.model.Post` (text from ``extended_tweet.full_text``, else
  ``full_text``, else ``text``; client name from the HTML ``source``; kind
  repost / quote / reply; entities, place, coordinates, counts, withholding),
* the author as an :class:`~marsad.model.Account` and a
  :class:`~marsad.model.Snapshot` of its counts,
* ``retweeted_status`` / ``quoted_status`` -- full tweets themselves -- as their
  own Post + Account + Snapshot (recursively, so the tweet a retweeted quote
  quotes lands too),
* :class:`~marsad.model.Edge` s: REPOSTS (retweeter -> original author), QUOTES,
  REPLIES (-> ``in_reply_to_user_id_str``) and MENTIONS (-> each
  ``user_mentions`` id; none for a retweet, whose mentions are the original's
  and land with it),
* :class:`~marsad.model.Media` from ``extended_entities.media`` (else
  ``entities.media``): hashes are filled later, bytes are never fetched.

**When a user was observed.**  The ``user`` objects of a payload show the
account as it was when the payload was rendered, which is no earlier than the
top-level tweet's ``created_at`` (a stream renders it at that moment; search
results later).  So every Account/Snapshot of one raw record is dated at the
*top-level* tweet's ``created_at`` -- including the author of an embedded
original, whose counts were not those of the (earlier) moment it posted.

Stream notices (``{"delete": ...}``, ``{"limit": ...}``, withheld and scrub
notices) map to no items; the raw line is still kept.  A line that is not JSON
or not a tweet is a bad record with its line number.  A file whose first byte
is ``[`` is read as one JSON array streamed with ``ijson`` (``record_no`` is
the index, ``line_no`` 0, ``raw`` the item's canonical JSON).

The client name comes from :func:`marsad.ingest._twitter_common.client_name`,
shared with the v2 adapter.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ijson
import orjson

from marsad.errors import UnreadableFile
from marsad.ingest._twitter_common import client_name
from marsad.ingest.base import IngestAdapter, RawRecord, Span, iter_lines, open_bytes
from marsad.model import (
    Account,
    Edge,
    EdgeKind,
    Media,
    Post,
    PostKind,
    Provenance,
    Record,
    Snapshot,
)

__all__ = ["TwitterV1Adapter", "client_from_source", "parse_v1_time"]

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
#: top-level keys of stream messages that are not tweets (kept raw, no items)
_NOTICES = frozenset(
    {
        "delete",
        "limit",
        "scrub_geo",
        "status_withheld",
        "user_withheld",
        "disconnect",
        "warning",
        "event",
        "friends",
        "friends_str",
        "control",
    }
)
#: integer counters of a tweet copied into Post.metrics under their v1.1 names
_METRICS = ("retweet_count", "favorite_count", "reply_count", "quote_count")
#: how deep embedded tweets are followed (retweet -> quoted -> ...)
_MAX_DEPTH = 3


def client_from_source(source: str | None) -> str | None:
    """The client name of a v1.1 ``source`` field (the shared X helper, trimmed).

    ``<a href="http://twitter.com/download/android" rel="nofollow">Twitter for
    Android</a>`` -> ``Twitter for Android``; plain text (``web``) is kept;
    entities are unescaped; empty -> ``None``.
    """
    name = client_name(source)
    return (name.strip() or None) if name else None


def parse_v1_time(value: Any) -> datetime | None:
    """``Wed Oct 10 20:19:24 +0000 2018`` -> aware UTC datetime (locale-independent).

    Raises ``ValueError`` on anything else; ``None``/empty gives ``None``.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a v1.1 time string, got {value!r}")
    parts = value.split()
    if len(parts) != 6 or parts[1] not in _MONTHS:
        raise ValueError(f"not a v1.1 time ('Wed Oct 10 20:19:24 +0000 2018'): {value!r}")
    _, mon, day, hms, offset, year = parts
    hour, minute, second = hms.split(":")
    parsed = datetime(
        int(year), _MONTHS[mon], int(day), int(hour), int(minute), int(second), tzinfo=UTC
    )
    if offset != "+0000":
        if len(offset) != 5 or offset[0] not in "+-" or not offset[1:].isdigit():
            raise ValueError(f"bad UTC offset in v1.1 time: {value!r}")
        sign = -1 if offset[0] == "-" else 1
        parsed -= sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
    return parsed


class TwitterV1Adapter(IngestAdapter):
    name = "x-v1"
    version = "1"
    platform = "x"
    description = "X/Twitter API v1.1 tweet objects (JSON lines, or one JSON array)"

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if text.startswith(b"["):
            try:
                first = next(ijson.items(io.BytesIO(text), "item"), None)
            except (ijson.JSONError, ValueError):
                first = None
            return 0.9 if _looks_like_tweet(first) else 0.0
        if not text.startswith(b"{"):
            return 0.0
        line = text.split(b"\n", 1)[0].rstrip(b"\r")
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            # a first line longer than the head: judge by its top-level shape
            if line.startswith((b'{"data"', b'{"type"')) or b'"__twarc"' in line:
                return 0.0
            has_user = b'"user":{' in line or b'"user": {' in line
            return 0.6 if b'"id_str"' in line and has_user else 0.0
        if _looks_like_tweet(obj):
            return 0.95
        if isinstance(obj, dict) and obj.keys() & _NOTICES and len(obj) == 1:
            return 0.5
        return 0.0

    @classmethod
    def can_split(cls, path: Path, head: bytes) -> bool:
        return not head.lstrip().startswith(b"[")

    def records(
        self, path: Path, source_id: str, start: int = 0, span: Span | None = None
    ) -> Iterator[RawRecord]:
        if _first_byte(path) == b"[":
            yield from self._array_records(path, source_id, start)
            return
        record_no = span.records - 1 if span is not None else -1
        for line_no, line in iter_lines(path, span=span):
            if not line.strip():
                continue
            record_no += 1
            if record_no < start:
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield RawRecord(record_no, line_no, line, error=f"invalid JSON: {exc}")
                continue
            yield self._record(obj, record_no, line_no, line, source_id)

    def _array_records(self, path: Path, source_id: str, start: int) -> Iterator[RawRecord]:
        record_no = -1
        with open_bytes(path) as fh:
            items = ijson.items(fh, "item", use_float=True)
            while True:
                try:
                    obj = next(items)
                except StopIteration:
                    return
                except (ijson.JSONError, ValueError) as exc:
                    # the document breaks here: nothing after it can be read
                    yield RawRecord(
                        record_no + 1, 0, b"", error=f"invalid JSON after item {record_no}: {exc}"
                    )
                    return
                except (OSError, EOFError) as exc:
                    raise UnreadableFile(
                        f"{path}: read failed after item {record_no}: {exc}"
                    ) from exc
                record_no += 1
                if record_no < start:
                    continue
                yield self._record(obj, record_no, 0, orjson.dumps(obj), source_id)

    def _record(
        self, obj: Any, record_no: int, line_no: int, raw: bytes, source_id: str
    ) -> RawRecord:
        if not isinstance(obj, dict):
            return RawRecord(
                record_no, line_no, raw, error=f"expected a JSON object, got {type(obj).__name__}"
            )
        if "id_str" not in obj and obj.keys() & _NOTICES:
            return RawRecord(record_no, line_no, raw)
        if not _looks_like_tweet(obj):
            missing = [k for k in ("id_str", "user") if k not in obj] or ["user object"]
            return RawRecord(
                record_no, line_no, raw, error=f"not a v1.1 tweet: no {' or '.join(missing)}"
            )
        prov = self.provenance(source_id, record_no, line_no)
        items: list[Record] = []
        try:
            observed_at = parse_v1_time(obj.get("created_at"))
            _map_tweet(obj, prov, observed_at, items, set(), 0)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            return RawRecord(record_no, line_no, raw, error=f"bad tweet: {exc}")
        return RawRecord(record_no, line_no, raw, items)

    @classmethod
    def examples(cls) -> list[tuple[str, bytes]]:
        user_a = (
            b'{"id_str": "100", "screen_name": "alpha", "name": "Alpha", "description": "weather",'
            b' "followers_count": 5, "friends_count": 2, "statuses_count": 9,'
            b' "created_at": "Mon Jan 01 00:00:00 +0000 2018"}'
        )
        user_b = b'{"id_str": "200", "screen_name": "beta", "followers_count": 1}'
        original = (
            b'{"id_str": "1", "created_at": "Wed Oct 10 20:19:24 +0000 2018",'
            b' "text": "weather update 1 #sunny", "lang": "en", "source": "web",'
            b' "entities": {"hashtags": [{"text": "sunny"}]}, "user": ' + user_a + b"}"
        )
        retweet = (
            b'{"id_str": "2", "created_at": "Wed Oct 10 21:00:00 +0000 2018",'
            b' "text": "RT @alpha: weather update 1 #sunny", "lang": "en",'
            b' "source": "<a href=\\"http://twitter.com/download/android\\" rel=\\"nofollow\\">'
            b'Twitter for Android</a>", "user": '
            + user_b
            + b', "retweeted_status": '
            + original
            + b"}"
        )
        return [
            ("tweets_v1.jsonl", original + b"\n" + retweet + b"\n"),
            ("tweets_v1.json", b"[" + original + b",\n" + retweet + b"]\n"),
        ]


def _looks_like_tweet(obj: Any) -> bool:
    return isinstance(obj, dict) and "id_str" in obj and isinstance(obj.get("user"), dict)


def _first_byte(path: Path) -> bytes:
    with open_bytes(path) as fh:
        try:
            while True:
                chunk = fh.read(4096)
                if not chunk:
                    return b""
                stripped = chunk.lstrip(b"\xef\xbb\xbf \t\r\n")
                if stripped:
                    return stripped[:1]
        except (OSError, EOFError) as exc:
            raise UnreadableFile(f"cannot read {path}: {exc}") from exc


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    return int(value)


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _entity_lists(tweet: dict[str, Any]) -> list[dict[str, Any]]:
    """The entity objects that apply to *tweet*: its own and ``extended_tweet``'s."""
    out = [e for e in (tweet.get("entities"),) if isinstance(e, dict)]
    ext = tweet.get("extended_tweet")
    if isinstance(ext, dict) and isinstance(ext.get("entities"), dict):
        out.append(ext["entities"])
    return out


def _media_objects(tweet: dict[str, Any]) -> list[dict[str, Any]]:
    ext = _dict(tweet.get("extended_tweet"))
    for holder in (ext.get("extended_entities"), tweet.get("extended_entities")):
        if isinstance(holder, dict) and holder.get("media"):
            return [m for m in holder["media"] if isinstance(m, dict)]
    for holder in (ext.get("entities"), tweet.get("entities")):
        if isinstance(holder, dict) and holder.get("media"):
            return [m for m in holder["media"] if isinstance(m, dict)]
    return []


def _text(tweet: dict[str, Any]) -> str | None:
    ext = tweet.get("extended_tweet")
    if isinstance(ext, dict) and isinstance(ext.get("full_text"), str):
        return str(ext["full_text"])
    for key in ("full_text", "text"):
        if isinstance(tweet.get(key), str):
            return str(tweet[key])
    return None


def _point(tweet: dict[str, Any]) -> tuple[float | None, float | None]:
    """(lat, lon) from ``coordinates`` (GeoJSON ``[lon, lat]``), else ``geo`` (``[lat, lon]``)."""
    coords = tweet.get("coordinates")
    if isinstance(coords, dict) and isinstance(coords.get("coordinates"), list):
        lon, lat = coords["coordinates"][:2]
        return float(lat), float(lon)
    geo = tweet.get("geo")
    if isinstance(geo, dict) and isinstance(geo.get("coordinates"), list):
        lat, lon = geo["coordinates"][:2]
        return float(lat), float(lon)
    return None, None


def _user_url(user: dict[str, Any]) -> str | None:
    urls = _dict(_dict(user.get("entities")).get("url")).get("urls") or []
    for u in urls:
        if isinstance(u, dict) and u.get("expanded_url"):
            return str(u["expanded_url"])
    return _str(user.get("url"))


def _map_user(
    user: dict[str, Any], prov: Provenance, observed_at: datetime | None, items: list[Record]
) -> str:
    account_id = str(user["id_str"])
    followers = _int(user.get("followers_count"))
    following = _int(user.get("friends_count"))
    posts_count = _int(user.get("statuses_count"))
    items.append(
        Account(
            platform="x",
            native_id=account_id,
            handle=_str(user.get("screen_name")),
            display_name=_str(user.get("name")),
            bio=_str(user.get("description")),
            location=_str(user.get("location")),
            url=_user_url(user),
            lang=_str(user.get("lang")),
            created_at=parse_v1_time(user.get("created_at")),
            observed_at=observed_at,
            followers=followers,
            following=following,
            posts_count=posts_count,
            avatar_url=_str(user.get("profile_image_url_https") or user.get("profile_image_url")),
            is_verified=user.get("verified") if isinstance(user.get("verified"), bool) else None,
            is_protected=user.get("protected") if isinstance(user.get("protected"), bool) else None,
            provenance=prov,
        )
    )
    if observed_at is not None:
        items.append(
            Snapshot(
                platform="x",
                account_id=account_id,
                observed_at=observed_at,
                followers=followers,
                following=following,
                posts_count=posts_count,
                listed=_int(user.get("listed_count")),
                provenance=prov,
            )
        )
    return account_id


def _map_tweet(
    tweet: dict[str, Any],
    prov: Provenance,
    observed_at: datetime | None,
    items: list[Record],
    seen: set[str],
    depth: int,
) -> tuple[str, str | None]:
    """Append the records of *tweet* (and its embedded tweets); return (post id, author id)."""
    post_id = str(tweet["id_str"])
    user = tweet.get("user")
    if isinstance(user, dict) and not user.get("id_str"):
        raise ValueError(f"the user of tweet {post_id} has no id_str")
    author = str(user["id_str"]) if isinstance(user, dict) else None
    if post_id in seen:
        return post_id, author
    seen.add(post_id)
    created_at = parse_v1_time(tweet.get("created_at"))
    if isinstance(user, dict):
        _map_user(user, prov, observed_at, items)

    embedded: dict[str, tuple[str, str | None]] = {}
    if depth < _MAX_DEPTH:
        for key in ("retweeted_status", "quoted_status"):
            inner = tweet.get(key)
            if isinstance(inner, dict) and "id_str" in inner:
                embedded[key] = _map_tweet(inner, prov, observed_at, items, seen, depth + 1)

    repost_of = embedded.get("retweeted_status")
    # a retweet of a quote carries the quote's quoted_status too: the retweeter quoted nothing
    quote_of_id = None if repost_of else _str(tweet.get("quoted_status_id_str"))
    if quote_of_id is None and not repost_of and "quoted_status" in embedded:
        quote_of_id = embedded["quoted_status"][0]
    reply_to_id = _str(tweet.get("in_reply_to_status_id_str"))
    reply_to_account = _str(tweet.get("in_reply_to_user_id_str"))
    if repost_of is not None:
        kind = PostKind.REPOST
    elif quote_of_id is not None or tweet.get("is_quote_status") is True:
        kind = PostKind.QUOTE
    elif reply_to_id is not None:
        kind = PostKind.REPLY
    else:
        kind = PostKind.POST

    entities = _entity_lists(tweet)
    hashtags = _unique([str(h.get("text", "")) for e in entities for h in e.get("hashtags") or []])
    mention_objs = [
        m for e in entities for m in e.get("user_mentions") or [] if isinstance(m, dict)
    ]
    mentions = _unique([str(m.get("screen_name") or "") for m in mention_objs])
    urls = _unique(
        [
            str(u.get("expanded_url") or u.get("url") or "")
            for e in entities
            for u in e.get("urls") or []
        ]
    )
    place = _dict(tweet.get("place"))
    lat, lon = _point(tweet)
    metrics = {k: int(tweet[k]) for k in _METRICS if isinstance(tweet.get(k), int)}

    items.append(
        Post(
            platform="x",
            native_id=post_id,
            account_id=author,
            created_at=created_at,
            text=_text(tweet),
            kind=kind,
            lang_platform=_str(tweet.get("lang")),
            client=client_from_source(tweet.get("source")),
            reply_to_id=reply_to_id,
            reply_to_account_id=reply_to_account,
            repost_of_id=repost_of[0] if repost_of else None,
            quote_of_id=quote_of_id,
            hashtags=hashtags,
            mentions=mentions,
            urls=urls,
            place_name=_str(place.get("full_name") or place.get("name")),
            country_code=_str(place.get("country_code")),
            lat=lat,
            lon=lon,
            withheld_in=tuple(str(c) for c in tweet.get("withheld_in_countries") or ()),
            metrics=metrics,
            provenance=prov,
        )
    )

    for m in _media_objects(tweet):
        media_id = _str(m.get("id_str")) or _str(m.get("id"))
        if media_id is None:
            continue
        duration = _dict(m.get("video_info")).get("duration_millis")
        items.append(
            Media(
                platform="x",
                native_id=media_id,
                post_id=post_id,
                kind=str(m.get("type") or "photo"),
                url=_str(m.get("media_url_https") or m.get("media_url")),
                duration_ms=_int(duration),
                provenance=prov,
            )
        )

    if author is not None:

        def edge(dst: str | None, kind: EdgeKind) -> None:
            if dst:
                items.append(Edge("x", author, dst, kind, post_id, created_at, prov))

        if repost_of is not None:
            edge(repost_of[1], EdgeKind.REPOSTS)
        if "quoted_status" in embedded and repost_of is None:
            edge(embedded["quoted_status"][1], EdgeKind.QUOTES)
        edge(reply_to_account, EdgeKind.REPLIES)
        if repost_of is None:
            for dst in _unique([str(m.get("id_str") or "") for m in mention_objs]):
                edge(dst, EdgeKind.MENTIONS)
    return post_id, author
