"""From a census table to the series one of its charts draws.

A :class:`~marsad.census.result.Chart` names the table's x column and its y
columns.  Without ``group`` each y column is a series (wide form); with
``group`` each distinct value of that column is a series of the first y column
(long form: one row per x and group).  This module lines every series up on
one x axis, keeps the ``max_series`` largest, and works out the axis labels;
:mod:`marsad.report.svg` only draws what it gets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from marsad.census.result import CensusTable, Chart, ChartKind, Column
from marsad.report.i18n import format_value, is_numeric, pick, unit_label

__all__ = ["MAX_CATEGORIES", "ChartData", "Series", "XMode", "chart_data"]

XMode = Literal["time", "number", "category"]

#: at most this many bars (or groups of bars) in a bar chart.  Past about thirty
#: labels a bar chart stops being readable; the census sorts top-N tables, so the
#: first rows are the largest, and the full table is still on the page and in the CSV.
MAX_CATEGORIES = 30

_TIME = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?")
_TIME_UNITS = ("date", "month", "week")


@dataclass(frozen=True)
class Series:
    """One line, bar colour or area: a value (or ``None``) per x, and an optional band."""

    name: str
    values: tuple[float | None, ...]
    lower: tuple[float | None, ...] | None = None
    upper: tuple[float | None, ...] | None = None

    @property
    def total(self) -> float:
        return sum(v for v in self.values if v is not None)

    @property
    def points(self) -> int:
        return sum(v is not None for v in self.values)

    def head(self, n: int) -> Series:
        """The first *n* values (and band)."""
        return Series(
            self.name,
            self.values[:n],
            None if self.lower is None else self.lower[:n],
            None if self.upper is None else self.upper[:n],
        )


@dataclass(frozen=True)
class ChartData:
    """Everything a chart needs, already in the report's language."""

    kind: ChartKind
    #: x values as given (month strings, day counts, category names), in drawing order
    xs: tuple[Any, ...]
    #: where each x sits: a day ordinal (time), the number itself, or its index (category)
    positions: tuple[float, ...]
    x_mode: XMode
    series: tuple[Series, ...]
    x_label: str
    y_label: str
    x_unit: str
    y_unit: str
    #: how many series and categories the table had before the caps
    series_total: int
    categories_total: int
    #: labels of x values for people (from the x column's ``values``)
    x_labels: tuple[tuple[Any, str], ...] = ()

    @property
    def points(self) -> int:
        """Plotted data points: non-missing values over all kept series."""
        return sum(s.points for s in self.series)

    def x_text(self, x: Any) -> str:
        for value, label in self.x_labels:
            if value == x:
                return label
        return format_value(x, self.x_unit)


def _number(value: Any) -> float | None:
    return float(value) if is_numeric(value) else None


def _time_position(value: Any) -> float | None:
    match = _TIME.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    year, month, day = match.groups()
    try:
        return float(date(int(year), int(month), int(day or 1)).toordinal())
    except ValueError:
        return None


def _positions(xs: list[Any], unit: str, kind: ChartKind) -> tuple[XMode, list[float]]:
    """How x is laid out: by date, by number, or evenly in the given order."""
    if kind not in ("bar", "hbar") and xs:
        times = [_time_position(x) for x in xs]
        if (unit in _TIME_UNITS or all(isinstance(x, str) for x in xs)) and None not in times:
            return "time", [t for t in times if t is not None]
        numbers = [_number(x) for x in xs]
        if None not in numbers:
            return "number", [n for n in numbers if n is not None]
    return "category", [float(i) for i in range(len(xs))]


def _with_unit(label: str, unit: str, lang: str) -> str:
    suffix = unit_label(unit, lang)
    if not suffix or suffix in label:
        return label
    return f"{label} ({suffix})" if label else suffix


def _check_columns(table: CensusTable, chart: Chart) -> dict[str, Column]:
    columns = {c.key: c for c in table.columns}
    wanted = [chart.x, *chart.y, *([chart.group] if chart.group else [])]
    missing = [key for key in wanted if key not in columns]
    if missing or not chart.y:
        raise ValueError(
            f"table {table.key!r}: its chart needs columns {wanted} but the table has "
            f"{list(columns)}; fix the Chart given to the table in the census"
        )
    return columns


def _by_x(rows: list[dict[str, Any]], x: str) -> dict[Any, dict[str, Any]]:
    return {row[x]: row for row in rows}  # a repeated x: the last row wins


def _series_of(
    rows: list[dict[str, Any]],
    xs: list[Any],
    chart: Chart,
    columns: dict[str, Column],
    lang: str,
) -> list[Series]:
    has_band = chart.kind == "step" and "lower" in columns and "upper" in columns
    if chart.group is None:
        by_x = _by_x(rows, chart.x)
        band = has_band and len(chart.y) == 1
        return [_one_series(pick(columns[y].label, lang), by_x, xs, y, band) for y in chart.y]
    group = chart.group
    names = list(dict.fromkeys(row[group] for row in rows))
    unit = columns[group].unit
    return [
        _one_series(
            format_value(name, unit),
            _by_x([row for row in rows if row[group] == name], chart.x),
            xs,
            chart.y[0],
            has_band,
        )
        for name in names
    ]


def _one_series(
    name: str, by_x: dict[Any, dict[str, Any]], xs: list[Any], y: str, band: bool
) -> Series:
    def column(key: str) -> tuple[float | None, ...]:
        return tuple(_number(by_x[x][key]) if x in by_x else None for x in xs)

    return Series(
        name=name,
        values=column(y),
        lower=column("lower") if band else None,
        upper=column("upper") if band else None,
    )


def _largest(series: list[Series], keep: int) -> list[Series]:
    """The *keep* series with the largest totals, in their original order."""
    ranked = sorted(range(len(series)), key=lambda i: (-series[i].total, i))
    return [series[i] for i in sorted(ranked[: max(keep, 1)])]


def chart_data(table: CensusTable, lang: str) -> ChartData:
    """The series of *table*'s chart; :class:`ValueError` if the chart names no such column."""
    chart = table.chart
    if chart is None:
        raise ValueError(f"table {table.key!r} has no chart")
    columns = _check_columns(table, chart)
    rows = [row for row in table.as_dicts() if row[chart.x] is not None]
    xs = list(dict.fromkeys(row[chart.x] for row in rows))
    x_unit = columns[chart.x].unit
    x_mode, positions = _positions(xs, x_unit, chart.kind)
    if x_mode != "category":
        order = sorted(range(len(xs)), key=lambda i: positions[i])
        xs, positions = [xs[i] for i in order], [positions[i] for i in order]
    every = _series_of(rows, xs, chart, columns, lang)
    kept = _largest(every, chart.max_series)
    if chart.kind in ("bar", "hbar") and len(xs) > MAX_CATEGORIES:
        kept = [s.head(MAX_CATEGORIES) for s in kept]
    shown = len(kept[0].values) if kept else 0
    y_drawn = chart.y[:1] if chart.group else chart.y
    y_units = {columns[y].unit for y in y_drawn}
    y_unit = y_units.pop() if len(y_units) == 1 else ""
    x_default = pick(columns[chart.x].label, lang)
    y_default = " / ".join(pick(columns[y].label, lang) for y in y_drawn)
    return ChartData(
        kind=chart.kind,
        xs=tuple(xs[:shown]),
        positions=tuple(positions[:shown]),
        x_mode=x_mode,
        series=tuple(kept),
        x_label=_with_unit(pick(chart.x_label, lang) or x_default, x_unit, lang),
        y_label=_with_unit(pick(chart.y_label, lang) or y_default, y_unit, lang),
        x_unit=x_unit,
        y_unit=y_unit,
        series_total=len(every),
        categories_total=len(xs),
        x_labels=tuple(
            (x, str(columns[chart.x].shown(x, lang)))
            for x in xs[:shown]
            if columns[chart.x].shown(x, lang) != x
        ),
    )
