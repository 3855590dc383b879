"""The review service: one object both shells (CLI, web app) work through.

It joins the review database (users, queue, audit) with the analytic store
(detections, posts, accounts) of the same workspace.  The analytic store is
read through one store the process keeps open, a cursor per call
(:mod:`marsad.review.reader`: read-only for an embedded workspace, and let go
of as soon as a command waits to write it).
"""

from __future__ import annotations

import json
import os
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from marsad.errors import MarsadError, NotFound
from marsad.review import audit
from marsad.review.db import ReviewDB, now_iso
from marsad.review.queue import Queue, candidates, cleared_posts
from marsad.review.reader import STORE_WAIT, SharedReader
from marsad.review.taxonomy import Taxonomy
from marsad.review.users import User, Users
from marsad.store.base import StoreView

__all__ = ["STORE_WAIT", "Review", "has_review", "sync_after_stage"]


class Review:
    """Users, the queue and the audit log of a workspace (a directory or a team store URL)."""

    def __init__(self, workspace: str | os.PathLike[str]) -> None:
        self.workspace = workspace if isinstance(workspace, str) else Path(workspace)
        self.db = ReviewDB(self.workspace)
        self.users = Users(self.db)
        self.taxonomy = Taxonomy.load()
        self.queue = Queue(self.db, self.taxonomy)
        self._reader = SharedReader(self.workspace)
        self._network_lock = threading.Lock()
        self._network: dict[str, Any] | None = None
        self._network_at = ""  # when this process mapped the network (evidence shows it)
        self._community: dict[tuple[str, str], int] = {}
        self._scorers: dict[str, Any] = {}
        self._scorer_lock = threading.Lock()

    def close(self) -> None:
        self.db.close()
        self._reader.close()

    def __enter__(self) -> Review:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the analytic store --------------------------------------------------
    def store(self) -> AbstractContextManager[StoreView]:
        """Read access to the analytic store for one request: a cursor of the
        store this process keeps open (:mod:`marsad.review.reader`)."""
        return self._reader.view()

    @property
    def scorer(self) -> Any:
        """The risk scorer of the workspace's active model (the model registry,
        :mod:`marsad.act.registry`; the packaged model until one is promoted),
        loaded once per process and model: a promotion made elsewhere is seen
        at the next call."""
        from marsad.act.registry import PACKAGED, active_name, cache_dir, materialise
        from marsad.detect.classifier import TextClassifier
        from marsad.detect.explain import explain_post
        from marsad.detect.scorer import RiskScorer

        name = active_name(self.db)
        with self._scorer_lock:
            scorer = self._scorers.get(name)
            if scorer is None:
                path = (
                    None
                    if name == PACKAGED
                    else materialise(self.db, name, cache_dir(self.workspace))
                )
                scorer = RiskScorer(TextClassifier.load(path))
                # load what the scorer loads lazily now, before request threads share it
                explain_post(None, scorer, text="warm up")
                self._scorers = {name: scorer}
            return scorer

    # -- filling the queue ---------------------------------------------------
    def sync(self, actor: User, *, lineage_all: bool = False, scorer: Any = None) -> dict[str, int]:
        """Put what the workspace's detections flag into the queue (post risk
        judged by *scorer*'s detector version and policy; default the active
        model), and withdraw the open post items that version scored below
        its threshold (:meth:`marsad.review.queue.Queue.sync`)."""
        actor.require("sync")
        scorer = scorer or self.scorer
        risk = (scorer.name, scorer.version, scorer.policy())
        with self.store() as store:
            con = store.analytics()
            found = candidates(con, risk, lineage_all=lineage_all, outlets=_outlets())
            flagged = {(c.platform, c.target_id) for c in found if c.kind == "post"}
            waiting = [k for k in self.queue.open_posts(scorer.name) if k not in flagged]
            cleared = cleared_posts(con, risk, waiting)
        return self.queue.sync(actor, found, withdraw=[("post", *k) for k in sorted(cleared)])

    # -- evidence ------------------------------------------------------------
    def evidence(self, item: dict[str, Any]) -> dict[str, Any]:
        """What a reviewer needs to decide on *item*: what ``marsad explain``
        shows for it, its author's score and lineage, its media and hash matches.

        Gathered once per item and sync, and kept in the review database
        (``item_evidence``): it changes when a stage adds detections, and every
        stage that does syncs the queue.  Gathering it costs a team store some
        eight lake queries (250 ms); reading it back, one row."""
        generation = self._evidence_generation()
        kept = self.db.one(
            "SELECT generation, body FROM item_evidence WHERE item_id = ?", [item["id"]]
        )
        if kept is not None and kept["generation"] == generation:
            found: dict[str, Any] = json.loads(kept["body"])
            return found
        body = json.dumps(self._gather(item), ensure_ascii=False, default=str)
        with self.db.write() as w:
            w.run("DELETE FROM item_evidence WHERE item_id = ?", [item["id"]])
            w.run(
                "INSERT INTO item_evidence (item_id, generation, body, computed_at) "
                "VALUES (?, ?, ?, ?)",
                [item["id"], generation, body, now_iso()],
            )
        gathered: dict[str, Any] = json.loads(body)  # the same types as a kept one
        return gathered

    def _evidence_generation(self) -> str:
        """What kept evidence must match: the last sync, and the network this process mapped."""
        return f"{self.queue.synced_at()}|{self._network_at}"

    def prepare(self, limit: int = 200, pause: float = 0.0) -> int:
        """Gather the evidence of the next *limit* open items in queue order
        that have none kept for this sync -- what reviewers asking for the next
        item will open -- pausing *pause* seconds after each (a server does
        this in the background); returns how many it gathered."""
        generation = self._evidence_generation()
        ids = [
            int(r["id"])
            for r in self.db.rows(
                "SELECT q.id FROM queue_items q LEFT JOIN item_evidence e ON e.item_id = q.id "
                "WHERE q.status = 'open' AND (e.item_id IS NULL OR e.generation <> ?) "
                "ORDER BY q.priority DESC, q.id LIMIT ?",
                [generation, max(1, limit)],
            )
        ]
        done = 0
        for item_id in ids:
            try:
                self.evidence(self.queue.item(item_id))
                done += 1
            except MarsadError:
                pass  # not in the store (any more): the item page says why
            if pause:
                time.sleep(pause)
        return done

    def _gather(self, item: dict[str, Any]) -> dict[str, Any]:
        kind, platform, target = item["kind"], item["platform"], item["target_id"]
        with self.store() as store:
            if kind == "post":
                return self._post_evidence(store, platform, target)
            if kind == "account":
                return self._account_evidence(store, platform, target)
            if kind == "media":
                rows = _dicts(
                    store,
                    "SELECT native_id, post_id, kind, url, path, mime_type, width, height, sha256,"
                    " pdq FROM media WHERE platform = ? AND native_id = ?",
                    [platform, target],
                )
                out: dict[str, Any] = {
                    "media": rows,
                    "matches": _detections(store, "hash-match", "media", platform, target),
                }
                if rows and rows[0]["post_id"]:
                    out |= {"post": self._post_evidence(store, platform, rows[0]["post_id"])}
                return out
            if kind == "link":
                successor, _, predecessor = target.partition(">")
                link = _detections(store, "lineage", "link", platform, target)
                return {
                    "link": link[0]["evidence"] if link else None,
                    "successor": self._account_summary(store, platform, successor),
                    "predecessor": self._account_summary(store, platform, predecessor),
                }
        raise NotFound(f"items of kind {kind} have no evidence")

    def _post_evidence(self, store: StoreView, platform: str, post_id: str) -> dict[str, Any]:
        from marsad.detect.explain import explain_post
        from marsad.detect.scan import POST_COLUMNS_SQL, posts_from_arrow
        from marsad.store.duckdb import arrow_table

        # the post once: the detectors' columns for the explanation, the rest to show
        found = arrow_table(
            store.analytics().execute(
                POST_COLUMNS_SQL + ", p.created_at, p.kind, p.metrics FROM current_posts p "
                "WHERE p.platform = ? AND p.native_id = ?",
                [platform, post_id],
            )
        )
        if not found.num_rows:
            raise NotFound(f"post {platform}:{post_id} is not in the workspace")
        row = found.slice(0, 1).to_pylist()[0]
        explanation = explain_post(
            store, self.scorer, post=posts_from_arrow(found.slice(0, 1))[0], platform=platform
        )
        p = {
            k: row[k]
            for k in (
                "native_id", "account_id", "created_at", "text", "lang", "kind", "hashtags",
                "urls", "metrics",
            )
        }  # fmt: skip
        return {
            "post": p,
            "explanation": explanation,
            "media": _dicts(
                store,
                "SELECT native_id, kind, url, path, mime_type, width, height, sha256, pdq "
                "FROM media WHERE platform = ? AND post_id = ? ORDER BY native_id",
                [platform, post_id],
            ),
            "matches": _detections(store, "hash-match", "post", platform, post_id),
            "author": self._account_summary(store, platform, p["account_id"])
            if p["account_id"]
            else None,
        }

    def _account_summary(self, store: StoreView, platform: str, account_id: str) -> dict[str, Any]:
        acc = _dicts(
            store,
            "SELECT native_id, handle, display_name, bio, created_at, followers, following, "
            "posts_count, status FROM accounts_now WHERE platform = ? AND native_id = ?",
            [platform, account_id],
        )
        score = _detections(store, "account-score", "account", platform, account_id)
        links = _dicts(
            store,
            "SELECT target_id, score FROM detections WHERE detector = 'lineage' "
            "AND platform = ? AND (split_part(target_id, '>', 1) = ? "
            "OR split_part(target_id, '>', 2) = ?) ORDER BY score DESC",
            [platform, account_id, account_id],
        )
        return {
            "platform": platform,
            "native_id": account_id,
            "community": self.community(platform, account_id),
            "account": acc[0] if acc else None,
            "score": score[0] if score else None,
            "lineage": [
                {
                    "successor": r["target_id"].partition(">")[0],
                    "predecessor": r["target_id"].partition(">")[2],
                    "score": r["score"],
                }
                for r in links
            ],
        }

    def _account_evidence(self, store: StoreView, platform: str, account_id: str) -> dict[str, Any]:
        out = self._account_summary(store, platform, account_id)
        out["posts"] = _dicts(
            store,
            "SELECT p.native_id, p.created_at, p.text, p.lang, d.score FROM current_posts p "
            "LEFT JOIN detections d ON d.platform = p.platform AND d.target_id = p.native_id "
            "AND d.detector = ? AND d.detector_version = ? AND d.target_kind = 'post' "
            "WHERE p.platform = ? AND p.account_id = ? "
            "ORDER BY d.score DESC NULLS LAST, p.created_at DESC LIMIT 50",
            [self.scorer.name, self.scorer.version, platform, account_id],
        )
        return out

    def account(self, platform: str, account_id: str) -> dict[str, Any]:
        """The account page: its score, lineage, posts, and the queue's items and decisions."""
        with self.store() as store:
            out = self._account_evidence(store, platform, account_id)
        if out["account"] is None and out["score"] is None:
            raise NotFound(f"no account {platform}:{account_id}")
        out["items"] = self.queue.account_items(platform, account_id)
        return out

    def media_path(self, item_id: int, media_id: str) -> Path:
        """The stored file of media *media_id* shown with item *item_id*."""
        item = self.queue.item(item_id)
        with self.store() as store:
            rows = store.query(
                "SELECT m.path FROM media m LEFT JOIN current_posts p "
                "ON p.platform = m.platform AND p.native_id = m.post_id "
                "WHERE m.platform = ? AND m.native_id = ? AND (m.native_id = ? OR m.post_id = ? "
                "OR p.account_id = ?)",
                [
                    item["platform"],
                    media_id,
                    item["target_id"],
                    item["target_id"],
                    item["target_id"],
                ],
            )
        if not rows or not rows[0][0] or not Path(rows[0][0]).is_file():
            raise NotFound(f"media {media_id} has no stored file")
        return Path(rows[0][0])

    # -- the network -------------------------------------------------------------
    def network(self, actor: User, *, compute: bool = False) -> dict[str, Any] | None:
        """The network summary of this process (communities, central accounts,
        coordination); mapped when *compute* (a lead's action: minutes on a large
        workspace), else None until someone has."""
        with self._network_lock:
            if compute:
                actor.require("sync")
                from marsad.network.analysis import analyse_network

                with self.store() as store:
                    report = analyse_network(store.analytics())
                g = report.graph
                platforms = (
                    g.vs["platform"] if "platform" in g.vs.attributes() else [""] * g.vcount()
                )
                self._community = {
                    (str(p or ""), str(name)): int(c)
                    for p, name, c in zip(
                        platforms, g.vs["name"], report.communities.membership, strict=True
                    )
                }
                self._network = json.loads(json.dumps(report.summary(top=20), default=str))
                self._network_at = now_iso()
            return self._network

    def community(self, platform: str, account_id: str) -> int | None:
        """The account's community in the last network mapped, if any."""
        for key in (
            (platform, account_id),
            ("", account_id),
            (platform, f"{platform}:{account_id}"),
        ):
            if key in self._community:
                return self._community[key]
        return None

    # -- audit -----------------------------------------------------------------
    def audit_entries(
        self, actor: User, *, after: int = 0, limit: int = 200, log: bool = False
    ) -> list[dict[str, Any]]:
        actor.require("audit")
        rows = self.db.rows(
            "SELECT seq, at, actor, action, target, details, prev, hash FROM audit_log "
            "WHERE seq > ? ORDER BY seq LIMIT ?",
            [after, max(1, min(limit, 10_000))],
        )
        if log:
            with self.db.write() as w:
                audit.append(w, actor.name, "audit.export", "", {"after": after, "rows": len(rows)})
        for r in rows:
            r["details"] = json.loads(r["details"])
        return rows


def _dicts(store: StoreView, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = store.analytics().execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _detections(
    store: StoreView, detector: str, kind: str, platform: str, target: str
) -> list[dict[str, Any]]:
    rows = _dicts(
        store,
        "SELECT detector_version, score, evidence FROM detections WHERE detector = ? "
        "AND target_kind = ? AND platform = ? AND target_id = ? ORDER BY detector_version DESC",
        [detector, kind, platform, target],
    )
    for r in rows:
        r["evidence"] = json.loads(r["evidence"])
    return rows


def _outlets() -> frozenset[str]:
    """The indicator keys that name an outlet or a publication."""
    from importlib import resources

    data = json.loads(resources.files("marsad.detect").joinpath("indicators.json").read_text())
    return frozenset(
        i["key"] for i in data["indicators"] if i.get("category") in ("outlet", "publication")
    )


def has_review(workspace: str | os.PathLike[str]) -> bool:
    """Whether *workspace* has a review database already (someone reviews there)."""
    from marsad.config import is_server_url
    from marsad.review.db import REVIEW_FILE, SCHEMA

    text = os.fspath(workspace)
    if not is_server_url(text):
        return (Path(text) / REVIEW_FILE).exists()
    import psycopg

    from marsad.store.lake import pg_conninfo

    info: dict[str, Any] = dict(pg_conninfo(text))
    try:
        with psycopg.connect(**info, connect_timeout=10) as con:
            row = con.execute(
                "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s",
                [SCHEMA],
            ).fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0])


def sync_after_stage(
    workspace: str | os.PathLike[str], scorer: Any = None
) -> dict[str, int] | None:
    """After a stage that writes detections (scan, accounts, lineage, match): add
    what they flag to the review queue, when the workspace has one (new scans add
    to the queue; decided items are not asked again).  None when it has none."""
    from marsad.review.users import CONSOLE

    if not has_review(workspace):
        return None
    with Review(workspace) as review:
        return review.sync(CONSOLE, scorer=scorer)
