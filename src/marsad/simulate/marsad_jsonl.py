"""Writes the simulated platforms in marsad's own JSONL format (``marsad.jsonl``).

Part of the simulate stage (outside the flow: the file goes through the real
``marsad-jsonl`` ingest adapter).  One record per line, encoded by
:func:`marsad.codec.record_to_dict`, so a marsad-only user ingests the whole
simulation from one file:

* ``post`` -- every X post and Telegram message, with the fields the ``x-v2``
  and ``telegram`` adapters fill (``metrics`` under X's ``public_metrics``
  names; ``edit_root_id`` the post itself, as X's edit history says);
* ``edge`` -- the same interaction edges the adapters derive (REPOSTS, QUOTES,
  REPLIES, MENTIONS -- none for a repost -- and Telegram FORWARDS) and the
  FOLLOWS edges of the collected follower lists (follower -> followed; no
  time: X does not say when a follow began);
* ``snapshot`` -- each monitored account at each users lookup;
* ``status`` -- ``suspended`` at each users lookup that found the account
  suspended, with X's error detail as evidence;
* ``account`` -- every account once, at the end, as last seen (X accounts also
  get their language and, when the media were kept
  (``SimConfig.avatar_media_kept``), a synthetic 256-bit perceptual
  ``avatar_hash`` of the profile image -- a few bits apart when a re-created
  account re-uploads its old picture, unrelated for a new one; none for the
  default image).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from marsad.codec import record_to_dict
from marsad.model import (
    EdgeKind,
    Record,
)
from marsad.simulate.population import NEWS, Population
from marsad.simulate.posts import (
    KIND_NAMES,
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
    R_REF,
    R_TAGS,
    R_TEXT,
    R_URLS,
    REPLY,
    REPOST,
    Row,
)
from marsad.simulate.text import LANGUAGES
from marsad.simulate.x_v2 import avatar_url

__all__ = ["MarsadJsonlWriter", "avatar_hash_hex"]

#: orjson option: end each line with a newline (writing each line at once keeps
#: allocations short-lived, several times faster than joining them)
_NL = orjson.OPT_APPEND_NEWLINE
_REF_EDGE = {
    REPOST: EdgeKind.REPOSTS.value,
    REPLY: EdgeKind.REPLIES.value,
    QUOTE: EdgeKind.QUOTES.value,
}


def _edge(src: str, dst: str, kind: str, post_id: str, created: str | None) -> dict[str, Any]:
    """``record_to_dict(Edge("x", src, dst, kind, post_id, created))``, built directly."""
    out = {"type": "edge", "platform": "x", "src_id": src, "dst_id": dst, "kind": kind}
    out["post_id"] = post_id
    if created is not None:
        out["created_at"] = created
    return out


def _iso(seconds: int) -> str:
    """An epoch second as :mod:`marsad.codec` writes times (``2015-01-01T00:00:00Z``)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def avatar_hash_hex(pop: Population, a: int) -> str | None:
    """The synthetic perceptual hash of account *a*'s avatar as 64 hex digits."""
    if pop.avatar_default[a]:
        return None
    return "".join(f"{int(w):016x}" for w in pop.avatar_hash[a])


class MarsadJsonlWriter:
    """Streams records to ``marsad.jsonl`` (see the module docstring)."""

    def __init__(self, out_dir: Path, pop: Population, media_kept: bool = True) -> None:
        """Write to ``out_dir/marsad.jsonl``; avatar hashes only if *media_kept*."""
        self.pop = pop
        self.media_kept = media_kept
        self.path = out_dir / "marsad.jsonl"
        self._fh: IO[bytes] = open(self.path, "wb", buffering=1 << 20)  # noqa: SIM115
        self.follow_edges = 0

    def close(self) -> None:
        self._fh.close()

    def _write(self, records: list[Record]) -> None:
        write = self._fh.write
        for r in records:
            write(orjson.dumps(record_to_dict(r), option=_NL))

    def write_slice(self, rows: list[Row]) -> None:
        """Posts and their interaction edges.

        Hot path: the objects are built directly, in exactly the form
        ``record_to_dict(Post(...))`` / ``record_to_dict(Edge(...))`` gives
        (``tests/simulate`` checks every line round-trips through the codec).
        """
        ids = self.pop.id_str
        dumps = orjson.dumps
        write = self._fh.write
        for row in rows:
            kind = row[R_KIND]
            ref = row[R_REF]
            sid = row[R_ID]
            author = ids[row[R_AUTHOR]]
            created = row[R_CREATED][:-5] + "Z"
            post: dict[str, Any] = {
                "type": "post",
                "platform": "x",
                "native_id": sid,
                "account_id": author,
                "created_at": created,
                "text": row[R_TEXT],
                "kind": KIND_NAMES[kind],
                "lang_platform": row[R_LANG],
                "client": row[R_CLIENT],
            }
            ref_author = ""
            if ref is not None:
                ref_author = ids[ref[R_AUTHOR]]
                if kind == REPLY:
                    post["reply_to_id"] = ref[R_ID]
                    post["reply_to_account_id"] = ref_author
                elif kind == REPOST:
                    post["repost_of_id"] = ref[R_ID]
                else:
                    post["quote_of_id"] = ref[R_ID]
            post["conversation_id"] = row[R_CONV]
            post["edit_root_id"] = sid
            post["edit_seq"] = 0
            if row[R_TAGS]:
                post["hashtags"] = list(dict.fromkeys(t for _, _, t in row[R_TAGS]))
            if row[R_MENTIONS]:
                post["mentions"] = list(dict.fromkeys(h for _, _, h, _ in row[R_MENTIONS]))
            if row[R_URLS]:
                post["urls"] = list(dict.fromkeys(u[3] for u in row[R_URLS]))
            rt, reply, like, quote = row[R_METRICS]
            post["metrics"] = {
                "retweet_count": rt,
                "reply_count": reply,
                "like_count": like,
                "quote_count": quote,
            }
            write(dumps(post, option=_NL))
            if ref is not None:
                write(dumps(_edge(author, ref_author, _REF_EDGE[kind], sid, created), option=_NL))
            if kind != REPOST and row[R_MENTIONS]:
                for acc in dict.fromkeys(m[3] for m in row[R_MENTIONS]):
                    write(dumps(_edge(author, ids[acc], "mentions", sid, created), option=_NL))

    def write_lookup(
        self, t: int, accounts: np.ndarray, suspended: np.ndarray, counts: np.ndarray
    ) -> None:
        """A snapshot of each account found, a ``suspended`` status for each not found.

        Built directly in the form ``record_to_dict`` gives for
        :class:`~marsad.model.Snapshot` / :class:`~marsad.model.StatusEvent`.
        """
        pop = self.pop
        when = _iso(t)
        write, dumps = self._fh.write, orjson.dumps
        acc = accounts.tolist()
        followers = pop.followers[accounts].tolist()
        following = pop.following[accounts].tolist()
        posts = (pop.base_posts[accounts] + counts[accounts]).tolist()
        listed = pop.listed[accounts].tolist()
        for k, gone in enumerate(suspended.tolist()):
            uid = pop.id_str[acc[k]]
            if gone:
                obj: dict[str, Any] = {
                    "type": "status",
                    "platform": "x",
                    "account_id": uid,
                    "status": "suspended",
                    "observed_at": when,
                    "evidence": f"User has been suspended: [{uid}].",
                }
            else:
                obj = {
                    "type": "snapshot",
                    "platform": "x",
                    "account_id": uid,
                    "observed_at": when,
                    "followers": followers[k],
                    "following": following[k],
                    "posts_count": posts[k],
                    "listed": listed[k],
                }
            write(dumps(obj, option=_NL))

    def write_followers(self, account: int, followers: np.ndarray) -> None:
        ids = self.pop.id_str
        dst = ids[account]
        write = self._fh.write
        for f in followers.tolist():
            write(orjson.dumps(_edge(ids[f], dst, "follows", "", None), option=_NL))
        self.follow_edges += int(followers.size)

    def write_accounts(
        self, last_seen: np.ndarray, counts: np.ndarray, observed_suspended: np.ndarray
    ) -> None:
        """Every X account as last seen (built as ``record_to_dict(Account(...))`` would)."""
        pop = self.pop
        write, dumps = self._fh.write, orjson.dumps
        for lo in range(0, pop.n, 10_000):
            sl = slice(lo, min(lo + 10_000, pop.n))
            created = [_iso(v) for v in pop.created[sl].tolist()]
            seen = [_iso(v) for v in last_seen[sl].tolist()]
            followers = pop.followers[sl].tolist()
            following = pop.following[sl].tolist()
            posts = (pop.base_posts[sl] + counts[sl]).tolist()
            verified = (pop.role[sl] == NEWS).tolist()
            gone = observed_suspended[sl].tolist()
            for k, a in enumerate(range(sl.start, sl.stop)):
                obj: dict[str, Any] = {
                    "type": "account",
                    "platform": "x",
                    "native_id": pop.id_str[a],
                    "handle": pop.handles[a],
                    "display_name": pop.names[a],
                }
                if pop.bios[a]:
                    obj["bio"] = pop.bios[a]
                if pop.locations[a]:
                    obj["location"] = pop.locations[a]
                obj["lang"] = LANGUAGES[pop.lang[a]]
                obj["kind"] = "user"
                obj["created_at"] = created[k]
                obj["observed_at"] = seen[k]
                obj["followers"] = followers[k]
                obj["following"] = following[k]
                obj["posts_count"] = posts[k]
                obj["avatar_url"] = avatar_url(pop, a)
                digest = avatar_hash_hex(pop, a) if self.media_kept else None
                if digest is not None:
                    obj["avatar_hash"] = digest
                obj["is_verified"] = verified[k]
                obj["is_protected"] = False
                obj["status"] = "suspended" if gone[k] else "active"
                write(dumps(obj, option=_NL))

    def write_records(self, records: list[Record]) -> None:
        """Records built elsewhere (the Telegram channels and messages)."""
        self._write(records)
