"""Between marsad's store and Spark: the session, the export read as DataFrames,
results written as an export ``marsad import`` takes.

**The layout** is ``marsad export DIR``'s (:mod:`marsad.store.exchange`):
``DIR/manifest.json`` (``{"marsad_export": 1, "schema_version": N, "rows":
{...}}``) and one ``DIR/<table>.parquet`` per table -- a single file as the
embedded store writes it, or a directory of parts as Spark writes it (both
are read by Spark and by ``marsad import``).  The columns and their types
are the store's (:mod:`marsad.store.schema`); nothing is renamed, so this
module only checks the manifest, opens tables, and writes them back.

**The session** (:func:`session`): ``--master`` when given (``local[2]``,
``spark://...``, ``yarn``, ``k8s://...``), else whatever ``spark-submit``
set; every ``--conf key=value`` passed on; the session's time zone is UTC
(the store's times are UTC instants) and Spark's UI is off unless a conf
turns it on.  Under ``local[...]`` the Python workers are this interpreter
and the driver binds to 127.0.0.1 (``SPARK_LOCAL_IP``) unless told otherwise;
shuffles go into two partitions a core (``spark.sql.shuffle.partitions``;
Spark's default of 200 is for clusters).

**pandas.** marsad hands Spark Arrow batches (``mapInArrow``) and never
pandas frames, so any pandas works; PySpark 4.3 still warns, whenever pandas
3 is importable, that it "does not yet fully support pandas >= 3.0.0" -- a
warning about code marsad does not use, filtered here (and only that one).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marsad.errors import ConfigError, WorkspaceError
from marsad.spark import require_pyspark
from marsad.store.schema import SCHEMA_VERSION, TABLES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "Export",
    "current_posts",
    "parse_conf",
    "session",
    "write_export",
    "write_json",
]

#: what marsad sets unless a --conf says otherwise
_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "5000",
}


def parse_conf(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``key=value`` pairs (``--conf``) as a mapping; a pair without ``=`` is refused."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--conf {pair!r}: expected key=value")
        out[key.strip()] = value
    return out


def session(
    master: str | None = None, conf: Mapping[str, str] | None = None, app: str = "marsad"
) -> SparkSession:
    """The Spark session marsad runs on (module docstring)."""
    require_pyspark()
    import warnings

    from pyspark.sql import SparkSession

    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )

    builder = SparkSession.builder.appName(app)
    if master:
        builder = builder.master(master)
    settings = {**_DEFAULTS, **dict(conf or {})}
    if (master or "").startswith("local"):
        # shuffles into two partitions a core, not Spark's 200: on one machine
        # the census took 60 s at 2 per core against 142 s at 200 (BENCHMARKS.md)
        settings.setdefault("spark.sql.shuffle.partitions", str(2 * _local_cores(master or "")))
        # the executors' Python is the driver's: the same marsad, models and numpy
        settings.setdefault("spark.pyspark.python", sys.executable)
        settings.setdefault("spark.pyspark.driver.python", sys.executable)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("MARSAD_SPARK_LOG", "WARN"))
    return spark


def _local_cores(master: str) -> int:
    """The cores of ``local``, ``local[N]`` or ``local[*]``."""
    if "[" not in master:
        return 1  # "local": one thread
    inside = master.partition("[")[2].partition("]")[0].partition(",")[0].strip()
    if inside.isdigit():
        return max(int(inside), 1)
    return (os.cpu_count() or 1) if inside == "*" else 1


class Export:
    """A marsad Parquet export (or a store's Parquet data in that layout) opened
    on *spark*: its manifest checked, each table a DataFrame (:meth:`table`)."""

    def __init__(self, spark: SparkSession, directory: str | os.PathLike[str]) -> None:
        self.spark = spark
        self.directory = str(directory)
        self.manifest = self._manifest()

    def _manifest(self) -> dict[str, Any]:
        local = Path(self.directory)
        if "://" in self.directory and not self.directory.startswith("file:"):
            # object storage (s3a://, gs://, abfs://): Spark reads the manifest
            text = "\n".join(
                r.value for r in self.spark.read.text(f"{self.directory}/manifest.json").collect()
            )
        else:
            path = local / "manifest.json"
            if not path.is_file():
                raise WorkspaceError(
                    f"{self.directory} is not a marsad Parquet export (no manifest.json): "
                    "make one with marsad export DIR"
                )
            text = path.read_text(encoding="utf-8")
        try:
            meta: dict[str, Any] = json.loads(text)
        except ValueError as exc:
            raise WorkspaceError(f"{self.directory}/manifest.json: not JSON ({exc})") from exc
        version = int(meta.get("schema_version", 0))
        if meta.get("marsad_export") != 1 or version < 1:
            raise WorkspaceError(f"{self.directory}/manifest.json: not a marsad export manifest")
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"{self.directory}: export schema {version} is newer than this marsad "
                f"({SCHEMA_VERSION})"
            )
        return meta

    def path(self, table: str) -> str:
        if table not in TABLES:
            raise ConfigError(f"unknown table {table!r}")
        return f"{self.directory}/{table}.parquet"

    def has(self, table: str) -> bool:
        rows = self.manifest.get("rows") or {}
        if table in rows:
            return True
        return Path(self.path(table)).exists()

    def table(self, table: str) -> DataFrame:
        """Table *table* of the export as a DataFrame (the store's columns)."""
        if not self.has(table):
            raise WorkspaceError(f"{self.directory} holds no {table} table")
        return self.spark.read.parquet(self.path(table))


def current_posts(posts: DataFrame) -> DataFrame:
    """The store's ``current_posts`` view on Spark (schema migration 3): each
    post, or of an edited post only its highest ``edit_seq`` (a version 0
    whose root has later versions is not current)."""
    from pyspark.sql import functions as F

    latest = (
        posts.where((F.col("edit_seq") > 0) & F.col("edit_root_id").isNotNull())
        .groupBy("platform", "edit_root_id")
        .agg(F.max("edit_seq").alias("_latest_seq"))
    )
    joined = posts.join(latest, on=["platform", "edit_root_id"], how="left")
    return joined.where(
        F.col("_latest_seq").isNull() | (F.col("edit_seq") == F.col("_latest_seq"))
    ).drop("_latest_seq")


def write_export(
    frames: Mapping[str, DataFrame],
    directory: str | os.PathLike[str],
    *,
    extra: Mapping[str, Any] | None = None,
    replaces: Sequence[Mapping[str, Any]] = (),
) -> dict[str, int]:
    """Write *frames* (table name -> DataFrame with that table's columns) as an
    export ``marsad import`` takes: ``<table>.parquet`` directories and the
    manifest, written last (a run that fails leaves no manifest, so nothing
    imports half a result).  *replaces* goes into the manifest: the detectors
    (``{"detector": .., "platforms": [..] or None}``) whose rows an import
    removes first (:data:`marsad.store.exchange.REPLACEABLE`).  Returns rows per table."""
    out = str(directory)
    local = "://" not in out or out.startswith("file:")
    if local:
        Path(out).mkdir(parents=True, exist_ok=True)
        stale = Path(out) / "manifest.json"
        if stale.exists():
            stale.unlink()
    rows: dict[str, int] = {}
    for table, frame in frames.items():
        if table not in TABLES:
            raise ConfigError(f"unknown table {table!r}")
        target = f"{out}/{table}.parquet"
        frame.write.mode("overwrite").parquet(target)
        rows[table] = int(frame.sparkSession.read.parquet(target).count())
    manifest: dict[str, Any] = {"marsad_export": 1, "schema_version": SCHEMA_VERSION, "rows": rows}
    if replaces:
        manifest["replaces"] = [dict(r) for r in replaces]
    if extra:
        manifest["spark"] = dict(extra)
    text = json.dumps(manifest, indent=2, sort_keys=True)
    if local:
        tmp = Path(out) / "manifest.json.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(Path(out) / "manifest.json")
    else:
        spark = next(iter(frames.values())).sparkSession
        spark.createDataFrame([(text,)], "value string").coalesce(1).write.mode("overwrite").text(
            f"{out}/manifest.json"
        )
    return rows


def write_json(
    spark: SparkSession, directory: str | os.PathLike[str], name: str, value: Any
) -> str:
    """*value* as JSON in ``DIRECTORY/NAME`` (a local directory: written whole,
    then renamed; object storage: through Spark); returns its path."""
    out = str(directory)
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    if "://" not in out or out.startswith("file:"):
        folder = Path(out.removeprefix("file:"))
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(folder / name)
        return str(folder / name)
    target = f"{out}/{name}"
    spark.createDataFrame([(text,)], "value string").coalesce(1).write.mode("overwrite").text(
        target
    )
    return target
