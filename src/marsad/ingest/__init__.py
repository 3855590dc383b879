"""Ingest: one adapter per export format, found by name or by sniffing.

``ADAPTERS`` maps each adapter's stable name to where it lives; importing is
lazy so that ``marsad --help`` stays fast.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from marsad.errors import UnknownFormat
from marsad.ingest.base import IngestAdapter, RawRecord, read_head

__all__ = ["ADAPTERS", "IngestAdapter", "RawRecord", "adapter_class", "detect_format"]

#: stable adapter name -> "module:Class"
ADAPTERS: dict[str, str] = {
    "x-v2": "marsad.ingest.twitter_v2:TwitterV2Adapter",
    "x-v1": "marsad.ingest.twitter_v1:TwitterV1Adapter",
    "telegram": "marsad.ingest.telegram:TelegramExportAdapter",
    "youtube": "marsad.ingest.youtube:YouTubeAdapter",
    "csv": "marsad.ingest.csv_table:CsvAdapter",
    "marsad-jsonl": "marsad.ingest.jsonl:MarsadJsonlAdapter",
    "status-csv": "marsad.ingest.status:StatusCsvAdapter",
}
#: adapters that are only used when named (never picked by sniffing)
EXPLICIT_ONLY = {"status-csv"}


def adapter_class(name: str) -> type[IngestAdapter]:
    try:
        target = ADAPTERS[name]
    except KeyError:
        raise UnknownFormat(
            f"unknown format {name!r}; choose one of: {', '.join(sorted(ADAPTERS))}"
        ) from None
    module, _, cls = target.partition(":")
    found: type[IngestAdapter] = getattr(importlib.import_module(module), cls)
    return found


def detect_format(path: Path) -> str:
    """The name of the adapter most confident it can read *path*."""
    head = read_head(path)
    best, best_score = "", 0.0
    for name in ADAPTERS:
        if name in EXPLICIT_ONLY:
            continue
        score = adapter_class(name).sniff(path, head)
        if score > best_score:
            best, best_score = name, score
    if best_score < 0.3:
        raise UnknownFormat(
            f"{path}: not a format marsad recognises (first bytes {head[:40]!r}); "
            f"pass --format with one of: {', '.join(sorted(ADAPTERS))}"
        )
    return best
