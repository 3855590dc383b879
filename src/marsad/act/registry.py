"""The model registry: trained models kept with the review state, the active
one, and promotion only when a model is not worse.

The last step of *act* (:mod:`marsad.act`): decisions exported as labelled
data (:mod:`marsad.act.decisions`) train a model (:func:`marsad.detect.evaluate.train`);
the registry keeps it, judges it against the active model on the decisions
it did not learn from, and makes it the model ``marsad scan`` uses
(:func:`active_model_path`) -- or refuses.

**Where.**  The ``models`` table of the review database (migration 7): per
model its name, kind (``text-classifier``), the file's SHA-256 and bytes
(safetensors: loading one cannot run code; a pickle is refused by
:meth:`~marsad.detect.classifier.TextClassifier.load`), its model card, its
metrics (versions, thresholds, the cross-validated headline) and what it was
trained on (each file's name and SHA-256, and of the review decisions the
splits and the last decision id it held: :class:`~marsad.act.decisions.DecisionsFile`).
Models are never changed or deleted, so every model ever registered stays
loadable (:func:`load_model`).  The packaged model is the implicit first one,
named :data:`PACKAGED`; it learnt from no decision.

**The active model** is the ``settings`` row :data:`ACTIVE_SETTING` (none:
the packaged model).  ``marsad scan`` and ``marsad explain`` without
``--model`` use it: :func:`active_model_path` writes its bytes once to a
cache file named by its SHA-256 -- ``WORKSPACE/cache/models/`` for an
embedded workspace, ``$MARSAD_CACHE_DIR/models`` (default
``~/.cache/marsad/models``) for a team store -- and checks the hash on every
use, so a damaged or altered cache file is written again, never loaded.

**Evaluation** (:func:`evaluate`): the decided post items neither model
learnt from -- the ``holdout`` split, and any decision after the last one a
model's export held -- scored by each model as ``marsad scan`` scores them
(text risk, then the author context from all the author's current posts in
the workspace) and judged at each model's *own* policy thresholds
(:meth:`~marsad.detect.scorer.RiskScorer.policy`, per language, with and
without author context): precision, recall and F1, overall and per
language.  The indicators are the built-in registry's (a scan run with an
``--indicators`` file of its own scores otherwise).  These are items a model once put in the queue, so recall is the
share of *confirmed* items a model still flags, and precision the share of
what it flags that reviewers confirmed -- the queue's own precision.  The
sample items of the candidate's shadow reviews are left out: they are what
its *new* flags are judged on, not items the active model queued.

**Shadow review** (:func:`shadow`).  The held-out decisions show what a
candidate keeps and drops of the active model's queue, never what it would
add to it: after a retrain they can be nearly all confirmations while the
candidate newly flags posts no reviewer has seen.  A shadow review looks
there.  It takes a pool of at most ``pool`` (:data:`SHADOW_POOL`, 50,000)
current posts with text -- those with the smallest MD5 of
``seed:platform:post id``: a uniform sample fixed by the seed and the posts,
whatever order the store reads them in (a DuckDB reservoir's depends on
it) -- scores it with the active model and the candidate as the evaluation
scores (text risk, the author context of all the authors' current posts,
each model's own thresholds; nothing is written to the store: a scan of one
version deletes the detections of the others) and counts the posts both
flag, those only the candidate flags (*new*) and those only the active one
flags.  The pool holds posts already in the queue too, so *both* and *new*
are in the proportions of the candidate's whole queue.  Of the new posts
*not* in the queue (any status) it draws ``sample`` (:data:`SHADOW_SAMPLE`,
50) uniformly with the seed and queues them as post items of the detector
:data:`SHADOW_DETECTOR` (``risk-shadow``, scored with the candidate's risk
and its version: the queue withdraws only the risk detector's items, so they
wait for a decision whatever a scan says meanwhile).  Reviewers decide them
as any item, not told why they are there.  The run is an audit entry
(``model.shadow``: the model it was compared with, the counts, the sample,
the seed): the log is its record, and the same seed on the same posts and
queue draws the same pool and sample.  A second run draws more of the new
posts no run has queued; the counts of the latest run against the active
model are judged, with the decisions on the samples of all of them (draws
without replacement from the same new posts are, together, one uniform
sample of them).

**Not worse** (:func:`promote`), with :data:`TOLERANCE` = 0.01: on the
held-out decisions, the candidate's F1 is at least the active model's F1
minus 0.01 and its precision at least the active's precision minus 0.01 --
overall, and in each language with at least :data:`MIN_LANGUAGE` (50)
held-out decisions, both labels among them.  A precision of a model that flags
nothing counts as 0.  Fewer than :data:`MIN_HELD_OUT` (30) held-out
decisions, or no confirmed one, is no comparison: the promotion is refused.
The tolerance is a tie band -- two models that agree on all but one item in
a hundred are equal here, and a retrain that adds decisions should not be
refused by one item -- and a clear loss on the queue's precision or on F1,
overall or in a language that has the decisions to show it, is refused.

And the new flags: when the candidate's new posts are more than
:data:`NEW_SHARE` (5%) of its flags in the pool of its latest shadow review
against the active model, at least :data:`MIN_SHADOW` (20) of the sample
its reviews against it queued must be decided (all the new posts there were
to draw, when fewer), and the
estimated precision of the queue the candidate would produce,
``(both x p_both + new x p_new) / (both + new)``, must be at least the active
model's held-out precision minus the tolerance -- ``p_new`` the share of the
decided sample items confirmed (the item's final decision), ``p_both`` the
candidate's precision on the held-out decisions the active model flags too.
A candidate with no shadow review against the active model is refused: how
much it would newly queue is unknown, so every candidate is shadowed once
(a model file identical to the active one's flags nothing new and needs
none).  5% is a cost trade-off, not a guarantee: under it a shadow review is
not asked for, though new flags all wrong would lower the queue's precision
by up to 5% of it.  Twenty decisions put ``p_new`` within about +-0.2 (95%,
at 0.5), fifty within +-0.14: enough to see a region of new flags that is
mostly wrong -- the loss the held-out decisions cannot show -- not to rank
two close models: the rule compares the point estimate, so a candidate
exactly as good as the active one may well be refused (when the call is
close, a shadow review with a larger ``sample`` narrows it).
A lead may still promote with ``force`` and a **reason**: logged as forced,
with the reason and the comparison, in the audit log.

**History.**  Every change is an audit entry in the transaction that makes
it (``model.register``, ``model.promote`` with ``forced`` and ``reason``,
``model.rollback``; ``model.shadow`` right after the queue's sync that adds
its sample).  :func:`rollback` replays the promotions and rollbacks
of the audit log as a stack -- a promotion pushes, a rollback pops -- and
makes the model under the top active again: one rollback undoes the last
promotion, two undo the last two.  Registering, promoting and rolling back
need the ``sync`` permission (a lead or an admin), as does a shadow review
(it fills the queue); listing and evaluating change nothing and take no
actor (a shell shows them to whoever may read the queue).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from marsad.act.decisions import (
    DecisionsFile,
    ExportSummary,
    Readable,
    decided_posts,
    export_decisions,
)
from marsad.errors import BadModel, Conflict, MarsadError, NotFound, ReviewError, UnreadableFile
from marsad.files import write_bytes, write_text
from marsad.review import audit
from marsad.review.db import ReviewDB, now_iso
from marsad.review.queue import Candidate
from marsad.review.users import User

if TYPE_CHECKING:
    from marsad.detect.classifier import TextClassifier
    from marsad.detect.datasets import DataFile
    from marsad.model import Post
    from marsad.review.service import Review

__all__ = [
    "ACTIVE_SETTING",
    "KIND",
    "MIN_HELD_OUT",
    "MIN_LANGUAGE",
    "MIN_SHADOW",
    "NEW_SHARE",
    "PACKAGED",
    "SHADOW_DETECTOR",
    "SHADOW_POOL",
    "SHADOW_SAMPLE",
    "TOLERANCE",
    "Comparison",
    "ModelInfo",
    "Promotion",
    "Retrained",
    "Scored",
    "Shadow",
    "ShadowCheck",
    "active_model_path",
    "active_name",
    "cache_dir",
    "evaluate",
    "get_model",
    "list_models",
    "load_model",
    "materialise",
    "model_bytes",
    "promote",
    "register",
    "retrain",
    "rollback",
    "shadow",
]

PACKAGED = "packaged"
ACTIVE_SETTING = "active_model"
KIND = "text-classifier"
#: the tie band of "not worse", in F1 and precision (module docstring)
TOLERANCE = 0.01
#: held-out decisions below which two models are not compared
MIN_HELD_OUT = 30
#: held-out decisions of both labels from which a language is judged on its own
MIN_LANGUAGE = 50
#: the share of a candidate's flags it may newly queue before its shadow review's
#: sample must be decided (module docstring: a cost trade-off)
NEW_SHARE = 0.05
#: decided shadow sample items from which its precision on new flags is estimated
#: (about +-0.2 at 95%: enough to see new flags that are mostly wrong)
MIN_SHADOW = 20
#: a shadow review's defaults: the items it queues (about +-0.14 at 95%) and its pool
SHADOW_SAMPLE = 50
SHADOW_POOL = 50_000
#: the detector of the items a shadow review queues (never withdrawn by a sync)
SHADOW_DETECTOR = "risk-shadow"
_SHADOW = "model.shadow"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PROMOTIONS = ("model.promote", "model.rollback")


# -- models -------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelInfo:
    """A registered model (without its bytes)."""

    name: str
    kind: str
    sha256: str
    version: str  # the classifier's version (detections of text-classifier carry it)
    created_by: str
    created_at: str
    metrics: dict[str, Any] = field(default_factory=dict)
    trained_on: dict[str, Any] = field(default_factory=dict)
    card: str | None = None
    active: bool = False

    @property
    def decisions(self) -> DecisionsFile | None:
        """The review decisions it learnt from, if any."""
        data = self.trained_on.get("decisions")
        return DecisionsFile.from_dict(data) if isinstance(data, dict) else None

    def saw(self, decision_id: int, split: str) -> bool:
        d = self.decisions
        return d is not None and d.saw(decision_id, split)

    def as_dict(self, *, card: bool = False) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "card"}
        if card:
            out["card"] = self.card
        return out


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _packaged() -> ModelInfo:
    from marsad.detect.classifier import default_model_path

    path = default_model_path()
    data = path.read_bytes()
    version = ""
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as f:
            header = json.loads((f.metadata() or {}).get("marsad", "{}"))
        version = f"1+{header.get('model_version', '')}"
    except (OSError, ValueError):  # pragma: no cover - the packaged file is ours
        pass
    card = path.with_suffix(".md")
    return ModelInfo(
        PACKAGED,
        KIND,
        _sha256(data),
        version,
        "marsad",
        "",
        {},
        {"decisions": None},
        card.read_text(encoding="utf-8") if card.is_file() else None,
    )


def _info(row: dict[str, Any], active: str) -> ModelInfo:
    metrics = json.loads(row["metrics"] or "{}")
    return ModelInfo(
        row["name"],
        row["kind"],
        row["sha256"],
        str(metrics.get("version", "")),
        row["created_by"],
        row["created_at"],
        metrics,
        json.loads(row["trained_on"] or "{}"),
        row.get("card"),
        row["name"] == active,
    )


def active_name(db: ReviewDB) -> str:
    """The name of the active model (:data:`PACKAGED` when none was promoted)."""
    value = db.value("SELECT value FROM settings WHERE name = ?", [ACTIVE_SETTING])
    return str(value) if value else PACKAGED


def list_models(db: ReviewDB) -> list[ModelInfo]:
    """The packaged model and every registered one, oldest first, with which is active."""
    active = active_name(db)
    rows = db.rows(
        "SELECT name, kind, sha256, metrics, trained_on, created_by, created_at "
        "FROM models ORDER BY id"
    )
    packaged = _packaged()
    return [
        ModelInfo(**{**packaged.__dict__, "card": None, "active": active == PACKAGED}),
        *(_info(r, active) for r in rows),
    ]


def get_model(db: ReviewDB, name: str) -> ModelInfo:
    """Model *name* with its card (:class:`NotFound` naming the known ones)."""
    if name == PACKAGED:
        info = _packaged()
        return ModelInfo(**{**info.__dict__, "active": active_name(db) == PACKAGED})
    row = db.one(
        "SELECT name, kind, sha256, card, metrics, trained_on, created_by, created_at "
        "FROM models WHERE name = ?",
        [name],
    )
    if row is None:
        known = [m.name for m in list_models(db)]
        raise NotFound(f"no model {name!r} in the registry (known: {', '.join(known)})")
    return _info(row, active_name(db))


def model_bytes(db: ReviewDB, name: str) -> bytes:
    """The file of model *name*, checked against its SHA-256."""
    if name == PACKAGED:
        from marsad.detect.classifier import default_model_path

        return default_model_path().read_bytes()
    row = db.one("SELECT sha256, body FROM models WHERE name = ?", [name])
    if row is None:
        get_model(db, name)  # raises NotFound with the known names
        raise NotFound(f"no model {name!r}")  # pragma: no cover
    data = bytes(row["body"])
    if _sha256(data) != row["sha256"]:
        raise BadModel(
            f"the registry's copy of model {name!r} does not match its SHA-256 "
            "(damaged): register the model file again under another name"
        )
    return data


def cache_dir(workspace: str | os.PathLike[str]) -> Path:
    """Where the active model's file is kept (module docstring)."""
    from marsad.config import is_server_url

    text = os.fspath(workspace)
    if is_server_url(text):
        base = Path(os.environ.get("MARSAD_CACHE_DIR") or Path.home() / ".cache" / "marsad")
        return base / "models"
    return Path(text) / "cache" / "models"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def materialise(db: ReviewDB, name: str, directory: Path) -> Path:
    """Model *name* as a file ``DIRECTORY/<sha256>.safetensors``: kept when it
    is there with the right hash, written (whole or not at all) otherwise."""
    if name == PACKAGED:
        from marsad.detect.classifier import default_model_path

        return default_model_path()
    sha = get_model(db, name).sha256
    path = Path(directory) / f"{sha}.safetensors"
    if path.is_file() and _file_sha256(path) == sha:
        return path
    try:
        write_bytes(path, model_bytes(db, name))
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot write the model ({exc.strerror or exc})") from exc
    return path


def load_model(db: ReviewDB, name: str) -> TextClassifier:
    """Model *name* loaded (any model ever registered, or the packaged one)."""
    from marsad.detect.classifier import TextClassifier

    if name == PACKAGED:
        return TextClassifier.load(None)
    with tempfile.TemporaryDirectory(prefix="marsad-model-") as tmp:
        return TextClassifier.load(materialise(db, name, Path(tmp)))


def active_model_path(workspace: str | os.PathLike[str]) -> Path | None:
    """The file of *workspace*'s active model, for ``marsad scan``; None when
    the workspace has no review database or its active model is the packaged one."""
    from marsad.review.service import has_review

    if not has_review(workspace):
        return None
    with ReviewDB(workspace) as db:
        name = active_name(db)
        if name == PACKAGED:
            return None
        return materialise(db, name, cache_dir(workspace))


def _cross_validated(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The headline of a model's own cross-validation (its model card's numbers)."""
    risk = (meta.get("evaluation") or {}).get("risk") or {}
    keep = ("n", "positives", "precision", "recall", "f1", "fpr", "pr_auc")

    def trim(m: Mapping[str, Any] | None) -> dict[str, Any] | None:
        return None if m is None else {k: m.get(k) for k in keep if k in m}

    return {
        "overall": trim(risk.get("overall")),
        "by_language": {g: trim(m) for g, m in (risk.get("by_language") or {}).items()},
        "hard_negatives": trim(risk.get("hard_negatives")),
    }


def register(
    db: ReviewDB,
    actor: User,
    path: Path,
    *,
    name: str | None = None,
    decisions: DecisionsFile | None = None,
    card: str | None = None,
) -> ModelInfo:
    """Keep the model file at *path* in the registry as *name* (default
    ``m-`` and the first 12 digits of its SHA-256); *decisions* is what of
    the review decisions it was trained on.  Registering the same file under
    the same name again changes nothing; another file under a taken name, or
    the same file under another name, is a :class:`Conflict`."""
    from marsad.detect.classifier import TextClassifier
    from marsad.detect.scorer import RiskScorer

    actor.require("sync")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from exc
    model = TextClassifier.load(Path(path))  # BadModel for anything but a marsad model
    sha = _sha256(data)
    name = name or f"m-{sha[:12]}"
    if name == PACKAGED or not _NAME.match(name):
        raise ReviewError(
            f"model name {name!r}: letters, digits, '_', '.', '-' (up to 64), starting with "
            f"a letter or digit, and not {PACKAGED!r}"
        )
    meta = model.meta_ or {}
    metrics = {
        "model_version": model.model_version_,
        "version": model.version,
        "risk_version": RiskScorer(model).version,
        "thresholds": model.thresholds_,
        "cross_validated": _cross_validated(meta),
    }
    ev = meta.get("evaluation") or {}
    files: list[dict[str, Any]] = [
        {k: f.get(k) for k in ("file", "sha256", "rows", "positives", "hard_negatives") if k in f}
        for f in ev.get("files") or []
    ]
    trained_on: dict[str, Any] = {
        "trained_at": meta.get("trained_at"),
        "files": files,
        "decisions": decisions.as_dict() if decisions is not None else None,
    }
    if card is None and ev:
        from marsad.detect.card import model_card

        card = model_card(model)
    with db.write() as w:
        same = w.one("SELECT name, sha256 FROM models WHERE name = ? OR sha256 = ?", [name, sha])
        if same is not None:
            if same["name"] == name and same["sha256"] == sha:
                return get_model(db, name)
            if same["name"] == name:
                raise Conflict(f"a model named {name!r} is registered (another file): pick a name")
            raise Conflict(f"this model file is registered as {same['name']!r}")
        w.run(
            "INSERT INTO models (name, kind, sha256, body, card, metrics, trained_on, "
            "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                name,
                KIND,
                sha,
                data,
                card,
                json.dumps(metrics, ensure_ascii=False, sort_keys=True, default=str),
                json.dumps(trained_on, ensure_ascii=False, sort_keys=True, default=str),
                actor.name,
                now_iso(),
            ],
        )
        audit.append(
            w,
            actor.name,
            "model.register",
            f"model:{name}",
            {
                "sha256": sha,
                "version": model.version,
                "files": [f.get("file") for f in files],
                "decisions": trained_on["decisions"],
            },
        )
    return get_model(db, name)


# -- evaluation ---------------------------------------------------------------------


@dataclass
class Scored:
    """One model's results on the held-out decisions."""

    name: str
    version: str  # the risk's version (what ``marsad scan`` stores)
    thresholds: dict[str, float]
    overall: dict[str, Any]
    by_language: dict[str, dict[str, Any]]
    flagged: list[bool] = field(default_factory=list, repr=False)  # per held-out row


@dataclass
class ShadowCheck:
    """What the candidate's shadow reviews against the compared model say
    (module docstring): the counts of the latest one's pool, the decisions on
    their samples, the estimated precision of the candidate's queue, and which
    rule applies (:attr:`state`)."""

    name: str  # the candidate
    against: str
    tolerance: float = TOLERANCE
    same: bool = False  # the two model files are one: nothing is flagged anew
    seq: int | None = None  # the model.shadow audit entry judged (None: no review)
    at: str | None = None
    seed: int | None = None
    pool: int = 0  # posts scored
    both: int = 0  # ... flagged by both models
    new: int = 0  # ... by the candidate only
    active_only: int = 0  # ... by the compared model only
    sample: int = 0  # items its reviews against this model queued, all runs together
    available: int = 0  # new posts they could draw: those drawn and those left
    decided: int = 0  # sample items closed (confirmed or rejected)
    confirmed: int = 0
    p_new: float | None = None  # confirmed share of the decided sample
    p_both: float | None = None  # the candidate's precision on held-out decisions both flag
    both_held_out: int = 0  # ... how many those are
    estimated: float | None = None  # the estimated precision of the candidate's queue
    against_precision: float | None = None  # the compared model's held-out precision

    @property
    def new_share(self) -> float | None:
        """The candidate's new flags as a share of its flags in the pool (None: no review)."""
        if self.same:
            return 0.0
        if self.seq is None:
            return None
        flags = self.both + self.new
        return self.new / flags if flags else 0.0

    @property
    def required(self) -> int:
        """Decided sample items the rule needs: :data:`MIN_SHADOW`, or every new post
        there was to draw when there were fewer."""
        return min(MIN_SHADOW, self.available) if self.available else MIN_SHADOW

    @property
    def state(self) -> str:
        """``same`` (identical files), ``missing`` (no review: refused), ``small``
        (new flags at most :data:`NEW_SHARE` of its flags), ``unsampled`` (nothing
        drawn: refused), ``undecided`` (too few decided: refused), ``worse``
        (refused) or ``fine``."""
        share = self.new_share
        if self.same:
            return "same"
        if share is None:
            return "missing"
        if share <= NEW_SHARE:
            return "small"
        if self.sample == 0:
            return "unsampled"
        if self.decided < self.required:
            return "undecided"
        if (self.estimated or 0.0) < (self.against_precision or 0.0) - self.tolerance:
            return "worse"
        return "fine"

    def reasons(self) -> list[str]:
        """Why the shadow review refuses the candidate (empty: it does not)."""
        state, name = self.state, self.name
        run = f"run `marsad model shadow {name}` and decide its sample"
        if state == "missing":
            return [
                f"no shadow review of {name} against {self.against}: how many posts it would "
                f"newly queue that no reviewer has seen is unknown -- {run}"
            ]
        share = f"{self.new_share or 0.0:.1%} of its flags"
        news = f"it would newly queue {self.new:,} of the {self.pool:,} posts of its shadow review"
        if state == "unsampled":
            return [f"{news} ({share}) that no reviewer has seen: {run}"]
        if state == "undecided":
            more = (
                f"; only {self.sample} were drawn: run `marsad model shadow {name} --sample "
                f"{self.required - self.sample}` or more"
                if self.sample < self.required
                else ""
            )
            return [
                f"{news} ({share}) and {self.decided} of the {self.sample} items its shadow "
                f"reviews queued are decided (at least {self.required} are needed): review them "
                f"(detector {SHADOW_DETECTOR}), then promote {name}{more}"
            ]
        if state == "worse":
            return [
                f"estimated precision of its queue {self.estimated or 0.0:.3f} against "
                f"{self.against_precision or 0.0:.3f} of {self.against} (more than "
                f"{self.tolerance} lower): precision {self.p_new or 0.0:.3f} on its new flags "
                f"({self.confirmed} of the {self.decided} decided items of its shadow review "
                f"confirmed; new flags are {share}) and {self.p_both or 0.0:.3f} on the "
                f"{self.both_held_out} held-out decisions both models flag"
            ]
        return []

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "new_share": self.new_share,
            "required": self.required,
            "state": self.state,
            "reasons": self.reasons(),
        }

    def summary(self) -> dict[str, Any]:
        """The few numbers the audit entry of a promotion keeps."""
        keep = ("seq", "pool", "both", "new", "sample", "decided", "confirmed")
        return {
            "state": self.state,
            **{k: getattr(self, k) for k in keep},
            **{
                k: getattr(self, k)
                for k in ("new_share", "p_new", "p_both", "estimated", "against_precision")
            },
        }


@dataclass
class Comparison:
    """A candidate against the active (or another) model on the same held-out decisions,
    and what its shadow review says of its new flags."""

    candidate: Scored
    against: Scored
    rows: int
    positives: int
    held_out: dict[str, int]  # holdout: rows of the holdout split; after_cut: decided after
    # what a model learnt; learnt: rows left out because a model learnt from them; shadow:
    # rows left out because a shadow review of the candidate queued them
    not_worse: bool
    reasons: list[str]  # why it is worse (empty when not worse)
    tolerance: float = TOLERANCE
    shadow: ShadowCheck | None = None

    @property
    def held_out_reasons(self) -> list[str]:
        """The reasons the held-out decisions give (the others are its shadow review's)."""
        shadow = self.shadow.reasons() if self.shadow is not None else []
        return [r for r in self.reasons if r not in shadow]

    @property
    def needs_review(self) -> bool:
        """Refused only because too few items of its shadow review's sample are decided."""
        s = self.shadow
        return s is not None and s.state == "undecided" and not self.held_out_reasons

    def as_dict(self) -> dict[str, Any]:
        def scored(s: Scored) -> dict[str, Any]:
            return {k: v for k, v in s.__dict__.items() if k != "flagged"}

        return {
            "candidate": scored(self.candidate),
            "against": scored(self.against),
            "rows": self.rows,
            "positives": self.positives,
            "negatives": self.rows - self.positives,
            "held_out": self.held_out,
            "not_worse": self.not_worse,
            "reasons": self.reasons,
            "tolerance": self.tolerance,
            "shadow": self.shadow.as_dict() if self.shadow is not None else None,
        }

    def summary(self) -> dict[str, Any]:
        """The few numbers the audit entry of a promotion keeps."""
        keep = ("precision", "recall", "f1")
        return {
            "rows": self.rows,
            "positives": self.positives,
            "candidate": {k: self.candidate.overall.get(k) for k in keep},
            "against": {
                "name": self.against.name,
                **{k: self.against.overall.get(k) for k in keep},
            },
            "not_worse": self.not_worse,
            "reasons": self.reasons,
            "shadow": self.shadow.summary() if self.shadow is not None else None,
        }


_METRICS = ("n", "positives", "tp", "fp", "fn", "tn", "precision", "recall", "f1", "fpr")


def _posts_of(store: Readable, rows: Sequence[dict[str, Any]]) -> pa.Table:
    """The held-out posts and every current post of their authors (the author context)."""
    from marsad.detect.scan import POST_COLUMNS_SQL
    from marsad.store.duckdb import arrow_table

    con = store.analytics()
    tables = []
    authors = {(r["platform"], r["account"].partition(":")[2]) for r in rows if r["account"]}
    for sql, keys in (
        (
            "FROM current_posts p JOIN _act_keys k "
            "ON k.platform = p.platform AND k.native_id = p.native_id",
            {"platform": [r["platform"] for r in rows], "native_id": [r["post_id"] for r in rows]},
        ),
        (
            "FROM current_posts p JOIN _act_keys k "
            "ON k.platform = p.platform AND k.account_id = p.account_id",
            {"platform": [p for p, _ in authors], "account_id": [a for _, a in authors]},
        ),
    ):
        con.register(
            "_act_keys", pa.table(keys, schema=pa.schema([(k, pa.string()) for k in keys]))
        )
        try:
            tables.append(arrow_table(con.execute(POST_COLUMNS_SQL + sql)))
        finally:
            con.unregister("_act_keys")
    return pa.concat_tables(tables)


def _flags(
    model: TextClassifier, rows: Sequence[dict[str, Any]], posts: pa.Table
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], str, dict[str, float]]:
    """(risk, threshold) of each held-out row under *model*, as ``marsad scan``
    stores the risk (rounded alike) and its policy judges it; and the risk's
    version and the thresholds."""
    from marsad.detect.scan import posts_from_arrow
    from marsad.detect.scorer import RiskScorer, risk_evidence

    scorer = RiskScorer(model)
    policy = scorer.policy()
    seen: dict[tuple[str, str], int] = {}
    unique: list[Post] = []
    for post in posts_from_arrow(posts):
        key = (post.platform or "", post.native_id)
        if key not in seen:
            seen[key] = len(unique)
            unique.append(post)
    n = len(unique)
    text_risk, indicators, scripture, z = (np.zeros(n) for _ in range(4))
    for start in range(0, n, 20_000):
        batch = unique[start : start + 20_000]
        c = scorer.components(batch)
        for j in range(len(batch)):
            ev = risk_evidence(c, j)
            text_risk[start + j] = ev["text_risk"]
            indicators[start + j] = ev["indicators"]
            scripture[start + j] = ev.get("scripture", 0.0)
        p = np.clip(c.classifier, 1e-9, 1 - 1e-9)
        z[start : start + len(batch)] = np.log(p) - np.log(1 - p)
    sums: dict[tuple[str, str], list[float]] = {}
    for k, post in enumerate(unique):
        if post.account_id is not None:
            acc = sums.setdefault((post.platform or "", post.account_id), [0.0, 0.0])
            acc[0] += z[k]
            acc[1] += 1
    idx = np.array([seen[(r["platform"], r["post_id"])] for r in rows], dtype=np.int64)
    author = [
        sums.get((unique[k].platform or "", unique[k].account_id or ""), [z[k], 1.0])
        if unique[k].account_id is not None
        else [z[k], 1.0]
        for k in idx
    ]
    zsum = np.array([a[0] for a in author])
    count = np.array([a[1] for a in author])
    risk = text_risk[idx]
    with_author = np.zeros(len(idx), dtype=bool)
    if model.risk_author_ is not None:
        risk, _ = scorer.with_authors(
            text_risk[idx], z[idx], zsum, count, scripture[idx], indicators[idx]
        )
        with_author = count > 1
    thresholds = np.array(
        [
            policy.threshold(unique[k].lang, with_author=bool(w))
            for k, w in zip(idx, with_author, strict=True)
        ]
    )
    return np.asarray(risk, dtype=np.float64), thresholds, scorer.version, policy.thresholds


def _score(
    name: str, model: TextClassifier, rows: Sequence[dict[str, Any]], posts: pa.Table
) -> Scored:
    from marsad.detect.evaluate import metrics

    risk, thresholds, version, policy = _flags(model, rows, posts)
    y = np.array([r["label"] for r in rows], dtype=np.int64)
    langs = np.array([r["lang"] or "und" for r in rows])

    def trim(m: dict[str, Any]) -> dict[str, Any]:
        return {k: m.get(k) for k in _METRICS}

    return Scored(
        name,
        version,
        dict(policy),
        trim(metrics(risk, y, thresholds)),
        {
            str(lang): trim(
                metrics(risk[langs == lang], y[langs == lang], thresholds[langs == lang])
            )
            for lang in sorted(set(langs.tolist()))
        },
        (risk >= thresholds).tolist(),
    )


# -- shadow review ------------------------------------------------------------------


@dataclass
class Shadow:
    """What :func:`shadow` did: the counts of its pool and the sample it queued."""

    name: str
    against: str
    version: str  # the candidate's risk version (the sample items' detector version)
    seed: int
    pool: int  # posts scored
    both: int  # ... flagged by both models
    new: int  # ... by the candidate only
    active_only: int  # ... by the active model only
    queued: int  # new posts in the queue already (not drawn)
    sample: list[tuple[str, str]]  # (platform, post id) of the items it queued
    added: int = 0  # items the queue's sync added
    seq: int = 0  # its model.shadow audit entry
    drawn: int = 0  # items its reviews against this model queued, this one and earlier
    available: int = 0  # new posts they could draw: those drawn and those left

    @property
    def new_share(self) -> float:
        flags = self.both + self.new
        return self.new / flags if flags else 0.0

    @property
    def needs_decisions(self) -> bool:
        """Whether a promotion waits for decisions on the sample (new share over
        :data:`NEW_SHARE`)."""
        return self.new_share > NEW_SHARE

    @property
    def required(self) -> int:
        """Decided sample items a promotion needs (:attr:`ShadowCheck.required`)."""
        return min(MIN_SHADOW, self.available) if self.available else MIN_SHADOW

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "sample": [list(k) for k in self.sample],
            "new_share": self.new_share,
            "needs_decisions": self.needs_decisions,
            "required": self.required,
        }


def _pool(store: Readable, limit: int, seed: int) -> list[tuple[str, str, str | None]]:
    """``(platform, post id, account id)`` of the shadow review's pool (module
    docstring): the current posts with text whose MD5 of ``seed:platform:id`` is
    among the *limit* smallest."""
    found = (
        store.analytics()
        .execute(
            "SELECT platform, native_id, account_id FROM current_posts "
            "WHERE regexp_matches(coalesce(text, ''), '\\S') "
            "ORDER BY md5(concat(?, ':', platform, ':', native_id)), platform, native_id LIMIT ?",
            [str(seed), limit],
        )
        .fetchall()
    )
    return [(str(p), str(n), None if a is None else str(a)) for p, n, a in found]


def _seen_at(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return now_iso(value if value.tzinfo else value.replace(tzinfo=UTC))
    return str(value)


def _shadow_items(
    store: Readable, keys: Sequence[tuple[str, str]], scores: Sequence[float], version: str
) -> list[Candidate]:
    """The queue items of the shadow sample *keys*, scored *scores* by risk *version*
    (language, author and reach -- the author's followers -- as the queue's post items)."""
    if not keys:
        return []
    con = store.analytics()
    con.register(
        "_act_keys",
        pa.table(
            {"platform": [k[0] for k in keys], "native_id": [k[1] for k in keys]},
            schema=pa.schema([("platform", pa.string()), ("native_id", pa.string())]),
        ),
    )
    try:
        found = {
            (str(p), str(n)): (lang, acc, created, fol)
            for p, n, lang, acc, created, fol in con.execute(
                "SELECT p.platform, p.native_id, p.lang, p.account_id, p.created_at, "
                "coalesce(a.followers, 0) FROM current_posts p JOIN _act_keys k "
                "ON k.platform = p.platform AND k.native_id = p.native_id "
                "LEFT JOIN accounts a ON a.platform = p.platform AND a.native_id = p.account_id"
            ).fetchall()
        }
    finally:
        con.unregister("_act_keys")
    items = []
    for key, score in zip(keys, scores, strict=True):
        lang, acc, created, fol = found.get(key, (None, None, None, 0))
        items.append(
            Candidate(
                "post",
                key[0],
                key[1],
                SHADOW_DETECTOR,
                version,
                float(score),
                lang,
                None,
                acc,
                int(fol or 0),
                _seen_at(created),
            )
        )
    return items


def shadow(
    review: Review,
    actor: User,
    name: str,
    *,
    sample: int = SHADOW_SAMPLE,
    pool: int = SHADOW_POOL,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Shadow:
    """A shadow review of model *name* against the active model (module
    docstring): score a pool of at most *pool* current posts with both, count
    what each flags, queue *sample* of the posts only *name* flags that are
    not in the queue (detector :data:`SHADOW_DETECTOR`) and record it all in
    the audit log (``model.shadow``).  Nothing is written to the store."""
    from marsad.detect.scorer import RiskScorer

    actor.require("sync")
    if sample < 0 or pool < 1:
        raise ReviewError(
            f"a shadow review needs --sample 0 or more and --pool 1 or more "
            f"(got {sample} and {pool})"
        )
    say = progress or (lambda _msg: None)
    db = review.db
    get_model(db, name)  # NotFound naming the known ones
    against = active_name(db)
    if name == against:
        raise Conflict(
            f"{name} is the active model: a shadow review compares a candidate with it "
            "(promote another model first, or shadow another one)"
        )
    models = [load_model(db, name), load_model(db, against)]
    queued = {
        (str(r["platform"]), str(r["target_id"]))
        for r in db.rows("SELECT platform, target_id FROM queue_items WHERE kind = 'post'")
    }
    with review.store() as store:
        keys = _pool(store, pool, seed)
        say(f"shadow review: {len(keys):,} posts scored with {name} and {against}")
        version = RiskScorer(models[0]).version
        risk = np.zeros(len(keys))
        mine = theirs = np.zeros(len(keys), dtype=bool)
        if keys:
            rows = [
                {"platform": p, "post_id": n, "account": f"{p}:{a}" if a else ""}
                for p, n, a in keys
            ]
            posts = _posts_of(store, rows)
            risk, thresholds, version, _ = _flags(models[0], rows, posts)
            risk_a, thresholds_a, _, _ = _flags(models[1], rows, posts)
            mine, theirs = risk >= thresholds, risk_a >= thresholds_a
        new = np.flatnonzero(mine & ~theirs).tolist()
        fresh = [i for i in new if keys[i][:2] not in queued]
        drawn = sorted(random.Random(seed).sample(fresh, min(sample, len(fresh))))  # noqa: S311
        items = _shadow_items(
            store, [keys[i][:2] for i in drawn], [float(risk[i]) for i in drawn], version
        )
    counts = review.queue.sync(actor, items) if items else {"added": 0}
    done = Shadow(
        name,
        against,
        version,
        seed,
        len(keys),
        int(np.sum(mine & theirs)),
        len(new),
        int(np.sum(theirs & ~mine)),
        len(new) - len(fresh),
        [(c.platform, c.target_id) for c in items],
        int(counts.get("added", 0)),
    )
    with db.write() as w:
        entry = audit.append(
            w,
            actor.name,
            _SHADOW,
            f"model:{name}",
            {
                "against": against,
                "version": version,
                "seed": seed,
                "pool": done.pool,
                "pool_limit": pool,
                "both": done.both,
                "new": done.new,
                "active_only": done.active_only,
                "queued": done.queued,
                "sampleable": len(fresh),
                "sample": [list(k) for k in done.sample],
                "added": done.added,
            },
        )
    done.seq = int(entry["seq"])
    _, union, done.available = _drawn(_shadow_runs(db, name), against)
    done.drawn = len(union)
    say(
        f"shadow review: {done.new:,} posts only {name} flags ({done.new_share:.0%} of its "
        f"flags), {len(done.sample)} queued for review"
    )
    return done


def _shadow_runs(db: ReviewDB, name: str) -> list[dict[str, Any]]:
    """The shadow reviews of model *name* (its ``model.shadow`` audit entries), oldest first."""
    return [
        {**json.loads(r["details"]), "seq": int(r["seq"]), "at": r["at"]}
        for r in db.rows(
            "SELECT seq, at, details FROM audit_log WHERE action = ? AND target = ? ORDER BY seq",
            [_SHADOW, f"model:{name}"],
        )
    ]


def _drawn(
    runs: Sequence[dict[str, Any]], against: str
) -> tuple[dict[str, Any] | None, list[tuple[str, str]], int]:
    """The latest of the shadow *runs* against model *against*, the sample items
    of all of them (each run draws from the new posts the earlier ones left:
    together a uniform sample of them), and how many new posts they could draw."""
    mine = [r for r in runs if r.get("against") == against]
    if not mine:
        return None, [], 0
    union = list(dict.fromkeys((str(p), str(n)) for r in mine for p, n in r.get("sample") or ()))
    last = mine[-1]
    left = max(int(last.get("sampleable", 0)) - len(last.get("sample") or ()), 0)
    return last, union, len(union) + left


def _statuses(db: ReviewDB, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The status of the post items of *keys* ``(platform, post id)`` in the queue."""
    by_platform: dict[str, list[str]] = {}
    for platform, post_id in keys:
        by_platform.setdefault(platform, []).append(post_id)
    out: dict[tuple[str, str], str] = {}
    for platform, ids in by_platform.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            sql = (
                "SELECT target_id, status FROM queue_items WHERE kind = 'post' "  # noqa: S608
                f"AND platform = ? AND target_id IN ({', '.join('?' * len(chunk))})"
            )  # placeholders only: the keys are parameters
            for r in db.rows(sql, [platform, *chunk]):
                out[(platform, str(r["target_id"]))] = str(r["status"])
    return out


def _shadow_check(
    db: ReviewDB,
    runs: Sequence[dict[str, Any]],
    infos: Sequence[ModelInfo],
    scored: Sequence[Scored],
    kept: Sequence[dict[str, Any]],
    tolerance: float,
) -> ShadowCheck:
    """What the shadow reviews of ``infos[0]`` against ``infos[1]`` say (the
    latest one's counts, the decisions on all their samples), with the held-out
    results *scored* on the rows *kept*."""
    mine, theirs = scored
    both_rows = [
        int(r["label"])
        for r, x, y in zip(kept, mine.flagged, theirs.flagged, strict=False)
        if x and y
    ]
    check = ShadowCheck(
        infos[0].name,
        infos[1].name,
        tolerance,
        same=infos[0].sha256 == infos[1].sha256,
        p_both=sum(both_rows) / len(both_rows) if both_rows else None,
        both_held_out=len(both_rows),
        against_precision=float(theirs.overall.get("precision") or 0.0),
    )
    run, sample, check.available = _drawn(runs, infos[1].name)
    if check.same or run is None:
        return check
    statuses = _statuses(db, sample).values()
    check.seq, check.at, check.seed = run["seq"], run["at"], run.get("seed")
    check.pool, check.both, check.new = int(run["pool"]), int(run["both"]), int(run["new"])
    check.active_only = int(run.get("active_only", 0))
    check.sample = len(sample)
    check.decided = sum(s in ("confirmed", "rejected") for s in statuses)
    check.confirmed = sum(s == "confirmed" for s in statuses)
    check.p_new = check.confirmed / check.decided if check.decided else None
    flags = check.both + check.new
    if flags and (check.new == 0 or check.p_new is not None):
        check.estimated = (
            check.both * (check.p_both or 0.0) + check.new * (check.p_new or 0.0)
        ) / flags
    return check


# -- the comparison -------------------------------------------------------------------


def _verdict(
    candidate: Scored,
    against: Scored,
    rows: int,
    positives: int,
    tolerance: float,
    shadow: ShadowCheck | None = None,
) -> list[str]:
    """Why *candidate* is worse than *against* (empty: not worse; module
    docstring): on the held-out decisions, then by its *shadow* review."""
    return _held_out_verdict(candidate, against, rows, positives, tolerance) + (
        shadow.reasons() if shadow is not None else []
    )


def _held_out_verdict(
    candidate: Scored, against: Scored, rows: int, positives: int, tolerance: float
) -> list[str]:
    if rows < MIN_HELD_OUT:
        return [
            f"only {rows} held-out decisions (at least {MIN_HELD_OUT} are needed to compare "
            "two models): decide more items, or promote with force and a reason"
        ]
    if positives == 0:
        return ["no confirmed item among the held-out decisions: nothing to measure F1 on"]
    scopes = [("overall", candidate.overall, against.overall)]
    for lang, m in sorted(candidate.by_language.items()):
        if m["positives"] >= 1 and m["n"] - m["positives"] >= 1 and m["n"] >= MIN_LANGUAGE:
            scopes.append((f"language {lang}", m, against.by_language[lang]))
    reasons = []
    for scope, mine, theirs in scopes:
        for measure in ("f1", "precision"):
            a, b = float(mine.get(measure) or 0.0), float(theirs.get(measure) or 0.0)
            if a < b - tolerance:
                reasons.append(
                    f"{scope}: {measure} {a:.3f} against {b:.3f} of {against.name} "
                    f"(more than {tolerance} lower)"
                )
    return reasons


def evaluate(
    db: ReviewDB,
    store: Readable,
    candidate: str,
    against: str | None = None,
    *,
    tolerance: float = TOLERANCE,
) -> Comparison:
    """*candidate* against *against* (default: the active model) on the
    decided post items neither learnt from, and by the candidate's shadow
    reviews against it (module docstring)."""
    against = against or active_name(db)
    infos = [get_model(db, candidate), get_model(db, against)]
    runs = _shadow_runs(db, candidate)
    shadowed = {(str(p), str(n)) for run in runs for p, n in run.get("sample") or ()}
    rows, _missing = decided_posts(db, store, split="all")
    unshadowed = [r for r in rows if (r["platform"], r["post_id"]) not in shadowed]
    kept = [
        r
        for r in unshadowed
        if not any(info.saw(int(r["decision_id"]), r["split"]) for info in infos)
    ]
    held_out = {
        "holdout": sum(r["split"] == "holdout" for r in kept),
        "after_cut": sum(r["split"] != "holdout" for r in kept),
        "learnt": len(unshadowed) - len(kept),
        "shadow": len(rows) - len(unshadowed),
    }
    if kept:
        posts = _posts_of(store, kept)
        scored = [_score(i.name, load_model(db, i.name), kept, posts) for i in infos]
    else:
        empty: dict[str, Any] = {k: None for k in _METRICS} | {"n": 0, "positives": 0}
        scored = [Scored(i.name, i.version, {}, dict(empty), {}) for i in infos]
    positives = sum(int(r["label"]) for r in kept)
    check = _shadow_check(db, runs, infos, scored, kept, tolerance)
    reasons = _verdict(scored[0], scored[1], len(kept), positives, tolerance, check)
    return Comparison(
        scored[0],
        scored[1],
        len(kept),
        positives,
        held_out,
        not reasons,
        reasons,
        tolerance,
        check,
    )


# -- promotion ----------------------------------------------------------------------


@dataclass(frozen=True)
class Promotion:
    """A change of the active model."""

    name: str  # active now
    previous: str
    action: str  # model.promote or model.rollback
    forced: bool = False
    reason: str | None = None
    comparison: Comparison | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "previous": self.previous,
            "action": self.action,
            "forced": self.forced,
            "reason": self.reason,
            "comparison": self.comparison.as_dict() if self.comparison else None,
        }


def _set_active(w: Any, name: str) -> None:
    if w.run("UPDATE settings SET value = ? WHERE name = ?", [name, ACTIVE_SETTING]) == 0:
        w.run("INSERT INTO settings (name, value) VALUES (?, ?)", [ACTIVE_SETTING, name])


def promote(
    db: ReviewDB,
    store: Readable | None,
    actor: User,
    name: str,
    *,
    force: bool = False,
    reason: str | None = None,
    comparison: Comparison | None = None,
) -> Promotion:
    """Make model *name* the active one when it is not worse than the active
    one on the held-out decisions of *store*'s workspace (:func:`evaluate`;
    *comparison* if the caller has it already), else refuse with the reasons.
    With *force* it is made active anyway: a *reason* is then required, and
    the audit entry says it was forced, why, and what the comparison showed
    (when one could be made)."""
    actor.require("sync")
    info = get_model(db, name)
    current = active_name(db)
    if name == current:
        raise Conflict(f"{name} is the active model already")
    reason = (reason or "").strip() or None
    if force and reason is None:
        raise ReviewError("a forced promotion needs a reason (--reason): it goes to the audit log")
    if comparison is None and store is not None:
        try:
            comparison = evaluate(db, store, name, current)
        except MarsadError:
            if not force:
                raise
    if not force:
        if comparison is None:
            raise ReviewError(
                f"cannot compare {name} with {current}: the workspace's store is needed"
            )
        if not comparison.not_worse:
            held = comparison.held_out_reasons
            why = [r for r in comparison.reasons if r not in held]
            if held:
                why.insert(
                    0,
                    f"it is worse than {current} on {comparison.rows} held-out decisions -- "
                    + "; ".join(held),
                )
            raise ReviewError(
                f"{name} was not promoted: "
                + "; ".join(why)
                + " (promote with --force and --reason to override)"
            )
    with db.write() as w:
        previous = w.one("SELECT value FROM settings WHERE name = ?", [ACTIVE_SETTING])
        before = str(previous["value"]) if previous else PACKAGED
        _set_active(w, name)
        audit.append(
            w,
            actor.name,
            "model.promote",
            f"model:{name}",
            {
                "from": before,
                "to": name,
                "sha256": info.sha256,
                "version": info.version,
                "forced": force,
                "reason": reason,
                "evaluation": comparison.summary() if comparison is not None else None,
            },
        )
    return Promotion(name, before, "model.promote", force, reason, comparison)


def history(db: ReviewDB) -> list[str]:
    """The stack of active models the audit log's promotions and rollbacks
    leave (module docstring): the packaged model first, the active one last."""
    stack = [PACKAGED]
    for r in db.rows(
        "SELECT action, details FROM audit_log WHERE action IN (?, ?) ORDER BY seq",
        list(_PROMOTIONS),
    ):
        details = json.loads(r["details"])
        if r["action"] == "model.promote":
            stack.append(str(details["to"]))
        elif len(stack) > 1:
            stack.pop()
    return stack


def rollback(db: ReviewDB, actor: User) -> Promotion:
    """Make the model active before the last promotion active again."""
    actor.require("sync")
    with db.write() as w:
        stack = history(db)
        if len(stack) < 2:
            raise ReviewError(
                "nothing to roll back: no promotion is in force (the packaged model is active)"
            )
        previous = w.one("SELECT value FROM settings WHERE name = ?", [ACTIVE_SETTING])
        before = str(previous["value"]) if previous else PACKAGED
        target = stack[-2]
        _set_active(w, target)
        audit.append(
            w, actor.name, "model.rollback", f"model:{target}", {"from": before, "to": target}
        )
    return Promotion(target, before, "model.rollback")


# -- the loop -------------------------------------------------------------------------


@dataclass
class Retrained:
    """What :func:`retrain` did."""

    export: ExportSummary
    model: ModelInfo
    comparison: Comparison
    promoted: Promotion | None
    evaluation: dict[str, Any] = field(default_factory=dict, repr=False)  # the cross-validation
    shadow: Shadow | None = None  # its shadow review (None: not run)

    @property
    def next_step(self) -> str:
        """What to do next, in a sentence."""
        name, c = self.model.name, self.comparison
        if self.promoted is not None:
            return f"{name} is the active model: run `marsad scan` to score the posts with it"
        if c.needs_review and c.shadow is not None:
            left = c.shadow.sample - c.shadow.decided
            return (
                f"review the {left} sample items of its shadow review (detector "
                f"{SHADOW_DETECTOR}), then `marsad model promote {name}`"
            )
        if c.not_worse:
            return f"`marsad model promote {name}` makes it the active model"
        s = c.shadow
        if s is not None and not c.held_out_reasons and s.state in ("missing", "unsampled"):
            return (
                f"`marsad model shadow {name}`, review its sample, then "
                f"`marsad model promote {name}`"
            )
        return (
            f"{name} is worse than {c.against.name}"
            + (" on the held-out decisions (no shadow review run)" if self.shadow is None else "")
            + ": keep the active model, or promote with --force and --reason"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "export": self.export.as_dict(),
            "model": self.model.as_dict(),
            "comparison": self.comparison.as_dict(),
            "shadow": self.shadow.as_dict() if self.shadow else None,
            "promoted": self.promoted.as_dict() if self.promoted else None,
            "next_step": self.next_step,
        }


def retrain(
    review: Review,
    actor: User,
    data: Sequence[DataFile],
    *,
    out_dir: Path,
    hard_files: Sequence[str] = (),
    name: str | None = None,
    split: str = "train",
    promote_if_not_worse: bool = True,
    shadow_sample: int = SHADOW_SAMPLE,
    train_options: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Retrained:
    """The feedback loop in one call: export the decisions of *split*
    (:func:`~marsad.act.decisions.export_decisions`, into *out_dir*), train on
    *data* plus them (their rejections as news, counter-speech or scripture
    marked hard; *hard_files* are the names of *data* files whose negatives
    are all hard), register the model, evaluate it against the active one on
    the decisions it did not learn from, run its shadow review (:func:`shadow`,
    queueing *shadow_sample* items; 0: none) when the held-out decisions do
    not refuse it already, and promote it when it is not worse.  Right after a
    retrain the shadow sample is undecided, so a model that newly flags more
    than :data:`NEW_SHARE` of its flags waits for those decisions
    (:attr:`Retrained.next_step` says so) and is promoted later with
    :func:`promote`.  The store is read only while exporting, evaluating and
    scoring the shadow pool, not while training (minutes), so a scan may write
    it meanwhile."""
    from marsad.detect.card import model_card
    from marsad.detect.datasets import DataFile, read_labelled
    from marsad.detect.evaluate import train

    actor.require("sync")
    say = progress or (lambda _msg: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"decisions-{split}.csv"
    with review.store() as store:
        export = export_decisions(review.db, store, target, actor, split=split)
    if export.rows == 0:
        raise ReviewError(
            f"no decided post items in the {split} split to learn from: decide items first"
        )
    say(
        f"{export.rows:,} decisions exported ({export.positives:,} confirmed, {export.hard:,} hard)"
    )
    rows = read_labelled([*data, DataFile(target)])
    model, ev = train(rows, hard_files=hard_files, progress=say, **dict(train_options or {}))
    path = out_dir / f"{name or 'retrained'}.safetensors"
    model.save(path)
    card = model_card(model)
    write_text(path.with_suffix(".md"), card)
    info = register(
        review.db, actor, path, name=name, decisions=DecisionsFile.of_summary(export), card=card
    )
    with review.store() as store:
        comparison = evaluate(review.db, store, info.name)
    shadowed = None
    s = comparison.shadow
    if (
        shadow_sample > 0
        and not info.active
        and s is not None
        and s.state != "same"
        and not comparison.held_out_reasons  # the held-out decisions do not refuse it
    ):
        shadowed = shadow(review, actor, info.name, sample=shadow_sample, progress=say)
        with review.store() as store:
            comparison = evaluate(review.db, store, info.name)
    done = None
    if promote_if_not_worse and comparison.not_worse and not info.active:
        done = promote(review.db, None, actor, info.name, comparison=comparison)
    return Retrained(export, get_model(review.db, info.name), comparison, done, ev.report, shadowed)
