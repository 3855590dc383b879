"""Referrals: confirmed items packaged per platform, exported, sent, answered.

On a small simulation (scanned, scored, linked), with a scripted reviewer
deciding from the simulator's ground truth."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marsad.act import referrals as R
from marsad.act.removal import from_export, from_statuses
from marsad.act.transparency import report
from marsad.errors import Conflict, Forbidden, InputError
from marsad.review import audit
from marsad.review.queue import Filters
from marsad.review.service import Review
from marsad.review.users import CONSOLE, User

COVERT = {"hub", "amplifier", "supporter", "shoutout", "outlet", "relay"}
LEAD = User("lina", "lead")


def _decide(review: Review, truth: dict[str, str], n: int = 120) -> dict[str, int]:
    """Decide the first *n* waiting items as the ground truth says."""
    done = {"confirm": 0, "reject": 0}
    for it in review.queue.list(Filters(), limit=n):
        acc = it["account_id"] if it["kind"] != "link" else it["target_id"].partition(">")[0]
        if truth.get(acc) in COVERT:
            review.queue.decide(
                LEAD, it["id"], "confirm", category="recruitment", entity="islamic_state"
            )
            done["confirm"] += 1
        else:
            review.queue.decide(LEAD, it["id"], "reject", reason="news_report")
            done["reject"] += 1
    return done


@pytest.fixture
def decided(analysed_ws: Path, analysed_template: Path) -> Path:
    truth_file = analysed_template.parent / "sim" / "ground_truth" / "accounts.csv"
    truth = {r["native_id"]: r["role"] for r in csv.DictReader(truth_file.open())}
    with Review(analysed_ws) as review:
        review.sync(CONSOLE)
        done = _decide(review, truth)
    assert done["confirm"] > 20
    return analysed_ws


def test_create_export_send_answer(decided: Path, tmp_path: Path) -> None:
    with Review(decided) as review:
        confirmed = review.queue.count(Filters(status="confirmed", platform="x"))
        with pytest.raises(Forbidden):  # a reviewer does not refer
            R.create_referral(review, User("amina", "reviewer"), "x")
        ref = R.create_referral(review, LEAD, "x", contact="abuse@example.test")
        assert len(ref["items"]) == confirmed
        assert {i["state"] for i in ref["items"]} == {"pending"}
        # an item is referred once unless asked again
        with pytest.raises(Conflict, match="no confirmed x item is left"):
            R.create_referral(review, LEAD, "x")
        kinds = {i["kind"] for i in ref["items"]}
        assert {"post", "account"} <= kinds
        for i in ref["items"]:
            # X items all have a public URL: the handle's status or profile page
            assert i["url"].startswith("https://x.com/")
            if i["kind"] == "post":
                assert i["url"].endswith("/status/" + i["target_id"])
                assert "risk" in i["summary"]
                assert "text" not in json.dumps(i["summary"])  # no post text goes out
        paths = R.export_referral(review, LEAD, ref["id"], tmp_path)
    names = sorted(p.name for p in paths)
    assert names == [f"referral-{ref['id']}.{x}" for x in ("csv", "html", "json")]
    data = json.loads((tmp_path / f"referral-{ref['id']}.json").read_text())
    assert data["format"] == R.FORMAT and data["referral"]["items"] == confirmed
    rows = list(csv.DictReader((tmp_path / f"referral-{ref['id']}.csv").open(encoding="utf-8-sig")))
    assert [r["ref"] for r in rows] == [i["ref"] for i in data["items"]]
    assert list(rows[0]) == list(R.CSV_COLUMNS)
    page = (tmp_path / f"referral-{ref['id']}.html").read_text()
    assert 'dir="rtl"' in page and "إحالة" in page and "How to reply" in page
    assert "<script" not in page

    with Review(decided) as review:
        sent = R.send_referral(review, LEAD, ref["id"], at="2026-12-01T00:00:00Z")
        assert {i["state"] for i in sent["items"]} <= {"sent", "removed"}
        with pytest.raises(Conflict, match="was sent"):
            R.send_referral(review, LEAD, ref["id"])
        first, second, third = sent["items"][:3]
        reply = tmp_path / "reply.csv"
        reply.write_text(
            "ref,status,at,note\n"
            f"{first['ref']},removed,2026-12-03T00:00:00Z,taken down\n"  # applied
            f"{second['ref']},Acknowledged,2026-12-02,\n"  # a synonym's case; a date
            "MRS-999999,removed,2026-12-02,\n"  # unknown reference: skipped
            f"{third['ref']},maybe,2026-12-02,\n"  # unknown status: skipped
            f"{third['ref']},removed,yesterday,\n"  # not a time: skipped
            f"{third['ref']},removed,2026-12-04,x,extra\n"  # more cells than the header
            "not-a-ref,removed,2026-12-04,\n"  # not a reference
        )
        got = R.read_reply(review, LEAD, reply)
        assert (got.applied, got.unchanged) == (2, 0)
        assert [n for n, _ in got.skipped] == [4, 5, 6, 7, 8]
        assert "MRS-999999" in got.skipped[0][1]
        again = R.read_reply(review, LEAD, reply)  # the same file again changes nothing
        assert (again.applied, again.unchanged) == (0, 2)
        item = R.referred_item(review, first["ref"])
        assert item["state"] == "removed" and item["removal_source"] == "platform"
        assert item["removed_at"] == "2026-12-03T00:00:00.000000Z"
        # an earlier removal from another source moves the time back; a later one does not
        R.set_state(
            review, LEAD, first["ref"], "removed", at="2026-12-02T12:00:00Z", source="check-urls"
        )
        R.set_state(
            review, LEAD, first["ref"], "removed", at="2026-12-05T00:00:00Z", source="check-urls"
        )
        item = R.referred_item(review, first["ref"])
        assert item["removed_at"] == "2026-12-02T12:00:00.000000Z"
        assert item["removal_source"] == "check-urls"
        assert [e["state"] for e in item["events"]] == ["pending", "sent", "removed", "removed"]
        n, _, problem = audit.verify(review.db)
        assert problem is None and n > 100


@pytest.mark.parametrize(
    "header",
    [
        "status,at\n",  # no way to name an item
        "ref,at\n",  # no status
        "",  # empty
    ],
)
def test_a_reply_without_the_needed_columns_is_refused(
    decided: Path, tmp_path: Path, header: str
) -> None:
    reply = tmp_path / "r.csv"
    reply.write_text(header + "MRS-1,removed\n")
    with Review(decided) as review, pytest.raises(InputError, match="status column"):
        R.read_reply(review, LEAD, reply)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=400))
def test_reply_parser_fuzz(
    decided: Path, tmp_path_factory: pytest.TempPathFactory, body: bytes
) -> None:
    """Arbitrary bytes after a good header: an InputError or rows applied/skipped, nothing else."""
    path = tmp_path_factory.mktemp("fuzz") / "reply.csv"
    path.write_bytes(b"ref,status,at,note\n" + body)
    with Review(decided) as review:
        before = review.db.value("SELECT count(*) FROM audit_log")
        try:
            got = R.read_reply(review, LEAD, path)
        except InputError:
            assert review.db.value("SELECT count(*) FROM audit_log") == before
            return
        assert got.applied == 0  # nothing was sent: no item can change
        assert review.db.value("SELECT count(*) FROM audit_log") == before


def test_statuses_and_a_later_export_remove(
    decided: Path, analysed_template: Path, tmp_path: Path
) -> None:
    sim = analysed_template.parent / "sim"
    truth = list(csv.DictReader((sim / "ground_truth" / "accounts.csv").open()))
    with Review(decided) as review:
        ref = R.create_referral(review, LEAD, "x")
        R.send_referral(review, LEAD, ref["id"], at="2014-01-01T00:00:00Z")
        changed = from_statuses(review, LEAD)
        removed = [i for i in R.referral(review, ref["id"])["items"] if i["state"] == "removed"]
        assert changed == len(removed) > 0
        suspended = {r["native_id"] for r in truth if r["suspended_at"]}
        # every removal is of an account the simulator suspended
        assert {i["account_id"] for i in removed} <= suspended
        assert from_statuses(review, LEAD) == 0  # again: nothing changes
        # a later export of the tweets without the referred posts still up
        up = {
            i["target_id"]
            for i in R.referral(review, ref["id"])["items"]
            if i["kind"] == "post" and i["state"] != "removed"
        }
        assert up
        later = tmp_path / "later.jsonl"
        dropped = 0
        with (sim / "x_v2_tweets.jsonl").open() as src, later.open("w") as dst:
            for line in src:
                page = json.loads(line)
                kept = [t for t in page.get("data", []) if t["id"] not in up]
                dropped += len(page.get("data", [])) - len(kept)
                page["data"] = kept
                dst.write(json.dumps(page) + "\n")
        assert dropped == len(up)
        got = from_export(review, LEAD, later, at="2014-06-01T00:00:00.000000Z")
        assert got.posts > 1000 and 0 < got.missing <= len(up)
        states = {i["target_id"]: i for i in R.referral(review, ref["id"])["items"]}
        for pid in up:
            if states[pid]["state"] == "removed":
                assert states[pid]["removal_source"] == "missing-from-export"


def test_transparency_replays_the_tables(decided: Path) -> None:
    """The report, replayed from the audit log, equals what the tables hold."""
    with Review(decided) as review:
        ref = R.create_referral(review, LEAD, "x")
        R.send_referral(review, LEAD, ref["id"], at="2026-12-01T00:00:00Z")
        items = R.referral(review, ref["id"])["items"]
        for k, i in enumerate(items[:30]):
            state = ("removed", "acknowledged", "declined", "still_up")[k % 4]
            R.set_state(review, LEAD, i["ref"], state, at=f"2026-12-{2 + k % 9:02d}T06:00:00Z")
        result = report(review, until="2026-12-31T00:00:00.000000Z")
        rows = review.db.rows(
            "SELECT state, sent_at, removed_at FROM referral_items WHERE referral_id = ?",
            [ref["id"]],
        )
        confirmed = review.queue.count(Filters(status="confirmed"))
        rejected = review.queue.count(Filters(status="rejected"))
    removal = result.section("removal")
    assert removal.value("sent") == len(rows)
    assert removal.value("removed") == sum(r["state"] == "removed" for r in rows)
    days = sorted(
        (_t(r["removed_at"]) - _t(r["sent_at"])).total_seconds() / 86400
        for r in rows
        if r["state"] == "removed" and r["removed_at"] >= r["sent_at"]
    )
    import statistics

    assert removal.value("median_days") == round(statistics.median(days), 4)
    reviewed = result.section("reviewed")
    assert (reviewed.value("confirmed"), reviewed.value("rejected")) == (confirmed, rejected)


def _t(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_check_urls_resumes_an_interrupted_run(decided: Path, tmp_path: Path) -> None:
    """A run stopped after two batches, taken up again: every referred URL is
    asked exactly once in the run, and what the first part wrote stays."""
    from datetime import UTC, datetime

    from marsad.act import removal
    from marsad.act.check import CheckOptions
    from marsad.simulate.fake_platform import FakeItem, FakePlatform

    with FakePlatform([]) as platform, Review(decided) as review:
        base = platform.base_url()
        templates = {"x": {"post": base + "/{handle}/status/{id}", "account": base + "/{handle}"}}
        ref = R.create_referral(review, LEAD, "x", templates=templates)
        paths = {i["url"].removeprefix(base) for i in ref["items"]}
        platform.items.update({p: FakeItem(p, removed_at=platform.now) for p in paths})
        options = CheckOptions(
            rate_per_host=1000.0, per_host_concurrency=1, concurrency=1, batch_size=5,
            allow_private=True, retries=0,
        )  # fmt: skip
        calls = {"n": 0}
        real = removal._Sink.__call__

        def stop_after_two(self: removal._Sink, results: object) -> None:
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt
            real(self, results)

        removal._Sink.__call__ = stop_after_two  # type: ignore[method-assign]
        try:
            with pytest.raises(KeyboardInterrupt):
                removal.check_referred(review, LEAD, options=options)
        finally:
            removal._Sink.__call__ = real  # type: ignore[method-assign]
        first = review.db.value("SELECT count(*) FROM url_checks")
        assert first == 10  # two batches of five landed, the third did not
        run = removal.check_referred(review, LEAD, options=options, resume=True)
        assert run["resumed"] and run["urls_in_run"] == len(paths)
        asked = [r.path for r in platform.requests()]
        stored = {
            u.removeprefix(base)
            for u in (
                r["url"] for r in review.db.rows("SELECT url FROM url_checks WHERE checks > 1")
            )
        }
        # every URL asked; none of the ten stored in the first part asked again; only the
        # lost batch (5) and the request in flight at the interrupt (1) were asked twice
        assert set(asked) == paths and not stored
        assert len(asked) <= len(paths) + 5 + 1
        removed = R.referral(review, ref["id"])["items"]
        assert {i["state"] for i in removed} == {"removed"}
        assert datetime.now(UTC).isoformat() > removed[0]["removed_at"][:19]


def test_check_urls_all_posts_asks_every_post_once(decided: Path) -> None:
    """``--all-posts``: each stored post's URL (by the templates), read a page at a time."""
    from marsad.act import removal
    from marsad.act.check import CheckOptions
    from marsad.simulate.fake_platform import FakePlatform

    with FakePlatform([]) as platform, Review(decided) as review:
        base = platform.base_url()
        templates = {"x": {"post": base + "/{handle}/status/{id}", "post_by_id": base + "/s/{id}"}}
        with review.store() as store:
            posts = store.analytics().execute("SELECT count(*) FROM current_posts").fetchone()[0]
        options = CheckOptions(
            rate_per_host=5000.0, per_host_concurrency=8, allow_private=True, retries=0
        )
        run = removal.check_referred(
            review, LEAD, all_posts=True, options=options, templates=templates
        )
        assert run["scope"] == "all-posts" and run["urls_in_run"] == run["checked"] == posts
        asked = [r.path for r in platform.requests()]
        assert len(asked) == len(set(asked)) == posts
