"""The queue under load, through the HTTP API of a real server process:

20 concurrent reviewers decide 10,000 items; the server is killed with -9
in the middle of the run and started again.  Every item must be decided
exactly once, every decision a client was told of must be in the database
(by that client's reviewer), and no item may stay claimed or waiting.
Runs on both stores.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from marsad.review.db import ReviewDB
from marsad.review.queue import Queue
from marsad.review.users import CONSOLE, Users
from tests.review.conftest import Server, candidates

ITEMS = 10_000
REVIEWERS = 20
KILL_AFTER = 3_000


@pytest.fixture
def loaded(review_ws: str, tmp_path: Path) -> Iterator[tuple[str, Server, list[tuple[str, str]]]]:
    if not review_ws.startswith("postgresql://"):
        subprocess.run(
            [sys.executable, "-m", "marsad.cli", "init", "--workspace", review_ws],
            check=True,
            capture_output=True,
        )
    db = ReviewDB(review_ws)
    Queue(db).sync(CONSOLE, candidates(ITEMS))
    users = Users(db)
    tokens = []
    for k in range(REVIEWERS):
        name = f"reviewer{k:02d}"
        users.add(CONSOLE, name, "reviewer", "a password long enough")
        tokens.append((name, users.new_token(CONSOLE, name, "load test")))
    db.close()
    server = Server(review_ws, tmp_path / "server.log")
    server.start()
    yield review_ws, server, tokens
    server.stop()


def test_twenty_reviewers_and_a_killed_server(
    loaded: tuple[str, Server, list[tuple[str, str]]],
) -> None:
    workspace, server, tokens = loaded
    acknowledged: dict[int, str] = {}  # item -> reviewer, for every 200 a client got
    lock = threading.Lock()
    errors: list[str] = []
    killed = threading.Event()

    def call(client: httpx.Client, method: str, path: str, **kw: object) -> httpx.Response:
        """A request, retried while the server is down (connection refused or cut)."""
        for _ in range(600):
            try:
                return client.request(method, server.url + path, timeout=30, **kw)  # type: ignore[arg-type]
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"{method} {path}: the server never came back")

    def reviewer(name: str, token: str) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
            while True:
                r = call(client, "POST", "/api/v1/queue/claim", json={"n": 5})
                if r.status_code != 200:
                    errors.append(f"{name} claim: {r.status_code} {r.text[:200]}")
                    return
                items = r.json()["items"]
                if not items:
                    return
                for item in items:
                    body = {"decision": "reject", "reason": "other", "round": item["round"]}
                    d = call(client, "POST", f"/api/v1/items/{item['id']}/decision", json=body)
                    if d.status_code != 200:
                        errors.append(f"{name} decide {item['id']}: {d.status_code} {d.text[:200]}")
                        continue
                    with lock:
                        if item["id"] in acknowledged and acknowledged[item["id"]] != name:
                            errors.append(f"item {item['id']} acknowledged to two reviewers")
                        acknowledged[item["id"]] = name

    def killer() -> None:
        while len(acknowledged) < KILL_AFTER:
            time.sleep(0.05)
        server.kill()
        killed.set()
        time.sleep(0.5)
        server.start()

    threads = [threading.Thread(target=reviewer, args=t) for t in tokens]
    chaos = threading.Thread(target=killer)
    started = time.monotonic()
    for t in [*threads, chaos]:
        t.start()
    for t in [*threads, chaos]:
        t.join(600)
    elapsed = time.monotonic() - started
    assert killed.is_set(), "the server was never killed"
    assert not errors, errors[:10]

    db = ReviewDB(workspace)
    decided = {
        int(r["item_id"]): r["reviewer"] for r in db.rows("SELECT item_id, reviewer FROM decisions")
    }
    n_decisions = int(db.value("SELECT count(*) FROM decisions"))
    waiting = int(db.value("SELECT count(*) FROM queue_items WHERE status <> 'rejected'"))
    claimed = int(db.value("SELECT count(*) FROM queue_items WHERE claimed_by IS NOT NULL"))
    audit_decisions = int(db.value("SELECT count(*) FROM audit_log WHERE action = 'decision'"))
    from marsad.review import audit

    _, _, problem = audit.verify(db)
    db.close()
    assert n_decisions == ITEMS and len(decided) == ITEMS  # every item exactly once
    assert (waiting, claimed) == (0, 0)  # none stuck
    assert audit_decisions == ITEMS and problem is None
    # no acknowledged decision lost, and each one by the reviewer who was told
    assert len(acknowledged) == ITEMS
    assert all(decided[i] == name for i, name in acknowledged.items())
    print(f"{ITEMS} decisions by {REVIEWERS} reviewers in {elapsed:.1f} s, one kill -9")
