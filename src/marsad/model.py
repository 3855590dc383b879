"""The data model: one set of records for every platform.

Sits at the centre of the flow (``ingest -> normalise -> store -> ...``): ingest
adapters produce these records, the enrichment step fills their derived fields
(normalised text, hashtags, URLs, language, client), the store persists them,
and every later stage reads them back.  This module does no I/O.

Every record is keyed by ``(platform, native_id)`` -- the identifier the
platform itself uses -- so the same tweet seen in two exports is one row.
Every record also carries a :class:`Provenance`: the source file, the adapter
and its version, and the number of the raw record it came from.  The raw record
itself is kept by the store (``raw_records``), so nothing a platform exported is
ever lost even when the model has no field for it.

Times are timezone-aware UTC ``datetime`` values, named ``*_at``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "BOOL_FIELDS",
    "FLOAT_FIELDS",
    "INT_FIELDS",
    "LIST_FIELDS",
    "SCHEMA_RECORDS",
    "TIME_FIELDS",
    "Account",
    "AccountKind",
    "AccountStatus",
    "Detection",
    "Edge",
    "EdgeKind",
    "Media",
    "Post",
    "PostKind",
    "Provenance",
    "Record",
    "Snapshot",
    "StatusEvent",
]


#: record fields by kind of value, for codecs and stores (one list for all of them)
TIME_FIELDS = frozenset({"created_at", "observed_at"})
FLOAT_FIELDS = frozenset({"lat", "lon", "lang_score"})
BOOL_FIELDS = frozenset({"is_verified", "is_protected"})
LIST_FIELDS = frozenset({"hashtags", "mentions", "urls", "domains", "withheld_in"})
INT_FIELDS = frozenset(
    {
        "followers",
        "following",
        "posts_count",
        "listed",
        "edit_seq",
        "size_bytes",
        "width",
        "height",
        "duration_ms",
    }
)


class AccountStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"
    PROTECTED = "protected"
    UNKNOWN = "unknown"


class AccountKind(StrEnum):
    USER = "user"
    CHANNEL = "channel"
    GROUP = "group"
    PAGE = "page"


class PostKind(StrEnum):
    POST = "post"
    REPOST = "repost"
    QUOTE = "quote"
    REPLY = "reply"
    MESSAGE = "message"
    VIDEO = "video"
    COMMENT = "comment"


class EdgeKind(StrEnum):
    FOLLOWS = "follows"
    REPOSTS = "reposts"
    QUOTES = "quotes"
    REPLIES = "replies"
    MENTIONS = "mentions"
    FORWARDS = "forwards"
    SHARES_LINK = "shares_link"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a record came from: source file id, adapter, and raw record number.

    ``source_id`` is the SHA-256 of the source file's bytes (so the same file
    under another name is the same source); ``record_no`` numbers the raw
    records of that file from 0 and ``line_no`` is the 1-based line where the
    raw record starts when the format is line-oriented (0 when it is not).
    """

    source_id: str
    adapter: str
    adapter_version: str
    record_no: int
    line_no: int = 0


@dataclass(frozen=True, slots=True)
class Account:
    platform: str
    native_id: str
    handle: str | None = None
    display_name: str | None = None
    bio: str | None = None
    location: str | None = None
    url: str | None = None
    lang: str | None = None
    kind: AccountKind = AccountKind.USER
    created_at: datetime | None = None
    observed_at: datetime | None = None
    followers: int | None = None
    following: int | None = None
    posts_count: int | None = None
    avatar_url: str | None = None
    avatar_hash: str | None = None
    is_verified: bool | None = None
    is_protected: bool | None = None
    status: AccountStatus = AccountStatus.UNKNOWN
    provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An account's counts observed at a time; census figures come from these."""

    platform: str
    account_id: str
    observed_at: datetime
    followers: int | None = None
    following: int | None = None
    posts_count: int | None = None
    listed: int | None = None
    provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """An observed account status (suspended, deleted, restored ...) with its evidence."""

    platform: str
    account_id: str
    status: AccountStatus
    observed_at: datetime
    evidence: str = ""
    provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class Post:
    """A tweet, message, video or comment.

    ``edit_root_id`` / ``edit_seq`` place the post in its edit history (X keeps
    every version under its own id; the current version is the highest
    ``edit_seq`` of a root).  ``hashtags``, ``mentions`` and ``urls`` hold what
    the platform's entities said; the enrichment step adds what the text shows
    and fills ``text_norm``, ``domains`` and ``lang``.
    """

    platform: str
    native_id: str
    account_id: str | None = None
    created_at: datetime | None = None
    text: str | None = None
    kind: PostKind = PostKind.POST
    lang_platform: str | None = None
    lang: str | None = None
    lang_score: float | None = None
    text_norm: str | None = None
    client: str | None = None
    reply_to_id: str | None = None
    reply_to_account_id: str | None = None
    repost_of_id: str | None = None
    quote_of_id: str | None = None
    forward_from_account_id: str | None = None
    forward_from_post_id: str | None = None
    conversation_id: str | None = None
    edit_root_id: str | None = None
    edit_seq: int = 0
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    place_name: str | None = None
    country_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    withheld_in: tuple[str, ...] = ()
    metrics: dict[str, int] = field(default_factory=dict)
    provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class Media:
    """A photo, video, document or voice note; hashes only unless bytes are asked for."""

    platform: str
    native_id: str
    post_id: str | None = None
    kind: str = "photo"
    url: str | None = None
    path: str | None = None
    mime_type: str | None = None
    size_bytes: int | None = None
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    md5: str | None = None
    sha256: str | None = None
    pdq: str | None = None
    vpdq: str | None = None  # video PDQ (the video extra)
    provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    """An interaction between two accounts, optionally through a post."""

    platform: str
    src_id: str
    dst_id: str
    kind: EdgeKind
    post_id: str = ""
    created_at: datetime | None = None
    provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class Detection:
    """A detector's score for a post, account or media item. Never a decision."""

    detector: str
    detector_version: str
    target_kind: str
    platform: str
    target_id: str
    score: float
    evidence: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


Record = Account | Snapshot | StatusEvent | Post | Media | Edge

#: record type -> store table, in the order the store writes them
SCHEMA_RECORDS: dict[type, str] = {
    Account: "accounts",
    Snapshot: "snapshots",
    StatusEvent: "status_events",
    Post: "posts",
    Media: "media",
    Edge: "edges",
}


def replace(record: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` re-exported with a loose type for adapters."""
    return dataclasses.replace(record, **changes)
