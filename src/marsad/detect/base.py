"""The detector contract: what every detector of posts (later accounts and media) promises.

Sits at the *detect* step of the flow (``store -> detect -> score / link ->
review``).  A detector reads records and returns :class:`~marsad.model.Detection`
values: a score in [0, 1], the evidence for it, and the detector's ``name`` and
``version``.  It never decides: turning a score into "refer", "review" or
"ignore" is a :class:`~marsad.detect.policy.Policy`'s job, with thresholds per
language that come from an evaluation, so that the same score can be read
differently where the model is known to be weaker.

The contract follows scikit-learn's estimator conventions (STYLE.md):

* ``__init__`` only stores parameters; nothing is read or computed there.
* :meth:`Detector.fit` learns from labelled posts and returns ``self``;
  what it learns ends in ``_``.  Detectors with nothing to learn inherit the
  no-op.
* :meth:`Detector.score` is pure: the same posts give the same scores, in any
  order and any batch size, and nothing is written anywhere.
* :meth:`Detector.detect` wraps the scores with their evidence;
  :meth:`Detector.explain` gives the evidence for one post in full.
* ``name`` is a storage key -- detections are stored under it -- and is never
  renamed.  ``version`` changes whenever the scores could (new weights, a new
  registry), so ``marsad scan`` knows which posts to score again.
* :meth:`Detector.examples` gives a few built-in posts (synthetic, benign
  indicator tokens only) on which the shared conformance suite
  (``tests/detect/test_conformance.py``) runs every detector.

Detectors see posts as the store holds them: ``text_norm``, ``hashtags``,
``mentions``, ``urls`` and ``lang`` are filled by enrichment at ingest.
:func:`text_posts` builds such posts from bare texts (training files, tests).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

from marsad.model import Detection, Post
from marsad.text.enrich import enrich_posts

__all__ = ["Detector", "Explanation", "text_posts"]

#: what a detector can score (``Detection.target_kind``)
TARGET_KINDS = ("post", "account", "media")


@dataclass(frozen=True)
class Explanation:
    """Why a detector gave a post its score.

    ``score`` is the detection's score; ``evidence`` is what is stored with the
    detection (small: matched indicators, the top features); ``features`` are
    the signed contributions of every feature that moved the score, largest
    first, as (feature, contribution) pairs -- positive pushes towards
    propaganda; ``spans`` are (start, end, label) places in ``text``, the text
    the detector read (for indicators the normalised text)."""

    detector: str
    version: str
    score: float
    text: str
    evidence: dict[str, Any] = field(default_factory=dict)
    features: list[tuple[str, float]] = field(default_factory=list)
    spans: list[tuple[int, int, str]] = field(default_factory=list)


class Detector(ABC):
    """A scorer of posts.  See the module docstring for the contract."""

    #: storage key of this detector's detections; never renamed
    name: ClassVar[str]
    #: what it scores: one of :data:`TARGET_KINDS`
    target_kind: ClassVar[str] = "post"
    #: languages it is meant for (ISO 639-1); others are scored but may be weaker
    languages: ClassVar[tuple[str, ...]] = ("ar", "en", "fr")
    #: whether :meth:`fit` learns anything
    trainable: ClassVar[bool] = False

    @property
    @abstractmethod
    def version(self) -> str:
        """Changes whenever the scores could change (code, weights, registry)."""

    def fit(self, posts: Sequence[Post], labels: Sequence[int] | npt.NDArray[np.int64]) -> Self:
        """Learn from *posts* labelled 1 (propaganda) or 0; returns self.
        The default learns nothing."""
        return self

    @abstractmethod
    def score(self, posts: Sequence[Post]) -> npt.NDArray[np.float64]:
        """One score in [0, 1] per post, higher meaning more likely propaganda.
        Pure: no state changes, and each post's score does not depend on the
        others in the batch."""

    def evidence(
        self, posts: Sequence[Post], scores: npt.NDArray[np.float64]
    ) -> list[dict[str, Any]]:
        """What to store with each score; by default nothing."""
        return [{} for _ in posts]

    def scored(self, posts: Sequence[Post]) -> tuple[npt.NDArray[np.float64], list[dict[str, Any]]]:
        """(scores, evidence) of *posts*; detectors that find both in one pass
        override it so that :meth:`detect` does the work once."""
        scores = self.score(posts)
        return scores, self.evidence(posts, scores)

    @abstractmethod
    def explain(self, post: Post) -> Explanation:
        """The full evidence for *post*'s score."""

    def detect(self, posts: Sequence[Post]) -> list[Detection]:
        """The detections of *posts*: one per post, in order."""
        scores, evidence = self.scored(posts)
        return [
            Detection(
                detector=self.name,
                detector_version=self.version,
                target_kind=self.target_kind,
                platform=post.platform,
                target_id=post.native_id,
                score=float(score),
                evidence=ev,
            )
            for post, score, ev in zip(posts, scores, evidence, strict=True)
        ]

    @classmethod
    def examples(cls) -> list[Post]:
        """Built-in posts for the conformance suite: synthetic, benign, in the
        detector's languages, with the edge cases (empty text, emoji only,
        a long post).  Subclasses add posts that exercise their evidence."""
        return text_posts(
            [
                "The weather is fine today and the market opens at nine.",
                "الطقس جميل اليوم والسوق يفتح في التاسعة",
                "Il fait beau aujourd'hui et le marché ouvre à neuf heures.",
                "",
                "😀😀😀",
                "#hashtag @someone https://example.org/page 2024",
                " ".join(["long"] * 400),
            ]
        )


def text_posts(
    texts: Sequence[str], *, platform: str = "text", ids: Sequence[str] | None = None
) -> list[Post]:
    """Posts made from bare *texts* and enriched as ingest does (normalised
    text, hashtags, mentions, links, language), numbered from 0 unless *ids*."""
    names = ids if ids is not None else [str(i) for i in range(len(texts))]
    return enrich_posts(
        [Post(platform=platform, native_id=n, text=t) for n, t in zip(names, texts, strict=True)]
    )
