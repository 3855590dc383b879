"""Tokens of a post: hashtags, mentions and URLs, and the canonical form of a URL.

Part of the *normalise* step (``ingest -> normalise -> store``): the enrichment
step (:mod:`marsad.text.enrich`) adds what this module finds in a post's text to
what the platform's own entities said, and later stages (indicators, networks,
census of shared domains) count and match these tokens.  Nothing here touches
the network: link shorteners are only *recognised* (:func:`is_shortener`), never
expanded -- when an export gives expanded URLs the ingest adapters already use
them.

Rules, and why:

* **Hashtags** -- ``#`` or the full-width ``＃`` followed by letters, combining
  marks, digits and underscores in any script (Latin, Arabic, Thai, CJK ...),
  with at least one letter (``#123`` is not a hashtag, as on X).  Not preceded by
  a letter, digit, ``_`` or ``&`` (``a#b`` and HTML entities ``&#39;`` are not
  hashtags), not followed by another ``#`` or by ``://``, and never inside a URL
  (``example.com/#section``).  Returned in :func:`~marsad.text.normalize`
  form without the ``#``, in order of appearance, each once.  Extraction runs on
  the normalised text, so a hashtag written with harakat, tatweel, a zero-width
  joiner or full-width letters is the same hashtag as its plain spelling, and
  ``extract_hashtags(normalize(t)) == extract_hashtags(t)``.  On the X v1.1
  fixture every hashtag in X's entities is found; in truncated text a hashtag
  cut by the ellipsis (``#Gam…``) is also found as its fragment (73 of 5,297
  tweets), since X itself keeps some hashtags that end in ``…`` and text alone
  cannot tell them apart.
* **Mentions** -- ``@handle`` with ASCII letters, digits and ``_``, 1 to 32
  characters (X allows 15, Telegram 32), not preceded by a letter, digit or one
  of ``_!#$%&*@`` (so ``name@example.com`` is not a mention), not followed by a
  Latin letter, ``@`` or ``://``.  Lower-cased, in order, each once.
* **URLs** -- ``http://`` and ``https://`` links (not glued to a preceding
  letter or digit), and scheme-less links starting ``www.`` or ``t.me/`` /
  ``telegram.me/`` (Telegram posts carry these bare).  A link is made of
  letters and digits of any script and the ASCII punctuation URLs use; quotes,
  emoji and other symbols end it.
  Trailing punctuation that ends a sentence (``. , ; : ! ? … ، ؛ ؟`` and quotes)
  is not part of the link; a closing bracket is kept when the link opened it
  (Wikipedia-style ``..._(film)``).  Invisible characters inserted to break a
  link are removed first.
* **URL canonical form** (:func:`normalize_url`) -- scheme and host lower-cased,
  host in IDNA ASCII form (``xn--...``, Python's IDNA 2003 codec) without a
  trailing dot, default port (80 for http, 443 for https) dropped, empty path
  written ``/``, fragment dropped, tracking parameters dropped
  (:data:`TRACKING_PARAMS` and every ``utm_*``), the remaining query parameters
  sorted, percent-escapes upper-cased and unreserved characters decoded,
  non-ASCII path and query characters percent-encoded (UTF-8).  ``www.`` is
  **kept** (``www.example.com`` and ``example.com`` may be different hosts; use
  :func:`url_domain` to group them), and ``http``/``https`` are kept distinct.
  A scheme-less link gets ``https://``.
* **Domain** (:func:`url_domain`) -- the canonical host without a leading
  ``www.``.  Deliberately *not* cut down to the registrable domain: without
  the public-suffix list (which would mean a download) ``bbc.co.uk`` cannot be
  told from ``x.blogspot.com``, and on hosting platforms each subdomain is a
  different publisher worth counting apart.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import SplitResult, quote, unquote_plus, urlsplit

from marsad.text.normalize import normalize, strip_invisible

__all__ = [
    "SHORTENERS",
    "TRACKING_PARAMS",
    "extract_hashtags",
    "extract_mentions",
    "extract_urls",
    "is_shortener",
    "normalize_url",
    "url_domain",
]

#: hosts of link shorteners (and link wrappers such as X's t.co): a link on one of
#: these says nothing about where it leads until it is expanded
SHORTENERS: frozenset[str] = frozenset(
    {
        "t.co",  # X's own wrapper of every link
        "bit.ly",
        "bitly.com",
        "j.mp",  # bit.ly's short alias
        "goo.gl",
        "ow.ly",  # Hootsuite
        "tinyurl.com",
        "is.gd",
        "v.gd",
        "buff.ly",  # Buffer
        "dlvr.it",
        "ift.tt",  # IFTTT
        "trib.al",  # SocialFlow
        "fb.me",
        "lnkd.in",
        "cutt.ly",
        "rb.gy",
        "rebrand.ly",
        "shorturl.at",
        "tiny.cc",
        "s.id",
    }
)

#: query parameters that only track who shared or clicked, dropped by normalize_url
#: (besides every parameter starting ``utm_``)
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",  # Facebook click id
        "gclid",  # Google Ads
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "igshid",  # Instagram share id
        "igsh",
        "si",  # YouTube / Spotify share id
        "mc_cid",  # Mailchimp
        "mc_eid",
        "_ga",
        "_gl",
        "ref_src",  # X embeds: ref_src=twsrc^tfw
    }
)


def _mark_class() -> str:
    """A regex class body of every combining mark (Mn, Mc, Me): ``re`` has no ``\\p{M}``."""
    ranges: list[tuple[int, int]] = []
    for start, stop in ((0x300, 0x20000), (0xE0100, 0xE01F0)):
        categories = map(unicodedata.category, map(chr, range(start, stop)))
        for cp, category in enumerate(categories, start):
            if category[0] == "M":
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1] = (ranges[-1][0], cp)
                else:
                    ranges.append((cp, cp))
    return "".join(
        re.escape(chr(lo)) + ("-" + re.escape(chr(hi)) if hi > lo else "") for lo, hi in ranges
    )


@functools.cache
def _hashtag_re() -> re.Pattern[str]:
    # built on first use: listing the marks takes ~50 ms, too much for every import
    word = rf"\w{_mark_class()}"
    # the "#" first, then look back over it: sre tests the cheap "#" at each
    # position before the large class
    return re.compile(rf"[#＃](?<![&{word}][#＃])([{word}]++)(?![#＃]|://)")


# a link cut off by a platform's truncation: an ellipsis that ends the text
_CUT_RE = re.compile(r"(?:…|\.\.\.)\s*$")
# ... except a whole t.co link (its code is always 10 characters)
_TCO_RE = re.compile(r"https?://t\.co/[A-Za-z0-9]{10}", re.IGNORECASE)
# URL characters: letters and digits of any script, and the ASCII punctuation
# that URLs use -- not quotes, angle brackets, emoji or other symbols, which in
# posts end a link far more often than they belong to one
_URL_RE = re.compile(
    r"(?:(?<![A-Za-z0-9@＠$#＃])https?://|(?<![\w.@/-])(?:www\.|(?:t|telegram)\.me/))"
    r"[\w!#$%&()*+,\-./:;=?@\[\]~]+",
    re.IGNORECASE,
)
_MENTION_RE = re.compile(
    r"(?<![A-Za-z0-9_!#$%&*@＠])[@＠]([A-Za-z0-9_]{1,32}+)"
    r"(?![A-Za-z0-9_À-ÖØ-öø-ɏ@＠]|://)"
)
_TRAILING = ".,;:!?*)]}"
# X's API v1.1 escapes these five in tweet text; a link followed by "&gt;" must
# not swallow it, and "&amp;" inside a link is a real "&"
_X_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&"))
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _trim_url(url: str) -> str:
    while url and url[-1] in _TRAILING:
        last = url[-1]
        opener = _CLOSERS.get(last)
        if opener is not None and url.count(opener) >= url.count(last):
            break  # the link opened this bracket itself
        url = url[:-1]
    return url


def _in_url(text: str, pos: int) -> bool:
    """Is ``text[pos]`` part of a link?  Links hold no whitespace, so only the
    whitespace-delimited word around *pos* needs looking at (cheaper than
    finding every link in the text)."""
    if "." not in text:
        return False
    start = max(text.rfind(" ", 0, pos), text.rfind("\n", 0, pos), text.rfind("\t", 0, pos)) + 1
    word = text[start : pos + 1]
    offset = pos - start
    return any(m.start() <= offset < m.end() for m in _URL_RE.finditer(word))


def extract_urls(text: str) -> tuple[str, ...]:
    """The links in *text* as written (not canonicalised), in order, each once.

    See the module docstring for what counts as a link.  A link directly
    followed by an ellipsis (``…`` or ``...``) that ends the text was cut off by
    truncation (X's retweets: ``RT @a: ... https://t.c…``) and is left out:
    what remains is not the link -- unless it is a whole t.co link.  As on X,
    ``http`` glued to a preceding letter or digit does not start a link.  Pass
    each through :func:`normalize_url` before comparing or counting.
    """
    if "." not in text:
        return ()
    text = strip_invisible(text)
    if "&" in text:
        for escaped, char in _X_ESCAPES:
            text = text.replace(escaped, char)
    found = []
    for match in _URL_RE.finditer(text):
        url = _trim_url(match.group())
        if _CUT_RE.match(text, match.start() + len(url)) and not _TCO_RE.fullmatch(url):
            continue
        if url.endswith(("://", "www.", ".me/")) or "." not in url:
            continue
        found.append(url)
    return _unique(found)


def extract_hashtags(text: str, *, normalized: bool = False) -> tuple[str, ...]:
    """The hashtags of *text*, normalised, without ``#``, in order, each once.

    ``normalized=True`` says *text* is already ``normalize(text)`` (the
    enrichment step has it at hand) and skips normalising it again.
    """
    norm = text if normalized else normalize(text)
    if "#" not in norm and "＃" not in norm:
        return ()
    found = []
    for match in _hashtag_re().finditer(norm):
        body = match.group(1)
        if any(ch.isalpha() for ch in body) and not _in_url(norm, match.start()):
            found.append(body)
    return _unique(found)


def extract_mentions(text: str, *, normalized: bool = False) -> tuple[str, ...]:
    """The ``@handles`` of *text*, lower-cased, without ``@``, in order, each once.

    Works on the normalised text (so full-width ``＠`` and zero-width joiners do
    not hide a mention); ``normalized=True`` as in :func:`extract_hashtags`.
    """
    norm = text if normalized else normalize(text)
    if "@" not in norm and "＠" not in norm:
        return ()
    found = [m.group(1).lower() for m in _MENTION_RE.finditer(norm) if not _in_url(norm, m.start())]
    return _unique(found)


_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_OTHER_SCHEME_RE = re.compile(r"^(?:mailto|tel|sms|data|javascript|tg|magnet|about):", re.I)
_PCT_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/:@!$&'()*+,;=%"
_QUERY_PART_SAFE = "/:@!$'()*+,;=?%"
_DEFAULT_PORTS = {"http": 80, "https": 443}


_PLAIN_PATH_RE = re.compile(r"[A-Za-z0-9\-._~/:@!$&'()*+,;=]*")
_PLAIN_QUERY_PART_RE = re.compile(r"[A-Za-z0-9\-._~/:@!$'()*+,;=?]*")


def _canon_pct(part: str, safe: str, plain: re.Pattern[str]) -> str:
    if plain.fullmatch(part):  # nothing to encode or decode: the common case
        return part
    part = quote(part, safe=safe, errors="surrogatepass")

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _PCT_RE.sub(fix, part) if "%" in part else part


def _is_tracking(part: str) -> bool:
    key = unquote_plus(part.split("=", 1)[0]).lower()
    return key in TRACKING_PARAMS or key.startswith("utm_")


def _canon_host(host: str) -> str:
    host = host.lower().rstrip(".")
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def normalize_url(url: str) -> str:
    """The canonical form of *url* (rules in the module docstring); never raises.

    Meant for web links (``http``, ``https`` and scheme-less ``host/path``).
    A link of another scheme (``mailto:``, ``tg:`` ...) only has its scheme
    lower-cased; a link that cannot be parsed (a bad port, a broken IPv6
    literal) comes back stripped of whitespace and invisible characters but
    otherwise as given.  Idempotent.  Results are cached (the same links come
    back again and again in reposts).
    """
    return _canonical(url)[0]


def url_domain(url: str) -> str:
    """The host of *url* in canonical form without a leading ``www.``; ``""`` if none.

    Accepts a full URL or a bare host (``WWW.Example.com`` -> ``example.com``).
    Subdomains other than ``www`` are kept (see the module docstring).  A link
    that cannot be parsed, or is not a web link, has no domain (``""``).
    """
    host = _canonical(url)[1]
    if host.startswith("www.") and host.count(".") >= 2:
        host = host[4:]
    return host


# the common case -- an ASCII http(s) link with a plain host -- parsed by one
# regex; anything else goes through urllib.parse (same result, slower)
_SIMPLE_URL_RE = re.compile(
    r"(https?)://((?:[^\s/?#@\[\]]*@)?)([A-Za-z0-9.-]+)(?::(\d{1,5}))?"
    r"(/[^\s?#]*)?(?:\?([^\s#]*))?(?:#\S*)?",
    re.IGNORECASE | re.ASCII,
)

_Split = tuple[
    str, str | None, str, int | None, str, str
]  # scheme, userinfo, host, port, path, query


def _split(url: str) -> _Split | None:
    """The parts of an absolute URL, or None if it has no usable host or port."""
    simple = _SIMPLE_URL_RE.fullmatch(url)
    if simple is not None and (simple[4] is None or int(simple[4]) <= 65535):
        scheme, userinfo, host, port, path, query = simple.groups()
        return (
            scheme.lower(),
            userinfo[:-1] if userinfo else None,
            host.lower(),
            int(port) if port else None,
            path or "",
            query or "",
        )
    return _split_slow(url)


def _split_slow(url: str) -> _Split | None:
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
    except ValueError:
        return None
    if not host:
        return None
    userinfo, sep, _ = parts.netloc.rpartition("@")
    return parts.scheme.lower(), userinfo if sep else None, host, port, parts.path, parts.query


@functools.lru_cache(maxsize=1 << 16)
def _canonical(url: str) -> tuple[str, str]:
    """(canonical URL, canonical host or "")."""
    url = strip_invisible(url).strip()
    if _OTHER_SCHEME_RE.match(url):
        scheme, _, rest = url.partition(":")
        return f"{scheme.lower()}:{rest}", ""
    if not _SCHEME_RE.match(url):
        url = "https://" + url.lstrip("/")
    split = _split(url)
    if split is None:
        return url, ""
    scheme, userinfo, host, port, path, query = split
    host = _canon_host(host)
    netloc = f"[{host}]" if ":" in host else host  # IPv6 literal
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    if userinfo is not None:
        netloc = f"{userinfo}@{netloc}"
    path = _canon_pct(path, _PATH_SAFE, _PLAIN_PATH_RE) or "/"
    if query:
        query = "&".join(
            sorted(
                _canon_pct(p, _QUERY_PART_SAFE, _PLAIN_QUERY_PART_RE)
                for p in query.split("&")
                if p and not _is_tracking(p)
            )
        )
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else ""), host


def is_shortener(domain: str) -> bool:
    """True if *domain* (a host, any case, ``www.`` or not) is a known link shortener."""
    host = domain.strip().lower().rstrip(".")
    return host.removeprefix("www.") in SHORTENERS
