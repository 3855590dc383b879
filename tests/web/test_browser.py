"""``marsad serve`` in a real browser: headless Chromium (Debian's) driven by Playwright.

A small simulated platform goes through the real path (simulate -> ingest ->
scan -> accounts -> lineage -> queue sync); one flagged post gets a benign
synthetic picture.  The real server runs in a subprocess; a reviewer logs in
to the Arabic (right-to-left) UI, filters the queue, opens the item, sees the
picture blurred, reveals it (logged first), and confirms the item.  The JSON
API and the audit log must then agree with what the browser did, and the
audit chain must verify.

Screenshots of the queue in Arabic and English (1400x900) go to ``docs/img``
when ``MARSAD_SCREENSHOTS=1``, else to a temporary directory.

Outside CI a missing Chromium or Playwright skips these tests with the reason;
in CI (``CI=true``) it fails them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from marsad.web.i18n import text

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("MARSAD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1400, "height": 900}
PICTURE_SIZE = (640, 400)
MEDIA_ID = "browser-test-picture"
REVIEWER = "reviewer"
AUDITOR = "auditor"
CATEGORY = "support_glorification"
ENTITY = "islamic_state"
# the queue filter the reviewer applies (and the item with the picture matches)
KIND, LANG, PLATFORM = "post", "ar", "x"

pytestmark = pytest.mark.slow


# -- what is needed -------------------------------------------------------------------
def _missing(message: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_browser() -> str:
    """Chromium's path, once Chromium and Playwright are known to be there."""
    path = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if not path:
        _missing(
            f"Chromium not installed at {CHROMIUM} (make browser, or apt-get install chromium)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("Playwright is missing: pip install -e '.[test]'")
    return path


# -- the workspace and the server ---------------------------------------------------------
@dataclass(frozen=True)
class Site:
    url: str
    workspace: Path
    password: str
    item_id: int
    reviewer_token: str
    auditor_token: str
    log: Path


def marsad(*args: str) -> str:
    """Run the CLI; its stdout, or a failure with its stderr."""
    done = subprocess.run(  # noqa: S603 - our own CLI with fixed arguments
        [sys.executable, "-m", "marsad.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"marsad {' '.join(args)} exited {done.returncode}:\n{done.stderr}"
    return done.stdout


def draw_picture(path: Path) -> tuple[int, int]:
    """A benign synthetic picture: shapes and the word "test"."""
    from PIL import Image, ImageDraw, ImageFont

    im = Image.new("RGB", PICTURE_SIZE, (236, 242, 248))
    draw = ImageDraw.Draw(im)
    draw.rectangle((40, 40, 260, 200), fill=(52, 120, 200), outline=(20, 40, 80), width=6)
    draw.ellipse((330, 60, 590, 240), fill=(240, 170, 40), outline=(120, 80, 10), width=6)
    draw.polygon([(120, 360), (220, 230), (320, 360)], fill=(60, 170, 90))
    draw.text((360, 270), "test", fill=(30, 30, 30), font=ImageFont.load_default(size=96))
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, format="PNG")
    return im.size


def add_picture(workspace: Path, platform: str, post_id: str) -> None:
    """Store the picture in WS/media/ and a ``media`` row attaching it to the post."""
    from marsad.pipeline import open_store

    path = (workspace / "media" / f"{MEDIA_ID}.png").resolve()
    width, height = draw_picture(path)
    data = path.read_bytes()
    columns = (
        "platform", "native_id", "post_id", "kind", "path", "mime_type",
        "size_bytes", "width", "height", "md5", "sha256",
    )  # fmt: skip
    row = (
        platform, MEDIA_ID, post_id, "photo", str(path), "image/png",
        len(data), width, height, hashlib.md5(data).hexdigest(),  # noqa: S324 - a checksum
        hashlib.sha256(data).hexdigest(),
    )  # fmt: skip
    with open_store(workspace, create=False) as store:
        assert store.insert_rows("media", columns, [row]) == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"marsad serve exited {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if json.load(response).get("status") == "ok":
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    pytest.fail(f"marsad serve did not answer /healthz in {timeout:.0f} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return require_browser()


@pytest.fixture(scope="module")
def site(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from marsad.review.queue import Filters
    from marsad.review.service import Review
    from marsad.review.users import CONSOLE

    base = tmp_path_factory.mktemp("web")
    ws, sim = base / "ws", base / "sim"
    marsad("simulate", str(sim), "--profile", "small", "--seed", "7", "--formats", "x-v2,telegram")
    marsad("ingest", str(sim), "-w", str(ws))
    marsad("scan", "-w", str(ws))
    marsad("accounts", "-w", str(ws), "--top", "1")
    marsad("lineage", "-w", str(ws), "--top", "1")
    marsad("queue", "sync", "-w", str(ws))

    password = secrets.token_urlsafe(18)
    with Review(ws) as review:
        # the flagged post the picture goes with: first in the filtered queue
        waiting = review.queue.list(
            Filters(kind=KIND, lang=LANG, platform=PLATFORM, status="waiting"), limit=1
        )
        assert waiting, f"no {KIND} item in {LANG} on {PLATFORM} to attach the picture to"
        item = waiting[0]
        review.users.add(CONSOLE, REVIEWER, "reviewer", password)
        review.users.add(CONSOLE, AUDITOR, "auditor", secrets.token_urlsafe(18))
        reviewer_token = review.users.new_token(CONSOLE, REVIEWER, "test")
        auditor_token = review.users.new_token(CONSOLE, AUDITOR, "test")
    add_picture(ws, item["platform"], item["target_id"])
    marsad("queue", "sync", "-w", str(ws))  # the queue as it would be after a media import

    port = free_port()
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
        wait_healthy(url, server, log)
        yield Site(url, ws, password, int(item["id"]), reviewer_token, auditor_token, log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def new_context(browser: Browser, locale: str = "ar") -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) of a user whose browser speaks *locale*."""
    ctx = browser.new_context(viewport=VIEWPORT, locale=locale)  # type: ignore[arg-type]
    ctx.set_default_timeout(60_000)  # the first item page loads the scoring model
    try:
        yield ctx
    finally:
        ctx.close()


# -- helpers ----------------------------------------------------------------------------------
def api(site: Site, path: str, token: str) -> Any:
    request = urllib.request.Request(  # noqa: S310 - our own server on loopback
        site.url + path, headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as exc:
        pytest.fail(f"GET {path}: {exc.code} {exc.read().decode(errors='replace')}")


def watch_console(page: Page) -> list[str]:
    """Errors the page logs (CSP violations, failed loads, script errors), but the
    browser's own request for /favicon.ico, which the app does not serve."""
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def log_in(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/login")
    page.fill("#name", REVIEWER)
    page.fill("#password", site.password)
    page.click("#login")
    page.wait_for_url(re.compile(r"/queue$"))


def loaded_image(page: Page, selector: str) -> dict[str, Any]:
    """The image's src, classes and natural size, once it has loaded."""
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0 }",
        arg=selector,
    )
    state: dict[str, Any] = page.eval_on_selector(
        selector,
        "i => ({src: i.getAttribute('src'), cls: i.className, "
        "width: i.naturalWidth, height: i.naturalHeight})",
    )
    return state


# -- the tests -------------------------------------------------------------------------------
def test_a_reviewer_filters_reveals_and_confirms_in_the_arabic_ui(
    site: Site, browser: Browser
) -> None:
    with new_context(browser) as context:
        reveal_and_confirm(site, context.new_page())
    check_api_and_audit(site)


def reveal_and_confirm(site: Site, page: Page) -> None:
    errors = watch_console(page)

    # the login page is Arabic, right to left
    page.goto(f"{site.url}/login")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    log_in(page, site)
    assert page.evaluate("document.documentElement.dir") == "rtl"

    # filter the queue: posts in Arabic on X
    page.select_option("#f-kind", KIND)
    page.select_option("#f-lang", LANG)
    page.select_option("#f-platform", PLATFORM)
    page.click("#apply")
    page.wait_for_url(re.compile(r"/queue\?.*kind=post"))
    rows = page.eval_on_selector_all(
        "table.queue tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))",
    )
    assert rows, "the filtered queue is empty"
    assert {r[2].split(":")[0] for r in rows} == {PLATFORM}
    assert {r[5] for r in rows} == {LANG}

    # open the item with the picture
    page.click(f'table.queue a[href="/items/{site.item_id}"] >> nth=0')
    page.wait_for_url(re.compile(rf"/items/{site.item_id}$"))
    figure = f"#m-{MEDIA_ID}"
    blurred = loaded_image(page, f"{figure} img")
    assert blurred["src"] == f"/media/{site.item_id}/{MEDIA_ID}"
    assert "blurred" in blurred["cls"].split()
    assert blurred["width"] < PICTURE_SIZE[0]  # the server's small blurred copy
    # the original is refused until it has been revealed
    assert page.request.get(f"{site.url}/media/{site.item_id}/{MEDIA_ID}?full=1").status == 403

    # reveal: logged, then the original is shown
    page.click(f"{figure} button.reveal")
    page.wait_for_url(re.compile(rf"/items/{site.item_id}\?revealed={MEDIA_ID}"))
    full = loaded_image(page, f"{figure} img")
    assert "full=1" in full["src"]
    assert "revealed" in full["cls"].split()
    assert (full["width"], full["height"]) == PICTURE_SIZE
    assert page.locator(f"{figure} button.reveal").count() == 0

    # confirm with a category and an entity
    page.select_option("#category", CATEGORY)
    page.select_option("#entity", ENTITY)
    page.click("#confirm")
    page.wait_for_url(re.compile(r"/queue$"))
    assert errors == []


def check_api_and_audit(site: Site) -> None:
    """The JSON API, the audit log and `marsad audit verify` agree with the browser."""
    item = api(site, f"/api/v1/items/{site.item_id}", site.reviewer_token)
    assert item["status"] == "confirmed"
    assert [
        (d["reviewer"], d["decision"], d["category"], d["entity"]) for d in item["decisions"]
    ] == [(REVIEWER, "confirm", CATEGORY, ENTITY)]
    assert [m["native_id"] for m in item["evidence"]["media"]] == [MEDIA_ID]

    # so does the audit log: the reveal, then the decision, both by the reviewer
    entries = api(site, "/api/v1/audit?limit=10000", site.auditor_token)
    mine = [e for e in entries if e["actor"] == REVIEWER and e["target"] == f"item:{site.item_id}"]
    reveals = [e for e in mine if e["action"] == "media.reveal"]
    decisions = [e for e in mine if e["action"] == "decision"]
    assert [e["details"]["media"] for e in reveals] == [MEDIA_ID]
    assert len(decisions) == 1
    assert decisions[0]["details"] | {"round": 1} == {
        "decision": "confirm", "category": CATEGORY, "entity": ENTITY,
        "reason": None, "round": 1, "status": "confirmed",
        # what the item was when decided (the transparency report counts from these)
        "kind": "post", "platform": "x", "lang": item["lang"],
        "detector": item["detector"], "detector_version": item["detector_version"],
    }  # fmt: skip
    assert reveals[0]["seq"] < decisions[0]["seq"]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))

    marsad("audit", "verify", "-w", str(site.workspace))


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_queue_page_in_each_language(
    site: Site, browser: Browser, lang: str, tmp_path: Path
) -> None:
    with new_context(browser, locale=lang) as context:
        show_queue(site, context.new_page(), lang, tmp_path)


def show_queue(site: Site, page: Page, lang: str, tmp_path: Path) -> None:
    errors = watch_console(page)
    log_in(page, site)
    if lang == "en":  # the language link switches, and the choice sticks
        page.click('header .who a[lang="en"]')
        page.wait_for_url(re.compile(r"/queue$"))
        page.reload()
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.evaluate("document.documentElement.dir") == ("rtl" if lang == "ar" else "ltr")
    assert text("queue", lang) in page.inner_text("h1")
    assert page.locator("table.queue tbody tr").count() >= 20
    if lang == "ar":  # right to left: the first column (#) is at the right
        first, last = page.eval_on_selector_all(
            "table.queue thead th",
            "ths => [ths[0], ths[ths.length - 1]].map(t => t.getBoundingClientRect().left)",
        )
        assert first > last
    assert errors == []

    out = ROOT / "docs" / "img" if os.environ.get("MARSAD_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    shot = out / f"queue-{lang}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
