"""Benchmark: marsad's PDQ index against brute force and python-threatexchange's faiss index.

Random 256-bit PDQ hashes (1M and 10M by default) with planted
near-duplicates: 500 copies at distance ``i mod 32`` (random bits) and 500 at
distance 31 with one flipped bit in each of 31 bytes (every substring key
hit: the worst case for multi-index hashing), searched as one batch of
1,000; and a stream of 20,000 random queries (what matching a workspace's or
a platform's media is: the index sorts the probes of up to 16,384 queries
together).  For each size, in a fresh process (so memory is its own):

* marsad :class:`~marsad.hashing.index.PdqIndex` (multi-index hashing, 11
  tables of 23 bits, exact at radius 31): build seconds, index bytes, peak
  RSS, lookups/s for the planted and the random queries (batches; one
  thread, then two: the tables probed side by side in one process), recall of the planted copies, and equality with brute force on a
  sample;
* brute force: numpy ``bitwise_count`` over every hash (the reference);
* python-threatexchange's ``PDQIndex``: faiss ``IndexBinaryMultiHash(256,
  16 substrings, 16 bits)`` with ``nflip = 1``, searched with
  ``range_search(q, 32)`` -- what ``PDQMultiHashIndex`` builds, used through
  faiss directly (threatexchange's class keeps a Python object per hash).

Usage::

    python benchmarks/hash_index.py [--sizes 1000000 10000000] [--repeats 3]

Prints markdown for BENCHMARKS.md.  Target (issue 5): >= 4,000 lookups/s on
one process at 10M hashes, memory <= 8 GB, recall 100%.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_lines, markdown_table, median  # noqa: E402

RADIUS = 31


def planted(
    codes: np.ndarray, rng: np.random.Generator, n: int = 1000
) -> tuple[np.ndarray, np.ndarray]:
    src = rng.choice(len(codes), n, replace=False)
    bits = np.unpackbits(codes[src], axis=1)
    for i in range(n):
        if i < n // 2:
            pos = rng.choice(256, i % 32, replace=False)
        else:
            pos = (np.arange(31) * 8 + rng.integers(0, 8)) % 256
        bits[i, pos] ^= 1
    return np.packbits(bits, axis=1), src


def one(n: int, repeats: int, peer_queries: int) -> dict[str, Any]:
    from marsad.hashing.index import PdqIndex, brute_force

    rng = np.random.default_rng(n)
    codes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    hits, src = planted(codes, rng)
    misses = rng.integers(0, 256, (20_000, 32), dtype=np.uint8)
    out: dict[str, Any] = {"n": n}

    t = time.perf_counter()
    index = PdqIndex.build(codes)
    out["build_s"] = time.perf_counter() - t
    out["index_mb"] = index.nbytes / 2**20
    index.search(hits[:4])  # compile the kernel
    for threads in (1, 2):
        index.threads = threads
        rates_hit, rates_miss = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            qi, ri, _ = index.search(hits, RADIUS)
            rates_hit.append(len(hits) / (time.perf_counter() - t))
            t = time.perf_counter()
            index.search(misses, RADIUS)
            rates_miss.append(len(misses) / (time.perf_counter() - t))
        found = set(zip(qi.tolist(), ri.tolist(), strict=True))
        recall = float(np.mean([(i, int(src[i])) in found for i in range(len(src))]))
        out["recall"] = min(out.get("recall", 1.0), recall)
        suffix = "" if threads == 1 else "_2t"
        out["hit_qps" + suffix], out["miss_qps" + suffix] = median(rates_hit), median(rates_miss)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    sample = np.concatenate((hits[:: len(hits) // 20], misses[:5]))
    t = time.perf_counter()
    want = brute_force(codes, sample, RADIUS)
    out["brute_qps"] = len(sample) / (time.perf_counter() - t)
    got = index.search(sample, RADIUS)
    out["same_as_brute"] = sorted(zip(*map(list, got), strict=True)) == sorted(
        zip(*map(list, want), strict=True)
    )
    del index

    import faiss

    faiss.omp_set_num_threads(1)
    t = time.perf_counter()
    peer = faiss.IndexBinaryMultiHash(256, 16, 16)
    peer.nflip = RADIUS // 16
    peer.add(codes)
    out["faiss_build_s"] = time.perf_counter() - t
    q = np.concatenate((hits[: peer_queries // 2], misses[: peer_queries // 2]))
    t = time.perf_counter()
    lims, _, labels = peer.range_search(q, RADIUS + 1)
    out["faiss_qps"] = len(q) / (time.perf_counter() - t)
    peer_found = {
        (i, int(x)) for i in range(peer_queries // 2) for x in labels[lims[i] : lims[i + 1]]
    }
    out["faiss_recall"] = float(
        np.mean([(i, int(src[i])) in peer_found for i in range(peer_queries // 2)])
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-queries", type=int, default=200)
    parser.add_argument("--one", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.repeats, args.peer_queries)))
        return 0
    results = []
    for n in args.sizes:
        print(f"  {n:,} hashes …", file=sys.stderr, flush=True)
        done = subprocess.run(  # noqa: S603 -- this script, our own arguments
            [
                sys.executable,
                __file__,
                "--one",
                str(n),
                "--repeats",
                str(args.repeats),
                "--peer-queries",
                str(args.peer_queries),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print("## PDQ index: marsad multi-index hashing vs brute force vs faiss (threatexchange)\n")
    print("\n".join(machine_lines(["marsad", "numpy", "numba", "faiss-cpu"])))
    print()
    rows = []
    for r in results:
        rows.append(
            [
                f"{r['n']:,}",
                f"{r['build_s']:.1f}",
                f"{r['index_mb']:,.0f}",
                f"{r['peak_rss_mb']:,.0f}",
                f"{r['hit_qps']:,.0f} / {r['hit_qps_2t']:,.0f}",
                f"{r['miss_qps']:,.0f} / {r['miss_qps_2t']:,.0f}",
                f"{r['recall']:.3f}",
                "yes" if r["same_as_brute"] else "NO",
                f"{r['brute_qps']:,.1f}",
                f"{r['faiss_build_s']:.1f}",
                f"{r['faiss_qps']:,.0f}",
                f"{r['faiss_recall']:.3f}",
                f"{r['hit_qps'] / r['faiss_qps']:.0f}×",
            ]
        )
    print(
        markdown_table(
            [
                "hashes",
                "marsad build s",
                "index MB",
                "peak RSS MB",
                "lookups/s, 1,000 planted (1 / 2 threads)",
                "lookups/s, stream of 20,000 (1 / 2 threads)",
                "recall",
                "= brute force",
                "brute force lookups/s",
                "faiss build s",
                "faiss lookups/s",
                "faiss recall",
                "marsad / faiss",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
