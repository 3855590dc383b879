"""``marsad spark lineage | accounts | network``: the account stages on Spark.

Each of these stages is two kinds of work, and they go to different places:

* **the reductions** -- every query the stage makes of the store: the
  suspensions, each account's most used client and language, the follows
  and engagements that touch a relevant account, each account's latest
  original posts, the announcements (lineage); per-account behaviour, content
  risk, indicators and hash-bank matches, the weighted interaction edges
  (accounts); the collapsed interaction edges, co-activity pairs and
  coordinated posting (network).  They read the posts and edges -- billions
  of rows at platform scale -- and they run on Spark: the stage's own DuckDB
  statements, transpiled by :class:`~marsad.spark.sql.SparkSQL`, so there is
  one copy of them;
* **the model and the graph** -- lineage's blocking, pair features, scoring
  and assignment, account scoring, PageRank and Leiden.  They read what the
  reductions give -- one row per relevant account or per collapsed edge --
  and they run on the driver, in the same Python code as the embedded stage.

So the results are the embedded stage's, exactly (``tests/spark``), and the
driver's memory is the limit: what it holds is proportional to the accounts
(and for the network, the collapsed edges), not to the posts.  docs/spark.md
measures it and says where it breaks; ``marsad spark network --edges-only``
writes the collapsed edges on Spark without the driver's graph, for a graph
no driver holds.

Results come back as an export ``marsad import`` takes (the links and the
account scores as ``detections``), whose manifest says which detector's rows
it replaces (``replaces``): importing it removes the target workspace's last
run of that detector first, as ``marsad lineage`` and ``marsad accounts`` do
when they store theirs.  Each stage also writes the JSON its embedded command
prints with ``--json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marsad.spark.io import Export, write_export, write_json

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from marsad.accounts.lineage_model import LineagePairModel
    from marsad.accounts.score import AccountModel
    from marsad.model import Detection
    from marsad.spark.sql import SparkSQL

__all__ = ["SparkStore", "interaction_edges", "spark_accounts", "spark_lineage", "spark_network"]


class SparkStore:
    """The read side of a :class:`~marsad.store.base.Store` over a
    :class:`~marsad.spark.sql.SparkSQL` connection: what account scoring and
    the hash-bank matcher read (``query``, ``analytics``)."""

    #: no workspace directory: the matcher keeps no index cache
    directory = None

    def __init__(self, con: SparkSQL) -> None:
        self.con = con

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, list(params)).fetchall()

    def analytics(self) -> SparkSQL:
        return self.con


def _connect(spark: SparkSession, input_dir: str) -> SparkSQL:
    from marsad.spark.sql import SparkSQL

    return SparkSQL(spark, Export(spark, input_dir))


def _engine(spark: SparkSession, con: SparkSQL, started: float) -> dict[str, Any]:
    return {
        "name": "spark",
        "version": spark.version,
        "master": spark.sparkContext.master,
        "seconds": round(time.perf_counter() - started, 2),
        "statements": len(con.timings),
        "spark_seconds": round(sum(t for _, t in con.timings), 2),
        "slowest": con.slowest(5),
    }


def _detections_frame(spark: SparkSession, detections: Sequence[Detection]) -> DataFrame:
    """*detections* as the ``detections`` table's rows, as the embedded store writes them."""
    from marsad.store.duckdb import detections_table

    table = detections_table(detections)
    if table.num_rows:
        return spark.createDataFrame(table)
    schema = (
        "detector string, detector_version string, target_kind string, platform string, "
        "target_id string, score double, evidence string, created_at timestamp"
    )
    return spark.createDataFrame([], schema)


def spark_lineage(
    spark: SparkSession,
    input_dir: str,
    output_dir: str,
    *,
    platform: str | None = None,
    threshold: float | None = None,
    model: LineagePairModel | None = None,
) -> dict[str, Any]:
    """``marsad spark lineage``: the links of ``marsad lineage`` over the export
    at *input_dir*, written to *output_dir* as ``lineage`` detections (an
    export that replaces the target's last links of these platforms) and as
    ``lineage.json`` (what ``marsad lineage --json`` prints)."""
    from marsad.accounts.lineage import DETECTOR, lineage, link_detections

    started = time.perf_counter()
    con = _connect(spark, input_dir)
    result = lineage(con, platform=platform, threshold=threshold, model=model)  # type: ignore[arg-type]  # a DuckDB connection look-alike
    out = result.as_dict()
    out["engine"] = _engine(spark, con, started)
    rows = write_export(
        {"detections": _detections_frame(spark, link_detections(result))},
        output_dir,
        extra={"stage": "lineage", "model_version": result.model_version},
        replaces=[{"detector": DETECTOR, "platforms": list(result.platforms)}],
    )
    write_json(spark, output_dir, "lineage.json", out)
    out["engine"]["seconds"] = round(time.perf_counter() - started, 2)
    out["detections"] = rows["detections"]
    return out


def spark_accounts(
    spark: SparkSession,
    input_dir: str,
    output_dir: str,
    *,
    platform: str | None = None,
    seeds: Iterable[str] | None = None,
    model: AccountModel | None = None,
    top: int = 20,
) -> dict[str, Any]:
    """``marsad spark accounts``: every account's score, as ``marsad accounts``
    gives it (lineage links included), written to *output_dir* as
    ``account-score`` detections (replacing the target's last scores) and as
    ``accounts.json`` (what ``marsad accounts --json --top TOP`` prints)."""
    from marsad.accounts.score import DETECTOR, AccountScorer

    started = time.perf_counter()
    con = _connect(spark, input_dir)
    scorer = AccountScorer(model)
    scores = scorer.score(SparkStore(con), platform=platform, seeds=seeds)  # type: ignore[arg-type]  # the read side of a Store
    out: dict[str, Any] = {
        "accounts": len(scores),
        "flagged": sum(s.flagged for s in scores),
        "threshold": scorer.model.threshold,
        "top": [s.__dict__ for s in scores[:top]],
    }
    out["engine"] = _engine(spark, con, started)
    rows = write_export(
        {"detections": _detections_frame(spark, scorer.detections(scores))},
        output_dir,
        extra={"stage": "accounts", "model_version": scorer.version},
        replaces=[{"detector": DETECTOR, "platforms": None}],
    )
    write_json(spark, output_dir, "accounts.json", out)
    out["engine"]["seconds"] = round(time.perf_counter() - started, 2)
    out["detections"] = rows["detections"]
    return out


def interaction_edges(edges: DataFrame, platform: str | None = None) -> DataFrame:
    """The collapsed interaction edges (``platform, src_id, dst_id, kind,
    weight``): one per (source, target, kind) with the number of stored edges,
    as :func:`marsad.network.graph.interaction_graph` collapses them."""
    from pyspark.sql import functions as F

    if platform is not None:
        edges = edges.where(F.col("platform") == platform)
    return edges.groupBy("platform", "src_id", "dst_id", "kind").agg(
        F.count(F.lit(1)).cast("long").alias("weight")
    )


def spark_network(
    spark: SparkSession,
    input_dir: str,
    output_dir: str,
    *,
    platform: str | None = None,
    coordination_window: float = 60.0,
    resolution: float = 1.0,
    coactivity: Sequence[str] = (),
    export: Path | None = None,
    top: int = 10,
    edges_only: bool = False,
) -> dict[str, Any]:
    """``marsad spark network``: ``OUTPUT/interactions.parquet`` (the collapsed
    interaction edges, written by Spark at any size) and, unless *edges_only*,
    the analysis of ``marsad network`` -- communities, centrality, roles,
    coordination, outlinks -- as ``OUTPUT/network.json`` (what ``marsad
    network --json`` prints), with the annotated graph in *export* if given."""
    from marsad.network.analysis import analyse_network

    started = time.perf_counter()
    con = _connect(spark, input_dir)
    target = f"{output_dir.rstrip('/')}/interactions.parquet"
    collapsed = interaction_edges(con.spark.table("edges"), platform)
    collapsed.write.mode("overwrite").parquet(target)
    n_edges = int(spark.read.parquet(target).count())
    out: dict[str, Any] = {"interactions": {"path": target, "edges": n_edges}}
    if not edges_only:
        report = analyse_network(
            con,  # type: ignore[arg-type]  # a DuckDB connection look-alike
            platform=platform,
            coordination_window=coordination_window,
            resolution=resolution,
            export=export,
            coactivity=tuple(coactivity),  # type: ignore[arg-type]
        )
        out.update(report.summary(top=top))
    out["engine"] = _engine(spark, con, started)
    write_json(spark, output_dir, "network.json", json.loads(json.dumps(out, default=str)))
    return out
