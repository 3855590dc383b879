"""One conformance suite for every ingest adapter (like SignalTypeAutoTest).

Each adapter's built-in ``examples()`` are run through the contract of
``marsad.ingest.base``: stable names, sniffing picks the adapter for its own
examples, records numbered from 0 without gaps, ``start`` resumes at the same
records, every item carries provenance, re-ingest changes nothing, and
mangled input never raises anything but ``UnreadableFile``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marsad.errors import UnreadableFile
from marsad.ingest import ADAPTERS, EXPLICIT_ONLY, adapter_class, detect_format
from marsad.ingest.base import IngestAdapter, RawRecord
from marsad.pipeline import ingest_file
from marsad.store.duckdb import DuckDBStore

NAMES = sorted(ADAPTERS)


def _examples(name: str) -> list[tuple[str, bytes]]:
    examples = adapter_class(name).examples()
    assert examples, f"adapter {name} ships no examples()"
    return examples


def _write(tmp_path: Path, fname: str, content: bytes) -> Path:
    path = tmp_path / fname
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _records(adapter: IngestAdapter, path: Path, start: int = 0) -> list[RawRecord]:
    return list(adapter.records(path, "src", start))


@pytest.mark.parametrize("name", NAMES)
def test_identity(name: str) -> None:
    cls = adapter_class(name)
    assert cls.name == name  # the registry key is the adapter's stable name
    assert cls.version and cls.platform and cls.description


@pytest.mark.parametrize("name", sorted(set(NAMES) - EXPLICIT_ONLY))
def test_sniffing_finds_own_examples(name: str, tmp_path: Path) -> None:
    for fname, content in _examples(name):
        path = _write(tmp_path, fname, content)
        assert detect_format(path) == name, f"{fname} not detected as {name}"


@pytest.mark.parametrize("name", NAMES)
def test_records_numbered_and_resumable(name: str, tmp_path: Path) -> None:
    adapter = adapter_class(name)()
    for fname, content in _examples(name):
        path = _write(tmp_path, fname, content)
        records = _records(adapter, path)
        assert records, f"{name}: example {fname} yields nothing"
        assert [r.record_no for r in records] == list(range(len(records)))
        for r in records:
            assert r.error is None, f"{name}: example {fname} record {r.record_no}: {r.error}"
            assert isinstance(r.raw, bytes) and r.raw
            for item in r.items:
                prov = item.provenance
                assert prov is not None, f"{name}: {type(item).__name__} without provenance"
                assert (prov.source_id, prov.adapter, prov.record_no) == ("src", name, r.record_no)
        # resuming at k yields exactly the tail
        k = len(records) // 2
        tail = _records(adapter, path, start=k)
        assert [dataclasses.astuple(r) for r in tail] == [
            dataclasses.astuple(r) for r in records[k:]
        ]


@pytest.mark.parametrize("name", NAMES)
def test_reingest_changes_nothing(name: str, tmp_path: Path) -> None:
    cls = adapter_class(name)
    with DuckDBStore(tmp_path / "ws") as store:
        for fname, content in _examples(name):
            path = _write(tmp_path, fname, content)
            first = ingest_file(store, path, adapter=cls())
            assert first.records > 0
            before = store.counts()
            again = ingest_file(store, path, adapter=cls())
            assert again.already_complete
            assert store.counts() == before


@pytest.mark.parametrize("name", NAMES)
def test_missing_file_is_unreadable(name: str, tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile):
        list(adapter_class(name)().records(tmp_path / "nope.json", "src"))


def _mangle(content: bytes, cut: int, flips: list[tuple[int, int]]) -> bytes:
    data = bytearray(content[: max(1, cut % (len(content) + 1))])
    for pos, value in flips:
        if data:
            data[pos % len(data)] = value
    return bytes(data)


@pytest.mark.parametrize("name", NAMES)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(min_value=0, max_value=100000),
    flips=st.lists(st.tuples(st.integers(0, 100000), st.integers(0, 255)), max_size=4),
)
def test_fuzz_mangled_examples(
    name: str, cut: int, flips: list[tuple[int, int]], tmp_path: Path
) -> None:
    """Truncated or corrupted input yields error records or UnreadableFile, never a crash."""
    adapter = adapter_class(name)()
    for fname, content in _examples(name):
        path = _write(tmp_path, "fuzz-" + Path(fname).name, _mangle(content, cut, flips))
        try:
            records = _records(adapter, path)
        except UnreadableFile:
            continue
        assert [r.record_no for r in records] == list(range(len(records)))
        for r in records:
            assert (r.error is None) or (r.items == [] and r.error)
