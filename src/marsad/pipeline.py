"""The composition root: builds the stages from settings and runs them.

Only this module, the CLI and (later) the web app know every stage.  Ingest
runs here: an adapter yields raw records, the text stage enriches the posts,
the store writes each batch atomically with its checkpoint.  A file is
identified by the SHA-256 of its bytes, so re-ingesting it (under any name)
changes nothing, and a killed run resumes from its last committed batch to the
same database a clean run gives.
"""

from __future__ import annotations

import collections
import concurrent.futures
import hashlib
import itertools
import multiprocessing
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marsad import config
from marsad.errors import UnknownFormat, UnreadableFile
from marsad.ingest import adapter_class, detect_format
from marsad.ingest.base import IngestAdapter, Span, line_spans, read_head
from marsad.model import SCHEMA_RECORDS, Post, Record
from marsad.store.arrow import ArrowBatch, combine_batches, to_arrow_batch
from marsad.store.base import Batch, QuarantineRow, RawRow, SourceInfo, Store
from marsad.store.duckdb import DuckDBStore
from marsad.text.enrich import enrich_posts

__all__ = ["IngestSummary", "file_sha256", "ingest_file", "open_store"]

ProgressFn = Callable[[int, int], None]


def open_store(
    workspace: str | Path | None = None,
    *,
    create: bool = True,
    read_only: bool = False,
    lock_wait: float | None = None,
) -> Store:
    """The store of *workspace* (default from settings), created if asked: a
    directory is the embedded store, a ``postgresql://`` URL the team store.
    *read_only* opens an embedded store for reading beside other processes'
    reads (the team store is shared anyway); *lock_wait* is how long to wait
    for an embedded workspace another process holds (default: the setting)."""
    target = workspace if workspace is not None else config.get("workspace")
    if config.is_server_url(target):
        from marsad.store.lake import LakeStore

        return LakeStore(
            str(target),
            create=create,
            threads=int(config.get("threads")),
            memory_limit=config.get("memory_limit"),
        )
    return DuckDBStore(
        config.workspace_path(workspace),
        create=create,
        threads=int(config.get("threads")),
        wal_limit=config.get("wal_limit"),
        memory_limit=config.get("memory_limit"),
        read_only=read_only,
        lock_wait=float(config.get("lock_wait")) if lock_wait is None else lock_wait,
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()


@dataclass
class IngestSummary:
    """What one ingest of one file did."""

    path: str
    source_id: str
    adapter: str
    already_complete: bool = False
    resumed_from: int = 0
    records: int = 0
    quarantined: int = 0
    written: Counter[str] = field(default_factory=Counter)  # records mapped, per table
    added: dict[str, int] = field(default_factory=dict)  # rows new to the store, per table
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), first 20
    skipped: str | None = None  # why the file was not ingested at all (empty, unknown format)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "source_id": self.source_id,
            "adapter": self.adapter,
            "already_complete": self.already_complete,
            "resumed_from": self.resumed_from,
            "records": self.records,
            "quarantined": self.quarantined,
            "written": dict(self.written),
            "added": dict(self.added),
            "problems": [{"line": ln, "reason": r} for ln, r in self.problems],
            "skipped": self.skipped,
        }


def ingest_file(
    store: Store,
    path: str | Path,
    *,
    fmt: str | None = None,
    adapter: IngestAdapter | None = None,
    batch_size: int | None = None,
    progress: ProgressFn | None = None,
) -> IngestSummary:
    """Ingest one file into *store*; safe to re-run and to resume after a kill."""
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(f"{path}: no such file (or it is a directory)")
    if path.stat().st_size == 0 and adapter is None and fmt is None:
        # nothing to sniff; with a format given, the file is recorded as an empty source
        summary = IngestSummary(str(path), file_sha256(path), "-")
        summary.skipped = "empty file: nothing to ingest"
        return summary
    if adapter is None:
        name = fmt or detect_format(path)
        adapter = adapter_class(name)()
    source_id = file_sha256(path)
    info = SourceInfo(source_id, str(path), path.stat().st_size, adapter.name, adapter.version)
    state = store.begin_source(info, datetime.now(UTC))
    summary = IngestSummary(str(path), source_id, adapter.name, resumed_from=state.next_record_no)
    if state.is_complete:
        summary.already_complete = True
        summary.records, summary.quarantined = state.records, state.quarantined
        return summary
    before = store.counts()
    _ingest_records(store, path, adapter, summary, state.next_record_no, batch_size, progress)
    after = store.counts()
    summary.added = {t: after[t] - before[t] for t in after if after[t] != before[t]}
    return summary


def _ingest_records(
    store: Store,
    path: Path,
    adapter: IngestAdapter,
    summary: IngestSummary,
    start: int,
    batch_size: int | None,
    progress: ProgressFn | None,
) -> IngestSummary:
    source_id = summary.source_id
    size = batch_size or int(config.get("batch_size"))
    workers = int(config.get("workers"))
    if workers > 1 and path.stat().st_size >= int(config.get("parallel_min_bytes")):
        head = read_head(path, 1 << 20)
        if adapter.can_split(path, head):
            return _ingest_parallel(
                store,
                path,
                adapter,
                summary,
                next_no=start,
                workers=workers,
                head=head,
                progress=progress,
            )

    records: list[Record] = []
    raws: list[RawRow] = []
    quarantined: list[QuarantineRow] = []
    next_no = start

    writer = _BatchWriter(store)

    def flush(is_last: bool) -> None:
        nonlocal records, raws, quarantined
        written = _enrich(records)
        writer.submit(Batch(source_id, written, raws, quarantined, next_no, is_last))
        for rec in written:
            summary.written[SCHEMA_RECORDS[type(rec)]] += 1
        summary.records += len(raws)
        summary.quarantined += len(quarantined)
        if progress is not None:
            progress(summary.records, summary.quarantined)
        records, raws, quarantined = [], [], []

    try:
        for raw in adapter.records(path, source_id, start):
            if raw.record_no != next_no:
                raise AssertionError(
                    f"adapter {adapter.name} yielded record {raw.record_no}, expected {next_no}"
                )
            next_no = raw.record_no + 1
            raws.append(RawRow(raw.record_no, raw.line_no, raw.raw))
            if raw.error is not None:
                quarantined.append(
                    QuarantineRow(raw.record_no, raw.line_no, str(path), raw.error, raw.raw)
                )
                if len(summary.problems) < 20:
                    summary.problems.append((raw.line_no or raw.record_no, raw.error))
            else:
                records.extend(raw.items)
            if len(raws) >= size or len(records) >= ITEMS_PER_BATCH:
                flush(is_last=False)
        flush(is_last=True)
    finally:
        writer.close()
    return summary


class _BatchWriter:
    """Writes batches on one background thread while the next batch is parsed.

    DuckDB releases the GIL while it executes, so parsing and writing overlap
    on two cores.  Batches are written strictly in order; at most one waits.
    The first write error is re-raised in the caller's thread.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="marsad-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (batch := self.queue.get()) is not None:
            if self.error is not None:
                continue
            try:
                self.store.write_batch(batch, datetime.now(UTC) if batch.is_last else None)
            except BaseException as exc:  # re-raised by submit/close
                self.error = exc

    def submit(self, batch: Batch) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(batch)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


#: records (posts, accounts, edges ...) per batch at most, so memory stays flat
#: when one raw record holds many (a twarc2 page holds 100 tweets and their users)
ITEMS_PER_BATCH = 20_000
#: raw input per worker chunk (a chunk is the lines between two spans)
BYTES_PER_CHUNK = 8 << 20


@dataclass(frozen=True)
class _Chunk:
    start: int  # first record number
    count: int | None  # records in the chunk; None: to the end of the file
    span: Span | None  # where to start reading (None: from the top, counting records)


def _chunks(path: Path, head: bytes, start: int) -> Iterator[_Chunk]:
    """Ranges of records from *start* on, each about BYTES_PER_CHUNK of the file.

    Uncompressed files are cut at line starts found by :func:`line_spans`, and
    each worker seeks straight to its range.  A compressed file cannot be
    entered in the middle: its ranges are counted in records (from the mean
    line length of its head) and each worker reads past the lines before its own.
    """
    if head[:2] == b"\x1f\x8b":
        lines = head.count(b"\n") or 1
        count = max(1, min(200_000, int(BYTES_PER_CHUNK / max(len(head) / lines, 1.0))))
        while True:
            yield _Chunk(start, count, None)
            start += count
    spans = line_spans(path, BYTES_PER_CHUNK)
    here = next(spans)
    for after in spans:
        if after.records > start:
            yield _Chunk(start, after.records - start, here)
            start = after.records
        here = after
    yield _Chunk(start, None, here)


def _worker_init() -> None:  # pragma: no cover - runs in worker processes
    try:  # die with the parent, even when it is killed with SIGKILL
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class _ChunkResult:
    batches: list[ArrowBatch]
    written: Counter[str]
    problems: list[tuple[int, str]]
    records: int
    quarantined: int


def _work_chunk(  # pragma: no cover - runs in worker processes (covered by the e2e tests)
    adapter: IngestAdapter, path: Path, source_id: str, chunk: _Chunk
) -> _ChunkResult:
    """Parse, enrich and convert the records of *chunk* to Arrow."""
    start = chunk.start
    result = _ChunkResult([], Counter(), [], 0, 0)
    records: list[Record] = []
    raws: list[RawRow] = []
    quarantined: list[QuarantineRow] = []
    next_no = start

    def cut() -> None:
        nonlocal records, raws, quarantined
        written = _enrich(records)
        for rec in written:
            result.written[SCHEMA_RECORDS[type(rec)]] += 1
        result.batches.append(
            to_arrow_batch(Batch(source_id, written, raws, quarantined, next_no, False))
        )
        records, raws, quarantined = [], [], []

    for raw in itertools.islice(adapter.records(path, source_id, start, chunk.span), chunk.count):
        next_no = raw.record_no + 1
        raws.append(RawRow(raw.record_no, raw.line_no, raw.raw))
        result.records += 1
        if raw.error is not None:
            quarantined.append(
                QuarantineRow(raw.record_no, raw.line_no, str(path), raw.error, raw.raw)
            )
            result.quarantined += 1
            if len(result.problems) < 20:
                result.problems.append((raw.line_no or raw.record_no, raw.error))
        else:
            records.extend(raw.items)
        if len(records) >= ITEMS_PER_BATCH:
            cut()
    if raws or not result.batches:
        cut()
    return result


def _ingest_parallel(
    store: Store,
    path: Path,
    adapter: IngestAdapter,
    summary: IngestSummary,
    *,
    next_no: int,
    workers: int,
    head: bytes,
    progress: ProgressFn | None,
) -> IngestSummary:
    """Ingest with *workers* processes, each taking a range of records.

    Workers parse, enrich and build Arrow tables; this process only writes,
    in record order, each batch in its own transaction with its checkpoint,
    so a kill leaves the same resumable state as a sequential run.
    """
    chunks = _chunks(path, head, next_no)
    ctx = multiprocessing.get_context("spawn")
    pending: collections.deque[tuple[_Chunk, concurrent.futures.Future[_ChunkResult]]] = (
        collections.deque()
    )
    exhausted = False
    # each write costs a scan of the stored keys (Store.rows_per_write): batches
    # go in several at once, resumable: a combined write carries the last checkpoint
    held: list[ArrowBatch] = []
    held_rows = 0

    def write(batches: list[ArrowBatch]) -> None:
        batch = combine_batches(batches)
        store.write_arrow_batch(batch, datetime.now(UTC) if batch.is_last else None)

    with concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_worker_init
    ) as pool:
        try:
            while True:
                while not exhausted and len(pending) < workers + 1:
                    chunk = next(chunks)
                    exhausted = chunk.count is None
                    pending.append(
                        (chunk, pool.submit(_work_chunk, adapter, path, summary.source_id, chunk))
                    )
                if not pending:
                    break
                chunk, future = pending.popleft()
                result = future.result()
                # a compressed file's ranges are guesses: the one that runs short is the last
                is_last = chunk.count is None or result.records < chunk.count
                if is_last:
                    exhausted = True
                for i, batch in enumerate(result.batches):
                    batch.is_last = is_last and i == len(result.batches) - 1
                    held.append(batch)
                    held_rows += sum(t.num_rows for t in batch.tables.values())
                    if batch.is_last or held_rows >= store.rows_per_write:
                        write(held)
                        held, held_rows = [], 0
                summary.written.update(result.written)
                summary.records += result.records
                summary.quarantined += result.quarantined
                room = 20 - len(summary.problems)
                summary.problems.extend(result.problems[: max(room, 0)])
                if progress is not None:
                    progress(summary.records, summary.quarantined)
                if is_last:
                    for _, fut in pending:
                        fut.cancel()
                    pending.clear()
        finally:
            for _, fut in pending:
                fut.cancel()
    return summary


def _enrich(records: list[Record]) -> list[Record]:
    posts = [r for r in records if isinstance(r, Post)]
    if not posts:
        return records
    enriched = iter(enrich_posts(posts))
    return [next(enriched) if isinstance(r, Post) else r for r in records]


#: file name endings a directory walk picks up (media and notes are left alone)
DATA_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".gz")


def expand_paths(paths: Iterable[str | Path]) -> list[tuple[Path, bool]]:
    """Files to ingest, each with whether it was found by walking a directory.

    A directory holding a Telegram ``result.json`` is that file; other
    directories are walked in name order for data files."""
    files: list[tuple[Path, bool]] = []
    for p in map(Path, paths):
        if not p.is_dir():
            files.append((p, False))
        elif (p / "result.json").is_file():
            files.append((p / "result.json", False))
        else:
            files.extend(
                (f, True)
                for f in sorted(
                    f
                    for f in p.rglob("*")
                    if f.is_file()
                    and f.name.lower().endswith(DATA_SUFFIXES)
                    and "ground_truth" not in f.relative_to(p).parts
                )
            )
    return files


def ingest_paths(
    store: Store,
    paths: Iterable[str | Path],
    *,
    fmt: str | None = None,
    progress: ProgressFn | None = None,
    adapter_options: dict[str, Any] | None = None,
) -> list[IngestSummary]:
    """Ingest several files; *adapter_options* configure the CSV adapter.

    A file named explicitly must be readable; a file found by walking a
    directory that no adapter recognises is skipped and reported instead, so
    one stray file does not stop the rest.
    """
    out = []
    for f, walked in expand_paths(paths):
        adapter = None
        if adapter_options:
            adapter = adapter_class(fmt or "csv")(**adapter_options)
        try:
            out.append(ingest_file(store, f, fmt=fmt, adapter=adapter, progress=progress))
        except UnknownFormat as exc:
            if not walked:
                raise
            skipped = IngestSummary(str(f), "", "-")
            skipped.skipped = str(exc)
            out.append(skipped)
    return out
