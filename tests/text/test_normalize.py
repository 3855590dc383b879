"""Text normalisation: each rule on its own, then the invariants with Hypothesis."""

from __future__ import annotations

import importlib
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marsad.text.normalize import (
    INVISIBLE_CHARS,
    normalize,
    normalize_arabic,
    normalize_many,
    strip_invisible,
)

# the module (the package re-exports the function under the same name)
norm_module = importlib.import_module("marsad.text.normalize")

ARABIC_RULES = [
    # (raw, expected, why)
    ("مَرْحَبًا", "مرحبا", "fatha, sukun, tanwin removed"),
    ("كُتُبٌ", "كتب", "damma and dammatan removed"),
    ("بِسْمِ", "بسم", "kasra removed"),
    ("شدّة", "شدة", "shadda removed"),
    ("رحمٰن", "رحمن", "superscript alef U+0670 removed"),
    ("صلى\u0615", "صلي", "small high tah U+0615 removed (and ى -> ي)"),
    ("قرآن\u06d6", "قران", "Qur'anic small high ligature U+06D6 removed, آ -> ا"),
    ("جميــــل", "جميل", "tatweel U+0640 removed"),
    ("أحمد", "احمد", "alef with hamza above -> alef"),
    ("إسلام", "اسلام", "alef with hamza below -> alef"),
    ("آمن", "امن", "alef with madda -> alef"),
    ("ٱلكتاب", "الكتاب", "alef wasla -> alef"),
    ("مؤتمر", "موتمر", "waw with hamza -> waw"),
    ("رئيس", "رييس", "yeh with hamza -> yeh"),
    ("مستشفى", "مستشفي", "alef maqsura -> yeh"),
    ("مدرسة", "مدرسة", "ta marbuta kept by default"),
    ("کتاب", "كتاب", "Persian keheh -> Arabic kaf"),
    ("ڪتاب", "كتاب", "swash kaf -> kaf"),
    ("فارسی", "فارسي", "Farsi yeh -> Arabic yeh"),
    ("ې", "ي", "Pashto e -> yeh"),
    ("ۍ", "ي", "yeh with tail -> yeh"),
    ("ے", "ي", "Urdu yeh barree -> yeh"),
    ("ہ", "ه", "heh goal -> heh"),
    ("ە", "ه", "ae -> heh"),
    ("ۀ", "ه", "heh with yeh above -> heh"),
    ("ھ", "ه", "heh doachashmee -> heh"),
    ("پچژگٹڈڑ", "پچژگٹڈڑ", "distinct Persian/Urdu letters kept"),
    ("٠١٢٣٤٥٦٧٨٩", "0123456789", "Arabic-Indic digits -> ASCII"),
    ("۰۱۲۳۴۵۶۷۸۹", "0123456789", "Persian digits -> ASCII"),
    ("٣٫٥٪", "3.5%", "Arabic decimal separator and percent sign"),
    ("١٬٠٠٠", "1,000", "Arabic thousands separator"),
]


@pytest.mark.parametrize(("raw", "expected", "why"), ARABIC_RULES)
def test_arabic_rules(raw: str, expected: str, why: str) -> None:
    assert normalize_arabic(raw) == expected, why
    assert normalize(raw) == expected, why


TA_MARBUTA = [
    # (raw, default, with ta_marbuta=True)
    ("مدرسة", "مدرسة", "مدرسه"),  # word-final ta marbuta
    ("ةة", "ةة", "هه"),  # every occurrence
    ("كتاب", "كتاب", "كتاب"),  # nothing to change
]


@pytest.mark.parametrize(("raw", "default", "with_ta"), TA_MARBUTA)
def test_ta_marbuta_option(raw: str, default: str, with_ta: str) -> None:
    assert normalize(raw) == default
    assert normalize(raw, ta_marbuta=True) == with_ta
    assert normalize_arabic(raw, ta_marbuta=True) == with_ta


GENERAL_RULES = [
    # (raw, expected, why)
    ("Hello  World", "hello world", "ASCII: lower-cased, spaces collapsed"),
    ("  tabs\tand\nnewlines \r\n ", "tabs and newlines", "all whitespace collapsed and trimmed"),
    ("Ｆｕｌｌ　Ｗｉｄｔｈ", "full width", "NFKC: full-width letters and ideographic space"),
    ("ﻻ ﷲ", "لا الله", "NFKC: Arabic presentation forms to letters"),
    ("ﬁne", "fine", "NFKC: ligature"),
    ("Straße", "strasse", "casefold, not just lower"),
    ("ÉTÉ", "été", "accented capitals"),
    ("e\u0301te\u0301", "été", "combining accents composed"),
    ("Ελλάς", "ελλάσ", "Greek case-folded (final sigma folds to σ)"),
    ("zero\u200bwidth", "zerowidth", "zero-width space removed"),
    ("jo\u200ciner\u200d", "joiner", "ZWNJ and ZWJ removed"),
    ("\u202ertl\u202c", "rtl", "bidi override and pop removed"),
    ("\u2067iso\u2069", "iso", "bidi isolates removed"),
    ("\ufeffbom", "bom", "BOM removed"),
    ("soft\u00adhyphen", "softhyphen", "soft hyphen removed"),
    ("\u061cمرحبا", "مرحبا", "Arabic letter mark removed"),
    ("word\u2060joiner", "wordjoiner", "word joiner removed"),
    ("", "", "empty stays empty"),
    ("   ", "", "whitespace only becomes empty"),
    ("مرحبا World ١٢", "مرحبا world 12", "mixed scripts"),
    ("e\ufe71\u0301", "é", "deleting marks that NFKC produced lets the accent compose"),
    ("\u1f50", "\u1f50", "casefold decomposes ὐ, NFKC composes it again: stable"),
    ("\u210c", "h", "NFKC makes a capital H, folded in the next round"),
]


@pytest.mark.parametrize(("raw", "expected", "why"), GENERAL_RULES)
def test_general_rules(raw: str, expected: str, why: str) -> None:
    assert normalize(raw) == expected, why
    assert normalize_many([raw]) == [expected], why


def test_lowercase_false_keeps_case() -> None:
    assert normalize("Hello  أحمد", lowercase=False) == "Hello احمد"
    assert normalize("ÉTÉ", lowercase=False) == "ÉTÉ"


def test_normalize_arabic_touches_only_arabic() -> None:
    # no NFKC, casefold or whitespace change
    assert normalize_arabic("Ｈｅｌｌｏ  أحمد\u200b") == "Ｈｅｌｌｏ  احمد\u200b"


def test_strip_invisible() -> None:
    assert strip_invisible("a\u200bb\u202ec") == "abc"
    assert strip_invisible("plain") == "plain"


def test_long_text_uses_the_same_rules() -> None:
    # long texts go through numpy; the result must be the same as the short path
    chunk = "أهلاً\u200b وسهلاً Ｆｕｌｌ ١٢٣ ﻻ "
    long_text = chunk * 100
    assert len(long_text) >= norm_module._NUMPY_MIN_CHARS
    assert normalize(long_text) == " ".join([normalize(chunk)] * 100)


def test_normalize_many_with_nul_in_a_text() -> None:
    texts = ["a\x00B", "أ"]
    assert normalize_many(texts) == [normalize(t) for t in texts]
    texts = ["\x00", "B"]  # ASCII batch
    assert normalize_many(texts) == [normalize(t) for t in texts]


def test_tables_are_stable() -> None:
    """What _settle relies on: table outputs are never keys, casefold never yields a key."""
    for table in (norm_module._FULL, norm_module._FULL_TA):
        for value in table.values():
            assert value is None or ord(value) not in table
    keys = {chr(k) for k in norm_module._FULL_TA}
    assert all(c.casefold() == c for c in map(chr, range(0x20000, sys.maxunicode + 1, 97)))
    for cp in range(0x20000):  # every character casefold changes is below U+1E944
        if 0xD800 <= cp <= 0xDFFF:
            continue
        folded = chr(cp).casefold()
        if folded != chr(cp):
            assert not keys.intersection(folded), hex(cp)


# Hypothesis: text drawn from everything, plus the Arabic blocks and the invisible
# characters so that the interesting cases are frequent.
ARABIC_CHARS = st.one_of(
    st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
    st.characters(min_codepoint=0x0750, max_codepoint=0x077F),
    st.characters(min_codepoint=0x0870, max_codepoint=0x08FF),
    st.characters(min_codepoint=0xFB50, max_codepoint=0xFDFF),  # presentation forms A
    st.characters(min_codepoint=0xFE70, max_codepoint=0xFEFF),  # presentation forms B
    st.characters(min_codepoint=0x1F00, max_codepoint=0x1FFF),  # Greek extended
    st.characters(min_codepoint=0x2100, max_codepoint=0x24FF),  # letterlike, enclosed
    st.sampled_from(sorted(INVISIBLE_CHARS)),
    st.sampled_from(["\u0301", "\u0308", "\u0345", "e", "E", "ß", " ", "\n", "\ufe71"]),
)
TEXT = st.one_of(st.text(), st.text(alphabet=ARABIC_CHARS), st.text(ARABIC_CHARS | st.characters()))


@settings(max_examples=250, deadline=None)
@given(TEXT, st.booleans(), st.booleans())
def test_idempotent(text: str, ta_marbuta: bool, lowercase: bool) -> None:
    once = normalize(text, ta_marbuta=ta_marbuta, lowercase=lowercase)
    assert normalize(once, ta_marbuta=ta_marbuta, lowercase=lowercase) == once


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_output_is_clean(text: str) -> None:
    out = normalize(text)
    assert not INVISIBLE_CHARS.intersection(out)
    assert "\u0640" not in out  # tatweel
    assert not any(0x064B <= ord(c) <= 0x065F for c in out)  # harakat
    assert out == out.strip() and "  " not in out
    assert unicodedata.is_normalized("NFKC", out)


@settings(max_examples=120, deadline=None)
@given(st.lists(TEXT, max_size=6), st.booleans(), st.booleans())
def test_many_equals_one_by_one(texts: list[str], ta_marbuta: bool, lowercase: bool) -> None:
    expected = [normalize(t, ta_marbuta=ta_marbuta, lowercase=lowercase) for t in texts]
    assert normalize_many(texts, ta_marbuta=ta_marbuta, lowercase=lowercase) == expected
