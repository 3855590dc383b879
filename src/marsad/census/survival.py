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

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["KaplanMeier", "kaplan_meier"]

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

    def at(self, t: float) -> float:
        """S(t): the probability of surviving past *t* (1.0 before the first event)."""
        s = 1.0
        for time, value in zip(self.times, self.survival, strict=True):
            if time > t:
                break
            s = value
        return s

    def median(self) -> float | None:
        """The first time S drops to 0.5 or below; None when it never does ("not reached")."""
        for time, value in zip(self.times, self.survival, strict=True):
            if value <= 0.5:
                return time
        return None


def kaplan_meier(durations: ArrayLike, observed: ArrayLike) -> KaplanMeier:
    """The Kaplan–Meier estimate for *durations* (>= 0) with event flags *observed*.

    ``observed[i]`` is True when subject *i* had the event at ``durations[i]``
    and False when it was censored then.
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    if t.shape != e.shape:
        raise ValueError("durations and observed must have the same length")
    if t.size and (np.isnan(t).any() or (t < 0).any()):
        raise ValueError("durations must be non-negative numbers")
    times, inverse = np.unique(t, return_inverse=True)
    deaths = np.bincount(inverse, weights=e, minlength=times.size).astype(int)
    totals = np.bincount(inverse, minlength=times.size).astype(int)
    censored = totals - deaths
    # at risk at time t_i: everyone whose duration is >= t_i
    at_risk = t.size - np.concatenate(([0], np.cumsum(totals)[:-1])).astype(int)
    surv: list[float] = []
    lower: list[float] = []
    upper: list[float] = []
    s = 1.0
    greenwood = 0.0
    for n_i, d_i in zip(at_risk.tolist(), deaths.tolist(), strict=True):
        if d_i:
            s *= 1.0 - d_i / n_i
            greenwood = greenwood + d_i / (n_i * (n_i - d_i)) if n_i > d_i else math.inf
        lo, hi = _loglog_interval(s, greenwood)
        surv.append(s)
        lower.append(lo)
        upper.append(hi)
    return KaplanMeier(
        times=tuple(times.tolist()),
        at_risk=tuple(at_risk.tolist()),
        events=tuple(deaths.tolist()),
        censored=tuple(censored.tolist()),
        survival=tuple(surv),
        lower=tuple(lower),
        upper=tuple(upper),
        n=int(t.size),
        n_events=int(deaths.sum()),
    )


def _loglog_interval(s: float, greenwood: float) -> tuple[float, float]:
    """95% interval for S from Greenwood's sum, on the log(-log S) scale."""
    if s >= 1.0 or greenwood == 0.0:
        return (s, s)  # no event yet: no uncertainty in S = 1
    if s <= 0.0 or math.isinf(greenwood):
        return (0.0, s if s > 0 else 0.0)
    log_s = math.log(s)
    se = math.sqrt(greenwood) / abs(log_s)
    lo = s ** math.exp(_Z95 * se)
    hi = s ** math.exp(-_Z95 * se)
    return (lo, hi)
