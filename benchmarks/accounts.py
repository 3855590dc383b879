"""Benchmark: account scores on held-out simulations, against simple peers.

Simulated platforms the packaged account model was not fitted on, through
the real path (simulate, ingest X v2 + Telegram, scan with the packaged post
model): the default platform (profile ``census-2014``) for ``--seeds``, and
with ``--grid`` the randomised grid's report settings
(:data:`marsad.simulate.grid.REPORT_SEEDS`).  For each, ROC-AUC of the covert
network (every covert role) against everyone and against ordinary, news and
counter-messaging accounts on their own -- over all accounts, and over the
accounts with at least one post in the collection (a third of the grid's
covert accounts have none: seen only in follows or lookups, they can be
found by network or lineage evidence alone) -- and the flag's precision and
recall, the ROC-AUC among the flagged accounts (the order the behaviour
bonus is for), and seconds, for:

* marsad's account score (:mod:`marsad.accounts.score`: flagged on evidence,
  ordered by a bounded behaviour bonus);
* **indicator share** -- the share of an account's posts carrying a registry
  indicator: the account score an analyst scripts first from post flags;
* **risky-post share** -- the share of its posts whose text risk is at least
  even odds (the post stage's score, averaged up).

Issue 6's target: ROC-AUC >= 0.95.  Usage::

    python benchmarks/accounts.py [--seeds 7 8] [--profile census-2014] [--grid]

Prints markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_lines, markdown_table  # noqa: E402


def _cells(sim: Any, values: Any, flagged: Any = None) -> list[str]:
    from marsad.accounts.score import FEATURES
    from marsad.accounts.train_scores import KINDS, Simulated, per_kind_auc

    auc = per_kind_auc(sim, values)
    has_posts = sim.values[:, FEATURES.index("posts_log")] > 0
    posting = Simulated(
        [k for k, h in zip(sim.keys, has_posts, strict=True) if h],
        sim.values[has_posts],
        sim.labels[has_posts],
        [r for r, h in zip(sim.roles, has_posts, strict=True) if h],
    )
    auc_posting = per_kind_auc(posting, values[has_posts])
    cells = [
        f"{auc['all']:.4f}",
        " / ".join(f"{auc[k]:.3f}" if k in auc else "-" for k in KINDS),
        f"{auc_posting['all']:.4f}",
        " / ".join(f"{auc_posting[k]:.3f}" if k in auc_posting else "-" for k in KINDS),
    ]
    if flagged is None:
        return [*cells, "", "", ""]
    from sklearn.metrics import roc_auc_score

    precision = sim.labels[flagged].mean() if flagged.any() else 0.0
    among = (
        f"{roc_auc_score(sim.labels[flagged], values[flagged]):.4f}"
        if 0 < sim.labels[flagged].sum() < flagged.sum()
        else "-"
    )
    return [
        *cells,
        f"{int(flagged.sum()):,}",
        f"{precision:.3f} / {flagged[sim.labels == 1].mean():.3f}",
        among,
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[7, 8])
    parser.add_argument("--profile", default="census-2014")
    parser.add_argument("--grid", action="store_true", help="also the grid's report settings")
    args = parser.parse_args()

    from marsad.accounts.score import FEATURES, AccountModel
    from marsad.accounts.train_scores import TRAIN_SEEDS, config_features, report_configs
    from marsad.simulate import SimConfig

    model = AccountModel.load()
    settings = []
    for seed in args.seeds:
        if seed in TRAIN_SEEDS and args.profile == "census-2014":
            raise SystemExit(f"seed {seed} is one the model was fitted on")
        settings.append(SimConfig.from_profile(args.profile, seed=seed))
    if args.grid:
        settings += report_configs()
    rows = []
    for config in settings:
        t = time.perf_counter()
        sim = config_features(config)
        prepare = time.perf_counter() - t
        t = time.perf_counter()
        p = model.proba(sim.values)
        flagged = model.flagged(sim.values)
        score_s = time.perf_counter() - t
        posts = np.expm1(sim.values[:, FEATURES.index("posts_log")])
        # the features hold shares shrunk by 3 pseudo-posts: the peers are the plain shares
        plain = (posts + 3) / np.maximum(posts, 1)
        peers = {
            "marsad account score": (p, flagged),
            "indicator share (peer)": (
                sim.values[:, FEATURES.index("indicator_share")] * plain,
                None,
            ),
            "risky-post share (peer)": (
                sim.values[:, FEATURES.index("risk_lean_share")] * plain,
                None,
            ),
        }
        for name, (values, flags) in peers.items():
            ours = name.startswith("marsad")
            rows.append(
                [
                    f"{config.profile}:{config.seed}",
                    f"{len(sim.labels):,} ({int(sim.labels.sum()):,} covert)",
                    name,
                    *_cells(sim, values, flags),
                    f"{prepare:.1f}" if ours else "",
                    f"{score_s * 1000:.1f}" if ours else "",
                ]
            )
        print(f"  {config.profile}:{config.seed} done", file=sys.stderr, flush=True)
    print("## Account scores on held-out simulations\n")
    print("\n".join(machine_lines(["marsad", "scikit-learn", "igraph"])))
    print()
    print(
        markdown_table(
            [
                "setting",
                "accounts",
                "score",
                "ROC-AUC covert vs rest",
                "vs ordinary / news / campaign",
                "with posts: vs rest",
                "with posts: vs ordinary / news / campaign",
                "flagged",
                "flag precision / recall",
                "ROC-AUC among flagged",
                "simulate+ingest+scan+features s",
                "model ms",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
