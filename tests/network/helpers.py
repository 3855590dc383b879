"""Helpers of the network tests: a simulated workspace with its ground truth, and
small synthetic workspaces written as marsad JSONL.

Synthetic text is neutral template text plus short tokens (a hashtag, an
outlet name); nothing here is, or imitates, real propaganda.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from marsad import pipeline
from marsad.simulate import SimConfig, simulate
from marsad.store.base import Store
from marsad.store.duckdb import DuckDBStore

#: the "small" profile with the demo's seed: 760 accounts, 6,300 posts, 8,400
#: edges, three planted covert communities; simulated and ingested in ~3 s
SMALL = SimConfig.from_profile("small", seed=7)
T0 = datetime(2015, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class SimWorkspace:
    """A simulated platform ingested into a workspace, with the TRUE accounts."""

    workspace: Path
    truth: dict[str, dict[str, str]]  # vertex name ("x:123") -> ground-truth row

    def open(self) -> DuckDBStore:
        return DuckDBStore(self.workspace, create=False)


def build_sim_workspace(out: Path, config: SimConfig = SMALL) -> SimWorkspace:
    summary = simulate(config, out / "sim", formats=["x-v2", "telegram"], jobs=1)
    with DuckDBStore(out / "ws") as store:
        for path, fmt in summary.inputs:
            pipeline.ingest_file(store, path, fmt=fmt)
    with open(out / "sim" / "ground_truth" / "accounts.csv", encoding="utf-8") as fh:
        truth = {f"{r['platform']}:{r['native_id']}": r for r in csv.DictReader(fh)}
    return SimWorkspace(out / "ws", truth)


def at(seconds: float) -> str:
    """ISO time *seconds* after :data:`T0`."""
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def account(
    native_id: str,
    handle: str,
    *,
    platform: str = "x",
    created: float = -86400 * 400,
    kind: str = "user",
) -> dict[str, Any]:
    return {
        "type": "account",
        "platform": platform,
        "native_id": native_id,
        "handle": handle,
        "kind": kind,
        "created_at": at(created),
    }


def post(
    native_id: str,
    account_id: str,
    seconds: float,
    text: str,
    *,
    platform: str = "x",
    kind: str = "post",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": "post",
        "platform": platform,
        "native_id": native_id,
        "account_id": account_id,
        "created_at": at(seconds),
        "text": text,
        "kind": kind,
        **extra,
    }


def edge(
    src: str, dst: str, kind: str, post_id: str, seconds: float = 0.0, *, platform: str = "x"
) -> dict[str, Any]:
    return {
        "type": "edge",
        "platform": platform,
        "src_id": src,
        "dst_id": dst,
        "kind": kind,
        "post_id": post_id,
        "created_at": at(seconds),
    }


def ingest_records(store: Store, path: Path, records: Iterable[dict[str, Any]]) -> None:
    """Write *records* as marsad JSONL to *path* and ingest it through the real adapter."""
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    summary = pipeline.ingest_file(store, path, fmt="marsad-jsonl")
    assert summary.quarantined == 0, summary.problems
