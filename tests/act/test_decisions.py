"""Decisions as labelled data and as hash banks (:mod:`marsad.act.decisions`).

On the review tests' small simulation (scanned, scored, linked), with a
scripted reviewer whose decisions follow a fixed pattern, so each reason and
status appears; media rows are synthetic hashes added to the store."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import stat
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from marsad.act import decisions as D
from marsad.detect.datasets import DataFile, LabelledRows, read_labelled
from marsad.detect.evaluate import hard_negatives
from marsad.errors import ConfigError, Forbidden, InputError
from marsad.review import audit
from marsad.review.db import ReviewDB
from marsad.review.queue import Candidate, Filters
from marsad.review.service import Review
from marsad.review.users import CONSOLE, User

CONFIRM = {"category": "support_glorification", "entity": "islamic_state"}
#: the scripted reviewer: the decision for the i-th post item in queue order, by i % 10
PATTERN = [
    ("reject", "news_report"),  # hard
    ("reject", "counter_speech"),  # hard
    ("reject", "scripture_prayer"),  # hard
    ("reject", "other"),  # an ordinary negative
    ("reject", "research_archive"),  # a negative, not hard (may be the propaganda itself)
    ("escalate", None),  # waits for a lead: not exported
    ("confirm", None),
    ("confirm", None),
    ("confirm", None),
    ("confirm", None),
]
DECIDED = 300  # post items decided; the rest of the queue stays open


def decide(review: Review, n: int = DECIDED) -> dict[int, tuple[str, str | None]]:
    """Decide the first *n* post items in queue order by :data:`PATTERN`."""
    done: dict[int, tuple[str, str | None]] = {}
    for i, it in enumerate(review.queue.list(Filters(kind="post"), limit=n)):
        decision, reason = PATTERN[i % len(PATTERN)]
        fields = CONFIRM if decision == "confirm" else {"reason": reason} if reason else {}
        review.queue.decide(CONSOLE, it["id"], decision, **fields)  # type: ignore[arg-type]
        done[int(it["id"])] = (decision, reason)
    return done


@pytest.fixture(scope="session")
def decided_template(analysed_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The analysed simulation with its queue synced and :data:`DECIDED` post items decided."""
    ws = tmp_path_factory.mktemp("decided") / "ws"
    shutil.copytree(analysed_template, ws)
    with Review(ws) as review:
        review.sync(CONSOLE)
        decide(review)
    return ws


@pytest.fixture
def decided_ws(decided_template: Path, tmp_path: Path) -> Iterator[Path]:
    ws = tmp_path / "ws"
    shutil.copytree(decided_template, ws)
    yield ws


def _final(review: Review) -> dict[int, dict[str, str | None]]:
    rows = review.db.rows(
        "SELECT q.id, q.status, d.reason FROM queue_items q JOIN decisions d ON d.item_id = q.id "
        "WHERE q.kind = 'post'"
    )
    return {int(r["id"]): r for r in rows}


def test_export_reads_back_as_labelled_rows(decided_ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "decisions.csv"
    with Review(decided_ws) as review:
        with review.store() as store:
            summary = D.export_decisions(review.db, store, out, CONSOLE)
        statuses = {
            int(r["id"]): r["status"]
            for r in review.db.rows("SELECT id, status FROM queue_items WHERE kind = 'post'")
        }
        entries = list(audit.iter_entries(review.db))
        assert audit.verify(review.db)[2] is None
    with out.open(encoding="utf-8", newline="") as fh:
        exported = list(csv.DictReader(fh))
    assert tuple(exported[0]) == D.EXPORT_COLUMNS
    assert "reviewer" not in exported[0]  # reviewers are not handed around
    # every closed post item once; escalated and open ones not at all
    closed = {i for i, s in statuses.items() if s in ("confirmed", "rejected")}
    assert {int(r["item_id"]) for r in exported} == closed
    assert len(exported) == summary.rows == DECIDED - DECIDED // 10
    assert summary.positives == 4 * DECIDED // 10 and summary.hard == 3 * DECIDED // 10
    for r in exported:
        assert int(r["label"]) == (statuses[int(r["item_id"])] == "confirmed")
        assert r["hard"] == ("1" if r["reason"] in D.HARD_REASONS else "0")
    assert Counter(r["reason"] for r in exported if r["label"] == "0") == {
        reason: DECIDED // 10
        for reason in (
            "news_report",
            "counter_speech",
            "scripture_prayer",
            "other",
            "research_archive",
        )
    }
    # private to its owner, and its export is in the audit log with the file's hash
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    last = entries[-1]
    assert last["action"] == "decisions.export"
    assert json.loads(last["details"])["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()

    rows = read_labelled([DataFile(out)])
    assert len(rows) == summary.rows
    assert rows.labels == [int(r["label"]) for r in exported]
    assert rows.groups == [f"@{r['account'].lower()}" for r in exported]
    assert rows.hard == [r["hard"] == "1" for r in exported]
    assert rows.files[0]["hard_negatives"] == summary.hard
    # the threshold rule's hard negatives: the file's own flags (no --hard-negatives needed)
    assert hard_negatives(rows, []).tolist() == rows.hard


def test_the_final_decision_counts(decided_ws: Path, tmp_path: Path) -> None:
    """An escalated item a lead then confirms is exported with the lead's decision."""
    lead = User("lina", "lead")
    with Review(decided_ws) as review:
        escalated = review.queue.list(Filters(kind="post", status="escalated"), limit=1)[0]
        review.queue.decide(lead, escalated["id"], "confirm", **CONFIRM)
        with review.store() as store:
            rows, missing = D.decided_posts(review.db, store)
        last = review.db.one(
            "SELECT id, at FROM decisions WHERE item_id = ? ORDER BY round DESC LIMIT 1",
            [escalated["id"]],
        )
    (row,) = [r for r in rows if r["item_id"] == escalated["id"]]
    assert last is not None and missing == 0
    assert (row["label"], row["decision_id"], row["decided_at"]) == (1, last["id"], last["at"])
    assert row["category"] == CONFIRM["category"] and row["reason"] == ""


def test_split_is_stable_grouped_and_a_fifth() -> None:
    accounts = [str(10**9 + 7919 * i) for i in range(20_000)]
    first = [D.split_of("x", a) for a in accounts]
    assert first == [D.split_of("x", a) for a in accounts]  # the same on every run
    share = first.count("holdout") / len(first)
    assert 0.19 < share < 0.21, share
    # by account: the post id does not matter when there is an account
    assert D.split_of("x", "42", "post-1") == D.split_of("x", "42", "post-2")
    # no author: by post
    assert {D.split_of("x", None, f"p{i}") for i in range(50)} == {"train", "holdout"}


def test_splits_partition_the_export_by_account(decided_ws: Path, tmp_path: Path) -> None:
    with Review(decided_ws) as review, review.store() as store:
        parts = {s: D.decided_posts(review.db, store, split=s)[0] for s in D.SPLITS}
    assert parts["train"] and parts["holdout"]
    ids = {s: {r["item_id"] for r in rows} for s, rows in parts.items()}
    assert ids["train"] | ids["holdout"] == ids["all"] and not ids["train"] & ids["holdout"]
    accounts = {s: {r["account"] for r in rows} for s, rows in parts.items()}
    assert not accounts["train"] & accounts["holdout"]  # no account on both sides
    assert all(r["split"] == s for s in ("train", "holdout") for r in parts[s])
    with (
        pytest.raises(ConfigError, match="split"),
        Review(decided_ws) as review,
        review.store() as store,
    ):
        D.decided_posts(review.db, store, split="test")


def test_decisions_file_says_what_a_model_learnt(decided_ws: Path, tmp_path: Path) -> None:
    with Review(decided_ws) as review, review.store() as store:
        train = D.export_decisions(review.db, store, tmp_path / "t.csv", CONSOLE, split="train")
        every = D.export_decisions(review.db, store, tmp_path / "a.csv", CONSOLE)
    learnt = D.decisions_file(tmp_path / "t.csv")
    assert learnt.splits == ("train",) and learnt.rows == train.rows
    assert learnt.cut == train.cut and learnt.sha256 == train.sha256
    assert learnt == D.DecisionsFile.of_summary(train)
    assert D.decisions_file(tmp_path / "a.csv").splits == ("train", "holdout")
    assert D.DecisionsFile.of_summary(every).splits == ("train", "holdout")
    assert learnt.saw(learnt.cut, "train") and not learnt.saw(learnt.cut + 1, "train")
    assert not learnt.saw(1, "holdout")
    (tmp_path / "other.csv").write_text("text,label\nhello,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="decisions export"):
        D.decisions_file(tmp_path / "other.csv")


def test_a_post_gone_from_the_workspace_is_counted_not_exported(
    decided_ws: Path, tmp_path: Path
) -> None:
    gone = Candidate("post", "x", "no-such-post", "risk", "1", 0.99, "en", None, "a-1", 0, None)
    with Review(decided_ws) as review:
        review.queue.sync(CONSOLE, [gone])
        (item,) = review.queue.list(Filters(kind="post", account_id="a-1"), limit=1)
        review.queue.decide(CONSOLE, item["id"], "confirm", **CONFIRM)
        with review.store() as store:
            summary = D.export_decisions(review.db, store, tmp_path / "d.csv", CONSOLE)
    assert summary.missing == 1 and summary.rows == DECIDED - DECIDED // 10


def test_a_viewer_may_export_but_not_bank(decided_ws: Path, tmp_path: Path) -> None:
    viewer = User("vera", "viewer")
    with Review(decided_ws) as review, review.store() as store:
        assert D.export_decisions(review.db, store, tmp_path / "d.csv", viewer).rows > 0
        with pytest.raises(Forbidden):
            D.bank_from_decisions(review.db, store, viewer)


def test_the_cli_exports(decided_ws: Path, tmp_path: Path) -> None:
    from marsad.cli.act_learn import decisions

    out = tmp_path / "d.csv"
    done = CliRunner().invoke(
        decisions,
        ["export", "--out", str(out), "--split", "train", "-w", str(decided_ws), "--json"],
    )
    assert done.exit_code == 0, done.output
    summary = json.loads(done.output)
    assert summary["split"] == "train" and summary["rows"] == len(read_labelled([DataFile(out)]))
    bad = CliRunner().invoke(decisions, ["export", "--out", str(out), "--split", "nope"])
    assert bad.exit_code == 2


# -- the hard column of labelled files -------------------------------------------------


@pytest.mark.parametrize(
    ("header", "rows", "hard"),
    [
        # no hard column: nothing is hard, as before
        ("text,label", ["a b c,0", "d e f,1"], [False, False]),
        # 1/0, true/false, yes/no, empty
        (
            "text,label,hard",
            ["a,0,1", "b,0,0", "c,0,true", "d,0,", "e,1,no"],
            [True, False, True, False, False],
        ),
    ],
)
def test_read_labelled_reads_a_hard_column(
    tmp_path: Path, header: str, rows: list[str], hard: list[bool]
) -> None:
    path = tmp_path / "f.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    read = read_labelled([DataFile(path)])
    assert read.hard == hard
    assert ("hard_negatives" in read.files[0]) == ("hard" in header)


def test_a_bad_hard_value_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("text,label,hard\na,0,1\nb,0,maybe\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"f\.csv:3: hard 'maybe'"):
        read_labelled([DataFile(path)])


def test_hard_negatives_are_the_files_and_the_flags() -> None:
    rows = LabelledRows(
        texts=["a", "b", "c", "d"],
        labels=[0, 0, 1, 0],
        sources=["k.csv", "d.csv", "d.csv", "d.csv"],
        hard=[False, True, True, False],
    )
    # k.csv named hard; d.csv's second row flagged; a positive is never a hard negative
    assert hard_negatives(rows, ["k.csv"]).tolist() == [True, True, False, False]
    assert hard_negatives(LabelledRows(texts=["a"], labels=[0], sources=["x"]), []).tolist() == [
        False
    ]


# -- banks -----------------------------------------------------------------------------


def _hex(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def _add_media(ws: Path, rows: list[tuple[str, str | None, str, str]]) -> None:
    """Media rows (native_id, post_id, kind, seed): synthetic hashes from *seed*."""
    from marsad.pipeline import open_store

    columns = ("platform", "native_id", "post_id", "kind", "md5", "sha256", "pdq")
    with open_store(ws, create=False) as store:
        store.insert_rows(
            "media",
            columns,
            [
                (
                    "x",
                    mid,
                    post,
                    kind,
                    _hex("md5" + seed, 32),
                    _hex("sha" + seed, 64),
                    _hex("pdq" + seed, 64),
                )
                for mid, post, kind, seed in rows
            ],
        )


def test_banks_from_decisions_round_trip(decided_ws: Path, tmp_path: Path) -> None:
    from marsad.hashing.banks import bank_signals, create_bank, export_bank, import_bank, list_banks
    from marsad.pipeline import open_store

    with Review(decided_ws) as review:
        final = _final(review)
        items = {int(r["id"]): r for r in review.db.rows("SELECT id, target_id FROM queue_items")}
    by = {
        (r["status"], r["reason"]): items[i]["target_id"]
        for i, r in sorted(final.items())
        if r["status"] in ("confirmed", "rejected")
    }
    confirmed = by[("confirmed", None)]
    _add_media(
        decided_ws,
        [
            ("m-conf", confirmed, "photo", "a"),  # a confirmed post's picture: confirmed bank
            ("m-other", by[("rejected", "other")], "photo", "b"),  # rejected as other: negative
            ("m-news", by[("rejected", "news_report")], "photo", "c"),  # news: no bank at all
            ("m-both", by[("rejected", "scripture_prayer")], "photo", "a"),  # confirmed elsewhere
            ("m-item", None, "video", "d"),  # a media item of its own, rejected below
            ("m-open", None, "photo", "e"),  # a media item nobody decided
        ],
    )
    with Review(decided_ws) as review:
        review.queue.sync(
            CONSOLE,
            [
                Candidate("media", "x", m, "hash-match", "1", 1.0, None, None, None, 0, None)
                for m in ("m-item", "m-open")
            ],
        )
        (item,) = [
            i
            for i in review.queue.list(Filters(kind="media"), limit=5)
            if i["target_id"] == "m-item"
        ]
        review.queue.decide(CONSOLE, item["id"], "reject", reason="other")
    with ReviewDB(decided_ws) as db, open_store(decided_ws) as store:
        first = D.bank_from_decisions(db, store, CONSOLE)
        again = D.bank_from_decisions(db, store, CONSOLE)
        banks = {b.name: b for b in list_banks(store)}
        yes = {(s.type, s.value): s for s in bank_signals(store, D.CONFIRMED_BANK)}
        no = {(s.type, s.value): s for s in bank_signals(store, D.REJECTED_BANK)}
        # the lists others read: HMA's signal file, TCAP's list, CSV -- read back the same
        for fmt in ("threatexchange", "tcap", "csv"):
            path = tmp_path / f"confirmed.{fmt}"
            assert export_bank(store, D.CONFIRMED_BANK, path, fmt) == len(yes)
            create_bank(store, f"back-{fmt}")
            import_bank(store, f"back-{fmt}", path, fmt)
            assert {(s.type, s.value) for s in bank_signals(store, f"back-{fmt}")} == set(yes)
        entries = [e for e in audit.iter_entries(db) if e["action"] == "decisions.bank"]
        assert audit.verify(db)[2] is None

    hashes = {
        seed: {
            ("md5", _hex("md5" + seed, 32)),
            ("sha256", _hex("sha" + seed, 64)),
            ("pdq", _hex("pdq" + seed, 64)),
        }
        for seed in "abcde"
    }
    assert set(yes) == hashes["a"]
    assert set(no) == hashes["b"] | hashes["d"]  # not c (news), not a (confirmed), not e (open)
    assert banks[D.REJECTED_BANK].negative and not banks[D.CONFIRMED_BANK].negative
    label = yes[("md5", _hex("md5a", 32))].labels
    assert label["entity"] == "islamic_state" and label["category"] == "support_glorification"
    assert label["content_type"] == "photo"
    assert (first.added, first.added_negative, first.conflicts) == (3, 6, 3)
    assert (again.added, again.added_negative) == (0, 0)  # idempotent
    assert len(entries) == 1  # a run that changed nothing records nothing


def test_a_hash_confirmed_later_leaves_the_negative_bank(decided_ws: Path) -> None:
    from marsad.hashing.banks import bank_signals
    from marsad.pipeline import open_store

    with Review(decided_ws) as review:
        final = _final(review)
        targets = {
            int(r["id"]): r["target_id"]
            for r in review.db.rows("SELECT id, target_id FROM queue_items")
        }
        waiting = review.queue.list(Filters(kind="post", status="open"), limit=1)[0]
    other = next(targets[i] for i, r in sorted(final.items()) if r["reason"] == "other")
    _add_media(
        decided_ws, [("m-1", other, "photo", "z"), ("m-2", waiting["target_id"], "photo", "z")]
    )
    with ReviewDB(decided_ws) as db, open_store(decided_ws) as store:
        assert D.bank_from_decisions(db, store, CONSOLE).added_negative == 3
    with Review(decided_ws) as review:
        review.queue.decide(CONSOLE, waiting["id"], "confirm", **CONFIRM)
    with ReviewDB(decided_ws) as db, open_store(decided_ws) as store:
        later = D.bank_from_decisions(db, store, CONSOLE)
        assert (later.added, later.removed_negative) == (3, 3)
        assert bank_signals(store, D.REJECTED_BANK) == []


def test_a_bank_of_the_wrong_kind_is_refused(decided_ws: Path) -> None:
    from marsad.hashing.banks import create_bank
    from marsad.pipeline import open_store

    with ReviewDB(decided_ws) as db, open_store(decided_ws) as store:
        create_bank(store, "mine")
        with pytest.raises(ConfigError, match="not a negative bank"):
            D.bank_from_decisions(db, store, CONSOLE, negative_bank="mine")
        with pytest.raises(ConfigError, match="differ"):
            D.bank_from_decisions(db, store, CONSOLE, bank="x", negative_bank="x")


def test_the_cli_banks_and_exports(decided_ws: Path, tmp_path: Path) -> None:
    from marsad.cli.act_learn import decisions

    with Review(decided_ws) as review:
        final = _final(review)
        targets = {
            int(r["id"]): r["target_id"]
            for r in review.db.rows("SELECT id, target_id FROM queue_items")
        }
    confirmed = next(targets[i] for i, r in sorted(final.items()) if r["status"] == "confirmed")
    _add_media(decided_ws, [("m-1", confirmed, "photo", "q")])
    done = CliRunner().invoke(
        decisions,
        ["bank", "--export-dir", str(tmp_path / "lists"), "-w", str(decided_ws), "--json"],
    )
    assert done.exit_code == 0, done.output
    summary = json.loads(done.output)
    assert summary["added"] == 3 and len(summary["written"]) == 6
    te = (tmp_path / "lists" / "review-confirmed.te").read_text(encoding="utf-8").split("\n")
    assert f"pdq {_hex('pdqq', 64)}" in te
    tcap = json.loads((tmp_path / "lists" / "review-confirmed.tcap.json").read_text("utf-8"))
    assert {e["algorithm"] for e in tcap} == {"MD5", "SHA256", "PDQ"}
