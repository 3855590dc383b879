"""Handle, name and bio normalisation for linking re-created accounts.

Part of the *score / link* stage (issue 6), used by :mod:`marsad.accounts.lineage`.
A re-created account rarely keeps its old handle -- it is taken, and the
platform knows it -- so it takes a *variant*: a counter or an increment
(``news_reader`` -> ``news_reader_2`` -> ``news_reader_3``), changed or
appended digits (``reader12`` -> ``reader21``), a kunya prefix
(``abu_reader``, ``أبو ...``), a digit standing in for a look-alike letter
(``reader`` -> ``r3ader``), or an underscore.  This module reduces handles and
names to the *stem* those variants share, in three steps:

1. :func:`marsad.text.normalize.normalize` (NFKC, invisible characters,
   Arabic letter variants, Arabic-Indic digits, casefold), then the
   confusable letters of other scripts (Cyrillic ``а``, Greek ``ο`` ...)
   mapped to the Latin letter they imitate;
2. the kunya prefix (``abu`` / ``abou`` / ``umm``, Arabic ``أبو`` / ``ام``)
   removed, counters and trailing digits and underscores removed;
3. digits that imitate letters (``0 1 3 4 5 7 8``) folded to the letter, and
   the letters such digits are confused with (``l`` and ``i``) to one.

:func:`handle_stems` gives two stems per handle (folding look-alikes before or
after stripping the trailing digits: ``nadi4`` is ``nadia`` with a look-alike,
``nour21`` is ``nour`` with a counter) and a prefix of the stem, because a
prefix added to a 15-character handle pushes its end out.  Names and bios
become token sets; names are also *transliterated* to a consonant skeleton
(:func:`skeleton`) so that ``Abu Samir`` and ``أبو سمير`` share the token
``smr``.  Every function is pure and total: any string in, a (possibly empty)
result out.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from marsad.text.normalize import normalize

__all__ = [
    "bio_tokens",
    "fold_lookalikes",
    "handle_stems",
    "jaccard",
    "levenshtein",
    "name_tokens",
    "normalize_handle",
    "similarity",
    "skeleton",
]

#: letters of other scripts that look like a Latin letter (the confusables
#: used in handles and display names), after casefolding
_CONFUSABLE = str.maketrans(
    {
        "а": "a",  # Cyrillic
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "х": "x",
        "у": "y",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "ո": "n",  # Armenian
        "ο": "o",  # Greek
        "α": "a",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "ε": "e",
    }
)
#: digits and symbols written for the letter they resemble; ``l`` and ``i``
#: (which ``1`` stands for either of) become one letter
_LOOKALIKE = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "$": "s",
        "@": "a",
        "l": "i",
    }
)
#: a kunya prefix ("father of", "mother of") at the start of a handle
_KUNYA_HANDLE = re.compile(r"^(?:abu|abou|abo|umm|omm)_?")
#: kunya words in display names, Latin and Arabic (after :func:`normalize`, so
#: ``أبو`` is ``ابو`` and ``أم`` is ``ام``)
_KUNYA_WORDS = frozenset({"abu", "abou", "abo", "umm", "omm", "ابو", "ام"})
#: counters, increments and padding at the end of a handle
_TRAILING = re.compile(r"[_\d]+$")
_NON_WORD = re.compile(r"[^\w]+")
_DIGITS = re.compile(r"\d+")
#: a stem shorter than this is too common to be a key (``al``, ``abc``)
_MIN_STEM = 3
#: length of the prefix key: a kunya prefix (4 characters) on a 15-character
#: handle keeps 11, a counter that pushes the end out keeps 12; minus digits
#: and the letter a counter can replace, 7 is what the two still share
_PREFIX = 7


def normalize_handle(handle: str) -> str:
    """*handle* normalised: :func:`normalize`, confusables to Latin, no ``@``."""
    return normalize(handle).translate(_CONFUSABLE).lstrip("@")


def fold_lookalikes(text: str) -> str:
    """Look-alike digits to letters and ``l`` to ``i`` (see the module docstring)."""
    return text.translate(_LOOKALIKE)


def _strip_kunya(h: str) -> str:
    # matched on the look-alike-folded handle (``4bu_``), cut from the handle itself:
    # folding maps one character to one, so the lengths agree
    for _ in range(2):  # a kunya on a kunya: abu_abu_name
        match = _KUNYA_HANDLE.match(fold_lookalikes(h))
        if match is None:
            break
        rest = h[match.end() :]
        if len(rest.replace("_", "")) < _MIN_STEM:
            break
        h = rest
    return h


@lru_cache(maxsize=1 << 16)
def handle_stems(handle: str) -> frozenset[str]:
    """The stems of *handle* that its re-created variants share (blocking keys).

    ``news_reader_2``, ``news_reader``, ``abu_news_reader`` and ``n3ws_reader``
    all give ``newsreader``.  Two stems (look-alikes folded after and before
    the trailing digits are dropped) and, for a stem of at least 7
    characters, its 7-character prefix marked ``^``.
    """
    h = _strip_kunya(normalize_handle(handle))
    out: set[str] = set()
    a = fold_lookalikes(_TRAILING.sub("", h)).replace("_", "")
    b = _TRAILING.sub("", fold_lookalikes(h)).replace("_", "")
    for stem in (a, b):
        if len(stem) >= _MIN_STEM:
            out.add(stem)
    for stem in (a, b):
        if len(stem) >= _PREFIX:
            out.add("^" + stem[:_PREFIX])
    return frozenset(out)


def levenshtein(a: str, b: str) -> int:
    """The edit distance of *a* and *b* (insertions, deletions, substitutions).

    RapidFuzz's C++ implementation: lineage compares the handles of hundreds of
    thousands of pairs, and a Python edit distance took 85% of its time.
    """
    return int(Levenshtein.distance(a, b))


def similarity(a: str, b: str) -> float:
    """``1 - levenshtein / longer length``: 1.0 for equal strings, 0.0 when one is empty."""
    if not a or not b:
        return 0.0
    return 1.0 - Levenshtein.distance(a, b) / max(len(a), len(b))


# Arabic letters -> a Latin consonant (or "" for the long vowels and hamza
# carriers, which Latin spellings drop or write as vowels)
_AR_LATIN = str.maketrans(
    {
        "ا": "",
        "ب": "b",
        "ت": "t",
        "ث": "t",
        "ج": "j",
        "ح": "h",
        "خ": "k",
        "د": "d",
        "ذ": "d",
        "ر": "r",
        "ز": "z",
        "س": "s",
        "ش": "s",
        "ص": "s",
        "ض": "d",
        "ط": "t",
        "ظ": "z",
        "ع": "",
        "غ": "g",
        "ف": "f",
        "ق": "k",
        "ك": "k",
        "ل": "l",
        "م": "m",
        "ن": "n",
        "ه": "h",
        "ة": "",
        "و": "",
        "ي": "",
        "ء": "",
        "پ": "p",
        "چ": "c",
        "گ": "g",
    }
)
# Latin spellings -> the same consonant classes (digraphs first)
_LATIN_DIGRAPHS = (("kh", "k"), ("sh", "s"), ("th", "t"), ("dh", "d"), ("gh", "g"), ("ch", "c"))
_LATIN_CLASS = str.maketrans(
    {"q": "k", "c": "k", "x": "k", "v": "f", "p": "b", "w": "", "y": "", "'": ""}
)
_VOWELS = re.compile(r"[aeiouáàâäéèêëíìîïóòôöúùûü]")


@lru_cache(maxsize=1 << 16)
def skeleton(word: str) -> str:
    """A transliteration-proof consonant skeleton of one *word* (normalised first).

    ``samir``, ``sameer`` and ``سمير`` are all ``smr``; ``hamza`` and ``حمزة``
    ``hmz``.  Arabic letters map to a Latin consonant class (the long vowels
    and ``ع`` are dropped, as Latin spellings drop them), Latin digraphs to one
    consonant, vowels are dropped and doubled consonants merged.  A word
    without a consonant keeps its normalised form.
    """
    word = normalize(word)
    w = word.translate(_AR_LATIN)
    for digraph, single in _LATIN_DIGRAPHS:
        w = w.replace(digraph, single)
    w = _VOWELS.sub("", w.translate(_LATIN_CLASS))
    w = re.sub(r"(.)\1+", r"\1", w)
    return w or word


def _words(text: str) -> list[str]:
    norm = normalize(text).translate(_CONFUSABLE)
    return [w for w in _NON_WORD.split(_DIGITS.sub(" ", norm)) if w and w != "_"]


@lru_cache(maxsize=1 << 16)
def name_tokens(name: str) -> frozenset[str]:
    """The consonant skeletons of a display name's words, without kunya words and digits.

    ``Abu Samir 2``, ``Samir`` and ``أبو سمير`` all give ``{"smr"}``.
    """
    return frozenset(skeleton(w) for w in _words(name) if w not in _KUNYA_WORDS)


@lru_cache(maxsize=1 << 16)
def bio_tokens(bio: str) -> frozenset[str]:
    """A bio's normalised words, without digits (``account 3`` -> ``{"account"}``)."""
    return frozenset(w.strip("_") for w in _words(bio) if w.strip("_"))


def jaccard(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    """``|a & b| / |a | b|``; 0.0 when both are empty."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)
