"""The census on real exports and on the simulator's ground truth.

Expected values are computed here, independently: from the raw JSON of the
X v1.1 fixture (parsed in the test), and from the simulator's ground-truth
CSV -- never from the store the census reads.
"""

from __future__ import annotations

import csv
import gzip
import html
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from marsad.census.compute import run_census
from marsad.census.filters import Campaign, CensusFilter, parse_campaign, parse_when
from marsad.census.result import CensusResult
from marsad.census.survival import kaplan_meier
from marsad.detect.indicators import IndicatorRegistry
from marsad.pipeline import ingest_file
from marsad.simulate import SimConfig, simulate
from marsad.store.duckdb import DuckDBStore
from tests.conftest import shared_file

V1 = "fixtures/x_api_v1_isis_hashtags_2017/TT-TEST.jsonl.gz"


def _embedded(tweet: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield tweet
    for key in ("retweeted_status", "quoted_status"):
        if isinstance(tweet.get(key), dict):
            yield from _embedded(tweet[key])


@pytest.fixture(scope="module")
def v1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CensusResult, dict[str, Any]]]:
    path = shared_file(V1)
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        top = [json.loads(line) for line in fh if line.strip()]
    tweets: dict[str, dict[str, Any]] = {}
    for t in top:
        for inner in _embedded(t):
            tweets.setdefault(inner["id_str"], inner)
    with DuckDBStore(tmp_path_factory.mktemp("ws")) as store:
        ingest_file(store, path, fmt="x-v1")
        result = run_census(store.analytics(), CensusFilter(top=10))
    yield result, tweets


@pytest.mark.slow  # one ingest of 5,297 tweets shared by these tests
def test_v1_client_shares_match_the_json(v1: tuple[CensusResult, dict[str, Any]]) -> None:
    result, tweets = v1
    anchor = re.compile(r">([^<]*)</a>")
    clients: Counter[str] = Counter()
    for t in tweets.values():
        m = anchor.search(t.get("source") or "")
        if m and html.unescape(m.group(1)).strip():
            clients[html.unescape(m.group(1)).strip()] += 1
    total = sum(clients.values())
    table = result.section("devices").table("clients")
    got = {row[0]: (row[1], row[2]) for row in table.rows}
    for name, n in clients.most_common(10):
        assert got[name] == (n, round(100 * n / total, 2)), name
    headline = result.section("devices")
    assert headline.value("top_client") == clients.most_common(1)[0][0]


@pytest.mark.slow
def test_v1_platform_language_shares_match_the_json(
    v1: tuple[CensusResult, dict[str, Any]],
) -> None:
    result, tweets = v1
    langs = Counter(t["lang"] for t in tweets.values() if t.get("lang"))
    total = sum(langs.values())
    table = result.section("devices").table("platform_languages")
    got = {row[0]: (row[1], row[2]) for row in table.rows}
    for code, n in langs.most_common(10):
        assert got[code] == (n, round(100 * n / total, 2)), code


@pytest.mark.slow
def test_v1_size_and_activity_match_the_json(v1: tuple[CensusResult, dict[str, Any]]) -> None:
    result, tweets = v1
    size = result.section("size")
    users = {t["user"]["id_str"] for t in tweets.values()}
    assert size.value("accounts") == len(users)
    assert size.value("posts") == len(tweets)
    per_user = Counter(t["user"]["id_str"] for t in tweets.values())
    # the hyperactive core: fewest accounts that together wrote half of all posts
    running, core = 0, 0
    for _, n in per_user.most_common():
        if running >= len(tweets) / 2:
            break
        running += n
        core += 1
    assert result.section("accounts").value("core_accounts") == core
    top = result.section("accounts").table("top_accounts")
    assert top.rows[0][3] == per_user.most_common(1)[0][1]
    # month series: posts per month of created_at
    months = Counter(
        datetime.strptime(t["created_at"], "%a %b %d %H:%M:%S %z %Y").strftime("%Y-%m")
        for t in tweets.values()
    )
    per_month = {r[0]: r[5] for r in size.table("per_month").rows}
    assert {k: v for k, v in per_month.items() if v} == dict(months)


# -- the simulator's ground truth --------------------------------------------------------------


@pytest.fixture(scope="module")
def sim(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[CensusResult, list[dict[str, str]], SimConfig]]:
    out = tmp_path_factory.mktemp("sim")
    config = SimConfig.from_profile("small", seed=11, lookup_every_days=1)
    summary = simulate(config, out, formats=["x-v2"])
    with open(out / "ground_truth" / "accounts.csv", newline="", encoding="utf-8") as fh:
        truth = list(csv.DictReader(fh))
    covert = [r for r in truth if r["is_covert"] == "true" and r["platform"] == "x"]
    listing = out / "covert.txt"
    listing.write_text("\n".join(f"x:{r['native_id']}" for r in covert) + "\n")
    from marsad.census.filters import read_account_set

    with DuckDBStore(tmp_path_factory.mktemp("ws")) as store:
        for path, fmt in summary.inputs:
            ingest_file(store, path, fmt=fmt)
        result = run_census(
            store.analytics(),
            CensusFilter(
                accounts=read_account_set(listing),
                campaigns=(Campaign("campaign", (config.campaign_hashtag.lower(),)),),
            ),
        )
        # the whole workspace's outlets, and what the registry's Python matcher finds
        everything = run_census(store.analytics(), CensusFilter(), sections=["outlets"])
        by_sql = {r[0]: r[3] for r in everything.section("outlets").table("outlets").rows}
        registry = IndicatorRegistry.load().outlets()
        by_python: Counter[str] = Counter()
        for text_norm, hashtags, mentions, domains, handle in store.query(
            """SELECT p.text_norm, p.hashtags, p.mentions, p.domains, a.handle
               FROM current_posts p LEFT JOIN accounts a
                 ON a.platform = p.platform AND a.native_id = p.account_id"""
        ):
            by_python.update(
                registry.match(
                    text_norm=text_norm,
                    hashtags=hashtags,
                    mentions=mentions,
                    domains=domains,
                    author_handle=handle,
                )
            )
    OUTLETS.update(sql=by_sql, python=dict(by_python))
    yield result, covert, config


#: outlet post counts of the simulated workspace, by the census's SQL and by Python
OUTLETS: dict[str, dict[str, int]] = {}


@pytest.mark.slow
def test_simulated_outlets_sql_agrees_with_the_registry_matcher(
    sim: tuple[CensusResult, list[dict[str, str]], SimConfig],
) -> None:
    _, _, config = sim
    assert OUTLETS["sql"] == OUTLETS["python"]
    # every outlet the simulator names is found, under its own registry entry
    assert len(OUTLETS["sql"]) == len(config.outlets)
    assert all(n > 0 for n in OUTLETS["sql"].values())


def _within_sampling_error(share_pct: float | None, p: float, n: int, k: float = 4.0) -> bool:
    got = (share_pct or 0.0) / 100
    return abs(got - p) <= k * math.sqrt(p * (1 - p) / n) + 1e-9


@pytest.mark.slow
def test_simulated_languages_and_clients_recovered(
    sim: tuple[CensusResult, list[dict[str, str]], SimConfig],
) -> None:
    result, covert, config = sim
    devices = result.section("devices")
    posting = devices.table("account_languages")
    n = sum(posting.column("accounts"))
    assert n > 100
    shares = {row[0]: row[2] for row in posting.rows}
    for lang, p in config.covert_languages:
        if lang != "other":
            assert _within_sampling_error(shares.get(lang), p, n), (lang, shares.get(lang), p)
    clients = {row[0]: row[2] for row in devices.table("account_clients").rows}
    m = sum(devices.table("account_clients").column("accounts"))
    for name, p in config.covert_clients:
        assert _within_sampling_error(clients.get(name), p, m), (name, clients.get(name), p)


@pytest.mark.slow
def test_simulated_followers_recovered(
    sim: tuple[CensusResult, list[dict[str, str]], SimConfig],
) -> None:
    result, covert, _ = sim
    truth = [int(r["followers"]) for r in covert if r["followers"]]
    mean = sum(truth) / len(truth)
    dist = {r[0]: r for r in result.section("accounts").table("distribution").rows}
    got_mean = dist["followers"][3]
    sd = math.sqrt(sum((x - mean) ** 2 for x in truth) / (len(truth) - 1))
    assert abs(got_mean - mean) <= 4 * sd / math.sqrt(len(truth)), (got_mean, mean)


@pytest.mark.slow
def test_simulated_survival_matches_the_suspension_process(
    sim: tuple[CensusResult, list[dict[str, str]], SimConfig],
) -> None:
    result, covert, config = sim
    end = max(datetime.fromisoformat(r["created_at"]) for r in covert)
    durations, observed = [], []
    for r in covert:
        start = datetime.fromisoformat(r["created_at"])
        if r["suspended_at"]:
            durations.append((datetime.fromisoformat(r["suspended_at"]) - start).days)
            observed.append(True)
        else:
            durations.append(max((end - start).days, 0))
            observed.append(False)
    truth = kaplan_meier(durations, observed)
    curve = result.section("survival").table("kaplan_meier")
    days, surv = curve.column("days"), curve.column("survival")

    def census_at(t: float) -> float:
        s = 1.0
        for d, v in zip(days, surv, strict=True):
            if d > t:
                break
            s = v
        return s

    # lookups are daily here: the census learns of a suspension up to a day late
    for t in (7, 14, 30, 60):
        assert abs(census_at(t + 1) - truth.at(t)) < 0.08, (t, census_at(t + 1), truth.at(t))
    assert result.section("survival").value("suspended") > 50


@pytest.mark.slow
def test_simulated_campaign_counted(
    sim: tuple[CensusResult, list[dict[str, str]], SimConfig],
) -> None:
    result, _, config = sim
    totals = {r[0]: r for r in result.section("campaigns").table("campaign_totals").rows}
    assert totals["campaign"][2] > 0


def test_filters_parse() -> None:
    assert parse_when("2015-01") == datetime(2015, 1, 1, tzinfo=UTC)
    assert parse_when("2015-12", end=True) == datetime(2016, 1, 1, tzinfo=UTC)
    assert parse_when("2015-01-31", end=True) == datetime(2015, 2, 1, tzinfo=UTC)
    c = parse_campaign("NotInMyName=#NotInMyName, talk together")
    assert c.hashtags == ("notinmyname",) and c.keywords == ("talk together",)


@pytest.mark.slow
def test_the_stored_rollup_and_the_posts_give_the_same_census(tmp_path: Path) -> None:
    """Every table of every section, read from the store's rollup and computed
    from the posts (the rollup emptied, so no longer fresh): the same."""
    from marsad.census.sections.base import Census

    def census(store: DuckDBStore) -> tuple[bool, dict[str, Any]]:
        con = store.analytics()
        probe = Census(con, CensusFilter(), IndicatorRegistry.load().outlets())
        probe.setup()
        got = run_census(con, CensusFilter(top=10)).to_dict()
        got["meta"].pop("generated_at")
        return probe.stored_rollup, got

    with DuckDBStore(tmp_path / "ws") as store:
        ingest_file(store, shared_file(V1), fmt="x-v1")
        ingest_file(store, shared_file("fixtures/x_api_v2_twarc/2sets.jsonl"), fmt="x-v2")
        store.compact_rollups()
        stored, from_rollup = census(store)
        store.execute("DELETE FROM rollup_accounts")
        recomputed, from_posts = census(store)
    assert (stored, recomputed) == (True, False)
    assert from_rollup == from_posts
    assert from_rollup["sections"][0]["tables"][0]["rows"]  # not an empty census


def test_the_ranking_from_a_histogram_is_the_sorted_accounts() -> None:
    """The core and the running totals from posts-per-account counts, against
    sorting every account (many ties, odd and even volumes)."""
    import random

    from marsad.census.sections.accounts import Ranking

    rng = random.Random(5)
    for _ in range(300):
        posts = sorted(rng.choice([1, 1, 1, 2, 3, 7, 40]) for _ in range(rng.randint(1, 60)))
        posts.reverse()
        ranking = Ranking(sorted(Counter(posts).items(), reverse=True))
        volume = sum(posts)
        running, core = 0, 0
        for p in posts:
            if running >= volume / 2:
                break
            running += p
            core += 1
        assert (ranking.accounts, ranking.volume, ranking.core()) == (len(posts), volume, core)
        for rank in range(1, len(posts) + 1):
            assert ranking.running(rank) == sum(posts[:rank])
    assert Ranking([]).core() == 0
