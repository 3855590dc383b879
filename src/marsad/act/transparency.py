"""The transparency report: what the team reviewed, referred, and saw come down.

The last step of *act* (:mod:`marsad.act`).  Every figure is **replayed from
the audit log** (:func:`replay`) -- the hash-chained record of each decision,
referral, sending and state -- so anyone holding the log can recompute the
report, and a figure cannot drift from what the team did.  The report is a
:class:`~marsad.census.result.CensusResult`, so it prints, exports as JSON and
CSV, and renders as the same offline Arabic / English HTML page as the census
(:mod:`marsad.report.html`).

What counts (the method, also written on the page):

* **reviewed** -- the decisions made between *since* and *until* (audit
  time): confirmations per category, rejections per reason, escalations;
  an item decided twice (second review) counts each decision; the queue's
  **precision** is confirmed / (confirmed + rejected) per detector and
  version as the item stood when decided;
* **referred** -- items of referrals sent between *since* and *until*;
* **removal**, as of *until* (default: now), over the referred items sent in
  the window: *removed* (the platform, a status export, the URL checker or a
  later export saw it gone), *withheld* (the checker saw it withheld in its
  country), *offline* = removed + withheld, the **removal rate** = removed /
  sent; **time to removal** = removal time - sending time, where the removal
  time is the earliest any source saw it gone (the URL checker sees a
  removal at its next visit: an upper bound).  Items removed before they
  were sent count as removed but not in the times.  The median is given two
  ways: among the removed items, and as the Kaplan-Meier median with the
  items still up censored at *until* (:mod:`marsad.census.survival`) -- the
  first understates the time when many items are still up.
"""

from __future__ import annotations

import json
import os
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from marsad import __version__
from marsad.census.result import CensusResult, CensusSection, CensusTable, Chart, Column, Headline
from marsad.census.survival import kaplan_meier
from marsad.review.db import now_iso

__all__ = ["Replay", "replay", "report", "transparency", "workspace_name"]


def L(en: str, ar: str) -> dict[str, str]:  # noqa: N802 - the census's label helper's name
    return {"en": en, "ar": ar}


@dataclass
class _Decision:
    at: str
    item: int
    decision: str
    category: str | None
    entity: str | None
    reason: str | None
    kind: str | None
    platform: str | None
    lang: str | None
    detector: str | None
    version: str | None


@dataclass
class _Ref:
    ref: str
    referral: int
    item: int
    kind: str
    platform: str
    category: str | None
    entity: str | None
    lang: str | None
    state: str = "pending"
    sent_at: str | None = None
    removed_at: str | None = None
    removal_source: str | None = None


@dataclass
class Replay:
    """The review and referral history the audit log holds, up to a time."""

    decisions: list[_Decision] = field(default_factory=list)
    referrals: dict[int, dict[str, Any]] = field(default_factory=dict)
    refs: dict[str, _Ref] = field(default_factory=dict)
    entries: int = 0
    #: decisions whose entry did not say what the item was (written before marsad 0.1's act)
    undescribed: int = 0


def _details(entry: dict[str, Any]) -> dict[str, Any]:
    d = entry["details"]
    if isinstance(d, str):
        d = json.loads(d)
    return d if isinstance(d, dict) else {}


def replay(
    entries: Iterable[dict[str, Any]],
    until: str | None = None,
    items: dict[int, dict[str, Any]] | None = None,
) -> Replay:
    """Replay audit *entries* (in ``seq`` order) whose time is before *until*.

    *items*: what the queue says of items, for decisions logged before their
    entries described the item (counted in :attr:`Replay.undescribed`)."""
    out = Replay()
    items = items or {}
    for e in entries:
        out.entries += 1
        action = e["action"]
        if action not in (
            "decision",
            "decision.bulk",
            "referral.create",
            "referral.send",
            "referral.state",
        ):
            continue
        d = _details(e)
        at = str(d.get("at") or e["at"]) if action != "decision" else str(e["at"])
        # a referral's creation is always known (its items are sent, or not, by *until*)
        if until is not None and at >= until and action != "referral.create":
            continue
        if action == "decision":
            item = int(str(e["target"]).partition(":")[2] or 0)
            what = d if "kind" in d else items.get(item, {})
            out.undescribed += "kind" not in d
            out.decisions.append(
                _Decision(
                    at,
                    item,
                    d.get("decision", ""),
                    d.get("category"),
                    d.get("entity"),
                    d.get("reason"),
                    what.get("kind"),
                    what.get("platform"),
                    what.get("lang"),
                    what.get("detector"),
                    what.get("detector_version"),
                )
            )
        elif action == "decision.bulk":
            described = {int(w[0]): w for w in d.get("what") or ()}
            for item in d.get("items") or ():
                w = described.get(int(item))
                q = items.get(int(item), {})
                out.undescribed += w is None
                out.decisions.append(
                    _Decision(
                        at,
                        int(item),
                        d.get("decision", ""),
                        d.get("category"),
                        d.get("entity"),
                        d.get("reason"),
                        d.get("kind") or q.get("kind"),
                        d.get("platform") or q.get("platform"),
                        w[1] if w else q.get("lang"),
                        w[2] if w else q.get("detector"),
                        w[3] if w else q.get("detector_version"),
                    )
                )
        elif action == "referral.create":
            rid = int(d["referral"])
            out.referrals[rid] = {
                "platform": d.get("platform"),
                "title": d.get("title"),
                "created_at": at,
                "sent_at": None,
            }
            for i in d.get("items") or ():
                out.refs[i["ref"]] = _Ref(
                    i["ref"],
                    rid,
                    int(i["item"]),
                    i.get("kind", ""),
                    str(d.get("platform")),
                    i.get("category"),
                    i.get("entity"),
                    i.get("lang"),
                )
        elif action == "referral.send":
            rid = int(d["referral"])
            if rid in out.referrals:
                out.referrals[rid]["sent_at"] = at
            for x in out.refs.values():
                if x.referral == rid:
                    if x.state == "pending":
                        x.state = "sent"
                    if x.sent_at is None:
                        x.sent_at = at
        elif action == "referral.state":
            ref = out.refs.get(str(d.get("ref")))
            if ref is None:
                continue
            state = str(d.get("state"))
            previous = ref.state
            ref.state = state
            if state == "removed":
                if ref.removed_at is None or at < ref.removed_at:
                    ref.removed_at, ref.removal_source = at, d.get("source")
            elif state in ("still_up", "acknowledged", "declined") and previous == "removed":
                ref.removed_at = ref.removal_source = None
    return out


#: the kinds of queue items, for people
_KINDS = {
    "post": L("post", "منشور"),
    "account": L("account", "حساب"),
    "media": L("media", "وسائط"),
    "link": L("re-created account", "حساب أعيد إنشاؤه"),
}


def _days(a: str, b: str) -> float:
    ta = datetime.fromisoformat(a.replace("Z", "+00:00"))
    tb = datetime.fromisoformat(b.replace("Z", "+00:00"))
    return (tb - ta).total_seconds() / 86400


def _pct(n: int, d: int) -> float | None:
    return round(100.0 * n / d, 1) if d else None


@dataclass
class _Group:
    """Removal figures of a group of sent items."""

    sent: int = 0
    removed: int = 0
    withheld: int = 0
    acknowledged: int = 0
    declined: int = 0
    removed_before: int = 0
    times: list[float] = field(default_factory=list)  # days to removal of the removed
    censored: list[float] = field(default_factory=list)  # days up to *as_of* of the others

    def add(self, r: _Ref, as_of: str) -> None:
        assert r.sent_at is not None
        self.sent += 1
        self.withheld += r.state == "withheld"
        self.declined += r.state == "declined"
        self.acknowledged += r.state == "acknowledged"
        if r.state == "removed" and r.removed_at is not None:
            self.removed += 1
            if r.removed_at < r.sent_at:
                self.removed_before += 1
            else:
                self.times.append(_days(r.sent_at, r.removed_at))
        else:
            self.censored.append(max(0.0, _days(r.sent_at, as_of)))

    def row(self) -> list[Any]:
        km = kaplan_meier(
            self.times + self.censored, [1] * len(self.times) + [0] * len(self.censored)
        )
        km_median = km.median() if self.times or self.censored else None
        return [
            self.sent,
            self.removed,
            self.withheld,
            _pct(self.removed + self.withheld, self.sent),
            _pct(self.removed, self.sent),
            round(statistics.median(self.times), 4) if self.times else None,
            round(km_median, 4) if km_median is not None else None,
            self.removed_before,
        ]


_REMOVAL_COLUMNS = [
    Column("sent", L("Sent", "أُرسلت"), "count"),
    Column("removed", L("Removed", "أُزيلت"), "count"),
    Column("withheld", L("Withheld", "محجوبة"), "count"),
    Column("offline", L("Offline", "غير متاحة"), "percent"),
    Column("removal_rate", L("Removal rate", "نسبة الإزالة"), "percent"),
    Column("median_days", L("Median days to removal", "وسيط الأيام حتى الإزالة"), "days"),
    Column("km_median_days", L("Kaplan-Meier median days", "وسيط كابلان-ماير بالأيام"), "days"),
    Column("removed_before", L("Removed before referral", "أُزيلت قبل الإحالة"), "count"),
]


def _removal_table(
    key: str, title: dict[str, str], by: Column, groups: dict[str, _Group]
) -> CensusTable:
    rows = [[k, *g.row()] for k, g in sorted(groups.items(), key=lambda kv: (-kv[1].sent, kv[0]))]
    return CensusTable(key, title, [by, *_REMOVAL_COLUMNS], rows)


def transparency(
    entries: Iterable[dict[str, Any]],
    *,
    since: str | None = None,
    until: str | None = None,
    items: dict[int, dict[str, Any]] | None = None,
    taxonomy: Any = None,
    workspace: str = "",
    head: str = "",
) -> CensusResult:
    """The report of the module docstring from audit *entries* (``seq`` order)."""
    as_of = until or now_iso()
    r = replay(entries, as_of, items)

    def in_window(at: str | None) -> bool:
        return at is not None and (since is None or at >= since) and at < as_of

    tax_values = (
        {
            "category": taxonomy.categories,
            "reason": taxonomy.reject_reasons,
            "entity": taxonomy.entities,
        }
        if taxonomy is not None
        else {}
    )
    decisions = [d for d in r.decisions if in_window(d.at)]
    confirmed = [d for d in decisions if d.decision == "confirm"]
    rejected = [d for d in decisions if d.decision == "reject"]
    escalated = [d for d in decisions if d.decision == "escalate"]
    by_category = Counter(d.category or "" for d in confirmed)
    by_reason = Counter(d.reason or "" for d in rejected)
    precision: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for d in confirmed + rejected:
        p = precision[(d.detector or "", d.version or "")]
        p[0 if d.decision == "confirm" else 1] += 1
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for d in decisions:
        kinds[d.kind or ""][d.decision] += 1
    review = CensusSection(
        "reviewed",
        L("What the team reviewed", "ما راجعه الفريق"),
        [
            Headline("decisions", L("Decisions", "القرارات"), len(decisions), "count"),
            Headline("confirmed", L("Confirmed", "مؤكَّدة"), len(confirmed), "count"),
            Headline("rejected", L("Rejected", "مرفوضة"), len(rejected), "count"),
            Headline("escalated", L("Escalated", "مصعَّدة"), len(escalated), "count"),
            Headline(
                "precision",
                L("Queue precision (share confirmed)", "دقة الطابور (نسبة المؤكَّد)"),
                _pct(len(confirmed), len(confirmed) + len(rejected)),
                "percent",
            ),
        ],
        [
            CensusTable(
                "by_category",
                L("Confirmed, by category", "المؤكَّد حسب الفئة"),
                [
                    Column("category", L("Category", "الفئة"), values=tax_values.get("category")),
                    Column("items", L("Decisions", "القرارات"), "count"),
                ],
                [[k, v] for k, v in sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))],
                Chart("hbar", "category", ("items",)),
            ),
            CensusTable(
                "by_reason",
                L("Rejected, by reason", "المرفوض حسب السبب"),
                [
                    Column("reason", L("Reason", "السبب"), values=tax_values.get("reason")),
                    Column("items", L("Decisions", "القرارات"), "count"),
                ],
                [[k, v] for k, v in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))],
                Chart("hbar", "reason", ("items",)),
            ),
            CensusTable(
                "by_kind",
                L("Decisions, by kind of item", "القرارات حسب نوع العنصر"),
                [
                    Column("kind", L("Kind", "النوع"), values=_KINDS),
                    Column("confirmed", L("Confirmed", "مؤكَّدة"), "count"),
                    Column("rejected", L("Rejected", "مرفوضة"), "count"),
                    Column("escalated", L("Escalated", "مصعَّدة"), "count"),
                ],
                [[k, c["confirm"], c["reject"], c["escalate"]] for k, c in sorted(kinds.items())],
            ),
            CensusTable(
                "precision",
                L("Queue precision, by detector version", "دقة الطابور حسب إصدار الكاشف"),
                [
                    Column("detector", L("Detector", "الكاشف")),
                    Column("version", L("Version", "الإصدار")),
                    Column("confirmed", L("Confirmed", "مؤكَّدة"), "count"),
                    Column("rejected", L("Rejected", "مرفوضة"), "count"),
                    Column("precision", L("Precision", "الدقة"), "percent"),
                ],
                [
                    [det, ver, c, x, _pct(c, c + x)]
                    for (det, ver), (c, x) in sorted(precision.items())
                ],
            ),
        ],
    )
    # referrals and removals: items of referrals sent in the window
    sent = [x for x in r.refs.values() if in_window(x.sent_at)]
    platforms: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for ref in r.referrals.values():
        if in_window(ref["sent_at"]):
            platforms[str(ref["platform"])][0] += 1
    for x in sent:
        platforms[x.platform][1] += 1
    referred = CensusSection(
        "referred",
        L("What the team referred", "ما أحاله الفريق"),
        [
            Headline(
                "referrals",
                L("Referrals sent", "الإحالات المرسلة"),
                sum(v[0] for v in platforms.values()),
                "count",
            ),
            Headline("items", L("Items sent", "العناصر المرسلة"), len(sent), "count"),
            Headline("platforms", L("Platforms", "المنصات"), len(platforms), "count"),
        ],
        [
            CensusTable(
                "by_platform",
                L("Referrals and items sent, by platform", "الإحالات والعناصر حسب المنصة"),
                [
                    Column("platform", L("Platform", "المنصة")),
                    Column("referrals", L("Referrals", "الإحالات"), "count"),
                    Column("items", L("Items", "العناصر"), "count"),
                ],
                [[k, v[0], v[1]] for k, v in sorted(platforms.items())],
                Chart("hbar", "platform", ("items",)),
            )
        ],
    )
    total = _Group()
    groups: dict[str, dict[str, _Group]] = {
        k: defaultdict(_Group) for k in ("platform", "entity", "lang", "month", "referral")
    }
    for x in sent:
        total.add(x, as_of)
        assert x.sent_at is not None
        for key, value in (
            ("platform", x.platform),
            ("entity", x.entity or ""),
            ("lang", x.lang or ""),
            ("month", x.sent_at[:7]),
            ("referral", str(x.referral)),
        ):
            groups[key][value].add(x, as_of)
    t = total.row()
    km = kaplan_meier(
        total.times + total.censored, [1] * len(total.times) + [0] * len(total.censored)
    )
    removal = CensusSection(
        "removal",
        L("What came down", "ما أُزيل"),
        [
            Headline("sent", L("Items sent", "العناصر المرسلة"), t[0], "count"),
            Headline("removed", L("Removed", "أُزيلت"), t[1], "count"),
            Headline("offline", L("Offline (removed or withheld)", "غير متاحة"), t[3], "percent"),
            Headline("removal_rate", L("Removal rate", "نسبة الإزالة"), t[4], "percent"),
            Headline(
                "median_days",
                L("Median days to removal (removed items)", "وسيط الأيام حتى الإزالة"),
                t[5],
                "days",
            ),
            Headline(
                "km_median_days",
                L("Kaplan-Meier median days to removal", "وسيط كابلان-ماير للأيام حتى الإزالة"),
                t[6],
                "days",
            ),
        ],
        [
            _removal_table(
                "by_platform", L("By platform", "حسب المنصة"),
                Column("platform", L("Platform", "المنصة")), groups["platform"],
            ),
            _removal_table(
                "by_entity", L("By entity", "حسب الجهة"),
                Column("entity", L("Entity", "الجهة"), values=tax_values.get("entity")),
                groups["entity"],
            ),
            _removal_table(
                "by_lang", L("By language", "حسب اللغة"),
                Column("lang", L("Language", "اللغة")), groups["lang"],
            ),
            _removal_table(
                "by_month", L("By month of referral", "حسب شهر الإحالة"),
                Column("month", L("Month", "الشهر"), "month"), groups["month"],
            ),
            _removal_table(
                "by_referral", L("By referral", "حسب الإحالة"),
                Column("referral", L("Referral", "الإحالة")), groups["referral"],
            ),
            CensusTable(
                "survival",
                L("Share of referred items still up, by days since referral",
                  "نسبة العناصر المحالة التي لا تزال متاحة حسب الأيام منذ الإحالة"),
                [
                    Column("days", L("Days since referral", "أيام منذ الإحالة"), "days"),
                    Column("at_risk", L("Still up at the start", "متاحة في البداية"), "count"),
                    Column("events", L("Removed", "أُزيلت"), "count"),
                    Column("censored", L("Censored", "مراقبة مقطوعة"), "count"),
                    Column("survival", L("Still up", "لا تزال متاحة"), "ratio"),
                    Column("lower", L("95% lower", "الحد الأدنى 95%"), "ratio"),
                    Column("upper", L("95% upper", "الحد الأعلى 95%"), "ratio"),
                ],
                [
                    [round(a, 4), n, d, c, round(s, 6), round(lo, 6), round(hi, 6)]
                    for a, n, d, c, s, lo, hi in km.rows(400)
                ],
                Chart(
                    "step", "days", ("survival",),
                    x_label=L("Days since referral", "أيام منذ الإحالة"),
                    y_label=L("Share still up", "نسبة المتاح"),
                ),
            ),
        ],
    )  # fmt: skip
    meta = {
        "title": L("marsad transparency report", "مرصد — تقرير الشفافية"),
        "workspace": workspace,
        "generated_at": now_iso(),
        "date_range": {"start": since[:10] if since else None, "end": as_of[:10]},
        "filters": {"since": since, "until": until},
        "counts": {
            "audit_entries": r.entries,
            "decisions": len(decisions),
            "referred_items": len(sent),
        },
        "audit_head": head,
        "marsad_version": __version__,
        "methodology": [
            L(
                "Every figure is replayed from the audit log (marsad audit verify checks its "
                f"hash chain; its last entry's hash was {head or 'none'}): decisions, "
                "referrals, their sending and each referred item's states.",
                "كل رقم هنا يُعاد حسابه من سجل التدقيق (يتحقق marsad audit verify من سلسلة "
                f"تجزئته؛ تجزئة آخر مدخل فيه {head or 'لا شيء'}): القرارات والإحالات "
                "وإرسالها وحالات كل عنصر محال.",
            ),
            L(
                "Reviewed: decisions made in the period; an item decided twice (second "
                "review) counts each decision. Precision: confirmed / (confirmed + rejected), "
                "per detector version as the item stood when decided.",
                "المراجَع: القرارات المتخذة في الفترة؛ العنصر الذي قُرّر مرتين (مراجعة ثانية) "
                "يُحسب كل قرار فيه. الدقة: المؤكَّد ÷ (المؤكَّد + المرفوض) لكل إصدار كاشف كما "
                "كان العنصر عند القرار.",
            ),
            L(
                "Removal, as of the end of the period, over the items of referrals sent in "
                "it: removal rate = removed / sent; offline = removed or withheld; time to "
                "removal = the earliest time any source (the platform's reply, a status "
                "export, the URL checker, a later export) saw the item gone, minus the time "
                "it was sent. The URL checker sees a removal at its next visit, so its times "
                "are upper bounds. Items removed before they were sent count as removed but "
                "not in the times. The Kaplan-Meier median counts items still up as censored "
                "at the end of the period.",
                "الإزالة، حتى نهاية الفترة، على عناصر الإحالات المرسلة فيها: نسبة الإزالة = "
                "المزال ÷ المرسل؛ غير المتاح = المزال أو المحجوب؛ الوقت حتى الإزالة = أبكر "
                "وقت رأت فيه أي جهة (رد المنصة، تصدير الحالات، فاحص الروابط، تصدير لاحق) "
                "العنصرَ مزالًا ناقص وقت إرساله. يرى فاحص الروابط الإزالة في زيارته التالية، "
                "فأوقاته حدود عليا. العناصر المزالة قبل إرسالها تُحسب مزالة لا في الأوقات. "
                "وسيط كابلان-ماير يعدّ العناصر التي لا تزال متاحة مراقبةً مقطوعة في نهاية "
                "الفترة.",
            ),
        ],
        "notes": (
            [
                L(
                    f"{r.undescribed} decisions were logged before their audit entries "
                    "described the item; their kind, language and detector come from the queue.",
                    f"{r.undescribed} قرارًا سُجّل قبل أن تصف مدخلاتُ التدقيق العنصر؛ نوعه "
                    "ولغته وكاشفه مأخوذة من الطابور.",
                )
            ]
            if r.undescribed
            else []
        ),
    }
    return CensusResult(meta, [review, referred, removal])


def workspace_name(workspace: str | os.PathLike[str]) -> str:
    """The name a published report gives *workspace*: a directory's own name, a team
    store's database name (``marsad`` when the URL names none, as :mod:`marsad.store.lake`
    connects) -- never a server path, a host or credentials."""
    from marsad.config import is_server_url

    text = os.fspath(workspace)
    if is_server_url(text):
        return unquote(urlsplit(text).path.lstrip("/")) or "marsad"
    return Path(text).resolve().name


def report(review: Any, *, since: str | None = None, until: str | None = None) -> CensusResult:
    """The transparency report of a workspace's review database (:class:`Review`)."""
    from marsad.review import audit

    head = str(review.db.value("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1") or "")
    items = {
        int(r["id"]): r
        for r in review.db.rows(
            "SELECT id, kind, platform, lang, detector, detector_version FROM queue_items"
        )
    }
    return transparency(
        audit.iter_entries(review.db),
        since=since,
        until=until,
        items=items,
        taxonomy=review.taxonomy,
        workspace=workspace_name(review.workspace),
        head=head,
    )
