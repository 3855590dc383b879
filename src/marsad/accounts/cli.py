"""``marsad lineage``: the lineage of re-created accounts, one library call.

An edge of the system (registered in :mod:`marsad.cli`): it opens the
workspace, calls :func:`marsad.accounts.lineage.lineage`, and prints the
families and links as tables, or everything as JSON with ``--json``.  Errors
become a message on stderr and the exit code of the error (2 for a bad
threshold or model, 1 for a broken workspace).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from marsad.config import WORKSPACE
from marsad.errors import MarsadError

__all__ = ["lineage_command", "link_options"]

_err = Console(stderr=True)


def _abstentions(result: Any, top: int) -> Table:
    table = Table(
        title=f"abstentions ({len(result.abstentions):,}; top {top}): new accounts "
        "with a plausible predecessor and no link"
    )
    for col in ("new account", "best candidate", "link", "pair", "reason", "rivals"):
        table.add_column(col, overflow="fold")
    for a in result.abstentions[:top]:
        rivals = [
            f"@{r.predecessor_handle or r.predecessor_id} {r.score:.2f}"
            for r in a.rival_predecessors
        ] + [
            f"new @{r.predecessor_handle or r.predecessor_id} {r.score:.2f}"
            for r in a.rival_successors
        ]
        table.add_row(
            f"@{a.successor_handle or a.successor_id}",
            f"@{a.best.predecessor_handle or a.best.predecessor_id}",
            f"{a.best.score:.3f}",
            f"{a.pair_score:.3f}",
            a.reason.replace("_", " "),
            ", ".join(rivals) or "–",
        )
    return table


def _table(result: Any, top: int) -> tuple[Table, Table]:
    fams = Table(title=f"families ({len(result.families):,}; top {top})")
    for col in ("family", "handles", "re-creations", "median return (h)", "followers regained"):
        fams.add_column(col, overflow="fold")
    for f in result.families[:top]:
        regained = f.mean_followers_regained
        fams.add_row(
            f.family_id,
            " → ".join(h or "?" for h in f.handles),
            str(f.recreations),
            f"{f.median_return_hours:.1f}",
            "–" if regained is None else f"{100 * regained:.0f}%",
        )
    links = Table(
        title=f"links ({len(result.links):,}; top {top}; threshold {result.threshold:.2f})"
    )
    for col in ("successor", "predecessor", "score", "return (h)", "carried by", "runner-up"):
        links.add_column(col, overflow="fold")
    for x in result.links[:top]:
        ev = x.evidence
        said = list(ev.get("carried_by", []))
        if ev["handles"]["shared_stems"]:
            said.append(f"stems {', '.join(ev['handles']['shared_stems'])}")
        if x.followers_regained is not None:
            said.append(f"{100 * x.followers_regained:.0f}% followers back")
        if ev.get("announcements"):
            said.append(f"announced ×{len(ev['announcements'])}")
        runner = (
            "–"
            if x.runner_up is None
            else f"@{x.runner_up.predecessor_handle or x.runner_up.predecessor_id} "
            f"{x.runner_up.score:.2f}"
        )
        links.add_row(
            f"@{x.successor_handle or x.successor_id}",
            f"@{x.predecessor_handle or x.predecessor_id}",
            f"{x.score:.3f}",
            f"{x.return_hours:.1f}",
            "; ".join(said),
            runner,
        )
    return fams, links


def link_options(f: Any) -> Any:
    """``--threshold`` and ``--model`` of a lineage run, shared with ``marsad spark lineage``."""
    f = click.option(
        "--model",
        "model_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="A lineage model (JSON) instead of the packaged one.",
    )(f)
    return click.option(
        "--threshold",
        type=float,
        default=None,
        help="Least calibrated probability of a link (default: the model's, chosen in training).",
    )(f)


@click.command(name="lineage")
@click.option(
    "--workspace",
    "-w",
    envvar="MARSAD_WORKSPACE",
    default="./marsad-data",
    show_default=True,
    type=WORKSPACE,
    help="Workspace directory, or a team store's postgresql:// URL (env MARSAD_WORKSPACE).",
)
@click.option("--platform", default=None, help="Only this platform (default: every one).")
@link_options
@click.option(
    "--top", type=click.IntRange(min=1), default=20, show_default=True, help="Rows of each table."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines (every link).")
def lineage_command(
    workspace: Path | str,
    platform: str | None,
    threshold: float | None,
    model_path: Path | None,
    top: int,
    as_json: bool,
) -> None:
    """Link accounts created after suspensions to the suspended accounts they
    re-create, with a calibrated score and the evidence, and chain them into
    families (re-creations, time to return, followers regained).

    \b
    Example:
      marsad lineage --workspace ./case-42
      marsad lineage --platform x --threshold 0.8 --json > lineage.json
    """
    from marsad import pipeline
    from marsad.accounts.lineage import lineage, store_links
    from marsad.accounts.lineage_model import LineagePairModel

    try:
        model = LineagePairModel.load(model_path) if model_path else None
        with pipeline.open_store(workspace, create=False) as store:
            result = lineage(store.analytics(), platform=platform, threshold=threshold, model=model)
            # kept for the review queue (a link of a flagged account is an item)
            store_links(store, result)
    except MarsadError as exc:
        _err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _err.print("interrupted")
        sys.exit(130)
    from marsad.cli.common import _queue_after

    _queue_after(workspace)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return
    out = Console()
    fams, links = _table(result, top)
    out.print(fams)
    out.print(links)
    if result.abstentions:
        out.print(_abstentions(result, top))
    out.print(
        f"{len(result.links):,} links in {len(result.families):,} families, "
        f"{len(result.abstentions):,} abstentions, from "
        f"{result.successors_considered:,} new accounts and {result.predecessors_considered:,} "
        f"suspended ones ({result.pairs_scored:,} candidate pairs, {result.seconds:.1f} s; "
        f"model {result.model_version})",
        highlight=False,
    )
