"""Hashtags, mentions, URLs: extraction rules, canonical URLs, domains, shorteners."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marsad.text import tokens
from marsad.text.normalize import normalize
from marsad.text.tokens import (
    SHORTENERS,
    extract_hashtags,
    extract_mentions,
    extract_urls,
    is_shortener,
    normalize_url,
    url_domain,
)

HASHTAGS = [
    # (text, expected, why)
    ("hello #World", ("world",), "Latin, normalised to lower case"),
    ("#مرحبا بكم", ("مرحبا",), "Arabic"),
    ("بيان #بيان_رسمي اليوم", ("بيان_رسمي",), "Arabic with underscore"),
    ("#مَرحبـــا", ("مرحبا",), "harakat and tatweel normalised away"),
    ("#أخبار", ("اخبار",), "alef with hamza unified"),
    ("vive #été", ("été",), "French accents kept"),
    ("#ÉTÉ", ("été",), "accented capitals folded"),
    ("＃ｆｕｌｌ", ("full",), "full-width # and letters"),
    ("#ทดสอบ", ("ทดสอบ",), "Thai with combining vowel marks"),
    ("#news2024 #2024", ("news2024",), "digits allowed, digits alone are not a hashtag"),
    ("#a #b #a", ("a", "b"), "unique, in order of appearance"),
    ("a#b", (), "preceded by a letter: not a hashtag"),
    ("&#39;quoted&#39;", (), "HTML entity is not a hashtag"),
    ("#ok#no", (), "followed by another # (as on X)"),
    ("see https://example.com/page#section", (), "URL fragment is not a hashtag"),
    ("go to example.org/#/route and www.example.com/?q=#x", (), "inside scheme-less URLs"),
    ("(#paren), #comma, #end.", ("paren", "comma", "end"), "punctuation ends a hashtag"),
    ("#zero\u200bwidth", ("zerowidth",), "zero-width space inside is removed first"),
    ("#", (), "lone #"),
    ("", (), "empty text"),
]


@pytest.mark.parametrize(("text", "expected", "why"), HASHTAGS)
def test_extract_hashtags(text: str, expected: tuple[str, ...], why: str) -> None:
    assert extract_hashtags(text) == expected, why
    assert extract_hashtags(normalize(text), normalized=True) == expected, why


MENTIONS = [
    # (text, expected, why)
    ("hi @User_1", ("user_1",), "lower-cased"),
    ("RT @someone: hello", ("someone",), "retweet prefix"),
    ("@a @b @a", ("a", "b"), "unique, in order"),
    ("mail me at name@example.com", (), "e-mail address is not a mention"),
    ("＠ＦｕｌｌＷｉｄｔｈ", ("fullwidth",), "full-width @ and letters"),
    ("@" + "x" * 32, ("x" * 32,), "32 characters (Telegram's maximum)"),
    ("@" + "x" * 33, (), "longer than any platform allows"),
    ("@café", (), "followed by a Latin letter: not a mention"),
    ("مرحبا @user_2 كيف", ("user_2",), "in Arabic text"),
    ("see https://example.com/@handle", (), "inside a URL"),
    ("@", (), "lone @"),
]


@pytest.mark.parametrize(("text", "expected", "why"), MENTIONS)
def test_extract_mentions(text: str, expected: tuple[str, ...], why: str) -> None:
    assert extract_mentions(text) == expected, why


URLS = [
    # (text, expected, why)
    ("see https://example.com/a.", ("https://example.com/a",), "trailing full stop dropped"),
    ("(http://example.com/x)", ("http://example.com/x",), "enclosing brackets dropped"),
    (
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        ("https://en.wikipedia.org/wiki/Foo_(bar)",),
        "bracket the link opened is kept",
    ),
    ("join t.me/some_channel now", ("t.me/some_channel",), "bare Telegram link"),
    ("www.example.org, then", ("www.example.org",), "bare www link, comma dropped"),
    ("“https://t.co/abcdefghij”", ("https://t.co/abcdefghij",), "curly quotes end a link"),
    ("https://t.co/abcdefghij🎻", ("https://t.co/abcdefghij",), "emoji ends a link"),
    ("x https://t.co/abcdefghij&gt;", ("https://t.co/abcdefghij",), "X v1.1 escaped >"),
    ("RT @a: text https://t.c…", (), "cut off by truncation: dropped"),
    ("RT @a: text https://t.co/abcdefghij…", ("https://t.co/abcdefghij",), "whole t.co kept"),
    ("one https://a.example/x… https://t.co/abcdefghij", None, "ellipsis not at end: kept"),
    ("wordhttp://example.com", (), "glued to a word: not a link (as on X)"),
    ("https://a.example https://a.example", ("https://a.example",), "unique"),
    ("مرحبا https://example.com/ar، شكرا", ("https://example.com/ar",), "Arabic comma ends"),
    ("https://t.me/\u200bchannel", ("https://t.me/channel",), "zero-width space removed"),
    ("no links here", (), "nothing"),
    ("https://", (), "scheme alone"),
]


@pytest.mark.parametrize(("text", "expected", "why"), URLS)
def test_extract_urls(text: str, expected: tuple[str, ...] | None, why: str) -> None:
    if expected is None:
        expected = ("https://a.example/x", "https://t.co/abcdefghij")
    assert extract_urls(text) == expected, why


NORMALIZE_URL = [
    # (url, expected, why)
    ("HTTPS://Example.COM/Path", "https://example.com/Path", "scheme and host lower, path kept"),
    ("https://example.com", "https://example.com/", "empty path becomes /"),
    ("http://example.com:80/a", "http://example.com/a", "default http port dropped"),
    ("https://example.com:443/a", "https://example.com/a", "default https port dropped"),
    ("https://example.com:8443/a", "https://example.com:8443/a", "other port kept"),
    ("https://example.com/a#frag", "https://example.com/a", "fragment dropped"),
    (
        "https://example.com/a?utm_source=x&utm_medium=y&id=3",
        "https://example.com/a?id=3",
        "utm_* dropped",
    ),
    (
        "https://example.com/?fbclid=1&gclid=2&si=3&igshid=4&UTM_Campaign=5",
        "https://example.com/",
        "fbclid, gclid, si, igshid dropped; names matched case-insensitively",
    ),
    ("https://example.com/?b=2&a=1&c=", "https://example.com/?a=1&b=2&c=", "params sorted"),
    ("https://example.com/%7euser/%2f", "https://example.com/~user/%2F", "escapes canonical"),
    ("https://bücher.example/", "https://xn--bcher-kva.example/", "IDNA host"),
    (
        "https://ar.wikipedia.org/wiki/مرحبا",
        "https://ar.wikipedia.org/wiki/%D9%85%D8%B1%D8%AD%D8%A8%D8%A7",
        "non-ASCII path percent-encoded (UTF-8)",
    ),
    ("https://www.example.com/", "https://www.example.com/", "www. kept"),
    ("https://example.com./", "https://example.com/", "trailing dot of host dropped"),
    ("t.me/Channel", "https://t.me/Channel", "scheme-less gets https"),
    ("  https://example.com/a  ", "https://example.com/a", "whitespace stripped"),
    ("mailto:Someone@Example.com", "mailto:Someone@Example.com", "other scheme left alone"),
    ("http://example.com:bad/", "http://example.com:bad/", "unparseable port: as given"),
]


@pytest.mark.parametrize(("url", "expected", "why"), NORMALIZE_URL)
def test_normalize_url(url: str, expected: str, why: str) -> None:
    assert normalize_url(url) == expected, why
    assert normalize_url(expected) == expected, "idempotent"


DOMAINS = [
    # (url, domain, why)
    ("https://www.Example.com/a", "example.com", "www. removed, lower-cased"),
    ("https://ar.wikipedia.org/wiki/x", "ar.wikipedia.org", "other subdomains kept"),
    ("someblog.blogspot.com/post", "someblog.blogspot.com", "scheme-less"),
    ("WWW.Example.com", "example.com", "a bare host"),
    ("https://www.com/", "www.com", "www.com itself is the host"),
    ("http://user:pw@www.host.example:8080/x", "host.example", "userinfo and port dropped"),
    ("https://bücher.example/", "xn--bcher-kva.example", "IDNA form"),
    ("mailto:a@b.example", "", "not a web link"),
    ("http://exa mple.com:bad/", "", "unparseable"),
]


@pytest.mark.parametrize(("url", "domain", "why"), DOMAINS)
def test_url_domain(url: str, domain: str, why: str) -> None:
    assert url_domain(url) == domain, why


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("t.co", True),  # X's wrapper
        ("BIT.LY", True),  # any case
        ("www.tinyurl.com", True),  # www. ignored
        ("dlvr.it", True),
        ("example.com", False),  # not a shortener
        ("notbit.ly", False),  # suffix is not enough
    ],
)
def test_is_shortener(domain: str, expected: bool) -> None:
    assert is_shortener(domain) is expected


def test_required_shorteners_listed() -> None:
    required = {"t.co", "bit.ly", "goo.gl", "ow.ly", "tinyurl.com", "is.gd", "buff.ly", "dlvr.it"}
    assert required <= SHORTENERS


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_hashtags_of_normalised_text_are_the_normalised_hashtags(text: str) -> None:
    found = extract_hashtags(text)
    assert extract_hashtags(normalize(text)) == found
    assert tuple(dict.fromkeys(normalize(h) for h in found)) == found


URL_PARTS = st.text(alphabet="aB0-._~%/?&=#:@+ éم", max_size=20)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["http://", "https://", "HTTPS://", ""]), URL_PARTS, URL_PARTS)
def test_normalize_url_idempotent(scheme: str, host: str, rest: str) -> None:
    once = normalize_url(f"{scheme}{host}.example/{rest}")
    assert normalize_url(once) == once


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["http://", "HTTPS://", "https://"]),
    st.text(alphabet="aZ09.-_@:[]", max_size=12),
    st.text(alphabet="aZ0/?#&=%:@.~ \t", max_size=16),
)
def test_fast_url_split_agrees_with_urllib(scheme: str, netloc: str, rest: str) -> None:
    """The regex fast path of URL parsing gives what urllib.parse gives."""
    url = f"{scheme}{netloc}{rest}"
    fast = tokens._SIMPLE_URL_RE.fullmatch(url)
    if fast is not None and (fast[4] is None or int(fast[4]) <= 65535):
        slow = tokens._split_slow(url)
        assert slow is not None
        assert tokens._split(url) == slow


def test_x_entities_are_found_in_text(v1_tweets: list[dict[str, Any]]) -> None:
    """On real X v1.1 tweets, every hashtag, mention and link X's entities list is found.

    X's entities are computed by X from the same text; extraction may find more
    (hashtags cut short by truncation) but never fewer.  Links must match
    exactly: X wraps every link in t.co.
    """
    for tweet in v1_tweets:
        src = tweet.get("extended_tweet") or tweet
        text = src.get("full_text") or src["text"]
        ent = src["entities"]
        tags = {normalize(h["text"]) for h in ent["hashtags"]}
        assert tags <= set(extract_hashtags(text)), tweet["id_str"]
        handles = {m["screen_name"].lower() for m in ent["user_mentions"]}
        assert handles <= set(extract_mentions(text)), tweet["id_str"]
        links = {u["url"] for u in ent["urls"]} | {m["url"] for m in ent.get("media", [])}
        assert links == set(extract_urls(text)), tweet["id_str"]
    assert len(v1_tweets) > 5000
