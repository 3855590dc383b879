"""Randomised simulation settings: a grid of platforms that do not flatter a model.

Part of the simulate stage (outside the flow).  A linker fitted and measured
on one simulated platform learns that platform's habits -- exact suspension
times, avatars named in their URLs, names nobody else has -- and fails on the
next.  Domain randomisation is the answer: every *setting* of the grid is the
``grid`` profile (:data:`~marsad.simulate.config.PROFILES`) with every realism
knob drawn at random from the ranges below, and models are fitted on some
settings and reported on others.

:func:`randomised_config` draws, from ``numpy``'s generator seeded by the
setting's seed (the simulation itself runs on the same seed, on other
streams):

==========================  ==============================================================
knob                        drawn from
==========================  ==============================================================
``lookup_every_days``       {0 (only the final lookup), 1, 7, 30}, equally likely
``suspension_times_known``  true with 0.25 (a status CSV of exact times; lookups as drawn)
``avatar_reuse_rate``       U(0, 1)
``avatar_media_kept``       a fair coin
``lookalike_name_share``    U(0, 0.3)
``rename_rate``             U(0, 0.5)
``newcomer_rate``           U(0.05, 0.4) x ``accounts`` / ``days`` a day (5-40% more
                            accounts over the period)
``newcomer_covert_share``   U(0.05, 0.3)
``recreate_prob``           U(0.4, 0.9)
``recreate_delay_days``     log-uniform on [0.1, 14]
``follower_return_rate``    U(0.1, 0.8)
``shoutout_prob``           0 with 0.3 (no announcements), else U(0.2, 0.9)
``habit_strength``          U(0, 0.8) (posts at one's own hours, a signature token)
``habit_persistence``       U(0.3, 1)
``covert_languages``        around the census mix (Dirichlet, 0.6), Arabic only (0.2),
                            or English/French-heavy (Dirichlet around 25% ar, 45% en,
                            25% fr, 5% other; 0.2)
==========================  ==============================================================

The ranges are assumptions: wide enough to hold what studies of real
platforms report (suspensions learnt from a lookup days to a month later, or
once at the end; supporters returning within hours to weeks, some never) and
the settings where linking is hardest.  Every draw is made whatever is
*fixed*, so fixing one knob never changes the others.

Seeds come in three disjoint sets: :data:`FIT_SEEDS` (models are fitted and
tuned on these), :data:`REPORT_SEEDS` (a benchmark reports one table per
setting, each run twice: :func:`grid_setting` with ``"exact"`` and with
``"weekly"`` suspension knowledge) and :data:`HOLDOUT_SEEDS` (kept out of all
fitting and tuning, for a last check).  None is the simulator's default seed
7 or a seed the packaged lineage model was trained on.

Example::

    from marsad.simulate import simulate
    from marsad.simulate.grid import REPORT_SEEDS, grid_setting
    for seed in REPORT_SEEDS:
        for suspension in ("exact", "weekly"):
            sim = simulate(grid_setting(seed, suspension), f"grid/{seed}-{suspension}")
"""

from __future__ import annotations

from typing import Any

import numpy as np

from marsad.errors import ConfigError
from marsad.simulate.config import SimConfig

__all__ = [
    "FIT_SEEDS",
    "HOLDOUT_SEEDS",
    "REPORT_SEEDS",
    "SUSPENSION_MODES",
    "grid_setting",
    "randomised_config",
    "suspension_overrides",
]

#: settings models are fitted and tuned on
FIT_SEEDS: tuple[int, ...] = tuple(range(1001, 1011))
#: settings a benchmark reports on, one table each; never used for fitting
REPORT_SEEDS: tuple[int, ...] = tuple(range(2001, 2007))
#: settings kept out of all fitting and tuning
HOLDOUT_SEEDS: tuple[int, ...] = tuple(range(3001, 3005))
#: what a study knows of suspension times: ``exact`` (a status CSV of exact
#: times), ``weekly`` (weekly lookups only) or ``sampled`` (as drawn)
SUSPENSION_MODES = ("exact", "weekly", "sampled")

#: the stream the knobs are drawn from (the simulation uses streams 1-5 of the seed)
_KNOBS_STREAM = 0x6B6E6F62
_LOOKUPS = (0, 1, 7, 30)
#: the census mix of covert languages (``SimConfig().covert_languages``)
_CENSUS_MIX = (("ar", 0.73), ("en", 0.18), ("fr", 0.06), ("other", 0.03))
#: an English/French-heavy mix (a European-language network)
_WESTERN_MIX = (("ar", 0.25), ("en", 0.45), ("fr", 0.25), ("other", 0.05))
#: Dirichlet concentration around a mix: the larger, the closer draws stay
_CONCENTRATION = 40.0


def _round(value: float) -> float:
    return round(float(value), 4)


def _mix(
    rng: np.random.Generator, around: tuple[tuple[str, float], ...]
) -> tuple[tuple[str, float], ...]:
    """Shares drawn around *around*, rounded to 4 decimals and adding up to 1."""
    raw = rng.dirichlet([_CONCENTRATION * s for _, s in around])
    shares = [_round(v) for v in raw]
    top = int(np.argmax(raw))  # the rounding error goes to the largest share
    shares[top] = _round(shares[top] + 1.0 - sum(shares))
    return tuple((code, s) for (code, _), s in zip(around, shares, strict=True))


def _draw_knobs(seed: int, accounts: int, days: int) -> dict[str, Any]:
    rng = np.random.default_rng([seed, _KNOBS_STREAM])
    knobs: dict[str, Any] = {
        "lookup_every_days": int(rng.choice(_LOOKUPS)),
        "suspension_times_known": bool(rng.random() < 0.25),
        "avatar_reuse_rate": _round(rng.uniform(0.0, 1.0)),
        "avatar_media_kept": bool(rng.random() < 0.5),
        "lookalike_name_share": _round(rng.uniform(0.0, 0.3)),
        "rename_rate": _round(rng.uniform(0.0, 0.5)),
        "newcomer_rate": _round(rng.uniform(0.05, 0.4) * accounts / days),
        "newcomer_covert_share": _round(rng.uniform(0.05, 0.3)),
        "recreate_prob": _round(rng.uniform(0.4, 0.9)),
        "recreate_delay_days": _round(np.exp(rng.uniform(np.log(0.1), np.log(14.0)))),
        "follower_return_rate": _round(rng.uniform(0.1, 0.8)),
    }
    no_shoutouts, shoutout = rng.random() < 0.3, _round(rng.uniform(0.2, 0.9))
    knobs["shoutout_prob"] = 0.0 if no_shoutouts else shoutout
    mode = rng.random()
    census, western = _mix(rng, _CENSUS_MIX), _mix(rng, _WESTERN_MIX)
    if mode < 0.6:
        knobs["covert_languages"] = census
    elif mode < 0.8:
        knobs["covert_languages"] = (("ar", 1.0),)
    else:
        knobs["covert_languages"] = western
    # drawn last, so that the draws above are those of the first grid
    knobs["habit_strength"] = _round(rng.uniform(0.0, 0.8))
    knobs["habit_persistence"] = _round(rng.uniform(0.3, 1.0))
    return knobs


def randomised_config(seed: int, base_profile: str = "grid", **fixed: Any) -> SimConfig:
    """The *base_profile* platform with every realism knob drawn from *seed*.

    The config's own ``seed`` is *seed*.  *fixed* sets knobs (or any other
    field) instead of drawing them; ``accounts`` and ``days`` given there
    also scale the drawn ``newcomer_rate``.  The same arguments always give
    the same config.  Raises :class:`~marsad.errors.ConfigError` for an
    unknown profile or field.
    """
    base = SimConfig.from_profile(base_profile)
    fixed = {k: v for k, v in fixed.items() if v is not None}
    knobs = _draw_knobs(
        seed, int(fixed.get("accounts", base.accounts)), int(fixed.get("days", base.days))
    )
    knobs["seed"] = seed
    knobs.update(fixed)
    return SimConfig.from_profile(base_profile, **knobs)


def suspension_overrides(suspension: str) -> dict[str, Any]:
    """The config fields a suspension mode sets (see :data:`SUSPENSION_MODES`)."""
    if suspension == "exact":
        return {"suspension_times_known": True}
    if suspension == "weekly":
        return {"lookup_every_days": 7, "suspension_times_known": False}
    if suspension == "sampled":
        return {}
    raise ConfigError(
        f"unknown suspension mode {suspension!r}; choose one of: {', '.join(SUSPENSION_MODES)}"
    )


def grid_setting(
    seed: int, suspension: str = "sampled", base_profile: str = "grid", **fixed: Any
) -> SimConfig:
    """The grid setting of *seed* with the *suspension* knowledge asked for.

    ``exact``: a status CSV gives every suspension's exact time (the lookups
    as drawn); ``weekly``: monitored accounts looked up every 7 days and no
    exact times; ``sampled``: as :func:`randomised_config` drew it.  *fixed*
    as for :func:`randomised_config` (it wins over the mode).
    """
    return randomised_config(seed, base_profile, **{**suspension_overrides(suspension), **fixed})
