"""Simulated platforms with ground truth: ``marsad simulate``.

Stands outside the flow: it *produces* what the first stage reads.  A seeded
generator builds ordinary users, news accounts, a counter-messaging campaign
and a covert network (hubs, amplifiers, shout-out accounts announcing new
handles, branded outlets) in planted communities, with suspensions and
accounts re-created under varied handles, then writes them exactly as the real
tools would -- twarc2's X API v2 pages, a Telegram Desktop export, marsad's own
JSONL -- so everything downstream goes through the real ingest adapters.  The
TRUE roles, communities and lineage go to ``ground_truth/``.  Text is neutral
template text plus short indicator tokens (see :mod:`marsad.simulate.text`).
Realism knobs (what a study sees of suspensions, avatars, look-alike names,
renamed successors, newcomers) make it hard on purpose;
:mod:`marsad.simulate.grid` draws them at random for fitting and reporting.

Example::

    from marsad.simulate import SimConfig, simulate
    summary = simulate(SimConfig.from_profile("small", seed=7), "sim/")
    for path, fmt in summary.inputs:
        ingest_file(store, path, fmt=fmt)
"""

from __future__ import annotations

from marsad.simulate.config import PROFILES, SimConfig
from marsad.simulate.run import FORMATS, SIMULATOR_VERSION, SimSummary, simulate

__all__ = ["FORMATS", "PROFILES", "SIMULATOR_VERSION", "SimConfig", "SimSummary", "simulate"]
