"""A referral's summary for the platform's contact: one offline HTML page, Arabic and English.

Part of *act* (:mod:`marsad.act.referrals` calls it on export).  The page says
who refers what, how many items of which category and entity, lists every
item (reference, URL, category, when seen, the evidence summary) and how to
reply (the columns of the CSV marsad reads back).  Both languages are on one
page -- an Arabic part right to left, an English part left to right -- since
the contact may read either.  No script, no fetch: styles inline, every value
escaped (:mod:`marsad.report.markup`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from marsad import __version__
from marsad.report.markup import Html, el
from marsad.report.style import CSS
from marsad.review.taxonomy import Taxonomy

__all__ = ["render_summary"]

_T = {
    "title": {"en": "Referral", "ar": "إحالة"},
    "intro": {
        "en": "{n} items on {platform} that our reviewers found to break rules on terrorist "
        "and violent-extremist content. Each has a reference (MRS-…) to quote in your reply.",
        "ar": "{n} عنصرًا على {platform} وجد مراجعونا أنها تخالف القواعد الخاصة بالمحتوى "
        "الإرهابي والمتطرف العنيف. لكل عنصر مرجع (MRS-…) يُذكر في الرد.",
    },
    "by_category": {"en": "By category", "ar": "حسب الفئة"},
    "by_entity": {"en": "By entity", "ar": "حسب الجهة"},
    "by_kind": {"en": "By kind", "ar": "حسب النوع"},
    "items": {"en": "Items", "ar": "العناصر"},
    "reply": {"en": "How to reply", "ar": "كيفية الرد"},
    "reply_text": {
        "en": "Send back a CSV with the columns ref, status, at, note: status is one of "
        "acknowledged, removed, still_up, declined; at is the time (ISO-8601, UTC).",
        "ar": "أعيدوا ملف CSV بالأعمدة ref وstatus وat وnote: الحالة واحدة من acknowledged "
        "أو removed أو still_up أو declined؛ وat هو الوقت (ISO-8601، بالتوقيت العالمي).",
    },
    "contact": {"en": "Contact", "ar": "جهة الاتصال"},
    "created": {"en": "Prepared", "ar": "أُعدّت"},
    "sent": {"en": "Sent", "ar": "أُرسلت"},
    "kind": {"en": "kind", "ar": "النوع"},
    "count": {"en": "items", "ar": "العناصر"},
}
_KINDS = {
    "post": {"en": "post", "ar": "منشور"},
    "account": {"en": "account", "ar": "حساب"},
    "media": {"en": "media", "ar": "وسائط"},
    "link": {"en": "re-created account", "ar": "حساب أعيد إنشاؤه"},
}
_COLUMNS = (
    ("ref", {"en": "Reference", "ar": "المرجع"}),
    ("kind", {"en": "Kind", "ar": "النوع"}),
    ("url", {"en": "URL or id", "ar": "الرابط أو المعرّف"}),
    ("category", {"en": "Category", "ar": "الفئة"}),
    ("entity", {"en": "Entity", "ar": "الجهة"}),
    ("seen_at", {"en": "Seen", "ar": "رُصد"}),
    ("evidence", {"en": "Why", "ar": "السبب"}),
)


def _label(table: dict[str, dict[str, str]], key: str | None, lang: str) -> str:
    if key is None:
        return ""
    return table.get(key, {}).get(lang) or key


def _counts(
    rows: list[dict[str, Any]], key: str, labels: dict[str, dict[str, str]], lang: str
) -> Html:
    n = Counter(r[key] or "" for r in rows)
    body = [
        el(
            "tr",
            el("td", _label(labels, k, lang) or "—"),
            el("td", el("bdi", f"{v:,}"), class_="num"),
        )
        for k, v in sorted(n.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return el("table", el("tbody", body), class_="data")


def _part(ref: dict[str, Any], rows: list[dict[str, Any]], tax: Taxonomy, lang: str) -> Html:
    t = {k: v[lang] for k, v in _T.items()}
    facts = [
        el("li", el("b", t["created"], ": "), el("bdi", str(ref["created_at"])[:16])),
    ]
    if ref.get("sent_at"):
        facts.append(el("li", el("b", t["sent"], ": "), el("bdi", str(ref["sent_at"])[:16])))
    if ref.get("contact"):
        facts.append(el("li", el("b", t["contact"], ": "), el("bdi", ref["contact"])))
    return el(
        "section",
        el("h2", f"{t['title']} {ref['id']}: ", el("bdi", ref["title"])),
        el("p", t["intro"].format(n=f"{len(rows):,}", platform=ref["platform"])),
        el("ul", facts, class_="report-meta"),
        el("h3", t["by_category"]),
        _counts(rows, "category", tax.categories, lang),
        el("h3", t["by_entity"]),
        _counts(rows, "entity", tax.entities, lang),
        el("h3", t["by_kind"]),
        _counts(rows, "kind", _KINDS, lang),
        el("h3", t["reply"]),
        el("p", t["reply_text"]),
        lang=lang,
        dir="rtl" if lang == "ar" else "ltr",
    )


def render_summary(ref: dict[str, Any], rows: list[dict[str, Any]], tax: Taxonomy) -> str:
    """The whole page for referral *ref* (:func:`marsad.act.referrals.referral`)
    and its export rows."""
    from marsad.act.referrals import _evidence_text

    head = el("tr", [el("th", f"{c[1]['ar']} · {c[1]['en']}", scope="col") for c in _COLUMNS])
    body = []
    for r in rows:
        where = r["url"] or f"{r['platform']}:{r['id']}"
        cells = {
            "ref": el("bdi", r["ref"]),
            "kind": _label(_KINDS, r["kind"], "en"),
            "url": el("a", where, href=r["url"]) if r["url"] else el("bdi", where),
            "category": _label(tax.categories, r["category"], "en"),
            "entity": _label(tax.entities, r["entity"], "en"),
            "seen_at": el("bdi", (r["seen_at"] or "")[:10]),
            "evidence": el("bdi", _evidence_text(r["evidence"])),
        }
        body.append(el("tr", [el("td", cells[k]) for k, _ in _COLUMNS]))
    table = el(
        "section",
        el("h2", f"{_T['items']['ar']} · {_T['items']['en']}"),
        el(
            "div",
            el("table", el("thead", head), el("tbody", body), class_="data"),
            class_="table-wrap",
        ),
        dir="ltr",
    )
    title = f"{_T['title']['ar']} {ref['id']} · {_T['title']['en']} {ref['id']} — {ref['platform']}"
    doc = el(
        "html",
        el(
            "head",
            el("meta", charset="utf-8"),
            el("meta", name="viewport", content="width=device-width, initial-scale=1"),
            el("meta", name="generator", content=f"marsad {__version__}"),
            el("title", title),
            el("style", Html(CSS)),
        ),
        el(
            "body",
            el("header", el("div", el("h1", title), class_="inner"), class_="report-header"),
            el("main", _part(ref, rows, tax, "ar"), _part(ref, rows, tax, "en"), table),
        ),
        lang="ar",
        dir="rtl",
    )
    return "<!DOCTYPE html>\n" + doc + "\n"
