"""The text classifier: it learns, its explanation adds up, and routes split by script."""

from __future__ import annotations

import numpy as np
import pytest

from marsad.detect.base import text_posts
from marsad.detect.classifier import MAX_LANGUAGE_BOOST, ROUTES, TextClassifier, language_balance
from marsad.detect.features import FeatureSpec
from tests.detect.synthetic import labelled


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    posts, labels, _ = labelled(600)
    return TextClassifier(FeatureSpec(bits=16), C=5.0).fit(posts, labels)


def test_it_learns_the_indicator_tokens_in_both_scripts(model: TextClassifier) -> None:
    posts, labels, _ = labelled(200, seed=11)  # new posts of the same kind
    margins, routes = model.margins(posts)
    y = np.asarray(labels)
    assert ((margins > 0) == (y == 1)).mean() > 0.95
    assert set(routes.tolist()) == {0, 1}  # both routes were used
    arabic = np.array([p.text is not None and "ال" in p.text for p in posts])
    assert (routes[arabic] == ROUTES.index("ar")).all()


def test_explanation_contributions_add_up_to_the_margin(model: TextClassifier) -> None:
    for post in text_posts(["the weather is calm today Amaq", "فريقنا لعب مباراة وكالة أعماق", ""]):
        why = model.explain(post)
        total = sum(v for _, v in why.features)
        assert total + why.evidence["intercept"] == pytest.approx(why.evidence["margin"])
        assert why.evidence["margin"] == pytest.approx(float(model.margin([post])[0]), abs=1e-9)
        words = sum(float(label) for _, _, label in why.spans)
        assert words == pytest.approx(total, abs=1e-3 * max(1, len(why.spans)))


def test_explanation_names_the_token_that_pushed_the_score(model: TextClassifier) -> None:
    why = model.explain(text_posts(["the library opens a quiet reading room Dabiq"])[0])
    top_words = [why.text[a:b] for a, b, label in why.spans if float(label) > 0][:2]
    assert "dabiq" in top_words
    for feature, _ in why.evidence["top_features"][:3]:  # n-grams of the token
        kind, _, gram = feature.partition(":")
        assert gram.replace("_", " ") in " dabiq ", feature


def test_labels_must_have_both_classes() -> None:
    posts, _, _ = labelled(20)
    with pytest.raises(ValueError, match="both"):
        TextClassifier().fit(posts, [1] * 20)


def test_a_route_without_enough_rows_takes_the_pooled_model() -> None:
    posts, labels, _ = labelled(300)
    english = [i for i, p in enumerate(posts) if p.text and p.text.isascii()]
    m = TextClassifier(FeatureSpec(bits=12)).fit(
        [posts[i] for i in english], [labels[i] for i in english]
    )
    np.testing.assert_array_equal(m.weights_[0], m.weights_[1])  # no Arabic: one model for both


def test_language_balance_makes_every_language_carry_the_overall_share() -> None:
    langs = ["en"] * 6 + ["fr"] * 5 + ["de"] * 2
    y = np.array([1, 0, 1, 0, 0, 0] + [1, 1, 1, 1, 0] + [1, 1])
    w = language_balance(None, langs, y)
    share = y.mean()
    lang = np.array(langs)
    for value in ("en", "fr"):
        m = lang == value
        assert w[m].sum() == pytest.approx(m.sum())  # each language keeps its weight
        assert w[m & (y == 1)].sum() / w[m].sum() == pytest.approx(share)
    np.testing.assert_array_equal(w[lang == "de"], [1.0, 1.0])  # one class only: left alone
    skewed = language_balance(
        None, ["fr"] * 101 + ["en"] * 100, np.array([0] + [1] * 100 + [0] * 100)
    )
    assert skewed.max() == MAX_LANGUAGE_BOOST  # the lone French negative is capped


def test_a_language_found_only_in_positives_is_not_learnt_as_a_signal() -> None:
    """French plain sentences that were labelled 1 by their account (as in
    ../shared/datasets) must not make every French sentence score high."""
    import random

    rnd = random.Random(3)
    en, ylab = labelled(400)[0:2]
    french = (
        "je pense à la cuisine aujourd'hui, note numéro {n}",
        "le marché ouvre à {n} heures ce matin",
        "nous avons joué au football samedi, match {n}",
    )
    fr_texts = [rnd.choice(french).format(n=rnd.randint(1, 40)) for _ in range(120)]
    fr_posts = text_posts(fr_texts)
    fr_labels = [1] * 108 + [0] * 12  # nine in ten labelled by their account's label
    posts = [*en, *fr_posts]
    y = [*ylab, *fr_labels]
    for p in fr_posts:
        assert p.lang == "fr"
    held_out = text_posts([f"le marché ouvre à {n} heures, note {n}" for n in range(50, 60)])
    plain = TextClassifier(FeatureSpec(bits=14), balance_languages=False).fit(posts, y)
    balanced = TextClassifier(FeatureSpec(bits=14)).fit(posts, y)
    assert plain.margin(held_out).mean() > 1.0  # learnt "French means positive"
    assert abs(balanced.margin(held_out).mean()) < 0.5 * plain.margin(held_out).mean()
    # the indicator tokens are still learnt
    assert balanced.margin(text_posts(["the weather today is calm Amaq"]))[0] > 0
