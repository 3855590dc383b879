"""Compare marsad's language-identification backends on platform-labelled X posts.

Figure for ``docs/language-id.md``.  Reads (never copies, never prints) the X
fixtures under ``../shared/fixtures``:

* ``x_api_v1_isis_hashtags_2017/TT-TEST.jsonl.gz`` -- X API v1.1 tweets with
  X's own ``lang``; text is ``extended_tweet.full_text`` when present, else ``text``;
* ``x_api_v2_twarc/*.jsonl`` -- X API v2 tweets (paged ``data``/``includes``
  lines and flattened lines), de-duplicated by tweet id.

Posts whose platform label is not a language (``und``, ``zxx``, ``qme``, ``qht``
...; see :func:`marsad.text.lang.platform_lang`) are left out.  X's label is
itself a model's output, so "agreement" is agreement with X, not accuracy
against human judgement.

For each backend (through :func:`marsad.text.lang.detect_languages`, so with
the same cleaning and the same "und" rules) it prints, as markdown: coverage
(share not "und"), agreement on the posts it decided, agreement over all posts
(an "und" counts as a miss), per-language recall and precision for Arabic,
English and French, and throughput (posts/s of CPU time, best of 3, after
loading, normalisation and cleaning included).
``--sweep`` adds agreement by number of letters and by probability threshold,
the evidence for ``MIN_LETTERS`` and each backend's ``min_score``.

``--throughput`` also times the rest of the text stage on 50,000 synthetic,
neutral posts (Arabic, English and French templates with hashtags, mentions,
links, harakat and Arabic-Indic digits; every text distinct, so the language
identifier's de-duplication of reposts does not flatter the figure):
``normalize`` one text at a time, ``normalize_many``, ``detect_languages`` and
``enrich_posts`` on the batch (URL cache cleared before each run), by wall
clock and by CPU time.

    .venv/bin/python benchmarks/lang_id.py [--sweep] [--throughput]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from marsad.model import Post
from marsad.text.enrich import enrich_posts
from marsad.text.lang import (
    MIN_LETTERS,
    UNDETERMINED,
    FastTextIdentifier,
    LangidIdentifier,
    LanguageIdentifier,
    _letters,
    clean_for_language_id,
    detect_languages,
    platform_lang,
)
from marsad.text.normalize import normalize, normalize_many
from marsad.text.tokens import _canonical

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MARSAD_SHARED", ROOT.parent / "shared"))
V1 = SHARED / "fixtures/x_api_v1_isis_hashtags_2017/TT-TEST.jsonl.gz"
V2 = SHARED / "fixtures/x_api_v2_twarc"

Labelled = list[tuple[str, str]]  # (text, platform language)


def load_v1() -> Labelled:
    out = []
    with gzip.open(V1, "rt", encoding="utf-8") as fh:
        for line in fh:
            tweet = json.loads(line)
            text = (tweet.get("extended_tweet") or {}).get("full_text") or tweet.get("text")
            lang = platform_lang(tweet.get("lang"))
            if text and lang:
                out.append((text, lang))
    return out


def _v2_tweets(obj: object) -> Iterator[dict[str, Any]]:
    if not isinstance(obj, dict):
        return
    if "data" in obj:
        data = obj["data"]
        yield from (data if isinstance(data, list) else [data])
        includes = obj.get("includes")
        if isinstance(includes, dict):
            yield from includes.get("tweets", [])
    elif "text" in obj and "id" in obj:
        yield obj


def load_v2() -> Labelled:
    by_id: dict[str, tuple[str, str]] = {}
    for path in sorted(V2.glob("*.json*")):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue  # the fixture's deliberately malformed line
                for tweet in _v2_tweets(obj):
                    if not isinstance(tweet, dict):
                        continue
                    text, lang = tweet.get("text"), platform_lang(tweet.get("lang"))
                    if isinstance(text, str) and text and lang:
                        by_id[str(tweet.get("id"))] = (text, lang)
    return list(by_id.values())


def unique_texts(data: Labelled) -> Labelled:
    """One post per distinct cleaned text (retweets repeat a text many times)."""
    seen: dict[str, tuple[str, str]] = {}
    for text, lang in data:
        seen.setdefault(clean_for_language_id(normalize(text)), (text, lang))
    return list(seen.values())


def _rate(num: int, den: int) -> str:
    return f"{num / den:.1%}" if den else "–"


def evaluate(identifier: LanguageIdentifier, data: Labelled) -> dict[str, str]:
    texts = [t for t, _ in data]
    detect_languages(texts[:50], identifier=identifier)  # warm-up
    found = detect_languages(texts, identifier=identifier)
    _, cpu_rate = _best_rates(len(texts), lambda: detect_languages(texts, identifier=identifier))
    decided = [
        (ours, theirs)
        for (ours, _), (_, theirs) in zip(found, data, strict=True)
        if ours != UNDETERMINED
    ]
    agree = sum(ours == theirs for ours, theirs in decided)
    row = {
        "backend": identifier.name,
        "posts": str(len(data)),
        "coverage": _rate(len(decided), len(data)),
        "agree (decided)": _rate(agree, len(decided)),
        "agree (all)": _rate(agree, len(data)),
    }
    for lang in ("ar", "en", "fr"):
        theirs_n = sum(theirs == lang for _, theirs in data)
        hit = sum(o == lang and t == lang for (o, _), (_, t) in zip(found, data, strict=True))
        ours_n = sum(o == lang for o, _ in found)
        row[f"{lang} recall (n)"] = f"{_rate(hit, theirs_n)} ({theirs_n})"
        row[f"{lang} precision"] = _rate(hit, ours_n)
    row["posts/s (CPU)"] = f"{cpu_rate:,.0f}"
    return row


def markdown(rows: list[dict[str, str]]) -> str:
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r[h] for h in head) + " |" for r in rows]
    return "\n".join(lines)


def sweep(identifier: LanguageIdentifier, data: Labelled) -> str:
    """Agreement with X by letter count (no thresholds) and by probability threshold."""
    cleaned = [clean_for_language_id(normalize(t)) for t, _ in data]
    letters = [_letters(c) for c in cleaned]
    raw = detect_languages([t for t, _ in data], identifier=identifier, min_letters=1, min_score=0)
    buckets = [(1, 2), (3, 4), (5, 9), (10, 19), (20, 10**9)]
    rows = []
    for lo, hi in buckets:
        idx = [i for i, n in enumerate(letters) if lo <= n <= hi]
        agree = sum(raw[i][0] == data[i][1] for i in idx)
        label = f"{lo}–{hi}" if hi < 10**9 else f"≥{lo}"
        rows.append({"letters": label, "posts": str(len(idx)), "agree": _rate(agree, len(idx))})
    out = [f"### {identifier.name}: agreement by letters (no thresholds)", markdown(rows)]
    rows = []
    usable = [i for i, n in enumerate(letters) if n >= MIN_LETTERS]
    for threshold in (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7):
        kept = [i for i in usable if raw[i][1] >= threshold]
        agree = sum(raw[i][0] == data[i][1] for i in kept)
        rows.append(
            {
                f"min score (letters ≥ {MIN_LETTERS})": f"{threshold:.2f}",
                "coverage": _rate(len(kept), len(data)),
                "agree (decided)": _rate(agree, len(kept)),
                "agree (all)": _rate(agree, len(data)),
            }
        )
    out += [f"### {identifier.name}: agreement by probability threshold", markdown(rows)]
    return "\n\n".join(out)


_TEMPLATES = {
    "ar": [
        "أعلنت وزارة التعليم عن موعد بدء العام الدراسي الجديد",
        "الطقسُ اليومَ مشمسٌ مع رياحٍ خفيفةٍ في المساء",
        "تهانينا للفريق على الفوز في المباراة النهائية رقم ٣",
        "افتتاح معرض الكتاب في المدينة يوم ١٥ من الشهر المقبل",
    ],
    "en": [
        "The weather today is sunny with a light breeze in the evening",
        "Congratulations to the team on winning the final match",
        "The ministry announced the start date of the new school year",
    ],
    "fr": [
        "Le temps aujourd'hui est ensoleillé avec une légère brise le soir",
        "Félicitations à l'équipe pour la victoire en finale",
    ],
}
_TAGS = ["#مرحبا", "#بيان_رسمي", "#news", "#été", "#football", "#أخبار"]
_CLIENTS = [
    '<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>',
    "Twitter for iPhone",
    None,
]


def synthetic_posts(n: int, seed: int = 7) -> list[Post]:
    """*n* neutral synthetic posts, 60% Arabic, 25% English, 15% French."""
    rng = random.Random(seed)
    posts = []
    for i in range(n):
        lang = rng.choices(["ar", "en", "fr"], weights=[60, 25, 15])[0]
        parts = [rng.choice(_TEMPLATES[lang]), f"{i}"]  # the number makes every text distinct
        if rng.random() < 0.5:
            parts.append(rng.choice(_TAGS))
        if rng.random() < 0.3:
            parts.insert(0, f"@user_{rng.randint(1, 999)}")
        urls: tuple[str, ...] = ()
        if rng.random() < 0.4:
            parts.append(f"https://t.co/{i:010d}")
            urls = (f"https://www.example.com/page/{i % 100}?utm_source=x&id={i}",)
        posts.append(
            Post(
                platform="x",
                native_id=str(i),
                text=" ".join(parts),
                hashtags=("News",) if i % 7 == 0 else (),
                urls=urls,
                lang_platform=rng.choice([lang, "und"]),
                client=rng.choice(_CLIENTS),
            )
        )
    return posts


def _best_rates(n: int, run: Callable[[], object], repeat: int = 3) -> tuple[float, float]:
    """Posts/s by wall clock and by this process's CPU time, best of *repeat*.

    On a shared machine other processes steal wall-clock time; CPU time shows
    what one core does when it has the work to itself.
    """
    wall = cpu = float("inf")
    for _ in range(repeat):
        _canonical.cache_clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return n / wall, n / cpu


def throughput() -> str:
    posts = synthetic_posts(50_000)
    texts = [p.text or "" for p in posts]
    enrich_posts(posts[:100])  # load the model
    steps: list[tuple[str, Callable[[], object]]] = [
        ("normalize (one at a time)", lambda: [normalize(t) for t in texts]),
        ("normalize_many (batch)", lambda: normalize_many(texts)),
        ("detect_languages (batch, fastText)", lambda: detect_languages(texts)),
        ("enrich_posts (batch, everything)", lambda: enrich_posts(posts)),
    ]
    table = []
    for name, run in steps:
        wall, cpu = _best_rates(len(posts), run)
        table.append(
            {
                "step (50,000 synthetic posts, 1 core)": name,
                "posts/s (wall clock)": f"{wall:,.0f}",
                "posts/s (CPU time)": f"{cpu:,.0f}",
            }
        )
    return markdown(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sweep", action="store_true", help="also print threshold sweeps")
    parser.add_argument("--throughput", action="store_true", help="also time the text stage")
    args = parser.parse_args()
    if args.throughput:
        print("## Text stage throughput\n")
        print(f"load average before: {os.getloadavg()[0]:.2f}\n")
        print(throughput() + "\n")
    v1, v2 = load_v1(), load_v2()
    datasets = {
        "X v1.1 ISIS hashtags 2017, distinct texts": unique_texts(v1),
        "X v1.1 ISIS hashtags 2017, all posts": v1,
        "X v2 twarc fixtures, distinct texts": unique_texts(v2),
        "X v2 twarc fixtures, all posts": v2,
    }
    timings = {}
    backends: list[LanguageIdentifier] = []
    for cls in (FastTextIdentifier, LangidIdentifier):
        start = time.perf_counter()
        backends.append(cls())
        timings[cls.name] = time.perf_counter() - start
    scores = ", ".join(f"{b.name} {b.min_score}" for b in backends)
    print(f"thresholds: MIN_LETTERS={MIN_LETTERS}; min_score: {scores}\n")
    print("model load: " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()) + "\n")
    for title, data in datasets.items():
        print(f"## {title}\n")
        print(markdown([evaluate(b, data) for b in backends]) + "\n")
        if args.sweep and "distinct" in title:
            for b in backends:
                print(sweep(b, data) + "\n")


if __name__ == "__main__":
    main()
