"""Benchmark: the scripture recogniser and the risk score on held-out quotations of scripture.

Issue 16: quotations of the Qur'an and Hadith, in Arabic and in English
translation, must be recognised as such, and the shipped risk score must
flag at most 2% of them.  This script makes a held-out scripture set with
:func:`marsad.detect.context.scripture_samples` -- verses (1-3 consecutive)
and hadith excerpts from the installed source packages, formatted as posts
are (a prefix such as "Allah says:", quotation marks, a reference, hashtags,
a link, an ellipsis, verse numbers, line breaks, truncation to tweet
length), made at run time: no scripture is stored in the repository -- and
reports:

* **sources**: each text, its package and version, whether it is indexed
  (Talal Itani's English translation and the Tanzil files with harakat are
  not: the first is a translation the index never saw);
* **index**: build time, size, lookup throughput (posts/s) on the labelled
  files (``--data-dir``, three times over, as ``benchmarks/detect.py`` does)
  and on the generated posts;
* **recognition by form**: the mean share of words recognised and the share
  of posts at or above the scripture rule's 0.5, each form applied alone to
  quotations of the indexed sources;
* **false positives**: the share of posts the shipped risk scorer
  (``RiskScorer()``, text alone) flags at its policy's threshold for the
  post's language group, per language and per source.

``--compare OLD_CONTEXT.py`` measures another version of
``marsad/detect/context.py`` beside the installed one (e.g. ``git show
HEAD~1:src/marsad/detect/context.py > /tmp/old_context.py``): its index, its
throughput, its recognition and the risk with its shares.

Usage::

    python benchmarks/scripture.py [--n 2000] [--seed 0] [--compare /tmp/old_context.py]

Prints markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_lines, markdown_table  # noqa: E402
from marsad.detect import context  # noqa: E402
from marsad.detect.base import text_posts  # noqa: E402
from marsad.detect.risk import SCRIPTURE_MIN_SHARE  # noqa: E402

FILES = (
    ("fifth_tribe_pro_isis_accounts.csv", 1),
    ("general_tweets_negative.csv", 0),
    ("arabic_pro_isis_vs_not.csv", None),
    ("isis_keyword_tweets_labeled.csv", None),
)
Share = Callable[[Sequence[str]], np.ndarray]


def load_module(path: Path) -> ModuleType:
    """Another version of ``context.py``, as its own module."""
    spec = importlib.util.spec_from_file_location("marsad_context_compared", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def timed_build(module: ModuleType) -> tuple[Any, float]:
    t0 = time.perf_counter()
    index = module.ScriptureIndex.build()
    return index, time.perf_counter() - t0


def rates(shares: Sequence[Share], texts: list[str], repeats: int) -> list[float]:
    """Posts/s of each of *shares* on *texts*: medians of *repeats* runs,
    taken in turn (one run of each, then again) so that a change in the
    machine's load falls on all alike."""
    for share in shares:
        share(texts[:100])
    times: list[list[float]] = [[] for _ in shares]
    for _ in range(repeats):
        for i, share in enumerate(shares):
            t0 = time.perf_counter()
            share(texts)
            times[i].append(time.perf_counter() - t0)
    return [len(texts) / statistics.median(t) for t in times]


def labelled_texts(data_dir: Path) -> list[str]:
    """The labelled files' posts, normalised as stored, three times over."""
    from marsad.detect.datasets import DataFile, read_labelled

    paths = [(data_dir / name, label) for name, label in FILES]
    if not all(p.exists() for p, _ in paths):
        return []
    rows = read_labelled([DataFile(p, label) for p, label in paths])
    return [p.text_norm or "" for p in text_posts(rows.texts)] * 3


def fmt_pct(x: float) -> str:
    if x != x:  # nan: no posts
        return "–"
    return f"{100 * x:.1f}%"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="held-out posts per language")
    parser.add_argument("--n-form", type=int, default=400, help="posts per language and form")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another context.py to measure beside")
    parser.add_argument("--no-model", action="store_true", help="skip the risk scorer")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "datasets"
    )
    args = parser.parse_args(argv)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    installed = context.sources()
    if not installed:
        print("no scripture package installed: nothing to measure")
        return 0
    out = ["## Scripture recognition and false positives on held-out quotations", ""]
    out += machine_lines(["numpy", *installed])
    out.append(f"- held-out set: seed {args.seed}, {args.n} posts a language; forms: "
               f"{args.n_form} posts a language and form")  # fmt: skip
    out.append("")

    # -- sources
    rows = []
    for s in context.SOURCES:
        v = installed.get(s.dist)
        n = len(context.passages(s.key)) if v else 0
        rows.append([s.key, s.lang, s.kind, f"{s.dist} {v or '(not installed)'}",
                     "yes" if s.indexed else "**held out**", f"{n:,}"])  # fmt: skip
    out += ["### Sources", ""]
    out.append(
        markdown_table(["source", "lang", "kind", "package", "indexed", "surahs/hadiths"], rows)
    )
    out.append("")

    # -- index
    say("building the index …")
    new_index, new_build = timed_build(context)
    versions: list[tuple[str, Any]] = [("this version", new_index)]
    builds = {"this version": new_build}
    if args.compare:
        say(f"building the index of {args.compare} …")
        old_index, old_build = timed_build(load_module(args.compare))
        versions.insert(0, ("compared", old_index))
        builds["compared"] = old_build
    samples = {
        lang: context.scripture_samples(args.n, seed=args.seed, lang=lang) for lang in ("ar", "en")
    }
    generated = [s.text for lang in ("ar", "en") for s in samples[lang]]
    labelled = labelled_texts(args.data_dir)
    say("throughput …")
    shares = [index.share for _, index in versions]
    on_labelled = (
        rates(shares, labelled, args.repeats) if labelled else [float("nan")] * len(shares)
    )
    on_generated = rates(shares, generated * 5, args.repeats)
    rows = []
    for (name, index), r1, r2 in zip(versions, on_labelled, on_generated, strict=True):
        rows.append([name, f"{builds[name]:.1f} s", f"{len(index.ar):,}", f"{len(index.en):,}",
                     f"{r1:,.0f}" if labelled else "–", f"{r2:,.0f}"])  # fmt: skip
    out += ["### Index: build and lookup", ""]
    out.append(
        markdown_table(
            ["version", "build", "Arabic runs", "English runs", "posts/s (labelled files ×3)",
             "posts/s (held-out set ×5)"],
            rows,
        )
    )  # fmt: skip
    out.append("")

    # -- recognition by form
    out += ["### Recognition by form (indexed sources; share of words recognised)", ""]

    def recognised(texts: list[str]) -> list[object]:
        """Per index version: the mean share recognised and the share at or over the rule's."""
        cells: list[object] = []
        for _, index in versions:
            share = index.share(texts)
            cells += [f"{share.mean():.3f}", fmt_pct(float((share >= SCRIPTURE_MIN_SHARE).mean()))]
        return cells

    rows = []
    for lang in ("ar", "en"):
        indexed = [s.key for s in context.installed_sources(lang) if s.indexed]
        for form in context.FORMS:
            forms = context.scripture_samples(
                args.n_form, seed=args.seed + 1, lang=lang, form=form, sources=indexed
            )
            rows.append([lang, form, *recognised([s.text for s in forms])])
        for label, pick in (("mixed, indexed", True), ("mixed, held out", False)):
            mixed = [s.text for s in samples[lang] if s.indexed == pick]
            if not mixed:
                continue
            rows.append([lang, f"{label} (n={len(mixed)})", *recognised(mixed)])
    headers = ["lang", "form"]
    for name, _ in versions:
        headers += [f"mean share ({name})", f"≥ {SCRIPTURE_MIN_SHARE} ({name})"]
    out.append(markdown_table(headers, rows))
    out.append("")

    # -- false positives
    if not args.no_model:
        from marsad.detect.scorer import RiskScorer

        out += ["### False positives of the shipped risk score (text alone)", ""]
        texts_all = [s for lang in ("ar", "en") for s in samples[lang]]
        posts = text_posts([s.text for s in texts_all])
        flagged: dict[str, np.ndarray] = {}
        shares: dict[str, np.ndarray] = {}
        for name, index in versions:
            say(f"scoring with the shares of {name} …")
            scorer = RiskScorer(scripture=index.share)
            policy = scorer.policy()
            risk = scorer.score(posts)
            thresholds = np.array([policy.threshold(p.lang) for p in posts])
            flagged[name] = risk >= thresholds
            shares[name] = index.share([p.text_norm or "" for p in posts])
        out.append(f"Thresholds: {policy.source}, {dict(sorted(policy.thresholds.items()))}.")
        out.append("")
        groups: list[tuple[str, np.ndarray]] = []
        lang_of = np.array([s.lang for s in texts_all])
        source_of = np.array([s.source for s in texts_all])
        held = np.array([not s.indexed for s in texts_all])
        for lang in ("ar", "en"):
            groups.append((f"**{lang}, all**", lang_of == lang))
            groups.append((f"{lang}, indexed sources", (lang_of == lang) & ~held))
            if ((lang_of == lang) & held).any():
                groups.append((f"{lang}, held-out sources", (lang_of == lang) & held))
        for key in sorted(set(source_of.tolist())):
            groups.append((key, source_of == key))
        rows = []
        for label, mask in groups:
            row = [label, f"{int(mask.sum()):,}"]
            for name, _ in versions:
                row += [
                    fmt_pct(float(flagged[name][mask].mean())),
                    f"{shares[name][mask].mean():.2f}",
                ]
            rows.append(row)
        headers = ["posts", "n"]
        for name, _ in versions:
            headers += [f"flagged ({name})", f"mean share ({name})"]
        out.append(markdown_table(headers, rows))
        out.append("")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
