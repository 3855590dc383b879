"""Scripture quotations: found in Arabic and English, not in ordinary text."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from marsad.detect import context
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> context.ScriptureIndex:
    if not context.sources():
        pytest.skip("no scripture package installed")
    return context.ScriptureIndex.build()


# (text, lowest share, highest share, why)
CASES = [
    (
        "الحمد لله رب العالمين الرحمن الرحيم مالك يوم الدين اياك نعبد واياك نستعين",
        0.9,
        1.0,
        "Al-Fatiha 2-5",
    ),
    ("ٱلْحَمْدُ لِلَّهِ رَبِّ ٱلْعَٰلَمِينَ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ مَٰلِكِ يَوْمِ ٱلدِّينِ", 0.9, 1.0, "with harakat"),
    ("قل هو الله احد الله الصمد لم يلد ولم يولد ولم يكن له كفوا احد", 0.9, 1.0, "Al-Ikhlas"),
    (
        "Say, He is Allah, [who is] One, Allah, the Eternal Refuge. He neither begets nor is born",
        0.9,
        1.0,
        "Al-Ikhlas, Sahih International",
    ),
    ("بسم الله الرحمن الرحيم", 0.0, 0.0, "the basmala alone is a formula, not a quotation"),
    ("ذهبت الى السوق اليوم واشتريت الخبز والحليب مع اخي الصغير", 0.0, 0.0, "ordinary Arabic"),
    ("the weather is nice today and I am going to the market with my friends", 0.0, 0.0, "English"),
    ("", 0.0, 0.0, "empty"),
]


@pytest.mark.parametrize("text, lo, hi, why", CASES)
def test_cases(index: context.ScriptureIndex, text: str, lo: float, hi: float, why: str) -> None:
    share = float(index.share([text])[0])
    assert lo <= share <= hi, why


def test_a_quotation_inside_other_words_counts_only_its_words(
    index: context.ScriptureIndex,
) -> None:
    verse = "قل هو الله احد الله الصمد"
    text = f"كتب صديقي اليوم في الصباح {verse} ثم ذهب الى العمل"
    share = float(index.share([text])[0])
    assert share == pytest.approx(6 / len(text.split()))


def test_batch_equals_one_by_one(index: context.ScriptureIndex) -> None:
    texts = [c[0] for c in CASES]
    np.testing.assert_array_equal(index.share(texts), [index.share([t])[0] for t in texts])


def test_cache_round_trip_without_pickle(index: context.ScriptureIndex, tmp_path: Path) -> None:
    path = tmp_path / "idx.npz"
    index.save(path)
    loaded = context.ScriptureIndex.load(path)
    np.testing.assert_array_equal(loaded.ar, index.ar)
    texts = [c[0] for c in CASES]
    np.testing.assert_array_equal(loaded.share(texts), index.share(texts))


def test_general_tweets_are_almost_never_scripture(index: context.ScriptureIndex) -> None:
    path = shared_file("datasets/general_tweets_negative.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        texts = [r["text"] for r in csv.DictReader(fh)]
    share = index.share(texts)
    assert (share >= 0.5).sum() <= 3  # of 11,512 (measured: 2, one a real verse)
