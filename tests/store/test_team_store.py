"""The team store (DuckLake on PostgreSQL) against the embedded one: one contract.

Each test of the contract runs on both stores and, where it compares, expects
the same rows.  The team store is a database of its own on a PostgreSQL server
(the ``server_db`` fixture of ``tests/store/conftest.py``: it says which server,
and skips or fails when there is none).
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from marsad import pipeline
from marsad.census.compute import run_census
from marsad.model import Detection
from marsad.store.base import Store
from marsad.store.duckdb import DuckDBStore
from marsad.store.lake import LakeStore
from marsad.store.schema import KEYS, TABLES
from tests.conftest import shared_file

FIXTURES = "fixtures/x_api_v2_twarc"


@pytest.fixture(params=["embedded", "team"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "embedded":
        store: Store = DuckDBStore(tmp_path / "ws")
    else:
        url = request.getfixturevalue("server_db")
        store = pipeline.open_store(url)
    yield store
    store.close()


def _fixture_files() -> list[Path]:
    return sorted(shared_file(FIXTURES).glob("*.jsonl"))


#: what differs between two ingests of the same files (when they ran)
_WHEN = {"sources": "started_at, completed_at"}


def _dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in key order (no rollups: the team store keeps none)."""
    out = {}
    for table in TABLES:
        order = ", ".join(KEYS[table])
        drop = f" EXCLUDE ({_WHEN[table]})" if table in _WHEN else ""
        out[table] = store.query(f"SELECT *{drop} FROM {table} ORDER BY {order}")  # noqa: S608 - names from the schema
    return out


# -- the contract, on both stores ------------------------------------------------------


def test_ingest_twice_changes_nothing(any_store: Store) -> None:
    for path in _fixture_files():
        pipeline.ingest_file(any_store, path)
    first = any_store.counts()
    assert first["posts"] > 1000 and first["accounts"] > 1000
    for path in _fixture_files():
        pipeline.ingest_file(any_store, path)
    assert any_store.counts() == first


def test_detections_upsert_keeps_the_last_score(any_store: Store) -> None:
    d = Detection("probe", "1", "post", "x", "42", 0.25, {"why": "first"})
    assert any_store.write_detections([d]) == 1
    again = Detection("probe", "1", "post", "x", "42", 0.75, {"why": "second"})
    any_store.write_detections([again, Detection("probe", "1", "post", "x", "43", 0.5, {})])
    rows = any_store.query("SELECT target_id, score, evidence FROM detections ORDER BY 1")
    assert rows == [("42", 0.75, json.dumps({"why": "second"})), ("43", 0.5, "{}")]


def test_a_failed_transaction_leaves_nothing(any_store: Store) -> None:
    with pytest.raises(RuntimeError), any_store.transaction():
        any_store.execute(
            "INSERT INTO banks (name, description, created_at) VALUES (?, ?, now())",
            [("half", "never committed")],
        )
        raise RuntimeError("stop")
    assert any_store.query("SELECT count(*) FROM banks") == [(0,)]


def test_export_import_round_trip(any_store: Store, tmp_path: Path) -> None:
    for path in _fixture_files()[:4]:
        pipeline.ingest_file(any_store, path)
    before = any_store.counts()
    out = tmp_path / "export"
    any_store.export_parquet(out)
    with DuckDBStore(tmp_path / "copy") as copy:
        copy.import_parquet(out)
        assert {t: n for t, n in copy.counts().items()} == before
    # importing it back adds nothing
    assert sum(any_store.import_parquet(out).values()) == 0


def test_an_import_replaces_the_detector_its_manifest_names(
    any_store: Store, tmp_path: Path
) -> None:
    """An export saying ``replaces`` (as ``marsad spark lineage`` writes) removes
    that detector's rows of those platforms first, in the same transaction;
    other detectors and platforms stay; a second import changes nothing."""
    old = [
        Detection("lineage", "m1", "link", "x", "a>b", 0.9, {}),
        Detection("lineage", "m1", "link", "telegram", "c>d", 0.8, {}),
        Detection("risk", "r1", "post", "x", "42", 0.5, {}),
    ]
    any_store.write_detections(old)
    with DuckDBStore(tmp_path / "run") as run:
        run.write_detections([Detection("lineage", "m1", "link", "x", "e>f", 0.95, {})])
        run.export_parquet(tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    manifest["replaces"] = [{"detector": "lineage", "platforms": ["x"]}]
    (tmp_path / "out" / "manifest.json").write_text(json.dumps(manifest))
    for _ in range(2):
        any_store.import_parquet(tmp_path / "out")
        rows = any_store.query("SELECT detector, platform, target_id FROM detections ORDER BY ALL")
        assert rows == [
            ("lineage", "telegram", "c>d"),
            ("lineage", "x", "e>f"),
            ("risk", "x", "42"),
        ]


# -- the two stores give the same results ----------------------------------------------


@pytest.mark.parametrize(("merge_every", "workers"), [("0", "1"), ("1", "1"), ("1", "2")])
def test_same_rows_and_census_on_both_stores(
    server_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    merge_every: str,
    workers: str,
) -> None:
    """...with the lake's files merged after every batch, or never; and read by
    worker processes, whose batches the team store writes several at a time."""
    monkeypatch.setenv("MARSAD_MERGE_EVERY", merge_every)
    monkeypatch.setenv("MARSAD_BATCH_SIZE", "50")  # many batches, many merges
    monkeypatch.setenv("MARSAD_WORKERS", workers)
    monkeypatch.setenv("MARSAD_PARALLEL_MIN_BYTES", "0")
    monkeypatch.setattr(pipeline, "BYTES_PER_CHUNK", 1 << 16)  # many chunks, many batches
    monkeypatch.setattr(LakeStore, "rows_per_write", 2_000)  # ...combined a few at a time
    files = _fixture_files()
    with DuckDBStore(tmp_path / "ws") as embedded, pipeline.open_store(server_db) as team:
        for path in files:
            pipeline.ingest_file(embedded, path)
            pipeline.ingest_file(team, path)
        a, b = _dump(embedded), _dump(team)
        for table in TABLES:
            assert a[table] == b[table], table
        census_a = run_census(embedded.analytics()).to_dict()
        census_b = run_census(team.analytics()).to_dict()
        census_a["meta"].pop("generated_at", None)
        census_b["meta"].pop("generated_at", None)
        assert census_a == census_b


# -- many processes at once ----------------------------------------------------------------


def _ingest_in_child(url: str, paths: list[str]) -> None:
    with pipeline.open_store(url) as store:
        for p in paths:
            pipeline.ingest_file(store, Path(p))


def test_two_writers_and_a_reader_at_once(server_db: str, tmp_path: Path) -> None:
    files = _fixture_files()
    with DuckDBStore(tmp_path / "ref") as ref:
        for path in files:
            pipeline.ingest_file(ref, path)
        expected = ref.counts()
    with pipeline.open_store(server_db):
        pass  # create the schema once, before the writers race
    ctx = multiprocessing.get_context("spawn")
    # both writers ingest every file (the same rows race), in opposite orders
    writers = [
        ctx.Process(target=_ingest_in_child, args=(server_db, [str(p) for p in files])),
        ctx.Process(target=_ingest_in_child, args=(server_db, [str(p) for p in files[::-1]])),
    ]
    for w in writers:
        w.start()
    # and the web app reads it meanwhile: the census and the queue through HTTP
    from marsad.review.service import Review
    from marsad.review.users import CONSOLE
    from tests.review.conftest import Server

    with Review(server_db) as review:
        review.users.add(CONSOLE, "watcher", "viewer", "a password long enough")
        token = review.users.new_token(CONSOLE, "watcher", "test")
    server = Server(server_db, tmp_path / "server.log")
    server.start()
    reads = web_reads = 0
    try:
        with (
            pipeline.open_store(server_db) as reader,
            httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=120) as web,
        ):
            while any(w.is_alive() for w in writers):
                run_census(reader.analytics(), sections=("size",))
                reads += 1
                for path in ("/api/v1/census", "/api/v1/queue"):
                    r = web.get(server.url + path)
                    assert r.status_code == 200, r.text[:500]
                    web_reads += 1
        for w in writers:
            w.join(timeout=300)
            assert w.exitcode == 0
        census = httpx.get(
            server.url + "/api/v1/census", headers={"Authorization": f"Bearer {token}"}, timeout=120
        ).json()
    finally:
        server.stop()
    with pipeline.open_store(server_db) as team:
        assert team.counts() == expected
        size = run_census(team.analytics(), sections=("size",)).to_dict()
    assert reads >= 1 and web_reads >= 2
    # the web app's census, read after the writers, has the exact counts
    assert _section(census, "size") == _section(json.loads(json.dumps(size, default=str)), "size")


def _section(census: dict[str, Any], key: str) -> Any:
    return next(s for s in census["sections"] if s["key"] == key)


# -- the CLI on a team store -----------------------------------------------------------------


def test_cli_on_a_team_store_never_shows_the_password(server_db: str) -> None:
    from click.testing import CliRunner

    from marsad.cli import main

    url = server_db.replace("postgres@", "postgres:hunter2secret@", 1)  # trust auth ignores it
    runner = CliRunner()
    done = runner.invoke(main, ["init", "-w", url])
    assert done.exit_code == 0, done.output
    assert "***" in done.output and "hunter2secret" not in done.output
    files = [str(p) for p in _fixture_files()[:3]]
    done = runner.invoke(main, ["ingest", "-w", url, *files])
    assert done.exit_code == 0, done.output
    census = runner.invoke(main, ["census", "-w", url, "--json", "--section", "size"])
    assert census.exit_code == 0, census.output
    assert "hunter2secret" not in census.output
    assert json.loads(census.output)["meta"]["workspace"].endswith(server_db.rsplit("/", 1)[1])
    info = runner.invoke(main, ["info", "-w", url])
    assert info.exit_code == 0 and "hunter2secret" not in info.output
    compact = runner.invoke(main, ["store", "compact", "-w", url, "--json"])
    assert compact.exit_code == 0, compact.output
    files_left = json.loads(compact.output)
    assert files_left["files_after"] <= files_left["files_before"]


def test_a_missing_team_store_is_a_clear_error(server_db: str) -> None:
    from click.testing import CliRunner

    from marsad.cli import main

    done = CliRunner().invoke(main, ["info", "-w", server_db])
    assert done.exit_code == 2
    assert "no marsad team store" in done.output or "does not exist" in done.output


def test_workspace_option_keeps_urls_and_paths() -> None:
    from pathlib import PurePath

    from marsad.config import WORKSPACE, is_server_url, shown_workspace

    assert (
        WORKSPACE.convert("postgresql://u:pw@h:5432/db", None, None)
        == "postgresql://u:pw@h:5432/db"
    )
    assert isinstance(WORKSPACE.convert("./ws", None, None), PurePath)
    assert is_server_url("postgres://h/db") and not is_server_url("./postgresql")
    assert shown_workspace("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert shown_workspace("./ws") == "./ws"


def test_bank_import_twice_keeps_one_of_each_signal(any_store: Store, tmp_path: Path) -> None:
    from marsad.hashing.banks import checkpoints, create_bank, import_bank

    md5 = "0123456789abcdef0123456789abcdef"
    sha = "ab" * 32
    listing = tmp_path / "list.csv"
    listing.write_text(f"md5,sha256,entity\n{md5},{sha},Outlet X\n{md5},,Outlet X\n")
    create_bank(any_store, "known")
    first = import_bank(any_store, "known", listing)
    again = import_bank(any_store, "known", listing)
    assert (first.added, again.added) == (2, 0)
    rows = any_store.query("SELECT signal_type, value FROM bank_signals ORDER BY 1")
    assert rows == [("md5", md5), ("sha256", sha)]
    assert isinstance(checkpoints(any_store, "known"), dict)


def test_no_progress_bar_on_stdout(any_store: Store) -> None:
    """DuckDB draws a progress bar on stdout for a query over 2 s; in the middle
    of `census --json` at 10M posts it made the JSON unreadable."""
    setting = "SELECT current_setting('enable_progress_bar')"
    assert any_store.query(setting) == [(False,)]
    assert any_store.analytics().cursor().execute(setting).fetchall() == [(False,)]
