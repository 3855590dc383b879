"""The review database: where users, the queue, decisions and the audit log live.

Review state is many small transactions from many people at once -- the
opposite of the analytic store's large batches -- so it lives in a database
made for that, beside the analytic store:

* a team store (``--workspace postgresql://...``): the tables of schema
  ``marsad_review`` in the same PostgreSQL database as the DuckLake catalog;
* an embedded workspace: ``review.sqlite`` in the workspace directory
  (SQLite in WAL mode: the web server and the CLI both write it while the
  DuckDB file stays free for ``marsad scan``).

Every write transaction is serialised (PostgreSQL: a transaction-scoped
advisory lock; SQLite: ``BEGIN IMMEDIATE``), so a claim, a decision and its
audit entry see one order in both dialects, and the audit chain has no fork.
Each is short (milliseconds), so serialising costs little next to a reviewer.

SQL here is constant text with ``?`` parameters (turned into ``%s`` for
psycopg); no value is ever formatted into it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marsad.config import is_server_url, shown_workspace
from marsad.errors import DependencyError, MigrationError, ReviewError, WorkspaceError
from marsad.review.migrations import DIALECT_TYPES, MIGRATIONS, REVIEW_SCHEMA_VERSION

__all__ = ["REVIEW_FILE", "SCHEMA", "ReviewDB", "now_iso"]

REVIEW_FILE = "review.sqlite"
#: the PostgreSQL schema of the review tables
SCHEMA = "marsad_review"
_LOCK_KEY = zlib.crc32(b"marsad-review-writers") - (1 << 31)


def _params(params: Sequence[Any]) -> tuple[Any, ...]:
    """*params* as bound, refusing numbers no BIGINT holds (a clear error, not a 500)."""
    for p in params:
        if isinstance(p, int) and not isinstance(p, bool) and not -(2**63) <= p < 2**63:
            raise ReviewError(f"number out of range: {p}")
    return tuple(params)


def now_iso(at: datetime | None = None) -> str:
    """*at* (default now) as the review tables store times: ISO UTC with microseconds."""
    at = (at or datetime.now(UTC)).astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ReviewDB:
    """The review database of a workspace; one connection per thread."""

    def __init__(self, workspace: str | os.PathLike[str], *, migrate: bool = True) -> None:
        text = os.fspath(workspace)
        self.workspace = text
        self.dialect = "postgresql" if is_server_url(text) else "sqlite"
        self._local = threading.local()
        self._all: list[Any] = []
        self._all_lock = threading.Lock()
        if self.dialect == "sqlite":
            directory = Path(text)
            if not directory.is_dir():
                raise WorkspaceError(f"no workspace at {directory}; run `marsad init`")
            self.path: Path | None = directory / REVIEW_FILE
        else:
            self.path = None
            try:
                import psycopg  # noqa: F401
            except ImportError as exc:  # pragma: no cover - the team extra is missing
                raise DependencyError(
                    "a team store needs the team extra: pip install 'marsad[team]'"
                ) from exc
        if migrate:
            self.migrate()

    def __repr__(self) -> str:
        return f"ReviewDB({shown_workspace(self.workspace)!r})"

    # -- connections -------------------------------------------------------
    def _connect(self) -> Any:
        if self.dialect == "sqlite":
            assert self.path is not None
            con = sqlite3.connect(self.path, isolation_level=None, timeout=60)
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("PRAGMA busy_timeout=60000")
            return con
        import psycopg
        from psycopg.rows import dict_row

        from marsad.store.lake import _ensure_database, pg_conninfo

        info: dict[str, Any] = dict(pg_conninfo(self.workspace))
        if not getattr(self, "_database_made", False):
            _ensure_database(info)
            self._database_made = True
        try:
            return psycopg.connect(
                **info,
                autocommit=True,
                row_factory=dict_row,
                options=f"-c search_path={SCHEMA}",
                connect_timeout=10,
            )
        except psycopg.Error as exc:
            raise WorkspaceError(
                f"cannot connect to {shown_workspace(self.workspace)}: {exc}"
            ) from exc

    @property
    def con(self) -> Any:
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._connect()
            self._local.con = con
            with self._all_lock:
                self._all.append(con)
        return con

    def close(self) -> None:
        with self._all_lock:
            for con in self._all:
                with contextlib.suppress(Exception):  # closing what may be broken
                    con.close()
            self._all.clear()
        self._local = threading.local()

    def __enter__(self) -> ReviewDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- statements --------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of a read, as dicts."""
        cur = self.con.execute(self._sql(sql), _params(params))
        return [dict(r) for r in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else next(iter(row.values()))

    @contextmanager
    def write(self) -> Iterator[Writer]:
        """A serialised write transaction: all its statements commit together."""
        con = self.con
        if getattr(self._local, "writing", False):
            yield Writer(self, con)
            return
        self._local.writing = True
        try:
            if self.dialect == "sqlite":
                con.execute("BEGIN IMMEDIATE")
                try:
                    yield Writer(self, con)
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            else:
                with con.transaction():
                    con.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
                    yield Writer(self, con)
        finally:
            self._local.writing = False

    # -- schema ------------------------------------------------------------
    def version(self) -> int:
        if self.dialect == "sqlite":
            exists = self.value(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                ["review_migrations"],
            )
        else:
            exists = self.value(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = ? AND table_name = ?",
                [SCHEMA, "review_migrations"],
            )
        if not exists:
            return 0
        return int(self.value("SELECT coalesce(max(version), 0) FROM review_migrations") or 0)

    def migrate(self, upto: int | None = None) -> list[int]:
        """Run the migrations this database has not had (up to *upto*); returns them."""
        target = REVIEW_SCHEMA_VERSION if upto is None else upto
        if self.dialect == "postgresql":
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        applied: list[int] = []
        with self.write() as w:
            w.run(
                "CREATE TABLE IF NOT EXISTS review_migrations ("
                "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            current = self.version()
            if current > REVIEW_SCHEMA_VERSION:
                raise MigrationError(
                    f"the review database of {shown_workspace(self.workspace)} has version "
                    f"{current}, newer than this marsad ({REVIEW_SCHEMA_VERSION}): upgrade marsad"
                )
            types = DIALECT_TYPES[self.dialect]
            for m in MIGRATIONS:
                if m.version <= current or m.version > target:
                    continue
                for statement in m.statements:
                    sql = statement[self.dialect] if isinstance(statement, dict) else statement
                    if isinstance(statement, str):
                        sql = sql.format(**types)
                    w.run(sql)
                w.run(
                    "INSERT INTO review_migrations VALUES (?, ?, ?)",
                    [m.version, m.description, now_iso()],
                )
                applied.append(m.version)
        return applied

    def columns(self) -> dict[str, list[str]]:
        """Every review table's columns, in order (for the migration tests)."""
        if self.dialect == "sqlite":
            names = [
                r["name"]
                for r in self.rows(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            return {
                n: [c["name"] for c in self.rows("SELECT name FROM pragma_table_info(?)", [n])]
                for n in names
            }
        out: dict[str, list[str]] = {}
        for r in self.rows(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = ? ORDER BY table_name, ordinal_position",
            [SCHEMA],
        ):
            out.setdefault(r["table_name"], []).append(r["column_name"])
        return out


class Writer:
    """The statements of one :meth:`ReviewDB.write` transaction."""

    def __init__(self, db: ReviewDB, con: Any) -> None:
        self.db = db
        self.con = con

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute; returns the rows it changed."""
        cur = self.con.execute(self.db._sql(sql), _params(params))
        return int(cur.rowcount or 0)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.con.execute(self.db._sql(sql), _params(params))
        return [dict(r) for r in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def insert_id(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an ``INSERT`` and return the new row's ``id``."""
        row = self.one(sql + " RETURNING id", params)
        assert row is not None
        return int(row["id"])
