"""Model files: round trip, and nothing but a marsad safetensors model is ever loaded.

A model file may come from anywhere (a colleague, a download, an attacker):
loading it must never run code.  Pickle runs code by design, so a pickle --
or anything that is not a marsad safetensors model -- is refused before any
of it is interpreted.
"""

from __future__ import annotations

import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from marsad.detect.base import text_posts
from marsad.detect.classifier import TextClassifier
from marsad.detect.features import FeatureSpec
from marsad.errors import BadModel
from tests.detect.synthetic import labelled


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    posts, labels, _ = labelled(300)
    return TextClassifier(FeatureSpec(bits=14), C=5.0).fit(posts, labels)


def test_round_trip_scores_alike(model: TextClassifier, tmp_path: Path) -> None:
    posts, _, _ = labelled(60, seed=9)
    path = model.save(tmp_path / "m.safetensors", meta={"note": "test"})
    loaded = TextClassifier.load(path)
    assert loaded.version == model.version
    assert loaded.meta_ == {"note": "test"}
    np.testing.assert_array_equal(loaded.margin(posts), model.margin(posts))
    assert loaded.language_support_ == model.language_support_
    assert not list(tmp_path.glob("*.tmp"))  # written atomically, nothing left behind


def test_language_support_is_counted_and_decides_what_counts(model: TextClassifier) -> None:
    posts, labels, _ = labelled(300)
    langs = [p.lang or "und" for p in posts]
    for lang, (neg, pos) in model.language_support_.items():
        assert neg == sum(1 for g, y in zip(langs, labels, strict=True) if g == lang and y == 0)
        assert pos == sum(1 for g, y in zip(langs, labels, strict=True) if g == lang and y == 1)
    assert model.language_support_["en"] == (100, 100)
    known = model.supported(text_posts(["the market opens at nine", "le marché ouvre à neuf"]))
    assert known.tolist() == [True, False]  # no French at all in training


def test_a_model_saved_without_language_support_counts_every_language(
    model: TextClassifier, tmp_path: Path
) -> None:
    path = model.save(tmp_path / "m.safetensors")
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    marsad = json.loads(header["__metadata__"]["marsad"])
    del marsad["language_support"]
    header["__metadata__"]["marsad"] = json.dumps(marsad)
    body = json.dumps(header).encode()
    body += b" " * (-len(body) % 8)
    path.write_bytes(struct.pack("<Q", len(body)) + body + raw[8 + n :])
    old = TextClassifier.load(path)
    assert old.language_support_ == {}
    assert old.supported(text_posts(["le marché ouvre à neuf"])).tolist() == [True]


class _Payload:
    """Unpickling this runs ``os.system`` -- the attack pickle allows."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_is_refused_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "model.safetensors"
    evil.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(BadModel, match="pickle"):
        TextClassifier.load(evil)
    assert not marker.exists()
    # the check is real: unpickling the same bytes does run the payload
    pickle.loads(evil.read_bytes())  # noqa: S301 -- proving the payload is live
    assert marker.exists()


def _safetensors(path: Path, header: dict[str, object], body: bytes = b"") -> Path:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + body)
    return path


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: p.write_bytes(b""), "only 0 bytes"),  # empty
        (lambda p: p.write_bytes(b"\x00" * 100), "not a safetensors file"),  # zeros
        (
            lambda p: zipfile.ZipFile(p, "w").writestr("data.pkl", b"x"),
            "not a safetensors",
        ),  # torch zip
        (
            lambda p: p.write_bytes(struct.pack("<Q", 1 << 40) + b"{}"),
            "not a safetensors",
        ),  # huge header
        (lambda p: _safetensors(p, {"__metadata__": {"x": "y"}}), "not a marsad model"),  # foreign
        (
            lambda p: _safetensors(
                p, {"__metadata__": {"marsad": json.dumps({"format": "other"})}}
            ),
            "not a marsad-text-classifier",
        ),
    ],
)
def test_anything_else_is_refused_with_a_clear_message(
    tmp_path: Path, make: object, words: str
) -> None:
    path = tmp_path / "m.safetensors"
    make(path)  # type: ignore[operator]
    with pytest.raises(BadModel, match=words) as info:
        TextClassifier.load(path)
    assert str(path) in str(info.value)


def test_altered_weights_are_refused(model: TextClassifier, tmp_path: Path) -> None:
    path = model.save(tmp_path / "m.safetensors")
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # one byte of the last tensor
    path.write_bytes(bytes(data))
    with pytest.raises(BadModel, match="altered|damaged|non-finite"):
        TextClassifier.load(path)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BadModel, match="cannot read"):
        TextClassifier.load(tmp_path / "nope.safetensors")


def test_the_risk_version_changes_with_the_combination_not_the_thresholds() -> None:
    """A retrained model with the same classifier weights but other risk
    stages scores differently: ``marsad scan`` must score again."""
    import copy

    from marsad.detect.classifier import TextClassifier
    from marsad.detect.risk import RiskModel
    from marsad.detect.scorer import RiskScorer

    model = TextClassifier.load()
    other = copy.deepcopy(model)
    other.risk_author_ = RiskModel(("text_logit", "author_z"), 0.0, (1.0, 1.0))
    assert RiskScorer(other).version != RiskScorer(model).version
    same = copy.deepcopy(model)
    same.thresholds_ = {k: 0.5 for k in model.thresholds_}
    assert RiskScorer(same).version == RiskScorer(model).version
