"""``marsad spark census``: the census of ``marsad census`` computed on Spark.

The same section code as the embedded census (:func:`marsad.census.compute.run_census`)
runs on a :class:`~marsad.spark.sql.SparkSQL` connection: every statement is
the census's own, transpiled to Spark SQL (:mod:`marsad.spark.sql`).  The
result is the JSON ``marsad census --json`` prints (``census.json`` in the
output directory), which ``marsad report`` renders.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from marsad.spark.io import Export, write_json

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from marsad.census.filters import CensusFilter
    from marsad.detect.indicators import IndicatorRegistry

__all__ = ["spark_census"]


def spark_census(
    spark: SparkSession,
    input_dir: str,
    flt: CensusFilter | None = None,
    *,
    outlets: IndicatorRegistry | None = None,
    sections: Sequence[str] = (),
    headline: bool = False,
    output_dir: str | None = None,
) -> dict[str, Any]:
    """The census of the export at *input_dir*, as ``marsad census --json``
    gives it (also written to ``OUTPUT/census.json`` with *output_dir*)."""
    from marsad.census.compute import SECTIONS, run_census
    from marsad.spark.sql import SparkSQL

    started = time.perf_counter()
    con = SparkSQL(spark, Export(spark, input_dir))
    result = run_census(
        con,  # type: ignore[arg-type]  # a DuckDB connection look-alike
        flt,
        outlets=outlets,
        sections=sections or SECTIONS,
        headline=headline,
        workspace=input_dir,
    )
    out: dict[str, Any] = json.loads(json.dumps(result.to_dict(), default=str))
    out.setdefault("meta", {})["engine"] = {
        "name": "spark",
        "version": spark.version,
        "master": spark.sparkContext.master,
        "seconds": round(time.perf_counter() - started, 2),
        "statements": len(con.timings),
        "slowest": con.slowest(),
    }
    if output_dir is not None:
        write_json(spark, output_dir, "census.json", out)
    return out
