"""Decisions that teach the detectors: ``marsad decisions`` and ``marsad model``.

A thin shell over :mod:`marsad.act.decisions` (reviewed posts as labelled
data, confirmed and rejected media as hash banks) and
:mod:`marsad.act.registry` (trained models, the active one, shadow reviews,
promotion only when not worse, rollback).  As with the team's other commands
(:mod:`marsad.cli.review`), changes are made as the ``console`` actor and
written to the audit log.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from marsad import pipeline
from marsad.cli.common import _emit_json, _run, err, json_option, out, workspace_option
from marsad.cli.detect import (
    _hard_names,
    _print_evaluation,
    _with,
    c_option,
    cv_options,
    data_option,
    hard_option,
    stream_option,
)

__all__ = ["decisions", "model"]


def _review(workspace: Path | str) -> Any:
    from marsad.review.service import Review

    return Review(workspace)


def _f(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}"


# -- decisions ------------------------------------------------------------------------
@click.group()
def decisions() -> None:
    """The review queue's decisions as training data and hash banks.

    \b
    Example:
      marsad decisions export --out decisions.csv --split train
      marsad train --data base.csv --data decisions.csv --out retrained.safetensors
      marsad decisions bank
    """


@decisions.command("export")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write (private to you: it holds the posts' texts).",
)
@click.option(
    "--split",
    type=click.Choice(["train", "holdout", "all"]),
    default="all",
    show_default=True,
    help="Accounts to export: train (about 80%), holdout (about 20%, by a stable hash of "
    "the account) or all.",
)
@workspace_option
@json_option
def decisions_export(out_path: Path, split: str, workspace: Path | str, as_json: bool) -> None:
    """Write the decided post items as labelled CSV for `marsad train --data`: confirmed
    posts label 1, rejected 0, rejections as news, counter-speech or scripture marked
    hard; grouped by account. Reviewers' names are not exported; the export is logged.

    \b
    Example:
      marsad decisions export --out decisions.csv --split train
    """
    from marsad.act.decisions import export_decisions
    from marsad.review.users import CONSOLE

    def go() -> Any:
        with _review(workspace) as r, r.store() as store:
            return export_decisions(r.db, store, out_path, CONSOLE, split=split)

    summary = _run(go)
    if as_json:
        _emit_json(summary.as_dict())
        return
    out.print(
        f"{summary.rows:,} decided posts written to {out_path} ({summary.positives:,} confirmed, "
        f"{summary.rows - summary.positives:,} rejected of which {summary.hard:,} hard; "
        f"split {split})",
        highlight=False,
    )
    if summary.missing:
        err.print(f"{summary.missing:,} decided posts are no longer in the workspace: left out")


@decisions.command("bank")
@click.option(
    "--bank",
    "bank_name",
    default="review-confirmed",
    show_default=True,
    help="Bank of confirmed media.",
)
@click.option(
    "--negative-bank",
    default="review-rejected",
    show_default=True,
    help="Negative bank of rejected media (known false positives).",
)
@click.option(
    "--export-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write both banks there as HMA signal files (.te), TCAP lists (.tcap.json) and CSV.",
)
@workspace_option
@json_option
def decisions_bank(
    bank_name: str,
    negative_bank: str,
    export_dir: Path | None,
    workspace: Path | str,
    as_json: bool,
) -> None:
    """Put the hashes (MD5, SHA-256, PDQ) of confirmed media into a bank and of rejected
    media into a negative bank; running it again adds only what was decided since.

    \b
    Example:
      marsad decisions bank --export-dir shared-lists/
      marsad bank export review-confirmed confirmed.te --format threatexchange
    """
    from marsad.act.decisions import bank_from_decisions
    from marsad.hashing.banks import export_bank
    from marsad.review.db import ReviewDB
    from marsad.review.users import CONSOLE

    def go() -> tuple[Any, list[str]]:
        written: list[str] = []
        with ReviewDB(workspace) as db, pipeline.open_store(workspace) as store:
            summary = bank_from_decisions(
                db, store, CONSOLE, bank=bank_name, negative_bank=negative_bank
            )
            if export_dir is not None:
                for name in (bank_name, negative_bank):
                    for fmt, suffix in (
                        ("threatexchange", ".te"),
                        ("tcap", ".tcap.json"),
                        ("csv", ".csv"),
                    ):
                        target = export_dir / f"{name}{suffix}"
                        export_bank(store, name, target, fmt)
                        written.append(str(target))
        return summary, written

    summary, written = _run(go)
    if as_json:
        _emit_json(summary.as_dict() | {"written": written})
        return
    out.print(
        f"{summary.bank}: {summary.added:,} new signals ({summary.signals:,} in all, from "
        f"{summary.confirmed_media:,} confirmed media); {summary.negative_bank}: "
        f"{summary.added_negative:,} new ({summary.signals_negative:,} in all, from "
        f"{summary.rejected_media:,} rejected media)",
        highlight=False,
    )
    if summary.conflicts:
        err.print(
            f"{summary.conflicts:,} hashes were both confirmed and rejected: kept out of "
            f"{summary.negative_bank}"
            + (f" ({summary.removed_negative:,} taken out)" if summary.removed_negative else "")
        )
    for e in summary.errors[:20]:
        err.print(f"[yellow]{e}[/]", highlight=False)
    for path in written:
        out.print(f"written: {path}", highlight=False)


# -- model -------------------------------------------------------------------------------
@click.group()
def model() -> None:
    """The model registry: trained models, the active one `marsad scan` uses, promotion
    only when a model is not worse on the decisions it did not learn from and on what
    it would newly queue (its shadow review), rollback.

    \b
    Example:
      marsad model retrain --data base.csv --hard-negatives base.csv
      marsad model list
      marsad model shadow m-3f2a9c01b7d4
      marsad model promote m-3f2a9c01b7d4
      marsad model rollback
    """


@model.command("list")
@workspace_option
@json_option
def model_list(workspace: Path | str, as_json: bool) -> None:
    """The packaged model and every registered one; the active one is marked.

    \b
    Example:
      marsad model list
    """
    from marsad.act.registry import list_models

    def go() -> list[Any]:
        with _review(workspace) as r:
            return list_models(r.db)

    models = _run(go)
    if as_json:
        _emit_json([m.as_dict() for m in models])
        return
    table = Table("", "name", "version", "registered", "by", "decisions learnt", "SHA-256")
    for m in models:
        d = m.decisions
        table.add_row(
            "*" if m.active else "",
            m.name,
            m.version,
            m.created_at[:16],
            m.created_by,
            f"{d.rows:,} ({'+'.join(d.splits)}, to #{d.cut})" if d else "none",
            m.sha256[:12],
        )
    out.print(table)


@model.command("register")
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="Name in the registry (default: m-<sha256 prefix>).")
@click.option(
    "--decisions",
    "decisions_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The `marsad decisions export` file the model was trained on: its decisions are "
    "then not used to evaluate it.",
)
@workspace_option
@json_option
def model_register(
    model_file: Path,
    name: str | None,
    decisions_path: Path | None,
    workspace: Path | str,
    as_json: bool,
) -> None:
    """Keep a model file (from `marsad train`) in the workspace's registry.

    \b
    Example:
      marsad model register retrained.safetensors --name dec-2026-12 --decisions decisions.csv
    """
    from marsad.act.decisions import decisions_file
    from marsad.act.registry import register
    from marsad.review.users import CONSOLE

    def go() -> Any:
        learnt = decisions_file(decisions_path) if decisions_path is not None else None
        with _review(workspace) as r:
            return register(r.db, CONSOLE, model_file, name=name, decisions=learnt)

    info = _run(go)
    if as_json:
        _emit_json(info.as_dict())
        return
    out.print(f"model {info.name} registered (version {info.version})", highlight=False)


def _print_comparison(c: Any) -> None:
    table = Table(title=f"{c.rows:,} held-out decisions ({c.positives:,} confirmed)")
    for col in ("model", "scope", "n", "precision", "recall", "F1"):
        table.add_column(col, justify="left" if col in ("model", "scope") else "right")
    for s in (c.candidate, c.against):
        table.add_row(
            s.name,
            "overall",
            f"{s.overall['n'] or 0:,}",
            _f(s.overall["precision"]),
            _f(s.overall["recall"]),
            _f(s.overall["f1"]),
        )
        for lang, m in s.by_language.items():
            table.add_row("", lang, f"{m['n']:,}", _f(m["precision"]), _f(m["recall"]), _f(m["f1"]))
    out.print(table)
    _print_shadow_check(c.shadow)
    if c.not_worse:
        out.print(f"{c.candidate.name} is not worse than {c.against.name}", highlight=False)
    elif c.needs_review:
        out.print(
            f"{c.candidate.name} waits for the decisions of its shadow review:", highlight=False
        )
    else:
        out.print(f"{c.candidate.name} is worse than {c.against.name}:", highlight=False)
    for reason in c.reasons:
        out.print(f"  {reason}", highlight=False)


def _print_shadow_check(s: Any) -> None:
    if s is None:
        return
    if s.state == "same":
        out.print(
            f"shadow review: not needed ({s.name} is the same file as {s.against})",
            highlight=False,
        )
        return
    if s.seq is None:
        out.print(f"shadow review: none of {s.name} against {s.against}", highlight=False)
        return
    out.print(
        f"shadow review (audit entry {s.seq}, seed {s.seed}): of {s.pool:,} posts both flag "
        f"{s.both:,}, only {s.name} {s.new:,} ({s.new_share:.1%} of its flags), only "
        f"{s.against} {s.active_only:,}; {s.decided} of its {s.sample} sample items decided, "
        f"{s.confirmed} confirmed",
        highlight=False,
    )
    if s.p_new is not None:
        out.print(
            f"  precision on its new flags {_f(s.p_new)}, on the held-out both flag "
            f"{_f(s.p_both)}: its queue's estimated precision {_f(s.estimated)} against "
            f"{_f(s.against_precision)} of {s.against}",
            highlight=False,
        )


@model.command("shadow")
@click.argument("name")
@click.option(
    "--sample",
    default=50,
    show_default=True,
    type=click.IntRange(min=0),
    help="Posts only NAME flags to put in the review queue (0: count only).",
)
@click.option(
    "--pool",
    default=50_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Current posts to score with both models (a fixed sample by --seed).",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the pool and the sample.")
@workspace_option
@json_option
def model_shadow(
    name: str, sample: int, pool: int, seed: int, workspace: Path | str, as_json: bool
) -> None:
    """Shadow review: score a pool of current posts with model NAME and the active
    model, count what each flags, and put a sample of the posts only NAME flags in the
    review queue (detector risk-shadow). Once reviewers decide them, `marsad model
    evaluate` and `promote` judge what NAME would newly queue. Logged in the audit log.

    \b
    Example:
      marsad model shadow dec-2026-12
      marsad model shadow dec-2026-12 --sample 100 --seed 1
    """
    from marsad.act.registry import NEW_SHARE, shadow
    from marsad.review.users import CONSOLE

    def go() -> Any:
        with _review(workspace) as r:
            return shadow(
                r,
                CONSOLE,
                name,
                sample=sample,
                pool=pool,
                seed=seed,
                progress=lambda msg: err.print(f"  {msg}", highlight=False),
            )

    done = _run(go)
    if as_json:
        _emit_json(done.as_dict())
        return
    table = Table(title=f"shadow review of {done.name} against {done.against}")
    for col in ("posts scored", "both flag", f"only {done.name}", f"only {done.against}"):
        table.add_column(col, justify="right")
    table.add_row(
        f"{done.pool:,}",
        f"{done.both:,}",
        f"{done.new:,} ({done.new_share:.1%})",
        f"{done.active_only:,}",
    )
    out.print(table)
    out.print(
        f"{len(done.sample)} of the posts only {done.name} flags put in the review queue "
        f"(detector risk-shadow; {done.queued:,} were in it already); audit entry {done.seq}",
        highlight=False,
    )
    if not done.needs_decisions:
        out.print(
            f"it newly flags at most {NEW_SHARE:.0%} of its flags: no decisions are needed "
            f"to promote it (`marsad model promote {done.name}`)",
            highlight=False,
        )
    elif done.drawn < done.required:
        out.print(
            f"next: a promotion needs {done.required} decided sample items and its shadow "
            f"reviews queued {done.drawn}: run `marsad model shadow {done.name} --sample "
            f"{done.required - done.drawn}` or more",
            highlight=False,
        )
    else:
        out.print(
            f"next: review them (at least {done.required} of the {done.drawn} its shadow "
            f"reviews queued), then `marsad model promote {done.name}`",
            highlight=False,
        )


@model.command("evaluate")
@click.argument("name")
@click.option("--against", default=None, help="The model to compare with (default: the active).")
@workspace_option
@json_option
def model_evaluate(name: str, against: str | None, workspace: Path | str, as_json: bool) -> None:
    """Compare model NAME with the active one on the decided posts neither learnt from:
    precision, recall and F1 at each model's own thresholds, overall and per language.

    \b
    Example:
      marsad model evaluate dec-2026-12
      marsad model evaluate dec-2026-12 --against packaged
    """
    from marsad.act.registry import evaluate

    def go() -> Any:
        with _review(workspace) as r, r.store() as store:
            return evaluate(r.db, store, name, against)

    comparison = _run(go)
    if as_json:
        _emit_json(comparison.as_dict())
        return
    _print_comparison(comparison)


@model.command("promote")
@click.argument("name")
@click.option(
    "--force", is_flag=True, help="Promote even when it is worse (needs --reason; logged)."
)
@click.option("--reason", default=None, help="Why a forced promotion is right (audit log).")
@workspace_option
@json_option
def model_promote(
    name: str, force: bool, reason: str | None, workspace: Path | str, as_json: bool
) -> None:
    """Make model NAME the active one -- only when it is not worse than the active one on
    the held-out decisions, unless forced with a reason. `marsad scan` then uses it.

    \b
    Example:
      marsad model promote dec-2026-12
      marsad model promote dec-2026-12 --force --reason "Arabic recall matters more here"
    """
    from marsad.act.registry import promote
    from marsad.review.users import CONSOLE

    def go() -> Any:
        with _review(workspace) as r, r.store() as store:
            return promote(r.db, store, CONSOLE, name, force=force, reason=reason)

    done = _run(go)
    if as_json:
        _emit_json(done.as_dict())
        return
    if done.comparison is not None:
        _print_comparison(done.comparison)
    how = " (forced)" if done.forced else ""
    out.print(
        f"{done.name} is the active model{how}; it was {done.previous}. "
        "Run `marsad scan` to score the posts with it.",
        highlight=False,
    )


@model.command("rollback")
@workspace_option
@json_option
def model_rollback(workspace: Path | str, as_json: bool) -> None:
    """Make the model that was active before the last promotion active again.

    \b
    Example:
      marsad model rollback
    """
    from marsad.act.registry import rollback
    from marsad.review.users import CONSOLE

    def go() -> Any:
        with _review(workspace) as r:
            return rollback(r.db, CONSOLE)

    done = _run(go)
    if as_json:
        _emit_json(done.as_dict())
        return
    out.print(
        f"{done.name} is the active model again (was {done.previous}). "
        "Run `marsad scan` to score the posts with it.",
        highlight=False,
    )


@model.command("retrain")
@data_option
@hard_option
@stream_option
@_with(cv_options)
@c_option
@click.option("--name", default=None, help="Name of the new model (default: m-<sha256 prefix>).")
@click.option(
    "--split",
    type=click.Choice(["train", "all"]),
    default="train",
    show_default=True,
    help="Decisions to learn from: train keeps the holdout accounts for the evaluation.",
)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the decisions export, the model and its card there (default: a temporary "
    "directory, removed; the model is kept in the registry).",
)
@click.option("--no-promote", is_flag=True, help="Register, evaluate and shadow only.")
@click.option(
    "--shadow-sample",
    default=50,
    show_default=True,
    type=click.IntRange(min=0),
    help="Items the shadow review puts in the queue (see `marsad model shadow`; 0: none).",
)
@workspace_option
@json_option
def model_retrain(
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
    C: float,  # noqa: N803
    name: str | None,
    split: str,
    out_dir: Path | None,
    no_promote: bool,
    shadow_sample: int,
    workspace: Path | str,
    as_json: bool,
) -> None:
    """The feedback loop in one command: export the decisions, train on the --data files
    plus them (rejections as news, counter-speech or scripture as hard negatives),
    register the model, compare it with the active one on the decisions it did not
    learn from, run its shadow review (`marsad model shadow`), and promote it when it is
    not worse. When it would newly queue posts no reviewer has seen, it waits for the
    shadow sample's decisions: review them, then `marsad model promote NAME`.

    \b
    Example:
      marsad model retrain --data pro.csv:1 --data general.csv:0 --data keyword.csv \\
        --hard-negatives keyword.csv --stream benign.csv
    """
    from marsad.act.registry import retrain
    from marsad.detect.datasets import parse_data_arg
    from marsad.review.users import CONSOLE

    def go() -> Any:
        files = [parse_data_arg(d) for d in data] + [parse_data_arg(s, stream=True) for s in stream]
        options = {
            "C": C,
            "evidence_words": evidence_words,
            "folds": folds,
            "seed": seed,
            "max_fpr": max_fpr,
            "file_label_weight": file_label_weight,
            "file_label_weight_ar": file_label_weight_ar,
            "stream_weight": stream_weight,
            "max_stream_fpr": max_stream_fpr,
        }
        with tempfile.TemporaryDirectory(prefix="marsad-retrain-") as tmp, _review(workspace) as r:
            return retrain(
                r,
                CONSOLE,
                files,
                out_dir=out_dir or Path(tmp),
                hard_files=_hard_names(hard),
                name=name,
                split=split,
                promote_if_not_worse=not no_promote,
                shadow_sample=shadow_sample,
                train_options=options,
                progress=lambda msg: err.print(f"  {msg}", highlight=False),
            )

    done = _run(go)
    if as_json:
        _emit_json(done.as_dict())
        return
    _print_evaluation(done.evaluation)
    if done.shadow is not None:
        err.print(
            f"  shadow review: {len(done.shadow.sample)} items put in the review queue "
            f"(detector risk-shadow)",
            highlight=False,
        )
    _print_comparison(done.comparison)
    if done.promoted is not None:
        out.print(
            f"{done.model.name} is the active model (was {done.promoted.previous}). "
            "Run `marsad scan` to score the posts with it.",
            highlight=False,
        )
    else:
        out.print(
            f"{done.model.name} registered, not promoted; the active model is still "
            f"{done.comparison.against.name}",
            highlight=False,
        )
        out.print(f"next: {done.next_step}", highlight=False)
