"""Store invariants: export then import is the identity (Parquet and JSONL),
records survive the codec, migrations are recorded, accounts keep the newest
observation."""

from __future__ import annotations

import base64
import gzip
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marsad.codec import record_from_dict, record_to_dict
from marsad.model import (
    Account,
    AccountKind,
    AccountStatus,
    Edge,
    EdgeKind,
    Media,
    Post,
    PostKind,
    Provenance,
    Snapshot,
    StatusEvent,
)
from marsad.store.base import Batch, QuarantineRow, RawRow, SourceInfo
from marsad.store.duckdb import DuckDBStore
from marsad.store.exchange import export_workspace, import_workspace
from marsad.store.schema import SCHEMA_VERSION, TABLES

ids = st.text(alphabet="0123456789abcdef", min_size=1, max_size=8)
texts = st.text(max_size=40)  # any unicode, Arabic and controls included
times = st.datetimes(
    min_value=datetime(2010, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
maybe = st.one_of
counts = st.one_of(st.none(), st.integers(0, 10**9))
tags = st.lists(st.text(min_size=1, max_size=10), max_size=3).map(tuple)

accounts = st.builds(
    Account,
    platform=st.sampled_from(["x", "telegram"]),
    native_id=ids,
    handle=maybe(st.none(), texts),
    display_name=maybe(st.none(), texts),
    bio=maybe(st.none(), texts),
    kind=st.sampled_from(list(AccountKind)),
    created_at=maybe(st.none(), times),
    observed_at=maybe(st.none(), times),
    followers=counts,
    following=counts,
    is_verified=maybe(st.none(), st.booleans()),
)
posts = st.builds(
    Post,
    platform=st.sampled_from(["x", "telegram"]),
    native_id=ids,
    account_id=maybe(st.none(), ids),
    created_at=maybe(st.none(), times),
    text=maybe(st.none(), texts),
    kind=st.sampled_from(list(PostKind)),
    lang=maybe(st.none(), st.sampled_from(["ar", "en", "fr", "und"])),
    lang_score=maybe(st.none(), st.floats(0, 1)),
    hashtags=tags,
    urls=tags,
    edit_seq=st.integers(0, 5),
    lat=maybe(st.none(), st.floats(-90, 90)),
    metrics=st.dictionaries(st.sampled_from(["likes", "reposts"]), st.integers(0, 1000)),
)
edges = st.builds(
    Edge,
    platform=st.just("x"),
    src_id=ids,
    dst_id=ids,
    kind=st.sampled_from(list(EdgeKind)),
    post_id=st.one_of(st.just(""), ids),
    created_at=maybe(st.none(), times),
)
snapshots = st.builds(
    Snapshot, platform=st.just("x"), account_id=ids, observed_at=times, followers=counts
)
statuses = st.builds(
    StatusEvent,
    platform=st.just("x"),
    account_id=ids,
    status=st.sampled_from(list(AccountStatus)),
    observed_at=times,
    evidence=texts,
)
media = st.builds(
    Media,
    platform=st.just("x"),
    native_id=ids,
    post_id=maybe(st.none(), ids),
    md5=maybe(st.none(), ids),
)
records = st.lists(st.one_of(accounts, posts, edges, snapshots, statuses, media), max_size=25)


def _with_prov(recs: list[Any]) -> list[Any]:
    from marsad.model import replace

    return [
        replace(r, provenance=Provenance("src", "test", "1", i, i + 1)) for i, r in enumerate(recs)
    ]


def _fill(store: DuckDBStore, recs: list[Any], raws: list[bytes]) -> None:
    store.begin_source(SourceInfo("src", "in.jsonl", 10, "test", "1"), datetime.now(UTC))
    store.write_batch(
        Batch(
            "src",
            _with_prov(recs),
            [RawRow(i, i + 1, b) for i, b in enumerate(raws)],
            [QuarantineRow(len(raws), 0, "in.jsonl", "bad", b"\xff\x00 not json")],
            len(raws) + 1,
            True,
        ),
        datetime.now(UTC),
    )


def _dump(store: DuckDBStore) -> dict[str, list[tuple[Any, ...]]]:
    return {t: [tuple(r.values()) for r in store.iter_table(t)] for t in TABLES}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recs=records, raws=st.lists(st.binary(min_size=1, max_size=30), max_size=5))
def test_export_import_identity(recs: list[Any], raws: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with DuckDBStore(root / "a") as a:
            _fill(a, recs, raws)
            original = _dump(a)
            export_workspace(a, root / "pq", "parquet")
            export_workspace(a, root / "all.jsonl.gz")
        for name, src in (("b", root / "pq"), ("c", root / "all.jsonl.gz")):
            with DuckDBStore(root / name) as b:
                import_workspace(b, src)
                assert _dump(b) == original, f"round trip through {src.name} changed rows"
                import_workspace(b, src)  # importing twice changes nothing
                assert _dump(b) == original


@given(recs=st.lists(st.one_of(accounts, posts, edges, snapshots, statuses, media), max_size=5))
def test_codec_round_trip(recs: list[Any]) -> None:
    for rec in recs:
        assert record_from_dict(record_to_dict(rec)) == rec


def test_migrations_recorded(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "ws") as store:
        assert store.schema_version() == SCHEMA_VERSION
        rows = store.query("SELECT version FROM schema_migrations ORDER BY version")
        assert [r[0] for r in rows] == list(range(1, SCHEMA_VERSION + 1))
    with DuckDBStore(tmp_path / "ws") as store:  # reopening applies nothing twice
        assert len(store.query("SELECT * FROM schema_migrations")) == SCHEMA_VERSION


def test_newer_workspace_refused(tmp_path: Path) -> None:
    import pytest

    from marsad.errors import WorkspaceError

    with DuckDBStore(tmp_path / "ws") as store:
        store.con.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
    with pytest.raises(WorkspaceError, match="newer"):
        DuckDBStore(tmp_path / "ws")


def test_account_keeps_newest_observation(tmp_path: Path) -> None:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    old = Account("x", "1", handle="old", bio="first bio", followers=10, observed_at=t0)
    new = Account("x", "1", handle="new", followers=20, observed_at=t0 + timedelta(days=1))
    older = Account("x", "1", handle="older", followers=5, observed_at=t0 - timedelta(days=1))
    with DuckDBStore(tmp_path / "ws") as store:
        for i, rec in enumerate([old, new, older]):
            sid = f"s{i}"
            store.begin_source(SourceInfo(sid, sid, 1, "t", "1"), t0)
            store.write_batch(Batch(sid, [rec], [], [], 1, True), t0)
        row = store.query("SELECT handle, bio, followers FROM accounts")
        # newest wins; a field the newest lacks keeps the older value
        assert row == [("new", "first bio", 20)]


def test_status_events_set_account_status(tmp_path: Path) -> None:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    events = [
        StatusEvent("x", "9", AccountStatus.SUSPENDED, t0),
        StatusEvent("x", "9", AccountStatus.ACTIVE, t0 + timedelta(days=2)),
        StatusEvent("x", "8", AccountStatus.DELETED, t0),
    ]
    with DuckDBStore(tmp_path / "ws") as store:
        store.begin_source(SourceInfo("s", "s", 1, "t", "1"), t0)
        store.write_batch(Batch("s", list(events), [], [], 1, True), t0)
        rows = store.query("SELECT native_id, status FROM accounts ORDER BY native_id")
        assert rows == [("8", "deleted"), ("9", "active")]  # latest observation wins


def test_info_counts_seen_accounts_as_active(tmp_path: Path) -> None:
    """`marsad info` and the census agree: an account seen (observed or posting) with
    no suspension or deletion known is active; one never seen stays unknown."""
    from marsad.store.info import workspace_info

    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    records: list[Any] = [
        Account("x", "1", handle="seen", observed_at=t0),
        Account("x", "2", handle="poster"),
        Post("x", "100", account_id="2", created_at=t0, text="daily update number 1"),
        Account("x", "3", handle="never"),
        StatusEvent("x", "4", AccountStatus.SUSPENDED, t0),
    ]
    with DuckDBStore(tmp_path / "ws") as store:
        store.begin_source(SourceInfo("s", "s", 1, "t", "1"), t0)
        store.write_batch(Batch("s", records, [], [], 1, True), t0)
        assert workspace_info(store)["account_status"] == {
            "active": 2,
            "suspended": 1,
            "unknown": 1,
        }


def test_raw_records_export_in_key_order_by_slices(tmp_path: Path, monkeypatch: Any) -> None:
    """The raw records are exported a slice of keys at a time (DuckDB's sort does
    not spill whole pages): the file must hold every row, in key order, whatever
    the slice size and however the sources' batches were interleaved."""
    import pyarrow.parquet as pq

    with DuckDBStore(tmp_path / "a") as a:
        for s in ("s2", "s1", "s3"):
            a.begin_source(SourceInfo(s, f"{s}.jsonl", 10, "test", "1"), datetime.now(UTC))
        # batches of three sources, out of order, record numbers out of order
        for part in (2, 0, 1):
            for s in ("s2", "s1", "s3"):
                rows = [
                    RawRow(n, n + 1, f"{s}:{n}:".encode() * (n + 1)) for n in range(part, 30, 3)
                ]
                a.write_batch(Batch(s, [], rows[::-1], [], 30, part == 1), datetime.now(UTC))
        expected = a.query("SELECT * FROM raw_records ORDER BY source_id, record_no")
        assert len(expected) == 90
        for chunk in (1, 50, 400, 10**9):
            monkeypatch.setattr(DuckDBStore, "RAW_CHUNK_BYTES", chunk)
            export_workspace(a, tmp_path / f"pq{chunk}", "parquet")
            got = pq.read_table(tmp_path / f"pq{chunk}" / "raw_records.parquet").to_pylist()
            assert [tuple(r.values()) for r in got] == expected, f"slices of {chunk} bytes"
            assert not list((tmp_path / f"pq{chunk}").glob("*.tmp"))
            # the JSONL export (and iter_table) read the same slices
            assert [tuple(r.values()) for r in a.iter_table("raw_records")] == expected
            export_workspace(a, tmp_path / f"j{chunk}.jsonl.gz", "jsonl")
            with gzip.open(tmp_path / f"j{chunk}.jsonl.gz", "rb") as fh:
                lines = [orjson.loads(line) for line in fh][1:]
            raw = [
                (r["source_id"], r["record_no"], r["line_no"], base64.b64decode(r["raw"]["$b64"]))
                for r in (x["row"] for x in lines if x["table"] == "raw_records")
            ]
            assert raw == expected, f"JSONL, slices of {chunk} bytes"
    # an empty table is still a file with the table's columns
    with DuckDBStore(tmp_path / "empty") as e:
        export_workspace(e, tmp_path / "pq-empty", "parquet")
    empty = pq.read_table(tmp_path / "pq-empty" / "raw_records.parquet")
    assert empty.num_rows == 0
    assert empty.column_names == ["source_id", "record_no", "line_no", "raw"]


def test_a_failed_jsonl_export_leaves_nothing_behind(tmp_path: Path, monkeypatch: Any) -> None:
    with DuckDBStore(tmp_path / "a") as a:
        a.begin_source(SourceInfo("s", "s.jsonl", 10, "test", "1"), datetime.now(UTC))
        a.write_batch(Batch("s", [], [RawRow(1, 1, b"x")], [], 1, True), datetime.now(UTC))

        def broken(self: DuckDBStore, table: str, batch_rows: int = 10000) -> Any:
            yield {"source_id": "s"}
            raise OSError("disk full")

        monkeypatch.setattr(DuckDBStore, "iter_table", broken)
        with pytest.raises(OSError, match="disk full"):
            export_workspace(a, tmp_path / "out" / "x.jsonl.gz", "jsonl")
    assert list((tmp_path / "out").iterdir()) == []
