"""A fake platform on 127.0.0.1: what ``marsad check-urls`` is tested and benchmarked against.

Part of the simulate stage (outside the flow): it plays the *web side* of a
platform, so the URL checker (:mod:`marsad.act.check`) is exercised over real
HTTP without ever touching the internet.  Tests and ``benchmarks/check_urls.py``
start it; nothing in the library imports it.

**What it plays.**  A set of :class:`FakeItem` pages (a post or a channel at a
path), each with a simulated removal time, an account suspension time and an
optional legal withholding.  The server has a simulated clock
(:attr:`FakePlatform.now`, set by the test); a request for an item answers as
the item stands at that instant:

* live -- 200 with a small neutral page (placeholder text only, never
  anything resembling extremist prose) and an ``ETag`` / ``Last-Modified``
  that change with the item's state, so ``If-None-Match`` /
  ``If-Modified-Since`` get a 304 while nothing changed;
* removed (``removal``) -- ``"404"``, ``"410"`` or ``"page"`` (200 with X's
  "this page doesn't exist" text, which the shipped rules know);
* account suspended (``suspension``) -- ``"page"`` (200 with "Account
  suspended"), ``"redirect"`` (302 to ``/account/suspended``, as X does) or
  ``"404"``;
* withheld (``withheld``) -- ``"451"`` or ``"page"`` (200 with "withheld in
  Testland in response to a legal demand").

The page texts are the markers of the shipped rules for platform ``x``
(``marsad/act/platform_rules.json``); targets of this server are checked with
``platform="x"``.

**Misbehaviour** (``FakeItem.misbehaviour``), for the checker's failure paths:
``"hang"`` (reads the request, never answers), ``"trickle"`` (headers, then one
body byte every ``trickle_s``), ``"huge"`` (200 announcing ``huge_bytes`` -- 2 GiB
by default -- of zeros, written lazily from one 64 KiB buffer until the client
goes away: nothing of that size is ever allocated), ``"429"`` / ``"503"`` (the
first ``fail_times`` requests per host answer that status, with ``Retry-After:
retry_after`` when set), ``"drop"`` (closes the connection without an answer).
``delay_s`` delays every answer of an item (to see concurrency).

**Hosts.**  ``FakePlatform(items, hosts=50)`` listens on 50 ports of
127.0.0.1 (never 0.0.0.0), all serving the same items, in one asyncio loop on
one background thread.  Each ``127.0.0.1:port`` is a distinct host to the
checker (its per-host key is host and port), so 50 ports are 50 hosts for rate
limiting; no name resolution is involved.  Fail counters of 429/503 items are
kept per host.

**What it records.**  Every request (:class:`FakeRequest`: host, path, time,
``User-Agent``, ``If-None-Match``, ``If-Modified-Since``) unless
``log_requests=False`` (the benchmark); per host the largest number of requests
seen in any one-second window and the most answered at once; body bytes
written per path; connections accepted per host.  :meth:`FakePlatform.truth` is its own ground truth: each
item's state and since when.  ``GET /_fake/stats`` answers the counters as
JSON (``?reset=1`` zeroes them) for a checker running in another process.

Example::

    items = [FakeItem("/alice/status/1"), FakeItem("/bob/status/2", removed_at=DAY_2)]
    with FakePlatform(items) as platform:
        platform.now = DAY_3
        url = platform.url("/bob/status/2")  # http://127.0.0.1:PORT/bob/status/2
        ...  # check it; platform.requests() says what the server saw

``python -m marsad.simulate.fake_platform --hosts 50 --items 2000`` serves a
generated item set until its standard input closes, after printing one JSON
line with its base URLs (what ``benchmarks/check_urls.py`` runs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

__all__ = [
    "MISBEHAVIOURS",
    "PAGES",
    "FakeItem",
    "FakePlatform",
    "FakeRequest",
    "ItemTruth",
    "bench_items",
]

MISBEHAVIOURS = ("hang", "trickle", "huge", "429", "503", "drop")
_REMOVALS = ("404", "410", "page")
_SUSPENSIONS = ("page", "redirect", "404")
_WITHHOLDINGS = ("451", "page")

#: the page texts; "removed", "suspended" and "withheld" carry markers the
#: shipped rules of platform ``x`` know.  Neutral placeholder text only.
PAGES = {
    "live": (
        "<!doctype html><html><head><title>Post {path}</title></head><body>"
        '<article class="post" data-path="{path}"><p>Placeholder post {path}: '
        "a neutral sample note about gardening and the weather.</p></article></body></html>"
    ),
    "removed": (
        "<!doctype html><html><head><title>Page not found</title></head><body>"
        "<p>Hmm...this page doesn't exist. Try searching for something else.</p></body></html>"
    ),
    "suspended": (
        "<!doctype html><html><head><title>Account suspended</title></head><body>"
        "<h1>Account suspended</h1><p>This account has been suspended.</p></body></html>"
    ),
    "withheld": (
        "<!doctype html><html><head><title>Withheld</title></head><body>"
        "<p>This account has been withheld in Testland in response to a legal demand.</p>"
        "</body></html>"
    ),
    "not_found": "<!doctype html><html><body><p>Not found.</p></body></html>",
}
_SUSPENDED_PATH = "/account/suspended"
_STATS_PATH = "/_fake/stats"
_REASONS = {
    200: "OK",
    302: "Found",
    304: "Not Modified",
    404: "Not Found",
    410: "Gone",
    429: "Too Many Requests",
    451: "Unavailable For Legal Reasons",
    503: "Service Unavailable",
}
_ZEROS = bytes(64 * 1024)
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class FakeItem:
    """One page of the fake platform (module docstring); times are UTC-aware."""

    path: str
    removed_at: datetime | None = None
    suspended_at: datetime | None = None
    removal: str = "404"
    suspension: str = "page"
    withheld: str | None = None
    misbehaviour: str | None = None
    fail_times: int = 1
    retry_after: int | None = None
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"an item's path starts with '/': {self.path!r}")
        for name, value, allowed in (
            ("removal", self.removal, _REMOVALS),
            ("suspension", self.suspension, _SUSPENSIONS),
            ("withheld", self.withheld, (None, *_WITHHOLDINGS)),
            ("misbehaviour", self.misbehaviour, (None, *MISBEHAVIOURS)),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, not {value!r}")


@dataclass(frozen=True, slots=True)
class FakeRequest:
    """A request the server saw; ``at`` is ``time.monotonic()`` when its head was read."""

    host: int
    port: int
    path: str
    query: str
    at: float
    user_agent: str | None
    if_none_match: str | None
    if_modified_since: str | None


@dataclass(frozen=True, slots=True)
class ItemTruth:
    """An item's state at the platform's ``now``: ``live``, ``removed`` or ``withheld``;
    ``since`` is when it became so (None: always); ``how`` the answer it gives."""

    state: str
    since: datetime | None
    how: str


def _state(item: FakeItem, now: datetime) -> ItemTruth:
    """The item as it stands at *now* (suspension before removal: it hides the item)."""
    if item.suspended_at is not None and item.suspended_at <= now:
        return ItemTruth("removed", item.suspended_at, f"suspended:{item.suspension}")
    if item.removed_at is not None and item.removed_at <= now:
        return ItemTruth("removed", item.removed_at, f"removed:{item.removal}")
    if item.withheld is not None:
        return ItemTruth("withheld", None, f"withheld:{item.withheld}")
    return ItemTruth("live", None, "live")


class _HostStats:
    __slots__ = (
        "connections",
        "in_flight",
        "max_in_flight",
        "max_per_second",
        "recent",
        "requests",
    )

    def __init__(self) -> None:
        self.requests = 0
        self.connections = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.max_per_second = 0
        self.recent: deque[float] = deque()

    def seen(self, at: float) -> None:
        self.requests += 1
        self.recent.append(at)
        while self.recent and self.recent[0] <= at - 1.0:
            self.recent.popleft()
        self.max_per_second = max(self.max_per_second, len(self.recent))


class FakePlatform:
    """The fake platform server (module docstring); a context manager.

    *start* is the simulated clock's first value (default 2026-01-01 UTC);
    *hosts* the number of ports; *huge_bytes* what a ``"huge"`` item announces;
    *trickle_s* the pause between the bytes of a ``"trickle"`` item."""

    def __init__(
        self,
        items: Iterable[FakeItem],
        *,
        hosts: int = 1,
        start: datetime = _EPOCH,
        log_requests: bool = True,
        huge_bytes: int = 2 * 1024**3,
        trickle_s: float = 1.0,
    ) -> None:
        if hosts < 1:
            raise ValueError(f"hosts must be at least 1, not {hosts}")
        self.items: dict[str, FakeItem] = {}
        for item in items:
            if item.path in self.items:
                raise ValueError(f"two items at {item.path!r}")
            self.items[item.path] = item
        self.hosts = hosts
        self.now = start
        self.log_requests = log_requests
        self.huge_bytes = huge_bytes
        self.trickle_s = trickle_s
        self.ports: list[int] = []
        self._lock = threading.Lock()
        self._log: list[FakeRequest] = []
        self._stats = [_HostStats() for _ in range(hosts)]
        self._failures: dict[tuple[int, str], int] = {}
        self._in_flight = 0
        self._max_in_flight = 0
        self._body_bytes: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.Server] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._stopping: asyncio.Event | None = None

    # -- life cycle ----------------------------------------------------------
    def start(self) -> FakePlatform:
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="fake-platform", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), loop).result(timeout=10)
        return self

    async def _listen(self) -> None:
        self._stopping = asyncio.Event()
        for index in range(self.hosts):

            async def serve(
                reader: asyncio.StreamReader, writer: asyncio.StreamWriter, index: int = index
            ) -> None:
                # a cancelled handler would make asyncio's streams log a traceback
                with contextlib.suppress(asyncio.CancelledError):
                    await self._serve(index, reader, writer)

            server = await asyncio.start_server(serve, "127.0.0.1", 0, limit=64 * 1024)
            self._servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):  # stopping what may already be broken
            asyncio.run_coroutine_threadsafe(self._close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None

    async def _close(self) -> None:
        assert self._stopping is not None
        self._stopping.set()
        for server in self._servers:
            server.close()
        for writer in list(self._writers):
            writer.close()
        current = asyncio.current_task()
        others = [t for t in asyncio.all_tasks() if t is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def __enter__(self) -> FakePlatform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses and truth ------------------------------------------------
    def base_url(self, host: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[host]}"

    @property
    def base_urls(self) -> list[str]:
        return [self.base_url(i) for i in range(self.hosts)]

    def url(self, path: str, host: int = 0) -> str:
        return self.base_url(host) + path

    def truth(self) -> dict[str, ItemTruth]:
        """Every item's state at :attr:`now`, by path: the platform's ground truth."""
        now = self.now
        return {path: _state(item, now) for path, item in self.items.items()}

    # -- what it saw -----------------------------------------------------------
    def requests(self, host: int | None = None) -> list[FakeRequest]:
        with self._lock:
            return [r for r in self._log if host is None or r.host == host]

    def request_times(self, host: int = 0, path: str | None = None) -> list[float]:
        return [r.at for r in self.requests(host) if path is None or r.path == path]

    def body_bytes_sent(self, path: str | None = None) -> int:
        with self._lock:
            if path is None:
                return sum(self._body_bytes.values())
            return self._body_bytes.get(path, 0)

    def stats(self, *, reset: bool = False) -> dict[str, Any]:
        """Counters per host: requests, connections accepted, most requests in any
        one-second window, most answered at once (and at once over all hosts); body
        bytes written."""
        with self._lock:
            out = {
                "requests": sum(s.requests for s in self._stats),
                "per_host": [s.requests for s in self._stats],
                "connections": [s.connections for s in self._stats],
                "max_per_second": [s.max_per_second for s in self._stats],
                "max_in_flight": [s.max_in_flight for s in self._stats],
                "max_in_flight_total": self._max_in_flight,
                "body_bytes": sum(self._body_bytes.values()),
            }
            if reset:
                self._stats = [_HostStats() for _ in range(self.hosts)]
                self._body_bytes.clear()
                self._log.clear()
                self._failures.clear()
                self._max_in_flight = self._in_flight
        return out

    # -- serving --------------------------------------------------------------
    async def _serve(
        self, host: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        with self._lock:
            self._stats[host].connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                if len(parts) != 3:
                    return
                target = parts[1]
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                path, _, query = target.partition("?")
                if path == _STATS_PATH:  # the harness's own: neither logged nor counted
                    body = json.dumps(self.stats(reset="reset=1" in query)).encode()
                    await self._send(writer, 200, body, {"Content-Type": "application/json"})
                    continue
                stats = self._seen(host, path, query, headers)
                stats.in_flight += 1
                stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
                self._in_flight += 1
                self._max_in_flight = max(self._max_in_flight, self._in_flight)
                try:
                    keep = await self._answer(host, path, headers, writer)
                finally:
                    stats.in_flight -= 1
                    self._in_flight -= 1
                if not keep or headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    def _seen(self, host: int, path: str, query: str, headers: dict[str, str]) -> _HostStats:
        at = time.monotonic()
        with self._lock:
            stats = self._stats[host]
            stats.seen(at)
            if self.log_requests:
                self._log.append(
                    FakeRequest(
                        host,
                        self.ports[host],
                        path,
                        query,
                        at,
                        headers.get("user-agent"),
                        headers.get("if-none-match"),
                        headers.get("if-modified-since"),
                    )
                )
        return stats

    async def _answer(
        self,
        host: int,
        path: str,
        headers: dict[str, str],
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Write the answer to one request; False when the connection must close."""
        if path == _SUSPENDED_PATH:
            return await self._page(writer, path, 200, "suspended", headers, None)
        item = self.items.get(path)
        if item is None:
            return await self._send(writer, 404, PAGES["not_found"].encode())
        if item.delay_s:
            await asyncio.sleep(item.delay_s)
        if item.misbehaviour is not None:
            handled = await self._misbehave(host, item, writer)
            if handled is not None:
                return handled
        truth = _state(item, self.now)
        changed = truth.since or _EPOCH
        if truth.how in ("removed:404", "suspended:404"):
            return await self._send(writer, 404, PAGES["not_found"].encode())
        if truth.how == "removed:410":
            return await self._send(writer, 410, PAGES["not_found"].encode())
        if truth.how == "withheld:451":
            return await self._send(writer, 451, PAGES["withheld"].encode())
        if truth.how == "suspended:redirect":
            return await self._send(writer, 302, b"", {"Location": _SUSPENDED_PATH})
        page = {
            "live": "live",
            "removed:page": "removed",
            "suspended:page": "suspended",
            "withheld:page": "withheld",
        }[truth.how]
        return await self._page(writer, path, 200, page, headers, changed)

    async def _page(
        self,
        writer: asyncio.StreamWriter,
        path: str,
        status: int,
        page: str,
        headers: dict[str, str],
        changed: datetime | None,
    ) -> bool:
        """A page with validators: 304 when the client's ``If-None-Match`` (or, without
        one, ``If-Modified-Since``) says it has this very state of the page."""
        etag = '"' + hashlib.sha1(f"{path}|{page}".encode()).hexdigest()[:16] + '"'
        extra = {"ETag": etag, "Content-Type": "text/html; charset=utf-8"}
        if changed is not None:
            extra["Last-Modified"] = format_datetime(changed, usegmt=True)
        inm = headers.get("if-none-match")
        ims = headers.get("if-modified-since")
        if inm is not None:
            fresh = etag in (t.strip() for t in inm.split(","))
        elif ims is not None and changed is not None:
            try:
                fresh = changed <= parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                fresh = False
        else:
            fresh = False
        if fresh:
            return await self._send(writer, 304, b"", extra)
        return await self._send(writer, status, PAGES[page].format(path=path).encode(), extra)

    async def _misbehave(
        self, host: int, item: FakeItem, writer: asyncio.StreamWriter
    ) -> bool | None:
        """Act out the item's misbehaviour; None when it answers normally this time."""
        kind = item.misbehaviour
        if kind in ("429", "503"):
            with self._lock:
                key = (host, item.path)
                failed = self._failures.get(key, 0)
                if failed >= item.fail_times:
                    return None
                self._failures[key] = failed + 1
            extra = {"Retry-After": str(item.retry_after)} if item.retry_after is not None else {}
            return await self._send(writer, int(kind), b"try again later", extra)
        if kind == "drop":
            return False
        if kind == "hang":
            assert self._stopping is not None
            await self._stopping.wait()
            return False
        if kind == "trickle":
            length = 1_000_000
            writer.write(self._head(200, length, {"Content-Type": "text/html"}))
            for _ in range(length):
                await writer.drain()
                await asyncio.sleep(self.trickle_s)
                writer.write(b".")
                self._count(item.path, 1)
            return False
        # huge: announce huge_bytes and write zeros until the client goes away
        writer.write(self._head(200, self.huge_bytes, {"Content-Type": "text/html"}))
        left = self.huge_bytes
        while left > 0:
            chunk = _ZEROS if left >= len(_ZEROS) else _ZEROS[:left]
            writer.write(chunk)
            await writer.drain()  # raises once the client has closed the connection
            self._count(item.path, len(chunk))
            left -= len(chunk)
        return True

    def _count(self, path: str, n: int) -> None:
        with self._lock:
            self._body_bytes[path] = self._body_bytes.get(path, 0) + n

    @staticmethod
    def _head(status: int, length: int, extra: dict[str, str] | None = None) -> bytes:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", f"Content-Length: {length}"]
        lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        extra: dict[str, str] | None = None,
    ) -> bool:
        writer.write(self._head(status, len(body), extra) + body)
        await writer.drain()
        return True


def bench_items(n: int, *, removed_every: int = 5, suspended_every: int = 17) -> list[FakeItem]:
    """*n* items ``/bench/<i>``: every *removed_every*-th removed (404), every
    *suspended_every*-th of an account suspended (the "Account suspended" page)."""
    gone = _EPOCH - timedelta(days=1)
    return [
        FakeItem(
            f"/bench/{i}",
            removed_at=gone if i % removed_every == 0 else None,
            suspended_at=gone if i % suspended_every == 1 else None,
        )
        for i in range(n)
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Serve a fake platform on 127.0.0.1 until stdin closes."
    )
    ap.add_argument("--hosts", type=int, default=50, help="ports (hosts) to listen on")
    ap.add_argument("--items", type=int, default=2000, help="items /bench/0 .. /bench/N-1")
    args = ap.parse_args(argv)
    with FakePlatform(bench_items(args.items), hosts=args.hosts, log_requests=False) as platform:
        print(json.dumps({"bases": platform.base_urls}), flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or exits)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
