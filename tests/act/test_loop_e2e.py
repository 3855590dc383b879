"""The whole loop after review, end to end, against a fake platform on 127.0.0.1.

simulate -> ingest -> scan -> queue (the session's analysed simulation) -> a
scripted reviewer decides from the simulator's ground truth -> a referral made,
exported and sent with the CLI -> the fake platform removes, suspends and
withholds part of it over simulated days -> the URL checker (each simulated
day) and a later status export see the removals -> ``marsad transparency``
reports removal rates and times that equal the platform's own truth exactly.
"""

from __future__ import annotations

import csv
import json
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from marsad.act.check import CheckOptions
from marsad.act.removal import check_referred
from marsad.census.survival import kaplan_meier
from marsad.review import audit
from marsad.review.db import now_iso
from marsad.review.queue import Filters
from marsad.review.service import Review
from marsad.review.users import CONSOLE, User
from marsad.simulate.fake_platform import FakeItem, FakePlatform

COVERT = {"hub", "amplifier", "supporter", "shoutout", "outlet", "relay"}
LEAD = User("lina", "lead")
DAYS = 12


def _cli(ws: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "marsad.cli", *args, "--workspace", str(ws)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _day(t0: datetime, d: float) -> datetime:
    return t0 + timedelta(days=d)


def test_refer_remove_check_and_report(
    analysed_ws: Path, analysed_template: Path, tmp_path: Path
) -> None:
    sim = analysed_template.parent / "sim"
    roles = {
        r["native_id"]: r["role"]
        for r in csv.DictReader((sim / "ground_truth" / "accounts.csv").open())
    }
    # the referral is sent 40 days ago at a whole second: every simulated day is in the past
    t0 = (datetime.now(UTC) - timedelta(days=40)).replace(microsecond=0)

    # -- review: the scripted reviewer decides from the ground truth -------------
    with Review(analysed_ws) as review:
        review.sync(CONSOLE)
        for it in review.queue.list(Filters(), limit=300):
            acc = it["account_id"] if it["kind"] != "link" else it["target_id"].partition(">")[0]
            if roles.get(acc) in COVERT:
                review.queue.decide(
                    LEAD,
                    it["id"],
                    "confirm",
                    category="official_propaganda",
                    entity="islamic_state",
                )
            else:
                reason = {"news": "news_report", "campaign": "counter_speech"}.get(
                    roles.get(acc, ""), "other"
                )
                review.queue.decide(LEAD, it["id"], "reject", reason=reason)
        # refer what is still up: not the accounts the export already shows suspended
        with review.store() as store:
            gone = {
                r[0]
                for r in store.analytics()
                .execute(
                    "SELECT DISTINCT account_id FROM status_events "
                    "WHERE status IN ('suspended', 'deleted')"
                )
                .fetchall()
            }
        chosen = [
            str(r["id"])
            for r in review.queue.list(Filters(status="confirmed"), limit=500)
            if (r["account_id"] or "") not in gone and r["target_id"].partition(">")[0] not in gone
        ]
    assert len(chosen) > 50

    with FakePlatform([], start=t0) as platform:
        base = platform.base_url()
        urls = tmp_path / "urls.json"
        urls.write_text(
            json.dumps(
                {
                    "x": {
                        "post": base + "/{handle}/status/{id}",
                        "post_by_id": base + "/i/web/status/{id}",
                        "account": base + "/{handle}",
                        "account_by_id": base + "/i/user/{id}",
                    }
                }
            )
        )
        items = ["--item=" + i for i in chosen]
        _cli(analysed_ws, "refer", "create", "--platform", "x", "--urls", str(urls), *items)
        _cli(analysed_ws, "refer", "export", "1", "--out", str(tmp_path / "out"))
        _cli(analysed_ws, "refer", "send", "1", "--at", now_iso(t0))
        referred = json.loads((tmp_path / "out" / "referral-1.json").read_text())["items"]
        assert len(referred) == len(chosen) and all(r["url"] for r in referred)

        # -- the platform's plan: suspend some accounts, remove some posts, withhold a few
        accounts = sorted({r["account_id"] for r in referred})
        suspended = {a: _day(t0, 1 + k % 7) for k, a in enumerate(accounts) if k % 3 == 0}
        fake: dict[str, FakeItem] = {}
        for k, r in enumerate(referred):
            path = urlsplit(r["url"]).path
            if path in fake:
                continue  # an account and a link to it share its page
            if r["account_id"] in suspended:
                how = ("page", "redirect", "404")[k % 3]
                fake[path] = FakeItem(path, suspended_at=suspended[r["account_id"]], suspension=how)
            elif r["kind"] == "post" and k % 2 == 0:
                how = ("404", "410", "page")[k % 3]
                fake[path] = FakeItem(path, removed_at=_day(t0, 1 + k % 9), removal=how)
            elif k % 11 == 1:
                fake[path] = FakeItem(path, withheld="451")
            else:
                fake[path] = FakeItem(path)
        platform.items.update(fake)
        options = CheckOptions(
            rate_per_host=500.0,
            concurrency=16,
            per_host_concurrency=8,
            timeout_s=10.0,
            retries=1,
            allow_private=True,
        )

        # -- simulated days: a check each day; the status export on day 5 ----------------
        with Review(analysed_ws) as review:
            for d in range(1, DAYS + 1):
                now = _day(t0, d)
                platform.now = now
                if d == 5:  # before that day's check: its suspensions are the export's
                    status = tmp_path / "status.csv"
                    with status.open("w", newline="") as fh:
                        w = csv.writer(fh)
                        w.writerow(["account_id", "status", "observed_at"])
                        for a, at in sorted(suspended.items()):
                            if at <= now:
                                w.writerow([a, "suspended", now_iso(at)])
                    _cli(analysed_ws, "status", str(status), "--platform", "x")
                    _cli(analysed_ws, "removals", "statuses")
                run = check_referred(review, LEAD, options=options, clock=lambda now=now: now)
                assert run["counts"].get("error", 0) == 0, run
        # a last check with the CLI and the real clock: nothing new to see
        platform.now = datetime.now(UTC)
        said = json.loads(
            _cli(analysed_ws, "check-urls", "--allow-private", "--rate", "500", "--json")
        )
        assert said["items_changed"] == 0 and said["counts"].get("error", 0) == 0
        truth = platform.truth()

    # -- the report against the platform's truth --------------------------------------
    until = now_iso(datetime.now(UTC))
    report = json.loads(_cli(analysed_ws, "transparency", "--until", until, "--json"))
    removal = next(s for s in report["sections"] if s["key"] == "removal")
    head = {h["key"]: h["value"] for h in removal["headline"]}
    states = [truth[urlsplit(r["url"]).path] for r in referred]
    removed = [s for s in states if s.state == "removed"]
    withheld = [s for s in states if s.state == "withheld"]
    days = [(s.since - t0).total_seconds() / 86400 for s in removed if s.since is not None]
    assert len(removed) > 20 and withheld and len(days) == len(removed)
    n = len(states)
    assert head["sent"] == n
    assert head["removed"] == len(removed)
    assert head["removal_rate"] == round(100 * len(removed) / n, 1)
    assert head["offline"] == round(100 * (len(removed) + len(withheld)) / n, 1)
    assert head["median_days"] == round(statistics.median(days), 4)
    up = (datetime.fromisoformat(until.replace("Z", "+00:00")) - t0).total_seconds() / 86400
    km = kaplan_meier(days + [up] * (n - len(removed)), [1] * len(days) + [0] * (n - len(removed)))
    km_median = km.median()
    assert head["km_median_days"] == (None if km_median is None else round(km_median, 4))
    by_platform = next(t for t in removal["tables"] if t["key"] == "by_platform")
    assert by_platform["rows"][0][:3] == ["x", n, len(removed)]
    # each item's removal time is the platform's own, to the second
    with Review(analysed_ws) as review:
        rows = review.db.rows("SELECT url, state, removed_at, removal_source FROM referral_items")
        for r in rows:
            t = truth[urlsplit(r["url"]).path]
            assert r["state"] == t.state or (r["state"] == "sent" and t.state == "live"), r
            if t.state == "removed":
                assert t.since is not None
                assert r["removed_at"] == now_iso(t.since), (r, t)
        sources = {r["removal_source"] for r in rows if r["removal_source"]}
        assert sources == {"check-urls", "status-export"}
        assert audit.verify(review.db)[2] is None
