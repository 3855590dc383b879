"""Removal tracking: which referred items came down, and when.

Part of *act* (:mod:`marsad.act`).  Three sources turn referred items'
states (:mod:`marsad.act.referrals`) into ``removed`` (or ``withheld``),
each with the time it saw the item gone:

* **statuses marsad ingests** (:func:`from_statuses`) -- the analytic
  store's ``status_events``: a user lookup's suspension error, a
  ``marsad status`` CSV.  An account suspended or deleted takes down the
  account, its re-creation links and its posts and media, at the time the
  status was observed -- if that is after the item was seen (a suspension
  before a post was written did not remove it);
* **a later export of the same collection** (:func:`from_export`) -- a
  referred post missing from an export that holds its author's posts from
  before and after it was deleted; the removal time is when the export was
  made (``--at``; default the file's modification time, an upper bound);
* **the URL checker** (:func:`check_referred`, ``marsad check-urls``) --
  each referred URL requested and classified by :mod:`marsad.act.check`;
  a removal's time is the check that first saw it (an upper bound: the item
  went between the last check that saw it live and this one).

Every source keeps the earliest removal time (:func:`marsad.act.referrals._transition`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marsad.act.referrals import states_from_removals
from marsad.errors import UnreadableFile
from marsad.review import audit
from marsad.review.db import now_iso
from marsad.review.users import User

if TYPE_CHECKING:
    from marsad.review.service import Review

__all__ = ["ExportResult", "from_export", "from_statuses"]

#: the account statuses that take an account's content down
GONE = ("suspended", "deleted")


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return now_iso(value if value.tzinfo else value.replace(tzinfo=UTC))
    return str(value)


def from_statuses(review: Review, actor: User) -> int:
    """Referred items whose account the store has seen suspended or deleted
    (module docstring); returns how many items changed."""
    actor.require("refer")
    items = review.db.rows(
        "SELECT id, platform, account_id, seen_at, state, removed_at FROM referral_items "
        "WHERE account_id IS NOT NULL"
    )
    if not items:
        return 0
    accounts = sorted({i["account_id"] for i in items})
    events: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    with review.store() as store:
        for platform, account_id, status, observed, evidence in (
            store.analytics()
            .execute(
                "SELECT platform, account_id, status, observed_at, evidence FROM status_events "
                "WHERE status IN ('suspended', 'deleted') AND account_id IN (SELECT unnest(?)) "
                "ORDER BY observed_at",
                [accounts],
            )
            .fetchall()
        ):
            events.setdefault((platform, account_id), []).append((_iso(observed), status, evidence))
    found = []
    for i in items:
        for at, status, evidence in events.get((i["platform"], i["account_id"]), ()):
            if i["seen_at"] and at < i["seen_at"]:
                continue
            if i["state"] == "removed" and i["removed_at"] and i["removed_at"] <= at:
                break
            found.append(
                (
                    int(i["id"]),
                    "removed",
                    at,
                    "status-export",
                    {"account": i["account_id"], "status": status, "evidence": evidence[:200]},
                )
            )
            break
    return states_from_removals(review, actor, found)


@dataclass
class ExportResult:
    """What a later export showed: posts read, referred posts found missing."""

    posts: int = 0
    accounts: int = 0
    missing: int = 0
    changed: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "posts": self.posts,
            "accounts": self.accounts,
            "missing": self.missing,
            "changed": self.changed,
            "problems": [{"line": n, "reason": r} for n, r in self.problems[:100]],
        }


def _posts(path: Path, fmt: str | None) -> Iterator[tuple[int, str | None, Any]]:
    """Every record of *path* as (line, problem or None, post or None), through
    the ingest adapter that reads it (adapters never write)."""
    from marsad.ingest import adapter_class, detect_format
    from marsad.model import Post

    adapter = adapter_class(fmt or detect_format(path))()
    for rec in adapter.records(path, "later-export"):
        if rec.error:
            yield rec.line_no, rec.error, None
            continue
        for item in rec.items:
            if isinstance(item, Post):
                yield rec.line_no, None, item


def from_export(
    review: Review,
    actor: User,
    path: Path,
    *,
    at: str | None = None,
    fmt: str | None = None,
) -> ExportResult:
    """Referred posts missing from *path*, a later export of the same
    collection: a post is missing when the export holds posts of its author
    from before and after it and not the post itself (module docstring)."""
    actor.require("refer")
    if not path.is_file():
        raise UnreadableFile(f"{path}: no such file")
    when = at or now_iso(datetime.fromtimestamp(os.stat(path).st_mtime, UTC))
    referred = review.db.rows(
        "SELECT id, platform, target_id, account_id, seen_at, state FROM referral_items "
        "WHERE kind = 'post' AND account_id IS NOT NULL AND seen_at IS NOT NULL"
    )
    wanted = {(r["platform"], r["account_id"]) for r in referred}
    out = ExportResult()
    span: dict[tuple[str, str], list[str]] = {}
    present: set[tuple[str, str]] = set()
    for line, problem, post in _posts(path, fmt):
        if problem is not None:
            out.problems.append((line, problem))
            continue
        out.posts += 1
        key = (post.platform, post.account_id)
        if key not in wanted or post.created_at is None:
            continue
        present.add((post.platform, post.native_id))
        t = _iso(post.created_at)
        lo_hi = span.setdefault(key, [t, t])
        lo_hi[0], lo_hi[1] = min(lo_hi[0], t), max(lo_hi[1], t)
    out.accounts = len(span)
    found = []
    for r in referred:
        window = span.get((r["platform"], r["account_id"]))
        if window is None or (r["platform"], r["target_id"]) in present:
            continue
        if window[0] < r["seen_at"] < window[1]:
            out.missing += 1
            found.append(
                (int(r["id"]), "removed", when, "missing-from-export", {"export": path.name})
            )
    out.changed = states_from_removals(review, actor, found)
    with review.db.write() as w:
        audit.append(
            w,
            actor.name,
            "removal.export",
            path.name,
            {"posts": out.posts, "missing": out.missing, "changed": out.changed, "at": when},
        )
    return out
