"""X API v2 responses as twarc2 writes them: one JSON object per line.

Ingest adapter (first stage of the flow, ``exports -> ingest -> ...``).  Each
non-blank line is one raw record (blank lines get no record number) and is one
of:

* a **page** ``{"data", "includes", "errors", "meta", "__twarc"}`` -- ``data``
  is a list of tweets or of users (users lookup), or a single tweet in
  streaming output (with ``matching_rules``);
* a **flattened tweet** (``twarc2 flatten``): a tweet with ``author``,
  ``in_reply_to_user``, expanded mentions, media and ``referenced_tweets``
  (themselves expanded, recursively) inline, and its own ``__twarc``;
* a flattened user (``username`` at the top level);
* a **compliance** result ``{"id", "action", "reason", "created_at"}``;
* counts or lists pages -- kept raw, mapped to nothing.

Mapping onto :mod:`marsad.model` (platform ``"x"``):

* every tweet object (``data``, ``includes.tweets``, flattened and referenced
  tweets) -> :class:`~marsad.model.Post`.  Kind: repost if it references a
  ``retweeted`` tweet, else quote (``quoted``), else reply (``replied_to``),
  else post; all three reference ids are kept whatever the kind.  Hashtags,
  mentions (usernames) and URLs (``unwound_url``, else ``expanded_url``, else
  ``url``) come from ``entities``; the place from ``includes.places`` through
  ``geo.place_id`` (or the flattened ``geo``); ``geo.coordinates`` is GeoJSON
  ``[lon, lat]``; ``withheld.country_codes`` -> ``withheld_in``;
  ``public_metrics`` -> ``metrics``; ``edit_history_tweet_ids`` ->
  ``edit_root_id`` (its first id) and ``edit_seq`` (this id's index in it), so
  every version of an edited tweet is kept and the highest ``edit_seq`` is the
  current one.
* every user object (``includes.users``, users-lookup ``data``, flattened
  ``author`` / ``in_reply_to_user`` / expanded mentions) ->
  :class:`~marsad.model.Account` observed at ``__twarc.retrieved_at`` and,
  when that time and the counts are known, a :class:`~marsad.model.Snapshot`.
* ``includes.media`` (or flattened ``attachments.media``) ->
  :class:`~marsad.model.Media` attached to the tweet whose
  ``attachments.media_keys`` lists it (an original rather than a retweet).
* :class:`~marsad.model.Edge` s from the tweet's author: REPOSTS / QUOTES to
  the referenced tweet's author (when the line shows it), REPLIES to
  ``in_reply_to_user_id``, MENTIONS to each mentioned id (resolved through
  ``includes.users`` when the entity has no id).  A retweet gets no MENTIONS
  edges: its mentions are the original's (same rule as the v1.1 adapter).
* a followers / following page (``__twarc.url`` ``/2/users/<id>/followers``
  or ``/following``) -> FOLLOWS edges, follower -> followed, with no time (X
  does not say when a follow began).
* ``errors`` that say a *user* is suspended (``detail`` "User has been
  suspended: [...]") or, looked up by id, not found (title ``Not Found
  Error``; a username not found may only have been renamed) ->
  :class:`~marsad.model.StatusEvent` suspended / deleted, observed at
  ``retrieved_at``, evidence = the error detail.  When the error names the user
  by username (``entities.mentions.username``) the id is looked up in the
  line's mention entities and users; an unresolvable one maps to nothing.  A
  minimal Account (id + handle) is added for such users, so a suspended
  account keeps its handle.  Errors about tweets (missing referenced or pinned
  tweets) are not statuses; they stay in the raw record only.
* **compliance** lines: X's batch-compliance results carry no field saying
  whether the ids are tweets or users.  The adapter's ``compliance`` option
  says so; by default a file whose name contains ``user`` is user compliance,
  any other is tweet compliance.  User compliance with reason suspended /
  deactivated / deleted / protected -> StatusEvent suspended / deleted /
  deleted / protected, observed at ``redacted_at`` when present, else at
  ``created_at``.  Note ``created_at`` is when the *account* was created (the
  compliance file gives no time for the event), so that observed time is only a
  lower bound.  Tweet compliance maps to nothing (the raw line is kept).

A line that is not JSON, or a JSON value that is not an X API v2 object, is a
bad record with its line number; a structurally broken object (wrong types
where the API has objects, a bad time) is quarantined whole with the reason.
Strings, integers and booleans are type-checked field by field on the way, so
odd input can never reach the store with the wrong types.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from marsad.errors import ConfigError
from marsad.ingest._twitter_common import client_name, parse_x_time
from marsad.ingest.base import IngestAdapter, RawRecord, Span, iter_lines
from marsad.model import (
    Account,
    AccountStatus,
    Edge,
    EdgeKind,
    Media,
    Post,
    PostKind,
    Provenance,
    Record,
    Snapshot,
    StatusEvent,
)

__all__ = ["TwitterV2Adapter"]

PLATFORM = "x"

#: user-compliance reason -> status (X batch compliance "reason" values)
_COMPLIANCE_STATUS = {
    "suspended": AccountStatus.SUSPENDED,
    "deactivated": AccountStatus.DELETED,
    "deleted": AccountStatus.DELETED,
    "protected": AccountStatus.PROTECTED,
}
#: what a malformed-but-JSON object can raise while it is mapped
_MAP_ERRORS = (
    AttributeError,
    KeyError,
    TypeError,
    ValueError,
    IndexError,
    OverflowError,
    RecursionError,
)

_REPOST, _QUOTE, _REPLY, _POST = PostKind.REPOST, PostKind.QUOTE, PostKind.REPLY, PostKind.POST
_E_REPOSTS, _E_QUOTES = EdgeKind.REPOSTS, EdgeKind.QUOTES
_E_REPLIES, _E_MENTIONS = EdgeKind.REPLIES, EdgeKind.MENTIONS


def _s(value: Any) -> str | None:
    """A string field: strings as they are, numbers as text, anything else None."""
    if value.__class__ is str:
        return value  # type: ignore[no-any-return]
    if value is None or value.__class__ in (dict, list, bool):
        return None
    return str(value)


def _i(value: Any) -> int | None:
    return value if value.__class__ is int else None


def _b(value: Any) -> bool | None:
    return value if value.__class__ is bool else None


def _strs(values: Any) -> tuple[str, ...]:
    if not values:
        return ()
    out = tuple(v for v in values if v.__class__ is str)
    return out if len(out) < 2 else tuple(dict.fromkeys(out))


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(values) if len(values) < 2 else tuple(dict.fromkeys(values))


class _Line:
    """Maps the objects of one line to records (state: what it has already emitted)."""

    __slots__ = (
        "_by_name",
        "accounts",
        "flat",
        "items",
        "media",
        "media_owner",
        "observed_at",
        "places",
        "posts",
        "prov",
        "ref_authors",
        "repost_media_owner",
        "users",
    )

    def __init__(self, prov: Provenance, observed_at: datetime | None, flat: bool) -> None:
        self.prov = prov
        self.observed_at = observed_at
        self.flat = flat
        self.items: list[Record] = []
        self.posts: set[str] = set()
        self.accounts: set[str] = set()
        self.places: dict[str, Any] = {}
        self.ref_authors: dict[str, str] = {}
        self.media_owner: dict[str, str] = {}
        self.repost_media_owner: dict[str, str] = {}
        #: media objects by key, emitted by finish() once every owner is known
        self.media: dict[str, dict[str, Any]] = {}
        #: the line's user objects, for resolving usernames to ids
        self.users: list[Any] = []
        self._by_name: dict[str, str] | None = None

    # -- users ---------------------------------------------------------------
    def user(self, u: dict[str, Any]) -> None:
        uid = _s(u.get("id"))
        if uid is None or uid in self.accounts or "username" not in u:
            return
        self.accounts.add(uid)
        pm = u.get("public_metrics") or {}
        followers = _i(pm.get("followers_count"))
        following = _i(pm.get("following_count"))
        posts_count = _i(pm.get("tweet_count"))
        url = _s(u.get("url"))
        if url:
            ent = u.get("entities")
            if ent:
                eu = (ent.get("url") or {}).get("urls")
                if eu:
                    url = _s(eu[0].get("expanded_url")) or url
        prov, observed = self.prov, self.observed_at
        self.items.append(
            Account(
                PLATFORM,
                uid,
                handle=_s(u.get("username")),
                display_name=_s(u.get("name")),
                bio=_s(u.get("description")),
                location=_s(u.get("location")),
                url=url,
                created_at=parse_x_time(u.get("created_at")),
                observed_at=observed,
                followers=followers,
                following=following,
                posts_count=posts_count,
                avatar_url=_s(u.get("profile_image_url")),
                is_verified=_b(u.get("verified")),
                is_protected=_b(u.get("protected")),
                provenance=prov,
            )
        )
        if observed is not None and pm:
            self.items.append(
                Snapshot(
                    PLATFORM,
                    uid,
                    observed,
                    followers,
                    following,
                    posts_count,
                    _i(pm.get("listed_count")),
                    prov,
                )
            )

    # -- tweets --------------------------------------------------------------
    def tweet(self, t: dict[str, Any]) -> None:
        tid = _s(t.get("id"))
        if tid is None or tid in self.posts:
            return
        self.posts.add(tid)
        prov = self.prov
        author = _s(t.get("author_id"))
        created = parse_x_time(t.get("created_at"))

        repost_of = quote_of = reply_to = None
        repost_author = quote_author = None
        refs = t.get("referenced_tweets")
        if refs:
            ref_authors = self.ref_authors
            for r in refs:
                rtype = r.get("type")
                rid = _s(r.get("id"))
                if rid is None:
                    continue
                if rtype == "retweeted":
                    repost_of = rid
                    repost_author = _s(r.get("author_id")) or ref_authors.get(rid)
                elif rtype == "quoted":
                    quote_of = rid
                    quote_author = _s(r.get("author_id")) or ref_authors.get(rid)
                elif rtype == "replied_to":
                    reply_to = rid
        if repost_of is not None:
            kind = _REPOST
        elif quote_of is not None:
            kind = _QUOTE
        elif reply_to is not None:
            kind = _REPLY
        else:
            kind = _POST
        reply_user = _s(t.get("in_reply_to_user_id"))

        hashtags: tuple[str, ...] = ()
        mentions: tuple[str, ...] = ()
        urls: tuple[str, ...] = ()
        mention_ids: list[str] = []
        ent = t.get("entities")
        if ent:
            hs = ent.get("hashtags")
            if hs:
                hashtags = _strs([h.get("tag") for h in hs])
            ms = ent.get("mentions")
            if ms:
                names = []
                for m in ms:
                    name = _s(m.get("username"))
                    if name is None:
                        continue
                    names.append(name)
                    mid = _s(m.get("id")) or self.user_id_by_name(name)
                    if mid is not None:
                        mention_ids.append(mid)
                    if self.flat and "name" in m:
                        self.user(m)
                mentions = _unique(names)
            us = ent.get("urls")
            if us:
                urls = _strs(
                    [u.get("unwound_url") or u.get("expanded_url") or u.get("url") for u in us]
                )

        place_name = country_code = None
        lat = lon = None
        geo = t.get("geo")
        if geo:
            place = self.places.get(geo.get("place_id")) if not self.flat else geo
            if place:
                place_name = _s(place.get("full_name") or place.get("name"))
                country_code = _s(place.get("country_code"))
            point = geo.get("coordinates")
            if point:
                coords = point.get("coordinates")
                if coords and len(coords) == 2:
                    lon, lat = float(coords[0]), float(coords[1])

        edit_root = None
        edit_seq = 0
        history = t.get("edit_history_tweet_ids")
        if history:
            edit_root = _s(history[0])
            if tid in history:
                edit_seq = history.index(tid)

        withheld = t.get("withheld")
        pm = t.get("public_metrics")
        self.items.append(
            Post(
                PLATFORM,
                tid,
                account_id=author,
                created_at=created,
                text=_s(t.get("text")),
                kind=kind,
                lang_platform=_s(t.get("lang")),
                client=client_name(t.get("source")),
                reply_to_id=reply_to,
                reply_to_account_id=reply_user,
                repost_of_id=repost_of,
                quote_of_id=quote_of,
                conversation_id=_s(t.get("conversation_id")),
                edit_root_id=edit_root,
                edit_seq=edit_seq,
                hashtags=hashtags,
                mentions=mentions,
                urls=urls,
                place_name=place_name,
                country_code=country_code,
                lat=lat,
                lon=lon,
                withheld_in=_strs(withheld.get("country_codes")) if withheld else (),
                metrics=pm if pm.__class__ is dict else {},
                provenance=prov,
            )
        )

        if author is not None:
            items = self.items
            if repost_author is not None:
                items.append(Edge(PLATFORM, author, repost_author, _E_REPOSTS, tid, created, prov))
            if quote_author is not None:
                items.append(Edge(PLATFORM, author, quote_author, _E_QUOTES, tid, created, prov))
            if reply_user is not None:
                items.append(Edge(PLATFORM, author, reply_user, _E_REPLIES, tid, created, prov))
            if repost_of is None:
                for mid in _unique(mention_ids):
                    items.append(Edge(PLATFORM, author, mid, _E_MENTIONS, tid, created, prov))

        atts = t.get("attachments")
        if atts:
            owners = self.repost_media_owner if kind is _REPOST else self.media_owner
            for key in atts.get("media_keys") or ():
                owners.setdefault(key, tid)
            if self.flat:
                for m in atts.get("media") or ():
                    if m:
                        self.media.setdefault(_s(m.get("media_key")) or "", m)

        if self.flat:
            a = t.get("author")
            if a:
                self.user(a)
            a = t.get("in_reply_to_user")
            if a:
                self.user(a)
            if refs:
                for r in refs:
                    if "text" in r or "author_id" in r:
                        self.tweet(r)

    def user_id_by_name(self, username: str) -> str | None:
        """The id of a user of this line's ``includes.users`` by username (any case)."""
        if self._by_name is None:
            self._by_name = {}
            for u in self.users:
                name, uid = _s(u.get("username")), _s(u.get("id"))
                if name and uid:
                    self._by_name[name.lower()] = uid
        return self._by_name.get(username.lower())

    # -- media ---------------------------------------------------------------
    def finish(self) -> list[Record]:
        """Emit the media (now that every tweet told which media it shows); the records."""
        media = self.media
        media.pop("", None)
        for key, m in media.items():
            self.items.append(
                Media(
                    PLATFORM,
                    key,
                    post_id=self.media_owner.get(key) or self.repost_media_owner.get(key),
                    kind=_s(m.get("type")) or "photo",
                    url=_s(m.get("url") or m.get("preview_image_url")),
                    width=_i(m.get("width")),
                    height=_i(m.get("height")),
                    duration_ms=_i(m.get("duration_ms")),
                    provenance=self.prov,
                )
            )
        return self.items

    # -- errors --------------------------------------------------------------
    def error(self, e: dict[str, Any], tweets: list[Any]) -> None:
        if e.get("resource_type") != "user":
            return
        detail = _s(e.get("detail")) or ""
        by_name = "username" in (_s(e.get("parameter")) or "")
        if "suspended" in detail.lower():
            status = AccountStatus.SUSPENDED
        elif not by_name and (
            e.get("title") == "Not Found Error" or detail.startswith("Could not find user")
        ):
            # by id only: a username that is not found may just have been renamed
            status = AccountStatus.DELETED
        else:
            return
        observed = self.observed_at
        resource = _s(e.get("resource_id") or e.get("value"))
        if observed is None or resource is None:
            return
        handle = None
        if by_name:
            handle = resource
            uid = self.user_id_by_name(resource) or _mention_id(tweets, resource)
        else:
            uid = resource
        if uid is None:
            return
        if handle is not None and uid not in self.accounts:
            self.accounts.add(uid)
            self.items.append(Account(PLATFORM, uid, handle=handle, provenance=self.prov))
        self.items.append(StatusEvent(PLATFORM, uid, status, observed, detail, self.prov))


def _mention_id(tweets: list[Any], username: str) -> str | None:
    """The id a mention entity of *tweets* gives for *username* (any case)."""
    wanted = username.lower()
    for t in tweets:
        ent = t.get("entities") if t.__class__ is dict else None
        for m in (ent or {}).get("mentions") or ():
            name = _s(m.get("username"))
            if name and name.lower() == wanted:
                mid = _s(m.get("id"))
                if mid:
                    return mid
    return None


def _retrieved_at(obj: dict[str, Any]) -> datetime | None:
    meta = obj.get("__twarc")
    return parse_x_time(meta.get("retrieved_at")) if meta else None


class TwitterV2Adapter(IngestAdapter):
    """X API v2 JSON lines as twarc2 writes them (pages, flattened tweets, compliance).

    ``compliance`` says what a batch-compliance file holds: ``"users"``,
    ``"tweets"``, or ``None`` (default) to decide by the file name -- a name
    containing ``user`` is user compliance.  Only user compliance gives status
    events; the lines carry no field that tells the two apart.
    """

    name = "x-v2"
    version = "1"
    platform = PLATFORM
    description = "X/Twitter API v2 responses as twarc2 writes them (pages or flattened, JSONL)"

    def __init__(self, compliance: str | None = None) -> None:
        if compliance not in (None, "users", "tweets"):
            raise ConfigError(
                f"compliance must be 'users' or 'tweets' (or unset to decide by file name), "
                f"got {compliance!r}"
            )
        self.compliance = compliance

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        first = text.split(b"\n", 1)[0]
        if not first.startswith(b"{"):
            return 0.0
        keys = first.replace(b" ", b"")
        # v1.1 tweets, marsad JSONL, a compact Telegram export: never ours
        if (
            b'"id_str":' in keys
            or b'"user":' in keys
            or keys.startswith(b'{"type":')
            or b'"messages":' in keys
        ):
            return 0.0
        v2 = (
            b'"__twarc":' in keys
            or b'"includes":' in keys
            or b'"author_id":' in keys
            or b'"edit_history_tweet_ids":' in keys
            or b'"conversation_id":' in keys
            or b'"username":' in keys
            or b'"tweet_count":' in keys
        )
        if keys.startswith((b'{"data":', b'{"errors":', b'{"includes":', b'{"meta":')):
            return 0.95 if v2 else 0.4
        if b'"author_id":' in keys and (
            b'"edit_history_tweet_ids":' in keys or b'"author":' in keys or b'"__twarc":' in keys
        ):
            return 0.9
        if b'"__twarc":' in keys:
            return 0.8
        if keys.startswith(b'{"id":') and b'"action":"delete"' in keys:
            return 0.6
        return 0.0

    @classmethod
    def can_split(cls, path: Path, head: bytes) -> bool:
        return True

    def records(
        self, path: Path, source_id: str, start: int = 0, span: Span | None = None
    ) -> Iterator[RawRecord]:
        compliance = self.compliance or ("users" if "user" in path.name.lower() else "tweets")
        users_compliance = compliance == "users"
        name, version = self.name, self.version
        loads, decode_error = orjson.loads, orjson.JSONDecodeError
        record_no = span.records - 1 if span is not None else -1
        for line_no, line in iter_lines(path, span=span):
            if not line or line.isspace():
                continue
            record_no += 1
            if record_no < start:
                continue
            try:
                obj = loads(line)
            except decode_error as exc:
                yield RawRecord(record_no, line_no, line, error=f"invalid JSON: {exc}")
                continue
            if obj.__class__ is not dict:
                yield RawRecord(
                    record_no,
                    line_no,
                    line,
                    error=f"expected a JSON object, got {type(obj).__name__}",
                )
                continue
            prov = Provenance(source_id, name, version, record_no, line_no)
            try:
                items = _map_object(obj, prov, users_compliance)
            except _MAP_ERRORS as exc:
                yield RawRecord(
                    record_no,
                    line_no,
                    line,
                    error=f"malformed X API v2 object: {type(exc).__name__}: {exc}",
                )
                continue
            if items is None:
                yield RawRecord(
                    record_no,
                    line_no,
                    line,
                    error=f"not an X API v2 / twarc2 object (top-level keys: {sorted(obj)[:8]})",
                )
                continue
            yield RawRecord(record_no, line_no, line, items)

    @classmethod
    def examples(cls) -> list[tuple[str, bytes]]:
        twarc = {
            "url": "https://api.twitter.com/2/tweets/search/recent",
            "version": "2.12.0",
            "retrieved_at": "2024-02-01T12:00:00+00:00",
        }
        user = {
            "id": "100",
            "username": "garden_club",
            "name": "Garden Club",
            "created_at": "2015-03-01T08:00:00.000Z",
            "description": "Tomatoes and more",
            "public_metrics": {
                "followers_count": 10,
                "following_count": 5,
                "tweet_count": 42,
                "listed_count": 1,
            },
            "verified": False,
            "protected": False,
        }
        tweet = {
            "id": "2000",
            "author_id": "100",
            "text": "First tomatoes of the year #gardening https://t.co/x",
            "lang": "en",
            "source": "Twitter Web App",
            "created_at": "2024-01-31T09:30:00.000Z",
            "conversation_id": "2000",
            "edit_history_tweet_ids": ["2000"],
            "entities": {
                "hashtags": [{"start": 27, "end": 37, "tag": "gardening"}],
                "urls": [
                    {
                        "start": 38,
                        "end": 52,
                        "url": "https://t.co/x",
                        "expanded_url": "https://example.org/tomatoes",
                    }
                ],
            },
            "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": 3},
        }
        page = {"data": [tweet], "includes": {"users": [user]}, "meta": {"result_count": 1}}
        flat = {
            "id": "2001",
            "author_id": "101",
            "text": "RT @garden_club: First tomatoes of the year",
            "lang": "en",
            "source": "Twitter for Android",
            "created_at": "2024-01-31T10:00:00.000Z",
            "edit_history_tweet_ids": ["2001"],
            "referenced_tweets": [{"type": "retweeted", **tweet, "author": user}],
            "entities": {
                "mentions": [{"start": 3, "end": 15, "username": "garden_club", "id": "100"}]
            },
            "author": {
                "id": "101",
                "username": "seed_swap",
                "name": "Seed Swap",
                "public_metrics": {"followers_count": 3, "following_count": 9, "tweet_count": 7},
            },
            "__twarc": twarc,
        }
        page["__twarc"] = twarc
        lines = b"\n".join(orjson.dumps(obj) for obj in (page, flat))
        return [("twarc2_tweets.jsonl", lines + b"\n")]


def _map_object(
    obj: dict[str, Any], prov: Provenance, users_compliance: bool
) -> list[Record] | None:
    """The records of one parsed line, or ``None`` when it is no v2 object at all."""
    if "data" in obj or "includes" in obj or "errors" in obj or "meta" in obj:
        return _map_page(obj, prov)
    if "id" in obj:
        if "text" in obj or "author_id" in obj or "edit_history_tweet_ids" in obj:
            line = _Line(prov, _retrieved_at(obj), flat=True)
            line.tweet(obj)
            return line.finish()
        if "username" in obj:
            line = _Line(prov, _retrieved_at(obj), flat=True)
            line.user(obj)
            return line.finish()
        if "action" in obj:
            return _map_compliance(obj, prov) if users_compliance else []
    if "__twarc" in obj:  # other twarc output (flattened counts, lists): kept raw
        return []
    return None


def _map_page(obj: dict[str, Any], prov: Provenance) -> list[Record]:
    line = _Line(prov, _retrieved_at(obj), flat=False)
    includes = obj.get("includes") or {}
    data = obj.get("data")
    if data.__class__ is dict:
        data = [data]
    elif data.__class__ is not list:
        data = []
    inc_tweets = includes.get("tweets") or []
    inc_users = includes.get("users") or []
    line.users = inc_users
    places = includes.get("places")
    if places:
        line.places = {p.get("id"): p for p in places}
    if inc_tweets:
        line.ref_authors = {
            t["id"]: t["author_id"] for t in inc_tweets if "author_id" in t and "id" in t
        }

    tweets: list[Any] = []
    users: list[Any] = []
    for item in data:
        if "text" in item or "author_id" in item or "edit_history_tweet_ids" in item:
            tweets.append(item)
        elif "username" in item:
            users.append(item)
            line.user(item)
        # anything else (counts, lists) maps to nothing
    if users:
        _follows(obj, users, line)
    if inc_tweets:
        tweets.extend(inc_tweets)
    for t in tweets:
        line.tweet(t)
    for u in inc_users:
        line.user(u)
    for m in includes.get("media") or ():
        line.media.setdefault(_s(m.get("media_key")) or "", m)
    errors = obj.get("errors")
    if errors:
        for e in errors:
            line.error(e, tweets)
    return line.finish()


def _follows(obj: dict[str, Any], users: list[Any], line: _Line) -> None:
    """FOLLOWS edges of a ``/2/users/<id>/followers`` or ``.../following`` page."""
    meta = obj.get("__twarc")
    url = _s(meta.get("url")) if meta else None
    if not url or "/follow" not in url:
        return
    path = url.split("?", 1)[0].rstrip("/").split("/")
    if len(path) < 3 or path[-3] != "users" or path[-1] not in ("followers", "following"):
        return
    target = path[-2]
    followers = path[-1] == "followers"
    items, prov = line.items, line.prov
    for u in users:
        uid = _s(u.get("id"))
        if uid is None:
            continue
        src, dst = (uid, target) if followers else (target, uid)
        items.append(Edge(PLATFORM, src, dst, EdgeKind.FOLLOWS, "", None, prov))


def _map_compliance(obj: dict[str, Any], prov: Provenance) -> list[Record]:
    reason = obj.get("reason")
    status = _COMPLIANCE_STATUS.get(reason) if reason.__class__ is str else None
    uid = _s(obj.get("id"))
    if status is None or uid is None:
        return []
    observed = parse_x_time(obj.get("redacted_at") or obj.get("created_at"))
    if observed is None:
        return []
    evidence = f"user compliance: action={obj.get('action')} reason={reason}"
    return [StatusEvent(PLATFORM, uid, status, observed, evidence, prov)]
