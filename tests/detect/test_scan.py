"""Scanning a workspace: every post once, incremental, resumable, with author context."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from marsad import pipeline
from marsad.detect.classifier import TextClassifier
from marsad.detect.features import FeatureSpec
from marsad.detect.risk import RiskModel
from marsad.detect.scan import flagged_count, scan
from marsad.detect.scorer import RiskScorer
from marsad.store.duckdb import DuckDBStore
from tests.detect.synthetic import labelled

_HEADER = [
    "name",
    "username",
    "description",
    "location",
    "followers",
    "numberstatuses",
    "time",
    "tweets",
]


def _csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """An isis-twitter layout file of (username, time, text) rows."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(_HEADER)
        for user, time, text in rows:
            w.writerow([user, user, "", "", "10", "100", time, text])
    return path


FIRST = [
    ("desk", "1/6/2015 21:07", "the weather today is calm and the market opens at nine"),
    ("desk", "1/7/2015 08:30", "traffic on the bridge is busy this morning"),
    ("desk", "1/8/2015 08:30", "our team played long football match on saturday"),
    ("relay", "1/6/2015 10:00", "the library opens a quiet reading room next week Amaq"),
    ("relay", "1/6/2015 11:00", "new recipe for bright bread with 3 eggs #AllEyesOnISIS"),
    ("relay", "1/6/2015 12:00", "الطقس اليوم جميل والسوق يفتح في التاسعة وكالة أعماق"),
    ("solo", "1/9/2015 12:00", "the weather today is fine"),
]
MORE = [
    ("relay", "1/10/2015 10:00", "traffic on the bridge is quiet Dabiq"),
    ("new", "1/10/2015 11:00", "the library opens a long reading room"),
]


@pytest.fixture(scope="module")
def scorer() -> RiskScorer:
    posts, labels, _ = labelled(400)
    model = TextClassifier(FeatureSpec(bits=14), C=5.0).fit(posts, labels)
    model.risk_text_ = RiskModel(("z", "indicators"), 0.0, (1.0, 0.5))
    model.risk_author_ = RiskModel(("text_logit", "author_z"), 0.0, (1.0, 2.0))
    model.thresholds_ = {"default": 0.5, "ar": 0.5, "default+author": 0.6}
    return RiskScorer(model)


def _detections(store: DuckDBStore) -> dict[tuple[str, str], tuple[float, dict[str, Any]]]:
    rows = (
        store.analytics()
        .execute("SELECT detector, target_id, score, evidence FROM detections ORDER BY ALL")
        .fetchall()
    )
    return {(d, t): (s, json.loads(e)) for d, t, s, e in rows}


def test_scan_is_complete_incremental_and_idempotent(
    store: DuckDBStore, scorer: RiskScorer, tmp_path: Path
) -> None:
    pipeline.ingest_file(store, _csv(tmp_path / "a.csv", FIRST), fmt="csv")
    first = scan(store, scorer, batch=3)
    assert (first.scanned, first.total) == (7, 7)
    found = _detections(store)
    assert sum(1 for d, _ in found if d == "risk") == 7
    assert sum(1 for d, _ in found if d == "text-classifier") == 7
    carriers = {t for d, t in found if d == "indicators"}
    assert len(carriers) == 3  # the three relay posts carry an indicator
    # author context: the relay and desk posts have it, the solo post has not
    risk = {t: ev for (d, t), (_, ev) in found.items() if d == "risk"}
    assert sum("author" in ev for ev in risk.values()) == 6
    assert {ev["author"]["other_posts"] for ev in risk.values() if "author" in ev} == {2}

    again = scan(store, scorer)
    assert again.scanned == 0
    assert _detections(store) == found  # nothing changes

    pipeline.ingest_file(store, _csv(tmp_path / "b.csv", MORE), fmt="csv")
    more = scan(store, scorer)
    assert more.scanned == 2 and more.total == 9
    after = _detections(store)
    relay_old = [
        t
        for (d, t), (_, ev) in after.items()
        if d == "risk" and ev.get("author", {}).get("other_posts") == 3
    ]
    assert len(relay_old) == 4  # the relay's older posts now see its new post too
    assert flagged_count(store, scorer) == more.flagged


def test_a_new_model_version_rescores_everything_and_prunes(
    store: DuckDBStore, scorer: RiskScorer, tmp_path: Path
) -> None:
    pipeline.ingest_file(store, _csv(tmp_path / "a.csv", FIRST), fmt="csv")
    scan(store, scorer)
    posts, labels, _ = labelled(400, seed=4)
    other = RiskScorer(TextClassifier(FeatureSpec(bits=13), C=1.0).fit(posts, labels))
    summary = scan(store, other)
    assert summary.scanned == 7
    versions = (
        store.analytics()
        .execute("SELECT DISTINCT detector, detector_version FROM detections")
        .fetchall()
    )
    assert {v for d, v in versions if d == "risk"} == {other.version}  # the old ones are gone


def test_an_interrupted_scan_resumes(
    store: DuckDBStore, scorer: RiskScorer, tmp_path: Path
) -> None:
    pipeline.ingest_file(store, _csv(tmp_path / "a.csv", FIRST), fmt="csv")

    class Boom(Exception):
        pass

    calls = {"n": 0}
    real = scorer.components

    def failing(posts: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Boom
        return real(posts)

    scorer.components = failing  # type: ignore[method-assign]
    try:
        with pytest.raises(Boom):
            scan(store, scorer, batch=3)
    finally:
        del scorer.components
    done = (
        store.analytics()
        .execute("SELECT count(*) FROM detections WHERE detector = 'risk'")
        .fetchone()
    )
    assert done == (3,)  # the first batch landed whole, nothing of the second
    resumed = scan(store, scorer, batch=3)
    assert resumed.scanned == 4
    assert store.analytics().execute(
        "SELECT count(*) FROM detections WHERE detector = 'risk'"
    ).fetchone() == (7,)
