"""The team's commands: users, queue, audit, serve.

A thin shell over :mod:`marsad.review` (the web app is the other).  Changes
made here are made as the ``console`` actor with the admin role -- whoever
can run marsad on the workspace's machine, with its database credentials,
administers it -- and are written to the audit log like any other.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from marsad.cli.common import _emit_json, _run, err, json_option, out, workspace_option
from marsad.config import shown_workspace

__all__ = ["audit", "queue", "serve", "users"]


def _review(workspace: Path | str) -> Any:
    from marsad.review.service import Review

    return Review(workspace)


def _password(prompt: bool, generate: bool) -> str:
    from marsad.review.users import new_password

    if generate or not prompt:
        return new_password()
    value: str = click.prompt("password", hide_input=True, confirmation_prompt=True)
    return value


# -- users --------------------------------------------------------------------
@click.group()
def users() -> None:
    """Local users of the team workspace and their roles (admin, lead, reviewer,
    viewer, auditor).

    \b
    Example:
      marsad users add amina --role reviewer
      marsad users list
    """


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["admin", "lead", "reviewer", "viewer", "auditor"]),
    required=True,
)
@click.option(
    "--generate-password",
    is_flag=True,
    help="Make a random password and print it once (default: ask for one).",
)
@workspace_option
def users_add(name: str, role: str, generate_password: bool, workspace: Path | str) -> None:
    """Add a user (the password is asked twice, or generated and printed once)."""
    from marsad.review.users import CONSOLE

    password = _password(sys.stdin.isatty(), generate_password)

    def go() -> None:
        with _review(workspace) as r:
            r.users.add(CONSOLE, name, role, password)

    _run(go)
    out.print(f"added {name} ({role}) to {shown_workspace(workspace)}", highlight=False)
    if generate_password or not sys.stdin.isatty():
        out.print(f"password (shown once): {password}", highlight=False)


@users.command("list")
@workspace_option
@json_option
def users_list(workspace: Path | str, as_json: bool) -> None:
    """The users, their roles and whether they are disabled."""

    def go() -> list[dict[str, Any]]:
        with _review(workspace) as r:
            result: list[dict[str, Any]] = r.users.list()
            return result

    rows = _run(go)
    if as_json:
        _emit_json(rows)
        return
    table = Table("name", "role", "disabled", "created")
    for row in rows:
        table.add_row(row["name"], row["role"], "yes" if row["disabled"] else "", row["created_at"])
    out.print(table)


@users.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["admin", "lead", "reviewer", "viewer", "auditor"]))
@workspace_option
def users_role(name: str, role: str, workspace: Path | str) -> None:
    """Change a user's role."""
    from marsad.review.users import CONSOLE

    def go() -> None:
        with _review(workspace) as r:
            r.users.set_role(CONSOLE, name, role)

    _run(go)
    out.print(f"{name} is now {role}", highlight=False)


@users.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the user again.")
@workspace_option
def users_disable(name: str, enable: bool, workspace: Path | str) -> None:
    """Disable a user (ends their sessions, revokes their API tokens)."""
    from marsad.review.users import CONSOLE

    def go() -> None:
        with _review(workspace) as r:
            r.users.set_disabled(CONSOLE, name, not enable)

    _run(go)
    out.print(f"{name} {'enabled' if enable else 'disabled'}", highlight=False)


@users.command("password")
@click.argument("name")
@click.option("--generate-password", is_flag=True, help="Make a random one and print it once.")
@workspace_option
def users_password(name: str, generate_password: bool, workspace: Path | str) -> None:
    """Set a user's password (ends their sessions)."""
    from marsad.review.users import CONSOLE

    password = _password(sys.stdin.isatty(), generate_password)

    def go() -> None:
        with _review(workspace) as r:
            r.users.set_password(CONSOLE, name, password)

    _run(go)
    if generate_password or not sys.stdin.isatty():
        out.print(f"password (shown once): {password}", highlight=False)


@users.command("token")
@click.argument("name")
@click.option("--label", default="api", show_default=True, help="What the token is for.")
@workspace_option
def users_token(name: str, label: str, workspace: Path | str) -> None:
    """Make an API token for NAME (for scripts: `Authorization: Bearer TOKEN`); printed once."""
    from marsad.review.users import CONSOLE

    def go() -> str:
        with _review(workspace) as r:
            token: str = r.users.new_token(CONSOLE, name, label)
            return token

    click.echo(_run(go))


# -- queue --------------------------------------------------------------------
@click.group()
def queue() -> None:
    """The review queue: fill it from the detections, look at it, set its settings.

    \b
    Example:
      marsad scan && marsad accounts && marsad queue sync
      marsad queue list --kind post --lang ar
    """


@queue.command("sync")
@click.option(
    "--all-links", is_flag=True, help="Queue every lineage link, not only flagged accounts' links."
)
@workspace_option
@json_option
def queue_sync(all_links: bool, workspace: Path | str, as_json: bool) -> None:
    """Add what the workspace's detections flag to the queue (decided items stay decided)."""
    from marsad.review.users import CONSOLE

    def go() -> dict[str, int]:
        with _review(workspace) as r:
            result: dict[str, int] = r.sync(CONSOLE, lineage_all=all_links)
            return result

    result = _run(go)
    if as_json:
        _emit_json(result)
        return
    out.print(
        f"{result['added']:,} items added, {result['refreshed']:,} re-scored, "
        f"{result['unchanged']:,} unchanged, {result['reopened']:,} reopened, "
        f"{result['withdrawn']:,} withdrawn (no longer flagged by the current model)",
        highlight=False,
    )


@queue.command("list")
@click.option("--kind", type=click.Choice(["post", "account", "media", "link"]))
@click.option(
    "--status",
    type=click.Choice(
        ["open", "second_review", "escalated", "confirmed", "rejected", "withdrawn"]
        + ["waiting", "all"]
    ),
    default="waiting",
    show_default=True,
)
@click.option("--lang")
@click.option("--platform")
@click.option("--detector")
@click.option("--outlet")
@click.option("--min-score", type=float)
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@workspace_option
@json_option
def queue_list(
    kind: str | None,
    status: str,
    lang: str | None,
    platform: str | None,
    detector: str | None,
    outlet: str | None,
    min_score: float | None,
    limit: int,
    workspace: Path | str,
    as_json: bool,
) -> None:
    """The queue, highest priority first."""
    from marsad.review.queue import Filters

    filters = Filters(
        kind=kind,
        status=None if status == "all" else status,
        lang=lang,
        platform=platform,
        detector=detector,
        outlet=outlet,
        min_score=min_score,
    )

    def go() -> tuple[list[dict[str, Any]], int]:
        with _review(workspace) as r:
            return r.queue.list(filters, limit=limit), r.queue.count(filters)

    rows, total = _run(go)
    if as_json:
        _emit_json({"total": total, "items": rows})
        return
    table = Table(
        "id", "kind", "target", "detector", "score", "lang", "reach", "priority", "status"
    )
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["kind"],
            f"{row['platform']}:{row['target_id']}",
            row["detector"],
            f"{row['score']:.3f}",
            row["lang"] or "",
            f"{row['reach']:,}",
            f"{row['priority']:.3f}",
            row["status"],
        )
    out.print(table)
    out.print(f"{total:,} items match", highlight=False)


@queue.command("set")
@click.argument("name", type=click.Choice(["claim_minutes", "second_review"]))
@click.argument("value")
@workspace_option
def queue_set(name: str, value: str, workspace: Path | str) -> None:
    """Change a queue setting: claim_minutes (1-1440), second_review (on/off: a
    second reviewer must confirm account and lineage items)."""
    from marsad.review.users import CONSOLE

    def go() -> None:
        with _review(workspace) as r:
            r.queue.set_setting(CONSOLE, name, value)

    _run(go)
    out.print(f"{name} = {value}", highlight=False)


# -- audit --------------------------------------------------------------------
@click.group()
def audit() -> None:
    """The audit log: verify its hash chain, export it.

    \b
    Example:
      marsad audit verify
      marsad audit export --out audit.jsonl
    """


@audit.command("verify")
@click.option("--head", default=None, help="A last hash printed by an earlier verify.")
@workspace_option
def audit_verify(head: str | None, workspace: Path | str) -> None:
    """Check every entry's hash and the chain; exit 1 naming the first broken entry."""
    from marsad.review import audit as log

    def go() -> tuple[int, str, Any]:
        with _review(workspace) as r:
            return log.verify(r.db, head)

    n, last, problem = _run(go)
    if problem is not None:
        err.print(f"[bold red]broken:[/] {problem} ({n - 1:,} entries before it are intact)")
        sys.exit(1)
    out.print(f"{n:,} entries intact; last hash {last}", highlight=False)


@audit.command("export")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="JSON Lines file to write.",
)
@workspace_option
def audit_export(out_path: Path, workspace: Path | str) -> None:
    """Write the whole audit log as JSON Lines (each entry with its hashes); the
    export itself is logged."""
    import json

    from marsad.files import replacing
    from marsad.review import audit as log
    from marsad.review.users import CONSOLE

    def go() -> int:
        with _review(workspace) as r:
            n = 0
            with replacing(out_path) as tmp, tmp.open("w", encoding="utf-8") as fh:
                for entry in log.iter_entries(r.db):
                    fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
                    n += 1
            with r.db.write() as w:
                log.append(w, CONSOLE.name, "audit.export", str(out_path), {"entries": n})
            return n

    n = _run(go)
    out.print(f"{n:,} entries written to {out_path}", highlight=False)


# -- serve --------------------------------------------------------------------
@click.command()
@workspace_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--demo",
    is_flag=True,
    help="Serve a demo workspace (made by `marsad demo` if missing) and print a "
    "one-time admin password.",
)
@click.option(
    "--secure-cookies/--no-secure-cookies",
    default=None,
    help="Mark cookies Secure (default: when not on 127.0.0.1, i.e. behind TLS).",
)
@click.option(
    "--prepare",
    type=click.IntRange(0, 100_000),
    default=200,
    show_default=True,
    help="Gather in the background the evidence of this many open items at the "
    "head of the queue (after each sync), so that their pages open at once; 0: off.",
)
def serve(
    workspace: Path | str,
    host: str,
    port: int,
    demo: bool,
    secure_cookies: bool | None,
    prepare: int,
) -> None:
    """The team's web app: the review queue, items with their evidence, accounts,
    the census report, the network, users and the audit log, in Arabic and
    English, with a JSON API (OpenAPI at /openapi.json) and /healthz.

    \b
    Example:
      marsad serve --demo
      marsad serve --workspace postgresql://127.0.0.1/marsad --port 8000
    """
    from marsad.web.run import run_server

    _run(
        lambda: run_server(
            workspace, host, port, demo=demo, secure_cookies=secure_cookies, prepare=prepare
        )
    )
