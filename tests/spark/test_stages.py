"""``marsad spark lineage | accounts | network`` equal their embedded twins, and
``marsad import`` takes their results back, replacing the last run's."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from marsad import pipeline
from marsad.errors import WorkspaceError
from tests.spark.conftest import cli

pytestmark = pytest.mark.slow

_VOLATILE = {"seconds", "engine", "detections", "timings"}


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where *a* and *b* differ: exact, floats within 1e-9 (keys in _VOLATILE skipped)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k in _VOLATILE:
                continue
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in one")
                continue
            out += _differences(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return [f"{path}: {len(a)} against {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{path}[{i}]")
        ]
    if isinstance(a, float) and isinstance(b, int | float) and not isinstance(b, bool):
        same = math.isclose(a, b, rel_tol=0, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))
        return [] if same else [f"{path}: {a} against {b}"]
    return [] if a == b else [f"{path}: {a!r} against {b!r}"]


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _parquet(directory: Path, table: str = "detections") -> list[tuple[Any, ...]]:
    return (
        duckdb.connect()
        .execute(
            "SELECT detector, detector_version, target_kind, platform, target_id, score, evidence "
            "FROM read_parquet(?) ORDER BY ALL",
            [str(directory / f"{table}.parquet" / "*.parquet")],
        )
        .fetchall()
    )


def test_spark_lineage_equals_marsad_lineage(
    spark: Any, analysed_template: Path, exported: Path, tmp_path: Path
) -> None:
    from marsad.accounts.lineage import lineage
    from marsad.spark.stages import spark_lineage

    with pipeline.open_store(analysed_template, create=False, read_only=True) as store:
        result = lineage(store.analytics())
    embedded = _plain(result.as_dict())
    ours = spark_lineage(spark, str(exported), str(tmp_path / "out"))
    assert embedded["counts"]["links"] > 20 and embedded["counts"]["pairs_scored"] > 100
    assert _differences(embedded, _plain(ours)) == []
    # the JSON written beside the detections is the same result
    written = json.loads((tmp_path / "out" / "lineage.json").read_text())
    assert _differences(embedded, written) == []
    rows = _parquet(tmp_path / "out")
    assert len(rows) == ours["counts"]["links"] == ours["detections"]
    links = {f"{x.successor_id}>{x.predecessor_id}": x.score for x in result.links}
    assert {r[4]: r[5] for r in rows} == pytest.approx(links, abs=1e-9)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["replaces"] == [{"detector": "lineage", "platforms": embedded["platforms"]}]
    assert ours["engine"]["statements"] >= 6  # the loads ran on Spark


def test_the_import_replaces_the_last_links(
    spark: Any, analysed_template: Path, exported: Path, tmp_path: Path
) -> None:
    """Into a workspace holding older links (and one that no longer holds),
    the import leaves exactly the Spark run's links; a second import changes nothing."""
    from marsad.spark.stages import spark_lineage

    spark_lineage(spark, str(exported), str(tmp_path / "out"))
    ws = tmp_path / "ws"
    shutil.copytree(analysed_template, ws)
    with pipeline.open_store(ws, create=False) as store:
        platform = store.query("SELECT platform FROM detections WHERE detector = 'lineage'")[0][0]
        store.execute(
            "INSERT INTO detections VALUES ('lineage', 'old', 'link', ?, 'a>b', 0.9, '{}', now())",
            [(platform,)],
        )
        store.execute("UPDATE detections SET score = 0.5 WHERE detector = 'lineage'")
    cli("import", str(tmp_path / "out"), "--workspace", str(ws))
    cli("import", str(tmp_path / "out"), "--workspace", str(ws))

    def links(where: Path) -> list[tuple[Any, ...]]:
        with pipeline.open_store(where, create=False, read_only=True) as s:
            return s.query(
                "SELECT detector_version, target_id, score, evidence FROM detections "
                "WHERE detector = 'lineage' ORDER BY target_id"
            )

    got = links(ws)
    assert [(v, t, s) for v, t, s, _ in got] == [
        (r[1], r[4], r[5]) for r in _parquet(tmp_path / "out")
    ]
    assert all(json.loads(e)["successor_id"] == t.split(">")[0] for _, t, _, e in got)
    # the rest of the workspace is untouched
    with (
        pipeline.open_store(ws, create=False, read_only=True) as a,
        pipeline.open_store(analysed_template, create=False, read_only=True) as b,
    ):
        q = "SELECT count(*) FROM detections WHERE detector <> 'lineage'"
        assert a.query(q) == b.query(q)


def test_an_export_may_replace_only_a_stage_s_detections(exported: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(exported, bad)
    manifest = json.loads((bad / "manifest.json").read_text())
    manifest["replaces"] = [{"detector": "risk", "platforms": None}]
    (bad / "manifest.json").write_text(json.dumps(manifest))
    ws = tmp_path / "ws"
    cli("import", str(exported), "--workspace", str(ws))
    with pipeline.open_store(ws, create=False) as store:
        before = store.counts()
        with pytest.raises(WorkspaceError, match="may replace only account-score, lineage"):
            store.import_parquet(bad)
        assert store.counts() == before


def test_spark_accounts_equals_marsad_accounts(
    spark: Any, analysed_template: Path, exported: Path, tmp_path: Path
) -> None:
    from marsad.accounts.score import AccountScorer
    from marsad.spark.stages import spark_accounts

    scorer = AccountScorer()
    with pipeline.open_store(analysed_template, create=False, read_only=True) as store:
        embedded = scorer.score(store)
    ours = spark_accounts(spark, str(exported), str(tmp_path / "out"), top=50)
    assert ours["accounts"] == len(embedded) > 200
    assert ours["flagged"] == sum(s.flagged for s in embedded) > 10
    assert _differences(_plain([s.__dict__ for s in embedded[:50]]), _plain(ours["top"])) == []
    rows = _parquet(tmp_path / "out")
    assert len(rows) == len(embedded)
    reference = {(d.platform, d.target_id): d for d in scorer.detections(embedded)}
    for _, version, kind, platform, target, score, evidence in rows:
        d = reference[(platform, target)]
        assert (version, kind) == (d.detector_version, d.target_kind)
        assert abs(score - d.score) <= 1e-9
        assert _differences(d.evidence, json.loads(evidence)) == []


def test_spark_network_equals_marsad_network(
    spark: Any, analysed_template: Path, exported: Path, tmp_path: Path
) -> None:
    from marsad.network.analysis import analyse_network
    from marsad.spark.stages import spark_network

    with pipeline.open_store(analysed_template, create=False, read_only=True) as store:
        con = store.analytics()
        embedded = _plain(analyse_network(con, coactivity=("hashtag",)).summary(top=10))
        collapsed = con.execute(
            "SELECT platform, src_id, dst_id, kind, count(*) FROM edges GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    graph = tmp_path / "net.graphml"
    ours = spark_network(
        spark, str(exported), str(tmp_path / "out"), coactivity=("hashtag",), export=graph
    )
    assert embedded["nodes"] > 200 and embedded["communities"]["count"] > 1
    assert _differences(embedded, _plain(ours)) == [
        f".export: None against '{graph}'",
        ".interactions: only in one",
    ]
    written = json.loads((tmp_path / "out" / "network.json").read_text())
    assert written["communities"] == embedded["communities"]
    got = (
        duckdb.connect()
        .execute(
            "SELECT platform, src_id, dst_id, kind, weight FROM read_parquet(?) ORDER BY ALL",
            [str(tmp_path / "out" / "interactions.parquet" / "*.parquet")],
        )
        .fetchall()
    )
    assert got == collapsed and ours["interactions"]["edges"] == len(collapsed)
    assert graph.stat().st_size > 10_000

    only = spark_network(spark, str(exported), str(tmp_path / "edges"), edges_only=True)
    assert "communities" not in only and only["interactions"]["edges"] == len(collapsed)


def test_the_cli_runs_a_stage(exported: Path, tmp_path: Path) -> None:
    done = cli(
        "spark", "network", "--input", str(exported), "--output", str(tmp_path / "net"),
        "--master", "local[1]", "--edges-only", "--json",
    )  # fmt: skip
    result = json.loads(done.stdout)
    assert result["interactions"]["edges"] > 1000
    assert result["engine"]["master"] == "local[1]"
    assert (tmp_path / "net" / "network.json").exists()
