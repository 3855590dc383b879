"""``marsad train``, ``evaluate``, ``scan`` and ``explain``: the detection stage.

``train`` and ``evaluate`` fit and cross-validate the text classifier and the
risk score on labelled CSV files (:mod:`marsad.detect.evaluate`); ``scan``
scores the workspace's posts and stores the detections
(:mod:`marsad.detect.scan`); ``explain`` says why a post got its risk (or,
for an account, hands over to :mod:`marsad.cli.accounts`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from marsad import pipeline
from marsad.cli.accounts import _explain_account
from marsad.cli.common import (
    _emit_json,
    _queue_after,
    _run,
    err,
    json_option,
    out,
    workspace_option,
)

__all__ = ["evaluate", "explain", "scan", "train"]

c_option = click.option(
    "--c",
    "C",
    type=float,
    default=10.0,
    show_default=True,
    help="Inverse regularisation (the non-Arabic route's).",
)


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


@click.command()
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


@click.command()
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
    help="Model file (default: the workspace's active model -- `marsad model promote` -- "
    "else the packaged model).",
)


def _model_of(workspace: Any, model_path: Path | None) -> Path | None:
    """*model_path*, else the file of the workspace's active model (the model
    registry, :mod:`marsad.act.registry`), else None: the packaged model."""
    if model_path is not None:
        return model_path
    from marsad.act.registry import active_model_path

    return active_model_path(workspace)


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


@click.command()
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
        scorer = _scorer(_model_of(workspace, model_path), indicators_file)
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
    _queue_after(workspace, scorer)
    if as_json:
        _emit_json(summary.as_dict() | {"thresholds": scorer.policy().thresholds})
        return
    out.print(
        f"scanned {summary.scanned:,} of {summary.total:,} posts in {summary.seconds:.1f} s; "
        f"author context for {summary.authors:,} accounts; {summary.flagged:,} posts at or over "
        f"the threshold (risk {summary.versions['risk']})",
        highlight=False,
    )


@click.command()
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
        scorer = _scorer(_model_of(workspace, model_path), indicators_file)
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
