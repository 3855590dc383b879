"""Training the lineage pair model on simulator ground truth.

Outside the flow: run by hand to (re)build the packaged model
``marsad/accounts/models/lineage.json`` and its card ``lineage.md``::

    python -m marsad.accounts.train --data-dir ./lineage-train

What it does:

1. simulates each training configuration (:data:`TRAIN_RUNS`: the default
   ``census-2014`` profile and the denser ``small`` profile, on seeds that
   are never used for evaluation) and ingests it through the real adapters,
   once as marsad JSONL (with perceptual avatar hashes) and once as X API v2
   (avatar image files only), so the model learns both;
2. labels every blocked candidate pair (:func:`marsad.accounts.lineage.candidate_pairs`)
   with ``lineage.csv``;
3. fits a scikit-learn ``LogisticRegression`` on standardised features,
   cross-fits it leaving one simulation out to get honest out-of-fold
   log-odds, fits Platt scaling on those and folds it into the weights;
4. picks the default threshold on the out-of-fold probabilities *after*
   conflict resolution, as the one with the best F1 over the training
   simulations (ties: the higher threshold);
5. scores the held-out evaluation runs (:data:`EVAL_RUNS`, seed 7) and writes
   the model (JSON) and a markdown card with every figure.

The scikit-learn objects live only here; the model file holds plain numbers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from marsad.accounts.evaluate import LinkMetrics, link_metrics, observable_truth, read_truth
from marsad.accounts.lineage import candidate_pairs, resolve
from marsad.accounts.lineage_model import FEATURES, LineagePairModel, default_model_path

__all__ = [
    "EVAL_RUNS",
    "TRAIN_RUNS",
    "LabelledRun",
    "SimRun",
    "build_workspace",
    "fit_model",
    "label_run",
    "main",
]

FORMATS = ("marsad-jsonl", "x-v2")


@dataclass(frozen=True)
class SimRun:
    """One simulation to learn from or to evaluate on: a profile, a seed, an ingest format."""

    profile: str
    seed: int
    fmt: str

    @property
    def name(self) -> str:
        return f"{self.profile}-seed{self.seed}-{self.fmt}"


#: training simulations: seeds never used for evaluation (evaluation uses seed 7,
#: the simulator's default)
TRAIN_RUNS: tuple[SimRun, ...] = tuple(
    SimRun(profile, seed, fmt)
    for profile, seeds in (("census-2014", (101, 102, 103)), ("small", (201, 202)))
    for seed in seeds
    for fmt in FORMATS
)
#: held-out evaluation simulations: the default simulation and the small one of the tests
EVAL_RUNS: tuple[SimRun, ...] = tuple(
    SimRun(profile, 7, fmt) for profile in ("census-2014", "small") for fmt in FORMATS
)


def build_workspace(run: SimRun, data_dir: Path) -> tuple[Path, Path]:
    """Simulate *run* and ingest it into a workspace under *data_dir* (cached:
    a finished workspace is reused).  Returns (workspace, ground-truth folder)."""
    from marsad import pipeline
    from marsad.simulate import SimConfig, simulate

    base = data_dir / run.name
    ws, done = base / "ws", base / "ready"
    gt = base / "sim" / "ground_truth"
    if done.exists():
        return ws, gt
    shutil.rmtree(base, ignore_errors=True)
    config = SimConfig.from_profile(run.profile, seed=run.seed)
    sim = simulate(config, base / "sim", formats=[run.fmt], jobs=1)
    with pipeline.open_store(ws) as store:
        for path, fmt in sim.inputs:
            if fmt == run.fmt:
                pipeline.ingest_file(store, path, fmt=fmt)
    done.write_text("ok\n")
    return ws, gt


@dataclass
class LabelledRun:
    """The candidate pairs of one simulation with their labels and truth sets."""

    run: SimRun
    successors: list[str]
    predecessors: list[str]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.bool_]
    truth: set[tuple[str, str]]
    observable: set[tuple[str, str]]
    seconds: float


def label_run(run: SimRun, data_dir: Path) -> LabelledRun:
    """Build (or reuse) *run*'s workspace and label its candidate pairs."""
    from marsad import pipeline

    ws, gt = build_workspace(run, data_dir)
    truth = read_truth(gt)
    with pipeline.open_store(ws, create=False) as store:
        con = store.analytics()
        began = time.perf_counter()
        (table,) = candidate_pairs(con, platform="x")
        seconds = time.perf_counter() - began
        observable = observable_truth(con, truth)
    y = np.array(
        [(s, p) in truth for s, p in zip(table.successors, table.predecessors, strict=True)], bool
    )
    return LabelledRun(
        run, table.successors, table.predecessors, table.x, y, truth, observable, seconds
    )


def _fit_lr(x: npt.NDArray[np.float64], y: npt.NDArray[np.bool_], c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    lr = LogisticRegression(C=c, max_iter=5000)
    lr.fit((x - mean) / scale, y)
    return mean, scale, lr.coef_[0].astype(np.float64), float(lr.intercept_[0])


def _metrics_at(
    runs: Sequence[LabelledRun], probs: Sequence[npt.NDArray[np.float64]], threshold: float
) -> LinkMetrics:
    pred: set[tuple[str, str]] = set()
    truth: set[tuple[str, str]] = set()
    observable: set[tuple[str, str]] = set()
    for k, (r, p) in enumerate(zip(runs, probs, strict=True)):
        kept = resolve(r.successors, r.predecessors, p.tolist(), threshold)
        # runs share no account ids in general; tag them to be safe
        pred |= {(f"{k}:{r.successors[i]}", r.predecessors[i]) for i, _ in kept}
        truth |= {(f"{k}:{s}", q) for s, q in r.truth}
        observable |= {(f"{k}:{s}", q) for s, q in r.observable}
    return link_metrics(pred, truth, observable)


def _orphan_links(
    runs: Sequence[LabelledRun], probs: Sequence[npt.NDArray[np.float64]], threshold: float
) -> tuple[int, int]:
    """Links made when no successor's predecessor is in the data (every true pair
    removed), and the successors that had candidates left: every such link is false."""
    links = successors = 0
    for r, p in zip(runs, probs, strict=True):
        keep = ~r.y
        ss = [s for s, k in zip(r.successors, keep, strict=True) if k]
        ps = [q for q, k in zip(r.predecessors, keep, strict=True) if k]
        links += len(resolve(ss, ps, p[keep].tolist(), threshold))
        successors += len(set(ss))
    return links, successors


def fit_model(
    runs: Sequence[LabelledRun], *, c: float = 1.0
) -> tuple[LineagePairModel, dict[str, Any]]:
    """Fit, calibrate and threshold the pair model on *runs* (see the module docstring).

    Returns the model and a report (out-of-fold metrics, calibration, threshold).
    """
    from sklearn.linear_model import LogisticRegression

    # cross-fitting: one fold per simulation (both ingest formats of one seed together)
    groups = sorted({(r.run.profile, r.run.seed) for r in runs})
    oof: list[npt.NDArray[np.float64]] = [np.zeros(len(r.y)) for r in runs]
    for g in groups:
        train = [r for r in runs if (r.run.profile, r.run.seed) != g]
        mean, scale, coef, b0 = _fit_lr(
            np.vstack([r.x for r in train]), np.concatenate([r.y for r in train]), c
        )
        for k, r in enumerate(runs):
            if (r.run.profile, r.run.seed) == g:
                oof[k] = ((r.x - mean) / scale) @ coef + b0
    logits = np.concatenate(oof)
    y = np.concatenate([r.y for r in runs])
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(logits.reshape(-1, 1), y)
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    oof_probs = [1.0 / (1.0 + np.exp(-(a * z + b))) for z in oof]
    probs = np.concatenate(oof_probs)
    brier = float(np.mean((probs - y) ** 2))
    bins = np.minimum((probs * 10).astype(int), 9)
    reliability = []
    ece = 0.0
    for k in range(10):
        sel = bins == k
        if sel.any():
            reliability.append(
                {
                    "bin": f"{k / 10:.1f}-{(k + 1) / 10:.1f}",
                    "pairs": int(sel.sum()),
                    "mean_probability": round(float(probs[sel].mean()), 4),
                    "share_true": round(float(y[sel].mean()), 4),
                }
            )
            ece += sel.sum() / len(y) * abs(float(probs[sel].mean()) - float(y[sel].mean()))
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    curve = []
    for t in grid:
        m = _metrics_at(runs, oof_probs, float(t))
        orphans, orphan_successors = _orphan_links(runs, oof_probs, float(t))
        # the successors again, as if their predecessors were not collected: every
        # link they get is false (precision over both sets; recall as before)
        precision = m.correct / (m.predicted + orphans) if m.predicted + orphans else 1.0
        f1 = 2 * precision * m.recall / (precision + m.recall) if precision + m.recall else 0.0
        curve.append((float(t), m, orphans / max(orphan_successors, 1), f1))
    best = max(curve, key=lambda c: (round(c[3], 4), c[0]))
    threshold = best[0]

    mean, scale, coef, b0 = _fit_lr(np.vstack([r.x for r in runs]), y, c)
    coef, b0 = coef * a, b0 * a + b
    digest = hashlib.sha256(
        json.dumps([mean.tolist(), scale.tolist(), coef.tolist(), b0, threshold]).encode()
    ).hexdigest()[:12]
    report = {
        "trained_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "training_runs": [
            {
                "run": r.run.name,
                "pairs": len(r.y),
                "true_pairs": int(r.y.sum()),
                "true_links": len(r.truth),
                "observable_links": len(r.observable),
                "blocked_true_links": int(
                    len(set(zip(r.successors, r.predecessors, strict=True)) & r.observable)
                ),
            }
            for r in runs
        ],
        "C": c,
        "platt": {"a": a, "b": b},
        "out_of_fold": {
            "threshold": threshold,
            "at_threshold": best[1].as_dict(),
            "orphan_link_rate": round(best[2], 4),
            "combined_f1": round(best[3], 4),
            "brier": round(brier, 5),
            "ece": round(ece, 5),
            "reliability": reliability,
            "curve": [
                {"threshold": t, **m.as_dict(), "orphan_link_rate": round(o, 4)}
                for t, m, o, _ in curve
                if round(t * 100) % 10 == 0 or t == threshold
            ],
        },
    }
    model = LineagePairModel(
        mean=mean,
        scale=scale,
        coef=coef,
        intercept=b0,
        threshold=threshold,
        version=digest,
        meta=report,
    )
    return model, report


def evaluate_runs(model: LineagePairModel, runs: Sequence[LabelledRun]) -> list[dict[str, Any]]:
    """Each held-out run's link metrics at the model's threshold."""
    out = []
    for r in runs:
        probs = model.predict_proba(r.x)
        kept = resolve(r.successors, r.predecessors, probs.tolist(), model.threshold)
        pred = {(r.successors[i], r.predecessors[i]) for i, _ in kept}
        m = link_metrics(pred, r.truth, r.observable)
        orphans, successors = _orphan_links([r], [probs], model.threshold)
        out.append(
            {
                "run": r.run.name,
                **m.as_dict(),
                "pairs": len(r.y),
                "orphan_link_rate": round(orphans / max(successors, 1), 4),
            }
        )
    return out


def _card(model: LineagePairModel, report: dict[str, Any], evaluation: list[dict[str, Any]]) -> str:
    oof = report["out_of_fold"]
    lines = [
        f"# Model card: marsad lineage pair model `{model.version}`",
        "",
        f"Trained {report['trained_at']} by `python -m marsad.accounts.train`. A logistic "
        "regression (scikit-learn, L2, C = "
        f"{report['C']}) over the {len(FEATURES)} pair features of "
        "`marsad.accounts.lineage.pair_features`, standardised; Platt scaling fitted on "
        "leave-one-simulation-out log-odds and folded into the weights, so `score` is a "
        "calibrated probability. The file is JSON: loading it cannot run code.",
        "",
        "**Intended use:** proposing, with evidence, which suspended account a new account "
        "re-creates, for an analyst to confirm. **Not for:** automated enforcement; judging "
        "individuals. **Known limits:** trained on synthetic platforms only (the marsad "
        "simulator); every account the simulator creates during the period is a re-creation, "
        "so the model has never seen an unrelated newcomer -- the decoy tests in "
        "`tests/accounts` cover that case by hand.",
        "",
        "## Training data",
        "",
        "Simulator `marsad.simulate` (version 1), each run ingested through the real adapter "
        "of its format (`marsad-jsonl`: accounts carry a perceptual avatar hash; `x-v2`: "
        "only the avatar image URL); seeds disjoint from the evaluation seed (7). Profiles: "
        "`census-2014` is `SimConfig()` (5,000 first-generation accounts, 10% covert, "
        "50,000 posts, 180 days, re-creation probability 0.7 after a mean 1-day delay, "
        "followers return with probability 0.5, weekly lookups); `small` is "
        "`SimConfig.from_profile('small')` (600 accounts, 25% covert, 6,000 posts, 90 days). "
        "*true pairs* are candidate pairs that are true re-creations; *observable* true "
        "links have both profiles and the suspension in the workspace; *blocked* ones are "
        "among the candidate pairs.",
        "",
        "| run | candidate pairs | true pairs | true links | observable | blocked |",
        "|---|---|---|---|---|---|",
    ]
    for r in report["training_runs"]:
        lines.append(
            f"| {r['run']} | {r['pairs']:,} | {r['true_pairs']:,} | {r['true_links']:,} | "
            f"{r['observable_links']:,} | {r['blocked_true_links']:,} |"
        )
    m = oof["at_threshold"]
    lines += [
        "",
        "## Threshold and calibration (out of fold, leave one simulation out)",
        "",
        f"- default threshold: **{oof['threshold']:.2f}**: the best F1 after conflict "
        "resolution over the training simulations, counting as false also the links made "
        "when every successor's true predecessor is taken out of the data (the *orphan* "
        "run: a new account whose predecessor was never collected, or an unrelated "
        "newcomer -- which the simulator does not make); ties go to the higher threshold",
        f"- at it: precision {m['precision']:.4f}, recall {m['recall']:.4f}, F1 {m['f1']:.4f} "
        f"({m['predicted']:,} links predicted, {m['observable']:,} observable); orphan "
        f"successors linked anyway: {oof['orphan_link_rate']:.4f}",
        f"- Brier score {oof['brier']:.5f}, expected calibration error {oof['ece']:.5f} "
        "(10 bins, over every candidate pair)",
        f"- Platt scaling: a = {report['platt']['a']:.4f}, b = {report['platt']['b']:.4f}",
        "",
        "| probability | pairs | mean probability | share true |",
        "|---|---|---|---|",
    ]
    for b in oof["reliability"]:
        lines.append(
            f"| {b['bin']} | {b['pairs']:,} | {b['mean_probability']:.4f} | {b['share_true']:.4f} |"
        )
    lines += [
        "",
        "| threshold | precision | recall | F1 | orphans linked |",
        "|---|---|---|---|---|",
    ]
    for c in oof["curve"]:
        lines.append(
            f"| {c['threshold']:.2f} | {c['precision']:.4f} | {c['recall']:.4f} | "
            f"{c['f1']:.4f} | {c['orphan_link_rate']:.4f} |"
        )
    lines += [
        "",
        "## Held-out evaluation (seed 7, at the default threshold)",
        "",
        "| run | precision | recall | F1 | predicted | observable | orphans linked |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in evaluation:
        lines.append(
            f"| {e['run']} | {e['precision']:.4f} | {e['recall']:.4f} | {e['f1']:.4f} | "
            f"{e['predicted']:,} | {e['observable']:,} | {e['orphan_link_rate']:.4f} |"
        )
    lines += [
        "",
        "## Weights (on standardised features; calibrated)",
        "",
        "| feature | mean | scale | coefficient |",
        "|---|---|---|---|",
    ]
    for name, mu, sd, w in zip(FEATURES, model.mean, model.scale, model.coef, strict=True):
        lines.append(f"| `{name}` | {mu:.4f} | {sd:.4f} | {w:+.4f} |")
    lines += ["", f"Intercept {model.intercept:+.4f}.", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m marsad.accounts.train",
        description="Train the lineage pair model on simulations (see the module docstring).",
    )
    parser.add_argument("--data-dir", type=Path, default=Path("lineage-train"))
    parser.add_argument("--out", type=Path, default=default_model_path())
    parser.add_argument("--C", dest="c", type=float, default=1.0)
    parser.add_argument("--no-eval", action="store_true", help="Skip the held-out runs.")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    runs = []
    for run in TRAIN_RUNS:
        print(f"training run {run.name} ...", file=sys.stderr)
        runs.append(label_run(run, args.data_dir))
    model, report = fit_model(runs, c=args.c)
    evaluation: list[dict[str, Any]] = []
    if not args.no_eval:
        held = []
        for run in EVAL_RUNS:
            print(f"evaluation run {run.name} ...", file=sys.stderr)
            held.append(label_run(run, args.data_dir))
        evaluation = evaluate_runs(model, held)
    meta = dict(model.meta)
    meta["evaluation"] = evaluation
    model = LineagePairModel(
        mean=model.mean,
        scale=model.scale,
        coef=model.coef,
        intercept=model.intercept,
        threshold=model.threshold,
        version=model.version,
        meta=meta,
    )
    model.save(args.out)
    args.out.with_suffix(".md").write_text(_card(model, report, evaluation), encoding="utf-8")
    print(
        json.dumps(
            {
                "model": str(args.out),
                "threshold": model.threshold,
                "out_of_fold": report["out_of_fold"]["at_threshold"],
                "evaluation": evaluation,
                "seconds": round(time.perf_counter() - began, 1),
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
