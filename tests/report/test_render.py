"""The whole report: structure, languages, CSV links, escaping, offline use, determinism."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from marsad import __version__
from marsad.census.result import CensusResult, CensusSection, CensusTable, Column, Headline
from marsad.report import render_report, write_report
from tests.report.conftest import HOSTILE, Node, label, make_census, parse

CSV_PREFIX = "data:text/csv;charset=utf-8,"


@pytest.fixture(scope="module")
def docs() -> dict[str, str]:
    return {lang: render_report(make_census(), lang) for lang in ("en", "ar")}


@pytest.fixture(scope="module")
def trees(docs: dict[str, str]) -> dict[str, Node]:
    return {lang: parse(doc) for lang, doc in docs.items()}


def block(tree: Node, table_key: str) -> Node:
    return tree.find("div", "table-block", data_table=table_key)


@pytest.mark.parametrize(
    ("lang", "direction"),
    [
        ("en", "ltr"),  # English reads left to right
        ("ar", "rtl"),  # Arabic: the whole page right to left
    ],
)
def test_html_element_has_language_and_direction(
    trees: dict[str, Node], lang: str, direction: str
) -> None:
    html = trees[lang].find("html")
    assert html.attrs["lang"] == lang
    assert html.attrs["dir"] == direction


def test_document_is_one_well_formed_html_page(docs: dict[str, str]) -> None:
    for doc in docs.values():
        assert doc.startswith("<!DOCTYPE html>\n<html")
        assert doc.rstrip().endswith("</html>")
        tree = parse(doc)  # fails on a mis-nested or unclosed element
        assert len(tree.find_all("style")) == 1
        assert tree.find("meta").attrs["charset"] == "utf-8"


def test_unknown_language_is_refused_naming_the_accepted_ones() -> None:
    with pytest.raises(ValueError, match=r"'fr'.*'en', 'ar'"):
        render_report(make_census(), "fr")


def test_arabic_report_uses_the_arabic_labels(trees: dict[str, Node]) -> None:
    census = make_census()
    tree = trees["ar"]
    section_titles = [n.find("h2").text() for n in tree.find_all("section", "census-section")]
    assert section_titles == [s.title["ar"] for s in census.sections]
    table_titles = [n.find("h3").text() for n in tree.find_all("div", "table-block")]
    assert table_titles == [t.title["ar"] for s in census.sections for t in s.tables]
    headers = [th.text() for th in block(tree, "monthly").find("thead").find_all("th")]
    assert headers[0] == "الشهر"
    assert headers[1].startswith("المنشورات")
    cards = [c.find("div", "card-label").text() for c in tree.find_all("div", "card")]
    assert cards == [h.label["ar"] for s in census.sections for h in s.headline]
    english = {s.title["en"] for s in census.sections} | {"Methodology", "Download CSV"}
    visible = {n.text() for n in tree.iter() if n.tag in ("h2", "h3", "a", "th")}
    assert not english & visible


def test_headline_panel_has_every_headline_as_a_card_grouped_by_section(
    trees: dict[str, Node],
) -> None:
    census = make_census()
    panel = trees["en"].find("section", "headlines", id="headlines")
    groups = panel.find_all("div", "headline-group")
    with_headlines = [s for s in census.sections if s.headline]
    assert [g.attrs["data-section"] for g in groups] == [s.key for s in with_headlines]
    for group, section in zip(groups, with_headlines, strict=True):
        keys = [c.attrs["data-key"] for c in group.find_all("div", "card")]
        assert keys == [h.key for h in section.headline]
    values = {
        c.attrs["data-key"]: c.find("div", "card-value").text()
        for c in panel.find_all("div", "card")
    }
    assert values["posts"] == "48,213"  # thousands separator
    assert values["arabic_share"] == "72.5%"  # one decimal
    days = panel.find("div", "card", data_key="median_days")
    assert days.find("span", "num").text() == "20.8"
    assert days.find("span", "card-unit").text() == "days"
    assert values["peak_month"] == "2024-03"


def test_numbers_stay_left_to_right_in_arabic(trees: dict[str, Node]) -> None:
    card = trees["ar"].find("div", "card", data_key="arabic_share")
    number = card.find("span", "num")
    assert number.attrs["dir"] == "ltr"
    assert number.text() == "72.5%"
    cells = block(trees["ar"], "monthly").find("tbody").find_all("td", "num")
    assert cells and all(c.find("span", "num").attrs["dir"] == "ltr" for c in cells)


def test_each_census_section_is_a_part_with_an_id_the_contents_link_to(
    trees: dict[str, Node],
) -> None:
    census = make_census()
    tree = trees["en"]
    sections = tree.find_all("section", "census-section")
    assert [s.attrs["data-section"] for s in sections] == [s.key for s in census.sections]
    ids = [s.attrs["id"] for s in sections]
    assert len(set(ids)) == len(ids)
    links = [a.attrs["href"] for a in tree.find("nav", "toc").find_all("a")]
    assert links == ["#headlines", *(f"#{i}" for i in ids), "#methodology"]
    note = sections[0].find("p", "section-note").text()
    assert note == census.sections[0].note["en"]  # type: ignore[index]


def test_csv_links_decode_to_the_whole_table_with_a_bom(trees: dict[str, Node]) -> None:
    census = make_census()
    tree = trees["ar"]
    tables = [(s, t) for s in census.sections for t in s.tables if t.rows]
    links = tree.find_all("a", "csv-download")
    assert len(links) == len(tables)
    for link, (section, table) in zip(links, tables, strict=True):
        href = link.attrs["href"]
        assert href.startswith(CSV_PREFIX)
        assert unquote(href[len(CSV_PREFIX) :]) == "\ufeff" + table.to_csv()
        assert link.attrs["download"] == f"{section.key}__{table.key}.csv"
        assert not re.search(r"[\s,\"<>]", href[len(CSV_PREFIX) :]), "percent-encoded"


def test_long_table_shows_the_first_50_rows_and_says_so(trees: dict[str, Node]) -> None:
    hashtags = make_census().section("hashtags").table("hashtags")
    part = block(trees["en"], "hashtags")
    body_rows = part.find("table", "data").find("tbody").find_all("tr")
    assert len(body_rows) == 50
    first = [td.text() for td in body_rows[0].find_all("td")]
    assert first == [hashtags.rows[0][0], f"{hashtags.rows[0][1]:,}"]
    last = body_rows[-1].find_all("td")[0].text()
    assert last == hashtags.rows[49][0]
    note = part.find("p", "truncated").text()
    assert "50" in note and f"{len(hashtags.rows)}" in note
    assert not block(trees["en"], "monthly").find_all("p", "truncated")


def test_empty_table_says_no_data_and_draws_no_chart(trees: dict[str, Node]) -> None:
    for lang, message in (("en", "No data for this table."), ("ar", "لا توجد بيانات لهذا الجدول.")):
        part = block(trees[lang], "removals")
        assert part.find("p", "no-data").text() == message
        assert not part.find_all("svg")
        assert not part.find_all("table")
        assert part.attrs["data-rows"] == "0"


def test_hostile_values_are_escaped_in_cells_labels_and_charts(docs: dict[str, str]) -> None:
    for doc in docs.values():
        assert "<script" not in doc.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    tree = parse(docs["en"])
    assert not tree.find_all("script")
    clients = block(tree, "clients")
    cells = [tr.find_all("td")[0].text() for tr in clients.find("tbody").find_all("tr")]
    assert HOSTILE in cells  # shown as text, exactly
    assert any(HOSTILE in th.text() for th in clients.find_all("th"))  # a column label
    labels = [t.text() for t in clients.find("svg").find_all("text", "category")]
    assert HOSTILE in labels
    card = tree.find("div", "card", data_key="top_client")
    assert HOSTILE in card.text()


def test_hostile_meta_is_escaped_in_text_and_attributes() -> None:
    census = make_census()
    census.meta["workspace"] = 'desk "a" <i>b</i>'
    census.meta["sources"][0]["path"] = 'x" onmouseover="alert(1)'
    tree = parse(render_report(census))
    assert not tree.find_all("i")
    assert 'desk "a" <i>b</i>' in tree.find("title").text()
    cells = [td.text() for td in tree.find("table", "sources").find_all("td")]
    assert 'x" onmouseover="alert(1)' in cells
    assert all("onmouseover" not in n.attrs for n in tree.iter())


def test_report_references_nothing_outside_itself(docs: dict[str, str]) -> None:
    for doc in docs.values():
        assert "http://" not in doc and "https://" not in doc
        assert not re.search(r"<(script|link|img|iframe|object|embed)\b", doc, re.I)
        assert "@import" not in doc and "url(" not in doc
        for node in parse(doc).iter():
            assert "src" not in node.attrs
            href = node.attrs.get("href")
            assert href is None or href.startswith(("#", CSV_PREFIX)), href


def test_methodology_lists_sources_range_counts_filters_definitions_and_caveats(
    trees: dict[str, Node],
) -> None:
    meta = make_census().meta
    part = trees["en"].find("section", "methodology", id="methodology")
    rows = part.find("table", "sources").find("tbody").find_all("tr")
    assert [[td.text() for td in tr.find_all("td")] for tr in rows] == [
        [s["path"], s["adapter"], f"{s['records']:,}", str(s["quarantined"])]
        for s in meta["sources"]
    ]
    total = part.find("table", "sources").find("tfoot").text()
    assert f"{sum(s['records'] for s in meta['sources']):,}" in total
    facts = dict(
        zip(
            [dt.text() for dt in part.find("dl", "coverage").find_all("dt")],
            [dd.text() for dd in part.find("dl", "coverage").find_all("dd")],
            strict=True,
        )
    )
    assert facts["Date range"] == "2023-01-01 to 2024-06-30"
    assert facts["Posts"] == "48,213"
    assert facts["media items"] == "77"  # an unknown count keeps its key
    assert facts["Quarantined records"] == str(sum(s["quarantined"] for s in meta["sources"]))
    assert "since: 2023-01-01" in facts["Filters applied"]
    assert "platforms: telegram, x" in facts["Filters applied"]
    assert "lang" not in facts["Filters applied"]  # a filter left unset is not listed
    definitions = part.find("dl", "definitions")
    assert definitions.find("dt").text() == meta["definitions"][0]["term"]["en"]
    assert part.find("ul", "caveats").text() == meta["caveats"][0]["en"]
    generated = part.find("p", "generated").text()
    assert meta["generated_at"] in generated and __version__ in generated


def test_arabic_methodology_uses_the_arabic_definitions(trees: dict[str, Node]) -> None:
    meta = make_census().meta
    part = trees["ar"].find("section", "methodology")
    assert part.find("dl", "definitions").find("dd").text() == meta["definitions"][0]["text"]["ar"]
    assert part.find("ul", "caveats").text() == meta["caveats"][0]["ar"]


def test_missing_or_odd_meta_still_renders() -> None:
    table = CensusTable("t", label("T", "ج"), [Column("k", label("K", "ك"))], [["a"]])
    sections = [
        CensusSection("s", label("S", "س"), [Headline("h", label("H", "ح"), None)], [table])
    ]
    for meta in ({}, {"sources": "not a list", "counts": None, "filters": [], "date_range": 3}):
        for lang in ("en", "ar"):
            tree = parse(render_report(CensusResult(meta=meta, sections=sections), lang))
            part = tree.find("section", "methodology")
            assert part.find("h3").text() in ("Data sources", "مصادر البيانات")
            assert "—" in tree.find("div", "card").text()  # a missing headline value
    text = (
        parse(render_report(CensusResult(meta={}, sections=sections)))
        .find("section", "methodology")
        .text()
    )
    assert "No sources recorded." in text and "not recorded" in text
    assert "None: every record in the workspace." in text


def test_rendering_is_deterministic(docs: dict[str, str]) -> None:
    census = make_census()
    again = CensusResult.from_dict(census.to_dict())
    for lang, doc in docs.items():
        assert render_report(census, lang) == doc
        assert render_report(again, lang) == doc


def test_write_report_writes_the_rendered_document(tmp_path: Path) -> None:
    census = make_census()
    path = write_report(census, tmp_path / "out" / "report.html", "ar")
    assert path == tmp_path / "out" / "report.html"
    assert path.read_text(encoding="utf-8") == render_report(census, "ar")


def test_print_styles_keep_charts_and_cards_whole(docs: dict[str, str]) -> None:
    style = parse(docs["en"]).find("style").text()
    print_rules = style[style.index("@media print") :]
    assert "svg.chart" in print_rules and "break-inside: avoid" in print_rules
    assert "Noto Naskh Arabic" in style and "DejaVu Sans" in style
