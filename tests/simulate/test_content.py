"""The content rule: neutral template text and short indicator tokens, nothing violent.

A sanity check, not a proof: every text the simulator can write -- its
template tables and every post, name, bio and message of a run -- is searched
for a small deny-list of violent terms in the languages it writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import orjson
import pytest

from marsad.simulate import text as T
from tests.simulate.helpers import Sim

#: violent terms that must never appear (Latin-script words match whole words)
DENY = {
    "en": ["kill", "killed", "killing", "behead", "beheading", "bomb", "bombing", "explosive",
           "slaughter", "massacre", "weapon", "weapons", "attack", "martyr", "martyrdom",
           "suicide", "execution", "jihad", "mujahid", "kuffar", "infidel", "blood"],
    "fr": ["tuer", "tué", "bombe", "attentat", "massacre", "égorger", "martyr", "arme", "armes", "sang"],
    "de": ["töten", "bombe", "anschlag", "waffe", "märtyrer", "blut"],
    "tr": ["öldür", "bomba", "saldırı", "silah", "şehit"],
    "ru": ["убить", "бомба", "теракт", "оружие", "взрыв", "кровь"],
    "es": ["matar", "bomba", "atentado", "arma", "mártir", "sangre"],
    "id": ["bunuh", "bom", "serangan", "senjata", "syahid"],
    # Arabic: substrings (kill, slaughter, blow up, suicide bomber, weapon, martyr, jihad, infidels)
    "ar": ["قتل", "ذبح", "تفجير", "انتحاري", "سلاح", "شهيد", "استشهاد", "جهاد", "الكفار", "دماء"],
}  # fmt: skip
_LATIN = re.compile(
    r"\b(" + "|".join(re.escape(w) for k, ws in DENY.items() if k != "ar" for w in ws) + r")\b",
    re.IGNORECASE,
)


def _violent(text: str) -> list[str]:
    found = [m.group(0) for m in _LATIN.finditer(text)]
    return found + [w for w in DENY["ar"] if w in text]


#: the keys under which the exports hold words (the rest are ids, times, counts, URLs)
_WORDS = {"text", "name", "description", "location", "username", "handle", "display_name", "bio",
          "title", "from", "actor", "forwarded_from", "tag", "hashtags", "mentions", "evidence"}  # fmt: skip


def _strings(value: object, key: str = "text") -> Iterator[str]:
    if isinstance(value, str):
        if key in _WORDS:
            yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v, key)


@pytest.mark.parametrize(
    ("text", "hits"),
    [
        ("daily update 3 from Amaq #Amaq", []),  # neutral template text passes
        ("a bomb went off", ["bomb"]),  # a deny-listed English word is caught
        ("Bombing", ["Bombing"]),  # whatever its case
        ("bombastic music review", []),  # but not inside another word
        ("تم نشر التقرير رقم 4", []),  # neutral Arabic passes
        ("خبر عن تفجير", ["تفجير"]),  # Arabic terms match as substrings
    ],
)
def test_the_check_itself(text: str, hits: list[str]) -> None:
    assert _violent(text) == hits


def test_template_tables_are_clean() -> None:
    tables = [
        T.TEMPLATES,
        T.TOPICS,
        T.NEWS_TOPICS,
        T.BIOS,
        T.LOCATIONS,
        T.GIVEN,
        T.AR_GIVEN,
        T.WORDS,
    ]
    for table in tables:
        for s in _strings(table):
            assert not _violent(s), s


def test_every_written_text_is_clean(tiny: Sim) -> None:
    checked = 0
    for name in ("x_v2_tweets.jsonl", "x_v2_users.jsonl", "x_v2_followers.jsonl", "marsad.jsonl"):
        for obj in tiny.lines(name):
            for s in _strings(obj):
                assert not _violent(s), (name, s)
                checked += 1
    export = orjson.loads((tiny.out / "telegram" / "result.json").read_bytes())
    for s in _strings(export):
        assert not _violent(s), ("result.json", s)
        checked += 1
    assert checked > 5_000


@pytest.mark.parametrize("lang", T.LANGUAGES)
def test_every_language_has_every_template(lang: str) -> None:
    for kind, by_lang in T.TEMPLATES.items():
        assert by_lang.get(lang), f"no {kind} template in {lang}"
    assert len(T.TOPICS[lang]) == len(T.TOPIC_TAGS) == len(T.NEWS_TOPICS[lang]) == len(T.NEWS_TAGS)
    assert all(v.count("|@|") == 1 for v in T.TEMPLATES["shoutout"][lang])
