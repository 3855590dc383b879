"""The scored pair model of lineage: gradient-boosted trees and a link stage, kept as JSON.

Part of the *score / link* stage.  :mod:`marsad.accounts.lineage` describes
every (candidate successor, candidate predecessor) pair by the features in
:data:`FEATURES`; this model turns them into two probabilities:

* the **pair** probability -- that the pair is a true re-creation, from its
  own evidence: ``sigmoid(a * (baseline + sum of tree leaves) + b)``, the raw
  score of scikit-learn's ``HistGradientBoostingClassifier`` with Platt
  scaling ``(a, b)`` fitted on out-of-fold scores (leave one simulation out),
  so that it is calibrated on data the trees never saw.  Trees, not a linear
  model: on the randomised simulator the evidence interacts (a shared stem
  means little when hundreds of accounts share it; a slow return matters
  less when the suspension is dated loosely), and the trees took the
  out-of-fold recall at the same precision from 0.92 to 0.94 (the card);
* the **link** probability -- that the successor's predecessor *is* this
  account, weighed against the rivals: ``sigmoid(c0 + c1 * pair log-odds +
  c2 * log1p(summed odds of the successor's other candidates) + c3 *
  log1p(summed odds of the predecessor's other candidate successors))``
  (:data:`LINK_INPUTS`), a logistic regression fitted on the same
  out-of-fold scores.  A pair that alone looks right is doubtful when another
  suspended account fits the new one as well.

Training is :mod:`marsad.accounts.train`; the packaged model and its card are
``models/lineage.json`` and ``models/lineage.md``.  A pair's explanation is
each feature's contribution to its log-odds along the trees' decision paths
(the change in the expected score at each split, credited to the split's
feature; they add up to the pair's log-odds minus the bias).

**Model files are JSON** -- a header naming the format and version, the
feature names in order, the trees as arrays, the calibration, the default
threshold and the training metadata.  Loading parses JSON and checks it
(shapes, indices, finite numbers); nothing in a model file can run code (a
pickle is refused with :class:`~marsad.errors.BadModel`, as every other file
that is not this JSON).  A model whose feature list differs from the code's
:data:`FEATURES` is refused too: its trees would read the wrong columns.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from marsad.detect.risk import sigmoid
from marsad.errors import BadModel
from marsad.files import write_text

__all__ = [
    "FEATURES",
    "LINK_INPUTS",
    "MODEL_FORMAT",
    "LineagePairModel",
    "Tree",
    "default_model_path",
]

MODEL_FORMAT = "marsad-lineage-model"
_FORMAT_VERSION = 3
#: a model file larger than this is not ours
_MAX_BYTES = 8 << 20

#: the pair features, in the order of the model's columns (see
#: :func:`marsad.accounts.lineage.pair_features` for each one's definition)
FEATURES: tuple[str, ...] = (
    "handle_similarity",
    "handle_stem_match",
    "handle_stem_similarity",
    "name_similarity",
    "name_same",
    "bio_similarity",
    "bio_same",
    "avatar_same",
    "avatar_similarity",
    "followers_known",
    "followers_regained",
    "followers_jaccard",
    "following_jaccard",
    "audience_jaccard",
    "peers_jaccard",
    "announced",
    "announcer_knows_predecessor",
    "returning_engagement_speed",
    "log_hours_since_last_active",
    "log_hours_since_last_seen",
    "log_hours_after_suspension_seen",
    "log_hours_observed_after_creation",
    "same_language",
    "same_client",
    "later_lookalike_candidates",
    "style_similarity",
    "hours_similarity",
    "posts_known",
    "log_hours_suspension_uncertainty",
    "log_stem_accounts",
    "log_name_accounts",
    "log_shared_followers",
    "habits_jaccard",
)
#: the link stage's inputs, in the order of :attr:`LineagePairModel.link_coef`
#: after its intercept: the pair's log-odds, and ``log1p`` of the summed odds
#: of the successor's other candidates and of the predecessor's other successors
LINK_INPUTS: tuple[str, ...] = ("pair_logit", "successor_rivals", "predecessor_rivals")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def default_model_path() -> Path:
    """The packaged model: ``marsad/accounts/models/lineage.json``."""
    return Path(__file__).with_name("models") / "lineage.json"


@dataclass(frozen=True)
class Tree:
    """One regression tree: node arrays; a row goes left when ``x[feature] <= threshold``.

    ``value`` holds the leaf scores and, at an inner node, the count-weighted
    mean of its leaves (the expected score there, for explanations).
    """

    feature: IntArray
    threshold: FloatArray
    left: IntArray
    right: IntArray
    leaf: npt.NDArray[np.bool_]
    value: FloatArray

    def leaves(self, x: FloatArray) -> IntArray:
        """The leaf each row of *x* falls in (plain numpy: the reference the
        compiled walk of :meth:`LineagePairModel.raw` is tested against)."""
        node = np.zeros(len(x), np.int64)
        rows = np.arange(len(x))
        active = ~self.leaf[node]
        while active.any():
            r, n = rows[active], node[active]
            go_left = x[r, self.feature[n]] <= self.threshold[n]
            node[r] = np.where(go_left, self.left[n], self.right[n])
            active = ~self.leaf[node]
        return node

    def as_dict(self) -> dict[str, list[Any]]:
        return {
            "feature": [int(v) for v in self.feature],
            "threshold": [float(v) for v in self.threshold],
            "left": [int(v) for v in self.left],
            "right": [int(v) for v in self.right],
            "leaf": [bool(v) for v in self.leaf],
            "value": [float(v) for v in self.value],
        }

    @classmethod
    def from_dict(cls, doc: Any, n_features: int) -> Tree:
        """Check and build a tree; raises ``ValueError`` saying what is wrong."""
        if not isinstance(doc, dict):
            raise ValueError("a tree is not an object")
        feature = np.asarray(doc["feature"], np.int64)
        threshold = np.asarray(doc["threshold"], np.float64)
        left = np.asarray(doc["left"], np.int64)
        right = np.asarray(doc["right"], np.int64)
        leaf = np.asarray(doc["leaf"], np.bool_)
        value = np.asarray(doc["value"], np.float64)
        n = len(feature)
        if n == 0 or any(a.shape != (n,) for a in (threshold, left, right, leaf, value)):
            raise ValueError("tree arrays of different lengths")
        inner = ~leaf
        if not (np.isfinite(value).all() and np.isfinite(threshold[inner]).all()):
            raise ValueError("a tree holds a number that is not finite")
        if ((feature[inner] < 0) | (feature[inner] >= n_features)).any():
            raise ValueError("a tree splits on a feature the model does not have")
        kids = np.concatenate([left[inner], right[inner]])
        idx = np.flatnonzero(inner)
        if (
            ((kids <= 0) | (kids >= n)).any()
            or (left[idx] <= idx).any()
            or (right[idx] <= idx).any()
        ):
            raise ValueError("a tree's children must come after their parent")
        return cls(feature, threshold, left, right, leaf, value)

    @classmethod
    def from_sklearn(cls, nodes: Any) -> Tree:
        """From one of scikit-learn's ``TreePredictor.nodes`` (leaf values already
        shrunk); inner values become the count-weighted mean of their leaves."""
        value = np.asarray(nodes["value"], np.float64).copy()
        leaf = np.asarray(nodes["is_leaf"], np.bool_)
        left = np.asarray(nodes["left"], np.int64)
        right = np.asarray(nodes["right"], np.int64)
        count = np.asarray(nodes["count"], np.float64)
        for i in range(len(value) - 1, -1, -1):  # children come after parents
            if not leaf[i]:
                a, b = left[i], right[i]
                value[i] = (count[a] * value[a] + count[b] * value[b]) / max(
                    count[a] + count[b], 1.0
                )
        return cls(
            np.asarray(nodes["feature_idx"], np.int64),
            np.asarray(nodes["num_threshold"], np.float64),
            left,
            right,
            leaf,
            value,
        )


_KERNEL: Any = None


def _kernel() -> Any:
    """The compiled tree walk (numba), compiled on first use: each row's summed
    leaf values and, when *explain* is set, its per-feature path contributions
    (the change in expected score at each split, credited to the split's feature)."""
    global _KERNEL
    if _KERNEL is not None:
        return _KERNEL
    import numba

    @numba.njit(cache=False, nogil=True)
    def walk(x: Any, start: Any, feature: Any, threshold: Any, left: Any, right: Any,
             leaf: Any, value: Any, n_features: Any, explain: Any) -> Any:  # fmt: skip
        total = np.zeros(x.shape[0])
        parts = np.zeros((x.shape[0] if explain else 0, n_features))
        for r in range(x.shape[0]):
            for t in range(len(start)):
                n = start[t]
                while not leaf[n]:
                    if x[r, feature[n]] <= threshold[n]:
                        c = start[t] + left[n]
                    else:
                        c = start[t] + right[n]
                    if explain:
                        parts[r, feature[n]] += value[c] - value[n]
                    n = c
                total[r] += value[n]
        return total, parts

    _KERNEL = walk
    return walk


@dataclass(frozen=True)
class _Packed:
    """Every tree's nodes in one set of arrays (``start[t]``: tree *t*'s first node)."""

    start: IntArray
    feature: IntArray
    threshold: FloatArray
    left: IntArray
    right: IntArray
    leaf: npt.NDArray[np.bool_]
    value: FloatArray

    @classmethod
    def of(cls, trees: tuple[Tree, ...]) -> _Packed:
        sizes = np.array([len(t.feature) for t in trees], np.int64)
        start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        return cls(
            start,
            np.concatenate([t.feature for t in trees]).astype(np.int64),
            np.concatenate([t.threshold for t in trees]),
            np.concatenate([t.left for t in trees]).astype(np.int64),
            np.concatenate([t.right for t in trees]).astype(np.int64),
            np.concatenate([t.leaf for t in trees]),
            np.concatenate([t.value for t in trees]),
        )

    def args(self) -> tuple[Any, ...]:
        return (self.start, self.feature, self.threshold, self.left, self.right, self.leaf,
                self.value)  # fmt: skip


@dataclass(frozen=True)
class LineagePairModel:
    """A fitted pair model and link stage (see the module docstring).  Immutable."""

    trees: tuple[Tree, ...]
    baseline: float
    #: Platt scaling of the raw tree score: ``a * raw + b`` is the pair's log-odds
    platt: tuple[float, float]
    #: the default decision threshold on the link probability, chosen on the
    #: training simulations (see the model card)
    threshold: float
    #: a short content hash, recorded with every result
    version: str
    features: tuple[str, ...] = FEATURES
    meta: dict[str, Any] = field(default_factory=dict)
    #: the link stage: intercept, then one coefficient per :data:`LINK_INPUTS`;
    #: the identity ``(0, 1, 0, 0)`` makes a link's probability its pair's
    link_coef: tuple[float, float, float, float] = (0.0, 1.0, 0.0, 0.0)

    @property
    def _packed(self) -> _Packed:
        packed = self.__dict__.get("_packed_cache")
        if packed is None:
            packed = _Packed.of(self.trees)
            object.__setattr__(self, "_packed_cache", packed)
        return packed

    def raw(self, x: FloatArray) -> FloatArray:
        """The trees' summed score of each row of *x* (before calibration)."""
        x = np.ascontiguousarray(np.nan_to_num(np.asarray(x, np.float64)))
        if not len(x):
            return np.zeros(0)
        total, _ = _kernel()(x, *self._packed.args(), len(self.features), False)
        return np.asarray(total + self.baseline, np.float64)

    def logit(self, x: FloatArray) -> FloatArray:
        """The calibrated pair log-odds of each row of *x* (n_pairs x n_features)."""
        a, b = self.platt
        return np.asarray(a * self.raw(x) + b, np.float64)

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """The calibrated probability that each pair of *x* is a true re-creation."""
        return sigmoid(self.logit(x))

    def link_logit(
        self, pair_logit: FloatArray, successor_rivals: FloatArray, predecessor_rivals: FloatArray
    ) -> FloatArray:
        """The calibrated log-odds of a *link*: the pair's log-odds weighed against
        its rivals (``log1p`` of the summed odds of the successor's other candidate
        predecessors and of the predecessor's other candidate successors)."""
        c0, c1, c2, c3 = self.link_coef
        return np.asarray(
            c0
            + c1 * np.asarray(pair_logit, np.float64)
            + c2 * np.asarray(successor_rivals, np.float64)
            + c3 * np.asarray(predecessor_rivals, np.float64),
            np.float64,
        )

    def contribution_matrix(self, x: FloatArray) -> FloatArray:
        """(rows, features): each feature's share of each row's log-odds -- the change
        in the expected score at each split of the row's decision paths, credited to
        the split's feature and scaled by the calibration."""
        x = np.ascontiguousarray(
            np.nan_to_num(np.asarray(x, np.float64)).reshape(-1, len(self.features))
        )
        if not len(x):
            return np.zeros((0, len(self.features)))
        _, parts = _kernel()(x, *self._packed.args(), len(self.features), True)
        return np.asarray(self.platt[0] * parts, np.float64)

    def contributions(self, row: FloatArray) -> dict[str, float]:
        """Each feature's share of one pair's log-odds (:meth:`contribution_matrix`)."""
        values = self.contribution_matrix(np.asarray(row, np.float64).reshape(1, -1))[0]
        return {name: round(float(v), 3) for name, v in zip(self.features, values, strict=True)}

    # -- files ------------------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "format_version": _FORMAT_VERSION,
            "version": self.version,
            "features": list(self.features),
            "baseline": float(self.baseline),
            "platt": [float(v) for v in self.platt],
            "trees": [t.as_dict() for t in self.trees],
            "threshold": float(self.threshold),
            "link_inputs": list(LINK_INPUTS),
            "link_coef": [float(v) for v in self.link_coef],
            "meta": self.meta,
        }

    def save(self, path: Path) -> Path:
        """Write the model to *path* as JSON, atomically."""
        text = json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return write_text(path, text + "\n")

    @classmethod
    def load(cls, path: Path | None = None) -> LineagePairModel:
        """The model at *path* (default: the packaged one).

        Raises :class:`~marsad.errors.BadModel` naming the file and the
        problem: unreadable, not JSON (a pickle, say), another format or
        version, or features that do not match this code's :data:`FEATURES`.
        """
        path = path or default_model_path()
        try:
            if path.stat().st_size > _MAX_BYTES:
                raise BadModel(f"{path}: {path.stat().st_size:,} bytes is too large for a model")
            doc = json.loads(path.read_bytes())
        except OSError as exc:
            raise BadModel(f"{path}: cannot read the lineage model ({exc})") from exc
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadModel(
                f"{path}: not a marsad lineage model (not JSON; pickles are never loaded)"
            ) from exc
        return cls.from_dict(doc, source=str(path))

    @classmethod
    def from_dict(cls, doc: Any, *, source: str = "model") -> LineagePairModel:
        if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
            raise BadModel(f"{source}: not a marsad lineage model (format {MODEL_FORMAT!r})")
        if doc.get("format_version") != _FORMAT_VERSION:
            raise BadModel(
                f"{source}: lineage model format version {doc.get('format_version')!r}; "
                f"this marsad reads version {_FORMAT_VERSION}: retrain it"
            )
        features = tuple(doc.get("features") or ())
        if features != FEATURES:
            raise BadModel(
                f"{source}: the model's features {list(features)} are not this marsad's "
                f"{list(FEATURES)}: retrain it with marsad.accounts.train"
            )
        try:
            trees = tuple(Tree.from_dict(t, len(FEATURES)) for t in doc["trees"])
            baseline = float(doc["baseline"])
            platt = tuple(float(v) for v in doc["platt"])
            threshold = float(doc["threshold"])
            version = str(doc["version"])
            link = tuple(float(v) for v in doc["link_coef"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BadModel(f"{source}: lineage model is missing or has a bad {exc}") from exc
        if not trees or len(platt) != 2 or not all(math.isfinite(v) for v in (*platt, baseline)):
            raise BadModel(f"{source}: lineage model needs trees, a baseline and two Platt numbers")
        if not 0.0 < threshold < 1.0:
            raise BadModel(f"{source}: lineage model threshold {threshold} is not in (0, 1)")
        if len(link) != 1 + len(LINK_INPUTS) or not all(math.isfinite(v) for v in link):
            raise BadModel(
                f"{source}: lineage model needs {1 + len(LINK_INPUTS)} link coefficients"
            )
        meta: dict[str, Any] = doc["meta"] if isinstance(doc.get("meta"), dict) else {}
        return cls(
            trees=trees,
            baseline=baseline,
            platt=(platt[0], platt[1]),
            threshold=threshold,
            version=version,
            meta=meta,
            link_coef=(link[0], link[1], link[2], link[3]),
        )
