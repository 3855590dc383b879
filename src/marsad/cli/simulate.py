"""``marsad simulate`` and ``marsad demo``: synthetic platforms with ground truth.

``simulate`` writes a platform in real export formats
(:mod:`marsad.simulate`); ``demo`` runs one through every stage -- ingest,
scan, account scores, lineage, census, network and the report -- the way a
first-time user would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from marsad import pipeline
from marsad.cli.census import stage_sections
from marsad.cli.common import (
    _emit_json,
    _progress_printer,
    _run,
    err,
    json_option,
    out,
    workspace_option,
)

__all__ = ["demo", "simulate"]


@click.command()
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


@click.command()
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
    from marsad.accounts.lineage import store_links
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
            store_links(store, found)  # the review queue's lineage items
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
    out.print(
        f"review queue: `marsad serve --demo -w {workspace}` (a one-time admin password "
        "is printed; open http://127.0.0.1:8000/)",
        highlight=False,
    )
