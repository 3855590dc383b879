"""The packaged default model: it loads without pickle, its card matches it,
and it does not flag posts for their form or for being religious."""

from __future__ import annotations

from pathlib import Path

import pytest

from marsad.detect.base import text_posts
from marsad.detect.classifier import TextClassifier, default_model_path
from marsad.detect.scorer import RiskScorer


@pytest.fixture(scope="module")
def scorer() -> RiskScorer:
    return RiskScorer(TextClassifier.load())


def test_it_loads_and_its_card_is_its_own(scorer: RiskScorer) -> None:
    model = scorer.model_
    card = default_model_path().with_suffix(".md").read_text(encoding="utf-8")
    assert model.model_version_ in card.splitlines()[0]
    docs = Path(__file__).resolve().parents[2] / "docs" / "model-card.md"
    assert docs.read_text(encoding="utf-8") == card  # docs/ repeats the packaged card
    assert {"ar", "default", "ar+author", "default+author"} <= set(model.thresholds_)


# (text, why it must stay under the threshold of its language)
BENIGN = [
    ("https://t.co/abc123 https://t.co/def456", "links alone"),
    ("@someone @another 😀😀", "mentions and emoji alone"),
    ("The weather is fine today and the market opens at nine.", "neutral English"),
    ("الطقس جميل اليوم والسوق يفتح في التاسعة", "neutral Arabic"),
    ("Il fait beau aujourd'hui et le marché ouvre à neuf heures.", "neutral French"),
    (
        "الحمد لله رب العالمين الرحمن الرحيم مالك يوم الدين اياك نعبد واياك نستعين "
        "اهدنا الصراط المستقيم",
        "Al-Fatiha, quoted: scripture is not extremism",
    ),
]


@pytest.mark.parametrize("text, why", BENIGN)
def test_benign_posts_stay_under_the_threshold(scorer: RiskScorer, text: str, why: str) -> None:
    post = text_posts([text])[0]
    risk = float(scorer.score([post])[0])
    assert risk < scorer.policy().threshold(post.lang), why


def test_explains_a_post(scorer: RiskScorer) -> None:
    why = scorer.explain(text_posts(["Amaq reports from the front #AllEyesOnISIS"])[0])
    assert set(why.evidence["matched"]) == {"all_eyes_on_isis", "amaq"}
    assert why.evidence["top_features"]


def test_french_is_scored_by_what_it_says_not_for_being_french(scorer: RiskScorer) -> None:
    """The labelled files hold 579 French positives and 48 negatives; the
    benign stream adds some 3,000 ordinary French posts, so the classifier
    counts in French now -- and plain French stays under the threshold."""
    model = scorer.model_
    neg, pos = model.language_support_["fr"]
    assert neg > 2000 and pos == 579
    plain = text_posts(
        ["je pense encore à la cuisine aujourd'hui, note numéro 3", "merci pour le partage"]
    )
    assert all(p.lang == "fr" for p in plain)
    risk, evidence = scorer.scored(plain)
    assert all("classifier_counted" not in ev for ev in evidence)
    assert (risk < scorer.policy().threshold("fr")).all()
    # an outlet's name is evidence the risk keeps (the indicators)
    _, found = scorer.scored(text_posts(["Amaq annonce aujourd'hui #AllEyesOnISIS"]))
    assert {"amaq", "all_eyes_on_isis"} <= set(found[0]["matched"])


@pytest.mark.parametrize("text", ["breaking", "Breaking news", "خبر عاجل", "جمعة مباركة"])
def test_too_little_text_is_said_and_scores_near_no_evidence(scorer: RiskScorer, text: str) -> None:
    """A post of one or two words carries little evidence whatever the
    classifier thinks of them: its log-odds are shrunk, the explanation says
    so, and it is not flagged (issue 16)."""
    post = text_posts([text])[0]
    c = scorer.components([post])
    assert c.known_words[0] <= 2
    assert c.evidence[0] <= 0.4
    assert scorer.evidence([post], c.text_risk)[0]["too_little_text"] is True
    assert c.text_risk[0] < scorer.policy().threshold(post.lang)
