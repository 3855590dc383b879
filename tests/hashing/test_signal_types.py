"""One conformance suite that every signal type passes (the contract of
marsad.hashing.base, as python-threatexchange's SignalTypeAutoTest)."""

from __future__ import annotations

import pytest

from marsad.cli import _SIGNAL_TYPES
from marsad.hashing.base import BruteForceIndex, SignalType
from marsad.hashing.registry import SIGNAL_TYPES, THREATEXCHANGE_NAMES, signal_type

TYPES = sorted(SIGNAL_TYPES.values(), key=lambda t: t.name)


def test_the_registry_and_the_cli_agree() -> None:
    assert set(_SIGNAL_TYPES) == set(SIGNAL_TYPES)
    assert all(signal_type(name).name == name for name in SIGNAL_TYPES)
    with pytest.raises(ValueError, match="unknown signal type"):
        signal_type("tmk")
    # each threatexchange name is read as one type
    assert len(THREATEXCHANGE_NAMES) == sum(len(t.threatexchange_names) for t in TYPES)


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.name)
def test_values_are_canonical_and_compare_as_a_distance(kind: type[SignalType]) -> None:
    examples = kind.examples()
    assert len(examples) >= 2
    for v in examples:
        assert kind.validate(v) == v  # examples are canonical; validating is idempotent
        assert kind.validate(kind.validate(v)) == v
        assert kind.compare(v, v) == 0
    for a in examples:
        for b in examples:
            assert kind.compare(a, b) >= 0
            if kind.symmetric:
                assert kind.compare(a, b) == kind.compare(b, a)
            if a != b and kind.default_threshold == 0:
                assert kind.compare(a, b) > 0
    assert 0 <= kind.default_threshold <= kind.max_threshold
    for bad in ("", "zz", "x" * 10):
        with pytest.raises(ValueError):
            kind.validate(bad)


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.name)
def test_the_index_finds_what_the_oracle_finds(kind: type[SignalType]) -> None:
    examples = kind.examples()
    banked = examples + examples[:1]  # a value banked twice is found twice
    oracle = BruteForceIndex(kind, banked)
    index = kind.index(banked)
    for threshold in sorted({0, kind.default_threshold}):
        want = sorted(oracle.search(examples, threshold))
        assert sorted(index.search(examples, threshold)) == want
        assert all(d <= threshold for _, _, d in want)
        assert (0, 0, 0) in want and (0, len(examples), 0) in want
    assert index.search([], kind.default_threshold) == []
