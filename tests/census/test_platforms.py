"""Outlink platforms: domains and subdomains to platforms and categories, the join table."""

from __future__ import annotations

import duckdb
import pytest

from marsad.census.platforms import (
    CATEGORIES,
    CATEGORY_LABELS,
    PLATFORM_LABELS,
    PLATFORMS,
    category_of,
    platform_of,
    platforms_table,
)
from marsad.text.tokens import SHORTENERS, url_domain

CASES = [
    # (domain, platform, category, why)
    ("t.me", "telegram", "messaging", "Telegram's link domain"),
    ("T.ME", "telegram", "messaging", "case does not matter"),
    ("telegram.me.", "telegram", "messaging", "trailing dot of a fully qualified name"),
    ("https://t.me/some_channel", "telegram", "messaging", "a whole URL is accepted"),
    ("www.youtube.com", "youtube", "video", "www. is dropped"),
    ("m.youtube.com", "youtube", "video", "mobile subdomain"),
    ("youtu.be", "youtube", "video", "YouTube's short domain"),
    ("web.archive.org", "internet_archive", "archive", "Wayback Machine subdomain"),
    ("archive.ph", "archive_today", "archive", "archive.today mirror"),
    ("chat.whatsapp.com", "whatsapp", "messaging", "group invite links"),
    ("m.facebook.com", "facebook", "social", "mobile Facebook"),
    ("fb.me", "facebook", "shortener", "Facebook's shortener: category of the suffix"),
    ("x.com", "x", "social", "X"),
    ("t.co", "x", "shortener", "X's link wrapper says nothing about the target"),
    ("justpaste.it", "justpaste", "paste", "paste site"),
    ("pastebin.com", "pastebin", "paste", "paste site"),
    ("mega.co.nz", "mega", "file_host", "MEGA's old domain"),
    ("drive.google.com", "google_drive", "file_host", "Google Drive"),
    ("docs.google.com", "google_docs", "file_host", "Google Docs"),
    ("ok.ru", "ok", "video", "OK.ru counted as a video host"),
    ("matrix.to", "matrix", "chat", "Matrix invite links"),
    ("bit.ly", "bitly", "shortener", "shortener"),
    ("google.com", None, None, "only Drive and Docs of Google are listed"),
    ("box.com", None, None, "not a subdomain of x.com"),
    ("notyoutube.com", None, None, "a suffix must follow a dot"),
    ("youtube.com.example.net", None, None, "the listed name must end the domain"),
    ("example.com", None, None, "unknown"),
    ("", None, None, "empty"),
]


@pytest.mark.parametrize(("domain", "platform", "category", "why"), CASES)
def test_platform_and_category(
    domain: str, platform: str | None, category: str | None, why: str
) -> None:
    assert platform_of(domain) == platform, why
    assert category_of(domain) == category, why


def _rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = platforms_table().to_pylist()
    return rows


def test_table_agrees_with_lookup_for_every_suffix() -> None:
    rows = _rows()
    assert len(rows) == sum(len(p.suffixes) for p in PLATFORMS)  # no suffix listed twice
    for row in rows:
        suffix = row["suffix"]
        assert url_domain(suffix) == suffix  # already in the store's domain form
        for domain in (suffix, "a." + suffix, "b.a." + suffix.upper()):
            assert platform_of(domain) == row["platform"], domain
            assert category_of(domain) == row["category"], domain


def test_no_suffix_is_a_subdomain_of_another() -> None:
    # so at most one row of the table matches any domain: joins need no tie-break
    suffixes = [r["suffix"] for r in _rows()]
    for a in suffixes:
        for b in suffixes:
            assert a == b or not a.endswith("." + b), (a, b)


def test_categories_of_platforms() -> None:
    for platform in PLATFORMS:
        assert platform.category in CATEGORIES
        special = dict(platform.special)
        assert set(special) <= set(platform.suffixes)
        assert set(special.values()) <= set(CATEGORIES)
    assert {r["category"] for r in _rows()} <= set(CATEGORIES)


def test_every_known_shortener_is_a_shortener() -> None:
    for host in SHORTENERS:
        assert category_of(host) == "shortener", host


def test_labels_in_english_and_arabic() -> None:
    keys = [p.key for p in PLATFORMS]
    assert len(keys) == len(set(keys))
    assert set(PLATFORM_LABELS) == set(keys)
    assert set(CATEGORY_LABELS) == set(CATEGORIES)
    for labels in (*PLATFORM_LABELS.values(), *CATEGORY_LABELS.values()):
        assert set(labels) == {"en", "ar"}
        assert all(v.strip() for v in labels.values())


def test_duckdb_join_rule_agrees_with_platform_of() -> None:
    domains = [d for d, *_ in CASES if d and "/" not in d]
    domains += ["a.b.mega.nz", "sub.t.co", "archive.org", "xx.archive.is"]
    canonical = sorted({url_domain(d) for d in domains})
    con = duckdb.connect()
    con.register("platforms", platforms_table())
    rows = con.execute(
        """SELECT d.domain, p.platform
           FROM unnest(?::VARCHAR[]) AS d(domain)
           LEFT JOIN platforms p
             ON d.domain = p.suffix OR ends_with(d.domain, '.' || p.suffix)""",
        [canonical],
    ).fetchall()
    assert len(rows) == len(canonical)  # one row per domain: no domain matched twice
    assert dict(rows) == {d: platform_of(d) for d in canonical}
