"""The shipped model on a real benign stream: the X API v1.1 fixture.

``../shared/fixtures/x_api_v1_isis_hashtags_2017`` is, despite its folder's
name, a trending-topic collection about a TV series (5,542 of its 5,841
posts carry #GameOfThrones) with some other pop culture and Palestinian news
and protest posts, and no extremist content (``../shared/README.md``):
whatever `marsad scan` flags there is a false positive.  Issue 16's target:
at most 6 of its 5,841 posts (0.1%) flagged with author context.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from marsad import pipeline
from marsad.detect.scan import flagged_count, scan
from marsad.detect.scorer import RiskScorer
from marsad.store.duckdb import DuckDBStore
from tests.conftest import shared_file

V1 = "fixtures/x_api_v1_isis_hashtags_2017/TT-TEST.jsonl.gz"
#: issue 16: at most 0.1% of the fixture's 5,841 posts
MOST_FLAGGED = 6


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[DuckDBStore, RiskScorer]:
    path = shared_file(V1)
    ws: Path = tmp_path_factory.mktemp("v1") / "ws"
    store = DuckDBStore(ws)
    pipeline.ingest_paths(store, [path])
    scorer = RiskScorer()
    scan(store, scorer)
    return store, scorer


def test_every_post_is_scored(scanned: tuple[DuckDBStore, RiskScorer]) -> None:
    store, scorer = scanned
    (posts,) = store.analytics().cursor().execute("SELECT count(*) FROM current_posts").fetchone()  # type: ignore[misc]
    (scored,) = (
        store.analytics()
        .cursor()
        .execute(
            "SELECT count(*) FROM detections WHERE detector = ? AND detector_version = ?",
            [scorer.name, scorer.version],
        )
        .fetchone()
    )  # type: ignore[misc]
    assert posts == 5841
    assert scored == posts


def test_a_benign_stream_is_almost_never_flagged(
    scanned: tuple[DuckDBStore, RiskScorer],
) -> None:
    store, scorer = scanned
    flagged = flagged_count(store, scorer)
    if flagged > MOST_FLAGGED:
        ids = [
            f"{pid} ({score:.3f})"
            for pid, score in store.analytics()
            .cursor()
            .execute(
                "SELECT target_id, score FROM detections WHERE detector = ? "
                "AND detector_version = ? ORDER BY score DESC LIMIT 20",
                [scorer.name, scorer.version],
            )
            .fetchall()
        ]
        pytest.fail(f"{flagged} of 5,841 benign posts flagged; highest: {', '.join(ids)}")
