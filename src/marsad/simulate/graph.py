"""The simulated follower graph of the monitored accounts.

Part of the simulate stage (outside the flow: it produces exports for ingest).
A study collects the followers of the accounts it monitors; here those are the
covert and the campaign accounts.  Each such account has a public follower
count (:attr:`Population.followers`, log-normal: heavy-tailed in-degrees); a
share ``follow_sample_rate`` of it (at most ``max_follow_edges``) are accounts
of the simulation and become follow edges.  Who follows:

* a covert account: covert accounts (``covert_follower_share``) of its own
  planted community, or with ``community_mixing`` of another covert
  community, and ordinary users for the rest;
* a campaign account: mostly ordinary users, some campaign accounts;
* a successor: each follower of its predecessor with ``follower_return_rate``
  (the signal a lineage linker can use), topped up with fresh followers.

Followers are drawn with weights proportional to their own following counts,
so out-degrees are heavy-tailed too.  Lists hold the TRUE followers; the
writers drop those not alive when the list is collected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from marsad.simulate.config import SimConfig
from marsad.simulate.population import CAMPAIGN, DAY, HUB, ORDINARY, Population

__all__ = ["FollowerGraph", "build_follower_graph"]

#: share of a campaign account's in-sample followers that are campaign accounts (assumption)
_CAMPAIGN_PEER_SHARE = 0.1


@dataclass
class FollowerGraph:
    """Followers of each collected account, in collection order (CSR layout).

    ``dst[k]`` is an account index whose followers are collected at
    ``collect_at[k]`` (seconds); its followers are
    ``src[offsets[k]:offsets[k + 1]]``.
    """

    dst: np.ndarray
    collect_at: np.ndarray
    offsets: np.ndarray
    src: np.ndarray

    def followers_of(self, k: int) -> np.ndarray:
        return self.src[self.offsets[k] : self.offsets[k + 1]]


class _Pool:
    """Weighted sampling from a fixed set of accounts (searchsorted on cumulative weights)."""

    def __init__(self, members: np.ndarray, weights: np.ndarray) -> None:
        self.members = members
        self.cum = np.cumsum(weights.astype(np.float64))

    def sample(self, rng: np.random.Generator, k: int) -> np.ndarray:
        if k == 0 or self.members.size == 0:
            return np.zeros(0, np.int64)
        u = rng.random(k) * self.cum[-1]
        return self.members[np.minimum(np.searchsorted(self.cum, u, side="right"), self.members.size - 1)]


def build_follower_graph(pop: Population, config: SimConfig, rng: np.random.Generator) -> FollowerGraph:
    """The follower lists of every covert and campaign account (see the module docstring)."""
    start = int(config.start.timestamp())
    end = int(config.end.timestamp())
    kc = config.covert_communities
    weight = np.maximum(pop.following, 1)
    ordinary = _Pool(np.flatnonzero(pop.role == ORDINARY), weight[pop.role == ORDINARY])
    campaign = _Pool(np.flatnonzero(pop.role == CAMPAIGN), weight[pop.role == CAMPAIGN])
    covert_pools = []
    for c in range(kc):
        members = np.flatnonzero(pop.is_covert & (pop.community == c))
        covert_pools.append(_Pool(members, weight[members]))

    targets = np.flatnonzero(pop.is_covert | (pop.role == CAMPAIGN))
    want = np.minimum(np.rint(pop.followers * config.follow_sample_rate), config.max_follow_edges).astype(np.int64)
    lists: dict[int, np.ndarray] = {}
    for generation in range(int(pop.generation.max(initial=0)) + 1):
        batch = targets[pop.generation[targets] == generation]
        for a in batch.tolist():
            got: list[np.ndarray] = []
            pred = int(pop.predecessor[a])
            if pred >= 0 and pred in lists:
                old = lists[pred]
                got.append(old[rng.random(old.size) < config.follower_return_rate])
            fresh = max(int(want[a]) - sum(g.size for g in got), 0)
            if pop.role[a] >= HUB:
                n_cov = int(rng.binomial(fresh, config.covert_follower_share))
                n_cross = int(rng.binomial(n_cov, config.community_mixing)) if kc > 1 else 0
                own = int(pop.community[a])
                got.append(covert_pools[own].sample(rng, n_cov - n_cross))
                if n_cross:
                    others = (own + rng.integers(1, kc, n_cross)) % kc
                    for c in np.unique(others).tolist():
                        got.append(covert_pools[c].sample(rng, int((others == c).sum())))
                got.append(ordinary.sample(rng, fresh - n_cov))
            else:
                n_peer = int(rng.binomial(fresh, _CAMPAIGN_PEER_SHARE))
                got.append(campaign.sample(rng, n_peer))
                got.append(ordinary.sample(rng, fresh - n_peer))
            merged = np.unique(np.concatenate(got)) if got else np.zeros(0, np.int64)
            lists[a] = merged[merged != a].astype(np.int64)

    first_seen = np.maximum(pop.created[targets], start) + config.collect_delay_days * DAY
    collect_at = start + -(-(first_seen - start) // DAY) * DAY  # round up to a day boundary
    alive = (collect_at < pop.suspended[targets]) & (collect_at < end)
    targets, collect_at = targets[alive], collect_at[alive]
    order = np.lexsort((targets, collect_at))
    targets, collect_at = targets[order], collect_at[order]
    sizes = np.array([lists[a].size for a in targets.tolist()], np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    src = (
        np.concatenate([lists[a] for a in targets.tolist()]).astype(np.int64)
        if targets.size
        else np.zeros(0, np.int64)
    )
    return FollowerGraph(dst=targets, collect_at=collect_at, offsets=offsets, src=src)
