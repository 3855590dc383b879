"""Near-duplicate text signals (MinHash): the signature, what counts as a light
edit, the LSH index against the brute-force oracle, and the ``raw_text`` import.

Synthetic neutral text only (weather, sport, cooking; ``#example_tag``,
``Example Media``)."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marsad.hashing.base import BruteForceIndex
from marsad.hashing.text import (
    DEFAULT_DISTANCE,
    HEX_DIGITS,
    LSH_MIN_RECALL,
    MIN_SHINGLES,
    NUM_PERM,
    SHINGLE,
    TextMinHashIndex,
    TextMinHashSignal,
    _miss,
    clean_text,
    jaccard_from_distance,
    lsh_rows,
    shingles,
    text_signature,
    text_signatures,
)
from marsad.text.normalize import normalize

T = TextMinHashSignal

WEATHER = (
    "The weather in the northern valley stays mild this week, with light rain "
    "expected on Thursday evening and clear skies by the weekend."
)
SPORT = (
    "The football team of the northern valley won again this week, with a late "
    "goal on Thursday evening and a parade by the weekend."
)
COOKING = (
    "Slice the onions thinly, fry them slowly in olive oil until golden, then add "
    "the tomatoes and simmer for twenty minutes."
)
# "the weather in the northern valley is mild this week, and light rain is expected tomorrow"
ARABIC = "الطقس في الوادي الشمالي معتدل هذا الأسبوع، ومن المتوقع هطول أمطار خفيفة غدا"
# the same, with harakat, tatweel, other alef forms, alef maqsura and ta marbuta swaps
ARABIC_DECORATED = "الطَّقْسُ فِي الوَادِي الشَّمَالِيِّ مُعْتَدِلٌ هَـذَا الاسْبُوعِ، وَمِنَ المُتَوَقَّعِ هُطُولُ أَمْطَارٍ خَفِيفَهٍ غَـدًا"


def distance(a: str, b: str) -> int:
    sa, sb = text_signature(a), text_signature(b)
    assert sa is not None and sb is not None
    return T.compare(sa, sb)


# -- the signature -------------------------------------------------------------


def test_signature_is_datasketch_minhash_of_the_shingles() -> None:
    from datasketch import MinHash

    cleaned = clean_text(WEATHER)
    assert cleaned == (
        "the weather in the northern valley stays mild this week with light rain "
        "expected on thursday evening and clear skies by the weekend"
    )
    grams = {cleaned[i : i + 5] for i in range(len(cleaned) - 4)}
    assert shingles(WEATHER) == grams
    minhash = MinHash(num_perm=128, seed=1, scheme="affine32")
    minhash.update_batch([g.encode("utf-8") for g in sorted(grams)])
    expected = "".join(f"{int(v):08x}" for v in minhash.hashvalues)
    assert text_signature(WEATHER) == expected
    assert len(expected) == HEX_DIGITS == NUM_PERM * 8


def test_signature_is_pinned() -> None:
    """Any change of normalisation, cleaning or datasketch's hashing shows
    here: it changes every banked signature (module docstring)."""
    signature = text_signature(WEATHER)
    assert signature is not None
    assert signature[:32] == "000e7bde038ca59902da00d30426cc00"


def test_signature_is_the_same_in_another_process() -> None:
    code = (
        "import sys; from marsad.hashing.text import text_signature; "
        "sys.stdout.write(text_signature(sys.argv[1]) or '')"
    )
    for text in (WEATHER, ARABIC):
        out = subprocess.run(
            [sys.executable, "-c", code, text], capture_output=True, text=True, check=True
        ).stdout
        assert out == text_signature(text)


def test_batch_equals_one_at_a_time() -> None:
    texts = [WEATHER, SPORT, "too short", ARABIC_DECORATED, COOKING + " #example_tag"]
    assert text_signatures(texts) == [text_signature(t) for t in texts]
    assert text_signatures([]) == []


# -- cleaning ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("RT @example_user: Rain tomorrow!! https://t.co/abcdefghij", "rain tomorrow"),
        ("Rain #example_tag tomorrow #weather #news 2024", "rain example tag tomorrow"),
        ("Rain &amp; wind&rlm; at www.example.com/x today…", "rain wind at today"),
        ("Rain soooo heavy, hahaha ههههههه", "rain so heavy hahaha ه"),
        ("Mail @example_user or a@example.com", "mail or a example com"),
        ("كل شيء في المدينة", "كل شي في المدينه"),
    ],
)
def test_clean_text(text: str, cleaned: str) -> None:
    assert clean_text(text) == cleaned


# -- light edits match, other texts do not ---------------------------------------


LIGHT_EDITS = {
    "hashtag appended": WEATHER + " #example_tag",
    "hashtags appended": WEATHER + " #example_tag #weather_news #رياح",
    "link added": WEATHER + " https://example.com/news/123",
    "mention and RT": "RT @example_user: " + WEATHER,
    "mention inside": WEATHER.replace("with light", "with @example_user light"),
    "punctuation and emoji": WEATHER.replace(",", "!!!").replace(".", " 🌧️🌧️"),
    "case and spaces": "  " + WEATHER.upper().replace(" ", "   "),
    "a word changed": WEATHER.replace("Thursday", "Friday"),
    "a word dropped": WEATHER.replace(" light", ""),
    "two typos": WEATHER.replace("northern", "nothern").replace("weekend", "wekend"),
    "all at once": WEATHER.replace("Thursday", "Friday") + " #example_tag https://example.org/p",
}


@pytest.mark.parametrize("edit", sorted(LIGHT_EDITS))
def test_light_edits_match(edit: str) -> None:
    assert distance(WEATHER, LIGHT_EDITS[edit]) <= DEFAULT_DISTANCE


def test_decoration_free_edits_give_distance_zero() -> None:
    for edit in ("hashtag appended", "hashtags appended", "link added", "mention and RT"):
        assert distance(WEATHER, LIGHT_EDITS[edit]) == 0
    other_link = WEATHER + " https://example.com/news/456"
    assert distance(LIGHT_EDITS["link added"], other_link) == 0


def test_arabic_marks_and_letter_variants_give_distance_zero() -> None:
    assert clean_text(ARABIC) == clean_text(ARABIC_DECORATED)
    assert distance(ARABIC, ARABIC_DECORATED) == 0
    assert distance(ARABIC, ARABIC_DECORATED + " #مثال https://example.com") == 0
    # a changed word ("tomorrow" -> "tonight") still matches
    assert distance(ARABIC, ARABIC.replace("غدا", "الليلة")) <= DEFAULT_DISTANCE


def test_other_texts_do_not_match() -> None:
    # the same frame (place, week, Thursday evening, weekend), another message:
    # shares many words but is a different text
    assert distance(WEATHER, SPORT) > DEFAULT_DISTANCE + 20
    for a, b in ((WEATHER, COOKING), (SPORT, COOKING), (WEATHER, ARABIC)):
        assert distance(a, b) > 100
    # different texts that end with the same hashtags
    tail = " #example_tag #weather_news #valley"
    assert distance(WEATHER + tail, COOKING + tail) > 100
    # the same opening and ending around another message
    other = WEATHER.replace(
        "stays mild this week, with light rain expected on Thursday evening",
        "turns cold tonight, with snow and ice on the mountain roads",
    )
    assert distance(WEATHER, other) > DEFAULT_DISTANCE + 20


def test_estimated_jaccard() -> None:
    assert jaccard_from_distance(0) == 1.0
    assert jaccard_from_distance(NUM_PERM) == 0.0
    assert jaccard_from_distance(DEFAULT_DISTANCE) == pytest.approx(0.656, abs=1e-3)


# -- too short ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "thank you for the follow",  # 24 characters
        "#example_tag #weather #valley #rain #news #sport",  # hashtags only
        "@example_user https://example.com/a/very/long/path/of/a/link",
        "هههههههههههههههههههههههههههههههههههههههههههههههههه",
        "🌧️ !!! ... ??? 🌧️ !!! ... ??? 🌧️ !!! ... ???",
    ],
)
def test_too_short_texts_get_no_signature(text: str) -> None:
    assert text_signature(text) is None
    with pytest.raises(ValueError, match="too short"):
        T.from_threatexchange("raw_text", text)


def test_the_shortest_text_with_a_signature() -> None:
    text = "Rain is expected later tonight!"  # 30 characters cleaned, no repeated 5-gram
    assert len(clean_text(text)) == 30
    assert len(shingles(text)) == MIN_SHINGLES == 30 - SHINGLE + 1
    assert text_signature(text) is not None
    assert text_signature(text[:-2]) is None


# -- values ------------------------------------------------------------------------------


def test_validate() -> None:
    signature = text_signature(WEATHER)
    assert signature is not None
    assert T.validate(f"  {signature.upper()}\n") == signature


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "not hexadecimal"),
        ("xyz" + "0" * (HEX_DIGITS - 3), "not hexadecimal"),
        ("0" * 64, "1024 hex digits, got 64"),
        ("0" * (HEX_DIGITS + 8), "got 1032"),
        ("f" * HEX_DIGITS, "signature of no text"),
    ],
)
def test_bad_values_are_rejected(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        T.validate(value)


def test_compare_rejects_other_lengths() -> None:
    signature = text_signature(WEATHER)
    assert signature is not None
    with pytest.raises(ValueError, match="1024 hex digits"):
        T.compare(signature, signature[:-8])


def test_examples_are_valid_and_some_are_close() -> None:
    values = T.examples()
    assert len(values) >= 4
    assert [T.validate(v) for v in values] == values
    distances = [T.compare(a, b) for i, a in enumerate(values) for b in values[i + 1 :]]
    assert min(distances) <= T.default_threshold < max(distances)
    assert T.max_threshold == NUM_PERM


# -- python-threatexchange raw_text --------------------------------------------------


def test_raw_text_lines_import_as_signatures() -> None:
    from threatexchange.signal_type.raw_text import RawTextSignal

    assert RawTextSignal.get_name() in T.threatexchange_names
    line = f"raw_text {WEATHER}"  # a LocalFileSignalExchangeAPI line
    te_type, value = line.split(None, 1)
    signature = T.from_threatexchange(te_type, value)
    assert signature == text_signature(WEATHER)
    assert T.compare(signature, T.from_threatexchange("raw_text", LIGHT_EDITS["all at once"])) <= (
        DEFAULT_DISTANCE
    )
    # a line of the type itself holds a signature
    assert T.from_threatexchange(T.name, signature.upper()) == signature


# -- the index ------------------------------------------------------------------------------

SUBJECTS = [
    "the weather in the northern valley",
    "the city football team",
    "our neighbourhood cooking club",
    "the regional library",
    "the morning market by the river",
    "Example Media",
    "the school choir",
    "the mountain cycling race",
]
CLAUSES = [
    "light rain is expected on thursday evening",
    "the final match ended in a draw after extra time",
    "the new recipe needs two onions and a cup of lentils",
    "the roads stay open despite the strong wind",
    "tickets for the weekend concert sold out in an hour",
    "the river level rose slightly overnight",
    "volunteers painted the benches in the park",
    "the bakery opens early on market days",
    "a new reading room opened on the second floor",
    "the coach thanked the supporters after the game",
    "fresh figs and grapes arrived from the hills",
    "the evening sky cleared after the storm",
]
SWAPS = ["apple", "blue", "garden", "window", "coffee", "quiet", "music", "bridge"]


def _synthetic(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        clauses = rng.sample(CLAUSES, 3)
        out.append(f"{rng.choice(SUBJECTS)} reports that {', and '.join(clauses)}.")
    return out


def _edit(rng: random.Random, text: str) -> str:
    words = text.split()
    for _ in range(rng.choice([0, 1, 2, 3, 4, 6])):
        words[rng.randrange(len(words))] = rng.choice(SWAPS)
    return " ".join(words) + rng.choice(["", " #example_tag", " https://example.com/x"])


def test_index_finds_exactly_what_brute_force_finds() -> None:
    rng = random.Random(4)
    banked_texts = _synthetic(rng, 300)
    banked = [s for s in text_signatures(banked_texts) if s]
    query_texts = [_edit(rng, t) for t in rng.sample(banked_texts, 60)] + _synthetic(rng, 30)
    queries = [s for s in text_signatures(query_texts) if s]
    index = T.index(banked)
    assert isinstance(index, TextMinHashIndex)
    oracle = BruteForceIndex(T, banked)
    near_threshold = 0
    for threshold in (0, 20, DEFAULT_DISTANCE, 60, 90, 100, NUM_PERM):
        expected = sorted(oracle.search(queries, threshold))
        assert sorted(index.search(queries, threshold)) == expected, threshold
        near_threshold += sum(threshold - 10 < d <= threshold for _, _, d in expected)
    assert near_threshold > 100  # the searches were not all easy
    assert index.search(queries, -1) == []
    assert index.search([], DEFAULT_DISTANCE) == []
    assert T.index([]).search(queries, DEFAULT_DISTANCE) == []


def test_lsh_banding_keeps_the_recall_it_promises() -> None:
    assert lsh_rows(DEFAULT_DISTANCE) == 4
    assert lsh_rows(0) is not None and lsh_rows(NUM_PERM - 1) is None
    for threshold in range(0, NUM_PERM, 7):
        rows = lsh_rows(threshold)
        if rows is not None:
            assert 1 - _miss(threshold, rows) >= LSH_MIN_RECALL
            assert rows == 16 or 1 - _miss(threshold, rows + 1) < LSH_MIN_RECALL
    # pigeonhole: fewer differing values than bands are never missed
    assert _miss(31, 4) == 0.0
    assert _miss(32, 4) > 0.0


def test_miss_probability_agrees_with_simulation() -> None:
    rng = np.random.default_rng(0)
    d, rows = 60, 4
    trials = 20_000
    differing = np.argsort(rng.random((trials, NUM_PERM)), axis=1)[:, :d]
    hit = np.zeros((trials, NUM_PERM // rows), dtype=bool)
    np.put_along_axis(hit, differing // rows, True, axis=1)
    simulated = hit.all(axis=1).mean()
    assert simulated == pytest.approx(_miss(d, rows), abs=0.01)


# -- properties -----------------------------------------------------------------------------

ALPHABET = st.sampled_from(
    list("abcdefghij ABCXYZ 0123 #@_.,!:/ éàç")
    + list("ابتثجحدرسعفقلمنهوي ةىأإآءئؤ")
    + ["\u064e", "\u0650", "\u0651", "\u0640", "\u200f", "\u00a0", "\n", "ﻻ", "ｆ", "🌧"]
)
TEXTS = st.text(ALPHABET, min_size=0, max_size=160)


@settings(max_examples=150, deadline=None)
@given(TEXTS)
def test_signature_ignores_prior_normalisation(text: str) -> None:
    assert text_signature(normalize(text)) == text_signature(text)


@settings(max_examples=150, deadline=None)
@given(TEXTS, TEXTS)
def test_compare_is_a_symmetric_distance(a: str, b: str) -> None:
    a += " the weather in the northern valley stays mild"  # long enough to hash
    b += " the football team won the regional cup again"
    sa, sb = text_signature(a), text_signature(b)
    assert sa is not None and sb is not None
    assert T.compare(sa, sa) == 0
    assert T.compare(sa, sb) == T.compare(sb, sa)
    assert 0 <= T.compare(sa, sb) <= NUM_PERM
