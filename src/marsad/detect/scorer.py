"""The risk scorer: the detector whose score the review queue reads.

Part of the *detect* stage (contract in :mod:`marsad.detect.base`; the
combination in :mod:`marsad.detect.risk`).  It runs the text classifier and
the indicator detector over the same posts, recognises scripture
quotations (:mod:`marsad.detect.context`), and combines them with the risk
stages that training fitted; :func:`marsad.detect.scan.scan` adds the
author context from the workspace.

Its :meth:`RiskScorer.score` is the *text* risk -- the post on its own --
which keeps the detector contract (a post's score does not depend on the
batch); the risk with author context needs the author's other posts and is
computed by :meth:`RiskScorer.with_authors` from sums the caller provides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from marsad.detect.base import Detector, Explanation
from marsad.detect.classifier import TextClassifier
from marsad.detect.indicator_detector import IndicatorDetector
from marsad.detect.indicators import IndicatorRegistry
from marsad.detect.policy import Policy
from marsad.detect.risk import RiskModel, author_risk, logit, text_risk
from marsad.model import Post

__all__ = ["Components", "RiskScorer", "risk_evidence"]

ScriptureShare = Callable[[Sequence[str]], npt.NDArray[np.float64]]


@dataclass(frozen=True)
class Components:
    """Everything the risk of a batch of posts is made of, per post."""

    margin: npt.NDArray[np.float64]
    classifier: npt.NDArray[np.float64]  # calibrated classifier score
    known: npt.NDArray[np.bool_]  # whether it counts (the post's language; see supported())
    z: npt.NDArray[np.float64]  # its log-odds as the risk takes it: 0 where not known
    indicators: npt.NDArray[np.float64]
    indicator_evidence: list[dict[str, Any]]
    scripture: npt.NDArray[np.float64]
    text_risk: npt.NDArray[np.float64]


class RiskScorer(Detector):
    """The risk of posts from *model* (default: the packaged model), the
    indicators of *registry* (default: packaged) and the scripture
    recogniser *scripture* (default: :func:`marsad.detect.context.scripture_share`)."""

    name: ClassVar[str] = "risk"
    _CODE_VERSION = "1"

    def __init__(
        self,
        model: TextClassifier | None = None,
        registry: IndicatorRegistry | None = None,
        scripture: ScriptureShare | None = None,
    ) -> None:
        self.model = model
        self.registry = registry
        self.scripture = scripture

    @property
    def model_(self) -> TextClassifier:
        if self.model is None:
            self.model = TextClassifier.load()
        return self.model

    @property
    def indicators_(self) -> IndicatorDetector:
        if not isinstance(getattr(self, "_indicators", None), IndicatorDetector):
            self._indicators = IndicatorDetector(self.registry)
        return self._indicators

    @property
    def scripture_(self) -> ScriptureShare:
        if self.scripture is None:
            from marsad.detect.context import scripture_share

            self.scripture = scripture_share
        return self.scripture

    @property
    def text_stage(self) -> RiskModel:
        return self.model_.risk_text_ or RiskModel(("z", "indicators"), 0.0, (1.0, 0.0))

    @property
    def version(self) -> str:
        return f"{self._CODE_VERSION}+{self.model_.version}+{self.indicators_.version}"

    def policy(self) -> Policy:
        """The thresholds training chose, per language group (:mod:`marsad.detect.policy`)."""
        return Policy(dict(self.model_.thresholds_), f"model {self.model_.model_version_}")

    def components(self, posts: Sequence[Post]) -> Components:
        margin, route = self.model_.margins(posts)
        p = self.model_.calibrate(margin, route)
        known = self.model_.supported(posts)
        z = np.where(known, logit(p), 0.0)
        found = self.indicators_.detect_matches(posts)
        ind = np.array([score for score, _ in found], dtype=np.float64)
        texts = [p.text_norm if p.text_norm is not None else (p.text or "") for p in posts]
        share = self.scripture_(texts)
        r0 = text_risk(self.text_stage, z, ind, share)
        return Components(margin, p, known, z, ind, [ev for _, ev in found], share, r0)

    def score(self, posts: Sequence[Post]) -> npt.NDArray[np.float64]:
        return self.components(posts).text_risk

    def with_authors(
        self,
        r0: npt.NDArray[np.float64],
        z: npt.NDArray[np.float64],
        author_sum: npt.NDArray[np.float64],
        author_n: npt.NDArray[np.float64],
        scripture: npt.NDArray[np.float64],
        indicators: npt.NDArray[np.float64],
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(risk, author log-odds) with the author context: *author_sum* and
        *author_n* are the sum of classifier log-odds ``z`` over all the
        author's posts and their number, this post included."""
        return author_risk(
            self.model_.risk_author_, r0, z, author_sum, author_n, scripture, indicators
        )

    def evidence(
        self, posts: Sequence[Post], scores: npt.NDArray[np.float64]
    ) -> list[dict[str, Any]]:
        return self.scored(posts)[1]

    def scored(self, posts: Sequence[Post]) -> tuple[npt.NDArray[np.float64], list[dict[str, Any]]]:
        c = self.components(posts)
        return c.text_risk, [risk_evidence(c, i) for i in range(len(posts))]

    def explain(self, post: Post) -> Explanation:
        c = self.components([post])
        clf = self.model_.explain(post)
        ind = self.indicators_.explain(post)
        evidence = risk_evidence(c, 0) | {
            "top_features": clf.evidence["top_features"],
            "against": clf.evidence["against"],
        }
        return Explanation(
            detector=self.name,
            version=self.version,
            score=float(c.text_risk[0]),
            text=clf.text,
            evidence=evidence,
            features=[*ind.features, *clf.features],
            spans=clf.spans,
        )


def risk_evidence(c: Components, i: int) -> dict[str, Any]:
    """The evidence stored with the risk of post *i* of a batch: its components."""
    out: dict[str, Any] = {
        "text_risk": round(float(c.text_risk[i]), 6),
        "classifier": round(float(c.classifier[i]), 6),
        "indicators": round(float(c.indicators[i]), 6),
    }
    if not c.known[i]:
        # the classifier's training data hold too few posts of each label in
        # this post's language: its score is shown, not counted
        out["classifier_counted"] = False
    if c.indicator_evidence[i]:
        out["matched"] = list(
            dict.fromkeys(m["key"] for m in c.indicator_evidence[i]["indicators"])
        )
    if c.scripture[i] > 0:
        out["scripture"] = round(float(c.scripture[i]), 4)
    return out
