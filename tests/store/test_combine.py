"""Combined ingest writes (the team store takes several workers' batches at once)
leave exactly what writing the batches one after the other leaves."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marsad.model import Account, AccountKind, Post, PostKind, Provenance, replace
from marsad.store.arrow import combine_batches, to_arrow_batch
from marsad.store.base import Batch, RawRow, SourceInfo
from marsad.store.duckdb import DuckDBStore
from marsad.store.schema import TABLES
from tests.store.test_roundtrip import edges, snapshots, statuses

# few ids, so that batches share keys
ids = st.sampled_from(["1", "2", "3", "4"])
times = st.sampled_from(
    [None, datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC),
     datetime(2022, 1, 1, tzinfo=UTC)]
)  # fmt: skip
maybe_text = st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))
accounts = st.builds(
    Account,
    platform=st.just("x"),
    native_id=ids,
    handle=maybe_text,
    bio=maybe_text,
    kind=st.sampled_from(list(AccountKind)),
    observed_at=times,
    followers=st.one_of(st.none(), st.integers(0, 9)),
)
posts = st.builds(
    Post, platform=st.just("x"), native_id=ids, account_id=ids, text=maybe_text,
    kind=st.sampled_from(list(PostKind)), edit_seq=st.just(0),
)  # fmt: skip
batch_records = st.lists(st.one_of(accounts, posts, edges, snapshots, statuses), max_size=8)


def _batches(groups: list[list[Any]]) -> list[Batch]:
    out, n = [], 0
    for g, recs in enumerate(groups):
        recs = [
            replace(r, provenance=Provenance("src", "t", "1", n + i, 0)) for i, r in enumerate(recs)
        ]
        raws = [RawRow(n + i, n + i + 1, b"{}") for i in range(len(recs) or 1)]
        n += len(raws)
        out.append(Batch("src", recs, raws, [], n, g == len(groups) - 1))
    return out


def _dump(store: DuckDBStore) -> dict[str, list[tuple[Any, ...]]]:
    return {t: sorted(tuple(map(repr, r.values())) for r in store.iter_table(t)) for t in TABLES}


def _open(path: Path) -> DuckDBStore:
    store = DuckDBStore(path)
    store.begin_source(
        SourceInfo("src", "in.jsonl", 10, "test", "1"), datetime(2024, 1, 1, tzinfo=UTC)
    )
    return store


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(groups=st.lists(batch_records, min_size=2, max_size=4))
def test_combined_write_equals_writes_in_turn(groups: list[list[Any]]) -> None:
    batches = _batches(groups)
    done = datetime(2024, 1, 2, tzinfo=UTC)
    with (
        tempfile.TemporaryDirectory() as tmp,
        _open(Path(tmp) / "one") as one,
        _open(Path(tmp) / "all") as combined,
    ):
        for b in batches:
            one.write_batch(b, done if b.is_last else None)
        merged = combine_batches([to_arrow_batch(b) for b in batches])
        assert merged.is_last and merged.next_record_no == batches[-1].next_record_no
        combined.write_arrow_batch(merged, done)
        assert _dump(combined) == _dump(one)


def test_one_batch_is_itself() -> None:
    (b,) = _batches([[Account("x", "1")]])
    arrow = to_arrow_batch(b)
    assert combine_batches([arrow]) is arrow


def test_an_account_seen_twice_keeps_what_the_newer_lacks() -> None:
    older = Account(
        "x", "1", handle="old", bio="kept", observed_at=datetime(2020, 1, 1, tzinfo=UTC)
    )
    newer = Account("x", "1", handle="new", observed_at=datetime(2021, 1, 1, tzinfo=UTC))
    merged = combine_batches([to_arrow_batch(b) for b in _batches([[older], [newer]])])
    (row,) = merged.tables["accounts"].to_pylist()
    assert (row["handle"], row["bio"]) == ("new", "kept")
