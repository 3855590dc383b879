"""Values with labels (Column.values): shown translated, kept as keys in CSV and JSON."""

from __future__ import annotations

from urllib.parse import unquote

from marsad.census.compute import STATUS_LABELS
from marsad.census.result import CensusResult, CensusSection, CensusTable, Chart, Column
from marsad.model import AccountStatus
from marsad.report import render_report
from marsad.report.html import csv_href


def _result() -> CensusResult:
    table = CensusTable(
        "status",
        {"en": "Accounts by status", "ar": "الحسابات حسب الحالة"},
        [
            Column("status", {"en": "Status", "ar": "الحالة"}, values=STATUS_LABELS),
            Column("accounts", {"en": "Accounts", "ar": "الحسابات"}, "count"),
        ],
        [["suspended", 7], ["active", 3], ["not-a-status", 1]],
        Chart("hbar", "status", ("accounts",)),
    )
    return CensusResult({}, [CensusSection("size", {"en": "Size", "ar": "الحجم"}, [], [table])])


def test_every_account_status_has_labels() -> None:
    assert set(STATUS_LABELS) == {s.value for s in AccountStatus}
    assert all(label["en"] and label["ar"] for label in STATUS_LABELS.values())


def test_labels_in_cells_and_chart_keys_in_csv() -> None:
    result = _result()
    ar = render_report(result, "ar")
    en = render_report(result, "en")
    for page, lang in ((ar, "ar"), (en, "en")):
        table_html = page[page.index('<table class="data">') :]
        table_html = table_html[: table_html.index("</table>")]
        chart = page[page.index("<svg") : page.index("</svg>")]
        for key in ("suspended", "active"):
            shown = STATUS_LABELS[key][lang]
            assert f"<bdi>{shown}</bdi>" in table_html
            assert shown in chart
        assert "not-a-status" in table_html  # a value without a label stays as it is
    assert "<bdi>suspended</bdi>" not in ar[ar.index('<table class="data">') :]
    csv = unquote(csv_href(result.section("size").table("status")).split(",", 1)[1])
    assert "suspended,7" in csv and STATUS_LABELS["suspended"]["ar"] not in csv
    # the JSON round trip keeps the labels with the column
    back = CensusResult.from_dict(result.to_dict())
    assert back.section("size").table("status").columns[0].values == STATUS_LABELS
