"""Telegram Desktop exports ("Machine-readable JSON"): one chat's or a whole account's.

Ingest adapter (first stage: ``exports -> ingest -> normalise -> store``).  It
reads the ``result.json`` that Telegram Desktop writes and the media files the
export put beside it, and yields one :class:`RawRecord` per chat header and per
message.  Two shapes of file are accepted:

* a single chat: ``{"name", "type", "id", "messages": [message, ...]}``;
* a full account export: ``{"about", "personal_information", ..., "chats":
  {"about", "list": [chat, ...]}, "left_chats": {"about", "list": [chat, ...]}}``
  whose chats have the single-chat shape.  Everything but the chats (contacts,
  sessions, profile pictures) is left alone: it is about the exporting person,
  not about what the chats show.

and two generations of message: the older one (2020: numeric or prefixed
``from_id``, ``actor_id``; ``text`` a string or an array of parts, each a string
or a ``{"type", "text"}`` object; ``date`` only) and the current one (``from_id``
like ``"user123"`` / ``"channel123"``, ``date_unixtime``, ``text_entities``,
``forwarded_from``, ``reactions``, ``edited_unixtime``, ``*_file_size``).

Mapping onto the model
----------------------

* **Chat -> Account**: ``native_id`` is the chat ``id`` as a string;
  ``kind`` CHANNEL for ``*_channel``, GROUP for ``*_group`` / ``*_supergroup``,
  USER for personal, bot and saved-messages chats (an unknown type is a CHANNEL
  or GROUP when its name says so, else a USER); ``display_name`` is ``name``.
  The header is its own raw record (``raw`` = the header fields as JSON).
* **Message -> Post**: ``native_id`` is ``"<chat id>/<message id>"`` -- message
  ids are only unique within a chat.  ``kind`` MESSAGE, or REPLY with
  ``reply_to_id`` ``"<chat id>/<reply_to_message_id>"`` (the chat of
  ``reply_to_peer_id`` when the reply points into another chat).
  ``reply_to_account_id`` stays empty: the message answered may be anywhere in
  the chat, and keeping every sender to look it up would grow with the file
  (a join on ``reply_to_id`` in the store gives it).
* **Sender rule** (``account_id``): in a channel every post belongs to the
  channel, so ``account_id`` is the chat id (the ``from`` of a channel post is
  the channel's name or an author signature, not an account).  In any other
  chat it is ``from_id`` reduced to its bare number: ``"user123"``,
  ``"channel123"``, ``"chat123"`` and ``123`` all become ``"123"`` -- the form
  chat ids take in exports, so a channel posting into a group is the same
  account as that channel's own chat.  Each such sender is an Account
  (``display_name`` = ``from``; kind USER, or CHANNEL / GROUP from the prefix),
  except when it is the chat itself (an anonymous group admin).
* **Time**: ``date_unixtime`` when present; else ``date``, which the export
  writes in the *exporting computer's local time* without an offset -- it is
  taken as UTC, so old exports may be off by that machine's UTC offset.
* **Text and entities**: ``text`` is the concatenation of its parts.  Hashtags
  (without ``#``), mentions (``mention`` without ``@``; ``mention_name`` as its
  ``user_id`` when given, else its text) and URLs (``link`` text,
  ``text_link`` ``href``) come from ``text_entities``, or from the typed parts
  of ``text`` in older exports.
* **Forwards**: ``forward_from_account_id`` is the bare ``forwarded_from_id``
  when the export has one, else the ``forwarded_from`` name; an Edge FORWARDS
  goes from the post's account to that source.  No Account is made for the
  source: the export gives only its name.
* **Metrics**: ``{"reactions": sum of counts}`` when the message has reactions,
  ``{"edited": 1}`` when it was edited (exports keep no earlier version, so no
  edit history exists; the edit time stays in the raw record).
* **Service messages** (``"type": "service"``: joins, pins, channel creation)
  make no Post; their raw record is kept with no items (not an error).
* **Media**: ``photo``, ``file`` and ``thumbnail`` (in that order, numbered
  ``n`` from 0) each become a Media with ``native_id``
  ``"<chat id>/<message id>/<n>"``.  Paths are relative to the directory of
  ``result.json``; an absolute path or one that leaves that directory (``..``,
  or a symlink pointing out) is never opened, and neither is a placeholder such
  as ``"(File not included. Change data exporting settings to download.)"``:
  the Media is kept with ``path`` None and no hashes.  A file that exists is
  streamed once for MD5, SHA-256 and size, and ``path`` is its absolute path.
  ``kind`` is ``photo`` for ``photo``, ``thumbnail`` for ``thumbnail``, and for
  ``file`` from ``media_type`` (``voice_message`` -> voice; ``video_file``,
  ``video_message``, ``animation`` -> video; ``audio_file`` -> audio;
  ``sticker`` -> photo, or video for ``video/*``), else ``document``.

Raw records, numbering and errors
---------------------------------

Records are numbered in file order: a chat header, then that chat's messages,
then the next chat.  ``raw`` is ``orjson.dumps(message)``; ``line_no`` is 0 (the
format is not line-oriented) and error reasons name the chat and the message's
index in its ``messages`` array and id: ``chat 42, message #12 (id 345):
missing date``.  A message with no id, no date or an unparsable date is an
error record and the others still land.  The header fields must come before
``messages`` (Telegram writes them so); if they do not, the chat's messages are
error records saying so, their raw bytes kept.  The file is read as a stream
with ijson, one message at a time, so memory does not grow with the export;
invalid JSON raises :class:`~marsad.errors.UnreadableFile` with the position.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import ijson
import orjson

from marsad.codec import parse_time
from marsad.errors import MalformedRecord, UnreadableFile
from marsad.hashing.signals import hash_file
from marsad.ingest.base import IngestAdapter, RawRecord, Span, open_bytes
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
)

__all__ = ["TelegramExportAdapter"]

#: chat "type" values Telegram Desktop writes -> account kind
CHAT_KINDS: dict[str, AccountKind] = {
    "personal_chat": AccountKind.USER,
    "bot_chat": AccountKind.USER,
    "saved_messages": AccountKind.USER,
    "private_group": AccountKind.GROUP,
    "private_supergroup": AccountKind.GROUP,
    "public_supergroup": AccountKind.GROUP,
    "private_channel": AccountKind.CHANNEL,
    "public_channel": AccountKind.CHANNEL,
}
_CHAT_TYPE_RE = re.compile(rb'"type"\s*:\s*"(' + b"|".join(k.encode() for k in CHAT_KINDS) + rb')"')
_CHATS_RE = re.compile(rb'"chats"\s*:\s*\{\s*"about"|"chats"\s*:\s*\{\s*"list"')
_PEER_RE = re.compile(r"(user|channel|chat|group)?(-?\d+)")
_PEER_KINDS = {"channel": AccountKind.CHANNEL, "chat": AccountKind.GROUP}
#: prefixes (ijson's dotted paths) of the chat objects of a full export
_CHAT_LISTS = ("chats.list.item", "left_chats.list.item")
_SCALARS = frozenset({"string", "number", "boolean", "null"})
_MEDIA_KEYS = ("photo", "file", "thumbnail")
_MEDIA_TYPES = {
    "voice_message": "voice",
    "video_file": "video",
    "video_message": "video",
    "animation": "video",
    "audio_file": "audio",
}


@dataclass
class _Chat:
    """What the walker knows of the chat it is inside."""

    prefix: str
    number: int
    header: dict[str, Any] = field(default_factory=dict)
    key: str | None = None
    emitted: bool = False
    messages: int = 0

    @property
    def id(self) -> str | None:
        value = self.header.get("id")
        if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
            return None
        return str(value)

    @property
    def label(self) -> str:
        return f"chat {self.id}" if self.id else f"chat #{self.number}"


@dataclass
class _Event:
    """One raw record found by the walker: a chat header or a message."""

    chat: _Chat
    index: int  # -1 for the header, else the message's index in ``messages``
    value: Any = None  # the built message (None when skipped before ``start``)


class TelegramExportAdapter(IngestAdapter):
    name = "telegram"
    version = "2"  # 2: pictures carry their PDQ hash
    platform = "telegram"
    description = (
        "Telegram Desktop JSON export (result.json): one chat or a full account export, "
        "2020 and current formats, media hashed from the export folder"
    )

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not text.startswith(b"{"):
            return 0.0
        if b'"messages"' in text and _CHAT_TYPE_RE.search(text):
            return 0.95
        if _CHATS_RE.search(text):
            return 0.9
        if b'"personal_information"' in text:
            return 0.8  # a full export whose chats start beyond the head
        return 0.0

    def records(
        self, path: Path, source_id: str, start: int = 0, span: Span | None = None
    ) -> Iterator[RawRecord]:
        base = path.resolve().parent
        for record_no, event in enumerate(_walk(path, start)):
            if record_no < start:
                continue
            prov = self.provenance(source_id, record_no)
            if event.index < 0:
                yield _header_record(event.chat, record_no, prov)
            else:
                yield _message_record(event, record_no, prov, base)

    @classmethod
    def examples(cls) -> list[tuple[str, bytes]]:
        messages = [
            {
                "id": 1,
                "type": "service",
                "date": "2024-01-05T09:00:00",
                "date_unixtime": "1704445200",
                "actor": "Example Notices",
                "actor_id": "channel1001",
                "action": "create_channel",
                "title": "Example Notices",
                "text": "",
                "text_entities": [],
            },
            {
                "id": 2,
                "type": "message",
                "date": "2024-01-05T09:05:00",
                "date_unixtime": "1704445500",
                "from": "Example Notices",
                "from_id": "channel1001",
                "text": ["community notice 1 ", {"type": "hashtag", "text": "#notice"}],
                "text_entities": [
                    {"type": "plain", "text": "community notice 1 "},
                    {"type": "hashtag", "text": "#notice"},
                ],
                "reactions": [{"type": "emoji", "count": 2, "emoji": "\U0001f44d"}],
            },
        ]
        single = {"name": "Example Notices", "type": "public_channel", "id": 1001}
        single["messages"] = messages
        group = {
            "name": "Example Garden Club",
            "type": "private_supergroup",
            "id": 2002,
            "messages": [
                {
                    "id": 7,
                    "type": "message",
                    "date": "2024-02-01T10:00:00",
                    "date_unixtime": "1706781600",
                    "from": "Member A",
                    "from_id": "user3003",
                    "text": "meeting moved to friday",
                    "text_entities": [{"type": "plain", "text": "meeting moved to friday"}],
                }
            ],
        }
        full = {
            "about": "Here is the data you requested.",
            "personal_information": {"user_id": 9009, "first_name": "Example"},
            "chats": {"about": "This page lists all chats.", "list": [group]},
            "left_chats": {"about": "This page lists all chats you left.", "list": []},
        }
        opts = orjson.OPT_INDENT_2
        return [
            ("result.json", orjson.dumps(single, option=opts)),
            ("full_export/result.json", orjson.dumps(full, option=opts)),
        ]


# -- reading: the export as a stream of chat headers and messages ----------------


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _walk(path: Path, start: int) -> Iterator[_Event]:
    """Chat headers and messages in file order, one message in memory at a time.

    Messages numbered (as raw records) below *start* are counted, not built.
    """
    with open_bytes(path) as fh:
        try:
            yield from _walk_events(path, ijson.parse(fh, use_float=True), start)
        except (ijson.JSONError, UnicodeDecodeError, ValueError) as exc:
            try:
                where = f" (near byte {fh.tell()})"
            except (OSError, ValueError):
                where = ""
            reason = _json_error(exc)
            raise UnreadableFile(f"{path}: not valid JSON{where}: {reason}") from exc
        except (OSError, EOFError) as exc:
            raise UnreadableFile(f"{path}: read failed: {exc}") from exc


def _json_error(exc: Exception) -> str:
    """ijson's reason on one line (yajl draws the position under a snippet)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    if len(lines) > 1 and not lines[1].startswith("(right here)"):
        return f"{lines[0]} at {lines[1][:60]!r}"
    return lines[0]


def _walk_events(
    path: Path, events: Iterator[tuple[str, str, Any]], start: int
) -> Iterator[_Event]:
    top: _Chat | None = None
    chat: _Chat | None = None  # the current chat of a full export's lists
    full = False  # the top object is a full account export
    chats = 0
    found = 0  # raw records found so far
    depth = 0  # > 0 while inside a value being built or skipped
    builder: Any = None
    building: _Chat | None = None  # the chat whose message is being built
    for prefix, event, value in events:
        if depth:
            if builder is not None:
                builder.event(event, value)
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
            if depth == 0 and building is not None:
                yield _Event(building, building.messages - 1, builder.value if builder else None)
                builder, building = None, None
            continue
        if top is None:
            if event != "start_map":
                raise UnreadableFile(
                    f"{path}: not a Telegram export: the file holds a JSON {event.split('_')[-1]}, "
                    "not the object Telegram Desktop writes"
                )
            top = _Chat("", 0)
            continue
        if event == "start_map" and prefix in _CHAT_LISTS:
            chats += 1
            chat = _Chat(prefix, chats)
            continue
        cur = chat if chat is not None else top
        if event == "map_key" and prefix == cur.prefix:
            cur.key = value
            full = full or (cur is top and value in ("chats", "left_chats"))
            if value == "messages" and not cur.emitted:
                cur.emitted = True
                if cur is top:
                    chats += 1
                    top.number = chats
                found += 1
                yield _Event(cur, -1)
            continue
        if event == "end_map" and prefix == cur.prefix:
            if not cur.emitted and (cur is chat or cur.header.get("type") in CHAT_KINDS):
                cur.emitted = True
                found += 1
                yield _Event(cur, -1)
            if cur is chat:
                chat = None
            elif found == 0 and not full:
                raise UnreadableFile(
                    f"{path}: not a Telegram export: no chat found (expected a 'messages' array "
                    "or a 'chats' list)"
                )
            continue
        if cur.key is None:
            continue
        child = _join(cur.prefix, cur.key)
        if prefix == _join(child, "item") and cur.key == "messages":
            cur.messages += 1
            found += 1
            if event in _SCALARS:
                yield _Event(cur, cur.messages - 1, value)
                continue
            building, depth = cur, 1
            if found > start:
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
            continue
        if prefix != child:
            continue
        if event in _SCALARS:
            cur.header[cur.key] = value
        elif event in ("start_map", "start_array"):
            descend = cur is top and cur.key in ("chats", "left_chats") and event == "start_map"
            if not (descend or (cur.key == "messages" and event == "start_array")):
                depth = 1  # a value the adapter does not read (contacts, sessions...)


# -- mapping: raw records -> model records ------------------------------------------


def _header_record(chat: _Chat, record_no: int, prov: Provenance) -> RawRecord:
    raw = orjson.dumps(chat.header)
    chat_id = chat.id
    if chat_id is None:
        return RawRecord(
            record_no,
            0,
            raw,
            error=f"{chat.label}: no chat id before its messages (the export must give "
            "'id' before 'messages'; re-export with Telegram Desktop)",
        )
    chat_type = chat.header.get("type")
    name = chat.header.get("name")
    account = Account(
        platform=TelegramExportAdapter.platform,
        native_id=chat_id,
        display_name=name if isinstance(name, str) and name else None,
        kind=_chat_kind(chat_type if isinstance(chat_type, str) else ""),
        provenance=prov,
    )
    return RawRecord(record_no, 0, raw, [account])


def _chat_kind(chat_type: str) -> AccountKind:
    if chat_type in CHAT_KINDS:
        return CHAT_KINDS[chat_type]
    if "channel" in chat_type:
        return AccountKind.CHANNEL
    if "group" in chat_type:
        return AccountKind.GROUP
    return AccountKind.USER


def _message_record(event: _Event, record_no: int, prov: Provenance, base: Path) -> RawRecord:
    chat, msg = event.chat, event.value
    try:
        raw = orjson.dumps(msg)
    except (TypeError, orjson.JSONEncodeError):  # pragma: no cover - ijson builds plain JSON
        raw = repr(msg).encode()
    try:
        return RawRecord(record_no, 0, raw, _map_message(chat, msg, prov, base))
    except MalformedRecord as exc:
        reason = exc.reason
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
        reason = f"unexpected value: {exc}"
    msg_id = msg.get("id") if isinstance(msg, dict) else None
    where = f"{chat.label}, message #{event.index}"
    if msg_id is not None:
        where += f" (id {msg_id})"
    return RawRecord(record_no, 0, raw, error=f"{where}: {reason}")


def _map_message(chat: _Chat, msg: Any, prov: Provenance, base: Path) -> list[Record]:
    if not isinstance(msg, dict):
        raise MalformedRecord(f"expected a JSON object, got {type(msg).__name__}")
    chat_id = chat.id
    if chat_id is None:
        raise MalformedRecord(
            "the chat's id is missing or comes after its messages; cannot name this message"
        )
    msg_id = msg.get("id")
    if isinstance(msg_id, bool) or not isinstance(msg_id, int | str) or msg_id == "":
        raise MalformedRecord("missing id")
    if msg.get("type", "message") == "service":
        return []
    created_at = _message_time(msg)
    platform = TelegramExportAdapter.platform
    post_id = f"{chat_id}/{msg_id}"
    items: list[Record] = []

    chat_type = chat.header.get("type")
    is_channel = _chat_kind(chat_type if isinstance(chat_type, str) else "") is AccountKind.CHANNEL
    peer = _peer(msg.get("from_id"))
    account_id: str | None
    if is_channel:
        account_id = chat_id
    elif peer is not None:
        account_id = peer[1]
        sender = msg.get("from")
        if account_id != chat_id:
            items.append(
                Account(
                    platform=platform,
                    native_id=account_id,
                    display_name=sender if isinstance(sender, str) and sender else None,
                    kind=_PEER_KINDS.get(peer[0], AccountKind.USER),
                    provenance=prov,
                )
            )
    else:
        account_id = None

    text, hashtags, mentions, urls = _text_and_entities(msg)
    kind = PostKind.MESSAGE
    reply_to_id = None
    reply = msg.get("reply_to_message_id")
    if reply is not None and not isinstance(reply, bool):
        kind = PostKind.REPLY
        reply_peer = _peer(msg.get("reply_to_peer_id"))
        reply_to_id = f"{reply_peer[1] if reply_peer else chat_id}/{reply}"

    forward_from = None
    fwd_peer = _peer(msg.get("forwarded_from_id"))
    fwd_name = msg.get("forwarded_from")
    if fwd_peer is not None:
        forward_from = fwd_peer[1]
    elif isinstance(fwd_name, str) and fwd_name:
        forward_from = fwd_name

    metrics: dict[str, int] = {}
    reactions = msg.get("reactions")
    if isinstance(reactions, list):
        metrics["reactions"] = sum(
            r["count"] for r in reactions if isinstance(r, dict) and isinstance(r.get("count"), int)
        )
    if msg.get("edited") or msg.get("edited_unixtime"):
        metrics["edited"] = 1

    items.append(
        Post(
            platform=platform,
            native_id=post_id,
            account_id=account_id,
            created_at=created_at,
            text=text or None,
            kind=kind,
            reply_to_id=reply_to_id,
            forward_from_account_id=forward_from,
            hashtags=hashtags,
            mentions=mentions,
            urls=urls,
            metrics=metrics,
            provenance=prov,
        )
    )
    if forward_from is not None:
        items.append(
            Edge(
                platform=platform,
                src_id=account_id or chat_id,
                dst_id=forward_from,
                kind=EdgeKind.FORWARDS,
                post_id=post_id,
                created_at=created_at,
                provenance=prov,
            )
        )
    items.extend(_media(msg, post_id, prov, base))
    return items


def _message_time(msg: dict[str, Any]) -> datetime:
    unix = msg.get("date_unixtime")
    if unix is not None and unix != "":
        try:
            parsed = parse_time(int(unix))
        except (TypeError, ValueError, OverflowError, OSError) as exc:
            raise MalformedRecord(f"unparsable date_unixtime {unix!r}") from exc
    else:
        date = msg.get("date")
        if date is None or date == "":
            raise MalformedRecord("missing date")
        try:
            # local time of the exporting machine, without an offset: taken as UTC
            parsed = parse_time(date) if isinstance(date, str) else None
        except ValueError as exc:
            raise MalformedRecord(f"unparsable date {date!r}") from exc
        if parsed is None:
            raise MalformedRecord(f"unparsable date {date!r}")
    assert parsed is not None
    return parsed


def _peer(value: Any) -> tuple[str, str] | None:
    """``(prefix, bare id)`` of a ``from_id``-like value: ``"user12"`` -> ``("user", "12")``."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    if isinstance(value, int):
        return "", str(value)
    if not isinstance(value, str):
        return None
    m = _PEER_RE.fullmatch(value)
    if m is None:
        return "", value
    return m.group(1) or "", m.group(2)


def _text_and_entities(
    msg: dict[str, Any],
) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    text = msg.get("text", "")
    parts: list[Any]
    if isinstance(text, str):
        parts = [text]
    elif isinstance(text, list):
        parts = text
    else:
        raise MalformedRecord(f"text is neither a string nor a list of parts: {text!r}")
    joined = "".join(
        p if isinstance(p, str) else str(p.get("text", "")) if isinstance(p, dict) else ""
        for p in parts
    )
    entities = msg.get("text_entities")
    typed = entities if isinstance(entities, list) else [p for p in parts if isinstance(p, dict)]
    hashtags: list[str] = []
    mentions: list[str] = []
    urls: list[str] = []
    for ent in typed:
        if not isinstance(ent, dict):
            continue
        etype, etext = ent.get("type"), ent.get("text")
        etext = etext if isinstance(etext, str) else ""
        if etype == "hashtag" and etext.strip("#"):
            hashtags.append(etext.lstrip("#"))
        elif etype == "mention" and etext.strip("@"):
            mentions.append(etext.lstrip("@"))
        elif etype == "mention_name":
            user_id = ent.get("user_id")
            if isinstance(user_id, int | str) and not isinstance(user_id, bool) and user_id != "":
                mentions.append(str(user_id))
            elif etext:
                mentions.append(etext)
        elif etype == "link" and etext:
            urls.append(etext)
        elif etype == "text_link" and isinstance(ent.get("href"), str) and ent["href"]:
            urls.append(ent["href"])
    return joined, _unique(hashtags), _unique(mentions), _unique(urls)


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _media(msg: dict[str, Any], post_id: str, prov: Provenance, base: Path) -> list[Media]:
    out: list[Media] = []
    for key in _MEDIA_KEYS:
        rel = msg.get(key)
        if not isinstance(rel, str) or not rel:
            continue
        n = len(out)
        mime = msg.get("mime_type") if key == "file" else None
        mime = mime if isinstance(mime, str) and mime else None
        kind = _media_kind(key, msg.get("media_type"), mime)
        size = msg.get("file_size" if key == "file" else f"{key}_file_size")
        path, size_bytes, md5, sha256 = None, size if _is_int(size) else None, None, None
        pdq = None
        local = _local_file(base, rel)
        if local is not None:
            try:
                hashes = hash_file(local, pdq=kind in ("photo", "thumbnail", "document"))
            except UnreadableFile:
                pass  # unreadable media: keep the Media without hashes
            else:
                size_bytes, md5, sha256 = hashes.size, hashes.md5, hashes.sha256
                path = str(local)
                # a picture's PDQ when it can be matched on (quality >= 50)
                if hashes.pdq is not None and hashes.pdq.matchable:
                    pdq = hashes.pdq.hex
        duration = msg.get("duration_seconds") if key == "file" else None
        duration_ms = None
        if isinstance(duration, int | float) and not isinstance(duration, bool):
            duration_ms = round(duration * 1000)
        width = msg.get("width") if key != "thumbnail" else None
        height = msg.get("height") if key != "thumbnail" else None
        out.append(
            Media(
                platform=TelegramExportAdapter.platform,
                native_id=f"{post_id}/{n}",
                post_id=post_id,
                kind=kind,
                path=path,
                mime_type=mime,
                size_bytes=size_bytes,
                width=width if _is_int(width) else None,
                height=height if _is_int(height) else None,
                duration_ms=duration_ms,
                md5=md5,
                sha256=sha256,
                pdq=pdq,
                provenance=prov,
            )
        )
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _media_kind(key: str, media_type: Any, mime: str | None) -> str:
    if key == "photo":
        return "photo"
    if key == "thumbnail":
        return "thumbnail"
    if isinstance(media_type, str):
        if media_type in _MEDIA_TYPES:
            return _MEDIA_TYPES[media_type]
        if media_type == "sticker":
            return "video" if mime and mime.startswith("video/") else "photo"
    return "document"


def _local_file(base: Path, rel: str) -> Path | None:
    """The file *rel* names inside the export directory *base*, or None if it may not be read.

    Placeholders (``"(File not included...)"``), absolute paths, ``..`` and
    symlinks leading out of *base* are refused; so is a path with no file.
    """
    if rel.startswith("(") and rel.endswith(")"):
        return None
    for pure in (PurePosixPath(rel), PureWindowsPath(rel)):
        if pure.is_absolute() or pure.drive or pure.root or ".." in pure.parts:
            return None
    try:
        resolved = (base / rel).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if not resolved.is_relative_to(base) or not resolved.is_file():
        return None
    return resolved
