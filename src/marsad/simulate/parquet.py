"""Writes a simulation as a workspace export (Parquet) that ``marsad import`` loads.

Part of the simulate stage, outside the flow.  ``marsad simulate`` followed by
``marsad ingest`` builds a 10M-post workspace in about an hour on two cores,
most of it spent writing to DuckDB row batch by row batch (primary-key
indexes, raw records, checkpoints).  Benchmarks and demos need that workspace,
not the ingest run, so this module writes the *export* of it instead -- the
directory :meth:`~marsad.store.duckdb.DuckDBStore.export_parquet` writes and
``marsad import`` reads, one ``<table>.parquet`` per table and a
``manifest.json`` -- and the import then builds the workspace in one bulk load.

The rows are the ingest's rows, made the ingest's way:

1. :func:`~marsad.simulate.run.simulate` writes ``marsad.jsonl`` (and the
   ground truth) exactly as for ``marsad simulate --formats marsad-jsonl``;
2. worker processes each take a range of its lines and run them through the
   real :class:`~marsad.ingest.jsonl.MarsadJsonlAdapter` (record numbers are
   the adapter's), :func:`~marsad.text.enrich.enrich_posts` and
   :func:`~marsad.store.arrow.to_arrow_batch`, as ingest's workers do; this
   process appends their tables to Parquet files, row group by row group, so
   memory does not grow with the size of the simulation;
3. DuckDB applies what the store would have done on insert: the first row of
   a primary key wins (``ON CONFLICT DO NOTHING``), and an account's status
   is its latest status event, with an ``unknown``-profile row for an account
   known only from status events (``DuckDBStore._apply_status``).

What differs from an ingest of ``marsad.jsonl``, on purpose: the provenance
names the simulation rather than the file -- one ``sources`` row with adapter
``simulate``, whose ``source_id`` is the SHA-256 of
``ground_truth/config.json`` (its ``path``), and no ``raw_records`` (the raw
lines are not kept: the config and seed regenerate them byte for byte).
Every other table holds the same rows, record numbers included
(``tests/simulate/test_parquet.py``).
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import itertools
import json
import multiprocessing
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from marsad import config as settings
from marsad.errors import ConfigError, InputError, MarsadError
from marsad.ingest.base import Span, line_spans
from marsad.ingest.jsonl import MarsadJsonlAdapter
from marsad.model import Account, Post, Record
from marsad.simulate.config import SimConfig
from marsad.simulate.run import SIMULATOR_VERSION, SimSummary, simulate
from marsad.store.arrow import to_arrow_batch
from marsad.store.base import Batch
from marsad.store.schema import KEYS, MIGRATIONS, SCHEMA_VERSION, TABLES
from marsad.text.enrich import enrich_posts

__all__ = ["ADAPTER", "ParquetExport", "jsonl_to_export", "simulate_parquet"]

#: the ``sources.adapter`` of a simulation written by this module
ADAPTER = "simulate"
#: lines of marsad.jsonl per worker task: ingest's chunk size (pipeline.BYTES_PER_CHUNK)
CHUNK_BYTES = 8 << 20
#: rows per Parquet row group: large enough for fast column scans, small enough
#: that the buffered posts stay near 100 MB
ROW_GROUP_ROWS = 131_072
#: ``progress(stage, done, total)``, as for :func:`~marsad.simulate.run.simulate`
ProgressFn = Callable[[str, int, int], None]
#: tables whose rows are final as converted, apart from duplicate keys
_APPENDED = ("snapshots", "status_events", "posts", "media", "edges")


@dataclass
class ParquetExport:
    """What :func:`simulate_parquet` wrote: the export directory and its row counts."""

    out_dir: Path
    source_id: str
    records: int
    rows: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)
    simulation: SimSummary | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "source_id": self.source_id,
            "records": self.records,
            "rows": self.rows,
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
            "simulation": self.simulation.as_dict() if self.simulation else None,
        }


def simulate_parquet(
    config: SimConfig,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    keep_jsonl: bool = False,
    progress: ProgressFn | None = None,
) -> ParquetExport:
    """Simulate *config* and write it to *out_dir* as a workspace export.

    *out_dir* ends up holding ``<table>.parquet`` for every table,
    ``manifest.json`` (written last: a half-written directory is not an
    export) and ``ground_truth/``; ``marsad.jsonl`` is deleted unless
    *keep_jsonl* (at 10M posts it takes about 8 GB while it exists).
    *workers* defaults to the ``workers`` setting.  Raises
    :class:`~marsad.errors.ConfigError` for ``suspension_times_known``: the
    export holds what ``marsad.jsonl`` holds, and the exact times would be lost.
    """
    if config.suspension_times_known:
        raise ConfigError(
            "a Parquet export holds only marsad.jsonl, not the status CSV of exact suspension "
            "times; simulate with suspension_times_known=False, or simulate() and ingest "
            "its inputs"
        )
    out = Path(out_dir)
    began = time.perf_counter()
    summary = simulate(config, out, formats=["marsad-jsonl"], progress=progress, jobs=1)
    simulated = time.perf_counter()
    jsonl = out / "marsad.jsonl"
    export = jsonl_to_export(
        jsonl, out, out / "ground_truth" / "config.json", workers=workers, progress=progress
    )
    if not keep_jsonl:
        jsonl.unlink()
    export.seconds = {"simulate": simulated - began, **export.seconds}
    export.simulation = summary
    return export


def jsonl_to_export(
    jsonl: Path,
    out_dir: Path,
    source_file: Path,
    *,
    workers: int | None = None,
    progress: ProgressFn | None = None,
) -> ParquetExport:
    """Convert a marsad JSONL file into a workspace export in *out_dir*.

    The rows' provenance is *source_file* (the simulation's ``config.json``):
    its SHA-256 is their ``source_id``.  A line the adapter cannot read
    raises :class:`~marsad.errors.InputError`: the simulator wrote it, so it
    is a bug, not a record to quarantine.
    """
    started_at = datetime.now(UTC)
    began = time.perf_counter()
    source_id = hashlib.sha256(source_file.read_bytes()).hexdigest()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "manifest.json").unlink(missing_ok=True)  # written last, when the rest is there
    schemas = _export_schemas()
    writers = _TableWriters(out_dir, schemas)
    size = jsonl.stat().st_size
    records = 0
    try:
        for tables, n, done in _converted(jsonl, source_id, workers):
            writers.append(tables)
            records += n
            if progress is not None:
                progress("convert", done, size)
    finally:
        writers.close()
    converted = time.perf_counter()
    _finalize(out_dir)
    sources = {
        "source_id": source_id,
        "path": str(source_file),
        "size_bytes": source_file.stat().st_size,
        "adapter": ADAPTER,
        "adapter_version": SIMULATOR_VERSION,
        "started_at": started_at,
        "completed_at": datetime.now(UTC),
        "next_record_no": records,
        "records": records,
        "quarantined": 0,
    }
    pq.write_table(pa.Table.from_pylist([sources], schemas["sources"]), out_dir / "sources.parquet")
    rows = {t: pq.ParquetFile(out_dir / f"{t}.parquet").metadata.num_rows for t in TABLES}
    (out_dir / "manifest.json").write_text(
        json.dumps({"marsad_export": 1, "schema_version": SCHEMA_VERSION, "rows": rows}, indent=2)
    )
    finished = time.perf_counter()
    return ParquetExport(
        out_dir,
        source_id,
        records,
        rows,
        {"convert": converted - began, "finalize": finished - converted},
    )


@functools.cache
def _export_schemas() -> dict[str, pa.Schema]:
    """The Arrow schema of every table, as a workspace created by this marsad has it."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for _, _, sql in MIGRATIONS:
            con.execute(sql)
        return {
            t: con.sql(f"SELECT * FROM {t} LIMIT 0").to_arrow_table().schema  # noqa: S608 - schema names
            for t in TABLES
        }
    finally:
        con.close()


# -- conversion ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chunk:
    span: Span  # where the range starts
    count: int | None  # records in it; None: to the end of the file
    end: int  # byte offset where it ends (for progress)


def _chunks(jsonl: Path) -> Iterator[_Chunk]:
    spans = line_spans(jsonl, CHUNK_BYTES)
    here = next(spans)
    for after in spans:
        yield _Chunk(here, after.records - here.records, after.offset)
        here = after
    yield _Chunk(here, None, jsonl.stat().st_size)


def _convert_chunk(jsonl: Path, source_id: str, chunk: _Chunk) -> tuple[dict[str, pa.Table], int]:
    """The records of *chunk*, enriched, as tables in the export's schemas (worker side)."""
    adapter = MarsadJsonlAdapter()
    records: list[Record] = []
    n = 0
    lines = adapter.records(jsonl, source_id, chunk.span.records, chunk.span)
    for raw in itertools.islice(lines, chunk.count):
        if raw.error is not None:
            raise InputError(f"{jsonl}:{raw.line_no}: {raw.error}")
        records.extend(raw.items)
        n += 1
    accounts = [(r.platform, r.native_id) for r in records if isinstance(r, Account)]
    if len(set(accounts)) < len(accounts):
        raise _repeated_account(jsonl)
    posts = enrich_posts([r for r in records if isinstance(r, Post)])
    others = [r for r in records if not isinstance(r, Post)]
    batch = to_arrow_batch(
        Batch(source_id, [*posts, *others], [], [], chunk.span.records + n, False)
    )
    schemas = _export_schemas()
    return {t: _conform(tbl, schemas[t]) for t, tbl in batch.tables.items()}, n


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """*table* with the store's column order and types (``edit_seq`` is an INTEGER)."""
    return table.select(schema.names).cast(schema)


def _converted(
    jsonl: Path, source_id: str, workers: int | None
) -> Iterator[tuple[dict[str, pa.Table], int, int]]:
    """``(tables, records, bytes done)`` per chunk, in file order.

    With more than one worker, chunks go to a process pool, at most
    ``workers + 1`` in flight so memory stays flat; results come back in order.
    """
    n_workers = workers if workers is not None else int(settings.get("workers"))
    chunks = _chunks(jsonl)
    if n_workers <= 1 or jsonl.stat().st_size <= CHUNK_BYTES:
        for chunk in chunks:
            tables, n = _convert_chunk(jsonl, source_id, chunk)
            yield tables, n, chunk.end
        return
    ctx = multiprocessing.get_context("spawn")
    pending: deque[tuple[_Chunk, concurrent.futures.Future[tuple[dict[str, pa.Table], int]]]]
    pending = deque()
    with concurrent.futures.ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
        try:
            for chunk in chunks:
                pending.append((chunk, pool.submit(_convert_chunk, jsonl, source_id, chunk)))
                if len(pending) > n_workers:
                    yield _result(pending.popleft())
            while pending:
                yield _result(pending.popleft())
        finally:
            for _, future in pending:
                future.cancel()


def _result(
    item: tuple[_Chunk, concurrent.futures.Future[tuple[dict[str, pa.Table], int]]],
) -> tuple[dict[str, pa.Table], int, int]:
    chunk, future = item
    tables, n = future.result()
    return tables, n, chunk.end


class _TableWriters:
    """One Parquet file per table, appended in row groups of ``ROW_GROUP_ROWS``.

    Accounts go to ``accounts.part.parquet``: :func:`_finalize` merges them
    with the status events into ``accounts.parquet``.  Tables nothing is
    written to still get a file with no rows, as ``export_parquet`` writes them.
    """

    def __init__(self, out_dir: Path, schemas: dict[str, pa.Schema]) -> None:
        self.out_dir = out_dir
        self.writers = {
            t: pq.ParquetWriter(self._path(t), schemas[t])
            for t in TABLES
            if t != "sources"  # one row, written at the end
        }
        self.pending: dict[str, list[pa.Table]] = {t: [] for t in self.writers}
        self.buffered = dict.fromkeys(self.writers, 0)

    def _path(self, table: str) -> Path:
        return self.out_dir / (
            f"{table}.part.parquet" if table == "accounts" else f"{table}.parquet"
        )

    def append(self, tables: dict[str, pa.Table]) -> None:
        for table, rows in tables.items():
            self.pending[table].append(rows)
            self.buffered[table] += rows.num_rows
            if self.buffered[table] >= ROW_GROUP_ROWS:
                self._flush(table)

    def _flush(self, table: str) -> None:
        if self.pending[table]:
            self.writers[table].write_table(
                pa.concat_tables(self.pending[table]), row_group_size=ROW_GROUP_ROWS
            )
        self.pending[table], self.buffered[table] = [], 0

    def close(self) -> None:
        for table, writer in self.writers.items():
            self._flush(table)
            writer.close()


# -- what the store does on insert -----------------------------------------------------------

_ACCOUNTS = """
WITH ev AS (
    SELECT platform, account_id AS native_id, arg_max(status, observed_at) AS status
    FROM _status_events GROUP BY ALL)
SELECT a.* REPLACE (coalesce(ev.status, a.status) AS status)
FROM _accounts a LEFT JOIN ev ON ev.platform = a.platform AND ev.native_id = a.native_id
UNION ALL BY NAME
SELECT ev.platform, ev.native_id, 'user' AS kind, ev.status
FROM ev ANTI JOIN _accounts a ON a.platform = ev.platform AND a.native_id = ev.native_id
"""


def _finalize(out_dir: Path) -> None:
    """Apply the store's insert rules to the converted files, with DuckDB (out of core).

    Each table keeps the first row of every primary key (``ON CONFLICT DO
    NOTHING``; rows are in record order); ``accounts.parquet`` is the account
    rows with their latest status event's status, plus an ``unknown``-profile
    row for each account known only from status events.  Two records of one
    account would need the store's upsert (newest observation wins) and are
    refused: the simulator writes every account once.
    """
    con = duckdb.connect(config={"threads": 2, "temp_directory": str(out_dir / ".duckdb.tmp")})
    try:
        con.execute("SET TimeZone = 'UTC'")
        for table in _APPENDED:
            path = out_dir / f"{table}.parquet"
            con.read_parquet(str(path)).create_view(f"_{table}")
            if _duplicates(con, table):
                first = f"SELECT * FROM _{table} {_first_of_each_key(table)}"  # noqa: S608 - constants
                _rewrite(con, path, first)
        part = out_dir / "accounts.part.parquet"
        con.read_parquet(str(part)).create_view("_accounts")
        if _duplicates(con, "accounts"):
            raise _repeated_account(out_dir)
        _rewrite(con, out_dir / "accounts.parquet", _ACCOUNTS)
    finally:
        con.close()
    part.unlink()
    shutil.rmtree(out_dir / ".duckdb.tmp", ignore_errors=True)


def _repeated_account(where: Path) -> MarsadError:
    return MarsadError(
        f"{where}: an account has two records; the store would merge them "
        "(newest observation wins), which this export does not do"
    )


def _duplicates(con: duckdb.DuckDBPyConnection, table: str) -> int:
    keys = ", ".join(KEYS[table])
    sql = f"SELECT count(*) - count(DISTINCT ({keys})) FROM _{table}"  # noqa: S608 - constants
    return int(con.execute(sql).fetchall()[0][0])


def _first_of_each_key(table: str) -> str:
    keys = ", ".join(KEYS[table])
    return (
        f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY record_no) = 1 ORDER BY record_no"
    )


def _rewrite(con: duckdb.DuckDBPyConnection, target: Path, sql: str) -> None:
    tmp = target.with_suffix(".parquet.tmp")
    con.sql(sql).write_parquet(str(tmp))
    tmp.replace(target)
