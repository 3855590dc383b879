"""Smoke test of ``benchmarks/ingest.py``: its files are what they claim, and a tiny run prints
its tables.

The benchmark itself is run by hand (``make bench``); here it runs at 2,000 posts
with one repeat, so a broken generator, adapter or peer command shows up in CI.
twarc-csv (the ``bench`` extra) is optional: without it the script must say it
skipped that peer.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "ingest.py"


def _load_script() -> ModuleType:
    """benchmarks/ingest.py as a module named ``benchmarks_ingest`` (not on sys.path)."""
    spec = importlib.util.spec_from_file_location("benchmarks_ingest", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


ingest = _load_script()


def _posts_in_file(fmt: str, path: Path) -> int:
    """Posts counted straight from the JSON, independently of the generator."""
    if fmt == "x-v2":
        with open(path, encoding="utf-8") as fh:
            return sum(len(json.loads(line)["data"]) for line in fh if line.strip())
    if fmt == "x-v1":
        with open(path, encoding="utf-8") as fh:
            return sum(1 for line in fh if "id_str" in json.loads(line))
    export = json.loads(path.read_text(encoding="utf-8"))
    return sum(
        sum(1 for m in chat["messages"] if m["type"] == "message")
        for chat in export["chats"]["list"]
    )


@pytest.mark.parametrize(
    ("fmt", "posts"),
    [
        ("x-v2", 250),  # two full pages and a partial one
        ("x-v1", 137),  # one tweet a line, some with an embedded retweeted_status
        ("telegram", 301),  # a full-account export: messages split over eight chats
    ],
)
def test_generated_file_holds_the_posts_it_claims(fmt: str, posts: int, tmp_path: Path) -> None:
    df = ingest.data_file(fmt, posts, tmp_path, "generator")
    assert _posts_in_file(fmt, df.path) == posts
    # cached: asking again neither regenerates nor moves it
    mtime = df.path.stat().st_mtime_ns
    assert ingest.data_file(fmt, posts, tmp_path, "generator").path.stat().st_mtime_ns == mtime


def test_generated_entities_point_at_their_text(tmp_path: Path) -> None:
    path = ingest.data_file("x-v2", 200, tmp_path, "generator").path
    with open(path, encoding="utf-8") as fh:
        tweets = [t for line in fh for t in json.loads(line)["data"]]
    for t in tweets:
        for tag in t["entities"]["hashtags"]:
            assert t["text"][tag["start"] : tag["end"]] == "#" + tag["tag"]
        for m in t["entities"]["mentions"]:
            assert t["text"][m["start"] : m["end"]] == "@" + m["username"]
    kinds = {r["type"] for t in tweets for r in t.get("referenced_tweets", [])}
    assert kinds == {"retweeted", "replied_to"}


@pytest.mark.slow
def test_quick_run_prints_a_table_per_format(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--sizes", "2000", "--repeat", "1"]
        + ["--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for title in ingest.TITLES.values():
        assert f"### {title}" in out
    marsad_rows = re.findall(
        r"^\| marsad +\| +2,000 \| +[\d.,]+ \| +[\d,]+ \| +[\d,]+ \|", out, re.M
    )
    assert len(marsad_rows) == 3, out
    assert " exited " not in out and "could not read" not in out, out
    if importlib.util.find_spec("twarc_csv") is None:
        assert "skipped twarc-csv" in out
    else:
        assert re.search(r"^\| twarc-csv +\| +2,000 \|", out, re.M), out
    if importlib.util.find_spec("pandas") is not None:
        assert len(re.findall(r"^\| pandas +\| +2,000 \|", out, re.M)) == 2, out


@pytest.mark.slow
def test_census_benchmark_tiny_run_agrees_with_its_peer(tmp_path: Path) -> None:
    """benchmarks/census.py at 20k posts: builds the workspace, runs marsad and pandas,
    and finds that both computed the same statistics."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "census.py"),
            "--posts",
            "20000",
            "--accounts",
            "2000",
            "--repeat",
            "1",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "the statistics of both sides agree" in done.stdout
    assert re.search(r"\| marsad \|\s+[\d.]+ \|", done.stdout)
    assert re.search(r"\| pandas \|\s+[\d.]+ \|", done.stdout)


@pytest.mark.slow
def test_detect_benchmark_tiny_run_prints_both_models() -> None:
    """benchmarks/detect.py on 150 rows per file: both models cross-validated on
    the same folds and timed on the same posts, as markdown."""
    from tests.conftest import shared_file

    data = shared_file("datasets/arabic_pro_isis_vs_not.csv").parent
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "detect.py"),
            "--data-dir",
            str(data),
            "--limit",
            "150",
            "--folds",
            "3",
            "--repeats",
            "1",
            "--scale",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "| peer TF-IDF + LR " in out and "| marsad text classifier (text alone) " in out
    rates = dict(
        re.findall(
            r"\| (peer TF-IDF \+ LR: [^|]*?|marsad text classifier: [^|]*?) +\| +([\d,]+) \|", out
        )
    )
    assert len(rates) == 2 and all(int(v.replace(",", "")) > 0 for v in rates.values())


def test_hash_index_benchmark_tiny_run_is_exact() -> None:
    """benchmarks/hash_index.py on 50,000 hashes: the index finds every planted
    copy, agrees with brute force, and faiss (the peer) is measured beside it."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "hash_index.py"),
            "--sizes",
            "50000",
            "--repeats",
            "1",
            "--peer-queries",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    (row,) = [line for line in done.stdout.splitlines() if line.startswith("| 50,000 ")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[6] == "1.000" and cells[7] == "yes" and cells[11] == "1.000"
    one, two = (float(x.replace(",", "")) for x in cells[4].split(" / "))  # 1 and 2 threads
    assert one > 0 and two > 0 and float(cells[10].replace(",", "")) > 0
