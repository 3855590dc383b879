"""Text normalisation: one canonical form of a post's text for matching and counting.

Sits in the *normalise* step of the flow (``ingest -> normalise -> store``): the
enrichment step (:mod:`marsad.text.enrich`) stores ``normalize(post.text)`` as
``Post.text_norm``, and every later stage that matches words, hashtags or known
phrases compares normalised forms, so that the many ways of typing the same
Arabic word (with or without harakat, with ``أ`` or ``ا``, with a Persian
keyboard's ``ی`` or an Arabic ``ي``, with tatweel ``ـ`` stretching) count as one.

What :func:`normalize` does, in order:

1. Unicode NFKC (compatibility forms -- Arabic presentation forms, full-width
   Latin, ligatures -- become their plain letters).
2. Removes invisible characters: zero-width space/joiners and directional
   marks (U+200B-U+200F), bidi embeddings and isolates (U+202A-U+202E,
   U+2066-U+2069), the BOM / zero-width no-break space U+FEFF, the Arabic
   letter mark U+061C, the soft hyphen U+00AD, the word joiner and invisible
   operators U+2060-U+2064, the Mongolian vowel separator U+180E, the
   combining grapheme joiner U+034F and the noncharacters U+FFFE/U+FFFF.
   They are used to evade keyword filters and never change what a reader sees.
3. Arabic (see :func:`normalize_arabic`): removes harakat and Qur'anic
   annotation marks, tatweel; unifies alef forms, hamza carriers, alef maqsura,
   optionally ta marbuta; maps Persian/Urdu/Pashto *glyph variants* of Arabic
   letters to the Arabic letter; maps Arabic-Indic and Persian digits to ASCII.
4. ``str.casefold`` when ``lowercase`` (Latin, Greek, Cyrillic ...; Arabic has no
   case).
5. Collapses every run of whitespace to one space and trims the ends.

The result is *idempotent*: ``normalize(normalize(x)) == normalize(x)`` for
every string (checked with Hypothesis in ``tests/text``).  The steps interact
-- removing an invisible character can bring a base letter and a combining
mark together that NFKC then composes, NFKC can undo a casefold or produce a
capital -- so the round (casefold, NFKC, the table) is repeated until it
changes nothing (in practice at most once more).

Speed: this runs on every ingested post.  The character rules are one
precomputed table, applied with ``str.translate`` through a list indexed by
code point (three times faster than a dict) or, for long texts and for
batches (:func:`normalize_many`, used by enrichment), with one numpy lookup
over UTF-16 code units.  Pure-ASCII text takes a short path of ``lower`` and
whitespace collapse.  Measured throughput is in ``docs/language-id.md``
(``benchmarks/lang_id.py --throughput``).
"""

from __future__ import annotations

import operator
import unicodedata
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
import numpy.typing as npt

__all__ = [
    "INVISIBLE_CHARS",
    "normalize",
    "normalize_arabic",
    "normalize_many",
    "strip_invisible",
]

#: invisible format characters removed by :func:`normalize` (see module docstring)
INVISIBLE_CHARS: frozenset[str] = frozenset(
    chr(cp)
    for cp in (
        *range(0x200B, 0x2010),  # ZWSP, ZWNJ, ZWJ, LRM, RLM
        *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
        *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI
        *range(0x2060, 0x2065),  # word joiner, invisible operators
        0xFEFF,  # BOM / zero-width no-break space
        0x061C,  # Arabic letter mark
        0x00AD,  # soft hyphen
        0x180E,  # Mongolian vowel separator
        0x034F,  # combining grapheme joiner
        0xFFFE,  # noncharacters: never text
        0xFFFF,
    )
)

_ALEF = "\u0627"
_WAW = "\u0648"
_YEH = "\u064a"
_KAF = "\u0643"
_HEH = "\u0647"

# Arabic letter variants -> the plain Arabic letter.  Only glyph or orthographic
# variants of the same letter are unified; letters that are distinct phonemes in
# Persian/Urdu (پ چ ژ گ ٹ ڈ ڑ ...) are kept, since mapping them would merge
# different words.
_ARABIC_LETTERS: dict[str, str] = {
    "\u0622": _ALEF,  # آ alef with madda
    "\u0623": _ALEF,  # أ alef with hamza above
    "\u0625": _ALEF,  # إ alef with hamza below
    "\u0671": _ALEF,  # ٱ alef wasla
    "\u0672": _ALEF,  # ٲ alef with wavy hamza above
    "\u0673": _ALEF,  # ٳ alef with wavy hamza below
    "\u0624": _WAW,  # ؤ waw with hamza
    "\u0626": _YEH,  # ئ yeh with hamza
    "\u0649": _YEH,  # ى alef maqsura
    "\u06cc": _YEH,  # ی Farsi yeh
    "\u06d0": _YEH,  # ې Pashto e
    "\u06cd": _YEH,  # ۍ yeh with tail
    "\u06d2": _YEH,  # ے yeh barree
    "\u06d3": _YEH,  # ۓ yeh barree with hamza
    "\u06a9": _KAF,  # ک keheh (Persian kaf)
    "\u06aa": _KAF,  # ڪ swash kaf
    "\u06c1": _HEH,  # ہ heh goal
    "\u06c2": _HEH,  # ۂ heh goal with hamza
    "\u06be": _HEH,  # ھ heh doachashmee
    "\u06d5": _HEH,  # ە ae
    "\u06c0": _HEH,  # ۀ heh with yeh above
    "\u066b": ".",  # ٫ Arabic decimal separator
    "\u066c": ",",  # ٬ Arabic thousands separator
    "\u066a": "%",  # ٪ Arabic percent sign
}
_TA_MARBUTA = {"\u0629": _HEH}  # ة -> ه, only when asked


def _arabic_deletions() -> list[int]:
    """Harakat, Qur'anic annotation marks, tatweel and the high hamza (U+0674)."""
    ranges = [
        (0x0610, 0x061A),  # honorific signs and small high letters
        (0x064B, 0x065F),  # harakat: tanwin, fatha ... hamza above/below, wavy hamza
        (0x0670, 0x0670),  # superscript alef
        (0x06D6, 0x06ED),  # Qur'anic annotation marks (symbols kept, see below)
        (0x0898, 0x089F),  # extended-A/B marks
        (0x08CA, 0x08FF),  # extended-A marks and the disputed end of ayah
    ]
    out = [0x0640, 0x0674]  # tatweel, high hamza (ٵ ٶ ٸ decompose to letter + U+0674)
    for lo, hi in ranges:
        for cp in range(lo, hi + 1):
            # keep the two symbols in the Qur'anic block (rub el hizb, place of sajdah)
            if unicodedata.category(chr(cp)) != "So":
                out.append(cp)
    return out


def _digits() -> dict[int, str]:
    table = {}
    for zero in (0x0660, 0x06F0):  # Arabic-Indic, extended Arabic-Indic (Persian/Urdu)
        for i in range(10):
            table[zero + i] = str(i)
    return table


def _build_arabic_table(ta_marbuta: bool) -> dict[int, str | None]:
    table: dict[int, str | None] = {cp: None for cp in _arabic_deletions()}
    table.update({ord(k): v for k, v in _ARABIC_LETTERS.items()})
    table.update(_digits())
    if ta_marbuta:
        table.update({ord(k): v for k, v in _TA_MARBUTA.items()})
    return table


def _build_table(ta_marbuta: bool) -> dict[int, str | None]:
    table = _build_arabic_table(ta_marbuta)
    table.update({ord(c): None for c in INVISIBLE_CHARS})
    return table


_ARABIC = _build_arabic_table(False)
_ARABIC_TA = _build_arabic_table(True)
_FULL = _build_table(False)
_FULL_TA = _build_table(True)

# ``str.translate`` looks every character up in its table; a list indexed by code
# point is three times faster than a dict (no hashing).  Every key is in the BMP,
# characters past the end of the list raise IndexError and are left unchanged.
_LIST_SIZE = 0x10000
_IDENTITY = list(range(_LIST_SIZE))


def _as_list(table: dict[int, str | None]) -> list[int | str | None]:
    out: list[int | str | None] = list(_IDENTITY)
    for cp, value in table.items():
        out[cp] = value
    return out


_INVISIBLE_LIST = _as_list({ord(c): None for c in INVISIBLE_CHARS})
_ARABIC_LIST = _as_list(_ARABIC)
_ARABIC_TA_LIST = _as_list(_ARABIC_TA)
_FULL_LIST = _as_list(_FULL)
_FULL_TA_LIST = _as_list(_FULL_TA)

# The same tables as numpy lookup arrays over UTF-16 code units, for batches and
# long texts.  Every key is in the BMP and no value is a surrogate, so surrogate
# pairs pass through unchanged; U+FFFF (a noncharacter, deleted by the table too)
# marks a deleted character.
_DELETE16 = 0xFFFF


def _as_lut(table: dict[int, str | None]) -> npt.NDArray[np.uint16]:
    lut = np.arange(0x10000, dtype=np.uint16)
    for cp, value in table.items():
        lut[cp] = _DELETE16 if value is None else ord(value)
    return lut


_FULL_LUT = _as_lut(_FULL)
_FULL_TA_LUT = _as_lut(_FULL_TA)


def strip_invisible(text: str) -> str:
    """*text* without the :data:`INVISIBLE_CHARS` (step 2 of :func:`normalize` alone)."""
    return text if text.isascii() else text.translate(_INVISIBLE_LIST)


def normalize_arabic(text: str, *, ta_marbuta: bool = False) -> str:
    """Only the Arabic rules of :func:`normalize` (step 3), nothing else.

    Removes harakat (U+064B-U+065F, U+0670), the honorific and Qur'anic marks
    (U+0610-U+061A, U+06D6-U+06ED except the two symbols, U+0898-U+089F,
    U+08CA-U+08FF) and tatweel U+0640; maps ``أ إ آ ٱ ٲ ٳ`` to ``ا``, ``ؤ`` to
    ``و``, ``ئ ى`` to ``ي``; Persian/Urdu/Pashto variants ``ی ې ۍ ے ۓ`` to
    ``ي``, ``ک ڪ`` to ``ك``, ``ہ ۂ ھ ە ۀ`` to ``ه``; Arabic-Indic ``٠-٩`` and
    Persian ``۰-۹`` digits to ``0-9`` (and ``٫ ٬ ٪`` to ``. , %``); with
    *ta_marbuta*, ``ة`` to ``ه``.  No Unicode normalisation, case folding or
    whitespace change.  Letters that are separate phonemes in Persian or Urdu
    (``پ چ ژ گ ٹ ڈ ڑ``) are kept.
    """
    return text.translate(_ARABIC_TA_LIST if ta_marbuta else _ARABIC_LIST)


def _np_translate(text: str, lut: npt.NDArray[np.uint16]) -> str:
    """``text.translate(table)`` through numpy: the same result, faster on long text."""
    units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    out = lut[units]
    keep = out != _DELETE16
    if not keep.all():
        out = out[keep]
    return out.tobytes().decode("utf-16-le", "surrogatepass")


#: above this length a single text is translated through numpy (measured break-even)
_NUMPY_MIN_CHARS = 400


def _collapse(text: str) -> str:
    """Whitespace runs to one space, ends trimmed; skips the work when already so.

    Every whitespace character but the space is non-printable, so a printable
    text without double or edge spaces is already collapsed.
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def _settle(text: str, lowercase: bool, translate: Callable[[str], str]) -> str:
    """Apply one round -- casefold, NFKC, translate -- until a round changes nothing.

    *text* is already translated.  The table's outputs are never its keys, and
    casefold never produces a key (both checked in the tests), so only NFKC can
    bring back something to translate.  Deleting marks can leave text that NFKC
    composes; NFKC can undo casefold (``ὐ`` folds to ``υ`` + U+0313, which NFKC
    composes back) or make capitals (``ℌ`` -> ``H``).  So the result is the
    fixed point of the round, which is what makes :func:`normalize` idempotent
    (one or two rounds in practice; bounded anyway).
    """
    for _ in range(8):
        candidate = text.casefold() if lowercase else text
        if not unicodedata.is_normalized("NFKC", candidate):
            candidate = translate(unicodedata.normalize("NFKC", candidate))
        if candidate == text:
            break
        text = candidate
    return text


def normalize(text: str, *, ta_marbuta: bool = False, lowercase: bool = True) -> str:
    """The canonical form of *text* used for matching (see the module docstring).

    ``ta_marbuta=True`` also maps ``ة`` to ``ه`` (off by default: the two are
    distinct in standard spelling, but often confused in social-media text;
    turn it on for recall-oriented keyword matching).  ``lowercase=False`` keeps
    case (everything else still applies).  Idempotent for every input and
    every combination of options.  For many texts at once use
    :func:`normalize_many` (same results, several times faster).
    """
    if text.isascii():
        # NFKC and the table are no-ops on ASCII, and casefold is `lower`
        return _collapse(text.lower() if lowercase else text)
    translate: Callable[[str], str]
    if len(text) >= _NUMPY_MIN_CHARS:
        lut = _FULL_TA_LUT if ta_marbuta else _FULL_LUT
        translate = partial(_np_translate, lut=lut)
    else:
        translate = operator.methodcaller("translate", _FULL_TA_LIST if ta_marbuta else _FULL_LIST)
    return _collapse(_settle(translate(text), lowercase, translate))


def _settle_parts(parts: list[str], lowercase: bool, lut: npt.NDArray[np.uint16]) -> None:
    """:func:`_settle` on each of *parts* (already translated and casefolded), in place.

    NFKC of a whole batch is slow, and only some texts need it (X's truncation
    ellipsis "…" is enough), so only those are joined and run through the round
    together, until none changes.
    """
    pending = [i for i, p in enumerate(parts) if not unicodedata.is_normalized("NFKC", p)]
    for _ in range(8):
        if not pending:
            break
        text = "\x00".join(parts[i] for i in pending)
        if lowercase:
            text = text.casefold()
        text = _np_translate(unicodedata.normalize("NFKC", text), lut)
        changed = []
        for i, part in zip(pending, text.split("\x00"), strict=True):
            if part != parts[i]:
                parts[i] = part
                changed.append(i)
        pending = changed


def normalize_many(
    texts: Sequence[str], *, ta_marbuta: bool = False, lowercase: bool = True
) -> list[str]:
    """``[normalize(t, ...) for t in texts]``, computed on the whole batch at once.

    The texts are joined with NUL (which no rule touches and which neither NFKC
    nor casefold ever produces or merges), translated with one numpy lookup and
    casefolded as one string, and split again; only the texts that are not yet
    NFKC-stable go through further rounds (together), and only the whitespace
    collapse is per text.  A batch
    in which a text already contains NUL falls back to one text at a time.
    """
    if not texts:
        return []
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:  # a text holds NUL itself: ambiguous
        return [normalize(t, ta_marbuta=ta_marbuta, lowercase=lowercase) for t in texts]
    if joined.isascii():
        if lowercase:
            joined = joined.lower()
        parts = joined.split("\x00")
    else:
        lut = _FULL_TA_LUT if ta_marbuta else _FULL_LUT
        text = _np_translate(joined, lut)
        if lowercase:
            text = text.casefold()
        parts = text.split("\x00")
        if not unicodedata.is_normalized("NFKC", text):
            _settle_parts(parts, lowercase, lut)
    return [_collapse(p) for p in parts]
