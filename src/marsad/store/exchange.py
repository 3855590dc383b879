"""Whole-workspace export and import, as Parquet (a directory) or marsad JSONL (a file).

Part of the store stage.  Both are lossless: every table, provenance, raw
records and quarantine included; importing an export into an empty workspace
gives back the same rows, and importing it twice changes nothing.

The JSONL form is one header line ``{"marsad_export": 1, "schema_version": N}``
followed by one ``{"table": T, "row": {...}}`` line per row; times are ISO-8601
UTC, bytes are ``{"$b64": "..."}``.  It may be gzipped (``.gz``).
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

import orjson
import pyarrow as pa

from marsad.codec import parse_time
from marsad.errors import InputError, WorkspaceError
from marsad.store.base import Store
from marsad.store.schema import SCHEMA_VERSION, TABLES

__all__ = [
    "export_jsonl",
    "export_workspace",
    "import_jsonl",
    "import_workspace",
    "parquet_source",
    "replaced",
    "REPLACEABLE",
]


def parquet_source(path: Path) -> str:
    """What DuckDB's ``read_parquet`` reads for a table of an export: the file
    ``<table>.parquet``, or -- as Spark writes it (``marsad spark``) -- a
    directory of that name holding its parts (``part-*.parquet``)."""
    if path.is_dir():
        if not any(path.glob("*.parquet")):
            raise WorkspaceError(f"{path} holds no Parquet part files")
        return str(path / "*.parquet")
    return str(path)


#: the detectors whose rows an export may replace on import (a ``replaces``
#: entry of its manifest, as ``marsad spark lineage`` and ``accounts`` write):
#: a stage whose embedded command replaces its last run when it stores the new
#: one.  Any other detector named there is refused.
REPLACEABLE = frozenset({"lineage", "account-score"})


def replaced(meta: dict[str, Any], where: str) -> list[tuple[str, list[str] | None]]:
    """The ``(detector, platforms or None for all)`` an export's manifest
    *meta* replaces, checked (:data:`REPLACEABLE`); *where* names the export
    in an error."""
    items = meta.get("replaces") or []
    if not isinstance(items, list):
        raise WorkspaceError(f"{where}: 'replaces' must be a list, got {type(items).__name__}")
    out: list[tuple[str, list[str] | None]] = []
    for item in items:
        detector = item.get("detector") if isinstance(item, dict) else None
        if detector not in REPLACEABLE:
            raise WorkspaceError(
                f"{where}: an import may replace only {', '.join(sorted(REPLACEABLE))} "
                f"detections, not {detector!r}"
            )
        platforms = item.get("platforms")
        if platforms is not None and (
            not isinstance(platforms, list) or not all(isinstance(p, str) for p in platforms)
        ):
            raise WorkspaceError(f"{where}: 'platforms' of {detector} must be a list of names")
        out.append((str(detector), platforms))
    return out


def export_workspace(store: Store, target: Path, kind: str | None = None) -> dict[str, int]:
    """Export to *target*: ``parquet`` (a directory) or ``jsonl`` (a file, ``.gz`` ok)."""
    if kind is None:
        kind = "jsonl" if ".jsonl" in target.name or target.name.endswith(".gz") else "parquet"
    if kind == "parquet":
        return store.export_parquet(target)
    return export_jsonl(store, target)


def import_workspace(store: Store, source: Path) -> dict[str, int]:
    if source.is_dir():
        return store.import_parquet(source)
    return import_jsonl(store, source)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _open_write(path: Path, gz: bool) -> IO[bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        return cast(IO[bytes], gzip.open(path, "wb"))
    return open(path, "wb")  # noqa: SIM115


def export_jsonl(store: Store, path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    tmp = path.with_name(path.name + ".tmp")
    try:
        # gzip by the name asked for (the temporary name ends in .tmp)
        with _open_write(tmp, gz=path.name.endswith(".gz")) as fh:
            fh.write(orjson.dumps({"marsad_export": 1, "schema_version": store.schema_version()}))
            fh.write(b"\n")
            for table in TABLES:
                n = 0
                for row in store.iter_table(table):
                    line = {"table": table, "row": {k: _encode(v) for k, v in row.items()}}
                    fh.write(orjson.dumps(line))
                    fh.write(b"\n")
                    n += 1
                counts[table] = n
    except BaseException:
        tmp.unlink(missing_ok=True)  # nothing half-written stays behind
        raise
    tmp.replace(path)
    return counts


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with open(path, "rb") as raw:
        magic = raw.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(path, "rb") as fh:
        for i, line in enumerate(fh, 1):
            if line.strip():
                yield i, line


def _decode_row(row: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fld in schema:
        value = row.get(fld.name)
        if isinstance(value, dict) and "$b64" in value:
            value = base64.b64decode(value["$b64"])
        elif value is not None and pa.types.is_timestamp(fld.type):
            value = parse_time(value)
        out[fld.name] = value
    return out


def import_jsonl(store: Store, path: Path, batch_rows: int = 20000) -> dict[str, int]:
    lines = _lines(path)
    try:
        _, first = next(lines)
        header = orjson.loads(first)
    except (StopIteration, orjson.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a marsad JSONL export (bad or missing header line)") from exc
    if not isinstance(header, dict) or header.get("marsad_export") != 1:
        raise InputError(
            f"{path}: not a marsad JSONL export; to bring in records use `marsad ingest`"
        )
    if int(header.get("schema_version", 0)) > SCHEMA_VERSION:
        raise WorkspaceError(f"{path}: export schema is newer than this marsad; upgrade marsad")
    schemas = {t: store.table_schema(t) for t in TABLES}
    added = dict.fromkeys(TABLES, 0)
    pending: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}

    def flush(table: str) -> None:
        rows = pending[table]
        if rows:
            added[table] += store.insert_arrow(table, pa.Table.from_pylist(rows, schemas[table]))
            pending[table] = []

    with store.transaction():  # an import lands whole or not at all
        _import_rows(path, lines, schemas, pending, flush, batch_rows)
        for table in TABLES:
            flush(table)
    return added


def _import_rows(
    path: Path,
    lines: Iterator[tuple[int, bytes]],
    schemas: dict[str, pa.Schema],
    pending: dict[str, list[dict[str, Any]]],
    flush: Any,
    batch_rows: int,
) -> None:
    for line_no, line in lines:
        try:
            obj = orjson.loads(line)
            table, row = obj["table"], obj["row"]
            if table not in schemas:
                raise KeyError(table)
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{line_no}: not an export row ({exc})") from exc
        pending[table].append(_decode_row(row, schemas[table]))
        if len(pending[table]) >= batch_rows:
            flush(table)
