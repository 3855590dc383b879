"""``marsad census`` and ``marsad report``: read-only analytics over the store.

Thin over :func:`marsad.census.compute.run_census` with the filters of
:mod:`marsad.census.filters`; ``report`` adds the later stages' sections
(:func:`stage_sections`: lineage, network, account scores) and writes one
self-contained HTML page with :mod:`marsad.report`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from marsad import pipeline
from marsad.cli.common import _emit_json, _run, err, json_option, out, workspace_option

__all__ = [
    "CENSUS_SECTIONS",
    "census",
    "census_filter",
    "census_options",
    "report",
    "stage_sections",
]

#: the census's sections, for --section (marsad.census.compute.SECTIONS, without importing it)
CENSUS_SECTIONS = (
    "size", "accounts", "devices", "content", "outlets", "survival", "migration", "campaigns"
)  # fmt: skip


def census_options(
    lang_flag: str = "--lang",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The census filters, shared by ``census`` and ``report`` (whose own ``--lang`` is
    the report's language, so its language filter is ``--post-lang``)."""
    return lambda fn: _add_census_options(fn, lang_flag)


def _add_census_options(fn: Callable[..., Any], lang_flag: str) -> Callable[..., Any]:
    options = [
        click.option("--since", default=None, help="First day (2015-01, 2015-01-31 or ISO time)."),
        click.option(
            "--until", default=None, help="Last day, inclusive (2015-06 = to end of June)."
        ),
        click.option(
            "--platform", "platforms", multiple=True, help="Only this platform (repeatable)."
        ),
        click.option(
            lang_flag, "langs", multiple=True, help="Only posts in this language (repeatable)."
        ),
        click.option(
            "--accounts",
            "accounts_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Account set: a file of x:123 / @handle / id lines, or a CSV with native_id.",
        ),
        click.option(
            "--at",
            "at",
            default=None,
            help="Date of the per-account figures (default: --until or now).",
        ),
        click.option(
            "--interval",
            type=click.Choice(["month", "week"]),
            default="month",
            show_default=True,
            help="Period of the time series.",
        ),
        click.option(
            "--top", type=int, default=20, show_default=True, help="Length of top-N lists."
        ),
        click.option(
            "--campaign",
            "campaigns",
            multiple=True,
            help="Counter-messaging campaign NAME=#tag,keyword (repeatable).",
        ),
        click.option(
            "--indicators",
            "indicators_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Your indicator registry (JSON), merged over the built-in one; "
            "its outlets and publications are counted.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def census_filter(opts: dict[str, Any]) -> tuple[Any, Any]:
    """The census filter and indicator registry the options of :func:`census_options` ask for."""
    from marsad.census.filters import (
        CensusFilter,
        parse_campaign,
        parse_when,
        read_account_set,
    )
    from marsad.detect.indicators import IndicatorRegistry

    flt = CensusFilter(
        since=parse_when(opts["since"]) if opts["since"] else None,
        until=parse_when(opts["until"], end=True) if opts["until"] else None,
        platforms=tuple(opts["platforms"]),
        langs=tuple(opts["langs"]),
        accounts=read_account_set(opts["accounts_file"]) if opts["accounts_file"] else None,
        at=parse_when(opts["at"], end=True) if opts["at"] else None,
        campaigns=tuple(parse_campaign(c) for c in opts["campaigns"]),
        interval=opts["interval"],
        top=opts["top"],
    )
    return flt, IndicatorRegistry.load(opts["indicators_file"])


def _census(
    workspace: Path, opts: dict[str, Any], sections: tuple[str, ...] = (), *, headline: bool = False
) -> Any:
    from marsad.census.compute import SECTIONS, run_census

    flt, registry = census_filter(opts)
    with pipeline.open_store(workspace, create=False) as store:
        store.compact_rollups()
        return run_census(
            store.analytics(),
            flt,
            outlets=registry,
            sections=sections or SECTIONS,
            workspace=workspace,
            headline=headline,
        )


def stage_sections(store: Any, found: Any = None) -> list[Any]:
    """The report's sections from the later stages: re-created accounts
    (lineage), the network, and the stored account scores -- each only when
    the workspace has what it needs (suspensions, interactions, scores).
    *found*: the lineage result, when the caller has it already."""
    from marsad.accounts import lineage
    from marsad.accounts.sections import accounts_section, lineage_section
    from marsad.network.analysis import analyse_network
    from marsad.network.sections import network_section

    sections: list[Any] = []
    con = store.analytics()
    found = found if found is not None else lineage(con)
    if found.links:
        sections.append(lineage_section(found))
    scored = store.query(
        "SELECT platform || ':' || target_id, "
        "score >= CAST(json_extract(evidence, '$.threshold') AS DOUBLE) "
        "FROM detections WHERE detector = 'account-score' AND target_kind = 'account'"
    )
    if store.query("SELECT count(*) FROM edges")[0][0]:
        report = analyse_network(con)
        if report.graph.vcount():
            sections.append(network_section(report, dict(scored) if scored else None))
    accounts = accounts_section(store)
    if accounts is not None:
        sections.append(accounts)
    return sections


def _fmt(value: Any, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "percent" and isinstance(value, int | float):
        return f"{value:.1f}%"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@click.command()
@workspace_option
@census_options()
@click.option(
    "--section",
    "sections",
    multiple=True,
    type=click.Choice(CENSUS_SECTIONS),
    help="Only this section (repeatable; default all).",
)
@click.option(
    "--csv",
    "csv_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write every table as CSV into this directory.",
)
@click.option(
    "--headline",
    is_flag=True,
    help="Only the headline statistics (status, posts per month, followers, clients, "
    "languages, top hashtags, the hyperactive core, survival): fast on large workspaces.",
)
@json_option
def census(
    workspace: Path,
    sections: tuple[str, ...],
    csv_dir: Path | None,
    headline: bool,
    as_json: bool,
    **opts: Any,
) -> None:
    """Census of the workspace: size, activity, devices, languages, content, outlets,
    survival, migration and campaigns, over time.

    \b
    Example:
      marsad census --since 2015-01 --until 2015-06 --lang ar
      marsad census --section survival --json
      marsad census --headline --json
      marsad census --csv census-tables/ --campaign "NotInMyName=#NotInMyName"
    """
    result = _run(lambda: _census(workspace, opts, sections, headline=headline))
    if csv_dir is not None:
        written = result.write_csv(csv_dir)
        err.print(f"wrote {len(written)} CSV files to {csv_dir}")
    if as_json:
        _emit_json(result.to_dict())
        return
    for section in result.sections:
        table = Table(title=section.title["en"], show_header=False)
        table.add_column("figure")
        table.add_column("value", justify="right")
        for h in section.headline:
            table.add_row(h.label["en"], _fmt(h.value, h.unit))
        out.print(table)
        for t in section.tables:
            if t.rows and t.key in _SHOWN_TABLES:
                tt = Table(title=t.title["en"])
                for c in t.columns:
                    tt.add_column(
                        c.label["en"],
                        justify="right"
                        if c.unit in ("count", "percent", "ratio", "days")
                        else "left",
                    )
                for row in t.rows[:10]:
                    tt.add_row(*(_fmt(v, c.unit) for v, c in zip(row, t.columns, strict=True)))
                out.print(tt)
    if csv_dir is None:
        err.print("every table: --csv DIR or --json; the whole census as a page: marsad report")


#: the tables the people-facing census output prints (the rest: --csv, --json, report)
_SHOWN_TABLES = {"status", "clients", "languages", "hashtags", "outlets", "outlinks"}


@click.command()
@workspace_option
@census_options("--post-lang")
@click.option(
    "--lang",
    "report_lang",
    type=click.Choice(["en", "ar"]),
    default="en",
    show_default=True,
    help="Language of the report (ar: Arabic, right to left).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("marsad-report.html"),
    show_default=True,
    help="HTML file to write.",
)
@click.option(
    "--census",
    "census_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Render this census JSON (marsad census --json, marsad spark census) instead of "
    "computing one from the workspace.",
)
def report(
    workspace: Path, report_lang: str, out_path: Path, census_file: Path | None, **opts: Any
) -> None:
    """Write the census as one self-contained HTML page that works offline.

    \b
    Example:
      marsad report --lang ar --out census-ar.html
      marsad report --lang en --since 2015-01 --out census-2015.html
      marsad report --census spark-out/census.json --lang ar --out census-ar.html
    """
    from marsad.report import write_report

    def go() -> Any:
        if census_file is not None:
            return _census_from(census_file)
        result = _census(workspace, opts)
        with pipeline.open_store(workspace, create=False) as store:
            result.sections.extend(stage_sections(store))
        return result

    result = _run(go)
    path = write_report(result, out_path, report_lang)
    out.print(f"report written: {path}")


def _census_from(path: Path) -> Any:
    """A census read back from its JSON (``marsad census --json``, ``marsad spark census``)."""
    import json

    from marsad.census.result import CensusResult
    from marsad.errors import InputError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return CensusResult.from_dict(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a census JSON ({exc})") from exc
