"""The review database migrates forward from every earlier version, on both stores."""

from __future__ import annotations

import pytest

from marsad.errors import MigrationError
from marsad.review import audit
from marsad.review.db import ReviewDB
from marsad.review.migrations import MIGRATIONS, REVIEW_SCHEMA_VERSION


def _fill(db: ReviewDB, version: int) -> None:
    """Rows an installation at *version* would hold."""
    with db.write() as w:
        w.run(
            "INSERT INTO users (name, role, password_hash, disabled, created_at) "
            "VALUES ('amina', 'reviewer', 'x', 0, '2026-01-01T00:00:00.000000Z')"
        )
        audit.append(w, "console", "user.add", "amina", {"role": "reviewer"})
        if version >= 2:
            w.run(
                "INSERT INTO queue_items (kind, platform, target_id, detector, detector_version, "
                "score, reach, priority, status, added_at, updated_at) VALUES ('post', 'x', '1', "
                "'risk', '1', 0.9, 0, 0.9, 'confirmed', '2026-01-01T00:00:00.000000Z', "
                "'2026-01-01T00:00:00.000000Z')"
            )
            w.run(
                "INSERT INTO decisions (item_id, reviewer, decision, category, entity, at) "
                "VALUES (1, 'amina', 'confirm', 'recruitment', 'other', "
                "'2026-01-01T00:00:00.000000Z')"
            )


@pytest.mark.parametrize("start", range(REVIEW_SCHEMA_VERSION))
def test_migrates_from_every_earlier_version(review_ws: str, start: int) -> None:
    old = ReviewDB(review_ws, migrate=False)
    if start:
        assert old.migrate(upto=start) == list(range(1, start + 1))
        _fill(old, start)
    assert old.version() == start
    old.close()

    db = ReviewDB(review_ws)  # opening runs the rest forward
    assert db.version() == REVIEW_SCHEMA_VERSION
    if start:
        assert db.value("SELECT role FROM users WHERE name = 'amina'") == "reviewer"
        n, _, problem = audit.verify(db)
        assert (n, problem) == (1, None)
    if start >= 2:
        row = db.one("SELECT round, decision FROM decisions WHERE item_id = 1")
        assert row == {"round": 1, "decision": "confirm"}
    # the same tables and columns as a database made at the latest version
    migrated = db.columns()
    db.close()
    assert set(migrated) >= {"users", "audit_log", "queue_items", "decisions", "notes"}
    assert migrated["decisions"][-1] == "round"
    assert [m.version for m in MIGRATIONS] == list(range(1, REVIEW_SCHEMA_VERSION + 1))


def test_fresh_equals_migrated(review_ws: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    stepwise = ReviewDB(review_ws, migrate=False)
    for v in range(1, REVIEW_SCHEMA_VERSION + 1):
        stepwise.migrate(upto=v)
    columns = stepwise.columns()
    stepwise.close()
    fresh_dir = tmp_path_factory.mktemp("fresh")
    fresh = ReviewDB(str(fresh_dir))
    fresh_cols = fresh.columns()
    fresh.close()
    # PostgreSQL lists no sqlite_sequence; compare the marsad tables
    fresh_cols.pop("sqlite_sequence", None)
    columns.pop("sqlite_sequence", None)
    assert columns == fresh_cols


def test_a_newer_database_is_refused(review_ws: str) -> None:
    db = ReviewDB(review_ws)
    with db.write() as w:
        w.run(
            "INSERT INTO review_migrations VALUES (?, 'from the future', 'x')",
            [REVIEW_SCHEMA_VERSION + 1],
        )
    db.close()
    with pytest.raises(MigrationError, match="newer than this marsad"):
        ReviewDB(review_ws)
