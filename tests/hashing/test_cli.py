"""``marsad hash`` as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from marsad.cli import main
from tests.conftest import shared_file


def test_hash_a_folder_as_json_and_report_what_cannot_be_read(tmp_path: Path) -> None:
    photos = shared_file("fixtures/telegram_desktop_export_2020/tests/photos")
    result = CliRunner().invoke(main, ["hash", "--json", str(photos)])
    assert result.exit_code == 0, result.output
    rows = {Path(r["path"]).name.split("@")[0]: r for r in json.loads(result.output)}
    assert rows["photo_1"]["media"] == "image" and rows["photo_1"]["pdq_quality"] == 100
    assert rows["photo_3"]["pdq"] is None and "not a picture" in rows["photo_3"]["note"]

    absent = tmp_path / "absent.png"
    photo = next(photos.glob("photo_1@*.jpg"))
    result = CliRunner().invoke(main, ["hash", str(absent), str(photo)])
    assert result.exit_code == 1  # one of two failed; the other was hashed
    assert "absent.png" in result.output and "cannot read" in result.output
    assert "\tpdq aeea6633" in result.output


def test_hash_dihedral_and_unletterbox() -> None:
    ref = shared_file("fixtures/threatexchange_reference")
    letterboxed = ref / "python-threatexchange/threatexchange/tests/hashing/resources"
    result = CliRunner().invoke(
        main,
        [
            "hash",
            "--json",
            "--unletterbox",
            "15",
            "--dihedral",
            str(letterboxed / "letterboxed_sample-b.jpg"),
        ],
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    # the threatexchange CLI's hash of this file with --photo-preprocess=unletterbox
    assert row["pdq"].startswith("d8f871cc") and row["unletterbox"] == 15
    assert len(row["pdq_dihedral"]) == 8


def test_hash_text_files_and_videos(tmp_path: Path) -> None:
    from marsad.hashing.match import video_available
    from marsad.hashing.text import TextMinHashSignal, text_signature

    base = "A neutral note about the weather today: sunny, with a light breeze over the hills."
    (tmp_path / "a.txt").write_text(base, encoding="utf-8")
    (tmp_path / "b.txt").write_text(base + " #weather https://example.org/x", encoding="utf-8")
    (tmp_path / "short.txt").write_text("too short", encoding="utf-8")
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00bad")
    result = CliRunner().invoke(main, ["hash", "--text", "--json", str(tmp_path)])
    assert result.exit_code == 1, result.output  # one unreadable file of four
    rows = {Path(r["path"]).name: r for r in json.loads(result.output)}
    assert "not UTF-8" in rows["bin.txt"]["error"]
    assert rows["a.txt"]["text_minhash"] == text_signature(base)
    assert (
        TextMinHashSignal.compare(rows["a.txt"]["text_minhash"], rows["b.txt"]["text_minhash"]) == 0
    )
    assert rows["short.txt"]["text_minhash"] is None and "too short" in rows["short.txt"]["note"]
    video = shared_file("fixtures/threatexchange_reference/tmk/sample-videos/chair-19-sd-bar.mp4")
    (row,) = json.loads(CliRunner().invoke(main, ["hash", "--json", str(video)]).output)
    assert row["media"] == "video" and row["pdq"] is None
    if video_available():  # the video extra: its vPDQ, one frame a second
        assert row["vpdq_frames"] > 5 and row["vpdq"].startswith("[")
    else:
        assert "vpdq" not in row
