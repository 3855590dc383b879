"""The census's meta block: what was counted, from which sources, and how to read it.

Part of the *census* stage: :func:`marsad.census.compute.run_census` puts
:func:`census_meta` before the sections -- the filters, the date range and
number of the posts in scope, the sources ingested, the rows of each stored
table, and the definitions and caveats the report prints in its methodology.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marsad import __version__
from marsad.census.sections.base import Census, sql
from marsad.census.sections.common import L

__all__ = ["CAVEATS", "DEFINITIONS", "census_meta"]


def census_meta(census: Census) -> dict[str, Any]:
    first, last, posts = census.one(
        "SELECT min(created_at), max(created_at), count(*) FROM c_posts"
    )
    sources = [
        {"path": p, "adapter": a, "records": r, "quarantined": q, "completed": c is not None}
        for p, a, r, q, c in census.rows(
            "SELECT path, adapter, records, quarantined, completed_at FROM sources ORDER BY path"
        )
    ]
    counts = {
        t: census.one(sql("SELECT count(*) FROM {p0}", p0=t))[0]  # table names are constants
        for t in ("accounts", "posts", "snapshots", "status_events", "edges", "quarantine")
    }
    return {
        "marsad_version": __version__,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "filters": census.f.describe(),
        "date_range": {
            "start": first.isoformat() if first else None,
            "end": last.isoformat() if last else None,
        },
        "posts_in_scope": posts,
        "sources": sources,
        "counts": counts,
        "quarantined": sum(s["quarantined"] for s in sources),
        "definitions": DEFINITIONS,
        "caveats": CAVEATS,
    }


DEFINITIONS = [
    {
        "term": L("Post", "منشور"),
        "text": L(
            "The current version of a tweet, retweet, message or video (edits count once).",
            "النسخة الحالية من تغريدة أو إعادة تغريد أو رسالة أو مقطع (التعديلات تُحسب مرة واحدة).",
        ),
    },
    {
        "term": L("Status", "الحالة"),
        "text": L(
            "The last status marsad observed for an account: from platform errors in the exports "
            "and from status files (marsad status).",
            "آخر حالة رصدها مرصد للحساب: من أخطاء المنصة في الملفات المصدَّرة ومن ملفات الحالة.",
        ),
    },
    {
        "term": L("Client", "التطبيق"),
        "text": L(
            "The app a post was sent from (X's source field).",
            "التطبيق الذي أُرسل منه المنشور (حقل المصدر في إكس).",
        ),
    },
    {
        "term": L("Language", "اللغة"),
        "text": L(
            "Identified by marsad from the text (fastText lid.176); the platform's label when the "
            "text is too short.",
            "تُحدَّد من النص (fastText lid.176)؛ ويُستعمل وسم المنصة حين يكون النص قصيرًا جدًا.",
        ),
    },
    {
        "term": L("Survival", "البقاء"),
        "text": L(
            "Kaplan–Meier estimate of the share of accounts not yet suspended, by days since "
            "creation; accounts not seen suspended are censored at their last sighting.",
            "تقدير كابلان–ماير لنسبة الحسابات غير المعلّقة بعد حسب الأيام منذ الإنشاء؛ "
            "الحسابات التي لم تُرصد معلّقة تُقطع مراقبتها عند آخر رصد لها.",
        ),
    },
]

CAVEATS = [
    L(
        "Counts describe what the workspace holds, not the whole platform: collections are "
        "samples shaped by their queries.",
        "الأرقام تصف ما تحويه مساحة العمل لا المنصة كلها: المجموعات عيّنات تحدّدها استعلاماتها.",
    ),
    L(
        "A suspension is dated when marsad learnt of it, which can be later than when it happened.",
        "يُؤرَّخ التعليق بوقت علم مرصد به، وقد يكون بعد وقوعه.",
    ),
    L(
        "Outlet matches are by name, hashtag, handle and domain from a registry users can edit; "
        "a name in a post is not proof of affiliation.",
        "مطابقة المؤسسات بالاسم والوسم والحساب والنطاق من سجل قابل للتعديل؛ "
        "ذكر الاسم في منشور ليس دليل انتماء.",
    ),
]
