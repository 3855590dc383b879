"""The workspace schema and its migrations.

Part of the store stage.  ``MIGRATIONS`` is an append-only list: a released
migration is never edited, a change is a new entry.  The store applies the
missing ones in order, each in its own transaction, and records them in
``schema_migrations``; a workspace newer than this code is refused.

Tables mirror :mod:`marsad.model`.  Every entity row carries its provenance as
``(source_id, record_no)``: ``sources`` says which file, adapter and version,
``raw_records`` keeps the raw record itself.
"""

from __future__ import annotations

import re

from marsad.store import rollup

__all__ = ["ENTITY_TABLES", "KEYS", "MIGRATIONS", "SCHEMA_VERSION", "TABLES", "UNINDEXED"]

_V1 = """
CREATE TABLE sources (
    source_id       VARCHAR PRIMARY KEY,   -- sha256 of the file's bytes
    path            VARCHAR NOT NULL,
    size_bytes      BIGINT,
    adapter         VARCHAR NOT NULL,
    adapter_version VARCHAR NOT NULL,
    started_at      TIMESTAMPTZ,
    completed_at    TIMESTAMPTZ,
    next_record_no  BIGINT NOT NULL DEFAULT 0,   -- checkpoint: records before it are stored
    records         BIGINT NOT NULL DEFAULT 0,
    quarantined     BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE raw_records (
    source_id  VARCHAR NOT NULL,
    record_no  BIGINT NOT NULL,
    line_no    BIGINT NOT NULL,
    raw        BLOB NOT NULL,
    PRIMARY KEY (source_id, record_no)
);
CREATE TABLE quarantine (
    source_id  VARCHAR NOT NULL,
    record_no  BIGINT NOT NULL,
    line_no    BIGINT NOT NULL,
    path       VARCHAR NOT NULL,
    reason     VARCHAR NOT NULL,
    raw        BLOB NOT NULL,
    PRIMARY KEY (source_id, record_no)
);
CREATE TABLE accounts (
    platform      VARCHAR NOT NULL,
    native_id     VARCHAR NOT NULL,
    handle        VARCHAR,
    display_name  VARCHAR,
    bio           VARCHAR,
    location      VARCHAR,
    url           VARCHAR,
    lang          VARCHAR,
    kind          VARCHAR NOT NULL,
    created_at    TIMESTAMPTZ,
    observed_at   TIMESTAMPTZ,
    followers     BIGINT,
    following     BIGINT,
    posts_count   BIGINT,
    avatar_url    VARCHAR,
    avatar_hash   VARCHAR,
    is_verified   BOOLEAN,
    is_protected  BOOLEAN,
    status        VARCHAR NOT NULL,
    source_id     VARCHAR,
    record_no     BIGINT,
    PRIMARY KEY (platform, native_id)
);
CREATE TABLE snapshots (
    platform     VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,
    observed_at  TIMESTAMPTZ NOT NULL,
    followers    BIGINT,
    following    BIGINT,
    posts_count  BIGINT,
    listed       BIGINT,
    source_id    VARCHAR,
    record_no    BIGINT,
    PRIMARY KEY (platform, account_id, observed_at)
);
CREATE TABLE status_events (
    platform     VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,
    status       VARCHAR NOT NULL,
    observed_at  TIMESTAMPTZ NOT NULL,
    evidence     VARCHAR NOT NULL,
    source_id    VARCHAR,
    record_no    BIGINT,
    PRIMARY KEY (platform, account_id, status, observed_at)
);
CREATE TABLE posts (
    platform                VARCHAR NOT NULL,
    native_id               VARCHAR NOT NULL,
    account_id              VARCHAR,
    created_at              TIMESTAMPTZ,
    text                    VARCHAR,
    kind                    VARCHAR NOT NULL,
    lang_platform           VARCHAR,
    lang                    VARCHAR,
    lang_score              DOUBLE,
    text_norm               VARCHAR,
    client                  VARCHAR,
    reply_to_id             VARCHAR,
    reply_to_account_id     VARCHAR,
    repost_of_id            VARCHAR,
    quote_of_id             VARCHAR,
    forward_from_account_id VARCHAR,
    forward_from_post_id    VARCHAR,
    conversation_id         VARCHAR,
    edit_root_id            VARCHAR,
    edit_seq                INTEGER NOT NULL,
    hashtags                VARCHAR[],
    mentions                VARCHAR[],
    urls                    VARCHAR[],
    domains                 VARCHAR[],
    place_name              VARCHAR,
    country_code            VARCHAR,
    lat                     DOUBLE,
    lon                     DOUBLE,
    withheld_in             VARCHAR[],
    metrics                 VARCHAR,          -- JSON object of counts
    source_id               VARCHAR,
    record_no               BIGINT,
    PRIMARY KEY (platform, native_id)
);
CREATE TABLE media (
    platform     VARCHAR NOT NULL,
    native_id    VARCHAR NOT NULL,
    post_id      VARCHAR,
    kind         VARCHAR NOT NULL,
    url          VARCHAR,
    path         VARCHAR,
    mime_type    VARCHAR,
    size_bytes   BIGINT,
    width        INTEGER,
    height       INTEGER,
    duration_ms  BIGINT,
    md5          VARCHAR,
    sha256       VARCHAR,
    pdq          VARCHAR,
    source_id    VARCHAR,
    record_no    BIGINT,
    PRIMARY KEY (platform, native_id)
);
CREATE TABLE edges (
    platform    VARCHAR NOT NULL,
    src_id      VARCHAR NOT NULL,
    dst_id      VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    post_id     VARCHAR NOT NULL,
    created_at  TIMESTAMPTZ,
    source_id   VARCHAR,
    record_no   BIGINT,
    PRIMARY KEY (platform, kind, src_id, dst_id, post_id)
);
CREATE TABLE detections (
    detector          VARCHAR NOT NULL,
    detector_version  VARCHAR NOT NULL,
    target_kind       VARCHAR NOT NULL,
    platform          VARCHAR NOT NULL,
    target_id         VARCHAR NOT NULL,
    score             DOUBLE NOT NULL,
    evidence          VARCHAR NOT NULL,  -- JSON object
    created_at        TIMESTAMPTZ,
    PRIMARY KEY (detector, detector_version, target_kind, platform, target_id)
);
"""

_V2 = """
-- the current version of every post: the highest edit_seq of its edit root
CREATE VIEW current_posts AS
SELECT p.* FROM posts p
WHERE p.edit_root_id IS NULL
   OR p.edit_seq = (SELECT max(q.edit_seq) FROM posts q
                    WHERE q.platform = p.platform AND q.edit_root_id = p.edit_root_id);
"""

#: (version, description, SQL) -- append only
_V3 = """
-- the same rows as v2, without a correlated subquery per post.  Only later
-- versions (edit_seq > 0) are grouped -- on X every post is its own edit root,
-- so v2's view ran its subquery for every post and cost the census 60x a scan
-- of posts; a version 0 whose root has later versions is then not current
CREATE OR REPLACE VIEW current_posts AS
WITH latest AS (
    SELECT platform, edit_root_id, max(edit_seq) AS edit_seq
    FROM posts WHERE edit_seq > 0 AND edit_root_id IS NOT NULL
    GROUP BY platform, edit_root_id
)
SELECT p.* FROM posts p
LEFT JOIN latest l ON l.platform = p.platform AND l.edit_root_id = p.edit_root_id
WHERE l.edit_root_id IS NULL OR p.edit_seq = l.edit_seq;
"""

_V4 = """
-- accounts with the status analytics count: the last one marsad learnt, except
-- that an account seen (observed, or with a post) with no suspension or deletion
-- known is active; "unknown" stays for accounts never observed
CREATE OR REPLACE VIEW accounts_now AS
WITH posters AS (SELECT DISTINCT platform, account_id FROM posts WHERE account_id IS NOT NULL)
SELECT a.* REPLACE (
    CASE WHEN a.status IN ('unknown', 'active')
              AND (a.observed_at IS NOT NULL OR w.account_id IS NOT NULL)
         THEN 'active' ELSE a.status END AS status)
FROM accounts a
LEFT JOIN posters w ON w.platform = a.platform AND w.account_id = a.native_id;
"""

_V5 = """
-- known-content banks (issue 5): named collections of hash signals; a
-- negative bank holds known false positives and suppresses their matches
CREATE TABLE banks (
    name         VARCHAR PRIMARY KEY,
    description  VARCHAR,
    source       VARCHAR,               -- where its signals come from (GIFCT, TCAP, an analyst)
    negative     BOOLEAN NOT NULL DEFAULT false,
    enabled      BOOLEAN NOT NULL DEFAULT true,
    created_by   VARCHAR,
    created_at   TIMESTAMPTZ
);
CREATE TABLE bank_signals (
    bank         VARCHAR NOT NULL,
    signal_type  VARCHAR NOT NULL,      -- pdq | md5 | sha256
    value        VARCHAR NOT NULL,      -- lower-case hex
    labels       VARCHAR NOT NULL,      -- JSON object: entity, ideology, content_type, behaviour ...
    content_id   VARCHAR,               -- the list's own id of the item, if it has one
    source       VARCHAR,               -- the file or list the signal came from
    added_by     VARCHAR,
    added_at     TIMESTAMPTZ,
    PRIMARY KEY (bank, signal_type, value)
);
"""

_V6 = """
-- incremental hash-list feeds (issue 5): per bank and feed, the checkpoint
-- ("<updated_on>,<id>") of the last entry applied, as TAT's hash-list API has it
CREATE TABLE bank_checkpoints (
    bank         VARCHAR NOT NULL,
    feed         VARCHAR NOT NULL,
    checkpoint   VARCHAR NOT NULL,
    file         VARCHAR,               -- the list that moved it last
    updated_at   TIMESTAMPTZ,
    PRIMARY KEY (bank, feed)
);
-- the vPDQ signal of a video (the video extra), beside the picture's PDQ
ALTER TABLE media ADD COLUMN vpdq VARCHAR;
"""

_V7 = """
-- rollups of the posts for the census (marsad.store.rollup): one row per
-- account and value once compacted, kept by the store in the transaction that
-- writes the posts; derived data, filled here from the posts
CREATE TABLE rollup_accounts (
    platform    VARCHAR NOT NULL,
    account_id  VARCHAR,
    posts       BIGINT NOT NULL,
    dated       BIGINT NOT NULL,      -- posts with a time
    first_at    TIMESTAMPTZ,
    last_at     TIMESTAMPTZ
);
CREATE TABLE rollup_months (
    platform    VARCHAR NOT NULL,
    account_id  VARCHAR,
    month       DATE,                 -- UTC; NULL for posts without a time
    posts       BIGINT NOT NULL
);
CREATE TABLE rollup_clients (
    platform    VARCHAR NOT NULL,
    account_id  VARCHAR,
    client      VARCHAR,
    posts       BIGINT NOT NULL
);
CREATE TABLE rollup_langs (
    platform    VARCHAR NOT NULL,
    account_id  VARCHAR,
    lang        VARCHAR,
    posts       BIGINT NOT NULL
);
CREATE TABLE rollup_hashtags (
    platform    VARCHAR NOT NULL,
    account_id  VARCHAR,
    hashtag     VARCHAR,
    posts       BIGINT NOT NULL       -- occurrences
);
-- rows of each rollup at its last compaction
CREATE TABLE rollup_state (
    name            VARCHAR PRIMARY KEY,
    compacted_rows  BIGINT NOT NULL
);
""" + rollup.rebuild_sql()

#: tables an ingest appends to in bulk: from version 8 on the embedded store keeps
#: their keys by an anti-join against the stored rows, not a primary-key index.
#: DuckDB 1.5.5 rewrites every ART index at each checkpoint (duckdb/duckdb#24848),
#: so an ingest into a store of 10M posts spent most of its time there
#: (BENCHMARKS.md, "The team store", 10M posts)
UNINDEXED = ("raw_records", "quarantine", "snapshots", "status_events", "posts", "edges")


def _without_key(table: str) -> str:
    """Version 1's ``CREATE TABLE`` of *table* without its primary key, as ``<table>__v8``."""
    match = re.search(rf"CREATE TABLE {table} \((.*?)\n\);", _V1, re.DOTALL)
    if match is None:  # pragma: no cover - the schema text is fixed
        raise AssertionError(table)
    lines = [ln for ln in match.group(1).split("\n") if "PRIMARY KEY" not in ln.strip()[:11]]
    body = "\n".join(lines).rstrip()
    # the column before the dropped key line loses its trailing comma
    body = re.sub(r",(\s*(--[^\n]*)?)$", r"\1", body)
    return f"CREATE TABLE {table}__v8 ({body}\n);"


_V8 = "\n".join(
    f"{_without_key(t)}\nINSERT INTO {t}__v8 SELECT * FROM {t};\nDROP TABLE {t};\n"
    f"ALTER TABLE {t}__v8 RENAME TO {t};"
    for t in UNINDEXED
)

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "records, provenance, quarantine, detections", _V1),
    (2, "current_posts view over edit histories", _V2),
    (3, "current_posts without a correlated subquery", _V3),
    (4, "accounts_now view: status as analytics count it", _V4),
    (5, "known-content banks and their signals", _V5),
    (6, "bank feed checkpoints; media vPDQ", _V6),
    (7, "rollups of the posts for the census", _V7),
    (8, "bulk tables keyed without primary-key indexes", _V8),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]

#: entity table -> primary key columns
KEYS: dict[str, tuple[str, ...]] = {
    "accounts": ("platform", "native_id"),
    "snapshots": ("platform", "account_id", "observed_at"),
    "status_events": ("platform", "account_id", "status", "observed_at"),
    "posts": ("platform", "native_id"),
    "media": ("platform", "native_id"),
    "edges": ("platform", "kind", "src_id", "dst_id", "post_id"),
    "detections": ("detector", "detector_version", "target_kind", "platform", "target_id"),
    "sources": ("source_id",),
    "raw_records": ("source_id", "record_no"),
    "quarantine": ("source_id", "record_no"),
    "banks": ("name",),
    "bank_signals": ("bank", "signal_type", "value"),
    "bank_checkpoints": ("bank", "feed"),
}
ENTITY_TABLES = ("accounts", "snapshots", "status_events", "posts", "media", "edges")
#: every table of a workspace, in the order export and import walk them
TABLES = (
    "sources",
    "raw_records",
    "quarantine",
    *ENTITY_TABLES,
    "detections",
    "banks",
    "bank_signals",
    "bank_checkpoints",
)
