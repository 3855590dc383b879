"""A realistic synthetic census for the report tests, and a small DOM to query the output.

The census has one table per chart kind, a long-form chart with more series
than ``max_series``, a survival curve with a confidence band, a 120-row table,
an empty table and a hostile value.  Values follow simple formulas so each test
can work out what the report should show on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest

from marsad.census.result import CensusResult, CensusSection, CensusTable, Chart, Column, Headline

HOSTILE = "<script>alert(1)</script>"
MONTHS = [f"{2023 + (m // 12)}-{m % 12 + 1:02d}" for m in range(18)]
WEEKS = [(date(2024, 1, 1) + timedelta(weeks=w)).isoformat() for w in range(10)]
PLATFORMS = ["telegram", "x", "youtube", "forum"]  # four groups, max_series=3
CLIENTS = [
    ("Twitter for Android", 5120),
    ("Twitter Web Client", 2210),
    ("Twitter for iPhone", 905),
    ("TweetDeck", 310),
    (HOSTILE, 12),
]
LANG_SHARES = {"ar": 70.0, "en": 20.0, "fr": 10.0}


def label(en: str, ar: str) -> dict[str, str]:
    return {"en": en, "ar": ar}


def monthly_table() -> CensusTable:
    rows = [[m, 100 + 10 * i, 20 + i] for i, m in enumerate(MONTHS)]
    return CensusTable(
        key="monthly",
        title=label("Posts per month", "المنشورات شهريًا"),
        columns=[
            Column("month", label("Month", "الشهر"), "month"),
            Column("posts", label("Posts", "المنشورات"), "count"),
            Column("accounts", label("Active accounts", "الحسابات النشطة"), "count"),
        ],
        rows=rows,
        chart=Chart("line", "month", ("posts", "accounts")),
        note=label("Posts by the month they were made.", "المنشورات حسب شهر نشرها."),
    )


def platform_posts(platform_index: int, week_index: int) -> int:
    return (platform_index + 1) * 40 + week_index * (4 - platform_index)


def weekly_table() -> CensusTable:
    rows = [
        [week, platform, platform_posts(p, w)]
        for w, week in enumerate(WEEKS)
        for p, platform in enumerate(PLATFORMS)
    ]
    return CensusTable(
        key="weekly_by_platform",
        title=label("Posts per week by platform", "المنشورات أسبوعيًا حسب المنصة"),
        columns=[
            Column("week", label("Week", "الأسبوع"), "week"),
            Column("platform", label("Platform", "المنصة")),
            Column("posts", label("Posts", "المنشورات"), "count"),
        ],
        rows=rows,
        chart=Chart("line", "week", ("posts",), group="platform", max_series=3),
    )


def language_table() -> CensusTable:
    rows = [[m, lang, share] for m in MONTHS[:6] for lang, share in LANG_SHARES.items()]
    return CensusTable(
        key="language_share",
        title=label("Share of posts by language", "حصة المنشورات حسب اللغة"),
        columns=[
            Column("month", label("Month", "الشهر"), "month"),
            Column("lang", label("Language", "اللغة")),
            Column("share", label("Share of posts", "حصة المنشورات"), "percent"),
        ],
        rows=rows,
        chart=Chart("area", "month", ("share",), group="lang"),
    )


def client_table() -> CensusTable:
    total = sum(n for _, n in CLIENTS)
    return CensusTable(
        key="clients",
        title=label("Posting clients", "تطبيقات النشر"),
        columns=[
            Column("client", label("Client", "التطبيق")),
            Column("posts", label("Posts", "المنشورات"), "count"),
            Column("share", label(f"Share {HOSTILE}", "الحصة"), "percent"),
        ],
        rows=[[name, n, 100 * n / total] for name, n in CLIENTS],
        chart=Chart("hbar", "client", ("posts",)),
    )


def weekday_table() -> CensusTable:
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    return CensusTable(
        key="weekday",
        title=label("Posts and replies by weekday", "المنشورات والردود حسب يوم الأسبوع"),
        columns=[
            Column("day", label("Weekday", "اليوم")),
            Column("posts", label("Posts", "المنشورات"), "count"),
            Column("replies", label("Replies", "الردود"), "count"),
        ],
        rows=[[d, 300 + 25 * i, None if i == 6 else 40 + i] for i, d in enumerate(days)],
        chart=Chart("bar", "day", ("posts", "replies")),
    )


def survival(day: int) -> float:
    return math.exp(-day / 30)


SURVIVAL_DAYS = [0, 1, 2, 4, 7, 10, 14, 21, 30, 45, 60, 90]


def survival_table() -> CensusTable:
    rows = [
        [d, survival(d), max(0.0, survival(d) - 0.05), min(1.0, survival(d) + 0.05)]
        for d in SURVIVAL_DAYS
    ]
    return CensusTable(
        key="account_survival",
        title=label("Account survival", "بقاء الحسابات"),
        columns=[
            Column("days", label("Days since creation", "الأيام منذ الإنشاء"), "days"),
            Column("survival", label("Share still active", "نسبة الباقية نشطة"), "ratio"),
            Column("lower", label("Lower bound", "الحد الأدنى"), "ratio"),
            Column("upper", label("Upper bound", "الحد الأعلى"), "ratio"),
        ],
        rows=rows,
        chart=Chart(
            "step",
            "days",
            ("survival",),
            y_label=label("Probability of being active", "احتمال البقاء نشطًا"),
        ),
    )


def hashtag_table() -> CensusTable:
    return CensusTable(
        key="hashtags",
        title=label("Top hashtags", "أكثر الوسوم"),
        columns=[
            Column("hashtag", label("Hashtag", "الوسم")),
            Column("posts", label("Posts", "المنشورات"), "count"),
        ],
        rows=[[f"#weather_desk_{i}", 5000 - 40 * i] for i in range(120)],
        chart=Chart("hbar", "hashtag", ("posts",)),
    )


def empty_table() -> CensusTable:
    return CensusTable(
        key="removals",
        title=label("Removals per month", "الإزالات شهريًا"),
        columns=[
            Column("month", label("Month", "الشهر"), "month"),
            Column("removed", label("Removed", "المُزالة"), "count"),
        ],
        rows=[],
        chart=Chart("line", "month", ("removed",)),
    )


def make_census() -> CensusResult:
    sections = [
        CensusSection(
            key="volume",
            title=label("Volume", "الحجم"),
            headline=[
                Headline("posts", label("Posts", "المنشورات"), 48_213, "count"),
                Headline("accounts", label("Accounts", "الحسابات"), 1_204, "count"),
                Headline(
                    "arabic_share", label("Posts in Arabic", "منشورات بالعربية"), 72.456, "percent"
                ),
                Headline("peak_month", label("Busiest month", "أنشط شهر"), "2024-03", "month"),
            ],
            tables=[monthly_table(), weekly_table(), language_table()],
            note=label(
                "Counts of posts and accounts over time.", "أعداد المنشورات والحسابات عبر الزمن."
            ),
        ),
        CensusSection(
            key="clients",
            title=label("Clients", "التطبيقات"),
            headline=[
                Headline(
                    "top_client",
                    label(f"Top client {HOSTILE}", "أكثر تطبيق"),
                    "Twitter for Android",
                    "",
                ),
            ],
            tables=[client_table(), weekday_table()],
        ),
        CensusSection(
            key="survival",
            title=label("Survival", "البقاء"),
            headline=[
                Headline(
                    "median_days", label("Median account life", "العمر الوسيط للحساب"), 20.8, "days"
                ),
            ],
            tables=[survival_table()],
        ),
        CensusSection(
            key="hashtags",
            title=label("Hashtags", "الوسوم"),
            tables=[hashtag_table(), empty_table()],
        ),
    ]
    meta = {
        "workspace": "ws-weather",
        "generated_at": "2024-06-01T12:00:00+00:00",
        "filters": {"since": "2023-01-01", "platforms": ["telegram", "x"], "lang": None},
        "sources": [
            {
                "path": "exports/desk_a.jsonl",
                "adapter": "jsonl",
                "records": 30_000,
                "quarantined": 3,
            },
            {"path": "exports/desk_b.csv", "adapter": "csv", "records": 18_213, "quarantined": 4},
        ],
        "counts": {"posts": 48_213, "accounts": 1_204, "media_items": 77},
        "date_range": {"start": "2023-01-01", "end": "2024-06-30"},
        "definitions": [
            {
                "term": label("Active account", "حساب نشط"),
                "text": label("An account with a post in the month.", "حساب له منشور في الشهر."),
            }
        ],
        "caveats": [label("Deleted posts are not counted.", "لا تُحسب المنشورات المحذوفة.")],
    }
    return CensusResult(meta=meta, sections=sections)


@pytest.fixture
def census() -> CensusResult:
    return make_census()


# a small DOM over html.parser ------------------------------------------------

VOID = {"meta", "br", "hr", "img", "input", "link", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def iter(self) -> list[Node]:
        out = [self]
        for child in self.children:
            if isinstance(child, Node):
                out.extend(child.iter())
        return out

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.iter()[1:]
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes())
            and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag} class={cls} {attrs}>"
        return found[0]

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    """Builds a :class:`Node` tree and fails on any end tag that does not close the open one."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        open_tag = self.stack.pop().tag
        assert open_tag == tag, f"</{tag}> closes <{open_tag}>"

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(document: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(document)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root
