"""Enrichment of posts: every derived field, the fallbacks, idempotence, the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from marsad.model import Post
from marsad.pipeline import ingest_file
from marsad.store.duckdb import DuckDBStore
from marsad.text.enrich import enrich_posts

ARABIC = "أعلنت وزارة التعليم اليوم عن موعد بدء العام الدراسي الجديد #بيان_رسمي"
ANDROID = '<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>'


def _post(native_id: str = "1", **fields: object) -> Post:
    return Post(platform="x", native_id=native_id, **fields)  # type: ignore[arg-type]


def test_all_fields() -> None:
    post = _post(
        text="RT @Other: The weather   is lovely today #World #مرحبا, read "
        "https://Example.com/a?utm_source=x#top or www.example.org/b via @Someone",
        hashtags=("#Hello", "world"),
        mentions=("Other",),
        urls=("https://www.news.example/story?id=1&fbclid=abc",),
        client=ANDROID,
    )
    (out,) = enrich_posts([post])
    assert out.text_norm == (
        "rt @other: the weather is lovely today #world #مرحبا, read "
        "https://example.com/a?utm_source=x#top or www.example.org/b via @someone"
    )
    # platform's first (normalised, # removed), then the text's, each once
    assert out.hashtags == ("hello", "world", "مرحبا")
    assert out.mentions == ("other", "someone")
    assert out.urls == (
        "https://www.news.example/story?id=1",
        "https://example.com/a",
        "https://www.example.org/b",
    )
    assert out.domains == ("news.example", "example.com", "example.org")
    assert out.client == "Twitter for Android"
    assert out.lang == "en" and out.lang_score is not None and out.lang_score > 0.25
    # everything else untouched
    assert (out.platform, out.native_id, out.text) == (post.platform, post.native_id, post.text)


@pytest.mark.parametrize(
    ("platform", "text", "platform_urls", "expected"),
    [
        # X: entities give the expansion, the t.co wrapper in the text is dropped
        (
            "x",
            "look https://t.co/abcdefghij",
            ("https://example.com/x",),
            ("https://example.com/x",),
        ),
        # X without platform URLs: a media link, dropped too
        ("x", "look https://t.co/abcdefghij", (), ()),
        # another platform quoting a tweet's link: the t.co link is all there is
        ("telegram", "look https://t.co/abcdefghij", (), ("https://t.co/abcdefghij",)),
        # ... unless the platform gave URLs
        (
            "telegram",
            "look https://t.co/abcdefghij",
            ("https://example.com/x",),
            ("https://example.com/x",),
        ),
        # other shorteners are kept either way
        (
            "x",
            "look https://bit.ly/abc",
            ("https://example.com/x",),
            ("https://example.com/x", "https://bit.ly/abc"),
        ),
    ],
)
def test_tco_links(
    platform: str, text: str, platform_urls: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    post = Post(platform=platform, native_id="1", text=text, urls=platform_urls)
    (out,) = enrich_posts([post])
    assert out.urls == expected
    assert enrich_posts([out]) == [out]  # idempotent


LANG = [
    # (text, lang_platform, expected lang, expected score is None, why)
    (ARABIC, "ar", "ar", False, "detected: our code and score"),
    (ARABIC, "en", "ar", False, "detected: our code wins over the platform's"),
    ("ok", "en", "en", True, "too short: the platform's code, score None"),
    ("ok", "in", "id", True, "platform code made ISO (X's 'in' is Indonesian)"),
    ("ok", "und", "und", False, "too short and platform undetermined: und"),
    ("ok", "qme", "und", False, "X's private code is not a language"),
    ("ok", None, "und", False, "no platform code"),
    (None, "fr", "fr", True, "no text at all"),
]


@pytest.mark.parametrize(("text", "platform", "lang", "score_none", "why"), LANG)
def test_language(
    text: str | None, platform: str | None, lang: str, score_none: bool, why: str
) -> None:
    (out,) = enrich_posts([_post(text=text, lang_platform=platform)])
    assert out.lang == lang, why
    assert (out.lang_score is None) is score_none, why
    if lang == "und":
        assert out.lang_score == 0.0


def test_no_text() -> None:
    (out,) = enrich_posts([_post(text=None, client="  ")])
    assert out.text_norm is None
    assert (out.hashtags, out.mentions, out.urls, out.domains) == ((), (), (), ())
    assert out.client is None


def test_batch_order_and_new_objects() -> None:
    posts = [_post(str(i), text=f"post number {i} #tag{i % 3}") for i in range(20)]
    out = enrich_posts(posts)
    assert [p.native_id for p in out] == [p.native_id for p in posts]
    assert [p.hashtags for p in out] == [(f"tag{i % 3}",) for i in range(20)]
    assert all(a is not b for a, b in zip(posts, out, strict=True))
    assert all(p.text_norm is None for p in posts)  # inputs untouched
    assert enrich_posts([]) == []


def test_idempotent_and_deterministic() -> None:
    posts = [
        _post("1", text=ARABIC, hashtags=("بيان_رسمي",), client=ANDROID),
        _post("2", text="RT @a: see https://t.co/abcdefghij #été", lang_platform="fr"),
        _post("3", text="ok", lang_platform="en", urls=("HTTP://Example.com:80/",)),
    ]
    once = enrich_posts(posts)
    assert enrich_posts(once) == once
    assert enrich_posts(posts) == once


def test_pipeline_stores_enriched_posts(tmp_path: Path) -> None:
    """ingest_file runs enrich_posts: the store holds the derived fields."""
    path = tmp_path / "posts.jsonl"
    path.write_text(
        '{"type": "post", "platform": "x", "native_id": "10", '
        '"text": "Bonjour à tous, belle journée d\'été #Été https://Example.com/?utm_source=a", '
        '"client": "<a href=\\"https://example.com\\">Some App</a>"}\n',
        encoding="utf-8",
    )
    with DuckDBStore(tmp_path / "ws") as store:
        ingest_file(store, path, fmt="marsad-jsonl")
        rows = store.query("SELECT text_norm, hashtags, urls, domains, lang, client FROM posts")
    assert rows == [
        (
            "bonjour à tous, belle journée d'été #été https://example.com/?utm_source=a",
            ["été"],
            ["https://example.com/"],
            ["example.com"],
            "fr",
            "Some App",
        )
    ]
