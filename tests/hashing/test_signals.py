"""PDQ, MD5 and SHA-256 signals against the reference vectors of the PDQ and
python-threatexchange projects (``../shared/fixtures/threatexchange_reference``)."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest

from marsad.errors import UnreadableFile
from marsad.hashing import (
    MATCH_DISTANCE,
    QUALITY_MIN,
    hamming,
    hash_file,
    pdq_bytes,
    pdq_dihedral,
    pdq_hash,
)
from marsad.hashing.signals import DIHEDRAL
from tests.conftest import shared_file

REF = "fixtures/threatexchange_reference"


def reference_rows() -> list[dict[str, str]]:
    table = shared_file(f"{REF}/expected_pdq_hashes.csv")
    return list(csv.DictReader(table.open(encoding="utf-8")))


def missing() -> set[str]:
    text = shared_file(f"{REF}/MISSING_FROM_SNAPSHOT.txt").read_text(encoding="utf-8")
    return {
        line.split(" ", 1)[1].strip() for line in text.splitlines() if line.startswith("MISSING ")
    }


def tolerance(row: dict[str, str]) -> int:
    """The distance the table allows for a row: 0 where python-threatexchange's
    or the Java tests assert equality; the tolerance the row names ("hamming<=16",
    the pure-Python hasher's test); for the C++ and wasm rows, which name none,
    the PDQ README's rule for a correct implementation (quality >= 80: <= 10)."""
    impl = row["implementation"]
    named = re.search(r"hamming<=(\d+)", impl)
    if named:
        return int(named.group(1))
    if "exact" in impl or impl.startswith("threatexchange CLI"):
        return 0
    if impl.startswith(("pdq/cpp", "pdq/wasm")):
        return 10
    raise AssertionError(f"a row of a kind this test does not know: {impl}")


def test_every_reference_vector_reproduces() -> None:
    from threatexchange.content_type.photo import PhotoContent
    from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

    base = shared_file(REF)
    absent = missing()
    checked = exact = 0
    for row in reference_rows():
        path = base / row["image"]
        if row["image"] in absent:
            assert not path.exists()
            continue
        impl = row["implementation"]
        if "MD5 of video" in impl:
            got = hash_file(path, pdq=False).md5
            assert got == row["expected_pdq"], row["image"]
            checked += 1
            continue
        data = path.read_bytes()
        if "unletterbox" in impl:
            ours = pdq_hash(path, unletterbox=15)  # the CLI's default black threshold
        elif "rotations, variant" in impl:
            variant = impl.rsplit(" ", 1)[1]
            rotated = {k.name: v for k, v in PhotoContent.all_simple_rotations(data).items()}
            ours = pdq_bytes(rotated[variant])
        else:
            ours = pdq_bytes(data, where=row["image"])
            # the same hash as python-threatexchange's own hasher, bit for bit
            assert ours.hex == pdq_from_bytes(data)[0], row["image"]
            assert ours.hex == row["pdqhash_pkg_hash"], row["image"]
            if row["pdqhash_pkg_quality"]:
                assert ours.quality == int(row["pdqhash_pkg_quality"])
        allowed = tolerance(row)
        distance = hamming(ours.hex, row["expected_pdq"])
        assert distance <= allowed, f"{row['image']} ({impl}): {distance} > {allowed}"
        if row["expected_quality"]:
            assert ours.quality == int(row["expected_quality"]), row["image"]
        checked += 1
        exact += allowed == 0
    # the table: 61 rows, one video absent; 16 rows asserted exact upstream
    assert (checked, exact) == (60, 16)


def test_the_eight_dihedral_variants_of_the_bridge_match_the_original() -> None:
    folder = shared_file(f"{REF}/pdq/data/reg-test-input/dih")
    original = (folder / "bridge-1-original.jpg").read_bytes()
    hashes, quality = pdq_dihedral(original)
    assert quality >= QUALITY_MIN and len(hashes) == 8
    assert hashes[0] == pdq_bytes(original).hex  # the first is the plain hash
    files = sorted(folder.glob("bridge-*.jpg"))
    assert len(files) == 8
    for path, transform in zip(files, DIHEDRAL, strict=True):
        variant = pdq_bytes(path.read_bytes()).hex
        distances = [hamming(variant, h) for h in hashes]
        assert min(distances) <= MATCH_DISTANCE, path.name
        # ... through the hash of its own transform, and no other
        assert DIHEDRAL[distances.index(min(distances))] == transform, path.name
        if transform != "original":
            assert hamming(variant, hashes[0]) > 3 * MATCH_DISTANCE  # unrelated without it


def test_telegram_photo_hashes_and_a_jpg_that_is_not_a_picture() -> None:
    photos = shared_file("fixtures/telegram_desktop_export_2020/tests/photos")
    photo = next(photos.glob("photo_1@*.jpg"))
    got = hash_file(photo)
    # values from md5sum and sha256sum, not from hashlib
    assert got.md5 == "13e4088c3bd00b8dd944307f14ef4f44"
    assert got.sha256 == "1b3f0b7405bbe3dda6b27b7de12eaea29065f779403dad9c1bb412b76b201b0a"
    assert got.media == "image" and got.pdq is not None and got.pdq.matchable
    assert got.pdq.hex == pdq_bytes(photo.read_bytes()).hex
    not_a_picture = next(photos.glob("photo_3@*.jpg"))  # a symlink checked out as text
    other = hash_file(not_a_picture)
    assert other.pdq is None and other.media == "file"
    assert "not a picture" in other.note
    with pytest.raises(UnreadableFile, match="photo_3"):
        pdq_hash(not_a_picture)


def test_bad_and_truncated_files(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="cannot read"):
        hash_file(tmp_path / "absent.jpg")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)  # a JPEG header and nothing
    got = hash_file(broken)
    assert got.pdq is None and got.note and got.size == 44
    assert got.md5 == hashlib.md5(broken.read_bytes(), usedforsecurity=False).hexdigest()
    with pytest.raises(ValueError, match="different lengths"):
        hamming("ab", "abcd")


def test_low_quality_is_not_matchable() -> None:
    small = shared_file(f"{REF}/pdq/data/misc-images/small.jpg")
    assert not pdq_hash(small).matchable  # quality 0 in the reference table
