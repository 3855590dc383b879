"""``marsad network``: the command over the simulated workspace (called directly:
the main CLI registers it)."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from marsad.network import cli as network_cli
from marsad.network import coordination
from marsad.network.cli import network
from tests.network.helpers import SimWorkspace


def test_json_summary_and_export(sim: SimWorkspace, tmp_path: Path) -> None:
    target = tmp_path / "net.gexf"
    result = CliRunner().invoke(
        network,
        ["-w", str(sim.workspace), "--json", "--export", str(target), "--top", "3"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["nodes"] > 500 and summary["edges"] > 5000
    assert set(summary["edges_by_kind"]) == {
        "follows",
        "forwards",
        "mentions",
        "quotes",
        "replies",
        "reposts",
    }
    assert summary["communities"]["count"] >= 3
    assert len(summary["communities"]["largest"]) == 3
    assert set(summary["roles"]) == {"hub", "amplifier", "shoutout", "bridge"}
    assert all(len(r["top"]) <= 3 for r in summary["roles"].values())
    assert summary["coordination"]["window_seconds"] == 60.0
    assert summary["export"] == str(target)
    h = nx.read_gexf(target)
    assert h.number_of_nodes() == summary["nodes"] and h.number_of_edges() == summary["edges"]


def test_tables_for_people(sim: SimWorkspace) -> None:
    result = CliRunner().invoke(
        network, ["-w", str(sim.workspace), "--platform", "x", "--coordination-window", "120"]
    )
    assert result.exit_code == 0, result.output
    for title in (
        "edges by kind",
        "largest communities",
        "roles",
        "coordinated clusters",
        "outlink targets",
    ):
        assert title in result.stdout
    assert "window 120 s" in result.stdout
    assert "forwards" not in result.stdout  # X only: no Telegram forwards


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--coordination-window", "0"], 2),  # no window
        (["--coordination-window", "7200"], 2),  # longer than an hour
        (["--export", "graph.json"], 2),  # not a graph format (ConfigError)
        (["--resolution", "-1"], 2),  # resolution must be positive
    ],
)
def test_bad_usage(sim: SimWorkspace, args: list[str], code: int) -> None:
    result = CliRunner().invoke(network, ["-w", str(sim.workspace), *args])
    assert result.exit_code == code, result.output


def test_missing_workspace(tmp_path: Path) -> None:
    result = CliRunner().invoke(network, ["-w", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "no workspace" in result.output


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(network, ["--help"])
    assert (
        result.exit_code == 0 and "Example" in result.output and "marsad network" in result.output
    )


def test_window_limits_match_the_library() -> None:
    assert network_cli.DEFAULT_WINDOW_SECONDS == coordination.DEFAULT_WINDOW_SECONDS
    assert network_cli.MAX_WINDOW_SECONDS == coordination.MAX_WINDOW_SECONDS
