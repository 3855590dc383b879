"""Status CSV adapter: rows -> StatusEvents, bad rows with their line, and the store's account status."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from marsad.errors import UnreadableFile
from marsad.ingest.base import RawRecord
from marsad.ingest.status import StatusCsvAdapter
from marsad.model import AccountStatus, StatusEvent
from marsad.pipeline import ingest_file
from marsad.store.duckdb import DuckDBStore

MIDNIGHT = datetime(2024, 3, 1, tzinfo=UTC)


def _records(tmp_path: Path, content: str, platform: str = "x") -> list[RawRecord]:
    path = tmp_path / "statuses.csv"
    path.write_text(content, encoding="utf-8")
    return list(StatusCsvAdapter(platform=platform).records(path, "src"))


def _event(record: RawRecord) -> tuple[str, str, AccountStatus, datetime, str]:
    assert record.error is None, record.error
    (event,) = record.items
    assert isinstance(event, StatusEvent)
    return event.platform, event.account_id, event.status, event.observed_at, event.evidence


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # the usual row; a date alone is midnight UTC
        (
            "account_id,status,observed_at,evidence\n100,suspended,2024-03-01,profile page\n",
            ("x", "100", AccountStatus.SUSPENDED, MIDNIGHT, "profile page"),
        ),
        # status in any case, a time with an offset, no evidence column
        (
            "account_id,status,observed_at\n100,Deleted,2024-03-01T02:00:00+02:00\n",
            ("x", "100", AccountStatus.DELETED, MIDNIGHT, ""),
        ),
        # a time without offset is UTC; 'Z' suffix accepted
        (
            "account_id,status,observed_at\n100,ACTIVE,2024-03-01T00:00:00Z\n",
            ("x", "100", AccountStatus.ACTIVE, MIDNIGHT, ""),
        ),
        # handle instead of account_id: the handle (without '@') is the id
        (
            "handle,status,observed_at\n@weatherdesk,protected,2024-03-01 00:00\n",
            ("x", "weatherdesk", AccountStatus.PROTECTED, MIDNIGHT, ""),
        ),
        # account_id wins over handle when both are there
        (
            "handle,account_id,status,observed_at\nweatherdesk,100,suspended,2024-03-01\n",
            ("x", "100", AccountStatus.SUSPENDED, MIDNIGHT, ""),
        ),
        # an empty account_id falls back to the handle
        (
            "handle,account_id,status,observed_at\nweatherdesk,,suspended,2024-03-01\n",
            ("x", "weatherdesk", AccountStatus.SUSPENDED, MIDNIGHT, ""),
        ),
        # a platform column overrides the default; header names in any case, any order
        (
            "Observed_At,Platform,Status,Account_ID\n2024-03-01,telegram,deleted,chan1\n",
            ("telegram", "chan1", AccountStatus.DELETED, MIDNIGHT, ""),
        ),
        # an empty platform cell keeps the default
        (
            "account_id,status,observed_at,platform\n100,suspended,2024-03-01,\n",
            ("x", "100", AccountStatus.SUSPENDED, MIDNIGHT, ""),
        ),
    ],
)
def test_rows(tmp_path: Path, content: str, expected: tuple[object, ...]) -> None:
    (record,) = _records(tmp_path, content)
    assert _event(record) == expected
    assert record.line_no == 2


def test_default_platform(tmp_path: Path) -> None:
    (record,) = _records(tmp_path, "account_id,status,observed_at\n9,deleted,2024-03-01\n", "yt")
    assert _event(record)[0] == "yt"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("100,banned,2024-03-01,x", "status 'banned' is not one of"),  # unknown status
        ("100,unknown,2024-03-01,x", "status 'unknown' is not one of"),  # not an observation
        ("100,,2024-03-01,x", "status '' is not one of"),  # empty status
        ("100,deleted,01/03/2024,x", "observed_at: cannot parse time '01/03/2024'"),  # not ISO
        ("100,deleted,,x", "observed_at is empty"),  # no time
        (",deleted,2024-03-01,x", "account_id (or handle) is empty"),  # no account
        ("100,deleted,2024-03-01", "expected 4 fields as in the header, found 3"),  # short row
    ],
)
def test_bad_row_is_an_error_with_its_line(tmp_path: Path, row: str, message: str) -> None:
    content = (
        "account_id,status,observed_at,evidence\n"
        "1,active,2024-03-01,ok\n"
        '2,deleted,2024-03-01,"a note\nover two lines"\n'
        f"{row}\n"
        "3,suspended,2024-03-02,ok\n"
    )
    records = _records(tmp_path, content)
    assert [(r.line_no, r.error is None) for r in records] == [
        (2, True),
        (3, True),
        (5, False),  # the quoted note spans lines 3-4
        (6, True),
    ]
    assert message in (records[2].error or "")
    assert records[2].items == []


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("handle_name,status,observed_at", "account_id (or handle)"),  # no id column
        ("account_id,observed_at", "status"),  # no status
        ("account_id,status,when", "observed_at"),  # no time
    ],
)
def test_missing_columns_make_the_file_unreadable(
    tmp_path: Path, header: str, missing: str
) -> None:
    with pytest.raises(UnreadableFile, match=re.escape("lacks column(s) " + missing)):
        _records(tmp_path, header + "\n1,2,3\n")


def test_never_sniffed(tmp_path: Path) -> None:
    for _, content in StatusCsvAdapter.examples():
        assert StatusCsvAdapter.sniff(Path("s.csv"), content) == 0.0


def test_store_shows_latest_status_and_reingest_changes_nothing(
    store: DuckDBStore, tmp_path: Path
) -> None:
    path = tmp_path / "statuses.csv"
    path.write_text(
        "account_id,status,observed_at,evidence\n"
        "100,suspended,2024-03-01,notice 1\n"
        "100,active,2024-04-01,restored\n"
        "200,deleted,2024-03-05,profile 404\n"
        "300,banned,2024-03-05,\n"
    )
    summary = ingest_file(store, path, adapter=StatusCsvAdapter())
    assert (summary.records, summary.quarantined, summary.problems[0][0]) == (4, 1, 5)
    rows = store.query("SELECT native_id, status FROM accounts ORDER BY 1")
    assert rows == [("100", "active"), ("200", "deleted")]
    counts = store.counts()
    assert counts["status_events"] == 3
    again = ingest_file(store, path, adapter=StatusCsvAdapter())
    assert again.already_complete and store.counts() == counts
