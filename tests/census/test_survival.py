"""Kaplan–Meier against a worked example with censoring, and its edge cases.

The data are the 6-MP arm of the Freireich et al. (1963) leukaemia trial, the
textbook example (Kleinbaum & Klein, *Survival Analysis*, table 2.2): 21
subjects, 9 events, 12 censored ("+"): 6, 6, 6, 6+, 7, 9+, 10, 10+, 11+, 13,
16, 17+, 19+, 20+, 22, 23, 25+, 32+, 32+, 34+, 35+.  The expected curve is
worked out below by hand, step by step, as products of (1 - d/n).
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from marsad.census.survival import kaplan_meier

EVENTS = [6, 6, 6, 7, 10, 13, 16, 22, 23]
CENSORED = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]


def test_six_mp_arm_by_hand() -> None:
    km = kaplan_meier(EVENTS + CENSORED, [True] * len(EVENTS) + [False] * len(CENSORED))
    # at risk / deaths at each event time, counted by hand from the list above
    by_hand = {
        6: (21, 3),
        7: (17, 1),
        10: (15, 1),
        13: (12, 1),
        16: (11, 1),
        22: (7, 1),
        23: (6, 1),
    }
    s = Fraction(1)
    expected = {}
    for t, (n, d) in by_hand.items():
        s *= 1 - Fraction(d, n)
        expected[t] = s
    for t, value in expected.items():
        i = km.times.index(t)
        assert km.at_risk[i] == by_hand[t][0] and km.events[i] == by_hand[t][1]
        assert km.survival[i] == pytest.approx(float(value), abs=1e-12)
    # the published values (Kleinbaum & Klein): 0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448
    assert [round(float(v), 3) for v in expected.values()] == [
        0.857,
        0.807,
        0.753,
        0.690,
        0.627,
        0.538,
        0.448,
    ]
    assert km.median() == 23  # the first time S <= 0.5
    assert km.n == 21 and km.n_events == 9
    assert sum(km.censored) == 12
    # between events S is flat; censoring does not move it
    assert km.at(9) == pytest.approx(float(expected[7]))
    assert km.at(35) == pytest.approx(float(expected[23]))
    assert km.at(5.9) == 1.0


def test_greenwood_interval_at_first_event() -> None:
    km = kaplan_meier(EVENTS + CENSORED, [True] * len(EVENTS) + [False] * len(CENSORED))
    s = 18 / 21
    var_log = 3 / (21 * 18)  # Greenwood: d / (n (n - d))
    se = math.sqrt(var_log) / abs(math.log(s))
    lo, hi = s ** math.exp(1.959963984540054 * se), s ** math.exp(-1.959963984540054 * se)
    assert km.lower[0] == pytest.approx(lo) and km.upper[0] == pytest.approx(hi)
    assert 0 <= km.lower[0] < km.survival[0] < km.upper[0] <= 1
    assert all(lo <= s <= hi for lo, s, hi in zip(km.lower, km.survival, km.upper, strict=True))


def test_no_events_never_reaches_median() -> None:
    km = kaplan_meier([1, 2, 3], [False, False, False])
    assert km.survival == (1.0, 1.0, 1.0) and km.median() is None and km.n_events == 0


def test_all_die_at_once() -> None:
    km = kaplan_meier([2, 2, 2], [True, True, True])
    assert km.survival == (0.0,) and km.median() == 2 and km.lower == (0.0,)


def test_tied_event_and_censoring_counts_censored_as_at_risk() -> None:
    km = kaplan_meier([5, 5, 8], [True, False, True])
    assert km.at_risk[0] == 3 and km.survival[0] == pytest.approx(2 / 3)
    assert km.survival[1] == 0.0  # the last subject dies at 8


@pytest.mark.parametrize(
    ("durations", "observed"), [([1, -1], [True, True]), ([1.0, math.nan], [True, True]), ([1], [])]
)
def test_bad_input_is_refused(durations: list[float], observed: list[bool]) -> None:
    with pytest.raises(ValueError):
        kaplan_meier(durations, observed)
