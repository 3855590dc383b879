"""The embedded store: one DuckDB file in the workspace directory.

Implements :class:`marsad.store.base.Store`.  Batches arrive as records, are
turned into Arrow tables column by column and inserted with ``ON CONFLICT``
clauses against each table's primary key, inside one transaction together with
the source's checkpoint.  DuckDB's write-ahead log makes a committed batch
durable and an uncommitted one vanish after a crash (kill -9 included).

No SQL is built from user input: table and column names come from
:mod:`marsad.store.schema`; values are bound parameters or Arrow tables; file
paths go through DuckDB's relation API, not SQL text.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from marsad.errors import MigrationError, StoreError, WorkspaceError
from marsad.model import Detection
from marsad.store import rollup
from marsad.store.arrow import _ACCOUNT_UPDATE, _TS, ArrowBatch, to_arrow_batch
from marsad.store.base import Batch, SourceInfo, SourceState, Store
from marsad.store.exchange import parquet_source, replaced
from marsad.store.schema import KEYS, MIGRATIONS, SCHEMA_VERSION, TABLES, UNINDEXED

__all__ = [
    "DB_FILE",
    "WRITER_WAITING",
    "DuckDBStore",
    "arrow_table",
    "detections_table",
    "quiet",
    "writer_waiting",
]

DB_FILE = "marsad.duckdb"


def arrow_table(result: Any) -> pa.Table:
    """An Arrow table from a DuckDB result or relation (1.x and 2.x APIs)."""
    for name in ("to_arrow_table", "fetch_arrow_table", "arrow"):
        method = getattr(result, name, None)
        if method is not None:
            table = method()
            return table if isinstance(table, pa.Table) else table.read_all()
    raise StoreError("this duckdb has no Arrow export")  # pragma: no cover


def detections_table(detections: Sequence[Detection]) -> pa.Table:
    """*detections* as the ``detections`` table's rows, the last of each key."""
    latest: dict[tuple[str, ...], Detection] = {}
    for d in detections:
        latest[(d.detector, d.detector_version, d.target_kind, d.platform, d.target_id)] = d
    rows = list(latest.values())
    return pa.table(
        {
            "detector": pa.array([d.detector for d in rows], pa.string()),
            "detector_version": pa.array([d.detector_version for d in rows], pa.string()),
            "target_kind": pa.array([d.target_kind for d in rows], pa.string()),
            "platform": pa.array([d.platform for d in rows], pa.string()),
            "target_id": pa.array([d.target_id for d in rows], pa.string()),
            "score": pa.array([d.score for d in rows], pa.float64()),
            "evidence": pa.array(
                [json.dumps(d.evidence, sort_keys=True, ensure_ascii=False) for d in rows],
                pa.string(),
            ),
            "created_at": pa.array([d.created_at for d in rows], _TS),
        }
    )


#: beside ``marsad.duckdb``: a writer waiting for the file writes its pid here, so
#: that a server holding the file open for reading lets go (:func:`writer_waiting`)
WRITER_WAITING = "marsad.duckdb.writer-waiting"


def writer_waiting(directory: Path) -> bool:
    """Whether a live process waits to write the workspace in *directory*."""
    marker = directory / WRITER_WAITING
    try:
        pid = int(marker.read_text().strip() or 0)
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: is it alive (a writer killed -9 leaves its marker)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


def quiet(con: duckdb.DuckDBPyConnection) -> None:
    """No progress bar: DuckDB draws it on stdout for a query over 2 s, inside the
    JSON or CSV a command prints there (``census --json`` at 10M posts did).
    Cursors of *con* inherit it."""
    con.execute("SET enable_progress_bar = false")


def _connect_waiting(
    path: Path, read_only: bool, settings: dict[str, Any], wait: float
) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, retrying for up to *wait* seconds while another
    process holds its lock (the web app reading between two requests, a
    command writing): one process at a time, but nobody fails on a short wait.

    A writer that has to wait says so in :data:`WRITER_WAITING` (its pid) for
    as long as it waits; ``marsad serve`` keeps the file open for reading
    between requests and closes it when it sees that (:mod:`marsad.review.reader`)."""
    import time

    deadline = time.monotonic() + wait
    delay = 0.02
    marker: Path | None = None
    try:
        while True:
            try:
                con = duckdb.connect(str(path), read_only=read_only, config=settings)
                quiet(con)
                return con
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                # another process's lock, or this process's reader (a server's, a
                # test's) holding the file read-only: both let go when asked
                held = "lock" in str(exc).lower() or "different configuration" in str(exc)
                if not held or time.monotonic() + delay > deadline:
                    raise
                if marker is None and not read_only:
                    marker = path.parent / WRITER_WAITING
                    with contextlib.suppress(OSError):
                        marker.write_text(str(os.getpid()))
                time.sleep(delay)
                delay = min(delay * 1.5, 0.25)
    finally:
        if marker is not None:
            with contextlib.suppress(OSError):
                if marker.read_text().strip() == str(os.getpid()):
                    marker.unlink()


class DuckDBStore(Store):
    """A workspace in ``<directory>/marsad.duckdb``; created and migrated on open."""

    #: each write of a bulk table anti-joins its keys against the stored ones (a
    #: scan of the key columns): an ingest's workers' batches go in ten at a time
    rows_per_write = 200_000

    def __init__(
        self,
        directory: str | Path,
        *,
        create: bool = True,
        threads: int = 2,
        wal_limit: str = "256MB",
        memory_limit: str = "",
        read_only: bool = False,
        lock_wait: float = 0.0,
    ) -> None:
        """Open (and create, if *create*) the workspace in *directory*.

        *wal_limit* is DuckDB's ``checkpoint_threshold``: the default 16 MB
        makes an ingest rewrite its tables and their key indexes every few
        batches, and 256 MB made a 400k-post X v2 ingest 1.4x faster
        (BENCHMARKS.md).  Committed batches are durable either way: the
        write-ahead log is replayed on the next open.
        """
        self.directory = Path(directory)
        self.path = self.directory / DB_FILE
        self._in_transaction = False
        if not self.path.exists() and (read_only or not create):
            raise WorkspaceError(
                f"no workspace at {self.directory} (no {DB_FILE}); run `marsad init` "
                "or pass --workspace"
            )
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            settings: dict[str, str | bool | int | float | list[str]] = {"threads": threads}
            if wal_limit:
                settings["checkpoint_threshold"] = wal_limit
            if memory_limit:
                settings["memory_limit"] = memory_limit
            self.con = _connect_waiting(self.path, read_only, settings, lock_wait)
        except (OSError, duckdb.Error) as exc:
            raise WorkspaceError(f"cannot open workspace {self.path}: {exc}") from exc
        if read_only:
            # a reader (the web app) beside writers: no migration; an older
            # workspace is migrated by the next command that writes it
            version = self.schema_version()
            if version != SCHEMA_VERSION:
                self.con.close()
                raise WorkspaceError(
                    f"workspace {self.path} has schema version {version}, "
                    f"this marsad reads {SCHEMA_VERSION}: run `marsad init` once"
                )
            return
        self._migrate()

    # -- schema ------------------------------------------------------------
    def _migrate(self) -> None:
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMPTZ)"
        )
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise WorkspaceError(
                f"workspace {self.path} has schema version {current}, newer than this "
                f"marsad ({SCHEMA_VERSION}); upgrade marsad"
            )
        for version, description, sql in MIGRATIONS:
            if version <= current:
                continue
            try:
                self.con.execute("BEGIN TRANSACTION")
                self.con.execute(sql)
                self.con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [version, description, datetime.now(UTC)],
                )
                self.con.execute("COMMIT")
            except duckdb.Error as exc:
                self.con.execute("ROLLBACK")
                raise MigrationError(f"migration {version} ({description}) failed: {exc}") from exc

    def schema_version(self) -> int:
        rows = self.con.execute(
            "SELECT coalesce(max(version), 0) FROM schema_migrations"
        ).fetchall()
        return int(rows[0][0]) if rows else 0

    # -- ingest --------------------------------------------------------------
    def begin_source(self, info: SourceInfo, started_at: datetime) -> SourceState:
        self.con.execute(
            "INSERT INTO sources (source_id, path, size_bytes, adapter, adapter_version, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                info.source_id,
                info.path,
                info.size_bytes,
                info.adapter,
                info.adapter_version,
                started_at,
            ],
        )
        row = self.con.execute(
            "SELECT next_record_no, completed_at IS NOT NULL, records, quarantined "
            "FROM sources WHERE source_id = ?",
            [info.source_id],
        ).fetchall()[0]
        return SourceState(int(row[0]), bool(row[1]), int(row[2]), int(row[3]))

    def write_batch(self, batch: Batch, completed_at: datetime | None) -> None:
        self.write_arrow_batch(to_arrow_batch(batch), completed_at)

    def write_arrow_batch(self, batch: ArrowBatch, completed_at: datetime | None) -> None:
        """Write a batch already in Arrow form (built by a worker process) atomically."""
        con = self.con
        try:
            con.execute("BEGIN TRANSACTION")
            for table, arrow in batch.tables.items():
                if table == "accounts":
                    self._upsert_accounts(arrow)
                else:
                    self._insert(table, arrow)
            if batch.status_keys is not None and batch.status_keys.num_rows:
                self._apply_status(batch.status_keys)
            con.execute(
                "UPDATE sources SET next_record_no = ?, records = records + ?, "
                "quarantined = quarantined + ?, completed_at = ? WHERE source_id = ?",
                [
                    batch.next_record_no,
                    batch.n_raw,
                    batch.n_quarantined,
                    completed_at,
                    batch.source_id,
                ],
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            with contextlib.suppress(duckdb.Error):  # a fatal error has closed the database
                con.execute("ROLLBACK")
            raise StoreError(f"writing a batch of {batch.source_id[:12]} failed: {exc}") from exc

    def _insert(self, table: str, arrow: pa.Table) -> None:
        self.con.register("_incoming", arrow)
        try:
            insert = self._insert_sql(table, "_incoming", arrow.column_names)
            if table != "posts":
                self.con.execute(insert)
                return
            # the posts really added (not those already stored) go to the rollups;
            # sql() runs a statement that changes data at once and keeps its rows
            added = arrow_table(self.con.sql(insert + " RETURNING " + ", ".join(rollup.COLUMNS)))
        finally:
            self.con.unregister("_incoming")
        rollup.append_new(self.con, added)

    @staticmethod
    def _insert_sql(table: str, relation: str, columns: Sequence[str]) -> str:
        """``INSERT`` of the rows of *relation* whose key *table* does not hold yet
        (the first row of each key).  A table with a primary-key index says so with
        ``ON CONFLICT``; the bulk tables (:data:`UNINDEXED`) and the team store's
        tables, which have none, by an anti-join against the stored keys."""
        cols = ", ".join(columns)
        if table not in UNINDEXED:
            return (
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {relation} ON CONFLICT DO NOTHING"
            )
        return DuckDBStore._anti_join_sql(table, relation, columns)

    @staticmethod
    def _anti_join_sql(table: str, relation: str, columns: Sequence[str]) -> str:
        keys = KEYS[table]
        cols = ", ".join(columns)
        on = " AND ".join(f"x.{k} = i.{k}" for k in keys)
        part = ", ".join(keys)
        return (
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM ("
            f"  SELECT *, row_number() OVER (PARTITION BY {part}) AS _n FROM {relation}"
            f") i WHERE _n = 1 AND NOT EXISTS (SELECT 1 FROM {table} x WHERE {on})"
        )

    def _upsert_accounts(self, arrow: pa.Table) -> None:
        # a newer observation replaces the profile; a field it lacks keeps the old value
        sets = ", ".join(f"{c} = coalesce(excluded.{c}, accounts.{c})" for c in _ACCOUNT_UPDATE)
        sets += ", source_id = excluded.source_id, record_no = excluded.record_no"
        self.con.register("_incoming", arrow)
        try:
            cols = ", ".join(arrow.column_names)
            self.con.execute(
                f"INSERT INTO accounts ({cols}) SELECT {cols} FROM _incoming "
                f"ON CONFLICT (platform, native_id) DO UPDATE SET {sets} "
                "WHERE accounts.observed_at IS NULL OR "
                "(excluded.observed_at IS NOT NULL AND excluded.observed_at > accounts.observed_at)"
            )
        finally:
            self.con.unregister("_incoming")

    def _apply_status(self, tbl: pa.Table) -> None:
        """Make sure each account with a status event exists and shows its latest status."""
        self.con.register("_touched", tbl)
        try:
            self.con.execute(
                "INSERT INTO accounts (platform, native_id, kind, status) "
                "SELECT platform, native_id, 'user', 'unknown' FROM _touched ON CONFLICT DO NOTHING"
            )
            self.con.execute(
                """
                UPDATE accounts SET status = latest.status
                FROM (
                    SELECT e.platform, e.account_id, arg_max(e.status, e.observed_at) AS status
                    FROM status_events e
                    JOIN _touched t ON t.platform = e.platform AND t.native_id = e.account_id
                    GROUP BY e.platform, e.account_id
                ) AS latest
                WHERE accounts.platform = latest.platform AND accounts.native_id = latest.account_id
                """
            )
        finally:
            self.con.unregister("_touched")

    def write_detections(self, detections: Sequence[Detection]) -> int:
        tbl = detections_table(detections)
        if tbl.num_rows == 0:
            return 0
        self.con.register("_incoming", tbl)
        try:
            self.con.execute(
                "INSERT INTO detections SELECT * FROM _incoming ON CONFLICT DO UPDATE SET "
                "score = excluded.score, evidence = excluded.evidence, created_at = excluded.created_at"
            )
        finally:
            self.con.unregister("_incoming")
        return int(tbl.num_rows)

    # -- reading -------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.con.execute(sql, list(params)).fetchall()
        except duckdb.Error as exc:
            raise StoreError(f"query failed: {exc}") from exc

    def execute(self, sql: str, rows: Sequence[Sequence[Any]] = ((),)) -> None:
        try:
            if len(rows) == 1:
                self.con.execute(sql, list(rows[0]))
            elif rows:
                self.con.executemany(sql, [list(r) for r in rows])
        except duckdb.Error as exc:
            raise StoreError(f"write failed: {exc}") from exc

    def counts(self) -> dict[str, int]:
        out = {}
        for table in TABLES:
            out[table] = int(self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
        return out

    def iter_table(self, table: str, batch_rows: int = 10000) -> Iterator[dict[str, Any]]:
        """Every row of *table* in primary-key order, as dicts."""
        if table not in TABLES:
            raise StoreError(f"unknown table {table!r}")
        if table == "raw_records":  # whole pages: sorted a slice at a time (below)
            for rows in self._raw_record_slices():
                yield from rows.to_pylist()
            return
        order = ", ".join(KEYS[table])
        cur = self.con.cursor()
        cur.execute(f"SELECT * FROM {table} ORDER BY {order}")
        names = [d[0] for d in cur.description or []]
        while True:
            rows = cur.fetchmany(batch_rows)
            if not rows:
                break
            for row in rows:
                yield dict(zip(names, row, strict=True))

    def table_arrow(self, table: str) -> pa.Table:
        if table not in TABLES:
            raise StoreError(f"unknown table {table!r}")
        order = ", ".join(KEYS[table])
        return arrow_table(self.con.sql(f"SELECT * FROM {table} ORDER BY {order}"))

    def table_schema(self, table: str) -> pa.Schema:
        if table not in TABLES:
            raise StoreError(f"unknown table {table!r}")
        return arrow_table(self.con.sql(f"SELECT * FROM {table} LIMIT 0")).schema

    def insert_arrow(self, table: str, arrow: pa.Table) -> int:
        """Merge rows into *table* (present keys are kept); returns rows added.

        Runs in its own transaction unless called inside :meth:`transaction`.
        """
        if table not in TABLES:
            raise StoreError(f"unknown table {table!r}")
        before = self.counts()[table]
        if self._in_transaction:
            self._insert(table, arrow)
        else:
            with self.transaction():
                self._insert(table, arrow)
        return self.counts()[table] - before

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all."""
        if self._in_transaction:
            yield
            return
        self.con.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
            self.con.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):  # a fatal error has closed the database
                self.con.execute("ROLLBACK")
            if isinstance(exc, duckdb.Error):
                raise StoreError(f"transaction rolled back: {exc}") from exc
            raise
        finally:
            self._in_transaction = False

    # -- exchange --------------------------------------------------------------
    def export_parquet(self, directory: Path) -> dict[str, int]:
        directory.mkdir(parents=True, exist_ok=True)
        out = {}
        for table in TABLES:
            target = directory / f"{table}.parquet"
            tmp = target.with_suffix(".parquet.tmp")
            try:
                if table == "raw_records":
                    self._write_raw_records(tmp)
                else:
                    order = ", ".join(KEYS[table])
                    self.con.sql(f"SELECT * FROM {table} ORDER BY {order}").write_parquet(str(tmp))
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            tmp.replace(target)
            out[table] = int(self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
        (directory / "manifest.json").write_text(
            json.dumps(
                {"marsad_export": 1, "schema_version": self.schema_version(), "rows": out}, indent=2
            )
        )
        return out

    #: payload bytes of raw records read and written at a time by an export
    RAW_CHUNK_BYTES = 256 * 2**20

    def _write_raw_records(self, target: Path) -> None:
        """``raw_records`` as Parquet in key order (:meth:`_raw_record_slices`)."""
        import pyarrow.parquet as pq

        schema = self.table_schema("raw_records")
        with pq.ParquetWriter(str(target), schema) as writer:
            wrote = False
            for rows in self._raw_record_slices():
                writer.write_table(rows.cast(schema), row_group_size=4096)
                wrote = True
            if not wrote:
                writer.write_table(schema.empty_table())

    def _raw_record_slices(self) -> Iterator[pa.Table]:
        """``raw_records`` in key order, a slice of keys at a time.

        A raw record is a whole input line or page (an X API page is 40 KB and
        up), and DuckDB's sort does not spill such values: at 10M posts the
        ``ORDER BY`` of the raw records (246,493 pages, 16.5 GB) failed for
        lack of memory at 18.8 GB, with a 6 GB limit as well.  So only the keys
        and sizes are sorted; the rows are then read a slice of keys at a time
        (about :attr:`RAW_CHUNK_BYTES` of payload each, within one source) and
        put in order in Arrow.  Together the slices are the rows the ``ORDER
        BY`` would give, in its order.  Both exports (Parquet and JSONL) read
        them so.
        """
        import pyarrow.compute as pc

        keys = arrow_table(
            self.con.sql(
                "SELECT source_id, record_no, octet_length(raw) AS n FROM raw_records "
                "ORDER BY source_id, record_no"
            )
        )
        sources = keys["source_id"].to_pylist()
        numbers = keys["record_no"].to_pylist()
        sizes = keys["n"].to_pylist()
        del keys
        start = 0
        while start < len(numbers):
            end, payload = start, 0
            while (
                end < len(numbers)
                and sources[end] == sources[start]
                and (end == start or payload + sizes[end] <= self.RAW_CHUNK_BYTES)
            ):
                payload += sizes[end]
                end += 1
            rows = arrow_table(
                self.con.execute(
                    "SELECT * FROM raw_records WHERE source_id = $s "
                    "AND record_no BETWEEN $lo AND $hi",
                    {"s": sources[start], "lo": numbers[start], "hi": numbers[end - 1]},
                )
            )
            yield rows.take(pc.sort_indices(rows, [("record_no", "ascending")]))
            start = end

    def import_parquet(self, directory: Path) -> dict[str, int]:
        manifest = directory / "manifest.json"
        if not manifest.exists():
            raise WorkspaceError(f"{directory} is not a marsad Parquet export (no manifest.json)")
        meta = json.loads(manifest.read_text())
        if int(meta.get("schema_version", 0)) > SCHEMA_VERSION:
            raise WorkspaceError(
                f"export schema {meta.get('schema_version')} is newer than this marsad ({SCHEMA_VERSION})"
            )
        replacing = replaced(meta, str(directory))
        added = {}
        with self.transaction():  # an import lands whole or not at all
            for detector, platforms in replacing:
                # the export is a stage's new run: its last run goes (exchange.REPLACEABLE)
                self.con.execute(
                    "DELETE FROM detections WHERE detector = ? "
                    "AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], platform))",
                    [detector, platforms, platforms],
                )
            for table in TABLES:
                path = directory / f"{table}.parquet"
                if not path.exists():
                    continue
                added[table] = self._import_table(table, path)
        return added

    def _import_table(self, table: str, path: Path) -> int:
        """Stream one Parquet file into *table* (DuckDB reads it; Python never holds it).

        Into an empty table the rows go in as they are (a marsad export has one
        row per key); into a table with rows, present keys are kept.
        """
        before = self.counts()[table]
        self.con.read_parquet(parquet_source(path)).create_view("_incoming_parquet", replace=True)
        try:
            names = [r[0] for r in self.con.execute("DESCRIBE _incoming_parquet").fetchall()]
            cols = [c for c in self.table_schema(table).names if c in names]
            if before or table in UNINDEXED:
                self.con.execute(self._insert_sql(table, "_incoming_parquet", cols))
            else:
                listed = ", ".join(cols)
                self.con.execute(
                    f"INSERT INTO {table} ({listed}) SELECT {listed} FROM _incoming_parquet"  # noqa: S608 - names from the schema
                )
        finally:
            self.con.execute("DROP VIEW IF EXISTS _incoming_parquet")
        if table == "posts":
            rollup.rebuild(self.con)  # one pass over the posts: cheaper than a delta here
        return self.counts()[table] - before

    def compact_rollups(self) -> list[str]:
        """Regroup the partial sums of the census's rollups (derived data, so
        that a census can read them: :mod:`marsad.store.rollup`); returns the
        rollups regrouped."""
        with self.transaction():
            return rollup.compact_partial(self.con)

    def analytics(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection the census and other read-only analytics query."""
        return self.con

    def checkpoint(self) -> None:
        self.con.execute("CHECKPOINT")

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):  # closing twice is harmless
            self.con.close()
