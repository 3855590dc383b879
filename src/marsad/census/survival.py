"""Kaplan–Meier survival of accounts: time from creation to suspension.

An account enters at its creation (or, when the platform does not say, when
it was first seen) and "dies" at its first observed suspension.  Accounts not
suspended by the end of observation are *right-censored* at the last time
they were seen alive: they count as at risk up to then and never as events.
Dropping them, or counting them as suspended at the end, is the classic
mistake that makes naive "median lifetime" figures wrong.

The estimator is the textbook one (Kaplan & Meier 1958), with Greenwood's
variance and the log(-log) confidence interval (Kalbfleisch & Prentice),
which stays inside [0, 1]; at tied times events are counted before
censorings, the usual convention.  It is a few lines of numpy; lifelines
(the standard library for this) would add pandas, scipy and matplotlib to
marsad's dependencies for one estimator.  ``tests/census/test_survival.py``
checks it against a worked example by hand.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["GRID", "KaplanMeier", "Row", "grid_ends", "kaplan_meier"]

_Z95 = 1.959963984540054


@dataclass(frozen=True)
class KaplanMeier:
    """The curve at each distinct time with an event or a censoring (ascending)."""

    times: tuple[float, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]
    censored: tuple[int, ...]
    survival: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    n: int
    n_events: int
    #: the same columns as numpy arrays (for :meth:`rows` and :meth:`median` on
    #: long curves); filled by :func:`kaplan_meier`
    arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def _array(self, name: str) -> np.ndarray:
        got = self.arrays.get(name)
        return np.asarray(getattr(self, name)) if got is None else got

    def at(self, t: float) -> float:
        """S(t): the probability of surviving past *t* (1.0 before the first event)."""
        i = bisect.bisect_right(self.times, t)
        return self.survival[i - 1] if i else 1.0

    def median(self) -> float | None:
        """The first time S drops to 0.5 or below; None when it never does ("not reached")."""
        below = np.flatnonzero(self._array("survival") <= 0.5)
        return self.times[int(below[0])] if below.size else None

    def rows(self, max_rows: int = 400) -> list[Row]:
        """The curve as table rows ``(time, at risk, events, censored, S, lower, upper)``.

        With at most *max_rows* event times: a row at each event time, and one at
        the last time.  With more (10M posts give some 200,000 distinct times), a
        row at the end of each step of :data:`GRID` -- hourly over the first two
        days, where most suspensions fall, then coarser -- and at the last time:
        S and its interval are the exact estimate at that time, the counts those
        of the step (at risk: at its start).
        """
        if not self.times:
            return []
        times = self._array("times")
        events = self._array("events")
        if int(np.count_nonzero(events)) <= max_rows:
            keep = np.flatnonzero(events)
            if not keep.size or keep[-1] != times.size - 1:
                keep = np.append(keep, times.size - 1)
            return [
                (
                    self.times[i],
                    self.at_risk[i],
                    self.events[i],
                    self.censored[i],
                    self.survival[i],
                    self.lower[i],
                    self.upper[i],
                )
                for i in keep.tolist()
            ]
        ends = grid_ends(float(times[-1]))
        idx = np.searchsorted(times, ends, side="right") - 1  # the last time at or before
        before = np.concatenate(([-1], idx[:-1]))
        cum_events = np.concatenate(([0], np.cumsum(events)))
        totals = events + self._array("censored")
        cum_totals = np.concatenate(([0], np.cumsum(totals)))
        cum_censored = cum_totals - cum_events
        surv = np.concatenate(([1.0], self._array("survival")))
        lower = np.concatenate(([1.0], self._array("lower")))
        upper = np.concatenate(([1.0], self._array("upper")))
        return list(
            zip(
                ends.tolist(),
                (self.n - cum_totals[before + 1]).tolist(),
                (cum_events[idx + 1] - cum_events[before + 1]).tolist(),
                (cum_censored[idx + 1] - cum_censored[before + 1]).tolist(),
                surv[idx + 1].tolist(),
                lower[idx + 1].tolist(),
                upper[idx + 1].tolist(),
                strict=True,
            )
        )


#: a table row of the curve: time, at risk, events, censored, S, lower, upper
Row = tuple[float, int, int, int, float, float, float]

#: the grid of long curves, in the durations' unit (days in the census): steps
#: of an hour up to 2 days, 6 hours up to 14 days, a day up to 90 days, a week
#: up to a year, then 30 days
GRID: tuple[tuple[float, float], ...] = (
    (2.0, 1 / 24),
    (14.0, 0.25),
    (90.0, 1.0),
    (365.0, 7.0),
    (math.inf, 30.0),
)


def grid_ends(last: float) -> np.ndarray:
    """The ends of the :data:`GRID` steps up to *last*, and *last* itself."""
    ends: list[float] = []
    start = 0.0
    for until, step in GRID:
        stop = min(until, last)
        k = 1
        while start + k * step < stop - 1e-9:
            ends.append(start + k * step)
            k += 1
        if stop >= last:
            break
        ends.append(until)
        start = until
    ends.append(last)
    return np.asarray(ends)


def kaplan_meier(durations: ArrayLike, observed: ArrayLike) -> KaplanMeier:
    """The Kaplan–Meier estimate for *durations* (>= 0) with event flags *observed*.

    ``observed[i]`` is True when subject *i* had the event at ``durations[i]``
    and False when it was censored then.  Vectorised: the product and
    Greenwood's sum are running products and sums over the distinct times
    (the same operations, in the same order, as a loop over them).
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    if t.shape != e.shape:
        raise ValueError("durations and observed must have the same length")
    if t.size and (np.isnan(t).any() or (t < 0).any()):
        raise ValueError("durations must be non-negative numbers")
    times, inverse = np.unique(t, return_inverse=True)
    deaths = np.bincount(inverse, weights=e, minlength=times.size).astype(np.int64)
    totals = np.bincount(inverse, minlength=times.size).astype(np.int64)
    censored = totals - deaths
    # at risk at time t_i: everyone whose duration is >= t_i
    at_risk = (t.size - (np.cumsum(totals) - totals)).astype(np.int64)
    n = at_risk.astype(float)
    d = deaths.astype(float)
    surv = np.cumprod(np.where(deaths > 0, 1.0 - d / np.maximum(n, 1.0), 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(deaths == 0, 0.0, np.where(at_risk > deaths, d / (n * (n - d)), np.inf))
    greenwood = np.cumsum(term)
    lower, upper = _loglog_interval(surv, greenwood)
    return KaplanMeier(
        times=tuple(times.tolist()),
        at_risk=tuple(at_risk.tolist()),
        events=tuple(deaths.tolist()),
        censored=tuple(censored.tolist()),
        survival=tuple(surv.tolist()),
        lower=tuple(lower.tolist()),
        upper=tuple(upper.tolist()),
        n=int(t.size),
        n_events=int(deaths.sum()),
        arrays={
            "times": times,
            "events": deaths,
            "censored": censored,
            "survival": surv,
            "lower": lower,
            "upper": upper,
        },
    )


def _loglog_interval(s: np.ndarray, greenwood: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% interval for S from Greenwood's sum, on the log(-log S) scale.

    Where no event has happened yet (S = 1) S has no uncertainty; where S
    reaches 0 or the variance is infinite (everyone at risk died) the interval
    is [0, S]."""
    lower = s.copy()
    upper = s.copy()
    certain = (s >= 1.0) | (greenwood == 0.0)
    degenerate = ~certain & ((s <= 0.0) | np.isinf(greenwood))
    inside = ~certain & ~degenerate
    lower[degenerate] = 0.0
    upper[degenerate] = np.maximum(s[degenerate], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(np.where(inside, s, 0.5))
        se = np.sqrt(np.where(inside, greenwood, 0.0)) / np.abs(log_s)
        lo = np.where(inside, s, 0.5) ** np.exp(_Z95 * se)
        hi = np.where(inside, s, 0.5) ** np.exp(-_Z95 * se)
    lower[inside] = lo[inside]
    upper[inside] = hi[inside]
    return lower, upper
