"""Helpers of the simulator's tests: a small config and a finished run with its ground truth."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from marsad.simulate import SimConfig, SimSummary, simulate

#: a few hundred accounts: every mechanism shows, the whole run takes well under a second
TINY = SimConfig.from_profile("small", accounts=250, posts=1500, telegram_posts=100, days=60)


@dataclass
class Sim:
    """A finished simulation: its summary, folder and ground truth rows."""

    summary: SimSummary
    out: Path
    accounts: list[dict[str, str]]
    lineage: list[dict[str, str]]

    def lines(self, name: str) -> list[dict[str, Any]]:
        """The JSON objects of a line-oriented output file."""
        with open(self.out / name, "rb") as fh:
            return [orjson.loads(line) for line in fh if line.strip()]


def run_sim(config: SimConfig, out: Path, **kwargs: Any) -> Sim:
    summary = simulate(config, out, **kwargs)
    with open(out / "ground_truth" / "accounts.csv", encoding="utf-8") as fh:
        accounts = list(csv.DictReader(fh))
    with open(out / "ground_truth" / "lineage.csv", encoding="utf-8") as fh:
        lineage = list(csv.DictReader(fh))
    return Sim(summary, out, accounts, lineage)
