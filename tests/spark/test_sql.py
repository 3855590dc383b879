"""Each DuckDB construct the census uses, run by DuckDB and by
:class:`marsad.spark.sql.SparkSQL`: the same answers, including where a plain
transpilation would give another one (rounding, day differences, list
indexing, quantiles, list length)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

pytestmark = pytest.mark.slow

SETUP = [
    (
        "CREATE TEMP TABLE t AS SELECT unnest(?::VARCHAR[]) AS k, unnest(?::BIGINT[]) AS a, "
        "unnest(?::BIGINT[]) AS b, unnest(?::TIMESTAMPTZ[]) AS t0, unnest(?::TIMESTAMPTZ[]) AS t1",
        [
            ["x", "y", "z", "x", None],
            [87, 1, 3, 0, 5],
            [40, 3, 0, 7, 2],
            [datetime(2015, 1, 1, 23, 0, tzinfo=UTC)] * 4 + [None],
            [
                datetime(2015, 1, 2, 1, 0, tzinfo=UTC),  # 2 hours, one midnight
                datetime(2015, 1, 2, 22, 59, tzinfo=UTC),
                datetime(2015, 3, 1, 0, 0, tzinfo=UTC),
                datetime(2014, 12, 31, 0, 0, tzinfo=UTC),
                None,
            ],
        ],
    ),
    (
        "CREATE TEMP TABLE l AS SELECT ['a', 'b'] AS tags UNION ALL SELECT ['c'] UNION ALL SELECT []",
        [],
    ),
]

QUERIES: list[tuple[str, str, Any]] = [
    (
        "round of a half in binary",
        "SELECT round(100.0 * a / b, 2) FROM t WHERE k = 'x' AND a = 87",
        [],
    ),
    ("round, many", "SELECT k, round(100.0 * a / greatest(b, 1), 1) FROM t ORDER BY k, a", []),
    ("midnights crossed", "SELECT k, date_diff('day', t0, t1) FROM t ORDER BY k, a", []),
    (
        "epoch microseconds",
        "SELECT (epoch_us(t1) - epoch_us(t0)) / 86400e6 FROM t ORDER BY k, a",
        [],
    ),
    ("1-based list index", "SELECT ['zero', 'one', 'two'][a % 3 + 1] FROM t ORDER BY k, a", []),
    ("exact quantiles", "SELECT quantile_cont(a::DOUBLE, [0.1, 0.5, 0.9]), median(b) FROM t", []),
    ("list length", "SELECT len(tags) FROM l ORDER BY len(tags)", []),
    ("list overlap", "SELECT count(*) FROM l WHERE list_has_any(tags, ?)", [["b", "q"]]),
    (
        "an alias in a window",
        "SELECT k, sum(a) AS n, round(100.0 * n / sum(n) OVER (), 2) FROM t "
        "WHERE k IS NOT NULL GROUP BY k ORDER BY n DESC, k",
        [],
    ),
    (
        "filtered aggregates and arg_max",
        "SELECT count(*) FILTER (WHERE a > 1), arg_max(k, a) FILTER (WHERE t1 <= $1) FROM t",
        [datetime(2015, 2, 1, tzinfo=UTC)],
    ),
    ("NULLs sort last", "SELECT k FROM t ORDER BY k", []),
    # the account stages' constructs (marsad spark lineage | accounts | network)
    (
        "epoch and to_timestamp keep the fraction",
        "SELECT epoch(t1), epoch(to_timestamp(epoch(t0) + 0.25)) FROM t ORDER BY k, a",
        [],
    ),
    (
        "named parameters and to_hours",
        "SELECT count(*) FROM t WHERE t1 < t0 + to_hours(CAST($hours AS BIGINT)) AND k <> $k",
        {"hours": 3, "k": "y"},
    ),
    (
        "a row as the key of arg_max",
        "SELECT arg_max(k, (a, k)) FROM (SELECT k, a % 2 AS a FROM t WHERE k IS NOT NULL)",
        [],
    ),
    (
        "an ordered list",
        "SELECT list(k ORDER BY a DESC), list(a ORDER BY t1, a) FROM t WHERE k IS NOT NULL",
        [],
    ),
    (
        "a statement ending in an empty string",
        "SELECT count(*) FROM t WHERE k <> ''",
        [],
    ),
    (
        "periods",
        "SELECT CAST(date_trunc('month', t1) AS DATE) m, count(*) FROM t GROUP BY m ORDER BY m",
        [],
    ),
]


@pytest.fixture(scope="module")
def engines(spark: Any) -> tuple[Any, Any]:
    from marsad.spark.sql import SparkSQL

    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'UTC'")
    ours = SparkSQL(spark, lists=["tags"])
    for sql, params in SETUP:
        duck.execute(sql, params)
        ours.execute(sql, params)
    return duck, ours


@pytest.mark.parametrize(("name", "sql", "params"), QUERIES, ids=[q[0] for q in QUERIES])
def test_the_same_answer_as_duckdb(
    engines: tuple[Any, Any], name: str, sql: str, params: Any
) -> None:
    duck, ours = engines
    expected = [tuple(r) for r in duck.execute(sql, params).fetchall()]
    got = ours.execute(sql, params).fetchall()
    assert got == expected, name


def test_a_statement_spark_refuses_names_itself(engines: tuple[Any, Any]) -> None:
    from marsad.errors import StoreError

    _, ours = engines
    with pytest.raises(StoreError, match="no_such_table"):
        ours.execute("SELECT count(*) FROM no_such_table")
    assert any(t[0].endswith("no_such_table") for t in ours.timings)


def test_division_by_zero_is_the_one_known_difference(engines: tuple[Any, Any]) -> None:
    """DuckDB's ``/`` gives infinity, Spark NULL: the census guards its
    denominators, so this never reaches a figure (module docstring of
    marsad.spark.sql).  Should either engine change, this says so."""
    duck, ours = engines
    sql = "SELECT a / b FROM t WHERE b = 0"
    assert duck.execute(sql).fetchall() == [(float("inf"),)]
    assert ours.execute(sql).fetchall() == [(None,)]


def test_an_insert_computes_only_its_own_rows(spark: Any) -> None:
    """Rows inserted into a temp table are computed once: a later insert does
    not redo the earlier ones (a cached union rebuilt at every insert made the
    census's outlet-name passes quadratic)."""
    from marsad.spark.sql import SparkSQL

    calls = spark.sparkContext.accumulator(0)

    def probe(x: Any) -> Any:
        calls.add(1)
        return x

    spark.udf.register("marsad_probe", probe, "bigint")
    ours = SparkSQL(spark)
    ours.execute("CREATE TEMP TABLE src AS SELECT unnest(?::BIGINT[]) AS x", [list(range(50))])
    ours.execute("CREATE OR REPLACE TEMP TABLE dst (x BIGINT)")
    for k in range(4):
        ours.execute("INSERT INTO dst SELECT marsad_probe(x) FROM src WHERE x % 4 = ?", [k])
    assert ours.execute("SELECT count(*), sum(x) FROM dst").fetchall() == [(50, sum(range(50)))]
    assert calls.value == 50


def test_a_result_too_large_for_the_driver_says_what_to_set(engines: tuple[Any, Any]) -> None:
    """Spark refuses results over ``spark.driver.maxResultSize`` (1 GB by
    default); the message names the settings, not a Java stack."""
    from pyspark.errors import PySparkException

    from marsad.errors import StoreError

    class TooLarge:
        def toArrow(self) -> Any:  # noqa: N802 - PySpark's name
            raise PySparkException(
                "Total size of serialized results of 3 tasks (1030.0 MiB) is bigger than "
                "spark.driver.maxResultSize (1024.0 MiB)\n\tat org.apache.spark..."
            )

    _, ours = engines
    with pytest.raises(StoreError, match=r"maxResultSize \(1024.0 MiB\) -- a large one") as err:
        ours._fetch(TooLarge())
    assert "org.apache" not in str(err.value)
