"""Smoke test of ``benchmarks/network.py``: a quick run (the small profile, one
repeat) prints the table with both tools, and both find the planted communities."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_run_prints_both_tools(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "network.py"), "--quick"]
        + ["--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {
        m[0]: [c.strip() for c in m[1].split("|")]
        for m in re.findall(r"^\| (marsad|networkx) +\|(.*)\|$", done.stdout, re.M)
    }
    assert set(rows) == {"marsad", "networkx"}, done.stdout
    for cells in rows.values():
        wall, ari_covert = float(cells[4]), float(cells[-2])
        assert wall > 0 and ari_covert > 0.8  # measured 0.946 for both
    assert "- date:" in done.stdout and "leidenalg" in done.stdout
