"""Benchmark: account scores on the default simulation, against simple peers.

The simulator's default platform (profile ``census-2014``: 5,000 accounts,
50,000 posts, 180 days) for seeds the packaged account model was not fitted
on, through the real path (simulate, ingest X v2 + Telegram, scan with the
packaged post model); then ROC-AUC of the covert network (every covert role)
against ordinary, news and counter-messaging accounts, and seconds, for:

* marsad's account score (:mod:`marsad.accounts.score`);
* **indicator share** -- the share of an account's posts carrying a registry
  indicator: the account score an analyst scripts first from post flags;
* **mean post score** -- the mean of the classifier's scores of its posts.

Issue 6's target: ROC-AUC >= 0.95.  Usage::

    python benchmarks/accounts.py [--seeds 7 8] [--profile census-2014]

Prints markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_lines, markdown_table  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8])
    parser.add_argument("--profile", default="census-2014")
    args = parser.parse_args()
    from sklearn.metrics import roc_auc_score

    from marsad.accounts.score import FEATURES, AccountModel
    from marsad.accounts.train_scores import TRAIN_SEEDS, simulated_features

    model = AccountModel.load()
    rows = []
    for seed in args.seeds:
        if seed in TRAIN_SEEDS:
            raise SystemExit(f"seed {seed} is one the model was fitted on")
        t = time.perf_counter()
        sim = simulated_features(seed, args.profile)
        prepare = time.perf_counter() - t
        t = time.perf_counter()
        p = model.proba(sim.values)
        score_s = time.perf_counter() - t
        roles = np.array(sim.roles)
        peers = {
            "marsad account score": p,
            "indicator share (peer)": sim.values[:, FEATURES.index("indicator_share")],
            "mean post score (peer)": sim.values[:, FEATURES.index("classifier_mean_z")],
        }
        for name, values in peers.items():
            per_role = {
                role: roc_auc_score(
                    sim.labels[(sim.labels == 1) | (roles == role)],
                    values[(sim.labels == 1) | (roles == role)],
                )
                for role in ("ordinary", "news", "campaign")
                if (roles == role).any()
            }
            rows.append(
                [
                    str(seed),
                    f"{len(sim.labels):,} ({int(sim.labels.sum()):,} covert)",
                    name,
                    f"{roc_auc_score(sim.labels, values):.4f}",
                    " / ".join(f"{per_role[r]:.3f}" for r in per_role),
                    f"{prepare:.1f}" if name.startswith("marsad") else "",
                    f"{score_s * 1000:.1f}" if name.startswith("marsad") else "",
                ]
            )
        print(f"  seed {seed} done", file=sys.stderr, flush=True)
    print("## Account scores on the default simulation\n")
    print("\n".join(machine_lines(["marsad", "scikit-learn", "igraph"])))
    print()
    print(
        markdown_table(
            [
                "seed",
                "accounts",
                "score",
                "ROC-AUC covert vs rest",
                "vs ordinary / news / campaign",
                "simulate+ingest+scan+features s",
                "model ms",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
