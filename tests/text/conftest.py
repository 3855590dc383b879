"""Fixtures shared by the text-stage tests: the X v1.1 fixture, parsed once."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
import pytest

from tests.conftest import shared_file


@pytest.fixture(scope="session")
def v1_tweets() -> list[dict[str, Any]]:
    """Every tweet of ``x_api_v1_isis_hashtags_2017/TT-TEST.jsonl.gz`` (never printed)."""
    path = shared_file("fixtures/x_api_v1_isis_hashtags_2017/TT-TEST.jsonl.gz")
    with gzip.open(path, "rb") as fh:
        return [orjson.loads(line) for line in fh if line.strip()]
