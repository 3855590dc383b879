"""Benchmark: the feedback loop -- decisions that teach the detector (issue 19).

One simulated platform through the real path, and one turn of the loop:

1. ``marsad simulate`` (X v2), ``ingest``, ``scan`` with the active model
   (the packaged one), and the review queue synced from the detections;
2. a **scripted reviewer** decides the first ``--decide`` post items in
   queue order from the simulator's ground truth: confirm when the author is
   covert (``is_covert``: hub, amplifier, supporter, shout-out, outlet,
   relay), else reject -- ``news_report`` for news accounts,
   ``counter_speech`` for the counter-messaging campaign, ``other`` for
   ordinary users;
3. **before**: the queue's precision (confirmed among decided) and the
   detector's precision, recall and F1 on every *unreviewed* post (truth:
   its author is covert; flagged: its stored risk at or over its language's
   threshold, with author context where the scan had it);
4. **retrain** (:func:`marsad.act.registry.retrain`): the base training data
   plus the decisions of the ``train`` split (rejections as news and
   counter-speech marked hard), registered and compared with the active
   model on the held-out decisions, and its **shadow review**
   (:func:`marsad.act.registry.shadow`, run here when the retrain did not:
   a pool of up to 50,000 posts scored by both models, ``--shadow-sample``
   of the posts only the retrained model flags put in the queue);
5. the scripted reviewer decides the shadow sample the same way, and the
   registry judges the retrained model again (:func:`~marsad.act.registry.evaluate`):
   its precision on its new flags, the estimated precision of its queue
   against the active model's held-out precision, and the verdict; promoted
   when not worse;
6. **rescan** with the retrained model (whatever the registry decided: the
   table says what it decided) and measure again -- the detector on the same
   unreviewed posts, and the queue on the next ``--decide`` items the
   retrained model flags, against the next ``--decide`` the old model flags
   (decided the same way in a copy of the workspace made before the
   retrain: the control).  The estimate of step 5 is the registry's
   prediction of that measured queue precision; the shadow sample's posts,
   decided already, are not among those next items.

The base training data are the files ``make model`` trains the packaged
model on (``--datasets``, default ``../shared/datasets``), with the same
options; ``--base-limit N`` samples N rows of each (a quick run: the full
files take the packaged model's training time, minutes on two cores).
Decisions are about the simulator's template text, so what the retrained
model learns here is that vocabulary: the figure measures the loop's
mechanics and direction, not a real-world gain.  Usage::

    python benchmarks/feedback_loop.py                                # 2,000 accounts, 40,000 posts
    python benchmarks/feedback_loop.py --accounts 600 --posts 6000 --decide 100 --base-limit 2000

Prints markdown for BENCHMARKS.md.  Work files go to ``--work`` (default
``bench-data/feedback``, git-ignored); the training data never leave it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_lines, markdown_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: the packaged model's training files and options (the Makefile's ``model`` target)
BASE = (
    ("fifth_tribe_pro_isis_accounts.csv", "1"),
    ("general_tweets_negative.csv", "0"),
    ("arabic_pro_isis_vs_not.csv", None),
    ("isis_keyword_tweets_labeled.csv", None),
)
HARD = "isis_keyword_tweets_labeled.csv"
STREAM = "benign_social_posts.csv"
REJECT = {"news": "news_report", "campaign": "counter_speech"}


def _cli(*args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "marsad.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ},
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"marsad {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def _truth(sim: Path) -> dict[str, tuple[bool, str]]:
    with (sim / "ground_truth" / "accounts.csv").open(encoding="utf-8", newline="") as fh:
        return {
            r["native_id"]: (r["is_covert"].lower() == "true", r["role"])
            for r in csv.DictReader(fh)
        }


def _sample(src: Path, dst: Path, limit: int) -> Path:
    """*limit* rows of the CSV *src* (a fixed random sample), written to *dst*."""
    csv.field_size_limit(1 << 27)
    with src.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        fields = reader.fieldnames or []
    if len(rows) > limit:
        rows = random.Random(0).sample(rows, limit)  # noqa: S311 - a sample, not a secret
    with dst.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    return dst


def _base(datasets: Path, work: Path, limit: int) -> tuple[list[Any], list[str]]:
    from marsad.detect.datasets import DataFile

    files = []
    for name, label in [*BASE, (STREAM, "0")]:
        path = datasets / name
        if not path.is_file():
            raise SystemExit(f"{path} is missing (--datasets names the directory)")
        if limit:
            path = _sample(path, work / f"base-{name}", limit)
        files.append(DataFile(path, None if label is None else int(label), name == STREAM))
    return files, [HARD if not limit else f"base-{HARD}"]


def decide(
    ws: Path,
    truth: dict[str, tuple[bool, str]],
    n: int,
    version: str | None,
    detector: str | None = None,
) -> dict[str, int]:
    """The scripted reviewer: the next *n* open post items in queue order (of
    the risk *version* only, and of *detector* only, when given) decided from
    the ground truth."""
    from marsad.review.service import Review
    from marsad.review.users import CONSOLE

    counts = {"confirmed": 0, "rejected": 0}
    with Review(ws) as review:
        rows = review.db.rows(
            "SELECT id, account_id, detector, detector_version FROM queue_items "
            "WHERE kind = 'post' AND status = 'open' ORDER BY priority DESC, id"
        )
        rows = [
            r
            for r in rows
            if (version is None or r["detector_version"] == version)
            and (detector is None or r["detector"] == detector)
        ][:n]
        for r in rows:
            covert, role = truth.get(r["account_id"] or "", (False, "ordinary"))
            if covert:
                category = "official_propaganda" if role == "outlet" else "support_glorification"
                review.queue.decide(
                    CONSOLE, r["id"], "confirm", category=category, entity="islamic_state"
                )
                counts["confirmed"] += 1
            else:
                review.queue.decide(CONSOLE, r["id"], "reject", reason=REJECT.get(role, "other"))
                counts["rejected"] += 1
    return counts


def _scorer(model: Path | None) -> Any:
    from marsad.detect.classifier import TextClassifier
    from marsad.detect.scorer import RiskScorer

    return RiskScorer(TextClassifier.load(model))


def detector(
    ws: Path, truth: dict[str, tuple[bool, str]], model: Path | None, reviewed: set[str]
) -> dict[str, Any]:
    """Precision, recall and F1 of the stored risk of *model* on the posts not in *reviewed*."""
    from marsad import pipeline

    scorer = _scorer(model)
    policy = scorer.policy()
    with pipeline.open_store(ws, create=False, read_only=True) as store:
        rows = (
            store.analytics()
            .execute(
                "SELECT p.native_id, p.account_id, p.lang, "
                "json_extract(d.evidence, '$.author') IS NOT NULL, d.score "
                "FROM current_posts p JOIN detections d ON d.platform = p.platform "
                "AND d.target_id = p.native_id AND d.target_kind = 'post' "
                "AND d.detector = ? AND d.detector_version = ?",
                [scorer.name, scorer.version],
            )
            .fetchall()
        )
    out: dict[str, Any] = {"version": scorer.version}
    groups: dict[str, list[int]] = {}
    for post_id, account, lang, ctx, score in rows:
        if post_id in reviewed:
            continue
        flagged = score >= policy.threshold(lang, with_author=bool(ctx))
        positive = truth.get(account or "", (False, ""))[0]
        for g in ("all", "ar" if lang == "ar" else "en" if lang == "en" else "other"):
            c = groups.setdefault(g, [0, 0, 0, 0])  # tp, fp, fn, n
            c[0] += flagged and positive
            c[1] += flagged and not positive
            c[2] += positive and not flagged
            c[3] += 1
    for g, (tp, fp, fn, n) in groups.items():
        out[g] = {
            "n": n,
            "positives": tp + fn,
            "flagged": tp + fp,
            "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None,
            "f1": 2 * tp / (2 * tp + fp + fn) if tp + fn else None,
        }
    return out


def _reviewed(ws: Path) -> set[str]:
    from marsad.review.db import ReviewDB

    with ReviewDB(ws) as db:
        return {
            str(r["target_id"])
            for r in db.rows(
                "SELECT target_id FROM queue_items WHERE kind = 'post' AND status <> 'open'"
            )
        }


def _stale(ws: Path, version: str) -> int:
    """Waiting post items whose score is of another risk version (not flagged any more)."""
    from marsad.review.db import ReviewDB

    with ReviewDB(ws) as db:
        return int(
            db.value(
                "SELECT count(*) FROM queue_items WHERE kind = 'post' AND status = 'open' "
                "AND detector_version <> ?",
                [version],
            )
            or 0
        )


def _f(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--accounts", type=int, default=2000)
    p.add_argument("--posts", type=int, default=40_000)
    p.add_argument("--profile", default="census-2014")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--decide", type=int, default=300, help="Items the reviewer decides per round.")
    p.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    p.add_argument("--base-limit", type=int, default=0, help="Rows sampled per base file (0: all).")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--shadow-sample", type=int, default=50, help="Items of the shadow review.")
    p.add_argument("--work", type=Path, default=ROOT / "bench-data" / "feedback")
    args = p.parse_args()

    from marsad.act.registry import SHADOW_DETECTOR, evaluate, promote, retrain, shadow
    from marsad.review.service import Review
    from marsad.review.users import CONSOLE

    work = args.work / f"a{args.accounts}-p{args.posts}-s{args.seed}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    sim, ws, control = work / "sim", work / "ws", work / "control"
    seconds: dict[str, float] = {}
    seconds["simulate"] = _cli(
        "simulate", str(sim), "--profile", args.profile, "--accounts", str(args.accounts),
        "--posts", str(args.posts), "--formats", "x-v2", "--seed", str(args.seed),
    )  # fmt: skip
    seconds["ingest"] = _cli("ingest", str(sim), "--workspace", str(ws))
    seconds["scan"] = _cli("scan", "--workspace", str(ws))
    truth = _truth(sim)
    with Review(ws) as review:
        synced = review.sync(CONSOLE)
    old = _scorer(None).version

    first = decide(ws, truth, args.decide, None)
    reviewed = _reviewed(ws)
    before = detector(ws, truth, None, reviewed)
    shutil.copytree(ws, control)

    base, hard = _base(args.datasets, work, args.base_limit)
    started = time.perf_counter()
    with Review(ws) as review:
        done = retrain(
            review,
            CONSOLE,
            base,
            out_dir=work / "retrain",
            hard_files=hard,
            name="retrained",
            promote_if_not_worse=False,  # judged below, once the shadow sample is decided
            shadow_sample=args.shadow_sample,
            train_options={"folds": args.folds},
            progress=lambda msg: print(f"  {msg}", file=sys.stderr),
        )
        seconds["retrain"] = time.perf_counter() - started  # with its shadow review
        shadowed = done.shadow
        if shadowed is None:  # the held-out decisions refused it: shadowed to measure it anyway
            started = time.perf_counter()
            shadowed = shadow(review, CONSOLE, "retrained", sample=args.shadow_sample)
            seconds["shadow"] = time.perf_counter() - started
    sampled = decide(ws, truth, len(shadowed.sample), None, SHADOW_DETECTOR)
    with Review(ws) as review, review.store() as store:
        judged = evaluate(review.db, store, "retrained")
        promoted = (
            promote(review.db, store, CONSOLE, "retrained", comparison=judged)
            if judged.not_worse
            else None
        )
    model = work / "retrain" / "retrained.safetensors"
    seconds["rescan"] = _cli("scan", "--workspace", str(ws), "--model", str(model))
    after = detector(ws, truth, model, reviewed)
    new = after["version"]
    stale = _stale(ws, new)
    next_old = decide(control, truth, args.decide, old)
    next_new = decide(ws, truth, args.decide, new)

    def precision(c: dict[str, int]) -> str:
        n = c["confirmed"] + c["rejected"]
        return f"{c['confirmed'] / n:.3f} ({c['confirmed']}/{n})" if n else "–"

    c = judged
    s = judged.shadow
    assert s is not None
    rows = [
        ["queue precision, first decided items", precision(first), "–"],
        [
            "queue precision, the next items each model flags (measured)",
            precision(next_old),
            precision(next_new),
        ],
        [
            "queue precision estimated by the registry (held-out; with the shadow review)",
            _f(s.against_precision),
            _f(s.estimated),
        ],
        [
            f"shadow review: pool of {s.pool:,} posts, flagged by both / by one model only",
            f"{s.both:,} / {s.active_only:,}",
            f"{s.both:,} / {s.new:,} ({s.new_share or 0.0:.1%} of its flags)",
        ],
        [
            "shadow review: precision on the retrained model's new flags (decided sample)",
            "–",
            f"{_f(s.p_new)} ({sampled['confirmed']}/{sampled['confirmed'] + sampled['rejected']})",
        ],
    ]
    for g in ("all", "ar", "en", "other"):
        if g not in before:
            continue
        b, a = before[g], after.get(g, {})
        rows.append(
            [
                f"detector on unreviewed posts ({g}, {b['n']:,} posts, {b['positives']:,} covert): "
                "precision / recall / F1",
                f"{_f(b['precision'])} / {_f(b['recall'])} / {_f(b['f1'])}",
                f"{_f(a.get('precision'))} / {_f(a.get('recall'))} / {_f(a.get('f1'))}",
            ]
        )
        rows.append(
            [f"flagged unreviewed posts ({g})", f"{b['flagged']:,}", f"{a.get('flagged', 0):,}"]
        )
    rows.append(
        [
            f"registry: held-out decisions ({c.rows:,}, {c.positives:,} confirmed): "
            "precision / recall / F1",
            f"{_f(c.against.overall['precision'])} / {_f(c.against.overall['recall'])} / "
            f"{_f(c.against.overall['f1'])}",
            f"{_f(c.candidate.overall['precision'])} / {_f(c.candidate.overall['recall'])} / "
            f"{_f(c.candidate.overall['f1'])}",
        ]
    )
    print(
        f"## Feedback loop: one retrain from {args.decide:,} decisions (`benchmarks/feedback_loop.py`)\n"
    )
    print(*machine_lines(["marsad", "numpy", "scikit-learn", "duckdb"]), sep="\n")
    print(
        f"- platform: `marsad simulate --profile {args.profile} --accounts {args.accounts:,} "
        f"--posts {args.posts:,} --formats x-v2 --seed {args.seed}`; queue after the first scan: "
        f"{synced['added']:,} items"
    )
    print(
        "- base data: the `make model` files"
        + (f", {args.base_limit:,} rows sampled from each" if args.base_limit else "")
        + f"; {args.folds} folds; decisions exported (train split): {done.export.rows:,} "
        f"({done.export.positives:,} confirmed, {done.export.hard:,} hard negatives)"
    )
    print(
        f"- models: before `{old}` (packaged), after `{new}`; registry verdict at the "
        "retrain (shadow sample undecided): "
        + ("not worse" if done.comparison.not_worse else "; ".join(done.comparison.reasons))
    )
    print(
        "- registry verdict once the shadow sample is decided: "
        + ("not worse, promoted" if promoted else "refused: " + "; ".join(c.reasons))
    )
    print(
        f"- waiting post items the retrained model no longer flags (kept in the queue with "
        f"their old score): {stale:,}"
    )
    print("- seconds: " + ", ".join(f"{k} {v:,.0f}" for k, v in seconds.items()) + "\n")
    print(markdown_table(["measure", "before (packaged)", "after (retrained)"], rows))
    (work / "result.json").write_text(
        json.dumps(
            {
                "before": before,
                "after": after,
                "first": first,
                "next_old": next_old,
                "next_new": next_new,
                "stale": stale,
                "comparison_at_retrain": done.comparison.as_dict(),
                "comparison": c.as_dict(),
                "shadow": shadowed.as_dict(),
                "shadow_decided": sampled,
                "seconds": seconds,
            },
            indent=1,
            default=str,
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
