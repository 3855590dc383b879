"""Charts: each kind draws the series and points its table holds, in both directions."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marsad.census.result import CensusResult, CensusSection, CensusTable, Chart, Column
from marsad.report import render_report
from marsad.report.series import MAX_CATEGORIES, chart_data
from marsad.report.svg import PALETTE, nice_ticks
from tests.report.conftest import (
    CLIENTS,
    LANG_SHARES,
    MONTHS,
    PLATFORMS,
    SURVIVAL_DAYS,
    WEEKS,
    Node,
    label,
    make_census,
    parse,
    platform_posts,
)


@pytest.fixture(scope="module")
def trees() -> dict[str, Node]:
    return {lang: parse(render_report(make_census(), lang)) for lang in ("en", "ar")}


def chart(tree: Node, table_key: str) -> Node:
    part = tree.find("div", "table-block", data_table=table_key)
    return part.find("svg", "chart")


def number_pairs(points: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in points.split())]


def test_every_chart_is_an_accessible_svg_with_data(trees: dict[str, Node]) -> None:
    census = make_census()
    charted = [t for s in census.sections for t in s.tables if t.chart and t.rows]
    for tree in trees.values():
        svgs = tree.find_all("svg", "chart")
        assert len(svgs) == len(charted)
        for svg, table in zip(svgs, charted, strict=True):
            assert int(svg.attrs["data-points"]) > 0
            assert svg.attrs["data-kind"] == table.chart.kind  # type: ignore[union-attr]
            assert svg.attrs["role"] == "img"
            assert svg.attrs["aria-label"] == svg.find("title").text()
            assert svg.find("desc").text()
            assert svg.find("text", "chart-title").text()
            assert len(svg.find_all("text", "axis-label")) == 2
            assert svg.find_all("text", "tick")
            assert "viewbox" in svg.attrs


def test_line_chart_wide_form_draws_a_polyline_per_y_column(trees: dict[str, Node]) -> None:
    svg = chart(trees["en"], "monthly")
    series = svg.find_all("g", "series")
    assert [g.attrs["data-series"] for g in series] == ["Posts", "Active accounts"]
    assert svg.attrs["data-points"] == str(2 * len(MONTHS))
    for g in series:
        (line,) = g.find_all("polyline")
        xy = number_pairs(line.attrs["points"])
        assert len(xy) == len(MONTHS)
        assert [x for x, _ in xy] == sorted(x for x, _ in xy)  # months left to right
        assert [y for _, y in xy] == sorted((y for _, y in xy), reverse=True)  # rising values
    legend = [t.text() for t in svg.find_all("text", "legend-label")]
    assert legend == ["Posts", "Active accounts"]
    ticks = {t.text() for t in svg.find("g", "axis-x").find_all("text", "tick")}
    assert MONTHS[0] in ticks and ticks <= set(MONTHS)
    assert "Posts per month" in svg.find("text", "chart-title").text()


def test_line_chart_long_form_keeps_the_largest_max_series_groups(trees: dict[str, Node]) -> None:
    totals = {
        p: sum(platform_posts(i, w) for w in range(len(WEEKS))) for i, p in enumerate(PLATFORMS)
    }
    largest = sorted(totals, key=lambda p: -totals[p])[:3]
    svg = chart(trees["en"], "weekly_by_platform")
    names = [g.attrs["data-series"] for g in svg.find_all("g", "series")]
    assert sorted(names) == sorted(largest)
    assert names == [p for p in PLATFORMS if p in largest]  # in the table's order
    assert len(svg.find_all("polyline")) == 3
    assert svg.attrs["data-series"] == "3"
    assert svg.attrs["data-points"] == str(3 * len(WEEKS))
    caption = (
        trees["en"].find("div", "table-block", data_table="weekly_by_platform").find("figcaption")
    )
    assert "3 of 4 series" in caption.text()


def test_area_chart_stacks_shares_up_to_100_percent(trees: dict[str, Node]) -> None:
    svg = chart(trees["en"], "language_share")
    areas = svg.find_all("path", "area")
    assert len(areas) == len(LANG_SHARES)
    assert svg.attrs["data-points"] == str(len(LANG_SHARES) * 6)
    top_tick = svg.find("g", "axis-y").find_all("text", "tick")[-1].text()
    assert top_tick == "100%"
    assert [t.text() for t in svg.find_all("text", "legend-label")] == list(LANG_SHARES)


def test_hbar_chart_draws_a_bar_per_category_with_lengths_in_proportion(
    trees: dict[str, Node],
) -> None:
    for lang in ("en", "ar"):
        svg = chart(trees[lang], "clients")
        bars = svg.find_all("rect", "bar")
        assert len(bars) == len(CLIENTS) == int(svg.attrs["data-points"])
        widths = [float(b.attrs["width"]) for b in bars]
        scale = widths[0] / CLIENTS[0][1]
        for width, (_, posts) in zip(widths, CLIENTS, strict=True):
            assert width == pytest.approx(posts * scale, abs=0.2)
        assert not svg.find_all("g", "legend")  # one series: no legend


def test_hbar_bars_grow_from_the_reading_side(trees: dict[str, Node]) -> None:
    en = chart(trees["en"], "clients").find_all("rect", "bar")
    assert len({b.attrs["x"] for b in en}) == 1  # all start at the left baseline
    ar = chart(trees["ar"], "clients").find_all("rect", "bar")
    ends = {round(float(b.attrs["x"]) + float(b.attrs["width"]), 1) for b in ar}
    assert len(ends) == 1  # all end at the right baseline, growing leftwards
    names_x = float(chart(trees["ar"], "clients").find("text", "category").attrs["x"])
    assert names_x > ends.pop()  # names sit right of the bars in Arabic


def test_bar_chart_skips_missing_values_and_scales_heights(trees: dict[str, Node]) -> None:
    table = make_census().section("clients").table("weekday")
    svg = chart(trees["en"], "weekday")
    groups = svg.find_all("g", "series")
    assert [g.attrs["data-series"] for g in groups] == ["Posts", "Replies"]
    posts, replies = (g.find_all("rect", "bar") for g in groups)
    assert len(posts) == 7
    assert len(replies) == sum(v is not None for v in table.column("replies")) == 6
    assert svg.attrs["data-points"] == "13"
    heights = [float(r.attrs["height"]) for r in posts]
    values = table.column("posts")
    for h, v in zip(heights, values, strict=True):
        assert h == pytest.approx(v * heights[0] / values[0], abs=0.2)
    assert len(svg.find_all("g", "legend-item")) == 2


def test_bar_categories_run_right_to_left_in_arabic(trees: dict[str, Node]) -> None:
    def first_bar_x(lang: str) -> list[float]:
        series = chart(trees[lang], "weekday").find("g", "series")
        return [float(r.attrs["x"]) for r in series.find_all("rect", "bar")]

    assert first_bar_x("en") == sorted(first_bar_x("en"))
    assert first_bar_x("ar") == sorted(first_bar_x("ar"), reverse=True)


def test_step_chart_draws_a_step_curve_with_its_band(trees: dict[str, Node]) -> None:
    svg = chart(trees["en"], "account_survival")
    (line,) = svg.find_all("path", "step-line")
    corners = [
        tuple(float(v) for v in pair.split(","))
        for pair in line.attrs["d"].replace("M", "").split(" L")
    ]
    assert len(corners) == 2 * len(SURVIVAL_DAYS) - 1
    for (x0, y0), (x1, y1) in zip(corners, corners[1:], strict=False):
        assert x0 == x1 or y0 == y1  # only flat runs and vertical drops
        assert x1 >= x0 and y1 >= y0  # time goes right, survival goes down the page
    assert len(svg.find_all("polygon", "band")) == 1
    assert svg.attrs["data-points"] == str(len(SURVIVAL_DAYS))
    y_ticks = [t.text() for t in svg.find("g", "axis-y").find_all("text", "tick")]
    assert y_ticks[0] == "0.0" and y_ticks[-1] == "1.0"
    assert svg.find_all("text", "axis-label")[0].text() == "Probability of being active (ratio)"
    assert [t.text() for t in svg.find_all("text", "legend-label")] == ["confidence band"]


def test_long_category_list_is_capped_and_says_so(trees: dict[str, Node]) -> None:
    svg = chart(trees["en"], "hashtags")
    assert len(svg.find_all("rect", "bar")) == MAX_CATEGORIES
    assert svg.attrs["data-points"] == str(MAX_CATEGORIES)
    caption = trees["en"].find("div", "table-block", data_table="hashtags").find("figcaption")
    assert f"first {MAX_CATEGORIES} of 120 categories" in caption.text()


def test_svg_text_directions_in_arabic(trees: dict[str, Node]) -> None:
    svg = chart(trees["ar"], "clients")
    title = svg.find("text", "chart-title")
    assert title.attrs["direction"] == "rtl" and title.attrs["unicode-bidi"] == "embed"
    assert all(t.attrs["direction"] == "ltr" for t in svg.find_all("text", "tick"))
    names = {t.text(): t.attrs["direction"] for t in svg.find_all("text", "category")}
    assert names["Twitter for Android"] == "ltr"  # a Latin name keeps its own direction
    monthly = chart(trees["ar"], "monthly")
    legend = {t.text(): t.attrs["direction"] for t in monthly.find_all("text", "legend-label")}
    assert legend == {"المنشورات": "rtl", "الحسابات النشطة": "rtl"}


def test_series_colours_come_from_the_palette(trees: dict[str, Node]) -> None:
    svg = chart(trees["en"], "monthly")
    colours = [g.find("polyline").attrs["stroke"] for g in svg.find_all("g", "series")]
    assert colours == list(PALETTE[:2])


def wide(rows: list[list[object]], chart: Chart) -> CensusTable:
    columns = [Column("x", label("X", "س"), "month")] + [
        Column(k, label(k, k), "count") for k in ("a", "b", "c")
    ]
    return CensusTable("t", label("T", "ج"), columns, rows, chart)


def test_max_series_keeps_the_largest_totals_in_table_order() -> None:
    rows = [["2024-01", 5, 50, 20], ["2024-02", 5, 50, 20]]
    data = chart_data(wide(rows, Chart("line", "x", ("a", "b", "c"), max_series=2)), "en")
    assert [s.name for s in data.series] == ["b", "c"]
    assert data.series_total == 3 and data.points == 4


def test_a_missing_value_breaks_the_line_into_two() -> None:
    rows = [
        ["2024-01", 1, 0, 0],
        ["2024-02", None, 0, 0],
        ["2024-03", 3, 0, 0],
        ["2024-04", 4, 0, 0],
    ]
    table = wide(rows, Chart("line", "x", ("a",)))
    svg = parse(render_report_of(table)).find("svg", "chart")
    lines = svg.find_all("polyline")
    assert [len(number_pairs(p.attrs["points"])) for p in lines] == [2]  # 03-04 joined
    assert len(svg.find_all("circle", "marker")) == 3  # 01 stands alone, so it gets a marker
    assert svg.attrs["data-points"] == "3"


def test_a_chart_of_only_missing_values_gives_a_no_data_note() -> None:
    rows = [["2024-01", None, None, None]]
    tree = parse(render_report_of(wide(rows, Chart("bar", "x", ("a", "b")))))
    assert not tree.find_all("svg")
    assert tree.find("p", "no-data").text() == "Nothing to chart: no values."
    assert tree.find_all("table", "data")  # the table itself is still shown


def test_a_chart_naming_a_missing_column_is_a_clear_error() -> None:
    table = wide([["2024-01", 1, 2, 3]], Chart("line", "x", ("nope",)))
    with pytest.raises(ValueError, match="'nope'"):
        chart_data(table, "en")


def render_report_of(table: CensusTable) -> str:
    return render_report(CensusResult({}, [CensusSection("s", label("S", "س"), tables=[table])]))


@given(
    st.floats(-1e9, 1e9, allow_nan=False),
    st.floats(-1e9, 1e9, allow_nan=False),
)
def test_nice_ticks_cover_the_range_with_round_even_steps(a: float, b: float) -> None:
    ticks = nice_ticks(a, b)
    lo, hi = min(a, b), max(a, b)
    values = ticks.values
    assert 2 <= len(values) <= 12
    steps = [y - x for x, y in zip(values, values[1:], strict=False)]
    step = steps[0]
    assert all(s == pytest.approx(step, rel=1e-6) for s in steps)
    # covered up to a millionth of a step (what floating-point noise can add)
    assert values[0] <= lo + 1e-6 * step
    assert values[-1] >= hi - 1e-6 * step
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(mantissa == pytest.approx(m) for m in (1, 2, 2.5, 5, 10))
