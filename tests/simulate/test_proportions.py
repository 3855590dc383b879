"""Configured proportions come back out of the exports, within sampling error.

A mid-size run (a few thousand covert accounts).  Each figure is measured from
the X v2 files as an analyst would -- an account's language from its own
(non-repost) tweets, its client from its tweets' ``source``, its followers
from users lookups -- and compared with the config: a share within 4 binomial
standard errors, a mean within 4 standard errors of the mean.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from marsad.simulate import SimConfig
from tests.simulate.helpers import Sim, run_sim

MID = SimConfig.from_profile(
    "census-2014",
    accounts=4000,
    posts=15000,
    telegram_posts=50,
    days=120,
    covert_share=0.5,
    follow_sample_rate=0.01,
    covert_communities=4,
    ordinary_communities=4,
)


@pytest.fixture(scope="module")
def mid(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    return run_sim(MID, tmp_path_factory.mktemp("mid"), formats=["x-v2"], jobs=1)


@pytest.fixture(scope="module")
def observed(mid: Sim) -> tuple[dict[str, str], dict[str, str]]:
    """Language and client of each posting account, read from its tweets."""
    sim = mid
    lang: dict[str, set[str]] = defaultdict(set)
    client: dict[str, set[str]] = defaultdict(set)
    for page in sim.lines("x_v2_tweets.jsonl"):
        for t in page["data"]:
            client[t["author_id"]].add(t["source"])
            if not any(r["type"] == "retweeted" for r in t.get("referenced_tweets", [])):
                lang[t["author_id"]].add(t["lang"])
    # every account writes in one language and from one client
    assert all(len(v) == 1 for v in lang.values())
    assert all(len(v) == 1 for v in client.values())
    return {k: next(iter(v)) for k, v in lang.items()}, {
        k: next(iter(v)) for k, v in client.items()
    }


def _check_shares(observed: list[str], expected: dict[str, float]) -> None:
    n = len(observed)
    assert n > 500, "too few accounts for the check to mean anything"
    counts = Counter(observed)
    assert set(counts) <= set(expected)
    for value, p in expected.items():
        se = math.sqrt(p * (1 - p) / n)
        share = counts[value] / n
        assert abs(share - p) <= 4 * se, f"{value}: {share:.4f} vs {p} (n={n}, 4se={4 * se:.4f})"


@pytest.mark.parametrize(
    ("covert", "what"),
    [
        (True, "lang"),  # the census: 73% Arabic, 18% English, 6% French, 3% other
        (True, "client"),  # the census: 69% Android, 30% iPhone, 1% BlackBerry
        (False, "lang"),  # everyone else: the documented general mix
        (False, "client"),
    ],
)
def test_languages_and_clients(
    mid: Sim, observed: tuple[dict[str, str], dict[str, str]], covert: bool, what: str
) -> None:
    langs, clients = observed
    group = {
        r["native_id"]
        for r in mid.accounts
        if r["platform"] == "x" and (r["is_covert"] == "true") == covert
    }
    if what == "lang":
        others = set(MID.other_languages)
        seen = ["other" if langs[a] in others else langs[a] for a in group if a in langs]
        shares = MID.covert_languages if covert else MID.ordinary_languages
    else:
        seen = [clients[a] for a in group if a in clients]
        shares = MID.covert_clients if covert else MID.ordinary_clients
    _check_shares(seen, dict(shares))


def test_mean_followers_of_covert_accounts(mid: Sim) -> None:
    # first-generation covert accounts: successors regain a share of their predecessor's
    roots = {
        r["native_id"]
        for r in mid.accounts
        if r["platform"] == "x" and r["is_covert"] == "true" and not r["predecessor_id"]
    }
    followers: dict[str, int] = {}
    for page in mid.lines("x_v2_users.jsonl"):
        for u in page.get("data", []):
            if u["id"] in roots:
                followers[u["id"]] = u["public_metrics"]["followers_count"]
    values = list(followers.values())
    n = len(values)
    assert n > 0.9 * len(roots)  # nearly all were looked up while active
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    assert abs(mean - MID.covert_followers_mean) <= 4 * sd / math.sqrt(n), (mean, sd, n)
    assert sd > 0.5 * mean  # heavy-tailed, not a constant


def test_suspensions_follow_the_weibull_model(mid: Sim) -> None:
    roots = [
        r
        for r in mid.accounts
        if r["is_covert"] == "true" and r["platform"] == "x" and not r["predecessor_id"]
    ]
    n = len(roots)
    p = 1 - math.exp(-((MID.days / MID.suspension_scale_days) ** MID.suspension_shape))
    share = sum(1 for r in roots if r["suspended_at"]) / n
    assert abs(share - p) <= 4 * math.sqrt(p * (1 - p) / n), (share, p, n)
    # ordinary users: the small background rate, never re-created
    ordinary = [r for r in mid.accounts if r["role"] == "ordinary"]
    rate = MID.ordinary_suspension_rate
    share = sum(1 for r in ordinary if r["suspended_at"]) / len(ordinary)
    assert abs(share - rate) <= 4 * math.sqrt(rate * (1 - rate) / len(ordinary)) + 1 / len(ordinary)


def test_recreation_rate(mid: Sim) -> None:
    # accounts suspended well before the end had all the time to come back
    end = MID.end.timestamp() - 30 * 86400
    succeeded = {r["predecessor_id"] for r in mid.accounts if r["predecessor_id"]}
    early = [
        r["native_id"]
        for r in mid.accounts
        if r["is_covert"] == "true"
        and r["suspended_at"]
        and datetime.fromisoformat(r["suspended_at"]).timestamp() < end
    ]
    n = len(early)
    p = MID.recreate_prob
    share = sum(1 for a in early if a in succeeded) / n
    assert abs(share - p) <= 4 * math.sqrt(p * (1 - p) / n), (share, p, n)


def test_posting_is_heavy_tailed(mid: Sim) -> None:
    posts = sorted((int(r["posts"]) for r in mid.accounts if r["platform"] == "x"), reverse=True)
    top = posts[: len(posts) // 20]
    assert sum(top) > 0.3 * sum(posts)  # the top 5% write over 30%
    hyper = [int(r["posts"]) for r in mid.accounts if r["hyperactive"] == "true"]
    covert = [
        int(r["posts"])
        for r in mid.accounts
        if r["is_covert"] == "true" and r["hyperactive"] == "false"
    ]
    assert sum(hyper) / len(hyper) > 5 * sum(covert) / len(covert)  # the hyperactive core


def test_mid_run_wrote_no_other_format(mid: Sim) -> None:
    assert sorted(p.name for p in Path(mid.out).iterdir() if p.is_file()) == [
        "x_v2_followers.jsonl",
        "x_v2_tweets.jsonl",
        "x_v2_users.jsonl",
    ]
