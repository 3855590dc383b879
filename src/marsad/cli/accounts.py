"""``marsad accounts``: account scores, and the account half of ``marsad explain``.

Thin over :mod:`marsad.accounts.score`: score every account, store the scores
as detections, show the top ones; :func:`_explain_account` shows one
account's features and their part of its score.  (``marsad lineage`` lives
with its stage, in :mod:`marsad.accounts.cli`.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from marsad import pipeline
from marsad.cli.common import _emit_json, _queue_after, _run, json_option, out, workspace_option

__all__ = ["_explain_account", "accounts", "read_seeds"]


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


def read_seeds(path: Path) -> list[str]:
    """The ``platform:id`` lines of a seeds file (blank lines and ``#`` comments skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        from marsad.errors import UnreadableFile

        raise UnreadableFile(f"{path}: cannot read ({exc})") from exc
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@click.command()
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
        seeds = read_seeds(seeds_file) if seeds_file is not None else None
        scorer = AccountScorer(AccountModel.load(account_model) if account_model else None)
        with pipeline.open_store(workspace, create=False) as store:
            scores = scorer.score(store, platform=platform, seeds=seeds)
            scorer.store_scores(store, scores)
        return scores, scorer.model.threshold

    scores, threshold = _run(go)
    _queue_after(workspace)
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
