"""Indicator registry: loading and validating files, matching posts, the DuckDB token table."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marsad.detect.indicators import KINDS, Indicator, IndicatorRegistry
from marsad.errors import ConfigError
from marsad.simulate.config import SimConfig
from marsad.simulate.text import slug
from marsad.text.normalize import normalize
from marsad.text.tokens import extract_hashtags, url_domain


def _default_document() -> dict[str, Any]:
    text = resources.files("marsad.detect").joinpath("indicators.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@pytest.fixture(scope="module")
def registry() -> IndicatorRegistry:
    return IndicatorRegistry.load()


def _write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "my_indicators.json"
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def _text(registry: IndicatorRegistry, raw: str) -> tuple[str, ...]:
    """match() on a post text normalised the way the store does."""
    return registry.match(text_norm=normalize(raw))


# -- the default file -------------------------------------------------------------------


def test_default_registry_is_the_packaged_file(registry: IndicatorRegistry) -> None:
    entries = _default_document()["indicators"]
    assert registry.keys() == tuple(e["key"] for e in entries)
    for entry in entries:
        ind = registry.get(entry["key"])
        names = entry.get("names", {})
        assert ind.names == {lang: tuple(n) for lang, n in names.items()}
        assert ind.category == entry["category"]
        if ind.category in ("outlet", "publication", "slogan"):
            assert set(ind.names) == {"ar", "en", "fr"}  # named in the three languages
        else:
            assert ind.hashtags and not ind.names
        assert ind.handles == () and ind.domains == ()  # left to users' own files
        assert entry["notes"]


def test_every_simulated_outlet_is_found_by_its_simulator_hashtag(
    registry: IndicatorRegistry,
) -> None:
    outlets = SimConfig().outlets
    found = [registry.match(hashtags=[normalize(slug(name))]) for name in outlets]
    assert all(len(keys) == 1 for keys in found), found
    assert len({keys[0] for keys in found}) == len(outlets)  # one distinct outlet each


def test_every_default_name_is_found_in_a_sentence(registry: IndicatorRegistry) -> None:
    for outlet in registry:
        for names in outlet.names.values():
            for name in names:
                assert outlet.key in _text(registry, f"news: {name}. more"), name
                assert outlet.key in _text(registry, f"({name})"), name


def test_labels(registry: IndicatorRegistry) -> None:
    entries = {e["key"]: e.get("names") for e in _default_document()["indicators"]}
    for lang in ("ar", "en", "fr"):
        assert registry.labels(lang) == {
            k: names[lang][0] if names else k for k, names in entries.items()
        }
    # a language without names falls back to English, an outlet without names to its key
    assert registry.labels("de") == registry.labels("en")
    assert Indicator("bare", hashtags=("x",)).label("ar") == "bare"
    assert list(registry.labels("ar")) == list(registry.keys())


# -- user files ----------------------------------------------------------------------------


def test_user_file_adds_overrides_and_disables(tmp_path: Path) -> None:
    default = IndicatorRegistry.load()
    keys = list(default.keys())
    replaced, removed = keys[0], keys[1]
    old_name = default.get(replaced).names["en"][0]
    path = _write(
        tmp_path,
        {
            "indicators": [
                {"key": "newco", "names": {"en": ["Weather Desk Bulletin"]}},
                {"key": replaced, "names": {"en": ["Replacement Name"]}, "handles": ["@Rep_1"]},
                {"key": removed, "disabled": True},
            ]
        },
    )
    reg = IndicatorRegistry.load(path)
    # replaced in place, removed, new one appended
    assert list(reg.keys()) == [k for k in keys if k != removed] + ["newco"]
    assert reg.get(replaced).handles == ("rep_1",)
    assert _text(reg, "the weather desk bulletin number 3") == ("newco",)
    assert _text(reg, "from the replacement name") == (replaced,)
    assert replaced not in _text(reg, f"from {old_name}")  # the old names are gone
    for name in default.get(removed).names["en"]:
        assert removed not in _text(reg, name)


def test_user_file_alone(tmp_path: Path) -> None:
    path = _write(tmp_path, {"version": 1, "indicators": [{"key": "only", "hashtags": ["#Only"]}]})
    reg = IndicatorRegistry.load(path, include_default=False)
    assert reg.keys() == ("only",)
    assert reg.match(hashtags=["only"]) == ("only",)
    assert len(IndicatorRegistry.load(include_default=False)) == 0


BAD_FILES = [
    # (document, words the message must contain, why)
    ('{"indicators": [', ["not valid JSON", "line 1"], "truncated JSON"),
    ("[]", ["must be a JSON object"], "top level is a list"),
    ("{}", ["missing field 'indicators'"], "no outlets"),
    ('{"indicators": {}}', ["'indicators' must be a list"], "outlets is an object"),
    ('{"version": 2, "indicators": []}', ["'version' must be 1"], "unknown format version"),
    ('{"indicators": [], "extra": 1}', ["unknown field", "'extra'"], "unknown top-level field"),
    ('{"indicators": ["amaq"]}', ["indicators[0]", "must be an object"], "entry is a string"),
    (
        '{"indicators": [{"names": {"en": ["X"]}}]}',
        ["indicators[0]", "missing field 'key'"],
        "no key",
    ),
    (
        '{"indicators": [{"key": "Bad Key", "hashtags": ["x"]}]}',
        ["indicators[0]", "'key'"],
        "bad key",
    ),
    (
        '{"indicators": [{"key": "a", "names": ["X"]}]}',
        ["indicators[0] (key 'a')", "'names' must be an object"],
        "names is a list",
    ),
    (
        '{"indicators": [{"key": "a", "names": {"en": "X"}}]}',
        ["(key 'a')", "names.en must be a list of strings"],
        "a language's names is a string",
    ),
    (
        '{"indicators": [{"key": "a", "names": {"english": ["X"]}}]}',
        ["(key 'a')", "language code"],
        "language is not a code",
    ),
    (
        '{"indicators": [{"key": "a", "names": {"en": ["..."]}}]}',
        ["(key 'a')", "no letter"],
        "a name that can never match",
    ),
    (
        '{"indicators": [{"key": "a", "handles": "x"}]}',
        ["(key 'a')", "handles must be a list of strings"],
        "handles is a string",
    ),
    (
        '{"indicators": [{"key": "a", "handles": ["not a handle!"]}]}',
        ["(key 'a')", "not a valid handle"],
        "handle with spaces",
    ),
    (
        '{"indicators": [{"key": "a", "domains": ["https://example.org/x"]}]}',
        ["(key 'a')", "not a valid domain"],
        "a URL, not a domain",
    ),
    (
        '{"indicators": [{"key": "a", "hashtags": ["#123"]}]}',
        ["(key 'a')", "not a valid hashtag"],
        "digits alone are not a hashtag",
    ),
    (
        '{"indicators": [{"key": "a", "hashtags": [1]}]}',
        ["(key 'a')", "hashtags must be a list of strings"],
        "a number among hashtags",
    ),
    (
        '{"indicators": [{"key": "a", "hashtags": ["x"], "disabled": "yes"}]}',
        ["(key 'a')", "'disabled' must be true or false"],
        "disabled is a string",
    ),
    (
        '{"indicators": [{"key": "a", "hashtags": ["x"], "handle": ["y"]}]}',
        ["indicators[0] (key 'a')", "unknown field", "'handle'"],
        "misspelt field",
    ),
    ('{"indicators": [{"key": "a"}]}', ["(key 'a')", "can never match"], "nothing to match"),
    (
        '{"indicators": [{"key": "a", "hashtags": ["x"]}, {"key": "a", "hashtags": ["y"]}]}',
        ["indicators[1] (key 'a')", "already used by", "indicators[0]"],
        "same key twice in one file",
    ),
    (
        '{"indicators": [{"key": "a", "hashtags": ["x"], "hashtags": ["y"]}]}',
        ["'hashtags' appears twice"],
        "same field twice in one object",
    ),
    (
        '{"indicators": [{"key": "no_such_outlet", "disabled": true}]}',
        ["indicators[0] (key 'no_such_outlet')", "no indicator 'no_such_outlet' to disable"],
        "disabling a key that does not exist",
    ),
]


@pytest.mark.parametrize(("document", "words", "why"), BAD_FILES)
def test_bad_user_file(tmp_path: Path, document: str, words: list[str], why: str) -> None:
    path = _write(tmp_path, document)
    with pytest.raises(ConfigError) as info:
        IndicatorRegistry.load(path)
    message = str(info.value)
    assert message.startswith(str(path)), why  # names the file
    for word in words:
        assert word in message, (why, message)


def test_missing_or_undecodable_user_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(ConfigError, match="cannot read") as info:
        IndicatorRegistry.load(missing)
    assert str(missing) in str(info.value)
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(
        '{"indicators": [{"key": "a", "names": {"fr": ["Média"]}}]}'.encode("latin-1")
    )
    with pytest.raises(ConfigError, match="not UTF-8"):
        IndicatorRegistry.load(latin1)


def test_duplicate_keys_in_code_are_refused() -> None:
    with pytest.raises(ConfigError, match="given twice: a"):
        IndicatorRegistry([Indicator("a", hashtags=("x",)), Indicator("a", hashtags=("y",))])


# -- matching names in text --------------------------------------------------------------

NAME_CASES = [
    # (raw post text, expected keys, why)
    ("بيان من وَكَالَـــةُ أَعْمَاق اليوم", ("amaq",), "harakat, tatweel and hamza normalised"),
    ("نشرت وكالة اعماق الخبر", ("amaq",), "alef without hamza"),
    ("نشرت وكاله اعماق الخبر", ("amaq",), "ta marbuta typed as heh"),
    ("ولوكالة أعماق", ("amaq",), "conjunction + preposition proclitics"),
    ("فبمؤسسة الفرقان", ("furqan",), "fa + bi proclitics"),
    ("إصدار للجبهة الإعلامية الإسلامية العالمية", ("gimf",), "li + al- written lil-"),
    ("وللجبهة الإعلامية الإسلامية العالمية", ("gimf",), "wa + lil-"),
    ("بالجبهة الإعلامية الإسلامية العالمية", ("gimf",), "bi + al-"),
    ("لالجبهة الإعلامية الإسلامية العالمية", (), "li + al- is not written that way"),
    ("الوكالة أعماق", (), "the article is not added to a name that lacks it"),
    ("كتابوكالة أعماق", (), "glued to another word"),
    ("مؤسسة الفرقانية", (), "longer word: no match inside it"),
    ("في أعماق البحر", (), "bare أعماق ('depths') is not a name"),
    ("تحديث يومي رقم 3 من al-Naba", ("naba",), "Latin name in Arabic text (the simulator)"),
    ("Amaq News Agency reported", ("amaq",), "English"),
    ("AMAQ says", ("amaq",), "case folded"),
    ("the al Naba weekly", ("naba",), "hyphen written as a space"),
    ("an-Naba’s latest", ("naba",), "followed by a typographic apostrophe"),
    ("A’maq claimed", ("amaq",), "typographic apostrophe inside the name"),
    ("amaqi and amaq_news and xamaq", (), "no match inside a longer word or tag body"),
    ("al-Nabatieh", (), "a longer word starting with the name"),
    ("the daily update from the weather desk", (), "neutral text"),
    ("l'Agence Amaq a publié", ("amaq",), "French, after an elided article"),
    ("la Fondation al-Furqan et la revue Dabiq", ("furqan", "dabiq"), "two outlets"),
    ("FRONT MÉDIATIQUE ISLAMIQUE MONDIAL", ("gimf",), "French capitals with accent folded"),
    ("Dabiq then Amaq", ("amaq", "dabiq"), "keys in registry order, not text order"),
]


@pytest.mark.parametrize(("raw", "expected", "why"), NAME_CASES)
def test_names_in_text(
    registry: IndicatorRegistry, raw: str, expected: tuple[str, ...], why: str
) -> None:
    order = registry.keys()
    assert _text(registry, raw) == tuple(sorted(expected, key=order.index)), why


def test_no_text_no_names(registry: IndicatorRegistry) -> None:
    assert registry.match(text_norm=None) == ()
    assert registry.match(text_norm="") == ()
    assert registry.match() == ()


# -- hashtags, handles, domains ---------------------------------------------------------


@pytest.fixture(scope="module")
def tokens_registry(tmp_path_factory: pytest.TempPathFactory) -> IndicatorRegistry:
    path = tmp_path_factory.mktemp("outlets") / "tokens.json"
    document = {
        "indicators": [
            {
                "key": "desk",
                "names": {"en": ["Weather Desk"]},
                "handles": ["@Weather_Desk", "desk.news"],
                "domains": ["WWW.Weather-Desk.example"],
                "hashtags": ["#DeskNews"],
            },
            {"key": "other", "domains": ["desk.example"], "hashtags": ["أخبار_المكتب"]},
        ]
    }
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return IndicatorRegistry.load(path, include_default=False)


TOKEN_CASES: list[tuple[dict[str, Any], tuple[str, ...], str]] = [
    # (match arguments, expected keys, why)
    ({"hashtags": ["desknews"]}, ("desk",), "stored form of a hashtag"),
    ({"hashtags": ["#DESKNEWS"]}, ("desk",), "hashtags normalised on both sides"),
    ({"hashtags": ["weather_desk"]}, ("desk",), "a name as a hashtag with '_'"),
    ({"hashtags": ["weatherdesk"]}, ("desk",), "a name as a hashtag run together"),
    ({"hashtags": ["اخبار_المكتب"]}, ("other",), "Arabic tag, hamza normalised"),
    ({"hashtags": ["desk"]}, (), "part of a tag"),
    ({"mentions": ["weather_desk"]}, ("desk",), "mention"),
    ({"mentions": ["@Weather_Desk"]}, ("desk",), "mention with @ and capitals"),
    ({"author_handle": "Desk.News"}, ("desk",), "author handle, any case"),
    ({"author_handle": "weather_desk_2"}, (), "a longer handle"),
    ({"domains": ["weather-desk.example"]}, ("desk",), "domain, www. dropped"),
    ({"domains": ["cdn.weather-desk.example"]}, ("desk",), "subdomain"),
    ({"domains": ["WWW.WEATHER-DESK.EXAMPLE"]}, ("desk",), "domain normalised on both sides"),
    ({"domains": ["notweather-desk.example"]}, (), "not a subdomain"),
    ({"domains": ["weather-desk.example.net"]}, (), "the domain must end the host"),
    ({"domains": ["desk.example"]}, ("other",), "a second outlet's domain"),
    ({"domains": ["a.desk.example", "weather-desk.example"]}, ("desk", "other"), "both"),
    ({"text_norm": "by the weather desk", "mentions": ["nobody"]}, ("desk",), "name alone"),
]


@pytest.mark.parametrize(("kwargs", "expected", "why"), TOKEN_CASES)
def test_tokens(
    tokens_registry: IndicatorRegistry, kwargs: dict[str, Any], expected: tuple[str, ...], why: str
) -> None:
    assert tokens_registry.match(**kwargs) == expected, why


def test_stored_tokens_are_normalised(tokens_registry: IndicatorRegistry) -> None:
    desk = tokens_registry.get("desk")
    assert desk.handles == ("weather_desk", "desk.news")
    assert desk.domains == ("weather-desk.example",)
    assert desk.hashtags == ("desknews",)
    assert tokens_registry.get("other").hashtags == (normalize("أخبار_المكتب"),)
    with pytest.raises(KeyError, match="no indicator 'nope'"):
        tokens_registry.get("nope")
    assert "desk" in tokens_registry and "nope" not in tokens_registry
    assert set(tokens_registry.name_patterns()) == {"desk"}  # "other" has no names


# -- the token table ------------------------------------------------------------------------


def _table_rows(reg: IndicatorRegistry) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = reg.tokens_table().to_pylist()
    return rows


@pytest.mark.parametrize("which", ["default", "tokens"])
def test_table_tokens_are_normalised_and_each_matches(
    registry: IndicatorRegistry, tokens_registry: IndicatorRegistry, which: str
) -> None:
    reg = registry if which == "default" else tokens_registry
    rows = _table_rows(reg)
    keys = [(r["indicator"], r["kind"], r["token"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert {r["kind"] for r in rows} <= set(KINDS)
    for row in rows:
        outlet, kind, token = row["indicator"], row["kind"], row["token"]
        if kind == "hashtag":
            assert extract_hashtags("#" + token) == (token,)  # the store's form of the tag
            assert outlet in reg.match(hashtags=[token])
        elif kind == "handle":
            assert token == token.lower() and not token.startswith("@")
            assert outlet in reg.match(mentions=[token])
            assert outlet in reg.match(author_handle=token.upper())
        elif kind == "domain":
            assert url_domain(token) == token
            assert outlet in reg.match(domains=["sub." + token])
        else:
            assert normalize(token) == token
            assert outlet in reg.match(text_norm=token)
            assert outlet in reg.match(text_norm=f"x, {token}!")


def _duckdb_matches(reg: IndicatorRegistry, posts: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """What joining posts on tokens_table() finds, by the rules in the outlets docstring."""
    con = duckdb.connect()
    con.register("tok", reg.tokens_table())
    con.execute(
        """CREATE TABLE posts (i INTEGER, text_norm VARCHAR, hashtags VARCHAR[],
                               mentions VARCHAR[], domains VARCHAR[], handle VARCHAR)"""
    )
    con.executemany(  # tokens in the form the store holds them (marsad.text.enrich)
        "INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?)",
        [
            [
                i,
                p.get("text_norm"),
                [normalize(t).lstrip("#") for t in p.get("hashtags", [])],
                [m.lstrip("@").lower() for m in p.get("mentions", [])],
                [url_domain(d) for d in p.get("domains", [])],
                p.get("author_handle"),
            ]
            for i, p in enumerate(posts)
        ],
    )
    found = con.execute(
        """
        SELECT DISTINCT p.i, t.indicator FROM posts p JOIN tok t ON
            (t.kind = 'hashtag' AND list_contains(p.hashtags, t.token))
         OR (t.kind = 'handle' AND (list_contains(p.mentions, t.token) OR lower(p.handle) = t.token))
         OR (t.kind = 'domain' AND len(list_filter(p.domains,
                 lambda d: d = t.token OR ends_with(d, '.' || t.token))) > 0)
        """
    ).fetchall()
    # names: one bound pattern per outlet (compiled once, not once per row), one query
    names = list(reg.name_patterns().items())
    tests = ", ".join(["coalesce(regexp_matches(text_norm, ?), false)"] * len(names))
    for i, hits in con.execute(f"SELECT i, [{tests}] FROM posts", [p for _, p in names]).fetchall():
        found += [(i, outlet) for (outlet, _), hit in zip(names, hits, strict=True) if hit]
    order = reg.keys()
    by_post: list[set[str]] = [set() for _ in posts]
    for i, outlet in found:
        by_post[i].add(outlet)
    return [tuple(sorted(keys, key=order.index)) for keys in by_post]


def test_duckdb_join_on_the_table_finds_what_match_finds(
    registry: IndicatorRegistry, tokens_registry: IndicatorRegistry
) -> None:
    for reg, posts in (
        (registry, [{"text_norm": normalize(raw)} for raw, _, _ in NAME_CASES]),
        (tokens_registry, [kwargs for kwargs, _, _ in TOKEN_CASES]),
    ):
        assert _duckdb_matches(reg, posts) == [reg.match(**p) for p in posts]


# pieces of generated texts: names, proclitics, separators, marks and other letters
_PIECES = [
    "أعماق",
    "وكالة أعماق",
    "مؤسسة الفرقان",
    "الفرقان",
    "الجبهة",
    "الإعلامية الإسلامية العالمية",
    "al-Naba",
    "al",
    "naba",
    "Amaq",
    "a’maq",
    "Rumiyah",
    "و",
    "ف",
    "ب",
    "ل",
    "لل",
    "ال",
    "ك",
    "x",
    "é",
    "\u0301",
    "_",
    "-",
    "'",
    " ",
    "  ",
    "#",
    ".",
    "٣",
    "3",
    "\u064e",
    "\u0640",
]


@settings(max_examples=10, deadline=None)
@given(
    texts=st.lists(
        st.lists(st.sampled_from(_PIECES), min_size=1, max_size=12).map("".join),
        min_size=40,
        max_size=40,
    )
)
def test_match_agrees_with_the_regex_patterns(
    registry: IndicatorRegistry, texts: list[str]
) -> None:
    """Property: on any text, the Python matcher and the RE2 patterns agree."""
    posts = [{"text_norm": normalize(t)} for t in texts]
    assert _duckdb_matches(registry, posts) == [registry.match(**p) for p in posts]


# -- categories, weights, links and evidence (the detect stage's use) ---------------


def test_categories_weights_and_the_outlet_view(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "version": 1,
            "indicators": [
                {"key": "desk", "names": {"en": ["Weather Desk"]}},
                {"key": "mag", "category": "publication", "names": {"en": ["Desk Monthly"]}},
                {
                    "key": "motto",
                    "category": "slogan",
                    "weight": 0.9,
                    "names": {"en": ["rain or shine"]},
                },
                {"key": "site", "category": "url", "urls": ["https://www.example.net/desk/"]},
            ],
        },
    )
    reg = IndicatorRegistry.load(path, include_default=False)
    assert [i.category for i in reg] == ["outlet", "publication", "slogan", "url"]
    assert [i.weight for i in reg] == [0.5, 0.5, 0.9, 0.8]  # category defaults unless given
    assert reg.outlets().keys() == ("desk", "mag")  # what the census counts
    assert reg.only("slogan").keys() == ("motto",)


@pytest.mark.parametrize(
    "entry, words",
    [
        ({"key": "a", "category": "rumour", "names": {"en": ["A"]}}, "'category' must be one of"),
        ({"key": "a", "weight": 0, "names": {"en": ["A"]}}, "'weight' must be a number in (0, 1]"),
        ({"key": "a", "weight": "high", "names": {"en": ["A"]}}, "'weight' must be a number"),
        ({"key": "a", "urls": ["example.net"]}, "urls: 'example.net' is not a valid url"),
    ],
)
def test_bad_categories_weights_and_links(
    tmp_path: Path, entry: dict[str, object], words: str
) -> None:
    path = _write(tmp_path, {"indicators": [entry]})
    with pytest.raises(ConfigError, match=re.escape(words)):
        IndicatorRegistry.load(path, include_default=False)


@pytest.mark.parametrize(
    "url, found",
    [
        ("https://www.example.net/desk/2024/item", True),  # scheme, www and case ignored
        ("http://cdn.example.net/desk/x", True),  # a subdomain of the host
        ("https://example.net/other/desk/", False),  # the path must start with the prefix
        ("https://notexample.net/desk/", False),  # not a subdomain
    ],
)
def test_link_prefixes(tmp_path: Path, url: str, found: bool) -> None:
    path = _write(
        tmp_path,
        {"indicators": [{"key": "site", "category": "url", "urls": ["EXAMPLE.net/desk/"]}]},
    )
    reg = IndicatorRegistry.load(path, include_default=False)
    assert (reg.match(urls=[url]) == ("site",)) is found


def test_matches_give_kind_token_and_span() -> None:
    reg = IndicatorRegistry.load()
    text = normalize("A report: وَكَالَـةُ أَعْمَاق said so #AllEyesOnISIS")
    found = {(m.key, m.kind): m for m in reg.matches(text_norm=text, hashtags=["AllEyesOnISIS"])}
    amaq = found["amaq", "name"]
    assert text[amaq.start : amaq.end] == amaq.token == normalize("وكالة أعماق")
    assert found["all_eyes_on_isis", "hashtag"].start == -1
    assert found["amaq", "name"].category == "outlet" and found["amaq", "name"].weight == 0.5


def test_version_changes_with_the_registry(tmp_path: Path) -> None:
    base = IndicatorRegistry.load()
    assert base.version == IndicatorRegistry.load().version
    path = _write(tmp_path, {"indicators": [{"key": "amaq", "disabled": True}]})
    assert IndicatorRegistry.load(path).version != base.version


def test_name_patterns_are_tries_that_match_exactly_the_spellings() -> None:
    """A name pattern is written as a trie (fast for Java's backtracking regex
    under Spark); it must match exactly what the list of spellings matches,
    in DuckDB's RE2 and in Python's ``re`` on the bare trie."""
    import random
    import re

    import duckdb

    from marsad.detect import indicators as ind

    assert ind._trie(["ab", "abc", "ad", "b"]) == "(?:a(?:b(?:c)?|d)|b)"
    for words in (["x"], ["ab", "abc", "abd"], ["قناة", "قناه", "ق"]):
        trie = re.compile(ind._trie(sorted(words)))
        probes = {w + c for w in words for c in ("", "z", "ة")} | {w[:-1] for w in words}
        assert {p for p in probes if trie.fullmatch(p)} == set(words)

    registry = IndicatorRegistry.load()
    spellings: dict[str, list[str]] = {}
    for key, kind, token in registry._tokens:
        if kind == "name":
            spellings.setdefault(key, []).append(token)
    rng = random.Random(7)
    con = duckdb.connect()
    for key, pattern in registry.name_patterns().items():
        literals = sorted(
            {p + s for sp in spellings[key] for s, ps in ind._surfaces(sp) for p in ps}
        )
        listed = (
            f"(?:^|[^{ind._RE2_WORD}])(?:{'|'.join(ind._re2_escape(x) for x in literals)})"
            f"(?:$|[^{ind._RE2_WORD}])"
        )
        texts = []
        for lit in literals:
            texts += [lit, f"news {lit} today", f"x{lit}", f"{lit}x", f"({lit})", lit[:-1]]
            texts.append(lit[: rng.randrange(1, len(lit) + 1)] + " " + rng.choice(literals))
        got = con.execute(
            "SELECT list(regexp_matches(t, ?) ORDER BY i), list(regexp_matches(t, ?) ORDER BY i) "
            "FROM (SELECT unnest(?::VARCHAR[]) AS t, unnest(range(?)) AS i)",
            [pattern, listed, texts, len(texts)],
        ).fetchone()
        assert got is not None and got[0] == got[1], key
        assert any(got[0]) and not all(got[0]), key
