"""Acting on decisions: refer, removals, check-urls, transparency.

A thin shell over :mod:`marsad.act` (the web app is the other).  Like the
team's other commands (:mod:`marsad.cli.review`), changes made here are made
as the ``console`` actor and written to the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from marsad.cli.common import _emit_json, _run, err, json_option, out, workspace_option

__all__ = ["check_urls", "refer", "removals", "transparency"]


def _review(workspace: Path | str) -> Any:
    from marsad.review.service import Review

    return Review(workspace)


def _states(states: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(states.items())) or "-"


# -- refer -----------------------------------------------------------------------------
@click.group()
def refer() -> None:
    """Referrals of confirmed items to a platform, and what the platform did with them.

    \b
    Example:
      marsad refer create --platform telegram --title "December action day"
      marsad refer export 1 --out referrals/
      marsad refer send 1
      marsad refer reply 1 returned.csv
    """


@refer.command("create")
@click.option("--platform", required=True, help="The platform whose confirmed items to refer.")
@click.option("--title", default=None, help="A title (default: platform and date).")
@click.option("--contact", default=None, help="Who at the platform receives it.")
@click.option("--category", default=None, help="Only items confirmed in this category.")
@click.option("--entity", default=None, help="Only items attributed to this entity.")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["post", "account", "media", "link"]),
    help="Only items of this kind (repeatable).",
)
@click.option("--since", default=None, help="Only items confirmed at or after (ISO-8601).")
@click.option("--until", default=None, help="Only items confirmed before (ISO-8601).")
@click.option("--item", "items", multiple=True, type=int, help="These queue items (repeatable).")
@click.option("--again", is_flag=True, help="Also items already in an earlier referral.")
@click.option(
    "--urls",
    "urls_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="URL templates per platform (JSON) over the built-in ones.",
)
@workspace_option
@json_option
def refer_create(
    platform: str,
    title: str | None,
    contact: str | None,
    category: str | None,
    entity: str | None,
    kinds: tuple[str, ...],
    since: str | None,
    until: str | None,
    items: tuple[int, ...],
    again: bool,
    urls_file: Path | None,
    workspace: Path | str,
    as_json: bool,
) -> None:
    """Group the platform's confirmed items that are in no referral yet into a new one.

    \b
    Example:
      marsad refer create --platform x --category recruitment --contact abuse@example.org
    """
    from marsad.act.referrals import create_referral, load_url_templates
    from marsad.review.users import CONSOLE

    def go() -> dict[str, Any]:
        with _review(workspace) as r:
            return create_referral(
                r,
                CONSOLE,
                platform,
                title=title,
                contact=contact,
                category=category,
                entity=entity,
                kinds=kinds,
                since=since,
                until=until,
                item_ids=items,
                again=again,
                templates=load_url_templates(urls_file),
            )

    ref = _run(go)
    if as_json:
        _emit_json(ref)
        return
    without = sum(1 for i in ref["items"] if not i["url"])
    out.print(
        f"referral {ref['id']} ({ref['title']}): {len(ref['items']):,} {platform} items"
        + (f", {without:,} without a public URL (referred by id)" if without else ""),
        highlight=False,
    )


@refer.command("list")
@workspace_option
@json_option
def refer_list(workspace: Path | str, as_json: bool) -> None:
    """Every referral with its items counted by state.

    \b
    Example:
      marsad refer list
    """
    from marsad.act.referrals import list_referrals

    def go() -> list[dict[str, Any]]:
        with _review(workspace) as r:
            return list_referrals(r)

    rows = _run(go)
    if as_json:
        _emit_json(rows)
        return
    table = Table("id", "platform", "title", "items", "created", "sent", "states")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["platform"],
            row["title"],
            f"{row['items']:,}",
            row["created_at"][:16],
            (row["sent_at"] or "")[:16],
            _states(row["states"]),
        )
    out.print(table)


@refer.command("show")
@click.argument("referral_id", type=int)
@workspace_option
@json_option
def refer_show(referral_id: int, workspace: Path | str, as_json: bool) -> None:
    """One referral and the state of each of its items.

    \b
    Example:
      marsad refer show 1
    """
    from marsad.act.referrals import referral

    def go() -> dict[str, Any]:
        with _review(workspace) as r:
            return referral(r, referral_id)

    ref = _run(go)
    if as_json:
        _emit_json(ref)
        return
    out.print(
        f"referral {ref['id']} ({ref['title']}), {ref['platform']}: {_states(ref['states'])}",
        highlight=False,
    )
    table = Table("ref", "kind", "url or id", "category", "state", "since", "removed")
    for i in ref["items"]:
        table.add_row(
            i["ref"],
            i["kind"],
            i["url"] or f"{i['platform']}:{i['target_id']}",
            i["category"] or "",
            i["state"],
            (i["state_at"] or "")[:16],
            (i["removed_at"] or "")[:16],
        )
    out.print(table)


@refer.command("export")
@click.argument("referral_id", type=int)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory for referral-<id>.csv, .json and .html.",
)
@workspace_option
@json_option
def refer_export(referral_id: int, out_dir: Path, workspace: Path | str, as_json: bool) -> None:
    """Write a referral as CSV and JSON (schema marsad-referral/1) and as a bilingual
    HTML summary for the platform's contact.

    \b
    Example:
      marsad refer export 1 --out referrals/
    """
    from marsad.act.referrals import export_referral
    from marsad.review.users import CONSOLE

    def go() -> list[Path]:
        with _review(workspace) as r:
            return export_referral(r, CONSOLE, referral_id, out_dir)

    paths = _run(go)
    if as_json:
        _emit_json([str(p) for p in paths])
        return
    for p in paths:
        out.print(f"written: {p}", highlight=False)


@refer.command("send")
@click.argument("referral_id", type=int)
@click.option("--at", default=None, help="When it was sent (ISO-8601; default now).")
@workspace_option
@json_option
def refer_send(referral_id: int, at: str | None, workspace: Path | str, as_json: bool) -> None:
    """Record that a referral was sent: its items' time to removal counts from here.

    \b
    Example:
      marsad refer send 1 --at 2026-12-06T09:00:00Z
    """
    from marsad.act.referrals import send_referral
    from marsad.review.users import CONSOLE

    def go() -> dict[str, Any]:
        with _review(workspace) as r:
            return send_referral(r, CONSOLE, referral_id, at)

    ref = _run(go)
    if as_json:
        _emit_json(ref)
        return
    out.print(f"referral {referral_id} sent at {ref['sent_at']}", highlight=False)


@refer.command("set")
@click.argument("ref")
@click.argument("state", type=click.Choice(["acknowledged", "removed", "still_up", "declined"]))
@click.option("--at", default=None, help="When (ISO-8601; default now).")
@click.option("--note", default=None, help="What the platform said.")
@workspace_option
@json_option
def refer_set(
    ref: str, state: str, at: str | None, note: str | None, workspace: Path | str, as_json: bool
) -> None:
    """Record what the platform said of one referred item (REF: MRS-<number>).

    \b
    Example:
      marsad refer set MRS-12 removed --at 2026-12-07T10:00:00Z
    """
    from marsad.act.referrals import set_state
    from marsad.review.users import CONSOLE

    def go() -> dict[str, Any]:
        with _review(workspace) as r:
            return set_state(r, CONSOLE, ref, state, at=at, note=note)

    item = _run(go)
    if as_json:
        _emit_json(item)
        return
    out.print(f"{item['ref']}: {item['state']} since {item['state_at']}", highlight=False)


@refer.command("reply")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--referral", "referral_id", type=int, default=None, help="Only this referral's items."
)
@workspace_option
@json_option
def refer_reply(path: Path, referral_id: int | None, workspace: Path | str, as_json: bool) -> None:
    """Apply the CSV a platform returned (columns ref or url or id, status, at, note).

    Rows naming no referred item, or malformed, are skipped with their line and
    reason; the rest land together; applying the same file again changes nothing.

    \b
    Example:
      marsad refer reply returned.csv --referral 1
    """
    from marsad.act.referrals import read_reply
    from marsad.review.users import CONSOLE

    def go() -> Any:
        with _review(workspace) as r:
            return read_reply(r, CONSOLE, path, referral_id=referral_id)

    result = _run(go)
    if as_json:
        _emit_json(result.as_dict())
        return
    out.print(
        f"items changed: {result.applied:,}, unchanged: {result.unchanged:,}, "
        f"rows skipped: {len(result.skipped):,}",
        highlight=False,
    )
    for line, reason in result.skipped:
        err.print(f"[yellow]skipped[/] {path}:{line}: {reason}", highlight=False)


# -- removals --------------------------------------------------------------------------
@click.group()
def removals() -> None:
    """Removals of referred items seen in what marsad ingests.

    \b
    Example:
      marsad status suspensions.csv && marsad removals statuses
      marsad removals export later-export.jsonl --at 2026-12-20T00:00:00Z
    """


@removals.command("statuses")
@workspace_option
@json_option
def removals_statuses(workspace: Path | str, as_json: bool) -> None:
    """Referred items whose account the workspace has seen suspended or deleted
    (user lookups, `marsad status` CSVs).

    \b
    Example:
      marsad removals statuses
    """
    from marsad.act.removal import from_statuses
    from marsad.review.users import CONSOLE

    def go() -> int:
        with _review(workspace) as r:
            return from_statuses(r, CONSOLE)

    changed = _run(go)
    if as_json:
        _emit_json({"changed": changed})
        return
    out.print(f"{changed:,} referred items now removed", highlight=False)


@removals.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--at", default=None, help="When the export was made (default: file time).")
@click.option("--format", "fmt", default=None, help="Its format (default: detected).")
@workspace_option
@json_option
def removals_export(
    path: Path, at: str | None, fmt: str | None, workspace: Path | str, as_json: bool
) -> None:
    """Referred posts missing from a later export of the same collection (the
    export holds their author's posts from before and after them).

    \b
    Example:
      marsad removals export channel-2026-12-20.json --at 2026-12-20T00:00:00Z
    """
    from marsad.act.referrals import _check_time
    from marsad.act.removal import from_export
    from marsad.review.users import CONSOLE

    def go() -> Any:
        with _review(workspace) as r:
            when = _check_time(at, "--at") if at else None
            return from_export(r, CONSOLE, path, at=when, fmt=fmt)

    result = _run(go)
    if as_json:
        _emit_json(result.as_dict())
        return
    out.print(
        f"{result.posts:,} posts read; {result.missing:,} referred posts missing, "
        f"{result.changed:,} items now removed",
        highlight=False,
    )
    for line, reason in result.problems[:20]:
        err.print(f"[yellow]unreadable[/] {path}:{line}: {reason}", highlight=False)


# -- transparency ------------------------------------------------------------------------
@click.command()
@click.option("--since", default=None, help="Start of the period (ISO-8601).")
@click.option("--until", default=None, help="End of the period, and the time figures are as of.")
@click.option("--lang", type=click.Choice(["en", "ar"]), default="en", show_default=True)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report as offline HTML.",
)
@click.option(
    "--csv",
    "csv_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write each table as CSV into this directory.",
)
@workspace_option
@json_option
def transparency(
    since: str | None,
    until: str | None,
    lang: str,
    out_path: Path | None,
    csv_dir: Path | None,
    workspace: Path | str,
    as_json: bool,
) -> None:
    """The transparency report: items reviewed, confirmed and rejected, referrals
    sent per platform, share offline, removal rate and time to removal -- every
    figure replayed from the audit log.

    \b
    Example:
      marsad transparency --since 2026-01-01 --lang ar --out transparency-ar.html
    """
    from marsad.act.referrals import _check_time
    from marsad.act.transparency import report
    from marsad.report.html import write_report

    def go() -> Any:
        with _review(workspace) as r:
            return report(
                r,
                since=_check_time(since, "--since") if since else None,
                until=_check_time(until, "--until") if until else None,
            )

    result = _run(go)
    if out_path is not None:
        write_report(result, out_path, lang)
        err.print(f"report written: {out_path}", highlight=False)
    if csv_dir is not None:
        for p in result.write_csv(csv_dir):
            err.print(f"written: {p}", highlight=False)
    if as_json:
        _emit_json(result.to_dict())
        return
    if out_path is None and csv_dir is None:
        for s in result.sections:
            table = Table(title=s.title["en"])
            table.add_column("figure")
            table.add_column("value", justify="right")
            for h in s.headline:
                table.add_row(h.label["en"], "-" if h.value is None else f"{h.value:,}")
            out.print(table)


# -- check-urls ----------------------------------------------------------------------------
@click.command("check-urls")
@click.option(
    "--all-posts", is_flag=True, help="Also every stored post's URL, not only referred ones."
)
@click.option("--resume", is_flag=True, help="Take up the last interrupted run where it stopped.")
@click.option(
    "--rate", type=float, default=1.0, show_default=True, help="Requests a second per host."
)
@click.option("--concurrency", type=int, default=16, show_default=True, help="Requests at once.")
@click.option(
    "--per-host", type=int, default=2, show_default=True, help="Requests at once per host."
)
@click.option("--timeout", type=float, default=15.0, show_default=True, help="Seconds per request.")
@click.option(
    "--retries", type=int, default=3, show_default=True, help="Retries of a failed request."
)
@click.option(
    "--contact", default=None, help="Who to contact about the checks (in the User-Agent)."
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Your per-platform rules (JSON), merged over the shipped ones.",
)
@click.option(
    "--urls",
    "urls_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="URL templates per platform for --all-posts (JSON).",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Allow URLs of private and loopback addresses (a test platform on 127.0.0.1).",
)
@workspace_option
@json_option
def check_urls(
    all_posts: bool,
    resume: bool,
    rate: float,
    concurrency: int,
    per_host: int,
    timeout: float,
    retries: int,
    contact: str | None,
    rules_file: Path | None,
    urls_file: Path | None,
    allow_private: bool,
    workspace: Path | str,
    as_json: bool,
) -> None:
    """Request each referred URL politely and record whether it is live, removed,
    withheld or failing; a removal moves the referred item to removed. Resumable.

    \b
    Example:
      marsad check-urls --contact abuse-desk@example.org --rate 0.5
    """
    from marsad.act.check import CheckOptions, PlatformRules
    from marsad.act.referrals import load_url_templates
    from marsad.act.removal import check_referred
    from marsad.review.users import CONSOLE

    def go() -> dict[str, Any]:
        options = CheckOptions(
            rate_per_host=rate,
            concurrency=concurrency,
            per_host_concurrency=per_host,
            timeout_s=timeout,
            retries=retries,
            contact=contact,
            allow_private=allow_private,
        )
        with _review(workspace) as r:
            return check_referred(
                r,
                CONSOLE,
                all_posts=all_posts,
                resume=resume,
                options=options,
                rules=PlatformRules.load(rules_file),
                templates=load_url_templates(urls_file),
            )

    run = _run(go)
    if as_json:
        _emit_json(run)
        return
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(run["counts"].items())) or "nothing to check"
    out.print(
        f"run {run['run']}{' (resumed)' if run['resumed'] else ''}: {run['checked']:,} URLs "
        f"checked in {run['seconds']:.1f} s ({counts}); {run['items_changed']:,} referred "
        "items changed state",
        highlight=False,
    )
