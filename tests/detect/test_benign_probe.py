"""The benign probe set: ordinary posts the shipped model must leave alone.

``tests/data/benign_probe/benign_probe.csv`` holds common, benign posts in
Arabic, English and French written for the purpose (greetings, religious
greetings, du'a, condolences, news headlines, sport, weather, series, "watch"
captions, charity appeals, everyday life, ordinary politics; its README says
more).  Scored on their text alone, at most 0.5% of them may reach their
language's threshold (issue 16: detection that holds on a real stream), and
none of the short texts a user reported as wrongly flagged may.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from marsad.detect.base import text_posts
from marsad.detect.scorer import RiskScorer

PROBE = Path(__file__).resolve().parents[1] / "data" / "benign_probe" / "benign_probe.csv"
LANGS = ("ar", "en", "fr")
CATEGORIES = (
    "greeting",
    "religious_greeting",
    "prayer",
    "condolence",
    "headline",
    "sport",
    "weather",
    "series_tv",
    "watch_photos",
    "humanitarian",
    "everyday",
    "politics",
)
# the texts issue 16 reported as flagged (reported.txt; benchmarks/stream.py reads
# it too): each must stay under its threshold
REPORTED = tuple(
    line
    for line in PROBE.with_name("reported.txt").read_text(encoding="utf-8").splitlines()
    if line
)
#: the share of the probe that may be flagged on text alone
MAX_FLAGGED_SHARE = 0.005


def _rows() -> list[dict[str, str]]:
    with PROBE.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


ROWS = _rows()


@dataclass(frozen=True)
class Scored:
    id: str
    risk: float
    threshold: float

    @property
    def flagged(self) -> bool:
        return self.risk >= self.threshold

    def __str__(self) -> str:
        return f"{self.id} (risk {self.risk:.3f} >= {self.threshold:.3f})"


@pytest.fixture(scope="module")
def scored() -> dict[str, Scored]:
    """Each probe post's text risk and the threshold of its detected language
    (no author context), by id."""
    scorer = RiskScorer()
    policy = scorer.policy()
    posts = text_posts([r["text"] for r in ROWS], ids=[r["id"] for r in ROWS])
    risk = scorer.score(posts)
    return {
        row["id"]: Scored(row["id"], float(r), policy.threshold(post.lang))
        for row, post, r in zip(ROWS, posts, risk, strict=True)
    }


def test_the_probe_has_its_shape() -> None:
    assert list(ROWS[0]) == ["id", "lang", "category", "text"]
    assert len(ROWS) >= 300
    per_lang = Counter(r["lang"] for r in ROWS)
    assert set(per_lang) == set(LANGS)
    assert all(per_lang[lang] >= 100 for lang in LANGS), per_lang
    cells = Counter((r["lang"], r["category"]) for r in ROWS)
    missing = [(lang, c) for lang in LANGS for c in CATEGORIES if cells[lang, c] < 3]
    assert not missing, f"fewer than 3 posts in {missing}"
    assert {r["category"] for r in ROWS} == set(CATEGORIES)
    ids = [r["id"] for r in ROWS]
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]
    texts = [r["text"] for r in ROWS]
    assert all(t.strip() == t and t for t in texts)
    assert len(set(texts)) == len(texts), "a text appears twice"
    for r in ROWS:
        assert r["id"].startswith(f"{r['lang']}-{r['category'].replace('_', '-')}-"), r["id"]
    assert set(REPORTED) <= set(texts)


def test_at_most_half_a_percent_of_the_probe_is_flagged(scored: dict[str, Scored]) -> None:
    flagged = [s for s in scored.values() if s.flagged]
    allowed = int(MAX_FLAGGED_SHARE * len(scored))
    assert len(flagged) <= allowed, (
        f"{len(flagged)} of {len(scored)} benign probe posts flagged on text alone "
        f"(at most {allowed}): " + ", ".join(map(str, flagged))
    )


@pytest.mark.parametrize("text", REPORTED, ids=[f"reported-{i}" for i in range(len(REPORTED))])
def test_a_reported_false_positive_is_not_flagged(scored: dict[str, Scored], text: str) -> None:
    row = next((r for r in ROWS if r["text"] == text), None)
    assert row is not None, "a reported text is missing from the probe"
    s = scored[row["id"]]
    assert not s.flagged, f"flagged: {s}"
