"""The audit log: append-only and hash-chained.

Every decision, reveal of media, export, login, role change and setting
change is one entry: ``seq`` (1, 2, ... without gaps), ``at``, ``actor``,
``action``, ``target``, ``details`` (a JSON object), ``prev`` (the previous
entry's hash; 64 zeros for the first) and ``hash`` = SHA-256 of the entry's
canonical JSON including ``prev``.  An entry is written in the same
transaction as the change it records, so there is no decision without its
entry and no entry without its decision.

The database refuses ``UPDATE`` and ``DELETE`` on the log (a trigger, from
migration 3); the chain catches what gets past that -- an edit through
another tool, a deleted row, an entry inserted out of order, a log
truncated at the end (:func:`verify` compares the last hash with the one
``marsad audit verify`` printed before, when given).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from marsad.review.db import ReviewDB, Writer, now_iso

__all__ = ["GENESIS", "AuditProblem", "append", "entry_hash", "iter_entries", "verify"]

GENESIS = "0" * 64
_FIELDS = ("seq", "at", "actor", "action", "target", "details", "prev")


def entry_hash(entry: dict[str, Any]) -> str:
    """The hash of an entry: SHA-256 of its fields (``details`` as stored) in canonical JSON."""
    payload = json.dumps([entry[f] for f in _FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(
    w: Writer, actor: str, action: str, target: str = "", details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Add an entry inside the write transaction *w* (which serialises appends)."""
    last = w.one("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    entry: dict[str, Any] = {
        "seq": 1 if last is None else int(last["seq"]) + 1,
        "at": now_iso(),
        "actor": actor,
        "action": action,
        "target": target,
        "details": json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
        "prev": GENESIS if last is None else last["hash"],
    }
    entry["hash"] = entry_hash(entry)
    w.run(
        "INSERT INTO audit_log (seq, at, actor, action, target, details, prev, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [entry[f] for f in (*_FIELDS, "hash")],
    )
    return entry


def iter_entries(db: ReviewDB, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Every entry in ``seq`` order."""
    after = -1
    while True:
        rows = db.rows(
            "SELECT seq, at, actor, action, target, details, prev, hash FROM audit_log "
            "WHERE seq > ? ORDER BY seq LIMIT ?",
            [after, batch],
        )
        if not rows:
            return
        for r in rows:
            r["seq"] = int(r["seq"])
            yield r
        after = rows[-1]["seq"]


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """The first entry where the chain breaks, and how."""

    seq: int
    problem: str

    def __str__(self) -> str:
        return f"audit entry {self.seq}: {self.problem}"


def verify(db: ReviewDB, expected_head: str | None = None) -> tuple[int, str, AuditProblem | None]:
    """Check the whole chain: (entries, last hash, the first problem or None).

    *expected_head* is a hash printed by an earlier ``verify``: if the log
    no longer contains it, entries were removed from its end.
    """
    prev = GENESIS
    n = 0
    seen_head = expected_head is None
    for e in iter_entries(db):
        n += 1
        if e["seq"] != n:
            return n, prev, AuditProblem(n, f"missing (the next entry is {e['seq']}): deleted")
        if e["prev"] != prev:
            return n, prev, AuditProblem(n, "does not follow the entry before it (edited or moved)")
        if entry_hash(e) != e["hash"]:
            return n, prev, AuditProblem(n, "its content does not match its hash: edited")
        try:
            json.loads(e["details"])
        except ValueError:
            return n, prev, AuditProblem(n, "its details are not JSON")
        prev = e["hash"]
        if not seen_head and prev == expected_head:
            seen_head = True
    if not seen_head:
        return n, prev, AuditProblem(n + 1, "the expected last entry is gone: truncated")
    return n, prev, None
