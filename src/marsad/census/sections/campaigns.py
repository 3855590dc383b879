"""The census's ``campaigns`` section: counter-messaging against the network's hashtags.

Part of the *census* stage (:mod:`marsad.census.sections`): per period, the
posts, accounts and reach of each campaign of the filter (its hashtags or
keywords, in every post of the window whoever wrote it), next to the network's
posts and its own top three hashtags.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from marsad.census.result import CensusSection, CensusTable, Chart, Column, Headline
from marsad.census.sections.base import Census, Sql, sql
from marsad.census.sections.common import C_ACCOUNTS, C_POSTS, L

__all__ = ["campaigns_section"]


def campaigns_section(census: Census) -> CensusSection:
    rows_series: list[list[Any]] = []
    totals: list[list[Any]] = []
    for c in census.f.campaigns:
        got = census.rows(
            sql(
                """
            WITH m AS (
                SELECT p.platform, p.account_id, {p0} k
                FROM c_all_posts p
                WHERE p.created_at IS NOT NULL AND (
                    list_has_any(p.hashtags, ?::VARCHAR[])
                    OR (? <> '' AND regexp_matches(coalesce(p.text_norm, ''), ?))))
            {p1}
            """,
                p0=census.trunc("p.created_at"),
                p1=_PER_PERIOD_REACH,
            ),
            [list(c.hashtags), _any_word(c.keywords), _any_word(c.keywords)],
            period=census.f.interval,
        )
        rows_series += [[k, c.name, n, a, r] for k, n, a, r in got]
        totals.append(
            [c.name, "campaign", sum(r[1] for r in got), max((r[2] for r in got), default=0)]
        )
    # the network's own top hashtags, for comparison
    own = [
        r[0]
        for r in census.rows(
            """SELECT h, count(*) n FROM c_posts, unnest(hashtags) u(h)
               GROUP BY h ORDER BY n DESC, h LIMIT 3"""
        )
    ]
    network = census.rows(
        sql(
            """
        WITH m AS (SELECT platform, account_id, {p0} k
                   FROM c_posts WHERE ts IS NOT NULL)
        {p1}
        """,
            p0=census.trunc("ts"),
            p1=_PER_PERIOD_REACH,
        ),
        period=census.f.interval,
    )
    rows_series += [[k, "network (all posts)", n, a, r] for k, n, a, r in network]
    for tag in own:
        got = census.rows(
            sql(
                """SELECT {p0} k, count(*),
                       count(DISTINCT (platform, account_id)), NULL
                FROM c_posts WHERE ts IS NOT NULL AND list_contains(hashtags, ?)
                GROUP BY k ORDER BY k""",
                p0=census.trunc("ts"),
            ),
            [tag],
            period=census.f.interval,
        )
        rows_series += [[k, "#" + tag, n, a, r] for k, n, a, r in got]
        totals.append(["#" + tag, "network hashtag", sum(r[1] for r in got), None])
    rows_series.sort(key=lambda r: (r[0], r[1]))
    note = None
    if not census.f.campaigns:
        note = L(
            "No campaign defined: pass --campaign NAME=#hashtag,keyword to compare one.",
            "لم تُحدَّد حملة: استخدم ‎--campaign NAME=#hashtag,keyword‎ للمقارنة.",
        )
    return CensusSection(
        "campaigns",
        L("Counter-messaging campaigns", "حملات الرسائل المضادّة"),
        [
            Headline(f"campaign_{i}", L(f"Posts of {t[0]}", f"منشورات {t[0]}"), t[2], "count")
            for i, t in enumerate(totals)
            if t[1] == "campaign"
        ],
        [
            CensusTable(
                "campaign_series",
                L(
                    "Campaigns against the network's own hashtags",
                    "الحملات مقابل وسوم الشبكة نفسها",
                ),
                [
                    census.period,
                    Column("series", L("Series", "السلسلة")),
                    C_POSTS,
                    C_ACCOUNTS,
                    Column(
                        "reach",
                        L(
                            "Reach (followers of posting accounts)",
                            "الوصول (متابِعو الحسابات الناشرة)",
                        ),
                        "count",
                    ),
                ],
                rows_series,
                Chart("line", "period", ("posts",), group="series"),
            ),
            CensusTable(
                "campaign_totals",
                L("Totals", "المجاميع"),
                [
                    Column("series", L("Series", "السلسلة")),
                    Column("kind", L("Kind", "النوع")),
                    C_POSTS,
                    Column(
                        "peak_accounts",
                        L("Most accounts in a period", "أكثر حسابات في فترة"),
                        "count",
                    ),
                ],
                totals,
            ),
        ],
        note=note,
    )


#: posts, accounts and reach (followers of the distinct posting accounts) per period of ``m``
_PER_PERIOD_REACH = Sql("""
, per AS (SELECT k, count(*) posts FROM m GROUP BY k),
acc AS (SELECT DISTINCT k, platform, account_id FROM m WHERE account_id IS NOT NULL),
reach AS (SELECT acc.k, count(*) accounts, coalesce(sum(a.followers), 0) reach
          FROM acc LEFT JOIN accounts a
            ON a.platform = acc.platform AND a.native_id = acc.account_id
          GROUP BY acc.k)
SELECT per.k, per.posts, coalesce(reach.accounts, 0), coalesce(reach.reach, 0)
FROM per LEFT JOIN reach USING (k) ORDER BY per.k
""")


def _any_word(words: Sequence[str]) -> str:
    """An RE2 pattern matching any of *words* as whole words (escaped); "" for none."""
    if not words:
        return ""
    return r"(^|[^\pL\pN_])(" + "|".join(re.escape(w) for w in words) + r")($|[^\pL\pN_])"
