"""Settings: one registry of ``(name, default, help)``, overridable by ``MARSAD_*``.

Read by the composition root (pipeline, CLI); stages receive plain values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SETTINGS", "Setting", "get", "workspace_path"]


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: str
    help: str

    @property
    def env(self) -> str:
        return "MARSAD_" + self.name.upper()


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("workspace", "./marsad-data", "workspace directory holding marsad.duckdb"),
        Setting(
            "batch_size",
            "5000",
            "raw records per ingest transaction; a killed run loses at most one batch",
        ),
        Setting("lang_min_chars", "12", "texts shorter than this (letters) get language 'und'"),
        Setting("threads", "2", "DuckDB worker threads"),
        Setting(
            "wal_limit",
            "256MB",
            "DuckDB write-ahead log size that triggers a checkpoint; larger is faster "
            "ingest (fewer rewrites) and more memory",
        ),
        Setting(
            "memory_limit",
            "",
            "DuckDB buffer memory limit such as 4GB (empty: DuckDB's default, 80 percent of RAM); "
            "too small a limit fails large ingests",
        ),
        Setting(
            "workers",
            str(os.cpu_count() or 1),
            "ingest worker processes for large line-oriented files (1 = no workers)",
        ),
        Setting(
            "parallel_min_bytes",
            str(64 << 20),
            "files smaller than this are ingested in one process (workers take ~1 s to start)",
        ),
    )
}


def get(name: str) -> str:
    """The value of setting *name*: ``MARSAD_<NAME>`` if set, else its default."""
    setting = SETTINGS[name]
    return os.environ.get(setting.env, setting.default)


def workspace_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The workspace directory: *explicit*, else ``MARSAD_WORKSPACE``, else ``./marsad-data``."""
    return Path(explicit if explicit is not None else get("workspace"))
