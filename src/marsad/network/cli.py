"""``marsad network``: the network stage from the command line.

An edge of the system, thin over :func:`marsad.network.analysis.analyse_network`:
options in, a summary out (rich tables on stdout, ``--json`` for machines,
progress on stderr).  Loading it loads click only: the library is imported
when the command runs.  The main CLI registers :data:`network` with
``main.add_command(network)``; the helpers of :mod:`marsad.cli` are imported
inside the command, so that module can import this one at its top.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from marsad.config import WORKSPACE

__all__ = ["network"]

#: :data:`marsad.network.coordination.DEFAULT_WINDOW_SECONDS` and
#: ``MAX_WINDOW_SECONDS``, repeated so that loading the command does not load
#: igraph (a test checks they agree)
DEFAULT_WINDOW_SECONDS = 60.0
MAX_WINDOW_SECONDS = 3600.0

#: the same option as :data:`marsad.cli.workspace_option` (redefined: see the module docstring)
workspace_option = click.option(
    "--workspace",
    "-w",
    envvar="MARSAD_WORKSPACE",
    default="./marsad-data",
    show_default=True,
    type=WORKSPACE,
    help="Workspace directory, or a team store's postgresql:// URL (env MARSAD_WORKSPACE).",
)


def analysis_options(f: Any) -> Any:
    """The analysis's options (coordination window, Leiden resolution,
    co-activity), shared with ``marsad spark network``."""
    f = click.option(
        "--coactivity",
        type=click.Choice(["hashtag", "domain"]),
        multiple=True,
        help="Also link accounts that share rare hashtags or link domains (repeatable).",
    )(f)
    f = click.option(
        "--resolution",
        type=click.FloatRange(0, min_open=True),
        default=1.0,
        show_default=True,
        help="Leiden resolution: above 1 finer communities, below 1 coarser.",
    )(f)
    return click.option(
        "--coordination-window",
        type=click.FloatRange(0, MAX_WINDOW_SECONDS, min_open=True),
        default=DEFAULT_WINDOW_SECONDS,
        show_default=True,
        metavar="SECONDS",
        help="Same text or link from distinct accounts within this many seconds is coordinated.",
    )(f)


@click.command(name="network")
@workspace_option
@click.option("--platform", default=None, help="Only this platform's accounts (x, telegram, ...).")
@click.option(
    "--export",
    "export",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the annotated graph to FILE: .graphml (igraph, networkx) or .gexf (Gephi).",
)
@analysis_options
@click.option("--top", type=click.IntRange(1), default=10, show_default=True, help="Rows per list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def network(
    workspace: Path,
    platform: str | None,
    export: Path | None,
    coordination_window: float,
    resolution: float,
    coactivity: tuple[str, ...],
    top: int,
    as_json: bool,
) -> None:
    """Map the accounts' networks: communities (Leiden), central accounts, roles
    (hub, amplifier, shout-out, bridge), coordinated posting and outlinks.

    \b
    Example:
      marsad network -w ./marsad-data
      marsad network --platform x --export network.gexf --coordination-window 120
    """
    from marsad import pipeline
    from marsad.cli import _emit_json, _run, err
    from marsad.network.analysis import analyse_network

    def go() -> dict[str, Any]:
        with pipeline.open_store(workspace, create=False) as store:
            report = analyse_network(
                store.analytics(),
                platform=platform,
                coordination_window=coordination_window,
                resolution=resolution,
                export=export,
                progress=lambda msg: err.print(f"{msg} …", highlight=False),
                coactivity=coactivity,
            )
            return report.summary(top=top)

    summary = _run(go)
    if as_json:
        _emit_json(summary)
        return
    _print(summary)


def _print(s: dict[str, Any]) -> None:
    from rich.table import Table

    from marsad.cli import out

    out.print(
        f"[bold]{s['nodes']:,}[/] accounts, [bold]{s['edges']:,}[/] edges "
        f"({s['platform']}); {s['communities']['count']:,} communities, "
        f"modularity {s['communities']['modularity']:.3f}",
        highlight=False,
    )
    kinds = Table(title="edges by kind")
    for col in ("kind", "edges", "interactions"):
        kinds.add_column(col, justify="left" if col == "kind" else "right")
    for kind, n in s["edges_by_kind"].items():
        kinds.add_row(kind, f"{n['edges']:,}", f"{n['weight']:,}")
    out.print(kinds)

    comms = Table(title="largest communities")
    for col in ("community", "accounts", "most central (PageRank)"):
        comms.add_column(col, justify="left" if col.startswith("most") else "right")
    for c in s["communities"]["largest"]:
        comms.add_row(str(c["community"]), f"{c['size']:,}", _who(c["top_accounts"]))
    out.print(comms)

    roles = Table(title="roles (rules: marsad.network.communities)")
    for col in ("role", "accounts", "top accounts"):
        roles.add_column(col, justify="right" if col == "accounts" else "left")
    for role, r in s["roles"].items():
        roles.add_row(role, f"{r['count']:,}", _who(r["top"][:5]))
    out.print(roles)

    co = s["coordination"]
    clusters = Table(
        title=f"coordinated clusters: {co['clusters']:,} (window {co['window_seconds']:g} s, "
        f"{co['accounts']:,} accounts, {co['pairs']:,} account pairs)"
    )
    for col in ("by", "accounts", "posts", "first at", "span s", "first post"):
        clusters.add_column(
            col, justify="left" if col in ("by", "first at", "first post") else "right"
        )
    for c in co["top"]:
        clusters.add_row(
            c["by"],
            str(c["accounts"]),
            str(c["posts"]),
            c["first_at"][:19],
            f"{c['span_seconds']:g}",
            c["first_post"],
        )
    out.print(clusters)

    links = Table(title="outlink targets")
    for col in ("target", "category", "accounts", "posts"):
        links.add_column(col, justify="right" if col in ("accounts", "posts") else "left")
    for t in s["outlinks"]["top"]:
        links.add_row(t["target"], t["category"], f"{t['accounts']:,}", f"{t['posts']:,}")
    out.print(links)
    if s["export"]:
        out.print(f"graph written to {s['export']}", highlight=False)


def _who(accounts: list[dict[str, Any]]) -> str:
    return ", ".join(("@" + a["handle"]) if a["handle"] else a["name"] for a in accounts)
