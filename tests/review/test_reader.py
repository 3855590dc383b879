"""The analytic store as the server reads it (marsad.review.reader): opened
once, a cursor per request, and let go of for a command that waits to write
the embedded workspace -- while requests keep coming."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from marsad.review.reader import SharedReader
from marsad.store.duckdb import WRITER_WAITING, DuckDBStore, writer_waiting

_WRITE = """
import sys, time
from marsad.store.duckdb import DuckDBStore
started = time.monotonic()
with DuckDBStore(sys.argv[1], lock_wait=30) as s:
    waited = time.monotonic() - started
    s.execute("CREATE TABLE IF NOT EXISTS _writer_was_here (n INTEGER)")
    s.execute("INSERT INTO _writer_was_here VALUES (?)", [[1]])
    time.sleep(0.5)  # holds the file a while: requests wait for it, none fails
print(round(waited, 3))
"""


def _requests(reader: SharedReader, stop: threading.Event, errors: list[str]) -> list[int]:
    counts: list[int] = []

    def loop() -> None:
        while not stop.is_set():
            try:
                with reader.view() as v:
                    counts.append(int(v.query("SELECT count(*) FROM posts")[0][0]))
            except Exception as exc:  # any failure is the test's failure
                errors.append(repr(exc))
            time.sleep(0.01)

    threads = [threading.Thread(target=loop) for _ in range(4)]
    for t in threads:
        t.start()
    stop.wait()
    for t in threads:
        t.join()
    return counts


def test_the_file_is_opened_once_and_read_in_parallel(analysed_ws: Path) -> None:
    reader = SharedReader(analysed_ws)
    try:
        with reader.view() as a, reader.view() as b:  # two requests at once
            assert a.query("SELECT count(*) FROM posts") == b.query("SELECT count(*) FROM posts")
            assert a.analytics() is not b.analytics()  # a cursor each
        for _ in range(20):
            with reader.view() as v:
                v.query("SELECT 1")
        assert reader.opened == 1
    finally:
        reader.close()


def test_a_waiting_writer_gets_the_file_while_requests_keep_coming(analysed_ws: Path) -> None:
    reader = SharedReader(analysed_ws)
    stop, errors = threading.Event(), []
    result: list[list[int]] = []
    t = threading.Thread(target=lambda: result.append(_requests(reader, stop, errors)))
    t.start()
    try:
        time.sleep(0.3)  # requests are flowing: the reader holds the file
        assert reader.opened == 1
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
        out = subprocess.run(
            [sys.executable, "-c", _WRITE, str(analysed_ws)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert float(out.stdout) < 3.0  # without the marker it would wait all 30 s
        time.sleep(0.3)  # and the requests read again afterwards
    finally:
        stop.set()
        t.join()
        reader.close()
    assert not errors
    assert result[0] and len(set(result[0])) == 1  # every request read, and the same
    assert reader.opened >= 2  # let go of for the writer, opened again after it
    assert not (analysed_ws / WRITER_WAITING).exists()
    with DuckDBStore(analysed_ws, read_only=True) as s:
        assert s.query("SELECT count(*) FROM _writer_was_here")[0][0] == 1


def test_a_dead_writers_marker_is_ignored(analysed_ws: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    (analysed_ws / WRITER_WAITING).write_text(dead.stdout.strip())
    assert not writer_waiting(analysed_ws)
    reader = SharedReader(analysed_ws, wait=1.0)
    try:
        with reader.view() as v:
            assert v.query("SELECT 1") == [(1,)]
    finally:
        reader.close()
    (analysed_ws / WRITER_WAITING).write_text(str(os.getpid()))  # a live one: we wait
    reader = SharedReader(analysed_ws, wait=0.3)
    try:
        from marsad.errors import StoreError

        with pytest.raises(StoreError, match="being written"), reader.view():
            pass
    finally:
        reader.close()
