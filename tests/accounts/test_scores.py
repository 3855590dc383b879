"""Account scores on a simulated platform (ground truth) and as a user runs them.

The design under test (``marsad.accounts.score``): an account is flagged only
on evidence; behaviour (posting rate, age, re-posting, post count) orders the
flagged accounts by a bounded bonus and never flags one alone.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from marsad.accounts.score import (
    BEHAVIOUR_FEATURES,
    DETECTOR,
    EVIDENCE_FEATURES,
    FEATURES,
    AccountFeatures,
    AccountModel,
    AccountScorer,
    account_features,
    explain_account,
    fit,
)
from marsad.accounts.train_scores import TRAIN_SEEDS, per_kind_auc, simulated_features
from marsad.cli import main
from marsad.errors import InputError

#: the tests' seed: not one the packaged model was fitted on
SEED = 7


@pytest.fixture(scope="module")
def sim() -> object:
    assert SEED not in TRAIN_SEEDS
    return simulated_features(SEED)


@pytest.fixture(scope="module")
def model() -> AccountModel:
    return AccountModel.load()


def test_scores_separate_the_covert_network_from_everyone_else(
    sim: object, model: AccountModel
) -> None:
    p = model.proba(sim.values)  # type: ignore[attr-defined]
    labels = sim.labels  # type: ignore[attr-defined]
    roles = np.array(sim.roles)  # type: ignore[attr-defined]
    assert set(roles[labels == 0]) <= {"ordinary", "news", "campaign"}
    # covert roles against everyone, and against each kind of account on its
    # own (issue 6: >= 0.95), on a held-out small platform
    auc = per_kind_auc(sim, p)  # type: ignore[arg-type]
    assert set(auc) == {"all", "ordinary", "news", "campaign"}
    for kind, value in auc.items():
        assert value >= 0.95, (kind, auc)
    # calibrated enough to be read as a probability: mean score near the covert share
    assert abs(p.mean() - labels.mean()) < 0.1
    # the flag is the evidence's, and it is the same statement as score >= threshold
    flagged = model.flagged(sim.values)  # type: ignore[attr-defined]
    assert np.array_equal(flagged, p >= model.threshold)
    assert labels[flagged].mean() >= 0.85  # precision of the flag
    assert flagged[labels == 1].mean() >= 0.75  # recall of the flag


def test_refitting_on_labelled_accounts(sim: object, tmp_path: Path) -> None:
    from sklearn.metrics import roc_auc_score

    values, labels = sim.values, sim.labels  # type: ignore[attr-defined]
    refit = fit(values, labels, card={"trained_on": "test"})
    assert len(refit.coef) == len(refit.knots) == len(EVIDENCE_FEATURES)
    assert len(refit.behaviour_coef) == len(BEHAVIOUR_FEATURES)
    assert 0 < refit.threshold < 1
    assert min(min(c) for c in refit.coef) >= 0  # evidence only ever raises the score
    assert roc_auc_score(labels, refit.proba(values)) >= 0.95
    (tmp_path / "m.json").write_text(refit.to_json(), encoding="utf-8")
    assert AccountModel.load(tmp_path / "m.json") == refit


def test_labels_the_evidence_cannot_explain_are_refused() -> None:
    # every negative has more evidence than every positive: a model of them
    # would flag accounts for having no evidence, which fit refuses
    rng = np.random.default_rng(0)
    values = rng.uniform(0, 1, (200, len(FEATURES)))
    labels = (np.arange(200) < 100).astype(np.int64)
    values[labels == 1, : len(EVIDENCE_FEATURES)] = 0.0
    with pytest.raises(InputError):
        fit(values, labels)


def test_model_files_are_checked(tmp_path: Path, model: AccountModel) -> None:
    path = tmp_path / "m.json"
    path.write_text(model.to_json(), encoding="utf-8")
    assert AccountModel.load(path) == model
    obj = json.loads(model.to_json())
    ev, be = obj["evidence"], obj["behaviour"]
    negative = [list(c) for c in ev["coef"]]
    negative[0][0] = -1.0
    wrong_sign = list(be["coef"])
    wrong_sign[BEHAVIOUR_FEATURES.index("age_at_first_post_log")] = 1.0
    for broken, why in (
        ({**obj, "format": "pickle"}, "not a"),  # not our format (or the old one)
        ({**obj, "evidence": {**ev, "features": ["x"]}}, "other features"),
        ({**obj, "evidence": {**ev, "coef": ev["coef"][:1]}}, "not as long"),
        ({**obj, "evidence": {**ev, "intercept": "zz"}}, "damaged"),
        ({**obj, "evidence": {**ev, "coef": negative}}, "only raise"),  # evidence lowering
        ({**obj, "evidence": {**ev, "intercept": 50.0}}, "no evidence would be flagged"),
        ({**obj, "behaviour": {**be, "max": 9.0}}, "behaviour bound"),
        ({**obj, "behaviour": {**be, "coef": wrong_sign}}, "wrong way"),  # older -> higher
    ):
        path.write_text(json.dumps(broken), encoding="utf-8")
        with pytest.raises(InputError, match=why):
            AccountModel.load(path)
    path.write_bytes(b"\x80\x04pickle")
    with pytest.raises(InputError, match="not an account model"):
        AccountModel.load(path)


# -- behaviour never flags -----------------------------------------------------


def _features(rows: list[dict[str, float]]) -> AccountFeatures:
    values = np.array([[row.get(f, 0.0) for f in FEATURES] for row in rows])
    n = len(rows)
    return AccountFeatures(
        keys=[("x", str(i)) for i in range(n)],
        handles=[f"account{i}" for i in range(n)],
        values=values,
        seeds=np.zeros(n, dtype=bool),
        posts=np.round(np.expm1(values[:, FEATURES.index("posts_log")])).astype(np.int64),
    )


#: what the simulated network looks like from outside: hundreds of posts a
#: day apart, a new account, all re-posts, a counter in the handle
FRANTIC = {
    "posts_log": math.log1p(400),
    "posts_per_day_log": math.log1p(200),
    "repost_share": 1.0,
    "age_at_first_post_log": 0.0,
    "handle_counter": 1.0,
}
#: an established, quiet account
QUIET = {
    "posts_log": math.log1p(3),
    "posts_per_day_log": math.log1p(0.1),
    "repost_share": 0.0,
    "age_at_first_post_log": math.log1p(3000),
    "handle_counter": 0.0,
}
#: content evidence: a third of its posts carry an indicator, a strong one,
#: and a third of them read as risky (no network tie, no lineage)
CONTENT = {
    "risk_lean_share": 0.3,
    "risk_pos_mean": 0.2,
    "indicator_share": 0.3,
    "indicator_max": 0.8,
}


def test_behaviour_alone_never_flags_and_only_orders_flagged_accounts(
    model: AccountModel,
) -> None:
    scorer = AccountScorer(model)
    rows = [FRANTIC, QUIET, {**FRANTIC, **CONTENT}, {**QUIET, **CONTENT}]
    by_id = {s.native_id: s for s in scorer.score_features(_features(rows))}
    frantic, quiet, frantic_c, quiet_c = (by_id[str(i)] for i in range(len(rows)))
    # no evidence: not flagged, however frantic -- and it says why
    assert not frantic.flagged and frantic.score < model.threshold
    assert frantic.score == quiet.score == frantic.evidence  # behaviour did not move it
    assert frantic.behaviour == 0 and frantic.behaviour_signal >= model.behaviour_max / 2
    assert frantic.reason.startswith("no evidence: behaviour alone never flags")
    assert frantic.carried_by == ()
    # the same content flags both; the frantic one comes first, by a bounded bonus
    assert frantic_c.flagged and quiet_c.flagged
    assert frantic_c.evidence == quiet_c.evidence
    assert frantic_c.score > quiet_c.score >= quiet_c.evidence >= model.threshold
    assert 0 <= quiet_c.behaviour < frantic_c.behaviour <= model.behaviour_max
    logit = math.log(frantic_c.score / (1 - frantic_c.score))
    base = math.log(frantic_c.evidence / (1 - frantic_c.evidence))
    assert logit - base == pytest.approx(frantic_c.behaviour, abs=1e-3)
    assert "content" in frantic_c.carried_by and frantic_c.reason.startswith("flagged on evidence")


_unit = st.floats(0.0, 1.0, allow_nan=False)
_behaviour = st.fixed_dictionaries(
    {
        "posts_log": st.floats(0.0, 12.0),
        "posts_per_day_log": st.floats(0.0, 10.0),
        "repost_share": _unit,
        "age_at_first_post_log": st.floats(0.0, 9.0),
        "handle_counter": st.sampled_from([0.0, 1.0]),
    }
)
_evidence = st.fixed_dictionaries({f: st.floats(0.0, 3.0) for f in EVIDENCE_FEATURES})


@settings(max_examples=200, deadline=None)
@given(evidence=_evidence, first=_behaviour, second=_behaviour)
def test_behaviour_never_changes_the_flag(
    evidence: dict[str, float], first: dict[str, float], second: dict[str, float]
) -> None:
    model = AccountModel.load()
    no_evidence = _features([first, second]).values
    assert not model.flagged(no_evidence).any()
    assert (model.proba(no_evidence) < model.threshold).all()
    values = _features([{**evidence, **first}, {**evidence, **second}]).values
    flagged = model.flagged(values)
    assert flagged[0] == flagged[1]  # the same evidence, the same flag
    assert np.array_equal(model.proba(values) >= model.threshold, flagged)
    more = values.copy()  # more of any evidence never lowers the evidence score
    more[:, : len(EVIDENCE_FEATURES)] += 0.5
    assert (model.evidence_proba(more) >= model.evidence_proba(values) - 1e-12).all()


# -- rates against the collection's window -------------------------------------


def test_posts_a_day_are_measured_against_the_collections_window(tmp_path: Path) -> None:
    from marsad import pipeline

    start = datetime(2024, 1, 1, tzinfo=UTC)

    def at(hours: float) -> str:
        return (start + timedelta(hours=hours)).isoformat()

    lines = [
        {"type": "account", "platform": "x", "native_id": "f", "handle": "filler",
         "created_at": "2010-01-01T00:00:00Z"},
        {"type": "account", "platform": "x", "native_id": "a", "handle": "busy_hour",
         "created_at": "2020-01-01T00:00:00Z"},
        {"type": "account", "platform": "x", "native_id": "b", "handle": "newcomer",
         "created_at": at(24)},
        {"type": "account", "platform": "x", "native_id": "o", "handle": "old_original",
         "created_at": "2010-01-01T00:00:00Z"},
    ]  # fmt: skip
    posts = [("f", 48 * i / 39) for i in range(40)]  # 40 posts over two days
    posts += [("a", 10 + i / 10) for i in range(10)]  # 10 posts within one hour
    posts += [("b", 30 + i) for i in range(4)]  # 4 posts on its first day
    lines += [
        {"type": "post", "platform": "x", "native_id": f"{who}{i}", "account_id": who,
         "text": "hello", "created_at": at(hours)}
        for i, (who, hours) in enumerate(posts)
    ]  # fmt: skip
    # two originals from 2013 quoted into the collection: they must not stretch it
    lines += [
        {"type": "post", "platform": "x", "native_id": f"o{i}", "account_id": "o",
         "text": "hello", "created_at": f"2013-0{i + 1}-01T00:00:00Z"}
        for i in range(2)
    ]  # fmt: skip
    export = tmp_path / "tiny.jsonl"
    export.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    with pipeline.open_store(tmp_path / "ws") as store:
        pipeline.ingest_file(store, export)
        feats = account_features(store, links=[])
    rate = dict(zip((k[1] for k in feats.keys), feats.column("posts_per_day_log"), strict=True))
    # the window is about the two days (the shortest span holding 90% of the
    # posts): ten posts in one hour are ~5 a day, not 10 (a day's floor on
    # the account's own span) nor ~0 (a window stretched back to 2013)
    assert math.log1p(10 / 2.05) <= rate["a"] <= math.log1p(10 / 1.7)
    # an account created inside the window is present from its creation: 4 in ~1 day
    assert math.log1p(4 / 1.1) <= rate["b"] <= math.log1p(4 / 0.95)
    assert rate["o"] == 0.0  # its posts lie outside the window


# -- as a user runs it ---------------------------------------------------------


def test_the_cli_scores_stores_and_explains(tmp_path: Path) -> None:
    from marsad import pipeline
    from marsad.detect.scan import scan
    from marsad.detect.scorer import RiskScorer
    from marsad.simulate import SimConfig, simulate

    sim = simulate(
        SimConfig.from_profile("small", seed=SEED, accounts=300, posts=3000),
        tmp_path / "exports",
        formats=["x-v2"],
    )
    ws = tmp_path / "ws"
    with pipeline.open_store(ws) as store:
        for path, fmt in sim.inputs:
            pipeline.ingest_file(store, path, fmt=fmt)
        scan(store, RiskScorer())
    run = CliRunner().invoke
    r = run(main, ["accounts", "-w", str(ws), "--top", "5", "--json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    scores = [t["score"] for t in result["top"]]
    assert len(scores) == 5 and scores == sorted(scores, reverse=True)
    assert result["flagged"] > 0
    for t in result["top"]:
        assert t["flagged"] == (t["score"] >= result["threshold"])
        assert t["flagged"] == bool(t["carried_by"])
    with pipeline.open_store(ws) as store:
        stored = store.query(
            "SELECT count(*) FROM detections WHERE detector = ? AND target_kind = 'account'",
            [DETECTOR],
        )[0][0]
        assert stored == result["accounts"] == len(account_features(store).keys)
        before = store.query("SELECT target_id, score FROM detections ORDER BY ALL")
    # running it again changes nothing
    assert run(main, ["accounts", "-w", str(ws), "--json"]).exit_code == 0
    with pipeline.open_store(ws) as store:
        assert store.query("SELECT target_id, score FROM detections ORDER BY ALL") == before
        top = result["top"][0]
        why = explain_account(store, f"x:{top['native_id']}", scorer=AccountScorer())
        assert why["score"] == pytest.approx(top["score"]) and why["flagged"]
        assert why["carried_by"] and why["reason"].startswith("flagged on evidence")
        kinds = [f["kind"] for f in why["features"]]
        assert len(kinds) == len(FEATURES) and kinds.index("behaviour") == len(EVIDENCE_FEATURES)
        parts = [abs(f["contribution"]) for f in why["features"] if f["kind"] != "behaviour"]
        assert parts == sorted(parts, reverse=True)
    r = run(main, ["explain", "-w", str(ws), f"@{top['handle']}"])
    assert r.exit_code == 0 and "flagged on evidence" in r.output, r.output
    r = run(main, ["explain", "-w", str(ws), "@no_such_handle_here"])
    assert r.exit_code != 0 and "no account" in r.output
    # labelled seeds from a file, and a file that cannot be read
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"x:{top['native_id']}\n", encoding="utf-8")
    r = run(main, ["accounts", "-w", str(ws), "--seeds", str(seeds), "--json"])
    assert r.exit_code == 0
    r = run(main, ["accounts", "-w", str(ws), "--seeds", str(tmp_path / "absent")])
    assert r.exit_code != 0


def test_an_account_whose_media_match_a_bank_is_flagged(tmp_path: Path) -> None:
    from marsad import pipeline
    from marsad.hashing.banks import create_bank, import_bank
    from marsad.hashing.match import match_workspace
    from marsad.hashing.signals import pdq_bytes
    from tests.conftest import shared_file

    export = shared_file("fixtures/telegram_desktop_export_2020/tests/result.json")
    photo = next((export.parent / "photos").glob("photo_1@*.jpg"))
    with pipeline.open_store(tmp_path / "ws") as store:
        pipeline.ingest_file(store, export)
        scorer = AccountScorer()
        before = {s.native_id: s for s in scorer.score(store, links=[])}
        create_bank(store, "known")
        (tmp_path / "k.txt").write_text(f"pdq {pdq_bytes(photo.read_bytes()).hex}\n")
        import_bank(store, "known", tmp_path / "k.txt")
        assert match_workspace(store)
        owners = {
            r[0]
            for r in store.query(
                "SELECT p.account_id FROM detections d JOIN media m ON m.native_id = d.target_id "
                "JOIN posts p ON p.native_id = m.post_id WHERE d.detector = 'hash-match'"
            )
        }
        after = {s.native_id: s for s in scorer.score(store, links=[])}
    assert owners
    for owner in owners:
        assert before[owner].values["hash_matches_log"] == 0 and not before[owner].flagged
        assert after[owner].values["hash_matches_log"] > 0
        assert after[owner].flagged and after[owner].score >= scorer.model.threshold
        assert "hash bank" in after[owner].carried_by
