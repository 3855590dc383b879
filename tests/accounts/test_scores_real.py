"""Account scores on a real benign stream: the X API v1.1 fixture.

``../shared/fixtures/x_api_v1_isis_hashtags_2017`` is, despite its folder's
name, a two-day trending-topic collection about a TV series with no
extremist content (``../shared/README.md``): every account it holds is a
fan, a shop, a live-tweeter or a news account, so every account `marsad
accounts` flags there is a false positive.  Issue 17's target: none.  Before
it, a model that read posting rate and account age as evidence flagged
accounts such as ``@claireofthrones`` (5 posts about the series, a new
account) on those alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from marsad import pipeline
from marsad.accounts.score import AccountModel
from marsad.cli import main
from tests.conftest import shared_file

V1 = "fixtures/x_api_v1_isis_hashtags_2017/TT-TEST.jsonl.gz"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture ingested through the real pipeline and scanned with the packaged post model."""
    from marsad.detect.scan import scan
    from marsad.detect.scorer import RiskScorer

    path = shared_file(V1)
    ws: Path = tmp_path_factory.mktemp("v1") / "ws"
    with pipeline.open_store(ws) as store:
        pipeline.ingest_paths(store, [path])
        scan(store, RiskScorer())
    return ws


def test_no_account_of_a_benign_stream_is_flagged(workspace: Path) -> None:
    r = CliRunner().invoke(main, ["accounts", "-w", str(workspace), "--json", "--top", "50"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    assert result["accounts"] > 3000  # every account of the fixture was scored
    flagged = [
        (t["handle"], round(t["score"], 3), t["reason"]) for t in result["top"] if t["flagged"]
    ]
    assert result["flagged"] == 0, flagged
    assert all(t["score"] < result["threshold"] for t in result["top"])


def test_a_busy_new_fan_is_not_flagged_and_is_told_why(workspace: Path) -> None:
    # @claireofthrones: a new account, 5 posts about the series in its first
    # days -- behaviour like the simulated network's, and no evidence
    r = CliRunner().invoke(main, ["explain", "-w", str(workspace), "@claireofthrones", "--json"])
    assert r.exit_code == 0, r.output
    why = json.loads(r.output)
    assert not why["flagged"] and why["score"] < why["threshold"]
    assert why["behaviour_signal"] >= AccountModel.load().behaviour_max / 2
    assert why["behaviour_bonus"] == 0 and why["carried_by"] == []
    assert why["reason"].startswith("no evidence: behaviour alone never flags"), why["reason"]
    behaviour = [f for f in why["features"] if f["kind"] == "behaviour"]
    assert behaviour and not any(f["applied"] for f in behaviour)
    r = CliRunner().invoke(main, ["explain", "-w", str(workspace), "@claireofthrones"])
    assert r.exit_code == 0 and "behaviour alone never flags" in r.output, r.output
