"""Banks: create, import and export in every format, and matching against them."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from marsad.cli import main
from marsad.errors import ConfigError
from marsad.hashing import hash_file, pdq_bytes
from marsad.hashing.banks import (
    FORMATS,
    Matcher,
    create_bank,
    export_bank,
    import_bank,
    list_banks,
    set_enabled,
)
from marsad.hashing.index import PdqIndex
from marsad.hashing.match import DETECTOR, match_workspace
from marsad.pipeline import ingest_file
from marsad.store.duckdb import DuckDBStore
from tests.conftest import shared_file

BRIDGE = "fixtures/threatexchange_reference/pdq/data/reg-test-input/dih/bridge-1-original.jpg"
TELEGRAM = "fixtures/telegram_desktop_export_2020/tests/result.json"
PDQ_A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5_A = "13e4088c3bd00b8dd944307f14ef4f44"
SHA_A = "1b3f0b7405bbe3dda6b27b7de12eaea29065f779403dad9c1bb412b76b201b0a"


def flip(hex_: str, bits: int, seed: int = 0) -> str:
    """*hex_* with *bits* distinct bits flipped."""
    value = int(hex_, 16)
    for b in random.Random(seed).sample(range(256), bits):
        value ^= 1 << b
    return f"{value:064x}"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_banks_are_created_listed_and_switched(store: DuckDBStore) -> None:
    create_bank(store, "gifct", source="GIFCT", created_by="analyst-1")
    create_bank(store, "known-fp", negative=True)
    with pytest.raises(ConfigError, match="exists"):
        create_bank(store, "gifct")
    with pytest.raises(ConfigError, match="bank name"):
        create_bank(store, "no spaces; please")
    with pytest.raises(ConfigError, match="no bank"):
        set_enabled(store, "absent", False)
    assert set_enabled(store, "gifct", False).enabled is False
    banks = {b.name: b for b in list_banks(store)}
    assert banks["gifct"].source == "GIFCT" and not banks["gifct"].enabled
    assert banks["known-fp"].negative and banks["known-fp"].enabled


def test_each_format_imports_good_lines_and_names_bad_ones(
    store: DuckDBStore, tmp_path: Path
) -> None:
    create_bank(store, "b")
    cases = {
        "te.txt": (
            f"# threatexchange\npdq {PDQ_A}\nvideo_md5 {MD5_A}\ntmk abc\npdq {PDQ_A[:-1]}\n",
            2,
            {4: "tmk", 5: "64 hex digits"},
        ),
        "list.csv": (
            f"md5,sha256,pdq,entity,ideology\n{MD5_A},{SHA_A},,Outlet X,jihadist\n,,zz,,\n,,,,\n",
            2,
            {3: "not hexadecimal", 4: "no hash"},
        ),
        "list.jsonl": (
            json.dumps({"type": "pdq", "value": PDQ_A.upper(), "labels": {"entity": "x"}})
            + "\n{not json\n"
            + json.dumps({"type": "sha1", "value": "ab"})
            + "\n",
            1,
            {2: "", 3: "unknown signal type"},
        ),
        "plain.txt": (f"{MD5_A}\n{PDQ_A}\n", 1, {2: "give the list's --type"}),
    }
    for name, (text, good, bad) in cases.items():
        result = import_bank(store, "b", write(tmp_path / name, text))
        assert result.seen == good, name
        prefix = len(str(tmp_path / name)) + 1
        assert [int(e[prefix:].split(":")[0]) for e in result.errors] == list(bad), result.errors
        for e, (line, why) in zip(result.errors, bad.items(), strict=True):
            assert e.startswith(f"{tmp_path / name}:{line}: ") and why in e
        again = import_bank(store, "b", tmp_path / name)
        assert again.added == 0  # the same list again changes nothing
    signals = store.query("SELECT signal_type, value, labels FROM bank_signals ORDER BY ALL")
    assert {(t, v) for t, v, _ in signals} == {("md5", MD5_A), ("sha256", SHA_A), ("pdq", PDQ_A)}
    labels = {t: json.loads(lab) for t, _, lab in signals}
    assert labels["sha256"] == {"entity": "Outlet X", "ideology": "jihadist"}


def test_a_plain_list_of_64_digit_hashes_needs_its_type(store: DuckDBStore, tmp_path: Path) -> None:
    create_bank(store, "p")
    path = write(tmp_path / "pdq.txt", f"{PDQ_A}\n{flip(PDQ_A, 40)}\n")
    assert import_bank(store, "p", path, "plain", signal_type="pdq").added == 2


def _matches(store: DuckDBStore, queries: list[dict[str, str]]) -> list[list[tuple[str, int]]]:
    matcher = Matcher(store)
    out = []
    for q in queries:
        found, suppressed = matcher.match(**q)
        out.append([(m.value, m.distance) for m in found] + [("x", -1) for _ in suppressed])
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_and_reimport_give_identical_matches(
    tmp_path: Path, fmt: str, store: DuckDBStore
) -> None:
    create_bank(store, "src")
    rng = random.Random(1)
    pdqs = [f"{rng.getrandbits(256):064x}" for _ in range(200)]
    lines = [
        json.dumps({"type": "pdq", "value": h, "labels": {"i": i}}) for i, h in enumerate(pdqs)
    ]
    if fmt != "plain":  # a plain list holds one type
        lines.append(json.dumps({"type": "md5", "value": MD5_A}))
    import_bank(store, "src", write(tmp_path / "in.jsonl", "\n".join(lines) + "\n"))
    queries = [{"pdq": flip(h, d, seed=d)} for h, d in zip(pdqs[:40], range(0, 40), strict=True)]
    queries += [{"md5": MD5_A}, {"pdq": flip(pdqs[0], 100)}]
    before = _matches(store, queries)
    assert sum(bool(m) for m in before) == 32 + (fmt != "plain")  # d = 0..31 match, 32.. do not

    out = tmp_path / f"bank.{fmt}"
    n = export_bank(store, "src", out, fmt)
    assert n == len(lines) and not list(tmp_path.glob(".*.part"))
    other = DuckDBStore(tmp_path / "other")
    try:
        create_bank(other, "src")
        result = import_bank(other, "src", out, fmt, signal_type="pdq" if fmt == "plain" else None)
        assert result.errors == [] and result.added == n
        assert _matches(other, queries) == before
    finally:
        other.close()


def test_matching_thresholds_negative_banks_and_disabled_banks(store: DuckDBStore) -> None:
    create_bank(store, "known")
    create_bank(store, "fp", negative=True)
    import_bank_lines(store, "known", [("pdq", PDQ_A), ("md5", MD5_A)])
    far = flip(PDQ_A, 60, seed=3)
    import_bank_lines(store, "known", [("pdq", far)])
    m = Matcher(store)
    assert [x.distance for x in m.match(pdq=flip(PDQ_A, 31))[0]] == [31]
    assert m.match(pdq=flip(PDQ_A, 32))[0] == []
    assert Matcher(store, thresholds={"pdq": 40}).match(pdq=flip(PDQ_A, 32))[0][0].distance == 32
    assert m.match(md5=MD5_A.upper())[0][0].bank == "known"
    # a known false positive near the far hash suppresses the far hash's matches
    import_bank_lines(store, "fp", [("pdq", flip(far, 5, seed=9))])
    matches, suppressed = Matcher(store).match(pdq=far)
    assert matches == [] and {s.bank for s in suppressed} == {"known", "fp"}
    set_enabled(store, "known", False)
    assert Matcher(store).match(pdq=PDQ_A, md5=MD5_A) == ([], [])


def import_bank_lines(store: DuckDBStore, bank: str, signals: list[tuple[str, str]]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = write(Path(d) / "l.txt", "".join(f"{t} {v}\n" for t, v in signals))
        assert import_bank(store, bank, path, "threatexchange").errors == []


def test_the_telegram_photo_matches_a_bank_that_holds_it(
    store: DuckDBStore, tmp_path: Path
) -> None:
    export = shared_file(TELEGRAM)
    photo = next((export.parent / "photos").glob("photo_1@*.jpg"))
    ingest_file(store, export, fmt="telegram")
    create_bank(store, "known")
    # the bank holds a re-encoded copy's hash (8 bits off), as a list from elsewhere would
    own = pdq_bytes(photo.read_bytes()).hex
    held = flip(own, 8)
    path = write(tmp_path / "known.txt", f"pdq {held}\n")
    import_bank(store, "known", path, labels={"entity": "test-outlet"})
    rows = match_workspace(store)
    assert rows and all(r["matches"][0]["distance"] == 8 for r in rows)
    dets = store.query(
        "SELECT target_id, score, evidence FROM detections WHERE detector = ? ORDER BY ALL",
        [DETECTOR],
    )
    # every message showing that photo, and nothing else (the export has another picture)
    photos = store.query("SELECT native_id FROM media WHERE pdq = ? ORDER BY ALL", [own])
    assert [d[0] for d in dets] == [p[0] for p in photos] and len(photos) >= 2
    assert store.query("SELECT count(*) FROM media WHERE pdq IS NOT NULL")[0][0] > len(photos)
    evidence = json.loads(dets[0][2])
    assert evidence["matches"][0]["labels"] == {"entity": "test-outlet"}
    assert evidence["matches"][0]["bank"] == "known"
    before = store.counts()
    match_workspace(store)  # again: nothing changes
    assert store.counts() == before
    set_enabled(store, "known", False)
    match_workspace(store)
    assert store.query("SELECT count(*) FROM detections WHERE detector = ?", [DETECTOR]) == [(0,)]


def test_cli_bank_round_trip_and_match(tmp_path: Path) -> None:
    bridge = shared_file(BRIDGE)
    ws = str(tmp_path / "ws")
    run = CliRunner().invoke
    assert run(main, ["bank", "create", "gifct", "--source", "GIFCT", "-w", ws]).exit_code == 0
    listing = write(
        tmp_path / "l.csv", f"pdq,entity\n{pdq_bytes(bridge.read_bytes()).hex},x\nzz,y\n"
    )
    result = run(main, ["bank", "import", "gifct", str(listing), "-w", ws])
    assert result.exit_code == 1  # a bad line: reported, the good one landed
    assert f"{listing}:3" in " ".join(result.output.split())
    result = run(main, ["match", "--json", str(bridge), "-w", ws])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert row["matches"][0]["labels"] == {"entity": "x"}
    out = tmp_path / "out.csv"
    assert (
        run(main, ["bank", "export", "gifct", str(out), "--format", "csv", "-w", ws]).exit_code == 0
    )
    assert hash_file(out).size > 0
    listed = json.loads(run(main, ["bank", "list", "--json", "-w", ws]).output)
    assert listed[0]["signals"] == {"pdq": 1}


def test_the_index_matches_as_the_full_comparison(
    store: DuckDBStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import marsad.hashing.index as index_module

    create_bank(store, "big")
    rng = random.Random(4)
    pdqs = [f"{rng.getrandbits(256):064x}" for _ in range(3000)]
    import_bank(store, "big", write(tmp_path / "l.txt", "".join(f"pdq {h}\n" for h in pdqs)))
    queries = [{"pdq": flip(pdqs[i], i % 40, seed=i)} for i in range(0, 3000, 25)]
    full = _matches(store, queries)
    monkeypatch.setattr(index_module, "INDEX_FROM", 1)
    pdq_index = Matcher(store)._index["pdq"]
    assert isinstance(pdq_index, index_module.PdqSignalIndex) and pdq_index.index is not None
    assert _matches(store, queries) == full
    assert sum(bool(m) for m in full) == sum(1 for i in range(0, 3000, 25) if i % 40 <= 31)
    # the built index is kept in the workspace and loaded, not built, next time
    (kept,) = (store.directory / "index").glob("pdq-*")

    def no_build(codes: object) -> None:
        raise AssertionError("built again")

    with monkeypatch.context() as m:
        m.setattr(index_module.PdqIndex, "build", classmethod(lambda cls, codes: no_build(codes)))
        assert _matches(store, queries) == full
        # a bank that grows: the new hashes go to the cached index's delta,
        # found at once, and the tables are not built again
        added = flip(pdqs[0], 50)
        import_bank(store, "big", write(tmp_path / "m.txt", f"pdq {added}\n"))
        grown = Matcher(store)._index["pdq"]
        assert isinstance(grown, index_module.PdqSignalIndex) and grown.index is not None
        assert grown.index.indexed == 3000 and len(grown.index) == 3001
        assert grown.search([added], 31) == [(0, 3000, 0)]
    (now,) = (store.directory / "index").glob("pdq-*")
    assert now != kept and not kept.exists()
    assert PdqIndex.load(now).indexed == 3000  # kept with its delta
    # a delta beyond a quarter of the tables is merged
    more = [f"{rng.getrandbits(256):064x}" for _ in range(1000)]
    import_bank(store, "big", write(tmp_path / "n.txt", "".join(f"pdq {h}\n" for h in more)))
    merged = Matcher(store)._index["pdq"]
    assert isinstance(merged, index_module.PdqSignalIndex) and merged.index is not None
    assert merged.index.indexed == 4001 == len(merged.index)
    # a signal removed (a bank disabled): built again for what is left
    create_bank(store, "small")
    import_bank(store, "small", write(tmp_path / "s.txt", f"pdq {pdqs[1]}\n"))
    set_enabled(store, "big", False)
    assert [m.bank for m in Matcher(store).match(pdq=pdqs[1])[0]] == ["small"]


def test_rotated_and_mirrored_copies_match_with_rotations(
    store: DuckDBStore, tmp_path: Path
) -> None:
    from marsad.hashing.match import match_files

    folder = shared_file(BRIDGE).parent
    create_bank(store, "known")
    original = pdq_bytes((folder / "bridge-1-original.jpg").read_bytes()).hex
    import_bank(store, "known", write(tmp_path / "k.txt", f"pdq {original}\n"))
    variants = sorted(folder.glob("bridge-*.jpg"))
    plain = match_files(store, variants)
    assert [bool(r["matches"]) for r in plain] == [True] + [False] * 7
    turned = match_files(store, variants, rotations=True)
    assert all(len(r["matches"]) == 1 and r["matches"][0]["distance"] <= 8 for r in turned)
    # a known false positive matched through any transform suppresses the item
    create_bank(store, "fp", negative=True)
    import_bank(store, "fp", write(tmp_path / "f.txt", f"pdq {original}\n"))
    again = match_files(store, variants[1:2], rotations=True)
    assert again[0]["matches"] == [] and {m["bank"] for m in again[0]["suppressed"]} == {
        "known",
        "fp",
    }
