"""Banks of known content: named collections of hash signals, their import
and export, and matching against them.

Part of the *match* stage (issue 5).  A bank has a name, a source (GIFCT,
TCAP, an analyst's own list), an enabled flag and, if it is *negative*,
holds known false positives: a match against a negative bank suppresses the
matches of the same item against the others.  Each signal has a type (one
of :data:`~marsad.hashing.registry.SIGNAL_TYPES`: ``pdq``, ``md5``,
``sha256``, and the text and video types), its value in the type's
canonical form and labels -- the kind the shared lists attach: entity,
ideology, content type, behaviour.

Banks live in the workspace (tables ``banks``, ``bank_signals`` and
``bank_checkpoints``), so they travel with its Parquet/JSONL export.  Import
and export formats (:data:`FORMATS`):

``marsad-jsonl``
    marsad's own, lossless: one ``{"type", "value", "labels", "content_id",
    "source", "added_by", "added_at"}`` object per line.
``threatexchange``
    python-threatexchange's local signal file (``LocalFileSignalExchangeAPI``):
    ``<signal_type> <value>`` per line -- ``pdq``, ``video_md5``, ``raw_text``
    (read as its text signal) and the others each type names; HMA fills banks
    from it.
``csv``
    a hash list with one column per type (``md5``, ``sha256``, ``pdq``; any
    may be empty) or TCAP's long shape (``hash_digest`` and ``algorithm``),
    and label columns (``entity``, ``ideology``, ``content_type`` or
    ``file_type``, ``behaviour``, ``content_id`` or ``id``; ``tags``
    space-separated).  With an ``updated_on`` column (Unix seconds or ISO
    time) the list is a *feed*: see checkpoints below.
``tcap``
    Tech Against Terrorism's hash list as its API serves it
    (python-threatexchange's ``TATHashListEntry``: ``hash_digest``,
    ``algorithm``, ``ideology``, ``file_type``, ``deleted``, ``updated_on``,
    ``id``): a page ``{"checkpoint", "results": [...]}``, a JSON array of
    entries, or one entry per line.
``plain``
    one hash per line; its type is ``--type`` or, for 32 hex digits, MD5.

**Checkpoints** (incremental updates, as TAT's API does them: its checkpoint
is ``"<updated_on>,<id>"`` of the last record delivered, and an entry with
``deleted: true`` withdraws a hash).  Entries of a feed are applied in
``(updated_on, id)`` order; the bank keeps, per feed (``--feed``, default the
format's name), the checkpoint of the last entry applied, and a later import
skips entries at or before it -- so importing tonight's full list after
yesterday's applies only what changed, and importing the same list twice
changes nothing.  A deleted entry removes the signal from the bank.

A bad line is reported with its file, line and reason and skipped; the good
lines land in one transaction with the new checkpoint, and importing the
same file again changes nothing (signals are keyed by bank, type and value).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marsad.errors import ConfigError, InputError, UnreadableFile
from marsad.files import write_text
from marsad.hashing.base import SignalIndex
from marsad.hashing.registry import SIGNAL_TYPES, THREATEXCHANGE_NAMES, signal_type
from marsad.store.base import Store

__all__ = [
    "FORMATS",
    "SIGNAL_TYPES",
    "Bank",
    "BankSignal",
    "ImportResult",
    "Match",
    "Matcher",
    "bank_signals",
    "checkpoints",
    "create_bank",
    "export_bank",
    "import_bank",
    "list_banks",
    "parse_signals",
    "set_enabled",
]

FORMATS = ("marsad-jsonl", "threatexchange", "csv", "tcap", "plain")
LABEL_COLUMNS = ("entity", "ideology", "content_type", "behaviour")
#: the columns of ``bank_signals``, in the order the import builds its rows
_SIGNAL_COLUMNS = (
    "bank",
    "signal_type",
    "value",
    "labels",
    "content_id",
    "source",
    "added_by",
    "added_at",
)
#: TCAP's ``algorithm`` names -> marsad's signal types
TCAP_ALGORITHMS = {"MD5": "md5", "SHA256": "sha256", "PDQ": "pdq"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Bank:
    name: str
    description: str = ""
    source: str = ""
    negative: bool = False
    enabled: bool = True
    created_by: str = ""
    created_at: datetime | None = None
    signals: dict[str, int] = field(default_factory=dict)  # type -> count (from list_banks)
    feeds: dict[str, str] = field(default_factory=dict)  # feed -> checkpoint (from list_banks)


@dataclass(frozen=True)
class BankSignal:
    type: str
    value: str
    labels: dict[str, Any] = field(default_factory=dict)
    content_id: str | None = None
    source: str | None = None
    added_by: str | None = None
    added_at: datetime | None = None


@dataclass(frozen=True)
class Entry:
    """One line of a list: a signal, whether it withdraws it, and its place
    in a feed (``(updated_on, id)``; None outside feeds)."""

    signal: BankSignal
    deleted: bool = False
    order: tuple[float, int] | None = None


@dataclass
class ImportResult:
    added: int = 0
    removed: int = 0
    seen: int = 0  # good lines
    skipped: int = 0  # feed entries at or before the checkpoint
    errors: list[str] = field(default_factory=list)  # "FILE:LINE: reason"
    unsupported: Counter[str] = field(default_factory=Counter)  # algorithm -> entries
    checkpoint: str | None = None  # the feed's checkpoint after the import


@dataclass(frozen=True)
class Match:
    """One item's match against one bank signal."""

    bank: str
    signal_type: str
    value: str
    distance: int
    labels: dict[str, Any]
    content_id: str | None


# -- banks ---------------------------------------------------------------------


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigError(
            f"bank name {name!r}: letters, digits, '_', '.', '-' (up to 64), starting "
            "with a letter or digit"
        )
    return name


def create_bank(
    store: Store,
    name: str,
    *,
    description: str = "",
    source: str = "",
    negative: bool = False,
    created_by: str = "",
) -> Bank:
    """Create the bank *name* (a :class:`~marsad.errors.ConfigError` if it exists)."""
    _check_name(name)
    if store.query("SELECT 1 FROM banks WHERE name = ?", [name]):
        raise ConfigError(f"bank {name!r} exists")
    now = datetime.now(UTC)
    with store.transaction():
        store.execute(
            "INSERT INTO banks VALUES (?, ?, ?, ?, true, ?, ?)",
            [(name, description, source, negative, created_by, now)],
        )
    return Bank(name, description, source, negative, True, created_by, now)


def _bank(store: Store, name: str) -> Bank:
    rows = store.query(
        "SELECT name, description, source, negative, enabled, created_by, created_at "
        "FROM banks WHERE name = ?",
        [name],
    )
    if not rows:
        raise ConfigError(f"no bank {name!r} (marsad bank list shows the banks)")
    return Bank(*rows[0])


def list_banks(store: Store) -> list[Bank]:
    counts: dict[str, dict[str, int]] = {}
    for bank, kind, n in store.query(
        "SELECT bank, signal_type, count(*) FROM bank_signals GROUP BY ALL ORDER BY ALL"
    ):
        counts.setdefault(bank, {})[kind] = int(n)
    rows = store.query(
        "SELECT name, description, source, negative, enabled, created_by, created_at "
        "FROM banks ORDER BY name"
    )
    feeds: dict[str, dict[str, str]] = {}
    for bank, feed, checkpoint in store.query(
        "SELECT bank, feed, checkpoint FROM bank_checkpoints ORDER BY ALL"
    ):
        feeds.setdefault(bank, {})[feed] = checkpoint
    return [
        Bank(n, d, s, bool(neg), bool(on), by, at, counts.get(n, {}), feeds.get(n, {}))
        for n, d, s, neg, on, by, at in rows
    ]


def set_enabled(store: Store, name: str, enabled: bool) -> Bank:
    _bank(store, name)
    with store.transaction():
        store.execute("UPDATE banks SET enabled = ? WHERE name = ?", [(enabled, name)])
    return _bank(store, name)


# -- parsing ------------------------------------------------------------------


class _Unsupported(ValueError):
    """An entry of a hash type marsad does not bank (TMK, SHA-512): counted, not an error."""


def _signal(kind: str, value: str) -> tuple[str, str]:
    return kind, signal_type(kind).validate(value)


def _time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"added_at must be an ISO time, got {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _epoch(value: Any) -> float:
    """``updated_on`` as Unix seconds: a number, or an ISO time."""
    if isinstance(value, bool) or value in (None, ""):
        raise ValueError(f"updated_on must be Unix seconds or an ISO time, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        try:
            seconds = float(value)
        except ValueError:
            try:
                parsed = _time(str(value))
            except ValueError:
                parsed = None
            if parsed is None:
                raise ValueError(
                    f"updated_on must be Unix seconds or an ISO time, got {value!r}"
                ) from None
            seconds = parsed.timestamp()
    if not math.isfinite(seconds):
        raise ValueError(f"updated_on is not a time: {value!r}")
    return seconds


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("", "0", "false", "no", "f", "n"):
        return False
    if text in ("1", "true", "yes", "t", "y"):
        return True
    raise ValueError(f"deleted must be true or false, got {value!r}")


def _jsonl(text: Iterable[str]) -> Iterator[tuple[int, Entry | str]]:
    for n, line in enumerate(text, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("a line must be a JSON object")
            kind, value = _signal(str(obj.get("type", "")), str(obj.get("value", "")))
            labels = obj.get("labels") or {}
            if not isinstance(labels, dict):
                raise ValueError("labels must be an object")
            yield (
                n,
                Entry(
                    BankSignal(
                        kind,
                        value,
                        labels,
                        obj.get("content_id"),
                        obj.get("source"),
                        obj.get("added_by"),
                        _time(obj.get("added_at")),
                    )
                ),
            )
        except ValueError as exc:  # json.JSONDecodeError is one
            yield n, str(exc)


def _threatexchange(
    text: Iterable[str], default_type: str | None
) -> Iterator[tuple[int, Entry | str]]:
    for n, line in enumerate(text, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        try:
            if len(parts) == 2:
                te_type = parts[0].lower()
                if te_type not in THREATEXCHANGE_NAMES:
                    raise ValueError(f"signal type {parts[0]!r} is not one marsad banks")
                kind = THREATEXCHANGE_NAMES[te_type]
                yield n, Entry(BankSignal(kind.name, kind.from_threatexchange(te_type, parts[1])))
            elif len(parts) == 1 and default_type:
                yield n, Entry(BankSignal(*_signal(default_type, parts[0])))
            else:
                raise ValueError("expected '<signal_type> <value>'")
        except ValueError as exc:
            yield n, str(exc)


def _plain(text: Iterable[str], default_type: str | None) -> Iterator[tuple[int, Entry | str]]:
    for n, line in enumerate(text, 1):
        value = line.strip()
        if not value or value.startswith("#"):
            continue
        try:
            kind = default_type or ("md5" if len(value) == 32 else "")
            if not kind:
                raise ValueError(
                    f"{len(value)} hex digits could be PDQ or SHA-256: give the list's --type"
                )
            yield n, Entry(BankSignal(*_signal(kind, value)))
        except ValueError as exc:
            yield n, str(exc)


def _tcap_entry(obj: Any) -> Entry:
    """One entry of TAT's hash list (``TATHashListEntry``)."""
    if not isinstance(obj, dict):
        raise ValueError("an entry must be a JSON object")
    algorithm = str(obj.get("algorithm") or "").strip().upper()
    if algorithm not in TCAP_ALGORITHMS:
        if algorithm:
            raise _Unsupported(algorithm)
        raise ValueError("no algorithm")
    labels = {
        k: str(v).strip()
        for k, v in (
            ("ideology", obj.get("ideology")),
            ("content_type", obj.get("file_type")),
        )
        if v not in (None, "")
    }
    ident = obj.get("id")
    try:
        serial = int(ident) if ident not in (None, "") else 0
    except (TypeError, ValueError):
        raise ValueError(f"id must be an integer, got {ident!r}") from None
    kind, value = _signal(TCAP_ALGORITHMS[algorithm], str(obj.get("hash_digest") or ""))
    return Entry(
        BankSignal(kind, value, labels, str(ident) if ident not in (None, "") else None),
        deleted=_flag(obj.get("deleted")),
        order=(_epoch(obj.get("updated_on")), serial),
    )


def _tcap(text: str) -> Iterator[tuple[int, Entry | str]]:
    stripped = text.lstrip()
    try:
        whole = json.loads(text) if stripped[:1] in ("[", "{") else None
    except ValueError:
        whole = None  # one entry per line, or damaged: read line by line below
    if isinstance(whole, dict) and "results" in whole:
        whole = whole["results"]
        if not isinstance(whole, list):
            yield 1, "results must be a list of entries"
            return
    if isinstance(whole, list):
        # a JSON document has no useful line numbers: entries are numbered
        for n, obj in enumerate(whole, 1):
            try:
                yield n, _tcap_entry(obj)
            except _Unsupported as exc:
                yield n, f"unsupported:{exc}"
            except ValueError as exc:
                yield n, f"entry {n}: {exc}"
        return
    for n, line in enumerate(io.StringIO(text, newline=""), 1):
        if not line.strip():
            continue
        try:
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"not JSON ({exc})") from None
            yield n, _tcap_entry(obj)
        except _Unsupported as exc:
            yield n, f"unsupported:{exc}"
        except ValueError as exc:
            yield n, str(exc)


def _csv(text: Iterable[str]) -> Iterator[tuple[int, Entry | str]]:
    reader = csv.DictReader(text)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    reader.fieldnames = header
    long = {"hash_digest", "algorithm"} <= set(header)
    if not long and not set(header) & set(SIGNAL_TYPES):
        yield (
            1,
            f"no hash column: the header needs one of {', '.join(SIGNAL_TYPES)} "
            "(or hash_digest and algorithm)",
        )
        return
    feed = "updated_on" in header
    for row in reader:
        n = reader.line_num
        try:
            if long:
                yield n, _tcap_entry(row)
                continue
            labels: dict[str, Any] = {
                k: row[k].strip() for k in LABEL_COLUMNS if k in row and (row[k] or "").strip()
            }
            if "content_type" not in labels and (row.get("file_type") or "").strip():
                labels["content_type"] = row["file_type"].strip()
            if (row.get("tags") or "").strip():
                labels["tags"] = row["tags"].split()
            content_id = (row.get("content_id") or row.get("id") or "").strip() or None
            order = None
            if feed:
                ident = (row.get("id") or "").strip()
                order = (_epoch((row.get("updated_on") or "").strip()), int(ident or 0))
            deleted = _flag(row.get("deleted"))
        except _Unsupported as exc:
            yield n, f"unsupported:{exc}"
            continue
        except ValueError as exc:
            yield n, str(exc)
            continue
        found = False
        for kind in SIGNAL_TYPES:
            value = (row.get(kind) or "").strip()
            if not value:
                continue
            found = True
            try:
                signal = BankSignal(*_signal(kind, value), labels=labels, content_id=content_id)
                yield n, Entry(signal, deleted, order)
            except ValueError as exc:
                yield n, str(exc)
        if not found:
            yield n, "no hash in this row"


def parse_signals(
    path: Path, fmt: str | None = None, *, signal_type: str | None = None
) -> Iterator[tuple[int, Entry | str]]:
    """(line, entry or the reason the line is bad) for each line of the list
    at *path* in format *fmt* (:data:`FORMATS`; None: from the file's name
    and first line).  *signal_type* is the type of bare hashes.  A reason
    ``unsupported:ALGORITHM`` marks an entry of a type marsad does not bank."""
    if signal_type is not None and signal_type not in SIGNAL_TYPES:
        raise ConfigError(f"--type must be one of {', '.join(SIGNAL_TYPES)}")
    text = _read(path)
    fmt = fmt or _guess(Path(path), text)
    lines = io.StringIO(text, newline="")
    if fmt == "marsad-jsonl":
        return _jsonl(lines)
    if fmt == "threatexchange":
        return _threatexchange(lines, signal_type)
    if fmt == "csv":
        return _csv(lines)
    if fmt == "tcap":
        return _tcap(text)
    if fmt == "plain":
        return _plain(lines, signal_type)
    raise ConfigError(f"unknown bank format {fmt!r} (one of {', '.join(FORMATS)})")


def _read(path: Path) -> str:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{path}: not UTF-8 text (byte {exc.start})") from exc


def _guess(path: Path, text: str) -> str:
    first = next(
        (s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")), ""
    )
    if first.startswith(("[", "{")) and ("hash_digest" in text[:4096]):
        return "tcap"
    if first.startswith("{"):
        return "marsad-jsonl"
    words = first.split(None, 1)
    if len(words) == 2 and words[0].lower() in THREATEXCHANGE_NAMES:
        return "threatexchange"  # before CSV: vPDQ and raw_text values hold commas
    if path.suffix.lower() == ".csv" or "," in first:
        return "csv"
    if len(first.split()) >= 2:
        return "threatexchange"
    return "plain"


def checkpoints(store: Store, name: str) -> dict[str, str]:
    """The feeds of bank *name* and their checkpoints (``"<updated_on>,<id>"``)."""
    _bank(store, name)
    return dict(store.query("SELECT feed, checkpoint FROM bank_checkpoints WHERE bank = ?", [name]))


def _order(checkpoint: str | None) -> tuple[float, int] | None:
    if not checkpoint:
        return None
    seconds, _, serial = checkpoint.partition(",")
    return float(seconds), int(serial or 0)


def _checkpoint(order: tuple[float, int]) -> str:
    seconds = int(order[0]) if order[0].is_integer() else order[0]
    return f"{seconds},{order[1]}"


def import_bank(
    store: Store,
    name: str,
    path: Path,
    fmt: str | None = None,
    *,
    signal_type: str | None = None,
    labels: dict[str, Any] | None = None,
    added_by: str = "",
    feed: str | None = None,
) -> ImportResult:
    """Add the signals of the list at *path* to bank *name*: good lines land
    together in one transaction, bad ones are reported (``FILE:LINE: why``).
    A signal already in the bank is kept as it is.  *labels* are added to
    every signal that has none of its own.  Entries that carry a feed order
    (``tcap``, or a CSV with ``updated_on``) are applied after the bank's
    checkpoint for *feed* (default: the format's name) and move it on; their
    deletions remove signals (module docstring)."""
    _bank(store, name)
    result = ImportResult()
    now = datetime.now(UTC)
    entries: list[Entry] = []
    fmt = fmt or _guess(Path(path), _read(path))
    for line, item in parse_signals(path, fmt, signal_type=signal_type):
        if isinstance(item, str):
            if item.startswith("unsupported:"):
                result.unsupported[item.removeprefix("unsupported:")] += 1
            else:
                result.errors.append(f"{path}:{line}: {item}")
            continue
        result.seen += 1
        entries.append(item)
    feed = feed or fmt
    known = _order(checkpoints(store, name).get(feed))
    fed = [e for e in entries if e.order is not None]
    if fed:
        fed.sort(key=lambda e: e.order or (0.0, 0))
        fresh = [e for e in fed if known is None or (e.order or (0.0, 0)) > known]
        result.skipped = len(fed) - len(fresh)
        entries = [e for e in entries if e.order is None] + fresh
    # the last word on a signal wins: a later deletion removes an earlier add
    final: dict[tuple[str, str], Entry] = {}
    for e in entries:
        final[(e.signal.type, e.signal.value)] = e
    rows: list[tuple[Any, ...]] = []
    gone: list[tuple[Any, ...]] = []
    for e in final.values():
        sig = e.signal
        if e.deleted:
            gone.append((name, sig.type, sig.value))
            continue
        rows.append(
            (
                name,
                sig.type,
                sig.value,
                json.dumps(sig.labels or labels or {}, sort_keys=True, ensure_ascii=False),
                sig.content_id,
                sig.source or Path(path).name,
                sig.added_by or added_by or None,
                sig.added_at or now,
            )
        )
    before = _count(store, name)
    newest = max((e.order for e in fed if e.order is not None), default=None)
    moved = newest is not None and (known is None or newest > known)
    if rows or gone or moved:
        with store.transaction():
            if gone:
                store.execute(
                    "DELETE FROM bank_signals WHERE bank = ? AND signal_type = ? AND value = ?",
                    gone,
                )
            after_delete = _count(store, name)
            result.removed = before - after_delete
            before = after_delete
            if rows:
                store.insert_rows("bank_signals", _SIGNAL_COLUMNS, rows)
            if moved and newest is not None:
                store.replace_rows(
                    "bank_checkpoints",
                    ("bank", "feed", "checkpoint", "file", "updated_at"),
                    [(name, feed, _checkpoint(newest), str(path), now)],
                )
    result.added = _count(store, name) - before
    result.checkpoint = checkpoints(store, name).get(feed)
    return result


def _count(store: Store, name: str) -> int:
    return int(store.query("SELECT count(*) FROM bank_signals WHERE bank = ?", [name])[0][0])


def bank_signals(store: Store, name: str) -> list[BankSignal]:
    _bank(store, name)
    rows = store.query(
        "SELECT signal_type, value, labels, content_id, source, added_by, added_at "
        "FROM bank_signals WHERE bank = ? ORDER BY signal_type, value",
        [name],
    )
    return [BankSignal(t, v, json.loads(lab), c, s, a, at) for t, v, lab, c, s, a, at in rows]


def export_bank(store: Store, name: str, path: Path, fmt: str = "marsad-jsonl") -> int:
    """Write bank *name* to *path* in *fmt* (written to a temporary file and
    renamed: no half-written file stays behind); returns signals written.
    ``plain`` and ``threatexchange`` keep only types and values; ``tcap``
    holds the types TCAP lists (MD5, SHA-256, PDQ)."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown bank format {fmt!r} (one of {', '.join(FORMATS)})")
    signals = bank_signals(store, name)
    out = io.StringIO(newline="")
    if fmt == "marsad-jsonl":
        for s in signals:
            obj = {
                "type": s.type,
                "value": s.value,
                "labels": s.labels,
                "content_id": s.content_id,
                "source": s.source,
                "added_by": s.added_by,
                "added_at": s.added_at.isoformat() if s.added_at else None,
            }
            out.write(json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n")
    elif fmt == "threatexchange":
        for s in signals:
            out.write(f"{s.type} {s.value}\n")
    elif fmt == "plain":
        kinds = {s.type for s in signals}
        if len(kinds) > 1:
            raise ConfigError(
                f"bank {name!r} holds {', '.join(sorted(kinds))}: a plain list holds one "
                "type (use threatexchange, csv or marsad-jsonl)"
            )
        for s in signals:
            out.write(s.value + "\n")
    elif fmt == "tcap":
        algorithms = {v: k for k, v in TCAP_ALGORITHMS.items()}
        other = sorted({s.type for s in signals} - set(algorithms))
        if other:
            raise ConfigError(
                f"bank {name!r} holds {', '.join(other)}: a TCAP list holds "
                f"{', '.join(algorithms)} only (use marsad-jsonl)"
            )
        entries = [
            {
                "hash_digest": s.value,
                "algorithm": algorithms[s.type],
                "ideology": s.labels.get("ideology"),
                "file_type": s.labels.get("content_type"),
                "deleted": False,
                "updated_on": s.added_at.timestamp() if s.added_at else 0,
                "id": int(s.content_id) if s.content_id and s.content_id.isdigit() else i,
            }
            for i, s in enumerate(signals, 1)
        ]
        json.dump(entries, out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        columns = [k for k in SIGNAL_TYPES if any(s.type == k for s in signals)] or ["md5"]
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*columns, *LABEL_COLUMNS, "tags", "content_id"])
        for s in signals:
            tags = s.labels.get("tags") or []
            writer.writerow(
                [s.value if s.type == k else "" for k in columns]
                + [s.labels.get(k, "") for k in LABEL_COLUMNS]
                + [" ".join(tags) if isinstance(tags, list) else str(tags), s.content_id or ""]
            )
    try:
        write_text(Path(path), out.getvalue())
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    return len(signals)


# -- matching -------------------------------------------------------------------


class Matcher:
    """Every enabled bank of a workspace, loaded to match items against.

    An item is a dict of its signals (``{"md5": ..., "pdq": ...}``).  Each
    type is searched through its own index (:meth:`SignalType.index
    <marsad.hashing.base.SignalType.index>`: equality for MD5 and SHA-256;
    for PDQ an exact comparison with every banked hash, or from
    :data:`~marsad.hashing.index.INDEX_FROM` hashes the multi-index, same
    answers), within the type's threshold (*thresholds* may change them;
    PDQ's default is :data:`~marsad.hashing.signals.MATCH_DISTANCE`).  The
    matches of an item that also matches a negative bank are suppressed.

    Indexes may keep files in *cache* (default: ``index/`` in the workspace
    directory, when the store has one): the next matcher over the same
    banks loads the PDQ index (memory-mapped, no pickle) instead of building
    it again, and over banks that have grown adds the new hashes to it.
    """

    def __init__(
        self,
        store: Store,
        *,
        thresholds: dict[str, int] | None = None,
        cache: Path | None = None,
    ) -> None:
        self.thresholds = {name: t.default_threshold for name, t in SIGNAL_TYPES.items()}
        for name, value in (thresholds or {}).items():
            kind = SIGNAL_TYPES.get(name)
            if kind is None:
                raise ConfigError(f"unknown signal type {name!r}")
            if not 0 <= value <= kind.max_threshold:
                raise ConfigError(f"{name} threshold must be 0-{kind.max_threshold}, got {value}")
            self.thresholds[name] = value
        # oldest first, so that a bank that grows only appends (the PDQ index cache)
        rows = store.query(
            "SELECT s.bank, s.signal_type, s.value, s.labels, s.content_id, b.negative "
            "FROM bank_signals s JOIN banks b ON b.name = s.bank WHERE b.enabled "
            "ORDER BY s.added_at, s.bank, s.signal_type, s.value"
        )
        if cache is None:
            directory = getattr(store, "directory", None)
            if isinstance(directory, Path):
                cache = directory / "index"
        self._meta: dict[str, list[tuple[str, str, str, str | None, bool]]] = {}
        for bank, kind, value, labels, content_id, negative in rows:
            if kind in SIGNAL_TYPES:  # a type this version does not know is not matched
                self._meta.setdefault(kind, []).append(
                    (bank, value, labels, content_id, bool(negative))
                )
        self._index: dict[str, SignalIndex] = {
            kind: SIGNAL_TYPES[kind].index([m[1] for m in meta], cache)
            for kind, meta in self._meta.items()
        }
        self.banks = sorted({r[0] for r in rows})

    def __len__(self) -> int:
        return sum(len(m) for m in self._meta.values())

    def holds(self, kind: str) -> bool:
        """Whether an enabled bank holds signals of type *kind*."""
        return bool(self._meta.get(kind))

    def match_many(
        self, items: Sequence[dict[str, str | None]]
    ) -> list[tuple[list[Match], list[Match]]]:
        """(matches, suppressed) of each item: its matches against positive
        banks, best first; and, if the item matches a negative bank, those
        matches moved to *suppressed* with the negative ones.  Each type's
        index is searched once for all the items."""
        found: list[list[tuple[Match, bool]]] = [[] for _ in items]
        for kind, index in self._index.items():
            where, queries = [], []
            for i, item in enumerate(items):
                value = item.get(kind)
                if value:
                    try:
                        queries.append(SIGNAL_TYPES[kind].validate(value))
                    except ValueError:
                        continue  # a damaged value matches nothing
                    where.append(i)
            if not queries:
                continue
            meta = self._meta[kind]
            for qi, bi, distance in index.search(queries, self.thresholds[kind]):
                bank, value, labels, content_id, negative = meta[bi]
                found[where[qi]].append(
                    (
                        Match(bank, kind, value, distance, json.loads(labels), content_id),
                        negative,
                    )
                )
        out: list[tuple[list[Match], list[Match]]] = []
        for hits in found:
            hits.sort(key=lambda m: (m[0].distance, m[0].bank, m[0].signal_type, m[0].value))
            if any(negative for _, negative in hits):
                out.append(([], [m for m, _ in hits]))
            else:
                out.append(([m for m, _ in hits], []))
        return out

    def match(self, **signals: str | None) -> tuple[list[Match], list[Match]]:
        """(matches, suppressed) of one item with these signals (``md5=``,
        ``pdq=`` ...): :meth:`match_many` of one."""
        return self.match_many([signals])[0]
