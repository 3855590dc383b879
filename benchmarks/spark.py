"""marsad on Spark against the embedded store, on one machine: census and scan.

For each size (``--posts``, default 1M): ``marsad simulate`` (the
``census-2014`` profile, X API v2 pages, seed 7), ``marsad ingest`` into an
embedded workspace and ``marsad export`` to Parquet (setup, not timed), then
in the same run, ``--repeat`` times each (median quoted):

* **embedded** -- ``marsad census --json`` and ``marsad scan`` (on a fresh
  copy of the unscanned workspace each time);
* **Spark** -- ``marsad spark census`` and ``marsad spark scan`` on
  ``local[2]`` over the export, at the default partitioning, and (``--sweep``)
  the census at 1, 2, 4 and 8 partitions per core
  (``spark.sql.shuffle.partitions`` and the input split size set to match).

Each Spark run keeps an event log, from which the bytes it read, shuffled
and spilled and the largest task's peak execution memory are summed (the
plan for a billion posts in docs/spark.md scales these).  Wall time
includes the interpreter and, for Spark, the JVM's start; the
census JSON says how much of it the census's statements took and which were
slowest (where Spark's time goes).  Each Spark census is checked against the
embedded one (same sections, counts equal, floats within 1e-9) and each scan
against the embedded scan's detection count.  Peak RSS is the marsad
process's own: Spark's JVM and Python workers are other processes and are
not counted (``--conf spark.driver.memory`` bounds the JVM).

    python benchmarks/spark.py --posts 1000000 --repeat 3 --sweep

``--no-scan`` runs the census only, ``--no-census`` the scans only (at 10M
posts each half takes most of an hour).

``--stages`` measures the account stages instead -- ``marsad lineage``,
``accounts`` and ``network`` against ``marsad spark lineage | accounts |
network`` -- on the workspace scanned (their evidence) and its export, each
Spark result checked against the embedded one.  There the marsad process's
peak RSS *is* the driver's Python, which holds what the stage's queries
return: the driver limit docs/spark.md extrapolates from.

    python benchmarks/spark.py --posts 1000000 --repeat 3 --stages
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_lines, markdown_table, median, run_measured  # noqa: E402

MARSAD = [sys.executable, "-m", "marsad.cli"]


def _run(*args: str, timeout: float = 7200) -> Any:
    done = run_measured([*MARSAD, *args], timeout=timeout)
    if done.returncode:
        raise SystemExit(f"marsad {' '.join(args[:2])} failed:\n{done.stderr[-3000:]}")
    return done


def _json(text: str) -> Any:
    return json.loads(text[text.index("{") :])


def _differences(a: Any, b: Any) -> int:
    if isinstance(a, dict) and isinstance(b, dict):
        return len(set(a) ^ set(b)) + sum(_differences(a[k], b[k]) for k in set(a) & set(b))
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return 1
        return sum(_differences(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        ok = isinstance(a, int | float) and isinstance(b, int | float)
        return 0 if ok and abs(a - b) <= 1e-9 * max(1.0, abs(a)) else 1
    return 0 if a == b else 1


def _prepare(work: Path, posts: int) -> tuple[Path, Path]:
    sim, ws, export = work / "sim", work / "ws", work / "export"
    if not (export / "manifest.json").exists():
        accounts = max(posts // 20, 100)
        _run(
            "simulate", str(sim), "--profile", "census-2014", "--accounts", str(accounts),
            "--posts", str(posts), "--formats", "x-v2", "--seed", "7",
        )  # fmt: skip
        _run("ingest", str(sim), "--workspace", str(ws))
        _run("export", str(export), "--workspace", str(ws))
        shutil.rmtree(sim)
    return ws, export


def _event_log(work: Path) -> Path:
    """A fresh directory for one run's Spark event log."""
    folder = Path(tempfile.mkdtemp(prefix="events-", dir=work))
    return folder


def _event_totals(folder: Path) -> dict[str, float]:
    """What Spark's event log says a run moved: bytes read from the input,
    shuffled (written), spilled, and the largest peak execution memory of a
    task, from every task's metrics (``SparkListenerTaskEnd``)."""
    totals = {"input_mb": 0.0, "shuffle_write_mb": 0.0, "spill_disk_mb": 0.0, "tasks": 0.0}
    peak = 0.0
    for path in sorted(folder.rglob("events_*")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if '"SparkListenerTaskEnd"' not in line:
                    continue
                metrics = json.loads(line).get("Task Metrics") or {}
                totals["tasks"] += 1
                totals["input_mb"] += (metrics.get("Input Metrics") or {}).get(
                    "Bytes Read", 0
                ) / 1e6
                written = (metrics.get("Shuffle Write Metrics") or {}).get(
                    "Shuffle Bytes Written", 0
                )
                totals["shuffle_write_mb"] += written / 1e6
                totals["spill_disk_mb"] += metrics.get("Disk Bytes Spilled", 0) / 1e6
                peak = max(peak, metrics.get("Peak Execution Memory", 0) / 1e6)
    shutil.rmtree(folder, ignore_errors=True)
    return {**{k: round(v, 1) for k, v in totals.items()}, "task_peak_mb": round(peak, 1)}


def _spark_conf(partitions: int | None, export: Path, events: Path | None = None) -> list[str]:
    conf = ["--master", "local[2]", "--conf", "spark.driver.memory=8g"]
    if events is not None:
        conf += [
            "--conf", "spark.eventLog.enabled=true",
            "--conf", f"spark.eventLog.dir=file://{events}",
            "--conf", "spark.eventLog.compress=false",
        ]  # fmt: skip
    if partitions is not None:
        size = sum(f.stat().st_size for f in (export / "posts.parquet").parent.rglob("*.parquet"))
        split = max(size // partitions, 1 << 20)
        conf += [
            "--conf", f"spark.sql.shuffle.partitions={partitions}",
            "--conf", f"spark.default.parallelism={partitions}",
            "--conf", f"spark.sql.files.maxPartitionBytes={split}",
        ]  # fmt: skip
    return conf


def measure(
    work: Path, posts: int, repeat: int, sweep: bool, scan: bool = True, census: bool = True
) -> dict[str, Any]:
    ws, export = _prepare(work, posts)
    out: dict[str, Any] = {"posts": posts, "rows": []}
    embedded_census: Any = None
    times: dict[str, list[float]] = {}
    rss: dict[str, list[float]] = {}

    def note(key: str, m: Any) -> None:
        times.setdefault(key, []).append(m.wall_s)
        rss.setdefault(key, []).append(m.peak_rss_mb)

    for _ in range(repeat if census else 0):
        m = _run("census", "--workspace", str(ws), "--json")
        embedded_census = _json(m.stdout)
        note("embedded census", m)
    census_checks: list[int] = []
    engine: dict[str, Any] = {}
    settings: list[tuple[str, int | None]] = [("Spark census, local[2]", None)] if census else []
    if sweep and census:
        settings += [(f"Spark census, {k} per core", 2 * k) for k in (1, 2, 4, 8)]
    for label, partitions in settings:
        for _ in range(repeat if partitions is None else 1):
            target = work / "spark-census"
            events = _event_log(work)
            m = _run(
                "spark", "census", "--input", str(export), "--output", str(target),
                *_spark_conf(partitions, export, events),
            )  # fmt: skip
            got = json.loads((target / "census.json").read_text())
            census_checks.append(_differences(embedded_census["sections"], got["sections"]))
            engine.setdefault(label, []).append(
                {**got["meta"]["engine"], "moved": _event_totals(events)}
            )
            note(label, m)
    scanned = 0
    for _ in range(repeat if scan else 0):
        with tempfile.TemporaryDirectory(dir=work) as scratch:
            copy = Path(scratch) / "ws"
            shutil.copytree(ws, copy)
            m = _run("scan", "--workspace", str(copy), "--json")
            scanned = int(_json(m.stdout)["scanned"])
            note("embedded scan", m)
    detections = None
    for _ in range(repeat if scan else 0):
        target = work / "spark-scan"
        events = _event_log(work)
        m = _run(
            "spark", "scan", "--input", str(export), "--output", str(target), "--json",
            *_spark_conf(None, export, events),
        )  # fmt: skip
        detections = int(_json(m.stdout)["detections"])
        engine.setdefault("Spark scan, local[2]", []).append(
            {"seconds": m.wall_s, "statements": 0, "slowest": [], "moved": _event_totals(events)}
        )
        note("Spark scan, local[2]", m)
    base: dict[str, float] = {}
    if census:
        base["census"] = median(times["embedded census"])
    if scan:
        base["scan"] = median(times["embedded scan"])
    for key, values in times.items():
        stage = "census" if "census" in key else "scan"
        out["rows"].append(
            [
                key,
                len(values),
                f"{median(values):,.1f}",
                f"{median(values) / base[stage]:.1f}x",
                f"{max(rss[key]):,.0f}",
            ]
        )
    out["census_differences"] = census_checks
    out["scanned"] = scanned
    out["spark_detections"] = detections
    out["engine"] = engine
    return out


#: keys of a stage's JSON that differ from run to run (times, where it was written)
_VOLATILE = {"seconds", "engine", "timings", "detections", "export", "interactions"}


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _prepare_scanned(work: Path, ws: Path) -> tuple[Path, Path]:
    """The workspace scanned (the account stage reads the scan's detections), and its export."""
    scanned, export = work / "ws-scanned", work / "export-scanned"
    if not (export / "manifest.json").exists():
        if not scanned.exists():
            shutil.copytree(ws, scanned)
            _run("scan", "--workspace", str(scanned))
        _run("export", str(export), "--workspace", str(scanned))
    return scanned, export


#: stage -> (the embedded command's arguments, the Spark command's extra arguments)
_STAGES = {
    "lineage": (["lineage", "--json"], []),
    "accounts": (["accounts", "--json", "--top", "50"], ["--top", "50"]),
    "network": (["network", "--json"], []),
}


def measure_stages(work: Path, posts: int, repeat: int) -> dict[str, Any]:
    """lineage, accounts and network: embedded against Spark (local[2]), checked equal."""
    ws, _ = _prepare(work, posts)
    scanned, export = _prepare_scanned(work, ws)
    out: dict[str, Any] = {"posts": posts, "rows": [], "differences": {}, "engine": {}}
    for stage, (embedded_args, spark_args) in _STAGES.items():
        times: dict[str, list[float]] = {}
        rss: dict[str, list[float]] = {}
        reference: Any = None
        for _ in range(repeat):
            m = _run(*embedded_args[:1], "--workspace", str(scanned), *embedded_args[1:])
            reference = _json(m.stdout)
            times.setdefault(f"embedded {stage}", []).append(m.wall_s)
            rss.setdefault(f"embedded {stage}", []).append(m.peak_rss_mb)
        for _ in range(repeat):
            target = work / f"spark-{stage}"
            events = _event_log(work)
            m = _run(
                "spark", stage, "--input", str(export), "--output", str(target), "--json",
                *spark_args, *_spark_conf(None, export, events),
            )  # fmt: skip
            got = _json(m.stdout)
            got["engine"]["moved"] = _event_totals(events)
            key = f"Spark {stage}, local[2]"
            times.setdefault(key, []).append(m.wall_s)
            rss.setdefault(key, []).append(m.peak_rss_mb)
            out["differences"].setdefault(stage, []).append(
                _differences(_strip(reference), _strip(got))
            )
            out["engine"].setdefault(stage, []).append(got["engine"])
        base = median(times[f"embedded {stage}"])
        for key, values in times.items():
            out["rows"].append(
                [
                    key,
                    len(values),
                    f"{median(values):,.1f}",
                    f"{median(values) / base:.1f}x",
                    f"{max(rss[key]):,.0f}",
                ]
            )
        if stage == "lineage":
            out["lineage_counts"] = reference["counts"]
        elif stage == "network":
            out["graph"] = {"nodes": reference["nodes"], "edges": reference["edges"]}
        else:
            out["accounts"] = {"accounts": reference["accounts"], "flagged": reference["flagged"]}
    return out


def _print_stages(r: dict[str, Any]) -> None:
    print(f"\n### Account stages, {r['posts']:,} posts\n")
    print(
        markdown_table(
            ["run", "runs", "median s (wall)", "÷ embedded", "peak RSS MB (marsad process)"],
            r["rows"],
        )
    )
    print(f"\n- checked against the embedded stage: differences per run {r['differences']}")
    print(f"- lineage: {r['lineage_counts']}; accounts: {r['accounts']}; graph: {r['graph']}")
    for stage, engines in r["engine"].items():
        first = engines[0]
        print(
            f"- Spark {stage}: {first['statements']} statements, "
            f"{median([e['spark_seconds'] for e in engines]):,.1f} s in them (the rest on the "
            f"driver); moved {first['moved']}; slowest:"
        )
        for x in first["slowest"][:3]:
            print(f"  - {x['seconds']:,.1f} s `{x['sql'][:90]}`")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", default="1000000", help="Comma-separated sizes.")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sweep", action="store_true", help="Also 1, 2, 4, 8 partitions per core.")
    ap.add_argument("--work", type=Path, default=Path("bench-data") / "spark")
    ap.add_argument(
        "--stages",
        action="store_true",
        help="Instead: lineage, accounts and network, embedded against Spark.",
    )
    ap.add_argument(
        "--no-scan", action="store_true", help="The census only (the scans take longest)."
    )
    ap.add_argument("--no-census", action="store_true", help="The scans only.")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    results: list[dict[str, Any]] = []
    for size in (int(x) for x in args.posts.split(",")):
        work = args.work / str(size)
        work.mkdir(parents=True, exist_ok=True)
        if args.stages:
            results.append(measure_stages(work, size, args.repeat))
        else:
            results.append(
                measure(work, size, args.repeat, args.sweep, not args.no_scan, not args.no_census)
            )
    print("## marsad on Spark against the embedded store (`benchmarks/spark.py`)\n")
    print("\n".join(machine_lines(["pyspark", "sqlglot", "duckdb", "pyarrow"])))
    if args.stages:
        for r in results:
            _print_stages(r)
        if args.json_out:
            args.json_out.write_text(json.dumps(results, indent=2))
        return 0
    for r in results:
        print(f"\n### {r['posts']:,} posts\n")
        print(
            markdown_table(
                ["run", "runs", "median s (wall)", "÷ embedded", "peak RSS MB (marsad process)"],
                r["rows"],
            )
        )
        if r["census_differences"]:
            print(
                f"\n- census checked against the embedded one: differences per run "
                f"{r['census_differences']} (0 = equal)"
            )
        if r["spark_detections"] is not None:
            print(
                f"- scan: embedded scored {r['scanned']:,} posts; Spark wrote "
                f"{r['spark_detections']:,} detections"
            )
        for label, engines in r["engine"].items():
            first = engines[0]
            print(
                f"- {label}: {first['statements']} statements, "
                f"{median([e['seconds'] for e in engines]):,.1f} s inside; moved {first['moved']}"
                + ("; slowest:" if first["slowest"] else "")
            )
            for s in first["slowest"][:5]:
                print(f"  - {s['seconds']:,.1f} s `{s['sql'][:90]}`")
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
