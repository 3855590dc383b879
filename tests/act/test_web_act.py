"""Referrals and the transparency report through the web app, as a lead and a viewer use them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marsad.act.referrals import SOURCES
from marsad.act.transparency import workspace_name
from marsad.review import audit
from marsad.review.queue import Filters
from marsad.review.service import Review
from marsad.review.users import CONSOLE, User
from marsad.web.app import create_app
from marsad.web.i18n import LANGS, text
from tests.review.test_web import PASSWORD, login


def test_a_lead_refers_sends_and_applies_a_reply(analysed_ws: Path) -> None:
    review = Review(analysed_ws)
    try:
        review.sync(CONSOLE)
        lead = User("lead1", "lead")
        review.users.add(CONSOLE, "lead1", "lead", PASSWORD)
        review.users.add(CONSOLE, "viewer1", "viewer", PASSWORD)
        for it in review.queue.list(Filters(kind="post"), limit=12):
            review.queue.decide(lead, it["id"], "confirm", category="recruitment", entity="other")
        app = create_app(review)
        client, csrf = login(app, "lead1")
        page = client.get("/referrals")
        assert page.status_code == 200 and 'name="platform"' in page.text
        r = client.post(
            "/referrals",
            data={"csrf": csrf, "platform": "x", "contact": "abuse@example.test"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == "/referrals/1"
        page = client.get("/referrals/1")
        refs = re.findall(r'<tr id="(MRS-\d+)">', page.text)
        assert len(refs) == 12
        csv_file = client.get("/referrals/1/files/csv")
        assert csv_file.status_code == 200 and csv_file.text.lstrip("\ufeff").startswith("ref,")
        assert "attachment" in csv_file.headers["content-disposition"]
        r = client.post(
            "/referrals/1/send",
            data={"csrf": csrf, "at": "2026-12-01T00:00:00Z"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        reply = f"ref,status,at\n{refs[0]},removed,2026-12-02T00:00:00Z\nMRS-0,removed,x\n"
        r = client.post(
            "/referrals/1/reply",
            data={"csrf": csrf},
            files={"file": ("returned.csv", reply.encode(), "text/csv")},
            follow_redirects=False,
        )
        # POST-redirect-GET: the summary is shown at the referral's page
        assert r.status_code == 303
        done = r.headers["location"]
        assert re.fullmatch(r"/referrals/1\?reply=[\w-]{16,}", done), done
        page = client.get(f"{done}&lang=en")
        assert "Items changed: 1" in page.text and "rows skipped: 1" in page.text
        assert '<li dir="ltr">3: ' in page.text  # the skipped row, named
        # the removal's source in the page's language, the references' header translated
        assert "(the platform)" in page.text and "(platform)" not in page.text
        assert "<th>Ref.</th>" in page.text and "<th>ref</th>" not in page.text
        # reloading shows the summary again and applies nothing twice
        states = review.db.value("SELECT count(*) FROM audit_log WHERE action = 'referral.state'")
        again_page = client.get(done)
        assert "عناصر تغيّرت: 1" in again_page.text and "(المنصة)" in again_page.text
        assert "<th>المرجع</th>" in again_page.text
        assert (
            review.db.value("SELECT count(*) FROM audit_log WHERE action = 'referral.state'")
            == states
        )
        # the language link of the summary comes back to it, in the other language
        switch = re.search(r'href="(/lang/en\?next=[^"]+)"', again_page.text)
        assert switch is not None and switch[1] == f"/lang/en?next={done}"
        switched = client.get(switch[1].replace("&amp;", "&"))
        assert switched.status_code == 200 and "Items changed: 1" in switched.text
        client.cookies.delete("marsad_lang")
        # the form's address, opened: the referral's page, not 405
        r = client.get("/referrals/1/reply", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/referrals/1"
        # without the token, or another's: no summary
        assert "Items changed" not in client.get("/referrals/1?lang=en").text
        assert "Items changed" not in client.get("/referrals/1?reply=forged&lang=en").text
        # the API: the same reply again changes nothing
        again = client.post(
            "/api/v1/referrals/1/reply", content=reply.encode(), headers={"X-CSRF-Token": csrf}
        )
        assert again.json()["applied"] == 0 and again.json()["unchanged"] == 1
        one = client.post(
            f"/api/v1/referred/{refs[1][4:]}/state",
            json={"state": "declined", "at": "2026-12-03T00:00:00Z"},
            headers={"X-CSRF-Token": csrf},
        )
        assert one.status_code == 200 and one.json()["state"] == "declined"
        # a viewer reads, and may not change anything
        viewer, vcsrf = login(app, "viewer1")
        assert viewer.get("/referrals/1").status_code == 200
        assert "Items changed" not in viewer.get(f"{done}&lang=en").text  # the lead's summary
        denied = viewer.post(
            "/referrals/1/reply",
            data={"csrf": vcsrf},
            files={"file": ("returned.csv", reply.encode(), "text/csv")},
        )
        assert denied.status_code == 403
        data = viewer.get("/api/v1/transparency?until=2026-12-31T00:00:00Z").json()
        removal = next(s for s in data["sections"] if s["key"] == "removal")
        head = {h["key"]: h["value"] for h in removal["headline"]}
        assert (head["sent"], head["removed"], head["median_days"]) == (12, 1, 1.0)
        page = viewer.get("/transparency?lang=ar")
        assert (
            page.status_code == 200 and 'dir="rtl"' in page.text and "تقرير الشفافية" in page.text
        )
        assert "script-src" not in page.headers["content-security-policy"]
        assert audit.verify(review.db)[2] is None
    finally:
        review.close()


def test_referral_pages_need_login(analysed_ws: Path) -> None:
    with Review(analysed_ws) as review:
        client = TestClient(create_app(review))
        for path in ("/referrals", "/referrals/1", "/referrals/1/reply", "/transparency"):
            r = client.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert client.get("/api/v1/referrals").status_code == 401


def _head_shown(page: str) -> str:
    """The audit log's last hash as the transparency page's method names it."""
    found = re.search(r"last entry&#x27;s hash was ([0-9a-f]{64})", page)
    assert found is not None, "the page names no audit head"
    return found[1]


def _card(page: str, key: str) -> str:
    """The value the card *key* of a report page shows."""
    found = re.search(
        rf'data-key="{key}"[^>]*><div class="card-value[^"]*"><span[^>]*>([^<]*)<', page
    )
    assert found is not None, f"no card {key}"
    return found[1]


def test_the_transparency_page_follows_the_audit_log(analysed_ws: Path) -> None:
    with Review(analysed_ws) as review:
        review.sync(CONSOLE)
        review.users.add(CONSOLE, "lead1", "lead", PASSWORD)
        waiting = review.queue.list(Filters(kind="post"), limit=2)
        lead = User("lead1", "lead")
        review.queue.decide(
            lead, waiting[0]["id"], "confirm", category="recruitment", entity="other"
        )
        client, csrf = login(create_app(review), "lead1")
        first = client.get("/transparency?lang=en")
        assert first.status_code == 200
        # a repeated view is the same page (from the cache: generated at the same time)
        assert client.get("/transparency?lang=en").text == first.text
        head = _head_shown(first.text)
        assert head == review.db.value("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        # any audit entry (here a decision through the API) makes the page anew
        r = client.post(
            f"/api/v1/items/{waiting[1]['id']}/decision",
            json={"decision": "reject", "reason": "news_report"},
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code == 200, r.text
        later = client.get("/transparency?lang=en").text
        assert _head_shown(later) != head
        assert _head_shown(later) == client.get("/api/v1/transparency").json()["meta"]["audit_head"]
        assert (_card(first.text, "rejected"), _card(later, "rejected")) == ("0", "1")


def test_the_transparency_page_has_the_apps_bar_and_names_no_server_path(
    analysed_ws: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from marsad.cli import main

    with Review(analysed_ws) as review:
        review.users.add(CONSOLE, "viewer1", "viewer", PASSWORD)
        client, _ = login(create_app(review), "viewer1")
        page = client.get("/transparency?lang=en&since=2020-01-01").text
    bar = re.search(r'<body><nav class="app-bar">(.*?)</nav>', page)
    assert bar is not None, "no bar back to the app"
    links = {m[2]: m[1] for m in re.finditer(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', bar[1])}
    assert links == {
        "marsad": "/queue",
        "Queue": "/queue",
        "Referrals": "/referrals",
        # back to this page, its period kept, in Arabic
        "العربية": "/lang/ar?next=/transparency%3Fsince%3D2020-01-01",
    }
    switched = client.get(links["العربية"])
    assert switched.status_code == 200
    assert str(switched.url).endswith("/transparency?since=2020-01-01")
    assert 'lang="ar"' in switched.text and ">English</a>" in switched.text
    # the workspace by its name, never where it is on the server
    name = analysed_ws.resolve().name
    assert f"<bdi>{name}</bdi>" in page and str(analysed_ws.resolve().parent) not in page
    # the file the CLI writes: the same name, and standalone (no link into the app)
    out = tmp_path / "transparency.html"
    done = CliRunner().invoke(
        main, ["transparency", "--lang", "ar", "--out", str(out), "--workspace", str(analysed_ws)]
    )
    assert done.exit_code == 0, done.output
    offline = out.read_text(encoding="utf-8")
    assert "تقرير الشفافية" in offline and f"<bdi>{name}</bdi>" in offline
    assert str(analysed_ws.resolve().parent) not in offline
    assert '<nav class="app-bar">' not in offline and 'href="/' not in offline


# (the workspace as marsad is given it, the name a published report shows)
WORKSPACE_NAMES = [
    # a directory: its own name, not where it is
    ("/srv/newsroom/teams/ws-2026", "ws-2026"),
    # a relative directory: the name it resolves to
    ("ws/./", "ws"),
    # a team store: the database, not the user, password, host or options
    ("postgresql://marsad:s3cr%40t@db.internal:5432/newsroom?sslmode=require", "newsroom"),
    # the database's name decoded as the store connects to it
    ("postgres://db.internal/team%2Dx", "team-x"),
    # a URL naming no database: the store's default
    ("postgresql://editor@db.internal", "marsad"),
]


@pytest.mark.parametrize(("workspace", "name"), WORKSPACE_NAMES)
def test_workspace_name(workspace: str, name: str) -> None:
    assert workspace_name(workspace) == name


def test_every_removal_source_has_words() -> None:
    for source in SOURCES:
        for lang in LANGS:
            assert text(f"source_{source}", lang) != f"source_{source}", (source, lang)
