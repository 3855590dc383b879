"""The outlet registry: which media outlets a post names, tags, mentions or links to.

Part of the census (read-only analytics over the store).  An *outlet* is a
branded media producer or distributor (Amaq, al-Naba, as-Sahab ...); the
census counts the posts that refer to one.  The registry is data, not code:
the packaged ``outlets.json`` lists well-known outlets by name, in Arabic,
English and French spellings, and a user file in the same format adds
outlets, replaces one (same ``key``) or removes one (``"disabled": true``) --
for instance to add the handles and domains an outlet uses this month, which
the default file deliberately leaves empty.

**File format** (JSON, read with :mod:`json`; never pickle or eval)::

    {"version": 1, "notes": "...",
     "outlets": [{"key": "amaq",
                  "names": {"en": ["Amaq", "Amaq News Agency"], "ar": ["وكالة أعماق"]},
                  "handles": ["some_handle"], "domains": ["example.org"],
                  "hashtags": ["Amaq"], "notes": "why these names", "disabled": false}]}

Only ``key`` is required, and an enabled outlet needs at least one name,
handle, domain or hashtag.  Unknown fields, wrong types, duplicate keys and
values that can never match are errors (:class:`~marsad.errors.ConfigError`
naming the file, the entry and the problem): a typo in a registry would
otherwise silently drop an outlet from every count.

**Normalisation** is the store's (:mod:`marsad.text.enrich`), applied to the
registry and to the post alike: names and hashtags through
:func:`~marsad.text.normalize.normalize` (NFKC, Arabic harakat/tatweel/alef
variants unified, case folded), hashtags without ``#``, handles lower-cased
without ``@``, domains in :func:`~marsad.text.tokens.url_domain` form (host,
lower case, no ``www.``).

**Matching** (:meth:`OutletRegistry.match`):

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
* *domains* -- the link domain equals the outlet's domain or is a subdomain.

Known false positives are those of the names themselves; the default file's
``notes`` say which bare names were left out because they are ordinary words
or the names of other organisations.

**In DuckDB**: :meth:`OutletRegistry.tokens_table` has one row per normalised
token (outlet, kind, token).  Hashtags and handles join on equality, domains
on ``domain = token OR ends_with(domain, '.' || token)``.  Names need the
boundary and proclitic rules, so :meth:`OutletRegistry.name_patterns` gives
one RE2 pattern per outlet for ``regexp_matches(text_norm, ?)``, with the
pattern bound as a parameter: a constant pattern is compiled once per query,
while a pattern taken from a joined column is compiled again for every row
(RE2's Unicode classes make that several milliseconds each).  The tests check
that these joins find exactly what :meth:`~OutletRegistry.match` finds.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa

from marsad.errors import ConfigError
from marsad.text.normalize import normalize
from marsad.text.tokens import extract_hashtags, url_domain

__all__ = ["KINDS", "Outlet", "OutletRegistry"]

#: the kinds of token in :meth:`OutletRegistry.tokens_table`
KINDS: tuple[str, ...] = ("hashtag", "handle", "domain", "name")

_DEFAULT_SOURCE = "marsad/census/outlets.json (packaged default)"
_FORMAT_VERSION = 1
_TOP_FIELDS = frozenset({"version", "notes", "outlets"})
_ENTRY_FIELDS = frozenset({"key", "names", "handles", "domains", "hashtags", "notes", "disabled"})
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
class Outlet:
    """One outlet: a stable ``key`` (a storage value, never renamed), its names
    per language code (display spellings, first is the label), and its tokens
    in normalised form: handles lower-case without ``@``, domains as hosts,
    hashtags without ``#``."""

    key: str
    names: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    handles: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    notes: str = field(default="", compare=False)

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


def _occurs(text: str, surface: str, prefixes: frozenset[str]) -> bool:
    """Does *surface* occur in *text* as a whole word, after one of *prefixes*?

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
                return True
        pos = text.find(surface, pos + 1)
    return False


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
    *spellings* in normalised text by the rules of :func:`_occurs`."""
    alternatives = sorted(
        {
            _re2_escape(prefix + surface)
            for spelling in spellings
            for surface, prefixes in _surfaces(spelling)
            for prefix in prefixes
        }
    )
    word = _RE2_WORD
    return f"(?:^|[^{word}])(?:{'|'.join(alternatives)})(?:$|[^{word}])"


# -- the registry ------------------------------------------------------------------


def _outlet_tokens(outlet: Outlet) -> list[tuple[str, str]]:
    """(kind, normalised token) pairs of *outlet*, each once, in :data:`KINDS` order."""
    spellings = [s for names in outlet.names.values() for n in names for s in _spellings(n)]
    tags = [_tag(t) for t in outlet.hashtags] + [t for s in spellings for t in _name_tags(s)]
    pairs = [
        *(("hashtag", t) for t in tags),
        *(("handle", _handle(h)) for h in outlet.handles),
        *(("domain", url_domain(d)) for d in outlet.domains),
        *(("name", s) for s in spellings),
    ]
    return list(dict.fromkeys(pairs))


class OutletRegistry:
    """The outlets, in order, with their tokens indexed for :meth:`match`.

    Build one with :meth:`load` (the packaged default plus a user file) or
    directly from :class:`Outlet` values (tokens are normalised here too).
    """

    def __init__(self, outlets: Iterable[Outlet] = ()) -> None:
        self._outlets = tuple(outlets)
        self._by_key = {o.key: o for o in self._outlets}
        if len(self._by_key) != len(self._outlets):
            seen = [o.key for o in self._outlets]
            twice = sorted({k for k in seen if seen.count(k) > 1})
            raise ConfigError(f"outlet keys must be unique; given twice: {', '.join(twice)}")
        self._tokens = [(o.key, kind, t) for o in self._outlets for kind, t in _outlet_tokens(o)]
        self._index: dict[str, dict[str, list[str]]] = {kind: {} for kind in KINDS}
        # names by the first run of letters and digits of a word they can start
        self._name_runs: dict[str, list[tuple[str, str, frozenset[str]]]] = {}
        for key, kind, token in self._tokens:
            self._index[kind].setdefault(token, []).append(key)
            if kind == "name":
                self._index_name(key, token)

    def _index_name(self, key: str, spelling: str) -> None:
        problem = _name_problem(spelling)
        if problem is not None:
            raise ConfigError(f"outlet {key!r}: {problem}")
        for surface, prefixes in _surfaces(spelling):
            for prefix in prefixes:
                run = _leading_run(prefix + surface)
                self._name_runs.setdefault(run, []).append((key, surface, prefixes))

    @classmethod
    def load(cls, path: Path | None = None, *, include_default: bool = True) -> OutletRegistry:
        """The packaged default outlets (unless *include_default* is False), then
        the user file at *path* if given: an entry with a new key is added at
        the end, one with an existing key replaces that outlet in its place,
        and ``"disabled": true`` removes the outlet of that key.

        Raises :class:`~marsad.errors.ConfigError` naming the file, the entry
        and the problem when a file cannot be read or is not a valid registry.
        """
        merged: dict[str, Outlet] = {}
        if include_default:
            default = resources.files("marsad.census").joinpath("outlets.json")
            _merge(merged, _parse_document(default.read_text(encoding="utf-8"), _DEFAULT_SOURCE))
        if path is not None:
            _merge(merged, _parse_document(_read(path), str(path)))
        return cls(merged.values())

    # -- lookups

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        return self._outlets

    def __len__(self) -> int:
        return len(self._outlets)

    def __iter__(self) -> Iterator[Outlet]:
        return iter(self._outlets)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def get(self, key: str) -> Outlet:
        """The outlet of *key*; ``KeyError`` names the known keys."""
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(f"no outlet {key!r}; known: {', '.join(self._by_key)}") from None

    def keys(self) -> tuple[str, ...]:
        return tuple(self._by_key)

    def labels(self, lang: str) -> dict[str, str]:
        """key -> display name in *lang* (:meth:`Outlet.label`), in registry order."""
        return {o.key: o.label(lang) for o in self._outlets}

    # -- matching

    def match(
        self,
        *,
        text_norm: str | None = None,
        hashtags: Iterable[str] = (),
        mentions: Iterable[str] = (),
        domains: Iterable[str] = (),
        author_handle: str | None = None,
    ) -> tuple[str, ...]:
        """The keys of the outlets a post refers to, in registry order.

        *text_norm* is the post's ``text_norm`` (``normalize(text)``);
        *hashtags*, *mentions* and *domains* its stored tokens (normalised
        again here, which changes nothing for stored values); *author_handle*
        the author's handle.  Rules in the module docstring.
        """
        found: set[str] = set()
        for tag in hashtags:
            found.update(self._index["hashtag"].get(_tag(tag), ()))
        handles = [*mentions, *([author_handle] if author_handle else [])]
        for handle in handles:
            found.update(self._index["handle"].get(_handle(handle), ()))
        for domain in domains:
            found.update(self._domain_keys(url_domain(domain)))
        if text_norm:
            found.update(self._named(text_norm))
        return tuple(k for k in self._by_key if k in found)

    def _named(self, text: str) -> set[str]:
        """Outlets named in normalised *text*.  A name can only occur where a run
        of letters and digits of the text equals the first run of the name (with
        its proclitic), so only those names are checked with :func:`_occurs`."""
        found: set[str] = set()
        for run in self._name_runs.keys() & set(_RUN_RE.findall(text)):
            for key, surface, prefixes in self._name_runs[run]:
                if key not in found and surface in text and _occurs(text, surface, prefixes):
                    found.add(key)
        return found

    def _domain_keys(self, host: str) -> list[str]:
        keys: list[str] = []
        while host:
            keys += self._index["domain"].get(host, ())
            host = host.partition(".")[2]
        return keys

    def tokens_table(self) -> pa.Table:
        """Every normalised token as a row (outlet, kind, token), *kind* one of
        :data:`KINDS`.  Joining posts on it (names through :meth:`name_patterns`)
        finds what :meth:`match` finds; see the module docstring."""
        return pa.table(
            {
                "outlet": pa.array([k for k, _, _ in self._tokens], pa.string()),
                "kind": pa.array([kind for _, kind, _ in self._tokens], pa.string()),
                "token": pa.array([t for _, _, t in self._tokens], pa.string()),
            }
        )

    def name_patterns(self) -> dict[str, str]:
        """outlet key -> one RE2 pattern finding any of its names in normalised
        text, for ``regexp_matches(text_norm, ?)`` with the pattern bound (module
        docstring); outlets without names are left out."""
        spellings: dict[str, list[str]] = {}
        for key, kind, token in self._tokens:
            if kind == "name":
                spellings.setdefault(key, []).append(token)
        return {key: _re2_pattern(names) for key, names in spellings.items()}


# -- reading and validating registry files ---------------------------------------------


@dataclass(frozen=True)
class _Entry:
    key: str
    outlet: Outlet | None  # None: disabled
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
            f"{path}: cannot read the outlet file ({reason}); check the path"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the outlet file is not UTF-8 text ({exc.reason})") from exc


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
        _fail(source, f'must be a JSON object {{"outlets": [...]}}, got {_kind(data)}')
    _check_fields(data, _TOP_FIELDS, source)
    version = data.get("version", _FORMAT_VERSION)
    if type(version) is not int or version != _FORMAT_VERSION:
        _fail(source, f"'version' must be {_FORMAT_VERSION}, got {version!r}")
    _optional_str(data, "notes", source)
    if "outlets" not in data:
        _fail(source, "missing field 'outlets' (the list of outlets)")
    entries = data["outlets"]
    if not isinstance(entries, list):
        _fail(source, f"'outlets' must be a list of objects, got {_kind(entries)}")
    parsed = [_parse_entry(entry, f"{source}: outlets[{i}]") for i, entry in enumerate(entries)]
    seen: dict[str, str] = {}
    for entry in parsed:
        if entry.key in seen:
            _fail(entry.where, f"key {entry.key!r} is already used by {seen[entry.key]}")
        seen[entry.key] = entry.where
    return parsed


def _merge(merged: dict[str, Outlet], entries: list[_Entry]) -> None:
    for entry in entries:
        if entry.outlet is not None:
            merged[entry.key] = entry.outlet  # a replaced outlet keeps its place
        elif entry.key in merged:
            del merged[entry.key]
        else:
            _fail(entry.where, f"there is no outlet {entry.key!r} to disable; check the key")


def _parse_entry(obj: object, where: str) -> _Entry:
    if not isinstance(obj, dict):
        _fail(where, f"must be an object with at least a 'key', got {_kind(obj)}")
    key = obj.get("key")
    if key is None:
        _fail(where, "missing field 'key' (the outlet's stable id, e.g. \"amaq\")")
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        _fail(where, f"'key' must be lower-case letters, digits, '_' or '-' (1-64), got {key!r}")
    where = f"{where} (key {key!r})"
    _check_fields(obj, _ENTRY_FIELDS, where)
    disabled = obj.get("disabled", False)
    if not isinstance(disabled, bool):
        _fail(where, f"'disabled' must be true or false, got {disabled!r}")
    outlet = Outlet(
        key=key,
        names=_parse_names(obj.get("names", {}), where),
        handles=_parse_tokens(obj, "handles", _valid_handle, where),
        domains=_parse_tokens(obj, "domains", _valid_domain, where),
        hashtags=_parse_tokens(obj, "hashtags", _valid_hashtag, where),
        notes=_optional_str(obj, "notes", where),
    )
    if not (outlet.names or outlet.handles or outlet.domains or outlet.hashtags) and not disabled:
        _fail(where, "has no names, handles, domains or hashtags, so it can never match")
    return _Entry(key, None if disabled else outlet, where)


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
