"""Running the web app: ``marsad serve`` (uvicorn), and its ``--demo``."""

from __future__ import annotations

import ipaddress
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from marsad.config import is_server_url, shown_workspace
from marsad.errors import ConfigError

__all__ = ["demo_workspace", "run_server"]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def demo_workspace(workspace: Path | str) -> Path | str:
    """The demo's workspace, made by ``marsad demo`` when it has no census yet."""
    if is_server_url(workspace):
        return workspace
    path = Path(workspace)
    if not (path / "marsad.duckdb").exists():
        print(f"making the demo workspace in {path} (marsad demo, about a minute) …", flush=True)
        subprocess.run(  # noqa: S603 - our own CLI, arguments are not from input
            [sys.executable, "-m", "marsad.cli", "demo", "--workspace", str(path)],
            check=True,
        )
    return path


#: seconds between two looks for open items whose evidence is not gathered
PREPARE_EVERY = 10.0


def _prepare_forever(review: Any, limit: int) -> None:
    """The server's background helper: the evidence of the items at the head
    of the queue, gathered before a reviewer opens them (Review.prepare),
    with a pause after each so that it never crowds out the pages."""
    log = logging.getLogger("marsad.serve")
    while True:
        try:
            review.prepare(limit, pause=0.05)
        except Exception as exc:  # noqa: BLE001 - a helper: log it and look again later
            log.warning("gathering evidence in the background failed: %s", exc)
        time.sleep(PREPARE_EVERY)


def run_server(
    workspace: Path | str,
    host: str,
    port: int,
    *,
    demo: bool = False,
    secure_cookies: bool | None = None,
    prepare: int = 200,
) -> None:
    import uvicorn

    from marsad.review.service import Review
    from marsad.review.users import CONSOLE, new_password
    from marsad.web.app import create_app

    if (
        not is_server_url(workspace)
        and not demo
        and not (Path(workspace) / "marsad.duckdb").exists()
    ):
        raise ConfigError(
            f"no workspace at {workspace}: `marsad init` and ingest first, or `marsad serve --demo`"
        )
    if demo:
        workspace = demo_workspace(workspace)
    review = Review(workspace)
    print("loading the detection model …", flush=True)
    _ = review.scorer  # once, before the first item page
    if demo:
        review.sync(CONSOLE)
        name = "admin"
        password = new_password()
        existing = {u["name"] for u in review.users.list()}
        if name in existing:
            review.users.set_password(CONSOLE, name, password)
        else:
            review.users.add(CONSOLE, name, "admin", password)
        print(f"demo admin: {name} / {password}  (one-time: a new one at each --demo start)")
    elif not review.users.list():
        print("no users yet: add one with `marsad users add NAME --role admin`", flush=True)
    secure = (not _loopback(host)) if secure_cookies is None else secure_cookies
    if not _loopback(host):
        print(f"listening on {host}: put it behind TLS (cookies are marked Secure)", flush=True)
    print(f"marsad serving {shown_workspace(workspace)} on http://{host}:{port}/", flush=True)
    app = create_app(review, secure_cookies=secure)
    if prepare:
        threading.Thread(
            target=_prepare_forever, args=(review, prepare), name="marsad-prepare", daemon=True
        ).start()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=os.environ.get("MARSAD_LOG_LEVEL", "warning"),
        proxy_headers=False,
        server_header=False,
    )
