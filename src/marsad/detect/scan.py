"""Scanning a workspace: score every post that needs it, and store the detections.

Part of the *detect* stage; ``marsad scan`` is thin over :func:`scan`.  The
store is the only state: a post needs scoring when it has no ``risk``
detection of the scorer's current version -- so a scan after an ingest scores
only the new posts, a scan after a new model or registry scores them all, an
interrupted scan resumes where it stopped, and re-running a finished scan
changes nothing.

For each batch of posts (the current version of each edited post, streamed
from the store) three detections are written in one transaction:

* ``text-classifier`` -- the calibrated classifier score (evidence: the margin);
* ``indicators`` -- only for posts carrying at least one indicator (evidence:
  which, by what token, where);
* ``risk`` -- the text risk (evidence: its components).

Then the **author context** (:mod:`marsad.detect.risk`): for every author
with a post scored in this run, the sum and number of the classifier's
log-odds over all their current posts are computed in the store, and the
risk of each of their posts is recomputed with them -- a new post changes the
context of its author's older posts too.  Last, detections of older versions
of the three detectors are deleted (the audit trail of decisions lives with
the decisions, not here).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from marsad.detect.policy import Policy
from marsad.detect.scorer import RiskScorer, risk_evidence
from marsad.model import Detection, Post
from marsad.store.base import Store
from marsad.store.duckdb import arrow_table

__all__ = [
    "POST_COLUMNS",
    "POST_COLUMNS_SQL",
    "POST_SELECT",
    "ScanSummary",
    "flagged_count",
    "posts_from_arrow",
    "scan",
]

_POST_COLUMNS = (
    "platform",
    "native_id",
    "account_id",
    "text",
    "text_norm",
    "lang",
    "hashtags",
    "mentions",
    "urls",
    "domains",
)
#: the columns of a post that detectors read (marsad.spark.scan selects the same)
POST_COLUMNS = _POST_COLUMNS
#: the columns of a post that detectors read, from the current posts (alias p)
_POST_COLUMNS_SQL = (
    "SELECT p.platform, p.native_id, p.account_id, p.text, p.text_norm, p.lang, "
    "p.hashtags, p.mentions, p.urls, p.domains "
)
POST_COLUMNS_SQL = _POST_COLUMNS_SQL
POST_SELECT = _POST_COLUMNS_SQL + "FROM current_posts p "
_TODO_WHERE = """
FROM current_posts p
WHERE NOT EXISTS (
    SELECT 1 FROM detections d
    WHERE d.detector = ? AND d.detector_version = ? AND d.target_kind = 'post'
      AND d.platform = p.platform AND d.target_id = p.native_id)
"""
_TODO_SQL = _POST_COLUMNS_SQL + _TODO_WHERE + "ORDER BY p.platform, p.native_id"
_TODO_COUNT_SQL = "SELECT count(*)" + _TODO_WHERE


@dataclass
class ScanSummary:
    """What a scan did."""

    scanned: int = 0  # posts scored in this run
    total: int = 0  # current posts in the workspace
    authors: int = 0  # authors whose posts got the author context again
    flagged: int = 0  # posts at or over their language's threshold (whole workspace)
    seconds: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned,
            "total": self.total,
            "authors": self.authors,
            "flagged": self.flagged,
            "seconds": round(self.seconds, 2),
            "versions": self.versions,
        }


def _arrow_reader(relation: Any, batch: int) -> Any:
    """A record batch reader over a DuckDB relation (duckdb 1.x and 2.x names)."""
    for name in ("to_arrow_reader", "fetch_arrow_reader", "record_batch"):
        method = getattr(relation, name, None)
        if method is not None:
            return method(batch)
    raise RuntimeError("this duckdb cannot stream Arrow record batches")  # pragma: no cover


def posts_from_arrow(batch: pa.RecordBatch | pa.Table) -> list[Post]:
    """Posts from rows of :data:`POST_SELECT`."""
    cols = {name: batch.column(name).to_pylist() for name in _POST_COLUMNS}
    return [
        Post(
            platform=cols["platform"][i],
            native_id=cols["native_id"][i],
            account_id=cols["account_id"][i],
            text=cols["text"][i],
            text_norm=cols["text_norm"][i],
            lang=cols["lang"][i],
            hashtags=tuple(cols["hashtags"][i] or ()),
            mentions=tuple(cols["mentions"][i] or ()),
            urls=tuple(cols["urls"][i] or ()),
            domains=tuple(cols["domains"][i] or ()),
        )
        for i in range(batch.num_rows)
    ]


def scan(
    store: Store,
    scorer: RiskScorer | None = None,
    *,
    batch: int = 20_000,
    progress: Callable[[int, int], None] | None = None,
) -> ScanSummary:
    """Score the posts of *store* that need it (module docstring).
    *progress* is called with (posts scored so far, posts to score)."""
    scorer = scorer or RiskScorer()
    started = time.perf_counter()
    con = store.analytics()
    clf, ind = scorer.model_, scorer.indicators_
    versions = {scorer.name: scorer.version, clf.name: clf.version, ind.name: ind.version}
    summary = ScanSummary(versions=versions)
    summary.total = int(con.execute("SELECT count(*) FROM current_posts").fetchone()[0])  # type: ignore[index]
    params = [scorer.name, scorer.version]
    todo = int(con.execute(_TODO_COUNT_SQL, params).fetchone()[0])  # type: ignore[index]
    reader = _arrow_reader(con.cursor().sql(_TODO_SQL, params=params), batch)
    touched: set[tuple[str, str]] = set()
    now = dt.datetime.now(dt.UTC)
    for record_batch in reader:
        posts = posts_from_arrow(record_batch)
        if not posts:
            continue
        c = scorer.components(posts)
        detections: list[Detection] = []
        for i, post in enumerate(posts):
            key = (post.platform, post.native_id)
            detections.append(
                Detection(
                    clf.name,
                    versions[clf.name],
                    "post",
                    *key,
                    float(c.classifier[i]),
                    {"margin": round(float(c.margin[i]), 6)},
                    now,
                )
            )
            if c.indicators[i] > 0:
                detections.append(
                    Detection(
                        ind.name,
                        versions[ind.name],
                        "post",
                        *key,
                        float(c.indicators[i]),
                        c.indicator_evidence[i],
                        now,
                    )
                )
            detections.append(
                Detection(
                    scorer.name,
                    versions[scorer.name],
                    "post",
                    *key,
                    float(c.text_risk[i]),
                    risk_evidence(c, i),
                    now,
                )
            )
            if post.account_id is not None:
                touched.add((post.platform, post.account_id))
        _write(store, detections)
        summary.scanned += len(posts)
        if progress is not None:
            progress(summary.scanned, todo)
    summary.authors = _author_context(store, scorer, versions, touched, now)
    store.execute(
        "DELETE FROM detections WHERE (detector = ? AND detector_version <> ?) "
        "OR (detector = ? AND detector_version <> ?) OR (detector = ? AND detector_version <> ?)",
        [[x for kv in versions.items() for x in kv]],
    )
    summary.flagged = flagged_count(store, scorer)
    summary.seconds = time.perf_counter() - started
    return summary


def _write(store: Store, detections: list[Detection]) -> None:
    # the store's transaction: on the team store it also takes the writers' lock
    with store.transaction():
        store.write_detections(detections)


def _author_context(
    store: Store,
    scorer: RiskScorer,
    versions: dict[str, str],
    touched: set[tuple[str, str]],
    now: dt.datetime,
) -> int:
    """Recompute the risk of every post of the *touched* authors with their
    author context; returns how many authors."""
    if not touched or scorer.model_.risk_author_ is None:
        return 0
    con = store.analytics()
    con.register(
        "_scan_authors",
        pa.table({"platform": [p for p, _ in touched], "account_id": [a for _, a in touched]}),
    )
    try:
        rows = arrow_table(
            con.sql(
                """
            WITH z AS (
                SELECT p.platform, p.native_id, p.account_id,
                       ln(greatest(least(c.score, 1 - 1e-9), 1e-9))
                       - ln(1 - greatest(least(c.score, 1 - 1e-9), 1e-9)) AS z
                FROM current_posts p
                JOIN _scan_authors a ON a.platform = p.platform AND a.account_id = p.account_id
                JOIN detections c ON c.detector = ? AND c.detector_version = ?
                     AND c.target_kind = 'post' AND c.platform = p.platform
                     AND c.target_id = p.native_id),
            s AS (SELECT platform, account_id, sum(z) AS zsum, count(*) AS n
                  FROM z GROUP BY platform, account_id)
            SELECT z.platform, z.native_id, z.z, s.zsum, s.n, r.evidence
            FROM z JOIN s USING (platform, account_id)
            JOIN detections r ON r.detector = ? AND r.detector_version = ?
                 AND r.target_kind = 'post' AND r.platform = z.platform
                 AND r.target_id = z.native_id
            ORDER BY z.platform, z.native_id
            """,
                params=[
                    scorer.model_.name,
                    versions[scorer.model_.name],
                    scorer.name,
                    versions[scorer.name],
                ],
            )
        )
    finally:
        con.unregister("_scan_authors")
    if rows.num_rows == 0:
        return len(touched)
    evidence = [json.loads(e) for e in rows.column("evidence").to_pylist()]
    text_risk = np.array([e["text_risk"] for e in evidence], dtype=np.float64)
    scripture = np.array([e.get("scripture", 0.0) for e in evidence], dtype=np.float64)
    indicators = np.array([e.get("indicators", 0.0) for e in evidence], dtype=np.float64)
    z = rows.column("z").to_numpy()
    n = rows.column("n").to_numpy().astype(np.float64)
    risk, az = scorer.with_authors(
        text_risk, z, rows.column("zsum").to_numpy(), n, scripture, indicators
    )
    platforms, ids = rows.column("platform").to_pylist(), rows.column("native_id").to_pylist()
    out = []
    for i, ev in enumerate(evidence):
        ev = {k: v for k, v in ev.items() if k != "author"}
        if n[i] > 1:
            ev["author"] = {"other_posts": int(n[i] - 1), "z": round(float(az[i]), 4)}
        out.append(
            Detection(
                scorer.name,
                versions[scorer.name],
                "post",
                platforms[i],
                ids[i],
                float(risk[i]),
                ev,
                now,
            )
        )
    for at in range(0, len(out), 50_000):
        _write(store, out[at : at + 50_000])
    return len(touched)


def flagged_count(store: Store, scorer: RiskScorer, policy: Policy | None = None) -> int:
    """Posts whose current risk is at or over their threshold under *policy*
    (default: the model's), by language and by whether the risk includes the
    author's context."""
    policy = policy or scorer.policy()
    con = store.analytics()
    rows = arrow_table(
        con.sql(
            """
        SELECT p.lang, json_extract(d.evidence, '$.author') IS NOT NULL AS ctx, d.score
        FROM detections d JOIN current_posts p
          ON d.platform = p.platform AND d.target_id = p.native_id
        WHERE d.detector = ? AND d.detector_version = ? AND d.target_kind = 'post'
        """,
            params=[scorer.name, scorer.version],
        )
    )
    langs = rows.column("lang").to_pylist()
    ctx = rows.column("ctx").to_pylist()
    scores = rows.column("score").to_numpy()
    cache: dict[tuple[str | None, bool], float] = {}
    flagged = 0
    for lang, c, score in zip(langs, ctx, scores, strict=True):
        key = (lang, bool(c))
        if key not in cache:
            cache[key] = policy.threshold(lang, with_author=bool(c))
        flagged += bool(score >= cache[key])
    return flagged
