"""Census speed and peak memory: marsad against a pandas peer, in one run.

Figures for ``BENCHMARKS.md`` (the "census" section).  On a simulated
workspace (default 10M X posts from 1M first-generation accounts, the
``census-2014`` profile, seed 7) it times, as separate processes:

* **marsad** -- the real CLI, ``python -m marsad.cli census -w WS --section
  size --section accounts --section devices --section content --section
  survival --json``: the five sections that hold the headline figures, each
  computed whole.  That is far more than the headline: per-day and per-week
  series, following and platform post-count distributions, follower bins,
  the top-accounts table and concentration curve, burst days, account clients
  and languages, platform languages, geolocation, account age, creation waves,
  mentions, domains, hashtag series and rising hashtags, the whole
  Kaplan-Meier curve with its confidence band, and the JSON of all of it.
* **pandas** -- the same headline statistics, the way a competent analyst
  computes them from the same Parquet files (the workspace export the
  workspace was imported from): ``pandas.read_parquet`` of only the columns
  needed, into Arrow-backed columns (``dtype_backend="pyarrow"``, the faster
  choice here), then vectorised ``groupby`` / ``value_counts`` / ``explode`` /
  ``merge`` and a numpy Kaplan-Meier, no Python loop over rows.  The process
  ends with ``os._exit`` once the JSON is printed, so it is not charged for
  freeing its frames: that favours the peer.

The headline statistics (both sides, same definitions as
:mod:`marsad.census.compute`; posts are the current versions of edited posts):

1. accounts by last known status (``active`` also for an ``unknown`` account
   that was observed or has posts);
2. posts per month (months with posts);
3. followers at the latest snapshot (else the profile's count): accounts with
   a value, mean, median, 90th percentile (linear interpolation);
4. posts by client: the top 20 with count and share of posts with a client;
5. posts by language (marsad's identified language), likewise;
6. the top 20 hashtags (posts carrying each; ties by name);
7. the hyperactive core: the fewest accounts producing half of all posts,
   and their share of the posting accounts;
8. Kaplan-Meier survival from creation (else first sighting) to the first
   observed suspension, censored at the last sighting: accounts, events,
   median lifetime in days, percent suspended within 2 and within 5 days.

Before any time is reported the script checks that both sides printed the
same statistics (shares and means to their two decimals); a disagreement is
printed and the run fails.  Wall time spans process start to exit
(interpreter start and imports included); peak memory is the process's own
peak RSS (``os.wait4``); each is the median of ``--repeat`` runs, the two
tools taking turns.

The workspace is built once, in a child process, and cached under
``--data-dir`` (``census-<posts>-<accounts>-v1/``):
:func:`marsad.simulate.parquet.simulate_parquet` writes the simulation as a
workspace export (``export/``), and ``marsad import`` loads it
(``workspace/``); ``build.json`` records the build's times.  Delete the
folder to rebuild.  ``--profile`` times each census section in-process
instead (where marsad's time goes).

Usage::

    .venv/bin/python benchmarks/census.py                 # 10M posts / 1M accounts, 3 repeats
    .venv/bin/python benchmarks/census.py --quick         # 200k / 20k, 1 repeat (smoke run)
    .venv/bin/python benchmarks/census.py --posts 1000000 --accounts 100000 --repeat 1
    .venv/bin/python benchmarks/census.py --quick --profile    # seconds per census section
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    Measurement,
    load_average,
    machine_lines,
    markdown_table,
    median,
    run_measured,
)

#: bump when the workspace built for the same sizes changes, so a cached one is not reused
DATA_VERSION = 1
#: the issue's target: marsad at least this many times faster than the pandas peer
TARGET = 5.0
PROFILE, SEED = "census-2014", 7
SECTIONS = ("size", "accounts", "devices", "content", "survival")
TOP = 20  # the census's default --top
#: shares, means and percentiles are printed with two decimals on both sides
TOLERANCE = 0.011
#: the peer reads Parquet into Arrow-backed columns: at 200k posts 1.5x faster than
#: NumPy-backed ones (a list column becomes one NumPy array per row), same figures
PANDAS_BACKEND: Final = "pyarrow"


# -- the workspace -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    posts: int
    accounts: int
    root: Path

    @property
    def export(self) -> Path:
        return self.root / "export"

    @property
    def workspace(self) -> Path:
        return self.root / "workspace"

    @property
    def built(self) -> Path:
        return self.root / "build.json"


def dataset(posts: int, accounts: int, data_dir: Path) -> Dataset:
    return Dataset(posts, accounts, data_dir / f"census-{posts}-{accounts}-v{DATA_VERSION}")


def build(ds: Dataset, workers: int | None) -> dict[str, Any]:
    """The workspace of *ds*: built in a child process unless ``build.json`` says it is there.

    A child, because Linux carries a process's peak RSS over ``exec``: every
    process this one starts would otherwise report at least the memory the
    build took here.
    """
    if not ds.built.exists():
        import subprocess

        me = [sys.executable, str(Path(__file__).resolve()), "--data-dir", str(ds.root.parent)]
        cmd = [*me, "--posts", str(ds.posts), "--accounts", str(ds.accounts), "--build-only"]
        if workers:
            cmd += ["--build-workers", str(workers)]
        subprocess.run(cmd, check=True)
    return json.loads(ds.built.read_text())  # type: ignore[no-any-return]


def build_here(ds: Dataset, workers: int | None) -> None:
    """Simulate into a workspace export, then ``marsad import`` it (``--build-only``)."""
    import shutil

    from marsad.simulate import SimConfig
    from marsad.simulate.parquet import simulate_parquet

    shutil.rmtree(ds.root, ignore_errors=True)
    config = SimConfig.from_profile(PROFILE, accounts=ds.accounts, posts=ds.posts, seed=SEED)
    print(f"building {ds.root} (once) ...", file=sys.stderr, flush=True)
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 30:
            last[0] = now
            print(f"  {stage}: {done:,} / {total:,}", file=sys.stderr, flush=True)

    export = simulate_parquet(config, ds.export, workers=workers, progress=progress)
    print(f"  export written: {export.as_dict()['seconds']}", file=sys.stderr, flush=True)
    imported = run_measured(
        [sys.executable, "-m", "marsad.cli", "import", str(ds.export), "-w", str(ds.workspace)]
    )
    if imported.returncode != 0:
        raise SystemExit(f"marsad import failed: {_tail(imported.stderr)}")
    info = {
        "config": config.to_dict(),
        "rows": export.rows,
        "seconds": {**export.seconds, "import": imported.wall_s},
        "import_peak_rss_mb": imported.peak_rss_mb,
        "export_bytes": sum(f.stat().st_size for f in ds.export.glob("*.parquet")),
        "built_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    ds.built.write_text(json.dumps(info, indent=2))


# -- the two sides ---------------------------------------------------------------------------------


def marsad_cmd(ds: Dataset, full: bool = False) -> list[str]:
    """``marsad census --headline`` (the statistics the peer computes), or with *full*
    every table of the five sections the headline statistics come from."""
    what = [a for s in SECTIONS for a in ("--section", s)] if full else ["--headline"]
    return [
        sys.executable,
        "-m",
        "marsad.cli",
        "census",
        "-w",
        str(ds.workspace),
        *what,
        "--json",
    ]


def peer_cmd(ds: Dataset) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--pandas-peer", str(ds.export)]


def marsad_statistics(census: dict[str, Any]) -> dict[str, Any]:
    """The headline statistics out of ``marsad census --json`` (not timed)."""
    sections = {s["key"]: s for s in census["sections"]}

    def table(section: str, key: str) -> list[list[Any]]:
        return next(t["rows"] for t in sections[section]["tables"] if t["key"] == key)

    def head(section: str, key: str) -> Any:
        return next(h["value"] for h in sections[section]["headline"] if h["key"] == key)

    followers = next(r for r in table("accounts", "distribution") if r[0] == "followers")
    return {
        "accounts_by_status": {s: n for s, n, _ in table("size", "status")},
        "posts_per_month": {r[0]: r[5] for r in table("size", "per_month") if r[5]},
        "followers": {
            "n": followers[2],
            "mean": followers[3],
            "median": followers[6],
            "p90": followers[8],
        },
        "clients": [r[:3] for r in table("devices", "clients")],
        "languages": [r[:3] for r in table("devices", "languages")],
        "hashtags": [r[:2] for r in table("content", "hashtags")],
        "core": {
            "accounts": head("accounts", "core_accounts"),
            "share": head("accounts", "core_share"),
        },
        "survival": {
            k: head("survival", k)
            for k in ("accounts", "suspended", "median_days", "suspended_2d", "suspended_5d")
        },
    }


def pandas_peer(export: str) -> None:
    """The headline statistics with pandas (runs in its own process; see the module docstring)."""
    from datetime import UTC, datetime

    import numpy as np
    import pandas as pd

    d = Path(export)
    now = pd.Timestamp(datetime.now(UTC))
    keys = ["platform", "account_id"]
    posts = pd.read_parquet(
        d / "posts.parquet",
        columns=[*keys, "created_at", "client", "lang", "hashtags", "edit_root_id", "edit_seq"],
        dtype_backend=PANDAS_BACKEND,
    )
    accounts = pd.read_parquet(
        d / "accounts.parquet",
        columns=["platform", "native_id", "created_at", "observed_at", "followers", "status"],
        dtype_backend=PANDAS_BACKEND,
    ).rename(columns={"native_id": "account_id"})
    snaps = pd.read_parquet(
        d / "snapshots.parquet",
        columns=[*keys, "observed_at", "followers"],
        dtype_backend=PANDAS_BACKEND,
    )
    events = pd.read_parquet(
        d / "status_events.parquet",
        columns=[*keys, "status", "observed_at"],
        dtype_backend=PANDAS_BACKEND,
    )

    # current versions: no edit root, or the highest edit_seq of its root
    latest_seq = posts.groupby(["platform", "edit_root_id"])["edit_seq"].transform("max")
    current = posts[posts["edit_root_id"].isna() | (posts["edit_seq"] == latest_seq)]
    n_posts = len(current)

    # 1. status; "unknown"/"active" counts as active once observed or posting
    posting = pd.MultiIndex.from_frame(posts[keys].dropna().drop_duplicates())
    has_posts = pd.MultiIndex.from_frame(accounts[keys]).isin(posting)
    seen = accounts["observed_at"].notna().to_numpy() | has_posts
    status = accounts["status"].mask(
        accounts["status"].isin(["unknown", "active"]) & seen, "active"
    )
    by_status = status.value_counts()

    # 2. posts per month (UTC)
    created = current["created_at"].dropna()
    month = (created.dt.year * 100 + created.dt.month).value_counts().sort_index()

    # 3. followers at the latest snapshot up to now, else the profile's own count
    snap = snaps[snaps["observed_at"] <= now].sort_values("observed_at")
    snap = snap.drop_duplicates(keys, keep="last")[[*keys, "followers"]]
    at = accounts.merge(snap, on=keys, how="left", suffixes=("_profile", ""))
    profile = at["followers_profile"].where(at["observed_at"] <= now)
    followers = at["followers"].fillna(profile).dropna().astype("float64")

    # 4-6. shares of posts and top hashtags (ties by name)
    def top(values: pd.Series, with_share: bool) -> list[list[Any]]:
        counts = values.dropna().value_counts()
        frame = counts.rename_axis("v").reset_index(name="n")
        frame = frame.sort_values(["n", "v"], ascending=[False, True]).head(TOP)
        total = counts.sum() if with_share else n_posts
        return [
            [v, int(n), round(100.0 * n / total, 2)] if with_share else [v, int(n)]
            for v, n in zip(frame["v"], frame["n"], strict=True)
        ]

    # 7. the hyperactive core
    per_account = current.dropna(subset=["account_id"]).groupby(keys).size()
    per_account = per_account.sort_values(ascending=False).to_numpy()
    before = np.cumsum(per_account) - per_account  # posts of the more active accounts
    core = int((before < per_account.sum() / 2).sum())

    # 8. Kaplan-Meier, from creation (else first sighting) to the first suspension
    span = posts.groupby(keys)["created_at"].agg(["min", "max"])
    looked = snaps.groupby(keys)["observed_at"].agg(["min", "max"])
    is_susp = events["status"] == "suspended"
    gone = events[is_susp].groupby(keys)["observed_at"].min().rename("suspended")
    alive = events[~is_susp].groupby(keys)["observed_at"].max().rename("alive")
    a = accounts.set_index(keys)[["created_at", "observed_at"]]
    a = a.join(span.add_prefix("post_")).join(looked.add_prefix("snap_")).join(gone).join(alive)
    start = a["created_at"].fillna(a[["post_min", "snap_min", "observed_at"]].min(axis=1))
    last = a[["post_max", "snap_max", "observed_at", "alive"]].max(axis=1)
    event = a["suspended"].notna()
    stop = a["suspended"].where(event, last)
    keep = start.notna() & stop.notna() & (stop >= start)
    days = ((stop - start)[keep].dt.total_seconds() / 86400).to_numpy()
    survival = _kaplan_meier(days, event[keep].to_numpy())

    stats = {
        "accounts_by_status": {str(s): int(n) for s, n in by_status.items()},
        "posts_per_month": {f"{k // 100:04d}-{k % 100:02d}": int(n) for k, n in month.items()},
        "followers": {
            "n": int(followers.size),
            "mean": round(float(followers.mean()), 2),
            "median": round(float(followers.median()), 2),
            "p90": round(float(followers.quantile(0.9)), 2),
        },
        "clients": top(current["client"], True),
        "languages": top(current["lang"], True),
        "hashtags": top(current["hashtags"].explode(), False),
        "core": {"accounts": core, "share": round(100.0 * core / per_account.size, 2)},
        "survival": survival,
    }
    print(json.dumps(stats), flush=True)
    os._exit(0)


def _kaplan_meier(days: Any, event: Any) -> dict[str, Any]:
    """Kaplan-Meier as :mod:`marsad.census.survival` defines it, in numpy."""
    import numpy as np

    times, inverse = np.unique(days, return_inverse=True)
    deaths = np.bincount(inverse, weights=event, minlength=times.size)
    totals = np.bincount(inverse, minlength=times.size)
    at_risk = days.size - np.concatenate(([0], np.cumsum(totals)[:-1]))
    surv = np.cumprod(1.0 - deaths / at_risk)

    def at(t: float) -> float:
        i = np.searchsorted(times, t, side="right")
        return float(surv[i - 1]) if i else 1.0

    below = np.flatnonzero(surv <= 0.5)
    return {
        "accounts": int(days.size),
        "suspended": int(event.sum()),
        "median_days": round(float(times[below[0]]), 2) if below.size else None,
        "suspended_2d": round(100 * (1 - at(2.0)), 2) if days.size else None,
        "suspended_5d": round(100 * (1 - at(5.0)), 2) if days.size else None,
    }


# -- agreement -------------------------------------------------------------------------------------


def disagreements(ours: Any, theirs: Any, where: str = "") -> list[str]:
    """Where two statistics differ: counts and names exactly, decimals by TOLERANCE."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if set(ours) != set(theirs):
            return [f"{where}: keys {sorted(set(ours) ^ set(theirs))} on one side only"]
        return [p for k in ours for p in disagreements(ours[k], theirs[k], f"{where}.{k}")]
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return [f"{where}: {len(ours)} rows against {len(theirs)}"]
        return [
            p
            for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
            for p in disagreements(a, b, f"{where}[{i}]")
        ]
    if isinstance(ours, float) or isinstance(theirs, float):
        if ours is None or theirs is None or not math.isclose(ours, theirs, abs_tol=TOLERANCE):
            return [f"{where}: marsad {ours!r}, pandas {theirs!r}"]
        return []
    return [] if ours == theirs else [f"{where}: marsad {ours!r}, pandas {theirs!r}"]


# -- runs and report -------------------------------------------------------------------------------


@dataclass
class Runs:
    tool: str
    runs: list[Measurement] = field(default_factory=list)
    stats: dict[str, Any] | None = None
    problem: str = ""

    @property
    def wall(self) -> float:
        return median([m.wall_s for m in self.runs])

    @property
    def rss(self) -> float:
        return median([m.peak_rss_mb for m in self.runs])


def measure_once(result: Runs, cmd: list[str], args: argparse.Namespace, scratch: Path) -> str:
    """One run of *cmd* into *result*; its output, or "" when it failed (``result.problem``)."""
    m = run_measured(cmd, cwd=scratch, timeout=args.timeout, rss_limit_mb=args.mem_limit_gb * 1024)
    print(
        f"  {result.tool}: {m.wall_s:,.1f} s, {m.peak_rss_mb:,.0f} MB"
        + (f", stopped ({m.killed})" if m.killed else "")
        + (f", exit {m.returncode}" if m.returncode and not m.killed else ""),
        file=sys.stderr,
        flush=True,
    )
    if m.killed or m.returncode:
        why = {"memory": f"above the {args.mem_limit_gb:g} GB memory guard", "timeout": "timed out"}
        result.problem = why.get(m.killed, f"exit {m.returncode}: {_tail(m.stderr)}")
        return ""
    result.runs.append(dataclasses.replace(m, stdout="", stderr=""))
    return m.stdout


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


def report(ds: Dataset, info: dict[str, Any], results: list[Runs], repeat: int) -> str:
    rows = info["rows"]
    ours = next((r for r in results if r.tool == "marsad" and r.runs), None)
    table = []
    for r in results:
        if not r.runs:
            table.append([f"{r.tool} (failed: {r.problem})", "–", "–", "–"])
            continue
        ratio = "1.00×" if r is ours else (f"{r.wall / ours.wall:.2f}×" if ours else "–")
        table.append([r.tool, f"{r.wall:,.2f}", f"{r.rss:,.0f}", ratio])
    secs = info["seconds"]
    out = [
        f"### {rows['posts']:,} posts, {rows['accounts']:,} accounts",
        "",
        f"Workspace: `{PROFILE}` profile, seed {SEED}, {ds.posts:,} X posts and {ds.accounts:,} "
        f"first-generation accounts asked for; {rows['snapshots']:,} snapshots, "
        f"{rows['status_events']:,} status events, {rows['edges']:,} edges.  Built once "
        f"({info['built_at']}): simulate {secs['simulate']:,.0f} s, convert to Parquet "
        f"{secs['convert']:,.0f} s, finalise {secs['finalize']:,.0f} s, `marsad import` "
        f"{secs['import']:,.0f} s (peak RSS {info['import_peak_rss_mb']:,.0f} MB); "
        f"export {info['export_bytes'] / 2**30:,.2f} GiB.",
        "",
        markdown_table(["tool", "wall s (median)", "peak RSS MB", "marsad speed ÷ tool"], table),
        "",
        f"- {repeat} run(s) each, medians; wall time from process start to exit",
    ]
    theirs = next((r for r in results if r.tool == "pandas" and r.runs), None)
    if ours and theirs:
        got = theirs.wall / ours.wall
        verdict = "met" if got >= TARGET else "NOT met"
        out.append(f"- target ≥{TARGET:.0f}× the pandas peer's speed: {got:.2f}× ({verdict})")
    return "\n".join(out)


def profile_marsad(ds: Dataset) -> None:
    """Seconds per census section, each a ``run_census`` of that section alone, in this process.

    Each call opens the views and computes the meta again; that part is timed
    alone (no section), after a first untimed call warms the caches, and subtracted.
    """
    from marsad.census.compute import run_census
    from marsad.census.filters import CensusFilter
    from marsad.store.duckdb import DuckDBStore

    store = DuckDBStore(ds.workspace, create=False)
    try:
        con = store.analytics()
        run_census(con, CensusFilter(), sections=[])
        timed = {}
        for section in ("", *SECTIONS):
            started = time.perf_counter()
            run_census(con, CensusFilter(), sections=[section] if section else [])
            timed[section] = time.perf_counter() - started
    finally:
        store.close()
    base = timed.pop("")
    rows = [["views and meta (every call)", f"{base:,.2f}"]]
    rows += [[s, f"{t - base:,.2f}"] for s, t in timed.items()]
    print(f"## Census sections on {ds.workspace}\n")
    print(markdown_table(["section", "seconds"], rows))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, help="X posts to simulate (default 10,000,000)")
    ap.add_argument("--accounts", type=int, help="first-generation accounts (default 1,000,000)")
    ap.add_argument("--repeat", type=int, help="runs per measurement (default 3)")
    ap.add_argument(
        "--quick", action="store_true", help="smoke run: 200k posts, 20k accounts, 1 repeat"
    )
    ap.add_argument("--data-dir", type=Path, default=Path("bench-data"), help="workspace cache")
    ap.add_argument(
        "--build-workers", type=int, help="worker processes of the build (default: the setting)"
    )
    ap.add_argument("--no-peer", action="store_true", help="measure marsad only (no check)")
    ap.add_argument(
        "--full",
        action="store_true",
        help="time every table of the five sections instead of marsad census --headline",
    )
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    ap.add_argument(
        "--mem-limit-gb",
        type=float,
        default=12,
        help="stop a run whose resident memory passes this (default 12: half this machine)",
    )
    ap.add_argument("--json-out", type=Path, help="also write every measurement as JSON")
    ap.add_argument("--profile", action="store_true", help="seconds per census section, then stop")
    ap.add_argument("--pandas-peer", metavar="EXPORT_DIR", help=argparse.SUPPRESS)
    ap.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.pandas_peer:
        pandas_peer(args.pandas_peer)
        return 0
    posts = args.posts or (200_000 if args.quick else 10_000_000)
    accounts = args.accounts or (20_000 if args.quick else 1_000_000)
    repeat = args.repeat or (1 if args.quick else 3)
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    ds = dataset(posts, accounts, data_dir)
    if args.build_only:
        build_here(ds, args.build_workers)
        return 0
    info = build(ds, args.build_workers)
    if args.profile:
        profile_marsad(ds)
        return 0

    print("## Census speed and memory\n")
    what = " ".join(f"--section {s}" for s in SECTIONS) if args.full else "--headline"
    print(f"- marsad: `marsad census {what} --json`")
    print("- pandas: the headline statistics from the export's Parquet files (see the script)")
    for line in machine_lines(["duckdb", "pyarrow", "pandas", "numpy"]):
        print(line)
    print()
    sys.stdout.flush()

    tools = [("marsad", marsad_cmd(ds, args.full))] + (
        [] if args.no_peer else [("pandas", peer_cmd(ds))]
    )
    results = [Runs(tool) for tool, _ in tools]
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-", dir=data_dir) as scratch_name:
        scratch = Path(scratch_name)
        for r in range(repeat):  # the tools take turns, so load changes hit both alike
            for result, (_, cmd) in zip(results, tools, strict=True):
                if not result.problem:
                    out = measure_once(result, cmd, args, scratch)
                    if r == 0 and out:
                        data = json.loads(out)
                        result.stats = marsad_statistics(data) if result.tool == "marsad" else data
            if r == 0 and len(results) == 2 and results[0].stats and results[1].stats:
                problems = disagreements(results[0].stats, results[1].stats, "stats")
                if problems:
                    break
    if problems:
        print("The statistics disagree; no times reported:\n")
        print("\n".join(f"- {p}" for p in problems))
    else:
        print(report(ds, info, results, repeat))
        if len(results) == 2 and all(r.stats for r in results):
            print("- the statistics of both sides agree (counts exactly, decimals to ±0.01)")
    print(f"- load average at end: {load_average()}")
    if args.json_out:
        dump = {
            "posts": posts,
            "accounts": accounts,
            "build": info,
            "runs": [
                {
                    "tool": r.tool,
                    "wall_s": [m.wall_s for m in r.runs],
                    "peak_rss_mb": [m.peak_rss_mb for m in r.runs],
                    "problem": r.problem,
                    "statistics": r.stats,
                }
                for r in results
            ],
            "disagreements": problems,
        }
        args.json_out.write_text(json.dumps(dump, indent=2))
    return 1 if problems or any(r.problem for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
