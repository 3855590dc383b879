"""The census's ``migration`` section: shares of posts and of outlinks by platform.

Part of the *census* stage (:mod:`marsad.census.sections`): per period, each
platform's share of the posts in scope, and each platform's share of the links
to other platforms (:mod:`marsad.census.platforms`).
"""

from __future__ import annotations

from marsad.census.platforms import PLATFORM_LABELS
from marsad.census.result import CensusSection, CensusTable, Chart, Column, Headline
from marsad.census.sections.base import Census, sql
from marsad.census.sections.common import C_POSTS, C_SHARE, L

__all__ = ["migration_section"]


def migration_section(census: Census) -> CensusSection:
    activity = census.rows(
        sql(
            """SELECT {p0} k, platform, count(*) n,
                   round(100.0 * n / sum(n) OVER (PARTITION BY k), 2)
            FROM c_posts WHERE ts IS NOT NULL GROUP BY k, platform ORDER BY k, platform""",
            p0=census.trunc("ts"),
        ),
        period=census.f.interval,
    )
    outlinks = census.rows(
        sql(
            """
        WITH l AS (SELECT p.ts, p.native_id, p.platform src, u.v dom
                   FROM c_posts p, unnest(p.domains) u(v) WHERE p.ts IS NOT NULL),
        m AS (SELECT l.*, s.platform AS target,
                     row_number() OVER (PARTITION BY l.native_id, l.src, l.dom
                                        ORDER BY length(s.suffix) DESC) r
              FROM l JOIN _c_platform_suffixes s
              ON l.dom = s.suffix OR ends_with(l.dom, '.' || s.suffix))
        SELECT {p0} k, target, count(*) n,
               round(100.0 * n / sum(n) OVER (PARTITION BY k), 2)
        FROM m WHERE r = 1 GROUP BY k, target ORDER BY k, target
        """,
            p0=census.trunc("ts"),
        ),
        period=census.f.interval,
    )
    return CensusSection(
        "migration",
        L("Migration between platforms", "الانتقال بين المنصات"),
        [
            Headline(
                "platforms",
                L("Platforms with posts", "منصات فيها منشورات"),
                len({r[1] for r in activity}),
                "count",
            )
        ],
        [
            CensusTable(
                "activity_by_platform",
                L("Share of posts by platform", "نسبة المنشورات حسب المنصة"),
                [census.period, Column("platform", L("Platform", "المنصة")), C_POSTS, C_SHARE],
                activity,
                Chart("area", "period", ("share",), group="platform"),
            ),
            CensusTable(
                "outlinks_by_platform",
                L(
                    "Share of outlinks by target platform",
                    "نسبة الروابط الخارجية حسب المنصة الهدف",
                ),
                [
                    census.period,
                    Column("platform", L("Platform linked to", "المنصة المرتبط بها")),
                    Column("links", L("Links", "الروابط"), "count"),
                    C_SHARE,
                ],
                [[k, PLATFORM_LABELS.get(t, {}).get("en", t), n, s] for k, t, n, s in outlinks],
                Chart("area", "period", ("share",), group="platform"),
            ),
        ],
    )
