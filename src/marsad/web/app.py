"""The web app of ``marsad serve``: pages for people, a JSON API for machines.

A thin shell over :class:`marsad.review.service.Review` -- no handler holds
SQL.  Security (docs/team.md):

* nothing but ``/login``, ``/healthz`` and ``/static`` answers before login;
* session cookie: 256-bit random, ``HttpOnly``, ``SameSite=Strict``,
  ``Secure`` when served behind TLS (``--secure-cookies``, default when not
  on loopback); only its SHA-256 is stored;
* every form POST carries the session's CSRF token (a hidden field); API
  calls with the session cookie send it as ``X-CSRF-Token``; API calls with
  a token (``Authorization: Bearer``) need none (no ambient credential);
* logins are rate-limited per user name and per client address;
* headers: a CSP with no inline script (``script-src 'self'``; the census
  report page alone allows its inline stylesheet), ``nosniff``,
  ``frame-ancestors 'none'``, no referrer, ``no-store`` caching;
* media are blurred on the server: the original is sent only after a
  reveal, which is logged first.
"""

from __future__ import annotations

import hmac
import io
import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Body, Depends, FastAPI, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from marsad import __version__
from marsad.errors import (
    Forbidden,
    InputError,
    MarsadError,
    NotFound,
    ReviewError,
    StoreError,
    Unauthorized,
)
from marsad.review.queue import STATUSES, Filters
from marsad.review.service import Review
from marsad.review.users import ROLES, User, can
from marsad.web.i18n import LANGS, text

__all__ = ["create_app"]

SESSION = "marsad_session"
LANG = "marsad_lang"
LOGIN_CSRF = "marsad_login_csrf"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE = 50
#: an item id in a path: a positive 63-bit integer (the databases' BIGINT)
ItemId = Annotated[int, PathParam(ge=1, le=2**62)]


# -- request bodies (the API's schema) -------------------------------------------
class DecisionIn(BaseModel):
    decision: Literal["confirm", "reject", "escalate"]
    category: str | None = Field(None, max_length=64)
    entity: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=64)
    note: str | None = Field(None, max_length=4000)
    round: int | None = Field(
        None, ge=1, le=100, description="the item's round this decision is for (makes retries safe)"
    )


class BulkIn(BaseModel):
    decision: Literal["confirm", "reject"]
    category: str | None = Field(None, max_length=64)
    entity: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=64)


class NoteIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=4000)


class ClaimIn(BaseModel):
    n: int = Field(1, ge=1, le=100)
    kind: str | None = Field(None, max_length=16)
    lang: str | None = Field(None, max_length=16)
    platform: str | None = Field(None, max_length=32)
    detector: str | None = Field(None, max_length=64)
    outlet: str | None = Field(None, max_length=64)
    status: str | None = Field(None, max_length=16)


class UserIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=64)
    role: Literal["admin", "lead", "reviewer", "viewer", "auditor"]
    password: str = Field(..., min_length=12, max_length=1024)


class UserPatch(BaseModel):
    role: Literal["admin", "lead", "reviewer", "viewer", "auditor"] | None = None
    disabled: bool | None = None


class SettingIn(BaseModel):
    value: str = Field(..., min_length=1, max_length=16)


# -- the app ---------------------------------------------------------------------
def create_app(review: Review, *, secure_cookies: bool = False) -> FastAPI:
    app = FastAPI(
        title="marsad",
        version=__version__,
        description="The review queue and findings of a marsad workspace. Authenticate with "
        "`Authorization: Bearer <token>` (`marsad users token NAME`).",
        docs_url=None,
        redoc_url=None,
    )
    templates = Jinja2Templates(directory=str(resources.files("marsad.web").joinpath("templates")))
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("marsad.web").joinpath("static"))),
        name="static",
    )
    cache: dict[str, Any] = {}
    cache_lock = threading.Lock()

    # -- middleware: headers -------------------------------------------------
    @app.middleware("http")
    async def headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        if secure_cookies:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    # -- errors ----------------------------------------------------------------
    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path == "/healthz"

    @app.exception_handler(MarsadError)
    async def marsad_error(request: Request, exc: MarsadError) -> Response:
        if isinstance(exc, ReviewError):
            status = exc.status
        elif isinstance(exc, InputError):
            status = 400  # a bad upload or value the request sent
        elif isinstance(exc, StoreError):
            status = 503  # e.g. an embedded workspace a writer holds: try again
        else:
            status = 500
        if isinstance(exc, Unauthorized) and not wants_json(request) and request.method == "GET":
            return RedirectResponse(
                "/login?" + urlencode({"next": _safe_next(str(request.url.path))}), 303
            )
        if wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=status)
        lang = _lang(request)
        return templates.TemplateResponse(
            request,
            "error.html",
            _ctx(request, None, lang, message=str(exc), status=status),
            status_code=status,
        )

    # -- who is asking -----------------------------------------------------------
    def auth(request: Request) -> tuple[User, str | None]:
        """(user, the session's CSRF token or None for a bearer token)."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            user = review.users.token_user(header[7:].strip())
            if user is None:
                raise Unauthorized("unknown or revoked API token")
            return user, None
        token = request.cookies.get(SESSION)
        found = review.users.session(token) if token else None
        if found is None:
            raise Unauthorized("log in first")
        request.state.session_csrf = found[1]  # for the page's forms: no second lookup
        return found

    def reader(request: Request) -> User:
        user, _ = auth(request)
        return user

    def writer(request: Request) -> User:
        """The user of a state-changing request, once its CSRF token is checked."""
        user, csrf = auth(request)
        if csrf is not None:
            sent = request.headers.get("x-csrf-token") or getattr(request.state, "form_csrf", None)
            if not sent or not hmac.compare_digest(str(sent), csrf):
                raise Forbidden("missing or wrong CSRF token")
        return user

    async def form_writer(request: Request) -> User:
        form = await request.form()
        request.state.form_csrf = form.get("csrf")
        return writer(request)

    def page(name: str, request: Request, user: User | None, **values: Any) -> HTMLResponse:
        lang = _lang(request)
        csrf = getattr(request.state, "session_csrf", None) if user is not None else None
        return templates.TemplateResponse(
            request, name, _ctx(request, user, lang, csrf=csrf, **values)
        )

    # -- health, language, login ---------------------------------------------------
    @app.get("/healthz", tags=["system"])
    def healthz() -> dict[str, Any]:
        """Liveness and readiness: the review database answers."""
        review.db.value("SELECT 1")
        return {"status": "ok", "version": __version__}

    @app.get("/lang/{lang}", include_in_schema=False)
    def set_lang(lang: str, next: str = "/queue") -> Response:  # noqa: A002
        response = RedirectResponse(_safe_next(next), 303)
        if lang in LANGS:
            response.set_cookie(
                LANG, lang, max_age=365 * 86400, samesite="strict", secure=secure_cookies
            )
        return response

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/queue") -> Response:  # noqa: A002
        token = secrets.token_urlsafe(24)
        response = page("login.html", request, None, next=_safe_next(next), login_csrf=token)
        response.set_cookie(
            LOGIN_CSRF, token, httponly=True, samesite="strict", secure=secure_cookies, max_age=3600
        )
        return response

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        name: str = Form(..., max_length=64),
        password: str = Form(..., max_length=1024),
        csrf: str = Form(..., max_length=128),
        next: str = Form("/queue", max_length=2000),  # noqa: A002
    ) -> Response:
        cookie = request.cookies.get(LOGIN_CSRF, "")
        if not cookie or not hmac.compare_digest(cookie, csrf):
            raise Forbidden("the login form expired: reload the page")
        client = request.client.host if request.client else ""
        _, token, _ = review.users.login(name, password, client)
        response = RedirectResponse(_safe_next(next), 303)
        response.set_cookie(
            SESSION,
            token,
            httponly=True,
            samesite="strict",
            secure=secure_cookies,
            max_age=12 * 3600,
        )
        response.delete_cookie(LOGIN_CSRF)
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, user: User = Depends(form_writer)) -> Response:
        token = request.cookies.get(SESSION)
        if token:
            review.users.logout(token)
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION)
        return response

    @app.get("/", include_in_schema=False)
    def root(user: User = Depends(reader)) -> Response:
        return RedirectResponse("/queue", 303)

    # -- the queue ---------------------------------------------------------------
    def filters_of(params: dict[str, Any]) -> Filters:
        status = params.get("status") or "waiting"
        if status == "all":
            status = None
        elif status not in (*STATUSES, "waiting"):
            raise ReviewError(f"status {status!r}: one of {', '.join(STATUSES)}, waiting, all")
        try:
            min_score = float(params["min_score"]) if params.get("min_score") else None
        except ValueError as exc:
            raise ReviewError("min_score must be a number") from exc
        return Filters(
            kind=params.get("kind") or None,
            status=status,
            lang=params.get("lang") or None,
            platform=params.get("platform") or None,
            detector=params.get("detector") or None,
            outlet=params.get("outlet") or None,
            account_id=params.get("account") or None,
            min_score=min_score,
            since=params.get("since") or None,
            until=params.get("until") or None,
        )

    @app.get("/queue", response_class=HTMLResponse, include_in_schema=False)
    def queue_page(request: Request, user: User = Depends(reader)) -> Response:
        params = dict(request.query_params)
        filters = filters_of(params)
        offset = _int(params.get("offset"), 0)
        items = review.queue.list(filters, limit=PAGE, offset=offset)
        return page(
            "queue.html",
            request,
            user,
            items=items,
            total=review.queue.count(filters),
            counts=review.queue.counts(),
            facets=review.queue.facets(),
            params=params,
            offset=offset,
            page_size=PAGE,
            qs=lambda **kw: urlencode({**params, **{k: v for k, v in kw.items()}}),
        )

    @app.post("/queue/next", include_in_schema=False)
    async def claim_next_form(request: Request, user: User = Depends(form_writer)) -> Response:
        form = await request.form()
        filters = filters_of({k: str(v) for k, v in form.items()})
        claimed = review.queue.claim_next(
            user,
            Filters(
                **{**{k: getattr(filters, k) for k in Filters.__dataclass_fields__}, "status": None}
            ),
        )
        if not claimed:
            return RedirectResponse("/queue", 303)
        return RedirectResponse(f"/items/{claimed[0]['id']}", 303)

    @app.post("/queue/sync", include_in_schema=False)
    def sync_form(user: User = Depends(form_writer)) -> Response:
        review.sync(user)
        return RedirectResponse("/queue", 303)

    # -- items -------------------------------------------------------------------
    def item_view(item_id: ItemId) -> dict[str, Any]:
        item = review.queue.item(item_id)
        try:
            item["evidence"] = review.evidence(item)
        except MarsadError as exc:
            item["evidence"] = {"error": str(exc)}
        return item

    @app.get("/items/{item_id}", response_class=HTMLResponse, include_in_schema=False)
    def item_page(
        request: Request, item_id: ItemId, user: User = Depends(reader), revealed: str = ""
    ) -> Response:
        item = item_view(item_id)
        return page(
            "item.html",
            request,
            user,
            item=item,
            taxonomy=review.taxonomy,
            revealed=revealed if revealed and _revealed(review, user, item_id, revealed) else "",
            json=lambda v: json.dumps(v, ensure_ascii=False, indent=1, default=str),
        )

    @app.post("/items/{item_id}/claim", include_in_schema=False)
    def claim_form(item_id: ItemId, user: User = Depends(form_writer)) -> Response:
        review.queue.claim(user, item_id)
        return RedirectResponse(f"/items/{item_id}", 303)

    @app.post("/items/{item_id}/decide", include_in_schema=False)
    async def decide_form(
        request: Request, item_id: ItemId, user: User = Depends(form_writer)
    ) -> Response:
        form = await request.form()
        decision = str(form.get("decision", ""))
        review.queue.decide(
            user,
            item_id,
            decision,
            category=_opt(form.get("category")),
            entity=_opt(form.get("entity")),
            reason=_opt(form.get("reason")),
            note=_opt(form.get("note")),
            expected_round=_int(form.get("round"), 0) or None,
        )
        return RedirectResponse("/queue", 303)

    @app.post("/items/{item_id}/note", include_in_schema=False)
    async def note_form(
        request: Request, item_id: ItemId, user: User = Depends(form_writer)
    ) -> Response:
        form = await request.form()
        review.queue.note(user, item_id, str(form.get("text", "")))
        return RedirectResponse(f"/items/{item_id}", 303)

    @app.post("/items/{item_id}/reveal/{media_id}", include_in_schema=False)
    def reveal_form(item_id: ItemId, media_id: str, user: User = Depends(form_writer)) -> Response:
        user.require("reveal")
        review.media_path(item_id, media_id)  # exists and belongs to the item
        review.queue.log_reveal(user, item_id, media_id)
        return RedirectResponse(
            f"/items/{item_id}?" + urlencode({"revealed": media_id}) + f"#m-{media_id}", 303
        )

    @app.get("/media/{item_id}/{media_id}", include_in_schema=False)
    def media(
        item_id: ItemId, media_id: str, full: int = 0, user: User = Depends(reader)
    ) -> Response:
        path = review.media_path(item_id, media_id)
        if full:
            if not _revealed(review, user, item_id, media_id):
                raise Forbidden("reveal the media first (the reveal is logged)")
            return Response(path.read_bytes(), media_type=_mime(path))
        return Response(_blurred(path, cache, cache_lock), media_type="image/png")

    # -- accounts ----------------------------------------------------------------
    @app.get(
        "/accounts/{platform}/{account_id}", response_class=HTMLResponse, include_in_schema=False
    )
    def account_page(
        request: Request, platform: str, account_id: str, user: User = Depends(reader)
    ) -> Response:
        data = review.account(platform, account_id)
        return page(
            "account.html",
            request,
            user,
            data=data,
            taxonomy=review.taxonomy,
            platform=platform,
            account_id=account_id,
        )

    @app.post("/accounts/{platform}/{account_id}/bulk", include_in_schema=False)
    async def bulk_form(
        request: Request, platform: str, account_id: str, user: User = Depends(form_writer)
    ) -> Response:
        form = await request.form()
        review.queue.bulk_decide(
            user,
            platform,
            account_id,
            str(form.get("decision", "")),
            category=_opt(form.get("category")),
            entity=_opt(form.get("entity")),
            reason=_opt(form.get("reason")),
        )
        return RedirectResponse(f"/accounts/{platform}/{account_id}", 303)

    # -- census and network ------------------------------------------------------------
    def census_html(lang: str) -> str:
        with cache_lock:
            key = f"census-{lang}"
            if key not in cache or time.monotonic() - cache[key][0] > 300:
                from marsad.census.compute import run_census
                from marsad.census.filters import CensusFilter
                from marsad.report.html import render_report

                with review.store() as store:
                    result = run_census(store.analytics(), CensusFilter())
                cache[key] = (time.monotonic(), render_report(result, lang))
            html: str = cache[key][1]
            return html

    @app.get("/census", response_class=HTMLResponse, include_in_schema=False)
    def census_page(request: Request, user: User = Depends(reader)) -> Response:
        return HTMLResponse(
            census_html(_lang(request)), headers={"Content-Security-Policy": REPORT_CSP}
        )

    @app.get("/network", response_class=HTMLResponse, include_in_schema=False)
    def network_page(request: Request, user: User = Depends(reader)) -> Response:
        return page(
            "network.html",
            request,
            user,
            summary=review.network(user),
            json=lambda v: json.dumps(v, ensure_ascii=False, indent=1, default=str),
        )

    @app.post("/network", include_in_schema=False)
    def network_compute(user: User = Depends(form_writer)) -> Response:
        review.network(user, compute=True)  # leads and admins: minutes on a large workspace
        return RedirectResponse("/network", 303)

    # -- users, settings, audit ------------------------------------------------------
    @app.get("/users", response_class=HTMLResponse, include_in_schema=False)
    def users_page(request: Request, user: User = Depends(reader)) -> Response:
        user.require("admin")
        settings = {k: review.queue.setting(k) for k in ("claim_minutes", "second_review")}
        return page(
            "users.html", request, user, users=review.users.list(), roles=ROLES, settings=settings
        )

    @app.post("/users", include_in_schema=False)
    async def users_add_form(request: Request, user: User = Depends(form_writer)) -> Response:
        form = await request.form()
        review.users.add(
            user,
            str(form.get("name", "")),
            str(form.get("role", "")),
            str(form.get("password", "")),
        )
        return RedirectResponse("/users", 303)

    @app.post("/users/{name}", include_in_schema=False)
    async def users_change_form(
        request: Request, name: str, user: User = Depends(form_writer)
    ) -> Response:
        form = await request.form()
        if form.get("role"):
            review.users.set_role(user, name, str(form["role"]))
        if form.get("disabled") in ("0", "1"):
            review.users.set_disabled(user, name, form["disabled"] == "1")
        return RedirectResponse("/users", 303)

    @app.post("/settings", include_in_schema=False)
    async def settings_form(request: Request, user: User = Depends(form_writer)) -> Response:
        form = await request.form()
        for name in ("claim_minutes", "second_review"):
            value = form.get(name)
            if value is not None and str(value) != review.queue.setting(name):
                review.queue.set_setting(user, name, str(value))
        return RedirectResponse("/users", 303)

    @app.get("/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit_page(request: Request, user: User = Depends(reader), after: int = 0) -> Response:
        from marsad.review import audit as log

        entries = review.audit_entries(user, after=max(0, after), limit=200)
        n, head, problem = log.verify(review.db)
        return page(
            "audit.html",
            request,
            user,
            entries=entries,
            n=n,
            head=head,
            problem=problem,
            after=after,
        )

    @app.get("/audit/export", include_in_schema=False)
    def audit_export(user: User = Depends(reader)) -> Response:
        entries = review.audit_entries(user, limit=10_000_000, log=True)
        body = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
        return Response(
            body,
            media_type="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="marsad-audit.jsonl"'},
        )

    # -- the JSON API ---------------------------------------------------------------
    api = "/api/v1"

    @app.get(f"{api}/me", tags=["users"])
    def api_me(user: User = Depends(reader)) -> dict[str, Any]:
        """Who the caller is and what their role allows."""
        from marsad.review.users import PERMISSIONS

        return {
            "name": user.name,
            "role": user.role,
            "may": sorted(a for a in PERMISSIONS if can(user.role, a)),
        }

    @app.get(f"{api}/queue", tags=["queue"])
    def api_queue(
        request: Request,
        user: User = Depends(reader),
        kind: str | None = Query(None, max_length=16),
        status: str = Query("waiting", max_length=16),
        lang: str | None = Query(None, max_length=16),
        platform: str | None = Query(None, max_length=32),
        detector: str | None = Query(None, max_length=64),
        outlet: str | None = Query(None, max_length=64),
        account: str | None = Query(None, max_length=64),
        min_score: float | None = Query(None, ge=0, le=1),
        since: str | None = Query(None, max_length=32),
        until: str | None = Query(None, max_length=32),
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=10_000_000),
    ) -> dict[str, Any]:
        """The queue, highest priority first (status: open, second_review, escalated,
        confirmed, rejected, waiting (the first three) or all)."""
        filters = filters_of(
            {
                "kind": kind,
                "status": status,
                "lang": lang,
                "platform": platform,
                "detector": detector,
                "outlet": outlet,
                "account": account,
                "min_score": min_score,
                "since": since,
                "until": until,
            }
        )
        return {
            "total": review.queue.count(filters),
            "items": review.queue.list(filters, limit=limit, offset=offset),
        }

    @app.post(f"{api}/queue/claim", tags=["queue"])
    def api_claim_next(body: ClaimIn, user: User = Depends(writer)) -> dict[str, Any]:
        """Claim up to n of the highest-priority free items matching the filters."""
        filters = Filters(
            kind=body.kind,
            lang=body.lang,
            platform=body.platform,
            detector=body.detector,
            outlet=body.outlet,
            status=body.status,
        )
        return {"items": review.queue.claim_next(user, filters, body.n)}

    @app.post(f"{api}/queue/sync", tags=["queue"])
    def api_sync(user: User = Depends(writer)) -> dict[str, int]:
        """Add what the workspace's detections flag (decided items stay decided)."""
        return review.sync(user)

    @app.get(f"{api}/items/{{item_id}}", tags=["items"])
    def api_item(item_id: ItemId, user: User = Depends(reader)) -> dict[str, Any]:
        """An item with its decisions, notes and evidence."""
        return item_view(item_id)

    @app.post(f"{api}/items/{{item_id}}/claim", tags=["items"])
    def api_claim(item_id: ItemId, user: User = Depends(writer)) -> dict[str, Any]:
        return review.queue.claim(user, item_id)

    @app.post(f"{api}/items/{{item_id}}/release", tags=["items"])
    def api_release(item_id: ItemId, user: User = Depends(writer)) -> dict[str, Any]:
        review.queue.release(user, item_id)
        return review.queue.item(item_id)

    @app.post(f"{api}/items/{{item_id}}/decision", tags=["items"])
    def api_decide(
        item_id: ItemId, body: DecisionIn, user: User = Depends(writer)
    ) -> dict[str, Any]:
        """Confirm (category, entity), reject (reason) or escalate an item.  Send the
        item's round to make a retry safe."""
        return review.queue.decide(
            user,
            item_id,
            body.decision,
            category=body.category,
            entity=body.entity,
            reason=body.reason,
            note=body.note,
            expected_round=body.round,
        )

    @app.post(f"{api}/items/{{item_id}}/notes", tags=["items"])
    def api_note(item_id: ItemId, body: NoteIn, user: User = Depends(writer)) -> dict[str, Any]:
        return review.queue.note(user, item_id, body.text)

    @app.post(f"{api}/items/{{item_id}}/media/{{media_id}}/reveal", tags=["items"])
    def api_reveal(item_id: ItemId, media_id: str, user: User = Depends(writer)) -> dict[str, Any]:
        """Log a reveal of a blurred media item; then GET /media/{item}/{media}?full=1."""
        user.require("reveal")
        review.media_path(item_id, media_id)
        review.queue.log_reveal(user, item_id, media_id)
        return {"url": f"/media/{item_id}/{media_id}?full=1"}

    @app.get(f"{api}/accounts/{{platform}}/{{account_id}}", tags=["accounts"])
    def api_account(platform: str, account_id: str, user: User = Depends(reader)) -> dict[str, Any]:
        """An account: its score, lineage, posts, queue items."""
        return review.account(platform, account_id)

    @app.post(f"{api}/accounts/{{platform}}/{{account_id}}/decision", tags=["accounts"])
    def api_bulk(
        platform: str, account_id: str, body: BulkIn, user: User = Depends(writer)
    ) -> dict[str, Any]:
        """Decide every waiting post item of an account (leads)."""
        ids = review.queue.bulk_decide(
            user,
            platform,
            account_id,
            body.decision,
            category=body.category,
            entity=body.entity,
            reason=body.reason,
        )
        return {"decided": ids}

    @app.get(f"{api}/taxonomy", tags=["queue"])
    def api_taxonomy(user: User = Depends(reader)) -> dict[str, Any]:
        return review.taxonomy.as_dict()

    @app.get(f"{api}/census", tags=["findings"])
    def api_census(user: User = Depends(reader)) -> dict[str, Any]:
        """The census of the workspace (as `marsad census --json`)."""
        from marsad.census.compute import run_census
        from marsad.census.filters import CensusFilter

        with review.store() as store:
            result = run_census(store.analytics(), CensusFilter())
        data: dict[str, Any] = json.loads(json.dumps(result.to_dict(), default=str))
        return data

    @app.get(f"{api}/network", tags=["findings"])
    def api_network(user: User = Depends(reader)) -> dict[str, Any]:
        """The network summary (communities, central accounts, coordination); mapped
        on the first call by a lead or admin."""
        summary = review.network(
            user, compute=review.network(user) is None and can(user.role, "sync")
        )
        if summary is None:
            raise NotFound("the network is not mapped yet: a lead maps it (POST /network)")
        return summary

    @app.get(f"{api}/users", tags=["users"])
    def api_users(user: User = Depends(reader)) -> list[dict[str, Any]]:
        user.require("admin")
        return review.users.list()

    @app.post(f"{api}/users", tags=["users"], status_code=201)
    def api_user_add(body: UserIn, user: User = Depends(writer)) -> dict[str, str]:
        added = review.users.add(user, body.name, body.role, body.password)
        return {"name": added.name, "role": added.role}

    @app.patch(f"{api}/users/{{name}}", tags=["users"])
    def api_user_change(name: str, body: UserPatch, user: User = Depends(writer)) -> dict[str, Any]:
        user.require("admin")
        if body.role is not None:
            review.users.set_role(user, name, body.role)
        if body.disabled is not None:
            review.users.set_disabled(user, name, body.disabled)
        return next((u for u in review.users.list() if u["name"] == name), {})

    @app.get(f"{api}/settings", tags=["users"])
    def api_settings(user: User = Depends(reader)) -> dict[str, str]:
        return {k: review.queue.setting(k) for k in ("claim_minutes", "second_review")}

    @app.put(f"{api}/settings/{{name}}", tags=["users"])
    def api_setting(
        name: str, body: SettingIn = Body(...), user: User = Depends(writer)
    ) -> dict[str, str]:
        review.queue.set_setting(user, name, body.value)
        return {name: review.queue.setting(name)}

    @app.get(f"{api}/audit", tags=["audit"])
    def api_audit(
        user: User = Depends(reader),
        after: int = Query(0, ge=0, le=2**62),
        limit: int = Query(200, ge=1, le=10_000),
    ) -> list[dict[str, Any]]:
        """Audit entries after seq `after` (auditors and admins; the read is logged)."""
        return review.audit_entries(user, after=after, limit=limit, log=True)

    @app.get(f"{api}/audit/verify", tags=["audit"])
    def api_audit_verify(user: User = Depends(reader)) -> dict[str, Any]:
        user.require("audit")
        from marsad.review import audit as log

        n, head, problem = log.verify(review.db)
        return {
            "entries": n,
            "head": head,
            "intact": problem is None,
            "problem": None if problem is None else str(problem),
        }

    from marsad.web.act_routes import add_act_routes

    add_act_routes(
        app,
        review,
        api=api,
        page=page,
        reader=reader,
        writer=writer,
        form_writer=form_writer,
        lang_of=_lang,
        report_csp=REPORT_CSP,
    )
    return app


# -- helpers -----------------------------------------------------------------------
def _ctx(request: Request, user: User | None, lang: str, **values: Any) -> dict[str, Any]:
    return {
        "request": request,
        "user": user,
        "lang": lang,
        "dir": "rtl" if lang == "ar" else "ltr",
        "t": lambda key: text(key, lang),
        "other": "en" if lang == "ar" else "ar",
        "can": (lambda action: user is not None and can(user.role, action)),
        "path": request.url.path,
        "shown": _shown_target,
        **values,
    }


def _shown_target(item: dict[str, Any]) -> str:
    """An item's target as a reviewer reads it: a lineage link as predecessor → successor."""
    target = str(item["target_id"])
    if item["kind"] == "link":
        successor, _, predecessor = target.partition(">")
        return f"{predecessor} → {successor}"
    return target


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG) or "ar"
    return lang if lang in LANGS else "ar"


def _safe_next(target: str) -> str:
    """Only a local path: never an open redirect."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/queue"
    return target


def _int(value: Any, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def _opt(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _mime(path: Path) -> str:
    return {
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".png": "image/png",
        ".gif": "image/gif",
        ".webp": "image/webp",
        ".mp4": "video/mp4",
    }.get(path.suffix.lower(), "application/octet-stream")


def _blurred(path: Path, cache: dict[str, Any], lock: threading.Lock) -> bytes:
    """A small, heavily blurred PNG of a picture (a grey tile for anything else)."""
    key = f"blur:{path}"
    with lock:
        if key in cache:
            data: bytes = cache[key]
            return data
    from PIL import Image, ImageFilter

    im: Image.Image
    try:
        with Image.open(path) as src:
            im = src.convert("RGB")
        im.thumbnail((320, 320))
        im = im.filter(ImageFilter.GaussianBlur(radius=max(im.size) / 12))
    except (OSError, ValueError):
        im = Image.new("RGB", (320, 180), (120, 120, 120))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    with lock:
        cache[key] = buf.getvalue()
    return buf.getvalue()


def _revealed(review: Review, user: User, item_id: ItemId, media_id: str) -> bool:
    """Whether *user* has revealed *media_id* of the item in the last hour (logged)."""
    from datetime import UTC, datetime, timedelta

    from marsad.review.db import now_iso

    if not can(user.role, "reveal"):
        return False
    since = now_iso(datetime.now(UTC) - timedelta(hours=1))
    rows = review.db.rows(
        "SELECT details FROM audit_log WHERE actor = ? AND action = 'media.reveal' "
        "AND target = ? AND at > ? ORDER BY seq DESC LIMIT 50",
        [user.name, f"item:{item_id}", since],
    )
    return any(json.loads(r["details"]).get("media") == media_id for r in rows)
