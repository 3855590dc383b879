"""The census's own SQL, run on Spark: a DuckDB-connection look-alike.

The census (:mod:`marsad.census`) is about a hundred DuckDB statements over
the store's tables.  Rather than keep a second copy of them for Spark (two
copies drift), :class:`SparkSQL` takes each statement as the census issues it
and runs it on Spark:

* the statement is parsed as DuckDB SQL and written as Spark SQL by
  ``sqlglot`` (a transpiler: functions, casts, ``NULLS LAST`` ordering,
  ``FILTER`` clauses and the like are mapped, the AST checked);
* bound parameters (``?``, ``$1``) become literals *in the AST* -- quoted by
  sqlglot as values, never pasted into SQL text;
* decimal literals (``100.0``) become doubles: DuckDB divides decimals as
  doubles, Spark would keep them decimal (and round them to its scale);
* ``CREATE TEMP TABLE .. AS`` is a cached DataFrame registered as a view
  (computed once: the census reads them many times); ``CREATE TEMP VIEW`` a
  view; ``INSERT INTO`` a temp table is a cached part of it (the table is the
  union of its parts); ``DROP`` drops the view;
  a table of bound lists (``SELECT unnest(?::VARCHAR[]) AS a, ...``) is a
  DataFrame made from the lists; ``duckdb_tables()``/``duckdb_views()``
  lookups are answered from the views made here; ``SET TimeZone`` is the
  session's (always UTC);
* results come back through Arrow as DuckDB's Python types (ints, floats,
  ``date``, UTC-aware ``datetime``).

Spark runs with ANSI mode off, so that a failed cast or an index out of
range is NULL as in DuckDB, not an error.  One difference stays: a division
by zero is NULL on Spark, where DuckDB's ``/`` gives infinity (or NaN); the
census divides only by totals of the rows it reports (not zero when there is
a row) or by ``greatest(n, 1)``, and ``tests/spark`` keeps the difference in
view.  The store's tables are the input export's
(:class:`marsad.spark.io.Export`), with the views ``current_posts`` and
``accounts_now`` of the store's schema.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from marsad.errors import StoreError
from marsad.store.schema import TABLES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from marsad.spark.io import Export

__all__ = ["SparkSQL"]

_VALUES_TABLE = re.compile(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\s+TABLE\s+(\w+)\s+AS\s+SELECT\s+"
    r"((?:unnest\(\?::\w+\[\]\)\s+AS\s+\w+\s*,?\s*)+)$",
    re.IGNORECASE,
)
_VALUES_COLUMN = re.compile(r"unnest\(\?::(\w+)\[\]\)\s+AS\s+(\w+)", re.IGNORECASE)
_TYPES = {"VARCHAR": "STRING", "BOOLEAN": "BOOLEAN", "TIMESTAMPTZ": "TIMESTAMP", "BIGINT": "BIGINT"}


class _Cursor:
    """A result as a DuckDB cursor gives it: rows, one row, or numpy columns."""

    def __init__(self, table: pa.Table | None = None) -> None:
        self._table = table

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self._table is None:
            return []
        columns = [self._table.column(i).to_pylist() for i in range(self._table.num_columns)]
        return [tuple(_value(c[i]) for c in columns) for i in range(self._table.num_rows)]

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def fetchnumpy(self) -> dict[str, Any]:
        if self._table is None:
            return {}
        return {
            name: self._table.column(name).to_numpy(zero_copy_only=False)
            for name in self._table.column_names
        }


class _Rows(_Cursor):
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        super().__init__(None)
        self._rows = rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows


class SparkSQL:
    """Runs DuckDB statements of the census on *spark* over *export* (module docstring)."""

    def __init__(
        self, spark: SparkSession, export: Export | None = None, *, lists: Sequence[str] = ()
    ) -> None:
        self.spark = spark
        spark.conf.set("spark.sql.ansi.enabled", "false")
        #: (the statement's start, seconds) of every statement run
        self.timings: list[tuple[str, float]] = []
        self.temp_tables: set[str] = set()
        self.temp_views: set[str] = set()
        self._cached: dict[str, DataFrame] = {}
        #: the rows each INSERT added to a temp table, cached part by part
        self._parts: dict[str, list[DataFrame]] = {}
        #: the names of list columns (len() of one is its number of elements)
        self.lists: set[str] = set(lists)
        if export is not None:
            self._register(export)

    def _register(self, export: Export) -> None:
        """The export's tables as views, and the store's views over them."""
        from pyspark.sql import functions as F

        from marsad.spark.io import current_posts

        for table in TABLES:
            if export.has(table):
                frame = export.table(table)
                frame.createOrReplaceTempView(table)
                self.lists.update(
                    f.name for f in frame.schema.fields if f.dataType.typeName() == "array"
                )
        posts = export.table("posts")
        current_posts(posts).createOrReplaceTempView("current_posts")
        posters = (
            posts.where(F.col("account_id").isNotNull())
            .select(F.col("platform"), F.col("account_id"))
            .distinct()
        )
        accounts = export.table("accounts")
        status = (
            F.when(
                F.col("a.status").isin("unknown", "active")
                & (F.col("a.observed_at").isNotNull() | F.col("w.account_id").isNotNull()),
                F.lit("active"),
            )
            .otherwise(F.col("a.status"))
            .alias("status")
        )
        # the store's view accounts_now (schema migration 4)
        accounts.alias("a").join(
            posters.alias("w"),
            (F.col("w.platform") == F.col("a.platform"))
            & (F.col("w.account_id") == F.col("a.native_id")),
            "left",
        ).select(
            *[F.col(f"a.{c}") if c != "status" else status for c in accounts.columns]
        ).createOrReplaceTempView("accounts_now")

    # -- the connection's interface ----------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> _Cursor:
        """Run one DuckDB statement (module docstring); its time is kept in :attr:`timings`."""
        started = time.perf_counter()
        try:
            return self._execute(sql, params)
        finally:
            self.timings.append((" ".join(sql.split())[:120], time.perf_counter() - started))

    def slowest(self, n: int = 10) -> list[dict[str, Any]]:
        """The *n* statements that took longest: where a census's time went."""
        ranked = sorted(self.timings, key=lambda t: -t[1])[:n]
        return [{"sql": text, "seconds": round(seconds, 3)} for text, seconds in ranked]

    def cursor(self) -> SparkSQL:
        """This connection (a DuckDB cursor shares its connection's views too)."""
        return self

    def close(self) -> None:
        """Nothing to close: the session belongs to the caller."""

    def _execute(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> _Cursor:
        import sqlglot
        from sqlglot import exp

        text = sql.strip()
        if text.upper().startswith("SET TIMEZONE"):
            return _Cursor()  # the session's time zone is UTC
        named = dict(params) if isinstance(params, Mapping) else {}
        values = [] if named else list(params or [])
        catalog = self._catalog_query(text, values)
        if catalog is not None:
            return _Rows(catalog)
        if self._values_table(text, values):
            return _Cursor()
        try:
            # the newline: sqlglot cannot tokenize a statement that ends in ''
            tree = sqlglot.parse_one(_numbered(text) + "\n", read="duckdb")
        except sqlglot.errors.ParseError as exc:
            raise StoreError(f"cannot read marsad's SQL: {exc}") from exc
        tree = _bind(tree, values, named)
        tree = _doubles(tree)
        tree = _duckdb_functions(tree, self.lists)
        tree = _lateral_aliases(tree, self._columns)
        self._cache_views_read(tree)
        if isinstance(tree, exp.Create):
            self._create(tree)
            return _Cursor()
        if isinstance(tree, exp.Drop):
            name = tree.this.name
            self.spark.catalog.dropTempView(name)
            self._forget(name)
            return _Cursor()
        if isinstance(tree, exp.Insert):
            self._insert(tree)
            return _Cursor()
        return _Cursor(self._fetch(self._sql(_spark(tree))))

    def _columns(self, name: str) -> list[str] | None:
        try:
            return list(self.spark.table(name).columns)
        except Exception:  # noqa: BLE001 - a CTE or subquery name: unknown here
            return None

    def _fetch(self, frame: DataFrame) -> pa.Table:
        """*frame*'s rows on the driver, as Arrow."""
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        try:
            return frame.toArrow()
        except (PySparkException, Py4JError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(
                f"Spark could not bring a result to the driver: {first[:500]} -- a large "
                "one needs more driver memory: --conf spark.driver.memory=... and "
                "--conf spark.driver.maxResultSize=... (docs/spark.md)"
            ) from exc

    def _sql(self, text: str) -> DataFrame:
        from pyspark.errors import PySparkException

        try:
            return self.spark.sql(text)
        except PySparkException as exc:
            raise StoreError(f"Spark refused marsad's SQL: {exc}\n  in: {text}") from exc

    # -- statements --------------------------------------------------------------------
    def _create(self, tree: Any) -> None:
        from pyspark import StorageLevel
        from sqlglot import exp

        kind = str(tree.args.get("kind") or "").upper()
        target = tree.this
        if isinstance(target, exp.Schema):
            # CREATE TABLE t (a VARCHAR, ...): an empty table of those columns
            name = target.this.name
            columns = ", ".join(
                f"`{c.name}` {c.args['kind'].sql(dialect='spark')}" for c in target.expressions
            )
            frame = self.spark.createDataFrame([], columns)
        else:
            name = target.name
            frame = self._sql(_spark(tree.expression))
        self._forget(name)
        if kind == "TABLE":
            frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
            frame.count()
            self._cached[name] = frame
            self.temp_tables.add(name)
        else:
            self.temp_views.add(name)
        frame.createOrReplaceTempView(name)

    def _insert(self, tree: Any) -> None:
        target = tree.this
        name = target.name if hasattr(target, "name") else str(target)
        if name not in self.temp_tables:
            raise StoreError(f"the census on Spark inserts only into its own tables, not {name}")
        # the rows inserted are a cached part of their own, and the table is the
        # union of its parts: a union cached whole would be rebuilt from scratch
        # by each later insert (unpersisting the old union invalidates the new
        # one, built on it) -- at 1M posts the census's 16th outlet-name insert
        # took 48 s against 8 s for the first, each redoing the ones before
        from pyspark import StorageLevel

        base = self._cached[name]
        new = self._sql(_spark(tree.expression)).toDF(*base.columns)
        new = new.persist(StorageLevel.MEMORY_AND_DISK)
        new.count()
        parts = self._parts.setdefault(name, [])
        parts.append(new)
        table = base
        for part in parts:
            table = table.union(part)
        table.createOrReplaceTempView(name)

    def _cache_views_read(self, tree: Any) -> None:
        """Cache each temp view this statement reads, the first time one is read.

        The stages' views (``c_posts``: the posts in scope; ``c_texts``: their
        texts) are read by many statements; DuckDB re-reads a view cheaply,
        Spark recomputes it each time -- ``current_posts`` is a join with a
        shuffle, ``c_texts`` another.  A cached view is computed once, by the
        statement that first reads it (``persist`` is lazy: no extra pass), and
        spills to disk when memory is short.  At 1M posts the census took
        597 s without this (each outlet-name pass re-joined the texts).
        """
        from pyspark import StorageLevel
        from sqlglot import exp

        for table in tree.find_all(exp.Table):
            name = table.name
            if name in self.temp_views and name not in self._cached:
                frame = self.spark.table(name).persist(StorageLevel.MEMORY_AND_DISK)
                frame.createOrReplaceTempView(name)
                self._cached[name] = frame

    def _forget(self, name: str) -> None:
        frame = self._cached.pop(name, None)
        if frame is not None:
            frame.unpersist()
        for part in self._parts.pop(name, []):
            part.unpersist()
        self.temp_tables.discard(name)
        self.temp_views.discard(name)

    def _values_table(self, text: str, values: list[Any]) -> bool:
        """``CREATE TEMP TABLE t AS SELECT unnest(?::T[]) AS a, ...``: a
        DataFrame of the bound lists (Spark explodes one list per SELECT)."""
        found = _VALUES_TABLE.match(text)
        if found is None:
            return False
        columns = [
            (m.group(2), _TYPES.get(m.group(1).upper(), "STRING"))
            for m in _VALUES_COLUMN.finditer(found.group(2))
        ]
        if len(values) != len(columns):
            raise StoreError(f"{len(columns)} columns but {len(values)} lists: {text[:80]}")
        lists = [list(v) for v in values]
        n = max((len(v) for v in lists), default=0)
        rows = [tuple(v[i] if i < len(v) else None for v in lists) for i in range(n)]
        schema = ", ".join(f"`{c}` {t}" for c, t in columns)
        frame = self.spark.createDataFrame(rows, schema)
        name = found.group(1)
        self._forget(name)
        frame.createOrReplaceTempView(name)
        self._cached[name] = frame
        self.temp_tables.add(name)
        return True

    def _catalog_query(self, text: str, values: list[Any]) -> list[tuple[Any, ...]] | None:
        """Answers to the census's ``duckdb_tables()`` / ``duckdb_views()`` lookups."""
        lower = text.lower()
        if "duckdb_tables" not in lower and "duckdb_views" not in lower:
            return None
        if "not temporary" in lower:
            # stored tables among a list (the rollups): an export has none of them
            return []
        name = values[0] if values else None
        out: list[tuple[Any, ...]] = []
        if name in self.temp_tables:
            out.append(("TABLE",))
        if name in self.temp_views:
            out.append(("VIEW",))
        return out


def _numbered(text: str) -> str:
    """*text* with its ``?`` placeholders numbered (``$1``, ``$2``, ...): sqlglot
    reads ``$n`` everywhere, ``?`` not in every place (``?::VARCHAR[]``)."""
    from sqlglot import TokenType
    from sqlglot.dialects.duckdb import DuckDB

    tokens = [
        t
        for t in DuckDB().tokenize(text)
        if t.token_type in (TokenType.PLACEHOLDER, TokenType.QDCOLON) and t.text.startswith("?")
    ]
    if not tokens or "$" in text:
        return text
    out, at = [], 0
    for n, token in enumerate(tokens, 1):
        out.append(text[at : token.start])
        out.append(f"${n}" + ("::" if token.token_type == TokenType.QDCOLON else ""))
        at = token.end + 1
    out.append(text[at:])
    return "".join(out)


def _value(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, dict):
        return tuple(v.values())
    return v


def _spark(tree: Any) -> str:
    return str(tree.sql(dialect="spark"))


def _literal(value: Any) -> Any:
    from sqlglot import exp

    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(repr(value) if isinstance(value, float) else str(value))
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return exp.Cast(
            this=exp.Literal.string(value.isoformat(sep=" ")), to=exp.DataType.build("TIMESTAMP")
        )
    if isinstance(value, dt.date):
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[_literal(v) for v in value])
    return exp.Literal.string(str(value))


def _bind(tree: Any, values: list[Any], named: Mapping[str, Any] | None = None) -> Any:
    """*tree* with its placeholders (``?`` in order, ``$n`` by number, ``$name``
    by name from *named*) replaced by literals of *values*."""
    from sqlglot import exp

    named = named or {}
    if not values and not named:
        return tree
    position = iter(range(len(values)))

    def replace(node: Any) -> Any:
        if isinstance(node, exp.Placeholder | exp.Parameter) and node.name in named:
            return _literal(named[node.name])
        if isinstance(node, exp.Placeholder):
            label = node.name
            if label and label.isdigit():
                return _literal(values[int(label) - 1])
            return _literal(values[next(position)])
        if isinstance(node, exp.Parameter):
            label = node.name
            if label.isdigit():
                return _literal(values[int(label) - 1])
        return node

    return tree.transform(replace)


def _doubles(tree: Any) -> Any:
    """Decimal literals as doubles (module docstring)."""
    from sqlglot import exp

    def replace(node: Any) -> Any:
        if isinstance(node, exp.Literal) and not node.is_string and "." in node.this:
            return exp.Cast(this=node.copy(), to=exp.DataType.build("DOUBLE"))
        return node

    return tree.transform(replace)


def _duckdb_functions(tree: Any, lists: set[str]) -> Any:
    """DuckDB functions sqlglot does not map, in Spark's terms:
    ``make_timestamp(epoch_us(t))`` (the UTC time as a plain timestamp: the
    session's time zone is UTC, so *t* itself); ``quantile_cont(x, q)``
    (``percentile(x, q)``: exact, interpolated linearly, as DuckDB's);
    ``date_diff('day', a, b)`` (midnights crossed: ``datediff`` of the dates);
    ``round(x, n)`` (as DuckDB rounds a double: ``round(x * 10^n) / 10^n``);
    ``epoch_us`` (``unix_micros``); ``list[i]`` (``element_at``, 1-based alike); ``list_has_any`` (``arrays_overlap``); ``len`` of a list column of *lists*
    (``size``)."""
    from sqlglot import exp

    def name(node: Any) -> str:
        return str(node.name).lower() if isinstance(node, exp.Anonymous) else ""

    def replace(node: Any) -> Any:
        if isinstance(node, exp.UnixToTime) and name(node.this) == "epoch_us":
            return node.this.expressions[0].copy()
        if isinstance(node, exp.UnixToTime) and node.args.get("scale") is None:
            # to_timestamp(seconds): Spark's from_unixtime formats whole seconds
            return exp.Anonymous(this="timestamp_seconds", expressions=[node.this.copy()])
        if isinstance(node, exp.TimeToUnix):
            # epoch(t): seconds with the fraction (Spark's unix_timestamp drops it)
            micros = exp.Anonymous(this="unix_micros", expressions=[node.this.copy()])
            scale = exp.Cast(this=exp.Literal.number("1000000"), to=exp.DataType.build("DOUBLE"))
            return exp.Paren(this=exp.Div(this=micros, expression=scale))
        if name(node) == "to_hours" and len(node.expressions) == 1:
            hours = exp.Cast(this=node.expressions[0].copy(), to=exp.DataType.build("INT"))
            return exp.Anonymous(
                this="make_dt_interval", expressions=[exp.Literal.number("0"), hours]
            )
        if isinstance(node, exp.Tuple) and isinstance(node.parent, exp.ArgMax | exp.ArgMin):
            # arg_max(x, (a, b)): the key compared as a row, a struct in Spark
            return exp.Struct(expressions=[e.copy() for e in node.expressions])
        if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
            return _ordered_list(node.this)
        if name(node) == "epoch_us" and len(node.expressions) == 1:
            return exp.Anonymous(this="unix_micros", expressions=[node.expressions[0].copy()])
        if (
            isinstance(node, exp.Length)
            and isinstance(node.this, exp.Column)
            and node.this.name in lists
        ):
            # len(list): its elements (Spark's length() is a string's)
            return exp.Anonymous(this="size", expressions=[node.this.copy()])
        if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
            # list[i]: 1-based in DuckDB, as Spark's element_at (its [i] is 0-based)
            index = exp.Cast(this=node.expressions[0].copy(), to=exp.DataType.build("INT"))
            return exp.Anonymous(this="element_at", expressions=[node.this.copy(), index])
        if (
            isinstance(node, exp.DateDiff)
            and node.args.get("date_part_boundary")
            and str(node.args.get("unit") or "").upper() in ("DAY", "'DAY'")
        ):
            # date_diff('day', a, b) counts midnights crossed; Spark's
            # DATEDIFF(DAY, a, b) whole days: the two-argument datediff of dates
            return exp.Anonymous(
                this="datediff",
                expressions=[
                    exp.Cast(this=node.this.copy(), to=exp.DataType.build("DATE")),
                    exp.Cast(this=node.expression.copy(), to=exp.DataType.build("DATE")),
                ],
            )
        decimals = node.args.get("decimals") if isinstance(node, exp.Round) else None
        if isinstance(decimals, exp.Literal) and not decimals.is_string:
            n = int(decimals.this)
            if n > 0:
                # DuckDB rounds a double as round(x * 10^n) / 10^n: 2.175 (2.17499..
                # in binary) gives 2.17; Spark rounds the shortest decimal ("2.175")
                # half up, 2.18.  Rounded to a whole number first, both agree.
                scale = exp.Cast(
                    this=exp.Literal.number(str(10**n)), to=exp.DataType.build("DOUBLE")
                )
                whole = exp.Round(
                    this=exp.Mul(this=exp.Paren(this=node.this.copy()), expression=scale),
                    decimals=exp.Literal.number("0"),
                )
                return exp.Paren(this=exp.Div(this=whole, expression=scale.copy()))
        if isinstance(node, exp.ArrayOverlaps):
            # list_has_any(a, b): sqlglot writes DuckDB's operator, Spark has the function
            return exp.Anonymous(
                this="arrays_overlap", expressions=[node.this.copy(), node.expression.copy()]
            )
        if isinstance(node, exp.PercentileCont) and node.expression is not None:
            # quantile_cont(x, q): Spark's exact percentile interpolates alike
            return exp.Anonymous(
                this="percentile", expressions=[node.this.copy(), node.expression.copy()]
            )
        return node

    return _bottom_up(tree, replace)


def _ordered_list(order: Any) -> Any:
    """``list(v ORDER BY k1, k2 ..)`` as Spark has it: the collected structs of
    the keys and the value, sorted, then the values (``collect_list`` keeps no
    order).  Keys of one direction only; like ``collect_list``, NULL values are
    left out (DuckDB's ``list`` keeps them)."""
    from sqlglot import exp

    keys = list(order.expressions)
    descending = {bool(k.args.get("desc")) for k in keys}
    if len(descending) != 1:
        raise StoreError("list(.. ORDER BY ..) with mixed directions is not mapped to Spark")
    fields = [
        exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=k.this.copy())
        for i, k in enumerate(keys)
    ]
    fields.append(exp.PropertyEQ(this=exp.to_identifier("v"), expression=order.this.copy()))
    collected = exp.Anonymous(
        this="collect_list",
        expressions=[exp.Anonymous(this="named_struct", expressions=_named(fields))],
    )
    ordered = exp.Anonymous(
        this="sort_array", expressions=[collected, exp.Boolean(this=not descending.pop())]
    )
    element = exp.to_identifier("e")
    return exp.Anonymous(
        this="transform",
        expressions=[
            ordered,
            exp.Lambda(
                this=exp.Dot(this=exp.column("e"), expression=exp.to_identifier("v")),
                expressions=[element],
            ),
        ],
    )


def _named(fields: list[Any]) -> list[Any]:
    from sqlglot import exp

    out: list[Any] = []
    for f in fields:
        out += [exp.Literal.string(f.this.name), f.expression]
    return out


def _lateral_aliases(tree: Any, columns_of: Any) -> Any:
    """An alias of a SELECT used inside a window function by a later
    expression of the same SELECT (``sum(x) AS n, 100.0 * n / sum(n) OVER ()``:
    DuckDB allows it, Spark not in a window) replaced by the aliased
    expression -- unless a table of the FROM has a column of that name, which
    both engines read instead.  Elsewhere Spark resolves such aliases itself.
    *columns_of* gives a relation's column names (None: unknown)."""
    from sqlglot import exp

    for select in list(tree.find_all(exp.Select)):
        sources: set[str] = set()
        for table in select.find_all(exp.Table):
            if table.parent_select is not select:
                continue
            alias = table.args.get("alias")
            listed = [c.name for c in alias.columns] if alias is not None and alias.columns else []
            sources.update(listed or (columns_of(table.name) or ()))
        defined: dict[str, Any] = {}
        projections = []
        for projection in select.expressions:
            if defined:
                known = {k: v for k, v in defined.items() if k not in sources}

                def inline(node: Any, known: dict[str, Any] = known) -> Any:
                    if (
                        isinstance(node, exp.Column)
                        and not node.table
                        and node.name in known
                        and node.find_ancestor(exp.Window) is not None
                    ):
                        return exp.Paren(this=known[node.name].copy())
                    return node

                projection = projection.transform(inline)
            if isinstance(projection, exp.Alias):
                defined[projection.alias] = projection.this
            projections.append(projection)
        select.set("expressions", projections)
    return tree


def _bottom_up(tree: Any, replace: Any) -> Any:
    """*tree* with *replace* applied to every node, children before their parent
    (a rewrite that copies a child gets the child already rewritten)."""
    nodes = list(tree.walk(bfs=False))
    for node in reversed(nodes):
        new = replace(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree
