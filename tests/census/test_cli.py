"""``marsad census`` and ``marsad report`` as users run them, on a simulated workspace."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from marsad.census.result import CensusResult


def marsad(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marsad.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "MARSAD_WORKERS": "1"},
        timeout=300,
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("cli")
    done = marsad("simulate", str(root / "sim"), "--profile", "small", "--seed", "3")
    assert done.returncode == 0, done.stderr
    ws = root / "ws"
    done = marsad("ingest", "-w", str(ws), str(root / "sim"))
    assert done.returncode == 0, done.stderr
    yield ws


@pytest.mark.slow
def test_census_json_csv_and_filters(workspace: Path, tmp_path: Path) -> None:
    done = marsad("census", "-w", str(workspace), "--json", "--csv", str(tmp_path / "t"))
    assert done.returncode == 0, done.stderr
    whole = CensusResult.from_dict(json.loads(done.stdout))
    keys = [s.key for s in whole.sections]
    assert keys == [
        "size",
        "accounts",
        "devices",
        "content",
        "outlets",
        "survival",
        "migration",
        "campaigns",
    ]
    # every table went to CSV with the same rows
    for section in whole.sections:
        for table in section.tables:
            path = tmp_path / "t" / f"{section.key}__{table.key}.csv"
            with open(path, newline="", encoding="utf-8") as fh:
                rows = list(csv.reader(fh))
            assert rows[0] == [c.key for c in table.columns]
            assert len(rows) - 1 == len(table.rows)

    # a window and a language narrow the posts; their sum over languages is the whole
    langs = whole.section("devices").table("languages")
    per_lang = {}
    for lang in langs.column("lang")[:3]:
        part = marsad("census", "-w", str(workspace), "--json", "--section", "size", "--lang", lang)
        assert part.returncode == 0, part.stderr
        per_lang[lang] = (
            CensusResult.from_dict(json.loads(part.stdout)).section("size").value("posts")
        )
    assert per_lang == dict(zip(langs.column("lang")[:3], langs.column("posts")[:3], strict=True))

    months = whole.section("size").table("per_month").rows
    first = months[0][0]
    part = marsad("census", "-w", str(workspace), "--json", "--section", "size", "--until", first)
    narrowed = CensusResult.from_dict(json.loads(part.stdout)).section("size")
    assert narrowed.value("posts") == months[0][5]  # --until a month includes all of it


@pytest.mark.slow
def test_account_set_by_handle_and_id(workspace: Path, tmp_path: Path) -> None:
    done = marsad("census", "-w", str(workspace), "--json", "--section", "accounts")
    top = CensusResult.from_dict(json.loads(done.stdout)).section("accounts").table("top_accounts")
    (platform, ident, _, posts, *_), second = top.rows[0], top.rows[1]
    listing = tmp_path / "set.txt"
    listing.write_text(f"# watched\n{platform}:{ident}\n@{second[2]}\n", encoding="utf-8")
    done = marsad("census", "-w", str(workspace), "--json", "--accounts", str(listing))
    assert done.returncode == 0, done.stderr
    size = CensusResult.from_dict(json.loads(done.stdout)).section("size")
    assert size.value("accounts") == 2
    assert size.value("posts") == posts + second[3]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "not a date"),
        (["--since", "2016-01", "--until", "2015-01"], "before"),
        (["--campaign", "nothing"], "campaign"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    ws = tmp_path / "ws"
    assert marsad("init", "-w", str(ws)).returncode == 0
    done = marsad("census", "-w", str(ws), *args)
    assert done.returncode == 2
    assert message in done.stderr


@pytest.mark.slow
def test_report_command_writes_both_languages(workspace: Path, tmp_path: Path) -> None:
    for lang in ("en", "ar"):
        out = tmp_path / f"r-{lang}.html"
        done = marsad("report", "-w", str(workspace), "--lang", lang, "--out", str(out))
        assert done.returncode == 0, done.stderr
        page = out.read_text(encoding="utf-8")
        assert f'lang="{lang}"' in page and ('dir="rtl"' in page) == (lang == "ar")
        assert "http://" not in page and "https://" not in page


@pytest.mark.slow
def test_headline_mode_gives_the_same_headline_tables(workspace: Path) -> None:
    from marsad.census.compute import HEADLINE_SECTIONS, HEADLINE_TABLES

    full = marsad("census", "-w", str(workspace), "--json")
    quick = marsad("census", "-w", str(workspace), "--json", "--headline")
    assert full.returncode == 0 and quick.returncode == 0, quick.stderr
    a = CensusResult.from_dict(json.loads(full.stdout))
    b = CensusResult.from_dict(json.loads(quick.stdout))
    assert [s.key for s in b.sections] == list(HEADLINE_SECTIONS)
    compared = 0
    for section in b.sections:
        for table in section.tables:
            other = a.section(section.key).table(table.key)
            if table.key in HEADLINE_TABLES:
                assert table.rows == other.rows, table.key
                compared += 1
            else:
                assert table.rows == []  # not computed in headline mode
    assert compared == len(HEADLINE_TABLES)
    for key in ("accounts", "suspended", "median_days", "suspended_2d", "suspended_5d"):
        assert b.section("survival").value(key) == a.section("survival").value(key)
    assert b.section("accounts").value("core_accounts") == a.section("accounts").value(
        "core_accounts"
    )


def test_census_and_report_of_an_empty_workspace(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert marsad("init", "-w", str(ws)).returncode == 0
    for extra in ([], ["--headline"]):
        done = marsad("census", "-w", str(ws), "--json", *extra)
        assert done.returncode == 0, done.stderr
        result = CensusResult.from_dict(json.loads(done.stdout))
        assert result.section("size").value("posts") == 0
        assert result.section("survival").value("accounts") == 0
    out = tmp_path / "r.html"
    done = marsad("report", "-w", str(ws), "--lang", "ar", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert 'dir="rtl"' in out.read_text(encoding="utf-8")


def test_unfiltered_status_counts_are_the_accounts_now_view(workspace: Path) -> None:
    """With nothing narrowing it, the census takes accounts_now's status rule
    over its own per-account pass instead of the view: the counts must agree."""
    done = marsad("census", "-w", str(workspace), "--json", "--headline")
    assert done.returncode == 0, done.stderr
    got = CensusResult.from_dict(json.loads(done.stdout)).section("size").table("status").rows
    con = duckdb.connect(str(workspace / "marsad.duckdb"), read_only=True)
    try:
        want = con.execute(
            "SELECT status, count(*) n FROM accounts_now GROUP BY status ORDER BY n DESC, status"
        ).fetchall()
    finally:
        con.close()
    assert [(r[0], r[1]) for r in got] == want
    assert {s for s, _ in want} >= {"active", "suspended"}
