"""Spark in local mode for the conformance tests (``marsad[spark]`` and Java 17).

Outside CI a missing PySpark or Java skips these tests with the reason; in CI
(``CI=true``) it fails them.  One session serves every test (starting one
costs seconds); it binds to 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.review.conftest import analysed_template  # noqa: F401 - a fixture, used by name


def require_spark() -> None:
    problem = None
    try:
        import pyspark  # noqa: F401
    except ImportError:
        problem = "PySpark is missing: pip install -e '.[spark]' (make install-test does)"
    if problem is None and not os.environ.get("JAVA_HOME") and not shutil.which("java"):
        problem = "Java is missing: apt-get install openjdk-17-jre-headless (make java)"
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(problem)
        pytest.skip(problem)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    require_spark()
    from marsad.spark.io import session

    s = session("local[2]", {"spark.sql.shuffle.partitions": "4"}, app="marsad-tests")
    yield s
    s.stop()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marsad.cli", *args], capture_output=True, text=True, check=True
    )


@pytest.fixture(scope="session")
def exported(analysed_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """The analysed simulation (scanned, scored, linked) as a Parquet export."""
    out = tmp_path_factory.mktemp("export") / "export"
    cli("export", str(out), "--workspace", str(analysed_template))
    return out


@pytest.fixture(scope="session")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A simulation in all three formats (X, Telegram with edits and forwards,
    marsad JSONL), ingested and scanned; and its Parquet export."""
    root = tmp_path_factory.mktemp("mixed")
    sim, ws, out = root / "sim", root / "ws", root / "export"
    cli("simulate", str(sim), "--profile", "small", "--accounts", "250", "--posts", "2500")
    cli("ingest", str(sim), "--workspace", str(ws))
    cli("scan", "--workspace", str(ws))
    cli("export", str(out), "--workspace", str(ws))
    return ws, out
