"""The web app's pages and API for acting on decisions: referrals and the transparency report.

Part of the web shell (:mod:`marsad.web.app` calls :func:`add_act_routes`); a
thin layer over :mod:`marsad.act`, like the rest of the app.  Pages:
``/referrals`` (list, and a lead's form to make one), ``/referrals/{id}``
(its items and their states, sending, a platform's reply as an upload, the
files to download), ``/transparency`` (the report in the reader's language,
under a bar back to the app).  An uploaded reply redirects to its referral's
page (POST-redirect-GET), which shows what the reply did for a while
(:data:`REPLY_SHOWN`) at the address the redirect names.
API under ``/api/v1``: ``referrals`` (GET, POST), ``referrals/{id}`` (GET),
``referrals/{id}/send``, ``referrals/{id}/reply`` (the CSV as the body),
``referrals/{id}/files/{csv|json|html}``, ``referred/{ref}/state``,
``transparency``.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from marsad.act import referrals as R
from marsad.errors import InputError
from marsad.review.service import Review
from marsad.review.users import User
from marsad.web.i18n import text

__all__ = ["add_act_routes"]

RefId = Annotated[int, Path(ge=1, le=2**62)]
#: the most a platform's reply may hold (an upload or a request body)
MAX_REPLY = 16 << 20
_MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json", "html": "text/html"}
#: seconds the summary of an uploaded reply is shown at the address its upload redirects to
#: (long enough to read it, reload it and switch language; it is in memory, not in the log)
REPLY_SHOWN = 15 * 60
#: seconds a rendered transparency page is reused while the audit log has not moved: the
#: figures as of now (the items still up, the Kaplan-Meier median) change with the clock too
TRANSPARENCY_FRESH = 60


class ReferralIn(BaseModel):
    platform: str = Field(..., min_length=1, max_length=32)
    title: str | None = Field(None, max_length=200)
    contact: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=64)
    entity: str | None = Field(None, max_length=64)
    kinds: list[Literal["post", "account", "media", "link"]] = Field(default_factory=list)
    since: str | None = Field(None, max_length=40)
    until: str | None = Field(None, max_length=40)
    items: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(
        default_factory=list, max_length=100_000
    )
    again: bool = False


class SendIn(BaseModel):
    at: str | None = Field(None, max_length=40, description="when it was sent (default now)")


class StateIn(BaseModel):
    state: Literal["acknowledged", "removed", "still_up", "declined"]
    at: str | None = Field(None, max_length=40)
    note: str | None = Field(None, max_length=500)


def _time(value: str | None, what: str) -> str | None:
    return R._check_time(value, what) if value else None


def add_act_routes(
    app: FastAPI,
    review: Review,
    *,
    api: str,
    page: Callable[..., HTMLResponse],
    reader: Callable[..., User],
    writer: Callable[..., User],
    form_writer: Callable[..., Any],
    lang_of: Callable[[Request], str],
    report_csp: str,
) -> None:
    """Add the routes of the module docstring to *app* (the shell's own
    authentication and page helpers passed in)."""
    #: (lang, since, until) -> (the audit log's head, when, the page)
    cache: dict[str, tuple[tuple[Any, ...], float, str]] = {}
    #: an uploaded reply's token -> (when, who uploaded it, the referral, what it did)
    replies: dict[str, tuple[float, str, int, R.ReplyResult]] = {}
    lock = threading.Lock()

    def keep_reply(user: User, referral_id: int, got: R.ReplyResult) -> str:
        token = secrets.token_urlsafe(16)
        now = time.monotonic()
        with lock:
            for old in [k for k, v in replies.items() if now - v[0] > REPLY_SHOWN]:
                del replies[old]
            if len(replies) >= 1024:
                del replies[next(iter(replies))]
            replies[token] = (now, user.name, referral_id, got)
        return token

    def kept_reply(token: str | None, user: User, referral_id: int) -> R.ReplyResult | None:
        """The summary *token* names, if it is *user*'s reply to this referral and fresh."""
        with lock:
            kept = replies.get(token) if token else None
        if kept is None or time.monotonic() - kept[0] > REPLY_SHOWN:
            return None
        return kept[3] if (kept[1], kept[2]) == (user.name, referral_id) else None

    def create(user: User, body: ReferralIn) -> dict[str, Any]:
        return R.create_referral(
            review,
            user,
            body.platform,
            title=body.title,
            contact=body.contact,
            category=body.category,
            entity=body.entity,
            kinds=body.kinds,
            since=_time(body.since, "since"),
            until=_time(body.until, "until"),
            item_ids=body.items,
            again=body.again,
        )

    # -- pages -----------------------------------------------------------------
    @app.get("/referrals", response_class=HTMLResponse, include_in_schema=False)
    def referrals_page(request: Request, user: User = Depends(reader)) -> Response:
        platforms = [
            str(r["platform"])
            for r in review.db.rows(
                "SELECT DISTINCT platform FROM queue_items WHERE status = 'confirmed' "
                "ORDER BY platform"
            )
        ]
        return page(
            "referrals.html",
            request,
            user,
            referrals=R.list_referrals(review),
            platforms=platforms,
            taxonomy=review.taxonomy,
        )

    @app.post("/referrals", include_in_schema=False)
    async def referrals_create_form(
        request: Request, user: User = Depends(form_writer)
    ) -> Response:
        user.require("refer")
        form = await request.form()
        platform = str(form.get("platform", "")).strip()
        if not platform or len(platform) > 32:
            raise InputError("choose the platform to refer")
        body = ReferralIn(
            platform=platform,
            title=_opt(form.get("title")),
            contact=_opt(form.get("contact")),
            category=_opt(form.get("category")),
            entity=_opt(form.get("entity")),
            since=None,
            until=None,
        )
        ref = create(user, body)
        return RedirectResponse(f"/referrals/{ref['id']}", 303)

    @app.get("/referrals/{referral_id}", response_class=HTMLResponse, include_in_schema=False)
    def referral_page(
        request: Request,
        referral_id: RefId,
        user: User = Depends(reader),
        reply: str | None = Query(None, max_length=64),
    ) -> Response:
        got = kept_reply(reply, user, referral_id)
        return page(
            "referral.html",
            request,
            user,
            ref=R.referral(review, referral_id),
            states=R.PLATFORM_STATES,
            taxonomy=review.taxonomy,
            reply=got,
            # the language link comes back to the summary (the token is URL-safe)
            **({"path": f"/referrals/{referral_id}?reply={reply}"} if got else {}),
        )

    @app.post("/referrals/{referral_id}/send", include_in_schema=False)
    async def referral_send_form(
        request: Request, referral_id: RefId, user: User = Depends(form_writer)
    ) -> Response:
        user.require("refer")
        form = await request.form()
        R.send_referral(review, user, referral_id, _time(_opt(form.get("at")), "sent at"))
        return RedirectResponse(f"/referrals/{referral_id}", 303)

    @app.post("/referrals/{referral_id}/reply", include_in_schema=False)
    async def referral_reply_form(
        request: Request, referral_id: RefId, user: User = Depends(form_writer)
    ) -> Response:
        user.require("refer")
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InputError("choose the CSV file the platform returned")
        data = await upload.read(MAX_REPLY + 1)
        got = R.read_reply(
            review,
            user,
            data=data,
            name=upload.filename or "reply.csv",
            referral_id=referral_id,
            max_bytes=MAX_REPLY,
        )
        # POST-redirect-GET: a reload or a language switch must not upload it again
        token = keep_reply(user, referral_id, got)
        return RedirectResponse(f"/referrals/{referral_id}?reply={token}", 303)

    @app.get("/referrals/{referral_id}/reply", include_in_schema=False)
    def referral_reply_get(referral_id: RefId, user: User = Depends(reader)) -> Response:
        # an old result address, or a reply's form opened by hand: its referral's page
        return RedirectResponse(f"/referrals/{referral_id}", 303)

    @app.post("/referred/{ref_id}/state", include_in_schema=False)
    async def referred_state_form(
        request: Request, ref_id: RefId, user: User = Depends(form_writer)
    ) -> Response:
        user.require("refer")
        form = await request.form()
        item = R.set_state(
            review,
            user,
            ref_id,
            str(form.get("state", "")),
            at=_time(_opt(form.get("at")), "at"),
            note=_opt(form.get("note")),
        )
        return RedirectResponse(f"/referrals/{item['referral_id']}#{item['ref']}", 303)

    @app.get("/referrals/{referral_id}/files/{kind}", include_in_schema=False)
    def referral_file(
        referral_id: RefId, kind: Literal["csv", "json", "html"], user: User = Depends(reader)
    ) -> Response:
        return _file(review, user, referral_id, kind)

    def transparency_html(lang: str, since: str | None, until: str | None) -> str:
        """The report's page, reused until the audit log moves (any entry: a decision, a
        state, a sending) or it is :data:`TRANSPARENCY_FRESH` seconds old."""
        from marsad.act.transparency import report
        from marsad.report.html import render_report

        key = json.dumps([lang, since, until])
        # one indexed row: the log's last entry (its hash changes with any entry)
        last = review.db.one("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        head = (last["seq"], last["hash"]) if last else ()
        with lock:
            hit = cache.get(key)
        if hit is not None and hit[0] == head and time.monotonic() - hit[1] < TRANSPARENCY_FRESH:
            return hit[2]
        html = render_report(report(review, since=since, until=until), lang)
        with lock:
            if len(cache) > 64:
                cache.clear()
            cache[key] = (head, time.monotonic(), html)
        return html

    @app.get("/transparency", response_class=HTMLResponse, include_in_schema=False)
    def transparency_page(
        request: Request,
        user: User = Depends(reader),
        since: str | None = Query(None, max_length=40),
        until: str | None = Query(None, max_length=40),
    ) -> Response:
        lang = lang_of(request)
        html = transparency_html(lang, _time(since, "since"), _time(until, "until"))
        # the app's bar over the report (the file `marsad transparency --out` writes has none)
        shown = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        here = request.url.path + (f"?{urlencode(shown)}" if shown else "")
        html = html.replace("<body>", "<body>" + _app_bar(lang, here), 1)
        return HTMLResponse(html, headers={"Content-Security-Policy": report_csp})

    # -- API -------------------------------------------------------------------
    @app.get(f"{api}/referrals", tags=["referrals"])
    def api_referrals(user: User = Depends(reader)) -> list[dict[str, Any]]:
        """Every referral, newest first, with its items counted by state."""
        return R.list_referrals(review)

    @app.post(f"{api}/referrals", tags=["referrals"], status_code=201)
    def api_referral_create(body: ReferralIn, user: User = Depends(writer)) -> dict[str, Any]:
        """Refer the platform's confirmed items (leads): those listed in `items`, or
        every one matching the filters that is in no referral yet."""
        return create(user, body)

    @app.get(f"{api}/referrals/{{referral_id}}", tags=["referrals"])
    def api_referral(referral_id: RefId, user: User = Depends(reader)) -> dict[str, Any]:
        return R.referral(review, referral_id)

    @app.post(f"{api}/referrals/{{referral_id}}/send", tags=["referrals"])
    def api_referral_send(
        referral_id: RefId, body: SendIn, user: User = Depends(writer)
    ) -> dict[str, Any]:
        """Record that the referral was sent: its items' time to removal counts from here."""
        return R.send_referral(review, user, referral_id, _time(body.at, "at"))

    @app.post(f"{api}/referrals/{{referral_id}}/reply", tags=["referrals"])
    async def api_referral_reply(
        request: Request, referral_id: RefId, user: User = Depends(writer)
    ) -> dict[str, Any]:
        """Apply a platform's reply: the CSV (ref or url or id, status, at, note) as the body."""
        user.require("refer")
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_REPLY:
                raise InputError(f"a reply is at most {MAX_REPLY >> 20} MB")
        got = R.read_reply(
            review,
            user,
            data=bytes(data),
            name="reply.csv",
            referral_id=referral_id,
            max_bytes=MAX_REPLY,
        )
        return got.as_dict()

    @app.get(f"{api}/referrals/{{referral_id}}/files/{{kind}}", tags=["referrals"])
    def api_referral_file(
        referral_id: RefId, kind: Literal["csv", "json", "html"], user: User = Depends(reader)
    ) -> Response:
        """The referral's CSV, JSON (schema marsad-referral/1) or bilingual HTML summary."""
        return _file(review, user, referral_id, kind)

    @app.get(f"{api}/referred/{{ref_id}}", tags=["referrals"])
    def api_referred(ref_id: RefId, user: User = Depends(reader)) -> dict[str, Any]:
        """A referred item (reference MRS-<id>) with the history of its states."""
        return R.referred_item(review, ref_id)

    @app.post(f"{api}/referred/{{ref_id}}/state", tags=["referrals"])
    def api_referred_state(
        ref_id: RefId, body: StateIn, user: User = Depends(writer)
    ) -> dict[str, Any]:
        """Record what the platform said of one referred item."""
        return R.set_state(
            review, user, ref_id, body.state, at=_time(body.at, "at"), note=body.note
        )

    @app.get(f"{api}/transparency", tags=["findings"])
    def api_transparency(
        user: User = Depends(reader),
        since: str | None = Query(None, max_length=40),
        until: str | None = Query(None, max_length=40),
    ) -> dict[str, Any]:
        """The transparency report (as `marsad transparency --json`), replayed from the audit log."""
        from marsad.act.transparency import report

        result = report(review, since=_time(since, "since"), until=_time(until, "until"))
        data: dict[str, Any] = json.loads(json.dumps(result.to_dict(), default=str))
        return data


def _file(review: Review, user: User, referral_id: int, kind: str) -> Response:
    files = R.referral_files(review, user, referral_id)
    headers = {"Content-Disposition": f'attachment; filename="referral-{referral_id}.{kind}"'}
    if kind == "html":
        # the summary is a document to save and forward, not a page of the app
        headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
        )
    return Response(files[kind], media_type=_MEDIA[kind], headers=headers)


def _app_bar(lang: str, here: str) -> str:
    """The web app's bar over a report page: back to the queue and the referrals, and the
    language link (to *here*, the page's local address, in the other language)."""
    from marsad.report.markup import el

    other = "en" if lang == "ar" else "ar"
    return el(
        "nav",
        el("a", text("app", lang), href="/queue", class_="app-brand"),
        el("a", text("queue", lang), href="/queue"),
        el("a", text("referrals", lang), href="/referrals"),
        el(
            "a",
            text("other_lang", lang),
            href=f"/lang/{other}?next={quote(here, safe='/')}",
            lang=other,
            class_="app-lang",
        ),
        class_="app-bar",
    )


def _opt(value: Any) -> str | None:
    return str(value).strip() if value not in (None, "") and str(value).strip() else None
