"""The PDQ index finds exactly what a comparison with every hash finds."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from marsad.errors import InputError
from marsad.hashing.index import PdqIndex, brute_force, codes_from_hex


def near(
    codes: np.ndarray, distances: list[int], rng: np.random.Generator, spread: bool
) -> np.ndarray:
    """Copies of *codes* with the given number of bits flipped: at random, or
    (spread) one bit in each of 31 different bytes -- the worst case for
    substring keys, every substring hit."""
    bits = np.unpackbits(codes, axis=1)
    for i, d in enumerate(distances):
        pos = (
            (np.arange(d) * 8 + rng.integers(0, 8)) % 256
            if spread
            else rng.choice(256, d, replace=False)
        )
        bits[i, pos] ^= 1
    return np.packbits(bits, axis=1)


def as_set(result: tuple[np.ndarray, np.ndarray, np.ndarray]) -> set[tuple[int, int, int]]:
    return set(zip(*(a.tolist() for a in result), strict=True))


@pytest.fixture(scope="module")
def bank() -> np.ndarray:
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 256, (30_000, 32), dtype=np.uint8)
    codes[1000:1100] = codes[0]  # many copies of one hash
    codes[2000:2050] = near(codes[2000:2050], [3] * 50, rng, False)  # a cluster
    return codes


@pytest.mark.parametrize("spread", [False, True])
def test_same_matches_as_brute_force(bank: np.ndarray, spread: bool) -> None:
    rng = np.random.default_rng(int(spread))
    index = PdqIndex.build(bank)
    src = rng.choice(len(bank), 300, replace=False)
    distances = [i % 34 for i in range(300)] if not spread else [31] * 300
    queries = np.concatenate(
        [
            near(bank[src], distances, rng, spread),
            bank[[0, 2000]],
            rng.integers(0, 256, (50, 32), dtype=np.uint8),
        ]
    )
    got = index.search(queries, 31)
    want = brute_force(bank, queries, 31)
    assert as_set(got) == as_set(want)
    found = as_set(got)
    # every planted copy within 31 bits is found (recall 1), none beyond
    for i, (row, d) in enumerate(zip(src, distances, strict=True)):
        assert ((i, int(row), d) in found) == (d <= 31)
    # 100 copies of one hash: all found, once each
    assert sum(1 for q, _, d in found if q == 300 and d == 0) == 101
    assert list(got[0]) == sorted(got[0])


def test_adds_are_found_before_and_after_a_merge(bank: np.ndarray, tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    index = PdqIndex.build(bank[:20_000])
    rows = index.add(bank[20_000:])
    assert list(rows) == list(range(20_000, 30_000)) and index.indexed == 20_000
    queries = near(bank[[5, 25_000, 29_999]], [10, 20, 31], rng, True)
    before = index.search(queries)
    assert {25_000, 29_999} <= set(before[1].tolist())
    index.merge()
    assert index.indexed == 30_000
    assert as_set(index.search(queries)) == as_set(before) == as_set(brute_force(bank, queries, 31))
    # saved and loaded: the same answers; the files are plain arrays
    index.save(tmp_path / "idx")
    loaded = PdqIndex.load(tmp_path / "idx")
    assert as_set(loaded.search(queries)) == as_set(before)
    assert len(loaded) == 30_000


def test_a_bad_or_pickled_index_file_is_refused(bank: np.ndarray, tmp_path: Path) -> None:
    PdqIndex.build(bank[:1000]).save(tmp_path / "idx")
    payload = tmp_path / "pwned"

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (Path.touch, (str(payload),))  # type: ignore[return-value]

    (tmp_path / "idx" / "rows.npy").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(InputError, match="rows"):
        PdqIndex.load(tmp_path / "idx")
    assert not payload.exists()  # the pickle did not run
    (tmp_path / "idx" / "index.json").write_text('{"format": "other"}')
    with pytest.raises(InputError, match="format"):
        PdqIndex.load(tmp_path / "idx")
    with pytest.raises(InputError, match="not a marsad PDQ index"):
        PdqIndex.load(tmp_path / "absent")


def test_radius_beyond_the_probes_falls_back_to_full_comparison(bank: np.ndarray) -> None:
    index = PdqIndex.build(bank[:5000])
    q = near(bank[:20], [40] * 20, np.random.default_rng(1), False)
    assert as_set(index.search(q, 45)) == as_set(brute_force(bank[:5000], q, 45))
    assert codes_from_hex(["00" * 32, "ff" * 32]).tolist()[1] == [255] * 32
