"""The held-out scripture set (issue 16): quotations of the Qur'an and Hadith,
Arabic and English, made at run time from the installed source packages and
formatted as posts are.  They are recognised as quotations, and the shipped
risk score flags at most 2% of them (``benchmarks/scripture.py`` measures
the same at full size and per source; BENCHMARKS.md)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from marsad.detect import context
from marsad.detect.base import text_posts
from marsad.detect.risk import SCRIPTURE_MIN_SHARE

#: a seed none of the measurements in the notes used
SEED = 16
N = 300  # posts a language


def require(lang: str) -> None:
    """Skip (fail in CI) unless every source package of *lang* is installed."""
    installed = context.sources()
    missing = sorted({s.dist for s in context.SOURCES if s.lang == lang} - set(installed))
    if missing:
        message = f"scripture packages not installed: {', '.join(missing)}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def index() -> context.ScriptureIndex:
    return context.default_index()


def indexed_samples(lang: str, n: int = N, seed: int = SEED) -> list[context.ScriptureSample]:
    keys = [s.key for s in context.SOURCES if s.lang == lang and s.indexed]
    return context.scripture_samples(n, seed=seed, lang=lang, sources=keys)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_set_is_the_same_for_the_same_seed(lang: str) -> None:
    require(lang)
    first = context.scripture_samples(60, seed=SEED, lang=lang)
    assert first == context.scripture_samples(60, seed=SEED, lang=lang)
    assert first != context.scripture_samples(60, seed=SEED + 1, lang=lang)
    assert {s.lang for s in first} == {lang}
    assert {s.kind for s in first} == {"quran", "hadith"}
    # several sources, held-out ones among them, and every way of posting
    assert len({s.source for s in first}) >= 5
    forms = {
        f for s in context.scripture_samples(400, seed=SEED, lang=lang) for f in s.form.split("+")
    }
    assert forms >= set(context.FORMS) - {"plain", "brackets_removed"}


def test_every_form_can_be_asked_for_alone() -> None:
    require("en")
    for form in context.FORMS:
        samples = context.scripture_samples(20, seed=SEED, lang="en", form=form)
        assert all(s.form in (form, "plain") for s in samples), form
    with pytest.raises(ValueError, match="unknown form"):
        context.scripture_samples(1, form="sung")


# measured at seed 16, 300 posts a language (index of all the sources):
# Arabic mean 0.992, 99.3% at 0.5 or more; English mean 0.983, 99.0%
@pytest.mark.parametrize("lang, mean, at_rule", [("ar", 0.95, 0.97), ("en", 0.93, 0.96)])
def test_quotations_are_recognised(
    index: context.ScriptureIndex, lang: str, mean: float, at_rule: float
) -> None:
    require(lang)
    share = index.share([s.text for s in indexed_samples(lang)])
    assert share.mean() >= mean
    assert (share >= SCRIPTURE_MIN_SHARE).mean() >= at_rule


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_each_way_of_posting_is_recognised(index: context.ScriptureIndex, lang: str) -> None:
    require(lang)
    keys = [s.key for s in context.SOURCES if s.lang == lang and s.indexed]
    for form in context.FORMS:
        samples = context.scripture_samples(60, seed=SEED, lang=lang, form=form, sources=keys)
        share = index.share([s.text for s in samples])
        # measured: every form's mean 0.98 or more in both languages
        assert share.mean() >= 0.85, form


def test_the_shipped_model_flags_at_most_2_percent() -> None:
    require("ar")
    require("en")
    from marsad.detect.scorer import RiskScorer

    scorer = RiskScorer()
    policy = scorer.policy()
    for lang in ("ar", "en"):
        posts = text_posts([s.text for s in indexed_samples(lang, seed=SEED + 100)])
        risk = scorer.score(posts)
        flagged = risk >= np.array([policy.threshold(p.lang) for p in posts])
        # model 2ac4faaa9064 at seed 116: Arabic 0 of 300, English 2 of 300
        # (the sources held out of the index: Arabic 6 of 300, English 23)
        assert flagged.mean() <= 0.02, lang
