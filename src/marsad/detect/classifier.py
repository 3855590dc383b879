"""The text classifier: a linear model over hashed word and character n-grams.

Part of the *detect* stage (contract in :mod:`marsad.detect.base`).  The
features are :mod:`marsad.detect.features` (word 1-2-grams and character
2-5-grams inside words, sublinear TF-IDF, hashed into ``2^bits`` buckets); the
model is L2-regularised logistic regression fitted by scikit-learn; the score
is a *calibrated* probability, ``sigmoid(a * margin + b)``, with ``a`` and
``b`` fitted (Platt scaling) on out-of-fold margins of a cross-validation
grouped by account (:mod:`marsad.detect.evaluate`), so that 0.8 means about
8 in 10 posts scoring there were labelled propaganda -- in the training data.

Scoring needs numpy only: the margin of a post is ``sum(w[b] * idf[b] *
share)`` over its n-gram occurrences ``b`` plus the intercept, where *share*
(:func:`marsad.detect.features.weights`) carries the term frequency and the
norm -- one ``bincount`` for a whole batch.

**Model files** are `safetensors <https://github.com/huggingface/safetensors>`_:
a JSON header, then raw little-endian arrays.  Loading one reads numbers and
JSON and nothing else, so a model file from anywhere cannot run code; a
pickle (or anything but a marsad safetensors file) is refused with
:class:`~marsad.errors.BadModel` before any of it is interpreted.  The header
carries the feature spec, the calibration, the per-language thresholds the
training chose, and the model card's facts (training files and their
SHA-256, date, cross-validated metrics).

**Explanations** (:meth:`TextClassifier.explain`): every n-gram occurrence
contributes ``w[b] * idf[b] / norm`` to the margin; the contributions are
summed per distinct n-gram (the top features) and per word of the prepared
text (each character n-gram to the word it lies in, each word n-gram shared
by its words), which is what an analyst reads.

**Known false positives**: the model learns the vocabulary of its training
data.  Posts *about* the movement (news, research, counter-speech) share that
vocabulary, and the training data holds only a few thousand of them; quoted
scripture shares the vocabulary of supporters who quote it.  The risk score
(:mod:`marsad.detect.risk`) and the evaluation report (``docs/``) say how
much of each remains.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

from marsad.detect.base import Detector, Explanation
from marsad.detect.features import (
    FeatureSpec,
    Occurrences,
    Prepared,
    char_classes,
    featurize,
    prepare,
    run_weights,
    weights,
)
from marsad.detect.risk import EVIDENCE_WORDS, RiskModel
from marsad.errors import BadModel
from marsad.files import replacing
from marsad.model import Post

__all__ = [
    "MIN_LANGUAGE_SUPPORT",
    "MODEL_FORMAT",
    "ROUTES",
    "TextClassifier",
    "default_model_path",
    "language_balance",
]

MODEL_FORMAT = "marsad-text-classifier"
#: the models of a classifier: Arabic-script posts ("ar") and the rest ("default")
ROUTES = ("default", "ar")
#: fewest training posts (with both labels) for a route to get its own model
MIN_ROUTE_ROWS = 200
#: the most :func:`language_balance` multiplies a row's weight by
MAX_LANGUAGE_BOOST = 10.0
#: fewest training posts of each label a language needs for the classifier's
#: score to count on its posts (:meth:`TextClassifier.supported`)
MIN_LANGUAGE_SUPPORT = 100
_FORMAT_VERSION = 1
_BATCH = 8192  # posts featurised at once: bounds memory (about 60 MB per batch)
_MAX_HEADER = 16 << 20  # a safetensors header larger than this is not ours


def default_model_path() -> Path:
    """Where the packaged default model lies (``marsad/detect/models``)."""
    return Path(__file__).with_name("models") / "default.safetensors"


def _texts(posts: Sequence[Post]) -> list[str]:
    return [p.text_norm if p.text_norm is not None else (p.text or "") for p in posts]


def _sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def language_balance(
    weight: npt.NDArray[np.float64] | None,
    langs: Sequence[str],
    y: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """Fitting weights under which a post's language says nothing of its label.

    Within each language, positives and negatives are reweighted so that
    their weighted share of positives is the share over all the rows given
    (one route's rows), keeping the language's total weight; no factor
    exceeds :data:`MAX_LANGUAGE_BOOST`, and a language with one class only is
    left as it is.  Without this the model learns which languages its
    labelled data happens to hold in which class -- in ``../shared/datasets``
    French is 579 positives and 48 negatives, and plain French sentences
    scored 0.9 (issue 4's notes) -- instead of what the text says.
    """
    w = np.ones(len(y)) if weight is None else np.array(weight, dtype=np.float64)
    total = float(w.sum())
    if total <= 0:
        return w
    share = float(w[y == 1].sum()) / total
    lang = np.asarray(langs, dtype=object)
    for value in set(langs):
        m = lang == value
        pos, neg = m & (y == 1), m & (y == 0)
        w1, w0 = float(w[pos].sum()), float(w[neg].sum())
        if w1 <= 0 or w0 <= 0:
            continue
        n = w1 + w0
        w[pos] *= min(share * n / w1, MAX_LANGUAGE_BOOST)
        w[neg] *= min((1 - share) * n / w0, MAX_LANGUAGE_BOOST)
    return w


class TextClassifier(Detector):
    """Hashed n-gram logistic regression with calibrated scores.

    Parameters (stored, not used until :meth:`fit`): *spec* the features,
    *C* the inverse regularisation strength (10: measured +0.002 of pooled
    F1 over 30 with the current features), *C_ar* the Arabic route's (None:
    *C*; less regularised by default: measured +0.3 points of accuracy on the
    Arabic labelled file at 100 against 30), *class_weight* ``"balanced"`` or
    None, *max_iter* the solver's iteration limit, *min_df* the fewest
    training posts an n-gram must be in to count, *balance_languages*
    whether the rows of the route of Latin and other scripts are reweighted so
    that no language predicts the label (:func:`language_balance`),
    *evidence_words* the known words at which a post's log-odds count half
    in the risk (:func:`marsad.detect.risk.evidence_factor`; 0: all count).
    """

    name: ClassVar[str] = "text-classifier"
    trainable: ClassVar[bool] = True
    _CODE_VERSION = "1"

    def __init__(
        self,
        spec: FeatureSpec | None = None,
        *,
        C: float = 10.0,  # noqa: N803 -- scikit-learn's name
        C_ar: float | None = 100.0,  # noqa: N803
        class_weight: str | None = "balanced",
        max_iter: int = 2000,
        min_df: int = 2,
        balance_languages: bool = True,
        evidence_words: float = EVIDENCE_WORDS,
    ) -> None:
        self.spec = spec
        self.evidence_words = evidence_words
        self.balance_languages = balance_languages
        self.min_df = min_df
        self.C = C
        self.C_ar = C_ar
        self.class_weight = class_weight
        self.max_iter = max_iter

    # -- learned state (set by fit or load); one row per route (ROUTES)
    spec_: FeatureSpec
    weights_: npt.NDArray[np.float32]  # (routes, buckets): w[b] * idf[b]
    idf_: npt.NDArray[np.float32]  # (routes, buckets)
    intercept_: npt.NDArray[np.float64]  # (routes,)
    calibration_: npt.NDArray[np.float64]  # (routes, 2): Platt's a and b
    thresholds_: dict[str, float]
    #: training posts per language: (negatives, positives); see supported()
    language_support_: dict[str, tuple[int, int]]
    #: the risk's evidence_factor k (0 in model files written before it existed)
    evidence_words_: float = 0.0
    risk_text_: RiskModel | None = None  # set by training (marsad.detect.evaluate.train)
    risk_author_: RiskModel | None = None
    meta_: dict[str, Any]
    model_version_: str

    @property
    def version(self) -> str:
        return f"{self._CODE_VERSION}+{self.model_version_}"

    # -- features

    def _occurrences(
        self, texts: Sequence[str], *, positions: bool = False
    ) -> tuple[Prepared, Occurrences]:
        prepared = prepare(texts, mentions=self.spec_.mentions)
        return prepared, featurize(prepared, self.spec_, positions=positions)

    def routes(self, posts: Sequence[Post]) -> npt.NDArray[np.int64]:
        """The route of each post: 1 (``ar``) when it has more Arabic-script
        letters than Latin ones, else 0 (``default``)."""
        texts = _texts(posts)
        out = np.zeros(len(texts), dtype=np.int64)
        for at in range(0, len(texts), _BATCH):
            out[at : at + _BATCH] = prepare(texts[at : at + _BATCH]).arabic
        return out

    def matrix(self, posts: Sequence[Post], route: int = 0) -> Any:
        """The TF-IDF matrix of *posts* (scipy CSR) with the fitted idf of
        *route*: what that route's linear model sees.  Used for fitting;
        scoring never builds it."""
        from scipy import sparse

        texts = _texts(posts)
        blocks = []
        for at in range(0, len(texts), _BATCH):
            chunk = texts[at : at + _BATCH]
            prepared, occ = self._occurrences(chunk)
            idf = self.idf_[route].astype(np.float64)[occ.bucket]
            values = idf * weights(occ, idf, prepared.arabic, self.spec_)
            blocks.append(
                sparse.csr_matrix(
                    (values, (occ.doc, occ.bucket)), shape=(len(chunk), self.spec_.buckets)
                )
            )
        return (
            sparse.vstack(blocks, format="csr")
            if blocks
            else sparse.csr_matrix((0, self.spec_.buckets))
        )

    def _idf(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        df = np.zeros(self.spec_.buckets, dtype=np.int64)
        for at in range(0, len(texts), _BATCH):
            _, occ = self._occurrences(texts[at : at + _BATCH])
            pairs = np.unique(occ.doc * self.spec_.buckets + occ.bucket)
            df += np.bincount(pairs % self.spec_.buckets, minlength=self.spec_.buckets)
        n = len(texts)
        idf: npt.NDArray[np.float32] = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        # n-grams seen in fewer than min_df training posts are left out, as a
        # vocabulary's min_df does: they weigh nothing and, with idf 0, do not
        # stretch a post's norm either (an unseen n-gram would otherwise dilute
        # every score of a post full of new words)
        idf[df < max(self.min_df, 1)] = 0.0
        return idf

    def _fit_route(
        self,
        posts: Sequence[Post],
        y: npt.NDArray[np.int64],
        weight: npt.NDArray[np.float64] | None,
        C: float,  # noqa: N803
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], float]:
        """(weights, idf, intercept) of one route's model fitted on *posts*."""
        from sklearn.linear_model import LogisticRegression

        idf = self._idf(_texts(posts))
        self.idf_ = idf[None, :]
        x = self.matrix(posts, 0)
        model = LogisticRegression(
            C=C, class_weight=self.class_weight, solver="liblinear", max_iter=self.max_iter
        )
        model.fit(x, y, sample_weight=weight)
        return (model.coef_.ravel() * idf).astype(np.float32), idf, float(model.intercept_[0])

    def fit(
        self,
        posts: Sequence[Post],
        labels: Sequence[int] | npt.NDArray[np.int64],
        *,
        sample_weight: Sequence[float] | npt.NDArray[np.float64] | None = None,
    ) -> Self:
        """Fit one model per route on the *posts* of that route and their
        *labels* (1 propaganda, 0 not): Arabic-script posts and the rest learn
        apart, so that neither language's vocabulary drowns the other's (the
        Arabic model is measured better on Arabic than a pooled one; issue 4's
        notes).  A route with fewer than :data:`MIN_ROUTE_ROWS` posts or one
        class takes the model fitted on every post.  Calibration and
        thresholds are left as the identity and 0.5:
        :func:`marsad.detect.evaluate.train` sets them from a grouped
        cross-validation."""
        y = np.asarray(labels, dtype=np.int64)
        if set(np.unique(y)) - {0, 1} or len(np.unique(y)) < 2:
            raise ValueError("labels must be 0 and 1, with both present")
        self.spec_ = self.spec or FeatureSpec()
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        support: dict[str, list[int]] = {}
        for post, label in zip(posts, y.tolist(), strict=True):
            support.setdefault(post.lang or "und", [0, 0])[label] += 1
        self.language_support_ = {k: (v[0], v[1]) for k, v in sorted(support.items())}
        route = self.routes(posts)
        fitted: list[tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], float] | None] = []
        for r in range(len(ROUTES)):
            m = route == r
            if m.sum() >= MIN_ROUTE_ROWS and len(np.unique(y[m])) == 2:
                idx = np.flatnonzero(m)
                route_posts = [posts[int(i)] for i in idx]
                route_weight = None if weight is None else weight[m]
                if self.balance_languages and ROUTES[r] != "ar":
                    # the Arabic-script route is one language; what the
                    # identifier calls its short texts ("und", "fa" ...) is
                    # noise, and balancing it cost the Arabic file 0.3 points
                    langs = [p.lang or "und" for p in route_posts]
                    route_weight = language_balance(route_weight, langs, y[m])
                fitted.append(
                    self._fit_route(
                        route_posts,
                        y[m],
                        route_weight,
                        self.C_ar if ROUTES[r] == "ar" and self.C_ar is not None else self.C,
                    )
                )
            else:
                fitted.append(None)
        if any(f is None for f in fitted):
            if self.balance_languages:
                weight = language_balance(weight, [p.lang or "und" for p in posts], y)
            pooled = self._fit_route(posts, y, weight, self.C)
            fitted = [f or pooled for f in fitted]
        done = [f for f in fitted if f is not None]
        self.weights_ = np.stack([f[0] for f in done])
        self.idf_ = np.stack([f[1] for f in done])
        self.intercept_ = np.array([f[2] for f in done], dtype=np.float64)
        self.calibration_ = np.tile(np.array([1.0, 0.0]), (len(ROUTES), 1))
        self.thresholds_ = {"default": 0.5}
        self.evidence_words_ = float(self.evidence_words)
        self.meta_ = {}
        self._round()
        return self

    def _round(self) -> None:
        """Store weights as a model file does (float16), so a fitted model and
        the same model saved and loaded score alike; set the model version."""
        self.weights_ = self.weights_.astype(np.float16).astype(np.float32)
        self.idf_ = self.idf_.astype(np.float16).astype(np.float32)
        digest = hashlib.sha256()
        digest.update(self.weights_.tobytes())
        digest.update(self.idf_.tobytes())
        digest.update(json.dumps([self.spec_.as_dict(), self.intercept_.tolist()]).encode())
        self.model_version_ = digest.hexdigest()[:12]

    # -- scoring

    def margins(
        self, posts: Sequence[Post]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """(margin, route) per post: the route's linear model's margin (log-odds
        before calibration)."""
        margin, route, _ = self.margins_evidence(posts)
        return margin, route

    def _coefs64(self) -> npt.NDArray[np.float64]:
        """The weights as float64, converted once per weights array (16 MB: a
        conversion per call cost a one-post explanation 3 ms)."""
        cached: tuple[Any, npt.NDArray[np.float64]] | None = getattr(self, "_coefs64_of", None)
        if cached is None or cached[0] is not self.weights_:
            cached = (self.weights_, self.weights_.ravel().astype(np.float64))
            self._coefs64_of = cached
        return cached[1]

    def margins_evidence(
        self, posts: Sequence[Post]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """(margin, route, known words) per post: :meth:`margins` and how many
        of the post's words the model knows -- occurrences of words (not
        punctuation, symbols, numbers or handles) whose bucket was in at
        least ``min_df`` training posts of the route (a bucket shared with
        another n-gram by hashing counts too: about a fifth of the buckets
        of the packaged model's Latin route are in use).  A post of one known word ("breaking")
        carries little evidence whatever its margin says; the risk shrinks
        its log-odds by :func:`evidence_factor`."""
        texts = _texts(posts)
        out = np.empty(len(texts), dtype=np.float64)
        routes = np.zeros(len(texts), dtype=np.int64)
        known = np.zeros(len(texts), dtype=np.float64)
        buckets = self.spec_.buckets
        coefs, idfs = self._coefs64(), self.idf_.ravel()
        word_class = char_classes()
        for at in range(0, len(texts), _BATCH):
            chunk = texts[at : at + _BATCH]
            prepared, occ = self._occurrences(chunk, positions=True)
            route = prepared.arabic.astype(np.int64)
            doc_route = route * buckets

            def idf_of(i: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
                found: npt.NDArray[np.float64] = idfs[doc_route[occ.doc[i]] + occ.bucket[i]]  # noqa: B023
                return found.astype(np.float64)

            first, value = run_weights(occ, idf_of, prepared.arabic, self.spec_)
            weight = coefs[doc_route[occ.doc[first]] + occ.bucket[first]]
            dot = np.bincount(occ.doc[first], weight * value, minlength=len(chunk))
            out[at : at + len(chunk)] = dot + self.intercept_[route]
            routes[at : at + len(chunk)] = route
            unigram = np.flatnonzero(occ.kind == 101)
            unigram = unigram[idf_of(unigram) > 0]
            at_ = prepared.begin[occ.doc[unigram]] + occ.start[unigram]
            first_code = prepared.codes[at_]
            # a word: starts with a letter (not a digit's "0", not "_user_"),
            # and is not a handle ("@ name" once prepared)
            is_word = (
                (word_class[np.minimum(first_code, len(word_class) - 1)] == 1)
                & (first_code != ord("0"))
                & (first_code != ord("_"))
                & (prepared.codes[np.maximum(at_ - 2, 0)] != ord("@"))
            )
            known[at : at + len(chunk)] = np.bincount(
                occ.doc[unigram[is_word]], minlength=len(chunk)
            )
        return out, routes, known

    def margin(self, posts: Sequence[Post]) -> npt.NDArray[np.float64]:
        """The margin of each post (:meth:`margins` without the routes)."""
        return self.margins(posts)[0]

    def supported(self, posts: Sequence[Post]) -> npt.NDArray[np.bool_]:
        """Whether the classifier's score counts for each post: its language had
        at least :data:`MIN_LANGUAGE_SUPPORT` training posts of each label.

        Elsewhere the score says more about which languages the labelled data
        happened to hold in which class than about the post (French, in
        ``../shared/datasets``: 579 positives and 48 negatives), and the risk
        leaves it out (:class:`~marsad.detect.scorer.RiskScorer`).  A model
        saved before this was recorded supports every language.
        """
        support = getattr(self, "language_support_", None)
        if not support:
            return np.ones(len(posts), dtype=bool)
        ok = {k for k, (neg, pos) in support.items() if min(neg, pos) >= MIN_LANGUAGE_SUPPORT}
        return np.array([(p.lang or "und") in ok for p in posts], dtype=bool)

    def calibrate(
        self, margins: npt.NDArray[np.float64], routes: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """Calibrated probabilities from margins, with each route's Platt scaling."""
        a, b = self.calibration_[routes, 0], self.calibration_[routes, 1]
        return _sigmoid(a * margins + b)

    def score(self, posts: Sequence[Post]) -> npt.NDArray[np.float64]:
        return self.calibrate(*self.margins(posts))

    def evidence(
        self, posts: Sequence[Post], scores: npt.NDArray[np.float64]
    ) -> list[dict[str, Any]]:
        return [{"model": self.model_version_} for _ in posts]

    def explain(self, post: Post, *, top: int = 10) -> Explanation:
        """The margin's contributions: the *top* n-grams each way and every word."""
        prepared, occ = self._occurrences(_texts([post]), positions=True)
        text = prepared.text(0)
        route = int(prepared.arabic[0])
        idf = self.idf_[route][occ.bucket].astype(np.float64)
        share = weights(occ, idf, prepared.arabic, self.spec_)
        contrib = self.weights_[route][occ.bucket].astype(np.float64) * share
        intercept = float(self.intercept_[route])
        padded = f" {text} "
        by_feature: dict[str, float] = {}
        for c, s, n, k in zip(contrib, occ.start, occ.length, occ.kind, strict=True):
            gram = padded[s + 1 : s + 1 + n]
            key = f"word:{gram}" if k > 100 else f"char:{gram.replace(' ', '_')}"
            by_feature[key] = by_feature.get(key, 0.0) + float(c)
        # words: spans of the prepared text; each occurrence to the words it covers
        starts, ends = [], []
        pos = 0
        for word in text.split(" "):
            starts.append(pos)
            ends.append(pos + len(word))
            pos += len(word) + 1
        word_starts = np.asarray(starts, dtype=np.int64)
        per_word = np.zeros(len(starts))
        if len(word_starts) and len(occ.start):
            first = np.searchsorted(word_starts, np.maximum(occ.start, 0), side="right") - 1
            last = np.searchsorted(word_starts, occ.start + occ.length - 1, side="right") - 1
            last = np.minimum(np.maximum(last, first), len(starts) - 1)
            for f, la, c in zip(first, last, contrib, strict=True):
                per_word[f : la + 1] += c / (la - f + 1)
        ranked = sorted(by_feature.items(), key=lambda kv: -abs(kv[1]))
        margin = float(np.sum(contrib)) + intercept
        score = float(self.calibrate(np.array([margin]), np.array([route]))[0])
        words = sorted(range(len(starts)), key=lambda i: -abs(per_word[i]))
        return Explanation(
            detector=self.name,
            version=self.version,
            score=score,
            text=text,
            evidence={
                "model": self.model_version_,
                "margin": margin,
                "intercept": intercept,
                "route": ROUTES[route],
                "top_features": [[k, round(v, 4)] for k, v in ranked if v > 0][:top],
                "against": [[k, round(v, 4)] for k, v in ranked if v < 0][:top],
            },
            features=ranked,
            spans=[
                (starts[i], ends[i], f"{per_word[i]:+.3f}")
                for i in words
                if ends[i] > starts[i] and per_word[i] != 0
            ],
        )

    # -- model files

    def save(self, path: Path, meta: dict[str, Any] | None = None) -> Path:
        """Write the model to *path* (safetensors), atomically.  *meta* (training
        files, metrics ...) is kept in the header beside what scoring needs."""
        from safetensors.numpy import save_file

        if meta is not None:
            self.meta_ = meta
        header = {
            "format": MODEL_FORMAT,
            "format_version": _FORMAT_VERSION,
            "detector": self.name,
            "model_version": self.model_version_,
            "features": self.spec_.as_dict(),
            "routes": list(ROUTES),
            "intercept": self.intercept_.tolist(),
            "calibration": self.calibration_.tolist(),
            "thresholds": self.thresholds_,
            "evidence_words": self.evidence_words_,
            "language_support": {
                k: list(v) for k, v in getattr(self, "language_support_", {}).items()
            },
            "risk": {
                "text": None if self.risk_text_ is None else self.risk_text_.as_dict(),
                "author": None if self.risk_author_ is None else self.risk_author_.as_dict(),
            },
            "meta": self.meta_,
        }
        with replacing(path) as tmp:
            save_file(
                {"weights": self.weights_.astype(np.float16), "idf": self.idf_.astype(np.float16)},
                str(tmp),
                metadata={"marsad": json.dumps(header, ensure_ascii=False, sort_keys=True)},
            )
        return path

    @classmethod
    def load(cls, path: Path | None = None) -> TextClassifier:
        """The model at *path* (default: the packaged one).

        Raises :class:`~marsad.errors.BadModel` naming the file and the
        problem for anything but a marsad model: a pickle or a zip is refused
        by its first bytes, before anything in it is read as data.
        """
        path = path or default_model_path()
        header, tensors = _read_model(path)
        model = cls()
        try:
            model.spec_ = FeatureSpec.from_dict(header["features"])
            if header["routes"] != list(ROUTES):
                raise ValueError(f"routes {header['routes']!r}, expected {list(ROUTES)!r}")
            model.intercept_ = np.array([float(v) for v in header["intercept"]], dtype=np.float64)
            model.calibration_ = np.array(
                [[float(a), float(b)] for a, b in header["calibration"]], dtype=np.float64
            )
            if model.intercept_.shape != (len(ROUTES),) or model.calibration_.shape != (
                len(ROUTES),
                2,
            ):
                raise ValueError("one intercept and one (a, b) calibration per route")
            model.thresholds_ = {str(k): float(v) for k, v in header["thresholds"].items()}
            model.language_support_ = {
                str(k): (int(v[0]), int(v[1]))
                for k, v in (header.get("language_support") or {}).items()
            }
            model.meta_ = dict(header.get("meta") or {})
            model.evidence_words_ = float(header.get("evidence_words") or 0.0)
            if not 0.0 <= model.evidence_words_ < 1000.0:
                raise ValueError(f"evidence_words {model.evidence_words_!r}")
            risk = header.get("risk") or {}
            model.risk_text_ = RiskModel.from_dict(risk["text"]) if risk.get("text") else None
            model.risk_author_ = RiskModel.from_dict(risk["author"]) if risk.get("author") else None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadModel(f"{path}: the model header is incomplete or invalid ({exc})") from exc
        if "default" not in model.thresholds_:
            raise BadModel(f"{path}: the model has no default threshold")
        for name in ("weights", "idf"):
            arr = tensors.get(name)
            shape = (len(ROUTES), model.spec_.buckets)
            if arr is None or arr.shape != shape:
                raise BadModel(
                    f"{path}: tensor {name!r} must have shape {shape}, "
                    f"got {None if arr is None else arr.shape}"
                )
            if not np.all(np.isfinite(arr)):
                raise BadModel(f"{path}: tensor {name!r} holds non-finite values")
        model.weights_ = tensors["weights"].astype(np.float32)
        model.idf_ = tensors["idf"].astype(np.float32)
        model._round()
        if model.model_version_ != header.get("model_version"):
            raise BadModel(
                f"{path}: the weights do not match the model version in the header "
                "(the file was altered or damaged)"
            )
        return model


def _read_model(path: Path) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
    """The marsad header and the tensors of a safetensors file, checked."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        with path.open("rb") as fh:
            head = fh.read(9)
            size = path.stat().st_size
    except OSError as exc:
        raise BadModel(f"{path}: cannot read the model file ({exc.strerror or exc})") from exc
    if len(head) < 9:
        raise BadModel(f"{path}: not a model file (only {len(head)} bytes)")
    (length,) = struct.unpack("<Q", head[:8])
    if head[8:9] != b"{" or length > min(_MAX_HEADER, size - 8):
        kind = "a Python pickle" if head[:1] == b"\x80" else "not a safetensors file"
        raise BadModel(
            f"{path}: {kind}; marsad loads only its own safetensors model files "
            "(never pickles, which can run code)"
        )
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise BadModel(f"{path}: damaged safetensors file ({exc})") from exc
    try:
        header = json.loads(meta.get("marsad", ""))
    except json.JSONDecodeError as exc:
        raise BadModel(
            f"{path}: a safetensors file, but not a marsad model (no marsad header)"
        ) from exc
    if not isinstance(header, dict) or header.get("format") != MODEL_FORMAT:
        raise BadModel(f"{path}: not a {MODEL_FORMAT} model")
    if header.get("format_version") != _FORMAT_VERSION:
        raise BadModel(
            f"{path}: model format version {header.get('format_version')!r}; this marsad "
            f"reads version {_FORMAT_VERSION} -- retrain with `marsad train`"
        )
    return header, tensors
