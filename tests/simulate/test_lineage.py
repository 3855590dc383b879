"""The TRUE lineage is consistent, and re-created accounts look the way the docs say."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from marsad.simulate.population import RENAMED
from marsad.simulate.text import VARIATIONS, handle_variant
from tests.simulate.helpers import Sim

_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_successors_come_after_their_predecessors_suspension(tiny: Sim) -> None:
    rows = {r["native_id"]: r for r in tiny.accounts}
    successors = [r for r in rows.values() if r["predecessor_id"]]
    assert successors, "the tiny run re-creates accounts"
    for r in successors:
        pred = rows[r["predecessor_id"]]
        assert pred["suspended_at"], f"{pred['native_id']} was replaced but never suspended"
        assert _t(r["created_at"]) > _t(pred["suspended_at"])
        assert (r["role"], r["community"], r["language"]) == (
            pred["role"],
            pred["community"],
            pred["language"],
        )
    for r in rows.values():
        if r["suspended_at"]:
            assert _t(r["suspended_at"]) > _t(r["created_at"])


def test_families_are_chains(tiny: Sim) -> None:
    rows = {r["native_id"]: r for r in tiny.accounts if r["platform"] == "x"}
    preds = [r["predecessor_id"] for r in rows.values() if r["predecessor_id"]]
    assert len(preds) == len(set(preds)), "an account has two successors"
    for r in rows.values():
        depth, cur, seen = 0, r, set()
        while cur["predecessor_id"]:
            assert cur["native_id"] not in seen, "a cycle"
            seen.add(cur["native_id"])
            cur = rows[cur["predecessor_id"]]
            depth += 1
        assert cur["family_id"] == cur["native_id"] == r["family_id"]
        assert int(r["generation"]) == depth
    assert max(int(r["generation"]) for r in rows.values()) >= 2  # chains longer than one step


def test_lineage_file_matches_accounts(tiny: Sim) -> None:
    rows = {r["native_id"]: r for r in tiny.accounts}
    pairs = {(r["native_id"], r["predecessor_id"]) for r in rows.values() if r["predecessor_id"]}
    assert {(r["successor_id"], r["predecessor_id"]) for r in tiny.lineage} == pairs
    for r in tiny.lineage:
        succ, pred = rows[r["successor_id"]], rows[r["predecessor_id"]]
        assert r["successor_handle"] == succ["handle"] != pred["handle"] == r["predecessor_handle"]
        assert r["handle_variation"] in (*VARIATIONS, RENAMED)
        assert r["successor_created_at"] == succ["created_at"]
        assert r["predecessor_suspended_at"] == pred["suspended_at"]
        if r["handle_variation"] == "suffix":
            assert succ["handle"].endswith(f"_{int(r['generation']) + 1}")


def test_handles_are_valid_and_unique(tiny: Sim) -> None:
    handles = [r["handle"] for r in tiny.accounts if r["platform"] == "x"]
    assert len(handles) == len(set(handles))
    assert all(_HANDLE.match(h) for h in handles)


def test_accounts_post_only_while_they_exist(tiny: Sim) -> None:
    rows = {r["native_id"]: r for r in tiny.accounts}
    for page in tiny.lines("x_v2_tweets.jsonl"):
        for t in page["data"]:
            author = rows[t["author_id"]]
            when = _t(t["created_at"])
            assert _t(author["created_at"]) <= when
            if author["suspended_at"]:
                assert when < _t(author["suspended_at"])


def test_shout_outs_announce_existing_successors(tiny: Sim) -> None:
    rows = {r["native_id"]: r for r in tiny.accounts}
    announced = 0
    for page in tiny.lines("x_v2_tweets.jsonl"):
        for t in page["data"]:
            if t["text"].startswith("RT @") or "referenced_tweets" in t:
                continue
            for m in t.get("entities", {}).get("mentions", []):
                target = rows[m["id"]]
                assert t["text"][m["start"] : m["end"]] == "@" + target["handle"]
                if target["predecessor_id"] and rows[t["author_id"]]["role"] == "shoutout":
                    assert _t(target["created_at"]) <= _t(t["created_at"])
                    announced += 1
    assert announced > 0


def test_monitored_suspensions_are_seen_by_lookups(tiny: Sim) -> None:
    rows = {r["native_id"]: r for r in tiny.accounts}
    first_seen: dict[str, datetime] = {}
    for page in tiny.lines("x_v2_users.jsonl"):
        when = _t(page["__twarc"]["retrieved_at"])
        for e in page.get("errors", []):
            first_seen.setdefault(e["resource_id"], when)
        for u in page.get("data", []):
            r = rows[u["id"]]
            assert not r["suspended_at"] or when < _t(r["suspended_at"])  # found only while active
    suspended = {k for k, r in rows.items() if r["suspended_at"]}
    assert set(first_seen) == suspended
    for k, when in first_seen.items():
        assert when >= _t(rows[k]["suspended_at"])


@pytest.mark.parametrize(
    ("handle", "kind", "generation", "pick", "expected"),
    [
        ("omar", "suffix", 1, 0, "omar_2"),  # first re-creation: _2
        ("omar_2", "suffix", 2, 0, "omar_3"),  # the old suffix is replaced, not stacked
        ("nour12", "digits", 1, 0, "nour21"),  # two different digits: reversed
        ("nour11", "digits", 1, 0, "nour12"),  # equal digits: changed
        ("nour", "digits", 1, 0, "nour2"),  # no digits: one appended
        ("omar", "kunya", 1, 0, "abu_omar"),  # kunya-style prefix
        ("abu_omar", "kunya", 2, 0, "omar_3"),  # prefix dropped, suffix added
        ("omar", "lookalike", 1, 0, "0mar"),  # a letter becomes a look-alike digit
        ("omar", "lookalike", 1, 1, "om4r"),  # another pick, another letter
        ("omar", "underscore", 1, 0, "omar_"),  # trailing underscore
        ("abcdefghijklmno", "suffix", 1, 0, "abcdefghijklm_2"),  # stays within 15 characters
        ("abcdefghijklmno", "kunya", 1, 0, "abu_abcdefghijk"),  # ditto with the prefix
        ("abcdefghijklmn_", "underscore", 1, 3, "abcdefghijklmn3"),  # full: a digit instead
    ],
)
def test_handle_variants(handle: str, kind: str, generation: int, pick: int, expected: str) -> None:
    out = handle_variant(handle, kind, generation, pick)
    assert out == expected
    assert out != handle and _HANDLE.match(out)


def test_unknown_variation_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown handle variation"):
        handle_variant("omar", "reverse", 1, 0)
