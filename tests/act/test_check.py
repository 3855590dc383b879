"""The URL checker (``marsad check-urls``'s engine) against the fake platform on 127.0.0.1.

Rules and URL validation are tested as pure functions; everything else over
real HTTP to :class:`~marsad.simulate.fake_platform.FakePlatform`, whose own
log (request times, headers, bytes written) is the evidence.  Nothing here
touches the internet: public host names are resolved by a patched
``getaddrinfo`` and answered by an ``httpx.MockTransport``."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marsad import __version__
from marsad.act.check import (
    RESULTS,
    RULES_FORMAT,
    CheckOptions,
    MemorySink,
    PlatformRules,
    UrlResult,
    UrlTarget,
    check_urls,
    check_urls_async,
    host_key,
    url_problem,
    user_agent,
)
from marsad.errors import ConfigError, UnreadableFile
from marsad.simulate.fake_platform import FakeItem, FakePlatform

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
RULES = PlatformRules.load()
#: fast and local: no rate limit, short timeouts, quick retries
FAST = CheckOptions(
    allow_private=True, rate_per_host=float("inf"), timeout_s=2.0, backoff_s=0.01, retries=2
)


def opts(**changes: Any) -> CheckOptions:
    fields = {name: getattr(FAST, name) for name in CheckOptions.__dataclass_fields__}
    return CheckOptions(**{**fields, **changes})


def run(targets: Any, **changes: Any) -> tuple[dict[str, UrlResult], Any]:
    sink = MemorySink()
    summary = check_urls(targets, sink, options=opts(**changes))
    by_url = sink.by_url()
    assert len(by_url) == len(sink.results), "a URL was handed over twice"
    assert not [r for r in sink.results if r.reason.startswith("unexpected error")]
    return by_url, summary


# -- URLs ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://x.com/someone/status/1", None),  # an ordinary post URL
        ("http://127.0.0.1:8080/a?b=c#d", None),  # a port, a query and a fragment
        ("https://bücher.example/ä", None),  # an international domain name
        ("HTTPS://X.COM/a", None),  # scheme and host in upper case
        ("foo bar", "not a URL: 'foo bar'"),  # the example: words
        ("", "not a URL: ''"),  # nothing
        ("x.com/someone", "not a URL: 'x.com/someone'"),  # no scheme
        ("ftp://example.org/file", "not an http(s) URL: 'ftp://example.org/file'"),
        ("javascript:alert(1)", "not a URL: 'javascript:alert(1)'"),  # no host either
        ("http:///path", "no host in URL: 'http:///path'"),  # a scheme, no host
        ("https://exa mple.org/", "not a URL: 'https://exa mple.org/'"),  # a space
        ("https://example.org/\nHost: evil", "not a URL: "),  # a header injection attempt
        ("https://example.org:99999/", "not a URL: "),  # a port out of range
        ("https://[::1/", "not a URL: "),  # a broken IPv6 literal
        ("https://user:pw@example.org/", "URL with a user name or password"),  # credentials
        ("https://example.org/" + "a" * 2100, "URL longer than 2,048 characters (2,120)"),
    ],
)
def test_url_problem_names_the_value(url: str, problem: str | None) -> None:
    found = url_problem(url)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)
        assert len(found) < 200  # a long value is shortened in the reason


@pytest.mark.parametrize("value", [None, 42, b"https://x.com/", ["https://x.com/"]])
def test_url_problem_refuses_what_is_not_text(value: object) -> None:
    assert url_problem(value) == f"not a URL: {value!r}"


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_url_problem_never_raises_and_a_valid_url_has_a_host_key(text: str) -> None:
    problem = url_problem(text)
    assert problem is None or isinstance(problem, str)
    if problem is None:
        assert host_key(text)


@given(st.sampled_from(["http", "https"]), st.text(min_size=1, max_size=40), st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_url_problem_on_url_shaped_text(scheme: str, host: str, path: str) -> None:
    url = f"{scheme}://{host}/{path}"
    problem = url_problem(url)
    if problem is None:
        assert host_key(url)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://X.com/a", "x.com"),  # lower case
        ("https://x.com:443/a", "x.com"),  # the scheme's default port is no port
        ("http://x.com:443/a", "x.com:443"),  # ... but not the other scheme's
        ("http://127.0.0.1:8001/a", "127.0.0.1:8001"),  # each local port is a host
        ("https://www.x.com/a", "www.x.com"),  # a subdomain is another host
        ("https://bücher.example/", "xn--bcher-kva.example"),  # IDNA
        ("http://[::1]:8080/", "[::1]:8080"),  # IPv6
    ],
)
def test_host_key(url: str, key: str) -> None:
    assert host_key(url) == key


# -- rules ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("platform", "url", "final", "status", "body", "result", "rule"),
    [
        # generic: status codes only
        ("generic", "https://a.org/p", None, 404, None, "removed", "rule generic.gone (HTTP 404)"),
        ("generic", "https://a.org/p", None, 410, None, "removed", "rule generic.gone (HTTP 410)"),
        ("generic", "https://a.org/p", None, 451, None, "withheld", "rule generic.legal"),
        ("generic", "https://a.org/p", None, 200, "<p>hello</p>", "live", "HTTP 200"),
        # a soft 404 on an unknown site stays live: generic has no body markers
        ("generic", "https://a.org/p", None, 200, "Page not found", "live", "HTTP 200"),
        ("generic", "https://a.org/p", None, 403, None, "error", "HTTP 403 (not classified)"),
        ("generic", "https://a.org/p", None, 302, None, "error", "HTTP 302 without"),
        # X
        ("x", "https://x.com/u", "https://x.com/account/suspended", 200, "", "removed",
         "rule x.suspended-url"),  # the redirect target decides
        ("x", "https://x.com/u", None, 200, "<h1>Account suspended</h1>", "removed",
         "rule x.suspended"),
        ("x", "https://x.com/u/status/1", None, 200, "This Post was deleted", "removed",
         "rule x.deleted"),
        ("x", "https://x.com/u", None, 200,
         "This account has been withheld in Germany in response to a legal demand.",
         "withheld", "rule x.withheld"),
        ("x", "https://x.com/u", None, 404, None, "removed", "rule generic.gone"),  # generic after
        ("x", "https://x.com/u", None, 200, "<div>a post about withholding tax</div>", "live",
         "HTTP 200"),  # "withheld" alone is no marker
        # YouTube; HTML entities and typographic apostrophes still match
        ("youtube", "https://youtube.com/watch?v=a", None, 200,
         "This video has been removed for violating YouTube&#39;s Terms of Service",
         "removed", "rule youtube.tos-removed"),
        ("youtube", "https://youtube.com/watch?v=a", None, 200,
         "This video isn\u2019t available anymore", "removed", "rule youtube.unavailable"),
        ("youtube", "https://youtube.com/@a", None, 200, "This account has been terminated",
         "removed", "rule youtube.account-terminated"),
        ("youtube", "https://youtube.com/watch?v=a", None, 200,
         '{"reason":"The uploader has not made this video available in your country"}',
         "withheld", "rule youtube.geo-blocked"),
        # Telegram: the post's embed page decides
        ("telegram", "https://t.me/chan/5", "https://t.me/chan/5?embed=1&mode=tme", 200,
         '<div class="tgme_widget_message_error">Post not found</div>', "removed",
         "rule telegram.post-not-found"),
        ("telegram", "https://t.me/chan/5", "https://t.me/chan/5?embed=1&mode=tme", 200,
         "<html><body></body></html>", "removed", "rule telegram.post-missing"),
        ("telegram", "https://t.me/chan/5", "https://t.me/chan/5?embed=1&mode=tme", 200,
         '<div class="tgme_widget_message js-widget_message">hi</div>', "live", "HTTP 200"),
        ("telegram", "https://t.me/chan", None, 200,
         "This channel can't be displayed because it violated local laws.", "withheld",
         "rule telegram.channel-withheld"),
        ("telegram", "https://t.me/chan", None, 200,
         "This channel can\u2019t be displayed because it violated Telegram's Terms of Service.",
         "removed", "rule telegram.channel-blocked"),
        # a body marker needs a body: a 404 of the embed is the generic rule's
        ("telegram", "https://t.me/chan/5", "https://t.me/chan/5?embed=1", 404, None, "removed",
         "rule generic.gone"),
        ("tiktok", "https://tiktok.com/@a", None, 200, "Couldn't find this account", "removed",
         "rule tiktok.account-banned"),
        ("instagram", "https://instagram.com/p/a", None, 200,
         "Sorry, this page isn't available.", "removed", "rule instagram.unavailable"),
        ("facebook", "https://facebook.com/a", None, 200, "This content isn't available right now",
         "removed", "rule facebook.unavailable"),
    ],
)  # fmt: skip
def test_classify_by_rule(
    platform: str,
    url: str,
    final: str | None,
    status: int,
    body: str | None,
    result: str,
    rule: str,
) -> None:
    got, reason = RULES.classify(platform, url, final or url, status, body)
    assert got == result
    assert reason.startswith(rule)


@given(
    st.sampled_from(RULES.platforms),
    st.integers(min_value=100, max_value=599),
    st.one_of(st.none(), st.text(max_size=200), st.binary(max_size=200)),
    st.text(max_size=60),
)
@settings(max_examples=300, deadline=None)
def test_classify_is_deterministic_and_total(
    platform: str, status: int, body: str | bytes | None, path: str
) -> None:
    url = "https://example.org/" + path
    first = RULES.classify(platform, url, url, status, body)
    assert first == RULES.classify(platform, url, url, status, body)
    assert first[0] in RESULTS and first[1]


@pytest.mark.parametrize(
    ("host", "given_platform", "platform"),
    [
        ("x.com", None, "x"),
        ("mobile.twitter.com", None, "x"),  # a listed host
        ("www.youtube.com", None, "youtube"),  # a subdomain of a listed host
        ("m.facebook.com", "x", "facebook"),  # the host decides before the hint
        ("notyoutube.com", None, "generic"),  # a suffix that is no subdomain
        ("127.0.0.1:8001", "x", "x"),  # an unknown host: the target's platform
        ("127.0.0.1:8001", "Twitter", "x"),  # ... by an alias, in any case
        ("127.0.0.1:8001", "mastodon", "generic"),  # ... unless the rules do not know it
        ("example.org", None, "generic"),
    ],
)
def test_platform_of(host: str, given_platform: str | None, platform: str) -> None:
    assert RULES.platform_of(host, given_platform) == platform


@pytest.mark.parametrize(
    ("url", "fetched"),
    [
        ("https://t.me/somechannel/123", "https://t.me/somechannel/123?embed=1&mode=tme"),
        ("http://telegram.me/somechannel/123/", "https://t.me/somechannel/123?embed=1&mode=tme"),
        ("https://t.me/s/somechannel/123", "https://t.me/s/somechannel/123"),  # the preview
        ("https://t.me/somechannel", "https://t.me/somechannel"),  # a channel, not a post
    ],
)
def test_telegram_posts_are_fetched_as_their_embed(url: str, fetched: str) -> None:
    assert RULES.fetch_url("telegram", url) == fetched


def test_shipped_rules_are_documented_and_consistent() -> None:
    from importlib import resources

    data = json.loads(
        resources.files("marsad.act").joinpath("platform_rules.json").read_text("utf-8")
    )
    assert data["format"] == RULES_FORMAT and data["as_of"]
    description = " ".join(data["description"])
    assert "NOT verified" in description and "up to date" in description
    for name, entry in data["platforms"].items():
        if name == "generic" or "alias" in entry:
            continue
        assert entry["hosts"], name
        for rule in entry["rules"]:
            assert rule["id"].startswith(name + "."), rule["id"]
    wanted = {"x", "twitter", "telegram", "youtube", "facebook", "instagram", "tiktok", "generic"}
    assert wanted <= set(data["platforms"])


def _rules_file(tmp_path: Path, platforms: dict[str, Any], fmt: str = RULES_FORMAT) -> Path:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"format": fmt, "platforms": platforms}))
    return path


def test_a_callers_rules_merge_over_the_shipped_ones(tmp_path: Path) -> None:
    path = _rules_file(
        tmp_path,
        {
            # a new marker for X, tried before the shipped rules
            "x": {"rules": [
                {"id": "x.local-marker", "result": "removed", "body": ["gone for good"]},
                {"id": "x.deleted", "disabled": True},  # a shipped rule switched off
                {"id": "x.withheld", "result": "removed", "body": ["withheld in"]},  # replaced
            ]},
            # a platform of their own
            "mastodon": {"hosts": ["mastodon.example"], "rules": [
                {"id": "mastodon.gone", "result": "removed", "body": ["This profile is gone"]},
            ]},
        },
    )  # fmt: skip
    rules = PlatformRules.load(path)
    url = "https://x.com/u"
    assert rules.classify("x", url, url, 200, "gone for good")[1].startswith("rule x.local-marker")
    assert rules.classify("x", url, url, 200, "This Post was deleted")[0] == "live"
    assert rules.classify("x", url, url, 200, "withheld in Testland")[0] == "removed"
    assert rules.classify("x", url, url, 200, "Account suspended")[0] == "removed"  # kept
    assert rules.platform_of("mastodon.example") == "mastodon"
    assert rules.classify("mastodon", url, url, 404, None)[1].startswith("rule generic.gone")


@pytest.mark.parametrize(
    ("platforms", "fmt", "error", "message"),
    [
        ({}, "other/1", ConfigError, "not a rules file of format"),  # another format
        ({"x": {"rules": [{"result": "removed", "body": ["a"]}]}}, RULES_FORMAT, ConfigError,
         "needs an 'id'"),
        ({"x": {"rules": [{"id": "x.a", "result": "gone", "body": ["a"]}]}}, RULES_FORMAT,
         ConfigError, "result must be removed, withheld or live"),
        ({"x": {"rules": [{"id": "x.a", "result": "removed"}]}}, RULES_FORMAT, ConfigError,
         "has no condition"),  # it would match everything
        ({"x": {"rules": [{"id": "x.a", "result": "removed", "body_regex": ["("]}]}},
         RULES_FORMAT, ConfigError, "bad regex"),
        ({"x": {"rules": [{"id": "x.a", "result": "removed", "bdy": ["a"]}]}}, RULES_FORMAT,
         ConfigError, "unknown keys ['bdy']"),  # a typo is not silently ignored
        ({"x": {"rules": [{"id": "x.a", "result": "removed", "status": 404}]}}, RULES_FORMAT,
         ConfigError, "status must be a list"),
        ({"x": {"rules": [{"id": "x.a", "result": "removed", "body": "a"}]}}, RULES_FORMAT,
         ConfigError, "body must be a list of texts"),
        ({"x": {"hosts": ["youtube.com"]}}, RULES_FORMAT, ConfigError,
         "host 'youtube.com' also belongs to"),  # a host is one platform's
    ],
)  # fmt: skip
def test_bad_rules_files_are_refused_clearly(
    tmp_path: Path, platforms: dict[str, Any], fmt: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match="rules.json") as caught:
        PlatformRules.load(_rules_file(tmp_path, platforms, fmt))
    assert message in str(caught.value)


def test_unreadable_rules_files(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="cannot read the rules file"):
        PlatformRules.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UnreadableFile, match="is not JSON"):
        PlatformRules.load(bad)


# -- options ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rate_per_host": 0}, "rate_per_host must be a number above 0"),
        ({"concurrency": 0}, "concurrency must be a whole number of 1 or more"),
        ({"timeout_s": float("nan")}, "timeout_s must be a number above 0"),
        ({"retries": -1}, "retries must be a whole number of 0 or more"),
        ({"max_redirects": 2.5}, "max_redirects must be a whole number"),
        ({"backoff_s": -1.0}, "backoff_s must be a number 0 or more"),
        ({"proxy": "not a proxy"}, "is not a proxy URL"),
        ({"contact": "a\r\nX-Evil: 1"}, "cannot go in a User-Agent header"),  # header injection
        ({"contact": "  "}, "cannot go in a User-Agent header"),
    ],
)
def test_bad_options_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        opts(**changes)


def test_user_agent_says_who_asks() -> None:
    assert user_agent() == f"marsad/{__version__} (+URL-check)"
    assert user_agent("trust@example.org") == (
        f"marsad/{__version__} (+URL-check; contact: trust@example.org)"
    )


# -- against the fake platform ----------------------------------------------------------------
CASES = [
    # (item, result, http_status, reason starts with)
    (FakeItem("/a/live"), "live", 200, "HTTP 200"),
    (FakeItem("/a/deleted", removed_at=T0), "removed", 404, "rule generic.gone (HTTP 404)"),
    (FakeItem("/a/gone", removed_at=T0, removal="410"), "removed", 410, "rule generic.gone"),
    (FakeItem("/a/page", removed_at=T0, removal="page"), "removed", 200, "rule x.deleted"),
    (FakeItem("/a/susp", suspended_at=T0), "removed", 200, "rule x.suspended (HTTP 200)"),
    # X's redirect to /account/suspended: the final URL decides
    (FakeItem("/a/redir", suspended_at=T0, suspension="redirect"), "removed", 200,
     "rule x.suspended-url"),
    (FakeItem("/a/451", withheld="451"), "withheld", 451, "rule generic.legal (HTTP 451)"),
    (FakeItem("/a/wpage", withheld="page"), "withheld", 200, "rule x.withheld"),
    (FakeItem("/a/later", removed_at=T0 + DAY), "live", 200, "HTTP 200"),  # not yet
]  # fmt: skip


def test_each_kind_of_answer_is_classified_by_its_rule() -> None:
    with FakePlatform([c[0] for c in CASES], start=T0) as platform:
        results, summary = run([UrlTarget(platform.url(c[0].path), "x") for c in CASES])
        for item, result, status, reason in CASES:
            got = results[platform.url(item.path)]
            assert (got.result, got.http_status) == (result, status), got
            assert got.reason.startswith(reason), got
            assert got.attempts == 1 and got.host == f"127.0.0.1:{platform.ports[0]}"
            assert got.platform == "x"
        assert summary.checked == len(CASES)
        assert summary.counts == {"live": 2, "removed": 5, "withheld": 2, "error": 0}
        assert summary.requests == len(CASES) + 1  # the redirect's second hop


def test_the_user_agent_is_sent_with_the_contact() -> None:
    with FakePlatform([FakeItem("/a/1")]) as platform:
        run([platform.url("/a/1")], contact="trust@example.org")
        (request,) = platform.requests()
        assert (
            request.user_agent == f"marsad/{__version__} (+URL-check; contact: trust@example.org)"
        )


def test_checked_at_comes_from_the_clock() -> None:
    at = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
    with FakePlatform([FakeItem("/a/1")]) as platform:
        sink = MemorySink()
        check_urls([platform.url("/a/1"), "not a url"], sink, options=FAST, clock=lambda: at)
        assert [r.checked_at for r in sink.results] == [at, at]


def test_invalid_urls_are_errors_without_any_request() -> None:
    bad = ["foo bar", "ftp://127.0.0.1/x", "http:///x", "https://u:p@127.0.0.1/", ""]
    with FakePlatform([FakeItem("/a/1")]) as platform:
        results, summary = run([*bad, UrlTarget(None, "x")])  # type: ignore[arg-type]
        assert platform.requests() == []
    assert summary.counts["error"] == len(bad) + 1
    assert results["foo bar"].reason == "not a URL: 'foo bar'"
    assert results["ftp://127.0.0.1/x"].reason == "not an http(s) URL: 'ftp://127.0.0.1/x'"
    assert all(r.attempts == 0 and r.http_status is None and r.host == "" for r in results.values())


# -- politeness ----------------------------------------------------------------------------
def test_the_rate_limit_holds_per_host() -> None:
    """5 requests at 5 a second on one host take at least 0.8 s; a second host at the
    same time does not wait for the first."""
    items = [FakeItem(f"/a/{i}") for i in range(5)]
    with FakePlatform(items, hosts=2) as platform:
        targets = [platform.url(i.path, host=h) for i in items for h in (0, 1)]
        results, _ = run(targets, rate_per_host=5.0, per_host_concurrency=2)
        assert all(r.result == "live" for r in results.values())
        spans = []
        for host in (0, 1):
            times = sorted(platform.request_times(host))
            assert len(times) == 5
            # the checker starts them 0.2 s apart; the server sees them with the
            # jitter of a loaded machine, so the bounds leave it some room
            assert times[-1] - times[0] >= 0.6, times
            assert platform.stats()["max_per_second"][host] <= 6
            spans.append((times[0], times[-1]))
        # in parallel: each host's requests began before the other's ended
        assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1], spans


def test_concurrency_per_host_and_overall() -> None:
    items = [FakeItem(f"/slow/{i}", delay_s=0.25) for i in range(4)]
    with FakePlatform(items, hosts=3) as platform:
        targets = [platform.url(i.path, host=h) for i in items for h in range(3)]
        run(targets, per_host_concurrency=2, concurrency=16)
        assert max(platform.stats()["max_in_flight"]) == 2
        platform.stats(reset=True)
        run(targets, per_host_concurrency=2, concurrency=3)
        assert platform.stats()["max_in_flight_total"] == 3


def test_connections_are_kept_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """Removed pages (404) included: their short bodies are read, so the connection
    stays usable; with more hosts than pools kept, the oldest idle pools close."""
    import marsad.act.check as check

    monkeypatch.setattr(check, "_POOLS_KEPT", 3)
    items = [FakeItem(f"/a/{i}", removed_at=T0 if i % 2 else None) for i in range(12)]
    with FakePlatform(items, hosts=6, start=T0) as platform:
        one_host = [platform.url(i.path) for i in items]
        results, _ = run(one_host, per_host_concurrency=2)
        assert {r.result for r in results.values()} == {"live", "removed"}
        assert platform.stats()["connections"][0] <= 2
        platform.stats(reset=True)
        many = [platform.url(i.path, host=h) for i in items for h in range(6)]
        results, _ = run(many, per_host_concurrency=1, concurrency=2)
        assert len(results) == 72 and {r.result for r in results.values()} == {"live", "removed"}


def test_503_is_retried_with_backoff_then_live() -> None:
    item = FakeItem("/a/flaky", misbehaviour="503", fail_times=2)
    with FakePlatform([item]) as platform:
        results, summary = run([platform.url(item.path)], backoff_s=0.2, retries=3)
        (result,) = results.values()
        assert (result.result, result.attempts, result.http_status) == ("live", 3, 200)
        times = platform.request_times()
        # back-off with jitter: half to all of 0.2 s, then of 0.4 s
        assert times[1] - times[0] >= 0.09 and times[2] - times[1] >= 0.19
        assert summary.requests == 3


def test_retries_run_out_into_an_error() -> None:
    item = FakeItem("/a/down", misbehaviour="503", fail_times=99)
    with FakePlatform([item]) as platform:
        results, _ = run([platform.url(item.path)], retries=2)
        (result,) = results.values()
        assert (result.result, result.http_status) == ("error", 503)
        assert result.reason == "HTTP 503 after 2 retries" and result.attempts == 3
        assert len(platform.requests()) == 3


def test_retry_after_is_honoured_for_the_whole_host() -> None:
    items = [FakeItem("/a/busy", misbehaviour="429", retry_after=1), FakeItem("/a/other")]
    with FakePlatform(items) as platform:
        results, _ = run(
            [platform.url("/a/busy"), platform.url("/a/other")], per_host_concurrency=1
        )
        assert results[platform.url("/a/busy")].result == "live"
        busy = platform.request_times(path="/a/busy")
        other = platform.request_times(path="/a/other")
        assert busy[1] - busy[0] >= 0.95
        # the other URL of the host waited too, since the server asked the host to slow down
        assert other[0] - busy[0] >= 0.95


def test_a_retry_after_over_the_cap_is_not_waited_for() -> None:
    item = FakeItem("/a/busy", misbehaviour="429", retry_after=3600, fail_times=99)
    with FakePlatform([item]) as platform:
        started = time.monotonic()
        results, _ = run([platform.url(item.path)], backoff_max_s=60)
        (result,) = results.values()
        assert time.monotonic() - started < 2
        assert result.result == "error" and result.attempts == 1
        assert "asked to wait 3,600 s (Retry-After), over the 60 s cap" in result.reason


@pytest.mark.parametrize(
    ("misbehaviour", "reason"),
    [
        ("hang", "timed out after 0.4 s"),  # never answers
        ("trickle", "timed out after 0.4 s"),  # a byte every 50 ms: the total deadline cuts it
        ("drop", "the server broke off"),  # closes without an answer
    ],
)
def test_a_server_that_misbehaves_is_an_error_quickly(misbehaviour: str, reason: str) -> None:
    item = FakeItem("/a/bad", misbehaviour=misbehaviour)
    with FakePlatform([item], trickle_s=0.05) as platform:
        started = time.monotonic()
        results, _ = run([platform.url(item.path)], timeout_s=0.4, retries=1)
        (result,) = results.values()
        assert time.monotonic() - started < 2.5
        assert result.result == "error" and result.reason.startswith(reason)
        assert result.reason.endswith("gave up after 1 retries") and result.attempts == 2


def test_connection_refused_is_an_error() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    results, _ = run([f"http://127.0.0.1:{port}/x"], retries=0)
    (result,) = results.values()
    assert (result.result, result.reason) == ("error", "connection refused")


def test_a_2gb_body_is_cut_off_at_the_cap() -> None:
    item = FakeItem("/a/huge", misbehaviour="huge")
    with FakePlatform([item]) as platform:
        started = time.monotonic()
        results, _ = run([platform.url(item.path)], body_cap=256 * 1024)
        elapsed = time.monotonic() - started
        time.sleep(0.2)  # the server notices the closed connection
        sent = platform.body_bytes_sent(item.path)
        (result,) = results.values()
        assert result.result == "live" and result.http_status == 200
        assert elapsed < 3
        assert 256 * 1024 <= sent < 64 * 1024**2  # far below 2 GiB: socket buffers at most


def _loop(request: httpx.Request) -> httpx.Response:
    n = int(request.url.path.strip("/") or 0)
    return httpx.Response(302, headers={"Location": f"/{n + 1}"})


@pytest.mark.parametrize(
    ("handler", "reason"),
    [
        (_loop, "more than 5 redirects"),  # a redirect loop
        (lambda r: httpx.Response(301, headers={"Location": "ftp://a.test/x"}),
         "redirect refused: not an http(s) URL: 'ftp://a.test/x'"),  # out of http(s)
        (lambda r: httpx.Response(302), "HTTP 302 without a usable Location"),
        (lambda r: httpx.Response(304), "HTTP 304 to a request that was not conditional"),
        (lambda r: httpx.Response(403), "HTTP 403 (not classified)"),  # a wall, not a removal
    ],
)  # fmt: skip
def test_odd_answers_are_errors_with_a_reason(handler: Any, reason: str) -> None:
    sink = MemorySink()
    check_urls(
        ["http://a.test/0"], sink, options=opts(max_redirects=5),
        transport=httpx.MockTransport(handler),
    )  # fmt: skip
    (result,) = sink.results
    assert (result.result, result.reason) == ("error", reason)


def test_a_surprise_in_one_url_does_not_end_the_run() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/boom":
            raise RuntimeError("a bug in a transport")
        return httpx.Response(200, text="fine")

    sink = MemorySink()
    summary = check_urls(
        ["http://a.test/boom", "http://a.test/fine"], sink, options=FAST,
        transport=httpx.MockTransport(handler),
    )  # fmt: skip
    results = sink.by_url()
    assert results["http://a.test/boom"].result == "error"
    assert results["http://a.test/boom"].reason == (
        "unexpected error: RuntimeError: a bug in a transport"
    )
    assert results["http://a.test/fine"].result == "live" and summary.checked == 2


# -- SSRF ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/a/1",  # loopback
        "http://localhost:{port}/a/1",  # the name of loopback
        "http://[::1]:{port}/a/1",  # IPv6 loopback
        "http://[::ffff:127.0.0.1]:{port}/a/1",  # IPv4 loopback mapped into IPv6
        "http://10.1.2.3/",  # private
        "http://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://printer.local/",  # mDNS
        "http://0.0.0.0:{port}/",  # unspecified
    ],
)
def test_private_addresses_are_refused_without_a_request(url: str) -> None:
    with FakePlatform([FakeItem("/a/1")]) as platform:
        url = url.format(port=platform.ports[0])
        sink = MemorySink()
        check_urls([url], sink, options=opts(allow_private=False))
        (result,) = sink.results
        assert result.result == "error" and result.reason.startswith("refused: ")
        assert "local or private address" in result.reason and result.attempts == 1
        assert platform.requests() == []


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Host names resolved by a table instead of DNS (no name leaves the machine)."""
    table: dict[str, str] = {}

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


def test_names_are_resolved_and_private_answers_refused(fake_dns: dict[str, str]) -> None:
    fake_dns.update({"intranet.example": "10.0.0.7", "public.example": "93.184.216.34"})
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/jump":  # a public page that redirects inwards
            return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest"})
        return httpx.Response(200, text="ok")

    sink = MemorySink()
    targets = [
        "http://intranet.example/admin",  # its name resolves to a private address
        "http://public.example/jump",  # a redirect to a private address
        "http://public.example/fine",  # public all the way
        "http://nowhere.example/",  # does not resolve
    ]
    check_urls(
        targets, sink, options=opts(allow_private=False), transport=httpx.MockTransport(handler)
    )
    results = sink.by_url()
    assert results[targets[0]].reason.startswith("refused: 'intranet.example' resolves to 10.0.0.7")
    assert results[targets[1]].reason.startswith(
        "refused: a redirect to 'http://169.254.169.254/latest'"
    )
    assert results[targets[2]].result == "live"
    assert results[targets[3]].reason.startswith("cannot resolve host 'nowhere.example'")
    assert seen == ["http://public.example/jump", "http://public.example/fine"]


# -- conditional requests ---------------------------------------------------------------------
def test_conditional_requests_304_is_live_and_a_change_is_seen() -> None:
    item = FakeItem("/a/1", suspended_at=T0 + DAY)
    with FakePlatform([item], start=T0) as platform:
        url = platform.url(item.path)
        first = run([UrlTarget(url, "x")])[0][url]
        assert first.result == "live" and first.etag and first.last_modified
        again = run([UrlTarget(url, "x", first.etag)])[0][url]
        assert (again.result, again.http_status, again.reason) == (
            "live",
            304,
            "not modified (304)",
        )
        assert again.etag == first.etag
        by_date = run([UrlTarget(url, "x", last_modified=first.last_modified)])[0][url]
        assert by_date.http_status == 304 and by_date.result == "live"
        sent = platform.requests()
        assert [r.if_none_match for r in sent] == [None, first.etag, None]
        assert sent[2].if_modified_since == first.last_modified
        platform.now = T0 + DAY  # suspended: the page changed, so no 304
        later = run([UrlTarget(url, "x", first.etag)])[0][url]
        assert later.result == "removed" and later.http_status == 200
        assert later.etag is None and later.last_modified is None  # never kept for a removal


def test_validators_are_not_kept_after_a_redirect() -> None:
    item = FakeItem("/a/1", suspended_at=T0, suspension="redirect")
    with FakePlatform([item]) as platform:
        (result,) = run([UrlTarget(platform.url(item.path), "generic")])[0].values()
        # the suspended page, live to the generic rules: its ETag is not the URL's own
        assert result.result == "live" and result.etag is None


# -- input, sink and interruption -----------------------------------------------------------
def test_a_lazy_input_is_read_only_a_window_ahead() -> None:
    items = [FakeItem(f"/a/{i}") for i in range(20)]
    with FakePlatform(items, hosts=4) as platform:
        read = 0
        handed = 0
        ahead: list[int] = []

        def targets() -> Iterator[UrlTarget]:
            nonlocal read
            for n in range(400):
                read += 1
                yield UrlTarget(platform.url(f"/a/{n % 20}", host=n % 4))

        def sink(results: Sequence[UrlResult]) -> None:
            nonlocal handed
            handed += len(results)
            ahead.append(read - handed)

        summary = check_urls(targets(), sink, options=opts(window=30, batch_size=10))
        assert summary.checked == handed == 400
        assert max(ahead) <= 30 + 10  # the window plus one batch waiting to be handed over


def test_results_come_in_batches() -> None:
    items = [FakeItem(f"/a/{i}") for i in range(25)]
    with FakePlatform(items) as platform:
        sink = MemorySink()
        check_urls([platform.url(i.path) for i in items], sink, options=opts(batch_size=10))
        assert len(sink.results) == 25 and sink.batches >= 3


def test_a_failing_sink_stops_the_run() -> None:
    items = [FakeItem(f"/a/{i}") for i in range(30)]
    with FakePlatform(items) as platform:
        accepted: list[UrlResult] = []

        def sink(results: Sequence[UrlResult]) -> None:
            if accepted:
                raise RuntimeError("the database is gone")
            accepted.extend(results)

        with pytest.raises(RuntimeError, match="the database is gone"):
            check_urls([platform.url(i.path) for i in items], sink, options=opts(batch_size=5))
        assert len(accepted) == 5


def _split_run(platform: FakePlatform, urls: list[str], first: list[UrlResult]) -> None:
    """Run again over what the first run did not hand over; every URL exactly once."""
    done = {r.url for r in first}
    assert len(done) == len(first)  # nothing handed over twice
    assert 0 < len(done) < len(urls)  # the interruption came mid-run
    second = MemorySink()
    check_urls([u for u in urls if u not in done], second, options=opts(rate_per_host=40.0))
    again = {r.url for r in second.results}
    assert not done & again and done | again == set(urls)
    assert all(r.result == "live" and r.http_status == 200 for r in [*first, *second.results])


def test_ctrl_c_hands_over_what_is_done_and_a_rerun_completes() -> None:
    items = [FakeItem(f"/a/{i}") for i in range(40)]
    with FakePlatform(items) as platform:
        urls = [platform.url(i.path) for i in items]
        sink = MemorySink()

        def interrupting(results: Sequence[UrlResult]) -> None:
            sink(results)
            if sink.batches == 1:
                signal.raise_signal(signal.SIGINT)  # as Ctrl-C would

        with pytest.raises(KeyboardInterrupt):
            check_urls(urls, interrupting, options=opts(rate_per_host=40.0, batch_size=4))
        _split_run(platform, urls, sink.results)


def test_cancelling_the_async_run_hands_over_what_is_done() -> None:
    items = [FakeItem(f"/a/{i}") for i in range(40)]
    with FakePlatform(items) as platform:
        urls = [platform.url(i.path) for i in items]
        sink = MemorySink()

        async def main() -> None:
            task = asyncio.create_task(
                check_urls_async(urls, sink, options=opts(rate_per_host=40.0, batch_size=4))
            )
            while sink.batches < 2:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(main())
        _split_run(platform, urls, sink.results)


# -- simulated days -------------------------------------------------------------------------
def test_simulated_days_match_the_platforms_truth() -> None:
    """Ten days, a check a day: each item's result is the platform's truth that day, and
    the first day it is seen removed is the day it was removed."""
    styles = ["404", "410", "page"]
    items = []
    for i in range(30):
        day = T0 + (i % 10) * DAY
        if i % 3 == 0:
            items.append(FakeItem(f"/p/{i}", removed_at=day, removal=styles[i % 9 // 3]))
        elif i % 3 == 1:
            items.append(
                FakeItem(f"/p/{i}", suspended_at=day, suspension=["page", "redirect"][i % 2])
            )
        else:
            items.append(FakeItem(f"/p/{i}", withheld="451" if i % 4 else None))
    with FakePlatform(items, start=T0 - DAY) as platform:
        first_removed: dict[str, datetime] = {}
        for d in range(10):
            today = T0 + d * DAY
            platform.now = today
            sink = MemorySink()
            check_urls(
                [UrlTarget(platform.url(i.path), "x") for i in items], sink,
                options=FAST, clock=lambda today=today: today,
            )  # fmt: skip
            results = {r.url.removeprefix(platform.base_url()): r for r in sink.results}
            truth = platform.truth()
            assert {p: r.result for p, r in results.items()} == {
                p: t.state for p, t in truth.items()
            }
            for path, r in results.items():
                if r.result == "removed":
                    first_removed.setdefault(path, r.checked_at)
        truth = platform.truth()
        assert first_removed == {p: t.since for p, t in truth.items() if t.state == "removed"}


# -- the benchmark ------------------------------------------------------------------------
@pytest.mark.slow
def test_benchmark_tiny_run_prints_both_checkers() -> None:
    """benchmarks/check_urls.py at 300 URLs: the server process, marsad at two sizes and
    the peer each run, and the table says what each found."""
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "check_urls.py"
    args = ["--urls", "300", "--hosts", "3", "--memory-at", "100", "--rate", "100"]
    done = subprocess.run(
        [sys.executable, str(script), *args, "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    # /bench/0..99 on each of 3 hosts: 20 removed (every 5th, 404) and 6 suspended (every
    # 17th from 1, the page) per host, /bench/35 both: 25 removals per host for marsad,
    # and 19 for the peer, to whom a suspended account's page (a 200) is live
    assert re.search(r"^\| marsad \(100/s per host\) +\| +300 \|.*\| +225 / 75 / 0 \|$", out, re.M)
    assert re.search(
        r"^\| peer \(httpx \+ Semaphore\) +\| +300 \|.*\| +243 / 57 / 0 \|$", out, re.M
    )
    assert "marsad finds 18 more removals than the peer" in out
