"""Number formats, labels in each language, and the escaping markup builder."""

from __future__ import annotations

import pytest

from marsad.report.i18n import UI, check_lang, format_value, pick, unit_label
from marsad.report.markup import Html, el, esc, fill, join

VALUES = [
    # (value, unit, shown, why)
    (48213, "count", "48,213", "thousands separator"),
    (1234567.0, "count", "1,234,567", "a whole float count has no decimals"),
    (72.456, "percent", "72.5%", "percent: one decimal and a sign"),
    (50, "percent", "50.0%", "a whole percent still has its decimal"),
    (-0.04, "percent", "0.0%", "no negative zero"),
    (20.83, "days", "20.8", "days: one decimal"),
    (14.0, "days", "14", "whole days"),
    (0.7312, "ratio", "0.73", "ratio: two decimals"),
    (1, "ratio", "1.00", "a whole ratio keeps its decimals"),
    (0.00042, "ratio", "0.00042", "tiny ratio: two significant digits"),
    (12345.678, "", "12,345.68", "other numbers: two decimals"),
    ("2024-03", "month", "2024-03", "months as given"),
    ("2024-01-01", "week", "2024-01-01", "weeks by their Monday"),
    ("Twitter for Android", "", "Twitter for Android", "text as given"),
    (None, "count", "—", "missing"),
    (float("nan"), "percent", "—", "not a number is missing"),
    (True, "", "True", "a bool is not a number"),
]


@pytest.mark.parametrize(("value", "unit", "shown", "why"), VALUES)
def test_format_value(value: object, unit: str, shown: str, why: str) -> None:
    assert format_value(value, unit) == shown, why


def test_every_phrase_is_in_both_languages() -> None:
    for key, phrase in UI.items():
        assert set(phrase) == {"en", "ar"}, key
        assert all(phrase.values()), key


def test_pick_falls_back_to_english_then_anything() -> None:
    assert pick({"en": "Posts", "ar": "المنشورات"}, "ar") == "المنشورات"
    assert pick({"en": "Posts"}, "ar") == "Posts"
    assert pick({"fr": "Messages"}, "ar") == "Messages"
    assert pick("plain", "ar") == "plain"
    assert pick(None, "en") == ""


def test_units_and_languages() -> None:
    assert unit_label("days", "ar") == "أيام"
    assert unit_label("month", "en") == ""  # a month column needs no unit
    assert check_lang("ar") == "ar"
    with pytest.raises(ValueError, match="'de'"):
        check_lang("de")


def test_el_escapes_text_and_attributes_but_not_markup() -> None:
    hostile = '<b onclick="x">&</b>'
    out = el("td", hostile, el("span", "ok"), title=hostile, data_key="k")
    assert out == (
        '<td title="&lt;b onclick=&quot;x&quot;&gt;&amp;&lt;/b&gt;" data-key="k">'
        "&lt;b onclick=&quot;x&quot;&gt;&amp;&lt;/b&gt;<span>ok</span></td>"
    )
    assert isinstance(out, Html)


def test_el_attribute_rules_and_empty_elements() -> None:
    assert el("meta", charset="utf-8") == '<meta charset="utf-8">'
    assert el("rect", width=3, fill=None) == '<rect width="3"/>'
    assert el("a", "x", class_="c", download=True, hidden=False) == '<a class="c" download>x</a>'
    assert el("p", None, ["a", ["b", 1]], 2.5) == "<p>ab12.5</p>"
    with pytest.raises(TypeError, match="object"):
        join(object())


def test_fill_escapes_the_template_and_keeps_markup_parts() -> None:
    out = fill("<{n}> of {total}", n=el("b", "5"), total="<9>")
    assert out == "&lt;<b>5</b>&gt; of &lt;9&gt;"
    assert esc(Html("<i>")) == "<i>"
