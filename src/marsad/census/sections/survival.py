"""The census's ``survival`` section: how fast accounts are suspended.

Part of the *census* stage (:mod:`marsad.census.sections`): the time from an
account's creation (or first sighting) to its first observed suspension, as a
Kaplan–Meier curve (:mod:`marsad.census.survival`); accounts never seen
suspended are censored at their last sighting.
"""

from __future__ import annotations

from marsad.census.result import CensusSection, CensusTable, Chart, Column, Headline
from marsad.census.sections.base import Census, Sql, sql
from marsad.census.sections.common import L
from marsad.census.survival import kaplan_meier

__all__ = ["KM_ROWS", "survival_section"]

#: event times up to which the Kaplan–Meier table has a row per event time;
#: past it, the curve on a grid, hourly at first (:meth:`KaplanMeier.rows`)
KM_ROWS = 400


def survival_section(census: Census) -> CensusSection:
    end = census.f.until
    # first and last post of each account, in scope or not
    seen = Sql(
        "SELECT platform, account_id, first_at AS first, last_at AS last FROM _c_posting"
        if census.all_posts
        else "SELECT platform, account_id, min(created_at) AS first, max(created_at) AS last "
        "FROM posts GROUP BY platform, account_id"
    )
    got = census.con.execute(
        sql(
            """
        WITH seen AS ({p0}),
        snaps AS (SELECT platform, account_id, first_seen AS first, last_seen AS last FROM _c_snap),
        ev AS (
            SELECT platform, account_id,
                   min(observed_at) FILTER (WHERE status = 'suspended') suspended,
                   max(observed_at) FILTER (WHERE status <> 'suspended') alive
            FROM status_events GROUP BY platform, account_id),
        base AS (
            SELECT a.created_at IS NOT NULL has_created,
                   coalesce(a.created_at, least(s.first, n.first, a.observed_at)) AS start,
                   ev.suspended IS NOT NULL AND (?::TIMESTAMPTZ IS NULL OR ev.suspended < ?)
                       AS event,
                   ev.suspended,
                   greatest(s.last, n.last, a.observed_at, ev.alive) last_alive
            FROM c_accounts a
            LEFT JOIN seen s ON s.platform = a.platform AND s.account_id = a.native_id
            LEFT JOIN snaps n ON n.platform = a.platform AND n.account_id = a.native_id
            LEFT JOIN ev ON ev.platform = a.platform AND ev.account_id = a.native_id),
        d AS (
            SELECT has_created, event, start,
                   CASE WHEN event THEN suspended
                        WHEN ?::TIMESTAMPTZ IS NULL THEN last_alive
                        ELSE least(last_alive, ?) END stop
            FROM base)
        SELECT coalesce(has_created, false) has_created, coalesce(event, false) AS event,
               coalesce((epoch_us(stop) - epoch_us(start)) / 86400e6, -1.0) lifetime
        FROM d
        """,
            p0=seen,
        ),
        [end, end, end, end],
    ).fetchnumpy()
    # accounts with no usable dates (no start, no sighting, or a stop before the start)
    usable = got["lifetime"] >= 0
    dropped = int((~usable).sum())
    durations = got["lifetime"][usable]
    observed = got["event"][usable]
    from_creation = int(got["has_created"][usable].sum())
    km = kaplan_meier(durations, observed)
    curve = CensusTable(
        "kaplan_meier",
        L(
            "Share of accounts not yet suspended, by days since creation",
            "نسبة الحسابات غير المعلّقة بعدُ حسب الأيام منذ الإنشاء",
        ),
        [
            Column("days", L("Days since creation", "أيام منذ الإنشاء"), "days"),
            Column("at_risk", L("At risk", "تحت الخطر"), "count"),
            Column("events", L("Suspended", "عُلّقت"), "count"),
            Column("censored", L("Censored", "مراقبة مقطوعة"), "count"),
            Column("survival", L("Not yet suspended", "غير معلّقة بعد"), "ratio"),
            Column("lower", L("95% lower", "الحد الأدنى 95%"), "ratio"),
            Column("upper", L("95% upper", "الحد الأعلى 95%"), "ratio"),
        ],
        [
            [round(t, 4), n, d, c, round(s, 6), round(lo, 6), round(hi, 6)]
            for t, n, d, c, s, lo, hi in km.rows(KM_ROWS)
        ],
        Chart(
            "step",
            "days",
            ("survival",),
            x_label=L("Days since creation", "أيام منذ الإنشاء"),
            y_label=L("Share not yet suspended", "نسبة غير المعلّقة"),
        ),
    )
    median = km.median()
    gridded = sum(1 for d in km.events if d) > KM_ROWS
    grid_en = (
        f" The table gives the curve at the end of regular steps ({len(curve.rows)} rows, "
        "not one per suspension): the estimate at each row is exact, its counts are the "
        "step's."
    )
    grid_ar = (
        f" يعرض الجدول المنحنى في نهاية خطوات منتظمة ({len(curve.rows)} صفًّا، "
        "لا صفًّا لكل تعليق): التقدير في كل صف دقيق، وأعداده أعداد الخطوة."
    )
    return CensusSection(
        "survival",
        L("How fast accounts are suspended", "سرعة تعليق الحسابات"),
        [
            Headline("accounts", L("Accounts in the estimate", "حسابات في التقدير"), km.n, "count"),
            Headline("suspended", L("Suspended", "عُلّقت"), km.n_events, "count"),
            Headline(
                "censored",
                L("Still up when last seen (censored)", "ما زالت قائمة عند آخر رصد (مقطوعة)"),
                km.n - km.n_events,
                "count",
            ),
            Headline(
                "median_days",
                L(
                    "Median lifetime (days; empty: not reached)",
                    "وسيط العمر (أيام؛ فارغ: لم يُبلغ)",
                ),
                None if median is None else round(median, 2),
                "days",
            ),
            Headline(
                "suspended_2d",
                L("Suspended within 2 days", "عُلّقت خلال يومين"),
                round(100 * (1 - km.at(2.0)), 2) if km.n else None,
                "percent",
            ),
            Headline(
                "suspended_5d",
                L("Suspended within 5 days", "عُلّقت خلال 5 أيام"),
                round(100 * (1 - km.at(5.0)), 2) if km.n else None,
                "percent",
            ),
        ],
        [curve],
        note=L(
            f"Start: creation date ({from_creation} accounts) or first sighting "
            f"({km.n - from_creation}); {dropped} accounts without usable dates left out. "
            "Accounts never seen suspended are censored at their last sighting."
            + (grid_en if gridded else ""),
            f"البداية: تاريخ الإنشاء ({from_creation} حسابًا) أو أول رصد "
            f"({km.n - from_creation})؛ استُبعد {dropped} حسابًا بلا تواريخ صالحة. "
            "الحسابات التي لم تُرصد معلّقة تُقطع مراقبتها عند آخر رصد لها."
            + (grid_ar if gridded else ""),
        ),
    )
