"""Calibration (Platt scaling), the threshold rule, and the metrics."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from marsad.detect.evaluate import (
    F1_PLATEAU,
    choose_threshold,
    choose_thresholds,
    metrics,
    platt,
)
from marsad.detect.risk import RiskModel, author_z, scripture_rule, sigmoid


def test_platt_recovers_a_known_scaling() -> None:
    rng = np.random.default_rng(3)
    margins = rng.normal(0, 2, 40_000)
    y = (rng.random(40_000) < sigmoid(1.7 * margins - 0.8)).astype(np.int64)
    a, b = platt(margins, y)
    assert a == pytest.approx(1.7, abs=0.06)
    assert b == pytest.approx(-0.8, abs=0.06)
    p = sigmoid(a * margins + b)
    ece = metrics(p, y, 0.5)["ece"]
    assert ece < 0.01  # calibrated: the mean score in a bin is the share of positives
    # an uncalibrated score of the same ranking is not
    assert metrics(sigmoid(4 * margins), y, 0.5)["ece"] > 0.05


def test_risk_model_recovers_coefficients_and_keeps_indicators_non_negative() -> None:
    rng = np.random.default_rng(5)
    x = np.column_stack([rng.normal(0, 1, 30_000), rng.random(30_000)])
    y = (rng.random(30_000) < sigmoid(0.5 + 2.0 * x[:, 0] + 1.5 * x[:, 1])).astype(np.int64)
    m = RiskModel.fit(("z", "indicators"), x, y, nonnegative=("indicators",), l2=0.0)
    oracle = LogisticRegression(C=1e9, max_iter=1000).fit(x, y)  # the unpenalised MLE
    assert m.coef == pytest.approx(tuple(oracle.coef_[0]), abs=0.01)
    assert m.intercept == pytest.approx(oracle.intercept_[0], abs=0.01)
    assert m.coef == pytest.approx((2.0, 1.5), abs=0.2)  # and near the truth
    # data where indicators *lower* the odds: the bound holds the coefficient at 0
    y2 = (rng.random(30_000) < sigmoid(2.0 * x[:, 0] - 1.5 * x[:, 1])).astype(np.int64)
    m2 = RiskModel.fit(("z", "indicators"), x, y2, nonnegative=("indicators",))
    assert m2.coef[1] == pytest.approx(0.0, abs=1e-6)
    assert RiskModel.from_dict(m.as_dict()) == m
    # inputs go by name: the same model with its names in another order gives the same risk
    flipped = RiskModel(m.names[::-1], m.intercept, m.coef[::-1])
    inputs = {"z": x[:5, 0], "indicators": x[:5, 1]}
    np.testing.assert_allclose(flipped(inputs), m(inputs))


def test_threshold_maximises_f1_then_respects_the_hard_negative_rate() -> None:
    # scores of 6 positives and 6 negatives; worked by hand:
    scores = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.3, 0.85, 0.75, 0.4, 0.2, 0.1, 0.05])
    labels = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    hard = np.array([False] * 6 + [True, True, False, False, False, False])
    # max F1: t = 0.6 -> tp 5, fp 2 (0.85, 0.75), fn 1: F1 = 10/13 = 0.769;
    # t = 0.3 -> tp 6, fp 3: 12/15 = 0.8 (best)
    assert choose_threshold(scores, labels, hard, max_fpr=1.0) == 0.3
    # hard negatives 0.85 and 0.75; max_fpr 0.5 -> at most 1 of 2 over: t just above 0.75
    t = choose_threshold(scores, labels, hard, max_fpr=0.5)
    assert 0.75 < t < 0.7500001
    # no hard negative may pass: just above 0.85
    assert 0.85 < choose_threshold(scores, labels, hard, max_fpr=0.0) < 0.8500001


def test_threshold_is_the_middle_of_the_f1_plateau() -> None:
    """By brute force: F1 of every candidate threshold, then the median of
    those within F1_PLATEAU of the best -- on noisy scores, where the best
    F1 is reached at several nearby thresholds."""
    rng = np.random.default_rng(3)
    labels = (rng.random(400) < 0.4).astype(np.int64)
    scores = np.round(np.clip(0.3 * labels + rng.random(400) * 0.7, 0, 1), 3)
    f1 = {}
    for t in np.unique(scores):
        pred = scores >= t
        tp = int(np.sum(pred & (labels == 1)))
        f1[float(t)] = 2 * tp / (int(pred.sum()) + int(labels.sum()))
    best = max(f1.values())
    near = sorted(t for t, v in f1.items() if v >= best - F1_PLATEAU)
    assert len(near) > 3  # the case has a plateau, not one peak
    t = choose_threshold(scores, labels, np.zeros(400, bool))
    assert t == pytest.approx(float(np.median(near)))
    pred = scores >= t
    tp = int(np.sum(pred & (labels == 1)))
    assert 2 * tp / (int(pred.sum()) + int(labels.sum())) >= best - F1_PLATEAU - 0.01


def test_pooled_hard_negative_rate_is_held_by_the_default_group_first() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    groups = np.where(rng.random(n) < 0.2, "ar", "default")
    labels = (rng.random(n) < 0.5).astype(np.int64)
    # Arabic rows separate cleanly (positives over 0.7, negatives under 0.5); the
    # others overlap
    scores = np.where(
        groups == "ar",
        np.where(labels == 1, 0.7 + 0.3 * rng.random(n), 0.5 * rng.random(n)),
        np.clip(0.35 * labels + rng.random(n) * 0.65, 0, 1),
    )
    hard = (labels == 0) & (rng.random(n) < 0.5)
    th = choose_thresholds(scores, labels, hard, groups, max_fpr=0.02)
    over = sum(int(np.sum(scores[hard & (groups == g)] >= th[g])) for g in ("ar", "default"))
    assert over <= int(0.02 * hard.sum())
    free = choose_thresholds(scores, labels, np.zeros(n, bool), groups)
    assert th["ar"] == free["ar"]  # the Arabic group kept its max-F1 threshold
    assert th["default"] > free["default"]


def test_metrics_by_hand() -> None:
    m = metrics(np.array([0.9, 0.8, 0.3, 0.7, 0.1]), np.array([1, 1, 1, 0, 0]), 0.5)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (2, 1, 1, 1)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["fpr"] == pytest.approx(0.5)
    assert m["accuracy"] == pytest.approx(0.6)


def test_author_context_and_scripture_rule() -> None:
    z = np.array([1.0, 2.0, -1.0])
    sums = np.array([3.0, 3.0, -1.0])  # first two posts by one author; the third alone
    counts = np.array([2.0, 2.0, 1.0])
    az, has = author_z(z, sums, counts)
    assert has.tolist() == [True, True, False]
    assert az.tolist() == pytest.approx([2.0 / 11, 1.0 / 11, 0.0])  # other post, shrunk by 10
    risk = np.array([0.9, 0.9, 0.9])
    out = scripture_rule(risk, np.array([0.8, 0.3, 0.8]), np.array([0.0, 0.0, 0.5]))
    # quoted and no indicator: scaled by the unquoted share; too little quoted or an
    # indicator present: unchanged
    assert out.tolist() == pytest.approx([0.9 * 0.2, 0.9, 0.9])


def test_stream_rows_cap_the_threshold_but_take_no_part_in_f1() -> None:
    from marsad.detect.evaluate import choose_thresholds

    rng = np.random.default_rng(1)
    labelled = rng.uniform(0, 1, 400)
    y_lab = (labelled > 0.5).astype(np.int64)
    stream = rng.uniform(0, 0.8, 10_000)  # ordinary posts, some scoring high
    scores = np.concatenate([labelled, stream])
    y = np.concatenate([y_lab, np.zeros(len(stream), dtype=np.int64)])
    is_stream = np.r_[np.zeros(400, bool), np.ones(len(stream), bool)]
    groups = np.array(["default"] * len(scores))
    hard = np.zeros(len(scores), bool)
    free = choose_thresholds(scores, y, hard, groups, stream=is_stream, max_stream_fpr=1.0)
    assert 0.45 < free["default"] < 0.55  # the labelled rows' F1 point, not the stream's
    capped = choose_thresholds(scores, y, hard, groups, stream=is_stream, max_stream_fpr=0.003)
    assert np.mean(stream >= capped["default"]) <= 0.003
    assert capped["default"] > 0.79


def test_no_threshold_at_or_under_the_risk_of_a_post_that_says_nothing() -> None:
    from marsad.detect.evaluate import NO_EVIDENCE_Z, above_no_evidence
    from marsad.detect.risk import logit

    text = RiskModel(("z", "indicators"), -0.5, (1.2, 0.1))
    author = RiskModel(("text_logit", "author_z"), -1.0, (0.3, 3.0))
    weak = float(sigmoid(-0.5 + 1.2 * NO_EVIDENCE_Z))
    weak_author = float(sigmoid(-1.0 + 0.3 * logit(weak) + 3.0 * NO_EVIDENCE_Z))
    out = above_no_evidence(
        {"ar": 0.2, "default": 0.9, "ar+author": 0.1, "default+author": 0.95}, text, author
    )
    assert out["ar"] > weak and out["ar"] == pytest.approx(weak)
    assert out["default"] == 0.9 and out["default+author"] == 0.95  # already above: kept
    assert out["ar+author"] > weak_author and out["ar+author"] == pytest.approx(weak_author)
