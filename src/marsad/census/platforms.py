"""Where outlinks lead: link domains mapped to platforms and kinds of platform.

Part of the census (read-only analytics over the store): the store keeps each
post's link domains (:func:`marsad.text.tokens.url_domain` form -- lower-case
host, ``www.`` removed, other subdomains kept); this module says which
platform a domain belongs to (``t.me`` -> ``telegram``) and what kind of
platform it is (``messaging``), so the census can count cross-platform
outlinks: to messaging apps, paste sites, web archives, file hosts, video
hosts and link shorteners -- the places a network moves its material to when
one platform removes it.

**Matching rule.**  A domain belongs to a listed *suffix* when it equals it or
ends with ``"." + suffix`` (``web.archive.org`` -> ``archive.org``,
``m.youtube.com`` -> ``youtube.com``; ``box.com`` is not ``x.com``).  No listed
suffix is a subdomain of another (checked by the tests), so at most one suffix
matches any domain and a DuckDB join needs no tie-break::

    SELECT d.domain, p.platform, p.category
    FROM domains d
    JOIN platforms p ON d.domain = p.suffix OR ends_with(d.domain, '.' || p.suffix)

**Categories** (:data:`CATEGORIES`) belong to a suffix, not to a whole
platform: ``t.co`` is X's link wrapper and ``fb.me`` Facebook's shortener, so
both are ``shortener`` (a link through them says nothing about where it
leads), while ``x.com`` and ``facebook.com`` are ``social``.  Every host in
:data:`marsad.text.tokens.SHORTENERS` is a ``shortener`` here.  ``other`` is a
known platform that fits none of the other kinds.

Only services whose domains are well established are listed; the list is a
starting point, not a claim of completeness (self-hosted Rocket.Chat or
Matrix servers, for one, run on any domain).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from marsad.text.tokens import url_domain

__all__ = [
    "CATEGORIES",
    "CATEGORY_LABELS",
    "PLATFORMS",
    "PLATFORM_LABELS",
    "Platform",
    "category_of",
    "platform_of",
    "platform_suffixes",
    "platforms_table",
]

#: the kinds of platform, in the order reports list them
CATEGORIES: tuple[str, ...] = (
    "social",
    "messaging",
    "video",
    "paste",
    "archive",
    "file_host",
    "chat",
    "shortener",
    "other",
)

CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "social": {"en": "Social network", "ar": "شبكة اجتماعية"},
    "messaging": {"en": "Messaging app", "ar": "تطبيق مراسلة"},
    "video": {"en": "Video host", "ar": "استضافة فيديو"},
    "paste": {"en": "Paste / publishing site", "ar": "موقع لصق ونشر نصوص"},
    "archive": {"en": "Web archive", "ar": "أرشيف ويب"},
    "file_host": {"en": "File host", "ar": "استضافة ملفات"},
    "chat": {"en": "Chat server", "ar": "خادم دردشة"},
    "shortener": {"en": "Link shortener", "ar": "مختصر روابط"},
    "other": {"en": "Other", "ar": "أخرى"},
}


@dataclass(frozen=True)
class Platform:
    """A platform: its stable key (a storage value, never renamed), its default
    category, its domains, and the domains whose category differs."""

    key: str
    category: str
    suffixes: tuple[str, ...]
    #: suffix -> category, for the few suffixes of another kind (link wrappers)
    special: tuple[tuple[str, str], ...] = ()


def _shortener(key: str, *suffixes: str) -> Platform:
    return Platform(key, "shortener", suffixes)


#: every known platform, with its labels in :data:`PLATFORM_LABELS`
PLATFORMS: tuple[Platform, ...] = (
    # -- social networks
    Platform("x", "social", ("x.com", "twitter.com", "t.co"), (("t.co", "shortener"),)),
    Platform(
        "facebook",
        "social",
        ("facebook.com", "fb.com", "fb.me", "fb.watch"),
        (("fb.me", "shortener"),),
    ),
    Platform("instagram", "social", ("instagram.com", "instagr.am")),
    Platform("threads", "social", ("threads.net",)),
    Platform("linkedin", "social", ("linkedin.com", "lnkd.in"), (("lnkd.in", "shortener"),)),
    Platform("reddit", "social", ("reddit.com", "redd.it")),
    Platform("vk", "social", ("vk.com",)),
    Platform("bluesky", "social", ("bsky.app",)),
    Platform("gab", "social", ("gab.com",)),
    # -- messaging apps
    Platform("telegram", "messaging", ("t.me", "telegram.me", "telegram.org", "telegram.dog")),
    Platform("whatsapp", "messaging", ("whatsapp.com", "wa.me")),
    Platform("signal", "messaging", ("signal.org", "signal.me", "signal.group")),
    Platform("tamtam", "messaging", ("tamtam.chat",)),
    # -- video hosts
    Platform("youtube", "video", ("youtube.com", "youtu.be", "youtube-nocookie.com")),
    Platform("tiktok", "video", ("tiktok.com",)),
    Platform("dailymotion", "video", ("dailymotion.com", "dai.ly")),
    Platform("vimeo", "video", ("vimeo.com",)),
    Platform("ok", "video", ("ok.ru",)),
    Platform("sendvid", "video", ("sendvid.com",)),
    Platform("rumble", "video", ("rumble.com",)),
    Platform("odysee", "video", ("odysee.com",)),
    Platform("bitchute", "video", ("bitchute.com",)),
    # -- paste and publishing sites
    Platform("justpaste", "paste", ("justpaste.it",)),
    Platform("pastebin", "paste", ("pastebin.com",)),
    Platform("telegraph", "paste", ("telegra.ph",)),
    # -- web archives
    Platform("internet_archive", "archive", ("archive.org",)),
    Platform(
        "archive_today",
        "archive",
        ("archive.today", "archive.ph", "archive.is", "archive.li", "archive.vn", "archive.md"),
    ),
    # -- file hosts
    Platform("mega", "file_host", ("mega.nz", "mega.co.nz", "mega.io")),
    Platform("mediafire", "file_host", ("mediafire.com",)),
    Platform("google_drive", "file_host", ("drive.google.com",)),
    Platform("google_docs", "file_host", ("docs.google.com",)),
    Platform("dropbox", "file_host", ("dropbox.com", "dropboxusercontent.com")),
    Platform("top4top", "file_host", ("top4top.io",)),
    Platform("files_fm", "file_host", ("files.fm",)),
    Platform("gofile", "file_host", ("gofile.io",)),
    Platform("pixeldrain", "file_host", ("pixeldrain.com",)),
    Platform("4shared", "file_host", ("4shared.com",)),
    Platform("zippyshare", "file_host", ("zippyshare.com",)),
    Platform("wetransfer", "file_host", ("wetransfer.com", "we.tl")),
    Platform("catbox", "file_host", ("catbox.moe",)),
    # -- chat servers
    Platform("rocket_chat", "chat", ("rocket.chat",)),
    Platform("matrix", "chat", ("matrix.to", "matrix.org", "element.io")),
    Platform("discord", "chat", ("discord.com", "discord.gg")),
    # -- link shorteners (tokens.SHORTENERS; t.co, fb.me and lnkd.in are above)
    _shortener("bitly", "bit.ly", "bitly.com", "j.mp"),
    _shortener("google_shortener", "goo.gl"),
    _shortener("tinyurl", "tinyurl.com"),
    _shortener("hootsuite", "ow.ly"),
    _shortener("buffer", "buff.ly"),
    _shortener("is_gd", "is.gd", "v.gd"),
    _shortener("dlvr_it", "dlvr.it"),
    _shortener("ifttt", "ift.tt"),
    _shortener("socialflow", "trib.al"),
    _shortener("cuttly", "cutt.ly"),
    _shortener("rb_gy", "rb.gy"),
    _shortener("rebrandly", "rebrand.ly"),
    _shortener("shorturl_at", "shorturl.at"),
    _shortener("tiny_cc", "tiny.cc"),
    _shortener("s_id", "s.id"),
    # -- other
    Platform("linktree", "other", ("linktr.ee",)),
)

PLATFORM_LABELS: dict[str, dict[str, str]] = {
    "x": {"en": "X (Twitter)", "ar": "إكس (تويتر)"},
    "facebook": {"en": "Facebook", "ar": "فيسبوك"},
    "instagram": {"en": "Instagram", "ar": "إنستغرام"},
    "threads": {"en": "Threads", "ar": "ثريدز"},
    "linkedin": {"en": "LinkedIn", "ar": "لينكدإن"},
    "reddit": {"en": "Reddit", "ar": "ريديت"},
    "vk": {"en": "VK", "ar": "فكونتاكتي (VK)"},
    "bluesky": {"en": "Bluesky", "ar": "بلوسكاي"},
    "gab": {"en": "Gab", "ar": "غاب"},
    "telegram": {"en": "Telegram", "ar": "تيليغرام"},
    "whatsapp": {"en": "WhatsApp", "ar": "واتساب"},
    "signal": {"en": "Signal", "ar": "سيغنال"},
    "tamtam": {"en": "TamTam", "ar": "تام تام"},
    "youtube": {"en": "YouTube", "ar": "يوتيوب"},
    "tiktok": {"en": "TikTok", "ar": "تيك توك"},
    "dailymotion": {"en": "Dailymotion", "ar": "ديلي موشن"},
    "vimeo": {"en": "Vimeo", "ar": "فيميو"},
    "ok": {"en": "OK.ru (Odnoklassniki)", "ar": "أودنوكلاسنيكي (OK.ru)"},
    "sendvid": {"en": "Sendvid", "ar": "Sendvid"},
    "rumble": {"en": "Rumble", "ar": "رامبل"},
    "odysee": {"en": "Odysee", "ar": "أوديسي"},
    "bitchute": {"en": "BitChute", "ar": "بيتشوت"},
    "justpaste": {"en": "JustPaste.it", "ar": "جست بيست (JustPaste.it)"},
    "pastebin": {"en": "Pastebin", "ar": "باستبين"},
    "telegraph": {"en": "Telegraph (telegra.ph)", "ar": "تيليغراف (telegra.ph)"},
    "internet_archive": {"en": "Internet Archive", "ar": "أرشيف الإنترنت"},
    "archive_today": {"en": "archive.today", "ar": "أرشيف اليوم (archive.today)"},
    "mega": {"en": "MEGA", "ar": "ميغا"},
    "mediafire": {"en": "MediaFire", "ar": "ميديافاير"},
    "google_drive": {"en": "Google Drive", "ar": "غوغل درايف"},
    "google_docs": {"en": "Google Docs", "ar": "مستندات غوغل"},
    "dropbox": {"en": "Dropbox", "ar": "دروبوكس"},
    "top4top": {"en": "Top4Top", "ar": "توب فور توب"},
    "files_fm": {"en": "Files.fm", "ar": "Files.fm"},
    "gofile": {"en": "Gofile", "ar": "Gofile"},
    "pixeldrain": {"en": "Pixeldrain", "ar": "Pixeldrain"},
    "4shared": {"en": "4shared", "ar": "4shared"},
    "zippyshare": {"en": "Zippyshare", "ar": "زيبي شير"},
    "wetransfer": {"en": "WeTransfer", "ar": "وي ترانسفير"},
    "catbox": {"en": "Catbox", "ar": "Catbox"},
    "rocket_chat": {"en": "Rocket.Chat", "ar": "روكيت تشات"},
    "matrix": {"en": "Matrix / Element", "ar": "ماتريكس / إليمنت"},
    "discord": {"en": "Discord", "ar": "ديسكورد"},
    "bitly": {"en": "Bitly", "ar": "Bitly"},
    "google_shortener": {"en": "goo.gl", "ar": "مختصر غوغل (goo.gl)"},
    "tinyurl": {"en": "TinyURL", "ar": "TinyURL"},
    "hootsuite": {"en": "Hootsuite (ow.ly)", "ar": "هوتسويت (ow.ly)"},
    "buffer": {"en": "Buffer (buff.ly)", "ar": "بافر (buff.ly)"},
    "is_gd": {"en": "is.gd", "ar": "is.gd"},
    "dlvr_it": {"en": "dlvr.it", "ar": "dlvr.it"},
    "ifttt": {"en": "IFTTT (ift.tt)", "ar": "IFTTT (ift.tt)"},
    "socialflow": {"en": "SocialFlow (trib.al)", "ar": "SocialFlow (trib.al)"},
    "cuttly": {"en": "Cuttly", "ar": "Cuttly"},
    "rb_gy": {"en": "rb.gy", "ar": "rb.gy"},
    "rebrandly": {"en": "Rebrandly", "ar": "Rebrandly"},
    "shorturl_at": {"en": "shorturl.at", "ar": "shorturl.at"},
    "tiny_cc": {"en": "tiny.cc", "ar": "tiny.cc"},
    "s_id": {"en": "s.id", "ar": "s.id"},
    "linktree": {"en": "Linktree", "ar": "لينك تري"},
}


def _suffix_index() -> dict[str, tuple[str, str]]:
    index: dict[str, tuple[str, str]] = {}
    for platform in PLATFORMS:
        special = dict(platform.special)
        for suffix in platform.suffixes:
            index[suffix] = (platform.key, special.get(suffix, platform.category))
    return index


#: suffix -> (platform, category)
_SUFFIXES = _suffix_index()


def _lookup(domain: str) -> tuple[str, str] | None:
    host = url_domain(domain)
    while host:
        hit = _SUFFIXES.get(host)
        if hit is not None:
            return hit
        host = host.partition(".")[2]
    return None


def platform_of(domain: str) -> str | None:
    """The platform key of a link *domain* (or of a URL), None if not a known platform.

    The domain is first put in :func:`~marsad.text.tokens.url_domain` form
    (case, ``www.``, a trailing dot do not matter); subdomains of a listed
    domain belong to its platform (``web.archive.org`` -> ``internet_archive``).
    """
    hit = _lookup(domain)
    return None if hit is None else hit[0]


def category_of(domain: str) -> str | None:
    """The category (one of :data:`CATEGORIES`) of a link *domain*, None if unknown.

    Same matching as :func:`platform_of`; the category is that of the matching
    suffix (``t.co`` is a ``shortener`` though ``x`` is ``social``).
    """
    hit = _lookup(domain)
    return None if hit is None else hit[1]


def platform_suffixes() -> list[tuple[str, str, str]]:
    """Every listed suffix as (suffix, platform, category), as :func:`platforms_table`
    has them, in plain lists (no Arrow, so no pandas import)."""
    return [(s, _SUFFIXES[s][0], _SUFFIXES[s][1]) for s in _SUFFIXES]


def platforms_table() -> pa.Table:
    """Every listed suffix as a row (suffix, platform, category), for DuckDB joins.

    Match a domain with ``domain = suffix OR ends_with(domain, '.' || suffix)``
    (see the module docstring); at most one row matches any domain.
    """
    suffixes = platform_suffixes()
    return pa.table(
        {
            name: pa.array([row[i] for row in suffixes], pa.string())
            for i, name in enumerate(("suffix", "platform", "category"))
        }
    )
