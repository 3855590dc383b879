"""The indicator registry: outlets, publications, slogans, hashtags, handles,
domains and links that mark a post as coming from, or relaying, an extremist
movement's media.

Sits in the *detect* stage: :class:`~marsad.detect.indicator_detector.IndicatorDetector`
scores posts by the indicators they carry, and the census (read-only analytics)
counts the posts of each *outlet* (the indicators of category ``outlet``,
:meth:`IndicatorRegistry.outlets`).  An indicator is **evidence, not a verdict**:
a news report naming Amaq carries the Amaq indicator and is not propaganda; the
risk score (:mod:`marsad.detect.risk`) weighs indicators with the classifier and
the context.

The registry is data, not code: the packaged ``indicators.json`` lists
well-known outlets and publications by name, in Arabic, English and French
spellings, and the movement's best-known slogans; a user file in the same
format adds indicators, replaces one (same ``key``) or removes one
(``"disabled": true``) -- for instance to add the handles, domains and links an
outlet uses this month, which the default file deliberately leaves empty.

**File format** (JSON, read with :mod:`json`; never pickle or eval)::

    {"version": 1, "notes": "...",
     "indicators": [{"key": "amaq", "category": "outlet", "weight": 0.6,
                     "names": {"en": ["Amaq", "Amaq News Agency"], "ar": ["وكالة أعماق"]},
                     "handles": ["some_handle"], "domains": ["example.org"],
                     "urls": ["example.net/amaq/"], "hashtags": ["Amaq"],
                     "notes": "why these names", "disabled": false}]}

``key`` is required; ``category`` is one of :data:`CATEGORIES` (default
``outlet``); ``weight`` in (0, 1] is how strongly one match alone suggests
the movement's media (default :data:`DEFAULT_WEIGHTS` of the category: a
slogan or a link into an outlet's archive says more than a hashtag anyone can
type).  An enabled indicator needs at least one name, handle, domain, link or
hashtag.  Unknown fields, wrong types, duplicate keys and values that can never
match are errors (:class:`~marsad.errors.ConfigError` naming the file, the
entry and the problem): a typo in a registry would otherwise silently drop an
indicator from every count.

**Normalisation** is the store's (:mod:`marsad.text.enrich`), applied to the
registry and to the post alike: names and hashtags through
:func:`~marsad.text.normalize.normalize` (NFKC, Arabic harakat/tatweel/alef
variants unified, case folded), hashtags without ``#``, handles lower-cased
without ``@``, domains in :func:`~marsad.text.tokens.url_domain` form (host,
lower case, no ``www.``).

**Matching** (:meth:`IndicatorRegistry.match`):

* *names* -- a spelling occurs in the normalised text on word boundaries: the
  characters around it are not letters, digits, combining marks or ``_``
  (``Amaq`` is not found in ``Amaqi`` nor in the hashtag body ``amaq_news``).
  Arabic words carry one-letter proclitics, so before a spelling that starts
  with an Arabic letter the word may also start with a conjunction ``و``/``ف``
  and then a preposition ``ب``/``ل``/``ك`` (``ولوكالة اعماق``).  When the
  spelling starts with the article ``ال``, ``ل`` + ``ال`` is written ``لل``
  (``للفرقان``), which is matched too.  The article is *not* added to a
  spelling that lacks it: it changes the word (``اعماق`` "depths" vs
  ``الاعماق``), and a name in construct state (``وكالة اعماق``) cannot take it.
  Suffixes are not stripped: an outlet name does not inflect.
* *spelling variants* generated from each listed name (so a user file need
  not list them): hyphens as spaces (``al-Naba`` / ``al Naba``); the
  apostrophe as ``'``, ``’``, ``ʼ`` or ``ʿ`` (``A'maq`` / ``A’maq``); ``ة`` as
  ``ه`` (``وكاله اعماق``, a common way of typing it).
* *hashtags* -- equality of normalised tags; every spelling is also a tag with
  the spaces and punctuation as ``_`` or removed (``al-Naba`` ->
  ``al_naba``, ``alnaba``).
* *handles* -- equality with a mention or with the post's author handle.
* *domains* -- the link domain equals the indicator's domain or is a subdomain.
* *links* (``urls``) -- a link's host (as for domains) and path start with the
  entry's ``host/path`` prefix, compared without scheme, ``www.`` and case of
  the host (``example.net/amaq/`` matches ``https://www.example.net/amaq/123``).

Matching is one pass over the text whatever the size of the registry: the
text is split once into runs of letters and digits, and only the names that
can start at one of those runs (an index from a name's first run, with its
proclitics, to the name) are checked on boundaries; hashtags, handles and
domains are dictionary lookups.  This is the word-level equivalent of an
Aho-Corasick automaton and needs no compiled extension; ``benchmarks/detect.py``
measures it.

Known false positives are those of the names themselves; the default file's
``notes`` say which bare names were left out because they are ordinary words
or the names of other organisations.

**In DuckDB**: :meth:`IndicatorRegistry.tokens_table` has one row per normalised
token (indicator, kind, token).  Hashtags and handles join on equality, domains
on ``domain = token OR ends_with(domain, '.' || token)``.  Names need the
boundary and proclitic rules, so :meth:`IndicatorRegistry.name_patterns` gives
one RE2 pattern per indicator for ``regexp_matches(text_norm, ?)``, with the
pattern bound as a parameter: a constant pattern is compiled once per query,
while a pattern taken from a joined column is compiled again for every row
(RE2's Unicode classes make that several milliseconds each).  The tests check
that these joins find exactly what :meth:`~IndicatorRegistry.match` finds.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa

from marsad.errors import ConfigError
from marsad.text.normalize import normalize
from marsad.text.tokens import extract_hashtags, url_domain

__all__ = [
    "CATEGORIES",
    "DEFAULT_WEIGHTS",
    "KINDS",
    "Indicator",
    "IndicatorMatch",
    "IndicatorRegistry",
]

#: what an indicator is; a storage value, never renamed
CATEGORIES: tuple[str, ...] = (
    "outlet",
    "publication",
    "slogan",
    "hashtag",
    "handle",
    "domain",
    "url",
)

#: weight of one match of a category when the entry gives none.  Judgement, not
#: fitted: a slogan or a link into an archive is rarely used by anyone but
#: supporters; an outlet's name is used as often by the news reporting on it;
#: a hashtag anyone can type (and counter-speech hijacks).
DEFAULT_WEIGHTS: dict[str, float] = {
    "outlet": 0.5,
    "publication": 0.5,
    "slogan": 0.7,
    "hashtag": 0.4,
    "handle": 0.6,
    "domain": 0.6,
    "url": 0.8,
}

#: the kinds of token in :meth:`IndicatorRegistry.tokens_table`
KINDS: tuple[str, ...] = ("hashtag", "handle", "domain", "url", "name")

_DEFAULT_SOURCE = "marsad/detect/indicators.json (packaged default)"
_FORMAT_VERSION = 1
_TOP_FIELDS = frozenset({"version", "notes", "indicators"})
_ENTRY_FIELDS = frozenset(
    {"key", "category", "weight", "names", "handles", "domains", "urls", "hashtags", "notes"}
    | {"disabled"}
)
_KEY_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_LANG_RE = re.compile(r"[a-z]{2,3}")
# X, Telegram, Instagram and TikTok handles: ASCII letters, digits, "_" and "."
_HANDLE_RE = re.compile(r"[a-z0-9_.]{1,64}")
_DOMAIN_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")

_APOSTROPHES = ("'", "\u2019", "\u02bc", "\u02bf")  # ' ’ ʼ ʿ
_APOSTROPHE_RE = re.compile("[" + "".join(_APOSTROPHES) + "]")
_TA_MARBUTA, _HEH = "\u0629", "\u0647"
_ARTICLE = "\u0627\u0644"  # ال
_LAM = "\u0644"
_CONJUNCTIONS = ("", "\u0648", "\u0641")  # و ف
_PREPOSITIONS = ("", "\u0628", _LAM, "\u0643")  # ب ل ك
# runs of letters, digits and "_" (Python's \w is exactly categories L and N and "_"):
# the prefilter of name matching; combining marks, also word characters, split runs
_RUN_RE = re.compile(r"\w+")
# RE2 (DuckDB) classes: the same "word character" as _is_word
_RE2_WORD = r"\pL\pN\pM_"


@dataclass(frozen=True)
class Indicator:
    """One indicator: a stable ``key`` (a storage value, never renamed), its
    category and weight, its names per language code (display spellings, first
    is the label), and its tokens in normalised form: handles lower-case
    without ``@``, domains as hosts, links as ``host/path`` prefixes, hashtags
    without ``#``."""

    key: str
    names: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    handles: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    notes: str = field(default="", compare=False)
    category: str = "outlet"
    weight: float = -1.0  # -1: the category's default weight
    urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ConfigError(
                f"indicator {self.key!r}: category {self.category!r} is not one of "
                f"{', '.join(CATEGORIES)}"
            )
        if self.weight == -1.0:
            object.__setattr__(self, "weight", DEFAULT_WEIGHTS[self.category])
        if not 0.0 < self.weight <= 1.0:
            raise ConfigError(
                f"indicator {self.key!r}: weight must be in (0, 1], got {self.weight!r}"
            )

    def label(self, lang: str) -> str:
        """The first name in *lang*, else the first English name, else the key."""
        for code in (lang, "en"):
            names = self.names.get(code)
            if names:
                return names[0]
        return self.key


# -- normal forms ---------------------------------------------------------------


def _tag(tag: str) -> str:
    return normalize(tag).lstrip("#＃")


def _handle(handle: str) -> str:
    return handle.strip().lstrip("@＠").lower()


def _url_prefix(url: str) -> str:
    """*url* as ``host/path``: no scheme, host as :func:`url_domain` gives it."""
    rest = url.strip().split("://", 1)[-1]
    host, slash, path = rest.partition("/")
    return url_domain(host) + slash + path


def _is_word(ch: str) -> bool:
    return ch == "_" or unicodedata.category(ch)[0] in "LNM"


def _starts_arabic(text: str) -> bool:
    ch = text[:1]
    return bool(ch) and (
        "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\u08a0" <= ch <= "\u08ff"
    )


def _spellings(name: str) -> tuple[str, ...]:
    """The normalised spellings of *name*: itself and the variants of the module docstring."""
    forms = [normalize(name)]
    forms += [f.replace("-", " ") for f in forms if "-" in f]
    forms += [
        _APOSTROPHE_RE.sub(a, f) for f in forms if _APOSTROPHE_RE.search(f) for a in _APOSTROPHES
    ]
    forms += [f.replace(_TA_MARBUTA, _HEH) for f in forms if _TA_MARBUTA in f]
    return tuple(dict.fromkeys(normalize(f) for f in forms))


def _name_problem(spelling: str) -> str | None:
    """Why a normalised name can never match, or None if it can."""
    if not any(unicodedata.category(ch)[0] == "L" for ch in spelling):
        return f"name {spelling!r} has no letter and can never match"
    if not _RUN_RE.match(spelling):
        return f"name {spelling!r} must start with a letter or digit"
    return None


def _is_hashtag(tag: str) -> bool:
    return extract_hashtags("#" + tag, normalized=True) == (tag,)


def _name_tags(spelling: str) -> list[str]:
    """*spelling* as hashtags: non-word runs and apostrophes as ``_``, and removed."""
    bare = _APOSTROPHE_RE.sub(" ", spelling)
    words = "".join(ch if _is_word(ch) else " " for ch in bare).split()
    return [t for t in ("_".join(words), "".join(words)) if t and _is_hashtag(t)]


# -- names in text ---------------------------------------------------------------

_Surface = tuple[str, frozenset[str]]  # (text to find, word prefixes allowed before it)


def _surfaces(spelling: str) -> tuple[_Surface, ...]:
    """Where *spelling* (normalised) may appear: the Arabic proclitic rules."""
    if not _starts_arabic(spelling):
        return ((spelling, frozenset({""})),)
    if spelling.startswith(_ARTICLE) and len(spelling) > len(_ARTICLE):
        before_article = frozenset(c + p for c in _CONJUNCTIONS for p in _PREPOSITIONS if p != _LAM)
        return ((spelling, before_article), (_LAM + spelling[1:], frozenset(_CONJUNCTIONS)))
    return ((spelling, frozenset(c + p for c in _CONJUNCTIONS for p in _PREPOSITIONS)),)


def _occurs(text: str, surface: str, prefixes: frozenset[str]) -> int:
    """Where *surface* first occurs in *text* as a whole word, after one of
    *prefixes* (its start, or -1)?

    The reference rule (the module docstring; :func:`_re2_pattern` is the
    same rule in RE2): the character after it is not a word character, and
    the word characters right before it are one of *prefixes* ("" for none).
    """
    longest = max(map(len, prefixes))
    pos = text.find(surface)
    while pos != -1:
        end = pos + len(surface)
        if end == len(text) or not _is_word(text[end]):
            start = pos
            while start > 0 and pos - start <= longest and _is_word(text[start - 1]):
                start -= 1
            if (start == 0 or not _is_word(text[start - 1])) and text[start:pos] in prefixes:
                return pos
        pos = text.find(surface, pos + 1)
    return -1


def _leading_run(text: str) -> str:
    match = _RUN_RE.match(text)
    return "" if match is None else match.group()


def _re2_escape(text: str) -> str:
    # RE2 takes "\" before ASCII punctuation as a literal; before "_" it is an error
    return "".join(
        "\\" + ch if ch.isascii() and not ch.isalnum() and ch not in "_ " else ch for ch in text
    )


def _re2_pattern(spellings: Iterable[str]) -> str:
    """An RE2 pattern (DuckDB ``regexp_matches``) finding any of the normalised
    *spellings* in normalised text by the rules of :func:`_occurs`.

    The spellings are written as a trie (``a(?:'maq|maq)``), not as a list of
    alternatives: the same set of strings, so the same matches, but a
    backtracking engine (Java's, under ``marsad spark census``) tries one
    branch per character instead of every spelling at every position -- at
    1M posts a list of ~50 spellings per outlet took 60-110 s a pass on Spark.
    RE2 (DuckDB) runs either in linear time."""
    literals = {
        prefix + surface
        for spelling in spellings
        for surface, prefixes in _surfaces(spelling)
        for prefix in prefixes
    }
    word = _RE2_WORD
    return f"(?:^|[^{word}])(?:{_trie(sorted(literals))})(?:$|[^{word}])"


def _trie(literals: Sequence[str]) -> str:
    """One pattern matching exactly the strings *literals* (escaped for RE2), as a trie."""
    root: dict[str, Any] = {}
    for text in literals:
        node = root
        for ch in text:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [_re2_escape(ch) + emit(child) for ch, child in node.items() if ch != ""]
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        group = "(?:" + "|".join(branches) + ")"
        return group + "?" if "" in node else group

    return emit(root)


# -- the registry ------------------------------------------------------------------


def _indicator_tokens(ind: Indicator) -> list[tuple[str, str]]:
    """(kind, normalised token) pairs of *ind*, each once, in :data:`KINDS` order."""
    spellings = [s for names in ind.names.values() for n in names for s in _spellings(n)]
    tags = [_tag(t) for t in ind.hashtags] + [t for s in spellings for t in _name_tags(s)]
    pairs = [
        *(("hashtag", t) for t in tags),
        *(("handle", _handle(h)) for h in ind.handles),
        *(("domain", url_domain(d)) for d in ind.domains),
        *(("url", _url_prefix(u)) for u in ind.urls),
        *(("name", s) for s in spellings),
    ]
    return list(dict.fromkeys(pairs))


@dataclass(frozen=True)
class IndicatorMatch:
    """One indicator found in one post: which (``key``, ``category``,
    ``weight``), by what kind of token (:data:`KINDS`), the normalised token,
    and for names where it starts and ends in the normalised text (else -1)."""

    key: str
    category: str
    weight: float
    kind: str
    token: str
    start: int = -1
    end: int = -1


class IndicatorRegistry:
    """The indicators, in order, with their tokens indexed for :meth:`match`.

    Build one with :meth:`load` (the packaged default plus a user file) or
    directly from :class:`Indicator` values (tokens are normalised here too).
    """

    def __init__(self, indicators: Iterable[Indicator] = ()) -> None:
        self._indicators = tuple(indicators)
        self._by_key = {o.key: o for o in self._indicators}
        if len(self._by_key) != len(self._indicators):
            seen = [o.key for o in self._indicators]
            twice = sorted({k for k in seen if seen.count(k) > 1})
            raise ConfigError(f"indicator keys must be unique; given twice: {', '.join(twice)}")
        self._tokens = [
            (o.key, kind, t) for o in self._indicators for kind, t in _indicator_tokens(o)
        ]
        self._index: dict[str, dict[str, list[str]]] = {kind: {} for kind in KINDS}
        # names by the first run of letters and digits of a word they can start
        self._name_runs: dict[str, list[tuple[str, str, frozenset[str]]]] = {}
        for key, kind, token in self._tokens:
            self._index[kind].setdefault(token, []).append(key)
            if kind == "name":
                self._index_name(key, token)
        self._url_prefixes = sorted(self._index["url"].items())

    def _index_name(self, key: str, spelling: str) -> None:
        problem = _name_problem(spelling)
        if problem is not None:
            raise ConfigError(f"indicator {key!r}: {problem}")
        for surface, prefixes in _surfaces(spelling):
            for prefix in prefixes:
                run = _leading_run(prefix + surface)
                self._name_runs.setdefault(run, []).append((key, surface, prefixes))

    @classmethod
    def load(cls, path: Path | None = None, *, include_default: bool = True) -> IndicatorRegistry:
        """The packaged default indicators (unless *include_default* is False),
        then the user file at *path* if given: an entry with a new key is added
        at the end, one with an existing key replaces that indicator in its
        place, and ``"disabled": true`` removes the indicator of that key.

        Raises :class:`~marsad.errors.ConfigError` naming the file, the entry
        and the problem when a file cannot be read or is not a valid registry.
        """
        merged: dict[str, Indicator] = {}
        if include_default:
            default = resources.files("marsad.detect").joinpath("indicators.json")
            _merge(merged, _parse_document(default.read_text(encoding="utf-8"), _DEFAULT_SOURCE))
        if path is not None:
            _merge(merged, _parse_document(_read(path), str(path)))
        return cls(merged.values())

    def outlets(self) -> IndicatorRegistry:
        """The registry of the media only -- outlets and their publications --
        which the census counts as "outlets"."""
        return self.only("outlet", "publication")

    def only(self, *categories: str) -> IndicatorRegistry:
        """The registry of the indicators of *categories*, in order."""
        unknown = set(categories) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown categories {sorted(unknown)}; known: {CATEGORIES}")
        return IndicatorRegistry(o for o in self._indicators if o.category in categories)

    @property
    def version(self) -> str:
        """A short digest of every indicator and token: changes when the registry does
        (a detector's version includes it, so a changed registry re-scores posts).
        Computed once: a registry does not change after it is built."""
        cached: str | None = getattr(self, "_version", None)
        if cached is not None:
            return cached
        digest = hashlib.sha256()
        for o in self._indicators:
            digest.update(f"{o.key}\x1f{o.category}\x1f{o.weight!r}\x1e".encode())
        for key, kind, token in self._tokens:
            digest.update(f"{key}\x1f{kind}\x1f{token}\x1e".encode())
        self._version = digest.hexdigest()[:12]
        return self._version

    # -- lookups

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return self._indicators

    def __len__(self) -> int:
        return len(self._indicators)

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self._indicators)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def get(self, key: str) -> Indicator:
        """The indicator of *key*; ``KeyError`` names the known keys."""
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(f"no indicator {key!r}; known: {', '.join(self._by_key)}") from None

    def keys(self) -> tuple[str, ...]:
        return tuple(self._by_key)

    def labels(self, lang: str) -> dict[str, str]:
        """key -> display name in *lang* (:meth:`Indicator.label`), in registry order."""
        return {o.key: o.label(lang) for o in self._indicators}

    # -- matching

    def match(
        self,
        *,
        text_norm: str | None = None,
        hashtags: Iterable[str] = (),
        mentions: Iterable[str] = (),
        domains: Iterable[str] = (),
        urls: Iterable[str] = (),
        author_handle: str | None = None,
    ) -> tuple[str, ...]:
        """The keys of the indicators a post carries, in registry order.

        *text_norm* is the post's ``text_norm`` (``normalize(text)``);
        *hashtags*, *mentions*, *domains* and *urls* its stored tokens
        (normalised again here, which changes nothing for stored values);
        *author_handle* the author's handle.  Rules in the module docstring.
        """
        found = {
            m.key
            for m in self.matches(
                text_norm=text_norm,
                hashtags=hashtags,
                mentions=mentions,
                domains=domains,
                urls=urls,
                author_handle=author_handle,
            )
        }
        return tuple(k for k in self._by_key if k in found)

    def matches(
        self,
        *,
        text_norm: str | None = None,
        hashtags: Iterable[str] = (),
        mentions: Iterable[str] = (),
        domains: Iterable[str] = (),
        urls: Iterable[str] = (),
        author_handle: str | None = None,
    ) -> list[IndicatorMatch]:
        """Every indicator token found in a post (arguments as :meth:`match`),
        with where names were found in *text_norm*: the evidence of a detection.
        One entry per (indicator, kind, token); names at their first place."""
        hits: list[tuple[str, str, str, int, int]] = []
        for tag in hashtags:
            t = _tag(tag)
            hits += [(k, "hashtag", t, -1, -1) for k in self._index["hashtag"].get(t, ())]
        for handle in [*mentions, *([author_handle] if author_handle else [])]:
            h = _handle(handle)
            hits += [(k, "handle", h, -1, -1) for k in self._index["handle"].get(h, ())]
        for domain in [*domains, *(url_domain(u) for u in urls)]:
            host = url_domain(domain)
            hits += [(k, "domain", d, -1, -1) for k, d in self._domain_keys(host)]
        for url in urls:
            link = _url_prefix(url)
            hits += [(k, "url", p, -1, -1) for k, p in self._url_keys(link)]
        if text_norm:
            hits += [(k, "name", s, a, b) for k, s, a, b in self._named(text_norm)]
        out: dict[tuple[str, str, str], IndicatorMatch] = {}
        for key, kind, token, start, end in hits:
            if (key, kind, token) not in out:
                ind = self._by_key[key]
                out[key, kind, token] = IndicatorMatch(
                    key, ind.category, ind.weight, kind, token, start, end
                )
        return list(out.values())

    def _named(self, text: str) -> list[tuple[str, str, int, int]]:
        """Names found in normalised *text*: (key, spelling found, start, end).  A
        name can only occur where a run of letters and digits of the text equals
        the first run of the name (with its proclitic), so only those names are
        checked with :func:`_occurs`."""
        found: list[tuple[str, str, int, int]] = []
        seen: set[tuple[str, str]] = set()
        for run in self._name_runs.keys() & set(_RUN_RE.findall(text)):
            for key, surface, prefixes in self._name_runs[run]:
                if (key, surface) in seen or surface not in text:
                    continue
                pos = _occurs(text, surface, prefixes)
                if pos >= 0:
                    seen.add((key, surface))
                    found.append((key, surface, pos, pos + len(surface)))
        # in the text's order: the runs above are a set, iterated in a per-process order
        return sorted(found, key=lambda f: (f[2], f[3], f[0], f[1]))

    def _domain_keys(self, host: str) -> list[tuple[str, str]]:
        keys: list[tuple[str, str]] = []
        while host:
            keys += [(k, host) for k in self._index["domain"].get(host, ())]
            host = host.partition(".")[2]
        return keys

    def _url_keys(self, link: str) -> list[tuple[str, str]]:
        """(key, prefix) of the ``urls`` prefixes *link* (``host/path``) starts with,
        the host compared as for domains (a subdomain matches)."""
        host, _, path = link.partition("/")
        keys: list[tuple[str, str]] = []
        for prefix, ks in self._url_prefixes:
            p_host, slash, p_path = prefix.partition("/")
            if (host == p_host or host.endswith("." + p_host)) and path.startswith(p_path):
                keys += [(k, prefix) for k in ks]
        return keys

    def tokens(self) -> list[tuple[str, str, str]]:
        """Every normalised token as (indicator, kind, token): the rows of
        :meth:`tokens_table` as plain tuples."""
        return list(self._tokens)

    def tokens_table(self) -> pa.Table:
        """Every normalised token as a row (indicator, kind, token), *kind* one of
        :data:`KINDS`.  Joining posts on it (names through :meth:`name_patterns`)
        finds what :meth:`match` finds; see the module docstring."""
        return pa.table(
            {
                name: pa.array([row[i] for row in self._tokens], pa.string())
                for i, name in enumerate(("indicator", "kind", "token"))
            }
        )

    def name_patterns(self) -> dict[str, str]:
        """indicator key -> one RE2 pattern finding any of its names in normalised
        text, for ``regexp_matches(text_norm, ?)`` with the pattern bound (module
        docstring); indicators without names are left out."""
        spellings: dict[str, list[str]] = {}
        for key, kind, token in self._tokens:
            if kind == "name":
                spellings.setdefault(key, []).append(token)
        return {key: _re2_pattern(names) for key, names in spellings.items()}


# -- reading and validating registry files ---------------------------------------------


@dataclass(frozen=True)
class _Entry:
    key: str
    indicator: Indicator | None  # None: disabled
    where: str


class _DuplicateField(ValueError):
    pass


def _fail(where: str, problem: str) -> NoReturn:
    raise ConfigError(f"{where}: {problem}")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(
            f"{path}: cannot read the indicator file ({reason}); check the path"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the indicator file is not UTF-8 text ({exc.reason})") from exc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise _DuplicateField(name)
        out[name] = value
    return out


def _parse_document(text: str, source: str) -> list[_Entry]:
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{source}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    except _DuplicateField as exc:
        raise ConfigError(f"{source}: field {exc.args[0]!r} appears twice in one object") from exc
    if not isinstance(data, dict):
        _fail(source, f'must be a JSON object {{"indicators": [...]}}, got {_kind(data)}')
    _check_fields(data, _TOP_FIELDS, source)
    version = data.get("version", _FORMAT_VERSION)
    if type(version) is not int or version != _FORMAT_VERSION:
        _fail(source, f"'version' must be {_FORMAT_VERSION}, got {version!r}")
    _optional_str(data, "notes", source)
    if "indicators" not in data:
        _fail(source, "missing field 'indicators' (the list of indicators)")
    entries = data["indicators"]
    if not isinstance(entries, list):
        _fail(source, f"'indicators' must be a list of objects, got {_kind(entries)}")
    parsed = [_parse_entry(entry, f"{source}: indicators[{i}]") for i, entry in enumerate(entries)]
    seen: dict[str, str] = {}
    for entry in parsed:
        if entry.key in seen:
            _fail(entry.where, f"key {entry.key!r} is already used by {seen[entry.key]}")
        seen[entry.key] = entry.where
    return parsed


def _merge(merged: dict[str, Indicator], entries: list[_Entry]) -> None:
    for entry in entries:
        if entry.indicator is not None:
            merged[entry.key] = entry.indicator  # a replaced indicator keeps its place
        elif entry.key in merged:
            del merged[entry.key]
        else:
            _fail(entry.where, f"there is no indicator {entry.key!r} to disable; check the key")


def _parse_entry(obj: object, where: str) -> _Entry:
    if not isinstance(obj, dict):
        _fail(where, f"must be an object with at least a 'key', got {_kind(obj)}")
    key = obj.get("key")
    if key is None:
        _fail(where, "missing field 'key' (the indicator's stable id, e.g. \"amaq\")")
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        _fail(where, f"'key' must be lower-case letters, digits, '_' or '-' (1-64), got {key!r}")
    where = f"{where} (key {key!r})"
    _check_fields(obj, _ENTRY_FIELDS, where)
    disabled = obj.get("disabled", False)
    if not isinstance(disabled, bool):
        _fail(where, f"'disabled' must be true or false, got {disabled!r}")
    category = obj.get("category", "outlet")
    if category not in CATEGORIES:
        _fail(where, f"'category' must be one of {', '.join(CATEGORIES)}, got {category!r}")
    weight = obj.get("weight", DEFAULT_WEIGHTS[category])
    if type(weight) not in (int, float) or not 0 < weight <= 1:
        _fail(where, f"'weight' must be a number in (0, 1], got {weight!r}")
    ind = Indicator(
        key=key,
        category=category,
        weight=float(weight),
        names=_parse_names(obj.get("names", {}), where),
        handles=_parse_tokens(obj, "handles", _valid_handle, where),
        domains=_parse_tokens(obj, "domains", _valid_domain, where),
        urls=_parse_tokens(obj, "urls", _valid_url, where),
        hashtags=_parse_tokens(obj, "hashtags", _valid_hashtag, where),
        notes=_optional_str(obj, "notes", where),
    )
    if not (ind.names or ind.handles or ind.domains or ind.urls or ind.hashtags) and not disabled:
        _fail(where, "has no names, handles, domains, urls or hashtags, so it can never match")
    return _Entry(key, None if disabled else ind, where)


def _parse_names(value: object, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        _fail(where, f"'names' must be an object of language code -> list, got {_kind(value)}")
    out: dict[str, tuple[str, ...]] = {}
    for lang, names in value.items():
        at = f"names.{lang}"
        if not _LANG_RE.fullmatch(lang):
            _fail(where, f"{at}: a language code is 2 or 3 lower-case letters (ar, en, fr)")
        out[lang] = _string_list(names, at, where)
        for name in out[lang]:
            problem = _name_problem(normalize(name))
            if problem is not None:
                _fail(where, f"{at}: {problem}")
    return out


def _parse_tokens(
    obj: Mapping[str, Any], field_name: str, valid: Callable[[str], str | None], where: str
) -> tuple[str, ...]:
    values = _string_list(obj.get(field_name, []), field_name, where, allow_empty=True)
    out = []
    for value in values:
        token = valid(value)
        if token is None:
            _fail(where, f"{field_name}: {value!r} is not a valid {field_name[:-1]}")
        out.append(token)
    return tuple(dict.fromkeys(out))


def _valid_handle(value: str) -> str | None:
    handle = _handle(value)
    return handle if _HANDLE_RE.fullmatch(handle) else None


def _valid_domain(value: str) -> str | None:
    if any(ch in value for ch in "/:@ ") or not value.strip():
        return None  # a URL, not a host
    domain = url_domain(value)
    return domain if _DOMAIN_RE.fullmatch(domain) else None


def _valid_url(value: str) -> str | None:
    prefix = _url_prefix(value)
    host, slash, path = prefix.partition("/")
    ok = _DOMAIN_RE.fullmatch(host) and slash and path and not any(c in path for c in " ?#")
    return prefix if ok else None


def _valid_hashtag(value: str) -> str | None:
    tag = _tag(value)
    return tag if tag and _is_hashtag(tag) else None


def _string_list(
    value: object, at: str, where: str, *, allow_empty: bool = False
) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _fail(where, f"{at} must be a list of strings, got {_kind(value)} {_short(value)}")
    if not value and not allow_empty:
        _fail(where, f"{at} is an empty list; add a name or remove it")
    strings = tuple(v.strip() for v in value)
    if not all(strings):
        _fail(where, f"{at} holds an empty string")
    return strings


def _optional_str(obj: Mapping[str, Any], name: str, where: str) -> str:
    value = obj.get(name, "")
    if not isinstance(value, str):
        _fail(where, f"{name!r} must be a string, got {_kind(value)}")
    return value


def _check_fields(obj: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        _fail(
            where,
            f"unknown field(s) {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(sorted(allowed))}",
        )


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    names |= {int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return f"({text[:60]}...)" if len(text) > 60 else f"({text})"
