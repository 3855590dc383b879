"""The fake platform the URL checker is tested against: it must itself tell the truth.

Plain httpx clients, no checker: what the server answers, records and claims
as its ground truth.  Everything runs on 127.0.0.1."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from marsad.simulate.fake_platform import PAGES, FakeItem, FakePlatform

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def test_listens_on_loopback_only_one_port_per_host() -> None:
    with FakePlatform([FakeItem("/p/1")], hosts=3) as platform:
        assert len(set(platform.ports)) == 3
        for server in platform._servers:
            (sock,) = server.sockets
            assert sock.getsockname()[0] == "127.0.0.1"
        assert platform.base_urls == [f"http://127.0.0.1:{p}" for p in platform.ports]


@pytest.mark.parametrize(
    ("item", "status", "marker"),
    [
        (FakeItem("/p/1"), 200, "Placeholder post /p/1"),  # live: the neutral page
        (FakeItem("/p/1", removed_at=T0), 404, "Not found"),  # removed, default 404
        (FakeItem("/p/1", removed_at=T0, removal="410"), 410, "Not found"),  # removed as Gone
        (FakeItem("/p/1", removed_at=T0, removal="page"), 200, "this page doesn't exist"),
        (FakeItem("/p/1", suspended_at=T0), 200, "Account suspended"),  # the suspended page
        (FakeItem("/p/1", suspended_at=T0, suspension="404"), 404, "Not found"),
        (FakeItem("/p/1", withheld="451"), 451, "withheld in"),  # legal demand, as a status
        (FakeItem("/p/1", withheld="page"), 200, "withheld in Testland"),  # ... as a page
        # suspension wins over withholding and removal: the account is gone
        (FakeItem("/p/1", suspended_at=T0, removed_at=T0, withheld="451"), 200, "suspended"),
        # a removal in the future does not show yet
        (FakeItem("/p/1", removed_at=T0 + DAY), 200, "Placeholder post"),
    ],
)
def test_an_item_answers_as_it_stands_at_now(item: FakeItem, status: int, marker: str) -> None:
    with FakePlatform([item], start=T0) as platform:
        resp = httpx.get(platform.url(item.path))
        assert resp.status_code == status
        assert marker in resp.text


def test_suspension_by_redirect_lands_on_the_suspended_page() -> None:
    with FakePlatform([FakeItem("/p/1", suspended_at=T0, suspension="redirect")]) as platform:
        first = httpx.get(platform.url("/p/1"))
        assert first.status_code == 302 and first.headers["location"] == "/account/suspended"
        final = httpx.get(platform.url("/p/1"), follow_redirects=True)
        assert final.url.path == "/account/suspended" and "Account suspended" in final.text


def test_the_clock_moves_the_truth() -> None:
    items = [
        FakeItem("/p/1"),
        FakeItem("/p/2", removed_at=T0 + DAY),
        FakeItem("/p/3", suspended_at=T0 + 2 * DAY),
        FakeItem("/p/4", withheld="451"),
    ]
    with FakePlatform(items, start=T0) as platform:
        assert {p: t.state for p, t in platform.truth().items()} == {
            "/p/1": "live",
            "/p/2": "live",
            "/p/3": "live",
            "/p/4": "withheld",
        }
        platform.now = T0 + 2 * DAY
        truth = platform.truth()
        assert truth["/p/2"].state == "removed" and truth["/p/2"].since == T0 + DAY
        assert truth["/p/3"].state == "removed" and truth["/p/3"].since == T0 + 2 * DAY
        assert httpx.get(platform.url("/p/2")).status_code == 404


def test_etag_and_last_modified_give_304_until_the_state_changes() -> None:
    with FakePlatform([FakeItem("/p/1", removed_at=T0 + DAY, removal="page")]) as platform:
        url = platform.url("/p/1")
        first = httpx.get(url)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert httpx.get(url, headers={"If-None-Match": etag}).status_code == 304
        assert httpx.get(url, headers={"If-Modified-Since": modified}).status_code == 304
        assert httpx.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
        platform.now = T0 + DAY  # now removed: another page, another ETag
        again = httpx.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 200 and again.headers["etag"] != etag
        assert httpx.get(url, headers={"If-Modified-Since": modified}).status_code == 200


def test_huge_body_is_written_lazily_and_stops_when_the_client_leaves() -> None:
    with FakePlatform([FakeItem("/big", misbehaviour="huge")]) as platform:
        started = time.monotonic()
        with httpx.stream("GET", platform.url("/big")) as resp:
            assert int(resp.headers["content-length"]) == 2 * 1024**3
            got = 0
            for chunk in resp.iter_raw():
                got += len(chunk)
                if got >= 1024**2:
                    break
        time.sleep(0.2)  # let the server notice
        sent = platform.body_bytes_sent("/big")
        assert 1024**2 <= sent < 64 * 1024**2
        assert time.monotonic() - started < 5


@pytest.mark.parametrize("status", ["429", "503"])
def test_failing_items_fail_n_times_per_host_then_answer(status: str) -> None:
    item = FakeItem("/p/1", misbehaviour=status, fail_times=2, retry_after=7)
    with FakePlatform([item], hosts=2) as platform:
        answers = [httpx.get(platform.url("/p/1")) for _ in range(3)]
        assert [a.status_code for a in answers] == [int(status), int(status), 200]
        assert answers[0].headers["retry-after"] == "7"
        # the other host counts its own failures
        assert httpx.get(platform.url("/p/1", host=1)).status_code == int(status)


def test_log_and_stats_record_what_was_asked() -> None:
    with FakePlatform([FakeItem("/p/1")], hosts=2) as platform:
        with httpx.Client(headers={"User-Agent": "probe/1"}) as client:
            client.get(platform.url("/p/1"), headers={"If-None-Match": '"x"'})
            client.get(platform.url("/p/1", host=1))
            client.get(platform.url("/p/1", host=1))
        (first,) = platform.requests(0)
        assert (first.path, first.user_agent, first.if_none_match) == ("/p/1", "probe/1", '"x"')
        assert len(platform.request_times(1)) == 2
        stats = httpx.get(platform.url("/_fake/stats?reset=1")).json()
        assert stats["per_host"] == [1, 2] and stats["max_per_second"] == [1, 2]
        assert stats["max_in_flight"] == [1, 1]
        # the stats request itself is not counted; reset zeroed the counters
        assert platform.stats()["requests"] == 0 and platform.requests() == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"path": "no-slash"},  # paths start with /
        {"path": "/p", "removal": "gone"},  # not a removal style
        {"path": "/p", "suspension": "page-ish"},  # not a suspension style
        {"path": "/p", "withheld": "yes"},  # not a withholding style
        {"path": "/p", "misbehaviour": "explode"},  # not a misbehaviour
    ],
)
def test_bad_items_are_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        FakeItem(**kwargs)  # type: ignore[arg-type]


def test_pages_hold_only_neutral_placeholder_text() -> None:
    text = " ".join(PAGES.values()).lower()
    for word in ("kill", "attack", "jihad", "martyr", "weapon", "bomb", "enemy"):
        assert word not in text
