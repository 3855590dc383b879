"""Writes the simulation's ground truth: ``ground_truth/*.csv`` and ``config.json``.

Part of the simulate stage (outside the flow).  Later stages are scored against
these files, never against anything the exports themselves say.

``accounts.csv`` -- one row per account of every platform:
    ``native_id`` (as the ingest adapters key it), ``platform`` (``x`` or
    ``telegram``), ``role`` (ordinary, news, campaign, hub, amplifier,
    supporter, shoutout, outlet, relay), ``community`` (planted community id),
    ``is_covert``, ``language``, ``client`` (X only), ``followers`` (X's
    public count; empty for channels), ``created_at`` / ``suspended_at``
    (ISO-8601 UTC; empty when not suspended within the period),
    ``predecessor_id`` / ``family_id`` (the TRUE lineage: the account this one
    replaces, and the first account of its family -- itself for a root), then
    ``handle``, ``generation`` (0 for a root), ``posts`` (posts written in the
    period) and ``hyperactive``.  A *newcomer* (``SimConfig.newcomer_rate``:
    an account that joined during the period, a re-creation of nobody) is a
    root created at or after the period's start: generation 0, no
    predecessor, ``created_at`` inside the period.
``lineage.csv`` -- one row per re-created account (newcomers have none):
    ``successor_id``, ``predecessor_id``, ``family_id``, ``generation``,
    ``predecessor_suspended_at``, ``successor_created_at``,
    ``predecessor_handle``, ``successor_handle``, ``handle_variation`` (suffix,
    digits, kunya, lookalike, underscore; ``renamed`` for a successor whose
    handle and name are unrelated to its predecessor's -- still a true
    re-creation), ``same_avatar`` (the successor re-uploaded its
    predecessor's picture), ``same_name``, ``same_bio``.
``config.json`` -- the simulator's name and version, the seed, the whole
    config, the formats written and what each file holds.  It holds no clock
    time, so the same seed and config give the same bytes.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from marsad.simulate.population import NEVER, ROLES, Population
from marsad.simulate.text import LANGUAGES

__all__ = ["ACCOUNT_COLUMNS", "LINEAGE_COLUMNS", "write_ground_truth"]

ACCOUNT_COLUMNS = (
    "native_id",
    "platform",
    "role",
    "community",
    "is_covert",
    "language",
    "client",
    "followers",
    "created_at",
    "suspended_at",
    "predecessor_id",
    "family_id",
    "handle",
    "generation",
    "posts",
    "hyperactive",
)
LINEAGE_COLUMNS = (
    "successor_id",
    "predecessor_id",
    "family_id",
    "generation",
    "predecessor_suspended_at",
    "successor_created_at",
    "predecessor_handle",
    "successor_handle",
    "handle_variation",
    "same_avatar",
    "same_name",
    "same_bio",
)


def _iso(seconds: int) -> str:
    if seconds >= NEVER:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _flag(value: Any) -> str:
    return "true" if value else "false"


def write_ground_truth(
    out_dir: Path,
    pop: Population,
    counts: np.ndarray,
    telegram_messages: dict[int, int],
    config_doc: dict[str, Any],
) -> dict[str, Path]:
    """Write the three ground-truth files; return their paths by name."""
    gt = out_dir / "ground_truth"
    gt.mkdir(parents=True, exist_ok=True)
    paths = {
        "accounts": gt / "accounts.csv",
        "lineage": gt / "lineage.csv",
        "config": gt / "config.json",
    }
    ids = pop.id_str
    with open(paths["accounts"], "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(ACCOUNT_COLUMNS)
        for a in range(pop.n):
            pred = int(pop.predecessor[a])
            w.writerow(
                (
                    ids[a],
                    "x",
                    ROLES[pop.role[a]],
                    int(pop.community[a]),
                    _flag(pop.role[a] >= 3),
                    LANGUAGES[pop.lang[a]],
                    pop.clients[pop.client[a]],
                    int(pop.followers[a]),
                    _iso(int(pop.created[a])),
                    _iso(int(pop.suspended[a])),
                    ids[pred] if pred >= 0 else "",
                    ids[int(pop.family[a])],
                    pop.handles[a],
                    int(pop.generation[a]),
                    int(counts[a]),
                    _flag(pop.hyperactive[a]),
                )
            )
        ch = pop.channels
        if ch is not None:
            for c in range(ch.ids.size):
                cid = str(int(ch.ids[c]))
                w.writerow(
                    (
                        cid,
                        "telegram",
                        "relay" if ch.is_relay[c] else "outlet",
                        ch.community,
                        "true",
                        LANGUAGES[ch.lang[c]],
                        "",
                        "",
                        _iso(int(ch.created[c])),
                        "",
                        "",
                        cid,
                        "",
                        0,
                        telegram_messages.get(int(ch.ids[c]), 0),
                        "false",
                    )
                )
    with open(paths["lineage"], "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(LINEAGE_COLUMNS)
        for a in np.flatnonzero(pop.predecessor >= 0).tolist():
            p = int(pop.predecessor[a])
            w.writerow(
                (
                    ids[a],
                    ids[p],
                    ids[int(pop.family[a])],
                    int(pop.generation[a]),
                    _iso(int(pop.suspended[p])),
                    _iso(int(pop.created[a])),
                    pop.handles[p],
                    pop.handles[a],
                    pop.variation[a],
                    _flag(pop.avatar_picture[a] == pop.avatar_picture[p]),
                    _flag(pop.names[a] == pop.names[p]),
                    _flag(pop.bios[a] == pop.bios[p]),
                )
            )
    paths["config"].write_bytes(
        orjson.dumps(config_doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
    return paths
