"""The census's ``content`` section: hashtags, mentions and linked domains.

Part of the *census* stage (:mod:`marsad.census.sections`): the top hashtags
with their series over time, rising hashtags (the last 30 days of the range
against the 30 before), the most mentioned accounts and linked domains.
"""

from __future__ import annotations

from marsad.census.result import CensusSection, CensusTable, Chart, Column, Headline, Label
from marsad.census.sections.base import Census, sql
from marsad.census.sections.common import C_ACCOUNTS, C_POSTS, L

__all__ = ["content_section"]


def content_section(census: Census) -> CensusSection:
    top = census.f.top

    def top_list(col: str, key: str, title: Label, label: Label) -> CensusTable:
        rows = census.rows_if(
            key,
            sql(
                """SELECT v, {posts} n, {accounts},
                       round(100.0 * n / (SELECT sum(posts) FROM {total}), 2)
                FROM {src} GROUP BY v ORDER BY n DESC, v LIMIT ?""",
                total=census.rolled("rollup_accounts"),
                **census.counted(col, listed=True),
            ),
            [top],
        )
        return CensusTable(
            key,
            title,
            [
                Column("value", label),
                C_POSTS,
                C_ACCOUNTS,
                Column("share", L("Share of posts", "نسبة المنشورات"), "percent"),
            ],
            rows,
            Chart("hbar", "value", ("posts",)),
        )

    tags = top_list("hashtags", "hashtags", L("Top hashtags", "أكثر الوسوم"), L("Hashtag", "الوسم"))
    mentions = top_list(
        "mentions",
        "mentions",
        L("Most mentioned accounts", "أكثر الحسابات إشارةً"),
        L("Mention", "الإشارة"),
    )
    domains = top_list(
        "domains",
        "domains",
        L("Top linked domains", "أكثر النطاقات ربطًا"),
        L("Domain", "النطاق"),
    )
    series_tags = [r[0] for r in tags.rows[:8]]
    series = CensusTable(
        "hashtag_series",
        L("Top hashtags over time", "أكثر الوسوم عبر الزمن"),
        [census.period, Column("hashtag", L("Hashtag", "الوسم")), C_POSTS],
        census.rows_if(
            "hashtag_series",
            sql(
                """SELECT k, h, count(*) FROM (
                    SELECT {p0} k, unnest(hashtags) h FROM c_posts
                    WHERE ts IS NOT NULL AND list_has_any(hashtags, ?::VARCHAR[]))
                WHERE list_contains(?::VARCHAR[], h)
                GROUP BY k, h ORDER BY k, h""",
                p0=census.trunc("ts"),
            ),
            [series_tags, series_tags],
            period=census.f.interval,
        ),
        Chart("line", "period", ("posts",), group="hashtag"),
    )
    rising = _rising(census)
    return CensusSection(
        "content",
        L("Hashtags, mentions and links", "الوسوم والإشارات والروابط"),
        [
            Headline(
                "distinct_hashtags",
                L("Distinct hashtags", "وسوم مختلفة"),
                census.one_if(
                    "distinct_hashtags",
                    1,
                    sql(
                        "SELECT count(DISTINCT hashtag) FROM {p0}",
                        p0=census.rolled("rollup_hashtags"),
                    ),
                )[0],
                "count",
            ),
            Headline(
                "top_hashtag",
                L("Top hashtag", "أكثر وسم"),
                tags.rows[0][0] if tags.rows else None,
            ),
            Headline(
                "top_domain",
                L("Top linked domain", "أكثر نطاق"),
                domains.rows[0][0] if domains.rows else None,
            ),
            Headline(
                "posts_with_links",
                L("Posts with links", "منشورات بروابط"),
                census.one_if(
                    "links",
                    1,
                    "SELECT round(100.0 * count(*) FILTER (WHERE len(urls) > 0) / "
                    "greatest(count(*), 1), 2) FROM c_posts",
                )[0],
                "percent",
            ),
        ],
        [tags, series, rising, mentions, domains],
    )


def _rising(census: Census) -> CensusTable:
    """Hashtags of the last 30 days of the range against the 30 days before."""
    rows = census.rows_if(
        "rising_hashtags",
        """
        WITH bounds AS (SELECT max(created_at) hi FROM c_posts),
        t AS (
            SELECT h,
                   count(*) FILTER (WHERE created_at > hi - INTERVAL 30 DAY) recent,
                   count(*) FILTER (WHERE created_at <= hi - INTERVAL 30 DAY
                                      AND created_at > hi - INTERVAL 60 DAY) previous
            FROM c_posts, bounds, unnest(hashtags) AS u(h)
            WHERE created_at > hi - INTERVAL 60 DAY GROUP BY h)
        SELECT h, recent, previous, round((recent + 1.0) / (previous + 1.0), 2) growth
        FROM t WHERE recent >= 5 AND recent > previous
        ORDER BY growth DESC, recent DESC, h LIMIT ?
        """,
        [census.f.top],
    )
    return CensusTable(
        "rising_hashtags",
        L(
            "Rising hashtags: last 30 days against the 30 before",
            "وسوم صاعدة: آخر 30 يومًا مقابل الثلاثين السابقة",
        ),
        [
            Column("hashtag", L("Hashtag", "الوسم")),
            Column("recent", L("Last 30 days", "آخر 30 يومًا"), "count"),
            Column("previous", L("30 days before", "الثلاثون السابقة"), "count"),
            Column("growth", L("Growth (x)", "النمو (مرات)"), "ratio"),
        ],
        rows,
        Chart("hbar", "hashtag", ("growth",)),
    )
