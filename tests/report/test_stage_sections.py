"""The report's sections from the later stages (issue 6): re-created accounts,
the network with its community map, and account scores, on the demo's
simulated platform, in both report languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from marsad.cli import main, stage_sections
from marsad.store.duckdb import DuckDBStore


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("demo") / "ws"
    result = CliRunner().invoke(main, ["demo", "-w", str(ws)])
    assert result.exit_code == 0, result.output
    # the demo's summary points at the later stages' commands
    text = " ".join(result.output.split())
    assert "at or over the account threshold" in text and "families (`marsad lineage" in text
    assert "communities (`marsad network" in text
    return ws


def test_the_report_has_lineage_network_and_account_sections(demo: Path) -> None:
    from marsad.accounts import lineage
    from marsad.network.analysis import analyse_network

    for lang in ("en", "ar"):
        html = (demo / f"report-{lang}.html").read_text(encoding="utf-8")
        for key in ("lineage", "network", "account_scores"):
            assert f'id="section-{key}"' in html, (lang, key)
        (svg,) = re.findall(r'<svg[^>]*data-kind="map".*?</svg>', html, re.S)
        assert 'class="chart chart-map"' in svg
        discs = re.findall(r'<circle[^>]*class="map-community"', svg)
        assert len(discs) >= 2
    ar = (demo / "report-ar.html").read_text(encoding="utf-8")
    assert "الحسابات المعاد إنشاؤها" in ar and "خريطة المجتمعات" in ar
    with DuckDBStore(demo, create=False) as store:
        sections = {s.key: s for s in stage_sections(store)}
        con = store.analytics()
        found = lineage(con)
        net = analyse_network(con)
    assert sections["lineage"].value("families") == len(found.families) > 0
    assert sections["lineage"].value("recreated") == len(found.links)
    assert sections["lineage"].value("abstentions") == len(found.abstentions)
    assert sections["network"].value("communities") == net.communities.count
    drawn = sections["network"].table("community_map")
    assert sum(drawn.column("accounts")) <= net.graph.vcount()
    assert drawn.column("accounts") == sorted(drawn.column("accounts"), reverse=True)
    # the map is laid out the same way every time
    with DuckDBStore(demo, create=False) as store:
        again = {s.key: s for s in stage_sections(store)}["network"].table("community_map")
    assert again.rows == drawn.rows
    # every re-created account of the families table is a real account
    families = sections["lineage"].table("families")
    assert len(families.rows) == min(20, len(found.families))


def test_a_workspace_without_later_stages_gets_no_such_sections(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "empty") as store:
        assert stage_sections(store) == []
