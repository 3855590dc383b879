"""Benchmark: ``marsad check-urls``'s engine against a hand-written httpx loop, on 127.0.0.1.

Figures for ``BENCHMARKS.md`` ("Checking URLs").  A fake platform
(:mod:`marsad.simulate.fake_platform`) runs in its own process, listening on
``--hosts`` ports of 127.0.0.1 (each port is a host to the checker); its items
``/bench/<i>`` are live, removed (404, every 5th) or of a suspended account
(200 with "Account suspended", every 17th).  ``--urls`` URLs, spread round-robin
over the hosts, each URL once.  Each measurement is its own process (so its
peak RSS is its own; timed from the first request to the last result,
interpreter start excluded):

* **marsad** -- :func:`marsad.act.check.check_urls` over a lazy generator of
  targets, at ``--rate`` requests a second per host (the ceiling is hosts x
  rate URLs a second), ``--concurrency`` overall and 2 per host, the shipped
  rules, a counting sink; at ``--memory-at`` URLs and at ``--urls``, so the
  two peak RSS figures show whether memory stays flat;
* **peer** -- what one writes by hand: one ``httpx.AsyncClient`` (defaults,
  15 s timeout, environment proxies off), an ``asyncio.Semaphore`` of the same
  ``--concurrency``, ``asyncio.gather`` over a coroutine per URL, 200 -> live
  and 404/410 -> removed; no per-host limit, no rules, no retries.

The server counts, per run, the most requests any one host saw in a
one-second window: marsad's stays at the limit, the peer's does not.  Runs
alternate, ``--repeat`` times each; the table quotes medians.

    python benchmarks/check_urls.py                     # 100,000 URLs, 50 hosts, 20/s per host
    python benchmarks/check_urls.py --urls 5000 --hosts 10 --memory-at 1000 --repeat 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_lines, markdown_table, median, run_measured  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = 16
PER_HOST = 2


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT / "src"))


def _urls(bases: list[str], n: int) -> Any:
    """URL i on host i mod hosts, item i div hosts: every URL once, hosts interleaved."""
    hosts = len(bases)
    return (f"{bases[i % hosts]}/bench/{i // hosts}" for i in range(n))


# -- the two sides, each run in a child process ------------------------------------
def child_marsad(bases: list[str], n: int, rate: float, concurrency: int) -> dict[str, Any]:
    from marsad.act.check import CheckOptions, UrlTarget, check_urls

    handed = 0

    def sink(results: Any) -> None:
        nonlocal handed
        handed += len(results)

    options = CheckOptions(
        rate_per_host=rate,
        concurrency=concurrency,
        per_host_concurrency=PER_HOST,
        allow_private=True,
        contact="benchmark",
    )
    cpu = time.process_time()
    summary = check_urls((UrlTarget(u, "x") for u in _urls(bases, n)), sink, options=options)
    cpu = time.process_time() - cpu
    assert handed == summary.checked == n, (handed, summary)
    return {
        "elapsed_s": summary.elapsed_s,
        "cpu_s": cpu,
        "counts": dict(summary.counts),
        "requests": summary.requests,
    }


def child_peer(bases: list[str], n: int, concurrency: int) -> dict[str, Any]:
    import httpx

    async def main() -> dict[str, Any]:
        urls = list(_urls(bases, n))
        sem = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(timeout=15.0, trust_env=False) as client:

            async def one(url: str) -> str:
                async with sem:
                    try:
                        resp = await client.get(url)
                    except httpx.HTTPError:
                        return "error"
                    if resp.status_code == 200:
                        return "live"
                    return "removed" if resp.status_code in (404, 410) else "error"

            started, cpu = time.monotonic(), time.process_time()
            results = await asyncio.gather(*(one(u) for u in urls))
            elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
        counts = {k: results.count(k) for k in ("live", "removed", "withheld", "error")}
        return {"elapsed_s": elapsed, "cpu_s": cpu, "counts": counts, "requests": n}

    return asyncio.run(main())


# -- the parent ------------------------------------------------------------------------------
def _stats(base: str, reset: bool = False) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base}/_fake/stats{'?reset=1' if reset else ''}") as resp:
        data: dict[str, Any] = json.load(resp)
        return data


def one_run(side: str, n: int, bases: list[str], args: argparse.Namespace) -> dict[str, Any]:
    _stats(bases[0], reset=True)
    cmd = [sys.executable, __file__, "--child", side, "--n", str(n), "--bases", json.dumps(bases),
           "--rate", str(args.rate), "--concurrency", str(args.concurrency)]  # fmt: skip
    m = run_measured(cmd, env=_env(), timeout=args.timeout)
    if m.returncode or m.killed:
        raise SystemExit(
            f"{side} at {n:,} URLs failed ({m.killed or m.returncode}):\n{m.stderr[-3000:]}"
        )
    out = json.loads(m.stdout.strip().splitlines()[-1])
    server = _stats(bases[0])
    out.update(
        n=n,
        peak_rss_mb=m.peak_rss_mb,
        urls_per_s=n / out["elapsed_s"],
        cpu_ms=1000 * out["cpu_s"] / n,
        max_host_per_s=max(server["max_per_second"]),
        server_requests=server["requests"],
    )
    print(
        f"  {side} {n:,}: {out['urls_per_s']:,.0f} URLs/s, {m.peak_rss_mb:,.0f} MB, "
        f"at most {out['max_host_per_s']} req/s on one host; {out['counts']}",
        file=sys.stderr,
        flush=True,
    )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--urls", type=int, default=100_000)
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--rate", type=float, default=20.0, help="requests a second per host")
    ap.add_argument("--concurrency", type=int, default=CONCURRENCY)
    ap.add_argument("--memory-at", type=int, default=10_000, help="the smaller run's URLs")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    ap.add_argument("--json-out", type=Path, help="also write every measurement here")
    ap.add_argument("--child", choices=("marsad", "peer"), help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--bases", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        bases = json.loads(args.bases)
        if args.child == "marsad":
            out = child_marsad(bases, args.n, args.rate, args.concurrency)
        else:
            out = child_peer(bases, args.n, args.concurrency)
        print(json.dumps(out))
        return 0
    if args.memory_at > args.urls:
        ap.error("--memory-at is at most --urls")
    head = machine_lines(["httpx", "httpcore"])
    server = subprocess.Popen(
        [sys.executable, "-m", "marsad.simulate.fake_platform", "--hosts", str(args.hosts),
         "--items", str(math.ceil(args.urls / args.hosts))],
        env=_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        bases = json.loads(server.stdout.readline())["bases"]
        plan = [("marsad", args.memory_at), ("marsad", args.urls), ("peer", args.urls)]
        runs: dict[tuple[str, int], list[dict[str, Any]]] = {k: [] for k in plan}
        for r in range(args.repeat):
            print(f"repeat {r + 1} of {args.repeat}", file=sys.stderr, flush=True)
            for side, n in plan:
                runs[(side, n)].append(one_run(side, n, bases, args))
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=30)
    if args.json_out:
        args.json_out.write_text(
            json.dumps({f"{s} {n}": v for (s, n), v in runs.items()}, indent=1)
        )
    ceiling = args.hosts * args.rate
    rows = []
    med: dict[tuple[str, int], dict[str, float]] = {}
    for (side, n), outs in runs.items():
        m = {
            k: median([o[k] for o in outs])
            for k in ("urls_per_s", "peak_rss_mb", "max_host_per_s", "cpu_ms")
        }
        med[(side, n)] = m
        label = (
            f"marsad ({args.rate:g}/s per host)" if side == "marsad" else "peer (httpx + Semaphore)"
        )
        rows.append(
            (
                label,
                f"{n:,}",
                f"{m['urls_per_s']:,.0f}",
                f"{m['urls_per_s'] / ceiling:.2f}" if side == "marsad" else "–",
                f"{m['cpu_ms']:.2f}",
                f"{m['peak_rss_mb']:,.0f}",
                f"{m['max_host_per_s']:,.0f}",
                " / ".join(f"{outs[0]['counts'][k]:,}" for k in ("live", "removed", "error")),
            )
        )
    small, big, peer = (
        med[("marsad", args.memory_at)],
        med[("marsad", args.urls)],
        med[("peer", args.urls)],
    )
    print("\n".join(head))
    print(
        f"- {args.urls:,} URLs over {args.hosts} hosts (ports of 127.0.0.1), fake platform in its "
        f"own process; concurrency {args.concurrency} (marsad: {PER_HOST} per host); "
        f"ceiling {ceiling:,.0f} URLs/s ({args.hosts} hosts x {args.rate:g}/s); "
        f"median of {args.repeat} run(s)\n"
    )
    print(
        markdown_table(
            [
                "checker",
                "URLs",
                "URLs/s",
                "of the ceiling",
                "CPU ms per URL",
                "peak RSS MB",
                "most req/s on one host",
                "live / removed / error",
            ],
            rows,
        )  # fmt: skip
    )
    print()
    print(
        f"- memory: marsad's peak RSS at {args.urls:,} URLs is "
        f"{big['peak_rss_mb'] / small['peak_rss_mb']:.2f}x its peak at {args.memory_at:,}; "
        f"the peer's is {peer['peak_rss_mb'] / big['peak_rss_mb']:.2f}x marsad's at {args.urls:,}"
    )
    print(
        f"- speed: the peer, unlimited, checks {peer['urls_per_s'] / big['urls_per_s']:.2f}x as "
        f"many URLs a second as marsad at its limit, asking one host up to "
        f"{peer['max_host_per_s']:,.0f} times a second against marsad's "
        f"{big['max_host_per_s']:,.0f}"
    )
    ours, theirs = runs[("marsad", args.urls)][0]["counts"], runs[("peer", args.urls)][0]["counts"]
    print(
        f"- rules: marsad finds {ours['removed'] - theirs['removed']:,} more removals than the peer "
        'among the same URLs: the pages of suspended accounts (200 with "Account suspended"), '
        "which a status-only check calls live"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
