"""The analytic store as a server reads it: opened once, a cursor per request.

Opening a store costs more than a page: DuckDB maps the file (about 25 ms for
the demo workspace), the team store attaches the lake over PostgreSQL.  So a
server keeps one open and gives each request its own cursor (a connection to
the same database instance: the threads read in parallel).

The embedded workspace is one DuckDB file, and a process that has it open for
reading keeps every writer out.  A writer waiting for it says so in a marker
beside the file (:data:`marsad.store.duckdb.WRITER_WAITING`); the reader then
stops handing out cursors, closes the file as soon as the requests reading it
are done (a watcher thread checks ten times a second), and requests open the
file again only once the writer has it -- waiting, as before, up to
:data:`STORE_WAIT` seconds for the writer to finish, then answering 503.  When nobody
has asked for a page for :data:`IDLE_CLOSE` seconds the file is closed too, so
tools that do not write the marker (the ``duckdb`` shell) get it between
bursts.  A team store has no such lock; its reader is reopened only after an
error that may have broken its connection.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marsad.errors import MarsadError, StoreError
from marsad.store.base import Store, StoreView

__all__ = ["IDLE_CLOSE", "STORE_WAIT", "SharedReader"]

#: seconds a request waits for an embedded workspace a command is writing
STORE_WAIT = 5.0
#: seconds without a request after which the embedded file is closed
IDLE_CLOSE = 2.0
_WATCH_EVERY = 0.1


@dataclass(eq=False)
class _Open:
    store: Store
    users: int = 0
    retired: bool = False


class SharedReader:
    """One open store of *workspace* that many threads read through."""

    def __init__(self, workspace: str | os.PathLike[str], *, wait: float = STORE_WAIT) -> None:
        from marsad.config import is_server_url

        self.workspace: str | Path = (
            workspace if isinstance(workspace, str) else Path(os.fspath(workspace))
        )
        self.team = is_server_url(str(workspace))
        self.wait = wait
        self.opened = 0  # stores opened so far (tests, the benchmark)
        self._lock = threading.Lock()
        self._current: _Open | None = None
        self._last_use = time.monotonic()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    # -- the one way in ------------------------------------------------------
    @contextmanager
    def view(self) -> Iterator[StoreView]:
        """A cursor on the shared store for one request."""
        held, cursor = self._acquire()
        try:
            yield StoreView(cursor)
        except MarsadError:
            raise  # an answer about the request (not found, ...): the store is fine
        except Exception:
            # a lost connection to PostgreSQL, say: the next request opens afresh
            with self._lock:
                self._retire(held)
            raise
        finally:
            with contextlib.suppress(Exception):
                cursor.close()
            with self._lock:
                held.users -= 1
                self._last_use = time.monotonic()
                if held.retired and held.users == 0:
                    self._close(held)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            if self._current is not None:
                self._retire(self._current)

    # -- inside --------------------------------------------------------------
    def _acquire(self) -> tuple[_Open, Any]:
        deadline = time.monotonic() + self.wait
        # a writer waits for the embedded file: let go of it, and let the writer
        # in before opening it again (or it could wait behind every request)
        while not self.team and self._writer_waiting():
            with self._lock:
                if self._current is not None:
                    self._retire(self._current)
            if time.monotonic() > deadline:
                raise StoreError(
                    f"the workspace {self.workspace} is being written; try again in a moment"
                )
            time.sleep(0.05)
        with self._lock:
            if self._current is not None:
                return self._take(self._current)
        # opened outside the lock: a request waiting for a writer to finish does not
        # hold up the others (they wait, each up to its own deadline, in parallel)
        from marsad import pipeline

        store = pipeline.open_store(
            self.workspace,
            create=False,
            read_only=True,
            lock_wait=max(0.0, deadline - time.monotonic()),
        )
        spare = None
        with self._lock:
            if self._current is None:
                self._current = _Open(store)
                self.opened += 1
                if not self.team and self._watcher is None:
                    self._watcher = threading.Thread(
                        target=self._watch, name="marsad-reader-watch", daemon=True
                    )
                    self._watcher.start()
            else:
                spare = store  # another request opened it meanwhile
            taken = self._take(self._current)
        if spare is not None:
            spare.close()
        return taken

    def _take(self, held: _Open) -> tuple[_Open, Any]:
        cursor = held.store.analytics().cursor()
        held.users += 1
        self._last_use = time.monotonic()
        return held, cursor

    def _writer_waiting(self) -> bool:
        from marsad.store.duckdb import writer_waiting

        return writer_waiting(Path(os.fspath(self.workspace)))

    def _retire(self, held: _Open) -> None:
        """Hand out no more cursors of *held*; close it once nobody reads it (lock held)."""
        if self._current is held:
            self._current = None
        held.retired = True
        if held.users == 0:
            self._close(held)

    @staticmethod
    def _close(held: _Open) -> None:
        with contextlib.suppress(Exception):
            held.store.close()

    def _watch(self) -> None:
        """Let go of the embedded file for a waiting writer, or after a quiet spell."""
        while not self._stop.wait(_WATCH_EVERY):
            with self._lock:
                held = self._current
                if held is None or held.users:
                    continue
                if time.monotonic() - self._last_use > IDLE_CLOSE or self._writer_waiting():
                    self._retire(held)
