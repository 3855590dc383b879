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

import contextlib
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marsad.errors import MarsadError, UnreadableFile
from marsad.files import replacing
from marsad.hashing.banks import Match, Matcher
from marsad.hashing.registry import SIGNAL_TYPES
from marsad.hashing.signals import FileHashes, hash_file, pdq_dihedral
from marsad.model import Detection
from marsad.store.base import Store

__all__ = [
    "DETECTOR",
    "VERSION",
    "MediaDirResult",
    "hash_media_directory",
    "match_files",
    "match_workspace",
]

DETECTOR = "hash-match"
VERSION = "1"


def _row(item: str, matches: list[Match], suppressed: list[Match]) -> dict[str, Any]:
    return {
        "item": item,
        "matches": [asdict(m) for m in matches],
        "suppressed": [asdict(m) for m in suppressed],
    }


def _thresholds(distance: int | None, thresholds: dict[str, int] | None) -> dict[str, int]:
    out = dict(thresholds or {})
    if distance is not None:
        out["pdq"] = distance
    return out


def match_files(
    store: Store,
    paths: list[Path],
    *,
    distance: int | None = None,
    rotations: bool = False,
    thresholds: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Hash each file (directories walked) and match it; a file that cannot
    be read gets an ``error`` and the others go on.  Nothing is stored.
    *distance* is PDQ's threshold (default
    :data:`~marsad.hashing.signals.MATCH_DISTANCE`), *thresholds* any type's.

    With *rotations* a picture is also matched through its seven rotations
    and mirror images (:func:`~marsad.hashing.signals.pdq_dihedral`; the
    threatexchange CLI's ``--photo-preprocess=rotations``), each banked
    signal keeping its smallest distance."""
    matcher = Matcher(store, thresholds=_thresholds(distance, thresholds))
    out = []
    for f in _walk(paths):
        try:
            h = hash_file(f)
            item = _signals(f, h)
        except MarsadError as exc:
            out.append({**_row(str(f), [], []), "error": str(exc)})
            continue
        variants = [item]
        if rotations and item.get("pdq"):
            hashes, _ = pdq_dihedral(f.read_bytes(), where=str(f))
            variants += [{"pdq": v} for v in hashes[1:]]
        found = matcher.match_many(variants)
        matches = [m for hit, _ in found for m in hit]
        suppressed = [m for _, hidden in found for m in hidden]
        if len(variants) > 1:
            if suppressed:  # a negative match on any transform suppresses them all
                suppressed, matches = _best(suppressed + matches), []
            matches = _best(matches)
        out.append(_row(str(f), matches, suppressed))
    return out


def _walk(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p])
    return files


def video_available() -> bool:
    """Whether videos get a vPDQ signal (the ``video`` extra is installed)."""
    from marsad.hashing.video import vpdq_available

    return bool(vpdq_available())


def _signals(path: Path, h: FileHashes) -> dict[str, str | None]:
    """The signals of a hashed file: MD5, SHA-256, PDQ of a picture good
    enough to match on, and vPDQ of a video when the video extra is there."""
    item: dict[str, str | None] = {"md5": h.md5, "sha256": h.sha256}
    if h.pdq is not None and h.pdq.matchable:
        item["pdq"] = h.pdq.hex
    if h.media == "video" and video_available():
        from marsad.hashing.video import vpdq_hash

        # a video FFmpeg cannot decode is matched on its exact hashes only
        with contextlib.suppress(UnreadableFile):
            item["vpdq"] = vpdq_hash(path)
    return item


def _best(matches: list[Match]) -> list[Match]:
    """One match per banked signal, at its smallest distance, best first."""
    best: dict[tuple[str, str, str], Match] = {}
    for m in matches:
        key = (m.bank, m.signal_type, m.value)
        if key not in best or m.distance < best[key].distance:
            best[key] = m
    return sorted(best.values(), key=lambda m: (m.distance, m.bank, m.value))


def match_workspace(
    store: Store, *, distance: int | None = None, thresholds: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """Match every media item of the workspace that has a signal -- and,
    when a bank holds text signals, every post's text -- store the matches
    as detections (replacing the last run's), and return one row per item
    matched or suppressed."""
    matcher = Matcher(store, thresholds=_thresholds(distance, thresholds))
    rows = store.query(
        "SELECT platform, native_id, post_id, md5, sha256, pdq, vpdq FROM media "
        "WHERE md5 IS NOT NULL OR sha256 IS NOT NULL OR pdq IS NOT NULL OR vpdq IS NOT NULL "
        "ORDER BY platform, native_id"
    )
    now = datetime.now(UTC)
    out: list[dict[str, Any]] = []
    detections: list[Detection] = []
    items = [
        {"md5": md5, "sha256": sha256, "pdq": pdq, "vpdq": vpdq}
        for _, _, _, md5, sha256, pdq, vpdq in rows
    ]
    for (platform, native_id, post_id, *_), (matches, suppressed) in zip(
        rows, matcher.match_many(items), strict=True
    ):
        if not matches and not suppressed:
            continue
        out.append(_row(f"{platform}:{native_id}", matches, suppressed))
        if matches:
            best = matches[0]
            scale = max(SIGNAL_TYPES[best.signal_type].max_threshold, 1)
            detections.append(
                Detection(
                    detector=DETECTOR,
                    detector_version=VERSION,
                    target_kind="media",
                    platform=platform,
                    target_id=native_id,
                    score=1.0 - best.distance / scale,
                    evidence={
                        "post_id": post_id,
                        "thresholds": {
                            m.signal_type: matcher.thresholds[m.signal_type] for m in matches
                        },
                        "matches": [asdict(m) for m in matches],
                    },
                    created_at=now,
                )
            )
    if matcher.holds("text_minhash"):
        _match_texts(store, matcher, now, out, detections)
    with store.transaction():
        store.execute("DELETE FROM detections WHERE detector = ?", [(DETECTOR,)])
        store.write_detections(detections)
    return out


#: posts whose text signatures are computed and matched together
TEXT_BATCH = 10_000


def _match_texts(
    store: Store,
    matcher: Matcher,
    now: datetime,
    out: list[dict[str, Any]],
    detections: list[Detection],
) -> None:
    """Posts whose text is a near-duplicate of a banked text (only when a
    bank holds text signals: a signature costs about 0.3 ms a post)."""
    from marsad.hashing.text import text_signatures

    cursor = store.analytics().cursor()
    try:
        cursor.execute(
            "SELECT platform, native_id, text FROM current_posts "
            "WHERE text IS NOT NULL ORDER BY platform, native_id"
        )
        while chunk := cursor.fetchmany(TEXT_BATCH):
            signatures = text_signatures([text for _, _, text in chunk])
            found = matcher.match_many([{"text_minhash": sig} for sig in signatures])
            for (platform, native_id, _), (matches, suppressed) in zip(chunk, found, strict=True):
                if not matches and not suppressed:
                    continue
                out.append(_row(f"{platform}:{native_id}", matches, suppressed))
                if matches:
                    detections.append(
                        Detection(
                            detector=DETECTOR,
                            detector_version=VERSION,
                            target_kind="post",
                            platform=platform,
                            target_id=native_id,
                            score=1.0 - matches[0].distance / 128,
                            evidence={
                                "thresholds": {"text_minhash": matcher.thresholds["text_minhash"]},
                                "matches": [asdict(m) for m in matches],
                            },
                            created_at=now,
                        )
                    )
    finally:
        cursor.close()


# -- a media directory ----------------------------------------------------------

#: platform of files that belong to no ingested media item
FILE_PLATFORM = "file"


@dataclass
class MediaDirResult:
    files: int = 0
    linked: int = 0  # to a media item already in the workspace
    added: int = 0  # as a new ``file`` media item
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def hash_media_directory(
    store: Store, directory: Path, *, platform: str | None = None, keep: bool = False
) -> MediaDirResult:
    """Hash every file under *directory* into the workspace, so that
    :func:`match_workspace` matches it -- hash-only: the bytes stay where
    they are, the media row keeps their path.

    A file is linked to the media item it is the download of: the item
    ingested from that very file (a Telegram export's ``photos/`` and
    ``video_files/``: this is how their videos get a vPDQ, which ingest
    does not compute -- decoding video is slow and needs the extra), else
    the item whose native id is the file's stem (X ``media_key`` names such as
    ``3_1263...``, Telegram file ids), or whose URL ends in the file's name
    (``https://pbs.twimg.com/media/EXaMple.jpg`` -> ``EXaMple.jpg``);
    *platform* limits the search.  Other files become media items of
    platform ``file`` keyed by their SHA-256.  An unreadable file is
    reported and the others go on; running it again changes nothing.

    With *keep* the bytes are copied into the workspace
    (``media/<sha256><suffix>``, written whole or not at all) and the row
    points there: for evidence that must outlive the download folder."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UnreadableFile(f"{directory}: not a directory")
    result = MediaDirResult()
    by_id: dict[str, list[tuple[str, str]]] = {}
    by_name: dict[str, list[tuple[str, str]]] = {}
    by_path: dict[str, list[tuple[str, str]]] = {}
    sql = "SELECT platform, native_id, url, path FROM media"
    params: list[Any] = []
    if platform:
        sql += " WHERE platform = ?"
        params.append(platform)
    for plat, native_id, url, where in store.query(sql, params):
        by_id.setdefault(native_id, []).append((plat, native_id))
        if where:
            by_path.setdefault(where, []).append((plat, native_id))
        if url:
            name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            if name:
                by_name.setdefault(name, []).append((plat, native_id))
    updates: list[tuple[Any, ...]] = []
    inserts: list[tuple[Any, ...]] = []
    for f in _walk([directory]):
        result.files += 1
        try:
            h = hash_file(f)
            item = _signals(f, h)
        except MarsadError as exc:
            result.errors.append(str(exc))
            continue
        targets = (
            by_path.get(str(f.resolve()))
            or by_id.get(f.stem)
            or by_id.get(f.name)
            or by_name.get(f.name)
            or []
        )
        where = str(f.resolve())
        if keep:
            try:
                where = str(_keep(store, f, h.sha256))
            except OSError as exc:
                result.errors.append(f"{f}: cannot copy into the workspace ({exc})")
                continue
        values = (h.md5, h.sha256, item.get("pdq"), item.get("vpdq"), where, h.size)
        if targets:
            if all(plat == FILE_PLATFORM for plat, _ in targets):
                result.unchanged += 1  # added as a file by an earlier run
            else:
                result.linked += 1
            updates.extend((*values, plat, native_id) for plat, native_id in targets)
        else:
            kind = {"image": "photo", "video": "video"}.get(h.media, "document")
            inserts.append((FILE_PLATFORM, h.sha256, kind, *values))
    before = _media_count(store)
    with store.transaction():
        if updates:
            store.execute(
                "UPDATE media SET md5 = ?, sha256 = ?, pdq = ?, vpdq = ?, path = ?, size_bytes = ? "
                "WHERE platform = ? AND native_id = ?",
                updates,
            )
        if inserts:
            store.insert_rows(
                "media",
                ("platform", "native_id", "kind", "md5", "sha256", "pdq", "vpdq", "path")
                + ("size_bytes",),
                inserts,
            )
    result.added = _media_count(store) - before
    result.unchanged += len(inserts) - result.added  # the same bytes under another name
    return result


def _keep(store: Store, source: Path, sha256: str) -> Path:
    directory = getattr(store, "directory", None)
    if not isinstance(directory, Path):
        raise OSError("this store keeps no files")
    target = directory / "media" / f"{sha256}{source.suffix.lower()}"
    if not target.exists():
        with replacing(target) as tmp:
            shutil.copyfile(source, tmp)
    return target


def _media_count(store: Store) -> int:
    return int(store.query("SELECT count(*) FROM media")[0][0])
