"""Scoring lineage against the simulator's ground truth.

Outside the flow proper: the tests, the training (:mod:`marsad.accounts.train`)
and ``benchmarks/lineage.py`` measure :func:`marsad.accounts.lineage.lineage`
(or a baseline) with these functions, never against anything the exports say.

*Truth* is ``ground_truth/lineage.csv`` (successor, predecessor).  Precision
is over predicted links: a link is right when the pair is a true re-creation.
Recall is over the true links that the exports can show
(:func:`observable_truth`): both accounts' profiles were seen (the workspace
has the successor's handle and creation time, and the predecessor's handle)
and the predecessor has a ``suspended`` status event.  An account created and
suspended between two lookups without a post is only an id in a lookup's
error: nothing can link to or from it, so such a link is no miss.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["LinkMetrics", "link_metrics", "observable_truth", "read_truth"]

Pair = tuple[str, str]


def read_truth(ground_truth: Path) -> set[Pair]:
    """``(successor_id, predecessor_id)`` of every true re-creation in *ground_truth*
    (the folder holding ``lineage.csv``, or the file itself)."""
    path = ground_truth / "lineage.csv" if ground_truth.is_dir() else ground_truth
    with open(path, encoding="utf-8", newline="") as fh:
        return {(r["successor_id"], r["predecessor_id"]) for r in csv.DictReader(fh)}


def observable_truth(con: Any, truth: Iterable[Pair], platform: str = "x") -> set[Pair]:
    """The true links of *truth* that the workspace behind *con* can show (see the
    module docstring)."""
    cur = con.cursor()
    try:
        profiles = {
            r[0]: r[1]
            for r in cur.execute(
                "SELECT native_id, created_at IS NOT NULL FROM accounts "
                "WHERE platform = $platform AND handle IS NOT NULL",
                {"platform": platform},
            ).fetchall()
        }
        suspended = {
            r[0]
            for r in cur.execute(
                "SELECT DISTINCT account_id FROM status_events "
                "WHERE platform = $platform AND status = 'suspended'",
                {"platform": platform},
            ).fetchall()
        }
    finally:
        cur.close()
    return {(s, p) for s, p in truth if profiles.get(s) and p in profiles and p in suspended}


@dataclass(frozen=True)
class LinkMetrics:
    """Precision, recall and F1 of predicted links; counts of each kind."""

    precision: float
    recall: float
    f1: float
    predicted: int
    correct: int
    observable: int
    found: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "predicted": self.predicted,
            "correct": self.correct,
            "observable": self.observable,
            "found": self.found,
        }


def link_metrics(predicted: Iterable[Pair], truth: set[Pair], observable: set[Pair]) -> LinkMetrics:
    """Score *predicted* links against every true link (*truth*, for precision) and
    the observable ones (*observable*, for recall)."""
    pred = set(predicted)
    correct = len(pred & truth)
    found = len(pred & observable)
    precision = correct / len(pred) if pred else 1.0
    recall = found / len(observable) if observable else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LinkMetrics(precision, recall, f1, len(pred), correct, len(observable), found)
