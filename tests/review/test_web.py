"""The web app's security: every route against every role, CSRF, login, headers.

Runs on an analysed simulation (``analysed_ws``) so item, account, census
and network pages do their real work.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from marsad.review.queue import Filters
from marsad.review.service import Review
from marsad.review.users import CONSOLE, MAX_FAILURES, ROLES
from marsad.web.app import create_app

PASSWORD = "correct horse battery"

#: every route of the app and what it needs: "public", "login" (any role),
#: or an action of marsad.review.users.PERMISSIONS.  A route missing here fails
#: test_the_table_lists_every_route: a new route must say who may use it.
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "public",
    ("GET", "/lang/{lang}"): "public",
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("GET", "/openapi.json"): "public",
    ("POST", "/logout"): "login",
    ("GET", "/"): "read",
    ("GET", "/queue"): "read",
    ("POST", "/queue/next"): "decide",
    ("POST", "/queue/sync"): "sync",
    ("GET", "/items/{item_id}"): "read",
    ("POST", "/items/{item_id}/claim"): "decide",
    ("POST", "/items/{item_id}/decide"): "decide",
    ("POST", "/items/{item_id}/note"): "decide",
    ("POST", "/items/{item_id}/reveal/{media_id}"): "reveal",
    ("GET", "/media/{item_id}/{media_id}"): "read",
    ("GET", "/accounts/{platform}/{account_id}"): "read",
    ("POST", "/accounts/{platform}/{account_id}/bulk"): "bulk",
    ("GET", "/census"): "read",
    ("GET", "/network"): "read",
    ("POST", "/network"): "sync",
    ("GET", "/users"): "admin",
    ("POST", "/users"): "admin",
    ("POST", "/users/{name}"): "admin",
    ("POST", "/settings"): "admin",
    ("GET", "/audit"): "audit",
    ("GET", "/audit/export"): "audit",
    ("GET", "/api/v1/me"): "read",
    ("GET", "/api/v1/queue"): "read",
    ("POST", "/api/v1/queue/claim"): "decide",
    ("POST", "/api/v1/queue/sync"): "sync",
    ("GET", "/api/v1/items/{item_id}"): "read",
    ("POST", "/api/v1/items/{item_id}/claim"): "decide",
    ("POST", "/api/v1/items/{item_id}/release"): "decide",
    ("POST", "/api/v1/items/{item_id}/decision"): "decide",
    ("POST", "/api/v1/items/{item_id}/notes"): "decide",
    ("POST", "/api/v1/items/{item_id}/media/{media_id}/reveal"): "reveal",
    ("GET", "/api/v1/accounts/{platform}/{account_id}"): "read",
    ("POST", "/api/v1/accounts/{platform}/{account_id}/decision"): "bulk",
    ("GET", "/api/v1/taxonomy"): "read",
    ("GET", "/api/v1/census"): "read",
    ("GET", "/api/v1/network"): "read",
    ("GET", "/api/v1/users"): "admin",
    ("POST", "/api/v1/users"): "admin",
    ("PATCH", "/api/v1/users/{name}"): "admin",
    ("GET", "/api/v1/settings"): "read",
    ("PUT", "/api/v1/settings/{name}"): "admin",
    ("GET", "/api/v1/audit"): "audit",
    ("GET", "/api/v1/audit/verify"): "audit",
    # acting on decisions (marsad.web.act_routes)
    ("GET", "/referrals"): "read",
    ("POST", "/referrals"): "refer",
    ("GET", "/referrals/{referral_id}"): "read",
    ("POST", "/referrals/{referral_id}/send"): "refer",
    ("POST", "/referrals/{referral_id}/reply"): "refer",
    ("GET", "/referrals/{referral_id}/reply"): "read",  # back to the referral (after a reload)
    ("GET", "/referrals/{referral_id}/files/{kind}"): "read",
    ("POST", "/referred/{ref_id}/state"): "refer",
    ("GET", "/transparency"): "read",
    ("GET", "/api/v1/referrals"): "read",
    ("POST", "/api/v1/referrals"): "refer",
    ("GET", "/api/v1/referrals/{referral_id}"): "read",
    ("POST", "/api/v1/referrals/{referral_id}/send"): "refer",
    ("POST", "/api/v1/referrals/{referral_id}/reply"): "refer",
    ("GET", "/api/v1/referrals/{referral_id}/files/{kind}"): "read",
    ("GET", "/api/v1/referred/{ref_id}"): "read",
    ("POST", "/api/v1/referred/{ref_id}/state"): "refer",
    ("GET", "/api/v1/transparency"): "read",
}

ALLOWED = {
    "read": set(ROLES),
    "login": set(ROLES),
    "decide": {"admin", "lead", "reviewer"},
    "reveal": {"admin", "lead", "reviewer"},
    "bulk": {"admin", "lead"},
    "sync": {"admin", "lead"},
    "refer": {"admin", "lead"},
    "audit": {"admin", "auditor"},
    "admin": {"admin"},
}


@pytest.fixture
def site(analysed_ws: Path) -> Iterator[tuple[Review, Any]]:
    review = Review(analysed_ws)
    review.sync(CONSOLE)
    for role in ROLES:
        review.users.add(CONSOLE, f"{role}1", role, PASSWORD)
    review.users.add(CONSOLE, "target1", "viewer", PASSWORD)
    yield review, create_app(review)
    review.close()


def login(app: Any, name: str, password: str = PASSWORD) -> tuple[TestClient, str]:
    """A client logged in through the real form, and its session's CSRF token."""
    client = TestClient(app)
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    r = client.post(
        "/login",
        data={"name": name, "password": password, "csrf": token[1]},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    queue = client.get("/queue")
    csrf = re.search(r'name="csrf" value="([^"]+)"', queue.text)
    assert csrf is not None
    return client, csrf[1]


def _paths(review: Review) -> dict[str, str]:
    item = review.queue.list(Filters(kind="post"), limit=1)[0]
    return {
        "item_id": str(item["id"]),
        "media_id": "no-such-media",
        "platform": "x",
        "account_id": str(item["account_id"]),
        "name": "target1",
        "lang": "en",
        "referral_id": "1",
        "ref_id": "1",
        "kind": "csv",
    }


def _body(method: str, path: str) -> dict[str, Any]:
    if path.endswith("/decision") and "accounts" in path:
        return {"json": {"decision": "reject", "reason": "news_report"}}
    if path.endswith("/decision"):
        return {"json": {"decision": "reject", "reason": "other"}}
    if path.endswith("/notes"):
        return {"json": {"text": "a note"}}
    if path == "/api/v1/users":
        return {"json": {"name": "newbie", "role": "viewer", "password": PASSWORD}}
    if path.startswith("/api/v1/users/"):
        return {"json": {"role": "viewer"}}
    if path.startswith("/api/v1/settings/"):
        return {"json": {"value": "20"}}
    if path == "/api/v1/queue/claim":
        return {"json": {"n": 1}}
    if path == "/api/v1/referrals":
        return {"json": {"platform": "x"}}
    if path.endswith("/send"):
        return {"json": {}}
    if path.endswith("/reply"):
        return {"content": b"ref,status,at\nMRS-1,removed,2026-12-01\n"}
    if path.startswith("/api/v1/referred/"):
        return {"json": {"state": "removed"}}
    return {}


def _form(path: str, csrf: str) -> dict[str, Any]:
    data = {"csrf": csrf}
    if path.endswith("/decide"):
        data |= {"decision": "reject", "reason": "other"}
    elif path.endswith("/note"):
        data |= {"text": "a note"}
    elif path.endswith("/bulk"):
        data |= {"decision": "reject", "reason": "news_report"}
    elif path == "/users":
        data |= {"name": "formuser", "role": "viewer", "password": PASSWORD}
    elif path.startswith("/users/"):
        data |= {"role": "viewer"}
    elif path == "/settings":
        data |= {"claim_minutes": "20"}
    elif path == "/referrals":
        data |= {"platform": "x"}
    elif path.startswith("/referred/"):
        data |= {"state": "removed"}
    return data


def _app_routes(app: Any) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for r in app.routes:
        if isinstance(r, Mount):
            continue
        if isinstance(r, APIRoute | Route):
            for m in r.methods or ():
                if m != "HEAD":
                    out.add((m, r.path))
    return out - {("GET", "/docs"), ("GET", "/redoc")}


def test_the_table_lists_every_route(site: tuple[Review, Any]) -> None:
    _, app = site
    assert _app_routes(app) == set(ROUTES)


@pytest.mark.parametrize("role", [*ROLES, None])
def test_every_route_against_every_role(site: tuple[Review, Any], role: str | None) -> None:
    review, app = site
    values = _paths(review)
    if role is None:
        client, csrf = TestClient(app), ""
    else:
        client, csrf = login(app, f"{role}1")
    for (method, template), need in sorted(ROUTES.items()):
        if (method, template) in {("POST", "/login"), ("POST", "/logout")}:
            continue  # the login tests cover them; logging out would end this client
        path = template.format(**values)
        api = path.startswith("/api/")
        kwargs = _body(method, path) if api else {}
        headers = {"X-CSRF-Token": csrf} if api and csrf else {}
        if method == "POST" and not api:
            kwargs = {"data": _form(path, csrf)}
        r = client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
        where = f"{role} {method} {path}: {r.status_code} {r.text[:200]}"
        assert r.status_code < 500, where
        if need == "public":
            assert r.status_code not in (401, 403), where
        elif role is None:
            if api or method != "GET":
                assert r.status_code in (401, 403), where
            else:
                assert r.status_code == 303 and r.headers["location"].startswith("/login"), where
        elif role in ALLOWED[need]:
            assert r.status_code not in (401, 403), where
        else:
            assert r.status_code == 403, where


def test_nothing_is_shown_before_login(site: tuple[Review, Any]) -> None:
    review, app = site
    client = TestClient(app)
    item = review.queue.list(Filters(), limit=1)[0]
    for path in ("/queue", f"/items/{item['id']}", "/census", "/network", "/audit"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert item["target_id"] not in r.text
    assert client.get("/api/v1/queue").status_code == 401
    assert client.get("/api/v1/queue", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_csrf_is_required_on_every_form_and_session_api_call(site: tuple[Review, Any]) -> None:
    review, app = site
    client, csrf = login(app, "reviewer1")
    item = review.queue.list(Filters(), limit=1)[0]["id"]
    url = f"/items/{item}/decide"
    form = {"decision": "reject", "reason": "other"}
    assert client.post(url, data=form, follow_redirects=False).status_code == 403
    assert (
        client.post(url, data={**form, "csrf": "forged"}, follow_redirects=False).status_code == 403
    )
    assert review.queue.item(item)["status"] == "open"
    api = f"/api/v1/items/{item}/decision"
    assert client.post(api, json=form).status_code == 403
    assert client.post(api, json=form, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert review.queue.item(item)["status"] == "open"
    ok = client.post(api, json=form, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json()["status"] == "rejected"
    # a bearer token is no ambient credential: no CSRF token needed
    token = review.users.new_token(CONSOLE, "reviewer1", "test")
    other = review.queue.list(Filters(), limit=1)[0]["id"]
    bot = TestClient(app)
    r = bot.post(
        f"/api/v1/items/{other}/decision", json=form, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200
    # the login form has its own token
    fresh = TestClient(app)
    r = fresh.post("/login", data={"name": "reviewer1", "password": PASSWORD, "csrf": "x"})
    assert r.status_code == 403


def test_login_is_rate_limited_and_sessions_are_safe(site: tuple[Review, Any]) -> None:
    review, app = site
    client = TestClient(app)
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    for _ in range(MAX_FAILURES):
        r = client.post(
            "/login",
            data={"name": "viewer1", "password": "wrong password!", "csrf": token[1]},
            follow_redirects=False,
        )
        assert r.status_code == 401
    r = client.post(
        "/login",
        data={"name": "viewer1", "password": PASSWORD, "csrf": token[1]},
        follow_redirects=False,
    )
    assert r.status_code == 429  # even the right password, until the window passes
    actions = [r["action"] for r in review.db.rows("SELECT action FROM audit_log")]
    assert actions.count("login.failed") == MAX_FAILURES
    # the window passes; a session cookie is HttpOnly and SameSite; next= is
    # never an open redirect
    with review.db.write() as w:
        w.run("DELETE FROM login_failures")
    c2 = TestClient(app)
    tok = re.search(r'name="csrf" value="([^"]+)"', c2.get("/login").text)
    assert tok is not None
    r = c2.post(
        "/login",
        data={"name": "lead1", "password": PASSWORD, "csrf": tok[1], "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/queue"
    session = r.headers["set-cookie"]
    assert "marsad_session=" in session and "HttpOnly" in session
    assert (
        review.db.value(
            "SELECT count(*) FROM sessions WHERE token_hash = ?",
            [session.split("marsad_session=")[1].split(";")[0]],
        )
        == 0
    )


def test_security_headers(site: tuple[Review, Any]) -> None:
    _, app = site
    client, _ = login(app, "viewer1")
    for path in ("/login", "/queue", "/api/v1/queue", "/healthz"):
        h = client.get(path).headers
        csp = h["content-security-policy"]
        assert (
            "script-src 'self'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        )
        assert "frame-ancestors 'none'" in csp
        assert h["x-content-type-options"] == "nosniff"
        assert h["cache-control"] == "no-store"
    census = client.get("/census")
    assert census.status_code == 200 and "<html" in census.text
    assert "script" not in census.headers["content-security-policy"]


def test_reveal_is_logged_before_the_original_is_sent(
    site: tuple[Review, Any], tmp_path: Path
) -> None:
    from PIL import Image

    review, app = site
    item = review.queue.list(Filters(kind="post"), limit=1)[0]
    picture = Path(str(review.workspace)) / "media" / "test-picture.png"
    picture.parent.mkdir(exist_ok=True)
    im = Image.new("RGB", (64, 48), (200, 30, 30))
    for x in range(0, 64, 8):  # stripes: something for the blur to blur
        im.paste((20, 20, 220), (x, 0, x + 4, 48))
    im.save(picture)
    from marsad import pipeline

    with pipeline.open_store(review.workspace) as store:
        store.insert_rows(
            "media",
            ["platform", "native_id", "post_id", "kind", "path"],
            [["x", "m-1", item["target_id"], "photo", str(picture)]],
        )
    client, csrf = login(app, "reviewer1")
    page = client.get(f"/items/{item['id']}")
    assert f"/media/{item['id']}/m-1" in page.text and "full=1" not in page.text
    blurred = client.get(f"/media/{item['id']}/m-1")
    assert blurred.status_code == 200 and blurred.content != picture.read_bytes()
    assert client.get(f"/media/{item['id']}/m-1?full=1").status_code == 403
    r = client.post(f"/items/{item['id']}/reveal/m-1", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    full = client.get(f"/media/{item['id']}/m-1?full=1")
    assert full.status_code == 200 and full.content == picture.read_bytes()
    entry = review.db.one(
        "SELECT actor, target, details FROM audit_log "
        "WHERE action = 'media.reveal' ORDER BY seq DESC LIMIT 1"
    )
    assert entry is not None and entry["actor"] == "reviewer1"
    assert entry["target"] == f"item:{item['id']}" and '"m-1"' in entry["details"]
    # a viewer never sees the original
    viewer, vcsrf = login(app, "viewer1")
    assert viewer.post(f"/items/{item['id']}/reveal/m-1", data={"csrf": vcsrf}).status_code == 403
    assert viewer.get(f"/media/{item['id']}/m-1?full=1").status_code == 403
