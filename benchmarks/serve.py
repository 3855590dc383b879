"""The web app: queue page and item page latency of ``marsad serve`` under load.

Figures for ``BENCHMARKS.md`` ("The web app").  A review queue of ``--items``
items (default 100,000) behind the real server (``python -m marsad.cli
serve``, a separate process on 127.0.0.1), and ``--clients`` (default 20)
concurrent clients, each a thread with its own ``httpx`` client logged in
through the real form (GET ``/login`` for the CSRF field and cookie, POST
``/login``) as its own reviewer:

* **stores**: the embedded store (a workspace directory made by ``marsad
  demo``, kept under ``--data-dir`` and reused) and the team store (a fresh
  PostgreSQL database ``marsad_bench_<hex>`` on ``--server``, into which the
  same demo is imported with ``marsad export`` / ``marsad import``; once
  filled, ``VACUUM (ANALYZE)`` as autovacuum would do after a bulk insert;
  dropped at the end);
* **queue**: ``marsad queue sync`` puts the demo's real items in (about
  1,300: posts, accounts, lineage links), then synthetic post and account
  items (``detector_version`` ``bench-synthetic``, targets that are not in
  the analytic store) fill it to ``--items`` through the service
  (``Queue.sync`` with ``Candidate`` objects);
* **the mixed phase**: ``--requests`` requests per page type, shuffled and
  shared among the clients: the queue page (split evenly between
  ``/queue``, ``/queue?kind=post&lang=ar`` and the deep page
  ``/queue?offset=5000``) and the item page ``/items/{id}`` of random *real*
  items, so the item page does the real evidence work (a page that shows an
  evidence error counts as an error).  An item's evidence is kept in the
  review database once gathered (until the next sync): each run starts with
  none kept (the item page's cold path), or, with ``--kept-evidence``, after
  every real item has been viewed once;
* **the peer baseline**, in the same run and server: ``/healthz`` (no
  login, one ``SELECT 1``, a small JSON body) under the same clients -- the
  floor of the stack (uvicorn + FastAPI + the review database's
  connection); the table gives each page's p50 divided by its p50.

Latency is per request, from sending it to having read the whole body, on
the client.  A page's req/s is its requests divided by the wall time of the
phase it ran in (the mixed phase's pages share it).  Each repeat starts a
fresh server, warms it (every client requests every page type once), runs
the baseline, then the mixed phase; repeats alternate between the stores and
the table quotes the median of each figure over ``--repeat`` runs.  The raw
numbers (every latency) go to ``--json``, with the server's CPU time (from
``/proc``) and the clients' own.  The load generator runs on the same machine
as the server: on a small machine it takes a share of the CPU.

By default the clients do not pause between requests, so the server is
saturated: by Little's law a page's latency is then about clients /
throughput, and a p95 under 200 ms with 20 clients needs some 100+ requests/s
of the page mix -- much more than 20 people reading pages make.  ``--pace S``
makes each client pause a random time (exponential, mean S seconds) after
each answer, as a person reading a page does: ``--pace 1`` is 20 reviewers
each asking for a page every second or so, some 20 requests/s in all (a
reviewer deciding on an item reads it for tens of seconds).

    python benchmarks/serve.py --items 100000 --clients 20 --repeat 3
    python benchmarks/serve.py --items 100000 --clients 20 --repeat 3 --pace 1
    python benchmarks/serve.py --items 5000 --clients 4 --requests 100 --repeat 1  # smoke
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load_average, machine_lines, markdown_table, median  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SYNTHETIC = "bench-synthetic"
PASSWORD = "bench-serve-password"  # noqa: S105 - a throwaway benchmark user
TARGET_P95_MS = 200.0
QUEUE_PAGES = {
    "queue": "/queue",
    "queue-filtered": "/queue?kind=post&lang=ar",
    "queue-deep": "/queue?offset=5000",
}
LABELS = {
    "healthz": "`/healthz` (peer baseline)",
    "queue": "`/queue`",
    "queue-filtered": "`/queue?kind=post&lang=ar`",
    "queue-deep": "`/queue?offset=5000`",
    "queue-all": "queue page (the three above)",
    "item": "`/items/{id}` (real items)",
}
_CLK = os.sysconf("SC_CLK_TCK")


def _env(data_path: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), MARSAD_THREADS="2")
    if data_path is not None:
        env["MARSAD_DATA_PATH"] = str(data_path)
    return env


def _cli(*args: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "marsad.cli", *args], env=env, capture_output=True, text=True
    )
    if out.returncode:
        raise SystemExit(f"marsad {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return out.stdout


# -- setup ---------------------------------------------------------------------------
def demo(data: Path) -> Path:
    """The demo workspace (``marsad demo``), made once and reused."""
    ws = data / "demo"
    if not (ws / "ready").exists():
        shutil.rmtree(ws, ignore_errors=True)
        print(f"making the demo workspace in {ws} …", file=sys.stderr)
        _cli("demo", "--workspace", str(ws), env=_env())
        (ws / "ready").touch()
    return ws


def fill(workspace: str, items: int, env: dict[str, str], seed: int = 7) -> dict[str, Any]:
    """``marsad queue sync``, then synthetic items up to *items*; users; returns facts."""
    from marsad.review.db import ReviewDB
    from marsad.review.queue import Candidate, Queue
    from marsad.review.users import CONSOLE, Users

    started = time.perf_counter()
    synced = json.loads(_cli("queue", "sync", "-w", workspace, "--json", env=env))
    with ReviewDB(workspace) as db:
        queue = Queue(db)
        have = int(db.value("SELECT count(*) FROM queue_items") or 0)
        outlets = [
            r["outlet"]
            for r in db.rows("SELECT DISTINCT outlet FROM queue_items WHERE outlet IS NOT NULL")
        ]
        rng = random.Random(seed)
        now = datetime.now(UTC)
        made: list[Candidate] = []
        for i in range(max(0, items - have)):
            seen = (now - timedelta(days=rng.uniform(0, 365))).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            platform = "x" if rng.random() < 0.9 else "telegram"
            if rng.random() < 0.8:
                lang = rng.choices(["ar", "en", "fr", "es", "de"], [48, 34, 12, 4, 2])[0]
                outlet = rng.choice(outlets) if outlets and rng.random() < 0.4 else None
                made.append(
                    Candidate(
                        "post", platform, f"bench-post-{i}", "risk", SYNTHETIC,
                        round(rng.uniform(0.5, 1.0), 6), lang, outlet,
                        f"bench-account-{rng.randrange(20_000)}", rng.randrange(100_000), seen,
                    )
                )  # fmt: skip
            else:
                account = f"bench-account-{i}"
                made.append(
                    Candidate(
                        "account", platform, account, "account-score", SYNTHETIC,
                        round(rng.uniform(0.5, 1.0), 6), None, None, account,
                        rng.randrange(100_000), seen,
                    )
                )  # fmt: skip
        added = queue.sync(CONSOLE, made)["added"] if made else 0
        users = Users(db)
        existing = {u["name"] for u in users.list()}
        for n in range(64):
            name = f"bench-reviewer-{n:02d}"
            if name not in existing:
                users.add(CONSOLE, name, "reviewer", PASSWORD)
        real = db.rows(
            "SELECT id, kind FROM queue_items WHERE detector_version <> ? ORDER BY id", [SYNTHETIC]
        )
        total = int(db.value("SELECT count(*) FROM queue_items") or 0)
    kinds: dict[str, int] = {}
    for r in real:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    return {
        "synced": synced,
        "synthetic_added": added,
        "items": total,
        "real_ids": [int(r["id"]) for r in real],
        "real_kinds": kinds,
        "setup_s": round(time.perf_counter() - started, 1),
    }


def setup_embedded(data: Path, items: int) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A copy of the demo with its queue filled to *items*, kept for the next run."""
    ws = data / f"embedded-{items}"
    facts_file = ws / "bench-facts.json"
    if not facts_file.exists():
        shutil.rmtree(ws, ignore_errors=True)
        shutil.copytree(demo(data), ws)
        (ws / "ready").unlink(missing_ok=True)
        facts = fill(str(ws), items, _env())
        facts_file.write_text(json.dumps(facts))
    return str(ws), _env(), json.loads(facts_file.read_text())


def _export(data: Path) -> Path:
    out = data / "demo-export"
    if not (out / "ready").exists():
        shutil.rmtree(out, ignore_errors=True)
        _cli("export", str(out), "--as", "parquet", "-w", str(demo(data)), env=_env())
        (out / "ready").touch()
    return out


def setup_team(
    data: Path, items: int, server: str, name: str
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A fresh database on *server* with the demo imported and the queue filled."""
    import psycopg
    from psycopg import sql

    export = _export(data)
    with psycopg.connect(server + "/postgres", autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{server}/{name}"
    env = _env(data / f"lake-{name}")
    started = time.perf_counter()
    _cli("import", str(export), "--workspace", url, env=env)
    imported = time.perf_counter() - started
    facts = fill(url, items, env)
    facts["import_s"] = round(imported, 1)
    # what autovacuum does shortly after a bulk insert (the benchmark server may run
    # without it): planner statistics and the visibility map of the review tables
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("VACUUM (ANALYZE)")
    return url, env, facts


def drop_team(data: Path, server: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server + "/postgres", autocommit=True) as c:
        c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    shutil.rmtree(data / f"lake-{name}", ignore_errors=True)


# -- the server -----------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``marsad serve`` as a child process; its CPU time and peak memory from /proc."""

    def __init__(
        self, workspace: str, env: dict[str, str], log: Path, extra: tuple[str, ...] = ()
    ) -> None:
        import httpx

        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "marsad.cli", "serve", "--workspace", workspace,
             "--port", str(self.port), *extra],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited ({self.proc.returncode}): see {log}")
            try:
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the server did not answer /healthz in 120 s: see {log}")
            time.sleep(0.2)

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLK  # utime + stime

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# -- clients --------------------------------------------------------------------------
def login(base: str, name: str) -> Any:
    """An httpx client holding *name*'s session, logged in through the form."""
    import httpx

    client = httpx.Client(base_url=base, timeout=300, follow_redirects=False)
    page = client.get("/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if page.status_code != 200 or not found:
        raise SystemExit(f"GET /login: {page.status_code}")
    done = client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "csrf": found.group(1), "next": "/queue"},
    )
    if done.status_code != 303 or "marsad_session" not in client.cookies:
        raise SystemExit(f"POST /login as {name}: {done.status_code} {done.text[:300]}")
    return client


def _ok(kind: str, response: Any) -> bool:
    if response.status_code != 200:
        return False
    return not (kind == "item" and '<p class="error">' in response.text)


def run_phase(
    clients: list[Any], tasks: list[tuple[str, str]], server: Server, pace: float = 0.0
) -> dict[str, Any]:
    """Every task (page type, path) once, shared among the clients; latencies per
    type.  With *pace*, a client pauses after each answer for a random time
    (exponential, mean *pace* seconds) before its next request."""
    lock = threading.Lock()
    todo = iter(tasks)
    results: list[tuple[str, float, bool]] = []
    failures: list[str] = []
    start = threading.Barrier(len(clients) + 1)

    def work(client: Any, seed: int) -> None:
        mine: list[tuple[str, float, bool]] = []
        think = random.Random(seed)
        start.wait()
        while True:
            with lock:
                task = next(todo, None)
            if task is None:
                break
            kind, path = task
            t0 = time.perf_counter()
            try:
                response = client.get(path)
                ok = _ok(kind, response)
                if not ok and len(failures) < 5:
                    failures.append(f"{path}: {response.status_code} {response.text[:200]!r}")
            except Exception as exc:  # noqa: BLE001 - a failed request is counted
                ok = False
                failures.append(f"{path}: {exc!r}")
            mine.append((kind, time.perf_counter() - t0, ok))
            if pace > 0:
                time.sleep(think.expovariate(1.0 / pace))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=work, args=(c, n)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    cpu0, own0 = server.cpu_s(), time.process_time()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu, own = server.cpu_s() - cpu0, time.process_time() - own0
    by_kind: dict[str, list[tuple[float, bool]]] = {}
    for kind, latency, ok in results:
        by_kind.setdefault(kind, []).append((latency, ok))
    if any(k.startswith("queue") for k in by_kind):
        by_kind["queue-all"] = [x for k, v in by_kind.items() if k.startswith("queue") for x in v]
    return {
        "wall_s": wall,
        "server_cpu_s": cpu,
        "client_cpu_s": own,
        "requests": len(results),
        "failures": failures[:5],
        "types": {k: _stats(v, wall) for k, v in by_kind.items()},
    }


def _stats(samples: list[tuple[float, bool]], wall: float) -> dict[str, Any]:
    ms = sorted(s[0] * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {
        "n": len(ms),
        "errors": sum(1 for s in samples if not s[1]),
        "p50_ms": q[49],
        "p95_ms": q[94],
        "p99_ms": q[98],
        "mean_ms": statistics.fmean(ms),
        "max_ms": ms[-1],
        "req_s": len(ms) / wall,
        "latencies_ms": [round(x, 2) for x in ms],
    }


def one_run(
    store: str, workspace: str, env: dict[str, str], facts: dict[str, Any],
    args: argparse.Namespace, rng: random.Random,
) -> dict[str, Any]:  # fmt: skip
    """A fresh server: warm-up, the baseline phase, the mixed phase."""
    from marsad.review.db import ReviewDB

    if not args.kept_evidence:
        # cold: no item's evidence gathered yet (the review database is reused)
        with ReviewDB(workspace) as db, db.write() as w:
            w.run("DELETE FROM item_evidence")
    # cold: the server's background helper (--prepare) off too, so that every
    # item page measured gathers its evidence
    extra = () if args.kept_evidence else ("--prepare", "0")
    server = Server(workspace, env, args.data_dir / f"server-{store}.log", extra)
    try:
        clients = [login(server.base, f"bench-reviewer-{n:02d}") for n in range(args.clients)]
        real = facts["real_ids"]
        if args.kept_evidence:  # every real item viewed once before: its evidence is kept
            for n, item in enumerate(real):
                clients[n % len(clients)].get(f"/items/{item}")
        for c in clients:  # warm-up: every page type once per client
            for path in [*QUEUE_PAGES.values(), f"/items/{rng.choice(real)}", "/healthz"]:
                c.get(path)
        base = run_phase(clients, [("healthz", "/healthz")] * args.requests, server, args.pace)
        names = list(QUEUE_PAGES)
        tasks = [(names[i % 3], QUEUE_PAGES[names[i % 3]]) for i in range(args.requests)]
        tasks += [("item", f"/items/{rng.choice(real)}") for _ in range(args.requests)]
        rng.shuffle(tasks)
        mixed = run_phase(clients, tasks, server, args.pace)
        for c in clients:
            c.close()
        return {
            "store": store,
            "load_average_after": load_average(),
            "baseline": base,
            "mixed": mixed,
            "server_peak_rss_mb": server.peak_rss_mb(),
        }
    finally:
        server.stop()


# -- the report -----------------------------------------------------------------------
def summarise(runs: list[dict[str, Any]], stores: list[str]) -> list[tuple[str, ...]]:
    rows = []
    for store in stores:
        mine = [r for r in runs if r["store"] == store]
        if not mine:
            continue

        def fig(kind: str, key: str, runs: list[dict[str, Any]] = mine) -> float:
            phase = "baseline" if kind == "healthz" else "mixed"
            return median([r[phase]["types"][kind][key] for r in runs])

        floor = fig("healthz", "p50_ms")
        for kind in ("healthz", "queue", "queue-filtered", "queue-deep", "queue-all", "item"):
            p95 = fig(kind, "p95_ms")
            errors = sum(
                r["baseline" if kind == "healthz" else "mixed"]["types"][kind]["errors"]
                for r in mine
            )
            rows.append(
                (
                    f"{store}: {LABELS[kind]}",
                    f"{fig(kind, 'p50_ms'):.0f}",
                    f"{p95:.0f}",
                    f"{fig(kind, 'p99_ms'):.0f}",
                    f"{fig(kind, 'req_s'):.1f}",
                    "1" if kind == "healthz" else f"{fig(kind, 'p50_ms') / floor:.1f}",
                    "yes" if p95 < TARGET_P95_MS else "**no**",
                    str(errors),
                )
            )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=2000, help="per page type (and baseline)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--stores", default="embedded,team")
    ap.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    ap.add_argument("--data-dir", type=Path, default=Path("bench-data") / "serve")
    ap.add_argument("--json", type=Path, help="raw numbers (default DATA_DIR/serve-results.json)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--kept-evidence",
        action="store_true",
        help="view every real item once before each run (its evidence is then kept); "
        "default: no evidence kept, every item's first view gathers it",
    )
    ap.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="mean seconds a client pauses between requests (exponential; 0: never)",
    )
    args = ap.parse_args()
    if not 1 <= args.clients <= 64:
        raise SystemExit("--clients: 1 to 64")
    args.data_dir = args.data_dir.resolve()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    stores = args.stores.split(",")
    head = machine_lines(["fastapi", "starlette", "uvicorn", "httpx", "psycopg", "duckdb"])
    setups: dict[str, tuple[str, dict[str, str], dict[str, Any]]] = {}
    team_db = f"marsad_bench_{uuid.uuid4().hex[:10]}"
    rng = random.Random(args.seed)
    runs: list[dict[str, Any]] = []
    try:
        for store in stores:
            print(f"setting up the {store} store …", file=sys.stderr)
            if store == "embedded":
                setups[store] = setup_embedded(args.data_dir, args.items)
            elif store == "team":
                setups[store] = setup_team(args.data_dir, args.items, args.server, team_db)
            else:
                raise SystemExit(f"--stores: embedded, team (not {store!r})")
            facts = setups[store][2]
            print(
                f"  {facts['items']:,} items, {len(facts['real_ids']):,} real "
                f"{facts['real_kinds']}",
                file=sys.stderr,
            )
        for r in range(args.repeat):
            for store in stores:
                ws, env, facts = setups[store]
                run = one_run(store, ws, env, facts, args, rng)
                run["repeat"] = r + 1
                runs.append(run)
                t = run["mixed"]["types"]
                print(
                    f"run {r + 1} {store}: healthz p50 "
                    f"{run['baseline']['types']['healthz']['p50_ms']:.0f} ms; queue p50/p95 "
                    f"{t['queue-all']['p50_ms']:.0f}/{t['queue-all']['p95_ms']:.0f} ms; item "
                    f"{t['item']['p50_ms']:.0f}/{t['item']['p95_ms']:.0f} ms; "
                    f"{run['mixed']['requests'] / run['mixed']['wall_s']:.1f} req/s"
                    + (
                        f"; failures {run['mixed']['failures']}" if run["mixed"]["failures"] else ""
                    ),
                    file=sys.stderr,
                )
    finally:
        if "team" in setups or "team" in stores:
            drop_team(args.data_dir, args.server, team_db)
    out = args.json or args.data_dir / "serve-results.json"
    out.write_text(
        json.dumps(
            {
                "machine": head,
                "args": {k: str(v) for k, v in vars(args).items()},
                "setup": {
                    s: {k: v for k, v in f.items() if k != "real_ids"}
                    | {"real": len(f["real_ids"])}
                    for s, (_, _, f) in setups.items()
                },
                "runs": runs,
            },
            indent=1,
        )
    )
    print("\n".join(head))
    print(f"- load average at the end: {load_average()}")
    kinds = next(iter(setups.values()))[2]["real_kinds"]
    print(
        f"- {args.items:,} queued items ({sum(kinds.values()):,} real: "
        + ", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items()))
        + f"), {args.clients} concurrent clients (threads, one session each), "
        f"{args.requests:,} requests per page type, "
        + (
            f"each client pausing {args.pace:g} s on average between requests (exponential), "
            if args.pace > 0
            else "the clients never pausing (the server saturated), "
        )
        + (
            "every item's evidence kept from an earlier view, "
            if args.kept_evidence
            else "no evidence kept at the start of a run, "
        )
        + f"median of {args.repeat} runs; "
        f"raw numbers in {out}"
    )
    for store in stores:
        mine = [r for r in runs if r["store"] == store]
        cpu = median([1000 * r["mixed"]["server_cpu_s"] / r["mixed"]["requests"] for r in mine])
        own = median([1000 * r["mixed"]["client_cpu_s"] / r["mixed"]["requests"] for r in mine])
        total = median([r["mixed"]["requests"] / r["mixed"]["wall_s"] for r in mine])
        rss = median([r["server_peak_rss_mb"] for r in mine])
        print(
            f"- {store}: the mixed phase ran at {total:.1f} req/s, {cpu:.0f} ms of server CPU "
            f"per request (the clients: {own:.0f} ms); server peak RSS {rss:.0f} MB"
        )
    print()
    print(
        markdown_table(
            [
                "store: page",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "req/s",
                "p50 ÷ /healthz p50",
                f"p95 < {TARGET_P95_MS:.0f} ms",
                "errors",
            ],
            summarise(runs, stores),
        )  # fmt: skip
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
