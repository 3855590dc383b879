"""``marsad spark``: the heavy stages on a Spark cluster (:mod:`marsad.spark`).

Each subcommand reads a marsad Parquet export (``--input``) and writes its
results as one (``--output``) that ``marsad import`` takes back::

    marsad export /data/export
    marsad spark scan --input /data/export --output /data/scored --master local[2]
    marsad import /data/scored -w ./marsad-data

``--master`` and ``--conf key=value`` are Spark's own; without ``--master``
the session is whatever ``spark-submit`` set up (``marsad.spark.submit``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from marsad.cli.census import CENSUS_SECTIONS, census_filter, census_options
from marsad.cli.common import _emit_json, _run, err, json_option, out

__all__ = ["spark"]

_input = click.option(
    "--input",
    "input_dir",
    required=True,
    help="A marsad Parquet export (marsad export DIR): a directory or an object-store URL.",
)
_output = click.option(
    "--output",
    "output_dir",
    required=True,
    help="Where the results go, as an export marsad import takes.",
)
_master = click.option(
    "--master",
    default=None,
    help="Spark master: local[2], spark://host:7077, yarn, k8s://... (default: spark-submit's).",
)
_conf = click.option(
    "--conf",
    "conf",
    multiple=True,
    metavar="KEY=VALUE",
    help="A Spark setting, as spark-submit's --conf (repeatable).",
)


@click.group()
def spark() -> None:
    """Run marsad's heavy stages on Apache Spark (needs the spark extra and Java 17).

    Each subcommand reads a Parquet export (marsad export) and writes one that
    marsad import takes back. docs/spark.md: clusters, spark-submit, object storage.

    \b
    Example:
      marsad export /data/export
      marsad spark scan --input /data/export --output /data/scored --master 'local[2]'
      marsad import /data/scored
    """


@spark.command("scan")
@_input
@_output
@_master
@_conf
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A trained model file (.safetensors); default the packaged model. Shipped to executors.",
)
@click.option(
    "--indicators",
    "indicators_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your indicator registry (JSON), merged over the built-in one. Shipped to executors.",
)
@json_option
def scan(
    input_dir: str,
    output_dir: str,
    master: str | None,
    conf: tuple[str, ...],
    model_path: Path | None,
    indicators_file: Path | None,
    as_json: bool,
) -> None:
    """Score every current post (the risk of marsad scan, author context included).

    \b
    Example:
      marsad spark scan --input /data/export --output /data/scored --master 'local[2]'
    """

    def go() -> Any:
        from marsad.spark.io import parse_conf, session
        from marsad.spark.scan import spark_scan

        spark_ = session(master, parse_conf(conf))
        try:
            return spark_scan(
                spark_,
                input_dir,
                output_dir,
                model=str(model_path) if model_path else None,
                indicators=str(indicators_file) if indicators_file else None,
            )
        finally:
            if master:
                spark_.stop()

    result = _run(go)
    if as_json:
        _emit_json(result)
        return
    out.print(
        f"{result['detections']:,} detections written to {output_dir} in {result['seconds']} s "
        f"(risk {result['versions'].get('risk')})",
        highlight=False,
    )
    err.print(f"import them with: marsad import {output_dir}", highlight=False)


@spark.command("census")
@_input
@_output
@_master
@_conf
@census_options()
@click.option(
    "--section",
    "sections",
    multiple=True,
    type=click.Choice(CENSUS_SECTIONS),
    help="Only this section (repeatable; default all).",
)
@click.option("--headline", is_flag=True, help="Only the headline statistics.")
@json_option
def census(
    input_dir: str,
    output_dir: str,
    master: str | None,
    conf: tuple[str, ...],
    sections: tuple[str, ...],
    headline: bool,
    as_json: bool,
    **opts: Any,
) -> None:
    """The census of marsad census, computed on Spark: OUTPUT/census.json, the JSON
    marsad census --json prints (marsad report --census renders it).

    \b
    Example:
      marsad spark census --input /data/export --output /data/census --since 2015-01
      marsad report --census /data/census/census.json --lang ar --out census-ar.html
    """

    def go() -> Any:
        from marsad.spark.census import spark_census
        from marsad.spark.io import parse_conf, session

        flt, registry = census_filter(opts)
        spark_ = session(master, parse_conf(conf))
        try:
            return spark_census(
                spark_,
                input_dir,
                flt,
                outlets=registry,
                sections=sections,
                headline=headline,
                output_dir=output_dir,
            )
        finally:
            if master:
                spark_.stop()

    result = _run(go)
    if as_json:
        _emit_json(result)
        return
    seconds = result["meta"]["engine"]["seconds"]
    out.print(
        f"census of {len(result['sections'])} sections written to {output_dir}/census.json "
        f"in {seconds} s",
        highlight=False,
    )
    err.print(
        f"render it with: marsad report --census {output_dir}/census.json --out report.html",
        highlight=False,
    )
