"""marsad's heavy stages on Apache Spark, for collections no single machine holds.

The embedded path (DuckDB) is the reference; each stage here is the same
computation on a Spark cluster (PySpark, the ``spark`` extra), run by
``marsad spark SUBCOMMAND --input DIR --output DIR``:

* **input** -- a marsad Parquet export (``marsad export DIR``): one
  ``<table>.parquet`` per table of the store, file or directory of parts,
  and its ``manifest.json`` (:mod:`marsad.spark.io`);
* **output** -- the same layout, so ``marsad import DIR`` takes the results
  back into any workspace (embedded or team store);
* :mod:`marsad.spark.scan` -- the post risk of ``marsad scan``;
* :mod:`marsad.spark.census` -- the census of ``marsad census``, its own SQL
  run on Spark through :mod:`marsad.spark.sql`;
* :mod:`marsad.spark.stages` -- ``lineage``, ``accounts`` and ``network``:
  their queries on Spark, their models and graphs on the driver.

Spark is optional: nothing outside this package imports PySpark, and
:func:`require_pyspark` says how to install it when it is missing.
"""

from __future__ import annotations

from marsad.errors import ConfigError

__all__ = ["require_pyspark"]


def require_pyspark() -> None:
    """Raise a :class:`~marsad.errors.ConfigError` naming the extra when PySpark
    (or the Java it runs on) is missing."""
    import shutil

    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            "marsad spark needs PySpark: pip install 'marsad[spark]' (and Java 17)"
        ) from exc
    import os

    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise ConfigError(
            "marsad spark needs Java 17 for PySpark: apt-get install openjdk-17-jre-headless "
            "(or set JAVA_HOME)"
        )
