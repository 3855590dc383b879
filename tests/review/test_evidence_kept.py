"""An item's evidence is gathered once per item and sync, kept in the review
database, and gathered again after the next sync (stages that add detections
sync the queue)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from marsad.errors import NotFound
from marsad.review.queue import Filters
from marsad.review.service import Review
from marsad.review.users import CONSOLE


def test_evidence_is_kept_until_the_next_sync(
    analysed_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Review(analysed_ws) as review:
        review.sync(CONSOLE)
        item = review.queue.item(review.queue.list(Filters(kind="post"), limit=1)[0]["id"])
        gathered: list[int] = []
        gather = review._gather

        def counting(it: dict[str, Any]) -> dict[str, Any]:
            gathered.append(it["id"])
            return gather(it)

        monkeypatch.setattr(review, "_gather", counting)
        first = review.evidence(item)
        assert gathered == [item["id"]]
        # what `marsad explain` shows, with the author: real evidence, not a stub
        assert first["post"]["native_id"] == item["target_id"]
        assert first["explanation"]["risk"] == pytest.approx(item["score"], abs=1e-6)
        assert first["author"]["native_id"] == first["post"]["account_id"]
        # the second view reads the kept row: the same evidence, nothing gathered
        assert review.evidence(item) == first
        assert gathered == [item["id"]]
        kept = review.db.one("SELECT body FROM item_evidence WHERE item_id = ?", [item["id"]])
        assert kept is not None and json.loads(kept["body"]) == first
        # a sync (a stage added detections) makes it stale: gathered again, once
        review.sync(CONSOLE)
        assert review.evidence(item) == first  # nothing changed in the store
        assert review.evidence(item) == first
        assert gathered == [item["id"], item["id"]]
        # evidence that cannot be gathered is an error each time, never kept
        missing = dict(item, id=item["id"], target_id="no-such-post")
        with review.db.write() as w:
            w.run("DELETE FROM item_evidence WHERE item_id = ?", [item["id"]])
        with pytest.raises(NotFound):
            review.evidence(missing)
        assert review.db.one("SELECT 1 FROM item_evidence WHERE item_id = ?", [item["id"]]) is None


def test_prepare_gathers_the_head_of_the_queue_once(analysed_ws: Path) -> None:
    with Review(analysed_ws) as review:
        review.sync(CONSOLE)
        head = [r["id"] for r in review.queue.list(Filters(), limit=5)]
        assert review.prepare(5) == 5
        kept = {r["item_id"] for r in review.db.rows("SELECT item_id FROM item_evidence")}
        assert kept == set(head)
        assert review.prepare(5) == 5  # the next five: the first are kept
        assert len(review.db.rows("SELECT item_id FROM item_evidence")) == 10
        review.sync(CONSOLE)  # stale again: the head is gathered anew
        assert review.prepare(5) == 5
        fresh = review.queue.synced_at()
        rows = review.db.rows("SELECT item_id, generation FROM item_evidence")
        assert {r["item_id"] for r in rows if r["generation"].startswith(fresh)} == set(head)
