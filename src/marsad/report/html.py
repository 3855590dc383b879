"""A census as one self-contained HTML page, in English or Arabic.

The page is made to be mailed, archived and opened offline: styles are inline,
charts are static SVG drawn by :mod:`marsad.report.svg`, each table's full CSV
rides along as a ``data:`` link, and nothing is fetched or run.  It reads, in
order:

1. a header (workspace, period, when it was generated) and a table of contents;
2. ``#headlines``: every section's headline numbers as cards, one group per section;
3. one ``section.census-section`` per census section: its note, then per table
   the chart, the first :data:`ROWS_SHOWN` rows and a "Download CSV" link;
4. ``#methodology``: sources, date range, counts, filters, definitions, caveats,
   and the time and marsad version that produced it.

All text comes from the census or :mod:`marsad.report.i18n` and goes through
:mod:`marsad.report.markup`, which escapes it.  The same census gives the same
bytes: ids come from section and table keys, and the only time shown is the
census's own ``generated_at``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from marsad import __version__
from marsad.census.result import CensusResult, CensusSection, CensusTable, Column, Headline
from marsad.report.i18n import (
    check_lang,
    count_name,
    format_value,
    is_numeric,
    pick,
    ui,
    unit_label,
)
from marsad.report.markup import Html, el, fill, join
from marsad.report.series import chart_data
from marsad.report.style import ACCENTS, CSS
from marsad.report.svg import render_chart, render_map

__all__ = ["ROWS_SHOWN", "csv_href", "render_report", "write_report"]

#: rows of a table shown on the page; the CSV link carries the rest
ROWS_SHOWN = 50
#: a UTF-8 byte-order mark: without it Excel reads a CSV as the local code page and garbles Arabic
BOM = "\ufeff"
CSV_PREFIX = "data:text/csv;charset=utf-8,"
#: units whose values are numbers or dates, written left to right and aligned as numbers
NUMERIC_UNITS = ("count", "percent", "days", "ratio", "date", "month", "week")


def render_report(result: CensusResult, lang: str = "en") -> str:
    """The whole HTML document for *result* in *lang* (``"en"`` or ``"ar"``)."""
    lang = check_lang(lang)
    return "<!DOCTYPE html>\n" + _Report(result, lang).document() + "\n"


def write_report(result: CensusResult, path: Path, lang: str = "en") -> Path:
    """Write the report to *path* (UTF-8, parent folders made) and return *path*."""
    text = render_report(result, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def csv_href(table: CensusTable) -> str:
    """A ``data:`` URI holding the whole table as CSV, with a BOM for Excel."""
    return CSV_PREFIX + quote(BOM + table.to_csv(), safe="")


def _slug(key: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", key.lower()).strip("-") or "x"


class _Ids:
    """Unique element ids made from keys, the same for the same census."""

    def __init__(self) -> None:
        self.used: set[str] = {"headlines", "methodology", "contents"}

    def make(self, *keys: str) -> str:
        base = "-".join(_slug(k) for k in keys)
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}-{n}"
        self.used.add(candidate)
        return candidate


def _ltr(text: str) -> Html:
    """A number or date kept left to right inside text of either direction."""
    return el("span", text, class_="num", dir="ltr")


def _value(value: object, unit: str) -> Html:
    """A cell or card value: numbers and dates LTR, other text isolated from its neighbours."""
    text = format_value(value, unit)
    if unit in NUMERIC_UNITS or is_numeric(value):
        return _ltr(text)
    return el("bdi", text)


def _date_range(meta: dict[str, Any]) -> tuple[str, str] | None:
    """``meta["date_range"]`` as ``{start, end}`` (or ``from``/``to``, ``min``/``max``) or a pair."""
    value = meta.get("date_range")
    if isinstance(value, dict):
        start = next((value[k] for k in ("start", "from", "min") if value.get(k)), None)
        end = next((value[k] for k in ("end", "to", "max") if value.get(k)), None)
    elif isinstance(value, list | tuple) and len(value) == 2:
        start, end = value
    else:
        return None
    if start is None and end is None:
        return None
    return str(start or "…"), str(end or "…")


def _plain(value: object) -> str:
    """A filter value in words: lists joined, mappings as ``key: value``."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return format_value(value, "")


def _texts(value: object, lang: str) -> list[str]:
    """Paragraphs from a label, a string, or a list of either."""
    items = value if isinstance(value, list) else [value]
    return [text for text in (pick(item, lang) for item in items) if text]


def _records(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


class _Report:
    """One rendering: the census, the language, and the ids handed out so far."""

    def __init__(self, result: CensusResult, lang: str) -> None:
        self.result = result
        self.meta = result.meta if isinstance(result.meta, dict) else {}
        self.lang = lang
        self.ids = _Ids()
        #: each census section with the id of its part of the page
        self.parts = [(s, self.ids.make("section", s.key)) for s in result.sections]

    def t(self, key: str) -> str:
        return ui(key, self.lang)

    def document(self) -> Html:
        # a page made of census-shaped sections (the transparency report) names itself
        title = pick(self.meta.get("title"), self.lang) or self.t("title")
        workspace = pick(self.meta.get("workspace"), self.lang)
        head = el(
            "head",
            el("meta", charset="utf-8"),
            el("meta", name="viewport", content="width=device-width, initial-scale=1"),
            el("meta", name="generator", content=f"marsad {__version__}"),
            el("title", f"{title} — {workspace}" if workspace else title),
            el("style", CSS),
        )
        main = el(
            "main",
            self.contents(),
            self.headlines(),
            [self.section(s, sid) for s, sid in self.parts],
            self.methodology(),
        )
        body = el("body", self.header(title, workspace), main)
        return el("html", head, body, lang=self.lang, dir="rtl" if self.lang == "ar" else "ltr")

    # header and contents -------------------------------------------------

    def header(self, title: str, workspace: str) -> Html:
        facts = []
        if workspace:
            facts.append(el("li", el("b", self.t("workspace"), ": "), el("bdi", workspace)))
        period = _date_range(self.meta)
        if period:
            facts.append(el("li", el("b", self.t("period"), ": "), self.period(period)))
        generated = self.meta.get("generated_at")
        if generated:
            facts.append(el("li", el("b", self.t("generated"), ": "), _ltr(str(generated))))
        return el(
            "header",
            el(
                "div",
                el("h1", title),
                el("ul", facts, class_="report-meta") if facts else None,
                class_="inner",
            ),
            class_="report-header",
        )

    def period(self, period: tuple[str, str]) -> Html:
        return fill(self.t("range"), start=_ltr(period[0]), end=_ltr(period[1]))

    def contents(self) -> Html:
        links = [("headlines", self.t("at_a_glance"))] if self.has_headlines() else []
        links += [(sid, pick(s.title, self.lang)) for s, sid in self.parts]
        links.append(("methodology", self.t("methodology")))
        items = [el("li", el("a", text, href=f"#{target}")) for target, text in links]
        return el("nav", el("h2", self.t("contents")), el("ol", items), class_="toc", id="contents")

    # headline cards ------------------------------------------------------

    def has_headlines(self) -> bool:
        return any(s.headline for s in self.result.sections)

    def headlines(self) -> Html | None:
        if not self.has_headlines():
            return None
        groups = [
            self.headline_group(s, sid, i) for i, (s, sid) in enumerate(self.parts) if s.headline
        ]
        return el(
            "section", el("h2", self.t("at_a_glance")), groups, class_="headlines", id="headlines"
        )

    def headline_group(self, section: CensusSection, sid: str, index: int) -> Html:
        return el(
            "div",
            el("h3", el("a", pick(section.title, self.lang), href=f"#{sid}")),
            el("div", [self.card(h) for h in section.headline], class_="cards"),
            class_=f"headline-group accent-{index % len(ACCENTS)}",
            data_section=section.key,
        )

    def card(self, headline: Headline) -> Html:
        unit = unit_label(headline.unit, self.lang) if headline.unit == "days" else ""
        is_number = headline.unit in NUMERIC_UNITS or is_numeric(headline.value)
        return el(
            "div",
            el(
                "div",
                _value(headline.value, headline.unit),
                el("span", unit, class_="card-unit") if unit else None,
                class_="card-value" if is_number else "card-value card-text",
            ),
            el("div", pick(headline.label, self.lang), class_="card-label"),
            class_="card",
            data_key=headline.key,
            data_unit=headline.unit or None,
        )

    # sections and tables -------------------------------------------------

    def section(self, section: CensusSection, sid: str) -> Html:
        note = pick(section.note, self.lang)
        return el(
            "section",
            el("h2", pick(section.title, self.lang)),
            el("p", note, class_="section-note") if note else None,
            [self.table_block(section, table) for table in section.tables],
            class_="census-section",
            id=sid,
            data_section=section.key,
        )

    def table_block(self, section: CensusSection, table: CensusTable) -> Html:
        tid = self.ids.make("table", section.key, table.key)
        note = pick(table.note, self.lang)
        return el(
            "div",
            el("h3", pick(table.title, self.lang)),
            el("p", note, class_="table-note") if note else None,
            self.table_body(section, table, tid)
            if table.rows
            else el("p", self.t("no_data"), class_="no-data"),
            class_="table-block",
            id=tid,
            data_table=table.key,
            data_rows=len(table.rows),
        )

    def table_body(self, section: CensusSection, table: CensusTable, tid: str) -> Html:
        total = len(table.rows)
        return join(
            self.chart(table, tid) if table.chart else None,
            el("div", self.data_table(table), class_="table-wrap"),
            self.shown_of("truncated", ROWS_SHOWN, total) if total > ROWS_SHOWN else None,
            el(
                "a",
                self.t("download_csv"),
                href=csv_href(table),
                download=f"{section.key}__{table.key}.csv",
                class_="csv-download",
            ),
        )

    def chart(self, table: CensusTable, tid: str) -> Html:
        if table.chart is not None and table.chart.kind == "map":
            svg = render_map(
                table.as_dicts(), pick(table.title, self.lang), f"chart-{tid}", self.lang
            )
            return el("figure", svg, class_="chart-figure")
        data = chart_data(table, self.lang)
        if data.points == 0:
            return el("p", self.t("no_chart_data"), class_="no-data")
        svg = render_chart(data, pick(table.title, self.lang), f"chart-{tid}", self.lang)
        notes = []
        if data.series_total > len(data.series):
            notes.append(self.shown_of("series_dropped", len(data.series), data.series_total))
        if data.categories_total > len(data.xs):
            notes.append(self.shown_of("categories_dropped", len(data.xs), data.categories_total))
        caption = el("figcaption", notes) if notes else None
        return el("figure", svg, caption, class_="chart-figure")

    def shown_of(self, key: str, shown: int, total: int) -> Html:
        """A note that only part of something is shown, with its own key as class."""
        text = fill(self.t(key), shown=_ltr(f"{shown:,}"), total=_ltr(f"{total:,}"))
        return el("p", text, class_=key.replace("_", "-"))

    def header_cell(self, column: Column, numeric: bool) -> Html:
        unit = unit_label(column.unit, self.lang)
        return el(
            "th",
            pick(column.label, self.lang) or column.key,
            [" ", el("span", f"({unit})", class_="unit")] if unit else None,
            scope="col",
            class_="num" if numeric else None,
            data_key=column.key,
        )

    def data_table(self, table: CensusTable) -> Html:
        numeric = [
            c.unit in NUMERIC_UNITS or all(is_numeric(v) or v is None for v in table.column(c.key))
            for c in table.columns
        ]
        head = el(
            "tr", [self.header_cell(c, n) for c, n in zip(table.columns, numeric, strict=True)]
        )
        rows = [
            el(
                "tr",
                [
                    el("td", _value(c.shown(v, self.lang), c.unit), class_="num" if n else None)
                    for v, c, n in zip(row, table.columns, numeric, strict=True)
                ],
            )
            for row in table.rows[:ROWS_SHOWN]
        ]
        return el("table", el("thead", head), el("tbody", rows), class_="data")

    # methodology ---------------------------------------------------------

    def methodology(self) -> Html:
        meta = self.meta
        facts = [*self.range_fact(), *self.count_facts(), *self.filter_facts()]
        return el(
            "section",
            el("h2", self.t("methodology")),
            self.sources(),
            el("h3", self.t("coverage")),
            el("dl", facts, class_="coverage"),
            self.definitions(meta.get("definitions")),
            self.listed("caveats", meta.get("caveats")),
            self.listed(
                "notes",
                [
                    *_texts(meta.get("methodology"), self.lang),
                    *_texts(meta.get("notes"), self.lang),
                ],
            ),
            el("p", self.generated(), class_="generated"),
            class_="methodology",
            id="methodology",
        )

    def fact(self, term: str, value: Html | str) -> Html:
        return join(el("dt", term), el("dd", value))

    def range_fact(self) -> Iterable[Html]:
        period = _date_range(self.meta)
        yield self.fact(self.t("date_range"), self.period(period) if period else self.t("unknown"))

    def count_facts(self) -> Iterable[Html]:
        counts = self.meta.get("counts")
        counts = counts if isinstance(counts, dict) else {}
        for key, value in counts.items():
            yield self.fact(count_name(str(key), self.lang), _value(value, "count"))
        quarantined = [s.get("quarantined") for s in _records(self.meta.get("sources"))]
        if "quarantined" not in counts and any(is_numeric(q) for q in quarantined):
            total = sum(q for q in quarantined if is_numeric(q))
            yield self.fact(self.t("quarantined_records"), _value(total, "count"))

    def filter_facts(self) -> Iterable[Html]:
        filters = self.meta.get("filters")
        given = (
            {k: v for k, v in filters.items() if v not in (None, "", [], {})}
            if isinstance(filters, dict)
            else {}
        )
        if not given:
            yield self.fact(self.t("filters"), self.t("no_filters"))
            return
        items = [el("li", el("code", str(k)), ": ", el("bdi", _plain(v))) for k, v in given.items()]
        yield self.fact(self.t("filters"), el("ul", items))

    def sources(self) -> Html:
        sources = _records(self.meta.get("sources"))
        heading = el("h3", self.t("sources"))
        if not sources:
            return join(heading, el("p", self.t("no_sources")))
        head = el(
            "tr",
            el("th", self.t("file"), scope="col"),
            el("th", self.t("adapter"), scope="col"),
            el("th", self.t("records"), scope="col", class_="num"),
            el("th", self.t("quarantined"), scope="col", class_="num"),
        )
        rows = [
            el(
                "tr",
                el("td", el("bdi", str(s.get("path", ""))), class_="path"),
                el("td", el("bdi", str(s.get("adapter", "")))),
                el("td", _value(s.get("records"), "count"), class_="num"),
                el("td", _value(s.get("quarantined"), "count"), class_="num"),
            )
            for s in sources
        ]
        foot = None
        if len(sources) > 1:
            total = [
                sum(s[k] for s in sources if is_numeric(s.get(k)))
                for k in ("records", "quarantined")
            ]
            foot = el(
                "tfoot",
                el(
                    "tr",
                    el("td", self.t("total"), colspan=2),
                    el("td", _value(total[0], "count"), class_="num"),
                    el("td", _value(total[1], "count"), class_="num"),
                ),
            )
        table = el("table", el("thead", head), el("tbody", rows), foot, class_="data sources")
        return join(heading, el("div", table, class_="table-wrap"))

    def definitions(self, value: object) -> Html | None:
        items = [
            join(el("dt", pick(d.get("term"), self.lang)), el("dd", pick(d.get("text"), self.lang)))
            for d in _records(value)
            if pick(d.get("term"), self.lang)
        ]
        if not items:
            return None
        return join(el("h3", self.t("definitions")), el("dl", items, class_="definitions"))

    def listed(self, key: str, value: object) -> Html | None:
        texts = _texts(value, self.lang) if value else []
        if not texts:
            return None
        return join(el("h3", self.t(key)), el("ul", [el("li", text) for text in texts], class_=key))

    def generated(self) -> Html:
        version = _ltr(__version__)
        generated = self.meta.get("generated_at")
        if generated:
            return fill(self.t("footer"), generated_at=_ltr(str(generated)), version=version)
        return fill(self.t("footer_no_time"), version=version)
