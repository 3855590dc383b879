"""The policy: thresholds per language and author context, and its file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marsad.detect.policy import FLAG, PASS, Policy
from marsad.errors import ConfigError


@pytest.mark.parametrize(
    "lang, with_author, want",
    [
        ("ar", False, 0.6),  # the Arabic group
        ("ar", True, 0.4),  # ... with the author's context
        ("en", False, 0.9),  # the default group
        ("en", True, 0.7),
        ("fr", False, 0.8),  # its own entry
        ("fr", True, 0.8),  # no fr+author: its own entry before the group's context one
        (None, False, 0.9),  # language unknown: default
    ],
)
def test_threshold_lookup(lang: str | None, with_author: bool, want: float) -> None:
    p = Policy({"default": 0.9, "ar": 0.6, "ar+author": 0.4, "default+author": 0.7, "fr": 0.8})
    assert p.threshold(lang, with_author=with_author) == want


def test_decide() -> None:
    p = Policy({"default": 0.9})
    assert p.decide(0.9, "en") == FLAG and p.decide(0.89, "en") == PASS


@pytest.mark.parametrize(
    "content, words",
    [
        ('{"thresholds": {"ar": 0.5}}', "'default'"),
        ('{"thresholds": {"default": 1.5}}', "(0, 1]"),
        ('{"thresholds": {"default": true}}', "(0, 1]"),
        ('{"default": 0.5}', "expected"),
        ("not json", "not a JSON"),
    ],
)
def test_bad_policy_files(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "policy.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace("]", r"\]")):
        Policy.load(path)


def test_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"thresholds": {"default": 0.8, "ar": 0.7}}), encoding="utf-8")
    assert Policy.load(path).threshold("ar") == 0.7
