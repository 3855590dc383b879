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

_EMPTY = np.zeros(0, np.int64)
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
        picks = np.minimum(np.searchsorted(self.cum, u, side="right"), self.members.size - 1)
        return np.asarray(self.members[picks], dtype=np.int64)

    def draw(
        self,
        rng: np.random.Generator,
        at: np.ndarray,
        owners: list[np.ndarray],
        drawn: list[np.ndarray],
    ) -> None:
        """One follower for each position in *at*, appended to *owners* and *drawn*.

        An empty pool (a small population may have no campaign accounts, or a
        community no covert ones) draws nobody, and so owns nobody either.
        """
        picked = self.sample(rng, at.size)
        owners.append(at[: picked.size])
        drawn.append(picked)


def build_follower_graph(
    pop: Population, config: SimConfig, rng: np.random.Generator
) -> FollowerGraph:
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
    want = np.minimum(
        np.rint(pop.followers * config.follow_sample_rate), config.max_follow_edges
    ).astype(np.int64)
    lists: dict[int, np.ndarray] = {}
    # one generation at a time: a successor's followers come back from its predecessor's
    for generation in range(int(pop.generation.max(initial=0)) + 1):
        batch = targets[pop.generation[targets] == generation]
        if batch.size == 0:
            continue
        owners: list[np.ndarray] = []  # position in batch of each drawn follower
        drawn: list[np.ndarray] = []
        # followers coming back to a successor
        got = np.zeros(batch.size, np.int64)
        if generation > 0:
            old = [lists.get(int(p), _EMPTY) for p in pop.predecessor[batch].tolist()]
            sizes = np.array([o.size for o in old], np.int64)
            flat = np.concatenate(old) if old else _EMPTY
            pos = np.repeat(np.arange(batch.size), sizes)
            keep = rng.random(flat.size) < config.follower_return_rate
            owners.append(pos[keep])
            drawn.append(flat[keep])
            got = np.bincount(pos[keep], minlength=batch.size)
        fresh = np.maximum(want[batch] - got, 0)
        covert = pop.role[batch] >= HUB
        n_cov = np.where(covert, rng.binomial(fresh, config.covert_follower_share), 0)
        n_cross = rng.binomial(n_cov, config.community_mixing) if kc > 1 else np.zeros_like(n_cov)
        n_peer = np.where(covert, 0, rng.binomial(fresh, _CAMPAIGN_PEER_SHARE))
        n_ord = fresh - n_cov - n_peer
        # covert followers of the target's own community, and of another one
        own_comm = np.repeat(pop.community[batch].astype(np.int64), n_cov - n_cross)
        own_pos = np.repeat(np.arange(batch.size), n_cov - n_cross)
        cross_pos = np.repeat(np.arange(batch.size), n_cross)
        cross_comm = (
            np.repeat(pop.community[batch].astype(np.int64), n_cross)
            + rng.integers(1, max(kc, 2), cross_pos.size)
        ) % kc
        comm = np.concatenate([own_comm, cross_comm])
        comm_pos = np.concatenate([own_pos, cross_pos])
        for c in range(kc):
            sel = comm == c
            if sel.any():
                covert_pools[c].draw(rng, comm_pos[sel], owners, drawn)
        campaign.draw(rng, np.repeat(np.arange(batch.size), n_peer), owners, drawn)
        ordinary.draw(rng, np.repeat(np.arange(batch.size), n_ord), owners, drawn)
        pos = np.concatenate(owners)
        src = np.concatenate(drawn).astype(np.int64)
        ok = src != batch[pos]
        key = np.unique(pos[ok] * np.int64(pop.n) + src[ok])
        pos, src = key // pop.n, key % pop.n
        bounds = np.searchsorted(pos, np.arange(batch.size + 1))
        for k, a in enumerate(batch.tolist()):
            lists[a] = src[bounds[k] : bounds[k + 1]]

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
