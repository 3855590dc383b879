"""Referrals and the transparency report of ``marsad serve`` in a real browser.

The sibling of :mod:`tests.web.test_browser` (whose Chromium, Playwright and
console helpers it uses) for the pages of :mod:`marsad.web.act_routes`.  A
small simulated platform goes through simulate -> ingest -> scan -> queue
sync; the service confirms a few posts of X in one category (and one in
another, which the referral must leave out).  The real server runs in a
subprocess; a lead logs in to the Arabic (right-to-left) UI and, through the
pages' own forms, makes a referral of the confirmed X items of one category,
marks it sent, records one item as removed, and uploads the platform's reply
(one good row, one bad) -- the upload redirects to the referral's page, which
names the skipped row and why, keeps that summary through a reload (no second
upload) and a switch of language, and keeps references and times on one line.
The JSON file the page links to must be ``marsad-referral/1`` naming those
items; the transparency report, in Arabic and in English (switched by its bar
back to the app), must show what ``/api/v1/transparency`` says with each card's
number on one line, name the audit log's last hash, and name the workspace
without its server path; the audit log must record what the lead did, and its
chain must verify.

Screenshots of the referral and the report in Arabic and English (1400x900)
go to ``docs/img`` when ``MARSAD_SCREENSHOTS=1``, else to a temporary
directory.  Outside CI a missing Chromium or Playwright skips this test with
the reason; in CI (``CI=true``) it fails it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from marsad.report.i18n import format_value
from marsad.web.i18n import text
from tests.web import test_browser as tb

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FilePayload, Page

pytestmark = pytest.mark.slow

# Chromium and Playwright, as the queue's browser test finds and launches them
chromium_path = tb.chromium_path
browser = tb.browser

LEAD, AUDITOR = "lead", "auditor"
PLATFORM = "x"
CATEGORY, OTHER_CATEGORY, ENTITY = "recruitment", "incitement", "islamic_state"
#: confirmed X posts of CATEGORY: the referral's items
REFERRED = 4
TITLE = "إحالة تجريبية — test referral"
CONTACT = "abuse-desk@example.test"
NOW = datetime.now(UTC).replace(second=0, microsecond=0)
# when the lead says it sent the referral, and when the two removals happened
SENT_AT = NOW - timedelta(days=3)
REMOVED_AT = SENT_AT + timedelta(days=1)  # through the item's form
REPLY_AT = SENT_AT + timedelta(days=2)  # in the platform's reply
BAD_STATUS = "vanished"


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def stored(at: datetime) -> str:
    """*at* as the review tables store times (:func:`marsad.review.db.now_iso`)."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- the workspace and the server ---------------------------------------------------------
@dataclass(frozen=True)
class ActSite:
    url: str
    workspace: Path
    password: str
    #: the queue items the referral must hold: queue item id -> the platform's post id
    referred: dict[int, str]
    auditor_token: str


def confirm_items(ws: Path, password: str) -> tuple[dict[int, str], str]:
    """Add the lead and an auditor; confirm the posts of the module docstring."""
    from marsad.review.queue import Filters
    from marsad.review.service import Review
    from marsad.review.users import CONSOLE, User

    with Review(ws) as review:
        review.users.add(CONSOLE, LEAD, "lead", password)
        review.users.add(CONSOLE, AUDITOR, "auditor", secrets.token_urlsafe(18))
        auditor_token = review.users.new_token(CONSOLE, AUDITOR, "test")
        lead = User(LEAD, "lead")
        posts = review.queue.list(
            Filters(kind="post", platform=PLATFORM, status="waiting"), limit=REFERRED + 1
        )
        assert len(posts) == REFERRED + 1, f"too few waiting {PLATFORM} posts to confirm"
        for it in posts[:REFERRED]:
            review.queue.decide(lead, it["id"], "confirm", category=CATEGORY, entity=ENTITY)
        # not in the referral: another category
        review.queue.decide(
            lead, posts[REFERRED]["id"], "confirm", category=OTHER_CATEGORY, entity=ENTITY
        )
    return {int(it["id"]): str(it["target_id"]) for it in posts[:REFERRED]}, auditor_token


@pytest.fixture(scope="module")
def site(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActSite]:
    base = tmp_path_factory.mktemp("act-web")
    ws, sim = base / "ws", base / "sim"
    tb.marsad(
        "simulate", str(sim), "--profile", "small", "--seed", "7", "--formats", "x-v2,telegram"
    )
    tb.marsad("ingest", str(sim), "-w", str(ws))
    tb.marsad("scan", "-w", str(ws))
    tb.marsad("queue", "sync", "-w", str(ws))
    password = secrets.token_urlsafe(18)
    referred, auditor_token = confirm_items(ws, password)

    port = tb.free_port()
    url = f"http://127.0.0.1:{port}"
    log = base / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
            [sys.executable, "-m", "marsad.cli", "serve", "--workspace", str(ws),
             "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        tb.wait_healthy(url, server, log)
        yield ActSite(url, ws, password, referred, auditor_token)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)


# -- helpers ----------------------------------------------------------------------------------
def get_json(page: Page, site: ActSite, path: str, token: str | None = None) -> Any:
    """GET *path* with the page's session (its cookies), or as the bearer of *token*."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    response = page.request.get(site.url + path, headers=headers)
    assert response.ok, f"GET {path}: {response.status} {response.text()}"
    return response.json()


def log_in(page: Page, site: ActSite) -> None:
    page.goto(f"{site.url}/login?next=/referrals")
    page.fill("#name", LEAD)
    page.fill("#password", site.password)
    page.click("#login")
    page.wait_for_url(re.compile(r"/referrals$"))


def check_language(page: Page, lang: str) -> None:
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.evaluate("document.documentElement.dir") == ("rtl" if lang == "ar" else "ltr")


def screenshot(page: Page, name: str, tmp_path: Path) -> None:
    out = tb.ROOT / "docs" / "img" if os.environ.get("MARSAD_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    shot = out / f"{name}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


def rows(page: Page) -> dict[str, list[str]]:
    """The referral page's items: reference -> the first text of each of its cells (ref,
    kind, URL, category, state without its time, removal time, the state's form)."""
    cells: list[list[str]] = page.eval_on_selector_all(
        "table tbody tr[id^='MRS-']",
        "rows => rows.map(r => [r.id, "
        "...[...r.cells].map(c => (c.firstChild ? c.firstChild.textContent : '').trim())])",
    )
    return {r[0]: r[1:] for r in cells}


# -- the test ---------------------------------------------------------------------------------
def test_a_lead_refers_records_a_reply_and_reads_the_transparency_report(
    site: ActSite, browser: Browser, tmp_path: Path
) -> None:
    with tb.new_context(browser) as context:
        page = context.new_page()
        errors = tb.watch_console(page)
        rid, refs = make_referral(site, page)
        assert errors == []
        send_and_record(site, page, rid, refs)
        assert errors == []
        result = upload_reply(site, page, rid, refs)
        assert errors == []
        check_one_line(page)
        screenshot(page, "referral-ar", tmp_path)
        download_json(site, page, rid, refs)
        assert errors == []
        page.click("header nav a[href='/transparency']")
        page.wait_for_url(re.compile(r"/transparency$"))
        check_transparency(site, page, "ar")
        assert errors == []
        screenshot(page, "transparency-ar", tmp_path)

        # the same in English: the report's bar switches language, and the choice sticks
        page.click('nav.app-bar a[lang="en"]')
        page.wait_for_url(re.compile(r"/transparency$"))
        check_transparency(site, page, "en")
        assert errors == []
        screenshot(page, "transparency-en", tmp_path)
        page.click(f"nav.app-bar a:has-text('{text('referrals', 'en')}')")
        page.wait_for_url(re.compile(r"/referrals$"))
        check_language(page, "en")
        page.goto(result)
        check_language(page, "en")
        assert page.inner_text("h1").startswith(f"{text('referral', 'en')} {rid}")
        assert page.inner_text("main p.card") == (
            f"{text('applied', 'en')}: 1 · {text('unchanged', 'en')}: 0 · {text('skipped', 'en')}: 1"
        )
        assert [r[4] for r in rows(page).values()].count(text("state_removed", "en")) == 2
        check_one_line(page)
        assert errors == []
        screenshot(page, "referral-en", tmp_path)
        # the summary's own language link comes back to it (it was a POST's page: 405)
        page.click('header .who a[lang="ar"]')
        page.wait_for_url(result)
        check_language(page, "ar")
        assert page.inner_text("main p.card").startswith(f"{text('applied', 'ar')}: 1")
        # the upload's address, opened: the referral's page
        page.goto(f"{site.url}/referrals/{rid}/reply")
        page.wait_for_url(re.compile(rf"/referrals/{rid}$"))
        assert page.inner_text("h1").startswith(f"{text('referral', 'ar')} {rid}")
        assert errors == []
        check_audit(site, page, rid, refs)


def make_referral(site: ActSite, page: Page) -> tuple[int, list[str]]:
    """Through /referrals' form: the confirmed X items of CATEGORY; (its id, its references)."""
    page.goto(f"{site.url}/login")
    check_language(page, "ar")
    log_in(page, site)
    check_language(page, "ar")
    assert page.inner_text("h1") == text("referrals", "ar")
    assert text("no_referrals", "ar") in page.inner_text("main")
    # the platforms with confirmed items
    assert page.eval_on_selector_all(
        "select[name=platform] option", "os => os.map(o => o.value)"
    ) == [PLATFORM]
    page.select_option("select[name=platform]", PLATFORM)
    page.select_option("select[name=category]", CATEGORY)
    page.select_option("select[name=entity]", ENTITY)
    page.fill("input[name=title]", TITLE)
    page.fill("input[name=contact]", CONTACT)
    page.click(f"form[action='/referrals'] button:has-text('{text('refer', 'ar')}')")
    page.wait_for_url(re.compile(r"/referrals/\d+$"))
    rid = int(page.url.rpartition("/")[2])

    check_language(page, "ar")
    assert TITLE in page.inner_text("h1") and CONTACT in page.inner_text("main")
    items = rows(page)
    assert len(items) == REFERRED
    assert {r[4] for r in items.values()} == {text("state_pending", "ar")}
    linked = page.eval_on_selector_all(
        "table tbody tr[id^='MRS-'] a[href^='/items/']",
        "as => as.map(a => +a.getAttribute('href').split('/').pop())",
    )
    assert sorted(linked) == sorted(site.referred)
    return rid, list(items)


def send_and_record(site: ActSite, page: Page, rid: int, refs: list[str]) -> None:
    """Mark the referral sent at SENT_AT, then the first item removed at REMOVED_AT."""
    send = f"form[action='/referrals/{rid}/send']"
    page.fill(f"{send} input[name=at]", iso(SENT_AT))
    page.click(f"{send} button:has-text('{text('send', 'ar')}')")
    page.wait_for_url(re.compile(rf"/referrals/{rid}$"))
    assert page.locator(send).count() == 0  # sent once: the form gives way to the reply's
    assert iso(SENT_AT)[:16] in page.inner_text("main > p >> nth=0")
    assert {r[4] for r in rows(page).values()} == {text("state_sent", "ar")}

    row = f"tr#{refs[0]}"
    page.select_option(f"{row} select[name=state]", "removed")
    page.fill(f"{row} input[name=at]", iso(REMOVED_AT))
    page.click(f"{row} button:has-text('{text('set_state', 'ar')}')")
    page.wait_for_url(re.compile(rf"/referrals/{rid}#{refs[0]}$"))
    cells = rows(page)[refs[0]]
    assert (cells[4], cells[5]) == (text("state_removed", "ar"), iso(REMOVED_AT)[:16])


def check_one_line(page: Page) -> None:
    """The referral page's references, times and sources are each on one line (an inline
    box that wraps has a rectangle per line)."""
    wrapped = page.eval_on_selector_all(
        "table tbody tr[id^='MRS-'] :is(td:first-child a, td > span[dir=ltr], td > small)",
        "es => es.filter(e => e.getClientRects().length > 1).map(e => e.textContent)",
    )
    assert wrapped == [], f"wrapped over lines: {wrapped}"


def upload_reply(site: ActSite, page: Page, rid: int, refs: list[str]) -> str:
    """The platform's CSV through the page's upload form: one good row, one bad; the
    address of the page showing what it did."""
    reply = (
        "ref,status,at,note\n"
        f"{refs[1]},taken down,{iso(REPLY_AT)},violates our policy\n"
        f"{refs[2]},{BAD_STATUS},{iso(REPLY_AT)},\n"
    )
    upload: FilePayload = {"name": "returned.csv", "mimeType": "text/csv", "buffer": reply.encode()}
    form = f"form[action='/referrals/{rid}/reply']"
    page.set_input_files(f"{form} input[type=file]", files=[upload])
    page.click(f"{form} button:has-text('{text('upload', 'ar')}')")
    # POST-redirect-GET: the referral's page, with what the reply did
    page.wait_for_url(re.compile(rf"/referrals/{rid}\?reply=[\w-]+$"))
    result = page.url
    check_reply_shown(page, refs)
    # a reload reads the page again: it does not send the file again
    methods: list[str] = []
    page.on("request", lambda request: methods.append(request.method))
    page.reload()
    assert page.url == result and set(methods) == {"GET"}, methods
    check_reply_shown(page, refs)
    return result


def check_reply_shown(page: Page, refs: list[str]) -> None:
    """The Arabic referral page after the reply: its summary, the skipped row, the states."""
    check_language(page, "ar")
    summary = page.inner_text("main p.card")
    assert summary == (
        f"{text('applied', 'ar')}: 1 · {text('unchanged', 'ar')}: 0 · {text('skipped', 'ar')}: 1"
    )
    reasons = page.eval_on_selector_all("main ul.card li", "ls => ls.map(l => l.innerText)")
    assert reasons == [
        f"3: status '{BAD_STATUS}': one of acknowledged, removed, still_up, declined"
    ]
    shown = {ref: (cells[4], cells[5]) for ref, cells in rows(page).items()}
    removed, sent = text("state_removed", "ar"), text("state_sent", "ar")
    assert shown == {
        refs[0]: (removed, iso(REMOVED_AT)[:16]),
        refs[1]: (removed, iso(REPLY_AT)[:16]),
        refs[2]: (sent, ""),
        refs[3]: (sent, ""),
    }
    # the header and the removals' source in Arabic
    assert page.inner_text("table thead th >> nth=0") == text("ref", "ar")
    sources = page.eval_on_selector_all(
        "table tbody tr[id^='MRS-'] td:nth-child(6) small", "ss => ss.map(s => s.innerText)"
    )
    assert sources == [f"({text('source_platform', 'ar')})"] * 2


def download_json(site: ActSite, page: Page, rid: int, refs: list[str]) -> None:
    """The page's JSON link: a ``marsad-referral/1`` file naming the referred items."""
    with page.expect_download() as got:
        page.click(f"a[href='/referrals/{rid}/files/json']")
    download = got.value
    assert download.suggested_filename == f"referral-{rid}.json"
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["format"] == "marsad-referral/1"
    head = data["referral"]
    assert (head["id"], head["platform"], head["title"], head["contact"], head["items"]) == (
        rid, PLATFORM, TITLE, CONTACT, REFERRED,
    )  # fmt: skip
    assert head["sent_at"] == stored(SENT_AT)
    items = data["items"]
    assert [i["ref"] for i in items] == refs
    assert sorted(i["id"] for i in items) == sorted(site.referred.values())
    assert {(i["platform"], i["kind"], i["category"], i["entity"]) for i in items} == {
        (PLATFORM, "post", CATEGORY, ENTITY)
    }
    assert [i["state"] for i in items] == ["removed", "removed", "sent", "sent"]
    assert all(i["url"].startswith("https://x.com/") for i in items)
    assert "status" in data["reply"]["columns"]


def check_transparency(site: ActSite, page: Page, lang: str) -> None:
    """The report's cards show what the API says, each number on one line; the page names
    the log's last hash and the workspace (not where it is), under the app's bar."""
    check_language(page, lang)
    title = "تقرير الشفافية" if lang == "ar" else "transparency report"
    assert title in page.inner_text("h1")
    bar = page.eval_on_selector_all(
        "nav.app-bar a", "as => as.map(a => [a.innerText, a.getAttribute('href')])"
    )
    other = "en" if lang == "ar" else "ar"
    assert bar == [
        [text("app", lang), "/queue"],
        [text("queue", lang), "/queue"],
        [text("referrals", lang), "/referrals"],
        [text("other_lang", lang), f"/lang/{other}?next=/transparency"],
    ]
    meta = page.inner_text(".report-meta")
    assert site.workspace.name in meta and str(site.workspace.parent) not in page.content()
    # a number keeps its unit on its line, and stays in its card
    wrapped = page.eval_on_selector_all(
        ".card-value:not(.card-text)",
        "vs => vs.filter(v => v.getBoundingClientRect().height"
        " > 1.5 * parseFloat(getComputedStyle(v).lineHeight)"
        " || v.closest('.card').scrollWidth > v.closest('.card').clientWidth)"
        ".map(v => v.innerText)",
    )
    assert wrapped == [], f"card values over lines or out of their card: {wrapped}"
    data = get_json(page, site, "/api/v1/transparency")
    sections = {s["key"]: s for s in data["sections"]}
    shown: dict[str, dict[str, str]] = {}
    for key, section in sections.items():
        group = f"#headlines [data-section='{key}']"
        cards = page.eval_on_selector_all(
            f"{group} .card",
            "cs => cs.map(c => [c.dataset.key, "
            "c.querySelector('.card-value').firstElementChild.innerText])",
        )
        shown[key] = dict(cards)
        assert shown[key] == {
            h["key"]: format_value(h["value"], h["unit"]) for h in section["headline"]
        }, f"the {key} cards ({lang}) differ from the API"
    # and they are what the lead did
    assert shown["referred"]["items"] == str(REFERRED)
    assert (shown["removal"]["sent"], shown["removal"]["removed"]) == (str(REFERRED), "2")
    assert shown["removal"]["removal_rate"] == "50.0%"
    assert shown["removal"]["median_days"] == "1.5"  # one day and two days after sending

    head = data["meta"]["audit_head"]
    assert re.fullmatch(r"[0-9a-f]{64}", head)
    assert get_json(page, site, "/api/v1/audit/verify", site.auditor_token) == {
        "entries": data["meta"]["counts"]["audit_entries"],
        "head": head,
        "intact": True,
        "problem": None,
    }
    assert head in page.inner_text("#methodology")


def check_audit(site: ActSite, page: Page, rid: int, refs: list[str]) -> None:
    """The audit log holds what the lead did, in order, and its chain verifies."""
    entries = get_json(page, site, "/api/v1/audit?limit=10000", site.auditor_token)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    acts = [e for e in entries if e["action"].startswith("referral.")]
    assert {e["actor"] for e in acts} == {LEAD}
    assert [e["action"] for e in acts] == [
        "referral.create", "referral.send", "referral.state", "referral.state", "referral.export",
    ]  # fmt: skip
    create, send, *states = (e["details"] for e in acts[:4])
    assert [i["ref"] for i in create["items"]] == refs
    assert sorted(i["item"] for i in create["items"]) == sorted(site.referred)
    assert (create["referral"], create["platform"], create["title"]) == (rid, PLATFORM, TITLE)
    assert (send["at"], send["items"]) == (stored(SENT_AT), REFERRED)
    assert [(s["ref"], s["from"], s["state"], s["at"], s["source"]) for s in states] == [
        (refs[0], "sent", "removed", stored(REMOVED_AT), "platform"),
        (refs[1], "sent", "removed", stored(REPLY_AT), "platform"),
    ]
    assert (states[1]["reply"], states[1]["line"], states[1]["note"]) == (
        "returned.csv", 2, "violates our policy",
    )  # fmt: skip
    tb.marsad("audit", "verify", "-w", str(site.workspace))
