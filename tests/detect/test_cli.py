"""``marsad train``, ``evaluate``, ``scan`` and ``explain`` as users run them."""

from __future__ import annotations

import csv
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.detect.test_scan import FIRST, _csv


def marsad(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marsad.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "MARSAD_WORKERS": "1"},
        timeout=300,
    )


_NEUTRAL = (
    "the weather today is {} and the market opens early",
    "our team played a {} football match on saturday",
    "traffic on the bridge is {} this morning",
    "الطقس اليوم {} والسوق يفتح في التاسعة",
)
_WORDS = ("calm", "busy", "fine", "long", "quiet", "جميل", "هادئ")
_TOKENS = ("Amaq", "#AllEyesOnISIS", "Dabiq", "وكالة أعماق", "باقية وتتمدد")


def _labelled(path: Path, n: int = 400) -> Path:
    """Synthetic labelled rows: neutral templates, positives with an indicator token."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["username", "text", "label"])
        for i in range(n):
            text = _NEUTRAL[i % 4].format(_WORDS[i % 7])
            if i % 2:
                text += " " + _TOKENS[i % 5]
            w.writerow([f"acct{i // 8}", text, i % 2])
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("train")
    data = _labelled(root / "data.csv")
    model = root / "m.safetensors"
    done = marsad(
        "train",
        "--data",
        str(data),
        "--folds",
        "3",
        "--out",
        str(model),
        "--html",
        str(root / "eval.html"),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["model"] == str(model) and model.exists()
    assert (root / "m.md").read_text(encoding="utf-8").startswith("# Model card")
    assert "Worst errors" in (root / "eval.html").read_text(encoding="utf-8")
    risk = report["evaluation"]["risk"]["overall"]
    assert risk["f1"] > 0.9  # indicator tokens are easy to learn
    return model


@pytest.mark.slow
def test_evaluate_prints_metrics_and_no_text(tmp_path: Path) -> None:
    data = _labelled(tmp_path / "data.csv", 200)
    done = marsad("evaluate", "--data", str(data), "--folds", "3")
    assert done.returncode == 0, done.stderr
    assert "data.csv" in done.stdout and "PR-AUC" in done.stdout
    assert "football" not in done.stdout + done.stderr  # texts are never printed
    as_json = marsad("evaluate", "--data", str(data), "--folds", "3", "--json")
    report = json.loads(as_json.stdout)
    assert report["protocol"]["folds"] == 3 and report["risk"]["by_file"]["data.csv"]["n"] == 200


@pytest.mark.slow
def test_scan_and_explain(trained: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert (
        marsad(
            "ingest", "-w", str(ws), "--format", "csv", str(_csv(tmp_path / "a.csv", FIRST))
        ).returncode
        == 0
    )
    done = marsad("scan", "-w", str(ws), "--model", str(trained), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["scanned"], summary["total"]) == (7, 7)
    again = json.loads(marsad("scan", "-w", str(ws), "--model", str(trained), "--json").stdout)
    assert again["scanned"] == 0

    con = duckdb.connect(str(ws / "marsad.duckdb"), read_only=True)
    post_id = con.execute(
        "SELECT target_id FROM detections WHERE detector = 'indicators' ORDER BY target_id LIMIT 1"
    ).fetchone()[0]
    con.close()
    why = json.loads(
        marsad("explain", post_id, "-w", str(ws), "--model", str(trained), "--json").stdout
    )
    assert why["post"]["id"] == post_id and why["stored"]["current"]
    assert why["indicators"]["indicators"]  # the indicator it carries, with where
    assert why["decision"] in ("flag", "pass") and 0 <= why["risk"] <= 1
    text = marsad("explain", "--text", "the market opens early Amaq", "--model", str(trained))
    assert text.returncode == 0 and "amaq" in text.stdout.lower()
    missing = marsad("explain", "nope", "-w", str(ws), "--model", str(trained))
    assert missing.returncode == 2 and "no post 'nope'" in missing.stderr


def test_a_pickled_model_is_refused_at_the_command_line(tmp_path: Path) -> None:
    evil = tmp_path / "evil.safetensors"
    marker = tmp_path / "ran"
    evil.write_bytes(pickle.dumps(("not", "a", "model")))
    done = marsad("explain", "--text", "hello", "--model", str(evil))
    assert done.returncode == 2
    assert "pickle" in done.stderr and not marker.exists()


def test_bad_data_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhello,maybe\n", encoding="utf-8")
    done = marsad("evaluate", "--data", str(bad))
    assert done.returncode == 2 and "bad.csv:2" in done.stderr


def test_explain_says_when_the_classifier_does_not_count() -> None:
    # German: the packaged model's training data hold too few German posts of
    # one label (27 positives) for its score to count there
    german = "ich denke heute wieder an das Essen mit meiner Familie, Notiz Nummer drei"
    done = marsad("explain", "--text", german, "--json")
    assert done.returncode == 0, done.stderr
    why = json.loads(done.stdout)
    assert why["post"]["lang"] == "de" and why["classifier"]["counted"] is False
    shown = marsad("explain", "--text", german)
    assert "not counted in the risk" in " ".join(shown.stdout.split())
    english = json.loads(marsad("explain", "--text", "the market opens early", "--json").stdout)
    assert english["classifier"]["counted"] is True


def test_explain_says_too_little_text() -> None:
    done = marsad("explain", "--text", "breaking", "--json")
    assert done.returncode == 0, done.stderr
    why = json.loads(done.stdout)
    assert why["classifier"]["too_little_text"] is True
    assert why["classifier"]["known_words"] == 1
    assert why["decision"] != "flag"
    shown = " ".join(marsad("explain", "--text", "breaking").stdout.split())
    assert "too little text" in shown
    long = json.loads(
        marsad(
            "explain",
            "--text",
            "the market opens early today and the weather is fine for a walk in the park",
            "--json",
        ).stdout
    )
    assert long["classifier"]["too_little_text"] is False
