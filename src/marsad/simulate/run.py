"""The simulator's entry point: :func:`simulate` builds a platform and writes it out.

Part of the simulate stage, which stands outside the flow: it writes the
exports the ingest stage reads (through the real adapters) and the ground
truth the later stages are scored against.

Order of work (each step seeded from ``(seed, step)``, so which formats are
written never changes what is generated):

1. the population (:mod:`.population`), with re-created families;
2. the follower lists of the monitored accounts (:mod:`.graph`);
3. the post stream, slice by slice (:mod:`.posts`).  At the start of each
   slice, before its posts: the users lookups that fall due (monitored
   accounts every ``lookup_every_days``; none when it is 0) and the follower
   lists collected then; after the last slice, a users lookup of every account;
4. the Telegram channels (:mod:`.telegram`);
5. the accounts' final records in ``marsad.jsonl``, the exact suspension
   times when they are known (:mod:`.status_csv`) and the ground truth
   (:mod:`.ground_truth`).

Memory holds the accounts and one slice of posts (about ``_SLICE_POSTS`` at
most), never the whole stream.  With ``jobs=2`` a forked second process runs
steps 3-5 too, on the same seeds, and writes part of the files (see
:func:`simulate`): each process generates everything and writes its share.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from marsad.errors import ConfigError, MarsadError
from marsad.simulate.config import SimConfig
from marsad.simulate.graph import FollowerGraph, build_follower_graph
from marsad.simulate.marsad_jsonl import MarsadJsonlWriter
from marsad.simulate.population import DAY, Population, build_population
from marsad.simulate.posts import PostStream
from marsad.simulate.status_csv import FORMAT as STATUS_FORMAT
from marsad.simulate.status_csv import write_status_csv
from marsad.simulate.telegram import write_telegram
from marsad.simulate.x_v2 import FILES as X_FILES
from marsad.simulate.x_v2 import PARTS as X_PARTS
from marsad.simulate.x_v2 import XV2Writer

__all__ = ["FORMATS", "SIMULATOR_VERSION", "ProgressFn", "SimSummary", "simulate"]

#: bumped whenever the same seed and config would give different files
#: (2: opaque avatar URLs, a picture not re-used is a new one, the realism knobs)
SIMULATOR_VERSION = "3"
#: the output formats, named as the ingest adapters that read them
FORMATS = ("x-v2", "telegram", "marsad-jsonl")
#: ``progress(stage, done, total)``
ProgressFn = Callable[[str, int, int], None]

#: runs with at least this many posts write marsad.jsonl in a second process by default
_PARALLEL_POSTS = 200_000
#: files of the other formats
_FILES = {"telegram": "telegram/result.json", "marsad-jsonl": "marsad.jsonl"}
#: what the second process writes when there is one (the rest stays here)
_CHILD_JOBS = {("marsad-jsonl", ""), ("x-v2", "users"), ("x-v2", "followers")}
#: random streams, one per step (and the population's second, for the realism knobs)
_POPULATION, _GRAPH, _POSTS, _TELEGRAM, _VARIETY = 1, 2, 3, 4, 5


@dataclass
class SimSummary:
    """What one run generated and where it went.

    ``inputs`` lists ``(path, format)`` for every file to ingest, so a caller
    can pass each to :func:`marsad.pipeline.ingest_file` with its format (the
    ground-truth CSVs are not exports and are not in it; the status CSV of
    known suspension times, format ``status-csv``, is, last).  ``accounts``
    counts every X account: first generation, ``newcomers`` and ``successors``.
    """

    out_dir: Path
    seed: int
    profile: str
    accounts: int
    covert_accounts: int
    successors: int
    newcomers: int
    suspended: int
    posts: int
    channels: int
    telegram_posts: int
    follow_edges: int
    seconds: float
    inputs: list[tuple[Path, str]] = field(default_factory=list)
    ground_truth: dict[str, Path] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "seed": self.seed,
            "profile": self.profile,
            "accounts": self.accounts,
            "covert_accounts": self.covert_accounts,
            "successors": self.successors,
            "newcomers": self.newcomers,
            "suspended": self.suspended,
            "posts": self.posts,
            "channels": self.channels,
            "telegram_posts": self.telegram_posts,
            "follow_edges": self.follow_edges,
            "seconds": round(self.seconds, 2),
            "inputs": [{"path": str(p), "format": f} for p, f in self.inputs],
            "ground_truth": {k: str(v) for k, v in self.ground_truth.items()},
        }


def _rng(seed: int, step: int) -> np.random.Generator:
    return np.random.default_rng([seed, step])


def simulate(
    config: SimConfig,
    out_dir: str | Path,
    formats: Sequence[str] = FORMATS,
    progress: ProgressFn | None = None,
    jobs: int | None = None,
) -> SimSummary:
    """Generate the platform of *config* into *out_dir* in the given *formats*.

    Files (those of formats not asked for are not written):

    * ``x_v2_tweets.jsonl``, ``x_v2_users.jsonl``, ``x_v2_followers.jsonl`` --
      format ``x-v2`` (:mod:`marsad.simulate.x_v2`);
    * ``telegram/result.json`` -- format ``telegram``
      (:mod:`marsad.simulate.telegram`);
    * ``marsad.jsonl`` -- format ``marsad-jsonl``
      (:mod:`marsad.simulate.marsad_jsonl`);
    * ``status/suspensions.csv`` -- format ``status-csv``, whatever the
      *formats*, when ``config.suspension_times_known``
      (:mod:`marsad.simulate.status_csv`);
    * ``ground_truth/accounts.csv``, ``lineage.csv``, ``config.json`` -- always
      (:mod:`marsad.simulate.ground_truth`).

    *jobs* 2 writes ``marsad.jsonl`` and the X v2 users and followers files
    in a second (forked) process that replays the same seeded stream, while
    this one writes the tweets and the rest -- nearly twice as fast on two
    idle cores; ``None`` picks 2 when X v2 and marsad JSONL are both asked
    for, the run has at least ``_PARALLEL_POSTS`` posts and the machine has
    two cores and ``fork``.  The files are the same either way.

    The same *config* (seed included) gives byte-identical files.  Raises
    :class:`~marsad.errors.ConfigError` for an unknown format.
    """
    began = time.perf_counter()
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ConfigError(
            f"unknown simulation format(s) {unknown}; choose from: {', '.join(FORMATS)}"
        )
    split = "x-v2" in wanted and "marsad-jsonl" in wanted and _can_fork()
    if jobs is None:
        jobs = 2 if split and config.posts >= _PARALLEL_POSTS and (os.cpu_count() or 1) > 1 else 1
    # the run makes many short-lived containers and no reference cycles: the
    # cyclic collector would only rescan the accounts and the slice again and again
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _simulate(config, Path(out_dir), wanted, progress, began, split and jobs > 1)
    finally:
        if collecting:
            gc.enable()


def _can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


def _simulate(
    config: SimConfig,
    out: Path,
    wanted: list[str],
    progress: ProgressFn | None,
    began: float,
    parallel: bool,
) -> SimSummary:
    out.mkdir(parents=True, exist_ok=True)

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    report("population", 0, 1)
    pop = build_population(config, _rng(config.seed, _POPULATION), _rng(config.seed, _VARIETY))
    report("population", 1, 1)
    graph = build_follower_graph(pop, config, _rng(config.seed, _GRAPH))
    report("followers", 1, 1)

    # what to write, as (format, part) jobs
    jobs = [("x-v2", p) for p in X_PARTS if "x-v2" in wanted]
    jobs += [(f, "") for f in ("telegram", "marsad-jsonl") if f in wanted]
    child = None
    here = jobs
    if parallel:
        # the child inherits the population and graph and replays the same stream;
        # it takes marsad.jsonl and the lighter X v2 files, this process the tweets
        there = [j for j in jobs if j in _CHILD_JOBS]
        here = [j for j in jobs if j not in _CHILD_JOBS]
        ctx = mp.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_child, args=(config, pop, graph, out, there, send), daemon=True)
        child.start()
        send.close()
    try:
        emitted = _emit(config, pop, graph, out, here, report)
    except BaseException:
        if child is not None:  # no use finishing half a simulation
            child.terminate()
            child.join()
        raise
    if child is not None:
        try:
            outcome = receive.recv()
        except EOFError:
            outcome = ("error", "it ended without a word")
        child.join()
        if outcome[0] != "ok" or child.exitcode != 0:
            raise MarsadError(
                "the second writer process (marsad.jsonl, X v2 users and followers) failed "
                f"(exit code {child.exitcode}): {outcome[1]}"
            )

    from marsad import __version__
    from marsad.simulate.ground_truth import write_ground_truth

    files: dict[str, list[Path]] = {}
    for fmt, part in jobs:
        path = out / (X_FILES[part] if fmt == "x-v2" else _FILES[fmt])
        files.setdefault(fmt, []).append(path)
    end = int(config.end.timestamp())
    if config.suspension_times_known:
        files[STATUS_FORMAT] = [write_status_csv(out, pop, end)]

    doc = {
        "simulator": "marsad.simulate",
        "simulator_version": SIMULATOR_VERSION,
        "marsad_version": __version__,
        "seed": config.seed,
        "config": config.to_dict(),
        "formats": wanted,
        "files": {f: [p.relative_to(out).as_posix() for p in paths] for f, paths in files.items()},
    }
    truth = write_ground_truth(out, pop, emitted.counts, emitted.telegram_messages, doc)
    report("ground-truth", 1, 1)
    assert pop.channels is not None
    return SimSummary(
        out_dir=out,
        seed=config.seed,
        profile=config.profile,
        accounts=pop.n,
        covert_accounts=int(pop.is_covert.sum()),
        successors=int((pop.predecessor >= 0).sum()),
        newcomers=pop.newcomers,
        suspended=int((pop.suspended < end).sum()),
        posts=emitted.posts,
        channels=int(pop.channels.ids.size),
        telegram_posts=sum(emitted.telegram_messages.values()),
        follow_edges=emitted.follow_edges,
        seconds=time.perf_counter() - began,
        inputs=[(p, fmt) for fmt, paths in files.items() for p in paths],
        ground_truth=truth,
    )


def _child(
    config: SimConfig,
    pop: Population,
    graph: FollowerGraph,
    out: Path,
    jobs: list[tuple[str, str]],
    send: Connection,
) -> None:
    try:
        _emit(config, pop, graph, out, jobs, lambda stage, done, total: None)
    except BaseException as exc:  # reported to the parent, which raises
        send.send(("error", f"{type(exc).__name__}: {exc}"))
        raise
    send.send(("ok", ""))


@dataclass
class _Emitted:
    posts: int
    follow_edges: int
    counts: np.ndarray
    telegram_messages: dict[int, int]


def _emit(
    config: SimConfig,
    pop: Population,
    graph: FollowerGraph,
    out: Path,
    jobs: list[tuple[str, str]],
    report: ProgressFn,
) -> _Emitted:
    """Run the post stream and write the *jobs* ``(format, part)`` (see the module docstring)."""
    stream = PostStream(pop, config, _rng(config.seed, _POSTS))
    x_parts = [part for fmt, part in jobs if fmt == "x-v2"]
    xw = XV2Writer(out, pop, x_parts) if x_parts else None
    mw = (
        MarsadJsonlWriter(out, pop, media_kept=config.avatar_media_kept)
        if ("marsad-jsonl", "") in jobs
        else None
    )
    start = int(config.start.timestamp())
    end = int(config.end.timestamp())
    step = config.lookup_every_days * DAY
    lookups = set(range(start, end, step)) if step > 0 else set()
    observed = np.zeros(pop.n, bool)  # seen suspended by a lookup
    last_seen = np.maximum(pop.created, start)
    monitored = np.flatnonzero(pop.monitored)
    follow_edges = 0
    g = 0
    posts = 0
    try:
        for sl in stream.slices():
            if sl.t0 in lookups:
                cand = monitored[(pop.created[monitored] < sl.t0) & ~observed[monitored]]
                gone = pop.suspended[cand] <= sl.t0
                observed[cand[gone]] = True
                last_seen[cand[~gone]] = np.maximum(last_seen[cand[~gone]], sl.t0)
                _lookup(xw, mw, sl.t0, cand, gone, stream.counts_at_start)
            while g < graph.dst.size and graph.collect_at[g] <= sl.t0:
                t = int(graph.collect_at[g])
                fol = graph.followers_of(g)
                fol = fol[(pop.created[fol] <= t) & (pop.suspended[fol] > t)]
                if xw is not None:
                    xw.write_followers(t, int(graph.dst[g]), fol, stream.counts_at_start)
                if mw is not None:
                    mw.write_followers(int(graph.dst[g]), fol)
                follow_edges += int(fol.size)
                g += 1
            if xw is not None:
                xw.write_slice(sl.t0, sl.t1, sl.rows, stream.counts)
            if mw is not None:
                mw.write_slice(sl.rows)
            if sl.authors.size:
                np.maximum.at(last_seen, sl.authors, sl.times)
            posts += len(sl.rows)
            report("posts", posts, config.posts)

        everyone = np.arange(pop.n)[pop.created < end]
        gone = pop.suspended[everyone] <= end
        observed[everyone[gone]] = True
        last_seen[everyone[~gone]] = end
        _lookup(xw, mw, end, everyone, gone, stream.counts)
        report("lookups", 1, 1)

        assert pop.channels is not None
        tg = write_telegram(
            config,
            pop.channels,
            _rng(config.seed, _TELEGRAM),
            out if ("telegram", "") in jobs else None,
        )
        report("telegram", 1, 1)
        if mw is not None:
            mw.write_records(tg.records)
            mw.write_accounts(last_seen, stream.counts, observed)
    finally:
        if xw is not None:
            xw.close()
        if mw is not None:
            mw.close()

    return _Emitted(posts, follow_edges, stream.counts, tg.messages)


def _lookup(
    xw: XV2Writer | None,
    mw: MarsadJsonlWriter | None,
    t: int,
    accounts: np.ndarray,
    gone: np.ndarray,
    counts: np.ndarray,
) -> None:
    if xw is not None:
        xw.write_lookup(t, accounts, gone, counts)
    if mw is not None:
        mw.write_lookup(t, accounts, gone, counts)
