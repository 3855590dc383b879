"""``marsad spark scan``: the post risk of ``marsad scan``, computed on Spark.

The same computation as :func:`marsad.detect.scan.scan` over every current
post of the input (Spark has no state to resume from: it scores all of them),
in two passes of ``mapInArrow`` batches -- Arrow in and out, no pandas:

1. **text** -- each executor's Python worker loads the model once (the
   packaged one, or the ``--model`` file shipped to it with
   ``SparkContext.addFile``) and runs :meth:`RiskScorer.components
   <marsad.detect.scorer.RiskScorer.components>` on its batches: the
   ``text-classifier``, ``indicators`` (when a post carries one) and text
   ``risk`` detections, with the evidence :func:`~marsad.detect.scorer.risk_evidence`
   writes; and the classifier log-odds ``z`` each post gives its author.
2. **author context** -- ``z`` summed and counted per author (a shuffle by
   ``(platform, account_id)``), joined back, and the risk of every post with
   an author recomputed by :meth:`RiskScorer.with_authors
   <marsad.detect.scorer.RiskScorer.with_authors>` from the *stored*
   (rounded) components, exactly as the embedded scan reads them back from
   its detections.  Only the order of the floating-point sum differs: scores
   agree with the embedded scan's within 1e-9 (``tests/spark``).

The result is the ``detections`` table of the three detectors at the
scorer's versions, written as an export (:func:`marsad.spark.io.write_export`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from marsad.detect.scan import POST_COLUMNS
from marsad.spark.io import Export, current_posts, write_export

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from marsad.detect.scorer import RiskScorer

__all__ = ["ScanPlan", "spark_scan"]

#: the columns of a post the scorer reads: the embedded scan's own
_POST_COLUMNS = POST_COLUMNS

#: what pass 1 gives per post
_TEXT_SCHEMA = (
    "platform string, native_id string, account_id string, "
    "classifier double, classifier_evidence string, "
    "indicators double, indicators_evidence string, "
    "text_risk double, risk_evidence string, "
    "r_text_risk double, r_scripture double, r_indicators double, z double"
)
_DETECTIONS_SCHEMA = (
    "detector string, detector_version string, target_kind string, platform string, "
    "target_id string, score double, evidence string, created_at timestamp"
)

#: the scorer each Python worker loaded, by the files it came from
_SCORERS: dict[tuple[str | None, str | None], RiskScorer] = {}


class ScanPlan:
    """Which model and indicators the executors load: the packaged ones, or
    files shipped to them (their names on the executors, via SparkFiles)."""

    def __init__(self, model: str | None = None, indicators: str | None = None) -> None:
        self.model = model
        self.indicators = indicators

    def ship(self, spark: SparkSession) -> tuple[str | None, str | None]:
        """Send the files to every executor; returns the names they fetch them by."""
        names: list[str | None] = []
        for path in (self.model, self.indicators):
            if path is None:
                names.append(None)
                continue
            spark.sparkContext.addFile(os.path.abspath(path))
            names.append(os.path.basename(path))
        return names[0], names[1]

    def scorer(self) -> RiskScorer:
        """The scorer of the driver (same files, read locally)."""
        return _load(self.model, self.indicators, local=True)


def _load(model: str | None, indicators: str | None, *, local: bool = False) -> RiskScorer:
    key = (model, indicators)
    scorer = _SCORERS.get(key)
    if scorer is None:
        from pathlib import Path

        from marsad.detect.classifier import TextClassifier
        from marsad.detect.indicators import IndicatorRegistry
        from marsad.detect.scorer import RiskScorer

        def where(name: str) -> Path:
            if local:
                return Path(name)
            from pyspark import SparkFiles

            return Path(SparkFiles.get(name))

        clf = TextClassifier.load(where(model)) if model else TextClassifier.load()
        registry = IndicatorRegistry.load(where(indicators)) if indicators else None
        scorer = RiskScorer(clf, registry)
        _SCORERS[key] = scorer
    return scorer


def _text_pass(model: str | None, indicators: str | None) -> Any:
    """The function of pass 1 (module docstring) for ``mapInArrow``."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from marsad.detect.scan import posts_from_arrow
        from marsad.detect.scorer import risk_evidence

        scorer = _load(model, indicators)
        for batch in batches:
            posts = posts_from_arrow(batch)
            if not posts:
                continue
            c = scorer.components(posts)
            evidence = [risk_evidence(c, i) for i in range(len(posts))]
            # the embedded scan's SQL: ln(p) - ln(1 - p) of the stored score, clipped
            p = np.clip(np.asarray(c.classifier, dtype=np.float64), 1e-9, 1 - 1e-9)
            z = np.log(p) - np.log(1 - p)
            yield pa.RecordBatch.from_pydict(
                {
                    "platform": [x.platform for x in posts],
                    "native_id": [x.native_id for x in posts],
                    "account_id": [x.account_id for x in posts],
                    "classifier": [float(v) for v in c.classifier],
                    "classifier_evidence": [
                        _json({"margin": round(float(m), 6)}) for m in c.margin
                    ],
                    "indicators": [float(v) for v in c.indicators],
                    "indicators_evidence": [
                        _json(e) if c.indicators[i] > 0 else None
                        for i, e in enumerate(c.indicator_evidence)
                    ],
                    "text_risk": [float(v) for v in c.text_risk],
                    "risk_evidence": [_json(e) for e in evidence],
                    "r_text_risk": [float(e["text_risk"]) for e in evidence],
                    "r_scripture": [float(e.get("scripture", 0.0)) for e in evidence],
                    "r_indicators": [float(e["indicators"]) for e in evidence],
                    "z": z.tolist(),
                },
                schema=_text_arrow_schema(),
            )

    return run


def _author_pass(model: str | None, indicators: str | None, version: str, at: dt.datetime) -> Any:
    """The function of pass 2 (module docstring) for ``mapInArrow``: the ``risk``
    detection of each post with an author, from its author's sums."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        scorer = _load(model, indicators)
        for batch in batches:
            n = batch.num_rows
            if n == 0:
                continue
            cols = batch.to_pydict()
            count = np.asarray(cols["n"], dtype=np.float64)
            risk, az = scorer.with_authors(
                np.asarray(cols["r_text_risk"], dtype=np.float64),
                np.asarray(cols["z"], dtype=np.float64),
                np.asarray(cols["zsum"], dtype=np.float64),
                count,
                np.asarray(cols["r_scripture"], dtype=np.float64),
                np.asarray(cols["r_indicators"], dtype=np.float64),
            )
            evidence = []
            for i in range(n):
                ev = {
                    k: v for k, v in json.loads(cols["risk_evidence"][i]).items() if k != "author"
                }
                if count[i] > 1:
                    ev["author"] = {"other_posts": int(count[i] - 1), "z": round(float(az[i]), 4)}
                evidence.append(_json(ev))
            yield _detections(
                "risk", version, cols["platform"], cols["native_id"], risk.tolist(), evidence, at
            )

    return run


def _json(value: Any) -> str:
    # what the store writes (marsad.store.duckdb.detections_table)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _text_arrow_schema() -> pa.Schema:
    s, d = pa.string(), pa.float64()
    return pa.schema(
        [
            ("platform", s),
            ("native_id", s),
            ("account_id", s),
            ("classifier", d),
            ("classifier_evidence", s),
            ("indicators", d),
            ("indicators_evidence", s),
            ("text_risk", d),
            ("risk_evidence", s),
            ("r_text_risk", d),
            ("r_scripture", d),
            ("r_indicators", d),
            ("z", d),
        ]
    )


def _detections(
    detector: str,
    version: str,
    platforms: list[Any],
    ids: list[Any],
    scores: list[float],
    evidence: list[str],
    at: dt.datetime,
) -> pa.RecordBatch:
    n = len(ids)
    return pa.RecordBatch.from_pydict(
        {
            "detector": [detector] * n,
            "detector_version": [version] * n,
            "target_kind": ["post"] * n,
            "platform": platforms,
            "target_id": ids,
            "score": [float(x) for x in scores],
            "evidence": evidence,
            "created_at": pa.array([at] * n, pa.timestamp("us", tz="UTC")),
        }
    )


def detections(
    spark: SparkSession, posts: DataFrame, plan: ScanPlan
) -> tuple[DataFrame, dict[str, str]]:
    """The detections of every post of *posts* (the store's columns); and the
    detectors' versions."""
    from pyspark.sql import functions as F

    scorer = plan.scorer()
    clf, ind = scorer.model_, scorer.indicators_
    versions = {scorer.name: scorer.version, clf.name: clf.version, ind.name: ind.version}
    model, indicators = plan.ship(spark)
    at = dt.datetime.now(dt.UTC)
    ts = F.lit(at).cast("timestamp")
    from pyspark import StorageLevel

    text = posts.select(*_POST_COLUMNS).mapInArrow(_text_pass(model, indicators), _TEXT_SCHEMA)
    # each post is scored once: the detections below read pass 1 three or four times
    text = text.persist(StorageLevel.MEMORY_AND_DISK)
    text.count()

    def rows(detector: str, score: str, evidence: str) -> DataFrame:
        return text.select(
            F.lit(detector).alias("detector"),
            F.lit(versions[detector]).alias("detector_version"),
            F.lit("post").alias("target_kind"),
            F.col("platform"),
            F.col("native_id").alias("target_id"),
            F.col(score).alias("score"),
            F.col(evidence).alias("evidence"),
            ts.alias("created_at"),
        )

    parts = [
        rows(clf.name, "classifier", "classifier_evidence"),
        rows(ind.name, "indicators", "indicators_evidence").where(F.col("indicators") > 0),
    ]
    if clf.risk_author_ is None:
        parts.append(rows(scorer.name, "text_risk", "risk_evidence"))
    else:
        parts.append(
            rows(scorer.name, "text_risk", "risk_evidence").where(F.col("account_id").isNull())
        )
        authored = text.where(F.col("account_id").isNotNull())
        sums = authored.groupBy("platform", "account_id").agg(
            F.sum("z").alias("zsum"), F.count(F.lit(1)).cast("double").alias("n")
        )
        parts.append(
            authored.join(sums, on=["platform", "account_id"]).mapInArrow(
                _author_pass(model, indicators, versions[scorer.name], at), _DETECTIONS_SCHEMA
            )
        )
    out = parts[0]
    for part in parts[1:]:
        out = out.unionByName(part)
    return out, versions


def spark_scan(
    spark: SparkSession,
    input_dir: str,
    output_dir: str,
    *,
    model: str | None = None,
    indicators: str | None = None,
) -> dict[str, Any]:
    """``marsad spark scan``: score every current post of the export at
    *input_dir*; write the detections as an export at *output_dir*."""
    import time

    started = time.perf_counter()
    source = Export(spark, input_dir)
    posts = current_posts(source.table("posts"))
    found, versions = detections(spark, posts, ScanPlan(model, indicators))
    rows = write_export(
        {"detections": found}, output_dir, extra={"stage": "scan", "versions": versions}
    )
    return {
        "detections": rows["detections"],
        "versions": versions,
        "seconds": round(time.perf_counter() - started, 2),
    }
