"""Writing files whole or not at all.

A model, a bank export, a graph or a kept media file is written to a hidden
temporary file beside its target and renamed over it only once it is
complete (:func:`replacing`): a crash, a full disk or an exception leaves
the old file, or nothing, never half a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["replacing", "write_bytes", "write_text"]


@contextmanager
def replacing(path: Path, *, mode: int = 0o644) -> Iterator[Path]:
    """A temporary path beside *path* (parent folders made); when the block
    ends without an error, the file written there replaces *path* -- atomically
    on one filesystem -- with permissions *mode* (a temporary file is private;
    what marsad writes is meant to be shared); otherwise it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> Path:
    """Write *text* (UTF-8) to *path* whole or not at all; returns *path*."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: Path, data: bytes) -> Path:
    """Write *data* to *path* whole or not at all; returns *path*."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
