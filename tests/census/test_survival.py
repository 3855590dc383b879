"""Kaplan–Meier against a worked example with censoring, and its edge cases.

The data are the 6-MP arm of the Freireich et al. (1963) leukaemia trial, the
textbook example (Kleinbaum & Klein, *Survival Analysis*, table 2.2): 21
subjects, 9 events, 12 censored ("+"): 6, 6, 6, 6+, 7, 9+, 10, 10+, 11+, 13,
16, 17+, 19+, 20+, 22, 23, 25+, 32+, 32+, 34+, 35+.  The expected curve is
worked out below by hand, step by step, as products of (1 - d/n).
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from marsad.census.survival import grid_ends, kaplan_meier

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


def test_no_subjects_gives_an_empty_curve() -> None:
    km = kaplan_meier([], [])
    assert km.times == () and km.at_risk == () and km.survival == ()
    assert km.n == 0 and km.n_events == 0 and km.median() is None and km.at(5) == 1.0


def _loop_reference(durations: list[float], observed: list[bool]) -> list[tuple[float, ...]]:
    """The estimator written as the textbook loop: (time, at risk, S, lower, upper)."""
    out = []
    s, greenwood = 1.0, 0.0
    for time in sorted(set(durations)):
        n = sum(1 for x in durations if x >= time)
        d = sum(1 for x, e in zip(durations, observed, strict=True) if x == time and e)
        if d:
            s *= 1.0 - d / n
            greenwood = greenwood + d / (n * (n - d)) if n > d else math.inf
        if s >= 1.0 or greenwood == 0.0:
            lo = hi = s
        elif s <= 0.0 or math.isinf(greenwood):
            lo, hi = 0.0, max(s, 0.0)
        else:
            se = math.sqrt(greenwood) / abs(math.log(s))
            lo, hi = s ** math.exp(1.959963984540054 * se), s ** math.exp(-1.959963984540054 * se)
        out.append((time, n, s, lo, hi))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_estimate_equals_the_loop(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.choice([1, 5, 40, 300])
    durations = [float(rng.randint(0, 30)) / rng.choice([1, 2]) for _ in range(size)]
    observed = [rng.random() < rng.choice([0.0, 0.5, 1.0]) for _ in range(size)]
    km = kaplan_meier(durations, observed)
    ref = _loop_reference(durations, observed)
    assert km.times == tuple(r[0] for r in ref)
    assert km.at_risk == tuple(r[1] for r in ref)
    assert km.survival == tuple(r[2] for r in ref)  # same products in the same order
    assert km.lower == pytest.approx([r[3] for r in ref], rel=1e-12, abs=1e-15)
    assert km.upper == pytest.approx([r[4] for r in ref], rel=1e-12, abs=1e-15)


def test_rows_at_event_times_when_few() -> None:
    km = kaplan_meier([1, 2, 2, 3, 7], [True, False, True, False, False])
    rows = km.rows(max_rows=10)
    assert [r[0] for r in rows] == [1.0, 2.0, 7.0]  # event times, then the last time
    assert rows[1][1:5] == (4, 1, 1, km.at(2.0))


def test_grid_is_hourly_first_then_coarser() -> None:
    ends = grid_ends(400.0).tolist()
    assert ends[:3] == pytest.approx([1 / 24, 2 / 24, 3 / 24])
    assert ends[47] == 2.0 and ends[48] == 2.25  # hourly to two days, then 6-hourly
    assert 15.0 in ends and 97.0 in ends and 395.0 in ends and ends[-1] == 400.0
    assert ends == sorted(set(ends))
    assert grid_ends(0.5).tolist() == pytest.approx([i / 24 for i in range(1, 12)] + [0.5])


def test_rows_on_a_grid_when_many_event_times() -> None:
    rng = random.Random(7)
    durations = [rng.uniform(0, 50) for _ in range(3000)]
    observed = [rng.random() < 0.6 for _ in durations]
    km = kaplan_meier(durations, observed)
    rows = km.rows(max_rows=100)
    ends = [r[0] for r in rows]
    assert ends == grid_ends(max(durations)).tolist()
    assert rows[0][1] == km.n  # everyone is at risk at the start
    assert sum(r[2] for r in rows) == km.n_events
    assert sum(r[3] for r in rows) == km.n - km.n_events
    for end, at_risk, events, _, s, lo, hi in rows:
        assert s == km.at(end) and lo <= s <= hi
        assert events <= at_risk
    # at risk at the start of a step: those who lasted past the previous end
    for prev, row in zip(rows, rows[1:], strict=False):
        assert row[1] == sum(1 for x in durations if x > prev[0])
