"""Training the lineage pair model on simulator ground truth.

Outside the flow: run by hand to (re)build the packaged model
``marsad/accounts/models/lineage.json`` and its card ``lineage.md``::

    python -m marsad.accounts.train --data-dir ./lineage-train

What it does:

1. simulates each training configuration (:data:`TRAIN_RUNS`: the randomised
   grid's fitting settings, each as drawn in both formats and with exact
   suspension times as X API v2, plus the fixed ``census-2014`` and ``small``
   profiles on seeds never used for evaluation) and ingests it through the
   real adapters (marsad JSONL: perceptual avatar hashes when media was kept;
   X API v2: avatar URLs only);
2. labels every blocked candidate pair (:func:`marsad.accounts.lineage.candidate_pairs`)
   with ``lineage.csv``;
3. fits scikit-learn gradient-boosted trees, cross-fits them leaving one
   simulation out to get honest out-of-fold log-odds, and fits Platt scaling
   on those; then the link stage (a logistic regression of each pair's
   calibrated log-odds against its rivals');
4. picks the default threshold on the out-of-fold link probabilities *after*
   global assignment, as the one with the best F1 over the training
   simulations, counting links given to successors whose predecessors were
   not collected as false (ties: the higher threshold);
5. scores the held-out evaluation runs (:data:`EVAL_RUNS`: the grid's report
   settings, exact and weekly) and writes the model (JSON) and a markdown
   card with every figure.

The scikit-learn objects live only here; the model file holds plain numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
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
from marsad.accounts.lineage import candidate_pairs, resolve, rivals
from marsad.accounts.lineage_model import (
    FEATURES,
    LINK_INPUTS,
    LineagePairModel,
    Tree,
    default_model_path,
)
from marsad.detect.risk import sigmoid
from marsad.simulate.grid import FIT_SEEDS, REPORT_SEEDS
from marsad.simulate.run import SIMULATOR_VERSION

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
    """One simulation to learn from or to evaluate on: a profile, a seed, an ingest
    format; for the randomised ``grid`` profile also how suspensions are known
    (:func:`marsad.simulate.grid.grid_setting`: ``sampled``, ``exact``, ``weekly``)."""

    profile: str
    seed: int
    fmt: str
    suspension: str = "sampled"

    @property
    def name(self) -> str:
        tail = f"-{self.suspension}" if self.profile == "grid" else ""
        return f"{self.profile}-seed{self.seed}-{self.fmt}{tail}"

    @property
    def group(self) -> tuple[str, int]:
        """The simulation it comes from (its formats and suspension views share it)."""
        return (self.profile, self.seed)

    def config(self) -> Any:
        from marsad.simulate import SimConfig

        if self.profile == "grid":
            from marsad.simulate.grid import grid_setting

            return grid_setting(self.seed, suspension=self.suspension)
        return SimConfig.from_profile(self.profile, seed=self.seed)


#: training simulations: the randomised grid's fitting settings
#: (:data:`marsad.simulate.grid.FIT_SEEDS`, each knob drawn, suspensions known
#: as drawn) in both formats, the same settings with exact suspension times
#: (X v2), and the two fixed profiles on seeds never used for evaluation
#: (evaluation uses seed 7, the simulator's default)
TRAIN_RUNS: tuple[SimRun, ...] = (
    tuple(SimRun("grid", seed, fmt) for seed in FIT_SEEDS for fmt in FORMATS)
    + tuple(SimRun("grid", seed, "x-v2", "exact") for seed in FIT_SEEDS)
    + tuple(
        SimRun(profile, seed, fmt)
        for profile, seeds in (("census-2014", (101,)), ("small", (201, 202)))
        for seed in seeds
        for fmt in FORMATS
    )
)
#: held-out evaluation simulations: the grid's report settings, each with exact
#: suspension times and with weekly lookups, as X API v2 pages
EVAL_RUNS: tuple[SimRun, ...] = tuple(
    SimRun("grid", seed, "x-v2", suspension)
    for seed in REPORT_SEEDS
    for suspension in ("exact", "weekly")
)


def build_workspace(run: SimRun, data_dir: Path) -> tuple[Path, Path]:
    """Simulate *run* and ingest it into a workspace under *data_dir* (cached:
    a finished workspace is reused).  Returns (workspace, ground-truth folder)."""
    from marsad import pipeline
    from marsad.simulate import simulate

    base = data_dir / run.name
    ws, done = base / "ws", base / "ready"
    gt = base / "sim" / "ground_truth"
    if done.exists():
        return ws, gt
    shutil.rmtree(base, ignore_errors=True)
    sim = simulate(run.config(), base / "sim", formats=[run.fmt], jobs=1)
    with pipeline.open_store(ws) as store:
        for path, fmt in sim.inputs:
            if fmt in (run.fmt, "status-csv"):
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


#: the gradient-boosted trees' settings (scikit-learn's ``HistGradientBoostingClassifier``)
GBM = {
    "max_iter": 200,
    "learning_rate": 0.08,
    "max_leaf_nodes": 15,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}


def _fit_trees(x: npt.NDArray[np.float64], y: npt.NDArray[np.bool_]) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**GBM).fit(x, y)  # type: ignore[arg-type]


def _link_probs(
    coef: Sequence[float], r: LabelledRun, pair_logit: npt.NDArray[np.float64], keep: Any = None
) -> tuple[list[str], list[str], npt.NDArray[np.float64]]:
    """The link stage on run *r* (optionally only the rows *keep*): its pairs and
    their link probabilities from calibrated pair log-odds."""
    ss, ps, z = r.successors, r.predecessors, pair_logit
    if keep is not None:
        ss = [x for x, k in zip(ss, keep, strict=True) if k]
        ps = [x for x, k in zip(ps, keep, strict=True) if k]
        z = z[keep]
    sr, pr = rivals(ss, ps, z)
    link = coef[0] + coef[1] * z + coef[2] * sr + coef[3] * pr
    return ss, ps, sigmoid(link)


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
    runs: Sequence[LabelledRun],
    logits: Sequence[npt.NDArray[np.float64]],
    coef: Sequence[float],
    threshold: float,
) -> tuple[int, int]:
    """Links made when no successor's predecessor is in the data (every true pair
    removed), and the successors that had candidates left: every such link is false."""
    links = successors = 0
    for r, z in zip(runs, logits, strict=True):
        keep = ~r.y
        ss, ps, p = _link_probs(coef, r, z, keep)
        links += len(resolve(ss, ps, p.tolist(), threshold))
        successors += len(set(ss))
    return links, successors


def reliability(
    probs: npt.NDArray[np.float64], truth: npt.NDArray[np.bool_], bins: int = 10
) -> tuple[list[dict[str, Any]], float]:
    """A reliability table (equal-width bins) and the expected calibration error."""
    out = []
    ece = 0.0
    idx = np.minimum((probs * bins).astype(int), bins - 1)
    for k in range(bins):
        sel = idx == k
        if sel.any():
            out.append(
                {
                    "bin": f"{k / bins:.1f}-{(k + 1) / bins:.1f}",
                    "pairs": int(sel.sum()),
                    "mean_probability": round(float(probs[sel].mean()), 4),
                    "share_true": round(float(truth[sel].mean()), 4),
                }
            )
            ece += (
                sel.sum()
                / max(len(truth), 1)
                * abs(float(probs[sel].mean()) - float(truth[sel].mean()))
            )
    return out, ece


def fit_model(runs: Sequence[LabelledRun]) -> tuple[LineagePairModel, dict[str, Any]]:
    """Fit, calibrate and threshold the pair model and its link stage on *runs*
    (see the module docstring).

    Returns the model and a report (out-of-fold metrics, calibration, threshold).
    """
    from sklearn.linear_model import LogisticRegression

    # cross-fitting: one fold per simulation (its formats and suspension views together)
    groups = sorted({r.run.group for r in runs})
    oof: list[npt.NDArray[np.float64]] = [np.zeros(len(r.y)) for r in runs]
    for g in groups:
        train = [r for r in runs if r.run.group != g]
        trees = _fit_trees(np.vstack([r.x for r in train]), np.concatenate([r.y for r in train]))
        for k, r in enumerate(runs):
            if r.run.group == g:
                oof[k] = np.asarray(trees.decision_function(r.x), np.float64)
    logits = np.concatenate(oof)
    y = np.concatenate([r.y for r in runs])
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(logits.reshape(-1, 1), y)
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    calibrated = [a * z + b for z in oof]
    # the link stage: each pair's calibrated log-odds against its rivals'
    inputs = []
    for r, z in zip(runs, calibrated, strict=True):
        sr, pr = rivals(r.successors, r.predecessors, z)
        inputs.append(np.column_stack([z, sr, pr]))
    stage = LogisticRegression(C=1e6, max_iter=2000).fit(np.vstack(inputs), y)
    link_coef = (
        float(stage.intercept_[0]),
        *(float(v) for v in stage.coef_[0]),
    )
    link_probs = [_link_probs(link_coef, r, z)[2] for r, z in zip(runs, calibrated, strict=True)]
    probs = np.concatenate(link_probs)
    pair_probs = sigmoid(np.concatenate(calibrated))
    brier = float(np.mean((probs - y) ** 2))
    table, ece = reliability(probs, y)
    pair_table, pair_ece = reliability(pair_probs, y)
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    curve = []
    for t in grid:
        m = _metrics_at(runs, link_probs, float(t))
        orphans, orphan_successors = _orphan_links(runs, calibrated, link_coef, float(t))
        # the successors again, as if their predecessors were not collected: every
        # link they get is false (precision over both sets; recall as before)
        precision = m.correct / (m.predicted + orphans) if m.predicted + orphans else 1.0
        f1 = 2 * precision * m.recall / (precision + m.recall) if precision + m.recall else 0.0
        curve.append((float(t), m, orphans / max(orphan_successors, 1), f1))
    best = max(curve, key=lambda c: (round(c[3], 4), c[0]))
    threshold = best[0]

    x_all = np.vstack([r.x for r in runs])
    fitted = _fit_trees(x_all, y)
    trees = tuple(Tree.from_sklearn(t[0].nodes) for t in fitted._predictors)
    baseline = float(np.ravel(fitted._baseline_prediction)[0])
    model = LineagePairModel(
        trees=trees,
        baseline=baseline,
        platt=(a, b),
        threshold=threshold,
        version="",
        link_coef=(link_coef[0], link_coef[1], link_coef[2], link_coef[3]),
    )
    # the JSON trees must score exactly as scikit-learn does
    check = x_all[:: max(1, len(x_all) // 5000)]
    if not np.allclose(model.raw(check), fitted.decision_function(check), atol=1e-8):
        raise RuntimeError("the exported trees do not reproduce scikit-learn's scores")
    digest = hashlib.sha256(json.dumps(model.as_dict(), sort_keys=True).encode()).hexdigest()[:12]
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
        "trees": {**GBM, "trees": len(trees)},
        "platt": {"a": a, "b": b},
        "link_stage": dict(zip(("intercept", *LINK_INPUTS), link_coef, strict=True)),
        "out_of_fold": {
            "threshold": threshold,
            "at_threshold": best[1].as_dict(),
            "orphan_link_rate": round(best[2], 4),
            "combined_f1": round(best[3], 4),
            "brier": round(brier, 5),
            "ece": round(ece, 5),
            "reliability": table,
            "pair_ece": round(pair_ece, 5),
            "pair_reliability": pair_table,
            "curve": [
                {"threshold": t, **m.as_dict(), "orphan_link_rate": round(o, 4)}
                for t, m, o, _ in curve
                if round(t * 100) % 10 == 0 or t == threshold
            ],
        },
    }
    return dataclasses.replace(model, version=digest, meta=report), report


def evaluate_runs(model: LineagePairModel, runs: Sequence[LabelledRun]) -> list[dict[str, Any]]:
    """Each held-out run's link metrics at the model's threshold."""
    out = []
    for r in runs:
        z = model.logit(r.x)
        _, _, probs = _link_probs(model.link_coef, r, z)
        kept = resolve(r.successors, r.predecessors, probs.tolist(), model.threshold)
        pred = {(r.successors[i], r.predecessors[i]) for i, _ in kept}
        m = link_metrics(pred, r.truth, r.observable)
        orphans, successors = _orphan_links([r], [z], model.link_coef, model.threshold)
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
        f"Trained {report['trained_at']} by `python -m marsad.accounts.train`. "
        f"Gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier, "
        f"{len(model.trees)} trees of at most {GBM['max_leaf_nodes']} leaves) over the "
        f"{len(FEATURES)} pair features of `marsad.accounts.lineage.pair_features`; Platt "
        "scaling of their score fitted on leave-one-simulation-out scores; then a link stage "
        "(a logistic regression) that weighs each pair against its rivals, and one "
        "assignment of successors to predecessors. The file is JSON: loading it cannot run "
        "code.",
        "",
        "**Intended use:** proposing, with evidence, which suspended account a new account "
        "re-creates, for an analyst to confirm. **Not for:** automated enforcement; judging "
        "individuals. **Known limits:** trained on synthetic platforms only (the marsad "
        "simulator, randomised: `marsad.simulate.grid`); a re-creation that changes its "
        "name and picture, regains few followers, is not announced and posts little leaves "
        "almost no evidence, and is mostly missed.",
        "",
        "## Training data",
        "",
        f"Simulator `marsad.simulate` (version {SIMULATOR_VERSION}), each run ingested through the real adapter "
        "of its format (`marsad-jsonl`: accounts carry a perceptual avatar hash when the "
        "setting kept media; `x-v2`: only the avatar image URL, which names nothing); the "
        "randomised grid's fitting settings (`grid-seed1001`...`1010`: every realism knob "
        "drawn, `marsad.simulate.grid`) and two fixed profiles, on seeds disjoint from the "
        "evaluation ones. Profiles: "
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
        "newcomer, on top of the newcomers the grid's settings create); ties go to the higher threshold",
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
        "## Held-out evaluation (the grid's report settings, at the default threshold)",
        "",
        "| run | precision | recall | F1 | predicted | observable | orphans linked |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in evaluation:
        lines.append(
            f"| {e['run']} | {e['precision']:.4f} | {e['recall']:.4f} | {e['f1']:.4f} | "
            f"{e['predicted']:,} | {e['observable']:,} | {e['orphan_link_rate']:.4f} |"
        )
    splits = np.zeros(len(FEATURES), int)
    for tree in model.trees:
        np.add.at(splits, tree.feature[~tree.leaf], 1)
    lines += [
        "",
        "## What the trees split on",
        "",
        "| feature | splits |",
        "|---|---|",
    ]
    for k in np.argsort(-splits, kind="stable"):
        lines.append(f"| `{FEATURES[k]}` | {splits[k]:,} |")
    c0, c1, c2, c3 = model.link_coef
    lines += [
        "",
        f"Link stage: log-odds = {c0:+.3f} {c1:+.3f} × pair log-odds {c2:+.3f} × "
        f"log1p(successor's rival odds) {c3:+.3f} × log1p(predecessor's rival odds).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m marsad.accounts.train",
        description="Train the lineage pair model on simulations (see the module docstring).",
    )
    parser.add_argument("--data-dir", type=Path, default=Path("lineage-train"))
    parser.add_argument("--out", type=Path, default=default_model_path())
    parser.add_argument("--no-eval", action="store_true", help="Skip the held-out runs.")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    runs = []
    for run in TRAIN_RUNS:
        print(f"training run {run.name} ...", file=sys.stderr)
        runs.append(label_run(run, args.data_dir))
    model, report = fit_model(runs)
    evaluation: list[dict[str, Any]] = []
    if not args.no_eval:
        held = []
        for run in EVAL_RUNS:
            print(f"evaluation run {run.name} ...", file=sys.stderr)
            held.append(label_run(run, args.data_dir))
        evaluation = evaluate_runs(model, held)
    meta = dict(model.meta)
    meta["evaluation"] = evaluation
    model = dataclasses.replace(model, meta=meta)
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
