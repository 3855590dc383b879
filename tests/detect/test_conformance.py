"""One conformance suite that every detector passes (STYLE.md: like
scikit-learn's ``parametrize_with_checks``).

The contract (``marsad.detect.base``): a stable storage name, a version that
changes only with the scores, scores in [0, 1] that are pure (same posts, same
scores; a post's score does not depend on its batch), detections that carry
the detector's name and version and JSON-serialisable evidence, and an
explanation whose score is the detection's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import numpy as np
import pytest

from marsad.detect.base import Detector
from marsad.detect.classifier import TextClassifier
from marsad.detect.features import FeatureSpec
from marsad.detect.indicator_detector import IndicatorDetector
from marsad.detect.scorer import RiskScorer
from marsad.model import Detection
from tests.detect.synthetic import labelled


def _classifier() -> TextClassifier:
    posts, labels, _ = labelled(300)
    return TextClassifier(FeatureSpec(bits=14), C=5.0).fit(posts, labels)


def _risk() -> RiskScorer:
    return RiskScorer(_classifier())


FACTORIES: dict[str, Callable[[], Detector]] = {
    "indicators": IndicatorDetector,
    "text-classifier": _classifier,
    "risk": _risk,
}


@pytest.fixture(scope="module", params=sorted(FACTORIES))
def detector(request: pytest.FixtureRequest) -> Detector:
    return FACTORIES[request.param]()


def test_name_and_version(detector: Detector) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9-]*", detector.name)
    assert detector.target_kind in ("post", "account", "media")
    assert detector.version and detector.version == detector.version
    assert set(detector.languages) >= {"ar", "en", "fr"}


def test_scores_are_in_range_and_pure(detector: Detector) -> None:
    posts = type(detector).examples()
    assert len(posts) >= 7
    scores = detector.score(posts)
    assert scores.shape == (len(posts),)
    assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 1))
    np.testing.assert_allclose(detector.score(posts), scores)  # same posts, same scores
    alone = np.array([detector.score([p])[0] for p in posts])
    np.testing.assert_allclose(alone, scores, rtol=1e-9, atol=1e-12)  # not batch-dependent
    order = np.random.default_rng(1).permutation(len(posts))
    np.testing.assert_allclose(detector.score([posts[i] for i in order]), scores[order])
    before = [p.text for p in posts]
    detector.score(posts)
    assert [p.text for p in posts] == before


def test_detections_carry_name_version_and_evidence(detector: Detector) -> None:
    posts = type(detector).examples()
    found = detector.detect(posts)
    assert [d.target_id for d in found] == [p.native_id for p in posts]
    for d, score in zip(found, detector.score(posts), strict=True):
        assert isinstance(d, Detection)
        assert (d.detector, d.detector_version, d.target_kind) == (
            detector.name,
            detector.version,
            detector.target_kind,
        )
        assert d.score == pytest.approx(float(score))
        json.dumps(d.evidence)  # storable


def test_explanation_gives_the_same_score(detector: Detector) -> None:
    for post in type(detector).examples():
        why = detector.explain(post)
        assert (why.detector, why.version) == (detector.name, detector.version)
        assert why.score == pytest.approx(float(detector.score([post])[0]), abs=1e-9)
        json.dumps(why.evidence)
        for start, end, _ in why.spans:
            assert 0 <= start <= end <= len(why.text)


def test_fit_returns_self(detector: Detector) -> None:
    if not detector.trainable:
        posts, labels, _ = labelled(60)
        assert detector.fit(posts, labels) is detector
        return
    fresh = type(detector)(FeatureSpec(bits=12))  # type: ignore[call-arg]
    posts, labels, _ = labelled(300)
    assert fresh.fit(posts, labels) is fresh


def test_indicator_examples_find_their_indicators() -> None:
    detector = IndicatorDetector()
    posts = {p.native_id: p for p in IndicatorDetector.examples()}
    found = {d.target_id: d for d in detector.detect(list(posts.values()))}
    keys = {pid: {m["key"] for m in d.evidence.get("indicators", [])} for pid, d in found.items()}
    assert keys["ind-en"] == {"amaq", "dabiq"}
    assert keys["ind-ar"] == {"amaq", "dabiq"}  # in Arabic, normalised
    assert keys["ind-fr"] == {"amaq"}
    assert keys["ind-tags"] == {"all_eyes_on_isis", "baqiya"}
    assert found["0"].score == 0 and not keys["0"]
    # noisy-OR of distinct indicators: 1 - (1 - 0.5)(1 - 0.5)
    assert found["ind-en"].score == pytest.approx(0.75)
