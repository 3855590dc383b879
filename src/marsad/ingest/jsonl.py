"""marsad JSONL: marsad's own line format, one record per line (see :mod:`marsad.codec`).

Ingest adapter.  The simulator writes it, and any tool can produce it to bring
data of a platform marsad has no adapter for.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson

from marsad.codec import record_from_dict
from marsad.errors import MalformedRecord
from marsad.ingest.base import IngestAdapter, RawRecord, Span, iter_lines

__all__ = ["MarsadJsonlAdapter"]


class MarsadJsonlAdapter(IngestAdapter):
    name = "marsad-jsonl"
    version = "1"
    platform = "*"
    description = "marsad's own JSON-lines format: one {'type': ..., ...} record per line"

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        first = head.lstrip().split(b"\n", 1)[0]
        if first.startswith(b'{"type":') or first.startswith(b'{"type" :'):
            return 0.95
        return 0.0

    @classmethod
    def can_split(cls, path: Path, head: bytes) -> bool:
        return True

    def records(
        self, path: Path, source_id: str, start: int = 0, span: Span | None = None
    ) -> Iterator[RawRecord]:
        record_no = span.records - 1 if span is not None else -1
        for line_no, line in iter_lines(path, span=span):
            if not line.strip():
                continue
            record_no += 1
            if record_no < start:
                continue
            try:
                obj = orjson.loads(line)
                rec = record_from_dict(obj, self.provenance(source_id, record_no, line_no))
            except orjson.JSONDecodeError as exc:
                yield RawRecord(record_no, line_no, line, error=f"invalid JSON: {exc}")
                continue
            except MalformedRecord as exc:
                yield RawRecord(record_no, line_no, line, error=exc.reason)
                continue
            yield RawRecord(record_no, line_no, line, [rec])

    @classmethod
    def examples(cls) -> list[tuple[str, bytes]]:
        return [
            (
                "sample.jsonl",
                b'{"type": "account", "platform": "x", "native_id": "1", "handle": "alpha"}\n'
                b'{"type": "post", "platform": "x", "native_id": "10", "account_id": "1", '
                b'"text": "hello #world", "created_at": "2024-01-01T00:00:00Z"}\n',
            )
        ]
