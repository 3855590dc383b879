"""Records to and from plain JSON-ready dicts: the marsad JSONL format.

Used by the marsad JSONL ingest adapter, the simulator (which writes it) and
whole-workspace export/import.  A line is one object with a ``type`` key
(``account``, ``snapshot``, ``status``, ``post``, ``media``, ``edge``) and the
record's fields; times are ISO-8601 UTC strings; tuples are lists; provenance
is not part of the line (the file the line is read from is its provenance).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from marsad.errors import MalformedRecord
from marsad.model import (
    BOOL_FIELDS,
    FLOAT_FIELDS,
    INT_FIELDS,
    LIST_FIELDS,
    TIME_FIELDS,
    Account,
    AccountKind,
    AccountStatus,
    Edge,
    EdgeKind,
    Media,
    Post,
    PostKind,
    Provenance,
    Record,
    Snapshot,
    StatusEvent,
)

__all__ = ["TYPE_NAMES", "parse_time", "record_from_dict", "record_to_dict"]

TYPE_NAMES: dict[type, str] = {
    Account: "account",
    Snapshot: "snapshot",
    StatusEvent: "status",
    Post: "post",
    Media: "media",
    Edge: "edge",
}
_BY_NAME = {v: k for k, v in TYPE_NAMES.items()}
_KIND_ENUM: dict[type, type[StrEnum]] = {Account: AccountKind, Post: PostKind, Edge: EdgeKind}
_FIELDS: dict[type, tuple[dataclasses.Field[Any], ...]] = {
    t: tuple(f for f in dataclasses.fields(t) if f.name != "provenance") for t in TYPE_NAMES
}


def parse_time(value: Any) -> datetime | None:
    """ISO-8601 text (``Z`` or offset) or epoch seconds -> aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def record_to_dict(record: Record) -> dict[str, Any]:
    """The JSONL object of *record* (``type`` first, ``None`` fields omitted)."""
    cls = type(record)
    out: dict[str, Any] = {"type": TYPE_NAMES[cls]}
    for f in _FIELDS[cls]:
        value = getattr(record, f.name)
        if value is None or value == () or value == {}:
            continue
        out[f.name] = _jsonable(value)
    return out


def record_from_dict(obj: Any, provenance: Provenance | None = None) -> Record:
    """Inverse of :func:`record_to_dict`; raises MalformedRecord with the reason."""
    if not isinstance(obj, dict):
        raise MalformedRecord(f"expected a JSON object, got {type(obj).__name__}")
    type_name = obj.get("type")
    cls = _BY_NAME.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise MalformedRecord(
            f"unknown record type {type_name!r}; expected one of {sorted(_BY_NAME)}"
        )
    kwargs: dict[str, Any] = {"provenance": provenance}
    known = _NAMES[cls]
    for key, value in obj.items():
        if key == "type":
            continue
        if key not in known:
            raise MalformedRecord(f"{type_name}: unknown field {key!r}")
        if type(value) is str and key in _PLAIN_STR:
            kwargs[key] = value
            continue
        try:
            kwargs[key] = _coerce(cls, key, value)
        except (TypeError, ValueError) as exc:
            raise MalformedRecord(f"{type_name}.{key}: bad value {value!r}: {exc}") from exc
    try:
        return cls(**kwargs)  # type: ignore[no-any-return]
    except TypeError as exc:
        raise MalformedRecord(f"{type_name}: {exc}") from exc


_NAMES: dict[type, frozenset[str]] = {t: frozenset(f.name for f in fs) for t, fs in _FIELDS.items()}


#: fields whose JSON value is a plain string stored as is
_PLAIN_STR = frozenset(
    {f.name for t in TYPE_NAMES for f in dataclasses.fields(t)}
    - TIME_FIELDS
    - LIST_FIELDS
    - INT_FIELDS
    - FLOAT_FIELDS
    - BOOL_FIELDS
    - {"kind", "status", "provenance", "metrics"}
)


def _coerce(cls: type, key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in TIME_FIELDS:
        return parse_time(value)
    if key in LIST_FIELDS:
        if not isinstance(value, list):
            raise TypeError("expected a list")
        return tuple(str(v) for v in value)
    if key == "kind" and cls in _KIND_ENUM:
        return _KIND_ENUM[cls](value)
    if key == "status":
        return AccountStatus(value)
    if key in INT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("expected an integer")
        return value
    if key == "metrics":
        if not isinstance(value, dict):
            raise TypeError("expected an object")
        return {str(k): int(v) for k, v in value.items()}
    if key in FLOAT_FIELDS or key == "score":
        return float(value)
    if key in BOOL_FIELDS:
        return bool(value)
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value
