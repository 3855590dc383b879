"""Client (device / app) names of posts, and their families.

Part of the *normalise* step (``ingest -> normalise -> store``): X exports say
which app sent each tweet -- v1.1 as an HTML anchor
(``<a href="http://twitter.com/download/android" rel="nofollow">Twitter for
Android</a>``), v2 as plain text (``Twitter for Android``).  The enrichment step
stores the plain name in ``Post.client``; the census later groups names into
families with :func:`client_family` (the 2015 census of ISIS-supporting
accounts found them mostly on Android, and automation services are a signal of
their own).
"""

from __future__ import annotations

import html
import re

__all__ = ["CLIENT_FAMILIES", "client_family", "client_name"]

#: every value client_family returns
CLIENT_FAMILIES = (
    "android",
    "iphone",
    "ipad",
    "web",
    "blackberry",
    "tweetdeck",
    "bot-or-automation",
    "other",
)

_TAG_RE = re.compile(r"<[^>]*>")

# Exact names of X's own clients (lower-cased, whitespace collapsed).
_OFFICIAL: dict[str, str] = {
    "twitter for android": "android",
    "twitter for android tablets": "android",
    "twitter for iphone": "iphone",
    "twitter for ipad": "ipad",
    "twitter web client": "web",
    "twitter web app": "web",
    "mobile web": "web",
    "mobile web (m2)": "web",
    "mobile web (m5)": "web",
    "twitter lite": "web",
    "web": "web",
    "tweetdeck": "tweetdeck",
    "tweetdeck web app": "tweetdeck",
    "twitter for blackberry": "blackberry",
    "twitter for blackberry®": "blackberry",
}

# Scheduling, cross-posting, feed and bot services: the post was not typed into a
# client by a person at the time it was sent.  Cross-posting from Instagram or
# Facebook is here too: the tweet itself was written by a service.  Matched as
# substrings of the lower-cased name.
_AUTOMATION = (
    "ifttt",
    "dlvr.it",
    "buffer",
    "hootsuite",
    "roundteam",
    "postcron",
    "integromat",
    "zapier",
    "socialcloudsuite",
    "paper.li",
    "botize",
    "twittbot",
    "tweet old post",
    "twuffer",
    "socialflow",
    "sprout social",
    "crowdfire",
    "meet edgar",
    "missinglettr",
    "jukebox",
    "socialoomph",
    "tweetadder",
    "twitterfeed",
    "dlvrit",
    "instagram",
    "facebook",
    "wordpress.com",
    "hubspot",
    "socialgest",
    "swat.io",
    "twitter ads",
)
_AUTOMATION_EXACT = frozenset({"google", "rss", "feed"})
# "bot" as a word or name ending ("Bot Libre!", "Cheap Bots, Done Quick!",
# "HobbyFigureBot") -- but Tweetbot is a human's app for iOS and macOS.
_BOT_RE = re.compile(r"\bbots?\b|bot\b|_bot|bot_")
# "iOS", also spelt "iΟS" with a Greek capital omicron by one well-known app
_IOS_RE = re.compile(r"\bi[oο]s\b")


def client_name(source: str | None) -> str | None:
    """The plain client name of an export's *source* field, or None if there is none.

    HTML (X v1.1's anchor) is reduced to its text and entities decoded; plain
    text passes through; whitespace is collapsed and trimmed.  ``None``, ``""``
    and whitespace-only give None.  Idempotent.
    """
    if source is None:
        return None
    text = source
    if "<" in text:
        text = _TAG_RE.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    text = " ".join(text.split())
    return text or None


def client_family(name: str | None) -> str:
    """The family of a client name (one of :data:`CLIENT_FAMILIES`).

    X's own apps by exact name; then TweetDeck and BlackBerry apps; then
    automation services (see ``_AUTOMATION``) and anything named a bot; then
    third-party apps by the platform in their name ("Fenix for Android" is
    android, "Tweetbot for iOS" iphone); everything else, including apps
    registered under a custom name, is ``other``.  Accepts raw ``source`` HTML too.
    """
    plain = client_name(name)
    if plain is None:
        return "other"
    key = plain.lower()
    if key in _OFFICIAL:
        return _OFFICIAL[key]
    if "tweetdeck" in key:
        return "tweetdeck"
    if "blackberry" in key:
        return "blackberry"
    if "tweetbot" not in key and (
        key in _AUTOMATION_EXACT or any(word in key for word in _AUTOMATION) or _BOT_RE.search(key)
    ):
        return "bot-or-automation"
    if "android" in key:
        return "android"
    if "ipad" in key:
        return "ipad"
    if "iphone" in key or _IOS_RE.search(key):
        return "iphone"
    if key.endswith(" web") or "web client" in key or "web app" in key:
        return "web"
    return "other"
