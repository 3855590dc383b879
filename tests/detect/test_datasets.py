"""Labelled CSV files: columns, labels, groups, and clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from marsad.detect.datasets import DataFile, parse_data_arg, read_labelled
from marsad.errors import InputError
from tests.conftest import shared_file


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.mark.parametrize(
    "arg, path, label",
    [
        ("a.csv", "a.csv", None),  # the label column
        ("a.csv:1", "a.csv", 1),  # every row positive
        ("dir/a.csv:0", "dir/a.csv", 0),
        ("C:/data/a.csv", "C:/data/a.csv", None),  # a colon that is not a label
        ("a.csv:2", "a.csv:2", None),  # not 0/1: part of the name
    ],
)
def test_parse_data_arg(arg: str, path: str, label: int | None) -> None:
    assert parse_data_arg(arg) == DataFile(Path(path), label)


def test_columns_labels_and_groups(tmp_path: Path) -> None:
    a = _write(
        tmp_path / "a.csv",
        ["username", "tweet", "label"],
        [["Alice", "one", "1"], ["", "two", "0"], ["bob", "", "1"], ["ALICE", "three", "true"]],
    )
    b = _write(tmp_path / "b.csv", ["text"], [["x"], ["y"]])
    rows = read_labelled([DataFile(a), DataFile(b, 0)])
    assert rows.texts == ["one", "two", "three", "x", "y"]
    assert rows.labels == [1, 0, 1, 0, 0]
    # an account is one group across case; rows without one are their own group
    assert rows.groups == ["@alice", "a.csv:#3", "@alice", "b.csv:#2", "b.csv:#3"]
    assert rows.lines == [2, 3, 5, 2, 3]
    assert rows.files[0]["skipped_empty"] == 1 and rows.files[0]["positives"] == 2
    assert len(str(rows.files[1]["sha256"])) == 64


@pytest.mark.parametrize(
    "header, rows, given, words",
    [
        (["body2"], [["x"]], None, "no text column"),
        (["text"], [["x"]], None, "no 'label' column"),
        (["text", "label"], [["x", "maybe"]], None, ":2: label 'maybe'"),
        (["text", "label"], [["", "1"]], None, "no labelled rows"),
    ],
)
def test_errors_name_the_file_and_line(
    tmp_path: Path, header: list[str], rows: list[list[str]], given: int | None, words: str
) -> None:
    path = _write(tmp_path / "bad.csv", header, rows)
    with pytest.raises(InputError, match=words) as info:
        read_labelled([DataFile(path, given)])
    assert "bad.csv" in str(info.value)


def test_the_shared_datasets_read_with_independent_counts() -> None:
    files = {
        "fifth_tribe_pro_isis_accounts.csv": 1,
        "general_tweets_negative.csv": 0,
        "arabic_pro_isis_vs_not.csv": None,
        "isis_keyword_tweets_labeled.csv": None,
    }
    paths = {name: shared_file(f"datasets/{name}") for name in files}
    rows = read_labelled([DataFile(paths[n], label) for n, label in files.items()])
    for name, path in paths.items():
        with path.open(encoding="utf-8", newline="") as fh:
            raw = list(csv.DictReader(fh))
        text_col = next(c for c in ("text", "tweet", "tweets") if c in raw[0])
        expect = [r for r in raw if (r[text_col] or "").strip()]
        got = [i for i, s in enumerate(rows.sources) if s == name]
        assert len(got) == len(expect), name
        if "label" in raw[0]:
            assert sum(rows.labels[i] for i in got) == sum(int(r["label"]) for r in expect)
        if "username" in raw[0]:
            users = {
                (r["username"] or "").strip().lower()
                for r in expect
                if (r["username"] or "").strip()
            }
            assert {rows.groups[i] for i in got if rows.groups[i].startswith("@")} == {
                f"@{u}" for u in users
            }


def test_fitting_weights_of_file_labelled_rows(tmp_path: Path) -> None:
    """Rows labelled by their file weigh file_label_weight, and in Arabic script
    file_label_weight_ar; rows labelled one by one weigh 1 in every script."""
    from marsad.detect.base import text_posts
    from marsad.detect.classifier import ROUTES, TextClassifier
    from marsad.detect.evaluate import row_weights

    by_row = _write(
        tmp_path / "rows.csv",
        ["text", "label"],
        [["the market opens at nine", "1"], ["السوق يفتح في التاسعة", "0"]],
    )
    by_file = _write(
        tmp_path / "file.csv", ["text"], [["the weather is fine"], ["الطقس جميل اليوم"]]
    )
    rows = read_labelled([DataFile(by_row), DataFile(by_file, 1)])
    arabic = TextClassifier().routes(text_posts(rows.texts)) == ROUTES.index("ar")
    assert arabic.tolist() == [False, True, False, True]
    assert row_weights(rows, 0.3).tolist() == [1.0, 1.0, 0.3, 0.3]
    weights = row_weights(rows, 0.3, arabic=arabic, file_label_weight_ar=0.1)
    assert weights.tolist() == [1.0, 1.0, 0.3, 0.1]
    # without a weight of its own, Arabic script takes the file-label weight
    assert row_weights(rows, 0.3, arabic=arabic).tolist() == [1.0, 1.0, 0.3, 0.3]


def test_a_stream_file_is_negatives_grouped_by_corpus(tmp_path: Path) -> None:
    s = _write(
        tmp_path / "s.csv",
        ["id", "corpus", "lang", "text", "user_id"],
        [
            ["1", "chat", "ar", "صباح الخير @USER URL", ""],
            ["2", "chat", "ar", "مساء الخير", ""],
            ["3", "news", "en", "@user the market opens at nine http", ""],
            ["4", "news", "en", "@USER URL", ""],  # only masks: empty, skipped
        ],
    )
    assert parse_data_arg(str(s), stream=True) == DataFile(s, 0, True)
    rows = read_labelled([parse_data_arg(str(s), stream=True)])
    # the corpora's masks of handles and links are not words of the posts
    assert rows.texts == ["صباح الخير", "مساء الخير", "the market opens at nine"]
    assert rows.labels == [0, 0, 0]
    # a corpus is held out whole, and is not an account (no "@": no author context)
    assert rows.groups == ["s.csv:corpus:chat", "s.csv:corpus:chat", "s.csv:corpus:news"]
    assert rows.corpora == ["chat", "chat", "news"]
    assert rows.files[0]["stream"] is True and rows.files[0]["grouped_by"] == "corpus"
    assert rows.files[0]["skipped_empty"] == 1


def test_placeholders_go_but_real_handles_and_links_stay() -> None:
    from marsad.detect.datasets import strip_placeholders

    assert strip_placeholders("@USER hi URL <LF> http") == "hi"
    assert strip_placeholders("@userland https://t.co/x URLs") == "@userland https://t.co/x URLs"


def test_stream_authors_are_ordinary_accounts_inside_one_corpus(tmp_path: Path) -> None:
    import numpy as np

    from marsad.detect.evaluate import author_keys, stream_rows

    s = _write(
        tmp_path / "s.csv",
        ["corpus", "text"],
        [["a", f"post {i}"] for i in range(40)] + [["b", f"post {i}"] for i in range(40)],
    )
    p = _write(tmp_path / "p.csv", ["username", "text"], [["x", "one"], ["x", "two"]])
    rows = read_labelled([DataFile(p, 1), DataFile(s, 0, True)])
    stream = stream_rows(rows)
    assert stream.tolist() == [False, False] + [True] * 80
    keys = author_keys(rows, stream)
    assert keys[:2] == ["@x", "@x"]
    accounts = {k for k in keys[2:]}
    assert all(k.startswith("@stream:") for k in accounts)
    # several accounts, none spanning two corpora (folds hold corpora out whole)
    assert len(accounts) > 4
    for k in accounts:
        assert len({rows.corpora[i] for i, key in enumerate(keys) if key == k}) == 1
    assert author_keys(rows, stream) == keys  # the same every time
    assert not np.array_equal(stream, np.zeros(len(rows), dtype=bool))
