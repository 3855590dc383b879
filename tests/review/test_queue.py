"""The queue's rules, on both stores: sync, priority, claims, decisions, rounds, bulk."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from marsad.errors import Conflict, Forbidden, ReviewError
from marsad.review.db import ReviewDB
from marsad.review.queue import Candidate, Filters, Queue, priority
from marsad.review.users import CONSOLE, User
from tests.review.conftest import candidates

AMINA = User("amina", "reviewer")
OMAR = User("omar", "reviewer")
LEAD = User("layla", "lead")
VIEWER = User("victor", "viewer")


@pytest.fixture
def queue(review_ws: str) -> Queue:
    q = Queue(ReviewDB(review_ws))
    q.sync(CONSOLE, candidates(30))
    return q


def test_priority_weighs_score_reach_and_recency() -> None:
    assert priority(0.9, 10_000, 0) > priority(0.9, 10, 0) > priority(0.9, 10, 365)
    assert priority(0.9, 0, 0) == 0.9
    assert priority(0.9, 0, 30) == pytest.approx(0.45)
    assert priority(0.9, 0, 10_000) == pytest.approx(0.09)  # the floor


def test_sync_adds_once_and_never_reasks_decided(queue: Queue) -> None:
    assert queue.count(Filters()) == 30
    first = queue.list(Filters(), limit=1)[0]
    queue.decide(AMINA, first["id"], "reject", reason="news_report")
    again = queue.sync(CONSOLE, candidates(30))
    assert again == {"added": 0, "refreshed": 0, "unchanged": 30, "reopened": 0, "withdrawn": 0}
    assert queue.count(Filters()) == 29
    # a re-scan with new scores refreshes waiting items only
    rescored = [
        Candidate(
            c.kind,
            c.platform,
            c.target_id,
            c.detector,
            "2",
            0.99,
            c.lang,
            c.outlet,
            c.account_id,
            c.reach,
            c.seen_at,
        )
        for c in candidates(31)
    ]
    result = queue.sync(CONSOLE, rescored)
    assert result == {
        "added": 1,
        "refreshed": 29,
        "unchanged": 1,
        "reopened": 0,
        "withdrawn": 0,
    }
    assert queue.item(first["id"])["status"] == "rejected"
    assert queue.item(first["id"])["score"] != 0.99


def test_a_sync_withdraws_open_items_no_longer_flagged_and_reopens_them(queue: Queue) -> None:
    items = queue.list(Filters(), limit=30)
    by_target = {i["target_id"]: i for i in items}
    decided, claimed, second = by_target["post-0"], by_target["post-1"], by_target["post-2"]
    queue.decide(AMINA, decided["id"], "reject", reason="news_report")
    queue.claim(OMAR, claimed["id"])
    queue.decide(AMINA, second["id"], "escalate")
    keep = candidates(30)[5:]  # post-0 .. post-4 no longer flagged
    gone = [("post", "x", f"post-{i}") for i in range(5)]
    result = queue.sync(
        CONSOLE, keep, withdraw=[*gone, ("post", "x", "post-7"), ("post", "x", "nope")]
    )
    # post-0 decided, post-1 claimed, post-2 escalated, post-7 still flagged: kept
    assert result["withdrawn"] == 2 and result["unchanged"] == 25
    assert {queue.item(by_target[f"post-{i}"]["id"])["status"] for i in (3, 4)} == {"withdrawn"}
    assert queue.item(decided["id"])["status"] == "rejected"
    assert queue.item(claimed["id"])["status"] == "open"
    assert queue.item(second["id"])["status"] == "escalated"
    assert queue.item(by_target["post-7"]["id"])["status"] == "open"
    # withdrawn items are out of the waiting queue, of claims, and listed by status
    assert queue.count(Filters(status="waiting")) == 27
    assert {i["target_id"] for i in queue.list(Filters(status="withdrawn"))} == {"post-3", "post-4"}
    claimed_now = queue.claim_next(LEAD, Filters(), n=100)
    assert not {i["target_id"] for i in claimed_now} & {"post-3", "post-4"}
    with pytest.raises(Conflict):
        queue.decide(AMINA, by_target["post-3"]["id"], "reject", reason="other")
    # a later scan flags post-3 again: it is open again, with its new score
    again = queue.sync(CONSOLE, candidates(30)[3:])
    assert again["reopened"] == 2 and again["withdrawn"] == 0
    assert queue.item(by_target["post-3"]["id"])["status"] == "open"
    assert queue.item(by_target["post-4"]["id"])["status"] == "open"  # also flagged again
    log = queue.db.rows("SELECT details FROM audit_log WHERE action = 'queue.sync'")
    assert any('"withdrawn_items"' in r["details"] for r in log)


def test_the_queue_is_in_priority_order_and_filters(queue: Queue) -> None:
    rows = queue.list(Filters(), limit=100)
    assert [r["priority"] for r in rows] == sorted((r["priority"] for r in rows), reverse=True)
    ar = queue.list(Filters(lang="ar"), limit=100)
    assert ar and all(r["lang"] == "ar" for r in ar) and len(ar) == queue.count(Filters(lang="ar"))
    amaq = queue.list(Filters(outlet="amaq"), limit=100)
    assert {r["target_id"] for r in amaq} == {f"post-{i}" for i in range(0, 30, 7)}
    high = queue.list(Filters(min_score=0.7), limit=100)
    assert high and all(r["score"] >= 0.7 for r in high)
    dated = queue.list(Filters(since="2015-03-01", until="2015-05-01"), limit=100)
    assert dated and all("2015-03" <= r["seen_at"][:7] <= "2015-04" for r in dated)
    assert set(queue.facets()["lang"]) == {"ar", "en", "fr"}


def test_a_claim_keeps_others_out_until_it_expires(queue: Queue) -> None:
    item = queue.claim_next(AMINA, Filters())[0]
    assert item["claimed_by"] == "amina"
    with pytest.raises(Conflict, match="claimed by amina"):
        queue.claim(OMAR, item["id"])
    with pytest.raises(Conflict, match="claimed by amina"):
        queue.decide(OMAR, item["id"], "reject", reason="other")
    # omar's next item is another one
    assert queue.claim_next(OMAR, Filters())[0]["id"] != item["id"]
    # amina goes away: her claim expires and the item is free again
    with queue.db.write() as w:
        w.run(
            "UPDATE queue_items SET claim_expires = '2000-01-01T00:00:00.000000Z' WHERE id = ?",
            [item["id"]],
        )
    assert queue.claim(OMAR, item["id"])["claimed_by"] == "omar"


def test_decisions_follow_the_taxonomy(queue: Queue) -> None:
    item = queue.list(Filters(), limit=1)[0]["id"]
    with pytest.raises(ReviewError, match="needs a category"):
        queue.decide(AMINA, item, "confirm")
    with pytest.raises(ReviewError, match="needs an entity"):
        queue.decide(AMINA, item, "confirm", category="recruitment")
    with pytest.raises(ReviewError, match="needs a reason"):
        queue.decide(AMINA, item, "reject", reason="because")
    with pytest.raises(ReviewError, match="confirm, reject or escalate"):
        queue.decide(AMINA, item, "delete")
    with pytest.raises(Forbidden):
        queue.decide(VIEWER, item, "reject", reason="other")
    done = queue.decide(
        AMINA, item, "confirm", category="recruitment", entity="islamic_state", note="clear case"
    )
    assert done["status"] == "confirmed"
    full = queue.item(item)
    assert [(d["reviewer"], d["category"]) for d in full["decisions"]] == [("amina", "recruitment")]
    assert [n["text"] for n in full["notes"]] == ["clear case"]
    with pytest.raises(Conflict, match="already decided"):
        queue.decide(OMAR, item, "reject", reason="other")


def test_a_retried_decision_is_not_decided_twice(queue: Queue) -> None:
    item = queue.list(Filters(), limit=1)[0]
    args = {"category": "incitement", "entity": "other", "expected_round": item["round"]}
    queue.decide(AMINA, item["id"], "confirm", **args)
    again = queue.decide(AMINA, item["id"], "confirm", **args)  # the retry
    assert again["status"] == "confirmed"
    assert len(queue.item(item["id"])["decisions"]) == 1
    with pytest.raises(Conflict):
        queue.decide(OMAR, item["id"], "confirm", **args)


def test_escalated_items_are_for_leads(queue: Queue) -> None:
    item = queue.list(Filters(), limit=1)[0]["id"]
    assert queue.decide(AMINA, item, "escalate", note="not sure")["status"] == "escalated"
    with pytest.raises(Forbidden):
        queue.claim(OMAR, item)
    assert all(i["id"] != item for i in queue.claim_next(OMAR, Filters(), n=100))
    assert queue.decide(LEAD, item, "reject", reason="counter_speech")["status"] == "rejected"
    assert [d["decision"] for d in queue.item(item)["decisions"]] == ["escalate", "reject"]


def test_second_reviewer_for_accounts(review_ws: str) -> None:
    q = Queue(ReviewDB(review_ws))
    q.sync(CONSOLE, candidates(4, kind="account"))
    with pytest.raises(Forbidden):
        q.set_setting(AMINA, "second_review", "on")
    with pytest.raises(ReviewError):
        q.set_setting(CONSOLE, "second_review", "maybe")
    q.set_setting(CONSOLE, "second_review", "on")
    a, b = (r["id"] for r in q.list(Filters(), limit=2))
    assert (
        q.decide(AMINA, a, "confirm", category="support_glorification", entity="other")["status"]
        == "second_review"
    )
    with pytest.raises(Conflict, match="second reviewer"):
        q.decide(AMINA, a, "confirm", category="support_glorification", entity="other")
    assert all(i["id"] != a for i in q.claim_next(AMINA, Filters(), n=10))
    assert (
        q.decide(OMAR, a, "confirm", category="support_glorification", entity="other")["status"]
        == "confirmed"
    )
    # disagreement goes to a lead
    q.decide(AMINA, b, "confirm", category="recruitment", entity="other")
    assert q.decide(OMAR, b, "reject", reason="research_archive")["status"] == "escalated"
    assert [d["round"] for d in q.item(b)["decisions"]] == [1, 2]


def test_bulk_decisions_on_an_account(queue: Queue) -> None:
    held = queue.list(Filters(account_id="acc-0"), limit=100)
    assert len(held) == 10
    queue.claim(AMINA, held[0]["id"])  # amina holds one: left to her
    with pytest.raises(Forbidden):
        queue.bulk_decide(AMINA, "x", "acc-0", "reject", reason="news_report")
    ids = queue.bulk_decide(LEAD, "x", "acc-0", "reject", reason="news_report")
    assert len(ids) == 9 and held[0]["id"] not in ids
    assert queue.count(Filters(account_id="acc-0")) == 1


def test_concurrent_claims_never_share_an_item(review_ws: str) -> None:
    q = Queue(ReviewDB(review_ws))
    q.sync(CONSOLE, candidates(200))
    got: list[int] = []
    lock = threading.Lock()

    def reviewer(k: int) -> None:
        user = User(f"r{k}", "reviewer")
        while True:
            items = q.claim_next(user, Filters(), n=3)
            if not items:
                return
            for it in items:
                q.decide(user, it["id"], "reject", reason="other", expected_round=1)
                with lock:
                    got.append(it["id"])

    threads = [threading.Thread(target=reviewer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 200 and len(set(got)) == 200
    rows = q.db.rows("SELECT item_id, count(*) AS n FROM decisions GROUP BY item_id")
    assert len(rows) == 200 and Counter(int(r["n"]) for r in rows) == {1: 200}
    q.db.close()
