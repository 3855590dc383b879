"""``marsad init``, ``info``, ``export`` and ``import``: the workspace itself.

Thin over :mod:`marsad.pipeline` (open or create the store) and
:mod:`marsad.store.info` / :mod:`marsad.store.exchange` (what is in it, a
lossless export and its import).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from marsad import pipeline
from marsad.cli.common import _emit_json, _run, json_option, out, workspace_option
from marsad.config import shown_workspace

__all__ = ["export", "import_", "info", "init", "store"]


@click.command()
@workspace_option
def init(workspace: Path) -> None:
    """Create (or migrate) a workspace.

    \b
    Examples:
      marsad init --workspace ./case-42
      marsad init --workspace postgresql://127.0.0.1/marsad   # a team store (docs/team.md)
    """

    def go() -> None:
        with pipeline.open_store(workspace) as store:
            version = store.schema_version()
        out.print(f"workspace ready: {shown_workspace(workspace)} (schema version {version})")

    _run(go)


@click.command()
@workspace_option
@json_option
def info(workspace: Path, as_json: bool) -> None:
    """Show what is in the workspace.

    \b
    Example:
      marsad info --json
    """

    def go() -> dict[str, Any]:
        from marsad.store.info import workspace_info

        with pipeline.open_store(workspace, create=False) as store:
            return workspace_info(store)

    data = _run(go)
    if as_json:
        _emit_json(data)
        return
    table = Table(title=f"workspace {shown_workspace(workspace)}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in data["counts"].items():
        table.add_row(name, f"{n:,}")
    out.print(table)
    for section in ("platforms", "languages", "clients"):
        if data.get(section):
            t = Table(title=section)
            t.add_column(section[:-1])
            t.add_column("posts", justify="right")
            for k, v in list(data[section].items())[:10]:
                t.add_row(str(k), f"{v:,}")
            out.print(t)
    if data.get("sources"):
        t = Table(title="sources")
        for col in ("path", "adapter", "records", "quarantined", "complete"):
            t.add_column(col)
        for s in data["sources"]:
            t.add_row(
                s["path"],
                s["adapter"],
                f"{s['records']:,}",
                f"{s['quarantined']:,}",
                str(s["complete"]),
            )
        out.print(t)


@click.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--as",
    "kind",
    type=click.Choice(["parquet", "jsonl"]),
    default=None,
    help="parquet (a directory) or jsonl (a file); default from TARGET's suffix.",
)
@workspace_option
def export(target: Path, kind: str | None, workspace: Path) -> None:
    """Export the whole workspace, losslessly, as Parquet or marsad JSONL.

    \b
    Examples:
      marsad export backup/            # Parquet, one file per table
      marsad export backup.jsonl.gz    # one JSON line per row
    """

    def go() -> dict[str, int]:
        from marsad.store.exchange import export_workspace

        with pipeline.open_store(workspace, create=False) as store:
            return export_workspace(store, target, kind)

    rows = _run(go)
    out.print(f"exported {sum(rows.values()):,} rows to {target}")


@click.command(name="import")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@workspace_option
def import_(source: Path, workspace: Path) -> None:
    """Import a `marsad export` (Parquet directory or JSONL file); present rows are kept.

    \b
    Example:
      marsad import backup/ --workspace ./restored
    """

    def go() -> dict[str, int]:
        from marsad.store.exchange import import_workspace

        with pipeline.open_store(workspace) as store:
            return import_workspace(store, source)

    rows = _run(go)
    out.print(f"imported {sum(rows.values()):,} new rows from {source}")


@click.group()
def store() -> None:
    """Upkeep of the store.

    \b
    Example:
      marsad store compact -w postgresql://127.0.0.1/marsad
    """


@store.command()
@workspace_option
@json_option
def compact(workspace: Path | str, as_json: bool) -> None:
    """Merge the team store's small Parquet files and delete the files no
    snapshot needs (the embedded store regroups its rollups).

    \b
    Example:
      marsad store compact -w postgresql://127.0.0.1/marsad
    """

    def go() -> dict[str, Any]:
        with pipeline.open_store(workspace, create=False) as s:
            compact_files = getattr(s, "compact", None)
            if compact_files is not None:
                return dict(compact_files())
            return {"rollups_regrouped": s.compact_rollups()}

    data = _run(go)
    if as_json:
        _emit_json(data)
        return
    for key, value in data.items():
        out.print(f"{key}: {value}")
