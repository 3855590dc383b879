"""vPDQ, the ``video`` extra: python-threatexchange's serialisation and
matching on random frame hashes, and Meta's vpdq reference hashes of the
sample videos (``../shared/fixtures/threatexchange_reference``).

The tests that hash videos need the vpdq package and skip without it,
saying how to install the extra; the others need neither vpdq nor FFmpeg.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from marsad.errors import DependencyError, UnreadableFile
from marsad.hashing.base import BruteForceIndex
from marsad.hashing.video import (
    APT_PACKAGES,
    NO_MATCH,
    QUALITY_MIN,
    VpdqFrame,
    VpdqSignal,
    match_percents,
    parse_vpdq,
    serialize_vpdq,
    vpdq_available,
    vpdq_hash,
)
from tests.conftest import shared_file

REF = "fixtures/threatexchange_reference"
INSTALL = (
    "vpdq is not installed: install the video extra with pip install 'marsad[video]' "
    f"(it builds against FFmpeg: apt-get install {' '.join(APT_PACKAGES)})"
)
THRESHOLD = VpdqSignal.default_threshold
#: upstream's regression tolerance: vpdq/python/tests/test_vpdq_hash.py
#: (DISTANCE_TOLERANCE = 31, QUALITY_TOLERANCE = 50, asserted with "<")
DISTANCE_TOLERANCE = 31
# the sample videos that have a vpdq sample hash (vpdq/python/tests/test_vpdq_hash.py's
# TEST_FILES and test-padded-dimensions); two are not in the snapshot
VIDEOS = [
    "chair-19-sd-bar",
    "chair-20-sd-bar",
    "chair-22-sd-grey-bar",
    "chair-22-sd-sepia-bar",
    "chair-22-with-large-logo-bar",
    "chair-22-with-small-logo-bar",
    "chair-orig-22-fhd-no-bar",
    "chair-orig-22-hd-no-bar",
    "chair-orig-22-sd-bar",
    "doorknob-hd-no-bar",
    "pattern-hd-no-bar",
    "pattern-longer-no-bar",
    "pattern-sd-grey-bar",
    "pattern-sd-with-large-logo-bar",
    "pattern-sd-with-small-logo-bar",
    "test-padded-dimensions",
]
# what the sample hashes show (every frame hashed): versions of one video that
# match one another both ways at the default threshold.  Not in a family,
# measured: the large-logo versions (89-99 from their family: the logo moves
# every frame more than 31 bits) and the letterboxed chair against the
# un-letterboxed one (100: vPDQ does not cut bars off).
FAMILIES = [
    [
        "chair-19-sd-bar",  # a 19-second cut of the 22-second video
        "chair-20-sd-bar",
        "chair-22-sd-grey-bar",
        "chair-22-sd-sepia-bar",
        "chair-22-with-small-logo-bar",
        "chair-orig-22-sd-bar",
    ],
    ["chair-orig-22-fhd-no-bar", "chair-orig-22-hd-no-bar"],
    ["pattern-hd-no-bar", "pattern-longer-no-bar"],
    ["pattern-sd-grey-bar", "pattern-sd-with-small-logo-bar"],
]


def source(name: str) -> str:
    """What a sample video shows: chair, pattern, doorknob or test."""
    return name.split("-", 1)[0]


# -- random frame hashes -------------------------------------------------------


def random_codes(rng: np.random.Generator, n: int) -> npt.NDArray[np.uint8]:
    return rng.integers(0, 256, (n, 32), dtype=np.uint8)


def flip(
    codes: npt.NDArray[np.uint8], bits: int, rng: np.random.Generator
) -> npt.NDArray[np.uint8]:
    """*codes* with *bits* random bits of each row flipped."""
    unpacked = np.unpackbits(codes, axis=1)
    for row in unpacked:
        row[rng.choice(256, bits, replace=False)] ^= 1
    return np.packbits(unpacked, axis=1)


def video(
    codes: npt.NDArray[np.uint8], quality: int = 100, start: float = 0.0, step: float = 1.0
) -> str:
    return serialize_vpdq(
        VpdqFrame(bytes(c).hex(), quality, start + i * step) for i, c in enumerate(codes)
    )


def test_values_are_threatexchanges_serialisation() -> None:
    a, b = "ab" * 32, "cd" * 32
    frames = [VpdqFrame(a, 100, 0.0), VpdqFrame(b.upper(), 49, 1 / 30), VpdqFrame(a, 7, 123.456)]
    value = serialize_vpdq(frames)
    # vpdq_util.py: json.dumps of "<hex>,<quality>,<timestamp:.3>" strings
    assert value == f'["{a},100,0.0", "{b},49,0.0333", "{a},7,1.23e+02"]'
    assert VpdqSignal.validate(value) == value
    assert [str(f) for f in parse_vpdq(value)] == json.loads(value)
    # other spellings of the same frames: one canonical value
    loose = f' ["{a.upper()}, 100 ,0", "{b},49,0.033333333","{a},7,123.4"] '
    assert VpdqSignal.validate(loose) == value
    assert VpdqSignal.from_threatexchange("vpdq", loose) == value
    assert VpdqSignal.validate(VpdqSignal.validate(loose)) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty vpdq value"),
        ("   ", "empty vpdq value"),
        ("[]", "no frames"),
        ("zz", "not JSON"),
        ('{"0": {"quality": 100}}', "is a JSON dict"),
        ("[1]", "frame 0 is a JSON int"),
        ('["' + "ab" * 32 + ',100"]', "frame 0: .* is not '<pdq hex>,<quality>,<timestamp>'"),
        ('["' + "ab" * 31 + ',100,0.0"]', "frame 0: PDQ hash needs 64 hex digits, got 62"),
        ('["' + "ab" * 32 + ',100,0.0", "' + "g" * 64 + ',100,1.0"]', "frame 1: .*not hexadecimal"),
        ('["' + "ab" * 32 + ',101,0.0"]', "quality must be an integer 0-100, got 101"),
        ('["' + "ab" * 32 + ',high,0.0"]', "quality must be an integer 0-100"),
        ('["' + "ab" * 32 + ',-1,0.0"]', "quality must be an integer 0-100"),
        ('["' + "ab" * 32 + ',100,-0.5"]', "timestamp must be seconds >= 0"),
        ('["' + "ab" * 32 + ',100,nan"]', "timestamp must be seconds >= 0"),
        ('["' + "ab" * 32 + ',100,soon"]', "timestamp must be seconds >= 0"),
    ],
)
def test_bad_values_are_refused_with_a_reason(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        VpdqSignal.validate(value)
    with pytest.raises(ValueError, match=reason):
        VpdqSignal.compare(value, VpdqSignal.examples()[0])


def test_frames_are_checked_when_built() -> None:
    for hex_, quality, seconds, reason in [
        ("ab" * 32, True, 0.0, "quality"),
        ("ab" * 32, 100.0, 0.0, "quality"),
        ("ab" * 32, 100, float("inf"), "timestamp"),
        ("ab" * 33, 100, 0.0, "64 hex digits"),
    ]:
        with pytest.raises(ValueError, match=reason):
            VpdqFrame(hex_, quality, seconds)  # type: ignore[arg-type]
    assert str(VpdqFrame("AB" * 32, 0, 2)) == "ab" * 32 + ",0,2.0"


def test_the_contract() -> None:
    assert VpdqSignal.name == "vpdq" and VpdqSignal.threatexchange_names == ("vpdq",)
    # threatexchange's defaults: 80% of the query's frames (and 0% of the other's)
    assert (VpdqSignal.default_threshold, VpdqSignal.max_threshold) == (20, 99)
    examples = VpdqSignal.examples()
    assert len(examples) >= 2
    for v in examples:
        assert VpdqSignal.validate(v) == v
        assert VpdqSignal.compare(v, v) == 0
    distances = [VpdqSignal.compare(a, b) for a in examples for b in examples]
    assert min(d for d in distances if d > 0) <= 50 and max(distances) == NO_MATCH
    # not symmetric: a clip is in the video, most of the video is not in the clip
    assert not VpdqSignal.symmetric
    assert any(
        VpdqSignal.compare(a, b) != VpdqSignal.compare(b, a) for a in examples for b in examples
    )


def test_identical_reordered_reencoded_and_unrelated_videos() -> None:
    rng = np.random.default_rng(1)
    codes = random_codes(rng, 30)
    original = video(codes)
    shuffled = video(np.concatenate([codes[rng.permutation(30)], codes[:5]]), start=3.0)
    reencoded = video(flip(codes, 31, rng))  # every frame 31 bits off: still the frame
    unrelated = video(random_codes(rng, 30))
    for a, b, want in [
        (original, original, 0),
        (original, shuffled, 0),  # order, timestamps and repeated frames do not count
        (original, reencoded, 0),
        (original, unrelated, NO_MATCH),
    ]:
        assert VpdqSignal.compare(a, b) == VpdqSignal.compare(b, a) == want
    assert VpdqSignal.compare(original, video(flip(codes, 32, rng))) == NO_MATCH


def test_a_clip_matches_the_video_it_was_cut_from() -> None:
    rng = np.random.default_rng(2)
    codes = random_codes(rng, 40)
    full, clip = video(codes), video(codes[10:30], start=10.0)
    # posted clip, banked video: every frame of the clip is known
    assert VpdqSignal.compare(clip, full) == 0 <= THRESHOLD
    assert match_percents(clip, full) == (100.0, 50.0)
    # posted video, banked clip: half of its frames are known (threatexchange: no match)
    assert VpdqSignal.compare(full, clip) == 50 > THRESHOLD
    assert match_percents(full, clip) == (50.0, 100.0)
    # a clip of 4/5 of the video matches both ways, of 79% not the other way
    assert VpdqSignal.compare(full, video(codes[:32])) == 20
    hundred = random_codes(rng, 100)
    assert VpdqSignal.compare(video(hundred), video(hundred[:79])) == 21


def test_low_quality_and_repeated_frames_are_not_counted() -> None:
    rng = np.random.default_rng(3)
    codes = random_codes(rng, 10)
    good = [VpdqFrame(bytes(c).hex(), 100, float(i)) for i, c in enumerate(codes[:6])]
    dim = [VpdqFrame(bytes(c).hex(), QUALITY_MIN - 1, 6.0 + i) for i, c in enumerate(codes[6:])]
    half_dim = serialize_vpdq(good + dim)
    assert VpdqSignal.compare(half_dim, video(codes[:6])) == 0  # the dim frames are left out
    assert VpdqSignal.compare(video(codes), half_dim) == 40  # 6 of 10 usable frames found
    edge = serialize_vpdq([VpdqFrame(bytes(codes[0]).hex(), QUALITY_MIN, 0.0)])
    assert VpdqSignal.compare(edge, video(codes)) == 0  # quality 50 is usable
    # threatexchange drops repeats before the quality filter (match_VPDQ_hash_brute)
    repeat = serialize_vpdq(
        [VpdqFrame(bytes(codes[0]).hex(), 10, 0.0), VpdqFrame(bytes(codes[0]).hex(), 90, 1.0)]
        + good[1:2]
    )
    assert match_percents(repeat, video(codes)) == (100.0, 10.0)
    assert VpdqSignal.compare(video(codes), repeat) == 90
    # a video with no usable frame matches nothing, either way
    dark = video(codes, quality=20)
    assert VpdqSignal.compare(dark, dark) == VpdqSignal.compare(dark, video(codes)) == NO_MATCH
    assert VpdqSignal.compare(video(codes), dark) == NO_MATCH
    assert match_percents(dark, video(codes)) == (0.0, 0.0)


def test_the_distance_is_threatexchanges_decision() -> None:
    rng = np.random.default_rng(4)
    pool = random_codes(rng, 200)
    for _ in range(60):
        a = pool[rng.choice(200, int(rng.integers(1, 60)), replace=False)]
        b = pool[rng.choice(200, int(rng.integers(1, 60)), replace=False)]
        qa, qb = video(flip(a, int(rng.integers(0, 20)), rng)), video(b)
        query_percent, _ = match_percents(qa, qb)
        distance = VpdqSignal.compare(qa, qb)
        assert distance == 100 - int(query_percent)
        for t in range(0, 101, 5):
            # query_match_pct_thresh = 100 - t, compared threshold 0 (always met)
            assert (distance <= t) == (query_percent >= 100 - t)


def random_bank(seed: int) -> tuple[list[str], list[str]]:
    """Banked values and queries sharing frames in every proportion, with a
    value banked twice, one with no usable frame, and frames shared by
    several banked values."""
    rng = np.random.default_rng(seed)
    pool = random_codes(rng, 300)
    banked = []
    for i in range(40):
        picked = pool[rng.choice(300, int(rng.integers(1, 30)), replace=False)]
        banked.append(video(picked, quality=100 if i == 0 else int(rng.choice([30, 60, 100]))))
    banked += [banked[0], video(pool[:10], quality=10)]
    queries = [
        video(flip(pool[rng.choice(300, int(rng.integers(1, 30)))], 8, rng)) for _ in range(30)
    ]
    queries += [banked[0], banked[-1], video(random_codes(rng, 5))]
    return banked, queries


@pytest.mark.parametrize("seed", [5, 6])
def test_the_index_finds_what_the_oracle_finds(seed: int) -> None:
    banked, queries = random_bank(seed)
    oracle = BruteForceIndex(VpdqSignal, banked)
    index = VpdqSignal.index(banked)
    for threshold in (0, 10, THRESHOLD, 25, 50, 99, 100):
        want = oracle.search(queries, threshold)
        assert index.search(queries, threshold) == want, threshold
    assert (len(queries) - 3, 0, 0) in index.search(queries, 0)
    assert (len(queries) - 3, len(banked) - 2, 0) in index.search(queries, 0)  # banked twice
    assert index.search([], THRESHOLD) == []
    assert VpdqSignal.index([]).search(queries, THRESHOLD) == []
    examples = VpdqSignal.examples()
    for threshold in (0, THRESHOLD, 60):
        want = BruteForceIndex(VpdqSignal, examples).search(examples, threshold)
        assert VpdqSignal.index(examples).search(examples, threshold) == want


def test_the_index_of_a_large_bank_and_its_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import marsad.hashing.index as index_module

    banked, queries = random_bank(7)
    want = BruteForceIndex(VpdqSignal, banked).search(queries, THRESHOLD)
    other = tmp_path / "pdq-0123"  # the PDQ type's own index in the same cache
    other.mkdir()
    monkeypatch.setattr(index_module, "INDEX_FROM", 1)  # the multi-index, not numpy
    index = VpdqSignal.index(banked, tmp_path)
    assert index.search(queries, THRESHOLD) == want
    assert list((tmp_path / "vpdq").glob("pdq-*")) and other.exists()
    again = VpdqSignal.index(banked, tmp_path)  # loaded from the cache
    assert again.search(queries, THRESHOLD) == want


def test_without_vpdq_hashing_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "vpdq", None)  # import vpdq raises ImportError
    assert not vpdq_available()
    with pytest.raises(DependencyError) as raised:
        vpdq_hash(tmp_path / "clip.mp4")
    message = str(raised.value)
    assert "pip install 'marsad[video]'" in message
    assert all(package in message for package in APT_PACKAGES)
    # and everything but hashing works without it
    assert VpdqSignal.compare(VpdqSignal.examples()[1], VpdqSignal.examples()[0]) == 0


# -- the reference hashes (no vpdq needed) --------------------------------------


def missing() -> set[str]:
    text = shared_file(f"{REF}/MISSING_FROM_SNAPSHOT.txt").read_text(encoding="utf-8")
    return {
        line.split(" ", 1)[1].strip() for line in text.splitlines() if line.startswith("MISSING ")
    }


def sample(name: str) -> list[tuple[int, int, str, float]]:
    """(frame number, quality, PDQ hex, timestamp) of each line of a sample hash file."""
    path = shared_file(f"{REF}/vpdq/sample-hashes/{name}.txt")
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            number, quality, digits, seconds = line.split(",")
            rows.append((int(number), int(quality), digits, float(seconds)))
    return rows


def sample_value(name: str) -> str:
    return serialize_vpdq(VpdqFrame(h, q, t) for _, q, h, t in sample(name))


def test_the_sample_hashes_hash_every_frame() -> None:
    """How ``vpdq/sample-hashes`` were made: every frame (seconds_per_hash
    0) of 30 fps videos, one line per frame."""
    for name in VIDEOS:
        for variant in ("", "-128x128"):
            if variant and name == "test-padded-dimensions":
                continue  # has no downscaled file
            rows = sample(name + variant)
            assert [r[0] for r in rows] == list(range(len(rows)))
            assert all(abs(r[3] - r[0] / 30) < 0.001 for r in rows), name


def test_versions_of_one_video_match_in_the_sample_hashes() -> None:
    values = [sample_value(name) for name in VIDEOS]
    distance = {
        (a, b): VpdqSignal.compare(va, vb)
        for a, va in zip(VIDEOS, values, strict=True)
        for b, vb in zip(VIDEOS, values, strict=True)
    }
    for family in FAMILIES:
        for a in family:
            for b in family:
                assert distance[a, b] <= THRESHOLD, (a, b)
    for (a, b), d in distance.items():
        if source(a) != source(b):  # chair, pattern, doorknob: no frame in common
            assert d == NO_MATCH, (a, b)
    # the 19-second cut is in the 22-second video, 85% of which is in the cut
    cut, whole = "chair-19-sd-bar", "chair-22-sd-grey-bar"
    assert (distance[cut, whole], distance[whole, cut]) == (0, 15)
    # the index: what comparing with each banked video finds (BruteForceIndex)
    index = VpdqSignal.index(values)
    for threshold in (THRESHOLD, 60):
        want = [
            (qi, bi, distance[a, b])
            for qi, a in enumerate(VIDEOS)
            for bi, b in enumerate(VIDEOS)
            if distance[a, b] <= threshold
        ]
        assert index.search(values, threshold) == want


# -- hashing videos (the vpdq package) -------------------------------------------


@pytest.fixture(scope="module")
def vpdq_module() -> Any:
    # ImportError too: vpdq built, but FFmpeg's shared libraries gone
    return pytest.importorskip("vpdq", reason=INSTALL, exc_type=ImportError)


def sample_video(name: str) -> Path:
    if f"tmk/sample-videos/{name}.mp4" in missing():
        pytest.skip(f"{name}.mp4 is not in the fixture snapshot (MISSING_FROM_SNAPSHOT.txt)")
    return shared_file(f"{REF}/tmk/sample-videos/{name}.mp4")


_HASHED: dict[str, str] = {}


def hashed(name: str) -> str:
    """vpdq_hash of a sample video at the default rate (one frame a second)."""
    if name not in _HASHED:
        _HASHED[name] = vpdq_hash(sample_video(name))
    return _HASHED[name]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [n + v for n in VIDEOS for v in ("", "-128x128") if not (v and n == "test-padded-dimensions")],
)
def test_hashing_reproduces_the_sample_hashes(vpdq_module: Any, name: str) -> None:
    """Every frame, as the sample hashes were made; the ``-128x128`` files
    downscaled first.  Not bit-exact with the vpdq and FFmpeg built here
    (the module docstring has the numbers), but every frame of quality >= 50
    within upstream's regression tolerance."""
    small = name.endswith("-128x128")
    path = sample_video(name.removesuffix("-128x128"))
    size = 128 if small else 0
    ours = parse_vpdq(
        vpdq_hash(path, seconds_per_hash=0, downsample_width=size, downsample_height=size)
    )
    theirs = sample(name)
    assert len(ours) == len(theirs)
    compared = 0
    for frame, (_, quality, digits, seconds) in zip(ours, theirs, strict=True):
        # timestamps: 3 significant digits (threatexchange's format) of n/30
        assert abs(frame.timestamp - seconds) <= 0.005 * seconds + 0.001
        if frame.quality >= QUALITY_MIN and quality >= QUALITY_MIN:
            distance = (int(frame.hex, 16) ^ int(digits, 16)).bit_count()
            assert distance < DISTANCE_TOLERANCE, (name, distance)
            compared += 1
    assert compared >= len(theirs) // 2


def test_marsad_hashes_and_matches_as_threatexchange_does(vpdq_module: Any) -> None:
    from threatexchange.extensions.vpdq.vpdq import VPDQSignal

    path = sample_video("chair-20-sd-bar")
    # the same value as threatexchange's hasher, byte for byte
    assert hashed("chair-20-sd-bar") == VPDQSignal.hash_from_file(path)
    assert VpdqSignal.validate(hashed("chair-20-sd-bar")) == hashed("chair-20-sd-bar")
    names = [n for n in VIDEOS if f"tmk/sample-videos/{n}.mp4" not in missing()]
    values = [hashed(n) for n in names]
    for a in values:
        for b in values:
            result = VPDQSignal.compare_hash(a, b)
            assert result.match == (VpdqSignal.compare(a, b) <= THRESHOLD)
            assert match_percents(a, b) == (
                result.distance.query_match_percent,
                result.distance.compared_match_percent,
            )


def test_versions_of_one_video_match_and_others_do_not(vpdq_module: Any) -> None:
    """At the default rate (a frame a second): the grey, sepia, small-logo
    and 20-second versions of the chair video match one another, and so do
    two versions of the pattern video; different videos never.  (Sampled a
    second apart, the 19-second cut and the longer pattern video fall
    between the other's frames and do not match: the sample hashes, every
    frame, show that they do.)"""
    chair = [
        "chair-20-sd-bar",
        "chair-22-sd-grey-bar",
        "chair-22-sd-sepia-bar",
        "chair-22-with-small-logo-bar",
        "chair-orig-22-sd-bar",
    ]
    pattern = ["pattern-sd-grey-bar", "pattern-sd-with-small-logo-bar"]
    for family in (chair, pattern):
        for a in family:
            for b in family:
                assert VpdqSignal.compare(hashed(a), hashed(b)) <= THRESHOLD, (a, b)
    others = [chair[0], pattern[0], "pattern-hd-no-bar", "doorknob-hd-no-bar"]
    others.append("test-padded-dimensions")
    for a in others:
        for b in others:
            if a != b:
                assert VpdqSignal.compare(hashed(a), hashed(b)) > THRESHOLD, (a, b)


def test_a_file_that_is_not_a_video(vpdq_module: Any, tmp_path: Path) -> None:
    text = tmp_path / "clip.mp4"
    text.write_text("not a video\n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match=re.escape(str(text))):
        vpdq_hash(text)
    cut = tmp_path / "cut.mp4"  # the first 100 KB of a real video
    cut.write_bytes(sample_video("chair-20-sd-bar").read_bytes()[:100_000])
    with pytest.raises(UnreadableFile, match="cut.mp4"):
        vpdq_hash(cut)
    with pytest.raises(UnreadableFile, match="absent.mp4"):
        vpdq_hash(tmp_path / "absent.mp4")
    assert vpdq_available()
