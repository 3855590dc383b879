"""The text stage: normalisation (Arabic first), tokens, URLs, language id, clients.

Sits between ingest and store (``ingest -> normalise -> store``):
:func:`enrich_posts` fills the derived fields of every post an adapter yields,
and later stages use the same functions to compare text, hashtags and links
in one canonical form.

* :mod:`~marsad.text.normalize` -- :func:`normalize` (Unicode, invisible
  characters, Arabic letter variants and harakat, digits, case, whitespace)
  and :func:`normalize_arabic` (the Arabic rules alone).
* :mod:`~marsad.text.tokens` -- hashtags, mentions, URLs, canonical URLs,
  domains, link shorteners.
* :mod:`~marsad.text.lang` -- offline language identification.
* :mod:`~marsad.text.client` -- client (device/app) names and families.
* :mod:`~marsad.text.enrich` -- all of the above applied to posts.
"""

from __future__ import annotations

from marsad.text.client import CLIENT_FAMILIES, client_family, client_name
from marsad.text.enrich import enrich_posts
from marsad.text.lang import (
    FastTextIdentifier,
    LangidIdentifier,
    LanguageIdentifier,
    default_identifier,
    detect_languages,
    platform_lang,
)
from marsad.text.normalize import normalize, normalize_arabic, normalize_many, strip_invisible
from marsad.text.tokens import (
    SHORTENERS,
    TRACKING_PARAMS,
    extract_hashtags,
    extract_mentions,
    extract_urls,
    is_shortener,
    normalize_url,
    url_domain,
)

__all__ = [
    "CLIENT_FAMILIES",
    "SHORTENERS",
    "TRACKING_PARAMS",
    "FastTextIdentifier",
    "LangidIdentifier",
    "LanguageIdentifier",
    "client_family",
    "client_name",
    "default_identifier",
    "detect_languages",
    "enrich_posts",
    "extract_hashtags",
    "extract_mentions",
    "extract_urls",
    "is_shortener",
    "normalize",
    "normalize_arabic",
    "normalize_many",
    "normalize_url",
    "platform_lang",
    "strip_invisible",
    "url_domain",
]
