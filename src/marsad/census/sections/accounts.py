"""The census's ``accounts`` section: per-account figures, the hyperactive core, bursts.

Part of the *census* stage (:mod:`marsad.census.sections`): followers,
following and posts at the census date (from snapshots), posts per day, the
most active accounts, the fewest accounts that produce half of all posts
(:class:`Ranking`), the share of posts by the top x% of accounts, and days of
unusual volume.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from marsad.census.result import CensusSection, CensusTable, Chart, Column, Headline
from marsad.census.sections.base import Census, sql
from marsad.census.sections.common import C_ACCOUNTS, C_DAY, C_POSTS, C_SHARE, L, pct, rounded

__all__ = ["Ranking", "accounts_section"]


def accounts_section(census: Census) -> CensusSection:
    at = census.at
    dist_rows = []
    for metric, label in (
        ("followers", L("Followers", "المتابِعون")),
        ("following", L("Following", "يتابِع")),
        ("posts_count", L("Posts (platform count)", "المنشورات (عدّاد المنصة)")),
    ):
        row = census.one(
            sql(
                """SELECT count({p0}), avg({p0}),
                quantile_cont({p0}::DOUBLE, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]),
                max({p0}) FROM _c_at""",
                p0=metric,
            )  # metric names are constants
        )
        q = row[2] or [None] * 6
        dist_rows.append([metric, label["en"], row[0], rounded(row[1]), *map(rounded, q), row[3]])
    dist = CensusTable(
        "distribution",
        L(f"Per-account figures at {at.date()}", f"أرقام الحسابات في {at.date()}"),
        [
            Column("metric", L("Metric", "المقياس")),
            Column("label", L("Label", "الوصف")),
            Column("n", L("Accounts with a value", "حسابات لها قيمة"), "count"),
            Column("mean", L("Mean", "المتوسط")),
            Column("p10", L("10th percentile", "المئين 10")),
            Column("p25", L("25th percentile", "المئين 25")),
            Column("median", L("Median", "الوسيط")),
            Column("p75", L("75th percentile", "المئين 75")),
            Column("p90", L("90th percentile", "المئين 90")),
            Column("p99", L("99th percentile", "المئين 99")),
            Column("max", L("Maximum", "الأقصى")),
        ],
        dist_rows,
    )
    hist = CensusTable(
        "followers_bins",
        L("Accounts by number of followers", "الحسابات حسب عدد المتابِعين"),
        [Column("bin", L("Followers", "المتابِعون")), C_ACCOUNTS, C_SHARE],
        census.rows_if(
            "followers_bins",
            """
            WITH b AS (
                SELECT CASE WHEN followers < 10 THEN 0 WHEN followers < 100 THEN 1
                            WHEN followers < 1000 THEN 2 WHEN followers < 10000 THEN 3
                            WHEN followers < 100000 THEN 4 ELSE 5 END bin
                FROM _c_at WHERE followers IS NOT NULL)
            SELECT ['0-9','10-99','100-999','1,000-9,999','10,000-99,999','100,000+'][bin + 1],
                   count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 2)
            FROM b GROUP BY bin ORDER BY bin
            """,
        ),
        Chart("bar", "bin", ("accounts",)),
    )
    # posts per day: what the platform's counter says over the account's age,
    # and what the workspace holds over the days between its first and last post
    ppd = census.one_if(
        "posts_per_day",
        1,
        """
        SELECT median(posts_count / greatest(date_diff('day', created_at, observed_at), 1))
        FROM _c_at WHERE posts_count IS NOT NULL AND created_at IS NOT NULL
                     AND observed_at IS NOT NULL AND observed_at >= created_at
        """,
    )[0]
    ppd_seen = census.one_if(
        "posts_per_day",
        1,
        """
        SELECT median(dated / greatest(date_diff('day', first_at, last_at) + 1, 1))
        FROM _c_posting WHERE dated > 0
        """,
    )[0]
    # accounts ranked by posts in scope (ties by key): the running totals
    # follow from how many accounts have each number of posts, without
    # sorting the accounts themselves
    ranking = Ranking(
        census.rows("SELECT posts, count(*) FROM _c_posting GROUP BY posts ORDER BY posts DESC")
    )
    n_accounts, volume = ranking.accounts, ranking.volume
    # the hyperactive core: fewest accounts that together produce half of all posts
    core = ranking.core()
    top_rows = []
    running = 0
    for platform, aid, handle, posts, followers in census.rows(
        """WITH t AS (SELECT platform, account_id, posts FROM _c_posting
                      ORDER BY posts DESC, platform, account_id LIMIT ?)
           SELECT t.platform, t.account_id, a.handle, t.posts, a.followers
           FROM t LEFT JOIN _c_at a ON a.platform = t.platform AND a.native_id = t.account_id
           ORDER BY t.posts DESC, t.platform, t.account_id""",
        [max(census.f.top, 50)],
    ):
        running += posts
        top_rows.append(
            [
                platform,
                aid,
                handle,
                posts,
                pct(posts, volume),
                pct(running, volume),
                followers,
            ]
        )
    top = CensusTable(
        "top_accounts",
        L("Most active accounts", "أكثر الحسابات نشاطًا"),
        [
            Column("platform", L("Platform", "المنصة")),
            Column("account_id", L("Account id", "معرّف الحساب")),
            Column("handle", L("Handle", "اسم المستخدم")),
            C_POSTS,
            Column("share", L("Share of posts", "نسبة المنشورات"), "percent"),
            Column("cumulative", L("Cumulative share", "النسبة التراكمية"), "percent"),
            Column("followers", L("Followers", "المتابِعون"), "count"),
        ],
        top_rows,
    )
    curve = _concentration(census, ranking)
    bursts = _bursts(census)
    return CensusSection(
        "accounts",
        L("Accounts and activity", "الحسابات والنشاط"),
        [
            Headline(
                "median_followers",
                L("Median followers", "وسيط المتابِعين"),
                rounded(dist_rows[0][6]),
                "count",
            ),
            Headline(
                "mean_followers",
                L("Mean followers", "متوسط المتابِعين"),
                dist_rows[0][3],
                "count",
            ),
            Headline(
                "posts_per_day",
                L(
                    "Median posts per day (platform count)",
                    "وسيط المنشورات يوميًا (عدّاد المنصة)",
                ),
                rounded(ppd),
                "ratio",
            ),
            Headline(
                "posts_per_day_seen",
                L("Median posts per day (collected)", "وسيط المنشورات يوميًا (المجموعة)"),
                rounded(ppd_seen),
                "ratio",
            ),
            Headline(
                "core_accounts",
                L("Accounts producing half of all posts", "حسابات تنتج نصف المنشورات"),
                core,
                "count",
            ),
            Headline(
                "core_share",
                L("…as a share of posting accounts", "…نسبةً إلى الحسابات الناشرة"),
                pct(core, n_accounts),
                "percent",
            ),
            Headline("burst_days", L("Burst days", "أيام الذروة"), len(bursts.rows), "count"),
        ],
        [dist, hist, top, curve, bursts],
    )


def _concentration(census: Census, ranking: Ranking) -> CensusTable:
    """Share of posts by the top x% of accounts (a Lorenz-style curve)."""
    n = ranking.accounts
    marks = {max(1, round(n * p / 100)): p for p in (1, 2, 5, 10, 20, 30, 50, 75, 100)}
    rows = (
        [
            [marks[rn], rn, pct(ranking.running(rn), ranking.volume)]
            for rn in sorted(marks)
            if rn <= n
        ]
        if census.want("concentration")
        else []
    )
    return CensusTable(
        "concentration",
        L("Share of posts by the most active accounts", "نسبة المنشورات لدى أنشط الحسابات"),
        [
            Column("top_percent", L("Top accounts (%)", "أنشط الحسابات (%)"), "percent"),
            C_ACCOUNTS,
            Column("posts_share", L("Share of posts", "نسبة المنشورات"), "percent"),
        ],
        rows,
        Chart("line", "top_percent", ("posts_share",)),
    )


def _bursts(census: Census) -> CensusTable:
    """Days whose volume is far above the usual: robust z-score (median, MAD) > 3.5."""
    daily = census.rows_if(
        "bursts",
        """SELECT CAST(date_trunc('day', ts) AS DATE) d, count(*)
           FROM c_posts WHERE ts IS NOT NULL GROUP BY d ORDER BY d""",
        period="day",
    )
    counts = [c for _, c in daily]
    rows = []
    if len(counts) >= 7:
        med = statistics.median(counts)
        mad = statistics.median(abs(c - med) for c in counts) * 1.4826 or 1.0
        for d, c in daily:
            z = (c - med) / mad
            if z > 3.5 and c >= 10:
                rows.append([d, c, round(z, 1)])
    if rows:
        tags = dict(
            (d, t)
            for d, t in census.rows(
                """
                WITH t AS (
                    SELECT CAST(date_trunc('day', ts) AS DATE) d, h, count(*) n
                    FROM c_posts, unnest(hashtags) AS u(h)
                    WHERE CAST(date_trunc('day', ts) AS DATE) IN (SELECT unnest(?::DATE[]))
                    GROUP BY d, h)
                SELECT d, arg_max(h, (n, h)) FROM t GROUP BY d
                """,
                [[r[0] for r in rows]],
                period="day",
            )
        )
        rows = [[*r, tags.get(r[0])] for r in rows]
    return CensusTable(
        "bursts",
        L("Burst days (robust z-score above 3.5)", "أيام الذروة (درجة معيارية متينة فوق 3.5)"),
        [
            C_DAY,
            C_POSTS,
            Column("z", L("Robust z-score", "الدرجة المعيارية المتينة"), "ratio"),
            Column("top_hashtag", L("Top hashtag that day", "أكثر وسم في ذلك اليوم")),
        ],
        rows,
    )


class Ranking:
    """Accounts ranked by their posts (most first), known from *histogram*:
    ``(posts, accounts with that many)`` rows, most posts first."""

    def __init__(self, histogram: Sequence[Sequence[int]]) -> None:
        self.groups = [(int(p), int(k)) for p, k in histogram]
        self.accounts = sum(k for _, k in self.groups)
        self.volume = sum(p * k for p, k in self.groups)

    def running(self, rank: int) -> int:
        """Posts of the accounts ranked 1 to *rank*."""
        total = seen = 0
        for posts, k in self.groups:
            take = min(k, rank - seen)
            total += take * posts
            seen += take
            if seen >= rank:
                break
        return total

    def core(self) -> int:
        """The fewest accounts that produce half of all posts: those whose
        posts before them in the ranking are fewer than half."""
        core = before = 0
        for posts, k in self.groups:
            # accounts j = 0..k-1 of this group have before + j * posts before
            # them; count those with 2 * (before + j * posts) < volume
            room = self.volume - 2 * before
            if room <= 0:
                break
            core += min(k, -(-room // (2 * posts)))
            before += k * posts
        return core
