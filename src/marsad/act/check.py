"""Checking URLs: is a referred item still up?  The engine of ``marsad check-urls``.

Part of the act stage (:mod:`marsad.act`), after review: the caller (the CLI
over the review database) hands it the URLs of referred items -- optionally
every stored post's URL -- as :class:`UrlTarget` rows, and a *sink*; each URL
gets one :class:`UrlResult`, handed to the sink as soon as it is known.  No
click, no web framework and no database here: the caller owns where results go.

**Results.**  ``live``, ``removed``, ``withheld`` or ``error``, decided by the
per-platform rules of ``platform_rules.json`` (:class:`PlatformRules`: status
codes, body markers, final-URL patterns; 404/410 are removals and 451 a
withholding everywhere) on the *final* answer, after redirects.  The reason
says why: ``"rule youtube.tos-removed (HTTP 200)"``, ``"rule generic.gone
(HTTP 404)"``, ``"timed out after 15 s"``, ``"HTTP 503 after 3 retries"``,
``"not a URL: 'foo bar'"``.  There is no "unchanged": a 304 to a conditional
request means the page is as it was when its validators were taken, and
validators are only ever returned with a ``live`` result of a page reached
without a redirect, so a 304 is reported ``live`` with the reason ``"not
modified (304)"``.  Removed pages are never re-checked conditionally: a
removed or withheld result carries no ``ETag`` / ``Last-Modified``, so the
caller has none to send.

**The sink contract.**  ``sink(results)`` receives results in batches of at
most ``batch_size`` (when that many wait, and at least every ``flush_s``
seconds while some are waiting), in the order they are decided, not the input's.  A result handed to
the sink is final; a URL whose result was not handed over is not done, and is
checked again when the run is resumed.  The sink is called on the event
loop's thread and holds the checker up while it runs: a database sink writes
one short transaction per batch.  If it raises, the run stops and the error
propagates (that batch counts as not handed over).

**Resuming.**  The caller passes the input already filtered (the database
knows which URLs this run has done).  An interrupted run -- Ctrl-C
(``KeyboardInterrupt``) under :func:`check_urls`, cancellation of
:func:`check_urls_async` -- abandons the requests in flight, hands every
result already decided to the sink, closes its connections and re-raises.

**Memory stays flat.**  The input may be a lazy generator over any number of
rows: it is read only ``window`` targets ahead of the results (default
10,000), and nothing else grows with the input.  Hosts are served from
per-host queues inside that window, so an input sorted by host runs one
host at a time: interleave hosts (order by a hash of the URL) for speed.

**Politeness.**  Per host (name and port, so ``x.com`` and
``www.x.com`` are two hosts and each ``127.0.0.1:port`` is one): at most
``rate_per_host`` requests a second, as fixed spacing (the first request
goes at once, each next one ``1 / rate`` seconds after the previous one
started), and at most ``per_host_concurrency`` at once; overall at most
``concurrency`` at once.  Every request -- retries and redirect hops included --
goes through these limits.  Retries: connection errors, timeouts, 429 and
5xx, up to ``retries`` times, after an exponential back-off with jitter
(``backoff_s`` x 2^(n-1), a random half to all of it, at most
``backoff_max_s``) or after the ``Retry-After`` the server sent; a
``Retry-After`` also pauses the whole host, and one longer than
``backoff_max_s`` is not waited for: the URL is an error at once (a server
that asks for an hour is not asked again in a minute).  ``timeout_s`` bounds
each request as a whole (connect, headers and body), so a server that
trickles a byte a second is cut off.  Bodies are streamed and read to at
most ``body_cap`` bytes (default 256 KiB), only when a rule may look at them;
then the connection is closed: a 2 GB body is never downloaded (a body that
is not needed but short, a 404 page, is read, so its connection can be used
again).  Connections are kept alive in a pool per host, for the 256 hosts
asked most recently.  GET, not HEAD: many platforms answer HEAD badly.  The ``User-Agent`` says who is
asking: ``marsad/<version> (+URL-check; contact: <contact>)``.  No cookies
are kept and no proxy, ``.netrc`` or certificate settings are taken from the
environment (``proxy`` is an explicit option): URLs from untrusted data must
not pick up a user's credentials.

**SSRF.**  URLs come from what extremist accounts posted: a link to
``http://10.0.0.1/admin`` or a redirect to ``http://169.254.169.254/`` must
not make the checker probe the network it runs in.  Unless
``allow_private=True`` (tests and benchmarks against 127.0.0.1), a URL -- and
every redirect hop -- whose host is ``localhost``, a ``.local`` /
``.internal`` name, or an address that is not globally routable (loopback,
private, link-local, carrier-grade NAT, reserved, multicast), or whose name
resolves to one, is refused without a request.  The name is resolved just
before the request and the HTTP client resolves it again: a DNS server that
answers differently the second time (DNS rebinding) can still get through.
Where that matters, run the checker where the internal network is not
reachable.

Example::

    from marsad.act.check import CheckOptions, MemorySink, UrlTarget, check_urls

    sink = MemorySink()
    summary = check_urls(
        [UrlTarget("https://t.me/somechannel/123", "telegram")],
        sink,
        options=CheckOptions(contact="trust-team@example.org"),
    )
    sink.results[0].result  # "live", "removed", "withheld" or "error"
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import http.cookiejar
import ipaddress
import json
import logging
import math
import random
import re
import socket
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

import httpx

from marsad import __version__
from marsad.errors import ConfigError, UnreadableFile

__all__ = [
    "MAX_URL_LENGTH",
    "RESULTS",
    "RULES_FORMAT",
    "CheckOptions",
    "CheckSummary",
    "MemorySink",
    "PlatformRules",
    "ResultSink",
    "Rule",
    "UrlResult",
    "UrlTarget",
    "check_urls",
    "check_urls_async",
    "host_key",
    "url_problem",
    "user_agent",
]

log = logging.getLogger(__name__)

RESULTS = ("live", "removed", "withheld", "error")
RULES_FORMAT = "marsad-platform-rules/1"
#: longer URLs are refused: the limit of the sitemaps protocol and of what
#: browsers reliably handle; platforms' own post URLs are under 200 characters
MAX_URL_LENGTH = 2048
_SHOWN = 100  # characters of a bad value a reason quotes
_REDIRECTS = frozenset((301, 302, 303, 307, 308))
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain")
#: hosts whose idle connections are kept open (the most recently asked): fewer, and
#: an input that visits many hosts in turn opens a connection for every request
_POOLS_KEPT = 256
#: an unneeded body this short is read anyway (a 404 page): closing a connection in the
#: middle of a body loses it, and opening the next costs more than reading a few KiB
_DRAIN = 16 * 1024
_DNS_TTL_S = 300.0
_DNS_CACHE_MAX = 10_000


# -- the records ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class UrlTarget:
    """A URL to check.  *platform* is the platform it was seen on (a hint: the
    URL's host decides first); *etag* / *last_modified* are the validators of
    the last ``live`` result, sent as ``If-None-Match`` / ``If-Modified-Since``."""

    url: str
    platform: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class UrlResult:
    """What one check found (module docstring).

    *host* is the per-host key (``""`` for a URL that is not one); *platform*
    the platform whose rules applied (the target's own when none did);
    *http_status* the final answer's status (None: no answer); *attempts* the
    tries made, retries included (redirect hops are not tries; 0: no request);
    *etag* / *last_modified* only on a ``live`` result reached without a
    redirect."""

    url: str
    host: str
    platform: str | None
    result: str
    http_status: int | None
    reason: str
    checked_at: datetime
    etag: str | None
    last_modified: str | None
    attempts: int


class ResultSink(Protocol):
    """Where results go: called with each batch of final results (module docstring)."""

    def __call__(self, results: Sequence[UrlResult], /) -> None: ...


class MemorySink:
    """A sink that keeps every result in a list: tests and small runs."""

    def __init__(self) -> None:
        self.results: list[UrlResult] = []
        self.batches = 0

    def __call__(self, results: Sequence[UrlResult], /) -> None:
        self.results.extend(results)
        self.batches += 1

    def by_url(self) -> dict[str, UrlResult]:
        return {r.url: r for r in self.results}


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """How politely and how fast to check (module docstring).

    Defaults: one request a second per host -- the usual crawl-delay of
    polite crawlers -- two at once per host, sixteen overall; 15 s per
    request; 3 retries from 1 s, waits capped at 60 s; 5 redirects (what
    browsers follow is 20, but a post's URL needs one or two); 256 KiB of
    body (a platform's "removed" page puts its text in the first few KiB)."""

    rate_per_host: float = 1.0
    concurrency: int = 16
    per_host_concurrency: int = 2
    timeout_s: float = 15.0
    retries: int = 3
    backoff_s: float = 1.0
    backoff_max_s: float = 60.0
    max_redirects: int = 5
    body_cap: int = 256 * 1024
    contact: str | None = None
    allow_private: bool = False
    window: int = 10_000
    batch_size: int = 500
    flush_s: float = 1.0
    proxy: str | None = None

    def __post_init__(self) -> None:
        whole = ("concurrency", "per_host_concurrency", "body_cap", "window", "batch_size")
        for name in (*whole, "retries", "max_redirects"):
            value = getattr(self, name)
            least = 0 if name in ("retries", "max_redirects") else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConfigError(
                    f"{name} must be a whole number of {least} or more, not {value!r}"
                )
        for name in ("rate_per_host", "timeout_s", "flush_s", "backoff_s", "backoff_max_s"):
            value = getattr(self, name)
            zero_ok = name.startswith("backoff")
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or math.isnan(value)
                or (value < 0 if zero_ok else value <= 0)
            ):
                what = "0 or more" if zero_ok else "above 0"
                raise ConfigError(f"{name} must be a number {what}, not {value!r}")
        if self.proxy is not None:
            try:
                httpx.Proxy(self.proxy)
            except (ValueError, TypeError, httpx.InvalidURL) as exc:
                raise ConfigError(f"proxy {self.proxy!r} is not a proxy URL: {exc}") from exc
        user_agent(self.contact)  # refuses a contact that cannot go in a header


@dataclass(frozen=True, slots=True)
class CheckSummary:
    """What a finished run did: results per kind, HTTP requests made (retries and
    redirect hops included), wall time and URLs (results) per second."""

    counts: Mapping[str, int]
    checked: int
    requests: int
    elapsed_s: float
    urls_per_s: float


def user_agent(contact: str | None = None) -> str:
    """The ``User-Agent`` the checker sends: who is asking and how to reach them."""
    if contact is not None and (
        not contact.strip() or any(ord(c) < 32 or ord(c) == 127 for c in contact)
    ):
        raise ConfigError(
            f"contact {contact!r} cannot go in a User-Agent header: give an e-mail "
            "address or a URL on one line"
        )
    if contact is None:
        return f"marsad/{__version__} (+URL-check)"
    return f"marsad/{__version__} (+URL-check; contact: {contact.strip()})"


# -- URLs --------------------------------------------------------------------------
def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 4] + "...'"


def url_problem(url: object) -> str | None:
    """Why *url* cannot be checked (a reason naming it), or None when it can.

    Only absolute ``http`` / ``https`` URLs with a host name, no spaces or
    control characters, no user name or password, at most
    :data:`MAX_URL_LENGTH` characters.  Never raises; makes no request."""
    if not isinstance(url, str):
        return f"not a URL: {_shown(url)}"
    if len(url) > MAX_URL_LENGTH:
        return f"URL longer than {MAX_URL_LENGTH:,} characters ({len(url):,}): {_shown(url)}"
    if not url or any(c.isspace() or ord(c) < 32 or 127 <= ord(c) < 160 for c in url):
        return f"not a URL: {_shown(url)}"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a port that is not a number from 0 to 65535
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            if scheme and parts.netloc:
                return f"not an http(s) URL: {_shown(url)}"
            return f"not a URL: {_shown(url)}"
        if not parts.hostname:
            return f"no host in URL: {_shown(url)}"
        if parts.username is not None or parts.password is not None:
            return f"URL with a user name or password, not checked: {_shown(url)}"
        if not httpx.URL(url).host:
            return f"no host in URL: {_shown(url)}"
    except (ValueError, TypeError, httpx.InvalidURL):  # UnicodeError is a ValueError
        return f"not a URL: {_shown(url)}"
    return None


def host_key(url: str) -> str:
    """The per-host key of a valid URL: its host name (IDNA, lower case), with the
    port when it is not the scheme's default (``x.com``, ``127.0.0.1:8001``)."""
    parsed = httpx.URL(url)
    host = parsed.raw_host.decode("ascii").lower()
    if ":" in host:
        host = f"[{host}]"
    return host if parsed.port is None else f"{host}:{parsed.port}"


def _bad_address(text: str) -> bool:
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
    )


def _local_name(host: str) -> bool:
    """A host that names this machine or its network without asking DNS."""
    host = host.strip("[]").rstrip(".").lower()
    return host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or _bad_address(host)


# -- the rules ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of ``platform_rules.json`` (its ``description`` says the semantics)."""

    id: str
    result: str
    status: frozenset[int] | None = None
    url: re.Pattern[str] | None = None
    final_url: re.Pattern[str] | None = None
    body: tuple[str, ...] = ()
    body_regex: tuple[re.Pattern[str], ...] = ()
    body_absent: tuple[str, ...] = ()

    @property
    def reads_body(self) -> bool:
        return bool(self.body or self.body_regex or self.body_absent)

    def matches(self, url: str, final_url: str, status: int, body: str | None) -> bool:
        """*body* is the normalised body (:func:`_normal`), None when it was not read."""
        if self.status is not None and status not in self.status:
            return False
        if self.url is not None and not self.url.search(url):
            return False
        if self.final_url is not None and not self.final_url.search(final_url):
            return False
        if self.reads_body:
            if body is None:
                return False
            if (self.body or self.body_regex) and not (
                any(m in body for m in self.body) or any(r.search(body) for r in self.body_regex)
            ):
                return False
            if any(m in body for m in self.body_absent):
                return False
        return True


@dataclass(frozen=True, slots=True)
class _Rewrite:
    id: str
    pattern: re.Pattern[str]
    replace: str


def _normal(text: str) -> str:
    """Text as markers are matched: HTML and JSON escapes of apostrophes undone,
    typographic apostrophes made plain, lower case."""
    text = html.unescape(text)
    for quote in ("\\u0027", "\\u2019", "\u2019", "\u2018"):
        text = text.replace(quote, "'")
    return text.lower()


_RULE_KEYS = {"id", "result", "status", "url", "final_url", "body", "body_regex", "body_absent"}
_RULE_KEYS_ALL = _RULE_KEYS | {"note", "disabled"}
_PLATFORM_KEYS = {"hosts", "rules", "fetch", "alias", "description"}


class PlatformRules:
    """The per-platform rules: which platform a URL belongs to and what its answer means.

    :meth:`load` reads the shipped ``platform_rules.json`` and merges a
    caller's file over it (the file's ``description`` says how)."""

    def __init__(self, data: Mapping[str, Any], source: str = "<rules>") -> None:
        self.source = source
        if not isinstance(data, Mapping) or data.get("format") != RULES_FORMAT:
            found = data.get("format") if isinstance(data, Mapping) else type(data).__name__
            raise ConfigError(
                f"{source}: not a rules file of format {RULES_FORMAT!r} (format: {found!r})"
            )
        self.as_of = str(data.get("as_of", ""))
        platforms = data.get("platforms")
        if not isinstance(platforms, Mapping) or "generic" not in platforms:
            raise ConfigError(f"{source}: 'platforms' must be an object with a 'generic' entry")
        self.aliases: dict[str, str] = {}
        self._rules: dict[str, tuple[Rule, ...]] = {}
        self._fetch: dict[str, tuple[_Rewrite, ...]] = {}
        self._hosts: dict[str, str] = {}
        for name, entry in platforms.items():
            self._platform(str(name), entry)
        for name, target in self.aliases.items():
            if target not in self._rules:
                raise ConfigError(f"{source}: platform {name!r} is an alias of unknown {target!r}")
        self.platforms = tuple(self._rules)
        self._chains = {
            name: rules + (self._rules["generic"] if name != "generic" else ())
            for name, rules in self._rules.items()
        }
        self._body_statuses = {
            name: frozenset(
                s for r in chain if r.reads_body and r.status is not None for s in r.status
            )
            for name, chain in self._chains.items()
        }

    def _platform(self, name: str, entry: Any) -> None:
        where = f"{self.source}: platform {name!r}"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}: must be an object")
        unknown = set(entry) - _PLATFORM_KEYS
        if unknown:
            raise ConfigError(
                f"{where}: unknown keys {sorted(unknown)}; known: {sorted(_PLATFORM_KEYS)}"
            )
        if "alias" in entry:
            self.aliases[name] = str(entry["alias"])
            return
        rules = []
        seen: set[str] = set()
        for raw in entry.get("rules", ()):
            rule = _rule(raw, where)
            if rule.id in seen:
                raise ConfigError(f"{where}: two rules with the id {rule.id!r}")
            seen.add(rule.id)
            rules.append(rule)
        self._rules[name] = tuple(rules)
        rewrites = []
        for raw in entry.get("fetch", ()):
            if not isinstance(raw, Mapping) or not {"id", "pattern", "replace"} <= set(raw):
                raise ConfigError(f"{where}: a fetch rewrite needs id, pattern and replace")
            rewrites.append(
                _Rewrite(
                    str(raw["id"]), _regex(raw["pattern"], where, raw["id"]), str(raw["replace"])
                )
            )
        self._fetch[name] = tuple(rewrites)
        for host in entry.get("hosts", ()):
            host = str(host).lower().strip(".")
            if host in self._hosts:
                raise ConfigError(
                    f"{where}: host {host!r} also belongs to platform {self._hosts[host]!r}"
                )
            self._hosts[host] = name

    @classmethod
    def load(cls, path: str | Path | None = None) -> PlatformRules:
        """The shipped rules, with the rules file at *path* merged over them."""
        shipped_text = (
            resources.files("marsad.act").joinpath("platform_rules.json").read_text("utf-8")
        )
        data = json.loads(shipped_text)
        if path is None:
            return cls(data, "platform_rules.json")
        source = str(path)
        try:
            theirs = json.loads(Path(path).read_text("utf-8"))
        except OSError as exc:
            raise UnreadableFile(f"cannot read the rules file {source}: {exc.strerror}") from exc
        except ValueError as exc:
            raise UnreadableFile(f"the rules file {source} is not JSON: {exc}") from exc
        return cls(_merge(data, theirs, source), f"platform_rules.json + {source}")

    # -- using them -------------------------------------------------------------
    def platform_of(self, host: str, given: str | None = None) -> str:
        """The platform whose rules apply: by host (or a parent domain of it), else
        the target's own platform when the rules know it, else ``generic``."""
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        name = name.lower().rstrip(".")
        while name:
            found = self._hosts.get(name)
            if found is not None:
                return found
            _, _, name = name.partition(".")
        if given:
            given = self.aliases.get(given.lower(), given.lower())
            if given in self._rules:
                return given
        return "generic"

    def fetch_url(self, platform: str, url: str) -> str:
        """The URL to request for *url* (a platform's fetch rewrite, else itself)."""
        for rewrite in self._fetch.get(platform, ()):
            m = rewrite.pattern.fullmatch(url)
            if m is not None:
                return m.expand(rewrite.replace)
        return url

    def needs_body(self, platform: str, status: int) -> bool:
        """Whether a rule could look at the body of an answer with *status*."""
        return 200 <= status < 300 or status in self._body_statuses.get(platform, frozenset())

    def classify(
        self,
        platform: str,
        url: str,
        final_url: str,
        status: int,
        body: str | bytes | None,
    ) -> tuple[str, str]:
        """``(result, reason)`` of a final answer: the first rule of *platform* then of
        ``generic`` that matches; else 2xx is live and anything else an error.
        Deterministic; 304, 429 and 5xx are the engine's (see the module)."""
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        text = _normal(body) if body is not None else None
        for rule in self._chains.get(platform, self._chains["generic"]):
            if rule.matches(url, final_url, status, text):
                return rule.result, f"rule {rule.id} (HTTP {status})"
        if 200 <= status < 300:
            return "live", f"HTTP {status}"
        if status in _REDIRECTS:
            return "error", f"HTTP {status} without a usable Location"
        return "error", f"HTTP {status} (not classified)"


def _regex(value: Any, where: str, rule_id: Any) -> re.Pattern[str]:
    try:
        return re.compile(str(value), re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"{where}: rule {rule_id!r}: bad regex {value!r}: {exc}") from exc


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str) or not raw["id"]:
        raise ConfigError(f"{where}: every rule needs an 'id': {_shown(raw)}")
    rid = raw["id"]
    unknown = set(raw) - _RULE_KEYS_ALL
    if unknown:
        raise ConfigError(f"{where}: rule {rid!r}: unknown keys {sorted(unknown)}")
    if raw.get("result") not in ("removed", "withheld", "live"):
        result = raw.get("result")
        raise ConfigError(
            f"{where}: rule {rid!r}: result must be removed, withheld or live, not {result!r}"
        )
    if not (set(raw) & (_RULE_KEYS - {"id", "result"})):
        raise ConfigError(f"{where}: rule {rid!r} has no condition: it would match everything")

    def strings(key: str) -> tuple[str, ...]:
        value = raw.get(key, ())
        if isinstance(value, str) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{where}: rule {rid!r}: {key} must be a list of texts")
        return tuple(value)

    status = raw.get("status")
    if status is not None and (
        isinstance(status, str | int)
        or not all(isinstance(s, int) and 100 <= s <= 599 for s in status)
    ):
        raise ConfigError(f"{where}: rule {rid!r}: status must be a list of HTTP codes")
    return Rule(
        id=rid,
        result=raw["result"],
        status=frozenset(status) if status is not None else None,
        url=_regex(raw["url"], where, rid) if "url" in raw else None,
        final_url=_regex(raw["final_url"], where, rid) if "final_url" in raw else None,
        body=tuple(_normal(m) for m in strings("body")),
        body_regex=tuple(_regex(r, where, rid) for r in strings("body_regex")),
        body_absent=tuple(_normal(m) for m in strings("body_absent")),
    )


def _merge(shipped: dict[str, Any], theirs: Any, source: str) -> dict[str, Any]:
    """*theirs* over *shipped* (the shipped file's description says how)."""
    if not isinstance(theirs, Mapping) or theirs.get("format") != RULES_FORMAT:
        found = theirs.get("format") if isinstance(theirs, Mapping) else type(theirs).__name__
        raise ConfigError(
            f"{source}: not a rules file of format {RULES_FORMAT!r} (format: {found!r})"
        )
    platforms = theirs.get("platforms", {})
    if not isinstance(platforms, Mapping):
        raise ConfigError(f"{source}: 'platforms' must be an object")
    merged = {name: dict(entry) for name, entry in shipped["platforms"].items()}
    for name, entry in platforms.items():
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{source}: platform {name!r}: must be an object")
        mine = merged.setdefault(name, {})
        if "alias" in entry:
            merged[name] = dict(entry)
            continue
        for key in ("hosts", "fetch", "description"):
            if key in entry:
                mine[key] = entry[key]
        old = list(mine.get("rules", ()))
        ids = {r.get("id"): i for i, r in enumerate(old) if isinstance(r, Mapping)}
        added = []
        for rule in entry.get("rules", ()):
            rid = rule.get("id") if isinstance(rule, Mapping) else None
            if rid in ids:
                old[ids[rid]] = None if rule.get("disabled") else rule
            elif not (isinstance(rule, Mapping) and rule.get("disabled")):
                added.append(rule)
        mine["rules"] = added + [r for r in old if r is not None]
    return {**shipped, "platforms": merged}


# -- the engine --------------------------------------------------------------------
class _Failed(Exception):
    """A try that got no usable answer; *retryable* says whether to try again."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(slots=True)
class _Answer:
    status: int
    url: str
    location: str | None
    etag: str | None
    last_modified: str | None
    retry_after: float | None
    body: bytes | None
    hops: int = 0


@dataclass(slots=True)
class _Gate:
    """A host's limits: its own semaphore and when its next request may start."""

    sem: asyncio.Semaphore
    next_at: float = 0.0
    users: int = 0


@dataclass(slots=True)
class _HostQueue:
    key: str
    targets: deque[UrlTarget] = field(default_factory=deque)
    workers: int = 0


class _Release(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, done: Callable[[], None]) -> None:
        self._stream = stream
        self._done: Callable[[], None] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._done is not None:
                self._done()
                self._done = None


class _HostPools(httpx.AsyncBaseTransport):
    """A connection pool per host, the :data:`_POOLS_KEPT` most recent ones kept.

    One pool for everything does not scale with hosts: httpcore's pool looks
    at every connection it holds on every request, and with few connections
    kept, visiting hosts in turn reconnects every time.  Measured on 5,000 URLs
    over 50 local hosts, CPU per URL: 1.7 ms with one pool keeping 16 idle
    connections, 2.6 ms keeping 128, 0.8 ms with a pool per host."""

    def __init__(self, per_host: int, proxy: str | None) -> None:
        self._ssl = httpx.create_ssl_context(trust_env=False)
        self._limits = httpx.Limits(
            max_connections=per_host + 1, max_keepalive_connections=per_host, keepalive_expiry=5.0
        )
        self._proxy = proxy
        self._pools: dict[tuple[bytes, bytes, int | None], list[Any]] = {}  # [transport, in use]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        entry = self._pools.pop(key, None)  # re-inserted: the dict is in order of use
        evicted = []
        if entry is None:
            transport = httpx.AsyncHTTPTransport(
                verify=self._ssl, trust_env=False, limits=self._limits, proxy=self._proxy
            )
            entry = [transport, 0]
            evicted = self._evict()
        self._pools[key] = entry
        entry[1] += 1

        def done() -> None:
            entry[1] -= 1

        try:
            for old in evicted:  # out of the dict already: nobody else can pick them up
                await old.aclose()
            response = await entry[0].handle_async_request(request)
        except BaseException:
            done()
            raise
        stream = cast(httpx.AsyncByteStream, response.stream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Release(stream, done),
            extensions=response.extensions,
        )

    def _evict(self) -> list[httpx.AsyncHTTPTransport]:
        """Take out the pools of the least recently asked hosts nobody is using, to close."""
        excess = len(self._pools) + 1 - _POOLS_KEPT
        out = []
        for key, (transport, in_use) in list(self._pools.items()):
            if excess <= 0:
                break
            if not in_use:
                del self._pools[key]
                out.append(transport)
                excess -= 1
        return out

    async def aclose(self) -> None:
        pools, self._pools = self._pools, {}
        for transport, _ in pools.values():
            await transport.aclose()


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), None if absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - datetime.now(UTC)).total_seconds())


def _header(value: str | None) -> str | None:
    """A validator as it may be sent back: one line of printable text."""
    if value is None or not value.strip() or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    return value.strip()


def _connect_reason(exc: BaseException) -> str:
    """What a failed connection says, from the OS error under httpx's wrapping."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return f"cannot resolve host: {seen.strerror}"
        if isinstance(seen, OSError) and seen.strerror:
            return f"cannot connect: {seen.strerror}"
        seen = seen.__cause__ or seen.__context__
    return f"cannot connect: {exc or type(exc).__name__}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Run:
    """One run of the checker (the module docstring's contract)."""

    def __init__(
        self,
        sink: ResultSink,
        options: CheckOptions,
        rules: PlatformRules,
        clock: Callable[[], datetime],
        transport: httpx.AsyncBaseTransport | None,
    ) -> None:
        self.sink = sink
        self.opts = options
        self.rules = rules
        self.clock = clock
        self.transport = transport
        self.interval = 0.0 if math.isinf(options.rate_per_host) else 1.0 / options.rate_per_host
        self.random = random.Random()
        self.counts = dict.fromkeys(RESULTS, 0)
        self.requests = 0
        self.buffer: list[UrlResult] = []
        self.sink_failed = False
        self.pending = 0
        self.queues: dict[str, _HostQueue] = {}
        self.gates: dict[str, _Gate] = {}
        self.prune_at = 1024
        self.dns: dict[str, tuple[float, str | None]] = {}
        self.workers: set[asyncio.Task[None]] = set()
        self.client: httpx.AsyncClient | None = None
        self.slots = asyncio.Semaphore(options.concurrency)
        self.space = asyncio.Event()
        self.full = asyncio.Event()

    # -- the run -------------------------------------------------------------------
    async def run(self, targets: Iterable[UrlTarget | str]) -> CheckSummary:
        started = time.monotonic()
        async with self._client() as client:
            self.client = client
            work = asyncio.create_task(self._work(targets))
            flusher = asyncio.create_task(self._flusher())
            try:
                await asyncio.wait({work, flusher}, return_when=asyncio.FIRST_COMPLETED)
                if flusher.done():
                    flusher.result()  # only ends by raising: the sink's error
                work.result()
            finally:
                tasks = [work, flusher, *self.workers]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                self._flush()
        # a cancellation (Ctrl-C under asyncio.run) asked for while the last
        # results were handed over must still end the run as cancelled
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise asyncio.CancelledError
        elapsed = time.monotonic() - started
        checked = sum(self.counts.values())
        return CheckSummary(
            counts=dict(self.counts),
            checked=checked,
            requests=self.requests,
            elapsed_s=elapsed,
            urls_per_s=checked / elapsed if elapsed > 0 else 0.0,
        )

    def _client(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            headers={
                "User-Agent": user_agent(self.opts.contact),
                "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                "Accept-Language": "en",
            },
            timeout=httpx.Timeout(self.opts.timeout_s),
            follow_redirects=False,
            trust_env=False,
            transport=self.transport or _HostPools(self.opts.per_host_concurrency, self.opts.proxy),
        )
        client.cookies.jar.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        return client

    async def _work(self, targets: Iterable[UrlTarget | str]) -> None:
        read = 0
        for item in targets:
            target = UrlTarget(item) if isinstance(item, str) else item
            while self.pending >= self.opts.window:
                self.space.clear()
                await self.space.wait()
            read += 1
            if read % 256 == 0:
                await asyncio.sleep(0)  # let the workers start
            problem = url_problem(target.url)
            if problem is not None:
                self._emit(self._result(target, "", target.platform, "error", None, problem, 0))
                continue
            key = host_key(target.url)
            queue = self.queues.get(key)
            if queue is None:
                queue = self.queues[key] = _HostQueue(key)
            queue.targets.append(target)
            self.pending += 1
            if queue.workers < self.opts.per_host_concurrency:
                queue.workers += 1
                task = asyncio.create_task(self._worker(queue))
                self.workers.add(task)
                task.add_done_callback(self.workers.discard)
        while self.workers:
            done, _ = await asyncio.wait(set(self.workers))
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise cast(BaseException, task.exception())

    async def _worker(self, queue: _HostQueue) -> None:
        try:
            while queue.targets:
                target = queue.targets.popleft()
                try:
                    result = await self._check(target, queue.key)
                except Exception as exc:  # one URL's surprise must not end a 100,000-URL run
                    log.exception("checking %s failed unexpectedly", target.url)
                    result = self._result(
                        target, queue.key, target.platform, "error", None,
                        f"unexpected error: {type(exc).__name__}: {exc}", 0,
                    )  # fmt: skip
                self.pending -= 1
                if self.pending < self.opts.window:
                    self.space.set()
                self._emit(result)
        finally:
            queue.workers -= 1
            if queue.workers == 0 and not queue.targets:
                self.queues.pop(queue.key, None)

    # -- handing over ------------------------------------------------------------
    def _emit(self, result: UrlResult) -> None:
        self.buffer.append(result)
        if len(self.buffer) >= self.opts.batch_size:
            self.full.set()

    async def _flusher(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.full.wait(), self.opts.flush_s)
            self.full.clear()
            self._flush()

    def _flush(self) -> None:
        # batches of at most batch_size: results decided while the flusher woke
        # up wait for the next batch, so a sink's transaction stays bounded
        n = self.opts.batch_size
        while self.buffer and not self.sink_failed:
            batch, self.buffer = self.buffer[:n], self.buffer[n:]
            try:
                self.sink(batch)
            except BaseException:
                self.sink_failed = True
                raise
            for r in batch:
                self.counts[r.result] += 1

    def _result(
        self,
        target: UrlTarget,
        host: str,
        platform: str | None,
        result: str,
        status: int | None,
        reason: str,
        attempts: int,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> UrlResult:
        return UrlResult(
            target.url, host, platform, result, status, reason, self.clock(),
            etag, last_modified, attempts,
        )  # fmt: skip

    # -- one URL -------------------------------------------------------------------
    async def _check(self, target: UrlTarget, host: str) -> UrlResult:
        platform = self.rules.platform_of(host, target.platform)
        shown = target.platform if platform == "generic" else platform
        retries = self.opts.retries
        attempts = 0
        while True:
            attempts += 1
            try:
                answer = await self._fetch(target, platform)
            except _Failed as failed:
                if failed.retryable and attempts <= retries:
                    await self._backoff(attempts, None, host)
                    continue
                reason = failed.reason
                if attempts > 1:
                    reason += f"; gave up after {attempts - 1} retries"
                return self._result(target, host, shown, "error", None, reason, attempts)
            status = answer.status
            if status == 429 or 500 <= status <= 599:
                wait = answer.retry_after
                if wait is not None and wait > self.opts.backoff_max_s:
                    reason = (
                        f"HTTP {status}: the server asked to wait {wait:,.0f} s (Retry-After), "
                        f"over the {self.opts.backoff_max_s:g} s cap"
                    )
                    return self._result(target, host, shown, "error", status, reason, attempts)
                if attempts <= retries:
                    await self._backoff(attempts, wait, host_key(answer.url))
                    continue
                reason = f"HTTP {status} after {retries} retries" if retries else f"HTTP {status}"
                return self._result(target, host, shown, "error", status, reason, attempts)
            if status == 304:
                if answer.hops or (_header(target.etag) or _header(target.last_modified)) is None:
                    reason = "HTTP 304 to a request that was not conditional"
                    return self._result(target, host, shown, "error", status, reason, attempts)
                return self._result(
                    target, host, shown, "live", status, "not modified (304)", attempts,
                    _header(answer.etag) or target.etag,
                    _header(answer.last_modified) or target.last_modified,
                )  # fmt: skip
            result, reason = self.rules.classify(
                platform, target.url, answer.url, status, answer.body
            )
            validators: tuple[str | None, str | None] = (None, None)
            if result == "live" and answer.hops == 0:
                validators = (_header(answer.etag), _header(answer.last_modified))
            return self._result(target, host, shown, result, status, reason, attempts, *validators)

    async def _backoff(self, attempt: int, retry_after: float | None, host: str) -> None:
        if retry_after is not None:
            delay = retry_after
            gate = self.gates.get(host)
            if gate is not None:  # the server asked the host to slow down, not one URL
                gate.next_at = max(gate.next_at, asyncio.get_running_loop().time() + delay)
        else:
            top = min(self.opts.backoff_max_s, self.opts.backoff_s * 2 ** (attempt - 1))
            delay = self.random.uniform(top / 2, top)
        await asyncio.sleep(delay)

    async def _fetch(self, target: UrlTarget, platform: str) -> _Answer:
        """The final answer for *target*, following redirects hop by hop (each through
        the limits and the address check)."""
        url = self.rules.fetch_url(platform, target.url)
        headers: dict[str, str] = {}
        etag, modified = _header(target.etag), _header(target.last_modified)
        if etag is not None:
            headers["If-None-Match"] = etag
        if modified is not None:
            headers["If-Modified-Since"] = modified
        for hop in range(self.opts.max_redirects + 1):
            if hop:
                problem = url_problem(url)
                if problem is not None:
                    raise _Failed(f"redirect refused: {problem}", retryable=False)
            await self._refuse_private(url, redirect=hop > 0)
            answer = await self._request(url, headers, platform)
            answer.hops = hop
            if answer.status in _REDIRECTS and answer.location:
                try:
                    url = str(httpx.URL(url).join(answer.location))
                except (httpx.InvalidURL, ValueError, TypeError):
                    raise _Failed(
                        f"redirect refused: not a URL: {_shown(answer.location)}", retryable=False
                    ) from None
                headers = {}  # validators belong to the first URL only
                continue
            return answer
        raise _Failed(f"more than {self.opts.max_redirects} redirects", retryable=False)

    async def _refuse_private(self, url: str, *, redirect: bool) -> None:
        if self.opts.allow_private:
            return
        host = httpx.URL(url).raw_host.decode("ascii")
        what = f"a redirect to {_shown(url)}" if redirect else _shown(host)
        if _local_name(host):
            raise _Failed(
                f"refused: {what} is a local or private address (allow_private checks such URLs)",
                retryable=False,
            )
        loop = asyncio.get_running_loop()
        cached = self.dns.get(host)
        if cached is not None and cached[0] > loop.time():
            problem = cached[1]
        else:
            try:
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise _Failed(
                    f"cannot resolve host {host!r}: {exc.strerror}",
                    retryable=exc.errno == socket.EAI_AGAIN,
                ) from None
            bad = sorted({str(info[4][0]) for info in infos if _bad_address(str(info[4][0]))})
            problem = f"resolves to {bad[0]}" if bad else None
            if len(self.dns) >= _DNS_CACHE_MAX:
                self.dns.clear()
            self.dns[host] = (loop.time() + _DNS_TTL_S, problem)
        if problem is not None:
            raise _Failed(
                f"refused: {what} {problem}, a local or private address "
                "(allow_private checks such URLs)",
                retryable=False,
            )

    async def _request(self, url: str, headers: dict[str, str], platform: str) -> _Answer:
        """One request, once the host's spacing, the host's and the overall limits allow."""
        key = host_key(url)
        gate = self.gates.get(key)
        if gate is None:
            gate = self.gates[key] = _Gate(asyncio.Semaphore(self.opts.per_host_concurrency))
        gate.users += 1
        loop = asyncio.get_running_loop()
        try:
            async with gate.sem:
                while True:
                    wait = gate.next_at - loop.time()
                    if wait > 0:
                        await asyncio.sleep(wait)
                        continue
                    async with self.slots:
                        now = loop.time()
                        if now < gate.next_at:  # another request of the host went first
                            continue
                        gate.next_at = now + self.interval
                        self.requests += 1
                        return await self._send(url, headers, platform)
        finally:
            gate.users -= 1
            if len(self.gates) > self.prune_at:
                self._prune(loop.time())

    def _prune(self, now: float) -> None:
        """Forget hosts nobody waits on and that may be asked again at once."""
        self.gates = {k: g for k, g in self.gates.items() if g.users or g.next_at > now}
        self.prune_at = max(1024, 2 * len(self.gates))

    async def _send(self, url: str, headers: dict[str, str], platform: str) -> _Answer:
        assert self.client is not None
        limit = self.opts.timeout_s
        try:
            async with (
                asyncio.timeout(limit),
                self.client.stream("GET", url, headers=headers) as resp,
            ):
                body = None
                h = resp.headers
                if self.rules.needs_body(platform, resp.status_code):
                    body = await self._read(resp)
                elif h.get("content-length", "").isdigit() and int(h["content-length"]) <= _DRAIN:
                    await resp.aread()  # a short body read keeps the connection for the next
                return _Answer(
                    resp.status_code, str(resp.url), h.get("location"), h.get("etag"),
                    h.get("last-modified"), _retry_after(h.get("retry-after")), body,
                )  # fmt: skip
        except (TimeoutError, httpx.TimeoutException):
            raise _Failed(f"timed out after {limit:g} s", retryable=True) from None
        except httpx.ConnectError as exc:
            raise _Failed(_connect_reason(exc), retryable=True) from None
        except httpx.RemoteProtocolError as exc:
            raise _Failed(f"the server broke off: {exc}", retryable=True) from None
        except httpx.NetworkError as exc:
            raise _Failed(f"connection lost: {exc or type(exc).__name__}", retryable=True) from None
        except httpx.DecodingError as exc:
            raise _Failed(f"cannot decode the body: {exc}", retryable=False) from None
        except httpx.HTTPError as exc:
            raise _Failed(f"{type(exc).__name__}: {exc}", retryable=False) from None

    async def _read(self, resp: httpx.Response) -> bytes:
        """At most ``body_cap`` bytes of the body; the rest is never read."""
        cap = self.opts.body_cap
        chunks: list[bytes] = []
        size = 0
        stream = cast(AsyncGenerator[bytes, None], resp.aiter_bytes())
        try:
            async for chunk in stream:
                chunks.append(chunk)
                size += len(chunk)
                if size >= cap:
                    break
        finally:
            await stream.aclose()
        return b"".join(chunks)[:cap]


async def check_urls_async(
    targets: Iterable[UrlTarget | str],
    sink: ResultSink,
    *,
    options: CheckOptions | None = None,
    rules: PlatformRules | None = None,
    clock: Callable[[], datetime] = _utc_now,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CheckSummary:
    """Check every target, handing results to *sink* (module docstring); the summary.

    *rules*: default the shipped ones (:meth:`PlatformRules.load`); *clock*
    gives each result's ``checked_at`` (tests run simulated days);
    *transport*: an httpx transport to use instead of the network's (tests;
    ``options.proxy`` is then not used).  A plain string target is a URL
    without a platform."""
    run = _Run(sink, options or CheckOptions(), rules or PlatformRules.load(), clock, transport)
    return await run.run(targets)


def check_urls(
    targets: Iterable[UrlTarget | str],
    sink: ResultSink,
    *,
    options: CheckOptions | None = None,
    rules: PlatformRules | None = None,
    clock: Callable[[], datetime] = _utc_now,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CheckSummary:
    """:func:`check_urls_async` from synchronous code (not from a running event loop).

    Ctrl-C stops the run cleanly: what is decided goes to the sink, then
    ``KeyboardInterrupt`` propagates (the CLI's exit 130)."""
    return asyncio.run(
        check_urls_async(
            targets, sink, options=options, rules=rules, clock=clock, transport=transport
        )
    )
