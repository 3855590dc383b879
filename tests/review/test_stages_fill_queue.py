"""New scans add to the queue by themselves once a workspace has one, and
decided items are not asked again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from marsad.review.queue import Filters
from marsad.review.service import Review, has_review
from marsad.review.users import User


def _stage(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "marsad.cli", *args], capture_output=True, text=True, check=True
    )
    return done.stderr


def test_stages_fill_an_existing_queue(analysed_ws: Path) -> None:
    assert not has_review(analysed_ws)
    assert "review queue" not in _stage("scan", "--workspace", str(analysed_ws))
    Review(analysed_ws).close()  # someone starts reviewing here
    assert has_review(analysed_ws)
    said = _stage("scan", "--workspace", str(analysed_ws))
    assert "review queue:" in said and "queue: 0 items added" not in said
    with Review(analysed_ws) as review:
        kinds = {r["kind"] for r in review.queue.list(Filters(), limit=500)}
        assert {"post", "account"} <= kinds
        total = review.queue.count(Filters(status=None))
        first = review.queue.list(Filters(), limit=1)[0]
        review.queue.decide(User("amina", "reviewer"), first["id"], "reject", reason="other")
    for stage in ("accounts", "lineage"):
        said = _stage(stage, "--workspace", str(analysed_ws))
        assert "review queue: 0 items added" in said
    with Review(analysed_ws) as review:
        assert review.queue.count(Filters(status=None)) == total
        assert review.queue.item(first["id"])["status"] == "rejected"
