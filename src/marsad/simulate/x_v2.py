"""Writes the simulated X platform as twarc2 writes X API v2 responses.

Part of the simulate stage (outside the flow: its files go through the real
``x-v2`` ingest adapter).  Three files, one JSON object per line:

``x_v2_tweets.jsonl``
    Search pages (``/2/tweets/search/all``), one per line, up to 100 tweets,
    newest first inside a time slice, as twarc2 writes a search run per slice:
    ``{"data": [tweets], "includes": {"users": [...], "tweets": [referenced
    originals]}, "meta": {"newest_id", "oldest_id", "result_count",
    "next_token"}, "__twarc": {"url", "version", "retrieved_at"}}``.  Tweet and
    user fields are those of the real fixtures in ``shared/fixtures/
    x_api_v2_twarc``.  The collection is modelled as live: a page is retrieved
    when its newest tweet was posted, and the user objects show the accounts
    as they were then (a page ends early rather than hold a post whose
    author was suspended before the page's newest post): an account
    suspended by then is not in ``includes``;
    a mention of it is X's "User has been suspended" error
    (``entities.mentions.username``) and a post of it it references is "Could
    not find tweet" (``referenced_tweets.id``), as in the fixtures.
``x_v2_users.jsonl``
    Users-lookup pages (``/2/users?ids=...``, up to 100 ids): the monitored
    accounts every ``lookup_every_days`` and every account at the end.  A
    suspended account is the error X returns for it, e.g.::

        {"value": "2901234567", "detail": "User has been suspended: [2901234567].",
         "title": "Forbidden", "resource_type": "user", "parameter": "ids",
         "resource_id": "2901234567",
         "type": "https://api.twitter.com/2/problems/resource-not-found"}

    (title, type and detail exactly as in the fixtures' suspended-user errors;
    ``parameter`` is ``ids`` as in their users-lookup "Could not find user"
    error).
``x_v2_followers.jsonl``
    Followers pages (``/2/users/<id>/followers``, up to 1,000 users):
    ``{"data": [users], "meta": {"result_count", "next_token"}, "__twarc"}``.

Profile images are named as X names uploads
(``.../profile_images/<upload id>/<random 8 characters>_normal.jpg``): every
upload gets its own URL, so nothing in it says which picture it shows -- two
uploads of one picture (a re-created account re-using its old one) have
unrelated URLs.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from marsad.simulate.population import NEWS, Population
from marsad.simulate.posts import (
    POST,
    QUOTE,
    R_AUTHOR,
    R_CLIENT,
    R_CONV,
    R_CREATED,
    R_ID,
    R_KIND,
    R_LANG,
    R_MENTIONS,
    R_METRICS,
    R_N,
    R_REF,
    R_T,
    R_TAGS,
    R_TEXT,
    R_URLS,
    REPLY,
    REPOST,
    Row,
)

__all__ = ["FILES", "PARTS", "TWARC_VERSION", "XV2Writer", "avatar_url"]

#: the three files, by part
FILES = {
    "tweets": "x_v2_tweets.jsonl",
    "users": "x_v2_users.jsonl",
    "followers": "x_v2_followers.jsonl",
}
PARTS = tuple(FILES)

#: the twarc release named in ``__twarc.version``
TWARC_VERSION = "2.13.0"
_API = "https://api.twitter.com/2"
_USER_FIELDS = (
    "user.fields=created_at%2Cdescription%2Centities%2Cid%2Clocation%2Cname%2Cpinned_tweet_id"
    "%2Cprofile_image_url%2Cprotected%2Cpublic_metrics%2Curl%2Cusername%2Cverified%2Cwithheld"
)
_TWEET_FIELDS = (
    "tweet.fields=attachments%2Cauthor_id%2Cconversation_id%2Ccreated_at%2Centities%2Cid"
    "%2Cin_reply_to_user_id%2Clang%2Cpublic_metrics%2Ctext%2Cpossibly_sensitive"
    "%2Creferenced_tweets%2Creply_settings%2Csource%2Cwithheld%2Cedit_history_tweet_ids"
)
_EXPANSIONS = (
    "expansions=author_id%2Cin_reply_to_user_id%2Creferenced_tweets.id"
    "%2Creferenced_tweets.id.author_id%2Centities.mentions.username"
)
_SEARCH = f"{_API}/tweets/search/all?{_EXPANSIONS}&{_TWEET_FIELDS}&{_USER_FIELDS}&max_results=100"
_DEFAULT_AVATAR = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
_FILE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_REF_TYPES = {REPOST: "retweeted", REPLY: "replied_to", QUOTE: "quoted"}
_SUSPENDED_TYPE = "https://api.twitter.com/2/problems/resource-not-found"
#: serialised user objects kept (a cache: the active accounts are few at a time)
_USER_CACHE = 100_000


def iso_x(seconds: int) -> str:
    """``2015-01-01T00:00:00.000Z``: how X v2 writes times."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def iso_twarc(seconds: int) -> str:
    """``2015-01-01T00:00:00+00:00``: how twarc writes ``retrieved_at``."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _suspended_mention(handle: str) -> dict[str, str]:
    """The error X gives for a mention of a suspended account (as in the fixtures)."""
    return {
        "parameter": "entities.mentions.username",
        "resource_id": handle,
        "value": handle,
        "detail": f"User has been suspended: [{handle}].",
        "title": "Forbidden",
        "resource_type": "user",
        "type": _SUSPENDED_TYPE,
    }


def _missing_tweet(tweet_id: str) -> dict[str, str]:
    """The error X gives for a referenced post that is gone (as in the fixtures)."""
    return {
        "value": tweet_id,
        "detail": f"Could not find tweet with referenced_tweets.id: [{tweet_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "referenced_tweets.id",
        "resource_id": tweet_id,
        "type": _SUSPENDED_TYPE,
    }


def avatar_url(pop: Population, a: int) -> str:
    """Account *a*'s profile image URL: X's default image, or its own upload's."""
    if pop.avatar_default[a]:
        return _DEFAULT_AVATAR
    name = int(pop.avatar_file[a])
    chars = []
    for _ in range(8):  # 48 random bits as 8 of X's file-name characters
        name, r = divmod(name, 62)
        chars.append(_FILE_CHARS[r])
    return (
        f"https://pbs.twimg.com/profile_images/{int(pop.upload_id[a])}/{''.join(chars)}_normal.jpg"
    )


def _token(*parts: int) -> str:
    value = 1469598103934665603
    for p in parts:
        value = (value ^ (p & 0xFFFFFFFFFFFFFFFF)) * 1099511628211 % (1 << 64)
    return f"{value:016x}{value * 31 % (1 << 64):016x}"[:27]


class XV2Writer:
    """Streams twarc2 pages to the three files of :mod:`marsad.simulate.x_v2`."""

    def __init__(self, out_dir: Path, pop: Population, parts: Collection[str] = PARTS) -> None:
        """Write the *parts* (``tweets``, ``users``, ``followers``); calls for others do nothing."""
        self.pop = pop
        self.paths = {k: out_dir / FILES[k] for k in PARTS if k in parts}
        self._files: dict[str, IO[bytes]] = {
            k: open(p, "wb", buffering=1 << 20)  # noqa: SIM115 - closed in close()
            for k, p in self.paths.items()
        }
        self.pages = 0
        #: account -> (tweet count, head, tail, the object with that count)
        self._users: dict[int, tuple[int, bytes, bytes, orjson.Fragment]] = {}
        self._tweets: dict[str, orjson.Fragment] = {}
        self._old_tweets: dict[str, orjson.Fragment] = {}
        self._slice_t0 = -1

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()

    # -- objects -------------------------------------------------------------------
    def user(self, a: int, tweet_count: int) -> orjson.Fragment:
        """Account *a*'s user object (serialised once; only its tweet count changes)."""
        cached = self._users.get(a)
        if cached is not None and cached[0] == tweet_count:
            return cached[3]
        if cached is None:
            if len(self._users) >= _USER_CACHE:
                self._users.clear()
            raw = orjson.dumps(self.user_dict(a, 0))
            i = raw.rindex(b'"tweet_count":') + len(b'"tweet_count":')
            head, tail = raw[:i], raw[raw.index(b",", i) :]
        else:
            head, tail = cached[1], cached[2]
        frag = orjson.Fragment(head + str(tweet_count).encode() + tail)
        self._users[a] = (tweet_count, head, tail, frag)
        return frag

    def user_dict(self, a: int, tweet_count: int) -> dict[str, Any]:
        pop = self.pop
        return {
            "id": pop.id_str[a],
            "username": pop.handles[a],
            "name": pop.names[a],
            "description": pop.bios[a],
            "location": pop.locations[a],
            "url": "",
            "created_at": iso_x(int(pop.created[a])),
            "protected": False,
            "verified": bool(pop.role[a] == NEWS),
            "profile_image_url": avatar_url(pop, a),
            "public_metrics": {
                "followers_count": int(pop.followers[a]),
                "following_count": int(pop.following[a]),
                "tweet_count": tweet_count,
                "listed_count": int(pop.listed[a]),
            },
        }

    def tweet_json(self, row: Row) -> orjson.Fragment:
        """The serialised tweet; originals are kept for the pages that include them."""
        sid = row[R_ID]
        frag = self._tweets.get(sid) or self._old_tweets.get(sid)
        if frag is None:
            frag = orjson.Fragment(orjson.dumps(self.tweet(row)))
            if row[R_KIND] == POST:
                self._tweets[sid] = frag
        return frag

    def _rotate(self, t0: int) -> None:
        """Originals older than the previous slice are never referenced again."""
        if t0 != self._slice_t0:
            self._slice_t0 = t0
            self._old_tweets, self._tweets = self._tweets, {}

    def tweet(self, row: Row) -> dict[str, Any]:
        pop = self.pop
        sid = row[R_ID]
        out: dict[str, Any] = {
            "id": sid,
            "text": row[R_TEXT],
            "author_id": pop.id_str[row[R_AUTHOR]],
            "created_at": row[R_CREATED],
            "conversation_id": row[R_CONV],
            "lang": row[R_LANG],
            "source": row[R_CLIENT],
            "possibly_sensitive": False,
            "reply_settings": "everyone",
            "edit_history_tweet_ids": [sid],
        }
        ref = row[R_REF]
        if ref is not None:
            out["referenced_tweets"] = [{"type": _REF_TYPES[row[R_KIND]], "id": ref[R_ID]}]
            if row[R_KIND] == REPLY:
                out["in_reply_to_user_id"] = pop.id_str[ref[R_AUTHOR]]
        entities: dict[str, Any] = {}
        if row[R_TAGS]:
            entities["hashtags"] = [{"start": s, "end": e, "tag": t} for s, e, t in row[R_TAGS]]
        if row[R_MENTIONS]:
            entities["mentions"] = [
                {"start": s, "end": e, "username": h, "id": pop.id_str[acc]}
                for s, e, h, acc in row[R_MENTIONS]
            ]
        if row[R_URLS]:
            entities["urls"] = [
                {"start": s, "end": e, "url": u, "expanded_url": x, "display_url": d}
                for s, e, u, x, d in row[R_URLS]
            ]
        if entities:
            out["entities"] = entities
        rt, reply, like, quote = row[R_METRICS]
        out["public_metrics"] = {
            "retweet_count": rt,
            "reply_count": reply,
            "like_count": like,
            "quote_count": quote,
        }
        return out

    # -- search pages ---------------------------------------------------------------
    def write_slice(self, t0: int, t1: int, rows: list[Row], counts: np.ndarray) -> None:
        """One search run over ``[t0, t1)``: pages of 100, newest first."""
        self._rotate(t0)
        if not rows or "tweets" not in self._files:
            return
        base = self.pop.base_posts
        fh = self._files["tweets"]
        url = f"{_SEARCH}&query=%28simulated%29&start_time={iso_x(t0)}&end_time={iso_x(t1)}"
        newest_first = rows[::-1]
        suspended = self.pop.suspended
        # a page is retrieved when its newest post is written (a live
        # collection); a page ends early where an older post's author was
        # suspended by then, so every author is seen while still active
        pages: list[list[Row]] = []
        for row in newest_first:
            if not pages or len(pages[-1]) == 100 or suspended[row[R_AUTHOR]] <= pages[-1][0][R_T]:
                pages.append([row])
            else:
                pages[-1].append(row)
        token = ""
        for p, page in enumerate(pages):
            users: dict[int, orjson.Fragment] = {}
            refs: dict[str, orjson.Fragment] = {}
            errors: dict[str, dict[str, str]] = {}
            data = []
            # what X returns at retrieval: a suspended account's profile and
            # posts are gone, and an expansion that names them is an error
            at = page[0][R_T]
            for row in page:
                data.append(self.tweet_json(row))
                a = row[R_AUTHOR]
                if a not in users:
                    users[a] = self.user(a, int(base[a]) + row[R_N])
                ref = row[R_REF]
                if ref is not None:
                    ra = ref[R_AUTHOR]
                    if suspended[ra] <= at:
                        errors.setdefault(ref[R_ID], _missing_tweet(ref[R_ID]))
                    else:
                        if ref[R_ID] not in refs:
                            refs[ref[R_ID]] = self.tweet_json(ref)
                        if ra not in users:
                            users[ra] = self.user(ra, int(base[ra]) + int(counts[ra]))
                for _, _, handle, acc in row[R_MENTIONS]:
                    if suspended[acc] <= at:
                        errors.setdefault(handle, _suspended_mention(handle))
                    elif acc not in users:
                        users[acc] = self.user(acc, int(base[acc]) + int(counts[acc]))
            includes: dict[str, Any] = {"users": list(users.values())}
            if refs:
                includes["tweets"] = list(refs.values())
            meta: dict[str, Any] = {
                "newest_id": page[0][R_ID],
                "oldest_id": page[-1][R_ID],
                "result_count": len(data),
            }
            page_url = url + (f"&next_token={token}" if p else "")
            if p + 1 < len(pages):
                token = _token(t0, p, len(rows))
                meta["next_token"] = token
            obj: dict[str, Any] = {"data": data, "includes": includes}
            if errors:
                obj["errors"] = list(errors.values())
            obj |= {
                "meta": meta,
                "__twarc": {
                    "url": page_url,
                    "version": TWARC_VERSION,
                    "retrieved_at": iso_twarc(page[0][2]),
                },
            }
            fh.write(orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE))
            self.pages += 1

    # -- users lookup ------------------------------------------------------------------
    def write_lookup(
        self, t: int, accounts: np.ndarray, suspended: np.ndarray, counts: np.ndarray
    ) -> None:
        """Users lookup of *accounts* at *t*; *suspended* marks those that get an error."""
        if "users" not in self._files:
            return
        pop, fh = self.pop, self._files["users"]
        base = pop.base_posts
        for i in range(0, accounts.size, 100):
            batch = accounts[i : i + 100].tolist()
            gone = suspended[i : i + 100].tolist()
            data = []
            errors = []
            for a, is_gone in zip(batch, gone, strict=True):
                if is_gone:
                    uid = pop.id_str[a]
                    errors.append(
                        {
                            "value": uid,
                            "detail": f"User has been suspended: [{uid}].",
                            "title": "Forbidden",
                            "resource_type": "user",
                            "parameter": "ids",
                            "resource_id": uid,
                            "type": _SUSPENDED_TYPE,
                        }
                    )
                else:
                    data.append(self.user(a, int(base[a]) + int(counts[a])))
            obj: dict[str, Any] = {}
            if data:
                obj["data"] = data
            if errors:
                obj["errors"] = errors
            ids = "%2C".join(pop.id_str[a] for a in batch)
            obj["__twarc"] = {
                "url": f"{_API}/users?ids={ids}&{_USER_FIELDS}",
                "version": TWARC_VERSION,
                "retrieved_at": iso_twarc(t),
            }
            fh.write(orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE))

    # -- followers -----------------------------------------------------------------------
    def write_followers(
        self, t: int, account: int, followers: np.ndarray, counts: np.ndarray
    ) -> None:
        """The followers of *account* as collected at *t* (pages of 1,000)."""
        if "followers" not in self._files:
            return
        pop, fh = self.pop, self._files["followers"]
        base = pop.base_posts
        url = f"{_API}/users/{pop.id_str[account]}/followers?{_USER_FIELDS}&max_results=1000"
        flist = followers.tolist()
        token = ""
        n_pages = max(1, -(-len(flist) // 1000))
        for p in range(n_pages):
            chunk = flist[p * 1000 : (p + 1) * 1000]
            meta: dict[str, Any] = {"result_count": len(chunk)}
            page_url = url + (f"&pagination_token={token}" if p else "")
            if p + 1 < n_pages:
                token = _token(account, p, t)
                meta["next_token"] = token
            obj: dict[str, Any] = {}
            if chunk:
                obj["data"] = [self.user(f, int(base[f]) + int(counts[f])) for f in chunk]
            obj["meta"] = meta
            obj["__twarc"] = {
                "url": page_url,
                "version": TWARC_VERSION,
                "retrieved_at": iso_twarc(t),
            }
            fh.write(orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE))
