"""Referrals and the transparency report through the web app, as a lead and a viewer use them."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from marsad.review import audit
from marsad.review.queue import Filters
from marsad.review.service import Review
from marsad.review.users import CONSOLE, User
from marsad.web.app import create_app
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
            "/referrals/1/reply?lang=en",
            data={"csrf": csrf},
            files={"file": ("returned.csv", reply.encode(), "text/csv")},
        )
        assert r.status_code == 200 and "1 items changed" in r.text and "1 rows skipped" in r.text
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
        for path in ("/referrals", "/referrals/1", "/transparency"):
            r = client.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert client.get("/api/v1/referrals").status_code == 401
