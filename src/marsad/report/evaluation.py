"""The evaluation report: a detector's cross-validated quality as one HTML page.

Part of the *report* stage; ``marsad evaluate --html`` writes it and
``docs/evaluation.html`` is the default model's.  It draws the report of
:func:`marsad.detect.evaluate.evaluate` -- the protocol, per-file and
per-language metrics for the risk and for the text alone, the reliability
table, the worst errors by file and line -- with the census report's safe
markup (:mod:`marsad.report.markup`) and stylesheet; no text of the
evaluated posts is in it (they are propaganda; the file and line say where
to look).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from marsad.report.markup import Html, el, join
from marsad.report.style import CSS

__all__ = ["render_evaluation", "write_evaluation"]

_METRICS = (
    ("n", "rows"),
    ("positives", "positives"),
    ("precision", "precision"),
    ("recall", "recall"),
    ("f1", "F1"),
    ("accuracy", "accuracy"),
    ("fpr", "false-positive rate"),
    ("pr_auc", "PR-AUC"),
    ("roc_auc", "ROC-AUC"),
    ("brier", "Brier"),
    ("ece", "ECE"),
)


def _fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _metrics_table(caption: str, rows: dict[str, dict[str, Any]]) -> Html:
    head = el("tr", el("th", ""), *(el("th", label) for _, label in _METRICS))
    body = [
        el("tr", el("th", name), *(el("td", _fmt(m.get(key)), class_="num") for key, _ in _METRICS))
        for name, m in rows.items()
        if m
    ]
    return el("table", el("caption", caption), el("thead", head), el("tbody", *body))


def _block(title: str, data: dict[str, Any]) -> Html:
    rows = {"all rows": data["overall"]} | {
        f"language: {k}": v for k, v in data["by_language"].items()
    }
    rows |= {f"file: {k}": v for k, v in data["by_file"].items()}
    rows |= {f"pair: {k}": v for k, v in data.get("pairs", {}).items()}
    if data.get("hard_negatives"):
        rows["hard negatives"] = data["hard_negatives"]
    rel = data["overall"].get("reliability") or []
    reliability = el(
        "table",
        el("caption", "Reliability (all rows): mean score vs share of positives per score bin"),
        el(
            "thead",
            el(
                "tr",
                el("th", "bin"),
                el("th", "rows"),
                el("th", "mean score"),
                el("th", "positive rate"),
            ),
        ),
        el(
            "tbody",
            *(
                el(
                    "tr",
                    el("td", r["bin"]),
                    el("td", _fmt(r["n"]), class_="num"),
                    el("td", _fmt(r["mean_score"]), class_="num"),
                    el("td", _fmt(r["positive_rate"]), class_="num"),
                )
                for r in rel
            ),
        ),
    )
    return el("section", el("h2", title), _metrics_table(title, rows), reliability, class_="card")


def _stream(data: dict[str, Any]) -> Html:
    """The ordinary stream: flagged posts per language and corpus (whole corpora
    held out), and the precision a review queue would have at realistic prevalences."""
    heads = ("rows", "flagged, text alone", "rate", "flagged, with author context", "rate")

    def row(name: str, m: dict[str, Any]) -> Html:
        return el(
            "tr",
            el("th", name),
            el("td", _fmt(m["n"]), class_="num"),
            el("td", _fmt(m["flagged"]), class_="num"),
            el("td", f"{m['fpr']:.2%}" if m["fpr"] is not None else "–", class_="num"),
            el("td", _fmt(m.get("flagged_with_author")), class_="num"),
            el(
                "td",
                f"{m['fpr_with_author']:.2%}" if m.get("fpr_with_author") is not None else "–",
                class_="num",
            ),
        )

    table = el(
        "table",
        el("caption", "Ordinary posts (stream files), each corpus held out whole"),
        el("thead", el("tr", el("th", ""), *(el("th", h) for h in heads))),
        el(
            "tbody",
            row("all", data["overall"]),
            *(row(f"language: {k}", v) for k, v in data["by_language"].items()),
            *(row(f"corpus: {k}", v) for k, v in data["by_corpus"].items()),
        ),
    )
    prec = el(
        "table",
        el(
            "caption",
            "Precision at a prevalence: recall on the labelled positives "
            f"({data['recall_text_alone']:.1%} text alone, {data['recall_with_author']:.1%} "
            "with author context) against the false-positive rate on the stream",
        ),
        el(
            "thead",
            el("tr", el("th", "prevalence"), el("th", "text alone"), el("th", "with author")),
        ),
        el(
            "tbody",
            *(
                el(
                    "tr",
                    el("th", k),
                    el("td", _fmt(v["text_alone"]), class_="num"),
                    el("td", _fmt(v["with_author"]), class_="num"),
                )
                for k, v in data["precision_at"].items()
            ),
        ),
    )
    return el("section", el("h2", "An ordinary stream"), table, prec, class_="card")


def render_evaluation(report: dict[str, Any], title: str = "Detector evaluation") -> str:
    """The HTML page of an evaluation *report*."""
    p = report["protocol"]
    protocol = el(
        "ul",
        el(
            "li",
            f"{p['rows']:,} rows in {p['groups']:,} groups; {p['folds']} folds, seed {p['seed']}",
        ),
        el("li", "split: ", p["split"]),
        el("li", "calibration: ", p["calibration"]),
        el("li", "threshold: ", p["threshold_rule"]),
        el("li", "hard negatives: ", ", ".join(p["hard_negative_files"]) or "none"),
        el(
            "li",
            f"fitting weight of rows labelled by their file: {p.get('file_label_weight', 1.0)}"
            f" (in Arabic script: {p.get('file_label_weight_ar', p.get('file_label_weight', 1.0))})",
        ),
        *(
            [
                el(
                    "li",
                    f"stream files: fitting weight {p['stream_weight']}; thresholds flag at "
                    f"most {p['max_stream_fpr']:.1%} of their posts per language group",
                )
            ]
            if "stream_weight" in p
            else []
        ),
        el("li", "evaluated at ", report["evaluated_at"]),
    )
    files = el(
        "table",
        el("caption", "Data"),
        el(
            "thead",
            el(
                "tr",
                *(
                    el("th", h)
                    for h in ("file", "rows", "positives", "label", "grouped by", "SHA-256")
                ),
            ),
        ),
        el(
            "tbody",
            *(
                el(
                    "tr",
                    el("td", f["file"]),
                    el("td", _fmt(f["rows"]), class_="num"),
                    el("td", _fmt(f["positives"]), class_="num"),
                    el("td", str(f["label"])),
                    el("td", str(f["grouped_by"] or "row")),
                    el("td", el("code", str(f["sha256"])[:16] + "…")),
                )
                for f in report["files"]
            ),
        ),
    )
    errors = el(
        "table",
        el("caption", "Worst errors (most confident, cross-validated); texts not shown"),
        el(
            "thead",
            el(
                "tr",
                *(
                    el("th", h)
                    for h in ("kind", "file", "line", "lang", "risk", "text risk", "threshold")
                ),
            ),
        ),
        el(
            "tbody",
            *(
                el(
                    "tr",
                    el("td", e["kind"]),
                    el("td", e["file"]),
                    el("td", _fmt(e["line"]), class_="num"),
                    el("td", e["lang"]),
                    el("td", _fmt(e["score"]), class_="num"),
                    el("td", _fmt(e["text_score"]), class_="num"),
                    el("td", _fmt(e["threshold"]), class_="num"),
                )
                for e in report["worst_errors"]
            ),
        ),
    )
    page = el(
        "html",
        el("head", el("meta", charset="utf-8"), el("title", title), el("style", CSS)),
        el(
            "body",
            el("header", el("div", el("h1", title), class_="inner"), class_="report-header"),
            el(
                "main",
                el("section", el("h2", "Protocol"), protocol, files, class_="card"),
                _block("Risk (text, indicators and author context)", report["risk"]),
                _block(
                    "Text alone (classifier and indicators, no author context)", report["text_only"]
                ),
                *([_stream(report["stream"])] if report.get("stream") else []),
                el("section", errors, class_="card"),
            ),
        ),
        lang="en",
        dir="ltr",
    )
    return "<!doctype html>\n" + join(page)


def write_evaluation(
    report: dict[str, Any], path: Path, title: str = "Detector evaluation"
) -> Path:
    """Write :func:`render_evaluation` to *path* (UTF-8, folders made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_evaluation(report, title), encoding="utf-8")
    return path
