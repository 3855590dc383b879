"""Matching files, or a workspace's media, against its enabled banks.

Part of the *match* stage (issue 5).  A workspace's media carry their MD5,
SHA-256 and (pictures of quality >= 50) PDQ from ingest; :func:`match_workspace`
matches every item that has one and stores a Detection per matching item
(detector ``hash-match``: bank, labels, signal type and distance in the
evidence).  The whole set is recomputed on each run and replaces the last
one in one transaction -- banks change (a new list, a bank disabled, a
known false positive added) and matching a workspace's media is cheap --
so running it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marsad.errors import MarsadError
from marsad.hashing.banks import Match, Matcher
from marsad.hashing.signals import MATCH_DISTANCE, hash_file, pdq_dihedral
from marsad.model import Detection
from marsad.store.base import Store

__all__ = ["DETECTOR", "VERSION", "match_files", "match_workspace"]

DETECTOR = "hash-match"
VERSION = "1"


def _row(item: str, matches: list[Match], suppressed: list[Match]) -> dict[str, Any]:
    return {
        "item": item,
        "matches": [asdict(m) for m in matches],
        "suppressed": [asdict(m) for m in suppressed],
    }


def match_files(
    store: Store, paths: list[Path], *, distance: int = MATCH_DISTANCE, rotations: bool = False
) -> list[dict[str, Any]]:
    """Hash each file (directories walked) and match it; a file that cannot
    be read gets an ``error`` and the others go on.  Nothing is stored.

    With *rotations* a picture is also matched through its seven rotations
    and mirror images (:func:`~marsad.hashing.signals.pdq_dihedral`; the
    threatexchange CLI's ``--photo-preprocess=rotations``), each banked
    signal keeping its smallest distance."""
    matcher = Matcher(store, distance=distance)
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p])
    out = []
    for f in files:
        try:
            h = hash_file(f)
        except MarsadError as exc:
            out.append({**_row(str(f), [], []), "error": str(exc)})
            continue
        pdq = h.pdq.hex if h.pdq is not None and h.pdq.matchable else None
        matches, suppressed = matcher.match(md5=h.md5, sha256=h.sha256, pdq=pdq)
        if rotations and pdq is not None:
            hashes, _ = pdq_dihedral(f.read_bytes(), where=str(f))
            for variant in hashes[1:]:
                more, hidden = matcher.match(pdq=variant)
                matches, suppressed = matches + more, suppressed + hidden
            if suppressed:  # a negative match on any transform suppresses them all
                suppressed, matches = _best(suppressed + matches), []
            matches = _best(matches)
        out.append(_row(str(f), matches, suppressed))
    return out


def _best(matches: list[Match]) -> list[Match]:
    """One match per banked signal, at its smallest distance, best first."""
    best: dict[tuple[str, str, str], Match] = {}
    for m in matches:
        key = (m.bank, m.signal_type, m.value)
        if key not in best or m.distance < best[key].distance:
            best[key] = m
    return sorted(best.values(), key=lambda m: (m.distance, m.bank, m.value))


def match_workspace(store: Store, *, distance: int = MATCH_DISTANCE) -> list[dict[str, Any]]:
    """Match every media item of the workspace that has a hash, store the
    matches as detections (replacing the last run's), and return one row
    per item matched or suppressed."""
    matcher = Matcher(store, distance=distance)
    rows = store.query(
        "SELECT platform, native_id, post_id, md5, sha256, pdq FROM media "
        "WHERE md5 IS NOT NULL OR sha256 IS NOT NULL OR pdq IS NOT NULL "
        "ORDER BY platform, native_id"
    )
    now = datetime.now(UTC)
    out: list[dict[str, Any]] = []
    detections: list[Detection] = []
    for platform, native_id, post_id, md5, sha256, pdq in rows:
        matches, suppressed = matcher.match(md5=md5, sha256=sha256, pdq=pdq)
        if not matches and not suppressed:
            continue
        out.append(_row(f"{platform}:{native_id}", matches, suppressed))
        if matches:
            best = matches[0].distance
            detections.append(
                Detection(
                    detector=DETECTOR,
                    detector_version=VERSION,
                    target_kind="media",
                    platform=platform,
                    target_id=native_id,
                    score=1.0 - best / 256,
                    evidence={
                        "post_id": post_id,
                        "distance_threshold": distance,
                        "matches": [asdict(m) for m in matches],
                    },
                    created_at=now,
                )
            )
    with store.transaction():
        store.execute("DELETE FROM detections WHERE detector = ?", [(DETECTOR,)])
        store.write_detections(detections)
    return out
