"""The report's lineage and account sections, built from the accounts stage.

Part of the *accounts* stage (issue 6): :func:`lineage_section` turns a
:class:`~marsad.accounts.lineage.LineageResult` into a report section
(families, re-creation statistics), :func:`accounts_section` the stored
``account-score`` detections into another; the report
(:mod:`marsad.report`) draws them as it draws the census's.  Labels are in
English and Arabic; handles are shown, post texts never.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from marsad.census.result import CensusSection, CensusTable, Chart, Column, Headline
from marsad.store.base import Store

__all__ = ["accounts_section", "lineage_section"]

#: bins of the time to return, in days: (upper bound, en, ar)
RETURN_BINS = (
    (1.0, "within a day", "خلال يوم"),
    (2.0, "1-2 days", "يوم إلى يومين"),
    (7.0, "2-7 days", "من يومين إلى أسبوع"),
    (30.0, "1-4 weeks", "من أسبوع إلى أربعة أسابيع"),
    (float("inf"), "later", "بعد ذلك"),
)


def _month(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m")


def lineage_section(result: Any) -> CensusSection:
    """Families of re-created accounts and how fast and how fully they came back."""
    families = list(result.families)
    links = list(result.links)
    hours = [link.return_hours for link in links]
    regained = [link.followers_regained for link in links if link.followers_regained is not None]
    headline = [
        Headline("families", {"en": "families", "ar": "عائلات الحسابات"}, len(families), "count"),
        Headline(
            "recreated",
            {"en": "re-created accounts", "ar": "حسابات أعيد إنشاؤها"},
            len(links),
            "count",
        ),
        Headline(
            "median_return_days",
            {"en": "median time to return", "ar": "الوسيط لزمن العودة"},
            round(statistics.median(hours) / 24, 1) if hours else None,
            "days",
        ),
        Headline(
            "followers_regained",
            {"en": "followers regained (mean)", "ar": "المتابعون المستعادون (المتوسط)"},
            round(100 * statistics.fmean(regained), 1) if regained else None,
            "percent",
        ),
        Headline(
            "abstentions",
            {
                "en": "new accounts left unlinked for a reviewer (abstentions)",
                "ar": "حسابات جديدة بلا ربط تُركت للمراجع (امتناع)",
            },
            len(result.abstentions),
            "count",
        ),
    ]
    top = CensusTable(
        key="families",
        title={
            "en": "Largest families of re-created accounts",
            "ar": "أكبر عائلات الحسابات المعاد إنشاؤها",
        },
        columns=[
            Column("root", {"en": "first account", "ar": "الحساب الأول"}),
            Column("latest", {"en": "latest account", "ar": "آخر حساب"}),
            Column("recreations", {"en": "re-creations", "ar": "مرات إعادة الإنشاء"}, "count"),
            Column(
                "median_return_days",
                {"en": "median time to return", "ar": "الوسيط لزمن العودة"},
                "days",
            ),
            Column(
                "followers_regained",
                {"en": "followers regained", "ar": "المتابعون المستعادون"},
                "percent",
            ),
            Column("confidence", {"en": "weakest link's score", "ar": "أضعف درجة ربط"}, "ratio"),
        ],
        rows=[
            [
                f"@{f.handles[0]}" if f.handles[0] else f.family_id,
                f"@{f.handles[-1]}" if f.handles[-1] else f.members[-1],
                f.recreations,
                round(f.median_return_hours / 24, 1),
                round(100 * statistics.fmean(f.followers_regained), 1)
                if f.followers_regained
                else None,
                round(min(link.score for link in f.links), 3),
            ]
            for f in families[:20]
        ],
        note={
            "en": "Each family is a chain of accounts, each linked to the suspended account it "
            "most likely replaces (marsad lineage).",
            "ar": "كل عائلة سلسلة من الحسابات، يرتبط كل منها بالحساب الموقوف الذي يُرجَّح أنه يحل محله.",
        },
    )
    sizes = Counter(f.recreations for f in families)
    per_family = CensusTable(
        key="recreations_per_family",
        title={"en": "Re-creations per family", "ar": "مرات إعادة الإنشاء لكل عائلة"},
        columns=[
            Column("recreations", {"en": "re-creations", "ar": "مرات إعادة الإنشاء"}, "count"),
            Column("families", {"en": "families", "ar": "العائلات"}, "count"),
        ],
        rows=[[k, sizes[k]] for k in sorted(sizes)],
        chart=Chart("bar", "recreations", ("families",)),
    )
    binned = Counter(
        next(i for i, (upper, _, _) in enumerate(RETURN_BINS) if h / 24 <= upper) for h in hours
    )
    returns = CensusTable(
        key="time_to_return",
        title={"en": "Time to return after a suspension", "ar": "زمن العودة بعد الإيقاف"},
        columns=[
            Column(
                "after",
                {"en": "returned", "ar": "العودة"},
                values={en: {"en": en, "ar": ar} for _, en, ar in RETURN_BINS},
            ),
            Column("accounts", {"en": "re-created accounts", "ar": "الحسابات"}, "count"),
        ],
        rows=[[RETURN_BINS[i][1], binned.get(i, 0)] for i in range(len(RETURN_BINS))],
        chart=Chart("bar", "after", ("accounts",)),
        note={
            "en": "From the predecessor's last activity to the successor's creation: an upper "
            "bound on the time the account was away.",
            "ar": "من آخر نشاط للحساب السابق إلى إنشاء الحساب اللاحق: حد أعلى لمدة الغياب.",
        },
    )
    by_month = Counter(_month(link.successor_created_at) for link in links)
    months = CensusTable(
        key="recreations_by_month",
        title={"en": "Re-created accounts by month", "ar": "الحسابات المعاد إنشاؤها شهريًا"},
        columns=[
            Column("month", {"en": "month", "ar": "الشهر"}, "month"),
            Column("accounts", {"en": "re-created accounts", "ar": "الحسابات"}, "count"),
        ],
        rows=[[m, by_month[m]] for m in sorted(by_month)],
        chart=Chart("line", "month", ("accounts",)) if len(by_month) > 1 else None,
    )
    return CensusSection(
        key="lineage",
        title={"en": "Re-created accounts", "ar": "الحسابات المعاد إنشاؤها"},
        headline=headline,
        tables=[top, per_family, returns, months],
        note={
            "en": f"Links at or over the score {result.threshold:.2f} (lineage model "
            f"{result.model_version}).",
            "ar": f"روابط بدرجة {result.threshold:.2f} أو أكثر (نموذج {result.model_version}).",
        },
    )


def accounts_section(store: Store, top: int = 20) -> CensusSection | None:
    """The stored account scores (``marsad accounts``): how many are over the
    threshold, and the highest; None when the workspace has none."""
    from marsad.accounts.score import DETECTOR

    rows = store.query(
        "SELECT d.platform, d.target_id, a.handle, d.score, "
        "CAST(json_extract(d.evidence, '$.threshold') AS DOUBLE), "
        "CAST(json_extract(d.evidence, '$.posts') AS BIGINT) "
        "FROM detections d LEFT JOIN accounts a "
        "ON a.platform = d.platform AND a.native_id = d.target_id "
        "WHERE d.detector = ? AND d.target_kind = 'account' "
        "ORDER BY d.score DESC, d.platform, d.target_id",
        [DETECTOR],
    )
    if not rows:
        return None
    threshold = float(rows[0][4])
    flagged = sum(1 for r in rows if r[3] >= threshold)
    bands = Counter(min(int(r[3] * 10), 9) for r in rows)
    return CensusSection(
        key="account_scores",
        title={"en": "Account scores", "ar": "درجات الحسابات"},
        headline=[
            Headline("scored", {"en": "accounts scored", "ar": "حسابات مقيَّمة"}, len(rows), "count"),
            Headline(
                "flagged",
                {"en": "at or over the threshold", "ar": "عند العتبة أو فوقها"},
                flagged,
                "count",
            ),
        ],
        tables=[
            CensusTable(
                key="score_distribution",
                title={"en": "Accounts by score", "ar": "الحسابات حسب الدرجة"},
                columns=[
                    Column("band", {"en": "score", "ar": "الدرجة"}),
                    Column("accounts", {"en": "accounts", "ar": "الحسابات"}, "count"),
                ],
                rows=[[f"{b / 10:.1f}-{(b + 1) / 10:.1f}", bands.get(b, 0)] for b in range(10)],
                chart=Chart("bar", "band", ("accounts",)),
            ),
            CensusTable(
                key="top_accounts",
                title={"en": "Highest account scores", "ar": "أعلى درجات الحسابات"},
                columns=[
                    Column("account", {"en": "account", "ar": "الحساب"}),
                    Column("handle", {"en": "handle", "ar": "المعرّف"}),
                    Column("score", {"en": "score", "ar": "الدرجة"}, "ratio"),
                    Column("posts", {"en": "posts", "ar": "المنشورات"}, "count"),
                ],
                rows=[
                    [f"{p}:{t}", f"@{h}" if h else "", round(float(s), 3), int(n or 0)]
                    for p, t, h, s, _, n in rows[:top]
                ],
                note={
                    "en": "marsad explain @handle shows why an account has its score.",
                    "ar": "يبيّن الأمر marsad explain @handle أسباب درجة الحساب.",
                },
            ),
        ],
    )
