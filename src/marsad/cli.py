"""The ``marsad`` command: thin verbs over library calls.

An edge of the system: it turns :class:`marsad.errors.MarsadError` into a
message on stderr and an exit code (0 ok, 1 failure, 2 bad usage or input,
3 missing optional dependency, 130 interrupted).  Output is for people by
default (rich tables, progress on stderr); ``--json`` prints machine-readable
JSON on stdout.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from marsad import __version__, pipeline
from marsad.errors import MarsadError, UnreadableFile

err = Console(stderr=True)
out = Console()


def _fail(exc: MarsadError) -> None:
    err.print(f"[bold red]error:[/] {exc}", highlight=False)
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
    type=click.Path(file_okay=False, path_type=Path),
    help="Workspace directory (env MARSAD_WORKSPACE).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
c_option = click.option(
    "--c",
    "C",
    type=float,
    default=10.0,
    show_default=True,
    help="Inverse regularisation (the non-Arabic route's).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="marsad")
def main() -> None:
    """marsad (مرصد): an observatory for violent-extremist activity on social platforms.

    \b
    Example:
      marsad init
      marsad ingest ../shared/fixtures/x_api_v2_twarc/
      marsad info
    """


@main.command()
@workspace_option
def init(workspace: Path) -> None:
    """Create (or migrate) a workspace.

    \b
    Example:
      marsad init --workspace ./case-42
    """

    def go() -> None:
        with pipeline.open_store(workspace) as store:
            version = store.schema_version()
        out.print(f"workspace ready: {workspace} (schema version {version})")

    _run(go)


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


@main.command()
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


@main.command()
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


@main.command()
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
    table = Table(title=f"workspace {workspace}")
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


@main.command()
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


@main.command(name="import")
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


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--profile",
    default=None,
    help="Named profile  [default: census-2014; grid with --randomise].",
)
@click.option("--accounts", type=int, default=None, help="Number of accounts (profile default).")
@click.option("--posts", type=int, default=None, help="Number of posts (profile default).")
@click.option("--seed", type=int, default=None, help="Random seed (same seed, same bytes).")
@click.option(
    "--randomise",
    type=int,
    default=None,
    metavar="SEED",
    help="Draw every realism knob (lookups, avatars, look-alike names, renames, "
    "newcomers, return rates, languages) from SEED, which is also the seed.",
)
@click.option(
    "--suspension",
    type=click.Choice(["exact", "weekly", "sampled"]),
    default="sampled",
    show_default=True,
    help="Suspension times: exact (a status CSV), weekly lookups, or as drawn/profiled.",
)
@click.option(
    "--formats",
    default="x-v2,telegram,marsad-jsonl",
    show_default=True,
    help="Comma-separated output formats.",
)
@json_option
def simulate(
    out_dir: Path,
    profile: str | None,
    accounts: int | None,
    posts: int | None,
    seed: int | None,
    randomise: int | None,
    suspension: str,
    formats: str,
    as_json: bool,
) -> None:
    """Generate a synthetic platform with ground truth, in real export formats.

    Ordinary users, news accounts, a counter-messaging campaign and a covert
    network with suspensions and re-created accounts; the true lineage and
    roles go to OUT_DIR/ground_truth/.  Text is neutral template text.
    With --randomise, a setting of the randomised grid (marsad.simulate.grid);
    with --suspension exact, OUT_DIR/status/suspensions.csv gives the exact
    suspension times (ingest it with `marsad status`).

    \b
    Example:
      marsad simulate sim/ --profile small --seed 7
      marsad ingest sim/
      marsad simulate grid/ --randomise 2001 --suspension weekly
    """

    def go() -> Any:
        from marsad.errors import ConfigError
        from marsad.simulate import SimConfig
        from marsad.simulate import simulate as run_simulation
        from marsad.simulate.grid import grid_setting, suspension_overrides

        if randomise is None:
            config = SimConfig.from_profile(
                profile or "census-2014",
                accounts=accounts,
                posts=posts,
                seed=seed,
                **suspension_overrides(suspension),
            )
        elif seed is not None:
            raise ConfigError(
                f"--seed {seed} and --randomise {randomise} both set the seed; give one"
            )
        else:
            config = grid_setting(
                randomise, suspension, profile or "grid", accounts=accounts, posts=posts
            )
        progress, done = _progress_printer()
        summary = run_simulation(
            config,
            out_dir,
            formats=[f.strip() for f in formats.split(",") if f.strip()],
            progress=lambda stage, n, total: progress(n, 0),
        )
        done()
        return summary

    summary = _run(go)
    data = summary.as_dict() if hasattr(summary, "as_dict") else summary
    if as_json:
        _emit_json(data)
        return
    out.print(f"simulated platform written to {out_dir}")
    for key, value in data.items():
        out.print(f"  {key}: {value}", highlight=False)


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


def _census(
    workspace: Path, opts: dict[str, Any], sections: tuple[str, ...] = (), *, headline: bool = False
) -> Any:
    from marsad.census.compute import SECTIONS, run_census
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
    registry = IndicatorRegistry.load(opts["indicators_file"])
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


@main.command()
@workspace_option
@census_options()
@click.option(
    "--section",
    "sections",
    multiple=True,
    type=click.Choice(
        ["size", "accounts", "devices", "content", "outlets", "survival", "migration", "campaigns"]
    ),
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


@main.command()
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
def report(workspace: Path, report_lang: str, out_path: Path, **opts: Any) -> None:
    """Write the census as one self-contained HTML page that works offline.

    \b
    Example:
      marsad report --lang ar --out census-ar.html
      marsad report --lang en --since 2015-01 --out census-2015.html
    """
    from marsad.report import write_report

    def go() -> Any:
        result = _census(workspace, opts)
        with pipeline.open_store(workspace, create=False) as store:
            result.sections.extend(stage_sections(store))
        return result

    result = _run(go)
    path = write_report(result, out_path, report_lang)
    out.print(f"report written: {path}")


# -- detection ------------------------------------------------------------------------

data_option = click.option(
    "--data",
    "data",
    multiple=True,
    required=True,
    metavar="FILE[:LABEL]",
    help="Labelled CSV (repeatable). FILE uses its 'label' column; FILE:1 or FILE:0 "
    "labels every row.",
)
hard_option = click.option(
    "--hard-negatives",
    "hard",
    multiple=True,
    metavar="FILE",
    help="A --data file whose negatives are hard (news, counter-speech): the threshold "
    "keeps their false-positive rate under --max-fpr (repeatable).",
)
stream_option = click.option(
    "--stream",
    "stream",
    multiple=True,
    metavar="FILE",
    help="CSV of ordinary posts (chatter, news, sport, religion as practised), all "
    "negatives, held out by their 'corpus' column in cross-validation; thresholds keep "
    "their false-positive rate under --max-stream-fpr (repeatable).",
)
cv_options = [
    click.option("--folds", type=int, default=5, show_default=True, help="Cross-validation folds."),
    click.option("--seed", type=int, default=0, show_default=True, help="Fold assignment seed."),
    click.option(
        "--max-fpr",
        type=float,
        default=0.02,
        show_default=True,
        help="Highest false-positive rate on hard negatives at the chosen threshold.",
    ),
    click.option(
        "--file-label-weight",
        type=float,
        default=0.3,
        show_default=True,
        help="Fitting weight of rows labelled by their file (FILE:LABEL): account- or "
        "collection-level labels are noisier than labels given post by post.",
    ),
    click.option(
        "--file-label-weight-ar",
        type=float,
        default=0.1,
        show_default=True,
        help="The same for rows in Arabic script (the Arabic model, where rows labelled "
        "post by post are fewer).",
    ),
    click.option(
        "--stream-weight",
        type=float,
        default=1.0,
        show_default=True,
        help="Fitting weight of the rows of --stream files.",
    ),
    click.option(
        "--max-stream-fpr",
        type=float,
        default=0.003,
        show_default=True,
        help="Highest share of --stream posts flagged (text alone) per language group.",
    ),
    click.option(
        "--evidence-words",
        type=float,
        default=3.0,
        show_default=True,
        help="Known words at which a post's classifier log-odds count half in the risk "
        "(0: all count, however short the post).",
    ),
]


def _with(options: list[Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            fn = option(fn)
        return fn

    return wrap


def _hard_names(hard: tuple[str, ...]) -> list[str]:
    from marsad.detect.datasets import parse_data_arg

    return [parse_data_arg(h).path.name for h in hard]


def _summary_rows(report: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    rows = []
    for block in ("risk", "text_only"):
        data = report[block]
        for name, m in data["by_file"].items():
            rows.append((block, name, m))
        for name, m in data["by_language"].items():
            rows.append((block, f"language: {name}", m))
    return rows


def _print_evaluation(report: dict[str, Any]) -> None:
    table = Table(title="cross-validated (grouped by account)")
    for col in (
        "score",
        "rows",
        "n",
        "pos",
        "precision",
        "recall",
        "F1",
        "accuracy",
        "FPR",
        "PR-AUC",
    ):
        table.add_column(col, justify="right" if col not in ("score", "rows") else "left")

    def f(v: Any) -> str:
        return "–" if v is None else f"{v:.3f}"

    for block, name, m in _summary_rows(report):
        table.add_row(
            block,
            name,
            f"{m['n']:,}",
            f"{m['positives']:,}",
            f(m["precision"]),
            f(m["recall"]),
            f(m["f1"]),
            f(m["accuracy"]),
            f(m["fpr"]),
            f(m.get("pr_auc")),
        )
    # piped output is not cut to 80 columns: file names are long
    (out if out.is_terminal else Console(width=160)).print(table)


@main.command()
@data_option
@hard_option
@stream_option
@_with(cv_options)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Model file to write (safetensors).",
)
@click.option(
    "--card",
    "card_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Model card to write (Markdown; default: beside the model, .md).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the cross-validation report as HTML.",
)
@c_option
@json_option
def train(
    data: tuple[str, ...],
    hard: tuple[str, ...],
    stream: tuple[str, ...],
    folds: int,
    seed: int,
    max_fpr: float,
    file_label_weight: float,
    file_label_weight_ar: float,
    stream_weight: float,
    max_stream_fpr: float,
    evidence_words: float,
    out_path: Path,
    card_path: Path | None,
    html_path: Path | None,
    C: float,
    as_json: bool,  # noqa: N803
) -> None:
    """Train the text classifier and the risk score on labelled CSV files, with a grouped
    cross-validation for calibration and thresholds; write the model and its model card.

    \b
    Example:
      marsad train --data pro.csv:1 --data general.csv:0 --data keyword.csv \\
        --hard-negatives keyword.csv --out my-model.safetensors
    """
    from marsad.detect.card import model_card
    from marsad.detect.datasets import parse_data_arg, read_labelled
    from marsad.detect.evaluate import train as run_train

    def go() -> Any:
        rows = read_labelled(
            [parse_data_arg(d) for d in data] + [parse_data_arg(f, stream=True) for f in stream]
        )
        err.print(f"{len(rows):,} labelled rows from {len(rows.files)} file(s); training …")
        model, ev = run_train(
            rows,
            C=C,
            evidence_words=evidence_words,
            folds=folds,
            seed=seed,
            max_fpr=max_fpr,
            file_label_weight=file_label_weight,
            file_label_weight_ar=file_label_weight_ar,
            stream_weight=stream_weight,
            max_stream_fpr=max_stream_fpr,
            hard_files=_hard_names(hard),
            progress=lambda msg: err.print(f"  {msg}", highlight=False),
        )
        model.save(out_path)
        card = card_path or out_path.with_suffix(".md")
        card.parent.mkdir(parents=True, exist_ok=True)
        card.write_text(model_card(model), encoding="utf-8")
        if html_path is not None:
            from marsad.report.evaluation import write_evaluation

            write_evaluation(ev.report, html_path, f"Evaluation of model {model.model_version_}")
        return model, ev, card

    model, ev, card = _run(go)
    if as_json:
        _emit_json(
            {
                "model": str(out_path),
                "card": str(card),
                "version": model.version,
                "thresholds": model.thresholds_,
                "evaluation": ev.report,
            }
        )
        return
    _print_evaluation(ev.report)
    out.print(f"model {model.version} written: {out_path}\nmodel card: {card}")


@main.command()
@data_option
@hard_option
@stream_option
@_with(cv_options)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the evaluation report as HTML.",
)
@c_option
@json_option
def evaluate(
    data: tuple[str, ...],
    hard: tuple[str, ...],
    stream: tuple[str, ...],
    folds: int,
    seed: int,
    max_fpr: float,
    file_label_weight: float,
    file_label_weight_ar: float,
    stream_weight: float,
    max_stream_fpr: float,
    evidence_words: float,
    html_path: Path | None,
    C: float,
    as_json: bool,  # noqa: N803
) -> None:
    """Cross-validate the detector on labelled CSV files, grouped by account: precision,
    recall, F1, PR-AUC, false-positive rate, calibration, per language and per file,
    and the worst errors (by file and line; texts are not printed).

    \b
    Example:
      marsad evaluate --data pro.csv:1 --data general.csv:0 --html eval.html
    """
    from marsad.detect.classifier import TextClassifier
    from marsad.detect.datasets import parse_data_arg, read_labelled
    from marsad.detect.evaluate import evaluate as run_evaluate

    def go() -> Any:
        rows = read_labelled(
            [parse_data_arg(d) for d in data] + [parse_data_arg(f, stream=True) for f in stream]
        )
        err.print(f"{len(rows):,} labelled rows from {len(rows.files)} file(s); {folds} folds …")
        ev = run_evaluate(
            rows,
            lambda: TextClassifier(C=C, evidence_words=evidence_words),
            folds=folds,
            seed=seed,
            max_fpr=max_fpr,
            file_label_weight=file_label_weight,
            file_label_weight_ar=file_label_weight_ar,
            stream_weight=stream_weight,
            max_stream_fpr=max_stream_fpr,
            hard_files=_hard_names(hard),
            progress=lambda msg: err.print(f"  {msg}", highlight=False),
        )
        if html_path is not None:
            from marsad.report.evaluation import write_evaluation

            write_evaluation(ev.report, html_path)
        return ev

    ev = _run(go)
    if as_json:
        _emit_json(ev.report)
        return
    _print_evaluation(ev.report)
    if html_path is not None:
        out.print(f"report written: {html_path}")


model_option = click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Model file (default: the packaged model).",
)


def _scorer(model_path: Path | None, indicators_file: Path | None) -> Any:
    from marsad.detect.classifier import TextClassifier
    from marsad.detect.indicators import IndicatorRegistry
    from marsad.detect.scorer import RiskScorer

    return RiskScorer(
        TextClassifier.load(model_path),
        IndicatorRegistry.load(indicators_file) if indicators_file else None,
    )


indicators_option = click.option(
    "--indicators",
    "indicators_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Your indicator registry (JSON), merged over the built-in one.",
)


@main.command()
@workspace_option
@model_option
@indicators_option
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Thresholds per language (JSON) instead of the model's.",
)
@json_option
def scan(
    workspace: Path,
    model_path: Path | None,
    indicators_file: Path | None,
    policy_path: Path | None,
    as_json: bool,
) -> None:
    """Score every post of the workspace that needs it -- new posts, or all of them when
    the model or the indicators changed -- and store the detections (text classifier,
    indicators, risk). Resumable: an interrupted scan goes on where it stopped.

    \b
    Example:
      marsad scan --workspace ./case-42
    """
    from marsad.detect.policy import Policy
    from marsad.detect.scan import flagged_count
    from marsad.detect.scan import scan as run_scan

    def go() -> Any:
        scorer = _scorer(model_path, indicators_file)
        started = time.monotonic()

        def progress(done: int, todo: int) -> None:
            if err.is_terminal:
                rate = done / max(time.monotonic() - started, 1e-9)
                err.print(f"  {done:,}/{todo:,} posts ({rate:,.0f}/s)", end="\r", highlight=False)

        with pipeline.open_store(workspace) as store:
            summary = run_scan(store, scorer, progress=progress)
            if policy_path is not None:
                summary.flagged = flagged_count(store, scorer, Policy.load(policy_path))
        return summary, scorer

    summary, scorer = _run(go)
    if as_json:
        _emit_json(summary.as_dict() | {"thresholds": scorer.policy().thresholds})
        return
    out.print(
        f"scanned {summary.scanned:,} of {summary.total:,} posts in {summary.seconds:.1f} s; "
        f"author context for {summary.authors:,} accounts; {summary.flagged:,} posts at or over "
        f"the threshold (risk {summary.versions['risk']})",
        highlight=False,
    )


@main.command(name="hash")
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


@main.group()
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


@main.command()
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


@main.command()
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


def _explain_account(ref: str, workspace: Path, platform: str | None, as_json: bool) -> None:
    from marsad.accounts.score import explain_account

    def go() -> dict[str, Any]:
        with pipeline.open_store(workspace, create=False) as store:
            return explain_account(store, ref, platform=platform)

    result = _run(go)
    if as_json:
        _emit_json(result)
        return
    verdict = "flagged" if result["flagged"] else "not flagged"
    out.print(
        f"{result['platform']}:{result['native_id']} @{result['handle'] or '-'}: account score "
        f"{result['score']:.3f}, {verdict} (evidence score {result['evidence_score']:.3f}, "
        f"threshold {result['threshold']:.3f}; {result['posts']:,} posts"
        f"{'; a seed' if result['seed'] else ''}; model {result['model']})",
        highlight=False,
    )
    out.print(result["reason"], highlight=False, soft_wrap=True)
    table = Table("feature", "kind", "value", "part of the log-odds")
    for row in result["features"]:
        part = f"{row['contribution']:+.3f}"
        if row["kind"] == "behaviour":  # a term inside the bounded bonus
            part += " in the bonus" + ("" if row["applied"] else ", not applied")
        table.add_row(row["feature"], row["kind"], f"{row['value']:.3f}", part)
    out.print(table)
    out.print(
        f"behaviour: {result['behaviour_bonus']:+.3f} log-odds applied, at most "
        f"{result['behaviour_max']:+.3f}, only to accounts flagged on evidence",
        highlight=False,
    )


@main.command()
@click.option("--top", type=int, default=20, show_default=True, help="Accounts to show.")
@click.option("--platform", default=None, help="Only this platform's accounts.")
@click.option(
    "--seeds",
    "seeds_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Labelled accounts to expand from (platform:id per line; default: from the content).",
)
@click.option(
    "--model",
    "account_model",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="An account model file (default: the packaged one).",
)
@workspace_option
@json_option
def accounts(
    top: int,
    platform: str | None,
    seeds_file: Path | None,
    account_model: Path | None,
    workspace: Path,
    as_json: bool,
) -> None:
    """Score every account, store the scores as detections, and show the top ones.
    An account is flagged only on evidence (its posts, hash-bank matches, closeness
    to labelled accounts, re-creating a suspended one); behaviour (posting rate,
    account age) only orders the flagged ones and never flags alone.
    Run `marsad scan` (and `marsad match`) first: their detections are the evidence.

    \b
    Example:
      marsad accounts --top 20
      marsad explain @some_handle
    """
    from marsad.accounts.score import AccountModel, AccountScorer

    def go() -> tuple[list[Any], float]:
        seeds = None
        if seeds_file is not None:
            try:
                seeds = [
                    line.strip()
                    for line in seeds_file.read_text(encoding="utf-8").splitlines()
                    if line.strip() and not line.startswith("#")
                ]
            except (OSError, UnicodeDecodeError) as exc:
                from marsad.errors import UnreadableFile

                raise UnreadableFile(f"{seeds_file}: cannot read ({exc})") from exc
        scorer = AccountScorer(AccountModel.load(account_model) if account_model else None)
        with pipeline.open_store(workspace, create=False) as store:
            scores = scorer.score(store, platform=platform, seeds=seeds)
            scorer.store_scores(store, scores)
        return scores, scorer.model.threshold

    scores, threshold = _run(go)
    flagged = sum(s.flagged for s in scores)
    if as_json:
        _emit_json(
            {
                "accounts": len(scores),
                "flagged": flagged,
                "threshold": threshold,
                "top": [s.__dict__ for s in scores[:top]],
            }
        )
        return
    table = Table("account", "handle", "score", "flagged", "posts", "seed", "why")
    for s in scores[:top]:
        table.add_row(
            f"{s.platform}:{s.native_id}",
            s.handle or "",
            f"{s.score:.3f}",
            "yes" if s.flagged else "",
            f"{s.posts:,}",
            "yes" if s.seed else "",
            s.reason,
        )
    out.print(table)
    out.print(
        f"{flagged:,} of {len(scores):,} accounts flagged on evidence (threshold "
        f"{threshold:.3f}; behaviour alone never flags)",
        highlight=False,
    )


@main.command()
@click.argument("post")
@workspace_option
@model_option
@indicators_option
@click.option("--platform", default=None, help="Platform of POST when the id is on several.")
@click.option("--text", "as_text", is_flag=True, help="POST is a text to score, not a post id.")
@click.option("--account", is_flag=True, help="POST is an account (platform:id or id), not a post.")
@json_option
def explain(
    post: str,
    workspace: Path,
    model_path: Path | None,
    indicators_file: Path | None,
    platform: str | None,
    as_text: bool,
    account: bool,
    as_json: bool,
) -> None:
    """Show why a post got its risk: the classifier's words and n-grams, the indicators,
    the scripture context, the author context, and the threshold of its language.
    For an account (@handle, or --account with platform:id), why it got its account
    score: each feature and its part of the score.

    \b
    Example:
      marsad explain 1263511424512638976
      marsad explain --text "a text to score"
      marsad explain @some_handle
      marsad explain --account x:1234567
    """
    from marsad.detect.explain import explain_post

    if account or post.startswith("@"):
        _explain_account(post, workspace, platform, as_json)
        return

    def go() -> Any:
        scorer = _scorer(model_path, indicators_file)
        if as_text:
            return explain_post(None, scorer, text=post)
        with pipeline.open_store(workspace) as store:
            return explain_post(store, scorer, post_id=post, platform=platform)

    result = _run(go)
    if as_json:
        _emit_json(result)
        return
    from marsad.detect.explain import render_explanation

    render_explanation(result, out)


@main.command()
@workspace_option
@click.option("--seed", type=int, default=7, show_default=True, help="Simulation seed.")
def demo(workspace: Path, seed: int) -> None:
    """Simulate a small platform, ingest it through the real adapters, summarise it,
    write its census report in English and Arabic (report-en.html, report-ar.html), and
    score every post with the packaged detection model.

    \b
    Example:
      marsad demo --workspace ./marsad-data
    """
    from marsad.accounts import lineage
    from marsad.accounts.score import AccountScorer
    from marsad.census.compute import run_census
    from marsad.census.filters import CensusFilter, parse_campaign
    from marsad.detect.scan import scan as run_scan
    from marsad.detect.scorer import RiskScorer
    from marsad.report import write_report
    from marsad.simulate import SimConfig
    from marsad.simulate import simulate as run_simulation

    exports = workspace / "demo-exports"

    def go() -> tuple[list[pipeline.IngestSummary], dict[str, Any]]:
        from marsad.store.info import workspace_info

        config = SimConfig.from_profile("small", seed=seed)
        err.print(f"1/5 simulating a platform (seed {seed}) into {exports} …")
        sim = run_simulation(config, exports, formats=["x-v2", "telegram"])
        err.print("2/5 ingesting the exports through the real adapters …")
        progress, done = _progress_printer()
        with pipeline.open_store(workspace) as store:
            summaries = [
                pipeline.ingest_file(store, path, fmt=fmt, progress=progress)
                for path, fmt in sim.inputs
            ]
            done()
            err.print("3/5 summarising …")
            info = workspace_info(store)
            err.print("4/5 scanning every post with the packaged model, scoring accounts …")
            scans.append(run_scan(store, RiskScorer()))
            scorer = AccountScorer()
            found = lineage(store.analytics())  # once: for the scores and the report
            scored = scorer.score(store, links=found.links)
            scorer.store_scores(store, scored)
            stages["accounts"] = (
                sum(a.score >= scorer.model.threshold for a in scored),
                len(scored),
            )
            err.print("5/5 census, network, re-created accounts and the report …")
            store.compact_rollups()
            result = run_census(
                store.analytics(),
                CensusFilter(
                    campaigns=(
                        parse_campaign(f"{config.campaign_hashtag}=#{config.campaign_hashtag}"),
                    )
                ),
                workspace=workspace,
            )
            later = stage_sections(store, found)
            result.sections.extend(later)
            for section in later:
                if section.key == "lineage":
                    stages["families"] = (section.value("families"), section.value("recreated"))
                if section.key == "network":
                    stages["communities"] = (section.value("communities"), 0)
        for lang in ("en", "ar"):
            reports.append(write_report(result, workspace / f"report-{lang}.html", lang))
        return summaries, info

    reports: list[Path] = []
    scans: list[Any] = []
    stages: dict[str, tuple[Any, Any]] = {}
    summaries, data = _run(go)
    table = Table(title="ingested")
    for col in ("file", "format", "records", "new posts", "quarantined"):
        table.add_column(col)
    for s in summaries:
        table.add_row(
            Path(s.path).name,
            s.adapter,
            f"{s.records:,}",
            f"{s.added.get('posts', 0):,}",
            f"{s.quarantined:,}",
        )
    out.print(table)
    counts = data["counts"]
    out.print(
        f"workspace {workspace}: {counts['accounts']:,} accounts, {counts['posts']:,} posts, "
        f"{counts['edges']:,} edges, {counts['status_events']:,} status events"
    )
    for section in ("languages", "clients", "account_status"):
        shares = data.get(section) or {}
        total = sum(shares.values()) or 1
        top = ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in list(shares.items())[:5])
        out.print(f"  {section.replace('_', ' ')}: {top}", highlight=False)
    scanned = scans[0]
    out.print(
        f"  detection: {scanned.scanned:,} posts scored in {scanned.seconds:.1f} s, "
        f"{scanned.flagged:,} at or over the review threshold "
        f"(`marsad explain -w {workspace} POST_ID` says why)",
        highlight=False,
    )
    if "accounts" in stages:
        over, total = stages["accounts"]
        out.print(
            f"  accounts: {over:,} of {total:,} at or over the account threshold "
            f"(`marsad accounts -w {workspace}`; `marsad explain -w {workspace} @HANDLE`)",
            highlight=False,
        )
    if "families" in stages:
        families, links = stages["families"]
        out.print(
            f"  re-created accounts: {links:,} in {families:,} families "
            f"(`marsad lineage -w {workspace}`)",
            highlight=False,
        )
    if "communities" in stages:
        out.print(
            f"  network: {stages['communities'][0]:,} communities "
            f"(`marsad network -w {workspace}`)",
            highlight=False,
        )
    out.print(f"ground truth: {exports / 'ground_truth'}")
    for path in reports:
        out.print(f"report: {path}")


def _register_stage_commands() -> None:
    """Commands that live with their stage (each module imports only click at load)."""
    from marsad.accounts.cli import lineage_command
    from marsad.network.cli import network

    main.add_command(network)
    main.add_command(lineage_command)


_register_stage_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
