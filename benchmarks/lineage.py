"""Lineage of re-created accounts: marsad against a handle-stem peer, in one run.

Figures for ``BENCHMARKS.md`` (the "lineage" section).  On the randomised
grid's report settings (:data:`marsad.simulate.grid.REPORT_SEEDS`, never used
to fit or tune the model; ``--grid holdout`` for the settings kept out of all
tuning), each simulated twice -- with the exact suspension times (a status CSV)
and with suspensions known only from weekly lookups -- and ingested through
the real adapters, it runs on the same workspace and in the same process:

* **marsad** -- :func:`marsad.accounts.lineage.lineage` at its default
  threshold: blocking, the pair model, the link stage, the assignment;
* **handle-stem match** (the peer) -- the obvious heuristic an analyst would
  script: lower-case the handle, drop an ``abu_`` prefix and any trailing
  digits and underscores, and link each new account to the most recently
  suspended account with the same stem (latest lookup that saw the
  suspension, then latest last post), among those whose last post precedes
  the new account's creation and whose suspension was seen at most 90 days
  before it (the same interval marsad blocks on).

Both are scored against the simulator's ground truth with
:mod:`marsad.accounts.evaluate`: precision over the links each predicts,
recall over the true links whose two accounts and the predecessor's
suspension are in the workspace.  Seconds are the median of ``--repeat``
in-process runs on a warm workspace (the ingest is not timed).  With
``--reliability FILE`` it also writes, per setting, how often the links of
each probability band are right (the calibration table of ``docs/``).

``--scale`` instead times both on one large platform: the grid profile at
``--accounts`` accounts (100,000 by default; 5% covert: about 10,000 suspensions).

Usage::

    .venv/bin/python benchmarks/lineage.py                       # report grid, 3 repeats
    .venv/bin/python benchmarks/lineage.py --grid holdout --repeat 1
    .venv/bin/python benchmarks/lineage.py --scale --repeat 3
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
from marsad.accounts.lineage import WINDOW_DAYS, LineageResult, lineage  # noqa: E402
from marsad.accounts.lineage_model import LineagePairModel  # noqa: E402
from marsad.accounts.train import SimRun, build_workspace  # noqa: E402
from marsad.simulate.grid import HOLDOUT_SEEDS, REPORT_SEEDS, grid_setting  # noqa: E402

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
            if p != native_id and last < created <= seen + window
        ]
        if cands:
            links.add((native_id, max(cands)[2]))
    return links


def marsad_links(con: Any) -> set[Pair]:
    return {(x.successor_id, x.predecessor_id) for x in lineage(con, platform="x").links}


def _timed(fn: Callable[[Any], Any], con: Any, repeat: int) -> tuple[Any, float]:
    seconds = []
    out: Any = None
    for _ in range(repeat):
        began = time.perf_counter()
        out = fn(con)
        seconds.append(time.perf_counter() - began)
    return out, statistics.median(seconds)


#: link-probability bands of the reliability table
BANDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001)


def _knobs(config: Any) -> str:
    c = config
    lookups = "end only" if c.lookup_every_days == 0 else f"every {c.lookup_every_days} d"
    langs = ", ".join(f"{k} {v:.0%}" for k, v in c.covert_languages)
    return (
        f"lookups {lookups}; avatar reuse {c.avatar_reuse_rate:.0%}, media kept "
        f"{'yes' if c.avatar_media_kept else 'no'}; look-alike names "
        f"{c.lookalike_name_share:.0%}; renamed {c.rename_rate:.0%}; newcomers "
        f"{c.newcomer_rate:.1f}/day; re-created {c.recreate_prob:.0%} after "
        f"{c.recreate_delay_days:.1f} d; followers back {c.follower_return_rate:.0%}; "
        f"announced {c.shoutout_prob:.0%}; habits {c.habit_strength:.0%} kept "
        f"{c.habit_persistence:.0%}; covert languages {langs}"
    )


def run_setting(
    run: SimRun, data_dir: Path, repeat: int
) -> tuple[list[list[object]], list[tuple[float, bool]], int, int]:
    """One setting: the table rows of both methods, and marsad's (probability, right) per link."""
    ws, gt = build_workspace(run, data_dir)
    truth = read_truth(gt)
    rows: list[list[object]] = []
    with pipeline.open_store(ws, create=False) as store:
        con = store.analytics()
        observable = observable_truth(con, truth)
        result, seconds = _timed(lambda c: lineage(c, platform="x"), con, repeat)
        assert isinstance(result, LineageResult)
        ours = {(x.successor_id, x.predecessor_id) for x in result.links}
        calibration = [((x.successor_id, x.predecessor_id) in truth, x.score) for x in result.links]
        peer, peer_seconds = _timed(handle_stem_match, con, repeat)
        for name, links, secs, extra in (
            ("marsad", ours, seconds, f"{len(result.abstentions):,}"),
            ("handle-stem match", peer, peer_seconds, "–"),
        ):
            m = link_metrics(links, truth, observable)
            rows.append(
                [
                    run.suspension,
                    name,
                    f"{m.predicted:,}",
                    f"{m.precision:.3f}",
                    f"{m.recall:.3f}",
                    f"{m.f1:.3f}",
                    extra,
                    f"{secs:.2f}",
                ]
            )
    return rows, [(p, ok) for ok, p in calibration], len(truth), len(observable)


def reliability_rows(points: list[tuple[float, bool]]) -> list[list[object]]:
    out: list[list[object]] = []
    for lo, hi in zip(BANDS, BANDS[1:], strict=False):
        sel = [ok for p, ok in points if lo <= p < hi]
        if sel:
            mean = statistics.fmean(p for p, _ in points if lo <= p < hi)
            out.append(
                [
                    f"{lo:.2f}-{min(hi, 1.0):.2f}",
                    len(sel),
                    f"{mean:.3f}",
                    f"{sum(sel) / len(sel):.3f}",
                ]
            )
    return out


def grid(args: argparse.Namespace) -> int:
    seeds = REPORT_SEEDS if args.grid == "report" else HOLDOUT_SEEDS
    model = LineagePairModel.load()
    print(f"## Lineage of re-created accounts: the {args.grid} grid\n")
    print("\n".join(machine_lines(["marsad", "duckdb", "scikit-learn", "numpy", "scipy"])))
    print(f"- lineage model {model.version}, default threshold {model.threshold:.2f}")
    reliability: list[str] = []
    pooled: list[tuple[float, bool]] = []
    for seed in seeds:
        config = grid_setting(seed)
        rows: list[list[object]] = []
        counts = []
        points: list[tuple[float, bool]] = []
        for fmt in args.formats:
            for suspension in ("exact", "weekly"):
                run = SimRun("grid", seed, fmt, suspension)
                got, pts, n_true, n_obs = run_setting(run, args.data_dir, args.repeat)
                rows += [[fmt, *r] for r in got]
                points += pts
                counts.append(f"{suspension} {fmt}: {n_true:,} true, {n_obs:,} observable")
        pooled += points
        print(f"\n### setting {seed}\n\n{_knobs(config)}\n\n" + "; ".join(counts) + "\n")
        print(
            markdown_table(
                [
                    "format",
                    "suspensions",
                    "method",
                    "links",
                    "precision",
                    "recall",
                    "F1",
                    "abstentions",
                    "seconds",
                ],
                rows,
            )  # fmt: skip
        )
        reliability.append(
            f"### setting {seed}\n\n"
            + markdown_table(
                ["link probability", "links", "mean probability", "share right"],
                reliability_rows(points),
            )
            + "\n"
        )
    if args.reliability:
        text = [
            "# Lineage: does a link's probability mean what it says?",
            "",
            f"Written by `benchmarks/lineage.py --grid {args.grid} --reliability` "
            f"with model `{model.version}` (threshold {model.threshold:.2f}): for every "
            f"{args.grid} setting of the randomised grid (settings never used to fit the "
            "model), both suspension views (exact times, weekly lookups) and the formats "
            f"{', '.join(args.formats)}, the links marsad made, by band of their "
            "probability: how many, their mean probability and the share that are true "
            "re-creations. A calibrated model has the last two close in every band.",
            "",
            "## All settings pooled",
            "",
            markdown_table(
                ["link probability", "links", "mean probability", "share right"],
                reliability_rows(pooled),
            ),
            "",
            *reliability,
            "",
        ]
        args.reliability.write_text("\n".join(text), encoding="utf-8")
    return 0


def scale(args: argparse.Namespace) -> int:
    from marsad.simulate import simulate

    config = grid_setting(
        REPORT_SEEDS[0],
        "weekly",
        accounts=args.accounts,
        posts=args.accounts * 8,
        telegram_posts=0,
        covert_share=0.05,  # about one suspension for ten accounts
    )
    base = args.data_dir / f"scale-{args.accounts}-covert5"
    ws = base / "ws"
    if not (base / "ready").exists():
        began = time.perf_counter()
        sim = simulate(config, base / "sim", formats=["x-v2"], jobs=1)
        with pipeline.open_store(ws) as store:
            for path, fmt in sim.inputs:
                pipeline.ingest_file(store, path, fmt=fmt)
        (base / "ready").write_text("ok\n")
        print(f"(simulated and ingested in {time.perf_counter() - began:.0f} s)", file=sys.stderr)
    truth = read_truth(base / "sim" / "ground_truth")
    with pipeline.open_store(ws, create=False) as store:
        con = store.analytics()
        accounts, suspended = con.execute(
            "SELECT (SELECT count(*) FROM accounts WHERE platform = 'x'), "
            "(SELECT count(DISTINCT account_id) FROM status_events "
            "WHERE platform = 'x' AND status = 'suspended')"
        ).fetchone()
        observable = observable_truth(con, truth)
        result, seconds = _timed(lambda c: lineage(c, platform="x"), con, args.repeat)
        peer, peer_seconds = _timed(handle_stem_match, con, args.repeat)
    print("## Lineage at scale\n")
    print("\n".join(machine_lines(["marsad", "duckdb", "scikit-learn", "numpy", "scipy"])))
    print(
        f"- grid setting {REPORT_SEEDS[0]} (weekly lookups) at {accounts:,} accounts, "
        f"{suspended:,} suspended; {len(observable):,} observable re-creations; "
        f"{result.successors_considered:,} new accounts considered, "
        f"{result.pairs_scored:,} candidate pairs; seconds: median of {args.repeat}\n"
    )
    rows = []
    for name, links, secs in (
        ("marsad", {(x.successor_id, x.predecessor_id) for x in result.links}, seconds),
        ("handle-stem match", peer, peer_seconds),
    ):
        m = link_metrics(links, truth, observable)
        rows.append(
            [name, f"{m.predicted:,}", f"{m.precision:.3f}", f"{m.recall:.3f}", f"{secs:.1f}"]
        )
    print(markdown_table(["method", "links", "precision", "recall", "seconds"], rows))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", choices=["report", "holdout"], default="report")
    parser.add_argument("--formats", nargs="+", default=["x-v2"])
    parser.add_argument("--data-dir", type=Path, default=Path("bench-data") / "lineage")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reliability", type=Path, help="write the reliability tables here")
    parser.add_argument("--scale", action="store_true", help="time one large platform instead")
    parser.add_argument("--accounts", type=int, default=100_000)
    args = parser.parse_args()
    return scale(args) if args.scale else grid(args)


if __name__ == "__main__":
    raise SystemExit(main())
