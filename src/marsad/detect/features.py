"""Hashed n-gram features of post text, computed for a whole batch at once in numpy.

Part of the *detect* stage: the text classifier
(:mod:`marsad.detect.classifier`) turns each post into a sparse vector of
word and character n-gram features and scores it with a linear model.  The
research-literature model for this task -- word 1-2-grams plus ``char_wb``
2-5-grams, TF-IDF weighted, with logistic regression -- is accurate but slow
to featurise in scikit-learn, which builds every n-gram as a Python string.
Here no n-gram string is ever built:

1. Each text is prepared once (:func:`prepare`: the store's normalisation,
   links and a retweet's ``RT`` removed, numbers as one placeholder,
   punctuation split off the words) and the batch is laid out as one array of code points, every
   text between spaces and separated from the next by a NUL.
2. A polynomial hash of every substring is available in O(1) from prefix
   sums: with ``Q[k] = sum_{j<k} c_j B^-j`` (mod 2^64, ``B`` odd so it has
   an inverse), the hash of ``c_i .. c_{i+n-1}`` is
   ``B^(i+n-1) (Q[i+n] - Q[i])`` -- the same for the same substring wherever
   it is.  numpy's uint64 arithmetic wraps modulo 2^64, so a cumulative sum
   and a few vector products give every n-gram's hash.
3. Character n-grams are taken inside words padded with a space on each
   side (``char_wb`` in scikit-learn): a window may hold a space only at its
   ends, and never the NUL.  Word n-grams are the spans from a word start
   to the end of the word *n*-1 words later.
4. The hash is mixed with the kind of n-gram (character *n* or word *n*) and
   a 64-bit finaliser (MurmurHash3's ``fmix64``); its top bits pick one of
   ``2^bits`` buckets.

A document's vector is TF-IDF as the peer computes it (:func:`weights`):
``(1 + ln tf) * idf[bucket]`` at each bucket (sublinear term frequency),
the character n-grams and the word n-grams each scaled to unit L2 norm (as
scikit-learn's union of two vectorisers does: the many character n-grams of
a post do not drown its few words).  :func:`weights` gives each occurrence
its share of that value, so scoring a linear model is one ``bincount`` of
``weight[bucket] * share``, and training fits exactly the same vector.

``benchmarks/detect.py`` measures this against scikit-learn's vectorisers
on the same posts (BENCHMARKS.md).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from marsad.text.normalize import normalize_many

__all__ = [
    "FeatureSpec",
    "Occurrences",
    "Prepared",
    "featurize",
    "prepare",
    "run_weights",
    "weights",
]

_U64 = np.uint64
_B = 0x9E3779B97F4A7C15  # odd: invertible modulo 2^64
_B_INV = pow(_B, -1, 2**64)
_MIX = 0xD6E8FEB86659FD93
_SEP = 0  # NUL: between texts

# placeholders: what the token is, not which one
# links, and what a link leaves when a post is cut short ("https://t.co/x…",
# "http…"); ``pic.twitter.com/…`` is the link X writes for an attached picture
# (5.6% of one training file's negatives and of no other file: an artefact)
_URL_RE = re.compile(r"(?:\bhttps?\S*|www\.\S+|pic\.twitter\.com/\S*)")
# the ellipsis a client writes where it cut a long post or retweet (``…``,
# "..." after normalisation): says how it was collected (19% of one training
# file, 42% of another), not what it says; a writer's own "..." goes with it
_ELLIPSIS_RE = re.compile(r"\u2026|\.{2,}")
# the "RT @handle:" a retweet's text starts with on X: says how it was shared, not
# what it says (and retweets are a third of one training file: a spurious signal)
_RETWEET_RE = re.compile(r"^rt (@\w+):? ?", re.MULTILINE)
_MENTION_RE = re.compile(r"@\w+")
_HTML_ENTITY_RE = re.compile(r"&(?:amp|lt|gt|quot|#39|nbsp);")


NORM_BY_KIND = ("always", "never", "non-arabic")


@dataclass(frozen=True)
class FeatureSpec:
    """Which n-grams, and how many buckets: part of a model file, so a model
    is always scored with the features it was fitted on.

    *char_ngrams* is the (lowest, highest) character n-gram length inside
    padded words, *word_ngrams* the same for words; ``(0, 0)`` turns a kind
    off.  *bits* gives ``2^bits`` buckets.  *mentions* keeps ``@handle``
    (else one ``@user`` token): the handles a post mentions say a lot about
    which network it comes from, and nothing about accounts outside it.
    *sublinear_tf* weighs a repeated n-gram ``1 + ln tf`` (else ``tf``);
    *norm_by_kind* says for which texts the character and the word n-grams
    are scaled to unit norm apart (else together): ``"always"``,
    ``"never"`` or ``"non-arabic"`` (texts with more Latin than Arabic
    letters).  Measured on ``../shared/datasets`` (5 grouped folds, issue
    4's notes): each +0.005 of pooled F1, both +0.009; apart costs 0.4-0.7
    points of accuracy on the Arabic file, whose words carry clitics that
    the character n-grams see better; 2-5 character n-grams score as well
    as 2-6 and are faster.  A model file written before the last two
    existed lacks them: False and ``"never"``.
    """

    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    bits: int = 20
    mentions: bool = True
    sublinear_tf: bool = True
    norm_by_kind: str = "non-arabic"

    def __post_init__(self) -> None:
        if self.norm_by_kind not in NORM_BY_KIND:
            raise ValueError(
                f"norm_by_kind must be one of {NORM_BY_KIND}, got {self.norm_by_kind!r}"
            )
        for name, (lo, hi) in (
            ("char_ngrams", self.char_ngrams),
            ("word_ngrams", self.word_ngrams),
        ):
            if (lo, hi) != (0, 0) and not 1 <= lo <= hi <= 8:
                raise ValueError(f"{name} must be (0, 0) or 1 <= low <= high <= 8, got {(lo, hi)}")
        if not 10 <= self.bits <= 26:
            raise ValueError(f"bits must be in 10..26, got {self.bits}")

    @property
    def buckets(self) -> int:
        return 1 << self.bits

    def as_dict(self) -> dict[str, object]:
        return {
            "char_ngrams": list(self.char_ngrams),
            "word_ngrams": list(self.word_ngrams),
            "bits": self.bits,
            "mentions": self.mentions,
            "sublinear_tf": self.sublinear_tf,
            "norm_by_kind": self.norm_by_kind,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> FeatureSpec:
        def pair(value: object) -> tuple[int, int]:
            if not (
                isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)
            ):
                raise ValueError(f"an n-gram range must be two integers, got {value!r}")
            return int(value[0]), int(value[1])

        bits, mentions = data.get("bits"), data.get("mentions")
        if type(bits) is not int or type(mentions) is not bool:
            raise ValueError(
                f"bits must be an integer and mentions a boolean, got {bits!r}, {mentions!r}"
            )
        sublinear, by_kind = data.get("sublinear_tf", False), data.get("norm_by_kind", "never")
        if type(sublinear) is not bool or not isinstance(by_kind, str):
            raise ValueError(
                f"sublinear_tf must be a boolean and norm_by_kind a string, "
                f"got {sublinear!r}, {by_kind!r}"
            )
        return cls(
            pair(data.get("char_ngrams")),
            pair(data.get("word_ngrams")),
            bits,
            mentions,
            sublinear,
            by_kind,
        )


@dataclass(frozen=True)
class Prepared:
    """A batch of texts as the features see them: one array of code points,
    each text between single spaces and NULs (``\\0 t0 \\0 t1 \\0``)."""

    codes: npt.NDArray[np.uint32]
    begin: npt.NDArray[np.int64]  # where each text starts in ``codes``
    end: npt.NDArray[np.int64]  # where it ends
    arabic: npt.NDArray[np.bool_]  # more Arabic-script letters than Latin ones

    def __len__(self) -> int:
        return len(self.begin)

    def text(self, i: int) -> str:
        """The *i*-th prepared text (what n-gram positions refer to)."""
        part = self.codes[self.begin[i] : max(self.begin[i], self.end[i])]
        return part.astype("<u4").tobytes().decode("utf-32-le")


_LUT_SIZE = 0x10000


@functools.cache
def char_classes() -> npt.NDArray[np.uint8]:
    """Class of every BMP code point: 0 other (punctuation, symbols), 1 word
    character (``str.isalnum`` or ``_``, as ``\\w``), 2 white space, 3 NUL.
    Code points beyond the BMP (emoji, mostly) are "other"."""
    lut = np.zeros(_LUT_SIZE, dtype=np.uint8)
    for cp in range(_LUT_SIZE):
        ch = chr(cp)
        if ch.isalnum() or ch == "_":
            lut[cp] = 1
        elif ch.isspace():
            lut[cp] = 2
    lut[0] = 3
    return lut


def prepare(texts: Sequence[str], *, mentions: bool = False) -> Prepared:
    """The texts as the features see them: normalised as the store does
    (:func:`~marsad.text.normalize.normalize`) and with ``ة`` as ``ه`` (tweets
    write either; measured +0.4 points of accuracy on the Arabic labelled
    file); a leading ``RT @handle:`` as the mention ``@handle`` alone (who
    is retweeted is a mention like any other; that it is a retweet says how
    it was shared -- and retweets are a third of one training file and none
    of another); HTML entities, links (``pic.twitter.com`` and links cut
    short included) and the ellipsis of a cut post removed (a
    link's destination is the indicator registry's business; that a post has
    one says nothing -- a link-only post scored 1.0 when links were a
    placeholder word, because one training file links more than another);
    (unless *mentions*) user mentions as the placeholder word ``_user_``;
    every run of digits as one ``0``; every character that is
    neither a word character nor a space (punctuation, symbols, emoji) a word
    of its own; single spaces.

    The three rules that need a regular expression run once over the whole
    batch (texts joined by a line holding only NUL, which no rule crosses);
    the rest is done on the code points in numpy."""
    joined = "\n\x00\n".join(t.replace("\x00", " ") for t in normalize_many(texts, ta_marbuta=True))
    joined = _RETWEET_RE.sub(r"\1 ", joined)
    joined = _HTML_ENTITY_RE.sub(" ", joined)
    joined = _URL_RE.sub(" ", joined)
    joined = _ELLIPSIS_RE.sub(" ", joined)
    if not mentions:
        joined = _MENTION_RE.sub(" _user_ ", joined)
    c = np.frombuffer(("\x00" + joined + "\x00").encode("utf-32-le"), dtype=np.uint32)
    cls = np.where(c < _LUT_SIZE, char_classes()[np.minimum(c, _LUT_SIZE - 1)], 0)
    # digits: the first of a run becomes "0", the rest go
    digit = (c >= 48) & (c <= 57)
    c = np.where(digit, np.uint32(48), c)
    keep = ~(digit & np.concatenate(([False], digit[:-1])))
    # white space: one space, none next to a NUL
    space = cls == 2
    c = np.where(space, np.uint32(32), c)
    nul = cls == 3
    prev_blank = np.concatenate(([True], (space | nul)[:-1]))
    next_nul = np.concatenate((nul[1:], [True]))
    keep &= ~(space & (prev_blank | next_nul))
    c, cls = c[keep], cls[keep]
    # punctuation and NULs get a space on each side (a space already there is
    # dropped first so that none doubles)
    other = (cls == 0) | (cls == 3)
    prev_other = np.concatenate(([False], other[:-1]))
    next_other = np.concatenate((other[1:], [False]))
    space = cls == 2
    keep = ~(space & (prev_other | next_other))
    c, other = c[keep], other[keep]
    wide = np.empty((len(c), 3), dtype=np.int64)
    wide[:, 0] = np.where(other & ~np.concatenate(([False], other[:-1])), 32, -1)
    wide[:, 1] = c
    wide[:, 2] = np.where(other, 32, -1)
    flat = wide.ravel()
    codes = flat[flat >= 0].astype(np.uint32)[
        1:-1
    ]  # no space before the first NUL or after the last
    nuls = np.flatnonzero(codes == 0)
    doc = np.cumsum(codes == 0) - 1
    n = len(nuls) - 1
    arabic = np.bincount(doc, _is_arabic(codes), minlength=n + 1)[:n]
    latin = np.bincount(doc, _is_latin(codes), minlength=n + 1)[:n]
    return Prepared(
        codes,
        (nuls[:-1] + 2).astype(np.int64),
        (nuls[1:] - 1).astype(np.int64),
        arabic > latin,
    )


def _is_arabic(c: npt.NDArray[np.uint32]) -> npt.NDArray[np.float64]:
    """1.0 for letters of the Arabic script blocks (and presentation forms)."""
    out: npt.NDArray[np.float64] = (
        ((c >= 0x0620) & (c <= 0x064A))
        | ((c >= 0x0671) & (c <= 0x06D3))
        | ((c >= 0x0750) & (c <= 0x077F))
        | ((c >= 0x08A0) & (c <= 0x08C9))
        | ((c >= 0xFB50) & (c <= 0xFDFF))
        | ((c >= 0xFE70) & (c <= 0xFEFC))
    ).astype(np.float64)
    return out


def _is_latin(c: npt.NDArray[np.uint32]) -> npt.NDArray[np.float64]:
    """1.0 for Latin letters (ASCII and Latin-1/Extended-A/B, after case folding)."""
    out: npt.NDArray[np.float64] = (
        ((c >= 0x61) & (c <= 0x7A)) | ((c >= 0xDF) & (c <= 0x24F) & (c != 0xF7))
    ).astype(np.float64)
    return out


@dataclass(frozen=True)
class Occurrences:
    """Every n-gram occurrence of a batch: its document, its bucket, and where
    it is (``start``/``length`` in code points of the prepared text, ``kind``
    the n-gram length for characters and 100 + n for words)."""

    doc: npt.NDArray[np.int64]
    bucket: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    length: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int64]


def prefix_hashes(
    codes: npt.NDArray[np.uint64],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """(``B^k`` for k = 0..n, prefix sums ``Q``) of *codes*: the polynomial hash
    of ``codes[i:j]`` is then ``pw[j - 1] * (Q[j] - Q[i])`` (mod 2^64; see the
    module docstring), the same wherever the span lies."""
    total = len(codes)
    with np.errstate(over="ignore"):
        pw = np.empty(total + 1, dtype=np.uint64)
        pw[0] = 1
        pw[1:] = _B
        np.cumprod(pw, out=pw)
        ipw = np.empty(total, dtype=np.uint64)
        ipw[:1] = 1
        ipw[1:] = _B_INV
        np.cumprod(ipw, out=ipw)
        prefix = np.zeros(total + 1, dtype=np.uint64)
        np.cumsum(codes * ipw, out=prefix[1:])
    return pw, prefix


def span_hashes(
    pw: npt.NDArray[np.uint64],
    prefix: npt.NDArray[np.uint64],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
) -> npt.NDArray[np.uint64]:
    """The polynomial hashes of the spans ``[starts, ends)`` (from :func:`prefix_hashes`)."""
    with np.errstate(over="ignore"):
        out: npt.NDArray[np.uint64] = pw[ends - 1] * (prefix[ends] - prefix[starts])
    return out


def _fmix(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> _U64(33))


def _norm_groups(
    occ: Occurrences, arabic: npt.NDArray[np.bool_], spec: FeatureSpec
) -> npt.NDArray[np.int64]:
    """The (document, kind of n-gram) each occurrence belongs to, whose
    vector is scaled to unit norm: ``2 * doc`` plus 1 for the word n-grams of
    documents whose kinds are normed apart (``spec.norm_by_kind``)."""
    if spec.norm_by_kind == "never":
        return occ.doc * 2
    block = (occ.kind >= 100).astype(np.int64)
    if spec.norm_by_kind == "non-arabic":
        block = block * ~arabic[occ.doc]
    out: npt.NDArray[np.int64] = occ.doc * 2 + block
    return out


def weights(
    occ: Occurrences,
    idf: npt.NDArray[np.float64],
    arabic: npt.NDArray[np.bool_],
    spec: FeatureSpec,
) -> npt.NDArray[np.float64]:
    """Each occurrence's share of its document's TF-IDF value (module
    docstring): the vector's value at a bucket is the sum of
    ``idf * share`` over the bucket's occurrences.  *idf* is the idf of each
    occurrence's bucket, *arabic* per document of the batch whether it is
    Arabic (:attr:`Prepared.arabic`; see ``norm_by_kind``)."""
    if not len(occ.doc):
        return np.zeros(0)
    docs = len(arabic)
    group = _norm_groups(occ, arabic, spec)
    if not spec.sublinear_tf:
        # the norm over occurrences (the rule of older model files)
        norm = np.sqrt(np.bincount(group, idf * idf, minlength=2 * docs))
        plain: npt.NDArray[np.float64] = 1.0 / np.where(norm > 0, norm, 1.0)[group]
        return plain
    # the occurrences of one (group, bucket) sorted together: tf is the run's
    # length; the norm sums ((1 + ln tf) * idf)^2 once per run
    key = (group * spec.buckets + occ.bucket).astype(np.uint64)
    n = len(key)
    # a stable argsort (timsort): the occurrences come as one run per kind of
    # n-gram, each in document order, so the keys are far from random and
    # timsort merges them in 8.7 us a tweet against 21 us for the packed
    # key-and-position sort used before (measured on the training files,
    # 2026-12-05; issue 16's notes)
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    edge = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])
    tf = np.diff(edge)
    first = order[edge[:-1]]  # one occurrence of each run
    per_run = 1.0 + np.log(tf)
    value = per_run * idf[first]
    norm = np.sqrt(np.bincount(group[first], value * value, minlength=2 * docs))
    share = np.empty(n)
    share[order] = np.repeat(per_run / tf / np.where(norm > 0, norm, 1.0)[group[first]], tf)
    return share


def run_weights(
    occ: Occurrences,
    idf_of: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.float64]],
    arabic: npt.NDArray[np.bool_],
    spec: FeatureSpec,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(one occurrence of each distinct n-gram of each document, its TF-IDF
    value over the idf): the same vector as :func:`weights`, summed per
    distinct (document, bucket) -- what scoring a linear model needs, with
    the idf and the model's weights gathered once per distinct n-gram rather
    than once per occurrence (random reads of tables of 2^20 values: the
    gathers cost as much as the arithmetic).  *idf_of* gives the idf of the
    occurrences at the indices it is given."""
    if not len(occ.doc) or not spec.sublinear_tf:
        every = np.arange(len(occ.doc), dtype=np.int64)
        return every, weights(occ, idf_of(every), arabic, spec)
    docs = len(arabic)
    group = _norm_groups(occ, arabic, spec)
    key = (group * spec.buckets + occ.bucket).astype(np.uint64)
    order = np.argsort(key, kind="stable")  # see weights()
    ordered = key[order]
    edge = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])
    first = order[edge[:-1]]
    per_run = 1.0 + np.log(np.diff(edge))
    value = per_run * idf_of(first)
    norm = np.sqrt(np.bincount(group[first], value * value, minlength=2 * docs))
    return first, per_run / np.where(norm > 0, norm, 1.0)[group[first]]


def featurize(prepared: Prepared, spec: FeatureSpec, *, positions: bool = False) -> Occurrences:
    """The n-gram occurrences of *prepared* texts (from :func:`prepare`).

    With *positions* the start (in the prepared text) and length of each
    occurrence are filled in, for explanations; otherwise they are empty.
    """
    codes = prepared.codes.astype(np.uint64)
    total = len(codes)
    pw, prefix = prefix_hashes(codes)
    is_sep = codes == _SEP
    is_space = codes == 32
    doc_of = np.cumsum(is_sep) - 1  # document index of every position (-1 before the first)
    spaces = np.concatenate(([0], np.cumsum(is_space | is_sep)))  # blanks before each position
    seps = np.concatenate(([0], np.cumsum(is_sep)))  # NULs before each position
    parts: list[
        tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int]
    ] = []  # (start, length, kind)

    char_hashes: list[npt.NDArray[np.uint64]] = []
    lo, hi = spec.char_ngrams
    if hi:
        blanks = spaces[1:] - spaces[:-1]  # 1 where a space or NUL
        for n in range(lo, hi + 1):
            m = total - n + 1  # windows
            if m <= 0:
                continue
            # no NUL anywhere, and a space only at either end (never two spaces)
            ok = seps[n:] == seps[:m]
            if n > 2:
                ok &= spaces[n - 1 : total] == spaces[1 : m + 1]
            else:
                ok &= (blanks[:m] & blanks[n - 1 :]) == 0
            starts = np.flatnonzero(ok)
            with np.errstate(over="ignore"):
                h = pw[n - 1 : total] * (prefix[n:] - prefix[:m])
            char_hashes.append(h[starts] + _U64((n * _MIX) % 2**64))
            parts.append((starts, np.full(len(starts), n, dtype=np.int64), n))

    lo, hi = spec.word_ngrams
    if hi:
        blank = is_space | is_sep
        word_start = np.flatnonzero(~blank & np.concatenate(([True], blank[:-1])))
        word_end = np.flatnonzero(~blank & np.concatenate((blank[1:], [True]))) + 1
        word_doc = doc_of[word_start]
        for n in range(lo, hi + 1):
            if len(word_start) < n:
                continue
            first = np.arange(len(word_start) - n + 1)
            last = first + n - 1
            same = word_doc[first] == word_doc[last]
            starts = word_start[first[same]]
            lengths = word_end[last[same]] - starts
            parts.append((starts.astype(np.int64), lengths.astype(np.int64), 100 + n))

    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Occurrences(empty, empty, empty, empty, empty)
    start = np.concatenate([p[0] for p in parts])
    length = np.concatenate([p[1] for p in parts])
    kind = np.concatenate([np.full(len(p[0]), p[2], dtype=np.int64) for p in parts])
    word_hashes = []
    with np.errstate(over="ignore"):
        for starts, lengths, k in parts[len(char_hashes) :]:
            h = span_hashes(pw, prefix, starts, starts + lengths)
            word_hashes.append(h + _U64((k * _MIX) % 2**64))
        h = _fmix(np.concatenate(char_hashes + word_hashes))
    bucket = (h >> _U64(64 - spec.bits)).astype(np.int64)
    doc = doc_of[start].astype(np.int64)
    if positions:
        return Occurrences(doc, bucket, start - prepared.begin[doc], length, kind)
    empty = np.zeros(0, dtype=np.int64)
    return Occurrences(doc, bucket, empty, empty, kind)
