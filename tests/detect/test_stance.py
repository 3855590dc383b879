"""Stance cues (marsad.detect.stance) on neutral sentences written for these tests."""

from __future__ import annotations

import numpy as np
import pytest

from marsad.detect.stance import CUES, LEXICONS, stance_counts, stance_cues
from marsad.text.normalize import normalize_many


def cue(text: str, name: str) -> float:
    return float(stance_counts([text])[0, CUES.index(name)])


def test_every_cue_is_returned_as_a_float_array_per_text() -> None:
    out = stance_cues(["one post", "another post", ""])
    assert list(out) == list(CUES)
    for values in out.values():
        assert values.shape == (3,)
        assert values.dtype == np.float64


def test_empty_batch_and_empty_text() -> None:
    assert stance_counts([]).shape == (0, len(CUES))
    assert all(len(v) == 0 for v in stance_cues([]).values())
    assert not stance_counts([""]).any()
    assert not stance_counts(["   "]).any()


@pytest.mark.parametrize(
    "text",
    [
        "According to the ministry, the group claimed responsibility for the fire.",
        "The mayor said in a statement that the bridge will reopen.",
        "Sources say the talks were reportedly delayed.",
        "قالت الوزارة بحسب بيان رسمي إن الطريق مغلق",
        "وفقا للمصادر، أعلن المجلس عن الموعد",
        "نقلا عن مراسلنا",
        "Selon le ministère, le groupe a revendiqué l'incendie.",
        "D’après la police, la route est fermée.",
    ],
)
def test_attribution(text: str) -> None:
    assert cue(text, "attribution") > 0


@pytest.mark.parametrize(
    "text",
    [
        "We condemn this cowardly attack on innocent people.",
        "These murderers have nothing to do with Islam.",
        "يدين المجلس الهجوم الإرهابي",
        "الخوارج مجرمون",
        "Nous condamnons cet acte de barbarie.",
    ],
)
def test_condemnation(text: str) -> None:
    assert cue(text, "condemnation") > 0


def test_naming_outsiders_and_supporters() -> None:
    assert cue("Daesh lost the town", "outsider_name") > 0
    assert cue("ISIS and ISIL are the same group", "outsider_name") == 2
    assert cue("هزيمة داعش", "outsider_name") > 0
    assert cue("the Islamic State", "group_name") == 1
    assert cue("الدولة الإسلامية", "group_name") > 0
    # the press's and opponents' phrasings are not the supporters' name
    assert cue("the so-called Islamic State", "group_name") == 0
    assert cue("the so-called Islamic State", "outsider_name") > 0
    assert cue("Islamic State militants", "group_name") == 0
    assert cue("ما يسمى بالدولة الإسلامية", "group_name") == 0


def test_praise_enemy_terms_and_calls() -> None:
    assert cue("may Allah accept him", "praise") > 0
    assert cue("تقبله الله", "praise") > 0
    assert cue("the crusaders and the apostates", "enemy_terms") == 2
    assert cue("الصليبيين", "enemy_terms") > 0
    assert cue("O Muslims, rise up", "call") == 2
    assert cue("يا أيها الناس", "call") > 0
    assert cue("Rejoignez-nous", "call") > 0
    assert cue("you and your friends", "second_person") == 2


def test_quotes_and_questions() -> None:
    assert cue('He said "no" and «non»', "quote") == 4
    assert cue("it's the dog's bone", "quote") == 0  # apostrophes are not quotation marks
    assert cue("why? لماذا؟", "question") == 2
    assert cue("Breaking | City council", "news") == 2


def test_word_boundaries_and_prefixes() -> None:
    assert cue("crisis", "outsider_name") == 0  # "isis" inside a word
    assert cue("isis_fan", "outsider_name") == 0
    assert cue("#ISIS", "outsider_name") == 1
    assert cue("condemnation", "condemnation") == 1  # condemn* is a prefix entry
    assert cue("so - called", "outsider_name") == 1  # a run of non-word characters is one
    assert cue("ISIS\U0001f600ISIL", "outsider_name") == 2  # beyond the BMP: not a word character


def test_arabic_variants_match() -> None:
    # proclitics, alef and ta marbuta forms, harakat and tatweel
    assert cue("وبحسب", "attribution") > 0
    assert cue("للدولة الاسلامية", "group_name") > 0
    assert cue("الدوله الاسلاميه", "group_name") > 0
    assert cue("دَاعِش", "outsider_name") > 0
    assert cue("داعـــش", "outsider_name") > 0


def test_batch_equals_one_by_one() -> None:
    texts = [
        "According to the report, ISIS claimed the attack.",
        "",
        "قالت الوزارة إن داعش تبنى الهجوم",
        "Selon l'agence, l'État islamique a revendiqué",
        "you? “quoted”",
        "plain words about the weather",
    ]
    batch = stance_counts(texts)
    one = np.vstack([stance_counts([t]) for t in texts])
    assert np.array_equal(batch, one)


def test_normalized_input_gives_the_same_cues() -> None:
    texts = ["According to the ministry", "قالت الوزارة بحسب بيان", "Selon le ministère"]
    a = stance_cues(texts)
    b = stance_cues(normalize_many(texts), normalized=True)
    for name in CUES:
        assert np.array_equal(a[name], b[name])


def test_cues_are_log1p_of_counts() -> None:
    texts = ["ISIS ISIS ISIS", "nothing"]
    counts = stance_counts(texts)
    cues = stance_cues(texts)
    assert np.allclose(cues["outsider_name"], np.log1p(counts[:, CUES.index("outsider_name")]))
    assert cues["outsider_name"][0] == pytest.approx(np.log(4))


def test_lexicons_name_only_known_cues() -> None:
    assert set(LEXICONS) <= set(CUES)
    for entries in LEXICONS.values():
        assert all(e.strip() == e and e for e in entries)


def test_the_text_stage_reads_the_cues_it_was_fitted_with() -> None:
    import numpy as np

    from marsad.detect.risk import RiskModel, text_risk

    z, ind, scripture = np.zeros(2), np.zeros(2), np.zeros(2)
    cues = {"attribution": np.array([0.0, 1.0]), "praise": np.array([1.0, 0.0])}
    with_cue = RiskModel(("z", "indicators", "attribution"), 0.0, (1.0, 0.0, -2.0))
    r = text_risk(with_cue, z, ind, scripture, cues)
    assert r[0] == 0.5 and r[1] < 0.5  # only the cue it names moves it
    plain = RiskModel(("z", "indicators"), 0.0, (1.0, 0.0))
    assert (text_risk(plain, z, ind, scripture, cues) == 0.5).all()  # older models ignore them
    with pytest.raises(ValueError, match="attribution"):
        text_risk(with_cue, z, ind, scripture)  # a stage fitted with cues needs them
