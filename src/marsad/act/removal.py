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

import json
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

__all__ = ["ExportResult", "check_referred", "from_export", "from_statuses"]

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


# -- the URL checker, over the review database -----------------------------------------

#: what the checker's results do to a referred item's state
_STATE_OF = {"removed": "removed", "withheld": "withheld"}


class _Sink:
    """Writes each batch of the checker's results in one transaction: the
    ``url_checks`` row of each URL, and the state of the referred items at it."""

    def __init__(self, review: Review, actor: User, run_id: int) -> None:
        self.review = review
        self.actor = actor
        self.run_id = run_id
        self.changed = 0
        self.counts: dict[str, int] = {}

    def __call__(self, results: Any, /) -> None:
        from marsad.act.referrals import _ITEM_COLUMNS, _transition

        with self.review.db.write() as w:
            for r in results:
                at = now_iso(r.checked_at)
                self.counts[r.result] = self.counts.get(r.result, 0) + 1
                w.run(_UPSERT, [r.url, r.host, r.platform, r.result, r.http_status, r.reason,
                                self.run_id, at, at,
                                at if r.result == "live" else None,
                                at if r.result == "removed" else None,
                                r.etag, r.last_modified])  # fmt: skip
                if r.result == "error":
                    continue
                for row in w.rows(
                    f"SELECT {_ITEM_COLUMNS} FROM referral_items WHERE url = ?",  # noqa: S608
                    [r.url],
                ):
                    details = {"http_status": r.http_status, "reason": r.reason[:200]}
                    if r.result in _STATE_OF:
                        self.changed += _transition(
                            w, self.actor.name, row, _STATE_OF[r.result], at, "check-urls", details
                        )
                    elif row["state"] in ("removed", "withheld"):
                        # up again: the platform reinstated it (or lifted the withholding)
                        self.changed += _transition(
                            w, self.actor.name, row, "still_up", at, "check-urls",
                            details | {"reinstated": True},
                        )  # fmt: skip
                    else:
                        w.run(
                            "UPDATE referral_items SET last_live_at = ? WHERE id = ?",
                            [at, row["id"]],
                        )


#: a URL's row after a check: the first check, the last one seen live, the
#: first one seen removed (cleared when it is live again), how many checks
_UPSERT = """
INSERT INTO url_checks (url, host, platform, result, http_status, reason, run_id, checked_at,
                        first_checked_at, last_live_at, removed_at, etag, last_modified, checks)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
ON CONFLICT (url) DO UPDATE SET
    host = excluded.host, platform = excluded.platform, result = excluded.result,
    http_status = excluded.http_status, reason = excluded.reason, run_id = excluded.run_id,
    checked_at = excluded.checked_at,
    last_live_at = coalesce(excluded.last_live_at, url_checks.last_live_at),
    removed_at = CASE WHEN excluded.result = 'live' THEN NULL
                      ELSE coalesce(url_checks.removed_at, excluded.removed_at) END,
    etag = excluded.etag, last_modified = excluded.last_modified,
    checks = url_checks.checks + 1
"""


def _referred_targets(review: Review, run_id: int) -> list[Any]:
    """The referred URLs this run has not checked, hosts interleaved (a hash order)."""
    import hashlib

    from marsad.act.check import UrlTarget

    rows = review.db.rows(
        "SELECT r.url, min(r.platform) AS platform, min(c.etag) AS etag, "
        "min(c.last_modified) AS last_modified FROM referral_items r "
        "LEFT JOIN url_checks c ON c.url = r.url "
        "WHERE r.url IS NOT NULL AND (c.run_id IS NULL OR c.run_id <> ?) GROUP BY r.url",
        [run_id],
    )
    rows.sort(key=lambda r: hashlib.blake2b(r["url"].encode(), digest_size=8).digest())
    return [UrlTarget(r["url"], r["platform"], r["etag"], r["last_modified"]) for r in rows]


_KNOWN = "SELECT url, run_id, etag, last_modified FROM url_checks"


def _post_targets(
    review: Review, run_id: int, templates: dict[str, dict[str, str]]
) -> Iterator[Any]:
    """Every stored post's URL (by the templates) that this run has not checked,
    read from the store a page at a time in a hash order, each page looked up in
    the review database (memory stays flat however many posts there are)."""
    from marsad.act.check import UrlTarget
    from marsad.act.referrals import _url

    with review.store() as store:
        cur = store.analytics().cursor()
        try:
            cur.execute(
                "SELECT p.platform, p.native_id, p.account_id, a.handle FROM current_posts p "
                "LEFT JOIN accounts a ON a.platform = p.platform AND a.native_id = p.account_id "
                "ORDER BY hash(p.platform, p.native_id)"
            )
            while chunk := cur.fetchmany(1000):
                urls = [
                    (platform, _url(templates, platform, "post", native_id, handle, account_id))
                    for platform, native_id, account_id, handle in chunk
                ]
                # what the review database knows of this page of URLs, and only of it:
                # done in this run (skipped on resume), validators of the last live check
                wanted = sorted({u for _, u in urls if u is not None})
                marks = ", ".join("?" * len(wanted))
                sql = f"{_KNOWN} WHERE url IN ({marks})"  # noqa: S608 - placeholders only
                known = {r["url"]: r for r in review.db.rows(sql, wanted)} if wanted else {}
                for platform, url in urls:
                    k = known.get(url) if url is not None else None
                    if url is None or (k is not None and k["run_id"] == run_id):
                        continue
                    yield UrlTarget(
                        url, platform, k["etag"] if k else None, k["last_modified"] if k else None
                    )
        finally:
            cur.close()


def check_referred(
    review: Review,
    actor: User,
    *,
    all_posts: bool = False,
    resume: bool = False,
    options: Any = None,
    rules: Any = None,
    templates: dict[str, dict[str, str]] | None = None,
    clock: Any = None,
) -> dict[str, Any]:
    """``marsad check-urls``: check every referred URL (and with *all_posts*
    every stored post's URL) with :mod:`marsad.act.check`, writing each
    result and the referred items' states as they come; returns the run.

    A run is recorded (``url_check_runs``); an interrupted one is taken up
    again with *resume*: the URLs it checked are not asked again."""
    from marsad.act.check import check_urls
    from marsad.act.referrals import URL_TEMPLATES

    actor.require("refer")
    scope = "all-posts" if all_posts else "referred"
    started = now_iso(clock() if clock else None)
    run = None
    if resume:
        run = review.db.one(
            "SELECT id, started_at FROM url_check_runs WHERE finished_at IS NULL AND scope = ? "
            "ORDER BY id DESC LIMIT 1",
            [scope],
        )
    with review.db.write() as w:
        if run is None:
            run_id = w.insert_id(
                "INSERT INTO url_check_runs (actor, scope, started_at) VALUES (?, ?, ?)",
                [actor.name, scope, started],
            )
        else:
            run_id = int(run["id"])
    targets = (
        _post_targets(review, run_id, templates or URL_TEMPLATES)
        if all_posts
        else _referred_targets(review, run_id)
    )
    sink = _Sink(review, actor, run_id)
    kwargs = {"clock": clock} if clock is not None else {}
    summary = check_urls(targets, sink, options=options, rules=rules, **kwargs)
    done = int(review.db.value("SELECT count(*) FROM url_checks WHERE run_id = ?", [run_id]) or 0)
    finished = now_iso(clock() if clock else None)
    counts = dict(summary.counts)
    with review.db.write() as w:
        w.run(
            "UPDATE url_check_runs SET finished_at = ?, urls = ?, counts = ? WHERE id = ?",
            [finished, done, json.dumps(counts, sort_keys=True), run_id],
        )
        audit.append(
            w,
            actor.name,
            "urlcheck.run",
            f"run:{run_id}",
            {
                "run": run_id,
                "scope": scope,
                "resumed": run is not None,
                "checked": summary.checked,
                "counts": counts,
                "items_changed": sink.changed,
            },
        )
    return {
        "run": run_id,
        "scope": scope,
        "resumed": run is not None,
        "checked": summary.checked,
        "urls_in_run": done,
        "counts": counts,
        "items_changed": sink.changed,
        "requests": summary.requests,
        "seconds": round(summary.elapsed_s, 3),
        "urls_per_second": round(summary.urls_per_s, 2),
    }
