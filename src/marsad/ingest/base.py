"""The ingest adapter contract: one adapter per export format.

First stage of the flow (``exports -> ingest -> normalise -> store``).  An
adapter reads one file and *yields* :class:`RawRecord` objects -- one per raw
record of the file (a line of JSONL, a message of a Telegram export, a row of a
CSV) -- each holding the raw bytes and the model records mapped from it, or the
reason it could not be mapped.  Adapters never write to the store and never
enrich text: the composition root (:mod:`marsad.pipeline`) batches what they
yield, enriches it and writes it, one transaction per batch with a checkpoint,
which is what makes ingest resumable and idempotent.

Contract (checked for every adapter by ``tests/ingest/test_conformance.py``):

* ``name`` is a stable storage key (never renamed); ``version`` changes when
  the mapping changes; ``platform`` names the platform its records belong to.
* ``sniff(path, head)`` returns a confidence in ``[0, 1]`` from the first
  bytes of a file, so formats are auto-detected; ``--format`` overrides it.
* ``records(path, source_id, start, span)`` yields records in file order,
  numbered from 0 (``record_no``) and never skips a number; records before
  ``start`` are skipped as cheaply as the format allows (resume after a kill).
  Memory must not grow with the size of the file.  An adapter whose
  ``can_split`` says yes has one record per non-blank line and, given a
  :class:`Span` (from :func:`line_spans`), starts reading at its byte offset
  instead of at the top of the file -- how worker processes each take a
  range of a large file without reading what comes before it.
* A bad record is yielded with ``error`` set (never raised), with its line
  number when the format has lines; an unreadable *file* raises
  :class:`~marsad.errors.UnreadableFile`.
* ``examples()`` returns small synthetic inputs the conformance suite feeds it.
"""

from __future__ import annotations

import gzip
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, ClassVar, cast

from marsad.errors import UnreadableFile
from marsad.model import Provenance, Record

__all__ = [
    "IngestAdapter",
    "RawRecord",
    "Span",
    "iter_lines",
    "line_spans",
    "open_bytes",
    "read_head",
]


@dataclass(frozen=True, slots=True)
class Span:
    """The start of a line in a file: its byte offset and what comes before it.

    ``lines`` counts every line before *offset*, ``records`` only the
    non-blank ones (a line-oriented adapter's record numbers).
    """

    offset: int
    lines: int
    records: int


@dataclass(slots=True)
class RawRecord:
    """One raw record of a source file and what it maps to.

    ``raw`` is the record exactly as the file holds it (the line, without its
    newline) or, for formats parsed as a whole document, its canonical JSON.
    ``error`` is set when the record is malformed; ``items`` is then empty.
    """

    record_no: int
    line_no: int
    raw: bytes
    items: list[Record] = field(default_factory=list)
    error: str | None = None


class IngestAdapter(ABC):
    """Base of every ingest adapter; see the module docstring for the contract."""

    name: ClassVar[str]
    version: ClassVar[str]
    platform: ClassVar[str]
    description: ClassVar[str] = ""

    @classmethod
    @abstractmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        """Confidence in [0, 1] that *path* (first bytes *head*) is this format."""

    @abstractmethod
    def records(
        self, path: Path, source_id: str, start: int = 0, span: Span | None = None
    ) -> Iterator[RawRecord]:
        """Yield the file's raw records from number *start* on, in order.

        *span*, when given, is a line at or before record *start* (see
        :func:`line_spans`); only adapters that ``can_split`` receive one.
        """

    @classmethod
    def can_split(cls, path: Path, head: bytes) -> bool:
        """True when the file holds one record per non-blank line and ``records``
        honours a :class:`Span`, so that workers can each take a range of lines.
        Line-oriented formats say yes; whole-document formats keep the default no."""
        return False

    @classmethod
    def examples(cls) -> list[tuple[str, bytes]]:
        """Small synthetic files ``(file name, content)`` this adapter accepts."""
        return []

    def provenance(self, source_id: str, record_no: int, line_no: int = 0) -> Provenance:
        return Provenance(source_id, self.name, self.version, record_no, line_no)


def open_bytes(path: Path) -> IO[bytes]:
    """Open *path* for binary reading, transparently gunzipping ``.gz`` content."""
    try:
        fh: IO[bytes] = open(path, "rb", buffering=1 << 20)  # noqa: SIM115 - returned to the caller
    except OSError as exc:
        raise UnreadableFile(f"cannot open {path}: {exc.strerror or exc}") from exc
    magic = fh.read(2)
    fh.seek(0)
    if magic == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=fh, mode="rb"))
    return fh


def read_head(path: Path, size: int = 65536) -> bytes:
    """The first *size* bytes of *path* (decompressed), for sniffing."""
    with open_bytes(path) as fh:
        try:
            return fh.read(size)
        except (OSError, EOFError) as exc:
            raise UnreadableFile(f"cannot read {path}: {exc}") from exc


def iter_lines(path: Path, start: int = 0, span: Span | None = None) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_no, line)`` for every line of *path* from 1-based ``start+1`` on.

    Lines keep no trailing newline; a leading UTF-8 BOM is dropped.  Reads
    through a buffer, so memory does not grow with the file.  With a *span*
    (of an uncompressed file) reading starts at its offset, numbered from it.
    """
    with open_bytes(path) as raw:
        line_no = 0
        if span is not None and span.offset:
            if isinstance(raw, gzip.GzipFile):
                raise ValueError(f"{path}: a compressed file cannot be read from an offset")
            raw.seek(span.offset)
            line_no = span.lines
        try:
            for line in raw:
                line_no += 1
                if line_no <= start:
                    continue
                if line_no == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
                yield line_no, line.rstrip(b"\r\n")
        except (OSError, EOFError) as exc:
            raise UnreadableFile(f"{path}: read failed after line {line_no}: {exc}") from exc


#: bytes that make a line blank (what ``bytes.strip`` removes)
_BLANK_LINE_START = (b"\n\n", b"\n\r", b"\n ", b"\n\t", b"\n\x0b", b"\n\x0c")
_BLANK_LINE_RE = re.compile(rb"^[ \t\r\x0b\x0c]*$", re.MULTILINE)


def _blank_lines(block: bytes) -> int:
    """Blank lines among the complete lines of *block* (which ends with a newline)."""
    if not block:
        return 0
    if not (block[:1].isspace() or any(s in block for s in _BLANK_LINE_START)):
        return 0  # the usual case, found by C-speed substring searches
    return len(_BLANK_LINE_RE.findall(block)) - 1  # the empty match after the last newline


def line_spans(path: Path, every: int = 8 << 20) -> Iterator[Span]:
    """Spans about *every* bytes apart, each at a line start, the first at offset 0.

    Reads the whole file once (counting lines at C speed) but yields as it
    goes, so workers start on the first range while the rest is scanned.
    Compressed files cannot be entered in the middle: they give one span.
    """
    with open_bytes(path) as fh:
        yield Span(0, 0, 0)
        if isinstance(fh, gzip.GzipFile):
            return
        size = os.fstat(fh.fileno()).st_size
        offset = lines = records = 0
        try:
            while True:
                block = fh.read(every)
                if not block:
                    return
                if not block.endswith(b"\n"):
                    block += fh.readline()
                    if not block.endswith(b"\n"):
                        return  # the last line: no span after it
                counted = block[3:] if offset == 0 and block.startswith(b"\xef\xbb\xbf") else block
                n = block.count(b"\n")
                offset += len(block)
                lines += n
                records += n - _blank_lines(counted)
                if offset >= size:
                    return
                yield Span(offset, lines, records)
        except (OSError, EOFError) as exc:
            raise UnreadableFile(f"{path}: read failed near byte {offset}: {exc}") from exc
