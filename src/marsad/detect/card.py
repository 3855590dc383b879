"""Model cards: what a trained model is, what it was trained on, how good it is, where it fails.

Part of the *detect* stage; ``marsad train`` writes one beside every model
(Markdown) from the facts in the model file's header -- the training files
and their SHA-256, the date, the parameters and the cross-validated metrics --
so that the card cannot drift from the model it describes.
"""

from __future__ import annotations

from typing import Any

from marsad.detect.classifier import MIN_LANGUAGE_SUPPORT, ROUTES, TextClassifier

__all__ = ["model_card"]

_LIMITS = """\
- **Labels are account-level.** Every post of an account judged pro-ISIS is a
  positive, whatever it says (news, chat, scripture). The risk with author
  context is what reaches the account-level label; the text risk alone is
  what one post says. Both are reported above.
- **Topic is not stance.** News, research and counter-speech about the group
  share its vocabulary. The hard negatives measure how often the model
  confuses them; the threshold is set to keep that rate low, at a cost in
  recall.
- **Scripture is not extremism.** Posts that are mostly a quotation of the
  Qur'an or Hadith have their risk scaled down by a fixed rule
  (`marsad.detect.risk`), because the training data -- where supporters'
  quotations carry their account's label -- would teach the opposite.
- **Language is not stance.** The labelled files hold French almost only in
  positives (579 positives, 48 negatives: the French tweets of accounts judged
  pro-ISIS), so a model fitted on them alone learns "French means
  propaganda". Training reweights each language's rows so that no language
  predicts the label (`language_balance` in `marsad.detect.classifier`), and
  the ordinary posts of the stream files add negatives in Arabic, English
  and French; in a language without enough posts of each label (see above)
  the risk leaves the classifier out and rests on the indicators and the
  author context, and the classifier's own score is stored marked as not
  counted.
- **The world is mostly ordinary.** Ordinary posts -- chatter in many
  dialects, sport, series, religion as practised, Middle-East news -- are
  negatives (the stream files, each corpus held out whole in the
  cross-validation), and the thresholds flag at most 0.3% of them per
  language group. That costs recall on posts that read like ordinary
  speech: a quarter of the Arabic labelled file's positives (labelled by
  their account, some plain verses and greetings) score like ordinary
  Arabic posts, and are found only through their account.
- **Too little text.** A post's classifier log-odds are shrunk by how many
  of its words the model knows (`known / (known + k)`, `k` in the
  parameters), and no threshold lies at or under the risk of a post that
  says next to nothing: "breaking" or "blessed Friday" alone is never
  flagged, and neither is a propaganda post of one word -- its account is
  what tells.
- **Time and place.** The training tweets are from 2012-2019, mostly X
  (Twitter), in English and Arabic. Slang, outlets and handles change after
  every takedown wave: retrain on current, labelled data before relying on
  the scores, and re-evaluate with `marsad evaluate`.
- **A score is not a decision.** The thresholds are a starting policy for a
  review queue, not grounds for action without review.
"""


def _support(model: TextClassifier) -> list[str]:
    """Which languages the classifier's score counts for (see ``supported``)."""
    support = getattr(model, "language_support_", None) or {}
    if not support:
        return []
    ok = [k for k, (neg, pos) in support.items() if min(neg, pos) >= MIN_LANGUAGE_SUPPORT]
    most = sorted(support.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:8]
    return [
        f"The classifier's score counts in the risk for posts in {', '.join(sorted(ok))}: the "
        f"languages with at least {MIN_LANGUAGE_SUPPORT} training posts of each label "
        "(negatives / positives: "
        + ", ".join(f"{k} {neg:,} / {pos:,}" for k, (neg, pos) in most)
        + "). In other languages the risk rests on the indicators and the author context.",
        "",
    ]


def _f(value: object) -> str:
    return (
        "–"
        if value is None
        else f"{value:.3f}"
        if isinstance(value, float)
        else f"{value:,}"
        if isinstance(value, int)
        else str(value)
    )


def _table(rows: dict[str, dict[str, Any]]) -> str:
    cols = ("n", "positives", "precision", "recall", "f1", "accuracy", "fpr", "pr_auc")
    out = ["| rows | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, m in rows.items():
        if m:
            out.append(f"| {name} | " + " | ".join(_f(m.get(c)) for c in cols) + " |")
    return "\n".join(out)


def _headline(ev: dict[str, Any]) -> list[str]:
    """The numbers a reader looks for first: each file of positives against
    each file of negatives (F1), each file labelled post by post (accuracy),
    and the hard negatives (false-positive rate) -- risk and text alone."""
    risk, text = ev["risk"], ev["text_only"]
    rows = []
    for pair, m in risk.get("pairs", {}).items():
        rows.append((f"F1, {pair}", m.get("f1"), text["pairs"][pair].get("f1")))
    for f in ev["files"]:
        if f.get("label") == "column":
            name = str(f["file"])
            rows.append(
                (
                    f"accuracy, {name}",
                    risk["by_file"][name].get("accuracy"),
                    text["by_file"][name].get("accuracy"),
                )
            )
    for name in ev.get("protocol", {}).get("hard_negative_files", []):
        if risk["by_file"].get(name, {}).get("roc_auc") is not None:
            rows.append(
                (
                    f"ROC-AUC inside {name} (support against news and counter-speech)",
                    risk["by_file"][name]["roc_auc"],
                    text["by_file"][name].get("roc_auc"),
                )
            )
    if risk.get("hard_negatives"):
        rows.append(
            (
                "false-positive rate, hard negatives",
                risk["hard_negatives"].get("fpr"),
                text["hard_negatives"].get("fpr"),
            )
        )
    if not rows:
        return []
    return [
        "## Headline numbers (cross-validated)",
        "",
        "| measure | risk (with author context) | text alone |",
        "|---|---|---|",
        *(f"| {name} | {_f(a)} | {_f(b)} |" for name, a, b in rows),
        "",
    ]


def _stream(ev: dict[str, Any]) -> list[str]:
    """Ordinary posts: what the model flags on corpora it never saw."""
    data = ev.get("stream")
    if not data:
        return []

    def pct(v: object) -> str:
        return "–" if v is None else f"{float(v):.2%}"  # type: ignore[arg-type]

    rows = {"all": data["overall"]} | {f"lang {k}": v for k, v in data["by_language"].items()}
    rows |= {f"corpus {k}": v for k, v in data["by_corpus"].items()}
    return [
        "## On an ordinary stream",
        "",
        "Ordinary posts (the stream files), each corpus held out whole in the cross-validation: "
        "what the model flags on kinds of posts it never saw. Text alone, and with the author "
        "context of ordinary accounts the posts were dealt to.",
        "",
        "| rows | n | flagged, text alone | rate | flagged, with author | rate |",
        "|---|---|---|---|---|---|",
        *(
            f"| {k} | {v['n']:,} | {v['flagged']:,} | {pct(v['fpr'])} | "
            f"{v.get('flagged_with_author', 0):,} | {pct(v.get('fpr_with_author'))} |"
            for k, v in rows.items()
        ),
        "",
        f"Precision a review queue would have, from the recall on the labelled positives "
        f"({data['recall_text_alone']:.1%} text alone, {data['recall_with_author']:.1%} with "
        "author context) and the false-positive rate above: "
        + "; ".join(
            f"at {k} prevalence {_f(v['text_alone'])} text alone, {_f(v['with_author'])} "
            "with author context"
            for k, v in data["precision_at"].items()
        )
        + ".",
        "",
    ]


def model_card(model: TextClassifier) -> str:
    """The Markdown model card of *model* (from its header)."""
    meta = model.meta_
    ev: dict[str, Any] = meta.get("evaluation") or {}
    lines = [
        f"# Model card: marsad text classifier `{model.model_version_}`",
        "",
        f"Detector `{model.name}` version `{model.version}`, trained {meta.get('trained_at', 'at an unknown date')}.",
        "A logistic regression over hashed word 1-2-grams and character n-grams "
        "(`marsad.detect.features`), calibrated, combined with the indicator registry and the "
        "author context into a risk score (`marsad.detect.risk`). The file is safetensors: "
        "loading it cannot run code.",
        "",
        "**Intended use:** ranking posts for human review by trust-and-safety and research teams. "
        "**Not for:** automated enforcement without review; judging individuals.",
        "",
        "## Parameters",
        "",
        f"- features: `{model.spec_.as_dict()}`",
        f"- parameters: `{meta.get('params', {})}`",
        "- calibration (Platt, per route): "
        + ", ".join(
            f"{name}: a = {a:.4f}, b = {b:.4f}"
            for name, (a, b) in zip(ROUTES, model.calibration_.tolist(), strict=True)
        ),
        f"- risk stages: text `{model.risk_text_.as_dict() if model.risk_text_ else None}`, "
        f"author `{model.risk_author_.as_dict() if model.risk_author_ else None}`",
        f"- thresholds (on the risk, per language group): `{model.thresholds_}`",
        "",
    ]
    if ev:
        p = ev["protocol"]
        lines += [
            "## Training data",
            "",
            "| file | rows | positives | label | grouped by | SHA-256 |",
            "|---|---|---|---|---|---|",
            *(
                f"| {f['file']} | {f['rows']:,} | {f['positives']:,} | {f['label']} | "
                f"{f['grouped_by'] or 'row'} | `{f['sha256']}` |"
                for f in ev["files"]
            ),
            "",
            "Languages (identified, most common): "
            + ", ".join(f"{k} {v:,}" for k, v in list((ev.get("languages") or {}).items())[:8]),
            "",
            *_support(model),
            *_headline(ev),
            *_stream(ev),
            "## Cross-validated metrics",
            "",
            f"{p['folds']}-fold {p['split']}; {p['calibration']}; threshold: {p['threshold_rule']}; "
            f"hard negatives: {', '.join(p['hard_negative_files']) or 'none'}.",
            "",
        ]
        for block, title in (("risk", "Risk (with author context)"), ("text_only", "Text alone")):
            data = ev[block]
            rows = {"all": data["overall"]} | {
                f"lang {k}": v for k, v in data["by_language"].items()
            }
            rows |= {k: v for k, v in data["by_file"].items()}
            rows |= {k: v for k, v in data.get("pairs", {}).items()}
            if data.get("hard_negatives"):
                rows["hard negatives"] = data["hard_negatives"]
            lines += [f"### {title}", "", _table(rows), ""]
    lines += ["## Known limits", "", _LIMITS]
    return "\n".join(lines)
