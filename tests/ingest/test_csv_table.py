"""CSV adapter: presets, column mappings, line numbers, bad rows, and the Fifth Tribe dataset.

``tests/data/isis_twitter_layout_sample.csv`` is synthetic and benign (weather,
gardening, books) in the "How ISIS Uses Twitter" column layout.  The real
dataset holds propaganda text: its test counts, it never prints a row.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from marsad.errors import ConfigError, UnreadableFile
from marsad.ingest.base import RawRecord, read_head
from marsad.ingest.csv_table import CsvAdapter
from marsad.model import Account, Post, PostKind, Snapshot
from marsad.pipeline import ingest_file
from marsad.store.duckdb import DuckDBStore
from tests.conftest import shared_file

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = DATA / "isis_twitter_layout_sample.csv"
ISIS_HEADER = b"name,username,description,location,followers,numberstatuses,time,tweets"


def _write(tmp_path: Path, content: bytes, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _records(path: Path, adapter: CsvAdapter | None = None, start: int = 0) -> list[RawRecord]:
    return list((adapter or CsvAdapter(preset="isis-twitter")).records(path, "src", start))


def _of(records: list[RawRecord], cls: type) -> list[Any]:
    return [i for r in records for i in r.items if isinstance(i, cls)]


# -- configuration -------------------------------------------------------------


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        (["tweets=text", "user=handle"], {"tweets": "text", "user": "handle"}),  # list form
        ({"body": "text"}, {"body": "text"}),  # dict form
        ([" when = created_at "], {"when": "created_at"}),  # spaces around the parts
        (["who=username", "tid=ID"], {"who": "handle", "tid": "post_id"}),  # aliases, any case
        (["uid=account.native_id"], {"uid": "account_id"}),  # dotted alias
        ([], {}),  # nothing mapped
        (None, {}),  # the CLI passes None or [] when no --map is given
    ],
)
def test_mapping_forms(mapping: Any, expected: dict[str, str]) -> None:
    assert CsvAdapter(mapping=mapping).mapping == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mapping": ["tweets"]}, "COLUMN=FIELD"),  # no '='
        ({"mapping": ["=text"]}, "COLUMN=FIELD"),  # no column
        ({"mapping": ["tweets=colour"]}, "unknown CSV target field"),  # unknown field
        ({"preset": "no-such-layout"}, "unknown CSV preset"),  # unknown preset
    ],
)
def test_bad_configuration(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        CsvAdapter(**kwargs)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (ISIS_HEADER + b"\n", 0.9),  # the preset's header exactly
        (b"\xef\xbb\xbf" + ISIS_HEADER + b"\r\n", 0.9),  # with a BOM and CRLF
        (ISIS_HEADER.replace(b"name,username", b"username,name") + b"\n", 0.0),  # reordered
        (ISIS_HEADER + b",extra\n", 0.0),  # one column more
        (b"post_id,handle,text,created_at\n", 0.0),  # a layout that needs --format csv
        (b"account_id,status,observed_at\n", 0.0),  # a status CSV is never sniffed
        (b'{"id_str": "1", "user": {}}\n', 0.0),  # JSON
        (b"", 0.0),  # empty
    ],
)
def test_sniff(head: bytes, expected: float) -> None:
    assert CsvAdapter.sniff(Path("x.csv"), head) == expected


# -- the synthetic sample ------------------------------------------------------


def test_sample_rows_line_numbers_and_errors() -> None:
    records = _records(SAMPLE)
    # data rows start on these physical lines (line 4 continues a quoted field, 6 is blank)
    assert [(r.record_no, r.line_no) for r in records] == [
        (0, 2),
        (1, 3),
        (2, 5),
        (3, 7),
        (4, 8),
        (5, 9),
        (6, 10),
        (7, 11),
    ]
    errors = {r.line_no: r.error for r in records if r.error}
    assert set(errors) == {8, 9, 10}
    assert "followers: not an integer count" in (errors[8] or "")
    assert "created_at: cannot parse time 'yesterday'" in (errors[9] or "")
    assert "expected 8 fields as in the header, found 1" in (errors[10] or "")
    assert all(r.items == [] for r in records if r.error)
    assert (
        records[1].raw == b"Weather Desk,weatherdesk,daily forecasts,Springfield,121,3401,"
        b'1/7/2015 8:30,"weather update 2\nwith a second line"'
    )


def test_sample_mapping() -> None:
    records = _records(SAMPLE)
    posts = _of(records, Post)
    assert [p.text for p in posts] == [
        "weather update 1",
        "weather update 2\nwith a second line",
        "RT @weatherdesk: weather update 1",
        "RT @weatherdesk: weather update 1",
        'new arrivals: "quiet" novels',
    ]
    assert [p.kind for p in posts] == [
        PostKind.POST,
        PostKind.POST,
        PostKind.REPOST,  # "RT @" marks a retweet
        PostKind.REPOST,
        PostKind.POST,
    ]
    assert posts[2].native_id == posts[3].native_id  # identical rows give one id
    assert len({p.native_id for p in posts}) == 4
    key = b"weatherdesk|2015-01-06T21:07:00+00:00|weather update 1"
    assert posts[0].native_id == "csv:" + hashlib.sha1(key).hexdigest()  # documented recipe
    assert posts[1].created_at == datetime(2015, 1, 7, 8, 30, tzinfo=UTC)
    assert {p.account_id for p in posts} == {"weatherdesk", "gardenclub", "booknook"}

    accounts = _of(records, Account)
    garden = next(a for a in accounts if a.native_id == "gardenclub")
    assert (garden.handle, garden.display_name, garden.bio, garden.location) == (
        "gardenclub",
        "Garden Club",
        "tips, seeds and soil",
        None,  # empty cell
    )
    assert (garden.followers, garden.posts_count, garden.following) == (45, 880, None)
    assert garden.observed_at == datetime(2015, 1, 7, 9, 0, tzinfo=UTC)

    snaps = _of(records, Snapshot)
    assert [(s.account_id, s.followers, s.posts_count) for s in snaps][:2] == [
        ("weatherdesk", 120, 3400),
        ("weatherdesk", 121, 3401),
    ]
    assert len({(s.account_id, s.observed_at) for s in snaps}) == 4


def test_sample_into_store_and_reingest(store: DuckDBStore) -> None:
    summary = ingest_file(store, SAMPLE, adapter=CsvAdapter(preset="isis-twitter"))
    assert (summary.records, summary.quarantined) == (8, 3)
    assert [line for line, _ in summary.problems] == [8, 9, 10]
    counts = store.counts()
    assert (counts["posts"], counts["accounts"], counts["snapshots"]) == (4, 3, 4)
    # the account row shows its latest observation
    rows = store.query("SELECT followers FROM accounts WHERE native_id = 'weatherdesk'")
    assert rows == [(121,)]
    again = ingest_file(store, SAMPLE, adapter=CsvAdapter(preset="isis-twitter"))
    assert again.already_complete and store.counts() == counts


def test_sample_is_sniffed_without_a_preset(store: DuckDBStore) -> None:
    assert CsvAdapter.sniff(SAMPLE, read_head(SAMPLE)) == 0.9
    summary = ingest_file(store, SAMPLE)  # format detected, preset found by header
    assert summary.adapter == "csv" and store.counts()["posts"] == 4


def test_resume_in_the_middle() -> None:
    full = _records(SAMPLE)
    tail = _records(SAMPLE, start=3)
    assert [(r.record_no, r.line_no, r.raw, r.error) for r in tail] == [
        (r.record_no, r.line_no, r.raw, r.error) for r in full[3:]
    ]


# -- mappings without a preset ---------------------------------------------------


@pytest.mark.parametrize(
    ("content", "adapter", "expected"),
    [
        # mapping with ids, ISO times, a platform and the platform's language
        (
            b"tid,uid,who,body,when,lang\np1,u1,alpha,hello world,2024-01-01T10:00:00+02:00,en\n",
            CsvAdapter(
                mapping=[
                    "tid=post_id",
                    "uid=account_id",
                    "who=handle",
                    "body=text",
                    "when=created_at",
                    "lang=lang",
                ],
                platform="forum",
            ),
            {
                "platform": "forum",
                "native_id": "p1",
                "account_id": "u1",
                "created_at": datetime(2024, 1, 1, 8, 0, tzinfo=UTC),
                "lang_platform": "en",
                "kind": PostKind.POST,
            },
        ),
        # no preset and no mapping: columns named like fields map to themselves
        (
            b"\xef\xbb\xbfpost_id,handle,text,created_at\np2,@beta,good morning,2024-01-02\n",
            CsvAdapter(),
            {
                "platform": "x",
                "native_id": "p2",
                "account_id": "beta",  # the handle without '@' is the account id
                "created_at": datetime(2024, 1, 2, tzinfo=UTC),
            },
        ),
        # no preset and no mapping: aliases of fields work as column names too
        (
            b"id,username,text,time\np3,gamma,good evening,2024-01-03T18:00:00Z\n",
            CsvAdapter(),
            {"native_id": "p3", "account_id": "gamma", "text": "good evening"},
        ),
        # a time_format of the user's own
        (
            b"text,created_at\nweather update 1,07.01.2015 08h30\n",
            CsvAdapter(time_format="%d.%m.%Y %Hh%M"),
            {"created_at": datetime(2015, 1, 7, 8, 30, tzinfo=UTC), "account_id": None},
        ),
        # a mapping added to a preset overrides a column's target
        (
            ISIS_HEADER + b"\nA,alpha,,Springfield,1,2,1/6/2015 21:07,RT @b: weather\n",
            CsvAdapter(preset="isis-twitter", mapping=["location=client"], platform="x"),
            {"kind": PostKind.REPOST, "client": "Springfield", "account_id": "alpha"},
        ),
        # RT detection is an X convention only
        (
            b"text,handle\nRT @b: weather,alpha\n",
            CsvAdapter(platform="mastodon"),
            {"kind": PostKind.POST, "platform": "mastodon"},
        ),
    ],
)
def test_mappings(
    tmp_path: Path, content: bytes, adapter: CsvAdapter, expected: dict[str, Any]
) -> None:
    (record,) = _records(_write(tmp_path, content), adapter)
    assert record.error is None, record.error
    (post,) = _of([record], Post)
    for name, value in expected.items():
        assert getattr(post, name) == value, name


def test_account_only_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, b"user_id,screen_name,followers_count,seen\n42,alpha,7,2024-05-01\n")
    adapter = CsvAdapter(
        mapping=[
            "user_id=user_id",
            "screen_name=screen_name",
            "followers_count=followers",
            "seen=created_at",
        ]
    )
    (record,) = _records(path, adapter)
    assert _of([record], Post) == []  # no text, no post id: no post
    (account,) = _of([record], Account)
    assert (account.native_id, account.handle, account.followers) == ("42", "alpha", 7)
    (snap,) = _of([record], Snapshot)
    assert (snap.account_id, snap.observed_at) == ("42", datetime(2024, 5, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("content", "adapter", "message"),
    [
        # a mapped column the file does not have
        (b"a,b\n1,2\n", CsvAdapter(mapping=["tweets=text"]), "'tweets' named in the CSV mapping"),
        # nothing maps to a post or an account
        (b"a,b\n1,2\n", CsvAdapter(), "no column maps to a post or an account"),
        # not UTF-8
        (b"text\ncaf\xe9 au lait\n", CsvAdapter(), "not UTF-8"),
        # no header at all
        (b"\n\n", CsvAdapter(), "empty CSV"),
    ],
)
def test_unreadable_files(
    tmp_path: Path, content: bytes, adapter: CsvAdapter, message: str
) -> None:
    with pytest.raises(UnreadableFile, match=message):
        _records(_write(tmp_path, content), adapter)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (b"p1,2024-13-01,hi,5", "created_at: cannot parse time '2024-13-01'"),  # month 13
        (b"p1,2024-01-01,hi,5.5", "followers: not an integer count: '5.5'"),  # not an integer
        (b"p1,2024-01-01,hi", "expected 4 fields as in the header, found 3"),  # field missing
        (b"p1,2024-01-01,hi,5,6", "expected 4 fields as in the header, found 5"),  # one too many
    ],
)
def test_bad_row_is_an_error_with_its_line(tmp_path: Path, row: bytes, message: str) -> None:
    content = b"post_id,created_at,text,followers\r\np0,2024-01-01,ok,1\r\n" + row + b"\r\n"
    content += b"p2,2024-01-02,ok,2\r\n"
    records = _records(_write(tmp_path, content), CsvAdapter())
    assert [(r.line_no, r.error is None) for r in records] == [(2, True), (3, False), (4, True)]
    assert message in (records[1].error or "")
    assert records[1].raw == row


# -- the real Fifth Tribe dataset ------------------------------------------------


@pytest.mark.slow  # 13k rows through the store
def test_fifth_tribe_dataset(tmp_path: Path) -> None:
    path = shared_file("datasets/fifth_tribe_pro_isis_accounts.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows, bad_lines = [], []
        start = reader.line_num + 1
        for fields in reader:
            if fields and len(fields) != len(header):
                bad_lines.append(start)
            elif fields:
                rows.append(fields)
            start = reader.line_num + 1
    assert len(rows) == 13064  # as the dataset README says
    col = {name: i for i, name in enumerate(header)}
    users = {r[col["username"]] for r in rows}
    assert len(users) == 78  # ditto
    retweets = sum(r[col["tweets"]].startswith("RT @") for r in rows)
    distinct_posts = {(r[col["username"]], r[col["time"]], r[col["tweets"]]) for r in rows}
    snapshots = {
        (r[col["username"]], datetime.strptime(r[col["time"]], "%m/%d/%Y %H:%M")) for r in rows
    }

    with DuckDBStore(tmp_path / "ws") as store:
        summary = ingest_file(store, path, adapter=CsvAdapter(preset="isis-twitter"))
        assert summary.records == len(rows) + len(bad_lines)
        assert summary.quarantined == len(bad_lines)
        lines = [row[0] for row in store.query("SELECT line_no FROM quarantine ORDER BY 1")]
        assert lines == bad_lines
        counts = store.counts()
        assert counts["posts"] == len(distinct_posts)
        assert counts["accounts"] == len(users)
        assert counts["snapshots"] == len(snapshots)
        reposts = store.query("SELECT count(*) FROM posts WHERE kind = 'repost'")[0][0]
        assert reposts == retweets
        assert 0.3 < reposts / counts["posts"] < 0.4  # "a third are retweets"
        before = store.counts()
        ingest_file(store, path, adapter=CsvAdapter(preset="isis-twitter"))
        assert store.counts() == before
