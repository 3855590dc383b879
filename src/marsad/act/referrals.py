"""Referrals: confirmed items packaged per platform, and what became of each.

The first step of *act* (:mod:`marsad.act`), after the review queue.  A lead
groups confirmed items of one platform into a **referral**; each becomes a
**referred item** carrying what the platform needs to act and no more: its
URL, the platform's ids, the category and entity the reviewer chose, a short
evidence summary (matched indicators, hash-bank matches, the risk score -- not
the post's text), when marsad saw it and when it was confirmed, and the hashes
of its media.  The referral is exported in one documented schema
(``marsad-referral/1``: :func:`export_referral` writes CSV, JSON and a
bilingual HTML summary) and sent.

Each referred item then moves through states (:data:`STATES`)::

    pending --send--> sent --> acknowledged --> removed | withheld | still_up | declined

A state comes from a **source** (:data:`SOURCES`): the lead, the platform (its
returned CSV, the web app, the API), the URL checker, a status export, or an
export the item is missing from.  The rules (:func:`_transition`):

* ``pending`` and ``sent`` are set only by :func:`send_referral`;
* any later state may follow any other (a platform reinstates what it
  removed; a declined item is removed after all), each change an event;
* the same state again changes nothing, except that ``removed`` with an
  *earlier* time moves ``removed_at`` back: the removal time of an item is
  the earliest time any source saw it gone (a check sees a removal only at
  its next request, so its time is an upper bound);
* an item removed before it was sent is kept as such (``removed_at <
  sent_at``): the transparency report counts it apart, not as a removal in
  negative time.

Every change is one audit entry (``referral.create``, ``referral.send``,
``referral.state``) written in the same transaction, with what the
transparency report needs -- the report is replayed from the audit log alone
(:mod:`marsad.act.transparency`).

**Item URLs** are built from per-platform templates (:data:`URL_TEMPLATES`;
a team passes its own with ``--urls FILE`` for mirrors, archives or a test
platform): ``{id}``, ``{handle}``, ``{account_id}`` and, for Telegram posts
(keyed ``<chat>/<message>``), ``{message}``.  A template whose fields are
unknown gives no URL (a Telegram export names no public handle): the item is
referred by its ids.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marsad.errors import Conflict, InputError, NotFound, ReviewError, UnreadableFile
from marsad.review import audit
from marsad.review.db import Writer, now_iso
from marsad.review.users import User

if TYPE_CHECKING:
    from marsad.review.service import Review

__all__ = [
    "FORMAT",
    "PLATFORM_STATES",
    "SOURCES",
    "STATES",
    "URL_TEMPLATES",
    "ReplyResult",
    "create_referral",
    "export_referral",
    "item_ref",
    "list_referrals",
    "load_url_templates",
    "parse_ref",
    "read_reply",
    "referral",
    "referral_files",
    "referred_item",
    "send_referral",
    "set_state",
]

#: the schema of an exported referral (CSV columns, JSON keys: docs/act.md)
FORMAT = "marsad-referral/1"
STATES = ("pending", "sent", "acknowledged", "removed", "withheld", "still_up", "declined")
#: what a platform's answer may say of an item (its returned CSV, the web app, the API)
PLATFORM_STATES = ("acknowledged", "removed", "still_up", "declined")
#: states after sending: set by a source, in any order
LATER_STATES = ("acknowledged", "removed", "withheld", "still_up", "declined")
SOURCES = ("lead", "platform", "check-urls", "status-export", "missing-from-export")
#: the states in which an item is no longer reachable on the platform
OFFLINE = ("removed", "withheld")

#: public URL of an item per platform and kind ({id}, {handle}, {account_id}, {message})
URL_TEMPLATES: dict[str, dict[str, str]] = {
    "x": {
        "post": "https://x.com/{handle}/status/{id}",
        "post_by_id": "https://x.com/i/web/status/{id}",
        "account": "https://x.com/{handle}",
        "account_by_id": "https://x.com/i/user/{id}",
    },
    "telegram": {
        "post": "https://t.me/{handle}/{message}",
        "account": "https://t.me/{handle}",
    },
    "youtube": {
        "post": "https://www.youtube.com/watch?v={id}",
        "account": "https://www.youtube.com/channel/{id}",
    },
}
#: CSV columns of an exported referral, in order
CSV_COLUMNS = (
    "ref",
    "kind",
    "platform",
    "id",
    "account_id",
    "url",
    "category",
    "entity",
    "seen_at",
    "confirmed_at",
    "evidence",
    "md5",
    "sha256",
    "pdq",
    "state",
)
#: a platform's reply: one row per item, these columns (``ref`` or ``url`` or ``id`` finds it)
REPLY_COLUMNS = ("ref", "url", "id", "status", "at", "note")
_REF = re.compile(r"^(?:MRS-)?(\d{1,18})$")


def item_ref(referral_item_id: int) -> str:
    """The reference of a referred item a platform quotes back: ``MRS-<id>``."""
    return f"MRS-{referral_item_id}"


def parse_ref(text: str) -> int:
    """The referred item id of a reference (``MRS-12`` or ``12``)."""
    m = _REF.match(text.strip())
    if m is None:
        raise InputError(f"not a referral reference: {text!r} (expected MRS-<number>)")
    return int(m.group(1))


def load_url_templates(path: Path | None) -> dict[str, dict[str, str]]:
    """:data:`URL_TEMPLATES` with a team's own file (same shape) merged over it."""
    templates = {k: dict(v) for k, v in URL_TEMPLATES.items()}
    if path is None:
        return templates
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UnreadableFile(f"{path}: cannot read URL templates: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(v, dict) and all(isinstance(t, str) for t in v.values()) for v in data.values()
    ):
        raise InputError(
            f'{path}: URL templates are {{"platform": {{"post": "https://...{{id}}", ...}}}}'
        )
    for platform, kinds in data.items():
        templates.setdefault(platform, {}).update(kinds)
    return templates


def _fill(template: str | None, fields: dict[str, str | None]) -> str | None:
    if not template:
        return None
    try:
        return template.format(**{k: v for k, v in fields.items() if v})
    except (KeyError, IndexError, ValueError):
        return None


def _url(
    templates: dict[str, dict[str, str]],
    platform: str,
    kind: str,
    target: str,
    handle: str | None,
    account_id: str | None,
) -> str | None:
    t = templates.get(platform, {})
    base = "account" if kind in ("account", "link") else "post"
    ident = target.partition(">")[0] if kind == "link" else target
    message = ident.rpartition("/")[2] if "/" in ident else None
    fields = {"id": ident, "handle": handle, "account_id": account_id, "message": message}
    return _fill(t.get(base), fields) or _fill(t.get(base + "_by_id"), fields)


# -- creating -------------------------------------------------------------------------


@dataclass
class _Target:
    """What the analytic store says of one confirmed item."""

    account_id: str | None = None
    handle: str | None = None
    seen_at: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    md5: list[str] = field(default_factory=list)
    sha256: list[str] = field(default_factory=list)
    pdq: list[str] = field(default_factory=list)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return now_iso(value if value.tzinfo else value.replace(tzinfo=UTC))
    return str(value)


def _targets(con: Any, platform: str, items: Sequence[dict[str, Any]]) -> dict[str, _Target]:
    """The store's facts for every item, a few queries for all of them."""
    out: dict[str, _Target] = {i["target_id"]: _Target() for i in items}
    posts = [i["target_id"] for i in items if i["kind"] == "post"]
    accounts = [i["target_id"] for i in items if i["kind"] == "account"]
    links = {i["target_id"]: i["target_id"].partition(">")[0] for i in items if i["kind"] == "link"}
    media = [i["target_id"] for i in items if i["kind"] == "media"]
    if posts:
        for pid, acc, created in con.execute(
            "SELECT native_id, account_id, created_at FROM current_posts "
            "WHERE platform = ? AND native_id IN (SELECT unnest(?))",
            [platform, posts],
        ).fetchall():
            out[pid].account_id, out[pid].seen_at = acc, _iso(created)
        for pid, score, evidence in con.execute(
            "SELECT target_id, score, evidence FROM detections WHERE detector = 'risk' "
            "AND target_kind = 'post' AND platform = ? AND target_id IN (SELECT unnest(?)) "
            "ORDER BY detector_version",
            [platform, posts],
        ).fetchall():
            ev = json.loads(evidence)
            out[pid].summary["risk"] = round(float(score), 4)
            matched = [str(k) for k in ev.get("matched") or ()][:10]
            if matched:
                out[pid].summary["indicators"] = matched
    if media:
        for mid, post_id in con.execute(
            "SELECT native_id, post_id FROM media WHERE platform = ? "
            "AND native_id IN (SELECT unnest(?))",
            [platform, media],
        ).fetchall():
            out[mid].summary["post_id"] = post_id
    # hash-bank matches of posts (texts) and media
    ids = posts + media
    if ids:
        for tid, evidence in con.execute(
            "SELECT target_id, evidence FROM detections WHERE detector = 'hash-match' "
            "AND platform = ? AND target_id IN (SELECT unnest(?))",
            [platform, ids],
        ).fetchall():
            banks = sorted({str(m.get("bank")) for m in json.loads(evidence).get("matches", [])})
            if banks:
                out[tid].summary["hash_banks"] = banks
    for aid, score, evidence in (
        con.execute(
            "SELECT target_id, score, evidence FROM detections WHERE detector = 'account-score' "
            "AND target_kind = 'account' AND platform = ? AND target_id IN (SELECT unnest(?))",
            [platform, accounts],
        ).fetchall()
        if accounts
        else []
    ):
        ev = json.loads(evidence)
        out[aid].summary["account_score"] = round(float(score), 4)
        if isinstance(ev.get("posts"), int):
            out[aid].summary["posts"] = ev["posts"]
    for tid, score in (
        con.execute(
            "SELECT target_id, score FROM detections WHERE detector = 'lineage' AND platform = ? "
            "AND target_id IN (SELECT unnest(?))",
            [platform, list(links)],
        ).fetchall()
        if links
        else []
    ):
        out[tid].summary["lineage"] = {
            "predecessor": tid.partition(">")[2],
            "score": round(float(score), 4),
        }
    # the accounts: of a post, the account itself, a link's successor
    owners: dict[str, str] = {}
    for i in items:
        t = out[i["target_id"]]
        if i["kind"] == "account":
            t.account_id = i["target_id"]
        elif i["kind"] == "link":
            t.account_id = links[i["target_id"]]
        elif i["kind"] == "media" and not t.account_id:
            t.account_id = i.get("account_id")
        if t.account_id:
            owners[i["target_id"]] = t.account_id
    if owners:
        handles = dict(
            con.execute(
                "SELECT native_id, handle FROM accounts WHERE platform = ? "
                "AND native_id IN (SELECT unnest(?))",
                [platform, sorted(set(owners.values()))],
            ).fetchall()
        )
        seen = dict(
            con.execute(
                "SELECT native_id, coalesce(observed_at, created_at) FROM accounts "
                "WHERE platform = ? AND native_id IN (SELECT unnest(?))",
                [platform, accounts + list(links.values())],
            ).fetchall()
        )
        for tid, acc in owners.items():
            out[tid].handle = handles.get(acc)
            if out[tid].seen_at is None and acc in seen:
                out[tid].seen_at = _iso(seen[acc])
    # media hashes: the media item itself, or a post's media
    wanted = posts + media
    if wanted:
        for native_id, post_id, md5, sha, pdq in con.execute(
            "SELECT native_id, post_id, md5, sha256, pdq FROM media WHERE platform = ? "
            "AND (native_id IN (SELECT unnest(?)) OR post_id IN (SELECT unnest(?))) "
            "ORDER BY native_id",
            [platform, media, posts],
        ).fetchall():
            key = native_id if native_id in out else post_id
            if key not in out:
                continue
            for lst, v in ((out[key].md5, md5), (out[key].sha256, sha), (out[key].pdq, pdq)):
                if v and v not in lst:
                    lst.append(str(v))
    return out


_CONFIRMED = (
    "SELECT q.id, q.kind, q.platform, q.target_id, q.account_id, q.lang, q.detector, "
    "q.detector_version, q.seen_at, d.category, d.entity, d.at AS confirmed_at "
    "FROM queue_items q JOIN decisions d ON d.item_id = q.id AND d.decision = 'confirm' "
    "AND d.round = (SELECT max(d2.round) FROM decisions d2 WHERE d2.item_id = q.id "
    "AND d2.decision = 'confirm')"
)


def create_referral(
    review: Review,
    actor: User,
    platform: str,
    *,
    title: str | None = None,
    contact: str | None = None,
    category: str | None = None,
    entity: str | None = None,
    kinds: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    item_ids: Sequence[int] = (),
    again: bool = False,
    templates: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Make a referral of *platform*'s confirmed items (those of *item_ids*, or
    every one matching the filters -- confirmed between *since* and *until*)
    that are in no referral yet (*again*: also those that are); returns it.

    Raises :class:`Conflict` when no item is left to refer."""
    actor.require("refer")
    templates = templates or URL_TEMPLATES
    clauses = ["q.platform = ?", "q.status = 'confirmed'"]
    params: list[Any] = [platform]
    if kinds:
        clauses.append("q.kind IN (" + ", ".join("?" * len(kinds)) + ")")
        params.extend(kinds)
    if item_ids:
        clauses.append("q.id IN (" + ", ".join("?" * len(item_ids)) + ")")
        params.extend(int(i) for i in item_ids)
    for clause, value in (
        ("d.category = ?", category),
        ("d.entity = ?", entity),
        ("d.at >= ?", since),
        ("d.at < ?", until),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    if not again:
        clauses.append("NOT EXISTS (SELECT 1 FROM referral_items r WHERE r.item_id = q.id)")
    # the confirmation: the item's last confirming decision (clauses: constant text)
    where = " AND ".join(clauses)
    sql = f"{_CONFIRMED} WHERE {where} ORDER BY q.id"  # noqa: S608
    rows = review.db.rows(sql, params)
    if item_ids:
        missing = sorted(set(int(i) for i in item_ids) - {int(r["id"]) for r in rows})
        if missing:
            raise Conflict(
                f"items {', '.join(map(str, missing[:20]))} are not confirmed {platform} items"
                + ("" if again else " in no referral yet")
            )
    if not rows:
        raise Conflict(f"no confirmed {platform} item is left to refer")
    with review.store() as store:
        facts = _targets(store.analytics(), platform, rows)
    now = now_iso()
    title = title or f"{platform} {now[:10]}"
    with review.db.write() as w:
        rid = w.insert_id(
            "INSERT INTO referrals (platform, title, contact, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [platform, title, contact, actor.name, now],
        )
        listed = []
        for r in rows:
            t = facts[r["target_id"]]
            account_id = t.account_id or r["account_id"]
            summary = dict(t.summary)
            if t.md5 or t.sha256 or t.pdq:
                summary["media"] = {"md5": t.md5, "sha256": t.sha256, "pdq": t.pdq}
            url = _url(templates, platform, r["kind"], r["target_id"], t.handle, account_id)
            ref_id = w.insert_id(
                "INSERT INTO referral_items (referral_id, item_id, kind, platform, target_id, "
                "account_id, url, category, entity, lang, detector, detector_version, seen_at, "
                "confirmed_at, summary, state, state_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                [
                    rid,
                    r["id"],
                    r["kind"],
                    platform,
                    r["target_id"],
                    account_id,
                    url,
                    r["category"],
                    r["entity"],
                    r["lang"],
                    r["detector"],
                    r["detector_version"],
                    t.seen_at or r["seen_at"],
                    r["confirmed_at"],
                    json.dumps(summary, ensure_ascii=False, sort_keys=True),
                    now,
                ],
            )
            _event(w, ref_id, "pending", now, "lead", actor.name, {})
            listed.append(
                {
                    "ref": item_ref(ref_id),
                    "item": int(r["id"]),
                    "kind": r["kind"],
                    "category": r["category"],
                    "entity": r["entity"],
                    "lang": r["lang"],
                    "detector_version": r["detector_version"],
                    "url": url,
                }
            )
        audit.append(
            w,
            actor.name,
            "referral.create",
            f"referral:{rid}",
            {"referral": rid, "platform": platform, "title": title, "items": listed},
        )
    return referral(review, rid)


def _event(
    w: Writer,
    ref_id: int,
    state: str,
    at: str,
    source: str,
    actor: str,
    details: dict[str, Any],
) -> None:
    w.run(
        "INSERT INTO referral_events (referral_item_id, state, at, source, actor, details, "
        "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [ref_id, state, at, source, actor, json.dumps(details, sort_keys=True), now_iso()],
    )


# -- reading ---------------------------------------------------------------------------

_ITEM_COLUMNS = (
    "id, referral_id, item_id, kind, platform, target_id, account_id, url, category, entity, "
    "lang, detector, detector_version, seen_at, confirmed_at, summary, state, state_at, "
    "sent_at, acknowledged_at, removed_at, removal_source, last_live_at"
)


def list_referrals(review: Review) -> list[dict[str, Any]]:
    """Every referral, newest first, with its items counted per state."""
    refs = review.db.rows(
        "SELECT id, platform, title, contact, created_by, created_at, sent_by, sent_at "
        "FROM referrals ORDER BY id DESC"
    )
    counts: dict[int, dict[str, int]] = {}
    for r in review.db.rows(
        "SELECT referral_id, state, count(*) AS n FROM referral_items GROUP BY referral_id, state"
    ):
        counts.setdefault(int(r["referral_id"]), {})[r["state"]] = int(r["n"])
    for r in refs:
        r["states"] = counts.get(int(r["id"]), {})
        r["items"] = sum(r["states"].values())
    return refs


def referral(review: Review, referral_id: int) -> dict[str, Any]:
    """One referral with its items (each with its reference and evidence summary)."""
    row = review.db.one(
        "SELECT id, platform, title, contact, created_by, created_at, sent_by, sent_at "
        "FROM referrals WHERE id = ?",
        [referral_id],
    )
    if row is None:
        raise NotFound(f"no referral {referral_id}")
    items = review.db.rows(
        f"SELECT {_ITEM_COLUMNS} FROM referral_items WHERE referral_id = ? ORDER BY id",  # noqa: S608
        [referral_id],
    )
    for i in items:
        i["ref"] = item_ref(int(i["id"]))
        i["summary"] = json.loads(i["summary"])
    row["items"] = items
    row["states"] = {}
    for i in items:
        row["states"][i["state"]] = row["states"].get(i["state"], 0) + 1
    return row


def referred_item(review: Review, ref: str | int) -> dict[str, Any]:
    """A referred item by its reference, with its history of states."""
    ref_id = ref if isinstance(ref, int) else parse_ref(ref)
    row = review.db.one(
        f"SELECT {_ITEM_COLUMNS} FROM referral_items WHERE id = ?",  # noqa: S608
        [ref_id],
    )
    if row is None:
        raise NotFound(f"no referred item {item_ref(ref_id)}")
    row["ref"] = item_ref(ref_id)
    row["summary"] = json.loads(row["summary"])
    row["events"] = review.db.rows(
        "SELECT state, at, source, actor, details, recorded_at FROM referral_events "
        "WHERE referral_item_id = ? ORDER BY id",
        [ref_id],
    )
    return row


# -- states ----------------------------------------------------------------------------


def _check_time(at: str | None, what: str) -> str:
    """*at* (ISO-8601; a date is its midnight UTC) in the review tables' form."""
    if at is None or not str(at).strip():
        return now_iso()
    text = str(at).strip()
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"{what}: not an ISO-8601 time: {text!r}") from exc
    return now_iso(t if t.tzinfo else t.replace(tzinfo=UTC))


def send_referral(
    review: Review, actor: User, referral_id: int, at: str | None = None
) -> dict[str, Any]:
    """Mark a referral sent at *at* (default now): its pending items become ``sent``."""
    actor.require("refer")
    when = _check_time(at, "sent at")
    with review.db.write() as w:
        row = w.one("SELECT id, sent_at FROM referrals WHERE id = ?", [referral_id])
        if row is None:
            raise NotFound(f"no referral {referral_id}")
        if row["sent_at"]:
            raise Conflict(f"referral {referral_id} was sent at {row['sent_at']}")
        pending = [
            int(r["id"])
            for r in w.rows(
                "SELECT id FROM referral_items WHERE referral_id = ? AND state = 'pending' "
                "ORDER BY id",
                [referral_id],
            )
        ]
        w.run(
            "UPDATE referrals SET sent_by = ?, sent_at = ? WHERE id = ?",
            [actor.name, when, referral_id],
        )
        w.run(
            "UPDATE referral_items SET state = 'sent', state_at = ?, sent_at = ? "
            "WHERE referral_id = ? AND state = 'pending'",
            [when, when, referral_id],
        )
        # items already gone before sending keep their state, and get the time sent
        w.run(
            "UPDATE referral_items SET sent_at = ? WHERE referral_id = ? AND sent_at IS NULL",
            [when, referral_id],
        )
        for ref_id in pending:
            _event(w, ref_id, "sent", when, "lead", actor.name, {})
        audit.append(
            w,
            actor.name,
            "referral.send",
            f"referral:{referral_id}",
            {"referral": referral_id, "at": when, "items": len(pending)},
        )
    return referral(review, referral_id)


def set_state(
    review: Review,
    actor: User,
    ref: str | int,
    state: str,
    *,
    at: str | None = None,
    source: str = "platform",
    note: str | None = None,
) -> dict[str, Any]:
    """Record that a referred item is now *state* (as of *at*), said by *source*."""
    actor.require("refer")
    ref_id = ref if isinstance(ref, int) else parse_ref(ref)
    when = _check_time(at, "at")
    with review.db.write() as w:
        row = w.one(
            f"SELECT {_ITEM_COLUMNS} FROM referral_items WHERE id = ?",  # noqa: S608
            [ref_id],
        )
        if row is None:
            raise NotFound(f"no referred item {item_ref(ref_id)}")
        _transition(w, actor.name, row, state, when, source, {"note": note} if note else {})
    return referred_item(review, ref_id)


def _transition(
    w: Writer,
    actor: str,
    row: dict[str, Any],
    state: str,
    at: str,
    source: str,
    details: dict[str, Any],
) -> bool:
    """Apply one state of the module docstring's rules to *row*; True when it changed."""
    if state not in LATER_STATES:
        raise ReviewError(f"state {state!r}: one of {', '.join(LATER_STATES)}")
    if source not in SOURCES:
        raise ReviewError(f"source {source!r}: one of {', '.join(SOURCES)}")
    ref_id = int(row["id"])
    if row["state"] == state:
        earlier = state == "removed" and row["removed_at"] and at < row["removed_at"]
        if not earlier:
            return False
    sets = ["state = ?", "state_at = ?"]
    params: list[Any] = [state, at]
    if state == "acknowledged" and not row["acknowledged_at"]:
        sets.append("acknowledged_at = ?")
        params.append(at)
    if state == "removed":
        if not row["removed_at"] or at < row["removed_at"]:
            sets += ["removed_at = ?", "removal_source = ?"]
            params += [at, source]
    elif state in ("still_up", "acknowledged", "declined") and row["state"] == "removed":
        # reinstated: no longer removed
        sets += ["removed_at = NULL", "removal_source = NULL"]
    if state in ("still_up",):
        sets.append("last_live_at = ?")
        params.append(at)
    w.run(
        f"UPDATE referral_items SET {', '.join(sets)} WHERE id = ?",  # noqa: S608 - constant
        [*params, ref_id],
    )
    _event(w, ref_id, state, at, source, actor, details)
    audit.append(
        w,
        actor,
        "referral.state",
        item_ref(ref_id),
        {
            "ref": item_ref(ref_id),
            "referral": int(row["referral_id"]),
            "from": row["state"],
            "state": state,
            "at": at,
            "source": source,
            **details,
        },
    )
    row.update({"state": state, "state_at": at})
    if state == "removed" and (not row["removed_at"] or at < row["removed_at"]):
        row["removed_at"] = at
    return True


# -- a platform's reply ----------------------------------------------------------------


@dataclass
class ReplyResult:
    """What a platform's returned CSV did: rows applied, unchanged, skipped with reasons."""

    applied: int = 0
    unchanged: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "unchanged": self.unchanged,
            "skipped": [{"line": n, "reason": r} for n, r in self.skipped],
        }


_STATUS_WORDS = {
    "acknowledged": "acknowledged",
    "ack": "acknowledged",
    "received": "acknowledged",
    "removed": "removed",
    "taken down": "removed",
    "actioned": "removed",
    "deleted": "removed",
    "still up": "still_up",
    "still_up": "still_up",
    "no action": "still_up",
    "not removed": "still_up",
    "declined": "declined",
    "rejected": "declined",
}


def read_reply(
    review: Review,
    actor: User,
    path: Path | None = None,
    *,
    data: bytes | None = None,
    name: str | None = None,
    referral_id: int | None = None,
    max_bytes: int = 64 << 20,
) -> ReplyResult:
    """Apply a platform's returned CSV (:data:`REPLY_COLUMNS`; ``status`` one
    of :data:`PLATFORM_STATES` or a common synonym, ``at`` ISO-8601) -- the
    file *path*, or its bytes *data* (an upload) named *name* -- to the
    referred items it names: by ``ref``, else ``url``, else ``id`` (the
    platform's id of the item), within *referral_id* when given.  A row that
    names no referred item, or is malformed, is skipped with its line and
    reason; the good rows land in one transaction; applying the same file
    again changes nothing."""
    actor.require("refer")
    if data is None:
        if path is None:
            raise InputError("a reply needs a file or its content")
        try:
            with path.open("rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
    label = name or (path.name if path is not None else "reply.csv")
    where_file = str(path) if path is not None else label
    if len(data) > max_bytes:
        raise InputError(f"{where_file}: larger than {max_bytes >> 20} MB: not a platform's reply")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where_file}: not UTF-8 text (byte {exc.start})") from exc
    if "\x00" in text:
        raise InputError(f"{where_file}: holds NUL bytes: not a CSV file")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "status" not in header or not ({"ref", "url", "id"} & set(header)):
        raise InputError(
            f"{where_file}: a reply needs a status column and one of ref, url, id; "
            f"it has {', '.join(header) or 'no header'}"
        )
    reader.fieldnames = header
    result = ReplyResult()
    where = " AND referral_id = ?" if referral_id is not None else ""
    scope = [referral_id] if referral_id is not None else []
    with review.db.write() as w:
        for row in reader:
            line = reader.line_num
            if None in row:  # more cells than the header has
                result.skipped.append((line, "more cells than the header has"))
                continue
            cells = {k: (v or "").strip() for k, v in row.items()}
            status = _STATUS_WORDS.get(cells.get("status", "").lower())
            if status is None:
                result.skipped.append(
                    (
                        line,
                        f"status {cells.get('status', '')!r}: one of {', '.join(PLATFORM_STATES)}",
                    )
                )
                continue
            try:
                at = _check_time(cells.get("at") or None, "at")
            except InputError as exc:
                result.skipped.append((line, str(exc)))
                continue
            found = None
            try:
                if cells.get("ref"):
                    found = w.one(
                        f"SELECT {_ITEM_COLUMNS} FROM referral_items WHERE id = ?{where}",  # noqa: S608
                        [parse_ref(cells["ref"]), *scope],
                    )
                elif cells.get("url"):
                    found = w.one(
                        f"SELECT {_ITEM_COLUMNS} FROM referral_items WHERE url = ?{where} "  # noqa: S608
                        "ORDER BY id DESC LIMIT 1",
                        [cells["url"], *scope],
                    )
                elif cells.get("id"):
                    found = w.one(
                        f"SELECT {_ITEM_COLUMNS} FROM referral_items WHERE target_id = ?{where} "  # noqa: S608
                        "ORDER BY id DESC LIMIT 1",
                        [cells["id"], *scope],
                    )
            except InputError as exc:
                result.skipped.append((line, str(exc)))
                continue
            if found is None:
                named = cells.get("ref") or cells.get("url") or cells.get("id") or "(nothing)"
                result.skipped.append((line, f"no referred item {named!r}"))
                continue
            if found["state"] == "pending":
                result.skipped.append((line, f"{item_ref(int(found['id']))} was never sent"))
                continue
            details: dict[str, Any] = {"reply": label, "line": line}
            if cells.get("note"):
                details["note"] = cells["note"][:500]
            if _transition(w, actor.name, found, status, at, "platform", details):
                result.applied += 1
            else:
                result.unchanged += 1
    return result


# -- export ----------------------------------------------------------------------------


def _evidence_text(summary: dict[str, Any]) -> str:
    """The evidence summary as one short CSV cell."""
    parts = []
    if "risk" in summary:
        parts.append(f"risk {summary['risk']:.2f}")
    if summary.get("indicators"):
        parts.append("indicators: " + ", ".join(summary["indicators"]))
    if summary.get("hash_banks"):
        parts.append("hash match: " + ", ".join(summary["hash_banks"]))
    if "account_score" in summary:
        parts.append(f"account score {summary['account_score']:.2f}")
    if summary.get("lineage"):
        lin = summary["lineage"]
        parts.append(f"re-creation of {lin['predecessor']} (score {lin['score']:.2f})")
    return "; ".join(parts)


def export_rows(ref: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of referral *ref* (:func:`referral`) as the export's JSON objects."""
    rows = []
    for i in ref["items"]:
        media = i["summary"].get("media") or {}
        rows.append(
            {
                "ref": i["ref"],
                "kind": i["kind"],
                "platform": i["platform"],
                "id": i["target_id"],
                "account_id": i["account_id"],
                "url": i["url"],
                "category": i["category"],
                "entity": i["entity"],
                "seen_at": i["seen_at"],
                "confirmed_at": i["confirmed_at"],
                "evidence": {k: v for k, v in i["summary"].items() if k != "media"},
                "md5": media.get("md5", []),
                "sha256": media.get("sha256", []),
                "pdq": media.get("pdq", []),
                "state": i["state"],
            }
        )
    return rows


def referral_files(review: Review, actor: User, referral_id: int) -> dict[str, str]:
    """Referral *referral_id* as the texts of its three files -- ``csv``,
    ``json`` (schema :data:`FORMAT`) and ``html`` (the bilingual summary for the
    platform's contact) -- and the export logged in the audit log."""
    from marsad.act.referral_html import render_summary

    actor.require("read")
    ref = referral(review, referral_id)
    rows = export_rows(ref)
    head = {
        "format": FORMAT,
        "referral": {
            k: ref[k] for k in ("id", "platform", "title", "contact", "created_at", "sent_at")
        }
        | {"items": len(rows)},
        "reply": {
            "columns": list(REPLY_COLUMNS),
            "status": list(PLATFORM_STATES),
            "about": "one row per item: ref (as given here), status, at (ISO-8601 UTC), note",
        },
    }
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        cells = []
        for c in CSV_COLUMNS:
            v = r[c]
            if c == "evidence":
                cells.append(_evidence_text(v))
            elif isinstance(v, list):
                cells.append(";".join(v))
            else:
                cells.append("" if v is None else v)
        writer.writerow(cells)
    files = {
        # a byte-order mark: without it Excel reads the CSV as the local code page
        "csv": "\ufeff" + buf.getvalue(),
        "json": json.dumps(head | {"items": rows}, ensure_ascii=False, indent=1) + "\n",
        "html": render_summary(ref, rows, review.taxonomy),
    }
    with review.db.write() as w:
        audit.append(
            w,
            actor.name,
            "referral.export",
            f"referral:{referral_id}",
            {"referral": referral_id, "items": len(rows)},
        )
    return files


def export_referral(review: Review, actor: User, referral_id: int, out_dir: Path) -> list[Path]:
    """Write ``referral-<id>.csv``, ``.json`` and ``.html`` (:func:`referral_files`)
    into *out_dir*, each whole or not at all; returns the paths."""
    from marsad.files import write_text

    files = referral_files(review, actor, referral_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"referral-{referral_id}"
    return [write_text(stem.with_suffix("." + k), text) for k, text in files.items()]


def states_from_removals(
    review: Review,
    actor: User,
    seen: Iterable[tuple[int, str, str, str, dict[str, Any]]],
) -> int:
    """Apply removal states found by a source: (referred item id, state, at,
    source, details) tuples, in one transaction; returns how many changed."""
    changed = 0
    with review.db.write() as w:
        for ref_id, state, at, source, details in seen:
            row = w.one(
                f"SELECT {_ITEM_COLUMNS} FROM referral_items WHERE id = ?",  # noqa: S608
                [ref_id],
            )
            if row is None:
                continue
            changed += _transition(w, actor.name, row, state, at, source, details)
    return changed
