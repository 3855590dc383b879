"""Files are written whole or not at all (marsad.files)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from marsad.files import replacing, write_bytes, write_text


def test_a_failed_write_leaves_the_old_file_and_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "model.json"
    write_text(target, "old\n")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("half a", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.json"]


def test_a_finished_write_replaces_the_file_and_is_readable_by_others(tmp_path: Path) -> None:
    target = write_bytes(tmp_path / "a" / "b.bin", b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in target.parent.iterdir()] == ["b.bin"]
