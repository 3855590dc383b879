"""Near-duplicate text: a MinHash signature of a post's text as a bank signal.

Part of the *match* stage (issue 5).  A known text -- a statement, a pledge
formula, a nasheed's lyrics -- is reposted with light edits: a hashtag
added, a link or a handle changed, harakat or tatweel added, an alef
variant, a word swapped.  A bank holds its *signature*
(:func:`text_signature`), not the text (hash lists share signals and marsad
keeps hash-only by default), and every post is matched by the number of
signature values that differ (:meth:`TextMinHashSignal.compare`): the
estimated Jaccard similarity of the two texts' shingle sets is
``1 - distance / 128``.  A signature is not encryption: whoever holds a
candidate text can test it against one (that is the point), so signatures
are shared as carefully as the hash lists themselves.

**What is shingled** (:func:`clean_text`).  :func:`~marsad.text.normalize`
with ``ta_marbuta`` (``ة``/``ه`` are swapped freely in posts), then: HTML
entities left in the text (``&amp;``, ``&rlm;`` ...) decoded; links and
@mentions dropped, and a leading ``RT`` (they change between copies); the
hashtags that *end* the text dropped, and numbers among them (reposts add,
drop and change them: with them kept, different tweets ending in the same
trending hashtags reached J 0.58); the standalone hamza ``ء`` dropped
(``شيء``/``شي``); punctuation, emoji, ``#`` and ``_`` become spaces; a
letter repeated three times or more counts once (``ههههه``, ``sooo``).

**Shingles**: character 5-grams of that text (:data:`SHINGLE`).  Measured
on 9,680 English tweets (``shared/datasets/general_tweets_negative.csv``)
and 461 Arabic ones (the label-0 rows of ``arabic_pro_isis_vs_not.csv``),
each copied with synthetic edits, by exact Jaccard at the default
threshold (J >= 0.656; English shown, Arabic recalls are higher: its
tweets are longer)::

    shingles   2 typos  1 word  2 words  1 word   random pairs   same hashtag,
                        swapped swapped  deleted  J p99.9 (max)  J >= 0.656
    char 3      0.99     0.97    0.80     1.00    0.165 (0.48)   12 of 2,163
    char 4      0.96     0.94    0.71     1.00    0.102 (0.41)    2
    char 5      0.92     0.92    0.64     0.98    0.076 (0.37)    1
    char 6      0.88     0.90    0.56     0.96    0.060 (0.32)    1
    word 1      0.94     1.00    0.91     1.00    0.190 (0.35)   19
    word 2      0.59     0.90    0.47     0.94    0.067 (0.21)    1

Shorter character shingles raise unrelated texts (common words and
affixes); longer ones lose edits.  Word shingles are too coarse for
tweets: single words are a bag (order and phrasing ignored: 19 different
same-hashtag tweets matched), and with word pairs one changed letter or an
Arabic clitic (``و`` + word) replaces two shingles of a dozen.  The one
same-hashtag pair matched at 5 is a true repost.

**Too short** (:data:`MIN_CHARS`, :data:`MIN_SHINGLES`): a text with fewer
than 26 distinct shingles -- a 30-character text without repeats, five or
six words -- gets no signature.  Under 30 characters different short
posts collide ("what a cute little video" and "what a cute little old
guy": J 0.56) and one swapped word is already a fifth of the text (its
near-duplicates are its exact copies); from 30 to 60 characters a one-word swap still matches 63% of the
time (98% at 60-100, 100% above 100).

**Signature**: datasketch's MinHash with :data:`NUM_PERM` = 128
permutations, its default seed (:data:`SEED` 1), its ``affine32`` scheme
(:data:`SCHEME`, datasketch >= 2.0) and its default ``sha1_hash32`` of
each shingle's UTF-8; written as the 128 values as big-endian uint32 in
lowercase hex (1,024 digits).  128 values estimate J with a standard error
of sqrt(J(1-J)/128) = 0.042 at the threshold (64 would give 0.059, too
coarse so close to the line; 256 doubles the signature for 0.03).  Every
part of this -- normalisation, cleaning, shingles, seed, scheme, hash --
is the signal's definition: changing one changes every signature, which
then needs a new :attr:`~TextMinHashSignal.version` and banks re-imported
from their texts (the tests pin a signature).

**Threshold** (:data:`DEFAULT_DISTANCE` 44: estimated J >= 0.656).  With
the signatures themselves (estimation noise included), on the English
tweets: a hashtag, link, mention or ``RT`` added and harakat, tatweel and
alef variants give distance 0; two typos match 92%, one swapped word 89%,
one deleted word 99%, two swapped words 62% (Arabic, longer tweets:
99.6, 98.5, 99.6 and 88%).  Of 200,000 random pairs of English tweets
the closest was 68 apart; of 2,150 pairs of different tweets sharing a
hashtag, 8 are within 44 -- the same job-ad template with another city,
and one vote-campaign template.
At 51 (J >= 0.6) one swapped word matches 94% but same-template pairs
double; at 38, 85%.  A truncated copy (X cuts long retweets) has J near
the fraction kept, so half a text does not match: a bank should hold the
passages that circulate.

**Index** (:class:`TextMinHashIndex`): datasketch's ``MinHashLSH``, built
in memory from the signatures (its persistence is pickle: never used) with
bands of ``r`` values (:func:`lsh_rows`), each candidate checked on all
128 values, so nothing beyond the threshold is returned.  A pair *d*
apart is missed only if every band holds one of its *d* differing values;
since the differing values fall at random, that probability is exact
(:func:`_miss`), and ``r`` is the largest whose worst case -- a pair exactly
at the threshold -- still keeps :data:`LSH_MIN_RECALL` (0.999): 4 (32
bands) for thresholds 37-48 -- exact up to 31 (pigeonhole: 32 bands),
0.9999 at 44 --, 5 for 30-36, 3 for 49-64, 2 for 65-92, more for lower
ones; from 93 on no banding keeps it and the index compares every
signature (numpy).  Each banding asked for is built once.  Measured against the brute-force comparison on 10,307
banked tweets and 2,980 edited copies: recall 1.0 at every threshold from
0 to 80 (2,760 pairs within 44, 462 of them within 8 of it); 0.1 ms per
query at 44 against 1.1 ms for numpy's full comparison.  Building the LSH
takes 1.2-1.7 s per 10,000 signatures and about 11 KB of memory per
signature (32 bands, a Python set per bucket): 1 GB per 100,000 banked
texts -- lists of known texts are thousands; millions would want a numpy
index like :class:`~marsad.hashing.index.PdqIndex`.

**Speed**: :func:`text_signature` takes about 300 us for a 140-character
text (one core, 10,000 synthetic tweets): cleaning 65-90 us, and
datasketch's ``update_batch`` with SHA-1 of each of ~110 shingles (the
SHA-1 calls are most of it); ``MinHash.bulk`` is no faster (160-190 us
against 160 us for copying one prepared MinHash; a new MinHash per text,
drawing its permutations, 370-450 us), and caching shingle hashes gains
nothing on real tweets, whose shingles are mostly new.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from marsad.hashing.base import Hit, SignalIndex, SignalType
from marsad.text.normalize import normalize, normalize_many
from marsad.text.tokens import extract_mentions, extract_urls

__all__ = [
    "DEFAULT_DISTANCE",
    "HEX_DIGITS",
    "LSH_MIN_RECALL",
    "MIN_CHARS",
    "MIN_SHINGLES",
    "NUM_PERM",
    "SCHEME",
    "SEED",
    "SHINGLE",
    "TextMinHashIndex",
    "TextMinHashSignal",
    "clean_text",
    "jaccard_from_distance",
    "lsh_rows",
    "shingles",
    "text_signature",
    "text_signatures",
]

#: characters per shingle
SHINGLE = 5
#: texts shorter than this once cleaned (:func:`clean_text`) are not hashed
MIN_CHARS = 30
#: ... that is, with fewer distinct shingles than a text of MIN_CHARS without repeats
MIN_SHINGLES = MIN_CHARS - SHINGLE + 1
#: MinHash permutations: the signature has this many 32-bit values
NUM_PERM = 128
#: datasketch's seed of the permutations (its default): part of the signal's definition
SEED = 1
#: datasketch's permutation scheme (its default since 2.0): part of the signal's definition
SCHEME = "affine32"
#: two signatures at most this many values apart match (estimated Jaccard >= 0.656)
DEFAULT_DISTANCE = 44
#: hex digits of a signature: NUM_PERM big-endian uint32
HEX_DIGITS = NUM_PERM * 8
#: worst-case recall an LSH must keep at the searched distance (module docstring)
LSH_MIN_RECALL = 0.999
# banked signatures compared at once by the full search (a bool matrix of 8 MiB)
_CHUNK = 1 << 16

# HTML entities left in posts' text (X's API escapes ``& < >``; scraped text
# brings the directional marks), as they read after normalize's lower-casing
_ENTITY = re.compile(r"&(amp|lt|gt|quot|apos|#39|nbsp|rlm|lrm|zwj|zwnj);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "#39": "'", "nbsp": " "}
# a retweet's "RT " before the handle it credits
_RT = re.compile(r"^(?:rt\s*(?=@))+")
# what is left of a link extract_urls does not return (cut off by truncation)
_LINK_LEFT = re.compile(r"\S*(?:://|www\.)\S*")
_NOT_WORD_OR_HASH = re.compile(r"[^\w#]+")
_NOT_WORD = re.compile(r"[\W_]+")
# a letter written three times or more in a row (laughter, elongation)
_RUN = re.compile(r"([^\W\d_])\1{2,}")
_HAMZA = "\u0621"


def clean_text(text: str) -> str:
    """*text* as it is shingled (module docstring): normalised (Arabic with
    ``ta_marbuta``), without links, @mentions, a leading ``RT``, the block
    of hashtags that ends it, the standalone hamza, punctuation and emoji;
    words separated by one space, ``#`` and ``_`` dropped."""
    norm = normalize(text, ta_marbuta=True)
    return _clean_normalized(norm)


def _clean_normalized(norm: str) -> str:
    if "&" in norm:
        norm = _ENTITY.sub(lambda m: _ENTITIES.get(m[1], ""), norm)
    if "." in norm or "/" in norm:
        for url in sorted(extract_urls(norm), key=len, reverse=True):
            norm = norm.replace(url, " ")
        norm = _LINK_LEFT.sub(" ", norm)
    if "@" in norm:
        norm = _RT.sub("", norm)
        handles = extract_mentions(norm, normalized=True)
        if handles:
            names = "|".join(re.escape(h) for h in sorted(handles, key=len, reverse=True))
            norm = re.sub(rf"@(?:{names})(?![a-z0-9_])", " ", norm)
    words = _NOT_WORD_OR_HASH.sub(" ", norm.replace(_HAMZA, "")).split()
    while words and (words[-1][0] == "#" or not any(c.isalpha() for c in words[-1])):
        words.pop()
    return _RUN.sub(r"\1", _NOT_WORD.sub(" ", " ".join(words))).strip()


def shingles(text: str) -> set[str]:
    """The character :data:`SHINGLE`-grams of :func:`clean_text` of *text*
    (the whole cleaned text when shorter; empty when nothing is left)."""
    return _shingles(clean_text(text))


def _shingles(cleaned: str) -> set[str]:
    if len(cleaned) <= SHINGLE:
        return {cleaned} if cleaned else set()
    return {cleaned[i : i + SHINGLE] for i in range(len(cleaned) - SHINGLE + 1)}


@cache
def _template() -> Any:
    """An empty datasketch MinHash of the signal's parameters, copied for
    each text (its permutations are drawn once)."""
    from datasketch import MinHash

    try:
        return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    except TypeError as exc:  # datasketch < 2.0 has no schemes
        raise RuntimeError(
            "text signatures need datasketch >= 2.0 (its 'affine32' MinHash scheme)"
        ) from exc


def _signature(cleaned: str) -> str | None:
    grams = _shingles(cleaned)
    if len(grams) < MIN_SHINGLES:
        return None
    minhash = _template().copy()
    minhash.update_batch([s.encode("utf-8") for s in grams])
    values: npt.NDArray[np.uint32] = minhash.hashvalues
    return values.astype(">u4").tobytes().hex()


def text_signature(text: str) -> str | None:
    """The MinHash signature of *text* (:data:`HEX_DIGITS` lowercase hex
    digits: :data:`NUM_PERM` big-endian uint32), or None when the cleaned
    text has fewer than :data:`MIN_SHINGLES` distinct shingles (it is
    shorter than :data:`MIN_CHARS`, or repeats itself)."""
    return _signature(clean_text(text))


def text_signatures(texts: Iterable[str]) -> list[str | None]:
    """``[text_signature(t) for t in texts]``, normalising the batch at once."""
    return [_signature(_clean_normalized(n)) for n in normalize_many(list(texts), ta_marbuta=True)]


def jaccard_from_distance(distance: int) -> float:
    """The Jaccard similarity of two texts' shingles that a distance estimates."""
    return 1.0 - distance / NUM_PERM


def _values(signatures: Sequence[str]) -> npt.NDArray[np.uint32]:
    """Signatures (hex) as an (n, NUM_PERM) uint32 array."""
    if not signatures:
        return np.zeros((0, NUM_PERM), dtype=np.uint32)
    raw = bytes.fromhex("".join(signatures))
    return np.frombuffer(raw, dtype=">u4").reshape(-1, NUM_PERM).astype(np.uint32)


class TextMinHashSignal(SignalType):
    """A MinHash signature of a text's shingles: near-duplicate text."""

    name = "text_minhash"
    threatexchange_names: ClassVar[tuple[str, ...]] = ("raw_text",)
    default_threshold = DEFAULT_DISTANCE
    max_threshold = NUM_PERM

    @classmethod
    def validate(cls, value: str) -> str:
        value = value.strip().lower()
        if not value or any(c not in "0123456789abcdef" for c in value):
            raise ValueError(f"text_minhash value is not hexadecimal: {value[:80]!r}")
        if len(value) != HEX_DIGITS:
            raise ValueError(f"text_minhash needs {HEX_DIGITS} hex digits, got {len(value)}")
        if value == "f" * HEX_DIGITS:
            raise ValueError("text_minhash value is the signature of no text (every value 2^32-1)")
        return value

    @classmethod
    def from_threatexchange(cls, te_name: str, value: str) -> str:
        """A ``raw_text`` line's text becomes its signature (ValueError when
        it is too short to hash); a ``text_minhash`` line holds one."""
        if te_name != "raw_text":
            return cls.validate(value)
        cleaned = clean_text(value)
        signature = _signature(cleaned)
        if signature is None:
            raise ValueError(
                f"raw_text too short to match as near-duplicate text: {len(cleaned)} characters "
                f"and {len(_shingles(cleaned))} distinct {SHINGLE}-grams once cleaned, at least "
                f"{MIN_CHARS} and {MIN_SHINGLES} needed"
            )
        return signature

    @classmethod
    def compare(cls, a: str, b: str) -> int:
        """Values that differ between two signatures, of :data:`NUM_PERM`."""
        if len(a) != HEX_DIGITS or len(b) != HEX_DIGITS:
            raise ValueError(f"text_minhash values have {HEX_DIGITS} hex digits")
        va, vb = _values([a, b])
        return int(np.count_nonzero(va != vb))

    @classmethod
    def index(cls, values: Sequence[str], cache: Path | None = None) -> SignalIndex:
        """A :class:`TextMinHashIndex` (built in memory: *cache* is not used)."""
        return TextMinHashIndex(values)

    @classmethod
    def examples(cls) -> list[str]:
        texts = [
            "The weather in the northern valley stays mild this week, with light rain "
            "expected on Thursday evening and clear skies by the weekend.",
            "The weather in the northern valley stays mild this week, with light rain "
            "expected on Friday evening and clear skies by the weekend. #example_tag",
            "Example Media reports that the city football team won the regional cup "
            "after a long and difficult season.",
            "الطقس في الوادي الشمالي معتدل هذا الأسبوع مع أمطار خفيفة مساء الخميس",
            "Slice the onions thinly, fry them slowly in olive oil until golden, then "
            "add the tomatoes and simmer for twenty minutes.",
        ]
        return [s for s in map(text_signature, texts) if s is not None]


# -- the index -----------------------------------------------------------------


def _miss(distance: int, rows: int) -> float:
    """The probability that an LSH of bands of *rows* values misses a pair
    *distance* apart: that every band holds a differing value (the differing
    values of a pair fall at random among the NUM_PERM: exact count)."""
    from math import comb

    bands = NUM_PERM // rows
    unused = NUM_PERM - bands * rows
    ways = [1] + [0] * distance  # ways[j]: j differing values, every band so far hit
    for _ in range(bands):
        step = [0] * (distance + 1)
        for j, w in enumerate(ways):
            if w:
                for x in range(1, min(rows, distance - j) + 1):
                    step[j + x] += w * comb(rows, x)
        ways = step
    missed = sum(w * comb(unused, distance - j) for j, w in enumerate(ways))
    return missed / comb(NUM_PERM, distance)


@cache
def lsh_rows(threshold: int) -> int | None:
    """Values per LSH band for a search within *threshold*: the most (so the
    fewest candidates) whose worst-case recall -- of a pair exactly
    *threshold* apart -- is at least :data:`LSH_MIN_RECALL`; None when no
    banding of two or more values per band reaches it (search everything)."""
    for rows in range(16, 1, -1):
        if 1.0 - _miss(threshold, rows) >= LSH_MIN_RECALL:
            return rows
    return None


class TextMinHashIndex(SignalIndex):
    """MinHash signatures searched through datasketch's ``MinHashLSH``.

    The LSH is built in memory from the signatures (never pickled), for the
    banding :func:`lsh_rows` picks for the searched threshold -- one per
    banding asked for, built on first use; every candidate is checked on
    all :data:`NUM_PERM` values, so nothing beyond the threshold is
    returned.  A threshold no banding serves is searched in full (numpy).
    """

    def __init__(self, values: Sequence[str]) -> None:
        self.values = list(values)
        self.matrix = _values(self.values)
        self._lsh: dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self.values)

    def _index(self, rows: int) -> Any:
        lsh = self._lsh.get(rows)
        if lsh is None:
            from datasketch import LeanMinHash, MinHashLSH

            lsh = MinHashLSH(num_perm=NUM_PERM, params=(NUM_PERM // rows, rows))
            with lsh.insertion_session() as session:
                for i, row in enumerate(self.matrix):
                    session.insert(i, LeanMinHash(seed=SEED, hashvalues=row, scheme=SCHEME))
            self._lsh[rows] = lsh
        return lsh

    def search(self, queries: Sequence[str], threshold: int) -> list[Hit]:
        if threshold < 0 or not self.values or not queries:
            return []
        qmatrix = _values(list(queries))
        rows = lsh_rows(threshold) if threshold < NUM_PERM else None
        out: list[Hit] = []
        if rows is None:
            for qi, q in enumerate(qmatrix):
                for at in range(0, len(self.matrix), _CHUNK):
                    d = np.count_nonzero(self.matrix[at : at + _CHUNK] != q, axis=1)
                    out.extend(
                        (qi, at + int(bi), int(d[bi])) for bi in np.flatnonzero(d <= threshold)
                    )
            return out
        from datasketch import LeanMinHash

        lsh = self._index(rows)
        for qi, q in enumerate(qmatrix):
            found = lsh.query(LeanMinHash(seed=SEED, hashvalues=q, scheme=SCHEME))
            if not found:
                continue
            cand = np.sort(np.fromiter(found, dtype=np.int64, count=len(found)))
            d = np.count_nonzero(self.matrix[cand] != q, axis=1)
            keep = d <= threshold
            out.extend((qi, int(bi), int(di)) for bi, di in zip(cand[keep], d[keep], strict=True))
        return out
