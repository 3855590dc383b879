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

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from marsad.detect.base import Detector, Explanation
from marsad.detect.classifier import TextClassifier
from marsad.detect.indicator_detector import IndicatorDetector
from marsad.detect.indicators import IndicatorRegistry
from marsad.detect.policy import Policy
from marsad.detect.risk import (
    TOO_LITTLE_TEXT,
    RiskModel,
    author_risk,
    evidence_factor,
    logit,
    text_risk,
)
from marsad.model import Post

__all__ = ["Components", "RiskScorer", "risk_evidence"]

ScriptureShare = Callable[[Sequence[str]], npt.NDArray[np.float64]]


@dataclass(frozen=True)
class Components:
    """Everything the risk of a batch of posts is made of, per post."""

    margin: npt.NDArray[np.float64]
    classifier: npt.NDArray[np.float64]  # calibrated classifier score
    known: npt.NDArray[np.bool_]  # whether it counts (the post's language; see supported())
    known_words: npt.NDArray[np.float64]  # words of the post the model knows
    evidence: npt.NDArray[np.float64]  # the share of its log-odds that counts (evidence_factor)
    z: npt.NDArray[np.float64]  # its log-odds as the risk takes it: shrunk, 0 where not known
    indicators: npt.NDArray[np.float64]
    indicator_evidence: list[dict[str, Any]]
    scripture: npt.NDArray[np.float64]
    text_risk: npt.NDArray[np.float64]
    cues: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)  # stance cues read


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
        """Code, classifier, combination and indicators: a model retrained with
        the same classifier weights but other calibration, risk stages or
        evidence rule scores differently, so its risk is another version (and
        ``marsad scan`` scores again).  Thresholds are not part of it: they
        decide, they do not score."""
        m = self.model_
        stages = json.dumps(
            [
                m.calibration_.tolist(),
                None if m.risk_text_ is None else m.risk_text_.as_dict(),
                None if m.risk_author_ is None else m.risk_author_.as_dict(),
                m.evidence_words_,
            ],
            sort_keys=True,
        )
        combination = hashlib.sha256(stages.encode()).hexdigest()[:8]
        return f"{self._CODE_VERSION}+{m.version}.{combination}+{self.indicators_.version}"

    def policy(self) -> Policy:
        """The thresholds training chose, per language group (:mod:`marsad.detect.policy`)."""
        return Policy(dict(self.model_.thresholds_), f"model {self.model_.model_version_}")

    def components(self, posts: Sequence[Post]) -> Components:
        margin, route, words = self.model_.margins_evidence(posts)
        p = self.model_.calibrate(margin, route)
        known = self.model_.supported(posts)
        factor = evidence_factor(words, self.model_.evidence_words_)
        z = np.where(known, logit(p) * factor, 0.0)
        found = self.indicators_.detect_matches(posts)
        ind = np.array([score for score, _ in found], dtype=np.float64)
        texts = [p.text_norm if p.text_norm is not None else (p.text or "") for p in posts]
        share = self.scripture_(texts)
        cues = self.cues(posts)
        r0 = text_risk(self.text_stage, z, ind, share, cues)
        return Components(
            margin, p, known, words, factor, z, ind, [ev for _, ev in found], share, r0, cues
        )

    def cues(self, posts: Sequence[Post]) -> dict[str, npt.NDArray[np.float64]]:
        """The stance cues of *posts* the text stage reads (none for a model
        fitted without them: they are not computed)."""
        from marsad.detect.stance import CUES, stance_cues

        if not set(CUES) & set(self.text_stage.names):
            return {}
        norm = [p.text_norm is not None for p in posts]
        if all(norm):
            return stance_cues([p.text_norm or "" for p in posts], normalized=True)
        return stance_cues([p.text or "" for p in posts])

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
    out["known_words"] = int(c.known_words[i])
    if c.evidence[i] < TOO_LITTLE_TEXT:
        # too few words the model knows for its score to say much: its
        # log-odds were shrunk towards "no evidence" (risk.evidence_factor)
        out["too_little_text"] = True
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
    stance = {k: round(float(v[i]), 3) for k, v in c.cues.items() if v[i] > 0}
    if stance:
        out["stance"] = stance
    return out
