"""Banks of known content: named collections of hash signals, their import
and export, and matching against them.

Part of the *match* stage (issue 5).  A bank has a name, a source (GIFCT,
TCAP, an analyst's own list), an enabled flag and, if it is *negative*,
holds known false positives: a match against a negative bank suppresses the
matches of the same item against the others.  Each signal has a type
(``pdq``, ``md5``, ``sha256``), its value (lower-case hex) and labels -- the
kind the shared lists attach: entity, ideology, content type, behaviour.

Banks live in the workspace (tables ``banks`` and ``bank_signals``), so they
travel with its Parquet/JSONL export.  Import and export formats
(:data:`FORMATS`):

``marsad-jsonl``
    marsad's own, lossless: one ``{"type", "value", "labels", "content_id",
    "source", "added_by", "added_at"}`` object per line.
``threatexchange``
    python-threatexchange's local signal file (``LocalFileSignalExchangeAPI``):
    ``<signal_type> <hash>`` per line -- ``pdq``, ``video_md5``,
    ``video_sha256`` (and ``md5``/``sha256``); HMA fills banks from it.
``csv``
    a hash list with one column per algorithm (``md5``, ``sha256``, ``pdq``;
    any may be empty) and label columns (``entity``, ``ideology``,
    ``content_type``, ``behaviour``, ``content_id``; ``tags`` space-separated),
    the shape of TCAP-style and research lists.
``plain``
    one hash per line; its type is ``--type`` or, for 32 hex digits, MD5.

A bad line is reported with its file, line and reason and skipped; the good
lines land in one transaction, and importing the same file again changes
nothing (signals are keyed by bank, type and value).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from marsad.errors import ConfigError, InputError, UnreadableFile
from marsad.hashing.index import PdqIndex, brute_force, codes_from_hex
from marsad.hashing.signals import MATCH_DISTANCE
from marsad.store.base import Store

__all__ = [
    "FORMATS",
    "SIGNAL_TYPES",
    "Bank",
    "BankSignal",
    "ImportResult",
    "Match",
    "Matcher",
    "create_bank",
    "export_bank",
    "import_bank",
    "list_banks",
    "parse_signals",
    "set_enabled",
]

SIGNAL_TYPES = {"pdq": 64, "md5": 32, "sha256": 64}  # type -> hex digits
FORMATS = ("marsad-jsonl", "threatexchange", "csv", "plain")
LABEL_COLUMNS = ("entity", "ideology", "content_type", "behaviour")
# python-threatexchange's signal type names -> marsad's
_TE_TYPES = {
    "pdq": "pdq",
    "md5": "md5",
    "video_md5": "md5",
    "sha256": "sha256",
    "video_sha256": "sha256",
}
_HEX = re.compile(r"^[0-9a-f]+$")
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


@dataclass(frozen=True)
class BankSignal:
    type: str
    value: str
    labels: dict[str, Any] = field(default_factory=dict)
    content_id: str | None = None
    source: str | None = None
    added_by: str | None = None
    added_at: datetime | None = None


@dataclass
class ImportResult:
    added: int = 0
    seen: int = 0  # good lines
    errors: list[str] = field(default_factory=list)  # "FILE:LINE: reason"


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
    return [
        Bank(n, d, s, bool(neg), bool(on), by, at, signals=counts.get(n, {}))
        for n, d, s, neg, on, by, at in rows
    ]


def set_enabled(store: Store, name: str, enabled: bool) -> Bank:
    _bank(store, name)
    with store.transaction():
        store.execute("UPDATE banks SET enabled = ? WHERE name = ?", [(enabled, name)])
    return _bank(store, name)


# -- parsing ------------------------------------------------------------------


def _signal(kind: str, value: str) -> tuple[str, str]:
    value = value.strip().lower()
    if kind not in SIGNAL_TYPES:
        raise ValueError(f"unknown signal type {kind!r} (one of {', '.join(SIGNAL_TYPES)})")
    if not _HEX.match(value):
        raise ValueError(f"{kind} value is not hexadecimal: {value[:80]!r}")
    if len(value) != SIGNAL_TYPES[kind]:
        raise ValueError(f"{kind} needs {SIGNAL_TYPES[kind]} hex digits, got {len(value)}")
    return kind, value


def _time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"added_at must be an ISO time, got {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _jsonl(text: Iterable[str]) -> Iterator[tuple[int, BankSignal | str]]:
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
                BankSignal(
                    kind,
                    value,
                    labels,
                    obj.get("content_id"),
                    obj.get("source"),
                    obj.get("added_by"),
                    _time(obj.get("added_at")),
                ),
            )
        except ValueError as exc:  # json.JSONDecodeError is one
            yield n, str(exc)


def _threatexchange(
    text: Iterable[str], default_type: str | None
) -> Iterator[tuple[int, BankSignal | str]]:
    for n, line in enumerate(text, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        try:
            if len(parts) == 2:
                te_type = parts[0].lower()
                if te_type not in _TE_TYPES:
                    raise ValueError(f"signal type {parts[0]!r} is not one marsad banks")
                kind, value = _signal(_TE_TYPES[te_type], parts[1])
            elif len(parts) == 1 and default_type:
                kind, value = _signal(default_type, parts[0])
            else:
                raise ValueError("expected '<signal_type> <hash>'")
            yield n, BankSignal(kind, value)
        except ValueError as exc:
            yield n, str(exc)


def _plain(text: Iterable[str], default_type: str | None) -> Iterator[tuple[int, BankSignal | str]]:
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
            yield n, BankSignal(*_signal(kind, value))
        except ValueError as exc:
            yield n, str(exc)


def _csv(text: Iterable[str]) -> Iterator[tuple[int, BankSignal | str]]:
    reader = csv.DictReader(text)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    reader.fieldnames = header
    if not set(header) & set(SIGNAL_TYPES):
        yield 1, f"no hash column: the header needs one of {', '.join(SIGNAL_TYPES)}"
        return
    for row in reader:
        n = reader.line_num
        labels: dict[str, Any] = {
            k: row[k].strip() for k in LABEL_COLUMNS if k in row and (row[k] or "").strip()
        }
        if (row.get("tags") or "").strip():
            labels["tags"] = row["tags"].split()
        content_id = (row.get("content_id") or "").strip() or None
        found = False
        for kind in SIGNAL_TYPES:
            value = (row.get(kind) or "").strip()
            if not value:
                continue
            found = True
            try:
                yield n, BankSignal(*_signal(kind, value), labels=labels, content_id=content_id)
            except ValueError as exc:
                yield n, str(exc)
        if not found:
            yield n, "no hash in this row"


def parse_signals(
    path: Path, fmt: str | None = None, *, signal_type: str | None = None
) -> Iterator[tuple[int, BankSignal | str]]:
    """(line, signal or the reason the line is bad) for each line of the list
    at *path* in format *fmt* (:data:`FORMATS`; None: from the file's name
    and first line).  *signal_type* is the type of bare hashes."""
    if signal_type is not None and signal_type not in SIGNAL_TYPES:
        raise ConfigError(f"--type must be one of {', '.join(SIGNAL_TYPES)}")
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    fmt = fmt or _guess(Path(path), text)
    lines = io.StringIO(text, newline="")
    if fmt == "marsad-jsonl":
        return _jsonl(lines)
    if fmt == "threatexchange":
        return _threatexchange(lines, signal_type)
    if fmt == "csv":
        return _csv(lines)
    if fmt == "plain":
        return _plain(lines, signal_type)
    raise ConfigError(f"unknown bank format {fmt!r} (one of {', '.join(FORMATS)})")


def _guess(path: Path, text: str) -> str:
    first = next(
        (s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")), ""
    )
    if first.startswith("{"):
        return "marsad-jsonl"
    if path.suffix.lower() == ".csv" or "," in first:
        return "csv"
    if len(first.split()) == 2:
        return "threatexchange"
    return "plain"


def import_bank(
    store: Store,
    name: str,
    path: Path,
    fmt: str | None = None,
    *,
    signal_type: str | None = None,
    labels: dict[str, Any] | None = None,
    added_by: str = "",
) -> ImportResult:
    """Add the signals of the list at *path* to bank *name*: good lines land
    together in one transaction, bad ones are reported (``FILE:LINE: why``).
    A signal already in the bank is kept as it is.  *labels* are added to
    every signal that has none of its own."""
    _bank(store, name)
    result = ImportResult()
    rows: list[tuple[Any, ...]] = []
    now = datetime.now(UTC)
    for line, item in parse_signals(path, fmt, signal_type=signal_type):
        if isinstance(item, str):
            result.errors.append(f"{path}:{line}: {item}")
            continue
        result.seen += 1
        rows.append(
            (
                name,
                item.type,
                item.value,
                json.dumps(item.labels or labels or {}, sort_keys=True, ensure_ascii=False),
                item.content_id,
                item.source or Path(path).name,
                item.added_by or added_by or None,
                item.added_at or now,
            )
        )
    before = _count(store, name)
    if rows:
        with store.transaction():
            store.execute(
                "INSERT INTO bank_signals VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )
    result.added = _count(store, name) - before
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
    ``plain`` and ``threatexchange`` keep only types and values."""
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
    else:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*SIGNAL_TYPES, *LABEL_COLUMNS, "tags", "content_id"])
        for s in signals:
            tags = s.labels.get("tags") or []
            writer.writerow(
                [s.value if s.type == k else "" for k in SIGNAL_TYPES]
                + [s.labels.get(k, "") for k in LABEL_COLUMNS]
                + [" ".join(tags) if isinstance(tags, list) else str(tags), s.content_id or ""]
            )
    path = Path(path)
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_text(out.getvalue(), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    return len(signals)


# -- matching -------------------------------------------------------------------


#: PDQ hashes from which the matcher builds a :class:`~marsad.hashing.index.PdqIndex`
INDEX_FROM = 200_000


def _pdq_index(codes: npt.NDArray[np.uint8], cache: Path | None) -> PdqIndex:
    """The index of *codes*: loaded from *cache* if it was built for
    exactly these hashes, else built (and saved there)."""
    import hashlib
    import shutil

    if cache is None:
        return PdqIndex.build(codes)
    digest = hashlib.sha256(codes.tobytes()).hexdigest()[:24]
    target = cache / f"pdq-{digest}"
    if (target / "index.json").exists():
        try:
            index = PdqIndex.load(target)
            if len(index) == len(codes):
                return index
        except InputError:
            pass  # a damaged cache: built again below
    index = PdqIndex.build(codes)
    partial = cache / f".pdq-{digest}.part"
    try:
        shutil.rmtree(partial, ignore_errors=True)
        index.save(partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
        for stale in cache.glob("pdq-*"):
            if stale != target:
                shutil.rmtree(stale, ignore_errors=True)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # a read-only workspace: not cached
    return index


class Matcher:
    """Every enabled bank of a workspace, loaded to match items against:
    MD5 and SHA-256 by equality, PDQ within *distance* bits (default
    :data:`~marsad.hashing.signals.MATCH_DISTANCE`) by an exact comparison
    with every banked hash -- numpy popcount, or from :data:`INDEX_FROM`
    hashes the multi-index (:mod:`marsad.hashing.index`; same answers,
    measured in ``benchmarks/hash_index.py``).  Matches of an item that also
    matches a negative bank are suppressed.

    The index is kept in *cache* (default: ``index/`` in the workspace
    directory, when the store has one) under a digest of the hashes it
    holds: the next matcher over the same banks loads it (memory-mapped, no
    pickle) instead of building it again; an index of other hashes is
    removed.
    """

    def __init__(
        self, store: Store, *, distance: int = MATCH_DISTANCE, cache: Path | None = None
    ) -> None:
        if not 0 <= distance <= 256:
            raise ConfigError(f"PDQ distance must be 0-256, got {distance}")
        self.distance = distance
        rows = store.query(
            "SELECT s.bank, s.signal_type, s.value, s.labels, s.content_id, b.negative "
            "FROM bank_signals s JOIN banks b ON b.name = s.bank WHERE b.enabled "
            "ORDER BY s.bank, s.signal_type, s.value"
        )
        self.exact: dict[tuple[str, str], list[tuple[str, str, str | None, bool]]] = {}
        pdq: list[tuple[str, str, str, str | None, bool]] = []
        for bank, kind, value, labels, content_id, negative in rows:
            if kind == "pdq":
                pdq.append((bank, value, labels, content_id, bool(negative)))
            else:
                self.exact.setdefault((kind, value), []).append(
                    (bank, labels, content_id, bool(negative))
                )
        self._pdq_meta = pdq
        self._pdq = codes_from_hex([p[1] for p in pdq])
        self._index: PdqIndex | None = None
        if len(pdq) >= INDEX_FROM:
            directory = getattr(store, "directory", None)
            if cache is None and isinstance(directory, Path):
                cache = directory / "index"
            self._index = _pdq_index(self._pdq, cache)
        self.banks = sorted({r[0] for r in rows})

    def __len__(self) -> int:
        return len(self._pdq) + sum(len(v) for v in self.exact.values())

    def match(
        self, *, md5: str | None = None, sha256: str | None = None, pdq: str | None = None
    ) -> tuple[list[Match], list[Match]]:
        """(matches, suppressed) of one item with these signals: matches
        against positive banks, best first; and, if the item matches a
        negative bank, those matches moved to *suppressed* with the negative
        ones."""
        found: list[tuple[Match, bool]] = []
        for kind, value in (("md5", md5), ("sha256", sha256)):
            if value:
                for bank, labels, content_id, negative in self.exact.get((kind, value.lower()), []):
                    found.append(
                        (
                            Match(bank, kind, value.lower(), 0, json.loads(labels), content_id),
                            negative,
                        )
                    )
        if pdq and len(self._pdq):
            query = codes_from_hex([pdq.lower()])
            if self._index is not None:
                _, hit, near = self._index.search(query, self.distance)
            else:
                _, hit, near = brute_force(self._pdq, query, self.distance)
            distance = dict(zip(hit.tolist(), near.tolist(), strict=True))
            for i in distance:
                bank, value, labels, content_id, negative = self._pdq_meta[i]
                found.append(
                    (
                        Match(bank, "pdq", value, distance[i], json.loads(labels), content_id),
                        negative,
                    )
                )
        found.sort(key=lambda m: (m[0].distance, m[0].bank, m[0].value))
        if any(negative for _, negative in found):
            return [], [m for m, _ in found]
        return [m for m, _ in found], []
