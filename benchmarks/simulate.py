"""How fast ``marsad simulate`` streams a platform to disk, and in how much memory.

Figure for ``BENCHMARKS.md`` (the "simulate" section).  It runs
:func:`marsad.simulate.simulate` once, in this process, on the census-2014
profile scaled to ``--accounts`` / ``--posts`` (default 1M accounts, 10M posts)
for the X v2 and marsad JSONL formats, into a temporary directory deleted
afterwards (``--keep`` keeps it), and prints a markdown row: wall time, posts
per second, peak resident memory of this process and of the forked second
writer process (``marsad.jsonl`` and the X v2 users and followers files;
``resource.getrusage``: ``RUSAGE_SELF`` and ``RUSAGE_CHILDREN``, which Linux
reports in kilobytes), and the bytes written.  There is no peer: no other
tool simulates these platforms in these formats.

The default run writes about 27 GB (mind the free space of ``--tmp``) and takes
minutes on a 2-core machine; ``--small`` (20k accounts, 200k posts) is a quick
check.

Usage::

    .venv/bin/python benchmarks/simulate.py             # 1M accounts, 10M posts
    .venv/bin/python benchmarks/simulate.py --small     # 20k accounts, 200k posts
    .venv/bin/python benchmarks/simulate.py --accounts 100000 --posts 1000000 --jobs 1
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_lines, markdown_table  # noqa: E402
from marsad.simulate import SimConfig, simulate  # noqa: E402


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000, help="first-generation accounts")
    parser.add_argument("--posts", type=int, default=10_000_000, help="X posts")
    parser.add_argument("--small", action="store_true", help="20k accounts, 200k posts")
    parser.add_argument("--formats", default="x-v2,marsad-jsonl", help="comma-separated formats")
    parser.add_argument("--jobs", type=int, default=None, help="1 or 2 (default: automatic)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tmp", type=Path, default=None, help="where the temporary folder goes")
    parser.add_argument("--keep", type=Path, default=None, help="write here and keep the files")
    args = parser.parse_args(argv)
    if args.small:
        args.accounts, args.posts = 20_000, 200_000
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    config = SimConfig.from_profile(
        "census-2014", accounts=args.accounts, posts=args.posts, seed=args.seed
    )

    print("\n".join(machine_lines(["numpy", "orjson"])))
    print()
    tmp = Path(tempfile.mkdtemp(prefix="marsad-sim-", dir=args.tmp)) if args.keep is None else None
    out = args.keep or (tmp / "sim" if tmp is not None else Path("sim"))
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage != "posts" or now - last[0] > 30 or done >= total:
            last[0] = now
            print(f"  {stage}: {done:,}/{total:,}", file=sys.stderr, flush=True)

    try:
        began = time.perf_counter()
        summary = simulate(config, out, formats=formats, progress=progress, jobs=args.jobs)
        wall = time.perf_counter() - began
        written = _size(out)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    row = [
        f"{summary.accounts:,} accounts / {summary.posts:,} posts",
        " + ".join(formats),
        f"{wall:,.0f}",
        f"{summary.posts / wall:,.0f}",
        f"{self_mb:,.0f}",
        f"{child_mb:,.0f}" if child_mb else "-",
        f"{written / 1e9:,.1f}",
    ]
    headers = [
        "run",
        "formats",
        "wall s",
        "posts/s",
        "peak RSS MB",
        "peak RSS MB (writer process)",
        "GB written",
    ]
    print(markdown_table(headers, [row]))
    print()
    print(
        f"{summary.follow_edges:,} follow edges, {summary.successors:,} re-created accounts, "
        f"{summary.suspended:,} suspended; census-2014 profile, seed {args.seed}."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
