"""The team store: a DuckLake (catalog in PostgreSQL, data as Parquet files).

Implements :class:`marsad.store.base.Store` for ``--workspace
postgresql://host/db``.  Many processes -- the web server, CLI commands,
background jobs -- open the same store at once: each process runs DuckDB with
the DuckLake extension, which keeps the tables' catalog (snapshots, files,
statistics) in the PostgreSQL database and the rows in Parquet files under a
data path every process can reach (a shared directory or object storage).
Readers see the latest committed snapshot and never wait.  Writers take a
PostgreSQL advisory lock for the length of one transaction (one ingest batch
with its checkpoint), so two writers never interleave inside a batch and the
primary-key rules below hold across processes; a batch is committed whole or
not at all, as in the embedded store.

DuckLake has no primary keys, so the store keeps the embedded store's key
rules itself (:data:`marsad.store.schema.KEYS`): an insert adds only the rows
whose key is not stored yet (an anti-join, under the writers' lock), an
account observed later replaces the profile field by field (``MERGE``), a
detection re-scored replaces its score.  The census's rollups
(:mod:`marsad.store.rollup`) are not kept here: the census computes the same
figures from the posts.

Connection settings go to DuckDB's PostgreSQL client through the libpq
environment (``PGHOST``, ``PGPORT``, ``PGDATABASE``, ``PGUSER``,
``PGPASSWORD``, ``PGSSLMODE``) of this process, never through SQL text, so a
password is not in any statement or error message.  The data path of a new
store (``MARSAD_DATA_PATH``, else ``./marsad-lake/<database>``) is written
once into the catalog; later processes read it from there.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import duckdb
import pyarrow as pa

from marsad import config
from marsad.config import SERVER_SCHEMES, is_server_url, shown_workspace
from marsad.errors import ConfigError, MigrationError, StoreError, WorkspaceError
from marsad.model import Detection
from marsad.store.arrow import _ACCOUNT_UPDATE, ArrowBatch
from marsad.store.base import SourceInfo, SourceState
from marsad.store.duckdb import DuckDBStore, detections_table, quiet
from marsad.store.exchange import parquet_source
from marsad.store.extensions import extension_directory
from marsad.store.schema import MIGRATIONS, SCHEMA_VERSION, TABLES

__all__ = ["LakeStore", "is_server_url", "pg_conninfo"]

#: the lake's catalog name inside each process's DuckDB
_LAKE = "lake"
#: ingest batches between two merges of small files (:meth:`LakeStore.merge_files`)
MERGE_EVERY = 20
#: the default catalog of a cursor: the in-memory database of ``duckdb.connect()``
_DEFAULT = "memory"
#: libpq environment variable of each URL part
_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "sslmode": "PGSSLMODE",
}
#: a data path is written into the catalog as a SQL literal: allow only what a path needs
_SAFE_PATH = re.compile(r"^[\w./:@+=,~ -]+$")
#: one attach at a time in a process (the libpq environment is process-wide)
_ATTACH_LOCK = threading.Lock()


def pg_conninfo(url: str) -> dict[str, str]:
    """The libpq parameters of a ``postgresql://user:password@host:port/db?sslmode=..``
    URL (defaults: host 127.0.0.1, database ``marsad``)."""
    parts = urlsplit(url)
    if parts.scheme not in SERVER_SCHEMES:
        raise ConfigError(f"not a PostgreSQL URL: {parts.scheme}://...")
    info = {"host": parts.hostname or "127.0.0.1", "dbname": unquote(parts.path.lstrip("/"))}
    info["dbname"] = info["dbname"] or "marsad"
    if parts.port:
        info["port"] = str(parts.port)
    if parts.username:
        info["user"] = unquote(parts.username)
    if parts.password:
        info["password"] = unquote(parts.password)
    for key, values in parse_qs(parts.query).items():
        if key in _ENV and values:
            info[key] = values[-1]
    if not re.fullmatch(r"[\w$-]+", info["dbname"]):
        raise ConfigError(f"unusable database name in {shown_workspace(url)}: {info['dbname']!r}")
    return info


def _ensure_database(info: dict[str, str]) -> None:
    """Create the database if it is missing (connecting to ``postgres``)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    params = {k: v for k, v in info.items() if k != "dbname"}
    try:
        with psycopg.connect(make_conninfo(dbname=info["dbname"], **params), connect_timeout=10):
            return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise WorkspaceError(f"cannot reach PostgreSQL at {info['host']}: {exc}") from exc
    try:
        admin = make_conninfo(dbname="postgres", **params)
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as c:
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(info["dbname"])))
    except psycopg.errors.DuplicateDatabase:
        pass  # another process made it first
    except psycopg.Error as exc:
        raise WorkspaceError(f"cannot create database {info['dbname']!r}: {exc}") from exc


def _reference_schema() -> duckdb.DuckDBPyConnection:
    """The embedded store's schema at :data:`SCHEMA_VERSION`, in memory: the lake's tables
    and views are made from it (the same columns, types and views)."""
    con = duckdb.connect()
    for _, _, sql in MIGRATIONS:
        con.execute(sql)
    return con


class LakeStore(DuckDBStore):
    """A team store in the DuckLake of PostgreSQL database *url*.

    A :class:`DuckDBStore` whose tables live in the lake: reads and the
    analytics connection are the embedded store's, pointed at the lake
    (``USE lake``); the writes keep the key rules under the writers' lock.
    """

    def __init__(
        self,
        url: str,
        *,
        create: bool = True,
        threads: int = 2,
        data_path: str | Path | None = None,
        memory_limit: str = "",
    ) -> None:
        import psycopg
        from psycopg.conninfo import make_conninfo

        self.url = shown_workspace(url)
        self.path = Path(self.url)  # what messages name
        self.directory = Path(".")  # the data path, once attached (kept media go there)
        self._in_transaction = False
        self._batches_since_merge = 0
        self._info = pg_conninfo(url)
        self._lock_key = zlib.crc32(b"marsad-lake-writers") - (1 << 31)
        if create:
            _ensure_database(self._info)
        try:
            self._pg = psycopg.connect(
                make_conninfo(**self._info), autocommit=True, connect_timeout=10
            )
        except psycopg.Error as exc:
            raise WorkspaceError(f"cannot open team store {self.url}: {exc}") from exc
        settings: dict[str, str | bool | int | float | list[str]] = {
            "threads": threads,
            "extension_directory": str(extension_directory()),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
        if memory_limit:
            settings["memory_limit"] = memory_limit
        self.con = duckdb.connect(config=settings)
        quiet(self.con)
        try:
            self.con.execute("LOAD postgres_scanner")
            self.con.execute("LOAD ducklake")
            self._attach(create, data_path)
            self.con.execute(f"USE {_LAKE}")
            self.directory = Path(self.describe()["data_path"] or ".")
        except duckdb.Error as exc:
            self.close()
            raise WorkspaceError(f"cannot open team store {self.url}: {exc}") from exc
        self._migrate()
        self._mirror_for_cursors()

    def _attach(self, create: bool, data_path: str | Path | None) -> None:
        with _ATTACH_LOCK:
            for key, value in self._info.items():
                os.environ[_ENV[key]] = value
            exists = bool(
                self._pg.execute(
                    "SELECT 1 FROM information_schema.tables WHERE table_name = 'ducklake_metadata'"
                ).fetchone()
            )
            if exists:
                self.con.execute(f"ATTACH 'ducklake:postgres:' AS {_LAKE}")
                return
            if not create:
                raise WorkspaceError(f"no marsad team store in {self.url}; run `marsad init`")
            raw = (
                data_path or config.get("data_path") or (Path("marsad-lake") / self._info["dbname"])
            )
            path = Path(raw).expanduser().resolve()
            text = str(path) + "/"
            if not _SAFE_PATH.match(text):
                raise ConfigError(f"unusable data path {text!r} (letters, digits, . / _ - only)")
            path.mkdir(parents=True, exist_ok=True)
            # a literal: DuckDB's ATTACH takes no parameters; checked against _SAFE_PATH above
            self.con.execute(f"ATTACH 'ducklake:postgres:' AS {_LAKE} (DATA_PATH '{text}')")

    # -- the writers' lock -----------------------------------------------------
    @contextlib.contextmanager
    def _writers_lock(self) -> Iterator[None]:
        self._pg.execute("SELECT pg_advisory_lock(%s)", [self._lock_key])
        try:
            yield
        finally:
            self._pg.execute("SELECT pg_advisory_unlock(%s)", [self._lock_key])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all, one writer at a time."""
        if self._in_transaction:
            yield
            return
        with self._writers_lock():
            self.con.execute("BEGIN TRANSACTION")
            self._in_transaction = True
            try:
                yield
                self.con.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(duckdb.Error):
                    self.con.execute("ROLLBACK")
                if isinstance(exc, duckdb.Error):
                    raise StoreError(f"transaction rolled back: {exc}") from exc
                raise
            finally:
                self._in_transaction = False

    # -- schema ------------------------------------------------------------------
    def _migrate(self) -> None:
        """Bring the lake to :data:`SCHEMA_VERSION`: create missing tables, add
        missing columns, (re)create the views -- from the embedded schema."""
        if self.schema_version() == SCHEMA_VERSION and self._has_tables():
            return
        ref = _reference_schema()
        try:
            with self.transaction():
                current = self.schema_version()
                if current > SCHEMA_VERSION:
                    raise WorkspaceError(
                        f"team store {self.url} has schema version {current}, newer than "
                        f"this marsad ({SCHEMA_VERSION}); upgrade marsad"
                    )
                self.con.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(version INTEGER, description VARCHAR, applied_at TIMESTAMPTZ)"
                )
                have = self._columns()
                for table in (*TABLES,):
                    cols = ref.execute(
                        "SELECT column_name, data_type, is_nullable, column_default "
                        "FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                        [table],
                    ).fetchall()
                    if table not in have:
                        body = ", ".join(
                            f"{n} {t}"
                            + (f" DEFAULT {d}" if d is not None else "")
                            + ("" if nullable else " NOT NULL")
                            for n, t, nullable, d in cols
                        )
                        self.con.execute(f"CREATE TABLE {table} ({body})")
                        continue
                    for n, t, _, d in cols:
                        if n not in have[table]:
                            default = f" DEFAULT {d}" if d is not None else ""
                            self.con.execute(f"ALTER TABLE {table} ADD COLUMN {n} {t}{default}")
                for (sql,) in ref.execute(
                    "SELECT sql FROM duckdb_views() WHERE NOT internal AND NOT temporary "
                    "ORDER BY view_name"
                ).fetchall():
                    self.con.execute(sql.replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1))
                for version, description, _ in MIGRATIONS:
                    if version > current:
                        self.con.execute(
                            "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                            [version, description, datetime.now(UTC)],
                        )
        except StoreError as exc:
            if isinstance(exc, WorkspaceError):
                raise
            raise MigrationError(f"migrating team store {self.url} failed: {exc}") from exc
        finally:
            ref.close()

    def _mirror_for_cursors(self) -> None:
        """A view in this process's default catalog for each of the lake's tables and views.

        ``USE lake`` holds for :attr:`con` only: a cursor of it (``con.cursor()``, as
        the scan, lineage, network and match stages take from :meth:`analytics`) is a
        new connection whose default catalog is the in-memory one, where the lake's
        names would not resolve.  These views (read-only; every query reads the lake's
        latest snapshot) make the same names mean the same rows on every cursor."""
        names = self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
            "AND schema_name = 'main' UNION SELECT view_name FROM duckdb_views() "
            "WHERE database_name = ? AND schema_name = 'main' AND NOT internal ORDER BY 1",
            [_LAKE, _LAKE],
        ).fetchall()
        for (name,) in names:
            # names from the lake's own catalog (the schema's tables and views)
            self.con.execute(
                f"CREATE OR REPLACE VIEW {_DEFAULT}.main.{name} AS "
                f"SELECT * FROM {_LAKE}.main.{name}"
            )

    def _columns(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for table, column in self.con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = ?",
            [_LAKE],
        ).fetchall():
            out.setdefault(table, set()).add(column)
        return out

    def _has_tables(self) -> bool:
        return set(TABLES) <= set(self._columns())

    def schema_version(self) -> int:
        try:
            rows = self.con.execute(
                "SELECT coalesce(max(version), 0) FROM schema_migrations"
            ).fetchall()
        except duckdb.CatalogException:
            return 0
        return int(rows[0][0]) if rows else 0

    # -- ingest --------------------------------------------------------------------
    def begin_source(self, info: SourceInfo, started_at: datetime) -> SourceState:
        with self.transaction():
            self.con.execute(
                "INSERT INTO sources (source_id, path, size_bytes, adapter, adapter_version, "
                "started_at) SELECT ?, ?, ?, ?, ?, ? "
                "WHERE NOT EXISTS (SELECT 1 FROM sources WHERE source_id = ?)",
                [
                    info.source_id,
                    info.path,
                    info.size_bytes,
                    info.adapter,
                    info.adapter_version,
                    started_at,
                    info.source_id,
                ],
            )
        row = self.con.execute(
            "SELECT next_record_no, completed_at IS NOT NULL, records, quarantined "
            "FROM sources WHERE source_id = ?",
            [info.source_id],
        ).fetchall()[0]
        return SourceState(int(row[0]), bool(row[1]), int(row[2]), int(row[3]))

    def write_arrow_batch(self, batch: ArrowBatch, completed_at: datetime | None) -> None:
        """Write a batch and its checkpoint in one transaction, under the writers' lock."""
        try:
            with self.transaction():
                for table, arrow in batch.tables.items():
                    if table == "accounts":
                        self._upsert_accounts(arrow)
                    else:
                        self._insert(table, arrow)
                if batch.status_keys is not None and batch.status_keys.num_rows:
                    self._apply_status(batch.status_keys)
                self.con.execute(
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
        except StoreError as exc:
            raise StoreError(f"writing a batch of {batch.source_id[:12]} failed: {exc}") from exc
        self._batches_since_merge += 1
        every = int(config.get("merge_every") or MERGE_EVERY)
        if every > 0 and self._batches_since_merge >= every:
            self.merge_files()

    def merge_files(self) -> None:
        """Fold the small files and delete files that batches leave into larger
        ones (under the writers' lock; readers keep reading their snapshot).

        Each batch writes a file per table, and each upsert of accounts adds a
        delete file per data file it touches: left alone, a 1M-post ingest
        made 12,000 files in its first tenth and every batch read them all
        (BENCHMARKS.md, "The team store").  Snapshots are kept: ``marsad store
        compact`` expires them and deletes the files no snapshot needs."""
        self._batches_since_merge = 0
        with self._writers_lock():
            try:
                # accounts: every upsert deletes rows in many files; rewrite a
                # file once a tenth of it is deleted (DuckLake's default waits for 95%)
                self.con.execute(
                    f"CALL ducklake_rewrite_data_files('{_LAKE}', 'accounts', "
                    "delete_threshold => 0.1)"
                )
                self.con.execute(f"CALL ducklake_merge_adjacent_files('{_LAKE}')")
            except duckdb.Error as exc:
                raise StoreError(f"merging the lake's files failed: {exc}") from exc

    def _insert(self, table: str, arrow: pa.Table) -> None:
        """Add the rows of *arrow* whose key is not stored (the first of each key)."""
        self.con.register("_incoming", arrow)
        try:
            self._insert_from(table, "_incoming", arrow.column_names)
        finally:
            self.con.unregister("_incoming")

    def _insert_from(self, table: str, relation: str, columns: Sequence[str]) -> None:
        self.con.execute(self._anti_join_sql(table, relation, columns))

    def _upsert_accounts(self, arrow: pa.Table) -> None:
        # a newer observation replaces the profile; a field it lacks keeps the old value
        sets = ", ".join(f"{c} = coalesce(i.{c}, a.{c})" for c in _ACCOUNT_UPDATE)
        sets += ", source_id = i.source_id, record_no = i.record_no"
        cols = arrow.column_names
        self.con.register("_incoming", arrow)
        try:
            self.con.execute(
                "MERGE INTO accounts a USING _incoming i "
                "ON a.platform = i.platform AND a.native_id = i.native_id "
                "WHEN MATCHED AND (a.observed_at IS NULL OR "
                "(i.observed_at IS NOT NULL AND i.observed_at > a.observed_at)) "
                f"THEN UPDATE SET {sets} "
                f"WHEN NOT MATCHED THEN INSERT ({', '.join(cols)}) "
                f"VALUES ({', '.join('i.' + c for c in cols)})"
            )
        finally:
            self.con.unregister("_incoming")

    def _apply_status(self, tbl: pa.Table) -> None:
        self.con.register("_touched", tbl)
        try:
            self.con.execute(
                "INSERT INTO accounts (platform, native_id, kind, status) "
                "SELECT DISTINCT t.platform, t.native_id, 'user', 'unknown' FROM _touched t "
                "WHERE NOT EXISTS (SELECT 1 FROM accounts a "
                "WHERE a.platform = t.platform AND a.native_id = t.native_id)"
            )
            self.con.execute(
                """
                MERGE INTO accounts a USING (
                    SELECT e.platform, e.account_id, arg_max(e.status, e.observed_at) AS status
                    FROM status_events e
                    JOIN _touched t ON t.platform = e.platform AND t.native_id = e.account_id
                    GROUP BY e.platform, e.account_id
                ) AS latest
                ON a.platform = latest.platform AND a.native_id = latest.account_id
                WHEN MATCHED AND a.status IS DISTINCT FROM latest.status
                THEN UPDATE SET status = latest.status
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
            with self.transaction():
                self.con.execute(
                    "MERGE INTO detections d USING _incoming i ON "
                    "d.detector = i.detector AND d.detector_version = i.detector_version "
                    "AND d.target_kind = i.target_kind AND d.platform = i.platform "
                    "AND d.target_id = i.target_id "
                    "WHEN MATCHED THEN UPDATE SET score = i.score, evidence = i.evidence, "
                    "created_at = i.created_at "
                    "WHEN NOT MATCHED THEN INSERT (detector, detector_version, target_kind, "
                    "platform, target_id, score, evidence, created_at) VALUES (i.detector, "
                    "i.detector_version, i.target_kind, i.platform, i.target_id, i.score, "
                    "i.evidence, i.created_at)"
                )
        finally:
            self.con.unregister("_incoming")
        return int(tbl.num_rows)

    def execute(self, sql: str, rows: Sequence[Sequence[Any]] = ((),)) -> None:
        with self.transaction():
            super().execute(sql, rows)

    def insert_arrow(self, table: str, arrow: pa.Table) -> int:
        if table not in TABLES:
            raise StoreError(f"unknown table {table!r}")
        with self.transaction():
            before = self._count(table)
            self._insert(table, arrow)
            return self._count(table) - before

    def _count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])

    def _import_table(self, table: str, path: Path) -> int:
        """Stream one Parquet file into *table* (DuckDB reads it); present keys are kept."""
        before = self._count(table)
        rel = self.con.read_parquet(parquet_source(path))
        cols = [c for c in self.table_schema(table).names if c in set(rel.columns)]
        rel.create_view("_incoming_parquet", replace=True)
        try:
            self._insert_from(table, "_incoming_parquet", cols)
        finally:
            self.con.execute("DROP VIEW IF EXISTS _incoming_parquet")
        return self._count(table) - before

    # -- upkeep ----------------------------------------------------------------------
    def compact_rollups(self) -> list[str]:
        return []  # the lake keeps no rollups: the census reads the posts

    def compact(self) -> dict[str, Any]:
        """Merge small Parquet files, expire old snapshots and delete the files no
        snapshot needs (``marsad store compact``); returns the file counts."""
        before = self._file_count()
        with self._writers_lock():
            self.con.execute(f"CALL ducklake_merge_adjacent_files('{_LAKE}')")
            self.con.execute(f"CALL ducklake_expire_snapshots('{_LAKE}', older_than => now())")
            self.con.execute(f"CALL ducklake_cleanup_old_files('{_LAKE}', cleanup_all => true)")
        return {"files_before": before, "files_after": self._file_count()}

    def _file_count(self) -> int:
        total = 0
        for table in TABLES:
            total += int(
                self.con.execute(
                    f"SELECT count(*) FROM ducklake_list_files('{_LAKE}', ?)", [table]
                ).fetchall()[0][0]
            )
        return total

    def checkpoint(self) -> None:
        pass  # every commit is durable in the catalog

    def describe(self) -> dict[str, Any]:
        """Where the store is (for ``marsad info``); no password."""
        data_path = self.con.execute(
            f"SELECT value FROM {_LAKE}.options() WHERE option_name = 'data_path'"
        ).fetchall()
        return {
            "kind": "team (DuckLake on PostgreSQL)",
            "url": self.url,
            "data_path": data_path[0][0] if data_path else None,
        }

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.con.close()
        pg = getattr(self, "_pg", None)
        if pg is not None:
            with contextlib.suppress(Exception):
                pg.close()
