"""Shared helpers of the benchmark scripts (``benchmarks/*.py``), stdlib only.

Outside the flow: benchmarks run marsad and its peers as separate processes
and print markdown for ``BENCHMARKS.md``.  This module measures one process
(wall time and its own peak resident memory), summarises repeats (median),
describes the machine, and renders markdown tables.

Peak memory is the child's ``ru_maxrss`` as returned by ``os.wait4`` for that
one process (Linux reports kilobytes).  ``resource.getrusage(RUSAGE_CHILDREN)``
is not used: its ``ru_maxrss`` is the maximum over *all* children waited for
so far, so it could never go down from one run to the next.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

__all__ = [
    "Measurement",
    "load_average",
    "machine_lines",
    "markdown_table",
    "median",
    "package_versions",
    "run_measured",
]


@dataclass(frozen=True)
class Measurement:
    """One run of one command: wall seconds, peak RSS in MB, exit code, output.

    ``killed`` says why the run was stopped ("timeout", "memory"), else "".
    """

    wall_s: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    killed: str = ""


_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


def run_measured(
    cmd: Sequence[str],
    *,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    rss_limit_mb: float | None = None,
) -> Measurement:
    """Run *cmd* to completion; wall time spans start to exit (interpreter start included).

    Output goes to temporary files rather than pipes, so a chatty child never
    blocks.  The child is polled every 10 ms: past *timeout* seconds, or once
    its resident memory exceeds *rss_limit_mb* (a guard for a shared machine:
    a loader that holds a whole file in memory can take it all), it is killed
    and the measurement says so in ``killed``.
    """
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        killed = ""
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - started > timeout:
                killed = "timeout"
            elif rss_limit_mb is not None and _rss_mb(proc.pid) > rss_limit_mb:
                killed = "memory"
            if killed:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
        out.seek(0)
        err.seek(0)
        return Measurement(
            wall_s=wall,
            peak_rss_mb=usage.ru_maxrss / 1024,  # Linux: kilobytes
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            killed=killed,
        )


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def package_versions(names: Sequence[str]) -> dict[str, str]:
    """Installed version of each distribution, or "not installed"."""
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def machine_lines(packages: Sequence[str] = ()) -> list[str]:
    """Markdown bullet lines: date, CPU, cores, RAM, OS, load, Python, package versions."""
    versions = ", ".join(f"{k} {v}" for k, v in package_versions(packages).items())
    lines = [
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {_cpu_model()}, {os.cpu_count()} cores; RAM {_ram_gib()}",
        f"- OS: {platform.system()} {platform.release()}",
        f"- load average at start: {load_average()}",
        f"- Python {platform.python_version()} ({sys.executable})",
    ]
    if versions:
        lines.append(f"- packages: {versions}")
    return lines


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table: the first column left-aligned, the others (figures) right."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"]
    out.append(
        "| "
        + " | ".join(("-" * w if i == 0 else "-" * (w - 1) + ":") for i, w in enumerate(widths))
        + " |"
    )
    for r in cells:
        out.append(
            "| "
            + " | ".join(
                (c.ljust(w) if i == 0 else c.rjust(w))
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            + " |"
        )
    return "\n".join(out)
