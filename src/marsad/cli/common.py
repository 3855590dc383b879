"""The helpers every command of :mod:`marsad.cli` shares.

The edge's one translation: :func:`_run` turns a
:class:`marsad.errors.MarsadError` into a message on stderr and its exit code
(KeyboardInterrupt into 130); :func:`_emit_json` is the ``--json`` output;
``err`` and ``out`` are the consoles for stderr and stdout.  The options that
most commands take (``--workspace``, ``--json``) are defined once here.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from marsad.config import WORKSPACE
from marsad.errors import MarsadError

__all__ = [
    "_emit_json",
    "_fail",
    "_progress_printer",
    "_queue_after",
    "_run",
    "err",
    "json_option",
    "out",
    "workspace_option",
]

err = Console(stderr=True)
out = Console()


def _fail(exc: MarsadError) -> None:
    # escaped: a message may quote input (a file name, a cell) or name an extra
    # (marsad[spark]) that rich would otherwise read as markup and drop
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
    sys.exit(exc.exit_code)


def _run(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except MarsadError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


def _emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


workspace_option = click.option(
    "--workspace",
    "-w",
    envvar="MARSAD_WORKSPACE",
    default="./marsad-data",
    show_default=True,
    type=WORKSPACE,
    help="Workspace directory, or a team store's postgresql:// URL (env MARSAD_WORKSPACE).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")


def _queue_after(workspace: Any, scorer: Any = None) -> None:
    """Add a stage's new detections to the workspace's review queue, if it has one."""
    from marsad.review.service import sync_after_stage

    result = _run(lambda: sync_after_stage(workspace, scorer))
    if result is not None:
        err.print(
            f"review queue: {result['added']:,} items added, {result['refreshed']:,} re-scored",
            highlight=False,
        )


def _progress_printer() -> tuple[Callable[[int, int], None], Callable[[], None]]:
    started = time.monotonic()
    last = [0.0]

    def progress(records: int, quarantined: int) -> None:
        if not err.is_terminal:
            return
        now = time.monotonic()
        if now - last[0] < 0.5:
            return
        last[0] = now
        rate = records / max(now - started, 1e-9)
        err.print(
            f"  {records:,} records, {quarantined:,} quarantined ({rate:,.0f}/s)",
            end="\r",
            highlight=False,
        )

    def done() -> None:
        if err.is_terminal and time.monotonic() - started > 0.5:
            err.print(" " * 70, end="\r")

    return progress, done
