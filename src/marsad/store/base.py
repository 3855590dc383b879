"""The store interface: what every backend (DuckDB embedded, PostgreSQL server) offers.

Third stage of the flow.  The store persists records in batches, each batch
*atomically together with its checkpoint*: after a crash a source either has a
batch and the checkpoint past it, or neither.  Writes are idempotent: every
table has a primary key and a record already present is left as it is
(accounts are the exception: a newer observation of an account replaces the
older one, so the account row shows the latest profile while ``snapshots``
keeps the history).  Re-running an ingest therefore changes nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from marsad.model import Detection, Record

if TYPE_CHECKING:
    from marsad.store.arrow import ArrowBatch

__all__ = ["Batch", "QuarantineRow", "RawRow", "SourceInfo", "SourceState", "Store", "StoreView"]


@dataclass(frozen=True, slots=True)
class SourceInfo:
    source_id: str
    path: str
    size_bytes: int
    adapter: str
    adapter_version: str


@dataclass(frozen=True, slots=True)
class SourceState:
    """Where a source stands: the next record to read, and whether it is complete."""

    next_record_no: int
    is_complete: bool
    records: int = 0
    quarantined: int = 0


@dataclass(frozen=True, slots=True)
class RawRow:
    record_no: int
    line_no: int
    raw: bytes


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    record_no: int
    line_no: int
    path: str
    reason: str
    raw: bytes


@dataclass(slots=True)
class Batch:
    """Everything one ingest transaction writes for a source."""

    source_id: str
    records: list[Record]
    raws: list[RawRow]
    quarantined: list[QuarantineRow]
    next_record_no: int
    is_last: bool


class Store(ABC):
    """A workspace store.  Use as a context manager; ``close`` releases it."""

    #: rows an ingest gathers into one write at least (several workers' batches
    #: combined); 0 writes each batch as it comes
    rows_per_write: int = 0

    @abstractmethod
    def begin_source(self, info: SourceInfo, started_at: datetime) -> SourceState:
        """Register *info* (if new) and return its checkpoint."""

    @abstractmethod
    def write_batch(self, batch: Batch, completed_at: datetime | None) -> None:
        """Write *batch* and advance the source's checkpoint, in one transaction."""

    @abstractmethod
    def write_arrow_batch(self, batch: ArrowBatch, completed_at: datetime | None) -> None:
        """:meth:`write_batch` for a batch already converted by
        :func:`marsad.store.arrow.to_arrow_batch` (in a worker process)."""

    @abstractmethod
    def write_detections(self, detections: Sequence[Detection]) -> int:
        """Upsert detections (a detector re-scoring a target replaces its score)."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only parameterised query; for ``info``, census and tests."""

    @abstractmethod
    def execute(self, sql: str, rows: Sequence[Sequence[Any]] = ((),)) -> None:
        """Run a parameterised write once per row of parameters in *rows*
        (inside :meth:`transaction` when the caller needs them together)."""

    @abstractmethod
    def analytics(self) -> Any:
        """A DuckDB connection that sees this store's tables, for read-only analytics
        (the census).  The DuckDB store returns its own; a server store returns one
        that attaches the server database."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Row count of every table."""

    @abstractmethod
    def schema_version(self) -> int: ...

    @abstractmethod
    def export_parquet(self, directory: Path) -> dict[str, int]:
        """Write every table to ``directory/<table>.parquet``; returns row counts."""

    @abstractmethod
    def import_parquet(self, directory: Path) -> dict[str, int]:
        """Merge an :meth:`export_parquet` directory in; returns rows added per table."""

    @abstractmethod
    def iter_table(self, table: str, batch_rows: int = 10000) -> Iterator[dict[str, Any]]:
        """Every row of *table* in primary-key order, as dicts."""

    @abstractmethod
    def table_schema(self, table: str) -> pa.Schema:
        """The Arrow schema of *table*."""

    @abstractmethod
    def insert_arrow(self, table: str, arrow: pa.Table) -> int:
        """Merge rows into *table* (rows whose key is present are kept); returns rows added."""

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
        """Add *rows* (values of *columns*) to *table*, keeping rows whose key is
        already stored (both stores' rule: no SQL ``ON CONFLICT`` outside the
        store); returns rows added."""
        if not rows:
            return 0
        schema = self.table_schema(table)
        arrays = [
            pa.array([r[i] for r in rows], schema.field(c).type) for i, c in enumerate(columns)
        ]
        return self.insert_arrow(table, pa.table(arrays, names=list(columns)))

    def replace_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Store *rows* in *table*, each replacing the row with its key, in one transaction."""
        from marsad.store.schema import KEYS

        keys = KEYS[table]
        where = " AND ".join(f"{k} = ?" for k in keys)
        at = [list(columns).index(k) for k in keys]
        with self.transaction():
            self.execute(
                f"DELETE FROM {table} WHERE {where}",  # noqa: S608 - names from the schema
                [[r[i] for i in at] for r in rows],
            )
            self.insert_rows(table, columns, rows)

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """A context in which every write commits together or not at all."""

    def compact_rollups(self) -> list[str]:
        """Regroup the summaries the store keeps for analytics, so that they
        can be read (the DuckDB store's census rollups); returns what was
        regrouped.  A store that keeps none has nothing to do."""
        return []

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class StoreView:
    """Read access to a store through one DuckDB cursor: one thread's share of a
    store a server keeps open (:mod:`marsad.review.reader`).  It answers what
    read-only stages ask a :class:`Store` for (:meth:`analytics`, :meth:`query`)."""

    def __init__(self, con: Any) -> None:
        self.con = con

    def analytics(self) -> Any:
        return self.con

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        import duckdb

        from marsad.errors import StoreError

        try:
            rows: list[tuple[Any, ...]] = self.con.execute(sql, list(params)).fetchall()
        except duckdb.Error as exc:
            raise StoreError(f"query failed: {exc}") from exc
        return rows
