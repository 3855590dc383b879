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
what it flags that reviewers confirmed -- the queue's own precision.

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
A lead may still promote with ``force`` and a **reason**: logged as forced,
with the reason and the comparison, in the audit log.

**History.**  Every change is an audit entry in the transaction that makes
it (``model.register``, ``model.promote`` with ``forced`` and ``reason``,
``model.rollback``).  :func:`rollback` replays the promotions and rollbacks
of the audit log as a stack -- a promotion pushes, a rollback pops -- and
makes the model under the top active again: one rollback undoes the last
promotion, two undo the last two.  Registering, promoting and rolling back
need the ``sync`` permission (a lead or an admin); listing and evaluating
change nothing and take no actor (a shell shows them to whoever may read
the queue).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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
    "PACKAGED",
    "TOLERANCE",
    "Comparison",
    "ModelInfo",
    "Promotion",
    "Retrained",
    "Scored",
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
class Comparison:
    """A candidate against the active (or another) model on the same held-out decisions."""

    candidate: Scored
    against: Scored
    rows: int
    positives: int
    held_out: dict[str, int]  # holdout: rows of the holdout split; after_cut: decided after
    # what a model learnt; learnt: rows left out because a model learnt from them
    not_worse: bool
    reasons: list[str]  # why it is worse (empty when not worse)
    tolerance: float = TOLERANCE

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


def _verdict(
    candidate: Scored, against: Scored, rows: int, positives: int, tolerance: float
) -> list[str]:
    """Why *candidate* is worse than *against* (empty: not worse; module docstring)."""
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
    decided post items neither learnt from (module docstring)."""
    against = against or active_name(db)
    infos = [get_model(db, candidate), get_model(db, against)]
    rows, _missing = decided_posts(db, store, split="all")
    kept = [
        r for r in rows if not any(info.saw(int(r["decision_id"]), r["split"]) for info in infos)
    ]
    held_out = {
        "holdout": sum(r["split"] == "holdout" for r in kept),
        "after_cut": sum(r["split"] != "holdout" for r in kept),
        "learnt": len(rows) - len(kept),
    }
    if kept:
        posts = _posts_of(store, kept)
        scored = [_score(i.name, load_model(db, i.name), kept, posts) for i in infos]
    else:
        empty: dict[str, Any] = {k: None for k in _METRICS} | {"n": 0, "positives": 0}
        scored = [Scored(i.name, i.version, {}, dict(empty), {}) for i in infos]
    positives = sum(int(r["label"]) for r in kept)
    reasons = _verdict(scored[0], scored[1], len(kept), positives, tolerance)
    return Comparison(
        scored[0], scored[1], len(kept), positives, held_out, not reasons, reasons, tolerance
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
            raise ReviewError(
                f"{name} was not promoted: it is worse than {current} on "
                f"{comparison.rows} held-out decisions -- "
                + "; ".join(comparison.reasons)
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "export": self.export.as_dict(),
            "model": self.model.as_dict(),
            "comparison": self.comparison.as_dict(),
            "promoted": self.promoted.as_dict() if self.promoted else None,
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
    train_options: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Retrained:
    """The feedback loop in one call: export the decisions of *split*
    (:func:`~marsad.act.decisions.export_decisions`, into *out_dir*), train on
    *data* plus them (their rejections as news, counter-speech or scripture
    marked hard; *hard_files* are the names of *data* files whose negatives
    are all hard), register the model, evaluate it against the active one on
    the decisions it did not learn from and promote it when it is not worse.
    The store is read only while exporting and evaluating, not while
    training (minutes), so a scan may write it meanwhile."""
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
        done = None
        if promote_if_not_worse and comparison.not_worse and not info.active:
            done = promote(review.db, store, actor, info.name, comparison=comparison)
    return Retrained(export, get_model(review.db, info.name), comparison, done, ev.report)
