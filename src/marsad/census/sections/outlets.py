"""The census's ``outlets`` section: media outlets per period, and cross-platform outlinks.

Part of the *census* stage (:mod:`marsad.census.sections`): posts naming or
linking each outlet of the indicator registry (by hashtag, domain, handle,
mention or name in the text), their output per period with the change on the
period before, and links to other platforms (:mod:`marsad.census.platforms`).
"""

from __future__ import annotations

from marsad.census.platforms import CATEGORY_LABELS, PLATFORM_LABELS
from marsad.census.result import CensusSection, CensusTable, Chart, Column, Headline
from marsad.census.sections.base import Census, sql
from marsad.census.sections.common import C_ACCOUNTS, C_POSTS, L, iso_date

__all__ = ["outlets_section"]


def outlets_section(census: Census) -> CensusSection:
    # names: one RE2 pattern per outlet, bound as a parameter (compiled once)
    census.con.execute(
        "CREATE OR REPLACE TEMP TABLE _c_outlet_names "
        "(platform VARCHAR, native_id VARCHAR, outlet VARCHAR)"
    )
    for outlet, pattern in census.outlets.name_patterns().items():
        census.con.execute(
            "INSERT INTO _c_outlet_names SELECT platform, native_id, ? FROM c_texts "
            "WHERE text_norm IS NOT NULL AND regexp_matches(text_norm, ?)",
            [outlet, pattern],
        )
    census.con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _c_outlet_posts AS
        WITH tok AS (SELECT indicator AS outlet, kind, token FROM _c_outlet_tokens),
        by_tag AS (SELECT DISTINCT u.platform, u.native_id, t.outlet
                   FROM (SELECT platform, native_id, unnest(hashtags) v FROM c_posts) u
                   JOIN tok t ON t.kind = 'hashtag' AND t.token = u.v),
        by_domain AS (SELECT DISTINCT u.platform, u.native_id, t.outlet
                      FROM (SELECT platform, native_id, unnest(domains) v FROM c_posts) u
                      JOIN tok t
                      ON t.kind = 'domain' AND (u.v = t.token OR ends_with(u.v, '.' || t.token))),
        by_handle AS (SELECT DISTINCT p.platform, p.native_id, t.outlet
                      FROM c_posts p JOIN accounts a
                        ON a.platform = p.platform AND a.native_id = p.account_id
                      JOIN tok t ON t.kind = 'handle' AND lower(a.handle) = t.token),
        by_mention AS (SELECT DISTINCT u.platform, u.native_id, t.outlet
                       FROM (SELECT platform, native_id, unnest(mentions) v FROM c_posts) u
                       JOIN tok t ON t.kind = 'handle' AND u.v = t.token),
        by_name AS (SELECT platform, native_id, outlet FROM _c_outlet_names)
        SELECT DISTINCT o.platform, o.native_id, o.outlet, p.created_at, p.account_id
        FROM (SELECT * FROM by_tag UNION SELECT * FROM by_domain UNION SELECT * FROM by_handle
              UNION SELECT * FROM by_mention UNION SELECT * FROM by_name) o
        JOIN c_posts p ON p.platform = o.platform AND p.native_id = o.native_id
        """
    )
    labels = census.outlets.labels("en")
    labels_ar = census.outlets.labels("ar")
    totals = census.rows(
        """SELECT outlet, count(*) n, count(DISTINCT (platform, account_id)),
                  min(created_at), max(created_at)
           FROM _c_outlet_posts GROUP BY outlet ORDER BY n DESC, outlet"""
    )
    outlet_table = CensusTable(
        "outlets",
        L("Posts naming or linking each outlet", "المنشورات التي تذكر كل مؤسسة أو تربط إليها"),
        [
            Column("outlet", L("Outlet", "المؤسسة")),
            Column("name_en", L("Name", "الاسم")),
            Column("name_ar", L("Arabic name", "الاسم العربي")),
            C_POSTS,
            C_ACCOUNTS,
            Column("first", L("First post", "أول منشور"), "date"),
            Column("last", L("Last post", "آخر منشور"), "date"),
        ],
        [
            [o, labels.get(o, o), labels_ar.get(o, o), n, a, iso_date(f), iso_date(t)]
            for o, n, a, f, t in totals
        ],
        Chart("hbar", "name_en", ("posts",)),
    )
    monthly = census.rows(
        sql(
            """SELECT {p0} k, outlet, count(*) n
            FROM _c_outlet_posts WHERE created_at IS NOT NULL
            GROUP BY k, outlet ORDER BY outlet, k""",
            p0=census.trunc("created_at"),
        ),
        period=census.f.interval,
    )
    series_rows = []
    previous: dict[str, int] = {}
    for k, outlet, n in monthly:
        before = previous.get(outlet)
        change = None if before is None else round(100.0 * (n - before) / before, 1)
        series_rows.append([k, labels.get(outlet, outlet), n, change])
        previous[outlet] = n
    series_rows.sort(key=lambda r: (r[0], r[1]))
    series = CensusTable(
        "outlet_series",
        L(
            "Output per outlet per period, with change on the period before",
            "إنتاج كل مؤسسة في كل فترة مع التغيّر عن الفترة السابقة",
        ),
        [
            census.period,
            Column("outlet", L("Outlet", "المؤسسة")),
            C_POSTS,
            Column("change", L("Change on previous period", "التغيّر عن الفترة السابقة"), "percent"),
        ],
        series_rows,
        Chart("line", "period", ("posts",), group="outlet"),
        note=L(
            "Change is against the outlet's previous period with posts.",
            "التغيّر محسوب مقابل آخر فترة سابقة للمؤسسة فيها منشورات.",
        ),
    )
    links = census.rows(
        """
        WITH l AS (SELECT p.platform src, p.native_id, p.account_id, u.v dom
                   FROM c_posts p, unnest(p.domains) u(v)),
        m AS (SELECT l.*, s.platform AS target, s.category,
                     row_number() OVER (PARTITION BY l.native_id, l.src, l.dom
                                        ORDER BY length(s.suffix) DESC) r
              FROM l JOIN _c_platform_suffixes s
              ON l.dom = s.suffix OR ends_with(l.dom, '.' || s.suffix))
        SELECT target, category, count(*) n, count(DISTINCT (src, native_id)),
               count(DISTINCT (src, account_id)),
               round(100.0 * n / (SELECT count(*) FROM l), 2)
        FROM m WHERE r = 1 GROUP BY target, category ORDER BY n DESC, target
        """
    )
    outlinks = CensusTable(
        "outlinks",
        L("Links to other platforms", "الروابط إلى منصات أخرى"),
        [
            Column("platform", L("Platform", "المنصة")),
            Column("category", L("Kind", "النوع")),
            Column("links", L("Links", "الروابط"), "count"),
            C_POSTS,
            C_ACCOUNTS,
            Column("share", L("Share of all links", "النسبة من كل الروابط"), "percent"),
        ],
        [
            [
                PLATFORM_LABELS.get(t, {}).get("en", t),
                CATEGORY_LABELS.get(c, {}).get("en", c),
                *rest,
            ]
            for t, c, *rest in links
        ],
        Chart("hbar", "platform", ("links",)),
    )
    return CensusSection(
        "outlets",
        L("Media outlets and outlinks", "المؤسسات الإعلامية والروابط الخارجية"),
        [
            Headline(
                "outlet_posts",
                L("Posts naming or linking an outlet", "منشورات تذكر مؤسسة أو تربط إليها"),
                census.one("SELECT count(DISTINCT (platform, native_id)) FROM _c_outlet_posts")[0],
                "count",
            ),
            Headline("outlets_seen", L("Outlets seen", "مؤسسات ظهرت"), len(totals), "count"),
            Headline(
                "top_outlet",
                L("Most present outlet", "المؤسسة الأكثر حضورًا"),
                labels.get(totals[0][0], totals[0][0]) if totals else None,
            ),
            Headline(
                "outlinks",
                L("Links to other platforms", "روابط إلى منصات أخرى"),
                sum(r[2] for r in links),
                "count",
            ),
        ],
        [outlet_table, series, outlinks],
    )
