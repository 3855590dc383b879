"""The model registry (:mod:`marsad.act.registry`): register, evaluate on held-out
decisions, promote only when not worse (or forced, with a reason, logged),
roll back, and the active model is what ``marsad scan`` uses.

Models are tiny (2^16 buckets, 3 folds, a few hundred synthetic rows: neutral
template text, positives with an indicator token): ``good`` learnt that the
tokens matter, ``bad`` learnt the opposite."""

from __future__ import annotations

import csv
import hashlib
import json
import pickle
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from click.testing import CliRunner

from marsad.act import registry as R
from marsad.act.decisions import DecisionsFile, decided_posts
from marsad.detect.classifier import TextClassifier, default_model_path
from marsad.detect.datasets import DataFile, read_labelled
from marsad.detect.evaluate import train
from marsad.detect.features import FeatureSpec
from marsad.detect.scorer import RiskScorer
from marsad.errors import BadModel, Conflict, Forbidden, NotFound, ReviewError
from marsad.review import audit
from marsad.review.db import ReviewDB
from marsad.review.queue import Filters
from marsad.review.service import Review
from marsad.review.users import CONSOLE, User
from tests.act.test_decisions import CONFIRM, decided_template, decided_ws
from tests.review.conftest import review_ws, server_db

#: fixtures of other modules this one uses (named here: pytest finds them by name)
_FIXTURES = (decided_template, decided_ws, review_ws, server_db)

_NEUTRAL = (
    "the weather today is {} and the market opens early",
    "our team played a {} football match on saturday",
    "traffic on the bridge is {} this morning",
    "الطقس اليوم {} والسوق يفتح في التاسعة",
)
_WORDS = ("calm", "busy", "fine", "long", "quiet", "جميل", "هادئ")
_TOKENS = ("Amaq", "#Dabiq", "#IS_news", "#الدولة_الإسلامية", "al-Naba")


def labelled(path: Path, n: int = 400, *, flip: bool = False) -> Path:
    """Synthetic labelled rows: positives carry an indicator token (*flip*: labelled 0)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["username", "text", "label"])
        for i in range(n):
            text = _NEUTRAL[i % 4].format(_WORDS[i % 7])
            if i % 2:
                text += " " + _TOKENS[i % 5]
            w.writerow([f"acct{i // 8}", text, (i % 2) ^ int(flip)])
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    out = {}
    for name, flip in (("good", False), ("bad", True)):
        rows = read_labelled([DataFile(labelled(root / f"{name}.csv", flip=flip))])
        model, _ = train(rows, folds=3, spec=FeatureSpec(bits=16))
        out[name] = model.save(root / f"{name}.safetensors")
    return out


def _entries(db: ReviewDB, action: str) -> list[dict[str, object]]:
    return [
        {**e, "details": json.loads(str(e["details"]))}
        for e in audit.iter_entries(db)
        if e["action"] == action
    ]


# -- on both review databases (no analytic store needed) -------------------------------


def test_register_list_and_load(review_ws: str, models: dict[str, Path], tmp_path: Path) -> None:
    with ReviewDB(review_ws) as db:
        info = R.register(db, CONSOLE, models["good"], name="good")
        assert info.sha256 == hashlib.sha256(models["good"].read_bytes()).hexdigest()
        assert info.version == TextClassifier.load(models["good"]).version
        assert info.card and info.card.startswith("# Model card")
        assert info.trained_on["files"][0]["file"] == "good.csv"
        assert info.trained_on["decisions"] is None and info.decisions is None
        assert info.metrics["cross_validated"]["overall"]["f1"] > 0.8
        # the same file under the same name again changes nothing
        assert R.register(db, CONSOLE, models["good"], name="good") == info
        with pytest.raises(Conflict, match="registered as 'good'"):
            R.register(db, CONSOLE, models["good"], name="other")
        with pytest.raises(Conflict, match="another file"):
            R.register(db, CONSOLE, models["bad"], name="good")
        for bad_name in ("packaged", "-x", "a b"):
            with pytest.raises(ReviewError, match="model name"):
                R.register(db, CONSOLE, models["bad"], name=bad_name)
        with pytest.raises(Forbidden):
            R.register(db, User("rita", "reviewer"), models["bad"])
        evil = tmp_path / "evil.safetensors"
        evil.write_bytes(pickle.dumps({"not": "a model"}))
        with pytest.raises(BadModel, match="pickle"):
            R.register(db, CONSOLE, evil)
        second = R.register(db, CONSOLE, models["bad"])
        assert second.name == f"m-{second.sha256[:12]}"

        listed = R.list_models(db)
        assert [m.name for m in listed] == ["packaged", "good", second.name]
        assert [m.active for m in listed] == [True, False, False]
        assert listed[0].sha256 == hashlib.sha256(default_model_path().read_bytes()).hexdigest()
        assert listed[0].version == TextClassifier.load(None).version
        # every registered model loads, byte for byte what was registered
        assert R.load_model(db, "good").version == info.version
        assert R.model_bytes(db, second.name) == models["bad"].read_bytes()
        with pytest.raises(NotFound, match="known: packaged, good"):
            R.get_model(db, "nope")
        registered = _entries(db, "model.register")
        assert [e["target"] for e in registered] == ["model:good", f"model:{second.name}"]
        assert audit.verify(db)[2] is None


def test_forced_promotion_is_logged_and_rollback_restores(
    review_ws: str, models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARSAD_CACHE_DIR", str(tmp_path / "cache"))
    with ReviewDB(review_ws) as db:
        for name in ("good", "bad"):
            R.register(db, CONSOLE, models[name], name=name)
        with pytest.raises(ReviewError, match="needs a reason"):
            R.promote(db, None, CONSOLE, "good", force=True)
        with pytest.raises(ReviewError, match="store is needed"):
            R.promote(db, None, CONSOLE, "good")  # no decisions to compare on: not unforced
        with pytest.raises(Forbidden):
            R.promote(db, None, User("rita", "reviewer"), "good", force=True, reason="x")
        done = R.promote(db, None, CONSOLE, "good", force=True, reason="first retrain")
        assert (done.name, done.previous, done.forced) == ("good", "packaged", True)
        assert R.active_name(db) == "good"
        with pytest.raises(Conflict, match="active model already"):
            R.promote(db, None, CONSOLE, "good", force=True, reason="again")
        R.promote(db, None, CONSOLE, "bad", force=True, reason="try the other")
        assert R.history(db) == ["packaged", "good", "bad"]

        promoted = _entries(db, "model.promote")
        assert [e["details"]["reason"] for e in promoted] == ["first retrain", "try the other"]
        assert all(e["details"]["forced"] for e in promoted)
        assert promoted[0]["details"]["from"] == "packaged"
        assert promoted[1]["details"]["sha256"] == R.get_model(db, "bad").sha256

        # the active model's file for scan: written once, by hash, into the cache
        path = R.active_model_path(review_ws)
        assert path is not None and path.name == f"{R.get_model(db, 'bad').sha256}.safetensors"
        assert path.read_bytes() == models["bad"].read_bytes()

        assert R.rollback(db, CONSOLE).name == "good"
        assert R.active_name(db) == "good"
        assert R.rollback(db, CONSOLE).name == "packaged"
        assert R.active_model_path(review_ws) is None
        with pytest.raises(ReviewError, match="nothing to roll back"):
            R.rollback(db, CONSOLE)
        back = _entries(db, "model.rollback")
        assert [(e["details"]["from"], e["details"]["to"]) for e in back] == [
            ("bad", "good"),
            ("good", "packaged"),
        ]
        # earlier models stay loadable after all that
        assert R.load_model(db, "bad").version == TextClassifier.load(models["bad"]).version
        assert audit.verify(db)[2] is None


def test_the_cached_model_file_is_checked(tmp_path: Path, models: dict[str, Path]) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    assert R.active_model_path(ws) is None  # no review database: the packaged model
    with ReviewDB(ws) as db:
        assert R.active_model_path(ws) is None  # nothing promoted: the packaged model
        R.register(db, CONSOLE, models["good"], name="good")
        R.promote(db, None, CONSOLE, "good", force=True, reason="test")
    path = R.active_model_path(ws)
    assert path is not None and path.parent == ws / "cache" / "models"
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")  # altered on disk
    again = R.active_model_path(ws)
    assert again == path and again.read_bytes() == models["good"].read_bytes()


# -- on the decided simulation --------------------------------------------------------


def test_the_packaged_model_flags_every_item_it_queued(decided_ws: Path) -> None:
    """The evaluation scores as scan does: every decided item was queued for being
    over the packaged model's threshold, so the packaged model flags them all."""
    with Review(decided_ws) as review, review.store() as store:
        c = R.evaluate(review.db, store, "packaged", "packaged")
        rows, _ = decided_posts(review.db, store)
    assert c.rows == len(rows) and c.positives == sum(r["label"] for r in rows)
    assert c.candidate.overall["recall"] == 1.0 and c.candidate.overall["fn"] == 0
    assert c.candidate.overall["precision"] == pytest.approx(c.positives / c.rows)
    assert c.not_worse and c.reasons == []
    assert c.candidate.version == RiskScorer(TextClassifier.load(None)).version
    assert set(c.candidate.by_language) == {r["lang"] or "und" for r in rows}


def test_evaluation_leaves_out_what_a_model_learnt(
    decided_ws: Path, models: dict[str, Path]
) -> None:
    with Review(decided_ws) as review, review.store() as store:
        rows, _ = decided_posts(review.db, store)
        cut = sorted(r["decision_id"] for r in rows)[len(rows) // 2]
        learnt = DecisionsFile("d.csv", "0" * 64, 100, ("train",), cut)
        R.register(review.db, CONSOLE, models["good"], name="good", decisions=learnt)
        c = R.evaluate(review.db, store, "good")
    holdout = [r for r in rows if r["split"] == "holdout"]
    later = [r for r in rows if r["split"] == "train" and r["decision_id"] > cut]
    assert c.held_out == {
        "holdout": len(holdout),
        "after_cut": len(later),
        "learnt": len(rows) - len(holdout) - len(later),
        "shadow": 0,
    }
    assert c.rows == len(holdout) + len(later) > 0
    assert c.against.name == "packaged" and c.against.overall["n"] == c.rows


def test_a_worse_model_is_refused_an_equal_one_promoted(
    decided_ws: Path, models: dict[str, Path], tmp_path: Path
) -> None:
    copy = tmp_path / "copy.safetensors"
    shutil.copyfile(default_model_path(), copy)
    with Review(decided_ws) as review, review.store() as store:
        R.register(review.db, CONSOLE, models["bad"], name="bad")
        c = R.evaluate(review.db, store, "bad")
        assert not c.not_worse and any(r.startswith("overall: f1") for r in c.reasons)
        with pytest.raises(ReviewError, match="bad was not promoted: it is worse than packaged"):
            R.promote(review.db, store, CONSOLE, "bad")
        assert R.active_name(review.db) == "packaged"
        assert _entries(review.db, "model.promote") == []
        # the packaged model's own file under a name: equal on every decision, so not
        # worse; and it flags nothing anew, so it needs no shadow review
        R.register(review.db, CONSOLE, copy, name="same")
        same = R.evaluate(review.db, store, "same")
        assert same.shadow is not None and same.shadow.state == "same" and same.not_worse
        done = R.promote(review.db, store, CONSOLE, "same")
        assert R.active_name(review.db) == "same" and not done.forced
        (entry,) = _entries(review.db, "model.promote")
        details = entry["details"]
        assert isinstance(details, dict) and details["forced"] is False
        assert details["evaluation"]["not_worse"] and details["evaluation"]["rows"] == c.rows
        # a forced promotion of the worse one keeps the comparison and the reason
        forced = R.promote(review.db, store, CONSOLE, "bad", force=True, reason="a test")
        assert forced.comparison is not None and not forced.comparison.not_worse
        last = _entries(review.db, "model.promote")[-1]["details"]
        assert isinstance(last, dict) and last["reason"] == "a test"
        assert last["evaluation"]["reasons"] == forced.comparison.reasons
        assert audit.verify(review.db)[2] is None


def test_too_few_held_out_decisions_is_no_comparison(
    decided_ws: Path, models: dict[str, Path]
) -> None:
    with Review(decided_ws) as review, review.store() as store:
        rows, _ = decided_posts(review.db, store)
        everything = DecisionsFile("d.csv", "0" * 64, len(rows), ("train", "holdout"), 10**9)
        R.register(review.db, CONSOLE, models["good"], name="good", decisions=everything)
        c = R.evaluate(review.db, store, "good")
        assert c.rows == 0 and c.reasons[0].startswith(
            f"only 0 held-out decisions (at least {R.MIN_HELD_OUT}"
        )
        with pytest.raises(ReviewError, match="only 0 held-out"):
            R.promote(review.db, store, CONSOLE, "good")
        assert R.promote(review.db, store, CONSOLE, "good", force=True, reason="seen all").forced


def _risk_versions(ws: Path) -> set[str]:
    con = duckdb.connect(str(ws / "marsad.duckdb"), read_only=True)
    try:
        return {
            v
            for (v,) in con.execute(
                "SELECT DISTINCT detector_version FROM detections WHERE detector = 'risk'"
            ).fetchall()
        }
    finally:
        con.close()


def test_scan_uses_the_active_model(decided_ws: Path, models: dict[str, Path]) -> None:
    from marsad.cli.detect import scan

    with ReviewDB(decided_ws) as db:
        R.register(db, CONSOLE, models["good"], name="good")
        R.promote(db, None, CONSOLE, "good", force=True, reason="test the scan")
    expected = RiskScorer(TextClassifier.load(models["good"])).version
    done = CliRunner().invoke(scan, ["-w", str(decided_ws), "--json"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.output[done.output.index("{") :])
    assert summary["versions"]["risk"] == expected and summary["scanned"] == summary["total"]
    assert _risk_versions(decided_ws) == {expected}
    with ReviewDB(decided_ws) as db:
        R.rollback(db, CONSOLE)
    again = CliRunner().invoke(scan, ["-w", str(decided_ws), "--json"])
    assert again.exit_code == 0, again.output
    assert _risk_versions(decided_ws) == {RiskScorer(TextClassifier.load(None)).version}


def test_the_model_commands(decided_ws: Path, models: dict[str, Path], tmp_path: Path) -> None:
    from marsad.cli.act_learn import decisions, model

    runner = CliRunner()
    ws = ["-w", str(decided_ws)]

    def run(group: object, *args: str) -> tuple[int, str]:
        done = runner.invoke(group, [*args, *ws])  # type: ignore[arg-type]
        return done.exit_code, done.output

    code, _ = run(decisions, "export", "--out", str(tmp_path / "d.csv"), "--split", "train")
    assert code == 0
    code, text = run(
        model,
        "register",
        str(models["bad"]),
        "--name",
        "bad",
        "--decisions",
        str(tmp_path / "d.csv"),
        "--json",
    )
    assert code == 0, text
    assert json.loads(text)["trained_on"]["decisions"]["splits"] == ["train"]
    code, text = run(model, "list", "--json")
    assert [m["name"] for m in json.loads(text)] == ["packaged", "bad"]
    code, text = run(model, "evaluate", "bad", "--json")
    assert code == 0 and json.loads(text)["not_worse"] is False
    code, text = run(model, "evaluate", "bad")
    assert code == 0 and "is worse than packaged" in text
    code, text = run(model, "promote", "bad")
    assert code == 2 and "not promoted" in text
    code, text = run(model, "promote", "bad", "--force")
    assert code == 2 and "needs a reason" in text
    code, text = run(model, "promote", "bad", "--force", "--reason", "checking", "--json")
    assert code == 0 and json.loads(text)["forced"] is True
    code, text = run(model, "rollback")
    assert code == 0 and "packaged is the active model again" in text
    code, text = run(model, "rollback")
    assert code == 2 and "nothing to roll back" in text


def test_retrain_in_one_command(decided_ws: Path, tmp_path: Path) -> None:
    from marsad.cli.act_learn import model

    base = labelled(tmp_path / "base.csv", 200)
    out = tmp_path / "out"
    done = CliRunner().invoke(
        model,
        ["retrain", "--data", str(base), "--folds", "3", "--name", "r1", "--out-dir", str(out)]
        + ["-w", str(decided_ws), "--json"],
    )
    assert done.exit_code == 0, done.output
    result = json.loads(done.output[done.output.index("{") :])
    assert result["model"]["name"] == "r1"
    learnt = result["model"]["trained_on"]["decisions"]
    assert learnt["splits"] == ["train"] and learnt["rows"] == result["export"]["rows"]
    assert {f["file"] for f in result["model"]["trained_on"]["files"]} == {
        "base.csv",
        "decisions-train.csv",
    }
    assert (out / "decisions-train.csv").is_file() and (out / "r1.safetensors").is_file()
    comparison = result["comparison"]
    assert comparison["held_out"]["learnt"] == result["export"]["rows"]
    assert comparison["held_out"]["holdout"] == comparison["rows"]  # nothing decided since
    assert (result["promoted"] is not None) == comparison["not_worse"]
    # a model the held-out decisions refuse is not shadowed: no sample for reviewers
    held_out_refuses = comparison["reasons"] != comparison["shadow"]["reasons"]
    assert (result["shadow"] is None) == held_out_refuses
    assert result["next_step"]
    with ReviewDB(decided_ws) as db:
        assert R.active_name(db) == ("r1" if comparison["not_worse"] else "packaged")


# -- the shadow review ----------------------------------------------------------------
#
# ``lenient`` is the packaged model with every threshold at 0.8 of its own: the same
# risk, so it flags every post the packaged model flags (every held-out decision: the
# held-out comparison cannot tell the two apart) and some 8% more, which no reviewer
# has seen.  The store's risk detections (the packaged scan's, the same risk version)
# say independently which posts each flags.


@pytest.fixture(scope="module")
def lenient(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = TextClassifier.load(None)
    model.thresholds_ = {k: 0.8 * v for k, v in model.thresholds_.items()}
    return model.save(tmp_path_factory.mktemp("lenient") / "lenient.safetensors")


def _stored_flags(ws: Path, model: Path | None) -> set[tuple[str, str]]:
    """The posts with text whose stored risk (the scan's) is at or over *model*'s thresholds."""
    scorer = RiskScorer(TextClassifier.load(model))
    policy = scorer.policy()
    con = duckdb.connect(str(ws / "marsad.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT d.platform, d.target_id, d.score, d.evidence, p.lang, p.text "
            "FROM detections d JOIN current_posts p "
            "ON p.platform = d.platform AND p.native_id = d.target_id "
            "WHERE d.detector = 'risk' AND d.target_kind = 'post' AND d.detector_version = ?",
            [scorer.version],
        ).fetchall()
    finally:
        con.close()
    return {
        (plat, tid)
        for plat, tid, score, evidence, lang, text in rows
        if (text or "").strip()
        and score >= policy.threshold(lang, with_author="author" in json.loads(evidence))
    }


def _detections(ws: Path) -> int:
    con = duckdb.connect(str(ws / "marsad.duckdb"), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM detections").fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def _shadow_items(review: Review) -> list[dict[str, object]]:
    return review.queue.list(Filters(detector=R.SHADOW_DETECTOR, status=None), limit=500)


def test_a_shadow_review_queues_a_sample_of_what_only_the_candidate_flags(
    decided_template: Path, decided_ws: Path, lenient: Path, tmp_path: Path
) -> None:
    packaged, more = _stored_flags(decided_ws, None), _stored_flags(decided_ws, lenient)
    assert packaged < more  # the fixture: lenient flags all packaged flags, and more
    detections = _detections(decided_ws)
    with Review(decided_ws) as review:
        R.register(review.db, CONSOLE, lenient, name="lenient")
        before = {
            (r["platform"], r["target_id"])
            for r in review.db.rows("SELECT platform, target_id FROM queue_items")
        }
        with pytest.raises(Forbidden):
            R.shadow(review, User("rita", "reviewer"), "lenient")
        with pytest.raises(Conflict, match="packaged is the active model"):
            R.shadow(review, CONSOLE, "packaged")
        done = R.shadow(review, CONSOLE, "lenient", sample=10, seed=1)
        items = _shadow_items(review)
        (entry,) = _entries(review.db, "model.shadow")
        # a scan's queue sync withdraws the risk detector's items only: these stay
        review.sync(CONSOLE)
        assert {it["status"] for it in _shadow_items(review)} == {"open"}
        assert audit.verify(review.db)[2] is None
    # the counts are those of the scan's stored risk at each model's thresholds
    assert (done.name, done.against, done.seed) == ("lenient", "packaged", 1)
    assert done.pool == 3000 and done.active_only == 0
    assert (done.both, done.new) == (len(packaged), len(more - packaged))
    assert done.version == RiskScorer(TextClassifier.load(lenient)).version
    # ten of the new posts, none queued before, queued as open items of the shadow detector
    sample = set(done.sample)
    assert len(sample) == 10 and sample <= more - packaged and not sample & before
    assert {(it["platform"], it["target_id"]) for it in items} == sample
    for it in items:
        assert it["kind"] == "post" and it["detector_version"] == done.version
        assert it["account_id"] and it["seen_at"] and 0 < float(it["score"]) < 1  # type: ignore[arg-type]
    assert (done.drawn, done.available, done.required) == (10, done.new, R.MIN_SHADOW)
    assert _detections(decided_ws) == detections  # nothing written to the store
    # the audit entry is the record
    details = entry["details"]
    assert isinstance(details, dict) and entry["target"] == "model:lenient"
    assert {k: details[k] for k in ("against", "pool", "both", "new", "active_only", "seed")} == {
        "against": "packaged",
        "pool": done.pool,
        "both": done.both,
        "new": done.new,
        "active_only": 0,
        "seed": 1,
    }
    assert [tuple(k) for k in details["sample"]] == done.sample

    # the same seed on the same workspace draws the same sample; another seed another
    def again(seed: int, where: str) -> list[tuple[str, str]]:
        ws = tmp_path / where
        shutil.copytree(decided_template, ws)
        with Review(ws) as review:
            R.register(review.db, CONSOLE, lenient, name="lenient")
            return R.shadow(review, CONSOLE, "lenient", sample=10, seed=seed).sample

    assert again(1, "same-seed") == done.sample
    assert set(again(2, "other-seed")) != sample


def _decide_sample(review: Review, n: int | None, confirm_every: int) -> tuple[int, int]:
    """Decide the first *n* (None: all) shadow items, confirming one in *confirm_every*."""
    items = _shadow_items(review)[:n]
    confirmed = 0
    for i, it in enumerate(items):
        if i % confirm_every == 0:
            review.queue.decide(CONSOLE, int(it["id"]), "confirm", **CONFIRM)  # type: ignore[arg-type]
            confirmed += 1
        else:
            review.queue.decide(CONSOLE, int(it["id"]), "reject", reason="other")  # type: ignore[arg-type]
    return len(items), confirmed


@pytest.mark.parametrize(
    ("decide_n", "confirm_every", "state"),
    [
        (None, 1, "fine"),  # every new flag confirmed: its queue is not worse, promoted
        (None, 10, "worse"),  # nine in ten rejected: refused on the estimate, held-out equal
        (R.MIN_SHADOW - 1, 1, "undecided"),  # one decision short of the minimum: refused
    ],
)
def test_the_shadow_review_judges_the_new_flags(
    decided_ws: Path, lenient: Path, decide_n: int | None, confirm_every: int, state: str
) -> None:
    with Review(decided_ws) as review:
        R.register(review.db, CONSOLE, lenient, name="lenient")
        done = R.shadow(review, CONSOLE, "lenient")
        assert done.new > 2 * R.MIN_SHADOW and done.needs_decisions  # the fixture
        assert len(done.sample) == min(R.SHADOW_SAMPLE, done.new)
        n, confirmed = _decide_sample(review, decide_n, confirm_every)
        with review.store() as store:
            c = R.evaluate(review.db, store, "lenient")
            # the held-out decisions cannot tell the two apart (its sample is left out)
            assert c.candidate.overall == c.against.overall and c.held_out_reasons == []
            assert c.held_out["shadow"] == n
            s = c.shadow
            assert s is not None and s.state == state
            assert (s.both, s.new, s.sample, s.decided, s.confirmed) == (
                done.both,
                done.new,
                len(done.sample),
                n,
                confirmed,
            )
            held_out = c.against.overall["precision"]
            assert s.p_both == held_out and s.both_held_out == c.rows  # lenient flags them all
            expected = (s.both * held_out + s.new * confirmed / n) / (s.both + s.new)
            assert s.estimated == pytest.approx(expected)
            assert c.as_dict()["shadow"]["estimated"] == s.estimated
            assert c.summary()["shadow"]["state"] == state
            if state == "fine":
                assert c.not_worse and c.reasons == []
                R.promote(review.db, store, CONSOLE, "lenient")
                assert R.active_name(review.db) == "lenient"
                (entry,) = _entries(review.db, "model.promote")
                details = entry["details"]
                assert isinstance(details, dict)
                assert details["evaluation"]["shadow"]["p_new"] == 1.0
                return
            assert not c.not_worse and c.reasons == s.reasons()
            assert c.needs_review == (state == "undecided")
            why = (
                f"estimated precision of its queue {expected:.3f} against {held_out:.3f}"
                if state == "worse"
                else f"and {n} of the {len(done.sample)} items its shadow reviews queued"
            )
            assert why in c.reasons[0]
            with pytest.raises(ReviewError, match=re.escape(why)):
                R.promote(review.db, store, CONSOLE, "lenient")
            assert R.active_name(review.db) == "packaged"


def test_a_candidate_never_shadowed_is_refused(
    decided_ws: Path, models: dict[str, Path], lenient: Path
) -> None:
    with Review(decided_ws) as review, review.store() as store:
        R.register(review.db, CONSOLE, lenient, name="lenient")
        c = R.evaluate(review.db, store, "lenient")
        assert c.held_out_reasons == [] and c.shadow is not None and c.shadow.state == "missing"
        assert c.reasons == [
            "no shadow review of lenient against packaged: how many posts it would newly "
            "queue that no reviewer has seen is unknown -- run `marsad model shadow lenient` "
            "and decide its sample"
        ]
        with pytest.raises(ReviewError, match="run `marsad model shadow lenient`"):
            R.promote(review.db, store, CONSOLE, "lenient")
        # a shadow review against another active model is not one against this one
        R.register(review.db, CONSOLE, models["good"], name="good")
        R.promote(review.db, None, CONSOLE, "good", force=True, reason="a test")
        R.shadow(review, CONSOLE, "lenient", sample=0)
        R.rollback(review.db, CONSOLE)
        c = R.evaluate(review.db, store, "lenient")
        assert c.shadow is not None and c.shadow.state == "missing"
        # one that drew nothing (--sample 0) says how much is new, and asks for a sample
        done = R.shadow(review, CONSOLE, "lenient", sample=0)
        c = R.evaluate(review.db, store, "lenient")
        assert c.shadow is not None and c.shadow.state == "unsampled" and not c.not_worse
        assert c.reasons[0].startswith(
            f"it would newly queue {done.new:,} of the {done.pool:,} posts of its shadow review "
            f"({done.new_share:.1%} of its flags) that no reviewer has seen"
        )
        # a forced promotion still goes through, with the comparison in the audit log
        assert R.promote(review.db, store, CONSOLE, "lenient", force=True, reason="seen").forced


def test_the_shadow_command(decided_ws: Path, lenient: Path) -> None:
    from marsad.cli.act_learn import model

    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        done = runner.invoke(model, [*args, "-w", str(decided_ws)])
        return done.exit_code, done.output

    assert run("register", str(lenient), "--name", "lenient")[0] == 0
    code, text = run("shadow", "lenient", "--sample", "5")
    assert code == 0, text
    assert "shadow review of lenient against packaged" in text
    assert "5 of the posts only lenient flags put in the review queue" in text
    assert f"--sample {R.MIN_SHADOW - 5}` or more" in text  # five are too few to promote on
    code, text = run("shadow", "lenient", "--seed", "2", "--json")
    assert code == 0, text
    data = json.loads(text[text.index("{") :])
    assert data["against"] == "packaged" and data["seed"] == 2 and data["queued"] == 5
    assert len(data["sample"]) == data["new"] - 5 == data["drawn"] - 5  # the rest of them
    assert data["needs_decisions"] is True and data["required"] == R.MIN_SHADOW
    code, text = run("evaluate", "lenient")
    assert code == 0 and "waits for the decisions of its shadow review" in text
    assert f"0 of its {data['new']} sample items decided" in " ".join(text.split())
    code, text = run("promote", "lenient")
    assert code == 2 and "not promoted" in text and "review them" in text
    code, text = run("shadow", "packaged")
    assert code == 2 and "is the active model" in text
    code, text = run("shadow", "nope")
    assert code == 2 and "no model 'nope'" in text


def _truth(analysed_template: Path) -> dict[str, bool]:
    path = analysed_template.parent / "sim" / "ground_truth" / "accounts.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["native_id"]: r["is_covert"] == "true" for r in csv.DictReader(fh)}


def test_retrain_waits_for_the_shadow_review(
    decided_ws: Path,
    lenient: Path,
    analysed_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A retrain whose model passes the held-out decisions runs its shadow review and
    waits for it; decided from the simulator's truth, the model is then promoted."""
    import marsad.detect.evaluate
    from marsad.cli.act_learn import model

    trained = TextClassifier.load(lenient)
    monkeypatch.setattr(
        marsad.detect.evaluate,
        "train",
        lambda *a, **k: (trained, SimpleNamespace(report=trained.meta_.get("evaluation"))),
    )
    runner = CliRunner()
    base = labelled(tmp_path / "base.csv", 40)
    done = runner.invoke(
        model, ["retrain", "--data", str(base), "--name", "r2", "-w", str(decided_ws)]
    )
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "r2 waits for the decisions of its shadow review" in text
    with Review(decided_ws) as review:
        items = _shadow_items(review)
        assert items and R.active_name(review.db) == "packaged"
        assert f"next: review the {len(items)} sample items of its shadow review" in text
        assert "then `marsad model promote r2`" in text
        truth = _truth(analysed_template)
        for it in items:
            if truth[str(it["account_id"])]:
                review.queue.decide(CONSOLE, int(it["id"]), "confirm", **CONFIRM)  # type: ignore[arg-type]
            else:
                review.queue.decide(CONSOLE, int(it["id"]), "reject", reason="other")  # type: ignore[arg-type]
    done = runner.invoke(model, ["promote", "r2", "-w", str(decided_ws), "--json"])
    assert done.exit_code == 0, done.output
    shadow = json.loads(done.output)["comparison"]["shadow"]
    assert shadow["state"] == "fine" and shadow["decided"] == len(items)
    assert shadow["p_new"] > shadow["against_precision"]  # the simulation's new flags are right
