"""New scans add to the queue by themselves once a workspace has one, and
decided items are not asked again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from marsad.detect.policy import Policy
from marsad.review.queue import Filters
from marsad.review.service import Review, has_review
from marsad.review.users import CONSOLE, User


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


class _Stricter:
    """The active scorer's name and version, with its thresholds raised to *floor*."""

    def __init__(self, scorer: Any, floor: float, version: str | None = None) -> None:
        self.name, self.version = scorer.name, version or scorer.version
        self._policy = Policy({k: max(v, floor) for k, v in scorer.policy().thresholds.items()})

    def policy(self) -> Policy:
        return self._policy


def test_a_model_that_no_longer_flags_a_post_withdraws_it_once_it_has_scanned(
    analysed_ws: Path,
) -> None:
    with Review(analysed_ws) as review:
        review.sync(CONSOLE)
        scorer = review.scorer
        posts = review.db.rows(
            "SELECT target_id, score FROM queue_items WHERE kind = 'post' AND detector = ?",
            [scorer.name],
        )
        scores = sorted(p["score"] for p in posts)
        floor = scores[len(scores) // 2]  # half the posts fall below
        # promoted but not scanned: its version scored nothing here, nothing goes
        unscanned = review.sync(CONSOLE, scorer=_Stricter(scorer, 0.999, version="not-scanned"))
        assert unscanned["withdrawn"] == 0
        # the scanned version with a stricter policy: the posts under it go
        result = review.sync(CONSOLE, scorer=_Stricter(scorer, floor))
        below = {p["target_id"] for p in posts if p["score"] < floor}
        assert result["withdrawn"] == len(below) > 0
        withdrawn = review.db.rows(
            "SELECT kind, target_id FROM queue_items WHERE status = 'withdrawn'"
        )
        assert {w["target_id"] for w in withdrawn} == below
        assert {w["kind"] for w in withdrawn} == {"post"}
        # the policy back as it was: they are open again
        back = review.sync(CONSOLE)
        assert back["reopened"] == len(below) and back["withdrawn"] == 0
