"""The hashed n-gram features against a plain-Python reference, and their invariants."""

from __future__ import annotations

import math
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from marsad.detect.features import NORM_BY_KIND, FeatureSpec, featurize, prepare, weights
from marsad.text.normalize import normalize


def reference_prepare(text: str, mentions: bool = False) -> str:
    """The rules of :func:`prepare` written the slow, obvious way."""
    t = normalize(text, ta_marbuta=True)
    t = re.sub(r"^rt (@\w+):? ?", r"\1 ", t)
    t = re.sub(r"&(?:amp|lt|gt|quot|#39|nbsp);", " ", t)
    t = re.sub(r"(?:\bhttps?\S*|www\.\S+|pic\.twitter\.com/\S*)", " ", t)
    t = re.sub(r"\u2026|\.{2,}", " ", t)
    if not mentions:
        t = re.sub(r"@\w+", " _user_ ", t)
    t = re.sub(r"\d+", "0", t)
    t = "".join(f" {ch} " if not (ch.isalnum() or ch == "_" or ch.isspace()) else ch for ch in t)
    return " ".join(t.split())


def reference_ngrams(text: str, spec: FeatureSpec) -> set[tuple[int, str]]:
    """(kind, n-gram) of a prepared text: char n-grams inside space-padded words
    (kind n; not the pad space alone) and word n-grams (kind 100 + n)."""
    out = set()
    lo, hi = spec.char_ngrams
    for word in text.split():
        padded = f" {word} "
        for n in range(lo, hi + 1):
            grams = (padded[i : i + n] for i in range(len(padded) - n + 1))
            out |= {(n, g) for g in grams if g.strip()}  # a lone pad space is no feature
    words = text.split()
    lo, hi = spec.word_ngrams
    for n in range(lo, hi + 1):
        out |= {(100 + n, " ".join(words[i : i + n])) for i in range(len(words) - n + 1)}
    return out


def found_ngrams(texts: list[str], spec: FeatureSpec) -> list[set[tuple[int, str]]]:
    prepared = prepare(texts, mentions=spec.mentions)
    occ = featurize(prepared, spec, positions=True)
    out: list[set[tuple[int, str]]] = [set() for _ in texts]
    for d, s, n, k in zip(occ.doc, occ.start, occ.length, occ.kind, strict=True):
        padded = f" {prepared.text(int(d))} "
        out[int(d)].add((int(k), padded[s + 1 : s + 1 + n]))
    return out


CASES = [
    ("Hello world, hello World!!", "hello world , hello world ! !"),  # punctuation split off
    ("world   hello ", "world hello"),  # runs of spaces
    ("مرحبا بالعالم @abc http://x.com/a 123.5", "مرحبا بالعالم _user_ 0 . 0"),  # links go
    ("RT @someone: the news", "_user_ the news"),  # a retweet: only who is retweeted stays
    ("", ""),
    ("...", ""),  # an ellipsis goes (it marks a post cut short)
    ("end… and more..", "end and more"),
    ("a.b. c!", "a . b . c !"),
    ("pic.twitter.com/abc1 see https://t.co/x… http… https:/… ok", "see ok"),  # cut links go
    (" x\ty\n\nz ", "x y z"),
    ("😀a😀 &amp; b", "😀 a 😀 b"),  # emoji are words of their own; entities go
    ("ٱلْحَمْدُ لِلَّهِ", "الحمد لله"),  # Arabic normalised first (harakat, alef wasla)
    ("مدرسة جميلة", "مدرسه جميله"),  # ta marbuta as heh
]


def test_prepare_cases() -> None:
    prepared = prepare([raw for raw, _ in CASES])
    assert [prepared.text(i) for i in range(len(CASES))] == [want for _, want in CASES]


def test_ngrams_match_the_reference_on_the_cases() -> None:
    spec = FeatureSpec()
    texts = [raw for raw, _ in CASES]
    for found, text in zip(found_ngrams(texts, spec), texts, strict=True):
        assert found == reference_ngrams(reference_prepare(text, spec.mentions), spec)


_TEXT = st.lists(
    st.sampled_from(
        list("ab c.!@#_1 ") + ["و", "ال", "ـ", "\u064e", "😀", "\t", "&amp;", "rt @x: "]
    ),
    max_size=25,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=6))
def test_prepare_and_ngrams_match_the_reference(texts: list[str]) -> None:
    prepared = prepare(texts)
    assert [prepared.text(i) for i in range(len(texts))] == [reference_prepare(t) for t in texts]
    for mentions in (False, True):
        spec = FeatureSpec(char_ngrams=(1, 4), word_ngrams=(1, 3), bits=16, mentions=mentions)
        for found, text in zip(found_ngrams(texts, spec), texts, strict=True):
            assert found == reference_ngrams(reference_prepare(text, mentions), spec)


@settings(max_examples=100, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=5), st.integers(0, 4))
def test_a_text_has_the_same_buckets_alone_and_in_any_batch(texts: list[str], at: int) -> None:
    """Hashes depend on the n-gram only, never on where it sits in the batch."""
    spec = FeatureSpec(bits=12)
    batch = featurize(prepare(texts), spec)
    i = at % len(texts)
    alone = featurize(prepare([texts[i]]), spec)
    assert sorted(batch.bucket[batch.doc == i].tolist()) == sorted(alone.bucket.tolist())


def test_the_same_ngram_hashes_alike_and_buckets_spread() -> None:
    prepared = prepare(["alpha beta", "beta alpha", "gamma"])
    occ = featurize(prepared, FeatureSpec(char_ngrams=(0, 0), word_ngrams=(1, 1)), positions=True)
    by_word: dict[str, set[int]] = {}
    for d, s, n, b in zip(occ.doc, occ.start, occ.length, occ.bucket, strict=True):
        by_word.setdefault(prepared.text(int(d))[s : s + n], set()).add(int(b))
    assert {w: len(b) for w, b in by_word.items()} == {"alpha": 1, "beta": 1, "gamma": 1}
    assert len({next(iter(b)) for b in by_word.values()}) == 3
    # 200,000 distinct words land in about as many buckets as chance allows
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = [
        letters[i % 26] + letters[i // 26 % 26] + letters[i // 676 % 26] + letters[i // 17576]
        for i in range(200_000)
    ]
    occ = featurize(
        prepare([" ".join(words)]), FeatureSpec(char_ngrams=(0, 0), word_ngrams=(1, 1), bits=20)
    )
    used = len(np.unique(occ.bucket))
    expected = (1 << 20) * (1 - np.exp(-len(words) / (1 << 20)))
    assert abs(used - expected) / expected < 0.01


def reference_tfidf(
    texts: list[str], spec: FeatureSpec, idf: np.ndarray
) -> list[dict[tuple[int, int], float]]:
    """Per text, {(block, bucket): value}: ``(1 + ln tf) * idf`` (or ``tf * idf``),
    each block (characters, words; or one) scaled to unit norm -- or, without
    sublinear tf and blocks, the older rule (norm over occurrences)."""
    prepared = prepare(texts, mentions=spec.mentions)
    occ, arabic = featurize(prepared, spec), prepared.arabic
    out: list[dict[tuple[int, int], float]] = []
    for d in range(len(texts)):
        counts: dict[tuple[int, int], int] = {}
        for k, b in zip(occ.kind[occ.doc == d], occ.bucket[occ.doc == d], strict=True):
            apart = spec.norm_by_kind == "always" or (
                spec.norm_by_kind == "non-arabic" and not arabic[d]
            )
            key = (int(k >= 100) if apart else 0, int(b))
            counts[key] = counts.get(key, 0) + 1
        if spec.sublinear_tf:
            raw = {key: (1 + math.log(c)) * float(idf[key[1]]) for key, c in counts.items()}
            norms = {
                blk: math.sqrt(sum(v * v for (bb, _), v in raw.items() if bb == blk))
                for blk in (0, 1)
            }
        else:
            raw = {key: c * float(idf[key[1]]) for key, c in counts.items()}
            norms = {
                blk: math.sqrt(
                    sum(c * float(idf[b]) ** 2 for (bb, b), c in counts.items() if bb == blk)
                )
                for blk in (0, 1)
            }
        out.append({key: v / norms[key[0]] for key, v in raw.items() if norms[key[0]]})
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(_TEXT, min_size=1, max_size=5),
    st.booleans(),
    st.sampled_from(NORM_BY_KIND),
)
def test_weights_are_tfidf_by_the_reference(
    texts: list[str], sublinear: bool, by_kind: str
) -> None:
    spec = FeatureSpec(
        char_ngrams=(1, 3),
        word_ngrams=(1, 2),
        bits=10,
        sublinear_tf=sublinear,
        norm_by_kind=by_kind,
    )
    idf = np.random.default_rng(len(texts)).uniform(0.5, 3.0, spec.buckets)
    prepared = prepare(texts, mentions=spec.mentions)
    occ = featurize(prepared, spec)
    share = weights(occ, idf[occ.bucket], prepared.arabic, spec)
    for d, want in enumerate(reference_tfidf(texts, spec, idf)):
        got: dict[tuple[int, int], float] = {}
        m = occ.doc == d
        apart = by_kind == "always" or (by_kind == "non-arabic" and not prepared.arabic[d])
        for k, b, v in zip(occ.kind[m], occ.bucket[m], (idf[occ.bucket] * share)[m], strict=True):
            key = (int(k >= 100) if apart else 0, int(b))
            got[key] = got.get(key, 0.0) + float(v)
        assert got.keys() == want.keys()
        for key, v in want.items():
            assert abs(got[key] - v) < 1e-9


def test_a_repeated_ngram_weighs_one_plus_log_tf() -> None:
    spec = FeatureSpec(char_ngrams=(0, 0), word_ngrams=(1, 1), bits=12)
    prepared = prepare(["spam spam spam spam eggs"])
    occ = featurize(prepared, spec, positions=True)
    share = weights(occ, np.ones(len(occ.doc)), prepared.arabic, spec)
    eggs = share[(occ.length == 4) & (occ.start == 20)].sum()
    spam = share.sum() - eggs
    assert abs(spam / eggs - (1 + math.log(4))) < 1e-9


def test_script_of_each_text() -> None:
    prepared = prepare(["مرحبا hello", "مرحبا بكم hello", "", "hello", "١٢٣ ok"])
    assert prepared.arabic.tolist() == [False, True, False, False, False]


def test_spec_round_trip_and_validation() -> None:
    spec = FeatureSpec(char_ngrams=(1, 6), word_ngrams=(0, 0), bits=18, mentions=False)
    assert FeatureSpec.from_dict(spec.as_dict()) == spec
    # a model file from before sublinear tf and norms by kind means neither
    old = {
        k: v
        for k, v in FeatureSpec().as_dict().items()
        if k not in ("sublinear_tf", "norm_by_kind")
    }
    assert not FeatureSpec.from_dict(old).sublinear_tf
    assert FeatureSpec.from_dict(old).norm_by_kind == "never"
    for bad in (
        {"char_ngrams": (3, 2)},
        {"word_ngrams": (0, 9)},
        {"bits": 40},
        {"norm_by_kind": "sometimes"},
    ):
        try:
            FeatureSpec(**bad)  # type: ignore[arg-type]
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad}")
