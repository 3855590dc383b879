"""Lineage of re-created accounts: marsad against a handle-stem peer, in one run.

Figures for ``BENCHMARKS.md`` (the "lineage" section).  On the default
simulation (``census-2014`` profile, seed 7 -- a seed the packaged model never
trained on), ingested once per export format through the real adapters, it
runs, on the same workspace and in the same process:

* **marsad** -- :func:`marsad.accounts.lineage.lineage` at its default
  threshold: blocking, the pair model, conflict resolution and families;
* **handle-stem match** (the peer) -- the obvious heuristic an analyst would
  script: lower-case the handle, drop an ``abu_`` prefix and any trailing
  digits and underscores, and link each new account to the most recently
  suspended account with the same stem (latest lookup that saw the
  suspension, then latest last post), among those whose last post precedes
  the new account's creation and whose suspension was seen at most 30 days
  before it -- the same time window marsad uses, so the peer is not
  handicapped by a cruder one.

Both are scored against the simulator's ground truth with
:mod:`marsad.accounts.evaluate`: precision over the links each predicts,
recall over the true links whose two accounts' profiles and the predecessor's
suspension are in the workspace.  Seconds are the median of ``--repeat``
runs of each, in-process, on a warm workspace (the ingest is not timed).

Formats: ``marsad-jsonl`` (marsad's own export of the simulation; accounts
carry a perceptual avatar hash) and ``x-v2`` (X API v2 pages as twarc writes
them: no avatar hash, only the image URL).

Usage::

    .venv/bin/python benchmarks/lineage.py                      # default simulation, 3 repeats
    .venv/bin/python benchmarks/lineage.py --profile small --repeat 1
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_lines, markdown_table  # noqa: E402
from marsad import pipeline  # noqa: E402
from marsad.accounts.evaluate import (  # noqa: E402
    link_metrics,
    observable_truth,
    read_truth,
)
from marsad.accounts.lineage import WINDOW_DAYS, lineage  # noqa: E402
from marsad.accounts.lineage_model import LineagePairModel  # noqa: E402
from marsad.accounts.train import SimRun, build_workspace  # noqa: E402

Pair = tuple[str, str]

_KUNYA = re.compile(r"^abu_")
_TRAILING = re.compile(r"[_\d]+$")

# the peer's inputs: suspended accounts with their last post and the lookup that
# saw them suspended, and every account's handle and creation time
_SUSPENDED = """
WITH s AS (
    SELECT account_id, min(observed_at) AS seen_at FROM status_events
    WHERE platform = 'x' AND status = 'suspended' GROUP BY account_id
), lp AS (
    SELECT account_id, max(created_at) AS t FROM posts WHERE platform = 'x' GROUP BY account_id
)
SELECT s.account_id, a.handle, epoch(s.seen_at), epoch(greatest(a.created_at, lp.t))
FROM s JOIN accounts a ON a.platform = 'x' AND a.native_id = s.account_id
LEFT JOIN lp ON lp.account_id = s.account_id
WHERE a.handle IS NOT NULL
"""
_ACCOUNTS = """
SELECT native_id, handle, epoch(created_at) FROM accounts
WHERE platform = 'x' AND handle IS NOT NULL AND created_at IS NOT NULL
"""


def stem(handle: str) -> str:
    """The peer's stem: lower case, no ``abu_`` prefix, no trailing digits or underscores."""
    return _TRAILING.sub("", _KUNYA.sub("", handle.lower()))


def handle_stem_match(con: Any) -> set[Pair]:
    """The peer (see the module docstring)."""
    window = WINDOW_DAYS * 86400
    by_stem: dict[str, list[tuple[float, float, str]]] = {}
    for native_id, handle, seen, last in con.execute(_SUSPENDED).fetchall():
        key = stem(handle)
        if key:
            by_stem.setdefault(key, []).append((float(seen), float(last or 0.0), native_id))
    links: set[Pair] = set()
    for native_id, handle, created in con.execute(_ACCOUNTS).fetchall():
        cands = [
            (seen, last, p)
            for seen, last, p in by_stem.get(stem(handle), [])
            if p != native_id and last < created and seen - window <= created <= seen + window
        ]
        if cands:
            links.add((native_id, max(cands)[2]))
    return links


def marsad_links(con: Any) -> set[Pair]:
    result = lineage(con, platform="x")
    return {(x.successor_id, x.predecessor_id) for x in result.links}


def _timed(fn: Callable[[Any], set[Pair]], con: Any, repeat: int) -> tuple[set[Pair], float]:
    seconds = []
    links: set[Pair] = set()
    for _ in range(repeat):
        began = time.perf_counter()
        links = fn(con)
        seconds.append(time.perf_counter() - began)
    return links, statistics.median(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="census-2014")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--formats", nargs="+", default=["marsad-jsonl", "x-v2"])
    parser.add_argument("--data-dir", type=Path, default=Path("bench-data") / "lineage")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print("## Lineage of re-created accounts\n")
    print("\n".join(machine_lines(["marsad", "duckdb", "scikit-learn", "numpy"])))
    model = LineagePairModel.load()
    print(f"- lineage model {model.version}, default threshold {model.threshold:.2f}")
    for fmt in args.formats:
        run = SimRun(args.profile, args.seed, fmt)
        began = time.perf_counter()
        ws, gt = build_workspace(run, args.data_dir)
        built = time.perf_counter() - began
        truth = read_truth(gt)
        rows = []
        with pipeline.open_store(ws, create=False) as store:
            con = store.analytics()
            observable = observable_truth(con, truth)
            for name, fn in (("marsad", marsad_links), ("handle-stem match", handle_stem_match)):
                links, seconds = _timed(fn, con, args.repeat)
                m = link_metrics(links, truth, observable)
                rows.append(
                    [
                        name,
                        f"{m.predicted:,}",
                        f"{m.precision:.3f}",
                        f"{m.recall:.3f}",
                        f"{m.f1:.3f}",
                        f"{seconds:.2f}",
                    ]
                )
        print(
            f"\n### {args.profile}, seed {args.seed}, ingested as {fmt}\n\n"
            f"{len(truth):,} true re-creations, {len(observable):,} observable "
            f"(workspace built or reused in {built:.0f} s; seconds: median of {args.repeat})\n"
        )
        print(
            markdown_table(
                ["method", "links", "precision", "recall", "F1", "seconds"],
                rows,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
