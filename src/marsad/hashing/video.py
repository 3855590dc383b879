"""vPDQ: Meta's video hash, the optional ``video`` extra.

Part of the *match* stage (issue 5).  A vPDQ hash is a list of *frames*: the
PDQ hash (256 bits, see :mod:`marsad.hashing.signals`) of video frames
sampled every :data:`SECONDS_PER_HASH` seconds, each with its PDQ quality
(0-100) and its timestamp.  Hashes are computed by Meta's ``vpdq`` package
(``pip install 'marsad[video]'``; it builds against FFmpeg, see
:data:`APT_PACKAGES`), never re-implemented here; everything else in this
module -- reading, writing and comparing hashes -- is plain Python and numpy
and works without it.

A marsad value is python-threatexchange's own serialisation of a vPDQ
signal, byte for byte, so a bank can be exchanged with HMA and the
threatexchange CLI (``vpdq <value>`` lines): a JSON list of one string per
frame, ``"<pdq hex>,<quality>,<timestamp>"``, the timestamp written with 3
significant digits (``threatexchange/extensions/vpdq/vpdq_util.py``:
``VpdqCompactFeature.__str__`` with ``VPDQ_TIMESTAMP_PRECISION`` = 3, and
``vpdq_to_json``, ``json.dumps`` of the list)::

    ["e271...055c,100,0.0", "df83...8154,100,1.0", ..., "9a0c...77e1,100,1.02e+02"]

:meth:`VpdqSignal.validate` reads what ``json_to_vpdq`` reads and writes it
back that way (hex in lower case); the tests check that it leaves the
values threatexchange's ``VPDQSignal`` writes unchanged.

Matching follows threatexchange's brute-force matcher
(``threatexchange/extensions/vpdq/vpdq_brute_matcher.py``,
``match_VPDQ_hash_brute``, called by ``VPDQSignal.compare_hash`` in
``vpdq.py``) with its defaults from ``vpdq_util.py``: frames repeated
exactly are counted once (``dedupe``), frames of quality under
:data:`QUALITY_MIN` 50 are left out (``quality_filter``,
``VPDQ_QUALITY_THRESHOLD``), and a frame *matches* when some frame of the
other video is within :data:`FRAME_MATCH_DISTANCE` 31 bits
(``VPDQ_DISTANCE_THRESHOLD``).  The *query-match percentage* is the share of
the query's frames that match, the *compared-match percentage* the share of
the other video's frames that do (:func:`match_percents`); threatexchange
calls two videos a match when the first is at least
:data:`QUERY_MATCH_PERCENT` 80 (``VPDQ_QUERY_MATCH_THRESHOLD_PERCENT``) and
the second at least :data:`COMPARED_MATCH_PERCENT` 0
(``VPDQ_INDEX_MATCH_THRESHOLD_PERCENT``), which every pair is.

So :meth:`VpdqSignal.compare` (query first, banked second: the order of
:class:`~marsad.hashing.base.BruteForceIndex`) is::

    distance = 100 - floor(query-match percentage)   (100 when no frame is usable)

and :attr:`VpdqSignal.default_threshold` is 100 - 80 = 20: ``distance <= t``
exactly when threatexchange's ``compare_hash`` matches with
``query_match_pct_thresh = 100 - t`` (``floor(p) >= k`` is ``p >= k`` for an
integer *k*), so the default threshold gives threatexchange's default
decision.  The distance is asymmetric, as threatexchange's decision is: a
clip cut from a banked video (every frame of the query found) is at
distance 0 from it, while the whole video queried against a banked clip is
as far as the share of its frames the clip lacks.  It is symmetric for
videos of the same frames (0) and for unrelated ones (100), not in general
(:attr:`VpdqSignal.symmetric` is False).

What matches, measured on the sample hashes (every frame): the grey, sepia,
small-logo, 20- and 19-second versions of the chair video match one
another both ways (distances 0-18), as do the HD and longer versions of
the pattern video, and its grey and small-logo SD ones; chair, pattern and
doorknob never share a frame (100).  Not matched: the large-logo versions
(89-99: the logo moves every frame more than 31 bits away) and the
letterboxed videos against the un-letterboxed ones (100: vPDQ does not cut
bars off).  Hashed a frame a second (the default), a cut whose
frames fall between the other video's sampled frames can miss (the
19-second chair: 85-96), which hashing every frame avoids at 30 times the
size.

Agreement with the reference: hashing the 14 sample videos of
``tmk/sample-videos`` every frame (``seconds_per_hash=0``, how
``vpdq/sample-hashes`` were made: one line per frame, timestamps 1/30 s
apart; the ``-128x128`` files with ``downsample_width`` =
``downsample_height`` = 128) with vpdq 0.2.5 as built here from PyPI gives
the same frame count and frame numbers as each of the 27 sample files, but
not the same bits: of the 5,810 frames of quality >= 50 on both sides at
full size, 3,049 (52.5%) are identical and the farthest is 22 bits away; of
the 5,661 downscaled ones, 1,051 (18.6%) are identical and the farthest 16
bits.  Upstream's regression test allows 31 (``vpdq/python/tests/
test_vpdq_hash.py``: ``DISTANCE_TOLERANCE = 31``, ``QUALITY_TOLERANCE =
50``, ``hamming_distance(h2) < DISTANCE_TOLERANCE``), which every frame
meets; ``tests/hashing/test_video.py`` asserts that.

:class:`VpdqIndex` puts the distinct usable frames of all banked videos in
one PDQ index (:class:`~marsad.hashing.index.PdqSignalIndex`: a numpy
comparison with all of them, or the multi-index for large banks), searches
every query frame at once and counts, per banked video, the query frames
that found one of its frames: the same distances as comparing with each
banked video (checked by the tests).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from marsad.errors import DependencyError, UnreadableFile
from marsad.hashing.base import Hit, SignalIndex, SignalType

__all__ = [
    "APT_PACKAGES",
    "COMPARED_MATCH_PERCENT",
    "FRAME_MATCH_DISTANCE",
    "NO_MATCH",
    "QUALITY_MIN",
    "QUERY_MATCH_PERCENT",
    "SECONDS_PER_HASH",
    "VpdqFrame",
    "VpdqIndex",
    "VpdqSignal",
    "match_percents",
    "parse_vpdq",
    "serialize_vpdq",
    "vpdq_available",
    "vpdq_hash",
]

#: frames of lower PDQ quality are not matched (``VPDQ_QUALITY_THRESHOLD``)
QUALITY_MIN = 50
#: two frames at most this many bits apart match (``VPDQ_DISTANCE_THRESHOLD``)
FRAME_MATCH_DISTANCE = 31
#: threatexchange's default least query-match percentage
#: (``VPDQ_QUERY_MATCH_THRESHOLD_PERCENT``)
QUERY_MATCH_PERCENT = 80
#: threatexchange's default least compared-match percentage
#: (``VPDQ_INDEX_MATCH_THRESHOLD_PERCENT``): 0, so never a reason not to match
COMPARED_MATCH_PERCENT = 0
#: the distance of videos that share no usable frame
NO_MATCH = 100
#: seconds between hashed frames: threatexchange's ``VPDQSignal.hash_from_file``
#: default (the sample hashes were made with 0: every frame)
SECONDS_PER_HASH = 1.0
#: significant digits of a serialised timestamp (``VPDQ_TIMESTAMP_PRECISION``)
TIMESTAMP_DIGITS = 3
#: the Debian packages ``pip install vpdq`` needs to build against FFmpeg
APT_PACKAGES = (
    "g++",
    "pkg-config",
    "libavdevice-dev",
    "libavfilter-dev",
    "libavformat-dev",
    "libavcodec-dev",
    "libswresample-dev",
    "libswscale-dev",
    "libavutil-dev",
)
_HEX_DIGITS = frozenset("0123456789abcdef")
_FORMAT = (
    'python-threatexchange\'s vpdq format, a JSON list of "<pdq hex>,<quality>,<timestamp>" strings'
)
# frame pairs compared in one numpy step (about 11 bytes each: ~11 MB)
_CELLS = 1 << 20


@dataclass(frozen=True)
class VpdqFrame:
    """One hashed frame: its PDQ hash (64 hex digits), quality (0-100) and
    timestamp (seconds); ValueError when one is out of range."""

    hex: str
    quality: int
    timestamp: float

    def __post_init__(self) -> None:
        digits = self.hex.lower()
        if len(digits) != 64:
            raise ValueError(f"PDQ hash needs 64 hex digits, got {len(digits)}")
        if not set(digits) <= _HEX_DIGITS:
            raise ValueError(f"PDQ hash is not hexadecimal: {self.hex[:80]!r}")
        if (
            isinstance(self.quality, bool)
            or not isinstance(self.quality, int)
            or not 0 <= self.quality <= 100
        ):
            raise ValueError(f"quality must be an integer 0-100, got {self.quality!r}")
        seconds = float(self.timestamp)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"timestamp must be seconds >= 0, got {self.timestamp!r}")
        object.__setattr__(self, "hex", digits)
        object.__setattr__(self, "timestamp", seconds)

    def __str__(self) -> str:
        """threatexchange's ``VpdqCompactFeature.__str__``."""
        return f"{self.hex},{self.quality},{self.timestamp:.{TIMESTAMP_DIGITS}}"

    @classmethod
    def parse(cls, text: str) -> VpdqFrame:
        """A frame from ``"<pdq hex>,<quality>,<timestamp>"``."""
        parts = text.split(",")
        if len(parts) != 3:
            raise ValueError(f"{text[:100]!r} is not '<pdq hex>,<quality>,<timestamp>'")
        digits, quality, seconds = (p.strip() for p in parts)
        if not quality.isascii() or not quality.isdigit():
            raise ValueError(f"quality must be an integer 0-100, got {quality[:20]!r}")
        try:
            timestamp = float(seconds)
        except ValueError:
            raise ValueError(f"timestamp must be seconds >= 0, got {seconds[:20]!r}") from None
        return cls(digits, int(quality), timestamp)


def parse_vpdq(value: str) -> list[VpdqFrame]:
    """The frames of a serialised vPDQ hash (module docstring), in order;
    ValueError saying what is wrong (and with which frame)."""
    text = value.strip()
    if not text:
        raise ValueError(f"empty vpdq value: expected {_FORMAT}")
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"vpdq value is not JSON ({exc}): expected {_FORMAT}") from None
    if not isinstance(items, list):
        raise ValueError(f"vpdq value is a JSON {type(items).__name__}: expected {_FORMAT}")
    if not items:
        raise ValueError("vpdq value has no frames (an empty list)")
    frames = []
    for n, item in enumerate(items):
        if not isinstance(item, str):
            raise ValueError(f"vpdq frame {n} is a JSON {type(item).__name__}, not a string")
        try:
            frames.append(VpdqFrame.parse(item))
        except ValueError as exc:
            raise ValueError(f"vpdq frame {n}: {exc}") from None
    return frames


def serialize_vpdq(frames: Iterable[VpdqFrame]) -> str:
    """The canonical value of *frames*: threatexchange's ``vpdq_to_json``."""
    return json.dumps([str(f) for f in frames])


@lru_cache(maxsize=1024)
def _usable(value: str) -> tuple[str, ...]:
    """The frames of *value* that are matched: repeats dropped, then those
    under :data:`QUALITY_MIN` (``match_VPDQ_hash_brute``'s order)."""
    seen: set[str] = set()
    kept = []
    for frame in parse_vpdq(value):
        if frame.hex in seen:
            continue
        seen.add(frame.hex)
        if frame.quality >= QUALITY_MIN:
            kept.append(frame.hex)
    return tuple(kept)


@lru_cache(maxsize=1024)
def _words(value: str) -> npt.NDArray[np.uint64]:
    """The usable frames of *value* as (n, 4) uint64 words (read-only)."""
    hexes = _usable(value)
    raw = bytes.fromhex("".join(hexes))
    words = np.frombuffer(raw, dtype=">u8").reshape(len(hexes), 4).astype(np.uint64)
    words.setflags(write=False)
    return words


def _matched(
    query: npt.NDArray[np.uint64], other: npt.NDArray[np.uint64]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Which frames of *query* have a frame of *other* within
    :data:`FRAME_MATCH_DISTANCE` bits, and which frames of *other* do."""
    q_hit = np.zeros(len(query), dtype=np.bool_)
    o_hit = np.zeros(len(other), dtype=np.bool_)
    if not len(query) or not len(other):
        return q_hit, o_hit
    step = max(1, _CELLS // len(other))
    for at in range(0, len(query), step):
        part = query[at : at + step]
        # word by word into a 2-D sum: 7x faster than one 3-D popcount and sum
        bits = np.zeros((len(part), len(other)), dtype=np.uint16)
        for w in range(4):
            bits += np.bitwise_count(part[:, w, None] ^ other[None, :, w])
        close = bits <= FRAME_MATCH_DISTANCE
        q_hit[at : at + step] = close.any(axis=1)
        o_hit |= close.any(axis=0)
    return q_hit, o_hit


def match_percents(query: str, compared: str) -> tuple[float, float]:
    """(query-match, compared-match) percentages of two vPDQ values, as
    threatexchange's ``match_VPDQ_hash_brute`` computes them (module
    docstring); 0.0 for a side without usable frames (where threatexchange
    would divide by zero)."""
    q, c = _words(query), _words(compared)
    q_hit, c_hit = _matched(q, c)
    return (
        int(q_hit.sum()) * 100 / len(q) if len(q) else 0.0,
        int(c_hit.sum()) * 100 / len(c) if len(c) else 0.0,
    )


def _distance(matched: int, frames: int) -> int:
    """100 - floor(query-match percentage), in integers (no rounding)."""
    return NO_MATCH - (matched * 100) // frames if frames else NO_MATCH


class VpdqSignal(SignalType):
    """vPDQ of a video (module docstring): threatexchange's ``vpdq``,
    matched when at least 80% of the query's usable frames are in the
    banked video (distance <= 20)."""

    name = "vpdq"
    threatexchange_names = ("vpdq",)
    #: compare(a, b) may differ from compare(b, a) (module docstring); not
    #: part of the base contract, for the conformance suite to read
    symmetric = False
    default_threshold = NO_MATCH - QUERY_MATCH_PERCENT
    #: 99: at least one usable query frame must match (100 would match anything)
    max_threshold = NO_MATCH - 1

    @classmethod
    def validate(cls, value: str) -> str:
        return serialize_vpdq(parse_vpdq(value))

    @classmethod
    def compare(cls, a: str, b: str) -> int:
        """Distance of query *a* from banked *b*: 100 - floor(the percentage
        of *a*'s usable frames that match a frame of *b*)."""
        q, c = _words(a), _words(b)
        q_hit, _ = _matched(q, c)
        return _distance(int(q_hit.sum()), len(q))

    @classmethod
    def index(cls, values: Sequence[str], cache: Path | None = None) -> SignalIndex:
        return VpdqIndex(values, cache)

    @classmethod
    def examples(cls) -> list[str]:
        """Random frame hashes: a video, a clip of it, a re-encoding (every
        frame a few bits off), one that shares 3/4 of its frames, an
        unrelated one (timestamps past 100 s), and one whose frames are
        partly of low quality."""
        rng = np.random.default_rng(11)
        base = rng.integers(0, 256, (40, 32), dtype=np.uint8)

        def video(codes: npt.NDArray[np.uint8], start: float = 0.0, quality: int = 100) -> str:
            return serialize_vpdq(
                VpdqFrame(bytes(c).hex(), quality, start + i) for i, c in enumerate(codes)
            )

        noisy = base.copy()
        for row in noisy:
            for bit in rng.choice(256, 6, replace=False):
                row[bit // 8] ^= 1 << (7 - bit % 8)
        mixed = np.concatenate([base[:30], rng.integers(0, 256, (10, 32), dtype=np.uint8)])
        dim = serialize_vpdq(
            [VpdqFrame(bytes(c).hex(), 100, i) for i, c in enumerate(base[:20])]
            + [VpdqFrame(bytes(c).hex(), 20, 20 + i) for i, c in enumerate(base[20:])]
        )
        return [
            video(base),
            video(base[10:30], start=10.0),
            video(noisy, start=0.5),
            video(mixed),
            video(rng.integers(0, 256, (40, 32), dtype=np.uint8), start=95.25),
            dim,
        ]


class VpdqIndex(SignalIndex):
    """Banked vPDQ values searched by their frames (module docstring): the
    same hits as :class:`~marsad.hashing.base.BruteForceIndex` over
    :meth:`VpdqSignal.compare`.  The frame index is kept in ``cache/vpdq``
    (apart from the PDQ type's own)."""

    def __init__(self, values: Sequence[str], cache: Path | None = None) -> None:
        from marsad.hashing.index import PdqSignalIndex

        self.size = len(values)
        rows: dict[str, int] = {}  # distinct usable frame -> its row in the frame index
        pair_row: list[int] = []
        pair_entry: list[int] = []
        for entry, value in enumerate(values):
            for digits in _usable(value):
                pair_row.append(rows.setdefault(digits, len(rows)))
                pair_entry.append(entry)
        order = np.argsort(np.asarray(pair_row, dtype=np.int64), kind="stable")
        by_row = np.asarray(pair_row, dtype=np.int64)[order]
        #: the banked values holding each frame: entries[start[r] : start[r + 1]]
        self.entries = np.asarray(pair_entry, dtype=np.int64)[order]
        self.start = np.searchsorted(by_row, np.arange(len(rows) + 1))
        self.frames = PdqSignalIndex(list(rows), cache / "vpdq" if cache else None)

    def search(self, queries: Sequence[str], threshold: int) -> list[Hit]:
        if not self.size or not queries:
            return []
        frames: list[str] = []
        owner: list[int] = []
        usable = np.zeros(len(queries), dtype=np.int64)
        for qi, query in enumerate(queries):
            mine = _usable(query)
            usable[qi] = len(mine)
            frames.extend(mine)
            owner.extend([qi] * len(mine))
        found: dict[tuple[int, int], int] = {}
        hits = np.asarray(self.frames.search(frames, FRAME_MATCH_DISTANCE), dtype=np.int64)
        if len(hits):
            fi, ri = hits[:, 0], hits[:, 1]
            # each (query frame, banked frame) pair -> (query frame, banked value) pairs
            counts = self.start[ri + 1] - self.start[ri]
            firsts = np.repeat(self.start[ri], counts)
            offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
            entry = self.entries[firsts + offsets]
            frame = np.repeat(fi, counts)
            # a query frame counts once per banked value, however many frames it finds there
            pairs = np.unique(frame * self.size + entry)
            query = np.asarray(owner, dtype=np.int64)[pairs // self.size]
            keys, matched = np.unique(query * self.size + pairs % self.size, return_counts=True)
            for key, n in zip(keys.tolist(), matched.tolist(), strict=True):
                qi, bi = divmod(key, self.size)
                found[(qi, bi)] = _distance(n, int(usable[qi]))
        if threshold >= NO_MATCH:  # everything matches: the pairs without a shared frame too
            return [
                (qi, bi, found.get((qi, bi), NO_MATCH))
                for qi in range(len(queries))
                for bi in range(self.size)
            ]
        return [(qi, bi, d) for (qi, bi), d in sorted(found.items()) if d <= threshold]


def vpdq_available() -> bool:
    """Whether the ``vpdq`` package (the ``video`` extra) can be imported."""
    try:
        import vpdq  # noqa: F401
    except ImportError:
        return False
    return True


def _missing(reason: str) -> DependencyError:
    return DependencyError(
        f"vPDQ video hashing needs the vpdq package ({reason}): install the extra with "
        "pip install 'marsad[video]'; it builds against FFmpeg, so on Debian/Ubuntu first "
        f"apt-get install {' '.join(APT_PACKAGES)}"
    )


def vpdq_hash(
    path: Path,
    *,
    seconds_per_hash: float = SECONDS_PER_HASH,
    downsample_width: int = 0,
    downsample_height: int = 0,
) -> str:
    """The vPDQ value (module docstring) of the video at *path*, computed by
    ``vpdq.computeHash`` as threatexchange's ``VPDQSignal.hash_from_file``
    does: a frame every *seconds_per_hash* seconds (0: every frame), each
    frame first scaled to *downsample_width* x *downsample_height* when
    given.

    Raises :class:`~marsad.errors.DependencyError` saying how to install the
    ``video`` extra when ``vpdq`` is missing, and
    :class:`~marsad.errors.UnreadableFile` naming *path* when it is missing
    or not a video FFmpeg can decode."""
    try:
        import vpdq
    except ImportError as exc:
        raise _missing(str(exc)) from exc
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(f"{path}: no such file")
    if seconds_per_hash < 0 or downsample_width < 0 or downsample_height < 0:
        raise ValueError("seconds_per_hash and the downsampled size must be >= 0")
    try:
        features: list[Any] = vpdq.computeHash(
            str(path),
            seconds_per_hash=seconds_per_hash,
            downsample_width=downsample_width,
            downsample_height=downsample_height,
        )
    except Exception as exc:  # vpdq raises a bare Exception ("Fail to create VPDQ hash")
        raise UnreadableFile(f"{path}: not a video vpdq can decode ({exc})") from exc
    if not features:
        raise UnreadableFile(f"{path}: no video frames decoded")
    return serialize_vpdq(
        VpdqFrame(str(f.hex), int(f.quality), float(f.timestamp)) for f in features
    )
