"""The post risk score: the classifier, the indicators and the context, in one calibrated number.

Part of the *detect* stage.  Neither the text classifier nor the indicators
alone is the right score for a review queue: the classifier knows the
vocabulary but not the branding, the indicators know the branding but not
who is using it, and neither knows the post's context.  The risk score
combines them in two small logistic models whose coefficients are fitted on
the *out-of-fold* outputs of the cross-validation (:mod:`marsad.detect.evaluate`),
so they are learnt from posts the classifier had not seen:

1. **Text risk** -- what the post alone says:
   ``r0 = sigmoid(b + a * z + c * indicators + e . cues)``, with ``z`` the
   classifier's log-odds, ``indicators`` the indicator detector's score
   (noisy-OR of weights; ``c >= 0``, so an indicator never lowers a risk)
   and ``cues`` the post's stance cues (:mod:`marsad.detect.stance`:
   attribution, news form, condemnation, how it names the group, praise,
   calls, quotation ...), whose signs are learnt: in the keyword-found
   training file supporters use condemnation words more than the press does
   (against their enemies), so no direction is assumed.
2. **Author context** -- when the author has other posts in the workspace:
   ``r = sigmoid(b' + a' * logit(r0) + d * author_z)``, with ``author_z`` the
   sum of the classifier's log-odds over the author's *other* posts divided
   by their number plus :data:`AUTHOR_SHRINK` (a mean shrunk towards 0, so
   that one other post says little and a hundred say a lot).  An account
   whose other posts read as propaganda makes its ambiguous posts riskier
   -- "hahah true" from such an account is not the same post as from anyone
   else -- as a platform's account-level signals do, and an account whose
   other posts are plainly news or sport makes them less risky.  Posts
   without other posts by their author keep ``r0``.

The labels of the training data are account-level (every tweet of an account
judged pro-ISIS is "pro-ISIS", whatever it says), which a text-only model
cannot know; the evaluation reports the text risk and the risk with author
context side by side, so that the share of each is visible.

**Evidence.**  Before either stage the classifier's log-odds are shrunk
towards 0 (no evidence either way) by :func:`evidence_factor`,
``known / (known + k)`` with ``known`` the post's words the model knows
(:meth:`~marsad.detect.classifier.TextClassifier.margins_evidence`) and
``k`` the model's ``evidence_words``: a post of one known word ("breaking")
keeps a quarter of its log-odds at ``k = 3``, a post of twenty keeps 87%.
Not learnt either: in account-labelled training data a one-word post of a
pro-ISIS account is a positive, so the data would teach that one word is
enough -- and on a real stream, where perhaps one post in a thousand
supports the group, one word is never enough.  The stages are fitted on the
shrunk log-odds, so their calibration holds for them.

3. **Context rules**, not learnt because the training data would teach the
   opposite (supporters quote scripture, and their quotations carry the
   account's label): a post that is mostly a quotation of the Qur'an or
   Hadith (:mod:`marsad.detect.context`) and carries no indicator has its
   risk scaled down by the share quoted -- quoting scripture is not
   extremism.

Thresholds are chosen on the text risk, per language group, in the same
cross-validation (:class:`~marsad.detect.policy.Policy`), and apply to the
risk: a post on its own is judged as the evaluation judged posts on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "AUTHOR_SHRINK",
    "EVIDENCE_WORDS",
    "RiskModel",
    "author_risk",
    "evidence_factor",
    "logit",
    "sigmoid",
    "text_risk",
]

#: pseudo-posts of log-odds 0 added to an author's other posts (see the docstring)
AUTHOR_SHRINK = 10.0
#: known words at which a post's classifier log-odds count half (:func:`evidence_factor`);
#: chosen on the cross-validation and the benign probe set (issue 16's notes, BENCHMARKS.md)
EVIDENCE_WORDS = 3.0
#: a post whose factor is under this is explained as "too little text"
TOO_LITTLE_TEXT = 0.5
#: how much of a post must be quotation before the scripture rule applies
SCRIPTURE_MIN_SHARE = 0.5
_CLIP = 1e-9


def logit(p: npt.ArrayLike) -> npt.NDArray[np.float64]:
    q = np.clip(np.asarray(p, dtype=np.float64), _CLIP, 1 - _CLIP)
    out: npt.NDArray[np.float64] = np.log(q) - np.log1p(-q)
    return out


def sigmoid(z: npt.ArrayLike) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))
    return out


def evidence_factor(
    known_words: npt.ArrayLike, evidence_words: float = EVIDENCE_WORDS
) -> npt.NDArray[np.float64]:
    """How much of a post's classifier log-odds count: ``known / (known + k)``
    (module docstring); 1 everywhere when *evidence_words* is 0 (a model
    trained before this existed)."""
    n = np.asarray(known_words, dtype=np.float64)
    if evidence_words <= 0:
        return np.ones_like(n)
    out: npt.NDArray[np.float64] = n / (n + evidence_words)
    return out


def author_z(
    own_z: npt.NDArray[np.float64],
    author_sum: npt.NDArray[np.float64],
    author_n: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """(shrunk mean log-odds of the author's other posts, whether there are
    any) from the author's sum and count over *all* their posts, this one included."""
    others = np.asarray(author_n, dtype=np.float64) - 1
    has = others > 0
    z = np.where(
        has, (np.asarray(author_sum) - own_z) / (np.maximum(others, 0) + AUTHOR_SHRINK), 0.0
    )
    return z, has


def scripture_rule(
    risk: npt.NDArray[np.float64],
    scripture: npt.NDArray[np.float64],
    indicators: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """The scripture context rule of the module docstring."""
    s = np.asarray(scripture, dtype=np.float64)
    quoted = (s >= SCRIPTURE_MIN_SHARE) & (np.asarray(indicators) == 0)
    out: npt.NDArray[np.float64] = np.where(quoted, risk * (1.0 - s), risk)
    return out


def text_risk(
    stage: RiskModel,
    z: npt.NDArray[np.float64],
    indicators: npt.NDArray[np.float64],
    scripture: npt.NDArray[np.float64],
    cues: Mapping[str, npt.NDArray[np.float64]] | None = None,
) -> npt.NDArray[np.float64]:
    """Stage 1 with the scripture rule: the risk of each post on its own.
    *cues* are the stance cues (:func:`marsad.detect.stance.stance_cues`),
    inputs of the stage when it was fitted with them (a stage reads the
    inputs it names and no others)."""
    inputs: dict[str, npt.ArrayLike] = {"z": z, "indicators": indicators}
    if cues:
        inputs |= {k: v for k, v in cues.items() if k in stage.names}
    return scripture_rule(stage(inputs), scripture, indicators)


def author_risk(
    stage: RiskModel | None,
    r0: npt.NDArray[np.float64],
    z: npt.NDArray[np.float64],
    author_sum: npt.NDArray[np.float64],
    author_n: npt.NDArray[np.float64],
    scripture: npt.NDArray[np.float64],
    indicators: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Stage 2 with the scripture rule: (risk, author log-odds) of posts whose
    text risk is *r0*; *author_sum* and *author_n* are the sum of ``z`` over
    all the author's posts and their number, this post included.  Posts
    without other posts by their author (or without a stage) keep *r0*."""
    az, has = author_z(z, author_sum, author_n)
    if stage is None:
        return r0, az
    risk = scripture_rule(stage({"text_logit": logit(r0), "author_z": az}), scripture, indicators)
    return np.where(has, risk, r0), az


@dataclass(frozen=True)
class RiskModel:
    """A small logistic model over named inputs (one stage of the module docstring)."""

    names: tuple[str, ...]
    intercept: float = 0.0
    coef: tuple[float, ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.coef) != len(self.names):
            raise ValueError(f"{len(self.names)} inputs but {len(self.coef)} coefficients")

    def logit(self, inputs: Mapping[str, npt.ArrayLike]) -> npt.NDArray[np.float64]:
        """The model's log-odds from its inputs by name (never by position: a
        model read from a file keeps its names, whatever their order there)."""
        missing = set(self.names) - set(inputs)
        if missing:
            raise ValueError(f"risk model inputs missing: {sorted(missing)}")
        x = np.column_stack([np.asarray(inputs[n], dtype=np.float64) for n in self.names])
        out: npt.NDArray[np.float64] = self.intercept + x @ np.asarray(self.coef)
        return out

    def __call__(self, inputs: Mapping[str, npt.ArrayLike]) -> npt.NDArray[np.float64]:
        return sigmoid(self.logit(inputs))

    @classmethod
    def fit(
        cls,
        names: tuple[str, ...],
        x: npt.NDArray[np.float64],
        y: npt.NDArray[np.int64],
        *,
        nonnegative: tuple[str, ...] = (),
        l2: float = 1e-3,
    ) -> RiskModel:
        """Logistic regression of *y* on the columns *x* (named *names*), with
        the coefficients of *nonnegative* held at zero or above and a light L2
        penalty on the coefficients (not the intercept)."""
        from scipy.optimize import minimize

        yf = np.asarray(y, dtype=np.float64)
        n = max(len(yf), 1)

        def loss(w: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
            p = sigmoid(w[0] + x @ w[1:])
            eps = 1e-12
            value = -float(np.sum(yf * np.log(p + eps) + (1 - yf) * np.log(1 - p + eps))) / n
            value += l2 * float(np.sum(w[1:] ** 2))
            g = (p - yf) / n
            return value, np.concatenate([[g.sum()], x.T @ g + 2 * l2 * w[1:]])

        start = np.zeros(len(names) + 1)
        start[1] = 1.0
        bounds: list[tuple[float | None, float | None]] = [(None, None)] + [
            (0.0, None) if name in nonnegative else (None, None) for name in names
        ]
        res = minimize(
            loss,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 1000},
        )
        return cls(names, float(res.x[0]), tuple(float(v) for v in res.x[1:]))

    def as_dict(self) -> dict[str, Any]:
        pairs = [[n, c] for n, c in zip(self.names, self.coef, strict=True)]
        return {"intercept": self.intercept, "coef": pairs}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RiskModel:
        coef = data["coef"]
        if not isinstance(coef, list) or not all(isinstance(p, list) and len(p) == 2 for p in coef):
            raise ValueError("'coef' must be a list of [input name, coefficient] pairs")
        names = tuple(str(n) for n, _ in coef)
        return cls(names, float(data["intercept"]), tuple(float(c) for _, c in coef))
