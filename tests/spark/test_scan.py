"""``marsad spark scan`` equals ``marsad scan``: the same detections, scores
within 1e-9, the same evidence; and ``marsad import`` takes its output back."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from marsad.errors import ConfigError, WorkspaceError
from tests.spark.conftest import cli

pytestmark = pytest.mark.slow

_DETECTORS = ("risk", "text-classifier", "indicators")


def _detections(sql_from: str, con: duckdb.DuckDBPyConnection) -> dict[tuple[str, ...], Any]:
    rows = con.execute(
        "SELECT detector, detector_version, target_kind, platform, target_id, score, evidence "  # noqa: S608 - a test's own relation
        f"FROM {sql_from} WHERE detector IN ('risk', 'text-classifier', 'indicators')"
    ).fetchall()
    return {tuple(r[:5]): (r[5], json.loads(r[6])) for r in rows}


def test_spark_scan_equals_the_embedded_scan(
    spark: Any, analysed_template: Path, exported: Path, tmp_path: Path
) -> None:
    from marsad.spark.scan import spark_scan

    result = spark_scan(spark, str(exported), str(tmp_path / "scored"))
    con = duckdb.connect()
    con.execute(f"ATTACH '{analysed_template / 'marsad.duckdb'}' AS w (READ_ONLY)")
    embedded = _detections("w.detections", con)
    ours = _detections(
        f"read_parquet('{tmp_path / 'scored' / 'detections.parquet'}/*.parquet')", con
    )
    assert result["detections"] == len(ours)
    assert set(ours) == set(embedded) and len(ours) > 6000
    assert {k[0] for k in ours} == set(_DETECTORS)
    worst = max(abs(ours[k][0] - embedded[k][0]) for k in ours)
    assert worst <= 1e-9
    assert all(ours[k][1] == embedded[k][1] for k in ours)  # evidence, author context included
    with_author = sum("author" in ev for (d, *_), (_, ev) in ours.items() if d == "risk")
    assert with_author > 1000
    manifest = json.loads((tmp_path / "scored" / "manifest.json").read_text())
    assert manifest["rows"] == {"detections": len(ours)}
    assert manifest["spark"]["versions"]["risk"] == next(k[1] for k in ours if k[0] == "risk")


def test_marsad_import_takes_the_output_back(
    spark: Any, analysed_template: Path, exported: Path, tmp_path: Path
) -> None:
    """A workspace of the same posts, never scanned, imports the Spark scan:
    then ``marsad scan`` has nothing left to do and flags what it flagged."""
    from marsad.spark.scan import spark_scan

    spark_scan(spark, str(exported), str(tmp_path / "scored"))
    bare = tmp_path / "bare"
    shutil.copytree(exported, bare)
    (bare / "detections.parquet").unlink()
    ws = tmp_path / "ws"
    cli("import", str(bare), "--workspace", str(ws))
    cli("import", str(tmp_path / "scored"), "--workspace", str(ws))
    again = cli("import", str(tmp_path / "scored"), "--workspace", str(ws))
    assert "imported 0 new rows" in again.stdout + again.stderr
    scan = json.loads(cli("scan", "--workspace", str(ws), "--json").stdout)
    reference = json.loads(cli("scan", "--workspace", str(analysed_template), "--json").stdout)
    assert scan["scanned"] == 0 and scan["flagged"] == reference["flagged"] > 0


def test_an_input_that_is_not_an_export_is_refused(spark: Any, tmp_path: Path) -> None:
    from marsad.spark.io import Export, parse_conf

    with pytest.raises(WorkspaceError, match="no manifest.json"):
        Export(spark, tmp_path)
    (tmp_path / "manifest.json").write_text('{"marsad_export": 1, "schema_version": 999}')
    with pytest.raises(WorkspaceError, match="newer than this marsad"):
        Export(spark, tmp_path)
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_conf(["spark.executor.memory"])
    assert parse_conf(["a.b=1=2"]) == {"a.b": "1=2"}


def test_without_pyspark_spark_says_how_to_install_and_the_rest_works(tmp_path: Path) -> None:
    """Spark is optional: with PySpark unimportable, ``marsad spark scan`` names
    the extra and other commands work."""
    code = (
        "import sys; sys.modules['pyspark'] = None; "
        "from marsad.cli import main; main(prog_name='marsad')"
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)

    done = run("spark", "scan", "--input", str(tmp_path), "--output", str(tmp_path / "o"))
    assert done.returncode != 0 and "pip install 'marsad[spark]'" in done.stderr + done.stdout
    assert run("init", "--workspace", str(tmp_path / "ws")).returncode == 0
    info = run("info", "--workspace", str(tmp_path / "ws"), "--json")
    assert info.returncode == 0 and json.loads(info.stdout)["counts"]["posts"] == 0


def test_spark_submit_runs_the_same_scan(
    spark: Any, analysed_template: Path, exported: Path, tmp_path: Path
) -> None:
    """``spark-submit $(python -m marsad.spark.submit --path) scan ...``: the
    entry point a cluster runs, with spark-submit's own master and conf."""
    import os

    submit = Path(sys.executable).with_name("spark-submit")
    if not submit.exists():
        pytest.fail(f"no {submit}: the spark extra installs it with PySpark")
    entry = subprocess.run(
        [sys.executable, "-m", "marsad.spark.submit", "--path"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    out = tmp_path / "submitted"
    done = subprocess.run(
        [
            str(submit),
            "--master",
            "local[1]",
            "--conf",
            "spark.ui.enabled=false",
            entry,
            "scan",
            "--input",
            str(exported),
            "--output",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    said = json.loads(done.stdout[done.stdout.index("{") :])
    con = duckdb.connect()
    con.execute(f"ATTACH '{analysed_template / 'marsad.duckdb'}' AS w (READ_ONLY)")
    embedded = _detections("w.detections", con)
    ours = _detections(f"read_parquet('{out / 'detections.parquet'}/*.parquet')", con)
    assert said["detections"] == len(ours) == len(embedded)
    assert max(abs(ours[k][0] - embedded[k][0]) for k in ours) <= 1e-9
