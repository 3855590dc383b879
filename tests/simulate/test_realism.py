"""The realism knobs: what a study can see, and what a linker must not be flattered by.

One tiny simulation with every knob turned on (shared by the module), plus
runs that differ in one knob where a comparison is the point.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest

from marsad.accounts.names import handle_stems
from marsad.errors import ConfigError
from marsad.pipeline import ingest_file
from marsad.simulate import SimConfig
from marsad.simulate.population import RENAMED
from marsad.simulate.text import VARIATIONS
from marsad.store.duckdb import DuckDBStore
from tests.simulate.helpers import TINY, Sim, run_sim

#: every realism knob on, at values where each effect shows in a tiny run
KNOBS = dataclasses.replace(
    TINY,
    lookup_every_days=0,
    suspension_times_known=True,
    avatar_reuse_rate=0.5,
    avatar_media_kept=True,
    lookalike_name_share=0.2,
    rename_rate=0.4,
    newcomer_rate=3.0,
    newcomer_covert_share=0.3,
)
_OLD_ARTEFACT = re.compile(r"av\d{7}v\d+")


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def knobs(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    return run_sim(KNOBS, tmp_path_factory.mktemp("knobs"), jobs=1)


@pytest.fixture(scope="module")
def knobs_store(knobs: Sim, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    """The marsad JSONL route and the status CSV, through the real pipeline."""
    store = DuckDBStore(tmp_path_factory.mktemp("knobs-ws") / "ws")
    for path, fmt in knobs.summary.inputs:
        if fmt in {"marsad-jsonl", "status-csv"}:
            summary = ingest_file(store, path, fmt=fmt)
            assert summary.quarantined == 0, (path.name, summary.problems)
    yield store
    store.close()


def _x_accounts(sim: Sim) -> dict[str, dict[str, str]]:
    return {r["native_id"]: r for r in sim.accounts if r["platform"] == "x"}


def _profiles(sim: Sim) -> dict[str, dict[str, object]]:
    """The final ``account`` record of every X account in marsad.jsonl."""
    return {
        str(o["native_id"]): o
        for o in sim.lines("marsad.jsonl")
        if o["type"] == "account" and o["platform"] == "x"
    }


# -- avatars -------------------------------------------------------------------------------


def test_avatar_urls_carry_no_identity(knobs: Sim) -> None:
    profiles = _profiles(knobs)
    urls = [str(p["avatar_url"]) for p in profiles.values()]
    uploads = [u for u in urls if "default_profile" not in u]
    assert uploads and not any(_OLD_ARTEFACT.search(u) for u in uploads)
    files = [urlparse(u).path.rsplit("/", 1)[-1] for u in uploads]
    assert len(set(files)) == len(files), "two uploads share a file name"
    reused = [r for r in knobs.lineage if r["same_avatar"] == "true"]
    assert reused, "the run re-uploads pictures"
    for r in reused:  # two uploads of one picture: nothing in common
        succ = urlparse(str(profiles[r["successor_id"]]["avatar_url"])).path.split("/")
        pred = urlparse(str(profiles[r["predecessor_id"]]["avatar_url"])).path.split("/")
        assert succ[-2] != pred[-2] and succ[-1] != pred[-1]


def test_reused_pictures_hash_close_and_new_ones_far(knobs: Sim) -> None:
    profiles = _profiles(knobs)

    def distance(a: str, b: str) -> int:
        ha, hb = profiles[a]["avatar_hash"], profiles[b]["avatar_hash"]
        return (int(str(ha), 16) ^ int(str(hb), 16)).bit_count()

    same = [distance(r["successor_id"], r["predecessor_id"]) for r in knobs.lineage if r["same_avatar"] == "true"]  # fmt: skip
    other = [distance(r["successor_id"], r["predecessor_id"]) for r in knobs.lineage if r["same_avatar"] == "false"]  # fmt: skip
    assert same and other
    assert max(same) <= 8  # a re-encoding: a few bits
    assert sum(same) > 0  # ... but not the same bytes
    assert min(other) > 31  # a new picture: beyond PDQ's match distance


def test_avatar_hashes_only_when_media_were_kept(tmp_path: Path) -> None:
    config = dataclasses.replace(TINY, posts=200, avatar_media_kept=False)
    sim = run_sim(config, tmp_path, jobs=1, formats=["marsad-jsonl"])
    accounts = [o for o in sim.lines("marsad.jsonl") if o["type"] == "account"]
    assert accounts and not any("avatar_hash" in o for o in accounts)
    assert any("profile_images" in str(o.get("avatar_url", "")) for o in accounts)


# -- suspension times ---------------------------------------------------------------------


def test_exact_suspension_times_ingest_and_equal_the_truth(
    knobs: Sim, knobs_store: DuckDBStore
) -> None:
    assert knobs.summary.inputs[-1] == (knobs.out / "status/suspensions.csv", "status-csv")
    truth = {k: r["suspended_at"] for k, r in _x_accounts(knobs).items() if r["suspended_at"]}
    assert truth
    rows = knobs_store.query(
        "SELECT account_id, min(observed_at) FROM status_events "
        "WHERE platform = 'x' AND status = 'suspended' GROUP BY 1"
    )
    found = {k: t for k, t in rows}
    assert set(found) == set(truth)
    for k, when in found.items():
        assert when == _t(truth[k]), k


def test_no_status_csv_unless_the_times_are_known(tiny: Sim) -> None:
    assert not (tiny.out / "status").exists()
    assert all(fmt != "status-csv" for _, fmt in tiny.summary.inputs)


def test_lookup_every_0_days_is_only_the_final_lookup(knobs: Sim) -> None:
    end = KNOBS.end
    pages = knobs.lines("x_v2_users.jsonl")
    assert pages
    assert {_t(p["__twarc"]["retrieved_at"]) for p in pages} == {end}
    seen = {
        _t(str(o["observed_at"]))
        for o in knobs.lines("marsad.jsonl")
        if o["type"] in {"snapshot", "status"}
    }
    assert seen == {end}


def test_weekly_lookups_are_weekly(tiny: Sim) -> None:
    # the same check fails for the default: lookups every 7 days before the final one
    times = sorted({_t(p["__twarc"]["retrieved_at"]) for p in tiny.lines("x_v2_users.jsonl")})
    # from the start every 7 days, then the final lookup at the end
    assert len(times) == -(-TINY.days // TINY.lookup_every_days) + 1
    steps = zip(times[:-2], times[1:-1], strict=True)
    assert all((b - a).days == TINY.lookup_every_days for a, b in steps)


# -- names -------------------------------------------------------------------------------


def _unrelated_sharing_a_covert_stem(sim: Sim) -> int:
    rows = _x_accounts(sim).values()
    covert = {s for r in rows if r["is_covert"] == "true" for s in handle_stems(r["handle"])}
    return sum(1 for r in rows if r["is_covert"] == "false" and handle_stems(r["handle"]) & covert)


def test_lookalike_names_make_unrelated_accounts_share_covert_stems(tmp_path: Path) -> None:
    base = dataclasses.replace(TINY, accounts=600, posts=300, telegram_posts=10)
    plain = run_sim(base, tmp_path / "plain", jobs=1, formats=["telegram"])
    alike = run_sim(
        dataclasses.replace(base, lookalike_name_share=0.3),
        tmp_path / "alike",
        jobs=1,
        formats=["telegram"],
    )
    assert _unrelated_sharing_a_covert_stem(alike) >= 1.2 * _unrelated_sharing_a_covert_stem(plain)
    # first generations only: a successor's handle variation may add a kunya to any handle
    kunya = [
        r
        for r in alike.accounts
        if r["handle"].startswith(("abu", "abou")) and r["generation"] == "0"
    ]
    assert {r["role"] for r in kunya} >= {"ordinary", "amplifier"}  # supporters and others alike
    assert not {r["role"] for r in kunya} & {"hub", "outlet", "news", "campaign"}


def test_renamed_successors_are_true_recreations_with_unrelated_handles(knobs: Sim) -> None:
    rows = _x_accounts(knobs)
    renamed = [r for r in knobs.lineage if r["handle_variation"] == RENAMED]
    varied = [r for r in knobs.lineage if r["handle_variation"] in VARIATIONS]
    assert renamed and varied
    unrelated = 0
    for r in renamed:
        succ, pred = rows[r["successor_id"]], rows[r["predecessor_id"]]
        assert succ["predecessor_id"] == pred["native_id"]
        assert succ["family_id"] == pred["family_id"]
        assert _t(succ["created_at"]) > _t(pred["suspended_at"])
        unrelated += not handle_stems(succ["handle"]) & handle_stems(pred["handle"])
    # drawn afresh: only a chance collision of the given name leaves a shared stem
    assert unrelated >= 0.8 * len(renamed)
    assert all(handle_stems(rows[r["successor_id"]]["handle"]) & handle_stems(rows[r["predecessor_id"]]["handle"]) for r in varied)  # fmt: skip


# -- newcomers ---------------------------------------------------------------------------


def test_newcomers_join_during_the_period_with_no_lineage(
    knobs: Sim, knobs_store: DuckDBStore
) -> None:
    rows = _x_accounts(knobs)
    start, end = KNOBS.start, KNOBS.end
    newcomers = [
        r for r in rows.values() if r["generation"] == "0" and _t(r["created_at"]) >= start
    ]
    assert len(newcomers) == knobs.summary.newcomers > 0
    assert all(start <= _t(r["created_at"]) < end for r in newcomers)
    ids = {r["native_id"] for r in newcomers}
    assert not ids & {r["successor_id"] for r in knobs.lineage}
    assert all(not r["predecessor_id"] and r["family_id"] == r["native_id"] for r in newcomers)
    roles = {r["role"] for r in newcomers}
    assert "ordinary" in roles and roles & {"amplifier", "supporter", "shoutout", "hub"}
    assert "outlet" not in roles
    assert sum(int(r["posts"]) for r in newcomers) > 0  # they post like their role
    stored = dict(
        knobs_store.query(
            "SELECT native_id, created_at FROM accounts WHERE platform = 'x' AND created_at >= ?",
            [start],
        )
    )
    assert ids <= set(stored)
    # first-generation accounts all existed before the period
    firsts = [r for r in rows.values() if r["generation"] == "0" and r["native_id"] not in ids]
    assert all(_t(r["created_at"]) < start for r in firsts)


def test_no_newcomers_by_default(tiny: Sim) -> None:
    assert tiny.summary.newcomers == 0
    assert all(
        _t(r["created_at"]) < TINY.start
        for r in tiny.accounts
        if r["platform"] == "x" and r["generation"] == "0"
    )


# -- guards ----------------------------------------------------------------------------------


def test_parquet_export_refuses_known_suspension_times(tmp_path: Path) -> None:
    from marsad.simulate.parquet import simulate_parquet

    with pytest.raises(ConfigError, match="status CSV"):
        simulate_parquet(KNOBS, tmp_path)


# -- personal habits ---------------------------------------------------------------------


def _hours_and_signatures(sim: Sim, out: Path) -> tuple[dict[str, int], dict[str, str]]:
    """Each account's modal posting hour and its most common signature token."""
    from collections import Counter, defaultdict

    from marsad.simulate.text import SIGNATURES

    store = DuckDBStore(out / "ws")
    for path, fmt in sim.summary.inputs:
        if fmt == "marsad-jsonl":
            ingest_file(store, path, fmt=fmt)
    rows = store.query(
        "SELECT account_id, hour(created_at AT TIME ZONE 'UTC'), text FROM posts "
        "WHERE platform = 'x' AND kind = 'post'"
    )
    store.close()
    hours: dict[str, Counter[int]] = defaultdict(Counter)
    marks: dict[str, Counter[str]] = defaultdict(Counter)
    known = set(SIGNATURES)
    for account, hour, text in rows:
        hours[str(account)][int(hour)] += 1
        marks[str(account)].update(t for t in str(text).split() if t in known)
    enough = [a for a, c in hours.items() if c.total() >= 4]
    return (
        {a: hours[a].most_common(1)[0][0] for a in enough},
        {a: (marks[a].most_common(1) or [("", 0)])[0][0] for a in enough},
    )


def test_successors_keep_their_habits(tmp_path: Path) -> None:
    config = dataclasses.replace(TINY, habit_strength=0.8, habit_persistence=1.0, posts=15000)
    sim = run_sim(config, tmp_path / "sim", jobs=1)
    hours, marks = _hours_and_signatures(sim, tmp_path)
    pairs = [
        (r["successor_id"], r["predecessor_id"])
        for r in sim.lineage
        if r["successor_id"] in hours and r["predecessor_id"] in hours
    ]
    assert len(pairs) >= 10
    same_hour = sum(abs(hours[s] - hours[p]) % 23 <= 1 for s, p in pairs) / len(pairs)
    same_mark = sum(marks[s] == marks[p] for s, p in pairs) / len(pairs)
    # unrelated accounts: a pair of one account with the next in the list
    ids = sorted(hours)
    chance = sum(abs(hours[a] - hours[b]) % 23 <= 1 for a, b in zip(ids, ids[1:], strict=False))
    assert same_hour >= 0.7 and same_mark >= 0.5, (same_hour, same_mark)
    assert chance / (len(ids) - 1) < 0.4


def test_no_habits_by_default_leave_posts_as_they_were(tiny: Sim) -> None:
    from marsad.simulate.text import SIGNATURES

    assert TINY.habit_strength == 0.0
    pages = tiny.lines("x_v2_tweets.jsonl")
    texts = [d["text"] for page in pages for d in page.get("data", [])]
    assert texts and not any(t.rstrip().endswith(tuple(SIGNATURES)) for t in texts)


def test_no_profile_is_dated_after_its_suspension(knobs: Sim) -> None:
    """X returns no suspended account: a search page retrieved after the
    suspension has no user object for it, and a mention of it is X's
    "User has been suspended" error (a realistic hint, not a dated profile)."""
    suspended = {
        a["native_id"]: _t(a["suspended_at"])
        for a in knobs.accounts
        if a["platform"] == "x" and a["suspended_at"]
    }
    handles = {a["handle"]: a["native_id"] for a in knobs.accounts if a["platform"] == "x"}
    dated = 0
    errors = 0
    for name in ("x_v2_tweets.jsonl", "x_v2_followers.jsonl", "x_v2_users.jsonl"):
        for page in knobs.lines(name):
            at = _t(page["__twarc"]["retrieved_at"])
            users = page.get("data", []) if name != "x_v2_tweets.jsonl" else []
            users += page.get("includes", {}).get("users", [])
            for u in users:
                dated += 1
                assert u["id"] not in suspended or at < suspended[u["id"]], (name, u["id"])
            for e in page.get("errors", []):
                if e["parameter"] == "entities.mentions.username":
                    errors += 1
                    assert e["detail"] == f"User has been suspended: [{e['value']}]."
                    assert suspended[handles[e["value"]]] <= at
    assert dated > 1000
    assert errors > 0


def test_a_population_too_small_for_every_pool_still_simulates(tmp_path: Path) -> None:
    """At 100 accounts the census-2014 profile leaves some follower pools empty
    (a community with no covert accounts); those draw nobody instead of failing."""
    config = SimConfig.from_profile("census-2014", accounts=100, posts=2000)
    sim = run_sim(config, tmp_path, formats=("x-v2",))
    ids = {a["native_id"] for a in sim.accounts}
    followers = [u["id"] for page in sim.lines("x_v2_followers.jsonl") for u in page["data"]]
    assert len(followers) == sim.summary.follow_edges > 0
    assert set(followers) <= ids
