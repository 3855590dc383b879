"""``scan``, ``accounts`` and ``lineage`` give the same results on both stores.

One small simulated platform (fixed seed) is ingested into an embedded
workspace and into a team store (DuckLake on the PostgreSQL of the
``server_db`` fixture), and the real commands run on each, through the CLI.
The detections they store, and what ``accounts --json`` and ``lineage --json``
print, must be the same on both; only what depends on the run (its timing,
when a detection was written) is left out, and scores may differ by float
rounding (1e-9).  The simulation is chosen so that posts and accounts are
flagged and accounts re-created, so the comparison is never of empty results.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from marsad import pipeline
from marsad.cli import main

#: absolute tolerance of a score (the sums behind some scores are read in another order)
TOL = 1e-9
#: a detection's key, in order
_KEY = "detector, detector_version, target_kind, platform, target_id"
_DETECTIONS = f"SELECT {_KEY}, score, evidence FROM detections ORDER BY {_KEY}"  # noqa: S608 - constants


def _marsad(*args: str) -> Result:
    done = CliRunner().invoke(main, list(args))
    assert done.exit_code == 0, f"marsad {' '.join(args)}: {done.output}"
    return done


def _json(*args: str) -> Any:
    return json.loads(_marsad(*args, "--json").stdout)


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where *a* and *b* (JSON values) differ, numbers within :data:`TOL`."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a.keys() ^ b.keys())}"]
        return [d for k in a for d in _differences(a[k], b[k], f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} != {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{path}[{i}]")
        ]
    numbers = (int, float)
    if (
        isinstance(a, numbers)
        and isinstance(b, numbers)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return [] if math.isclose(a, b, rel_tol=0.0, abs_tol=TOL) else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_scan_accounts_and_lineage_agree_on_both_stores(server_db: str, tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    # 400 accounts, 3000 posts: enough for flagged posts and accounts and for
    # re-created accounts whose most used language is a tie (read in store order before)
    small = ["--profile", "small", "--seed", "7", "--accounts", "400", "--posts", "3000"]
    made = _json("simulate", str(sim), *small, "--formats", "x-v2")
    assert made["suspended"] > 0
    stores = {"embedded": str(tmp_path / "ws"), "team": server_db}

    out: dict[str, dict[str, Any]] = {}
    for name, workspace in stores.items():
        _marsad("ingest", "-w", workspace, str(sim))
        scan = _json("scan", "-w", workspace)
        scan.pop("seconds")
        accounts = _json("accounts", "-w", workspace, "--top", "50")
        lineage = _json("lineage", "-w", workspace)
        lineage.pop("seconds")
        with pipeline.open_store(workspace, create=False) as store:
            detections = store.query(_DETECTIONS)
        out[name] = {
            "scan": scan,
            "accounts": accounts,
            "lineage": lineage,
            "detections": detections,
        }
    embedded, team = out["embedded"], out["team"]

    # not vacuous: posts and accounts flagged, re-created accounts linked
    assert embedded["scan"]["scanned"] == made["posts"]
    assert embedded["scan"]["flagged"] > 0
    assert embedded["accounts"]["flagged"] > 0
    assert embedded["lineage"]["links"] and embedded["lineage"]["families"]

    # the stored detections: same keys and evidence, scores within TOL
    a, b = embedded["detections"], team["detections"]
    assert [r[:5] for r in a] == [r[:5] for r in b]
    assert {"post", "account"} <= {r[2] for r in a}
    off = [(x[:5], x[5], y[5]) for x, y in zip(a, b, strict=True) if abs(x[5] - y[5]) > TOL]
    assert not off, f"{len(off)} scores differ, e.g. {off[:3]}"
    evidence = [x[:5] for x, y in zip(a, b, strict=True) if json.loads(x[6]) != json.loads(y[6])]
    assert not evidence, f"{len(evidence)} evidences differ, e.g. {evidence[:3]}"

    # what the commands print
    for command in ("scan", "accounts", "lineage"):
        diff = _differences(embedded[command], team[command])
        assert not diff, f"{command}: {len(diff)} differences, e.g. {diff[:5]}"
