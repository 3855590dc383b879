"""Client names from export ``source`` fields, and their families."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from marsad.text.client import CLIENT_FAMILIES, client_family, client_name

NAMES = [
    # (source, expected, why)
    (
        '<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>',
        "Twitter for Android",
        "X v1.1 HTML anchor",
    ),
    ("Twitter for iPhone", "Twitter for iPhone", "X v2 plain text passes through"),
    ("  Twitter Web App \n", "Twitter Web App", "whitespace trimmed"),
    ('<a href="https://example.com">Some  App</a>', "Some App", "inner whitespace collapsed"),
    ('<a href="https://example.com">Tom &amp; Jerry</a>', "Tom & Jerry", "entities decoded"),
    ("Plume\u00a0for\u00a0Android", "Plume for Android", "no-break spaces collapsed"),
    ("", None, "empty"),
    ("   ", None, "whitespace only"),
    ('<a href="https://example.com"></a>', None, "anchor without text"),
    (None, None, "missing"),
]


@pytest.mark.parametrize(("source", "expected", "why"), NAMES)
def test_client_name(source: str | None, expected: str | None, why: str) -> None:
    assert client_name(source) == expected, why
    assert client_name(client_name(source)) == expected, "idempotent"


FAMILIES = [
    # (name, family, why)
    ("Twitter for Android", "android", "X's Android app"),
    ("Twitter for Android Tablets", "android", "X's Android tablet app"),
    ("Fenix for Android", "android", "third-party Android app"),
    ("Twitter for iPhone", "iphone", "X's iPhone app"),
    ("Tweetbot for iΟS", "iphone", "iOS spelt with a Greek omicron; Tweetbot is not a bot"),
    ("iOS", "iphone", "the old iOS integration"),
    ("Twitter for iPad", "ipad", "X's iPad app"),
    ("Twitter Web Client", "web", "old web client"),
    ("Twitter Web App", "web", "new web app"),
    ("Mobile Web (M2)", "web", "mobile web"),
    ("Twitter Lite", "web", "progressive web app"),
    ("TweetDeck", "tweetdeck", "TweetDeck"),
    ("Twitter for BlackBerry", "blackberry", "X's BlackBerry app"),
    ("UberSocial for BlackBerry", "blackberry", "third-party BlackBerry app"),
    ("IFTTT", "bot-or-automation", "automation service"),
    ("dlvr.it", "bot-or-automation", "feed poster"),
    ("Hootsuite Inc.", "bot-or-automation", "scheduler"),
    ("Buffer", "bot-or-automation", "scheduler"),
    ("Instagram", "bot-or-automation", "cross-posting"),
    ("Cheap Bots, Done Quick!", "bot-or-automation", "bot framework"),
    ("HobbyFigureBot", "bot-or-automation", "name ending in bot"),
    ("twittbot.net", "bot-or-automation", "bot service"),
    ("Twitter for Mac", "other", "desktop app"),
    ("My Custom App", "other", "unknown registered app"),
    (None, "other", "no client"),
    (
        '<a href="http://twitter.com/download/iphone" rel="nofollow">Twitter for iPhone</a>',
        "iphone",
        "raw HTML accepted",
    ),
]


@pytest.mark.parametrize(("name", "family", "why"), FAMILIES)
def test_client_family(name: str | None, family: str, why: str) -> None:
    assert client_family(name) == family, why
    assert family in CLIENT_FAMILIES


def test_fixture_sources(v1_tweets: list[dict[str, Any]]) -> None:
    """Every X v1.1 ``source`` anchor gives a name equal to the anchor's own text."""
    anchor = re.compile(r"^<a [^>]*>(.*)</a>$", re.DOTALL)
    families = set()
    for tweet in v1_tweets:
        source = tweet["source"]
        match = anchor.match(source)
        assert match is not None
        expected = " ".join(html.unescape(match.group(1)).split()) or None
        assert client_name(source) == expected
        families.add(client_family(source))
    assert {"android", "iphone", "web", "bot-or-automation"} <= families
