"""The indicator detector: scores a post by the registry indicators it carries.

Part of the *detect* stage (contract in :mod:`marsad.detect.base`).  It reads
what enrichment stored -- the normalised text, hashtags, mentions, links and
the author's handle where known -- and matches the
:class:`~marsad.detect.indicators.IndicatorRegistry` in one pass.

**Score**: the noisy-OR of the weights of the distinct indicators found,
``1 - prod(1 - w)``: one outlet name (0.5) gives 0.5, a slogan (0.8) with it
0.9.  Each indicator counts once however often it appears (a post that
repeats a hashtag ten times is no more likely to be propaganda).  The
weights are judgement (see :data:`~marsad.detect.indicators.DEFAULT_WEIGHTS`),
not probabilities fitted on data: the score ranks posts by how much of the
movement's branding they carry, and the risk score
(:mod:`marsad.detect.risk`) weighs it with the classifier and the context.

**Known false positives**: news reports, research and counter-speech name the
same outlets and quote the same slogans; hashtag campaigns get hijacked by
their opponents.  An indicator is evidence, not a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from marsad.detect.base import Detector, Explanation, text_posts
from marsad.detect.indicators import IndicatorMatch, IndicatorRegistry
from marsad.model import Post

__all__ = ["IndicatorDetector"]


class IndicatorDetector(Detector):
    """Scores posts by the indicators of *registry* (default: the packaged one)."""

    name: ClassVar[str] = "indicators"
    _CODE_VERSION = "1"

    def __init__(self, registry: IndicatorRegistry | None = None) -> None:
        self.registry = registry

    @property
    def registry_(self) -> IndicatorRegistry:
        if self.registry is None:
            self.registry = IndicatorRegistry.load()
        return self.registry

    @property
    def version(self) -> str:
        return f"{self._CODE_VERSION}+{self.registry_.version}"

    def matches(self, post: Post) -> list[IndicatorMatch]:
        """The indicator tokens *post* carries (:meth:`IndicatorRegistry.matches`)."""
        return self.registry_.matches(
            text_norm=post.text_norm,
            hashtags=post.hashtags,
            mentions=post.mentions,
            urls=post.urls,
            domains=post.domains,
        )

    @staticmethod
    def _noisy_or(found: list[IndicatorMatch]) -> float:
        weights: dict[str, float] = {}
        for m in found:
            weights[m.key] = max(weights.get(m.key, 0.0), m.weight)
        return 1.0 - float(np.prod([1.0 - w for w in weights.values()])) if weights else 0.0

    def score(self, posts: Sequence[Post]) -> npt.NDArray[np.float64]:
        return np.array([self._noisy_or(self.matches(p)) for p in posts], dtype=np.float64)

    def evidence(
        self, posts: Sequence[Post], scores: npt.NDArray[np.float64]
    ) -> list[dict[str, Any]]:
        return self.scored(posts)[1]

    def scored(self, posts: Sequence[Post]) -> tuple[npt.NDArray[np.float64], list[dict[str, Any]]]:
        found = self.detect_matches(posts)
        return np.array([s for s, _ in found], dtype=np.float64), [ev for _, ev in found]

    def detect_matches(self, posts: Sequence[Post]) -> list[tuple[float, dict[str, Any]]]:
        """(score, evidence) per post with one match per post (what :meth:`detect` does
        without matching twice)."""
        out = []
        for post in posts:
            found = self.matches(post)
            out.append((self._noisy_or(found), _evidence(found)))
        return out

    def explain(self, post: Post) -> Explanation:
        found = self.matches(post)
        return Explanation(
            detector=self.name,
            version=self.version,
            score=self._noisy_or(found),
            text=post.text_norm or "",
            evidence=_evidence(found),
            features=[(f"{m.category}:{m.key} ({m.kind} {m.token})", m.weight) for m in found],
            spans=[(m.start, m.end, m.key) for m in found if m.start >= 0],
        )

    @classmethod
    def examples(cls) -> list[Post]:
        return [
            *super().examples(),
            *text_posts(
                [
                    "A report on Amaq and the Dabiq magazine, for the record.",
                    "تقرير عن وكالة أعماق ومجلة دابق",
                    "Un article sur l'agence Amaq.",
                    "Plain text with #AllEyesOnISIS and #baqiya_wa_tatamaddad tags.",
                ],
                ids=["ind-en", "ind-ar", "ind-fr", "ind-tags"],
            ),
        ]


def _evidence(found: list[IndicatorMatch]) -> dict[str, Any]:
    if not found:
        return {}
    return {
        "indicators": [
            {"key": m.key, "category": m.category, "kind": m.kind, "token": m.token}
            | ({"start": m.start, "end": m.end} if m.start >= 0 else {})
            for m in found
        ]
    }
