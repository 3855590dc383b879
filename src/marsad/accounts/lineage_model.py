"""The scored pair model of lineage: a calibrated logistic regression kept as JSON.

Part of the *score / link* stage (issue 6).  :mod:`marsad.accounts.lineage`
describes every (candidate successor, candidate predecessor) pair by the
features in :data:`FEATURES`; this model turns them into the probability that
the pair is a true re-creation.

The model is ``p = sigmoid(intercept + coef . (x - mean) / scale)``: a
scikit-learn ``LogisticRegression`` fitted on standardised features, with
Platt scaling (fitted on a held-out simulation) folded into ``coef`` and
``intercept``, so that the probability is calibrated on data the regression
never saw.  Training is :mod:`marsad.accounts.train`; the packaged model and
its card are ``models/lineage.json`` and ``models/lineage.md``.

**Model files are JSON** -- a header naming the format and version, the
feature names in order, the numbers, the default threshold and the training
metadata.  Loading parses JSON and checks it; nothing in a model file can run
code (a pickle is refused with :class:`~marsad.errors.BadModel`, as every other
file that is not this JSON).  A model whose feature list differs from the code's
:data:`FEATURES` is refused too: its weights would be applied to the wrong
columns.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from marsad.errors import BadModel
from marsad.files import write_text

__all__ = ["FEATURES", "MODEL_FORMAT", "LineagePairModel", "default_model_path"]

MODEL_FORMAT = "marsad-lineage-model"
_FORMAT_VERSION = 1
#: a model file larger than this is not ours
_MAX_BYTES = 1 << 20

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
)

FloatArray = npt.NDArray[np.float64]


def default_model_path() -> Path:
    """The packaged model: ``marsad/accounts/models/lineage.json``."""
    return Path(__file__).with_name("models") / "lineage.json"


@dataclass(frozen=True)
class LineagePairModel:
    """A fitted pair model (see the module docstring).  Immutable; load or train one."""

    mean: FloatArray
    scale: FloatArray
    coef: FloatArray
    intercept: float
    #: the default decision threshold on the probability, chosen on the training
    #: simulations (see the model card)
    threshold: float
    #: a short content hash, recorded with every result
    version: str
    features: tuple[str, ...] = FEATURES
    meta: dict[str, Any] = field(default_factory=dict)

    def logit(self, x: FloatArray) -> FloatArray:
        """The calibrated log-odds of each row of *x* (n_pairs x n_features)."""
        z = (np.asarray(x, np.float64) - self.mean) / self.scale
        return np.asarray(z @ self.coef + self.intercept, np.float64)

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """The calibrated probability that each pair of *x* is a true re-creation."""
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(self.logit(x), -50, 50))), np.float64)

    def contributions(self, row: FloatArray) -> dict[str, float]:
        """Each feature's share of one pair's log-odds (``coef * standardised value``)."""
        z = (np.asarray(row, np.float64) - self.mean) / self.scale * self.coef
        return {name: round(float(v), 3) for name, v in zip(self.features, z, strict=True)}

    # -- files ------------------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "format_version": _FORMAT_VERSION,
            "version": self.version,
            "features": list(self.features),
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "coef": [float(v) for v in self.coef],
            "intercept": float(self.intercept),
            "threshold": float(self.threshold),
            "meta": self.meta,
        }

    def save(self, path: Path) -> Path:
        """Write the model to *path* as JSON, atomically."""
        text = json.dumps(self.as_dict(), indent=1, ensure_ascii=False, sort_keys=True)
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
            arrays = [np.asarray(doc[k], np.float64) for k in ("mean", "scale", "coef")]
            intercept = float(doc["intercept"])
            threshold = float(doc["threshold"])
            version = str(doc["version"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BadModel(f"{source}: lineage model is missing or has a bad {exc}") from exc
        n = len(FEATURES)
        if any(a.shape != (n,) or not np.isfinite(a).all() for a in arrays):
            raise BadModel(f"{source}: lineage model arrays must hold {n} finite numbers each")
        if (arrays[1] <= 0).any() or not (0.0 < threshold < 1.0) or not math.isfinite(intercept):
            raise BadModel(f"{source}: lineage model has a bad scale, threshold or intercept")
        meta: dict[str, Any] = doc["meta"] if isinstance(doc.get("meta"), dict) else {}
        return cls(
            mean=arrays[0],
            scale=arrays[1],
            coef=arrays[2],
            intercept=intercept,
            threshold=threshold,
            version=version,
            meta=meta,
        )
