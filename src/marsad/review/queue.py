"""The review queue: what marsad flagged, in the order a team should look at it.

Items come from the detections the analytic store already holds
(:func:`candidates`):

* **post** -- a post whose risk is at or over its language's threshold
  (the policy of the scan's model, :mod:`marsad.detect.policy`);
* **account** -- an account the account score flags;
* **media** / **post** from ``hash-match`` -- media or a text that matches a
  hash bank (a post matched by both the risk and a bank is one item);
* **link** -- a lineage link (``marsad lineage``) whose successor or
  predecessor is a flagged account.

:func:`sync` adds new items and refreshes the score of open ones; an item
that has been decided is never put back (its key ``(kind, platform,
target)`` stays), so a new scan adds to the queue without asking again.

**Withdrawn.** After a retrain the current risk model may no longer flag a
post an earlier one queued.  :meth:`Queue.sync` withdraws such an item --
status ``withdrawn``, not a decision -- only when it is open, unclaimed, came
from the risk detector, and the *current* detector version scored the post
below its threshold (:func:`cleared_posts`): a model promoted but not yet run
by ``marsad scan`` withdraws nothing.  A withdrawn item a later scan flags
again is reopened.

**Priority** = score x reach factor x recency factor, where the reach factor
is ``1 + log10(1 + reach) / 3`` (reach: the author's followers plus the
post's reposts and quotes; an account's followers) and the recency factor
halves for every 30 days an item is older than the newest item of its sync
(floor 0.1).  A score of 0.9 from an account with 10,000 followers seen
today ranks above the same score from one with 10 followers a year ago.

**Claims.** A reviewer claims items before deciding; an item has at most
one live claim, which expires after ``claim_minutes`` (a setting, default
15) so an item left by someone who went away returns to the queue.  All
changes go through serialised write transactions (:mod:`marsad.review.db`).

**Decisions.** ``confirm`` (a category of the taxonomy, and the entity),
``reject`` (a reason), ``escalate`` (to a lead).  When the setting
``second_review`` is on, confirming an account or a link needs a second,
different reviewer: the first confirmation moves the item to round 2; a
second confirmation closes it; a rejection in round 2 escalates it.  One
decision per item and round (a unique key), so an item is decided exactly
once per round even when a request is retried.
"""

from __future__ import annotations

import builtins
import json
import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from marsad.errors import Conflict, NotFound, ReviewError
from marsad.review import audit
from marsad.review.db import ReviewDB, Writer, now_iso
from marsad.review.taxonomy import Taxonomy
from marsad.review.users import User

__all__ = [
    "DECISIONS",
    "KINDS",
    "STATUSES",
    "Candidate",
    "Filters",
    "Queue",
    "candidates",
    "cleared_posts",
    "priority",
]

KINDS = ("post", "account", "media", "link")
STATUSES = ("open", "second_review", "escalated", "confirmed", "rejected", "withdrawn")
DECISIONS = ("confirm", "reject", "escalate")
#: statuses an item still waits in
WAITING = ("open", "second_review", "escalated")
#: statuses an item no longer waits in: decided, or withdrawn by a sync
DONE = ("confirmed", "rejected", "withdrawn")
_DONE_SQL = "('confirmed', 'rejected', 'withdrawn')"
#: settings of the queue, with their defaults
SETTINGS = {"claim_minutes": "15", "second_review": "off"}
#: an internal settings row: when the last sync ran (the evidence's generation)
_SYNCED = "synced_at"


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: str
    platform: str
    target_id: str
    detector: str
    detector_version: str
    score: float
    lang: str | None = None
    outlet: str | None = None
    account_id: str | None = None
    reach: int = 0
    seen_at: str | None = None


def priority(score: float, reach: int, age_days: float) -> float:
    """The module docstring's priority: score x reach factor x recency factor."""
    reach_factor = 1.0 + math.log10(1.0 + max(reach, 0)) / 3.0
    recency = max(0.1, 0.5 ** (max(age_days, 0.0) / 30.0))
    return float(round(score * reach_factor * recency, 9))


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return now_iso(value if value.tzinfo else value.replace(tzinfo=UTC))
    return str(value)


def _outlet(evidence: dict[str, Any], outlets: frozenset[str]) -> str | None:
    """The first outlet (or publication) among the indicators a post matched."""
    for key in evidence.get("matched") or ():
        if key in outlets:
            return str(key)
    return None


def candidates(
    con: Any,
    risk: tuple[str, str, Any] | None,
    *,
    lineage_all: bool = False,
    outlets: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """The items the analytic store's detections make (module docstring).

    *con* is the store's DuckDB analytics connection; *risk* is the risk
    detector's ``(name, version, policy)`` (None: no post risk items)."""
    out: dict[tuple[str, str, str], Candidate] = {}

    def add(c: Candidate) -> None:
        key = (c.kind, c.platform, c.target_id)
        old = out.get(key)
        if old is None or c.score > old.score:
            out[key] = c

    def rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        result: list[tuple[Any, ...]] = con.execute(sql, list(params)).fetchall()
        return result

    post_sql = """
        SELECT d.platform, d.target_id, d.detector, d.detector_version, d.score, d.evidence,
               p.lang, p.account_id, p.created_at, p.metrics, coalesce(a.followers, 0) AS fol
        FROM detections d
        JOIN current_posts p ON p.platform = d.platform AND p.native_id = d.target_id
        LEFT JOIN accounts a ON a.platform = p.platform AND a.native_id = p.account_id
        WHERE d.target_kind = 'post' AND d.detector = ? AND d.detector_version = ?
    """
    if risk is not None:
        name, version, policy = risk
        cache: dict[tuple[str | None, bool], float] = {}
        for row in rows(post_sql, [name, version]):
            score, evidence, lang = row[4], json.loads(row[5]), row[6]
            ctx = "author" in evidence
            key = (lang, ctx)
            if key not in cache:
                cache[key] = policy.threshold(lang, with_author=ctx)
            if score < cache[key]:
                continue
            add(_post_item(row, _outlet(evidence, outlets)))
    # hash-bank matches: texts (posts) and media (with their post's author)
    for row in rows(post_sql, ["hash-match", _latest(con, "hash-match", "post")]):
        add(_post_item(row, None))
    for plat, tid, det, ver, score, acc, created, fol in rows(
        """
        SELECT d.platform, d.target_id, d.detector, d.detector_version, d.score,
               p.account_id, p.created_at, coalesce(a.followers, 0) AS fol
        FROM detections d
        LEFT JOIN media m ON m.platform = d.platform AND m.native_id = d.target_id
        LEFT JOIN current_posts p ON p.platform = d.platform AND p.native_id = m.post_id
        LEFT JOIN accounts a ON a.platform = p.platform AND a.native_id = p.account_id
        WHERE d.detector = 'hash-match' AND d.target_kind = 'media'
        """
    ):
        add(
            Candidate(
                "media",
                plat,
                tid,
                det,
                ver,
                float(score),
                None,
                None,
                acc,
                int(fol),
                _iso(created),
            )
        )
    flagged: set[tuple[str, str]] = set()
    for plat, tid, det, ver, score, fol, seen in rows(
        """
        SELECT d.platform, d.target_id, d.detector, d.detector_version, d.score,
               coalesce(a.followers, 0), coalesce(a.observed_at, a.created_at)
        FROM detections d
        LEFT JOIN accounts a ON a.platform = d.platform AND a.native_id = d.target_id
        WHERE d.detector = 'account-score' AND d.target_kind = 'account'
          AND json_extract(d.evidence, '$.flagged')::BOOLEAN
        """
    ):
        flagged.add((plat, tid))
        add(
            Candidate(
                "account",
                plat,
                tid,
                det,
                ver,
                float(score),
                None,
                None,
                tid,
                int(fol),
                _iso(seen),
            )
        )
    for plat, tid, det, ver, score, fol, seen in rows(
        """
        SELECT d.platform, d.target_id, d.detector, d.detector_version, d.score,
               coalesce(a.followers, 0), a.created_at
        FROM detections d
        LEFT JOIN accounts a ON a.platform = d.platform
             AND a.native_id = split_part(d.target_id, '>', 1)
        WHERE d.detector = 'lineage' AND d.target_kind = 'link'
        """
    ):
        successor, _, predecessor = tid.partition(">")
        if not lineage_all and not ((plat, successor) in flagged or (plat, predecessor) in flagged):
            continue
        add(
            Candidate(
                "link",
                plat,
                tid,
                det,
                ver,
                float(score),
                None,
                None,
                successor,
                int(fol),
                _iso(seen),
            )
        )
    return sorted(out.values(), key=lambda c: (c.kind, c.platform, c.target_id))


def cleared_posts(
    con: Any, risk: tuple[str, str, Any], targets: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which of the posts *targets* (``(platform, native_id)``) the risk
    detector's current version *risk* ``(name, version, policy)`` scored below
    its threshold.  A post it has not scored is not among them."""
    import pyarrow as pa

    keys = list(dict.fromkeys(targets))
    if not keys:
        return set()
    name, version, policy = risk
    con.register(
        "_queue_waiting",
        pa.table({"platform": [k[0] for k in keys], "target_id": [k[1] for k in keys]}),
    )
    try:
        rows = con.execute(
            """
            SELECT d.platform, d.target_id, d.score, d.evidence, p.lang
            FROM _queue_waiting w
            JOIN detections d ON d.platform = w.platform AND d.target_id = w.target_id
            LEFT JOIN current_posts p ON p.platform = d.platform AND p.native_id = d.target_id
            WHERE d.target_kind = 'post' AND d.detector = ? AND d.detector_version = ?
            """,
            [name, version],
        ).fetchall()
    finally:
        con.unregister("_queue_waiting")
    out: set[tuple[str, str]] = set()
    for plat, tid, score, evidence, lang in rows:
        ctx = "author" in json.loads(evidence or "{}")
        if float(score) < policy.threshold(lang, with_author=ctx):
            out.add((plat, tid))
    return out


def _post_item(row: tuple[Any, ...], outlet: str | None) -> Candidate:
    """A post item from a row of the post query of :func:`candidates`."""
    plat, tid, det, ver, score, _ev, lang, acc, created, metrics, fol = row
    return Candidate(
        "post",
        plat,
        tid,
        det,
        ver,
        float(score),
        lang,
        outlet,
        acc,
        int(fol) + _shares(metrics),
        _iso(created),
    )


def _latest(con: Any, detector: str, kind: str) -> str:
    row = con.execute(
        "SELECT max(detector_version) FROM detections WHERE detector = ? AND target_kind = ?",
        [detector, kind],
    ).fetchone()
    return str(row[0]) if row and row[0] is not None else ""


def _shares(metrics: str | None) -> int:
    if not metrics:
        return 0
    try:
        m = json.loads(metrics)
    except ValueError:
        return 0
    total = 0
    for key in ("retweet_count", "repost_count", "quote_count", "forwards", "shares"):
        v = m.get(key) if isinstance(m, dict) else None
        if isinstance(v, int | float) and not isinstance(v, bool):
            total += int(v)
    return total


@dataclass(frozen=True, slots=True)
class Filters:
    """What the queue page and the API filter on (all optional)."""

    kind: str | None = None
    status: str | None = "open"
    lang: str | None = None
    platform: str | None = None
    detector: str | None = None
    outlet: str | None = None
    account_id: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    since: str | None = None
    until: str | None = None
    claimed_by: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("kind", self.kind),
            ("lang", self.lang),
            ("platform", self.platform),
            ("detector", self.detector),
            ("outlet", self.outlet),
            ("account_id", self.account_id),
            ("claimed_by", self.claimed_by),
        ):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.status == "waiting":
            # the same rows as IN (the three waiting statuses), but not a range of the status
            # index: SQLite then walks queue_items_order instead of sorting every waiting item
            clauses.append(f"status NOT IN {_DONE_SQL}")
        elif self.status:
            clauses.append("status = ?")
            params.append(self.status)
        if self.min_score is not None:
            clauses.append("score >= ?")
            params.append(self.min_score)
        if self.max_score is not None:
            clauses.append("score <= ?")
            params.append(self.max_score)
        if self.since:
            clauses.append("seen_at >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("seen_at < ?")
            params.append(self.until)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


_ITEM_COLUMNS = (
    "id, kind, platform, target_id, detector, detector_version, score, lang, outlet, "
    "account_id, reach, seen_at, priority, status, round, claimed_by, claim_expires, "
    "added_at, updated_at"
)


class Queue:
    """The queue's service functions; the CLI and the web app call these."""

    def __init__(self, db: ReviewDB, taxonomy: Taxonomy | None = None) -> None:
        self.db = db
        self.taxonomy = taxonomy or Taxonomy.load()
        # the queue page's menus and totals: whole-table scans, kept for a few seconds
        self._cache: dict[str, tuple[float, Any]] = {}
        self._cache_lock = threading.Lock()

    def _cached(self, key: str, seconds: float, compute: Any) -> Any:
        now = time.monotonic()
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < seconds:
                return hit[1]
        value = compute()
        with self._cache_lock:
            if len(self._cache) > 512:  # filters people try: keep the memory bounded
                self._cache.clear()
            self._cache[key] = (now, value)
        return value

    # -- settings ----------------------------------------------------------
    def setting(self, name: str) -> str:
        value = self.db.value("SELECT value FROM settings WHERE name = ?", [name])
        return str(value) if value is not None else SETTINGS[name]

    def synced_at(self) -> str:
        """When the queue was last synced with the detections ("" before the first sync)."""
        return str(self.db.value("SELECT value FROM settings WHERE name = ?", [_SYNCED]) or "")

    def set_setting(self, actor: User, name: str, value: str) -> None:
        actor.require("admin")
        if name not in SETTINGS:
            raise ReviewError(f"no setting {name!r}: one of {', '.join(SETTINGS)}")
        if name == "claim_minutes" and not (value.isdigit() and 1 <= int(value) <= 1440):
            raise ReviewError("claim_minutes: a whole number of minutes, 1 to 1440")
        if name == "second_review" and value not in ("on", "off"):
            raise ReviewError("second_review: on or off")
        with self.db.write() as w:
            old = w.one("SELECT value FROM settings WHERE name = ?", [name])
            if old is None:
                w.run("INSERT INTO settings (name, value) VALUES (?, ?)", [name, value])
            else:
                w.run("UPDATE settings SET value = ? WHERE name = ?", [value, name])
            audit.append(
                w,
                actor.name,
                "setting",
                name,
                {"from": old["value"] if old else SETTINGS[name], "to": value},
            )

    # -- filling -----------------------------------------------------------
    def open_posts(self, detector: str) -> builtins.list[tuple[str, str]]:
        """The ``(platform, target_id)`` of open post items *detector* put in the queue."""
        return [
            (str(r["platform"]), str(r["target_id"]))
            for r in self.db.rows(
                "SELECT platform, target_id FROM queue_items "
                "WHERE status = 'open' AND kind = 'post' AND detector = ?",
                [detector],
            )
        ]

    def sync(
        self,
        actor: User,
        items: Iterable[Candidate],
        *,
        withdraw: Iterable[tuple[str, str, str]] = (),
    ) -> dict[str, int]:
        """Add new items, refresh the score and priority of waiting ones, reopen
        withdrawn ones flagged again, and withdraw the open, unclaimed items of
        *withdraw* (``(kind, platform, target_id)`` keys the current detector
        no longer flags; the module docstring); returns counts."""
        actor.require("sync")
        items = list(items)
        flagged = {(c.kind, c.platform, c.target_id) for c in items}
        withdraw = [k for k in dict.fromkeys(withdraw) if k not in flagged]
        newest = max((c.seen_at for c in items if c.seen_at), default=None)
        newest_t = _parse(newest) if newest else None
        added = refreshed = kept = reopened = 0
        withdrawn: list[int] = []
        now = now_iso()
        with self.db.write() as w:
            existing = {
                (r["kind"], r["platform"], r["target_id"]): r
                for r in w.rows(
                    "SELECT id, kind, platform, target_id, status, score, detector_version, "
                    "claimed_by, claim_expires FROM queue_items"
                )
            }
            for c in items:
                age = (
                    (newest_t - _parse(c.seen_at)).total_seconds() / 86400
                    if newest_t and c.seen_at
                    else 0.0
                )
                prio = priority(c.score, c.reach, age)
                old = existing.get((c.kind, c.platform, c.target_id))
                if old is None:
                    w.run(
                        "INSERT INTO queue_items (kind, platform, target_id, detector, "
                        "detector_version, score, lang, outlet, account_id, reach, seen_at, "
                        "priority, status, round, added_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', 1, ?, ?)",
                        [
                            c.kind,
                            c.platform,
                            c.target_id,
                            c.detector,
                            c.detector_version,
                            c.score,
                            c.lang,
                            c.outlet,
                            c.account_id,
                            c.reach,
                            c.seen_at,
                            prio,
                            now,
                            now,
                        ],
                    )
                    added += 1
                elif old["status"] in WAITING and (
                    abs(float(old["score"]) - c.score) > 1e-12
                    or old["detector_version"] != c.detector_version
                ):
                    w.run(
                        "UPDATE queue_items SET score = ?, detector = ?, detector_version = ?, "
                        "reach = ?, priority = ?, updated_at = ? WHERE id = ?",
                        [c.score, c.detector, c.detector_version, c.reach, prio, now, old["id"]],
                    )
                    refreshed += 1
                elif old["status"] == "withdrawn":
                    w.run(
                        "UPDATE queue_items SET status = 'open', score = ?, detector = ?, "
                        "detector_version = ?, reach = ?, priority = ?, claimed_by = NULL, "
                        "claim_expires = NULL, updated_at = ? WHERE id = ?",
                        [c.score, c.detector, c.detector_version, c.reach, prio, now, old["id"]],
                    )
                    reopened += 1
                else:
                    kept += 1
            for key in withdraw:
                old = existing.get(key)
                if old is None or old["status"] != "open":
                    continue
                if old["claimed_by"] and old["claim_expires"] and old["claim_expires"] >= now:
                    continue  # someone is looking at it: their decision stands
                w.run(
                    "UPDATE queue_items SET status = 'withdrawn', claimed_by = NULL, "
                    "claim_expires = NULL, updated_at = ? WHERE id = ? AND status = 'open'",
                    [now, old["id"]],
                )
                withdrawn.append(int(old["id"]))
            counts = {
                "added": added,
                "refreshed": refreshed,
                "unchanged": kept,
                "reopened": reopened,
                "withdrawn": len(withdrawn),
            }
            audit.append(
                w,
                actor.name,
                "queue.sync",
                "",
                {**counts, "withdrawn_items": withdrawn} if withdrawn else counts,
            )
            # the detections may have changed: evidence gathered before is stale
            if w.run("UPDATE settings SET value = ? WHERE name = ?", [now, _SYNCED]) == 0:
                w.run("INSERT INTO settings (name, value) VALUES (?, ?)", [_SYNCED, now])
        with self._cache_lock:
            self._cache.clear()
        return counts

    # -- reading -----------------------------------------------------------
    def list(
        self, filters: Filters, limit: int = 50, offset: int = 0
    ) -> builtins.list[dict[str, Any]]:
        where, params = filters.where()
        return self.db.rows(
            f"SELECT {_ITEM_COLUMNS} FROM queue_items{where} "  # noqa: S608 - constant columns
            "ORDER BY priority DESC, id LIMIT ? OFFSET ?",
            [*params, max(1, min(limit, 500)), max(0, offset)],
        )

    def count(self, filters: Filters) -> int:
        """The items *filters* select (at most 5 s old: a count walks every
        matching item, and the queue page shows one on every request)."""
        where, params = filters.where()
        sql = f"SELECT count(*) FROM queue_items{where}"  # noqa: S608 - constant columns
        key = "count\x1f" + json.dumps([where, params], default=str)
        result: int = self._cached(key, 5.0, lambda: int(self.db.value(sql, params) or 0))
        return result

    def counts(self) -> dict[str, int]:
        """Items per status (at most 5 s old)."""
        result: dict[str, int] = self._cached(
            "counts",
            5.0,
            lambda: {
                r["status"]: int(r["n"])
                for r in self.db.rows(
                    "SELECT status, count(*) AS n FROM queue_items GROUP BY status"
                )
            },
        )
        return result

    def facets(self) -> dict[str, builtins.list[str]]:
        """The values each filter can take (for the queue page's menus; at most
        60 s old: they change only when a sync adds items)."""
        result: dict[str, builtins.list[str]] = self._cached("facets", 60.0, self._facets)
        return result

    def _facets(self) -> dict[str, builtins.list[str]]:
        out: dict[str, list[str]] = {}
        for column in ("kind", "lang", "platform", "detector", "outlet"):
            out[column] = [
                str(r["v"])
                for r in self.db.rows(
                    f"SELECT DISTINCT {column} AS v FROM queue_items "  # noqa: S608
                    f"WHERE {column} IS NOT NULL ORDER BY v LIMIT 200"
                )
            ]
        return out

    def item(self, item_id: int) -> dict[str, Any]:
        row = self.db.one(
            f"SELECT {_ITEM_COLUMNS} FROM queue_items WHERE id = ?",  # noqa: S608
            [item_id],
        )
        if row is None:
            raise NotFound(f"no queue item {item_id}")
        row["decisions"] = self.db.rows(
            "SELECT id, reviewer, decision, category, entity, reason, round, at "
            "FROM decisions WHERE item_id = ? ORDER BY round, id",
            [item_id],
        )
        row["notes"] = self.db.rows(
            "SELECT id, author, text, at FROM notes WHERE item_id = ? ORDER BY id", [item_id]
        )
        return row

    def account_items(self, platform: str, account_id: str) -> builtins.list[dict[str, Any]]:
        return self.db.rows(
            f"SELECT {_ITEM_COLUMNS} FROM queue_items "  # noqa: S608
            "WHERE platform = ? AND account_id = ? ORDER BY priority DESC, id LIMIT 500",
            [platform, account_id],
        )

    # -- claims ------------------------------------------------------------
    def _claimable(self, user: User) -> tuple[str, builtins.list[Any]]:
        """The statuses *user* may claim, as a clause."""
        # NOT IN for the same reason as Filters.where: the order index, not a sort
        if user.role in ("admin", "lead"):
            return f"status NOT IN {_DONE_SQL}", []
        return "status NOT IN ('confirmed', 'rejected', 'withdrawn', 'escalated')", []

    def claim_next(self, user: User, filters: Filters, n: int = 1) -> builtins.list[dict[str, Any]]:
        """Claim up to *n* of the highest-priority free items matching *filters*."""
        user.require("decide")
        n = max(1, min(n, 100))
        where, params = Filters(**{**_fields(filters), "status": None}).where()
        allowed, _ = self._claimable(user)
        now_t = datetime.now(UTC)
        now = now_iso(now_t)
        free = "(claimed_by IS NULL OR claim_expires < ?)"
        # a second-round item is not for the reviewer who decided its first round
        not_mine = (
            "NOT (status = 'second_review' AND EXISTS (SELECT 1 FROM decisions d "
            "WHERE d.item_id = queue_items.id AND d.reviewer = ?))"
        )
        cond = (where + " AND " if where else " WHERE ") + f"{allowed} AND {free} AND {not_mine}"
        if filters.status and filters.status in STATUSES:
            cond += " AND status = ?"
            params = [*params, now, user.name, filters.status]
        else:
            params = [*params, now, user.name]
        with self.db.write() as w:
            expires = now_iso(now_t + timedelta(minutes=int(self.setting("claim_minutes"))))
            # what the user already holds comes first: a client that lost the
            # answer to its last claim (a dropped connection, a restarted
            # server) gets those items back instead of leaving them stuck
            held = w.rows(
                "SELECT id FROM queue_items WHERE claimed_by = ? AND claim_expires >= ? "
                "AND status IN ('open', 'second_review', 'escalated') ORDER BY priority DESC, id "
                "LIMIT ?",
                [user.name, now, n],
            )
            ids = [int(r["id"]) for r in held]
            if len(ids) < n:
                rows = w.rows(
                    f"SELECT id FROM queue_items{cond} ORDER BY priority DESC, id LIMIT ?",  # noqa: S608
                    [*params, n - len(ids)],
                )
                ids += [int(r["id"]) for r in rows]
            for item_id in ids:
                w.run(
                    "UPDATE queue_items SET claimed_by = ?, claim_expires = ? WHERE id = ?",
                    [user.name, expires, item_id],
                )
        return [self.item(i) for i in ids]

    def claim(self, user: User, item_id: int) -> dict[str, Any]:
        """Claim one item: refused while another reviewer's claim is live."""
        user.require("decide")
        with self.db.write() as w:
            self._take(w, user, item_id)
        return self.item(item_id)

    def _take(self, w: Writer, user: User, item_id: int) -> dict[str, Any]:
        row = w.one(
            "SELECT id, status, round, claimed_by, claim_expires FROM queue_items WHERE id = ?",
            [item_id],
        )
        if row is None:
            raise NotFound(f"no queue item {item_id}")
        if row["status"] not in WAITING:
            raise Conflict(f"item {item_id} is already decided ({row['status']})")
        if row["status"] == "escalated":
            user.require("decide_escalated")
        now_t = datetime.now(UTC)
        if (
            row["claimed_by"] not in (None, user.name)
            and row["claim_expires"]
            and row["claim_expires"] >= now_iso(now_t)
        ):
            raise Conflict(f"item {item_id} is claimed by {row['claimed_by']}")
        if row["status"] == "second_review" and w.one(
            "SELECT id FROM decisions WHERE item_id = ? AND reviewer = ?", [item_id, user.name]
        ):
            raise Conflict(f"item {item_id} needs a second reviewer, not {user.name}")
        expires = now_iso(now_t + timedelta(minutes=int(self.setting("claim_minutes"))))
        w.run(
            "UPDATE queue_items SET claimed_by = ?, claim_expires = ? WHERE id = ?",
            [user.name, expires, item_id],
        )
        return row

    def release(self, user: User, item_id: int) -> None:
        user.require("decide")
        with self.db.write() as w:
            w.run(
                "UPDATE queue_items SET claimed_by = NULL, claim_expires = NULL "
                "WHERE id = ? AND claimed_by = ?",
                [item_id, user.name],
            )

    # -- deciding ----------------------------------------------------------
    def decide(
        self,
        user: User,
        item_id: int,
        decision: str,
        *,
        category: str | None = None,
        entity: str | None = None,
        reason: str | None = None,
        note: str | None = None,
        expected_round: int | None = None,
    ) -> dict[str, Any]:
        """Record a decision on an item (claiming it if free); returns the item.

        *expected_round*, when given, makes a retried request safe: a
        decision for a round that is already decided by this same user
        returns the item unchanged instead of deciding again."""
        user.require("decide")
        decision, category, entity, reason = self.taxonomy.check(decision, category, entity, reason)
        with self.db.write() as w:
            if expected_round is not None:
                done = w.one(
                    "SELECT reviewer, decision FROM decisions WHERE item_id = ? AND round = ?",
                    [item_id, expected_round],
                )
                if done is not None:
                    if done["reviewer"] == user.name and done["decision"] == decision:
                        return self._item_in(w, item_id)
                    raise Conflict(f"item {item_id} round {expected_round} is already decided")
            row = self._take(w, user, item_id)
            rnd = int(row["round"])
            what = w.one(
                "SELECT kind, platform, lang, detector, detector_version FROM queue_items "
                "WHERE id = ?",
                [item_id],
            )
            self._record(w, user, item_id, rnd, decision, category, entity, reason)
            status, next_round = self._next_status(w, item_id, row["status"], rnd, decision)
            w.run(
                "UPDATE queue_items SET status = ?, round = ?, claimed_by = NULL, "
                "claim_expires = NULL, updated_at = ? WHERE id = ?",
                [status, next_round, now_iso(), item_id],
            )
            if note:
                self._note(w, user, item_id, note)
            audit.append(
                w,
                user.name,
                "decision",
                f"item:{item_id}",
                {
                    "decision": decision,
                    "category": category,
                    "entity": entity,
                    "reason": reason,
                    "round": rnd,
                    "status": status,
                    # what the item was when decided: the transparency report
                    # (marsad.act.transparency) counts from the audit log alone
                    **(what or {}),
                },
            )
            return self._item_in(w, item_id)

    def _record(
        self,
        w: Writer,
        user: User,
        item_id: int,
        rnd: int,
        decision: str,
        category: str | None,
        entity: str | None,
        reason: str | None,
    ) -> None:
        w.run(
            "INSERT INTO decisions (item_id, reviewer, decision, category, entity, reason, "
            "round, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [item_id, user.name, decision, category, entity, reason, rnd, now_iso()],
        )

    def _next_status(
        self, w: Writer, item_id: int, status: str, rnd: int, decision: str
    ) -> tuple[str, int]:
        if decision == "escalate":
            return "escalated", rnd + 1
        if status == "second_review":
            return ("confirmed", rnd) if decision == "confirm" else ("escalated", rnd + 1)
        kind = w.one("SELECT kind FROM queue_items WHERE id = ?", [item_id])
        if (
            decision == "confirm"
            and status == "open"
            and kind is not None
            and kind["kind"] in ("account", "link")
            and self.setting("second_review") == "on"
        ):
            return "second_review", rnd + 1
        return ("confirmed" if decision == "confirm" else "rejected"), rnd

    def _item_in(self, w: Writer, item_id: int) -> dict[str, Any]:
        row = w.one(
            f"SELECT {_ITEM_COLUMNS} FROM queue_items WHERE id = ?",  # noqa: S608
            [item_id],
        )
        assert row is not None
        return row

    def bulk_decide(
        self,
        user: User,
        platform: str,
        account_id: str,
        decision: str,
        *,
        category: str | None = None,
        entity: str | None = None,
        reason: str | None = None,
    ) -> builtins.list[int]:
        """Decide every waiting post item of one account at once (a lead's action);
        items another reviewer holds a live claim on are left; returns the ids decided."""
        user.require("bulk")
        decision, category, entity, reason = self.taxonomy.check(decision, category, entity, reason)
        if decision == "escalate":
            raise ReviewError("a bulk decision confirms or rejects")
        decided: builtins.list[int] = []
        with self.db.write() as w:
            now = now_iso()
            rows = w.rows(
                "SELECT id, status, round, lang, detector, detector_version FROM queue_items "
                "WHERE platform = ? AND account_id = ? "
                "AND kind = 'post' AND status IN ('open', 'escalated') "
                "AND (claimed_by IS NULL OR claimed_by = ? OR claim_expires < ?) ORDER BY id",
                [platform, account_id, user.name, now],
            )
            for r in rows:
                rnd = int(r["round"])
                self._record(w, user, int(r["id"]), rnd, decision, category, entity, reason)
                status = "confirmed" if decision == "confirm" else "rejected"
                w.run(
                    "UPDATE queue_items SET status = ?, claimed_by = NULL, claim_expires = NULL, "
                    "updated_at = ? WHERE id = ?",
                    [status, now, r["id"]],
                )
                decided.append(int(r["id"]))
            audit.append(
                w,
                user.name,
                "decision.bulk",
                f"account:{platform}:{account_id}",
                {
                    "decision": decision,
                    "category": category,
                    "entity": entity,
                    "reason": reason,
                    "items": decided,
                    "kind": "post",
                    "platform": platform,
                    # per item: [id, lang, detector, detector_version] (transparency report)
                    "what": [
                        [int(r["id"]), r["lang"], r["detector"], r["detector_version"]]
                        for r in rows
                    ],
                },
            )
        return decided

    # -- notes and media ------------------------------------------------------
    def note(self, user: User, item_id: int, text: str) -> dict[str, Any]:
        user.require("decide")
        with self.db.write() as w:
            if w.one("SELECT id FROM queue_items WHERE id = ?", [item_id]) is None:
                raise NotFound(f"no queue item {item_id}")
            return self._note(w, user, item_id, text)

    def _note(self, w: Writer, user: User, item_id: int, text: str) -> dict[str, Any]:
        text = text.strip()
        if not text:
            raise ReviewError("a note needs text")
        if len(text) > 4000:
            raise ReviewError("a note is at most 4,000 characters")
        at = now_iso()
        note_id = w.insert_id(
            "INSERT INTO notes (item_id, author, text, at) VALUES (?, ?, ?, ?)",
            [item_id, user.name, text, at],
        )
        audit.append(w, user.name, "note", f"item:{item_id}", {"note": note_id})
        return {"id": note_id, "author": user.name, "text": text, "at": at}

    def log_reveal(self, user: User, item_id: int, media_id: str) -> None:
        """Record that *user* revealed a blurred media item (before it is shown)."""
        user.require("reveal")
        with self.db.write() as w:
            audit.append(w, user.name, "media.reveal", f"item:{item_id}", {"media": media_id})


def _fields(f: Filters) -> dict[str, Any]:
    return {k: getattr(f, k) for k in Filters.__dataclass_fields__}


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
