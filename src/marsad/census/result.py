"""What a census returns: sections of headline numbers and tables, with labels.

The census (:mod:`marsad.census.compute`) fills these; the CLI prints them as
tables, JSON or CSV files, and the report (:mod:`marsad.report`) draws them.
Every title and column carries its label in each report language (``en``,
``ar``), so renderers need no knowledge of what a section means.

A :class:`CensusTable` may carry a :class:`Chart`: how the report draws it
(a line chart of monthly volume, a bar chart of client shares, a step curve
for survival).  Values are plain JSON types: numbers, strings, ISO dates,
None.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "LANGS",
    "CensusResult",
    "CensusSection",
    "CensusTable",
    "Chart",
    "Column",
    "Headline",
    "Label",
]

#: the languages every label is given in
LANGS = ("en", "ar")

Label = dict[str, str]  # {"en": ..., "ar": ...}
ChartKind = Literal["line", "bar", "hbar", "step", "area", "map"]
Unit = Literal["", "count", "percent", "days", "ratio", "date", "month", "week"]


@dataclass(frozen=True)
class Column:
    """A table column; *values* labels the column's values for people (a status
    ``suspended`` shown as ``معلّق`` in Arabic) while the rows, JSON and CSV keep
    the values themselves."""

    key: str
    label: Label
    unit: Unit = ""
    values: dict[str, Label] | None = None

    def shown(self, value: Any, lang: str) -> Any:
        """*value* as a person reads it in *lang*: its label when it has one."""
        if self.values and isinstance(value, str) and value in self.values:
            labels = self.values[value]
            return labels.get(lang) or labels.get("en") or value
        return value


@dataclass(frozen=True)
class Chart:
    """How to draw a table: *x* against each column of *y*, one series per column,
    or, with *group*, one series per distinct value of that column (long form)."""

    kind: ChartKind
    x: str
    y: tuple[str, ...]
    group: str | None = None
    x_label: Label | None = None
    y_label: Label | None = None
    #: at most this many series (the largest by total); the rest are left out
    max_series: int = 8


@dataclass
class CensusTable:
    key: str
    title: Label
    columns: list[Column]
    rows: list[list[Any]]
    chart: Chart | None = None
    note: Label | None = None

    def column(self, key: str) -> list[Any]:
        i = [c.key for c in self.columns].index(key)
        return [row[i] for row in self.rows]

    def as_dicts(self) -> list[dict[str, Any]]:
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([c.key for c in self.columns])
        writer.writerows(self.rows)
        return buf.getvalue()


@dataclass(frozen=True)
class Headline:
    key: str
    label: Label
    value: float | int | str | None
    unit: Unit = ""


@dataclass
class CensusSection:
    key: str
    title: Label
    headline: list[Headline] = field(default_factory=list)
    tables: list[CensusTable] = field(default_factory=list)
    note: Label | None = None

    def table(self, key: str) -> CensusTable:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(f"section {self.key} has no table {key!r}")

    def value(self, key: str) -> float | int | str | None:
        for h in self.headline:
            if h.key == key:
                return h.value
        raise KeyError(f"section {self.key} has no headline {key!r}")


@dataclass
class CensusResult:
    """A whole census: *meta* (filters, sources, counts, methodology) and sections."""

    meta: dict[str, Any]
    sections: list[CensusSection]

    def section(self, key: str) -> CensusSection:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(f"census has no section {key!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"meta": self.meta, "sections": [asdict(s) for s in self.sections]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CensusResult:
        sections = []
        for s in data["sections"]:
            tables = []
            for t in s.get("tables", []):
                chart = t.get("chart")
                tables.append(
                    CensusTable(
                        key=t["key"],
                        title=t["title"],
                        columns=[Column(**c) for c in t["columns"]],
                        rows=[list(r) for r in t["rows"]],
                        chart=Chart(**{**chart, "y": tuple(chart["y"])}) if chart else None,
                        note=t.get("note"),
                    )
                )
            sections.append(
                CensusSection(
                    key=s["key"],
                    title=s["title"],
                    headline=[Headline(**h) for h in s.get("headline", [])],
                    tables=tables,
                    note=s.get("note"),
                )
            )
        return cls(meta=data["meta"], sections=sections)

    def write_csv(self, directory: Path) -> list[Path]:
        """One CSV per table (``<section>__<table>.csv``) and ``headline.csv``."""
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        head = directory / "headline.csv"
        with open(head, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["section", "key", "value", "unit"])
            for s in self.sections:
                for h in s.headline:
                    writer.writerow([s.key, h.key, h.value, h.unit])
        written.append(head)
        for s in self.sections:
            for t in s.tables:
                path = directory / f"{s.key}__{t.key}.csv"
                path.write_text(t.to_csv(), encoding="utf-8")
                written.append(path)
        return written
