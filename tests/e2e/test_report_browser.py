"""The report in a real browser: headless Chromium from Debian, both languages.

A small simulated platform goes through the real path (simulate -> ingest ->
census -> report); each page must load from a file with no console errors,
the Arabic one right to left, and every chart must have data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from marsad.census.compute import run_census
from marsad.census.filters import CensusFilter, parse_campaign
from marsad.pipeline import ingest_file
from marsad.report import write_report
from marsad.simulate import SimConfig, simulate
from marsad.store.duckdb import DuckDBStore
from tests.e2e.browser import chromium, require_chromium


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    out = tmp_path_factory.mktemp("report")
    sim = simulate(
        SimConfig.from_profile("small", seed=5), out / "exports", formats=["x-v2", "telegram"]
    )
    with DuckDBStore(out / "ws") as store:
        for path, fmt in sim.inputs:
            ingest_file(store, path, fmt=fmt)
        result = run_census(
            store.analytics(), CensusFilter(campaigns=(parse_campaign("NotInMyName=#NotInMyName"),))
        )
    yield {lang: write_report(result, out / f"report-{lang}.html", lang) for lang in ("en", "ar")}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_report_renders_without_errors_and_every_chart_has_data(
    pages: dict[str, Path], lang: str
) -> None:
    require_chromium()
    with chromium() as driver:
        driver.get(pages[lang].resolve().as_uri())
        state = driver.execute_script(
            """
            const charts = [...document.querySelectorAll('svg.chart')];
            return {
              dir: document.documentElement.dir,
              lang: document.documentElement.lang,
              charts: charts.length,
              empty: charts.filter(c => !(parseInt(c.dataset.points || '0') > 0)).length,
              drawn: charts.filter(c => c.getBoundingClientRect().width > 100).length,
              remote: [...document.querySelectorAll('[src],[href]')]
                .map(e => e.getAttribute('src') || e.getAttribute('href'))
                .filter(u => /^(https?:)?\\/\\//.test(u)).length,
              title: document.title,
            };
            """
        )
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    assert state["lang"] == lang
    assert state["dir"] == ("rtl" if lang == "ar" else "ltr")
    assert state["charts"] >= 10
    assert state["empty"] == 0
    assert state["drawn"] == state["charts"]  # laid out, not collapsed to nothing
    assert state["remote"] == 0  # works offline: nothing fetched from the network
    if lang == "ar":
        assert "مرصد" in state["title"] or "تقرير" in state["title"]
