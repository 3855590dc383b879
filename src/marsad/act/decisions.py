"""Decisions that teach the detectors: reviewed posts as labelled data, and
confirmed and rejected media as hash banks.

The feedback half of *act* (:mod:`marsad.act`), after the review queue
(:mod:`marsad.review.queue`): what reviewers decided flows back into the
stages before it -- ``marsad train --data`` (:mod:`marsad.detect.datasets`)
reads :func:`export_decisions`' CSV, the model registry
(:mod:`marsad.act.registry`) judges a retrained model on the decisions it did
not learn from, and the hash matcher (:mod:`marsad.hashing.banks`) reads the
banks :func:`bank_from_decisions` fills.

**Which decisions.**  An item counts once it is closed: its status is
``confirmed`` (label 1) or ``rejected`` (label 0); items still waiting
(open, in second review, escalated) are left out.  Its *final* decision --
the one of its last round, which closed it -- gives the category, entity or
reason and the time.  A post item's text, language and author are read from
the workspace's current posts; an item whose post is no longer there (or
has no text) is counted as missing, not exported.

**The export** (:data:`EXPORT_COLUMNS`, one row per decided post item, in
decision order): ``text, label, lang, account, platform, post_id, item_id,
decision_id, category, entity, reason, hard, decided_at, split``.
``account`` is ``platform:account_id`` -- the group
:func:`~marsad.detect.datasets.read_labelled` keeps an account's posts
together by, so cross-validation never splits an account.  ``hard`` is 1 for
rejections whose reason is in :data:`HARD_REASONS`.  The **reviewer is not
exported**: the file is handed to whoever trains models, perhaps outside the
team, and a reviewer of extremist content is a person to protect, not a
feature; ``decision_id`` leads back to the decision, and the audit log to who
made it.  The file holds the posts' texts -- propaganda, for the confirmed
ones -- so it is written private to its owner (mode 0600), and every export is
an audit entry (``decisions.export``: who, which split, how many rows, the
file's SHA-256).  Anyone who may read the queue may export it
(``User.require("read")``): the rows are what the item pages show, and a
retrain by a lead needs no auditor; the audit entry is what makes a bulk copy
traceable.

**Hard negatives** (:data:`HARD_REASONS`): ``news_report``,
``counter_speech`` and ``scripture_prayer`` -- posts *about* what the
detector looks for (the movement, its names, its religious vocabulary)
without supporting it, where a detector that learnt the topic instead of the
stance shows.  The threshold rule keeps the false-positive rate on them
under ``--max-fpr`` (:mod:`marsad.detect.evaluate`), as it does for the news
and counter-speech of the keyword dataset.  Scripture and prayer are among
them because flagging religion as practised is the error the project most
wants to avoid (the ``--stream`` of ordinary posts holds it for the same
reason).  ``research_archive`` is not: an archive's post is often the
propaganda itself, word for word, so it is a negative by who posted it, not
by its text -- a threshold held under it would be held under propaganda.
``other`` is an ordinary negative.

**The split** (:func:`split_of`): an account is in ``holdout`` when the first
8 bytes of SHA-256 of ``platform:account_id`` (the post id for a post with
no author), read as a fraction, are under :data:`HOLDOUT_SHARE` (20%, the
usual one fold in five), else in ``train`` -- stable across runs and
machines, and by account, so a retrain judged on the holdout has seen no post
of its accounts.  ``--split train`` is what a retrain learns from.

**Banks** (:func:`bank_from_decisions`): the MD5, SHA-256 and PDQ of media
confirmed -- media items, and the media of confirmed post items -- go to the
bank :data:`CONFIRMED_BANK` (labels: entity, category, content type; the
item id as content id), and media rejected to the *negative* bank
:data:`REJECTED_BANK`, which suppresses matches of the same hash against the
other banks.  Two rules keep the negative bank from hiding propaganda:

* of rejected *post* items only those rejected as :data:`NEGATIVE_POST_REASONS`
  give their media -- a news report, counter-speech or an archive often
  shows the very propaganda it is about, and the reviewer judged the post,
  not its picture; a rejected *media* item was judged as media and always
  gives its hashes;
* a hash confirmed anywhere never goes to the negative bank (and leaves it
  if it was there): a miss costs more than a second look.

Re-running adds nothing new (a bank keys its signals by type and value);
a run that changes a bank is an audit entry (``decisions.bank``).  The banks are ordinary
banks: ``marsad bank export review-confirmed FILE --format threatexchange``
(HMA's signal file) or ``--format tcap`` / ``csv`` (Tech Against Terrorism's
list) hands them to others.  Hashes match exactly here (conflicts); PDQ
near-duplicates are the matcher's business.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from marsad.errors import ConfigError, InputError, UnreadableFile
from marsad.files import replacing
from marsad.review import audit
from marsad.review.db import ReviewDB
from marsad.review.users import User

__all__ = [
    "CONFIRMED_BANK",
    "EXPORT_COLUMNS",
    "HARD_REASONS",
    "HOLDOUT_SHARE",
    "NEGATIVE_POST_REASONS",
    "REJECTED_BANK",
    "SPLITS",
    "BankSummary",
    "Decided",
    "DecisionsFile",
    "ExportSummary",
    "Readable",
    "bank_from_decisions",
    "decided_items",
    "decided_posts",
    "decisions_file",
    "export_decisions",
    "split_of",
]

EXPORT_COLUMNS = (
    "text",
    "label",
    "lang",
    "account",
    "platform",
    "post_id",
    "item_id",
    "decision_id",
    "category",
    "entity",
    "reason",
    "hard",
    "decided_at",
    "split",
)
#: rejection reasons whose posts are hard negatives (module docstring)
HARD_REASONS = frozenset({"news_report", "counter_speech", "scripture_prayer"})
#: rejection reasons of post items whose media go to the negative bank (module docstring)
NEGATIVE_POST_REASONS = frozenset({"scripture_prayer", "other"})
SPLITS = ("train", "holdout", "all")
#: the share of accounts held out (one fold in five)
HOLDOUT_SHARE = 0.2
CONFIRMED_BANK = "review-confirmed"
REJECTED_BANK = "review-rejected"
#: the hash columns of ``media`` that become bank signals, by signal type
_MEDIA_HASHES = ("md5", "sha256", "pdq")


class Readable(Protocol):
    """What the functions here read the analytic store through: a
    :class:`~marsad.store.base.Store` or a :class:`~marsad.store.base.StoreView`."""

    def analytics(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class Decided:
    """A closed queue item and its final decision."""

    item_id: int
    kind: str
    platform: str
    target_id: str
    account_id: str | None
    status: str  # confirmed or rejected
    decision_id: int
    category: str | None
    entity: str | None
    reason: str | None
    decided_at: str

    @property
    def label(self) -> int:
        return 1 if self.status == "confirmed" else 0


def split_of(platform: str, account_id: str | None, post_id: str = "") -> str:
    """``holdout`` or ``train`` for an account (module docstring): stable, by account."""
    key = f"{platform}:{account_id}" if account_id else f"{platform}:post:{post_id}"
    fraction = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2**64
    return "holdout" if fraction < HOLDOUT_SHARE else "train"


def decided_items(db: ReviewDB, *, kinds: Sequence[str] = ("post",)) -> list[Decided]:
    """The closed items of *kinds* with their final decisions, in decision order."""
    rows = db.rows(
        "SELECT q.id AS item_id, q.kind, q.platform, q.target_id, q.account_id, q.status, "
        "d.id AS decision_id, d.category, d.entity, d.reason, d.at "
        "FROM queue_items q JOIN decisions d ON d.item_id = q.id "
        "WHERE q.status IN ('confirmed', 'rejected') "
        "AND d.round = (SELECT max(d2.round) FROM decisions d2 WHERE d2.item_id = q.id) "
        "ORDER BY d.id"
    )
    return [
        Decided(
            int(r["item_id"]),
            r["kind"],
            r["platform"],
            r["target_id"],
            r["account_id"],
            r["status"],
            int(r["decision_id"]),
            r["category"],
            r["entity"],
            r["reason"],
            r["at"],
        )
        for r in rows
        if r["kind"] in kinds
    ]


def _lookup(store: Readable, sql: str, keys: dict[str, list[Any]]) -> list[tuple[Any, ...]]:
    """Rows of *sql*, which joins the registered table ``_act_keys`` (*keys*'
    columns): a set of keys as data, never as SQL text."""
    con = store.analytics()
    con.register("_act_keys", pa.table(keys))
    try:
        found: list[tuple[Any, ...]] = con.execute(sql).fetchall()
    finally:
        con.unregister("_act_keys")
    return found


def decided_posts(
    db: ReviewDB, store: Readable, *, split: str = "all"
) -> tuple[list[dict[str, Any]], int]:
    """(the export's rows for the decided post items of *split*, the number of
    decided items whose post is no longer in the workspace)."""
    if split not in SPLITS:
        raise ConfigError(f"split {split!r}: one of {', '.join(SPLITS)}")
    items = decided_items(db)
    if not items:
        return [], 0
    posts = {
        (p, n): (acc, text, lang)
        for p, n, acc, text, lang in _lookup(
            store,
            "SELECT p.platform, p.native_id, p.account_id, p.text, p.lang FROM current_posts p "
            "JOIN _act_keys k ON k.platform = p.platform AND k.native_id = p.native_id",
            {
                "platform": [i.platform for i in items],
                "native_id": [i.target_id for i in items],
            },
        )
    }
    out: list[dict[str, Any]] = []
    missing = 0
    for i in items:
        found = posts.get((i.platform, i.target_id))
        if found is None or not (found[1] or "").strip():
            missing += 1
            continue
        account_id = found[0] or i.account_id
        where = split_of(i.platform, account_id, i.target_id)
        if split != "all" and where != split:
            continue
        out.append(
            {
                "text": found[1],
                "label": i.label,
                "lang": found[2] or "",
                "account": f"{i.platform}:{account_id}" if account_id else "",
                "platform": i.platform,
                "post_id": i.target_id,
                "item_id": i.item_id,
                "decision_id": i.decision_id,
                "category": i.category or "",
                "entity": i.entity or "",
                "reason": i.reason or "",
                "hard": int(i.label == 0 and i.reason in HARD_REASONS),
                "decided_at": i.decided_at,
                "split": where,
            }
        )
    return out, missing


@dataclass
class ExportSummary:
    """What :func:`export_decisions` wrote."""

    path: str
    split: str
    rows: int = 0
    positives: int = 0
    hard: int = 0
    missing: int = 0  # decided post items whose post is gone from the workspace
    cut: int = 0  # the last decision id exported (0: none)
    decided_until: str = ""  # ... and its time
    sha256: str = ""
    by_language: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)  # rejections by reason

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def export_decisions(
    db: ReviewDB, store: Readable, path: Path, actor: User, *, split: str = "all"
) -> ExportSummary:
    """Write the decided post items of *split* to *path* as labelled CSV
    (module docstring), whole or not at all, and record the export in the
    audit log."""
    actor.require("read")
    rows, missing = decided_posts(db, store, split=split)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    try:
        with replacing(Path(path), mode=0o600) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    summary = ExportSummary(str(path), split, missing=missing)
    summary.rows = len(rows)
    summary.positives = sum(r["label"] for r in rows)
    summary.hard = sum(r["hard"] for r in rows)
    summary.cut = max((r["decision_id"] for r in rows), default=0)
    summary.decided_until = max((r["decided_at"] for r in rows), default="")
    summary.sha256 = hashlib.sha256(data).hexdigest()
    summary.by_language = dict(Counter(r["lang"] or "und" for r in rows).most_common())
    summary.reasons = dict(Counter(r["reason"] for r in rows if r["label"] == 0).most_common())
    with db.write() as w:
        audit.append(
            w,
            actor.name,
            "decisions.export",
            "decisions",
            {
                "file": Path(path).name,
                "split": split,
                "rows": summary.rows,
                "positives": summary.positives,
                "hard": summary.hard,
                "cut": summary.cut,
                "sha256": summary.sha256,
            },
        )
    return summary


@dataclass(frozen=True)
class DecisionsFile:
    """What a model learnt of the decisions: read back from an export
    (:func:`decisions_file`) and kept with a registered model
    (:mod:`marsad.act.registry`) so its evaluation leaves those decisions out."""

    file: str
    sha256: str
    rows: int
    splits: tuple[str, ...]  # the splits whose rows it holds
    cut: int  # the last decision id it holds

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "rows": self.rows,
            "splits": list(self.splits),
            "cut": self.cut,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecisionsFile:
        return cls(
            str(data.get("file", "")),
            str(data.get("sha256", "")),
            int(data.get("rows", 0)),
            tuple(str(s) for s in data.get("splits", ())),
            int(data.get("cut", 0)),
        )

    def saw(self, decision_id: int, split: str) -> bool:
        """Whether a model trained on this file may have learnt from a decision."""
        return decision_id <= self.cut and split in self.splits

    @classmethod
    def of_summary(cls, summary: ExportSummary) -> DecisionsFile:
        splits = ("train", "holdout") if summary.split == "all" else (summary.split,)
        return cls(Path(summary.path).name, summary.sha256, summary.rows, splits, summary.cut)


def decisions_file(path: Path) -> DecisionsFile:
    """What an export of :func:`export_decisions` holds (its splits and last decision)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        missing = {"decision_id", "split"} - set(reader.fieldnames or ())
        if missing:
            raise InputError(
                f"{path}: not an export of `marsad decisions export` (no column "
                f"{', '.join(sorted(missing))})"
            )
        splits: set[str] = set()
        cut = rows = 0
        for row in reader:
            rows += 1
            splits.add(row["split"])
            cut = max(cut, int(row["decision_id"]))
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except (csv.Error, ValueError) as exc:
        raise InputError(f"{path}: bad decisions export ({exc})") from exc
    return DecisionsFile(
        Path(path).name,
        hashlib.sha256(data).hexdigest(),
        rows,
        tuple(s for s in ("train", "holdout") if s in splits),
        cut,
    )


# -- banks ------------------------------------------------------------------------


@dataclass
class BankSummary:
    """What :func:`bank_from_decisions` did."""

    bank: str
    negative_bank: str
    confirmed_media: int = 0  # media of confirmed items
    rejected_media: int = 0  # media of rejected items that may go to the negative bank
    added: int = 0  # signals new to the bank
    added_negative: int = 0
    conflicts: int = 0  # hashes both confirmed and rejected: kept out of the negative bank
    removed_negative: int = 0  # ... and taken out of it, where an earlier run had put them
    signals: int = 0  # signals in the bank now
    signals_negative: int = 0
    errors: list[str] = field(default_factory=list)  # hashes the bank refused, and why

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _media_of(
    store: Readable, items: Sequence[Decided]
) -> list[tuple[Decided, str, str, dict[str, str]]]:
    """(item, media id, media kind, {signal type: value}) for the media of
    *items*: a media item's own, a post item's attached media."""
    if not items:
        return []
    by_key: dict[tuple[str, str, str], list[Decided]] = {}
    for i in items:
        by_key.setdefault((i.kind, i.platform, i.target_id), []).append(i)
    found = _lookup(
        store,
        "SELECT k.kind, m.platform, m.native_id, m.post_id, m.kind, m.md5, m.sha256, m.pdq "
        "FROM media m JOIN _act_keys k ON k.platform = m.platform AND "
        "((k.kind = 'media' AND m.native_id = k.target_id) OR "
        " (k.kind = 'post' AND m.post_id = k.target_id)) "
        "ORDER BY m.platform, m.native_id",
        {
            "kind": [k for k, _, _ in by_key],
            "platform": [p for _, p, _ in by_key],
            "target_id": [t for _, _, t in by_key],
        },
    )
    out = []
    for item_kind, platform, media_id, post_id, media_kind, *hashes in found:
        target = media_id if item_kind == "media" else post_id
        values = {
            t: str(v).strip().lower()
            for t, v in zip(_MEDIA_HASHES, hashes, strict=True)
            if v is not None and str(v).strip()
        }
        if not values:
            continue
        for item in by_key.get((item_kind, platform, target), ()):
            out.append((item, media_id, str(media_kind or ""), values))
    return out


def _ensure_bank(store: Any, name: str, *, negative: bool, actor: User) -> bool:
    """Create bank *name* if missing (True: created); refuse one of the other kind."""
    from marsad.hashing.banks import create_bank, list_banks

    existing = {b.name: b for b in list_banks(store)}
    if name not in existing:
        create_bank(
            store,
            name,
            description=(
                "media rejected in review (known false positives)"
                if negative
                else "media confirmed in review"
            ),
            source="marsad review decisions",
            negative=negative,
            created_by=actor.name,
        )
        return True
    if existing[name].negative != negative:
        kind = "a negative bank" if existing[name].negative else "not a negative bank"
        raise ConfigError(
            f"bank {name!r} is {kind}; give another name with "
            + ("--bank" if not negative else "--negative-bank")
        )
    return False


def _add(
    store: Any, name: str, signals: Iterable[dict[str, Any]], actor: User
) -> tuple[int, list[str]]:
    """Add *signals* (marsad-jsonl objects) to bank *name* through the bank's
    own import (validation, idempotence); returns (added, errors)."""
    from marsad.hashing.banks import import_bank

    lines = [json.dumps(s, ensure_ascii=False, sort_keys=True) for s in signals]
    if not lines:
        return 0, []
    fd, tmp_name = tempfile.mkstemp(prefix="marsad-decisions-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        result = import_bank(store, name, Path(tmp_name), "marsad-jsonl", added_by=actor.name)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    return result.added, [e.split(": ", 1)[-1] for e in result.errors]


def bank_from_decisions(
    db: ReviewDB,
    store: Any,
    actor: User,
    *,
    bank: str = CONFIRMED_BANK,
    negative_bank: str = REJECTED_BANK,
) -> BankSummary:
    """Put the hashes of confirmed media into *bank* and of rejected media into
    the negative bank *negative_bank* (module docstring), creating them when
    missing.  *store* is the workspace's store opened for writing
    (``pipeline.open_store``); returns what changed."""
    actor.require("sync")
    if bank == negative_bank:
        raise ConfigError("the bank and the negative bank must differ")
    items = decided_items(db, kinds=("post", "media"))
    confirmed = [i for i in items if i.status == "confirmed"]
    rejected = [
        i
        for i in items
        if i.status == "rejected" and (i.kind == "media" or i.reason in NEGATIVE_POST_REASONS)
    ]
    media_yes = _media_of(store, confirmed)
    media_no = _media_of(store, rejected)
    yes_keys = {(t, v) for _, _, _, values in media_yes for t, v in values.items()}
    summary = BankSummary(bank, negative_bank)
    summary.confirmed_media = len({(i.platform, m) for i, m, _, _ in media_yes})
    summary.rejected_media = len({(i.platform, m) for i, m, _, _ in media_no})

    def signals(
        found: list[tuple[Decided, str, str, dict[str, str]]], negative: bool
    ) -> list[dict[str, Any]]:
        out = []
        for item, _media_id, media_kind, values in found:
            labels: dict[str, Any] = {"content_type": media_kind} if media_kind else {}
            if negative:
                labels["reason"] = item.reason or ""
            else:
                labels |= {"entity": item.entity or "", "category": item.category or ""}
                if item.category:
                    labels["tags"] = [item.category]
            for kind, value in values.items():
                if negative and (kind, value) in yes_keys:
                    continue
                out.append(
                    {
                        "type": kind,
                        "value": value,
                        "labels": labels,
                        "content_id": str(item.item_id),
                        "source": "marsad review",
                        "added_by": actor.name,
                    }
                )
        return out

    summary.conflicts = len(yes_keys & {(t, v) for *_, vs in media_no for t, v in vs.items()})
    created = [
        name
        for name, negative in ((bank, False), (negative_bank, True))
        if _ensure_bank(store, name, negative=negative, actor=actor)
    ]
    summary.added, errors = _add(store, bank, signals(media_yes, False), actor)
    summary.added_negative, errors_negative = _add(
        store, negative_bank, signals(media_no, True), actor
    )
    summary.errors = errors + errors_negative
    # a hash confirmed since an earlier run put it in the negative bank leaves it
    from marsad.hashing.banks import bank_signals

    stale = [
        (negative_bank, s.type, s.value)
        for s in bank_signals(store, negative_bank)
        if (s.type, s.value) in yes_keys
    ]
    if stale:
        with store.transaction():
            store.execute(
                "DELETE FROM bank_signals WHERE bank = ? AND signal_type = ? AND value = ?", stale
            )
        summary.removed_negative = len(stale)
    summary.signals = len(bank_signals(store, bank))
    summary.signals_negative = len(bank_signals(store, negative_bank))
    if not (created or summary.added or summary.added_negative or summary.removed_negative):
        return summary  # nothing changed: nothing to record
    with db.write() as w:
        audit.append(
            w,
            actor.name,
            "decisions.bank",
            f"bank:{bank}",
            {
                "bank": bank,
                "negative_bank": negative_bank,
                "created": created,
                "added": summary.added,
                "added_negative": summary.added_negative,
                "removed_negative": summary.removed_negative,
                "conflicts": summary.conflicts,
            },
        )
    return summary
