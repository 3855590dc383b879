"""``marsad hash``, ``bank``, ``match`` and ``media``: hashes of known content.

Thin over :mod:`marsad.hashing`: the hashes of files (MD5, SHA-256, PDQ, vPDQ,
text signatures), banks of known content and known false positives, matching
files or the workspace's media against the enabled banks, and hashing a
directory of downloaded media into the workspace.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from marsad import pipeline
from marsad.cli.common import (
    _emit_json,
    _queue_after,
    _run,
    err,
    json_option,
    out,
    workspace_option,
)
from marsad.errors import MarsadError, UnreadableFile

__all__ = ["_SIGNAL_TYPES", "bank", "hash_", "match", "media"]


@click.command(name="hash")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=Path))
@click.option(
    "--unletterbox",
    type=click.IntRange(0, 255),
    default=None,
    help="Cut black bars off pictures first, at this black threshold (threatexchange's CLI: 15).",
)
@click.option(
    "--dihedral", is_flag=True, help="Also the PDQ hashes of the 7 rotations and mirrors."
)
@click.option(
    "--text", is_flag=True, help="Also the near-duplicate signature (text_minhash) of the text."
)
@json_option
def hash_(
    files: tuple[Path, ...], unletterbox: int | None, dihedral: bool, text: bool, as_json: bool
) -> None:
    """MD5, SHA-256 and, for pictures, the PDQ hash and its quality of FILES
    (directories are walked); for videos, with the video extra, the vPDQ
    hash; with --text, the near-duplicate signature of each file's text.  A
    file that cannot be read is reported, with the reason, and the others
    are hashed.

    \b
    Example:
      marsad hash photo.jpg export/photos
      marsad hash --json --dihedral known.png
      marsad hash --text statement.txt
    """
    from marsad.hashing.match import video_available
    from marsad.hashing.signals import DIHEDRAL, hash_file, pdq_dihedral, pdq_hash
    from marsad.hashing.text import text_signature

    paths: list[Path] = []
    for f in files:
        paths.extend(sorted(p for p in f.rglob("*") if p.is_file()) if f.is_dir() else [f])
    results: list[dict[str, Any]] = []
    failed = 0
    for path in paths:
        try:
            row = hash_file(path).as_dict()
            if row["media"] == "image" and unletterbox is not None:
                cut = pdq_hash(path, unletterbox=unletterbox)
                row["pdq"], row["pdq_quality"] = cut.hex, cut.quality
                row["unletterbox"] = unletterbox
            if row["media"] == "image" and dihedral:
                hashes, _ = pdq_dihedral(path.read_bytes(), where=str(path))
                row["pdq_dihedral"] = dict(zip(DIHEDRAL, hashes, strict=True))
            if row["media"] == "video" and video_available():
                from marsad.hashing.video import parse_vpdq, vpdq_hash

                row["vpdq"] = vpdq_hash(path)
                row["vpdq_frames"] = len(parse_vpdq(row["vpdq"]))
            if text:
                try:
                    content = path.read_text(encoding="utf-8-sig")
                except UnicodeDecodeError as exc:
                    raise UnreadableFile(f"{path}: not UTF-8 text (byte {exc.start})") from exc
                row["text_minhash"] = text_signature(content)
                if row["text_minhash"] is None:
                    row["note"] = "text too short for a near-duplicate signature"
        except MarsadError as exc:
            failed += 1
            results.append({"path": str(path), "error": str(exc)})
            if not as_json:
                err.print(f"[red]{exc}[/]", highlight=False, soft_wrap=True)
            continue
        results.append(row)
    if as_json:
        _emit_json(results)
    else:
        for row in results:
            if "error" in row:
                continue
            pdq = (
                f"pdq {row['pdq']} q{row['pdq_quality']}"
                if row["pdq"]
                else (row["note"] or "no pdq: not a picture")
            )
            if row.get("vpdq"):
                pdq = f"vpdq {row['vpdq_frames']} frames"
            click.echo(f"{row['path']}\tmd5 {row['md5']}\tsha256 {row['sha256']}\t{pdq}")
            for name, h in row.get("pdq_dihedral", {}).items():
                click.echo(f"\t{name}\t{h}")
            if row.get("text_minhash"):
                click.echo(f"\ttext_minhash\t{row['text_minhash']}")
    if failed:
        sys.exit(2 if failed == len(paths) else 1)


@click.group()
def bank() -> None:
    """Banks of known content (PDQ, MD5, SHA-256): create, import, export, list,
    enable and disable.

    \b
    Example:
      marsad bank create gifct-2024 --source GIFCT
      marsad bank import gifct-2024 hashes.csv
      marsad bank create known-fp --negative
      marsad bank list
    """


@bank.command(name="create")
@click.argument("name")
@click.option("--description", default="", help="What the bank holds.")
@click.option("--source", default="", help="Where its signals come from (GIFCT, TCAP, ...).")
@click.option("--negative", is_flag=True, help="Known false positives: suppress their matches.")
@click.option("--by", "created_by", default="", help="Who creates it (kept with the bank).")
@workspace_option
def bank_create(
    name: str, description: str, source: str, negative: bool, created_by: str, workspace: Path
) -> None:
    """Create the bank NAME."""
    from marsad.hashing.banks import create_bank

    def go() -> None:
        with pipeline.open_store(workspace) as store:
            b = create_bank(
                store,
                name,
                description=description,
                source=source,
                negative=negative,
                created_by=created_by,
            )
        kind = "negative bank" if b.negative else "bank"
        out.print(f"{kind} {b.name} created", highlight=False)

    _run(go)


_BANK_FORMATS = ("marsad-jsonl", "threatexchange", "csv", "tcap", "plain")
#: marsad.hashing.registry.SIGNAL_TYPES (a test keeps them equal; not imported: start-up time)
_SIGNAL_TYPES = ("pdq", "md5", "sha256", "text_minhash", "vpdq")


@bank.command(name="import")
@click.argument("name")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(_BANK_FORMATS), default=None, help="Default: guessed."
)
@click.option(
    "--type",
    "signal_type",
    type=click.Choice(_SIGNAL_TYPES),
    default=None,
    help="Type of bare hashes (plain lists; 64 hex digits may be PDQ or SHA-256).",
)
@click.option(
    "--feed",
    default=None,
    help="Name of the incremental feed the lists belong to (its checkpoint is kept per bank "
    "and feed; default: the format's name).",
)
@click.option(
    "--label",
    "labels",
    multiple=True,
    help="KEY=VALUE label for signals that carry none (entity, ideology, content_type, behaviour).",
)
@click.option("--by", "added_by", default="", help="Who adds them (kept with each signal).")
@workspace_option
@json_option
def bank_import(
    name: str,
    files: tuple[Path, ...],
    fmt: str | None,
    signal_type: str | None,
    labels: tuple[str, ...],
    feed: str | None,
    added_by: str,
    workspace: Path,
    as_json: bool,
) -> None:
    """Add the hash lists FILES to bank NAME. Bad lines are reported with file,
    line and reason; the good ones land; importing a list again changes nothing.

    \b
    A list with an update time per entry (TCAP's hash list, or a CSV with
    updated_on) is a feed: entries after the bank's checkpoint for the feed
    are applied in order, deleted ones removed, and the checkpoint moved on.

    \b
    Example:
      marsad bank import gifct-2024 hashes.csv
      marsad bank import tcap tcap-hash-list.json        # nightly: only what changed
      marsad bank import known-texts statements.te --format threatexchange"""
    from marsad.errors import ConfigError
    from marsad.hashing.banks import import_bank

    def go() -> None:
        given: dict[str, str] = {}
        for label in labels:
            key, sep, value = label.partition("=")
            if not sep or not key.strip():
                raise ConfigError(f"--label must be KEY=VALUE, got {label!r}")
            given[key.strip()] = value.strip()
        report: list[dict[str, Any]] = []
        with pipeline.open_store(workspace) as store:
            for f in files:
                r = import_bank(
                    store,
                    name,
                    f,
                    fmt,
                    signal_type=signal_type,
                    labels=given,
                    added_by=added_by,
                    feed=feed,
                )
                report.append(
                    {
                        "file": str(f),
                        "added": r.added,
                        "removed": r.removed,
                        "good": r.seen,
                        "before_checkpoint": r.skipped,
                        "unsupported": dict(r.unsupported),
                        "checkpoint": r.checkpoint,
                        "errors": r.errors,
                    }
                )
        if as_json:
            _emit_json(report)
        else:
            for row in report:
                for e in row["errors"][:50]:
                    err.print(f"[yellow]{e}[/]", highlight=False, soft_wrap=True)
                if len(row["errors"]) > 50:
                    err.print(f"... and {len(row['errors']) - 50} more bad lines")
                extra = ""
                if row["removed"]:
                    extra += f", {row['removed']:,} removed"
                if row["before_checkpoint"]:
                    extra += f", {row['before_checkpoint']:,} at or before the checkpoint"
                if row["checkpoint"]:
                    extra += f"; checkpoint {row['checkpoint']}"
                out.print(
                    f"{row['file']}: {row['added']:,} added ({row['good']:,} good lines, "
                    f"{len(row['errors']):,} bad){extra}",
                    highlight=False,
                )
                for algorithm, n in sorted(row["unsupported"].items()):
                    err.print(f"{row['file']}: {n:,} {algorithm} entries skipped (not banked)")
        if any(row["errors"] for row in report):
            sys.exit(1)

    _run(go)


@bank.command(name="export")
@click.argument("name")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(_BANK_FORMATS), default="marsad-jsonl", show_default=True
)
@workspace_option
def bank_export(name: str, target: Path, fmt: str, workspace: Path) -> None:
    """Write bank NAME to TARGET."""
    from marsad.hashing.banks import export_bank

    def go() -> None:
        with pipeline.open_store(workspace, create=False) as store:
            n = export_bank(store, name, target, fmt)
        out.print(f"{n:,} signals written to {target}", highlight=False)

    _run(go)


@bank.command(name="list")
@workspace_option
@json_option
def bank_list(workspace: Path, as_json: bool) -> None:
    """The banks of the workspace, with their signal counts."""
    from marsad.hashing.banks import list_banks

    def go() -> None:
        with pipeline.open_store(workspace, create=False) as store:
            banks = list_banks(store)
        if as_json:
            _emit_json([b.__dict__ for b in banks])
            return
        table = Table("bank", "kind", "enabled", "source", "signals", "feeds", "created")
        for b in banks:
            table.add_row(
                b.name,
                "negative" if b.negative else "known content",
                "yes" if b.enabled else "no",
                b.source,
                ", ".join(f"{k} {n:,}" for k, n in b.signals.items()) or "none",
                ", ".join(f"{f} @ {c}" for f, c in b.feeds.items()),
                f"{b.created_at:%Y-%m-%d} {b.created_by}".strip() if b.created_at else "",
            )
        out.print(table)

    _run(go)


def _bank_switch(name: str, workspace: Path, enabled: bool) -> None:
    from marsad.hashing.banks import set_enabled

    def go() -> None:
        with pipeline.open_store(workspace, create=False) as store:
            b = set_enabled(store, name, enabled)
        out.print(f"bank {b.name} {'enabled' if b.enabled else 'disabled'}", highlight=False)

    _run(go)


@bank.command(name="disable")
@click.argument("name")
@workspace_option
def bank_disable(name: str, workspace: Path) -> None:
    """Stop matching against bank NAME (its signals are kept)."""
    _bank_switch(name, workspace, False)


@bank.command(name="enable")
@click.argument("name")
@workspace_option
def bank_enable(name: str, workspace: Path) -> None:
    """Match against bank NAME again."""
    _bank_switch(name, workspace, True)


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--distance",
    type=click.IntRange(0, 256),
    default=None,
    help="Largest PDQ distance that matches (default 31, the PDQ authors').",
)
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    metavar="TYPE=N",
    help="Largest distance that matches for a signal type (text_minhash, vpdq ...).",
)
@click.option(
    "--rotations",
    is_flag=True,
    help="Also match FILES' pictures rotated and mirrored (8 PDQ hashes each).",
)
@workspace_option
@json_option
def match(
    files: tuple[Path, ...],
    distance: int | None,
    thresholds: tuple[str, ...],
    rotations: bool,
    workspace: Path,
    as_json: bool,
) -> None:
    """Match FILES, or without FILES every hashed media item of the workspace,
    against the enabled banks.  Workspace matches are stored as detections
    (detector "hash-match", with bank, labels and distance).

    \b
    Example:
      marsad match suspicious.jpg
      marsad match            # the workspace's media
    """
    from marsad.errors import ConfigError
    from marsad.hashing.match import match_files, match_workspace

    def go() -> None:
        given: dict[str, int] = {}
        for t in thresholds:
            kind, sep, value = t.partition("=")
            if not sep or not value.strip().isdigit():
                raise ConfigError(f"--threshold must be TYPE=N, got {t!r}")
            given[kind.strip()] = int(value)
        with pipeline.open_store(workspace, create=not files) as store:
            if files:
                results = match_files(
                    store, list(files), distance=distance, rotations=rotations, thresholds=given
                )
            else:
                results = match_workspace(store, distance=distance, thresholds=given)
        if not files:  # the workspace's matches are detections: queue them
            _queue_after(workspace)
        if as_json:
            _emit_json(results)
            return
        hits = [r for r in results if r["matches"]]
        for r in results:
            if r.get("error"):
                err.print(f"[red]{r['error']}[/]", highlight=False, soft_wrap=True)
            for m in r["matches"]:
                click.echo(
                    f"{r['item']}\t{m['bank']}\t{m['signal_type']} d={m['distance']}\t"
                    f"{json.dumps(m['labels'], ensure_ascii=False)}"
                )
            if r["suppressed"]:
                click.echo(f"{r['item']}\tsuppressed by a negative bank")
        out.print(f"{len(hits):,} of {len(results):,} items matched", highlight=False)

    _run(go)


@click.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--platform", default=None, help="Link files to this platform's media only.")
@click.option(
    "--keep", is_flag=True, help="Also copy the bytes into the workspace (default: hashes only)."
)
@workspace_option
@json_option
def media(
    directory: Path, platform: str | None, keep: bool, workspace: Path, as_json: bool
) -> None:
    """Hash the files under DIRECTORY into the workspace (bytes stay where they
    are), so that `marsad match` matches them.  A file named after an ingested
    media item (its id, or the last part of its URL) is linked to it; other
    files become media items of platform "file".

    \b
    Example:
      marsad media downloads/x-media
      marsad match
    """
    from marsad.hashing.match import hash_media_directory

    def go() -> None:
        with pipeline.open_store(workspace) as store:
            r = hash_media_directory(store, directory, platform=platform, keep=keep)
        if as_json:
            _emit_json(r.__dict__)
        else:
            for e in r.errors[:50]:
                err.print(f"[yellow]{e}[/]", highlight=False, soft_wrap=True)
            out.print(
                f"{r.files:,} files: {r.linked:,} linked to ingested media, {r.added:,} added "
                f"as files, {r.unchanged:,} already there, {len(r.errors):,} unreadable",
                highlight=False,
            )
        if r.errors:
            sys.exit(1)

    _run(go)
