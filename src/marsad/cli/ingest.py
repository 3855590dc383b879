"""``marsad ingest`` and ``marsad status``: platform exports and observed
account statuses into the workspace, one library call each.

Thin over :func:`marsad.pipeline.ingest_paths` / :func:`marsad.pipeline.ingest_file`:
re-running changes nothing, an interrupted run resumes, a bad record is
quarantined and reported with file, line and reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from marsad import pipeline
from marsad.cli.common import (
    _emit_json,
    _progress_printer,
    _run,
    err,
    json_option,
    out,
    workspace_option,
)

__all__ = ["ingest", "status"]


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    default=None,
    help="Force an adapter: x-v2, x-v1, telegram, youtube, csv, marsad-jsonl.",
)
@click.option("--csv-preset", default=None, help="CSV layout preset, e.g. isis-twitter.")
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="CSV column mapping, e.g. --map tweets=text (repeatable).",
)
@click.option("--platform", default=None, help="Platform name for CSV rows (default x).")
@workspace_option
@json_option
def ingest(
    paths: tuple[Path, ...],
    fmt: str | None,
    csv_preset: str | None,
    mapping: tuple[str, ...],
    platform: str | None,
    workspace: Path,
    as_json: bool,
) -> None:
    """Ingest platform exports (files or directories; format auto-detected).

    Re-running on the same files changes nothing; an interrupted run resumes.
    Malformed records are quarantined with file, line and reason.

    \b
    Examples:
      marsad ingest tweets.jsonl
      marsad ingest ../shared/fixtures/telegram_desktop_export_2020/tests/result.json
      marsad ingest isis.csv --format csv --csv-preset isis-twitter
    """

    def go() -> list[pipeline.IngestSummary]:
        options: dict[str, Any] = {}
        if csv_preset or mapping or platform:
            options = {"preset": csv_preset, "mapping": list(mapping), "platform": platform}
        progress, done = _progress_printer()
        with pipeline.open_store(workspace) as store:
            summaries = pipeline.ingest_paths(
                store, paths, fmt=fmt, progress=progress, adapter_options=options
            )
        done()
        return summaries

    summaries = _run(go)
    if as_json:
        _emit_json([s.as_dict() for s in summaries])
        return
    table = Table(title="ingest")
    for col in ("file", "format", "records", "new posts", "new accounts", "quarantined", "note"):
        table.add_column(col, justify="left" if col in {"file", "format", "note"} else "right")
    for s in summaries:
        note = "unchanged" if s.already_complete else ("skipped" if s.skipped else "")
        if s.resumed_from and not s.already_complete:
            note = f"resumed at {s.resumed_from:,}"
        table.add_row(
            Path(s.path).name,
            s.adapter,
            f"{s.records:,}",
            f"{s.added.get('posts', 0):,}",
            f"{s.added.get('accounts', 0):,}",
            f"{s.quarantined:,}",
            note,
        )
    out.print(table)
    for s in summaries:
        if s.skipped:
            err.print(f"[yellow]skipped[/] {s.path}: {s.skipped}", highlight=False)
        for line, reason in s.problems:
            err.print(f"[yellow]quarantined[/] {s.path}:{line}: {reason}", highlight=False)
        if s.quarantined > len(s.problems):
            err.print(f"  … and {s.quarantined - len(s.problems)} more in {s.path}")


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--platform", default="x", show_default=True, help="Platform of the accounts.")
@workspace_option
@json_option
def status(path: Path, platform: str, workspace: Path, as_json: bool) -> None:
    """Record observed account statuses from a CSV.

    Columns: account_id (or handle), status (active|suspended|deleted|protected),
    observed_at (ISO-8601), and optional evidence and platform.

    \b
    Example:
      marsad status suspensions.csv --platform x
    """

    def go() -> pipeline.IngestSummary:
        from marsad.ingest.status import StatusCsvAdapter

        with pipeline.open_store(workspace) as store:
            return pipeline.ingest_file(store, path, adapter=StatusCsvAdapter(platform=platform))

    s = _run(go)
    if as_json:
        _emit_json(s.as_dict())
        return
    out.print(
        f"{s.added.get('status_events', 0):,} new status events from {s.records:,} rows, "
        f"{s.quarantined:,} quarantined"
        + (" (already recorded: nothing changed)" if s.already_complete else "")
    )
    for line, reason in s.problems:
        err.print(f"[yellow]quarantined[/] {path}:{line}: {reason}", highlight=False)
