"""The audit log is append-only and hash-chained: tampering is found and named."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from marsad.review import audit
from marsad.review.db import REVIEW_FILE, ReviewDB


def _log(db: ReviewDB, n: int) -> None:
    for i in range(n):
        with db.write() as w:
            audit.append(w, f"user{i % 3}", "decision", f"item:{i}", {"decision": "confirm"})


def _verify_cli(ws: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marsad.cli", "audit", "verify", "--workspace", ws],
        capture_output=True,
        text=True,
        check=False,
    )


def _raw(ws: str, sql: str, params: tuple[object, ...] = ()) -> None:
    """Change the log behind marsad's back, as someone with database access could."""
    if ws.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(ws, autocommit=True) as con:
            con.execute("SET search_path = marsad_review")
            con.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_no_change")
            con.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
            con.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_no_change")
    else:
        con = sqlite3.connect(Path(ws) / REVIEW_FILE)
        con.execute("DROP TRIGGER audit_no_update")
        con.execute("DROP TRIGGER audit_no_delete")
        con.execute(sql, params)
        con.commit()
        con.close()


def test_an_intact_chain_verifies(review_ws: str) -> None:
    db = ReviewDB(review_ws)
    _log(db, 12)
    n, head, problem = audit.verify(db)
    assert (n, problem) == (12, None)
    assert audit.verify(db, expected_head=head)[2] is None
    db.close()
    result = _verify_cli(review_ws)
    assert result.returncode == 0, result.stderr
    assert "12 entries intact" in result.stdout


def test_the_database_refuses_edits(review_ws: str) -> None:
    db = ReviewDB(review_ws)
    _log(db, 2)
    with pytest.raises(Exception, match="append-only"), db.write() as w:
        w.run("UPDATE audit_log SET actor = 'someone' WHERE seq = 1")
    with pytest.raises(Exception, match="append-only"), db.write() as w:
        w.run("DELETE FROM audit_log WHERE seq = 2")
    assert audit.verify(db)[2] is None
    db.close()


@pytest.mark.parametrize(
    ("change", "params", "seq", "words"),
    [
        ("UPDATE audit_log SET actor = 'someone-else' WHERE seq = ?", (5,), 5, "edited"),
        (
            "UPDATE audit_log SET details = ? WHERE seq = 7",
            ('{"decision": "reject"}',),
            7,
            "edited",
        ),
        ("DELETE FROM audit_log WHERE seq = ?", (4,), 4, "deleted"),
    ],
)
def test_tampering_is_found_and_named(
    review_ws: str, change: str, params: tuple[object, ...], seq: int, words: str
) -> None:
    db = ReviewDB(review_ws)
    _log(db, 10)
    db.close()
    _raw(review_ws, change, params)
    db = ReviewDB(review_ws)
    _, _, problem = audit.verify(db)
    db.close()
    assert problem is not None and problem.seq == seq and words in problem.problem
    result = _verify_cli(review_ws)
    assert result.returncode == 1
    assert f"audit entry {seq}" in result.stderr


def test_a_rehashed_edit_breaks_the_next_link(review_ws: str) -> None:
    """Editing an entry and fixing its own hash still breaks the chain after it."""
    db = ReviewDB(review_ws)
    _log(db, 6)
    entry = db.one("SELECT * FROM audit_log WHERE seq = 3")
    assert entry is not None
    entry["actor"] = "forger"
    entry["seq"] = int(entry["seq"])
    db.close()
    _raw(
        review_ws,
        "UPDATE audit_log SET actor = ?, hash = ? WHERE seq = 3",
        ("forger", audit.entry_hash(entry)),
    )
    db = ReviewDB(review_ws)
    _, _, problem = audit.verify(db)
    db.close()
    assert problem is not None and problem.seq == 4


def test_truncation_is_found_with_the_last_head(review_ws: str) -> None:
    db = ReviewDB(review_ws)
    _log(db, 6)
    _, head, _ = audit.verify(db)
    db.close()
    _raw(review_ws, "DELETE FROM audit_log WHERE seq = ?", (6,))
    db = ReviewDB(review_ws)
    assert audit.verify(db)[2] is None  # a shorter chain is consistent on its own
    problem = audit.verify(db, expected_head=head)[2]
    db.close()
    assert problem is not None and "truncated" in problem.problem


def test_export_is_complete_and_logged(review_ws: str, tmp_path: Path) -> None:
    db = ReviewDB(review_ws)
    _log(db, 3)
    db.close()
    out = tmp_path / "audit.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "marsad.cli",
            "audit",
            "export",
            "--out",
            str(out),
            "--workspace",
            review_ws,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [e["seq"] for e in lines] == [1, 2, 3]
    assert all(audit.entry_hash(e) == e["hash"] for e in lines)
    db = ReviewDB(review_ws)
    last = db.one("SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1")
    db.close()
    assert last == {"action": "audit.export"}
