"""``marsad spark census`` equals ``marsad census --json`` section by section:
exact counts, floating values within 1e-9, on simulations in every format,
with and without filters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.spark.conftest import cli

pytestmark = pytest.mark.slow


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two censuses' sections differ (floats beyond 1e-9, anything else at all)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}/{k}: only one side" for k in set(a) ^ set(b)]
        for k in sorted(set(a) & set(b)):
            out += _differences(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} against {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{path}[{i}]")
        ]
    if isinstance(a, float) or isinstance(b, float):
        numbers = isinstance(a, int | float) and isinstance(b, int | float)
        if numbers and abs(a - b) <= 1e-9 * max(1.0, abs(a)):
            return []
        return [f"{path}: {a!r} against {b!r}"]
    return [] if a == b else [f"{path}: {a!r} against {b!r}"]


FILTERS = {
    "all": [],
    "window and language": ["--since", "2014-06", "--until", "2015-03", "--lang", "ar"],
    "platform, weeks, top 5": ["--platform", "telegram", "--interval", "week", "--top", "5"],
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_spark_census_equals_the_embedded_census(
    spark: Any, mixed: tuple[Path, Path], tmp_path: Path, name: str
) -> None:
    from marsad.cli.census import census_filter
    from marsad.spark.census import spark_census

    ws, export = mixed
    args = FILTERS[name]
    embedded = json.loads(cli("census", "--workspace", str(ws), "--json", *args).stdout)
    opts = {
        "since": None,
        "until": None,
        "platforms": (),
        "langs": (),
        "accounts_file": None,
        "at": None,
        "campaigns": (),
        "interval": "month",
        "top": 20,
        "indicators_file": None,
    }
    pairs = dict(zip(args[::2], args[1::2], strict=True))
    for flag, key in (("--since", "since"), ("--until", "until"), ("--interval", "interval")):
        if flag in pairs:
            opts[key] = pairs[flag]
    if "--top" in pairs:
        opts["top"] = int(pairs["--top"])
    if "--lang" in pairs:
        opts["langs"] = (pairs["--lang"],)
    if "--platform" in pairs:
        opts["platforms"] = (pairs["--platform"],)
    flt, registry = census_filter(opts)
    ours = spark_census(spark, str(export), flt, outlets=registry, output_dir=str(tmp_path))
    assert [s["key"] for s in ours["sections"]] == [s["key"] for s in embedded["sections"]]
    rows = sum(len(t["rows"]) for s in ours["sections"] for t in s["tables"])
    assert rows > 100
    assert _differences(embedded["sections"], ours["sections"]) == []
    written = json.loads((tmp_path / "census.json").read_text())
    assert written["sections"] == ours["sections"]


def test_the_command_and_the_report_of_its_json(mixed: tuple[Path, Path], tmp_path: Path) -> None:
    """``marsad spark census`` as a user runs it, and ``marsad report --census``
    renders what it wrote, in Arabic."""
    ws, export = mixed
    out = tmp_path / "census"
    cli(
        "spark",
        "census",
        "--input",
        str(export),
        "--output",
        str(out),
        "--master",
        "local[2]",
        "--section",
        "size",
        "--section",
        "survival",
    )
    written = json.loads((out / "census.json").read_text())
    assert [s["key"] for s in written["sections"]] == ["size", "survival"]
    assert written["meta"]["engine"]["name"] == "spark"
    embedded = json.loads(
        cli(
            "census", "--workspace", str(ws), "--json", "--section", "size", "--section", "survival"
        ).stdout
    )
    assert _differences(embedded["sections"], written["sections"]) == []
    page = tmp_path / "report-ar.html"
    cli("report", "--census", str(out / "census.json"), "--lang", "ar", "--out", str(page))
    html = page.read_text(encoding="utf-8")
    assert 'dir="rtl"' in html and "survival" in html
    bad = tmp_path / "bad.json"
    bad.write_text('{"sections": [{"title": 1}]}')
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "marsad.cli", "report", "--census", str(bad), "--out", str(page)],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "not a census JSON" in done.stderr
