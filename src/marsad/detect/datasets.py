"""Labelled text files for training and evaluating detectors.

Part of the *detect* stage: ``marsad train`` and ``marsad evaluate`` read
labelled posts from CSV files -- research datasets, or an analyst's own
decisions exported from the review queue -- and this module turns them into
one table of (text, label, group, source) rows.

A file is named on the command line as ``PATH`` or ``PATH:LABEL``:

* the **text** is the first of the columns ``text``, ``tweet``, ``tweets``,
  ``content``, ``message``, ``body`` that the header has;
* the **label** is the ``label`` column (``1``/``0``, also ``true``/``false``,
  ``yes``/``no``) unless ``:LABEL`` gives one label to every row -- for files
  of one class, such as the Fifth Tribe tweets of pro-ISIS accounts (``:1``)
  or a sample of general tweets (``:0``);
* the **group** is the account: the first of ``username``, ``screen_name``,
  ``user``, ``account``, ``author``, ``handle`` present and non-empty, else
  the row is its own group.  An account is one group across files.
  Cross-validation splits by group, so no account
  has posts on both sides of a split -- a model that learns an account's
  style would otherwise look better than it is.

A file may also say which of its negatives are **hard** -- posts *about*
the movement that do not support it (news, counter-speech) -- one by one,
in a ``hard`` column (``1``/``0``, also ``true``/``false``, ``yes``/``no``;
empty is 0): the review queue's decisions exported by ``marsad decisions
export`` (:mod:`marsad.act.decisions`) carry one.  ``--hard-negatives FILE``
marks every negative of a file instead; a row is hard when either says so.
Without the column nothing changes.

The known layouts of ``../shared/datasets`` (see its README) need no more
than this; an unknown layout is an error naming the file and the columns it
has.  Rows with an empty text are skipped and counted; a row whose label
cannot be read is an error naming the file and line.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from marsad.errors import InputError, UnreadableFile

__all__ = [
    "DataFile",
    "LabelledRows",
    "parse_data_arg",
    "read_labelled",
    "strip_placeholders",
]

TEXT_COLUMNS = ("text", "tweet", "tweets", "content", "message", "body")
GROUP_COLUMNS = ("username", "screen_name", "user", "account", "author", "handle")
_TRUE = {"1", "true", "yes", "y", "pos", "positive"}
_FALSE = {"0", "false", "no", "n", "neg", "negative"}


@dataclass(frozen=True)
class DataFile:
    """A labelled file as named on the command line.

    A *stream* file holds ordinary posts -- what a platform carries besides
    propaganda: chatter, news, sport, religion as practised -- all negatives
    (label 0 unless it has a label column).  Its rows are grouped by their
    ``corpus`` column when it has one (else as any file's), so that
    cross-validation holds out whole corpora: a model is then judged on
    ordinary posts from sources it never saw, as it will be on a real stream.
    """

    path: Path
    label: int | None = None  # one label for every row, else the label column
    stream: bool = False


def parse_data_arg(arg: str, *, stream: bool = False) -> DataFile:
    """``PATH`` or ``PATH:LABEL`` (LABEL 0 or 1) as a :class:`DataFile`; a
    *stream* file without a label is all negatives."""
    head, sep, tail = arg.rpartition(":")
    if sep and tail in ("0", "1") and head:
        return DataFile(Path(head), int(tail), stream)
    return DataFile(Path(arg), 0 if stream else None, stream)


#: the masks research corpora put where a handle, a link or a line break was
#: (``@USER`` and ``URL`` in OSACT, ``@user`` and ``http`` in the XLM-T
#: corpora, ``<LF>``): format artefacts of one corpus, not words of a post --
#: left in, a model learns that a post written as that corpus writes is
#: benign.  Removed from every labelled text (a real handle ``@user`` is lost
#: with them: a small price).
PLACEHOLDER_RE = re.compile(r"(?<![\w@])(?:@USER|@user|URL|<LF>|http)(?![\w/:])")


def strip_placeholders(text: str) -> str:
    """*text* without the corpus masks of :data:`PLACEHOLDER_RE`."""
    return PLACEHOLDER_RE.sub(" ", text).strip()


@dataclass
class LabelledRows:
    """Rows from one or more files, in file order."""

    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # file name of each row
    lines: list[int] = field(default_factory=list)  # 1-based line of the row in its file
    files: list[dict[str, object]] = field(default_factory=list)  # per file: name, sha256, rows ...
    corpora: list[str] = field(default_factory=list)  # a stream row's corpus, else ""
    hard: list[bool] = field(default_factory=list)  # the row's own ``hard`` column (else False)

    def __len__(self) -> int:
        return len(self.texts)

    def hard_rows(self) -> list[bool]:
        """Whether each row is marked hard by its own ``hard`` column (all False
        for rows made without one, such as a :class:`LabelledRows` built by hand)."""
        return list(self.hard) if len(self.hard) == len(self.texts) else [False] * len(self.texts)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _label(value: str | None, where: str) -> int:
    v = (value or "").strip().lower()
    if v in _TRUE:
        return 1
    if v in _FALSE:
        return 0
    raise InputError(f"{where}: label {value!r} is not 0/1 (or true/false, yes/no)")


def _hard(value: str | None, where: str) -> bool:
    v = (value or "").strip().lower()
    if v in ("", *_FALSE):
        return False
    if v in _TRUE:
        return True
    raise InputError(f"{where}: hard {value!r} is not 0/1 (or true/false, yes/no)")


def read_labelled(files: Sequence[DataFile]) -> LabelledRows:
    """Every labelled row of *files* (module docstring for the columns)."""
    rows = LabelledRows()
    csv.field_size_limit(min(sys.maxsize, 1 << 27))
    for df in files:
        name = df.path.name
        try:
            fh = df.path.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise UnreadableFile(f"{df.path}: cannot open ({exc.strerror or exc})") from exc
        n_rows = n_empty = positives = 0
        with fh:
            reader = csv.DictReader(fh)
            try:
                header = [h.strip().lower() for h in (reader.fieldnames or [])]
            except UnicodeDecodeError as exc:
                raise UnreadableFile(f"{df.path}: not UTF-8 text ({exc.reason})") from exc
            original = dict(zip(header, reader.fieldnames or [], strict=False))
            text_col = next((original[c] for c in TEXT_COLUMNS if c in original), None)
            if text_col is None:
                raise InputError(
                    f"{df.path}: no text column; expected one of {', '.join(TEXT_COLUMNS)}, "
                    f"the header has {', '.join(reader.fieldnames or []) or 'nothing'}"
                )
            label_col = original.get("label")
            if df.label is None and label_col is None:
                raise InputError(
                    f"{df.path}: no 'label' column; give the label of every row as "
                    f"{df.path}:1 or {df.path}:0"
                )
            group_cols = [original[c] for c in GROUP_COLUMNS if c in original]
            hard_col = original.get("hard")
            n_hard = 0
            corpus_col = original.get("corpus") if df.stream else None
            try:
                for row in reader:
                    line = reader.line_num
                    text = strip_placeholders(row.get(text_col) or "")
                    if not text:
                        n_empty += 1
                        continue
                    label = (
                        df.label
                        if df.label is not None
                        else _label(row.get(label_col or ""), f"{df.path}:{line}")
                    )
                    group = next(
                        (row[c].strip() for c in group_cols if (row.get(c) or "").strip()), ""
                    )
                    rows.texts.append(text)
                    rows.labels.append(label)
                    corpus = (row.get(corpus_col) or "").strip() if corpus_col else ""
                    if corpus:
                        # no "@": a corpus is not an account (no author context)
                        rows.groups.append(f"{name}:corpus:{corpus}")
                    else:
                        rows.groups.append(f"@{group.lower()}" if group else f"{name}:#{line}")
                    rows.corpora.append(corpus or (name if df.stream else ""))
                    rows.sources.append(name)
                    rows.lines.append(line)
                    hard = hard_col is not None and _hard(row.get(hard_col), f"{df.path}:{line}")
                    rows.hard.append(hard)
                    n_hard += int(hard and label == 0)
                    n_rows += 1
                    positives += label
            except UnicodeDecodeError as exc:
                raise UnreadableFile(f"{df.path}: not UTF-8 text ({exc.reason})") from exc
            except csv.Error as exc:
                raise InputError(f"{df.path}:{reader.line_num}: bad CSV ({exc})") from exc
        info: dict[str, object] = {
            "file": name,
            "sha256": _sha256(df.path),
            "rows": n_rows,
            "positives": positives,
            "skipped_empty": n_empty,
            "label": "column" if df.label is None else df.label,
            "grouped_by": "corpus" if corpus_col else (group_cols[0] if group_cols else None),
            "stream": df.stream,
        }
        if hard_col is not None:
            info["hard_negatives"] = n_hard  # negatives its hard column marks
        rows.files.append(info)
    if not rows.texts:
        raise InputError("no labelled rows in " + ", ".join(str(f.path) for f in files))
    return rows
