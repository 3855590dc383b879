"""The ingest guarantees, end to end through the real ``marsad`` command.

* re-ingesting a file changes nothing;
* a run killed with SIGKILL and re-run gives exactly the database a clean run gives;
* a malformed record is quarantined with file, line and reason while the rest lands;
* an unreadable file fails with a clear message and exit code 2.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from marsad.store import rollup
from marsad.store.duckdb import DuckDBStore
from marsad.store.schema import TABLES

#: columns that record *when* marsad did something, not *what* it stored
VOLATILE = {"sources": {"started_at", "completed_at", "path"}}


def dump(workspace: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in key order, without the wall-clock columns."""
    with DuckDBStore(workspace, create=False) as store:
        out = {}
        for table in TABLES:
            rows = []
            for row in store.iter_table(table):
                rows.append(tuple(v for k, v in row.items() if k not in VOLATILE.get(table, set())))
            out[table] = rows
        # the rollups, as sums per key (where partial sums were compacted differs)
        for table in rollup.TABLES:
            columns = [r[0] for r in store.query(f"DESCRIBE {table}")]
            sums = ", ".join(
                {"first_at": "min(first_at)", "last_at": "max(last_at)"}.get(c, f"sum({c})")
                for c in columns
                if c in ("posts", "dated", "first_at", "last_at")
            )
            keys = ", ".join(
                c for c in columns if c not in ("posts", "dated", "first_at", "last_at")
            )
            out[table] = store.query(
                f"SELECT {keys}, {sums} FROM {table} GROUP BY ALL ORDER BY ALL"  # noqa: S608
            )
        assert sum(r[2] for r in out["rollup_accounts"]) == len(out["posts"])
        return out


def synthetic_jsonl(path: Path, posts: int, bad_every: int = 0) -> None:
    """Neutral synthetic records: accounts, posts with hashtags, mention edges."""
    with open(path, "wb") as fh:
        for i in range(posts):
            acc = str(i % 997)
            if i < 997:
                fh.write(
                    orjson.dumps(
                        {
                            "type": "account",
                            "platform": "x",
                            "native_id": acc,
                            "handle": f"user{acc}",
                        }
                    )
                    + b"\n"
                )
            if bad_every and i % bad_every == bad_every - 1:
                fh.write(b'{"type": "post", "platform": "x", "native_id": \n')
                continue
            fh.write(
                orjson.dumps(
                    {
                        "type": "post",
                        "platform": "x",
                        "native_id": str(10_000_000 + i),
                        "account_id": acc,
                        "created_at": f"2024-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
                        "text": f"daily update number {i} from the weather desk #update{i % 50}",
                        "hashtags": [f"update{i % 50}"],
                    }
                )
                + b"\n"
            )
            if i % 3 == 0:
                fh.write(
                    orjson.dumps(
                        {
                            "type": "edge",
                            "platform": "x",
                            "src_id": acc,
                            "dst_id": str((i * 7) % 997),
                            "kind": "mentions",
                            "post_id": str(10_000_000 + i),
                        }
                    )
                    + b"\n"
                )


def marsad(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marsad.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def test_reingest_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "records.jsonl"
    synthetic_jsonl(data, 3000, bad_every=500)
    ws = tmp_path / "ws"
    first = marsad("ingest", str(data), "-w", str(ws), "--json")
    assert first.returncode == 0, first.stderr
    before = dump(ws)
    second = marsad("ingest", str(data), "-w", str(ws), "--json")
    assert second.returncode == 0, second.stderr
    assert orjson.loads(second.stdout)[0]["already_complete"] is True
    assert dump(ws) == before
    # the same bytes under another name are the same source
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(data.read_bytes())
    assert marsad("ingest", str(copy), "-w", str(ws)).returncode == 0
    assert dump(ws) == before


def test_malformed_records_are_quarantined_with_line(tmp_path: Path) -> None:
    data = tmp_path / "records.jsonl"
    synthetic_jsonl(data, 1000, bad_every=250)
    lines = data.read_bytes().split(b"\n")
    bad_lines = [i + 1 for i, line in enumerate(lines) if line.endswith(b'"native_id": ')]
    assert len(bad_lines) == 4
    ws = tmp_path / "ws"
    result = marsad("ingest", str(data), "-w", str(ws), "--json")
    assert result.returncode == 0, result.stderr
    summary = orjson.loads(result.stdout)[0]
    assert summary["quarantined"] == 4
    assert [p["line"] for p in summary["problems"]] == bad_lines
    with DuckDBStore(ws, create=False) as store:
        rows = store.query("SELECT line_no, path, reason, raw FROM quarantine ORDER BY line_no")
        assert [r[0] for r in rows] == bad_lines
        assert all(r[1] == str(data) and "invalid JSON" in r[2] for r in rows)
        assert all(bytes(r[3]).endswith(b'"native_id": ') for r in rows)
        # the good records all landed
        assert store.query("SELECT count(*) FROM posts")[0][0] == 1000 - 4


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),  # missing file
        (b"\x00\x01\x02 binary junk", "not a format marsad recognises"),  # unknown format
    ],
)
def test_unreadable_file_exit_code_2(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "input.bin"
    if content is not None:
        path.write_bytes(content)
    result = marsad("ingest", str(path), "-w", str(tmp_path / "ws"))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "env",
    [
        {"MARSAD_BATCH_SIZE": "2000", "MARSAD_WORKERS": "1"},  # one process
        {"MARSAD_WORKERS": "2", "MARSAD_PARALLEL_MIN_BYTES": "0"},  # worker processes
    ],
    ids=["sequential", "workers"],
)
def test_kill_minus_9_then_rerun_equals_clean_run(tmp_path: Path, env: dict[str, str]) -> None:
    data = tmp_path / "records.jsonl"
    synthetic_jsonl(data, 120_000, bad_every=10_000)

    clean = tmp_path / "clean"  # always a plain one-process run: workers must not change results
    done = marsad("ingest", str(data), "-w", str(clean), env={"MARSAD_WORKERS": "1"})
    assert done.returncode == 0, done.stderr

    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "marsad.cli", "ingest", str(data), "-w", str(killed)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # wait until some batches are committed (the WAL or the file grows), then kill -9
    deadline = time.monotonic() + 60
    db = killed / "marsad.duckdb"
    while time.monotonic() < deadline and proc.poll() is None:
        wal = db.with_name(db.name + ".wal")
        size = (db.stat().st_size if db.exists() else 0) + (
            wal.stat().st_size if wal.exists() else 0
        )
        if size > 2_000_000:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed; make the file bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    with DuckDBStore(killed, create=False) as store:
        state = store.query("SELECT next_record_no, completed_at FROM sources")
    assert state and state[0][1] is None  # the killed run was really incomplete
    resumed = marsad("ingest", str(data), "-w", str(killed), "--json", env=env)
    assert resumed.returncode == 0, resumed.stderr
    summary = orjson.loads(resumed.stdout)[0]
    assert summary["resumed_from"] == state[0][0]
    assert dump(killed) == dump(clean)


def test_directory_ingest_skips_empty_and_unknown_files(tmp_path: Path) -> None:
    """A walked directory: empty and unrecognised files are reported, the rest lands."""
    folder = tmp_path / "exports"
    folder.mkdir()
    synthetic_jsonl(folder / "a.jsonl", 50)
    (folder / "empty.json").write_bytes(b"")
    (folder / "notes.csv").write_bytes(b"just,some\nunrelated,table\n")
    result = marsad("ingest", str(folder), "-w", str(tmp_path / "ws"), "--json")
    assert result.returncode == 0, result.stderr
    by_name = {Path(s["path"]).name: s for s in orjson.loads(result.stdout)}
    assert by_name["a.jsonl"]["added"]["posts"] == 50
    assert by_name["empty.json"]["skipped"] == "empty file: nothing to ingest"
    assert "not a format marsad recognises" in by_name["notes.csv"]["skipped"]
    # named explicitly, an unrecognised file is still an error (exit 2)
    assert marsad("ingest", str(folder / "notes.csv"), "-w", str(tmp_path / "ws")).returncode == 2
