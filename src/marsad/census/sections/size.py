"""The census's ``size`` section: accounts by status, and per day, week and month.

Part of the *census* stage (:mod:`marsad.census.sections`): accounts by their
last known status; accounts created, first seen and suspended, active accounts
and posts per day, week and month over the observation window (the periods
from the first post in scope to the last).
"""

from __future__ import annotations

from marsad.census.result import CensusSection, CensusTable, Chart, Column, Headline
from marsad.census.sections.base import Census, Sql, sql
from marsad.census.sections.common import C_ACCOUNTS, C_DAY, C_PERIOD, C_POSTS, C_SHARE, L, pct

__all__ = ["STATUS_LABELS", "size_section"]

#: account statuses (marsad.model.AccountStatus) for people
STATUS_LABELS = {
    "active": L("active", "نشط"),
    "suspended": L("suspended", "معلَّق"),
    "deleted": L("deleted", "محذوف"),
    "protected": L("protected", "محمي"),
    "unknown": L("unknown", "غير معروف"),
}


def size_section(census: Census) -> CensusSection:
    total, posts = census.one(
        "SELECT (SELECT count(*) FROM c_accounts), (SELECT count(*) FROM c_posts)"
    )
    by_status = census.rows(
        "SELECT status, count(*) n FROM c_accounts GROUP BY status ORDER BY n DESC, status"
    )
    n = dict((s, c) for s, c in by_status)
    status_table = CensusTable(
        "status",
        L("Accounts by last known status", "الحسابات حسب آخر حالة معروفة"),
        [Column("status", L("Status", "الحالة"), values=STATUS_LABELS), C_ACCOUNTS, C_SHARE],
        [[s, c, pct(c, total)] for s, c in by_status],
        Chart("hbar", "status", ("accounts",)),
    )
    # one row per account event, as plain UTC timestamps: its creation, its
    # first post in scope, its first observed suspension
    census.con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _c_events AS
        SELECT 'created' kind, make_timestamp(epoch_us(created_at)) t FROM c_accounts
        WHERE created_at IS NOT NULL
        UNION ALL
        SELECT 'seen', make_timestamp(epoch_us(first_at)) FROM _c_posting
        WHERE first_at IS NOT NULL
        UNION ALL
        SELECT 'suspended', make_timestamp(epoch_us(min(e.observed_at))) FROM status_events e
        JOIN c_accounts a ON a.platform = e.platform AND a.native_id = e.account_id
        WHERE e.status = 'suspended' GROUP BY e.platform, e.account_id
        """
    )
    events = """
        WITH ev AS (
            SELECT {pe} k, count(*) FILTER (WHERE kind = 'created') created,
                   count(*) FILTER (WHERE kind = 'seen') seen,
                   count(*) FILTER (WHERE kind = 'suspended') suspended
            FROM _c_events GROUP BY k),
        active AS ({active})
        SELECT k, coalesce(ev.created, 0), coalesce(ev.seen, 0), coalesce(ev.suspended, 0),
               coalesce(active.n, 0), coalesce(active.posts, 0)
        FROM ev FULL JOIN active USING (k)
        WHERE k BETWEEN (SELECT min(k) FROM active) AND (SELECT max(k) FROM active)
        ORDER BY k
    """
    # active accounts and posts per period: months from the rollup, whose
    # rows are one per account and month
    active_by_month = Sql(
        sql(
            "SELECT month k, count(*) n, sum(posts)::BIGINT posts "
            "FROM {p0} WHERE month IS NOT NULL GROUP BY k",
            p0=census.rolled("rollup_months"),
        )
    )
    active_by = """
        SELECT {p} k, count(DISTINCT (platform, account_id)) n, count(*) posts
        FROM c_posts WHERE ts IS NOT NULL GROUP BY k"""
    cols = [
        Column("created", L("Accounts created", "حسابات أُنشئت"), "count"),
        Column("first_seen", L("Accounts first seen", "حسابات ظهرت لأول مرة"), "count"),
        Column("suspended", L("Suspensions", "تعليقات الحسابات"), "count"),
        Column("active", L("Active accounts", "حسابات نشطة"), "count"),
        C_POSTS,
    ]
    tables = [status_table]
    for interval, key, title, first in (
        ("day", "per_day", L("Per day", "يوميًا"), C_DAY),
        ("week", "per_week", L("Per week", "أسبوعيًا"), C_PERIOD["week"]),
        ("month", "per_month", L("Per month", "شهريًا"), C_PERIOD["month"]),
    ):
        # the observation window: periods from the first post to the last
        # (creation before it is in the creation-waves table of "devices")
        rows = census.rows_if(
            key,
            sql(
                events,
                pe=census.trunc("t", interval),
                active=active_by_month
                if interval == "month"
                else Sql(sql(active_by, p=census.trunc("ts", interval))),
            ),
            period=interval,
        )
        chart = (
            None
            if interval == "day"
            else Chart("line", "period", ("created", "first_seen", "suspended", "active"))
        )
        tables.append(
            CensusTable(
                key,
                L(
                    f"Accounts created, first seen, suspended and active {title['en'].lower()}",
                    f"الحسابات المُنشأة والظاهرة والمعلّقة والنشطة {title['ar']}",
                ),
                [first if interval == "day" else C_PERIOD[interval], *cols],
                rows,
                chart,
            )
        )
    suspended = n.get("suspended", 0)
    return CensusSection(
        "size",
        L("Size of the network", "حجم الشبكة"),
        [
            Headline("accounts", L("Accounts", "الحسابات"), total, "count"),
            Headline("posts", L("Posts", "المنشورات"), posts, "count"),
            Headline("active", L("Active", "نشطة"), n.get("active", 0), "count"),
            Headline("suspended", L("Suspended", "معلّقة"), suspended, "count"),
            Headline("deleted", L("Deleted", "محذوفة"), n.get("deleted", 0), "count"),
            Headline(
                "suspended_share",
                L("Share suspended", "نسبة المعلّقة"),
                pct(suspended, total),
                "percent",
            ),
        ],
        tables,
    )
