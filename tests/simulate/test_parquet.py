"""A simulation written as a Parquet export imports to the workspace ingest would build.

The reference is the real pipeline: the simulator's ``marsad.jsonl`` through
``ingest_file(..., fmt="marsad-jsonl")``.  Every entity table must hold the
same rows, record numbers included; only the provenance differs, on purpose
(one ``simulate`` source named by the SHA-256 of ``config.json`` instead of
the file's, and no raw records).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest

from marsad.errors import MarsadError
from marsad.pipeline import IngestSummary, ingest_file
from marsad.simulate import parquet
from marsad.simulate.parquet import ParquetExport, jsonl_to_export, simulate_parquet
from marsad.store.duckdb import DuckDBStore
from marsad.store.exchange import import_workspace
from marsad.store.schema import ENTITY_TABLES, KEYS, TABLES
from tests.simulate.helpers import TINY


@dataclass
class Routes:
    export: ParquetExport
    imported: DuckDBStore
    ingested: DuckDBStore
    ingest: IngestSummary


def _routes(jsonl: Path, export: ParquetExport, tmp: Path) -> Routes:
    imported = DuckDBStore(tmp / "imported")
    import_workspace(imported, export.out_dir)
    ingested = DuckDBStore(tmp / "ingested")
    summary = ingest_file(ingested, jsonl, fmt="marsad-jsonl")
    assert summary.quarantined == 0, summary.problems
    return Routes(export, imported, ingested, summary)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Routes]:
    tmp = tmp_path_factory.mktemp("parquet")
    export = simulate_parquet(TINY, tmp / "export", workers=1, keep_jsonl=True)
    routes = _routes(tmp / "export" / "marsad.jsonl", export, tmp)
    yield routes
    routes.imported.close()
    routes.ingested.close()


def _rows(store: DuckDBStore, table: str) -> list[dict[str, Any]]:
    """Every row of *table* in key order, without ``source_id`` (the provenance differs)."""
    arrow = store.table_arrow(table)
    if "source_id" in arrow.column_names:
        arrow = arrow.drop_columns(["source_id"])
    return arrow.to_pylist()


@pytest.mark.parametrize(
    ("table", "filled"),
    [
        ("accounts", True),  # profiles, with the status of their latest status event
        ("snapshots", True),  # users lookups of monitored accounts
        ("status_events", True),  # suspensions found by lookups
        ("posts", True),  # enriched: lang, text_norm, hashtags, domains, client
        ("edges", True),  # interactions and follows
        ("media", False),  # the simulator writes none; both sides must agree
        ("detections", False),  # neither route detects anything
        ("banks", False),  # nor holds a bank of known content
        ("bank_signals", False),
        ("bank_checkpoints", False),
    ],
)
def test_same_rows_as_ingest(sim: Routes, table: str, filled: bool) -> None:
    got, want = _rows(sim.imported, table), _rows(sim.ingested, table)
    assert len(got) == len(want)
    assert bool(want) is filled
    assert got == want


def test_every_table_is_covered() -> None:
    # the parametrised comparison above plus the provenance tables below: nothing left out
    compared = {
        "accounts",
        "snapshots",
        "status_events",
        "posts",
        "edges",
        "media",
        "detections",
        "banks",
        "bank_signals",
        "bank_checkpoints",
    }
    assert compared | {"sources", "raw_records", "quarantine"} == set(TABLES)
    assert set(ENTITY_TABLES) <= compared


def test_posts_are_enriched(sim: Routes) -> None:
    # equal to the ingest, and the ingest's derived fields are really there
    missing = sim.imported.query(
        "SELECT count(*) FILTER (WHERE lang IS NULL), count(*) FILTER (WHERE text_norm IS NULL), "
        "count(*) FILTER (WHERE len(hashtags) > 0), count(*) FILTER (WHERE len(domains) > 0), "
        "count(*) FROM posts"
    )[0]
    no_lang, no_norm, with_tags, with_domains, total = missing
    assert (no_lang, no_norm) == (0, 0)
    assert 0 < with_tags < total and 0 < with_domains < total


def test_provenance_names_the_simulation(sim: Routes) -> None:
    config_json = sim.export.out_dir / "ground_truth" / "config.json"
    digest = hashlib.sha256(config_json.read_bytes()).hexdigest()
    assert sim.export.source_id == digest
    [source] = sim.imported.query(
        "SELECT source_id, path, adapter, records, next_record_no, quarantined, "
        "completed_at IS NOT NULL FROM sources"
    )
    assert source == (
        digest,
        str(config_json),
        "simulate",
        sim.ingest.records,
        sim.ingest.records,
        0,
        True,
    )
    for table in ENTITY_TABLES:
        ids = sim.imported.query(
            f"SELECT DISTINCT source_id FROM {table} WHERE source_id IS NOT NULL"
        )
        assert ids in ([], [(digest,)]), table
    # no raw records in the export; the ingest keeps every line
    assert sim.imported.counts()["raw_records"] == 0
    assert sim.ingested.counts()["raw_records"] == sim.ingest.records


def test_manifest_counts_match_the_files(sim: Routes) -> None:
    manifest = orjson.loads((sim.export.out_dir / "manifest.json").read_bytes())
    for table in TABLES:
        rows = pq.ParquetFile(sim.export.out_dir / f"{table}.parquet").metadata.num_rows
        assert manifest["rows"][table] == rows == sim.imported.counts()[table], table
    assert not (sim.export.out_dir / "accounts.part.parquet").exists()


def test_workers_write_the_same_tables(
    sim: Routes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small chunks, so that two worker processes share the file
    monkeypatch.setattr(parquet, "CHUNK_BYTES", 64 << 10)
    jsonl = sim.export.out_dir / "marsad.jsonl"
    config_json = sim.export.out_dir / "ground_truth" / "config.json"
    out = jsonl_to_export(jsonl, tmp_path, config_json, workers=2)
    assert out.rows == sim.export.rows
    for table in set(TABLES) - {"sources"}:
        got = pq.read_table(tmp_path / f"{table}.parquet")
        want = pq.read_table(sim.export.out_dir / f"{table}.parquet")
        assert got.sort_by([(k, "ascending") for k in KEYS[table]]).equals(
            want.sort_by([(k, "ascending") for k in KEYS[table]])
        ), table


def _write_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def _account(native_id: str, status: str = "active") -> dict[str, Any]:
    return {
        "type": "account",
        "platform": "x",
        "native_id": native_id,
        "handle": f"user{native_id}",
        "kind": "user",
        "observed_at": "2015-03-01T00:00:00Z",
        "followers": 10,
        "status": status,
    }


def _status(account_id: str, when: str) -> dict[str, Any]:
    return {
        "type": "status",
        "platform": "x",
        "account_id": account_id,
        "status": "suspended",
        "observed_at": when,
        "evidence": "lookup",
    }


def _post(native_id: str, text: str) -> dict[str, Any]:
    return {
        "type": "post",
        "platform": "x",
        "native_id": native_id,
        "account_id": "1",
        "created_at": "2015-02-01T00:00:00Z",
        "text": text,
        "kind": "post",
    }


def _follow(src: str, dst: str) -> dict[str, Any]:
    return {
        "type": "edge",
        "platform": "x",
        "src_id": src,
        "dst_id": dst,
        "kind": "follows",
        "post_id": "",
    }


#: the same file read as one chunk, or one line per chunk (repeated keys then meet only
#: when the converted files are finalised, as they meet only in the store across batches)
CHUNKINGS = pytest.mark.parametrize("chunk_bytes", [parquet.CHUNK_BYTES, 16])


@CHUNKINGS
def test_store_rules_on_a_hand_made_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_bytes: int
) -> None:
    # what the simulator never writes but the store's insert rules decide
    monkeypatch.setattr(parquet, "CHUNK_BYTES", chunk_bytes)
    jsonl = _write_lines(
        tmp_path / "cases.jsonl",
        [
            _status("1", "2015-02-10T00:00:00Z"),  # before its account: the status still wins
            _account("1"),
            _status("2", "2015-02-11T00:00:00Z"),  # no account record: a profile-less row
            _post("10", "first version of the weather report #weather"),
            _post("10", "second record of the same post"),  # same key: the first wins
            _follow("1", "3"),
            _follow("1", "3"),  # a follower list collected twice: one edge, the first record
            _account("4", status="deleted"),  # no status event: its own status stays
        ],
    )
    source = _write_lines(tmp_path / "config.json", [{"seed": 1}])
    export = jsonl_to_export(jsonl, tmp_path / "export", source, workers=1)
    routes = _routes(jsonl, export, tmp_path)
    try:
        for table in ENTITY_TABLES:
            assert _rows(routes.imported, table) == _rows(routes.ingested, table), table
        statuses = dict(routes.imported.query("SELECT native_id, status FROM accounts"))
        assert statuses == {"1": "suspended", "2": "suspended", "4": "deleted"}
        assert routes.imported.query("SELECT text, record_no FROM posts") == [
            ("first version of the weather report #weather", 3)
        ]
        assert routes.imported.query("SELECT record_no FROM edges") == [(5,)]
    finally:
        routes.imported.close()
        routes.ingested.close()


@CHUNKINGS
def test_two_records_of_one_account_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_bytes: int
) -> None:
    # the store would merge them (newest observation wins); the export does not pretend to
    monkeypatch.setattr(parquet, "CHUNK_BYTES", chunk_bytes)
    jsonl = _write_lines(tmp_path / "twice.jsonl", [_account("1"), _account("1")])
    source = _write_lines(tmp_path / "config.json", [{"seed": 1}])
    with pytest.raises(MarsadError, match="two records"):
        jsonl_to_export(jsonl, tmp_path / "export", source, workers=1)
