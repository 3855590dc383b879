"""The stores: ingest and census on the embedded store and on the team store,
and what pinning DuckDB to the team store's extensions costs.

Figures for ``BENCHMARKS.md`` ("The team store").  One simulated X platform
(the ``census-2014`` profile scaled to ``--posts``, X API v2 pages, seed 7),
then, as separate processes through the real CLI (``python -m marsad.cli``):

* ``ingest`` of the pages into an empty workspace, and ``census --json`` of
  the headline sections (size, accounts, devices, content, survival);
* on the embedded store (a directory) and on the team store (a PostgreSQL
  URL: a fresh database and data path each run);
* with each ``--python`` given: the first is the one measured against the
  others (e.g. this ``.venv`` with the pinned DuckDB 1.5.5 against a venv
  that has DuckDB 2.0.1); every interpreter runs this checkout's code
  (``PYTHONPATH=src``), so only the DuckDB version differs.

Runs alternate between the interpreters and stores, ``--repeat`` times
each; the table quotes medians.  PostgreSQL: ``--server`` (default
``postgresql://postgres@127.0.0.1:5432``); the team store is skipped for an
interpreter whose DuckDB has no team extensions.

    python benchmarks/store.py --posts 1000000 --python .venv/bin/python \\
        --python /tmp/duckdb201/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_lines, markdown_table, median, run_measured  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("size", "accounts", "devices", "content", "survival")


def _env(data_path: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), MARSAD_THREADS="2")
    if data_path is not None:
        env["MARSAD_DATA_PATH"] = str(data_path)
    return env


def _duckdb_version(python: str) -> tuple[str, bool]:
    code = (
        "import duckdb, importlib.util as u; print(duckdb.__version__, "
        "all(u.find_spec(m) for m in ('duckdb_extension_ducklake', 'duckdb_extension_postgres',"
        " 'psycopg')))"
    )
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    version, team = out.stdout.split()
    return version, team == "True"


def _drop(server: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server + "/postgres", autocommit=True) as c:
        c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def build(data: Path, posts: int) -> Path:
    sim = data / f"sim-{posts}"
    if not (sim / "ready").exists():
        shutil.rmtree(sim, ignore_errors=True)
        accounts = max(1000, posts // 10)
        subprocess.run(
            [sys.executable, "-m", "marsad.cli", "simulate", str(sim), "--profile", "census-2014",
             "--posts", str(posts), "--accounts", str(accounts), "--seed", "7",
             "--formats", "x-v2"],
            env=_env(), check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        (sim / "ready").touch()
    return sim


def _disk_gb(*paths: Path) -> float:
    return (
        sum(f.stat().st_size for p in paths if p.exists() for f in p.rglob("*") if f.is_file())
        / 1e9
    )


def one_run(python: str, store: str, sim: Path, work: Path, server: str) -> tuple[float, ...]:
    """(ingest s, census s, ingest peak RSS MB, census peak RSS MB, GB on disk after
    the ingest) of one fresh workspace."""
    name = f"marsad_bench_{uuid.uuid4().hex[:10]}"
    data_path = work / f"lake-{name}"
    target = f"{server}/{name}" if store == "team" else str(work / f"ws-{name}")
    try:
        env = _env(data_path)
        ingest = run_measured(
            [python, "-m", "marsad.cli", "ingest", "-w", target, str(sim)], env=env
        )
        if ingest.returncode:
            raise SystemExit(f"ingest failed ({python}, {store}):\n{ingest.stderr[-3000:]}")
        disk = _disk_gb(data_path, work / f"ws-{name}")
        print(  # at once: a census that fails later does not lose it
            f"  {store}: ingest {ingest.wall_s:.1f} s, peak RSS {ingest.peak_rss_mb:,.0f} MB, "
            f"{disk:.1f} GB on disk",
            file=sys.stderr,
            flush=True,
        )
        args = [python, "-m", "marsad.cli", "census", "-w", target, "--json"]
        for s in SECTIONS:
            args += ["--section", s]
        census = run_measured(args, env=env)
        if census.returncode:
            raise SystemExit(f"census failed ({python}, {store}):\n{census.stderr[-3000:]}")
        try:
            json.loads(census.stdout)
        except ValueError as exc:
            raise SystemExit(
                f"census --json printed no JSON ({exc}): {census.stdout[:200]!r}"
            ) from None
        return ingest.wall_s, census.wall_s, ingest.peak_rss_mb, census.peak_rss_mb, disk
    finally:
        shutil.rmtree(data_path, ignore_errors=True)
        shutil.rmtree(work / f"ws-{name}", ignore_errors=True)
        if store == "team":
            _drop(server, name)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--python", action="append", help="interpreter (repeatable; default this one)")
    ap.add_argument("--stores", default="embedded,team")
    ap.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    ap.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    args = ap.parse_args()
    pythons = args.python or [sys.executable]
    stores = args.stores.split(",")
    sim = build(args.data_dir, args.posts)
    work = args.data_dir / "store-runs"
    work.mkdir(parents=True, exist_ok=True)
    info = {p: _duckdb_version(p) for p in pythons}
    plan = [(p, s) for p in pythons for s in stores if s == "embedded" or info[p][1]]
    times: dict[tuple[str, str], list[tuple[float, ...]]] = {k: [] for k in plan}
    head = machine_lines(["duckdb"])
    for r in range(args.repeat):
        for key in plan:
            times[key].append(one_run(key[0], key[1], sim, work, args.server))
            print(
                f"run {r + 1}: {key[1]} duckdb {info[key[0]][0]}: {times[key][-1]}", file=sys.stderr
            )
    rows = []
    base = {s: times[(pythons[0], s)] for s in stores if (pythons[0], s) in times}
    for (p, s), ts in times.items():
        ing, cen = median([t[0] for t in ts]), median([t[1] for t in ts])
        ref = base.get(s)
        ratio = ""
        if ref and p != pythons[0]:
            ratio = (
                f"{median([t[0] for t in ref]) / ing:.2f} / {median([t[1] for t in ref]) / cen:.2f}"
            )
        rss = f"{median([t[2] for t in ts]):,.0f} / {median([t[3] for t in ts]):,.0f}"
        disk = f"{median([t[4] for t in ts]):.1f}"
        rows.append((f"{s}, DuckDB {info[p][0]}", f"{ing:.1f}", f"{cen:.1f}", rss, disk, ratio))
    print("\n".join(head))
    print(f"- {args.posts:,} posts (X API v2 pages), median of {args.repeat} runs\n")
    print(
        markdown_table(
            [
                "store, engine",
                "ingest s",
                "census s",
                "peak RSS MB (ingest / census)",
                "GB on disk",
                f"DuckDB {info[pythons[0]][0]}'s time ÷ this one's (ingest / census)",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
