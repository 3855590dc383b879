"""The census's ``devices`` section: clients, languages, places, account age, creation.

Part of the *census* stage (:mod:`marsad.census.sections`): posts and accounts
by client and by language (marsad's and the platform's), geolocation, account
age when observed, and accounts created per period with its creation waves.
"""

from __future__ import annotations

import statistics
from typing import Any

from marsad.census.result import CensusSection, CensusTable, Chart, Column, Headline, Label
from marsad.census.sections.base import Census, sql
from marsad.census.sections.common import C_ACCOUNTS, C_POSTS, C_SHARE, L, pct, rounded

__all__ = ["devices_section"]


def devices_section(census: Census) -> CensusSection:
    top = census.f.top

    def shares(col: str, key: str, title: Label, label: Label) -> CensusTable:
        rows = census.rows_if(
            key,
            sql(
                """SELECT v, {posts} n, round(100.0 * n / sum(n) OVER (), 2), {accounts}
                FROM {src} WHERE v IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT ?""",
                **census.counted(col),
            ),
            [top],
        )
        return CensusTable(
            key,
            title,
            [Column(col, label), C_POSTS, C_SHARE, C_ACCOUNTS],
            rows,
            Chart("hbar", col, ("share",)),
        )

    def account_shares(col: str, key: str, title: Label, label: Label) -> CensusTable:
        rows = census.rows_if(
            key,
            sql(
                """
            WITH c AS (SELECT platform, account_id, v, {posts} n FROM {src}
                       WHERE v IS NOT NULL AND account_id IS NOT NULL GROUP BY ALL),
            m AS (SELECT platform, account_id, arg_max(v, (n, v)) v FROM c GROUP BY ALL)
            SELECT v, count(*) k, round(100.0 * k / sum(k) OVER (), 2) FROM m
            GROUP BY v ORDER BY k DESC, v LIMIT ?""",
                **census.counted(col),
            ),
            [top],
        )
        return CensusTable(
            key,
            title,
            [Column(col, label), C_ACCOUNTS, C_SHARE],
            rows,
            Chart("hbar", col, ("share",)),
        )

    clients = shares(
        "client",
        "clients",
        L("Posts by client (device)", "المنشورات حسب التطبيق (الجهاز)"),
        L("Client", "التطبيق"),
    )
    acc_clients = account_shares(
        "client",
        "account_clients",
        L("Accounts by their main client", "الحسابات حسب تطبيقها الرئيسي"),
        L("Client", "التطبيق"),
    )
    langs = shares(
        "lang",
        "languages",
        L("Posts by language", "المنشورات حسب اللغة"),
        L("Language", "اللغة"),
    )
    platform_langs = shares(
        "lang_platform",
        "platform_languages",
        L("Posts by the platform's language label", "المنشورات حسب وسم اللغة من المنصة"),
        L("Language (platform)", "اللغة (المنصة)"),
    )
    acc_langs = account_shares(
        "lang",
        "account_languages",
        L("Accounts by their main language", "الحسابات حسب لغتها الرئيسية"),
        L("Language", "اللغة"),
    )
    posts, coords, places, geo_accounts, accounts = census.one_if(
        "geolocation",
        5,
        """SELECT count(*), count(*) FILTER (WHERE lat IS NOT NULL),
                  count(*) FILTER (WHERE place_name IS NOT NULL OR country_code IS NOT NULL),
                  count(DISTINCT (platform, account_id)) FILTER (
                      WHERE lat IS NOT NULL OR place_name IS NOT NULL OR country_code IS NOT NULL),
                  count(DISTINCT (platform, account_id))
           FROM c_posts""",
    )
    countries = CensusTable(
        "countries",
        L("Geolocated posts by country", "المنشورات المحدّدة جغرافيًا حسب البلد"),
        [Column("country_code", L("Country", "البلد")), C_POSTS, C_SHARE],
        census.rows_if(
            "countries",
            """SELECT country_code, count(*) n, round(100.0 * n / sum(n) OVER (), 2)
               FROM c_posts WHERE country_code IS NOT NULL
               GROUP BY country_code ORDER BY n DESC, country_code LIMIT ?""",
            [top],
        ),
        Chart("hbar", "country_code", ("posts",)),
    )
    age_rows = census.rows_if(
        "account_age",
        """
        WITH a AS (SELECT date_diff('day', created_at, observed_at) d FROM _c_at
                   WHERE created_at IS NOT NULL AND observed_at IS NOT NULL
                     AND observed_at >= created_at),
        b AS (SELECT CASE WHEN d < 7 THEN 0 WHEN d < 30 THEN 1 WHEN d < 91 THEN 2
                          WHEN d < 365 THEN 3 WHEN d < 730 THEN 4 ELSE 5 END bin FROM a)
        SELECT ['< 1 week','1-4 weeks','1-3 months','3-12 months','1-2 years','2+ years'][bin + 1],
               count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 2)
        FROM b GROUP BY bin ORDER BY bin
        """,
    )
    median_age = census.one_if(
        "account_age",
        1,
        """SELECT median(date_diff('day', created_at, observed_at)) FROM _c_at
           WHERE created_at IS NOT NULL AND observed_at >= created_at""",
    )[0]
    ages = CensusTable(
        "account_age",
        L("Account age when observed", "عمر الحساب عند رصده"),
        [Column("age", L("Age", "العمر")), C_ACCOUNTS, C_SHARE],
        age_rows,
        Chart("bar", "age", ("accounts",)),
    )
    creation = census.rows_if(
        "creation",
        sql(
            """SELECT {p0} k, count(*) FROM c_accounts
            WHERE created_at IS NOT NULL GROUP BY k ORDER BY k""",
            p0=census.trunc("created_at"),
        ),
        period=census.f.interval,
    )
    waves = _waves(creation)
    creation_table = CensusTable(
        "creation",
        L(
            "Accounts created per period (creation waves)",
            "الحسابات المُنشأة في كل فترة (موجات الإنشاء)",
        ),
        [
            census.period,
            Column("created", L("Accounts created", "حسابات أُنشئت"), "count"),
            Column("wave", L("Wave", "موجة")),
        ],
        [[k, n, k in waves] for k, n in creation],
        Chart("bar", "period", ("created",)),
    )
    top_client = clients.rows[0][0] if clients.rows else None
    top_lang = langs.rows[0][0] if langs.rows else None
    return CensusSection(
        "devices",
        L("Devices, languages and places", "الأجهزة واللغات والأماكن"),
        [
            Headline("top_client", L("Most used client", "التطبيق الأكثر استخدامًا"), top_client),
            Headline(
                "top_client_share",
                L("…its share of posts", "…نسبته من المنشورات"),
                clients.rows[0][2] if clients.rows else None,
                "percent",
            ),
            Headline("top_language", L("Main language", "اللغة الرئيسية"), top_lang),
            Headline(
                "top_language_share",
                L("…its share of posts", "…نسبتها من المنشورات"),
                langs.rows[0][2] if langs.rows else None,
                "percent",
            ),
            Headline(
                "geo_posts_share",
                L("Posts with coordinates", "منشورات بإحداثيات"),
                pct(coords, posts),
                "percent",
            ),
            Headline(
                "place_posts_share",
                L("Posts with a place", "منشورات بمكان"),
                pct(places, posts),
                "percent",
            ),
            Headline(
                "geo_accounts_share",
                L("Accounts with any geolocated post", "حسابات لها منشور محدّد جغرافيًا"),
                pct(geo_accounts, accounts),
                "percent",
            ),
            Headline(
                "median_age_days",
                L("Median account age when observed", "وسيط عمر الحساب عند رصده"),
                rounded(median_age),
                "days",
            ),
            Headline("creation_waves", L("Creation waves", "موجات الإنشاء"), len(waves), "count"),
        ],
        [
            clients,
            acc_clients,
            langs,
            acc_langs,
            platform_langs,
            countries,
            ages,
            creation_table,
        ],
    )


def _waves(series: list[list[Any]]) -> set[str]:
    """Periods with more than twice the median number of new accounts (and at least 5)."""
    counts = [n for _, n in series]
    if len(counts) < 3:
        return set()
    med = statistics.median(counts)
    return {k for k, n in series if n >= 5 and n > 2 * med}
