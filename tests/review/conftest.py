"""Fixtures of the review tests: a review database on each store.

``review_ws`` is a workspace of each kind -- an embedded workspace directory
(SQLite beside the DuckDB file) and a team store URL (a throwaway PostgreSQL
database, from :mod:`tests.store.conftest`) -- so every test runs on both.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from marsad.review.queue import Candidate
from tests.store.conftest import server_db  # noqa: F401 - a fixture, used by name


@pytest.fixture(params=["embedded", "team"])
def review_ws(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "embedded":
        ws = tmp_path / "ws"
        ws.mkdir()
        yield str(ws)
    else:
        yield request.getfixturevalue("server_db")


def candidates(n: int, kind: str = "post", account_every: int = 10) -> list[Candidate]:
    """*n* synthetic queue items (the queue needs no analytic store for them)."""
    return [
        Candidate(
            kind=kind,
            platform="x",
            target_id=f"{kind}-{i}",
            detector="risk" if kind == "post" else "account-score",
            detector_version="1",
            score=0.5 + (i % 50) / 100,
            lang=("ar", "en", "fr")[i % 3],
            outlet="amaq" if i % 7 == 0 else None,
            account_id=f"acc-{i // account_every}" if kind == "post" else f"{kind}-{i}",
            reach=(i * 37) % 5000,
            seen_at=f"2015-0{1 + i % 9}-1{i % 10}T00:00:00.000000Z",
        )
        for i in range(n)
    ]


def _cli(*args: str) -> None:
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "marsad.cli", *args], check=True, capture_output=True)


@pytest.fixture(scope="session")
def analysed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated platform, ingested, scanned, scored and linked (made once)."""
    root = tmp_path_factory.mktemp("analysed")
    sim, ws = root / "sim", root / "ws"
    _cli(
        "simulate",
        str(sim),
        "--profile",
        "small",
        "--accounts",
        "300",
        "--posts",
        "3000",
        "--formats",
        "x-v2",
        "--seed",
        "3",
    )
    _cli("ingest", str(sim), "--workspace", str(ws))
    for stage in ("scan", "accounts", "lineage"):
        _cli(stage, "--workspace", str(ws))
    return ws


@pytest.fixture
def analysed_ws(analysed_template: Path, tmp_path: Path) -> Path:
    """A copy of :func:`analysed_template` of the test's own (no review state yet)."""
    import shutil

    ws = tmp_path / "ws"
    shutil.copytree(analysed_template, ws)
    return ws


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``marsad serve`` as a separate process that the test can kill -9."""

    def __init__(self, workspace: str, log: Path) -> None:
        self.workspace = workspace
        self.port = _free_port()
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(  # noqa: S603 - our own CLI
                [
                    sys.executable,
                    "-m",
                    "marsad.cli",
                    "serve",
                    "--workspace",
                    self.workspace,
                    "--port",
                    str(self.port),
                ],
                stdout=fh,
                stderr=subprocess.STDOUT,
                env=dict(os.environ),
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("the server did not start: " + self.log.read_text()[-3000:])

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
