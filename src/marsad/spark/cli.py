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

from marsad.accounts.cli import link_options
from marsad.cli.census import CENSUS_SECTIONS, census_filter, census_options
from marsad.cli.common import _emit_json, _run, err, json_option, out
from marsad.network.cli import analysis_options

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


def _in_session(master: str | None, conf: tuple[str, ...], work: Any) -> Any:
    """*work(spark)* in the session of *master* and *conf*; a session this
    command started is stopped after (spark-submit's is left to it)."""
    from marsad.spark.io import parse_conf, session

    spark_ = session(master, parse_conf(conf))
    try:
        return work(spark_)
    finally:
        if master:
            spark_.stop()


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
        from marsad.spark.scan import spark_scan

        return _in_session(
            master,
            conf,
            lambda s: spark_scan(
                s,
                input_dir,
                output_dir,
                model=str(model_path) if model_path else None,
                indicators=str(indicators_file) if indicators_file else None,
            ),
        )

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

        flt, registry = census_filter(opts)
        return _in_session(
            master,
            conf,
            lambda s: spark_census(
                s,
                input_dir,
                flt,
                outlets=registry,
                sections=sections,
                headline=headline,
                output_dir=output_dir,
            ),
        )

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


@spark.command("lineage")
@_input
@_output
@_master
@_conf
@click.option("--platform", default=None, help="Only this platform (default: every one).")
@link_options
@json_option
def lineage(
    input_dir: str,
    output_dir: str,
    master: str | None,
    conf: tuple[str, ...],
    platform: str | None,
    threshold: float | None,
    model_path: Path | None,
    as_json: bool,
) -> None:
    """The links of marsad lineage: the store's queries run on Spark, blocking,
    pair scoring and assignment on the driver (docs/spark.md). OUTPUT holds the
    links as detections (marsad import replaces the workspace's last links) and
    lineage.json, what marsad lineage --json prints.

    \b
    Example:
      marsad spark lineage --input /data/export --output /data/lineage --master 'local[2]'
      marsad import /data/lineage
    """

    def go() -> Any:
        from marsad.accounts.lineage_model import LineagePairModel
        from marsad.spark.stages import spark_lineage

        model = LineagePairModel.load(model_path) if model_path else None
        return _in_session(
            master,
            conf,
            lambda s: spark_lineage(
                s, input_dir, output_dir, platform=platform, threshold=threshold, model=model
            ),
        )

    result = _run(go)
    if as_json:
        _emit_json(result)
        return
    counts, engine = result["counts"], result["engine"]
    out.print(
        f"{counts['links']:,} links in {counts['families']:,} families from "
        f"{counts['successors_considered']:,} new and {counts['predecessors_considered']:,} "
        f"suspended accounts ({counts['pairs_scored']:,} pairs) written to {output_dir} in "
        f"{engine['seconds']} s ({engine['spark_seconds']} s on Spark)",
        highlight=False,
    )
    err.print(f"import them with: marsad import {output_dir}", highlight=False)


@spark.command("accounts")
@_input
@_output
@_master
@_conf
@click.option("--platform", default=None, help="Only this platform (default: every one).")
@click.option(
    "--seeds",
    "seeds_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Labelled accounts to expand from (platform:id per line; default: from the content).",
)
@click.option(
    "--model",
    "account_model",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="An account model file (default: the packaged one).",
)
@click.option(
    "--top", type=click.IntRange(min=1), default=20, show_default=True, help="Accounts in the JSON."
)
@json_option
def accounts(
    input_dir: str,
    output_dir: str,
    master: str | None,
    conf: tuple[str, ...],
    platform: str | None,
    seeds_file: Path | None,
    account_model: Path | None,
    top: int,
    as_json: bool,
) -> None:
    """The account scores of marsad accounts (lineage links included): the
    store's queries on Spark, the features' model and the graph (PageRank,
    Leiden) on the driver. OUTPUT holds the scores as detections (marsad import
    replaces the workspace's last scores) and accounts.json.

    \b
    Example:
      marsad spark accounts --input /data/export --output /data/accounts
      marsad import /data/accounts
    """

    def go() -> Any:
        from marsad.accounts.score import AccountModel
        from marsad.cli.accounts import read_seeds
        from marsad.spark.stages import spark_accounts

        seeds = read_seeds(seeds_file) if seeds_file else None
        model = AccountModel.load(account_model) if account_model else None
        return _in_session(
            master,
            conf,
            lambda s: spark_accounts(
                s, input_dir, output_dir, platform=platform, seeds=seeds, model=model, top=top
            ),
        )

    result = _run(go)
    if as_json:
        _emit_json(result)
        return
    engine = result["engine"]
    out.print(
        f"{result['flagged']:,} of {result['accounts']:,} accounts flagged on evidence "
        f"(threshold {result['threshold']:.3f}), written to {output_dir} in {engine['seconds']} s "
        f"({engine['spark_seconds']} s on Spark)",
        highlight=False,
    )
    err.print(f"import them with: marsad import {output_dir}", highlight=False)


@spark.command("network")
@_input
@_output
@_master
@_conf
@click.option("--platform", default=None, help="Only this platform's accounts (x, telegram, ...).")
@analysis_options
@click.option(
    "--export",
    "export",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the annotated graph to FILE (.graphml or .gexf), from the driver.",
)
@click.option(
    "--edges-only",
    is_flag=True,
    help="Only the collapsed interaction edges (on Spark): for a graph no driver holds.",
)
@click.option("--top", type=click.IntRange(1), default=10, show_default=True, help="Rows per list.")
@json_option
def network(
    input_dir: str,
    output_dir: str,
    master: str | None,
    conf: tuple[str, ...],
    platform: str | None,
    coordination_window: float,
    resolution: float,
    coactivity: tuple[str, ...],
    export: Path | None,
    edges_only: bool,
    top: int,
    as_json: bool,
) -> None:
    """The network of marsad network: OUTPUT/interactions.parquet (the collapsed,
    weighted interaction edges, on Spark) and OUTPUT/network.json (communities,
    centrality, roles, coordination and outlinks; the graph on the driver).

    \b
    Example:
      marsad spark network --input /data/export --output /data/network --coactivity hashtag
      marsad spark network --input s3a://bucket/export --output s3a://bucket/net --edges-only
    """

    def go() -> Any:
        from marsad.spark.stages import spark_network

        return _in_session(
            master,
            conf,
            lambda s: spark_network(
                s,
                input_dir,
                output_dir,
                platform=platform,
                coordination_window=coordination_window,
                resolution=resolution,
                coactivity=coactivity,
                export=export,
                top=top,
                edges_only=edges_only,
            ),
        )

    result = _run(go)
    if as_json:
        _emit_json(result)
        return
    engine = result["engine"]
    line = f"{result['interactions']['edges']:,} collapsed interaction edges"
    if not edges_only:
        line += (
            f"; a graph of {result['nodes']:,} accounts and {result['edges']:,} edges in "
            f"{result['communities']['count']:,} communities"
        )
    out.print(
        f"{line}; written to {output_dir} in {engine['seconds']} s "
        f"({engine['spark_seconds']} s on Spark)",
        highlight=False,
    )
