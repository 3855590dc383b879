"""Incremental hash-list feeds (TCAP's hash list and CSVs with update
times), and hashing a media directory into the workspace."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from marsad.cli import main
from marsad.hashing import hash_file, pdq_bytes
from marsad.hashing.banks import (
    bank_signals,
    checkpoints,
    create_bank,
    export_bank,
    import_bank,
    list_banks,
)
from marsad.hashing.match import FILE_PLATFORM, hash_media_directory, match_workspace
from marsad.store.duckdb import DuckDBStore
from tests.conftest import shared_file

BRIDGE = "fixtures/threatexchange_reference/pdq/data/reg-test-input/dih/bridge-1-original.jpg"
TELEGRAM = "fixtures/telegram_desktop_export_2020/tests/result.json"


def hexes(n: int, bits: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(bits):0{bits // 4}x}" for _ in range(n)]


def entry(i: int, value: str, algorithm: str, when: float, deleted: bool = False) -> dict[str, Any]:
    """An entry as TAT's hash-list API serves it (threatexchange's TATHashListEntry)."""
    return {
        "hash_digest": value,
        "algorithm": algorithm,
        "ideology": "islamist",
        "file_type": "image" if algorithm == "PDQ" else "video",
        "deleted": deleted,
        "updated_on": when,
        "created_on": "2024-01-01T00:00:00Z",
        "id": i,
    }


def page(entries: list[dict[str, Any]], path: Path) -> Path:
    last = max(entries, key=lambda e: (e["updated_on"], e["id"]))
    body = {
        "count": len(entries),
        "next": None,
        "previous": None,
        "checkpoint": f"{int(last['updated_on'])},{last['id']}",
        "results": entries,
    }
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def values(store: DuckDBStore, bank: str) -> set[tuple[str, str]]:
    return {(s.type, s.value) for s in bank_signals(store, bank)}


def test_a_tcap_feed_applies_only_what_changed_since_its_checkpoint(
    store: DuckDBStore, tmp_path: Path
) -> None:
    create_bank(store, "tcap", source="TCAP")
    pdq, md5 = hexes(6, 256, 1), hexes(3, 128, 2)
    night1 = [entry(i, h, "PDQ", 1_700_000_000 + i) for i, h in enumerate(pdq[:4], 1)]
    night1 += [entry(10 + i, h, "MD5", 1_700_000_100 + i) for i, h in enumerate(md5[:2])]
    night1.append(entry(20, "AAAA", "TMK", 1_700_000_200))  # a type marsad does not bank
    first = import_bank(store, "tcap", page(night1, tmp_path / "n1.json"))
    assert (first.added, first.removed, first.skipped, first.errors) == (6, 0, 0, [])
    assert first.unsupported == {"TMK": 1}
    assert first.checkpoint == "1700000101,11"  # the newest entry banked
    assert checkpoints(store, "tcap") == {"tcap": "1700000101,11"}
    labels = {s.value: s.labels for s in bank_signals(store, "tcap")}
    assert labels[pdq[0]] == {"ideology": "islamist", "content_type": "image"}
    assert {s.content_id for s in bank_signals(store, "tcap")} >= {"1", "10"}

    # the next night's full list: two new hashes, one withdrawn, the rest as before
    night2 = night1 + [
        entry(30, pdq[4], "PDQ", 1_700_086_400),
        entry(31, md5[2], "MD5", 1_700_086_401),
        entry(2, pdq[1], "PDQ", 1_700_086_500, deleted=True),  # updated: deleted
    ]
    second = import_bank(store, "tcap", page(night2, tmp_path / "n2.json"))
    assert (second.added, second.removed) == (2, 1)
    assert second.skipped == 6  # entries at or before the checkpoint
    assert second.checkpoint == "1700086500,2"
    assert values(store, "tcap") == {("pdq", h) for h in (pdq[0], pdq[2], pdq[3], pdq[4])} | {
        ("md5", h) for h in md5
    }
    # the same list again changes nothing, and neither does an older one
    for again in ("n2.json", "n1.json"):
        r = import_bank(store, "tcap", tmp_path / again)
        assert (r.added, r.removed, r.checkpoint) == (0, 0, "1700086500,2")
    # an entry added and withdrawn within one list: the last word wins
    churn = [entry(40, pdq[5], "PDQ", 1_700_090_000), entry(40, pdq[5], "PDQ", 1_700_090_001, True)]
    assert import_bank(store, "tcap", page(churn, tmp_path / "n3.json")).added == 0
    assert ("pdq", pdq[5]) not in values(store, "tcap")
    # the list shown with its feed
    (listed,) = list_banks(store)
    assert listed.feeds == {"tcap": "1700090001,40"}


def test_tcap_lines_and_csv_feeds_and_bad_entries(store: DuckDBStore, tmp_path: Path) -> None:
    create_bank(store, "b")
    pdq = hexes(3, 256, 3)
    lines = tmp_path / "tcap.jsonl"
    lines.write_text(
        json.dumps(entry(1, pdq[0], "PDQ", 100))
        + "\n{oops\n"
        + json.dumps({**entry(2, pdq[1], "PDQ", 101), "updated_on": "yesterday"})
        + "\n"
        + json.dumps({**entry(3, pdq[2], "PDQ", 102), "deleted": "maybe"})
        + "\n"
        + json.dumps({**entry(4, "abc", "PDQ", 103)})
        + "\n",
        encoding="utf-8",
    )
    r = import_bank(store, "b", lines, "tcap")
    assert r.added == 1
    assert [e.removeprefix(f"{lines}:").split(":")[0] for e in r.errors] == ["2", "3", "4", "5"]
    assert "updated_on" in r.errors[1] and "deleted" in r.errors[2] and "64 hex" in r.errors[3]
    # a wide CSV with update times is a feed of its own (its checkpoint per feed name)
    csv = tmp_path / "list.csv"
    csv.write_text(
        "md5,pdq,entity,updated_on,id,deleted\n"
        f",{pdq[1]},Outlet X,2024-05-01T00:00:00Z,7,false\n"
        f",{pdq[0]},,2024-05-02T00:00:00Z,8,true\n",
        encoding="utf-8",
    )
    r = import_bank(store, "b", csv, feed="research-list")
    assert (r.added, r.removed, r.errors) == (1, 1, [])
    # bad entries do not move the checkpoint: only what was applied does
    assert checkpoints(store, "b") == {"tcap": "100,1", "research-list": "1714608000,8"}
    # TCAP's long CSV shape (hash_digest + algorithm)
    long = tmp_path / "long.csv"
    long.write_text(
        "hash_digest,algorithm,ideology,file_type,deleted,updated_on,id\n"
        f"{pdq[2]},PDQ,far-right,image,false,200,9\n"
        "00ff,SHA512,far-right,image,false,201,10\n",
        encoding="utf-8",
    )
    r = import_bank(store, "b", long, feed="tcap-csv")
    assert r.added == 1 and r.unsupported == {"SHA512": 1} and r.errors == []


def test_a_bank_exported_as_tcap_reimports_with_the_same_matches(
    store: DuckDBStore, tmp_path: Path
) -> None:
    create_bank(store, "src")
    pdq = hexes(50, 256, 4)
    page([entry(i, h, "PDQ", 1000 + i) for i, h in enumerate(pdq, 1)], tmp_path / "in.json")
    import_bank(store, "src", tmp_path / "in.json")
    assert export_bank(store, "src", tmp_path / "out.json", "tcap") == 50
    create_bank(store, "copy")
    assert import_bank(store, "copy", tmp_path / "out.json").added == 50
    assert {s.value for s in bank_signals(store, "copy")} == set(pdq)
    ids = {s.value: s.content_id for s in bank_signals(store, "copy")}
    assert ids == {s.value: s.content_id for s in bank_signals(store, "src")}


def test_a_media_directory_is_hashed_linked_and_matched(store: DuckDBStore, tmp_path: Path) -> None:
    bridge = shared_file(BRIDGE)
    media = tmp_path / "media"
    media.mkdir()
    # a download named after the URL of an ingested X photo, and one unknown file
    shutil.copy(bridge, media / "EXaMpLe.jpg")
    (media / "notes.txt").write_text("a neutral note\n", encoding="utf-8")
    store.execute(
        "INSERT INTO media (platform, native_id, post_id, kind, url) VALUES (?, ?, ?, ?, ?)",
        [("x", "3_111", "111", "photo", "https://pbs.twimg.com/media/EXaMpLe.jpg")],
    )
    r = hash_media_directory(store, media)
    assert (r.files, r.linked, r.added, r.errors) == (2, 1, 1, [])
    row = store.query("SELECT md5, sha256, pdq, path FROM media WHERE native_id = '3_111'")[0]
    h = hash_file(bridge)
    assert row[:3] == (h.md5, h.sha256, h.pdq.hex if h.pdq else None)
    assert row[3] == str((media / "EXaMpLe.jpg").resolve())  # hash-only: the path, not the bytes
    other = store.query("SELECT native_id, kind FROM media WHERE platform = ?", [FILE_PLATFORM])
    assert other == [(hash_file(media / "notes.txt").sha256, "document")]
    before = store.query("SELECT * FROM media ORDER BY ALL")
    again = hash_media_directory(store, media)
    assert (again.linked, again.added, again.unchanged) == (1, 0, 1)
    assert store.query("SELECT * FROM media ORDER BY ALL") == before  # nothing changes
    # a bank holding the photo: the linked item matches, with its post
    create_bank(store, "known")
    near = pdq_bytes(bridge.read_bytes()).hex
    (tmp_path / "k.txt").write_text(f"pdq {near}\n", encoding="utf-8")
    import_bank(store, "known", tmp_path / "k.txt")
    (hit,) = match_workspace(store)
    assert hit["item"] == "x:3_111" and hit["matches"][0]["distance"] == 0
    with pytest.raises(Exception, match="not a directory"):
        hash_media_directory(store, tmp_path / "absent")
    # with keep, the bytes are copied into the workspace and the row points there
    kept = hash_media_directory(store, media, keep=True)
    assert kept.errors == [] and kept.added == 0
    (path,) = store.query("SELECT path FROM media WHERE native_id = '3_111'")[0]
    assert Path(path) == store.directory / "media" / f"{h.sha256}.jpg"
    assert Path(path).read_bytes() == bridge.read_bytes()
    assert not list((store.directory / "media").glob(".*"))  # nothing half-written


def test_cli_media_and_feed_import(tmp_path: Path) -> None:
    bridge = shared_file(BRIDGE)
    ws = str(tmp_path / "ws")
    run = CliRunner().invoke
    media = tmp_path / "m"
    media.mkdir()
    shutil.copy(bridge, media / "a.jpg")
    r = run(main, ["media", str(media), "-w", ws])
    assert r.exit_code == 0, r.output
    assert "1 files: 0 linked to ingested media, 1 added as files" in r.output
    assert run(main, ["bank", "create", "tcap", "-w", ws]).exit_code == 0
    h = pdq_bytes(bridge.read_bytes()).hex
    page([entry(5, h, "PDQ", 1_700_000_000)], tmp_path / "t.json")
    r = run(main, ["bank", "import", "tcap", str(tmp_path / "t.json"), "-w", ws])
    assert r.exit_code == 0 and "checkpoint 1700000000,5" in r.output, r.output
    r = run(main, ["bank", "import", "tcap", str(tmp_path / "t.json"), "-w", ws])
    assert "0 added" in r.output and "1 at or before the checkpoint" in r.output
    (listed,) = json.loads(run(main, ["bank", "list", "-w", ws, "--json"]).output)
    assert listed["feeds"] == {"tcap": "1700000000,5"}
    r = run(main, ["match", "-w", ws, "--json"])
    (hit,) = json.loads(r.output)
    assert hit["item"].startswith(f"{FILE_PLATFORM}:") and hit["matches"][0]["content_id"] == "5"
    assert run(main, ["match", "-w", ws, "--threshold", "pdq"]).exit_code == 2
    assert run(main, ["match", "-w", ws, "--threshold", "pdq=300"]).exit_code == 2


def test_a_telegram_exports_files_link_to_the_media_ingested_from_them(
    store: DuckDBStore, tmp_path: Path
) -> None:
    from marsad.pipeline import ingest_file

    export = tmp_path / "export"
    shutil.copytree(shared_file(TELEGRAM).parent, export)
    ingest_file(store, export / "result.json")
    rows = store.query("SELECT path FROM media WHERE path IS NOT NULL")
    on_disk = {r[0] for r in rows}
    before = store.query("SELECT * EXCLUDE (path) FROM media ORDER BY ALL")
    r = hash_media_directory(store, export / "photos")
    files = sorted(str(p.resolve()) for p in (export / "photos").iterdir())
    # each photo is the file of an ingested media item: linked, nothing added
    assert set(files) <= on_disk and r.linked == len(files) and r.added == 0
    # the hashes it gives are the ones ingest gave (the same bytes, hashed the same way)
    assert store.query("SELECT * EXCLUDE (path) FROM media ORDER BY ALL") == before


def test_posts_near_duplicate_to_a_banked_text_become_detections(
    store: DuckDBStore, tmp_path: Path
) -> None:
    """A bank of known texts (threatexchange ``raw_text`` lines, kept as
    signatures only) against the posts of a real X v2 export."""
    from marsad.hashing.text import TextMinHashSignal, text_signature
    from marsad.pipeline import ingest_file

    ingest_file(store, shared_file("fixtures/x_api_v2_twarc/brexit.jsonl"))
    posts = store.query(
        "SELECT native_id, text FROM current_posts WHERE length(text) > 100 "
        "AND text NOT LIKE 'RT @%' ORDER BY native_id"
    )
    chosen = posts[:3]
    assert len(chosen) == 3
    # the known texts as they circulate: another link, a hashtag added (a
    # raw_text line holds one line: newlines become spaces)
    lines = "".join(
        f"raw_text {' '.join(text.replace('https://', 'http://x.example/').split())} #added_tag\n"
        for _, text in chosen
    )
    (tmp_path / "texts.te").write_text(lines, encoding="utf-8")
    create_bank(store, "texts")
    r = import_bank(store, "texts", tmp_path / "texts.te")
    assert r.added == 3 and r.errors == []
    banked = [s.value for s in bank_signals(store, "texts")]
    assert all(len(v) == 1024 for v in banked)
    assert not any(text[:40] in json.dumps(banked) for _, text in chosen)  # signatures only
    results = match_workspace(store)
    detected = {
        row[0]
        for row in store.query(
            "SELECT target_id FROM detections WHERE detector = 'hash-match' "
            "AND target_kind = 'post'"
        )
    }
    assert {pid for pid, _ in chosen} <= detected
    assert len(results) == len(detected)
    # every detection is a post the full comparison matches, and none is missed
    texts = dict(store.query("SELECT native_id, text FROM current_posts"))
    want = set()
    for pid, text in texts.items():
        sig = text_signature(text or "")
        if sig and any(TextMinHashSignal.compare(sig, b) <= 44 for b in banked):
            want.add(pid)
    assert detected == want
